"""Estimates before running: calls, tokens, dollars, latency and the chance of success.

`estimate` runs the plan in the real sandbox and runtime against a simulated model (see
`_simulate`), several times: once with every validation failing (pessimistic), once with
every one passing (optimistic), and `samples` times with each requirement passing at the
model's measured rate. Expected figures are the mean of the samples; the range spans every
run. A plan that never validates anything runs once: its figures are exact up to the
model's typical completion length and latency, read from the `StatsStore`.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import pydantic

if TYPE_CHECKING:
    import sandbox

    from ._budget import Budget
    from ._cache import CallCache
    from ._primitives import Primitive
    from ._requirements import Requirement
    from ._result import RunUsage
    from ._simulate import Scenario
    from ._store import StatsStore

__all__ = ["DEFAULT_SAMPLES", "Estimate", "Figure", "Row", "estimate"]

DEFAULT_SAMPLES = 8  # Monte Carlo runs beside the pessimistic and the optimistic one


class Figure(pydantic.BaseModel):
    """One estimated measure: the expected value and the range over every simulated run."""

    expected: float
    low: float
    high: float

    @classmethod
    def of(cls, expected: Sequence[float], every: Sequence[float]) -> Figure:
        return cls(expected=statistics.fmean(expected), low=min(every), high=max(every))


class Outcome(pydantic.BaseModel):
    """The figures of one simulated run (the pessimistic or the optimistic one)."""

    status: str
    error: str | None = None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    latency: float
    success: float


class Row(NamedTuple):
    """One measure, estimated against what the run actually did."""

    measure: str
    expected: float
    low: float
    high: float
    actual: float


class Estimate(pydantic.BaseModel):
    """What running a plan is expected to cost and take, and how likely it succeeds.

    Attributes:
        model: the model the plan's calls go to.
        calls, prompt_tokens, completion_tokens, tokens, usd: model usage: `expected` (mean
            of the sampled runs) and `low` .. `high` (over every simulated run).
        latency: seconds of the run when each call takes the model's expected latency,
            under its concurrency limit (the embedded model serves one call at a time).
        success: the probability that the output passes every mandatory requirement.
        pessimistic, optimistic: the runs in which every validation failed / passed.
        runs: simulated runs: 1 when the plan validates nothing (every run is the same),
            else the pessimistic and the optimistic one plus `samples` sampled runs.
        samples: sampled runs; without any, expected figures are the midpoint of the two
            extremes.
        budget_exhausted: the share of sampled runs in which the budget ran out.
        sources: where the figures came from (measured by past runs, or the defaults).
        notes: what else the simulation saw (errors, an exhausted budget, ...).
        seconds: how long the estimate took.
    """

    model: str
    calls: Figure
    prompt_tokens: Figure
    completion_tokens: Figure
    tokens: Figure
    usd: Figure
    latency: Figure
    success: float
    pessimistic: Outcome
    optimistic: Outcome
    runs: int
    samples: int
    budget_exhausted: float = 0.0
    sources: dict[str, str] = pydantic.Field(default_factory=dict)
    notes: list[str] = pydantic.Field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The estimate as JSON data."""
        return self.model_dump(mode="json")

    def summary(self) -> str:
        """A small table: each measure's expected value and range, then where they came from."""
        if self.runs == 1:
            runs = "1 simulated run: the plan validates nothing, every run is the same"
        elif not self.samples:
            runs = "2 simulated runs: every validation failing, every one passing"
        else:
            runs = (
                f"{self.runs} simulated runs: {self.samples} at the measured pass rates, "
                "every validation failing, every one passing"
            )
        rows = [
            ("model calls", self.calls, _count),
            ("prompt tokens", self.prompt_tokens, _count),
            ("completion tokens", self.completion_tokens, _count),
            ("usd", self.usd, _usd),
            ("latency", self.latency, _secs),
        ]
        lines = [f"Estimate for {self.model} ({runs})", f"{'':<18} {'expected':>11}   range"]
        for name, figure, show in rows:
            span = f"{show(figure.low)} .. {show(figure.high)}"
            lines.append(f"{name:<18} {show(figure.expected):>11}   {span}")
        lines.append(
            f"{'success':<18} {self.success:>11.0%}   (the output passes every mandatory "
            "requirement)"
        )
        if self.budget_exhausted:
            lines.append(f"{'budget runs out':<18} {self.budget_exhausted:>11.0%}   of runs")
        lines.append("figures from: " + "; ".join(f"{k}: {v}" for k, v in self.sources.items()))
        lines += [f"note: {note}" for note in self.notes]
        lines.append(f"(estimated in {self.seconds:.2f} s)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def against(self, usage: RunUsage) -> list[Row]:
        """Each measure, estimated against `usage` (what a run spent; latency is its wall)."""
        actual = {
            "calls": usage.calls,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "tokens": usage.tokens,
            "usd": usage.usd,
            "latency": usage.wall_seconds,
        }
        rows = []
        for measure, value in actual.items():
            figure: Figure = getattr(self, measure)
            rows.append(Row(measure, figure.expected, figure.low, figure.high, float(value)))
        return rows

    def over_budget(self, remaining: dict[str, float | None]) -> str | None:
        """Why this plan does not fit the budget `remaining` when every validation fails
        (None when it fits). Latency counts only when measured, not from the defaults."""
        worst = self.pessimistic
        if worst.status == "budget_exhausted":
            why = worst.error or "the budget ran out"
        elif (
            remaining.get("seconds") is not None
            and "measured" in self.sources.get("latency", "")
            and worst.latency > float(remaining["seconds"] or 0)
        ):
            why = f"it would take about {worst.latency:.1f} s"
        else:
            return None
        left = ", ".join(f"{k}={v:.6g}" for k, v in remaining.items() if v is not None)
        return (
            f"When every validation fails, this plan runs out of budget ({why}). Expected "
            f"{self.calls.expected:.0f} model calls and ${self.usd.expected:.6f} "
            f"(up to {self.calls.high:.0f} calls, ${self.usd.high:.6f}); budget left: {left}. "
            "Write a cheaper plan: fewer candidates or judged validations, or catch "
            "BudgetExceeded and keep what you have."
        )

    def brief(self) -> str:
        """One line: calls, dollars, latency (expected [low..high]) and success."""
        return (
            f"{_count(self.calls.expected)} [{_count(self.calls.low)}..{_count(self.calls.high)}]"
            f" calls, {_usd(self.usd.expected)} [{_usd(self.usd.low)}..{_usd(self.usd.high)}], "
            f"about {_secs(self.latency.expected)}, output passes {self.success:.0%}"
        )


def _count(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"


def _usd(value: float) -> str:
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"


def _secs(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


# --- making one --------------------------------------------------------------------------------


@functools.cache
def _estimate_pool() -> sandbox.Sandbox:
    """Plan processes for simulated runs, apart from the real runs' pool: an estimate starts
    several back to back, and the run it precedes should still find a warm one."""
    import atexit

    import sandbox

    pool = sandbox.Sandbox(spares=1)
    atexit.register(pool.close)
    return pool


class Estimator:
    """Estimates plans for one task, model and set of primitives (reused by `codeplan.run`)."""

    def __init__(
        self,
        *,
        task: str,
        requirements: list[Requirement],
        model: str,
        judge_model: str | None,
        primitives: dict[str, Primitive],
        store: StatsStore,
        cache: CallCache | None,
        max_concurrency: int,
        limits: sandbox.Limits | None,
        constants: dict[str, Any],
    ) -> None:
        import sandbox

        from ._budget import Budget
        from ._simulate import Setup, SimulatedClient, simulated_registry

        base = limits or sandbox.Limits()
        # A simulated run is fast; one that is not is looping, and says nothing more later.
        wall = min(base.wall_seconds, 20.0)
        self.setup = Setup(
            task=task, requirements=requirements, model=model, judge_model=judge_model,
            budget=Budget(), primitives=simulated_registry(primitives),
            limits=sandbox.Limits(**{**base.as_dict(), "wall_seconds": wall}),
            constants=constants, store=store, cache=cache, max_concurrency=max_concurrency,
            pool=_estimate_pool(),
        )  # fmt: skip
        # Unknown models fail here, with litellm's advice, not in every simulated call.
        probe = SimulatedClient(store)
        for name in {model, judge_model or model}:
            probe.prices(name)

    async def estimate(
        self, plan: str, *, budget: Budget | None = None, samples: int = DEFAULT_SAMPLES,
        seed: int = 0,
    ) -> Estimate:  # fmt: skip
        """Simulate `plan` under `budget`; UserError if the sandbox would reject it."""
        import dataclasses

        from ._budget import Budget
        from ._errors import UserError
        from ._simulate import Outcomes, simulate

        started = time.perf_counter()
        setup = dataclasses.replace(self.setup, budget=budget or Budget())
        rate = self._rates()
        worst = await simulate(plan, setup, Outcomes("fail", rate))
        if worst.status == "rejected":
            raise UserError(f"The plan would be rejected, so it has no estimate:\n{worst.error}")
        if worst.draws == 0:  # it validates nothing: every run would be this one
            best, sampled = worst, [worst]
            samples = 0
        else:
            best = await simulate(plan, setup, Outcomes("pass", rate))
            sampled = [
                await simulate(plan, setup, Outcomes("sample", rate, seed=seed * 1_000_003 + i))
                for i in range(samples)
            ] or [worst, best]
        every = [worst, best, *sampled]
        return self._estimate(worst, best, sampled, every, samples, time.perf_counter() - started)

    def _rates(self) -> Any:
        stats = self.setup.store.model(self.setup.model)
        return functools.lru_cache(maxsize=None)(stats.pass_rate)

    def _estimate(
        self,
        worst: Scenario,
        best: Scenario,
        sampled: list[Scenario],
        every: list[Scenario],
        samples: int,
        seconds: float,
    ) -> Estimate:
        def figure(measure: str) -> Figure:
            return Figure.of(
                [_measure(s, measure) for s in sampled], [_measure(s, measure) for s in every]
            )

        return Estimate(
            model=self.setup.model,
            calls=figure("calls"),
            prompt_tokens=figure("prompt_tokens"),
            completion_tokens=figure("completion_tokens"),
            tokens=figure("tokens"),
            usd=figure("usd"),
            latency=figure("latency"),
            success=statistics.fmean(s.success for s in sampled),
            pessimistic=_outcome(worst),
            optimistic=_outcome(best),
            runs=1 if worst is best else 2 + samples,
            samples=samples,
            budget_exhausted=statistics.fmean(s.status == "budget_exhausted" for s in sampled),
            sources=self._sources(),
            notes=_notes(worst, best, sampled),
            seconds=seconds,
        )

    def _sources(self) -> dict[str, str]:
        from ._store import DEFAULT_COMPLETION, DEFAULT_OVERHEAD, DEFAULT_TOKENS_PER_SECOND

        setup = self.setup
        names = list(dict.fromkeys([setup.model, setup.judge_model or setup.model]))
        stats = {name: setup.store.model(name) for name in names}

        def measured(what: Literal["latency", "tokens"]) -> list[str]:
            known = [n for n in names if stats[n].knows(what)]
            return [f"{stats[n].calls} call{'s' * (stats[n].calls != 1)} of {n}" for n in known]

        latency = measured("latency")
        tokens = measured("tokens")
        drafts, judged = DEFAULT_COMPLETION["draft"], DEFAULT_COMPLETION["judge"]
        sources = {
            "latency": f"measured over {', '.join(latency)}" if latency else (
                f"defaults ({DEFAULT_OVERHEAD:g} s + 1/{DEFAULT_TOKENS_PER_SECOND:g} s per "
                "completion token)"
            ),
            "completion lengths": f"measured over {', '.join(tokens)}" if tokens else (
                f"defaults ({drafts} completion tokens per draft, {judged} per judgement)"
            ),
        }  # fmt: skip
        known = stats[setup.model].requirements
        names_seen = [r.name for r in setup.requirements if r.name in known]
        if setup.requirements:
            sources["pass rates"] = (
                f"measured for {len(names_seen)} of {len(setup.requirements)} requirements"
                + ("" if len(names_seen) == len(setup.requirements) else ", 0.5 for the rest")
                if names_seen
                else "defaults (0.5 per requirement)"
            )
        return sources


def _measure(scenario: Scenario, measure: str) -> float:
    if measure == "tokens":
        return float(scenario.prompt_tokens + scenario.completion_tokens)
    return float(getattr(scenario, measure))


def _outcome(scenario: Scenario) -> Outcome:
    return Outcome(
        status=scenario.status, error=scenario.error, calls=scenario.calls,
        prompt_tokens=scenario.prompt_tokens, completion_tokens=scenario.completion_tokens,
        usd=scenario.usd, latency=scenario.latency, success=scenario.success,
    )  # fmt: skip


def _notes(worst: Scenario, best: Scenario, sampled: list[Scenario]) -> list[str]:
    from ._simulate import SIMULATED_CALLS_CAP

    notes = []
    for name, scenario in (("every validation failing", worst), ("every one passing", best)):
        if scenario.capped:
            notes.append(
                f"with {name}, the plan made {SIMULATED_CALLS_CAP} model calls before the "
                "simulation stopped it: without a cap on calls it may not end."
            )
        elif scenario.status != "ok":
            notes.append(f"with {name}, the run ends {scenario.status}: {scenario.error}")
    failed = [s for s in sampled if s.status not in ("ok", "budget_exhausted")]
    if failed and len(sampled) > 1:
        notes.append(f"{len(failed)} of {len(sampled)} sampled runs failed: {failed[0].error}")
    return notes


def estimator(
    task: str,
    *,
    model: str | None,
    requirements: Iterable[Any],
    primitives: Iterable[Any],
    judge_model: str | None,
    candidates: int,
    store: StatsStore | str | Path | Literal[False] | None,
    cache: CallCache | Literal[False] | None,
    max_concurrency: int,
    limits: sandbox.Limits | None,
) -> Estimator:
    """An `Estimator` from the public arguments (checked as `execute` checks them)."""
    from ._api import _chosen_cache
    from ._errors import UserError
    from ._plan_api import BUILTINS
    from ._primitives import registry
    from ._requirements import as_requirement
    from ._store import StatsStore

    if not isinstance(task, str):
        raise UserError(f"`task` must be a string (got {type(task).__name__}).")
    if max_concurrency < 1 or candidates < 1:
        raise UserError(
            f"max_concurrency and candidates must be >= 1 (got {max_concurrency}, {candidates})."
        )
    if model is None:
        from ._embedded import EMBEDDED_MODEL

        model = EMBEDDED_MODEL
    if store is None:
        chosen = StatsStore.default()
    elif store is False:
        chosen = StatsStore(None)
    elif isinstance(store, StatsStore):
        chosen = store
    else:
        chosen = StatsStore(Path(store))
    return Estimator(
        task=task, requirements=[as_requirement(r) for r in requirements], model=model,
        judge_model=judge_model, primitives=registry(BUILTINS, primitives), store=chosen,
        cache=_chosen_cache(cache), max_concurrency=max_concurrency, limits=limits,
        constants={"CANDIDATES": candidates},
    )  # fmt: skip


async def _estimate(plan: str, task: str, **options: Any) -> Estimate:
    from ._errors import UserError

    if not isinstance(plan, str) or not plan.strip():
        raise UserError("`plan` must be the plan's Python source as a non-empty string.")
    samples, seed, budget = options.pop("samples"), options.pop("seed"), options.pop("budget")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise UserError(f"samples must be an int >= 0 (got {samples!r}).")
    return await estimator(task, **options).estimate(
        plan, budget=budget, samples=samples, seed=seed
    )


def estimate(
    plan: str,
    task: str = "",
    *,
    model: str | None = None,
    requirements: Sequence[Any] = (),
    budget: Budget | None = None,
    primitives: Iterable[Any] = (),
    judge_model: str | None = None,
    candidates: int = 4,
    samples: int = DEFAULT_SAMPLES,
    store: StatsStore | str | Path | Literal[False] | None = None,
    seed: int = 0,
    max_concurrency: int = 8,
    limits: sandbox.Limits | None = None,
    cache: CallCache | Literal[False] | None = None,
) -> Estimate:
    """What running `plan` would cost and take, without calling a model.

    The plan runs in the real sandbox and runtime against a simulated model that answers at
    once with filler text as long as the model's typical reply, and reports the tokens and
    dollars the real model would cost (litellm's prices). Validation outcomes are simulated:
    every validation failing, every one passing, and `samples` runs in which each
    requirement passes at the rate past runs of `model` measured. Latency and lengths come
    from the same measurements (the store; see `CODEPLAN_STATS`), or documented defaults.
    Your own primitives run as they are, on the filler text.

    Example::

        est = codeplan.estimate(
            "drafts = best_of(3, TASK)\\nresult = select(drafts, [validate(d) for d in drafts])\\n",
            "Write a haiku about tea.",
            model="fake/echo",
            requirements=["at most 20 words", "mentions tea"],
        )
        print(est)  # calls, tokens, usd, latency: expected [low..high]; success probability
        est.calls.expected, est.usd.high, est.success

    Args:
        plan, task, model, requirements, budget, primitives, judge_model, max_concurrency,
            limits, cache: as for `codeplan.execute` (`model` defaults to the embedded model,
            which is never loaded for an estimate).
        candidates: the `CANDIDATES` constant the default plan reads.
        samples: sampled runs beside the pessimistic and the optimistic one.
        store: where measured figures are read: a path, a `StatsStore`, False for none
            (the defaults), or None for the default store.
        seed: makes the sampled runs repeatable.

    Raises:
        UserError: bad arguments, an unknown model, or a plan the sandbox rejects.
    """
    options = dict(locals())
    import trio

    return trio.run(functools.partial(_estimate, **options))
