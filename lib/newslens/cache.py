"""On-disk caches: per-document parse results, so that a rerun parses only what changed, and corpus-level tables,
so that a rerun that changes only how results are shown does no document-level work at all.

Public surface:
    DocumentCache(folder, namespace, version, columns)
    TableCache(folder, namespace, key)
    cached_tables(cache_dir, namespace, key, compute, check=None, parted=False) -> (tables, values)
    cached_rows(cache, inputs, compute, columns) -> rows   a DocumentCache read, the missing keys computed and stored
    cached_row_groups(cache, inputs, compute, columns)     the same, one shard group at a time: (keys, rows) …
    shard_groups(keys, most) -> list[list[str]]            keys grouped by their first hex digit (large groups cut)
    source_version(*modules, extra="") -> str              the version of rows computed by those modules
    text_key(text) -> str
    rows_of_keys(row_keys, keys) -> (positions, owner)    the rows of each key in turn, found with Arrow and numpy
    mapped_folder(cache_dir) -> Path | None                where large columns of a process are kept on disk
    documents_key(documents) -> str
    frame_key(frame) -> str
    code_version() -> str
    default_cache_dir() -> Path | None

One cache holds one kind of result (``namespace``, e.g. "entities") as a table with fixed ``columns``, a group of
rows per document. An entry is keyed by the sha256 of the document's text; the namespace's folder name carries the
spaCy model fingerprint and the code ``version``, so a new model or new code never reads old results (they are
stale, and simply left behind in their own folder). Rows are stored in 256 Parquet shards by the key's first two hex
digits, in row groups of at most ``SHARD_ROW_GROUP_ROWS`` rows: a read decodes the key column and only the row
groups that hold the keys it wants, and a write copies the old rows into a new file a row group at a time, then
renames it into place (atomically, so a reader never sees half a file); so neither holds a whole shard, whose size
grows with the corpus. A shard that cannot be read, or lacks a column, is corrupt: it is deleted with a warning and
its documents are parsed again.

A ``TableCache`` entry holds the tables computed from a whole corpus (e.g. the actors, mentions and quotes of
notebook 02). Its key is a mapping of everything they depend on — the documents' ids and text hashes
(``documents_key``), the model fingerprint, the code version (``code_version``: every file of the package) and the
parameters that change the result — and the sha256 of that mapping names the entry's folder, so an entry of other
documents, code or parameters is never read. The entry is written into a temporary folder and renamed into place,
its manifest (the full key, each table's columns and row count) written last. On reading, a manifest whose key
differs (a stale entry) or a table that cannot be read or does not match its manifest (a corrupt entry) is deleted
with a warning and the tables are computed again; so is an entry the caller's own check rejects. A table too large
to hold is stored in parts (``newslens.parts``: the row groups of one Parquet file, written as they are computed) and
given back as ``Parts`` read one part at a time; on reading the entry only its file's footer is checked against the
manifest, and a part that cannot be read later raises an error naming the file.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newslens.memory import drop_mapped_pages, dropping, release_free_memory
from newslens.parts import Parts, PartsWriter, empty_like, frame_from_arrow, row_groups_of_parts
from newslens.text import text_digest

ENV_VARIABLE = "NEWSLENS_CACHE_DIR"
KEY = "text_sha256"
# Rows per row group of a ``DocumentCache`` shard: the unit in which a shard is read and copied; fewer when its rows
# are wide (a document's cleaned text), so that a row group holds about ``SHARD_ROW_GROUP_BYTES``.
SHARD_ROW_GROUP_ROWS = 4_096
SHARD_ROW_GROUP_BYTES = 2**20


def text_key(text: str) -> str:
    """The cache key of a document: sha256 of its UTF-8 text (``newslens.text.text_digest``), in hex."""
    return text_digest(text).hex()


def rows_of_keys(row_keys: pa.Array | pa.ChunkedArray, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The rows of each of ``keys`` in turn: ``positions`` of the rows whose key (``row_keys``, e.g. the
    ``text_sha256`` column of cached rows) is ``keys[0]``, in their stored order, then those of ``keys[1]``, and so
    on; and ``owner``, the index in ``keys`` of each. A key given twice (two documents with the same text) gets its
    rows twice; rows of a key not given are left out.

    Done with Arrow and numpy: a Python string per row for the keys of 6.7 million entity rows (100,000 articles)
    took 760 MB, and sorting them was slow.
    """
    # Keys as numbers (their place among the distinct keys); the rows of a key together, in their stored order.
    distinct = pa.array(list(dict.fromkeys(keys)), pa.string())
    code_of_row = pc.index_in(row_keys, value_set=distinct).fill_null(-1).to_numpy()
    by_code = np.argsort(code_of_row, kind="stable")
    sorted_codes = code_of_row[by_code]
    code_of_key = pc.index_in(pa.array(keys, pa.string()), value_set=distinct).to_numpy()
    lows = np.searchsorted(sorted_codes, code_of_key, side="left")
    counts = np.searchsorted(sorted_codes, code_of_key, side="right") - lows
    owner = np.repeat(np.arange(len(keys)), counts)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)  # each row's place in its key's run
    return by_code[np.repeat(lows, counts) + within], owner


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

    def _open_shard(self, prefix: str) -> pq.ParquetFile | None:
        """The shard's file, its columns checked; None when there is none or it is corrupt (deleted, warned)."""
        path = self._shard(prefix)
        if not path.exists():
            return None
        shard = None
        try:
            shard = pq.ParquetFile(path)
            missing = [c for c in [KEY, *self.columns] if c not in shard.schema_arrow.names]
            if missing:
                raise ValueError(f"missing column {missing[0]!r}")
        except Exception as error:  # any unreadable shard (truncated, not Parquet, wrong schema) is rebuilt
            if shard is not None:  # opened, but without a column: closed before it is deleted
                shard.close()
            return self._discard(path, error)
        return shard

    def _discard(self, path: Path, error: Exception) -> None:
        warnings.warn(f"parse cache: {path} is corrupt ({type(error).__name__}: {error}); it is deleted and its "
                      f"documents are parsed again", stacklevel=4)
        path.unlink(missing_ok=True)
        return None

    def _read_shard(self, prefix: str, keys: pa.Array) -> pa.Table | None:
        """The rows of ``keys`` in a shard. Only its key column and the row groups that hold those keys are read:
        a whole shard of 100,000 articles' tone scores, read and decoded for the few keys of a batch, held tens of
        MB more than a shard of 10,000 articles' (Arrow keeps what it allocated)."""
        shard = self._open_shard(prefix)
        if shard is None:
            return None
        try:
            with shard:
                # The key column a row group at a time: whole, the keys of a shard of 100,000 articles' tone scores
                # took 2.0 MB as text each time a shard was read.
                groups = [group for group in range(shard.num_row_groups) if pc.any(pc.is_in(
                    shard.read_row_group(group, columns=[KEY]).column(KEY), value_set=keys)).as_py()]
                names = [KEY, *self.columns]
                table = (shard.read_row_groups(groups, columns=names) if groups
                         else shard.schema_arrow.empty_table().select(names))
        except Exception as error:
            return self._discard(self._shard(prefix), error)
        return table.filter(pc.is_in(table[KEY], value_set=keys))

    def get(self, keys: Iterable[str]) -> dict[str, pd.DataFrame]:
        """The cached rows of each key that is present (keys with no rows, e.g. no entities, are present too)."""
        rows, present = self.rows(keys)
        starts = {}
        for position, key in enumerate(rows[KEY]):
            starts.setdefault(key, [position, position])[1] = position + 1
        empty = empty_like(rows[self.columns])
        return {key: rows.iloc[starts[key][0]:starts[key][1]][self.columns].reset_index(drop=True) if key in starts
                else empty.copy() for key in present}

    def rows(self, keys: Iterable[str]) -> tuple[pd.DataFrame, set[str]]:
        """The cached rows of ``keys`` as one table (column ``text_sha256`` and the columns), the rows of a key
        together, and the set of keys that are present (a key may be present without rows)."""
        wanted = sorted(set(keys))
        frames = [frame for frame in map(self._group_rows, shard_groups(wanted)) if len(frame)]
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[KEY, *self.columns])
        del frames  # not held beside the copies below
        present = set(rows[KEY])
        # A document with no rows at all is stored as one row of missing values, so that it counts as cached.
        rows = rows[~rows[self.columns].isna().all(axis=1)].astype(self.dtypes)
        rows = rows.sort_values(KEY, kind="stable").reset_index(drop=True)
        self.hits += len(present)
        self.misses += len(wanted) - len(present)
        return rows, present

    def present(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that have an entry (rows or "no rows"), from the shards' key column alone. A shard that
        cannot be read counts as empty here; ``rows`` deals with it."""
        wanted, found = set(keys), set()
        for prefix in sorted({key[:2] for key in wanted}):
            path = self._shard(prefix)
            try:
                stored = pq.read_table(path, columns=[KEY]).column(KEY) if path.exists() else None
            except Exception:  # any unreadable shard: its documents count as missing
                continue
            if stored is not None:
                found.update(wanted.intersection(stored.to_pylist()))
        return found

    def _group_rows(self, keys: list[str]) -> pd.DataFrame:
        # The shards are joined as Arrow tables and made one DataFrame per group: a DataFrame per shard cost seconds
        # on a 10,000-document rerun, and all shards at once held the Arrow copy of 100,000 texts beside pandas'.
        # Each shard is cut to the keys as it is read: a group of keys spread over many shards (the mentions of a
        # run of documents) would otherwise hold every row of those shards at once.
        wanted = pa.array(keys, pa.string())
        shards = [table for table in (self._read_shard(prefix, wanted) for prefix in sorted({key[:2] for key in keys}))
                  if table is not None]
        if not shards:
            return pd.DataFrame()
        return pa.concat_tables(shards, promote_options="permissive").to_pandas()  # a "no rows" shard: only nulls

    def put(self, results: dict[str, pd.DataFrame]) -> None:
        """Store the rows of each key (an empty frame is stored as "no rows"), replacing its shard atomically."""
        frames = [frame[self.columns].assign(**{KEY: key}) for key, frame in results.items() if len(frame)]
        self.put_rows(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[KEY, *self.columns]),
                      results)

    def put_rows(self, rows: pd.DataFrame, keys: Iterable[str]) -> None:
        """Store ``rows`` (column ``text_sha256`` and the columns) as the rows of ``keys`` (a key without rows is
        stored as "no rows"), replacing each shard atomically."""
        # Made an Arrow table at once, the keys without rows as rows of nulls of the same types, and put in shard
        # order there: joined in pandas to a frame of None, every column became Python objects, and with the shard
        # column added and sorted, 250,000 rows (a batch of tone scores) took 160 MB more for a moment.
        arrow = pa.Table.from_pandas(rows, columns=[KEY, *self.columns], preserve_index=False)  # no pandas copy
        empty = sorted(set(keys) - set(rows[KEY]))
        if empty:
            nulls = pa.table({KEY: pa.array(empty, pa.string()),
                              **{c: pa.nulls(len(empty), arrow.schema.field(c).type) for c in self.columns}})
            arrow = pa.concat_tables([arrow, nulls], promote_options="permissive")
        if not arrow.num_rows:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # The shard of each row (its key's first two digits) as a small integer; the rows of each shard taken in
        # turn, in their order (a key's rows keep theirs): the whole batch taken in shard order was a second copy of
        # it.
        shards = pc.utf8_slice_codeunits(arrow.column(KEY), 0, 2).combine_chunks().dictionary_encode()
        codes = shards.indices.to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")
        edges = np.r_[0, np.flatnonzero(np.diff(codes[order])) + 1, len(codes)]
        for first, stop in zip(edges[:-1].tolist(), edges[1:].tolist()):
            self._write_shard(shards.dictionary[codes[order[first]]].as_py(), arrow.take(order[first:stop]))

    def _write_shard(self, prefix: str, new: pa.Table) -> None:
        """The shard with the rows of ``new``'s keys replaced by ``new``, written to a temporary file and renamed
        into place. The old rows are copied a row group at a time, and every row group holds at most
        ``SHARD_ROW_GROUP_ROWS`` rows, so that storing a batch does not hold a whole shard (nor does reading one):
        merged as whole Arrow tables, a 100,000-article corpus's score shards cost tens of MB per batch."""
        path = self._shard(prefix)
        old = self._open_shard(prefix)
        try:
            self._write_rows(path, new, old)
        except _CorruptRowGroup as error:  # the old rows are dropped (a key's rows may span row groups)
            self._discard(path, error.__cause__)
            self._write_rows(path, new, None)
        finally:
            if old is not None:
                old.close()

    def _write_rows(self, path: Path, new: pa.Table, old: pq.ParquetFile | None) -> None:
        names = [KEY, *self.columns]
        # One schema for old and new rows: a shard of "no rows" only has columns of no type yet.
        schema = new.schema if old is None else pa.unify_schemas(
            [new.schema, pa.schema([old.schema_arrow.field(name) for name in names])], promote_options="permissive")
        partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.partial")
        try:
            # A shard of cleaned texts of 100,000 articles was one row group of about 400 texts (2 MB), read,
            # filtered and joined to the new rows, each a copy, whenever a text of that shard was stored.
            width = max(new.nbytes // max(new.num_rows, 1), 1)  # bytes per row
            most = max(1, min(SHARD_ROW_GROUP_ROWS, SHARD_ROW_GROUP_BYTES // width))
            with pq.ParquetWriter(partial, schema) as writer:
                # Small row groups (what was kept of a batch's) are joined before they are written: a row group
                # per batch made writing a shard twice as slow.
                pending, held = [], 0
                for group in range(old.num_row_groups if old is not None else 0):
                    try:
                        kept = old.read_row_group(group, columns=names)
                    except Exception as error:
                        raise _CorruptRowGroup() from error
                    pending.append(kept.filter(pc.invert(pc.is_in(kept[KEY], value_set=new[KEY]))).cast(schema))
                    held += pending[-1].num_rows
                    if held >= most:
                        writer.write_table(pa.concat_tables(pending), row_group_size=most)
                        pending, held = [], 0
                writer.write_table(pa.concat_tables([*pending, new.cast(schema)]), row_group_size=most)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)


class _CorruptRowGroup(Exception):
    """A row group of a shard being copied could not be read."""


def mapped_folder(cache_dir: str | Path | None) -> Path | None:
    """Where the large columns a process keeps on disk (``memory.MappedColumn``, ``memory.mapped_empty``) are
    written: a folder of the cache (None without one: they are kept in memory). Their files have no names."""
    return Path(cache_dir) / "mapped" if cache_dir else None


def documents_key(documents: pd.DataFrame) -> str:
    """sha256 over the ids and text hashes of ``documents`` (columns ``doc_id``, ``text``), in order."""
    digest = hashlib.sha256()
    for doc_id, text in zip(documents["doc_id"].astype(str), dropping(documents["text"].fillna("").astype(str))):
        digest.update(f"{doc_id}\0{text_key(text)}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def frame_key(frame: pd.DataFrame | Parts) -> str:
    """sha256 over a table's column names, dtypes and values (row order included). ``Parts`` that know what made
    them (``fingerprint``: a stored table's entry and name) are keyed by that, without reading them; others part by
    part, their boundaries included."""
    if isinstance(frame, Parts) and frame.fingerprint:
        return frame.fingerprint
    digest = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in _dtypes(frame).items()]).encode())
    for part in ([frame] if isinstance(frame, pd.DataFrame) else frame):
        # A row's hash depends on that row alone, so the rows are hashed a slice at a time (the same bytes): the
        # hashes of every column of 1.1 million time expressions at once took notebook 03's kernel up 100 MB.
        for first in range(0, len(part), KEY_ROWS):
            digest.update(pd.util.hash_pandas_object(part.iloc[first:first + KEY_ROWS], index=False).to_numpy()
                          .tobytes())
            drop_mapped_pages()  # a table mapped from a file (``Parts.whole``) is read, not kept
        if isinstance(frame, Parts):
            digest.update(f"\0{len(part)}\0".encode())
    return digest.hexdigest()


# Rows hashed at a time by ``frame_key``.
KEY_ROWS = 100_000


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over every file of the ``newslens`` package (names and bytes): any change of code or shipped data
    makes new corpus-level cache entries."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class TableCache:
    """Corpus-level tables (and a few JSON values) stored on disk under one key.

    Parameters
    ----------
    folder : path
        The cache root.
    namespace : str
        The kind of result, e.g. ``"actors"``.
    key : mapping
        JSON-serialisable: everything the tables depend on (see the module's docstring).
    """

    MANIFEST = "manifest.json"

    def __init__(self, folder: str | Path, namespace: str, key: dict):
        self.key = json.dumps(key, sort_keys=True, ensure_ascii=True)
        self.digest = hashlib.sha256(self.key.encode()).hexdigest()
        self.folder = Path(folder) / f"{namespace}-tables" / self.digest[:32]

    def get(self, check: Callable[[dict[str, pd.DataFrame], dict], bool] | None = None
            ) -> tuple[dict[str, pd.DataFrame], dict] | None:
        """The stored tables and values, or None when there is no usable entry (a stale or corrupt one is deleted
        with a warning). ``check(tables, values)`` may reject an entry that does not fit its inputs."""
        manifest_path = self.folder / self.MANIFEST
        if not manifest_path.exists():
            return None
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("key") != self.key:
                return self._discard("stale (made for other inputs)")
            parted = set(manifest.get("parts", []))
            tables = {name: _stored_parts(self.folder / f"{name}.parquet", dtypes, rows,
                                          f"{self.digest}:{name}") if name in parted
                      else _read_table(self.folder / f"{name}.parquet", dtypes, rows)
                      for name, (dtypes, rows) in manifest["tables"].items()}
            values = manifest["values"]
        except Exception as error:  # unreadable manifest or table, wrong columns or rows: rebuilt
            return self._discard(f"corrupt ({type(error).__name__}: {error})")
        if check is not None and not check(tables, values):
            return self._discard("stale (does not fit the documents)")
        return tables, values

    def _discard(self, why: str) -> None:
        warnings.warn(f"table cache: {self.folder} is {why}; it is deleted and the tables are computed again",
                      stacklevel=3)
        shutil.rmtree(self.folder, ignore_errors=True)
        return None

    @contextlib.contextmanager
    def computing(self) -> Iterator[None]:
        """Held while this entry is computed: another process asking for the same entry waits here, then reads
        what this one stored, instead of computing it too (the notebooks of a batch run start together and ask for
        the same corpus-level tables). An exclusive lock on a file beside the entry (``flock``: the system releases
        it if the process dies); where there is no such lock (Windows, some network file systems) nothing waits."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # not POSIX
            yield
            return
        with open(self.folder.with_name(f"{self.folder.name}.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
            except OSError:  # a file system without locks
                yield
                return
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def scratch(self) -> Path:
        """A new empty folder beside the entry (same file system) for tables written part by part while they are
        computed; ``put`` moves them into the entry. The caller deletes it."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        folder = self.folder.with_name(f"{self.folder.name}.{uuid.uuid4().hex}.scratch")
        folder.mkdir()
        return folder

    def put(self, tables: dict[str, pd.DataFrame | Parts], values: dict | None = None) -> None:
        """Store ``tables`` (DataFrames, or ``Parts`` stored part by part) and the JSON-serialisable ``values``,
        replacing any entry of this key atomically. A ``Parts`` table written to a file is moved, not copied."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        partial = self.folder.with_name(f"{self.folder.name}.{uuid.uuid4().hex}.partial")
        partial.mkdir()
        try:
            for name, frame in tables.items():
                path = partial / f"{name}.parquet"
                if not isinstance(frame, Parts):
                    frame.to_parquet(path, index=False)
                elif frame.path is not None:
                    os.replace(frame.path, path)
                else:
                    writer = PartsWriter(frame.empty, path)
                    for part in frame:
                        writer.add(part)
                    writer.done()
            manifest = {"key": self.key, "values": values or {},
                        "tables": {name: [{str(c): str(t) for c, t in _dtypes(frame).items()}, len(frame)]
                                   for name, frame in tables.items()},
                        "parts": sorted(name for name, frame in tables.items() if isinstance(frame, Parts))}
            (partial / self.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            shutil.rmtree(self.folder, ignore_errors=True)
            try:
                os.replace(partial, self.folder)
            except OSError:  # another run placed an entry of the same key in the meantime
                pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def _dtypes(table: pd.DataFrame | Parts) -> pd.Series:
    return table.empty.dtypes if isinstance(table, Parts) else table.dtypes


def _read_table(path: Path, dtypes: dict[str, str], rows: int) -> pd.DataFrame:
    """A stored table with the columns, dtypes and row count its manifest names."""
    table = pq.read_table(path)
    if table.column_names != list(dtypes) or table.num_rows != rows:
        raise ValueError(f"{path.name} does not match the manifest")
    return frame_from_arrow(table, dtypes)


def _stored_parts(path: Path, dtypes: dict[str, str], rows: int, fingerprint: str) -> Parts:
    """A table stored in parts, checked against its manifest from the file's footer; read part by part later.
    ``fingerprint``: the entry's key digest and the table's name (the entry's key determines its tables)."""
    metadata = pq.read_metadata(path)
    schema = metadata.schema.to_arrow_schema()
    if schema.names != list(dtypes) or metadata.num_rows != rows:
        raise ValueError(f"{path.name} does not match the manifest")
    row_groups_of_parts(metadata)  # its parts listed, as its writer left them
    template = frame_from_arrow(schema.empty_table(), dtypes)
    return Parts(template, path=path, rows=rows, fingerprint=fingerprint)


def cached_tables(cache_dir: str | Path | None, namespace: str, key: dict, compute: Callable[..., tuple[dict, dict]],
                  check: Callable[[dict, dict], bool] | None = None, parted: bool = False) -> tuple[dict, dict]:
    """``compute()`` (tables and JSON values), read from the ``TableCache`` entry of ``key`` when there is a usable
    one, else computed and stored; while one process computes an entry, another asking for it waits and reads it
    (``TableCache.computing``). What is returned after computing is read back from the cache, so a first run
    and a rerun see the very same tables (dtypes included). Without ``cache_dir``: ``compute()``.

    With ``parted``, ``compute(folder)`` is given a folder for the tables it writes part by part (``PartsWriter``;
    None without a cache: keep them in memory) and those tables are read back as ``Parts``."""
    def run(folder: Path | None) -> tuple[dict, dict]:
        return compute(folder) if parted else compute()

    if not cache_dir:
        return run(None)
    cache = TableCache(cache_dir, namespace, key)
    found = cache.get(check)
    if found is not None:
        return found
    with cache.computing():
        found = cache.get(check)  # computed by another process while this one waited
        if found is not None:
            return found
        scratch = cache.scratch() if parted else None
        try:
            tables, values = run(scratch)
            cache.put(tables, values)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
    del tables  # read back instead: the computed tables and their copy would be in memory together
    release_free_memory()  # computing a corpus-level table frees as much as it keeps
    found = cache.get()
    # An entry that cannot be read back right after it was written (a failing disk) is computed again, unstored.
    return found if found is not None else run(None)


def source_version(*modules, extra: str = "") -> str:
    """sha256 over the source files of ``modules`` (and ``extra``, e.g. a library's version): the ``version`` of a
    ``DocumentCache`` whose rows those modules compute, so that a change of that code alone starts afresh."""
    digest = hashlib.sha256(extra.encode())
    for module in modules:
        digest.update(hashlib.sha256(Path(module.__file__).read_bytes()).digest())
    return digest.hexdigest()


# Keys read, computed and stored at a time (``shard_groups``): with a sixteenth of the corpus in flight (6,250 texts
# of 100,000 articles, their rows as Python objects), what a pass over the cache holds grew with the corpus.
GROUP_KEYS = 1_000


def shard_groups(keys: Iterable[str], most: int = GROUP_KEYS) -> list[list[str]]:
    """``keys`` (hex digests) in groups by their first digit, in order, a group of more than ``most`` keys cut
    between shards (their first two digits) into runs of at most ``most`` keys (one shard's, when it has more): the
    unit in which cached rows are read, computed and stored, so that a bounded part of a corpus is in flight at a
    time and each shard is still written once."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key[:1], []).append(key)
    cut = []
    for digit in sorted(groups):
        if len(groups[digit]) <= most:
            cut.append(groups[digit])
            continue
        shards: dict[str, list[str]] = {}
        for key in groups[digit]:
            shards.setdefault(key[:2], []).append(key)
        run: list[str] = []
        for prefix in sorted(shards):
            if run and len(run) + len(shards[prefix]) > most:
                cut.append(run)
                run = []
            run.extend(shards[prefix])
        cut.append(run)
    return cut


def cached_row_groups(cache: DocumentCache | None, inputs: dict[str, object],
                      compute: Callable[[list], Iterable[list[tuple]]], columns: Iterable[str]
                      ) -> Iterator[tuple[list[str], pd.DataFrame]]:
    """``cached_rows`` one shard group at a time (``shard_groups``): yields the group's keys and their rows (column
    ``text_sha256``, then ``columns``; the rows of a key together), read from ``cache`` where present, the others
    computed — ``compute([input, …])`` giving one list of row tuples per input — and stored. With ``columns`` a
    mapping of dtypes, computed rows have those dtypes, as rows read back do (Arrow strings for "str": the 630,000
    clauses of 100,000 articles' events took 0.8 GB more as Python strings)."""
    dtypes = dict(columns) if isinstance(columns, Mapping) else None
    columns = list(columns)
    for keys in shard_groups(inputs):
        found, present = cache.rows(keys) if cache is not None else (None, set())
        missing = [key for key in keys if key not in present]
        computed = compute([inputs[key] for key in missing]) if missing else []
        fresh = pd.DataFrame([(key, *row) for key, rows in zip(missing, computed) for row in rows],
                             columns=[KEY, *columns])
        del computed
        if dtypes:
            fresh = fresh.astype(dtypes)
        if cache is not None and missing:
            cache.put_rows(fresh, missing)
        if found is None or not len(found):
            yield keys, fresh
        else:
            yield keys, pd.concat([found, fresh], ignore_index=True) if len(fresh) else found
        if missing:
            # The computed rows' Python objects were freed (and the pages of texts read to compute them).
            release_free_memory()


def cached_rows(cache: DocumentCache | None, inputs: dict[str, object],
                compute: Callable[[list], Iterable[list[tuple]]], columns: Iterable[str]) -> pd.DataFrame:
    """The rows of every key of ``inputs`` as one table (column ``text_sha256``, then ``columns``; the rows of a
    key together): read from ``cache`` where present, the others computed and stored (``cached_row_groups``).
    Without a cache: all computed."""
    frames = [rows for _, rows in cached_row_groups(cache, inputs, compute, columns) if len(rows)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[KEY, *columns])
