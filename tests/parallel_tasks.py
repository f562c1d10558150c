"""Trivial module-level functions for tests/test_parallel.py, in a module of their own that imports only the
standard library: a worker process (local or Dask) imports them by name, quickly."""
import os
import time


def pause_then_sum(chunk):
    """The sum of a chunk and the process that computed it, after a pause of chunk[0] tenths of a second (so the
    first chunk of the tests finishes last)."""
    time.sleep(chunk[0] / 10)
    return sum(chunk), os.getpid()


def slow_sum(chunk):
    time.sleep(0.5)
    return sum(chunk)


def sums_and_pid(chunks):
    """The sums of ``chunks`` in two worker processes of this one, and this process's id."""
    from newslens.parallel import map_chunks

    return map_chunks(pause_then_sum, chunks, jobs=2), os.getpid()
