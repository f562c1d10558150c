"""Selection, TimelineJS export and timeline figure; every expectation below is worked out by hand."""
from __future__ import annotations

import datetime as dt
import io
import json

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from newslens.chronology import article_dates, events, timex_table
from newslens.plots import write_table
from newslens.timeline import (apply_overrides, events_table, interval, select_events, timeline_figure, timelinejs,
                               write_timelinejs)


def _event(date, precision, actors=(), text="Something happened.", doc_id="a", sent_start=0, sources=None,
           date_source="explicit", timex="x"):
    return {"date": date, "precision": precision, "date_source": date_source, "actors": list(actors), "text": text,
            "doc_id": doc_id, "sent_start": sent_start, "sent_end": sent_start + len(text), "timex": timex,
            "sources": list(sources or [doc_id])}


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame([
        _event("2014", "year", ["Russia"]),
        _event("2022-02", "month", ["Vladimir Putin", "Russia"]),
        _event("2025-11", "month"),
        _event("2025-11-23", "day", ["Ukraine"]),
        _event("2025-12-02", "day", ["Vladimir Putin"]),
    ])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- intervals and selection -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, first, last", [
    ("2025-11-23", "2025-11-23", "2025-11-23"),
    ("2024-02", "2024-02-01", "2024-02-29"),  # a leap year
    ("2025-12", "2025-12-01", "2025-12-31"),
    ("2014", "2014-01-01", "2014-12-31"),
])
def test_interval(value, first, last):
    assert interval(value) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


def test_interval_rejects_other_formats():
    with pytest.raises(ValueError, match="23/11/2025"):
        interval("23/11/2025")


def _dates(selected: pd.DataFrame) -> list[str]:
    return list(selected["date"])


def test_date_range_keeps_events_that_overlap_it(table):
    # November 2025 overlaps a range starting mid-November, so it is kept.
    assert _dates(select_events(table, date_from="2025-11-15")) == ["2025-11", "2025-11-23", "2025-12-02"]
    # "2022" as an upper bound means the end of 2022.
    assert _dates(select_events(table, date_to="2022")) == ["2014", "2022-02"]
    assert _dates(select_events(table, date_from="2022-02-10", date_to="2025-11-30")) == [
        "2022-02", "2025-11", "2025-11-23"]


def test_minimum_precision(table):
    assert _dates(select_events(table, min_precision="month")) == ["2022-02", "2025-11", "2025-11-23", "2025-12-02"]
    assert _dates(select_events(table, min_precision="day")) == ["2025-11-23", "2025-12-02"]
    assert len(select_events(table, min_precision="year")) == 5
    with pytest.raises(ValueError, match="min_precision"):
        select_events(table, min_precision="week")


def test_actors_to_show(table):
    assert _dates(select_events(table, actors=["Vladimir Putin"])) == ["2022-02", "2025-12-02"]
    assert _dates(select_events(table, actors=["Ukraine", "Russia"])) == ["2014", "2022-02", "2025-11-23"]
    assert len(select_events(table, actors=[])) == 5


def test_events_table_joins_lists():
    flat = events_table(pd.DataFrame([_event("2014", "year", ["Russia", "Ukraine"], sources=["a", "b", "c"])]))
    row = flat.loc[0]
    assert (row.actors, row.sources, row.n_sources) == ("Russia; Ukraine", "a; b; c", 3)


# --- anchor overrides ------------------------------------------------------------------------------------------------

ANTALYA = "On Thursday, the foreign ministers of Russia and Ukraine met in Antalya."


def _anchors() -> pd.DataFrame:
    return pd.DataFrame([
        {"doc_id": "a", "anchor": "2025-11-23", "earliest": "2025-11-23", "latest": "", "source": "inferred",
         "confidence": 0.5, "evidence": "on or after: ..."},
        {"doc_id": "b", "anchor": "", "earliest": "", "latest": "", "source": "undated", "confidence": 0.0,
         "evidence": ""},
    ])


def test_override_sets_the_anchor_and_says_so():
    table = apply_overrides(_anchors(), {"b": "2022-03-10"}).set_index("doc_id")
    b = table.loc["b"]
    assert (b.anchor, b.earliest, b.latest, b.source, b.confidence) == (
        "2022-03-10", "2022-03-10", "2022-03-10", "override", 1.0)
    assert "was: undated" in b.evidence
    assert table.loc["a"].anchor == "2025-11-23" and table.loc["a"].source == "inferred"
    assert "inferred 2025-11-23" in apply_overrides(_anchors(), {"a": "2025-11-24"}).loc[0, "evidence"]


def test_override_errors():
    with pytest.raises(ValueError, match="not in the corpus"):
        apply_overrides(_anchors(), {"zzz": "2022-03-10"})
    with pytest.raises(ValueError):
        apply_overrides(_anchors(), {"b": "March 2022"})


def test_overridden_anchor_resolves_relative_dates():
    # 10 March 2022 was a Thursday (1 January 2022 was a Saturday; 10 March is 68 days later, 68 = 9*7 + 5), so an
    # article of that day means that very day by "On Thursday".
    docs = pd.DataFrame([{"doc_id": "b", "text": ANTALYA, "published": ""}])
    anchors = apply_overrides(article_dates(docs), {"b": "2022-03-10"})
    table = events(docs, anchors)
    assert list(zip(table.date, table.precision, table.date_source)) == [
        ("2022-03-10", "day", "relative to article date")]
    assert events(docs, article_dates(docs)).empty  # without the override nothing resolves


# --- TimelineJS ------------------------------------------------------------------------------------------------------

def test_timelinejs_by_hand():
    table = pd.DataFrame([
        _event("2025-11-23", "day", ["Ukraine", "United States"], text='Talks <script>alert("x")</script> & more.',
               doc_id="b", sent_start=10, sources=["b", "c"], date_source="inferred", timex="23 November"),
        _event("2014", "year", text="Crimea was annexed in 2014.", timex="2014"),
        _event("2022-02", "month", ["Russia"], text="The invasion began in February 2022.",
               timex="February 2022"),
    ])
    document = timelinejs(table, "Seeds <b>", "5 articles")
    assert document["title"] == {"text": {"headline": "Seeds &lt;b&gt;", "text": "5 articles"}}
    assert [e["start_date"] for e in document["events"]] == [
        {"year": "2014"}, {"year": "2022", "month": "2"}, {"year": "2025", "month": "11", "day": "23"}]
    assert document["events"][2] == {
        "start_date": {"year": "2025", "month": "11", "day": "23"},
        "text": {
            "headline": "Talks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more.",
            "text": "<p>Talks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more.</p>"
                    "<p>date 2025-11-23 (day, inferred) from “23 November”<br>"
                    "actors: Ukraine, United States<br>"
                    "sources: b, c; sentence b [10:51]</p>",
        },
        "group": "inferred",
    }
    assert document["events"][0]["text"]["text"].endswith(
        "actors: none found<br>sources: a; sentence a [0:27]</p>")


def test_timelinejs_month_precision_ignores_a_day_and_headline_is_short():
    long_text = "word " * 40
    document = timelinejs(pd.DataFrame([_event("2025-11", "month", text=long_text)]), "t")
    assert document["events"][0]["start_date"] == {"year": "2025", "month": "11"}
    headline = document["events"][0]["text"]["headline"]
    assert len(headline) == 80 and headline.endswith("…")


def test_write_timelinejs_is_sorted_and_unescaped_unicode(tmp_path):
    path = write_timelinejs(pd.DataFrame([_event("2014", "year", text="Kyiv’s view")]), tmp_path / "t.json", "T")
    body = path.read_text(encoding="utf-8")
    assert body.endswith("}\n") and "Kyiv&#x27;s" not in body and "Kyiv’s" in body
    assert body.index('"events"') < body.index('"title"')  # keys sorted
    assert json.loads(body) == timelinejs(pd.DataFrame([_event("2014", "year", text="Kyiv’s view")]), "T")
    assert write_timelinejs(pd.DataFrame(columns=list(_event("2014", "year"))), tmp_path / "e.json", "T").read_text(
        encoding="utf-8") == '{\n "events": [],\n "title": {\n  "text": {\n   "headline": "T",\n   "text": ""\n  }\n }\n}\n'


def test_write_timelinejs_writes_each_slide_at_its_depth(tmp_path):
    # Two slides, written one at a time: each nested two levels in, one space per level, as json.dumps(indent=1).
    table = pd.DataFrame([_event("2014", "year", text="A"), _event("2015", "year", text="B")])
    body = write_timelinejs(table, tmp_path / "t.json", "T").read_text(encoding="utf-8")
    lines = body.splitlines()
    assert lines[:4] == ['{', ' "events": [', '  {', '   "group": "explicit",']
    # "  }," ends the first slide; "  }" the second one and the title's "text" object.
    assert lines.count('  },') == 1 and lines.count('  }') == 2 and ' ],' in lines
    assert json.loads(body) == timelinejs(table, "T")


# --- figure ----------------------------------------------------------------------------------------------------------

def _span(fig: Figure) -> tuple[dt.date, dt.date]:
    low = min(ax.get_xlim()[0] for ax in fig.axes)
    high = max(ax.get_xlim()[1] for ax in fig.axes)
    return mdates.num2date(low).date(), mdates.num2date(high).date()


def test_figure_without_events():
    fig = timeline_figure(pd.DataFrame(columns=list(_event("2014", "year"))))
    assert isinstance(fig, Figure)
    assert any("no dated events" in t.get_text() for t in fig.axes[0].texts)


def test_figure_with_one_event():
    fig = timeline_figure(pd.DataFrame([_event("2025-11-23", "day")]))
    assert len(fig.axes) == 1
    low, high = _span(fig)
    assert low <= dt.date(2025, 11, 23) < high
    assert (high - low).days < 30


def test_figure_from_2014_to_2025_breaks_the_axis(table):
    # Gaps of seven years (2014 → February 2022) and more than three (→ November 2025), each over a tenth of the
    # twelve-year range: three panels.
    fig = timeline_figure(table, _anchors().assign(doc_id=["a", "zzz"]))
    assert len(fig.axes) == 3
    low, high = _span(fig)
    assert low <= dt.date(2014, 1, 1) and high > dt.date(2025, 12, 2)
    first, second, third = (tuple(mdates.num2date(x).date() for x in ax.get_xlim()) for ax in fig.axes)
    assert first[1] < dt.date(2016, 1, 1) and dt.date(2021, 1, 1) < second[0] < second[1] < dt.date(2023, 1, 1)
    assert dt.date(2025, 1, 1) < third[0]
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels[0].startswith("#0  2014  Something happened. — Russia")


def test_figure_shows_the_most_reported_events_and_says_so():
    many = pd.DataFrame([_event(f"2020-01-{d:02d}", "day", doc_id=f"d{d:02d}") for d in range(1, 29)] * 3
                        + [_event("2021-06", "month", sources=["a", "b", "c"])])
    fig = timeline_figure(many, max_events=40)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert len(labels) == 40
    assert labels[-1].startswith("#84  2021-06") and labels[-1].endswith("(3 articles)")
    # The other 39, each told by one article, all by day: the earliest, three events a day, 1 to 13 January.
    assert [label.split()[1] for label in labels[:-1]] == [f"2020-01-{d:02d}" for d in range(1, 14) for _ in range(3)]
    assert "the 40 told by the most articles, of 85" in fig.get_suptitle()


def test_figure_is_readable_at_page_width(tmp_path):
    from newslens.plots import save_figure

    sentence = "Negotiators met again in Geneva on Sunday, and the talks went on late into the night " * 3
    many = pd.DataFrame([_event(f"2025-11-{d:02d}", "day", ["Russia", "Ukraine", "United States", "EU"], sentence,
                                doc_id=f"d{d:02d}") for d in range(1, 31)])
    fig = timeline_figure(many, max_events=40)
    # 9.5 inches wide (1,140 pixels at 120 dpi: about a report page, so the PNG is hardly shrunk), 0.6 inch per
    # event plus 1.9 for the title, axis and legend.
    assert tuple(fig.get_size_inches()) == pytest.approx((9.5, 0.6 * 30 + 1.9))
    labels = fig.axes[0].texts
    assert len(labels) == 30 and {t.get_fontsize() for t in labels} == {10}
    # "#0  2025-11-01  " (16 characters) and " — Russia, Ukraine, United States +1 (1 article)" (48) leave 46 of the
    # 110 for the sentence: 45 characters and "…".
    assert labels[0].get_text() == ("#0  2025-11-01  " + sentence[:45] + "… — Russia, Ukraine, United "
                                    "States +1 (1 article)")
    assert max(len(t.get_text()) for t in labels) <= 110
    saved = save_figure(fig, "timeline", tmp_path)
    from PIL import Image

    assert Image.open(saved.png).width <= 1160  # no label runs out of the figure (bbox_inches="tight" would widen it)
    assert saved.alt.startswith("Chronology — 30 events. Periods shown: Nov 2025. Events, by date: #0  2025-11-01")


def test_rows_taken_a_few_at_a_time_keep_their_order_and_numbers():
    from newslens.timeline import _rows_at

    table = pd.DataFrame({"date": [f"2020-01-{d:02d}" for d in range(1, 11)], "n": range(10)}, index=range(100, 110))
    taken = _rows_at(table, np.array([7, 2, 9, 0, 5]))  # a group of four, then one
    assert list(taken.index) == [107, 102, 109, 100, 105]
    assert list(taken["date"]) == ["2020-01-08", "2020-01-03", "2020-01-10", "2020-01-01", "2020-01-06"]
    assert _rows_at(table, np.array([], dtype=int)).empty


def test_figure_marks_article_dates_and_is_deterministic(table):
    anchors = pd.DataFrame([
        {"doc_id": "a", "anchor": "2025-12-05", "earliest": "2025-12-05", "latest": "2025-12-05",
         "source": "metadata", "confidence": 1.0, "evidence": ""},
        {"doc_id": "b", "anchor": "2025-12-06", "earliest": "", "latest": "2025-12-06", "source": "inferred",
         "confidence": 0.6, "evidence": ""},
    ])
    table = pd.concat([table, pd.DataFrame([_event("2025-11-23", "day", doc_id="b")])], ignore_index=True)

    def svg() -> bytes:
        out = io.BytesIO()
        timeline_figure(table, anchors).savefig(out, format="svg", metadata={"Date": None})
        return out.getvalue()

    assert svg() == svg()
    assert _span(timeline_figure(table, anchors))[1] > dt.date(2025, 12, 6)


# --- the timex table and events reusing it -----------------------------------------------------------------------

def test_timex_table_resolves_against_the_anchor():
    docs = pd.DataFrame([{"doc_id": "m", "text": "Putin said on the 2nd of December that he was ready.",
                          "published": "2025-12-05"}])
    table = timex_table(docs, article_dates(docs))
    assert table.to_dict("records") == [{
        "doc_id": "m", "start": 14, "end": 33, "text": "the 2nd of December", "type": "DATE", "value": "2025-12-02",
        "anchored": True, "mod": "", "anchor": "2025-12-05"}]


def test_timex_table_keeps_repeated_text_as_categories_and_writes_the_same_csv(tmp_path):
    docs = pd.DataFrame([{"doc_id": "m", "text": "On 2 December and on 3 December 2025 they met.",
                          "published": "2025-12-05"}])
    table = timex_table(docs, article_dates(docs))
    assert {c: str(t) for c, t in table.dtypes.items()
            if c in ("doc_id", "type", "mod", "anchor", "start", "end")} == {
        "doc_id": "category", "start": "int32", "end": "int32", "type": "category", "mod": "category",
        "anchor": "category"}
    assert write_table(table, "timexes", tmp_path).read_text(encoding="utf-8") == (
        "doc_id,start,end,text,type,value,anchored,mod,anchor\n"
        "m,3,13,2 December,DATE,2025-12-02,True,,2025-12-05\n"
        "m,21,36,3 December 2025,DATE,2025-12-03,False,,2025-12-05\n")


def test_events_from_a_given_timex_table_and_sentence_offsets_across_lines():
    text = "Talks\nOn 23 November 2025, talks began. Nothing else.\n\nIn 2014 Crimea was annexed."
    docs = pd.DataFrame([{"doc_id": "x", "text": text, "published": ""}])
    anchors = article_dates(docs)
    table = events(docs, anchors, timexes=timex_table(docs, anchors))
    assert list(zip(table.date, table.sent_start, table.sent_end)) == [("2014", 55, 82), ("2025-11-23", 6, 39)]
    assert table.equals(events(docs, anchors))


def test_slides_taken_a_chunk_at_a_time_in_date_order_whatever_the_index(monkeypatch):
    import newslens.timeline as timeline

    monkeypatch.setattr(timeline, "_SLIDE_CHUNK", 2)  # five events: chunks of 2, 2 and 1
    events = pd.DataFrame([_event("2025-11-23", "day", doc_id="b", sent_start=5, text="E1."),
                           _event("2014", "year", text="E2."),
                           _event("2025-11-23", "day", doc_id="a", sent_start=9, text="E3."),
                           _event("2025-11-23", "day", doc_id="b", sent_start=1, text="E4."),
                           _event("2022-02", "month", text="E5.")], index=[7, 7, 3, 3, 0])  # labels repeat
    headlines = [slide["text"]["headline"] for slide in timelinejs(events, "t")["events"]]
    # By date, then doc_id, then sentence start: 2014, 2022-02, then 2025-11-23 a:9, b:1, b:5.
    assert headlines == ["E2.", "E5.", "E3.", "E4.", "E1."]
    figure = timeline_figure(events, max_events=2)  # the two most precise (days), earliest doc_id first: E3, E4
    assert [t.get_text().split("  ")[0] for t in figure.axes[0].texts] == ["#3", "#3"]
