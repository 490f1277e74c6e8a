"""What past runs measured, per model: latency, completion lengths and pass rates.

Estimates (`codeplan.estimate`) read these figures; every real `codeplan.run` and
`codeplan.execute` adds to them. They live in a small JSON file::

    $CODEPLAN_STATS                      # a path, or "off" to keep nothing
    $XDG_CACHE_HOME/codeplan/stats.json  # otherwise (~/.cache/codeplan/stats.json)

Per model the file keeps the last 100 model calls' latencies, their completion lengths per
`max_tokens` (the one setting that tells drafts, 512, from judgements, 96, and plans, 1024),
and per requirement how often a validated text passed it. A model without history gets the
documented defaults below. Writes are atomic (a temporary file, then `os.replace`); a
corrupt file is reported once and started afresh; two processes writing at the same moment
may lose one update (the figures are statistics, not accounts).
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_COMPLETION",
    "DEFAULT_OVERHEAD",
    "DEFAULT_PASS_RATE",
    "DEFAULT_TOKENS_PER_SECOND",
    "ENV_VAR",
    "ModelStats",
    "Recorder",
    "StatsStore",
    "kind_of",
]

log = logging.getLogger("codeplan.stats")

ENV_VAR = "CODEPLAN_STATS"
VERSION = 1

# Defaults for a model without history.
DEFAULT_OVERHEAD = 0.5  # seconds per call before the first token
DEFAULT_TOKENS_PER_SECOND = 50.0  # completion tokens per second
DEFAULT_COMPLETION = {"draft": 256, "judge": 40}  # completion tokens, capped by max_tokens
DEFAULT_PASS_RATE = 0.5  # for a requirement never validated with this model

# Bounds on the file: samples per model, requirements per model, models.
MAX_SAMPLES = 100
MAX_REQUIREMENTS = 100
MAX_MODELS = 50

Kind = Literal["draft", "judge"]
_JUDGING = frozenset({"validate", "judge"})


def kind_of(primitive: str) -> Kind:
    """Calls made by `validate` and `judge` grade a text; every other call writes one."""
    return "judge" if primitive in _JUDGING else "draft"


@dataclass
class ModelStats:
    """One model's measured figures, with the defaults where it has none.

    Attributes:
        calls: model calls measured (cached calls and retried calls are not).
        latency: (completion tokens, seconds) of the latest calls.
        completion: completion tokens of the latest calls, by their max_tokens.
        requirements: per requirement name, [passed, validated].
        overall: [passed, validated] over whole verdicts.
    """

    calls: int = 0
    latency: list[tuple[int, float]] = field(default_factory=list)
    completion: dict[str, list[int]] = field(default_factory=dict)
    requirements: dict[str, list[int]] = field(default_factory=dict)
    overall: list[int] = field(default_factory=lambda: [0, 0])
    updated: float = 0.0

    # --- reading ---------------------------------------------------------------------

    def seconds(self, completion_tokens: int) -> float:
        """Expected seconds of one call that writes `completion_tokens`."""
        overhead, per_token = self.latency_model()
        return overhead + per_token * completion_tokens

    def latency_model(self) -> tuple[float, float]:
        """(seconds per call, seconds per completion token), fitted robustly.

        A Theil-Sen line (the median of pairwise slopes) through the measured calls when
        their lengths differ enough to show a slope (by half and by 32 tokens; less is
        drowned by jitter); otherwise the median latency, flat; without measurements, the
        defaults.
        """
        if not self.latency:
            return DEFAULT_OVERHEAD, 1.0 / DEFAULT_TOKENS_PER_SECOND
        lengths = [c for c, _ in self.latency]
        low, high = min(lengths), max(lengths)
        if low * 1.5 > high or high - low < 32 or len(self.latency) < 3:
            return statistics.median(s for _, s in self.latency), 0.0
        slopes = [
            (s2 - s1) / (c2 - c1)
            for i, (c1, s1) in enumerate(self.latency)
            for c2, s2 in self.latency[i + 1 :]
            if c2 != c1
        ]
        slope = max(0.0, statistics.median(slopes))
        overhead = max(0.0, statistics.median(s - slope * c for c, s in self.latency))
        return overhead, slope

    def completion_tokens(self, kind: Kind, max_tokens: int) -> int:
        """Expected completion tokens of a call with this `max_tokens` (the median of
        those measured), or the default for its kind."""
        seen = self.completion.get(str(max_tokens))
        typical = statistics.median(seen) if seen else DEFAULT_COMPLETION[kind]
        return max(1, min(max_tokens, round(typical)))

    def pass_rate(self, requirement: str) -> float:
        """How often a validated text passed `requirement` (the default if never seen)."""
        passed, seen = self.requirements.get(requirement, (0, 0))
        return passed / seen if seen else DEFAULT_PASS_RATE

    def knows(self, what: Literal["latency", "tokens", "pass rates"]) -> bool:
        """Whether `what` comes from measurements rather than the defaults."""
        if what == "latency":
            return bool(self.latency)
        if what == "tokens":
            return bool(self.completion)
        return bool(self.requirements)

    # --- writing ---------------------------------------------------------------------

    def add_call(self, max_tokens: int, completion_tokens: int, seconds: float | None) -> None:
        """Count one model call; `seconds` None when its latency says nothing (retried)."""
        self.calls += 1
        if len(self.completion) >= MAX_REQUIREMENTS and str(max_tokens) not in self.completion:
            return  # a plan that varies max_tokens call by call: keep what is there
        lengths = self.completion.setdefault(str(max_tokens), [])
        lengths.append(int(completion_tokens))
        del lengths[:-MAX_SAMPLES]
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            self.latency.append((int(completion_tokens), float(seconds)))
            del self.latency[:-MAX_SAMPLES]

    def add_verdict(self, results: list[tuple[str, bool]], passed: bool | None) -> None:
        """Count one validation: each requirement's outcome, and the whole verdict's."""
        for name, ok in results:
            counts = self.requirements.setdefault(name, [0, 0])
            counts[0] += int(ok)
            counts[1] += 1
        if passed is not None:
            self.overall[0] += int(passed)
            self.overall[1] += 1
        if len(self.requirements) > MAX_REQUIREMENTS:  # keep the most validated
            kept = sorted(self.requirements.items(), key=lambda kv: kv[1][1], reverse=True)
            self.requirements = dict(kept[:MAX_REQUIREMENTS])

    # --- the file ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "updated": self.updated,
            "latency": [list(pair) for pair in self.latency],
            "completion": self.completion,
            "requirements": self.requirements,
            "overall": self.overall,
        }

    @classmethod
    def from_json(cls, data: Any) -> ModelStats:
        """Read one model's entry; raises ValueError when it is malformed."""
        if not isinstance(data, dict):
            raise ValueError("a model's entry is not an object")
        try:
            latency = [(int(c), float(s)) for c, s in data.get("latency", [])]
            completion = {
                str(int(k)): [int(n) for n in v] for k, v in data.get("completion", {}).items()
            }
            requirements = {
                str(k): [int(v[0]), int(v[1])] for k, v in data.get("requirements", {}).items()
            }
            overall = [int(n) for n in data.get("overall", [0, 0])][:2]
            return cls(
                calls=int(data.get("calls", 0)),
                latency=latency[-MAX_SAMPLES:],
                completion={k: v[-MAX_SAMPLES:] for k, v in completion.items()},
                requirements=requirements,
                overall=overall if len(overall) == 2 else [0, 0],
                updated=float(data.get("updated", 0.0)),
            )
        except (TypeError, ValueError, IndexError, AttributeError) as err:
            raise ValueError(f"a model's entry is malformed: {err}") from None


class StatsStore:
    """The measured figures of every model, read from and saved to one JSON file.

    Args:
        path: the file; None keeps figures in memory only (nothing is read or saved).

    Example::

        store = StatsStore(Path("stats.json"))
        store.model("openai/gpt-4o-mini").seconds(200)  # expected seconds of a 200-token call
    """

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self._models: dict[str, ModelStats] | None = None

    @classmethod
    def default(cls) -> StatsStore:
        """The store `CODEPLAN_STATS` names ("off": none), else the user's cache directory."""
        setting = os.environ.get(ENV_VAR, "").strip()
        if setting.lower() == "off":
            return cls(None)
        if setting:
            return cls(Path(setting).expanduser())
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(cache) / "codeplan" / "stats.json")

    def __repr__(self) -> str:
        return f"StatsStore({str(self.path) if self.path else 'off'})"

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def model(self, name: str) -> ModelStats:
        """The figures of `name` (an empty entry, hence the defaults, if it has none)."""
        return self._load().get(name) or ModelStats()

    def models(self) -> list[str]:
        return sorted(self._load())

    def update(self, name: str, stats: ModelStats) -> None:
        """Replace the figures of `name` (in memory; `save` writes them)."""
        stats.updated = time.time()
        self._load()[name] = stats

    def save(self) -> None:
        """Write every model's figures atomically; a failure is logged, never raised."""
        if self.path is None or self._models is None:
            return
        newest = sorted(self._models.items(), key=lambda kv: kv[1].updated, reverse=True)
        data = {
            "version": VERSION,
            "models": {name: stats.to_json() for name, stats in newest[:MAX_MODELS]},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".stats-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump(data, file, separators=(",", ":"))
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as err:
            log.warning("could not save the measured figures to %s: %s", self.path, err)

    def _load(self) -> dict[str, ModelStats]:
        if self._models is None:
            self._models = self._read() if self.path is not None else {}
        return self._models

    def _read(self) -> dict[str, ModelStats]:
        assert self.path is not None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as err:
            log.warning("could not read the measured figures in %s: %s", self.path, err)
            return {}
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
                raise ValueError("it is not an object with a 'models' object")
            return {str(k): ModelStats.from_json(v) for k, v in data["models"].items()}
        except ValueError as err:
            log.warning(
                "the measured figures in %s are unreadable (%s); starting afresh. Delete the "
                "file, or set %s to another path (or to 'off') to silence this.",
                self.path,
                err,
                ENV_VAR,
            )
            return {}


class Recorder:
    """A run listener that collects what a real run measured, for `StatsStore`.

    It sees each model call through the `Spent` event (its reply: latency, tokens, whether
    it was cached; and its max_tokens) and each finished `validate` / `judge` through
    `NodeFinished` (its verdict). `save` adds them to the store.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, float | None]] = []
        self.verdicts: list[tuple[list[tuple[str, bool]], bool | None]] = []

    def __call__(self, event: Any) -> None:
        from ._runtime import NodeFinished, Spent

        if isinstance(event, Spent):
            reply = event.reply
            if reply is not None and not reply.cached and event.max_tokens:
                seconds = reply.latency if reply.attempts == 1 else None  # backoff is noise
                call = (reply.model, event.max_tokens, reply.completion_tokens, seconds)
                self.calls.append(call)
        elif isinstance(event, NodeFinished):
            node = event.node
            if node.primitive in _JUDGING and node.status == "ok" and not node.cached:
                self._add_verdict(event.value)

    def _add_verdict(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        found = value.get("results")
        listed = found if isinstance(found, list) else [value]
        results = [
            (r["name"], bool(r.get("passed")))
            for r in listed
            if isinstance(r, dict) and isinstance(r.get("name"), str)
        ]
        whole = value.get("passed") if "results" in value else None
        if results:
            self.verdicts.append((results, None if whole is None else bool(whole)))

    def save(self, model: str, store: StatsStore | None = None) -> None:
        """Add the collected figures to `store` (default: `StatsStore.default()`) and save.

        Calls count under the model that answered them; verdicts under `model`, the run's
        model, whose drafts they judged.
        """
        if not self.calls and not self.verdicts:
            return
        store = store or StatsStore.default()
        if not store.enabled:
            return
        touched: dict[str, ModelStats] = {}
        for name, max_tokens, completion, seconds in self.calls:
            stats = touched.get(name) or store.model(name)
            stats.add_call(max_tokens, completion, seconds)
            touched[name] = stats
        for results, passed in self.verdicts:
            stats = touched.get(model) or store.model(model)
            stats.add_verdict(results, passed)
            touched[model] = stats
        for name, stats in touched.items():
            store.update(name, stats)
        store.save()
        self.calls.clear()
        self.verdicts.clear()
