from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import Limits, PlanOutcome, Sandbox, run_plan_sync
from sandbox.__main__ import DEMO_PRIMITIVES


@pytest.fixture(scope="session")
def pool() -> Iterator[Sandbox]:
    with Sandbox(spares=2) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def run(pool: Sandbox) -> Any:
    """Run plan source against the demo primitives (plus `extra`) and return the outcome."""

    def run(
        source: str,
        extra: dict[str, Any] | None = None,
        constants: dict[str, Any] | None = None,
        **limits: Any,
    ) -> PlanOutcome:
        return run_plan_sync(
            source,
            {**DEMO_PRIMITIVES, **(extra or {})},
            limits=Limits(**limits),
            constants=constants,
            sandbox=pool,
        )

    return run
