"""The host side of the plan process: a pool of warm spares and a trio API to one run.

Spares are plain `subprocess.Popen` children, so a pool outlives any one
`trio.run`; a started plan's pipes are wrapped in trio streams of the current run.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import trio

from ._compile import CompiledPlan
from ._limits import LimitName, Limits

ROOT = str(Path(__file__).resolve().parent.parent)
BOOT = f"import sys; sys.path.insert(0, {ROOT!r}); from sandbox._child import main; main()"
# The plan process inherits nothing of ours: no keys, no tokens, no home.
# Poll for an expected reply only when the plan process can run on another CPU meanwhile.
SPIN_SECONDS = 0.0003 if len(os.sched_getaffinity(0)) > 1 else 0.0
CHILD_ENV = {"PATH": os.defpath, "LC_ALL": "C.UTF-8"}


@dataclass(frozen=True)
class HandleRef:
    """A plan's handle, as it appears in a call's arguments or in the result."""

    id: int


@dataclass(frozen=True)
class Call:
    """The plan called a primitive; it did not wait. Answer it when it resolves."""

    id: int
    primitive: str
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Resolve:
    """The plan is blocked until the value of call `id` is sent."""

    id: int


@dataclass(frozen=True)
class Log:
    """Text the plan printed."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The plan ended. Always the last event of a run, however it ended."""

    status: Literal["ok", "error", "limit"]
    result: Any = None
    error: str | None = None
    error_type: str | None = None
    line: int | None = None
    limit: LimitName | None = None
    steps: int = 0
    printed: int = 0


Event = Call | Resolve | Log | Finished


def decode(value: Any) -> Any:
    """JSON from the plan, with {"$handle": id} turned into `HandleRef`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            if "$handle" in value:
                return HandleRef(value["$handle"])
            if "$dict" in value:
                return {k: decode(v) for k, v in value["$dict"].items()}
        return {k: decode(v) for k, v in value.items()}
    return value


def _exit_reason(returncode: int | None, limits: Limits) -> Finished:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Finished(
            "limit",
            limit="cpu",
            error=f"The plan used more than {limits.cpu_seconds} CPU seconds (Limits.cpu_seconds).",
        )
    return Finished(
        "error",
        error_type="PlanProcessDied",
        error=f"The plan process ended without reporting (exit status {returncode}).",
    )


@dataclass(eq=False)
class PlanProcess:
    """One plan, running in its own process. Drive it from trio.

    Example::

        proc = await sandbox.start(plan)
        async for event in proc.events():
            ...   # Call / Resolve / Log, then Finished
    """

    popen: subprocess.Popen[bytes]
    limits: Limits
    _stdin: int = field(init=False)
    _stdout: int = field(init=False)
    _send_lock: trio.Lock = field(default_factory=trio.Lock)
    _killed: Finished | None = None
    _answered: float = 0.0
    finished: Finished | None = None

    def __post_init__(self) -> None:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        # Raw non-blocking fds rather than trio streams: a read or write that can
        # complete at once does so without a trip through the scheduler, which
        # is most of the cost of a round trip.
        self._stdin = os.dup(self.popen.stdin.fileno())
        self._stdout = os.dup(self.popen.stdout.fileno())
        self.popen.stdin.close()
        self.popen.stdout.close()
        os.set_blocking(self._stdin, False)
        os.set_blocking(self._stdout, False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    async def _send(self, message: dict[str, Any]) -> None:
        await self._send_line(json.dumps(message, separators=(",", ":"), allow_nan=False))

    async def _send_line(self, line: str) -> None:
        data = memoryview(line.encode() + b"\n")
        self._answered = time.perf_counter()
        try:
            self._send_lock.acquire_nowait()
        except trio.WouldBlock:
            await self._send_lock.acquire()
        try:
            while data:
                try:
                    data = data[os.write(self._stdin, data) :]
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(self._stdin)
        except OSError:
            pass  # the plan already ended; its Finished event says how
        finally:
            self._send_lock.release()

    async def send_value(self, id: int, value: Any) -> None:
        """Answer call `id` with `value` (JSON data)."""
        await self._send({"op": "value", "id": id, "value": value})

    async def send_error(self, id: int, type: str, message: str) -> None:
        """Answer call `id` with an error the plan sees as an exception of `type`."""
        await self._send({"op": "error", "id": id, "type": type, "message": message})

    def kill(self, limit: LimitName | None = None, message: str | None = None) -> None:
        """Stop the plan now. `events()` then ends with a Finished saying why."""
        if self._killed is None and self.finished is None:
            self._killed = Finished(
                "limit" if limit else "error",
                limit=limit,
                error=message or "The plan was stopped by its host.",
                error_type=None if limit else "Killed",
            )
        if self.popen.poll() is None:
            self.popen.kill()

    async def events(self) -> AsyncIterator[Event]:
        """Every event of the run, ending with exactly one `Finished`."""
        buffer = bytearray()
        cap = self.limits.message_bytes + 1024
        try:
            while self.finished is None:
                newline = buffer.find(b"\n")
                if newline < 0:
                    if len(buffer) > cap:
                        self.kill(
                            "message",
                            f"The plan sent a message over {self.limits.message_bytes:,} bytes "
                            "(Limits.message_bytes).",
                        )
                        buffer.clear()
                    data = await self._read()
                    if not data:
                        self.finished = await self._ended()
                        yield self.finished
                        return
                    buffer += data
                    continue
                line = bytes(buffer[:newline])
                del buffer[: newline + 1]
                event = self._event(json.loads(line))
                if isinstance(event, Finished):
                    self.finished = event
                yield event
        finally:
            self.kill()
            await self._close()

    def _event(self, msg: dict[str, Any]) -> Event:
        op = msg["op"]
        if op == "call":
            return Call(msg["id"], msg["fn"], decode(msg["args"]), decode(msg["kwargs"]))
        if op == "resolve":
            return Resolve(msg["id"])
        if op == "log":
            return Log(msg["text"])
        if op == "done":
            return Finished(
                msg["status"],
                result=decode(msg.get("result")),
                error=msg.get("message"),
                error_type=msg.get("type"),
                line=msg.get("line"),
                limit=msg.get("limit"),
                steps=msg.get("steps", 0),
                printed=msg.get("printed", 0),
            )
        raise ValueError(f"unknown message from the plan process: {op!r}")

    async def _ended(self) -> Finished:
        returncode = await trio.to_thread.run_sync(self.popen.wait)
        return self._killed or _exit_reason(returncode, self.limits)

    async def _read(self) -> bytes:
        spin_until = self._answered + SPIN_SECONDS
        while True:
            try:
                return os.read(self._stdout, 1 << 16)
            except BlockingIOError:
                # Just after an answer the plan usually replies within microseconds:
                # polling briefly beats sleeping and being woken on another CPU.
                if time.perf_counter() < spin_until:
                    continue
                await trio.lowlevel.wait_readable(self._stdout)
            except OSError:
                return b""

    async def _close(self) -> None:
        with trio.CancelScope(shield=True):  # always reap the process, even when cancelled
            for fd in (self._stdin, self._stdout):
                if fd >= 0:
                    trio.lowlevel.notify_closing(fd)
                    os.close(fd)
            self._stdin = self._stdout = -1
            if self.popen.returncode is None:
                await trio.to_thread.run_sync(self.popen.wait)


class Sandbox:
    """Starts plans in fresh processes, keeping `spares` started ahead of need.

    A process runs one plan and is never reused. Use as a context manager, or
    call `close()`, to stop the spares.
    """

    def __init__(self, *, spares: int = 1, python: str | None = None):
        if spares < 0:
            raise ValueError(f"spares must be >= 0 (got {spares}).")
        self._python = python or sys.executable
        self._want = spares
        self._spares: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._refill()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [self._python, "-I", "-S", "-B", "-c", BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=CHILD_ENV,
            cwd="/",
            close_fds=True,
            start_new_session=True,
        )

    def _refill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._spares) >= self._want:
                    return
            proc = self._spawn()
            with self._lock:
                if self._closed:
                    proc.kill()
                    return
                self._spares.append(proc)

    def _take(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._closed:
                raise RuntimeError("This Sandbox is closed; create a new one.")
            while self._spares:
                proc = self._spares.pop(0)
                if proc.poll() is None:
                    break
            else:
                proc = None
        if self._want:
            threading.Thread(target=self._refill, daemon=True).start()
        return proc

    async def start(
        self,
        plan: CompiledPlan,
        *,
        limits: Limits | None = None,
        constants: Mapping[str, Any] | None = None,
    ) -> PlanProcess:
        """Run `plan` in a fresh process; the returned process is already running it."""
        limits = limits or Limits()
        constants = dict(constants or {})
        missing = sorted(set(plan.constants) - set(constants))
        if missing:
            raise ValueError(
                f"The plan was compiled with constants {missing} but start() got no value "
                "for them; pass constants={...} with every name given to compile_plan."
            )
        try:
            message = json.dumps(
                {
                    "op": "start",
                    "code": base64.b64encode(plan.code).decode(),
                    "prelude": base64.b64encode(plan.prelude).decode() if plan.prelude else None,
                    "primitives": list(plan.primitives),
                    "constants": constants,
                    "limits": limits.as_dict(),
                },
                allow_nan=False,
            )
        except (TypeError, ValueError) as err:
            raise TypeError(f"constants must be JSON data: {err}") from None
        popen = self._take()
        if popen is None:  # no warm spare: start one without blocking the event loop
            popen = await trio.to_thread.run_sync(self._spawn)
        proc = PlanProcess(popen, limits)
        await proc._send_line(message)
        return proc

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for proc in spares:
            proc.kill()
            proc.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
