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


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the network: any connection off this machine fails loudly."""
    import socket

    real_connect = socket.socket.connect
    local = ("127.0.0.1", "::1", "localhost")

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        inet = self.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(host, str) and host not in local:
            raise OSError(f"tests may not reach the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session", autouse=True)
def session_stats_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs in module and session fixtures record into the session's own store."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODEPLAN_STATS", str(tmp_path_factory.mktemp("stats") / "stats.json"))
        yield


@pytest.fixture(autouse=True)
def stats_store(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs record what they measured in a store of the test's own, never the user's cache."""
    path = tmp_path / "stats.json"
    monkeypatch.setenv("CODEPLAN_STATS", str(path))
    return path
