"""codeplan.run end to end with scripted planner and worker models (real litellm path)."""

from __future__ import annotations

import itertools

import pytest

import codeplan
from codeplan import Budget
from codeplan._planner import extract_code

_names = itertools.count()


def fresh(prefix: str, **options) -> str:
    return codeplan.fake_model(f"{prefix}-{next(_names)}", **options)


def worker(messages) -> str:
    text = messages[-1]["content"]
    if "SCORE" in text:  # asked to judge
        return "SCORE: 9\nREASON: fine"
    return "Acme makes these." if "Acme" in text else "A plain text."


def mentions_acme(text: str):
    return ("Acme" in text, "mentions Acme" if "Acme" in text else "does not mention Acme")


def test_a_failing_plan_is_rewritten_and_the_second_passes():
    seen: list[str] = []

    def planner(messages):
        seen.append(messages[-1]["content"])
        if len(seen) == 1:
            return "Here is my plan:\n```python\nresult = generate('Write about headphones.')\n```"
        return (
            "```python\nfirst = generate('Write about headphones.')\n"
            "result = generate('Rewrite it and mention Acme: ' + first)\n```"
        )

    result = codeplan.run(
        "Describe the X1 headphones.",
        requirements=[mentions_acme],
        model=fresh("work", reply=worker),
        planner_model=fresh("plan", reply=planner),
    )
    assert result.status == "ok", result.error
    assert result.passed
    assert result.output == "Acme makes these."
    assert [a.passed for a in result.plans] == [False, True]
    first, second = result.plans
    assert first.verdict["results"][0]["reason"] == "does not mention Acme"
    # the rewrite saw the old plan, what happened, and the verdict
    assert "YOUR PREVIOUS PLAN" in seen[1] and "does not mention Acme" in seen[1]
    assert "#1 generate(" in seen[1]
    # the second plan's first call is the first plan's call: served from the cache
    assert second.usage.cached_calls == 1
    assert second.graph.nodes[0].cached
    assert result.usage.calls == first.usage.calls + 1 + 2  # + one new call + 2 planner calls


def test_unusable_planner_replies_are_sent_back_and_fixed():
    seen: list[str] = []
    replies = iter(
        [
            "I would start by thinking about the task.",  # no code at all
            "```python\nresult = genrate(TASK)\n```",  # rejected by the static check
            "```python\nresult = generate(TASK)\n",  # truncated fence, but valid
        ]
    )

    def planner(messages):
        seen.append(messages[-1]["content"])
        return next(replies)

    result = codeplan.run(
        "Mention Acme.",
        requirements=[mentions_acme],
        model=fresh("work", reply=worker),
        planner_model=fresh("plan", reply=planner),
    )
    assert result.status == "ok", result.error
    assert result.plans[0].source == "result = generate(TASK)\n"
    assert "unknown name `genrate` — did you mean `generate`?" in seen[2]
    assert len(seen) == 3


def test_a_planner_that_never_writes_a_plan_falls_back_to_the_default_plan():
    result = codeplan.run(
        "Mention Acme.",
        requirements=[mentions_acme],
        model=fresh("work", reply=worker),
        planner_model=fresh("plan", reply=lambda m: "no code, sorry"),
    )
    assert result.plans[0].planner == "default plan (the planner failed)"
    assert result.passed


def test_without_a_planner_model_the_default_plan_runs():
    result = codeplan.run(
        "Mention Acme.", requirements=[mentions_acme], model=fresh("work", reply=worker)
    )
    assert result.status == "ok", result.error
    assert result.plans[0].planner == "default plan"
    assert "best_of(CANDIDATES, TASK" in result.plans[0].source
    assert result.passed
    assert [n.primitive for n in result.graph.nodes][:1] == ["best_of"]


def test_budget_exhausted_during_a_rewrite_returns_the_best_so_far():
    planner = fresh(
        "pricey-plan",
        reply=lambda m: "```python\nresult = generate('plain please')\n```",
        input_price=1e-6,
        output_price=1e-3,  # a plan reserves 1024 tokens: just over $1.024
    )
    result = codeplan.run(
        "Describe the X1.",
        requirements=[mentions_acme],
        model=fresh("work", reply=worker),
        planner_model=planner,
        budget=Budget(usd=1.03),  # room for the first plan, not for a rewrite too
    )
    assert result.status == "budget_exhausted"
    assert len(result.plans) == 1
    assert result.output == "A plain text."
    assert not result.passed
    assert result.usage.usd <= 1.03


@pytest.mark.parametrize(
    "reply, code",
    [
        ("```python\nx = 1\n```\nthat's it", "x = 1\n"),
        ("```py\nx = 1\n", "x = 1\n"),
        ("```\nx = 1\n```", "x = 1\n"),
        ("x = 1", "x = 1\n"),
    ],
)
def test_extract_code(reply, code):
    assert extract_code(reply) == code


def test_run_rejects_bad_arguments():
    with pytest.raises(codeplan.UserError, match="non-empty"):
        codeplan.run("  ", model="fake/echo")
    with pytest.raises(codeplan.UserError, match="max_rewrites"):
        codeplan.run("x", model="fake/echo", max_rewrites=-1)


def test_requirement_strings_of_known_forms_become_code_checks():
    from codeplan._requirements import as_requirement

    words = as_requirement("at most 5 words")
    assert words.check is not None and words.name == "max_words_5"
    assert words.check("one two three")[0] and not words.check("a b c d e f")[0]
    judged = as_requirement("formal tone")
    assert judged.check is None and judged.description == "formal tone"
    # and a run validates them without any judge call
    result = codeplan.run(
        "say hi", requirements=["at most 5 words", "all lowercase"],
        model=fresh("work", reply=lambda m: "hi there"),
    )  # fmt: skip
    assert result.passed
    assert {r["name"] for r in result.verdict["results"]} == {"max_words_5", "all_lowercase"}


def test_run_async_under_trio_and_asyncio():
    import asyncio

    import trio

    model = fresh("async", reply=lambda m: "hi there")

    async def main():
        return await codeplan.run_async("say hi", requirements=["at most 5 words"], model=model)

    assert trio.run(main).passed
    assert asyncio.run(main()).passed


def test_run_with_the_embedded_default_model():
    """The real embedded model, end to end: no key, no network, no cost."""
    result = codeplan.run(
        "Name one colour.", requirements=["at most 40 words"], budget=Budget(seconds=300)
    )
    assert result.status == "ok", result.error
    assert isinstance(result.output, str) and result.output.strip()
    assert result.plans[0].planner == "default plan"
    assert result.usage.usd == 0 and result.usage.calls >= 1
    assert result.verdict["results"][0]["name"] == "max_words_40"
