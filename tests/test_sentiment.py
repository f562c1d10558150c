"""Target-dependent sentiment: clause splitting, both methods on unambiguous sentences, API errors, the shipped model.

Expected values are worked out by hand (character offsets counted, VADER lexicon entries looked up in the
``vaderSentiment`` lexicon file), never taken from a run of the code under test.
"""
from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from newslens import sentiment
from newslens.sentiment import LABELS, classify_target, clause_span, score_targets

REPO_ROOT = Path(__file__).resolve().parents[1]
NEWSMTSC = REPO_ROOT.parent / "shared" / "data" / "newsmtsc"
needs_data = pytest.mark.skipif(not (NEWSMTSC / "train.jsonl").exists(), reason=f"NewsMTSC not found in {NEWSMTSC}")

KALLAS = "Kallas praised Witkoff's excellent work, but Putin is a brutal dictator"


def span(text: str, mention: str) -> tuple[int, int]:
    start = text.index(mention)
    return start, start + len(mention)


# --- clauses ------------------------------------------------------------------------------------------------------


def test_clause_split_at_comma_but():
    # "Kallas praised Witkoff's excellent work" is 39 characters; ", but " fills 39..45; the rest runs to 71.
    assert len(KALLAS) == 71
    assert clause_span(KALLAS, 45, 50) == (45, 71)  # Putin
    assert clause_span(KALLAS, 15, 22) == (0, 39)  # Witkoff
    assert clause_span(KALLAS, 0, 6) == (0, 39)  # Kallas


def test_clause_short_piece_merges_with_the_next():
    # "Putin" alone has one word; ", the Russian president" brings it to four words, ending at 28.
    text = "Putin, the Russian president, said talks failed."
    assert clause_span(text, 0, 5) == (0, 28)
    # "said talks failed." has three words and nothing follows, so it takes the piece before: 7..48.
    assert clause_span(text, 35, 40) == (7, 48)


def test_clause_split_at_dash_and_semicolon():
    text = "Markets fell sharply — the worst day in years; Smith blamed the banks."
    assert clause_span(text, 47, 52) == (47, 70)
    # "Markets fell sharply" (0..20) has three words and takes "the worst day in years" (23..45).
    assert clause_span(text, 0, 7) == (0, 45)


def test_clause_ignores_words_containing_a_conjunction_and_boundaries_inside_the_mention():
    text = "Butler said the plan was sound."
    assert clause_span(text, 0, 6) == (0, 31)
    text = "Smith, Jr. won the race easily today"
    assert clause_span(text, 0, 10) == (0, 36)


def test_clause_last_piece_merges_backwards():
    # "and Lee" after the last comma has two words, nothing follows, so it takes the piece before it.
    text = "The prize went to Kim, and Lee"
    assert clause_span(text, 27, 30) == (0, 30)


# --- VADER --------------------------------------------------------------------------------------------------------


def test_vader_on_the_clause_separates_two_targets():
    # Lexicon: praised +2.2, excellent +2.7 (first clause); brutal -3.1 (second clause); dictator is not listed.
    assert classify_target(KALLAS, *span(KALLAS, "Witkoff"), method="vader") == "positive"
    assert classify_target(KALLAS, *span(KALLAS, "Putin"), method="vader") == "negative"


def test_vader_without_lexicon_words_is_neutral():
    text = "Smith will travel to Boston on Tuesday."
    frame = score_targets([(text, 0, 5)], method="vader")
    assert frame.loc[0, "label"] == "neutral"
    assert frame.loc[0, "score"] == 0.0


def test_vader_ignores_the_mention_itself():
    # "winner" is +2.8 in the lexicon, but here it is a surname.
    assert classify_target("Winner will travel to Boston on Tuesday.", 0, 6, method="vader") == "neutral"


def test_vader_sees_negation_with_a_curly_apostrophe():
    # praise is +2.6 in the lexicon; VADER flips a word after "n't", also when the text writes "didn’t".
    assert classify_target("Xi’s rivals didn’t praise him.", 0, 2, method="vader") == "negative"


def test_vader_frame_columns():
    frame = score_targets([(KALLAS, 45, 50), (KALLAS, 15, 22)], method="vader")
    assert list(frame.columns) == [
        "label", "score", "p_negative", "p_neutral", "p_positive", "clause_start", "clause_end"
    ]
    assert list(frame["label"]) == ["negative", "positive"]
    assert frame["score"].iloc[0] < 0 < frame["score"].iloc[1]
    assert frame[["p_negative", "p_neutral", "p_positive"]].isna().all().all()
    assert list(frame["clause_start"]) == [45, 0]
    assert list(frame["clause_end"]) == [71, 39]


def test_vader_lexicon_does_not_come_from_nltk_data(tmp_path, monkeypatch):
    # A planted lexicon in the first NLTK data folder (as a user's ~/nltk_data would be) must not be read.
    import nltk

    (tmp_path / "vader_lexicon.txt").write_text("brutal\t4.0\t0.0\t[4]\n", encoding="utf-8")
    sentiment_dir = tmp_path / "sentiment"
    sentiment_dir.mkdir()
    (sentiment_dir / "vader_lexicon.txt").write_text("brutal\t4.0\t0.0\t[4]\n", encoding="utf-8")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path), *nltk.data.path])
    sentiment._vader.cache_clear()
    sentiment.vader_lexicon.cache_clear()
    try:
        assert sentiment.vader_lexicon()["brutal"] == -3.1
        assert classify_target(KALLAS, 45, 50, method="vader") == "negative"
    finally:
        sentiment._vader.cache_clear()
        sentiment.vader_lexicon.cache_clear()


# --- model --------------------------------------------------------------------------------------------------------

UNAMBIGUOUS = [
    ("Smith is a corrupt liar and a disgraceful fraud who cheated thousands of families.", "Smith", "negative"),
    ("Prosecutors said Jones brutally murdered three people and was convicted of terrorism.", "Jones", "negative"),
    ("Smith will travel to Boston on Tuesday.", "Smith", "neutral"),
    ("The meeting with Garcia is scheduled for 10 a.m. in the town hall.", "Garcia", "neutral"),
    ("Fans cheered as Lee won the championship, praised for her brilliant, inspiring performance.", "Lee", "positive"),
    ("Colleagues describe Patel as a generous, honest and widely admired leader.", "Patel", "positive"),
]


@pytest.mark.parametrize("method", ["model", "fast"])
@pytest.mark.parametrize("text, mention, expected", UNAMBIGUOUS)
def test_models_on_unambiguous_sentences(text, mention, expected, method):
    assert classify_target(text, *span(text, mention), method=method) == expected


@pytest.mark.parametrize("method", ["model", "fast"])
def test_models_tell_two_targets_apart(method):
    assert classify_target(KALLAS, *span(KALLAS, "Putin"), method=method) == "negative"
    assert classify_target(KALLAS, *span(KALLAS, "Witkoff"), method=method) == "positive"


@pytest.mark.parametrize("method", ["model", "fast"])
def test_model_frame(method):
    items = [(KALLAS, 45, 50), (KALLAS, 15, 22), ("Smith will travel to Boston on Tuesday.", 0, 5)]
    frame = score_targets(items, method=method)
    assert len(frame) == 3
    p = frame[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(frame["score"], p[:, 2] - p[:, 0])
    assert list(frame["label"]) == [LABELS[i] for i in p.argmax(axis=1)]
    assert list(frame["clause_start"]) == [0, 0, 0]
    assert list(frame["clause_end"]) == [71, 71, 39]


def test_all_methods_look_only_at_the_sentence_of_the_target():
    # "Smith is a brilliant and kind leader." is 0..37; "Jones is a corrupt liar." is 38..62.
    text = "Smith is a brilliant and kind leader. Jones is a corrupt liar."
    items = [(text, 0, 5), (text, 38, 43)]
    for method in sentiment.METHODS:
        frame = score_targets(items, method=method)
        assert list(frame["label"]) == ["positive", "negative"], method
        assert list(frame["clause_start"]) == [0, 38], method
        assert list(frame["clause_end"]) == [37, 62], method


def test_clause_stays_inside_the_sentence():
    # Without the sentence break, "Jones wins" (2 words) would reach back into the first sentence.
    text = "The vote was held on a rainy Sunday. Jones wins"
    assert sentiment.sentence_span(text, 37, 42) == (37, 47)
    assert clause_span(text, 37, 42) == (37, 47)


def test_sentence_span_of_a_mention_within_across_and_between_sentences():
    text = "Kallas spoke. Putin and Trump met.  Then Rubio left."  # sentences 0-13, 14-34, 36-52
    assert sentiment.sentence_span(text, 0, 6) == (0, 13)  # "Kallas"
    assert sentiment.sentence_span(text, 24, 29) == (14, 34)  # "Trump"
    assert sentiment.sentence_span(text, 41, 46) == (36, 52)  # "Rubio"
    assert sentiment.sentence_span(text, 7, 19) == (0, 34)  # "spoke. Putin" spans two sentences
    assert sentiment.sentence_span(text, 34, 35) == (0, 52)  # white space between sentences: the whole text


def test_score_targets_empty_and_generator():
    assert score_targets([]).empty
    frame = score_targets(((KALLAS, s, e) for s, e in [(45, 50)]), method="vader")
    assert list(frame["label"]) == ["negative"]


# --- errors -------------------------------------------------------------------------------------------------------


def test_unknown_method_names_the_allowed_ones():
    with pytest.raises(ValueError, match="model, fast, vader"):
        classify_target(KALLAS, 45, 50, method="bert")
    with pytest.raises(ValueError, match="model, fast, vader"):
        score_targets([(KALLAS, 45, 50)], method="roberta")


@pytest.mark.parametrize("start, end", [(5, 5), (6, 2), (-1, 3), (60, 72), (80, 90)])
@pytest.mark.parametrize("method", [None, "fast", "vader"])
def test_invalid_spans(start, end, method):
    with pytest.raises(ValueError, match="invalid target span"):
        classify_target(KALLAS, start, end, method=method)


# --- the shipped fast model --------------------------------------------------------------------------------------------


def test_model_files_load_without_pickle_and_are_small():
    size = sentiment.MODEL_WEIGHTS.stat().st_size + sentiment.MODEL_META.stat().st_size
    assert size <= 25 * 1024 * 1024
    weights = np.load(sentiment.MODEL_WEIGHTS, allow_pickle=False)
    model = sentiment.load_model()
    assert weights.shape == (len(model.vocabulary) + 1, len(LABELS))
    assert model.meta["labels"] == list(LABELS)
    assert model.meta["features_version"] == sentiment.FEATURES_VERSION


def test_model_is_loaded_once():
    assert sentiment.load_model() is sentiment.load_model()


@needs_data
def test_shipped_model_matches_training_inputs():
    from newslens import train_sentiment

    assert sentiment.load_model().meta["fingerprint"] == train_sentiment.fingerprint(NEWSMTSC), (
        "the shipped model was trained on other data, hyperparameters or features: "
        "rebuild it with `python -m newslens.train_sentiment`"
    )


@needs_data
def test_shipped_model_fits_its_training_data():
    # A model that no longer matches the feature code would lose most of its vocabulary and fall far below this.
    from newslens import train_sentiment

    rows = train_sentiment.read_split(NEWSMTSC / "train.jsonl")[:300]
    frame = score_targets([(t, s, e) for t, s, e, _ in rows], method="fast")
    accuracy = np.mean([LABELS[label] == got for (*_, label), got in zip(rows, frame["label"])])
    assert accuracy >= 0.8
    assert not math.isnan(accuracy)


def test_a_sentence_remembered_from_an_earlier_call_is_not_scored_again(monkeypatch):
    text = "Putin praised Zelensky. Kallas met Putin."
    memo = sentiment.ScoreMemo()
    score_targets([(text, 0, 5)], method="vader", memo=memo)  # "Putin" of the first sentence
    scored, real = [], sentiment._score_sentences

    def recorded(method, work, progress, jobs):
        scored.extend(work)
        return real(method, work, progress, jobs)

    monkeypatch.setattr(sentiment, "_score_sentences", recorded)
    items = [(text, 14, 22), (text, 0, 5), (text, 35, 40)]  # Zelensky, Putin again, the second sentence's Putin
    again = score_targets(items, method="vader", memo=memo)
    # Only what the memo lacks is scored: Zelensky beside the remembered Putin, and the other sentence.
    assert scored == [("Putin praised Zelensky.", [(14, 22)]), ("Kallas met Putin.", [(11, 16)])]
    assert len(memo) == 3  # (sentence, span) pairs
    assert set(memo.recall("Putin praised Zelensky.")) == {(0, 5), (14, 22)}
    assert set(memo.recall("Kallas met Putin.")) == {(11, 16)}
    scored.clear()
    fresh = score_targets(items, method="vader")
    assert len(scored) == 2  # without a memo, every sentence is scored
    assert again.equals(fresh)


def test_score_rows_kept_by_number_give_each_mention_its_row_and_clause_in_its_text():
    rows = sentiment._ScoreRows(2)
    rows.put(1, ("positive", 0.5, 0.1, 0.3, 0.6, 2, 9))
    rows.put(0, ("negative", -0.75, 0.8, 0.15, 0.05, 0, 4))
    # Three mentions: rows 1, 0, 1, their sentences starting at 10, 0 and 100 in their texts.
    frame = rows.frame(np.array([1, 0, 1]), np.array([10, 0, 100]))
    assert list(frame.columns) == ["label", "score", "p_negative", "p_neutral", "p_positive", "clause_start",
                                   "clause_end"]
    assert frame.values.tolist() == [["positive", 0.5, 0.1, 0.3, 0.6, 12, 19],
                                     ["negative", -0.75, 0.8, 0.15, 0.05, 0, 4],
                                     ["positive", 0.5, 0.1, 0.3, 0.6, 102, 109]]
    assert frame["label"].dtype == object and frame["clause_start"].dtype == np.int64


def test_a_full_score_memo_forgets_the_sentences_used_least_recently_first():
    row = ("neutral", 0.0, 0.1, 0.8, 0.1, 0, 1)
    memo = sentiment.ScoreMemo(limit=8)
    for sentence in ("a.", "b.", "c."):
        memo.remember(sentence, {(0, 1): row, (1, 2): row})  # 6 pairs
    assert memo.recall("a.") == {(0, 1): row, (1, 2): row}  # "a." is now the most recently used; "b." the least
    memo.remember("c.", {(0, 2): row})  # 7 pairs: a span added to a known sentence, now the most recent
    assert len(memo) == 7
    memo.remember("d.", {(0, 1): row, (1, 2): row})  # 9 > 8: forget the oldest until 6 (3/4 of 8) are left
    assert memo.recall("b.") == {} and memo.recall("a.") == {}  # b (2 pairs), then a (2): 9 -> 7 -> 5
    assert len(memo) == 5
    assert set(memo.recall("c.")) == {(0, 1), (1, 2), (0, 2)} and set(memo.recall("d.")) == {(0, 1), (1, 2)}


def test_a_score_memo_keeps_its_rows_exactly_on_disk(tmp_path):
    rows = {(0, 5): ("positive", 0.25, float("nan"), float("nan"), float("nan"), 0, 17),  # VADER: no probabilities
            (9, 17): ("negative", -0.1 / 3, 0.4, 0.3 + 1e-17, 0.3, 2, 17)}
    with sentiment.ScoreMemo(tmp_path / "vader.sqlite") as memo:
        memo.remember("Putin met Zelensky.", rows)
    with sentiment.ScoreMemo(tmp_path / "vader.sqlite") as memo:  # another process would open it so
        recalled = memo.recall("Putin met Zelensky.")
        assert len(memo) == 2
    assert recalled.keys() == rows.keys()
    for span, row in rows.items():  # the same floats, bit for bit (NaN is not equal to itself)
        assert [repr(value) for value in recalled[span]] == [repr(value) for value in row]
    # 10,000 pairs, each row its own, are in the file, not in Python objects (as tuples they took 4 MB).
    tracemalloc.start()
    memo = sentiment.ScoreMemo(tmp_path / "many.sqlite")
    for number in range(5000):
        scores = [number / 7, number / 11, number / 13, number / 17]
        memo.remember(f"Sentence number {number}.", {(0, 8): ("neutral", *scores, 0, 20),
                                                      (9, 15): ("positive", *scores[::-1], 0, 20)})
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    memo.close()
    assert len(sentiment.ScoreMemo(tmp_path / "many.sqlite")) == 10_000 and kept < 100_000
    assert (tmp_path / "many.sqlite").stat().st_size > 10_000 * 49  # a packed pair: 49 bytes


def test_scores_are_the_same_when_the_memo_forgets_between_calls():
    text = "Putin praised Zelensky. Kallas met Putin. Zelensky thanked Kallas warmly."
    items = [(text, 0, 5), (text, 14, 22), (text, 24, 30), (text, 35, 40), (text, 42, 50), (text, 59, 65)]
    memo = sentiment.ScoreMemo(limit=2)  # forgets within every call
    first = score_targets(items[:3], method="vader", memo=memo)
    second = score_targets(items, method="vader", memo=memo)
    assert len(memo) <= 2
    assert second.iloc[:3].equals(first)
    assert second.equals(score_targets(items, method="vader"))


def test_encoder_work_goes_to_processes_from_a_few_hundred_sentences(monkeypatch):
    # The encoder (about 20 ms a sentence) pays for starting two processes from 200 sentences; VADER from 2,000.
    from newslens import parallel

    asked = []
    monkeypatch.setattr(parallel, "map_chunks", lambda function, chunks, jobs, **kwargs: asked.append(jobs) or [
        [[()] for _ in chunk] for chunk in chunks])
    work = [(f"Sentence {i}.", [(0, 8)]) for i in range(2000)]
    for method, size in (("model", 199), ("model", 200), ("vader", 1999), ("vader", 2000)):
        assert len(sentiment._score_sentences(method, work[:size], False, 2)) == size
    assert asked == [1, 2, 1, 2]
