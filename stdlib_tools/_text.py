"""Splitting a text into the units the validators count.

Conventions follow Google's IFEval (instruction_following_eval) where it has them, without
its nltk and langdetect dependencies:

* words: runs of ``\\w`` characters, like IFEval's ``count_words`` (``don't`` is two words);
* sentences: see `split_sentences`;
* paragraphs: separated by blank lines (`split_paragraphs`), or by a line holding only the
  markdown divider ``***`` as IFEval's ``paragraphs`` instruction asks
  (`split_divider_paragraphs`);
* sections: lines that start with a marker and a number, ``SECTION 1`` (`split_sections`);
* bullets: lines that start with ``* `` or ``- `` (`find_bullets`).
"""

from __future__ import annotations

import re

from ._errors import UsageError

_WORD = re.compile(r"\w+")


def split_words(text: str) -> list[str]:
    """The word tokens of `text`: runs of letters, digits and underscores (IFEval's count).

    >>> split_words("Don't panic: it's 4.5 km!")
    ['Don', 't', 'panic', 'it', 's', '4', '5', 'km']
    """
    return _WORD.findall(text)


# Abbreviations whose period never ends a sentence (titles, Latin shorthands).
_NEVER_END = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "rev",
        "hon",
        "gov",
        "sen",
        "rep",
        "pres",
        "e.g",
        "i.e",
        "cf",
        "viz",
        "approx",
        "ca",
    ]
)
# Periods that end an abbreviation only when a number follows: "No. 5", "Fig. 3".
_BEFORE_NUMBER = frozenset(
    ["no", "nos", "fig", "figs", "vol", "vols", "pp", "p", "ch", "sec", "art", "eq"]
)
# Ambiguous: a sentence ends here only when the next word starts with a capital letter.
_AMBIGUOUS = frozenset(
    ["etc", "inc", "ltd", "co", "corp", "al", "a.m", "p.m", "u.s", "u.k", "u.s.a"]
)
_DOTTED_ACRONYM = re.compile(r"^(?:[a-z]\.)+[a-z]$")

# A run of sentence-ending marks (plus closing quotes, brackets and markdown emphasis)
# followed by whitespace or the end; or a blank line.
_NEXT_CHAR = re.compile(r"\s*(\S)")
_BOUNDARY = re.compile(r"(?P<punct>[.!?]+[\"'”’)\]*_]*)(?=\s|$)|\n[ \t]*\n")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, by a small regex splitter (no nltk).

    A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets) followed
    by whitespace or the end of the text, and at a blank line. A period does not end a
    sentence after a title or Latin abbreviation (``Dr.``, ``e.g.``), after a single
    capital initial (``J. Smith``), or after ``No.``/``Fig.`` before a number; after
    ``etc.``, ``Inc.``, ``U.S.`` or ``...`` it ends one only when a capital letter follows.
    Decimals (``3.14``) never split, since no space follows their point. Pieces without a
    word character (a lone ``***``) are not sentences.

    >>> split_sentences("Dr. Smith paid $3.50 for it. Was it worth it? Yes!")
    ['Dr. Smith paid $3.50 for it.', 'Was it worth it?', 'Yes!']
    >>> split_sentences("We sell apples, pears, etc. and more. Fine.")
    ['We sell apples, pears, etc. and more.', 'Fine.']
    """
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group("punct") and not _ends_sentence(text, match):
            continue
        _append_if_words(sentences, text[start : match.end()])
        start = match.end()
    _append_if_words(sentences, text[start:])
    return sentences


def _append_if_words(sentences: list[str], piece: str) -> None:
    piece = piece.strip()
    if _WORD.search(piece):
        sentences.append(piece)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    punct = match.group("punct")
    next_char = _NEXT_CHAR.match(text, match.end())
    following = next_char.group(1) if next_char else ""
    capital_follows = not following or following.isupper() or not following.isalpha()
    if not punct.startswith("."):
        return True  # "!" and "?" always end a sentence
    if punct.startswith(".."):
        return capital_follows  # an ellipsis ends a sentence before a capital
    # Only the last token matters; looking at a bounded window keeps long texts linear.
    before = re.search(r"(\S+)$", text[max(0, match.start() - 64) : match.start()])
    if before is None:
        return True
    token = before.group(1).lstrip("(\"'“‘*_")
    lowered = token.lower()
    if lowered in _NEVER_END:
        return False
    if len(token) == 1 and token.isalpha() and token.isupper():
        return False  # an initial, as in "J. R. R. Tolkien"
    if lowered in _BEFORE_NUMBER and following.isdigit():
        return False
    if lowered in _AMBIGUOUS or _DOTTED_ACRONYM.match(lowered):
        return capital_follows
    return True


_BLANK_LINES = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by one or more blank lines, stripped; empty ones are dropped.

    >>> split_paragraphs("One.\\n\\n\\nTwo\\nstill two.\\n \\nThree.")
    ['One.', 'Two\\nstill two.', 'Three.']
    """
    return [part.strip() for part in _BLANK_LINES.split(text) if part.strip()]


_DIVIDER = re.compile(r"^[ \t]*\*\*\*[ \t]*$", re.M)


def split_divider_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by the markdown divider ``***`` on a line of its own (IFEval).

    Empty text before the first divider or after the last one is dropped; an empty
    paragraph *between* two dividers is kept as ``""`` so a check can report it.

    >>> split_divider_paragraphs("One.\\n***\\nTwo.\\n***\\n")
    ['One.', 'Two.']
    >>> split_divider_paragraphs("One.\\n***\\n***\\nTwo.")
    ['One.', '', 'Two.']
    """
    parts = [part.strip() for part in _DIVIDER.split(text)]
    while parts and not parts[0]:
        parts.pop(0)
    while parts and not parts[-1]:
        parts.pop()
    return parts


def split_sections(text: str, marker: str = "SECTION") -> list[str]:
    """Sections that start with a line ``<marker> <number>``, e.g. ``SECTION 1`` (IFEval).

    The marker is matched case-sensitively at the start of a line, optionally after
    markdown heading or emphasis marks (``## SECTION 2``). Text before the first marker is
    not a section. Each section runs to the next marker and includes its marker line.

    >>> split_sections("Intro\\nSECTION 1\\nfoo\\n## SECTION 2: bar\\nbaz")
    ['SECTION 1\\nfoo', '## SECTION 2: bar\\nbaz']
    """
    if not marker.strip() or any(ch.isspace() for ch in marker.strip()):
        raise UsageError(
            f"The section marker {marker!r} must be one word, such as 'SECTION' or 'Section'."
        )
    pattern = re.compile(rf"^[ \t#*_>]*{re.escape(marker.strip())}[ \t]+\d+\b", re.M)
    starts = [match.start() for match in pattern.finditer(text)]
    if not starts:
        return []
    ends = [*starts[1:], len(text)]
    return [text[start:end].strip() for start, end in zip(starts, ends, strict=True)]


_BULLET = re.compile(r"^[ \t]*[*-][ \t]+\S.*$", re.M)
_RULE_LINE = re.compile(r"^[\s*_-]*$")


def find_bullets(text: str) -> list[str]:
    """Lines that are markdown bullet points: ``* item`` or ``- item``, stripped.

    The marker must be followed by a space and some text, so ``**bold**`` lines and
    horizontal rules (``* * *``, ``- - -``) are not bullets; numbered items are not either.

    >>> find_bullets("Intro\\n* one\\n  - two\\n**bold**\\n* * *\\n1. three")
    ['* one', '- two']
    """
    return [
        match.group(0).strip()
        for match in _BULLET.finditer(text)
        if not _RULE_LINE.match(match.group(0))
    ]


_PLACEHOLDER = re.compile(r"\[[^\[\]\n]*[^\s\[\]][^\[\]\n]*\](?!\()")


def find_placeholders(text: str) -> list[str]:
    """Square-bracket placeholders such as ``[address]``: non-empty, on one line.

    Markdown links (``[text](url)``) are not placeholders.

    >>> find_placeholders("Dear [name], see [the docs](http://x) at [ address ] []")
    ['[name]', '[ address ]']
    """
    return _PLACEHOLDER.findall(text)


_SINGLE_HIGHLIGHT = re.compile(r"\*[^\n*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n*]*\*\*")


def find_highlights(text: str) -> list[str]:
    """Markdown highlights, counted as IFEval does: ``*text*`` and ``**text**``, non-empty.

    >>> find_highlights("A *key* point and a **bold** one, but not ** or * *.")
    ['*key*', '**bold**']
    """
    singles = [h for h in _SINGLE_HIGHLIGHT.findall(text) if h.strip("*").strip()]
    doubles = [h for h in _DOUBLE_HIGHLIGHT.findall(text) if h[2:-2].strip()]
    return singles + doubles


_CAPS_TOKEN = re.compile(r"\w+(?:[-']\w+)*")


def find_capital_words(text: str) -> list[str]:
    """Words written in capital letters only (hyphenated words count once), as IFEval.

    Like IFEval, one-letter words such as ``I`` and ``A`` count.

    >>> find_capital_words("NASA and the U.S. sent a STATE-OF-THE-ART probe; I agree.")
    ['NASA', 'U', 'S', 'STATE-OF-THE-ART', 'I']
    """
    return [word for word in _CAPS_TOKEN.findall(text) if word.isupper()]


_TITLE = re.compile(r"<<([^\n]+?)>>")


def find_titles(text: str) -> list[str]:
    """Titles wrapped in double angular brackets, ``<<title>>``, without the brackets.

    >>> find_titles("<<Ode to Joy>>\\nText with << >> in it.")
    ['Ode to Joy']
    """
    return [title.strip() for title in _TITLE.findall(text) if title.strip()]
