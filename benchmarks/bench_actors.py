"""Notebook 02 (actors) on a 10,000-article corpus with actor discovery on: first run, and a rerun that changes
only display parameters; plus the named-entity recogniser's speed on real, non-repeating news (PolNeAR train).

    python benchmarks/bench_actors.py [--articles 10000] [--jobs 2] [--maker PATH/make_big_corpus.py]

The corpus is built once with the shared corpus maker and cached in .bench/corpus_<articles>/ (git-ignored), as in
bench_frequency.py. The notebook runs through the batch runner (`python -m newslens run 02_actor_sentiment`), with
no actors file, into .bench/out_actors/, with its parse cache in .bench/cache_actors/ (emptied before the first
run). Peak memory is the largest resident set of any process of the run (the notebook's kernel, or one of the
recogniser's worker processes). Targets: first run <= 8 minutes, rerun <= 1 minute.

Skips (exit 0) when ../shared is absent.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_frequency import DEFAULT_MAKER, build_corpus  # noqa: E402

TARGET_FIRST = 8 * 60
TARGET_RERUN = 60


def run_notebook(corpus: Path, out: Path, cache: Path, parameters: list[str]) -> tuple[float, float]:
    """Wall seconds and the peak resident memory (MB) of any process of the run."""
    command = [sys.executable, "-m", "newslens", "run", "02_actor_sentiment", "--corpus", str(corpus),
               "--out", str(out), "--cache", str(cache), "--jobs", "1", *parameters]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, (peak if peak > before else before) / 1024


def distinct_sentence_share(folder: Path) -> tuple[float, float]:
    """Millions of characters in the corpus, and in its distinct sentences (what the recogniser parses)."""
    import newslens
    from newslens.text import sentence_spans

    documents = newslens.load_corpus(folder).documents
    total, distinct = 0, set()
    for text in documents["text"]:
        total += len(text)
        distinct.update(text[s:e] for s, e in sentence_spans(text))
    return total / 1e6, sum(map(len, distinct)) / 1e6


def recogniser_speed(folder: Path, articles: int) -> tuple[int, float, float]:
    """Documents, characters per second and documents per second of find_entities, one process, no cache."""
    import pandas as pd

    from newslens.actors import find_entities
    from newslens.nlp import load_pipeline

    files = sorted(folder.glob("*.txt"))[:articles]
    documents = pd.DataFrame({"doc_id": [f.stem for f in files],
                              "text": [f.read_text(encoding="utf-8") for f in files]})
    load_pipeline(("tagger", "parser", "attribute_ruler", "lemmatizer", "senter"))  # loading is not parsing
    started = time.perf_counter()
    find_entities(documents, jobs=1)
    seconds = time.perf_counter() - started
    return len(files), documents["text"].str.len().sum() / seconds, len(files) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the recogniser (notebook parameter)")
    parser.add_argument("--maker", type=Path, default=DEFAULT_MAKER)
    parser.add_argument("--polnear-articles", type=int, default=200)
    args = parser.parse_args()
    polnear = args.maker.resolve().parents[1] / "data" / "polnear" / "train" / "text"
    if not args.maker.exists() or not polnear.exists():
        print(f"skipped: needs the shared tools and data ({args.maker}, {polnear})")
        return 0

    corpus = build_corpus(args.articles, args.maker)
    out, cache = ROOT / ".bench" / "out_actors", ROOT / ".bench" / "cache_actors"
    shutil.rmtree(cache, ignore_errors=True)
    first = run_notebook(corpus, out, cache, ["-p", "jobs", str(args.jobs)])
    rerun = run_notebook(corpus, out, cache, ["-p", "jobs", str(args.jobs), "-p", "min_mentions", "10",
                                              "-p", "method", "vader"])
    total, distinct = distinct_sentence_share(corpus)
    documents, chars_per_second, docs_per_second = recogniser_speed(polnear, args.polnear_articles)

    print(f"\nnotebook 02, {args.articles:,} articles ({total:.1f} M characters, {distinct:.1f} M in distinct "
          f"sentences), no actors file, discovery on, recogniser in {args.jobs} processes\n")
    print("| run | seconds | peak MB | target |")
    print("|---|---:|---:|---|")
    print(f"| first run (empty parse cache) | {first[0]:.0f} | {first[1]:,.0f} | <= {TARGET_FIRST} s |")
    print(f"| rerun, display parameters changed (min_mentions, method) | {rerun[0]:.0f} | {rerun[1]:,.0f} | "
          f"<= {TARGET_RERUN} s |")
    print(f"\nrecogniser alone on {documents} PolNeAR train articles (real news, no repeats), one process: "
          f"{chars_per_second:,.0f} characters/s, {docs_per_second:.1f} documents/s")
    ok = first[0] <= TARGET_FIRST and rerun[0] <= TARGET_RERUN
    print("\nwithin target" if ok else "\nTARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
