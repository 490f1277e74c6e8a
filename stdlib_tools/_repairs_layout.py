"""Repairs of counted structure: length limits, bullet points, highlights, placeholders,
sections, paragraphs and two responses. The contract is `_repairs`': a text the check
accepts, or the text unchanged."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import Unpack

from ._bounds import BoundArgs, Bounds, Check, make_bounds
from ._format import check_highlights, check_placeholders, check_two_responses
from ._lengths import (
    check_bullets,
    check_characters,
    check_divider_paragraphs,
    check_paragraphs,
    check_sections,
    check_sentences,
    check_words,
)
from ._repairs import append_sentence, inside_quotes, verified
from ._text import (
    _PLACEHOLDER,
    find_bullets,
    find_highlights,
    find_placeholders,
    split_paragraphs,
    split_sections,
    split_sentences,
    split_words,
)

Split = Callable[[str], list[str] | None]


def _target(count: int, limits: Bounds) -> int | None:
    """The count to repair towards: the nearest one within `limits`; None if `count` is."""
    highest = limits.highest()
    if count < limits.lowest():
        return limits.lowest()
    if highest is not None and count > highest:
        return highest
    return None


# ---------------------------------------------------------------- regrouping parts


def _halves(parts: list[str], joiner: str) -> list[str] | None:
    """`parts` joined into two pieces of about equal length; None for a single part."""
    if len(parts) < 2:
        return None
    total = sum(len(part) for part in parts)
    running, cut = 0, 1
    for index, part in enumerate(parts[:-1], start=1):
        running += len(part)
        if running >= total / 2:
            cut = index
            break
    return [joiner.join(parts[:cut]), joiner.join(parts[cut:])]


def _split_block(text: str) -> list[str] | None:
    """A paragraph in two: by its lines if it has several, else by its sentences."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        return _halves(lines, "\n")
    return _halves(split_sentences(text), " ")


def _split_item(text: str) -> list[str] | None:
    """A list item in two: by sentences, else at the clause break nearest its middle."""
    by_sentences = _halves(split_sentences(text), " ")
    if by_sentences:
        return by_sentences
    breaks = list(re.finditer(r"[,;:]\s+|\s+(?:and|but|or|then|while)\s+|\s[–—-]\s", text))
    if breaks:
        middle = min(breaks, key=lambda m: abs(m.start() - len(text) / 2))
        first, second = text[: middle.start()].strip(), text[middle.end() :].strip()
        if split_words(first) and split_words(second):
            return [first, second]
    words = text.split()
    return _halves(words, " ")


def _regroup(parts: list[str], n: int, joiner: str, split: Split) -> list[str] | None:
    """`parts` as exactly `n` pieces, in order: neighbours merged, or the longest split."""
    parts = [part.strip() for part in parts if part.strip()]
    if n < 1 or not parts:
        return None
    while len(parts) < n:
        for index in sorted(range(len(parts)), key=lambda i: -len(parts[i])):
            pieces = split(parts[index])
            if pieces:
                parts[index : index + 1] = pieces
                break
        else:
            return None
    cumulative = [0]
    for part in parts:
        cumulative.append(cumulative[-1] + len(part))
    cuts = [0]
    for k in range(1, n):  # cut where the running length is nearest k/n of the total
        ends = range(cuts[-1] + 1, len(parts) - (n - k) + 1)
        cuts.append(min(ends, key=lambda end: abs(cumulative[end] - cumulative[-1] * k / n)))
    cuts.append(len(parts))
    return [joiner.join(parts[a:b]) for a, b in pairwise(cuts)]


_DIVIDER_LINE = re.compile(r"^[ \t]*\*\*\*[ \t]*$", re.M)
_TITLE_LINE = re.compile(r"^[ \t]*(?:<<[^\n]*>>|#{1,6}[ \t].*)[ \t]*$")


def _blocks(text: str) -> list[str]:
    """Blank-line paragraphs (``***`` lines count as blank); a title joins the next one."""
    parts = split_paragraphs(_DIVIDER_LINE.sub("", text))
    if len(parts) > 1 and _TITLE_LINE.fullmatch(parts[0]):
        parts[0:2] = [f"{parts[0]}\n{parts[1]}"]
    return parts


# ---------------------------------------------------------------- length limits


def _sentence_ends(text: str) -> list[int]:
    ends, position = [], 0
    for sentence in split_sentences(text):
        at = text.find(sentence, position)
        if at < 0:
            break
        position = at + len(sentence)
        ends.append(position)
    return ends


def _cut(text: str, end: int, close: bool) -> str:
    prefix = text[:end].rstrip()
    if close:
        prefix = prefix.rstrip(",;:-–— \t\n")
        if prefix and prefix[-1] not in ".!?…":
            prefix += "."
    return prefix


def _trimmed(
    text: str, check: Callable[[str], Check], count: Callable[[str], int], highest: int
) -> str:
    """The longest start of `text` that `check` accepts: at a sentence end, else a word end."""
    stripped = text.strip()
    quoted = len(stripped) > 1 and stripped[0] == stripped[-1] == '"'
    body = stripped[1:-1] if quoted else text

    def whole(end: int, close: bool) -> str:
        prefix = _cut(body, end, close)
        return f'"{prefix}"' if quoted else prefix

    boundaries = (
        (_sentence_ends(body), False),
        ([m.end() for m in re.finditer(r"\S+", body)], True),
        ([m.end() for m in re.finditer(r"\w+", body)], True),
    )
    for ends, close in boundaries:
        low, high = 0, len(ends)  # the number of ends that fit, found by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if count(whole(ends[middle - 1], close)) <= highest:
                low = middle
            else:
                high = middle - 1
        if low and check(candidate := whole(ends[low - 1], close))[0]:
            return candidate
    return text


def _limit(
    text: str, what: str, check: Callable[[str], Check], count: Callable[[str], int],
    bounds: BoundArgs,
) -> str:  # fmt: skip
    highest = make_bounds(what, bounds).highest()
    if highest is None or count(text) <= highest:
        return text  # a lower bound: content cannot be invented
    return _trimmed(text, check, count, highest)


def repair_words(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """The text cut to `check_words`' upper bound: at a sentence end, else after a word.

    >>> repair_words("One two three. Four five six.", less_than=5)
    'One two three.'
    """
    check = partial(check_words, **bounds)

    def count(text: str) -> int:
        return len(split_words(text))

    return verified(text, check, lambda t: _limit(t, "number of words", check, count, bounds))


def repair_sentences(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """The text cut to `check_sentences`' upper bound, after a whole sentence.

    >>> repair_sentences("One. Two! Three? Four.", at_most=2)
    'One. Two!'
    """
    check = partial(check_sentences, **bounds)

    def count(text: str) -> int:
        return len(split_sentences(text))

    return verified(text, check, lambda t: _limit(t, "number of sentences", check, count, bounds))


def repair_characters(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """The text cut to `check_characters`' upper bound: at a sentence end, else a word end.

    >>> repair_characters("Short one. A longer second sentence.", at_most=12)
    'Short one.'
    """
    check = partial(check_characters, **bounds)

    def count(text: str) -> int:
        return len(text.strip())

    return verified(text, check, lambda t: _limit(t, "number of characters", check, count, bounds))


# ---------------------------------------------------------------- bullet points

_BULLET = re.compile(r"^([ \t]*[*-][ \t]+)(\S.*)$")
_NOT_BULLET = re.compile(r"^[\s*_-]*$")
_NUMBERED = re.compile(r"^[ \t]*(?:\d{1,3}|[A-Za-z])[.)][ \t]+(\S.*)$")
# Rules IFEval counts as bullet points ("---", "* * *"); "***" and "___" are left alone.
_RULE = re.compile(r"^[ \t]*(?:(?:-[ \t]*){3,}|\*[ \t]+(?:\*[ \t]*){2,})$")
_POSTSCRIPT = re.compile(r"^[ \t>*_]*p\.\s?(?:p\.\s?)*s\b", re.IGNORECASE)


def _bullet(line: str) -> re.Match[str] | None:
    found = _BULLET.match(line)
    return found if found and not _NOT_BULLET.match(line) else None


def _join_items(first: str, second: str) -> str:
    first = first.rstrip()
    return f"{first}{' ' if first[-1:] in '.!?;:' else '; '}{second.strip()}"


def _count(lines: list[str]) -> int:
    return sum(1 for line in lines if _bullet(line))


def _bulleted(text: str, n: int) -> str:
    lines = ["" if _RULE.match(line) else line for line in text.split("\n")]
    if _count(lines) < n:  # numbered items are list items too
        lines = [
            "* " + numbered.group(1) if (numbered := _NUMBERED.match(line)) else line
            for line in lines
        ]
    if not _count(lines):
        return _bullets_from_prose(lines, n)
    lines = _merged(lines, n)
    while _count(lines) < n:
        bullets = [index for index, line in enumerate(lines) if _bullet(line)]
        index = max(bullets, key=lambda i: len(lines[i]))
        found = _bullet(lines[index])
        pieces = _split_item(found.group(2)) if found else None
        if not found or not pieces:
            return text
        lines[index : index + 1] = [found.group(1) + piece for piece in pieces]
    return "\n".join(lines)


def _merged(lines: list[str], n: int) -> list[str]:
    """At most `n` bullets: sub-points go into their parents, then extras into the n-th."""
    depth = {
        index: len(found.group(1).expandtabs())
        for index, line in enumerate(lines)
        if (found := _bullet(line))
    }
    bullets = list(depth)
    removed: set[int] = set()

    def merge(into: int, index: int) -> None:
        lines[into] = _join_items(lines[into], _content(lines[index]))
        removed.add(index)
        bullets.remove(index)

    for index in reversed(list(bullets)):
        parents = [i for i in bullets if i < index and depth[i] < depth[index]]
        if len(bullets) > n and parents:
            merge(parents[-1], index)
    for index in list(bullets[n:]):
        if n:
            merge(bullets[n - 1], index)
        else:
            lines[index] = _content(lines[index])
    return [line for index, line in enumerate(lines) if index not in removed]


def _content(line: str) -> str:
    found = _bullet(line)
    return found.group(2) if found else line


def _bullets_from_prose(lines: list[str], n: int) -> str:
    """Prose as `n` bullet points; a title, an intro line ending in ":" and a postscript stay."""
    start = 0
    while start < len(lines) and (not lines[start].strip() or _TITLE_LINE.match(lines[start])):
        start += 1
    if start < len(lines) - 1 and lines[start].rstrip().endswith(":"):
        start += 1
    end = next((i for i in range(start, len(lines)) if _POSTSCRIPT.match(lines[i])), len(lines))
    body = [line.strip() for line in lines[start:end] if re.search(r"\w", line)]
    units = body if len(body) >= n else [s for line in body for s in split_sentences(line)]
    items = _regroup(units or body, n, " ", _split_item)
    if items is None or not body:
        return "\n".join(lines)
    return "\n".join([*lines[:start], *(f"* {item}" for item in items), *lines[end:]]).strip()


def repair_bullets(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """The text with as many ``* `` bullet points as `check_bullets` asks.

    Numbered items become bullets; extra bullets are merged into the last one kept (sub-
    points into their parent first); too few are split (by sentences, else at a clause);
    prose without bullets becomes a list, its title, intro line and postscript kept out.

    >>> print(repair_bullets("Tips:\\n1. Drink water. Sleep well.\\n2. Walk daily.", exactly=3))
    Tips:
    * Drink water.
    * Sleep well.
    * Walk daily.
    """
    check = partial(check_bullets, **bounds)

    def build(body: str) -> str:
        n = _target(len(find_bullets(body)), make_bounds("number of bullet points", bounds))
        return body if n is None else _bulleted(body, n)

    return verified(text, check, partial(inside_quotes, edit=build))


# ---------------------------------------------------------------- highlights, placeholders

_MARKER_LINE = re.compile(r"^\W*[^\W\d_]+[ \t]+\d+\W*$")
_LEAD = re.compile(r"[ \t]*(?:[*+-][ \t]+|\d+[.)][ \t]+|>[ \t]*)?")


def _highlighted(text: str, need: int) -> str:
    # start, end, and whether "*" would pair with a star before it or read as a bullet
    sentences: list[tuple[int, int, bool]] = []
    words: list[tuple[int, int, bool]] = []
    offset = 0
    for line in text.split("\n"):
        lead = _LEAD.match(line).end()  # type: ignore[union-attr]  # it matches ""
        rest = line[lead:]
        plain = "*" not in rest and not _TITLE_LINE.match(line) and not _MARKER_LINE.match(line)
        if plain and rest.strip():
            position = lead
            for sentence in split_sentences(rest):
                at = line.find(sentence, position)
                if at >= 0:
                    double = "*" in line[:at] or not line[:at].strip()
                    sentences.append((offset + at, offset + at + len(sentence), double))
                    position = at + len(sentence)
            words += [
                (
                    offset + m.start(),
                    offset + m.end(),
                    "*" in line[: m.start()] or not line[: m.start()].strip(),
                )
                for m in re.finditer(r"[^\W\d_]{4,}", line)
                if m.start() >= lead
            ]
        offset += len(line) + 1
    spans = sentences if len(sentences) >= need else words
    if len(spans) < need:
        return text
    step = len(spans) / need
    for start, end, double in sorted(
        (spans[int((i + 0.5) * step)] for i in range(need)), reverse=True
    ):
        star = "**" if double else "*"  # IFEval reads "*x" at a line start as a bullet
        text = f"{text[:start]}{star}{text[start:end]}{star}{text[end:]}"
    return text


def repair_highlights(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """Sentences (else words) wrapped in ``*...*`` until `check_highlights`' lower bound.

    >>> repair_highlights("Plan ahead. Save often. Rest well.", at_least=2)
    '**Plan ahead.** Save often. *Rest well.*'
    """
    check = partial(check_highlights, **bounds)

    def build(body: str) -> str:
        need = make_bounds("number of highlights", bounds).lowest() - len(find_highlights(body))
        return _highlighted(body, need) if need > 0 else body

    return verified(text, check, build)


_NAMES = ("name", "address", "date", "phone number", "email", "city", "company", "time",
          "amount", "website", "signature")  # fmt: skip


def _placeholders(text: str, bounds: BoundArgs) -> str:
    limits = make_bounds("number of placeholders", bounds)
    count = len(find_placeholders(text))
    n = _target(count, limits)
    if n is None:
        return text
    if n < count:  # unwrap the last extra ones: "[name]" -> "name"
        extra = list(_PLACEHOLDER.finditer(text))[n:]
        for found in reversed(extra):
            text = text[: found.start()] + found.group()[1:-1] + text[found.end() :]
        return text
    lowered = text.lower()
    names = [name for name in _NAMES if f"[{name}]" not in lowered]
    names += [f"detail {i}" for i in range(1, n + 1)]
    line = "Fill in: " + " ".join(f"[{name}]" for name in names[: n - count]) + "."
    return inside_quotes(text, lambda body: append_sentence(body, line))


def repair_placeholders(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """Square-bracket placeholders added (a short line) or unwrapped to meet the bounds.

    >>> repair_placeholders("Dear [name], thanks.", at_least=3)
    'Dear [name], thanks. Fill in: [address] [date].'
    """
    check = partial(check_placeholders, **bounds)
    return verified(text, check, partial(_placeholders, bounds=bounds))


# ---------------------------------------------------------------- sections and paragraphs


def _sectioned(text: str, marker: str, bounds: BoundArgs) -> str:
    n = _target(len(split_sections(text, marker)), make_bounds("number of sections", bounds))
    if not n:
        return text
    word = re.escape(marker.strip())
    numbered = re.compile(rf"^[ \t#*_>]*{word}[ \t]*\d+[ \t]*[:.)\-–—]*[ \t*_]*", re.I | re.M)
    parts = _blocks(numbered.sub("", text))
    head = []
    if parts and _TITLE_LINE.fullmatch(parts[0].split("\n")[0]):
        title, _, rest = parts[0].partition("\n")
        head, parts[0] = [title], rest
    chunks = _regroup(parts, n, "\n\n", _split_block)
    if chunks is None:
        return text
    sections = [f"{marker.strip()} {i}\n{chunk}" for i, chunk in enumerate(chunks, start=1)]
    return "\n\n".join([*head, *sections])


def repair_sections(text: str, *, marker: str = "SECTION", **bounds: Unpack[BoundArgs]) -> str:
    """The text in as many sections headed ``<marker> 1``, ``<marker> 2``... as asked.

    Paragraphs are grouped (or split by sentences) into the sections; old marker lines go.

    >>> print(repair_sections("Intro.\\n\\nBody. More body.", marker="Part", exactly=3))
    Part 1
    Intro.
    <BLANKLINE>
    Part 2
    Body.
    <BLANKLINE>
    Part 3
    More body.
    """
    check = partial(check_sections, marker=marker, **bounds)
    edit = partial(_sectioned, marker=marker, bounds=bounds)
    return verified(text, check, partial(inside_quotes, edit=edit))


def _paragraphed(text: str, divider: bool, bounds: BoundArgs) -> str:
    parts = _blocks(text)
    n = _target(len(parts), make_bounds("number of paragraphs", bounds))
    n = len(parts) if n is None else n  # the count is right, the separators are not
    chunks = _regroup(parts, n, "\n\n" if divider else "\n", _split_block)
    if chunks is None:
        return text
    return ("\n\n***\n\n" if divider else "\n\n").join(chunks)


def repair_paragraphs(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """Paragraphs (separated by blank lines) merged or split by sentences to meet the bounds.

    >>> repair_paragraphs("One. Two.\\n\\nThree.", exactly=3)
    'One.\\n\\nTwo.\\n\\nThree.'
    """
    check = partial(check_paragraphs, **bounds)
    edit = partial(_paragraphed, divider=False, bounds=bounds)
    return verified(text, check, partial(inside_quotes, edit=edit))


def repair_divider_paragraphs(text: str, **bounds: Unpack[BoundArgs]) -> str:
    """Paragraphs separated by ``***`` lines, merged or split by sentences to meet the bounds.

    >>> print(repair_divider_paragraphs("One.\\n\\nTwo.", exactly=2))
    One.
    <BLANKLINE>
    ***
    <BLANKLINE>
    Two.
    """
    check = partial(check_divider_paragraphs, **bounds)
    edit = partial(_paragraphed, divider=True, bounds=bounds)
    return verified(text, check, partial(inside_quotes, edit=edit))


def _two(text: str) -> str:
    halves = _regroup(_blocks(text.replace("******", "\n\n")), 2, "\n\n", _split_block)
    return "\n\n******\n\n".join(halves) if halves else text


def repair_two_responses(text: str) -> str:
    """The text as two responses joined by ``******``, split at a paragraph or sentence
    near its middle (`check_two_responses`).

    >>> print(repair_two_responses("Try tea. Or try coffee."))
    Try tea.
    <BLANKLINE>
    ******
    <BLANKLINE>
    Or try coffee.
    """
    return verified(text, check_two_responses, partial(inside_quotes, edit=_two))
