"""The built-in primitives: the plan API every planner writes against.

Each takes a `Context` (filled in by the runtime) for model calls and the budget.
Docstrings are what the planner reads: they say what a call returns and costs.
"""

from __future__ import annotations

from typing import Any

import trio

import stdlib_tools

from ._errors import BudgetExceeded, PlanError
from ._primitives import Primitive, primitive
from ._repair import repair_text
from ._requirements import Requirement, as_requirement, judged, run_check
from ._requirements import verdict as make_verdict
from ._runtime import Context

Verdict = dict[str, Any]

# Plan-side helpers, in the plan language: they run inside the sandbox.
PRELUDE = '''
def parallel(fn, items):
    """Apply fn to every item; calls inside fn run at the same time."""
    return [fn(x) for x in items]
'''


@primitive(uses_model=True)
async def generate(
    prompt: str,
    *,
    temperature: float = 0.7,
    max_tokens: int = 512,
    model: str | None = None,
    system: str | None = None,
    ctx: Context,
) -> str:
    """One model completion of `prompt`. Costs one model call.

    `model` picks another model than the run's; `system` sets a system message.
    """
    text = await ctx.complete(
        prompt, max_tokens=max_tokens, temperature=temperature, model=model, system=system
    )
    ctx.lineage.add(text, "generated")
    return text


@primitive(uses_model=True)
async def best_of(
    n: int,
    prompt: str,
    *,
    temperature: float = 0.9,
    max_tokens: int = 512,
    models: list[str] | None = None,
    stop_early: bool = False,
    repair: bool = False,
    ctx: Context,
) -> list[str]:
    """`n` completions of `prompt` at once (up to n model calls), as a list of drafts.

    `models` samples round-robin from several models. With `repair=True` each draft
    gets the free code repairs as it arrives (see `repair`). With `stop_early=True`
    each draft is validated as it arrives; the first that passes every requirement
    stops the rest (their calls are cancelled, saving their cost) and comes first.
    Candidates refused by the budget are left out; the call fails only if none ran.
    """
    if n < 1:
        raise ValueError(f"best_of needs n >= 1 (got {n}).")
    drafts: dict[int, str] = {}
    winner: list[int] = []
    refused: list[BudgetExceeded] = []

    # With stop_early a candidate keeps its slot until it is validated, so a model that
    # serves one call at a time never starts a candidate that a pass would cancel.
    slots = trio.Semaphore(ctx.concurrency if stop_early else n)

    async def one(i: int, scope: trio.CancelScope) -> None:
        model = models[i % len(models)] if models else None
        async with slots:
            try:
                text = await ctx.complete(
                    prompt, max_tokens=max_tokens, temperature=temperature, model=model
                )
            except BudgetExceeded as err:
                refused.append(err)
                return
            ctx.lineage.add(text, "generated")
            if repair:
                text = repaired(text, ctx)
            drafts[i] = text
            if stop_early and not winner and (await check(text, None, ctx))["passed"]:
                winner.append(i)
                scope.cancel()

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i, nursery.cancel_scope)
    if not drafts:
        raise refused[0] if refused else PlanError("best_of produced no draft.")
    order = winner + [i for i in sorted(drafts) if i not in winner]
    return [drafts[i] for i in order]


async def check(draft: str, requirements: list[str] | None, ctx: Context) -> Verdict:
    """Validate `draft`: code checks run here, described requirements go to the judge."""
    chosen = ctx.requirements_named(requirements)
    results: list[dict[str, Any] | None] = [None] * len(chosen)

    async def one(i: int, req: Requirement) -> None:
        if req.check is not None:
            results[i] = run_check(req, draft)
        else:
            results[i] = await judge_one(draft, req, ctx)

    async with trio.open_nursery() as nursery:
        for i, req in enumerate(chosen):
            nursery.start_soon(one, i, req)
    done = [r for r in results if r is not None]
    ctx.lineage.note(draft, done)
    return make_verdict(done)


def repaired(draft: str, ctx: Context) -> str:
    """`draft` with the task requirements' code repairs applied (recorded in the lineage)."""
    text, applied = repair_text(draft, ctx.requirements)
    if applied:
        ctx.lineage.add(text, "repaired", parent=draft)
    return text


async def judge_one(draft: str, req: Requirement, ctx: Context) -> dict[str, Any]:
    prompt = (
        "Grade how well the TEXT meets the REQUIREMENT, from 0 (not at all) to 10 (fully).\n"
        "Answer in two lines:\nSCORE: <0-10>\nREASON: <what is missing, briefly>\n\n"
        f"REQUIREMENT: {req.description}\n\nTEXT:\n{draft}"
    )
    reply = await ctx.complete(prompt, max_tokens=96, temperature=0.0, model=ctx.judge_model)
    return judged(req, reply)


@primitive(uses_model=True)
async def validate(draft: str, requirements: list[str] | None = None, *, ctx: Context) -> Verdict:
    """Check `draft` against the task's requirements (or the given ones, by name or as
    new descriptions). Returns a verdict record: `.passed` (every mandatory requirement
    met), `.score` (0-1, the mean), `.results` (per requirement: name, passed, score,
    reason, on_fail), `.dropped` (it misses a requirement whose on_fail is "drop": ditch
    it), `.warnings` (missed "warn" requirements, which do not fail it), `.fatal` (missed
    "fail" requirements). Code checks are free; each described requirement costs one
    judge call.
    """
    return await check(draft, requirements, ctx)


@primitive(uses_model=True)
async def judge(draft: str, requirement: str, *, ctx: Context) -> dict[str, Any]:
    """Have the model grade `draft` against one `requirement` no code can check.
    Returns a record: `.passed`, `.score` (0-1), `.reason`. Costs one model call.
    """
    return await judge_one(draft, as_requirement(requirement), ctx)


@primitive
def repair(draft: str, *, ctx: Context) -> str:
    """`draft` with free code repairs for the requirements it misses (case, quotes,
    commas, an ending, a postscript, a title, a length limit, bullets, ...). A repair is
    kept only if every requirement that passed still passes. Free: no model call.
    """
    return repaired(draft, ctx)


@primitive(uses_model=True)
async def fix(
    draft: str, verdict: Verdict | None = None, *, max_tokens: int = 512, ctx: Context
) -> str:
    """Make `draft` meet the requirements its `verdict` says it misses (validated here
    when no verdict is given). Code repairs come first and are free; if a requirement
    whose on_fail is "fix" still fails, the model rewrites the draft with the reasons
    (one model call) and the rewrite is repaired again. Returns the draft unchanged, at
    no cost, when the verdict passed or says the draft is dropped.
    """
    if verdict is None:
        verdict = await check(draft, None, ctx)
    if verdict.get("passed") or verdict.get("dropped"):
        return draft
    text = repaired(draft, ctx)
    if text != draft:
        verdict = _recheck(text, verdict, ctx)
    prompt = fix_prompt(text, verdict, ctx)
    if prompt is None:
        return text
    rewrite = await ctx.complete(prompt, max_tokens=max_tokens, temperature=0.3)
    ctx.lineage.add(rewrite, "fixed", parent=text)
    return repaired(rewrite, ctx)


def fix_prompt(text: str, verdict: Verdict, ctx: Context) -> str | None:
    """The prompt asking the model to fix `text`, or None when no missed requirement is
    for the model to fix (mandatory, with on_fail "fix")."""
    mandatory = {r.name: r.mandatory for r in ctx.requirements}
    failing = [
        r
        for r in verdict.get("results", [])
        if isinstance(r, dict)
        and not r.get("passed")
        and r.get("on_fail", "fix") == "fix"
        and mandatory.get(r.get("name", ""), True)
    ]
    if not failing:
        return None
    problems = "\n".join(f"- {r.get('name')}: {r.get('reason', '')}" for r in failing)
    return (
        f"TASK: {ctx.task}\n\nDRAFT:\n{text}\n\nThe draft misses these requirements:\n"
        f"{problems}\n\nRewrite the draft so it meets every requirement. Reply with the "
        "new text only."
    )


def _recheck(text: str, verdict: Verdict, ctx: Context) -> Verdict:
    """`verdict` with its code checks redone on `text` (judged results are kept)."""
    by_name = {r.name: r for r in ctx.requirements}
    results = []
    for result in verdict.get("results", []):
        requirement = by_name.get(result["name"])
        if requirement is not None and requirement.check is not None:
            result = run_check(requirement, text)
        results.append(result)
    return make_verdict(results)


def _ranked(drafts: list[str], verdicts: list[Verdict]) -> list[tuple[str, Verdict]]:
    """Drafts best first (passed, then score), without those a verdict says to drop."""
    if len(drafts) != len(verdicts):
        raise ValueError(f"got {len(drafts)} drafts but {len(verdicts)} verdicts; pass one each.")
    pairs = [p for p in zip(drafts, verdicts, strict=True) if not p[1].get("dropped")]
    return sorted(
        pairs, key=lambda p: (bool(p[1].get("passed")), p[1].get("score", 0)), reverse=True
    )


@primitive
def top(drafts: list[str], verdicts: list[Verdict], k: int = 1) -> list[str]:
    """Keep the `k` best drafts by verdict (passed first, then score); ditch the rest,
    and every draft whose verdict says `dropped`. Free: no model call.
    """
    return [d for d, _ in _ranked(drafts, verdicts)[: max(k, 0)]]


@primitive
def select(drafts: list[str], verdicts: list[Verdict]) -> str:
    """The single best draft by verdict (passed first, then score), never a dropped
    one. Free.
    """
    if not drafts:
        raise ValueError("select needs at least one draft.")
    ranked = _ranked(drafts, verdicts)
    if not ranked:
        missed = sorted({r["name"] for v in verdicts for r in v.get("results", [])
                         if not r.get("passed") and r.get("on_fail") == "drop"})  # fmt: skip
        raise PlanError(
            f"select: all {len(drafts)} drafts were dropped: they miss {', '.join(missed)}, "
            "whose on_fail is 'drop'. Generate more drafts, or relax that policy."
        )
    return ranked[0][0]


@primitive(uses_model=True)
async def merge(
    drafts: list[str], instruction: str | None = None, *, max_tokens: int = 512, ctx: Context
) -> str:
    """Combine `drafts` into one text that keeps the best of each. Costs one model call."""
    listed = "\n\n".join(f"DRAFT {i + 1}:\n{d}" for i, d in enumerate(drafts))
    how = instruction or "Merge them into one text that meets the task's requirements."
    prompt = f"TASK: {ctx.task}\n\n{listed}\n\n{how} Reply with the merged text only."
    text = await ctx.complete(prompt, max_tokens=max_tokens, temperature=0.3)
    ctx.lineage.add(text, "generated")
    return text


@primitive
def budget_left(*, ctx: Context) -> dict[str, float | None]:
    """What is left of the run's budget: usd, tokens, calls, seconds (None = no cap)."""
    return ctx.ledger.remaining()


@primitive
def text_stats(text: str) -> dict[str, int]:
    """Counts for `text`: words, sentences, paragraphs, lines, characters, bullets,
    placeholders, highlights... (what the requirement checks count). Free.
    """
    return stdlib_tools.text_stats(text)


@primitive
def calculate(expression: str) -> float:
    """Evaluate arithmetic safely: numbers, + - * / // % **, parentheses, pi, e, abs,
    ceil, floor, max, min, round, sqrt. Free.
    """
    return stdlib_tools.calculate(expression)


BUILTINS: tuple[Primitive, ...] = (
    generate,
    best_of,
    validate,
    judge,
    repair,
    fix,
    top,
    select,
    merge,
    budget_left,
    text_stats,
    calculate,
)
