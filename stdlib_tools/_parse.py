"""Requirement strings to validators: `parse_requirement`.

Deterministic and regex-based. A rule recognises one family of requirement (`_rules.py`)
and says which spans of the string it accounts for. The rest of the string must be filler
("Your entire response should be ..."); if other words remain, such as "and make it
funny" or a second requirement, the string is not recognised and `parse_requirement`
returns None, so the caller can hand the whole of it to a model judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ._bounds import Check
from ._grammar import Family, Found, word_set
from ._repairs import Repair
from ._rules import RULES


@dataclass(frozen=True)
class ParsedRequirement:
    """A requirement string recognised as a code check.

    Attributes:
        name: a stable identifier, e.g. ``"max_words_50"`` or ``"ends_with_any_questions"``.
        description: the original requirement string.
        check: a function of the text returning ``(passed, reason)``.
        family: the kind of requirement, one of `FAMILIES`, e.g. ``"length.words"``.
        repair: code that fixes a text the check rejects (a `Repair`), or None where only
            a rewrite can (lower bounds on length, letter frequency).

    Example (``codeplan.Requirement`` takes the same ``check`` and ``repair``):

    >>> parsed = parse_requirement("Answer in at most 5 words.")
    >>> parsed.name, parsed.family
    ('max_words_5', 'length.words')
    >>> parsed.check("Short answer.")
    (True, 'ok: 2 words (at most 5)')
    >>> parsed.repair("One two three. Four five six.")
    'One two three.'
    """

    name: str
    description: str
    check: Callable[[str], Check] = field(repr=False, compare=False)
    family: Family
    repair: Repair | None = field(default=None, repr=False, compare=False)


def parse_requirement(text: str) -> ParsedRequirement | None:
    """The code check a requirement string asks for, or None if it is not recognised.

    Case-insensitive and tolerant of phrasing ("at most 50 words", "no more than 50
    words", "50 words or less"; "three paragraphs"; numbers 1-20 may be words). Bare
    counts mean *exactly* ("3 paragraphs"), except for highlights and placeholders, which
    IFEval counts as *at least*. "fewer than", "less than" and "under" are strict.

    >>> parse_requirement("Use no more than 50 words.").name
    'max_words_50'
    >>> parse_requirement("End your response with 'Is there anything else?'").family
    'startend.ends_with'
    >>> parse_requirement("Write at most 50 words and make it funny.") is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    for rule in RULES:
        found = rule(text)
        if found is not None and _only_filler_left(text, found):
            return ParsedRequirement(found.name, text, found.check, found.family, found.repair)
    return None


# Words that may surround a requirement without adding one of their own. Negations,
# numbers and content words are deliberately absent: "do not use ...", "per paragraph",
# "funny" make a string unrecognised.
_FILLER = word_set(
    """
    a an the your you it its this that these those my our i we
    is are be been being should must shall will would can could may might need needs
    please make sure ensure keep use using used write written writing answer answers
    respond reply replies give provide produce return format formatted contain contains
    containing include includes including have has add put place wrap wrapped present
    in of to with within for on at by from as and or so also only just all entire whole
    full total overall complete completely entirely exactly explicitly strictly always
    response responses output text message content result results essay story poem
    summary article email letter post tweet blurb description paragraph draft piece
    english language markdown ticks tick long length form
    end ending beginning begin start starting mark marked label labeled labelled each
    section sections heading headed such like example e g i s
    there here then following below above
    """
)
# An example ends with its clause, or runs to the end when it starts a block ("such as:\n").
_EXAMPLE = re.compile(
    r"(?:\bsuch\s+as\b|\bfor\s+(?:example|instance)\b|\be\.\s?g\.|\bi\.\s?e\.|\blike\s+this\b)"
    r"(?:\s*:\s*\n.*|.*?(?=[.;]\s|\n\s*\n|,\s+(?:and|but|then)\b|$))",
    re.IGNORECASE | re.DOTALL,
)
_MARKUP = re.compile(r"<<[^<>\n]*>>|\[[^\[\]\n]*\]|\*[^*\n]+\*|`+[^`]*`+|`+")


def _only_filler_left(text: str, found: Found) -> bool:
    rest = list(text)
    for start, end in found.spans:
        rest[start:end] = " " * (end - start)
    leftover = _MARKUP.sub(" ", _EXAMPLE.sub(" ", "".join(rest)))
    tokens = re.findall(r"[^\W_]+", leftover.lower())
    return all(token in _FILLER for token in tokens)
