"""Benchmark ``newslens.attribution`` on PolNeAR (political-news attribution relations).

Usage:  python benchmarks/bench_attribution.py [--split dev|train] [--limit N]

Runs the shared scorer as it is meant to be run,

    python ../shared/tools/score_attribution.py newslens.attribution:find_attributions ../shared/data/polnear/dev

and reports its figures (content P/R/F1, source accuracy, end-to-end F1, direct-quote recall, documents per second
of ``find_attributions`` called one document at a time, the model's loading included in the first call), then the
throughput of the batch form ``find_attributions_many`` on the same texts (one process, after a warm-up). The rules
were developed on ``train``; ``dev`` is the figure to quote. Skips cleanly when ``../shared`` is absent.

The scorer cannot read the first annotation file of the 690th training article (an annotation line without tabs),
so the training figures in the README are for ``--split train --limit 689``.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "tools" / "score_attribution.py"
DATA = SHARED / "data" / "polnear"
TARGETS = {"content_F1": 70.0, "e2e_F1": 60.0, "direct_R": 95.0}


def score(split: str, limit: int) -> dict[str, float]:
    """The scorer's figures, parsed from its output."""
    command = [sys.executable, str(SCORER), "newslens.attribution:find_attributions", str(DATA / split)]
    if limit:
        command += ["--limit", str(limit)]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise SystemExit(f"the scorer failed on {DATA / split} (exit {run.returncode}): {last}")
    output = run.stdout
    print(output.strip())
    figures = {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", output)}
    content = re.search(r"content P=([\d.]+) R=([\d.]+) F1=([\d.]+)", output)
    figures.update(content_P=float(content[1]), content_R=float(content[2]), content_F1=float(content[3]))
    return figures


def batch_throughput(split: str, limit: int) -> tuple[int, float]:
    """(documents, seconds) for ``find_attributions_many`` over the split's texts, after a warm-up."""
    sys.path.insert(0, str(ROOT / "lib"))
    from newslens.attribution import find_attributions_many

    texts = [path.read_text(encoding="utf-8") for path in sorted((DATA / split / "text").glob("*.txt"))]
    texts = texts[:limit or None]
    find_attributions_many(texts[:2])  # loads the model
    start = time.perf_counter()
    find_attributions_many(texts)
    return len(texts), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--limit", type=int, default=0, help="first N documents only")
    args = parser.parse_args(argv)
    if not SCORER.is_file() or not (DATA / args.split / "text").is_dir():
        print(f"SKIP: PolNeAR data or scorer not found under {SHARED} (see ../shared/data/README.md)")
        return 0
    figures = score(args.split, args.limit)
    docs, seconds = batch_throughput(args.split, args.limit)
    print()
    print("| split | docs | content P | content R | content F1 | source acc. | end-to-end F1 | direct R "
          "| docs/s (one at a time) | docs/s (batch) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.split} | {int(figures['docs'])} | {figures['content_P']:.1f} | {figures['content_R']:.1f} "
          f"| {figures['content_F1']:.1f} | {figures['source_acc']:.1f} | {figures['e2e_F1']:.1f} "
          f"| {figures['direct_R']:.1f} | {figures['docs_per_sec']:.1f} | {docs / seconds:.1f} |")
    for name, target in TARGETS.items():
        verdict = "met" if figures[name] >= target else "NOT met"
        print(f"{name}: {figures[name]:.1f} (target >= {target:.0f}): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
