"""The rules for counted things: highlights, placeholders, sections, bullet points, words
in capitals, paragraphs, words, sentences and characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Protocol, Unpack

from ._bounds import BoundArgs, Check
from ._case import check_capital_words
from ._format import check_highlights, check_placeholders
from ._grammar import APPEARS_TIMES, Family, Found, Span, find_count, times
from ._lengths import (
    check_bullets,
    check_characters,
    check_divider_paragraphs,
    check_paragraphs,
    check_sections,
    check_sentences,
    check_words,
)
from ._repairs import Repair, repair_capital_words
from ._repairs_layout import (
    repair_bullets,
    repair_characters,
    repair_divider_paragraphs,
    repair_highlights,
    repair_paragraphs,
    repair_placeholders,
    repair_sections,
    repair_sentences,
    repair_words,
)

_I = re.IGNORECASE
Rule = Callable[[str], Found | None]


class Counter(Protocol):
    """A count validator: ``check_words(text, at_most=50)``."""

    def __call__(self, text: str, /, **bounds: Unpack[BoundArgs]) -> Check: ...


def all_spans(pattern: str, text: str) -> tuple[Span, ...]:
    """The spans of every match of `pattern` (case-insensitive) in `text`."""
    return tuple(match.span() for match in re.finditer(pattern, text, _I))


_HIGHLIGHTED = r"(?:sections?|parts?|phrases?|passages?|words?|sentences?|points?|key\s+\w+)"
_WITH_MARKDOWN = r"(?:\s+(?:in\s+your\s+(?:answer|response)\s+)?(?:with|using|in)\s+markdown)?"


def highlights(text: str) -> Found | None:
    """ "highlight at least 3 sections with markdown", "2 highlighted sections"."""
    count = find_count(
        text,
        _HIGHLIGHTED,
        default="at_least",
        prefix=r"(?:use\s+markdown\s+to\s+)?highlight(?:s|ed)?\s+",
        suffix=_WITH_MARKDOWN,
    ) or find_count(
        text,
        rf"(?:markdown[\s-]+)?highlighted\s+{_HIGHLIGHTED}",
        default="at_least",
        suffix=_WITH_MARKDOWN,
    )
    if count is None:
        return None
    name = count.name("highlights")
    check = partial(check_highlights, **count.bounds)
    repair = Repair.of(repair_highlights, name, **count.bounds)
    return Found(name, "format.highlights", check, (count.span,), repair)


_IN_BRACKETS = (
    r"(?:\s+(?:represented\s+by|in|using|with(?:in)?|(?:enclosed|wrapped)\s+in)"
    r"\s+square\s+brackets)?(?:,?\s*(?:such\s+as|like|e\.g\.)\s*\[[^\]\n]*\])?"
)
_PLACEHOLDER = r"(?:square[\s-]+bracket(?:ed)?\s+)?placeholders?"


def placeholders(text: str) -> Found | None:
    """ "at least 2 placeholders in square brackets"; without a count, at least one."""
    count = find_count(text, _PLACEHOLDER, default="at_least", suffix=_IN_BRACKETS)
    if count is not None:
        name = count.name("placeholders")
        check = partial(check_placeholders, **count.bounds)
        repair = Repair.of(repair_placeholders, name, **count.bounds)
        return Found(name, "content.placeholders", check, (count.span,), repair)
    bare = re.search(rf"{_PLACEHOLDER}{_IN_BRACKETS}", text, _I)
    if not bare or "bracket" not in bare.group(0).lower():
        return None
    check = partial(check_placeholders, at_least=1)
    repair = Repair.of(repair_placeholders, "min_placeholders_1", at_least=1)
    return Found("min_placeholders_1", "content.placeholders", check, (bare.span(),), repair)


# Case-sensitive: "SECTION X", "Part N", or an example such as "Section 1".
_MARKER = re.compile(
    r"\b(?P<marker>[A-Z][A-Za-z]*)\s+(?:X|N|<n>|#)(?!\w)"
    r"|\b(?P<known>SECTION|Section|PART|Part|CHAPTER|Chapter)\s+\d+\b"
)


def sections(text: str) -> Found | None:
    """ "3 sections marked SECTION X"; without a marker there is nothing to count."""
    count = find_count(text, r"sections?")
    marker = _MARKER.search(text)
    if count is None or marker is None:
        return None
    word = marker.group("marker") or marker.group("known")
    name = count.name("sections")
    check = partial(check_sections, marker=word, **count.bounds)
    repair = Repair.of(repair_sections, name, marker=word, **count.bounds)
    spans = (count.span, marker.span())
    return Found(name, "length.sections", check, spans, repair)


_BULLET = (
    r"(?:markdown\s+)?(?:bullet(?:ed)?[\s-]*points?|bullet[\s-]*(?:list\s+)?items?"
    r"|bullet[\s-]*lists?|bullets)"
)


def bullets(text: str) -> Found | None:
    """ "exactly 4 bullet points" (and IFEval's "Use the markdown bullet points such as")."""
    count = find_count(text, _BULLET)
    if count is None:
        return None
    name = count.name("bullets")
    check = partial(check_bullets, **count.bounds)
    repair = Repair.of(repair_bullets, name, **count.bounds)
    spans = (count.span, *all_spans(rf"(?:use\s+)?(?:the\s+)?markdown\s+{_BULLET}", text))
    return Found(name, "length.bullets", check, spans, repair)


_CAPS = (
    r"(?:words?\s+(?:(?:written|typed)\s+)?(?:with|in)\s+all\s+(?:capital\s+letters|caps|capitals"
    r"|upper[\s-]?case(?:\s+letters)?)|(?:all[\s-]caps|all[\s-]capital|fully[\s-]capitali[sz]ed"
    r"|all[\s-]upper[\s-]?case)\s+words?|words?\s+(?:entirely\s+)?in\s+(?:all\s+)?(?:caps|capitals"
    r"|capital\s+letters|upper[\s-]?case))"
)


def capital_words(text: str) -> Found | None:
    """ "at most 5 words in all caps", "words with all capital letters ... at least 3 times"."""
    count = find_count(text, _CAPS)
    if count is None:
        match = re.search(rf"{_CAPS}\s+{APPEARS_TIMES}", text, _I)
        if not match:
            return None
        count = times(match)
    name = count.name("capital_words")
    check = partial(check_capital_words, **count.bounds)
    repair = Repair.of(repair_capital_words, name, **count.bounds)
    return Found(name, "case.capital_words", check, (count.span,), repair)


_SEPARATED = (
    r"(?:(?:the\s+)?paragraphs?\s+(?:(?:are|should\s+be|must\s+be)\s+)?)?"
    r"(?:separated|divided|split)\s+(?:from\s+each\s+other\s+)?(?:with|by|using)\s+"
)
_BY_DIVIDER = (
    rf"{_SEPARATED}(?:the\s+|a\s+)?(?:markdown\s+)?(?:divider|separator)?s?\s*:?\s*(?:\*\*\*)?"
)
_BY_BLANK_LINE = (
    rf"{_SEPARATED}(?:two\s+new\s*lines?|(?:a\s+)?(?:single\s+)?(?:blank|empty)\s+lines?"
    r"|(?:a\s+)?double\s+line\s+breaks?)"
)


def paragraphs(text: str) -> Found | None:
    """ "exactly 3 paragraphs": separated by ``***`` lines if the string mentions them."""
    count = find_count(text, r"paragraphs?")
    if count is None:
        return None
    if re.search(r"\*\*\*|markdown\s+divider", text, _I):
        check = partial(check_divider_paragraphs, **count.bounds)
        spans = (count.span, *all_spans(_BY_DIVIDER, text))
        name = count.name("divider_paragraphs")
        repair = Repair.of(repair_divider_paragraphs, name, **count.bounds)
        return Found(name, "length.divider_paragraphs", check, spans, repair)
    name = count.name("paragraphs")
    check = partial(check_paragraphs, **count.bounds)
    repair = Repair.of(repair_paragraphs, name, **count.bounds)
    spans = (count.span, *all_spans(_BY_BLANK_LINE, text))
    return Found(name, "length.paragraphs", check, spans, repair)


def _count_rule(
    unit: str, what: str, family: Family, validator: Counter, repairer: Callable[..., str]
) -> Rule:
    """A rule for "<relation> <number> <unit>" checked by `validator`, fixed by `repairer`."""

    def rule(text: str) -> Found | None:
        count = find_count(text, unit)
        if count is None:
            return None
        name = count.name(what)
        check = partial(validator, **count.bounds)
        repair = Repair.of(repairer, name, **count.bounds)
        return Found(name, family, check, (count.span,), repair)

    return rule


words = _count_rule(r"words?", "words", "length.words", check_words, repair_words)
sentences = _count_rule(
    r"sentences?", "sentences", "length.sentences", check_sentences, repair_sentences
)
characters = _count_rule(
    r"char(?:acter)?s?", "characters", "length.characters", check_characters, repair_characters
)
