"""What plan code can touch inside the plan process: guards, handles, builtins.

Stdlib only, and imported only by the plan process (and by the compiler, for the
builtin names). Every guard checks exact types: plans cannot define classes, so
the only objects they hold are JSON-like values, functions, handles and records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NoReturn


class PlanLimit(BaseException):
    """A limit was reached. A BaseException, so `except Exception` cannot catch it."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


class PlanError(Exception):
    """Base of the errors the host reports to a plan."""


class PrimitiveError(PlanError):
    """A primitive failed."""


class BudgetExceeded(PlanError):
    """A budget cap would be, or was, exceeded."""


HOST_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (PlanError, PrimitiveError, BudgetExceeded, ValueError, TypeError, KeyError, TimeoutError)
}


class Record(dict):  # type: ignore[type-arg]
    """A JSON object from the host: a dict whose fields also read as attributes."""

    __slots__ = ()


class Handle:
    """The promise of a primitive's result. Using its value in any way waits for it."""

    __slots__ = ("_id", "_resolve", "_state", "_value")

    def __init__(self, id: int, resolve: Callable[[int], Any]):
        self._id = id
        self._resolve = resolve
        self._state = 0  # 0 pending, 1 value, 2 error
        self._value: Any = None

    def _get(self) -> Any:
        if self._state == 0:
            try:
                self._value = self._resolve(self._id)
                self._state = 1
            except PlanError as err:
                self._value, self._state = err, 2
        if self._state == 2:
            raise self._value
        return self._value

    def __repr__(self) -> str:
        return repr(self._get())

    def __str__(self) -> str:
        return str(self._get())

    def __format__(self, spec: str) -> str:
        return format(self._get(), spec)

    def __bool__(self) -> bool:
        return bool(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Any:
        return iter(self._get())

    def __contains__(self, item: Any) -> bool:
        return item in self._get()

    def __getitem__(self, key: Any) -> Any:
        return self._get()[key]

    def __hash__(self) -> int:
        return hash(self._get())

    def __eq__(self, other: object) -> bool:
        return bool(self._get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get() != other)

    def __lt__(self, other: Any) -> Any:
        return self._get() < other

    def __le__(self, other: Any) -> Any:
        return self._get() <= other

    def __gt__(self, other: Any) -> Any:
        return self._get() > other

    def __ge__(self, other: Any) -> Any:
        return self._get() >= other

    def __int__(self) -> int:
        return int(self._get())

    def __float__(self) -> float:
        return float(self._get())

    def __index__(self) -> int:
        return int(self._get().__index__())

    def __neg__(self) -> Any:
        return -self._get()

    def __abs__(self) -> Any:
        return abs(self._get())

    def __round__(self, n: int | None = None) -> Any:
        return round(self._get(), n)

    # + * ** << reach the guards, which resolve first; the rest are safe as-is.
    def __sub__(self, o: Any) -> Any:
        return self._get() - o

    def __rsub__(self, o: Any) -> Any:
        return o - self._get()

    def __truediv__(self, o: Any) -> Any:
        return self._get() / o

    def __rtruediv__(self, o: Any) -> Any:
        return o / self._get()

    def __floordiv__(self, o: Any) -> Any:
        return self._get() // o

    def __rfloordiv__(self, o: Any) -> Any:
        return o // self._get()

    def __mod__(self, o: Any) -> Any:
        return self._get() % o

    def __rmod__(self, o: Any) -> Any:
        return o % self._get()


def value_of(obj: Any) -> Any:
    """The value behind a handle (waiting for it), or `obj` itself."""
    return obj._get() if type(obj) is Handle else obj


# --- attribute allowlist, by exact type ------------------------------------------

_STR_METHODS = frozenset(
    "capitalize casefold center count endswith find index isalnum isalpha isascii "
    "isdecimal isdigit islower isnumeric isspace istitle isupper join ljust lower lstrip "
    "partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit "
    "rstrip split splitlines startswith strip swapcase title upper zfill".split()
)
_LIST_METHODS = frozenset("append clear copy count extend index insert pop remove reverse sort".split())
_DICT_METHODS = frozenset("clear copy get items keys pop popitem setdefault update values".split())
_SET_METHODS = frozenset(
    "add clear copy difference discard intersection isdisjoint issubset issuperset pop "
    "remove symmetric_difference union update".split()
)
PLAN_EXCEPTIONS: tuple[type[Exception], ...] = (
    Exception, ArithmeticError, AssertionError, AttributeError, IndexError, KeyError,
    LookupError, NameError, NotImplementedError, OverflowError, RecursionError,
    RuntimeError, StopIteration, TimeoutError, TypeError, ValueError, ZeroDivisionError,
    PlanError, PrimitiveError, BudgetExceeded,
)
ALLOWED_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: _LIST_METHODS,
    dict: _DICT_METHODS,
    Record: _DICT_METHODS,
    set: _SET_METHODS,
    frozenset: frozenset("copy difference intersection isdisjoint issubset issuperset union".split()),
    tuple: frozenset({"count", "index"}),
    int: frozenset({"bit_length"}),
    float: frozenset({"is_integer"}),
    # exceptions expose their message arguments and nothing else (no traceback, no .obj)
    **{cls: frozenset({"args"}) for cls in PLAN_EXCEPTIONS},
}
ITERABLE_TYPES = frozenset(
    {list, tuple, str, dict, Record, set, frozenset, range, enumerate, zip, map, filter, reversed}
    | {type(iter(x)) for x in ([], (), "", {}, set(), range(1), frozenset())}
    | {type(reversed([])), type(reversed(range(1)))}
    | {type(v) for v in ({}.keys(), {}.values(), {}.items())}
    | {type(iter(v)) for v in ({}.keys(), {}.values(), {}.items())}
)
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


def make_guards(limits: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The hidden names the restricted code calls (`_getattr_`, `_step_`, ...)."""
    max_seq: int = limits["max_sequence"]
    max_bits: int = limits["max_int_bits"]
    steps_left = iter(range(1, limits["steps"] + 2))
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
            limit("steps", f"The plan exceeded its step limit of {limits['steps']:,} (Limits.steps).")

    def _add_(a: Any, b: Any) -> Any:
        ta = type(a)
        if ta is int or ta is float:
            return a + b if type(b) is not Handle else a + b._get()
        a, b = value_of(a), value_of(b)
        if type(a) in SEQUENCE_TYPES and type(b) in SEQUENCE_TYPES:
            check_len("`+`", len(a) + len(b))
        return a + b

    def _mul_(a: Any, b: Any) -> Any:
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
        "+": _add_, "*": _mul_, "**": _pow_, "<<": _lshift_,
        "-": lambda a, b: value_of(a) - b, "/": lambda a, b: value_of(a) / b,
        "//": lambda a, b: value_of(a) // b, "%": lambda a, b: value_of(a) % b,
        ">>": lambda a, b: value_of(a) >> b, "|": lambda a, b: value_of(a) | b,
        "^": lambda a, b: value_of(a) ^ b, "&": lambda a, b: value_of(a) & b,
        "@": lambda a, b: value_of(a) @ b,
    }

    def _getattr_(obj: Any, name: str, default: Any = None) -> Any:
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
            raise TypeError(f'"{bad[0]}" is an invalid keyword argument because it starts with "_".')
        return fn(*args, **kwargs)

    def _fmtspec_(spec: str) -> str:
        # Widths and precisions in a format spec decide how much text is built.
        digits = "".join(c if c.isdigit() else " " for c in spec).split()
        for number in digits:
            if len(number) > 9 or int(number) > max_seq:
                too_big(f"the format spec `{spec[:40]}`", int(number) if len(number) < 30 else 10**30)
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
            check_len("`str.join`", sum(len(x) for x in items if type(x) is str)
                      + len(s) * max(len(items) - 1, 0))
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
        # for the plan process
        "__steps_used__": lambda: limits["steps"] + 1 - steps_left.__length_hint__(),
        "__steps_exhausted__": steps_exhausted,
        "__check_len__": check_len,
        "__check_bits__": check_bits,
        "__limit__": limit,
    }


def make_builtins(guards: dict[str, Any]) -> dict[str, Any]:
    """The safe builtins. Those that consume iterables go through `_getiter_`."""
    getiter = iterable
    check_len = guards["__check_len__"]
    check_bits = guards["__check_bits__"]

    def sized(fn: Callable[[Any], Any], what: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if not args:
                return fn(())
            items = value_of(args[0])
            if type(items) is range or type(items) in SEQUENCE_TYPES:
                check_len(what, len(items))
            return fn(getiter(items))

        call.__name__ = call.__qualname__ = fn.__name__
        return call

    def iterating(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*iterables: Any, **kwargs: Any) -> Any:
            return fn(*(getiter(x) for x in iterables), **kwargs)

        call.__name__ = call.__qualname__ = fn.__name__
        return call

    def plan_dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
        if args and type(value_of(args[0])) not in (dict, Record):
            return dict(getiter(args[0]), **kwargs)
        return dict(*(value_of(a) for a in args), **kwargs)

    def plan_isinstance(obj: Any, kinds: Any) -> bool:
        return isinstance(value_of(obj), kinds)

    def plan_pow(base: Any, exp: Any, mod: Any = None) -> Any:
        return guards["_pow_"](base, exp, mod)

    def plan_min(*args: Any, **kwargs: Any) -> Any:
        return min(getiter(args[0]), **kwargs) if len(args) == 1 else min(*args, **kwargs)

    def plan_max(*args: Any, **kwargs: Any) -> Any:
        return max(getiter(args[0]), **kwargs) if len(args) == 1 else max(*args, **kwargs)

    def plan_str(obj: Any = "") -> str:
        obj = value_of(obj)
        if type(obj) is int:
            check_bits("`str`", obj.bit_length())
        return str(obj)

    def plan_sum(items: Any, start: Any = 0) -> Any:
        return sum(getiter(items), start)

    def plan_map(fn: Any, *iterables: Any) -> Any:
        return map(fn, *(getiter(x) for x in iterables))

    def plan_filter(fn: Any, items: Any) -> Any:
        return filter(fn, getiter(items))

    def plan_range(*args: Any) -> range:
        return range(*(value_of(a) for a in args))

    def plan_sorted(items: Any, *, key: Any = None, reverse: bool = False) -> list[Any]:
        items = value_of(items)
        if type(items) is range:
            check_len("`sorted`", len(items))
        return sorted(getiter(items), key=key, reverse=reverse)

    names: dict[str, Any] = {
        "None": None, "True": True, "False": False,
        "abs": abs, "bool": bool, "callable": callable, "chr": chr, "divmod": divmod,
        "float": float, "hash": hash, "int": int, "len": len, "ord": ord, "repr": repr,
        "round": round, "isinstance": plan_isinstance, "pow": plan_pow, "str": plan_str,
        "range": plan_range, "min": plan_min, "max": plan_max, "sum": plan_sum,
        "sorted": plan_sorted, "map": plan_map, "filter": plan_filter, "dict": plan_dict,
        "list": sized(list, "`list`"), "tuple": sized(tuple, "`tuple`"),
        "set": sized(set, "`set`"), "frozenset": sized(frozenset, "`frozenset`"),
        "any": iterating(any), "all": iterating(all), "enumerate": iterating(enumerate),
        "zip": iterating(zip), "reversed": iterating(reversed),
    }
    for cls in PLAN_EXCEPTIONS:
        names[cls.__name__] = cls
    return names


# `print` is rewritten by RestrictedPython into a call on the plan's printer.
PLAN_BUILTIN_NAMES = frozenset(
    make_builtins(make_guards({"steps": 1, "max_sequence": 1, "max_int_bits": 1}, {}))
) | {"print"}
