"""The three IFEval arms, on the same prompt and the same model.

* ``single``: one plain model call, ``result = generate(TASK)``;
* ``codeplan``: `codeplan.run` with its default plan (candidates, validate, ditch, fix,
  select) under a fixed call budget, with the prompt's instructions stated separately as
  requirements (`bench.ifeval.requirements`);
* ``sequential``: best-of-N the DSPy ``BestOfN`` way: one sampled call after another, stopping
  at the first output that passes every codeplan code check, with as many calls as the
  codeplan arm made on that prompt (or `candidates` when that arm is not run). If none
  passes, the output that passed the most checks is kept (the first of equals).

No arm uses a cache, so every call is paid for and timed.

>>> outcome = run_single(_demo_prompt(), model="fake/echo")
>>> outcome.arm, outcome.calls, outcome.output.startswith("Say hi")
('single', 1, True)
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import codeplan
from bench.ifeval.data import Prompt
from bench.ifeval.requirements import code_verdicts, requirements_for

Arm = Literal["single", "codeplan", "sequential"]
ARMS: tuple[Arm, ...] = ("single", "codeplan", "sequential")
ARMS_RUN_ORDER: tuple[Arm, ...] = ("codeplan", "single", "sequential")
DEFAULT_MODEL = "embedded/smollm2"
SINGLE_PLAN = "result = generate(TASK)\n"
# Sampled like the default plan's `best_of` drafts (temperature 0.9), so the two best-of-N
# arms draw from the same distribution and differ only in how they spend their calls.
SEQUENTIAL_PLAN = "result = generate(TASK, temperature=0.9)\n"


@dataclass
class ArmOutcome:
    """What one arm produced on one prompt, and what it spent."""

    arm: Arm
    key: int
    output: str
    status: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    wall_seconds: float = 0.0
    error: str | None = None
    code_verdicts: list[bool | None] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict[str, Any]:
        """Plain data for the results file (tokens included)."""
        return {**asdict(self), "tokens": self.tokens}


def _text(output: Any) -> str:
    if output is None:
        return ""
    return output if isinstance(output, str) else json.dumps(output)


def _outcome(
    arm: Arm,
    prompt: Prompt,
    result: codeplan.Result,
    wall: float,
    requirements: Sequence[codeplan.Requirement],
) -> ArmOutcome:
    text = _text(result.output)
    return ArmOutcome(
        arm=arm,
        key=prompt.key,
        output=text,
        status=result.status,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        calls=result.usage.calls,
        wall_seconds=wall,
        error=result.error,
        code_verdicts=code_verdicts(list(requirements), text),
    )


def run_single(prompt: Prompt, *, model: str) -> ArmOutcome:
    """Arm 1: one plain call on the prompt as given."""
    started = time.monotonic()
    result = codeplan.execute(SINGLE_PLAN, prompt.prompt, model=model, cache=False)
    return _outcome("single", prompt, result, time.monotonic() - started, requirements_for(prompt))


def run_codeplan(prompt: Prompt, *, model: str, candidates: int, calls: int) -> ArmOutcome:
    """Arm 2: `codeplan.run` with the default plan, at most `calls` model calls."""
    requirements = requirements_for(prompt)
    started = time.monotonic()
    result = codeplan.run(
        prompt.prompt,
        requirements=requirements,
        model=model,
        candidates=candidates,
        budget=codeplan.Budget(calls=calls),
        cache=False,
    )
    outcome = _outcome("codeplan", prompt, result, time.monotonic() - started, requirements)
    outcome.extra = {"codeplan_passed": result.passed, "best_effort": result.best_effort}
    return outcome


def run_sequential(prompt: Prompt, *, model: str, calls: int) -> ArmOutcome:
    """Arm 3: up to `calls` sampled calls one after another; stop at the first full pass."""
    requirements = requirements_for(prompt)
    started = time.monotonic()
    best: tuple[int, ArmOutcome] | None = None
    spent = ArmOutcome(arm="sequential", key=prompt.key, output="", status="ok")
    attempts = 0
    for _ in range(max(1, calls)):
        result = codeplan.execute(SEQUENTIAL_PLAN, prompt.prompt, model=model, cache=False)
        attempts += 1
        spent.prompt_tokens += result.usage.prompt_tokens
        spent.completion_tokens += result.usage.completion_tokens
        spent.calls += result.usage.calls
        one = _outcome("sequential", prompt, result, 0.0, requirements)
        failed = sum(v is False for v in one.code_verdicts)
        if best is None or failed < best[0]:
            best = (failed, one)
        if failed == 0 and result.status == "ok":
            break
    assert best is not None
    chosen = best[1]
    chosen.prompt_tokens, chosen.completion_tokens = spent.prompt_tokens, spent.completion_tokens
    chosen.calls = spent.calls
    chosen.wall_seconds = time.monotonic() - started
    chosen.extra = {"attempts": attempts, "call_budget": max(1, calls)}
    return chosen


def run_arms(
    prompt: Prompt,
    arms: Sequence[Arm],
    *,
    model: str = DEFAULT_MODEL,
    candidates: int = 4,
    calls: int = 12,
) -> dict[str, ArmOutcome]:
    """Every arm in `arms` on `prompt`; codeplan runs before sequential to set its calls.

    An arm that raises is recorded with status ``crashed`` and an empty output, so one bad
    prompt does not end a long benchmark.
    """
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise ValueError(f"Unknown arm(s) {unknown}; choose from {list(ARMS)}.")
    order = [a for a in ARMS_RUN_ORDER if a in arms]
    outcomes: dict[str, ArmOutcome] = {}
    for arm in order:
        try:
            if arm == "single":
                outcomes[arm] = run_single(prompt, model=model)
            elif arm == "codeplan":
                outcomes[arm] = run_codeplan(
                    prompt, model=model, candidates=candidates, calls=calls
                )
            else:
                matched = outcomes["codeplan"].calls if "codeplan" in outcomes else candidates
                outcomes[arm] = run_sequential(prompt, model=model, calls=matched)
        except Exception as error:  # recorded; the run goes on
            outcomes[arm] = ArmOutcome(
                arm=arm, key=prompt.key, output="", status="crashed",
                error=f"{type(error).__name__}: {error}",
                code_verdicts=code_verdicts(requirements_for(prompt), ""),
            )  # fmt: skip
    return {arm: outcomes[arm] for arm in arms}


def _demo_prompt() -> Prompt:
    return Prompt(
        key=0, prompt="Say hi without commas.", instruction_id_list=("punctuation:no_comma",),
        kwargs=({},),
    )  # fmt: skip
