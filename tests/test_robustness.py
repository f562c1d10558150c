"""The bad-input and fault matrix of issue 10: every case gets a clear message or a correct result, nothing is lost,
nothing from the input is run. Numbers in the test names follow the issue (1 concurrent runs … 8 crashes).

Three tests run real notebooks (the concurrent runs, a hostile corpus through 00 and 01, the chronology without
events); the rest call the loader, the parameter checks and the runner's parts directly, with faults injected.
"""
import codecs
import csv
import errno
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import newslens
from newslens import CorpusWarning, corpus as corpus_module, runner
from newslens.actors import RegistryError, load_registry
from newslens.language import _identifier, detect_language, english_documents, release_identifier
from newslens.parameters import ParameterError, check_parameters
from newslens.plots import write_table
from newslens.timeline import events_table, select_events

from conftest import REPO, SEEDS, warning_messages

NOTEBOOKS = REPO / "notebooks"
ENGLISH = ("Ceasefire talks resume in Geneva\nEnvoys from both sides met on Sunday and agreed to continue the talks "
           "next week, officials said. The negotiators discussed prisoner exchanges and the reopening of ports.\n")
GERMAN = ("Die Gespräche in Genf gehen weiter\nDie Gesandten beider Seiten trafen sich am Sonntag und vereinbarten, "
          "die Verhandlungen in der kommenden Woche fortzusetzen, sagten Beamte. Es ging um den Austausch von "
          "Gefangenen und die Öffnung der Häfen.\n")
RUSSIAN = ("Переговоры о перемирии возобновились в Женеве\nПосланники обеих сторон встретились в воскресенье и "
           "договорились продолжить переговоры на следующей неделе, сообщили официальные лица. Обсуждались обмен "
           "пленными и открытие портов.\n")


def write(folder: Path, name: str, content) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(folder: Path):
    """load_corpus and the warnings it gave, as messages."""
    with pytest.warns(CorpusWarning) as caught:
        loaded = newslens.load_corpus(folder)
    return loaded, warning_messages(caught)


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def run_process(*args: str, cwd: Path = REPO) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newslens", "run", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# --- 1. two runs into one --out ------------------------------------------------------------------------------------

def test_1_second_run_into_the_same_out_is_refused_and_the_first_completes(tmp_path):
    seed001 = tmp_path / "seed001"
    seed001.mkdir()
    (seed001 / "001_c190102fa271d982.txt").write_bytes((SEEDS / "001_c190102fa271d982.txt").read_bytes())
    out = tmp_path / "out"
    first = run_process("00_corpus", "03_chronology", "--jobs", "1", "--corpus", str(seed001), "--out", str(out))
    deadline = time.monotonic() + 60
    while not (out / runner.LOCK_NAME).exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    second = run_process("00_corpus", "--corpus", str(SEEDS), "--out", str(out))
    second_err = second.communicate(timeout=120)[1]
    first_err = first.communicate(timeout=300)[1]
    assert second.returncode == 2, second_err
    assert second_err.strip() == f"error: another run is writing here ('{out}'): wait for it to finish, or choose " \
                                 "another --out", second_err
    assert first.returncode == 0, first_err
    # Everything is the first run's, complete: its one document, its notebook and report, no staging left over.
    assert sorted(os.listdir(out)) == [".newslens-reports", "00_corpus", "03_chronology", "index.html"]
    rows = list(csv.DictReader(io.StringIO((out / "00_corpus/tables/documents.csv").read_text(encoding="utf-8"))))
    assert [row["doc_id"] for row in rows] == ["001_c190102fa271d982"]
    assert {"00_corpus.ipynb", "00_corpus.html"} <= set(os.listdir(out / "00_corpus"))
    # 8. 03_chronology on a corpus with no datable event (seed 001 alone) is valid input: an empty events table.
    assert (out / "03_chronology/tables/events.csv").read_text(encoding="utf-8").count("\n") == 1
    assert "Traceback" not in first_err


def test_1_a_lock_left_by_a_killed_run_does_not_block_and_is_removed(tmp_path):
    (tmp_path / runner.LOCK_NAME).write_text("")  # the file stays after SIGKILL; the lock on it does not
    with runner.locked(tmp_path):
        assert (tmp_path / runner.LOCK_NAME).exists()
        with pytest.raises(runner.RunRefused, match="another run is writing here"):
            with runner.locked(tmp_path):
                pass
    assert not (tmp_path / runner.LOCK_NAME).exists()


# --- 2. parameter names never run ------------------------------------------------------------------------------------

def test_2_a_parameter_name_is_checked_not_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code = runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "-p", '__import__("os").system("touch pwned"); x',
                        "1", "--corpus", str(SEEDS), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("error: no notebook of this run has a parameter '__import__(\"os\").system(\"touch pwned\"); x' "
                   "(their parameters: cache_dir)\n")
    assert not (tmp_path / "pwned").exists() and not out.exists()  # nothing ran, nothing was written


def test_2_unknown_names_list_the_declared_ones_and_go_only_where_declared():
    notebooks = [NOTEBOOKS / "00_corpus.ipynb", NOTEBOOKS / "01_word_frequency.ipynb"]
    with pytest.raises(ParameterError, match=r"no notebook of this run has a parameter 'topn' \(their parameters: "
                                             r"cache_dir, extra_stopwords, include_other_languages, kwic_max_lines, kwic_terms, "
                                             r"min_count, "
                                             r"ngram_max, ngram_min, per_document_min_count, reference_size, "
                                             r"stemming, top_n, use_reference\)"):
        check_parameters(notebooks, [("topn", "5")])
    values = check_parameters(notebooks, [("top_n", "50")])
    assert values == {notebooks[0]: {}, notebooks[1]: {"top_n": 50}}


# --- 3. spreadsheet formulas -----------------------------------------------------------------------------------------

def test_3_the_csv_writer_makes_formula_cells_text(tmp_path):
    table = pd.DataFrame({
        "title": ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                  "@SUM(A1:A9)", "\tindented", "-5", "Plain = fine"],
        "score": [-1.5, 2.0, 0.0, -3.0, 1.0, 4.0, 0.5],
    })
    path = write_table(table, "t", tmp_path)
    assert path.read_bytes() == (
        b"title,score\n"
        b"\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",-1.5\n"
        b"'+cmd|' /C calc'!A0,2\n"
        b"'-2+3+cmd|' /C calc'!A0,0\n"
        b"'@SUM(A1:A9),-3\n"
        b"'\tindented,1\n"
        b"-5,4\n"
        b"Plain = fine,0.5\n")


def test_3_formula_cells_are_caught_in_columns_that_mix_text_with_other_values(tmp_path):
    table = pd.DataFrame({"mixed": [7, "=1+1", None, "safe"], "no_text": pd.Series([1, 2, 3, 4], dtype=object),
                          "string": pd.Series(["@x", "y", None, "-1"], dtype="string")})
    assert write_table(table, "t", tmp_path).read_bytes() == (
        b"mixed,no_text,string\n"
        b"7,1,'@x\n"
        b"'=1+1,2,y\n"
        b",3,\n"
        b"safe,4,-1\n")


def test_3_formula_cells_are_caught_in_category_columns(tmp_path):
    # A file name is a doc_id, and the time expressions' doc_ids are categories: "=cmd" is not one of them once safe.
    table = pd.DataFrame({"doc_id": pd.Categorical(["=cmd", "ok", "=cmd", None]), "n": [1, 2, 3, 4]})
    assert write_table(table, "t", tmp_path).read_bytes() == b"doc_id,n\n'=cmd,1\nok,2\n'=cmd,3\n,4\n"
    assert list(table["doc_id"].cat.categories) == ["=cmd", "ok"]  # the caller's table is not changed


def test_3_no_other_csv_writer_in_the_library_or_notebooks():
    sources = [*(REPO / "lib" / "newslens").glob("*.py"), *NOTEBOOKS.glob("*.ipynb")]
    writers = sorted(p.name for p in sources if ".to_csv(" in p.read_text(encoding="utf-8") or
                     "csv.writer(" in p.read_text(encoding="utf-8"))
    assert writers == ["plots.py"]


# --- 3, 4, 5, 7: a hostile corpus through the notebooks ------------------------------------------------------------

def test_hostile_corpus_end_to_end(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "a_formula.txt", '=HYPERLINK("http://evil.example","Ceasefire")\n' + ENGLISH.split("\n", 1)[1])
    write(corpus, "b_english.txt", ENGLISH)
    write(corpus, "c_german.txt", GERMAN)
    write(corpus, "d_russian.txt", RUSSIAN.encode("cp1251"))
    secret = write(tmp_path, "secret.txt", "Secret title\nThe password is swordfish.\n")
    (corpus / "leak.txt").symlink_to(secret)
    write(corpus, "metadata.csv", "file,outlet,published\na_formula.txt,@Evil Outlet,2099-01-01\n")
    out = tmp_path / "out"
    write(out, "private/passwords.csv", "user,password\nme,swordfish\n")  # an unrelated folder in --out
    assert runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), str(NOTEBOOKS / "01_word_frequency.ipynb"),
                        "--corpus", str(corpus), "--out", str(out), "--jobs", "2"]) == 0
    documents = (out / "00_corpus/tables/documents.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(documents)))
    assert [(r["doc_id"], r["encoding"], r["language"], r["published"]) for r in rows] == [
        ("a_formula", "utf-8", "en", ""), ("b_english", "utf-8", "en", ""), ("c_german", "utf-8", "de", ""),
        ("d_russian", "cp1251", "ru", "")]
    # 3: the title and outlet start with ' in the bytes; no cell of any table starts a formula.
    assert rows[0]["title"] == "'=HYPERLINK(\"http://evil.example\",\"Ceasefire\")" and rows[0]["outlet"] == "'@Evil Outlet"
    for table in out.glob("*/tables/*.csv"):
        for row in csv.reader(io.StringIO(table.read_text(encoding="utf-8"))):
            assert not [cell for cell in row if cell[:1] in ("=", "+", "@", "\t", "\r")], (table, row)
    # 7: Cyrillic decoded, not cp1252 mojibake
    assert rows[3]["title"] == "Переговоры о перемирии возобновились в Женеве"
    problems = (out / "00_corpus/tables/problems.csv").read_text(encoding="utf-8")
    # 4: the link outside the corpus is refused and its text reaches no table
    assert "leak.txt,a link to a file or folder outside the corpus folder; not read,skipped" in problems
    assert not [p for p in out.rglob("*") if p.is_file() and b"swordfish" in p.read_bytes()
                and "private" not in p.parts]
    # 7: the date in 2099 is refused, naming the file and line
    assert "metadata.csv line 2,published date '2099-01-01' is in the future; left empty,repaired" in problems
    # 7: non-English documents flagged, and left out of word frequency
    assert ("c_german.txt,\"language detected: 'de', not English; left out of the English-only analyses unless "
            "include_other_languages is set\",flagged") in problems
    terms = {row["term"] for row in csv.DictReader(io.StringIO(
        (out / "01_word_frequency/tables/terms.csv").read_text(encoding="utf-8")))}
    assert "talks" in terms and not terms & {"die", "gespräche", "переговоры", "не"}
    # 5: the index lists what this run wrote, not the unrelated folder
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "private" not in index and "passwords" not in index
    assert index.count("<section id=") == 2
    # warnings reach the reader as notes naming the file, without the machine's paths or the library's code
    report = (out / "00_corpus/00_corpus.html").read_text(encoding="utf-8")
    assert "<strong>Warning.</strong>" in report and "leak.txt: a link to a file or folder outside" in report
    assert str(tmp_path) not in report and ".py:" not in report and "warnings.warn" not in report
    assert sorted(os.listdir(out)) == [".newslens-reports", "00_corpus", "01_word_frequency", "index.html",
                                       "private"]


# --- 4. links ------------------------------------------------------------------------------------------------------

def test_4_links_leaving_the_corpus_are_refused_and_linked_folders_reported(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", ENGLISH)
    outside = write(tmp_path, "elsewhere/secret.txt", "Secret\nNot an article of this corpus at all.\n")
    (corpus / "leak.txt").symlink_to(outside)
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "outside_folder").symlink_to(outside.parent, target_is_directory=True)
    write(corpus, "sub/b.txt", "Other\nDifferent text here.\n")
    (corpus / "same_folder").symlink_to(corpus / "sub", target_is_directory=True)
    (corpus / "alias.txt").symlink_to(corpus / "sub" / "b.txt")  # a link inside the corpus is read (held before)
    loaded, messages = load(corpus)
    assert sorted(messages) == [
        "leak.txt: a link to a file or folder outside the corpus folder; not read (skipped)",
        "outside_folder: a link to a file or folder outside the corpus folder; not read (skipped)",
        "passwd.txt: a link to a file or folder outside the corpus folder; not read (skipped)",
        "same_folder: a link to a folder of the corpus; links to folders are not followed, so its files are read "
        "only where they really are (ignored)",
        "sub/b.txt: duplicate of document 'alias' (skipped)",
    ]
    assert list(loaded.documents["doc_id"]) == ["a", "alias"]


# --- 5. the index ---------------------------------------------------------------------------------------------------

def test_5_index_lists_only_the_files_newslens_wrote(tmp_path):
    write(tmp_path, "private/passwords.csv", "x")
    write(tmp_path, "00_corpus/00_corpus.html", "r")
    write(tmp_path, "00_corpus/tables/documents.csv", "d")
    write(tmp_path, "00_corpus/notes-of-the-user.txt", "n")
    runner.write_reports(tmp_path, {"00_corpus": ("00_corpus/00_corpus.html", "00_corpus/tables/documents.csv")})
    with (tmp_path / runner.REPORTS_NAME).open("a", encoding="utf-8") as listing:  # an edited listing
        listing.write("/etc/passwd\n00_corpus/../private/passwords.csv\n01_gone/01_gone.html\n")
    reports = runner.read_reports(tmp_path)
    assert reports == {"00_corpus": ("00_corpus/00_corpus.html", "00_corpus/tables/documents.csv")}
    page = runner.write_index(tmp_path, reports).read_text(encoding="utf-8")
    assert sorted(set(re.findall(r'href="([^"#][^"]*)"', page))) == [  # and links to its own sections
        "00_corpus/00_corpus.html", "00_corpus/tables/documents.csv"]


# --- 6. a crash between the two renames -----------------------------------------------------------------------------

def test_6_a_run_killed_between_the_two_renames_is_repaired_by_the_next(tmp_path):
    write(tmp_path, ".00_corpus.old/kept.txt", "previous outputs")  # <stem> already renamed away, new not yet in
    write(tmp_path, ".00_corpus.4242-0a1b2c3d.partial/half.txt", "staging of the killed run")
    write(tmp_path, "01_word_frequency/new.txt", "new outputs")  # this one's swap had finished
    write(tmp_path, ".01_word_frequency.old/old.txt", "its previous outputs")
    write(tmp_path, ".backup.old/mine.txt", "a folder of the user's")  # not a report of this run: left alone
    notes = runner.recover_interrupted(tmp_path, ["00_corpus", "01_word_frequency"])
    assert notes == [f"{tmp_path / '00_corpus'}: an earlier run was interrupted while replacing these outputs; the "
                     "previous outputs were put back"]
    assert (tmp_path / "00_corpus/kept.txt").read_text() == "previous outputs"
    assert (tmp_path / "01_word_frequency/new.txt").read_text() == "new outputs"
    assert sorted(os.listdir(tmp_path)) == [".backup.old", "00_corpus", "01_word_frequency"]


def fake_execute(input_path, output_path, **kwargs):
    """papermill without a kernel: the notebook as it is (the runner's own steps are what these tests check)."""
    Path(output_path).write_bytes(Path(input_path).read_bytes())


def test_6_a_failed_swap_puts_the_previous_outputs_back(tmp_path, monkeypatch, capsys):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    write(tmp_path, "out/00_corpus/kept.txt", "previous outputs")
    real_rename = Path.rename

    def failing_rename(self, target):
        if self.name.endswith(".partial"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    code = runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "--corpus", str(SEEDS), "--out",
                        str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and f"its outputs could not be written in {tmp_path / 'out'}: Input/output error" in err, err
    assert (tmp_path / "out/00_corpus/kept.txt").read_text() == "previous outputs"
    assert visible(tmp_path / "out") == ["00_corpus", "index.html"] and not list((tmp_path / "out").glob(".*.*"))


# --- 7. silently wrong results ---------------------------------------------------------------------------------------

def test_7_corpus_and_output_dir_are_options_not_parameters(capsys, tmp_path):
    for name, option in (("corpus", "--corpus"), ("output_dir", "--out")):
        assert runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "-p", name, "X", "--corpus", str(SEEDS),
                            "--out", str(tmp_path / "out")]) == 2
        assert capsys.readouterr().err == f"error: parameter '{name}' is set with the option {option}, not with -p\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("encoding, label", [("cp1251", "cp1251"), ("koi8_r", "koi8-r")])
def test_7_cyrillic_code_pages_are_not_cp1252(tmp_path, encoding, label):
    write(tmp_path, "ru.txt", RUSSIAN.encode(encoding))
    loaded, messages = load(tmp_path)
    doc = loaded.documents.iloc[0]
    assert (doc["encoding"], doc["language"]) == (label, "ru")
    assert doc["text"] == RUSSIAN.strip()
    assert messages[0] == f"ru.txt: not valid UTF-8 (first bad byte 0); decoded as {label} (repaired)"


def test_7_western_code_pages_stay_cp1252(tmp_path):
    write(tmp_path, "de.txt", GERMAN.encode("cp1252"))
    write(tmp_path, "fr.txt", "Le café\nUn texte très court.\n".encode("cp1252"))
    loaded, _ = load(tmp_path)
    assert list(loaded.documents["encoding"]) == ["cp1252", "cp1252"]
    assert loaded.documents.iloc[0]["text"] == GERMAN.strip()


def test_7_titles_are_looked_up_when_asked():
    from newslens.corpus import DocumentTitles

    titles = DocumentTitles(pd.DataFrame({"doc_id": ["a", "b", "c"], "title": ["One", "Two", "Three"]}))
    assert titles["b"] == "Two" and titles.get("z", "z") == "z" and len(titles) == 3 and list(titles) == ["a", "b", "c"]
    assert titles.of(["c", "a", "z"]) == {"a": "One", "c": "Three"}
    with pytest.raises(KeyError):
        titles["z"]


def test_7_languages_are_detected_and_other_languages_kept_out_unless_asked():
    assert [detect_language(t) for t in (ENGLISH, GERMAN, RUSSIAN, "Too short to tell.")] == ["en", "de", "ru", ""]
    release_identifier()  # the model is freed, and loaded again when needed
    assert _identifier.cache_info().currsize == 0 and detect_language(GERMAN) == "de"
    documents = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "language": ["en", "de", "ru", ""]})
    with pytest.warns(UserWarning, match=r"2 document\(s\) not in English left out of this English-only analysis: "
                                         r"b \(de\), c \(ru\) \(set include_other_languages = True"):
        assert list(english_documents(documents)["doc_id"]) == ["a", "d"]
    with pytest.warns(UserWarning, match="analysed with English word lists"):
        assert list(english_documents(documents, include_other_languages=True)["doc_id"]) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match=r"no document is in English \(b \(de\)\); .*include_other_languages"):
        english_documents(documents[documents["doc_id"] == "b"])


def test_7_english_documents_share_the_texts_of_a_loaded_corpus(tmp_path):
    # Documents a, c, e in English; b and d in German: the English ones keep their texts and their order, and
    # their text columns are made of slices of the loaded ones (the same buffers, not a copy).
    for name, text in zip("abcde", (ENGLISH, GERMAN, ENGLISH + " More.", GERMAN + " Noch.", ENGLISH + " Again.")):
        write(tmp_path, f"{name}.txt", text)
    documents = newslens.load_corpus(tmp_path).documents
    with pytest.warns(UserWarning, match="2 document"):
        english = english_documents(documents)
    assert list(english["doc_id"]) == ["a", "c", "e"] and list(english.columns) == list(documents.columns)
    assert list(english["text"]) == [documents["text"][0], documents["text"][2], documents["text"][4]]
    assert english.dtypes.equals(documents.dtypes) and list(english.index) == [0, 1, 2]
    assert list(english["n_words"]) == [documents["n_words"][0], documents["n_words"][2], documents["n_words"][4]]

    def buffers(column):
        data = pa.array(column.array)
        return {chunk.buffers()[2].address for chunk in getattr(data, "chunks", [data])}

    for column in ("text", "doc_id", "title"):
        assert buffers(english[column]) <= buffers(documents[column]), column


def test_7_english_only_notebooks_select_english_documents():
    import json

    for stem in ("01_word_frequency", "02_actor_sentiment", "03_chronology"):
        source = "".join("".join(c["source"]) for c in json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text())["cells"])
        assert re.search(r"english_documents\(newslens\.load_corpus\(corpus(, cache_dir=cache)?\)\.documents, "
                         r"include_other_languages\)", source), stem


def test_7_future_and_impossible_dates_are_refused_naming_file_and_row(tmp_path):
    write(tmp_path, "a.txt", ENGLISH)
    write(tmp_path, "b.txt", "Other\nDifferent text here.\n")
    write(tmp_path, "c.txt", "Third\nYet another text.\n")
    write(tmp_path, "metadata.csv", "file,published\na.txt,2099-01-01\nb.txt,9999-12-31\nc.txt,0001-01-01\n")
    loaded, messages = load(tmp_path)
    assert messages == [
        "metadata.csv line 2: published date '2099-01-01' is in the future; left empty (repaired)",
        "metadata.csv line 3: published date '9999-12-31' is in the future; left empty (repaired)",
        "metadata.csv line 4: published date '0001-01-01' is before 1600, earlier than any newspaper; left empty "
        "(repaired)",
    ]
    assert list(loaded.documents["published"]) == ["", "", ""]
    table = tmp_path / "t.jsonl"
    table.write_text('{"id": "x", "text": "Some text.", "published": "2099-05-01"}\n'
                     '{"id": "y", "text": "Other text.", "published": "2025-11-23"}\n', encoding="utf-8")
    loaded, messages = load(table)
    assert messages == ["t.jsonl row 1 (id 'x'): published date '2099-05-01' is in the future; left empty (repaired)"]
    assert list(loaded.documents["published"]) == ["", "2025-11-23"]


def test_7_list_booleans_and_ranges_are_checked():
    notebook = [NOTEBOOKS / "01_word_frequency.ipynb"]
    values = check_parameters(notebook, [("extra_stopwords", "said"), ("kwic_terms", '["peace", "talks"]'),
                                         ("stemming", "yes"), ("use_reference", "0")])[notebook[0]]
    assert values == {"extra_stopwords": ["said"], "kwic_terms": ["peace", "talks"], "stemming": True,
                      "use_reference": False}
    assert check_parameters(notebook, [("extra_stopwords", "said, told")])[notebook[0]] == {
        "extra_stopwords": ["said", "told"]}
    with pytest.raises(ParameterError, match=r"^parameter 'top_n': expected a whole number \(int\) of at least 1, "
                                             r"got '0'$"):
        check_parameters(notebook, [("top_n", "0")])
    with pytest.raises(ParameterError, match=r"^parameter 'method': expected one of: model, fast, vader, got 'bert'$"):
        check_parameters([NOTEBOOKS / "02_actor_sentiment.ipynb"], [("method", "bert")])


def test_7_a_key_twice_in_actors_yaml_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path, "actors.yaml", "actors:\n  - name: Vladimir Putin\n    kind: person\n"
                                          "    aliases: [Putin]\n    aliases: [Poutine]\n")
    with pytest.raises(RegistryError, match=r"actors\.yaml: not valid YAML: the key 'aliases' is given twice\n"
                                            r".*line 5, column 5"):
        load_registry(path)


def test_python_tags_in_actors_yaml_still_run_nothing(tmp_path):
    path = write(tmp_path, "actors.yaml", "actors:\n  - name: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(RegistryError, match=r"actors\.yaml: not valid YAML: could not determine a constructor"):
        load_registry(path)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_7_pdf_saved_as_txt_is_skipped_and_an_html_fragment_read_without_its_tags(tmp_path):
    write(tmp_path, "a.txt", ENGLISH)
    write(tmp_path, "scan.txt", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n%%EOF\n")
    write(tmp_path, "fragment.txt", "<p>Talks resumed in Geneva.</p>\n<p>Envoys met on Sunday.</p>\n")
    loaded, messages = load(tmp_path)
    assert sorted(messages) == [
        "fragment.txt: an HTML page, not plain text: its article text was taken from the markup (repaired)",
        "scan.txt: a PDF file, not text (extract its text first) (skipped)"]
    docs = loaded.documents.set_index("doc_id")
    assert list(docs.index) == ["a", "fragment"]
    assert docs.loc["fragment", "text"] == "Talks resumed in Geneva.\n\nEnvoys met on Sunday."


def test_7_out_inside_the_corpus_is_refused(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", ENGLISH)
    for out in (corpus / "outputs", corpus):
        assert runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "--corpus", str(corpus), "--out",
                            str(out)]) == 2
        assert capsys.readouterr().err == (f"error: --out '{out}' is inside the corpus folder '{corpus}': the next "
                                           "run would read these outputs as articles; choose a folder outside it\n")
    assert sorted(os.listdir(corpus)) == ["a.txt"]


# --- 8. crashes and unclear errors -----------------------------------------------------------------------------------

def test_8_selecting_from_no_events_keeps_the_columns():
    empty = pd.DataFrame(columns=["date", "precision", "actors", "sources", "text"])
    selected = select_events(empty, min_precision="day")
    assert list(selected.columns) == ["date", "precision", "actors", "sources", "text"] and selected.empty
    assert list(events_table(selected).columns) == ["date", "precision", "actors", "sources", "text", "n_sources"]


def test_8_full_disk_during_the_html_export_is_one_line_and_loses_nothing(tmp_path, monkeypatch, capsys):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)

    def full_disk(nb, path, **options):
        path.write_text("<html><body>trunc", encoding="utf-8")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(runner, "_export_html", full_disk)
    out = tmp_path / "out"
    write(out, "00_corpus/kept.txt", "previous outputs")
    assert runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "--corpus", str(SEEDS), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert (f"00_corpus: FAILED: {NOTEBOOKS / '00_corpus.ipynb'}: its outputs could not be written in {out}: "
            "No space left on device\n") in err and "Traceback" not in err
    assert (out / "00_corpus/kept.txt").read_text() == "previous outputs"
    assert sorted(os.listdir(out)) == [".newslens-reports", "00_corpus", "index.html"]  # no .partial left


@pytest.mark.parametrize("case", ["file", "read-only"])
def test_8_out_that_is_a_file_or_read_only_is_a_one_line_error(tmp_path, monkeypatch, case):
    out = tmp_path / "out"
    if case == "file":
        out.write_text("not a folder")
        expected = f"error: --out '{out}' is a file, not a folder\n"
    else:
        def read_only(self, *args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

        monkeypatch.setattr(Path, "mkdir", read_only)
        expected = f"error: cannot create the output folder '{out}': Read-only file system\n"
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert runner.main(["run", str(NOTEBOOKS / "00_corpus.ipynb"), "--corpus", str(SEEDS), "--out", str(out)]) == 2
    assert stderr.getvalue() == expected


def test_8_out_that_is_a_file_in_a_real_process_gives_no_traceback(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    process = run_process("00_corpus", "--corpus", str(SEEDS), "--out", str(out))
    err = process.communicate(timeout=120)[1]
    assert process.returncode == 2 and err == f"error: --out '{out}' is a file, not a folder\n"


@pytest.mark.parametrize("value", ["abc", "-5", "1e999", "2.5"])
def test_8_bad_numbers_name_the_parameter_before_any_kernel_starts(tmp_path, capsys, value):
    out = tmp_path / "out"
    assert runner.main(["run", str(NOTEBOOKS / "01_word_frequency.ipynb"), "-p", "top_n", value, "--corpus",
                        str(SEEDS), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: parameter 'top_n': expected a whole number (int) of at least 1, "
                                       f"got '{value}'\n")
    assert not out.exists()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_8_utf16_without_a_bom_is_decoded(tmp_path, encoding):
    for name, text in (("en.txt", ENGLISH), ("ru.txt", RUSSIAN)):
        data = text.encode(encoding)
        assert not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        write(tmp_path, name, data)
    loaded, messages = load(tmp_path)
    order = encoding[-2:].upper()
    assert messages == [f"en.txt: UTF-16 text without a byte-order mark ({order}); decoded (repaired)",
                        f"ru.txt: UTF-16 text without a byte-order mark ({order}); decoded (repaired)",
                        "ru.txt: language detected: 'ru', not English; left out of the English-only analyses unless "
                        "include_other_languages is set (flagged)"]
    assert list(loaded.documents["text"]) == [ENGLISH.strip(), RUSSIAN.strip()]


def test_8_oversized_documents_are_skipped_unread(tmp_path, monkeypatch):
    write(tmp_path, "a.txt", ENGLISH)
    with (tmp_path / "huge.txt").open("wb") as handle:  # 200 MB, sparse: the guard must not read it
        handle.truncate(200_000_000)
    loaded, messages = load(tmp_path)
    assert messages == ["huge.txt: 200.0 MB, over the 5 MB limit for one article (a whole archive or book?); "
                        "split it into articles (skipped)"]
    assert list(loaded.documents["doc_id"]) == ["a"]
    monkeypatch.setattr(corpus_module, "MAX_DOCUMENT_BYTES", 100)
    table = tmp_path / "t.jsonl"
    table.write_text('{"id": "x", "text": "' + "word " * 30 + '"}\n{"id": "y", "text": "short"}\n', encoding="utf-8")
    loaded, messages = load(table)
    assert messages == ["t.jsonl row 1 (id 'x'): 150 characters, over the 0.0001 MB limit for one article (a whole "
                        "archive or book?); split it into articles (skipped)"]
