"""Giving freed memory back to the operating system, and keeping large columns on disk.

Public surface:
    release_free_memory() -> None
    MappedColumn(folder, type)  -- .append(array), .column() -> pyarrow.ChunkedArray

pandas and numpy work on hundreds of thousands of rows frees as much memory as it keeps, but glibc's allocator keeps
freed blocks in its heap for reuse: measured on notebook 02 with 10,000 articles, a process held 300-400 MB of free
heap after scoring and summarising the mentions, which counts toward its memory like live data and raises the peak
of the next step. ``malloc_trim`` returns the free pages. Where the C library has no ``malloc_trim`` (macOS,
Windows, musl) this does nothing for the C heap. Arrow's memory pool (Parquet, the text column) is asked to do the
same.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import mmap
import sys
import tempfile
import weakref
from pathlib import Path

# The file mappings of MappedColumn still in use (weak: a mapping goes when the last array over it does).
_MAPPINGS: weakref.WeakSet = weakref.WeakSet()


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or None), "malloc_trim", None)
    except OSError:
        return None


def release_free_memory() -> None:
    """Return the free pages of the C heap to the operating system (glibc's ``malloc_trim(0)``), between the large
    steps of a corpus; live data is not touched and results do not change."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    arrow = sys.modules.get("pyarrow")  # not imported for this: only if something uses it already
    if arrow is not None:
        # Arrow's own allocator (mimalloc or jemalloc) keeps freed blocks too: measured 150 MB after tokenising
        # 100,000 articles.
        arrow.default_memory_pool().release_unused()
    drop = getattr(mmap, "MADV_DONTNEED", None)  # Linux and macOS
    for mapping in list(_MAPPINGS) if drop is not None else ():
        # The pages read from a mapped column leave the process (they stay in the OS's file cache, and are read
        # again from it when next needed).
        mapping.madvise(drop)


class MappedColumn:
    """A column of Arrow arrays appended one at a time and kept in a file of ``folder`` mapped into memory rather
    than in the process's heap, as datasets libraries keep their Arrow tables: the process holds only the pages it
    has read since the last ``release_free_memory()``, and the operating system reads them again from its file
    cache when needed. The texts of 100,000 articles (0.4 GB) held by every notebook were the largest part of its
    memory that did not need to be there. The file has no name (``tempfile.TemporaryFile``): it is gone when the
    process ends or the column is no longer used, and no two processes share one. With ``folder`` None the arrays
    are kept in memory.

    Parameters
    ----------
    folder : path or None
        Where the file is written (a cache folder: on disk, not a memory file system such as /tmp may be).
    type : pyarrow.DataType
        The arrays' type.
    """

    def __init__(self, folder: str | Path | None, type):
        self.type, self._arrays, self._file, self._writer = type, [], None, None
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self._file = tempfile.TemporaryFile(dir=folder, prefix="newslens-column-")

    def append(self, array) -> None:
        """Add ``array`` (of the column's type) at the end; written to the file at once when there is one."""
        import pyarrow as pa

        if self._file is None:
            self._arrays.append(array)
            return
        batch = pa.record_batch([array], names=["values"])
        if self._writer is None:
            self._writer = pa.ipc.new_file(self._file, batch.schema)
        self._writer.write_batch(batch)

    def column(self):
        """All the arrays appended, as one ``pyarrow.ChunkedArray`` (over the mapped file when there is one)."""
        import pyarrow as pa

        if self._writer is None:  # kept in memory, or nothing was appended
            if self._file is not None:
                self._file.close()
            return pa.chunked_array(self._arrays, type=self.type)
        self._writer.close()
        self._file.flush()
        mapping = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self._file.close()  # the mapping keeps the (nameless) file
        _MAPPINGS.add(mapping)
        reader = pa.ipc.open_file(pa.py_buffer(mapping))
        return pa.chunked_array([reader.get_batch(i).column(0) for i in range(reader.num_record_batches)],
                                type=self.type)
