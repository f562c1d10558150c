"""Scale benchmark of the word-frequency library: every table for a 10,000-article corpus.

    python benchmarks/bench_frequency.py [--articles 10000] [--maker PATH/make_big_corpus.py]

The corpus is built once with the shared corpus maker and cached in .bench/corpus_<articles>/ at the repository root
(git-ignored). Prints a Markdown table of wall-clock seconds per step and the peak resident memory of the process
(ru_maxrss, which includes loading). Targets: all tables (tokenising included, loading excluded) < 60 s, peak < 2 GB.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MAKER = Path("/work/shared/tools/make_big_corpus.py")
TARGET_SECONDS = 60
TARGET_MB = 2048


def build_corpus(articles: int, maker: Path) -> Path:
    folder = ROOT / ".bench" / f"corpus_{articles}"
    if not (folder / "metadata.csv").exists():
        subprocess.run([sys.executable, str(maker), str(folder), "--articles", str(articles)], check=True)
    return folder


def load_documents(folder: Path):
    try:
        from newslens import load_corpus
    except ImportError:  # the loader is optional for this benchmark: fall back to the raw .txt files
        import pandas as pd

        files = sorted(folder.glob("*.txt"))
        return pd.DataFrame({"doc_id": [f.stem for f in files], "text": [f.read_text(encoding="utf-8") for f in files]})
    return load_corpus(folder).documents


def peak_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--maker", type=Path, default=DEFAULT_MAKER)
    args = parser.parse_args()

    from newslens import frequency as fq

    folder = build_corpus(args.articles, args.maker)
    timings: list[tuple[str, float, str]] = []

    def timed(name, function, *a, **kw):
        start = time.perf_counter()
        result = function(*a, **kw)
        elapsed = time.perf_counter() - start
        rows = f"{len(result):,} rows" if hasattr(result, "__len__") and not isinstance(result, fq.TokenizedCorpus) \
            else ""
        timings.append((name, elapsed, rows))
        return result

    documents = timed("load_corpus (not part of the target)", load_documents, folder)
    options = fq.FrequencyOptions(min_count=5, extra_stopwords=["said"])
    corpus = timed("tokenize_documents", fq.tokenize_documents, documents, options)
    timings[-1] = (*timings[-1][:2], f"{corpus.n_words:,} words, {len(corpus.terms):,} terms")
    timed("term_frequencies", fq.term_frequencies, corpus)
    timed("document_term_counts", fq.document_term_counts, corpus)
    timed("ngrams (2–3)", fq.ngrams, corpus)
    timed("collocations", fq.collocations, corpus)
    timed("distinctive_terms (G², top 10)", fq.distinctive_terms, corpus, top_n=10)
    timed("distinctive_terms (TF-IDF, top 10)", fq.distinctive_terms, corpus, top_n=10, by="tfidf")
    timed("keyness", fq.keyness, corpus)
    timed("kwic (3 terms)", fq.kwic, corpus, ["ceasefire", "witkoff", "peace plan"])
    timed("dispersion (3 terms)", fq.dispersion, corpus, ["ceasefire", "witkoff", "peace plan"])

    tables = sum(seconds for name, seconds, _ in timings[1:])
    peak = peak_mb()
    print(f"\n{args.articles:,} articles, {sum(map(len, documents['text'])) / 1e6:.1f} M characters\n")
    print("| step | seconds | result |")
    print("|---|---:|---|")
    for name, seconds, rows in timings:
        print(f"| {name} | {seconds:.2f} | {rows} |")
    print(f"| **all tables (tokenising included)** | **{tables:.2f}** | target < {TARGET_SECONDS} s |")
    print(f"| **peak memory (ru_maxrss, whole process)** | **{peak:,.0f} MB** | target < {TARGET_MB:,} MB |")
    ok = tables < TARGET_SECONDS and peak < TARGET_MB
    print("\nwithin target" if ok else "\nTARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
