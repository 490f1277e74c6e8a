"""The `codeplan` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
        click.echo(f"status: {result.status}")
        if result.error:
            click.echo(f"error: {result.error}")
        usage = result.usage
        click.echo(
            f"spent: ${usage.usd:.6f}, {usage.tokens} tokens, {usage.calls} model calls "
            f"({usage.cached_calls} cached), {usage.wall_seconds:.2f} s"
        )
        click.echo("output:")
        out = result.output
        click.echo(out if isinstance(out, str) else json.dumps(out, indent=2))
    sys.exit(EXIT[result.status])


@main.command("primitives")
def primitives_command() -> None:
    """Print the plan API reference the planner sees."""
    from ._reference import api_reference

    click.echo(api_reference())
