"""Known sandbox-escape classes are blocked, each named after the advisory it comes from.

Every attack must end as `rejected` (the policy or the static check refused the
source) or as an `error` raised by a guard at run time — never as `ok` with a
host object in hand. Defence in depth beyond these: the plan process has no
environment, no importable packages, and hard resource limits.
"""

from __future__ import annotations

import pytest


def blocked(out, *fragments: str) -> None:
    assert out.status in ("rejected", "error"), f"attack ran: {out}"
    text = (out.error or "") + " ".join(str(p) for p in out.problems)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


# CVE-2023-37271 (RestrictedPython): generator `gi_frame` -> f_back -> f_globals walk.
@pytest.mark.parametrize(
    "source, why",
    [
        ("g = (x for x in [1])\nresult = g.gi_frame\n", "gi_frame"),
        ("def gen():\n    yield 1\nresult = gen()\n", "yield"),
        ("def gen():\n    yield from [1]\nresult = 1\n", "yield"),
        ("result = [x for x in [1]].gi_frame.f_back\n", "gi_frame"),
        ("def f():\n    return 1\nresult = f.__code__\n", "__code__"),
    ],
)
def test_cve_2023_37271_generator_and_frame_walks(run, source, why):
    blocked(run(source), why)


def test_generator_expressions_become_lists_so_no_generator_exists(run):
    out = run("g = (x for x in [1, 2])\nresult = [isinstance(g, list), len(g), g]\n")
    assert out.status == "ok", out.error
    assert out.output == [True, 2, [1, 2]]


# CVE-2023-41039 and CVE-2026-76825 (RestrictedPython): str.format / format_map and
# string.Formatter field resolution reach attributes the guard never saw.
@pytest.mark.parametrize(
    "source, why",
    [
        ("result = '{0.__class__}'.format(1)\n", "`str` has no attribute `format`"),
        ("result = '{x.__class__}'.format_map({'x': 1})\n", "`str` has no attribute `format_map`"),
        (
            "import string\nresult = string.Formatter().format('{0.__class__}', 1)\n",
            "imports are not allowed",
        ),
        ("result = format(1, '{0.__class__}')\n", "`format` is not available"),
        ("x = 1\nresult = f'{x.__class__}'\n", "__class__"),
    ],
)
def test_cve_2023_41039_and_cve_2026_76825_format_traversal(run, source, why):
    blocked(run(source), why)


# CVE-2025-9959 and CVE-2026-4963 (smolagents), RestrictedPython #142: dunder names
# reached through getattr-like helpers instead of attribute syntax.
@pytest.mark.parametrize(
    "source, why",
    [
        ("result = getattr([], '__class__')\n", "`getattr` is not available"),
        ("result = hasattr([], '__class__')\n", "`hasattr` is not available"),
        ("x = {}\nsetattr(x, '__class__', 1)\nresult = x\n", "`setattr` is not available"),
        ("result = vars([])\n", "`vars` is not available"),
        ("result = dir()\n", "`dir` is not available"),
        ("result = type(1).__subclasses__()\n", "`type` is not available"),
        ("result = [].__class__.__base__.__subclasses__()\n", "__class__"),
        ("result = __builtins__\n", "__builtins__"),
        ("result = globals()\n", "`globals` is not available"),
        ("result = __import__('os')\n", "__import__"),
        ("result = eval('1')\n", "`eval`"),
    ],
)
def test_cve_2025_9959_dunders_through_helpers(run, source, why):
    blocked(run(source), why)


# CVE-2025-22153 (RestrictedPython): try/except* type confusion; plus exception
# attributes that hold objects or frames (AttributeError.obj, __traceback__).
@pytest.mark.parametrize(
    "source, why",
    [
        ("try:\n    1/0\nexcept* Exception:\n    pass\nresult = 1\n", "TryStar"),
        (
            "try:\n    [].nope\nexcept AttributeError as e:\n    result = e.obj\n",
            "has no attribute `obj`",
        ),
        (
            "try:\n    [].nope\nexcept AttributeError as e:\n    result = e.name\n",
            "has no attribute `name`",
        ),
        ("try:\n    1/0\nexcept Exception as e:\n    result = e.__traceback__\n", "__traceback__"),
        (
            "try:\n    1/0\nexcept Exception as e:\n    result = e.with_traceback\n",
            "has no attribute `with_traceback`",
        ),
        ("try:\n    1/0\nexcept BaseException:\n    result = 1\n", "catching `BaseException`"),
        ("try:\n    1/0\nexcept:\n    result = 1\n", "bare `except:`"),
    ],
)
def test_cve_2025_22153_exception_objects(run, source, why):
    blocked(run(source), why)


# CVE-2026-55830 (RestrictedPython): underscore names (guard hooks) bound through
# positional-only parameters or keyword arguments.
@pytest.mark.parametrize(
    "source, why",
    [
        ("def f(_getattr_, /):\n    return 1\nresult = f(1)\n", "_getattr_"),
        ("result = echo(_secret=1)\n", "invalid keyword argument"),
        ("result = echo(1, **{'_secret': 2})\n", "invalid keyword argument"),
        ("result = (lambda _write_: 1)(2)\n", "_write_"),
    ],
)
def test_cve_2026_55830_underscore_bindings(run, source, why):
    blocked(run(source), why)


# smolagents #2395: objects whose hooks (__del__, __eq__, __reduce__) the host would
# call later. Plans cannot define classes, and only exact JSON crosses to the host.
@pytest.mark.parametrize(
    "source, why",
    [
        ("class A:\n    def __del__(self):\n        pass\nresult = A()\n", "class definitions"),
        ("result = echo(lambda: 1)\n", "cannot send a `function`"),
        ("result = echo({1: 'int key'})\n", "keys must be str"),
        ("result = echo(float('nan'))\n", "not finite"),
        ("result = echo(range(3))\n", "cannot send a `range`"),
        ("result = echo(echo)\n", "cannot send a `function`"),
    ],
)
def test_host_hooks_never_receive_plan_objects(run, source, why):
    blocked(run(source), why)


# Host-object attribute walks: every attribute read goes through an allowlist by
# exact type, so primitives, builtins and host records expose nothing else.
@pytest.mark.parametrize(
    "source, why",
    [
        ("result = echo.func_globals\n", "`function` has no attribute `func_globals`"),
        ("result = len.self\n", "has no attribute `self`"),
        ("result = str.maketrans\n", "has no attribute `maketrans`"),
        ("result = {}.keys().mapping\n", "has no attribute `mapping`"),
        ("r = echo({'a': 1})\nresult = r.fromkeys\n", "no field `fromkeys`"),
        ("result = (1).real\n", "`int` has no attribute `real`"),
        ("with open('x') as f:\n    result = 1\n", "`with` statements"),
        ("result = [].__class__\n", "__class__"),
    ],
)
def test_host_object_attribute_walks(run, source, why):
    blocked(run(source), why)


def test_records_read_fields_and_dict_methods_only(run):
    out = run(
        "r = echo({'keys': 'field wins', 'n': 1})\nresult = [r.keys, r.n, r.get('n'), list(r.items())]\n"
    )
    assert out.status == "ok", out.error
    assert out.output == ["field wins", 1, 1, [["keys", "field wins"], ["n", 1]]]


def test_values_are_immutable_except_lists_and_dicts(run):
    blocked(run("s = 'abc'\ns.x = 1\nresult = s\n"), "cannot be changed")
    blocked(run("t = (1, 2)\nt[0] = 5\nresult = t\n"), "does not support item assignment")
    blocked(run("h = echo([1])\nh[0] = 5\nresult = h\n"), "does not support item assignment")
