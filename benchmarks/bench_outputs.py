"""Wall time of regenerating every report on the seeds, beside the floor: as many empty notebooks through the
same runner (papermill start-up, kernel start, HTML export, index). Target: within 1.5x of the floor.

    python benchmarks/bench_outputs.py [--repeat 3]

Runs `python -m newslens run --corpus seeds --out TMP` as a separate process, as `make outputs` does once the
environment is installed, and prints a Markdown table for the README.
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


def timed_run(notebooks: list[Path], out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newslens", "run", *map(str, notebooks), "--corpus", str(REPO / "seeds"),
                    "--out", str(out)], check=True, cwd=REPO, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def empty_notebooks(real: list[Path], folder: Path) -> list[Path]:
    paths = []
    for notebook in real:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell('corpus = ""\noutput_dir = "."')
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = folder / notebook.name
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    real = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "empty").mkdir()
        empty = empty_notebooks(real, tmp / "empty")
        timed_run(real, tmp / "warmup")  # imports and font caches warm, as on a second `make outputs`
        full = [timed_run(real, tmp / "full") for _ in range(args.repeat)]
        floor = [timed_run(empty, tmp / "floor") for _ in range(args.repeat)]
    print(f"\n### Regenerating outputs ({len(real)} notebooks on seeds/, median of {args.repeat} runs)\n")
    print("| run | median s | min s | max s |\n|---|---|---|---|")
    for name, values in (("all notebooks", full), ("floor: same number of empty notebooks", floor)):
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    print(f"\nratio to floor: {statistics.median(full) / statistics.median(floor):.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()
