"""IFEval instructions as codeplan Requirements, checked by codeplan's own stdlib validators.

Each instruction of a prompt (by position: a prompt may repeat an id) becomes one
`codeplan.Requirement` with a plain-English `description`, a `check` where code can decide
(a `stdlib_tools` validator, or `check_constrained` below), and a `repair` where code can
fix a failing text (a `stdlib_tools.Repair`). The official verifiers are never used here:
they only score. The response's language gets a description only, which codeplan's judge
model grades; it and the letter frequency have no repair.

>>> from bench.ifeval.data import load_prompts
>>> prompt = next(p for p in load_prompts() if p.instruction_id_list == ("punctuation:no_comma",))
>>> [r.description for r in requirements_for(prompt)]
['Do not use any commas in the response.']
>>> (requirement,) = requirements_for(prompt)
>>> requirement.check("no commas, sorry")[0], requirement.repair("no commas, sorry")
(False, 'no commas sorry')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import codeplan
import stdlib_tools as st
from bench.ifeval.data import Prompt

CheckFn = Callable[[str], tuple[bool, str]]
Built = tuple[str, CheckFn | None, st.Repair | None]
"""(description, check or None for a judged requirement, repair or None)."""

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
    return (
        f"The response must contain {said} words.",
        lambda t: st.check_words(t, **bounds),
        st.Repair.of(st.repair_words, "number_words", **bounds),
    )


def _sentences(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["relation"], k["num_sentences"])
    return (
        f"The response must contain {said} sentences.",
        lambda t: st.check_sentences(t, **bounds),
        st.Repair.of(st.repair_sentences, "number_sentences", **bounds),
    )


def _keyword_frequency(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["relation"], k["frequency"])
    word = k["keyword"]
    return (
        f"The word {word!r} must appear {said} times.",
        lambda t: st.check_keyword_frequency(t, word, **bounds),
        st.Repair.of(st.repair_keyword_frequency, "keyword_frequency", keyword=word, **bounds),
    )


def _letter_frequency(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["let_relation"], k["let_frequency"])
    letter = k["letter"]
    description = f"The letter {letter!r} must appear {said} times."
    if letter.isalpha():
        return description, lambda t: st.check_letter_frequency(t, letter, **bounds), None

    def check(text: str) -> tuple[bool, str]:
        # IFEval also asks for symbols such as '#', which the stdlib validator refuses.
        count = text.count(letter)
        limit = next(iter(bounds.values()))
        passed = count < limit if "less_than" in bounds else count >= limit
        return passed, f"{letter!r} appears {count} times; {said} required"

    return description.replace("letter", "character", 1), check, None


def _capital_words(k: dict[str, Any]) -> Built:
    bounds, said = _relation(k["capital_relation"], k["capital_frequency"])
    return (
        f"Words in all capital letters must appear {said} times.",
        lambda t: st.check_capital_words(t, **bounds),
        st.Repair.of(st.repair_capital_words, "capital_words", **bounds),
    )


def _keywords(k: dict[str, Any]) -> Built:
    words = list(k["keywords"])
    return (
        f"Include the keywords {', '.join(repr(w) for w in words)}.",
        lambda t: st.check_keywords(t, words),
        st.Repair.of(st.repair_keywords, "keywords", keywords=words),
    )


def _forbidden(k: dict[str, Any]) -> Built:
    words = list(k["forbidden_words"])
    return (
        f"Do not include the words {', '.join(repr(w) for w in words)}.",
        lambda t: st.check_forbidden_words(t, words),
        st.Repair.of(st.repair_forbidden_words, "forbidden_words", words=words),
    )


def _placeholders(k: dict[str, Any]) -> Built:
    n = k["num_placeholders"]
    return (
        f"Include at least {n} placeholders in square brackets, such as [address].",
        lambda t: st.check_placeholders(t, at_least=n),
        st.Repair.of(st.repair_placeholders, "placeholders", at_least=n),
    )


def _postscript(k: dict[str, Any]) -> Built:
    marker = k["postscript_marker"]
    return (
        f"End the response with a postscript starting with {marker}",
        lambda t: st.check_postscript(t, marker=marker),
        st.Repair.of(st.repair_postscript, "postscript", marker=marker),
    )


def _highlights(k: dict[str, Any]) -> Built:
    n = k["num_highlights"]
    return (
        f"Highlight at least {n} sections with markdown, i.e. *highlighted section*.",
        lambda t: st.check_highlights(t, at_least=n),
        st.Repair.of(st.repair_highlights, "highlights", at_least=n),
    )


def _sections(k: dict[str, Any]) -> Built:
    marker, n = k["section_spliter"], k["num_sections"]
    return (
        f"The response must have {n} sections, each starting with a line '{marker} X'.",
        lambda t: st.check_sections(t, marker=marker, at_least=n),
        st.Repair.of(st.repair_sections, "sections", marker=marker, at_least=n),
    )


def _bullets(k: dict[str, Any]) -> Built:
    n = k["num_bullets"]
    return (
        f"The response must contain exactly {n} markdown bullet points such as '* point'.",
        lambda t: st.check_bullets(t, exactly=n),
        st.Repair.of(st.repair_bullets, "bullets", exactly=n),
    )


def _divider_paragraphs(k: dict[str, Any]) -> Built:
    n = k["num_paragraphs"]
    return (
        f"The response must have exactly {n} paragraphs, separated by the markdown divider ***.",
        lambda t: st.check_divider_paragraphs(t, exactly=n),
        st.Repair.of(st.repair_divider_paragraphs, "divider_paragraphs", exactly=n),
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

    def repair(text: str) -> str:
        """`n` paragraphs joined by exactly one blank line, the `nth` led by `first`."""
        if check(text)[0]:
            return text
        paragraphs = st.split_paragraphs(st.repair_paragraphs(text, exactly=n))
        if len(paragraphs) != n:
            return text
        target = paragraphs[nth - 1]
        words = st.split_words(target)
        if not words or words[0].lower() != first.lower():
            lead = first.capitalize() if target[:1].isupper() else first
            paragraphs[nth - 1] = f"{lead} {target}"
        repaired = "\n\n".join(paragraphs)
        return repaired if check(repaired)[0] else text

    return (
        f"The response must have exactly {n} paragraphs separated by blank lines, and "
        f"paragraph {nth} must start with the word {first!r}.",
        check,
        st.Repair(f"paragraph_{nth}_starts_with_{first}", 1, repair),
    )


def _end(k: dict[str, Any]) -> Built:
    phrase = k["end_phrase"]
    return (
        f"Finish the response with the exact phrase {phrase!r}; no other words may follow it.",
        lambda t: st.check_ends_with(t, phrase),
        st.Repair.of(st.repair_ends_with, "end_phrase", phrase=phrase),
    )


def _repeat(k: dict[str, Any]) -> Built:
    request = k["prompt_to_repeat"]
    return (
        f"First repeat the request word for word without change: {request!r}; then answer it.",
        lambda t: st.check_repeats_request(t, request),
        st.Repair.of(st.repair_repeats_request, "repeat_prompt", request=request),
    )


def _language(k: dict[str, Any]) -> Built:
    code = k["language"]
    name = _LANGUAGES.get(code, f"the language with code {code!r}")
    return f"The entire response must be in {name}; no other language is allowed.", None, None


def check_constrained(text: str) -> tuple[bool, str]:
    """The text contains one of IFEval's options, exactly (case and final period included).

    As the official checker decides: a substring test on the stripped text.

    >>> check_constrained("I think not. My answer is no.")
    (True, "ok: contains 'My answer is no.'")
    >>> check_constrained("My answer is No.")[0]
    False
    """
    stripped = text.strip()
    for option in _CONSTRAINED:
        if option in stripped:
            return True, f"ok: contains {option!r}"
    options = ", ".join(repr(option) for option in _CONSTRAINED)
    return False, f"contains none of {options} — include one of them exactly as written"


_YES = frozenset(["yes", "yeah", "yep", "correct", "true", "definitely", "absolutely",
                  "certainly", "indeed"])  # fmt: skip
_NO = frozenset(["no", "nope", "not", "false", "incorrect", "never", "cannot", "can't",
                 "isn't", "aren't", "wasn't", "doesn't", "don't", "won't", "couldn't",
                 "wouldn't"])  # fmt: skip
_SAID = re.compile(r"\bmy\s+answer\s+is\s+(yes|no|maybe)\b[.!]?", re.IGNORECASE)


def repair_constrained(text: str) -> str:
    """The text with the option its stance takes: a near miss ("my answer is Yes") is
    corrected; otherwise the first yes or no word among the first 30 words decides which
    option is appended (none: "My answer is maybe.").

    >>> repair_constrained("No, the moon landing was real.")
    'No, the moon landing was real.\\n\\nMy answer is no.'
    >>> repair_constrained("my answer is YES! It is bigger.")
    'My answer is yes. It is bigger.'
    """
    if check_constrained(text)[0]:
        return text
    said = _SAID.search(text)
    if said:
        return f"{text[: said.start()]}My answer is {said.group(1).lower()}.{text[said.end() :]}"
    stance = "maybe"
    for word in re.findall(r"[\w'’]+", text.lower().replace("’", "'"))[:30]:
        if word in _YES or word in _NO:
            stance = "yes" if word in _YES else "no"
            break
    option = f"My answer is {stance}."
    return f"{text.rstrip()}\n\n{option}" if text.strip() else option


def _fixed(
    description: str, check: CheckFn | None, repair: st.Repair | None
) -> Callable[[dict[str, Any]], Built]:
    return lambda _: (description, check, repair)


BUILDERS: dict[str, Callable[[dict[str, Any]], Built]] = {
    "change_case:capital_word_frequency": _capital_words,
    "change_case:english_capital": _fixed(
        "The entire response must be in English and in capital letters only.",
        st.check_uppercase,
        st.Repair.of(st.repair_uppercase, "english_capital"),
    ),
    "change_case:english_lowercase": _fixed(
        "The entire response must be in English and in lowercase letters only; no capitals.",
        st.check_lowercase,
        st.Repair.of(st.repair_lowercase, "english_lowercase"),
    ),
    "combination:repeat_prompt": _repeat,
    "combination:two_responses": _fixed(
        "Give two different responses, separated by six asterisks: ******.",
        st.check_two_responses,
        st.Repair.of(st.repair_two_responses, "two_responses"),
    ),
    "detectable_content:number_placeholders": _placeholders,
    "detectable_content:postscript": _postscript,
    "detectable_format:constrained_response": _fixed(
        "Answer with one of the following options: " + ", ".join(repr(o) for o in _CONSTRAINED),
        check_constrained,
        st.Repair("constrained_response", 1, repair_constrained),
    ),
    "detectable_format:json_format": _fixed(
        "The entire output must be wrapped in JSON format.",
        st.check_json,
        st.Repair.of(st.repair_json, "json_format"),
    ),
    "detectable_format:multiple_sections": _sections,
    "detectable_format:number_bullet_lists": _bullets,
    "detectable_format:number_highlighted_sections": _highlights,
    "detectable_format:title": _fixed(
        "Include a title wrapped in double angular brackets, such as <<poem of joy>>.",
        st.check_title,
        st.Repair.of(st.repair_title, "title"),
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
    "punctuation:no_comma": _fixed(
        "Do not use any commas in the response.",
        st.check_no_commas,
        st.Repair.of(st.repair_no_commas, "no_comma"),
    ),
    "startend:end_checker": _end,
    "startend:quotation": _fixed(
        "Wrap the entire response with double quotation marks.",
        st.check_quoted,
        st.Repair.of(st.repair_quoted, "quotation"),
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
            repair: st.Repair | None = None
        else:
            description, check, repair = builder(present)
        name = requirement_name(position, iid)
        out.append(
            codeplan.Requirement(name=name, description=description, check=check, repair=repair)
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
