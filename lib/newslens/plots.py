"""Figures shared by the notebooks, and the one way they are saved.

``save_figure`` writes PNG and SVG with no date or software stamp and a fixed SVG hash salt, so the same data
gives byte-identical files (matplotlib otherwise stamps a creation date and random element ids). Importing this
module also turns off mathtext, so that text from articles is drawn as it is written.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

import matplotlib
import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
import pyarrow as pa
import pyarrow.compute as pc

matplotlib.rcParams["svg.hashsalt"] = "newslens"
matplotlib.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG renders the same without the fonts
matplotlib.rcParams["figure.dpi"] = 100
matplotlib.rcParams["savefig.dpi"] = 120
# Labels carry article text, and news is full of "$": "$5 billion and $7 billion" must not be set as maths (or
# fail to parse as it, "$\href{x}$"); none of our own labels uses mathtext.
matplotlib.rcParams["text.parse_math"] = False

import matplotlib.pyplot as plt  # noqa: E402  (after the rcParams above)
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .memory import drop_mapped_pages  # noqa: E402
from .parameters import BATCH_ENV, REPORTS_NAME  # noqa: E402
from .parts import Parts, batches_of  # noqa: E402

PNG_METADATA = {"Software": None}
MUTED = "#F2F2F2"  # heatmap cells backed by too few observations
SVG_METADATA = {"Date": None, "Creator": None}


@dataclass(frozen=True)
class SavedFigure:
    """The files of a saved figure; in a notebook it displays as the saved PNG (no second rendering), with its alt
    text and its file name (relative to the report) in the output's metadata, which the report and index use;
    ``main`` marks the figure that stands for its report (the index's thumbnail)."""

    png: Path
    svg: Path
    alt: str = ""
    main: bool = False

    def _repr_png_(self):
        metadata = {"alt": self.alt, "filename": f"figures/{self.png.name}"}
        return self.png.read_bytes(), {**metadata, "main": True} if self.main else metadata


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        return False
    return True


def _axis_words(axis, name: str, limit: int = 6) -> str:
    """"x: occurrences" or "y: russia, ukraine, … and 19 more" (category labels only, not numeric ticks)."""
    label = axis.get_label().get_text()
    ticks = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    categories = [] if all(_is_number(t) for t in ticks) else ticks
    listed = ", ".join(categories[:limit]) + (f" and {len(categories) - limit} more" if len(categories) > limit else "")
    words = "; ".join(w for w in (label, listed) if w)
    return f"{name}: {words}" if words else ""


def describe_figure(fig: Figure) -> str:
    """Alt text from what the figure shows: the figure's label if set (``fig.set_label``), else its titles, axis
    labels and the first category labels of each axis."""
    if fig.get_label():
        return fig.get_label()
    parts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            parts.append(f"colour scale: {ax.get_ylabel() or ax.get_xlabel()}")
        elif ax.axison:
            bits = [ax.get_title(), _axis_words(ax.xaxis, "x"), _axis_words(ax.yaxis, "y")]
            parts.append(" — ".join(b for b in bits if b))
        elif ax.get_title():
            parts.append(ax.get_title())
    return ". ".join(p for p in parts if p) or "figure"


class PublishedFolderError(PermissionError):
    """A notebook run by hand was about to write into a report folder that `newslens run` publishes."""


def output_folder(output_dir: str | Path) -> Path:
    """``output_dir``, unless a notebook run by hand (not by the batch runner) would write into a published report
    folder, e.g. an executed copy in ``outputs/<stem>/`` re-run in JupyterLab: then ``PublishedFolderError``, so
    that its tables never disagree with the HTML report and ``index.html`` beside them."""
    folder = Path(output_dir)
    if not os.environ.get(BATCH_ENV) and (folder.resolve().parent / REPORTS_NAME).exists():
        raise PublishedFolderError(f"'{folder.resolve().name}' is a report folder published by `newslens run` "
                                   "(only the runner writes there): set output_dir to a scratch folder, e.g. "
                                   "\"scratch\", to explore this notebook by hand")
    return folder


def save_figure(fig: Figure, name: str, output_dir: str | Path = ".", alt: str | None = None,
                main: bool = False) -> SavedFigure:
    """Save ``fig`` as figures/<name>.png and .svg under ``output_dir`` and close it.

    ``alt``: the figure in words for readers who cannot see it; by default ``describe_figure`` writes it from the
    figure's titles and labels. ``main``: this figure answers the report's question best; the index shows it as
    the report's thumbnail (without one, the report's first figure). End a notebook cell with this call to show
    the figure: the inline backend would otherwise render it again.
    """
    folder = output_folder(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    alt = alt if alt is not None else describe_figure(fig)
    saved = SavedFigure(folder / f"{name}.png", folder / f"{name}.svg", alt, main)
    # The figure holds what it shows: the pages of mapped columns read to make it leave the process before it is
    # drawn (notebook 03 on 100,000 articles: 110 MB of its events' and texts' pages were in the kernel here, and
    # drawing the timeline's PNG takes 20-30 MB more).
    drop_mapped_pages()
    # The tight bounding box, computed once: bbox_inches="tight" would lay the figure out again for each format
    # (a third of the time of saving). Both files are then cropped alike.
    fig.draw_without_rendering()  # lays the text out, as savefig does before measuring
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(plt.rcParams["savefig.pad_inches"])
    fig.savefig(saved.png, metadata=PNG_METADATA, bbox_inches=bbox)
    fig.savefig(saved.svg, metadata=SVG_METADATA, bbox_inches=bbox)
    plt.close(fig)
    return saved


# Floats are written with 12 significant digits. numpy's log/exp and BLAS pick CPU-specific kernels (AVX2,
# AVX-512, NEON) whose results differ in the last bit or two, so full repr precision would make the same inputs
# give different CSV bytes on different machines; 12 digits is far beyond what any of our figures means.
FLOAT_FORMAT = "%.12g"


# A spreadsheet (Excel, LibreOffice, Google Sheets) opening a CSV runs a cell that starts with one of these as a
# formula: "=HYPERLINK(…)" from an article title becomes a live link, "=cmd|…" a command. OWASP's advice (CSV
# Injection) is to make such a cell text by putting a single quote in front of it; the quote shows in the cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value):
    """``value`` with a ``'`` in front when it is text that a spreadsheet would run as a formula.

    Signed numbers ("-3", "+1.5e3") stay as they are: a spreadsheet reads them as the numbers they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _spreadsheet_safe_column(column: pd.Series) -> pd.Series:
    """``spreadsheet_safe`` of every cell; only the cells that start like a formula are looked at one by one (a
    Python call per cell took seconds on tables of a million rows)."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # a cell made safe is a new category: the cells as text
        column = column.astype(column.cat.categories.dtype)
    try:
        risky = column.str.startswith(FORMULA_STARTS, na=False).to_numpy(dtype=bool)
    except AttributeError:  # no text at all in the column (e.g. lists, dates): checked cell by cell
        return column.map(spreadsheet_safe)
    if not risky.any():
        return column
    column = column.copy()
    column[risky] = column[risky].map(spreadsheet_safe)
    return column


def write_table(table, name: str, output_dir: str | Path = ".") -> Path:
    """Write a DataFrame as tables/<name>.csv: the one CSV writer of newslens.

    UTF-8, no index, '\\n' line ends, floats to 12 significant digits, and every text cell that would start a
    spreadsheet formula made text with a leading ``'`` (``spreadsheet_safe``; article text is untrusted). A field
    is quoted when it holds a comma, a double quote or a line break (``\\n`` or ``\\r``), as RFC 4180 asks.
    ``table`` may also be an iterable of DataFrames with the same columns, written one after the other under one
    header, or ``Parts`` (read in ``Parts.batches``): a table too large to hold (every term of every document of
    100,000 articles) is never whole in memory.
    """
    folder = output_folder(output_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    parts = batches_of(table) if isinstance(table, (pd.DataFrame, Parts)) else table
    with open(path, "wb") as out:
        for number, part in enumerate(parts):
            if not _write_csv(part, out, header=number == 0):  # a kind of column the fast path does not write
                out.truncate(out.tell())
                _safe_frame(part).to_csv(out, index=False, header=number == 0, lineterminator="\n",
                                         float_format=FLOAT_FORMAT)
    return path


def _safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its text cells and column names ``spreadsheet_safe``; the caller's table is never changed."""
    safe = table.copy(deep=False)  # copy-on-write: only the columns changed are new
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_bool_dtype(safe[column])):
            safe[column] = _spreadsheet_safe_column(safe[column])
    safe.columns = [spreadsheet_safe(str(c)) for c in safe.columns]
    return safe


_NEEDS_QUOTES = '[,"\r\n]'
# Rows made safe and into text at a time (copies of a batch, not of the whole table), as many as give about
# _CSV_BATCH_BYTES of CSV text (the first batch _CSV_FIRST_ROWS rows; then from the bytes per row so far, between
# _CSV_FIRST_ROWS and _CSV_MOST_ROWS). Making a batch into text takes about five times its text for a moment:
# batches of 25,000 rows of the 230,000 events of 100,000 articles (a sentence each, 13 MB of text a batch) took
# 70 MB more to write, batches of about 2 MB 30 MB; a table of a few short columns goes in batches of 50,000 rows or
# more (3.3 million rows took 1.3 s longer in batches of 5,000 rows than of 25,000).
_CSV_BATCH_BYTES = 2 * 2**20
_CSV_FIRST_ROWS = 1_000
_CSV_MOST_ROWS = 100_000


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())  # 64-bit offsets: a batch's text may pass 2 GB


def _write_csv(table: pd.DataFrame, out: BinaryIO, header: bool = True) -> bool:
    """Write ``table`` (integers, floats, booleans and text only), made ``spreadsheet_safe`` batch by batch, as CSV
    to ``out`` with Arrow's compute functions; pandas' ``to_csv`` goes through Python's csv module cell by cell (4 s
    for 3.3 million rows of a few columns). False, with ``out`` back where it was, when a column holds anything
    else."""
    if not len(table.columns):
        return False
    start = out.tell()
    if header:
        out.write(_csv_lines([_csv_fields(pd.Series([spreadsheet_safe(str(name))], dtype=object))
                              for name in table.columns]))
    first, rows, written = 0, _CSV_FIRST_ROWS, 0
    while first < len(table):
        batch = _safe_frame(table.iloc[first:first + rows])
        fields = [_csv_fields(batch[column]) for column in batch.columns]
        if any(field is None for field in fields):
            out.seek(start)
            return False
        written += out.write(_csv_lines(fields))
        first += len(batch)
        drop_mapped_pages()  # a table mapped from a file (``Parts.whole``) is read batch by batch, not kept
        rows = min(max(_CSV_BATCH_BYTES * first // max(written, 1), _CSV_FIRST_ROWS), _CSV_MOST_ROWS)
    return True


def _csv_lines(fields: list[pa.Array]) -> memoryview:
    """The rows of ``fields`` (one array of CSV fields per column) as CSV lines, a view of the text Arrow made."""
    if len(fields) == 1:  # a row of one empty field is written "", or it would read as a blank line
        fields = [pc.if_else(pc.equal(fields[0], ""), _text('""'), fields[0])]
    rows = pc.binary_join_element_wise(*fields, _text(",")) if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(rows, _text("\n"), _text(""))
    # Each line's text, "\n" included, lies in the array's data buffer right after the one before.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]


def _csv_fields(column: pd.Series) -> pa.Array | None:
    """Each cell of ``column`` as a CSV field (text, quoted where needed, missing values empty), or None."""
    dtype = column.dtype
    try:
        if pd.api.types.is_bool_dtype(dtype):
            text = pc.if_else(pa.array(column, type=pa.bool_(), from_pandas=True), _text("True"), _text("False"))
        elif pd.api.types.is_integer_dtype(dtype):
            text = pc.cast(pa.array(column, from_pandas=True), pa.large_string())
        elif pd.api.types.is_float_dtype(dtype):
            # As to_csv(float_format=FLOAT_FORMAT) writes them, missing values empty.
            values = column.to_numpy(dtype=float, na_value=np.nan).tolist()
            text = pa.array([FLOAT_FORMAT % value if value == value else "" for value in values], pa.large_string())
        elif pd.api.types.is_string_dtype(dtype) or dtype == object:
            text = _quoted(_one_chunk(pa.array(column, type=pa.large_string(), from_pandas=True)))
        else:
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # an object column of numbers, lists, dates, …
        return None
    return _one_chunk(pc.fill_null(text, _text("")))


def _one_chunk(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values  # pandas' text: in chunks


def _quoted(values: pa.Array) -> pa.Array:
    """``values`` with each value that holds a comma, a quote or a line break quoted (its quotes doubled)."""
    needs = pc.fill_null(pc.match_substring_regex(values, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return values
    quote = _text('"')
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(values.filter(needs), '"', '""'), quote,
                                         _text(""))
    return pc.replace_with_mask(values, needs, quoted)


def document_labels(documents, width: int = 40) -> list[str]:
    """A label per document for figures: its title, shortened; the doc_id is added where two labels would clash."""
    from .findings import short_title

    labels = [short_title(t, width) or str(d) for t, d in zip(documents["title"], documents["doc_id"])]
    uses = Counter(labels)  # not labels.count per label: quadratic, seconds for 10,000 documents
    return [f"{label} ({d})" if uses[label] > 1 else label for label, d in zip(labels, documents["doc_id"])]


# Rows ``read_table`` parses at a time: the parser's buffers are bounded by this, not by the table (reading the
# 8.5 million mentions of 100,000 articles whole peaked 290 MB above the table it gave).
READ_CHUNK_ROWS = 500_000


def read_table(path: str | Path, columns: Iterable[str] | None = None, categories: Iterable[str] = (),
               keep: Callable[[pd.DataFrame], pd.Series] | None = None, block_rows: int | None = None
               ) -> pd.DataFrame:
    """A table written by ``write_table``, read back: the ``'`` put in front of formula-like text cells removed,
    empty text cells as "" (not NaN). ``columns``: read only these (those the table has), in the table's order.
    ``categories``: text columns read as pandas categoricals, their labels sorted — for labels repeated over
    millions of rows (the actor and doc_id of 8.5 million mentions: 90 MB so, 360 MB as text). ``keep``: a
    function of a block of rows (read back as above) giving the mask of the rows to keep; the others are dropped
    as the table is read (``block_rows`` at a time, default ``READ_CHUNK_ROWS``), and the rows kept are numbered
    from 0."""
    wanted = None if columns is None else set(columns)
    blocks = []
    with pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: "category" for c in categories},
                     usecols=None if wanted is None else (lambda column: column in wanted),
                     chunksize=block_rows or READ_CHUNK_ROWS) as reader:
        for block in reader:  # a table of no rows is one empty block
            block = _unescaped_table(block)
            if keep is not None:
                block = _used_labels_only(block[keep(block).to_numpy(dtype=bool)])
            if len(block) or not blocks:  # the first block, even empty, gives the columns and their types
                blocks.append(block)
    return _joined_blocks(blocks)


def _used_labels_only(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each categorical column's unused labels dropped: a block that keeps a few rows would otherwise
    keep every label of the block it was cut from (one actor's mentions of 100,000 articles, 425 blocks of
    thousands of actor names and document ids each, took 380 MB to read)."""
    for column in table.columns:
        if isinstance(table[column].dtype, pd.CategoricalDtype):
            table[column] = table[column].cat.remove_unused_categories()
    return table


def _unescaped_table(table: pd.DataFrame) -> pd.DataFrame:
    for column in table.columns:
        if isinstance(table[column].dtype, pd.CategoricalDtype):
            table[column] = _unescaped_categories(table[column])
        elif pd.api.types.is_string_dtype(table[column]) or table[column].dtype == object:
            table[column] = _unescaped_column(table[column]).fillna("")
    return table


def _joined_blocks(blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """The blocks one under the other, numbered from 0; a categorical column's labels are the sorted union of the
    blocks' labels."""
    if len(blocks) == 1:
        return blocks[0].reset_index(drop=True)
    joined = {}
    for column in blocks[0].columns:
        parts = [block[column] for block in blocks]
        joined[column] = (pd.Series(union_categoricals(parts, sort_categories=True), name=column)
                          if isinstance(parts[0].dtype, pd.CategoricalDtype)
                          else pd.concat(parts, ignore_index=True))
    return pd.DataFrame(joined)


def _unescaped_categories(column: pd.Series) -> pd.Series:
    """A categorical column with its labels unescaped (``_unescape``) and sorted, a missing value as ""."""
    labels = np.asarray([*map(_unescape, column.cat.categories.astype(str)), ""], dtype=object)  # "": missing
    distinct, new_code = np.unique(labels, return_inverse=True)  # two labels may be one once unescaped
    codes = new_code[column.cat.codes.to_numpy()]  # a missing value's code, -1, takes the last label
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(distinct, dtype=str)),
                     index=column.index, name=column.name)


def _unescaped_column(column: pd.Series) -> pd.Series:
    """``_unescape`` of every cell; only the cells that start with ``'`` are looked at one by one (as in
    ``_spreadsheet_safe_column``)."""
    quoted = column.str.startswith("'", na=False).to_numpy(dtype=bool)
    if not quoted.any():
        return column
    column = column.copy()
    column[quoted] = column[quoted].map(_unescape)
    return column


def _unescape(value):
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def length_figure(documents, max_bars: int = 40) -> Figure:
    """Characters per document before and after cleaning: paired bars (labelled by title) for a small corpus,
    else two histograms."""
    raw, clean = documents["n_chars_raw"], documents["n_chars_clean"]
    if len(documents) <= max_bars:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(documents) + 1.5))
        y = range(len(documents))
        ax.barh([i - 0.2 for i in y], raw, height=0.4, color="#BBBBBB", label="raw")
        ax.barh([i + 0.2 for i in y], clean, height=0.4, color="#4C72B0", label="cleaned")
        ax.set_yticks(list(y), document_labels(documents))
        ax.invert_yaxis()
        ax.set_xlabel("characters")
    else:
        fig, ax = plt.subplots(figsize=(7, 4))
        bins = 40
        ax.hist([raw, clean], bins=bins, color=["#BBBBBB", "#4C72B0"], label=["raw", "cleaned"])
        ax.set_xlabel("characters per document")
        ax.set_ylabel("documents")
    ax.legend()
    ax.set_title("Document length before and after cleaning")
    fig.tight_layout()
    return fig


def heatmap(table, title: str, value_label: str, diverging: bool = False, annotate: bool = True,
            max_rows: int = 40, max_columns: int = 40, counts=None, min_count: int = 0) -> Figure:
    """A labelled heatmap of a DataFrame (rows × columns). ``diverging``: values in [-1, 1], red–grey–blue
    centred on 0, missing cells left blank. Larger tables are cut to their first rows/columns and the title says so.

    ``counts`` (same shape and labels as ``table``): how many observations each cell rests on, written under its
    value ("n=3"); a cell with fewer than ``min_count`` is muted (drawn pale grey, its value in grey) and the
    title says so, because its colour would claim more than it rests on.
    """
    shown = table.iloc[:max_rows, :max_columns]
    cut = shown.shape != table.shape
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * shown.shape[1] + 3), max(2.5, 0.4 * shown.shape[0] + 1.8)))
    if shown.empty:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    values = shown.to_numpy(dtype=float)
    n = None if counts is None else counts.reindex(index=shown.index, columns=shown.columns).fillna(0).to_numpy()
    muted = np.zeros(values.shape, bool) if n is None else (n < min_count) & (values == values)
    if diverging:
        image = _cells(ax, values, cmap="RdBu", vmin=-1, vmax=1)
    else:
        image = _cells(ax, values, cmap="Blues", vmin=0)
    if muted.any():  # a pale grey layer over the muted cells; NaN elsewhere is transparent
        _cells(ax, np.where(muted, 1.0, np.nan), cmap=ListedColormap([MUTED]))
    ax.set_xlim(-0.5, values.shape[1] - 0.5)
    ax.set_ylim(values.shape[0] - 0.5, -0.5)  # the first row at the top
    ax.set_xticks(range(shown.shape[1]), [str(c) for c in shown.columns], rotation=45, ha="right")
    ax.set_yticks(range(shown.shape[0]), [str(r) for r in shown.index])
    if annotate and shown.size <= 400:
        top = max(abs(v) for v in values.flat if v == v) if (values == values).any() else 0
        for (i, j), v in np.ndenumerate(values):
            if v == v:  # not NaN
                dark = abs(v) > 0.6 * (1 if diverging else top) and not muted[i, j]
                label = f"{v:.2f}" if diverging else f"{v:g}"
                if n is not None:
                    label += f"\nn={int(n[i, j])}"
                ax.text(j, i, label, ha="center", va="center", fontsize=7,
                        color="#888888" if muted[i, j] else "white" if dark else "black")
    fig.colorbar(image, ax=ax, label=value_label, shrink=0.8)
    note = f"; grey: fewer than {min_count} observations" if muted.any() else ""
    ax.set_title(title + (f" (first {shown.shape[0]} × {shown.shape[1]})" if cut else "") + note)
    fig.tight_layout()
    return fig


def _cells(ax, values: np.ndarray, **style):
    """``values`` drawn as one coloured square per cell, cell (i, j) centred on (j, i) as ``imshow`` places it;
    NaN cells left transparent. Not ``imshow``: it resamples its image to the output's pixels through float arrays
    of the figure's size (a 40 × 40 heatmap of 25 × 18 inches: 186 MB for a moment while saved as PNG)."""
    rows, columns = values.shape
    return ax.pcolormesh(np.arange(columns + 1) - 0.5, np.arange(rows + 1) - 0.5, values, **style)


def _counted(summary, labels: list, label: str, group: str, count: str) -> list[str]:
    """Each label with the count behind it: "Putin (n = 34)", or "Putin (n = 34 / 30)" when the groups differ."""
    out = []
    for name in labels:
        ns = list(dict.fromkeys(int(n) for n in summary.loc[summary[label] == name].sort_values(group)[count]))
        out.append(f"{name} (n = {' / '.join(f'{n:,}' for n in ns)})")
    return out


def interval_plot(summary, title: str, value: str = "mean_sentiment", low: str = "ci_low", high: str = "ci_high",
                  label: str = "actor", group: str = "method", count: str | None = "scored") -> Figure:
    """One row per ``label``, a dot with its interval per ``group`` (e.g. sentiment method), side by side; with
    ``count``, each row's label says how many items are behind it ("n = 34", or "n = 34 / 30" per group)."""
    labels = list(dict.fromkeys(summary[label]))
    groups = sorted(summary[group].unique()) if len(summary) else []
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.38 * len(labels) + 1.5)))
    if not labels:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    colors = ["#4C72B0", "#DD8452", "#55A868", "#8172B3"]
    offsets = [(k - (len(groups) - 1) / 2) * 0.25 for k in range(len(groups))]
    row = {name: i for i, name in enumerate(labels)}
    for k, name in enumerate(groups):
        part = summary[summary[group] == name]
        y = [row[a] + offsets[k] for a in part[label]]
        ax.errorbar(part[value], y, xerr=[part[value] - part[low], part[high] - part[value]], fmt="o",
                    color=colors[k % len(colors)], label=str(name), capsize=2, markersize=4)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_yticks(range(len(labels)), _counted(summary, labels, label, group, count) if count else labels)
    ax.invert_yaxis()
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("mean sentiment toward the actor (−1 negative … +1 positive), 95% bootstrap interval")
    ax.legend(title=group, loc="lower right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig
