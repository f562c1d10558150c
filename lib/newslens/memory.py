"""Giving freed memory back to the operating system, and keeping large columns on disk.

Public surface:
    release_free_memory() -> None
    bound_free_heap() -> None       freed memory at the top of any C heap, and large blocks, go back at once (glibc)
    bounded_heap_in_new_processes() -> None   processes started from now on: the same from their start, and Arrow's
                                    memory from the C heap
    drop_mapped_pages() -> None
    dropping(items, every=DROP_EVERY) -> iterator over items, dropping mapped pages every ``every`` items
    MappedTable(folder, schema=None, path=None)  -- .append(table), .table() -> pyarrow.Table
    read_mapped_table(path) -> pyarrow.Table   a MappedTable's named file, mapped (in another process)
    MappedColumn(folder, type)  -- .append(array), .column() -> pyarrow.ChunkedArray
    mapped_empty(length, dtype, folder) -> numpy.ndarray
    MappedArray(folder, dtype)  -- .append(values), .array() -> numpy.ndarray (one array, its length not known ahead)

pandas and numpy work on hundreds of thousands of rows frees as much memory as it keeps, but glibc's allocator keeps
freed blocks in its heap for reuse: measured on notebook 02 with 10,000 articles, a process held 300-400 MB of free
heap after scoring and summarising the mentions, which counts toward its memory like live data and raises the peak
of the next step. ``malloc_trim`` returns the free pages. Where the C library has no ``malloc_trim`` (macOS,
Windows, musl) this does nothing for the C heap. Arrow's memory pool (Parquet, the text column) is asked to do the
same; but its default allocator (mimalloc) keeps much of what it frees all the same, so the processes newslens
starts (kernels of a batch run, worker processes) have Arrow allocate from the C heap instead
(``bounded_heap_in_new_processes``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import mmap
import os
import sys
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
# Items (texts) read between two drops of the mapped pages: at most 2 MB each stays mapped until then. Texts read
# spread over a large corpus each bring in a block of their own: with 32, up to 64 MB (the kwic of 20 lines of
# 100,000 articles rose 43 MB above its start); a drop costs about 5 microseconds.
DROP_EVERY = 4

# The file mappings of MappedColumn and mapped_empty still in use (weak: a mapping goes with the last array over it).
_MAPPINGS: weakref.WeakSet = weakref.WeakSet()


@functools.lru_cache(maxsize=None)
def _libc_function(name: str):
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or None), name, None)
    except OSError:
        return None


# glibc gives back the free memory at the top of a heap only past this "trim threshold", which it raises as large
# blocks are freed (up to 64 MB); ``malloc_trim`` does not touch the top of the heaps of other threads than the main
# one (those that unpickle a worker's results, Arrow's threads). Measured in the kernel of notebook 02 on 100,000
# articles from an empty cache: five such heaps of 44 MB, all of it free, and the process climbing from 780 to
# 1,062 MB over eight parts of the tone step; with the threshold fixed at this size it stopped climbing. Dask's
# nanny sets the same for its workers (``MALLOC_TRIM_THRESHOLD_``).
TRIM_THRESHOLD = 128 * 1024
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3

# glibc serves a block larger than its "mmap threshold" from a mapping of its own, given back whole when the block is
# freed; but each such block freed raises the threshold to its size (up to 32 MB), and blocks below it then come
# from the heap, whose freed pages stay until the top of the heap is free. Setting the threshold fixes it at this
# size (as setting the trim threshold does: glibc then stops adjusting both). Measured on 10,000 articles, all four
# notebooks from an empty cache: the largest process 321.0 -> 316.2 MB, the tone parts 319.3 -> 314.8, notebook 02's
# kernel 311.3 -> 301.2, the runner 305.3 -> 254.9, in as many CPU seconds (3,665 and 3,613; AVX2 machine); with the
# variable set for a whole run on a VNNI machine, 329.1 -> 316.4 MB largest.
MMAP_THRESHOLD = 128 * 1024
MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"  # glibc reads it when a process starts


def bound_free_heap() -> None:
    """Have glibc return the free top of any of its heaps past ``TRIM_THRESHOLD`` when it is freed, and serve every
    block larger than ``MMAP_THRESHOLD`` from a mapping given back when it is freed (``mallopt``), in this process
    and from now on; where the C library has no ``mallopt``, nothing. Called by ``release_free_memory`` and in
    every process ``newslens.parallel`` starts."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


# Arrow reads its allocator from this variable once, when it is loaded: it cannot be changed in a running process
# (``pyarrow.set_memory_pool`` leaves Parquet reading on the default allocator).
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def bounded_heap_in_new_processes() -> None:
    """Processes started from this one from now on (kernels, worker processes: they inherit the environment) have
    glibc's mmap threshold fixed from their start (``MALLOC_MMAP_THRESHOLD_``, see ``bound_free_heap``) and
    allocate Arrow's memory from the C heap (``ARROW_DEFAULT_MEMORY_POOL=system``), whose free pages
    ``release_free_memory`` gives back, instead of from mimalloc; values the user has set are kept.

    mimalloc keeps much of what it frees even when asked to give it back: measured on a part of the tone step of
    100,000 articles (404,322 mentions, both methods, score caches holding about a quarter of the corpus), the
    process peaked at 690 MB with mimalloc and at 552 MB with the C heap, in the same time (361 and 362 s); reading
    and storing 12 batches of scores in the score cache of 100,000 articles, mimalloc's process grew from 228 to
    325 MB after each release, the C heap's stayed at 131-145 MB."""
    os.environ.setdefault(MMAP_THRESHOLD_VARIABLE, str(MMAP_THRESHOLD))
    os.environ.setdefault(ARROW_POOL_VARIABLE, "system")


def release_free_memory() -> None:
    """Return the free pages of the C heap to the operating system (glibc's ``malloc_trim(0)``, after
    ``bound_free_heap``), between the large steps of a corpus; live data is not touched and results do not
    change."""
    bound_free_heap()
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)
    arrow = sys.modules.get("pyarrow")  # not imported for this: only if something uses it already
    if arrow is not None:
        # Arrow's own allocator (mimalloc or jemalloc) keeps freed blocks too: measured 150 MB after tokenising
        # 100,000 articles.
        arrow.default_memory_pool().release_unused()
    drop_mapped_pages()


def drop_mapped_pages() -> None:
    """The pages read from mapped columns and arrays (``MappedColumn``, ``mapped_empty``) leave the process: they
    stay in the operating system's file cache and are read from it again when next needed. Cheap: to be called
    after each pass over a mapped column's data, such as hashing every text."""
    drop = getattr(mmap, "MADV_DONTNEED", None)  # Linux and macOS
    for mapping in list(_MAPPINGS) if drop is not None else ():
        mapping.madvise(drop)


def dropping(items: Iterable[T], every: int = DROP_EVERY) -> Iterator[T]:
    """``items`` one by one, with ``drop_mapped_pages()`` after every ``every`` of them and at the end: for a loop
    that reads mapped data item by item, such as texts. The kernel maps a file's pages in blocks of up to 2 MB (its
    page cache holds large folios), so reading 500 texts spread over a corpus's column, or hashing every text, would
    otherwise bring the whole column into the process (0.4 GB at 100,000 articles)."""
    for number, item in enumerate(items, 1):
        yield item
        if number % every == 0:
            drop_mapped_pages()
    drop_mapped_pages()


def _nameless_file(folder: str | Path) -> BinaryIO:
    Path(folder).mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=folder, prefix="newslens-mapped-")


def _mapping(file: BinaryIO, access: int = mmap.ACCESS_READ) -> mmap.mmap:
    """A mapping of ``file``, written; the file is closed (the mapping keeps its data until it goes)."""
    with file:
        file.flush()
        mapping = mmap.mmap(file.fileno(), 0, access=access)
    _MAPPINGS.add(mapping)
    return mapping


def mapped_empty(length: int, dtype, folder: str | Path | None) -> np.ndarray:
    """A new one-dimensional array of ``length`` values of ``dtype`` (zeros) over a mapped file of ``folder`` (see
    ``MappedColumn``), to be filled in place: the pages written leave the process at each ``drop_mapped_pages()``
    and stay in the file (the mapping is shared with it). ``numpy.empty`` when ``folder`` is None or ``length`` 0."""
    import numpy as np

    if folder is None or not length:
        return np.empty(length, dtype=dtype)
    file = _nameless_file(folder)
    file.truncate(length * np.dtype(dtype).itemsize)
    return np.frombuffer(_mapping(file, mmap.ACCESS_WRITE), dtype=dtype)


class MappedArray:
    """Values of one numpy ``dtype`` appended a chunk at a time and read back as one array (``array``) over a mapped
    file of ``folder`` (see ``MappedColumn``): for an array whose length is known only once every chunk is made —
    the chunks are written as they come instead of all being held until they can be copied into one array (the
    33 million counts of 100,000 articles: 0.27 GB). With ``folder`` None the chunks are kept and joined in memory."""

    def __init__(self, folder: str | Path | None, dtype):
        import numpy as np

        self.folder, self.dtype, self._chunks, self._file, self._length = folder, np.dtype(dtype), [], None, 0

    def append(self, values) -> None:
        """Add ``values`` (cast to the array's dtype) at the end; written to the file at once with a folder."""
        import numpy as np

        values = np.ascontiguousarray(values, dtype=self.dtype)
        if self.folder is None:
            self._chunks.append(values)
            return
        if self._file is None:
            self._file = _nameless_file(self.folder)
        self._file.write(values.tobytes())
        self._length += len(values)

    def array(self) -> np.ndarray:
        """Every value appended, in order, as one array (over the mapped file when there is one)."""
        import numpy as np

        if self._file is None or not self._length:  # an empty file cannot be mapped
            return np.concatenate(self._chunks) if self._chunks else np.zeros(0, self.dtype)
        return np.frombuffer(_mapping(self._file, mmap.ACCESS_WRITE), dtype=self.dtype)  # writable, as numpy's


class MappedTable:
    """Arrow tables (of one schema) appended one at a time and kept in a file of ``folder`` mapped into memory rather
    than in the process's heap, as datasets libraries keep their Arrow tables: the process holds only the pages it
    has read since the last ``drop_mapped_pages()``, and the operating system reads them again from its file cache
    when needed. The texts of 100,000 articles (0.4 GB) held by every notebook were the largest part of its memory
    that did not need to be there. The file has no name (``tempfile.TemporaryFile``): it is gone when the process
    ends or the table is no longer used, and no two processes share one. With ``folder`` None the tables are kept
    in memory.

    Parameters
    ----------
    folder : path or None
        Where the file is written (a cache folder: on disk, not a memory file system such as /tmp may be).
    schema : pyarrow.Schema, optional
        The tables' schema; None: the first table's (every later one is cast to it).
    path : path, optional
        A file to write instead, named, so that another process can map it (``read_mapped_table``); the caller
        deletes it.
    """

    def __init__(self, folder: str | Path | None, schema=None, path: str | Path | None = None):
        self.folder, self.schema, self.path = folder, schema, path
        self._tables, self._file, self._writer = [], None, None

    def append(self, table) -> None:
        """Add the rows of ``table`` (a ``pyarrow.Table``) at the end; written to the file at once with a folder."""
        import pyarrow as pa

        if self.schema is None:
            self.schema = table.schema
        table = table.cast(self.schema)
        if self.folder is None and self.path is None:
            self._tables.append(table)
            return
        if self._file is None:
            self._file = open(self.path, "w+b") if self.path is not None else _nameless_file(self.folder)
            self._writer = pa.ipc.new_file(self._file, self.schema)
        self._writer.write_table(table)

    def table(self):
        """All the rows appended, as one ``pyarrow.Table`` (over the mapped file when there is one; no rows and no
        schema: None)."""
        import pyarrow as pa

        if self._file is None:  # kept in memory, or nothing was appended
            if self.schema is None:
                return None
            return pa.concat_tables(self._tables) if self._tables else self.schema.empty_table()
        self._writer.close()
        return pa.ipc.open_file(pa.py_buffer(_mapping(self._file))).read_all()


def read_mapped_table(path: str | Path):
    """The rows of the named file of a ``MappedTable`` (its ``path``, after its ``table()``), as one
    ``pyarrow.Table`` over a mapping of the file: its pages leave this process at each ``drop_mapped_pages()``."""
    import pyarrow as pa

    return pa.ipc.open_file(pa.py_buffer(_mapping(open(path, "rb")))).read_all()


class MappedColumn(MappedTable):
    """One column of a ``MappedTable``: Arrow arrays of ``type`` appended one at a time (``append``), read back as
    one ``pyarrow.ChunkedArray`` (``column``)."""

    def __init__(self, folder: str | Path | None, type):
        import pyarrow as pa

        super().__init__(folder, pa.schema([("values", type)]))

    def append(self, array) -> None:
        """Add ``array`` (of the column's type) at the end; written to the file at once with a folder."""
        import pyarrow as pa

        super().append(pa.table([array], schema=self.schema))

    def column(self):
        """All the arrays appended, as one ``pyarrow.ChunkedArray`` (over the mapped file when there is one)."""
        return self.table().column(0)
