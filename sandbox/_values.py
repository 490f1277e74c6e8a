"""The values plan code holds besides plain data: handles, records, plan errors.

Stdlib only; lives in the plan process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class PlanLimit(BaseException):
    """A limit was reached. A BaseException, so `except Exception` cannot catch it."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


class PlanError(Exception):
    """Base of the errors the host reports to a plan."""


class PrimitiveError(PlanError):
    """A primitive failed."""


class BudgetExceeded(PlanError):
    """A budget cap would be, or was, exceeded."""


HOST_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        PlanError,
        PrimitiveError,
        BudgetExceeded,
        ValueError,
        TypeError,
        KeyError,
        TimeoutError,
    )
}


class Record(dict[str, Any]):
    """A JSON object from the host: a dict whose fields also read as attributes."""

    __slots__ = ()


class Handle:
    """The promise of a primitive's result. Using its value in any way waits for it."""

    __slots__ = ("_id", "_resolve", "_state", "_value")

    def __init__(self, id: int, resolve: Callable[[int], Any]):
        self._id = id
        self._resolve = resolve
        self._state = 0  # 0 pending, 1 value, 2 error
        self._value: Any = None

    def _get(self) -> Any:
        if self._state == 0:
            try:
                self._value = self._resolve(self._id)
                self._state = 1
            except PlanError as err:
                self._value, self._state = err, 2
        if self._state == 2:
            raise self._value
        return self._value

    def __repr__(self) -> str:
        return repr(self._get())

    def __str__(self) -> str:
        return str(self._get())

    def __format__(self, spec: str) -> str:
        return format(self._get(), spec)

    def __bool__(self) -> bool:
        return bool(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Any:
        return iter(self._get())

    def __contains__(self, item: Any) -> bool:
        return item in self._get()

    def __getitem__(self, key: Any) -> Any:
        return self._get()[key]

    def __hash__(self) -> int:
        return hash(self._get())

    def __eq__(self, other: object) -> bool:
        return bool(self._get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get() != other)

    def __lt__(self, other: Any) -> Any:
        return self._get() < other

    def __le__(self, other: Any) -> Any:
        return self._get() <= other

    def __gt__(self, other: Any) -> Any:
        return self._get() > other

    def __ge__(self, other: Any) -> Any:
        return self._get() >= other

    def __int__(self) -> int:
        return int(self._get())

    def __float__(self) -> float:
        return float(self._get())

    def __index__(self) -> int:
        return int(self._get().__index__())

    def __neg__(self) -> Any:
        return -self._get()

    def __abs__(self) -> Any:
        return abs(self._get())

    def __round__(self, n: int | None = None) -> Any:
        return round(self._get(), n)

    # `+ * ** <<` reach the guards, which resolve first, unless one side is a small
    # literal (`h + 1`, `h * 0.5`): then these run, and growth is bounded by the literal.
    def __add__(self, o: Any) -> Any:
        return self._get() + o

    def __radd__(self, o: Any) -> Any:
        return o + self._get()

    def __mul__(self, o: Any) -> Any:
        return self._get() * o

    def __rmul__(self, o: Any) -> Any:
        return o * self._get()

    def __sub__(self, o: Any) -> Any:
        return self._get() - o

    def __rsub__(self, o: Any) -> Any:
        return o - self._get()

    def __truediv__(self, o: Any) -> Any:
        return self._get() / o

    def __rtruediv__(self, o: Any) -> Any:
        return o / self._get()

    def __floordiv__(self, o: Any) -> Any:
        return self._get() // o

    def __rfloordiv__(self, o: Any) -> Any:
        return o // self._get()

    def __mod__(self, o: Any) -> Any:
        return self._get() % o

    def __rmod__(self, o: Any) -> Any:
        return o % self._get()


def value_of(obj: Any) -> Any:
    """The value behind a handle (waiting for it), or `obj` itself."""
    return obj._get() if type(obj) is Handle else obj
