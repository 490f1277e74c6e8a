"""Code repairs, on-fail policies per requirement, and how each requirement was met.

Real runs: the default plan in the sandbox and the trio runtime, on scripted fake models
through litellm. Each scripted model counts its calls, so "no model call" is observed.
"""

from __future__ import annotations

import itertools

import pytest

import codeplan
import stdlib_tools
from codeplan import Requirement
from codeplan._repair import Lineage, outcomes, repair_text
from codeplan._requirements import as_requirement, verdict

_names = itertools.count()


class Script:
    """A fake model that answers drafts from a list and counts what it was asked."""

    def __init__(self, drafts: list[str], fixed: str = "FIXED BY THE MODEL") -> None:
        self.drafts = list(drafts)
        self.fixed = fixed
        self.generated = 0
        self.fixes = 0
        self.judged = 0
        self.model = codeplan.fake_model(f"repairs-{next(_names)}", reply=self)

    def __call__(self, messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        if "SCORE" in text:
            self.judged += 1
            return "SCORE: 9\nREASON: fine"
        if "Rewrite the draft" in text:
            self.fixes += 1
            return self.fixed
        draft = self.drafts[min(self.generated, len(self.drafts) - 1)]
        self.generated += 1
        return draft


def lower(text: str) -> tuple[bool, str]:
    return text == text.lower(), "has capitals" if text != text.lower() else "ok"


def at_most_words(n: int):
    def check(text: str) -> tuple[bool, str]:
        words = len(text.split())
        return words <= n, f"{words} words; at most {n}"

    return check


LOWER = Requirement(name="lower", description="all lowercase", check=lower, repair=str.lower)


def solve(script: Script, requirements: list[Requirement], **options) -> codeplan.Result:
    return codeplan.run(
        "Write something.", requirements=requirements, model=script.model, cache=False, **options
    )


# --- repair_text ---------------------------------------------------------------------


def test_repairs_apply_in_stage_order_and_compose():
    quoted = Requirement(
        name="quoted",
        description="wrapped in double quotes",
        check=lambda t: t.startswith('"') and t.endswith('"'),
        repair=stdlib_tools.Repair("quoted", 2, lambda t: f'"{t}"'),
    )
    ends = Requirement(
        name="ends",
        description="ends with 'bye.'",
        check=lambda t: t.strip('"').endswith("bye."),
        repair=stdlib_tools.Repair("ends", 1, lambda t: t + " bye."),
    )
    text, applied = repair_text("Hello There", [quoted, ends, LOWER])
    assert text == '"hello there bye."'
    assert applied == ["ends", "lower", "quoted"]  # plain functions are stage 1


def test_a_repair_that_breaks_a_passing_requirement_is_not_kept():
    short = Requirement(name="short", description="at most 3 words", check=at_most_words(3))
    ending = Requirement(
        name="ending",
        description="ends with 'thank you for reading.'",
        check=lambda t: t.endswith("thank you for reading."),
        repair=lambda t: t + " thank you for reading.",
    )
    text, applied = repair_text("three small words", [short, ending])
    assert (text, applied) == ("three small words", [])
    # Without the word limit the same repair is kept.
    assert repair_text("three small words", [ending])[1] == ["ending"]


def test_a_repair_that_raises_or_does_not_take_leaves_the_draft():
    def broken(text: str) -> str:
        raise RuntimeError("bug in a user's repair")

    boom = Requirement(name="boom", description="x", check=lambda t: "x" in t, repair=broken)
    useless = Requirement(name="useless", description="y", check=lambda t: "y" in t, repair=str)
    assert repair_text("abc", [boom, useless]) == ("abc", [])


def test_only_fix_and_repair_policies_are_repaired_and_a_dropped_draft_is_left_alone():
    warn = LOWER.model_copy(update={"on_fail": "warn"})
    fail = LOWER.model_copy(update={"on_fail": "fail"})
    only_code = LOWER.model_copy(update={"on_fail": "repair"})
    assert repair_text("ABC", [warn])[0] == "ABC"
    assert repair_text("ABC", [fail])[0] == "ABC"
    assert repair_text("ABC", [only_code])[0] == "abc"
    gate = Requirement(name="gate", description="says ok", check=lambda t: "ok" in t.lower())
    dropper = gate.model_copy(update={"on_fail": "drop"})
    assert repair_text("ABC", [LOWER, dropper])[0] == "ABC"  # dropped: not worth repairing
    assert repair_text("ABC OK", [LOWER, dropper])[0] == "abc ok"


def test_string_requirements_of_known_forms_carry_a_stdlib_repair():
    requirement = as_requirement("Your entire response should be in lowercase letters.")
    assert requirement.repair is not None
    assert requirement.repair("Hello World") == "hello world"
    assert as_requirement("Make it funny.").repair is None


# --- the verdict -----------------------------------------------------------------------


def test_the_verdict_says_dropped_warnings_and_fatal():
    def result(name: str, passed: bool, on_fail: str) -> dict:
        return {"name": name, "passed": passed, "score": float(passed), "reason": "",
                "mandatory": True, "on_fail": on_fail}  # fmt: skip

    v = verdict([result("a", True, "fix"), result("w", False, "warn")])
    assert v["passed"] and v["warnings"] == ["w"] and not v["dropped"] and v["fatal"] == []
    v = verdict([result("d", False, "drop"), result("f", False, "fail")])
    assert not v["passed"] and v["dropped"] and v["fatal"] == ["f"]


# --- policies in real runs ---------------------------------------------------------------


def test_fix_tries_code_repairs_before_a_model_call():
    script = Script(["SHOUTED DRAFT"] * 4)
    result = solve(script, [LOWER], max_concurrency=1)
    assert result.passed, result.verdict
    assert result.output == "shouted draft"
    assert script.fixes == 0
    # One call at a time (as on the embedded model): the first repaired draft passes, so
    # `best_of(..., stop_early=True)` never starts the others.
    assert script.generated == 1 and result.usage.calls == 1
    [outcome] = result.outcomes
    assert (outcome.name, outcome.passed, outcome.how) == ("lower", True, "repaired")


def test_the_model_is_asked_to_fix_what_code_cannot_repair():
    mention = Requirement(
        name="mention", description="mention Acme", check=lambda t: "acme" in t.lower()
    )
    script = Script(["A DRAFT"] * 4, fixed="Acme Makes It")
    result = solve(script, [LOWER, mention], max_rewrites=0)
    assert script.fixes >= 1
    assert result.passed, result.verdict
    assert result.output == "acme makes it"  # the model's fix, then repaired in code
    how = {o.name: o.how for o in result.outcomes}
    assert how == {"mention": "fixed", "lower": "repaired"}


def test_repair_policy_never_spends_a_model_call():
    short = Requirement(
        name="short", description="at most 2 words", check=at_most_words(2), on_fail="repair"
    )
    script = Script(["far too many words here"] * 4)
    result = solve(script, [short], max_rewrites=0)
    assert script.fixes == 0
    assert not result.passed
    assert [(o.name, o.how) for o in result.outcomes] == [("short", "unmet")]


def test_drop_policy_ditches_drafts_and_select_never_returns_one():
    polite = Requirement(
        name="polite", description="says please", check=lambda t: "please" in t, on_fail="drop"
    )
    script = Script(["rude one", "rude two", "please, a polite one", "rude three"])
    result = solve(script, [polite], candidates=4, max_rewrites=0)
    assert result.passed and result.output == "please, a polite one"
    assert script.fixes == 0


def test_when_every_draft_is_dropped_the_run_says_so():
    polite = Requirement(
        name="polite", description="says please", check=lambda t: "please" in t, on_fail="drop"
    )
    script = Script(["rude"] * 8)
    result = solve(script, [polite], candidates=2, max_rewrites=0)
    assert result.status == "error"
    assert "dropped" in result.error and "polite" in result.error
    assert script.fixes == 0


def test_warn_policy_accepts_the_output_with_a_warning():
    mention = Requirement(
        name="mention", description="mention Acme", check=lambda t: "Acme" in t, on_fail="warn"
    )
    script = Script(["a plain draft"] * 4)
    result = solve(script, [mention], max_concurrency=1)
    assert result.status == "ok" and result.passed
    assert script.fixes == 0 and script.generated == 1
    assert len(result.warnings) == 1 and "mention" in result.warnings[0]
    assert [(o.name, o.passed, o.how) for o in result.outcomes] == [("mention", False, "unmet")]


def test_fail_policy_fails_the_run_without_fixing_or_rewriting():
    mention = Requirement(
        name="mention", description="mention Acme", check=lambda t: "Acme" in t, on_fail="fail"
    )
    script = Script(["a plain draft"] * 4)
    planner = codeplan.fake_model(
        f"planner-{next(_names)}", reply=lambda m: "```python\nresult = generate(TASK)\n```"
    )
    result = solve(script, [mention], planner_model=planner, max_rewrites=2)
    assert result.status == "error"
    assert "on_fail is 'fail'" in result.error
    assert len(result.plans) == 1  # not rewritten
    assert script.fixes == 0


def test_a_met_requirement_is_credited_to_the_generated_draft():
    script = Script(["already lowercase"])
    result = solve(script, [LOWER], max_concurrency=1)
    assert [(o.how, o.passed) for o in result.outcomes] == [("generated", True)]


def test_outcomes_follow_the_lineage_back_to_the_first_text_that_met_it():
    lineage = Lineage()
    lineage.add("Draft", "generated")
    lineage.add("draft", "repaired", parent="Draft")
    lineage.add("draft, acme", "fixed", parent="draft")
    mention = Requirement(name="mention", description="acme", check=lambda t: "acme" in t)
    results = [
        {"name": "lower", "passed": True, "score": 1.0, "reason": "", "mandatory": True},
        {"name": "mention", "passed": True, "score": 1.0, "reason": "", "mandatory": True},
    ]
    met = outcomes("draft, acme", verdict(results), [LOWER, mention], lineage)
    assert {o.name: o.how for o in met} == {"lower": "repaired", "mention": "fixed"}
    # Text the plan built itself has no lineage.
    assert outcomes("plan-made acme", verdict(results), [mention], lineage)[0].how == "plan"


def test_plans_can_call_repair_and_fix_themselves():
    script = Script(["LOUD"])
    plan = "d = generate(TASK)\nr = repair(d)\nresult = [d, r, fix(d)]\n"
    result = codeplan.execute(plan, "Write.", model=script.model, requirements=[LOWER], cache=False)
    assert result.status == "ok", result.error
    assert result.output == ["LOUD", "loud", "loud"]
    assert script.fixes == 0


@pytest.mark.parametrize("policy", ["fix", "repair", "drop", "warn", "fail"])
def test_every_policy_is_accepted_and_a_wrong_one_is_refused(policy):
    assert Requirement(name="n", description="d", on_fail=policy).on_fail == policy


def test_an_unknown_policy_names_the_choices():
    with pytest.raises(ValueError, match="'fix', 'repair', 'drop', 'warn' or 'fail'"):
        Requirement(name="n", description="d", on_fail="retry")


def test_stop_early_with_parallel_calls_keeps_every_draft_that_arrived():
    script = Script(["SHOUTED DRAFT"] * 4)
    result = solve(script, [LOWER], max_concurrency=8)
    assert result.passed and script.fixes == 0
    assert result.output == "shouted draft"


def test_the_planner_sees_each_requirements_policy_and_repair():
    from codeplan import _planner

    requirements = [
        as_requirement("all lowercase"),
        Requirement(name="polite", description="says please", on_fail="drop"),
    ]
    prompt = _planner.plan_prompt("Write.", requirements, "REFERENCE", {"calls": 5}, "")
    assert "all_lowercase: all lowercase [code check, free; repairable in code; on_fail=fix]" in (
        prompt
    )
    assert "polite: says please [judged by the model; on_fail=drop]" in prompt
    assert "repair" in codeplan.api_reference()  # the primitive is in the planner's API
