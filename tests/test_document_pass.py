"""The cached document-level pass of notebooks 00, 01 and 03: loading, word forms and frequency tables, time
expressions, article dates, mentions and events. Results are the same with a cold, a warm or no cache; a rerun does
no document-level work; a new document is the only one processed; damaged entries are rebuilt with a warning."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from newslens import actors, chronology, corpus, timex
from newslens import frequency as freq
from newslens.corpus import load_corpus

from conftest import SEEDS, warning_messages


def refuse(*args, **kwargs):
    raise AssertionError("document-level work on a rerun")


def counting(monkeypatch, module, name) -> list:
    """Replace ``module.name`` by a wrapper that records each call's first argument."""
    calls, original = [], getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args[0] if args else None)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal tables; in a column of Python objects a missing value may be None or NaN (Parquet keeps one kind)."""
    def canonical(frame):
        frame = frame.copy()
        for column in frame.columns[frame.dtypes == object]:
            frame[column] = [None if v is None or (isinstance(v, float) and v != v) else v for v in frame[column]]
        return frame

    pd.testing.assert_frame_equal(canonical(got), canonical(expected))


# --- loading -------------------------------------------------------------------------------------------------------

@pytest.fixture
def messy_corpus(tmp_path) -> Path:
    """The seeds, a cp1252 file, an empty file and a copy of a seed: cleaning, repairs, skips and a duplicate."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    (folder / "cafe.txt").write_bytes("Caf\u00e9 talks\n\nThe caf\u00e9 in Kyiv reopened on Monday.\n".encode("cp1252"))
    (folder / "empty.txt").write_bytes(b"")
    shutil.copy(next(iter(sorted(SEEDS.glob("*.txt")))), folder / "zz_copy.txt")
    return folder


def loaded(folder, cache_dir=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = load_corpus(folder, cache_dir=cache_dir)
    return result, warning_messages(caught)


def assert_same_corpus(got, expected):
    (a, a_warnings), (b, b_warnings) = got, expected
    pd.testing.assert_frame_equal(a.documents, b.documents)
    pd.testing.assert_frame_equal(a.cleaning, b.cleaning)
    pd.testing.assert_frame_equal(a.problems, b.problems)
    assert a_warnings == b_warnings


def test_load_corpus_cleans_each_text_once(messy_corpus, tmp_path, monkeypatch):
    plain = loaded(messy_corpus)
    assert list(plain[0].problems["action"]) == ["repaired", "skipped", "skipped"]  # cp1252, empty, duplicate
    cache = tmp_path / "cache"
    calls = counting(monkeypatch, corpus, "clean_text")
    cold = loaded(messy_corpus, cache)
    # 5 seeds and the cp1252 file; the copy of a seed is the same text as read, so it is cleaned once.
    assert len(calls) == 6
    with monkeypatch.context() as patched:
        patched.setattr(corpus, "clean_text", refuse)
        patched.setattr(corpus, "detect_language", refuse)
        warm = loaded(messy_corpus, cache)
    for run in (cold, warm):
        assert_same_corpus(run, plain)
    # One new article: only it is cleaned.
    (messy_corpus / "new.txt").write_text("Ceasefire holds\n\nThe ceasefire held for a third day.\n")
    calls.clear()
    added = loaded(messy_corpus, cache)
    assert calls == ["Ceasefire holds\n\nThe ceasefire held for a third day.\n"]
    assert "new" in set(added[0].documents["doc_id"])
    assert_same_corpus(added, loaded(messy_corpus))


def test_corrupt_cleaning_cache_is_rebuilt_with_a_warning(messy_corpus, tmp_path):
    plain = loaded(messy_corpus)
    cache = tmp_path / "cache"
    loaded(messy_corpus, cache)
    shards = sorted(cache.glob("cleaned-*/*.parquet"))
    assert shards
    for shard in shards:
        shard.write_bytes(b"not a parquet file")
    with pytest.warns(UserWarning, match="is corrupt"), warnings.catch_warnings():
        warnings.simplefilter("ignore", corpus.CorpusWarning)  # the corpus's own warnings, checked above
        rebuilt = load_corpus(messy_corpus, cache_dir=cache)
    pd.testing.assert_frame_equal(rebuilt.documents, plain[0].documents)
    assert_same_corpus(loaded(messy_corpus, cache), plain)  # and the cache is whole again: no warning


# --- time expressions ------------------------------------------------------------------------------------------------

def test_time_expressions_are_cached_per_text_and_anchor(tmp_path, monkeypatch):
    wednesday = dt.date(2025, 11, 26)
    items = [("Talks resumed on Friday.", wednesday), ("Nothing dated here.", wednesday)]
    calls = counting(monkeypatch, timex, "find_timexes")
    cold = timex.find_timexes_many(items, tmp_path)
    assert len(calls) == 2
    # "Friday" in an article of Wednesday 26 November 2025: the Friday before, the 21st.
    assert [(t.text, t.value, t.anchored) for t in cold[0]] == [("Friday", "2025-11-21", True)] and cold[1] == []
    calls.clear()
    assert timex.find_timexes_many(items, tmp_path) == cold and calls == []  # a text without expressions too
    # Another anchor is another entry: only that pair is tagged.
    moved = timex.find_timexes_many([(items[0][0], dt.date(2025, 12, 1)), items[1]], tmp_path)
    assert calls == [items[0][0]] and moved[0][0].value == "2025-11-28"
    assert timex.find_timexes_many(items, None) == cold  # no cache


# --- notebook 03's tables ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def undated_seeds() -> pd.DataFrame:
    # No publication dates: the article dates are inferred from the texts and the rest of the corpus.
    return pd.DataFrame([{"doc_id": p.stem[:3], "text": p.read_text(encoding="utf-8"), "published": ""}
                         for p in sorted(SEEDS.glob("*.txt"))])


def chronology_tables(documents, cache_dir=None):
    # The seeds' registry only (no discovery): the actor tables of notebook 03 are notebook 02's, tested there.
    mentions = actors.actor_tables(documents, SEEDS, discover=False, cache_dir=cache_dir).mentions
    anchors = chronology.article_dates(documents, cache_dir=cache_dir)
    timexes = chronology.timex_table(documents, anchors, cache_dir=cache_dir)
    found = chronology.events(documents, anchors, mentions, timexes, cache_dir=cache_dir)  # mentions in parts
    return mentions.whole(), anchors, timexes, found


def test_chronology_rerun_does_no_document_level_work(undated_seeds, tmp_path, monkeypatch):
    plain = chronology_tables(undated_seeds)
    cold = chronology_tables(undated_seeds, tmp_path)
    with monkeypatch.context() as patched:
        for module, name in ((chronology, "infer_dates"), (timex, "find_timexes"), (chronology, "_events"),
                             (actors, "find_mentions")):
            patched.setattr(module, name, refuse)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warm = chronology_tables(undated_seeds, tmp_path)
    for run in (cold, warm):
        for got, expected in zip(run, plain):
            same(got, expected)
    mentions, anchors, timexes, events = warm
    assert anchors.set_index("doc_id").loc["000", "anchor"] == "2025-11-23"  # "On Sunday, 23 November" (by hand)
    assert (mentions["actor"] == "Vladimir Putin").any() and len(timexes) and len(events)
    assert all(isinstance(a, list) for a in events["actors"]) and all(isinstance(s, list) for s in events["sources"])
    # Other anchors (an override) make other events: computed again, so the refused step fails.
    other = anchors.assign(anchor=anchors["anchor"].where(anchors["doc_id"] != "001", "2025-11-30"))
    with monkeypatch.context() as patched:
        patched.setattr(chronology, "_events", refuse)
        with pytest.raises(AssertionError, match="document-level work"):
            chronology.events(undated_seeds, other, mentions, timexes, cache_dir=tmp_path)


def test_a_new_article_is_the_only_one_tagged(undated_seeds, tmp_path, monkeypatch):
    chronology_tables(undated_seeds.head(4), tmp_path)
    calls = counting(monkeypatch, timex, "find_timexes")
    clause_calls = counting(monkeypatch, chronology, "_document_events")
    chronology_tables(undated_seeds, tmp_path)
    new_text = undated_seeds["text"].iloc[4]
    # The new article is tagged without an anchor (to date it) and against its anchor, and only its clauses are
    # read; no other text is, unless an older article's anchor moved (none does here: 004 dates no other article).
    assert set(calls) == {new_text}
    assert len(clause_calls) == 1


def test_stale_or_corrupt_events_entry_is_rebuilt(undated_seeds, tmp_path):
    plain = chronology_tables(undated_seeds)[3]
    chronology_tables(undated_seeds, tmp_path)
    manifest = next(tmp_path.glob("events-tables/*/manifest.json"))
    data = json.loads(manifest.read_text())
    data["key"] = data["key"].replace('"code"', '"old code"')  # an entry made by other code, in this key's folder
    manifest.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="is stale"):
        same(chronology_tables(undated_seeds, tmp_path)[3], plain)
    table = next(tmp_path.glob("events-tables/*/events.parquet"))
    table.write_bytes(table.read_bytes()[:40])
    with pytest.warns(UserWarning, match="is corrupt"):
        same(chronology_tables(undated_seeds, tmp_path)[3], plain)


# --- notebook 01's tokens and tables -------------------------------------------------------------------------------------

DOCUMENTS = pd.DataFrame({"doc_id": ["a", "b"],
                          "text": ["Peace talks resumed in Geneva.", "The talks stalled; peace was far away."]})
TABLES = ((freq.term_frequencies, (), {}), (freq.document_term_counts, (), {"min_count": 1}),
          (freq.ngrams, (), {}), (freq.collocations, (), {"min_count": 1}), (freq.distinctive_terms, (), {}),
          (freq.keyness, (), {"top_n": 5}), (freq.kwic, (["talks"],), {}), (freq.dispersion, (["peace"],), {}))


def frequency_tables(documents, options, cache_dir=None):
    corpus = freq.tokenize_documents(documents, options, cache_dir=cache_dir)
    return corpus, [freq.cached(corpus, table, *args, **kwargs) for table, args, kwargs in TABLES]


def test_frequency_rerun_reads_words_and_tables(tmp_path, monkeypatch):
    options = freq.FrequencyOptions(min_count=1)
    plain_corpus, plain = frequency_tables(DOCUMENTS, options)
    calls = counting(monkeypatch, freq, "tokens")
    cold_corpus, cold = frequency_tables(DOCUMENTS, options, tmp_path)
    assert calls == list(DOCUMENTS["text"])
    with monkeypatch.context() as patched:
        for name in ("tokens", "_ngram_table", "BigramAssocMeasures", "_reference_frequency", "_matches",
                     "log_likelihood"):
            patched.setattr(freq, name, refuse)
        warm_corpus, warm = frequency_tables(DOCUMENTS, options, tmp_path)
    for corpus, tables in ((cold_corpus, cold), (warm_corpus, warm)):
        assert corpus.words == plain_corpus.words and corpus.terms == plain_corpus.terms
        np.testing.assert_array_equal(corpus.word_ids, plain_corpus.word_ids)
        np.testing.assert_array_equal(corpus.doc_starts, plain_corpus.doc_starts)
        for got, expected in zip(tables, plain):
            same(got, expected)
    terms = warm[0].set_index("term")["count"]
    assert (terms["talks"], terms["peace"], terms["geneva"]) == (2, 2, 1)  # counted by hand
    assert list(warm[6]["keyword"]) == ["talks", "talks"]


def test_frequency_options_and_new_documents(tmp_path, monkeypatch):
    frequency_tables(DOCUMENTS, freq.FrequencyOptions(min_count=1), tmp_path)
    calls = counting(monkeypatch, freq, "tokens")
    # Stemming and stopwords apply to the cached words: nothing is tokenised again, but the tables change.
    stemmed, tables = frequency_tables(DOCUMENTS, freq.FrequencyOptions(min_count=1, stem=True), tmp_path)
    assert calls == [] and "talk" in stemmed.terms and "talks" not in stemmed.terms
    assert tables[0].set_index("term").loc["talk", "count"] == 2
    more = pd.concat([DOCUMENTS, pd.DataFrame({"doc_id": ["c"], "text": ["Talks again."]})], ignore_index=True)
    corpus, tables = frequency_tables(more, freq.FrequencyOptions(min_count=1), tmp_path)
    assert calls == ["Talks again."]
    assert tables[0].set_index("term").loc["talks", "count"] == 3


# --- the notebooks end to end ----------------------------------------------------------------------------------------

def report_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cache_files(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_notebooks_00_01_03_with_cold_warm_and_no_cache(tmp_path):
    from newslens.runner import main

    notebooks = ["00_corpus", "01_word_frequency", "03_chronology"]
    cache = tmp_path / "cache"
    runs = {}
    for name, option in (("cold", str(cache)), ("warm", str(cache)), ("off", "")):
        out = tmp_path / name
        assert main(["run", *notebooks, "--corpus", str(SEEDS), "--out", str(out), "--cache", option,
                     "--jobs", "1"]) == 0
        runs[name] = report_files(out)
    assert runs["cold"] == runs["warm"] == runs["off"]
    assert {"00_corpus/tables/documents.csv", "01_word_frequency/tables/kwic.csv",
            "03_chronology/tables/events.csv"} <= set(runs["cold"])
    # Display parameters of 03 (which events are shown): nothing in the cache is computed or written again.
    before = cache_files(cache)
    assert main(["run", "03_chronology", "--corpus", str(SEEDS), "--out", str(tmp_path / "display"), "--cache",
                 str(cache), "-p", "date_from", "2025-11", "-p", "max_events_in_figure", "5"]) == 0
    assert cache_files(cache) == before
    # top_n of 01 limits the keyness table too: that table alone is computed again.
    assert main(["run", "01_word_frequency", "--corpus", str(SEEDS), "--out", str(tmp_path / "top"), "--cache",
                 str(cache), "-p", "top_n", "10"]) == 0
    new = sorted({path.split("/")[0] for path in set(cache_files(cache)) - set(before)})
    assert new == ["frequency-keyness-tables"]


def test_entities_of_a_remembered_sentence_are_not_parsed_again():
    from newslens.actors import _entity_memo, _parse_entities

    sentence = "Kallas met Rubio in Brussels."
    parsed = _entity_memo()
    parsed[sentence] = [(0, 6, "ORG")]  # made up: the recogniser would call Kallas a PERSON
    assert _parse_entities([sentence], jobs=1, batch_size=8, parsed=parsed) == [[(0, 6, "ORG", "Kallas")]]
    other = "Zelensky spoke in Kyiv."
    rows = _parse_entities([other], jobs=1, batch_size=8, parsed=parsed)[0]
    assert other in parsed and ("Zelensky" in [surface for *_, surface in rows])


def test_the_entities_do_not_depend_on_how_many_sentences_share_a_batch():
    # As for the attributions (test_attribution): the recogniser's batch is nlp.PIPE_BATCH sentences, for memory.
    from newslens.actors import _parse_entities
    from newslens.nlp import PIPE_BATCH
    from newslens.text import sentence_spans

    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    assert len({text[start:end] for text in texts for start, end in sentence_spans(text)}) > PIPE_BATCH  # two batches
    small, large = (_parse_entities(texts, jobs=1, batch_size=size) for size in (64, 512))
    assert small == large and sum(map(len, small)) >= 50
