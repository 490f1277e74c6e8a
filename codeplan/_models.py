"""The model client: every LLM call codeplan makes goes through litellm, here and only here.

`ModelClient.estimate` prices the worst case of a call before it is made (for the budget);
`ModelClient.complete` makes it: cache, worker thread, timeout, retries, usage and cost::

    client = ModelClient(retries=2, timeout=30)
    messages = [{"role": "user", "content": "Say hi"}]
    prompt_tokens, worst_usd = client.estimate("fake/echo", messages, max_tokens=50)
    reply = trio.run(functools.partial(client.complete, "fake/echo", messages, max_tokens=50))
    reply.text, reply.usd, reply.attempts

litellm is slow to import (seconds), so it is imported on first use, never with codeplan.
`litellm.acompletion` does not run under trio; `litellm.completion` runs in a worker thread
that is abandoned, not waited for, when the call is cancelled or times out.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, TypeGuard

import trio

from . import _embedded, _fake
from ._cache import CallCache
from ._errors import ModelError, UserError

__all__ = ["ModelClient", "ModelReply", "load_litellm"]

log = logging.getLogger("codeplan.models")

Messages = list[dict[str, Any]]

# Errors worth another attempt: the provider was busy, down or unreachable.
_TRANSIENT = (
    "RateLimitError",
    "ServiceUnavailableError",
    "APIConnectionError",
    "Timeout",
    "InternalServerError",
)
# Set by `complete` itself; extra params may not override them.
_RESERVED = frozenset({"model", "messages", "max_tokens", "temperature", "stream", "n"})
# litellm 1.106.2 reports a missing OpenAI key as InternalServerError ("Missing credentials").
_CREDENTIAL_WORDS = ("missing credentials", "api_key", "api key")

_litellm: Any = None
_load_lock = threading.Lock()


def load_litellm() -> Any:
    """Import litellm once, configured for codeplan (offline price map, no HF downloads)."""
    global _litellm
    if _litellm is None:
        with _load_lock:
            if _litellm is None:
                # Before the import: otherwise litellm fetches its price map from the network.
                os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                module: Any = importlib.import_module("litellm")
                # Its "Give Feedback / Get Help" banners go to stdout on every error.
                module.suppress_debug_info = True
                # token_counter would otherwise fetch Hugging Face tokenizers for some models
                # (llama, cohere, ...): 24 s of retries offline. tiktoken counts are close enough
                # for a worst-case reservation that is settled with the real usage afterwards.
                module.disable_hf_tokenizer_download = True
                importlib.import_module("litellm.utils")
                _litellm = module
    return _litellm


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReply:
    """One model answer and what it cost.

    Attributes:
        text: the reply text.
        model: the litellm model string that was called.
        prompt_tokens, completion_tokens: usage as reported by the provider (or counted when
            it reports none); for a cached reply, the counts of the original call.
        usd: what this call cost; 0 for a cached reply.
        latency: seconds from the request to the answer, retries and backoff included.
        cached: served from the `CallCache` without calling the model.
        attempts: calls made to the provider (1 + retries used); 0 when cached.
    """

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    usd: float
    latency: float
    cached: bool = False
    attempts: int = 1


DEFAULT_TIMEOUT = 60.0
EMBEDDED_TIMEOUT = 300.0


class ModelClient:
    """Calls models through litellm with a cache, a per-call timeout and retries.

    Args:
        retries: extra attempts after a transient failure (rate limit, outage, connection
            error); auth and bad-request errors fail at once.
        timeout: seconds one attempt may take; a call that takes longer fails with
            `ModelError` and is not retried (the abandoned request may still be billed).
            Default: 60 s, or 300 s for the embedded model, which bills nothing and
            generates at tens of tokens per second when the machine is busy.
        backoff: seconds before the first retry; doubled for each further retry.
        cache: a `CallCache` for identical calls, or None for no caching.
    """

    def __init__(
        self,
        *,
        retries: int = 3,
        timeout: float | None = None,
        backoff: float = 0.5,
        cache: CallCache | None = None,
    ) -> None:
        problems = []
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            problems.append(f"retries must be an int >= 0, got {retries!r}")
        if timeout is not None and not timeout > 0:
            problems.append(f"timeout must be > 0 seconds, got {timeout!r}")
        if not backoff >= 0:
            problems.append(f"backoff must be >= 0 seconds, got {backoff!r}")
        if problems:
            raise UserError("ModelClient() got bad arguments: " + "; ".join(problems) + ".")
        self.retries = retries
        self.timeout = None if timeout is None else float(timeout)
        self.backoff = float(backoff)
        self.cache = cache

    def timeout_for(self, model: str) -> float:
        """Seconds one attempt of a call to `model` may take."""
        if self.timeout is not None:
            return self.timeout
        return EMBEDDED_TIMEOUT if model.startswith("embedded/") else DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return (
            f"ModelClient(retries={self.retries}, timeout={self.timeout}, "
            f"backoff={self.backoff:g}, cache={self.cache!r})"
        )

    # --- before the call ----------------------------------------------------------

    def estimate(self, model: str, messages: Messages, *, max_tokens: int) -> tuple[int, float]:
        """The prompt tokens of a call and its worst-case cost in USD.

        The worst case is every prompt token at the input price plus `max_tokens` at the output
        price, from litellm's price map. A model without prices there (free or local) costs 0.

        Raises:
            UserError: the arguments are malformed or litellm does not know the model.
        """
        _check_call(model, messages, max_tokens)
        litellm = _prepare(model)
        input_price, output_price = _prices(litellm, model)
        prompt = _prompt_tokens(litellm, model, messages)
        return prompt, prompt * input_price + max_tokens * output_price

    # --- the call -----------------------------------------------------------------

    async def complete(
        self,
        model: str,
        messages: Messages,
        *,
        max_tokens: int,
        temperature: float = 0.0,
        sample: int = 0,
        **params: Any,
    ) -> ModelReply:
        """Call `model` once (plus retries) and return its reply; served from the cache if set.

        Args:
            model: a litellm model string, e.g. `"openai/gpt-4o-mini"` or `"fake/echo"`.
            messages: chat messages, `[{"role": "user", "content": "..."}]`.
            max_tokens: the most completion tokens to generate.
            temperature: sampling temperature.
            sample: which of N samples of the same call this is; part of the cache key, so
                best-of-N samples are different calls while a repeated sample is reused.
            params: further `litellm.completion` arguments (e.g. `top_p`, `api_base`).

        Raises:
            UserError: malformed arguments.
            ModelError: the call timed out, failed after its retries, failed for good (auth,
                bad request) or returned garbage (no choices, empty or non-text content).
        """
        _check_call(model, messages, max_tokens)
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
            raise UserError(f"sample must be an int >= 0, got {sample!r}.")
        clash = sorted(_RESERVED & params.keys())
        if clash:
            raise UserError(
                f"complete() sets {', '.join(f'`{c}`' for c in clash)} itself; pass max_tokens "
                "and temperature as keywords and leave out model, messages, stream and n."
            )
        started = trio.current_time()
        key = None
        if self.cache is not None:
            call = {"max_tokens": max_tokens, "temperature": temperature, **params}
            key = CallCache.key(model, messages, call, sample)
            hit = self.cache.get(key)
            if _is_cached_reply(hit):
                return ModelReply(
                    text=hit["text"],
                    model=model,
                    prompt_tokens=hit["prompt_tokens"],
                    completion_tokens=hit["completion_tokens"],
                    usd=0.0,
                    latency=trio.current_time() - started,
                    cached=True,
                    attempts=0,
                )
        if _litellm is None:
            # The first import takes seconds: do it off the event loop.
            litellm = await trio.to_thread.run_sync(_prepare, model)
        else:
            litellm = _prepare(model)
        call_kwargs = {
            "timeout": self.timeout_for(model),  # so the abandoned HTTP request ends too
            **params,
            "model": model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        response, attempts = await self._call_with_retries(litellm, model, call_kwargs)
        text, prompt, completion, reported = _read(litellm, model, messages, response)
        usd = _cost(litellm, model, response, prompt, completion, reported)
        reply = ModelReply(
            text=text,
            model=model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            usd=usd,
            latency=trio.current_time() - started,
            attempts=attempts,
        )
        if self.cache is not None and key is not None:
            self.cache.put(
                key,
                {
                    "text": text,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "usd": usd,
                },
            )
        return reply

    async def _call_with_retries(
        self, litellm: Any, model: str, kwargs: dict[str, Any]
    ) -> tuple[Any, int]:
        transient = tuple(getattr(litellm, name) for name in _TRANSIENT)
        call = functools.partial(litellm.completion, **kwargs)
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                with trio.fail_after(self.timeout_for(model)):
                    response = await trio.to_thread.run_sync(call, abandon_on_cancel=True)
                return response, attempt
            except trio.TooSlowError:
                raise ModelError(
                    f"`{model}` did not answer within {self.timeout_for(model):g} s (attempt "
                    f"{attempt} of "
                    f"{attempts}). The request was abandoned and not retried, since the provider "
                    "may still bill for it. Raise ModelClient(timeout=...) or lower max_tokens."
                ) from None
            except Exception as exc:
                if _is_auth_error(litellm, model, exc, kwargs):
                    raise ModelError(_auth_message(litellm, model, exc)) from exc
                if not isinstance(exc, transient):
                    raise ModelError(
                        f"`{model}` rejected the call: {_describe(exc)}. Not retried: the same "
                        "call would fail again."
                    ) from exc
                if attempt == attempts:
                    raise ModelError(
                        f"`{model}` failed after {attempts} attempt(s), the last with "
                        f"{_describe(exc)}. Try again later, or raise ModelClient(retries=...) "
                        f"(now {self.retries})."
                    ) from exc
                delay = self.backoff * 2 ** (attempt - 1)
                log.info(
                    "%s: %s; retry %d of %d in %.2f s",
                    model,
                    type(exc).__name__,
                    attempt,
                    self.retries,
                    delay,
                )
                await trio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


# --- helpers (all litellm-specific code of codeplan lives in this module) -----------------------


def _check_call(model: str, messages: Messages, max_tokens: int) -> None:
    problems = []
    if not isinstance(model, str) or not model.strip():
        problems.append(
            f"model must be a litellm model string like 'openai/gpt-4o-mini', got {model!r}"
        )
    if not isinstance(messages, list) or not messages:
        problems.append(
            "messages must be a non-empty list like [{'role': 'user', 'content': '...'}]"
        )
    else:
        bad = [
            i
            for i, m in enumerate(messages)
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or "content" not in m
        ]
        if bad:
            problems.append(f"messages {bad} lack a 'role' string or 'content'")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        problems.append(f"max_tokens must be an int >= 1, got {max_tokens!r}")
    if problems:
        raise UserError("Bad model call: " + "; ".join(problems) + ".")


def _is_cached_reply(value: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    """Whether a cache entry is a whole reply (a file may hold anything)."""
    return (
        value is not None
        and isinstance(value.get("text"), str)
        and isinstance(value.get("prompt_tokens"), int)
        and isinstance(value.get("completion_tokens"), int)
    )


def _prepare(model: str) -> Any:
    """litellm, with codeplan's own providers installed when `model` is one of them."""
    litellm = load_litellm()
    if model.startswith(_fake.PROVIDER + "/"):
        _fake.register()
    elif model.startswith(_embedded.PROVIDER + "/"):
        _embedded.register()
    return litellm


def _prices(litellm: Any, model: str) -> tuple[float, float]:
    """USD per prompt and per completion token from litellm's price map."""
    if model.startswith(_fake.PROVIDER + "/"):
        _fake.provider().check(model)
    try:
        info = litellm.get_model_info(model)
    except Exception:
        raise UserError(
            f"Unknown model `{model}`: litellm's price map has no entry for it, so codeplan "
            "cannot reserve its cost. Use a model string litellm knows (e.g. "
            "'openai/gpt-4o-mini'), or register prices first with litellm.register_model("
            f"{{{model!r}: {{'input_cost_per_token': 0.0, 'output_cost_per_token': 0.0, "
            "'litellm_provider': '<provider>', 'mode': 'chat'}})."
        ) from None
    return float(info.get("input_cost_per_token") or 0.0), float(
        info.get("output_cost_per_token") or 0.0
    )


def _prompt_tokens(litellm: Any, model: str, messages: Messages) -> int:
    if model.startswith(_embedded.PROVIDER + "/"):
        return _embedded.prompt_tokens(messages)  # exact: its chat template adds a system prompt
    if model.startswith(_fake.PROVIDER + "/"):
        return _fake.provider().prompt_tokens(model, messages)  # exactly what the fake reports
    try:
        return int(litellm.token_counter(model=model, messages=messages))
    except Exception:
        # A rough upper bound: no tokenizer makes tokens much longer than 3 characters.
        chars = sum(len(str(m.get("content") or "")) for m in messages)
        return math.ceil(chars / 3) + 4 * len(messages)


def _read(
    litellm: Any, model: str, messages: Messages, response: Any
) -> tuple[str, int, int, bool]:
    """(text, prompt tokens, completion tokens, whether the usage came from the provider)."""
    choices = getattr(response, "choices", None)
    if not choices:
        raise ModelError(
            f"`{model}` returned a garbage response with no choices: {response!r:.300}"
        )
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        raise ModelError(
            f"`{model}` returned a garbage response: its content is "
            f"{type(content).__name__} {content!r:.100}, not text."
        )
    if not content.strip():
        raise ModelError(
            f"`{model}` returned an empty reply (garbage; finish_reason="
            f"{getattr(choices[0], 'finish_reason', None)!r}). Raise max_tokens if it was cut off."
        )
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if isinstance(prompt, int) and isinstance(completion, int) and prompt > 0 and completion > 0:
        return content, prompt, completion, True
    # Some (local) servers report no usage: count it, so the budget still settles honestly.
    prompt = _prompt_tokens(litellm, model, messages)
    try:
        completion = int(litellm.token_counter(model=model, text=content))
    except Exception:
        completion = math.ceil(len(content) / 3)
    return content, prompt, max(1, completion), False


def _cost(
    litellm: Any, model: str, response: Any, prompt: int, completion: int, reported: bool
) -> float:
    if reported:
        try:
            return float(litellm.completion_cost(completion_response=response, model=model))
        except Exception:
            pass  # fall back to the plain per-token prices below
    try:
        input_usd, output_usd = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion
        )
        return float(input_usd) + float(output_usd)
    except Exception:
        log.warning("no price for %s in litellm's price map; counting the call as free", model)
        return 0.0


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    prefix = f"litellm.{type(exc).__name__}: "
    text = text.removeprefix(prefix)[:400].rstrip(". ")
    return f"{type(exc).__name__}: {text}"


def _missing_keys(litellm: Any, model: str) -> list[str]:
    try:
        return list(litellm.validate_environment(model).get("missing_keys") or [])
    except Exception:
        return []


def _is_auth_error(litellm: Any, model: str, exc: Exception, kwargs: dict[str, Any]) -> bool:
    if isinstance(exc, litellm.AuthenticationError):
        return True
    text = str(exc).lower()
    return (
        "api_key" not in kwargs
        and any(w in text for w in _CREDENTIAL_WORDS)
        and bool(_missing_keys(litellm, model))
    )


def _auth_message(litellm: Any, model: str, exc: Exception) -> str:
    missing = _missing_keys(litellm, model)
    if missing:
        fix = f"Set {' and '.join(missing)} in the environment (litellm reads the key from there)"
    else:
        provider = model.split("/", 1)[0] if "/" in model else "the provider"
        fix = (
            f"Check the key litellm found for {provider} in the environment, or pass "
            "api_key=... for this call"
        )
    return f"`{model}` refused the credentials: {_describe(exc)}. {fix}; this is not retried."
