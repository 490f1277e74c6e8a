"""What plans can use: ordinary, readable Python."""

from __future__ import annotations

import textwrap

import pytest


def src(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


def test_comprehensions_lambdas_fstrings_functions(run):
    out = run(
        src("""
        words = "the quick brown fox jumps".split()
        lengths = {w: len(w) for w in words}
        long = [w.upper() for w in words if len(w) > 3]
        firsts = {w[0] for w in words}
        key = lambda w: (-len(w), w)
        def describe(w, suffix="!"):
            return f"{w:>6}|{len(w):03d}{suffix}"
        result = {
            "lengths": lengths,
            "long": long,
            "firsts": sorted(firsts),
            "sorted": sorted(words, key=key),
            "described": [describe(w) for w in words[:2]],
            "total": sum(len(w) for w in words),
            "nested": [[i * j for j in range(3)] for i in range(3)],
        }
    """)
    )
    assert out.status == "ok", out.error
    assert out.output["lengths"]["quick"] == 5
    assert out.output["long"] == ["QUICK", "BROWN", "JUMPS"]
    assert out.output["firsts"] == ["b", "f", "j", "q", "t"]
    assert out.output["sorted"][0] == "brown"
    assert out.output["described"] == ["   the|003!", " quick|005!"]
    assert out.output["total"] == 21
    assert out.output["nested"] == [[0, 0, 0], [0, 1, 2], [0, 2, 4]]


def test_loops_try_except_and_methods(run):
    out = run(
        src("""
        counts = {}
        for ch in "mississippi":
            counts[ch] = counts.get(ch, 0) + 1
        counts["s"] += 10
        n, acc = 0, []
        while n < 5:
            n += 1
            if n == 2:
                continue
            acc.append(n)
        else:
            acc.append(-1)
        try:
            1 / 0
        except ZeroDivisionError as e:
            caught = str(e)
        try:
            [][3]
        except (IndexError, KeyError):
            caught2 = "index"
        try:
            raise ValueError("bad value")
        except Exception as e:
            caught3 = e.args[0]
        d = {"a": 1}
        d.update({"b": 2})
        d.setdefault("c", 3)
        pairs = [(k, v) for k, v in d.items()]
        a, (b, c) = 1, (2, 3)
        result = [counts, acc, caught, caught2, caught3, pairs, [a, b, c], "-".join(["x", "y"])]
    """)
    )
    assert out.status == "ok", out.error
    counts, acc, caught, caught2, caught3, pairs, abc, joined = out.output
    assert counts == {"m": 1, "i": 4, "s": 14, "p": 2}
    assert acc == [1, 3, 4, 5, -1]
    assert caught == "division by zero"
    assert (caught2, caught3) == ("index", "bad value")
    assert pairs == [["a", 1], ["b", 2], ["c", 3]]
    assert abc == [1, 2, 3]
    assert joined == "x-y"


def test_builtins_work_on_plain_values(run):
    out = run(
        src("""
        xs = [3, 1, 2]
        result = [min(xs), max(xs), sum(xs), sorted(xs), list(reversed(xs)),
                  list(enumerate("ab")), list(zip(xs, "abc")), any(x > 2 for x in xs),
                  all(x > 0 for x in xs), list(map(lambda x: x * 2, xs)),
                  list(filter(lambda x: x % 2, xs)), dict(a=1), tuple(xs), len(set(xs)),
                  isinstance(xs, list), round(2.567, 2), abs(-3), divmod(7, 2), pow(2, 10),
                  int("42"), float("1.5"), str(12), bool(0), ord("a"), chr(98), max(1, 5, 2)]
    """)
    )
    assert out.status == "ok", out.error
    assert out.output == [
        1,
        3,
        6,
        [1, 2, 3],
        [2, 1, 3],
        [[0, "a"], [1, "b"]],
        [[3, "a"], [1, "b"], [2, "c"]],
        True,
        True,
        [6, 2, 4],
        [3, 1],
        {"a": 1},
        [3, 1, 2],
        3,
        True,
        2.57,
        3,
        [3, 1],
        1024,
        42,
        1.5,
        "12",
        False,
        97,
        "b",
        5,
    ]


def test_print_goes_to_the_log(run):
    out = run('print("hello", 42, sep=", ")\nprint("bye")\nresult = None\n')
    assert out.status == "ok"
    assert out.log == "hello, 42\nbye\n"


def test_the_output_is_the_top_level_result(run):
    out = run("def f():\n    result = 'inner'\n    return result\nresult = [f(), 'outer']\n")
    assert out.output == ["inner", "outer"]


def test_constants_are_in_scope(run):
    out = run(
        "result = TASK.upper() + str(len(REQUIREMENTS))\n",
        constants={"TASK": "write", "REQUIREMENTS": ["a", "b"]},
    )
    assert out.status == "ok", out.error
    assert out.output == "WRITE2"


@pytest.mark.parametrize(
    "body, message",
    [
        ("result = undefined_later\nundefined_later = 1", "undefined_later"),
        ("result = {}['missing']", "missing"),
        ("result = int('x')", "invalid literal"),
    ],
)
def test_runtime_errors_report_type_message_and_line(run, body, message):
    out = run(body + "\n")
    assert out.status == "error"
    assert message in out.error
    assert out.line == 1
