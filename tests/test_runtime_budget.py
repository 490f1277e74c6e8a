"""The budget holds through the whole runtime: random plans, prices, latencies, failures."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codeplan
from codeplan import Budget
from codeplan._models import ModelClient, load_litellm

_names = itertools.count()

PLANS = {
    "fan-out": "drafts = [generate(TASK, max_tokens=MAX) for i in range(N)]\nresult = [str(d) for d in drafts]\n",
    "best_of": "drafts = best_of(N, TASK, max_tokens=MAX)\nresult = select(drafts, [validate(d) for d in drafts])\n",
    "chain": "d = TASK\nfor i in range(N):\n    d = generate(d, max_tokens=MAX)\nresult = str(d)\n",
    "catching": (
        "kept = []\nfor i in range(N):\n    try:\n        kept.append(str(generate(TASK, max_tokens=MAX)))\n"
        "    except BudgetExceeded:\n        break\nresult = kept\n"
    ),
}


def flaky(fail: bool) -> Exception | None:
    if not fail:
        return None
    litellm = load_litellm()  # configured for no network before it is imported
    return litellm.RateLimitError(message="slow down", llm_provider="fake", model="x")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(sorted(PLANS)),
    n=st.integers(1, 10),
    max_tokens=st.integers(1, 40),
    words=st.integers(1, 60),
    price=st.floats(1e-5, 5e-3),
    usd_cap=st.floats(0.001, 0.1),
    calls_cap=st.none() | st.integers(1, 12),
    tokens_cap=st.none() | st.integers(50, 2000),
    latency=st.sampled_from([0.0, 0.005, 0.02]),
    failures=st.lists(st.booleans(), max_size=6),
    concurrency=st.integers(1, 6),
)
def test_spend_never_exceeds_a_cap(
    shape,
    n,
    max_tokens,
    words,
    price,
    usd_cap,
    calls_cap,
    tokens_cap,
    latency,
    failures,
    concurrency,
):
    model = codeplan.fake_model(
        f"prop-{next(_names)}",
        reply=lambda messages: " ".join(["word"] * words),
        latency=latency,
        input_price=price / 2,
        output_price=price,
        errors=[flaky(f) for f in failures],
    )
    plan = PLANS[shape].replace("MAX", str(max_tokens)).replace("N", str(n))
    budget = Budget(usd=usd_cap, calls=calls_cap, tokens=tokens_cap)
    result = codeplan.execute(
        plan,
        "write two words",
        model=model,
        budget=budget,
        max_concurrency=concurrency,
        requirements=[lambda text: True],
        client=ModelClient(retries=2, backoff=0.0),
    )
    assert result.status in ("ok", "budget_exhausted", "error"), result.error
    usage = result.usage
    assert usage.usd <= usd_cap
    if calls_cap is not None:
        assert usage.calls <= calls_cap
    if tokens_cap is not None:
        assert usage.tokens <= tokens_cap
    # everything spent is accounted for in the graph too
    assert usage.calls == sum(node.calls for node in result.graph.nodes)
    assert abs(usage.usd - sum(node.usd for node in result.graph.nodes)) < 1e-9
