"""Requirement strings map to the right validator family and name, and the check works."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_tools import FAMILIES, ParsedRequirement, parse_requirement

W50 = " ".join(["word"] * 50)
W51 = " ".join(["word"] * 51)
LONG_JSON = '{"name": "Ana", "tags": ["a", "b"]}'

# requirement string, family, name, a passing text, a failing text
# fmt: off
CASES = [
    # length.words
    ("at most 50 words", "length.words", "max_words_50", W50, W51),
    ("Answer in no more than 50 words.", "length.words", "max_words_50", W50, W51),
    ("Do not use more than 50 words.", "length.words", "max_words_50", W50, W51),
    ("Limit your answer to 50 words.", "length.words", "max_words_50", W50, W51),
    ("Answer in 50 words or fewer.", "length.words", "max_words_50", W50, W51),
    ("Use fewer than 50 words.", "length.words", "lt_words_50", "a " * 49, W50),
    ("less than 50 words", "length.words", "lt_words_50", "a " * 49, W50),
    ("Keep it under 50 words", "length.words", "lt_words_50", "a " * 49, W50),
    ("Answer with at least 300 words.", "length.words", "min_words_300", "a " * 300, "a " * 299),
    ("Write between 100 and 200 words.", "length.words", "range_words_100_200", "a " * 150, "a " * 99),
    ("Answer with 100-200 words", "length.words", "range_words_100_200", "a " * 200, "a " * 201),
    ("Answer in one word.", "length.words", "exact_words_1", "Yes.", "Yes indeed."),
    # length.sentences
    ("at least 3 sentences", "length.sentences", "min_sentences_3", "Go. Run. Stop.", "Go. Run."),
    ("Answer in one sentence.", "length.sentences", "exact_sentences_1", "Dr. Who won.", "No. Yes."),
    ("Keep your response to 3 sentences.", "length.sentences", "max_sentences_3", "Go. Run.", "Go. Run. Stop. Now."),
    # length.paragraphs (blank lines) and the IFEval divider form
    ("Your response should contain exactly 3 paragraphs.", "length.paragraphs", "exact_paragraphs_3", "A.\n\nB.\n\nC.", "A.\n\nB."),
    ("3 paragraphs", "length.paragraphs", "exact_paragraphs_3", "A\n\nB\n\nC", "A\nB\nC"),
    ("three paragraphs", "length.paragraphs", "exact_paragraphs_3", "A\n\nB\n\nC", "A\n\nB\n\nC\n\nD"),
    ("in a single paragraph", "length.paragraphs", "exact_paragraphs_1", "One\nblock.", "One.\n\nTwo."),
    ("There should be 2 paragraphs. Paragraphs are separated with the markdown divider: ***", "length.divider_paragraphs", "exact_divider_paragraphs_2", "One.\n***\nTwo.", "One.\n\nTwo."),
    # length.sections, bullets, characters
    ("3 sections marked SECTION X", "length.sections", "exact_sections_3", "SECTION 1\na\nSECTION 2\nb\nSECTION 3\nc", "SECTION 1\na\nSECTION 2\nb"),
    ("Your response must have 2 sections. Mark the beginning of each section with Section X, such as:\nSection 1\n[content of section 1]\nSection 2\n[content of section 2]", "length.sections", "exact_sections_2", "Section 1\na\nSection 2\nb", "SECTION 1\na\nSECTION 2\nb"),
    ("exactly 4 bullet points", "length.bullets", "exact_bullets_4", "* a\n* b\n* c\n- d", "* a\n* b\n* c"),
    ("Your answer must contain exactly 3 bullet points. Use the markdown bullet points such as:\n* This is point 1. \n* This is point 2", "length.bullets", "exact_bullets_3", "* a\n* b\n* c", "* a\n* b"),
    ("Use up to 2 bullets.", "length.bullets", "max_bullets_2", "- a\n- b", "- a\n- b\n- c"),
    ("at most 20 characters", "length.characters", "max_characters_20", "short enough", "this one is far too long"),
    ("The response must be less than 10 characters long.", "length.characters", "lt_characters_10", "ok", "0123456789"),
    # keywords
    ("Include the keywords apple and banana", "keywords.include", "include_keywords_apple_banana", "An apple, a Banana.", "An apple only."),
    ("Include the words 'Acme', 'X1'", "keywords.include", "include_keywords_acme_x1", "The ACME x1 rocks", "The Acme rocks"),
    ("Include keywords ['alpha', 'beta'] in the response.", "keywords.include", "include_keywords_alpha_beta", "alpha and beta", "alphabet beta"),
    ("mention Acme", "keywords.include", "include_keywords_acme", "Made by Acme.", "Made by Acmes."),
    ("Mention the Eiffel Tower and the Louvre.", "keywords.include", "include_keywords_eiffel_tower_louvre", "The eiffel  tower, then the Louvre.", "The Louvre."),
    ("Do not use the words very, really", "keywords.forbidden", "forbid_words_very_really", "It is good.", "It is really good."),
    ('avoid the word "basically"', "keywords.forbidden", "forbid_words_basically", "Basic stuff.", "Basically, yes."),
    ("Don’t use the word 'very'.", "keywords.forbidden", "forbid_words_very", "Every day.", "Very good."),
    ("Do not include keywords ['bad', 'worse'] in the response.", "keywords.forbidden", "forbid_words_bad_worse", "Badly done.", "Worse than ever."),
    ("the letter q at least 3 times", "keywords.letter_frequency", "min_letter_q_3", "Quiet quick Quay", "Quiet quay"),
    ("In your response, the letter e should appear less than 5 times.", "keywords.letter_frequency", "lt_letter_e_5", "Eel tree", "Eerie eel"),
    ("the word AI at least 2 times", "keywords.frequency", "min_keyword_ai_2", "AI here, ai there", "AI here, AIs there"),
    ("In your response, the word sustainability should appear at least 3 times.", "keywords.frequency", "min_keyword_sustainability_3", "sustainability " * 3, "sustainability " * 2),
    ("Mention 'Acme' at least twice.", "keywords.frequency", "min_keyword_acme_2", "Acme and acme.", "Acme only."),
    ("Use the word 'delve' at most once.", "keywords.frequency", "max_keyword_delve_1", "Let us delve.", "Delve, delve."),
    # case
    ("all lowercase", "case.lowercase", "all_lowercase", "all quiet.", "All quiet."),
    ("in lowercase letters only", "case.lowercase", "all_lowercase", "hello 42", "Hello"),
    ("Your entire response should be in English, and in all lowercase letters. No capital letters are allowed.", "case.lowercase", "all_lowercase", "fine.", "Fine."),
    ("all capital letters", "case.uppercase", "all_uppercase", "LOUD!", "Loud!"),
    ("Your entire response should be in English and in all capital letters.", "case.uppercase", "all_uppercase", "HELLO, WORLD", "HELLO, world"),
    ("In your response, words with all capital letters should appear at least 3 times.", "case.capital_words", "min_capital_words_3", "NASA ESA JAXA", "NASA ESA"),
    ("Use at most 2 words in all caps.", "case.capital_words", "max_capital_words_2", "NASA and ESA", "NASA ESA JAXA"),
    # punctuation
    ("do not use commas", "punctuation.no_commas", "no_commas", "No commas here.", "Yes, here."),
    ("no commas", "punctuation.no_commas", "no_commas", "Clean.", "a,b"),
    ("In your entire response, refrain from the use of any commas.", "punctuation.no_commas", "no_commas", "Clean.", "a, b"),
    # start / end / quotation
    ("end with 'Is there anything else?'", "startend.ends_with", "ends_with_is_there_anything_else", "Done. Is there anything else?", "Is there anything else? Bye."),
    ("Finish your response with this exact phrase: Is there anything else?", "startend.ends_with", "ends_with_is_there_anything_else", "Done. Is there anything else?\n", "Done."),
    ("Finish your response with this exact phrase Any other questions?. No other words should follow this phrase.", "startend.ends_with", "ends_with_any_other_questions", "Done. Any other questions?", "Any other questions? No."),
    ("start with 'Dear team'", "startend.starts_with", "starts_with_dear_team", "Dear team, hi.", "Hi, dear team."),
    ("End your response with 'Thanks!' and nothing else.", "startend.ends_with", "ends_with_thanks", "Great. Thanks!", "Thanks! Bye."),
    ('End with "Bye." No other words should follow this phrase.', "startend.ends_with", "ends_with_bye", "Ok. Bye.", "Bye. Ok."),
    ('Begin your answer with "Hello"', "startend.starts_with", "starts_with_hello", "Hello there.", "hello there."),
    ("wrap the whole answer in double quotes", "startend.quotation", "quoted", '"Hi."', "Hi."),
    ("Do not use lowercase letters.", "case.uppercase", "all_uppercase", "OK 1", "Ok 1"),
    ("Wrap your entire response with double quotation marks.", "startend.quotation", "quoted", ' "Hi." ', '"Hi.'),
    # content and format
    ("at least 2 placeholders in square brackets", "content.placeholders", "min_placeholders_2", "[name] at [address]", "[name] only"),
    ("The response must contain at least 3 placeholders represented by square brackets, such as [address].", "content.placeholders", "min_placeholders_3", "[a] [b] [c]", "[a] [b]"),
    ("add a postscript starting with P.S.", "content.postscript", "postscript_p_s", "Hi.\nP.S. Bye.", "Hi. Bye."),
    ("At the end of your response, please explicitly add a postscript starting with P.P.S", "content.postscript", "postscript_p_p_s", "Hi.\n\nP.P.S. Bye.", "Hi.\nP.S. Bye."),
    ("highlight at least 3 sections with markdown", "format.highlights", "min_highlights_3", "*a* *b* **c**", "*a* and *b*"),
    ("Highlight at least 2 sections in your answer with markdown, i.e. *highlighted section*.", "format.highlights", "min_highlights_2", "*a* *b*", "*a*"),
    ("include a title wrapped in double angular brackets", "format.title", "title", "<<Ode>>\nText", "Ode\nText"),
    ("Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.", "format.title", "title", "<<Joy>>", "<< >>"),
    ("valid JSON", "format.json", "json", LONG_JSON, "{'a': 1}"),
    ("Wrap the entire output in JSON format.", "format.json", "json", "```json\n" + LONG_JSON + "\n```", "Sure! " + LONG_JSON),
    ("Entire output should be wrapped in JSON format. You can use markdown ticks such as ```.", "format.json", "json", "[1, 2]", "[1, 2"),
    ("Give two different responses. Responses and only responses should be separated by 6 asterisk symbols: ******.", "combination.two_responses", "two_responses", "A.\n******\nB.", "A.\n******\nA."),
]
# fmt: on

UNRECOGNISED = [
    "",
    "   ",
    "Write a haiku.",
    "be concise",
    "formal tone",
    "at most 50 words and make it funny",
    "Do not mention the competitors.",
    "mention at least 3 benefits",
    "start with a greeting",
    "end with a question",
    "use 3 paragraphs of at most 50 words each",
    "Write a 50-word summary.",
    "no more than 2 commas",
    "Respond in JSON with keys name and age",
    "The output must validate against the JSON schema below",
    "Your ENTIRE response should be in Hindi language, no other language is allowed.",
    "Answer with one of the following options: My answer is yes., My answer is no.",
    "First repeat the request word for word without change, then give your answer",
    "There should be 2 paragraphs. Paragraphs and only paragraphs are separated with each other by two new lines. Paragraph 2 must start with word jumpy.",
    "Write 3 sections about World War 2",
    "include a title",
    "End with 'Bye' and then say more",
    "Use the letter e at least 3 times in every sentence",
]


@pytest.mark.parametrize(("requirement", "family", "name", "passing", "failing"), CASES)
def test_requirement_string_maps_to_a_working_check(requirement, family, name, passing, failing):
    parsed = parse_requirement(requirement)
    assert parsed is not None, requirement
    assert (parsed.family, parsed.name) == (family, name)
    assert parsed.description == requirement
    ok, reason = parsed.check(passing)
    assert ok, reason
    assert reason.startswith("ok")
    ok, reason = parsed.check(failing)
    assert not ok
    assert reason and not reason.startswith("ok")


def test_the_table_is_large_and_covers_every_family():
    assert len(CASES) >= 40
    assert {case[1] for case in CASES} == set(FAMILIES)


@pytest.mark.parametrize("requirement", UNRECOGNISED)
def test_unrecognised_strings_give_none(requirement):
    assert parse_requirement(requirement) is None


def test_parsed_requirement_is_a_frozen_value():
    first = parse_requirement("at most 50 words")
    second = parse_requirement("at most 50 words")
    assert isinstance(first, ParsedRequirement)
    assert first == second
    with pytest.raises(AttributeError):
        first.name = "other"  # type: ignore[misc]
    assert "check" not in repr(first)


def test_failing_reason_has_numbers_a_fixer_can_use():
    parsed = parse_requirement("Answer in no more than 50 words.")
    assert parsed is not None
    assert parsed.check(" ".join(["w"] * 63)) == (
        False,
        "has 63 words; at most 50 allowed — cut 13 words",
    )


def test_number_words_up_to_twenty():
    words = (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen twenty"
    )
    for value, word in enumerate(words.split(" "), start=1):
        parsed = parse_requirement(f"Write exactly {word} sentences.")
        assert parsed is not None
        assert parsed.name == f"exact_sentences_{value}"


def test_parsing_is_case_insensitive():
    lower = parse_requirement("at most 50 words")
    upper = parse_requirement("AT MOST 50 WORDS")
    assert lower is not None and upper is not None
    assert (lower.name, lower.family) == (upper.name, upper.family)


def test_end_phrase_keeps_its_case_and_punctuation():
    parsed = parse_requirement("End your response with the phrase: Any other questions?")
    assert parsed is not None
    assert parsed.check("So. Any other questions?")[0]
    assert not parsed.check("So. any other questions?")[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parser_and_checks_never_raise(text):
    parsed = parse_requirement(text)
    if parsed is not None:
        assert parsed.family in FAMILIES
        ok, reason = parsed.check(text)
        assert isinstance(ok, bool) and isinstance(reason, str)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([case[0] for case in CASES] + ["at most 9 words", "mention X", "* a", ","]),
        max_size=3,
    )
)
def test_parser_never_raises_on_mixed_requirements(parts):
    parse_requirement(" ".join(parts))
