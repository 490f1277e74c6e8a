"""codeplan: an LLM writes a plan as a small Python program; a sandboxed runtime runs it.

The plan runs in an isolated plan process (the `sandbox` package). Each primitive
call returns at once; the runtime sees the dependency graph as it grows, runs
independent calls in parallel and never spends past the budget.

Example::

    import codeplan

    result = codeplan.execute(
        "drafts = best_of(4, TASK)\\nresult = select(drafts, [validate(d) for d in drafts])\\n",
        "Write a product blurb for the Acme X1.",
        model="fake/echo",
        requirements=["mention Acme"],
        budget=codeplan.Budget(usd=0.05, calls=20),
    )
    result.output, result.status, result.usage, result.graph.to_mermaid()
"""

from __future__ import annotations

from ._api import execute, execute_async
from ._budget import Budget, Usage
from ._cache import CallCache
from ._errors import (
    BudgetExceeded,
    CodeplanError,
    ModelError,
    PlanError,
    PrimitiveFailed,
    SandboxViolation,
    UserError,
)
from ._estimate import Estimate, estimate
from ._fake import fake_model
from ._graph import Edge, Graph, Node
from ._primitives import Primitive, primitive
from ._reference import api_reference
from ._repair import RequirementOutcome, repair_text
from ._requirements import OnFail, Requirement
from ._result import Attempt, Result, RunUsage
from ._runtime import Context, Logged, NodeFinished, NodeStarted, Spent
from ._solve import AttemptStarted, run, run_async

__all__ = [
    "Attempt",
    "AttemptStarted",
    "Budget",
    "BudgetExceeded",
    "CallCache",
    "CodeplanError",
    "Context",
    "Edge",
    "Estimate",
    "Graph",
    "Logged",
    "ModelError",
    "Node",
    "NodeFinished",
    "NodeStarted",
    "OnFail",
    "PlanError",
    "Primitive",
    "PrimitiveFailed",
    "Requirement",
    "RequirementOutcome",
    "Result",
    "RunUsage",
    "SandboxViolation",
    "Spent",
    "Usage",
    "UserError",
    "api_reference",
    "estimate",
    "execute",
    "execute_async",
    "fake_model",
    "primitive",
    "repair_text",
    "run",
    "run_async",
]
