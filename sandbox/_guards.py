"""The hidden names restricted plan code calls: attribute, item, iteration,
operator and step guards.

Stdlib only, and imported only by the plan process (and by the compiler, for the
builtin names). Every guard checks exact types: plans cannot define classes, so
the only objects they hold are JSON-like values, functions, handles and records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NoReturn

from ._values import (
    BudgetExceeded,
    Handle,
    PlanError,
    PlanLimit,
    PrimitiveError,
    Record,
    value_of,
)

# --- attribute allowlist, by exact type ------------------------------------------

_STR_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "center",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rjust",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "zfill",
    ]
)
_LIST_METHODS = frozenset(
    [
        "append",
        "clear",
        "copy",
        "count",
        "extend",
        "index",
        "insert",
        "pop",
        "remove",
        "reverse",
        "sort",
    ]
)
_DICT_METHODS = frozenset(
    ["clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"]
)
_SET_METHODS = frozenset(
    [
        "add",
        "clear",
        "copy",
        "difference",
        "discard",
        "intersection",
        "isdisjoint",
        "issubset",
        "issuperset",
        "pop",
        "remove",
        "symmetric_difference",
        "union",
        "update",
    ]
)
PLAN_EXCEPTIONS: tuple[type[Exception], ...] = (
    Exception,
    ArithmeticError,
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    LookupError,
    NameError,
    NotImplementedError,
    OverflowError,
    RecursionError,
    RuntimeError,
    StopIteration,
    TimeoutError,
    TypeError,
    ValueError,
    ZeroDivisionError,
    PlanError,
    PrimitiveError,
    BudgetExceeded,
)
ALLOWED_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: _LIST_METHODS,
    dict: _DICT_METHODS,
    Record: _DICT_METHODS,
    set: _SET_METHODS,
    frozenset: frozenset(
        ["copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset", "union"]
    ),
    tuple: frozenset({"count", "index"}),
    int: frozenset({"bit_length"}),
    float: frozenset({"is_integer"}),
    # exceptions expose their message arguments and nothing else (no traceback, no .obj)
    **{cls: frozenset({"args"}) for cls in PLAN_EXCEPTIONS},
}
_VIEWS: tuple[Any, ...] = ({}.keys(), {}.values(), {}.items())
_CONTAINERS: tuple[Any, ...] = ([], (), "", {}, set(), range(1), frozenset(), *_VIEWS)
ITERABLE_TYPES: frozenset[type] = frozenset(
    {list, tuple, str, dict, Record, set, frozenset, range, enumerate, zip, map, filter, reversed}
    | {type(iter(x)) for x in _CONTAINERS}
    | {type(reversed([])), type(reversed(range(1)))}
    | {type(v) for v in _VIEWS}
)
# Attributes `_getattr_` returns without further checks: no Record (its fields come
# first) and no method whose result size depends on its arguments.
_SIZED_NAMES = frozenset({"ljust", "rjust", "center", "zfill", "replace", "join", "extend"})
FAST_ATTRIBUTES: dict[type, frozenset[str]] = {
    t: names - _SIZED_NAMES for t, names in ALLOWED_ATTRIBUTES.items() if t is not Record
}
SMALL = 1 << 31  # ints below this multiply without a size check
INDEXABLE_TYPES = frozenset({list, tuple, str, dict, Record, range})
WRITABLE_TYPES = frozenset({list, dict, Record})
SEQUENCE_TYPES = frozenset({str, list, tuple})


def iterable(obj: Any) -> Any:
    """`obj` (its value, for a handle) if plans may iterate it; else a TypeError."""
    if type(obj) is Handle:
        obj = obj._get()
    if type(obj) not in ITERABLE_TYPES:
        raise TypeError(f"`{type(obj).__name__}` values cannot be iterated in plans.")
    return obj


def _fail_attribute(obj: Any, name: str) -> NoReturn:
    kind = type(obj).__name__
    allowed = ALLOWED_ATTRIBUTES.get(type(obj))
    hint = f" Available on `{kind}`: {', '.join(sorted(allowed))}." if allowed else ""
    raise AttributeError(f"`{kind}` has no attribute `{name}` available in plans.{hint}")


def make_guards(
    limits: dict[str, Any],
    state: dict[str, Any],
    on_loop: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """The hidden names the restricted code calls (`_getattr_`, `_step_`, ...).

    `on_loop` runs as each `for` loop or comprehension starts: the plan process
    sends queued calls there, before what may be a long computation.
    """
    max_seq: int = limits["max_sequence"]
    max_bits: int = limits["max_int_bits"]
    steps_left: Any = iter(range(1, limits["steps"] + 2))  # C-level: fast and sticky
    step = steps_left.__next__
    compress = itertools.compress

    def steps_exhausted() -> bool:
        return steps_left.__length_hint__() == 0

    def limit(name: str, message: str) -> NoReturn:
        state.setdefault("limit", (name, message))
        raise PlanLimit(name, message)

    def too_big(what: str, size: int) -> NoReturn:
        limit(
            "size",
            f"{what} would build a value of {size:,} elements; the limit is "
            f"{max_seq:,} (Limits.max_sequence).",
        )

    def check_len(what: str, size: int) -> None:
        if size > max_seq:
            too_big(what, size)

    def check_bits(what: str, bits: float) -> None:
        if bits > max_bits:
            limit(
                "size",
                f"{what} would build an int of about {int(bits):,} bits; the limit is "
                f"{max_bits:,} (Limits.max_int_bits).",
            )

    def check() -> None:
        if "limit" in state:
            raise PlanLimit(*state["limit"])
        if steps_exhausted():
            limit(
                "steps", f"The plan exceeded its step limit of {limits['steps']:,} (Limits.steps)."
            )

    def _add_(a: Any, b: Any) -> Any:
        ta = type(a)
        if ta is int or ta is float:
            return a + b if type(b) is not Handle else a + b._get()
        a, b = value_of(a), value_of(b)
        if type(a) in SEQUENCE_TYPES and type(b) in SEQUENCE_TYPES:
            check_len("`+`", len(a) + len(b))
        return a + b

    def _mul_(a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if ta is int and tb is int and -SMALL < a < SMALL and -SMALL < b < SMALL:
            return a * b  # the common case, decided by comparisons alone
        if (ta is float and (tb is float or tb is int)) or (tb is float and ta is int):
            return a * b
        a, b = value_of(a), value_of(b)
        ta, tb = type(a), type(b)
        if ta is int and tb is int:
            check_bits("`*`", a.bit_length() + b.bit_length())
        elif ta in SEQUENCE_TYPES and (tb is int or tb is bool):
            check_len("`*`", len(a) * max(b, 0))
        elif tb in SEQUENCE_TYPES and (ta is int or ta is bool):
            check_len("`*`", len(b) * max(a, 0))
        return a * b

    def _pow_(a: Any, b: Any, mod: Any = None) -> Any:
        a, b = value_of(a), value_of(b)
        if type(a) is int and type(b) is int and b > 0 and mod is None:
            check_bits("`**`", max(a.bit_length() - 1, 0) * b + (a.bit_length() > 0))
        return pow(a, b) if mod is None else pow(a, b, mod)

    def _lshift_(a: Any, b: Any) -> Any:
        a, b = value_of(a), value_of(b)
        if type(a) is int and type(b) is int:
            check_bits("`<<`", a.bit_length() + b)
        return a << b

    binops: dict[str, Callable[[Any, Any], Any]] = {
        "+": _add_,
        "*": _mul_,
        "**": _pow_,
        "<<": _lshift_,
        "-": lambda a, b: value_of(a) - b,
        "/": lambda a, b: value_of(a) / b,
        "//": lambda a, b: value_of(a) // b,
        "%": lambda a, b: value_of(a) % b,
        ">>": lambda a, b: value_of(a) >> b,
        "|": lambda a, b: value_of(a) | b,
        "^": lambda a, b: value_of(a) ^ b,
        "&": lambda a, b: value_of(a) & b,
        "@": lambda a, b: value_of(a) @ b,
    }

    def _getattr_(obj: Any, name: str, default: Any = None) -> Any:
        allowed = FAST_ATTRIBUTES.get(type(obj))
        if allowed is not None and name in allowed:
            return getattr(obj, name)  # plain values, plain methods: the common case
        if type(obj) is Handle:
            obj = obj._get()
        t = type(obj)
        if t is Record and name in obj:
            return obj[name]
        allowed = ALLOWED_ATTRIBUTES.get(t)
        if allowed is None or name not in allowed:
            if t is Record:
                fields = ", ".join(f"`{k}`" for k in obj) or "none"
                raise AttributeError(f"the record has no field `{name}`; its fields: {fields}.")
            _fail_attribute(obj, name)
        sized = SIZED_METHODS.get(name) if t is str or t is list else None
        if sized is not None:
            return sized(obj)
        return getattr(obj, name)

    def _getitem_(obj: Any, key: Any) -> Any:
        if type(obj) is Handle:
            obj = obj._get()
        if type(key) is Handle:
            key = key._get()
        if type(obj) not in INDEXABLE_TYPES:
            raise TypeError(f"`{type(obj).__name__}` values cannot be indexed in plans.")
        return obj[key]

    def _write_(obj: Any) -> Any:
        if type(obj) not in WRITABLE_TYPES:
            raise TypeError(
                f"`{type(obj).__name__}` values cannot be changed in plans; only lists "
                "and dicts can."
            )
        return obj

    def _augitem_(obj: Any, key: Any, op: str, value: Any) -> None:
        key = value_of(key)
        _write_(obj)[key] = binops[op](_getitem_(obj, key), value)

    def _getiter_(obj: Any) -> Any:
        on_loop()
        # Each item of a `for` loop or comprehension costs one step; compress stops
        # when the steps run out, and the next step anywhere (or the end of the
        # plan) reports the limit.
        return compress(iterable(obj), steps_left)

    def _unpack_sequence_(it: Any, spec: dict[str, Any], _getiter_: Any = None) -> list[Any]:
        ret = list(iterable(it))
        if len(ret) >= spec["min_len"]:
            for idx, child in spec["childs"]:
                ret[idx] = _unpack_sequence_(ret[idx], child)
        return ret

    def _iter_unpack_sequence_(it: Any, spec: dict[str, Any], _getiter_: Any = None) -> Any:
        return map(lambda ob: _unpack_sequence_(ob, spec), _getiter_(it))

    def _apply_(fn: Any, *args: Any, **kwargs: Any) -> Any:
        bad = [k for k in kwargs if k.startswith("_")]
        if bad:
            raise TypeError(
                f'"{bad[0]}" is an invalid keyword argument because it starts with "_".'
            )
        return fn(*args, **kwargs)

    def _fmtspec_(spec: str) -> str:
        # Widths and precisions in a format spec decide how much text is built.
        digits = "".join(c if c.isdigit() else " " for c in spec).split()
        for number in digits:
            size = int(number[:19])  # more digits than that is too big anyway
            if len(number) > 18 or size > max_seq:
                too_big(f"the format spec `{spec[:40]}`", size)
        return spec

    def sized_width(method: str) -> Callable[[str], Callable[..., str]]:
        def bind(s: str) -> Callable[..., str]:
            fn = getattr(s, method)

            def call(width: Any, *args: Any) -> str:
                check_len(f"`str.{method}`", int(value_of(width)))
                return fn(width, *args)

            return call

        return bind

    def sized_replace(s: str) -> Callable[..., str]:
        def replace(old: Any, new: Any, count: Any = -1) -> str:
            old, new = str(old), str(new)
            hits = s.count(old) if old else len(s) + 1
            if count is not None and count >= 0:
                hits = min(hits, count)
            check_len("`str.replace`", len(s) + hits * (len(new) - len(old)))
            return s.replace(old, new, count)

        return replace

    def sized_join(s: str) -> Callable[[Any], str]:
        def join(items: Any) -> str:
            items = [value_of(x) for x in iterable(items)]
            check_len(
                "`str.join`",
                sum(len(x) for x in items if type(x) is str) + len(s) * max(len(items) - 1, 0),
            )
            return s.join(items)

        return join

    def sized_extend(lst: list[Any]) -> Callable[[Any], None]:
        def extend(items: Any) -> None:
            items = value_of(items)
            if hasattr(items, "__len__"):
                check_len("`list.extend`", len(lst) + len(items))
            lst.extend(iterable(items))

        return extend

    SIZED_METHODS: dict[str, Callable[[Any], Any]] = {
        **{m: sized_width(m) for m in ("ljust", "rjust", "center", "zfill")},
        "replace": sized_replace,
        "join": sized_join,
        "extend": sized_extend,
    }

    return {
        "_step_": step,
        "_check_": check,
        "_getattr_": _getattr_,
        "_getitem_": _getitem_,
        "_getiter_": _getiter_,
        "_write_": _write_,
        "_augitem_": _augitem_,
        "_unpack_sequence_": _unpack_sequence_,
        "_iter_unpack_sequence_": _iter_unpack_sequence_,
        "_apply_": _apply_,
        "_fmtspec_": _fmtspec_,
        "_add_": _add_,
        "_mul_": _mul_,
        "_pow_": _pow_,
        "_lshift_": _lshift_,
        "_type_": type,
        "_numbers_": (int, float),
        # for the plan process
        "__steps_used__": lambda: limits["steps"] + 1 - steps_left.__length_hint__(),
        "__steps_exhausted__": steps_exhausted,
        "__check_len__": check_len,
        "__check_bits__": check_bits,
        "__limit__": limit,
    }
