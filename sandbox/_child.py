"""The plan process: waits as a warm spare, then runs exactly one plan.

Started by the host as ``python -I -S -B -c <boot>`` with a scrubbed environment.
It imports only the standard library and `sandbox._guards`, reads one ``start``
message, applies its resource limits, runs the restricted code and reports the
outcome as JSON lines on stdout. Plan code reaches none of this module: its
globals hold only the guards, the safe builtins, primitive stubs and constants.
"""

from __future__ import annotations

import base64
import json
import marshal
import math
import os
import resource
import select
import signal
import sys
import time
from typing import Any, NoReturn

from ._builtins import make_builtins
from ._guards import make_guards
from ._values import HOST_ERRORS, Handle, PlanLimit, Record

PLAN_FILENAME = "<plan>"
MAX_DEPTH = 100
# Poll for an expected answer only when the host can run on another CPU meanwhile.
SPIN_SECONDS = 0.0003 if len(os.sched_getaffinity(0)) > 1 else 0.0


class EncodeError(TypeError):
    pass


def encode(value: Any, depth: int = 0) -> Any:
    """Plain JSON data for the host: handles become {"$handle": id}."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        if not math.isfinite(value):
            raise EncodeError(f"cannot send the float `{value}` to the host: it is not finite.")
        return value
    if t is Handle:
        # Always a reference, even when resolved: the host sees the data edge.
        return {"$handle": value._id}
    if depth > MAX_DEPTH:
        raise EncodeError(
            f"cannot send a value nested deeper than {MAX_DEPTH} levels (does it contain itself?)."
        )
    if t is list or t is tuple:
        return [encode(v, depth + 1) for v in value]
    if t is dict or t is Record:
        out = {}
        for key, v in value.items():
            if type(key) is not str:
                raise EncodeError(
                    f"cannot send a dict with a `{type(key).__name__}` key to the host: "
                    "keys must be str."
                )
            out[key] = encode(v, depth + 1)
        return {"$dict": out} if ("$handle" in out or "$dict" in out) else out
    raise EncodeError(
        f"cannot send a `{t.__name__}` to the host: only JSON data (str, int, float, bool, "
        "None, list, dict with str keys) and handles cross."
    )


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_loads = json.JSONDecoder(object_hook=Record).decode


class Channel:
    """JSON lines over the process's stdin/stdout, plus buffered print output.

    Calls are queued, not written: the queue goes out in one write when the plan
    blocks (resolve), ends, starts a loop, or has queued 32 KB. So a fan-out of
    calls followed by a resolve costs the host one wake-up, not one per message.
    """

    def __init__(self) -> None:
        os.set_blocking(0, False)
        self._buffer = bytearray()
        self._out = 1
        self._limits: dict[str, Any] = {}
        self._state: dict[str, Any] = {}
        self._next_id = 0
        self._answers: dict[int, Any] = {}
        self._queue: list[str] = []
        self._queued = 0
        self._log: list[str] = []
        self._log_size = 0
        self.printed = 0
        self.check: Any = None  # set once the guards exist

    def read(self, spin: float = 0.0) -> Any:
        """The next message; with `spin`, poll that many seconds before sleeping."""
        while (end := self._buffer.find(b"\n")) < 0:
            self._buffer += self._read_some(spin)
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return _loads(line.decode())

    def _read_some(self, spin: float) -> bytes:
        deadline = time.perf_counter() + spin
        while True:
            try:
                data = os.read(0, 1 << 16)
            except BlockingIOError:
                # An answer usually comes within microseconds: polling briefly beats
                # sleeping and being woken on another CPU.
                if time.perf_counter() < deadline:
                    continue
                select.select([0], [], [])
                continue
            if not data:
                os._exit(3)  # the host is gone
            return data

    def write(self, message: dict[str, Any]) -> None:
        """Queue `message`; `flush` sends it."""
        data = _dumps(message)
        if len(data) > self._limits["message_bytes"]:
            self._limit(
                "message",
                f"A message to the host would be {len(data):,} bytes; the limit is "
                f"{self._limits['message_bytes']:,} (Limits.message_bytes).",
            )
        self._queue_log()
        self._queue.append(data)
        self._queued += len(data)
        if self._queued > 32_768:
            self.flush()

    def flush(self) -> None:
        self._queue_log()
        if self._queue:
            self._queue.append("")
            data = "\n".join(self._queue).encode()
            self._queue.clear()
            self._queued = 0
            view = memoryview(data)
            while view:
                view = view[os.write(self._out, view) :]

    def _queue_log(self) -> None:
        if self._log:
            self._queue.append(_dumps({"op": "log", "text": "".join(self._log)}))
            self._log.clear()
            self._log_size = 0

    def _limit(self, name: str, message: str) -> NoReturn:
        self._state.setdefault("limit", (name, message))  # sticky: `_check_` re-raises it
        raise PlanLimit(name, message)

    def print(self, text: str) -> None:
        cap = self._limits["output_chars"]
        if self.printed + len(text) > cap:
            self._limit(
                "output", f"The plan printed more than {cap:,} characters (Limits.output_chars)."
            )
        self.printed += len(text)
        self._log.append(text)
        self._log_size += len(text)
        if self._log_size > 8192:
            self.flush()

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Handle:
        self.check()
        self._next_id += 1
        try:
            payload = {
                "op": "call",
                "id": self._next_id,
                "fn": name,
                "args": encode(args),
                "kwargs": encode(kwargs),
            }
        except EncodeError as err:
            raise TypeError(f"`{name}`: {err}") from None
        self.write(payload)
        return Handle(self._next_id, self.resolve)

    def resolve(self, id: int) -> Any:
        self.check()
        if id not in self._answers:
            self.write({"op": "resolve", "id": id})
            self.flush()
            while id not in self._answers:
                msg = self.read(spin=SPIN_SECONDS)
                self._answers[msg["id"]] = msg
        msg = self._answers[id]
        if msg["op"] == "value":
            return msg["value"]
        error = HOST_ERRORS.get(msg.get("type", ""), HOST_ERRORS["PrimitiveError"])
        raise error(msg.get("message", "the primitive failed"))

    def done(self, outcome: dict[str, Any]) -> NoReturn:
        try:
            self.write({"op": "done", **outcome})
        except (PlanLimit, ValueError) as err:  # the result is too large, or not JSON
            self.write(
                {
                    "op": "done",
                    "status": "limit" if isinstance(err, PlanLimit) else "error",
                    "limit": err.limit if isinstance(err, PlanLimit) else None,
                    "type": type(err).__name__,
                    "message": str(err),
                    "line": None,
                    "steps": outcome.get("steps", 0),
                }
            )
        self.flush()
        os._exit(0)


class Printer:
    """What RestrictedPython's `print` rewrite calls: `_print_(_getattr_)._call_print(...)`."""

    def __init__(self, channel: Channel):
        self._channel = channel

    def __call__(self, _getattr_: Any = None) -> Printer:
        return self

    def _call_print(self, *objects: Any, sep: Any = " ", end: Any = "\n") -> None:
        self._channel.print(str(sep).join(str(o) for o in objects) + str(end))


def apply_limits(limits: dict[str, Any]) -> None:
    memory = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))
    os.environ.clear()


def plan_line(err: BaseException) -> int | None:
    line, tb = None, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PLAN_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    return depth


def main() -> None:
    channel = Channel()
    start = channel.read()  # a warm spare waits here
    if start.get("op") != "start":
        os._exit(2)
    state: dict[str, Any] = {}
    limits = channel._limits = dict(start["limits"])
    channel._state = state
    guards = make_guards(limits, state, on_loop=channel.flush)
    channel.check = guards["_check_"]
    apply_limits(limits)

    def on_cpu_limit(signum: int, frame: Any) -> None:
        guards["__limit__"](
            "cpu",
            f"The plan used more than {limits['cpu_seconds']} CPU seconds (Limits.cpu_seconds).",
        )

    signal.signal(signal.SIGXCPU, on_cpu_limit)

    def stub(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Handle:
            return channel.call(name, args, kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    plan_globals: dict[str, Any] = {
        "__builtins__": make_builtins(guards),
        "__name__": "plan",
        "_print_": Printer(channel),
        **{k: v for k, v in guards.items() if not k.startswith("__")},
        **{name: stub(name) for name in start["primitives"]},
        **start["constants"],
    }
    code = marshal.loads(base64.b64decode(start["code"]))
    sys.setrecursionlimit(stack_depth() + int(limits["recursion"]) + 10)

    outcome: dict[str, Any]
    try:
        if start.get("prelude"):
            exec(marshal.loads(base64.b64decode(start["prelude"])), plan_globals)
        exec(code, plan_globals)
        outcome = {"status": "ok"}
    except PlanLimit as err:
        outcome = {
            "status": "limit",
            "limit": err.limit,
            "message": str(err),
            "line": plan_line(err),
        }
    except RecursionError as err:
        outcome = {
            "status": "limit",
            "limit": "recursion",
            "line": plan_line(err),
            "message": f"The plan recursed deeper than {limits['recursion']} frames "
            "(Limits.recursion).",
        }
    except MemoryError as err:
        outcome = {
            "status": "limit",
            "limit": "memory",
            "line": plan_line(err),
            "message": f"The plan ran out of its {limits['memory_mb']} MB of memory "
            "(Limits.memory_mb).",
        }
    except BaseException as err:  # everything the plan raised, reported as data
        outcome = {
            "status": "error",
            "type": type(err).__name__,
            "message": str(err),
            "line": plan_line(err),
        }
    sys.setrecursionlimit(1000)

    # The runtime's own state decides, not the plan: a swallowed limit is still a limit.
    if "limit" in state or guards["__steps_exhausted__"]():
        try:
            guards["_check_"]()
        except PlanLimit as err:
            outcome = {
                "status": "limit",
                "limit": err.limit,
                "message": str(err),
                "line": outcome.get("line"),
            }
    if outcome["status"] == "ok":
        try:
            outcome["result"] = encode(plan_globals.get("result"))
        except EncodeError as err:
            outcome = {
                "status": "error",
                "type": "TypeError",
                "line": None,
                "message": f"`result` must be JSON data or handles: {err}",
            }
    outcome["steps"] = guards["__steps_used__"]()
    outcome["printed"] = channel.printed
    channel.done(outcome)
