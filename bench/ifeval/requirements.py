"""IFEval instructions as codeplan Requirements, checked by codeplan's own stdlib validators.

Each instruction of a prompt (by position: a prompt may repeat an id) becomes one
`codeplan.Requirement` with a plain-English `description` and, where `stdlib_tools` has a
validator for it, a `check`. The official verifiers are never used here: they only score.
Instructions no stdlib validator covers (the response's language, the constrained
"My answer is yes." answers) get a description only, which codeplan's judge model grades.

>>> from bench.ifeval.data import load_prompts
>>> prompt = next(p for p in load_prompts() if p.instruction_id_list == ("punctuation:no_comma",))
>>> [r.description for r in requirements_for(prompt)]
['Do not use any commas in the response.']
>>> requirements_for(prompt)[0].check("no commas, sorry")[0]
False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import codeplan
import stdlib_tools as st
from bench.ifeval.data import Prompt

CheckFn = Callable[[str], tuple[bool, str]]
Built = tuple[str, CheckFn | None]  # (description, check or None for a judged requirement)

_LANGUAGES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "ru": "Russian", "ja": "Japanese", "ko": "Korean", "zh": "Chinese",
    "ar": "Arabic", "hi": "Hindi", "bn": "Bengali", "ur": "Urdu", "fa": "Persian",
    "th": "Thai", "vi": "Vietnamese", "sw": "Swahili", "te": "Telugu", "ta": "Tamil",
    "kn": "Kannada", "mr": "Marathi", "gu": "Gujarati", "pa": "Punjabi", "ml": "Malayalam",
    "ne": "Nepali", "fi": "Finnish", "tr": "Turkish", "pl": "Polish", "nl": "Dutch",
    "uk": "Ukrainian", "id": "Indonesian", "he": "Hebrew", "el": "Greek", "bg": "Bulgarian",
}  # fmt: skip
_CONSTRAINED = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def _relation(relation: str, n: int) -> tuple[dict[str, int], str]:
    """IFEval's two relations as stdlib bounds, and in words."""
    if relation == "less than":
        return {"less_than": n}, f"fewer than {n}"
    if relation == "at least":
        return {"at_least": n}, f"at least {n}"
    raise ValueError(f"Unknown IFEval relation {relation!r}; expected 'less than' or 'at least'.")


def _words(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["relation"], k["num_words"])
    return f"The response must contain {said} words.", lambda t: st.check_words(t, **bounds)


def _sentences(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["relation"], k["num_sentences"])
    return (
        f"The response must contain {said} sentences.",
        lambda t: st.check_sentences(t, **bounds),
    )


def _keyword_frequency(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["relation"], k["frequency"])
    word = k["keyword"]
    return (
        f"The word {word!r} must appear {said} times.",
        lambda t: st.check_keyword_frequency(t, word, **bounds),
    )


def _letter_frequency(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["let_relation"], k["let_frequency"])
    letter = k["letter"]
    description = f"The letter {letter!r} must appear {said} times."
    if letter.isalpha():
        return description, lambda t: st.check_letter_frequency(t, letter, **bounds)

    def check(text: str) -> tuple[bool, str]:
        # IFEval also asks for symbols such as '#', which the stdlib validator refuses.
        count = text.count(letter)
        limit = next(iter(bounds.values()))
        passed = count < limit if "less_than" in bounds else count >= limit
        return passed, f"{letter!r} appears {count} times; {said} required"

    return description.replace("letter", "character", 1), check


def _capital_words(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["capital_relation"], k["capital_frequency"])
    return (
        f"Words in all capital letters must appear {said} times.",
        lambda t: st.check_capital_words(t, **bounds),
    )


def _keywords(k: dict[str, Any]) -> Built:
    words = list(k["keywords"])
    return (
        f"Include the keywords {', '.join(repr(w) for w in words)}.",
        lambda t: st.check_keywords(t, words),
    )


def _forbidden(k: dict[str, Any]) -> Built:
    words = list(k["forbidden_words"])
    return (
        f"Do not include the words {', '.join(repr(w) for w in words)}.",
        lambda t: st.check_forbidden_words(t, words),
    )


def _placeholders(k: dict[str, Any]) -> Built:
    n = k["num_placeholders"]
    return (
        f"Include at least {n} placeholders in square brackets, such as [address].",
        lambda t: st.check_placeholders(t, at_least=n),
    )


def _postscript(k: dict[str, Any]) -> Built:
    marker = k["postscript_marker"]
    return (
        f"End the response with a postscript starting with {marker}",
        lambda t: st.check_postscript(t, marker=marker),
    )


def _highlights(k: dict[str, Any]) -> Built:
    n = k["num_highlights"]
    return (
        f"Highlight at least {n} sections with markdown, i.e. *highlighted section*.",
        lambda t: st.check_highlights(t, at_least=n),
    )


def _sections(k: dict[str, Any]) -> Built:
    marker, n = k["section_spliter"], k["num_sections"]
    return (
        f"The response must have {n} sections, each starting with a line '{marker} X'.",
        lambda t: st.check_sections(t, marker=marker, at_least=n),
    )


def _bullets(k: dict[str, Any]) -> Built:
    n = k["num_bullets"]
    return (
        f"The response must contain exactly {n} markdown bullet points such as '* point'.",
        lambda t: st.check_bullets(t, exactly=n),
    )


def _divider_paragraphs(k: dict[str, Any]) -> Built:
    n = k["num_paragraphs"]
    return (
        f"The response must have exactly {n} paragraphs, separated by the markdown divider ***.",
        lambda t: st.check_divider_paragraphs(t, exactly=n),
    )


def _nth_paragraph(k: dict[str, Any]) -> Built:
    n, nth, first = k["num_paragraphs"], k["nth_paragraph"], k["first_word"]

    def check(text: str) -> tuple[bool, str]:
        passed, reason = st.check_paragraphs(text, exactly=n)
        if not passed:
            return passed, reason
        words = st.split_words(st.split_paragraphs(text)[nth - 1])
        start = words[0] if words else ""
        if start.lower() != first.lower():
            return False, f"paragraph {nth} starts with {start!r}; it must start with {first!r}"
        return True, f"ok: {n} paragraphs, paragraph {nth} starts with {first!r}"

    return (
        f"The response must have exactly {n} paragraphs separated by blank lines, and "
        f"paragraph {nth} must start with the word {first!r}.",
        check,
    )


def _end(k: dict[str, Any]) -> Built:
    phrase = k["end_phrase"]
    return (
        f"Finish the response with the exact phrase {phrase!r}; no other words may follow it.",
        lambda t: st.check_ends_with(t, phrase),
    )


def _repeat(k: dict[str, Any]) -> Built:
    request = k["prompt_to_repeat"]
    return (
        f"First repeat the request word for word without change: {request!r}; then answer it.",
        lambda t: st.check_repeats_request(t, request),
    )


def _language(k: dict[str, Any]) -> Built:
    code = k["language"]
    name = _LANGUAGES.get(code, f"the language with code {code!r}")
    return f"The entire response must be in {name}; no other language is allowed.", None


def _fixed(description: str, check: CheckFn | None) -> Callable[[dict[str, Any]], Built]:
    return lambda _: (description, check)


BUILDERS: dict[str, Callable[[dict[str, Any]], Built]] = {
    "change_case:capital_word_frequency": _capital_words,
    "change_case:english_capital": _fixed(
        "The entire response must be in English and in capital letters only.", st.check_uppercase
    ),
    "change_case:english_lowercase": _fixed(
        "The entire response must be in English and in lowercase letters only; no capitals.",
        st.check_lowercase,
    ),
    "combination:repeat_prompt": _repeat,
    "combination:two_responses": _fixed(
        "Give two different responses, separated by six asterisks: ******.",
        st.check_two_responses,
    ),
    "detectable_content:number_placeholders": _placeholders,
    "detectable_content:postscript": _postscript,
    "detectable_format:constrained_response": _fixed(
        "Answer with one of the following options: " + ", ".join(repr(o) for o in _CONSTRAINED),
        None,
    ),
    "detectable_format:json_format": _fixed(
        "The entire output must be wrapped in JSON format.", st.check_json
    ),
    "detectable_format:multiple_sections": _sections,
    "detectable_format:number_bullet_lists": _bullets,
    "detectable_format:number_highlighted_sections": _highlights,
    "detectable_format:title": _fixed(
        "Include a title wrapped in double angular brackets, such as <<poem of joy>>.",
        st.check_title,
    ),
    "keywords:existence": _keywords,
    "keywords:forbidden_words": _forbidden,
    "keywords:frequency": _keyword_frequency,
    "keywords:letter_frequency": _letter_frequency,
    "language:response_language": _language,
    "length_constraints:nth_paragraph_first_word": _nth_paragraph,
    "length_constraints:number_paragraphs": _divider_paragraphs,
    "length_constraints:number_sentences": _sentences,
    "length_constraints:number_words": _words,
    "punctuation:no_comma": _fixed("Do not use any commas in the response.", st.check_no_commas),
    "startend:end_checker": _end,
    "startend:quotation": _fixed(
        "Wrap the entire response with double quotation marks.", st.check_quoted
    ),
}


def requirement_name(position: int, instruction_id: str) -> str:
    """The Requirement name of the instruction at `position`: unique within a prompt."""
    return f"{position}:{instruction_id}"


def requirements_for(prompt: Prompt) -> list[codeplan.Requirement]:
    """One Requirement per instruction of `prompt`, in order (`result[i]` is instruction i).

    An unknown instruction id becomes a judged requirement named after it, so a new
    IFEval release degrades to the model's judgement rather than failing.
    """
    out = []
    pairs = zip(prompt.instruction_id_list, prompt.kwargs, strict=True)
    for position, (iid, kwargs) in enumerate(pairs):
        present = {key: value for key, value in kwargs.items() if value is not None}
        builder = BUILDERS.get(iid)
        if builder is None:
            description: str = f"Follow the instruction {iid!r} stated in the prompt."
            check: CheckFn | None = None
        else:
            description, check = builder(present)
        out.append(
            codeplan.Requirement(
                name=requirement_name(position, iid), description=description, check=check
            )
        )
    return out


def positions(prompt: Prompt) -> dict[int, str]:
    """Position -> instruction id, for matching codeplan's verdicts to the official ones."""
    return dict(enumerate(prompt.instruction_id_list))


def code_verdicts(requirements: list[codeplan.Requirement], text: str) -> list[bool | None]:
    """Each requirement's code-check verdict on `text`; None where only a judge could say."""
    verdicts: list[bool | None] = []
    for requirement in requirements:
        if requirement.check is None:
            verdicts.append(None)
            continue
        try:
            verdicts.append(bool(requirement.check(text)[0]))
        except Exception:  # a validator bug counts as a failed check, as in codeplan's run_check
            verdicts.append(False)
    return verdicts


def code_checks_pass(requirements: list[codeplan.Requirement], text: str) -> bool:
    """Whether every requirement with a code check passes on `text` (judged ones are skipped)."""
    return all(v is not False for v in code_verdicts(requirements, text))
