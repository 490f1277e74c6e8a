"""Isolation for untrusted plan code: compile it under a policy, run it in a process.

Nothing here knows about LLMs. The public surface:

* `compile_plan` / `check_plan` — the plan policy and the static name check;
* `Sandbox` / `PlanProcess` — warm plan processes and the trio API to drive one;
* `run_plan` / `run_plan_sync` — serve a plan with plain functions;
* `Limits`, `PlanOutcome`, `PlanRejected`, `Problem` and the event types.

Names are imported lazily so that the plan process, which imports
`sandbox._child`, loads no more than the standard library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Call",
    "CompiledPlan",
    "Finished",
    "HandleRef",
    "Limits",
    "Log",
    "PlanOutcome",
    "PlanProcess",
    "PlanRejected",
    "Problem",
    "Resolve",
    "Sandbox",
    "check_plan",
    "compile_plan",
    "run_plan",
    "run_plan_sync",
]

_WHERE = {
    "Call": "_process",
    "CompiledPlan": "_compile",
    "Finished": "_process",
    "HandleRef": "_process",
    "Limits": "_limits",
    "Log": "_process",
    "PlanOutcome": "_run",
    "PlanProcess": "_process",
    "PlanRejected": "_compile",
    "Problem": "_policy",
    "Resolve": "_process",
    "Sandbox": "_process",
    "check_plan": "_compile",
    "compile_plan": "_compile",
    "run_plan": "_run",
    "run_plan_sync": "_run",
}

if TYPE_CHECKING:
    from ._compile import CompiledPlan, PlanRejected, check_plan, compile_plan
    from ._limits import Limits
    from ._policy import Problem
    from ._process import Call, Finished, HandleRef, Log, PlanProcess, Resolve, Sandbox
    from ._run import PlanOutcome, run_plan, run_plan_sync


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sandbox.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
