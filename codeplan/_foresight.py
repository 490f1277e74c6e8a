"""Estimates inside runs: before each attempt of `codeplan.run`, for the planner, and dry runs.

* `estimate_before`: the estimate `codeplan.execute(..., estimate=True)` attaches.
* `Foresight`: what `codeplan.run` estimates: each attempt's plan before it runs (attached to
  the Attempt), the alternatives the planner is shown (a single generate call, the default
  plan), and whether a plan the planner wrote fits the budget left.
* `dry_run`: what `codeplan run --dry-run` prints: the planner's calls and the default plan.

Inside a run an estimate must stay cheap. Each simulated run starts a plan process, and
back to back that costs about 70 ms here (the process's start-up, not the simulation): the
default plan's estimate took 140 ms with no sampled run (every validation failing, every
one passing), 270 ms with 2 and 730 ms with 8. So attempts are estimated with
`ATTEMPT_SAMPLES` = 0: their expected figures are the midpoint of the two extremes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from ._estimate import DEFAULT_SAMPLES, Estimate, Estimator, Figure, _secs, _usd

if TYPE_CHECKING:
    from ._budget import Budget
    from ._runtime import Run
    from ._solve import Solver

__all__ = ["ATTEMPT_SAMPLES", "DryRun", "Foresight", "dry_run", "estimate_before"]

ATTEMPT_SAMPLES = 0  # sampled runs beside the pessimistic and the optimistic one
SINGLE_CALL = "result = generate(TASK)\n"


def budget_left(remaining: dict[str, float | None], steps: int | None = None) -> Budget | None:
    """The Budget of what is left (None when a cap is already used up)."""
    from ._budget import Budget

    if any(v is not None and v <= 0 for v in remaining.values()):
        return None

    def whole(unit: str) -> int | None:
        value = remaining.get(unit)
        return None if value is None else int(value)

    usd, seconds = remaining.get("usd"), remaining.get("seconds")
    return Budget(
        usd=usd, tokens=whole("tokens"), calls=whole("calls"), seconds=seconds, steps=steps
    )


async def estimate_before(
    plan: str, run: Run, *, samples: int = DEFAULT_SAMPLES
) -> Estimate | None:
    """The estimate of `plan` about to run as `run`, under the budget it has left; None when
    there is nothing to estimate (a rejected plan, an unknown model, no budget left)."""
    from ._errors import UserError
    from ._store import StatsStore

    budget = budget_left(run.ledger.remaining(), run.budget.steps)
    if budget is None:
        return None
    try:
        estimator = Estimator(
            task=run.task, requirements=run.requirements, model=run.model,
            judge_model=run.judge_model, primitives=run.primitives, store=StatsStore.default(),
            cache=run.client.cache, max_concurrency=int(run.limiter.total_tokens),
            limits=run.limits, constants=run.extra_constants,
        )  # fmt: skip
        return await estimator.estimate(plan, budget=budget, samples=samples)
    except UserError:
        return None


class Foresight:
    """The estimates one `codeplan.run` makes, each under the budget it has left."""

    def __init__(self, solver: Solver) -> None:
        self.solver = solver
        self.alternatives: list[tuple[str, Estimate]] = []
        self._estimator: Estimator | None = None
        self._unknown = False  # the model is unknown to litellm: nothing can be estimated
        self._made: dict[str, Estimate | None] = {}

    def estimator(self) -> Estimator | None:
        from ._errors import UserError
        from ._store import StatsStore

        if self._estimator is None and not self._unknown:
            s = self.solver
            try:
                self._estimator = Estimator(
                    task=s.prompt, requirements=s.requirements, model=s.model,
                    judge_model=s.judge_model, primitives=s.primitives,
                    store=StatsStore.default(), cache=s.client.cache,
                    max_concurrency=s.max_concurrency, limits=s.limits,
                    constants={"CANDIDATES": s.candidates},
                )  # fmt: skip
            except UserError:
                self._unknown = True
        return self._estimator

    async def of(self, source: str, *, samples: int = ATTEMPT_SAMPLES) -> Estimate | None:
        """The estimate of `source` under the budget left (made once per source)."""
        from ._errors import UserError

        if source not in self._made:
            estimator = self.estimator()
            budget = budget_left(self.solver.ledger.remaining(), self.solver.budget.steps)
            made = None
            if estimator is not None and budget is not None:
                try:
                    made = await estimator.estimate(source, budget=budget, samples=samples)
                except UserError:
                    made = None
            self._made[source] = made
        return self._made[source]

    async def for_attempt(self, source: str) -> Estimate | None:
        """The estimate of the plan about to run (made afresh if an earlier one was used)."""
        made = await self.of(source)
        self._made.pop(source, None)
        return made

    async def weigh_alternatives(self) -> None:
        """Estimate what the planner is shown beside its own ideas (only with a planner)."""
        from ._planner import DEFAULT_PLAN

        if self.solver.planner_model is None or self.alternatives:
            return
        candidates = self.solver.candidates
        default = (
            f"the default plan (best_of({candidates}, stop_early) -> validate -> fix the best "
            "2 -> validate -> select)"
        )
        for label, source in ((f"`{SINGLE_CALL.strip()}`", SINGLE_CALL), (default, DEFAULT_PLAN)):
            made = await self.of(source)
            if made is not None:
                self.alternatives.append((label, made))

    async def over_budget(self, source: str) -> list[str]:
        """The problem with `source` when it runs out of the budget left if every validation
        fails (none when it fits, or cannot be estimated)."""
        made = await self.of(source)
        why = made.over_budget(self.solver.ledger.remaining()) if made else None
        return [why] if why else []

    def text(self) -> str:
        """What the planner reads about costs: per call, then the alternatives."""
        lines = [per_call_text(self.solver)]
        if self.alternatives:
            lines.append(
                "\nALTERNATIVES, simulated before running (expected [low..high]; passes: the "
                "chance that the output meets every requirement):"
            )
            remaining = self.solver.ledger.remaining()
            for label, made in self.alternatives:
                fits = "runs out of the budget left" if made.over_budget(remaining) else (
                    "fits the budget left"
                )  # fmt: skip
                lines.append(f"- {label}: {made.brief()}; when every validation fails it {fits}")
            lines.append(
                "Your plan is simulated the same way before it runs; a plan that runs out of "
                "the budget left when every validation fails is sent back."
            )
        return "\n".join(lines)


def per_call_text(solver: Solver) -> str:
    """Each kind of call's expected cost and latency, from past runs or the defaults."""
    from ._errors import UserError
    from ._simulate import SimulatedClient, filler
    from ._store import StatsStore

    store = StatsStore.default()
    client = SimulatedClient(store)
    judge_model = solver.judge_model or solver.model
    stats, judge_stats = store.model(solver.model), store.model(judge_model)
    written = stats.completion_tokens("draft", 512)
    judged = judge_stats.completion_tokens("judge", 96)
    try:
        prompt, worst = client.estimate(
            solver.model, [{"role": "user", "content": solver.prompt}], max_tokens=512
        )
        # A judge reads its instructions (about 50 tokens), the requirement and the draft.
        judge_prompt = [{"role": "user", "content": filler(0, written + 60)}]
        judge_in, judge_worst = client.estimate(judge_model, judge_prompt, max_tokens=96)
        price_in, price_out = client.prices(solver.model)
        judge_price_in, judge_price_out = client.prices(judge_model)
    except UserError:
        return "(unknown for this model)"
    usd = prompt * price_in + written * price_out
    judge_usd = judge_in * judge_price_in + judged * judge_price_out
    seconds, judge_seconds = stats.seconds(written), judge_stats.seconds(judged)
    at_once = "one at a time on this model" if solver.model.startswith("embedded/") else "at once"
    source = "measured by past runs" if stats.knows("latency") else "defaults: no past runs"
    return "\n".join(
        [
            f"generate, fix, merge: 1 model call, about {_usd(usd)} (up to {_usd(worst)}), "
            f"about {_secs(seconds)}",
            f"best_of(n): n model calls {at_once}: n x {_usd(usd)}, about {_secs(seconds)} each",
            f"validate, judge: 1 judge call per described requirement, about {_usd(judge_usd)} "
            f"(up to {_usd(judge_worst)}), about {_secs(judge_seconds)}; code checks free",
            "repair, top, select, budget_left: free",
            f"(latency {source}; {written} completion tokens per draft, {judged} per judgement)",
        ]
    )


# --- dry runs ------------------------------------------------------------------------------------


class PlannerCalls(pydantic.BaseModel):
    """What asking the planner model for a plan is expected to cost."""

    model: str
    calls: Figure  # one, or up to three when its plans must be sent back
    prompt_tokens: int  # of the first call
    usd: Figure
    latency: Figure


class DryRun(pydantic.BaseModel):
    """What `codeplan.run` would do, estimated without calling a model."""

    planner: PlannerCalls | None = None
    plan: Estimate  # the default plan's
    judged_requirements: int  # judge calls that validate the final output
    note: str = ""

    def summary(self) -> str:
        lines = ["Dry run: no model was called and nothing was spent."]
        if self.planner:
            p = self.planner
            lines.append(
                f"planner {p.model}: {p.calls.expected:.0f} call expected (up to "
                f"{p.calls.high:.0f} when its plans are sent back), {p.prompt_tokens:,} prompt "
                f"tokens, {_usd(p.usd.expected)} (up to {_usd(p.usd.high)}), about "
                f"{_secs(p.latency.expected)}"
            )
        if self.note:
            lines.append(self.note)
        lines.append(self.plan.summary())
        if self.judged_requirements:
            lines.append(
                f"then the output is validated: {self.judged_requirements} judge call(s), "
                "one per described requirement"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


async def dry_run(prompt: str, options: dict[str, Any]) -> DryRun:
    """The estimate of `codeplan.run(prompt, **options)`: the planner's calls, if it has a
    planner model, and the default plan as the plan it would run."""
    from ._errors import UserError
    from ._planner import DEFAULT_PLAN
    from ._simulate import SimulatedClient
    from ._solve import _defaults, _solver
    from ._store import StatsStore

    solver = _solver(prompt, **_defaults(options))
    foresight = solver.foresight
    if foresight.estimator() is None:
        raise UserError(
            f"Unknown model `{solver.model}`: litellm's price map has no entry for it, so "
            "nothing can be estimated. Use a model string litellm knows."
        )
    plan = await foresight.of(DEFAULT_PLAN, samples=DEFAULT_SAMPLES)
    if plan is None:
        raise UserError("The budget is too small for any model call; raise it.")
    planner = None
    note = ""
    if solver.planner_model is not None:
        await foresight.weigh_alternatives()
        message = [{"role": "user", "content": solver._base_prompt()}]
        client = SimulatedClient(StatsStore.default())
        tokens, worst = client.estimate(solver.planner_model, message, max_tokens=1024)
        price_in, price_out = client.prices(solver.planner_model)
        stats = StatsStore.default().model(solver.planner_model)
        written = stats.completion_tokens("draft", 1024)
        usd = tokens * price_in + written * price_out
        seconds = stats.seconds(written)
        planner = PlannerCalls(
            model=solver.planner_model,
            calls=Figure(expected=1, low=1, high=3),
            prompt_tokens=tokens,
            usd=Figure(expected=usd, low=usd, high=3 * worst),
            latency=Figure(expected=seconds, low=seconds, high=3 * seconds),
        )
        note = (
            "The plan the planner would write cannot be known without calling it; below is "
            "the default plan, which runs when the planner fails (and without a planner)."
        )
    judged = sum(1 for r in solver.requirements if r.check is None)
    return DryRun(planner=planner, plan=plan, judged_requirements=judged, note=note)
