"""One simulated run of a plan: the real sandbox and runtime, a model that only pretends.

`simulate` runs the plan as `codeplan.execute` would, with two substitutions:

* `SimulatedClient` answers every model call at once with filler text as long as the model's
  typical completion (from the `StatsStore`), and reports the tokens and dollars the real call
  would cost: prompt tokens counted for the real model, prices from litellm's price map. It
  never calls a provider and never loads the embedded model.
* The built-in primitives whose behaviour depends on what a text says (`validate`, `judge`,
  `fix`, `repair`, `best_of`) are replaced by versions with the same names and signatures
  whose outcomes come from `Outcomes`: each requirement passes with the model's measured
  pass rate (or always, or never), decided once per (text, requirement) so that validating
  the same draft twice agrees. Their model calls (a judge per described requirement, a
  rewrite per failed fix) are still made, against the simulated model. Every other
  primitive, your own included, runs as it is.

The run's graph and its model calls then give the latency: `schedule` replays the graph with
each call taking the store's expected seconds, under the run's concurrency limit.
"""

from __future__ import annotations

import contextvars
import hashlib
import heapq
import json
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import trio

import sandbox

from ._budget import Budget
from ._cache import CallCache
from ._errors import BudgetExceeded, PlanError, PrimitiveFailed, UserError
from ._graph import Graph
from ._models import ModelClient, ModelReply, _check_call, _prepare, _prices, _prompt_tokens
from ._primitives import Primitive
from ._requirements import Requirement, as_requirement
from ._requirements import _result as requirement_result
from ._requirements import verdict as make_verdict
from ._runtime import Context, Run, concurrency_for
from ._store import Kind, StatsStore, kind_of

__all__ = ["Outcomes", "Scenario", "Setup", "SimulatedClient", "schedule", "simulate"]

# Calls that the simulation lets run at once while it records the graph; the real limit is
# applied afterwards by `schedule`, so the recorded order does not depend on it.
_LOGICAL_CONCURRENCY = 1000
# Without a cap on calls, a plan that loops until validation passes would never end when
# every validation fails; the simulation stops it here and says so.
SIMULATED_CALLS_CAP = 500
# The embedded model's chat template adds a system prompt; litellm's count misses it
# (measured: 23-38 tokens more than litellm counts for one user message).
_EMBEDDED_TEMPLATE_TOKENS = 23

_NODE: contextvars.ContextVar[int] = contextvars.ContextVar("codeplan_sim_node", default=0)
_KIND: contextvars.ContextVar[Kind] = contextvars.ContextVar("codeplan_sim_kind", default="draft")
_OUTCOMES: contextvars.ContextVar[Outcomes] = contextvars.ContextVar("codeplan_sim_outcomes")
_CAPACITY: contextvars.ContextVar[int] = contextvars.ContextVar("codeplan_sim_capacity", default=8)

Mode = Literal["fail", "pass", "sample"]


@dataclass
class Outcomes:
    """Whether a text passes a requirement, in one simulated run.

    `mode`: "fail" (every validation fails), "pass" (every one passes) or "sample" (each
    requirement passes with `rate(name)`, drawn from a hash of seed, text and name).
    """

    mode: Mode
    rate: Callable[[str], float]
    seed: int = 0
    decided: dict[tuple[str, str], bool] = field(default_factory=dict)

    def passed(self, text: str, requirement: str) -> bool:
        key = (text, requirement)
        if key not in self.decided:
            if self.mode == "sample":
                digest = hashlib.sha256(f"{self.seed}\0{requirement}\0{text}".encode()).digest()
                draw = int.from_bytes(digest[:8], "big") / 2**64
                self.decided[key] = draw < self.rate(requirement)
            else:
                self.decided[key] = self.mode == "pass"
        return self.decided[key]

    def success(self, text: str, requirements: Sequence[Requirement]) -> float:
        """The probability that `text` passes every mandatory requirement: outcomes the
        run's validations decided count as they were; the others at their pass rate (the
        output's own check is not one of the plan's validations, whatever the mode)."""
        probability = 1.0
        for req in requirements:
            if not req.mandatory or req.on_fail == "warn":
                continue
            decided = self.decided.get((text, req.name))
            probability *= self.rate(req.name) if decided is None else float(decided)
        return probability


@dataclass(frozen=True)
class SimulatedCall:
    node: int
    wave: int  # calls of a node in the same wave ran at once; waves run one after another
    seconds: float


class SimulatedClient(ModelClient):
    """A model client that answers instantly with filler and never spends.

    Prompt tokens and prices are those of the real model (the embedded model's prompt is
    counted without loading it); completion lengths come from `store`. With `cache`, a call
    the real run would find there is answered from it, at no cost, like the real client.
    """

    def __init__(self, store: StatsStore, cache: CallCache | None = None) -> None:
        super().__init__(cache=None)
        self.store = store
        self.lookup = cache
        self.calls: list[SimulatedCall] = []
        self._count = 0
        self._waves: dict[int, int] = {}
        self._prices: dict[str, tuple[float, float]] = {}

    def prices(self, model: str) -> tuple[float, float]:
        """USD per prompt and per completion token of `model` (UserError if unknown)."""
        if model not in self._prices:
            if model.startswith("embedded/"):
                try:
                    self._prices[model] = _prices(_prepare(model), model)
                except UserError:  # not installed: an estimate does not need it, and it is free
                    self._prices[model] = (0.0, 0.0)
            else:
                self._prices[model] = _prices(_prepare(model), model)
        return self._prices[model]

    def prompt_tokens(self, model: str, messages: list[dict[str, Any]]) -> int:
        from ._models import load_litellm

        litellm = load_litellm()
        if model.startswith("embedded/"):
            try:
                counted = int(litellm.token_counter(model=model, messages=messages))
            except Exception:
                counted = math.ceil(sum(len(str(m.get("content"))) for m in messages) / 3)
            return counted + _EMBEDDED_TEMPLATE_TOKENS
        return _prompt_tokens(litellm, model, messages)

    def estimate(
        self, model: str, messages: list[dict[str, Any]], *, max_tokens: int
    ) -> tuple[int, float]:
        _check_call(model, messages, max_tokens)
        input_price, output_price = self.prices(model)
        prompt = self.prompt_tokens(model, messages)
        return prompt, prompt * input_price + max_tokens * output_price

    async def complete(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        sample: int = 0,
        **params: Any,
    ) -> ModelReply:
        node = _NODE.get()
        wave = self._waves.get(node, 0) + 1
        prompt, _ = self.estimate(model, messages, max_tokens=max_tokens)
        hit = None
        if self.lookup is not None:
            call = {"max_tokens": max_tokens, "temperature": temperature, **params}
            key = CallCache.key(model, messages, call, sample)
            hit = self.lookup.get(key) if key in self.lookup else None
        # Calls of this node that start before any of them ends ran at once.
        await trio.lowlevel.checkpoint()
        self._waves[node] = max(self._waves.get(node, 0), wave)
        if hit is not None and isinstance(hit.get("text"), str):
            self.calls.append(SimulatedCall(node, wave, 0.0))
            return ModelReply(
                text=hit["text"], model=model, prompt_tokens=int(hit.get("prompt_tokens", 0)),
                completion_tokens=int(hit.get("completion_tokens", 0)), usd=0.0, latency=0.0,
                cached=True, attempts=0,
            )  # fmt: skip
        stats = self.store.model(model)
        completion = stats.completion_tokens(_KIND.get(), max_tokens)
        input_price, output_price = self.prices(model)
        self._count += 1
        self.calls.append(SimulatedCall(node, wave, stats.seconds(completion)))
        return ModelReply(
            text=filler(self._count, completion), model=model, prompt_tokens=prompt,
            completion_tokens=completion, usd=prompt * input_price + completion * output_price,
            latency=0.0,
        )  # fmt: skip


def filler(number: int, tokens: int) -> str:
    """A distinct text of `tokens` words (about as many tokens for most tokenizers)."""
    return " ".join([f"draft{number}", *["word"] * (tokens - 1)])


# --- simulated primitives ------------------------------------------------------------------

Impl = Callable[[Context, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, eq=False)
class _Simulated(Primitive):
    """A primitive as the simulation runs it: tagged with its node (for latency) and, for the
    built-ins whose outcome depends on what a text says, a simulated implementation."""

    original: Primitive | None = None
    impl: Impl | None = None

    async def __call__(self, ctx: Context, args: list[Any], kwargs: dict[str, Any]) -> Any:
        _NODE.set(ctx.node.id)
        _KIND.set(kind_of(self.name))
        if self.impl is None:
            assert self.original is not None
            return await self.original(ctx, args, kwargs)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise PrimitiveFailed(self._explain_binding(err, kwargs)) from None
        bound.apply_defaults()
        return await self.impl(ctx, dict(bound.arguments))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _outcome(req: Requirement, draft: Any) -> dict[str, Any]:
    passed = _OUTCOMES.get().passed(_text(draft), req.name)
    reason = "simulated: met" if passed else "simulated: not met"
    return requirement_result(req, passed, 1.0 if passed else 0.0, reason)


async def _check(ctx: Context, draft: Any, names: list[str] | None) -> dict[str, Any]:
    from ._plan_api import judge_one

    _KIND.set("judge")
    chosen = ctx.requirements_named(names)
    results: list[dict[str, Any]] = [{} for _ in chosen]

    async def one(i: int, req: Requirement) -> None:
        if req.check is None:
            await judge_one(_text(draft), req, ctx)  # what the judge costs; not what it says
        results[i] = _outcome(req, draft)

    async with trio.open_nursery() as nursery:
        for i, req in enumerate(chosen):
            nursery.start_soon(one, i, req)
    return make_verdict(results)


async def _validate(ctx: Context, a: dict[str, Any]) -> Any:
    return await _check(ctx, a["draft"], a.get("requirements"))


async def _judge(ctx: Context, a: dict[str, Any]) -> Any:
    from ._plan_api import judge_one

    req = as_requirement(a["requirement"])
    await judge_one(_text(a["draft"]), req, ctx)
    return _outcome(req, a["draft"])


async def _repair(ctx: Context, a: dict[str, Any]) -> Any:
    return a["draft"]  # code repairs are free; the simulation treats them as no change


async def _fix(ctx: Context, a: dict[str, Any]) -> Any:
    from ._plan_api import fix_prompt

    draft, verdict = a["draft"], a.get("verdict")
    if not isinstance(verdict, dict):
        verdict = await _check(ctx, draft, None)
        _KIND.set("draft")
    if verdict.get("passed") or verdict.get("dropped"):
        return draft
    prompt = fix_prompt(_text(draft), verdict, ctx)
    if prompt is None:
        return draft
    return await ctx.complete(prompt, max_tokens=a.get("max_tokens", 512), temperature=0.3)


async def _best_of(ctx: Context, a: dict[str, Any]) -> Any:
    """The candidates as the real `best_of` makes them, with simulated validation.

    Without stop_early: all n at once. With it: as many at once as the model serves (one
    for the embedded model); the drafts of a round are validated as they arrive, the first
    that passes ends the call, and validations (and later rounds) after it are never made.
    The drafts of a round all finish (the real call may cancel some in flight), so with a
    model that serves every candidate at once the figures are an upper bound.
    """
    n, models = a["n"], a.get("models")
    if n < 1:
        raise ValueError(f"best_of needs n >= 1 (got {n}).")
    stop_early = bool(a.get("stop_early"))
    drafts: dict[int, str] = {}
    refused: list[BudgetExceeded] = []
    winner: list[int] = []

    async def one(i: int) -> None:
        model = models[i % len(models)] if models else None
        try:
            drafts[i] = await ctx.complete(
                a["prompt"], max_tokens=a.get("max_tokens", 512),
                temperature=a.get("temperature", 0.9), model=model,
            )  # fmt: skip
        except BudgetExceeded as err:
            refused.append(err)

    width = max(1, _CAPACITY.get()) if stop_early else n
    for first in range(0, n, width):
        batch = range(first, min(n, first + width))
        async with trio.open_nursery() as nursery:
            for i in batch:
                nursery.start_soon(one, i)
        if not stop_early:
            continue
        arrived = [i for i in batch if i in drafts]
        winner = [i for i in arrived if _passes(ctx, drafts[i])][:1]
        checked = arrived[: arrived.index(winner[0]) + 1] if winner else arrived
        async with trio.open_nursery() as nursery:
            for i in checked:  # what validating them costs: the judge calls
                nursery.start_soon(_check, ctx, drafts[i], None)
        if winner:
            break
    if not drafts:
        raise refused[0] if refused else PlanError("best_of produced no draft.")
    return [drafts[i] for i in winner + [i for i in sorted(drafts) if i not in winner]]


def _passes(ctx: Context, draft: Any) -> bool:
    """Whether `draft` passes every requirement, as this simulated run decides it."""
    return bool(make_verdict([_outcome(r, draft) for r in ctx.requirements_named(None)])["passed"])


_SIMULATED: dict[str, Impl] = {
    "validate": _validate,
    "judge": _judge,
    "fix": _fix,
    "repair": _repair,
    "best_of": _best_of,
}


def simulated_registry(primitives: dict[str, Primitive]) -> dict[str, Primitive]:
    """`primitives` as the simulation runs them (built-ins substituted, all tagged)."""
    out: dict[str, Primitive] = {}
    for name, prim in primitives.items():
        builtin = getattr(prim.fn, "__module__", "") == "codeplan._plan_api"
        impl = _SIMULATED.get(name) if builtin else None
        out[name] = _Simulated(
            prim.name, prim.fn, prim.doc, prim.signature, prim.context_param, prim.uses_model,
            original=prim, impl=impl,
        )  # fmt: skip
    return out


# --- one simulated run ------------------------------------------------------------------------


@dataclass
class Setup:
    """What every simulated run of one estimate shares."""

    task: str
    requirements: list[Requirement]
    model: str
    judge_model: str | None
    budget: Budget
    primitives: dict[str, Primitive]  # already simulated
    limits: sandbox.Limits
    constants: dict[str, Any]
    store: StatsStore
    cache: CallCache | None
    max_concurrency: int
    pool: sandbox.Sandbox


@dataclass
class Scenario:
    """The figures of one simulated run."""

    status: str
    error: str | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    latency: float
    success: float  # probability that the output passes every mandatory requirement
    draws: int  # validation outcomes the run looked at
    capped: bool  # stopped by the simulation's own cap on calls


async def simulate(plan: str, setup: Setup, outcomes: Outcomes) -> Scenario:
    """Run `plan` once against the simulated model with these validation `outcomes`."""
    from ._plan_api import PRELUDE

    budget = setup.budget
    capped_calls = budget.calls is None
    if capped_calls:
        caps = budget.model_dump()
        budget = Budget(**{**caps, "calls": SIMULATED_CALLS_CAP})
    client = SimulatedClient(setup.store, setup.cache)
    capacity = concurrency_for(setup.model, setup.max_concurrency)
    token = _OUTCOMES.set(outcomes)
    capacity_token = _CAPACITY.set(capacity)
    try:
        run = Run(
            task=setup.task, requirements=setup.requirements, model=setup.model,
            judge_model=setup.judge_model, budget=budget, primitives=setup.primitives,
            prelude=PRELUDE, client=client, max_concurrency=_LOGICAL_CONCURRENCY,
            limits=setup.limits, listeners=(), pool=setup.pool, constants=setup.constants,
        )  # fmt: skip
        run.limiter = trio.CapacityLimiter(_LOGICAL_CONCURRENCY)
        result = await run.execute(plan)
    finally:
        _OUTCOMES.reset(token)
        _CAPACITY.reset(capacity_token)
    draws = len(outcomes.decided)
    success = 0.0
    if result.status == "ok":
        success = outcomes.success(_text(result.output), setup.requirements)
    usage = result.usage
    error = result.error
    if result.status == "rejected" and result.problems:
        error = "\n".join(result.problems)
    return Scenario(
        status=result.status,
        error=error,
        calls=usage.calls,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        usd=usage.usd,
        latency=schedule(result.graph, client.calls, capacity),
        success=success,
        draws=draws,
        capped=capped_calls and usage.calls >= SIMULATED_CALLS_CAP,
    )


def schedule(graph: Graph, calls: Sequence[SimulatedCall], capacity: int) -> float:
    """Seconds the run takes when each call lasts its expected seconds: a node starts when
    every node it depends on (data or control) has ended; its calls run wave after wave;
    at most `capacity` calls run at once, the rest queue in order (as trio's limiter does).
    """
    waves: dict[int, dict[int, list[float]]] = {}
    for call in calls:
        waves.setdefault(call.node, {}).setdefault(call.wave, []).append(call.seconds)
    before: dict[int, int] = {node.id: 0 for node in graph.nodes}
    after: dict[int, list[int]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        before[edge.target] += 1
        after[edge.source].append(edge.target)
    pending: dict[int, list[list[float]]] = {
        node: [waves[node][w] for w in sorted(waves[node])] for node in waves
    }
    events: list[tuple[float, int, int]] = []  # (time, order, node) of calls that end
    queue: deque[tuple[int, float]] = deque()
    running: dict[int, int] = {}
    free = max(1, capacity)
    order = 0
    end = 0.0

    def dispatch(now: float) -> None:
        nonlocal free, order
        while free and queue:
            node, seconds = queue.popleft()
            free -= 1
            order += 1
            heapq.heappush(events, (now + seconds, order, node))

    def begin(node: int, now: float) -> None:
        nonlocal end
        while pending.get(node):
            wave = pending[node].pop(0)
            if wave:
                running[node] = len(wave)
                queue.extend((node, s) for s in wave)
                return
        end = max(end, now)  # a node without (more) calls ends at once
        for target in after[node]:
            before[target] -= 1
            if before[target] == 0:
                begin(target, now)

    for root in [node.id for node in graph.nodes if before[node.id] == 0]:
        begin(root, 0.0)
    dispatch(0.0)
    while events:
        now, _, node = heapq.heappop(events)
        free += 1
        running[node] -= 1
        if running[node] == 0:
            begin(node, now)
        dispatch(now)
    return end
