"""Format validators: start and end phrases, quotes, placeholders, postscript, highlights,
title, and IFEval's combinations (two responses, repeating the request first)."""

from __future__ import annotations

import re
from typing import Unpack

from ._bounds import BoundArgs, Check, Noun, bounded, make_bounds
from ._errors import UsageError
from ._text import find_highlights, find_placeholders, find_titles

_PLACEHOLDERS = Noun("placeholder", "placeholders")
_HIGHLIGHTS = Noun("highlighted section", "highlighted sections")


def _phrase(phrase: str, what: str) -> str:
    if not isinstance(phrase, str) or not phrase.strip():
        raise UsageError(f"{what} must be a non-empty string, got {phrase!r}.")
    return phrase.strip()


_CASE_NOTE = " (only the capitalisation differs)"


def _unwrap_quotes(text: str) -> str:
    """The text inside one pair of wrapping double quotes, so a quoted answer still counts."""
    if len(text) > 1 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].strip()
    return text


def check_starts_with(text: str, phrase: str) -> Check:
    """The text starts with `phrase` exactly, ignoring leading whitespace.

    An answer wrapped in double quotes (another common requirement) may start inside them.

    >>> check_starts_with("  Dear Ana, hello.", "Dear Ana")
    (True, "ok: starts with 'Dear Ana'")
    >>> print(check_starts_with("Hi Ana, hello.", "Dear Ana")[1])
    starts with 'Hi Ana, h' instead of 'Dear Ana' — begin with exactly 'Dear Ana'
    """
    wanted = _phrase(phrase, "The start phrase")
    stripped = text.strip()
    if stripped.startswith(wanted) or _unwrap_quotes(stripped).startswith(wanted):
        return True, f"ok: starts with '{wanted}'"
    actual = stripped[: len(wanted) + 1].replace("\n", " ")
    inner = _unwrap_quotes(stripped).lower()
    case_note = _CASE_NOTE if inner.startswith(wanted.lower()) else ""
    return False, (
        f"starts with '{actual}' instead of '{wanted}'{case_note} — begin with exactly '{wanted}'"
    )


def check_ends_with(text: str, phrase: str) -> Check:
    """The text ends with `phrase` exactly, ignoring trailing whitespace; nothing may follow.

    An answer wrapped in double quotes (another common requirement) may end inside them.

    >>> check_ends_with("Hope this helps. Is there anything else?\\n", "Is there anything else?")
    (True, "ok: ends with 'Is there anything else?'")
    >>> print(check_ends_with("Is there anything else? Bye.", "Is there anything else?")[1])
    ends with 'ere anything else? Bye.' instead of 'Is there anything else?' — make 'Is there anything else?' the very last words, with nothing after it
    """  # noqa: E501
    wanted = _phrase(phrase, "The end phrase")
    stripped = text.strip()
    if stripped.endswith(wanted) or _unwrap_quotes(stripped).endswith(wanted):
        return True, f"ok: ends with '{wanted}'"
    actual = stripped[-len(wanted) :].replace("\n", " ") if stripped else ""
    inner = _unwrap_quotes(stripped).lower()
    case_note = _CASE_NOTE if inner.endswith(wanted.lower()) else ""
    return False, (
        f"ends with '{actual}' instead of '{wanted}'{case_note} — make '{wanted}' the very last"
        " words, with nothing after it"
    )


def check_quoted(text: str) -> Check:
    """The whole text (ignoring outer whitespace) is wrapped in straight double quotes.

    >>> check_quoted('"Hello there."')
    (True, 'ok: wrapped in double quotes')
    >>> print(check_quoted('Hello there."')[1])
    starts with 'H' — put a double quote " at the very start and the very end
    """
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == '"' and stripped[-1] == '"':
        return True, "ok: wrapped in double quotes"
    if len(stripped) < 2:
        what = "empty" if not stripped else repr(stripped)
        return False, f'is {what} — write the answer wrapped in double quotes "..."'
    problems = []
    if stripped[0] != '"':
        problems.append(f"starts with '{stripped[0]}'")
    if stripped[-1] != '"':
        problems.append(f"ends with '{stripped[-1]}'")
    if "“" in stripped[:1] + stripped[-1:] or "”" in stripped[:1] + stripped[-1:]:
        problems.append("uses curly quotes instead of straight ones")
    return False, (
        f'{" and ".join(problems)} — put a double quote " at the very start and the very end'
    )


def check_placeholders(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of square-bracket placeholders like ``[address]`` is within bounds.

    >>> print(check_placeholders("Dear [name],", at_least=2)[1])
    has 1 placeholder; at least 2 required — add 1 placeholder (write them like [address])
    """
    limits = make_bounds("number of placeholders", bounds)
    ok, reason = bounded(len(find_placeholders(text)), _PLACEHOLDERS, limits)
    return (ok, reason) if ok else (ok, f"{reason} (write them like [address])")


def _marker_pattern(marker: str) -> re.Pattern[str]:
    # "P.S." also matches "P. S." and "p.s."; the marker must start a line (after markup).
    body = "".join(re.escape(ch) + (r"\s?" if ch == "." else "") for ch in marker)
    return re.compile(rf"^[ \t>*_]*{body}", re.IGNORECASE | re.MULTILINE)


def check_postscript(text: str, marker: str = "P.S.") -> Check:
    """A line starts with the postscript `marker` (``P.S.``, ``P.P.S``...), case-insensitively.

    >>> check_postscript("Thanks!\\n\\nP.S. Bring snacks.")
    (True, "ok: has a postscript starting with 'P.S.'")
    >>> print(check_postscript("Thanks! Bring snacks.", "P.P.S")[1])
    has no line starting with 'P.P.S' — end with a postscript on its own line, like 'P.P.S ...'
    """
    wanted = _phrase(marker, "The postscript marker")
    if _marker_pattern(wanted).search(text):
        return True, f"ok: has a postscript starting with '{wanted}'"
    return False, (
        f"has no line starting with '{wanted}' — end with a postscript on its own line,"
        f" like '{wanted} ...'"
    )


def check_highlights(text: str, **bounds: Unpack[BoundArgs]) -> Check:
    """The number of markdown highlights ``*text*`` or ``**text**`` is within bounds (IFEval).

    >>> print(check_highlights("A *key* idea.", at_least=2)[1])
    has 1 highlighted section; at least 2 required — add 1 highlighted section (mark them like *this*)
    """  # noqa: E501
    limits = make_bounds("number of highlighted sections", bounds)
    ok, reason = bounded(len(find_highlights(text)), _HIGHLIGHTS, limits)
    return (ok, reason) if ok else (ok, f"{reason} (mark them like *this*)")


def check_title(text: str) -> Check:
    """The text has a title wrapped in double angular brackets, ``<<title>>``.

    >>> check_title("<<Ode to Joy>>\\nJoy!")
    (True, "ok: title '<<Ode to Joy>>'")
    >>> print(check_title("Ode to Joy\\nJoy!")[1])
    has no title in double angular brackets — add one on its own line, like <<Ode to Joy>>
    """
    titles = find_titles(text)
    if titles:
        return True, f"ok: title '<<{titles[0]}>>'"
    return False, (
        "has no title in double angular brackets — add one on its own line, like <<Ode to Joy>>"
    )


_SEPARATOR = "******"


def check_two_responses(text: str) -> Check:
    """Two different, non-empty responses separated by ``******`` (IFEval's combination).

    >>> check_two_responses("First idea.\\n******\\nSecond idea.")
    (True, 'ok: two different responses')
    >>> print(check_two_responses("Only one.")[1])
    has 1 response — give exactly two different responses separated by a line ******
    """
    parts = text.split(_SEPARATOR)
    if any(not part.strip() for part in parts[1:-1]):
        return False, "has an empty response between two ****** separators — remove one of them"
    responses = [part.strip() for part in parts if part.strip()]
    if len(responses) != 2:
        noun = "response" if len(responses) == 1 else "responses"
        return False, (
            f"has {len(responses)} {noun} — give exactly two different responses separated"
            " by a line ******"
        )
    if responses[0] == responses[1]:
        return False, "the two responses are identical — make the second one different"
    return True, "ok: two different responses"


def check_repeats_request(text: str, request: str) -> Check:
    """The text starts by repeating `request` word for word (case-insensitive, as IFEval).

    >>> check_repeats_request("Name a fruit. Apple.", "Name a fruit.")
    (True, 'ok: starts by repeating the request')
    >>> print(check_repeats_request("Apple.", "Name a fruit.")[1])
    does not start with the request — first repeat it word for word: 'Name a fruit.'
    """
    wanted = _phrase(request, "The request")
    if text.strip().lower().startswith(wanted.lower()):
        return True, "ok: starts by repeating the request"
    return False, f"does not start with the request — first repeat it word for word: '{wanted}'"
