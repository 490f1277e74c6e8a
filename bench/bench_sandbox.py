"""Benchmark the `sandbox` package: call round trips, plan start latency, plan-code speed.

Run from the repository root::

    .venv/bin/python bench/bench_sandbox.py            # full run, about a minute
    .venv/bin/python bench/bench_sandbox.py --quick    # smaller and fewer runs, about 10 s
    .venv/bin/python bench/bench_sandbox.py --json OUT.json

It measures, side by side in one process, and reports medians over repeated runs
(the machines it runs on are small and noisy):

1. Primitive calls through the plan process, served by `sandbox.run_plan` with a
   no-op primitive: one call whose value the plan uses at once (a full round trip),
   calls whose handles the plan never resolves, and calls resolved later in the plan.
   Each figure is (median wall time with N calls - median with 0 calls) / N, so
   process start is subtracted. For context it also times the round trip with host
   and plan pinned to one CPU, the round trip with `PlanProcess` driven by a bare
   host, and floors: a pipe ping-pong with an echo child, blocking (free and pinned)
   and through trio streams. On a small VM a wake-up on the other CPU can cost more
   than the work itself; the pinned figures separate that from the software's cost.
2. Start latency: from `Sandbox.start` to the plan's first primitive call arriving in
   the parent, from a warm spare (`Sandbox(spares=1)`) and cold (`spares=0`).
3. Plan-code CPU speed on four snippets: plain CPython `exec`, our sandbox (the
   restricted code in the plan process) and smolagents' `LocalPythonExecutor` (an AST
   interpreter). Per-iteration time is again a difference of two sizes over the
   iteration count; each snippet's N is chosen so plain CPython takes a set time, and
   smolagents runs a smaller N. Every engine's `result` is checked against CPython's.

Nothing here uses the network.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # smolagents' hub client must stay offline

from smolagents.local_python_executor import LocalPythonExecutor  # noqa: E402

import sandbox  # noqa: E402

LIMITS = sandbox.Limits(steps=100_000_000, cpu_seconds=120, wall_seconds=120)


@dataclass(frozen=True)
class Config:
    """How much to measure."""

    reps: int  # runs per size for the throughput figures
    calls: int  # N for the call figures
    warm_reps: int
    cold_reps: int
    cpython_seconds: float  # plain CPython time per snippet run, which sets each N
    smol_divisor: int  # smolagents runs about N / smol_divisor iterations
    settle: float  # seconds for a spare to boot before a warm start


FULL = Config(
    reps=7,
    calls=2000,
    warm_reps=20,
    cold_reps=10,
    cpython_seconds=0.03,
    smol_divisor=40,
    settle=0.3,
)
QUICK = Config(
    reps=3, calls=500, warm_reps=5, cold_reps=3, cpython_seconds=0.01, smol_divisor=40, settle=0.3
)


@dataclass(frozen=True)
class Row:
    """One figure of the main table."""

    measure: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None


@dataclass(frozen=True)
class SnippetRow:
    """Per-iteration times of one snippet in each engine (microseconds)."""

    snippet: str
    n: int
    n_smolagents: int
    cpython_us: float
    sandbox_us: float
    smolagents_us: float

    @property
    def sandbox_vs_cpython(self) -> float:
        return self.sandbox_us / self.cpython_us

    @property
    def smolagents_vs_sandbox(self) -> float:
        return self.smolagents_us / self.sandbox_us


def median(values: list[float]) -> float:
    return statistics.median(values)


def per_item(big: list[float], small: list[float], n: int) -> float:
    """Seconds per item: the difference of the medians of two sizes, over the items."""
    return (median(big) - median(small)) / n


@contextmanager
def one_cpu() -> Iterator[None]:
    """Pin this thread, and so the processes it starts, to one CPU; restore after.

    On a small VM a wake-up on the other CPU can cost far more than the work itself;
    pinned figures show the software's own cost.
    """
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def json_form(value: Any) -> Any:
    """`value` as it would cross the plan boundary (tuples become lists)."""
    return json.loads(json.dumps(value))


# --- 1. primitive calls -------------------------------------------------------------


def noop(x: Any) -> Any:
    return x


NOOP = {"noop": noop}
CALL_PLANS = {
    "round trip": "total = 0\nfor i in range(N):\n    total += noop(i)\nresult = total",
    "unresolved": "result = [noop(i) for i in range(N)]",
    "resolved later": (
        "hs = [noop(i) for i in range(N)]\ntotal = 0\nfor h in hs:\n    total += h\nresult = total"
    ),
}


def expected_call_result(kind: str, n: int) -> Any:
    return list(range(n)) if kind == "unresolved" else n * (n - 1) // 2


async def timed_run_plan(
    plan: sandbox.CompiledPlan, n: int, primitives: dict[str, Any]
) -> tuple[float, Any]:
    """Wall seconds of one `run_plan` of `plan` with constant N = n, and its output."""
    t0 = time.perf_counter()
    outcome = await sandbox.run_plan(plan, primitives, constants={"N": n}, limits=LIMITS)
    elapsed = time.perf_counter() - t0
    if outcome.status != "ok":
        raise RuntimeError(f"the plan did not finish: {outcome.status}: {outcome.error}")
    return elapsed, outcome.output


async def sizes(
    run: Callable[[int], Awaitable[tuple[float, Any]]],
    n: int,
    reps: int,
    check: Callable[[int, Any], None],
) -> float:
    """Seconds per item of `run`, alternating runs of size n and 0 to spread the noise."""
    times: dict[int, list[float]] = {n: [], 0: []}
    for _ in range(reps):
        for size in (n, 0):
            elapsed, output = await run(size)
            check(size, output)
            times[size].append(elapsed)
    return per_item(times[n], times[0], n)


async def call_costs(
    config: Config, kinds: tuple[str, ...] = tuple(CALL_PLANS)
) -> dict[str, float]:
    """Microseconds per primitive call for each of `kinds` of CALL_PLANS, served by run_plan."""
    costs: dict[str, float] = {}
    for kind in kinds:
        source = CALL_PLANS[kind]
        plan = sandbox.compile_plan(source, primitives=["noop"], constants=["N"])

        def check(size: int, output: Any, kind: str = kind) -> None:
            assert output == expected_call_result(kind, size), f"{kind}: wrong result"

        async def run(size: int, plan: sandbox.CompiledPlan = plan) -> tuple[float, Any]:
            return await timed_run_plan(plan, size, NOOP)

        costs[kind] = await sizes(run, config.calls, config.reps, check) * 1e6
    return costs


async def direct_round_trip(config: Config) -> float:
    """Microseconds per round trip with `PlanProcess` driven by the smallest host."""
    plan = sandbox.compile_plan(CALL_PLANS["round trip"], primitives=["noop"], constants=["N"])
    box = sandbox.Sandbox(spares=0)

    async def run(size: int) -> tuple[float, Any]:
        t0 = time.perf_counter()
        proc = await box.start(plan, limits=LIMITS, constants={"N": size})
        args: dict[int, Any] = {}
        result: Any = None
        async for event in proc.events():
            if isinstance(event, sandbox.Call):
                args[event.id] = event.args[0]
            elif isinstance(event, sandbox.Resolve):
                await proc.send_value(event.id, args[event.id])
            elif isinstance(event, sandbox.Finished):
                assert event.status == "ok", event.error
                result = event.result
        return time.perf_counter() - t0, result

    def check(size: int, output: Any) -> None:
        assert output == expected_call_result("round trip", size), "direct: wrong result"

    try:
        return await sizes(run, config.calls, config.reps, check) * 1e6
    finally:
        box.close()


ECHO_CHILD = (
    "import os\nwhile True:\n    data = os.read(0, 65536)\n    if not data:\n        break\n"
    "    os.write(1, data)"
)


def blocking_ping_pong(to_child: int, from_child: int, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        os.write(to_child, b"x\n")
        os.read(from_child, 64)
    return (time.perf_counter() - t0) / n


async def pipe_floors(config: Config) -> tuple[float, float]:
    """Microseconds per ping-pong with an echo child: blocking os calls, then trio streams."""
    child = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", ECHO_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    to_child, from_child = child.stdin.fileno(), child.stdout.fileno()
    n = config.calls
    try:
        blocking = [blocking_ping_pong(to_child, from_child, n) for _ in range(config.reps)]
        send = trio.lowlevel.FdStream(os.dup(to_child))
        receive = trio.lowlevel.FdStream(os.dup(from_child))
        streamed: list[float] = []
        for _ in range(config.reps):
            t0 = time.perf_counter()
            for _ in range(n):
                await send.send_all(b"x\n")
                await receive.receive_some(64)
            streamed.append((time.perf_counter() - t0) / n)
        await send.aclose()
        await receive.aclose()
    finally:
        child.stdin.close()
        child.wait()
        child.stdout.close()
    return median(blocking) * 1e6, median(streamed) * 1e6


# --- 2. start latency ---------------------------------------------------------------


async def start_latency(box: sandbox.Sandbox, plan: sandbox.CompiledPlan) -> tuple[float, float]:
    """Milliseconds from `start` to the first Call event, and to Finished."""
    t0 = time.perf_counter()
    proc = await box.start(plan, limits=LIMITS)
    first: float | None = None
    args: dict[int, Any] = {}
    async for event in proc.events():
        if isinstance(event, sandbox.Call):
            first = first or time.perf_counter()
            args[event.id] = event.args[0]
        elif isinstance(event, sandbox.Resolve):
            await proc.send_value(event.id, args[event.id])
        elif isinstance(event, sandbox.Finished):
            assert event.status == "ok", event.error
    done = time.perf_counter()
    assert first is not None, "the plan made no call"
    return (first - t0) * 1e3, (done - t0) * 1e3


async def start_latencies(spares: int, reps: int, settle: float) -> tuple[float, float]:
    """Median milliseconds to first call and to finish, `reps` starts from one Sandbox."""
    plan = sandbox.compile_plan("result = noop(1)", primitives=["noop"])
    firsts: list[float] = []
    dones: list[float] = []
    with sandbox.Sandbox(spares=spares) as box:
        for _ in range(reps):
            await trio.sleep(settle)  # let the refill thread start a spare and it boot
            first, done = await start_latency(box, plan)
            firsts.append(first)
            dones.append(done)
    return median(firsts), median(dones)


# --- 3. plan-code CPU speed -----------------------------------------------------------

SNIPPETS = {
    "loop": "total = 0\nfor i in range(N):\n    if i % 3 == 0:\n        total += i\nresult = total",
    "function calls": (
        "def sq(x):\n    return x * x + 1\ntotal = 0\nfor i in range(N):\n    total += sq(i)\n"
        "result = total"
    ),
    "comprehension + str": (
        "words = ['alpha', 'beta', 'gamma', 'delta'] * (N // 4)\n"
        "result = len([w.upper() for w in words if len(w) > 4])"
    ),
    "dict/list": (
        "counts = {}\nfor i in range(N):\n    k = i % 7\n    counts[k] = counts.get(k, 0) + 1\n"
        "result = sorted(counts.items())"
    ),
}


def round4(x: float) -> int:
    """A positive multiple of 4 near `x` (the comprehension snippet builds N // 4 * 4 items)."""
    return max(4, int(x) // 4 * 4)


# Plan-code speed is measured in CPU seconds (of this process, or of the plan
# process), so load from other processes on a shared machine moves it less.


def cpython_run(code: Any, n: int) -> tuple[float, Any]:
    namespace: dict[str, Any] = {"N": n}
    t0 = time.process_time()
    exec(code, namespace)
    return time.process_time() - t0, namespace["result"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def smolagents_runner(source: str) -> Callable[[int], tuple[float, Any]]:
    executor = LocalPythonExecutor(additional_authorized_imports=[], timeout_seconds=None)
    executor.send_tools({})

    def run(n: int) -> tuple[float, Any]:
        executor.send_variables({"N": n})
        t0 = time.process_time()
        executor(source)
        return time.process_time() - t0, executor.state["result"]

    return run


def sync_sizes(
    run: Callable[[int], tuple[float, Any]], n: int, reps: int, expected: Callable[[int], Any]
) -> float:
    """`sizes` for a synchronous engine, checking each result against `expected`."""
    times: dict[int, list[float]] = {n: [], 0: []}
    for _ in range(reps):
        for size in (n, 0):
            elapsed, output = run(size)
            assert json_form(output) == expected(size), f"wrong result for N={size}: {output!r}"
            times[size].append(elapsed)
    return per_item(times[n], times[0], n)


def calibrate(code: Any, seconds: float) -> int:
    """The N at which plain CPython runs the snippet in about `seconds`."""
    probe = 20_000
    each = min(cpython_run(code, probe)[0] for _ in range(3)) / probe
    return round4(seconds / each)


async def snippet_speed(name: str, source: str, config: Config) -> SnippetRow:
    code = compile(source, f"<{name}>", "exec")
    n = calibrate(code, config.cpython_seconds)
    n_smol = round4(n / config.smol_divisor)
    truth: dict[int, Any] = {size: json_form(cpython_run(code, size)[1]) for size in (0, n, n_smol)}
    cpython = sync_sizes(lambda size: cpython_run(code, size), n, config.reps, truth.__getitem__)

    plan = sandbox.compile_plan(source, constants=["N"], limits=LIMITS)

    async def run(size: int) -> tuple[float, Any]:
        # CPU seconds of the (reaped) plan process; its start-up cancels out against N=0.
        t0 = children_cpu()
        _, output = await timed_run_plan(plan, size, {})
        return children_cpu() - t0, output

    def check(size: int, output: Any) -> None:
        assert output == truth[size], f"{name}: sandbox result {output!r} != {truth[size]!r}"

    ours = await sizes(run, n, config.reps, check)
    smol = sync_sizes(smolagents_runner(source), n_smol, config.reps, truth.__getitem__)
    return SnippetRow(name, n, n_smol, cpython * 1e6, ours * 1e6, smol * 1e6)


# --- report ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def verdict(passed: bool | None) -> str:
    return {True: "yes", False: "NO", None: ""}[passed]


def main_table(rows: list[Row]) -> str:
    lines = ["| measure | value | target | met |", "|---|---:|---|---|"]
    lines += [
        f"| {r.measure} | {fmt(r.value)} {r.unit} | {r.target} | {verdict(r.passed)} |"
        for r in rows
    ]
    return "\n".join(lines)


def cpu_table(rows: list[SnippetRow]) -> str:
    lines = [
        "| snippet | N (smolagents N) | CPython µs/iter | sandbox µs/iter | smolagents µs/iter "
        "| sandbox / CPython (≤ 3) | smolagents / sandbox (≥ 20) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        slower, faster = r.sandbox_vs_cpython, r.smolagents_vs_sandbox
        lines.append(
            f"| {r.snippet} | {r.n:,} ({r.n_smolagents:,}) | {fmt(r.cpython_us)} "
            f"| {fmt(r.sandbox_us)} | {fmt(r.smolagents_us)} "
            f"| {slower:.2f}x {verdict(slower <= 3)} | {faster:.1f}x {verdict(faster >= 20)} |"
        )
    return "\n".join(lines)


async def measure(config: Config) -> tuple[list[Row], list[SnippetRow]]:
    blocking, streamed = await pipe_floors(config)
    with one_cpu():
        blocking_pinned = (await pipe_floors(config))[0]
        trip_pinned = (await call_costs(config, ("round trip",)))["round trip"]
    calls = await call_costs(config)
    direct = await direct_round_trip(config)
    warm_first, warm_done = await start_latencies(1, config.warm_reps, config.settle)
    cold_first, cold_done = await start_latencies(0, config.cold_reps, 0.05)
    trip = calls["round trip"]
    rows = [
        Row("call + resolve round trip (run_plan)", trip, "µs", "≤ 100 (goal 50)", trip <= 100),
        Row("call + resolve round trip (run_plan), pinned to 1 CPU", trip_pinned, "µs"),
        Row("call, never resolved (host resolves result)", calls["unresolved"], "µs"),
        Row("call, resolved later in the plan", calls["resolved later"], "µs"),
        Row("call + resolve round trip (PlanProcess, bare host)", direct, "µs"),
        Row("floor: pipe ping-pong, blocking os.read/os.write", blocking, "µs"),
        Row("floor: pipe ping-pong, blocking, pinned to 1 CPU", blocking_pinned, "µs"),
        Row("floor: pipe ping-pong, trio FdStream", streamed, "µs"),
        Row("warm start → first call (spares=1)", warm_first, "ms", "≤ 30", warm_first <= 30),
        Row("warm start → finished", warm_done, "ms"),
        Row("cold start → first call (spares=0)", cold_first, "ms"),
        Row("cold start → finished", cold_done, "ms"),
    ]
    snippets = [await snippet_speed(name, src, config) for name, src in SNIPPETS.items()]
    return rows, snippets


def report(
    config: Config, quick: bool, rows: list[Row], snippets: list[SnippetRow], seconds: float
) -> str:
    info = machine()
    return "\n".join(
        [
            "# sandbox benchmark" + (" (--quick)" if quick else ""),
            "",
            f"{info['python']} on {info['platform']}, processor {info['processor']}, "
            f"{info['cpu_count']} CPUs. Medians of {config.reps} runs per size "
            f"({config.warm_reps} warm / {config.cold_reps} cold starts); {config.calls:,} calls "
            f"per call figure; took {seconds:.0f} s.",
            "",
            main_table(rows),
            "",
            "Plan-code speed, per loop iteration (comprehension: per word):",
            "",
            cpu_table(snippets),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs")
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="also write results here")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    t0 = time.perf_counter()
    rows, snippets = trio.run(measure, config)
    seconds = time.perf_counter() - t0
    print(report(config, args.quick, rows, snippets, seconds))
    if args.json:
        data = {
            "machine": machine(),
            "quick": args.quick,
            "config": asdict(config),
            "seconds": seconds,
            "measures": [asdict(r) for r in rows],
            "cpu": [
                {
                    **asdict(r),
                    "sandbox_vs_cpython": r.sandbox_vs_cpython,
                    "smolagents_vs_sandbox": r.smolagents_vs_sandbox,
                }
                for r in snippets
            ],
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
