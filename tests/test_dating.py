"""Publication-date evidence and article-date intervals; every sentence is made up for these tests, every expectation
worked out by hand with a calendar (2 December 2025 is a Tuesday, 5 December 2025 a Friday)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from newslens.chronology import EVENT_COLUMNS, article_dates, events
from newslens.cleaning import furniture_spans
from newslens.dating import (YearGuess, article_clues, combine, corpus_window, find_stamps,
                             infer_dates, rough_year, same_event, content_words)
from newslens.timeline import events_table, select_events, timeline_figure, timelinejs

ROOT = Path(__file__).resolve().parents[1]
D = dt.date


def _dates(*texts: str) -> pd.DataFrame:
    docs = pd.DataFrame([{"doc_id": f"d{i}", "text": t, "published": ""} for i, t in enumerate(texts)])
    return article_dates(docs).set_index("doc_id")


# --- stamps -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("TALLINN, Dec. 3 (Wire) — The mayor opened a new bridge over the river.", "dateline", "XXXX-12-03"),
        ("OSLO, 3 December — The harbour froze early this year.", "dateline", "XXXX-12-03"),
        ("Published: 30 November 2025\nThe mayor opened a bridge.", "published", "2025-11-30"),
        ("Posted on Dec 1, 2025 at 10:15\nThe mayor opened a bridge.", "published", "2025-12-01"),
        ("By Anna Berg | Dec 3, 2025\nThe mayor opened a bridge.", "byline", "2025-12-03"),
        ("Updated 4 December 2025 09:10 CET\nThe mayor opened a bridge.", "updated", "2025-12-04"),
        ("Thursday, 27 November, 2025\nThe mayor opened a bridge.", "header", "2025-11-27"),
        ("December 16, 2025 / 01:13 IST\nThe mayor opened a bridge.", "header", "2025-12-16"),
        ("Dec 3 (Wire) - The mayor opened a new bridge.", "dateline", "XXXX-12-03"),
        ("TALLINN, December 3. /Wire/. The mayor opened a new bridge.", "dateline", "XXXX-12-03"),
        ("TARTU. Dec 3 (Wire-Estonia) - The mayor opened a new bridge.", "dateline", "XXXX-12-03"),
        ("It was a quiet day. — Ann Berg (@annberg) December 3, 2025", "embedded post", "2025-12-03"),
    ],
)
def test_stamps(text, kind, value):
    (stamp,) = find_stamps(text)
    assert (stamp.kind, stamp.value) == (kind, value)


def test_every_date_of_a_stamp_line_is_a_stamp_and_no_event():
    text = ("Harbour froze early\nPublished 4:37 PM EST, November 27, 2026 | Updated 6:02 PM EST, November 28, 2026"
            "\nThe harbour froze on Thursday.")
    stamps = find_stamps(text)
    assert [(s.kind, s.value, s.text) for s in stamps] == [
        ("published", "2026-11-27", "Published 4:37 PM EST, November 27, 2026"),
        ("updated", "2026-11-28", "Updated 6:02 PM EST, November 28, 2026")]
    # published on 27 November, a day either side; updated by 28 November (+1 day): [26, 28] November
    row = _dates(text).loc["d0"]
    assert (row.earliest, row.latest, row.anchor) == ("2026-11-26", "2026-11-28", "2026-11-27")
    table = events(pd.DataFrame([{"doc_id": "d0", "text": text}]), _dates(text).reset_index())
    # the only event is the harbour's Thursday, the one before the 27th (a Friday): 26 November
    assert list(table.date) == ["2026-11-26"] and list(table.timex) == ["Thursday"]


def test_a_dateline_and_its_wire_credit_open_no_event():
    text = "Bridge opens\nTALLINN, Dec 3, 2025 (Wire) - The mayor opened a new bridge on Wednesday."
    (stamp,) = find_stamps(text)
    assert text[stamp.start:stamp.end] == "TALLINN, Dec 3, 2025 (Wire) - "
    table = events(pd.DataFrame([{"doc_id": "d0", "text": text}]), _dates(text).reset_index())
    # 3 December 2025 was a Wednesday: the event is that day, told without the dateline
    assert list(table.date) == ["2025-12-03"]
    assert table.text[0] == "The mayor opened a new bridge on Wednesday."
    assert table.predicate[0] == "The mayor opened a new bridge on Wednesday"


def test_a_dateline_a_full_stop_ends_opens_no_event():
    text = "Bridge opens\nTALLINN, December 3. /Wire/. The mayor opened a new bridge on Wednesday."
    (stamp,) = find_stamps(text)
    assert text[stamp.start:stamp.end] == "TALLINN, December 3. /Wire/. "
    table = events(pd.DataFrame([{"doc_id": "d0", "text": text, "published": "2025-12-04"}]),
                   pd.DataFrame([{"doc_id": "d0", "anchor": "2025-12-04", "earliest": "2025-12-04",
                                  "latest": "2025-12-04", "source": "metadata", "confidence": 1.0, "evidence": ""}]))
    assert list(table.date) == ["2025-12-03"]  # Wednesday before Thursday 4 December 2025
    assert table.text[0] == "The mayor opened a new bridge on Wednesday."


def test_a_dateline_without_a_date_opens_no_event_either():
    text = "Bridge opens\nTALLINN (Wire) - The mayor opened a new bridge on Wednesday."
    documents = pd.DataFrame([{"doc_id": "d0", "text": text, "published": "2025-12-04"}])
    table = events(documents, pd.DataFrame([{"doc_id": "d0", "anchor": "2025-12-04", "earliest": "2025-12-04",
                                             "latest": "2025-12-04", "source": "metadata", "confidence": 1.0,
                                             "evidence": ""}]))
    # published on Thursday 4 December 2025: Wednesday is the 3rd; the place and wire service are no part of it
    assert list(table.date) == ["2025-12-03"]
    assert table.text[0] == "The mayor opened a new bridge on Wednesday."


def test_a_date_alone_late_in_the_article_is_a_later_line():
    text = "Line one.\nLine two.\nLine three.\nLine four.\nLine five.\nFriday, 5 December 2025.\n"
    (stamp,) = find_stamps(text)
    assert (stamp.kind, stamp.value) == ("later line", "2025-12-05")
    # printed or updated on that day: written on or before it (a day's margin for time zones)
    (clue,) = article_clues(text, None)
    assert (clue.earliest, clue.latest) == (None, D(2025, 12, 6))


def test_a_sentence_with_a_date_is_no_stamp():
    assert find_stamps("The mayor opened a bridge on 3 December 2025 in the rain.") == []
    # a capitalised first word followed by a comma is no dateline without a date
    assert find_stamps("However, the mayor opened a bridge.") == []


def test_furniture_lines():
    text = ("Black Friday Sale: 40% off until 12 December\nWeather: 4°C, light snow\n"
            "We use cookies to improve your experience.\nThe mayor opened a bridge on 3 December 2025.")
    spans = furniture_spans(text)
    assert [text[s:e] for s, e in spans] == text.split("\n")[:3]
    # reporting that uses the same words (the shapes seen in PolNeAR's articles)
    reporting = ("He said she would put the office up for sale.\nCrowds braved the weather.\nNobody forecast it.\n"
                 "They served cookies.\nThe bill was sponsored by two senators.\nVoters rushed to sign up.")
    assert furniture_spans(reporting) == []


# --- clues and intervals --------------------------------------------------------------------------------------------

def test_stamp_is_the_strongest_clue_and_never_an_event():
    text = ("Published: 4 December 2025\nThe council met on 1 December 2025 and will vote on 9 December 2025.")
    row = _dates(text).loc["d0"]
    # the stamp closes the interval on its day, a day either side for time zones; the reported (1 Dec) and
    # announced (9 Dec) dates agree with it; relative dates count from the stamp's day
    assert (row.source, row.earliest, row.latest, row.anchor, row.confidence) == (
        "inferred", "2025-12-03", "2025-12-05", "2025-12-04", 0.9)
    assert row.evidence.startswith("published 'Published: 4 December 2025'")
    table = events(pd.DataFrame([{"doc_id": "d0", "text": text}]), _dates(text).reset_index())
    assert "2025-12-04" not in set(table.date)
    assert list(table.date) == ["2025-12-01"]  # the sentence's most precise first date dates it


def test_updated_stamp_bounds_from_above_only():
    row = _dates("Updated 4 December 2025\nThe harbour froze.").loc["d0"]
    assert (row.earliest, row.latest) == ("", "2025-12-05")


def test_furniture_is_no_evidence_and_no_event():
    text = "Black Friday Sale ends 12 December 2025, shop now\nThe harbour froze."
    assert _dates(text).loc["d0"].source == "undated"
    docs = pd.DataFrame([{"doc_id": "d0", "text": text}])
    assert len(events(docs, article_dates(docs))) == 0


@pytest.mark.parametrize(
    "text, earliest, latest",
    [
        # past report: a lower bound; outright future: an upper bound
        ("The minister resigned on 3 March 2025.", "2025-03-03", ""),
        ("The parliament will vote on 8 November 2026.", "", "2026-11-08"),
        ("The parliament is due to vote on 8 November 2026.", "", "2026-11-08"),
        # a scheduled day in the present tense is still to come
        ("The referendum is 8 November 2026.", "", "2026-11-08"),
        # a month or a year reported as past: from its first day
        ("Prices have risen since March 2019.", "2019-03-01", ""),
        # "ahead of" a day, with no past tense in the sentence: still to come
        ("Candidates campaign ahead of the 8 November 2026 vote.", "", "2026-11-08"),
        ("The bridge collapsed in 2014.", "2014-01-01", ""),
    ],
)
def test_tense_makes_the_bound(text, earliest, latest):
    row = _dates(text).loc["d0"]
    assert (row.source, row.earliest, row.latest) == ("inferred", earliest, latest)


@pytest.mark.parametrize(
    "text",
    [
        "Candidates prepare for the 2026 election.",  # a date as a modifier says nothing about the writing
        "The 8 November 2026 vote looms.",
        "Voters have until 8 November 2026 to register.",  # "until", "by", "before" ... neither
        "Officials promised to finish the bridge by 8 November 2026, it was reported.",
        "The bridge opened.",  # no date at all
        "Candidates campaigned hard ahead of the 8 November 2026 vote.",  # past tense: the vote may be over
    ],
)
def test_no_clue(text):
    assert _dates(text).loc["d0"].source == "undated"


def test_contradicting_clues_keep_the_stronger():
    # the stamp (0.9) says 3-5 December; the misleading "will ... on 1 December 2025" (0.6) contradicts it and goes
    clue = combine(article_clues("Published: 4 December 2025\nThe council will meet on 1 December 2025.", None))
    assert (clue.earliest, clue.latest, clue.confidence) == (D(2025, 12, 3), D(2025, 12, 5), 0.9)
    assert "1 December" not in clue.evidence


def test_day_without_year_is_bounded_a_year_out_and_anchored_on_the_guess():
    # Corpus year 2025: "3 March" reported as past is 3 March 2025 at best, written on or after 3 March 2024 for
    # sure; announced, it is on or before 3 March 2026 (the guess 2025 and one year more).
    guess = YearGuess([], 2025)
    (past,) = article_clues("The minister resigned on 3 March.", guess)
    assert (past.earliest, past.latest, past.anchor, past.pinned) == (D(2024, 3, 3), None, D(2025, 3, 3), False)
    (future,) = article_clues("The minister will resign on 3 March.", guess)
    assert (future.earliest, future.latest, future.anchor) == (None, D(2026, 3, 3), D(2025, 3, 3))


def test_weekday_beside_a_day_fixes_the_year():
    # 23 November is a Sunday in 2025 (and 2014, 2031): 2025 is the nearest to the corpus year 2024. The weekday
    # named with the date also puts the writing within six days after it (23-29 November 2025).
    clue, near = article_clues("On Sunday, 23 November, the talks began.", YearGuess([], 2024))
    assert (clue.earliest, clue.latest, clue.pinned) == (D(2025, 11, 23), None, True)
    assert (near.earliest, near.latest, near.confidence) == (D(2025, 11, 23), D(2025, 11, 29), 0.45)


@pytest.mark.parametrize(
    "text, earliest, latest, named",
    [
        # 2 December 2025 is a Tuesday: reported as past, written 2-8 December
        ("The mayor said on Tuesday, Dec. 2, 2025, that the bridge was finished.", "2025-12-02", "2025-12-08", True),
        # 5 December 2025 is a Friday: announced, written 29 November - 5 December
        ("The council will vote on Friday, Dec. 5, 2025, on the budget.", "2025-11-29", "2025-12-05", True),
        # both in one article: the dates' own bounds already close it on 2-5 December, inside both windows, so
        # the windows narrow nothing and the evidence does not list them
        ("The mayor said on Tuesday, Dec. 2, 2025, that the council will vote on Friday, Dec. 5, 2025.",
         "2025-12-02", "2025-12-05", False),
        # the weekday does not agree with the date (2 December 2025 is no Monday): only the date's own bound
        ("The mayor said on Monday, Dec. 2, 2025, that the bridge was finished.", "2025-12-02", "", False),
        # no weekday with the date: only the date's own bound
        ("The mayor said on Dec. 2, 2025, that the bridge was finished.", "2025-12-02", "", False),
    ],
)
def test_weekday_named_with_a_date_puts_the_writing_within_six_days(text, earliest, latest, named):
    row = _dates(text).loc["d0"]
    assert (row.source, row.earliest, row.latest) == ("inferred", earliest, latest)
    assert ("names the weekday with the date" in row.evidence) == named


def test_a_week_window_needs_a_weekday_that_pins_the_year():
    # "3 March" has no weekday: its year is a guess from the corpus, so no week window (only the date's bound a
    # year out). With "Monday" the weekday pins the year: 3 March 2025 is a Monday (the nearest such year to 2025).
    guess = YearGuess([], 2025)
    assert len(article_clues("The minister resigned on 3 March.", guess)) == 1
    _, near = article_clues("The minister resigned on Monday, 3 March.", guess)
    assert (near.earliest, near.latest) == (D(2025, 3, 3), D(2025, 3, 9))


def test_year_guess_counts_pinned_days_near_the_day():
    # Pinned days: two in November 2024, one in May 2025. "20 November" is within 45 days of the two 2024 days and
    # of none in 2025 or 2026: 2024. "10 May" is near the May 2025 day: 2025. "1 August": none near any, so the
    # year nearest the rough year 2025 (2025 itself).
    guess = YearGuess([D(2024, 11, 2), D(2024, 11, 30), D(2025, 5, 1)], 2025)
    assert guess(11, 20)[0] == 2024
    assert guess(5, 10)[0] == 2025
    assert guess(8, 1)[0] == 2025
    assert YearGuess([], None)(8, 1) is None


def test_rough_year_is_the_latest_year_named_with_month_or_day_by_enough_articles():
    texts = ["It began in May 2023.", "It ended on 2 June 2023.", "It resumed in July 2024.",
             "The 1990s were calm."]
    # 2023 is named (with a month or day) by two articles, 2024 by one: 2023. Bare years do not count.
    assert rough_year(texts) == 2023
    assert rough_year(["It resumed in July 2024."]) == 2024
    assert rough_year(["Nothing here."]) is None


# --- the rest of the corpus ----------------------------------------------------------------------------------------

def test_article_reporting_the_same_event_borrows_the_window():
    dated = "On 2 December 2025 the foreign ministers of Norway and Chile signed a fisheries treaty in Oslo."
    undated = "The foreign ministers of Norway and Chile signed a fisheries treaty in Oslo on Tuesday."
    table = _dates(dated, undated)
    # 2 December 2025 is a Tuesday: the second article was written within six days after it.
    row = table.loc["d1"]
    assert (row.source, row.earliest, row.latest, row.anchor) == ("inferred", "2025-12-02", "2025-12-08",
                                                                  "2025-12-08")
    assert "d0" in row.evidence and "(corpus)" in row.evidence


def test_no_borrowing_when_the_weekday_does_not_match_or_the_words_differ():
    dated = "On 2 December 2025 the foreign ministers of Norway and Chile signed a fisheries treaty in Oslo."
    wrong_day = "The foreign ministers of Norway and Chile signed a fisheries treaty in Oslo on Friday."
    other_event = "A storm closed the airport in Lima on Tuesday."
    table = _dates(dated, wrong_day, other_event)
    assert table.loc["d1"].source == "undated" and table.loc["d2"].source == "undated"


def test_same_event_needs_shared_content_words():
    a = content_words("The ministers signed a fisheries treaty in Oslo on Tuesday.")
    assert a == {"ministers", "signed", "fisheries", "treaty", "oslo"}
    assert same_event(a, content_words("Ministers signed the fisheries treaty in Oslo."))
    assert not same_event(a, content_words("Ministers met in Oslo."))  # two shared words only


def test_metadata_wins():
    docs = pd.DataFrame([{"doc_id": "a", "text": "Published: 4 December 2025\nIt snowed.",
                          "published": "2025-12-05"}])
    row = article_dates(docs).iloc[0]
    assert (row.source, row.earliest, row.latest, row.confidence) == ("metadata", "2025-12-05", "2025-12-05", 1.0)


def test_dating_never_reads_the_clock():
    source = (ROOT / "lib" / "newslens" / "dating.py").read_text()
    assert "today()" not in source and ".now(" not in source


# --- a corpus with no datable event and no dated article ----------------------------------------------------------

def test_corpus_without_dates_gives_empty_tables_and_figure():
    docs = pd.DataFrame([{"doc_id": "a", "text": "The harbour froze on Friday.", "published": ""},
                         {"doc_id": "b", "text": "Nothing happened.", "published": ""}])
    anchors = article_dates(docs)
    assert list(anchors.source) == ["undated", "undated"]
    table = select_events(events(docs, anchors))
    assert list(table.columns) == EVENT_COLUMNS and len(table) == 0
    assert len(events_table(table)) == 0
    assert timelinejs(table, "t")["events"] == []
    assert timeline_figure(table, anchors) is not None


def test_bare_year_bounds_respect_the_corpus_year():
    # Corpus year 2016: "the race of 2016 was ..." in the past would put the writing in 2016 or later, which news of
    # late 2015 says too; a bare year bounds from below only when it is before the corpus year, and from above only
    # when it is not before it.
    guess = YearGuess([], 2016)
    assert article_clues("The deal collapsed in 2016.", guess) == []
    (clue,) = article_clues("The deal collapsed in 2015.", guess)
    assert (clue.earliest, clue.latest) == (D(2015, 1, 1), None)
    assert article_clues("The plant will close in 2015.", guess) == []
    (clue,) = article_clues("The plant will close in 2017.", guess)
    assert (clue.earliest, clue.latest) == (None, D(2017, 12, 31))


# --- embedded posts in page markup ----------------------------------------------------------------------------------
# 3 December 2025 15:00 UTC is 1,764,774,000 Unix seconds; a Twitter id made then is (1764774000000 - 1288834974657)
# = 475,939,025,343 ms after Twitter's epoch, shifted left by 22 bits: 1996232957752246272.

@pytest.mark.parametrize(
    "markup",
    [
        '<tweet id="1996232957752246272" author="@annberg">The bridge is open.</tweet>',
        '<blockquote class="twitter-tweet"><p>The bridge is open.</p>'
        '<a href="https://twitter.com/annberg/status/1996232957752246272">link</a></blockquote>',
        "See https://x.com/annberg/status/1996232957752246272 for the post.",
        '<tweet tweet_id="12" timestamp="1764774000">The bridge is open.</tweet>',  # id too small: the timestamp
        '<tweet author="@annberg" datetime="2025-12-03">The bridge is open.</tweet>',
        '<tweet tweet-author="@annberg" tweet-date="December 3, 2025">The bridge is open.<tweet/>',
    ],
)
def test_embedded_post_markup_is_a_stamp_of_its_day(markup):
    stamps = find_stamps("The mayor cut the ribbon.\n" + markup)
    assert {(s.kind, s.value) for s in stamps} == {("embedded post", "2025-12-03")}


def test_embedded_post_bounds_the_article_from_below_with_a_day_for_time_zones():
    # posted on 3 December (UTC), quoted by the article: written on or after 2 December in any time zone; the date
    # inside the markup is not read as a date the prose reports
    text = 'Ann Berg was pleased.\n<tweet author="@annberg" datetime="2025-12-03">Open at last!</tweet>'
    (clue,) = article_clues(text, None)
    assert (clue.earliest, clue.latest, clue.anchor) == (D(2025, 12, 2), None, D(2025, 12, 3))


def test_old_sequential_post_ids_and_other_tags_give_no_stamp():
    assert find_stamps('<tweet id="20">Just setting up.</tweet>') == []
    assert find_stamps('<div id="1996232957752246272">The bridge is open.</div>') == []


# --- sentence edges and years used as modifiers ---------------------------------------------------------------------

def test_abbreviations_do_not_end_the_sentence_of_a_date():
    # "Mr." is no sentence edge: the past tense "came" after it governs "In 2014"
    guess = YearGuess([], 2025)
    (clue,) = article_clues("In 2014, most of the money to Mr. Berg came from small donors.", guess)
    assert (clue.earliest, clue.latest) == (D(2014, 1, 1), None)
    (clue,) = article_clues("Voters backed Sen. Berg in 2019.", guess)
    assert (clue.earliest, clue.latest) == (D(2019, 1, 1), None)


def test_an_old_year_as_a_modifier_in_a_past_report_bounds_from_below():
    guess = YearGuess([], 2025)  # years up to 2023 are history to the corpus
    (clue,) = article_clues("The 2008 housing collapse ruined him.", guess)
    assert (clue.earliest, clue.latest) == (D(2008, 1, 1), None)
    # the corpus's year or the one before may still be to come ("the 2024 race was heating up" in 2023)
    assert article_clues("The 2024 race was close.", guess) == []
    # a modifier without a past tense bounds nothing
    assert article_clues("Historians will study the 2008 housing collapse.", guess) == []
    assert article_clues("The 2008 housing collapse haunts him.", guess) == []


# --- the benchmark's scorer ------------------------------------------------------------------------------------------

def _bench_dates():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_dates", ROOT / "benchmarks" / "bench_dates.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_dates"] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_scorer_on_a_hand_made_table():
    table = pd.DataFrame([
        {"source": "inferred", "earliest": "2016-01-01", "latest": "2016-01-07"},  # contains 3 Jan, closed, 7 days
        {"source": "inferred", "earliest": "2016-01-05", "latest": ""},  # open, excludes 3 Jan
        {"source": "inferred", "earliest": "", "latest": "2016-02-01"},  # open, contains 3 Jan
        {"source": "inferred", "earliest": "2016-01-03", "latest": "2016-01-03"},  # contains 3 Jan, closed, 1 day
        {"source": "undated", "earliest": "", "latest": ""},  # no interval
        {"source": "corpus window", "earliest": "2015-12-01", "latest": "2016-02-28"},  # the fallback: 90 days
    ])
    bench = _bench_dates()
    without = bench.score(table, [D(2016, 1, 3)] * 6, window=False)
    assert without == {"n": 6, "contains": 3 / 6, "excludes": 1 / 6, "closed": 2 / 6, "median_width": 4.0,
                       "undated": 2 / 6, "week": 2 / 6}
    # with the window: one more containing, a third closed interval (90 days: the median of 1, 7, 90 is 7)
    with_window = bench.score(table, [D(2016, 1, 3)] * 6)
    assert with_window == {"n": 6, "contains": 4 / 6, "excludes": 1 / 6, "closed": 3 / 6, "median_width": 7,
                           "undated": 1 / 6, "week": 2 / 6}


def test_benchmark_skips_without_shared_data(tmp_path, monkeypatch, capsys):
    bench = _bench_dates()
    monkeypatch.setattr(bench, "DATA", tmp_path / "absent")
    assert bench.main([]) == 0
    assert capsys.readouterr().out.startswith("SKIP: PolNeAR not found")


def test_month_without_year_is_bounded_a_year_out_from_the_corpus_year():
    # Corpus year 2025: "in June" reported as past is June 2025 or June 2024, so the article was written on or after
    # 1 June 2024; announced, June 2025 or 2026: on or before 30 June 2026.
    guess = YearGuess([], 2025)
    (past,) = article_clues("In June, the minister resigned.", guess)
    assert (past.earliest, past.latest, past.pinned) == (D(2024, 6, 1), None, False)
    (future,) = article_clues("The minister will resign in June.", guess)
    assert (future.earliest, future.latest) == (None, D(2026, 6, 30))
    # without a corpus year there is nothing to place the month in
    assert article_clues("In June, the minister resigned.", YearGuess([], None)) == []


def test_corpus_window_is_the_10th_percentile_to_the_latest_day():
    days = [D(2016, 1, d) for d in range(10, 0, -1)]  # 10 days, unsorted: the 10th percentile is the second
    low, high, evidence = corpus_window(days)
    assert (low, high) == (D(2016, 1, 2), D(2016, 1, 10)) and "low confidence" in evidence
    assert corpus_window(days[:4]) is None  # too few days to speak of a window


def test_article_without_evidence_gets_the_corpus_window_without_an_anchor():
    documents = pd.DataFrame({
        "doc_id": [f"d{i}" for i in range(6)],
        "text": ["The council met."] * 5 + ["The bridge opened."],
        "published": [f"2025-03-0{i}" for i in range(1, 6)] + [""],
    })
    row = infer_dates(documents).set_index("doc_id").loc["d5"]
    assert (row.source, row.earliest, row.latest, row.anchor, row.confidence) == (
        "corpus window", "2025-03-01", "2025-03-05", "", 0.1)
    # with four dated articles only, there is no window: the article stays undated
    assert infer_dates(documents.iloc[2:]).set_index("doc_id").loc["d5"].source == "undated"
