"""The limits a plan runs under. Stdlib only: the plan process imports this too."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

LimitName = Literal["steps", "memory", "cpu", "wall", "output", "size", "recursion", "message"]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Every resource a plan may use, each with a hard cap.

    Example::

        Limits(steps=10_000, wall_seconds=5)

    Attributes:
        steps: loop iterations, function entries and comprehension items.
        memory_mb: address space of the plan process (RLIMIT_AS).
        cpu_seconds: CPU time of the plan process (RLIMIT_CPU).
        wall_seconds: time from start to end; the parent kills the process after it.
        output_chars: total characters the plan may print.
        max_sequence: longest str/list/tuple/dict an operation may build.
        max_int_bits: largest int an operation may build, in bits.
        recursion: deepest call stack, in frames.
        source_chars: longest plan source accepted.
        ast_nodes: largest plan accepted, in syntax-tree nodes.
        message_bytes: largest single message between plan and host.
    """

    steps: int = 1_000_000
    memory_mb: int = 512
    cpu_seconds: float = 10.0
    wall_seconds: float = 60.0
    output_chars: int = 100_000
    max_sequence: int = 10_000_000
    max_int_bits: int = 100_000
    recursion: int = 200
    source_chars: int = 100_000
    ast_nodes: int = 20_000
    message_bytes: int = 16_000_000

    def __post_init__(self) -> None:
        bad = [
            f"`{f.name}` must be a positive number (got {getattr(self, f.name)!r})"
            for f in dataclasses.fields(self)
            if not isinstance(getattr(self, f.name), int | float)
            or isinstance(getattr(self, f.name), bool)
            or getattr(self, f.name) <= 0
        ]
        if bad:
            raise ValueError("Invalid Limits: " + "; ".join(bad) + ".")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        return cls(**data)


UNITS: dict[str, str] = {
    "steps": "steps",
    "memory": "MB",
    "cpu": "CPU seconds",
    "wall": "seconds",
    "output": "characters of output",
    "size": "elements",
    "recursion": "frames",
    "message": "bytes per message",
}
