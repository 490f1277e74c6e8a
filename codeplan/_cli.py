"""The `codeplan` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ._budget import Budget
from ._errors import UserError

EXIT = {"ok": 0, "error": 1, "rejected": 2, "budget_exhausted": 3, "timeout": 4}


@click.group()
def main() -> None:
    """codeplan: plans as programs, run in a sandbox under a budget."""


@main.command("exec")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--task", default="", help="The task; the plan reads it as TASK.")
@click.option("--model", required=True, help="A litellm model string, e.g. fake/echo.")
@click.option("-r", "--requirement", "requirements", multiple=True, help="A requirement.")
@click.option("--budget-usd", type=float, help="Cap on dollars.")
@click.option("--budget-calls", type=int, help="Cap on model calls.")
@click.option("--budget-tokens", type=int, help="Cap on tokens.")
@click.option("--budget-seconds", type=float, help="Cap on wall seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Result as JSON.")
def exec_command(
    plan_file: Path,
    task: str,
    model: str,
    requirements: tuple[str, ...],
    budget_usd: float | None,
    budget_calls: int | None,
    budget_tokens: int | None,
    budget_seconds: float | None,
    as_json: bool,
) -> None:
    """Run PLAN_FILE for a task and print its Result.

    Exit status: 0 ok, 1 error, 2 rejected, 3 budget exhausted, 4 timeout.
    """
    from ._api import execute

    try:
        budget = Budget(
            usd=budget_usd, calls=budget_calls, tokens=budget_tokens, seconds=budget_seconds
        )
        result = execute(
            plan_file.read_text(), task, model=model, requirements=requirements, budget=budget
        )
    except UserError as err:
        raise click.UsageError(str(err)) from None
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        _report(result, show_plan=False)
    sys.exit(EXIT[result.status])


@main.command("run")
@click.argument("prompt")
@click.option("-r", "--requirement", "requirements", multiple=True, help="A requirement.")
@click.option("--model", help="The working model (default: the embedded local model).")
@click.option(
    "--planner-model",
    help="The model that writes plans (default: none, the built-in default plan).",
)
@click.option("--budget-usd", type=float, help="Cap on dollars.")
@click.option("--budget-calls", type=int, help="Cap on model calls.")
@click.option("--budget-tokens", type=int, help="Cap on tokens.")
@click.option("--budget-seconds", type=float, help="Cap on wall seconds.")
@click.option(
    "--candidates",
    type=int,
    default=4,
    show_default=True,
    help="Drafts the default plan starts with.",
)
@click.option("--show-plan", is_flag=True, help="Print every plan attempt's source.")
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the executed graph to FILE.mmd, FILE.dot or FILE.json.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole Result as JSON.")
@click.option("--dry-run", is_flag=True, help="Only estimate what the run would do; call no model.")
def run_command(
    prompt: str,
    requirements: tuple[str, ...],
    model: str | None,
    planner_model: str | None,
    budget_usd: float | None,
    budget_calls: int | None,
    budget_tokens: int | None,
    budget_seconds: float | None,
    candidates: int,
    show_plan: bool,
    graph_file: Path | None,
    as_json: bool,
    dry_run: bool,
) -> None:
    """Solve PROMPT under its requirements: plan, run, validate, rewrite.

    Exit status: 0 when every requirement passed, 1 error, 2 rejected, 3 budget
    exhausted, 4 timeout, 5 finished but some requirement failed. With --dry-run: 0
    after printing the estimate (2 for bad usage).
    """
    from ._progress import Progress
    from ._solve import run

    if graph_file and graph_file.suffix not in (".mmd", ".dot", ".json"):
        raise click.UsageError("--graph needs a file ending in .mmd, .dot or .json.")
    try:
        budget = Budget(
            usd=budget_usd, calls=budget_calls, tokens=budget_tokens, seconds=budget_seconds
        )
        if dry_run:
            options = {
                "requirements": requirements, "model": model, "planner_model": planner_model,
                "budget": budget, "candidates": candidates,
            }  # fmt: skip
            _print_dry_run(prompt, options, as_json)
            return
        with Progress(budget, enabled=not as_json) as progress:
            result = run(
                prompt, requirements=requirements, model=model, planner_model=planner_model,
                budget=budget, candidates=candidates, listeners=[progress],
            )  # fmt: skip
    except UserError as err:
        raise click.UsageError(str(err)) from None
    if graph_file:
        graph = result.graph
        text = {".mmd": graph.to_mermaid, ".dot": graph.to_dot, ".json": graph.to_json}
        graph_file.write_text(text[graph_file.suffix]())
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        _report(result, show_plan)
    code = EXIT[result.status]
    sys.exit(5 if code == 0 and not result.passed else code)


def _num(value: float) -> str:
    return f"{value:.3g}"


_HOW = {
    "generated": "as generated",
    "repaired": "repaired in code",
    "fixed": "fixed by the model",
    "plan": "by the plan's code",
    "unmet": "not met",
}


def _report(result: Any, show_plan: bool) -> None:
    if show_plan:
        for attempt in result.plans:
            click.echo(f"--- plan {attempt.number} ({attempt.planner}): {attempt.status}")
            click.echo(attempt.source)
    unmet = result.verdict is not None and not result.passed
    click.echo(f"status: {result.status}" + (" (requirements not all met)" if unmet else ""))
    if result.error:
        click.echo(f"error: {result.error}")
    how = {o.name: o.how for o in result.outcomes}
    for check in (result.verdict or {}).get("results", []):
        mark = "PASS" if check["passed"] else "FAIL"
        met = f" ({_HOW[how[check['name']]]})" if check["passed"] and check["name"] in how else ""
        click.echo(f"  {mark} {check['name']}{met}: {check.get('reason', '')}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    usage = result.usage
    click.echo(
        f"spent: ${usage.usd:.6f}, {usage.tokens} tokens, {usage.calls} model calls "
        f"({usage.cached_calls} cached), {usage.wall_seconds:.2f} s"
        + (f", {len(result.plans)} plan(s)" if result.plans else "")
    )
    if result.estimate is not None:
        rows = {row[0]: row for row in result.estimate_vs_actual()}
        shown = [
            f"{name} {_num(rows[name][1])} [{_num(rows[name][2])}..{_num(rows[name][3])}]"
            f" vs {_num(rows[name][4])}"
            for name in ("calls", "tokens", "latency")
            if name in rows
        ]
        click.echo("estimated before running vs actual: " + ", ".join(shown))
    click.echo("output:")
    out = result.output
    click.echo(out if isinstance(out, str) else json.dumps(out, indent=2))


@main.command("check")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(plan_file: Path) -> None:
    """Check PLAN_FILE against the sandbox policy; print each problem with its line.

    Exit status 0 when the plan would run, 2 when it would be rejected.
    """
    from . import _planner
    from ._plan_api import BUILTINS, PRELUDE

    problems = _planner.check(plan_file.read_text(), [p.name for p in BUILTINS], PRELUDE)
    for problem in problems:
        click.echo(f"{plan_file}:{problem}")
    if problems:
        sys.exit(2)
    click.echo(f"{plan_file}: ok")


@main.command("primitives")
def primitives_command() -> None:
    """Print the plan API reference the planner sees."""
    from ._reference import api_reference

    click.echo(api_reference())


@main.command("estimate")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--task", default="", help="The task; the plan reads it as TASK.")
@click.option("--model", help="A litellm model string (default: the embedded local model).")
@click.option("-r", "--requirement", "requirements", multiple=True, help="A requirement.")
@click.option("--budget-usd", type=float, help="Cap on dollars.")
@click.option("--budget-calls", type=int, help="Cap on model calls.")
@click.option("--budget-tokens", type=int, help="Cap on tokens.")
@click.option("--budget-seconds", type=float, help="Cap on wall seconds.")
@click.option("--candidates", type=int, default=4, show_default=True, help="CANDIDATES.")
@click.option(
    "--samples", type=int, default=8, show_default=True, help="Runs at the measured pass rates."
)
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
def estimate_command(
    plan_file: Path,
    task: str,
    model: str | None,
    requirements: tuple[str, ...],
    budget_usd: float | None,
    budget_calls: int | None,
    budget_tokens: int | None,
    budget_seconds: float | None,
    candidates: int,
    samples: int,
    as_json: bool,
) -> None:
    """Estimate what running PLAN_FILE would cost and take, without calling a model.

    Prints model calls, tokens, dollars and latency (expected, and the range between every
    validation failing and every one passing) and the chance that the output meets every
    requirement. Exit status 0; 2 for bad usage or a plan the sandbox would reject.
    """
    from ._estimate import estimate

    try:
        budget = Budget(
            usd=budget_usd, calls=budget_calls, tokens=budget_tokens, seconds=budget_seconds
        )
        result = estimate(
            plan_file.read_text(), task, model=model, requirements=requirements, budget=budget,
            candidates=candidates, samples=samples,
        )  # fmt: skip
    except UserError as err:
        raise click.UsageError(str(err)) from None
    click.echo(result.model_dump_json(indent=2) if as_json else result.summary())


def _print_dry_run(prompt: str, options: dict[str, Any], as_json: bool) -> None:
    import trio

    from ._foresight import dry_run

    estimated = trio.run(dry_run, prompt, options)
    click.echo(estimated.model_dump_json(indent=2) if as_json else estimated.summary())
