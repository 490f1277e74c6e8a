"""The model client, the call cache and the fake models, through the real `litellm.completion`.

No mocks of litellm: every call goes through litellm's custom-provider path to the fakes in
`codeplan._fake`. No network, no API keys.
"""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import trio

from codeplan import CallCache, ModelError, UserError, fake_model
from codeplan._fake import PROVIDER, configure_fake, fake_calls, register
from codeplan._models import ModelClient, ModelReply, load_litellm

ROOT = Path(__file__).resolve().parent.parent
IN_PRICE, OUT_PRICE = 1e-6, 2e-6  # the fakes' default prices
_names = itertools.count()


def fresh(prefix: str, **options: Any) -> str:
    """A scripted fake with a unique name (the fakes' registry is process-wide)."""
    return fake_model(f"{prefix}-{next(_names)}", **options)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def complete(
    client: ModelClient, model: str, messages: list[dict[str, Any]], **kw: Any
) -> ModelReply:
    kw.setdefault("max_tokens", 50)
    return trio.run(functools.partial(client.complete, model, messages, **kw))


@pytest.fixture(scope="module")
def litellm() -> Any:
    """litellm, warmed up: its first completion takes ~0.5 s, which would skew timing tests."""
    module = load_litellm()
    complete(ModelClient(), "fake/echo", user("warm up"))
    return module


def test_importing_codeplan_does_not_import_litellm():
    code = (
        "import sys, codeplan, codeplan._models, codeplan._fake, codeplan._cache\n"
        "assert 'litellm' not in sys.modules, 'litellm was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_echo_returns_text_usage_and_cost(litellm):
    reply = complete(
        ModelClient(),
        "fake/echo",
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "the quick brown fox"},
        ],
    )
    assert reply.text == "the quick brown fox"
    assert (reply.prompt_tokens, reply.completion_tokens) == (6, 4)
    assert reply.usd > 0
    assert reply.usd == pytest.approx(6 * IN_PRICE + 4 * OUT_PRICE)
    assert not reply.cached and reply.attempts == 1 and reply.model == "fake/echo"
    # litellm prices the fake the same way on its own.
    assert sum(
        litellm.cost_per_token(model="fake/echo", prompt_tokens=6, completion_tokens=4)
    ) == pytest.approx(reply.usd)


def test_upper_is_cut_to_max_tokens(litellm):
    reply = complete(ModelClient(), "fake/upper", user("one two three four five"), max_tokens=3)
    assert reply.text == "ONE TWO THREE"
    assert reply.completion_tokens == 3


def test_estimate_matches_prompt_tokens_and_bounds_the_cost(litellm):
    client = ModelClient()
    model = fresh(
        "estimate",
        reply=lambda m: "a reply of six words here",
        tokens_per_word=1.5,
        input_price=3e-6,
        output_price=5e-6,
    )
    messages = [{"role": "system", "content": "sys prompt"}, *user("count these five words please")]
    prompt, worst = client.estimate(model, messages, max_tokens=10)
    assert prompt == 11  # ceil(7 words * 1.5)
    assert worst == pytest.approx(11 * 3e-6 + 10 * 5e-6)
    reply = complete(client, model, messages, max_tokens=10)
    assert reply.prompt_tokens == prompt
    assert reply.completion_tokens == 6
    assert reply.usd <= worst
    assert reply.usd == pytest.approx(11 * 3e-6 + 6 * 5e-6)


def test_estimate_of_a_free_model_is_zero_and_of_an_unknown_model_teaches(litellm):
    free = fresh("free", input_price=0, output_price=0)
    assert ModelClient().estimate(free, user("hi"), max_tokens=100) == (1, 0.0)
    litellm.register_model(
        {"codeplan-test/unpriced": {"litellm_provider": "openai", "mode": "chat"}}
    )
    tokens, usd = ModelClient().estimate("codeplan-test/unpriced", user("hi"), max_tokens=100)
    assert tokens > 0 and usd == 0.0
    with pytest.raises(UserError, match=r"Unknown model `nobody/nothing-7b`.*register_model"):
        ModelClient().estimate("nobody/nothing-7b", user("hi"), max_tokens=10)
    with pytest.raises(
        UserError, match=r"no fake model `fake/never-made`.*fake_model\('never-made'"
    ):
        ModelClient().estimate("fake/never-made", user("hi"), max_tokens=10)


def test_a_rate_limit_is_retried_after_a_backoff(litellm):
    error = litellm.RateLimitError(message="slow down", model="fake/x", llm_provider=PROVIDER)
    model = fresh("flaky", replies=["fine now"], errors=[error, None])
    reply = complete(ModelClient(backoff=0.05), model, user("hi"))
    assert reply.text == "fine now"
    assert reply.attempts == 2
    assert fake_calls(model) == 2
    assert reply.latency >= 0.05


def test_transient_errors_give_up_after_the_retries(litellm):
    before = fake_calls("fake/fail")
    with pytest.raises(
        ModelError,
        match=r"`fake/fail` failed after 3 attempt\(s\).*ServiceUnavailableError.*retries=\.\.\.\) \(now 2\)",
    ):
        complete(ModelClient(retries=2, backoff=0.001), "fake/fail", user("hi"))
    assert fake_calls("fake/fail") - before == 3


def test_an_auth_error_fails_at_once(litellm):
    error = litellm.AuthenticationError(
        message="invalid key", model="fake/x", llm_provider=PROVIDER
    )
    model = fresh("locked", errors=[error])
    started = time.perf_counter()
    with pytest.raises(ModelError, match=r"refused the credentials.*invalid key"):
        complete(ModelClient(backoff=5), model, user("hi"))
    assert time.perf_counter() - started < 1
    assert fake_calls(model) == 1


def test_a_missing_key_names_the_env_var(litellm, monkeypatch):
    # litellm 1.106.2 reports this as InternalServerError (transient); it must not be retried.
    for var in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(var, raising=False)
    started = time.perf_counter()
    with pytest.raises(ModelError, match="Set OPENAI_API_KEY in the environment"):
        # A closed local port, in case a key is found elsewhere: never the network.
        complete(
            ModelClient(backoff=5),
            "openai/gpt-4o-mini",
            user("hi"),
            api_base="http://127.0.0.1:9/v1",
        )
    assert time.perf_counter() - started < 4


def test_a_bad_request_is_not_retried(litellm):
    error = litellm.BadRequestError(
        message="unknown parameter", model="fake/x", llm_provider=PROVIDER
    )
    model = fresh("picky", errors=[error])
    with pytest.raises(ModelError, match="rejected the call: BadRequestError: unknown parameter"):
        complete(ModelClient(backoff=5), model, user("hi"))
    assert fake_calls(model) == 1


def test_a_slow_model_times_out(litellm):
    model = fresh("slow", latency=1.0)
    started = time.perf_counter()
    with pytest.raises(ModelError, match=r"did not answer within 0.2 s .*not retried"):
        complete(ModelClient(timeout=0.2), model, user("hi"))
    assert time.perf_counter() - started < 0.6  # the worker thread was abandoned
    assert fake_calls(model) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty reply"),
        ("   ", "empty reply"),
        (None, "garbage.*NoneType"),
        (42, "garbage.*int 42"),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic's warning about a non-str content
def test_garbage_is_a_model_error(litellm, content, message):
    model = fresh("garbage", reply=lambda m: content)
    with pytest.raises(ModelError, match=message):
        complete(ModelClient(backoff=5), model, user("hi"))
    assert fake_calls(model) == 1


def test_identical_calls_hit_the_cache_and_samples_do_not(litellm):
    model = fresh("cached", reply=lambda m: "same words")
    cache = CallCache()
    client = ModelClient(cache=cache)
    first = complete(client, model, user("hi"), temperature=0.7)
    second = complete(client, model, user("hi"), temperature=0.7)
    assert not first.cached and second.cached
    assert second.text == first.text
    assert second.usd == 0 and first.usd > 0
    assert (second.prompt_tokens, second.completion_tokens) == (
        first.prompt_tokens,
        first.completion_tokens,
    )
    assert second.attempts == 0
    assert fake_calls(model) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    other = complete(client, model, user("hi"), temperature=0.7, sample=1)
    assert not other.cached
    assert fake_calls(model) == 2
    complete(client, model, user("hi"), temperature=0.7, max_tokens=7)  # other params: a miss
    assert fake_calls(model) == 3


def test_failed_calls_are_not_cached(litellm):
    model = fresh(
        "once-bad",
        replies=["good"],
        errors=[litellm.BadRequestError(message="no", model="fake/x", llm_provider=PROVIDER)],
    )
    client = ModelClient(cache=CallCache())
    with pytest.raises(ModelError):
        complete(client, model, user("hi"))
    assert complete(client, model, user("hi")).text == "good"


def test_the_cache_file_reloads_and_survives_a_truncated_line(litellm, tmp_path):
    path = tmp_path / "sub" / "calls.jsonl"
    model = fresh("persisted", reply=lambda m: "kept")
    complete(ModelClient(cache=CallCache(path)), model, user("hi"))
    assert fake_calls(model) == 1
    again = complete(ModelClient(cache=CallCache(path)), model, user("hi"))
    assert again.cached and again.text == "kept" and fake_calls(model) == 1
    # An interrupted write leaves a partial last line: skipped, and the next record still reads.
    with path.open("a") as file:
        file.write('{"key": "abc", "val')
    cache = CallCache(path)
    assert len(cache) == 1
    cache.put("k2", {"text": "x"})
    reloaded = CallCache(path)
    assert len(reloaded) == 2 and reloaded.get("k2") == {"text": "x"}


def test_a_malformed_cache_entry_is_a_miss(litellm):
    model = fresh("malformed", reply=lambda m: "real")
    cache = CallCache()
    cache.put(
        CallCache.key(model, user("hi"), {"max_tokens": 50, "temperature": 0.0}, 0), {"text": 5}
    )
    reply = complete(ModelClient(cache=cache), model, user("hi"))
    assert not reply.cached and reply.text == "real"


def test_cache_keys(litellm):
    key = CallCache.key
    base = key("m", user("hi"), {"max_tokens": 5, "temperature": 0}, 0)
    assert base == key("m", user("hi"), {"temperature": 0.0, "max_tokens": 5}, 0)
    assert base == key(
        "m", user("hi"), {"max_tokens": 5, "temperature": 0, "timeout": 3, "api_key": "sk"}, 0
    )
    assert base != key("m", user("hi"), {"max_tokens": 5, "temperature": 0}, 1)
    assert base != key("m", user("ho"), {"max_tokens": 5, "temperature": 0}, 0)
    assert base != key("n", user("hi"), {"max_tokens": 5, "temperature": 0}, 0)
    with pytest.raises(UserError, match="plain data"):
        CallCache().put(base, {"text": object()})


def test_scripted_replies_come_in_order_and_run_out_clearly(litellm):
    model = fresh("script", replies=["first", "second"])
    client = ModelClient(backoff=5)
    assert complete(client, model, user("a")).text == "first"
    assert complete(client, model, user("b")).text == "second"
    with pytest.raises(
        ModelError, match=r"no reply left for call 3: it was given 2 replies.*more replies"
    ):
        complete(client, model, user("c"))
    assert fake_calls(model) == 3  # not retried


def test_a_reply_function_sees_the_messages(litellm):
    seen = []
    model = fresh("fn", reply=lambda messages: seen.append(messages) or f"{len(messages)} messages")
    messages = [{"role": "system", "content": "s"}, *user("u")]
    assert complete(ModelClient(), model, messages).text == "2 messages"
    assert seen == [messages]


def test_concurrent_calls_run_in_parallel_threads(litellm):
    model = fresh("parallel", reply=lambda m: "done", latency=0.2)
    client = ModelClient()
    replies: list[ModelReply] = []

    async def main() -> None:
        async def one(i: int) -> None:
            replies.append(await client.complete(model, user(f"call {i}"), max_tokens=5))

        async with trio.open_nursery() as nursery:
            for i in range(8):
                nursery.start_soon(one, i)

    started = time.perf_counter()
    trio.run(main)
    elapsed = time.perf_counter() - started
    assert [r.text for r in replies] == ["done"] * 8
    assert fake_calls(model) == 8
    assert elapsed < 0.6, f"8 calls of 0.2 s took {elapsed:.2f} s"


def test_cancelling_a_call_abandons_its_thread(litellm):
    model = fresh("cancelled", latency=1.0)

    async def main() -> None:
        with trio.move_on_after(0.1):
            await ModelClient().complete(model, user("hi"), max_tokens=5)

    started = time.perf_counter()
    trio.run(main)
    assert time.perf_counter() - started < 0.5


def test_configure_fake_sets_latency_and_prices_of_the_builtins(litellm):
    try:
        configure_fake(latency=0.1, input_price=1e-3, output_price=3e-3)
        reply = complete(ModelClient(), "fake/echo", user("two words"))
        assert reply.latency >= 0.1
        assert reply.usd == pytest.approx(2 * 1e-3 + 2 * 3e-3)
        assert ModelClient().estimate("fake/upper", user("x"), max_tokens=4)[1] == pytest.approx(
            1e-3 + 4 * 3e-3
        )
    finally:
        configure_fake(latency=0.0, input_price=IN_PRICE, output_price=OUT_PRICE)
    assert complete(ModelClient(), "fake/echo", user("x")).usd == pytest.approx(
        IN_PRICE + OUT_PRICE
    )


def test_register_is_idempotent_and_keeps_other_providers(litellm):
    other = {"provider": "someone-else", "custom_handler": litellm.CustomLLM()}
    saved = list(litellm.custom_provider_map)
    try:
        litellm.custom_provider_map = [*saved, other]
        register()
        register()
        entries = litellm.custom_provider_map
        assert other in entries
        assert [e["provider"] for e in entries].count(PROVIDER) == 1
        assert complete(ModelClient(), "fake/echo", user("still works")).text == "still works"
    finally:
        litellm.custom_provider_map = saved


def test_an_unknown_fake_model_fails_with_a_hint(litellm):
    with pytest.raises(ModelError, match=r"no fake model `fake/ghost`.*fake_model\('ghost'"):
        complete(ModelClient(backoff=5), "fake/ghost", user("hi"))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda c: c.estimate("fake/echo", user("hi"), max_tokens=0),
            "max_tokens must be an int >= 1",
        ),
        (lambda c: c.estimate("fake/echo", [], max_tokens=5), "messages must be a non-empty list"),
        (
            lambda c: c.estimate("fake/echo", [{"content": "x"}], max_tokens=5),
            r"messages \[0\] lack",
        ),
        (lambda c: complete(c, "fake/echo", user("hi"), stream=True), "`stream`"),
        (lambda c: complete(c, "fake/echo", user("hi"), sample=-1), "sample must be an int >= 0"),
        (lambda c: ModelClient(retries=-1), "retries must be an int >= 0"),
        (lambda c: fake_model("a/b"), "without '/'"),
        (lambda c: fake_model("both", replies=["x"], reply=lambda m: "y"), "not both"),
        (lambda c: fake_model("echo"), "built-in fake model"),
    ],
)
def test_misuse_is_a_user_error(litellm, call, message):
    with pytest.raises(UserError, match=message):
        call(ModelClient())
