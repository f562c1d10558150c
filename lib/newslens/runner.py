"""Run the notebooks in batch into an output folder with an index.

``newslens run [NOTEBOOK…] --corpus PATH [--out DIR] [-p NAME VALUE]… [-f params.yaml] [--jobs N] [--cache DIR]
[--scheduler ADDRESS]``;
``newslens params NOTEBOOK`` lists a notebook's parameters.

The notebooks are found wherever newslens is installed (``notebooks_folder``), so the command works from any folder;
relative paths on its command line are the caller's. Before any kernel starts, every ``-p NAME VALUE`` (and every
line of a ``-f`` file) is checked against the parameters the notebooks declare (``newslens.parameters``), and
``--out`` is checked (a folder, writable, not inside the corpus) and locked: a second run into the same folder stops
at once with "another run is writing here".

Each notebook ``notebooks/<stem>.ipynb`` is executed by papermill inside a staging folder of its own run beside its
final one, ``<out>/.<stem>.<run>.partial/``, with the kernel's working directory there, ``output_dir="."`` and
``corpus`` given relative to it. Only when it succeeds and its HTML is written is the staging folder swapped in for
``<out>/<stem>/`` (the previous outputs wait in ``<out>/.<stem>.old/`` between the two renames; a run interrupted
there is repaired by the next one); a failing notebook leaves the previous outputs untouched. ``<out>/index.html``
(``newslens.site``) is the landing page: it describes the corpus and each report, and links every report, figure and
table that newslens wrote (listed in ``<out>/.newslens-reports``, with the reports whose last run failed), never
other files of the folder. The HTML reports leave the code out unless ``--show-code`` is given.

Notebooks are independent (each loads the corpus itself), so ``--jobs`` of them run at once, each in its own kernel.
Parse results are cached on disk in ``--cache`` (default ``.newslens-cache/`` in the working directory), passed to
the kernels as ``$NEWSLENS_CACHE_DIR`` so that no report shows the path; a rerun parses only new or changed texts.
``--scheduler`` reaches them the same way, as ``$NEWSLENS_SCHEDULER`` (``newslens.parallel``), after a check that
the scheduler answers and that its workers run this newslens.

Kernels run with ``NEWSLENS_BATCH=1`` (``newslens.explore`` then shows static views instead of widgets), and their
own log (transport warnings, "KeyboardInterrupt caught in kernel" at shutdown) goes to a file: shown only for lines
that are not such known noise, or when the notebook fails. A run reports, every ``PROGRESS_SECONDS``, the cell each
running notebook is at.

Reruns are byte-identical: papermill's and nbclient's timing metadata and the injected parameters cell's random id
are removed, consecutive stream outputs are merged (a busy machine may deliver one printed line as two messages),
paths in the notebook are relative, and figures are saved without dates (see ``newslens.plots``).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import site as python_site  # the interpreter's site module (newslens.site builds the reports)
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# jsonschema (imported by nbformat) checks the "iri" format with rfc3987_syntax when it is installed (jupyterlab's
# jupyter-events pulls it in), and that package compiles a Lark grammar on import: 2 s of every run, for a format
# that no notebook schema uses. Marking it absent makes jsonschema skip that one checker.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

from . import site  # noqa: E402
from .memory import bound_free_heap, bounded_heap_in_new_processes  # noqa: E402
from .parallel import SCHEDULER_ENV, SchedulerError, check_scheduler, default_scheduler  # noqa: E402
from .parameters import BATCH_ENV, REPORTS_NAME, ParameterError, check_parameters, declared_parameters, describe  # noqa: E402

# "python3" is ipykernel's own spec, whose "python" jupyter_client replaces by the runner's interpreter: the kernel
# always has the runner's environment, whatever kernels the user has registered (the notebooks' metadata name the
# "newslens" kernel that `make setup` registers, for JupyterLab and other front-ends).
DEFAULT_CACHE = ".newslens-cache"
KERNEL_NAME = "python3"
DEFAULT_OUT = "newslens-outputs"
PROGRESS_SECONDS = 15.0
# Kernel log lines that say nothing is wrong: ipykernel warns about TCP on every start, and may log a
# KeyboardInterrupt when it is shut down after the last cell.
KERNEL_NOISE = re.compile(r"Kernel is running over TCP without encryption|KeyboardInterrupt caught in kernel"
                          r"|^\s*$")
# libzmq can abort a kernel while it closes its sockets at shutdown (zeromq/libzmq issues 1307, 3715). Once the
# notebook has run to its end or to a cell's error, that line says nothing about it; a kernel that died mid-run
# keeps it in its message.
SHUTDOWN_NOISE = re.compile(r"^Assertion failed: .+ \(src/signaler\.cpp:\d+\)$")
# The runner's one message on a kernel's control channel is the request to shut down. ipykernel 7.4 answers it and
# then, outside the handler's own error handling, publishes its "idle" status and flushes the channel while the kernel
# stops; an error there is logged as tornado's "Uncaught exception in ZMQStream callback", with a traceback through
# ``dispatch_control`` (seen about once in a hundred runs of a test, its notebooks complete and correct). Once the
# notebook has run, that block says nothing about it either.
CALLBACK_ERROR = re.compile(r"Uncaught exception in ZMQStream callback$")
LOCK_NAME = ".newslens.lock"
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
    """Remove everything that changes from run to run without the results changing: timing metadata, random ids,
    and how a cell's printed text was cut into stream messages (consecutive ones are merged)."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    coalesce = CoalesceStreamsPreprocessor()
    papermill = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": papermill.get("parameters", {})}
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            # print() writes its text and its "\n" apart; on a busy machine the kernel may flush them as two
            # stream outputs. Consecutive outputs of one stream are joined, so the file does not depend on timing.
            coalesce.preprocess_cell(cell, {}, index)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
        elif not cell.get("id"):
            cell["id"] = f"cell-{index}"
    return nb


class BatchKernelManager(AsyncKernelManager):
    """A kernel for a batch run: ``NEWSLENS_BATCH=1`` in its environment, its own output (its log) into
    ``kernel_log`` (set on a subclass per notebook) instead of the runner's terminal."""

    kernel_log = ""

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw["env"] = {**kw.get("env", os.environ), BATCH_ENV: "1"}
        with open(self.kernel_log, "ab") as log:
            kw["stdout"] = kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)


def kernel_messages(log: Path, ran: bool = True) -> list[str]:
    """The lines of a kernel's own log that are not known noise; ``ran``: the notebook ran to its end or to a
    cell's error, so the kernel's shutdown messages are noise too."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = _without_control_tracebacks(text.splitlines()) if ran else text.splitlines()
    return [line for line in lines if not KERNEL_NOISE.search(line) and not (ran and SHUTDOWN_NOISE.search(line))]


def _without_control_tracebacks(lines: list[str]) -> list[str]:
    """``lines`` less each block of ``CALLBACK_ERROR`` whose traceback goes through ``dispatch_control``: from that
    line to the exception's own (the first line after the traceback that is neither indented nor a traceback's
    heading or link)."""
    kept, block = [], []
    for line in lines:
        if not block and not CALLBACK_ERROR.search(line):
            kept.append(line)
            continue
        block.append(line)
        if len(block) > 2 and not line.startswith((" ", "Traceback", "During handling", "The above exception")) \
                and line.strip():
            if not any(" in dispatch_control" in part for part in block):
                kept.extend(block)
            block = []
    return kept + block


@dataclass
class Progress:
    """Which cell each running notebook is at; ``report`` prints it (a thread calls it every PROGRESS_SECONDS)."""

    running: dict = field(default_factory=dict)  # label -> [code cell number, code cells, start time]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, label: str, code_cells: int) -> None:
        with self.lock:
            self.running[label] = [0, code_cells, time.perf_counter()]

    def cell_started(self, label: str, cell) -> None:
        if cell.cell_type == "code" and cell.source.strip():
            with self.lock:
                self.running[label][0] += 1

    def finish(self, label: str) -> None:
        with self.lock:
            self.running.pop(label, None)

    def report(self) -> None:
        with self.lock:
            lines = [f"{label}: " + (f"cell {cell} of {cells}" if cell else "starting its kernel")
                     + f", {time.perf_counter() - started:.0f} s"
                     for label, (cell, cells, started) in sorted(self.running.items())]
        _tell(*lines)


_TELL_LOCK = threading.Lock()


def _tell(*lines: str) -> None:
    """Progress lines on stderr, each written whole: the notebooks' threads report at once, and print() writes a
    line's text and its end apart, so two "started" lines could share one line."""
    with _TELL_LOCK:
        sys.stderr.write("".join(f"{line}\n" for line in lines))
        sys.stderr.flush()


@contextlib.contextmanager
def reporting(progress: Progress):
    """Report ``progress`` every PROGRESS_SECONDS until the block ends."""
    stop = threading.Event()

    def loop():
        while not stop.wait(PROGRESS_SECONDS):
            progress.report()

    thread = threading.Thread(target=loop, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


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


def run_notebook(notebook: Path, out: Path, parameters: dict, progress: Progress | None = None,
                 label: str = "", show_code: bool = False) -> RunResult:
    """Execute ``notebook`` into ``out/<stem>/`` with ``parameters``; ``Path`` values are given to the notebook
    relative to its report folder. Raises ``NotebookFailed`` (previous outputs untouched)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stem = notebook.stem
    final = out / stem
    # A name of this run only: two runs can never share (or delete) a staging folder, even without the lock.
    staging = out / f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.partial"
    staging.mkdir(parents=True)
    params, given = {}, {}
    for name, value in parameters.items():
        if isinstance(value, Path):
            params[name] = os.path.relpath(value.resolve(), staging.resolve())
            given[params[name]] = str(value)
        else:
            params[name] = value
    params["output_dir"] = "."
    executed = staging / f"{stem}.ipynb"
    log_handle, log_name = tempfile.mkstemp(prefix=f"newslens-{stem}-", suffix=".log")
    os.close(log_handle)
    kernel_log = Path(log_name)
    manager = type("BatchKernelManager", (BatchKernelManager,), {"kernel_log": str(kernel_log)})
    progress = progress or Progress()
    label = label or stem
    progress.start(label, _code_cells(notebook) + 1)  # + the parameters cell papermill injects
    started = time.perf_counter()
    try:
        # The kernel starts in the staging folder through nbclient's resources, not papermill's ``cwd``, which
        # changes the whole process's working directory and so cannot serve notebooks running side by side.
        papermill.execute_notebook(str(notebook), str(executed), parameters=params, kernel_name=KERNEL_NAME,
                                   progress_bar=False, request_save_on_cell_execute=False,
                                   resources={"metadata": {"path": str(staging.resolve())}},
                                   kernel_manager_class=manager,
                                   on_cell_start=lambda cell, **_: progress.cell_started(label, cell))
        messages = kernel_messages(kernel_log)
        nb = scrub(nbformat.read(executed, as_version=4))
        nbformat.write(nb, executed)
        _export_html(nb, staging / f"{stem}.html", show_code=show_code)
        files = tuple(sorted(f"{stem}/{p.relative_to(staging).as_posix()}" for p in staging.rglob("*") if p.is_file()))
        _swap_in(staging, final)
    except PapermillExecutionError as error:
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        # The kernel saw paths relative to the staging folder; name them as the user gave them.
        evalue = error.evalue
        for relative, original in given.items():
            evalue = evalue.replace(relative, original)
        raise NotebookFailed(f"{notebook}: cell [{error.exec_count}] `{first_line[:80]}` failed: "
                             f"{error.ename}: {evalue}{_kernel_lines(kernel_log)}") from None
    except OSError as error:  # a full disk, a read-only folder, … while writing the outputs
        raise NotebookFailed(f"{notebook}: its outputs could not be written in {out}: "
                             f"{error.strerror or type(error).__name__}") from None
    except Exception as error:  # the kernel could not start or died, the notebook is not valid JSON, …
        raise NotebookFailed(f"{notebook}: could not be executed: {type(error).__name__}: {error}"
                             f"{_kernel_lines(kernel_log, ran=False)}") from None
    finally:
        progress.finish(label)
        shutil.rmtree(staging, ignore_errors=True)
        kernel_log.unlink(missing_ok=True)
    for line in messages:  # what the kernel said outside the notebook's cells, other than known noise
        _tell(f"{label}: kernel: {line}")
    return RunResult(stem, time.perf_counter() - started, files)


def _kernel_lines(log: Path, ran: bool = True, last: int = 20) -> str:
    return "".join(f"\n  kernel: {line}" for line in kernel_messages(log, ran)[-last:])


def _code_cells(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" and cell.source.strip())


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


def notebooks_folder() -> Path:
    """Where the notebooks are: ``NEWSLENS_NOTEBOOKS`` if set; else ``notebooks/`` of the source tree this package
    is in (a clone, installed editable by `make setup`); else the copy a wheel installs under
    ``<prefix>/share/newslens/notebooks`` (pyproject's data-files), in the environment or the user's base."""
    if os.environ.get("NEWSLENS_NOTEBOOKS"):
        return Path(os.environ["NEWSLENS_NOTEBOOKS"])
    candidates = [Path(__file__).resolve().parents[2] / "notebooks",
                  Path(sys.prefix) / "share" / "newslens" / "notebooks",
                  Path(python_site.getuserbase()) / "share" / "newslens" / "notebooks"]
    return next((folder for folder in candidates if folder.is_dir()), candidates[0])


def find_notebooks(names: list[str], folder: Path | None = None) -> list[Path]:
    """The notebooks to run: every ``NN_*.ipynb`` of ``folder`` (default: ``notebooks_folder()``), or those named
    (a path, or a stem or file name in ``folder``)."""
    folder = notebooks_folder() if folder is None else folder
    if not names:
        found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if not found:
            raise SystemExit(f"error: no notebooks matching {folder}/NN_*.ipynb")
        return found
    paths = []
    for name in names:
        path = Path(name)
        if not path.is_file() and (folder / name).is_file():
            path = folder / name
        if not path.is_file() and (folder / f"{name}.ipynb").is_file():
            path = folder / f"{name}.ipynb"
        if not path.is_file():
            stems = ", ".join(p.stem for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")))
            raise SystemExit(f"error: notebook '{name}' not found (the notebooks in {folder}: {stems or 'none'})")
        paths.append(path)
    return paths


EXAMPLES = f"""examples:
  newslens run --corpus path/to/articles --out path/to/report
      every notebook on your articles; open path/to/report/index.html
  newslens run 01_word_frequency --corpus articles.csv -p top_n 50 -p extra_stopwords said,told
  newslens run 03_chronology --corpus articles -p actors_file my/actors.yaml -p date_from 2025-11
  newslens run --corpus articles -f params.yaml          (NAME: VALUE lines; -p overrides them)
  newslens params 02_actor_sentiment                     (names, types, defaults, help)

Without --out, the reports go to ./{DEFAULT_OUT}/. Relative paths are read from the folder you run newslens in.
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newslens")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newslens", description="Reproducible news-corpus reports: run the "
                                     "newslens notebooks in batch, or list their parameters.",
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"newslens {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute notebooks with papermill into an output folder",
                              description="Execute notebooks with papermill; write <out>/<stem>/<stem>.ipynb and "
                                          ".html, tables/*.csv, figures/*.png|svg, and <out>/index.html.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                     help=f"notebook stems or paths (default: every NN_*.ipynb in {notebooks_folder()})")
    run.add_argument("--corpus", required=True,
                     help="folder of .txt / .html files, or a .csv / .jsonl / .json / .parquet table")
    run.add_argument("--out", default=DEFAULT_OUT,
                     help=f"output folder (default: ./{DEFAULT_OUT}; `make outputs` writes the committed outputs/)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter that the notebooks declare, checked against its type and allowed values "
                          "before anything runs (true/false/yes/no/1/0; lists as a,b or [\"a\", \"b\"])")
    run.add_argument("-f", "--parameters-file", metavar="YAML", help="parameters as NAME: VALUE lines (YAML); "
                     "relative paths in it are read from its folder; -p overrides it")
    run.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                     help="notebooks to run at once, each in its own kernel (default: one per CPU core)")
    run.add_argument("--show-code", action="store_true",
                     help="keep the code cells in the HTML reports (by default a report shows text and results)")
    params = commands.add_parser("params", help="list a notebook's parameters: names, types, defaults, help")
    params.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebook stems or paths (default: all)")
    run.add_argument("--cache", default=DEFAULT_CACHE, metavar="DIR",
                     help=f"folder of the parse cache, shared by the notebooks (default: {DEFAULT_CACHE}); "
                          "an empty string turns the cache off")
    run.add_argument("--scheduler", default="", metavar="ADDRESS",
                     help="a Dask scheduler (tcp://HOST:8786): the per-document parsing and scoring run on its "
                          "workers, the same results (default: $NEWSLENS_SCHEDULER or $DASK_SCHEDULER_ADDRESS when "
                          "set, else this machine)")
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
    try:
        if args.command == "params":
            print("\n".join(describe(notebook) for notebook in notebooks), end="")
            return 0
        corpus, out = Path(args.corpus), Path(args.out)
        parameters = check_parameters(notebooks, args.parameter, args.parameters_file)
        if not corpus.exists():
            raise RunRefused(f"corpus '{args.corpus}' does not exist")
        check_out(out, corpus)
        # The kernels inherit the environment: the cache folder reaches them without appearing in any report.
        from .cache import ENV_VARIABLE as CACHE_ENV  # here: newslens.cache imports pandas, `params` needs none

        os.environ[CACHE_ENV] = str(Path(args.cache).resolve()) if args.cache else ""
        # So does the Dask scheduler's address, checked first: a scheduler that cannot serve stops the run here.
        if args.scheduler:
            os.environ[SCHEDULER_ENV] = args.scheduler
        if default_scheduler():
            check_scheduler(default_scheduler())
        # Memory freed in the runner and in the kernels, Arrow's too, comes back to the system (newslens.memory).
        bound_free_heap()
        bounded_heap_in_new_processes()
        with locked(out):
            return _run_all(notebooks, parameters, corpus, out, args.jobs, args.show_code)
    except (ParameterError, RunRefused, SchedulerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def start_order(numbered: list[tuple[int, Path]]) -> list[tuple[int, Path]]:
    """The (number, notebook) pairs in the order to start them: the costliest first (the notebook's metadata
    ``"newslens": {"cost": N}``, 1 when absent or unreadable; ties in the given order). With fewer kernels than
    notebooks, a long notebook started last would make the whole run wait for it alone."""
    def cost(notebook: Path) -> float:
        try:
            value = nbformat.read(notebook, as_version=4).metadata.get("newslens", {}).get("cost", 1)
            return float(value)
        except Exception:  # a notebook that cannot be read fails with a clear message when it is run
            return 1.0

    costs = {number: cost(notebook) for number, notebook in numbered}
    return sorted(numbered, key=lambda item: -costs[item[0]])


def _run_all(notebooks: list[Path], parameters: dict[Path, dict], corpus: Path, out: Path, jobs: int,
             show_code: bool = False) -> int:
    """Run the notebooks (``jobs`` at a time) into ``out``, which this process has locked; the exit code."""
    for note in recover_interrupted(out, [notebook.stem for notebook in notebooks]):
        print(f"note: {note}", file=sys.stderr)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(notebooks)))
    total = len(notebooks)
    progress = Progress()
    started = time.perf_counter()

    def run_one(numbered: tuple[int, Path]) -> RunResult | tuple[str, str]:
        """Run one notebook and report it; its result, or its stem and the reason if it failed."""
        number, notebook = numbered
        _tell(f"[{number}/{total}] {notebook.stem}: started")
        try:
            result = run_notebook(notebook, out, {**parameters[notebook], "corpus": corpus}, progress,
                                  f"[{number}/{total}] {notebook.stem}", show_code)
        except NotebookFailed as error:
            _tell(f"[{number}/{total}] {notebook.stem}: FAILED: {error}\n  previous outputs in "
                  f"{out / notebook.stem} left untouched")
            # The reason goes into the shared outputs: the corpus by its name, no folder of this machine.
            return notebook.stem, site.public_reason(str(error).split(": ", 1)[-1],
                                                     {corpus: site.corpus_name(corpus), out: "the output folder"})
        _tell(f"[{number}/{total}] {notebook.stem}: done in {result.seconds:.1f} s, {len(result.files)} files in "
              f"{out / result.stem}")
        return result

    # Threads are enough: each notebook's work runs in its own kernel process, and nbclient gives every thread
    # its own event loop.
    numbered = list(enumerate(notebooks, start=1))
    with reporting(progress), ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        order = start_order(numbered)
        done = dict(zip(order, pool.map(run_one, order)))
    results = [done[item] for item in numbered]
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
    failed = [r[0] for r in results if isinstance(r, tuple)]
    print(f"{total - len(failed)} of {total} notebook(s) done in {time.perf_counter() - started:.1f} s; "
          f"index: {(out / 'index.html').resolve()}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
