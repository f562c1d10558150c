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

from .findings import count, number, short_title

MAX_HTML_ROWS = 2000  # beyond this the report shows the first rows and the CSV has them all
TEXT_STYLE = "text-align:left;vertical-align:top;min-width:{min}em;max-width:36em;white-space:normal;" \
             "overflow-wrap:break-word"
NUMBER_STYLE = "text-align:right;vertical-align:top;white-space:nowrap"


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
    """Prepare a notebook's output for readers: warnings as notes, no MathJax in tables."""
    pd.set_option("display.html.use_mathjax", False)  # "$5 billion" in an article is money, not maths
    warnings.showwarning = _show_warning


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
    titles = dict(zip(documents["doc_id"], documents["title"].map(lambda t: short_title(t, width))))
    shown = table.copy()
    shown.insert(list(shown.columns).index("doc_id") + 1, "title", shown["doc_id"].map(titles).fillna(""))
    return shown


WIDE_COLUMNS = ("title", "sentence", "text", "removed", "left", "right", "quote", "evidence", "example", "predicate")


def table_html(table: pd.DataFrame, wide: tuple[str, ...] = WIDE_COLUMNS) -> str:
    """An escaped HTML table: numeric columns right-aligned, text left-aligned, wide text columns wider."""
    numeric = {c: pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
               for c in table.columns}
    # A text column is at least as wide as its longest word (up to 22 characters), so that a date, an identifier
    # or a heading is not broken at a hyphen; a character is about 0.65 em.
    longest = {c: max((len(word) for v in table[c].head(MAX_HTML_ROWS) for word in format_cell(v, str(c)).split()),
                      default=0) for c in table.columns if not numeric[c]}
    widths = {c: max(16 if c in wide else 4, math.ceil(0.65 * min(max(n, len(str(c))), 22)))
              for c, n in longest.items()}

    def style(column):
        return NUMBER_STYLE if numeric[column] else TEXT_STYLE.format(min=widths[column])

    head = "".join(f'<th style="{style(c)}">{html.escape(str(c))}</th>' for c in table.columns)
    body = "".join("<tr>" + "".join(f'<td style="{style(c)}">{html.escape(format_cell(v, str(c)))}</td>'
                                    for c, v in zip(table.columns, row)) + "</tr>"
                   for row in table.itertuples(index=False, name=None))
    return (f'<table class="dataframe newslens-table tex2jax_ignore"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


class Table:
    """A DataFrame shown for reading (see ``show_table``)."""

    def __init__(self, table: pd.DataFrame, csv: str | Path | None = None, rows: int = 15, empty: str = ""):
        self.table, self.csv, self.rows, self.empty = table, csv, rows, empty

    def _repr_html_(self) -> str:
        n = len(self.table)
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
        return self.empty if len(self.table) == 0 and self.empty else f"<table of {len(self.table)} rows>"


def show_table(table: pd.DataFrame, csv: str | Path | None = None, rows: int = 15,
               first: list[str] | None = None, empty: str = "") -> Table:
    """Display ``table`` for reading; ``csv`` (e.g. what ``write_table`` returned) is linked as the full table.

    Up to ``rows`` rows the table is shown as it is; a longer one is shown complete in a scrollable block.
    ``first``: columns a reader needs first, in this order; the others follow as they are (the CSV is unchanged).
    ``empty``: the sentence shown instead when the table has no rows ("No quote is attributed to any actor.")."""
    if first:
        table = table[list(first) + [c for c in table.columns if c not in first]]
    return Table(table, csv, rows, empty)
