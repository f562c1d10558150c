"""How the per-name work of notebooks 01 and 02 grows with a real corpus: words, n-grams, names, discovered actors.

Usage:  python benchmarks/bench_vocabulary.py [--sizes 100,200,400,800,924] [--registry 6653,50000,200000]

The benchmark corpus (``make_big_corpus.py``) repeats the sentences of NewsMTSC, so its vocabulary of names stops
growing (9,837 discovered actors and 3,227 unknown names at 100,000 articles). Real news keeps naming new people
and places. This measures it on real articles: PolNeAR train + dev (924 US political news articles,
``../shared/data/polnear/{train,dev}/text``), in growing prefixes of a fixed shuffled order, with

  * word types and distinct bigrams (``frequency.ngrams``; all, and those listed by notebook 01's default
    ``min_count`` of 2);
  * the unknown-name tally (``actors._NameTally``, empty registry): distinct capitalised names and the bytes its
    table holds (pandas' deep memory);
  * discovery (``actors.discover_actors``, entities from spaCy, cached in .bench/cache_vocabulary/): distinct name
    keys, discovered actors (all, and named at least 2 and 3 times), the bytes its occurrences structure holds and
    the traced peak of the whole call (``tracemalloc``: Python allocations, numpy and array buffers included), with
    the notebooks' cut (``DISCOVER_MAX_ACTORS``) and without it;

then fits Heaps' law (distinct = k * articles ** beta) to the prefixes and extrapolates to 10,000 and 100,000
articles — an estimate, on one kind of news (US politics, 2015-16), not a measurement; and discovery's peak as a
line in the name keys (bytes per further key: what grows with the corpus, apart from what any corpus costs).

The cost of a registry's size (``--registry``): the actors discovered on all 924 articles, grown with synthetic
person names (first names and surnames of that registry recombined) to each size; ``parse_registry`` and the
mention matcher (compiled once per process that finds mentions) timed, and the process's peak resident memory
after building them (the first size's figure is the process's base with spaCy and the 924 articles loaded).

Skips (exit 0) when ../shared is absent.
"""
from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
DATA = ROOT.parent / "shared" / "data" / "polnear"
CACHE = ROOT / ".bench" / "cache_vocabulary"


def load_articles() -> pd.DataFrame:
    """PolNeAR train + dev as doc_id, text, in a fixed shuffled order."""
    files = sorted((DATA / "train" / "text").glob("*.txt")) + sorted((DATA / "dev" / "text").glob("*.txt"))
    random.Random(51).shuffle(files)
    return pd.DataFrame({"doc_id": [f.stem for f in files], "text": [f.read_text(encoding="utf-8") for f in files]})


def traced(function, *args):
    """``function(*args)``, what its result holds and the peak during the call (MB of Python allocations)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = function(*args)
        held, peak = tracemalloc.get_traced_memory()
        return result, held / 1e6, peak / 1e6
    finally:
        tracemalloc.stop()


def measure(documents: pd.DataFrame, entities: pd.DataFrame) -> dict[str, float]:
    """One prefix's figures."""
    from newslens import frequency
    from newslens.actors import DISCOVER_MAX_ACTORS, _NameTally, _occurrences, discover_actors
    from newslens.corpus import DocumentTexts

    tokens = frequency.tokenize_documents(documents)
    bigrams = frequency.ngrams(tokens, (2, 2), min_count=1)

    tally = _NameTally([])
    tally.add(documents)
    occurrences, occurrences_held, _ = traced(_occurrences, DocumentTexts(documents), [entities])
    (_, table), _, peak = traced(discover_actors, documents, entities)
    _, _, peak_cut = traced(discover_actors, documents, entities, 1, DISCOVER_MAX_ACTORS)
    return {"articles": len(documents), "word types": len(tokens.words), "bigrams": len(bigrams),
            "bigrams >= 2": int((bigrams["count"] >= 2).sum()), "names": len(tally.names),
            "tally MB": tally.names.memory_usage(deep=True).sum() / 1e6, "keys": len(occurrences.keys),
            "actors": len(table), "actors >= 2": int((table["mentions"] >= 2).sum()),
            "actors >= 3": int((table["mentions"] >= 3).sum()), "occurrences MB": occurrences_held,
            "discovery peak MB": peak, "peak with the cut MB": peak_cut}


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a Markdown table (numbers with thousands separators, MB and seconds with 2 decimals)."""
    def cell(value) -> str:
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---:|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def heaps(sizes: list[int], counts: list[float]) -> tuple[float, float]:
    """k and beta of counts = k * sizes ** beta, least squares in log space."""
    beta, log_k = np.polyfit(np.log(sizes), np.log(counts), 1)
    return float(np.exp(log_k)), float(beta)


def registry_cost(actors, size: int) -> dict[str, float]:
    """``parse_registry`` and the matcher of ``actors`` grown with synthetic person names to ``size`` actors."""
    from newslens.actors import _matcher, _normalise, parse_registry

    entries = [{"name": a.name, "kind": a.kind, "aliases": list(a.aliases), "descriptors": list(a.descriptors)}
               for a in actors]
    taken = {_normalise(p) for e in entries for p in (e["name"], *e["aliases"], *e["descriptors"])}
    people = [a.name.split() for a in actors if a.kind == "person" and " " in a.name]
    firsts, lasts = sorted({words[0] for words in people}), sorted({words[-1] for words in people})
    rng = random.Random(0)
    while len(entries) < size:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}{rng.choice(['', 'son', 'er', 'ov', 'ski'])}"
        if _normalise(name) not in taken:
            taken.add(_normalise(name))
            entries.append({"name": name, "kind": "person"})
    start = time.perf_counter()
    registry = parse_registry(entries)
    parsed = time.perf_counter()
    _matcher(tuple(registry))
    matched = time.perf_counter()
    return {"actors": len(registry), "parse s": parsed - start, "matcher s": matched - parsed,
            "peak RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,400,800,924")
    parser.add_argument("--registry", default="6653,50000,200000")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the shared data sits beside the repository)")
        return 0
    from newslens.actors import discover_actors, find_entities

    articles = load_articles()
    started = time.perf_counter()
    entities = find_entities(articles, jobs=1, cache_dir=CACHE)
    print(f"PolNeAR train + dev: {len(articles)} articles, {len(entities):,} entities "
          f"({time.perf_counter() - started:.0f} s, cached in {CACHE.relative_to(ROOT)})\n")
    measure(articles.iloc[:20], entities[entities["doc_id"].isin(set(articles["doc_id"][:20]))])  # first-use caches
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        prefix = articles.iloc[:size]
        rows.append(measure(prefix, entities[entities["doc_id"].isin(set(prefix["doc_id"]))]))
    table = pd.DataFrame(rows)
    print(markdown(table))
    print("\nHeaps' law fitted to the prefixes, and extrapolated (an estimate):")
    for column in ("word types", "bigrams", "bigrams >= 2", "names", "keys", "actors", "actors >= 3"):
        k, beta = heaps(table["articles"].tolist(), table[column].tolist())
        print(f"  {column}: beta {beta:.2f}; at 10,000 articles {k * 10_000 ** beta:,.0f}, "
              f"at 100,000 {k * 100_000 ** beta:,.0f}")
    last = table.iloc[-1]
    k, beta = heaps(table["articles"].tolist(), table["keys"].tolist())
    per_key = last["discovery peak MB"] * 1e6 / last["keys"]
    print(f"  discovery's peak per name key at {int(last['articles']):,} articles: {per_key:,.0f} bytes; "
          f"at the keys extrapolated: {per_key * k * 10_000 ** beta / 1e6:,.0f} MB at 10,000 articles, "
          f"{per_key * k * 100_000 ** beta / 1e6:,.0f} MB at 100,000 (above the process's base)")
    for column in ("discovery peak MB", "peak with the cut MB"):
        slope, base = np.polyfit(table["keys"], table[column] * 1e6, 1)
        print(f"  {column[:-3]}, as a line in the name keys: {base / 1e6:,.1f} MB + {slope:,.0f} bytes a key; "
              f"at the keys extrapolated: {(base + slope * k * 10_000 ** beta) / 1e6:,.0f} MB at 10,000 articles, "
              f"{(base + slope * k * 100_000 ** beta) / 1e6:,.0f} MB at 100,000")
    actors, _ = discover_actors(articles, entities)
    print("\nThe cost of a registry's size (synthetic person names added to the discovered registry):")
    costs = [registry_cost(actors, int(s)) for s in args.registry.split(",")]
    print(markdown(pd.DataFrame(costs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
