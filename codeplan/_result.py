"""What a run returns: always a Result, however the run ended."""

from __future__ import annotations

from typing import Any, Literal

import pydantic

from ._graph import Graph, Node

Status = Literal["ok", "error", "rejected", "budget_exhausted", "timeout"]


class RunUsage(pydantic.BaseModel):
    """Everything a run spent."""

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

    @property
    def nodes(self) -> list[Node]:
        """Per-call records: primitive, arguments, status, timing, tokens, cost, error."""
        return self.graph.nodes

    @property
    def ok(self) -> bool:
        return self.status == "ok"
