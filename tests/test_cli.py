"""Issue 13: the `newslens` command as analysts run it — typed parameters, any folder, quiet runs, explorers.

The end-to-end cases run the installed console script as a separate process from a folder that is not the
repository; the rest call the parameter checks, the runner's parts and the explorers directly.
"""
import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from newslens import explore, runner
from newslens import frequency as freq
from newslens.parameters import ParameterError, check_parameters, check_values, describe, parse_value
from newslens.plots import read_table, write_table

from conftest import FIXTURES, REPO, SEEDS

NOTEBOOKS = REPO / "notebooks"
NEWSLENS = Path(sys.executable).with_name("newslens")  # the console script `make setup` installs
MINI = FIXTURES / "mini_corpus"


def newslens(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEWSLENS), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


# --- 1. typed, validated parameters ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_from_elsewhere(tmp_path_factory):
    """`newslens run 01_word_frequency … -p stemming False` from a folder that is not the repository, without
    --out; a copy of the mini corpus beside that folder, given by a relative path."""
    base = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(MINI, base / "articles")
    (base / "work").mkdir()
    result = newslens("run", "01_word_frequency", "--corpus", "../articles", "-p", "stemming", "False",
                      cwd=base / "work")
    return base, result


def test_1_stemming_false_turns_stemming_off_end_to_end(run_from_elsewhere):
    base, result = run_from_elsewhere
    assert result.returncode == 0, result.stderr
    report = base / "work" / "newslens-outputs" / "01_word_frequency"
    terms = set(pd.read_csv(report / "tables" / "terms.csv")["term"])
    # Stemmed, these would be "market", "talk" (Snowball); unstemmed they are the words of the text.
    assert {"markets", "talks"} <= terms and not {"market", "talk"} & terms
    nb = nbformat.read(report / "01_word_frequency.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "stemming = False\n" in injected.source  # the boolean False, not the text "False"
    said = "".join(o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "stemming off." in said and "stemming on" not in said  # the report's finding says what was done


def test_1_booleans_accept_true_false_yes_no_1_0():
    from newslens.parameters import ParameterSpec

    spec = ParameterSpec("stemming", "bool", "False")
    assert [parse_value(spec, text) for text in ("true", "False", "YES", "no", "1", "0")] == [
        True, False, True, False, True, False]
    with pytest.raises(ParameterError, match=r"^parameter 'stemming': expected true or false \(bool\), got 'maybe'$"):
        parse_value(spec, "maybe")


def test_1_a_path_parameter_is_read_from_the_callers_folder(tmp_path):
    notebook = [NOTEBOOKS / "02_actor_sentiment.ipynb"]
    # The README's example, from the repository's root …
    values = check_parameters(notebook, [("actors_file", "seeds/actors.yaml")], cwd=REPO)[notebook[0]]
    assert values == {"actors_file": SEEDS / "actors.yaml"}
    # … and from another folder, where that relative path names nothing: an error before any kernel starts.
    with pytest.raises(ParameterError) as error:
        check_parameters(notebook, [("actors_file", "seeds/actors.yaml")], cwd=tmp_path)
    assert str(error.value) == (f"parameter 'actors_file': 'seeds/actors.yaml' does not exist (looked for "
                                f"{tmp_path / 'seeds/actors.yaml'}; a relative path is read from {tmp_path})")
    # Empty keeps its declared meaning (actors.yaml beside the corpus).
    assert check_parameters(notebook, [("actors_file", "")], cwd=tmp_path)[notebook[0]] == {"actors_file": ""}


def test_1_a_parameters_file_is_typed_checked_and_overridden_by_p(tmp_path):
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "actors.yaml").write_text("actors: []\n", encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text("top_n: 50\nstemming: no\nextra_stopwords: [said, told]\nactors_file: registry/actors.yaml\n"
                      "date_from: 2025\ndate_to: 2025-11-30\nanchor_overrides: {a: 2022-03-11}\n", encoding="utf-8")
    notebooks = [NOTEBOOKS / "01_word_frequency.ipynb", NOTEBOOKS / "03_chronology.ipynb"]
    values = check_parameters(notebooks, [("top_n", "7")], params, cwd=REPO)
    assert values[notebooks[0]] == {"top_n": 7, "stemming": False, "extra_stopwords": ["said", "told"]}
    # A path in the file is read from the file's folder, not from the caller's.
    # YAML's numbers and dates are taken as the texts they were written as.
    assert values[notebooks[1]] == {"actors_file": tmp_path / "registry" / "actors.yaml", "date_from": "2025",
                                    "date_to": "2025-11-30", "anchor_overrides": {"a": "2022-03-11"}}
    params.write_text("top_n: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"params\.yaml: parameter 'top_n': expected a whole number \(int\) of "
                                             r"at least 1, got \[1, 2\]$"):
        check_parameters(notebooks, [], params)
    params.write_text("topn: 5\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"params\.yaml: no notebook of this run has a parameter 'topn'"):
        check_parameters(notebooks, [], params)
    with pytest.raises(ParameterError, match=r"^parameters file '.*missing\.yaml': No such file or directory$"):
        check_parameters(notebooks, [], tmp_path / "missing.yaml")
    params.write_text("top_n: [1\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"params\.yaml' line 2: not valid YAML$"):
        check_parameters(notebooks, [], params)
    params.write_text("- top_n\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"params\.yaml': expected NAME: VALUE lines \(a YAML mapping\)$"):
        check_parameters(notebooks, [], params)


def test_1_a_parameters_file_error_stops_the_run_before_a_kernel(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text("method: bert\n", encoding="utf-8")
    out = tmp_path / "out"
    code = runner.main(["run", "02_actor_sentiment", "--corpus", str(MINI), "--out", str(out), "-f", str(params)])
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err == (f"error: {params}: parameter 'method': expected one of: model, fast, vader, "
                                       "got 'bert'\n")


def test_1_params_lists_names_types_defaults_and_help(capsys):
    assert runner.main(["params", "02_actor_sentiment"]) == 0
    listing = capsys.readouterr().out
    assert listing.splitlines()[0] == "02_actor_sentiment: parameters (set with -p NAME VALUE, or NAME: VALUE in a -f file)"
    for line in ('  actors_file: str = ""; the path of an existing file or folder',
                 "      empty: actors.yaml beside the corpus",
                 '  method: str = "model"; one of: model, fast, vader',
                 "  min_mentions: int = 3; a whole number (int) of at least 0",
                 "  rollup: bool = False; true/false, yes/no or 1/0",
                 "      count people under their affiliation (Putin -> Russia)",
                 "  set by options, not -p: corpus (--corpus), output_dir (--out)"):
        assert line in listing.splitlines(), line
    assert "  corpus:" not in listing and "  output_dir:" not in listing
    assert describe(NOTEBOOKS / "02_actor_sentiment.ipynb") == listing


def test_1_values_the_notebook_checks_name_the_parameter_and_the_allowed_values():
    with pytest.raises(ParameterError) as error:
        check_values("actors_to_show", ["Vladimir Putn", "Ukraine"], ["Vladimir Putin", "Ukraine", "Russia"],
                     "actors of the registry")
    assert str(error.value) == ("parameter 'actors_to_show': 'Vladimir Putn' (did you mean 'Vladimir Putin'?) not "
                                "among the actors of the registry: Russia, Ukraine, Vladimir Putin")
    check_values("actors_to_show", ["Ukraine"], ["Ukraine"])  # nothing to say
    with pytest.raises(ParameterError, match=r"^parameter 'actors_to_show': 'Putin' not among the actors of the "
                                             r"registry: there are none$"):
        check_values("actors_to_show", ["Putin"], [], "actors of the registry")


def test_1_a_kwic_term_that_does_not_occur_is_an_error_with_close_words():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["Talks on a ceasefire. The ceasefire held.",
                                                             "No ceasefire yet, said the envoy."]})
    tokens = freq.tokenize_documents(documents, freq.FrequencyOptions(min_count=1))
    assert freq.concordance_terms(tokens, ["ceasefire held", "envoy"]) == ["ceasefire held", "envoy"]
    # Empty: the most frequent terms ("ceasefire" 3 times; then alphabetical among those used once).
    assert freq.concordance_terms(tokens, [], n_default=2) == ["ceasefire", "envoy"]
    # Stemmed: the stem's most frequent word form ("negotiations" twice, "negotiation" once, "negotiate" once).
    stemmed = freq.tokenize_documents(pd.DataFrame({"doc_id": ["a"], "text": [
        "Negotiations resumed. The negotiations stalled; a negotiation failed. They negotiate."]}),
        freq.FrequencyOptions(min_count=1, stem=True))
    assert freq.concordance_terms(stemmed, [], n_default=1) == ["negotiations"]
    with pytest.raises(ParameterError) as error:
        freq.concordance_terms(tokens, ["cesefire", "envoy"])
    assert str(error.value).startswith("parameter 'kwic_terms': 'cesefire' (did you mean 'ceasefire'")
    assert "not among the words of this corpus (or phrases made of them)" in str(error.value)


def test_1_a_typo_in_actors_to_show_fails_the_notebook_naming_it(tmp_path):
    # The example: a typo used to print a warning and select nothing.
    result = newslens("run", "03_chronology", "--corpus", str(MINI), "--out", "out", "-p", "actors_file",
                      str(SEEDS / "actors.yaml"), "-p", "actors_to_show", "Vladimir Putn", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"03_chronology\.ipynb: cell \[\d+\] `from pathlib import Path` failed: ParameterError: "
                     r"parameter 'actors_to_show': 'Vladimir Putn' \(did you mean 'Vladimir Putin'\?\) not among "
                     r"the actors: Alexander Lukashenko, Andriy Yermak, ", result.stderr), result.stderr
    assert not (tmp_path / "out" / "03_chronology").exists()


# --- 2. a real command -------------------------------------------------------------------------------------------------

def test_2_version_and_help_with_examples(tmp_path):
    version = newslens("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout == "newslens 0.1.0\n"
    help_text = newslens("run", "--help", cwd=tmp_path).stdout
    assert "examples:" in help_text and "newslens run --corpus path/to/articles --out path/to/report" in help_text
    assert "Without --out, the reports go to ./newslens-outputs/" in help_text


def test_2_the_command_works_from_any_folder_and_never_writes_the_committed_outputs(run_from_elsewhere):
    base, result = run_from_elsewhere
    out = base / "work" / "newslens-outputs"
    assert (out / "index.html").is_file() and (out / "01_word_frequency" / "01_word_frequency.html").is_file()
    assert f"index: {out / 'index.html'}" in result.stderr


def test_2_corpus_is_required_and_out_defaults_to_a_folder_of_its_own(capsys):
    with pytest.raises(SystemExit):
        runner.main(["run", "00_corpus"])
    assert "the following arguments are required: --corpus" in capsys.readouterr().err
    args = runner.build_parser().parse_args(["run", "--corpus", "x"])
    assert args.out == "newslens-outputs"


def test_2_notebooks_are_found_beside_the_package_or_where_a_wheel_puts_them(tmp_path, monkeypatch):
    assert runner.notebooks_folder() == NOTEBOOKS  # a clone (editable install)
    # Installed from a wheel: no notebooks/ above the package, the copy in <prefix>/share/newslens/notebooks.
    site_packages = tmp_path / "lib" / "python3" / "site-packages" / "newslens"
    shared = tmp_path / "share" / "newslens" / "notebooks"
    shared.mkdir(parents=True)
    monkeypatch.setattr(runner, "__file__", str(site_packages / "runner.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.delenv("NEWSLENS_NOTEBOOKS", raising=False)
    assert runner.notebooks_folder() == shared


def test_2_the_wheel_carries_the_notebooks(tmp_path):
    import zipfile

    source = tmp_path / "source"  # a copy: building leaves build/ and *.egg-info beside the sources
    ignore = shutil.ignore_patterns("scratch", "__pycache__", "*.egg-info")
    for folder in ("lib", "notebooks"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(source)], check=True,
                   capture_output=True)
    wheel = next(tmp_path.glob("newslens-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        assert f"newslens-0.1.0.data/data/share/newslens/notebooks/{notebook.name}" in names
    assert "newslens/data/report.html.j2" in names


# --- 3. exploring vs publishing -----------------------------------------------------------------------------------------

def test_3_notebooks_opened_by_hand_write_to_an_ignored_scratch_folder():
    from newslens.parameters import declared_parameters

    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        default = json.loads(declared_parameters(notebook)["output_dir"].default)
        assert default == f"scratch/{notebook.stem}", notebook  # notebooks/scratch/<stem>, never outputs/
        if shutil.which("git") and (REPO / ".git").exists():
            ignored = subprocess.run(["git", "check-ignore", "-q", f"notebooks/{default}/tables/x.csv"], cwd=REPO)
            assert ignored.returncode == 0, f"notebooks/{default} is not git-ignored"


def test_3_notebooks_name_the_newslens_kernel_that_setup_registers():
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        assert nbformat.read(notebook, as_version=4).metadata.kernelspec["name"] == "newslens", notebook
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "newslens" / "kernel.json"
    assert spec.is_file(), "make setup registers the kernel inside the venv"
    kernel = json.loads(spec.read_text(encoding="utf-8"))
    assert kernel["argv"][0] == sys.executable and kernel["display_name"] == "Python (newslens)"


# --- 4. explorers -------------------------------------------------------------------------------------------------------

@pytest.fixture
def small_tokens():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["Talks on a ceasefire. The ceasefire held.",
                                                             "No ceasefire yet, said the envoy."]})
    return freq.tokenize_documents(documents, freq.FrequencyOptions(min_count=1))


def test_4_concordance_view_shows_kwic_lines_and_dispersion(small_tokens):
    view = explore.concordance_view(small_tokens, "ceasefire")
    parts = dict((heading, part) for heading, part in view.parts if heading)
    assert parts["Dispersion"].startswith("3 occurrences in 2 of 2 documents")
    per_document = view.parts[1][1]
    assert per_document.to_dict("list") == {"doc_id": ["a", "b"], "occurrences": [2, 1],
                                            "first_at": [0.43, 0.17], "last_at": [0.71, 0.17]}
    lines = parts["KWIC lines (at most 200)"]
    assert list(lines["keyword"]) == ["ceasefire"] * 3 and list(lines["doc_id"]) == ["a", "a", "b"]
    assert "did you mean 'ceasefire'" in repr(explore.concordance_view(small_tokens, "cesefire"))


def test_4_in_a_batch_run_explorers_are_static_html_not_widgets(small_tokens, monkeypatch):
    monkeypatch.setenv("NEWSLENS_BATCH", "1")
    view = explore.concordance_explorer(small_tokens)
    assert isinstance(view, explore.StaticView)
    assert "Interactive in JupyterLab" in view._repr_html_() and "the term 'ceasefire'" in repr(view)


def test_4_in_jupyterlab_the_concordance_explorer_is_a_widget_with_a_text_fallback(small_tokens, monkeypatch):
    import ipywidgets

    monkeypatch.delenv("NEWSLENS_BATCH", raising=False)
    widget = explore.concordance_explorer(small_tokens, "envoy")
    assert isinstance(widget, ipywidgets.VBox)
    box, output = widget.children
    assert isinstance(box, ipywidgets.Text) and box.value == "envoy" and isinstance(output, ipywidgets.Output)
    box.value = "ceasefire held"  # redraws without error
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/plain" in bundle


def _actor_tables(folder: Path) -> Path:
    write_table(pd.DataFrame({"actor": ["Kaja Kallas", "Kaja Kallas"], "method": ["model", "vader"],
                              "mentions": [3, 3], "scored": [2, 2], "mean_sentiment": [-0.5, 0.25]}), "actors", folder)
    write_table(pd.DataFrame({"doc_id": ["d1", "d1", "d2", "d1"], "actor": ["Kaja Kallas"] * 3 + ["Russia"]}),
                "mentions", folder)
    write_table(pd.DataFrame({"doc_id": ["d2"], "speaker": ["Kaja Kallas"], "cue": ["said"],
                              "quote": ["=HYPERLINK(\"x\") is not a plan"]}), "quotes", folder)
    write_table(pd.DataFrame({"actor": ["Kaja Kallas"], "method": ["model"], "polarity": ["negative"],
                              "score": [-0.9], "doc_id": ["d1"], "sentence": ["Kallas was <b>blamed</b>."]}),
                "evidence", folder)
    return folder / "tables"


def test_4_actor_view_reads_the_tables_of_notebook_02(tmp_path):
    tables = explore.read_tables(_actor_tables(tmp_path), ("actors", "mentions", "quotes", "evidence"))
    view = explore.actor_view(tables, "Kaja Kallas")
    tone, by_document, quotes, evidence = (part for _, part, *_ in view.parts)
    assert list(tone["mean_sentiment"]) == [-0.5, 0.25]
    assert by_document.to_dict("list") == {"doc_id": ["d1", "d2"], "mentions": [2, 1]}
    assert list(quotes["quote"]) == ['=HYPERLINK("x") is not a plan']  # the CSV's protective ' is removed
    assert view.parts[1][0] == "Mentions per document (3 in all)"
    html = view._repr_html_()
    assert "Kallas was &lt;b&gt;blamed&lt;/b&gt;." in html and "<b>blamed</b>" not in html
    # the report's readable tables: text left-aligned, numbers rounded with a real minus sign
    assert 'class="dataframe newslens-table tex2jax_ignore"' in html and '<td style="text-align:left' in html
    assert ">−0.50</td>" in html


def test_4_actor_explorer_defaults_to_the_most_mentioned_actor(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_BATCH", "1")
    view = explore.actor_explorer(_actor_tables(tmp_path))
    assert view.title == "Actor: Kaja Kallas"
    empty = explore.actor_explorer(tmp_path / "nothing")
    assert repr(empty) == "Actor explorer\nNo actor was found in this corpus: nothing to explore."



def test_4_actor_explorer_keeps_each_speakers_first_quotes_and_counts_them_all(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_BATCH", "1")
    monkeypatch.setattr(explore, "LIVE_ROWS", 2)  # the live view's rows: the quotes kept of each speaker
    monkeypatch.setattr(explore, "STATIC_BLOCK_ROWS", 2)  # blocks of two rows: a speaker's quotes span blocks
    write_table(pd.DataFrame({"doc_id": ["d1"] * 3, "actor": ["Kaja Kallas", "Kaja Kallas", "Russia"]}),
                "mentions", tmp_path)
    write_table(pd.DataFrame({"doc_id": ["d1", "d1", "d2", "d2", "d3"],
                              "speaker": ["Kaja Kallas", "", "Russia", "Kaja Kallas", "Kaja Kallas"],
                              "cue": ["said"] * 5, "quote": ["one", "unnamed", "two", "three", "four"]}),
                "quotes", tmp_path)
    view = explore.actor_explorer(tmp_path / "tables")
    heading, quotes, total = view.parts[3]
    assert heading == "Quotes attributed to Kaja Kallas (3)" and total == 3
    assert list(quotes["quote"]) == ["one", "three"]  # the first two of three; "four" was not kept
    assert "… 1 more rows" in view._repr_html_()


def test_4_a_batch_reports_actor_view_reads_the_tables_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_BATCH", "1")
    monkeypatch.setattr(explore, "STATIC_BLOCK_ROWS", 2)
    # Russia 3 mentions, Kallas 2, spread over blocks of two rows; Putin only in actors.csv.
    write_table(pd.DataFrame({"doc_id": ["d1", "d2", "d1", "d3", "d3"],
                              "actor": ["Russia", "Kaja Kallas", "Russia", "Kaja Kallas", "Russia"]}),
                "mentions", tmp_path)
    write_table(pd.DataFrame({"actor": ["Vladimir Putin", "Russia"], "method": ["model"] * 2, "mentions": [0, 3],
                              "scored": [0, 3], "mean_sentiment": [0.0, -0.4]}), "actors", tmp_path)
    write_table(pd.DataFrame({"doc_id": ["d1", "d2", "d3"], "speaker": ["Kaja Kallas", "Russia", "Russia"],
                              "cue": ["said"] * 3, "quote": ["one", "two", "three"]}), "quotes", tmp_path)
    write_table(pd.DataFrame({"actor": ["Kaja Kallas", "Russia"], "method": ["model"] * 2,
                              "polarity": ["negative"] * 2, "score": [-0.9, -0.5], "doc_id": ["d2", "d1"],
                              "sentence": ["About Kallas.", "About Russia."]}), "evidence", tmp_path)
    view = explore.actor_explorer(tmp_path / "tables")
    assert view.title == "Actor: Russia"
    tone, by_document, quotes, evidence = (part[1] for part in view.parts[1:])
    assert tone["mean_sentiment"].tolist() == [-0.4]
    assert by_document.to_dict("list") == {"doc_id": ["d1", "d3"], "mentions": [2, 1]}
    assert view.parts[2][0] == "Mentions per document (3 in all)"
    assert quotes["quote"].tolist() == ["two", "three"] and view.parts[3][0] == "Quotes attributed to Russia (2)"
    assert evidence["sentence"].tolist() == ["About Russia."]
    # Any other actor, Putin too (no mention), is the view of that actor.
    putin = explore.actor_explorer(tmp_path / "tables", "Vladimir Putin")
    assert putin.title == "Actor: Vladimir Putin" and putin.parts[2][0] == "Mentions per document (0 in all)"


def test_4_a_batch_reports_timeline_view_keeps_the_first_events_and_counts_them_all(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_BATCH", "1")
    monkeypatch.setattr(explore, "STATIC_BLOCK_ROWS", 2)
    monkeypatch.setattr(explore, "ROWS", 2)
    view = explore.timeline_explorer(_events(tmp_path))  # 3 events, read two at a time
    assert view.title == "Timeline explorer" and view.parts[1] == ("", "3 of 3 events")
    heading, table, total = view.parts[2]
    assert table["text"].tolist() == ["Crimea was annexed.", "Talks in November."] and total == 3
    assert table["actors"].tolist() == ["Russia; Ukraine", ""] and table["date"].tolist() == ["2014", "2025-11"]
    assert "… 1 more rows" in view._repr_html_()
    write_table(pd.DataFrame(columns=["date", "precision", "date_source", "actors", "text", "sources"]), "events",
                tmp_path / "none")
    assert explore.timeline_explorer(tmp_path / "none" / "tables").parts[0][1].startswith("No dated event")


def test_4_a_static_view_keeps_only_the_rows_it_shows_and_their_number():
    view = explore.StaticView("Five", (("", "a sentence"), ("numbers", pd.DataFrame({"n": range(5)}))), rows=2)
    kept = view.shown()
    assert kept.parts[0] == ("", "a sentence")
    heading, table, total = kept.parts[1]
    assert heading == "numbers" and table["n"].tolist() == [0, 1] and total == 5
    assert "… 3 more rows" in kept._repr_html_() and kept._repr_html_() == view._repr_html_()


def test_4_actor_explorer_lists_the_most_mentioned_first_ties_by_name(tmp_path, monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("NEWSLENS_BATCH", raising=False)
    monkeypatch.setattr(explore, "interactive", lambda: True)
    # Zelensky 2, then Putin and Kallas once each: Kallas before Putin by name, whatever the order of the rows.
    mentions = pd.DataFrame({"doc_id": ["d1", "d2", "d2", "d3"],
                             "actor": ["Vladimir Putin", "Zelensky", "Zelensky", "Kaja Kallas"]})
    write_table(mentions, "mentions", tmp_path)
    menu = explore.actor_explorer(tmp_path / "tables").children[0]
    assert isinstance(menu, ipywidgets.Dropdown)
    assert menu.options == ("Zelensky", "Kaja Kallas", "Vladimir Putin") and menu.value == "Zelensky"


def _events(folder: Path) -> Path:
    write_table(pd.DataFrame({
        "date": ["2014", "2025-11", "2025-11-23"], "precision": ["year", "month", "day"],
        "date_source": ["explicit"] * 3, "actors": ["Russia; Ukraine", "", "Vladimir Putin"],
        "text": ["Crimea was annexed.", "Talks in November.", "Talks in Geneva."],
        "sources": ["d1", "d2", "d1; d2"], "n_sources": [1, 1, 2]}), "events", folder)
    return folder / "tables"


def test_4_timeline_view_filters_by_date_range_and_actor(tmp_path):
    events = explore.read_tables(_events(tmp_path), ("events",))["events"]
    assert list(explore.timeline_view(events).parts[1][1]["text"]) == [
        "Crimea was annexed.", "Talks in November.", "Talks in Geneva."]
    # From 2025-11-23 on: the month of November 2025 overlaps that day, 2014 does not.
    assert list(explore.timeline_view(events, "2025-11-23", "").parts[1][1]["text"]) == [
        "Talks in November.", "Talks in Geneva."]
    only_putin = explore.timeline_view(events, "2014", "2025-11-23", ["Vladimir Putin"])
    assert only_putin.parts[0][1] == "1 of 3 events" and list(only_putin.parts[1][1]["sources"]) == ["d1; d2"]


def test_4_timeline_explorer_is_a_range_slider_and_an_actor_list(tmp_path, monkeypatch):
    import ipywidgets

    monkeypatch.delenv("NEWSLENS_BATCH", raising=False)
    widget = explore.timeline_explorer(_events(tmp_path))
    span, who, _ = widget.children
    assert isinstance(span, ipywidgets.SelectionRangeSlider) and span.value == ("2014", "2025-11-23")
    assert who.options == ("Russia", "Ukraine", "Vladimir Putin")
    who.value = ("Russia",)  # redraws without error


def test_4_read_table_undoes_what_write_table_protects(tmp_path):
    table = pd.DataFrame({"text": ["=1+2", "-cmd", "plain", ""], "n": [-3, 1, 2, 0]})
    assert read_table(write_table(table, "t", tmp_path)).to_dict("list") == table.to_dict("list")
    # Only some columns (a column the table lacks is no error): the same values, unescaped too.
    assert read_table(tmp_path / "tables" / "t.csv", ("text", "absent")).to_dict("list") == {
        "text": ["=1+2", "-cmd", "plain", ""]}
    # As categoricals: the same values, "" for the empty cell; labels unescaped and sorted.
    read = read_table(tmp_path / "tables" / "t.csv", categories=("text",))
    assert isinstance(read["text"].dtype, pd.CategoricalDtype)
    assert read["text"].astype(str).tolist() == ["=1+2", "-cmd", "plain", ""]
    assert list(read["text"].cat.categories) == ["", "-cmd", "=1+2", "plain"]


def test_4_read_table_in_blocks_keeps_the_rows_asked_for(tmp_path, monkeypatch):
    from newslens import plots

    monkeypatch.setattr(plots, "READ_CHUNK_ROWS", 3)  # blocks of rows 0-2, 3-5, 6
    table = pd.DataFrame({"who": ["b", "", "=a", "c", "b", "", "d"], "n": [0, 1, 2, 3, 4, 5, 6]})
    path = write_table(table, "t", tmp_path)
    read = read_table(path, categories=("who",), keep=lambda rows: rows["who"] != "")
    # Each block's labels differ; the table's are the sorted union of the labels of the rows kept (no "", which
    # stands for an empty cell), the rows kept numbered from 0.
    assert list(read["who"].cat.categories) == ["=a", "b", "c", "d"]
    only_b = read_table(path, categories=("who",), keep=lambda rows: rows["who"] == "b")
    assert list(only_b["who"].cat.categories) == ["b"] and only_b["n"].tolist() == [0, 4]
    assert read.to_dict("list") == {"who": ["b", "=a", "c", "b", "d"], "n": [0, 2, 3, 4, 6]}
    assert list(read.index) == [0, 1, 2, 3, 4]
    assert read_table(path, ("n",)).to_dict("list") == {"n": list(range(7))}  # blocks joined, no filter
    assert len(read_table(path, keep=lambda rows: rows["n"] > 9)) == 0


# --- 5. quiet, informative batch runs; 6. byte-identical streams ---------------------------------------------------------

@pytest.fixture(scope="module")
def pieces_run(tmp_path_factory):
    """The notebook that prints one line in pieces, run twice by the runner in this process, with progress
    reported every 0.3 s."""
    outs, errors = [], []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp(name) / "out"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner, "PROGRESS_SECONDS", 0.3)
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr):
                code = runner.main(["run", str(FIXTURES / "99_prints_in_pieces.ipynb"), "--corpus", str(MINI),
                                    "--out", str(out)])
        assert code == 0, stderr.getvalue()
        outs.append(out)
        errors.append(stderr.getvalue())
    return outs, errors


def test_5_no_kernel_noise_but_what_the_kernel_says_is_shown_with_progress_and_summary(pieces_run):
    outs, errors = pieces_run
    err = errors[0]
    assert "without encryption" not in err and "KeyboardInterrupt" not in err, err
    assert "[1/1] 99_prints_in_pieces: kernel: libexample: a message from outside the notebook" in err, err
    assert re.search(r"^\[1/1\] 99_prints_in_pieces: cell [1-5] of 5, \d+ s$", err, re.MULTILINE), err
    assert re.fullmatch(rf"1 of 1 notebook\(s\) done in \d+\.\d s; index: {re.escape(str(outs[0].resolve()))}/index\.html",
                        err.splitlines()[-1]), err


def test_5_noise_lines_are_recognised_and_others_kept(tmp_path):
    log = tmp_path / "kernel.log"
    log.write_text("[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication …\n"
                   "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.\n\n"
                   "Fatal Python error: Segmentation fault\n", encoding="utf-8")
    assert runner.kernel_messages(log) == ["Fatal Python error: Segmentation fault"]


def test_5_a_kernel_aborting_at_shutdown_is_noise_only_after_the_notebook_ran(tmp_path):
    # libzmq's abort while a kernel closes its sockets, seen once in CI after a cell's error
    log = tmp_path / "kernel.log"
    log.write_text("a line from a library\nAssertion failed: pfd.revents & POLLIN (src/signaler.cpp:238)\n",
                   encoding="utf-8")
    assert runner.kernel_messages(log) == ["a line from a library"]
    assert runner.kernel_messages(log, ran=False) == [
        "a line from a library", "Assertion failed: pfd.revents & POLLIN (src/signaler.cpp:238)"]


def test_5_a_control_channel_traceback_at_shutdown_is_noise_only_after_the_notebook_ran(tmp_path):
    # ipykernel's error while it shuts down, seen about once in a hundred runs of test_robustness's test_1 (the first
    # lines of its traceback as the runner showed them; the rest made up in the same form)
    control = ["ERROR:tornado.general:Uncaught exception in ZMQStream callback",
               "Traceback (most recent call last):",
               '  File "/venv/lib/python3.11/site-packages/zmq/eventloop/zmqstream.py", line 585, in _log_error',
               "    f.result()",
               '  File "/venv/lib/python3.11/site-packages/ipykernel/kernelbase.py", line 372, in dispatch_control',
               "    await self.process_control(msg)",
               "zmq.error.ZMQError: Socket operation on non-socket"]
    other = ["ERROR:tornado.general:Uncaught exception in ZMQStream callback",
             "Traceback (most recent call last):",
             '  File "/venv/lib/python3.11/site-packages/ipykernel/kernelbase.py", line 500, in dispatch_shell',
             "ValueError: something else"]
    log = tmp_path / "kernel.log"
    log.write_text("\n".join(["before", *control, "between", *other, "after", *control[:3]]) + "\n", encoding="utf-8")
    # The control channel's block goes, the shell channel's stays, and so does an unfinished block.
    assert runner.kernel_messages(log) == ["before", "between", *other, "after", *control[:3]]
    assert runner.kernel_messages(log, ran=False) == ["before", *control, "between", *other, "after", *control[:3]]


def test_5_the_kernel_is_the_runners_interpreter_and_knows_it_runs_in_batch(pieces_run):
    outs, _ = pieces_run
    nb = nbformat.read(outs[0] / "99_prints_in_pieces" / "99_prints_in_pieces.ipynb", as_version=4)
    kernel = next(c for c in nb.cells if "sys.executable" in c.source)
    assert kernel.outputs[0].text == f"{sys.executable}\nNEWSLENS_BATCH=1\n"


def test_6_a_line_printed_in_pieces_is_one_stream_output(pieces_run):
    outs, _ = pieces_run
    nb = nbformat.read(outs[0] / "99_prints_in_pieces" / "99_prints_in_pieces.ipynb", as_version=4)
    printing = next(c for c in nb.cells if "print(piece" in c.source)
    assert [(o.output_type, o.name, o.text) for o in printing.outputs] == [("stream", "stdout", "one two three\n")]
    first, second = ((out / "99_prints_in_pieces" / "99_prints_in_pieces.ipynb").read_bytes() for out in outs)
    assert first == second


def test_6_scrub_merges_consecutive_streams_of_the_same_name():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(…)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="one "),
                    nbformat.v4.new_output("stream", name="stdout", text="two\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="three\n")]
    nb.cells = [cell]
    runner.scrub(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "one two\n"), ("stderr", "warning\n"),
                                                               ("stdout", "three\n")]


def test_4_in_a_live_kernel_the_explorer_is_a_working_widget(tmp_path, monkeypatch):
    # What JupyterLab gets: the kernel (not in batch) displays a widget, with a text fallback, and the view it
    # draws into its output area is there in the widget state (so the callback ran in the kernel without error).
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\nfrom newslens import explore, frequency as freq\n"
        "docs = pd.DataFrame({'doc_id': ['a'], 'text': ['The ceasefire held. A ceasefire again.']})\n"
        "explore.concordance_explorer(freq.tokenize_documents(docs, freq.FrequencyOptions(min_count=1)))")]
    monkeypatch.delenv("NEWSLENS_BATCH", raising=False)
    # A time limit: a kernel that stops answering (seen once on a machine loaded by two notebook runs) fails the test
    # instead of hanging the suite.
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    data = nb.cells[0].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data and data["text/plain"].startswith("VBox(")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    drawn = [model["state"]["outputs"] for model in state.values() if model["model_name"] == "OutputModel"]
    assert len(drawn) == 1 and "Concordance of &#x27;ceasefire&#x27;" in drawn[0][0]["data"]["text/html"]
    assert "2 occurrences in 1 of 1 documents" in drawn[0][0]["data"]["text/html"]


def test_3_a_published_report_rerun_by_hand_does_not_write_into_it(tmp_path, monkeypatch):
    # An executed copy in outputs/<stem>/ opened in JupyterLab has output_dir "." there: its tables would then
    # disagree with the HTML report and the index beside them.
    from newslens.parameters import BATCH_ENV
    from newslens.plots import PublishedFolderError

    published = tmp_path / "outputs"
    (published / "01_word_frequency").mkdir(parents=True)
    (published / ".newslens-reports").write_text("01_word_frequency/01_word_frequency.html\n", encoding="utf-8")
    table = pd.DataFrame({"term": ["talks"], "count": [3]})
    monkeypatch.delenv(BATCH_ENV, raising=False)
    with pytest.raises(PublishedFolderError, match=r"'01_word_frequency' is a report folder published by"):
        write_table(table, "terms", published / "01_word_frequency")
    assert not (published / "01_word_frequency" / "tables").exists()
    write_table(table, "terms", tmp_path / "scratch")  # a scratch folder is fine
    monkeypatch.setenv(BATCH_ENV, "1")  # the runner's kernels publish there
    assert write_table(table, "terms", published / "01_word_frequency").read_text(encoding="utf-8") == (
        "term,count\ntalks,3\n")
