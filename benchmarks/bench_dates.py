"""Benchmark article-date inference (``newslens.chronology.article_dates``) on PolNeAR with the dates hidden.

Usage:  python benchmarks/bench_dates.py [--split dev|train] [--wrong N]

Data: ``../shared/data/polnear/{dev,train}/text/*.txt`` and ``metadata.tsv`` (true publication dates) relative to the
repository root. The file names carry the date (``breitbart_2016-09-12_...``), so the texts are passed under neutral
ids (``a0000``, ``a0001`` ... in a shuffled order fixed by a seed) with no metadata; each split is one corpus, so the
corpus-level evidence (the corpus's year, reports of the same event) comes from that split only.

Figures per split, over all its articles:
  * contains: share whose inferred interval (open or closed) contains the true date;
  * excludes: share whose interval excludes it (the wrong ones; the rest are undated);
  * closed: share with a closed interval, and the median width of those in days (a one-day interval is 1);
  * closed, at most 7 days, containing it: share whose interval is closed, at most a week wide and right;
  * undated: share with no interval at all.
Each split is printed twice: without the corpus-window fallback (articles with no evidence of their own counted as
undated) and with it (``source`` "corpus window": a low-confidence guess, not evidence).
Development used ``train`` (and TimeBank for the tagger); ``dev`` is the check. No test split is read.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "polnear"
SPLITS = ("dev", "train")


def load_split(split: str) -> tuple[list[str], list[dt.date], list[str]]:
    """Texts (under no name), their true dates and their file names, in a shuffled order."""
    with open(DATA / "metadata.tsv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["compartment"] == split]
    rows.sort(key=lambda r: r["filename"])
    random.Random(12).shuffle(rows)
    texts = [(DATA / split / "text" / f"{r['filename']}.txt").read_text(encoding="utf-8") for r in rows]
    return texts, [dt.date.fromisoformat(r["publication_date"]) for r in rows], [r["filename"] for r in rows]


def score(table, truth: list[dt.date], window: bool = True) -> dict[str, float]:
    """Containment, exclusion and closed-interval width of an ``article_dates`` table against the true dates;
    ``window=False``: the corpus-window fallback (articles with no evidence of their own) counted as undated."""
    contains = excludes = week = 0
    widths = []
    for row, day in zip(table.itertuples(), truth):
        if row.source == "corpus window" and not window:
            continue
        low = dt.date.fromisoformat(row.earliest) if row.earliest else None
        high = dt.date.fromisoformat(row.latest) if row.latest else None
        if low is None and high is None:
            continue
        inside = (low is None or low <= day) and (high is None or day <= high)
        contains += inside
        excludes += not inside
        if low and high:
            widths.append((high - low).days + 1)
            week += inside and widths[-1] <= 7
    n = len(truth)
    return {"n": n, "contains": contains / n, "excludes": excludes / n, "closed": len(widths) / n,
            "median_width": statistics.median(widths) if widths else float("nan"),
            "undated": (n - contains - excludes) / n, "week": week / n}


def run(split: str, wrong: int = 0) -> dict[str, float]:
    import pandas as pd

    from newslens.chronology import article_dates

    texts, truth, names = load_split(split)
    documents = pd.DataFrame({"doc_id": [f"a{i:04d}" for i in range(len(texts))], "text": texts})
    started = time.perf_counter()
    table = article_dates(documents)
    seconds = time.perf_counter() - started
    result = score(table, truth, window=False)
    result["with_window"] = score(table, truth)
    result["seconds"] = seconds
    if wrong:
        shown = 0
        for row, day, name in zip(table.itertuples(), truth, names):
            low, high = row.earliest or "…", row.latest or "…"
            if (row.earliest and row.earliest > day.isoformat()) or (row.latest and row.latest < day.isoformat()):
                print(f"WRONG {name}: [{low}, {high}] true {day}: {row.evidence[:300]}")
                shown += 1
                if shown >= wrong:
                    break
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, action="append")
    parser.add_argument("--wrong", type=int, default=0, help="print up to N articles whose interval is wrong")
    args = parser.parse_args(argv)
    if not (DATA / "metadata.tsv").is_file():
        print(f"SKIP: PolNeAR not found at {DATA} (see ../shared/data/README.md)")
        return 0
    sys.path.insert(0, str(ROOT / "lib"))
    print("| split | articles | contains true date | excludes it | undated | closed intervals | median width of "
          "closed (days) | closed, at most 7 days, containing it | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for split in args.split or SPLITS:
        r = run(split, args.wrong)
        for name, s in ((split, r), (f"{split} + corpus window", r["with_window"])):
            print(f"| {name} | {s['n']} | {100 * s['contains']:.1f}% | {100 * s['excludes']:.1f}% "
                  f"| {100 * s['undated']:.1f}% | {100 * s['closed']:.1f}% | {s['median_width']:.0f} "
                  f"| {100 * s['week']:.1f}% | {r['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
