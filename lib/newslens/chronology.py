"""A chronology of a news corpus: when each article was written, and the dated events it reports.

Public surface:
    article_dates(documents) -> DataFrame      doc_id, anchor, earliest, latest, source, confidence, evidence
    timex_table(documents, anchors) -> DataFrame   every time expression, resolved against its article's anchor
    events(documents, anchors, actor_mentions=None, timexes=None) -> DataFrame

Publication dates come from metadata when there is any. Otherwise they are inferred from the text, never from the
wall clock: a fully specified date the article reports in the past ("talks began on 23 November 2025") means it was
published on or after that day, one it announces ("will open on 2 March 2026") on or before it. A day and month
without a year gets its year from the weekday next to it ("Sunday, 23 November" was a Sunday in 2025) or, failing
that, from the other articles of the corpus (the evidence says so). Articles with no such clue stay undated.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from newslens.text import sentence_spans, word_spans
from newslens.timex import WEEKDAYS, Timex, _direction, find_timexes

ARTICLE_COLUMNS = ["doc_id", "anchor", "earliest", "latest", "source", "confidence", "evidence"]
TIMEX_COLUMNS = ["doc_id", "start", "end", "text", "type", "value", "anchored", "mod", "anchor"]
EVENT_COLUMNS = [
    "date", "precision", "date_source", "actors", "text", "doc_id", "sent_start", "sent_end", "timex", "sources",
]
_FULL_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_DAY_MONTH = re.compile(r"^XXXX-(\d\d)-(\d\d)$")
_RESOLVED = re.compile(r"^\d{4}(?:-\d\d(?:-\d\d)?)?$")
# Only an outright future makes an upper bound; "would" in reported speech is a past plan.
_STRICT_FUTURE = re.compile(r"\b(?:will|shall|is\s+(?:due|scheduled|set)\s+to|are\s+(?:due|scheduled|set)\s+to)\b|'ll\b", re.I)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.I)
SIMILAR = 0.5  # token Jaccard above which two dated sentences report the same event


def _published(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _weekday_year(month: int, day: int, weekday: int, near: int) -> int | None:
    """The year nearest ``near`` in which day/month falls on ``weekday``."""
    years = [y for y in range(near - 12, near + 13) if _valid(y, month, day) and dt.date(y, month, day).weekday() == weekday]
    return min(years, key=lambda y: (abs(y - near), y)) if years else None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _clues(text: str, near_year: int | None) -> list[tuple[dt.date, int, float, str]]:
    """(date, direction, confidence, evidence) for every day-precise date of an undated article."""
    clues = []
    for timex in find_timexes(text):
        if timex.type != "DATE":
            continue
        direction = _direction(text, timex.start, timex.end)
        if direction > 0 and not _STRICT_FUTURE.search(text, max(0, timex.start - 80), timex.end + 80):
            direction = 0
        if _FULL_DATE.match(timex.value):
            day = dt.date.fromisoformat(timex.value)
            clues.append((day, direction, 0.6, f"mentions {timex.value} ({timex.text!r})"))
            continue
        m = _DAY_MONTH.match(timex.value)
        if not m or near_year is None:
            continue
        month, day_of_month = int(m.group(1)), int(m.group(2))
        weekday = _WEEKDAY.search(timex.text)
        if weekday:
            year = _weekday_year(month, day_of_month, WEEKDAYS[weekday.group(1).lower()], near_year)
            if year:
                clues.append((dt.date(year, month, day_of_month), direction, 0.5,
                              f"{timex.text!r} is a {weekday.group(1).capitalize()} in {year}, the year nearest "
                              f"{near_year} (corpus)"))
        elif _valid(near_year, month, day_of_month):
            clues.append((dt.date(near_year, month, day_of_month), direction, 0.3,
                          f"{timex.text!r} with the year {near_year} from other articles of the corpus"))
    return clues


def _bounds(clues) -> tuple[dt.date | None, dt.date | None, float, str]:
    past = [c for c in clues if c[1] <= 0]
    future = [c for c in clues if c[1] > 0]
    earliest = max(past, key=lambda c: c[0]) if past else None
    latest = min(future, key=lambda c: c[0]) if future else None
    if earliest and latest and latest[0] < earliest[0]:
        latest = None  # contradicting clues: trust the reported past
    chosen = [c for c in (earliest, latest) if c]
    evidence = "; ".join(
        ("on or after: " if c is earliest else "on or before: ") + c[3] for c in chosen
    )
    confidence = max((c[2] for c in chosen), default=0.0)
    return (earliest[0] if earliest else None), (latest[0] if latest else None), confidence, evidence


def article_dates(documents: pd.DataFrame, corpus_year: int | None = None) -> pd.DataFrame:
    """Publication date of each article: from ``published`` when given, else an interval inferred from the text.

    ``corpus_year`` is the year to assume for a day and month without one; by default the latest year known from
    the corpus itself (metadata, fully specified dates, weekday-qualified dates).
    """
    published = {row.doc_id: _published(getattr(row, "published", None)) for row in documents.itertuples()}
    if corpus_year is None:
        years = [d.year for d in published.values() if d]
        undated_texts = [row.text for row in documents.itertuples() if not published[row.doc_id]]
        rough = max(years, default=None)
        if rough is None:
            explicit = [int(t.value[:4]) for text in undated_texts for t in find_timexes(text)
                        if t.type == "DATE" and re.match(r"^\d{4}", t.value)]
            rough = max(explicit, default=None)
        # Weekday-qualified dates pin their year down; they refine the rough guess for everybody else.
        for text in undated_texts:
            years.extend(c[0].year for c in _clues(text, rough) if c[2] >= 0.5)
        corpus_year = max(years, default=rough)

    rows = []
    for row in documents.itertuples():
        day = published[row.doc_id]
        if day:
            rows.append([row.doc_id, day.isoformat(), day.isoformat(), day.isoformat(), "metadata", 1.0,
                         "published date from metadata"])
            continue
        earliest, latest, confidence, evidence = _bounds(_clues(row.text or "", corpus_year))
        anchor = earliest or latest
        if anchor is None:
            rows.append([row.doc_id, "", "", "", "undated", 0.0, ""])
            continue
        rows.append([row.doc_id, anchor.isoformat(), earliest.isoformat() if earliest else "",
                     latest.isoformat() if latest else "", "inferred", confidence, evidence])
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)


def _precision(value: str) -> str:
    return {4: "year", 7: "month", 10: "day"}[len(value)]


def _tokens(text: str) -> frozenset[str]:
    return frozenset(text[s:e].lower() for s, e in word_spans(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def timex_table(documents: pd.DataFrame, anchors: pd.DataFrame) -> pd.DataFrame:
    """Every time expression of every article, resolved against the article's ``anchor`` (from ``article_dates``;
    none for an undated article), sorted by doc_id and offset."""
    anchor_of = dict(zip(anchors["doc_id"], anchors["anchor"])) if len(anchors) else {}
    rows = []
    for doc_id, text in sorted(zip(documents["doc_id"], documents["text"])):
        anchor = anchor_of.get(doc_id, "")
        for t in find_timexes(text or "", _published(anchor)):
            rows.append([doc_id, t.start, t.end, t.text, t.type, t.value, t.anchored, t.mod, anchor])
    return pd.DataFrame(rows, columns=TIMEX_COLUMNS)


def _line_sentences(text: str, timexes: list[Timex]) -> list[tuple[int, int]]:
    """``sentence_spans`` of only the lines that hold a timex. A line break always ends a sentence, so this gives the
    same spans as splitting the whole text, several times faster on long articles."""
    regions: list[list[int]] = []
    for t in timexes:
        start = text.rfind("\n", 0, t.start) + 1
        end = text.find("\n", t.end)
        end = len(text) if end < 0 else end
        if regions and start <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], end)
        else:
            regions.append([start, end])
    return [(start + s, start + e) for start, end in regions for s, e in sentence_spans(text[start:end])]


def events(documents: pd.DataFrame, anchors: pd.DataFrame, actor_mentions: pd.DataFrame | None = None,
           timexes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every sentence with a DATE resolved to at least a year, one row per event; the same event told by several
    articles (same date, token Jaccard >= SIMILAR) is merged into one row listing all ``sources``.

    ``timexes``: the ``timex_table`` of the same documents and anchors, when it is at hand (tagging twice is slow).
    """
    info = {row.doc_id: (row.anchor, row.source) for row in anchors.itertuples()}
    given: dict[str, list[Timex]] | None = None
    if timexes is not None:
        given = {}
        dated = timexes[(timexes["type"] == "DATE") & timexes["value"].astype(str).str.match(_RESOLVED.pattern)]
        for row in dated.itertuples():
            given.setdefault(row.doc_id, []).append(
                Timex(int(row.start), int(row.end), row.text, row.type, row.value, bool(row.anchored), row.mod))
    # Grouped once: filtering the mention table per document is quadratic on a large corpus.
    mentions_by_doc: dict[str, list] = {}
    if actor_mentions is not None and len(actor_mentions):
        for doc_id, actor, s, e in zip(actor_mentions["doc_id"], actor_mentions["actor"], actor_mentions["start"],
                                       actor_mentions["end"]):
            mentions_by_doc.setdefault(doc_id, []).append((actor, s, e))
    found = []
    for row in documents.sort_values("doc_id").itertuples():
        text = row.text or ""
        anchor_value, article_source = info.get(row.doc_id, ("", "undated"))
        anchor = _published(anchor_value)
        mentions = mentions_by_doc.get(row.doc_id, [])
        if given is None:
            dated = [t for t in find_timexes(text, anchor) if t.type == "DATE" and _RESOLVED.match(t.value)]
        else:
            dated = sorted(given.get(row.doc_id, []), key=lambda t: t.start)
        for start, end in _line_sentences(text, dated):
            inside = [t for t in dated if start <= t.start and t.end <= end]
            if not inside:
                continue
            # The most precise date of the sentence dates it; the first one on a tie.
            timex = max(inside, key=lambda t: (len(t.value), -t.start))
            if not timex.anchored:
                date_source = "explicit"
            elif article_source in ("metadata", "override"):
                date_source = "relative to article date"
            else:
                date_source = "inferred"
            actors = sorted({a for a, s, e in mentions if start <= s and e <= end})
            sentence = text[start:end].lstrip("-•* \t")
            found.append({
                "date": timex.value, "precision": _precision(timex.value), "date_source": date_source,
                "actors": actors, "text": sentence, "doc_id": row.doc_id, "sent_start": start, "sent_end": end,
                "timex": timex.text, "sources": [row.doc_id], "_tokens": _tokens(sentence),
            })

    merged: list[dict] = []
    by_date: dict[str, list[dict]] = {}  # only events of the same date can merge; a scan of all is quadratic
    for event in sorted(found, key=lambda e: (e["date"], e["doc_id"], e["sent_start"])):
        candidates = by_date.setdefault(event["date"], [])
        same = next((m for m in candidates if _jaccard(m["_tokens"], event["_tokens"]) >= SIMILAR), None)
        if same is None:
            merged.append(event)
            candidates.append(event)
            continue
        if event["doc_id"] not in same["sources"]:
            same["sources"].append(event["doc_id"])
        same["actors"] = sorted(set(same["actors"]) | set(event["actors"]))
    table = pd.DataFrame(merged, columns=EVENT_COLUMNS + ["_tokens"]).drop(columns="_tokens")
    return table.reset_index(drop=True)
