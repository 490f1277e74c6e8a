"""The budget's caps and the ledger: reserve before a model call, settle after, never overspend."""

from __future__ import annotations

import doctest
import re
from fractions import Fraction

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeplan import _budget
from codeplan._budget import Budget, Ledger, Reservation, Usage, worst_case_usd
from codeplan._errors import BudgetExceeded, UserError


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_docstring_examples_run():
    result = doctest.testmod(_budget, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


# --- Budget -----------------------------------------------------------------------------------


def test_budget_caps_default_to_none():
    assert Budget() == Budget(usd=None, tokens=None, calls=None, seconds=None, steps=None)
    budget = Budget(usd=0.05, tokens=10_000, calls=8, seconds=60, steps=5_000)
    assert (budget.usd, budget.tokens, budget.calls, budget.seconds, budget.steps) == (
        0.05,
        10_000,
        8,
        60.0,
        5_000,
    )


def test_budget_is_frozen_and_keyword_only():
    budget = Budget(usd=1)
    with pytest.raises(pydantic.ValidationError):
        budget.usd = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Budget(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("caps", "fragment"),
    [
        ({"usd": 0}, "`usd` must be > 0 (got 0); leave it out or pass None for no usd cap"),
        ({"seconds": -5}, "`seconds` must be > 0 (got -5)"),
        ({"usd": float("nan")}, "`usd` must be > 0 (got nan)"),
        ({"tokens": 1e5}, "`tokens` must be a whole number or None (got 100000.0)"),
        ({"calls": True}, "`calls` must be a whole number or None (got True)"),
        ({"steps": "10"}, "`steps` must be a whole number or None (got '10')"),
        ({"usd": "0.05"}, "`usd` must be a number or None (got '0.05')"),
    ],
)
def test_budget_rejects_bad_caps_with_a_user_error(caps, fragment):
    with pytest.raises(UserError) as info:
        Budget(**caps)
    assert str(info.value).startswith("Invalid Budget: ")
    assert fragment in str(info.value)


def test_budget_reports_every_bad_cap_at_once():
    with pytest.raises(UserError) as info:
        Budget(usd=-1, tokens=0, calls=2)
    message = str(info.value)
    assert "`usd` must be > 0 (got -1)" in message and "`tokens` must be > 0 (got 0)" in message
    assert "calls" not in message


def test_budget_validation_also_guards_model_validate():
    with pytest.raises(pydantic.ValidationError, match="`tokens` must be > 0"):
        Budget.model_validate({"tokens": -3})
    with pytest.raises(pydantic.ValidationError, match="Invalid Budget: `usd` must be a number"):
        Budget.model_validate_json('{"usd": "lots"}')
    with pytest.raises(TypeError, match="unexpected keyword argument 'dollars'"):
        Budget.model_validate({"dollars": 3})
    budget = Budget(usd=0.5, steps=100)
    assert Budget.model_validate_json(budget.model_dump_json()) == budget


# --- Usage and prices -------------------------------------------------------------------------


def test_usage_adds_and_counts_tokens():
    total = Usage(usd=0.25, prompt_tokens=100, completion_tokens=20, calls=1) + Usage(
        usd=0.5, prompt_tokens=7, completion_tokens=3, calls=2
    )
    assert total == Usage(usd=0.75, prompt_tokens=107, completion_tokens=23, calls=3)
    assert total.tokens == 130


def test_worst_case_usd_prices_the_whole_prompt_and_every_completion_token():
    assert worst_case_usd(1_000, 200, input_price=1e-6, output_price=4e-6) == pytest.approx(0.0018)
    assert worst_case_usd(0, 0, 1.0, 1.0) == 0
    with pytest.raises(UserError, match=re.escape("`max_tokens` must be >= 0 (got -1)")):
        worst_case_usd(10, -1, 1e-6, 1e-6)


# --- Reserve: the pre-check -------------------------------------------------------------------


def spend(ledger: Ledger, usd: float = 0.0, tokens: int = 0, primitive: str = "generate") -> None:
    """A call that used exactly what it reserved."""
    reservation = ledger.reserve(primitive, usd=usd, tokens=tokens)
    ledger.settle(reservation, usd=usd, prompt_tokens=tokens, completion_tokens=0)


def test_reserve_refuses_before_spending_with_a_teaching_message():
    ledger = Ledger(Budget(usd=0.05))
    spend(ledger, usd=0.048)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("generate", usd=0.004, tokens=100)
    assert str(info.value) == (
        "The next `generate` call would exceed the usd limit of 0.05 (spent 0.048, reserving"
        " 0.004). Raise Budget(usd=...) or spend less per call."
    )
    error = info.value
    assert (error.limit, error.cap, error.spent, error.requested) == ("usd", 0.05, 0.048, 0.004)
    assert ledger.spent == Usage(usd=0.048, calls=1)
    assert ledger.outstanding == Usage()


def test_reserve_counts_outstanding_reservations_and_says_so():
    ledger = Ledger(Budget(tokens=1_000))
    ledger.reserve("best_of", usd=0, tokens=600)
    spend(ledger, tokens=300)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("fix", usd=0, tokens=101)
    assert str(info.value) == (
        "The next `fix` call would exceed the tokens limit of 1,000 (spent 900 incl. 600 held by"
        " calls in flight, reserving 101). Raise Budget(tokens=...) or lower max_tokens."
    )
    assert info.value.spent == 900


def test_reserve_may_fill_a_cap_exactly():
    ledger = Ledger(Budget(usd=0.3, calls=3))
    for _ in range(3):
        ledger.reserve("generate", usd=0.1, tokens=10)  # 0.1 + 0.1 + 0.1 > 0.3 in floats
    assert ledger.remaining()["usd"] == 0 and ledger.remaining()["calls"] == 0
    assert ledger.outstanding.usd == 0.3
    with pytest.raises(BudgetExceeded, match=re.escape("would exceed the usd limit of 0.3")):
        ledger.reserve("generate", usd=1e-9, tokens=0, calls=0)


def test_settled_money_is_summed_as_decimals():
    ledger = Ledger(Budget(usd=0.3))
    spend(ledger, usd=0.1)
    spend(ledger, usd=0.2)
    assert ledger.spent.usd == 0.3  # not 0.30000000000000004
    assert ledger.exhausted is None and ledger.remaining()["usd"] == 0


def test_reserve_checks_the_calls_cap():
    ledger = Ledger(Budget(calls=2))
    ledger.reserve("generate", usd=0, tokens=0, calls=2)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("judge", usd=0, tokens=0)
    assert str(info.value) == (
        "The next `judge` call would exceed the calls limit of 2 (spent 2 incl. 2 held by calls"
        " in flight, reserving 1). Raise Budget(calls=...) or make fewer model calls."
    )


def test_reserve_rejects_negative_amounts_without_exhausting():
    ledger = Ledger(Budget(usd=1))
    with pytest.raises(
        UserError, match=re.escape("`usd` must be >= 0 (got -0.1); `tokens` must be")
    ):
        ledger.reserve("generate", usd=-0.1, tokens=2.5)  # type: ignore[arg-type]
    assert ledger.exhausted is None
    ledger.reserve("generate", usd=0.5, tokens=3)


# --- Sticky exhaustion --------------------------------------------------------------------------


def test_exhaustion_is_sticky_even_for_calls_that_would_fit():
    ledger = Ledger(Budget(usd=0.05))
    spend(ledger, usd=0.048)
    with pytest.raises(BudgetExceeded) as first:
        ledger.reserve("generate", usd=0.004, tokens=0)
    assert ledger.exhausted is first.value
    for primitive in ("generate", "cleanup"):
        with pytest.raises(BudgetExceeded) as again:
            ledger.reserve(primitive, usd=0.0, tokens=0, calls=0)
        assert str(again.value) == str(first.value)
        assert again.value.limit == "usd" and again.value is not first.value
    assert ledger.spent.usd == 0.048 and ledger.outstanding == Usage()


def test_settling_and_releasing_still_work_after_exhaustion():
    ledger = Ledger(Budget(usd=1.0))
    held = ledger.reserve("generate", usd=0.6, tokens=10)
    with pytest.raises(BudgetExceeded):
        ledger.reserve("generate", usd=0.6, tokens=10)
    ledger.settle(held, usd=0.5, prompt_tokens=4, completion_tokens=5)
    assert ledger.spent == Usage(usd=0.5, prompt_tokens=4, completion_tokens=5, calls=1)
    with pytest.raises(BudgetExceeded, match=re.escape("reserving 0.6")):
        ledger.reserve("generate", usd=0.1, tokens=1)


# --- Settle: the post-check ---------------------------------------------------------------------


def test_settle_records_overspend_and_exhausts_with_a_post_check_message():
    ledger = Ledger(Budget(usd=0.05))
    spend(ledger, usd=0.03)
    call = ledger.reserve("generate", usd=0.01, tokens=100)
    ledger.settle(call, usd=0.0212, prompt_tokens=50, completion_tokens=80)
    assert ledger.spent == Usage(usd=0.0512, prompt_tokens=50, completion_tokens=80, calls=2)
    message = (
        "Exceeded the usd limit of 0.05: spent 0.0512 after `generate` (it used more than"
        " reserved)."
    )
    assert ledger.exhausted is not None and str(ledger.exhausted) == message
    assert ledger.exhausted.requested == 0
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("select", usd=0, tokens=0)
    assert str(info.value) == message


def test_settle_over_the_reservation_but_under_the_cap_is_fine():
    ledger = Ledger(Budget(tokens=1_000))
    call = ledger.reserve("generate", usd=0, tokens=100)
    ledger.settle(call, usd=0, prompt_tokens=90, completion_tokens=60)
    assert ledger.exhausted is None
    assert ledger.spent.tokens == 150 and ledger.remaining()["tokens"] == 850


def test_settle_blames_earlier_calls_when_this_one_kept_to_its_reservation():
    ledger = Ledger(Budget(tokens=100))
    first = ledger.reserve("a", usd=0, tokens=50)
    second = ledger.reserve("b", usd=0, tokens=50)
    ledger.settle(first, usd=0, prompt_tokens=70, completion_tokens=0)
    assert ledger.exhausted is None
    ledger.settle(second, usd=0, prompt_tokens=40, completion_tokens=0)
    assert str(ledger.exhausted) == (
        "Exceeded the tokens limit of 100: spent 110 after `b` (earlier calls used more than"
        " reserved)."
    )


def test_a_reservation_ends_exactly_once_and_only_in_its_ledger():
    ledger, other = Ledger(Budget()), Ledger(Budget())
    call = ledger.reserve("generate", usd=0.1, tokens=10)
    stranger = other.reserve("generate", usd=0.1, tokens=10)
    with pytest.raises(UserError, match=re.escape("Cannot settle reservation 1 (`generate`)")):
        ledger.settle(stranger, usd=0, prompt_tokens=0, completion_tokens=0)
    with pytest.raises(UserError, match="`completion_tokens` must be >= 0"):
        ledger.settle(call, usd=0, prompt_tokens=0, completion_tokens=-1)
    ledger.settle(call, usd=0.05, prompt_tokens=5, completion_tokens=5)
    for end in (
        lambda: ledger.settle(call, usd=0, prompt_tokens=0, completion_tokens=0),
        lambda: ledger.release(call, charge=False),
    ):
        with pytest.raises(UserError, match="not outstanding in this ledger"):
            end()
    assert ledger.spent == Usage(usd=0.05, prompt_tokens=5, completion_tokens=5, calls=1)


# --- Release ------------------------------------------------------------------------------------


def test_release_without_charge_frees_the_reservation():
    ledger = Ledger(Budget(usd=0.1, calls=1))
    call = ledger.reserve("generate", usd=0.1, tokens=500)
    assert ledger.outstanding == Usage(usd=0.1, prompt_tokens=500, calls=1)
    ledger.release(call, charge=False)
    assert ledger.spent == Usage() and ledger.outstanding == Usage()
    ledger.reserve("generate", usd=0.1, tokens=500)  # the room is back


def test_release_with_charge_spends_the_whole_reservation():
    ledger = Ledger(Budget(usd=0.1, calls=3))
    call = ledger.reserve("generate", usd=0.06, tokens=500, calls=2)
    ledger.release(call, charge=True)
    assert ledger.spent == Usage(usd=0.06, prompt_tokens=500, calls=2)
    assert ledger.outstanding == Usage()
    assert ledger.remaining()["usd"] == pytest.approx(0.04) and ledger.remaining()["calls"] == 1
    with pytest.raises(BudgetExceeded, match=re.escape("spent 0.06, reserving 0.05")):
        ledger.reserve("generate", usd=0.05, tokens=1)


# --- Seconds and remaining() --------------------------------------------------------------------


def test_seconds_cap_uses_the_injected_clock_from_ledger_creation():
    clock = FakeClock(now=1_000.0)
    ledger = Ledger(Budget(seconds=10), clock=clock)
    clock.now += 9.5
    assert ledger.elapsed == 9.5 and ledger.remaining()["seconds"] == 0.5
    ledger.reserve("generate", usd=0, tokens=0)
    clock.now += 0.5
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("generate", usd=0, tokens=0)
    assert str(info.value) == (
        "The next `generate` call would exceed the seconds limit of 10 (elapsed 10)."
        " Raise Budget(seconds=...) or make the plan do less in sequence."
    )
    assert (info.value.limit, info.value.cap, info.value.spent) == ("seconds", 10, 10)
    assert ledger.remaining()["seconds"] == 0
    clock.now -= 5  # exhaustion is sticky even if a clock went backwards
    with pytest.raises(BudgetExceeded, match="seconds limit"):
        ledger.reserve("generate", usd=0, tokens=0)


def test_remaining_reports_every_unit_and_none_when_uncapped():
    clock = FakeClock()
    ledger = Ledger(Budget(usd=1.0, calls=10, seconds=30, steps=99), clock=clock)
    assert ledger.remaining() == {"usd": 1.0, "tokens": None, "calls": 10, "seconds": 30.0}
    spend(ledger, usd=0.25, tokens=40)
    ledger.reserve("generate", usd=0.5, tokens=60, calls=3)
    clock.now += 12
    assert ledger.remaining() == {"usd": 0.25, "tokens": None, "calls": 6, "seconds": 18.0}
    assert Ledger(Budget()).remaining() == dict.fromkeys(("usd", "tokens", "calls", "seconds"))


def test_remaining_never_goes_below_zero_after_an_overspend():
    ledger = Ledger(Budget(usd=0.1, tokens=10))
    call = ledger.reserve("generate", usd=0.1, tokens=10)
    ledger.settle(call, usd=0.3, prompt_tokens=20, completion_tokens=20)
    assert ledger.remaining()["usd"] == 0 and ledger.remaining()["tokens"] == 0
    assert ledger.exhausted is not None and ledger.exhausted.limit == "usd"


# --- The invariant, under random interleavings --------------------------------------------------

caps = st.builds(
    Budget,
    # Decimal caps and amounts hit the exact-fit boundary that random floats almost never do.
    usd=st.none() | st.floats(min_value=1e-6, max_value=10.0) | st.sampled_from([0.05, 0.3, 1.0]),
    tokens=st.none() | st.integers(min_value=1, max_value=5_000),
    calls=st.none() | st.integers(min_value=1, max_value=12),
)


def exact(amount: float) -> Fraction:
    """An amount as the decimal it prints as: the ledger's exact view of money."""
    return Fraction(repr(float(amount)))


class Books:
    """What the ledger must hold, summed exactly."""

    def __init__(self) -> None:
        self.usd = {"spent": Fraction(0), "held": Fraction(0)}
        self.tokens = {"spent": 0, "held": 0}
        self.calls = {"spent": 0, "held": 0}

    def totals(self, unit: str) -> tuple[Fraction, Fraction]:
        amounts = getattr(self, unit)
        return Fraction(amounts["spent"]), Fraction(amounts["held"])


@settings(max_examples=100, deadline=None)
@given(budget=caps, data=st.data())
def test_random_interleavings_never_overspend(budget, data):
    ledger = Ledger(budget, clock=FakeClock())
    books = Books()
    held: list[Reservation] = []
    spent_prompt = spent_completion = 0
    for _ in range(data.draw(st.integers(1, 30), label="operations")):
        operation = data.draw(st.sampled_from(["reserve", "reserve", "settle", "release"]))
        if operation == "reserve" or not held:
            most = (budget.usd or 1.0) * 0.6
            decimals = [x for x in (0.0, 0.01, 0.1, 0.2) if x <= most]
            usd = data.draw(st.floats(0, most) | st.sampled_from(decimals), label="usd")
            tokens = data.draw(st.integers(0, (budget.tokens or 1_000) * 3 // 5), label="tokens")
            calls = data.draw(st.integers(0, 3), label="calls")
            request = {"usd": exact(usd), "tokens": tokens, "calls": calls}
            overflow = any(
                getattr(budget, unit) is not None
                and sum(books.totals(unit)) + request[unit] > exact(getattr(budget, unit))
                for unit in ("usd", "tokens", "calls")
            )
            refused = ledger.exhausted is not None or overflow
            before = (ledger.spent, ledger.outstanding)
            if refused:
                with pytest.raises(BudgetExceeded):
                    ledger.reserve("generate", usd=usd, tokens=tokens, calls=calls)
                assert (ledger.spent, ledger.outstanding) == before
                assert ledger.exhausted is not None
            else:
                held.append(ledger.reserve("generate", usd=usd, tokens=tokens, calls=calls))
                books.usd["held"] += exact(usd)
                books.tokens["held"] += tokens
                books.calls["held"] += calls
        else:
            call = held.pop(data.draw(st.integers(0, len(held) - 1), label="which"))
            books.usd["held"] -= exact(call.usd)
            books.tokens["held"] -= call.tokens
            books.calls["held"] -= call.calls
            spends = True
            if operation == "settle":
                usd = data.draw(st.floats(0, call.usd), label="real usd")
                prompt = data.draw(st.integers(0, call.tokens), label="prompt")
                completion = data.draw(st.integers(0, call.tokens - prompt), label="completion")
                ledger.settle(call, usd=usd, prompt_tokens=prompt, completion_tokens=completion)
            else:
                spends = data.draw(st.booleans(), label="charge")
                usd, prompt, completion = call.usd, call.tokens, 0
                ledger.release(call, charge=spends)
            if spends:
                books.usd["spent"] += exact(usd)
                books.tokens["spent"] += prompt + completion
                books.calls["spent"] += call.calls
                spent_prompt += prompt
                spent_completion += completion

        # The ledger's books match the exact sums ...
        assert ledger.spent == Usage(
            usd=float(books.usd["spent"]),
            prompt_tokens=spent_prompt,
            completion_tokens=spent_completion,
            calls=books.calls["spent"],
        )
        assert ledger.outstanding == Usage(
            usd=float(books.usd["held"]),
            prompt_tokens=books.tokens["held"],
            calls=books.calls["held"],
        )
        # ... and neither spend nor spend plus reservations ever passes a cap.
        for unit in ("usd", "tokens", "calls"):
            cap = getattr(budget, unit)
            if cap is None:
                assert ledger.remaining()[unit] is None
                continue
            spent, outstanding = books.totals(unit)
            assert spent <= exact(cap) and spent + outstanding <= exact(cap)
            assert getattr(ledger.spent, unit) <= cap
            assert ledger.remaining()[unit] == float(exact(cap) - spent - outstanding)
        assert ledger.exhausted is None or ledger.exhausted.limit in ("usd", "tokens", "calls")
