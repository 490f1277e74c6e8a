"""The command line: run, exec, check, primitives; clear exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def codeplan(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codeplan", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout,
    )  # fmt: skip


def test_check_reports_every_problem_with_its_line(tmp_path):
    plan = tmp_path / "plan.py"
    plan.write_text("x = genrate(TASK)\nimport os\nresult = x\n")
    proc = codeplan("check", str(plan))
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert f"{plan}:line 1: unknown name `genrate` — did you mean `generate`?" in lines
    assert any(line.startswith(f"{plan}:line 2: imports are not allowed") for line in lines)
    plan.write_text("result = generate(TASK)\n")
    ok = codeplan("check", str(plan))
    assert ok.returncode == 0 and ok.stdout.strip().endswith("ok")


def test_primitives_prints_the_reference():
    proc = codeplan("primitives")
    assert proc.returncode == 0
    for name in ("generate(prompt: str", "best_of(n: int", "validate(", "parallel(fn, items)"):
        assert name in proc.stdout


def test_run_with_a_fake_model_writes_the_graph_and_json(tmp_path):
    graph = tmp_path / "graph.mmd"
    proc = codeplan(
        "run", "hello there", "-r", "at least 1 word", "--model", "fake/echo",
        "--budget-calls", "20", "--graph", str(graph), "--json",
    )  # fmt: skip
    assert proc.returncode in (0, 5), proc.stderr
    data = json.loads(proc.stdout)
    assert data["plans"][0]["planner"] == "default plan"
    assert data["usage"]["calls"] <= 20
    assert graph.read_text().startswith("flowchart")


def test_run_usage_errors_exit_2():
    proc = codeplan("run", "x", "--model", "fake/echo", "--graph", "g.png")
    assert proc.returncode == 2
    assert "--graph needs a file ending in" in proc.stderr


def test_run_says_how_each_requirement_was_met_and_the_estimate_against_actual():
    proc = codeplan(
        "run", "Write a line about tea.", "-r", "all lowercase", "-r", "no commas",
        "--model", "fake/upper",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS all_lowercase (repaired in code)" in proc.stdout
    assert "PASS no_commas (as generated)" in proc.stdout
    assert "estimated before running vs actual: calls " in proc.stdout
    assert proc.stdout.rstrip().endswith("write a line about tea.")


def test_the_example_plan_passes_check_and_estimates_without_a_call(tmp_path):
    plan = str(ROOT / "examples" / "plans" / "best_of_fix.py")
    assert codeplan("check", plan).returncode == 0
    proc = codeplan(
        "estimate", plan, "--model", "fake/echo", "--task", "Write.", "-r", "at most 9 words",
        "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["calls"]["low"] >= 4
