"""The runtime end to end: real plan processes, real trio, real litellm with fake models."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import trio

import codeplan
from codeplan import Budget

ROOT = Path(__file__).resolve().parent.parent
_names = itertools.count()


def fresh(prefix: str, **options) -> str:
    """A scripted fake model with a unique name (the fake's registry is process-wide)."""
    return codeplan.fake_model(f"{prefix}-{next(_names)}", **options)


def run(plan: str, task: str = "task", **options) -> codeplan.Result:
    return codeplan.execute(plan, task, **options)


@pytest.fixture(scope="module", autouse=True)
def warm_litellm():
    """litellm's first call pays its import (seconds); keep that out of timed tests."""
    run("result = generate('warm up')\n", model="fake/echo")


def test_independent_calls_run_in_parallel():
    model = fresh("slow", reply=lambda messages: "draft", latency=0.3)
    result = run("drafts = [generate(TASK) for i in range(8)]\nresult = drafts\n", model=model)
    assert result.status == "ok", result.error
    assert result.output == ["draft"] * 8
    assert result.usage.calls == 8
    wall = result.graph.wall()
    assert wall < 0.3 * 1.6, f"8 calls of 0.3 s took {wall:.2f} s"
    path, length = result.graph.critical_path()
    assert len(path) == 1 and 0.29 < length < 0.5
    assert result.graph.parallelism() > 5


def test_graph_records_data_and_control_edges():
    model = fresh("edges", reply=lambda m: "text")
    plan = (
        "a = generate('one')\n"  # 1
        "b = generate(a)\n"  # 2: data edge 1 -> 2
        "v = validate(b)\n"  # 3: data edge 2 -> 3
        "if v.passed:\n"  # the plan waits on 3
        "    c = generate('after')\n"  # 4: control edge 3 -> 4
        "else:\n"
        "    c = generate('after')\n"
        "d = generate('free')\n"  # 5: control edge 3 -> 5 as well
        "result = [c, d]\n"
    )
    result = run(plan, model=model, requirements=[lambda text: True])
    assert result.status == "ok", result.error
    edges = {(e.source, e.target, e.kind) for e in result.graph.edges}
    assert edges == {(1, 2, "data"), (2, 3, "data"), (3, 4, "control"), (3, 5, "control")}
    assert [n.primitive for n in result.graph.nodes] == ["generate"] * 2 + ["validate"] + [
        "generate"
    ] * 2
    mermaid = result.graph.to_mermaid()
    assert "-.->" in mermaid and "-->" in mermaid


def test_best_of_stops_early_cancels_the_rest_and_costs_less():
    replies = ["GOOD draft"] + ["bad draft"] * 9
    passes = [lambda text: text.startswith("GOOD") or (False, "does not start with GOOD")]
    full = run(
        "result = best_of(8, TASK)\n",
        model=fresh("all", replies=replies, latency=0.2),
        requirements=passes,
        max_concurrency=2,
    )
    early = run(
        "result = best_of(8, TASK, stop_early=True)\n",
        model=fresh("early", replies=replies, latency=0.2),
        requirements=passes,
        max_concurrency=2,
    )
    assert full.status == early.status == "ok"
    assert len(full.output) == 8
    assert early.output[0] == "GOOD draft"
    assert early.usage.calls < full.usage.calls
    assert early.usage.usd < full.usage.usd
    assert early.usage.wall_seconds < full.usage.wall_seconds


def test_exhausting_the_budget_mid_fan_out():
    model = fresh("pricey", reply=lambda m: "a draft of some words", output_price=1e-3)
    result = run(
        "drafts = best_of(10, TASK, max_tokens=20)\n"
        "result = select(drafts, [validate(d) for d in drafts])\n",
        model=model,
        requirements=[lambda text: True],
        budget=Budget(usd=0.03),
        max_concurrency=1,
    )
    # each call costs ~0.005 but reserves its worst case, 20 tokens at 0.001 = 0.02;
    # best_of keeps the drafts the budget allowed and the plan selects among them
    assert result.status == "budget_exhausted"
    assert "usd limit of 0.03" in result.error
    assert result.output == "a draft of some words"
    assert result.usage.usd <= 0.03
    assert 0 < result.usage.calls < 10


def test_a_plan_that_dies_of_the_budget_returns_the_best_so_far():
    model = fresh("dies", replies=["first draft", "second draft", "third"] * 5, output_price=1e-3)
    plan = (
        "drafts = [generate(TASK, max_tokens=20) for i in range(10)]\n"
        "verdicts = [validate(d) for d in drafts]\n"
        "result = [str(d) for d in drafts]\n"
    )
    long_enough = [lambda text: len(text.split()) >= 2 or (False, "one word")]
    result = run(
        plan, model=model, requirements=long_enough, budget=Budget(usd=0.03), max_concurrency=1
    )
    assert result.status == "budget_exhausted"
    assert result.best_effort
    assert result.output in ("first draft", "second draft")  # validated and passing
    assert result.usage.usd <= 0.03


def test_a_plan_may_catch_budget_exceeded_and_return_what_it_has():
    model = fresh("catch", reply=lambda m: "words", output_price=1e-3)
    plan = (
        "kept = []\n"
        "for i in range(20):\n"
        "    try:\n"
        "        kept.append(str(generate(TASK, max_tokens=20)))\n"
        "    except BudgetExceeded:\n"
        "        break\n"
        "result = kept\n"
    )
    result = run(plan, model=model, budget=Budget(usd=0.03))
    assert result.status == "budget_exhausted"  # decided by the runtime, not the plan
    assert 5 < len(result.output) < 20 and all(x == "words" for x in result.output)
    assert not result.best_effort
    assert result.usage.usd <= 0.03


@pytest.mark.parametrize(
    "plan, fragment",
    [
        ("x = generate(TASK)\nraise ValueError('plan gave up')\nresult = x\n", "plan gave up"),
        ("result = boom(1)\n", "`boom` failed: RuntimeError: kaboom"),
        ("result = generate(TASK, temprature=0.5)\n", "did you mean `temperature`"),
        ("result = generate(TASK, max_tokens='many')\n", "argument `max_tokens`"),
    ],
)
def test_failures_end_in_a_result_with_a_clear_error(plan, fragment):
    @codeplan.primitive
    def boom(x: int) -> int:
        """Always fails."""
        raise RuntimeError("kaboom")

    result = run(plan, model=fresh("fail", reply=lambda m: "ok"), primitives=[boom])
    assert result.status == "error"
    assert fragment in result.error
    assert result.usage.calls == sum(n.calls for n in result.graph.nodes)


def test_a_model_that_times_out_or_returns_garbage():
    slow = fresh("timeout", reply=lambda m: "late", latency=2.0)
    client = codeplan._models.ModelClient(timeout=0.3, retries=0)
    result = codeplan.execute("result = str(generate(TASK))\n", "t", model=slow, client=client)
    assert result.status == "error"
    assert "did not answer" in result.error
    assert result.graph.nodes[0].status == "error"
    empty = fresh("garbage", reply=lambda m: "")
    result = run("result = str(generate(TASK))\n", model=empty)
    assert result.status == "error"
    assert "empty" in result.error.lower() or "garbage" in result.error.lower()


def test_user_primitive_and_smolagents_tool():
    from smolagents import Tool

    class Reverse(Tool):
        name = "reverse"
        description = "Reverse a string."
        inputs = {"text": {"type": "string", "description": "the text"}}  # noqa: RUF012
        output_type = "string"

        def forward(self, text: str) -> str:
            return text[::-1]

    @codeplan.primitive
    async def shout(text: str, times: int = 1) -> str:
        """Upper-case `text` and add `times` exclamation marks."""
        return text.upper() + "!" * times

    result = run(
        "result = [shout(reverse('abc'), times=2), shout('x')]\n",
        model="fake/echo",
        primitives=[shout, Reverse()],
    )
    assert result.status == "ok", result.error
    assert result.output == ["CBA!!", "X!"]
    reference = codeplan.api_reference([shout, Reverse()])
    assert "shout(text: str, times: int = 1)" in reference
    assert "Reverse a string." in reference


def test_identical_calls_are_served_from_the_cache():
    calls = []
    model = fresh("cached", reply=lambda m: calls.append(1) or "same")
    cache = codeplan.CallCache()
    plan = "result = [generate(TASK), generate(TASK, temperature=0.0)]\n"
    first = run(plan, model=model, cache=cache)
    second = run(plan, model=model, cache=cache)
    assert first.output == second.output == ["same", "same"]
    assert second.usage.calls == 0 and second.usage.cached_calls == 2
    assert second.usage.usd == 0
    assert all(n.cached for n in second.graph.nodes)


def test_a_failing_listener_is_detached_not_fatal():
    seen = []

    def good(event):
        seen.append(type(event).__name__)

    def bad(event):
        raise RuntimeError("listener bug")

    result = run("print('hi')\nresult = generate(TASK)\n", model="fake/echo", listeners=[bad, good])
    assert result.status == "ok"
    assert {"NodeStarted", "NodeFinished", "Spent", "Logged"} <= set(seen)


def test_bad_arguments_are_user_errors():
    with pytest.raises(codeplan.UserError, match="No model given"):
        codeplan.execute("result = 1\n", "t")
    with pytest.raises(codeplan.UserError, match="cannot be a primitive's name"):
        codeplan.primitive(lambda x: x, name="result")


def test_a_rejected_plan_returns_its_problems():
    result = run("result = genrate(TASK)\n", model="fake/echo")
    assert result.status == "rejected"
    assert any("did you mean `generate`" in p for p in result.problems)


def test_async_entry_points_for_trio_and_asyncio():
    plan, kw = "result = generate('ping')\n", {"model": "fake/echo"}

    async def under_trio():
        return await codeplan.execute_async(plan, "t", **kw)

    async def under_asyncio():
        return await codeplan.execute_async(plan, "t", **kw)

    assert trio.run(under_trio).output == "ping"
    assert asyncio.run(under_asyncio()).output == "ping"


def test_cli_exec_prints_the_result_as_json(tmp_path):
    plan = tmp_path / "plan.py"
    plan.write_text("result = generate(TASK)\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "codeplan",
            "exec",
            str(plan),
            "--task",
            "hello there",
            "--model",
            "fake/echo",
            "--budget-calls",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "ok"
    assert data["output"] == "hello there"
    assert data["usage"]["calls"] == 1


def test_tests_cannot_reach_the_network():
    import socket

    with socket.socket() as sock, pytest.raises(OSError, match="may not reach the network"):
        sock.connect(("192.0.2.1", 443))


def test_reruns_reuse_calls_by_default_and_cache_false_pays_again():
    model = fresh("rerun", reply=lambda m: "once")
    plan = "result = best_of(3, TASK)\n"
    first, again = run(plan, model=model), run(plan, model=model)
    assert first.usage.calls == 3 and again.usage.calls == 0 and again.usage.cached_calls == 3
    fresh_run = run(plan, model=model, cache=False)
    assert fresh_run.usage.calls == 3


def test_stdlib_tools_are_primitives():
    result = run(
        "result = [calculate('2 ** 10 + 1'), text_stats('One. Two three.')['words']]\n",
        model="fake/echo",
    )
    assert result.status == "ok", result.error
    assert result.output == [1025, 3]
