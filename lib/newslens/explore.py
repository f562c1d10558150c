"""Explorers for JupyterLab: a concordance, an actor and a timeline explorer (ipywidgets).

Each explorer is a function of what a notebook has already computed or written (a ``TokenizedCorpus``, the tables
folder of ``02_actor_sentiment`` or ``03_chronology``) that returns something to end a cell with:

- in JupyterLab, VS Code or any front-end with ipywidgets: a widget (a text box, a list or a range slider above the
  view it updates);
- in a batch run (the runner sets ``NEWSLENS_BATCH=1`` in its kernels) or without ipywidgets: ``StaticView``, the
  view of the explorer's default selection as HTML and text, so a report never shows a widget box that cannot work
  outside a live kernel.

The views are built from the library's own tables (``newslens.frequency.kwic`` and ``dispersion``, the CSV files of
the notebooks read back with ``newslens.plots.read_table``, ``newslens.timeline.select_events``); all text goes
through pandas' HTML escaping or ``html.escape`` (article text is untrusted).
"""
from __future__ import annotations

import dataclasses
import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import pandas as pd

from .parameters import BATCH_ENV, ParameterError
from .plots import read_table
from .report import table_html
from .timeline import select_events, selected

if TYPE_CHECKING:  # the frequency module (nltk, scipy) is imported where a concordance is made, not by 02 or 03
    from .frequency import TokenizedCorpus

ROWS = 20  # rows of each table in a report's static view (the whole tables are the CSV files)
# Rows of a table read at a time for a static view, which keeps only a few of them: the parser's buffers for a block
# of 230,000 events with their sentences (``plots.READ_CHUNK_ROWS`` is larger) took 140 MB.
STATIC_BLOCK_ROWS = 20_000
LIVE_ROWS = 200  # rows of each table in a live explorer


def interactive() -> bool:
    """Whether explorers are widgets: not in a batch run, and only where ipywidgets can be imported."""
    if os.environ.get(BATCH_ENV):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class StaticView:
    """An explorer's view as HTML (``_repr_html_``) with a plain-text fallback (``__repr__``)."""

    title: str
    # (heading, table or sentence), or (heading, table, its number of rows) for a table of which only the first rows
    # were kept
    parts: tuple[tuple[str, pd.DataFrame | str] | tuple[str, pd.DataFrame, int], ...]
    rows: int = ROWS  # shown of each table

    def _repr_html_(self) -> str:
        blocks = [f"<h4>{html.escape(self.title)}</h4>"]
        for heading, part, *total in self.parts:
            blocks.append(f"<p><b>{html.escape(heading)}</b></p>" if heading else "")
            if isinstance(part, pd.DataFrame):
                more = (total[0] if total else len(part)) - min(len(part), self.rows)
                blocks.append(table_html(part.head(self.rows)) + (f"<p>… {more:,} more rows</p>" if more > 0 else ""))
            else:
                blocks.append(f"<p>{html.escape(part)}</p>")
        return "<div class=\"newslens-explorer\">" + "".join(blocks) + "</div>"

    def shown(self) -> StaticView:
        """This view with only the rows it shows of each table (and their number): what a report keeps of it. The
        view of the most mentioned actor of 100,000 articles has 98,000 documents and 112,000 quotes."""
        return dataclasses.replace(self, parts=tuple(
            (heading, part.head(self.rows), total[0] if total else len(part)) if isinstance(part, pd.DataFrame)
            else (heading, part) for heading, part, *total in self.parts))

    def __repr__(self) -> str:
        lines = [self.title]
        for heading, part, *_ in self.parts:
            lines += [heading] if heading else []
            lines.append(part.head(self.rows).to_string(index=False) if isinstance(part, pd.DataFrame) else part)
        return "\n".join(lines)


def _note(what: str, default: str) -> str:
    return (f"Interactive in JupyterLab ({what}); this static view of a batch report shows {default}. The whole "
            "tables are the CSV files of this report.")


def _widget(controls: list, render) -> object:
    """``controls`` above an output area that shows ``render(*their values)``, redrawn when a value changes."""
    import ipywidgets as widgets
    from IPython.display import display

    output = widgets.Output()

    def show(_=None):
        output.clear_output(wait=True)
        with output:
            display(dataclasses.replace(render(*(control.value for control in controls)), rows=LIVE_ROWS))

    for control in controls:
        control.observe(show, names="value")
    show()
    return widgets.VBox([*controls, output])


# --- concordance ---------------------------------------------------------------------------------------------------

def concordance_view(corpus: TokenizedCorpus, term: str, max_lines: int = 200) -> StaticView:
    """KWIC lines and dispersion (occurrences per document, and where in it) of one word or phrase.

    A term that does not occur gives a view saying so, with the closest words of the corpus."""
    from .frequency import concordance_terms, dispersion_by_document, kwic

    term = term.strip()
    try:
        concordance_terms(corpus, [term])
    except ParameterError as error:
        return StaticView(f"Concordance of {term!r}", (("", str(error).split(": ", 1)[1]),))
    lines = kwic(corpus, [term], max_lines=max_lines)[["doc_id", "left", "keyword", "right"]]
    per_document = (dispersion_by_document(corpus, [term])[["doc_id", "occurrences", "first_at", "last_at"]]
                    .round({"first_at": 2, "last_at": 2}))
    summary = (f"{per_document['occurrences'].sum():,} occurrences in {len(per_document):,} of "
               f"{len(corpus.doc_ids):,} documents (first_at / last_at: position in the document, 0 = start, 1 = end)")
    return StaticView(f"Concordance of {term!r}", (("Dispersion", summary), ("", per_document),
                                                   (f"KWIC lines (at most {max_lines})", lines)))


def concordance_explorer(corpus: TokenizedCorpus, term: str = ""):
    """Type a word or phrase: its KWIC lines and dispersion. ``term`` defaults to the most frequent term."""
    from .frequency import concordance_terms

    term = term or (concordance_terms(corpus, [], n_default=1) or [""])[0]
    if not interactive():
        view = concordance_view(corpus, term, max_lines=ROWS)
        return StaticView(view.title, (("", _note("type any word or phrase", f"the term {term!r}")),
                                       *view.parts)).shown()
    import ipywidgets as widgets

    box = widgets.Text(value=term, description="term", continuous_update=False,
                       placeholder="a word or phrase, then Enter")
    return _widget([box], lambda value: concordance_view(corpus, value))


# --- actors ----------------------------------------------------------------------------------------------------------

def _columns(table: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    return table[[c for c in wanted if c in table.columns]]


def actor_view(tables: dict[str, pd.DataFrame], actor: str) -> StaticView:
    """One actor from the tables of ``02_actor_sentiment``: tone per method, mentions per document, quotes, and the
    evidence sentences behind the tone. ``tables`` as ``read_tables`` gives them, or as the actor explorer keeps
    them: with a table ``quotes_per_speaker`` (speaker, quotes) when ``quotes`` has only each speaker's first
    quotes."""
    def rows(name: str, column: str) -> pd.DataFrame:
        table = tables.get(name, pd.DataFrame())
        return table[table[column] == actor] if column in table.columns else table.iloc[0:0]

    tone = _columns(rows("actors", "actor"), ["method", "mentions", "scored", "mean_sentiment", "ci_low", "ci_high",
                                              "share_negative", "share_neutral", "share_positive"])
    mentions = rows("mentions", "actor")
    by_document = mentions.groupby("doc_id", sort=False).size().rename("mentions").reset_index() \
        if len(mentions) else pd.DataFrame(columns=["doc_id", "mentions"])
    quotes = _columns(rows("quotes", "speaker"), ["doc_id", "cue", "quote"])
    counted = rows("quotes_per_speaker", "speaker")  # when only the first quotes of each speaker were kept
    n_quotes = int(counted["quotes"].iloc[0]) if len(counted) else len(quotes)
    evidence = _columns(rows("evidence", "actor"), ["method", "polarity", "score", "doc_id", "sentence"])
    return StaticView(f"Actor: {actor}", (
        ("Tone (mean in [-1, 1] with its 95% interval; shares of negative / neutral / positive mentions)", tone),
        (f"Mentions per document ({len(mentions):,} in all)", by_document),
        (f"Quotes attributed to {actor} ({n_quotes:,})", quotes, n_quotes),
        ("Evidence: the most negative and most positive sentences", evidence)))


def read_tables(folder: str | Path, names: tuple[str, ...], columns: dict[str, tuple[str, ...]] | None = None,
                categories: dict[str, tuple[str, ...]] | None = None,
                keep: dict[str, Callable[[pd.DataFrame], pd.Series]] | None = None, block_rows: int | None = None
                ) -> dict[str, pd.DataFrame]:
    """The CSV tables ``names`` of a notebook's ``tables/`` folder that exist, read back as written; of a table
    named in ``columns``, only those columns; of a table named in ``categories``, those columns as categoricals;
    of a table named in ``keep``, only the rows that function keeps, reading ``block_rows`` rows at a time
    (``newslens.plots.read_table``)."""
    folder, columns, categories, keep = Path(folder), columns or {}, categories or {}, keep or {}
    return {name: read_table(folder / f"{name}.csv", columns.get(name), categories.get(name, ()), keep.get(name),
                             block_rows) for name in names if (folder / f"{name}.csv").is_file()}


# The columns ``actor_view`` uses of the two large tables, their repeated labels as categoricals: 100,000 articles
# have 8.5 million mentions and 1.4 million quotes; the explorer over their tables peaked at 2.6 GB reading every
# column as text, 1.3 GB reading these, 0.8 GB with the categoricals (in a process of its own).
_ACTOR_VIEW_COLUMNS = {"mentions": ("actor", "doc_id"), "quotes": ("doc_id", "speaker", "cue", "quote")}
_ACTOR_VIEW_CATEGORIES = {"mentions": ("actor", "doc_id"), "quotes": ("doc_id", "speaker", "cue")}


class _FirstQuotes:
    """A ``keep`` of ``read_table`` over the quotes, block by block: each speaker's first ``limit`` quotes (the
    live view lists no more), counting them all in ``counts``. Quotes without a speaker are left out: 2 in 5 of
    the 1.9 million quotes of 100,000 articles; of the 1.1 million with one, 270,000 are among their speaker's
    first 200 (their text is most of the table)."""

    def __init__(self, limit: int):
        self.limit, self.counts = limit, {}

    def __call__(self, block: pd.DataFrame) -> pd.Series:
        speakers = block["speaker"].astype(str)
        rank = speakers.groupby(speakers).cumcount() + speakers.map(self.counts).fillna(0).astype(int)
        for speaker, n in speakers.value_counts(sort=False).items():
            self.counts[speaker] = self.counts.get(speaker, 0) + n
        return (speakers != "") & (rank < self.limit)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"speaker": list(self.counts), "quotes": list(self.counts.values())})


def actor_explorer(tables_folder: str | Path, actor: str = ""):
    """Pick an actor: tone, mentions, quotes and evidence, from the tables ``02_actor_sentiment`` wrote in
    ``tables_folder``. ``actor`` defaults to the most mentioned one."""
    if not interactive():
        return _static_actor(tables_folder, actor)
    first_quotes = _FirstQuotes(LIVE_ROWS)
    tables = read_tables(tables_folder, ("actors", "mentions", "quotes", "evidence"), _ACTOR_VIEW_COLUMNS,
                         _ACTOR_VIEW_CATEGORIES, {"quotes": first_quotes})
    tables["quotes_per_speaker"] = first_quotes.table()
    mentions = tables.get("mentions", pd.DataFrame(columns=["actor"]))
    per_actor = mentions["actor"].value_counts(sort=False) if "actor" in mentions.columns else pd.Series()
    actors = _actor_order(per_actor, tables.get("actors"))
    if not actors:
        return StaticView("Actor explorer", (("", "No actor was found in this corpus: nothing to explore."),))
    actor = actor or actors[0]
    import ipywidgets as widgets

    menu = widgets.Dropdown(options=actors, value=actor, description="actor")
    return _widget([menu], lambda value: actor_view(tables, value))


def _static_actor(tables_folder: str | Path, actor: str = "") -> StaticView:
    """The actor explorer's view of ``actor`` (default: the most mentioned), for a batch report: the mentions are
    read twice, block by block, to count them per actor and then to keep that actor's; the quotes and evidence
    only that actor's. Read as the live explorer reads them (every mention, each speaker's first quotes), the
    tables of 100,000 articles took 0.8 GB for a view of one actor."""
    per_actor = _Counted("actor")
    read_tables(tables_folder, ("mentions",), {"mentions": ("actor",)}, {"mentions": ("actor",)},
                {"mentions": per_actor}, STATIC_BLOCK_ROWS)
    listed = read_tables(tables_folder, ("actors",))
    actors = _actor_order(pd.Series(per_actor.counts, dtype="int64"), listed.get("actors"))
    if not actors:
        return StaticView("Actor explorer", (("", "No actor was found in this corpus: nothing to explore."),))
    actor = actor or actors[0]
    first_quotes = _FirstQuotes(LIVE_ROWS)
    tables = {**listed, **read_tables(
        tables_folder, ("mentions", "quotes", "evidence"), _ACTOR_VIEW_COLUMNS, _ACTOR_VIEW_CATEGORIES,
        {"mentions": lambda block: block["actor"] == actor, "evidence": lambda block: block["actor"] == actor,
         "quotes": lambda block: first_quotes(block) & (block["speaker"].astype(str) == actor)}, STATIC_BLOCK_ROWS)}
    tables["quotes_per_speaker"] = first_quotes.table()
    view = actor_view(tables, actor)
    return StaticView(view.title, (("", _note("pick any actor", f"the most mentioned actor, {actor}")),
                                   *view.parts)).shown()


def _actor_order(per_actor: pd.Series, summary: pd.DataFrame | None) -> list[str]:
    """The actors as notebook 02 orders them: those mentioned (``per_actor``: mentions by actor), the most mentioned
    first and ties by name, then those of the ``summary`` table (actors.csv) without a mention, by name."""
    from .actors import most_mentioned_first

    per_actor = per_actor.sort_index()
    actors = list(most_mentioned_first(per_actor[per_actor > 0]))  # a categorical's counts: some labels unused
    listed = summary["actor"] if summary is not None and "actor" in summary.columns else []
    return actors + sorted(set(listed) - set(actors))


class _Counted:
    """A ``keep`` of ``read_table`` that keeps no row and counts the rows of each value of ``column``
    (``counts``)."""

    def __init__(self, column: str):
        self.column, self.counts = column, {}

    def __call__(self, block: pd.DataFrame) -> pd.Series:
        for value, n in block[self.column].value_counts(sort=False).items():
            self.counts[str(value)] = self.counts.get(str(value), 0) + int(n)
        return pd.Series(False, index=block.index)


# --- timeline --------------------------------------------------------------------------------------------------------

def _split(cell) -> list[str]:
    """A cell joined by "; " (``events_table``) as its list; an empty cell (read as NaN) as []."""
    return [part for part in cell.split("; ") if part] if isinstance(cell, str) else []


def timeline_view(events: pd.DataFrame, date_from: str = "", date_to: str = "", actors=()) -> StaticView:
    """The events of ``03_chronology``'s ``events.csv`` from ``date_from`` to ``date_to`` (as in
    ``select_events``), involving at least one of ``actors`` when any are given."""
    kept = select_events(events.assign(actors=events["actors"].map(_split)), str(date_from), str(date_to),
                         list(actors))
    table = _columns(kept.assign(actors=kept["actors"].map("; ".join)), list(_TIMELINE_VIEW_COLUMNS))
    who = ", ".join(actors) if actors else "any actor"
    return StaticView(f"Events from {date_from or '…'} to {date_to or '…'}, {who}",
                      (("", f"{len(table):,} of {len(events):,} events"), ("", table)))


# The columns ``timeline_view`` shows (and selects on) of the events table.
_TIMELINE_VIEW_COLUMNS = ("date", "precision", "date_source", "actors", "text", "sources")


def timeline_explorer(tables_folder: str | Path):
    """A date range and an actor filter over the events ``03_chronology`` wrote in ``tables_folder``."""
    if not interactive():
        return _static_timeline(tables_folder)
    events = read_tables(tables_folder, ("events",), {"events": _TIMELINE_VIEW_COLUMNS}).get("events")
    if events is None or events.empty:
        return StaticView("Timeline explorer", (("", "No dated event in this corpus: nothing to explore."),))
    events = events.astype({"date": str})
    dates = sorted(set(events["date"]))
    actors = sorted({a for cell in events["actors"] for a in _split(cell)})
    import ipywidgets as widgets

    span = widgets.SelectionRangeSlider(options=dates, index=(0, len(dates) - 1), description="dates",
                                        layout=widgets.Layout(width="90%"))
    who = widgets.SelectMultiple(options=actors, description="actors", rows=min(8, max(len(actors), 1)))
    return _widget([span, who], lambda dates_, actors_: timeline_view(events, dates_[0], dates_[1], actors_))


def _static_timeline(tables_folder: str | Path) -> StaticView:
    """The timeline explorer's view of every event, for a batch report: the events table is read block by block,
    keeping only the rows the view shows (the 230,000 events of 100,000 articles, read whole with their sentences,
    were the largest step of ``03_chronology``'s last cell)."""
    def every_event(block: pd.DataFrame) -> list[bool]:
        return selected(block.astype({"date": str}).assign(actors=block["actors"].map(_split)))

    first = _FirstSelected(every_event, ROWS)
    events = read_tables(tables_folder, ("events",), {"events": _TIMELINE_VIEW_COLUMNS}, keep={"events": first},
                         block_rows=STATIC_BLOCK_ROWS).get("events")
    if events is None or not first.rows:
        return StaticView("Timeline explorer", (("", "No dated event in this corpus: nothing to explore."),))
    table = _columns(events.astype({"date": str}).assign(actors=events["actors"].map(_split).map("; ".join)),
                     list(_TIMELINE_VIEW_COLUMNS))
    return StaticView("Timeline explorer", (("", _note("pick a date range and actors", "every event")),
                                            ("", f"{first.picked:,} of {first.rows:,} events"),
                                            ("", table, first.picked)))


class _FirstSelected:
    """A ``keep`` of ``read_table``: the first ``limit`` rows that ``select`` (a function of a block of rows giving
    a mask) picks, counting every row read (``rows``) and every row picked (``picked``)."""

    def __init__(self, select: Callable[[pd.DataFrame], Sequence[bool]], limit: int):
        self.select, self.limit, self.rows, self.picked = select, limit, 0, 0

    def __call__(self, block: pd.DataFrame) -> pd.Series:
        mask = pd.Series(self.select(block), index=block.index, dtype=bool)
        rank = mask.cumsum() + self.picked  # the place among the rows picked so far, from 1
        self.rows, self.picked = self.rows + len(block), self.picked + int(mask.sum())
        return mask & (rank <= self.limit)

