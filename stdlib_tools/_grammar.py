"""The phrases requirement strings are made of: numbers, relations, counts, quoted phrases
and lists. Shared by the rules in `_rules.py`; all patterns are case-insensitive."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast, get_args

from ._bounds import BoundArgs, Check

if TYPE_CHECKING:
    from ._repairs import Repair

Family = Literal[
    "length.words",
    "length.sentences",
    "length.paragraphs",
    "length.divider_paragraphs",
    "length.sections",
    "length.bullets",
    "length.characters",
    "keywords.include",
    "keywords.frequency",
    "keywords.forbidden",
    "keywords.letter_frequency",
    "case.lowercase",
    "case.uppercase",
    "case.capital_words",
    "punctuation.no_commas",
    "startend.starts_with",
    "startend.ends_with",
    "startend.quotation",
    "content.placeholders",
    "content.postscript",
    "format.highlights",
    "format.title",
    "format.json",
    "combination.two_responses",
]
"""The families of requirements `parse_requirement` recognises (after IFEval's groups)."""

FAMILIES: tuple[Family, ...] = get_args(Family)

Span = tuple[int, int]


@dataclass(frozen=True)
class Found:
    """What a rule recognised: the check, the spans of the text it accounts for, and the
    repair of a text the check rejects (None where code cannot repair it)."""

    name: str
    family: Family
    check: Callable[[str], Check]
    spans: tuple[Span, ...]
    repair: Repair | None = field(default=None, repr=False, compare=False)


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated string, as a set (keeps long vocabularies readable)."""
    return frozenset(words.split())


_ORDERED_NUMBERS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {word: value for value, word in enumerate(_ORDERED_NUMBERS.split(" "), start=1)}
NUMBER_WORDS["a single"] = 1
NUMBER_WORDS["single"] = 1
_NUMBER_ALTERNATIVES = sorted(NUMBER_WORDS, key=len, reverse=True)
NUM = r"(?:\d{1,7}|" + "|".join(w.replace(" ", r"\s+") for w in _NUMBER_ALTERNATIVES) + r")\b"

Relation = Literal["at_most", "at_least", "exactly", "less_than", "more_than"]

_RELATIONS: dict[Relation, str] = {
    "at_most": r"at\s+(?:the\s+)?most|no\s+more\s+than|not\s+more\s+than|(?:a\s+)?maximum\s+of"
    r"|max(?:imum)?|up\s+to|within|(?:does\s+|do\s+|should\s+|must\s+)?not\s+exceed(?:ing)?"
    r"|no\s+longer\s+than|(?:do\s+not|don['’]t|must\s+not|should\s+not)\s+(?:use|write|have"
    r"|contain|include)\s+more\s+than|(?:limit(?:ed)?|restrict(?:ed)?|cap(?:ped)?|keep)\s+"
    r"(?:(?:it|your|the)\s+)?(?:\w+\s+)?to",
    "less_than": r"fewer\s+than|less\s+than|under|below",
    "at_least": r"at\s+least|no\s+fewer\s+than|no\s+less\s+than|(?:a\s+)?minimum\s+of"
    r"|min(?:imum)?",
    "more_than": r"more\s+than|over|greater\s+than",
    "exactly": r"exactly|precisely",
}
REL = "|".join(f"(?:{pattern})" for pattern in _RELATIONS.values())
# Relations written after the unit: "50 words or less", "50 words max".
_POSTFIX: dict[Relation, str] = {
    "at_most": r"or\s+(?:less|fewer|under)|max(?:imum)?|at\s+(?:the\s+)?most",
    "at_least": r"or\s+more|or\s+above|minimum|at\s+(?:the\s+)?least",
}
POSTFIX = "|".join(f"(?:{pattern})" for pattern in _POSTFIX.values())
SHORT: dict[Relation, str] = {
    "at_most": "max",
    "at_least": "min",
    "exactly": "exact",
    "less_than": "lt",
    "more_than": "gt",
}


def number(text: str) -> int:
    """``"12"`` or ``"twelve"`` as an int."""
    text = " ".join(text.lower().split())
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def relation(text: str | None, postfix: str | None, default: Relation) -> Relation:
    """The relation a prefix (``"no more than"``) or a postfix (``"or less"``) names."""
    for table, phrase in ((_RELATIONS, text), (_POSTFIX, postfix)):
        if phrase:
            for name, pattern in table.items():
                if re.fullmatch(pattern, phrase.strip(), re.IGNORECASE):
                    return name
    return default


@dataclass(frozen=True)
class Count:
    """A count phrase found in a requirement: its bounds, a name part and its span."""

    bounds: BoundArgs
    label: str  # "max_50", "range_100_200"
    span: Span

    def name(self, what: str) -> str:
        """A requirement name: ``Count(..., "max_50", ...).name("words") == "max_words_50"``."""
        kind, value = self.label.split("_", 1)
        return f"{kind}_{what}_{value}"


def find_count(
    text: str, unit: str, *, default: Relation = "exactly", prefix: str = "", suffix: str = ""
) -> Count | None:
    """The first count of `unit`: "at most 50 words", "between 2 and 4 words", "3 words"."""
    between = re.search(
        rf"{prefix}(?:between|from)\s+(?P<a>{NUM})\s+(?:and|to)\s+(?P<b>{NUM})\s+(?:{unit})\b{suffix}"
        rf"|{prefix}(?<![\w-])(?P<c>\d+)\s*(?:-|–|to)\s*(?P<d>\d+)\s+(?:{unit})\b{suffix}",
        text,
        re.IGNORECASE,
    )
    if between:
        low = number(between.group("a") or between.group("c"))
        high = number(between.group("b") or between.group("d"))
        if low <= high:
            return Count({"at_least": low, "at_most": high}, f"range_{low}_{high}", between.span())
    single = re.search(
        rf"{prefix}(?<![\w-])(?:(?P<rel>{REL})\s+)?(?P<n>{NUM})\s+(?:{unit})\b"
        rf"(?:\s+(?P<post>{POSTFIX})\b)?{suffix}",
        text,
        re.IGNORECASE,
    )
    if not single:
        return None
    how = relation(single.group("rel"), single.group("post"), default)
    value = number(single.group("n"))
    bounds = cast(BoundArgs, {how: value})
    return Count(bounds, f"{SHORT[how]}_{value}", single.span())


TIMES = (
    rf"(?:(?P<rel>{REL})\s+)?(?:(?P<n>{NUM})\s+times?|(?P<word>once|twice|thrice))\b"
    rf"(?:\s+(?P<post>{POSTFIX})\b)?"
)
# "should appear in your response at least 3 times", "at most twice".
APPEARS_TIMES = (
    r"(?:(?:should|must|will|needs?\s+to)\s+)?"
    r"(?:(?:appear|occur|be\s+(?:used|mentioned|repeated|included))\s+)?"
    rf"(?:in\s+your\s+(?:response|answer)\s+)?{TIMES}"
)
_TIMES_WORDS = {"once": 1, "twice": 2, "thrice": 3}


def times(match: re.Match[str]) -> Count:
    """The count in a match of a pattern that ends with `TIMES` ("at least 3 times")."""
    how = relation(match.group("rel"), match.group("post"), "exactly")
    word = match.group("word")
    value = _TIMES_WORDS[word.lower()] if word else number(match.group("n"))
    return Count(cast(BoundArgs, {how: value}), f"{SHORT[how]}_{value}", match.span())


# A quoted phrase: "x", “x”, ‘x’ or 'x' (an apostrophe inside a word does not open one).
QUOTED = r"\"[^\"\n]+\"|“[^”\n]+”|‘[^’\n]+’|(?<!\w)'[^'\n]+'(?!\w)"
_QUOTED_LIST = re.compile(
    rf"\[?\s*(?:{QUOTED})(?:\s*(?:,|;|\band\b|\bor\b|\bnor\b)+\s*(?:{QUOTED}))*\s*\]?",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"[.;!?\n]|\s+(?:in|within|throughout)\s+(?:your|the)\s+(?:entire\s+|whole\s+)?"
    r"(?:response|answer|reply|text|output)\b|\s+(?:at\s+all|anywhere|whatsoever|somewhere)\b",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(r"\s*(?:,|;|/|\band\b|\bor\b|\bnor\b)\s*", re.IGNORECASE)
_NOT_A_KEYWORD = word_set(
    "at that how why what when where whether which who some any each every all your its their"
    " his her our my least most more less fewer no not only times time words word sentences"
    " paragraphs letters characters"
)


def unquote(text: str) -> str:
    """A quoted phrase without its quotes."""
    return text.strip()[1:-1].strip()


def find_list(text: str, start: int, *, drop_articles: bool = False) -> tuple[list[str], int]:
    """The items listed from `start`, and where the list ends; ``([], start)`` if unsure.

    Quoted items (``'a', "b" and 'c'``, or a Python-style list) are taken as written;
    otherwise the clause up to its end is split on commas, "and" and "or", and each item
    must look like a keyword: at most three words, not "at least 3 times" or "that ...".
    """
    rest = text[start:]
    quoted = _QUOTED_LIST.match(rest)
    if quoted:
        items = [unquote(item.group(0)) for item in re.finditer(QUOTED, quoted.group(0))]
        return [item for item in items if item], start + quoted.end()
    end_match = _CLAUSE_END.search(rest)
    clause = rest[: end_match.start()] if end_match else rest
    items = [item.strip(" \"'“”‘’:") for item in _ITEM_SPLIT.split(clause)]
    items = [item for item in items if item]
    if drop_articles:
        items = [re.sub(r"^(?:the|a|an|both)\s+", "", item, flags=re.I) for item in items]
    if not items or not all(_plausible(item) for item in items):
        return [], start
    return items, start + len(clause)


def _plausible(item: str) -> bool:
    words = item.split()
    return (
        0 < len(words) <= 3
        and len(item) <= 40
        and words[0].lower() not in _NOT_A_KEYWORD
        and not any(word.isdigit() for word in words)
        and bool(re.search(r"\w", item))
    )


# What may follow an end phrase in the requirement: "No other words should follow it."
_NOTHING_AFTER = (
    r"\s*[.,;]?\s*(?:and\s+|with\s+)?(?:no\s+other\s+words\s+should\s+(?:follow|come\s+after)"
    r"(?:\s+(?:this|the|that)\s+phrase|\s+it)?|nothing\s+(?:else\s+)?(?:after(?:\s+it)?"
    r"|should\s+(?:come\s+after|follow)(?:\s+it)?)|nothing\s+else)\s*\.?"
)


def find_phrase(text: str, start: int, *, bare_allowed: bool) -> tuple[str, int] | None:
    """A quoted phrase at `start`, or (if `bare_allowed`) the rest of the line, and its end.

    A trailing "No other words should follow this phrase." is accounted for; a bare phrase
    also drops the period an instruction adds after a phrase's own ``?`` or ``!``
    (``else?.``).
    """
    rest = text[start:]
    quoted = re.match(rf"\s*(?:{QUOTED})", rest)
    if quoted:
        phrase = unquote(quoted.group(0).strip())
        after = re.match(_NOTHING_AFTER, rest[quoted.end() :], re.IGNORECASE)
        end = start + quoted.end() + (after.end() if after else 0)
        return (phrase, end) if phrase else None
    if not bare_allowed:
        return None
    line = rest.split("\n", 1)[0]
    phrase = re.sub(rf"(?:{_NOTHING_AFTER})\s*$", "", line, flags=re.IGNORECASE).strip()
    if len(phrase) > 1 and phrase[-1] == "." and phrase[-2] in "?!.":
        phrase = phrase[:-1]
    return (phrase, start + len(line)) if phrase else None


def slug(text: str, limit: int = 40) -> str:
    """A name part: ``"Is there anything else?"`` -> ``"is_there_anything_else"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit].strip("_") or "x"
