"""Time expressions: expectations worked out by hand with a calendar (anchor 2025-12-05 is a Friday, ISO week 49;
23 November 2025 is a Sunday)."""
from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from newslens.timex import Timex, find_timexes

ANCHOR = dt.date(2025, 12, 5)
ROOT = Path(__file__).resolve().parents[1]


def tag(text: str, anchor: dt.date | None = ANCHOR) -> list[tuple[str, str, str]]:
    return [(t.text, t.type, t.value) for t in find_timexes(text, anchor)]


def only(text: str, anchor: dt.date | None = ANCHOR) -> Timex:
    found = find_timexes(text, anchor)
    assert len(found) == 1, found
    return found[0]


# --- sentences from the seed articles ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "On Sunday, 23 November, negotiations between Ukrainian and US delegations began in Geneva.",
            [("Sunday, 23 November", "DATE", "2025-11-23")],
        ),
        (
            "Putin said on the 2nd of December, before meeting with US representatives, that Moscow did not accept.",
            [("the 2nd of December", "DATE", "2025-12-02")],
        ),
        (
            "Putin lashed out at European leaders' support for Kyiv since Russia's full-scale invasion began in "
            "February 2022.",
            [("February 2022", "DATE", "2022-02")],
        ),
        ("Russia's sovereignty over the annexed Crimea's Black Sea Peninsula in 2014.", [("2014", "DATE", "2014")]),
        (
            "Delegates from Kiev and Moscow have met three times in the last two weeks for talks in Belarus.",
            [("the last two weeks", "DURATION", "P2W")],
        ),
        (
            "Putin has repeatedly said over the past few days that Russia is ready to end the war.",
            [("the past few days", "DURATION", "PXD")],
        ),
        (
            "Five-hour talks between Russian dictator Vladimir Putin and US special envoy Steve Witkoff have not "
            "yielded the expected results.",
            [("Five-hour", "DURATION", "PT5H")],
        ),
        (
            "Witkoff and Jared Kushner arrived in Moscow to continue weeks of diplomatic efforts to end the war.",
            [("weeks", "DURATION", "PXW")],
        ),
        (
            "Negotiations are now being conducted on an almost daily basis.",
            [("now", "DATE", "PRESENT_REF"), ("on an almost daily basis", "SET", "P1D")],
        ),
        (
            "In late November, Ukrainian representatives and the US team discussed the peace plan at length.",
            [("late November", "DATE", "2025-11")],
        ),
        (
            "with Russia making its biggest advances for a year in November.",
            [("a year", "DURATION", "P1Y"), ("November", "DATE", "2025-11")],
        ),
    ],
)
def test_seed_sentences(sentence, expected):
    assert tag(sentence) == expected


def test_late_month_keeps_its_modifier():
    assert only("In late November, the talks resumed.").mod == "END"


# --- absolute dates -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, value",
    [
        ("It was signed on December 2, 2025.", "2025-12-02"),
        ("It was signed on 2 December 2025.", "2025-12-02"),
        ("The file is dated 2025-11-23.", "2025-11-23"),
        ("Results for Sept. 30, 1989 were flat.", "1989-09-30"),
        ("Prices rose in the 1990s.", "199"),
        ("They met in summer 2024.", "2024-SU"),
        ("Profit fell in the third quarter of 2024.", "2024-Q3"),
        ("Prices rose in nineteen ninety-six.", "1996"),
    ],
)
def test_absolute_dates(text, value):
    timex = only(text)
    assert (timex.type, timex.value, timex.anchored) == ("DATE", value, False)


def test_year_after_preposition_is_just_the_year():
    timex = only("Russia annexed Crimea in 2014.")
    assert (timex.text, timex.value) == ("2014", "2014")


@pytest.mark.parametrize(
    "text",
    ["May I ask a question?", "Theresa May said nothing.", "They sent 1,500 troops.", "The 52-year-old minister."],
)
def test_no_false_alarms(text):
    assert find_timexes(text, ANCHOR) == []


# --- weekday-qualified dates without a year ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, value",
    [
        # 23 Nov is a Sunday in 2025 and 2031: 2025 is nearer the anchor.
        ("On Sunday, 23 November, talks began.", "2025-11-23"),
        # A Thursday in 2023 and 2028: two years back beats three years ahead.
        ("On Thursday, 23 November, talks began.", "2023-11-23"),
        # A Friday in 2018 and 2029: four years ahead beats seven years back, whatever the tense.
        ("On Friday, 23 November, talks began.", "2029-11-23"),
    ],
)
def test_weekday_picks_the_year_nearest_the_anchor(text, value):
    assert only(text).value == value


# --- relative to the anchor ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("He spoke today.", "DATE", "2025-12-05"),
        ("He spoke yesterday.", "DATE", "2025-12-04"),
        ("He will speak tomorrow.", "DATE", "2025-12-06"),
        ("He spoke two days ago.", "DATE", "2025-12-03"),
        ("They met last week.", "DATE", "2025-W48"),
        ("They met two weeks ago.", "DATE", "2025-W47"),
        ("The plan leaked earlier this month.", "DATE", "2025-12"),
        ("Growth slowed this year.", "DATE", "2025"),
        ("Talks resume next month.", "DATE", "2026-01"),
        ("Right now nobody knows.", "DATE", "PRESENT_REF"),
        ("He spoke this morning.", "TIME", "2025-12-05TMO"),
        ("The vote is at 2 p.m.", "TIME", "2025-12-05T14:00"),
        ("They met last Friday.", "DATE", "2025-11-28"),
        ("They meet next Friday.", "DATE", "2025-12-12"),
        # Thanksgiving 2025 is the fourth Thursday of November: 1 Nov is a Saturday, so 27 Nov.
        ("They met last Thanksgiving.", "DATE", "2025-11-27"),
    ],
)
def test_relative_to_anchor(text, kind, value):
    timex = only(text)
    assert (timex.type, timex.value, timex.anchored) == (kind, value, True)


def test_bare_weekday_follows_the_tense():
    wednesday = dt.date(2025, 12, 3)
    assert only("Putin said on Friday that talks went well.", wednesday).value == "2025-11-28"
    assert only("Putin will meet him on Friday.", wednesday).value == "2025-12-05"
    # In a Friday article, a past "Friday" is that very day.
    assert only("Putin said on Friday that talks went well.").value == "2025-12-05"


@pytest.mark.parametrize("text, value", [
    # Wednesday 3 December 2025: the Friday before is 28 November, the one after 5 December
    ("Envoys met in Geneva on Friday to rework the draft peace plan.", "2025-11-28"),  # "plan" is a noun here
    ("The mayor told reporters on Friday the plan was dead.", "2025-11-28"),  # an irregular past form
    ("The old ferryman died Friday.", "2025-11-28"),  # a short past form in -ed
    ("The treaty will be signed on Friday.", "2025-12-05"),  # a participle after "be" is no past tense
    ("The ministers are due to meet on Friday.", "2025-12-05"),
    ("The envoys plan to meet on Friday.", "2025-12-05"),  # "plan" as a verb
])
def test_the_tense_of_the_clause_picks_the_weekday(text, value):
    assert only(text, dt.date(2025, 12, 3)).value == value


def test_day_and_month_follow_the_tense():
    # Anchor 5 Dec: a past 2 December is three days ago; a coming 2 March is next year's.
    assert only("Putin said on the 2nd of December that he was ready.").value == "2025-12-02"
    assert only("The summit will open on 2 March.").value == "2026-03-02"


# --- durations and sets are never dates ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, span, kind, value",
    [
        ("The talks lasted two weeks.", "two weeks", "DURATION", "P2W"),
        ("He was jailed for a year.", "a year", "DURATION", "P1Y"),
        ("It took 2 1/2 years.", "2 1/2 years", "DURATION", "P2Y6M"),
        ("It took a year and a half.", "a year and a half", "DURATION", "P1Y6M"),
        ("Three days later he resigned.", "Three days later", "DURATION", "P3D"),
        ("The army shells the city every day.", "every day", "SET", "P1D"),
        ("The army shells the city daily.", "daily", "SET", "P1D"),
        ("They meet every Monday.", "every Monday", "SET", "XXXX-WXX-1"),
        ("They meet twice a week.", "a week", "SET", "P1W"),
    ],
)
def test_durations_and_sets(text, span, kind, value):
    timex = only(text)
    assert (timex.text, timex.type, timex.value, timex.anchored) == (span, kind, value, False)


# --- without an anchor nothing is resolved ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, value",
    [
        ("Talks began on 23 November.", "XXXX-11-23"),
        ("On Sunday, 23 November, talks began.", "XXXX-11-23"),
        ("Putin said on Friday that talks went well.", "XXXX-WXX-5"),
        ("He spoke yesterday.", "XXXX-XX-XX"),
        ("They met last week.", "XXXX-WXX"),
        ("Growth slowed this year.", "XXXX"),
        ("In late November, talks resumed.", "XXXX-11"),
    ],
)
def test_no_anchor_stays_unresolved(text, value):
    timex = only(text, None)
    assert (timex.value, timex.anchored) == (value, True)


def test_no_anchor_keeps_absolute_values():
    assert tag("The invasion began in February 2022.", None) == [("February 2022", "DATE", "2022-02")]


def test_module_never_reads_the_clock():
    source = (ROOT / "lib" / "newslens" / "timex.py").read_text()
    assert "today()" not in source and ".now(" not in source


# --- offsets ----------------------------------------------------------------------------------------------------------

def test_offsets_sorted_and_non_overlapping_on_a_seed():
    text = (ROOT / "seeds" / "003_412d1c09e69c2b39.txt").read_text()
    found = find_timexes(text, ANCHOR)
    assert found
    for timex in found:
        assert text[timex.start:timex.end] == timex.text
    for before, after in zip(found, found[1:]):
        assert before.end <= after.start
    values = {t.value for t in found}
    assert {"2025-12-02", "2022-02", "2025-11"} <= values


def test_exact_offsets():
    text = "Since 23 November, talks went on."
    (timex,) = find_timexes(text, ANCHOR)
    assert (timex.start, timex.end) == (6, 17)


def test_longest_match_wins():
    assert tag("Talks began on Sunday, 23 November 2025.") == [("Sunday, 23 November 2025", "DATE", "2025-11-23")]


# --- the benchmark scorer ------------------------------------------------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("bench_timex", ROOT / "benchmarks" / "bench_timex.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_timex"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_scorer_on_a_hand_made_example():
    bench = _bench()
    Span = bench.Span
    gold = [Span(0, 5, "DATE", "2025-11-23"), Span(10, 20, "DURATION", "P2W"), Span(30, 35, "DATE", "2014")]
    system = [
        Span(0, 5, "DATE", "2025-11-23"),  # exact span, right value
        Span(12, 18, "DURATION", "P3W"),  # overlaps only, wrong value
        Span(40, 45, "DATE", "2020"),  # matches nothing
    ]
    scores = bench.score([(gold, system)])
    assert scores["relaxed_p"] == pytest.approx(2 / 3)
    assert scores["relaxed_r"] == pytest.approx(2 / 3)
    assert scores["strict_f1"] == pytest.approx(1 / 3)
    assert scores["value_p"] == pytest.approx(1 / 3)
    assert scores["value_r"] == pytest.approx(1 / 3)
    assert scores["value_f1"] == pytest.approx(1 / 3)
    assert scores["type_accuracy"] == pytest.approx(1.0)


def test_scorer_precision_and_recall_differ():
    bench = _bench()
    Span = bench.Span
    gold = [Span(0, 4, "DATE", "2014"), Span(10, 14, "DATE", "2015")]
    system = [Span(0, 4, "DATE", "2014")]
    scores = bench.score([(gold, system)])
    # One of one system timex is right, one of two gold ones is found: F1 = 2 * 1 * 0.5 / 1.5.
    assert (scores["value_p"], scores["value_r"]) == (1.0, 0.5)
    assert scores["value_f1"] == pytest.approx(2 / 3)


def test_timeml_loader_strips_tags_and_keeps_offsets(tmp_path):
    bench = _bench()
    path = tmp_path / "doc.tml"
    path.write_text(
        '<?xml version="1.0" ?><TimeML><DOCID>d</DOCID>'
        '<DCT><TIMEX3 tid="t0" type="DATE" value="1998-01-08" functionInDocument="CREATION_TIME">19980108</TIMEX3>'
        '</DCT><TEXT>On <TIMEX3 tid="t1" type="DATE" value="1998-01-07">Wednesday</TIMEX3> shares '
        '<EVENT eid="e1" class="OCCURRENCE">fell</EVENT> &amp; rose.</TEXT></TimeML>'
    )
    doc = bench.load_tml(path)
    assert doc.text == "On Wednesday shares fell & rose."
    assert doc.anchor == dt.date(1998, 1, 8)
    assert doc.gold == [bench.Span(3, 12, "DATE", "1998-01-07")]


# --- date forms of web news (issue 12); anchor Friday 5 Dec 2025 --------------------------------------------------

@pytest.mark.parametrize(
    "text, span, kind, value",
    [
        # abbreviated months, with and without a full stop, either order
        ("The envoys met on Nov 23 in Geneva.", "Nov 23", "DATE", "2025-11-23"),
        ("The envoys met on Dec. 3 in Moscow.", "Dec. 3", "DATE", "2025-12-03"),
        ("The envoys met on 3 Dec in Moscow.", "3 Dec", "DATE", "2025-12-03"),
        ("The envoys met on 3 Dec.", "3 Dec", "DATE", "2025-12-03"),
        ("The towers fell on Sept. 11, 2001.", "Sept. 11, 2001", "DATE", "2001-09-11"),
        ("The towers fell on Sept 11 2001.", "Sept 11 2001", "DATE", "2001-09-11"),
        ("The envoys met on Dec 3rd.", "Dec 3rd", "DATE", "2025-12-03"),
        ("The envoys met on the 3rd of Dec.", "the 3rd of Dec", "DATE", "2025-12-03"),
        # month-day-year with a comma is a day, not the year
        ("The draft was ready by Nov 30, 2025, officials said.", "Nov 30, 2025", "DATE", "2025-11-30"),
        ("The draft was ready on 30 Nov 2025.", "30 Nov 2025", "DATE", "2025-11-30"),
        # numeric dates: US month first; day first when the first number is over 12 or with dots; year first
        ("The memo is dated 11/30/2025.", "11/30/2025", "DATE", "2025-11-30"),
        ("The memo is dated 30/11/2025.", "30/11/2025", "DATE", "2025-11-30"),
        ("The memo is dated 01.12.2025.", "01.12.2025", "DATE", "2025-12-01"),
        ("The memo is dated 2025/11/30.", "2025/11/30", "DATE", "2025-11-30"),
        # a clock time attached to a date belongs to that date
        ("Posted December 1, 2025 / 01:13 IST", "December 1, 2025 / 01:13 IST", "TIME", "2025-12-01T01:13"),
        ("Updated Nov. 30, 2025 10:15 a.m. ET", "Nov. 30, 2025 10:15 a.m. ET", "TIME", "2025-11-30T10:15"),
        ("The vote opened on 4 December 2025 at 14:30.", "4 December 2025 at 14:30", "TIME", "2025-12-04T14:30"),
        ("The vote closes Dec. 8 at 2 p.m.", "Dec. 8 at 2 p.m.", "TIME", "2025-12-08T14:00"),
        # the time first, then the day with its year: one expression, and the year is the one written
        ("Published 4:37 PM EST, November 27, 2026", "4:37 PM EST, November 27, 2026", "TIME", "2026-11-27T16:37"),
        ("Doors open at 9:30 a.m. ET, June 2, 2024.", "9:30 a.m. ET, June 2, 2024", "TIME", "2024-06-02T09:30"),
        ("The count ended at noon, Dec. 3, 2023.", "noon, Dec. 3, 2023", "TIME", "2023-12-03T12:00"),
        # "AT" of AT&T is no time zone
        ("At 9 a.m. AT&T shares fell.", "9 a.m.", "TIME", "2025-12-05T09:00"),
    ],
)
def test_web_news_date_forms(text, span, kind, value):
    timex = only(text)
    assert (timex.text, timex.type, timex.value) == (span, kind, value)


@pytest.mark.parametrize("text", ["Jan said nothing.", "The Dec. figures.", "He met Jan Novak.", "On Nov 31 nothing."])
def test_bare_abbreviations_are_not_months(text):
    assert find_timexes(text, ANCHOR) == []


def test_no_time_is_taken_from_a_count_after_a_date():
    # "15" after the date is a number of people, not a clock time
    assert tag("On Dec. 3, 15 people were hurt.") == [("Dec. 3", "DATE", "2025-12-03")]
    assert tag("On Dec. 3, 4.50 million people voted.") == [("Dec. 3", "DATE", "2025-12-03")]
    assert tag("The polls closed on Dec. 3 at 9.30.") == [("Dec. 3 at 9.30", "TIME", "2025-12-03T09:30")]


def test_weekday_deadline_is_ahead_and_later_weekday_is_not():
    sunday = dt.date(2025, 11, 30)
    assert only("The Thursday deadline looms over Kyiv.", sunday).value == "2025-12-04"
    assert only("Kyiv must reply by Thursday.", sunday).value == "2025-12-04"
    # "had filed ... by Wednesday": the past tense wins over the deadline
    assert only("They had filed the papers by the Thursday deadline.", sunday).value == "2025-11-27"
    # In a Monday article, "later Monday" is that same day, never a week on
    monday = dt.date(2025, 12, 1)
    assert only("The envoys arrived and met the president later Monday.", monday).value == "2025-12-01"
    assert only("He will speak later Monday.", monday).value == "2025-12-01"


def test_a_day_first_range_starts_on_its_first_day():
    # anchor Friday 5 December 2025; the month follows the second day only
    assert tag("The summit on 2-3 December was tense.") == [("2", "DATE", "2025-12-02"),
                                                            ("3 December", "DATE", "2025-12-03")]
    assert tag("Talks ran from 1 to 3 December 2024.") == [("1", "DATE", "2024-12-01"),
                                                          ("3 December 2024", "DATE", "2024-12-03")]
    assert tag("The envoys met on 1 and 2 Dec.") == [("1", "DATE", "2025-12-01"), ("2 Dec", "DATE", "2025-12-02")]
    # a range backwards is a score, and a range must end on a real day
    assert tag("They won 3-1 December's final.") == [("1 December", "DATE", "2025-12-01")]
    assert tag("Nothing on 30-31 November.") == [("November", "DATE", "2025-11")]


def test_timex_rows_come_in_order_of_text_from_the_cache_too(tmp_path, monkeypatch):
    from newslens import cache
    from newslens.timex import timex_rows

    monkeypatch.setattr(cache, "GROUP_KEYS", 1)  # every text read and stored in a group of its own
    texts = ["It was in 2014 and in 2015.", "No date here.", "Talks resumed in 2019.", "It was in 2014 and in 2015."]
    anchors = [dt.date(2025, 11, 24)] * 4
    for _ in range(2):  # tagged and stored, then read back from the cache
        rows = timex_rows(texts, anchors, tmp_path)
        assert rows["item"].tolist() == [0, 0, 2, 3, 3]  # the repeated text's rows for each of its items
        assert rows["text"].tolist() == ["2014", "2015", "2019", "2014", "2015"]
        assert rows["value"].tolist() == ["2014", "2015", "2019", "2014", "2015"]
        assert rows["start"].tolist() == [10, 22, 17, 10, 22]
