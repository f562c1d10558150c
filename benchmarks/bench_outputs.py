"""Wall time of regenerating every report on the seeds, beside the floor: as many empty notebooks through the
same runner (papermill start-up, kernel start, HTML export, index). Target: within 1.5x of the floor.

Two more rows bound what any implementation on the design card's stack can reach: as many notebooks that do
nothing but import pandas and matplotlib.pyplot (every report builds tables and figures), and that plus nltk
(which three of the four notebooks need for sentences, collocations and VADER).

    python benchmarks/bench_outputs.py [--repeat 5]

Runs `python -m newslens run --corpus seeds --out TMP` as a separate process, as `make outputs` does once the
environment is installed, with the runner's default --jobs (one per core) and with --jobs 1, each beside the floor
run the same way, and prints a Markdown table for the README.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def timed_run(notebooks: list[Path], out: Path, jobs: int = 0) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newslens", "run", *map(str, notebooks), "--corpus", str(REPO / "seeds"),
                    "--out", str(out), "--jobs", str(jobs)], check=True, cwd=REPO, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def stand_in_notebooks(real: list[Path], folder: Path, source: str = "") -> list[Path]:
    """One notebook per real one: the parameters cell, plus a cell with ``source`` if given."""
    folder.mkdir()
    paths = []
    for notebook in real:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell('corpus = ""\noutput_dir = "."')
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell] + ([nbformat.v4.new_code_cell(source)] if source else [])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = folder / notebook.name
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def warm_kernel_runs(real: list[Path], folder: Path, passes: int = 2) -> list[float]:
    """Seconds of each pass of executing every notebook's cells, one after the other, in one kernel started (and
    ready) before the clock starts: the first pass still imports the libraries, later passes find them loaded.
    This floor leaves out what the runner adds on purpose (a fresh kernel per notebook, HTML export, index)."""
    from jupyter_client.manager import start_new_kernel

    folder.mkdir(parents=True, exist_ok=True)
    kernel, client = start_new_kernel(kernel_name="newslens", cwd=str(folder))
    seconds = []
    try:
        client.execute_interactive("import os; os.environ['NEWSLENS_BATCH'] = '1'", timeout=60)
        for run in range(passes):
            started = time.perf_counter()
            for notebook in real:
                out = folder / f"pass{run}" / notebook.stem
                cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
                cells.insert(1, f"corpus = {str(REPO / 'seeds')!r}\noutput_dir = {str(out)!r}")
                for source in cells:
                    reply = client.execute_interactive(source, timeout=600, output_hook=lambda message: None)
                    if reply["content"]["status"] != "ok":
                        raise RuntimeError(f"{notebook.name}: {reply['content'].get('ename')}")
            seconds.append(time.perf_counter() - started)
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    real = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = stand_in_notebooks(real, tmp / "empty")
        # name: (notebooks, --jobs); jobs 0 is the runner's default (one per core). Each row is compared with the
        # floor run with the same --jobs.
        floors = {0: "floor: empty notebooks", 1: "floor: empty notebooks, --jobs 1"}
        runs = {
            "all notebooks": (real, 0),
            floors[0]: (empty, 0),
            "import pandas, matplotlib.pyplot only": (
                stand_in_notebooks(real, tmp / "stack", "import pandas, matplotlib.pyplot"), 0),
            "import pandas, matplotlib.pyplot, nltk only": (
                stand_in_notebooks(real, tmp / "stack_nltk", "import pandas, matplotlib.pyplot, nltk"), 0),
            "all notebooks, --jobs 1": (real, 1),
            floors[1]: (empty, 1),
        }
        timed_run(real, tmp / "warmup")  # imports and font caches warm, as on a second `make outputs`
        times = {name: [] for name in runs}
        for _ in range(args.repeat):  # round robin, so that a slow spell of a shared machine hits every row alike
            for name, (notebooks, jobs) in runs.items():
                times[name].append(timed_run(notebooks, tmp / "out", jobs))
        warm = [warm_kernel_runs(real, tmp / f"warm{i}") for i in range(args.repeat)]
    print(f"\n### Regenerating outputs ({len(real)} notebooks on seeds/, median of {args.repeat} runs)\n")
    print("| run | median s | min s | max s | ratio to its floor |\n|---|---:|---:|---:|---:|")
    for name, values in times.items():
        median, floor = statistics.median(values), statistics.median(times[floors[runs[name][1]]])
        print(f"| {name} | {median:.1f} | {min(values):.1f} | {max(values):.1f} | {median / floor:.2f} |")
    for label, values in (("first pass (imports included)", [w[0] for w in warm]),
                          ("second pass (libraries loaded)", [w[1] for w in warm])):
        print(f"| warm-kernel floor: the {len(real)} notebooks' cells in one started kernel, {label} | "
              f"{statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} | |")
    print("\ntarget: all notebooks within 1.5x of the floor")


if __name__ == "__main__":
    main()
