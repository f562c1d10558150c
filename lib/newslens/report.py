"""What a notebook shows a reader: tables rounded and readable, warnings as notes, documents named by title.

``setup_report()`` (first code cell of a notebook) turns warnings into notes without the library's file path and
line of code, and tells pandas not to hand "$" in tables to MathJax. ``show_table`` displays a DataFrame for
reading: numbers rounded (p-values below 0.001 as "< 0.001"), text left-aligned and wrapped at word boundaries
within a readable width, every row of a long table in a scrollable block (up to ``MAX_HTML_ROWS``) with a link to
the complete CSV. Cells are escaped here (article text is untrusted); the CSV keeps full precision.
"""
from __future__ import annotations

import html
import math
import os
import warnings
from pathlib import Path

import pandas as pd

from .corpus import DocumentTitles
from .findings import count, number, short_title
from .memory import release_free_memory

# Beyond this the report shows the first rows and the CSV has them all. At 2,000 the reports of 1,000 articles
# were 3–16 MB of HTML each (and a rerun spent most of its time writing and converting them).
MAX_HTML_ROWS = 500
TEXT_STYLE = "text-align:left;vertical-align:top;min-width:{min}em;max-width:36em;white-space:normal;" \
             "overflow-wrap:{wrap}"
NUMBER_STYLE = "text-align:right;vertical-align:top;white-space:nowrap"
HEAD_STYLE = "text-align:{align};vertical-align:bottom;white-space:normal"  # a heading wraps after "_"
# The room a table may take, in em of its text (13 px), cell padding (1 em a column) included: a report's output
# area is about 926 pixels, 71 em, wide. ``column_widths`` fits a table into it.
PAGE_EM = 68
WIDE_FLOOR = 8  # em: a sentence column narrower than this reads as a column of single words
ID_FLOOR = 7  # em: about 10 characters; longer identifiers (doc_id) may then break anywhere
RIGID = 10  # characters: words up to this long (dates, labels) are never broken
FOLDED_EM = 15  # the width of the column that holds the columns a page has no room for
CHAR_EM = 0.65  # about the width of a character, in em


class Note:
    """A warning as a reader sees it: its message in a box, no file path, no code."""

    def __init__(self, message: str, kind: str = "Note"):
        self.message, self.kind = message, kind

    def _repr_html_(self) -> str:
        return ('<div class="newslens-note tex2jax_ignore" style="border-left:4px solid #DD8452;padding:.2em .8em;'
                f'margin:.6em 0;max-width:60em"><strong>{html.escape(self.kind)}.</strong> '
                f"{html.escape(self.message)}</div>")

    def __repr__(self) -> str:
        return f"{self.kind}: {self.message}"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from IPython.display import display

    display(Note(str(message), "Warning"))


def setup_report() -> None:
    """Prepare a notebook's output for readers: warnings as notes, no MathJax in tables; in a notebook, the memory
    freed by a cell is given back to the system after it (``newslens.memory``)."""
    pd.set_option("display.html.use_mathjax", False)  # "$5 billion" in an article is money, not maths
    warnings.showwarning = _show_warning
    shell = _notebook_shell()
    if shell is not None and _release_after_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _release_after_cell)


def _notebook_shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _release_after_cell(result=None) -> None:
    release_free_memory()


def format_cell(value, column: str) -> str:
    """One cell as text for reading: rounded numbers, "< 0.001" for small p-values, "" for missing."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer_dtype(type(value))):
        return number(int(value), 0) if abs(int(value)) >= 1 else str(int(value))
    if isinstance(value, float):
        if "p_value" in column and value < 0.001:
            return "< 0.001"
        return number(value, 3 if "p_value" in column else 0 if abs(value) >= 1000 else 1 if abs(value) >= 100
                      else 2)
    return str(value)


def with_titles(table: pd.DataFrame, documents: pd.DataFrame, width: int = 48) -> pd.DataFrame:
    """``table`` with a ``title`` column (shortened) after ``doc_id``, for display; the CSV keeps the doc_id only."""
    titles = {doc_id: short_title(title, width)
              for doc_id, title in DocumentTitles(documents).of(table["doc_id"]).items()}
    shown = table.copy(deep=False)  # a view of the columns (copy-on-write): a table may have millions of rows
    shown.insert(list(shown.columns).index("doc_id") + 1, "title", shown["doc_id"].map(titles).fillna(""))
    return shown


WIDE_COLUMNS = ("title", "sentence", "text", "removed", "left", "right", "quote", "evidence", "example", "predicate")


def _longest(table: pd.DataFrame) -> dict:
    """Column -> characters of its longest word and of its longest value, as displayed."""
    lengths = {}
    for column in table.columns:
        shown = [format_cell(v, str(column)) for v in table[column].head(MAX_HTML_ROWS)]
        lengths[column] = (max((len(w) for text in shown for w in text.split()), default=0),
                           max(map(len, shown), default=0))
    return lengths


def column_widths(table: pd.DataFrame, numeric: dict, wide: tuple[str, ...] = WIDE_COLUMNS,
                  reserved: float = 0, lengths: dict | None = None) -> tuple[dict[str, int], float]:
    """The minimum width in em of each text column of ``table``, narrowed to fit ``PAGE_EM`` - ``reserved``; and
    by how many em the table still exceeds it (0 when it fits).

    A text column starts as wide as its longest word (up to 22 characters) or its heading's longest part; one of
    the ``wide`` columns (sentences, titles) at 16 em. Numeric columns keep the width of their longest number. When
    the sum exceeds the page, the wide columns give up room first, down to ``WIDE_FLOOR``, then the columns of long
    identifiers, down to ``ID_FLOOR``; columns of short words (dates, labels) keep theirs.
    """
    lengths = lengths or _longest(table)

    def heading(c) -> int:
        return max(map(len, str(c).split("_")))

    texts = [c for c in table.columns if not numeric[c]]
    widths = {c: max(16 if c in wide else 4, math.ceil(CHAR_EM * min(max(lengths[c][0], heading(c)), 22)))
              for c in texts}
    fixed = sum(CHAR_EM * max(lengths[c][1], heading(c)) + 1
                for c in table.columns if numeric[c]) + len(texts) + reserved
    over = fixed + sum(widths.values()) - PAGE_EM
    for group, floor in (([c for c in texts if c in wide], WIDE_FLOOR),
                         ([c for c in texts if c not in wide and widths[c] > math.ceil(CHAR_EM * RIGID)], ID_FLOOR)):
        for c in sorted(group, key=lambda c: -widths[c]):  # the widest first
            cut = max(0, min(math.ceil(over), widths[c] - floor))
            widths[c] -= cut
            over -= cut
    return widths, max(0.0, over)


def _head(column: str) -> str:
    """A column name that may wrap after each "_" ("share_<wbr>negative")."""
    return "_<wbr>".join(html.escape(part) for part in column.split("_"))


def table_html(table: pd.DataFrame, wide: tuple[str, ...] = WIDE_COLUMNS) -> str:
    """An escaped HTML table that fits a report's width: numeric columns right-aligned, text left-aligned and
    wrapped within the widths of ``column_widths``. When even then the columns do not fit, the last ones are
    folded, as "name: value" lines, into one column "other columns" (callers put the columns a reader needs first):
    every value stays in the table, and the page never scrolls sideways."""
    numeric = {c: pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
               for c in table.columns}
    lengths = _longest(table)
    kept, folded = list(table.columns), []
    widths, over = column_widths(table, numeric, wide, lengths=lengths)
    while over > 0 and len(kept) > 2:
        folded.insert(0, kept.pop())
        widths, over = column_widths(table[kept], numeric, wide, FOLDED_EM + 1, lengths)

    def style(column):
        if numeric[column]:
            return NUMBER_STYLE
        # A column narrowed below its longest word must break inside words; others only at spaces.
        narrowed = widths[column] < math.ceil(CHAR_EM * min(lengths[column][0], 22))
        return TEXT_STYLE.format(min=widths[column], wrap="anywhere" if narrowed or column in wide else "break-word")

    styles = {c: style(c) for c in kept}
    head = "".join(f'<th style="{HEAD_STYLE.format(align="right" if numeric[c] else "left")}'
                   + ("" if numeric[c] else f";min-width:{widths[c]}em") + f'">{_head(str(c))}</th>' for c in kept)
    rest = TEXT_STYLE.format(min=FOLDED_EM, wrap="anywhere")
    if folded:
        head += f'<th style="{HEAD_STYLE.format(align="left")};min-width:{FOLDED_EM}em">other columns</th>'
    rows = []
    for row in table.itertuples(index=False, name=None):
        values = dict(zip(table.columns, row))
        cells = "".join(f'<td style="{styles[c]}">{html.escape(format_cell(values[c], str(c)))}</td>' for c in kept)
        if folded:
            lines = [f"{html.escape(str(c))}: {html.escape(format_cell(values[c], str(c)))}" for c in folded
                     if format_cell(values[c], str(c))]
            cells += f'<td style="{rest}">{"<br>".join(lines)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="dataframe newslens-table tex2jax_ignore"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


class Table:
    """A DataFrame shown for reading (see ``show_table``).

    Only the rows that can be shown are kept, with the count of all: a notebook keeps every displayed result in its
    output history, and a table of a large corpus has hundreds of thousands of rows."""

    def __init__(self, table: pd.DataFrame, csv: str | Path | None = None, rows: int = 15, empty: str = "",
                 first: list[str] | None = None, total: int | None = None, titles: pd.DataFrame | None = None):
        self.n, self.csv, self.rows, self.empty = len(table) if total is None else total, csv, rows, empty
        self.table = table.head(max(rows, MAX_HTML_ROWS))
        if titles is not None:  # titles of the shown rows only: joining them to millions of rows took 1 GB
            self.table = with_titles(self.table, titles)
        if first:
            self.table = self.table[list(first) + [c for c in self.table.columns if c not in first]]

    def _repr_html_(self) -> str:
        n = self.n
        if n == 0 and self.empty:  # nothing to show: say so in words, not as an empty table
            return f'<p class="tex2jax_ignore">{html.escape(self.empty)}</p>'
        link = ""
        if self.csv is not None:
            href = Path(os.path.relpath(self.csv)).as_posix()  # relative to the notebook: works in the report too
            link = f'<a href="{html.escape(href)}">{html.escape(Path(self.csv).name)}</a>'
        if n <= self.rows:
            note = count(n, "row") + (f"; also in {link}" if link else "")
            return f"{table_html(self.table)}<p><small>{note}.</small></p>"
        shown = self.table.head(MAX_HTML_ROWS)
        note = (f"All {n:,} rows (scroll inside the table)" if n <= MAX_HTML_ROWS
                else f"The first {MAX_HTML_ROWS:,} of {n:,} rows") + (f"; the complete table: {link}" if link else "")
        return (f'<div style="max-height:32em;overflow:auto;border:1px solid #ddd">{table_html(shown)}</div>'
                f"<p><small>{note}.</small></p>")

    def __repr__(self) -> str:
        return self.empty if self.n == 0 and self.empty else f"<table of {self.n} rows>"


def show_table(table: pd.DataFrame, csv: str | Path | None = None, rows: int = 15,
               first: list[str] | None = None, empty: str = "", total: int | None = None,
               titles: pd.DataFrame | None = None) -> Table:
    """Display ``table`` for reading; ``csv`` (e.g. what ``write_table`` returned) is linked as the full table.

    Up to ``rows`` rows the table is shown as it is; a longer one is shown complete in a scrollable block.
    ``first``: columns a reader needs first, in this order; the others follow as they are (the CSV is unchanged).
    ``empty``: the sentence shown instead when the table has no rows ("No quote is attributed to any actor.").
    ``total``: the rows of the whole table when ``table`` is only its first ``MAX_HTML_ROWS`` (of a table kept in
    parts, ``newslens.parts``).
    ``titles``: the documents (``doc_id``, ``title``); the shown rows get their document's shortened title after
    ``doc_id`` (``with_titles``), for reading; the CSV keeps the doc_id only."""
    return Table(table, csv, rows, empty, first, total, titles)
