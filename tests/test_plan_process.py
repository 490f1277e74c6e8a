"""The plan process and its protocol: handles, parallel calls, isolation, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trio

from sandbox import Call, Finished, HandleRef, Limits, Log, Resolve, Sandbox, compile_plan, run_plan

ROOT = Path(__file__).resolve().parent.parent


def test_calls_return_handles_at_once_and_run_in_parallel(run):
    # Eight 0.3 s sleeps written one after another finish in about one sleep.
    source = "hs = [sleep(0.3) for i in range(8)]\nresult = sum(hs)\n"
    started = time.perf_counter()
    out = run(source)
    elapsed = time.perf_counter() - started
    assert out.status == "ok", out.error
    assert out.output == pytest.approx(2.4)
    assert out.calls == 8
    assert elapsed < 1.5, f"8 sleeps of 0.3 s took {elapsed:.2f} s: calls did not overlap"


def test_every_use_of_a_handle_waits_for_its_value(run):
    out = run(
        "h = echo('abc')\n"
        "n = echo(3)\n"
        "r = echo({'passed': True, 'score': 0.5, 'items': [1, 2]})\n"
        "l = echo([1, 2, 3])\n"
        "result = [str(h), f'{h}!', len(h), h[0], h + 'd', 'x' + h, h == 'abc', h < 'b',\n"
        "          bool(n), n * 2, 2 ** n, n - 1, n / 2, -n, [c for c in h], 'b' in h,\n"
        "          r.passed, r.score, r['items'], r.get('missing', 0), h.upper(),\n"
        "          int(n), float(n), isinstance(l, list), sum(l), sorted(l, reverse=True),\n"
        "          max(l), {h: 1}['abc'], l[1:], 'yes' if r.passed else 'no']\n"
    )
    assert out.status == "ok", out.error
    assert out.output == [
        "abc",
        "abc!",
        3,
        "a",
        "abcd",
        "xabc",
        True,
        True,
        True,
        6,
        8,
        2,
        1.5,
        -3,
        ["a", "b", "c"],
        True,
        True,
        0.5,
        [1, 2],
        0,
        "ABC",
        3,
        3.0,
        True,
        6,
        [3, 2, 1],
        3,
        1,
        [2, 3],
        "yes",
    ]


def test_handles_pass_to_calls_without_waiting(run):
    out = run("a = echo('x')\nb = upper(a)\nc = add(echo(1), echo(2))\nresult = [b, c, a]\n")
    assert out.status == "ok", out.error
    assert out.output == ["X", 3, "x"]


def test_a_failed_primitive_raises_where_its_value_is_used(run):
    out = run(
        "h = fail('boom')\n"
        "try:\n"
        "    str(h)\n"
        "except PrimitiveError as e:\n"
        "    caught = str(e)\n"
        "result = caught\n"
    )
    assert out.status == "ok", out.error
    assert "boom" in out.output
    uncaught = run("h = fail('boom')\nx = 1\nresult = h + 'x'\n")
    assert uncaught.status == "error"
    assert uncaught.error_type == "PrimitiveError"
    assert uncaught.line == 3


def test_only_json_and_handles_cross_the_boundary(run):
    out = run("def f():\n    return 1\nresult = echo(f)\n")
    assert out.status == "error"
    assert "cannot send a `function`" in out.error
    out = run("def f():\n    return 1\nresult = f\n")
    assert out.status == "error"
    assert "`result` must be JSON data" in out.error
    loop = run("x = []\nx.append(x)\nresult = echo(x)\n")
    assert loop.status == "error"
    assert "nested deeper" in loop.error


def test_dicts_that_look_like_handles_survive_the_trip(run):
    out = run("result = echo({'$handle': 5, 'other': [{'$dict': 1}]})\n")
    assert out.status == "ok", out.error
    assert out.output == {"$handle": 5, "other": [{"$dict": 1}]}


def test_secret_in_parent_environment_is_not_in_the_plan_process(pool, run, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    with Sandbox(spares=0) as sandbox:
        proc = sandbox._spawn()
        try:
            environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
        finally:
            proc.kill()
            proc.wait()
    assert b"sk-secret-value" not in environ
    assert b"OPENAI_API_KEY" not in environ
    # and no plan can reach the environment by any name it could write
    for attempt in ("os.environ", "open('/proc/self/environ').read()", "__import__('os')"):
        assert run(f"result = {attempt}\n").status == "rejected"


def test_a_process_runs_one_plan_and_spares_are_warm():
    plan = compile_plan("result = echo(1)\n", primitives=["echo"])

    async def main() -> list[int]:
        pids = []
        with Sandbox(spares=1) as sandbox:
            for _ in range(3):
                await trio.sleep(0.3)  # let the refill thread boot the next spare
                proc = await sandbox.start(plan)
                pids.append(proc.pid)
                async for event in proc.events():
                    if isinstance(event, Resolve):
                        await proc.send_value(event.id, 1)
                assert isinstance(event, Finished) and event.status == "ok"
        return pids

    pids = trio.run(main)
    assert len(set(pids)) == 3


def test_driving_a_plan_process_directly():
    plan = compile_plan(
        "x = echo('a')\nprint('got', x)\nresult = [x, echo('b')]\n", primitives=["echo"]
    )

    async def main() -> list[object]:
        seen: list[object] = []
        with Sandbox(spares=0) as sandbox:
            proc = await sandbox.start(plan)
            async for event in proc.events():
                seen.append(event)
                if isinstance(event, Resolve):
                    await proc.send_value(event.id, "A")
        return seen

    events = trio.run(main)
    kinds = [type(e) for e in events]
    assert kinds == [Call, Resolve, Log, Call, Finished]
    assert events[0] == Call(1, "echo", ["a"], {})
    assert events[2] == Log("got A\n")
    final = events[-1]
    assert isinstance(final, Finished)
    assert final.status == "ok"
    # handles in the result stay references, resolved or not: the host sees the data edges
    assert final.result == [HandleRef(1), HandleRef(2)]


def test_kill_ends_the_run_with_the_reason():
    plan = compile_plan("h = echo(1)\nresult = str(h)\n", primitives=["echo"])

    async def main() -> Finished:
        with Sandbox(spares=0) as sandbox:
            proc = await sandbox.start(plan)
            async for event in proc.events():
                if isinstance(event, Resolve):
                    proc.kill("wall", "stopped by the test")
                if isinstance(event, Finished):
                    return event
        raise AssertionError("no Finished event")

    final = trio.run(main)
    assert final.status == "limit"
    assert final.limit == "wall"
    assert final.error == "stopped by the test"


def test_start_checks_constants():
    plan = compile_plan("result = TASK\n", constants=["TASK"])

    async def main() -> None:
        with Sandbox(spares=0) as sandbox:
            await sandbox.start(plan, constants={})

    with pytest.raises(ValueError, match="TASK"):
        trio.run(main)


def test_run_plan_async_entry_point():
    async def main():
        return await run_plan("result = echo(2) * 3\n", {"echo": lambda x: x})

    assert trio.run(main).output == 6


@pytest.mark.parametrize(
    "plan, status, code",
    [
        ("result = upper(echo('hi'))\n", "ok", 0),
        ("result = nope\n", "rejected", 1),
        ("result = 1 / 0\n", "error", 1),
        ("while True:\n    pass\nresult = 1\n", "limit", 1),
    ],
)
def test_cli_prints_one_json_object(tmp_path, plan, status, code):
    path = tmp_path / "plan.py"
    path.write_text(plan)
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    data = json.loads(proc.stdout)
    assert data["status"] == status
    assert proc.returncode == code
    if status == "ok":
        assert data["output"] == "HI"
    assert {"status", "output", "error", "steps"} <= set(data)


def test_limits_are_validated():
    with pytest.raises(ValueError, match="steps"):
        Limits(steps=0)
    with pytest.raises(TypeError):
        Limits(5)  # type: ignore[misc]


def test_plan_process_has_no_site_packages():
    # The child runs with -I -S: neither our dependencies nor the user's site are importable.
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; print(any('site-packages' in p for p in sys.path))",
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.defpath},
    )
    assert out.stdout.strip() == "False"


def test_a_prelude_defines_plan_side_helpers(pool):
    prelude = "def parallel(fn, items):\n    return [fn(x) for x in items]\n"
    plan = compile_plan(
        "result = parallel(upper, ['a', 'b'])\n", primitives=["upper"], prelude=prelude
    )

    async def main():
        from sandbox import run_plan

        return await run_plan(plan, {"upper": str.upper}, sandbox=pool)

    out = trio.run(main)
    assert out.status == "ok", out.error
    assert out.output == ["A", "B"]
    assert out.calls == 2
    # without the prelude the name is unknown
    assert run_plan_rejected("result = parallel(upper, [])\n")


def run_plan_rejected(source: str) -> bool:
    from sandbox import check_plan

    return any("parallel" in str(p) for p in check_plan(source, primitives=["upper"]))
