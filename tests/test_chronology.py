"""Article dates and events on the seed articles; expectations worked out by hand (23 Nov 2025 is a Sunday)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newslens.chronology import ARTICLE_COLUMNS, EVENT_COLUMNS, _merge, article_dates, events

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> pd.DataFrame:
    # doc ids "000" ... "004"; no metadata, so every date must come from the text
    return pd.DataFrame(
        [{"doc_id": p.stem[:3], "text": p.read_text(), "published": ""} for p in sorted(SEEDS.glob("*.txt"))]
    )


@pytest.fixture(scope="module")
def seed_dates(seeds) -> pd.DataFrame:
    return article_dates(seeds).set_index("doc_id")


def test_article_dates_columns(seeds):
    assert list(article_dates(seeds).columns) == ARTICLE_COLUMNS


def test_weekday_qualified_date_dates_the_geneva_article(seed_dates):
    row = seed_dates.loc["000"]
    # "On Sunday, 23 November, negotiations ... began": published on or after that Sunday, 2025, and, a weekday
    # being named with the date, within six days after it (23-29 November).
    assert (row.source, row.earliest, row.anchor, row.latest) == ("inferred", "2025-11-23", "2025-11-23",
                                                                  "2025-11-29")
    assert "Sunday" in row.evidence


def test_year_from_the_corpus_is_stated(seed_dates):
    row = seed_dates.loc["003"]
    # "Putin said on the 2nd of December": no year in the article; 2025 from the Geneva article's pinned Sunday
    # (the only later year than February 2022). The bound is taken a year out (2024-12-02); the anchor is the guess.
    assert (row.source, row.earliest, row.anchor, row.latest) == ("inferred", "2024-12-02", "2025-12-02", "")
    assert "corpus" in row.evidence
    assert row.confidence < seed_dates.loc["000"].confidence


def test_a_past_year_is_only_a_lower_bound_without_anchor(seed_dates):
    row = seed_dates.loc["004"]
    # "Russia's sovereignty over the annexed Crimea ... in 2014": written on or after 1 January 2014; no day to
    # count "on Friday" from, so no anchor.
    assert (row.source, row.earliest, row.latest, row.anchor, row.confidence) == (
        "inferred", "2014-01-01", "", "", 0.3)


@pytest.mark.parametrize("doc_id", ["001", "002"])
def test_articles_without_clues_stay_undated(seed_dates, doc_id):
    row = seed_dates.loc[doc_id]
    assert (row.source, row.anchor, row.earliest, row.latest, row.confidence) == ("undated", "", "", "", 0.0)


def test_metadata_wins_and_missing_values_are_tolerated():
    docs = pd.DataFrame(
        [
            {"doc_id": "a", "text": "On Sunday, 23 November, talks began.", "published": "2025-12-05T08:00:00Z"},
            {"doc_id": "b", "text": "Nothing dated here.", "published": float("nan")},
        ]
    )
    table = article_dates(docs).set_index("doc_id")
    assert (table.loc["a"].source, table.loc["a"].anchor, table.loc["a"].confidence) == ("metadata", "2025-12-05", 1.0)
    assert table.loc["b"].source == "undated"


def test_past_and_future_full_dates_bound_the_interval():
    text = "The talks began on 23 November 2025. The summit will open on 2 March 2026."
    row = article_dates(pd.DataFrame([{"doc_id": "x", "text": text, "published": None}])).iloc[0]
    assert (row.source, row.earliest, row.latest, row.anchor) == ("inferred", "2025-11-23", "2026-03-02", "2025-11-23")


# --- events -----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_events(seeds, seed_dates) -> pd.DataFrame:
    return events(seeds, seed_dates.reset_index())


def _event(table: pd.DataFrame, date: str, doc_id: str, word: str) -> pd.Series:
    rows = table[(table.date == date) & (table.doc_id == doc_id) & table.text.str.contains(word)]
    assert len(rows) == 1, table[["date", "doc_id", "text"]]
    return rows.iloc[0]


def test_events_found_in_worker_processes_are_the_same(seeds, seed_dates, seed_events, tmp_path, monkeypatch):
    from newslens import chronology, parallel

    # Every amount of text goes to two worker processes, a document per task; stored in a cache and read back.
    monkeypatch.setattr(chronology, "SPLIT_PARALLEL_CHARS", 0)
    monkeypatch.setattr(chronology, "_EVENT_CHUNK", 1)
    monkeypatch.setattr(parallel, "default_jobs", lambda jobs=None: 2)
    monkeypatch.setattr(parallel, "default_scheduler", lambda: "")
    pools = []
    in_pool = parallel._in_pool
    monkeypatch.setattr(parallel, "_in_pool", lambda function, chunks, workers, bar: (
        pools.append((function.__name__, len(chunks), workers)) or in_pool(function, chunks, workers, bar)))
    in_workers = events(seeds, seed_dates.reset_index(), cache_dir=tmp_path)
    assert pools and all(name == "_event_rows" and workers == 2 for name, _, workers in pools)
    # A shard group of one document before the workers run stays in this process (map_chunks); the others go to
    # the two workers, one task per document.
    assert 2 <= sum(n for _, n, _ in pools) <= 5
    pd.testing.assert_frame_equal(in_workers, seed_events)

def test_events_merged_in_a_process_of_their_own_are_the_same(seeds, seed_dates, seed_events, tmp_path, monkeypatch):
    from newslens import chronology, parallel

    children = []

    def counted(function, spool, *arguments):
        children.append((function.__name__, Path(spool).exists()))
        return parallel.in_fresh_process(function, spool, *arguments)

    # Every corpus with at least one event row is merged apart, from the rows spooled to a named file of the cache.
    monkeypatch.setattr(chronology, "MERGE_APART_ROWS", 1)
    monkeypatch.setattr(chronology, "in_fresh_process", counted)
    apart = events(seeds, seed_dates.reset_index(), cache_dir=tmp_path)
    assert children == [("_merged_events_apart", True)]
    pd.testing.assert_frame_equal(apart, seed_events)
    # The spooled rows are gone with the merge; only the cache entries stay.
    assert not list(tmp_path.rglob("event-rows.arrow"))


def test_events_found_in_a_process_of_their_own_are_the_same(seeds, seed_dates, seed_events, tmp_path, monkeypatch):
    from newslens import chronology, parallel

    anchors = seed_dates.reset_index()
    timexes = chronology.timex_table(seeds, anchors)
    here = events(seeds, anchors, timexes=timexes)
    started = []

    in_fresh_process = parallel.in_fresh_process

    def counted(function, computed, path, arguments):  # corpus.computed_apart's: (_read_then, the function, ...)
        started.append(computed.__name__)
        # The time-expression table is not pickled in this process: the process maps it from a file.
        assert not any(isinstance(argument, pd.DataFrame) and "value" in argument for argument in arguments)
        assert arguments[2].endswith("timexes.arrow") and os.path.exists(arguments[2])
        return in_fresh_process(function, computed, path, arguments)

    def refused(*arguments):
        raise AssertionError("events found in this process")

    # Every corpus is sent to a process of its own (the seeds are far below EVENTS_APART_CHARS); none of the work
    # is done here.
    monkeypatch.setattr(chronology, "EVENTS_APART_CHARS", 1)
    monkeypatch.setattr(parallel, "in_fresh_process", counted)
    monkeypatch.setattr(chronology, "_spooled_event_rows", refused)
    apart = events(seeds, anchors, timexes=timexes, cache_dir=tmp_path)
    assert started == ["_events"]
    pd.testing.assert_frame_equal(apart, here)
    assert len(apart) == len(seed_events) > 0
    assert not list((tmp_path / "mapped").iterdir())  # the documents' file is gone
    started.clear()
    again = events(seeds, anchors, timexes=timexes, cache_dir=tmp_path)  # read from the cache, here
    assert started == []
    pd.testing.assert_frame_equal(again, here)


def test_event_columns_and_order(seed_events):
    assert list(seed_events.columns) == EVENT_COLUMNS
    assert list(seed_events.date) == sorted(seed_events.date)


def test_geneva_talks(seed_events):
    row = _event(seed_events, "2025-11-23", "000", "negotiations between Ukrainian and US delegations began")
    assert (row.precision, row.date_source, row.timex) == ("day", "inferred", "Sunday, 23 November")
    assert row.text.startswith("On Sunday, 23 November")  # the bullet dash is not part of the event


def test_putins_remarks(seed_events):
    row = _event(seed_events, "2025-12-02", "003", "Putin said")
    assert (row.precision, row.date_source) == ("day", "inferred")


def test_invasion_and_crimea_are_explicit(seed_events):
    invasion = _event(seed_events, "2022-02", "003", "full-scale invasion")
    assert (invasion.precision, invasion.date_source) == ("month", "explicit")
    crimea = _event(seed_events, "2014", "004", "Crimea")
    assert (crimea.precision, crimea.date_source) == ("year", "explicit")


def test_undated_articles_give_no_relative_events(seed_events):
    # 004 is undated: its "on Friday" stays unresolved, only the explicit 2014 remains. 001 and 002 have no
    # date resolved to a year at all ("in November" without an anchor is XXXX-11).
    assert list(seed_events[seed_events.doc_id == "004"].date) == ["2014"]
    assert not seed_events.doc_id.isin(["001", "002"]).any()


def test_relative_dates_of_a_dated_article():
    docs = pd.DataFrame([{"doc_id": "m", "text": "Putin said on the 2nd of December that he was ready.",
                          "published": "2025-12-05"}])
    table = events(docs, article_dates(docs))
    assert list(zip(table.date, table.date_source)) == [("2025-12-02", "relative to article date")]


def test_same_event_from_two_articles_is_merged_with_actors():
    sentence = "On 23 November 2025, negotiations between Ukraine and the US began in Geneva."
    docs = pd.DataFrame(
        [
            {"doc_id": "b", "text": sentence, "published": ""},
            {"doc_id": "a", "text": "Reportedly, on 23 November 2025, negotiations between Ukraine and the US began "
                                    "in Geneva.", "published": ""},
            {"doc_id": "c", "text": "On 23 November 2025, it rained in Oslo.", "published": ""},
        ]
    )
    start = sentence.index("Ukraine")
    mentions = pd.DataFrame([{"doc_id": "b", "actor": "Ukraine", "start": start, "end": start + len("Ukraine")}])
    table = events(docs, article_dates(docs), mentions)
    assert len(table) == 2
    merged = table[table.text.str.contains("Geneva")].iloc[0]
    # Rows are visited by doc_id, so "a" comes first and "b" is added as a second source.
    assert (merged.doc_id, merged.sources, merged.actors) == ("a", ["a", "b"], ["Ukraine"])
    assert table.equals(events(docs, article_dates(docs), mentions))


def test_mentions_in_parts_give_the_events_of_the_whole_table():
    from newslens.parts import PartsWriter

    texts = {"a": "On 3 May 2024, Tallinn and Riga signed a rail deal.", "b": "Riga said on 4 May 2024 it was glad.",
             "c": "On 5 May 2024, nothing happened.", "d": "On 6 May 2024, Vilnius and Tallinn met."}
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in texts.items()])
    rows = [{"doc_id": k, "actor": name, "start": t.index(name), "end": t.index(name) + len(name)}
            for k, t in texts.items() for name in ("Tallinn", "Riga", "Vilnius") if name in t]
    whole = pd.DataFrame(rows).sort_values(["doc_id", "start"], ignore_index=True)
    writer = PartsWriter(whole.iloc[:0])
    writer.add(whole[whole.doc_id == "a"])  # a part per run of documents; "c" has no mention at all
    writer.add(whole[whole.doc_id.isin(["b", "d"])])
    dates = article_dates(docs)
    table = events(docs, dates, writer.done())
    assert table.equals(events(docs, dates, whole))
    assert table.equals(events(docs, dates, whole.iloc[::-1]))  # a table in any order
    assert list(table.actors) == [["Riga", "Tallinn"], ["Riga"], [], ["Tallinn", "Vilnius"]]


# --- events as dated clauses, merged across articles (sentences written for these tests) -------------------------

def _mentions(doc_id: str, text: str, *names: str) -> list[dict]:
    return [{"doc_id": doc_id, "actor": n, "start": text.index(n), "end": text.index(n) + len(n)} for n in names]


def test_event_has_predicate_precision_and_date_source():
    text = "Police closed the bridge on Monday. On 2 December 2025, Norway and Chile signed a fisheries treaty in Oslo."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": "2025-12-05"}])
    table = events(docs, article_dates(docs), pd.DataFrame(_mentions("a", text, "Norway", "Chile")))
    monday, treaty = table.itertuples()
    # Monday before Friday 5 December 2025 is 1 December: relative to the metadata date
    assert (monday.date, monday.precision, monday.date_source, monday.predicate) == (
        "2025-12-01", "day", "relative to article date", "Police closed the bridge on Monday")
    assert (treaty.date, treaty.precision, treaty.date_source) == ("2025-12-02", "day", "explicit")
    assert treaty.predicate == "Norway and Chile signed a fisheries treaty in Oslo"
    assert treaty.n_sources == 1


def test_predicate_is_taken_from_the_clause_of_the_date():
    text = "Chile protested in 2019, and Norway signed the treaty on 2 December 2025."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": ""}])
    table = events(docs, article_dates(docs), pd.DataFrame(_mentions("a", text, "Norway", "Chile")))
    # each dated clause (the second after ", and") is an event: its date and who did what; the actors are the
    # sentence's
    assert sorted(zip(table["date"], table["predicate"])) == [
        ("2019", "Chile protested in 2019"), ("2025-12-02", "Norway signed the treaty on 2 December 2025")]
    assert [list(actors) for actors in table["actors"]] == [["Chile", "Norway"]] * 2


def test_reports_agreeing_in_date_actors_and_words_merge():
    a = "On 2 December 2025, Norway and Chile signed a fisheries treaty in Oslo."
    b = "Norway and Chile signed their first fisheries treaty in December 2025, officials in Oslo said."
    c = "On 2 December 2025, Norway and Chile played a football match."  # same day and actors, other event
    d = "On 3 December 2025, Norway and Chile signed a fisheries treaty in Oslo."  # other day
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in zip("abcd", (a, b, c, d))])
    mentions = pd.DataFrame([m for k, t in zip("abcd", (a, b, c, d)) for m in _mentions(k, t, "Norway", "Chile")])
    table = events(docs, article_dates(docs), mentions)
    # b's month agrees with a's day at month precision; the merged row keeps the day
    assert [(r.date, r.sources, r.n_sources) for r in table.itertuples()] == [
        ("2025-12-02", ["a", "b"], 2), ("2025-12-02", ["c"], 1), ("2025-12-03", ["d"], 1)]


def test_events_are_in_date_order_after_merging():
    # b (month) is the first row of December; a (2 December) merges into b's event and gives it its day, which then
    # lies after e's 1 December: in the order the merge made them, the events would be b+a, e, c, d.
    b = "Norway and Chile signed their first fisheries treaty in December 2025, officials in Oslo said."
    e = "On 1 December 2025, Norway and Chile played a football match."
    a = "On 2 December 2025, Norway and Chile signed a fisheries treaty in Oslo."
    c = "On 2 December 2025, Norway and Chile held a joint press conference."
    d = "On 3 December 2025, Norway and Chile signed a fisheries treaty in Oslo."
    texts = {"a": a, "b": b, "c": c, "d": d, "e": e}
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in texts.items()])
    mentions = pd.DataFrame([m for k, t in texts.items() for m in _mentions(k, t, "Norway", "Chile")])
    table = events(docs, article_dates(docs), mentions)
    assert [(r.date, r.doc_id, r.sources) for r in table.itertuples()] == [
        ("2025-12-01", "e", ["e"]), ("2025-12-02", "a", ["a", "b"]), ("2025-12-02", "c", ["c"]),
        ("2025-12-03", "d", ["d"])]


def test_events_of_several_years_are_merged_year_by_year_in_date_order(tmp_path):
    a = "On 2 December 2025, Norway and Chile signed a fisheries treaty in Oslo."
    b = "On 2 December 2024, Norway and Chile signed a fisheries treaty in Oslo."  # a year earlier: another event
    c = "Norway and Chile signed a fisheries treaty in Oslo on 2 December 2025."
    d = "In 2024 Norway and Chile signed a fisheries treaty in Oslo."  # the year only: agrees with b
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in zip("abcd", (a, b, c, d))])
    mentions = pd.DataFrame([m for k, t in zip("abcd", (a, b, c, d)) for m in _mentions(k, t, "Norway", "Chile")])
    table = events(docs, article_dates(docs), mentions)
    assert [(r.date, r.sources, r.n_sources) for r in table.itertuples()] == [
        ("2024-12-02", ["b", "d"], 2), ("2025-12-02", ["a", "c"], 2)]
    # In a cache, each year's events are written as one part as soon as they are merged, and read back whole.
    cached = events(docs, article_dates(docs), mentions, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(cached, table)
    [stored] = (tmp_path / "events-tables").glob("*/events.parquet")
    parts = pq.ParquetFile(stored)
    assert [parts.read_row_group(i)["date"].to_pylist() for i in range(parts.num_row_groups)] == [
        ["2024-12-02"], ["2025-12-02"]]
    assert parts.read_row_group(0)["sources"].to_pylist() == [["b", "d"]]  # lists stored as lists
    kind = cached["sources"].dtype.pyarrow_dtype  # read back as Arrow lists of text, not Python objects
    assert pa.types.is_list(kind) and pa.types.is_string(kind.value_type)


def test_without_actors_only_close_wording_merges():
    a = "On 2 December 2025 the harbour of Bergen froze completely overnight."
    b = "The harbour of Bergen froze completely on 2 December 2025."
    c = "On 2 December 2025 the harbour authority raised its fees."
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in zip("abc", (a, b, c))])
    table = events(docs, article_dates(docs))
    assert [(r.sources, r.n_sources) for r in table.itertuples()] == [(["a", "b"], 2), (["c"], 1)]


def _report(doc_id: str, date: str, words: set[str], actors=("Norway",)) -> dict:
    return {"date": date, "doc_id": doc_id, "sent_start": 0, "_words": set(words), "actors": list(actors),
            "sources": [doc_id], "text": f"report {doc_id}"}


def test_merge_joins_the_first_agreeing_row_and_learns_its_words():
    merged = _merge([
        _report("x", "2025-11-01", {"alpha", "beta"}),
        _report("y", "2025-11-01", {"alpha", "beta"}, actors=("Chile",)),  # no actor in common with "x"
        _report("z", "2025-11-01", {"alpha", "beta"}, actors=("Chile", "Norway")),  # agrees with both: joins "x"
        _report("a", "2025-12", {"treaty", "fisheries", "signed"}),
        _report("b", "2025-12-02", {"treaty", "fisheries", "signed", "oslo", "ministers"}),
        # shares only the words "b" brought to the row of "a" (2 of 6: enough with a shared actor)
        _report("c", "2025-12-02", {"oslo", "ministers", "ceremony"}),
        _report("d", "2025-12-02", {"treaty", "football", "match"}),  # one word in common: another event
    ])
    assert [(row["date"], row["text"], row["sources"], row["n_sources"]) for row in merged] == [
        ("2025-11-01", "report x", ["x", "z"], 2), ("2025-11-01", "report y", ["y"], 1),
        ("2025-12-02", "report b", ["a", "b", "c"], 3), ("2025-12-02", "report d", ["d"], 1)]


def test_merge_reads_reports_in_order_and_lets_finished_months_go():
    year = _report("a", "2025", {"summit", "geneva", "talks"})  # a date of a year only: compared all year long
    march = _report("b", "2025-03-02", {"summit", "geneva", "talks", "ceasefire"})  # joins the year's row
    march_other = _report("c", "2025-03-02", {"harbour", "closed"})
    july = _report("d", "2025-07-01", {"harbour", "closed", "again"})  # March is finished: never compared with "c"
    merged = _merge([year, march, march_other, july])
    assert [(row["date"], row["sources"]) for row in merged] == [
        ("2025-03-02", ["a", "b"]), ("2025-03-02", ["c"]), ("2025-07-01", ["d"])]
    # The rows of March that were not also the year's lost their words when July's report came; the rest kept them.
    assert "_words" not in merged[1] and "_words" in merged[0] and "_words" in merged[2]
    with pytest.raises(ValueError, match="out of order"):
        _merge([_report("b", "2025-03-02", {"summit"}), _report("a", "2025", {"summit"})])


def test_dateline_and_header_are_never_events():
    text = "OSLO, Dec. 3 (Wire) — Norway signed the treaty on Tuesday.\nThursday, 27 November, 2025\nIt rained."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": ""}])
    # the dateline and the header line are stamps: evidence for the article's date, never events
    table = events(docs, article_dates(docs))
    assert len(table) and not table.timex.str.contains("Dec. 3|27 November").any()


def test_predicate_of_a_quotation_dated_after_it_is_the_saying():
    texts = {"a": "“The harbour stays closed,” the mayor said on 2 December 2025.",
             "b": "“We will reopen the harbour on 9 December 2025,” the mayor said."}
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in texts.items()])
    table = events(docs, article_dates(docs))
    # a: the date belongs to the saying; b: to what was said
    assert sorted(zip(table["doc_id"], table["predicate"])) == [
        ("a", "the mayor said on 2 December 2025"), ("b", "We will reopen the harbour on 9 December 2025")]


def test_predicate_of_reported_speech_dated_after_it_and_abbreviations_in_it():
    texts = {"a": "Elections could follow a ceasefire, he said in an interview on 2 December 2025.",
             "b": "The draft plan was leaked on Nov. 19, 2025 by U.S. officials in Washington.",
             "c": "The harbour reopened on 3 December 2025 at a cost of $3.2 million.",
             "d": "He bought the bridge in 2014."}  # an irregular past form
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in texts.items()])
    table = events(docs, article_dates(docs))
    predicates = dict(zip(table["doc_id"], table["predicate"]))
    assert predicates == {"a": "he said in an interview on 2 December 2025",
                          "b": "The draft plan was leaked on Nov. 19",  # the phrase ends at the comma
                          "c": "The harbour reopened on 3 December 2025 at a cost",  # a verb phrase of 8 words
                          "d": "He bought the bridge in 2014"}


def test_predicate_subject_stops_at_a_comma_or_date_and_drops_conjunctions():
    text = "On 2 December 2025, after a long night, the harbour workers ended their strike in Bergen."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": ""}])
    (row,) = events(docs, article_dates(docs)).itertuples()
    assert row.predicate == "the harbour workers ended their strike in Bergen"


def test_a_small_corpus_some_of_it_undated():
    # a: a wire dateline without year; b: a "Published" stamp; c: no date at all, only "on Tuesday".
    texts = {
        "a": "KYIV, Dec. 2 (Wire) — Norway and Chile signed a fisheries treaty in Oslo on Tuesday, officials said.\n"
             "The ministers will meet again on 9 December 2025.",
        "b": "Published: 3 December 2025\nOn 2 December 2025, Norway and Chile signed a fisheries treaty in Oslo.",
        "c": "The foreign ministers of Norway and Chile signed a fisheries treaty in Oslo on Tuesday.",
    }
    docs = pd.DataFrame([{"doc_id": k, "text": t, "published": ""} for k, t in texts.items()])
    mentions = pd.DataFrame([m for k, t in texts.items() for m in _mentions(k, t, "Norway", "Chile")])
    anchors = article_dates(docs).set_index("doc_id")
    # The corpus names December 2025 (a, b): the dateline's 2 December is 2025, a day either side; b's stamp the
    # same; c reports b's treaty of Tuesday 2 December 2025 and names Tuesday: the six days after it.
    assert [tuple(anchors.loc[k, ["earliest", "latest", "anchor"]]) for k in "abc"] == [
        ("2025-12-01", "2025-12-03", "2025-12-02"), ("2025-12-02", "2025-12-04", "2025-12-03"),
        ("2025-12-02", "2025-12-08", "2025-12-08")]
    table = events(docs, anchors.reset_index(), mentions)
    # one treaty, reported by all three; the announced meeting by a alone; no dateline or stamp among the events
    assert [(r.date, r.sources, r.n_sources) for r in table.itertuples()] == [
        ("2025-12-02", ["a", "b", "c"], 3), ("2025-12-09", ["a"], 1)]


def test_dated_expressions_of_a_document_from_its_rows_of_the_timex_table():
    import numpy as np

    from newslens.chronology import _DatedExpressions, _merge_order
    from newslens.timex import Timex

    rows = [  # doc_id, start, end, text, type, value, anchored, mod: two documents' rows interleaved
        ("b", 30, 38, "Saturday", "DATE", "2025-03-01", True, ""),
        ("a", 40, 47, "2 weeks", "DURATION", "P2W", False, ""),
        ("b", 5, 9, "2024", "DATE", "2024", False, "START"),
        ("a", 10, 18, "March 3", "DATE", "2025-03-03", True, ""),
        ("a", 60, 64, "2 pm", "TIME", "2025-03-03T14:00", True, ""),  # a bare clock time repeats the date
        ("b", 50, 57, "someday", "DATE", None, False, ""),  # no value: not datable
    ]
    table = pd.DataFrame(rows, columns=["doc_id", "start", "end", "text", "type", "value", "anchored", "mod"])
    dated = _DatedExpressions(table, ["a", "b", "c"])  # by place in this list; "c" has no rows
    assert dated.get(0) == [Timex(10, 18, "March 3", "DATE", "2025-03-03", True, "")]
    assert dated.get(1) == [Timex(5, 9, "2024", "DATE", "2024", False, "START"),
                            Timex(30, 38, "Saturday", "DATE", "2025-03-01", True, "")]
    assert dated.get(2) == []

    # Event rows of three text keys; documents x and z share key k1, y has k2; k3 belongs to no document.
    events = pa.table({"text_sha256": ["k2", "k1", "k3", "k1", "k2"],
                       "date": ["2025-03", "2025-03-01", "2024", "2024-12-31", "2025-03"],
                       "sent_start": [50, 0, 0, 9, 7]})
    positions, doc_of_row, year = _merge_order(events, ["k1", "k2", "k1"], ["x", "y", "z"])
    # By date, then doc_id, then sentence start: 2024-12-31 (x, z), 2025-03 (y: 7 then 50), 2025-03-01 (x, z).
    assert positions.tolist() == [3, 3, 4, 0, 1, 1]
    assert doc_of_row.tolist() == ["x", "z", "y", "y", "x", "z"]
    assert np.array_equal(year == year[0], [True, True, False, False, False, False])
    assert len(set(year[2:].tolist())) == 1



def _inferred(doc_id: str, anchor: str, earliest: str, latest: str, source: str = "inferred") -> dict:
    return {"doc_id": doc_id, "anchor": anchor, "earliest": earliest, "latest": latest, "source": source,
            "confidence": 0.6, "evidence": "written for the test"}


def test_relative_expressions_are_resolved_over_an_inferred_interval():
    from newslens.chronology import timex_table

    # 3 December 2026 is a Thursday.
    texts = {
        "open": "The ministers met on Friday. The accord was signed on 3 December.",  # on or after a day: open
        "week": "Talks resumed yesterday. Last year the talks failed.",  # within 3-9 December 2026
        "cross": "The vote was held on Monday.",  # within 29 December 2026 - 6 January 2027
        "stated": "BRUSSELS, Dec 3 - Talks resumed on Monday.",  # a dateline: a day's slack each way
        "meta": "The ministers met on Friday.",  # a published date from the metadata (a Wednesday)
    }
    docs = pd.DataFrame({"doc_id": list(texts), "text": list(texts.values())}).sort_values("doc_id")
    anchors = pd.DataFrame([
        _inferred("open", "2026-12-03", "2025-12-03", ""), _inferred("week", "2026-12-09", "2026-12-03", "2026-12-09"),
        _inferred("cross", "2027-01-06", "2026-12-29", "2027-01-06"),
        _inferred("stated", "2026-12-03", "2026-12-02", "2026-12-04"),
        _inferred("meta", "2026-12-09", "2026-12-09", "2026-12-09", source="metadata")], columns=ARTICLE_COLUMNS)
    table = timex_table(docs, anchors)
    values = {(r.doc_id, r.text): r.value for r in table.itertuples()}
    assert values == {
        # The Friday before the day of writing: any Friday from 27 November on; the named day keeps the anchor's year.
        ("open", "Friday"): "XXXX-WXX-5", ("open", "3 December"): "2026-12-03",
        # Yesterday: 2 December if written on the 3rd, 8 December if on the 9th: December 2026. Last year: 2025.
        ("week", "yesterday"): "2026-12", ("week", "Last year"): "2025",
        # Monday 28 December 2026 or Monday 4 January 2027: no day, month or year in common.
        ("cross", "Monday"): "XXXX-WXX-1",
        # Counted from the stated day (the Monday before Thursday 3 December) and from the published date.
        ("stated", "Dec 3"): "2026-12-03", ("stated", "Monday"): "2026-11-30", ("meta", "Friday"): "2026-12-04",
    }
    found = events(docs, anchors)
    assert sorted(zip(found["date"], found["doc_id"])) == [
        ("2025", "week"), ("2026-11-30", "stated"), ("2026-12", "week"), ("2026-12-03", "open"),
        ("2026-12-04", "meta")]


def test_two_resolutions_agree_on_their_common_day_month_or_year():
    from newslens.chronology import _agreed

    assert _agreed("2015-11-20", "2015-11-20") == "2015-11-20"
    assert _agreed("2015-11-20", "2015-11-27") == "2015-11"
    assert _agreed("2015-11-20", "2015-12-04") == "2015"
    assert _agreed("2015-W47", "2015-W49") == "2015"  # never the "2015-W4" their characters share
    assert _agreed("2015-12-31", "2016-01-01") == ""
    assert _agreed("2015-11-20", "") == ""


def test_articles_without_a_day_to_count_from():
    from newslens.chronology import without_a_day

    anchors = pd.DataFrame([
        _inferred("open", "2026-12-03", "2025-12-03", ""),  # on or after a day
        _inferred("week", "2026-12-09", "2026-12-03", "2026-12-09"),  # seven days
        _inferred("stated", "2026-12-03", "2026-12-02", "2026-12-04"),  # a dateline's day, a day either side
        _inferred("meta", "2026-12-09", "2026-12-09", "2026-12-09", source="metadata"),
        _inferred("none", "", "", "", source="undated"),
        _inferred("window", "", "2024-12-06", "2026-12-03", source="corpus window"),
    ], columns=ARTICLE_COLUMNS)
    assert anchors.loc[without_a_day(anchors), "doc_id"].tolist() == ["open", "week", "none", "window"]


def test_a_week_dates_an_event_by_its_month_or_year():
    from newslens.chronology import calendar_date

    assert calendar_date("2025-11-23T14:00") == "2025-11-23" and calendar_date("2025-11") == "2025-11"
    assert calendar_date("2025-W48") == "2025-11"  # Monday 24 to Sunday 30 November 2025
    assert calendar_date("2025-W49-WE") == "2025-12"  # the weekend of 6-7 December 2025
    assert calendar_date("2025-W44") == "2025"  # 27 October to 2 November 2025
    assert calendar_date("2025-W01") == ""  # 30 December 2024 to 5 January 2025
    assert calendar_date("XXXX-WXX") == calendar_date("2025-Q3") == calendar_date("PXD") == ""
    text = "The envoys met in Geneva last week. They spoke again this week."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": "2025-12-03"}])  # a Wednesday
    table = events(docs, article_dates(docs))
    # last week: 24-30 November 2025; this week: 1-7 December 2025
    assert sorted(zip(table["date"], table["precision"], table["timex"])) == [
        ("2025-11", "month", "last week"), ("2025-12", "month", "this week")]


def test_each_dated_clause_of_a_sentence_is_an_event():
    text = "The mayor opened the bridge on 2 December 2025, and the harbour reopened on 5 December 2025."
    docs = pd.DataFrame([{"doc_id": "a", "text": text, "published": ""}])
    table = events(docs, article_dates(docs))
    assert sorted(zip(table["date"], table["predicate"])) == [
        ("2025-12-02", "The mayor opened the bridge on 2 December 2025"),
        ("2025-12-05", "the harbour reopened on 5 December 2025")]
    assert set(table["text"]) == {text}  # both told by the whole sentence


@pytest.mark.parametrize("mapped", [False, True])
def test_mention_index_gives_each_documents_mentions_by_its_place(tmp_path, mapped):
    from newslens.chronology import _MentionIndex

    mentions = pd.DataFrame([  # doc_id, actor, start, end: b's rows apart, x not among the documents
        ("b", "Putin", 0, 5), ("a", "Kallas", 3, 9), ("b", "Rubio", 10, 15), ("x", "Putin", 1, 6)],
        columns=["doc_id", "actor", "start", "end"])
    index = _MentionIndex(mentions, ["a", "b", "c"], tmp_path / "mapped" if mapped else None)
    assert index.get(0) == [("Kallas", 3, 9)]
    assert index.get(1) == [("Putin", 0, 5), ("Rubio", 10, 15)]  # together, in their order
    assert index.get(2) == []  # no mentions
    assert _MentionIndex(None, ["a"]).get(0) == []


@pytest.mark.parametrize("apart", [False, True])
def test_timex_table_is_kept_in_the_cache_and_made_apart_for_a_large_corpus(seeds, seed_dates, tmp_path, monkeypatch,
                                                                           apart):
    from newslens import chronology, parallel

    anchors = seed_dates.reset_index()
    plain = chronology.timex_table(seeds, anchors)  # no cache: made here, kept in memory
    assert len(plain) > 0
    started = []
    in_fresh_process = parallel.in_fresh_process

    def counted(function, computed, path, arguments):  # corpus.computed_apart's: (_read_then, the function, ...)
        started.append(computed.__name__)
        return in_fresh_process(function, computed, path, arguments)

    # Made in a process of its own from this many characters of text (the seeds have about 14,000).
    monkeypatch.setattr(chronology, "EVENTS_APART_CHARS", 1 if apart else 10**9)
    monkeypatch.setattr(parallel, "in_fresh_process", counted)
    cold = chronology.timex_table(seeds, anchors, cache_dir=tmp_path)
    assert started == (["_timex_parts"] if apart else [])
    pd.testing.assert_frame_equal(cold, plain)  # dtypes and categories included
    assert list(cold["doc_id"].cat.categories) == list(plain["doc_id"].cat.categories)

    def refused(*arguments):
        raise AssertionError("the table was made again")

    monkeypatch.setattr(chronology, "_timex_table", refused)
    started.clear()
    again = chronology.timex_table(seeds, anchors, cache_dir=tmp_path)  # read from the cache, here
    assert started == []
    pd.testing.assert_frame_equal(again, plain)
    # Other anchors are another entry: made again (in this process, refused).
    other = anchors.assign(anchor="2020-01-01", source="metadata")
    if apart:
        chronology.timex_table(seeds, other, cache_dir=tmp_path)
        assert started == ["_timex_parts"]
    else:
        with pytest.raises(AssertionError, match="made again"):
            chronology.timex_table(seeds, other, cache_dir=tmp_path)


def test_timex_table_of_texts_without_a_time_expression_is_empty_with_a_cache(tmp_path):
    from newslens import chronology

    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["No date here.", "Nor here, at all."], "published": ""})
    anchors = article_dates(documents)
    plain = chronology.timex_table(documents, anchors)
    cached = chronology.timex_table(documents, anchors, cache_dir=tmp_path)
    assert len(plain) == len(cached) == 0
    assert list(cached.columns) == list(plain.columns)
    # No rows: the categories (the documents) are not kept with an empty table.
    pd.testing.assert_frame_equal(cached, plain, check_index_type=False, check_categorical=False)


def test_rows_taken_from_several_batches_come_in_the_order_asked():
    from newslens.chronology import _taken

    # Rows 0-2 in the first batch, 3-4 in the second: row 4 is "e" (second batch, its row 1), row 0 "a", and so on.
    batches = [pa.record_batch({"text": ["a", "b", "c"], "n": [0, 1, 2]}),
               pa.record_batch({"text": ["d", "e"], "n": [3, 4]})]
    taken = _taken(batches, np.array([4, 0, 3, 2]))
    assert taken.column_names == ["text", "n"]
    assert taken.column("text").to_pylist() == ["e", "a", "d", "c"] and taken.column("n").to_pylist() == [4, 0, 3, 2]
