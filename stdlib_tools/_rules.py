"""The rules `parse_requirement` tries, most specific first. Each returns a `Found` (the
check and the spans of the requirement it accounts for) or None."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from . import _rules_counts as counts
from ._bounds import Check
from ._case import check_lowercase, check_no_commas, check_uppercase
from ._format import (
    check_ends_with,
    check_postscript,
    check_quoted,
    check_starts_with,
    check_title,
    check_two_responses,
)
from ._grammar import (
    APPEARS_TIMES,
    QUOTED,
    TIMES,
    Family,
    Found,
    Span,
    find_list,
    find_phrase,
    slug,
    times,
    unquote,
)
from ._json import check_json
from ._keywords import (
    check_forbidden_words,
    check_keyword_frequency,
    check_keywords,
    check_letter_frequency,
)
from ._repairs import (
    Repair,
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
    repair_starts_with,
    repair_title,
)
from ._repairs_layout import repair_two_responses
from ._rules_counts import Rule, all_spans

_I = re.IGNORECASE


def _phrase_rule(
    name: str, family: Family, check: Callable[[str], Check], pattern: str, repair: Repair
) -> Rule:
    """A rule for a requirement without parameters; it accounts for every match of `pattern`."""

    def rule(text: str) -> Found | None:
        spans = all_spans(pattern, text)
        return Found(name, family, check, spans, repair) if spans else None

    return rule


def _two_responses(text: str) -> Found | None:
    two = re.search(
        r"\b(?:two|2)\s+(?:different\s+|distinct\s+|separate\s+)?(?:responses|answers)\b", text, _I
    )
    separator = re.search(
        r"(?:(?:separated|divided|split)\s+(?:by|with|using)\s+)?"
        r"(?:(?:6|six)\s+asterisks?(?:\s+symbols?)?\s*:?\s*(?:\*{6})?|\*{6})",
        text,
        _I,
    )
    if not (two and separator):
        return None
    spans = (two.span(), separator.span())
    repair = Repair.of(repair_two_responses, "two_responses")
    return Found("two_responses", "combination.two_responses", check_two_responses, spans, repair)


def _title(text: str) -> Found | None:
    title = re.search(
        r"(?:(?:include|add|give|contain|have|use|put|start\s+with)\s+)?(?:(?:a|the|your)\s+)?title\b",
        text,
        _I,
    )
    brackets = re.search(
        r"(?:(?:wrapped|enclosed|surrounded|placed|put|written)\s+)?"
        r"(?:(?:in|within|inside|with|between|by)\s+)?(?:double\s+angul?ar\s+brackets|<<[^<>\n]*>>)",
        text,
        _I,
    )
    if not (title and brackets):
        return None
    spans = (title.span(), brackets.span())
    return Found("title", "format.title", check_title, spans, Repair.of(repair_title, "title"))


def _postscript(text: str) -> Found | None:
    match = re.search(
        r"(?:(?:add|include|append|end\s+with|finish\s+with|write)\s+)?(?:(?:a|an)\s+)?"
        r"(?:post[\s-]?script|p\.\s?s\.)"
        r"(?:\s+(?:section\s+)?(?:starting|beginning|that\s+(?:starts|begins)|marked)\s+with\s+"
        r"(?P<marker>p\.\s?p\.\s?s\.?|p\.\s?s\.?|[\"'“‘][^\"'”’\n]+[\"'”’]))?",
        text,
        _I,
    )
    if not match:
        return None
    marker = (match.group("marker") or "P.S.").replace(" ", "")
    if marker[0] in "\"'“‘":
        marker = unquote(marker)
    elif marker.upper().startswith("P.P"):
        marker = "P.P.S"
    else:
        marker = marker.upper()
    name = f"postscript_{slug(marker)}"
    check = partial(check_postscript, marker=marker)
    repair = Repair.of(repair_postscript, name, marker=marker)
    return Found(name, "content.postscript", check, (match.span(),), repair)


def _letter_frequency(text: str) -> Found | None:
    match = re.search(
        rf"\b(?:the\s+)?letter\s+[\"'“‘]?(?P<letter>[a-z])[\"'”’]?\s+{APPEARS_TIMES}",
        text,
        _I,
    )
    if not match:
        return None
    count = times(match)
    letter = match.group("letter").lower()
    check = partial(check_letter_frequency, letter=letter, **count.bounds)
    return Found(count.name(f"letter_{letter}"), "keywords.letter_frequency", check, (count.span,))


_KEYWORD = rf"(?P<kw>{QUOTED}|[\w-]+(?:\s+[\w-]+){{0,2}}?)"


def _keyword_frequency(text: str) -> Found | None:
    match = re.search(
        rf"\b(?:the\s+)?(?:key)?(?:word|term|phrase)\s+{_KEYWORD}\s+{APPEARS_TIMES}",
        text,
        _I,
    ) or re.search(
        rf"\b(?:mention|use|include|repeat|say)\s+(?:the\s+(?:key)?(?:word|term|phrase)\s+)?"
        rf"{_KEYWORD}\s+{TIMES}",
        text,
        _I,
    )
    if not match:
        return None
    keyword = match.group("kw")
    if keyword[0] in "\"'“‘":
        keyword = unquote(keyword)
    else:
        keyword = re.sub(r"^(?:the|a|an)\s+", "", keyword, flags=_I)
    items, _ = find_list(keyword, 0)
    if items != [keyword]:
        return None  # not one plausible keyword ("at least", "that ...")
    count = times(match)
    check = partial(check_keyword_frequency, keyword=keyword, **count.bounds)
    name = count.name(f"keyword_{slug(keyword)}")
    repair = Repair.of(repair_keyword_frequency, name, keyword=keyword, **count.bounds)
    return Found(name, "keywords.frequency", check, (count.span,), repair)


_CASE_LEAD = r"(?:(?:entirely|only|completely|all)\s+in\s+|in\s+(?:all\s+)?|all\s+)"
_LOWER = (
    rf"{_CASE_LEAD}?lower[\s-]?case(?:\s+letters)?(?:\s+only)?"
    r"|no\s+(?:capital|upper[\s-]?case)\s+letters(?:\s+(?:are\s+)?(?:allowed|permitted))?"
    r"|(?:without|(?:do\s+not|don['’]t|never)\s+use|avoid)\s+(?:any\s+)?(?:capital|upper[\s-]?case)"
    r"\s+letters"
)
_UPPER = (
    rf"{_CASE_LEAD}(?:upper[\s-]?case|capital\s+letters|caps|capitals)(?:\s+letters)?(?:\s+only)?"
    r"|(?:upper[\s-]?case|capital\s+letters)\s+only"
    r"|no\s+lower[\s-]?case\s+letters(?:\s+(?:are\s+)?(?:allowed|permitted))?"
    r"|(?:without|(?:do\s+not|don['’]t|never)\s+use|avoid)\s+(?:any\s+)?lower[\s-]?case\s+letters"
)


_lowercase = _phrase_rule(
    "all_lowercase",
    "case.lowercase",
    check_lowercase,
    _LOWER,
    Repair.of(repair_lowercase, "all_lowercase"),
)


_uppercase = _phrase_rule(
    "all_uppercase",
    "case.uppercase",
    check_uppercase,
    _UPPER,
    Repair.of(repair_uppercase, "all_uppercase"),
)


_COMMAS = (
    r"(?:(?:do\s+not|don['’]t|never|must\s+not|should\s+not|cannot|can['’]t)\s+"
    r"(?:use|include|contain|have)|without(?:\s+using)?|refrain\s+from\s+(?:the\s+use\s+of|using)"
    r"|avoid(?:\s+using)?|no|zero|not\s+(?:a\s+single|any|one))\s+(?:any\s+)?(?:single\s+)?"
    r"commas?(?:\s+(?:at\s+all|whatsoever))?"
    r"|commas?\s+(?:are|is)\s+(?:not\s+allowed|forbidden|prohibited|banned)"
)


_no_commas = _phrase_rule(
    "no_commas",
    "punctuation.no_commas",
    check_no_commas,
    _COMMAS,
    Repair.of(repair_no_commas, "no_commas"),
)


_QUOTES = r"double\s+(?:quotes|quotation\s+marks|quotation|quote\s+marks)"
_QUOTATION = (
    r"(?:wrap|enclose|surround|put|place|write)\w*\s+(?:the\s+|your\s+)?"
    r"(?:(?:entire|whole|full|complete)\s+)?(?:response|answer|output|reply|text)\s+"
    rf"(?:(?:in|with|within|inside|between|by)\s+)?(?:a\s+pair\s+of\s+)?{_QUOTES}"
    rf"|(?:wrapped|enclosed|surrounded)\s+(?:in|with|within|by)\s+(?:a\s+pair\s+of\s+)?{_QUOTES}"
)


_quotation = _phrase_rule(
    "quoted", "startend.quotation", check_quoted, _QUOTATION, Repair.of(repair_quoted, "quoted")
)


def _json(text: str) -> Found | None:
    if re.search(r"json\s*schema|jsonl|json\s+lines", text, _I):
        return None  # a schema we do not have, or another format
    spans = all_spans(
        r"(?:(?:a\s+)?valid\s+|in\s+|as\s+|using\s+)?\bjson\b"
        r"(?:\s+(?:format(?:ted)?|object|only|document|output))?(?:\s+format)?",
        text,
    )
    return (
        Found("json", "format.json", check_json, spans, Repair.of(repair_json, "json"))
        if spans
        else None
    )


_ANSWER = (
    r"(?:(?:your|the)\s+(?:entire\s+|whole\s+)?"
    r"(?:response|answer|reply|output|text|message|email|letter)\s+)?"
)
_INTRO = (
    r"(?P<intro>(?:the|this)\s+(?:exact\s+)?(?:phrase|sentence|words?|question|line)\s*:?\s*"
    r"|exactly\s*:?\s*|:\s*)?"
)


def _ends_with(text: str) -> Found | None:
    verb = r"(?:end|finish|conclude|close|wrap\s+up)(?:s|ing)?"
    found = _lead_and_phrase(verb, text)
    if found is None:
        return None
    phrase, span = found
    name = f"ends_with_{slug(phrase)}"
    check = partial(check_ends_with, phrase=phrase)
    repair = Repair.of(repair_ends_with, name, phrase=phrase)
    return Found(name, "startend.ends_with", check, (span,), repair)


def _starts_with(text: str) -> Found | None:
    found = _lead_and_phrase(r"(?:start|begin|open)(?:s|ning|ing)?", text)
    if found is None:
        return None
    phrase, span = found
    name = f"starts_with_{slug(phrase)}"
    check = partial(check_starts_with, phrase=phrase)
    repair = Repair.of(repair_starts_with, name, phrase=phrase)
    return Found(name, "startend.starts_with", check, (span,), repair)


def _lead_and_phrase(verb: str, text: str) -> tuple[str, Span] | None:
    """The phrase after "<verb> your response with": quoted, or bare after "the phrase"."""
    lead = re.search(rf"\b{verb}\s+{_ANSWER}with\s+{_INTRO}", text, _I)
    if not lead:
        return None
    found = find_phrase(text, lead.end(), bare_allowed=lead.group("intro") is not None)
    if found is None:
        return None
    phrase, end = found
    return phrase, (lead.start(), end)


_WORDS_NOUN = r"(?:key)?(?:words?|terms?|phrases?)"


def _forbidden(text: str) -> Found | None:
    lead = re.search(
        r"(?:(?:do\s+not|don['’]t|never|must\s+not|should\s+not|cannot|can['’]t|may\s+not)\s+"
        r"(?:use|include|mention|say|write|contain)|avoid(?:\s+using)?|without(?:\s+using)?"
        r"|exclude|refrain\s+from\s+using)\s+(?:any\s+of\s+)?(?:the\s+|these\s+)?"
        rf"(?:following\s+)?{_WORDS_NOUN}\s*:?\s*",
        text,
        _I,
    )
    if not lead:
        return None
    words, end = find_list(text, lead.end())
    if not words:
        return None
    check = partial(check_forbidden_words, words=words)
    name = "forbid_words_" + slug("_".join(words))
    repair = Repair.of(repair_forbidden_words, name, words=words)
    return Found(name, "keywords.forbidden", check, ((lead.start(), end),), repair)


def _include(text: str) -> Found | None:
    lead = re.search(
        r"\b(?:include|use|mention|contain|incorporate|feature)s?\s+"
        r"(?:(?:all\s+(?:of\s+)?)?(?:the|these)\s+(?:following\s+)?|all\s+(?:of\s+)?)?"
        rf"{_WORDS_NOUN}\s*:?\s*",
        text,
        _I,
    )
    mention = re.search(r"\bmention\s+(?:both\s+|all\s+of\s+)?", text, _I)
    for found_lead, drop_articles in ((lead, False), (mention, True)):
        if found_lead is None:
            continue
        words, end = find_list(text, found_lead.end(), drop_articles=drop_articles)
        if words:
            check = partial(check_keywords, keywords=words)
            name = "include_keywords_" + slug("_".join(words))
            repair = Repair.of(repair_keywords, name, keywords=words)
            span = (found_lead.start(), end)
            return Found(name, "keywords.include", check, (span,), repair)
    return None


RULES: tuple[Rule, ...] = (
    _two_responses,
    _title,
    _postscript,
    counts.highlights,
    counts.placeholders,
    counts.sections,
    counts.bullets,
    _letter_frequency,
    _keyword_frequency,
    counts.capital_words,
    _lowercase,
    _uppercase,
    _no_commas,
    _quotation,
    _json,
    _ends_with,
    _starts_with,
    _forbidden,
    _include,
    counts.paragraphs,
    counts.words,
    counts.sentences,
    counts.characters,
)
"""Every rule, most specific first: a later rule's phrase can occur inside an earlier one's."""
