"""Word-frequency tables (newslens.frequency) against hand-counted and hand-computed values.

Every expected number below was counted or computed by hand (the arithmetic is in the comments), never produced by
running the code under test.
"""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfTransformer

from newslens import frequency as freq
from newslens.frequency import (STOPWORDS_VERSION, FrequencyOptions, collocations, dispersion, dispersion_ticks,
                                distinctive_terms, document_term_counts, keyness, kwic, load_stopwords,
                                log_likelihood, log_ratio, ngrams, term_frequencies, tokenize_documents)

# Tiny fixture, counted by hand.
#   a: "Peace talks." / "The U.S. envoy met Putin’s team; peace talks resumed."
#      words: peace talks | the u.s. envoy met putin team ; peace talks resumed            → 11 words
#      stopwords: the                                                                    → 10 terms
#   b: "Talks failed. Putin said: no ceasefire, no peace! End the war."
#      words: talks failed . putin said : no ceasefire , no peace ! end the war .          → 11 words
#      stopwords: no, no, the                                                            → 8 terms
#   corpus: 22 words. Term counts (documents):
#      peace 3 (2), talks 3 (2), putin 2 (2), and once each (1 document): ceasefire, end, envoy, failed, met,
#      resumed, said, team, u.s., war                                     → 3 + 3 + 2 + 10 = 18 terms ✓
TEXT_A = "Peace talks.\nThe U.S. envoy met Putin’s team; peace talks resumed."
TEXT_B = "Talks failed. Putin said: no ceasefire, no peace! End the war."


@pytest.fixture(params=[1, 2_000], ids=["a chunk per document", "one chunk"])
def tiny(request, monkeypatch):
    # Counts, distinctive terms and per-document rows are made a chunk of documents at a time, word counts a chunk of tokens at a
    # time (3 tokens, or all): the same by-hand numbers either way.
    monkeypatch.setattr(freq, "_COUNT_CHUNK", request.param)
    monkeypatch.setattr(freq, "_ROWS_CHUNK", request.param)
    monkeypatch.setattr(freq, "_TOKEN_CHUNK", 3 if request.param == 1 else 1_000_000)
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": [TEXT_A, TEXT_B]})
    return tokenize_documents(documents, FrequencyOptions(min_count=1))



@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "cache"])
def test_two_documents_with_the_same_text_get_the_same_words(tmp_path, monkeypatch, cached):
    documents = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": [TEXT_A, TEXT_B, TEXT_A]})
    corpus = tokenize_documents(documents, FrequencyOptions(min_count=1), cache_dir=tmp_path if cached else None)
    a, c = (corpus.word_ids[corpus.doc_starts[i]:corpus.doc_starts[i + 1]] for i in (0, 2))
    assert a.tolist() == c.tolist() and corpus.doc_words.tolist() == [11, 11, 11]
    counts = corpus.counts.toarray()
    assert counts[0].tolist() == counts[2].tolist()
    assert counts[:, corpus.terms.index("peace")].tolist() == [2, 1, 2]  # PEACE talks … PEACE talks; no PEACE!


@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "cache"])
def test_texts_without_words(tmp_path, cached):
    # No word at all in the first two texts: their tokens are all -1 (numbers, punctuation), then the -1 after each.
    documents = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": ["1,000 -- 2025!", "", "Peace, 12 peace."]})
    corpus = tokenize_documents(documents, FrequencyOptions(min_count=1), cache_dir=tmp_path if cached else None)
    assert corpus.words == ["peace"] and corpus.doc_words.tolist() == [0, 0, 2]
    assert corpus.word_ids[corpus.doc_starts[2]:corpus.doc_starts[3]].tolist() == [0, -1, -1, 0, -1, -1]
    assert set(corpus.word_ids[:corpus.doc_starts[2]].tolist()) == {-1}
    only_numbers = tokenize_documents(documents.iloc[:2], FrequencyOptions(min_count=1),
                                      cache_dir=tmp_path if cached else None)
    assert only_numbers.words == [] and only_numbers.n_words == 0

def test_texts_missing_from_the_cache_are_tokenised_in_a_process_of_their_own(tmp_path, monkeypatch):
    from newslens import corpus as corpus_module

    started = []
    computed_apart = corpus_module.computed_apart

    def counted(function, documents, cache_dir, *arguments):
        started.append((function.__name__, len(documents), arguments[-1]))  # the positions it tokenises
        return computed_apart(function, documents, cache_dir, *arguments)

    monkeypatch.setattr(corpus_module, "computed_apart", counted)
    monkeypatch.setattr(freq, "TOKENS_APART_CHARS", len(TEXT_B))  # a and b missing: 63 + 62 characters
    documents = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": [TEXT_A, TEXT_B, TEXT_A]})
    document_words = freq._document_words
    monkeypatch.setattr(freq, "_document_words", None)  # not here: in the (spawned) process only
    apart = tokenize_documents(documents, FrequencyOptions(min_count=1), cache_dir=tmp_path)
    monkeypatch.setattr(freq, "_document_words", document_words)
    assert started == [("_tokens_cached", 3, [0, 1, 2])]
    # The same words and counts as above, read from the cache the process filled.
    assert apart.doc_words.tolist() == [11, 11, 11]
    assert apart.counts.toarray()[:, apart.terms.index("peace")].tolist() == [2, 1, 2]
    # Cached now: a second corpus with one new short text (30 characters) is tokenised here.
    more = pd.concat([documents, pd.DataFrame({"doc_id": ["d"], "text": ["Peace at last, the envoy said."]})])
    again = tokenize_documents(more, FrequencyOptions(min_count=1), cache_dir=tmp_path)
    assert started == [("_tokens_cached", 3, [0, 1, 2])]
    assert again.doc_words.tolist() == [11, 11, 11, 6]  # peace at last the envoy said
    # A new text of 64 characters goes to a process of its own, which tokenises it alone (the others are cached).
    longer = "The envoy said the peace talks would resume in Geneva next week."
    last = pd.concat([more, pd.DataFrame({"doc_id": ["e"], "text": [longer]})])
    monkeypatch.setattr(freq, "_document_words", None)
    apart_again = tokenize_documents(last, FrequencyOptions(min_count=1), cache_dir=tmp_path)
    assert started[1:] == [("_tokens_cached", 5, [4])]
    assert apart_again.doc_words.tolist() == [11, 11, 11, 6, 12]  # the envoy said the peace … next week


# --- statistics ------------------------------------------------------------------------------------------------

def test_log_likelihood_by_hand():
    # a=10, b=20, c=1000, d=10000:
    #   E1 = 1000·30/11000 = 2.727273, E2 = 10000·30/11000 = 27.272727
    #   a·ln(a/E1) = 10·ln(11/3) = 10·1.2992830 = 12.992830
    #   b·ln(b/E2) = 20·ln(11/15) = 20·(2.3978953 − 2.7080502) = −6.2030986
    #   G² = 2·(12.992830 − 6.2030986) = 13.579462
    assert log_likelihood(10, 20, 1000, 10000) == pytest.approx(13.579462, abs=1e-5)
    # b = 0: a=4, c=100, d=200: E1 = 100·4/300 = 4/3; G² = 2·4·ln(3) = 8·1.0986123 = 8.7888983
    assert log_likelihood(4, 0, 100, 200) == pytest.approx(8.7888983, abs=1e-6)
    # Equal relative frequencies: no evidence either way.
    assert log_likelihood(5, 10, 100, 200) == pytest.approx(0.0, abs=1e-12)
    # Vectorised, and symmetric in the two corpora.
    assert log_likelihood(np.array([10, 20]), np.array([20, 10]), np.array([1000, 10000]),
                          np.array([10000, 1000])) == pytest.approx([13.579462, 13.579462], abs=1e-5)


def test_log_ratio_by_hand():
    # log2((10/1000)/(20/10000)) = log2(0.01/0.002) = log2(5) = 2.3219281
    assert log_ratio(10, 20, 1000, 10000) == pytest.approx(2.3219281, abs=1e-7)
    # Zero in the second corpus is adjusted to 0.5: log2((4/100)/(0.5/200)) = log2(0.04/0.0025) = log2(16) = 4
    assert log_ratio(4, 0, 100, 200) == pytest.approx(4.0)
    # ... and in the first: log2((0.5/100)/(4/200)) = log2(0.005/0.02) = −2
    assert log_ratio(0, 4, 100, 200) == pytest.approx(-2.0)
    assert log_ratio(5, 10, 100, 200) == pytest.approx(0.0)
    # A 0.5 that would reverse the sign gives 0: a=0 in 10 words vs b=1 in 1e9 words is an under-use, but
    # log2((0.5/10)/(1/1e9)) = log2(5e7) > 0.
    assert log_ratio(0, 1, 10, 1e9) == 0.0


# --- stopwords and options -------------------------------------------------------------------------------------

def test_shipped_stopword_list():
    stopwords = load_stopwords()
    assert STOPWORDS_VERSION == "1"
    assert {"the", "and", "of", "us", "don't", "would", "s"} <= stopwords
    # Content words typical of news are not stopwords.
    assert not {"said", "u.s.", "people", "war", "peace"} & stopwords
    assert all(word == word.strip().lower() for word in stopwords)


def test_extra_stopwords_are_normalised_like_the_text(tiny):
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": [TEXT_A, TEXT_B]})
    corpus = tokenize_documents(documents, FrequencyOptions(extra_stopwords=["Putin’s", "SAID"], min_count=1))
    terms = set(term_frequencies(corpus)["term"])
    assert "putin" not in terms and "said" not in terms and "peace" in terms
    # The word count (the per_10k denominator) still includes stopwords: 22 words.
    assert corpus.n_words == 22


def test_no_stopwords_at_all():
    documents = pd.DataFrame({"doc_id": ["b"], "text": [TEXT_B]})
    corpus = tokenize_documents(documents, FrequencyOptions(stopwords=[], min_count=1))
    table = term_frequencies(corpus).set_index("term")
    assert table.loc["no", "count"] == 2 and table.loc["the", "count"] == 1


# --- term tables -----------------------------------------------------------------------------------------------

def test_term_frequencies_tiny(tiny):
    table = term_frequencies(tiny)
    assert list(table.columns) == ["term", "count", "per_10k", "documents", "dp"]
    # count descending, ties alphabetical
    assert table["term"].tolist() == ["peace", "talks", "putin", "ceasefire", "end", "envoy", "failed", "met",
                                      "resumed", "said", "team", "u.s.", "war"]
    assert table["count"].tolist() == [3, 3, 2] + [1] * 10
    assert table["documents"].tolist() == [2, 2, 2] + [1] * 10
    # per_10k = 3 · 10,000 / 22 = 1363.6364
    assert table.loc[0, "per_10k"] == pytest.approx(1363.6364, abs=1e-4)
    # DP, both documents 11/22 = 0.5 of the corpus:
    #   peace 2 + 1: ½·(|2/3 − ½| + |1/3 − ½|) = ½·(1/6 + 1/6) = 1/6
    #   u.s. only in a: ½·(|1 − ½| + |0 − ½|) = ½;  putin 1 + 1: 0
    dp = table.set_index("term")["dp"]
    assert dp["peace"] == pytest.approx(1 / 6) and dp["u.s."] == pytest.approx(0.5) and dp["putin"] == pytest.approx(0)


def test_term_frequencies_min_count_and_top_n(tiny):
    assert term_frequencies(tiny, min_count=2)["term"].tolist() == ["peace", "talks", "putin"]
    assert term_frequencies(tiny, top_n=4)["term"].tolist() == ["peace", "talks", "putin", "ceasefire"]


def test_document_term_counts_tiny(tiny):
    table = document_term_counts(tiny)
    assert list(table.columns) == ["doc_id", "term", "count", "per_10k"]
    a = table[table["doc_id"] == "a"]
    # a: peace 2, talks 2, then the six single terms alphabetically
    assert a["term"].tolist() == ["peace", "talks", "envoy", "met", "putin", "resumed", "team", "u.s."]
    assert a["count"].tolist() == [2, 2, 1, 1, 1, 1, 1, 1]
    # per 10,000 words of the document: 2 · 10,000 / 11 = 1818.1818
    assert a["per_10k"].iloc[0] == pytest.approx(1818.1818, abs=1e-4)
    assert table["count"].sum() == 18
    assert table[table["doc_id"] == "b"]["term"].tolist() == ["ceasefire", "end", "failed", "peace", "putin", "said",
                                                              "talks", "war"]


def test_stemming_merges_word_forms():
    documents = pd.DataFrame({"doc_id": ["x"], "text": ["Negotiations, negotiating and a negotiation in the U.S."]})
    corpus = tokenize_documents(documents, FrequencyOptions(stem=True, min_count=1))
    table = term_frequencies(corpus).set_index("term")
    # negotiations, negotiating, negotiation → Snowball "negoti"; "u.s." is left alone
    assert table.loc["negoti", "count"] == 3
    assert table.loc["negoti", "forms"] == "negotiating|negotiation|negotiations"
    assert "u.s." in table.index
    # a stemmed query finds every form
    assert kwic(corpus, ["negotiate"])["keyword"].tolist() == ["Negotiations", "negotiating", "negotiation"]


# --- n-grams and collocations ----------------------------------------------------------------------------------

def test_ngrams_tiny(tiny):
    table = ngrams(tiny, ngram_range=(2, 3), min_count=1)
    assert list(table.columns) == ["ngram", "n", "count", "per_10k", "documents"]
    # Bigrams without stopwords, not across punctuation or line breaks:
    #   a: peace talks | u.s. envoy, envoy met, met putin, putin team | peace talks, talks resumed
    #   b: talks failed | putin said | (no ceasefire, no peace, end the, the war: stopword at an end)
    bigrams = table[table["n"] == 2]
    assert bigrams["ngram"].tolist() == ["peace talks", "envoy met", "met putin", "putin said", "putin team",
                                         "talks failed", "talks resumed", "u.s. envoy"]
    assert bigrams["count"].tolist() == [2, 1, 1, 1, 1, 1, 1, 1]
    assert bigrams["documents"].tolist() == [1] * 8
    # Trigrams may contain a stopword inside: "end the war"; "the u.s. envoy" starts with one.
    trigrams = table[table["n"] == 3]
    assert trigrams["ngram"].tolist() == ["end the war", "envoy met putin", "met putin team", "peace talks resumed",
                                          "u.s. envoy met"]
    # per_10k of "peace talks": 2 · 10,000 / 22 = 909.0909
    assert bigrams["per_10k"].iloc[0] == pytest.approx(909.0909, abs=1e-4)
    assert ngrams(tiny, ngram_range=(2, 2), min_count=2)["ngram"].tolist() == ["peace talks"]
    assert ngrams(tiny, ngram_range=(2, 3), top_n=1, min_count=1)["ngram"].tolist() == ["peace talks", "end the war"]


def test_collocations_tiny(tiny):
    table = collocations(tiny, min_count=2)
    assert table["collocation"].tolist() == ["peace talks"]
    row = table.iloc[0]
    assert (row["count"], row["word1_count"], row["word2_count"]) == (2, 3, 3)
    # PMI = log2(2 · 22 / (3 · 3)) = log2(4.888889) = 2.2895066
    assert row["pmi"] == pytest.approx(2.2895066, abs=1e-6)
    # t = (O − E) / √O, E = 3 · 3 / 22 = 0.4090909: (2 − 0.4090909) / 1.4142136 = 1.1249425
    assert row["t_score"] == pytest.approx(1.1249425, abs=1e-5)
    # G2 over the 2×2 table O = (2, 1, 1, 18), E = (9, 57, 57, 361) / 22:
    # 2 · (2 ln(2 / 0.4090909) + 2 · 1 ln(1 / 2.5909091) + 18 ln(18 / 16.4090909)) = 5.87113
    assert row["g2"] == pytest.approx(5.87113, abs=1e-5)
    full = collocations(tiny, min_count=1, sort_by="pmi")
    assert full["pmi"].is_monotonic_decreasing
    assert not set(full["word1"]) & load_stopwords() and not set(full["word2"]) & load_stopwords()



def test_ngrams_counted_a_document_at_a_time_add_up_over_merges(monkeypatch):
    # Chunks of one document hold 2, 2, 1 and 1 distinct bigrams (none across the semicolon): merged as they come
    # (the second with the first, the fourth with the third) and at the end, counts and documents add up.
    monkeypatch.setattr(freq, "_COUNT_CHUNK", 1)
    documents = pd.DataFrame({"doc_id": ["a", "b", "c", "d"],
                              "text": ["Peace talks resumed.", "Peace talks failed.", "Peace talks.",
                                       "Ceasefire; peace talks."]})
    table = ngrams(tokenize_documents(documents, FrequencyOptions(min_count=1)), (2, 2), min_count=1)
    rows = {row.ngram: (row.count, row.documents) for row in table.itertuples()}
    assert rows == {"peace talks": (4, 4), "talks resumed": (1, 1), "talks failed": (1, 1)}

def test_rows_are_sorted_alphabetically_by_integers_not_by_strings_as_wide_as_the_longest_memory():
    from newslens.frequency import _alphabetical

    keys = _alphabetical(pd.Series(["peace talks", "a" * 1_000 + " deal", "ceasefire deal", "Überblick"]))
    assert keys.tolist() == [2, 0, 1, 3]  # code point order: "a…" < "ceasefire" < "peace" < "Ü"
    assert keys.nbytes == 4 * 8  # as the strings themselves: 4 rows × 1,005 characters × 4 bytes

# --- distinctive terms -----------------------------------------------------------------------------------------

def test_distinctive_terms_g2_tiny(tiny):
    table = distinctive_terms(tiny, min_count=1)
    a = table[table["doc_id"] == "a"]
    # Over-used in a (c = 11, d = 11):
    #   envoy, met, resumed, team, u.s.: a=1, b=0 → E1 = 11·1/22 = 0.5, G² = 2·ln(1/0.5) = 1.3862944,
    #                                     log ratio = log2((1/11)/(0.5/11)) = 1
    #   peace, talks: a=2, b=1 → E1 = E2 = 1.5, G² = 2·(2·ln(4/3) + ln(2/3)) = 2·(0.5753641 − 0.4054651) = 0.3397980,
    #                                     log ratio = log2(2/1) = 1
    #   putin: a=1, b=1 → log ratio 0, not over-used
    assert a["term"].tolist() == ["envoy", "met", "resumed", "team", "u.s.", "peace", "talks"]
    assert a["rank"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert a["g2"].tolist() == pytest.approx([1.3862944] * 5 + [0.3397980] * 2, abs=1e-6)
    assert a["log_ratio"].tolist() == pytest.approx([1.0] * 7)
    assert a.iloc[0]["rest_count"] == 0 and a.iloc[5]["rest_count"] == 1
    # p-value of G² = 1.3862944 with 1 d.f.: P(χ² > 1.386) = 0.2390
    assert a.iloc[0]["p_value"] == pytest.approx(0.2390, abs=1e-4)
    top2 = distinctive_terms(tiny, min_count=1, top_n=2)
    assert top2["doc_id"].tolist() == ["a", "a", "b", "b"]
    assert top2["term"].tolist() == ["envoy", "met", "ceasefire", "end"]


def test_distinctive_term_parts_a_part_per_chunk_of_documents(tiny, tmp_path):
    parts = freq.distinctive_term_parts(tiny, min_count=1, top_n=2, folder=tmp_path)
    chunked = freq._ROWS_CHUNK == 1
    assert [len(part) for part in parts] == ([2, 2] if chunked else [4])  # top 2 of a, then of b
    assert parts.path == tmp_path / "distinctive_terms.parquet"
    pd.testing.assert_frame_equal(parts.whole(), distinctive_terms(tiny, min_count=1, top_n=2))
    # Cached: kept on disk as parts, read back without computing again.
    corpus = tokenize_documents(pd.DataFrame({"doc_id": ["a", "b"], "text": [TEXT_A, TEXT_B]}),
                                FrequencyOptions(min_count=1), cache_dir=tmp_path / "cache")
    first = freq.cached(corpus, freq.distinctive_term_parts, top_n=2)
    assert first.path.is_relative_to(tmp_path / "cache")
    assert first.whole()["term"].tolist() == ["envoy", "met", "ceasefire", "end"]
    again = freq.cached(corpus, freq.distinctive_term_parts, top_n=2)
    pd.testing.assert_frame_equal(again.whole(), first.whole())


def test_distinctive_terms_tfidf_tiny(tiny):
    table = distinctive_terms(tiny, min_count=1, by="tfidf")
    a = table[table["doc_id"] == "a"].set_index("term")
    # idf = ln((1 + 2)/(1 + df)) + 1: df=2 → 1; df=1 → ln(1.5) + 1 = 1.4054651
    # a: peace 2·1, talks 2·1, putin 1·1, five single terms 1.4054651 each
    #    norm = √(4 + 4 + 1 + 5·1.9753321) = √18.876661 = 4.3447280
    assert a.loc["peace", "tfidf"] == pytest.approx(2 / 4.3447280, abs=1e-6)
    assert a.loc["envoy", "tfidf"] == pytest.approx(1.4054651 / 4.3447280, abs=1e-6)
    assert table[table["doc_id"] == "a"]["term"].tolist()[:2] == ["peace", "talks"]
    # Same numbers as scikit-learn's TfidfTransformer defaults.
    sklearn = TfidfTransformer().fit_transform(tiny.counts).toarray()
    terms = {t: i for i, t in enumerate(tiny.terms)}
    for row in table.itertuples():
        assert row.tfidf == pytest.approx(sklearn[0 if row.doc_id == "a" else 1, terms[row.term]])


def test_distinctive_terms_needs_a_rest():
    documents = pd.DataFrame({"doc_id": ["a"], "text": [TEXT_A]})
    assert distinctive_terms(tokenize_documents(documents), min_count=1).empty


# --- keyness against general English ----------------------------------------------------------------------------

def test_keyness_against_wordfreq(tiny):
    table = keyness(tiny, min_count=1, absent_top=200).set_index("term")
    assert set(table.columns) >= {"count", "per_10k", "reference_per_10k", "reference_count", "g2", "p_value",
                                  "log_ratio", "direction", "reference"}
    assert table.loc["peace", "direction"] == "positive" and table.loc["peace", "reference"] == "word"
    # Frequent general-English words absent from the tiny corpus are negative keywords with count 0.
    negative = table[table["direction"] == "negative"]
    assert len(negative) > 0 and (negative["count"] == 0).all()
    ordered = keyness(tiny, min_count=1, absent_top=200)
    signed = np.where(ordered["direction"] == "positive", ordered["g2"], -ordered["g2"])
    assert (np.diff(signed) <= 1e-12).all()


def test_keyness_unknown_word_and_reference_size():
    documents = pd.DataFrame({"doc_id": ["x"], "text": ["Zqxvbrt zqxvbrt and full-scale talks."]})
    corpus = tokenize_documents(documents, FrequencyOptions(min_count=1))
    table = keyness(corpus, absent_top=0, reference_size=1e9).set_index("term")
    # 5 words (zqxvbrt, zqxvbrt, and, full-scale, talks); "zqxvbrt" unknown to wordfreq → reference 0 → 0.5:
    #   log ratio = log2((2/5)/(0.5/1e9)) = log2(8e8) = 29.575425
    #   G²: E1 = 5·2/(1e9 + 5) ≈ 1e-8; G² = 2·2·ln(2/1e-8) = 4·ln(2e8) = 4·19.113828 = 76.455313
    assert table.loc["zqxvbrt", "reference"] == "absent"
    assert table.loc["zqxvbrt", "log_ratio"] == pytest.approx(29.575425, abs=1e-5)
    assert table.loc["zqxvbrt", "g2"] == pytest.approx(76.455313, abs=1e-4)
    assert table.loc["full-scale", "reference"] == "estimated from parts"
    # The log ratio of a known word does not depend on the assumed reference size; G² does.
    small = keyness(corpus, absent_top=0, reference_size=1e7).set_index("term")
    assert small.loc["talks", "log_ratio"] == pytest.approx(table.loc["talks", "log_ratio"])
    assert small.loc["talks", "g2"] < table.loc["talks", "g2"]


# --- KWIC and dispersion ---------------------------------------------------------------------------------------

def test_kwic_tiny(tiny):
    table = kwic(tiny, ["Putin", "peace talks", "nothing"], width=2)
    assert list(table.columns) == ["doc_id", "query", "left", "keyword", "right", "position", "start", "end"]
    # "Putin’s" in a: word 6 (peace talks the u.s. envoy met PUTIN ...), characters 32–39
    # ("Peace talks.\n" = 13 characters, "The U.S. envoy met " = 19).
    first = table.iloc[0].to_dict()
    assert first == {"doc_id": "a", "query": "Putin", "left": "envoy met", "keyword": "Putin’s",
                     "right": "team; peace", "position": 6, "start": 32, "end": 39}
    second = table.iloc[1]
    assert (second["doc_id"], second["left"], second["keyword"], second["right"]) == \
        ("b", "Talks failed.", "Putin", "said: no")
    phrases = table[table["query"] == "peace talks"]
    assert phrases["keyword"].tolist() == ["Peace talks", "peace talks"]
    assert phrases["left"].tolist() == ["", "Putin’s team;"]
    assert "nothing" not in set(table["query"])


def test_kwic_max_lines_spreads_the_sample_over_the_corpus():
    documents = pd.DataFrame({"doc_id": list("vwxyz"), "text": ["Peace and peace."] * 5})
    corpus = tokenize_documents(documents, FrequencyOptions(min_count=1))
    # 10 occurrences, two per document (words 0 and 2); 4 lines: occurrences 0, 10//4 = 2, 20//4 = 5, 30//4 = 7,
    # i.e. the first of v, the first of w, the second of x, the second of y.
    sample = kwic(corpus, ["peace"], max_lines=4)
    assert list(zip(sample["doc_id"], sample["position"])) == [("v", 0), ("w", 0), ("x", 2), ("y", 2)]
    assert len(kwic(corpus, ["peace"], max_lines=10)) == len(kwic(corpus, ["peace"])) == 10


def test_dispersion_tiny(tiny):
    table = dispersion(tiny, ["putin"])
    # a: word 6 of 11 (corpus word 6); b: word 2 of 11 (talks failed PUTIN), corpus word 11 + 2 = 13
    assert table["doc_id"].tolist() == ["a", "b"]
    assert table["position"].tolist() == [6, 2]
    assert table["corpus_position"].tolist() == [6, 13]
    assert table["relative_position"].tolist() == pytest.approx([6 / 11, 2 / 11])
    # peace: words 0 and 8 of a (PEACE talks. ... team; PEACE talks resumed), word 7 of b (no PEACE!) = 11 + 7
    peace = dispersion(tiny, ["peace"])
    assert peace["position"].tolist() == [0, 8, 7] and peace["corpus_position"].tolist() == [0, 8, 18]


def test_dispersion_query_and_document_are_categories_of_what_occurs():
    documents = pd.DataFrame({"doc_id": ["z", "y", "x"], "text": ["Peace now, peace.", "No.", "Peace talks."]})
    corpus = tokenize_documents(documents, FrequencyOptions(min_count=1))
    table = dispersion(corpus, ["talks", "peace", "talks"])
    # talks: word 1 of x; peace: words 0 and 2 of z, word 0 of x; talks again. y has neither: not a category.
    assert table["query"].tolist() == ["talks", "peace", "peace", "peace", "talks"]
    assert table["query"].cat.categories.tolist() == ["talks", "peace"]
    assert table["doc_id"].tolist() == ["x", "z", "z", "x", "x"]
    assert table["doc_id"].cat.categories.tolist() == ["z", "x"]  # corpus order
    assert table["doc_index"].tolist() == [2, 0, 0, 2, 2] and table["position"].tolist() == [1, 0, 2, 0, 1]


def test_dispersion_makes_only_the_columns_asked_for(tiny):
    # putin: word 6 of a (corpus word 6), word 2 of b (corpus word 11 + 2): as in test_dispersion_tiny.
    table = dispersion(tiny, ["putin"], columns=["corpus_position", "query", "doc_id"])
    assert list(table.columns) == ["query", "doc_id", "corpus_position"]  # in the table's own order
    assert table["doc_id"].tolist() == ["a", "b"] and table["corpus_position"].tolist() == [6, 13]
    assert list(dispersion(tiny, ["putin"], columns=["relative_position"])["relative_position"]) == \
        pytest.approx([6 / 11, 2 / 11])
    with pytest.raises(ValueError, match="not a dispersion column: where"):
        dispersion(tiny, ["putin"], columns=["query", "where"])


# --- the seeds -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds(seed_corpus):
    return tokenize_documents(seed_corpus.documents, FrequencyOptions(min_count=1))


def test_seed_counts_by_hand(seeds):
    terms = term_frequencies(seeds).set_index("term")
    # "ceasefire", read in the seeds: 000 twice ("unconditional ceasefire... ready for a ceasefire"); 001 three
    # times in the file, but its title line is repeated under "Publication date" and cleaning keeps one copy, so
    # twice (title, "an unconditional ceasefire"); 004 once ("a possible ceasefire") → 5 in 3 documents.
    assert terms.loc["ceasefire", "count"] == 5
    assert terms.loc["ceasefire", "documents"] == 3
    # "Witkoff": 002 has it 5 times in the file, but its body is repeated and counts once: "envoy Steve Witkoff",
    # "between Witkoff and Putin", "Witkoff is expected" → 3; 003: "Steve Witkoff", "envoy, Witkoff,",
    # "whether Witkoff" → 3. Total 6 in 2 documents. "Vitkoff" (003, a misspelling) is another term, once.
    assert terms.loc["witkoff", "count"] == 6
    assert terms.loc["witkoff", "documents"] == 2
    assert terms.loc["vitkoff", "count"] == 1
    per_doc = document_term_counts(seeds)
    witkoff = per_doc[per_doc["term"] == "witkoff"]
    assert dict(zip(witkoff["doc_id"], witkoff["count"])) == {"002_5da2c3bbd95e10c4": 3, "003_412d1c09e69c2b39": 3}


def test_seed_possessives_and_us(seeds):
    terms = term_frequencies(seeds).set_index("term")
    # Possessives merge with the name; "US"/"U.S." is "u.s.", never the stopword "us".
    assert "putin's" not in terms.index and "putin’s" not in terms.index and "russia's" not in terms.index
    assert "u.s." in terms.index and "us" not in terms.index
    # Hyphenated words stay whole (003: "full-scale invasion", "28-point peace plan", 002: "son-in-law").
    assert {"full-scale", "28-point", "son-in-law"} <= set(terms.index)
    # Numbers are not terms ("23 November", "701 sq km", "2022").
    assert not any(term[0].isdigit() and "-" not in term for term in terms.index)


def test_seed_kwic_and_dispersion_agree_with_counts(seeds):
    lines = kwic(seeds, ["ceasefire", "witkoff"])
    assert (lines["query"] == "ceasefire").sum() == 5 and (lines["query"] == "witkoff").sum() == 6
    assert lines[lines["query"] == "witkoff"]["keyword"].unique().tolist() == ["Witkoff"]
    assert len(dispersion(seeds, ["ceasefire"])) == 5


def test_corpus_tables_do_not_depend_on_document_order(seed_corpus):
    # Ties are broken alphabetically, so corpus-wide tables are the same whatever the order of the documents.
    forward = tokenize_documents(seed_corpus.documents, FrequencyOptions(min_count=2))
    backward = tokenize_documents(seed_corpus.documents.iloc[::-1], FrequencyOptions(min_count=2))
    for function in (term_frequencies, ngrams, collocations, keyness):
        pd.testing.assert_frame_equal(function(forward), function(backward))
    by_doc = distinctive_terms(forward).sort_values(["doc_id", "rank"], ignore_index=True)
    pd.testing.assert_frame_equal(by_doc, distinctive_terms(backward).sort_values(["doc_id", "rank"], ignore_index=True))
    # "peace plan": 12 times in the seeds, the strongest collocation
    assert collocations(forward)["collocation"].iloc[0] == "peace plan"


def test_bad_input_is_reported():
    with pytest.raises(ValueError, match="doc_id"):
        tokenize_documents(pd.DataFrame({"text": ["x"]}))
    with pytest.raises(ValueError, match="unique"):
        tokenize_documents(pd.DataFrame({"doc_id": ["a", "a"], "text": ["x", "y"]}))
    empty = tokenize_documents(pd.DataFrame({"doc_id": ["a"], "text": [""]}))
    assert term_frequencies(empty).empty and ngrams(empty).empty and collocations(empty).empty
    assert distinctive_terms(empty).empty and keyness(empty).empty and document_term_counts(empty).empty
    assert kwic(empty, ["x"]).empty and dispersion(empty, ["x"]).empty


# --- figures ---------------------------------------------------------------------------------------------------

def test_figures_are_drawn_from_the_tables(seeds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from newslens.frequency_plots import (plot_dispersion, plot_distinctive_terms, plot_keyness, plot_top_ngrams,
                                          plot_top_terms, plot_word_cloud)

    terms = term_frequencies(seeds)
    figures = [
        plot_top_terms(terms, top_n=10), plot_top_ngrams(ngrams(seeds, min_count=2)),
        plot_distinctive_terms(distinctive_terms(seeds, top_n=5, min_count=2)),
        plot_keyness(keyness(seeds, top_n=5, min_count=2, absent_top=500)),
        plot_dispersion(dispersion_ticks(seeds, ["putin", "witkoff"]), seeds), plot_word_cloud(terms, top_n=30),
        plot_top_terms(terms.head(0)), plot_dispersion(dispersion_ticks(seeds, []), seeds),
    ]
    assert all(isinstance(fig, Figure) for fig in figures)
    assert [t.get_text() for t in figures[0].axes[0].get_yticklabels()][:3] == terms["term"].head(3).tolist()
    for fig in figures:
        plt.close(fig)


def test_dispersion_ticks_merge_only_beyond_the_plots_resolution():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from newslens.frequency_plots import plot_dispersion

    assert freq.DISPERSION_TICKS == 2_400
    # One 3,000-word document: "rare" at words 5, 700 and 2999, "dense" at every other word. dense occurs 2,997
    # times (> 2,400): word p falls in stretch p·2400 // 3000 = floor(0.8·p), and every stretch 0..2399 holds a
    # dense word except 2399 (words 2998.75 .. 3000: only word 2999, which is rare; stretch 4 still has word 6 and
    # stretch 560 word 701) → 2,399 ticks, the first at (0 + 0.5)·3000/2400 = 0.625. rare: drawn where it is.
    words = ["rare" if p in (5, 700, 2999) else "dense" for p in range(3000)]
    corpus = tokenize_documents(pd.DataFrame({"doc_id": ["d"], "text": [" ".join(words)]}),
                                FrequencyOptions(min_count=1))
    ticks = freq.dispersion_ticks(corpus, ["dense", "rare", "dense"])
    dense, rare = ticks[ticks["query"] == "dense"], ticks[ticks["query"] == "rare"]
    assert ticks["query"].cat.categories.tolist() == ["dense", "rare"]
    assert len(dense) == 2399 and dense["corpus_position"].iloc[0] == pytest.approx(0.625)
    assert dense["occurrences"].sum() == 2997 and dense["occurrences"].iloc[0] == 2  # words 0 and 1
    assert rare["corpus_position"].tolist() == [5, 700, 2999] and rare["occurrences"].tolist() == [1, 1, 1]
    fig = plot_dispersion(ticks, corpus)
    dense_line, rare_line = fig.axes[0].lines
    assert len(dense_line.get_xdata()) == 2399 and list(rare_line.get_xdata()) == [5, 700, 2999]
    assert "drawn as one tick" in fig.axes[0].get_xlabel()
    plt.close(fig)
    fig = plot_dispersion(rare, corpus)
    assert "drawn as one tick" not in fig.axes[0].get_xlabel()
    plt.close(fig)


def test_dispersion_ticks_tiny(tiny):
    # peace at corpus words 0, 8, 18 (as in test_dispersion_tiny), putin at 6 and 13; 22 words. With 2 ticks at
    # most, peace (3) is merged: stretches 0·2//22 = 0, 16//22 = 0, 36//22 = 1 → ticks at 0.5·11 = 5.5 (2
    # occurrences) and 1.5·11 = 16.5 (1); putin (2) is not. "zebra" does not occur: a category without ticks.
    ticks = freq.dispersion_ticks(tiny, ["peace", "putin", "zebra"], max_ticks=2)
    assert ticks["query"].tolist() == ["peace", "peace", "putin", "putin"]
    assert ticks["query"].cat.categories.tolist() == ["peace", "putin", "zebra"]
    assert ticks["corpus_position"].tolist() == [5.5, 16.5, 6, 13] and ticks["occurrences"].tolist() == [2, 1, 1, 1]


def test_dispersion_by_document_tiny(tiny):
    # peace: words 0 and 8 of a, word 7 of b; putin: word 6 of a, word 2 of b; both documents have 11 words.
    table = freq.dispersion_by_document(tiny, ["peace", "putin", "peace"])
    assert table["query"].tolist() == ["peace", "peace", "putin", "putin"]
    assert table["doc_id"].tolist() == ["a", "b", "a", "b"] and table["doc_id"].cat.categories.tolist() == ["a", "b"]
    assert table["doc_id"].cat.categories.dtype == object  # the corpus's names themselves: the table is never cached
    assert table["occurrences"].tolist() == [2, 1, 1, 1]
    assert table["first_at"].tolist() == pytest.approx([0, 7 / 11, 6 / 11, 2 / 11])
    assert table["last_at"].tolist() == pytest.approx([8 / 11, 7 / 11, 6 / 11, 2 / 11])
    assert freq.dispersion_by_document(tiny, ["zebra"]).empty


def test_word_cloud_svg_is_vector_text_with_article_words_escaped(tmp_path):
    import xml.etree.ElementTree as ET

    from newslens.frequency_plots import plot_word_cloud
    from newslens.plots import save_figure

    payloads = ["<script>alert(1)</script>", "&amp;", '"onload=alert(1)', "]]><svg onload=x>",
                "--><script>x</script>", "$x^2$", "peace"]
    terms = pd.DataFrame({"term": payloads, "count": [9, 8, 7, 6, 5, 4, 3]})
    fig = plot_word_cloud(terms)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(payloads)  # every word, drawn as written
    first, second = save_figure(fig, "a", tmp_path), save_figure(plot_word_cloud(terms), "b", tmp_path)
    raw = first.svg.read_bytes()
    assert raw == second.svg.read_bytes()  # the same table gives the same bytes
    elements = list(ET.fromstring(raw).iter())  # well-formed: no word closed a tag or a comment
    tags = {element.tag.rsplit("}", 1)[-1] for element in elements}
    assert tags.isdisjoint({"script", "image", "foreignObject", "iframe", "object", "embed", "a"}), tags
    assert "path" in tags and "use" in tags  # glyph outlines, placed once per character
    attributes = [(name, value) for element in elements for name, value in element.attrib.items()]
    assert not [name for name, _ in attributes if name.rsplit("}", 1)[-1].lower().startswith("on")]
    assert not [value for _, value in attributes if "javascript:" in value.lower() or "data:" in value.lower()]
    assert b"<script" not in raw and b"<svg onload" not in raw


def test_frequency_module_imports_neither_scikit_learn_nor_scipy_stats():
    # A fresh process: NLTK's optional scikit-learn and scipy.stats parts stay out (newslens.text.import_nltk), and
    # the p-values come from scipy.special: chi2.sf(3.841459, df=1) = 0.05 (the 95% critical value of χ²(1)).
    script = ("import sys\n"
              "from newslens import frequency\n"
              "print('sklearn' in sys.modules, 'scipy.stats' in sys.modules, round(float(frequency._p_value(3.841459)), 6))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.split() == ["False", "False", "0.05"]
