"""Per-mention sentiment bookkeeping and the per-actor aggregates, checked by hand.

Scores here are made up (hand-made tables or a fake scorer); the sentiment model is tested elsewhere.
"""
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from newslens import load_corpus, portrayal
from newslens.actors import Actor, find_mentions, find_quotes, load_registry
from newslens.portrayal import (actor_document_summary, actor_summary, actor_tone, bootstrap_mean, evidence,
                                mention_sentiment, speaker_target_grid, speaker_target_matrix)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def registry():
    return load_registry(SEEDS / "actors.yaml")


def label(score: float) -> str:
    return "negative" if score < 0 else "positive" if score > 0 else "neutral"


def table(rows) -> pd.DataFrame:
    """Scored mentions from (actor, doc_id, score[, excluded[, quoted_by]]) tuples."""
    records = []
    for i, (actor, doc_id, score, *rest) in enumerate(rows):
        excluded = rest[0] if rest else False
        quoted_by = rest[1] if len(rest) > 1 else None
        records.append({"doc_id": doc_id, "actor": actor, "surface": actor, "start": 10 * i, "end": 10 * i + 5,
                        "sent_start": 10 * i, "sent_end": 10 * i + 9, "found_by": "name", "label": label(score),
                        "score": score, "method": "model", "excluded": excluded, "quoted_by": quoted_by})
    return pd.DataFrame(records)


def test_mean_shares_and_interval_by_hand(registry):
    scored = table([("Vladimir Putin", "a", -1.0), ("Vladimir Putin", "a", 0.0), ("Vladimir Putin", "b", 1.0),
                    ("Vladimir Putin", "b", 1.0)])
    row = actor_summary(scored, registry).iloc[0]
    assert (row["actor"], row["kind"], row["method"], row["mentions"], row["documents"], row["scored"]) == (
        "Vladimir Putin", "person", "model", 4, 2, 4)
    assert row["mean_sentiment"] == pytest.approx(0.25)
    assert (row["share_negative"], row["share_neutral"], row["share_positive"]) == (0.25, 0.25, 0.5)
    assert -1 <= row["ci_low"] <= 0.25 <= row["ci_high"] <= 1
    assert row["ci_low"] < row["ci_high"]


def test_interval_is_seeded_and_independent_of_other_actors(registry):
    putin = [("Vladimir Putin", "a", s) for s in (-1.0, -0.5, 0.0, 0.2, 1.0)]
    kallas = [("Kaja Kallas", "a", s) for s in (0.3, -0.3, 0.9)]
    alone = actor_summary(table(putin), registry, seed=7).iloc[0]
    together = actor_summary(table(kallas + putin), registry, seed=7).set_index("actor").loc["Vladimir Putin"]
    assert (alone["ci_low"], alone["ci_high"]) == (together["ci_low"], together["ci_high"])
    again = actor_summary(table(putin), registry, seed=7).iloc[0]
    assert (alone["ci_low"], alone["ci_high"]) == (again["ci_low"], again["ci_high"])


def test_all_equal_scores_give_a_point_interval():
    assert bootstrap_mean([0.5, 0.5, 0.5]) == (0.5, 0.5, 0.5)
    assert bootstrap_mean([-0.2]) == (-0.2, -0.2, -0.2)
    mean, low, high = bootstrap_mean([])
    assert np.isnan(mean) and np.isnan(low) and np.isnan(high)


def test_bootstrap_of_two_values():
    # Resampling [0, 1] gives means 0, 0.5, 1 with chances 1/4, 1/2, 1/4: the 95% interval is [0, 1].
    assert bootstrap_mean([0.0, 1.0], n_boot=4000) == (0.5, 0.0, 1.0)


def test_bootstrap_in_worker_processes(registry, monkeypatch):
    monkeypatch.setattr(portrayal, "PARALLEL_BOOT_NUMBERS", 0)  # every bootstrap goes to the workers
    monkeypatch.delenv("NEWSLENS_SCHEDULER", raising=False)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    scored = table([("Russia", "a", 0.0), ("Russia", "a", 1.0), ("Russia", "b", -0.5), ("Russia", "b", 0.5),
                    ("Russia", "b", 0.5), ("Kaja Kallas", "a", 0.25)])
    in_workers = actor_document_summary(scored, registry, n_boot=4000, jobs=2).set_index(["actor", "doc_id"])
    # [0, 1]: resampled means 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so the 95% interval is [0, 1].
    assert tuple(in_workers.loc[("Russia", "a"), ["mean_sentiment", "ci_low", "ci_high"]]) == (0.5, 0.0, 1.0)
    assert tuple(in_workers.loc[("Kaja Kallas", "a"), ["mean_sentiment", "ci_low", "ci_high"]]) == (0.25,) * 3
    pd.testing.assert_frame_equal(in_workers.reset_index(), actor_document_summary(scored, registry, n_boot=4000))


def test_excluded_mentions_are_counted_but_not_scored(registry):
    scored = table([("Kaja Kallas", "a", -1.0, True), ("Kaja Kallas", "a", 0.5), ("Kaja Kallas", "b", 0.5)])
    row = actor_summary(scored, registry).iloc[0]
    assert (row["mentions"], row["scored"], row["mean_sentiment"]) == (3, 2, 0.5)
    assert (row["ci_low"], row["ci_high"], row["share_positive"]) == (0.5, 0.5, 1.0)


def test_rollup_to_affiliation(registry):
    scored = table([("Vladimir Putin", "a", -1.0), ("Dmitry Peskov", "a", 0.5), ("Russia", "a", 0.0),
                    ("Russia", "b", 1.0), ("Kaja Kallas", "b", 0.5)])
    summary = actor_summary(scored, registry, rollup=True).set_index("actor")
    assert summary.loc["Russia", "mentions"] == 4
    assert summary.loc["Russia", "mean_sentiment"] == pytest.approx(0.125)
    assert summary.loc["Russia", "kind"] == "country"
    assert "Vladimir Putin" not in summary.index
    assert summary.loc["European Union", "mentions"] == 1


def test_per_document_and_per_method(registry):
    scored = pd.concat([table([("Russia", "a", -1.0), ("Russia", "a", 0.0), ("Russia", "b", 1.0)]),
                        table([("Russia", "a", -0.5)]).assign(method="vader")])
    per_doc = actor_document_summary(scored, registry)
    assert list(per_doc.columns[:4]) == ["actor", "doc_id", "kind", "method"]
    got = {(r.doc_id, r.method): (r.mentions, r.mean_sentiment) for r in per_doc.itertuples()}
    assert got == {("a", "model"): (2, -0.5), ("b", "model"): (1, 1.0), ("a", "vader"): (1, -0.5)}
    overall = actor_summary(scored, registry)
    assert sorted(overall["method"]) == ["model", "vader"]
    assert overall.set_index("method").loc["model", "mean_sentiment"] == pytest.approx(0.0)


def test_summary_columns(registry):
    columns = list(actor_summary(table([("Russia", "a", 0.0)]), registry).columns)
    assert columns == ["actor", "kind", "method", "mentions", "documents", "scored", "mean_sentiment", "ci_low",
                       "ci_high", "share_negative", "share_neutral", "share_positive"]


def test_evidence_picks_strongest_sentences():
    text = "Putin lied. Putin smiled. Putin waited. Putin lied again."
    documents = pd.DataFrame({"doc_id": ["a"], "text": [text]})
    scored = table([("Vladimir Putin", "a", -0.4), ("Vladimir Putin", "a", 0.6), ("Vladimir Putin", "a", 0.0),
                    ("Vladimir Putin", "a", -0.9)])
    spans = [(0, 11), (12, 25), (26, 39), (40, 57)]
    scored["sent_start"], scored["sent_end"] = zip(*spans)
    found = evidence(scored, documents, n=1)
    assert found[["polarity", "score", "sentence"]].values.tolist() == [
        ["negative", -0.9, "Putin lied again."], ["positive", 0.6, "Putin smiled."]]
    both = evidence(scored, documents, n=5)
    assert both[both["polarity"] == "negative"]["sentence"].tolist() == ["Putin lied again.", "Putin lied."]


def test_evidence_goes_by_label_not_by_sign():
    # A mention scored +0.1 but labelled neutral (P(neutral) highest) is not positive evidence.
    text = "Putin waited. Putin smiled."
    documents = pd.DataFrame({"doc_id": ["a"], "text": [text]})
    scored = table([("Vladimir Putin", "a", 0.1), ("Vladimir Putin", "a", 0.7)])
    scored.loc[0, "label"] = "neutral"
    scored["sent_start"], scored["sent_end"] = zip(*[(0, 13), (14, 27)])
    found = evidence(scored, documents, n=3)
    assert found[["polarity", "score", "sentence"]].values.tolist() == [["positive", 0.7, "Putin smiled."]]


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
def test_evidence_of_parts_reads_batches_with_their_text_as_arrow_strings(tmp_path, monkeypatch, batch_rows):
    from newslens import parts as parts_module
    from newslens.parts import PartsWriter, frames_of

    text = "Putin lied. Putin smiled. Putin waited. Putin lied again."
    documents = pd.DataFrame({"doc_id": ["a"], "text": [text]})
    scored = table([("Vladimir Putin", "a", -0.4), ("Vladimir Putin", "a", 0.6), ("Vladimir Putin", "a", -0.3),
                    ("Vladimir Putin", "a", -0.9)])
    # The last two are mentions in one sentence ("again" at 51, "Putin" at 40), in different parts.
    scored["sent_start"], scored["sent_end"] = zip(*[(0, 11), (12, 25), (40, 57), (40, 57)])
    scored["start"] = [0, 12, 51, 40]
    scored = scored.astype({column: object for column in ("doc_id", "actor", "surface", "label", "method")})
    writer = PartsWriter(scored, tmp_path / "scored.parquet")
    writer.add(scored.iloc[:3])
    writer.add(scored.iloc[3:])
    parts = writer.done()
    assert [str(f["actor"].dtype) for f in frames_of(parts, ["actor"])] == ["object", "object"]
    assert all(pd.api.types.is_string_dtype(f["actor"].dtype) and f["actor"].dtype != object
               for f in frames_of(parts, ["actor"], arrow_text=True))
    # Batches of 1 row put the sentence's two mentions in different batches; of 2, the parts' boundary is crossed;
    # of 100, all rows are in one.
    monkeypatch.setattr(parts_module, "BATCH_ROWS", batch_rows)
    assert [len(batch) for batch in parts.batches(["actor"])] == {1: [1] * 4, 2: [2, 2], 100: [4]}[batch_rows]
    found = evidence(parts, documents, n=5)
    # The sentence of -0.9 and -0.3 once, with its strongest mention; then "Putin lied." (-0.4); one positive.
    assert found[["polarity", "rank", "score", "sentence"]].values.tolist() == [
        ["negative", 1, -0.9, "Putin lied again."], ["negative", 2, -0.4, "Putin lied."],
        ["positive", 1, 0.6, "Putin smiled."]]
    assert {type(found.iloc[0][c]) for c in ("actor", "method", "polarity", "doc_id", "surface", "sentence")} == {str}


def test_speaker_target_matrix_by_hand():
    scored = table([("Vladimir Putin", "a", -0.5, False, "Kaja Kallas"),
                    ("Vladimir Putin", "a", -1.0, False, "Kaja Kallas"),
                    ("Russia", "a", 0.5, False, "Kaja Kallas"),
                    ("Kaja Kallas", "a", 0.9, True, "Kaja Kallas"),  # herself: no cell
                    ("Ukraine", "b", 0.2, False, "Vladimir Putin"),
                    ("Ukraine", "b", 0.4)])
    long = speaker_target_matrix(scored)
    got = {(r.speaker, r.target): (r.mentions, r.mean_sentiment) for r in long.itertuples()}
    assert got == {("Kaja Kallas", "Vladimir Putin"): (2, -0.75), ("Kaja Kallas", "Russia"): (1, 0.5),
                   ("Vladimir Putin", "Ukraine"): (1, 0.2)}
    assert long[["speaker", "target"]].values.tolist() == [["Kaja Kallas", "Russia"], ["Kaja Kallas", "Vladimir Putin"],
                                                           ["Vladimir Putin", "Ukraine"]]  # by name, not as met
    wide, counts = speaker_target_grid(long)
    assert wide.loc["Kaja Kallas", "Vladimir Putin"] == -0.75 and counts.loc["Kaja Kallas", "Vladimir Putin"] == 2
    assert np.isnan(wide.loc["Vladimir Putin", "Russia"]) and np.isnan(counts.loc["Vladimir Putin", "Russia"])
    assert list(wide.index) == ["Kaja Kallas", "Vladimir Putin"]
    assert list(wide.columns) == ["Russia", "Ukraine", "Vladimir Putin"]
    # One speaker and one target at most: Kallas (3 mentions of others) and, of what she says, Putin (2).
    top, top_counts = speaker_target_grid(long, top=1)
    assert top.to_dict() == {"Vladimir Putin": {"Kaja Kallas": -0.75}} and top_counts.to_dict() == {
        "Vladimir Putin": {"Kaja Kallas": 2}}


def fake_scorer(calls):
    def score(items, method=None):
        items = list(items)
        calls.append((items, method))
        return pd.DataFrame({"label": ["negative"] * len(items), "score": [-0.5] * len(items),
                             "p_negative": 0.75, "p_neutral": 0.0, "p_positive": 0.25,
                             "clause_start": [s for _, s, _ in items], "clause_end": [e for _, _, e in items]})
    return score


def scored_text(text, registry, calls):
    documents = pd.DataFrame({"doc_id": ["d"], "text": [text]})
    mentions = find_mentions(documents, registry)
    quotes = find_quotes(documents, registry, mentions)
    return mention_sentiment(documents, mentions, quotes, method="vader", scorer=fake_scorer(calls))


def test_what_kallas_says_about_putin_is_not_a_judgement_of_kallas(registry):
    text = ('"Putin cannot achieve his goals on the battlefield, so he will try to achieve them through '
            'negotiations," Kallas added.')
    calls = []
    scored = scored_text(text, registry, calls)
    items, method = calls[0]
    # "Kallas" attributes the quote: excluded, so never given to the scorer.
    assert method == "vader" and [text[s:e] for _, s, e in items] == ["Putin", "his", "he"]
    got = list(zip(scored["surface"], scored["quoted_by"], scored["excluded"], scored["reason"]))
    assert got == [("Putin", "Kaja Kallas", False, ""), ("his", "Kaja Kallas", False, ""),
                   ("he", "Kaja Kallas", False, ""), ("Kallas", None, True, "speaker")]
    assert (scored["method"] == "vader").all() and scored["score"].tolist()[:3] == [-0.5] * 3
    assert np.isnan(scored["score"].iloc[3]) and pd.isna(scored["label"].iloc[3])
    assert pd.isna(scored["clause_start"].iloc[3]) and scored["clause_start"].iloc[0] == 1
    summary = actor_summary(scored, registry).set_index("actor")
    assert summary.loc["Kaja Kallas", "scored"] == 0 and np.isnan(summary.loc["Kaja Kallas", "mean_sentiment"])
    assert summary.loc["Vladimir Putin", "scored"] == 3
    assert speaker_target_matrix(scored)[["speaker", "target", "mentions"]].values.tolist() == [
        ["Kaja Kallas", "Vladimir Putin", 3]]


def test_scoring_and_rolling_up_leave_the_callers_tables_as_they_were(registry):
    text = '"Putin cannot win," Kallas said. Russia waited.'
    documents = pd.DataFrame({"doc_id": ["d"], "text": [text]})
    mentions = find_mentions(documents, registry)
    quotes = find_quotes(documents, registry, mentions)
    before = mentions.copy()
    scored = mention_sentiment(documents, mentions, quotes, method="vader", scorer=fake_scorer([]))
    pd.testing.assert_frame_equal(mentions, before)  # the scores and marks went to a new table only
    assert "score" in scored and "score" not in mentions
    # Each label one of three shared strings, not a string per mention (memory of millions of mentions).
    labels = scored["label"].tolist()
    assert labels[0] == labels[2] == "negative" and pd.isna(labels[1]) and labels[0] is labels[2]
    scored_before = scored.copy()
    rolled = portrayal._rolled(scored, [Actor("Vladimir Putin", "person", affiliation="Russia")], rollup=True)
    assert scored["actor"].tolist() == ["Vladimir Putin", "Kaja Kallas", "Russia"]
    assert rolled["actor"].tolist() == ["Russia", "Kaja Kallas", "Russia"]
    pd.testing.assert_frame_equal(scored, scored_before)


def test_label_codes_and_the_shared_label_strings():
    labels = pd.Series(["positive", None, "negative", "neutral", np.nan], dtype="object")
    assert portrayal._label_codes(labels).tolist() == [2, -1, 0, 1, -1]
    assert portrayal._LABEL_OBJECTS[portrayal._label_codes(labels)].tolist() == [
        "positive", None, "negative", "neutral", None]
    with pytest.raises(ValueError, match="'angry'"):
        portrayal._label_codes(pd.Series(["neutral", "angry"]))


def test_speaker_referring_to_herself_in_her_quote(registry):
    text = ("In an interview, Kallas expressed her concern over the meeting, stating that she fears all the pressure "
            "will be put on Ukraine.")
    scored = scored_text(text, registry, [])
    got = list(zip(scored["surface"], scored["quoted_by"], scored["reason"]))
    # "her concern over the meeting" is what she expressed (an attribution's content, as PolNeAR annotates it),
    # so "her" there is her own words too.
    assert got == [("Kallas", None, "speaker"), ("her", "Kaja Kallas", "own_quote"),
                   ("she", "Kaja Kallas", "own_quote"), ("Ukraine", "Kaja Kallas", "")]


def test_no_mentions_no_scoring(registry):
    calls = []
    scored = scored_text("Nothing to see here.", registry, calls)
    assert scored.empty and calls == []


# --- scores cached batch by batch ---------------------------------------------------------------------------------

def test_shard_batches_group_consecutive_shards_up_to_the_batch_size():
    assert portrayal._shard_batches({0: 3, 5: 1, 9: 4, 200: 1}, 4) == [[0, 5], [9], [200]]
    assert portrayal._shard_batches({7: 10}, 4) == [[7]]
    assert portrayal._shard_batches({}, 4) == []


def test_cached_scores_are_stored_batch_by_batch_so_a_stopped_run_keeps_them(registry, tmp_path, monkeypatch):
    from newslens import sentiment
    from newslens.cache import text_key

    texts = [f"Putin met Zelensky in town number {i}." for i in range(6)]
    assert len({text_key(text)[:2] for text in texts}) == 6  # six texts in six cache shards
    documents = pd.DataFrame({"doc_id": [f"d{i}" for i in range(6)], "text": texts})
    mentions = find_mentions(documents, registry)
    quotes = find_quotes(documents, registry, mentions)
    assert len(mentions) == 12  # Putin and Zelensky in each
    plain = mention_sentiment(documents, mentions, quotes, method="vader")
    monkeypatch.setattr(portrayal, "SCORE_BATCH_MENTIONS", 2)  # a batch per shard: a text's two mentions
    real, calls = sentiment.score_targets, []

    def stopped_after_first_batch(items, method=None, jobs=1, memo=None):
        if calls:
            raise KeyboardInterrupt
        items = list(items)
        calls.append(len(items))
        return real(items, method=method, jobs=jobs, memo=memo)

    monkeypatch.setattr(sentiment, "score_targets", stopped_after_first_batch)
    with pytest.raises(KeyboardInterrupt):
        mention_sentiment(documents, mentions, quotes, method="vader", cache_dir=tmp_path)
    assert calls == [2]

    def counted(items, method=None, jobs=1, memo=None):
        items = list(items)
        calls.append(len(items))
        return real(items, method=method, jobs=jobs, memo=memo)

    calls.clear()
    monkeypatch.setattr(sentiment, "score_targets", counted)
    resumed = mention_sentiment(documents, mentions, quotes, method="vader", cache_dir=tmp_path)
    assert calls == [2, 2, 2, 2, 2]  # the five texts not scored before the stop, one batch each
    pd.testing.assert_frame_equal(resumed, plain)
    calls.clear()
    pd.testing.assert_frame_equal(mention_sentiment(documents, mentions, quotes, method="vader", cache_dir=tmp_path),
                                  plain)
    assert calls == []  # everything read back


@pytest.mark.parametrize("cached", [False, True], ids=["in memory", "cache (scores kept in a mapped file)"])
def test_actor_tone_part_by_part_gives_the_tables_of_the_whole(registry, monkeypatch, tmp_path, cached):
    documents = load_corpus(SEEDS).documents
    mentions = find_mentions(documents, registry)
    quotes = find_quotes(documents, registry, mentions)
    args = (documents, mentions, quotes, registry, ("vader", "fast"))
    whole = actor_tone(*args, n_boot=200, cache_dir=tmp_path / "whole" if cached else None)
    assert len(list(whole[0])) == 1  # the seeds are far below PART_MENTIONS
    monkeypatch.setattr(portrayal, "PART_MENTIONS", 40)
    monkeypatch.setattr(portrayal, "POOLED_SCORES", 3)  # the summary's scores gathered an actor or two at a time
    parted = actor_tone(*args, n_boot=200, cache_dir=tmp_path / "parted" if cached else None)
    assert len(list(parted[0])) >= 3 and len(parted[0]) == len(mentions)
    pd.testing.assert_frame_equal(parted[0].whole(), whole[0].whole())
    pd.testing.assert_frame_equal(parted[1], whole[1])
    pd.testing.assert_frame_equal(parted[2].whole(), whole[2].whole())
    if cached:  # tables read back from the cache (a missing label is None there): compared with each other only
        return
    # The one-part tables are those of the public functions on the whole table of each method.
    by_method = [mention_sentiment(documents, mentions, quotes, method=m) for m in ("vader", "fast")]
    pd.testing.assert_frame_equal(whole[0].whole(), by_method[0])
    pd.testing.assert_frame_equal(whole[1], actor_summary(pd.concat(by_method, ignore_index=True), registry,
                                                          n_boot=200))
    # The strongest sentences and the speaker -> target pairs of the parts are those of the whole table.
    pd.testing.assert_frame_equal(evidence(parted[0], documents), evidence(by_method[0], documents))
    pd.testing.assert_frame_equal(speaker_target_matrix(parted[0]), speaker_target_matrix(by_method[0]))


def test_the_summary_gathers_scores_in_batches_of_consecutive_groups():
    from newslens.portrayal import _batches

    # At most 5 scores a batch: 2 + 3, then 4 (+ 1 would be 5: fits), then 7 alone (more than 5), then 0.
    assert list(_batches(np.array([2, 3, 4, 1, 7, 0]), 5)) == [(0, 2), (2, 4), (4, 5), (5, 6)]
    assert list(_batches(np.array([9]), 5)) == [(0, 1)]
    assert list(_batches(np.array([], dtype=np.int64), 5)) == [(0, 0)]  # no groups: one empty batch


def test_actor_tone_parts_in_processes_of_their_own_give_the_same_tables(registry, monkeypatch, tmp_path):
    from newslens import corpus

    documents = load_corpus(SEEDS).documents
    mentions = find_mentions(documents, registry)
    quotes = find_quotes(documents, registry, mentions)
    args = (documents, mentions, quotes, registry, ("vader", "fast"))
    monkeypatch.setattr(portrayal, "PART_MENTIONS", 40)
    here = actor_tone(*args, n_boot=200, cache_dir=tmp_path / "here")
    children = []

    def counted(function, part_documents, cache_dir, *arguments):
        children.append(len(portrayal._part_frame(arguments[2])))  # the part's mentions, after folder and sentences
        return corpus.computed_apart(function, part_documents, cache_dir, *arguments)

    monkeypatch.setattr(portrayal, "PROCESS_MENTIONS", len(mentions))
    monkeypatch.setattr(portrayal, "computed_apart", counted)
    apart = actor_tone(*args, n_boot=200, cache_dir=tmp_path / "apart")
    assert len(children) == len(list(here[0])) >= 3 and sum(children) == len(mentions)
    pd.testing.assert_frame_equal(apart[0].whole(), here[0].whole())
    pd.testing.assert_frame_equal(apart[1], here[1])
    pd.testing.assert_frame_equal(apart[2].whole(), here[2].whole())
    # Without a cache the parts' texts go through the system's temporary folder: the same tables.
    children.clear()
    uncached = actor_tone(*args, n_boot=200)
    assert len(children) == len(list(here[0]))
    pd.testing.assert_frame_equal(uncached[0].whole(), here[0].whole())
    pd.testing.assert_frame_equal(uncached[1], here[1])


SHARED = "The plan of Putin failed."


@pytest.fixture
def three_parts(registry, monkeypatch):
    """Three texts (three entries of the per-document score cache), each a part of its own, whose only mention
    is Putin in the sentence they share."""
    documents = pd.DataFrame({"doc_id": ["a", "b", "c"],
                              "text": [f"{SHARED} Talks went on.", f"Rain fell. {SHARED}", f"{SHARED} It was cold."]})
    mentions = find_mentions(documents, registry)
    assert mentions["surface"].tolist() == ["Putin"] * 3
    monkeypatch.setattr(portrayal, "PART_MENTIONS", 1)
    return documents, mentions, find_quotes(documents, registry, mentions), registry


def test_a_sentence_repeated_in_later_parts_is_scored_once(three_parts, monkeypatch, tmp_path):
    from newslens import sentiment

    sentences = []
    real = sentiment._score_sentences

    def counted(method, work, progress, jobs):
        sentences.extend(sentence for sentence, _ in work)
        return real(method, work, progress, jobs)

    monkeypatch.setattr(sentiment, "_score_sentences", counted)
    scored, _, _ = actor_tone(*three_parts, ("vader",), n_boot=10, cache_dir=tmp_path)
    assert len(list(scored)) == 3 and sentences == [SHARED]  # three parts; the sentence scored in the first only


def test_parts_in_processes_of_their_own_carry_the_score_memories(three_parts, monkeypatch, tmp_path):
    from newslens import corpus
    from newslens.sentiment import ScoreMemo

    def poisoning(function, *arguments):
        result = corpus.computed_apart(function, *arguments)
        with ScoreMemo(Path(arguments[-1]) / "vader.sqlite") as memo:  # the parts' memory, as the part left it
            assert (12, 17) in memo.recall(SHARED)  # the part wrote back what it scored
            # A made-up row for Putin (characters 12-17) in the shared sentence: a later part that uses it as given
            # did not score the sentence again.
            memo.remember(SHARED, {(12, 17): ("positive", 0.75, 0.0, 0.25, 0.75, 0, len(SHARED))})
        return result

    monkeypatch.setattr(portrayal, "PROCESS_MENTIONS", 1)
    monkeypatch.setattr(portrayal, "computed_apart", poisoning)
    scored = actor_tone(*three_parts, ("vader",), n_boot=10, cache_dir=tmp_path)[0].whole()
    assert scored["doc_id"].tolist() == ["a", "b", "c"]
    assert scored["score"].iloc[0] != 0.75 and scored["score"].tolist()[1:] == [0.75, 0.75]
    assert scored["label"].tolist()[1:] == ["positive", "positive"]


def test_a_part_whose_mentions_are_all_excluded_is_scored_with_a_cache(registry, monkeypatch, tmp_path):
    # Putin is the speaker of "rejected the plan" in each text: his mentions are excluded, so the first part (one
    # document) has nothing to score; it used to fail in the score cache's lookup.
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["Putin rejected the plan.", "The plan of Putin failed."]})
    mentions = find_mentions(documents, registry)
    monkeypatch.setattr(portrayal, "PART_MENTIONS", 1)
    scored = actor_tone(documents, mentions, find_quotes(documents, registry, mentions), registry, ("vader",),
                        n_boot=10, cache_dir=tmp_path)[0].whole()
    assert scored["excluded"].tolist() == [True, False] and scored["reason"].tolist() == ["speaker", ""]
    assert np.isnan(scored["score"].iloc[0]) and scored["label"].iloc[1] == "negative"


def test_a_large_sample_is_resampled_without_a_copy_of_it():
    sample = np.linspace(-1, 1, 1_000_000)  # 8 MB of scores, one actor's
    tracemalloc.start()
    (mean,), (low,), (high,) = portrayal._intervals(sample, np.array([sample.size]), n_boot=1, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # One resample: 8 MB of indices and 8 MB of the scores they pick; a copy of the sample would be 8 MB more.
    assert peak < 20_000_000
    assert abs(mean) < 1e-12 and low <= mean <= high


def test_intervals_of_groups_resample_only_groups_of_unequal_scores(monkeypatch):
    resampled, real = [], portrayal._bootstrap_stacks

    def recording(stacks, *args, **kwargs):
        resampled.extend(row.tolist() for stack in stacks for row in stack)
        return real(stacks, *args, **kwargs)

    monkeypatch.setattr(portrayal, "_bootstrap_stacks", recording)
    # Groups of one score, none, three equal scores, two, and two again: their scores one group after another.
    mean, low, high = portrayal._intervals(np.array([0.4, 0.5, 0.5, 0.5, -1.0, 1.0, 0.2, 0.6]),
                                           np.array([1, 0, 3, 2, 2]), n_boot=4000, seed=0, jobs=1)
    np.testing.assert_array_equal(mean, [0.4, np.nan, 0.5, 0.0, 0.4])
    # -1 and 1 resampled: means -1, 0 and 1; 0.2 and 0.6 by the same indices: means 0.2, 0.4 and 0.6.
    np.testing.assert_array_equal(low, [0.4, np.nan, 0.5, -1.0, 0.2])
    np.testing.assert_array_equal(high, [0.4, np.nan, 0.5, 1.0, 0.6])
    assert resampled == [[-1.0, 1.0], [0.2, 0.6]]  # only the unequal groups, the two of one size in one stack
    # A single score of -0.0 (VADER's compound of a neutral clause) stays -0.0, as a group's own score; the mean of
    # two would be 0.0.
    mean, low, high = portrayal._intervals(np.array([-0.0, -0.0, -0.0]), np.array([1, 2]), n_boot=10, seed=0)
    assert np.signbit(mean).tolist() == [True, False] and np.signbit(low).tolist() == [True, False]
    assert np.signbit(high).tolist() == [True, False]


def test_exported_mentions_are_the_export_of_the_whole_table_batch_by_batch(tmp_path, monkeypatch):
    from newslens import parts as parts_module
    from newslens.parts import PartsWriter

    scored = pd.DataFrame({"doc_id": ["a", "a", "b"], "actor": ["Putin", "Kyiv", "Putin"],
                           "surface": ["he", "Kyiv", "Putin"], "start": [0, 5, 9], "end": [2, 9, 14],
                           "sent_start": [0, 0, 7], "found_by": ["pronoun", "name", "name"],
                           "score": [-0.5, 0.25, float("nan")], "label": ["negative", "positive", None],
                           "p_negative": [0.7, 0.1, float("nan")], "method": ["model"] * 3,
                           "excluded": [False, False, True], "reason": [None, None, "speaker"],
                           "quoted_by": [None, "Putin", None]})
    writer = PartsWriter(scored, tmp_path / "scored.parquet")
    writer.add(scored.iloc[:2])
    writer.add(scored.iloc[2:])
    monkeypatch.setattr(parts_module, "BATCH_ROWS", 1)  # a row a batch
    batches = list(portrayal.exported_mentions(writer.done()))
    assert [len(batch) for batch in batches] == [1, 1, 1]
    exported = pd.concat(batches, ignore_index=True)
    assert list(exported.columns) == ["doc_id", "actor", "surface", "start", "end", "found_by", "sentiment", "label",
                                      "method", "excluded", "reason", "quoted_by"]  # no sent_start, no p_negative
    pd.testing.assert_frame_equal(exported, portrayal.scored_for_export(scored))
    pd.testing.assert_frame_equal(next(portrayal.exported_mentions(scored)), portrayal.scored_for_export(scored))


def test_per_document_summaries_are_ordered_by_document_then_method_then_most_mentioned():
    table = pd.DataFrame({"actor": ["Kyiv", "Putin", "Zelensky", "Putin", "Kyiv", "Zelensky"],
                          "doc_id": ["b", "b", "a", "a", "b", "a"],
                          "method": ["vader", "model", "model", "model", "model", "model"],
                          "mentions": [1, 2, 3, 3, 2, 1]})
    runs = list(portrayal._in_document_order(table, {"a": 0, "b": 1}))
    assert len(runs) == 1
    ordered = runs[0]
    # a before b (by position, not name order); in b model before vader; Putin and Kyiv tie on 2: by name.
    assert list(zip(ordered["doc_id"], ordered["method"], ordered["actor"], ordered["mentions"])) == [
        ("a", "model", "Putin", 3), ("a", "model", "Zelensky", 3), ("a", "model", "Zelensky", 1),
        ("b", "model", "Kyiv", 2), ("b", "model", "Putin", 2), ("b", "vader", "Kyiv", 1)]
    assert ordered.index.tolist() == list(range(6))


def test_per_document_summaries_come_in_runs_of_ordered_rows(monkeypatch):
    monkeypatch.setattr(portrayal, "ORDERED_ROWS", 4)
    table = pd.DataFrame({"actor": ["A", "B", "C", "D", "E"], "doc_id": ["y", "x", "y", "x", "x"],
                          "method": ["model"] * 5, "mentions": [1, 2, 3, 4, 5]})
    runs = list(portrayal._in_document_order(table, {"x": 0, "y": 1}))
    # x's three actors by mentions (E 5, D 4, B 2), then y's (C 3, A 1): four rows, then the fifth, each run
    # numbered from 0.
    assert [run["actor"].tolist() for run in runs] == [["E", "D", "B", "C"], ["A"]]
    assert [run.index.tolist() for run in runs] == [[0, 1, 2, 3], [0]]
    empty = list(portrayal._in_document_order(table.iloc[[]], {}))
    assert len(empty) == 1 and empty[0].empty and list(empty[0].columns) == list(table.columns)


def test_groups_counted_on_codes_by_hand(registry):
    # Rows in table order; groups sorted by actor, then method. Russia/model: rows 1 and 3 (documents b, a; row 3
    # excluded, so scored once), Ukraine/model: rows 0 and 4 (both in document a: one document), Ukraine/vader:
    # row 2 (not scored: NaN).
    scored = pd.concat([table([("Ukraine", "a", 0.5), ("Russia", "b", -1.0)]),
                        table([("Ukraine", "c", np.nan)]).assign(method="vader", label=None),
                        table([("Russia", "a", 0.0, True), ("Ukraine", "a", -0.25)])], ignore_index=True)
    frame, scores = portrayal._group_scores(scored, registry, ["actor"], rollup=False)
    assert frame[["actor", "method"]].values.tolist() == [["Russia", "model"], ["Ukraine", "model"],
                                                          ["Ukraine", "vader"]]
    assert frame["mentions"].tolist() == [2, 2, 1]
    assert frame["documents"].tolist() == [2, 1, 1]
    assert frame["scored"].tolist() == [1, 2, 0]
    assert frame[["n_negative", "n_neutral", "n_positive"]].values.tolist() == [[1, 0, 0], [1, 0, 1], [0, 0, 0]]
    assert scores.tolist() == [-1.0, 0.5, -0.25]  # group after group, table order within a group
    # A mention without a doc_id counts in no document (as pandas' nunique): Russia's second row loses its own.
    scored.loc[3, "doc_id"] = None
    assert portrayal._group_scores(scored, registry, ["actor"], rollup=False)[0]["documents"].tolist() == [1, 1, 1]


def test_coded_groups_sort_each_column_and_put_a_missing_value_last():
    data = pd.DataFrame({"actor": pd.array(["b", "a", None, "b", "a"], dtype="str"),
                         "doc_id": pd.array(["y", "z", "x", "x", "z"], dtype="str")})
    group_of, values = portrayal._coded_groups(data, ["actor", "doc_id"])
    # Groups: (a, z), (b, x), (b, y), (missing, x).
    assert group_of.tolist() == [2, 0, 3, 1, 0]
    assert values["actor"].tolist()[:3] == ["a", "b", "b"] and pd.isna(values["actor"].iloc[3])
    assert values["doc_id"].tolist() == ["z", "x", "y", "x"]


def test_a_part_scored_in_a_process_of_its_own_sends_every_sentence_to_the_workers(tmp_path, monkeypatch):
    # A later part of a large corpus, its sentences mostly remembered, has few left to score: loaded here, VADER
    # (with nltk) would add 19 MB to the part's process.
    from newslens import parallel
    from newslens.text import remembered_splits

    seen = []

    def part_tone(writers, texts, *arguments):
        seen.append((list(texts), parallel.workers_take_any_work(2), parallel.workers_take_any_work(1)))
        for name in ("scored", "by_document"):
            writers.add(name, pd.DataFrame({"doc_id": ["a"]}))
        return pd.DataFrame(), np.zeros(0)

    monkeypatch.setattr(portrayal, "_part_tone", part_tone)
    documents = pd.DataFrame({"doc_id": ["a"], "text": ["Putin spoke."]})
    portrayal._part_tone_apart(documents, str(tmp_path), remembered_splits(documents["text"]))
    assert seen == [(["a"], True, False)]  # within the part; with one job, nothing to send
    assert not parallel.workers_take_any_work(2)  # and not after it
