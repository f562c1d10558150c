import platform

import pytest

from newslens import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_heap_memory_is_given_back_with_glibc_malloc_trim():
    assert memory._malloc_trim() is not None  # found, so the notebooks' kernels do give memory back
    memory.release_free_memory()  # and calling it is harmless
