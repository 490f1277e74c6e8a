"""Fake models served through litellm's custom-provider hook, for tests, demos and benchmarks.

Calls to `fake/...` models go through the real `litellm.completion` path (price map, usage,
cost, exception types); only the provider at the end is scripted. Built in:

* `fake/echo`: replies with the last user message's text;
* `fake/upper`: the same, upper-cased;
* `fake/fail`: always raises `litellm.ServiceUnavailableError` (a transient error, so a client
  retries it until its retries run out).

Scripted models come from `fake_model`::

    model = fake_model("greeter", replies=["Hello!", "Hi again."], latency=0.1)
    # "fake/greeter": the first call answers "Hello!", the second "Hi again.", a third fails.

Token usage is counted in words so tests can predict it: prompt tokens are the words of every
message times `tokens_per_word` (rounded up, at least 1); completion tokens are the words of the
reply (at least 1), and a reply is cut to `max_tokens` words so a reservation is never exceeded.

litellm is imported on first use only, never when this module is imported.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import UserError
from ._providers import handler_base, respond

__all__ = [
    "PROVIDER",
    "FakeModel",
    "configure_fake",
    "fake_calls",
    "fake_model",
    "register",
]

PROVIDER = "fake"
_PREFIX = PROVIDER + "/"
_BUILTIN = ("echo", "upper", "fail")

Messages = list[dict[str, Any]]
ReplyFunction = Callable[[Messages], str]


def _litellm() -> Any:
    from ._models import load_litellm

    return load_litellm()


def _short(model: str) -> str:
    """`fake/echo` -> `echo`; a bare name stays as it is."""
    return model[len(_PREFIX) :] if model.startswith(_PREFIX) else model


def _text_of(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return "" if content is None else str(content)


def count_words(messages: Sequence[dict[str, Any]]) -> int:
    """Words in the content of all messages (roles and names are not counted)."""
    return sum(len(_text_of(m.get("content")).split()) for m in messages)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _last_user_text(messages: Messages) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


@dataclass
class _Script:
    """One fake model: how it answers, what it costs, and how often it was called."""

    name: str
    reply: ReplyFunction | None = None
    replies: tuple[str, ...] | None = None
    errors: tuple[Exception | None, ...] = ()
    latency: float = 0.0
    input_price: float = 1e-6
    output_price: float = 2e-6
    tokens_per_word: float = 1.0
    fails: bool = False
    calls: int = 0
    replied: int = 0

    def prompt_tokens(self, messages: Sequence[dict[str, Any]]) -> int:
        return max(1, math.ceil(count_words(messages) * self.tokens_per_word))


class FakeModel:
    """The `fake` provider: the built-in and scripted fake models, with thread-safe counters.

    One instance serves every `fake/...` model in the process (litellm's provider map is
    process-wide); use the module functions `fake_model`, `configure_fake`, `fake_calls` and
    `register` rather than making another. Calls arrive from worker threads concurrently.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {
            "echo": _Script("echo", reply=_last_user_text),
            "upper": _Script("upper", reply=lambda m: _last_user_text(m).upper()),
            "fail": _Script("fail", fails=True),
        }
        self._handler: Any = None
        self._registered = False

    # --- the registry -------------------------------------------------------------

    def add(self, script: _Script) -> str:
        """Register (or replace) a scripted model and return its model string."""
        if script.name in _BUILTIN:
            raise UserError(
                f"`{_PREFIX}{script.name}` is a built-in fake model and cannot be replaced. "
                f"Pick another name, e.g. fake_model('my-{script.name}', ...)."
            )
        with self._lock:
            self._scripts[script.name] = script
        if self._registered:
            self._register_price(script)
        return _PREFIX + script.name

    def configure(
        self,
        *,
        latency: float | None = None,
        input_price: float | None = None,
        output_price: float | None = None,
    ) -> None:
        """Change the latency and prices of the built-in models."""
        with self._lock:
            for name in _BUILTIN:
                script = self._scripts[name]
                if latency is not None:
                    script.latency = latency
                if input_price is not None:
                    script.input_price = input_price
                if output_price is not None:
                    script.output_price = output_price
        if self._registered:
            for name in _BUILTIN:
                self._register_price(self._scripts[name])

    def knows(self, model: str) -> bool:
        """Whether `model` (`fake/name` or `name`) is a built-in or registered fake model."""
        return _short(model) in self._scripts

    def calls(self, model: str) -> int:
        """How many calls `model` (`fake/name` or `name`) has received, errors included."""
        script = self._scripts.get(_short(model))
        if script is None:
            raise UserError(self._unknown_message(_short(model)))
        with self._lock:
            return script.calls

    def prompt_tokens(self, model: str, messages: Sequence[dict[str, Any]]) -> int:
        """The prompt tokens the fake will report for `messages` (what estimates should use)."""
        script = self._scripts.get(_short(model))
        if script is None:
            raise UserError(self._unknown_message(_short(model)))
        return script.prompt_tokens(messages)

    def check(self, model: str) -> None:
        """Raise `UserError` if `model` is not a built-in or registered fake model."""
        if _short(model) not in self._scripts:
            raise UserError(self._unknown_message(_short(model)))

    @staticmethod
    def _unknown_message(name: str) -> str:
        builtins = ", ".join(f"`{_PREFIX}{b}`" for b in _BUILTIN)
        return (
            f"There is no fake model `{_PREFIX}{name}`. Built in: {builtins}; register others "
            f"first with codeplan.fake_model({name!r}, replies=[...]) or reply=<function>."
        )

    # --- litellm ------------------------------------------------------------------

    def register(self) -> None:
        """Install the `fake` provider in litellm and register the fakes' prices. Idempotent."""
        litellm = _litellm()
        with self._lock:
            if self._handler is None:
                self._handler = _handler_class(litellm)(self)
            entries = list(litellm.custom_provider_map)
            installed = any(e.get("custom_handler") is self._handler for e in entries)
            if installed and self._registered:
                return
            if not installed:
                # litellm uses the last entry for a provider; keep everybody else's.
                litellm.custom_provider_map = [
                    *entries,
                    {"provider": PROVIDER, "custom_handler": self._handler},
                ]
            # completion() does this on every call; cost and info lookups need it earlier.
            litellm.utils.custom_llm_setup()
            scripts = list(self._scripts.values())
            self._registered = True
        for script in scripts:
            self._register_price(script)

    @staticmethod
    def _register_price(script: _Script) -> None:
        _litellm().register_model(
            {
                _PREFIX + script.name: {
                    "input_cost_per_token": script.input_price,
                    "output_cost_per_token": script.output_price,
                    # Without these litellm logs a warning for every custom-priced model.
                    "cache_creation_input_token_cost": 0.0,
                    "cache_read_input_token_cost": 0.0,
                    "litellm_provider": PROVIDER,
                    "mode": "chat",
                    "max_tokens": 1_000_000,
                    "max_input_tokens": 1_000_000,
                    "max_output_tokens": 1_000_000,
                }
            }
        )

    def serve(
        self, name: str, messages: Messages, max_tokens: int | None
    ) -> tuple[Any, int, int, bool]:
        """Answer one call: (reply, prompt tokens, completion tokens, truncated).

        Raises litellm exceptions, as a real provider would. Runs in a worker thread.
        """
        litellm = _litellm()
        model = _PREFIX + name
        with self._lock:
            script = self._scripts.get(name)
            if script is None:
                raise litellm.NotFoundError(
                    message=self._unknown_message(name), model=model, llm_provider=PROVIDER
                )
            index = script.calls
            script.calls += 1
            error = script.errors[index] if index < len(script.errors) else None
            scripted: str | None = None
            if error is None and script.replies is not None:
                if script.replied >= len(script.replies):
                    raise litellm.BadRequestError(
                        message=(
                            f"Fake model `{model}` has no reply left for call {index + 1}: it was "
                            f"given {_plural(len(script.replies), 'reply', 'replies')} and has "
                            "used them all. Give "
                            f"fake_model({name!r}, replies=[...]) more replies, or pass "
                            "reply=<function> to answer any number of calls."
                        ),
                        model=model,
                        llm_provider=PROVIDER,
                    )
                scripted = script.replies[script.replied]
                script.replied += 1
        if script.latency > 0:
            time.sleep(script.latency)
        if error is not None:
            raise error
        if script.fails:
            raise litellm.ServiceUnavailableError(
                message=f"`{model}` always fails (a built-in fake for failure paths).",
                model=model,
                llm_provider=PROVIDER,
            )
        text: Any = scripted
        if script.reply is not None:
            try:
                text = script.reply(messages)
            except Exception as exc:
                # A bug in a test's reply function must not look like a transient outage.
                raise litellm.BadRequestError(
                    message=f"The reply function of `{model}` raised {type(exc).__name__}: {exc}",
                    model=model,
                    llm_provider=PROVIDER,
                ) from exc
        truncated = False
        completion = 1
        if isinstance(text, str):
            words = text.split()
            if max_tokens is not None and len(words) > max_tokens:
                text, words, truncated = " ".join(words[:max_tokens]), words[:max_tokens], True
            completion = max(1, len(words))
        return text, script.prompt_tokens(messages), completion, truncated


def _handler_class(litellm: Any) -> type:
    """The `litellm.CustomLLM` subclass that hands calls to a `FakeModel` (built lazily)."""

    class FakeHandler(handler_base(litellm)):  # type: ignore[misc]
        def __init__(self, provider: FakeModel) -> None:
            super().__init__()
            self.provider = provider

        def completion(self, model: str, messages: Messages, *args: Any, **kwargs: Any) -> Any:
            params = kwargs.get("optional_params") or {}
            max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
            text, prompt, completion, truncated = self.provider.serve(
                _short(model), messages, max_tokens
            )
            return respond(
                litellm, kwargs["model_response"], text=text,
                finish_reason="length" if truncated else "stop", model=_PREFIX + _short(model),
                prompt_tokens=prompt, completion_tokens=completion,
            )  # fmt: skip

    return FakeHandler


_PROVIDER = FakeModel()


def register() -> None:
    """Install the `fake` provider in litellm (idempotent; the model client calls it)."""
    _PROVIDER.register()


def provider() -> FakeModel:
    """The process-wide `FakeModel` that serves every `fake/...` model."""
    return _PROVIDER


def fake_model(
    name: str,
    *,
    replies: Sequence[str] | None = None,
    reply: Callable[[Messages], str] | None = None,
    latency: float = 0.0,
    input_price: float = 1e-6,
    output_price: float = 2e-6,
    errors: Sequence[Exception | None] = (),
    tokens_per_word: float = 1.0,
) -> str:
    """Register a scripted model `fake/<name>` and return that model string.

    Args:
        name: the model's name (`"greeter"` or `"fake/greeter"`); registering a name again
            replaces the script and resets its counter.
        replies: returned in order, one per call; a call after the last fails with a message
            that asks for more replies.
        reply: a function of the messages that returns the reply (instead of `replies`).
            With neither, the model echoes the last user message like `fake/echo`.
        latency: seconds slept per call (in the worker thread running it).
        input_price, output_price: USD per prompt / completion token, in litellm's price map.
        errors: `errors[i]`, if not None, is raised on the i-th call (from 0) instead of
            answering, e.g. `[litellm.RateLimitError(...), None]` to test a retry. An error
            does not use up a reply. Raise litellm exceptions: litellm turns any other
            exception into `APIConnectionError`.
        tokens_per_word: prompt tokens per word of the messages.

    Example::

        model = fake_model("judge", reply=lambda messages: "PASS", latency=0.05)
    """
    short = _short(name)
    problems = []
    if not short or "/" in short or any(c.isspace() for c in short):
        problems.append(f"name {name!r} must be non-empty, without '/' or spaces")
    if replies is not None and reply is not None:
        problems.append("pass `replies` or `reply`, not both")
    if replies is not None and (isinstance(replies, str) or not replies):
        problems.append("`replies` must be a non-empty list of strings, e.g. replies=['ok']")
    if latency < 0 or input_price < 0 or output_price < 0:
        problems.append("`latency`, `input_price` and `output_price` must not be negative")
    if tokens_per_word <= 0:
        problems.append(f"`tokens_per_word` must be positive, got {tokens_per_word}")
    if isinstance(errors, Exception) or any(
        e is not None and not isinstance(e, Exception) for e in errors
    ):
        problems.append("`errors` must be a list of exception instances or None")
    if problems:
        raise UserError("fake_model() got bad arguments: " + "; ".join(problems) + ".")
    if replies is None and reply is None:
        reply = _last_user_text
    script = _Script(
        short,
        reply=reply,
        replies=tuple(replies) if replies is not None else None,
        errors=tuple(errors),
        latency=latency,
        input_price=input_price,
        output_price=output_price,
        tokens_per_word=tokens_per_word,
    )
    model = _PROVIDER.add(script)
    _PROVIDER.register()
    return model


def configure_fake(
    *,
    latency: float | None = None,
    input_price: float | None = None,
    output_price: float | None = None,
) -> None:
    """Set the latency (seconds) and prices (USD per token) of `fake/echo|upper|fail`.

    Defaults: no latency, 1e-6 per prompt token, 2e-6 per completion token. The setting is
    process-wide; prefer `fake_model(..., latency=...)` for one test.
    """
    values = [v for v in (latency, input_price, output_price) if v is not None]
    if any(v < 0 for v in values):
        raise UserError("configure_fake() needs latency and prices that are not negative.")
    _PROVIDER.configure(latency=latency, input_price=input_price, output_price=output_price)


def fake_calls(model: str) -> int:
    """How many calls the fake `model` (`fake/name`) has received, failed ones included."""
    return _PROVIDER.calls(model)
