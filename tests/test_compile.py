"""The static check and the policy: every problem at once, each with its line and a fix."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import Limits, PlanRejected, check_plan, compile_plan

PRIMS = ["generate", "validate", "best_of"]


def messages(source: str, **kw) -> list[str]:
    return [str(p) for p in check_plan(textwrap.dedent(source), primitives=PRIMS, **kw)]


def test_a_good_plan_has_no_problems():
    assert messages("drafts = best_of(4, 'task')\nresult = [validate(d) for d in drafts]\n") == []


def test_all_problems_are_reported_at_once_with_lines_and_suggestions():
    found = messages("""\
        draft = genrate("x")
        verdict = valdate(draft)
        import os
        class A:
            pass
        result = lenght(draft)
    """)
    assert found == [
        "line 1: unknown name `genrate` — did you mean `generate`?",
        "line 2: unknown name `valdate` — did you mean `validate`?",
        "line 3: imports are not allowed in plans (`os`): every primitive and allowed builtin is already in scope.",
        "line 4: class definitions are not allowed in plans (`class A`): use dicts for records and functions for behaviour.",
        "line 6: unknown name `lenght` — did you mean `len`?",
    ]


def test_compile_plan_raises_with_every_problem():
    with pytest.raises(PlanRejected) as info:
        compile_plan("x = genrate(1)\nresult = y\n", primitives=PRIMS)
    assert len(info.value.problems) == 2
    assert "line 1: unknown name `genrate`" in str(info.value)
    assert "line 2: unknown name `y`" in str(info.value)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("result = 1\nwith x:\n    pass\n", "line 2: `with` statements are not allowed"),
        ("def f():\n    yield 1\nresult = 1\n", "line 2: generators (`yield`)"),
        ("try:\n    pass\nexcept:\n    pass\nresult = 1\n", "line 3: bare `except:`"),
        (
            "try:\n    pass\nexcept (ValueError, SystemExit):\n    pass\nresult = 1\n",
            "line 3: catching `SystemExit`",
        ),
        ("def deco(f):\n    return f\n@deco\ndef g():\n    pass\nresult = 1\n", "decorators"),
        ("result = generate(_x=1)\n", '"_x" is an invalid keyword argument'),
        ("result = _secret\n", '"_secret" is an invalid variable name'),
        ("x = 1\nx.y += 1\nresult = x\n", "augmented assignment of attributes"),
        ("result = open('f')\n", "`open` is not available in plans: plans have no files"),
        ("result = 1 +\n", "line 1: syntax error"),
        ("x = 1\n", "never assigns `result`"),
        ("async def f():\n    pass\nresult = 1\n", "AsyncFunctionDef"),
        ("match 1:\n    case 1:\n        pass\nresult = 1\n", "Match"),
    ],
)
def test_policy_rejections_name_the_line_and_the_fix(source, expected):
    found = messages(source)
    assert any(expected in m for m in found), found


def test_source_and_tree_size_caps():
    assert (
        "the limit is 100" in messages("result = 1" + " " * 200, limits=Limits(source_chars=100))[0]
    )
    big = "result = [" + ", ".join(["1"] * 200) + "]\n"
    assert "syntax nodes; the limit is 50" in messages(big, limits=Limits(ast_nodes=50))[0]


def test_constants_and_plan_names_are_known():
    assert (
        messages(
            "def f(a, *rest, k=1, **kw):\n    return TASK\nresult = f(1)\n", constants=["TASK"]
        )
        == []
    )
    assert messages("for i, (a, b) in enumerate([]):\n    pass\nresult = [i, a, b]\n") == []


# Property: for integer arithmetic, the sandbox computes what CPython computes.
leaf = st.integers(min_value=-20, max_value=20).map(str)
ops = st.sampled_from(["+", "-", "*", "//", "%", "&", "|", "^", ">>"])


def expr(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return leaf
    sub = expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, ops, sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        # small exponents and shifts keep the oracle's own values bounded
        st.tuples(sub, st.integers(0, 3)).map(lambda t: f"({t[0]} ** {t[1]})"),
        st.tuples(sub, st.integers(0, 8)).map(lambda t: f"({t[0]} << {t[1]})"),
    )


def python_value(e: str) -> object:
    try:
        return eval(e, {"__builtins__": {}})
    except (ZeroDivisionError, ValueError) as err:
        return type(err).__name__


@settings(max_examples=15, deadline=None)
@given(st.lists(expr(3), min_size=20, max_size=20))
def test_arithmetic_matches_cpython(run, exprs):
    attempts = ",\n       ".join(f"attempt(lambda: {e})" for e in exprs)
    plan = (
        "def attempt(f):\n"
        "    try:\n        return f()\n"
        "    except ZeroDivisionError:\n        return 'ZeroDivisionError'\n"
        "    except ValueError:\n        return 'ValueError'\n"
        f"result = [{attempts}]\n"
    )
    out = run(plan)
    assert out.status == "ok", out.error
    assert out.output == [python_value(e) for e in exprs]
