"""IFEval groundwork: the pinned data, stratified subsets, and the official verifiers, offline."""

from __future__ import annotations

import doctest
import hashlib
from typing import Any

import nltk
import pytest

from bench.ifeval import data, official, offline_nltk
from bench.ifeval.data import (
    DATA_SHA256,
    IFEvalDataError,
    Prompt,
    instruction_ids,
    load_prompts,
    stratified_subset,
)
from bench.ifeval.official import score


@pytest.fixture(scope="module")
def prompts() -> list[Prompt]:
    return load_prompts()


def one(instruction_id: str, **kwargs: Any) -> Prompt:
    """A hand-made prompt with a single instruction."""
    return Prompt(key=0, prompt="Answer.", instruction_id_list=(instruction_id,), kwargs=(kwargs,))


def test_data_is_the_pinned_541_prompts(prompts):
    assert len(prompts) == 541
    assert hashlib.sha256(data.data_path().read_bytes()).hexdigest() == DATA_SHA256
    assert len({p.key for p in prompts}) == 541
    assert all(len(p.instruction_id_list) == len(p.kwargs) >= 1 for p in prompts)
    registry = official.verifiers().instructions_registry.INSTRUCTION_DICT
    assert instruction_ids(prompts) == set(registry)  # all 25 types, none unknown
    assert len(instruction_ids(prompts)) == 25


def test_a_changed_data_file_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "input_data.jsonl"
    changed.write_bytes(data.data_path().read_bytes() + b"\n")
    monkeypatch.setattr(data, "data_path", lambda: changed)
    with pytest.raises(IFEvalDataError, match=r"sha256 .* not the pinned .* Reinstall"):
        load_prompts()


def test_stratified_subset_covers_every_instruction_id_deterministically(prompts):
    subset = stratified_subset(prompts, 30, seed=7)
    assert len(subset) == len({p.key for p in subset}) == 30
    assert instruction_ids(subset) == instruction_ids(prompts)
    assert subset == stratified_subset(prompts, 30, seed=7)
    assert subset != stratified_subset(prompts, 30, seed=8)
    assert [p.key for p in subset] == sorted(p.key for p in subset)
    assert stratified_subset(prompts, 541, seed=0) == sorted(prompts, key=lambda p: p.key)


def test_a_subset_too_small_to_cover_says_the_minimum(prompts):
    with pytest.raises(ValueError, match=r"covering all 25 instruction ids needs at least \d+"):
        stratified_subset(prompts, 3, seed=0)


def test_lowercase_passes_and_a_capital_fails():
    lower = one("change_case:english_lowercase")
    text = "this answer is written in english, entirely in lowercase letters, as asked."
    assert score(lower, text)["prompt_strict"] is True
    assert score(lower, "This" + text[4:])["prompt_strict"] is False


def test_no_comma():
    no_comma = one("punctuation:no_comma")
    assert score(no_comma, "There is not a single comma in this reply.")["prompt_strict"] is True
    assert score(no_comma, "Here, a comma.")["prompt_strict"] is False


def test_loose_forgives_a_first_line_and_asterisks_strict_does_not():
    no_comma = one("punctuation:no_comma")
    verdict = score(no_comma, "Sure, here it is:\nA reply without any commas.")
    assert verdict == {
        "prompt_strict": False,
        "prompt_loose": True,
        "instruction_strict": [False],
        "instruction_loose": [True],
    }
    quoted = one("startend:quotation")
    assert score(quoted, '**"Wrapped in quotes."**')["instruction_loose"] == [True]
    assert score(quoted, '**"Wrapped in quotes."**')["instruction_strict"] == [False]


def test_an_empty_response_fails_everything():
    verdict = score(one("punctuation:no_comma"), "   ")
    assert not verdict["prompt_strict"] and not verdict["prompt_loose"]


def test_a_real_prompt_passes_when_every_instruction_is_followed(prompts):
    first = prompts[0]  # key 1000: no commas, 3 highlighted sections, at least 300 words
    assert first.instruction_id_list == (
        "punctuation:no_comma",
        "detectable_format:number_highlighted_sections",
        "length_constraints:number_words",
    )
    body = " ".join(["Raymond ruled Tripoli and fought for the crown."] * 40)
    response = f"*Early life*\n{body}\n*Regency*\n{body}\n*Legacy*\n{body}"
    verdict = score(first, response)
    assert verdict["instruction_strict"] == [True, True, True]
    assert score(first, response.replace("Tripoli", "Tripoli,", 1))["instruction_strict"] == [
        False,
        True,
        True,
    ]


@pytest.fixture
def nltk_data_forbidden(monkeypatch):
    """Any attempt to find, load or download nltk data fails the test."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"nltk data was requested: {args!r}")

    official.verifiers()  # loaded first: loading must not need the data either
    monkeypatch.setattr(nltk.data, "load", forbidden)
    monkeypatch.setattr(nltk.data, "find", forbidden)
    monkeypatch.setattr(nltk, "download", forbidden)


def test_sentence_counts_use_the_offline_punkt(nltk_data_forbidden):
    util = official.verifiers().instructions_util
    assert util.count_sentences is offline_nltk.count_sentences
    # punkt's English abbreviations keep "Dr.", "Mr." and "p.m." inside a sentence
    text = "Dr. Smith met Mr. Jones at 5 p.m. on Monday. They talked."
    assert util.count_sentences(text) == 2
    fewer_than_3 = one("length_constraints:number_sentences", relation="less than", num_sentences=3)
    assert score(fewer_than_3, text)["prompt_strict"] is True
    assert score(fewer_than_3, text + " Then left.")["prompt_strict"] is False


def test_capital_words_use_the_offline_word_tokenizer(nltk_data_forbidden):
    at_least_3 = one(
        "change_case:capital_word_frequency", capital_relation="at least", capital_frequency=3
    )
    assert score(at_least_3, "I said STOP. Then WAIT, please.")["prompt_strict"] is True
    assert score(at_least_3, "I said stop. Then WAIT, please.")["prompt_strict"] is False
    assert nltk.word_tokenize is not offline_nltk.word_tokenize  # the real nltk is untouched
    with pytest.raises(RuntimeError, match="may not be downloaded"):
        official.verifiers().instructions_util.nltk.download("punkt")


def test_language_detection_works_offline_and_is_seeded():
    french = one("language:response_language", language="fr")
    text = "Bonjour, je suis très heureux de vous répondre aujourd'hui en français."
    assert score(french, text)["prompt_strict"] is True
    assert score(one("language:response_language", language="de"), text)["prompt_strict"] is False
    from langdetect import DetectorFactory

    assert DetectorFactory.seed == official.LANGDETECT_SEED


@pytest.mark.parametrize("module", [data, official, offline_nltk])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, raise_on_error=False, verbose=False)
    assert result.attempted > 0 and result.failed == 0
