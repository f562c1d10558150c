"""Figures shared by the notebooks, and the one way they are saved.

``save_figure`` writes PNG and SVG with no date or software stamp and a fixed SVG hash salt, so the same data
gives byte-identical files (matplotlib otherwise stamps a creation date and random element ids). Importing this
module also turns off mathtext, so that text from articles is drawn as it is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.rcParams["svg.hashsalt"] = "newslens"
matplotlib.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG renders the same without the fonts
matplotlib.rcParams["figure.dpi"] = 100
matplotlib.rcParams["savefig.dpi"] = 120
# Labels carry article text, and news is full of "$": "$5 billion and $7 billion" must not be set as maths (or
# fail to parse as it, "$\href{x}$"); none of our own labels uses mathtext.
matplotlib.rcParams["text.parse_math"] = False

import matplotlib.pyplot as plt  # noqa: E402  (after the rcParams above)
from matplotlib.figure import Figure  # noqa: E402

PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}


@dataclass(frozen=True)
class SavedFigure:
    """The files of a saved figure; in a notebook it displays as the saved PNG (no second rendering)."""

    png: Path
    svg: Path

    def _repr_png_(self) -> bytes:
        return self.png.read_bytes()


def save_figure(fig: Figure, name: str, output_dir: str | Path = ".") -> SavedFigure:
    """Save ``fig`` as figures/<name>.png and .svg under ``output_dir`` and close it.

    End a notebook cell with this call to show the figure: the inline backend would otherwise render it again.
    """
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    saved = SavedFigure(folder / f"{name}.png", folder / f"{name}.svg")
    fig.savefig(saved.png, metadata=PNG_METADATA, bbox_inches="tight")
    fig.savefig(saved.svg, metadata=SVG_METADATA, bbox_inches="tight")
    plt.close(fig)
    return saved


# Floats are written with 12 significant digits. numpy's log/exp and BLAS pick CPU-specific kernels (AVX2,
# AVX-512, NEON) whose results differ in the last bit or two, so full repr precision would make the same inputs
# give different CSV bytes on different machines; 12 digits is far beyond what any of our figures means.
FLOAT_FORMAT = "%.12g"


def write_table(table, name: str, output_dir: str | Path = ".") -> Path:
    """Write a DataFrame as tables/<name>.csv (UTF-8, no index, '\\n' line ends, floats to 12 significant digits)."""
    folder = Path(output_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False, lineterminator="\n", float_format=FLOAT_FORMAT)
    return path


def length_figure(documents, max_bars: int = 40) -> Figure:
    """Characters per document before and after cleaning: paired bars for a small corpus, else two histograms."""
    raw, clean = documents["n_chars_raw"], documents["n_chars_clean"]
    if len(documents) <= max_bars:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(documents) + 1.5))
        y = range(len(documents))
        ax.barh([i - 0.2 for i in y], raw, height=0.4, color="#BBBBBB", label="raw")
        ax.barh([i + 0.2 for i in y], clean, height=0.4, color="#4C72B0", label="cleaned")
        ax.set_yticks(list(y), documents["doc_id"])
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
            max_rows: int = 40, max_columns: int = 40) -> Figure:
    """A labelled heatmap of a DataFrame (rows × columns). ``diverging``: values in [-1, 1], red–grey–blue
    centred on 0, missing cells left blank. Larger tables are cut to their first rows/columns and the title says so."""
    shown = table.iloc[:max_rows, :max_columns]
    cut = shown.shape != table.shape
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * shown.shape[1] + 3), max(2.5, 0.4 * shown.shape[0] + 1.8)))
    if shown.empty:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    values = shown.to_numpy(dtype=float)
    if diverging:
        image = ax.imshow(values, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    else:
        image = ax.imshow(values, cmap="Blues", vmin=0, aspect="auto")
    ax.set_xticks(range(shown.shape[1]), [str(c) for c in shown.columns], rotation=45, ha="right")
    ax.set_yticks(range(shown.shape[0]), [str(r) for r in shown.index])
    if annotate and shown.size <= 400:
        top = max(abs(v) for v in values.flat if v == v) if (values == values).any() else 0
        for (i, j), v in np.ndenumerate(values):
            if v == v:  # not NaN
                dark = abs(v) > 0.6 * (1 if diverging else top)
                ax.text(j, i, f"{v:.2f}" if diverging else f"{v:g}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=value_label, shrink=0.8)
    ax.set_title(title + (f" (first {shown.shape[0]} × {shown.shape[1]})" if cut else ""))
    fig.tight_layout()
    return fig


def interval_plot(summary, title: str, value: str = "mean_sentiment", low: str = "ci_low", high: str = "ci_high",
                  label: str = "actor", group: str = "method") -> Figure:
    """One row per ``label``, a dot with its interval per ``group`` (e.g. sentiment method), side by side."""
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
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("mean sentiment toward the actor (−1 negative … +1 positive), 95% bootstrap interval")
    ax.legend(title=group, loc="lower right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def show_table(table, empty_note: str):
    """The table to display, or, when it has no rows, ``empty_note`` printed in its place: a report says in words
    that there is nothing, instead of showing an empty table."""
    if table is not None and len(table):
        return table
    print(empty_note)
    return None
