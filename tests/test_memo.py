"""Memories of what was found in each sentence, on disk: kept by digest and packed, forgotten least recently used
first past their limit, shared between processes through their file."""
import sqlite3

import pytest

from newslens.memo import PackedStore, SentenceMemo
from newslens.text import text_digest


def _pair(item):
    return item


def test_sentence_memo_keeps_sentences_by_digest_and_items_packed(tmp_path):
    path = tmp_path / "memo.sqlite"
    with SentenceMemo("=ii", _pair, tuple, path) as memo:
        memo.update([("Kallas spoke.", [(0, 6), (7, 12)]), ("Nothing here.", [])])
        memo["Rubio left."] = [(0, 5)]
        assert len(memo) == 3 and "Kallas spoke." in memo and "Kallas spoke" not in memo
        assert memo["Kallas spoke."] == [(0, 6), (7, 12)] and memo["Nothing here."] == []
    # Packed: two records of two 4-byte integers; no sentence text is kept, only its 32-byte digest.
    with sqlite3.connect(path) as db:
        [(packed,)] = db.execute("SELECT packed FROM memo WHERE digest = ?", (text_digest("Kallas spoke."),))
    assert packed == bytes([0, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 12, 0, 0, 0])
    assert b"Kallas" not in path.read_bytes()
    with SentenceMemo("=ii", _pair, tuple, path) as again:  # opened again, as the next process does
        assert again["Rubio left."] == [(0, 5)] and len(again) == 3


def test_a_full_store_forgets_the_entries_used_least_recently_first(tmp_path):
    path = tmp_path / "store.sqlite"
    with PackedStore(path, limit=8) as store:
        for name in (b"a", b"b", b"c"):
            store.put(name * 32, name, 2)  # 6 items
        assert store.get(b"a" * 32) == b"a"  # "a" is now the most recently used; "b" the least
        store.put(b"c" * 32, b"cc", 3)  # replaced: 7 items, "c" the most recent
        assert len(store) == 7
    with PackedStore(path, limit=8) as store:  # the order of use is kept in the file
        store.put(b"d" * 32, b"d", 2)  # 9 > 8: forget the oldest until 6 (3/4 of 8) are left: b (2), then a (2)
        assert store.get(b"b" * 32) is None and store.get(b"a" * 32) is None
        assert len(store) == 5 and store.get(b"c" * 32) == b"cc" and store.get(b"d" * 32) == b"d"


def test_a_sentence_memo_past_its_limit_forgets_and_a_missing_sentence_is_a_key_error(tmp_path):
    with SentenceMemo("=i", _pair, tuple, limit=4) as memo:  # a temporary file
        for number in range(5):
            memo[f"Sentence {number}."] = [(number,)]
        # 5 > 4: the two oldest forgotten (3 = 3/4 of 4 left).
        assert len(memo) == 3 and "Sentence 0." not in memo and "Sentence 1." not in memo
        assert memo["Sentence 4."] == [(4,)]
        with pytest.raises(KeyError, match="Sentence 0"):
            memo["Sentence 0."]
