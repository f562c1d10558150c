"""Which language each document is in, and which documents the English-only analyses read.

The word lists, the sentence splitter, the sentiment models and the date tagger of newslens are English. A German or
Russian article would put "die" and "не" among the top terms and its names would never be found, so each document's
language is detected (``detect_language``; the ``language`` column of the documents table) and the analyses read
the English ones only, unless asked otherwise (``english_documents``).

Detection is py3langid (a maintained fork of langid.py, Lui & Baldwin 2012): a naive Bayes model over byte n-grams
that ships inside the package (nothing downloaded), is deterministic, and covers 97 languages. It is unreliable on a
few words, so a text under ``MIN_LETTERS`` letters, or a detection under ``MIN_CONFIDENCE``, gives "" (unknown), and
an unknown document counts as English. Its model (71 MB) is loaded at the first detection (or by
``load_identifier``) and kept until ``release_identifier``.
"""
from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

MIN_LETTERS = 100
MIN_CONFIDENCE = 0.9
# py3langid walks the text byte by byte in Python (about 1 ms per 1,000 characters): the first 1,000 characters,
# about 150 words, tell an article's language as well as the whole would, at a tenth of the cost of a long article.
SAMPLE_CHARS = 1_000
ENGLISH = "en"
_LETTER = re.compile(r"[^\W\d_]")


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_identifier() -> None:
    """Loads the language model now rather than at the first detection: while it loads, it takes about 110 MB for a
    moment (71 MB once loaded), best paid before a process holds much else."""
    _identifier()


def release_identifier() -> None:
    """Frees the language model (71 MB, loaded again at the next detection): loading a corpus needs it only while
    its texts are cleaned, and it was the largest object kept by the kernel or process that loaded them."""
    _identifier.cache_clear()


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language of ``text`` ("en", "de", "ru", …), or "" when it cannot be told reliably."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return ""
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else ""


def is_english(language: str) -> bool:
    """Unknown ("") counts as English: too short to tell is not evidence of another language."""
    return language in (ENGLISH, "")


def english_documents(documents: pd.DataFrame, include_other_languages: bool = False) -> pd.DataFrame:
    """The documents an English-only analysis reads: all of them when ``include_other_languages``, else those whose
    ``language`` is English or unknown. Left-out documents are named in a ``UserWarning`` (raised here, not at
    the caller: a notebook cell's file name changes from run to run, and the warning is part of the report).

    Raises
    ------
    ValueError
        When no document is left (the message says how to include the others).
    """
    english = documents["language"].map(is_english).to_numpy(dtype=bool)
    # Only the columns the messages name: a row selection of the text column (Arrow) goes through a Python string
    # per text (measured: +0.4 GB for 100,000 articles to name one document).
    other = documents.loc[~english, ["doc_id", "language"]]
    if include_other_languages or other.empty:
        if len(other):
            warnings.warn(f"{len(other)} document(s) not in English are analysed with English word lists and "
                          f"models (include_other_languages is set): {_listing(other)}", UserWarning)
        return documents
    kept = _rows(documents, english)
    if kept.empty:
        raise ValueError(f"no document is in English ({_listing(other)}); this analysis uses English word lists and "
                         "models: set include_other_languages = True to run it anyway")
    warnings.warn(f"{len(other)} document(s) not in English left out of this English-only analysis: "
                  f"{_listing(other)} (set include_other_languages = True to include them)", UserWarning)
    return kept


def _rows(documents: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of ``documents`` where ``keep``, renumbered from 0; the columns in Arrow (the text, and the other
    text columns in pandas 3) share the original's memory (zero-copy slices of each run of kept rows) instead of
    being copied: the texts of 100,000 articles held twice cost 0.4 GB more at the peak of every notebook, and their
    other text columns 50 MB more in every kernel."""
    edges = np.flatnonzero(np.diff(np.r_[0, keep.astype(np.int8), 0]))  # starts and ends of the runs kept
    runs = list(zip(edges[::2].tolist(), edges[1::2].tolist()))
    columns = {}
    for name in documents.columns:
        values = documents[name].array
        columns[name] = _arrow_rows(values, runs) if isinstance(values, pd.arrays.ArrowStringArray) else values[keep]
    return pd.DataFrame(columns, columns=documents.columns, copy=False)


def _arrow_rows(values: pd.arrays.ArrowStringArray, runs: list[tuple[int, int]]) -> pd.api.extensions.ExtensionArray:
    """The ``runs`` (start, end) of ``values``, as zero-copy slices of its Arrow data."""
    data = pa.array(values)  # the column's own Arrow data, not a copy (an Array when it is one chunk)
    data = data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])
    pieces = [chunk for start, end in runs for chunk in data.slice(start, end - start).chunks]
    return pd.array(pa.chunked_array(pieces, type=data.type), dtype=values.dtype)


def _listing(documents: pd.DataFrame, limit: int = 10) -> str:
    shown = [f"{doc_id} ({language})" for doc_id, language in zip(documents["doc_id"], documents["language"])]
    return ", ".join(shown[:limit]) + (f" and {len(shown) - limit} more" if len(shown) > limit else "")
