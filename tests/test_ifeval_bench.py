"""The IFEval comparison harness: requirements from instructions, the arms, the result files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.ifeval import load_prompts
from bench.ifeval.arms import ARMS, run_arms
from bench.ifeval.data import Prompt, instruction_ids
from bench.ifeval.official import score
from bench.ifeval.report import ratio, svg_plot
from bench.ifeval.requirements import (
    BUILDERS,
    code_checks_pass,
    positions,
    requirement_name,
    requirements_for,
)
from bench.ifeval.run import parser, run_benchmark

JUDGED = {"language:response_language"}
UNREPAIRED = {"language:response_language", "keywords:letter_frequency"}


def _prompt(iid: str, kwargs: dict[str, Any], key: int = 1) -> Prompt:
    return Prompt(key=key, prompt="Write something.", instruction_id_list=(iid,), kwargs=(kwargs,))


def test_every_instruction_of_the_data_gets_a_check_or_a_description() -> None:
    prompts = load_prompts()
    assert instruction_ids(prompts) <= set(BUILDERS)
    for prompt in prompts:
        requirements = requirements_for(prompt)
        assert len(requirements) == len(prompt.instruction_id_list)
        for position, (iid, requirement) in enumerate(
            zip(prompt.instruction_id_list, requirements, strict=True)
        ):
            assert requirement.name == requirement_name(position, iid)
            assert requirement.description.strip()
            assert (requirement.check is None) == (iid in JUDGED), iid
            assert (requirement.repair is None) == (iid in UNREPAIRED), iid
            if requirement.check is not None:
                passed, reason = requirement.check("A short reply.")
                assert isinstance(passed, bool) and reason
        assert positions(prompt) == dict(enumerate(prompt.instruction_id_list))


CRAFTED = [
    ("punctuation:no_comma", {}, "No commas here at all.", "Yes, a comma."),
    (
        "length_constraints:number_words",
        {"relation": "less than", "num_words": 5},
        "one two three",
        "one two three four five six",
    ),
    (
        "length_constraints:number_words",
        {"relation": "at least", "num_words": 4},
        "one two three four",
        "one two three",
    ),
    (
        "change_case:english_lowercase",
        {},
        "this is a plain english sentence about the weather in the city today.",
        "This Is A Plain English Sentence About The Weather In The City Today.",
    ),
    ("keywords:existence", {"keywords": ["apple", "pear"]}, "Apple and pear.", "Only apple."),
    ("detectable_format:title", {}, "<<My Title>>\nSome text.", "My Title\nSome text."),
    ("startend:quotation", {}, '"hello there"', "hello there"),
    ("detectable_format:json_format", {}, '{"a": 1}', "not json at all"),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "One.\n***\nTwo.", "One."),
    ("combination:two_responses", {}, "First answer.\n******\nSecond answer.", "Only one."),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n* b", "* a"),
    (
        "keywords:letter_frequency",
        {"letter": "z", "let_frequency": 2, "let_relation": "at least"},
        "zz top",
        "no such letter",
    ),
    ("detectable_content:number_placeholders", {"num_placeholders": 1}, "At [place].", "Nowhere."),
    (
        "detectable_format:constrained_response",
        {},
        "Probably. My answer is maybe.",
        "My answer is Maybe.",
    ),
]


@pytest.mark.parametrize(("iid", "kwargs", "passing", "failing"), CRAFTED)
def test_codeplan_checks_agree_with_the_official_verifier_on_crafted_texts(
    iid: str, kwargs: dict[str, Any], passing: str, failing: str
) -> None:
    prompt = _prompt(iid, kwargs)
    (requirement,) = requirements_for(prompt)
    assert requirement.check is not None
    for text, expected in ((passing, True), (failing, False)):
        assert score(prompt, text)["instruction_strict"] == [expected], (iid, text)
        assert requirement.check(text)[0] is expected, (iid, text)
    assert code_checks_pass([requirement], passing)
    assert not code_checks_pass([requirement], failing)


def test_sequential_stops_at_the_first_output_that_passes() -> None:
    # fake/echo answers with the prompt itself, which has no comma: the first call passes.
    prompt = _prompt("punctuation:no_comma", {})
    outcomes = run_arms(prompt, ["sequential"], model="fake/echo", candidates=4)
    assert outcomes["sequential"].calls == 1
    assert outcomes["sequential"].extra == {"attempts": 1, "call_budget": 6}


def test_arms_share_the_drafts_and_sequential_gets_the_default_plans_generations() -> None:
    prompt = _prompt("punctuation:no_comma", {})
    failing = Prompt(key=2, prompt="Say a, b.", instruction_id_list=prompt.instruction_id_list,
                     kwargs=prompt.kwargs)  # fmt: skip
    arms = ["select", "oracle", "codeplan", "sequential"]
    outcomes = run_arms(failing, arms, model="fake/echo", candidates=4, calls=12)
    # The echo never loses its comma: sequential spends the 4 drafts + 2 fixes' worth.
    assert outcomes["sequential"].calls == 6
    assert outcomes["select"].calls == outcomes["oracle"].calls == 4
    # codeplan's best_of found the shared drafts in its cache (the keys match) and is
    # charged for those it consumed, as drawn.
    used = outcomes["codeplan"].extra["drafts_used"]
    assert 1 <= used <= 4 and outcomes["codeplan"].calls >= used
    assert outcomes["codeplan"].tokens >= outcomes["select"].tokens * used // 4
    assert [o.status for o in outcomes.values()] == ["ok"] * 4


def test_a_tiny_run_writes_json_markdown_and_plot_for_all_arms(tmp_path: Any) -> None:
    prompts = load_prompts()[:3]
    summary, paths = run_benchmark(
        prompts, model="fake/echo", candidates=2, calls=4, out=tmp_path, name="tiny",
        show_progress=False,
    )  # fmt: skip
    assert {p.name for p in paths.values()} == {
        "tiny.json",
        "tiny.md",
        "tiny_accuracy_vs_tokens.svg",
    }
    data = json.loads(paths["json"].read_text())
    assert set(data) == {
        "config", "totals", "ratios", "satisfied", "median_wall_ratios", "agreement", "prompts",
    }  # fmt: skip
    assert list(data["totals"]) == list(ARMS)
    for totals in data["totals"].values():
        assert {"prompt_strict", "prompt_loose", "instruction_strict", "instruction_loose",
                "tokens", "calls", "wall_seconds", "tokens_per_prompt"} <= set(totals)  # fmt: skip
        assert totals["prompts"] == 3 and totals["crashed"] == 0
    assert set(data["ratios"]) == {f"codeplan/{a}" for a in ARMS if a != "codeplan"}
    assert {i for p in prompts for i in p.instruction_id_list} == set(data["agreement"])
    row = data["prompts"][0]
    assert set(row["arms"]) == set(ARMS)
    assert {"output", "tokens", "calls", "wall_seconds", "score", "code_verdicts"} <= set(
        row["arms"]["codeplan"]
    )
    markdown = paths["markdown"].read_text()
    assert "| codeplan |" in markdown and "codeplan/sequential" in markdown
    assert paths["plot"].read_text().startswith("<svg")
    assert summary["config"]["model"] == "fake/echo"


def test_the_command_line_options() -> None:
    args = parser().parse_args(["--n", "12", "--calls", "8", "--arms", "single,codeplan"])
    assert (args.n, args.calls, args.arms, args.full) == (12, 8, ["single", "codeplan"], False)
    with pytest.raises(SystemExit):
        parser().parse_args(["--arms", "bogus"])


def test_report_helpers() -> None:
    assert ratio(1.0, 0) is None and ratio(3.0, 1.5) == 2.0
    totals = {"single": {"tokens_per_prompt": 10.0, "prompt_strict": 0.5}}
    assert "single" in svg_plot(totals)
