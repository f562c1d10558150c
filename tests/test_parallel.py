"""newslens.parallel: the same results in this process, in local processes and on a Dask cluster, and clear errors.

One two-worker ``LocalCluster`` serves the whole module. The functions mapped are module-level, as the library's
are: a worker process imports them by name.
"""
import os
import signal
import socket
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from conftest import FIXTURES, SEEDS
from newslens import actors as act
from newslens import nlp, parallel, portrayal
from newslens.parallel import SchedulerError, chunked, default_jobs, default_scheduler, map_chunks
from newslens.plots import write_table
from newslens.runner import main
from parallel_tasks import pause_then_sum, slow_sum, sums_and_pid

MINI_CORPUS = FIXTURES / "mini_corpus"


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as local:
        yield local


@pytest.fixture
def no_scheduler(monkeypatch):
    """No scheduler from the environment (monkeypatch puts back whatever a test or the runner sets)."""
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "")
    monkeypatch.setenv(parallel.DASK_SCHEDULER_ENV, "")


def free_address() -> str:
    """A local address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


# ----------------------------------------------------------------------------------------------------------------
# map_chunks on a trivial function


def test_default_jobs_and_scheduler(monkeypatch, no_scheduler):
    assert default_jobs(0) == default_jobs(None) == os.cpu_count()
    assert default_jobs(3) == 3 and default_jobs(1) == 1
    assert default_scheduler() == ""
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://dask-host:8786")
    assert default_scheduler() == "tcp://dask-host:8786"
    monkeypatch.setenv("NEWSLENS_SCHEDULER", "tcp://newslens-host:8786")  # newslens's own variable wins
    assert default_scheduler() == "tcp://newslens-host:8786"


def test_chunked():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []


CHUNKS = [[3, 1], [0, 2], [1, 1, 1]]
SUMS = [4, 2, 3]


def test_in_process(no_scheduler, capsys):
    results = map_chunks(pause_then_sum, CHUNKS, jobs=1, progress=True, label="sums", unit="number")
    assert results == [(4, os.getpid()), (2, os.getpid()), (3, os.getpid())]
    err = capsys.readouterr().err
    assert "sums" in err and "7/7" in err  # the bar counts items: 2 + 2 + 3
    assert map_chunks(pause_then_sum, [], jobs=2) == []


def test_local_processes_keep_the_order(no_scheduler, capsys):
    results = map_chunks(pause_then_sum, CHUNKS, jobs=2, progress=True, label="sums", unit="number")
    assert [total for total, _ in results] == SUMS  # the first chunk finished last
    workers = {pid for _, pid in results}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    assert "7/7" in capsys.readouterr().err


def test_kept_workers_serve_every_call_of_the_block(no_scheduler):
    assert not parallel.workers_take_any_work(2)
    with parallel.kept_workers():
        assert not parallel.workers_take_any_work(2)  # none started yet
        first = map_chunks(pause_then_sum, CHUNKS, jobs=2)
        assert parallel.workers_take_any_work(2)
        assert not parallel.workers_take_any_work(1) and not parallel.workers_take_any_work(3)
        assert nlp.parse_jobs(2, ["A short sentence."]) == 2  # running workers take even a little text
        pool = parallel._KEPT_POOLS[2]
        with parallel.kept_workers():  # a nested block keeps the outer block's workers
            second = map_chunks(pause_then_sum, CHUNKS, jobs=2)
        assert parallel._KEPT_POOLS == {2: pool}
        started = set(pool._processes)  # the pool's worker processes, by pid
    assert [total for total, _ in first] == [total for total, _ in second] == SUMS
    assert {pid for _, pid in first + second} <= started and len(started) <= 2 and os.getpid() not in started
    assert parallel._KEPT_POOLS is None and not parallel.workers_take_any_work(2)  # stopped at the end of the block
    assert nlp.parse_jobs(2, ["A short sentence."]) == 1  # not worth starting workers for
    third = map_chunks(pause_then_sum, CHUNKS, jobs=2)
    assert not started & {pid for _, pid in third}  # outside a block, new workers


def test_a_block_for_any_work_sends_even_one_small_chunk_to_the_workers(no_scheduler):
    with parallel.kept_workers(any_work=True):
        assert parallel._KEPT_POOLS == {}  # none started yet, and yet work of any size goes to them
        assert parallel.workers_take_any_work(2) and not parallel.workers_take_any_work(1)
        assert nlp.parse_jobs(2, ["A short sentence."]) == 2
        [(total, worker)] = map_chunks(pause_then_sum, [[1, 2]], jobs=2)
        with parallel.kept_workers():  # a nested block keeps the outer block's choice
            assert parallel.workers_take_any_work(3)
        started = set(parallel._KEPT_POOLS[2]._processes)
    assert total == 3 and worker in started and worker != os.getpid()
    assert not parallel.workers_take_any_work(2)  # the block's choice ends with it
    with parallel.kept_workers():
        assert not parallel.workers_take_any_work(2)


def test_a_fresh_process_runs_the_function_and_ends(no_scheduler):
    # The function may start workers of its own (the tone of a part scores in them): here, two.
    results, child = parallel.in_fresh_process(sums_and_pid, CHUNKS)
    assert [total for total, _ in results] == SUMS
    workers = {pid for _, pid in results}
    assert child != os.getpid() and child not in workers and os.getpid() not in workers
    with pytest.raises(ValueError, match="invalid literal"):  # the function's error, raised here
        parallel.in_fresh_process(int, "seven")
    assert not parallel.workers_take_any_work(2)  # nothing left running in this process


def test_while_a_fresh_process_runs_this_one_gives_back_its_free_memory(no_scheduler, monkeypatch):
    from newslens import memory

    released = []
    monkeypatch.setattr(parallel, "RELEASE_SECONDS", 0.2)
    monkeypatch.setattr(memory, "release_free_memory", lambda: released.append(time.monotonic()))
    started = time.monotonic()
    assert parallel.in_fresh_process(time.sleep, 3) is None  # spawning takes a second or two more
    assert len(released) >= 5 and all(t > started for t in released)  # 3 s at one every 0.2 s: about 15


def test_an_interrupted_fresh_process_is_ended_at_once(no_scheduler):
    import multiprocessing

    threading.Timer(2, os.kill, (os.getpid(), signal.SIGINT)).start()  # as Jupyter's "interrupt the kernel" does
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        parallel.in_fresh_process(time.sleep, 120)
    assert time.perf_counter() - started < 30  # not after the two minutes of its work
    assert not multiprocessing.active_children()  # and the process is gone


def test_a_fresh_process_ends_when_the_process_that_started_it_is_killed(no_scheduler):
    import subprocess
    import sys

    import psutil

    # A kernel killed (not interrupted) while a large step runs in a process of its own.
    script = "import time\nfrom newslens import parallel\nparallel.in_fresh_process(time.sleep, 120)\n"
    starter = subprocess.Popen([sys.executable, "-c", script])
    deadline, workers = time.monotonic() + 60, []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = [child for child in psutil.Process(starter.pid).children()
                   if "spawn_main" in " ".join(child.cmdline())]
    assert workers, "the process was not started"
    starter.kill()
    starter.wait()
    _, alive = psutil.wait_procs(workers, timeout=15)  # checked every PARENT_CHECK_SECONDS, not after 120 s
    for process in alive:
        process.kill()
    assert not alive


def test_a_small_tone_batch_goes_to_running_workers(no_scheduler, monkeypatch):
    from newslens import sentiment

    items = [("Putin met Zelensky in Geneva on Monday.", 0, 5), ("Kallas praised Ukraine.", 15, 22)]
    assert len(items) < sentiment.PARALLEL_MIN_SENTENCES["model"]
    with parallel.kept_workers():
        map_chunks(pause_then_sum, CHUNKS, jobs=2)  # the workers run
        with monkeypatch.context() as patched:
            _refuse_local_models(patched)  # scoring here would load the encoder in this process: refused
            in_workers = sentiment.score_targets(items, method="model", jobs=2)
    pd.testing.assert_frame_equal(in_workers, sentiment.score_targets(items, method="model"))


def test_dask_cluster_keeps_the_order(cluster, no_scheduler, monkeypatch, capsys):
    from dask.distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        worker_pids = set(client.run(os.getpid).values())
    results = map_chunks(pause_then_sum, CHUNKS, scheduler=cluster.scheduler_address, progress=True, label="sums")
    assert [total for total, _ in results] == SUMS
    assert {pid for _, pid in results} <= worker_pids and os.getpid() not in worker_pids
    assert "7/7" in capsys.readouterr().err
    # From the environment, as the runner passes it; jobs=1 does not keep the work in this process.
    monkeypatch.setenv("NEWSLENS_SCHEDULER", cluster.scheduler_address)
    results = map_chunks(pause_then_sum, CHUNKS, jobs=1)
    assert [total for total, _ in results] == SUMS and {pid for _, pid in results} <= worker_pids


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 1.0)
    address = free_address()
    with pytest.raises(SchedulerError, match=f"cannot reach the Dask scheduler at '{address}': .*{address}"):
        map_chunks(pause_then_sum, CHUNKS, scheduler=address)
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at 'no-port': .*port"):
        map_chunks(pause_then_sum, CHUNKS, scheduler="no-port")


def test_workers_with_other_newslens_are_refused(cluster, monkeypatch):
    # This process pretends to run other code: the workers' fingerprints (computed by them) differ from its own.
    from newslens import cache

    monkeypatch.setattr(cache, "code_version", lambda: "other code")
    parallel.installed_fingerprint.cache_clear()
    try:
        with pytest.raises(SchedulerError, match=f"the Dask workers of '{cluster.scheduler_address}' at tcp://.*, "
                                                 "tcp://.* run other newslens code or models than this machine"):
            map_chunks(pause_then_sum, CHUNKS, scheduler=cluster.scheduler_address)
    finally:
        parallel.installed_fingerprint.cache_clear()


def test_a_scheduler_without_workers_is_refused():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as empty:
        with pytest.raises(SchedulerError, match=f"the Dask scheduler at '{empty.scheduler_address}' has no "
                                                 f"workers: start some with `dask worker {empty.scheduler_address}`"):
            parallel.check_scheduler(empty.scheduler_address)


def test_a_scheduler_keeping_copies_of_its_messages_is_named(cluster):
    import warnings

    import dask

    # distributed's default: the last 1,000 messages under 1 MB to each worker (the chunks of text sent to it).
    with pytest.warns(parallel.SchedulerWarning, match="keeps a copy of each of its last 1,000 messages .* up to "
                                                       "1,000 MB per worker. Start it with "
                                                       "DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH=0"):
        parallel.check_scheduler(cluster.scheduler_address)
    # The scheduler of this LocalCluster runs in this process, so it reads this configuration.
    with dask.config.set({"distributed.admin.low-level-log-length": 0}), warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel.check_scheduler(cluster.scheduler_address)


def test_runner_refuses_an_unreachable_scheduler(tmp_path, monkeypatch, no_scheduler, capsys):
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 1.0)
    address = free_address()
    out = tmp_path / "out"
    assert main(["run", "00_corpus", "--corpus", str(SEEDS), "--out", str(out), "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach the Dask scheduler at '{address}': ") and err.count("\n") == 1, err
    assert "Traceback" not in err and not (out / "00_corpus").exists()


# ----------------------------------------------------------------------------------------------------------------
# Notebook 02's tables on the cluster


def _tables(documents: pd.DataFrame, corpus: Path) -> dict[str, pd.DataFrame]:
    """Notebook 02's document-level tables: actors, mentions, quotes, unknown names, and the tone by two methods."""
    tables = act.actor_tables(documents, corpus)
    scored, summary, by_document = portrayal.actor_tone(documents, tables.mentions, tables.quotes,
                                                        tables.setup.registry, ("model", "vader"), n_boot=200)
    return {"discovered": tables.setup.table, "mentions": tables.mentions.whole(), "quotes": tables.quotes.whole(),
            "unknown": tables.unknown, "scored": scored.whole(), "summary": summary, "by_document": by_document.whole()}


def _refuse_local_models(monkeypatch):
    """Parsing or scoring in this process fails: on the cluster, all of it must run on the workers."""
    from newslens import encoder, nlp

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded in the calling process")

    monkeypatch.setattr(nlp, "load_pipeline", refuse)
    monkeypatch.setattr(encoder, "load_encoder", refuse)


@pytest.mark.parametrize("corpus, least", [(SEEDS, 10), (MINI_CORPUS, 1)], ids=["seeds", "fixture"])
def test_notebook_tables_are_the_same_bytes_on_the_cluster(corpus, least, cluster, tmp_path, monkeypatch,
                                                            no_scheduler):
    import newslens

    documents = newslens.load_corpus(corpus).documents
    alone = _tables(documents, corpus)
    with monkeypatch.context() as patched:
        patched.setenv("NEWSLENS_SCHEDULER", cluster.scheduler_address)
        _refuse_local_models(patched)
        distributed = _tables(documents, corpus)
    assert len(alone["mentions"]) >= least and len(alone["scored"]) >= least
    for name, table in alone.items():
        pd.testing.assert_frame_equal(distributed[name], table, check_exact=True)
        assert (write_table(distributed[name], name, tmp_path / "cluster").read_bytes()
                == write_table(table, name, tmp_path / "alone").read_bytes()), name


def test_the_scheduler_reaches_the_kernels(cluster, tmp_path, monkeypatch, no_scheduler):
    # A notebook that maps a sum on whatever scheduler its environment names, as notebook 02's library calls do.
    notebook = tmp_path / "99_scheduler.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python (newslens)", "language": "python", "name": "newslens"}
    parameters = nbformat.v4.new_code_cell('corpus: str = ""\noutput_dir: str = "."')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(
        "import os\nfrom newslens.parallel import default_scheduler, map_chunks\n"
        "print(map_chunks(sum, [[1, 2], [3]], jobs=1), default_scheduler() == os.environ['EXPECTED'])")]
    nbformat.write(nb, notebook)
    monkeypatch.setenv("EXPECTED", cluster.scheduler_address)
    out = tmp_path / "out"
    assert main(["run", str(notebook), "--corpus", str(MINI_CORPUS), "--out", str(out), "--cache", "",
                 "--scheduler", cluster.scheduler_address]) == 0
    executed = nbformat.read(out / "99_scheduler" / "99_scheduler.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "[3, 3] True\n"
    assert cluster.scheduler_address not in (out / "99_scheduler" / "99_scheduler.html").read_text(encoding="utf-8")


def _tasks_on_scheduler(dask_scheduler) -> int:
    return len(dask_scheduler.tasks)


def test_the_cluster_holds_a_few_chunks_at_a_time(cluster, no_scheduler):
    """Two single-threaded workers: at most 2 x 2 chunks submitted and not yet taken back, whatever their number
    (a corpus's chunks, all submitted at once, all waited in the scheduler's memory)."""
    from dask.distributed import Client

    chunks = [[i, i + 1] for i in range(0, 24, 2)]  # 12 chunks
    expected = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45]
    result, seen = {}, []
    with Client(cluster.scheduler_address, set_as_default=False) as watcher:
        run = threading.Thread(target=lambda: result.update(
            sums=map_chunks(slow_sum, chunks, scheduler=cluster.scheduler_address)))
        run.start()
        while run.is_alive():
            seen.append(watcher.run_on_scheduler(_tasks_on_scheduler))
            time.sleep(0.05)
        run.join()
    assert result["sums"] == expected
    assert 0 < max(seen) <= 4, seen


def test_a_worker_killed_mid_run_changes_nothing(cluster, no_scheduler):
    from dask.distributed import Client

    chunks = [[i, i + 1] for i in range(0, 16, 2)]
    expected = [1, 5, 9, 13, 17, 21, 25, 29]
    result = {}
    with Client(cluster.scheduler_address, set_as_default=False) as watcher:
        pids = watcher.run(os.getpid)  # worker address -> process id
        run = threading.Thread(target=lambda: result.update(
            sums=map_chunks(slow_sum, chunks, scheduler=cluster.scheduler_address)))
        run.start()
        busy = {}
        for _ in range(300):  # a worker is running a chunk (at most 30 s)
            busy = {worker: keys for worker, keys in watcher.processing().items() if keys}
            if busy:
                break
            time.sleep(0.1)
        assert busy, "no chunk started on the cluster"
        victim = pids[next(iter(busy))]
        os.kill(victim, signal.SIGKILL)
        run.join(timeout=120)
        assert not run.is_alive()
        watcher.wait_for_workers(2, timeout=60)  # the nanny starts a new process in its place
        assert victim not in watcher.run(os.getpid).values()
    assert result["sums"] == expected
