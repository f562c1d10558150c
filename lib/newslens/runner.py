"""Run the notebooks in batch into an output folder with an index.

``python -m newslens run [NOTEBOOK…] [-p NAME VALUE]… [--corpus PATH] [--out DIR] [--jobs N]``.

Before any kernel starts, every ``-p NAME VALUE`` is checked against the parameters the notebooks declare
(``newslens.parameters``), and ``--out`` is checked (a folder, writable, not inside the corpus) and locked: a second
run into the same folder stops at once with "another run is writing here".

Each notebook ``notebooks/<stem>.ipynb`` is executed by papermill inside a staging folder of its own run beside its
final one, ``<out>/.<stem>.<run>.partial/``, with the kernel's working directory there, ``output_dir="."`` and
``corpus`` given relative to it. Only when it succeeds and its HTML is written is the staging folder swapped in for
``<out>/<stem>/`` (the previous outputs wait in ``<out>/.<stem>.old/`` between the two renames; a run interrupted
there is repaired by the next one); a failing notebook leaves the previous outputs untouched. ``<out>/index.html``
(``newslens.site``) is the landing page: it describes the corpus and each report, and links every report, figure and
table that newslens wrote (listed in ``<out>/.newslens-reports``, with the reports whose last run failed), never
other files of the folder. The HTML reports leave the code out unless ``--show-code`` is given.

Notebooks are independent (each loads the corpus itself), so ``--jobs`` of them run at once, each in its own kernel.

Reruns are byte-identical: papermill's and nbclient's timing metadata and the injected parameters cell's random id
are removed, paths in the notebook are relative, and figures are saved without dates (see ``newslens.plots``).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
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

from . import site  # noqa: E402
from .parameters import ParameterError, check_parameters, declared_parameters  # noqa: E402

DEFAULT_NOTEBOOKS = "notebooks"
KERNEL_NAME = "python3"
LOCK_NAME = ".newslens.lock"
REPORTS_NAME = ".newslens-reports"  # what newslens wrote into the folder: the index lists these files only
FAILED_MARK = "#failed"  # a line of that listing naming a report whose last run failed


class NotebookFailed(RuntimeError):
    pass


class RunRefused(RuntimeError):
    """The run cannot start (the message is one line for the user)."""


@dataclass(frozen=True)
class RunResult:
    stem: str
    seconds: float
    files: tuple[str, ...]  # relative to the output folder, e.g. "00_corpus/tables/documents.csv"


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


def _export_html(nb: nbformat.NotebookNode, path: Path, show_code: bool = False) -> None:
    # The defaults are read from the executed notebook's own parameters cell (no kernel).
    site.export_report(nb, path, declared_parameters(path.with_suffix(".ipynb")), show_code=show_code)


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging``. Between the two renames the previous outputs are in ``.<stem>.old``:
    ``recover_interrupted`` puts them back if the process dies there."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    try:
        staging.rename(final)
    except OSError:
        if old.exists() and not final.exists():
            old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def run_notebook(notebook: Path, out: Path, parameters: dict, show_code: bool = False) -> RunResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stem = notebook.stem
    final = out / stem
    # A name of this run only: two runs can never share (or delete) a staging folder, even without the lock.
    staging = out / f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.partial"
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
        nb = scrub(nbformat.read(executed, as_version=4))
        nbformat.write(nb, executed)
        _export_html(nb, staging / f"{stem}.html", show_code=show_code)
        files = tuple(sorted(f"{stem}/{p.relative_to(staging).as_posix()}" for p in staging.rglob("*") if p.is_file()))
        _swap_in(staging, final)
    except PapermillExecutionError as error:
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        # The kernel saw the corpus relative to the staging folder; name it as the user gave it.
        evalue = error.evalue.replace(params["corpus"], str(parameters["corpus"]))
        raise NotebookFailed(f"{notebook}: cell [{error.exec_count}] `{first_line[:80]}` failed: "
                             f"{error.ename}: {evalue}") from None
    except OSError as error:  # a full disk, a read-only folder, … while writing the outputs
        raise NotebookFailed(f"{notebook}: its outputs could not be written in {out}: "
                             f"{error.strerror or type(error).__name__}") from None
    except Exception as error:  # the kernel could not start, the notebook is not valid JSON, …
        raise NotebookFailed(f"{notebook}: could not be executed: {type(error).__name__}: {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RunResult(stem, time.perf_counter() - started, files)


_STAGING = re.compile(r"\..+\.\d+-[0-9a-f]{8}\.partial")


def recover_interrupted(out: Path, stems: list[str]) -> list[str]:
    """Repair what a killed run left in ``out`` (call it holding the lock); what was done, in words.

    A staging folder of any run is incomplete by definition and removed. For each report of ``stems``: a
    ``.<stem>.old`` beside no ``<stem>`` means a run died between the two renames of ``_swap_in``, and the previous
    outputs are put back; beside a ``<stem>``, the swap had finished, and the old copy is removed. Nothing else in
    ``out`` is touched.
    """
    notes = []
    for path in sorted(out.iterdir()):
        if _STAGING.fullmatch(path.name) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for stem in stems:
        old, final = out / f".{stem}.old", out / stem
        if not old.is_dir():
            continue
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(final)
            notes.append(f"{final}: an earlier run was interrupted while replacing these outputs; the previous "
                         "outputs were put back")
    return notes


def read_reports(out: Path) -> dict[str, tuple[str, ...]]:
    """The files newslens wrote into ``out`` (by report folder), as far as they still exist."""
    listing = out / REPORTS_NAME
    if not listing.is_file():
        return {}
    reports: dict[str, list[str]] = {}
    for line in listing.read_text(encoding="utf-8").splitlines():
        parts = line.split("/")
        if len(parts) > 1 and not line.startswith("/") and ".." not in parts and (out / line).is_file():
            reports.setdefault(line.split("/", 1)[0], []).append(line)
    return {stem: tuple(files) for stem, files in reports.items()}


def read_failures(out: Path) -> dict[str, str]:
    """The reports whose last run failed, with the reason (lines ``#failed<TAB>stem<TAB>reason`` of the listing)."""
    listing = out / REPORTS_NAME
    lines = listing.read_text(encoding="utf-8").splitlines() if listing.is_file() else []
    return {parts[1]: parts[2] for parts in (line.split("\t", 2) for line in lines)
            if len(parts) == 3 and parts[0] == FAILED_MARK}


def write_reports(out: Path, reports: dict[str, tuple[str, ...]], failures: dict[str, str] | None = None) -> None:
    failed = "".join(f"{FAILED_MARK}\t{stem}\t{' '.join(reason.split())}\n" for stem, reason in
                     sorted((failures or {}).items()))
    _write_atomically(out / REPORTS_NAME, "".join(f"{f}\n" for stem in sorted(reports) for f in reports[stem]) + failed)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_index(out: Path, reports: dict[str, tuple[str, ...]], failures: dict[str, str] | None = None) -> Path:
    """``<out>/index.html``, the landing page (``newslens.site``): only the files in ``reports`` are linked."""
    path = out / "index.html"
    _write_atomically(path, site.index_page(out, reports, failures or {}))
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
                     help="set a parameter that the notebooks declare, checked against its type and allowed values "
                          "before anything runs (true/false/yes/no/1/0; lists as a,b or [\"a\", \"b\"])")
    run.add_argument("--corpus", default="seeds", help="corpus folder or table (default: seeds)")
    run.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    run.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                     help="notebooks to run at once, each in its own kernel (default: one per CPU core)")
    run.add_argument("--show-code", action="store_true",
                     help="keep the code cells in the HTML reports (by default a report shows text and results)")
    return parser


def check_out(out: Path, corpus: Path) -> None:
    """Refuse an output folder that cannot work, before anything runs: a file, one inside the corpus folder (the
    next run would read its own outputs), one that cannot be created or written. Raises ``RunRefused``."""
    if out.exists() and not out.is_dir():
        raise RunRefused(f"--out '{out}' is a file, not a folder")
    if corpus.is_dir() and out.resolve().is_relative_to(corpus.resolve()):
        raise RunRefused(f"--out '{out}' is inside the corpus folder '{corpus}': the next run would read these "
                         "outputs as articles; choose a folder outside it")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunRefused(f"cannot create the output folder '{out}': {error.strerror or error}") from None
    if not os.access(out, os.W_OK):
        raise RunRefused(f"cannot write in the output folder '{out}': permission denied or read-only")


@contextlib.contextmanager
def locked(out: Path):
    """Hold ``<out>/.newslens.lock`` for the run; ``RunRefused`` at once if another run holds it.

    The operating system drops the lock when its process ends, however it ends (Ctrl-C, SIGKILL), so a killed run
    never blocks the next one. The file is removed at the end; a run that opened it just before is sent round again
    by the inode check, so two runs never hold locks on two different files.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the file's existence is the lock
        fcntl = None
    path = out / LOCK_NAME
    busy = RunRefused(f"another run is writing here ('{out}'): wait for it to finish, or choose another --out"
                      + ("" if fcntl else f" (if no run is, one was killed: delete {path})"))
    while True:
        try:
            if fcntl is None:
                handle = os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY), "w")
                break
            handle = open(path, "a")
        except FileExistsError:
            raise busy from None
        except OSError as error:
            raise RunRefused(f"cannot write in the output folder '{out}': {error.strerror or error}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise busy from None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        handle.close()
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the project's kernel, not one in the user's home
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebooks = find_notebooks(args.notebooks)
    corpus, out = Path(args.corpus), Path(args.out)
    try:
        parameters = check_parameters(notebooks, args.parameter)
        if not corpus.exists():
            raise RunRefused(f"corpus '{args.corpus}' does not exist")
        check_out(out, corpus)
        with locked(out):
            return _run_all(notebooks, parameters, args.corpus, out, args.jobs, args.show_code)
    except (ParameterError, RunRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run_all(notebooks: list[Path], parameters: dict[Path, dict], corpus: str, out: Path, jobs: int,
             show_code: bool = False) -> int:
    """Run the notebooks (``jobs`` at a time) into ``out``, which this process has locked; the exit code."""
    for note in recover_interrupted(out, [notebook.stem for notebook in notebooks]):
        print(f"note: {note}", file=sys.stderr)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(notebooks)))
    total = len(notebooks)

    def run_one(numbered: tuple[int, Path]) -> RunResult | tuple[str, str]:
        """Run one notebook and report it; its result, or its stem and the reason if it failed."""
        number, notebook = numbered
        print(f"[{number}/{total}] {notebook.stem}: started", file=sys.stderr, flush=True)
        try:
            result = run_notebook(notebook, out, {**parameters[notebook], "corpus": corpus}, show_code)
        except NotebookFailed as error:
            print(f"[{number}/{total}] {notebook.stem}: FAILED: {error}\n  previous outputs in "
                  f"{out / notebook.stem} left untouched", file=sys.stderr, flush=True)
            return notebook.stem, str(error).split(": ", 1)[-1]
        print(f"[{number}/{total}] {notebook.stem}: done in {result.seconds:.1f} s, {len(result.files)} files in "
              f"{out / result.stem}", file=sys.stderr, flush=True)
        return result

    # Threads are enough: each notebook's work runs in its own kernel process, and nbclient gives every thread
    # its own event loop.
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        results = list(pool.map(run_one, enumerate(notebooks, start=1)))
    reports = read_reports(out)
    reports.update({r.stem: r.files for r in results if isinstance(r, RunResult)})
    failures = {stem: reason for stem, reason in read_failures(out).items() if stem not in
                {notebook.stem for notebook in notebooks}}
    failures.update(dict(r for r in results if isinstance(r, tuple)))
    try:
        write_reports(out, reports, failures)
        write_index(out, reports, failures)
    except OSError as error:
        print(f"error: cannot write the index in '{out}': {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"index: {out / 'index.html'}", file=sys.stderr)
    failed = [r[0] for r in results if isinstance(r, tuple)]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
