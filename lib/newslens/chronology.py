"""A chronology of a news corpus: when each article was written, and the dated events it reports.

Public surface:
    article_dates(documents, cache_dir=None) -> DataFrame   doc_id, anchor, earliest, latest, source, confidence,
                                                            evidence
    timex_table(documents, anchors, cache_dir=None) -> DataFrame   every time expression, resolved against its
                                                                   article's anchor
    without_a_day(anchors) -> Series   the articles whose relative expressions have no day to count from
    events(documents, anchors, actor_mentions=None, timexes=None, cache_dir=None) -> DataFrame   with the actors
                                                            of ``actor_mentions`` (``actors.actor_tables``'s mentions)

With ``cache_dir`` (``newslens.cache``) the time expressions are kept per document (text and anchor), and the
article dates and events per corpus (keyed by the documents, the tables they are computed from and the
code version): a rerun that changes only which events are shown does no document-level work.

Publication dates come from metadata when there is any, else from the text (``newslens.dating``: datelines and
other stamps, past and future dates, the rest of the corpus), never from the wall clock. An event is a dated clause:
its date (the most precise resolved DATE of the clause; ``calendar_date``), the precision, how the date was
obtained, who did what (``predicate``: the words before the clause's first verb and the verb phrase, by pattern),
and the sentence. Stamps (datelines, bylines, "Published/Updated" lines, date-only headers), credits and page
furniture (shop banners, weather, cookie notices) are never events. The same event reported by several articles is
one row with all its ``sources``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from array import array
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from newslens.cleaning import credit_spans, furniture_spans
from newslens.corpus import computed_apart, text_chars
from newslens.dating import ARTICLE_COLUMNS, content_words, find_stamps, infer_dates, _published
from newslens.memory import (MappedArray, MappedTable, drop_mapped_pages, dropping, read_mapped_table,
                             release_free_memory)
from newslens.parts import Parts, PartsWriter, frames_of, text_dtype
from newslens.parallel import chunked, in_fresh_process, kept_workers, map_chunks
from newslens.text import ABBREVIATIONS, SPLIT_PARALLEL_CHARS, import_nltk, line_sentence_spans
from newslens.timex import IRREGULAR_PAST, Timex, find_timexes_many, timex_rows

TIMEX_COLUMNS = ["doc_id", "start", "end", "text", "type", "value", "anchored", "mod", "anchor"]
EVENT_COLUMNS = [
    "date", "precision", "date_source", "actors", "predicate", "text", "doc_id", "sent_start", "sent_end", "timex",
    "sources", "n_sources",
]
_LISTS = ("actors", "sources")
# The lists as Arrow lists (each value reads as a Python list): as Python lists, a list and a str per actor and per
# source, the 230,000 events of 100,000 articles held about 0.1 GB more for the rest of the notebook.
_EVENT_DTYPES = {c: "int64" if c in ("sent_start", "sent_end", "n_sources") else
                 pd.ArrowDtype(pa.list_(pa.string())) if c in _LISTS else "str" for c in EVENT_COLUMNS}
RESOLVED_DATE = re.compile(r"^\d{4}(?:-\d\d(?:-\d\d)?)?$")
MERGE_JACCARD = 0.2  # content-word Jaccard from which two clauses of one date (and shared actors) are one event
MERGE_SHARED = 2  # ... with at least this many content words in common
ALONE_JACCARD = 0.4  # without actors on both sides, the words alone must agree this much


def article_dates(documents: pd.DataFrame, cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Publication date of each article (``ARTICLE_COLUMNS``): ``published`` from metadata when given, else an
    interval inferred from the text and the rest of the corpus, with evidence and confidence (see
    ``newslens.dating``). With ``cache_dir``: read from the cache when the same documents (texts and published
    dates) and code made it before."""
    from newslens.cache import cached_tables, code_version, documents_key, frame_key

    published = documents[["doc_id", "published"]] if "published" in documents else documents[["doc_id"]]
    key = {"documents": documents_key(documents), "published": frame_key(published.astype(str)),
           "code": code_version()} if cache_dir else {}
    tables, _ = cached_tables(cache_dir, "article-dates", key,
                              lambda: ({"anchors": infer_dates(documents, cache_dir=cache_dir)}, {}))
    return tables["anchors"]


def _precision(value: str) -> str:
    return {4: "year", 7: "month", 10: "day"}[len(value)]


def timex_table(documents: pd.DataFrame, anchors: pd.DataFrame, cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Every time expression of every article, resolved against the article's ``anchor`` (from ``article_dates``;
    none for an undated article) — over the article's interval when its date is inferred and not a stated day
    (``_resolved_over_intervals``) — sorted by doc_id and offset. With ``cache_dir``: each article's expressions are
    read from the cache when its text and anchor were tagged before (``timex.find_timexes_many``), and the table
    itself from the corpus-level cache when the same documents, anchors and code made it before; from
    ``EVENTS_APART_CHARS`` characters of text it is made in a process of its own, and its text columns are read
    from a mapped file of the cache."""
    if not cache_dir:
        return _timex_table(documents, anchors, None)
    from newslens.cache import cached_tables, code_version, documents_key, frame_key, mapped_folder

    key = {"documents": documents_key(documents), "anchors": frame_key(anchors), "code": code_version()}

    def compute(folder: Path) -> tuple[dict[str, Parts], dict]:
        # Made in the kernel, the table of 100,000 articles (1.1 million rows) took notebook 03's kernel from 240 to
        # 391 MB, and 350 for the rest of the notebook.
        if text_chars(documents) < EVENTS_APART_CHARS:
            return {"timexes": _timex_parts(documents, anchors, cache_dir, folder)}, {}
        return {"timexes": computed_apart(_timex_parts, documents, cache_dir, anchors, cache_dir, folder)}, {}

    return cached_tables(cache_dir, "timexes", key, compute, parted=True)[0]["timexes"].whole(
        mapped_in=mapped_folder(cache_dir))


def _timex_parts(documents: pd.DataFrame, anchors: pd.DataFrame, cache_dir: str | Path | None, folder: Path
                 ) -> Parts:
    """``_timex_table``, written to ``folder`` as one part."""
    table = _timex_table(documents, anchors, cache_dir)
    writer = PartsWriter(table, folder / "timexes.parquet")
    writer.add(table)
    return writer.done()


def _timex_table(documents: pd.DataFrame, anchors: pd.DataFrame, cache_dir: str | Path | None) -> pd.DataFrame:
    """``timex_table`` without the corpus-level cache."""
    anchor_of = dict(zip(anchors["doc_id"], anchors["anchor"])) if len(anchors) else {}
    ordered = _by_doc_id(documents)
    doc_ids = ordered["doc_id"].to_numpy(dtype=object)
    anchor_values = np.asarray([anchor_of.get(doc_id, "") for doc_id in doc_ids], dtype=object)
    texts = ordered["text"].fillna("").array
    rows = timex_rows(texts, [_published(anchor) for anchor in anchor_values], cache_dir)
    rows = _resolved_over_intervals(rows, texts, _interval_ends(anchors, doc_ids), cache_dir)
    items = rows["item"].to_numpy()
    # The columns as they are (Arrow strings; type and mod categories, offsets int32): made numpy arrays, every
    # value of 1.1 million rows (100,000 articles) became a Python string for a moment. doc_id and anchor repeat
    # from row to row: as categories, the table of 100,000 articles holds 57 MB instead of 121, for the rest of the
    # notebook (its CSV is the same text).
    doc_codes, doc_names = pd.factorize(doc_ids, sort=True)
    anchor_codes, anchor_names = pd.factorize(anchor_values, sort=True)
    table = pd.DataFrame({"doc_id": pd.Categorical.from_codes(doc_codes[items], doc_names),
                          **{c: rows[c].array for c in TIMEX_COLUMNS[1:-1]},
                          "anchor": pd.Categorical.from_codes(anchor_codes[items], anchor_names)})
    del rows, items
    # What making it freed goes back to the system: kept, it held notebook 03's kernel 110 MB above the table
    # (100,000 articles) through the cells that write and show it.
    release_free_memory()
    return table


# An inferred article date at most this many days wide is a day the article states (a dateline or stamp, with a day's
# slack each way for time zones): expressions relative to the day of writing count from its anchor. Measured on
# PolNeAR train with the dates hidden (session 46): "on Friday", "yesterday", "last year" counted from the anchor
# were right 32 times in 34 in such articles, but 82 in 102 where the interval was 4-7 days wide, 63 in 246 where it
# was wider and 181 in 488 where it was open.
STATED_DAY_DAYS = 3
# An unresolved value that lacks only its year ("XXXX-12-03", "XXXX-03"): a day or month the text names, whose year
# is the anchor's (right 419 times in 451 in the articles of wider or open intervals on PolNeAR train).
_ONLY_YEAR_MISSING = re.compile(r"^XXXX-\d\d(?:-\d\d)?(?:T|$)")
_INTERVAL_CHUNK = 2_000  # articles resolved at their interval's ends at a time (their expressions three times over)


def without_a_day(anchors: pd.DataFrame) -> pd.Series:
    """Whether each article of ``anchors`` (``article_dates``) has no day to count its relative expressions ("on
    Friday", "yesterday") from: no anchor at all, or an inferred date that is open or wider than
    ``STATED_DAY_DAYS`` (then they are resolved over the interval, ``timex_table``)."""
    low, high = (pd.to_datetime(anchors[end], format="%Y-%m-%d", errors="coerce") for end in ("earliest", "latest"))
    width = (high - low).dt.days + 1
    wide = (anchors["source"] == "inferred") & ~(width <= STATED_DAY_DAYS)  # NaN (an open end) counts as wide
    return (anchors["anchor"].fillna("") == "") | wide


def _interval_ends(anchors: pd.DataFrame, doc_ids: Sequence[str]) -> dict[int, tuple]:
    """Position in ``doc_ids`` -> (earliest, latest) day of each inferred article ``without_a_day`` (an open end is
    None): its relative expressions are resolved over that interval."""
    if not len(anchors):
        return {}
    inferred = anchors[(anchors["source"] == "inferred") & without_a_day(anchors)]
    ends_of = {doc_id: (_published(low), _published(high))
               for doc_id, low, high in zip(inferred["doc_id"], inferred["earliest"], inferred["latest"])}
    return {position: ends_of[doc_id] for position, doc_id in enumerate(doc_ids) if doc_id in ends_of}


def _agreed(a: str, b: str) -> str:
    """The value two resolutions of one expression agree on: itself, or its day, month or year ("2015-11-20" and
    "2015-12-04": "2015"); "" when they agree on nothing resolved."""
    if a == b:
        return a
    for n in (10, 7, 4):
        if a[:n] == b[:n] and RESOLVED_DATE.match(a[:n]):
            return a[:n]
    return ""


def _resolved_over_intervals(rows: pd.DataFrame, texts: Sequence[str], ends: dict[int, tuple],
                             cache_dir: str | Path | None) -> pd.DataFrame:
    """``rows`` (``timex_rows``, resolved at each article's anchor) with the expressions relative to the day of
    writing ("on Friday", "yesterday", "last year") of the articles of ``ends`` (item -> earliest, latest) resolved
    at both ends of the interval instead: kept to the precision both agree on ("2015-11-20" and "2015-12-04": the
    year 2015), else left unresolved ("XXXX-WXX-5"), as they are when an end is open. A day or month the text
    names without a year keeps the anchor's year (``_ONLY_YEAR_MISSING``)."""
    positions = np.flatnonzero(rows["item"].isin(list(ends)).to_numpy() & rows["anchored"].to_numpy(dtype=bool))
    if not len(positions):
        return rows
    spans = list(zip(*(rows[c].to_numpy()[positions].tolist() for c in ("item", "start", "end"))))
    resolved = dict(zip(spans, rows["value"].iloc[positions].tolist()))
    for chunk in chunked(sorted({item for item, _, _ in spans}), _INTERVAL_CHUNK):
        # Each article tagged at its earliest day, its latest and at none (None: an open end, and the unresolved
        # value), from the cache where it was tagged so before (``article_dates`` tags every undated text at none).
        days = [(item, day) for item in chunk for day in ends[item]]
        at_days = find_timexes_many([(texts[item], day) for item, day in days], cache_dir)
        at_none = dict(zip(chunk, find_timexes_many([(texts[item], None) for item in chunk], cache_dir)))
        values: dict[tuple, list[str]] = {}
        for (item, _), found in zip(days, at_days):
            for t in found:
                values.setdefault((item, t.start, t.end), []).append(t.value)
        for item, found in at_none.items():
            for t in found:
                span = (item, t.start, t.end)
                if span in resolved and not _ONLY_YEAR_MISSING.match(t.value):
                    low, high = (values.get(span, []) + ["", ""])[:2]
                    resolved[span] = _agreed(low, high) or t.value
    values = rows["value"].copy()  # Arrow strings: only the changed rows are made Python strings
    values.iloc[positions] = [resolved[span] for span in spans]
    return rows.assign(value=values)


def _by_doc_id(documents: pd.DataFrame) -> pd.DataFrame:
    # A loaded corpus is sorted by doc_id already: sorting it again would copy every text.
    return documents if documents["doc_id"].is_monotonic_increasing else documents.sort_values("doc_id")


# A clause ends at a semicolon, a dash, a comma before a conjunction or a relative word, or an "and"/"but" before a
# past form ("drawn up in October and leaked on Nov. 19": two clauses, each with its date).
_CLAUSE_EDGE = re.compile(r";|\s[—–]\s|,\s+(?=(?:and|but|while|whereas|after|before|when|which|who|as|although|"
                          r"though|because|since|until)\b)|\s(?:and|but)\s+(?=(?:[a-z]{3,}ed|" + IRREGULAR_PAST + r")\b)")
_VERB = re.compile(
    r"\b(?:(?:will|would|could|should|shall|may|might|must|can|did|does|do|has|have|had|is|are|was|were)"
    r"(?:\s+not|n['’]t)?\s+(?:been\s+|be\s+)?[a-z]+|[a-z]{3,}ed|" + IRREGULAR_PAST
    + r"|says|begins|meets|holds|visits|signs|votes|calls|tells|warns|plans|agrees|arrives)\b"
)


def _clause(text: str, start: int, end: int, timex: Timex) -> tuple[int, int]:
    """The clause of the sentence [start, end) that holds ``timex``."""
    left, right = start, end
    for m in _CLAUSE_EDGE.finditer(text, start, end):
        if m.end() <= timex.start:
            left = m.end()
        elif m.start() >= timex.end:
            right = m.start()
            break
    return left, right


# The end of what was said before its reporting clause: a quotation closed after a comma ("'…,' Brandt said"), or a
# comma before a short subject and a reporting verb ("…, he said in an interview", "…, the Kremlin told reporters").
# Verbs of saying only, not ``attribution.cue_forms()``: that list, counted on PolNeAR, also holds words around
# attributions ("about", "also", "statement"), and ", also …" ends nothing.
_QUOTE_END = re.compile(r",[\"”]\s+|,\s+(?=(?:[\w.'’-]+\s+){0,4}?(?:said|says|told|tells|wrote|writes|added"
                        r"|announced|stated|insisted|argued|warned|claimed|noted|explained)\b)")


def _after_quote(text: str, left: int, timex: Timex) -> int:
    """Where the reporting clause starts when what was said ends before the date ("'…,' Brandt said on Monday",
    "…, he said in an interview on 28 November": who did what is the saying; the content words of the whole clause
    still tell the event apart)."""
    ends = [m.end() for m in _QUOTE_END.finditer(text, left, timex.start)]
    return ends[-1] if ends and _VERB.search(text, ends[-1], timex.start + 80) else left


_LEADING = re.compile(r"^(?:(?:and|but|while|whereas|after|before|when|which|who|as|although|though|because|since"
                      r"|until|then|also)\b\s*)+", re.I)


# The verb phrase ends at punctuation; a full stop ends it only when no letter or digit follows ("$3.2", "U.S")
# and after a word that is no abbreviation of the sentence splitter's ("leaked on Nov. 19", "U.S. officials", "Mr.
# Trump" go on; "in May." ends).
_PHRASE_PUNCTUATION = re.compile(r"[,;:!?()\"“”]|\.(?!\w)")
_WORD_BEFORE = re.compile(r"[\w.]*$")


def _phrase_end(phrase: str) -> int:
    for m in _PHRASE_PUNCTUATION.finditer(phrase):
        word = _WORD_BEFORE.search(phrase, 0, m.start()).group() if m.group() == "." else ""
        # "U.S." and "D.C." keep their dots; "Nov." and "Mr." are the sentence splitter's abbreviations
        abbreviation = word.lower() in ABBREVIATIONS and not (len(word) == 1 and word.islower())  # an initial: "J."
        if not word or not (abbreviation or "." in word):
            return m.start()
    return len(phrase)


def _predicate(text: str, left: int, right: int, timexes: list[Timex]) -> str:
    """Who did what in a clause, by pattern (no parser): the words before the clause's first verb (back to a comma
    or a date, at most eight), then the verb phrase up to the next punctuation (at most eight words). A clause
    without a verb ("In late November, the delegations …, which …") falls back to its whole sentence span."""
    clause = text[left:right]
    verb = _VERB.search(clause)
    if not verb:
        return ""
    head = left
    for t in timexes:
        if left <= t.end <= left + verb.start():
            head = max(head, t.end)
    comma = clause.rfind(",", head - left, verb.start())
    if comma >= 0:
        head = left + comma + 1
    who = _LEADING.sub("", " ".join(text[head:left + verb.start()].split()[-8:]).lstrip("\"“”‘’ ")).strip()
    rest = clause[verb.start():]
    phrase = rest[:_phrase_end(rest)].split()[:8]
    return " ".join(([who] if who else []) + phrase)


def _agree(a: str, b: str) -> bool:
    """Two dates agree at the coarser one's precision: "2025-11" and "2025-11-23" do, "2025-11-23" and
    "2025-11-24" do not."""
    return a.startswith(b) or b.startswith(a)


def _same_event(a: dict, b: dict) -> bool:
    if not _agree(a["date"], b["date"]):
        return False
    shared = len(a["_words"] & b["_words"])
    union = len(a["_words"] | b["_words"]) or 1
    if a["actors"] and b["actors"]:
        return bool(set(a["actors"]) & set(b["actors"])) and shared >= MERGE_SHARED and shared / union >= MERGE_JACCARD
    return shared >= MERGE_SHARED and shared / union >= ALONE_JACCARD


_LIST_MARK = re.compile(r"^[\s\-•*]+")  # list bullets and any space before a sentence (a no-break space too)


def _excluded_spans(text: str, dated: list[Timex]) -> list[tuple[int, int]]:
    """Stamps, credits (datelines without a date, bylines) and furniture lines: never events, and a sentence that
    opens with one starts after it."""
    return [(s.start, s.end) for s in find_stamps(text, dated)] + credit_spans(text) + furniture_spans(text)


def _document_events(doc_id: str, text: str, dated: list[Timex], article_source: str, mentions: list) -> list[dict]:
    skip = _excluded_spans(text, dated)
    dated = [t for t in dated if not any(s <= t.start and t.end <= e for s, e in skip)]
    found = []
    for start, end in line_sentence_spans(text, [(t.start, t.end) for t in dated]):
        inside = [t for t in dated if start <= t.start and t.end <= end]
        if not inside:
            continue
        # A sentence that opens with a dateline ("BRUSSELS, Nov 23 (Reuters) - …") starts after it.
        start = max([start] + [e for s, e in skip if s <= start < e <= min(t.start for t in inside)])
        actors = sorted({a for a, s, e in mentions if start <= s and e <= end})
        sentence = _LIST_MARK.sub("", text[start:end])
        for (left, right), timexes in _dated_clauses(text, start, end, inside).items():
            # The most precise date of the clause dates it (a time on a day before the day alone); the first on a tie.
            timex = max(timexes, key=lambda t: (len(calendar_date(t.value)), len(t.value), -t.start))
            if not timex.anchored:
                date_source = "explicit"
            elif article_source in ("metadata", "override"):
                date_source = "relative to article date"
            else:
                date_source = "inferred"
            found.append({
                "date": calendar_date(timex.value), "precision": _precision(calendar_date(timex.value)),
                "date_source": date_source, "actors": actors,
                "predicate": _predicate(text, _after_quote(text, left, timex), right, inside), "text": sentence,
                "doc_id": doc_id, "sent_start": start, "sent_end": end, "timex": timex.text, "sources": [doc_id],
                "_words": content_words(text[left:right]),
            })
    return found


def _dated_clauses(text: str, start: int, end: int, timexes: list[Timex]) -> dict[tuple[int, int], list[Timex]]:
    """The clauses of the sentence [start, end) that hold a date (``_clause``; a clause without a verb counts as
    the whole sentence), each with its dates, in text order: each is an event of its own ("The plan, drawn up in
    October; it leaked on Nov. 19": two)."""
    clauses: dict[tuple[int, int], list[Timex]] = {}
    for timex in timexes:
        left, right = _clause(text, start, end, timex)
        if not _VERB.search(text, left, right):
            left, right = start, end
        clauses.setdefault((left, right), []).append(timex)
    return clauses


def _merge(found: Iterable[dict]) -> list[dict]:
    """One row per event: a report agreeing with an earlier row in date (at the coarser precision), actors and
    content words joins it (its article added to ``sources``; the more precise date kept). ``found`` comes in the
    order of date, doc_id and sentence start (``_rows_by_year``'s), and is read one report at a time: the rows of a
    month whose reports are all read are never compared again, so their index and words are let go
    (``_MonthIndex.keep_only``): the word sets of every report of a year were all held until its end (13 MB for the
    8,055 reports of the largest year of 10,000 articles; ten times as many reports at 100,000)."""
    merged: list[dict] = []
    months = _MonthIndex()
    last = None
    for event in found:
        order = (event["date"], event["doc_id"], event["sent_start"])
        if last is not None and order < last:
            raise ValueError(f"events to merge out of order: {order} after {last}")
        if last is None or event["date"][:7] != last[0][:7]:
            months.keep_only({event["date"][:4], event["date"][:7]})
        last = order
        same = next((m for m in months.candidates(event) if _same_event(m, event)), None)
        if same is None:
            merged.append(event)
            months.add(event, event["date"][:7])
            continue
        sources = sorted(set(same["sources"]) | {event["doc_id"]})
        actors = sorted(set(same["actors"]) | set(event["actors"]))
        words = same["_words"] | event["_words"]
        if len(event["date"]) > len(same["date"]):
            # The more precise report tells the event: its date, sentence and predicate.
            same.update({k: v for k, v in event.items() if k not in ("sources", "actors", "_words")})
            months.add(same, event["date"][:7])
        months.more_words(same, words - same["_words"])
        same.update(sources=sources, actors=actors, _words=words)
    for event in merged:
        event["n_sources"] = len(event["sources"])
    return merged


class _MonthIndex:
    """The rows of each month (or year, for dates of a year only), in the order they joined it, indexed by content
    word. Only dates of one month can agree, and ``_same_event`` asks for ``MERGE_SHARED`` content words in common,
    so a row's candidates are the earlier rows of its year and its month that share as many, in that order:
    scanning every row of the month instead took 34–39 s on 10,000 articles and about 17 minutes on 100,000."""

    def __init__(self):
        self.rows: dict[str, list[dict]] = {}
        self.by_word: dict[str, dict[str, list[int]]] = {}  # month -> word -> positions
        self.places: dict[int, list[tuple[str, int]]] = {}  # id(row) -> (month, position) of each of its places

    def add(self, row: dict, month: str) -> None:
        position = len(self.rows.setdefault(month, []))
        self.rows[month].append(row)
        self.places.setdefault(id(row), []).append((month, position))
        index = self.by_word.setdefault(month, {})
        for word in row["_words"]:
            index.setdefault(word, []).append(position)

    def more_words(self, row: dict, words: set[str]) -> None:
        for month, position in self.places[id(row)]:
            index = self.by_word[month]
            for word in words:
                index.setdefault(word, []).append(position)

    def candidates(self, event: dict):
        for month in sorted({event["date"][:4], event["date"][:7]}):
            index = self.by_word.get(month, {})
            shared = Counter(p for word in event["_words"] for p in index.get(word, ()))
            yield from (self.rows[month][p] for p in sorted(p for p, n in shared.items() if n >= MERGE_SHARED))

    def keep_only(self, months: set[str]) -> None:
        """Forget every month (or year) but ``months``; a row in none of those left loses its words (``_words``),
        which only candidates need."""
        for month in [month for month in self.rows if month not in months]:
            # A row made more precise within its month is in its month's rows twice.
            for row in {id(row): row for row in self.rows.pop(month)}.values():
                places = [place for place in self.places[id(row)] if place[0] != month]
                if places:
                    self.places[id(row)] = places
                else:
                    del self.places[id(row)]
                    del row["_words"]
            del self.by_word[month]


def events(documents: pd.DataFrame, anchors: pd.DataFrame, actor_mentions: pd.DataFrame | Parts | None = None,
           timexes: pd.DataFrame | None = None, cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Every clause with a DATE resolved to at least a year, one row per event (``EVENT_COLUMNS``); the same event
    told by several articles is merged into one row listing all ``sources`` and their number ``n_sources``.
    Rows in the order of ``date`` (as text: a year before its months, a month before its days), ``doc_id`` and
    ``sent_start``. A corpus without any datable clause gives an empty table with these columns.

    ``timexes``: the ``timex_table`` of the same documents and anchors, when it is at hand (tagging twice is slow).
    ``cache_dir``: the table is read from the cache when the same documents, anchors, mentions, time expressions and
    code made it before.
    """
    from newslens.cache import cached_tables, code_version, documents_key, frame_key, mapped_folder

    key = {"documents": documents_key(documents), "anchors": frame_key(anchors),
           "mentions": None if actor_mentions is None else frame_key(actor_mentions),
           "timexes": None if timexes is None else frame_key(timexes), "code": code_version()} if cache_dir else {}

    def compute(folder: Path | None) -> tuple[dict[str, Parts], dict]:
        if folder is None or text_chars(documents) < EVENTS_APART_CHARS:
            return {"events": _events(documents, anchors, actor_mentions, timexes, cache_dir, folder)}, {}
        # The time expressions go to the process through a file it maps: as an argument, the table of 100,000
        # articles (1.15 million rows) was pickled here, and 03's kernel rose from 410 to 617 MB as the process
        # started; rebuilt there from the per-document cache, they took that process from 178 to 390 MB.
        scratch = mapped_folder(cache_dir)
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch) as place:
            sent = None if timexes is None else _write_timexes(timexes, Path(place) / "timexes.arrow")
            return {"events": computed_apart(_events, documents, cache_dir, anchors, actor_mentions, sent, cache_dir,
                                             folder)}, {}

    # The text and lists of the events stay in a mapped file of the cache (``Parts.whole``), not in the kernel.
    return cached_tables(cache_dir, "events", key, compute, parted=True)[0]["events"].whole(
        mapped_in=mapped_folder(cache_dir))


# From this many characters of text, ``events`` finds and merges the events in a process of its own (with a cache),
# which ends with it, and reads them back: notebook 03's kernel at 100,000 articles held 234 MB more after finding
# them itself than before (690 MB at its peak), against 92 MB more after reading them from the cache.
EVENTS_APART_CHARS = 5_000_000


def _write_timexes(timexes: pd.DataFrame, path: Path) -> str:
    """``timexes`` (a ``timex_table``) written to the Arrow file ``path`` for another process to map
    (``_mapped_timexes``), as one table: its categories keep one dictionary each."""
    table = pa.Table.from_pandas(timexes, preserve_index=False)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return str(path)


def _mapped_timexes(path: str) -> pd.DataFrame:
    """The table ``_write_timexes`` wrote, its text columns over the mapped file (not copied)."""
    return read_mapped_table(path).to_pandas(types_mapper=text_dtype)


def _events(documents: pd.DataFrame, anchors: pd.DataFrame, actor_mentions: pd.DataFrame | Parts | None,
            timexes: pd.DataFrame | str | None, cache_dir: str | Path | None = None, folder: Path | None = None
            ) -> Parts:
    """``events`` without the corpus-level cache, one part per year:
    each article's dated clauses (read from the per-document cache where there), then merged (in a process of its
    own from ``MERGE_APART_ROWS`` clauses, when there is a ``folder``). ``folder``: where the parts are written as
    they are made (None: kept in memory)."""
    from newslens.cache import mapped_folder

    ordered = _by_doc_id(documents)
    doc_ids, texts = ordered["doc_id"].tolist(), ordered["text"].array  # Arrow strings: indexing gives one str
    # Each document's date source by its place, as a categorical (a dict of (anchor, source) by doc_id: 15 MB at
    # 100,000 articles).
    sources = pd.Categorical(anchors.drop_duplicates("doc_id", keep="last").set_index("doc_id")["source"]
                             .reindex(doc_ids, fill_value="undated"))
    if isinstance(timexes, str):
        timexes = _mapped_timexes(timexes)
    dated_of = _DatedExpressions(timexes if timexes is not None else timex_table(documents, anchors, cache_dir),
                                 doc_ids)
    mentions_of = _MentionIndex(actor_mentions, doc_ids, mapped_folder(cache_dir))

    def document_input(position: int) -> tuple[str, list[Timex], str, list]:
        # Built when needed, one document at a time: the texts of 100,000 articles as Python strings cost 0.4 GB.
        text = texts[position]
        return (text if isinstance(text, str) else "", dated_of.get(position), sources[position],
                mentions_of.get(position))

    out = folder / "events.parquet" if folder else None
    spool = folder / "event-rows.arrow" if folder else None
    try:
        rows, keys = _spooled_event_rows(doc_ids, document_input, cache_dir, spool)
        if spool is not None and rows is not None and rows.num_rows >= MERGE_APART_ROWS:
            # Merged in a process of its own, which ends with it: the level this process stood on during the merge
            # (merge order, the heap the largest years' events break up) peaked at 862 MB in notebook 03 with
            # 100,000 articles, above any notebook with 10,000.
            del rows
            return in_fresh_process(_merged_events_apart, str(spool), keys, doc_ids, str(out))
        return _merged_events(rows, keys, doc_ids, out)
    finally:
        if spool is not None:
            spool.unlink(missing_ok=True)


# From this many event rows (about 63,000 per 10,000 articles), ``_events`` merges them in a process of its own
# (starting one takes a few seconds).
MERGE_APART_ROWS = 100_000


def _merged_events(rows: pa.Table | None, keys: list[str], doc_ids: list[str], path: Path | None) -> Parts:
    """The events of the spooled ``rows`` (``_spooled_event_rows``) merged and written to ``path`` (None: kept in
    memory), one part per year."""
    # Merged a year at a time, in the order ``_merge`` takes them: two events of different years never agree, and
    # a Python dict per event of the whole corpus at once took 1.9 GB at the peak on 100,000 articles. Each year's
    # events are written out without their word sets as they are made: the tables of the years before, held to the
    # end, were what the merge of each later year stood on (the events step of 100,000 articles peaked at 1.2 GB).
    # Each year's lists made Arrow lists (``_EVENT_DTYPES``) as they are merged: the Python lists of every event,
    # held to the end among each year's passing objects, left the heap fragmented (the events step of 100,000
    # articles grew by 0.35 GB over the years).
    writer = PartsWriter(pd.DataFrame(columns=EVENT_COLUMNS).astype(_EVENT_DTYPES), path)
    for found in _rows_by_year(rows, keys, doc_ids) if rows is not None else ():
        merged = _merged_table(found, _merge(_event_dicts(found)))
        del found  # the year's reports: not held while its events are put in order
        # In date order: the timeline reads the events in that order, and rows read out of order from a mapped
        # table bring most of its file into the process (up to 2 MB a row).
        writer.add(merged.sort_values(["date", "doc_id", "sent_start"], kind="stable", ignore_index=True)
                   .astype(_EVENT_DTYPES))
        del merged
        release_free_memory()
    return writer.done()


def _merged_events_apart(spool: str, keys: list[str], doc_ids: list[str], path: str) -> Parts:
    """``_merged_events`` of the rows in the file ``spool``, for a process of its own."""
    return _merged_events(read_mapped_table(spool), keys, doc_ids, Path(path))


def _document_bounds(doc_ids: Sequence[str], rows_of: Iterable[tuple[Sequence[str], np.ndarray, np.ndarray]]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The first row and the row after the last of each document of ``doc_ids``, by its place there (0, 0: no
    rows), from ``rows_of``: (doc_ids, first rows, stop rows) of runs of a table's rows. A document named twice takes
    its last run; a doc_id not in ``doc_ids`` is skipped. As two arrays, not a dict by doc_id (20 MB at 100,000
    articles)."""
    place = {doc_id: number for number, doc_id in enumerate(doc_ids)}
    firsts, stops = np.zeros(len(doc_ids), dtype=np.int64), np.zeros(len(doc_ids), dtype=np.int64)
    for named, first, stop in rows_of:
        numbers = np.fromiter((place.get(doc_id, -1) for doc_id in named), dtype=np.int64, count=len(named))
        known = numbers >= 0
        firsts[numbers[known]], stops[numbers[known]] = first[known], stop[known]
    return firsts, stops


class _MentionIndex:
    """The (actor, start, end) of the mentions of each document of ``doc_ids``, by its place there (``get``), from a
    mention table (a DataFrame, or ``Parts`` read one part at a time, each part the rows of whole documents, as
    ``actors.actor_tables`` makes them), kept as three columns of 32-bit integers in mapped files of ``folder``
    (``memory.MappedArray``; None: in memory): 8.5 million mentions of 100,000 articles as Python tuples would take
    about 0.7 GB, as arrays in memory 0.1 GB, mapped only the pages read since they were last dropped. Grouped once:
    filtering the table per document is quadratic."""

    def __init__(self, mentions: pd.DataFrame | Parts | None, doc_ids: Sequence[str], folder: Path | None = None):
        columns = [MappedArray(folder, np.int32) for _ in range(3)]  # actor (a place in _actors), start, end
        codes: dict[str, int] = {}
        self._firsts, self._stops = _document_bounds(doc_ids, self._runs(mentions, columns, codes))
        self._columns = [column.array() for column in columns]
        self._actors = list(codes)

    @staticmethod
    def _runs(mentions: pd.DataFrame | Parts | None, columns: list[MappedArray], codes: dict[str, int]
              ) -> Iterator[tuple[list[str], np.ndarray, np.ndarray]]:
        # Each part's rows appended to ``columns`` (a document's together), its documents' runs of rows yielded.
        length = 0
        for part in frames_of(mentions, ["doc_id", "actor", "start", "end"]) if mentions is not None else ():
            if not len(part):
                continue
            doc_ids = part["doc_id"].astype(str).to_numpy(dtype=object)
            firsts = np.r_[0, np.flatnonzero(doc_ids[1:] != doc_ids[:-1]) + 1]
            if len(firsts) != len(set(doc_ids[firsts].tolist())):  # a document's rows apart: put them together
                part = part.iloc[np.argsort(doc_ids, kind="stable")]
                doc_ids = part["doc_id"].astype(str).to_numpy(dtype=object)
                firsts = np.r_[0, np.flatnonzero(doc_ids[1:] != doc_ids[:-1]) + 1]
            stops = np.r_[firsts[1:], len(doc_ids)]
            actor = [codes.setdefault(name, len(codes)) for name in part["actor"].astype(str).tolist()]
            for column, values in zip(columns, (actor, part["start"], part["end"])):
                column.append(np.asarray(values, dtype=np.int32))
            yield doc_ids[firsts].tolist(), firsts + length, stops + length
            length += len(part)

    def get(self, position: int) -> list[tuple[str, int, int]]:
        first, stop = self._firsts[position], self._stops[position]
        actors, starts, ends = (column[first:stop].tolist() for column in self._columns)
        return [(self._actors[a], s, e) for a, s, e in zip(actors, starts, ends)]


class _DatedExpressions:
    """The dated expressions of each document of ``doc_ids`` in a ``timex_table``, by its place there (``get``),
    each document's list of ``Timex`` made when asked for from its rows of the table's own columns: a Timex object
    per dated expression of 100,000 articles, held for the whole events step, took 230 MB (6 million Python
    objects, which also left the heap fragmented), and the columns recoded as numbers for the lookup another
    160 MB."""

    _COLUMNS = ("start", "end", "text", "type", "value", "anchored", "mod")

    def __init__(self, timexes: pd.DataFrame, doc_ids: Sequence[str]):
        if not timexes["doc_id"].is_monotonic_increasing:  # a timex_table is; any other table is sorted once
            timexes = timexes.sort_values("doc_id", kind="stable")
        # Each document's rows are consecutive: its first row and the first row after it, found by Arrow (no Python
        # string per row).
        named = pa.chunked_array(timexes["doc_id"].astype(str))
        changes = pc.not_equal(named.slice(1), named.slice(0, max(len(named) - 1, 0)))
        firsts = np.r_[0, np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1] if len(named) else \
            np.zeros(0, dtype=np.int64)
        stops = np.r_[firsts[1:], len(named)]
        self._firsts, self._stops = _document_bounds(doc_ids, [(named.take(firsts).to_pylist(), firsts, stops)])
        # The columns as Arrow arrays over the table's own buffers (no copy of a string column).
        self._columns = [pa.chunked_array(timexes[name]) for name in self._COLUMNS]

    def get(self, position: int) -> list[Timex]:
        first, stop = int(self._firsts[position]), int(self._stops[position])
        found = [Timex(*fields) for fields in zip(*(column.slice(first, stop - first).to_pylist()
                                                    for column in self._columns))]
        return sorted((t for t in found if isinstance(t.value, str) and _datable(t)), key=lambda t: t.start)


# An article's dated clauses as kept in the per-document cache (lists and word sets as JSON; no doc_id: two
# articles with the same text, dates and mentions share an entry). Read back as Arrow strings: as Python strings the
# 630,000 clauses of 100,000 articles took 0.8 GB.
_EVENT_FIELDS = {"date": "str", "precision": "str", "date_source": "str", "actors": "str", "predicate": "str",
                 "text": "str", "sent_start": "int64", "sent_end": "int64", "timex": "str", "words": "str"}


def _spooled_event_rows(doc_ids: list[str], document_input: Callable[[int], tuple], cache_dir: str | Path | None,
                        spool: Path | None = None) -> tuple[pa.Table | None, list[str]]:
    """The rows (``_EVENT_FIELDS`` as stored, by text key) of ``_document_events`` of each document, and each
    document's text key, ``document_input(i)`` giving the (text, dated, article_source, mentions) of
    ``doc_ids[i]``: read from the per-document cache when the same text, dated expressions, date source and
    mentions were seen before, one shard group at a time. With a cache the rows wait in a mapped file of it
    (``memory.MappedTable``; named ``spool`` when given), not in memory: all of them (630,000 at 100,000 articles,
    0.4 GB) were held, and then held again in the merge's order. No rows at all: None."""
    from newslens.cache import KEY, DocumentCache, cached_row_groups, code_version, mapped_folder, text_key

    cache = DocumentCache(cache_dir, "events", f"{code_version()}|{import_nltk().__version__}",
                          _EVENT_FIELDS) if cache_dir else None
    keys = [text_key(json.dumps([text_key(text), [list(vars(t).values()) for t in dated], source, mentions]))
            for text, dated, source, mentions in map(document_input, dropping(range(len(doc_ids))))]

    def compute(positions: list[int]) -> list[list[tuple]]:
        inputs = [document_input(position) for position in dropping(positions)]
        # In worker processes from SPLIT_PARALLEL_CHARS of text (a worker starts in about a second), each document
        # alone: the rows are the same either way.
        jobs = None if sum(len(text) for text, *_ in inputs) >= SPLIT_PARALLEL_CHARS else 1
        return [rows for chunk in map_chunks(_event_rows, chunked(inputs, _EVENT_CHUNK), jobs=jobs) for rows in chunk]

    spooled = MappedTable(mapped_folder(cache_dir), path=spool)
    with kept_workers():  # one set of workers for every shard group
        for _, rows in cached_row_groups(cache, dict(zip(keys, range(len(keys)))), compute, _EVENT_FIELDS):
            if len(rows):
                spooled.append(pa.Table.from_pandas(rows[[KEY, *_EVENT_FIELDS]], preserve_index=False))
            del rows
            release_free_memory()
    return spooled.table(), keys


def _rows_by_year(rows: pa.Table, keys: list[str], doc_ids: list[str]) -> Iterator[pd.DataFrame]:
    """The ``rows`` of ``_spooled_event_rows`` as each document's rows (``_EVENT_FIELDS`` and ``doc_id``), one year
    of dates at a time, in the order ``_merge`` takes them (date, doc_id, sentence start; document order on a
    tie): only a year's rows are taken out of the mapped file at a time."""
    from newslens.cache import KEY

    positions, doc_of_row, year = _merge_order(rows, keys, doc_ids)
    edges = np.r_[0, np.flatnonzero(year[1:] != year[:-1]) + 1, len(year)]
    batches = rows.drop_columns([KEY]).to_batches()  # the text keys are not needed past the merge order
    for first, stop in dropping(zip(edges[:-1], edges[1:]), every=1):
        if stop > first:
            yield _taken(batches, positions[first:stop]).to_pandas().assign(doc_id=doc_of_row[first:stop])


def _merge_order(rows: pa.Table, keys: list[str], doc_ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions in ``rows`` (the event rows of every text key) of each document's rows, in the order ``_merge``
    takes them, with each one's doc_id and year (as a code: equal years, equal codes). A document's rows are those
    of its text key, in their stored order; a key shared by two documents (the same text and dates) gives its rows
    to both. Then sorted on date, doc_id and sentence start alone (document order on a tie). ``doc_ids`` are in
    ascending order (``_by_doc_id``), so a document's place sorts as its doc_id does. Done with Arrow and numpy: a
    Python string per row for the keys, dates and doc_ids of 630,000 rows (100,000 articles) took 200 MB at the
    peak."""
    from newslens.cache import KEY, rows_of_keys

    positions, document = rows_of_keys(rows.column(KEY), keys)
    drop_mapped_pages()  # the keys' pages read from the mapped rows (40 MB at 100,000 articles)
    order = pa.table({"date": rows.column("date").take(positions), "document": document,
                      "sent_start": rows.column("sent_start").take(positions)})
    # Arrow's sort is stable: ties keep document order, as pandas' stable sort did.
    order = pc.sort_indices(order, sort_keys=[("date", "ascending"), ("document", "ascending"),
                                              ("sent_start", "ascending")]).to_numpy()
    year = pc.utf8_slice_codeunits(rows.column("date").take(positions[order]).combine_chunks(), 0, 4)
    # The year as a number per row (its place among the distinct years): the caller only compares neighbours.
    return (positions[order], np.asarray(doc_ids, dtype=object)[document[order]],
            pc.dictionary_encode(year).indices.to_numpy())


def _taken(batches: list[pa.RecordBatch], positions: np.ndarray) -> pa.Table:
    """The rows at ``positions`` (in that order) of the table made of ``batches``, taken batch by batch: taking from
    the whole table joins its batches first (the 0.4 GB of event rows, for every year's take)."""
    starts = np.cumsum([0, *(batch.num_rows for batch in batches)])
    batch_of = np.searchsorted(starts, positions, side="right") - 1
    by_batch = np.argsort(batch_of, kind="stable")
    ordered, bounds = positions[by_batch], np.searchsorted(batch_of[by_batch], np.arange(len(batches) + 1))
    # Each batch's mapped pages are dropped once its rows are taken: a year's rows are spread over the whole file.
    pieces = [batches[number].take(ordered[bounds[number]:bounds[number + 1]] - starts[number])
              for number in dropping(range(len(batches)), every=1) if bounds[number + 1] > bounds[number]]
    grouped = pa.Table.from_batches(pieces, schema=batches[0].schema)
    del pieces
    # Put in order a column at a time, each column's rows in batch order let go once taken: the year's rows joined
    # and then taken were held three times over at once (pieces, joined, taken), the peak of the merge of 100,000
    # articles' events.
    order, columns = pa.array(np.argsort(by_batch, kind="stable")), {}
    for name in grouped.column_names:
        columns[name] = grouped.column(name).take(order)
        grouped = grouped.drop_columns([name])
    return pa.table(columns)


_EVENT_CHUNK = 200  # documents per task of a worker process


def _event_rows(inputs: list[tuple]) -> list[list[tuple]]:
    """The rows kept in the per-document cache (``_EVENT_FIELDS``) of each (text, dated, article_source, mentions):
    the work of one chunk of documents, in any process."""
    return [[(e["date"], e["precision"], e["date_source"], json.dumps(e["actors"]), e["predicate"], e["text"],
              e["sent_start"], e["sent_end"], e["timex"], json.dumps(sorted(e["_words"])))
             for e in _document_events("", *document)] for document in inputs]


def _event_dicts(rows: pd.DataFrame) -> Iterator[dict]:
    """Rows of ``_rows_by_year`` as the event dicts ``_merge`` reads: only what the merge compares and
    joins (date, doc_id, sentence start, actors, content words, sources), and ``_row``, the row's place in ``rows``,
    whose other fields an event keeps (``_merged_table``). With every field, the dicts of the largest year of
    100,000 articles' events held some 0.1 GB more (a Python string per text, predicate and date source). One at a
    time, for ``_merge`` to read as it goes."""
    for row, (date, doc_id, sent_start, actors, words) in enumerate(zip(
            rows["date"], rows["doc_id"], rows["sent_start"], rows["actors"], rows["words"])):
        # Interned: the same content words recur in thousands of events of a large corpus.
        yield {"date": date, "doc_id": doc_id, "sent_start": int(sent_start), "actors": json.loads(actors),
               "_words": frozenset(map(sys.intern, json.loads(words))), "sources": [doc_id], "_row": row}


def _merged_table(rows: pd.DataFrame, merged: list[dict]) -> pd.DataFrame:
    """The events ``_merge`` made of ``_event_dicts(rows)`` as a table (``EVENT_COLUMNS``): each one's fields from
    the row it took them from (``_row``: the most precise report), its actors and sources from the merge."""
    taken = rows.iloc[[event["_row"] for event in merged]].reset_index(drop=True)
    return taken.assign(actors=[event["actors"] for event in merged], sources=[event["sources"] for event in merged],
                        n_sources=[event["n_sources"] for event in merged])[EVENT_COLUMNS]


_CLOCK = re.compile(r"\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.?\s?m\b\.?)?|\bat\b|\b[A-Z]{2,4}T?\b|\b(?:noon|midnight)\b|[\s,/|–-]")


def _datable(t: Timex) -> bool:
    """A DATE resolved to at least a year (``calendar_date``), or a TIME on a resolved day whose text names the day
    ("Dec. 3 at 2 p.m."; a bare "2 p.m." only repeats the article's date)."""
    if t.type == "DATE":
        return bool(calendar_date(t.value))
    return t.type == "TIME" and bool(re.match(r"^\d{4}-\d\d-\d\dT", t.value)) and bool(_CLOCK.sub("", t.text))


_WEEK = re.compile(r"^(\d{4})-W(\d\d)(-WE)?$")


def calendar_date(value: str) -> str:
    """The day, month or year a resolved TimeML value falls in ("2025-11-23T14:00": "2025-11-23"): a week ("last
    week": "2025-W47") or a weekend is its month when it lies in one month, else its year; "" for anything else
    (unresolved, or a quarter or season: too vague to be an event's date). On PolNeAR train 523 expressions were
    weeks ("last week" 186, "this week" 146, "next week" 42, "the weekend" 25 ...), and made no event."""
    if RESOLVED_DATE.match(value[:10]) and value[10:11] in ("", "T"):
        return value[:10]
    week = _WEEK.match(value)
    if week:
        year, number = int(week[1]), int(week[2])
        try:
            first = dt.date.fromisocalendar(year, number, 6 if week[3] else 1)
            last = dt.date.fromisocalendar(year, number, 7)
        except ValueError:
            return ""
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.year:04d}-{first.month:02d}"
        return f"{first.year:04d}" if first.year == last.year else ""
    return ""
