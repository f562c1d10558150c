"""Target sentiment on the NewsMTSC dev sets: macro-F1, accuracy and speed of each method.

    python benchmarks/bench_sentiment.py [--data DIR]

Prints a Markdown table for the README. Speed is measured in this single process with one BLAS/OpenMP thread, pinned
to one core where the OS allows it, after a warm-up (model and lexicon loading is not counted).
"""
from __future__ import annotations

import os

# Before numpy is imported, or the thread pools are already sized.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from newslens import encoder, sentiment  # noqa: E402
from newslens.train_sentiment import DEFAULT_DATA, macro_f1, read_split  # noqa: E402

DEV_SETS = ("dev_mt", "dev_rw")
FILES = {"model": (encoder.MODEL_FILE, encoder.TOKENIZER_FILE),
         "fast": (sentiment.MODEL_WEIGHTS, sentiment.MODEL_META),
         "vader": (sentiment.vader_lexicon_path(),)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    missing = [name for name in DEV_SETS if not (args.data / f"{name}.jsonl").exists()]
    if missing:
        print(f"skipped: NewsMTSC dev sets {', '.join(missing)} not found in {args.data}")
        return 0
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    splits = {name: read_split(args.data / f"{name}.jsonl") for name in DEV_SETS}
    label_index = {label: i for i, label in enumerate(sentiment.LABELS)}
    rows = []
    for method in sentiment.METHODS:
        sentiment.score_targets([("Warm-up sentence about Smith.", 22, 27)], method=method)
        cells = []
        n_targets, seconds = 0, 0.0
        for name in DEV_SETS:
            items = [(text, start, end) for text, start, end, _ in splits[name]]
            gold = np.array([label for *_, label in splits[name]])
            began = time.perf_counter()
            frame = sentiment.score_targets(items, method=method)
            seconds += time.perf_counter() - began
            n_targets += len(items)
            predicted = frame["label"].map(label_index).to_numpy()
            cells += [f"{100 * macro_f1(gold, predicted):.1f}", f"{100 * np.mean(gold == predicted):.1f}"]
        size = sum(path.stat().st_size for path in FILES[method]) / 1e6
        rows.append([f"`{method}`", *cells, f"{n_targets / seconds:,.0f}", f"{size:.1f}"])

    counts = ", ".join(f"{name} {len(splits[name])}" for name in DEV_SETS)
    print(f"Target sentiment on NewsMTSC dev sets (targets: {counts}).\n")
    print("| method | dev_mt macro-F1 | dev_mt accuracy | dev_rw macro-F1 | dev_rw accuracy | targets/s (1 core) "
          "| files (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
