"""Tables too large to hold whole: kept as consecutive parts, in memory or as the row groups of one Parquet file.

Public surface:
    PartsWriter(template, path=None)   .add(frame) part by part (an empty part is kept), .add_parts(parts) (the
                                       parts of another ``Parts``, copied as stored), then .done() -> Parts
    PartsWriters(folder=None)          .add(name, frame) / .add_parts(name, parts) for several tables made part by
                                       part together, each written as ``<folder>/<name>.parquet`` (None: in
                                       memory); .done(name) -> Parts
    Parts                              len() (rows), iteration (one DataFrame per part, in order; one empty part
                                       when none was added), .frames(columns, arrow_text), .batches(columns,
                                       rows, arrow_text) (frames of at most ``rows`` rows, whatever the parts),
                                       .part(number),
                                       .head(n), .whole(columns, mapped_in), .empty (the columns and dtypes),
                                       .fingerprint (set by who made it, or None)
    restored(frame, dtypes, arrow_text=False) -> DataFrame
                                            a frame read from Parquet given back its pandas dtypes (lists: Arrow lists;
                                            with arrow_text, text stays Arrow strings)
    row_groups_of_parts(metadata) -> list[list[int]]
                                            the row groups of each part of a file of parts (ValueError if damaged)
    frame_from_arrow(table, dtypes, arrow_text=False)
                                            an Arrow table read from Parquet, so (each column freed once converted)
    frames_of(table, columns=None, arrow_text=False)
                                            a DataFrame as one frame, Parts part by part
    batches_of(table, columns=None, arrow_text=False)
                                            a DataFrame as one frame, Parts in batches of rows (``Parts.batches``)
    text_dtype(arrow_type)                  pandas' text dtype for Arrow large_string (no copy), else None
    first_groups(table, n, column)          the rows of the first n values of a column (a DataFrame or Parts)
    distinct_count(table, column)           how many values a column has (a DataFrame or Parts)
    empty_like(frame)                       frame's columns and dtypes without its rows, sharing no memory with it

The scored mentions of 100,000 articles are 8.5 million rows: written part by part as they are computed and read
back part by part, only one part is in memory at a time, and what is written from them (a CSV, a summary, the
strongest sentences) is built as the parts go by. Tables made part by part over the same runs of documents (the
mentions and quotes of ``newslens.actors.actor_tables``) have the same number of parts, empty ones included, so that
they can be zipped. In a file, a part is a run of row groups of at most ``ROW_GROUP_ROWS`` rows (an empty part: one
empty row group), and the file's metadata lists how many row groups each part has.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from newslens.memory import MappedTable, release_free_memory


_HEAD_BATCH = 10_000  # rows read at a time by ``Parts.head``
# Rows of a frame of ``Parts.batches``. Writing the scored mentions of 100,000 articles as CSV a part at a time (parts
# of 400,000 rows, every column read) took 254 MB more for a moment; the columns written, 100,000 rows at a time,
# 96 MB (10,000 rows: 85 MB). Writing the 3.5 million distinctive terms of the same corpus (11 columns) took 56 MB more
# in batches of 100,000 rows, 30 MB in batches of 25,000 (20 MB of 10,000), 16% slower (8.7 -> 10.1 s).
BATCH_ROWS = 25_000
# Rows per row group of a file of parts, and the file metadata's key for the row groups of each part. Copying the
# parts another process wrote (``PartsWriter.add_parts``) goes a row group at a time: with a part as one row group,
# the kernel of notebook 02 took 77 MB more for a moment at the end of a tone part of 100,000 articles; copying one
# (365,156 scored mentions and 100,000 per-document rows) took 101 MB above the start, with these row groups 36 MB.
ROW_GROUP_ROWS = 100_000
_PART_GROUPS_KEY = b"newslens.part_row_groups"


class Parts:
    """A table as consecutive parts (see the module's docstring); make one with ``PartsWriter``."""

    def __init__(self, template: pd.DataFrame, frames: list[pd.DataFrame] | None = None,
                 path: Path | None = None, rows: int = 0, fingerprint: str | None = None):
        self.empty = empty_like(template)
        self.path = path
        self.fingerprint = fingerprint  # what made these rows, when known (``newslens.cache.frame_key`` uses it)
        self._frames = frames
        self._rows = sum(map(len, frames)) if frames is not None else rows

    def __len__(self) -> int:
        return self._rows

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self.frames()

    def frames(self, columns: list[str] | None = None, arrow_text: bool = False) -> Iterator[pd.DataFrame]:
        """The parts in order, with only ``columns`` (all when None): a file is read for those columns only.
        ``arrow_text``: text read from a file stays pandas' Arrow strings instead of Python objects (the text of a
        part of 500,000 scored mentions as objects took 40 MB more)."""
        empty = self.empty if columns is None else self.empty[columns]
        if self._frames is not None:
            for frame in self._frames or [empty]:
                yield frame if columns is None else frame[columns]
            return
        dtypes = _dtypes(empty)
        file = self._file()
        parts = self._row_groups(file)
        if not parts:  # one empty part: what is made from the parts (a CSV's header) still has the columns
            yield empty.copy()
        for groups in parts:
            yield frame_from_arrow(file.read_row_groups(groups, columns=columns), dtypes, arrow_text)
            # The heap a part used is given back before the next is read: measured on the 8.5 million scored
            # mentions of 100,000 articles, writing them and picking the evidence held 300-400 MB less after.
            release_free_memory()

    def batches(self, columns: list[str] | None = None, rows: int | None = None, arrow_text: bool = False
                ) -> Iterator[pd.DataFrame]:
        """The rows in order as frames of at most ``rows`` rows (``BATCH_ROWS`` when None; part boundaries not
        kept), with only ``columns`` (all when None): for what goes through the rows once whatever their parts, such
        as writing a CSV. One empty frame when there are no rows. ``arrow_text``: as in ``frames``."""
        rows = BATCH_ROWS if rows is None else rows
        empty = self.empty if columns is None else self.empty[columns]
        if self._frames is not None or not self._rows:
            for frame in self.frames(columns):
                for first in range(0, len(frame), rows):
                    yield frame.iloc[first:first + rows]
            if not self._rows:
                yield empty.copy()
            return
        dtypes = _dtypes(empty)
        # Not the whole row group's columns read ahead (``pre_buffer``): reading 10,000 rows at a time of a part
        # of 400,000 then took 142 MB more instead of 63.
        for batch in self._file(pre_buffer=False).iter_batches(batch_size=rows, columns=columns):
            yield frame_from_arrow(pa.Table.from_batches([batch]), dtypes, arrow_text)
            release_free_memory()

    def part(self, number: int) -> pd.DataFrame:
        """Part ``number`` (from 0) alone, read from the file when on disk."""
        if self._frames is not None:
            return (self._frames or [self.empty])[number]
        file = self._file()
        parts = self._row_groups(file)
        if not parts:  # the one empty part
            return [self.empty.copy()][number]
        return frame_from_arrow(file.read_row_groups(parts[number]), _dtypes(self.empty))

    def _file(self, pre_buffer: bool = True) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(self.path, pre_buffer=pre_buffer)
        except (OSError, pa.ArrowException) as error:
            raise OSError(f"{self.path}: a cached table cannot be read ({error}); delete the cache folder's "
                          f"{Path(self.path).parent.name} and run again") from error

    def _row_groups(self, file: pq.ParquetFile) -> list[list[int]]:
        try:
            return row_groups_of_parts(file.metadata)
        except ValueError as error:
            raise OSError(f"{self.path}: {error}; delete the cache folder's {Path(self.path).parent.name} and run "
                          f"again") from error

    @property
    def columns(self) -> pd.Index:
        return self.empty.columns

    def head(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows, reading only the parts that hold them (from a file, only as many rows as asked:
        the first part of 10,000 articles' scored mentions, read whole for a table of 40 rows, took 250 MB)."""
        if self._frames is None and self._rows and n > 0:
            batches, count = [], 0
            for batch in self._file().iter_batches(batch_size=min(n, _HEAD_BATCH)):
                batches.append(batch.slice(0, n - count))
                count += batches[-1].num_rows
                if count >= n:
                    break
            return frame_from_arrow(pa.Table.from_batches(batches), _dtypes(self.empty))
        taken, count = [], 0
        for frame in self:
            if count >= n:
                break
            taken.append(frame.head(n - count))
            count += len(taken[-1])
        return pd.concat([self.empty, *taken], ignore_index=True) if taken else self.empty.copy()

    def whole(self, columns: list[str] | None = None, mapped_in: str | Path | None = None) -> pd.DataFrame:
        """All parts as one DataFrame (with only ``columns``, all when None): for tables needed whole (the events
        of ``newslens.chronology``, made a year at a time), columns known to be small, and tests. ``mapped_in``: a
        folder (``newslens.cache.mapped_folder``) where the text and list columns of parts kept in a file are
        copied, part by part, to a file mapped into memory (``memory.MappedTable``), which they are read from, not
        copied into memory; None: read into memory."""
        empty = self.empty if columns is None else self.empty[columns]
        if self._frames is None and self._rows:
            dtypes = _dtypes(empty)
            if mapped_in is not None:
                return _mapped_frame(self._file(), columns, dtypes, mapped_in)
            # The file read at once: the parts and their concatenation are never in memory together.
            return frame_from_arrow(self._file().read(columns=columns), dtypes)
        frames = [frame for frame in self.frames(columns) if len(frame)]
        return pd.concat(frames, ignore_index=True) if frames else empty.copy()


class PartsWriter:
    """Collects the parts of a table: into a list, or with ``path`` as the row groups of that Parquet file (one
    part in memory at a time). ``template``: a frame with the table's columns and dtypes (its rows are ignored);
    every part must have them."""

    def __init__(self, template: pd.DataFrame, path: str | Path | None = None):
        self.template = empty_like(template)
        self.path = Path(path) if path is not None else None
        self._frames: list[pd.DataFrame] | None = None if self.path is not None else []
        self._writer: pq.ParquetWriter | None = None
        self._rows = 0
        self._part_groups: list[int] = []  # row groups of each part written

    def add(self, frame: pd.DataFrame) -> None:
        if list(frame.columns) != list(self.template.columns):
            raise ValueError(f"a part has the columns {list(frame.columns)}, not {list(self.template.columns)}")
        self._rows += len(frame)
        if self._frames is not None:
            self._frames.append(frame.reset_index(drop=True))
            return
        self._write(_arrow(frame))

    def add_parts(self, parts: Parts) -> None:
        """Add each part of ``parts`` (same columns and dtypes) in turn. From a file into a file, a part goes as
        it is stored, a row group at a time, never made a DataFrame: its text as Python strings broke up the heap of
        the process copying the parts of another process (+200 MB at the peak of each part, at 100,000 articles)."""
        if list(parts.columns) != list(self.template.columns):
            raise ValueError(f"parts have the columns {list(parts.columns)}, not {list(self.template.columns)}")
        if self._frames is not None or parts.path is None:
            for frame in parts:
                self.add(frame)
            return
        file = parts._file()
        groups_of_parts = parts._row_groups(file)
        if not groups_of_parts:  # one empty part, as iterating ``parts`` gives
            self.add(parts.empty)
        for groups in groups_of_parts:
            for group in groups:
                table = file.read_row_group(group)
                self._rows += table.num_rows
                writer = self._file_writer()
                writer.write_table(table.cast(writer.schema), row_group_size=max(table.num_rows, 1))
                del table
                release_free_memory()
            self._part_groups.append(len(groups))

    def _write(self, table: pa.Table) -> None:
        # An empty part is written as an empty row group: parts made over the same runs of documents stay aligned.
        writer = self._file_writer()
        writer.write_table(table.cast(writer.schema), row_group_size=ROW_GROUP_ROWS)
        self._part_groups.append(max(1, -(-table.num_rows // ROW_GROUP_ROWS)))

    def _file_writer(self) -> pq.ParquetWriter:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, _arrow(self.template).schema)
        return self._writer

    def done(self) -> Parts:
        if self._frames is not None:
            return Parts(self.template, frames=self._frames)
        self._file_writer().add_key_value_metadata({_PART_GROUPS_KEY: json.dumps(self._part_groups)})
        self._writer.close()
        return Parts(self.template, path=self.path, rows=self._rows)


class PartsWriters:
    """A ``PartsWriter`` per table name, made with the first part added to it (its template): the tables made part
    by part together are written as ``<folder>/<name>.parquet``, or kept in memory when ``folder`` is None."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = None if folder is None else Path(folder)
        self._writers: dict[str, PartsWriter] = {}

    def add(self, name: str, frame: pd.DataFrame) -> None:
        self._writer(name, frame).add(frame)

    def add_parts(self, name: str, parts: Parts) -> None:
        """``PartsWriter.add_parts`` for the table ``name`` (made with ``parts.empty`` as its template if new)."""
        self._writer(name, parts.empty).add_parts(parts)

    def done(self, name: str) -> Parts:
        return self._writers[name].done()

    def _writer(self, name: str, template: pd.DataFrame) -> PartsWriter:
        if name not in self._writers:
            path = None if self.folder is None else self.folder / f"{name}.parquet"
            self._writers[name] = PartsWriter(template, path)
        return self._writers[name]


def row_groups_of_parts(metadata: pq.FileMetaData) -> list[list[int]]:
    """The row groups of each part of a file ``PartsWriter`` wrote (its ``metadata``), in order; none when the
    file has no part. ValueError when its row groups are not those of its parts (not such a file, or damaged)."""
    try:
        counts = json.loads((metadata.metadata or {}).get(_PART_GROUPS_KEY, b"[]"))
        valid = all(type(count) is int and count > 0 for count in counts) and sum(counts) == metadata.num_row_groups
    except (ValueError, TypeError):  # not JSON, or not a list
        valid = False
    if not valid:
        raise ValueError("its row groups are not those of its parts")
    return [list(range(start, start + count)) for start, count in zip(itertools.accumulate(counts, initial=0), counts)]


def empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with the columns and dtypes of ``frame`` and no rows, that shares no memory with it.

    A slice of no rows (``frame.iloc[0:0]``) is a view: it keeps alive every buffer of ``frame``'s columns. As the
    template of a ``PartsWriter`` it kept the first parts of the mentions and quotes alive for as long as the process
    that wrote them (at 100,000 articles, the actor tables' process held 324 MB between runs of documents instead of
    287).
    """
    return frame.iloc[[]].reset_index(drop=True)  # taking no rows copies nothing, into new, empty buffers


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    """The pandas dtypes of ``frame``'s columns by name, as ``frame_from_arrow`` takes them."""
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def frames_of(table: pd.DataFrame | Parts, columns: list[str] | None = None, arrow_text: bool = False
              ) -> Iterator[pd.DataFrame]:
    """A table (with only ``columns``, all when None) as one frame, or each of its parts in turn: for code that
    takes a DataFrame or ``Parts`` alike (``arrow_text``: as ``Parts.frames``)."""
    if isinstance(table, Parts):
        return table.frames(columns, arrow_text)
    return iter([table if columns is None else table[columns]])


def batches_of(table: pd.DataFrame | Parts, columns: list[str] | None = None, arrow_text: bool = False
               ) -> Iterator[pd.DataFrame]:
    """A table (with only ``columns``, all when None) as one frame, or ``Parts.batches`` of ``BATCH_ROWS`` rows: for
    code that goes through the rows once, whatever their parts."""
    if isinstance(table, Parts):
        return table.batches(columns, arrow_text=arrow_text)
    return iter([table if columns is None else table[columns]])


def first_groups(table: pd.DataFrame | Parts, n: int, column: str = "doc_id") -> pd.DataFrame:
    """The rows of the first ``n`` values of ``column`` (in their order; the rows of a value together, as in a
    per-document table), reading only the parts that hold them."""
    taken, seen = [], {}
    for frame in frames_of(table):
        values = pd.unique(frame[column])
        seen.update(dict.fromkeys(values[:n - len(seen)]))
        taken.append(frame[frame[column].isin(list(seen))])
        if len(seen) >= n:
            break
    return pd.concat(taken, ignore_index=True)


def distinct_count(table: pd.DataFrame | Parts, column: str) -> int:
    """How many distinct values ``column`` has, reading that column part by part."""
    values: set = set()
    for frame in frames_of(table, [column]):
        values.update(frame[column].unique())
    return len(values)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    # Text in object columns (missing values as None) is stored as Arrow text whatever a part holds: a part whose
    # column is all None would otherwise be of Arrow's null type, and parts of one file must agree.
    text = {c: "str" for c, t in frame.dtypes.items() if t == object}
    return pa.Table.from_pandas(frame.astype(text) if text else frame, preserve_index=False)


def frame_from_arrow(table: pa.Table, dtypes: dict[str, str], arrow_text: bool = False) -> pd.DataFrame:
    """An Arrow table read from Parquet as a DataFrame with the pandas ``dtypes`` it was written with (``restored``;
    ``arrow_text``: text left as pandas' Arrow strings), each Arrow column freed once converted: converted whole, a
    table was briefly held twice."""
    return restored(table.to_pandas(self_destruct=True, split_blocks=True, types_mapper=_list_dtype), dtypes,
                    arrow_text)


def _mapped_frame(file: pq.ParquetFile, columns: list[str] | None, dtypes: dict[str, str],
                  folder: str | Path) -> pd.DataFrame:
    """The rows of ``file`` as a DataFrame whose text and list columns lie in a mapped file of ``folder`` (see
    ``Parts.whole``): its pages leave the process at each ``memory.drop_mapped_pages()``. Measured on notebook 03
    with 100,000 articles, its 230,000 events held about 0.14 GB in the kernel for the rest of the notebook."""
    mapped = MappedTable(folder)
    for group in range(file.num_row_groups):
        part = file.read_row_group(group, columns=columns)
        # 64-bit offsets, as pandas keeps its Arrow strings: with 32-bit ones it would copy every text column.
        mapped.append(part.cast(pa.schema([field.with_type(pa.large_string()) if pa.types.is_string(field.type)
                                           else field for field in part.schema])))
        del part
        release_free_memory()
    return restored(mapped.table().to_pandas(split_blocks=True, types_mapper=_mapped_dtype), dtypes)


def text_dtype(kind: pa.DataType) -> pd.StringDtype | None:
    """pandas' text dtype for Arrow text of 64-bit offsets, which it wraps without a copy (a ``types_mapper``)."""
    return pd.StringDtype("pyarrow", na_value=float("nan")) if pa.types.is_large_string(kind) else None


def _mapped_dtype(kind: pa.DataType):
    return text_dtype(kind) or _list_dtype(kind)


def _list_dtype(kind: pa.DataType) -> pd.ArrowDtype | None:
    # Lists stay Arrow lists (a Python list per value when read): as numpy arrays of Python objects, the lists of
    # every event of 100,000 articles took about 0.1 GB more.
    return pd.ArrowDtype(kind) if pa.types.is_list(kind) or pa.types.is_large_list(kind) else None


def _is_arrow_list(dtype) -> bool:
    kind = getattr(dtype, "pyarrow_dtype", None)
    return kind is not None and _list_dtype(kind) is not None


def restored(frame: pd.DataFrame, dtypes: dict[str, str], arrow_text: bool = False) -> pd.DataFrame:
    """``frame`` as read from Parquet, with the pandas ``dtypes`` it was written with: text comes back as pandas'
    string dtype, so a column that was ``object`` is made so again, missing values as None (not with
    ``arrow_text``: text stays in the string dtype, missing values NaN)."""
    for column, dtype in zip(frame.columns, dtypes.values()):
        if str(frame[column].dtype) == dtype or _is_arrow_list(frame[column].dtype):
            continue  # Parquet names a list's items "element", not "item": the same lists
        if arrow_text and dtype == "object" and pd.api.types.is_string_dtype(frame[column].dtype):
            continue
        if dtype == "object":
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame
