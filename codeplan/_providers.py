"""What codeplan's own litellm providers (`fake/...`, `embedded/...`) share."""

from __future__ import annotations

import asyncio
from typing import Any


def handler_base(litellm: Any) -> type:
    """A litellm `CustomLLM` whose `acompletion` runs the sync `completion` in a thread,
    so asyncio users of `litellm.acompletion` are not blocked."""

    class ThreadedHandler(litellm.CustomLLM):
        async def acompletion(self, model: str, messages: Any, *args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)

    return ThreadedHandler


def respond(
    litellm: Any,
    response: Any,
    *,
    text: str,
    finish_reason: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
) -> Any:
    """Fill litellm's `model_response` with the reply and its usage (which prices it)."""
    response.choices[0].message.content = text
    response.choices[0].finish_reason = finish_reason
    response.model = model
    response.usage = litellm.Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )
    return response
