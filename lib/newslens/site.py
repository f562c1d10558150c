"""The shared HTML: each report as a reader gets it, and ``index.html``, the landing page of an output folder.

A report (``export_report``) is the executed notebook without its code (``show_code`` keeps it), with one block
"Parameters of this run" in place of the notebook's defaults and papermill's injected values, and a table of
contents of its ``##`` sections. The index (``write_index``) describes the corpus, how the outputs were made
(newslens version, git commit and its date, model fingerprints), and for each report its question, key findings
(``newslens.findings.Finding`` outputs marked ``key``), a thumbnail of its main figure (``save_figure(...,
main=True)``, else its first), its parameters, links to every figure and table, and a data dictionary of every CSV
column (``data/columns.csv``). A notebook that failed in the last run is shown as failed, with a reason that names
no folder of the machine that ran it (``public_reason``).

Provenance is made of things that do not change between reruns of the same code: the commit and the commit's
date, not the clock (a rerun must be byte-identical; the clock would also claim a precision about "when" that
the commit gives better). A run from a working tree whose code differs from the commit says so.
"""
from __future__ import annotations

import copy
import csv
import functools
import html
import importlib.resources
import json
import re
import subprocess
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import nbformat

from .findings import FINDING_MIME
_HIDDEN_PARAMETERS = ("output_dir",)  # set by the runner, meaningless to a reader


# ---------------------------------------------------------------- reports

def effective_parameters(nb: nbformat.NotebookNode, defaults: dict) -> dict:
    """The values a run used: the notebook's declared defaults (``ParameterSpec`` by name), then the injected ones."""
    values = {name: spec.default for name, spec in defaults.items()}
    for name, value in nb.metadata.get("papermill", {}).get("parameters", {}).items():
        values[name] = json.dumps(value, ensure_ascii=False)
    if "corpus" in values:  # the path is relative to the report folder and tells where the machine keeps it
        values["corpus"] = json.dumps(corpus_name(json.loads(values["corpus"])), ensure_ascii=False)
    return {name: value for name, value in values.items() if name not in _HIDDEN_PARAMETERS}


def corpus_name(path: str) -> str:
    """The corpus as a reader names it: the last part of its path ("seeds", "articles.csv")."""
    return Path(str(path)).name or str(path)


def parameters_table(values: dict, defaults: dict) -> str:
    """An HTML table: parameter, value, what it does (every cell escaped)."""
    rows = "".join(f"<tr><td><code>{html.escape(name)}</code></td><td><code>{html.escape(str(value))}</code></td>"
                   f"<td>{html.escape(getattr(defaults.get(name), 'help', ''))}</td></tr>"
                   for name, value in values.items())
    return ('<table class="newslens-parameters"><thead><tr><th>parameter</th><th>value</th><th>meaning</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def heading_anchor(text: str) -> str:
    """The id nbconvert gives a Markdown heading (``nbconvert.filters.strings.add_anchor``)."""
    return quote(text.strip().replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _sections(nb: nbformat.NotebookNode) -> list[str]:
    return [line[3:].strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("## ")]


def prepare_for_readers(nb: nbformat.NotebookNode, defaults: dict) -> nbformat.NotebookNode:
    """A copy of ``nb`` for the HTML report: one parameters block, a table of contents after the title cell."""
    nb = copy.deepcopy(nb)
    values = effective_parameters(nb, defaults)
    tags = [cell.metadata.get("tags", []) for cell in nb.cells]
    where = next((i for i, t in enumerate(tags) if "parameters" in t or "injected-parameters" in t), None)
    nb.cells = [cell for cell, t in zip(nb.cells, tags) if "parameters" not in t and "injected-parameters" not in t]
    if where is not None:
        block = nbformat.v4.new_markdown_cell("## Parameters of this run\n\n" + parameters_table(values, defaults))
        block["id"] = "parameters-of-this-run"
        nb.cells.insert(where, block)
    sections = _sections(nb)
    if sections:
        toc = nbformat.v4.new_markdown_cell("**Contents**\n\n" + "\n".join(
            f"- [{html.escape(s)}](#{heading_anchor(s)})" for s in sections))
        toc["id"] = "contents"
        first = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"), -1)
        nb.cells.insert(first + 1, toc)
    return nb


def export_report(nb: nbformat.NotebookNode, path: Path, defaults: dict, show_code: bool = False) -> None:
    """Write the HTML report of the executed notebook ``nb`` (``defaults``: its declared parameters)."""
    from nbconvert import HTMLExporter

    # Article text is untrusted. It reaches a report only as tables and findings that newslens escapes, printed text
    # (nbconvert escapes streams) and figures; the Markdown is ours. nbconvert's sanitize_html would instead escape
    # the Markdown and every table into raw tags, so it stays off, and tests/test_runner.py checks both sides.
    # The template is JupyterLab's without scripts: MathJax would typeset "$" and TeX in article text.
    template = importlib.resources.files("newslens").joinpath("data", "report.html.j2")
    exporter = HTMLExporter(template_name="lab", template_file=str(template), exclude_input=not show_code,
                            exclude_input_prompt=not show_code, exclude_output_prompt=not show_code)
    body, _ = exporter.from_notebook_node(prepare_for_readers(nb, defaults))
    path.write_text(body, encoding="utf-8")


# ---------------------------------------------------------------- what the index reads from a report

def notebook_summary(ipynb: Path) -> dict:
    """Title, question, key findings and figures (in order: file name, alt text, whether it is the main figure)
    of an executed notebook."""
    nb = nbformat.read(ipynb, as_version=4)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    first = markdown[0] if markdown else ""
    title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")), ipynb.stem)
    question = next((p for p in re.split(r"\n\s*\n", first) if p.startswith("**Question")), "")
    question = " ".join(re.sub(r"^\*\*Questions?\.\*\*\s*", "", question).split())
    findings, figures = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FINDING_MIME in data:
                findings.append(data[FINDING_MIME])
            saved = output.get("metadata", {}).get("image/png", {})
            if "filename" in saved:
                figures.append((saved["filename"], saved.get("alt", ""), bool(saved.get("main"))))
    from .parameters import declared_parameters

    defaults = declared_parameters(ipynb)
    return {"title": title, "question": question, "findings": findings, "figures": figures,
            "parameters": parameters_table(effective_parameters(nb, defaults), defaults)}


@functools.lru_cache(maxsize=1)
def column_dictionary() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) -> (meaning, unit) from ``data/columns.csv``; table ``*`` is any table."""
    text = importlib.resources.files("newslens").joinpath("data", "columns.csv").read_text(encoding="utf-8")
    return {(row["table"], row["column"]): (row["meaning"], row["unit"]) for row in csv.DictReader(text.splitlines())}


def describe_column(table: str, column: str) -> tuple[str, str] | None:
    """(meaning, unit) of a column of ``tables/<table>.csv``, or None when the dictionary lacks it."""
    entries = column_dictionary()
    return entries.get((table, column)) or entries.get(("*", column))


def csv_columns(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


# ---------------------------------------------------------------- provenance

def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def provenance() -> dict[str, str]:
    """newslens version, git commit (and whether the code differs from it), the commit's date, model fingerprints,
    and the CPU's instruction sets that change the sentiment model's scores a little."""
    from . import __version__

    commit = _git("rev-parse", "HEAD")
    changed = _git("status", "--porcelain", "--", "lib", "notebooks", "pyproject.toml", "requirements.lock")
    from .encoder import cpu_instructions
    from .sentiment import method_fingerprint  # the same fingerprints key the cached scores
    try:
        from .nlp import MODEL_PACKAGE, model_fingerprint
        spacy_model = f"{MODEL_PACKAGE}, sha256 {model_fingerprint()[:16]}"
    except Exception as error:  # the model is a dependency; an index is still useful without its fingerprint
        spacy_model = f"not available ({type(error).__name__})"
    return {"version": __version__,
            "commit": (commit + (" with uncommitted changes to the code" if changed else "")) if commit
            else "not a git checkout",
            "date": _git("show", "-s", "--format=%cs", "HEAD") or "unknown",
            "sentiment model": f"target_encoder (all-MiniLM-L6-v2 fine-tuned on NewsMTSC, int8), "
                               f"sha256 {method_fingerprint('model')[:16]}",
            "fast sentiment model": f"target_sentiment, sha256 {method_fingerprint('fast')[:16]}",
            "spaCy model": spacy_model, "CPU": cpu_instructions()}


# ---------------------------------------------------------------- the index

def corpus_summary(out: Path, reports: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Name, documents, outlets and date range of the corpus, from ``00_corpus/tables/documents.csv``."""
    import pandas as pd

    name = ""
    for stem in sorted(reports):
        ipynb = out / stem / f"{stem}.ipynb"
        if ipynb.is_file():
            corpus = nbformat.read(ipynb, as_version=4).metadata.get("papermill", {}).get("parameters", {})
            name = corpus_name(corpus.get("corpus", "")) or name
            break
    rows = [("corpus", name or "unknown")]
    table = out / "00_corpus" / "tables" / "documents.csv"
    if "00_corpus/tables/documents.csv" not in reports.get("00_corpus", ()) or not table.is_file():
        return rows + [("documents", "not described: run 00_corpus")]
    rows_read, outlets, without_outlet, dated, dates = 0, set(), 0, 0, []
    try:
        header = list(pd.read_csv(table, dtype=str, nrows=0).columns)
        # Only the columns used, and the first (every row counted), a chunk of rows at a time: the whole table of
        # 100,000 articles (titles and all) took the runner from 242 to 358 MB as it wrote the index, its three
        # columns at once 56 MB above its level.
        for chunk in _csv_chunks(table, lambda column: column in _SUMMARY_COLUMNS or column == header[0]):
            chunk = chunk.reindex(columns=["outlet", "published"], fill_value="")
            rows_read += len(chunk)
            named = chunk["outlet"][chunk["outlet"] != ""]
            outlets.update(named)
            without_outlet += len(chunk) - len(named)
            published = chunk["published"][chunk["published"] != ""].str[:10]
            dates += [published.min(), published.max()] if len(published) else []
            dated += len(published)
    except (ValueError, OSError):  # an edited or truncated table must not cost the whole index
        return rows + [("documents", "documents.csv cannot be read")]
    rows += [("documents", f"{rows_read:,}"),
             ("outlets", (f"{len(outlets):,}" if outlets else "none known")
              + (f" ({without_outlet:,} documents without one)" if outlets and without_outlet else "")),
             ("published", (f"{min(dates)} to {max(dates)} ({dated:,} of {rows_read:,} documents dated)"
                            if dates else "no date in the metadata") + _inferred_dates(out, reports, bool(dates)))]
    return rows


def _csv_chunks(path: Path, usecols) -> Iterator:
    """The columns ``usecols`` (as ``pandas.read_csv`` takes them) of the table at ``path``, as text ("" for an empty
    cell), ``SUMMARY_ROWS`` rows at a time."""
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False, usecols=usecols, chunksize=SUMMARY_ROWS)


# Rows of an output table read at a time for the index (``_csv_chunks``): what it holds does not grow with the corpus.
SUMMARY_ROWS = 10_000
_SUMMARY_COLUMNS = ("outlet", "published")


def _inferred_dates(out: Path, reports: dict[str, tuple[str, ...]], more: bool) -> str:
    """"; 3 (more) inferred from their text (03_chronology)" when the chronology inferred publication dates."""
    if "03_chronology/tables/article_dates.csv" not in reports.get("03_chronology", ()):
        return ""
    try:
        # The one column used, a chunk of rows at a time: the whole table of 100,000 articles took the runner from
        # 346 to 378 MB, the peak of its run, as it wrote the index.
        inferred = sum(int((chunk["source"] == "inferred").sum()) for chunk in _csv_chunks(
            out / "03_chronology" / "tables" / "article_dates.csv", lambda column: column == "source"))
    except (ValueError, OSError, KeyError):
        return ""
    return f"; {inferred:,}{' more' if more else ''} inferred from their text (03_chronology)" if inferred else ""


# An absolute path (POSIX, Windows, or under "~") of two or more parts, not inside a URL or a relative path.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\~])(?:~|[A-Za-z]:)?(?:[/\\][^\s/\\'\"`<>|:;,()\[\]]+){2,}[/\\]?")


def public_reason(reason: str, names: dict | None = None) -> str:
    """``reason`` (why a notebook failed) with nothing of the machine's folders in it, for the shared index.

    ``names`` maps paths as the user gave them (e.g. the corpus, the output folder) to how a reader names them
    ("seeds", "the output folder"); each is replaced as given and resolved. Then the home folder (which holds the
    user name, spaces and all) becomes "~", and every absolute path left becomes its last part ("articles.csv").
    """
    known = {}
    for path, name in (names or {}).items():
        for form in (str(path), str(Path(path).resolve())):
            if "/" in form or "\\" in form:  # a bare name ("seeds") would replace that word anywhere
                known[form] = name
    known[str(Path.home())] = "~"
    for form in sorted(known, key=len, reverse=True):
        if len(form) > 1:
            reason = reason.replace(form, known[form])
    return _ABSOLUTE_PATH.sub(lambda m: re.split(r"[/\\]", m.group().rstrip("/\\"))[-1], reason)


def _dl(rows) -> str:
    return "<dl>" + "".join(f'<dt>{html.escape(k)}</dt><dd id="{html.escape(k.replace(" ", "-"))}">'
                            f"{html.escape(v)}</dd>" for k, v in rows) + "</dl>"


def _links(files: list[str]) -> str:
    return ", ".join(f'<a href="{html.escape(f)}">{html.escape(Path(f).name)}</a>' for f in files)


def _data_dictionary(out: Path, tables: list[str]) -> str:
    parts = []
    for table in tables:
        name = Path(table).stem
        rows = []
        for column in csv_columns(out / table):
            meaning, unit = describe_column(name, column) or ("(not described)", "")
            rows.append(f"<tr><td><code>{html.escape(column)}</code></td><td>{html.escape(meaning)}</td>"
                        f"<td>{html.escape(unit)}</td></tr>")
        parts.append(f'<details><summary><a href="{html.escape(table)}">{html.escape(Path(table).name)}</a>'
                     "</summary><table><thead><tr><th>column</th><th>meaning</th><th>unit</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></details>")
    return "".join(parts)


def report_section(out: Path, stem: str, files: list[str], failure: str | None) -> str:
    """One report on the index: question, key findings, thumbnail, parameters, links, data dictionary."""
    head = f'<section id="{html.escape(stem)}">'
    status = (f'<p class="failed"><strong>FAILED in the last run:</strong> {html.escape(public_reason(failure))}'
              + (" The files below are from an earlier run.</p>" if files else "</p>")) if failure else ""
    ipynb = out / stem / f"{stem}.ipynb"
    if f"{stem}/{stem}.ipynb" not in files or not ipynb.is_file():
        return f"{head}<h2>{html.escape(stem)}</h2>{status}{_links(files)}</section>"
    summary = notebook_summary(ipynb)
    findings = [f for f in summary["findings"] if f.get("key")][:2] or summary["findings"][:2]
    figures = [f for f in sorted(files) if f.startswith(f"{stem}/figures/")]
    tables = [f for f in sorted(files) if f.startswith(f"{stem}/tables/") and f.endswith(".csv")]
    others = [f for f in sorted(files) if f not in figures + tables
              and f not in (f"{stem}/{stem}.html", f"{stem}/{stem}.ipynb")]
    thumbnail = ""
    shown = [f for f in summary["figures"] if f"{stem}/{f[0]}" in files]
    if shown:
        name, alt, _ = next((f for f in shown if f[2]), shown[0])  # the main figure, else the first
        src = f"{stem}/{name}"
        thumbnail = (f'<a href="{html.escape(src)}"><img class="thumbnail" src="{html.escape(src)}" '
                     f'alt="{html.escape(alt)}" width="320"></a>')
    return (f'{head}<h2><a href="{html.escape(f"{stem}/{stem}.html")}">{html.escape(summary["title"])}</a></h2>'
            f"{status}{thumbnail}"
            + (f"<p><strong>Question.</strong> {html.escape(summary['question'])}</p>" if summary["question"] else "")
            + "".join(f'<p class="finding">{html.escape(f.get("text", ""))}</p>' for f in findings)
            + f'<p>Read: <a href="{html.escape(f"{stem}/{stem}.html")}">the report</a> · '
              f'<a href="{html.escape(f"{stem}/{stem}.ipynb")}">the notebook</a></p>'
            + f"<details><summary>Parameters of this run</summary>{summary['parameters']}</details>"
            + (f"<p>Figures (PNG and SVG): {_links(figures)}</p>" if figures else "")
            + (f"<p>Tables (CSV): {_links(tables)}</p><h3>Data dictionary</h3>{_data_dictionary(out, tables)}"
               if tables else "")
            + (f"<p>Other files: {_links(others)}</p>" if others else "") + "</section>")


STYLE = ("body{font-family:sans-serif;max-width:64em;margin:2em auto;padding:0 1em;line-height:1.45}"
         "section{border-top:1px solid #ccc;margin-top:1.5em;overflow:auto}dt{font-weight:bold;float:left;"
         "clear:left;width:11em}dd{margin-left:12em}.thumbnail{float:right;margin:0 0 1em 1em;border:1px solid #ddd}"
         ".failed{color:#a00}.finding{border-left:4px solid #4C72B0;padding-left:.6em}"
         "table{border-collapse:collapse}td,th{text-align:left;vertical-align:top;padding:.2em .6em;"
         "border-bottom:1px solid #eee}details{margin:.3em 0}")


def index_page(out: Path, reports: dict[str, tuple[str, ...]], failures: dict[str, str]) -> str:
    """The HTML of ``<out>/index.html``; only the files in ``reports`` are linked, never the rest of the folder."""
    made = provenance()
    sections = [report_section(out, stem, sorted(reports.get(stem, ())), failures.get(stem))
                for stem in sorted(set(reports) | set(failures))]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>newslens outputs</title>"
            f"<style>{STYLE}</style></head><body>\n<h1>newslens outputs</h1>\n"
            "<h2>Corpus</h2>" + _dl(corpus_summary(out, reports))
            + "<h2>How these outputs were made</h2>" + _dl([("newslens", made["version"]),
                                                            ("git commit", made["commit"]),
                                                            ("commit date", made["date"]),
                                                            ("sentiment model", made["sentiment model"]),
                                                            ("fast sentiment model", made["fast sentiment model"]),
                                                            ("spaCy model", made["spaCy model"]),
                                                            ("CPU", made["CPU"])])
            + "<p>Each report is an executed notebook (HTML and .ipynb) with its figures (PNG, SVG) and tables (CSV, "
              "full precision; the reports round for display). In the CSV tables, a text cell that starts with =, "
              "+, -, @, a tab or a carriage return is written with a ' in front, so that a spreadsheet shows it as "
              "text instead of running it as a formula. The same code and corpus give the same files on a machine "
              "with the same CPU instruction sets; on others the sentiment model's scores can differ in their last "
              "digits (a rounded figure now and then by one unit).</p>\n"
            + "<h2>Reports</h2><ul>" + "".join(f'<li><a href="#{html.escape(s)}">{html.escape(s)}</a>'
                                               + (" (failed)" if s in failures else "") + "</li>"
                                               for s in sorted(set(reports) | set(failures))) + "</ul>\n"
            + "\n".join(sections) + "\n</body></html>\n")
