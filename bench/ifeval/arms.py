"""The IFEval arms, on the same prompt and the same model.

Issue-level comparison:

* ``single``: one plain greedy call, ``result = generate(TASK, temperature=0)``;
* ``codeplan``: `codeplan.run` with its default plan (drafts repaired in code as they arrive,
  the first that passes stops the rest, validate, ditch, fix, select) under a call budget,
  with the prompt's instructions stated separately as requirements
  (`bench.ifeval.requirements`);
* ``sequential``: best-of-N the DSPy ``BestOfN`` way: one sampled call after another,
  stopping at the first output that passes every codeplan code check, up to as many calls
  as the default plan may make generations (its drafts plus two fixes). If none passes, the
  output that passed the most checks is kept (the first of equals).

The ablation, on the same N sampled drafts (temperature 0.9, like the default plan's):

* ``select``: best-of-N selection by codeplan's own code checks (most passed, first of
  equals);
* ``repair``: the same, after codeplan's code repairs (`codeplan.repair_text`) of each draft;
* ``oracle``: the official verifiers pick the best of the N raw drafts: the reference line
  that selection with perfect validators would reach.

Sharing: the N drafts are drawn once per prompt, one call after another with no cache, and
every arm that uses them is charged their tokens, calls and wall time as drawn; the
``codeplan`` arm finds them in its call cache under the very keys its ``best_of`` uses, and
is charged for the ones it consumed. Its fixes and judge calls are made for real. Nothing
else is cached, so every figure is a paid, timed call.

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
from bench.ifeval.official import score
from bench.ifeval.requirements import code_verdicts, requirements_for

Arm = Literal["single", "select", "repair", "codeplan", "sequential", "oracle"]
ARMS: tuple[Arm, ...] = ("single", "select", "repair", "codeplan", "sequential", "oracle")
DEFAULT_MODEL = "embedded/smollm2"
SINGLE_PLAN = "result = generate(TASK, temperature=0)\n"
# Drawn like the default plan's `best_of` drafts (temperature 0.9, 512 tokens), so every
# best-of-N arm draws from the same distribution, and the codeplan arm's cache keys match.
SAMPLE_PLAN = "result = generate(TASK, temperature=0.9)\n"
SAMPLE_PARAMS = {"max_tokens": 512, "temperature": 0.9}
FIXES = 2  # the default plan fixes at most its two best drafts


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


@dataclass(frozen=True)
class Sample:
    """One drawn draft and what drawing it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    wall_seconds: float
    status: str


class Samples:
    """The sampled drafts of one prompt, drawn one after another when first needed."""

    def __init__(self, prompt: Prompt, model: str) -> None:
        self.prompt = prompt
        self.model = model
        self.drawn: list[Sample] = []

    def first(self, n: int) -> list[Sample]:
        while len(self.drawn) < n:
            started = time.monotonic()
            result = codeplan.execute(
                SAMPLE_PLAN, self.prompt.prompt, model=self.model, cache=False
            )
            self.drawn.append(
                Sample(
                    text=_text(result.output), prompt_tokens=result.usage.prompt_tokens,
                    completion_tokens=result.usage.completion_tokens,
                    wall_seconds=time.monotonic() - started, status=result.status,
                )
            )  # fmt: skip
        return self.drawn[:n]

    def cache(self, n: int) -> _SampleCache:
        """A call cache holding the first `n` drafts under the keys `best_of` asks for."""
        cache = _SampleCache()
        messages = [{"role": "user", "content": self.prompt.prompt}]
        for i, sample in enumerate(self.first(n)):
            key = codeplan.CallCache.key(self.model, messages, SAMPLE_PARAMS, i)
            cache.put(key, {"text": sample.text, "prompt_tokens": sample.prompt_tokens,
                            "completion_tokens": sample.completion_tokens, "usd": 0.0})  # fmt: skip
            cache.index[key] = i
        return cache


class _SampleCache(codeplan.CallCache):
    """A CallCache that notes which pre-drawn drafts a run consumed."""

    def __init__(self) -> None:
        super().__init__()
        self.index: dict[str, int] = {}
        self.used: set[int] = set()

    def get(self, key: str) -> dict[str, Any] | None:
        value = super().get(key)
        if value is not None and key in self.index:
            self.used.add(self.index[key])
        return value


def _text(output: Any) -> str:
    if output is None:
        return ""
    return output if isinstance(output, str) else json.dumps(output)


def _charged(arm: Arm, prompt: Prompt, text: str, samples: Sequence[Sample]) -> ArmOutcome:
    requirements = requirements_for(prompt)
    return ArmOutcome(
        arm=arm, key=prompt.key, output=text, status="ok",
        prompt_tokens=sum(s.prompt_tokens for s in samples),
        completion_tokens=sum(s.completion_tokens for s in samples),
        calls=len(samples), wall_seconds=sum(s.wall_seconds for s in samples),
        code_verdicts=code_verdicts(requirements, text),
    )  # fmt: skip


def _failed_checks(requirements: list[codeplan.Requirement], text: str) -> int:
    return sum(v is False for v in code_verdicts(requirements, text))


def run_single(prompt: Prompt, *, model: str) -> ArmOutcome:
    """One plain greedy call on the prompt as given."""
    started = time.monotonic()
    result = codeplan.execute(SINGLE_PLAN, prompt.prompt, model=model, cache=False)
    outcome = _charged("single", prompt, _text(result.output), [])
    outcome.status, outcome.error = result.status, result.error
    outcome.prompt_tokens = result.usage.prompt_tokens
    outcome.completion_tokens = result.usage.completion_tokens
    outcome.calls, outcome.wall_seconds = result.usage.calls, time.monotonic() - started
    return outcome


def run_select(prompt: Prompt, samples: Samples, n: int) -> ArmOutcome:
    """Best of the first `n` drafts by codeplan's own code checks."""
    requirements = requirements_for(prompt)
    drawn = samples.first(n)
    best = min(drawn, key=lambda s: _failed_checks(requirements, s.text))
    return _charged("select", prompt, best.text, drawn)


def run_repair(prompt: Prompt, samples: Samples, n: int) -> ArmOutcome:
    """Best of the first `n` drafts after codeplan's code repairs, by its code checks."""
    requirements = requirements_for(prompt)
    drawn = samples.first(n)
    started = time.monotonic()
    repaired = [codeplan.repair_text(s.text, requirements)[0] for s in drawn]
    best = min(repaired, key=lambda text: _failed_checks(requirements, text))
    outcome = _charged("repair", prompt, best, drawn)
    outcome.wall_seconds += time.monotonic() - started
    outcome.extra = {"repaired": sum(r != s.text for r, s in zip(repaired, drawn, strict=True))}
    return outcome


def run_oracle(prompt: Prompt, samples: Samples, n: int) -> ArmOutcome:
    """The official verifiers pick the best of the first `n` raw drafts (a reference line)."""
    drawn = samples.first(n)

    def official(sample: Sample) -> tuple[bool, int]:
        verdict = score(prompt, sample.text)
        return verdict["prompt_strict"], sum(verdict["instruction_strict"])

    best = max(drawn, key=official)
    return _charged("oracle", prompt, best.text, drawn)


def run_codeplan(
    prompt: Prompt, samples: Samples, *, model: str, candidates: int, calls: int
) -> ArmOutcome:
    """`codeplan.run` with the default plan; its drafts are the shared samples (charged as
    drawn when consumed); at most `calls` model calls in all."""
    requirements = requirements_for(prompt)
    cache = samples.cache(candidates)
    started = time.monotonic()
    result = codeplan.run(
        prompt.prompt, requirements=requirements, model=model, candidates=candidates,
        budget=codeplan.Budget(calls=max(1, calls - candidates)), cache=cache,
    )  # fmt: skip
    wall = time.monotonic() - started
    used = [samples.drawn[i] for i in sorted(cache.used)]
    outcome = _charged("codeplan", prompt, _text(result.output), used)
    outcome.status, outcome.error = result.status, result.error
    outcome.prompt_tokens += result.usage.prompt_tokens
    outcome.completion_tokens += result.usage.completion_tokens
    outcome.calls += result.usage.calls
    outcome.wall_seconds += wall
    outcome.extra = {
        "codeplan_passed": result.passed, "best_effort": result.best_effort,
        "drafts_used": len(used), "how": {o.name: o.how for o in result.outcomes},
    }  # fmt: skip
    return outcome


def run_sequential(prompt: Prompt, samples: Samples, *, calls: int) -> ArmOutcome:
    """Up to `calls` drafts one after another; stop at the first that passes every check."""
    requirements = requirements_for(prompt)
    used: list[Sample] = []
    best: tuple[int, str] | None = None
    for i in range(max(1, calls)):
        sample = samples.first(i + 1)[i]
        used.append(sample)
        failed = _failed_checks(requirements, sample.text)
        if best is None or failed < best[0]:
            best = (failed, sample.text)
        if failed == 0 and sample.status == "ok":
            break
    assert best is not None
    outcome = _charged("sequential", prompt, best[1], used)
    outcome.extra = {"attempts": len(used), "call_budget": max(1, calls)}
    return outcome


def run_arms(
    prompt: Prompt,
    arms: Sequence[Arm],
    *,
    model: str = DEFAULT_MODEL,
    candidates: int = 4,
    calls: int = 12,
) -> dict[str, ArmOutcome]:
    """Every arm in `arms` on `prompt`, sharing one set of sampled drafts.

    ``sequential`` may make as many generations as the default plan can: `candidates`
    drafts plus its fixes. An arm that raises is recorded with status ``crashed`` and an
    empty output, so one bad prompt does not end a long benchmark.
    """
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise ValueError(f"Unknown arm(s) {unknown}; choose from {list(ARMS)}.")
    samples = Samples(prompt, model)
    outcomes: dict[str, ArmOutcome] = {}
    for arm in arms:
        try:
            if arm == "single":
                outcomes[arm] = run_single(prompt, model=model)
            elif arm == "select":
                outcomes[arm] = run_select(prompt, samples, candidates)
            elif arm == "repair":
                outcomes[arm] = run_repair(prompt, samples, candidates)
            elif arm == "oracle":
                outcomes[arm] = run_oracle(prompt, samples, candidates)
            elif arm == "codeplan":
                outcomes[arm] = run_codeplan(
                    prompt, samples, model=model, candidates=candidates, calls=calls
                )
            else:
                outcomes[arm] = run_sequential(prompt, samples, calls=candidates + FIXES)
        except Exception as error:  # recorded; the run goes on
            outcomes[arm] = ArmOutcome(
                arm=arm, key=prompt.key, output="", status="crashed",
                error=f"{type(error).__name__}: {error}",
                code_verdicts=code_verdicts(requirements_for(prompt), ""),
            )  # fmt: skip
    return outcomes


def _demo_prompt() -> Prompt:
    return Prompt(
        key=0, prompt="Say hi without commas.", instruction_id_list=("punctuation:no_comma",),
        kwargs=({},),
    )  # fmt: skip
