"""The runtime: drives a plan process, runs its calls as a dependency graph, under a budget.

One nursery per run owns every primitive task. A call starts as soon as the
handles in its arguments have values; model calls share a CapacityLimiter; the
run has a deadline; when it ends, outstanding work is cancelled and the plan
process is killed. The status comes from the runtime's own state, never from
what the plan says.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import trio

import sandbox

from ._budget import Budget, Ledger, Usage
from ._errors import BudgetExceeded, ModelError, PlanError, PrimitiveFailed, UserError
from ._graph import Graph, Node
from ._models import ModelClient, ModelReply
from ._primitives import Primitive
from ._repair import Lineage
from ._requirements import Requirement
from ._result import Result, RunUsage

log = logging.getLogger("codeplan")
DEFAULT_WALL_SECONDS = 600.0


# --- events for optional listeners ------------------------------------------------


@dataclass(frozen=True)
class NodeStarted:
    node: Node


@dataclass(frozen=True)
class NodeFinished:
    node: Node
    value: Any = None  # what the call returned; None when it failed


@dataclass(frozen=True)
class Spent:
    primitive: str
    spent: Usage
    remaining: dict[str, float | None]
    reply: ModelReply | None = None  # the model call that was just accounted for
    max_tokens: int | None = None  # the most completion tokens that call allowed


@dataclass(frozen=True)
class Logged:
    text: str


RunEvent = NodeStarted | NodeFinished | Spent | Logged
Listener = Callable[[RunEvent], None]


def concurrency_for(model: str, max_concurrency: int) -> int:
    """How many of a run's model calls may be in flight at once: one for the embedded
    model, which serves one call at a time; `max_concurrency` for any other."""
    return 1 if model.startswith("embedded/") else max_concurrency


class Context:
    """What a primitive gets from the runtime: the task, the models and the budget."""

    def __init__(self, run: Run, node: Node):
        self._run = run
        self.node = node
        self.task = run.task
        self.requirements = run.requirements
        self.model = run.model
        self.judge_model = run.judge_model
        self.ledger = run.ledger
        self.lineage = run.lineage
        self.concurrency = int(run.limiter.total_tokens)  # model calls at once

    def requirements_named(self, names: Sequence[str] | None) -> list[Requirement]:
        """The task's requirements, or those named (unknown names are new descriptions)."""
        if names is None:
            return list(self.requirements)
        by_name = {r.name: r for r in self.requirements}
        by_text = {r.description: r for r in self.requirements}
        from ._requirements import as_requirement

        return [by_name.get(n) or by_text.get(n) or as_requirement(n) for n in names]

    async def complete(
        self,
        prompt: str,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        model: str | None = None,
        system: str | None = None,
    ) -> str:
        """One model call under the budget: reserve the worst case, call, settle.

        The k-th identical call of a run (same model, messages and parameters) is
        sample k, so repeated calls are fresh samples while a re-run of the plan
        finds each of them in the cache. Greedy calls (temperature 0) share sample 0.
        """
        run = self._run
        model = model or self.model
        messages = [{"role": "user", "content": prompt}]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        sample = run.sample_index(model, messages, max_tokens, temperature)
        async with run.limiter:
            reply = await budgeted_call(
                run.client, self.ledger, self.node.primitive, model, messages,
                max_tokens=max_tokens, temperature=temperature, sample=sample,
            )  # fmt: skip
        run.account(self.node, reply, max_tokens=max_tokens)
        return reply.text


async def budgeted_call(
    client: ModelClient,
    ledger: Ledger,
    what: str,
    model: str,
    messages: list[dict[str, str]],
    *,
    max_tokens: int,
    temperature: float,
    sample: int = 0,
) -> ModelReply:
    """Reserve the call's worst case, make it, settle its real usage (or release)."""
    prompt_tokens, worst_usd = client.estimate(model, messages, max_tokens=max_tokens)
    reservation = ledger.reserve(what, usd=worst_usd, tokens=prompt_tokens + max_tokens)
    try:
        reply = await client.complete(
            model, messages, max_tokens=max_tokens, temperature=temperature, sample=sample
        )
    except BaseException as err:
        # Cancelled or timed out in flight: it may be billed, so charge the worst case.
        sent = isinstance(err, trio.Cancelled) or "did not answer" in str(err)
        ledger.release(reservation, charge=sent)
        raise
    if reply.cached:
        ledger.release(reservation, charge=False)
    else:
        ledger.settle(
            reservation,
            usd=reply.usd,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
    return reply


class _Slot:
    def __init__(self) -> None:
        self.done = trio.Event()
        self.value: Any = None
        self.error: tuple[str, str] | None = None


class _DependencyFailed(PlanError):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Run:
    """One execution of one plan."""

    def __init__(
        self,
        *,
        task: str,
        requirements: list[Requirement],
        model: str,
        judge_model: str | None,
        budget: Budget,
        primitives: dict[str, Primitive],
        prelude: str,
        client: ModelClient,
        max_concurrency: int,
        limits: sandbox.Limits | None,
        listeners: Iterable[Listener],
        pool: sandbox.Sandbox,
        ledger: Ledger | None = None,
        constants: dict[str, Any] | None = None,
        lineage: Lineage | None = None,
    ):
        self.task = task
        self.requirements = requirements
        self.model = model
        self.judge_model = judge_model or model
        self.budget = budget
        self.primitives = primitives
        self.prelude = prelude
        self.client = client
        # Queue here, where waiting does not count against a call's timeout.
        self.limiter = trio.CapacityLimiter(concurrency_for(model, max_concurrency))
        self.ledger = ledger or Ledger(budget)  # shared by every attempt of a run
        self.lineage = lineage or Lineage()  # where each text came from; shared likewise
        self.extra_constants = dict(constants or {})
        self.graph = Graph()
        self.listeners = list(listeners)
        self.pool = pool
        self.usage = RunUsage()
        self._started = time.monotonic()
        self._slots: dict[int, _Slot] = {}
        self._parents: dict[int, set[int]] = {}
        self._frontier: set[int] = set()
        self._waiting: set[int] = set()  # calls the plan is blocked on
        self._samples: dict[str, int] = {}
        self._log: list[str] = []
        # Plans mostly wait on models: without a budget in seconds, a run may take 10 minutes.
        base = limits or sandbox.Limits(wall_seconds=DEFAULT_WALL_SECONDS)
        seconds_left = self.ledger.remaining()["seconds"]
        wall = min(base.wall_seconds, base.wall_seconds if seconds_left is None else seconds_left)
        wall = max(wall, 0.01)
        steps = budget.steps or base.steps
        self.limits = sandbox.Limits(**{**base.as_dict(), "wall_seconds": wall, "steps": steps})

    def now(self) -> float:
        return time.monotonic() - self._started

    def sample_index(
        self, model: str, messages: list[dict[str, str]], max_tokens: int, temperature: float
    ) -> int:
        if temperature == 0:
            return 0
        key = json.dumps([model, messages, max_tokens, temperature], sort_keys=True)
        index = self._samples.get(key, 0)
        self._samples[key] = index + 1
        return index

    # --- listeners ---------------------------------------------------------------

    def emit(self, event: RunEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener %r failed and was detached", listener)
                self.listeners.remove(listener)

    def account(self, node: Node, reply: Any, *, max_tokens: int | None = None) -> None:
        if reply.cached:
            self.usage.cached_calls += 1
            node.cached = True
        else:
            node.tokens += reply.prompt_tokens + reply.completion_tokens
            node.usd += reply.usd
            node.calls += 1
            self.usage.calls += 1
            self.usage.usd += reply.usd
            self.usage.prompt_tokens += reply.prompt_tokens
            self.usage.completion_tokens += reply.completion_tokens
        spent, left = self.ledger.spent, self.ledger.remaining()
        self.emit(Spent(node.primitive, spent, left, reply, max_tokens))

    # --- the run -------------------------------------------------------------------

    async def execute(self, source: str) -> Result:
        constants = {
            "TASK": self.task,
            "REQUIREMENTS": [r.description for r in self.requirements],
            **self.extra_constants,
        }
        try:
            plan = sandbox.compile_plan(
                source,
                primitives=self.primitives,
                constants=constants,
                prelude=self.prelude,
                limits=self.limits,
            )
        except sandbox.PlanRejected as err:
            return Result(
                status="rejected",
                error=str(err),
                plan=source,
                problems=[str(p) for p in err.problems],
            )
        # Model calls run in worker threads: let as many run as the limiter admits.
        threads = trio.to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, int(self.limiter.total_tokens))
        finished: sandbox.Finished | None = None
        output: Any = None
        timed_out = False
        proc = await self.pool.start(plan, limits=self.limits, constants=constants)
        async with trio.open_nursery() as nursery:
            with trio.move_on_after(self.limits.wall_seconds) as deadline:
                async for event in proc.events():
                    if isinstance(event, sandbox.Call):
                        self._on_call(event, proc, nursery)
                    elif isinstance(event, sandbox.Resolve):
                        await self._on_resolve(event.id, proc)
                    elif isinstance(event, sandbox.Log):
                        self._log.append(event.text)
                        self.emit(Logged(event.text))
                    else:
                        finished = event
                if finished is not None and finished.status == "ok":
                    try:
                        output = await self._resolve(finished.result)
                    except _DependencyFailed as err:
                        finished = sandbox.Finished("error", error=str(err), error_type=err.kind)
            timed_out = deadline.cancelled_caught
            proc.kill()
            nursery.cancel_scope.cancel()
        return self._result(source, finished, output, timed_out)

    def _on_call(
        self, call: sandbox.Call, proc: sandbox.PlanProcess, nursery: trio.Nursery
    ) -> None:
        data = _handle_ids(call.args) | _handle_ids(call.kwargs)
        control = self._frontier - data
        node = self.graph.add(call.primitive, _summary(call), data=data, control=control)
        assert node.id == call.id, "graph ids follow call ids"
        self._parents[node.id] = data | control
        self._slots[call.id] = _Slot()
        nursery.start_soon(self._run_call, call, node, proc)

    async def _on_resolve(self, id: int, proc: sandbox.PlanProcess) -> None:
        # The plan waited on `id`: later calls get a control edge from it (or from a
        # later value that already depended on it).
        self._frontier = {f for f in self._frontier if f not in self._ancestors(id)} | {id}
        if self._slots[id].done.is_set():
            await self._answer(id, proc)
        else:
            self._waiting.add(id)  # answered by the call's own task when it finishes

    def _ancestors(self, id: int) -> set[int]:
        """Ancestors of `id` down to the oldest frontier node (edges only go to later ids)."""
        low = min(self._frontier, default=id)
        seen: set[int] = set()
        stack = list(self._parents.get(id, ()))
        while stack:
            parent = stack.pop()
            if parent not in seen and parent >= low:
                seen.add(parent)
                stack.extend(self._parents.get(parent, ()))
        return seen

    async def _answer(self, id: int, proc: sandbox.PlanProcess) -> None:
        slot = self._slots[id]
        if slot.error:
            await proc.send_error(id, *slot.error)
        else:
            await proc.send_value(id, slot.value)

    async def _resolve(self, value: Any) -> Any:
        if isinstance(value, sandbox.HandleRef):
            slot = self._slots[value.id]
            await slot.done.wait()
            if slot.error:
                node = self.graph.node(value.id)
                raise _DependencyFailed(slot.error[0], f"{slot.error[1]} (call #{node.id})")
            return slot.value
        if isinstance(value, list):
            return [await self._resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: await self._resolve(v) for k, v in value.items()}
        return value

    async def _run_call(self, call: sandbox.Call, node: Node, proc: sandbox.PlanProcess) -> None:
        slot = self._slots[call.id]
        status: Literal["ok", "error", "cancelled"] = "error"
        error = None
        try:
            args = await self._resolve(call.args)
            kwargs = await self._resolve(call.kwargs)
            self.graph.start(node.id, at=self.now())
            self.emit(NodeStarted(node))
            value = await self.primitives[call.primitive](Context(self, node), args, kwargs)
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise PrimitiveFailed(
                    f"`{call.primitive}` returned {type(value).__name__}, not JSON data: {err}"
                ) from None
            slot.value, status = value, "ok"
        except trio.Cancelled:
            status, error = "cancelled", "cancelled when the run ended"
            raise
        except BudgetExceeded as err:
            slot.error = ("BudgetExceeded", str(err))
        except _DependencyFailed as err:
            slot.error = (err.kind, f"`{call.primitive}` could not start: {err}")
        except (PlanError, ModelError, UserError, ValueError, TypeError) as err:
            slot.error = ("PrimitiveError", str(err))
        except Exception as err:  # a user primitive's own failure
            slot.error = (
                "PrimitiveError",
                f"`{call.primitive}` failed: {type(err).__name__}: {err}",
            )
        finally:
            if slot.error:
                error = slot.error[1]
            slot.done.set()
            if node.start is None:
                self.graph.start(node.id, at=self.now())
            self.graph.finish(
                node.id, at=self.now(), status=status, tokens=node.tokens, usd=node.usd,
                calls=node.calls, cached=node.cached, error=error,
            )  # fmt: skip
            self.emit(NodeFinished(node, slot.value if status == "ok" else None))
        if call.id in self._waiting:
            self._waiting.discard(call.id)
            await self._answer(call.id, proc)

    # --- the outcome ---------------------------------------------------------------

    def _result(
        self,
        source: str,
        finished: sandbox.Finished | None,
        output: Any,
        timed_out: bool,
    ) -> Result:
        self.usage.wall_seconds = self.now()
        self.usage.steps = finished.steps if finished else 0
        common: dict[str, Any] = {
            "plan": source, "graph": self.graph, "usage": self.usage, "log": "".join(self._log),
        }  # fmt: skip
        exhausted = self.ledger.exhausted
        steps_capped = finished is not None and finished.limit == "steps" and self.budget.steps
        if timed_out or finished is None:
            message = f"The run exceeded its deadline of {self.limits.wall_seconds} s."
            return Result(status="timeout", error=message, **self._best(None), **common)
        if exhausted is not None or steps_capped:
            message = str(exhausted) if exhausted else (finished.error or "steps exhausted")
            plan_output = output if finished.status == "ok" else None
            return Result(
                status="budget_exhausted", error=message, **self._best(plan_output), **common
            )
        if finished.status == "ok":
            return Result(status="ok", output=output, **common)
        where = f" (plan line {finished.line})" if finished.line else ""
        kind = f"{finished.error_type}: " if finished.error_type else ""
        message = f"{kind}{finished.error}{where}"
        return Result(status="error", error=message, **self._best(None), **common)

    def _best(self, plan_output: Any) -> dict[str, Any]:
        """The plan's own output if it has one, else the best draft the run produced."""
        if plan_output is not None:
            return {"output": plan_output}
        verdicts: dict[str, tuple[bool, float]] = {}
        drafts: list[tuple[float, str]] = []
        for node in self.graph.nodes:
            slot = self._slots.get(node.id)
            if slot is None or not slot.done.is_set() or slot.error:
                continue
            if node.primitive in ("validate",) and isinstance(slot.value, dict):
                draft = self._first_arg(node.id)
                if isinstance(draft, str):
                    verdicts[draft] = max(
                        verdicts.get(draft, (False, 0.0)),
                        (bool(slot.value.get("passed")), float(slot.value.get("score", 0))),
                    )
            values = slot.value if isinstance(slot.value, list) else [slot.value]
            drafts.extend((node.end or 0.0, v) for v in values if isinstance(v, str))
        if not drafts:
            return {"output": None}
        best = max(drafts, key=lambda d: (verdicts.get(d[1], (False, -1.0)), d[0]))
        return {"output": best[1], "best_effort": True}

    def _first_arg(self, id: int) -> Any:
        for edge in self.graph.edges:
            if edge.target == id and edge.kind == "data":
                slot = self._slots.get(edge.source)
                if slot and isinstance(slot.value, str):
                    return slot.value
        return None


def _handle_ids(value: Any) -> set[int]:
    if isinstance(value, sandbox.HandleRef):
        return {value.id}
    if isinstance(value, list):
        return set().union(*(_handle_ids(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_handle_ids(v) for v in value.values())) if value else set()
    return set()


def _summary(call: sandbox.Call) -> str:
    def show(value: Any) -> str:
        if isinstance(value, sandbox.HandleRef):
            return f"#{value.id}"
        if isinstance(value, str):
            return repr(value if len(value) <= 30 else value[:27] + "...")
        if isinstance(value, list):
            return (
                "["
                + ", ".join(show(v) for v in value[:4])
                + (", ..." if len(value) > 4 else "")
                + "]"
            )
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in list(value.items())[:3]) + "}"
        return repr(value)

    parts = [show(a) for a in call.args] + [f"{k}={show(v)}" for k, v in call.kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= 120 else text[:117] + "..."
