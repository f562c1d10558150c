import platform

import pytest

from newslens import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_heap_memory_is_given_back_with_glibc_malloc_trim():
    assert memory._malloc_trim() is not None  # found, so the notebooks' kernels do give memory back
    memory.release_free_memory()  # and calling it is harmless


def test_arrow_pool_is_asked_to_release_only_when_arrow_is_in_use(monkeypatch):
    import sys
    import types

    calls = []
    pool = types.SimpleNamespace(release_unused=lambda: calls.append("released"))
    monkeypatch.setitem(sys.modules, "pyarrow", types.SimpleNamespace(default_memory_pool=lambda: pool))
    memory.release_free_memory()
    assert calls == ["released"]
    monkeypatch.delitem(sys.modules, "pyarrow")
    memory.release_free_memory()  # pyarrow not imported: not imported for this
    assert calls == ["released"] and "pyarrow" not in sys.modules


def test_garbage_in_reference_cycles_is_collected_without_warnings():
    import gc
    import warnings
    import weakref

    class Holder:
        def __del__(self):
            warnings.warn("finalised elsewhere", ResourceWarning)

    gc.disable()  # so that only release_free_memory can collect the cycle
    try:
        first, second = Holder(), Holder()
        first.other, second.other = second, first  # a cycle: reference counting alone never frees it
        alive = weakref.ref(first)
        del first, second
        assert alive() is not None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            memory.release_free_memory()
        assert alive() is None
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    finally:
        gc.enable()
