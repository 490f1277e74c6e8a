"""Estimates before running: simulated runs against real ones on plans of known shapes.

Every real run here uses scripted fake models with a fixed latency through the real litellm
path, and `cache=False` so that identical calls are not served twice for free. Tolerances,
once the store has learned from one real run of the same model: calls exact (where the
plan's shape is fixed; inside [low, high] where it branches), tokens and dollars within
15 %, latency within 25 % of the real run's wall time.
"""

from __future__ import annotations

import itertools
import json
import logging

import pytest
from click.testing import CliRunner

import codeplan
from codeplan import Budget
from codeplan._cli import main
from codeplan._fake import fake_calls
from codeplan._graph import Graph
from codeplan._simulate import SimulatedCall, schedule
from codeplan._store import MAX_SAMPLES, ModelStats, StatsStore

TOKENS = 0.15
LATENCY = 0.25
_names = itertools.count()

DRAFT = "Dear reader, our green tea is calm, fresh and kind to the morning."  # 13 words
BEST_OF_FIX = """\
drafts = best_of(4, TASK)
verdicts = [validate(d) for d in drafts]
best = select(drafts, verdicts)
verdict = validate(best)
if not verdict.passed:
    best = fix(best, verdict)
result = best
"""
DAG = """\
drafts = [generate(TASK + ' #' + str(i)) for i in range(4)]
grades = [judge(d, 'formal tone') for d in drafts]
best = select(drafts, grades)
result = generate('Polish this: ' + best)
"""


def fresh(prefix: str, **options) -> str:
    """A scripted fake model with a unique name (the fake's registry is process-wide)."""
    return codeplan.fake_model(f"{prefix}-{next(_names)}", **options)


def writer(score: int = 3):
    """Drafts are DRAFT; a judge answers `score` out of 10."""

    def reply(messages) -> str:
        text = messages[-1]["content"]
        return f"SCORE: {score}\nREASON: too casual" if "SCORE:" in text else DRAFT

    return reply


def close(estimated: float, actual: float, tolerance: float) -> bool:
    return abs(estimated - actual) <= tolerance * actual


@pytest.fixture(scope="module", autouse=True)
def warm_litellm():
    """litellm's first calls in a process are slow; keep that out of measured latencies."""
    codeplan.execute("result = [generate('warm ' + str(i)) for i in range(4)]\n", model="fake/echo")


def learn_and_compare(plan: str, model: str, **options):
    """A real run (which teaches the store), then the estimate of the same plan."""
    real = codeplan.execute(plan, "Write a tea blurb.", model=model, cache=False, **options)
    assert real.status == "ok", real.error
    options.pop("primitives", None)
    estimated = codeplan.estimate(plan, "Write a tea blurb.", model=model, samples=4, **options)
    return real, estimated


# --- plans of known shapes ---------------------------------------------------------------------


def test_a_single_generate_is_exact_in_calls_and_close_in_tokens_and_latency():
    model = fresh("single", reply=writer(), latency=0.2)
    plan = "result = generate(TASK)\n"
    before = codeplan.estimate(plan, "Write a tea blurb.", model=model)
    assert before.runs == 1 and before.samples == 0  # nothing validated: one run says it all
    assert before.calls.expected == before.calls.low == before.calls.high == 1
    assert "defaults" in before.sources["latency"]
    real, after = learn_and_compare(plan, model)
    assert after.calls.expected == real.usage.calls == 1
    assert after.prompt_tokens.expected == real.usage.prompt_tokens  # counted as the fake counts
    assert close(after.completion_tokens.expected, real.usage.completion_tokens, TOKENS)
    assert close(after.usd.expected, real.usage.usd, TOKENS)
    assert close(after.latency.expected, real.usage.wall_seconds, LATENCY)
    assert "measured over 1 call of" in after.sources["latency"]


@pytest.mark.parametrize("concurrency", [8, 2])
def test_a_fan_out_of_8_honours_the_concurrency_limit(concurrency):
    model = fresh("fan", reply=writer(), latency=0.15)
    plan = "drafts = [generate(TASK + str(i)) for i in range(8)]\nresult = drafts\n"
    real, estimated = learn_and_compare(plan, model, max_concurrency=concurrency)
    assert estimated.calls.expected == real.usage.calls == 8
    assert close(estimated.tokens.expected, real.usage.tokens, TOKENS)
    assert close(estimated.latency.expected, real.usage.wall_seconds, LATENCY)
    # 8 calls at once take one call's time; 2 at a time, four calls' time
    one_call = StatsStore.default().model(model).seconds(len(DRAFT.split()))
    assert estimated.latency.expected == pytest.approx(one_call * 8 / concurrency)


def test_best_of_then_validate_then_a_fix_when_the_verdict_fails():
    model = fresh("branch", reply=writer(score=3), latency=0.1)  # "formal tone" always fails
    requirements = ["at most 20 words", "formal tone"]
    before = codeplan.estimate(BEST_OF_FIX, "Write a tea blurb.", model=model,
                               requirements=requirements, samples=4)  # fmt: skip
    # it branches: every validation passing skips the fix
    assert (before.optimistic.calls, before.pessimistic.calls) == (9, 10)
    real, after = learn_and_compare(BEST_OF_FIX, model, requirements=requirements)
    assert real.usage.calls == 10  # 4 drafts, 4 + 1 judge calls, 1 fix
    assert before.calls.low <= real.usage.calls <= before.calls.high
    # learned: "formal tone" never passes, "at most 20 words" always does: the shape is fixed
    assert after.calls.expected == real.usage.calls
    assert close(after.tokens.expected, real.usage.tokens, TOKENS)
    assert close(after.usd.expected, real.usage.usd, TOKENS)
    assert close(after.latency.expected, real.usage.wall_seconds, LATENCY)
    assert after.success == 0.0  # the output always misses "formal tone"
    assert "measured for 2 of 2 requirements" in after.sources["pass rates"]


def test_a_three_level_dag():
    model = fresh("dag", reply=writer(score=9), latency=0.15)
    real, estimated = learn_and_compare(DAG, model)
    assert estimated.calls.expected == real.usage.calls == 9
    assert estimated.calls.low == estimated.calls.high == 9
    assert close(estimated.tokens.expected, real.usage.tokens, TOKENS)
    assert close(estimated.latency.expected, real.usage.wall_seconds, LATENCY)
    assert close(estimated.latency.expected, 3 * 0.15, LATENCY)  # three calls deep


def test_stop_early_on_a_model_that_serves_one_call_at_a_time_stops_at_the_first_pass():
    """With capacity 1 a stop_early best_of validates each draft before the next starts."""
    model = fresh("early", reply=writer(score=9))
    plan = "result = best_of(4, TASK, stop_early=True)[0]\n"
    estimated = codeplan.estimate(
        plan, "Write a tea blurb.", model=model, requirements=["formal tone"], max_concurrency=1
    )
    assert estimated.optimistic.calls == 2  # one draft, one judge call, and it passed
    assert estimated.pessimistic.calls == 8  # four drafts, each judged


# --- what an estimate never does ---------------------------------------------------------------


def test_success_is_the_chance_that_the_output_passes():
    plan = "result = generate(TASK)\n"
    options = {"model": "fake/echo", "store": False}  # no history: each passes half the time
    assert codeplan.estimate(plan, "x", requirements=["formal tone", "all lowercase"],
                             **options).success == 0.25  # fmt: skip
    assert codeplan.estimate(plan, "x", **options).success == 1.0  # nothing required


def test_an_estimate_never_calls_the_model():
    def refuse(messages):
        raise AssertionError("an estimate called the model")

    model = fresh("never", reply=refuse)
    estimated = codeplan.estimate(
        BEST_OF_FIX + "result = merge([result, result])\n", "Write.", model=model,
        requirements=["formal tone", "at most 9 words"], samples=2,
    )  # fmt: skip
    assert fake_calls(model) == 0
    assert estimated.pessimistic.status == "ok"
    assert estimated.calls.high == 11  # ... though it counts every call the plan would make


def test_the_embedded_model_is_estimated_without_loading_it():
    from codeplan._embedded import _ENGINE_INSTANCE, EMBEDDED_MODEL

    was_loaded = _ENGINE_INSTANCE._server is not None
    estimated = codeplan.estimate("result = generate(TASK)\n", "Name a colour.", store=False)
    assert estimated.model == EMBEDDED_MODEL and estimated.usd.high == 0
    assert estimated.prompt_tokens.expected > 20  # its chat template's system prompt counts
    if not was_loaded:
        assert _ENGINE_INSTANCE._server is None


def test_bad_plans_and_models_raise_user_errors():
    with pytest.raises(codeplan.UserError, match="would be rejected"):
        codeplan.estimate("import os\nresult = 1\n", model="fake/echo")
    with pytest.raises(codeplan.UserError, match="Unknown model"):
        codeplan.estimate("result = generate(TASK)\n", model="nowhere/model-x")
    with pytest.raises(codeplan.UserError, match="samples"):
        codeplan.estimate("result = 1\n", model="fake/echo", samples=-1)


def test_a_plan_that_loops_until_it_passes_is_stopped_and_said_so():
    plan = "d = generate(TASK)\nwhile not validate(d).passed:\n    d = generate(TASK)\nresult = d\n"
    estimated = codeplan.estimate(plan, "x", model="fake/echo", requirements=["formal tone"],
                                  samples=0)  # fmt: skip
    assert estimated.optimistic.calls == 2
    assert any("may not end" in note for note in estimated.notes)


# --- budgets -----------------------------------------------------------------------------------


def test_a_budget_that_runs_out_when_every_validation_fails():
    model = fresh("tight", reply=writer())
    estimated = codeplan.estimate(
        BEST_OF_FIX, "Write.", model=model, requirements=["formal tone"],
        budget=Budget(calls=9), samples=2,
    )  # fmt: skip
    assert estimated.pessimistic.status == "budget_exhausted"
    assert estimated.optimistic.status == "ok"
    why = estimated.over_budget({"usd": None, "tokens": None, "calls": 9, "seconds": None})
    assert why and "runs out of budget" in why and "calls=9" in why
    assert "calls limit of 9" in why  # the runtime's own message, from the simulated run


def test_the_planner_sees_alternatives_and_an_over_budget_plan_is_sent_back():
    seen: list[str] = []
    expensive = "```python\ndrafts = best_of(12, TASK)\nresult = select(drafts, [validate(d) for d in drafts])\n```"
    cheap = "```python\nresult = generate(TASK)\n```"

    def planner(messages):
        seen.append(messages[-1]["content"])
        return expensive if len(seen) == 1 else cheap

    result = codeplan.run(
        "Write a tea blurb.", requirements=["formal tone"], model=fresh("work", reply=writer(9)),
        planner_model=fresh("planner", reply=planner), budget=Budget(calls=12),
    )  # fmt: skip
    assert result.passed, result.error
    assert "ALTERNATIVES" in seen[0] and "`result = generate(TASK)`: 1 [1..1] calls" in seen[0]
    assert "the default plan (best_of(4, stop_early)" in seen[0]
    assert "runs out of budget" in seen[1] and "Write a cheaper plan" in seen[1]
    assert [a.source for a in result.plans] == ["result = generate(TASK)\n"]


# --- the Result: estimate against actual ---------------------------------------------------------


def test_execute_attaches_the_estimate_and_compares_it():
    model = fresh("vs", reply=writer(), latency=0.05)
    codeplan.execute("result = generate(TASK)\n", "Write.", model=model, cache=False)  # learn
    result = codeplan.execute(
        "result = [generate(TASK + str(i)) for i in range(3)]\n", "Write.", model=model,
        cache=False, estimate=True,
    )  # fmt: skip
    assert result.estimate is not None
    rows = {row.measure: row for row in result.estimate_vs_actual()}
    assert set(rows) == {"calls", "prompt_tokens", "completion_tokens", "tokens", "usd", "latency"}
    assert rows["calls"].expected == rows["calls"].actual == 3
    assert close(rows["tokens"].expected, rows["tokens"].actual, TOKENS)
    assert rows["latency"].actual == result.usage.wall_seconds
    json.loads(result.model_dump_json())  # it serialises with the Result
    with pytest.raises(codeplan.UserError, match="estimate=True"):
        codeplan.execute("result = 1\n", model="fake/echo").estimate_vs_actual()


def test_run_estimates_every_attempt_before_it_runs():
    model = fresh("run", reply=writer(9), latency=0.02)
    result = codeplan.run("Write a tea blurb.", requirements=["formal tone"], model=model,
                          cache=False)  # fmt: skip
    attempt = result.plans[0]
    assert attempt.estimate is not None and result.estimate == attempt.estimate
    assert attempt.estimate.runs == 2  # the default plan validates: both extremes
    rows = {row.measure: row for row in result.estimate_vs_actual()}
    assert rows["calls"].low <= attempt.usage.calls <= rows["calls"].high
    assert rows["calls"].actual == attempt.usage.calls  # the attempt's, not the planning's


# --- the store ---------------------------------------------------------------------------------


def test_the_store_round_trips_what_runs_measured(tmp_path, monkeypatch):
    path = tmp_path / "figures" / "stats.json"
    monkeypatch.setenv("CODEPLAN_STATS", str(path))
    model = fresh("store", reply=writer(), latency=0.05)
    codeplan.execute(BEST_OF_FIX, "Write.", model=model, requirements=["formal tone"],
                     cache=False)  # fmt: skip
    data = json.loads(path.read_text())
    entry = data["models"][model]
    assert entry["calls"] == 10
    assert sorted(entry["completion"]) == ["512", "96"]  # drafts and judgements apart
    assert entry["requirements"]["formal_tone"] == [0, 5]
    stats = StatsStore(path).model(model)
    assert stats.completion_tokens("draft", 512) == len(DRAFT.split())
    assert stats.pass_rate("formal_tone") == 0.0 and stats.pass_rate("unseen") == 0.5
    assert 0.04 < stats.seconds(13) < 0.1


def test_cached_calls_are_not_latency_samples(stats_store):
    model = fresh("cached", reply=writer(), latency=0.05)
    cache = codeplan.CallCache()
    for _ in range(2):  # the second run is served from the cache
        codeplan.execute("result = generate(TASK)\n", "Write.", model=model, cache=cache)
    assert StatsStore(stats_store).model(model).calls == 1


def test_a_corrupt_store_is_reported_and_started_afresh(stats_store, caplog):
    stats_store.write_text("{not json")
    model = fresh("corrupt", reply=writer())
    with caplog.at_level(logging.WARNING, logger="codeplan.stats"):
        estimated = codeplan.estimate("result = generate(TASK)\n", model=model)
    assert "unreadable" in caplog.text and "starting afresh" in caplog.text
    assert "defaults" in estimated.sources["latency"]
    codeplan.execute("result = generate(TASK)\n", model=model)
    assert model in json.loads(stats_store.read_text())["models"]  # rewritten whole


def test_a_disabled_store_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEPLAN_STATS", "off")
    model = fresh("off", reply=writer())
    codeplan.execute("result = generate(TASK)\n", model=model)
    assert not StatsStore.default().enabled and list(tmp_path.iterdir()) == []
    estimated = codeplan.estimate("result = generate(TASK)\n", model=model)
    assert "defaults" in estimated.sources["latency"]


def test_the_store_stays_bounded():
    stats = ModelStats()
    for i in range(3 * MAX_SAMPLES):
        stats.add_call(512, i, 0.1)
    assert len(stats.latency) == len(stats.completion["512"]) == MAX_SAMPLES
    assert stats.calls == 3 * MAX_SAMPLES


def test_the_latency_fit():
    assert ModelStats().seconds(100) == pytest.approx(0.5 + 100 / 50)  # the defaults
    line = ModelStats(latency=[(c, 0.3 + 0.02 * c) for c in (10, 50, 100, 200, 400)])
    assert line.latency_model() == pytest.approx((0.3, 0.02))
    flat = ModelStats(latency=[(12, 0.2), (13, 0.21), (12, 0.19)])  # lengths too alike
    assert flat.latency_model() == (0.2, 0.0)


def test_schedule_honours_dependencies_waves_and_capacity():
    graph = Graph()
    a, b = graph.add("generate"), graph.add("best_of")
    c = graph.add("select", data=[a.id, b.id])
    calls = [SimulatedCall(1, 1, 1.0)] + [SimulatedCall(2, 1, 1.0)] * 3
    calls += [SimulatedCall(2, 2, 0.5), SimulatedCall(3, 1, 2.0)]
    assert c.id == 3
    assert schedule(graph, calls, capacity=8) == pytest.approx(1.0 + 0.5 + 2.0)
    assert schedule(graph, calls, capacity=1) == pytest.approx(4 * 1.0 + 0.5 + 2.0)


def test_estimates_are_repeatable_and_readable():
    options = {"model": "fake/echo", "requirements": ["formal tone", "at most 5 words"]}
    first = codeplan.estimate(BEST_OF_FIX, "Write.", samples=3, seed=7, **options)
    again = codeplan.estimate(BEST_OF_FIX, "Write.", samples=3, seed=7, **options)
    assert first.calls == again.calls and first.success == again.success
    text = str(first)
    for word in ("model calls", "prompt tokens", "usd", "latency", "success", "figures from"):
        assert word in text
    assert first.to_dict()["calls"]["high"] == first.calls.high


# --- the command line ----------------------------------------------------------------------------


def test_cli_estimate_prints_a_table_or_json(tmp_path):
    plan = tmp_path / "plan.py"
    plan.write_text(BEST_OF_FIX)
    runner = CliRunner()
    args = ["estimate", str(plan), "--task", "Write.", "--model", "fake/echo",
            "-r", "formal tone", "--samples", "2"]  # fmt: skip
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "model calls" in table.output and "success" in table.output
    data = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert data["pessimistic"]["calls"] == 10 and data["model"] == "fake/echo"
    plan.write_text("import os\n")
    rejected = runner.invoke(main, ["estimate", str(plan), "--model", "fake/echo"])
    assert rejected.exit_code == 2 and "would be rejected" in rejected.output


def test_cli_run_dry_run_spends_nothing():
    work = fresh("dry", reply=writer())
    planner = fresh("dry-planner", reply=lambda m: "```python\nresult = generate(TASK)\n```")
    runner = CliRunner()
    proc = runner.invoke(main, ["run", "Write.", "-r", "formal tone", "--model", work,
                                "--planner-model", planner, "--dry-run"])  # fmt: skip
    assert proc.exit_code == 0, proc.output
    assert "cannot be known without calling it" in proc.output
    assert f"planner {planner}: 1 call expected" in proc.output
    assert "Estimate for " + work in proc.output
    assert fake_calls(work) == fake_calls(planner) == 0
    as_json = runner.invoke(main, ["run", "Write.", "--model", work, "--dry-run", "--json"])
    assert json.loads(as_json.output)["planner"] is None
