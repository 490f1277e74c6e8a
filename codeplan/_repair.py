"""Code repairs of drafts, and how each requirement of the final output came to be met.

A requirement may carry a deterministic `repair` (the stdlib has one for most mechanical
requirements: case, quotes, commas, an ending, a postscript, a title, a length limit, ...).
`repair_text` applies them one at a time, in stage order, and keeps a repair only when the
requirement it targets now passes and every code check that passed before still does: a
repair never trades one pass for another failure.

`Lineage` remembers where each text of a run came from (generated, repaired in code, fixed
by the model), so the Result can say, per requirement, how the output came to meet it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import pydantic

from ._requirements import OnFail, Requirement, run_check

log = logging.getLogger("codeplan.repair")

How = Literal["generated", "repaired", "fixed", "plan", "unmet"]
"""How the final output came to meet a requirement: as the model generated it; after a
code repair; after the model fixed it; in text the plan code built itself; or not at all."""

MAX_ROUNDS = 3  # repairs can enable each other (quotes go on after a postscript was added)


class RequirementOutcome(pydantic.BaseModel):
    """One requirement, judged on the final output, and how it was met."""

    name: str
    description: str
    passed: bool
    how: How
    on_fail: OnFail
    score: float = 0.0
    reason: str = ""


class Lineage:
    """Where each text of a run came from, and what validation said about it.

    Texts are keys: the same text reached twice keeps its first origin.
    """

    def __init__(self) -> None:
        self._origin: dict[str, tuple[How, str | None]] = {}
        self._judged: dict[str, dict[str, bool]] = {}

    def add(self, text: str, how: How, parent: str | None = None) -> None:
        if text != parent:
            self._origin.setdefault(text, (how, parent))

    def note(self, text: str, results: Iterable[dict[str, Any]]) -> None:
        """Remember a verdict's per-requirement results for `text`."""
        seen = self._judged.setdefault(text, {})
        for result in results:
            seen[result["name"]] = bool(result["passed"])

    def chain(self, text: str) -> list[tuple[str, How]]:
        """The texts that led to `text`, oldest first, each with how it was made."""
        out: list[tuple[str, How]] = []
        seen: set[str] = set()
        current: str | None = text
        while current is not None and current not in seen:
            seen.add(current)
            how, parent = self._origin.get(current, ("plan", None))
            out.append((current, how))
            current = parent
        return out[::-1]

    def passed(self, text: str, requirement: Requirement) -> bool | None:
        """Whether `text` meets `requirement`: a code check is run, a judged one is looked up."""
        if requirement.check is not None:
            return bool(run_check(requirement, text)["passed"])
        return self._judged.get(text, {}).get(requirement.name)


def _stage(requirement: Requirement) -> int:
    stage = getattr(requirement.repair, "stage", 1)
    return stage if isinstance(stage, int) else 1


def _passing(text: str, checked: Sequence[Requirement]) -> set[str]:
    return {r.name for r in checked if run_check(r, text)["passed"]}


def repair_text(text: str, requirements: Sequence[Requirement]) -> tuple[str, list[str]]:
    """`text` with every code repair that helps applied, and the names of those applied.

    Only requirements whose on-fail policy is ``fix`` or ``repair`` are repaired. A draft
    that misses a ``drop`` requirement is left as it is: it is going to be ditched.
    """
    checked = [r for r in requirements if r.check is not None]
    passing = _passing(text, checked)
    if any(r.on_fail == "drop" and r.name not in passing for r in checked):
        return text, []
    repairable = sorted(
        (r for r in checked if r.repair is not None and r.on_fail in ("fix", "repair")),
        key=_stage,
    )
    applied: list[str] = []
    for _ in range(MAX_ROUNDS):
        progressed = False
        for requirement in repairable:
            if requirement.name in passing:
                continue
            assert requirement.repair is not None
            try:
                repaired = requirement.repair(text)
            except Exception:  # a user's repair that fails leaves the draft as it was
                log.warning("the repair of %r raised", requirement.name, exc_info=True)
                continue
            if not isinstance(repaired, str) or repaired == text:
                continue
            now = _passing(repaired, checked)
            if requirement.name in now and passing <= now:
                text, passing = repaired, now
                applied.append(requirement.name)
                progressed = True
        if not progressed:
            break
    return text, applied


def outcomes(
    text: str,
    verdict: dict[str, Any],
    requirements: Sequence[Requirement],
    lineage: Lineage,
) -> list[RequirementOutcome]:
    """Per requirement of `verdict` (on the final `text`): whether and how it was met.

    A met requirement is credited to the earliest text in the output's lineage that met it:
    the generated draft, a code repair, or a model fix.
    """
    by_name = {r.name: r for r in requirements}
    chain = lineage.chain(text)
    out = []
    for result in verdict.get("results", []):
        requirement = by_name.get(result["name"])
        how: How = "unmet"
        if result["passed"]:
            how = chain[-1][1]
            if requirement is not None:
                for ancestor, made in chain:
                    if lineage.passed(ancestor, requirement):
                        how = made
                        break
        out.append(
            RequirementOutcome(
                name=result["name"],
                description=requirement.description if requirement else result["name"],
                passed=bool(result["passed"]),
                how=how,
                on_fail=requirement.on_fail if requirement else "fix",
                score=float(result.get("score", 0.0)),
                reason=str(result.get("reason", "")),
            )
        )
    return out
