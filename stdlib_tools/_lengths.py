"""Length validators: words, sentences, paragraphs, sections, bullet points, characters.

Each takes the text and keyword-only bounds (`at_most`, `at_least`, `exactly`, `less_than`,
`more_than`: one, or a low and a high one) and returns ``(passed, reason)``.
"""

from __future__ import annotations

from typing import Unpack

from ._bounds import BoundArgs, Check, Noun, bounded, make_bounds
from ._text import (
    find_bullets,
    split_divider_paragraphs,
    split_paragraphs,
    split_sections,
    split_sentences,
    split_words,
)

_WORDS = Noun("word", "words", "cut")
_SENTENCES = Noun("sentence", "sentences", "cut")
_PARAGRAPHS = Noun("paragraph", "paragraphs")
_SECTIONS = Noun("section", "sections")
_BULLETS = Noun("bullet point", "bullet points")
_CHARACTERS = Noun("character", "characters", "cut")


def _with_hint(check: Check, hint: str) -> Check:
    ok, reason = check
    return (ok, reason) if ok else (ok, f"{reason} ({hint})")


def check_words(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of words (`split_words`: ``\\w+`` tokens, as IFEval) is within bounds.

    >>> check_words("one two three four", at_most=3)
    (False, 'has 4 words; at most 3 allowed — cut 1 word')
    >>> check_words("one two three", at_least=2, at_most=5)
    (True, 'ok: 3 words (between 2 and 5)')
    """
    limits = make_bounds("number of words", bounds)
    return bounded(len(split_words(text)), _WORDS, limits)


def check_sentences(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of sentences (`split_sentences`) is within bounds.

    >>> check_sentences("Hi. How are you? Fine!", exactly=2)
    (False, 'has 3 sentences; exactly 2 required — cut 1 sentence')
    """
    limits = make_bounds("number of sentences", bounds)
    return bounded(len(split_sentences(text)), _SENTENCES, limits)


def check_paragraphs(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of paragraphs separated by blank lines (`split_paragraphs`) is within bounds.

    >>> check_paragraphs("One.\\n\\nTwo.", exactly=3)[1]
    'has 2 paragraphs; exactly 3 required — add 1 paragraph (separate paragraphs with a blank line)'
    """
    limits = make_bounds("number of paragraphs", bounds)
    verdict = bounded(len(split_paragraphs(text)), _PARAGRAPHS, limits)
    return _with_hint(verdict, "separate paragraphs with a blank line")


def check_divider_paragraphs(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of paragraphs separated by ``***`` lines (IFEval's form) is within bounds.

    An empty paragraph between two dividers fails, as in IFEval.

    >>> check_divider_paragraphs("One.\\n***\\nTwo.", exactly=2)
    (True, 'ok: 2 paragraphs (exactly 2)')
    >>> print(check_divider_paragraphs("One.\\n\\nTwo.", exactly=2)[1])
    has 1 paragraph; exactly 2 required — add 1 paragraph (separate paragraphs with a line holding only ***)
    """  # noqa: E501
    limits = make_bounds("number of paragraphs", bounds)
    paragraphs = split_divider_paragraphs(text)
    empty = [index + 1 for index, paragraph in enumerate(paragraphs) if not paragraph]
    if empty:
        return False, (
            f"paragraph {empty[0]} of {len(paragraphs)} is empty (two *** dividers in a row)"
            " — remove the extra divider or write the paragraph"
        )
    verdict = bounded(len(paragraphs), _PARAGRAPHS, limits)
    return _with_hint(verdict, "separate paragraphs with a line holding only ***")


def check_sections(text: str, *, marker: str = "SECTION", **bounds: Unpack[BoundArgs]) -> Check:
    """The number of sections marked ``<marker> 1``, ``<marker> 2``... is within bounds.

    >>> print(check_sections("SECTION 1\\nA\\nSECTION 2\\nB", at_least=3)[1])
    has 2 sections; at least 3 required — add 1 section (start each section with a line 'SECTION <n>')
    """  # noqa: E501
    limits = make_bounds("number of sections", bounds)
    verdict = bounded(len(split_sections(text, marker)), _SECTIONS, limits)
    return _with_hint(verdict, f"start each section with a line '{marker} <n>'")


def check_bullets(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of markdown bullet points (``* `` or ``- `` lines) is within bounds.

    >>> print(check_bullets("* a\\n* b\\n- c", exactly=2)[1])
    has 3 bullet points; exactly 2 required — remove 1 bullet point (lines starting with '* ' or '- ')
    """  # noqa: E501
    limits = make_bounds("number of bullet points", bounds)
    verdict = bounded(len(find_bullets(text)), _BULLETS, limits)
    return _with_hint(verdict, "lines starting with '* ' or '- '")


def check_characters(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of characters, spaces included but not leading/trailing whitespace.

    >>> check_characters("  hello world\\n", at_most=10)
    (False, 'has 11 characters; at most 10 allowed — cut 1 character')
    """
    limits = make_bounds("number of characters", bounds)
    return bounded(len(text.strip()), _CHARACTERS, limits)
