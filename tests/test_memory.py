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
