"""Notebook 02's document-level work on real news in one process, in local worker processes and on a two-worker
Dask ``LocalCluster``: wall time, whether the tables are identical, and the memory of a Dask worker.

    python benchmarks/bench_parallel.py [--articles 200] [--jobs 2]

The articles are PolNeAR's dev split (84) and then its training split, in file-name order (never the test split),
copied once into .bench/polnear_<articles>/ (git-ignored) and loaded with ``newslens.load_corpus``. The work is what
notebook 02 asks of the library, with no cache: ``actors.actor_tables`` (entities, discovery, mentions,
attributions, quotes) and ``portrayal.actor_tone`` with the encoder and VADER (``n_boot`` 200: the bootstrap runs in
the calling process in every configuration). Each configuration includes its model loads (in this process, in each
pool worker, in each Dask worker), with the shipped thresholds below which work stays in this process.

Worker memory is the resident set of each Dask worker process, just started and then after the run (spaCy's
recogniser and parser pipelines and the encoder loaded), and its peak. Skips (exit 0) when ../shared is absent.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLNEAR = ROOT.parent / "shared" / "data" / "polnear"


def corpus_folder(articles: int) -> Path:
    folder = ROOT / ".bench" / f"polnear_{articles}"
    if not folder.is_dir():
        paths = [p for split in ("dev", "train") for p in sorted((POLNEAR / split / "text").glob("*.txt"))]
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for path in paths[:articles]:
            shutil.copyfile(path, staging / path.name)
        staging.rename(folder)
    return folder


def notebook_work(documents, corpus: Path, jobs: int) -> dict:
    """Notebook 02's document-level tables."""
    from newslens import actors as act
    from newslens import portrayal

    tables = act.actor_tables(documents, corpus, jobs=jobs)
    scored, summary, by_document = portrayal.actor_tone(documents, tables.mentions, tables.quotes,
                                                        tables.setup.registry, ("model", "vader"), n_boot=200,
                                                        jobs=jobs)
    return {"mentions": tables.mentions, "quotes": tables.quotes, "unknown": tables.unknown,
            "discovered": tables.setup.table, "scored": scored.whole(), "summary": summary,
            "by_document": by_document.whole()}


def timed(label: str, function, *args) -> tuple[dict, float]:
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.1f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
    return result, seconds


def worker_memory() -> tuple[float, float]:
    """This process's resident set and its peak, in MB (run on each Dask worker)."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not POLNEAR.is_dir():
        print(f"skipped: needs the shared data at {POLNEAR}")
        return 0
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    import newslens

    corpus = corpus_folder(args.articles)
    documents = newslens.load_corpus(corpus).documents
    print(f"{len(documents)} articles, {documents['text'].str.len().sum() / 1e6:.2f} million characters", flush=True)
    os.environ.pop("NEWSLENS_SCHEDULER", None)
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    alone, _ = timed("one process", notebook_work, documents, corpus, 1)
    pool, _ = timed(f"{args.jobs} local processes", notebook_work, documents, corpus, args.jobs)
    with LocalCluster(n_workers=args.jobs, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster.scheduler_address, set_as_default=False) as client:
        started = client.run(worker_memory)
        os.environ["NEWSLENS_SCHEDULER"] = cluster.scheduler_address
        try:
            dask, _ = timed(f"Dask LocalCluster, {args.jobs} workers", notebook_work, documents, corpus, 1)
        finally:
            del os.environ["NEWSLENS_SCHEDULER"]
        loaded = client.run(worker_memory)
    for name, table in alone.items():
        for other in (pool, dask):
            pd.testing.assert_frame_equal(other[name], table, check_exact=True)
    print(f"tables identical in the three configurations ({len(alone['mentions'])} mentions, "
          f"{len(alone['quotes'])} quotes, {len(alone['scored'])} scored rows)")
    for worker in sorted(loaded):
        print(f"Dask worker {worker}: {started[worker][0]:.0f} MB when started, {loaded[worker][0]:.0f} MB with the "
              f"models loaded (peak {loaded[worker][1]:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
