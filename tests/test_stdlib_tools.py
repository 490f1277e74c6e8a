"""stdlib_tools: validators (verdicts and reasons), counting properties, tools, public surface."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stdlib_tools as tools
from stdlib_tools import (
    CalculationError,
    UsageError,
    calculate,
    check_bullets,
    check_capital_words,
    check_characters,
    check_divider_paragraphs,
    check_ends_with,
    check_forbidden_words,
    check_highlights,
    check_json,
    check_json_schema,
    check_keyword_frequency,
    check_keywords,
    check_letter_frequency,
    check_lowercase,
    check_no_commas,
    check_paragraphs,
    check_placeholders,
    check_postscript,
    check_quoted,
    check_repeats_request,
    check_sections,
    check_sentences,
    check_starts_with,
    check_title,
    check_two_responses,
    check_uppercase,
    check_words,
    count_keyword,
    find_bullets,
    find_highlights,
    find_placeholders,
    split_divider_paragraphs,
    split_paragraphs,
    split_sections,
    split_sentences,
    split_words,
    text_stats,
)

# ---------------------------------------------------------------- public surface and docs

PUBLIC = {
    "FAMILIES", "BoundArgs", "CalculationError", "Check", "Family", "ParsedRequirement",
    "StdlibToolsError", "UsageError", "calculate", "check_bullets", "check_capital_words",
    "check_characters", "check_divider_paragraphs", "check_ends_with", "check_forbidden_words",
    "check_highlights", "check_json", "check_json_schema", "check_keyword_frequency",
    "check_keywords", "check_letter_frequency", "check_lowercase", "check_no_commas",
    "check_paragraphs", "check_placeholders", "check_postscript", "check_quoted",
    "check_repeats_request", "check_sections", "check_sentences", "check_starts_with",
    "check_title", "check_two_responses", "check_uppercase", "check_words", "count_keyword",
    "find_bullets", "find_capital_words", "find_highlights", "find_placeholders", "find_titles",
    "parse_requirement", "split_divider_paragraphs", "split_paragraphs", "split_sections",
    "split_sentences", "split_words", "text_stats",
    "Repair", "repair_bullets", "repair_capital_words", "repair_characters",
    "repair_divider_paragraphs", "repair_ends_with", "repair_forbidden_words",
    "repair_highlights", "repair_json", "repair_keyword_frequency", "repair_keywords",
    "repair_lowercase", "repair_no_commas", "repair_paragraphs", "repair_placeholders",
    "repair_postscript", "repair_quoted", "repair_repeats_request", "repair_sections",
    "repair_sentences", "repair_starts_with", "repair_title", "repair_two_responses",
    "repair_uppercase", "repair_words",
}  # fmt: skip


def test_public_names_are_curated_and_documented():
    assert sorted(tools.__all__) == sorted(PUBLIC)
    assert len(tools.__all__) == len(PUBLIC)
    for name in tools.__all__:
        obj = getattr(tools, name)
        if callable(obj) and not name[0].isupper():
            assert obj.__doc__, f"{name} needs a docstring"


MODULES = [
    importlib.import_module(f"stdlib_tools.{info.name}")
    for info in pkgutil.iter_modules(tools.__path__)
]


@pytest.mark.parametrize("module", [tools, *MODULES], ids=lambda module: module.__name__)
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


def test_modules_stay_small():
    for module in MODULES:
        with open(module.__file__, encoding="utf-8") as source:
            assert sum(1 for _ in source) < 600, module.__name__


# ---------------------------------------------------------------- verdicts and reasons

W63 = " ".join(["w"] * 63)
SCHEMA = {
    "type": "object",
    "required": ["name", "tags"],
    "properties": {"name": {"type": "string"}, "tags": {"items": {"type": "string"}}},
}

# fmt: off
REASONS = [
    # lengths
    (lambda: check_words(W63, at_most=50), (False, "has 63 words; at most 50 allowed — cut 13 words")),
    (lambda: check_words(W63, at_least=100), (False, "has 63 words; at least 100 required — add 37 words")),
    (lambda: check_words(W63, exactly=63), (True, "ok: 63 words (exactly 63)")),
    (lambda: check_words(W63, less_than=63), (False, "has 63 words; fewer than 63 required — cut 1 word")),
    (lambda: check_words(W63, more_than=63), (False, "has 63 words; more than 63 required — add 1 word")),
    (lambda: check_words(W63, at_least=70, at_most=80), (False, "has 63 words; between 70 and 80 required — add 7 words")),
    (lambda: check_words(W63, more_than=1, less_than=99), (True, "ok: 63 words (more than 1 and fewer than 99)")),
    (lambda: check_words("Don't stop", exactly=3), (True, "ok: 3 words (exactly 3)")),
    (lambda: check_sentences("Go. Run. Stop! Now?", at_most=3), (False, "has 4 sentences; at most 3 allowed — cut 1 sentence")),
    (lambda: check_paragraphs("One.\nTwo.", exactly=2), (False, "has 1 paragraph; exactly 2 required — add 1 paragraph (separate paragraphs with a blank line)")),
    (lambda: check_paragraphs("One.\n\n\nTwo.", exactly=2), (True, "ok: 2 paragraphs (exactly 2)")),
    (lambda: check_divider_paragraphs("***\nOne.\n***\nTwo.\n***\n", exactly=2), (True, "ok: 2 paragraphs (exactly 2)")),
    (lambda: check_divider_paragraphs("One.\n***\n***\nTwo.", exactly=3), (False, "paragraph 2 of 3 is empty (two *** dividers in a row) — remove the extra divider or write the paragraph")),
    (lambda: check_sections("SECTION 1\nA", marker="Section", at_least=1), (False, "has 0 sections; at least 1 required — add 1 section (start each section with a line 'Section <n>')")),
    (lambda: check_bullets("* a\n* b", exactly=3), (False, "has 2 bullet points; exactly 3 required — add 1 bullet point (lines starting with '* ' or '- ')")),
    (lambda: check_characters("  abc  ", exactly=3), (True, "ok: 3 characters (exactly 3)")),
    (lambda: check_characters("abcd", at_most=3), (False, "has 4 characters; at most 3 allowed — cut 1 character")),
    # keywords
    (lambda: check_keywords("Acme makes the X1.", ["acme", "x1"]), (True, "ok: all 2 keywords present")),
    (lambda: check_keywords("Acmes make things.", ["acme", "price"]), (False, "missing 2 of 2 keywords: 'acme', 'price' — use each at least once as a whole word")),
    (lambda: check_keyword_frequency("ai AI Ai", "ai", at_most=2), (False, "'ai' occurs 3 times; at most 2 allowed — remove 1 time")),
    (lambda: check_keyword_frequency("ai AI", "ai", exactly=2), (True, "ok: 'ai' occurs 2 times (exactly 2)")),
    (lambda: check_forbidden_words("Really, really good.", ["really", "bad"]), (False, "uses forbidden words: 'really' (2 times) — remove or replace them")),
    (lambda: check_forbidden_words("Surreal.", ["real"]), (True, "ok: none of 1 forbidden words used")),
    (lambda: check_letter_frequency("Quiet QUAY", "q", at_least=2), (True, "ok: the letter 'q' occurs 2 times (at least 2)")),
    (lambda: check_letter_frequency("eee", "E", less_than=3), (False, "the letter 'E' occurs 3 times; fewer than 3 required — remove 1 time")),
    # case and punctuation
    (lambda: check_lowercase("all quiet, 42."), (True, "ok: no capital letters")),
    (lambda: check_lowercase("All quiet in Paris"), (False, "has capital letters in 2 words: 'All', 'Paris' — write everything in lowercase")),
    (lambda: check_uppercase("LOUD 42!"), (True, "ok: no lowercase letters")),
    (lambda: check_uppercase("LOUD and Clear"), (False, "has lowercase letters in 2 words: 'and', 'Clear' — write everything in capital letters")),
    (lambda: check_uppercase("a b c d e f g"), (False, "has lowercase letters in 7 words: 'a', 'b', 'c', 'd', 'e' and 2 more — write everything in capital letters")),
    (lambda: check_capital_words("NASA and ESA", at_least=3), (False, "has 2 words in capitals ('NASA', 'ESA'); at least 3 required — add 1 word in capitals")),
    (lambda: check_capital_words("STATE-OF-THE-ART kit", exactly=1), (True, "ok: 1 word in capitals (exactly 1)")),
    (lambda: check_no_commas("Yes no maybe"), (True, "ok: no commas")),
    (lambda: check_no_commas("Yes, no"), (False, "has 1 comma (first in 'Yes, no') — rephrase without commas")),
    # start, end, quotes
    (lambda: check_starts_with("\n Dear Ana,", "Dear Ana"), (True, "ok: starts with 'Dear Ana'")),
    (lambda: check_starts_with('"Dear Ana, hi."', "Dear Ana"), (True, "ok: starts with 'Dear Ana'")),
    (lambda: check_starts_with("dear Ana,", "Dear Ana"), (False, "starts with 'dear Ana,' instead of 'Dear Ana' (only the capitalisation differs) — begin with exactly 'Dear Ana'")),
    (lambda: check_ends_with("Thanks. Any questions?  \n", "Any questions?"), (True, "ok: ends with 'Any questions?'")),
    (lambda: check_ends_with('"Thanks. Any questions?"', "Any questions?"), (True, "ok: ends with 'Any questions?'")),
    (lambda: check_ends_with("thanks. any questions?", "Any questions?"), (False, "ends with 'any questions?' instead of 'Any questions?' (only the capitalisation differs) — make 'Any questions?' the very last words, with nothing after it")),
    (lambda: check_quoted('  "Hello"\n'), (True, "ok: wrapped in double quotes")),
    (lambda: check_quoted('"'), (False, "is '\"' — write the answer wrapped in double quotes \"...\"")),
    (lambda: check_quoted("“Hello”"), (False, "starts with '“' and ends with '”' and uses curly quotes instead of straight ones — put a double quote \" at the very start and the very end")),
    (lambda: check_quoted(""), (False, 'is empty — write the answer wrapped in double quotes "..."')),
    # placeholders, postscript, highlights, title
    (lambda: check_placeholders("[a] [b]", at_least=2), (True, "ok: 2 placeholders (at least 2)")),
    (lambda: check_placeholders("[a](http://x)", at_least=1), (False, "has 0 placeholders; at least 1 required — add 1 placeholder (write them like [address])")),
    (lambda: check_postscript("Hi.\n\nP. S. see you"), (True, "ok: has a postscript starting with 'P.S.'")),
    (lambda: check_postscript("Hi.\n**P.P.S** more", "P.P.S"), (True, "ok: has a postscript starting with 'P.P.S'")),
    (lambda: check_postscript("Hi.\nP.P.S. more", "P.S."), (False, "has no line starting with 'P.S.' — end with a postscript on its own line, like 'P.S. ...'")),
    (lambda: check_highlights("*a*", at_least=2), (False, "has 1 highlighted section; at least 2 required — add 1 highlighted section (mark them like *this*)")),
    (lambda: check_title("<<Title>>\nBody"), (True, "ok: title '<<Title>>'")),
    (lambda: check_title("<< >> and <<split\ntitle>>"), (False, "has no title in double angular brackets — add one on its own line, like <<Ode to Joy>>")),
    # combinations
    (lambda: check_two_responses("A\n******\nB"), (True, "ok: two different responses")),
    (lambda: check_two_responses("A\n******\n \n******\nB"), (False, "has an empty response between two ****** separators — remove one of them")),
    (lambda: check_two_responses("A\n******\nA"), (False, "the two responses are identical — make the second one different")),
    (lambda: check_two_responses("A\n******\nB\n******\nC"), (False, "has 3 responses — give exactly two different responses separated by a line ******")),
    (lambda: check_repeats_request("  write a poem. Roses...", "Write a poem."), (True, "ok: starts by repeating the request")),
    (lambda: check_repeats_request("Roses...", "Write a poem."), (False, "does not start with the request — first repeat it word for word: 'Write a poem.'")),
    # JSON
    (lambda: check_json('{"a": [1, 2]}'), (True, "ok: valid JSON (object)")),
    (lambda: check_json("```JSON\n[1]\n```"), (True, "ok: valid JSON (array)")),
    (lambda: check_json("```\n42\n```"), (True, "ok: valid JSON (number)")),
    (lambda: check_json("Sure:\n```json\n{}\n```\nEnjoy"), (False, "has valid JSON in a ``` block but other text around it — output only the JSON (a ```json fence around it is fine)")),
    (lambda: check_json("{'a': 1}"), (False, "is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1) — output only the JSON (a ```json fence around it is fine)")),
    (lambda: check_json_schema('{"name": "Ana", "tags": ["x"]}', SCHEMA), (True, "ok: valid JSON matching the schema")),
    (lambda: check_json_schema('{"name": 1, "tags": ["x", 2]}', SCHEMA), (False, "does not match the schema in 2 places: at $.name: 1 is not of type 'string'; at $.tags[1]: 2 is not of type 'string'")),
    (lambda: check_json_schema('{"tags": []}', SCHEMA), (False, "does not match the schema in 1 place: at $: 'name' is a required property")),
]
# fmt: on


@pytest.mark.parametrize(("call", "expected"), REASONS)
def test_verdict_and_reason(call, expected):
    assert call() == expected


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({}, "give at least one bound"),
        ({"at_most": -1}, "`at_most` must be 0 or more, got -1"),
        ({"at_most": 2.5}, "`at_most` must be an int"),
        ({"at_most": True}, "`at_most` must be an int"),
        ({"max": 3}, "`max` is not a bound; use at_most="),
        ({"exactly": 3, "at_most": 4}, "`exactly` cannot be combined"),
        ({"at_most": 3, "less_than": 4}, "give `at_most` or `less_than`, not both"),
        ({"at_least": 5, "at_most": 3}, "can never be met"),
        ({"less_than": 0}, "can never be met"),
    ],
)
def test_bad_bounds_are_usage_errors(bounds, message):
    with pytest.raises(UsageError, match=message):
        check_words("text", **bounds)


def test_all_bound_problems_are_reported_at_once():
    with pytest.raises(UsageError) as caught:
        check_words("text", at_most=-1, at_least="3")
    assert "`at_most` must be 0 or more" in str(caught.value)
    assert "`at_least` must be an int" in str(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_keywords("t", []),
        lambda: check_keywords("t", ["ok", " "]),
        lambda: check_forbidden_words("t", [3]),
        lambda: check_letter_frequency("t", "ab", at_least=1),
        lambda: check_letter_frequency("t", "1", at_least=1),
        lambda: check_starts_with("t", ""),
        lambda: check_postscript("t", "  "),
        lambda: check_sections("t", marker="two words", exactly=1),
        lambda: check_json_schema("{}", {"type": "banana"}),
        lambda: check_json_schema("{}", ["not", "a", "dict"]),
    ],
)
def test_misuse_is_a_usage_error(call):
    with pytest.raises(UsageError):
        call()


# ---------------------------------------------------------------- splitters


def test_sentences_handle_abbreviations_and_decimals():
    text = "Dr. Smith paid $3.50 at 5 p.m. today. Mr. Jones, e.g. the baker, left! Why? See Fig. 2 now."
    assert split_sentences(text) == [
        "Dr. Smith paid $3.50 at 5 p.m. today.",
        "Mr. Jones, e.g. the baker, left!",
        "Why?",
        "See Fig. 2 now.",
    ]
    assert split_sentences('He said "stop." Then he left.') == ['He said "stop."', "Then he left."]
    assert split_sentences("Title\n\nBody without a period") == ["Title", "Body without a period"]
    assert split_sentences("Wait... what? Fine... Go.") == ["Wait... what?", "Fine...", "Go."]
    assert split_sentences("We sell it in the U.S. Prices vary.") == [
        "We sell it in the U.S.",
        "Prices vary.",
    ]
    assert split_sentences("*** . !") == []


def test_paragraphs_sections_bullets_placeholders_highlights():
    assert split_paragraphs("One.\n\nTwo.\n \n\nThree.") == ["One.", "Two.", "Three."]
    assert split_divider_paragraphs("***bold italic*** text") == ["***bold italic*** text"]
    text = "Intro\nSECTION 1\nA\n## SECTION 2\nB\nsee SECTION 3 above"
    assert split_sections(text) == ["SECTION 1\nA", "## SECTION 2\nB\nsee SECTION 3 above"]
    assert find_bullets("* a\n- b\n  * c\n**bold**\n---\n* * *\n-\n1. d") == ["* a", "- b", "* c"]
    assert find_placeholders("[a] [ ] [b](http://x) [c d]") == ["[a]", "[c d]"]
    assert find_highlights("*a* **b** * * ** *c") == ["*a*", "**b**"]
    assert check_keywords("I code in C++ daily", ["c++"])[0]
    assert check_keywords("New\nYork is big", ["new york"])[0]
    assert count_keyword("cat Cat category CAT.", "cat") == 3


def test_text_stats():
    assert text_stats("Hi there. *Bold* [x]!\n\n* one, two\n- THREE") == {
        "words": 7,
        "sentences": 3,
        "paragraphs": 2,
        "divider_paragraphs": 1,
        "lines": 3,
        "characters": 41,
        "bullets": 2,
        "placeholders": 1,
        "highlights": 1,
        "capital_words": 1,
        "commas": 1,
    }


# ---------------------------------------------------------------- calculator

# fmt: off
VALUES = [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("7 // 2", 3), ("-7 % 3", 2),
    ("2 ** 10", 1024), ("-2 ** 2", -4), ("2 ** -1", 0.5), ("+3 - -2", 5), ("sqrt(16)", 4.0),
    ("round(2.675, 2)", 2.67), ("round(7.5)", 8), ("abs(-3) + max(1, 5, 2) - min(4, 2)", 6),
    ("floor(2.7) + ceil(2.1)", 5), ("1e3 + 0.5", 1000.5), ("2 * pi", 6.283185307179586),
    ("10 ** 300 // 10 ** 299", 10),
]
REFUSALS = [
    ("__import__('os')", "Calling '__import__' at column 1 is not allowed"),
    ("x + 1", "The name 'x' at column 1 is not allowed"),
    ("1 + (1).real", "at column 5 is not allowed"),
    ("abs.__class__", "at column 1 is not allowed"),
    ("print(1)", "Calling 'print'"),
    ("math.sqrt(4)", "Calling 'math.sqrt'"),
    ("max(*[1, 2])", "Keyword or starred arguments"),
    ("round(1.5, ndigits=1)", "Keyword or starred arguments"),
    ("'a' * 3", "The constant 'a'"), ("True + 1", "The constant True"), ("1j * 2", "The constant 1j"),
    ("[1, 2]", "'[1, 2]' at column 1"), ("1 < 2", "'1 < 2' at column 1"),
    ("lambda: 1", "'lambda: 1'"), ("1 if 1 else 2", "'1 if 1 else 2'"),
    ("1 & 2", "The operator BitAnd"), ("1 +", "is not an arithmetic expression"),
    ("9 ** 9 ** 9", "The exponent 387420489 is too large"),
    ("2 ** 1001", "exponents are limited to ±1000"),
    ("99999999999 ** 1000", "would have about"),
    ("(10 ** 300) ** 2 * 10 ** 700", "limited to 4096 bits"),
    ("1 / 0", "Division by zero"), ("5 % 0", "Division by zero"),
    ("sqrt(-1)", "math domain error"), ("(-8) ** 0.5", "is not a real number"),
    ("10.0 ** 400", "too large for a float"), ("1e308 * 10", "The result is inf"),
    ("round(1.5, 10 ** 6)", "round's digits must be"),
    ("min()", "min() needs at least one argument"),
    ("1" + " + 1" * 400, "at most 1000 are allowed"),
    ("-" * 500 + "1", "parts; at most 300 are allowed"),
]
# fmt: on


@pytest.mark.parametrize(("expression", "value"), VALUES)
def test_calculate_values(expression, value):
    result = calculate(expression)
    assert result == pytest.approx(value)
    assert type(result) is type(value)


@pytest.mark.parametrize(("expression", "message"), REFUSALS)
def test_calculate_refuses(expression, message):
    with pytest.raises(CalculationError) as caught:
        calculate(expression)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@settings(max_examples=100, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.sampled_from("+-*/%"))
def test_calculate_agrees_with_python_on_integers(a, b, op):
    op = "//" if op == "/" else op
    expression = f"({a}) {op} ({b})"
    if op in ("//", "%") and b == 0:
        with pytest.raises(CalculationError):
            calculate(expression)
    else:
        assert calculate(expression) == eval(expression)


# ---------------------------------------------------------------- counting properties

VOCABULARY = [
    "apple", "river", "stone", "cloud", "quiet", "maple", "orbit", "lemon", "tiger", "piano",
    "north", "candle", "forest", "silver", "bridge", "garden", "window", "rocket", "pepper", "castle",
]  # fmt: skip
words = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=8)
small = settings(max_examples=60, deadline=None)


def _verdicts_agree(check, count, limit):
    """Every relation's verdict matches the count the text was built with."""
    assert check(at_most=limit)[0] == (count <= limit)
    assert check(at_least=limit)[0] == (count >= limit)
    assert check(exactly=limit)[0] == (count == limit)
    assert check(less_than=limit + 1)[0] == (count <= limit)
    assert check(more_than=limit)[0] == (count > limit)
    assert f"{count} " in check(exactly=limit)[1]


@small
@given(
    st.lists(st.sampled_from(VOCABULARY), max_size=40),
    st.sampled_from([" ", "  ", ", ", "; ", "\n", " - ", " / "]),
    st.integers(0, 45),
)
def test_word_count_property(tokens, separator, limit):
    text = separator.join(tokens)
    assert len(split_words(text)) == len(tokens)
    _verdicts_agree(lambda **b: check_words(text, **b), len(tokens), limit)


@small
@given(
    st.lists(st.tuples(words, st.sampled_from([".", "!", "?", "...", '."', ".)"])), max_size=12),
    st.sampled_from([" ", "\n", "  ", "\n\n"]),
    st.integers(0, 14),
)
def test_sentence_count_property(sentences, joiner, limit):
    text = joiner.join(" ".join(ws).capitalize() + end for ws, end in sentences)
    assert len(split_sentences(text)) == len(sentences)
    _verdicts_agree(lambda **b: check_sentences(text, **b), len(sentences), limit)


@small
@given(
    st.lists(words, max_size=10),
    st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\n\t\n\n"]),
    st.integers(0, 12),
)
def test_paragraph_count_property(paragraphs, joiner, limit):
    bodies = [" ".join(ws) + "." for ws in paragraphs]
    text = joiner.join(bodies)
    assert split_paragraphs(text) == bodies
    _verdicts_agree(lambda **b: check_paragraphs(text, **b), len(bodies), limit)
    divided = "\n***\n".join(bodies)
    assert split_divider_paragraphs(divided) == bodies
    _verdicts_agree(lambda **b: check_divider_paragraphs(divided, **b), len(bodies), limit)


@small
@given(
    st.lists(st.tuples(st.booleans(), words, st.sampled_from(["* ", "- ", "  * ", "-\t"]))),
    st.integers(0, 14),
)
def test_bullet_count_property(lines, limit):
    text = "\n".join((marker if bullet else "") + " ".join(ws) for bullet, ws, marker in lines)
    count = sum(1 for bullet, _, _ in lines if bullet)
    assert len(find_bullets(text)) == count
    _verdicts_agree(lambda **b: check_bullets(text, **b), count, limit)


@small
@given(
    st.lists(st.tuples(st.sampled_from(["plain", "place", "high", "double"]), words), max_size=15),
    st.integers(0, 16),
)
def test_placeholder_and_highlight_count_property(pieces, limit):
    render = {"plain": "{}", "place": "[{}]", "high": "*{}*", "double": "**{}**"}
    text = " ".join(render[kind].format(" ".join(ws)) for kind, ws in pieces)
    places = sum(kind == "place" for kind, _ in pieces)
    highs = sum(kind in ("high", "double") for kind, _ in pieces)
    assert len(find_placeholders(text)) == places
    assert len(find_highlights(text)) == highs
    _verdicts_agree(lambda **b: check_placeholders(text, **b), places, limit)
    _verdicts_agree(lambda **b: check_highlights(text, **b), highs, limit)


@small
@given(
    st.lists(words, max_size=8), st.sampled_from(["SECTION", "Section", "PART"]), st.integers(0, 9)
)
def test_section_count_property(bodies, marker, limit):
    text = "Preamble.\n" + "\n".join(f"{marker} {i}\n{' '.join(w)}" for i, w in enumerate(bodies))
    assert len(split_sections(text, marker)) == len(bodies)
    _verdicts_agree(lambda **b: check_sections(text, marker=marker, **b), len(bodies), limit)


@small
@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from(VOCABULARY)), max_size=20), st.integers(0, 22)
)
def test_capital_word_count_property(tokens, limit):
    text = " ".join(word.upper() if caps else word for caps, word in tokens)
    count = sum(caps for caps, _ in tokens)
    _verdicts_agree(lambda **b: check_capital_words(text, **b), count, limit)


@small
@given(
    st.lists(st.sampled_from(VOCABULARY), max_size=20),
    st.sampled_from(VOCABULARY),
    st.integers(0, 5),
)
def test_keyword_and_letter_count_property(tokens, keyword, extra):
    text = " ".join(tokens + [keyword.upper()] * extra)
    count = tokens.count(keyword) + extra
    assert count_keyword(text, keyword) == count
    _verdicts_agree(lambda **b: check_keyword_frequency(text, keyword, **b), count, 3)
    assert check_keywords(text, [keyword])[0] == (count > 0)
    assert check_forbidden_words(text, [keyword])[0] == (count == 0)
    letters = text.lower().count(keyword[0])
    _verdicts_agree(lambda **b: check_letter_frequency(text, keyword[0], **b), letters, 4)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_case_comma_and_quote_invariants(text):
    assert check_lowercase(text)[0] == (text == text.lower())
    assert check_uppercase(text)[0] == (text == text.upper())
    assert check_lowercase(text.lower())[0] == (text.lower() == text.lower().lower())
    assert check_uppercase(text.upper())[0] == (text.upper() == text.upper().upper())
    assert check_no_commas(text)[0] == ("," not in text)
    assert check_quoted(f'"{text}"')[0]
    if not text.strip().startswith('"'):
        assert not check_quoted(text)[0]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=50), st.text(min_size=1, max_size=20).map(str.strip).filter(bool))
def test_start_and_end_phrase_property(body, phrase):
    assert check_starts_with(phrase + body, phrase)[0]
    assert check_ends_with(body + phrase + "\n  ", phrase)[0]
    assert check_ends_with(body + phrase + " extra", phrase)[0] == (
        body + phrase + " extra"
    ).endswith(phrase)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_validators_never_raise_on_any_text(text):
    for ok, reason in (
        check_words(text, at_most=10),
        check_sentences(text, at_least=1),
        check_paragraphs(text, exactly=2),
        check_divider_paragraphs(text, exactly=2),
        check_sections(text, exactly=1),
        check_bullets(text, exactly=1),
        check_characters(text, at_most=5),
        check_keywords(text, ["a"]),
        check_title(text),
        check_json(text),
        check_postscript(text),
        check_two_responses(text),
    ):
        assert isinstance(ok, bool) and isinstance(reason, str) and reason
    assert text_stats(text)["characters"] == len(text.strip())
