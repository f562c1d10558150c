"""Sentence splitting and word forms (newslens.text), offline."""
import os
import subprocess
import sys

import pytest
from nltk.tokenize import RegexpTokenizer

from conftest import SEEDS
from newslens.text import (TOKEN_PATTERN, normalize_token, sentence_spans, sentences, token_spans, tokens,
                           word_forms, word_spans)


# --- sentences -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("The U.S. envoy met Mr. Putin. He left.", ["The U.S. envoy met Mr. Putin.", "He left."]),
    ("Officials from the U.K. and U.S. met on Sunday. Later, they left.",
     ["Officials from the U.K. and U.S. met on Sunday.", "Later, they left."]),
    ("J. D. Vance spoke to Dr. Smith on Jan. 5. Then he left.",
     ["J. D. Vance spoke to Dr. Smith on Jan. 5.", "Then he left."]),
    ('He said: "We are ready." Russia disagreed.', ['He said: "We are ready."', "Russia disagreed."]),
    ('"Really?" she asked. Nobody answered.', ['"Really?" she asked.', "Nobody answered."]),
    ('"Peace now!" he shouted.', ['"Peace now!" he shouted.']),
    ("It costs $1.5 billion. Done.", ["It costs $1.5 billion.", "Done."]),
    ("At 3 p.m. the talks began.", ["At 3 p.m. the talks began."]),
    # Headlines and list items have no final period: a line break always ends a sentence.
    ("Talks held – Kremlin position unchanged\n\nFive-hour talks ended.",
     ["Talks held – Kremlin position unchanged", "Five-hour talks ended."]),
    ("What preceded this?\n- On Sunday, talks began\n- Later, Rubio spoke",
     ["What preceded this?", "- On Sunday, talks began", "- Later, Rubio spoke"]),
])
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_sentence_spans_are_offsets_into_the_text():
    text = "  First one. Second one.\n\n Third "
    spans = sentence_spans(text)
    assert spans == [(2, 12), (13, 24), (27, 32)]
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one.", "Third"]


def test_empty_text_has_no_sentences_or_words():
    assert sentences("") == [] and sentences(" \n\n ") == []
    assert word_spans("") == [] and tokens("") == [] and word_forms("") == []


def test_word_spans_unchanged():
    # Other modules rely on word_spans: letters first, hyphens/apostrophes inside, numbers are not words.
    text = "Putin's full-scale 2022 war"
    assert [text[s:e] for s, e in word_spans(text)] == ["Putin's", "full-scale", "war"]


# --- word forms ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token, form", [
    ("Ceasefire", "ceasefire"),
    ("Putin’s", "putin"),           # curly apostrophe, possessive dropped
    ("Russia's", "russia"),
    ("don’t", "don't"),             # contraction kept whole, apostrophe straightened
    ("U.S.", "u.s."),
    ("US", "u.s."),                 # the country ...
    ("us", "us"),                   # ... never the pronoun
    ("Us", "us"),
    ("US's", "u.s."),
    ("US-drafted", "u.s.-drafted"),
    ("U.S.-backed", "u.s.-backed"),
    ("UK", "uk"),
    ("full-scale", "full-scale"),
    ("son-in-law", "son-in-law"),
    ("28-point", "28-point"),
    ("G7", "g7"),
    ("2022", None), ("2nd", None), ("1990s", None), ("701", None),
    (",", None), ("—", None), ("\n", None), ('"', None),
])
def test_normalize_token(token, form):
    assert normalize_token(token) == form


def test_word_forms_of_a_messy_sentence():
    text = ("The U.S.-backed 28-point plan, Putin’s demands (2nd of December, 2022) — a full-scale war; "
            "let us see. US-drafted e.g. R.US")
    assert word_forms(text) == [
        "the", "u.s.-backed", "28-point", "plan", "putin", "demands", "of", "december", "a", "full-scale", "war",
        "let", "us", "see", "u.s.-drafted", "e.g.", "r", "u.s.",
    ]


def test_punctuation_and_line_breaks_are_tokens():
    # Punctuation runs and line breaks are kept as tokens (breaks for phrase counting), words keep their offsets.
    text = 'Peace "now".\nTalks'
    assert tokens(text) == ["Peace", '"', "now", '".', "\n", "Talks"]
    assert [text[s:e] for s, e in token_spans(text)] == tokens(text)


def test_tokens_equal_nltk_regexp_tokenizer_on_the_seeds():
    tokenizer = RegexpTokenizer(TOKEN_PATTERN)
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert tokens(text) == tokenizer.tokenize(text), path.name


def test_line_sentence_spans_splits_only_the_lines_asked_for():
    from newslens.text import line_sentence_spans

    text = "A first line. It has two sentences.\nA second line.\nA third line. With two."
    # spans inside lines 1 and 3: their sentences, in order; line 2 is not split
    assert [text[s:e] for s, e in line_sentence_spans(text, [(60, 62), (2, 5)])] == [
        "A first line.", "It has two sentences.", "A third line.", "With two."]
    assert line_sentence_spans(text, []) == []


def test_split_sentences_in_workers_are_remembered(monkeypatch):
    from newslens import text as tx

    texts = ["One. Two? Three!", "A line\nand another. End.", "One. Two? Three!", ""]
    monkeypatch.setattr(tx, "_split_memo", {})
    monkeypatch.setattr(tx, "_packed_memo", [])
    monkeypatch.setattr(tx, "SPLIT_PARALLEL_CHARS", 0)  # worker processes whatever the amount of text
    monkeypatch.setattr(tx, "_SPLIT_CHUNK", 1)
    monkeypatch.setattr(tx, "_SPLIT_BATCH", 2)  # two batches: the repeat falls in the second
    tx._sentence_spans.cache_clear()
    tx.split_sentences(texts, jobs=2)
    assert len(tx._split_memo) == 3  # the repeated text is split once
    monkeypatch.setattr(tx, "_punkt_spans", lambda text: (_ for _ in ()).throw(AssertionError("split again")))
    assert tx.sentence_spans(texts[0]) == [(0, 4), (5, 9), (10, 16)]
    assert tx.sentence_spans(texts[1]) == [(0, 6), (7, 19), (20, 24)]  # a line break ends a sentence
    assert tx.sentence_spans("") == []
    tx._sentence_spans.cache_clear()


def test_remembered_splits_go_to_another_memory(monkeypatch):
    from newslens import text as tx

    monkeypatch.setattr(tx, "_split_memo", {})
    monkeypatch.setattr(tx, "_packed_memo", [])
    tx._sentence_spans.cache_clear()
    tx.split_sentences(["One. Two? Three!", "Never split."])
    found = tx.remembered_splits(["One. Two? Three!", "Not split before."])
    assert found.digests() == [tx.text_digest("One. Two? Three!")]  # only the text split before
    assert found.get(tx.text_digest("One. Two? Three!")).tolist() == [0, 4, 5, 9, 10, 16]
    assert found.get(tx.text_digest("Not split before.")) is None
    monkeypatch.setattr(tx, "_split_memo", {})  # as in another process
    monkeypatch.setattr(tx, "_packed_memo", [])
    tx._sentence_spans.cache_clear()
    tx.remember_splits(found)
    monkeypatch.setattr(tx, "_punkt_spans", lambda text: (_ for _ in ()).throw(AssertionError("split again")))
    assert tx.sentence_spans("One. Two? Three!") == [(0, 4), (5, 9), (10, 16)]
    tx._sentence_spans.cache_clear()


def test_packed_splits_find_every_text_and_only_those():
    from newslens import text as tx

    found = {tx.text_digest(f"Text {number}."): tx.array("l", [0, number, number + 1, 2 * number + 3])
             for number in range(1, 200)}
    # Two digests that share their first 8 bytes: the search goes on to the whole digest.
    twin_a, twin_b = b"\x00" * 8 + b"a" * 24, b"\x00" * 8 + b"b" * 24
    found[twin_a], found[twin_b] = tx.array("l", [1, 2]), tx.array("l", [])
    packed = tx.PackedSplits(found)
    assert len(packed) == 201 and packed.digests() == sorted(found)
    assert tx.PackedSplits({}).get(twin_a) is None
    assert packed.get(tx.text_digest("Text 7.")).tolist() == [0, 7, 8, 17]
    assert packed.get(twin_a).tolist() == [1, 2] and packed.get(twin_b).tolist() == []
    assert packed.get(b"\x00" * 8 + b"c" * 24) is None and packed.get(tx.text_digest("Text 200.")) is None


def test_splits_handed_over_are_forgotten_oldest_first(monkeypatch):
    from newslens import text as tx

    monkeypatch.setattr(tx, "_packed_memo", [])
    monkeypatch.setattr(tx, "SENTENCE_MEMO_TEXTS", 3)
    first = tx.PackedSplits({tx.text_digest("A."): tx.array("l", [0, 2]), tx.text_digest("B."): tx.array("l", [0, 2])})
    second = tx.PackedSplits({tx.text_digest("C. D."): tx.array("l", [0, 2, 3, 5])})
    tx.remember_splits(first)
    tx.remember_splits(second)
    assert tx._packed_memo == [first, second]  # 3 texts: all kept
    tx.remember_splits(second)
    assert tx._packed_memo == [second, second]  # 5 texts: the oldest goes
    large = tx.PackedSplits({tx.text_digest(f"{n}."): tx.array("l", [0, 2]) for n in range(5)})
    tx.remember_splits(large)
    assert tx._packed_memo == [large]  # more than the bound alone: the newest is kept all the same


def test_sentence_memory_keeps_the_newest_texts(monkeypatch):
    from newslens import text as tx

    monkeypatch.setattr(tx, "_split_memo", {})
    monkeypatch.setattr(tx, "_packed_memo", [])
    monkeypatch.setattr(tx, "SENTENCE_MEMO_TEXTS", 2)
    tx._sentence_spans.cache_clear()
    for text in ("First one.", "Second one.", "Third one. Yes."):
        tx.sentence_spans(text)
    assert list(tx._split_memo.values()) == [tx.array("l", [0, 11]), tx.array("l", [0, 10, 11, 15])]
    tx._sentence_spans.cache_clear()


def test_flat_spans_and_back():
    from newslens.text import flat_spans, paired_spans

    flat = flat_spans([(0, 13), (14, 34)])
    assert list(flat) == [0, 13, 14, 34]
    assert paired_spans(flat) == ((0, 13), (14, 34))
    assert paired_spans(flat_spans([])) == ()


def test_sentences_and_vader_without_scikit_learn_or_scipy():
    # A fresh process: splitting sentences and scoring with VADER import NLTK without scikit-learn and SciPy, which
    # can still be imported afterwards; the split is the one expected.
    script = (
        "import sys\n"
        "from newslens.text import sentence_spans\n"
        "from newslens.sentiment import score_targets\n"
        "spans = sentence_spans('Mr. Smith left. He came back!')\n"
        "label = score_targets([('Kallas praised the good deal.', 0, 6)], method='vader')['label'].iloc[0]\n"
        "print(spans, label, 'nltk' in sys.modules, 'sklearn' in sys.modules, 'scipy' in sys.modules)\n"
        "import scipy.stats, sklearn\n"
        "print(sys.modules['sklearn'] is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.splitlines() == ["[(0, 15), (16, 29)] positive True False False", "True"]


def test_texts_split_here_are_packed_in_blocks_and_still_found(monkeypatch):
    from newslens import text as tx

    monkeypatch.setattr(tx, "_split_memo", {})
    monkeypatch.setattr(tx, "_packed_memo", [])
    monkeypatch.setattr(tx, "PACK_TEXTS", 2)
    tx._sentence_spans.cache_clear()
    texts = ["First one.", "Second one. Yes.", "Third."]
    tx.split_sentences(texts)
    # The first two went into one packed block when the second was remembered; the third waits for the next.
    assert [len(packed) for packed in tx._packed_memo] == [2] and len(tx._split_memo) == 1
    tx._sentence_spans.cache_clear()
    monkeypatch.setattr(tx, "_punkt_spans", lambda text: (_ for _ in ()).throw(AssertionError("split again")))
    assert [tx.sentence_spans(text) for text in texts] == [[(0, 10)], [(0, 11), (12, 16)], [(0, 6)]]
    tx._sentence_spans.cache_clear()


def test_texts_split_with_a_folder_are_packed_in_mapped_files_and_sent_by_value(monkeypatch, tmp_path):
    import mmap
    import pickle

    import numpy as np

    from newslens import text as tx

    monkeypatch.setattr(tx, "_split_memo", {})
    monkeypatch.setattr(tx, "_packed_memo", [])
    monkeypatch.setattr(tx, "PACK_TEXTS", 2)
    tx._sentence_spans.cache_clear()
    texts = ["First one.", "Second one. Yes.", "Third."]
    tx.split_sentences(texts, folder=tmp_path / "mapped")
    (block,) = tx._packed_memo
    # Every array of the block is over a mapped file (numpy's base chain ends in a view of the mapping), none in
    # the heap.
    for values in (block._keys, block._prefixes, block._bounds, block._flat):
        base = values
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)
    assert block.get(tx.text_digest("Second one. Yes.")).tolist() == [0, 11, 12, 16]
    sent = pickle.loads(pickle.dumps(block))  # to another process: by value
    assert sent.digests() == block.digests() and sent.get(tx.text_digest("First one.")).tolist() == [0, 10]
    tx._sentence_spans.cache_clear()
    monkeypatch.setattr(tx, "_punkt_spans", lambda text: (_ for _ in ()).throw(AssertionError("split again")))
    assert [tx.sentence_spans(text) for text in texts] == [[(0, 10)], [(0, 11), (12, 16)], [(0, 6)]]
    tx._sentence_spans.cache_clear()
