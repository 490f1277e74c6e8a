"""Repairs of a text's ends and wrapping: an end or start phrase, the request repeated
first, a postscript, a title, double quotes and JSON. The contract is `_repairs`': a text
the check accepts, or the text unchanged."""

from __future__ import annotations

import ast
import json
import re
from functools import partial

from ._format import (
    check_ends_with,
    check_postscript,
    check_quoted,
    check_repeats_request,
    check_starts_with,
    check_title,
)
from ._json import check_json
from ._repairs import append_line, inside_quotes, verified, wrap_in_quotes
from ._text import split_sentences, split_words

# ---------------------------------------------------------------- start and end


_POSTSCRIPT_LINE = re.compile(r"^[ \t>*_]*p\.\s?(?:p\.\s?)*s\b", re.IGNORECASE | re.MULTILINE)
_CLOSING = "\"'”’*_)]"


def _end_with(body: str, phrase: str) -> str:
    body = body.rstrip()
    core = phrase.rstrip(".!?;:" + _CLOSING).split()
    if not core:
        return f"{body}\n{phrase}" if body else phrase
    pattern = (
        r"\s+".join(re.escape(word) for word in core) + rf"(?!\w)[.!?;:{re.escape(_CLOSING)}]*"
    )
    matches = list(re.finditer(rf"(?<!\w){pattern}", body, re.IGNORECASE))
    if matches:
        last = matches[-1]
        head, tail = body[: last.start()], body[last.end() :]
        if len(split_words(tail)) <= 25:
            head = re.sub(r"[*_\"“‘]+$", "", head)
            if _POSTSCRIPT_LINE.search(tail):  # keep a postscript; the phrase goes after it
                return f"{(head.rstrip() + tail).strip()}\n{phrase}"
            return head + phrase
    return f"{body}\n{phrase}" if body else phrase


def repair_ends_with(text: str, phrase: str) -> str:
    """The text ending with `phrase` (`check_ends_with`).

    If the phrase (in any case, maybe without its final mark) is near the end, what follows
    it is cut; a postscript after it stays, with the phrase moved after it. Otherwise the
    phrase is appended on a line of its own. Wrapping double quotes stay outermost.

    >>> repair_ends_with("Done. is there anything else. Bye!", "Is there anything else?")
    'Done. Is there anything else?'
    >>> print(repair_ends_with("Done.", "Any other questions?"))
    Done.
    Any other questions?
    """
    check = partial(check_ends_with, phrase=phrase)
    edit = partial(_end_with, phrase=phrase.strip())
    return verified(text, check, partial(inside_quotes, edit=edit))


def _start_with(body: str, phrase: str) -> str:
    body = body.lstrip()
    core = phrase.rstrip(".!?;:,").split()
    marks = r"[.!?;:,]*" if phrase[-1] in ".!?;:," else ""
    pattern = r"^[*_\"“'‘]*" + r"\s+".join(re.escape(word) for word in core) + r"(?!\w)" + marks
    found = re.match(pattern, body, re.IGNORECASE) if core else None
    if found:
        return phrase + body[found.end() :]
    separator = "\n" if phrase[-1] in ".!?:" or body[:1] in ("#", "*", "-", "<", "") else " "
    return phrase + separator + body


def repair_starts_with(text: str, phrase: str) -> str:
    """The text starting with `phrase` (`check_starts_with`): fixed in place or prepended.

    >>> repair_starts_with("hello Ana, welcome.", "Hello Ana")
    'Hello Ana, welcome.'
    >>> repair_starts_with("I think so.", "My answer is")
    'My answer is I think so.'
    """
    check = partial(check_starts_with, phrase=phrase)
    edit = partial(_start_with, phrase=phrase.strip())
    return verified(text, check, partial(inside_quotes, edit=edit))


def _repeat_first(text: str, request: str) -> str:
    body = text.lstrip()
    words = re.findall(r"\w+", request)
    pattern = r"^\W*" + r"\W+".join(re.escape(word) for word in words) + r"[^\w\s]*"
    found = re.match(pattern, body, re.IGNORECASE) if words else None
    if found:  # repeated already, with other spacing, case or punctuation
        return request + body[found.end() :]
    return f"{request}\n\n{body}"


def repair_repeats_request(text: str, request: str) -> str:
    """The text starting with `request` word for word, then a blank line and the answer.

    >>> print(repair_repeats_request("Apple.", "Name a fruit."))
    Name a fruit.
    <BLANKLINE>
    Apple.
    """
    check = partial(check_repeats_request, request=request)
    return verified(text, check, partial(_repeat_first, request=request.strip()))


def repair_postscript(text: str, marker: str = "P.S.") -> str:
    """The text with a postscript line ``<marker> Thank you for reading.`` at its end.

    >>> repair_postscript("Hi. BYE.", marker="P.S.")
    'Hi. BYE.\\nP.S. Thank you for reading.'
    """
    line = f"{marker.strip()} Thank you for reading."
    return verified(
        text,
        partial(check_postscript, marker=marker),
        partial(inside_quotes, edit=partial(append_line, line=line)),
    )


# ---------------------------------------------------------------- title, quotes, JSON

_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+(?P<hash>.+?)[ \t#]*|\*\*(?P<bold>[^*\n]+?)\*\*:?"
    r"|(?i:title)[ \t]*:[ \t]*(?P<named>.+?))[ \t]*$"
)
_MARKER_LINE = re.compile(r"^\W*[^\W\d_]+[ \t]+\d+\W*$")


def _title_words(text: str, limit: int = 8) -> str:
    return " ".join(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text)[:limit])


def _with_title(body: str) -> str:
    lines = body.split("\n")
    for index in [index for index, line in enumerate(lines) if line.strip()][:3]:
        heading = _HEADING.match(lines[index])
        raw = heading and (heading.group("hash") or heading.group("bold") or heading.group("named"))
        if raw and _title_words(raw, 12):
            lines[index] = f"<<{_title_words(raw, 12)}>>"
            return "\n".join(lines)
    content = [line for line in lines if line.strip() and not _MARKER_LINE.match(line)]
    sentences = [s for line in content[:3] for s in split_sentences(line)]
    sentence = ([s for s in sentences if len(split_words(s)) >= 3] or sentences or [""])[0]
    clause = _title_words(re.split(r"[,;:(–—]| - ", sentence)[0], 8)
    name = clause if len(clause.split()) >= 3 else _title_words(sentence, 8)
    return f"<<{name}>>\n{body.lstrip()}" if name else body


def repair_title(text: str) -> str:
    """The text with a ``<<title>>`` (`check_title`).

    A markdown heading (``# Ode``, ``**Ode**``, ``Title: Ode``) among the first lines becomes
    the title; otherwise one is made from the first words of the text.

    >>> print(repair_title("# Ode to Joy\\nJoy!"))
    <<Ode to Joy>>
    Joy!
    >>> print(repair_title("The sea is calm tonight, the tide is full."))
    <<The sea is calm tonight>>
    The sea is calm tonight, the tide is full.
    """
    return verified(text, check_title, partial(inside_quotes, edit=_with_title))


_CURLY = "“”„‟"


def _quote(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return text
    if stripped[0] in _CURLY and stripped[-1] in _CURLY and len(stripped) > 1:
        return '"' + stripped[1:-1] + '"'
    if len(stripped) > 1 and stripped.count('"') % 2 == 1:  # complete the pair
        if stripped[0] == '"':
            return stripped + '"'
        if stripped[-1] == '"':
            return '"' + stripped
    return wrap_in_quotes(stripped)


def repair_quoted(text: str) -> str:
    """The text wrapped in double quotes (`check_quoted`); a half-open pair is completed.

    A quote goes on a line of its own next to a bullet, heading or section marker line
    (`wrap_in_quotes`), so the structure survives the wrapping.

    >>> repair_quoted(' Hello there. ')
    '"Hello there."'
    >>> repair_quoted('"Hello there.')
    '"Hello there."'
    """
    return verified(text, check_quoted, _quote)


_OUTER_FENCE = re.compile(r"^```[\w-]*[ \t]*\n?(?P<body>.*?)\n?(?:```)?$", re.DOTALL)
_INNER_FENCE = re.compile(r"```[\w-]*[ \t]*\n(.*?)```", re.DOTALL)


def _loads(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _as_json(text: str) -> str:
    stripped = text.strip()
    fenced = _OUTER_FENCE.match(stripped)
    body = fenced.group("body").strip() if fenced else stripped
    candidates = [body, *(inner.strip() for inner in _INNER_FENCE.findall(stripped))]
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if starts:  # JSON inside prose: "Here it is: {...} Hope this helps."
        end = max(body.rfind("}"), body.rfind("]"))
        candidates.append(body[min(starts) : end + 1])
    for candidate in candidates:
        if candidate and _loads(candidate):
            return candidate
        fixed = re.sub(r",\s*([}\]])", r"\1", candidate)  # trailing commas
        if fixed and _loads(fixed):
            return fixed
        try:  # a Python dict or list: single quotes, True, None
            value = ast.literal_eval(candidate)
            if isinstance(value, dict | list):
                return json.dumps(value, ensure_ascii=False, indent=2)
        except Exception:  # literal_eval raises many types (and on deep nesting)
            continue
    return json.dumps({"response": body}, ensure_ascii=False)


def repair_json(text: str) -> str:
    """The text as JSON (`check_json`): code fences and prose around JSON removed, small
    slips fixed (trailing commas, Python literals); otherwise ``{"response": text}``.

    >>> repair_json('Sure! ```json\\n{"a": 1,}\\n```')
    '{"a": 1}'
    >>> repair_json("Just words.")
    '{"response": "Just words."}'
    """
    return verified(text, check_json, _as_json)
