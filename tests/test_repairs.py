"""Repairs: realistic failing outputs are fixed and keep their content; any text is either
repaired or left alone; parsed requirements carry their repair; IFEval's official verifier
agrees with our validators on repaired outputs."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import stdlib_tools as st
from bench.ifeval.data import Prompt, load_prompts
from bench.ifeval.official import score, verifiers
from bench.ifeval.requirements import (
    BUILDERS,
    check_constrained,
    repair_constrained,
    requirements_for,
)
from stdlib_tools import ParsedRequirement, Repair, parse_requirement

Fix = Callable[[str], str]
Verdict = Callable[[str], tuple[bool, str]]


def pair(name: str, **params: Any) -> tuple[Fix, Verdict]:
    """A repair and its check with the same parameters: ``pair("words", at_most=5)``."""
    return partial(getattr(st, f"repair_{name}"), **params), partial(
        getattr(st, f"check_{name}"), **params
    )


# ---------------------------------------------------------------- realistic outputs

SMALL_TALK = "Sure, here are some tips for better sleep:\n\n"
ESSAY = (
    "The ocean covers most of the planet, and it shapes the weather. Currents carry heat "
    "from the tropics to the poles. Many creatures live in the deep sea.\n\n"
    "People depend on the ocean for food, trade and travel. Protecting it matters."
)
LIST = "Here are some tips:\n\n* Drink water.\n* Sleep well.\n* Exercise daily.\n* Eat greens.\n  - especially spinach\n\nHope this helps!"
NUMBERED = "Tips:\n1. Drink water. Sleep well.\n2. Walk daily.\n3. Read a book."
POEM = "Waves roll in upon the shore\nThe gulls cry out, the breakers roar\n\nThe tide goes out, the sand is bare\nAnd salty wind is in the air"

# repair name, its parameters, a failing model output, phrases the repaired text keeps
# fmt: off
CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("lowercase", {}, "Paris is the Capital of France.", ["paris is the capital of france."]),
    ("uppercase", {}, "Hello World, it is me.", ["HELLO WORLD"]),
    ("no_commas", {}, "Sure, here are 3 tips: eat well, sleep, and rest.\nIt costs $1,000, roughly.", ["eat well sleep and rest", "$1000 roughly"]),
    ("quoted", {}, "Hello there.\nI am fine.", ["Hello there.\nI am fine."]),
    ("quoted", {}, '"Hello there, I am fine.', ["Hello there, I am fine."]),
    ("ends_with", {"phrase": "Is there anything else I can help with?"}, "Here is my answer.\n\nIs there anything else I can help with? Let me know!\nBest,\nBot", ["Here is my answer."]),
    ("ends_with", {"phrase": "Is there anything else I can help with?"}, "Here is my answer.\n\n**is there anything else I can help with**", ["Here is my answer."]),
    ("ends_with", {"phrase": "Any other questions?"}, '"Here is my answer."', ["Here is my answer."]),
    ("ends_with", {"phrase": "in India."}, "Gujarat sun so bright\nlions roam the golden land\nsalt flats glow", ["lions roam the golden land"]),
    ("starts_with", {"phrase": "My answer is"}, "Yes, the poodle is smaller.", ["Yes, the poodle is smaller."]),
    ("postscript", {"marker": "P.P.S"}, "dear team, thanks for everything.", ["dear team, thanks for everything."]),
    ("postscript", {"marker": "P.S."}, ESSAY, [ESSAY]),
    ("title", {}, "## The Ocean\n\nThe waves roll in.", ["The Ocean", "The waves roll in."]),
    ("title", {}, POEM, [POEM]),
    ("repeats_request", {"request": "Write a haiku about the sea."}, "Waves crash on rocks", ["Waves crash on rocks"]),
    ("repeats_request", {"request": "Write a haiku about the sea."}, "write a haiku about the sea\nWaves crash on rocks", ["Waves crash on rocks"]),
    ("words", {"less_than": 25}, ESSAY, ["The ocean covers most of the planet"]),
    ("words", {"at_most": 3}, "The ocean is vast and deep.", ["The ocean is"]),
    ("sentences", {"less_than": 3}, ESSAY, ["The ocean covers", "Currents carry heat"]),
    ("characters", {"at_most": 80}, ESSAY, ["The ocean covers most of the planet"]),
    ("bullets", {"exactly": 3}, LIST, ["Here are some tips:", "Drink water.", "Eat greens.", "spinach", "Hope this helps!"]),
    ("bullets", {"exactly": 4}, NUMBERED, ["Tips:", "Drink water.", "Sleep well.", "Read a book."]),
    ("bullets", {"exactly": 3}, SMALL_TALK + ESSAY, ["Sure, here are some tips", "Currents carry heat", "Protecting it matters."]),
    ("bullets", {"exactly": 2}, "Pros:\n* cheap\n* fast\nCons:\n* loud\n* big", ["Pros:", "Cons:", "cheap", "big"]),
    ("highlights", {"at_least": 3}, ESSAY, ["Currents carry heat"]),
    ("highlights", {"at_least": 2}, "* Drink water.\n* Sleep well.", ["Drink water.", "Sleep well."]),
    ("placeholders", {"at_least": 3}, "Dear John,\nThanks for the call.\nBest,\nMe", ["Dear John,", "Thanks for the call."]),
    ("sections", {"marker": "SECTION", "at_least": 3}, ESSAY, ["Currents carry heat", "Protecting it matters."]),
    ("sections", {"marker": "Day", "at_least": 2}, "Day 1: Arrive in Paris. Visit the tower.\nThen rest. Eat well.", ["Arrive in Paris.", "Eat well."]),
    ("sections", {"marker": "Section", "exactly": 2}, "Section 1\nA.\nSection 2\nB.\nSection 3\nC.", ["A.", "B.", "C."]),
    ("divider_paragraphs", {"exactly": 3}, ESSAY, ["Currents carry heat", "Protecting it matters."]),
    ("divider_paragraphs", {"exactly": 2}, "One.\n***\n***\nTwo.\n***\nThree.", ["One.", "Two.", "Three."]),
    ("paragraphs", {"exactly": 1}, ESSAY, ["The ocean covers", "Protecting it matters."]),
    ("paragraphs", {"exactly": 4}, ESSAY, ["Many creatures live in the deep sea."]),
    ("json", {}, 'Here is the JSON:\n```json\n{"name": "Ann", "age": 3,}\n```\nHope it helps', ['"name": "Ann"']),
    ("json", {}, "{'a': 1, 'b': True}", ['"b": true']),
    ("json", {}, "I can't do that, sorry.", ["I can't do that, sorry."]),
    ("two_responses", {}, ESSAY, ["Currents carry heat", "Protecting it matters."]),
    ("two_responses", {}, "Tea.\n******\nCoffee.\n******\nWater.", ["Tea.", "Coffee.", "Water."]),
    ("keywords", {"keywords": ["mom", "mother"]}, "My mom is the best.", ["My mom is the best."]),
    ("forbidden_words", {"words": ["rock", "music"]}, "Rock music is loud. I love rock-solid music, rock.", ["Is loud. I love."]),
    ("forbidden_words", {"words": ["very"]}, "It is very good, very fast.", ["It is good, fast."]),
    ("keyword_frequency", {"keyword": "fake", "at_least": 3}, "This news is fake.", ["This news is fake."]),
    ("keyword_frequency", {"keyword": "right", "less_than": 2}, "The customer is right. Always right. Right!", ["The customer is right."]),
    ("capital_words", {"at_least": 3}, "This is a very important warning about the river.", ["IMPORTANT", "WARNING"]),
    ("capital_words", {"less_than": 2}, "THIS is a VERY IMPORTANT warning.", ["warning."]),
]
# fmt: on


@pytest.mark.parametrize(("name", "params", "text", "kept"), CASES)
def test_realistic_failing_outputs_are_repaired_and_keep_their_content(
    name: str, params: dict[str, Any], text: str, kept: list[str]
) -> None:
    repair, check = pair(name, **params)
    assert not check(text)[0]
    repaired = repair(text)
    assert check(repaired)[0], repaired
    for phrase in kept:
        assert phrase in repaired, (phrase, repaired)
    assert repair(repaired) == repaired


def test_what_cannot_be_repaired_is_returned_unchanged() -> None:
    assert st.repair_words("Too short.", at_least=50) == "Too short."
    assert st.repair_sentences("One.", exactly=3) == "One."
    assert st.repair_paragraphs("One.", exactly=3) == "One."
    assert st.repair_bullets("Word", exactly=3) == "Word"
    assert st.repair_two_responses("Once.") == "Once."
    assert st.repair_two_responses("Same.\n\nSame.") == "Same.\n\nSame."
    assert st.repair_quoted("   ") == "   "


def test_repairs_that_add_text_match_its_case_and_use_no_commas() -> None:
    assert st.repair_postscript("all quiet.").endswith("p.s. thank you for reading.")
    assert st.repair_keywords("ALL QUIET.", ["rain", "snow"]).endswith("KEY TERMS: RAIN AND SNOW.")
    added = st.repair_placeholders("no details yet.", at_least=4)
    assert st.check_lowercase(added)[0] and st.check_no_commas(added)[0]


def test_misuse_is_a_usage_error_not_a_silent_pass() -> None:
    with pytest.raises(st.UsageError):
        st.repair_words("some text", at_most=-1)
    with pytest.raises(st.UsageError):
        st.repair_ends_with("some text", "  ")


# ---------------------------------------------------------------- properties

WORDS = ["the", "The", "apple", "Apple", "sky", "blue", "very", "NASA", "I", "rock", "it's",
         "well-known", "1,000", "3.5", "Dr.", "naïve", "P.S.", "[name]", "*key*", '"quoted"']  # fmt: skip
sentence = hs.builds(
    lambda words, comma, end: (", " if comma else " ").join(words) + end,
    hs.lists(hs.sampled_from(WORDS), min_size=1, max_size=7),
    hs.booleans(),
    hs.sampled_from([".", "!", "?", "", "...", ":"]),
)
line = hs.one_of(
    hs.lists(sentence, min_size=1, max_size=4).map(" ".join),
    sentence.map(lambda s: f"* {s}"),
    sentence.map(lambda s: f"  - {s}"),
    sentence.map(lambda s: f"1. {s}"),
    sentence.map(lambda s: f"# {s}"),
    sentence.map(lambda s: f"<<{s}>>"),
    sentence.map(lambda s: f"P.S. {s}"),
    sentence.map(lambda s: f"SECTION 2 {s}"),
    hs.sampled_from(["***", "******", "---", "", "```json", "```", '{"a": 1}']),
)
texts = hs.builds(
    lambda parts, quoted: ('"{}"' if quoted else "{}").format("".join(parts)),
    hs.lists(hs.tuples(line, hs.sampled_from(["\n", "\n\n", " "])).map("".join), max_size=10),
    hs.booleans(),
)

PAIRS = [
    pair("lowercase"), pair("uppercase"), pair("no_commas"), pair("quoted"), pair("json"),
    pair("title"), pair("two_responses"),
    pair("ends_with", phrase="Is there anything else?"), pair("ends_with", phrase="in India."),
    pair("starts_with", phrase="Dear Ana"), pair("postscript", marker="P.S."),
    pair("postscript", marker="P.P.S"), pair("repeats_request", request="Name a fruit."),
    pair("words", at_most=5), pair("words", less_than=20), pair("words", exactly=3),
    pair("sentences", at_most=2), pair("sentences", less_than=4),
    pair("characters", at_most=40), pair("bullets", exactly=1), pair("bullets", exactly=3),
    pair("bullets", at_most=2), pair("highlights", at_least=2),
    pair("placeholders", at_least=2), pair("placeholders", at_most=1),
    pair("sections", marker="SECTION", at_least=2), pair("sections", marker="Part", exactly=3),
    pair("paragraphs", exactly=2), pair("paragraphs", at_most=1), pair("paragraphs", at_least=3),
    pair("divider_paragraphs", exactly=3), pair("keywords", keywords=["apple", "blue sky"]),
    pair("forbidden_words", words=["the", "very"]),
    pair("keyword_frequency", keyword="apple", at_least=2),
    pair("keyword_frequency", keyword="apple", less_than=2),
    pair("capital_words", at_least=3), pair("capital_words", less_than=2),
    (repair_constrained, check_constrained),
]  # fmt: skip


def _repaired_or_unchanged(text: str) -> None:
    for repair, check in PAIRS:
        out = repair(text)
        assert isinstance(out, str)
        if check(text)[0]:
            assert out == text, (repair, text)  # a passing text is left alone
        else:
            assert out == text or check(out)[0], (repair, text, out)
        assert repair(text) == out  # deterministic
        assert repair(out) == out or not check(out)[0]  # idempotent once it passes


@settings(max_examples=120, deadline=None)
@given(texts)
def test_every_repair_returns_a_passing_text_or_the_text_unchanged(text: str) -> None:
    _repaired_or_unchanged(text)


@settings(max_examples=60, deadline=None)
@given(hs.text(max_size=200))
def test_repairs_never_raise_on_arbitrary_text(text: str) -> None:
    _repaired_or_unchanged(text)


# ---------------------------------------------------------------- parsed requirements

# a requirement string, and a failing text its repair fixes
# fmt: off
PARSED = [
    ("Your entire response should be in English, and in all lowercase letters.", "Hello There."),
    ("Your entire response should be in English, and in all capital letters.", "Hello There."),
    ("In your response, words with all capital letters should appear at least 2 times.", "a b c"),
    ("In your entire response, refrain from the use of any commas.", "a, b"),
    ("Wrap your entire response with double quotation marks.", "hi"),
    ("Entire output should be wrapped in JSON format.", "hi"),
    ("Give two different responses. Responses and only responses should be separated by 6 asterisk symbols: ******.", "One. Two."),
    ("Finish your response with this exact phrase Any other questions?. No other words should follow this phrase.", "Hi."),
    ("Start your response with 'Dear Ana'", "Hi."),
    ("At the end of your response, please explicitly add a postscript starting with P.P.S", "Hi."),
    ("Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.", "Hi there."),
    ("Answer with less than 5 words.", "one two three four five six"),
    ("Your response should contain less than 2 sentences.", "One. Two."),
    ("at most 20 characters", "this one is far too long for it"),
    ("Your answer must contain exactly 2 bullet points. Use the markdown bullet points such as:\n* This is point 1. \n* This is point 2", "One. Two."),
    ("Highlight at least 2 sections in your answer with markdown, i.e. *highlighted section*.", "One. Two."),
    ("The response must contain at least 2 placeholders represented by square brackets, such as [address].", "Hi."),
    ("Your response must have 2 sections. Mark the beginning of each section with SECTION X.", "One. Two."),
    ("There should be 2 paragraphs. Paragraphs are separated with the markdown divider: ***", "One. Two."),
    ("Your response should contain exactly 2 paragraphs.", "One. Two."),
    ("Include keywords ['alpha', 'beta'] in the response.", "Hi."),
    ("Do not include keywords ['bad', 'worse'] in the response.", "Bad idea."),
    ("In your response, the word apple should appear at least 2 times.", "An apple."),
]
# fmt: on


def parsed(requirement: str) -> ParsedRequirement:
    found = parse_requirement(requirement)
    assert found is not None, requirement
    return found


def repair_of(requirement: ParsedRequirement) -> Repair:
    assert isinstance(requirement.repair, Repair), requirement
    return requirement.repair


@pytest.mark.parametrize(("requirement", "failing"), PARSED)
def test_parsed_requirements_carry_a_repair_with_the_checks_parameters(
    requirement: str, failing: str
) -> None:
    found = parsed(requirement)
    assert repair_of(found).name == found.name
    assert not found.check(failing)[0]
    assert found.check(repair_of(found)(failing))[0]


def test_every_family_with_a_repair_is_covered_and_letter_frequency_has_none() -> None:
    families = {parsed(requirement).family for requirement, _ in PARSED}
    assert families == set(st.FAMILIES) - {"keywords.letter_frequency"}
    assert parsed("the letter q at least 3 times").repair is None


def test_stages_put_word_edits_first_and_wrappers_last() -> None:
    stages = {parsed(r).family: repair_of(parsed(r)).stage for r, _ in PARSED}
    wrappers = {"startend.quotation", "format.json", "combination.two_responses"}
    assert {stages[family] for family in wrappers} == {max(stages.values())} == {2}
    assert stages["case.lowercase"] == stages["length.words"] == min(stages.values()) == 0
    assert stages["format.title"] == stages["content.postscript"] == 1
    # Start and end phrases come after everything that prepends or appends text.
    assert stages["startend.ends_with"] == stages["startend.starts_with"] == 2


def test_repair_is_a_frozen_value_left_out_of_equality_and_repr() -> None:
    found = parsed("Answer with less than 5 words.")
    assert dataclasses.replace(found, repair=None) == found
    assert "repair" not in repr(found)
    assert repr(repair_of(found)) == "Repair(name='lt_words_5', stage=0)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        repair_of(found).stage = 1  # type: ignore[misc]
    assert Repair.of(st.repair_json, "json").stage == 2
    assert Repair.of(lambda text: text, "custom").stage == 1  # unknown families: structure


def test_repairs_in_stage_order_satisfy_combined_requirements() -> None:
    """As codeplan applies them: by stage, keeping a repair only if nothing else breaks."""
    strings = [
        "Wrap your entire response with double quotation marks.",
        "Finish your response with this exact phrase Is there anything else?. No other words should follow this phrase.",
        "At the end of your response, please explicitly add a postscript starting with P.S.",
        "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.",
        "In your entire response, refrain from the use of any commas.",
        "Answer with less than 40 words.",
        "Your answer must contain exactly 2 bullet points. Use the markdown bullet points such as:\n* This is point 1. \n* This is point 2",
    ]
    found = [parsed(requirement) for requirement in strings]
    text = "Sure, here is a Poem about the sea, for you.\n\nWaves roll in. Gulls cry out. The tide turns."
    for requirement in sorted(found, key=lambda p: repair_of(p).stage):
        passing = {p.name for p in found if p.check(text)[0]}
        repaired = repair_of(requirement)(text)
        now = {p.name for p in found if p.check(repaired)[0]}
        if requirement.name in now and passing <= now:
            text = repaired
    assert all(p.check(text)[0] for p in found), text


# ---------------------------------------------------------------- IFEval, official verifier

BASES = {
    "prose": "Sure, here is my answer.\n\n" + ESSAY + "\n\nI hope this helps!",
    "markdown": (
        "# Ocean Facts\n\nHere are some facts:\n\n1. The ocean covers 71% of Earth.\n"
        "2. It holds most of the water, roughly 97%.\n3. **Currents** move heat around.\n\n"
        "---\n\nIn short, the ocean matters. Thanks for asking!"
    ),
    "poem": POEM,
    "letter": "Dear Sam,\n\nThank you for your letter, it made my day. I will visit next week "
    "and bring the photos from our trip.\n\nBest wishes,\nAnna",
}
RICH = {"prose", "markdown"}  # enough sentences and lines for every count IFEval asks for


def _failing(base: str, iid: str, k: dict[str, Any]) -> str:
    """A plausible output that misses instruction `iid`: the base, or it plus what is banned."""
    if iid == "change_case:capital_word_frequency":
        if k["capital_relation"] == "at least":
            return base.lower()
        return base + "\n" + " ".join(["WOW", "GREAT", "HUGE"] * k["capital_frequency"]) + "!"
    if iid == "keywords:forbidden_words":
        return base + "\nWe also mention " + " and ".join(k["forbidden_words"]) + "."
    if iid == "keywords:frequency" and k["relation"] == "less than":
        return base + "\n" + " ".join([k["keyword"]] * (k["frequency"] + 1)) + "."
    if iid == "length_constraints:number_words" and k["relation"] == "less than":
        return "\n\n".join([base] * (k["num_words"] // 30 + 2))
    if iid == "length_constraints:number_sentences" and k["relation"] == "less than":
        return "\n\n".join([base] * (k["num_sentences"] // 3 + 2))
    return base


def _convention_differs(iid: str, k: dict[str, Any], text: str) -> bool:
    """Whether our count and the official one differ on `text` by design: IFEval counts a
    keyword's substrings, punkt's sentences and nltk's tokens; we count whole words, our
    splitter's sentences and ``\\w`` runs."""
    util = verifiers().instructions_util
    if iid == "keywords:frequency":
        official = len(re.findall(k["keyword"], text, flags=re.IGNORECASE))
        return official != st.count_keyword(text, k["keyword"])
    if iid == "length_constraints:number_sentences":
        return util.count_sentences(text) != len(st.split_sentences(text))
    if iid == "change_case:capital_word_frequency":
        official = [w for w in util.nltk.word_tokenize(text) if w.isupper()]
        return len(official) != len(st.find_capital_words(text))
    return False


def test_repaired_ifeval_outputs_pass_our_checks_and_the_official_verifier() -> None:
    agreement: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for base_name, base in BASES.items():
        for prompt in load_prompts():
            for iid, raw in zip(prompt.instruction_id_list, prompt.kwargs, strict=True):
                kwargs = {key: value for key, value in raw.items() if value is not None}
                one = Prompt(prompt.key, prompt.prompt, (iid,), (kwargs,))
                (requirement,) = requirements_for(one)
                if requirement.repair is None or requirement.check is None:
                    continue
                text = _failing(base, iid, kwargs)
                if requirement.check(text)[0]:
                    continue
                repaired = requirement.repair(text)
                if repaired == text:  # only lower bounds, or too little text to split
                    assert base_name not in RICH or "at least" in kwargs.values(), (iid, kwargs)
                    continue
                assert requirement.check(repaired)[0], (iid, kwargs, repaired)
                official = score(one, repaired)["instruction_strict"][0]
                agreement[iid][0] += 1
                agreement[iid][1] += official
                assert official or _convention_differs(iid, kwargs, repaired), (iid, repaired)
    assert set(agreement) == set(BUILDERS) - {
        "language:response_language",
        "keywords:letter_frequency",
    }
    print("\nofficial strict verdicts on repaired outputs (agree/repaired):")
    for iid, (repaired_count, agreed) in sorted(agreement.items()):
        print(f"  {iid:48} {agreed:3}/{repaired_count:3}")
