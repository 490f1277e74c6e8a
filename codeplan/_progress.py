"""A live progress display for the command line: a listener on runtime events."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from ._budget import Budget
from ._runtime import Logged, NodeFinished, NodeStarted, Spent


class Progress:
    """Shows nodes running and done, spend against the budget, and the plan attempt."""

    def __init__(self, budget: Budget, *, enabled: bool = True):
        self.budget = budget
        self.enabled = enabled
        self.running = 0
        self.done = 0
        self.failed = 0
        self.attempt = "plan 1"
        self.spent: Any = None
        self._live = Live(self._render(), console=Console(stderr=True), transient=True,
                          refresh_per_second=8)  # fmt: skip

    def __enter__(self) -> Progress:
        if self.enabled:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._live.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        from ._solve import AttemptStarted

        if isinstance(event, AttemptStarted):
            self.attempt = f"plan {event.number} ({event.planner})"
        elif isinstance(event, NodeStarted):
            self.running += 1
        elif isinstance(event, NodeFinished):
            self.running = max(0, self.running - 1)
            self.done += 1
            self.failed += event.node.status == "error"
        elif isinstance(event, Spent):
            self.spent = event.spent
        elif isinstance(event, Logged):
            return
        if self.enabled:
            self._live.update(self._render())

    def _render(self) -> Text:
        spent = self.spent
        usd = f"${spent.usd:.4f}" if spent else "$0"
        cap = f" / ${self.budget.usd}" if self.budget.usd else ""
        calls = f"{spent.calls if spent else 0}" + (
            f" / {self.budget.calls}" if self.budget.calls else ""
        )
        return Text(
            f"{self.attempt} · running {self.running} · done {self.done}"
            f"{f' ({self.failed} failed)' if self.failed else ''} · spent {usd}{cap} · "
            f"model calls {calls}"
        )
