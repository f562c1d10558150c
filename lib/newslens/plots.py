"""Figures shared by the notebooks, and the one way they are saved.

``save_figure`` writes PNG and SVG with no date or software stamp and a fixed SVG hash salt, so the same data
gives byte-identical files (matplotlib otherwise stamps a creation date and random element ids).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.rcParams["svg.hashsalt"] = "newslens"
matplotlib.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG renders the same without the fonts
matplotlib.rcParams["figure.dpi"] = 100
matplotlib.rcParams["savefig.dpi"] = 120

import matplotlib.pyplot as plt  # noqa: E402  (after the rcParams above)
from matplotlib.figure import Figure  # noqa: E402

PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}


def save_figure(fig: Figure, name: str, output_dir: str | Path = ".") -> list[Path]:
    """Save ``fig`` as figures/<name>.png and .svg under ``output_dir``; return the two paths."""
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.savefig(paths[0], metadata=PNG_METADATA, bbox_inches="tight")
    fig.savefig(paths[1], metadata=SVG_METADATA, bbox_inches="tight")
    return paths


def write_table(table, name: str, output_dir: str | Path = ".") -> Path:
    """Write a DataFrame as tables/<name>.csv (UTF-8, no index, '\\n' line ends)."""
    folder = Path(output_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False, lineterminator="\n")
    return path


def bar_chart(labels, values, title: str, xlabel: str, color: str = "#4C72B0") -> Figure:
    """Horizontal bar chart, largest at the top."""
    labels, values = list(labels), list(values)
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.28 * len(labels) + 1)))
    ax.barh(range(len(labels)), values, color=color)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


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
