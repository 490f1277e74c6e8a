"""Primitives: the functions a plan can call, and how a plan's call reaches them.

A primitive is a plain Python function (sync or async) run in the trusted host
process. Its signature validates the plan's arguments (with pydantic) and its
docstring becomes its entry in the API reference the planner reads. A parameter
annotated `Context` is filled in by the runtime and never seen by the plan.
"""

from __future__ import annotations

import difflib
import inspect
import textwrap
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_type_hints

import pydantic

from ._errors import PrimitiveFailed, UserError

if TYPE_CHECKING:
    from ._runtime import Context

RESERVED = frozenset({"result", "print", "TASK", "REQUIREMENTS", "parallel"})


@dataclass(frozen=True, eq=False)
class Primitive:
    """A function plans may call. Make one with `@codeplan.primitive`."""

    name: str
    fn: Callable[..., Any]
    doc: str
    signature: inspect.Signature  # as the plan sees it: no Context parameter
    context_param: str | None = None
    uses_model: bool = False
    _validated: Callable[..., Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        config = pydantic.ConfigDict(arbitrary_types_allowed=True)
        object.__setattr__(self, "_validated", pydantic.validate_call(config=config)(self.fn))

    def reference(self) -> str:
        """This primitive's entry in the API reference: signature and docstring."""
        doc = textwrap.indent(self.doc, "    ") if self.doc else "    (no description)"
        return f"{self.name}{self.signature}\n{doc}"

    async def __call__(self, ctx: Context, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Run with a plan's arguments: bind, validate, inject the context, await."""
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise PrimitiveFailed(self._explain_binding(err, kwargs)) from None
        if self.context_param:
            kwargs = {**kwargs, self.context_param: ctx}
        try:
            value = self._validated(*args, **kwargs)
            if inspect.isawaitable(value):
                value = await value
        except pydantic.ValidationError as err:
            problems = "; ".join(
                f"argument `{self._param_at(e['loc'])}`: {e['msg']} (got {e['input']!r:.60})"
                for e in err.errors()
            )
            raise PrimitiveFailed(f"`{self.name}`: {problems}.") from None
        return value

    def _param_at(self, loc: tuple[Any, ...]) -> str:
        names = list(self.signature.parameters)
        first = loc[0] if loc else "?"
        if isinstance(first, int) and first < len(names):
            return names[first]
        return str(first)

    def _explain_binding(self, err: TypeError, kwargs: dict[str, Any]) -> str:
        message = f"`{self.name}{self.signature}`: {err}"
        for key in kwargs:
            if key not in self.signature.parameters:
                close = difflib.get_close_matches(key, list(self.signature.parameters), n=1)
                if close:
                    message += f" — did you mean `{close[0]}`?"
        return message


def primitive(
    fn: Callable[..., Any] | Any = None,
    *,
    name: str | None = None,
    uses_model: bool = False,
) -> Any:
    """Make a function (or a smolagents `Tool`) callable from plans.

    Example::

        @codeplan.primitive
        def word_count(text: str) -> int:
            \"\"\"Number of words in `text`.\"\"\"
            return len(text.split())

        codeplan.execute("result = word_count('a b c')", "count", primitives=[word_count])

    The function runs in the host process, sync or async; its arguments are
    validated from its signature; its docstring is what the planner reads.
    """

    def make(target: Any) -> Primitive:
        if isinstance(target, Primitive):
            return target
        if _is_smolagents_tool(target):
            return _from_tool(target, name)
        if not callable(target):
            raise UserError(
                f"@primitive needs a function or a smolagents Tool, got {type(target).__name__}."
            )
        return _from_function(target, name, uses_model)

    return make if fn is None else make(fn)


def _from_function(fn: Callable[..., Any], name: str | None, uses_model: bool) -> Primitive:
    from ._runtime import Context  # the runtime imports this module

    name = name or fn.__name__
    _check_name(name)
    try:
        hints = get_type_hints(fn)
    except Exception:  # unresolvable annotations: fall back to no hints
        hints = {}
    try:
        sig = inspect.signature(fn, eval_str=True)  # `text: str`, not `text: 'str'`
    except Exception:
        sig = inspect.signature(fn)
    context_param = None
    params = []
    for param in sig.parameters.values():
        if hints.get(param.name) is Context:
            context_param = param.name
            continue
        if param.name.startswith("_"):
            raise UserError(
                f"Primitive `{name}` has a parameter `{param.name}`: plans cannot pass "
                "names that start with `_`; rename it."
            )
        params.append(param)
    plan_sig = sig.replace(parameters=params)
    doc = inspect.cleandoc(fn.__doc__ or "")
    return Primitive(name, fn, doc, plan_sig, context_param, uses_model)


def _is_smolagents_tool(obj: Any) -> bool:
    return any(
        cls.__name__ == "Tool" and "smolagents" in cls.__module__ for cls in type(obj).__mro__
    )


def _from_tool(tool: Any, name: str | None) -> Primitive:
    """A smolagents Tool: its `inputs` schema becomes keyword parameters."""
    name = name or tool.name
    _check_name(name)
    params = [
        inspect.Parameter(
            key,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if not spec.get("nullable") else None,
        )
        for key, spec in tool.inputs.items()
    ]

    def call(*args: Any, **kwargs: Any) -> Any:
        return tool(*args, **kwargs)

    call.__name__ = name
    inputs = "\n".join(f"{k}: {v.get('description', '')}" for k, v in tool.inputs.items())
    doc = f"{tool.description}\n{inputs}".strip()
    return Primitive(name, call, doc, inspect.Signature(params))


def _check_name(name: str) -> None:
    if not name.isidentifier() or name.startswith("_") or name in RESERVED:
        raise UserError(
            f"`{name}` cannot be a primitive's name: use an identifier that does not start "
            f"with `_` and is not one of {sorted(RESERVED)}."
        )


def registry(*groups: Iterable[Any]) -> dict[str, Primitive]:
    """Primitives by name, later groups overriding earlier ones (user over built-in)."""
    found: dict[str, Primitive] = {}
    for group in groups:
        for item in group:
            prim = primitive(item)
            found[prim.name] = prim
    return found


def reference(primitives: dict[str, Primitive]) -> str:
    """The API reference the planner sees, one entry per primitive."""
    return "\n\n".join(p.reference() for p in sorted(primitives.values(), key=lambda p: p.name))


AsyncFn = Callable[..., Awaitable[Any]]
