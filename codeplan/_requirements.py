"""Requirements a result must meet: a code check, or a description the model judges."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, Literal

import pydantic

from stdlib_tools import parse_requirement

from ._errors import UserError

Check = Callable[[str], Any]
Repair = Callable[[str], str]

OnFail = Literal["fix", "repair", "drop", "warn", "fail"]
"""What happens when a draft misses a requirement:

* ``fix`` (the default): repair the draft in code when the requirement has a repair,
  otherwise (or if the repair does not take) ask the model to fix it, with the reason;
* ``repair``: repair in code only; never spend a model call on this requirement;
* ``drop``: ditch the draft; it is never repaired, fixed or selected;
* ``warn``: accept the draft anyway; the Result lists the miss as a warning;
* ``fail``: the run fails at once if its final output misses it; no repair, fix or rewrite.
"""
ON_FAIL: tuple[OnFail, ...] = ("fix", "repair", "drop", "warn", "fail")


class Requirement(pydantic.BaseModel):
    """One explicit requirement of a task.

    Example::

        Requirement(name="short", description="at most 50 words",
                    check=lambda text: len(text.split()) <= 50)

    Without `check`, the model judges `description` against the text.
    """

    model_config = pydantic.ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str
    mandatory: bool = True
    check: Check | None = pydantic.Field(default=None, exclude=True)
    repair: Repair | None = pydantic.Field(default=None, exclude=True)
    on_fail: OnFail = "fix"


def as_requirement(item: Any) -> Requirement:
    """A Requirement from a Requirement, a description string or a check function.

    Strings of a known form ("at most 50 words", "all lowercase", "valid JSON", ...)
    become deterministic stdlib checks; any other string is judged by the model.
    """
    if isinstance(item, Requirement):
        return item
    if isinstance(item, str):
        if not item.strip():
            raise UserError("A requirement string is empty; describe what the result must do.")
        known = parse_requirement(item)  # "at most 50 words", "valid JSON", ...: code checks
        if known is not None:
            return Requirement(
                name=known.name,
                description=item.strip(),
                check=known.check,
                repair=getattr(known, "repair", None),
            )
        return Requirement(name=_slug(item), description=item.strip())
    if callable(item):
        name = getattr(item, "__name__", "check")
        doc = inspect.getdoc(item) or name.replace("_", " ")
        return Requirement(name=name, description=doc.splitlines()[0], check=item)
    raise UserError(
        f"A requirement must be a string, a function of the text, or a Requirement; got "
        f"{type(item).__name__}."
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "requirement"


def run_check(requirement: Requirement, text: str) -> dict[str, Any]:
    """Apply a code check. A check returns a bool, a score in [0, 1], or (bool, reason)."""
    assert requirement.check is not None
    try:
        outcome = requirement.check(text)
    except Exception as err:
        return _result(requirement, False, 0.0, f"the check raised {type(err).__name__}: {err}")
    reason = ""
    if isinstance(outcome, tuple) and len(outcome) == 2:
        outcome, reason = outcome
    if isinstance(outcome, bool):
        score = 1.0 if outcome else 0.0
    elif isinstance(outcome, int | float):
        score = max(0.0, min(1.0, float(outcome)))
    else:
        return _result(
            requirement, False, 0.0, f"the check returned {outcome!r}, not a bool or score"
        )
    passed = score >= 1.0
    return _result(requirement, passed, score, str(reason) or ("met" if passed else "not met"))


def _result(requirement: Requirement, passed: bool, score: float, reason: str) -> dict[str, Any]:
    return {
        "name": requirement.name,
        "passed": passed,
        "score": round(score, 4),
        "reason": reason,
        "mandatory": requirement.mandatory,
        "on_fail": requirement.on_fail,
    }


def judged(requirement: Requirement, reply: str) -> dict[str, Any]:
    """Read a judge's reply of the form `SCORE: n` (0-10) and `REASON: ...`."""
    match = re.search(r"score\s*[:=]?\s*(\d+(?:\.\d+)?)", reply, re.I)
    if not match:
        return _result(requirement, False, 0.0, f"the judge's answer had no score: {reply[:80]!r}")
    score = max(0.0, min(1.0, float(match.group(1)) / 10))
    reason_match = re.search(r"reason\s*[:=]\s*(.+)", reply, re.I | re.S)
    reason = reason_match.group(1).strip()[:300] if reason_match else reply.strip()[:300]
    return _result(requirement, score >= 0.7, score, reason)


def verdict(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The overall verdict: passes when every mandatory requirement does.

    A missed ``warn`` requirement does not fail the verdict; it is listed in `warnings`.
    `dropped` says a ``drop`` requirement was missed (ditch the draft); `fatal` lists the
    missed ``fail`` requirements.
    """
    scores = [r["score"] for r in results]
    missed = [r for r in results if not r["passed"]]
    return {
        "passed": all(
            r["passed"] for r in results if r["mandatory"] and r.get("on_fail") != "warn"
        ),
        "score": round(sum(scores) / len(scores), 4) if scores else 1.0,
        "results": results,
        "dropped": any(r.get("on_fail") == "drop" for r in missed),
        "warnings": [r["name"] for r in missed if r.get("on_fail") == "warn"],
        "fatal": [r["name"] for r in missed if r.get("on_fail") == "fail"],
    }
