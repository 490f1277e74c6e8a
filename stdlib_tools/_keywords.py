"""Keyword validators: required keywords, keyword frequency, forbidden words, letters.

Keywords match case-insensitively and as whole words: ``cat`` matches ``Cat.`` but not
``category``; a phrase matches across any run of whitespace (``New  York``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Unpack

from ._bounds import BoundArgs, Check, Noun, bounded, make_bounds
from ._errors import UsageError

_TIMES = Noun("time", "times")


def _clean_keywords(keywords: Sequence[str] | str, what: str) -> list[str]:
    if isinstance(keywords, str):
        keywords = [keywords]
    cleaned = [keyword.strip() for keyword in keywords if isinstance(keyword, str)]
    if len(cleaned) != len(keywords) or not cleaned or not all(cleaned):
        raise UsageError(
            f"{what} must be a non-empty list of non-empty strings, e.g. ['apple', 'pear'];"
            f" got {keywords!r}."
        )
    return cleaned


def _pattern(keyword: str) -> re.Pattern[str]:
    # Lookarounds instead of \b so keywords that start or end with punctuation ("C++") work.
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def count_keyword(text: str, keyword: str) -> int:
    """How often `keyword` occurs in `text`: case-insensitive, whole words, not overlapping.

    >>> count_keyword("Cats like cat food; a category is not a CAT.", "cat")
    2
    """
    return len(_pattern(_clean_keywords(keyword, "The keyword")[0]).findall(text))


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


def check_keywords(text: str, keywords: Sequence[str]) -> Check:
    """Every keyword occurs at least once (case-insensitive, as a whole word or phrase).

    >>> check_keywords("The Acme X1 is light.", ["acme", "x1"])
    (True, 'ok: all 2 keywords present')
    >>> print(check_keywords("The Acme X1 is light.", ["acme", "price", "battery"])[1])
    missing 2 of 3 keywords: 'price', 'battery' — use each at least once as a whole word
    """
    wanted = _clean_keywords(keywords, "The keywords")
    missing = [keyword for keyword in wanted if not _pattern(keyword).search(text)]
    if missing:
        return False, (
            f"missing {len(missing)} of {len(wanted)} keywords: {_quoted(missing)}"
            " — use each at least once as a whole word"
        )
    return True, f"ok: all {len(wanted)} keywords present"


def check_keyword_frequency(text: str, keyword: str, **bounds: Unpack[BoundArgs]) -> Check:
    """`keyword` occurs a bounded number of times (case-insensitive, whole words).

    >>> print(check_keyword_frequency("AI is here. Ai!", "ai", at_least=3)[1])
    'ai' occurs 2 times; at least 3 required — add 1 time
    """
    word = _clean_keywords(keyword, "The keyword")[0]
    limits = make_bounds(f"occurrences of {word!r}", bounds)
    ok, reason = bounded(len(_pattern(word).findall(text)), _TIMES, limits)
    if ok:
        return ok, reason.replace("ok: ", f"ok: '{word}' occurs ", 1)
    return ok, f"'{word}' occurs {reason.removeprefix('has ')}"


def check_forbidden_words(text: str, words: Sequence[str]) -> Check:
    """None of `words` occurs (case-insensitive, as a whole word or phrase).

    >>> print(check_forbidden_words("Very good, very fast.", ["very", "slow"])[1])
    uses forbidden words: 'very' (2 times) — remove or replace them
    """
    forbidden = _clean_keywords(words, "The forbidden words")
    found = {word: len(_pattern(word).findall(text)) for word in forbidden}
    used = [f"'{word}' ({_TIMES.of(count)})" for word, count in found.items() if count]
    if used:
        return False, f"uses forbidden words: {', '.join(used)} — remove or replace them"
    return True, f"ok: none of {len(forbidden)} forbidden words used"


def check_letter_frequency(text: str, letter: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The letter occurs a bounded number of times, counting both cases (as IFEval).

    >>> check_letter_frequency("Quiet quay", "q", at_least=3)
    (False, "the letter 'q' occurs 2 times; at least 3 required — add 1 time")
    """
    if not isinstance(letter, str) or len(letter) != 1 or not letter.isalpha():
        raise UsageError(f"`letter` must be a single letter such as 'q', got {letter!r}.")
    limits = make_bounds(f"occurrences of the letter {letter!r}", bounds)
    count = text.lower().count(letter.lower())
    ok, reason = bounded(count, _TIMES, limits)
    if ok:
        return ok, reason.replace("ok: ", f"ok: the letter '{letter}' occurs ", 1)
    return ok, f"the letter '{letter}' occurs {reason.removeprefix('has ')}"
