"""What a run returns: always a Result, however the run ended."""

from __future__ import annotations

from typing import Any, Literal

import pydantic

from ._estimate import Estimate, Row
from ._graph import Graph, Node
from ._repair import RequirementOutcome

Status = Literal["ok", "error", "rejected", "budget_exhausted", "timeout"]


class RunUsage(pydantic.BaseModel):
    """Everything a run spent."""

    def __add__(self, other: RunUsage) -> RunUsage:
        fields = ("usd", "prompt_tokens", "completion_tokens", "calls", "cached_calls", "steps")
        total = {f: getattr(self, f) + getattr(other, f) for f in fields}
        return RunUsage(**total, wall_seconds=max(self.wall_seconds, other.wall_seconds))

    usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0  # model calls actually made
    cached_calls: int = 0  # model calls answered from the cache, at no cost
    wall_seconds: float = 0.0
    steps: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Attempt(pydantic.BaseModel):
    """One plan the run executed, and how it went."""

    number: int
    planner: str  # the model that wrote it, or "default plan"
    source: str
    status: Status
    error: str | None = None
    output: Any = None
    verdict: dict[str, Any] | None = None
    outcomes: list[RequirementOutcome] = pydantic.Field(default_factory=list)
    graph: Graph = pydantic.Field(default_factory=Graph)
    usage: RunUsage = pydantic.Field(default_factory=RunUsage)
    estimate: Estimate | None = None  # made before the attempt ran

    @property
    def passed(self) -> bool:
        return self.status == "ok" and bool(self.verdict and self.verdict.get("passed"))

    def estimate_vs_actual(self) -> list[Row]:
        """Rows of (measure, expected, low, high, actual): the estimate against this attempt."""
        return _compare(self.estimate, self.usage)


class Result(pydantic.BaseModel):
    """The outcome of running a plan.

    Attributes:
        status: `ok`; `error` (the plan or a primitive failed, or a sandbox limit);
            `rejected` (the plan did not compile); `budget_exhausted`; `timeout`.
        output: the plan's `result`, or, when the run did not end well, the best
            result it had (then `best_effort` is True).
        error: what went wrong, for every status but `ok`.
        plan: the plan's source.
        graph: every primitive call as a node, with data and control edges.
        usage: USD, tokens, model calls, wall time and steps spent.
        log: what the plan printed.
        verdict: from `codeplan.run`: the output judged against each requirement.
        outcomes: from `codeplan.run`: per requirement, whether the output meets it and
            how: as generated, repaired in code, fixed by the model, or not at all.
        warnings: missed requirements whose on_fail is "warn" (accepted anyway).
        plans: from `codeplan.run`: every plan attempt (source, status, graph, usage).
        estimate: what the run was estimated to cost before it ran (`codeplan.run`: the
            chosen attempt's; `codeplan.execute(..., estimate=True)`), or None.
    """

    status: Status
    output: Any = None
    best_effort: bool = False
    error: str | None = None
    plan: str = ""
    problems: list[str] = pydantic.Field(default_factory=list)
    graph: Graph = pydantic.Field(default_factory=Graph)
    usage: RunUsage = pydantic.Field(default_factory=RunUsage)
    log: str = ""
    verdict: dict[str, Any] | None = None
    outcomes: list[RequirementOutcome] = pydantic.Field(default_factory=list)
    warnings: list[str] = pydantic.Field(default_factory=list)
    plans: list[Attempt] = pydantic.Field(default_factory=list)
    estimate: Estimate | None = None

    def estimate_vs_actual(self) -> list[Row]:
        """Rows of (measure, expected, low, high, actual) for calls, prompt and completion
        tokens, tokens, usd and latency (actual: wall seconds). From `codeplan.run`, the
        actual figures are the estimated attempt's own, without planning or other attempts.
        """
        attempt = next((a for a in self.plans if a.estimate == self.estimate), None)
        return _compare(self.estimate, attempt.usage if attempt else self.usage)

    @property
    def passed(self) -> bool:
        """Whether the output met every mandatory requirement (False when not judged)."""
        return bool(self.verdict and self.verdict.get("passed"))

    @property
    def nodes(self) -> list[Node]:
        """Per-call records: primitive, arguments, status, timing, tokens, cost, error."""
        return self.graph.nodes

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _compare(estimate: Estimate | None, usage: RunUsage) -> list[Row]:
    if estimate is None:
        from ._errors import UserError

        raise UserError(
            "This result has no estimate: pass estimate=True to codeplan.execute "
            "(codeplan.run estimates every attempt before running it)."
        )
    return estimate.against(usage)
