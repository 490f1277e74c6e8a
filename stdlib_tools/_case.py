"""Case and punctuation validators: all lowercase, all uppercase, capital words, no commas."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Unpack

from ._bounds import BoundArgs, Check, Noun, bounded, make_bounds
from ._text import find_capital_words

_TOKEN = re.compile(r"\S+")
_CAPITAL_WORDS = Noun("word in capitals", "words in capitals")


def _examples(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{item}'" for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _same_case(text: str, convert: Callable[[str], str], wrong: str, wanted: str) -> Check:
    offending = [token for token in _TOKEN.findall(text) if token != convert(token)]
    if offending:
        words = "word" if len(offending) == 1 else "words"
        return False, (
            f"has {wrong} letters in {len(offending)} {words}: {_examples(offending)}"
            f" — write everything in {wanted}"
        )
    return True, f"ok: no {wrong} letters"


def check_lowercase(text: str) -> Check:
    """No character would change under ``str.lower()``: no capital letters anywhere.

    A text without letters passes. (IFEval also asks for English; that is not checked.)

    >>> check_lowercase("all quiet here.")
    (True, 'ok: no capital letters')
    >>> print(check_lowercase("All quiet in Paris.")[1])
    has capital letters in 2 words: 'All', 'Paris.' — write everything in lowercase
    """
    return _same_case(text, str.lower, "capital", "lowercase")


def check_uppercase(text: str) -> Check:
    """No character would change under ``str.upper()``: no lowercase letters anywhere.

    A text without letters passes. (IFEval also asks for English; that is not checked.)

    >>> print(check_uppercase("ALL QUIET in PARIS.")[1])
    has lowercase letters in 1 word: 'in' — write everything in capital letters
    """
    return _same_case(text, str.upper, "lowercase", "capital letters")


def check_capital_words(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of words in capital letters only (`find_capital_words`) is within bounds.

    >>> print(check_capital_words("NASA and ESA agree.", at_least=3)[1])
    has 2 words in capitals ('NASA', 'ESA'); at least 3 required — add 1 word in capitals
    >>> check_capital_words("NASA and ESA agree.", less_than=3)[0]
    True
    """
    limits = make_bounds("number of words in capital letters", bounds)
    words = find_capital_words(text)
    ok, reason = bounded(len(words), _CAPITAL_WORDS, limits)
    if words and not ok:
        head, _, tail = reason.partition(";")
        reason = f"{head} ({_examples(words)});{tail}"
    return ok, reason


def check_no_commas(text: str) -> Check:
    """The text has no comma ``,`` at all.

    >>> print(check_no_commas("Yes, no, maybe")[1])
    has 2 commas (first in 'Yes, no, maybe') — rephrase without commas
    """
    count = text.count(",")
    if count:
        at = text.index(",")
        context = text[max(0, at - 20) : at + 20].replace("\n", " ")
        noun = "comma" if count == 1 else "commas"
        return False, f"has {count} {noun} (first in '{context}') — rephrase without commas"
    return True, "ok: no commas"
