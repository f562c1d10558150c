"""An on-disk cache of per-document parse results, so that a rerun parses only what changed.

Public surface:
    DocumentCache(folder, namespace, version, columns)
    text_key(text) -> str
    default_cache_dir() -> Path | None

One cache holds one kind of result (``namespace``, e.g. "entities") as a table with fixed ``columns``, a group of
rows per document. An entry is keyed by the sha256 of the document's text; the namespace's folder name carries the
spaCy model fingerprint and the code ``version``, so a new model or new code never reads old results (they are
stale, and simply left behind in their own folder). Rows are stored in 256 Parquet shards by the key's first two hex
digits; a shard is rewritten whole, through a temporary file and an atomic rename, so a reader never sees half a
file. A shard that cannot be read, or lacks a column, is corrupt: it is deleted with a warning and its documents are
parsed again.
"""
from __future__ import annotations

import hashlib
import os
import uuid
import warnings
from pathlib import Path
from typing import Iterable

import pandas as pd

ENV_VARIABLE = "NEWSLENS_CACHE_DIR"
KEY = "text_sha256"


def text_key(text: str) -> str:
    """The cache key of a document: sha256 of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def default_cache_dir() -> Path | None:
    """The folder named by ``$NEWSLENS_CACHE_DIR`` (the batch runner sets it from ``--cache``), else None."""
    value = os.environ.get(ENV_VARIABLE, "").strip()
    return Path(value) if value else None


class DocumentCache:
    """Per-document rows of one kind of result, on disk.

    Parameters
    ----------
    folder : path
        The cache root (git-ignored; any folder the user can write).
    namespace : str
        The kind of result, e.g. ``"entities"``.
    version : str
        Model fingerprint and code version; a change of either starts an empty cache.
    columns : mapping of str to dtype
        The result's columns (besides the key) and their pandas dtypes; a shard without them is corrupt.
    """

    def __init__(self, folder: str | Path, namespace: str, version: str, columns: dict[str, str]):
        self.folder = Path(folder) / f"{namespace}-{hashlib.sha256(version.encode()).hexdigest()[:16]}"
        self.dtypes = dict(columns)
        self.columns = list(columns)
        self.hits = 0
        self.misses = 0

    def _shard(self, prefix: str) -> Path:
        return self.folder / f"{prefix}.parquet"

    def _read_shard(self, prefix: str) -> pd.DataFrame | None:
        path = self._shard(prefix)
        if not path.exists():
            return None
        try:
            frame = pd.read_parquet(path)
            missing = [c for c in [KEY, *self.columns] if c not in frame.columns]
            if missing:
                raise ValueError(f"missing column {missing[0]!r}")
        except Exception as error:  # any unreadable shard (truncated, not Parquet, wrong schema) is rebuilt
            warnings.warn(f"parse cache: {path} is corrupt ({type(error).__name__}: {error}); it is deleted and its "
                          f"documents are parsed again", stacklevel=3)
            path.unlink(missing_ok=True)
            return None
        return frame[[KEY, *self.columns]]

    def get(self, keys: Iterable[str]) -> dict[str, pd.DataFrame]:
        """The cached rows of each key that is present (keys with no rows, e.g. no entities, are present too)."""
        found: dict[str, pd.DataFrame] = {}
        by_prefix: dict[str, set[str]] = {}
        for key in keys:
            by_prefix.setdefault(key[:2], set()).add(key)
        for prefix, wanted in sorted(by_prefix.items()):
            frame = self._read_shard(prefix)
            if frame is None:
                continue
            for key, group in frame[frame[KEY].isin(wanted)].groupby(KEY, sort=False):
                found[key] = group[self.columns].reset_index(drop=True)
        # A document with no rows at all is stored as one row of missing values, so that it counts as cached.
        for key, group in found.items():
            found[key] = group.dropna(how="all").astype(self.dtypes).reset_index(drop=True)
        self.hits += len(found)
        self.misses += sum(len(w) for w in by_prefix.values()) - len(found)
        return found

    def put(self, results: dict[str, pd.DataFrame]) -> None:
        """Store the rows of each key (an empty frame is stored as "no rows"), replacing its shard atomically."""
        by_prefix: dict[str, list[pd.DataFrame]] = {}
        for key, frame in results.items():
            frame = frame[self.columns] if len(frame) else pd.DataFrame([[None] * len(self.columns)],
                                                                         columns=self.columns)
            by_prefix.setdefault(key[:2], []).append(frame.assign(**{KEY: key}))
        self.folder.mkdir(parents=True, exist_ok=True)
        for prefix, frames in sorted(by_prefix.items()):
            new = pd.concat(frames, ignore_index=True)
            old = self._read_shard(prefix)
            if old is not None:
                new = pd.concat([old[~old[KEY].isin(set(new[KEY]))], new], ignore_index=True)
            path = self._shard(prefix)
            partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.partial")
            new[[KEY, *self.columns]].to_parquet(partial, index=False)
            os.replace(partial, path)
