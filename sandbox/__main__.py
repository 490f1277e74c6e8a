"""`python -m sandbox PLAN.py`: run a plan file against a small demo host.

Prints one JSON object (status, output, error, steps, ...) and exits 0 only when
the plan's status is `ok`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from ._limits import Limits
from ._run import run_plan_sync


async def _sleep(seconds: float) -> float:
    """Wait `seconds`, then return them."""
    await trio.sleep(float(seconds))
    return seconds


def _echo(value: Any) -> Any:
    """Return `value` unchanged."""
    return value


def _add(a: float, b: float) -> float:
    """Return `a + b`."""
    return a + b


def _upper(text: str) -> str:
    """Return `text` in upper case."""
    return str(text).upper()


def _fail(message: str = "failed on purpose") -> None:
    """Always raise an error with `message`."""
    raise RuntimeError(message)


DEMO_PRIMITIVES: dict[str, Callable[..., Any]] = {
    "echo": _echo,
    "sleep": _sleep,
    "add": _add,
    "upper": _upper,
    "fail": _fail,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run a plan file in the sandbox against demo primitives: "
        + ", ".join(f"`{name}`" for name in DEMO_PRIMITIVES)
        + ".",
    )
    parser.add_argument("plan", type=Path, help="the plan file; its output is its `result`")
    parser.add_argument("--steps", type=int, help="step limit")
    parser.add_argument("--wall-seconds", type=float, help="wall-time limit")
    parser.add_argument("--cpu-seconds", type=float, help="CPU-time limit")
    parser.add_argument("--memory-mb", type=int, help="memory limit")
    args = parser.parse_args(argv)
    try:
        source = args.plan.read_text()
    except OSError as err:
        parser.error(f"cannot read the plan file: {err}")
    chosen = {
        k: v
        for k, v in {
            "steps": args.steps,
            "wall_seconds": args.wall_seconds,
            "cpu_seconds": args.cpu_seconds,
            "memory_mb": args.memory_mb,
        }.items()
        if v is not None
    }
    outcome = run_plan_sync(source, DEMO_PRIMITIVES, limits=Limits(**chosen))
    json.dump(outcome.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if outcome.status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
