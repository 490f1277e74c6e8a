"""Run the IFEval comparison and ablation: single call, best-of-N selection, + code repairs,
codeplan's default plan (+ model fixes), sequential best-of-N, oracle selection; one command.

    python -m bench.ifeval.run                      # stratified 100 prompts, all arms
    python -m bench.ifeval.run --n 12 --arms single,codeplan   # a quick look
    python -m bench.ifeval.run --full               # all 541 prompts
    python -m bench.ifeval.run --model fake/echo --n 12 --out /tmp/ifeval

Every output is scored with the official verifiers (`bench.ifeval.official.score`), strict and
loose, prompt- and instruction-level. Results go to ``<out>/<name>.json`` and ``<name>.md``,
plus a plot of accuracy against tokens.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.ifeval import offline_nltk, report
from bench.ifeval.arms import ARMS, DEFAULT_MODEL, Arm, run_arms
from bench.ifeval.data import (
    DATA_SHA256,
    PACKAGE,
    PACKAGE_VERSION,
    Prompt,
    load_prompts,
    stratified_subset,
)
from bench.ifeval.official import score


def select_prompts(*, n: int, full: bool, seed: int) -> tuple[list[Prompt], str]:
    """The prompts to run and how they were chosen."""
    prompts = load_prompts()
    if full:
        return prompts, "full set"
    return stratified_subset(prompts, n, seed=seed), f"stratified subset, seed {seed}"


def run_benchmark(
    prompts: Sequence[Prompt],
    *,
    arms: Sequence[Arm] = ARMS,
    model: str = DEFAULT_MODEL,
    candidates: int = 4,
    calls: int = 12,
    out: Path = Path("bench/results"),
    name: str = "ifeval",
    selection: str = "given prompts",
    command: str = "",
    show_progress: bool = True,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Run `arms` on `prompts`, score, summarise and write the files; return both."""
    rows: list[dict[str, Any]] = []
    progress = Progress(
        TextColumn("[bold]IFEval[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), disable=not show_progress, console=Console(stderr=True),
    )  # fmt: skip
    with progress:
        task = progress.add_task("", total=len(prompts))
        for prompt in prompts:
            progress.update(task, description=f"prompt {prompt.key}")
            outcomes = run_arms(prompt, arms, model=model, candidates=candidates, calls=calls)
            row_arms = {}
            for arm, outcome in outcomes.items():
                record = outcome.to_json()
                record["score"] = score(prompt, outcome.output)
                row_arms[arm] = record
            rows.append(
                {"key": prompt.key, "instruction_ids": list(prompt.instruction_id_list),
                 "arms": row_arms}
            )  # fmt: skip
            progress.advance(task)
    config = {
        "model": model, "arms": list(arms), "candidates": candidates, "calls": calls,
        "prompts": len(prompts), "selection": selection, "package": PACKAGE,
        "package_version": PACKAGE_VERSION, "data_sha256": DATA_SHA256,
        "command": command or "python -m bench.ifeval.run",
        "nltk_substitute_prompts": offline_nltk.affected(p.instruction_id_list for p in prompts),
        "nltk_substitute_prompts_of_all": offline_nltk.affected(
            p.instruction_id_list for p in load_prompts()
        ),
    }  # fmt: skip
    summary = report.summarise(rows, config)
    return summary, report.write(summary, out, name)


def _arms(text: str) -> list[Arm]:
    chosen = [a.strip() for a in text.split(",") if a.strip()]
    unknown = sorted(set(chosen) - set(ARMS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"arms must be a comma list of {', '.join(ARMS)}")
    return [cast(Arm, a) for a in chosen]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.ifeval.run", description=__doc__.split("\n")[0]
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--n", type=int, default=100, help="stratified subset size (default 100)")
    size.add_argument("--full", action="store_true", help="all 541 prompts")
    p.add_argument("--seed", type=int, default=0, help="subset seed (default 0)")
    p.add_argument("--arms", type=_arms, default=list(ARMS), help="default: all six")
    p.add_argument("--candidates", type=int, default=4, help="codeplan drafts (default 4)")
    p.add_argument("--calls", type=int, default=12, help="codeplan call budget (default 12)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    p.add_argument("--out", type=Path, default=Path("bench/results"), help="output folder")
    p.add_argument("--name", default="ifeval", help="file name stem (default ifeval)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    prompts, selection = select_prompts(n=args.n, full=args.full, seed=args.seed)
    command = "python -m bench.ifeval.run " + shlex.join(
        list(argv) if argv is not None else sys.argv[1:]
    )
    summary, paths = run_benchmark(
        prompts, arms=args.arms, model=args.model, candidates=args.candidates,
        calls=args.calls, out=args.out, name=args.name, selection=selection,
        command=command.strip(), show_progress=not args.quiet,
    )  # fmt: skip
    print(report.markdown(summary))
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
