"""`codeplan.run`: plan, execute, validate against the requirements, rewrite, repeat."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import trio

import sandbox

from . import _planner as planner
from ._api import _chosen_cache, _default_pool, in_any_loop
from ._budget import Budget, Ledger
from ._cache import CallCache
from ._errors import BudgetExceeded, ModelError, UserError
from ._foresight import Foresight
from ._models import ModelClient
from ._primitives import Primitive, reference, registry
from ._repair import Lineage, RequirementOutcome, outcomes
from ._requirements import Requirement, as_requirement
from ._result import Attempt, Result, RunUsage
from ._runtime import Listener, Run, budgeted_call
from ._store import Recorder

CANDIDATES = 4


class AttemptStarted:
    """Event: a plan attempt begins (for progress displays)."""

    def __init__(self, number: int, planner: str):
        self.number = number
        self.planner = planner


class Solver:
    """One `codeplan.run`: its ledger, cache and attempts."""

    def __init__(
        self,
        prompt: str,
        *,
        requirements: list[Requirement],
        model: str,
        planner_model: str | None,
        judge_model: str | None,
        budget: Budget,
        primitives: dict[str, Primitive],
        max_rewrites: int,
        candidates: int,
        max_concurrency: int,
        limits: sandbox.Limits | None,
        listeners: list[Listener],
        client: ModelClient,
    ):
        from ._plan_api import PRELUDE

        self.prompt = prompt
        self.requirements = requirements
        self.model = model
        self.planner_model = planner_model
        self.judge_model = judge_model
        self.budget = budget
        self.primitives = primitives
        self.prelude = PRELUDE
        self.max_rewrites = max_rewrites
        self.candidates = candidates
        self.max_concurrency = max_concurrency
        self.limits = limits
        self.listeners = listeners
        self.client = client
        self.ledger = Ledger(budget)
        self.lineage = Lineage()  # where each text came from, across attempts
        self.planning = RunUsage()
        self.attempts: list[Attempt] = []
        self._started = time.monotonic()
        self.foresight = Foresight(self)  # estimates before running, for attempts and planner

    def _run(self, constants: dict[str, Any]) -> Run:
        return Run(
            task=self.prompt, requirements=self.requirements, model=self.model,
            judge_model=self.judge_model, budget=self.budget, primitives=self.primitives,
            prelude=self.prelude, client=self.client, max_concurrency=self.max_concurrency,
            limits=self.limits, listeners=self.listeners, pool=_default_pool(),
            ledger=self.ledger, constants=constants, lineage=self.lineage,
        )  # fmt: skip

    def _emit(self, event: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                self.listeners.remove(listener)

    async def solve(self) -> Result:
        await self.foresight.weigh_alternatives()
        source, author = await self._first_plan()
        for number in range(1, self.max_rewrites + 2):
            self._emit(AttemptStarted(number, author))
            expected = await self.foresight.for_attempt(source)
            attempt = await self._attempt(number, author, source)
            attempt.estimate = expected
            self.attempts.append(attempt)
            if attempt.passed or self.ledger.exhausted or attempt.status == "timeout":
                break
            if attempt.verdict and attempt.verdict.get("fatal"):
                break  # a requirement whose on_fail is "fail": no rewrite
            if number > self.max_rewrites or self.planner_model is None:
                break
            try:
                source, author = await self._rewrite(attempt)
            except (BudgetExceeded, ModelError):
                break
        result = self._result()
        chosen = [a.estimate for a in self.attempts if a.graph is result.graph]
        result.estimate = chosen[0] if chosen else None
        return result

    async def _attempt(self, number: int, author: str, source: str) -> Attempt:
        result = await self._run({"CANDIDATES": self.candidates}).execute(source)
        verdict = None
        met: list[RequirementOutcome] = []
        if result.output is not None and result.status in ("ok", "budget_exhausted"):
            verdict = await self._judge(result.output)
            if verdict is not None:
                text = _text(result.output)
                met = outcomes(text, verdict, self.requirements, self.lineage)
        return Attempt(
            number=number, planner=author, source=source, status=result.status,
            error=result.error, output=result.output, verdict=verdict, outcomes=met,
            graph=result.graph, usage=result.usage,
        )  # fmt: skip

    async def _judge(self, output: Any) -> dict[str, Any] | None:
        """Validate the final output with the same machinery (and cache) as plans do."""
        text = _text(output)
        check = await self._run({"OUTPUT": text}).execute("result = validate(OUTPUT)\n")
        self.planning = self.planning + check.usage
        return check.output if check.status in ("ok", "budget_exhausted") else None

    # --- the planner -------------------------------------------------------------

    async def _first_plan(self) -> tuple[str, str]:
        if self.planner_model is None:
            return planner.DEFAULT_PLAN, "default plan"
        try:
            return await self._ask(self._base_prompt()), self.planner_model
        except (BudgetExceeded, ModelError, _Unusable):
            return planner.DEFAULT_PLAN, "default plan (the planner failed)"

    async def _rewrite(self, attempt: Attempt) -> tuple[str, str]:
        assert self.planner_model is not None
        trace = planner.trace(attempt.status, attempt.error, attempt.graph)
        prompt = planner.rewrite_prompt(self._base_prompt(), attempt.source, trace, attempt.verdict)
        try:
            return await self._ask(prompt), self.planner_model
        except _Unusable:
            return planner.DEFAULT_PLAN, "default plan (the planner failed)"

    def _base_prompt(self) -> str:
        return planner.plan_prompt(
            self.prompt, self.requirements, reference(self.primitives),
            self.ledger.remaining(), self._estimates(),
        )  # fmt: skip

    def _estimates(self) -> str:
        return self.foresight.text()

    async def _ask(self, prompt: str, retries: int = 2) -> str:
        """Ask the planner model for a plan; send back problems, up to `retries` times."""
        assert self.planner_model is not None
        names = list(self.primitives)
        message = prompt
        runnable: str | None = None  # the last plan that was only over the budget
        for _ in range(retries + 1):
            reply = await budgeted_call(
                self.client, self.ledger, "planner", self.planner_model,
                [{"role": "user", "content": message}], max_tokens=1024, temperature=0.2,
            )  # fmt: skip
            self.planning.calls += 0 if reply.cached else 1
            self.planning.usd += reply.usd
            self.planning.prompt_tokens += reply.prompt_tokens if not reply.cached else 0
            self.planning.completion_tokens += reply.completion_tokens if not reply.cached else 0
            source = planner.extract_code(reply.text)
            problems = planner.check(source, names, self.prelude)
            if not problems:
                runnable = source
                problems = await self.foresight.over_budget(source)
            if not problems:
                return source
            message = planner.fix_prompt(prompt, reply.text, problems)
        if runnable is not None:
            return runnable  # over the budget left even so: the budget stops it in time
        raise _Unusable()

    # --- the outcome -----------------------------------------------------------------

    def _result(self) -> Result:
        def rank(a: Attempt) -> tuple[bool, bool, float, int]:
            score = float(a.verdict.get("score", 0)) if a.verdict else -1.0
            return a.passed, a.output is not None, score, a.number

        best = max(self.attempts, key=rank)
        usage = RunUsage()
        for attempt in self.attempts:
            usage = usage + attempt.usage
        usage = usage + self.planning
        usage.wall_seconds = time.monotonic() - self._started
        status, error = best.status, best.error
        if self.ledger.exhausted is not None and not best.passed:
            status = "budget_exhausted"
        fatal = best.verdict.get("fatal") if best.verdict else None
        if fatal and status == "ok":
            status = "error"
            error = (
                f"The output misses {', '.join(fatal)}, whose on_fail is 'fail'; the run "
                "stopped without repairing, fixing or rewriting it."
            )
        warnings = [
            f"{o.name} ({o.description}) is not met: {o.reason} — accepted (on_fail='warn')"
            for o in best.outcomes
            if not o.passed and o.on_fail == "warn"
        ]
        return Result(
            status=status, output=best.output, error=error, plan=best.source,
            graph=best.graph, usage=usage, verdict=best.verdict, outcomes=best.outcomes,
            warnings=warnings, plans=self.attempts, best_effort=best.status != "ok",
        )  # fmt: skip


def _text(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output)


class _Unusable(Exception):
    """The planner's replies never became a valid plan."""


def _solver(
    prompt: str,
    *,
    requirements: Sequence[Any],
    model: str | None,
    planner_model: str | None,
    judge_model: str | None,
    budget: Budget | None,
    primitives: Iterable[Any],
    max_rewrites: int,
    candidates: int,
    max_concurrency: int,
    limits: sandbox.Limits | None,
    listeners: Iterable[Listener],
    cache: CallCache | Literal[False] | None,
) -> Solver:
    from ._plan_api import BUILTINS

    if not isinstance(prompt, str) or not prompt.strip():
        raise UserError("`prompt` must be a non-empty string: the task to solve.")
    if max_rewrites < 0 or candidates < 1:
        raise UserError("max_rewrites must be >= 0 and candidates >= 1.")
    if model is None:
        from ._embedded import EMBEDDED_MODEL

        model = EMBEDDED_MODEL
    return Solver(
        prompt, requirements=[as_requirement(r) for r in requirements], model=model,
        planner_model=planner_model, judge_model=judge_model, budget=budget or Budget(),
        primitives=registry(BUILTINS, primitives), max_rewrites=max_rewrites,
        candidates=candidates, max_concurrency=max_concurrency, limits=limits,
        listeners=list(listeners), client=ModelClient(cache=_chosen_cache(cache)),
    )  # fmt: skip


async def run_async(prompt: str, **options: Any) -> Result:
    """`run` for trio or asyncio callers (same options)."""
    return await in_any_loop(functools.partial(_solve, prompt, options))


async def _solve(prompt: str, options: dict[str, Any]) -> Result:
    solver = _solver(prompt, **_defaults(options))
    recorder = Recorder()  # what this run measures, for later estimates
    solver.listeners.append(recorder)
    result = await solver.solve()
    recorder.save(solver.model)
    return result


def _defaults(options: dict[str, Any]) -> dict[str, Any]:
    known = {
        "requirements": (), "model": None, "planner_model": None, "judge_model": None,
        "budget": None, "primitives": (), "max_rewrites": 2, "candidates": CANDIDATES,
        "max_concurrency": 8, "limits": None, "listeners": (), "cache": None,
    }  # fmt: skip
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise UserError(f"Unknown option(s) for codeplan.run: {unknown}; known: {sorted(known)}.")
    return {**known, **options}


def run(
    prompt: str,
    *,
    requirements: Sequence[Any] = (),
    model: str | None = None,
    planner_model: str | None = None,
    judge_model: str | None = None,
    budget: Budget | None = None,
    primitives: Iterable[Any] = (),
    max_rewrites: int = 2,
    candidates: int = CANDIDATES,
    max_concurrency: int = 8,
    limits: sandbox.Limits | None = None,
    listeners: Iterable[Listener] = (),
    cache: CallCache | Literal[False] | None = None,
) -> Result:
    """Solve `prompt` under its `requirements`: plan, run, validate, rewrite, repeat.

    Example::

        result = codeplan.run(
            "Write a product description for the Acme X1 headphones.",
            requirements=["at most 3 paragraphs", "mention the brand Acme", "formal tone"],
            model="openai/gpt-4o-mini",
            budget=codeplan.Budget(usd=0.05, seconds=60),
        )
        result.output, result.verdict, result.plans[-1].source, result.graph

    Args:
        prompt: the task, without its requirements.
        requirements: strings (known forms become code checks, the rest are judged by
            the model), functions of the text, or `Requirement`s.
        model: the model that does the work; default: the embedded local model.
        planner_model: the model that writes plans. Without one, codeplan runs its
            built-in default plan (several candidates, validate, ditch, fix, select).
        max_rewrites: how many times a failing plan may be rewritten.
        candidates: how many drafts the default plan starts with.
        Other arguments as for `codeplan.execute`.
    """
    options = {
        "requirements": requirements, "model": model, "planner_model": planner_model,
        "judge_model": judge_model, "budget": budget, "primitives": primitives,
        "max_rewrites": max_rewrites, "candidates": candidates,
        "max_concurrency": max_concurrency, "limits": limits, "listeners": listeners,
        "cache": cache,
    }  # fmt: skip
    return trio.run(_solve, prompt, options)
