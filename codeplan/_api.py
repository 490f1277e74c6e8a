"""The library calls: run a given plan for a task, from sync, trio or asyncio code."""

from __future__ import annotations

import atexit
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal

import sniffio
import trio

import sandbox

from ._budget import Budget
from ._cache import CallCache
from ._errors import UserError
from ._models import ModelClient
from ._primitives import registry
from ._requirements import as_requirement
from ._result import Result
from ._runtime import Listener, Run


@functools.cache
def _default_cache() -> CallCache:
    """The process's in-memory call cache: a re-run pays only for calls not made before."""
    return CallCache()


def _chosen_cache(cache: CallCache | Literal[False] | None) -> CallCache | None:
    if cache is None:
        return _default_cache()
    return None if cache is False else cache


@functools.cache
def _default_pool() -> sandbox.Sandbox:
    """One pool of warm plan processes per host process, closed at exit."""
    pool = sandbox.Sandbox(spares=1)
    atexit.register(pool.close)
    return pool


async def _execute(
    plan: str,
    task: str,
    model: str | None,
    requirements: Sequence[Any],
    budget: Budget | None,
    primitives: Iterable[Any],
    judge_model: str | None,
    max_concurrency: int,
    limits: sandbox.Limits | None,
    listeners: Iterable[Listener],
    cache: CallCache | Literal[False] | None,
    client: ModelClient | None,
    estimate: bool = False,
) -> Result:
    from ._foresight import estimate_before
    from ._plan_api import BUILTINS, PRELUDE
    from ._store import Recorder

    if not isinstance(plan, str) or not plan.strip():
        raise UserError("`plan` must be the plan's Python source as a non-empty string.")
    if not isinstance(task, str):
        raise UserError(f"`task` must be a string (got {type(task).__name__}).")
    if model is None:
        raise UserError(
            "No model given: pass model='provider/name' (any litellm model string, e.g. "
            "'openai/gpt-4o-mini', or 'fake/echo' to try codeplan without a key)."
        )
    if max_concurrency < 1:
        raise UserError(f"max_concurrency must be >= 1 (got {max_concurrency}).")
    recorder = Recorder()  # what this run measures, for later estimates
    run = Run(
        task=task,
        requirements=[as_requirement(r) for r in requirements],
        model=model,
        judge_model=judge_model,
        budget=budget or Budget(),
        primitives=registry(BUILTINS, primitives),
        prelude=PRELUDE,
        client=client or ModelClient(cache=_chosen_cache(cache)),
        max_concurrency=max_concurrency,
        limits=limits,
        listeners=[*listeners, recorder],
        pool=_default_pool(),
    )
    expected = await estimate_before(plan, run) if estimate else None
    result = await run.execute(plan)
    result.estimate = expected
    recorder.save(model)
    return result


async def execute_async(
    plan: str,
    task: str = "",
    *,
    model: str | None = None,
    requirements: Sequence[Any] = (),
    budget: Budget | None = None,
    primitives: Iterable[Any] = (),
    judge_model: str | None = None,
    max_concurrency: int = 8,
    limits: sandbox.Limits | None = None,
    listeners: Iterable[Listener] = (),
    cache: CallCache | Literal[False] | None = None,
    client: ModelClient | None = None,
    estimate: bool = False,
) -> Result:
    """`execute` for async callers, under trio or asyncio.

    Under asyncio the run happens in a worker thread with its own trio loop.
    """
    options = dict(locals())
    return await in_any_loop(functools.partial(_execute, **options))


async def in_any_loop(call: Callable[[], Awaitable[Result]]) -> Result:
    """Await a trio coroutine from trio, or from asyncio via a thread with its own trio."""
    library = sniffio.current_async_library()
    if library == "trio":
        return await call()
    if library == "asyncio":
        import asyncio

        return await asyncio.to_thread(trio.run, call)
    raise UserError(f"codeplan runs under trio or asyncio, not {library}.")


def execute(
    plan: str,
    task: str = "",
    *,
    model: str | None = None,
    requirements: Sequence[Any] = (),
    budget: Budget | None = None,
    primitives: Iterable[Any] = (),
    judge_model: str | None = None,
    max_concurrency: int = 8,
    limits: sandbox.Limits | None = None,
    listeners: Iterable[Listener] = (),
    cache: CallCache | Literal[False] | None = None,
    client: ModelClient | None = None,
    estimate: bool = False,
) -> Result:
    """Run a given plan for `task` and return its Result (never raises for plan failures).

    Example::

        result = codeplan.execute(
            "drafts = best_of(3, TASK)\\n"
            "verdicts = [validate(d) for d in drafts]\\n"
            "result = select(drafts, verdicts)\\n",
            "Write a haiku about tea.",
            model="fake/echo",
            requirements=["mentions tea"],
            budget=codeplan.Budget(usd=0.01, calls=10),
        )

    Args:
        plan: the plan's source, written against the plan API (`codeplan primitives`).
        task: the task; plans read it as `TASK`.
        model: any litellm model string; `fake/...` models need no key.
        requirements: strings (judged by the model), functions of the text (code
            checks) or `Requirement`s; plans read their descriptions as `REQUIREMENTS`.
        budget: caps on usd, tokens, calls, seconds and steps.
        primitives: your own `@codeplan.primitive` functions or smolagents Tools.
        judge_model: the model that judges described requirements (default: `model`).
        max_concurrency: model calls in flight at once.
        limits: sandbox limits for the plan process.
        listeners: functions called with each runtime event (node started/finished,
            spend, log); a listener that raises is detached.
        cache: where identical calls (same model, messages, parameters and sample
            index) are answered without paying again; by default a cache shared by
            the runs of this process; `False` for none.
        estimate: first estimate the run (`codeplan.estimate`, without spending) and
            attach it as `result.estimate`; `result.estimate_vs_actual()` compares.
    """
    return trio.run(functools.partial(_execute, **dict(locals())))
