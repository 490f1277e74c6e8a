"""A cache of model calls: identical calls (same model, messages, parameters, sample) are reused.

In memory, and optionally persisted as JSON lines so a later run (or a replanned plan) reuses
earlier answers::

    cache = CallCache(Path(".codeplan-cache.jsonl"))
    key = CallCache.key("fake/echo", [{"role": "user", "content": "hi"}], {"max_tokens": 5}, 0)
    cache.get(key)        # None the first time
    cache.put(key, {"text": "hi", "prompt_tokens": 1, "completion_tokens": 1, "usd": 3e-06})
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._errors import UserError

__all__ = ["CallCache"]

log = logging.getLogger("codeplan.cache")

# Call options that change how a call is made, never what it answers.
_NOISE = frozenset(
    {"timeout", "request_timeout", "num_retries", "max_retries", "metadata", "api_key"}
)


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )


class CallCache:
    """Model replies by call key, in memory and (with `path`) in a JSON-lines file.

    The file gets one `{"key": ..., "value": ...}` line per `put`; it is read when the cache is
    made, and a truncated or corrupt line (an interrupted write) is skipped, not fatal.

    Attributes:
        path: the file, or None for a memory-only cache.
        hits, misses: how many `get` calls found / did not find their key.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.hits = 0
        self.misses = 0
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._starts_line = True  # whether the file ends with a newline
        if self.path is not None and self.path.exists():
            self._load(self.path)

    @staticmethod
    def key(
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        sample: int = 0,
    ) -> str:
        """The sha256 of the canonical JSON of a call; `sample` tells best-of-N samples apart.

        Options that do not change the answer (timeouts, retries, metadata, the API key) are
        left out, so a key never depends on a secret.
        """
        kept = {k: v for k, v in params.items() if k not in _NOISE}
        if isinstance(kept.get("temperature"), int):
            kept["temperature"] = float(kept["temperature"])  # 0 and 0.0 are one call
        payload = _canonical([model, list(messages), kept, sample])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value for `key` (a copy), or None; counts a hit or a miss."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            return dict(value)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store `value` (a JSON object) under `key`, appending it to the file if there is one."""
        try:
            line = json.dumps({"key": key, "value": value}, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UserError(
                f"CallCache.put() needs a JSON object of plain data; got {value!r} ({exc})."
            ) from None
        with self._lock:
            self._entries[key] = dict(value)
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                # After a truncated last line, start a fresh line so this record stays readable.
                file.write(("" if self._starts_line else "\n") + line + "\n")
            self._starts_line = True

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"CallCache({where}, {len(self)} entries, {self.hits} hits, {self.misses} misses)"

    def _load(self, path: Path) -> None:
        data = path.read_bytes()
        self._starts_line = not data or data.endswith(b"\n")
        skipped = 0
        for raw in data.splitlines():
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                skipped += 1
                continue
            if (
                isinstance(record, dict)
                and isinstance(record.get("key"), str)
                and isinstance(record.get("value"), dict)
            ):
                self._entries[record["key"]] = record["value"]
            else:
                skipped += 1
        if skipped:
            log.warning("skipped %d unreadable line(s) in the call cache %s", skipped, path)
