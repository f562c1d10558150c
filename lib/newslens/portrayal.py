"""How actors are portrayed: sentiment per mention, and per-actor aggregates with uncertainty.

Public surface (plain data in, plain data out):
    mention_sentiment(documents, mentions, quotes, method=None, scorer=None) -> DataFrame
    actor_tone(documents, mentions, quotes, registry, methods, n_boot=2000, rollup=False, cache_dir=None)
        -> (scored, summary, by_document)       scored by methods[0] and per-document summaries as Parts; cached
    actor_summary(scored, registry, n_boot=2000, seed=0, rollup=False) -> DataFrame
    actor_document_summary(scored, registry, n_boot=2000, seed=0, rollup=False) -> DataFrame
    evidence(scored, documents, n=3) -> DataFrame             scored: a DataFrame or Parts
    speaker_target_matrix(scored) -> DataFrame                the speaker -> target pairs; a DataFrame or Parts
    speaker_target_grid(pairs, top=None) -> (DataFrame, DataFrame)    as speakers x targets, for a heatmap
    scored_for_export(scored) -> DataFrame / exported_mentions(scored) -> frames    tables/mentions.csv's rows

What an actor says is not sentiment toward that actor. The mention that attributes speech ("said Kallas", "according
to her") is excluded from the speaker's own figures and not scored: its clause is what Kallas says about someone
else.
Mentions inside a quote carry the speaker in ``quoted_by``; they count for the actor mentioned (that is how the
article lets them be portrayed) and also feed the speaker -> target matrix.
"""
from __future__ import annotations

import functools
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from newslens.actors import Actor
from newslens.corpus import DocumentTexts, computed_apart
from newslens.memory import MappedColumn, drop_mapped_pages, dropping, release_free_memory
from newslens.parallel import kept_workers
from newslens.parts import Parts, PartsWriters, batches_of, frames_of
from newslens.sentiment import ScoreMemo
from newslens.text import PackedSplits, remember_splits, remembered_splits

LABELS = ("negative", "neutral", "positive")
SCORE_COLUMNS = ["label", "score", "p_negative", "p_neutral", "p_positive", "clause_start", "clause_end"]
SUMMARY_COLUMNS = ["actor", "kind", "method", "mentions", "scored", "mean_sentiment", "ci_low", "ci_high",
                   "share_negative", "share_neutral", "share_positive"]  # and "documents" after mentions, per actor
# Bootstrap resamples are drawn in blocks of about this many numbers, so a much-mentioned actor fits in memory.
_BOOT_BLOCK = 2_000_000


def mention_sentiment(documents: pd.DataFrame, mentions: pd.DataFrame, quotes: pd.DataFrame,
                      method: str | None = None,
                      scorer: Callable[..., pd.DataFrame] | None = None,
                      cache_dir: str | Path | None = None, progress: bool = False, jobs: int = 1) -> pd.DataFrame:
    """Mentions (as from ``find_mentions``) with the tone toward each one.

    Adds the columns of ``newslens.sentiment.score_targets`` (label, score in [-1, 1], p_negative, p_neutral,
    p_positive, clause_start, clause_end; missing for excluded mentions, which are not scored) and:
        method      the sentiment method used
        quoted_by   the speaker whose quote holds the mention (innermost quote), else missing
        excluded    True when the mention must not count toward its actor's tone
        reason      why: "speaker" (the mention attributes speech: "said Kallas"), "own_quote" (the speaker
                    referring to themself inside their own quote, "stating that she fears"), else ""
    ``scorer`` replaces ``score_targets`` (same signature), e.g. in tests. With ``cache_dir`` (and the default
    scorer) scores are kept on disk per document text, span and method (``newslens.cache``), stored batch by batch
    (``SCORE_BATCH_MENTIONS``): a rerun, or a run after a stopped one, scores only mentions not scored before, with
    identical results. ``progress`` shows a progress bar while scoring;
    ``jobs`` is the number of processes for the encoder on large corpora (0: every core; the same results for any
    number).
    """
    mentions = mentions.reset_index(drop=True)
    return _mention_sentiment(DocumentTexts(documents), mentions, _excluded_marks(mentions, quotes), method, scorer,
                              cache_dir, progress, jobs)


def _mention_sentiment(texts: Mapping[str, str], mentions: pd.DataFrame, marks: pd.DataFrame, method: str | None,
                       scorer: Callable[..., pd.DataFrame] | None = None, cache_dir: str | Path | None = None,
                       progress: bool = False, jobs: int = 1, memo: ScoreMemo | None = None) -> pd.DataFrame:
    """``mention_sentiment`` with the documents' texts by doc_id and the ``_excluded_marks`` of ``mentions`` (the
    same for every method: found once); ``memo`` as for ``score_targets``."""
    # Not a copy: columns are only added to ``out``, and with pandas' copy-on-write the caller's ``mentions`` never
    # change. A copy of a tone part's 366,000 mentions (38 MB) was held while they were scored: a part of the
    # 100,000 articles replayed alone peaked at 449–452 MB with it, 435–436 without.
    out = mentions.reset_index(drop=True)
    # Excluded mentions are not scored: they count toward no tone, and the encoder's time grows with every mention
    # it reads (one mention in seven of the 10,000-article benchmark corpus).
    kept = ~marks["excluded"].to_numpy()
    spans = out.loc[kept, ["doc_id", "start", "end"]]
    if scorer is None and cache_dir:
        scores = _cached_scores(texts, spans, method, cache_dir, progress, jobs, memo)
    else:
        if scorer is None:
            from newslens.sentiment import score_targets as scorer
        items = [(texts[d], s, e) for d, s, e in zip(spans["doc_id"], spans["start"].astype(int),
                                                      spans["end"].astype(int))]
        kwargs = {"progress": progress, "jobs": jobs} if progress or jobs != 1 else {}
        scores = scorer(items, method=method, **kwargs) if items else pd.DataFrame(columns=SCORE_COLUMNS)
    for column in SCORE_COLUMNS:
        missing, dtype = _UNSCORED.get(column, (np.nan, "float64"))
        full = pd.Series(missing, index=out.index, dtype=dtype)
        if len(scores):
            values = scores[column]
            full[kept] = _LABEL_OBJECTS[_label_codes(values)] if column == "label" else values.to_numpy()
        out[column] = full
    out["method"] = method or "model"
    for column in marks:
        out[column] = marks[column]
    return out


def _excluded_marks(out: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """The columns quoted_by, excluded and reason of ``mention_sentiment`` for the mentions ``out``."""
    quoted_by = np.full(len(out), None, dtype=object)
    is_speaker = np.zeros(len(out), dtype=bool)
    if len(quotes) and len(out):
        doc_ids = out["doc_id"].to_numpy(dtype=object)
        starts, ends = out["start"].to_numpy(dtype=np.int64), out["end"].to_numpy(dtype=np.int64)
        speaker_at = quotes.loc[quotes["speaker_start"].notna(), ["doc_id", "speaker_start"]]
        is_speaker = pd.MultiIndex.from_arrays([doc_ids, starts]).isin(pd.MultiIndex.from_arrays(
            [speaker_at["doc_id"].to_numpy(dtype=object), speaker_at["speaker_start"].to_numpy(dtype=np.int64)]))
        # Per document, its quotes shortest first (ties in table order): the first that holds a mention is the
        # innermost. One containment matrix (mentions × quotes) per document, not a scan per mention.
        ordered = quotes[["doc_id", "quote_start", "quote_end", "speaker"]]  # not the quote text: a copy is made
        ordered = ordered.assign(length=ordered["quote_end"] - ordered["quote_start"], order=np.arange(len(quotes)))
        ordered = ordered.sort_values(["doc_id", "length", "order"], kind="stable")
        q_docs = ordered["doc_id"].to_numpy(dtype=object)
        q_starts, q_ends = ordered["quote_start"].to_numpy(np.int64), ordered["quote_end"].to_numpy(np.int64)
        q_speakers = ordered["speaker"].to_numpy(dtype=object)
        bounds = np.flatnonzero(np.r_[True, q_docs[1:] != q_docs[:-1], True])
        rows_of = pd.Series(np.arange(len(out))).groupby(doc_ids, sort=False).indices
        for first, stop in zip(bounds[:-1], bounds[1:]):
            rows = rows_of.get(q_docs[first])
            if rows is None:
                continue
            inside = ((q_starts[None, first:stop] <= starts[rows, None])
                      & (ends[rows, None] <= q_ends[None, first:stop]))
            held = inside.any(axis=1)
            quoted_by[rows[held]] = q_speakers[first + inside.argmax(axis=1)[held]]
    marks = pd.DataFrame({"quoted_by": pd.Series(quoted_by, dtype="object", index=out.index)})
    is_speaker = pd.Series(is_speaker, dtype=bool, index=out.index)
    own_quote = marks["quoted_by"].eq(out["actor"]).fillna(False).astype(bool)
    marks["excluded"] = is_speaker | own_quote
    marks["reason"] = np.where(is_speaker, "speaker", np.where(own_quote, "own_quote", ""))
    return marks


# The score columns of a mention that is not scored: (missing value, dtype); the other columns are NaN (float64).
_UNSCORED = {"label": (None, "object"), "clause_start": (pd.NA, "Int64"), "clause_end": (pd.NA, "Int64")}

_SCORE_DTYPES = {"label": "str", "score": "float64", "p_negative": "float64", "p_neutral": "float64",
                 "p_positive": "float64", "clause_start": "int64", "clause_end": "int64"}


# Mentions scored between two writes of the cache: a stopped run keeps every batch it finished, and the memory of
# scoring (a Python row per distinct sentence and span) is bounded by the batch, not by the corpus. Measured on one
# part of the 100,000-article benchmark corpus (404,138 mentions, both methods, empty cache, worker processes kept
# between batches): 233 s and a peak of 699 MB with batches of 100,000, 229 s and 778 MB with batches of 250,000.
# Later, with the part in a process of its own: the first part of the same corpus peaked at 413 MB while a batch of
# 100,000 was joined with its scores and stored, at 382 MB there with batches of 50,000 (the part's peak, 402 MB,
# then elsewhere). Each cache shard is still written once per part: a batch is whole shards.
SCORE_BATCH_MENTIONS = 50_000


def _cached_scores(texts: Mapping[str, str], spans: pd.DataFrame, method: str | None, cache_dir: str | Path,
                   progress: bool = False, jobs: int = 1, memo: ScoreMemo | None = None) -> pd.DataFrame:
    """``score_targets`` for each row (doc_id, start, end) of ``spans``, reading and extending the per-document
    cache, one batch of cache shards at a time (``_score_batches``); the label as a categorical of ``LABELS``."""
    from newslens.cache import DocumentCache, text_key
    from newslens.sentiment import method_fingerprint

    cache = DocumentCache(cache_dir, f"sentiment-{method or 'model'}", method_fingerprint(method),
                          {"start": "int64", "end": "int64", **_SCORE_DTYPES})
    wanted = spans.astype({"start": "int64", "end": "int64"}).reset_index(drop=True)
    key_of = {doc_id: text_key(texts[doc_id]) for doc_id in dropping(wanted["doc_id"].unique())}
    # Tables joined on (text, start, end) with the text as a small integer, not a Python object per mention nor the
    # 64-character key: a large corpus has millions of mentions.
    code = {key: number for number, key in enumerate(dict.fromkeys(key_of.values()))}
    # As integers even with no rows (every mention of a part excluded), when the map would give objects.
    wanted["text"] = wanted["doc_id"].map({doc_id: code[key] for doc_id, key in key_of.items()}).astype(np.int64)
    wanted["row"] = np.arange(len(wanted))
    # Each batch's scores go into their rows of the returned columns as they come (the label as a code), rather
    # than kept as batches and joined and sorted at the end (the batches, their join and its sorted copy held at
    # once; a part of the 100,000 articles replayed alone: 435–436 MB before, 433.5 after).
    labels = np.empty(len(wanted), dtype=np.int8)
    filled = {column: np.empty(len(wanted), dtype=_SCORE_DTYPES[column]) for column in SCORE_COLUMNS
              if column != "label"}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(wanted), desc=f"tone ({method or 'model'})", unit="mention")
    try:
        with nullcontext(memo) if memo is not None else ScoreMemo() as memo:
            for part in _score_batches(cache, wanted, code, texts, method, jobs, memo):
                rows = part["row"].to_numpy()
                labels[rows] = _label_codes(part["label"])
                for column, values in filled.items():
                    values[rows] = part[column].to_numpy()
                if bar is not None:
                    bar.update(len(part))
    finally:
        if bar is not None:
            bar.close()
    return pd.DataFrame({"label": pd.Categorical.from_codes(labels, categories=list(LABELS)), **filled},
                        columns=SCORE_COLUMNS)


def _label_codes(labels: pd.Series) -> np.ndarray:
    """The index in ``LABELS`` of each label (-1: none)."""
    codes = pd.Index(LABELS).get_indexer(labels).astype(np.int8)
    unknown = (codes < 0) & labels.notna().to_numpy()
    if unknown.any():
        raise ValueError(f"a tone label that is not one of {', '.join(LABELS)}: {labels[unknown].iloc[0]!r}")
    return codes


# The label of each scored mention as one of three shared strings (a new string per mention, from the scores' text
# column, was 20 MB of a tone part of 366,000 mentions); code -1 (not scored) is None.
_LABEL_OBJECTS = np.array([*LABELS, None], dtype=object)


def _score_batches(cache, wanted: pd.DataFrame, code: dict[str, int], texts: Mapping[str, str], method: str | None,
                   jobs: int, memo: ScoreMemo) -> Iterator[pd.DataFrame]:
    """The rows of ``wanted`` with their scores (column ``row`` kept), batch by batch of cache shards (whole shards,
    about ``SCORE_BATCH_MENTIONS`` mentions each): read from the cache, or scored and stored."""
    from newslens.cache import KEY
    from newslens.sentiment import score_targets

    span = ["text", "start", "end"]
    key_of_code = dict(zip(code.values(), code.keys()))
    # The shard of each row (the first two hex digits of its text's key, as a number): rows by shard, in order.
    shard_of_code = np.array([int(key[:2], 16) for key in code], dtype=np.int64)
    rows_by_shard = pd.Series(np.arange(len(wanted))).groupby(shard_of_code[wanted["text"].to_numpy()]).indices
    for shards in _shard_batches({shard: len(rows) for shard, rows in sorted(rows_by_shard.items())},
                                 SCORE_BATCH_MENTIONS):
        batch = wanted.iloc[np.concatenate([rows_by_shard[shard] for shard in shards])]
        cached = cache.rows(key_of_code[number] for number in batch["text"].unique())[0]
        cached = cached.assign(text=cached[KEY].map(code)).drop_duplicates(span, keep="last")
        found = batch.merge(cached.drop(columns=KEY), on=span, how="left", sort=False)
        todo = found.loc[found["label"].isna(), ["doc_id", *span]].drop_duplicates(span)
        if len(todo):
            # The batch with only its cached scores is let go while the rest are scored and stored, and made again
            # with all of them (joined once, without their keys): a tone part's high-water mark rose there, batch
            # after batch.
            del found
            fresh = score_targets(((texts[d], s, e) for d, s, e in zip(todo["doc_id"], todo["start"], todo["end"])),
                                  method=method, jobs=jobs, memo=memo)
            fresh = pd.concat([todo[span].reset_index(drop=True), fresh], axis=1)
            fresh[KEY] = fresh["text"].map(key_of_code).to_numpy()
            changed = set(fresh[KEY])
            cache.put_rows(pd.concat([cached[cached[KEY].isin(changed)], fresh], ignore_index=True), changed)
            scores = pd.concat([cached.drop(columns=KEY), fresh.drop(columns=KEY)], ignore_index=True)
            del cached, fresh
            found = batch.merge(scores, on=span, how="left", sort=False)
            del scores
            # What storing the batch freed goes back now, not after the part: replayed on half the 10,000-article
            # corpus's mentions (batches stored into shards of 10,000 and of 100,000 articles' scores), the
            # high-water mark climbed batch after batch, and more with the larger shards.
            release_free_memory()
        yield found


def _shard_batches(sizes: dict[int, int], size: int) -> list[list[int]]:
    """Consecutive shards (``sizes``: mentions per shard, in order) grouped until a group holds at least ``size``
    mentions."""
    batches, current, total = [], [], 0
    for shard, count in sizes.items():
        current.append(shard)
        total += count
        if total >= size:
            batches.append(current)
            current, total = [], 0
    return batches + [current] if current else batches


def bootstrap_mean(scores: Sequence[float], n_boot: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float, float]:
    """Mean and percentile bootstrap interval of the mean; (nan, nan, nan) without scores.

    The generator is seeded per call, so an actor's interval does not depend on which other actors were summarised.
    """
    values = np.asarray(scores, dtype=float)
    values = values[~np.isnan(values)]
    mean, low, high = _intervals(values, np.array([values.size]), n_boot, seed, level=level)[:, 0]
    return float(mean), float(low), float(high)


def _intervals(scores: np.ndarray, sizes: np.ndarray, n_boot: int, seed: int, jobs: int = 1, level: float = 0.95
               ) -> np.ndarray:
    """Mean, low and high bound (three rows) of the bootstrap interval of each group of ``scores`` (``sizes``: the
    groups' scores one group after another, none missing), each as ``bootstrap_mean`` of the group alone gives it.

    Every group's generator starts from the same seed, so groups of one size share their resample indices: they are
    drawn once per chunk of groups of that size, in the same blocks as for a single group, and applied to the whole
    chunk (one gather and one mean per chunk instead of one per group; about ``_BOOT_BLOCK`` numbers each). A group
    of one score or of equal scores is its own mean and interval, one of none has NaN: neither is resampled. Chunks
    are taken from ``scores`` by positions, without a Python object per group: the summary per actor and document of
    a tone part of 100,000 articles has about 150,000 groups (a list of their arrays and a tuple per result took
    about 10 MB at the end of every part). From ``PARALLEL_BOOT_NUMBERS`` resampled numbers the chunks go to
    ``jobs`` processes (``newslens.parallel.map_chunks``; 0: every core), with the same results.
    """
    starts = np.cumsum(sizes) - sizes
    intervals = np.full((len(sizes), 3), np.nan)
    # A single score is its own mean and interval, as it is (a mean of -0.0 would be 0.0).
    single = sizes == 1
    intervals[single] = scores[starts[single], np.newaxis]
    filled = np.flatnonzero(sizes > 0)  # the groups' bounds for ``reduceat``, which reads to the next start
    lowest = np.minimum.reduceat(scores, starts[filled]) if len(filled) else np.empty(0)
    highest = np.maximum.reduceat(scores, starts[filled]) if len(filled) else np.empty(0)
    several = sizes[filled] > 1
    equal, resampled = filled[several & (lowest == highest)], filled[several & (lowest != highest)]
    # Equal scores: the mean as a 2-D array's row means give it, the same bits as the group's own ``mean()``.
    for size, members in _by_size(equal, sizes):
        intervals[members] = _rows(scores, starts, members, size).mean(axis=1)[:, np.newaxis]
    chunks = [members[first:first + _per_chunk(size, n_boot)] for size, members in _by_size(resampled, sizes)
              for first in range(0, len(members), _per_chunk(size, n_boot))]
    # A chunk of one group (every group of a few thousand scores or more) is a view of it, not a copy: the groups
    # of 100,000 articles' summary per actor are 8.5 million scores per method, most of them in large ones.
    stacks = [_rows(scores, starts, chunk, sizes[chunk[0]]) for chunk in chunks]
    resample = functools.partial(_bootstrap_stacks, n_boot=n_boot, seed=seed, level=level)
    if jobs != 1 and sum(stack.size for stack in stacks) * n_boot >= PARALLEL_BOOT_NUMBERS:
        from newslens.parallel import chunked, map_chunks

        done = [bounds for part in map_chunks(resample, chunked(stacks, 16), jobs=jobs) for bounds in part]
    else:
        done = resample(stacks)
    for chunk, bounds in zip(chunks, done):
        intervals[chunk] = bounds
    return intervals.T


def _by_size(groups: np.ndarray, sizes: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(size, the groups of that size in their order) for each size of ``groups``, the smallest first."""
    ordered = groups[np.argsort(sizes[groups], kind="stable")]
    edges = np.r_[0, np.flatnonzero(np.diff(sizes[ordered])) + 1, len(ordered)] if len(ordered) else []
    for first, stop in zip(edges[:-1], edges[1:]):
        yield int(sizes[ordered[first]]), ordered[first:stop]


def _per_chunk(size: int, n_boot: int) -> int:
    """Groups of ``size`` scores resampled together: about ``_BOOT_BLOCK`` resampled numbers per block."""
    return max(1, _BOOT_BLOCK // (min(max(1, _BOOT_BLOCK // size), n_boot) * size))


def _rows(scores: np.ndarray, starts: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """The scores of ``groups`` (all of ``size``), one group per row: a view for a single group."""
    if len(groups) == 1:
        return scores[starts[groups[0]]:starts[groups[0]] + size][np.newaxis]
    return scores[starts[groups][:, np.newaxis] + np.arange(size)]


# From this many resampled numbers (scores × resamples), the bootstrap goes to worker processes: about 2.5 s of
# work in one process (10,000 articles: 0.7 and 1.4 billion for the two summaries of a method), against 1-2 s to
# start the workers, or nothing when ``actor_tone`` has them running already.
PARALLEL_BOOT_NUMBERS = 200_000_000


def _bootstrap_stacks(stacks: list[np.ndarray], n_boot: int, seed: int, level: float) -> list[np.ndarray]:
    """(mean, low, high) of each row of each stack (groups of one size, one per row; an array of three columns per
    stack): the work of one chunk, in any process."""
    tail = (1 - level) / 2 * 100
    done = []
    for stacked in stacks:
        size = stacked.shape[1]
        block = max(1, _BOOT_BLOCK // size)
        rng = np.random.default_rng(seed)  # drawn afresh per stack: one block of indices in memory at a time
        # Means over the rows of a 2-D array, as for a single sample: numpy sums a 3-D array's last axis in another
        # order, which changes the last bits.
        means = np.concatenate([stacked[:, rng.integers(0, size, size=(min(block, n_boot - first), size))]
                                .reshape(-1, size).mean(axis=1).reshape(len(stacked), -1)
                                for first in range(0, n_boot, block)], axis=1)
        low, high = np.percentile(means, [tail, 100 - tail], axis=1)
        # Row means of a 2-D array are summed as each row alone would be: the same bits as ``sample.mean()``. A
        # tiny, lopsided sample can put the mean just outside its percentile interval; widening to include it keeps
        # "mean within [ci_low, ci_high]" true for every row. Resampled means never leave [min, max] of the scores.
        mean = stacked.mean(axis=1)
        done.append(np.column_stack([mean, np.minimum(low, mean), np.maximum(high, mean)]))
    return done


def _rolled(scored: pd.DataFrame, registry: Sequence[Actor], rollup: bool) -> pd.DataFrame:
    if not rollup:
        return scored
    parent = {actor.name: actor.affiliation for actor in registry if actor.affiliation}

    def top(name: str) -> str:
        seen = set()
        while name in parent and name not in seen:
            seen.add(name)
            name = parent[name]
        return name

    out = scored.copy(deep=False)  # copy-on-write: only the columns replaced are new
    out["actor"] = out["actor"].map(top)
    if "quoted_by" in out:
        out["quoted_by"] = out["quoted_by"].map(lambda v: top(v) if isinstance(v, str) else v)
    return out


def _group_scores(scored: pd.DataFrame, registry: Sequence[Actor], keys: list[str], rollup: bool
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """The groups of ``keys`` and method (sorted), as columns, with: mentions (rows), documents (with a mention;
    only when ``doc_id`` is not a key), scored (counted scores) and n_negative, n_neutral, n_positive (counted
    labels); and the counted scores of every group, group after group, in table order within a group."""
    data = _rolled(scored, registry, rollup)
    if "method" not in data:
        data = data.assign(method="model")
    # On integer codes, each array let go once used, not with pandas' groupby on the text columns: grouping a tone
    # part of 100,000 articles (366,000 mentions) took 31-33 MB (traced) for a moment, the last of its part; now
    # 13-17.
    group_of, frame = _coded_groups(data, keys + ["method"])
    n_groups = len(frame)
    frame["mentions"] = np.bincount(group_of, minlength=n_groups)
    if "doc_id" not in keys:
        frame["documents"] = _documents_per_group(group_of, pd.factorize(data["doc_id"])[0], n_groups)
    counted = data["score"].notna().to_numpy().copy()
    if "excluded" in data:
        counted &= ~data["excluded"].astype(bool).to_numpy()
    group_of = group_of[counted]
    # The counted scores of each group, in table order within the group, without a pandas operation per group.
    scores = data["score"].to_numpy(dtype=float)[counted][np.argsort(group_of, kind="stable")]
    frame["scored"] = np.bincount(group_of, minlength=n_groups)
    labels = data["label"].to_numpy()[counted]
    for label in LABELS:
        frame[f"n_{label}"] = np.bincount(group_of[labels == label], minlength=n_groups)
    return frame, scores


def _documents_per_group(group_of: np.ndarray, documents: np.ndarray, n_groups: int) -> np.ndarray:
    """How many distinct documents (``documents``: a code per row, -1 for none, counted in no group, as pandas'
    nunique) the rows of each group hold."""
    known = documents >= 0
    many = int(documents.max(initial=0)) + 1
    # One (group, document) number per row, sorted in place: ``np.unique`` of the products held four copies of the
    # rows at once, the last peak of a tone part of 100,000 articles.
    pairs = group_of[known]
    pairs *= many
    pairs += documents[known]
    del known
    pairs.sort()
    firsts = np.ones(len(pairs), dtype=bool)
    np.not_equal(pairs[1:], pairs[:-1], out=firsts[1:])
    return np.bincount(pairs[firsts] // many, minlength=n_groups)


def _coded_groups(data: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """The group of each row of ``data`` by the columns ``by`` (numbered in sorted order, first column first, a
    missing value a group of its own, last) and the groups' values of ``by`` as text columns."""
    combined, values = np.zeros(len(data), dtype=np.int64), []
    for column in by:
        codes, uniques = pd.factorize(data[column], sort=True, use_na_sentinel=False)
        combined *= len(uniques)
        combined += codes
        values.append(uniques)
        del codes
    present = np.unique(combined)
    group_of = np.searchsorted(present, combined)
    del combined
    columns = {}
    for column, uniques in zip(reversed(by), reversed(values)):
        columns[column] = uniques.take(present % len(uniques))
        present //= max(len(uniques), 1)
    return group_of, pd.DataFrame({column: columns[column] for column in by}).astype({column: "str" for column in by})


def _pooled_by_method(frames: list[pd.DataFrame], scores, keys: list[str]
                      ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The ``_group_scores`` of consecutive parts of one table (in table order; ``frames``: each part's groups;
    ``scores``: their scores one part after another, a ``pyarrow.ChunkedArray``) as those of the whole table, one
    method after another (sorted), in batches of consecutive groups holding about ``POOLED_SCORES`` scores (a
    group with more is a batch of its own): counts added up, and each group's scores put together part after part,
    so in table order as before.

    Only one batch's scores are in memory at a time, copied a part at a time from ``scores`` (which may be in a
    mapped file), whose pages are dropped after each part. Gathered group by group over both methods, they were
    read from all over the file: at 100,000 articles, 14.7 million scores took 0.12 GB copied and as much mapped.
    """
    pooled = pd.concat(frames, ignore_index=True)
    by = keys + ["method"]
    counts = [c for c in pooled.columns if c not in by]
    sizes = pooled["scored"].to_numpy()
    starts = np.cumsum(sizes) - sizes  # where each part-group's scores begin in ``scores``
    part_rows = np.cumsum([0] + [len(frame) for frame in frames])
    for method in sorted(set(pooled["method"])) or [None]:  # None: no groups at all
        mine = pooled if method is None else pooled[pooled["method"] == method]
        grouped = mine.groupby(by, sort=True)
        group_of = grouped.ngroup().to_numpy()
        merged = grouped[counts].sum().reset_index().astype({c: "int64" for c in counts})
        for first_group, stop_group in _batches(merged["scored"].to_numpy(), POOLED_SCORES):
            # The batch's part-groups by group, parts in order within a group (``pooled`` is part after part).
            chosen = np.flatnonzero((group_of >= first_group) & (group_of < stop_group))
            rows = mine.index.to_numpy()[chosen[np.argsort(group_of[chosen], kind="stable")]]
            yield merged.iloc[first_group:stop_group].reset_index(drop=True), _gathered(
                scores, rows, sizes, starts, part_rows)


def _batches(sizes: np.ndarray, most: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of ``sizes``' positions whose sizes add up to at most ``most``, or one position each
    when it alone is larger; one empty range for no sizes."""
    first, total = 0, 0
    for position, size in enumerate(sizes.tolist()):
        if position > first and total + size > most:
            yield first, position
            first, total = position, 0
        total += size
    yield first, len(sizes)


def _gathered(scores, rows: np.ndarray, sizes: np.ndarray, starts: np.ndarray, part_rows: np.ndarray
              ) -> np.ndarray:
    """The scores of the part-groups ``rows`` (positions in the pooled groups), one after another."""
    place = np.full(len(sizes), -1, dtype=np.int64)  # where a part-group's scores go in ``together``
    ordered = sizes[rows]
    place[rows] = np.cumsum(ordered) - ordered
    together = np.empty(int(ordered.sum()), dtype=float)
    for first, stop in zip(part_rows[:-1], part_rows[1:]):
        wanted = np.flatnonzero(place[first:stop] >= 0) + first
        if not len(wanted):
            continue
        begin = int(starts[first])
        values = scores.slice(begin, int(starts[stop - 1] + sizes[stop - 1]) - begin).to_numpy()
        for row in wanted:
            offset = int(starts[row]) - begin
            together[place[row]:place[row] + sizes[row]] = values[offset:offset + sizes[row]]
        del values
        drop_mapped_pages()
    return together


def _summary_from_groups(groups: pd.DataFrame, scores: np.ndarray, registry: Sequence[Actor], keys: list[str],
                         n_boot: int, seed: int, jobs: int = 1, sort: bool = True) -> pd.DataFrame:
    """The summary table of ``_group_scores``' groups: means and bootstrap intervals, shares of each label; by
    method, then the most mentioned first (``sort``), or in the groups' order."""
    columns = (SUMMARY_COLUMNS[:1] + [k for k in keys if k != "actor"] + SUMMARY_COLUMNS[1:4]
               + (["documents"] if "documents" in groups else []) + SUMMARY_COLUMNS[4:])
    if not len(groups):
        return pd.DataFrame({c: pd.Series(dtype=_SUMMARY_DTYPES.get(c, "float64")) for c in columns})
    sizes = groups["scored"].to_numpy()
    kinds = {actor.name: actor.kind for actor in registry}
    frame = groups.assign(kind=[kinds.get(actor) for actor in groups["actor"]])
    for column, values in zip(("mean_sentiment", "ci_low", "ci_high"), _intervals(scores, sizes, n_boot, seed, jobs)):
        frame[column] = values
    with np.errstate(invalid="ignore"):  # a group without a counted score has no shares (0 / 0 = nan)
        for label in LABELS:
            frame[f"share_{label}"] = frame[f"n_{label}"] / sizes
    frame = frame[columns]
    return _by_method_most_mentioned(frame) if sort else frame


def _by_method_most_mentioned(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.sort_values(["method", "mentions", "actor"], ascending=[True, False, True], ignore_index=True)


_SUMMARY_DTYPES = {"actor": "str", "doc_id": "str", "kind": "str", "method": "str", "mentions": "int64",
                   "documents": "int64", "scored": "int64"}


def _summarise(scored: pd.DataFrame, registry: Sequence[Actor], keys: list[str], n_boot: int, seed: int,
               rollup: bool, jobs: int = 1, sort: bool = True) -> pd.DataFrame:
    return _summary_from_groups(*_group_scores(scored, registry, keys, rollup), registry, keys, n_boot, seed, jobs,
                                sort)


def actor_summary(scored: pd.DataFrame, registry: Sequence[Actor], n_boot: int = 2000, seed: int = 0,
                  rollup: bool = False, jobs: int = 1) -> pd.DataFrame:
    """One row per actor and method.

    Columns: actor, kind, method, mentions (all mentions, excluded ones too), documents (documents with a mention),
    scored (mentions that count toward the tone), mean_sentiment (mean score in [-1, 1]), ci_low, ci_high (seeded
    percentile bootstrap 95% interval of the mean), share_negative, share_neutral, share_positive (of the scored
    mentions). With ``rollup`` people and institutions are counted under their affiliation, followed to the top
    (Peskov -> Russia).
    Actors without any mention do not appear. A large bootstrap runs in ``jobs`` processes (0: every core), with
    the same results.
    """
    return _summarise(scored, registry, ["actor"], n_boot, seed, rollup, jobs)


def actor_document_summary(scored: pd.DataFrame, registry: Sequence[Actor], n_boot: int = 2000, seed: int = 0,
                           rollup: bool = False, jobs: int = 1) -> pd.DataFrame:
    """As ``actor_summary``, one row per actor, document and method: an extra ``doc_id`` column, no ``documents``."""
    return _summarise(scored, registry, ["actor", "doc_id"], n_boot, seed, rollup, jobs)


# Scores of the summary per actor gathered at a time (``_pooled_by_method``; 8 MB): gathered a method at a time,
# the 7.3 million scored mentions of 100,000 articles were 59 MB in notebook 02's kernel (at 10,000, 6 MB).
POOLED_SCORES = 1_000_000

# Mentions per part of ``actor_tone``: what is scored, summarised and written at a time (about 150 MB of scored
# mentions per method), so that the memory of the tone step does not grow with the corpus.
PART_MENTIONS = 500_000


def actor_tone(documents: pd.DataFrame, mentions: pd.DataFrame | Parts, quotes: pd.DataFrame | Parts,
               registry: Sequence[Actor], methods: Sequence[str], n_boot: int = 2000, rollup: bool = False,
               cache_dir: str | Path | None = None, jobs: int = 1,
               progress: bool = False) -> tuple[Parts, pd.DataFrame, Parts]:
    """The mentions scored by the first of ``methods`` (``mention_sentiment``), the ``actor_summary`` of every
    method and their ``actor_document_summary`` in document order, read from the corpus-level cache
    (``newslens.cache.TableCache``) when the same documents, mentions, quotes, methods, registry, ``n_boot``,
    ``rollup`` and code made them before.

    The work goes part by part of consecutive documents (about ``PART_MENTIONS`` mentions each): each part is
    scored by every method, its per-document summaries made and both written, and only its scores kept for the
    per-actor summaries. The scored mentions and the per-document summaries come back as ``newslens.parts.Parts``
    (read part by part; ``.whole()`` for one table); with a cache they are on disk, not in memory.

    Parameters
    ----------
    documents, mentions, quotes
        As for ``mention_sentiment``; mentions and quotes of a document in that document's place. Mentions and
        quotes may be ``Parts`` made over the same runs of documents (as ``actor_tables`` gives them): the work
        then goes by those parts.
    registry, n_boot, rollup
        As for ``actor_summary``.
    methods : sequence of str
        The sentiment methods, e.g. ``("model", "vader")``; the first is the one whose scored mentions are returned.
    cache_dir : path, optional
        Cache folder (per-document scores and these tables); None: compute everything and keep it in memory.
    jobs, progress
        As for ``mention_sentiment`` (neither changes a result, so neither is in a key).

    Returns
    -------
    (scored, summary, by_document)
        ``scored``: the mentions scored by ``methods[0]``, in the order of ``mentions``; ``summary``: one row per
        actor and method (by method, the most mentioned first); ``by_document``: one row per actor, document and
        method, by document, then method, then the most mentioned actor first.
    """
    from newslens.cache import cached_tables, code_version, documents_key, frame_key
    from newslens.sentiment import method_fingerprint

    key = {"documents": documents_key(documents), "mentions": frame_key(mentions), "quotes": frame_key(quotes),
           "code": code_version(), "methods": [[m, method_fingerprint(m)] for m in methods],
           "registry": [asdict(a) for a in registry], "n_boot": int(n_boot), "rollup": bool(rollup)
           } if cache_dir else {}

    def compute(folder: Path | None) -> tuple[dict, dict]:
        return _tone_in_parts(documents, mentions, quotes, registry, methods, n_boot, rollup, cache_dir, jobs,
                              progress, folder), {}

    tables = cached_tables(cache_dir, "tone", key, compute, parted=True)[0]
    return tables["scored"], tables["summary"], tables["by_document"]


def _tone_in_parts(documents: pd.DataFrame, mentions: pd.DataFrame | Parts, quotes: pd.DataFrame | Parts,
                   registry: Sequence[Actor], methods: Sequence[str], n_boot: int, rollup: bool,
                   cache_dir: str | Path | None, jobs: int, progress: bool, folder: Path | None
                   ) -> dict[str, pd.DataFrame | Parts]:
    """The tables of ``actor_tone``, part by part (``_document_parts``); ``folder``: where the parts are written
    (None: kept in memory)."""
    from newslens.cache import mapped_folder

    writers = PartsWriters(folder)
    # Each part's counted scores, kept for the summary per actor: in a mapped file of the cache (0.12 GB at 100,000
    # articles, growing part by part), with their groups in memory.
    pooled_frames, pooled_scores = [], MappedColumn(mapped_folder(cache_dir), pa.float64())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(mentions), desc="tone", unit="mention")
    # The parts of a large corpus are scored each in a process of its own, which ends with it: the heap that
    # scoring breaks up goes with it, so this process's memory does not climb part after part (at 100,000 articles
    # it did, from 400 to 850 MB over six parts) and a part takes the same memory in any corpus. All of them: the
    # last, smaller part of 10,000 articles, scored here, still took +275 MB.
    apart = len(mentions) >= PROCESS_MENTIONS
    try:
        with kept_workers(), _score_memos(cache_dir) as memos:  # workers for the bootstrap per actor
            for part_documents, part_mentions, part_quotes, size in _document_parts(documents, mentions, quotes):
                arguments = (part_mentions, part_quotes, registry, methods, n_boot, rollup, cache_dir, jobs, memos)
                if apart:
                    frame, scores = _scored_apart(part_documents, arguments, writers, cache_dir)
                else:
                    frame, scores = _part_tone(writers, DocumentTexts(part_documents), *arguments)
                pooled_frames.append(frame)
                pooled_scores.append(pa.array(scores, pa.float64()))
                del arguments, frame, scores
                release_free_memory()
                if bar is not None:
                    bar.update(size)
            summaries = []
            for groups, scores in _pooled_by_method(pooled_frames, pooled_scores.column(), ["actor"]):
                summaries.append(_summary_from_groups(groups, scores, registry, ["actor"], n_boot, 0, jobs,
                                                      sort=False))
                del groups, scores
            summary = _by_method_most_mentioned(_stacked(summaries))
    finally:
        if bar is not None:
            bar.close()
    return {"scored": writers.done("scored"), "summary": summary, "by_document": writers.done("by_document")}


@contextmanager
def _score_memos(cache_dir: str | Path | None) -> Iterator[str]:
    """A folder for the score memories of the parts of ``_tone_in_parts`` (``_part_tone``: one ``ScoreMemo`` file
    per method), so that a sentence repeated in several parts is scored once. Deleted afterwards."""
    from newslens.cache import mapped_folder

    with tempfile.TemporaryDirectory(dir=_made(mapped_folder(cache_dir))) as folder:
        yield folder


# From this many mentions, the parts are scored each in a process of its own (``_tone_in_parts``; the parts of
# ``actors.actor_tables`` hold about 400,000 mentions at any corpus size); fewer, in this process.
PROCESS_MENTIONS = 100_000


def _scored_apart(documents: pd.DataFrame, arguments: tuple, writers: PartsWriters, cache_dir: str | Path | None
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """``_part_tone`` of ``documents`` and ``arguments`` in a process of its own (``_part_tone_apart``): its scored
    mentions and per-document summaries added to ``writers`` as they were written there, its groups and scores
    returned. (A function of its own, so that nothing read back stays referenced while the next part is
    scored.)"""
    from newslens.cache import mapped_folder

    # The texts go through a file of the cache, mapped there (``corpus.computed_apart``). Pickled as an Arrow table,
    # the copies made for it stayed in this process's heap while the part was scored: at 100,000 articles the
    # kernel of notebook 02 went from about 290 to 412 MB as the first part started, and stayed there.
    with tempfile.TemporaryDirectory(dir=_made(mapped_folder(cache_dir))) as written:
        splits = remembered_splits(dropping(documents["text"].fillna("").astype(str)))  # not split again there
        scored, by_document, frame, scores = computed_apart(_part_tone_apart, documents, cache_dir, written, splits,
                                                            *arguments)
        del splits
        writers.add_parts("scored", scored)
        writers.add_parts("by_document", by_document)
    return frame, scores


def _part_tone_apart(documents: pd.DataFrame, folder: str, splits: PackedSplits, *arguments
                     ) -> tuple[Parts, Parts, pd.DataFrame, np.ndarray]:
    """``_part_tone`` of ``documents`` (columns doc_id and text) and ``arguments`` for a process of its own, given
    the texts' sentences (``text.remembered_splits``): its two large tables come back as ``Parts`` written in
    ``folder``. Sent back pickled they were held two and three times over in the receiving process (measured at
    10,000 articles: +400 MB for a moment)."""
    remember_splits(splits)
    writers = PartsWriters(folder)
    # Every method's sentences scored by the workers, however few: the parts after the first, their sentences mostly
    # remembered, scored VADER's last few hundred here (VADER with nltk: +19 MB) and peaked at 338.6-341.8 MB against
    # the first part's 318 (10,000 and 100,000 articles); with the workers, 318.0-322.5.
    with kept_workers(any_work=True):
        # The texts asked for one by one from the mapped table, not a dict of the part's texts as Python strings
        # (about 40 MB held by a part of 100,000 articles while it was scored).
        frame, scores = _part_tone(writers, DocumentTexts(documents), *arguments)
    return writers.done("scored"), writers.done("by_document"), frame, scores


def _made(folder: Path | None) -> Path | None:
    """``folder``, made if missing (None stays None)."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _part_tone(writers: PartsWriters, texts: Mapping[str, str], mentions: pd.DataFrame | PartOf,
               quotes: pd.DataFrame | PartOf, registry: Sequence[Actor], methods: Sequence[str], n_boot: int,
               rollup: bool, cache_dir: str | Path | None, jobs: int, memos: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One part of ``_tone_in_parts``, in any process: its mentions scored by ``methods[0]`` and its
    per-document summaries (in document order) added to ``writers`` as "scored" and "by_document"; the groups and
    counted scores of every method (``_group_scores``) returned. The score memories (a ``ScoreMemo`` file per
    method in the folder ``memos``: ``_score_memos``) are read and extended, one method's at a time."""
    mentions, quotes = _part_frame(mentions).reset_index(drop=True), _part_frame(quotes)
    marks = _excluded_marks(mentions, quotes)
    summaries, groups = [], []
    with kept_workers():  # one set of worker processes for every method's scores and bootstrap
        # One method's scored mentions in memory at a time: those kept (``methods[0]``'s) are made last.
        for method in sorted(set(methods) - {methods[0]}) + [methods[0]]:
            with ScoreMemo(Path(memos) / f"{method}.sqlite") as memo:
                scored = _mention_sentiment(texts, mentions, marks, method, cache_dir=cache_dir, jobs=jobs,
                                            memo=memo)
            if method == methods[0]:
                # The last method's scored mentions are written before they are summarised, and summarised from
                # the columns that reads: held whole (the mentions' columns and every score's) through the
                # bootstrap, they made the level of the last moment of a part, its peak.
                del mentions, quotes, marks  # in a process of its own, these were their only copies
                writers.add("scored", scored)
                scored = scored[_SUMMARISED_COLUMNS]
            # ``actor_document_summary``, not sorted: ``_in_document_order`` orders the rows of every method at once.
            summaries.append(_summarise(scored, registry, ["actor", "doc_id"], n_boot, 0, rollup, jobs, sort=False))
            groups.append(_group_scores(scored, registry, ["actor"], rollup))
            del scored
    by_document = _stacked(summaries)
    summaries.clear()  # the per-method tables, stacked: not held twice while ordered
    for rows in _in_document_order(by_document, {doc_id: number for number, doc_id in enumerate(texts)}):
        writers.add("by_document", rows)
    return _stacked_groups(groups)


# The columns of scored mentions that ``_group_scores`` reads.
_SUMMARISED_COLUMNS = ["actor", "doc_id", "method", "score", "label", "excluded"]

# A part of a table on disk, as (its ``Parts``, the part's number): a process of its own reads it from the file.
PartOf = tuple[Parts, int]


def _document_parts(documents: pd.DataFrame, mentions: pd.DataFrame | Parts, quotes: pd.DataFrame | Parts
                    ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | PartOf, pd.DataFrame | PartOf, int]]:
    """Consecutive runs of documents with their mentions and quotes and the number of those mentions, cut where the
    running count of mentions passes a multiple of ``PART_MENTIONS`` (a document is never cut); one part at least.
    Rows keep their order. Mentions and quotes in ``Parts`` (``actor_tables``: made over the same runs of documents)
    keep their own parts, given as ``PartOf`` when on disk: only their ``doc_id`` is read here."""
    position = {doc_id: number for number, doc_id in enumerate(documents["doc_id"].astype(str))}
    # The documents of a part as a slice of the table: selecting rows by a mask or by positions would join the text
    # column's Arrow chunks (+425 MB at 100,000 articles, for every part).
    if isinstance(mentions, Parts) or isinstance(quotes, Parts):
        named_in = zip(frames_of(mentions, ["doc_id"]), frames_of(quotes, ["doc_id"]), strict=True)
        for number, (mention_ids, quote_ids) in enumerate(named_in):
            named = [position[doc_id] for ids in (mention_ids, quote_ids) for doc_id in ids["doc_id"].unique()]
            yield (documents.iloc[min(named, default=0):max(named, default=-1) + 1], _part_of(mentions, number),
                   _part_of(quotes, number), len(mention_ids))
        return
    mention_place = mentions["doc_id"].map(position).to_numpy(dtype=np.int64)
    quote_place = quotes["doc_id"].map(position).to_numpy(dtype=np.int64)
    per_document = np.bincount(mention_place, minlength=len(position))
    part_of_document = (np.cumsum(per_document) - per_document) // PART_MENTIONS  # by the mentions before it
    mention_part, quote_part = part_of_document[mention_place], part_of_document[quote_place]
    edges = np.r_[0, np.flatnonzero(np.diff(part_of_document)) + 1, len(documents)]
    for first, stop in zip(edges[:-1], edges[1:]):  # no documents: one empty part
        number = part_of_document[first] if first < stop else 0
        in_part = mention_part == number
        yield documents.iloc[first:stop], mentions[in_part], quotes[quote_part == number], int(in_part.sum())


def _part_of(table: pd.DataFrame | Parts, number: int) -> pd.DataFrame | PartOf:
    """Part ``number`` of ``table``: a reference when on disk, else the frame itself."""
    if isinstance(table, Parts):
        return (table, number) if table.path is not None else table.part(number)
    return table


def _part_frame(part: pd.DataFrame | PartOf) -> pd.DataFrame:
    return part[0].part(part[1]) if isinstance(part, tuple) else part


# Rows of a per-document summary taken into document order at a time (``_in_document_order``).
ORDERED_ROWS = 100_000


def _in_document_order(table: pd.DataFrame, position: dict[str, int]) -> Iterator[pd.DataFrame]:
    """A per-document summary by document (``position``), then method, then the most mentioned actor first, as
    consecutive runs of at most ``ORDERED_ROWS`` rows (one empty frame for an empty table)."""
    # The order from the keys alone, and the rows taken a run at a time for the caller to write and drop: taken
    # whole, the ordered copy beside the table was the largest moment of a tone part (+54 MB at 450,000 rows).
    order = np.lexsort((pd.factorize(table["actor"], sort=True)[0], -table["mentions"].to_numpy(),
                        pd.factorize(table["method"], sort=True)[0], table["doc_id"].map(position).to_numpy()))
    for first in range(0, max(len(order), 1), ORDERED_ROWS):
        yield table.take(order[first:first + ORDERED_ROWS]).reset_index(drop=True)


def _stacked_groups(groups: list[tuple[pd.DataFrame, np.ndarray]]) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``_group_scores`` of several methods' tables as one (their groups differ by method)."""
    return _stacked([frame for frame, _ in groups]), np.concatenate([scores for _, scores in groups])


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The tables one under the other; the first (with its columns) when all are empty."""
    filled = [part for part in parts if len(part)]
    return pd.concat(filled, ignore_index=True) if filled else parts[0]


def evidence(scored: pd.DataFrame | Parts, documents: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The most negative and most positive sentences for each actor (and method), excluded mentions left out.

    Columns: actor, method, polarity ("negative" / "positive"), rank (1 = strongest), score, doc_id, surface,
    sentence. A sentence appears once per actor and polarity (its strongest mention). Only mentions labelled
    negative are negative evidence and only those labelled positive are positive: a neutral mention with a score
    of +0.02 is not evidence of anything. ``scored`` may be in parts (``actor_tone``): the strongest of each batch
    of rows are kept, and the strongest of those are the strongest of all (a sentence's mentions may fall in two
    batches: its strongest is kept from each, and the stronger of those wins).
    """
    # Only the columns ``_strongest`` reads are read, a batch of rows at a time, their text as Arrow strings, and the
    # strongest so far are merged with each batch's: every column of a part of 500,000 scored mentions was the
    # largest step at the end of notebook 02. Measured on the 8.5 million scored mentions of 100,000 articles, above
    # the step's start: the needed columns of a part at a time, the strongest of each part gathered, 132 MB;
    # batches gathered, 168 MB (85 batches' strongest of thousands of actors); batches merged as they come, 54 MB.
    columns = [c for c in _STRONGEST_COLUMNS if c in scored.columns]
    batches = batches_of(scored, columns, arrow_text=True)
    best = _strongest(next(batches), n)
    for batch in batches:
        best = _strongest(pd.concat([best, _strongest(batch, n)]), n)
    texts = DocumentTexts(documents)
    rows = [(actor, method, polarity, rank, float(score), doc_id, surface,
             " ".join(texts[doc_id][sent_start:sent_end].split()))
            for actor, method, polarity, rank, score, doc_id, surface, sent_start, sent_end
            in zip(*(best[c] for c in ("actor", "method", "polarity", "rank", "score", "doc_id", "surface",
                                        "sent_start", "sent_end")))]
    return pd.DataFrame(rows, columns=["actor", "method", "polarity", "rank", "score", "doc_id", "surface",
                                       "sentence"])


_STRONGEST_COLUMNS = ("actor", "method", "label", "score", "doc_id", "start", "surface", "sent_start", "sent_end",
                      "excluded")  # what ``_strongest`` reads


def _strongest(scored: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` strongest candidate mentions of each actor, method and polarity (one per sentence), in that order,
    with columns polarity and rank; ``scored`` may also be an earlier result (the polarity is then the label)."""
    # One copy, of the candidate rows and the columns used: the scored mentions of a large corpus are millions of
    # rows.
    keep = scored["score"].notna() & scored["actor"].notna() & scored["label"].isin(["negative", "positive"])
    if "excluded" in scored:
        keep &= ~scored["excluded"].astype(bool)
    if "method" in scored:
        keep &= scored["method"].notna()
    data = scored.loc[keep, [c for c in _STRONGEST_COLUMNS if c in scored and c != "excluded"]]
    if "method" not in data:
        data = data.assign(method="model")
    # One sort per polarity over all actors (stable, so ties keep table order), not one per actor: thousands of
    # discovered actors make per-group pandas calls the slowest part.
    picked = []
    for order, (polarity, ascending) in enumerate((("negative", True), ("positive", False))):
        keep = data["label"] == polarity
        best = (data[keep].sort_values(["actor", "method", "score", "doc_id", "start"],
                                       ascending=[True, True, ascending, True, True], kind="stable")
                .drop_duplicates(["actor", "method", "doc_id", "sent_start"]))
        best = best[best.groupby(["actor", "method"], sort=False).cumcount() < n]
        picked.append(best.assign(polarity=polarity, order=order,
                                  rank=best.groupby(["actor", "method"], sort=False).cumcount() + 1))
    return pd.concat(picked).sort_values(["actor", "method", "order", "rank"], kind="stable").drop(columns="order")


def speaker_target_matrix(scored: pd.DataFrame | Parts, registry: Sequence[Actor] | None = None,
                          rollup: bool = False) -> pd.DataFrame:
    """The tone of what each actor says about each other actor.

    Columns: speaker, target, method, mentions (mentions of the target inside the speaker's quotes),
    mean_sentiment. Self-references are left out. ``speaker_target_grid`` lays it out as speakers × targets.
    ``scored`` may be in parts (``actor_tone``): only the mentions inside quotes are kept from each.
    """
    # Only the columns used, read part by part: the scored mentions have a score for each of 8.5 million mentions
    # at 100,000 articles, and every column of those inside quotes took 0.5 GB for a moment. The names are kept as
    # numbers (``_numbered``): as text, the 1.6 million mentions inside quotes still took 250 MB.
    # Each (speaker, target, method) as one integer, grouped on that alone: as a table of three number columns, the
    # 1.6 million mentions inside quotes of 100,000 articles took notebook 02's kernel from 274 to 379 MB.
    columns = [c for c in ("actor", "quoted_by", "method", "score") if c in scored.columns]
    keys, numbers, coded, scores = ["speaker", "target", "method"], {}, [], []
    for part in frames_of(scored, columns):
        data = _rolled(part, registry or [], rollup)
        if "method" not in data:
            data = data.assign(method="model")
        data = data[data["quoted_by"].notna() & data["score"].notna() & data["quoted_by"].ne(data["actor"])]
        speaker, target, method = (_numbered(data[c], numbers) for c in ("quoted_by", "actor", "method"))
        coded.append((speaker << (2 * _NAME_BITS)) | (target << _NAME_BITS) | method)
        scores.append(data["score"].to_numpy(dtype=float))
        del data, speaker, target, method
    if len(numbers) >= 1 << _NAME_BITS:
        raise ValueError(f"more than {1 << _NAME_BITS:,} actor and method names")
    score = pd.Series(np.concatenate(scores))
    scores.clear()
    pair = np.concatenate(coded)
    coded.clear()
    pairs = score.groupby(pair, sort=False).agg(["size", "mean"])  # means in row order
    del score, pair
    names, pair = pd.array(list(numbers), dtype="str"), pairs.index.to_numpy()
    for key, shift in zip(keys, (2 * _NAME_BITS, _NAME_BITS, 0)):
        pairs[key] = names.take((pair >> shift) & ((1 << _NAME_BITS) - 1))
    return (pairs[keys + ["size", "mean"]].sort_values(keys, kind="stable", ignore_index=True)
            .set_axis(["speaker", "target", "method", "mentions", "mean_sentiment"], axis=1))


# Bits of each name's number in the key of a (speaker, target, method) of ``speaker_target_matrix``: three fit in
# an int64.
_NAME_BITS = 21


def _numbered(values: pd.Series, numbers: dict[str, int]) -> np.ndarray:
    """``values`` as the numbers of ``numbers`` (name -> number), names not yet in it added."""
    codes, names = pd.factorize(values)
    return np.array([numbers.setdefault(name, len(numbers)) for name in names], dtype=np.int64)[codes]


def speaker_target_grid(pairs: pd.DataFrame, top: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pairs of ``speaker_target_matrix`` as two speakers × targets tables, (mean_sentiment, mentions), missing
    where a speaker never mentions the target; names in alphabetical order (with several methods, the method is the
    outer row level).

    With ``top``: at most that many speakers, those with the most mentions of others in their quotes, and among what
    they say at most that many targets, the most mentioned (ties by name). A large corpus has thousands of each, and
    the table of all of them would be built to show a few dozen.
    """
    if top is not None:
        pairs = pairs[pairs["speaker"].isin(_most_mentioned(pairs, "speaker", top))]
        pairs = pairs[pairs["target"].isin(_most_mentioned(pairs, "target", top))]
    index = ["speaker"] if pairs["method"].nunique() <= 1 else ["method", "speaker"]
    return tuple(pairs.pivot_table(index=index, columns="target", values=values, aggfunc="first")
                 for values in ("mean_sentiment", "mentions"))


def _most_mentioned(pairs: pd.DataFrame, column: str, top: int) -> pd.Index:
    totals = pairs.groupby(column)["mentions"].sum()  # in name order: the stable sort keeps ties by name
    return totals.sort_values(ascending=False, kind="stable").index[:top]


# The columns of tables/mentions.csv, in order (``score`` is written as ``sentiment``).
EXPORT_COLUMNS = ("doc_id", "actor", "surface", "start", "end", "found_by", "score", "label", "method", "excluded",
                  "reason", "quoted_by")


def scored_for_export(scored: pd.DataFrame, columns: Iterable[str] = EXPORT_COLUMNS) -> pd.DataFrame:
    """The mentions table as written to tables/mentions.csv, with ``score`` renamed ``sentiment``."""
    return scored[[c for c in columns if c in scored]].rename(columns={"score": "sentiment"})


def exported_mentions(scored: pd.DataFrame | Parts) -> Iterator[pd.DataFrame]:
    """``scored_for_export`` of ``scored`` a batch of rows at a time (``Parts.batches``, reading only the columns
    exported), for ``plots.write_table``: the 8.5 million scored mentions of 100,000 articles written part by part,
    every column read, took 254 MB more for a moment; so, 96 MB."""
    for batch in batches_of(scored, [column for column in EXPORT_COLUMNS if column in scored.columns]):
        yield scored_for_export(batch)
