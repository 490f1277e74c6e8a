"""The plan API reference: what a planner reads before it writes a plan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._primitives import reference, registry


def api_reference(primitives: Iterable[Any] = ()) -> str:
    """The reference text for the built-in primitives plus `primitives`.

    It is generated from signatures and docstrings, so a user primitive appears
    with its own documentation.
    """
    from ._plan_api import BUILTINS, PRELUDE

    header = (
        "Plan API. A plan is Python. Every call below returns at once with a handle; using "
        "its value waits for it, so independent calls written one after another run in "
        "parallel. Constants: TASK (str), REQUIREMENTS (list of str). The plan's output is "
        "the value it assigns to `result`.\n\n"
        "parallel(fn, items)\n    Apply fn to every item; calls inside fn run at the same time."
    )
    assert "def parallel" in PRELUDE
    return header + "\n\n" + reference(registry(BUILTINS, primitives))
