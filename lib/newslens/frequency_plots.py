"""Figures of the word-frequency tables (``newslens.frequency``). Each function takes a table as returned there,
returns a matplotlib Figure (never shows it) and draws the same picture for the same table: rows are taken in the
table's order, which is already deterministic. Save them with ``newslens.plots.save_figure``.

    plot_top_terms(terms)                 horizontal bars of the most frequent terms
    plot_top_ngrams(ngrams)               one panel of bars per n-gram length
    plot_distinctive_terms(distinctive)   small multiples: the most distinctive terms of each document
    plot_keyness(keyness)                 positive and negative keywords against general English (log ratio)
    plot_dispersion(ticks, corpus)        lexical dispersion plot: where chosen terms occur in the corpus
    plot_word_cloud(terms)                word cloud of the most frequent terms (the ``wordcloud`` package)
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import newslens.plots  # noqa: F401  (its rcParams: reproducible files, article text drawn as written)
from newslens.frequency import DISPERSION_TICKS
from newslens.parts import Parts, first_groups

POSITIVE = "#4C72B0"
NEGATIVE = "#C44E52"


def _empty(title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}: nothing to show", ha="center", va="center")
    return fig


def _bars(ax, labels, values, color=POSITIVE) -> None:
    labels, values = list(labels), list(values)
    ax.barh(range(len(labels)), values, color=color)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()  # first row of the table at the top


def plot_top_terms(terms: pd.DataFrame, top_n: int = 25, value: str = "count",
                   title: str = "Most frequent terms") -> Figure:
    """Bars of the first ``top_n`` rows of ``term_frequencies`` (``value``: "count" or "per_10k")."""
    rows = terms.head(top_n)
    if rows.empty:
        return _empty(title)
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(rows) + 1.2))
    _bars(ax, rows["term"], rows[value])
    ax.set_title(title)
    ax.set_xlabel("occurrences" if value == "count" else "per 10,000 words")
    fig.tight_layout()
    return fig


def plot_top_ngrams(ngrams: pd.DataFrame, top_n: int = 15, title: str = "Most frequent n-grams") -> Figure:
    """One panel per n-gram length with the first ``top_n`` rows of that length from ``ngrams``."""
    lengths = sorted(ngrams["n"].unique()) if not ngrams.empty else []
    if not lengths:
        return _empty(title)
    tallest = max(min(top_n, int((ngrams["n"] == n).sum())) for n in lengths)
    fig, axes = plt.subplots(1, len(lengths), figsize=(5.5 * len(lengths), 0.3 * tallest + 1.4), squeeze=False)
    for ax, n in zip(axes[0], lengths):
        rows = ngrams[ngrams["n"] == n].head(top_n)
        _bars(ax, rows["ngram"], rows["count"])
        ax.set_title(f"{n}-grams")
        ax.set_xlabel("occurrences")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_distinctive_terms(distinctive: pd.DataFrame | Parts, top_n: int = 8, ncols: int = 3,
                           max_documents: int = 12, value: str = "g2", labels: dict[str, str] | None = None,
                           title: str = "Distinctive terms per document") -> Figure:
    """Small multiples from ``distinctive_terms`` (or its parts): the ``top_n`` first terms of each of the first
    ``max_documents`` documents, bars of ``value`` ("g2", "log_ratio" or "tfidf"). ``labels`` maps doc_id to a
    panel title (e.g. the article's title); the doc_id is used otherwise."""
    distinctive = first_groups(distinctive, max_documents)
    documents = list(dict.fromkeys(distinctive["doc_id"]))
    if not documents:
        return _empty(title)
    ncols = min(ncols, len(documents))
    nrows = math.ceil(len(documents) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, (0.26 * top_n + 1.1) * nrows), squeeze=False)
    for ax, doc_id in zip(axes.flat, documents):
        rows = distinctive[distinctive["doc_id"] == doc_id].head(top_n)
        _bars(ax, rows["term"], rows[value])
        label = (labels or {}).get(doc_id, doc_id)
        ax.set_title(label if len(label) <= 40 else label[:39] + "…", fontsize=9)
        ax.set_xlabel({"g2": "G²", "log_ratio": "log ratio", "tfidf": "TF-IDF"}.get(value, value), fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(documents):]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_keyness(keyness: pd.DataFrame, top_n: int = 20,
                 title: str = "Keywords against general English (wordfreq)") -> Figure:
    """Two panels from ``keyness``: the ``top_n`` strongest positive keywords (the first rows) and negative
    keywords (the last rows), bars of the log ratio; the bar label gives G²."""
    positive = keyness[keyness["direction"] == "positive"].head(top_n)
    negative = keyness[keyness["direction"] == "negative"].tail(top_n).iloc[::-1]  # strongest first
    if positive.empty and negative.empty:
        return _empty(title)
    tallest = max(len(positive), len(negative), 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.28 * tallest + 1.6))
    for ax, rows, color, name in ((axes[0], positive, POSITIVE, "more frequent than in general English"),
                                  (axes[1], negative, NEGATIVE, "less frequent than in general English")):
        if rows.empty:
            ax.axis("off")
            continue
        _bars(ax, rows["term"], rows["log_ratio"], color=color)
        for i, (lr, g2) in enumerate(zip(rows["log_ratio"], rows["g2"])):
            ax.annotate(f"G² {g2:,.1f}", (lr, i), xytext=(3 if lr >= 0 else -3, 0), textcoords="offset points",
                        ha="left" if lr >= 0 else "right", va="center", fontsize=7, color="0.3")
        low, high = ax.get_xlim()
        ax.set_xlim(low - 0.2 * (high - low) * (low < 0), high + 0.2 * (high - low) * (high > 0))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("log ratio (log2 of relative frequency, corpus / reference)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_dispersion(ticks: pd.DataFrame, corpus=None, queries: list[str] | None = None,
                    title: str = "Where the terms occur") -> Figure:
    """Lexical dispersion plot from ``ticks`` (``frequency.dispersion_ticks``: query, corpus_position, occurrences):
    one row per query, a tick at each occurrence, or at each stretch of the corpus that holds several when a query
    occurs too often to draw each; x = position in the corpus (documents concatenated in corpus order). With
    ``corpus`` (the ``TokenizedCorpus``), the x axis spans the whole corpus and, for up to 60 documents, faint lines
    mark document boundaries."""
    queries = list(dict.fromkeys(queries or ticks["query"]))
    if not queries:
        return _empty(title)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(queries) + 1.4))
    for i, query in enumerate(queries):
        x = ticks.loc[ticks["query"] == query, "corpus_position"].to_numpy()
        ax.plot(x, np.full(len(x), i), "|", markersize=12, color=POSITIVE)
    if corpus is not None:
        ax.set_xlim(0, max(corpus.n_words, 1))
        if len(corpus.doc_ids) <= 60:
            for boundary in np.cumsum(corpus.doc_words)[:-1]:
                ax.axvline(boundary, color="0.85", linewidth=0.8, zorder=0)
    ax.set_yticks(range(len(queries)), queries)
    ax.set_ylim(len(queries) - 0.5, -0.5)
    # A query is merged only when it has more occurrences than ticks, so some tick then stands for several.
    merged = bool((ticks["occurrences"] > 1).any())
    ax.set_xlabel("word position in the corpus (documents in corpus order)" + (
        f"; occurrences in the same 1/{DISPERSION_TICKS:,} of the corpus drawn as one tick" if merged else ""))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_word_cloud(terms: pd.DataFrame, top_n: int = 150, width: int = 1200, height: int = 600,
                    title: str | None = None) -> Figure:
    """Word cloud of the first ``top_n`` rows of ``term_frequencies``, sized by count, as vector text.

    The ``wordcloud`` package lays the words out (seeded, random_state=0, one fixed colour: the same table gives
    the same picture) in DejaVu Sans, the font matplotlib ships; matplotlib then draws each word as text in that
    font at the place and size of the layout, so the SVG holds glyph outlines, not a bitmap. The words are article
    text: matplotlib draws them as written (no mathtext) and writes nothing of them into the SVG as markup.
    """
    from matplotlib import font_manager
    from PIL import ImageFont
    from wordcloud import WordCloud

    rows = terms.head(top_n)
    if rows.empty:
        return _empty(title or "Word cloud")
    font_path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    cloud = WordCloud(width=width, height=height, background_color="white", random_state=0, prefer_horizontal=0.9,
                      color_func=lambda *args, **kwargs: POSITIVE, collocations=False, font_path=font_path)
    cloud.generate_from_frequencies(dict(zip(rows["term"], rows["count"].astype(float))))
    dpi = 120  # one layout pixel is one pixel of the PNG (newslens.plots: savefig.dpi 120)
    fig = plt.figure(figsize=(width / dpi, height / dpi))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # the layout's pixel rows run downwards
    ax.axis("off")
    for (word, _), size, (y, x), orientation, _ in cloud.layout_:
        # Where the layout's box puts the start of the baseline: the geometry of WordCloud.to_svg.
        font = ImageFont.truetype(font_path, size)
        (size_x, _), (offset_x, offset_y) = font.font.getsize(word)
        rise = font.getmetrics()[0] - offset_y
        rotated = orientation is not None  # ROTATE_90: reads upwards
        ax.text(x + rise if rotated else x - offset_x, y + size_x if rotated else y + rise, word,
                rotation=90 if rotated else 0, rotation_mode="anchor", ha="left", va="baseline",
                fontproperties=font_manager.FontProperties(fname=font_path, size=size * 72 / dpi), color=POSITIVE)
    # The alt text of the saved figure (newslens.plots.describe_figure): the picture has no labels to read it from.
    fig.set_label(f"Word cloud of the {len(rows)} most frequent terms, sized by count; the largest: "
                  + ", ".join(rows["term"].head(8)))
    if title:
        ax.set_title(title)
    return fig
