"""Count bounds (at most, at least, exactly, ...) and the reasons a count check gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from ._errors import UsageError

Check = tuple[bool, str]
"""What every validator returns: whether the text passed, and a reason a fixer can act on."""


@dataclass(frozen=True)
class Noun:
    """How to talk about a counted unit: ``Noun("word", "words", "cut")``."""

    singular: str
    plural: str
    remove_verb: str = "remove"

    def of(self, count: int) -> str:
        """``"1 word"``, ``"3 words"``."""
        return f"{count} {self.singular if count == 1 else self.plural}"


@dataclass(frozen=True)
class Bounds:
    """Validated bounds on a count; every given bound must hold."""

    at_most: int | None = None
    at_least: int | None = None
    exactly: int | None = None
    less_than: int | None = None
    more_than: int | None = None

    def describe(self) -> str:
        """The bounds in words: ``"at most 50"``, ``"between 100 and 200"``."""
        if self.exactly is not None:
            return f"exactly {self.exactly}"
        if self.at_least is not None and self.at_most is not None:
            return f"between {self.at_least} and {self.at_most}"
        parts = [
            f"{words} {value}"
            for words, value in (
                ("at least", self.at_least),
                ("more than", self.more_than),
                ("at most", self.at_most),
                ("fewer than", self.less_than),
            )
            if value is not None
        ]
        return " and ".join(parts)

    def lowest(self) -> int:
        """The smallest count that meets the bounds from below."""
        candidates = [0]
        if self.exactly is not None:
            candidates.append(self.exactly)
        if self.at_least is not None:
            candidates.append(self.at_least)
        if self.more_than is not None:
            candidates.append(self.more_than + 1)
        return max(candidates)

    def highest(self) -> int | None:
        """The largest count that meets the bounds from above; None when unbounded."""
        candidates = [
            value
            for value in (
                self.exactly,
                self.at_most,
                self.less_than - 1 if self.less_than is not None else None,
            )
            if value is not None
        ]
        return min(candidates) if candidates else None

    def missing(self, count: int) -> int:
        """How many units to add (> 0) or remove (< 0) to satisfy the bounds; 0 if met."""
        if count < self.lowest():
            return self.lowest() - count
        highest = self.highest()
        if highest is not None and count > highest:
            return highest - count
        return 0


class BoundArgs(TypedDict, total=False):
    """The keyword arguments every count validator takes; give one, or a low and a high one."""

    at_most: int
    at_least: int
    exactly: int
    less_than: int
    more_than: int


_BOUND_NAMES = ("at_most", "at_least", "exactly", "less_than", "more_than")


def make_bounds(what: str, args: BoundArgs) -> Bounds:
    """Bounds from keyword arguments, or a `UsageError` listing every problem at once."""
    given: dict[str, object] = dict(args)
    problems: list[str] = []
    for key, value in given.items():
        if key not in _BOUND_NAMES:
            names = ", ".join(f"{name}=" for name in _BOUND_NAMES)
            problems.append(f"`{key}` is not a bound; use {names}")
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"`{key}` must be an int, got {value!r}")
        elif value < 0:
            problems.append(f"`{key}` must be 0 or more, got {value}")
    if not given:
        problems.append("give at least one bound, e.g. at_most=50 or at_least=3")
    if "exactly" in given and len(given) > 1:
        problems.append("`exactly` cannot be combined with other bounds")
    if "at_most" in given and "less_than" in given:
        problems.append("give `at_most` or `less_than`, not both")
    if "at_least" in given and "more_than" in given:
        problems.append("give `at_least` or `more_than`, not both")
    if problems:
        raise UsageError(f"Bad bounds for the {what}: " + "; ".join(problems) + ".")
    bounds = Bounds(**args)
    highest = bounds.highest()
    if highest is not None and highest < bounds.lowest():
        raise UsageError(f"The bounds for the {what} ({bounds.describe()}) can never be met.")
    return bounds


def bounded(count: int, noun: Noun, bounds: Bounds) -> Check:
    """The verdict on `count` under `bounds`, with a reason that says what to change.

    >>> bounded(63, Noun("word", "words", "cut"), Bounds(at_most=50))
    (False, 'has 63 words; at most 50 allowed — cut 13 words')
    >>> bounded(42, Noun("word", "words", "cut"), Bounds(at_most=50))
    (True, 'ok: 42 words (at most 50)')
    """
    change = bounds.missing(count)
    described = bounds.describe()
    if change == 0:
        return True, f"ok: {noun.of(count)} ({described})"
    verdict = "allowed" if change < 0 and bounds.highest() == bounds.at_most else "required"
    fix = f"{noun.remove_verb} {noun.of(-change)}" if change < 0 else f"add {noun.of(change)}"
    return False, f"has {noun.of(count)}; {described} {verdict} — {fix}"
