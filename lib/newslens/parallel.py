"""Run a function over chunks of work: in this process, in local worker processes, or on a Dask cluster.

Public surface:
    map_chunks(function, chunks, jobs=None, scheduler=None, progress=False, label="", unit="item") -> list
    default_jobs(jobs=None) -> int                 0 or None: every core of this machine
    default_scheduler() -> str                     $NEWSLENS_SCHEDULER, else $DASK_SCHEDULER_ADDRESS, else ""
    check_scheduler(address)                       raises SchedulerError when the scheduler cannot be reached, has
                                                   no workers, or its workers run other newslens code or models;
                                                   SchedulerWarning when it keeps copies of its messages
    installed_fingerprint() -> str                 what the check compares
    chunked(items, size) -> list[list]             consecutive pieces of ``size`` items
    kept_workers(any_work=False)                   a block within which local workers are started once and reused
    workers_take_any_work(jobs) -> bool            whether, in such a block, work of any size goes to them
    in_fresh_process(function, *args)              function(*args) in a new process that ends with it
    SchedulerError, SchedulerWarning

This is the one place where newslens runs work in parallel. The callers (entities, attributions, tone scores) cut
their work into chunks, each a list whose result does not depend on the other chunks, and pass a module-level
function (so that it can be pickled by reference). What a worker loads once (the spaCy pipeline, the encoder) is
kept in a module-level ``functools.lru_cache``, which serves local pool workers and Dask workers alike.

Backends, in order:
* a Dask cluster (``dask.distributed.Client``) when a scheduler address is given, or named by the environment
  (the batch runner's ``--scheduler`` sets ``$NEWSLENS_SCHEDULER``, so no report shows the address); it is used
  whatever the amount of work, and whatever ``jobs`` says. Dask reruns the chunks of a worker that dies. The
  workers connected when the work starts must run the same newslens code and models as this process. Only a few
  chunks per worker thread are on the cluster at a time (``CHUNKS_PER_THREAD``), each result taken as it is done.
* a pool of ``jobs`` local processes, started with "spawn" (a forked copy of a process that runs onnxruntime's
  threads can hang);
* this process, when ``jobs`` is 1 or there is a single chunk.

The result is the list of ``function(chunk)`` in the order of ``chunks``, whatever the backend and the number of
workers, so the tables built from it are the same bytes.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import os
import threading
import time
import warnings
from concurrent.futures import Future
from typing import Callable, Sequence

SCHEDULER_ENV = "NEWSLENS_SCHEDULER"
DASK_SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# How long to try to reach a scheduler before giving up (Dask's own default is 30 s).
CONNECT_SECONDS = 10.0


# The pools of the current ``kept_workers`` block, by number of workers; None outside any block.
_KEPT_POOLS: dict | None = None
# Whether the current block sends work of any size to its workers (``kept_workers(any_work=True)``).
_ANY_WORK = False


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached; the message names its address and the problem."""


def default_jobs(jobs: int | None = None) -> int:
    """Worker processes to use: ``jobs``, or every core of this machine for 0 or None."""
    return max(1, int(jobs)) if jobs else os.cpu_count() or 1


def default_scheduler() -> str:
    """The Dask scheduler address from ``$NEWSLENS_SCHEDULER``, else ``$DASK_SCHEDULER_ADDRESS``; "" for none."""
    return (os.environ.get(SCHEDULER_ENV, "").strip() or os.environ.get(DASK_SCHEDULER_ENV, "").strip())


def chunked(items: Sequence, size: int) -> list[list]:
    """``items`` cut into consecutive lists of ``size`` (the last one shorter)."""
    return [list(items[first:first + size]) for first in range(0, len(items), size)]


def map_chunks(function: Callable, chunks: Sequence[Sequence], jobs: int | None = None,
               scheduler: str | None = None, progress: bool = False, label: str = "", unit: str = "item") -> list:
    """``[function(chunk) for chunk in chunks]``, computed in parallel where asked.

    Parameters
    ----------
    function : callable
        A module-level function (or a ``functools.partial`` of one) of one chunk; its result must depend on that
        chunk only.
    chunks : sequence of sequences
        The work; ``len(chunk)`` items each (for the progress bar).
    jobs : int, optional
        Local worker processes; 0 or None: every core (``default_jobs``); 1: this process. Fewer chunks than
        workers run in this process, unless a ``kept_workers`` block has the workers running already.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:8786``); None: ``default_scheduler()``; "": none.
    progress : bool
        Show a progress bar (tqdm): items done, rate, time left.
    label, unit : str
        The bar's description and the name of an item ("sentence").

    Returns
    -------
    list, one result per chunk, in order.

    Raises
    ------
    SchedulerError
        When the scheduler cannot be reached, or its workers run other newslens code or models.
    """
    chunks = list(chunks)
    if not chunks:
        return []
    address = default_scheduler() if scheduler is None else scheduler.strip()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(map(len, chunks)), desc=label or None, unit=unit)
    try:
        if address:
            return _on_cluster(function, chunks, address, bar)
        if workers_take_any_work(jobs):  # even one chunk goes to them, and nothing is loaded here
            return _in_pool(function, chunks, default_jobs(jobs), bar)
        workers = min(default_jobs(jobs), len(chunks))
        if workers > 1:
            return _in_pool(function, chunks, workers, bar)
        results = []
        for chunk in chunks:
            results.append(function(chunk))
            _advance(bar, chunk)
        return results
    finally:
        if bar is not None:
            bar.close()


def _advance(bar, chunk: Sequence) -> None:
    if bar is not None:
        bar.update(len(chunk))


def _gather(futures: list, chunks: list, completed, bar) -> list:
    """The futures' results in order, advancing the bar as each finishes (``completed``: their completion order)."""
    chunk_of = {id(future): chunk for future, chunk in zip(futures, chunks)}
    for future in completed:
        future.result()  # the first failure is raised at once
        _advance(bar, chunk_of[id(future)])
    return [future.result() for future in futures]


@contextlib.contextmanager
def kept_workers(any_work: bool = False):
    """Within this block, the local worker processes of ``map_chunks`` are started once and reused by every call.

    A caller that parses a corpus chunk by chunk (to cache each chunk as soon as it is done) would otherwise start
    new workers for each chunk, and each would load the model again (two to three seconds for spaCy). The workers
    stop at the end of the block (of the outermost one, when blocks are nested). Results are the same either way.

    Parameters
    ----------
    any_work : bool
        Work of any size goes to the workers (started at the first work), not only once they run
        (``workers_take_any_work``): for a process of its own that should hold its data and no model, such as a
        part of a large corpus's tone. Only the outermost block's value counts.
    """
    global _KEPT_POOLS, _ANY_WORK
    if _KEPT_POOLS is not None:
        yield
        return
    _KEPT_POOLS, _ANY_WORK = {}, any_work
    try:
        yield
    finally:
        pools, _KEPT_POOLS, _ANY_WORK = _KEPT_POOLS, None, False
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)


def in_fresh_process(function: Callable, *args):
    """``function(*args)`` in a new process (spawned) that ends when it returns; the result comes back pickled.

    For a large step whose memory should not stay behind: the heap it breaks up (freed, yet not given back to the
    system) goes with the process. The function may use ``map_chunks`` and ``kept_workers`` itself.
    """
    from newslens.memory import release_free_memory

    pool = _new_pool(1)
    try:
        future = pool.submit(function, *args)
        while True:
            try:
                return future.result(timeout=RELEASE_SECONDS)
            except TimeoutError:  # what result() raises (concurrent.futures.TimeoutError is it since Python 3.11)
                # The pool's threads pickled the arguments: what that freed stays in their malloc arenas (and what
                # the caller freed just before, in its heap) unless given back while the function runs, for
                # minutes (notebook 03's kernel at 100,000 articles held 90 MB more while the events were found).
                release_free_memory()
    except BaseException:
        # Stopped here (an interrupted kernel) or failed there: the process is ended now, not when it has finished
        # its work, which can take minutes.
        for process in list(pool._processes.values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def workers_take_any_work(jobs: int | None) -> bool:
    """Whether work of any size goes to the worker processes of ``jobs`` (more than one): a ``kept_workers`` block
    has them running already, so that they cost nothing to start, or was opened with ``any_work``."""
    return _KEPT_POOLS is not None and default_jobs(jobs) > 1 and (_ANY_WORK or default_jobs(jobs) in _KEPT_POOLS)


def _new_pool(workers: int):
    import concurrent.futures
    import multiprocessing

    from newslens.memory import bounded_heap_in_new_processes

    bounded_heap_in_new_processes()
    # spawn, not fork: a forked copy of a process that already runs onnxruntime's threads can hang.
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_worker_started, initargs=(os.getpid(),))


def _worker_started(parent: int) -> None:
    """In every process a pool starts: freed heap given back (``memory.bound_free_heap``), and the process ended
    when ``parent`` is (a kernel killed rather than interrupted left its processes to finish their work, for
    minutes, with nobody to take it)."""
    from newslens.memory import bound_free_heap

    bound_free_heap()
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


PARENT_CHECK_SECONDS = 1.0
# While ``in_fresh_process`` waits, this process gives back its free memory this often.
RELEASE_SECONDS = 5.0


def _in_pool(function: Callable, chunks: list, workers: int, bar) -> list:
    if _KEPT_POOLS is None:
        with _new_pool(workers) as pool:
            return _submitted(pool, function, chunks, bar)
    if workers not in _KEPT_POOLS:
        _KEPT_POOLS[workers] = _new_pool(workers)
    return _submitted(_KEPT_POOLS[workers], function, chunks, bar)


def _submitted(pool, function: Callable, chunks: list, bar) -> list:
    import concurrent.futures

    futures: list[Future] = [pool.submit(function, chunk) for chunk in chunks]
    try:
        return _gather(futures, chunks, concurrent.futures.as_completed(futures), bar)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _connect(address: str):
    from dask.distributed import Client

    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        problem = " ".join(str(error).split()) or type(error).__name__
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: {problem}") from None


@functools.lru_cache(maxsize=1)
def installed_fingerprint() -> str:
    """The newslens code and shipped data (``newslens.cache.code_version``) and the spaCy model's fingerprint of
    this process: what a worker's results depend on besides its chunk."""
    from newslens.cache import code_version
    from newslens.nlp import model_fingerprint

    return f"{code_version()}|{model_fingerprint()}"


def _check_workers(client, address: str) -> None:
    """Every worker runs the newslens code and models of this process, or its results could differ."""
    mine = installed_fingerprint()
    others = sorted(worker for worker, theirs in client.run(installed_fingerprint).items() if theirs != mine)
    if others:
        raise SchedulerError(f"the Dask workers of {address!r} at {', '.join(others)} run other newslens code or "
                             f"models than this machine: install the same newslens on every machine")


def check_scheduler(address: str) -> None:
    """Connect to the Dask scheduler at ``address``, check that it has workers and that they run this process's
    newslens, and disconnect; ``SchedulerError`` if not. A ``SchedulerWarning`` when the scheduler keeps copies of
    its recent messages to the workers (``distributed.admin.low-level-log-length`` above 0)."""
    with _connect(address) as client:
        if not client.scheduler_info().get("workers"):
            raise SchedulerError(f"the Dask scheduler at {address!r} has no workers: start some with "
                                 f"`dask worker {address}`")
        _check_workers(client, address)
        kept = client.run_on_scheduler(_kept_messages)
    if kept:
        warnings.warn(f"the Dask scheduler at {address!r} keeps a copy of each of its last {kept:,} messages under "
                      f"1 MB to each worker (distributed.admin.low-level-log-length), i.e. of the text sent to it: "
                      f"up to {kept:,} MB per worker. Start it with DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH=0",
                      SchedulerWarning, stacklevel=2)


class SchedulerWarning(UserWarning):
    """A Dask scheduler that works, set up to take more memory than the work needs."""


def _kept_messages() -> int:
    """Run in the scheduler: how many recent messages to each worker its ``BatchedSend`` keeps (a debugging log of
    distributed; measured on 100,000 articles, the copies of the chunks of text took the scheduler to 1.4 GB)."""
    import dask

    return int(dask.config.get("distributed.admin.low-level-log-length", 0) or 0)


# Chunks on the cluster at a time, per worker thread: each is sent with its task and held by the scheduler until
# done, and each result is held by its worker until taken, so a corpus's chunks submitted at once all wait in the
# scheduler's memory. Two per thread keep every worker busy while the next chunk travels.
CHUNKS_PER_THREAD = 2


def _on_cluster(function: Callable, chunks: list, address: str, bar) -> list:
    """The results of ``function`` over ``chunks`` on the cluster, in order, with at most ``CHUNKS_PER_THREAD``
    chunks per worker thread submitted and not yet taken back; a result is taken (and released on its worker) as
    soon as it is done."""
    from dask.distributed import as_completed

    with _connect(address) as client:
        _check_workers(client, address)
        window = CHUNKS_PER_THREAD * max(1, sum(client.nthreads().values()))
        results: list = [None] * len(chunks)
        position: dict[str, int] = {}

        def submit(number: int):
            # pure=False: no hashing of the chunk into the task key (each call is its own work).
            future = client.submit(function, chunks[number], pure=False)
            position[future.key] = number
            return future

        waiting = iter(range(len(chunks)))
        completed = as_completed([submit(number) for number in itertools.islice(waiting, window)], loop=client.loop)
        for future in completed:
            number = position.pop(future.key)
            results[number] = future.result()  # the first failure is raised at once
            future.release()
            _advance(bar, chunks[number])
            following = next(waiting, None)
            if following is not None:
                completed.add(submit(following))
        return results
