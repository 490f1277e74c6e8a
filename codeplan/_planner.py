"""The planner: asks a model to write (or rewrite) a plan, and the built-in default plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sandbox

from ._graph import Graph
from ._requirements import Requirement

# The Maestro loop in the plan language: several candidates at once, each repaired in
# code as it arrives (the first that passes stops the rest), validate, ditch the weak and
# the dropped, fix the survivors (code repairs first, then the model), validate, select.
# Used when the planner model cannot write code (the embedded model) and as the fallback
# when a planner fails.
DEFAULT_PLAN = """\
drafts = best_of(CANDIDATES, TASK, repair=True, stop_early=True)
verdicts = [validate(d) for d in drafts]
ranked = sorted(
    [(d, v) for d, v in zip(drafts, verdicts) if not v.dropped],
    key=lambda p: (p[1].passed, p[1].score),
    reverse=True,
)
if not ranked:
    result = select(drafts, verdicts)
elif ranked[0][1].passed:
    result = ranked[0][0]
else:
    survivors = ranked[:2]
    fixed = [fix(d, v) for d, v in survivors]
    checked = [validate(f) for f in fixed]
    result = select(fixed + [d for d, v in survivors], checked + [v for d, v in survivors])
"""

RULES = """\
Write the plan as one Python program in a single ```python block. Rules:
- Call only the primitives listed below and Python builtins; no imports, classes or `with`.
- Every primitive call returns at once; using its value (str(), `if`, indexing, .field)
  waits for it. So write independent calls one after another: they run in parallel.
- TASK (str) and REQUIREMENTS (list of str) are already defined.
- Assign the final answer (a string) to `result`.
- Each requirement has an on_fail policy that validate, repair, fix, top and select
  already honour: fix = code repair, then a model fix; repair = code repair only;
  drop = ditch the draft (verdict.dropped); warn = accept it; fail = no second chance.
  Code repairs (`repair`, `best_of(..., repair=True)`) are free: use them before `fix`.
- Spend wisely: the budget below is a hard limit; a call that would exceed it raises
  BudgetExceeded (you may catch it and keep what you have)."""


@dataclass(frozen=True)
class Draft:
    """A plan the planner model wrote, as extracted from its reply."""

    source: str
    reply: str
    problems: tuple[str, ...] = ()


def extract_code(reply: str) -> str:
    """The plan in a model's reply: a fenced block (even if its closing fence was cut
    off), or the whole reply when it has no fence."""
    fenced = re.search(r"```(?:python|py)?[^\n]*\n(.*?)(?:```|\Z)", reply, re.S)
    code = fenced.group(1) if fenced else reply
    return code.strip("\n") + "\n"


def plan_prompt(
    task: str,
    requirements: list[Requirement],
    reference: str,
    remaining: dict[str, float | None],
    estimates: str,
) -> str:
    listed = "\n".join(_requirement_line(r) for r in requirements) or "- (none)"
    left = ", ".join(f"{k}={_show(v)}" for k, v in remaining.items() if v is not None)
    return (
        f"{RULES}\n\nPLAN API\n{reference}\n\nCOST AND LATENCY PER CALL (estimates)\n"
        f"{estimates}\n\nBUDGET LEFT: {left or 'no caps'}\n\nTASK:\n{task}\n\n"
        f"REQUIREMENTS:\n{listed}\n"
    )


def _requirement_line(requirement: Requirement) -> str:
    how = "judged by the model" if requirement.check is None else "code check, free"
    if requirement.repair is not None:
        how += "; repairable in code"
    return f"- {requirement.name}: {requirement.description} [{how}; on_fail={requirement.on_fail}]"


def rewrite_prompt(base: str, source: str, trace: str, verdict: dict[str, Any] | None) -> str:
    if verdict:
        lines = [
            f"- {r['name']}: {'passed' if r['passed'] else 'FAILED'} (score {r['score']}): "
            f"{r.get('reason', '')}"
            for r in verdict.get("results", [])
        ]
        judged = "\n".join(lines)
    else:
        judged = "(the plan produced no output to judge)"
    return (
        f"{base}\nYOUR PREVIOUS PLAN\n```python\n{source}```\n\nWHAT HAPPENED\n{trace}\n\n"
        f"VERDICT ON ITS OUTPUT\n{judged}\n\nWrite a better plan that meets every "
        "requirement. Calls your previous plan already made are answered from a cache.\n"
    )


def fix_prompt(base: str, reply: str, problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        f"{base}\nYour reply could not be used as a plan:\n{listed}\n\nYOUR REPLY\n{reply}\n\n"
        "Reply again with the whole corrected plan in one ```python block.\n"
    )


def check(source: str, primitives: list[str], prelude: str) -> list[str]:
    """The sandbox's problems with `source` as a plan (empty when it would run)."""
    problems = sandbox.check_plan(
        source, primitives=primitives, constants=["TASK", "REQUIREMENTS"], prelude=prelude
    )
    return [str(p) for p in problems]


def trace(status: str, error: str | None, graph: Graph, limit: int = 30) -> str:
    """A compact account of an attempt: its outcome and each call with its cost."""
    lines = [f"status: {status}" + (f" — {error}" if error else "")]
    for node in graph.nodes[:limit]:
        cost = f", {node.tokens} tok, ${node.usd:.6f}" if node.calls else ""
        took = f"{node.duration:.2f} s" if node.end is not None else "not finished"
        err = f" — {node.error}" if node.error else ""
        lines.append(f"#{node.id} {node.primitive}({node.args}) {node.status}, {took}{cost}{err}")
    if len(graph.nodes) > limit:
        lines.append(f"... and {len(graph.nodes) - limit} more calls")
    return "\n".join(lines)


def _show(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.6g}"
