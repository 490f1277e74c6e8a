"""Repairs: deterministic code that fixes a text a mechanical requirement rejects.

A very small model often misses mechanical instructions (all lowercase, no commas, end with
a phrase, add a postscript, exactly 3 bullet points) and cannot fix them by rewriting; code
can. Each ``repair_<family>(text, **params)`` takes the parameters of the matching
``check_<family>`` and is pure and deterministic: it returns a text that check accepts, or
`text` unchanged when it cannot repair it. A text that already passes comes back unchanged.

`Repair` names a repair and its `stage`, the order in which repairs of one text apply:

* 0 edits the words: case, commas, forbidden words, keyword and capital-word counts,
  trimming to a length limit;
* 1 adds or rearranges structure: title, bullets, sections, paragraphs, highlights,
  placeholders, keywords, a postscript;
* 2 pins the ends of the text or wraps it: repeat the request or start with a phrase, end
  with a phrase, double quotes, JSON, two responses. These come last because codeplan
  keeps a repair only if no other check breaks, and anything appended or prepended later
  would move the text's ends.

Added text takes the case of the text (all lowercase stays all lowercase) and has no
commas. Not repaired, so left to the model: lower bounds on words, sentences and characters
(content cannot be invented), letter frequency (changing letters changes words), and upper
bounds on highlights.

The repairs live beside this module by what they touch: words here, the ends and
wrapping in `_repairs_format`, counted structure in `_repairs_layout`.

>>> repair_no_commas("Yes, it works, mostly.")
'Yes it works mostly.'
>>> Repair.of(repair_lowercase, "all_lowercase")
Repair(name='all_lowercase', stage=0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Unpack

from ._bounds import BoundArgs, Check, make_bounds
from ._case import check_capital_words, check_lowercase, check_no_commas, check_uppercase
from ._grammar import word_set
from ._keywords import (
    check_forbidden_words,
    check_keyword_frequency,
    check_keywords,
    count_keyword,
)
from ._text import find_capital_words

_STAGES = {
    **dict.fromkeys(
        ["lowercase", "uppercase", "no_commas", "forbidden_words", "keyword_frequency",
         "capital_words", "words", "sentences", "characters"],
        0,
    ),
    **dict.fromkeys(
        ["title", "bullets", "sections", "paragraphs", "divider_paragraphs", "highlights",
         "placeholders", "keywords", "postscript"],
        1,
    ),
    **dict.fromkeys(
        ["repeats_request", "starts_with", "ends_with", "quoted", "json", "two_responses"], 2
    ),
}  # fmt: skip
"""The stage of each family's repair, by the name after ``repair_``."""


@dataclass(frozen=True)
class Repair:
    """A named repair of a text, and the stage at which it applies (0, 1 or 2).

    Calling it repairs a text: ``Repair("lowercase", 0, repair_lowercase)("Hi")`` is
    ``"hi"``. `Repair.of` builds one with the stage its family needs.

    >>> fix = Repair.of(repair_forbidden_words, "forbid_very", words=["very"])
    >>> fix.stage, fix("It is very good.")
    (0, 'It is good.')
    """

    name: str
    stage: int
    fn: Callable[[str], str] = field(repr=False, compare=False)

    def __call__(self, text: str) -> str:
        """The repaired text, or `text` unchanged."""
        return self.fn(text)

    @classmethod
    def of(cls, repair: Callable[..., str], name: str, **params: Any) -> Repair:
        """`repair` with `params` bound, at the stage of its family (``repair_words``: 0)."""
        family = repair.__name__.removeprefix("repair_")
        fn = partial(repair, **params) if params else repair
        return cls(name, _STAGES.get(family, 1), fn)


# ---------------------------------------------------------------- shared helpers


def verified(text: str, check: Callable[[str], Check], build: Callable[[str], str]) -> str:
    """`build(text)` if `check` rejects `text` and accepts that; otherwise `text` itself."""
    if not isinstance(text, str) or check(text)[0]:
        return text
    candidate = build(text)
    return candidate if candidate != text and check(candidate)[0] else text


def inside_quotes(text: str, edit: Callable[[str], str]) -> str:
    """`edit` applied inside one pair of wrapping double quotes, which stay around it."""
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == stripped[-1] == '"':
        return wrap_in_quotes(edit(stripped[1:-1]).strip())
    return edit(text)


_STRUCTURE_LINE = re.compile(
    r"[ \t]*(?:[*#>+-]|\d+[.)]|<<|p\.\s?(?:p\.\s?)?s|[^\W\d_]+[ \t]+\d+\W*$)", re.IGNORECASE
)


def wrap_in_quotes(body: str) -> str:
    """`body` in double quotes; a quote gets a line of its own next to a line whose start
    carries structure (a bullet, a heading, a section marker), so the structure survives."""
    lines = body.split("\n")
    opening = '"\n' if _STRUCTURE_LINE.match(lines[0]) else '"'
    closing = '\n"' if _STRUCTURE_LINE.match(lines[-1]) else '"'
    return f"{opening}{body}{closing}"


def in_case_of(text: str, addition: str) -> str:
    """`addition` in lowercase if `text` has no capitals, in capitals if it has no lowercase."""
    upper = any(ch.isupper() for ch in text)
    lower = any(ch.islower() for ch in text)
    if lower and not upper:
        return addition.lower()
    if upper and not lower:
        return addition.upper()
    return addition


def append_line(text: str, line: str) -> str:
    """`text` with `line` added at its end, on a line of its own, in the text's case."""
    body = text.rstrip()
    return f"{body}\n{in_case_of(body, line)}" if body else in_case_of(text, line)


def append_sentence(text: str, sentence: str) -> str:
    """`text` with `sentence` after its last sentence (no new paragraph), in the text's case.

    When the text does not end with a sentence (a poem's line, a signature, a heading), the
    sentence goes on a line of its own.
    """
    body = text.rstrip()
    if not re.search(r"[.!?][\"'”’)*_]*$", body.rsplit("\n", 1)[-1]):
        return append_line(text, sentence)
    return f"{body} {in_case_of(body, sentence)}"


def _removable(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole word (as the validators match it), with its compound: "rock"
    takes "rock-solid" and "rock's" along."""
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    return re.compile(rf"(?<!\w)(?:\w+-)*{body}(?:-\w+)*(?:['’]\w+)?(?!\w)", re.IGNORECASE)


# ---------------------------------------------------------------- case and punctuation


def repair_lowercase(text: str) -> str:
    """The text in lowercase (`check_lowercase`).

    >>> repair_lowercase("Hello World")
    'hello world'
    """
    return verified(text, check_lowercase, str.lower)


def repair_uppercase(text: str) -> str:
    """The text in capital letters (`check_uppercase`).

    >>> repair_uppercase("Hello World")
    'HELLO WORLD'
    """
    return verified(text, check_uppercase, str.upper)


def _drop_commas(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,000 -> 1000
    text = re.sub(r"[ \t]*(?:,[ \t]*)+(?=\n|$)", "", text)
    return re.sub(r"[ \t]*(?:,[ \t]*)+", " ", text)


def repair_no_commas(text: str) -> str:
    """The text without commas (`check_no_commas`): ``", "`` becomes a space; ``1,000`` 1000.

    Only the ASCII comma is removed; the check (like IFEval's) does not count others.

    >>> repair_no_commas("Well, 1,000 apples,\\nplease")
    'Well 1000 apples\\nplease'
    """
    return verified(text, check_no_commas, _drop_commas)


_FUNCTION_WORDS = word_set(
    """
    about above after again against among because before being below between both could
    does doing down during each from further have having here into itself just more most
    once only other over same should some such than that their them then there these they
    this those through under until very what when where which while with would your
    """
)


def _capitals(text: str, bounds: BoundArgs) -> str:
    limits = make_bounds("number of words in capital letters", bounds)
    count = len(find_capital_words(text))
    highest = limits.highest()
    words = list(re.finditer(r"(?<![\w'’-])[^\W\d_]+(?![\w'’-])", text))
    if count < limits.lowest():
        need = limits.lowest() - count
        eligible = [m for m in words if not m.group().isupper()]
        if len(eligible) < need:
            return text
        # Content words first: long ones that are not function words.
        chosen = sorted(
            eligible, key=lambda m: (m.group().lower() in _FUNCTION_WORDS, -len(m.group()))
        )[:need]
        return _replace_spans(text, [(m.start(), m.end(), m.group().upper()) for m in chosen])
    if highest is not None and count > highest:
        shouting = [m for m in words if m.group().isupper() and len(m.group()) > 1]
        extra = shouting[len(shouting) - (count - highest) :] if count - highest else []
        return _replace_spans(text, [(m.start(), m.end(), m.group().capitalize()) for m in extra])
    return text


def _replace_spans(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def repair_capital_words(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """Words put in capitals, or capitals softened, to meet `check_capital_words`' bounds.

    >>> repair_capital_words("Read this important notice today.", at_least=2)
    'Read this IMPORTANT NOTICE today.'
    """
    check = partial(check_capital_words, **bounds)
    return verified(text, check, partial(_capitals, bounds=bounds))


# ---------------------------------------------------------------- keywords


def _remove_words(text: str, words: Sequence[str], keep: int = 0) -> str:
    """`text` without `words` (after the first `keep` of each), spaces and commas tidied."""
    free = (ch for ch in map(chr, range(0xE000, 0xF900)) if ch not in text)
    gone, shout = next(free), next(free)  # a removed word, and one that started in capitals
    for word in words:
        seen = 0

        def drop(match: re.Match[str]) -> str:
            nonlocal seen
            seen += 1
            if seen <= keep:
                return match.group()
            return shout if match.group()[:1].isupper() else gone

        text = _removable(word.strip()).sub(drop, text)
    either = f"[{gone}{shout}]"
    text = re.sub(rf"({either})(?:[ \t]*{either})+", r"\1", text)
    text = re.sub(rf"(^|(?<=[.!?]))[ \t]*{either}[ \t]*[.!?]+", "", text, flags=re.M)

    def sentence_start(match: re.Match[str]) -> str:
        after = match.group(3).upper() if match.group(2) == shout else match.group(3)
        return match.group(1) + after

    text = re.sub(
        rf"(^[ \t]*|[.!?][ \t]+)({either})[ \t]*[,;:]?[ \t]*(\w?)", sentence_start, text, flags=re.M
    )
    text = re.sub(rf"[,;:]?[ \t]*{either}[ \t]*(?=[.!?])", "", text)
    text = re.sub(rf"[ \t]*{either}[ \t]*(?=[.,;:!?)\]}}\n]|$)", "", text)
    text = re.sub(rf"(?<=[(\[{{\"“])[ \t]*{either}[ \t]*", "", text)
    return re.sub(rf"[ \t]*{either}[ \t]*", " ", text)


def repair_forbidden_words(text: str, words: Sequence[str]) -> str:
    """The text without the forbidden words (whole words, any case), spaces tidied.

    >>> repair_forbidden_words("It is very good, very fast.", ["very"])
    'It is good, fast.'
    """
    check = partial(check_forbidden_words, words=words)
    return verified(text, check, partial(_remove_words, words=list(words)))


def _key_terms(terms: Sequence[str]) -> str:
    noun = "Key term" if len(terms) == 1 else "Key terms"
    return f"{noun}: {' and '.join(terms)}."


def repair_keywords(text: str, keywords: Sequence[str]) -> str:
    """The text with a short sentence naming the missing keywords (`check_keywords`).

    >>> repair_keywords("Moms are great.", ["mom", "mother"])
    'Moms are great. Key terms: mom and mother.'
    """

    def add(body: str) -> str:
        missing = [k.strip() for k in keywords if not count_keyword(body, k)]
        return append_sentence(body, _key_terms(missing)) if missing else body

    return verified(
        text, partial(check_keywords, keywords=keywords), partial(inside_quotes, edit=add)
    )


def _frequency(text: str, keyword: str, bounds: BoundArgs) -> str:
    limits = make_bounds(f"occurrences of {keyword!r}", bounds)
    count = count_keyword(text, keyword)
    highest = limits.highest()
    if count < limits.lowest():
        terms = [keyword.strip()] * (limits.lowest() - count)
        return inside_quotes(text, lambda body: append_sentence(body, _key_terms(terms)))
    if highest is not None and count > highest:
        return _remove_words(text, [keyword], keep=highest)
    return text


def repair_keyword_frequency(text: str, keyword: str, **bounds: Unpack[BoundArgs]) -> str:
    """Occurrences of `keyword` added (a short sentence) or removed (the last ones).

    >>> repair_keyword_frequency("AI helps. AI learns. AI grows.", "ai", less_than=2)
    'AI helps. Learns. Grows.'
    """
    check = partial(check_keyword_frequency, keyword=keyword, **bounds)
    return verified(text, check, partial(_frequency, keyword=keyword, bounds=bounds))
