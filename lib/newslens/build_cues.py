"""Rebuild the shipped list of reporting cues: ``python -m newslens.build_cues``.

Reads the PolNeAR training split (``<repo root>/../shared/data/polnear/train`` unless ``--data`` is given; the first
annotator's file of each article, as the scorer does) and counts, for every lower-case word form, how often it lies
inside an annotated attribution cue and how often it occurs at all. It writes ``data/reporting_cues.json``: one
entry per word form seen inside a cue at least ``MIN_CUE_COUNT`` times, with both counts. ``newslens.attribution``
keeps the forms whose share of occurrences inside a cue is high enough ("said" 0.97, "according" 0.99, but not
"has" or "in", which are mostly something else). Only counts are shipped, never PolNeAR text. The output is
byte-for-byte reproducible (sorted keys, no timestamp).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "polnear" / "train"
OUTPUT = Path(__file__).resolve().parent / "data" / "reporting_cues.json"
MIN_CUE_COUNT = 3
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def cue_spans(ann_path: Path) -> list[tuple[int, int]]:
    """Character spans (discontinuous parts separately) of every ``Cue`` annotation of a brat file."""
    spans = []
    for line in ann_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].startswith("T") or not parts[1].startswith("Cue "):
            continue
        for piece in parts[1][len("Cue "):].split(";"):
            start, end = piece.split()
            spans.append((int(start), int(end)))
    return spans


def count_cue_words(data: Path) -> tuple[Counter, Counter, int, str]:
    """(inside-cue counts, all-occurrence counts, number of articles, sha256 of the files read)."""
    inside, total, articles = Counter(), Counter(), 0
    digest = hashlib.sha256()
    for text_path in sorted((data / "text").glob("*.txt")):
        annotations = sorted((data / "attributions").glob(text_path.stem + "_*.ann"))
        if not annotations:
            continue
        articles += 1
        text = text_path.read_text(encoding="utf-8")
        digest.update(text.encode() + annotations[0].read_bytes())
        marked = bytearray(len(text))
        for start, end in cue_spans(annotations[0]):
            marked[start:end] = b"\x01" * (end - start)
        for match in WORD.finditer(text):
            form = match.group().lower().replace("’", "'")
            total[form] += 1
            if marked[match.start()]:
                inside[form] += 1
    return inside, total, articles, digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a PolNeAR split (text/, attributions/)")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not (args.data / "attributions").is_dir():
        parser.error(f"{args.data}: no attributions/ folder (expected a PolNeAR split)")
    inside, total, articles, fingerprint = count_cue_words(args.data)
    forms = {form: [count, total[form]] for form, count in sorted(inside.items()) if count >= MIN_CUE_COUNT}
    payload = {
        "format": "word form -> [occurrences inside an annotated cue, occurrences in all text]",
        "source": "PolNeAR train split (Newell, Margolin & Ruths, LREC 2018), first annotator per article",
        "articles": articles,
        "min_cue_count": MIN_CUE_COUNT,
        "data_sha256": fingerprint,
        "forms": forms,
    }
    args.out.write_text(json.dumps(payload, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(forms)} word forms from {articles} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
