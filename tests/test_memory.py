import ctypes
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from newslens import memory


GLIBC = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim and mallopt are glibc's")


@GLIBC
def test_free_heap_memory_is_given_back_with_glibc_malloc_trim():
    assert memory._libc_function("malloc_trim") is not None  # found, so the notebooks' kernels give memory back
    memory.release_free_memory()  # and calling it is harmless


def _thread_heap_kept_mb(bound: bool) -> float:
    """MB of resident memory still held after a thread fills its own heap with 40 MB and frees it, glibc having
    raised its thresholds first (a 20 MB block freed); with ``bound``, after ``bound_free_heap``."""
    import threading

    if bound:
        memory.bound_free_heap()
    big = bytes(20 << 20)
    del big

    def fill_and_free():
        blocks = [bytes(4096) + bytes([i % 256]) for i in range(10_000)]  # 4 KB each: not mapped one by one
        del blocks

    before = _status_mb("VmRSS")
    thread = threading.Thread(target=fill_and_free)
    thread.start()
    thread.join()
    return _status_mb("VmRSS") - before


def _kept_in_new_python(bound: bool) -> float:
    """``_thread_heap_kept_mb`` in a new Python that newslens did not start."""
    code = f"import test_memory; print(test_memory._thread_heap_kept_mb({bound}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return float(done.stdout)


@GLIBC
def test_the_free_top_of_a_threads_heap_goes_back_in_the_processes_newslens_starts(monkeypatch):
    from newslens.parallel import in_fresh_process

    monkeypatch.delenv(memory.MMAP_THRESHOLD_VARIABLE, raising=False)  # set by newslens, it bounds this too
    # Without the bound the 40 MB stay (the control: else the checks with it would prove nothing on this machine).
    assert _kept_in_new_python(bound=False) > 30
    assert _kept_in_new_python(bound=True) < 10
    assert in_fresh_process(_thread_heap_kept_mb, False) < 10  # a process newslens starts is bound from its start


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mapped_block_count(bound: bool = False) -> tuple[int, int]:
    """glibc's count of blocks served from mappings of their own (``mallinfo2().hblks``) before and while an 8 MB
    block is held, after a 20 MB block was freed (which raises glibc's adjustable mmap threshold to 20 MB); with
    ``bound``, after ``bound_free_heap``. 8 MB: a block that a free chunk of the heap can hold is taken from it
    whatever the threshold (a process that imported pyarrow has free chunks of a few MB)."""
    mallinfo2 = memory._libc_function("mallinfo2")
    mallinfo2.restype = _MallInfo2
    if bound:
        memory.bound_free_heap()
    big = bytes(20 << 20)
    del big
    before = mallinfo2().hblks
    block = bytes(8 << 20)
    during = mallinfo2().hblks
    del block
    return before, during


def _mapped_in_new_python(bound: bool, **env) -> tuple[int, int]:
    code = f"import test_memory; print(*test_memory._mapped_block_count({bound}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env})
    before, during = map(int, done.stdout.split())
    return before, during


@GLIBC
def test_large_blocks_are_mapped_and_given_back_whole_in_the_processes_newslens_starts(monkeypatch):
    from newslens.parallel import in_fresh_process

    if memory._libc_function("mallopt") is None or memory._libc_function("mallinfo2") is None:
        pytest.skip("glibc older than 2.33 has no mallinfo2")
    monkeypatch.delenv(memory.MMAP_THRESHOLD_VARIABLE, raising=False)
    # The control: glibc's own threshold, raised by the 20 MB block, puts the 8 MB block on the heap.
    before, during = _mapped_in_new_python(bound=False)
    assert during == before
    before, during = _mapped_in_new_python(bound=True)
    assert during == before + 1
    before, during = _mapped_in_new_python(bound=False, **{memory.MMAP_THRESHOLD_VARIABLE: "131072"})
    assert during == before + 1  # the variable bounds a process from its start
    before, during = in_fresh_process(_mapped_block_count, False)  # a process newslens starts is bound
    assert during == before + 1
    assert os.environ[memory.MMAP_THRESHOLD_VARIABLE] == "131072"
    monkeypatch.setenv(memory.MMAP_THRESHOLD_VARIABLE, "33554432")  # the user's own choice is kept
    memory.bounded_heap_in_new_processes()
    assert os.environ[memory.MMAP_THRESHOLD_VARIABLE] == "33554432"


def _arrow_allocator() -> str:
    import pyarrow

    return pyarrow.default_memory_pool().backend_name


def test_processes_newslens_starts_allocate_arrow_memory_from_the_c_heap(monkeypatch):
    from newslens.parallel import in_fresh_process

    monkeypatch.delenv(memory.ARROW_POOL_VARIABLE, raising=False)
    # The control: a process started otherwise has Arrow's default allocator, not the C heap.
    plain = subprocess.run([sys.executable, "-c", "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert plain in {"mimalloc", "jemalloc"}
    assert in_fresh_process(_arrow_allocator) == "system"
    monkeypatch.setenv(memory.ARROW_POOL_VARIABLE, "mimalloc")  # the user's own choice is kept
    assert in_fresh_process(_arrow_allocator) == "mimalloc"


def test_arrow_pool_is_asked_to_release_only_when_arrow_is_in_use(monkeypatch):
    import types

    calls = []
    pool = types.SimpleNamespace(release_unused=lambda: calls.append("released"))
    monkeypatch.setitem(sys.modules, "pyarrow", types.SimpleNamespace(default_memory_pool=lambda: pool))
    memory.release_free_memory()
    assert calls == ["released"]
    monkeypatch.delitem(sys.modules, "pyarrow")
    memory.release_free_memory()  # pyarrow not imported: not imported for this
    assert calls == ["released"] and "pyarrow" not in sys.modules


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def test_a_mapped_column_gives_back_what_was_appended_without_holding_it_in_arrows_memory(tmp_path):
    import pyarrow as pa

    column = memory.MappedColumn(tmp_path, pa.large_string())
    column.append(pa.array(["Kyiv", None, "«Женева»"], pa.large_string()))
    column.append(pa.array(["x" * 3_000_000], pa.large_string()))
    before = pa.total_allocated_bytes()
    mapped = column.column()
    assert mapped.to_pylist() == ["Kyiv", None, "«Женева»", "x" * 3_000_000]
    assert mapped.num_chunks == 2 and mapped.type == pa.large_string()
    # 3 MB of text, none of it allocated by Arrow: it is read from the file.
    assert pa.total_allocated_bytes() - before < 100_000
    assert list(tmp_path.iterdir()) == []  # the file has no name: nothing to clean up


def test_a_column_without_a_folder_is_kept_in_memory_and_an_empty_one_works():
    import pyarrow as pa

    column = memory.MappedColumn(None, pa.large_string())
    column.append(pa.array(["a", "b"], pa.large_string()))
    assert column.column().to_pylist() == ["a", "b"]
    assert memory.MappedColumn(None, pa.int64()).column().to_pylist() == []


@pytest.mark.skipif(platform.system() != "Linux", reason="reads the process's memory from /proc")
def test_a_named_mapped_table_is_read_back_mapped_and_its_pages_leave_on_release(tmp_path):
    import pyarrow as pa

    path = tmp_path / "rows.arrow"
    table = memory.MappedTable(None, path=path)  # named: written to the file even without a folder
    table.append(pa.table({"n": [1, 2], "s": ["a", "b"]}))
    table.append(pa.table({"n": [3], "s": ["y" * 32_000_000]}))
    assert table.table().num_rows == 3 and path.exists()
    read = memory.read_mapped_table(path)  # as another process reads it
    memory.release_free_memory()
    mapped_before = _status_mb("RssFile")
    assert read.column("n").to_pylist() == [1, 2, 3]
    assert read.column("s").to_pylist() == ["a", "b", "y" * 32_000_000]  # reads every page
    assert _status_mb("RssFile") - mapped_before > 24
    memory.release_free_memory()
    assert _status_mb("RssFile") - mapped_before < 8


def test_an_empty_mapped_column_is_empty(tmp_path):
    import pyarrow as pa

    assert memory.MappedColumn(tmp_path, pa.large_string()).column().to_pylist() == []


@pytest.mark.skipif(platform.system() != "Linux", reason="reads the process's memory from /proc")
def test_pages_read_from_a_mapped_column_leave_the_process_on_release(tmp_path):
    import gc

    import pyarrow as pa

    column = memory.MappedColumn(tmp_path, pa.large_string())
    for _ in range(8):
        column.append(pa.array(["y" * 1_000_000] * 8, pa.large_string()))  # 8 MB a chunk, 64 MB in all
    mapped = column.column()
    memory.release_free_memory()
    mapped_before = _status_mb("RssFile")
    assert sum(len(text) for text in mapped.to_pylist()) == 64_000_000  # reads every page
    assert _status_mb("RssFile") - mapped_before > 48
    memory.release_free_memory()
    assert _status_mb("RssFile") - mapped_before < 16
    assert sum(len(text) for text in mapped.to_pylist()) == 64_000_000  # read again from the file
    gc.collect()  # mappings of earlier tests' columns that only the garbage collector frees
    count = len(memory._MAPPINGS)
    del mapped
    gc.collect()
    assert len(memory._MAPPINGS) == count - 1  # the mapping went with the last array over it


def test_dropping_gives_the_items_in_order_and_drops_mapped_pages_every_few_and_at_the_end(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "drop_mapped_pages", lambda: calls.append("drop"))
    seen = []
    for item in memory.dropping(["a", "b", "c", "d", "e"], every=2):
        seen.append((item, len(calls)))
    # dropped after b and d (before the next item is given), and once more at the end
    assert seen == [("a", 0), ("b", 0), ("c", 1), ("d", 1), ("e", 2)] and len(calls) == 3


def test_a_mapped_empty_array_keeps_what_is_written_when_its_pages_are_dropped(tmp_path):
    import numpy as np

    array = memory.mapped_empty(3_000_000, np.int32, tmp_path)  # 12 MB
    assert array.shape == (3_000_000,) and array.dtype == np.int32 and not array.any()
    array[::1000] = np.arange(3_000, dtype=np.int32)
    array[-1] = -7
    memory.drop_mapped_pages()  # the pages leave the process; what was written stays in the file
    assert array[::1000].tolist() == list(range(3_000)) and array[-1] == -7 and int(array.sum()) == 4_498_500 - 7
    assert list(tmp_path.iterdir()) == []
    in_memory = memory.mapped_empty(4, np.int64, None)
    assert in_memory.shape == (4,) and in_memory.dtype == np.int64


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_a_mapped_array_gives_back_its_chunks_in_order_as_one_array(tmp_path, on_disk):
    import numpy as np

    array = memory.MappedArray(tmp_path if on_disk else None, np.int32)
    array.append(np.array([5, -1], dtype=np.int64))  # cast to the array's dtype
    array.append(np.zeros(0, dtype=np.int32))
    array.append(np.arange(3, dtype=np.int32))
    joined = array.array()
    assert joined.dtype == np.int32 and joined.tolist() == [5, -1, 0, 1, 2]
    memory.drop_mapped_pages()
    assert joined.tolist() == [5, -1, 0, 1, 2]  # the values stay in the file
    assert list(tmp_path.iterdir()) == []  # the file has no name
    assert memory.MappedArray(tmp_path if on_disk else None, np.int64).array().tolist() == []
