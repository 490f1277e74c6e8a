"""Validators and small tools that plans may call. Pure functions of the text.

Validators return ``(passed, reason)``; the reason says what is wrong with numbers and
how to fix it, e.g. ``"has 63 words; at most 50 allowed — cut 13 words"``. Count
validators take keyword-only bounds: ``at_most``, ``at_least``, ``exactly``,
``less_than``, ``more_than`` (one, or a low and a high one). Counting follows Google's
IFEval (instruction_following_eval) where it has a convention.

Repairs fix what code can: ``repair_<family>(text, ...)`` takes its check's parameters and
returns a text the check accepts, or the text unchanged (lowercase, no commas, a title, a
postscript, an ending, a length limit, bullet points, ...). A parsed requirement carries
its repair as a `Repair`, with the `stage` at which it applies among several.

Example:

>>> from stdlib_tools import check_words, parse_requirement
>>> check_words("one two three", at_most=2)
(False, 'has 3 words; at most 2 allowed — cut 1 word')
>>> parsed = parse_requirement("Wrap your entire response with double quotation marks.")
>>> parsed.family, parsed.check('"Hi."')
('startend.quotation', (True, 'ok: wrapped in double quotes'))
>>> parsed.repair("Hi."), parsed.repair.stage
('"Hi."', 2)
"""

from __future__ import annotations

from ._bounds import BoundArgs, Check
from ._case import check_capital_words, check_lowercase, check_no_commas, check_uppercase
from ._errors import CalculationError, StdlibToolsError, UsageError
from ._format import (
    check_ends_with,
    check_highlights,
    check_placeholders,
    check_postscript,
    check_quoted,
    check_repeats_request,
    check_starts_with,
    check_title,
    check_two_responses,
)
from ._grammar import FAMILIES, Family
from ._json import check_json, check_json_schema
from ._keywords import (
    check_forbidden_words,
    check_keyword_frequency,
    check_keywords,
    check_letter_frequency,
    count_keyword,
)
from ._lengths import (
    check_bullets,
    check_characters,
    check_divider_paragraphs,
    check_paragraphs,
    check_sections,
    check_sentences,
    check_words,
)
from ._parse import ParsedRequirement, parse_requirement
from ._repairs import (
    Repair,
    repair_capital_words,
    repair_forbidden_words,
    repair_keyword_frequency,
    repair_keywords,
    repair_lowercase,
    repair_no_commas,
    repair_uppercase,
)
from ._repairs_format import (
    repair_ends_with,
    repair_json,
    repair_postscript,
    repair_quoted,
    repair_repeats_request,
    repair_starts_with,
    repair_title,
)
from ._repairs_layout import (
    repair_bullets,
    repair_characters,
    repair_divider_paragraphs,
    repair_highlights,
    repair_paragraphs,
    repair_placeholders,
    repair_sections,
    repair_sentences,
    repair_two_responses,
    repair_words,
)
from ._text import (
    find_bullets,
    find_capital_words,
    find_highlights,
    find_placeholders,
    find_titles,
    split_divider_paragraphs,
    split_paragraphs,
    split_sections,
    split_sentences,
    split_words,
)
from ._tools import calculate, text_stats

__all__ = [
    "FAMILIES",
    "BoundArgs",
    "CalculationError",
    "Check",
    "Family",
    "ParsedRequirement",
    "Repair",
    "StdlibToolsError",
    "UsageError",
    "calculate",
    "check_bullets",
    "check_capital_words",
    "check_characters",
    "check_divider_paragraphs",
    "check_ends_with",
    "check_forbidden_words",
    "check_highlights",
    "check_json",
    "check_json_schema",
    "check_keyword_frequency",
    "check_keywords",
    "check_letter_frequency",
    "check_lowercase",
    "check_no_commas",
    "check_paragraphs",
    "check_placeholders",
    "check_postscript",
    "check_quoted",
    "check_repeats_request",
    "check_sections",
    "check_sentences",
    "check_starts_with",
    "check_title",
    "check_two_responses",
    "check_uppercase",
    "check_words",
    "count_keyword",
    "find_bullets",
    "find_capital_words",
    "find_highlights",
    "find_placeholders",
    "find_titles",
    "parse_requirement",
    "repair_bullets",
    "repair_capital_words",
    "repair_characters",
    "repair_divider_paragraphs",
    "repair_ends_with",
    "repair_forbidden_words",
    "repair_highlights",
    "repair_json",
    "repair_keyword_frequency",
    "repair_keywords",
    "repair_lowercase",
    "repair_no_commas",
    "repair_paragraphs",
    "repair_placeholders",
    "repair_postscript",
    "repair_quoted",
    "repair_repeats_request",
    "repair_sections",
    "repair_sentences",
    "repair_starts_with",
    "repair_title",
    "repair_two_responses",
    "repair_uppercase",
    "repair_words",
    "split_divider_paragraphs",
    "split_paragraphs",
    "split_sections",
    "split_sentences",
    "split_words",
    "text_stats",
]
