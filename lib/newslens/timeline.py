"""The chronology's selection, figure and exports.

Public surface:
    apply_overrides(anchors, overrides) -> DataFrame      article dates with some anchors set by hand
    select_events(events, date_from, date_to, actors, min_precision) -> DataFrame
    selected(events, date_from, date_to, actors, min_precision) -> list[bool]   the same, as a mask (row by row)
    events_table(events) -> DataFrame                     the events as a flat table (lists joined by "; ")
    timeline_figure(events, anchors=None, max_events=40) -> Figure
    timelinejs(events, title, text="") -> dict            TimelineJS 3 JSON; write_timelinejs(...) writes it

Dates are TimeML values of three precisions: "2025-11-23" (day), "2025-11" (month), "2014" (year). Each stands for
the interval of days it covers, which is how the figure draws it and how the date range selects it.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

import newslens.plots  # noqa: F401  (its rcParams: reproducible files, article text drawn as written)
from newslens.memory import dropping

PRECISIONS = ("day", "month", "year")  # finest first
SOURCE_COLORS = {"explicit": "#2F6DB5", "relative to article date": "#D9822B", "inferred": "#B23A48",
                 "override": "#D9822B"}
_DATE = re.compile(r"^(\d{4})(?:-(\d\d)(?:-(\d\d))?)?$")


def interval(value: str, what: str = "date") -> tuple[dt.date, dt.date]:
    """First and last day covered by "YYYY", "YYYY-MM" or "YYYY-MM-DD"."""
    m = _DATE.match(str(value).strip())
    if not m:
        raise ValueError(f"{what} {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if day:
        first = dt.date(year, int(month), int(day))
        return first, first
    if month:
        first = dt.date(year, int(month), 1)
        following = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def apply_overrides(anchors: pd.DataFrame, overrides: dict[str, str]) -> pd.DataFrame:
    """``article_dates`` with the anchor of each doc_id in ``overrides`` ({doc_id: "YYYY-MM-DD"}) set by hand;
    its source becomes "override" and its evidence says what was replaced."""
    table = anchors.copy()
    unknown = sorted(set(overrides) - set(table["doc_id"]))
    if unknown:
        raise ValueError(f"anchor_overrides names documents that are not in the corpus: {unknown}")
    for doc_id, value in sorted(overrides.items()):
        day = dt.date.fromisoformat(str(value))  # a ValueError names a malformed date
        i = table.index[table["doc_id"] == doc_id][0]
        before = table.at[i, "source"] + (f" {table.at[i, 'anchor']}" if table.at[i, "anchor"] else "")
        table.loc[i, ["anchor", "earliest", "latest", "source", "confidence", "evidence"]] = [
            day.isoformat(), day.isoformat(), day.isoformat(), "override", 1.0,
            f"set by the anchor_overrides parameter (was: {before})"]
    return table


def select_events(events: pd.DataFrame, date_from: str = "", date_to: str = "", actors=(),
                  min_precision: str = "year") -> pd.DataFrame:
    """Events whose date interval overlaps [date_from, date_to] (either may be empty, or YYYY / YYYY-MM /
    YYYY-MM-DD: "2025" as date_to means to the end of 2025), at least as precise as ``min_precision``, and, when
    ``actors`` is not empty, involving at least one of them."""
    keep = selected(events, date_from, date_to, actors, min_precision)
    # Every event kept (the default): the same columns, not a copy of them (pandas copies on write).
    # events[[]] would select no columns: KeyError 'sources'.
    return (events if all(keep) else events.loc[keep]).reset_index(drop=True)


def selected(events: pd.DataFrame, date_from: str = "", date_to: str = "", actors=(),
             min_precision: str = "year") -> list[bool]:
    """For each event (row of ``events``), whether ``select_events`` keeps it: row by row, so a table read in blocks
    can be selected block by block."""
    if min_precision not in PRECISIONS:
        raise ValueError(f"min_precision must be one of {PRECISIONS}, not {min_precision!r}")
    low = interval(date_from, "date_from")[0] if date_from else dt.date.min
    high = interval(date_to, "date_to")[1] if date_to else dt.date.max
    allowed = set(PRECISIONS[: PRECISIONS.index(min_precision) + 1])
    wanted = set(actors)
    # Only the columns asked about, each date's interval once: row by row over every column, the sentences and
    # lists of 230,000 events (100,000 articles) took notebook 03's kernel from 334 to 456 MB for a moment.
    bounds = {value: interval(value) for value in pd.unique(events["date"])}
    keep = [bounds[value][0] <= high and bounds[value][1] >= low and precision in allowed
            for value, precision in zip(events["date"], events["precision"])]
    if wanted:
        keep = [kept and bool(wanted & set(names)) for kept, names in zip(keep, events["actors"])]
    return keep


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The events for a CSV file: ``actors`` and ``sources`` joined by "; ", with ``n_sources``."""
    # assign shares the other columns with ``events`` (230,000 events of 100,000 articles: 95 MB a copy); the lists
    # are joined by Arrow, without a Python list and str per event.
    lists = {column: _lists_of(events[column]) for column in ("actors", "sources")}
    joined = {column: pc.binary_join(values, "; ").to_pandas().set_axis(events.index)
              for column, values in lists.items()}
    return events.assign(n_sources=_lengths(lists["sources"]), **joined)


def _lists_of(column: pd.Series) -> pa.Array:
    return pa.array(column, pa.list_(pa.string()))  # as stored (no copy), or from Python lists


def _lengths(lists: pa.Array) -> np.ndarray:
    return pc.list_value_length(lists).to_numpy().astype("int64")


# --- figure ---------------------------------------------------------------------------------------------------------

def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# The figure is drawn for the width of a report page (about 1,000 pixels, so a 120 dpi PNG is shown at nearly its
# own size): its text stays readable there. The height grows with the number of events.
FIGURE_WIDTH = 9.5  # inches
ROW_HEIGHT = 0.6  # inches per event: its label above, its marks below
LABEL_SIZE = 10  # points
LABEL_CHARACTERS = 110  # an event's label fits the figure's width at LABEL_SIZE


def _label(number, row) -> str:
    """"#3  2025-11-23  <the sentence, shortened> — <actors> (2 articles)", about LABEL_CHARACTERS long at most."""
    actors = ", ".join(row.actors[:3]) + (f" +{len(row.actors) - 3}" if len(row.actors) > 3 else "")
    sources = f" ({len(row.sources)} article{'s' if len(row.sources) > 1 else ''})"
    head, tail = f"#{number}  {row.date}  ", (f" — {actors}" if actors else "") + sources
    return head + _shorten(row.text, max(40, LABEL_CHARACTERS - len(head) - len(tail))) + tail


def _segments(spans: list[tuple[dt.date, dt.date]], max_segments: int) -> list[tuple[dt.date, dt.date]]:
    """Split the time covered by ``spans`` at its largest empty gaps (at most ``max_segments`` - 1 of them, each
    longer than 60 days and a tenth of the whole range), so that 2014 and November 2025 each get readable room."""
    pieces: list[list[dt.date]] = []
    for first, last in sorted(spans):
        if pieces and first <= pieces[-1][1] + dt.timedelta(days=1):
            pieces[-1][1] = max(pieces[-1][1], last)
        else:
            pieces.append([first, last])
    whole = (pieces[-1][1] - pieces[0][0]).days
    gaps = sorted(((pieces[i + 1][0] - pieces[i][1]).days, i) for i in range(len(pieces) - 1))
    cuts = sorted(i for gap, i in gaps[::-1][: max_segments - 1] if gap > max(60, whole / 10))
    segments, start = [], 0
    for i in cuts + [len(pieces) - 1]:
        segments.append((pieces[start][0], pieces[i][1]))
        start = i + 1
    return segments


def _anchor_marks(anchors: pd.DataFrame | None, doc_ids: set[str]
                  ) -> dict[str, tuple[str, dt.date | None, dt.date | None]]:
    """doc_id -> (source, earliest, latest) for the dated articles among ``doc_ids`` (only the shown events'
    articles: a mark for each of 100,000 articles took 49 MB)."""
    if anchors is None:
        return {}
    wanted = anchors.loc[anchors["doc_id"].isin(doc_ids), ["doc_id", "source", "earliest", "latest"]]
    return {row.doc_id: (row.source, dt.date.fromisoformat(row.earliest) if row.earliest else None,
                         dt.date.fromisoformat(row.latest) if row.latest else None)
            for row in wanted.itertuples() if row.earliest or row.latest}


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # not strftime: it follows the locale


def _period(first: dt.date, last: dt.date) -> str:
    if first.year != last.year:
        return f"{first.year}–{last.year}"
    if first.month == last.month:
        return f"{_MONTHS[first.month - 1]} {first.year}"
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        return str(first.year)
    return f"{_MONTHS[first.month - 1]}–{_MONTHS[last.month - 1]} {first.year}"


def _empty_figure(message: str, title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def _article_marks(sources, marks) -> list[tuple[str, dt.date | None, dt.date | None]]:
    """The distinct publication dates of an event's articles; more than a few become one range."""
    found = sorted({marks[d] for d in sources if d in marks}, key=lambda m: (m[1] or m[2], m[2] or m[1], m[0]))
    if len(found) <= 6:
        return found
    days = [d for _, earliest, latest in found for d in (earliest, latest) if d]
    return [("range", min(days), max(days))]


def _sorted_positions(keys: dict[str, Sequence]) -> np.ndarray:
    """The positions of the rows in the order of ``keys`` (column name -> values, first key first; a stable
    sort). Only the keys are sorted, by Arrow, over the columns as they are stored: sorting a whole table of events
    copies every column of it (230,000 events of 100,000 articles: +140 MB), and pandas' sort of the keys as
    Python strings took 25 MB more."""
    table = pa.table({name: pa.array(values) for name, values in keys.items()})
    return pc.sort_indices(table, sort_keys=[(name, "ascending") for name in keys]).to_numpy()


def _most_told(events: pd.DataFrame, count: int) -> np.ndarray:
    """The positions of the ``count`` events told by the most articles (then the most precise, the earliest, by
    doc_id and sentence)."""
    return _sorted_positions({"n": -_lengths(_lists_of(events["sources"])),
                              "p": [PRECISIONS.index(p) for p in events["precision"]],
                              **{c: events[c] for c in ("date", "doc_id", "sent_start")}})[:count]


def _rows_at(events: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """``events.iloc[positions]``, copied out of ``events`` a run of consecutive positions at a time, with the
    mapped pages dropped after each run (``memory.dropping``). ``iloc`` with a list of positions takes from whole
    columns, and Arrow reads every chunk of a column to take from it: over a mapped table (``chronology.events``
    with a cache) each take brought the whole file into the process (107 MB at 100,000 articles), where a slice
    reads only its own rows."""
    if not len(positions):
        return events.iloc[:0]
    runs = np.split(positions, np.flatnonzero(np.diff(positions) != 1) + 1)
    pieces = dropping((events.iloc[run[0]:run[-1] + 1] for run in runs), every=1)
    return pd.concat([piece.iloc[np.arange(len(piece))] for piece in pieces])  # the take copies the run's rows


def timeline_figure(events: pd.DataFrame, anchors: pd.DataFrame | None = None, max_events: int = 40,
                    max_segments: int = 4, title: str = "Chronology") -> Figure:
    """One row per event, sorted by date: a dot for a day, a bar over the month, a faint bar over the year; colour
    = how the date was obtained. Grey marks on the same row are the publication dates of the event's articles (a
    tick when known, a bracket over the interval when inferred, a line over their range when there are many). The
    time axis is broken at long empty gaps. With more than ``max_events`` events, those told by the most articles
    are shown and the title says so.

    Each event's label is written above its row across the whole width ("#3  2025-11-23  <sentence> — <actors> (2
    articles)", starting with the event's index in ``events``): in ``fig.axes[0].texts``, top to bottom."""
    if len(events) == 0:
        return _empty_figure("no dated events to show", title)
    cut = len(events) > max_events
    shown = _rows_at(events, _most_told(events, max_events)) if cut else events
    shown = shown.sort_values(["date", "doc_id", "sent_start"], kind="mergesort")
    numbers = list(shown.index)
    shown = shown.reset_index(drop=True)
    marks = _anchor_marks(anchors, {d for sources in shown["sources"] for d in sources})
    rows = [(interval(r.date), r, _article_marks(r.sources, marks)) for r in shown.itertuples()]

    spans = [span for span, _, _ in rows]
    spans += [(m[1] or m[2], m[2] or m[1]) for _, _, article in rows for m in article]
    segments = _segments(spans, max_segments)
    pads = [dt.timedelta(days=max(3, (last - first).days * 0.04)) for first, last in segments]
    # A segment's width grows with the log of its length (a year gets more room than a month, not twelve times as
    # much) and with the square root of the number of events in it.
    widths = []
    for (first, last), pad in zip(segments, pads):
        inside = sum(1 for (a, b), _, _ in rows if a <= last and b >= first)
        widths.append((1 + math.log10((last - first).days + 2 * pad.days + 1)) * max(1, inside) ** 0.5)

    height = ROW_HEIGHT * len(shown) + 1.9
    fig, axes = plt.subplots(1, len(segments), figsize=(FIGURE_WIDTH, height), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": widths, "wspace": 0.06})
    axes = list(axes[0])
    num = mdates.date2num
    for ax, (first, last), pad, width in zip(axes, segments, pads, widths):
        stub = 0.06 * (num(last + pad) - num(first - pad))
        ticks, lines = [], []
        for y, ((start, end), row, article) in enumerate(rows):
            if end < first - pad or start > last + pad:
                continue
            color = SOURCE_COLORS.get(row.date_source, "#555555")
            if row.precision == "day":
                ax.plot(num(start) + 0.5, y, "o", color=color, markersize=6, zorder=3)
            else:
                ax.barh(y, num(end) + 1 - num(start), left=num(start), height=0.6, color=color,
                        alpha=0.25 if row.precision == "year" else 0.75, edgecolor=color, linewidth=0.8, zorder=2)
            for source, earliest, latest in article:
                if source not in ("inferred", "range"):
                    ticks.append((num(earliest) + 0.5, y))
                    continue
                # A bracket under the row: a tick at each known bound, an open side drawn as a short stub.
                low = num(earliest) if earliest else num(latest) + 1 - stub
                high = num(latest) + 1 if latest else num(earliest) + stub
                lines.append([(low, y + 0.3), (high, y + 0.3)])
                lines += [[(x, y + 0.3), (x, y + 0.1)] for bound, x in ((earliest, low), (latest, high)) if bound]
                if not earliest or not latest:
                    ax.plot(low if not earliest else high, y + 0.3, "<" if not earliest else ">", color="#777777",
                            markersize=3, zorder=1)
        if ticks:
            ax.plot(*zip(*ticks), "|", linestyle="", color="#777777", markersize=11, markeredgewidth=1.2, zorder=1)
        if lines:
            ax.add_collection(LineCollection(lines, colors="#777777", linewidths=1, zorder=1))
        ax.set_xlim(num(first - pad), num(last + pad) + 1)
        locator = mdates.AutoDateLocator(minticks=2, maxticks=max(3, round(9 * width / sum(widths))))
        ax.xaxis.set_major_locator(locator)
        # Each panel names its own period: matplotlib's offset would name the last tick's month ("2025-Dec" under a
        # panel of November).
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, offset_formats=[""] * 6))
        ax.set_xlabel(_period(first, last), fontsize=LABEL_SIZE)
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
    for left, right in zip(axes, axes[1:]):
        # A broken axis: no spine between the panels, and a slash where time was left out.
        left.spines["right"].set_visible(False)
        right.spines["left"].set_visible(False)
        right.tick_params(axis="y", left=False)
        for ax, x in ((left, 1), (right, 0)):
            ax.plot([x - 0.012, x + 0.012], [-0.02, 0.02], transform=ax.transAxes, color="black", linewidth=0.8,
                    clip_on=False)
    labels = [_label(n, r) for n, (_, r, _) in zip(numbers, rows)]
    across = blended_transform_factory(axes[0].transAxes, axes[0].transData)  # x from the left edge, y: the row
    for y, label in enumerate(labels):
        axes[0].annotate(label, (0, y - 0.36), xycoords=across, xytext=(4, 0), textcoords="offset points",
                         ha="left", va="bottom", fontsize=LABEL_SIZE, annotation_clip=False)
    axes[0].set_yticks([])
    for ax in axes:  # the labels run across every panel: the first panel is drawn last, on see-through panels
        ax.patch.set_visible(False)
    axes[0].set_zorder(1)
    axes[0].set_ylim(len(shown) - 0.45, -0.85)

    handles = [Line2D([], [], marker="o", linestyle="", color="#555555", label="day"),
               Patch(facecolor="#555555", alpha=0.75, label="month (bar over the month)"),
               Patch(facecolor="#555555", alpha=0.25, edgecolor="#555555", label="year (faint bar over the year)")]
    for source in dict.fromkeys(shown["date_source"]):
        handles.append(Patch(facecolor=SOURCE_COLORS.get(source, "#555555"), label=f"date {source}"))
    handles.append(Line2D([], [], marker="|", linestyle="", color="#777777", markersize=10,
                          label="article published (metadata / override)"))
    handles.append(Line2D([], [], color="#777777",
                          label="article date inferred: on or after [→, on or before ←]; many articles: their range"))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.75 / height, top=1 - 0.45 / height)
    fig.legend(handles=handles, loc="upper center", ncol=2, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0))
    if cut:
        suffix = f" — the {len(shown)} told by the most articles, of {len(events)}"
    else:
        suffix = f" — {len(shown)} event" + ("s" if len(shown) != 1 else "")
    fig.suptitle(title + suffix + (" (time axis broken at long gaps)" if len(segments) > 1 else ""), fontsize=12)
    # The alt text (newslens.plots.describe_figure): the labels are texts, not tick labels it could read.
    fig.set_label(f"{fig.get_suptitle()}. Periods shown: {', '.join(_period(a, b) for a, b in segments)}. "
                  f"Events, by date: {'; '.join(labels[:5])}" + (f"; and {len(labels) - 5} more" if len(labels) > 5
                                                                   else ""))
    return fig


# --- TimelineJS ----------------------------------------------------------------------------------------------------

def _start_date(date: str, precision: str) -> dict[str, str]:
    m = _DATE.match(date)
    if not m:
        raise ValueError(f"event date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    parts = {"year": m.group(1)}
    if precision in ("day", "month") and m.group(2):
        parts["month"] = str(int(m.group(2)))
    if precision == "day" and m.group(3):
        parts["day"] = str(int(m.group(3)))
    return parts


def timelinejs(events: pd.DataFrame, title: str, text: str = "") -> dict:
    """A TimelineJS 3 document: one slide per event, month and day left out when the date is coarser; the group
    is how the date was obtained. All text is HTML-escaped (article text is untrusted)."""
    return {"title": _title_slide(title, text), "events": list(_slides(events))}


def _title_slide(title: str, text: str) -> dict:
    return {"text": {"headline": html.escape(title), "text": html.escape(text)}}


_SLIDE_CHUNK = 10_000  # events taken out of the table at a time, in date order


def _slides(events: pd.DataFrame) -> Iterator[dict]:
    order = _sorted_positions({c: events[c] for c in ("date", "doc_id", "sent_start")})
    # The pages of a mapped table (``chronology.events`` with a cache, in date order) read for a chunk leave the
    # process after it.
    rows = (row for start in range(0, len(order), _SLIDE_CHUNK)
            for row in dropping(_rows_at(events, order[start:start + _SLIDE_CHUNK]).itertuples(), _SLIDE_CHUNK))
    for row in rows:
        details = [
            f"date {row.date} ({row.precision}, {row.date_source}) from “{row.timex}”",
            "actors: " + (", ".join(row.actors) if row.actors else "none found"),
            f"sources: {', '.join(row.sources)}; sentence {row.doc_id} [{row.sent_start}:{row.sent_end}]",
        ]
        yield {
            "start_date": _start_date(row.date, row.precision),
            "text": {"headline": html.escape(_shorten(row.text, 80)),
                     "text": "<p>" + html.escape(str(row.text)) + "</p><p>"
                             + "<br>".join(html.escape(d) for d in details) + "</p>"},
            "group": html.escape(row.date_source),
        }


def write_timelinejs(events: pd.DataFrame, path: str | Path, title: str, text: str = "") -> Path:
    """``timelinejs`` written to ``path`` as ``json.dumps(…, sort_keys=True, ensure_ascii=False, indent=1)`` would
    write it, one slide at a time: the 230,000 events of 100,000 articles held as slides and as one JSON string
    took 1.6 GB."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = json.JSONEncoder(sort_keys=True, ensure_ascii=False, indent=1)

    def nested(value, depth: int) -> str:  # a value written ``depth`` levels in (JSON strings hold no raw newline)
        return encoder.encode(value).replace("\n", "\n" + " " * depth)

    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "events": [')
        written = 0
        for slide in _slides(events):
            out.write(("," if written else "") + "\n  " + nested(slide, 2))
            written += 1
        out.write(("\n ]" if written else "]") + ',\n "title": '
                  + nested(_title_slide(title, text), 1) + "\n}\n")
    return path
