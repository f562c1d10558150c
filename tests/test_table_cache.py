"""The corpus-level table cache: tables read back exactly, stale and corrupt entries rebuilt, and notebook 02's
tables (actors, mentions, quotes, tone, summaries) read back with no document-level work."""
import hashlib
import json
import warnings

import pandas as pd
import pytest

from newslens import actors as act
from newslens import portrayal
from newslens.attribution import attribution_memo
from newslens.cache import TableCache, cached_tables, documents_key, frame_key
from newslens.parts import Parts, PartsWriter

from conftest import SEEDS

KEY = {"documents": "abc", "min_mentions": 1}


def mixed_tables() -> dict[str, pd.DataFrame]:
    """The dtypes notebook 02's tables hold: nullable integers with missing values, strings with None, booleans,
    floats with NaN, and a table without rows."""
    return {
        "mentions": pd.DataFrame({"doc_id": ["a", "b"], "start": [0, 7],
                                  "antecedent_start": pd.array([None, 3], dtype="Int64"),
                                  "quoted_by": pd.Series([None, "Putin"], dtype="object"),
                                  "excluded": [False, True], "score": [0.25, float("nan")]}),
        "empty": pd.DataFrame({"name": pd.Series(dtype="object"), "count": pd.Series(dtype="int64")}),
    }


def test_tables_and_values_read_back_exactly(tmp_path):
    cache = TableCache(tmp_path, "t", KEY)
    assert cache.get() is None  # nothing stored yet: a miss, without a warning
    cache.put(mixed_tables(), {"message": "No actor registry", "registry": [{"name": "Kaja Kallas"}]})
    tables, values = TableCache(tmp_path, "t", dict(KEY)).get()
    for name, frame in mixed_tables().items():
        pd.testing.assert_frame_equal(tables[name], frame)
    assert values == {"message": "No actor registry", "registry": [{"name": "Kaja Kallas"}]}
    # Other inputs (another parameter value, other documents) never read this entry.
    assert TableCache(tmp_path, "t", {**KEY, "min_mentions": 2}).get() is None
    assert TableCache(tmp_path, "t", {**KEY, "documents": "abd"}).get() is None


def test_stale_entry_is_deleted_and_rebuilt(tmp_path):
    cache = TableCache(tmp_path, "t", KEY)
    cache.put(mixed_tables())
    manifest = cache.folder / "manifest.json"
    data = json.loads(manifest.read_text())
    data["key"] = data["key"].replace('"abc"', '"old"')  # an entry made for other inputs, in this key's folder
    manifest.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="is stale"):
        assert cache.get() is None
    assert not cache.folder.exists()


@pytest.mark.parametrize("damage", ["truncated table", "table of another entry", "manifest not JSON",
                                    "table missing"])
def test_corrupt_entry_is_deleted_and_rebuilt(tmp_path, damage):
    cache = TableCache(tmp_path, "t", KEY)
    cache.put(mixed_tables())
    table = cache.folder / "mentions.parquet"
    if damage == "truncated table":
        table.write_bytes(table.read_bytes()[:50])
    elif damage == "table of another entry":  # readable, but not the rows the manifest names
        pd.DataFrame({"doc_id": ["a"]}).to_parquet(table)
    elif damage == "manifest not JSON":
        (cache.folder / "manifest.json").write_text('{"key": ')
    else:
        table.unlink()
    with pytest.warns(UserWarning, match="is corrupt"):
        assert cache.get() is None
    assert not cache.folder.exists()
    calls = []
    tables, _ = cached_tables(tmp_path, "t", KEY, lambda: (calls.append(1), (mixed_tables(), {}))[1])
    assert calls == [1]
    pd.testing.assert_frame_equal(tables["mentions"], mixed_tables()["mentions"])


def test_cached_tables_computes_once_and_honours_the_check(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return mixed_tables(), {"n": len(calls)}

    assert cached_tables(tmp_path, "t", KEY, compute)[1] == {"n": 1}
    assert cached_tables(tmp_path, "t", KEY, compute)[1] == {"n": 1} and calls == [1]
    # An entry the caller's check rejects (it does not fit the documents) is rebuilt.
    with pytest.warns(UserWarning, match="does not fit"):
        assert cached_tables(tmp_path, "t", KEY, compute, check=lambda tables, values: False)[1] == {"n": 2}
    assert cached_tables(None, "t", KEY, compute)[1] == {"n": 3}  # no cache folder: always computed


_COMPUTE_ONCE = """
import sys, time
import pandas as pd
from newslens.cache import cached_tables

def compute():
    with open(sys.argv[2], "a") as log:
        log.write("computed\\n")
    time.sleep(2)  # long enough for the other process to ask meanwhile
    return {"t": pd.DataFrame({"x": [1, 2]})}, {"by": sys.argv[3]}

tables, values = cached_tables(sys.argv[1], "t", {"k": 1}, compute)
print(values["by"], list(tables["t"]["x"]))
"""


def test_an_entry_asked_for_by_two_processes_at_once_is_computed_once(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log"
    runs = [subprocess.Popen([sys.executable, "-c", _COMPUTE_ONCE, str(tmp_path / "cache"), str(log), name],
                             stdout=subprocess.PIPE, text=True) for name in ("first", "second")]
    outputs = [run.communicate(timeout=60)[0].split("\n")[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert log.read_text() == "computed\n"  # the other process waited and read the stored entry
    assert outputs[0] == outputs[1] and outputs[0] in ("first [1, 2]", "second [1, 2]")


def test_an_entry_that_cannot_be_read_back_is_computed_again(tmp_path, monkeypatch):
    # The computed tables are dropped once stored (not kept beside their copy read back); if the entry then cannot
    # be read, they are computed again rather than lost.
    calls = []

    def compute():
        calls.append(1)
        return mixed_tables(), {"n": len(calls)}

    monkeypatch.setattr(TableCache, "get", lambda self, check=None: None)
    tables, values = cached_tables(tmp_path, "t", KEY, compute)
    assert values == {"n": 2} and calls == [1, 1]
    pd.testing.assert_frame_equal(tables["mentions"], mixed_tables()["mentions"])


@pytest.mark.parametrize("damage", ["truncated table", "table of another entry", "table missing", "parts not listed"])
def test_a_table_stored_in_parts_is_read_part_by_part_and_rebuilt_when_corrupt(tmp_path, damage):
    mentions = mixed_tables()["mentions"]  # its first row alone has quoted_by None only

    def compute(folder):
        writer = PartsWriter(mentions, folder / "mentions.parquet")
        writer.add(mentions.iloc[:1])
        writer.add(mentions.iloc[1:])
        return {"mentions": writer.done()}, {"parts": 2}

    tables, values = cached_tables(tmp_path, "t", KEY, compute, parted=True)
    assert values == {"parts": 2} and [len(part) for part in tables["mentions"]] == [1, 1]
    pd.testing.assert_frame_equal(tables["mentions"].whole(), mentions)
    table = next(tmp_path.glob("t-tables/*/mentions.parquet"))
    if damage == "truncated table":
        table.write_bytes(table.read_bytes()[:50])
    elif damage == "table of another entry":
        pd.DataFrame({"doc_id": ["a"]}).to_parquet(table)
    elif damage == "parts not listed":  # the same rows and columns, rewritten without the row groups of each part
        pd.read_parquet(table).to_parquet(table, index=False)
    else:
        table.unlink()
    folders = []
    with pytest.warns(UserWarning, match="is corrupt"):
        again, _ = cached_tables(tmp_path, "t", KEY, lambda folder: (folders.append(folder), compute(folder))[1],
                                 parted=True)
    assert len(folders) == 1 and folders[0] is not None and not folders[0].exists()  # its scratch folder is gone
    pd.testing.assert_frame_equal(again["mentions"].whole(), mentions)


def test_keys_change_with_any_text_id_or_value():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["Putin spoke.", "Kallas replied."]})
    assert documents_key(documents) == documents_key(documents.copy())
    assert documents_key(documents) != documents_key(documents.assign(text=["Putin spoke!", "Kallas replied."]))
    assert documents_key(documents) != documents_key(documents.assign(doc_id=["a", "c"]))
    assert documents_key(documents) != documents_key(documents.iloc[::-1])
    frame = pd.DataFrame({"start": [0, 5], "actor": ["Putin", "Kallas"]})
    assert frame_key(frame) == frame_key(frame.copy())
    assert frame_key(frame) != frame_key(frame.assign(start=[0, 6]))
    assert frame_key(frame) != frame_key(frame.astype({"start": "float64"}))
    # Parts: by their values and boundaries, unless they carry the fingerprint of what made them.
    def parts(*frames, fingerprint=None):
        writer = PartsWriter(frame)
        for piece in frames:
            writer.add(piece)
        made = writer.done()
        made.fingerprint = fingerprint
        return made

    assert frame_key(parts(frame.iloc[:1], frame.iloc[1:])) == frame_key(parts(frame.iloc[:1], frame.iloc[1:]))
    assert frame_key(parts(frame.iloc[:1], frame.iloc[1:])) != frame_key(parts(frame, frame.iloc[0:0]))
    assert frame_key(parts(frame, fingerprint="entry:mentions")) == "entry:mentions"


def test_frame_key_hashes_a_slice_of_rows_at_a_time_to_the_same_key(monkeypatch):
    from newslens import cache

    frame = pd.DataFrame({"doc_id": pd.Categorical(["b", "a", "b"]), "text": ["x", "y", "z"], "start": [1, 2, 3]})
    # The definition: the column names and dtypes as JSON, then pandas' hash of every row, in order.
    expected = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    expected.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    monkeypatch.setattr(cache, "KEY_ROWS", 2)  # slices of 2 rows and 1
    assert frame_key(frame) == expected.hexdigest()
    monkeypatch.setattr(cache, "KEY_ROWS", 1)
    assert frame_key(frame) == expected.hexdigest()


# --- notebook 02's tables ------------------------------------------------------------------------------------------

def assert_same(got: pd.DataFrame | Parts, expected: pd.DataFrame | Parts) -> None:
    """Equal tables (``Parts`` as a whole); in a column of Python objects a missing value may be None or NaN
    (Parquet keeps one kind)."""
    def canonical(frame):
        frame = frame.whole() if isinstance(frame, Parts) else frame.copy()
        for column in frame.columns[frame.dtypes == object]:
            frame[column] = [None if v is None or v != v else v for v in frame[column]]
        return frame

    pd.testing.assert_frame_equal(canonical(got), canonical(expected))


def _forbid(monkeypatch, module, *names):
    def refuse(*args, **kwargs):
        raise AssertionError("document-level work on a rerun")

    for name in names:
        monkeypatch.setattr(module, name, refuse)


def test_actor_tables_warm_run_does_no_document_work(tmp_path, seed_corpus, monkeypatch):
    documents = seed_corpus.documents.head(2)
    corpus = tmp_path / "corpus"  # no actors.yaml: every actor is discovered
    corpus.mkdir()
    plain = act.actor_tables(documents, corpus)  # no cache
    cold = act.actor_tables(documents, corpus, cache_dir=tmp_path / "cache")
    with monkeypatch.context() as patched:
        _forbid(patched, act, "find_entities", "discover_actors", "find_mentions", "find_quotes",
                "cached_attributions", "_tables_in_runs")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warm = act.actor_tables(documents, corpus, cache_dir=tmp_path / "cache")
    for run in (cold, warm):
        assert run.setup.registry == plain.setup.registry and run.setup.discovered == plain.setup.discovered
        assert run.setup.message == plain.setup.message
        for name in ("mentions", "quotes", "unknown"):
            assert_same(getattr(run, name), getattr(plain, name))
        assert_same(run.setup.table, plain.setup.table)
        # Mentions and quotes in parts over the same runs of documents, read from the cache part by part.
        assert run.mentions.path is not None and len(list(run.mentions)) == len(list(run.quotes)) == 1
    assert "Vladimir Putin" in {a.name for a in warm.setup.registry}
    assert (warm.mentions.whole()["actor"] == "Vladimir Putin").any() and len(warm.quotes) > 0
    # A parameter that changes the actors is part of the key: computed again (so the forbidden steps would fail).
    with monkeypatch.context() as patched:
        _forbid(patched, act, "find_mentions")
        with pytest.raises(AssertionError, match="document-level work"):
            act.actor_tables(documents, corpus, min_mentions=2, cache_dir=tmp_path / "cache")


def test_actor_tables_in_runs_of_documents_are_the_tables_of_one_run(tmp_path, seed_corpus, monkeypatch):
    documents = seed_corpus.documents
    one_run = act.actor_tables(documents, SEEDS)
    assert len(list(one_run.mentions)) == 1  # the seeds are far below PART_CHARS
    monkeypatch.setattr(act, "PART_CHARS", 3000)  # a run per document or two
    lengths = documents["text"].str.len().tolist()
    runs = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "cache")
    mention_parts, quote_parts = list(runs.mentions), list(runs.quotes)
    # A run is cut where the characters before a document pass a multiple of 3,000; mentions and quotes alike.
    cuts = [sum(lengths[:i]) // 3000 for i in range(len(lengths))]
    assert len(mention_parts) == len(quote_parts) == len(set(cuts)) >= 3
    for number, run in enumerate(sorted(set(cuts))):
        in_run = {doc_id for doc_id, cut in zip(documents["doc_id"], cuts) if cut == run}
        assert set(mention_parts[number]["doc_id"]) == in_run  # every seed names an actor
        assert set(quote_parts[number]["doc_id"]) <= in_run
    for name in ("mentions", "quotes", "unknown"):
        assert_same(getattr(runs, name), getattr(one_run, name))
    # Discovery read the entities run by run: the same actors.
    assert runs.setup.registry == one_run.setup.registry
    assert_same(runs.setup.table, one_run.setup.table)
    # The tone of actors from the parts is that from the whole tables.
    registry = runs.setup.registry
    from_parts = portrayal.actor_tone(documents, runs.mentions, runs.quotes, registry, ("vader",), n_boot=100)
    from_whole = portrayal.actor_tone(documents, one_run.mentions.whole(), one_run.quotes.whole(), registry,
                                      ("vader",), n_boot=100)
    assert len(list(from_parts[0])) == len(mention_parts)
    for got, expected in zip(from_parts, from_whole):
        assert_same(got, expected)


def test_actor_tables_parsed_in_processes_of_their_own_are_the_same(tmp_path, seed_corpus, monkeypatch):
    from newslens import parallel

    documents = seed_corpus.documents
    monkeypatch.setattr(act, "PART_CHARS", 3000)  # a run per document or two
    here = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "here")  # the seeds: below PARSE_APART_CHARS
    sent = []

    def counted(function, texts, *arguments):
        sent.append(texts.column("doc_id").to_pylist())
        return parallel.in_fresh_process(function, texts, *arguments)

    monkeypatch.setattr(act, "PARSE_APART_CHARS", 1)
    monkeypatch.setattr(act, "in_fresh_process", counted)
    with monkeypatch.context() as patched:
        # Every parse is made in those processes: this one reads them from the cache.
        _forbid(patched, act, "_parse_entities", "find_attributions_many")
        apart = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "apart")
    assert len(sent) == len(list(apart.mentions)) >= 3  # one process per run of documents
    assert sorted(doc_id for run in sent for doc_id in run) == sorted(documents["doc_id"])
    for name in ("mentions", "quotes", "unknown"):
        assert_same(getattr(apart, name), getattr(here, name))
    assert apart.setup.registry == here.setup.registry
    assert_same(apart.setup.table, here.setup.table)
    # Parsed already: the same documents with another registry are not sent again.
    sent.clear()
    again = act.actor_tables(documents, SEEDS, discover=False, cache_dir=tmp_path / "apart")
    assert sent == [] and len(again.mentions) > 0
    assert not list((tmp_path / "apart" / "mapped").iterdir())  # the file of remembered sentences is gone


def test_actor_tables_computed_in_a_process_of_their_own_are_the_same(tmp_path, seed_corpus, monkeypatch):
    from newslens import parallel, text

    documents = seed_corpus.documents
    here = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "here")  # the seeds: below TABLES_APART_CHARS
    split_here = text.remembered_splits(documents["text"])
    started = []

    in_fresh_process = parallel.in_fresh_process

    def counted(function, computed, *arguments):  # corpus.computed_apart's: (_read_then, the function, ...)
        started.append(computed.__name__)
        return in_fresh_process(function, computed, *arguments)

    monkeypatch.setattr(act, "TABLES_APART_CHARS", 1)
    monkeypatch.setattr(parallel, "in_fresh_process", counted)
    monkeypatch.setattr(text, "_split_memo", {})  # nothing split in this process yet
    monkeypatch.setattr(text, "_packed_memo", [])
    with monkeypatch.context() as patched:
        _forbid(patched, act, "_computed", "split_sentences")  # all of it there
        apart = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "apart")
    assert started == ["_computed_there"]
    for name in ("mentions", "quotes", "unknown"):
        assert_same(getattr(apart, name), getattr(here, name))
    assert apart.setup.registry == here.setup.registry and apart.setup.message == here.setup.message
    assert_same(apart.setup.table, here.setup.table)
    # The sentences split there are remembered here, for the tone scores.
    split_there = text.remembered_splits(documents["text"])
    assert len(split_here) == len(documents) and split_there.digests() == split_here.digests()
    assert all(split_there.get(digest) == split_here.get(digest) for digest in split_here.digests())
    assert not text._split_memo  # handed over, not split here
    assert not list((tmp_path / "apart" / "mapped").iterdir())  # the documents' file is gone
    started.clear()
    again = act.actor_tables(documents, SEEDS, cache_dir=tmp_path / "apart")  # read from the cache, here
    assert started == []
    assert_same(again.mentions, here.mentions)


def test_parse_run_remembers_sentences_for_the_next_run(tmp_path, monkeypatch):
    import pyarrow as pa

    parsed_sentences = []
    real = act._sentence_entities

    def counted(sentences, batch_size):
        parsed_sentences.extend(sentences)
        return real(sentences, batch_size)

    monkeypatch.setattr(act, "_sentence_entities", counted)
    memo = tmp_path / "memo"  # the folder of the memories, as _parse_apart makes it
    memo.mkdir()
    first = "Kaja Kallas met Marco Rubio in Brussels. They spoke for an hour."
    second = "Kaja Kallas met Marco Rubio in Brussels. Olaf Scholz said he was not there."
    for doc_id, text in (("a", first), ("b", second)):
        texts = pa.table({"doc_id": [doc_id], "text": [text]})
        act._parse_run(texts, {}, True, 1, str(tmp_path / "cache"), str(memo))
    # The sentence shared by the two texts was parsed once: the second run read it from the memo file.
    assert parsed_sentences == ["Kaja Kallas met Marco Rubio in Brussels.", "They spoke for an hour.",
                                "Olaf Scholz said he was not there."]
    with act._entity_memo(memo / "entities.sqlite") as entities:
        assert len(entities) == 3 and all(sentence in entities for sentence in parsed_sentences)
        # Kept whole: the one entity's span ("Olaf Scholz") and a label of the recogniser's.
        [(start, end, label)] = entities["Olaf Scholz said he was not there."]
        assert (start, end) == (0, 11) and label in act.ENTITY_LABELS
    # The parser reads only sentences with a speech or belief word.
    with attribution_memo(memo / "attributions.sqlite") as attributions:
        assert len(attributions) == 2
        assert "They spoke for an hour." in attributions
        assert "Olaf Scholz said he was not there." in attributions


def test_actor_tables_that_do_not_fit_the_text_are_rebuilt(tmp_path, seed_corpus):
    documents = seed_corpus.documents.head(2)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    cold = act.actor_tables(documents, corpus, cache_dir=tmp_path / "cache")
    table = next((tmp_path / "cache").glob("actors-tables/*/mentions.parquet"))
    frame = pd.read_parquet(table)
    frame["start"] = frame["start"] + 1  # offsets that no longer spell the surfaces
    writer = PartsWriter(frame, table)  # a table of parts still, in one part
    writer.add(frame)
    writer.done()
    with pytest.warns(UserWarning, match="does not fit the documents"):
        again = act.actor_tables(documents, corpus, cache_dir=tmp_path / "cache")
    pd.testing.assert_frame_equal(again.mentions.whole(), cold.mentions.whole())


def test_actor_tone_warm_run_reads_scores_and_summaries(tmp_path, seed_corpus, monkeypatch):
    from newslens import sentiment

    documents = seed_corpus.documents.head(2)
    tables = act.actor_tables(documents, SEEDS)
    registry = tables.setup.registry
    args = (documents, tables.mentions, tables.quotes, registry, ("model", "vader"))
    plain = [table if isinstance(table, pd.DataFrame) else table.whole()
             for table in portrayal.actor_tone(*args, n_boot=50)]
    cold = portrayal.actor_tone(*args, n_boot=50, cache_dir=tmp_path)
    with monkeypatch.context() as patched:
        _forbid(patched, portrayal, "_mention_sentiment", "actor_document_summary", "_summary_from_groups")
        warm = portrayal.actor_tone(*args, n_boot=50, cache_dir=tmp_path)
    for run in (cold, warm):
        # The scored mentions and the per-document summaries are read from the cache part by part.
        assert run[0].path is not None and run[2].path is not None
        for got, expected in zip(run, plain):
            assert_same(got if isinstance(got, pd.DataFrame) else got.whole(), expected)
    # The scored mentions are those of the first method only; the summaries are of both, sorted by method.
    assert set(plain[0]["method"]) == {"model"} and len(warm[0]) == len(tables.mentions)
    assert list(dict.fromkeys(warm[1]["method"])) == ["model", "vader"]
    # Another number of resamples: the summaries are computed again, the scores are read from the per-document cache.
    with monkeypatch.context() as patched:
        _forbid(patched, sentiment, "score_targets")
        other = portrayal.actor_tone(*args, n_boot=60, cache_dir=tmp_path)
    assert_same(other[0].whole(), plain[0])
    # Summarised as if from one table of both methods' scores; per document: by document, method, most mentioned.
    both = pd.concat([plain[0], portrayal.mention_sentiment(documents, tables.mentions.whole(), tables.quotes.whole(),
                                                            method="vader")], ignore_index=True)
    assert_same(other[1], portrayal.actor_summary(both, registry, n_boot=60))
    per_document = portrayal.actor_document_summary(both, registry, n_boot=60)
    place = per_document["doc_id"].map({doc_id: i for i, doc_id in enumerate(documents["doc_id"])})
    expected = (per_document.assign(place=place).sort_values(["place", "method", "mentions", "actor"],
                                                             ascending=[True, True, False, True])
                .drop(columns="place").reset_index(drop=True))
    assert_same(other[2].whole(), expected)


# --- per-document rows, one shard group at a time ---------------------------------------------------------------------

def test_rows_are_read_computed_and_stored_one_shard_group_at_a_time(tmp_path):
    from newslens.cache import DocumentCache, cached_row_groups, cached_rows, shard_groups

    assert shard_groups(["b2", "a1", "b1", "0f"]) == [["0f"], ["a1"], ["b2", "b1"]]
    # A large group is cut between shards (first two digits), never inside one: "b2" has three keys, more than 2.
    keys = ["b2x", "b1x", "b2y", "b3x", "b2z", "b1y", "a1x"]
    assert shard_groups(keys, most=2) == [["a1x"], ["b1x", "b1y"], ["b2x", "b2y", "b2z"], ["b3x"]]
    assert shard_groups(keys, most=5) == [["a1x"], ["b1x", "b1y", "b2x", "b2y", "b2z"], ["b3x"]]
    assert shard_groups(keys, most=6) == [["a1x"], ["b2x", "b1x", "b2y", "b3x", "b2z", "b1y"]]  # not cut
    cache = DocumentCache(tmp_path, "lengths", "v1", {"length": "int64"})
    computed = []

    def lengths(texts):
        computed.append(list(texts))
        return [[(len(text),)] if text else [] for text in texts]  # an empty text has no rows

    inputs = {"a1": "four", "b2": "", "b1": "seven!!"}
    groups = [(keys, rows.to_dict("records")) for keys, rows in cached_row_groups(cache, inputs, lengths, ["length"])]
    assert groups == [(["a1"], [{"text_sha256": "a1", "length": 4}]),
                      (["b2", "b1"], [{"text_sha256": "b1", "length": 7}])]
    assert computed == [["four"], ["", "seven!!"]]  # one call per group
    # A rerun reads every key back (the empty text counts as cached) and computes only the new one.
    computed.clear()
    rows = cached_rows(cache, {**inputs, "c3": "ab"}, lengths, ["length"])
    assert computed == [["ab"]]
    assert sorted(zip(rows["text_sha256"], rows["length"])) == [("a1", 4), ("b1", 7), ("c3", 2)]


@pytest.mark.parametrize("cached", [False, True])
def test_computed_rows_have_the_dtypes_rows_read_back_have(tmp_path, cached):
    from newslens.cache import DocumentCache, cached_rows

    columns = {"word": "str", "length": "int64"}
    cache = DocumentCache(tmp_path, "words", "v1", columns) if cached else None
    inputs = {"a1": "peace talks", "b1": "ceasefire"}

    def words(texts):
        return [[(word, len(word)) for word in text.split()] for text in texts]

    first = cached_rows(cache, inputs, words, columns)
    assert first["word"].dtype == "str" and first["length"].dtype == "int64"  # Arrow strings, not Python objects
    assert sorted(first["word"]) == ["ceasefire", "peace", "talks"]
    if cached:
        again = cached_rows(cache, inputs, words, columns)
        pd.testing.assert_frame_equal(again.sort_values("word", ignore_index=True),
                                      first.sort_values("word", ignore_index=True))


def test_a_documents_cache_key_is_the_sha256_of_its_utf8_text_in_hex():
    from newslens.cache import text_key
    from newslens.text import text_digest

    # The FIPS 180-2 test vector for "abc": cache folders written by earlier versions stay readable.
    vector = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_key("abc") == vector
    assert text_digest("abc") == bytes.fromhex(vector)


def test_rows_of_keys_gives_each_keys_rows_in_stored_order_once_per_time_it_is_asked_for():
    import pyarrow as pa

    from newslens.cache import rows_of_keys

    # Rows 0..5 with keys b a b c a b; asked for a, b, a again and d (no rows): a's rows are 1 and 4, b's 0, 2 and 5;
    # c's row 3 is not asked for.
    positions, owner = rows_of_keys(pa.chunked_array([["b", "a", "b"], ["c", "a", "b"]]), ["a", "b", "a", "d"])
    assert positions.tolist() == [1, 4, 0, 2, 5, 1, 4]
    assert owner.tolist() == [0, 0, 1, 1, 1, 2, 2]
    positions, owner = rows_of_keys(pa.array([], pa.string()), ["a"])
    assert positions.tolist() == [] and owner.tolist() == []
