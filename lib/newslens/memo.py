"""What was found in each distinct sentence, remembered on disk so that a sentence repeated across a corpus (wire
copy, boilerplate) is parsed or scored once, in bounded memory.

Public surface:
    PackedStore(path=None, limit=...)              bytes by digest in an SQLite file, least recently used forgotten
    OnStore(path=None, limit=...)                  the base of a memory on a PackedStore: len, close, ``with``
    SentenceMemo(record, encode, decode, path=None, limit=SENTENCE_MEMO_SENTENCES)
                                                   sentence -> the items a parse found in it, packed

Why a database and not a dict: the memories of a large corpus grow with its distinct sentences. Held in memory they
were a tax on every process that used them: the two score memories (``sentiment.ScoreMemo``, 100,000 pairs each)
took 24 MB of every part of notebook 02's tone at 100,000 articles (measured: 28 MB more VmHWM, unpickled), and the
parse memories, unbounded, 38.6 MB for the 229,911 distinct sentences of the 100,000-article benchmark corpus, which
repeats its sentences; a real corpus of that size has millions. In an SQLite file (Python's standard library, one
process at a time) a memory takes SQLite's page cache (about 2 MB) whatever it holds, passes from process to process
as a path, and can be large enough that a corpus's repeated sentences are all remembered.
"""
from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

from newslens.text import text_digest

# Sentences a ``SentenceMemo`` keeps by default: about 100 bytes each on disk (measured: 95 with no item, 115 with two
# entities; 230 MB at most), and no memory.
SENTENCE_MEMO_SENTENCES = 2_000_000
# Writes between two commits: a transaction per write took 4.2 times as long (50,000 new sentences of a ScoreMemo:
# 3.6 s against 0.84).
_COMMIT_WRITES = 5_000


class PackedStore:
    """Packed bytes by digest (``text.text_digest``) in an SQLite database, each entry weighing a number of items
    (the pairs or the sentence it holds); past ``limit`` items, the entries used least recently are forgotten until
    a quarter of the room is free again.

    Parameters
    ----------
    path : str or Path, optional
        The database file, created if missing, kept after ``close`` (another process opens it with the same
        path: one process at a time). None: a private temporary file, deleted on ``close``; SQLite keeps it in its
        page cache until that is full.
    limit : int
        Items kept at most.
    """

    def __init__(self, path: str | Path | None = None, limit: int = SENTENCE_MEMO_SENTENCES):
        self.limit = limit
        # No journal and no syncing: a memory is a scratch file of one run, never the only copy of a result.
        self._db = sqlite3.connect("" if path is None else str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS memo (digest BLOB PRIMARY KEY, used INTEGER NOT NULL, "
                         "items INTEGER NOT NULL, packed BLOB NOT NULL) WITHOUT ROWID")
        self._db.execute("CREATE INDEX IF NOT EXISTS memo_by_use ON memo (used)")
        self._items, self._clock = self._db.execute(
            "SELECT coalesce(sum(items), 0), coalesce(max(used), 0) FROM memo").fetchone()
        self._writes = 0

    def __len__(self) -> int:
        """The items kept."""
        return self._items

    def __contains__(self, digest: bytes) -> bool:
        return self._db.execute("SELECT 1 FROM memo WHERE digest = ?", (digest,)).fetchone() is not None

    def get(self, digest: bytes) -> bytes | None:
        """The bytes kept for ``digest`` (None: none), which becomes the most recently used."""
        found = self._db.execute("SELECT packed FROM memo WHERE digest = ?", (digest,)).fetchone()
        if found is None:
            return None
        self._write("UPDATE memo SET used = ? WHERE digest = ?", (self._tick(), digest))
        return found[0]

    def put(self, digest: bytes, packed: bytes, items: int) -> None:
        """Keep ``packed`` (``items`` items) for ``digest``, replacing what was kept, as the most recently used."""
        old = self._db.execute("SELECT items FROM memo WHERE digest = ?", (digest,)).fetchone()
        self._items += items - (old[0] if old else 0)
        self._write("INSERT OR REPLACE INTO memo VALUES (?, ?, ?, ?)", (digest, self._tick(), items, packed))
        if self._items > self.limit:
            self._forget(self.limit * 3 // 4)

    def close(self) -> None:
        """Commit and close (a temporary database is deleted)."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._db.close()

    def __enter__(self) -> PackedStore:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _write(self, statement: str, values: tuple) -> None:
        # Writes are grouped in transactions of _COMMIT_WRITES; reads see them before the commit.
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        self._db.execute(statement, values)
        self._writes += 1
        if self._writes % _COMMIT_WRITES == 0:
            self._db.execute("COMMIT")

    def _forget(self, goal: int) -> None:
        # The oldest first, until ``goal`` items are left: every entry used no later than the last one to go.
        last, oldest = None, self._db.execute("SELECT used, items FROM memo ORDER BY used")
        for used, items in oldest:
            if self._items <= goal:
                break
            self._items -= items
            last = used
        oldest.close()
        if last is not None:
            self._write("DELETE FROM memo WHERE used <= ?", (last,))


class OnStore:
    """A memory kept in a ``PackedStore`` (at ``path``; None: a temporary file) of at most ``limit`` items: ``len``
    (the items kept), ``close`` (what is kept written; a temporary file deleted) or ``with``."""

    def __init__(self, path: str | Path | None, limit: int):
        self._store = PackedStore(path, limit)

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        self._store.close()

    def __enter__(self):
        return self

    def __exit__(self, *_) -> None:
        self.close()


class SentenceMemo(OnStore):
    """What a parse found in each sentence (a list of items), remembered so that a sentence repeated across a corpus
    is parsed once: a dict-like memo, ``sentence in memo``, ``memo[sentence]``, ``memo[sentence] = items``,
    ``update``, ``len``, and ``close`` (or ``with``).

    A sentence is kept by its digest (``text.text_digest``) in a ``PackedStore`` (at ``path``; None: a temporary
    file), its items as one bytes object: each item is turned into a tuple of integers by ``encode``, packed with
    the ``struct`` format ``record``, and turned back by ``decode``. Past ``limit`` sentences, those used least
    recently are forgotten (and parsed again if met again).
    """

    def __init__(self, record: str, encode: Callable[[object], tuple], decode: Callable[[tuple], object],
                 path: str | Path | None = None, limit: int = SENTENCE_MEMO_SENTENCES):
        self.record, self.encode, self.decode = record, encode, decode
        super().__init__(path, limit)

    def __contains__(self, sentence: str) -> bool:
        return text_digest(sentence) in self._store

    def __getitem__(self, sentence: str) -> list:
        packed = self._store.get(text_digest(sentence))
        if packed is None:
            raise KeyError(sentence)
        return [self.decode(values) for values in struct.iter_unpack(self.record, packed)]

    def __setitem__(self, sentence: str, items: Iterable) -> None:
        packed = b"".join(struct.pack(self.record, *self.encode(item)) for item in items)
        self._store.put(text_digest(sentence), packed, 1)

    def update(self, pairs: Iterable[tuple[str, Iterable]]) -> None:
        for sentence, items in pairs:
            self[sentence] = items
