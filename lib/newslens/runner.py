"""Run the notebooks in batch into an output folder with an index.

``python -m newslens run [NOTEBOOK…] [-p NAME VALUE]… [--corpus PATH] [--out DIR] [--jobs N] [--cache DIR]``.

Each notebook ``notebooks/<stem>.ipynb`` is executed by papermill inside a staging folder beside its final one,
``<out>/<stem>.partial/``, with the kernel's working directory there, ``output_dir="."`` and ``corpus`` given
relative to it. Only when it succeeds and its HTML is written is the staging folder swapped in for
``<out>/<stem>/``; a failing notebook leaves the previous outputs untouched. Then ``<out>/index.html`` links every
report, figure and table with relative links.

Notebooks are independent (each loads the corpus itself), so ``--jobs`` of them run at once, each in its own kernel.
Parse results are cached on disk in ``--cache`` (default ``.newslens-cache/`` in the working directory), passed to
the kernels as ``$NEWSLENS_CACHE_DIR`` so that no report shows the path; a rerun parses only new or changed texts.

Reruns are byte-identical: papermill's and nbclient's timing metadata and the injected parameters cell's random id
are removed, paths in the notebook are relative, and figures are saved without dates (see ``newslens.plots``).
"""
from __future__ import annotations

import argparse
import html
import importlib.resources
import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# jsonschema (imported by nbformat) checks the "iri" format with rfc3987_syntax when it is installed (jupyterlab's
# jupyter-events pulls it in), and that package compiles a Lark grammar on import: 2 s of every run, for a format
# that no notebook schema uses. Marking it absent makes jsonschema skip that one checker.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

DEFAULT_NOTEBOOKS = "notebooks"
DEFAULT_CACHE = ".newslens-cache"
KERNEL_NAME = "python3"


class NotebookFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class RunResult:
    stem: str
    seconds: float
    files: int


def _coerce(value: str):
    """papermill -p style: numbers, booleans and JSON lists stay typed; everything else is a string."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def scrub(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove everything that changes from run to run without the results changing."""
    papermill = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": papermill.get("parameters", {})}
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
        elif not cell.get("id"):
            cell["id"] = f"cell-{index}"
    return nb


def _export_html(nb: nbformat.NotebookNode, path: Path) -> None:
    from nbconvert import HTMLExporter

    # Article text is untrusted. It reaches a report only as DataFrame tables (pandas escapes them), printed text
    # (nbconvert escapes streams) and figures; the Markdown is ours. nbconvert's sanitize_html would instead escape
    # the Markdown and every table into raw tags, so it stays off, and tests/test_runner.py checks both sides.
    # The template is JupyterLab's without scripts: MathJax would typeset "$" and TeX in article text.
    template = importlib.resources.files("newslens").joinpath("data", "report.html.j2")
    exporter = HTMLExporter(template_name="lab", template_file=str(template))
    body, _ = exporter.from_notebook_node(nb)
    path.write_text(body, encoding="utf-8")


def run_notebook(notebook: Path, out: Path, parameters: dict) -> RunResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stem = notebook.stem
    final, staging = out / stem, out / f"{stem}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    params = dict(parameters)
    params["corpus"] = os.path.relpath(Path(params["corpus"]).resolve(), staging.resolve())
    params["output_dir"] = "."
    executed = staging / f"{stem}.ipynb"
    started = time.perf_counter()
    try:
        # The kernel starts in the staging folder through nbclient's resources, not papermill's ``cwd``, which
        # changes the whole process's working directory and so cannot serve notebooks running side by side.
        papermill.execute_notebook(str(notebook), str(executed), parameters=params, kernel_name=KERNEL_NAME,
                                   progress_bar=False, request_save_on_cell_execute=False,
                                   resources={"metadata": {"path": str(staging.resolve())}})
    except PapermillExecutionError as error:
        shutil.rmtree(staging, ignore_errors=True)
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        # The kernel saw the corpus relative to the staging folder; name it as the user gave it.
        evalue = error.evalue.replace(params["corpus"], str(parameters["corpus"]))
        raise NotebookFailed(f"{notebook}: cell [{error.exec_count}] `{first_line[:80]}` failed: "
                             f"{error.ename}: {evalue}") from None
    except Exception as error:  # the kernel could not start, the notebook is not valid JSON, …
        shutil.rmtree(staging, ignore_errors=True)
        raise NotebookFailed(f"{notebook}: could not be executed: {type(error).__name__}: {error}") from None
    nb = scrub(nbformat.read(executed, as_version=4))
    nbformat.write(nb, executed)
    _export_html(nb, staging / f"{stem}.html")
    old = out / f"{stem}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return RunResult(stem, time.perf_counter() - started, sum(1 for p in final.rglob("*") if p.is_file()))


def write_index(out: Path) -> Path:
    """``<out>/index.html``: every report folder with its notebook, HTML, figures and tables (relative links)."""
    sections = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.endswith((".partial", ".old"))):
        stem = folder.name
        links = [f'<a href="{html.escape(stem)}/{html.escape(stem)}.html">report</a>',
                 f'<a href="{html.escape(stem)}/{html.escape(stem)}.ipynb">notebook</a>']
        items = []
        for kind in ("figures", "tables"):
            files = sorted(p.relative_to(out).as_posix() for p in (folder / kind).glob("*") if p.is_file())
            if files:
                entries = "".join(f'<li><a href="{html.escape(f)}">{html.escape(Path(f).name)}</a></li>' for f in files)
                items.append(f"<h3>{kind.capitalize()}</h3><ul>{entries}</ul>")
        others = sorted(p.relative_to(out).as_posix() for p in folder.glob("*") if p.is_file()
                        and p.suffix not in (".html", ".ipynb"))
        if others:
            entries = "".join(f'<li><a href="{html.escape(f)}">{html.escape(Path(f).name)}</a></li>' for f in others)
            items.append(f"<h3>Other files</h3><ul>{entries}</ul>")
        sections.append(f"<section><h2>{html.escape(stem)}</h2><p>{' · '.join(links)}</p>{''.join(items)}</section>")
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>newslens outputs</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
            "section{border-top:1px solid #ccc;margin-top:1.5em}</style></head><body>\n"
            "<h1>newslens outputs</h1>\n<p>Each report is an executed notebook (HTML and .ipynb) with its figures "
            "(PNG, SVG) and tables (CSV).</p>\n" + "\n".join(sections) + "\n</body></html>\n")
    path = out / "index.html"
    tmp = out / "index.html.partial"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def find_notebooks(names: list[str], folder: Path = Path(DEFAULT_NOTEBOOKS)) -> list[Path]:
    if not names:
        found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if not found:
            raise SystemExit(f"error: no notebooks matching {folder}/NN_*.ipynb")
        return found
    paths = []
    for name in names:
        path = Path(name)
        if not path.exists() and (folder / name).exists():
            path = folder / name
        if not path.exists() and (folder / f"{name}.ipynb").exists():
            path = folder / f"{name}.ipynb"
        if not path.exists():
            raise SystemExit(f"error: notebook '{name}' not found")
        paths.append(path)
    return paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m newslens", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute notebooks with papermill into an output folder",
                              description="Execute notebooks with papermill; write <out>/<stem>/<stem>.ipynb and "
                                          ".html, tables/*.csv, figures/*.png|svg, and <out>/index.html.")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                     help="notebook paths or stems (default: every notebooks/NN_*.ipynb)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a notebook parameter (JSON values such as 10, true or [\"a\"] are typed)")
    run.add_argument("--corpus", default="seeds", help="corpus folder or table (default: seeds)")
    run.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    run.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                     help="notebooks to run at once, each in its own kernel (default: one per CPU core)")
    run.add_argument("--cache", default=DEFAULT_CACHE, metavar="DIR",
                     help=f"folder of the parse cache, shared by the notebooks (default: {DEFAULT_CACHE}); "
                          "an empty string turns the cache off")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the project's kernel, not one in the user's home
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebooks = find_notebooks(args.notebooks)
    parameters = {name: _coerce(value) for name, value in args.parameter}
    if not Path(args.corpus).exists():
        print(f"error: corpus '{args.corpus}' does not exist", file=sys.stderr)
        return 2
    parameters["corpus"] = args.corpus
    # The kernels inherit the environment: the cache folder reaches them without appearing in any report.
    from newslens.cache import ENV_VARIABLE

    os.environ[ENV_VARIABLE] = str(Path(args.cache).resolve()) if args.cache else ""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(notebooks)))
    total = len(notebooks)

    def run_one(numbered: tuple[int, Path]) -> str | None:
        """Run one notebook and report it; the stem if it failed."""
        number, notebook = numbered
        print(f"[{number}/{total}] {notebook.stem}: started", file=sys.stderr, flush=True)
        try:
            result = run_notebook(notebook, out, parameters)
        except NotebookFailed as error:
            print(f"[{number}/{total}] {notebook.stem}: FAILED: {error}\n  previous outputs in "
                  f"{out / notebook.stem} left untouched", file=sys.stderr, flush=True)
            return notebook.stem
        print(f"[{number}/{total}] {notebook.stem}: done in {result.seconds:.1f} s, {result.files} files in "
              f"{out / result.stem}", file=sys.stderr, flush=True)
        return None

    # Threads are enough: each notebook's work runs in its own kernel process, and nbclient gives every thread
    # its own event loop.
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        failed = [stem for stem in pool.map(run_one, enumerate(notebooks, start=1)) if stem]
    write_index(out)
    print(f"index: {out / 'index.html'}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
