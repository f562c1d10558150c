"""Benchmark ``newslens.timex`` on the TempEval-3 training corpora (TimeBank, AQUAINT).

Usage:  python benchmarks/bench_timex.py [--corpus TimeBank|AQUAINT] [--errors N]

Data: ``../shared/data/tempeval3/{TimeBank,AQUAINT}/*.tml`` relative to the repository root. The anchor of every
document is its creation time (the TIMEX3 with functionInDocument="CREATION_TIME"); the plain text is the content of
``<TEXT>`` with all tags removed, so gold offsets are character offsets into that text.

Scores follow the TempEval-3 definitions (UzZaman et al., SemEval 2013):
  * relaxed span: a system timex is a hit if it overlaps any gold timex (P over system, R over gold);
  * strict span: same start and end;
  * value / type F1 ("attribute F1"): a system timex counts when it matches a gold timex in relaxed span AND has the
    same attribute; P = counts / system timexes, R = gold timexes so matched / gold timexes;
  * type accuracy: share of relaxed matches with the right type.
Speed counts tagging only (XML parsing excluded), in documents per second, one process.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tempeval3"
CORPORA = ("TimeBank", "AQUAINT")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    value: str


@dataclass
class Document:
    name: str
    text: str
    anchor: dt.date | None
    gold: list[Span]


def load_tml(path: Path) -> Document:
    root = ET.parse(path).getroot()
    anchor = None
    for timex in root.iter("TIMEX3"):
        if timex.get("functionInDocument") == "CREATION_TIME":
            try:
                anchor = dt.date.fromisoformat(timex.get("value", "")[:10])
            except ValueError:
                pass
            break
    parts: list[str] = []
    gold: list[Span] = []
    size = 0

    def walk(elem: ET.Element) -> None:
        nonlocal size
        start = size
        if elem.text:
            parts.append(elem.text)
            size += len(elem.text)
        for child in elem:
            walk(child)
            if child.tail:
                parts.append(child.tail)
                size += len(child.tail)
        if elem.tag == "TIMEX3":
            gold.append(Span(start, size, elem.get("type", ""), elem.get("value", "")))

    walk(root.find("TEXT"))
    return Document(path.stem, "".join(parts), anchor, gold)


def load_corpus(name: str) -> list[Document]:
    return [load_tml(p) for p in sorted((DATA / name).glob("*.tml"))]


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(pairs: list[tuple[list[Span], list[Span]]]) -> dict[str, float]:
    """TempEval-3 timex scores over (gold, system) span lists, one pair per document, micro-averaged."""
    n_gold = n_sys = 0
    relaxed_sys = relaxed_gold = strict = 0
    value_sys = value_gold = type_sys = type_gold = 0
    type_pairs = type_right = 0
    for gold, system in pairs:
        n_gold += len(gold)
        n_sys += len(system)
        for s in system:
            hits = [g for g in gold if _overlaps(s, g)]
            relaxed_sys += bool(hits)
            strict += any(g.start == s.start and g.end == s.end for g in hits)
            value_sys += any(g.value == s.value for g in hits)
            type_sys += any(g.type == s.type for g in hits)
            if hits:
                type_pairs += 1
                type_right += hits[0].type == s.type
        for g in gold:
            hits = [s for s in system if _overlaps(s, g)]
            relaxed_gold += bool(hits)
            value_gold += any(s.value == g.value for s in hits)
            type_gold += any(s.type == g.type for s in hits)

    def pr(hit_sys: int, hit_gold: int) -> tuple[float, float, float]:
        p = hit_sys / n_sys if n_sys else 0.0
        r = hit_gold / n_gold if n_gold else 0.0
        return p, r, _f1(p, r)

    rp, rr, rf = pr(relaxed_sys, relaxed_gold)
    sp, sr, sf = pr(strict, strict)
    vp, vr, vf = pr(value_sys, value_gold)
    tp, tr, tf = pr(type_sys, type_gold)
    return {
        "gold": n_gold, "system": n_sys,
        "relaxed_p": rp, "relaxed_r": rr, "relaxed_f1": rf,
        "strict_p": sp, "strict_r": sr, "strict_f1": sf,
        "value_p": vp, "value_r": vr, "value_f1": vf,
        "type_f1": tf,
        "type_accuracy": type_right / type_pairs if type_pairs else 0.0,
    }


def to_spans(timexes) -> list[Span]:
    return [Span(t.start, t.end, t.type, t.value) for t in timexes]


def run(name: str, errors: int = 0) -> dict[str, float]:
    from newslens.timex import find_timexes

    docs = load_corpus(name)
    started = time.perf_counter()
    outputs = [to_spans(find_timexes(d.text, d.anchor)) for d in docs]
    elapsed = time.perf_counter() - started
    result = score([(d.gold, out) for d, out in zip(docs, outputs)])
    result["docs"] = len(docs)
    result["docs_per_s"] = len(docs) / elapsed if elapsed else float("inf")
    if errors:
        _print_errors(docs, outputs, errors)
    return result


def _print_errors(docs: list[Document], outputs: list[list[Span]], limit: int) -> None:
    shown = 0
    for d, out in zip(docs, outputs):
        for g in d.gold:
            hits = [s for s in out if _overlaps(s, g)]
            if any(s.value == g.value for s in hits):
                continue
            got = "; ".join(f"{d.text[s.start:s.end]!r}={s.value}/{s.type}" for s in hits) or "-"
            print(f"MISS {d.name} [{d.anchor}] {d.text[g.start:g.end]!r} gold={g.value}/{g.type} got={got}")
            shown += 1
        for s in out:
            if not any(_overlaps(s, g) for g in d.gold):
                ctx = d.text[max(0, s.start - 30):s.end + 30].replace("\n", " ")
                print(f"FP   {d.name} {d.text[s.start:s.end]!r}={s.value}/{s.type}  ...{ctx}...")
                shown += 1
        if shown >= limit:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=CORPORA, action="append")
    parser.add_argument("--errors", type=int, default=0, help="print up to N errors per corpus")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"SKIP: TempEval-3 data not found at {DATA} (see ../shared/data/README.md)")
        return 0
    sys.path.insert(0, str(ROOT / "lib"))
    rows = []
    for name in args.corpus or CORPORA:
        r = run(name, args.errors)
        rows.append(
            f"| {name} | {r['docs']} | {r['gold']} | {100 * r['relaxed_p']:.1f} | {100 * r['relaxed_r']:.1f} "
            f"| {100 * r['relaxed_f1']:.1f} | {100 * r['strict_f1']:.1f} | {100 * r['value_p']:.1f} "
            f"| {100 * r['value_r']:.1f} | {100 * r['value_f1']:.1f} | {100 * r['type_accuracy']:.1f} "
            f"| {r['docs_per_s']:.0f} |"
        )
    print("| corpus | docs | gold timexes | relaxed P | relaxed R | relaxed F1 | strict F1 | value P | value R "
          "| value F1 | type acc. | docs/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
