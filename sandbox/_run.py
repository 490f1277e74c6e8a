"""Serve a plan with plain Python functions: the simplest host of a plan process.

`run_plan` answers each call with a function (sync or async), runs calls as soon
as the handles in their arguments have values, and turns however the plan ended
into a `PlanOutcome`. The codeplan runtime drives `PlanProcess` itself, adding a
graph and a budget; this host is for `python -m sandbox`, tests and benchmarks.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import trio

from ._compile import CompiledPlan, PlanRejected, compile_plan
from ._limits import Limits
from ._policy import Problem
from ._process import Call, Finished, HandleRef, Log, Resolve, Sandbox
from ._values import HOST_ERRORS

Status = Literal["ok", "error", "rejected", "limit"]


@dataclass(frozen=True)
class PlanOutcome:
    """How a plan ended, with everything it did up to then."""

    status: Status
    output: Any = None
    error: str | None = None
    error_type: str | None = None
    line: int | None = None
    limit: str | None = None
    steps: int = 0
    calls: int = 0
    log: str = ""
    problems: tuple[Problem, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [str(p) for p in self.problems]
        return data


class _Slot:
    """The eventual outcome of one call."""

    def __init__(self) -> None:
        self.done = trio.Event()
        self.value: Any = None
        self.error: tuple[str, str] | None = None


async def _resolve_refs(value: Any, slots: dict[int, _Slot]) -> Any:
    if isinstance(value, HandleRef):
        slot = slots[value.id]
        await slot.done.wait()
        if slot.error:
            raise _DependencyFailed(*slot.error)
        return slot.value
    if isinstance(value, list):
        return [await _resolve_refs(v, slots) for v in value]
    if isinstance(value, dict):
        return {k: await _resolve_refs(v, slots) for k, v in value.items()}
    return value


class _DependencyFailed(Exception):
    def __init__(self, type: str, message: str):
        super().__init__(message)
        self.type = type


def _error_of(call: Call, err: Exception) -> tuple[str, str]:
    if isinstance(err, _DependencyFailed):
        return err.type, f"`{call.primitive}` depends on a failed call: {err}"
    if isinstance(err, TypeError | ValueError):
        return type(err).__name__, f"`{call.primitive}`: {err}"
    kind = type(err).__name__
    return (kind if kind in HOST_ERRORS else "PrimitiveError"), f"`{call.primitive}` failed: {err}"


def _settle(slot: _Slot, call: Call, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)  # only JSON goes back to the plan
        slot.value = value
    except (TypeError, ValueError) as err:
        slot.error = _error_of(call, err)


def _call_now(fn: Callable[..., Any], call: Call, slot: _Slot) -> None:
    try:
        _settle(slot, call, fn(*call.args, **call.kwargs))
    except Exception as err:
        slot.error = _error_of(call, err)
    finally:
        slot.done.set()


async def _call(fn: Callable[..., Any], call: Call, slots: dict[int, _Slot]) -> None:
    slot = slots[call.id]
    try:
        args = await _resolve_refs(call.args, slots)
        kwargs = await _resolve_refs(call.kwargs, slots)
        value = fn(*args, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        _settle(slot, call, value)
    except Exception as err:
        slot.error = _error_of(call, err)
    finally:
        slot.done.set()


def _ready(fn: Callable[..., Any], call: Call) -> bool:
    def plain(value: Any) -> bool:
        if isinstance(value, HandleRef):
            return False
        if isinstance(value, list):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        return True

    return not inspect.iscoroutinefunction(fn) and plain(call.args) and plain(call.kwargs)


async def run_plan(
    plan: str | CompiledPlan,
    primitives: Mapping[str, Callable[..., Any]],
    *,
    limits: Limits | None = None,
    constants: Mapping[str, Any] | None = None,
    sandbox: Sandbox | None = None,
) -> PlanOutcome:
    """Run `plan` in a fresh plan process, answering its calls with `primitives`.

    Example::

        outcome = await run_plan("result = echo('hi')", {"echo": lambda x: x})
        assert outcome.output == "hi"
    """
    limits = limits or Limits()
    constants = dict(constants or {})
    if isinstance(plan, str):
        try:
            plan = compile_plan(plan, primitives=primitives, constants=constants, limits=limits)
        except PlanRejected as err:
            return PlanOutcome(
                "rejected", error=str(err), error_type="PlanRejected", problems=tuple(err.problems)
            )
    owned = sandbox is None
    sandbox = sandbox or Sandbox(spares=0)
    try:
        return await _serve(plan, primitives, limits, constants, sandbox)
    finally:
        if owned:
            sandbox.close()


async def _serve(
    plan: CompiledPlan,
    primitives: Mapping[str, Callable[..., Any]],
    limits: Limits,
    constants: dict[str, Any],
    sandbox: Sandbox,
) -> PlanOutcome:
    slots: dict[int, _Slot] = {}
    log: list[str] = []
    finished: Finished | None = None
    proc = await sandbox.start(plan, limits=limits, constants=constants)

    async def answer(id: int) -> None:
        slot = slots[id]
        await slot.done.wait()
        if slot.error:
            await proc.send_error(id, *slot.error)
        else:
            await proc.send_value(id, slot.value)

    output: Any = None
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(limits.wall_seconds):
            async for event in proc.events():
                if isinstance(event, Call):
                    slots[event.id] = _Slot()
                    fn = primitives[event.primitive]
                    if _ready(fn, event):
                        # A sync function with plain arguments: answer it right here.
                        _call_now(fn, event, slots[event.id])
                    else:
                        nursery.start_soon(_call, fn, event, slots)
                elif isinstance(event, Resolve):
                    if slots[event.id].done.is_set():
                        await answer(event.id)
                    else:
                        nursery.start_soon(answer, event.id)
                elif isinstance(event, Log):
                    log.append(event.text)
                else:
                    finished = event
            if finished is not None and finished.status == "ok":
                try:
                    output = await _resolve_refs(finished.result, slots)
                except _DependencyFailed as err:
                    finished = Finished(
                        "error", error=str(err), error_type=err.type, steps=finished.steps
                    )
        nursery.cancel_scope.cancel()
    if finished is None:
        proc.kill()
        finished = Finished(
            "limit",
            limit="wall",
            error=f"The plan ran longer than {limits.wall_seconds} seconds (Limits.wall_seconds).",
        )
    return PlanOutcome(
        finished.status,
        output=output,
        error=finished.error,
        error_type=finished.error_type,
        line=finished.line,
        limit=finished.limit,
        steps=finished.steps,
        calls=len(slots),
        log="".join(log),
    )


def run_plan_sync(
    plan: str | CompiledPlan,
    primitives: Mapping[str, Callable[..., Any]],
    **options: Any,
) -> PlanOutcome:
    """`run_plan` for callers outside trio."""
    return trio.run(lambda: run_plan(plan, primitives, **options))
