"""Parallel efficiency and dispatch overhead of the codeplan runtime.

Runs, side by side in one process, under a fake model latency (200 ms by default):

* fan-outs of 8, 32 and 128 independent `generate` calls, and a three-level DAG
  (generate -> validate by a judge model -> select), through `codeplan.execute`;
  reported as wall time / critical path of the executed graph (1.00 is perfect);
* the same plans run by smolagents' `LocalPythonExecutor` (the CodeAgent's
  interpreter) with the primitives as tools, which calls them one after another;
* dispatch overhead per primitive call end to end (plan call -> host -> answer),
  with a no-op user primitive.

Usage: python bench/bench_runtime.py [--quick] [--latency 0.2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import codeplan

FAN_OUT = "drafts = [generate(TASK, max_tokens=8) for i in range({n})]\nresult = drafts\n"
DAG = (
    "drafts = [generate(TASK, max_tokens=8) for i in range({n})]\n"
    "verdicts = [validate(d) for d in drafts]\n"
    "best = select(drafts, verdicts)\n"
    "result = generate(best, max_tokens=8)\n"
)


def codeplan_ratio(plan: str, n: int, model: str, judge: str, reps: int) -> dict[str, float]:
    ratios, walls, paths = [], [], []
    for _ in range(reps):
        result = codeplan.execute(
            plan.format(n=n),
            "write",
            model=model,
            judge_model=judge,
            requirements=["is polite"],
            max_concurrency=max(n, 8),
            cache=False,  # every repetition pays its latency
        )
        assert result.status == "ok", result.error
        _, path = result.graph.critical_path()
        wall = result.graph.wall()
        walls.append(wall)
        paths.append(path)
        ratios.append(wall / path)
    return {
        "ratio": statistics.median(ratios),
        "wall": statistics.median(walls),
        "critical_path": statistics.median(paths),
    }


def smolagents_ratio(plan: str, n: int, latency: float) -> dict[str, float]:
    """The same plan in smolagents' interpreter, with sleeping tools as primitives."""
    from smolagents.local_python_executor import LocalPythonExecutor

    def generate(prompt: str, max_tokens: int = 8) -> str:
        time.sleep(latency)
        return "draft"

    def validate(draft: str) -> dict[str, Any]:
        time.sleep(latency)
        return {"passed": True, "score": 1.0}

    def select(drafts: list[str], verdicts: list[Any]) -> str:
        return drafts[0]

    # The interpreter calls tools as plain callables, one after another.
    tools = {"generate": generate, "validate": validate, "select": select}
    executor = LocalPythonExecutor(additional_authorized_imports=[], timeout_seconds=None)
    executor.send_tools(tools)
    executor.send_variables({"TASK": "write"})
    started = time.perf_counter()
    executor(plan.format(n=n))
    wall = time.perf_counter() - started
    path = latency * (1 if plan is FAN_OUT else 3)
    return {"ratio": wall / path, "wall": wall, "critical_path": path}


def dispatch_overhead(n: int, reps: int) -> float:
    """Microseconds per call of a no-op primitive, plan call to answer, end to end."""

    @codeplan.primitive
    def noop(x: int) -> int:
        """Return x."""
        return x

    def timed(size: int) -> float:
        plan = f"total = 0\nfor i in range({size}):\n    total += noop(i)\nresult = total\n"
        result = codeplan.execute(plan, "t", model="fake/echo", primitives=[noop])
        assert result.status == "ok", result.error
        return result.usage.wall_seconds

    big = [timed(n) for _ in range(reps)]
    small = [timed(0) for _ in range(reps)]
    return (statistics.median(big) - statistics.median(small)) / n * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repetitions")
    parser.add_argument("--latency", type=float, default=0.2, help="fake model latency, s")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    reps = 1 if args.quick else 3
    sizes = (8, 32) if args.quick else (8, 32, 128)
    model = codeplan.fake_model("bench-writer", reply=lambda m: "draft", latency=args.latency)
    judge = codeplan.fake_model(
        "bench-judge", reply=lambda m: "SCORE: 9\nREASON: fine", latency=args.latency
    )
    rows: list[dict[str, Any]] = []
    for name, plan, ns in (("fan-out", FAN_OUT, sizes), ("3-level DAG", DAG, (8,))):
        for n in ns:
            ours = codeplan_ratio(plan, n, model, judge, reps)
            smol = smolagents_ratio(plan, n if n <= 32 or not args.quick else 8, args.latency)
            rows.append({"plan": name, "n": n, "codeplan": ours, "smolagents": smol})
    overhead = dispatch_overhead(200 if args.quick else 1000, reps)

    print("# runtime benchmark\n")
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"fake latency {args.latency * 1000:.0f} ms; medians of {reps} run(s).\n"
    )
    print(
        "| plan | calls | codeplan wall | critical path | wall / critical path | "
        "wall / ideal | smolagents wall | smolagents wall / ideal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ours, smol = row["codeplan"], row["smolagents"]
        ideal = smol["critical_path"]  # latency x levels: what perfect parallelism takes
        print(
            f"| {row['plan']} | {row['n']} | {ours['wall']:.3f} s | {ours['critical_path']:.3f} s "
            f"| {ours['ratio']:.3f} | {ours['wall'] / ideal:.2f} | {smol['wall']:.2f} s "
            f"| {smol['wall'] / ideal:.1f} |"
        )
    print(
        "\nwall / critical path: the executed graph's own (node durations include time in "
        "litellm and the thread pool); wall / ideal: against model latency x graph depth."
    )
    print(f"\nDispatch overhead per primitive call, end to end: {overhead:.0f} µs (median)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "dispatch_us": overhead}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
