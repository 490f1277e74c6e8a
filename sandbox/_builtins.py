"""The builtins a plan sees: a safe subset, with iterable-consuming ones guarded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._guards import PLAN_EXCEPTIONS, SEQUENCE_TYPES, iterable, make_guards
from ._values import Record, value_of


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
        # `list`, `str`, ... are guarded functions in plans; check against the real types.
        if type(kinds) is tuple:
            kinds = tuple(TYPES.get(k, k) for k in kinds)
        return isinstance(value_of(obj), TYPES.get(kinds, kinds))

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
        # Handles have no `+` of their own (it would skip the size guard): add values.
        add = guards["_add_"]
        total = value_of(start)
        for item in getiter(items):
            total = add(total, item)
        return total

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

    TYPES: dict[Any, type] = {}
    names: dict[str, Any] = {
        "None": None,
        "True": True,
        "False": False,
        "abs": abs,
        "bool": bool,
        "callable": callable,
        "chr": chr,
        "divmod": divmod,
        "float": float,
        "hash": hash,
        "int": int,
        "len": len,
        "ord": ord,
        "repr": repr,
        "round": round,
        "isinstance": plan_isinstance,
        "pow": plan_pow,
        "str": plan_str,
        "range": plan_range,
        "min": plan_min,
        "max": plan_max,
        "sum": plan_sum,
        "sorted": plan_sorted,
        "map": plan_map,
        "filter": plan_filter,
        "dict": plan_dict,
        "list": sized(list, "`list`"),
        "tuple": sized(tuple, "`tuple`"),
        "set": sized(set, "`set`"),
        "frozenset": sized(frozenset, "`frozenset`"),
        "any": iterating(any),
        "all": iterating(all),
        "enumerate": iterating(enumerate),
        "zip": iterating(zip),
        "reversed": iterating(reversed),
    }
    for cls in PLAN_EXCEPTIONS:
        names[cls.__name__] = cls
    real = {
        "str": str,
        "range": range,
        "dict": dict,
        "list": list,
        "tuple": tuple,
        "set": set,
        "frozenset": frozenset,
    }
    TYPES.update({names[name]: kind for name, kind in real.items()})
    return names


# `print` is rewritten by RestrictedPython into a call on the plan's printer.
PLAN_BUILTIN_NAMES = frozenset(
    make_builtins(make_guards({"steps": 1, "max_sequence": 1, "max_int_bits": 1}, {}))
) | {"print"}
