"""Bombs end within about a second of their limit, with an error naming the limit,
and the host keeps working afterwards."""

from __future__ import annotations

import time

import pytest

SLACK = 2.5  # seconds beyond the limit itself: process start, CI noise


def contained(run, source, limit, *fragments, budget=SLACK, **limits):
    started = time.perf_counter()
    out = run(source, **limits)
    elapsed = time.perf_counter() - started
    assert out.status == "limit", f"{out.status}: {out.error}"
    assert out.limit == limit, out
    for fragment in fragments:
        assert fragment in out.error, out.error
    assert elapsed < budget, f"{limit} took {elapsed:.1f} s"
    # the host is unaffected
    again = run("result = upper(echo('still here'))\n")
    assert again.status == "ok" and again.output == "STILL HERE"
    return out


def test_infinite_loop_hits_the_step_limit(run):
    out = contained(
        run,
        "while True:\n    pass\nresult = 1\n",
        "steps",
        "step limit of 1,000,000",
        "Limits.steps",
    )
    assert out.steps == 1_000_001


def test_infinite_loop_hits_the_cpu_limit(run):
    contained(
        run,
        "while True:\n    pass\nresult = 1\n",
        "cpu",
        "1.0 CPU seconds",
        budget=1.0 + SLACK,
        steps=10**12,
        cpu_seconds=1.0,
    )


def test_c_level_loop_is_stopped_by_the_cpu_limit(run):
    # One long C call: no step is counted inside it; RLIMIT_CPU still ends it.
    contained(
        run,
        "result = 3 ** 10**8 % 7\n",
        "cpu",
        budget=2.0 + SLACK,
        cpu_seconds=1.0,
        max_int_bits=10**10,
    )


def test_deep_recursion(run):
    contained(
        run,
        "def f(n):\n    return f(n + 1)\nresult = f(0)\n",
        "recursion",
        "deeper than 200 frames",
    )


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("result = 10**10**8\n", "`**` would build an int"),
        ("result = 'x'.ljust(2*10**9)\n", "`str.ljust` would build"),
        ("result = f'{1:>{2*10**9}}'\n", "the format spec"),
        ("x = [1]\nwhile True:\n    x = x + x\nresult = x\n", "`+` would build"),
        ("x = [1]\nwhile True:\n    x += x\nresult = x\n", "`+` would build"),
        ("x = 'ab'\nwhile True:\n    x = x * 2\nresult = x\n", "`*` would build"),
        ("x = [1]\nwhile True:\n    x.extend(x)\nresult = x\n", "`list.extend` would build"),
        ("result = 1 << 10**9\n", "`<<` would build"),
        ("result = list(range(10**9))\n", "`list` would build"),
        (
            "s = 'a' * 10**6\nresult = s.replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbb')\n",
            "`str.replace`",
        ),
        ("result = ('x' * 10**6).join(['a'] * 100)\n", "`str.join`"),
    ],
)
def test_size_bombs_are_stopped_before_they_allocate(run, source, fragment):
    contained(run, source, "size", fragment, "Limits.max")


@pytest.mark.parametrize(
    "source",
    [
        "result = 'x'.ljust(2*10**9)\n",
        "result = f'{1:>{2*10**9}}'\n",
        "x = [[0] * 10**7 for i in range(100)]\nresult = 1\n",
    ],
)
def test_memory_limit_is_the_backstop_for_c_level_bombs(run, source):
    # With the size guard opened wide, RLIMIT_AS still contains the allocation.
    contained(run, source, "memory", "256 MB", memory_mb=256, max_sequence=10**12)


def test_print_flood_hits_the_output_limit(run):
    out = contained(
        run,
        "while True:\n    print('flood' * 100)\nresult = 1\n",
        "output",
        "1,000 characters",
        output_chars=1000,
    )
    assert len(out.log) <= 1000


def test_wall_time_limit_kills_a_waiting_plan(run):
    contained(
        run,
        "result = str(sleep(30))\n",
        "wall",
        "1.0 seconds",
        budget=1.0 + SLACK,
        wall_seconds=1.0,
    )


def test_a_plan_cannot_catch_its_way_out_of_a_limit(run):
    swallow = (
        "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nresult = 'escaped'\n"
    )
    out = contained(run, swallow, "steps", steps=1000)
    assert out.output is None
    # a for loop ends quietly when steps run out; the run is still marked, and no
    # further call leaves the plan
    quiet = "for i in range(10**9):\n    pass\nh = echo(1)\nresult = 'done'\n"
    out = contained(run, quiet, "steps", steps=1000)
    assert out.calls == 0
    # exhaustion is sticky: every later step fails again
    retry = (
        "def spin():\n    while True:\n        pass\n"
        "for k in range(3):\n    try:\n        spin()\n    except Exception:\n        pass\n"
        "result = 1\n"
    )
    contained(run, retry, "steps", steps=1000)


def test_size_limit_cannot_be_caught(run):
    out = run("try:\n    x = 'a' * 10**9\nexcept Exception:\n    x = 'caught'\nresult = x\n")
    assert out.status == "limit" and out.limit == "size"


def test_steps_are_counted_per_item_and_call(run):
    out = run("def f(x):\n    return x\nys = [f(i) for i in range(10)]\nresult = ys\n")
    assert out.status == "ok"
    assert out.steps == 20  # 10 comprehension items + 10 function entries
    assert run("result = [i for i in range(50)]\n", steps=49).limit == "steps"
    assert run("result = [i for i in range(49)]\n", steps=49).status == "ok"
