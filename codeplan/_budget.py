"""The run's budget and the single ledger that enforces it.

Before each model call the runtime reserves the call's worst case; afterwards it settles the real
usage. A reservation that does not fit under every cap is refused with `BudgetExceeded` before
anything is sent, so settled spend never exceeds a cap as long as no call uses more than it
reserved. Money is summed exactly, each amount as the decimal it prints as (0.1 + 0.2 is 0.3), so
rounding can neither push spend past a cap nor refuse a call that fits exactly.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from codeplan._errors import BudgetExceeded, UserError

__all__ = ["Budget", "Ledger", "Reservation", "Usage", "worst_case_usd"]

Unit = Literal["usd", "tokens", "calls", "seconds", "steps"]

_WHOLE = frozenset({"tokens", "calls", "steps"})
_HINTS = {
    "usd": "spend less per call",
    "tokens": "lower max_tokens",
    "calls": "make fewer model calls",
    "seconds": "make the plan do less in sequence",
}


class Budget(BaseModel):
    """Hard caps for one run; leave a cap out (or None) for no limit on that unit.

    Example:

        >>> Budget(usd=0.05, seconds=60)
        Budget(usd=0.05, tokens=None, calls=None, seconds=60.0, steps=None)
        >>> Budget(usd=0)
        Traceback (most recent call last):
        ...
        codeplan._errors.UserError: Invalid Budget: `usd` must be > 0 (got 0); leave it out ...

    Attributes:
        usd: money spent on model calls, at the model's price.
        tokens: prompt plus completion tokens over all model calls.
        calls: number of model calls.
        seconds: wall time of the whole run.
        steps: plan steps; carried to the sandbox, which enforces it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd: float | None = None
    tokens: int | None = None
    calls: int | None = None
    seconds: float | None = None
    steps: int | None = None

    def __init__(
        self,
        *,
        usd: float | None = None,
        tokens: int | None = None,
        calls: int | None = None,
        seconds: float | None = None,
        steps: int | None = None,
    ) -> None:
        caps = {"usd": usd, "tokens": tokens, "calls": calls, "seconds": seconds, "steps": steps}
        # pydantic runs this __init__ for model_validate() too, where it turns the UserError into
        # a ValidationError carrying the same message.
        problems = _cap_problems(caps)
        if problems:
            raise UserError("Invalid Budget: " + "; ".join(problems) + ".")
        super().__init__(**caps)


def _cap_problems(caps: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in caps.items():
        if value is None:
            continue
        whole = name in _WHOLE
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            kind = "a whole number" if whole else "a number"
            problems.append(f"`{name}` must be {kind} or None (got {value!r})")
        elif not math.isfinite(value) or value <= 0:
            problems.append(
                f"`{name}` must be > 0 (got {value!r}); leave it out or pass None for no {name} cap"
            )
    return problems


class Usage(BaseModel):
    """What model calls used: money, tokens and the number of calls.

    Example:

        >>> total = Usage(usd=0.01, prompt_tokens=300, calls=1) + Usage(completion_tokens=50)
        >>> total.tokens
        350
    """

    usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            usd=self.usd + other.usd,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
        )


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """The worst case of one model call, held by a `Ledger` until it is settled or released.

    Attributes:
        id: unique within its ledger, counting from 1.
        primitive: the primitive that makes the call, for messages.
        usd, tokens, calls: the amounts held.
    """

    id: int
    primitive: str
    usd: float
    tokens: int
    calls: int


class Ledger:
    """The single ledger of a run: reserve a model call's worst case before, settle it after.

    Exhaustion is sticky: once a reservation was refused for a cap, or a settled call pushed spend
    over one, every later `reserve` raises the same `BudgetExceeded`, so cleanup cannot spend more.
    Many reservations may be outstanding at once; each new one must fit beside all of them.

    Example:

        >>> ledger = Ledger(Budget(usd=0.05))
        >>> call = ledger.reserve("generate", usd=0.03, tokens=1_200)
        >>> ledger.settle(call, usd=0.021, prompt_tokens=400, completion_tokens=380)
        >>> ledger.spent.usd, ledger.remaining()["usd"]
        (0.021, 0.029)
        >>> ledger.reserve("generate", usd=0.04, tokens=1_200)
        Traceback (most recent call last):
        ...
        codeplan._errors.BudgetExceeded: The next `generate` call would exceed the usd limit ...
        >>> ledger.exhausted.limit
        'usd'

    Args:
        budget: the caps to enforce.
        clock: seconds as a float; the run's time starts when the ledger is created. Tests pass
            a fake clock; a trio runtime may pass `trio.current_time`.
    """

    def __init__(self, budget: Budget, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._started = clock()
        self._ids = itertools.count(1)
        self._open: dict[int, Reservation] = {}
        self._exhausted: BudgetExceeded | None = None
        # Settled and held amounts; usd as exact fractions so that sums never round past a cap.
        self._spent_usd = Fraction(0)
        self._spent_prompt = 0
        self._spent_completion = 0
        self._spent_calls = 0
        self._held_usd = Fraction(0)
        self._held_tokens = 0
        self._held_calls = 0

    @property
    def exhausted(self) -> BudgetExceeded | None:
        """The error that exhausted this ledger, or None while every cap still has room."""
        return self._exhausted

    @property
    def spent(self) -> Usage:
        """Settled usage: calls that completed, and cancelled calls charged in full."""
        return Usage(
            usd=float(self._spent_usd),
            prompt_tokens=self._spent_prompt,
            completion_tokens=self._spent_completion,
            calls=self._spent_calls,
        )

    @property
    def outstanding(self) -> Usage:
        """Reserved but not yet settled. A reservation does not know its prompt/completion split,
        so its tokens are counted as `prompt_tokens`."""
        return Usage(
            usd=float(self._held_usd), prompt_tokens=self._held_tokens, calls=self._held_calls
        )

    @property
    def elapsed(self) -> float:
        """Seconds since the ledger was created, by its clock."""
        return self._clock() - self._started

    def remaining(self) -> dict[str, float | None]:
        """Room left under each cap: cap - spent - outstanding (never below 0), and seconds left.

        Uncapped units map to None.
        """
        budget = self.budget
        left: dict[str, float | None] = {"usd": None, "tokens": None, "calls": None}
        if budget.usd is not None:
            left["usd"] = max(0.0, float(_exact(budget.usd) - self._spent_usd - self._held_usd))
        if budget.tokens is not None:
            left["tokens"] = max(0, budget.tokens - self._committed("tokens"))
        if budget.calls is not None:
            left["calls"] = max(0, budget.calls - self._committed("calls"))
        left["seconds"] = (
            None if budget.seconds is None else max(0.0, budget.seconds - self.elapsed)
        )
        return left

    def reserve(self, primitive: str, *, usd: float, tokens: int, calls: int = 1) -> Reservation:
        """Hold the worst case of a call about to be made, or raise `BudgetExceeded`.

        Refused if the ledger is exhausted, if the run's seconds are used up, or if spent plus
        outstanding plus this request would exceed any cap. A refusal changes no amounts.
        """
        _check_amounts("reserve", usd=usd, tokens=tokens, calls=calls)
        if self._exhausted is not None:
            raise _again(self._exhausted)
        refusal = self._late(primitive) or self._too_big(primitive, usd, tokens, calls)
        if refusal is not None:
            self._exhausted = refusal
            raise refusal
        reservation = Reservation(
            id=next(self._ids), primitive=primitive, usd=usd, tokens=tokens, calls=calls
        )
        self._open[reservation.id] = reservation
        self._held_usd += _exact(usd)
        self._held_tokens += tokens
        self._held_calls += calls
        return reservation

    def settle(
        self, reservation: Reservation, *, usd: float, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """Replace a reservation by the call's real usage; it counts `reservation.calls` calls.

        Never raises for the budget: the money is spent. If the real usage was larger than
        reserved and spend is now over a cap, the ledger becomes exhausted.
        """
        self._check_open(reservation, "settle")
        _check_amounts(
            "settle", usd=usd, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
        self._close(reservation)
        over = usd > reservation.usd or prompt_tokens + completion_tokens > reservation.tokens
        self._spend(reservation, usd, prompt_tokens, completion_tokens, over=over)

    def release(self, reservation: Reservation, *, charge: bool) -> None:
        """End a reservation whose call did not complete.

        `charge=False`: the call was never sent; the reservation is freed. `charge=True`: it was
        sent and then cancelled, so its real usage is unknown; the full reservation is spent (its
        tokens as `prompt_tokens`).
        """
        self._check_open(reservation, "release")
        self._close(reservation)
        if charge:
            self._spend(reservation, reservation.usd, reservation.tokens, 0, over=False)

    def _committed(self, unit: Literal["tokens", "calls"]) -> int:
        if unit == "tokens":
            return self._spent_prompt + self._spent_completion + self._held_tokens
        return self._spent_calls + self._held_calls

    def _late(self, primitive: str) -> BudgetExceeded | None:
        cap = self.budget.seconds
        elapsed = self.elapsed
        if cap is None or elapsed < cap:
            return None
        return BudgetExceeded(
            f"The next `{primitive}` call would exceed the seconds limit of {_fmt('seconds', cap)}"
            f" (elapsed {_fmt('seconds', elapsed)}). Raise Budget(seconds=...) or"
            f" {_HINTS['seconds']}.",
            limit="seconds",
            cap=cap,
            spent=elapsed,
        )

    def _too_big(
        self, primitive: str, usd: float, tokens: int, calls: int
    ) -> BudgetExceeded | None:
        rows: list[tuple[Unit, float | None, Fraction | int, Fraction | int, Fraction | int]] = [
            (
                "usd",
                self.budget.usd,
                self._spent_usd + self._held_usd,
                self._held_usd,
                _exact(usd),
            ),
            ("tokens", self.budget.tokens, self._committed("tokens"), self._held_tokens, tokens),
            ("calls", self.budget.calls, self._committed("calls"), self._held_calls, calls),
        ]
        for unit, cap, committed, held, amount in rows:
            if cap is None or committed + amount <= _exact(cap):
                continue
            spent = _fmt(unit, committed)
            if held:
                spent += f" incl. {_fmt(unit, held)} held by calls in flight"
            return BudgetExceeded(
                f"The next `{primitive}` call would exceed the {unit} limit of {_fmt(unit, cap)}"
                f" (spent {spent}, reserving {_fmt(unit, amount)})."
                f" Raise Budget({unit}=...) or {_HINTS[unit]}.",
                limit=unit,
                cap=cap,
                spent=float(committed),
                requested=float(amount),
            )
        return None

    def _check_open(self, reservation: Reservation, verb: str) -> None:
        if self._open.get(reservation.id) is not reservation:
            raise UserError(
                f"Cannot {verb} reservation {reservation.id} (`{reservation.primitive}`): it is"
                " not outstanding in this ledger. Settle or release each reservation once, in"
                " the ledger that made it."
            )

    def _close(self, reservation: Reservation) -> None:
        del self._open[reservation.id]
        self._held_usd -= _exact(reservation.usd)
        self._held_tokens -= reservation.tokens
        self._held_calls -= reservation.calls

    def _spend(
        self, reservation: Reservation, usd: float, prompt: int, completion: int, *, over: bool
    ) -> None:
        self._spent_usd += _exact(usd)
        self._spent_prompt += prompt
        self._spent_completion += completion
        self._spent_calls += reservation.calls
        if self._exhausted is not None:
            return
        spent: list[tuple[Unit, float | None, Fraction | int]] = [
            ("usd", self.budget.usd, self._spent_usd),
            ("tokens", self.budget.tokens, self._spent_prompt + self._spent_completion),
            ("calls", self.budget.calls, self._spent_calls),
        ]
        why = "it used more than reserved" if over else "earlier calls used more than reserved"
        for unit, cap, total in spent:
            if cap is not None and total > _exact(cap):
                self._exhausted = BudgetExceeded(
                    f"Exceeded the {unit} limit of {_fmt(unit, cap)}: spent {_fmt(unit, total)}"
                    f" after `{reservation.primitive}` ({why}).",
                    limit=unit,
                    cap=cap,
                    spent=float(total),
                )
                return


def worst_case_usd(
    prompt_tokens: int, max_tokens: int, input_price: float, output_price: float
) -> float:
    """The most a call can cost: every prompt token plus `max_tokens` completion tokens.

    Prices are USD per token, as in litellm's price map.

        >>> worst_case_usd(1_000, 500, input_price=1.5e-07, output_price=6e-07)
        0.00045
    """
    _check_amounts(
        "worst_case_usd",
        prompt_tokens=prompt_tokens,
        max_tokens=max_tokens,
        input_price=input_price,
        output_price=output_price,
    )
    return prompt_tokens * input_price + max_tokens * output_price


def _check_amounts(where: str, **amounts: float) -> None:
    problems = []
    for name, value in amounts.items():
        whole = name not in ("usd", "input_price", "output_price")
        kind = "a whole number" if whole else "a number"
        ok_type = isinstance(value, int) if whole else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            problems.append(f"`{name}` must be {kind} (got {value!r})")
        elif not math.isfinite(value) or value < 0:
            problems.append(f"`{name}` must be >= 0 (got {value!r})")
    if problems:
        raise UserError(f"Invalid arguments to {where}(): " + "; ".join(problems) + ".")


def _again(error: BudgetExceeded) -> BudgetExceeded:
    # A fresh instance each time: re-raising one instance would chain its tracebacks.
    return BudgetExceeded(
        str(error), limit=error.limit, cap=error.cap, spent=error.spent, requested=error.requested
    )


def _exact(amount: float) -> Fraction:
    # The decimal a float prints as: what the caller meant by 0.1, and float() gives it back.
    return Fraction(amount) if isinstance(amount, int) else Fraction(repr(amount))


def _fmt(unit: str, value: float | Fraction) -> str:
    if unit in _WHOLE:
        return f"{int(value):,}"
    return f"{float(value):.6g}"
