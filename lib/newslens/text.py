"""Sentence splitting and word tokens, offline.

Sentences come from NLTK's Punkt algorithm with a fixed, shipped set of English abbreviations (no trained model is
downloaded, so results never depend on a user's ``~/nltk_data``). Paragraph and line breaks always end a sentence:
scraped news puts headlines, bylines and bullet points on lines of their own, without final punctuation.

Public surface:
    sentence_spans(text) -> list[(start, end)]       character offsets into ``text``
    split_sentences(texts, jobs=1)                    split many texts at once (worker processes), remembered
    remembered_splits(texts) -> PackedSplits / remember_splits(packed)   those remembered, to hand to another
                                                      process, and taken there
    flat_spans(spans) -> array / paired_spans(flat)   spans as one compact array (start, end, start, ...) and back
    text_digest(text) -> bytes                        sha256 of a text, 32 bytes: how memos key texts and sentences
    import_nltk()                                     NLTK without its optional scikit-learn and SciPy parts
    sentences(text) -> list[str]
    word_spans(text) -> list[(start, end)]           word-like tokens with offsets
    tokens(text) -> list[str]                        raw tokens: words, numbers, punctuation, line breaks
    token_spans(text) -> list[(start, end)]          the same, as offsets
    normalize_token(token) -> str | None             the word form a raw token counts as (None: not a word)
    word_forms(text) -> list[str]                    the normalised words of ``text``, in order

Word forms (what the frequency tables count) follow these rules:
* case folded ("Ceasefire" and "ceasefire" are one word);
* curly apostrophes become straight ones and a final possessive 's is dropped ("Putin’s" → "putin");
* hyphenated words stay whole ("full-scale", "son-in-law", "28-point");
* dotted abbreviations are one word and keep their dots ("U.S." → "u.s.", "e.g." → "e.g.");
* the capitalised "US" is the country and also becomes "u.s." ("US-drafted" → "u.s.-drafted"), so it never merges
  with the pronoun "us"; "UK" and "U.K." stay two different words ("uk", "u.k.");
* numbers ("2022", "23,000", "2nd", "1990s") and punctuation are not words; in the token stream they are breaks,
  so phrases are never counted across them.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import re
from array import array
from pathlib import Path
from typing import Iterable

import numpy as np


# Lower-case, without the final period, as Punkt stores them. Titles, honorifics, ranks, months, common news
# abbreviations; single letters make initials ("J. D. Vance") safe.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft rev hon gen lt col maj capt cpt sgt cmdr adm gov sen rep pres supt insp det
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    u.s u.k u.n e.u u.s.a u.s.s.r d.c l.a n.y a.m p.m e.g i.e etc vs no nos inc corp co ltd plc bros approx est dept
    univ assn ave blvd fig al
    """.split()
) | frozenset("abcdefghijklmnopqrstuvwxyz")

_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")
# A word starts with a letter; inner hyphens and apostrophes keep "full-scale" and "o'clock" whole; digits inside
# are allowed ("G7"), a leading number is not a word.
WORD_PATTERN = re.compile(r"[^\W\d_](?:[\w]|[-'’](?=[^\W_]))*")


def import_nltk():
    """The ``nltk`` module, imported (if not already) without the parts that need scikit-learn or SciPy.

    NLTK's ``__init__`` imports every subpackage, and some of them import scikit-learn and SciPy when installed,
    for classifiers and statistics this package does not take from NLTK: measured, +104 MB in a process against
    +19 MB without them, in every process that splits sentences or scores with VADER (``scipy.stats`` alone: about
    44 MB). They are blocked while NLTK is imported (a ``None`` in ``sys.modules`` makes an import fail, and NLTK
    leaves those parts out) and can be imported normally afterwards; one already imported is used as it is.
    """
    import sys

    if "nltk" not in sys.modules:
        blocked = [name for name in _NLTK_EXTRAS if name not in sys.modules]
        try:
            sys.modules.update(dict.fromkeys(blocked))
            import nltk  # noqa: F401
        finally:
            for name in blocked:
                if sys.modules.get(name, "") is None:
                    del sys.modules[name]
    return sys.modules["nltk"]


# What NLTK imports if it can, for what this package does not take from it (see ``import_nltk``); SciPy's statistics
# also where SciPy itself is imported already (``newslens.frequency`` uses its sparse matrices).
_NLTK_EXTRAS = ("sklearn", "scipy", "scipy.stats")


@functools.lru_cache(maxsize=1)
def _punkt():
    # Imported here: NLTK takes over a second to import, which loading a corpus and counting words do not need.
    import_nltk()
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, in order, stripped of surrounding white space.

    A sentence that Punkt would start with a lower-case letter is joined to the previous one: Punkt (without a
    trained model) always splits after "?" and "!", which cuts quotations such as '"Really?" she asked.'
    Results are remembered (see ``split_sentences``): entities, mentions, attributions, quotes and both sentiment
    methods all split the same articles, and splitting (about 2.5 ms an article) costs more than most of them.
    """
    return list(_sentence_spans(text))


# Two levels of memory: the spans of the last RECENT_TEXTS texts, as tuples keyed by the text (a hit costs nothing:
# the mentions of a document ask for its sentences one after another); behind them, the spans of up to
# SENTENCE_MEMO_TEXTS texts as flat arrays keyed by the text's sha256, so that a corpus of 100,000 articles is split
# once per process, not once per pass (keying by the text itself keeps the article's string alive: 16,384 recent
# texts held 180 MB at 100,000 articles; this memory holds about 0.4 kB an article).
RECENT_TEXTS = 256
SENTENCE_MEMO_TEXTS = 200_000
PACK_TEXTS = 10_000  # texts split in this process are packed (``PackedSplits``) this many at a time
_split_memo: dict[bytes, array] = {}
# Packed spans, newest last, a few arrays each: those handed over by another process (``remember_splits``) and
# those split here, packed every PACK_TEXTS texts (``_remember``).
_packed_memo: list[PackedSplits] = []
# Splitting goes to worker processes from this much text (a worker starts in about a second; Punkt reads about
# 1.6 MB a second).
SPLIT_PARALLEL_CHARS = 5_000_000
_SPLIT_CHUNK = 500  # texts
# Texts held as Python strings (and their results) at a time: about 20 MB of news, so that a corpus of 10,000
# articles is already split in batches and splitting 100,000 takes no more memory (measured, with the free heap given
# back after each batch: peak +82 MB at 10,000 articles, +117 MB at 100,000; batches of 20,000 texts: +350 MB, and
# +670 MB without giving it back).
_SPLIT_BATCH = 5_000


def text_digest(text: str) -> bytes:
    """The sha256 of ``text`` as 32 bytes: the key by which memos of this package remember a text or sentence."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def flat_spans(spans: Iterable[tuple[int, int]]) -> array:
    """``spans`` as one array of 32-bit integers, start, end, start, end, ...: far smaller than tuples, for
    keeping or sending the sentences of many texts (a document has at most 5 million characters,
    ``corpus.MAX_DOCUMENT_BYTES``)."""
    return array("i", [offset for span in spans for offset in span])


def paired_spans(flat: array) -> tuple[tuple[int, int], ...]:
    """The (start, end) pairs of ``flat_spans``."""
    return tuple(zip(flat[::2], flat[1::2]))


class PackedSplits:
    """The sentence spans (``flat_spans``) of many texts in four arrays, not two objects a text: how one process hands
    its spans to another (``remembered_splits``, ``remember_splits``). The spans of 100,000 articles sent back as a
    dict of arrays took 129 MB of the receiving kernel, its fragmented heap included; packed, 29 MB.

    Parameters
    ----------
    found : mapping of bytes to array
        ``text_digest`` -> ``flat_spans``.
    folder : path, optional
        Where the arrays are kept, in mapped files (``memory.mapped_empty``; a cache's ``mapped`` folder), rather
        than in the process's heap; None: in the heap. Pickled, they are sent by value either way.
    """

    def __init__(self, found: dict[bytes, array], folder: str | Path | None = None):
        digests = sorted(found)
        keys = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(digests), 32)
        # The first 8 bytes of each digest as a number, in the same (sorted) order: what a lookup searches.
        prefixes = keys[:, :8].copy().view(">u8").ravel()
        lengths = np.fromiter(map(len, map(found.__getitem__, digests)), dtype=np.int64, count=len(digests))
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        # 32 bits are enough: a document has at most 5 million characters (``corpus.MAX_DOCUMENT_BYTES``).
        flat = np.fromiter(itertools.chain.from_iterable(map(found.__getitem__, digests)), dtype=np.int32,
                           count=int(bounds[-1]))
        self._keys, self._prefixes, self._bounds, self._flat = (
            (keys, prefixes, bounds, flat) if folder is None else
            (_mapped_copy(keys, folder), _mapped_copy(prefixes, folder), _mapped_copy(bounds, folder),
             _mapped_copy(flat, folder)))

    def __len__(self) -> int:
        return len(self._prefixes)

    def digests(self) -> list[bytes]:
        """The digests of the texts held, sorted."""
        return [key.tobytes() for key in self._keys]

    def get(self, digest: bytes) -> array | None:
        """The ``flat_spans`` of the text of ``digest``; None when not held."""
        prefix = int.from_bytes(digest[:8], "big")
        position = int(np.searchsorted(self._prefixes, prefix))
        while position < len(self) and self._prefixes[position] == prefix:  # the whole digest decides
            if self._keys[position].tobytes() == digest:
                return array("i", self._flat[self._bounds[position]:self._bounds[position + 1]].tobytes())
            position += 1
        return None


def _mapped_copy(values: np.ndarray, folder: str | Path) -> np.ndarray:
    """A copy of ``values`` over a mapped file of ``folder`` (``memory.mapped_empty``), of the same shape."""
    from newslens.memory import mapped_empty

    copy = mapped_empty(values.size, values.dtype, folder).reshape(values.shape)
    copy[...] = values
    return copy


def _remembered(digest: bytes) -> array | None:
    flat = _split_memo.get(digest)
    for packed in reversed(_packed_memo) if flat is None else ():
        flat = packed.get(digest)
        if flat is not None:
            break
    return flat


def _remember(digest: bytes, flat: array, folder: str | Path | None = None) -> None:
    if len(_split_memo) >= SENTENCE_MEMO_TEXTS:
        del _split_memo[next(iter(_split_memo))]  # the oldest
    _split_memo[digest] = flat
    if len(_split_memo) >= PACK_TEXTS:
        # An array, a digest and a dict slot per text: splitting 100,000 articles left the actor tables' process
        # 84 MB larger (anonymous memory); packed every PACK_TEXTS texts (about 4 MB a block), 66 MB. In mapped
        # files (``folder``), whose pages leave the process at each ``memory.drop_mapped_pages``, the process's
        # peak there went from 400 to 379 MB (profiled), its level between runs of documents down as much.
        remember_splits(PackedSplits(_split_memo, folder))
        _split_memo.clear()


def split_sentences(texts: Iterable[str], jobs: int = 1, folder: str | Path | None = None) -> None:
    """Split ``texts`` into sentences now, in ``jobs`` worker processes (``newslens.parallel.map_chunks``; 0: every
    core) from ``SPLIT_PARALLEL_CHARS`` of text, and remember the spans in this process, so that every later
    ``sentence_spans`` of these texts reads them. Each text is split alone: the spans are the same for any
    ``jobs``. ``folder``: where the spans are kept, in mapped files (a cache's ``mapped`` folder: ``PackedSplits``);
    None: in memory."""
    from newslens.memory import release_free_memory
    from newslens.parallel import kept_workers

    # In batches of texts, so that a large corpus's texts are never all held as Python strings at once.
    batch: dict[bytes, str] = {}
    with kept_workers():  # workers started once for every batch
        for text in texts:
            digest = text_digest(text)
            if _remembered(digest) is None:
                batch.setdefault(digest, text)
            if len(batch) == _SPLIT_BATCH:
                _split_batch(batch, jobs, folder)
                batch = {}
                # The batch's strings and its results' buffers (unpickled in the pool's threads, in malloc arenas
                # of their own) are free now: give them back, or every batch stands on the last one's.
                release_free_memory()
        _split_batch(batch, jobs, folder)


def remembered_splits(texts: Iterable[str]) -> PackedSplits:
    """The remembered spans (``split_sentences``) of those of ``texts`` split before, by ``text_digest``, packed:
    for another process, which takes them with ``remember_splits`` rather than split the texts again."""
    found = {}
    for digest in map(text_digest, texts):
        flat = _remembered(digest)
        if flat is not None:
            found[digest] = flat
    return PackedSplits(found)


def remember_splits(packed: PackedSplits) -> None:
    """Remember the spans of ``remembered_splits`` in this process (the oldest handed over forgotten first past
    ``SENTENCE_MEMO_TEXTS`` texts)."""
    _packed_memo.append(packed)
    while len(_packed_memo) > 1 and sum(map(len, _packed_memo)) > SENTENCE_MEMO_TEXTS:
        del _packed_memo[0]


def _split_batch(batch: dict[bytes, str], jobs: int, folder: str | Path | None) -> None:
    from newslens.parallel import chunked, map_chunks

    jobs = jobs if sum(map(len, batch.values())) >= SPLIT_PARALLEL_CHARS else 1
    found = map_chunks(_split_chunk, chunked(list(batch.values()), _SPLIT_CHUNK), jobs=jobs)
    for digest, flat in zip(batch, (flat for chunk in found for flat in chunk)):
        _remember(digest, flat, folder)


def _split_chunk(texts: list[str]) -> list[array]:
    """The spans of each text as a flat array: the work of one chunk, in any process."""
    return [flat_spans(_punkt_spans(text)) for text in texts]


@functools.lru_cache(maxsize=RECENT_TEXTS)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    digest = text_digest(text)
    flat = _remembered(digest)
    if flat is None:
        spans = _punkt_spans(text)
        _remember(digest, flat_spans(spans))
        return spans
    return paired_spans(flat)


def _punkt_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    punkt = _punkt()
    start = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        block = text[start:end]
        if block.strip():
            block_spans: list[tuple[int, int]] = []
            for s, e in punkt.span_tokenize(block):
                # Punkt's first span of a block starts at 0, before any leading white space.
                s += len(block[s:e]) - len(block[s:e].lstrip())
                e -= len(block[s:e]) - len(block[s:e].rstrip())
                if s >= e:
                    continue
                if block_spans and block[s].islower():
                    block_spans[-1] = (block_spans[-1][0], e)
                else:
                    block_spans.append((s, e))
            spans.extend((start + s, start + e) for s, e in block_spans)
        if match:
            start = match.end()
    return tuple(spans)


def line_sentence_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``sentence_spans`` of only the lines that hold one of ``spans`` (start, end), in order. A line break always
    ends a sentence, so these are the spans splitting the whole text would give, several times faster on long
    articles when only a few lines matter."""
    regions: list[list[int]] = []
    for span_start, span_end in sorted(spans):
        start = text.rfind("\n", 0, span_start) + 1
        end = text.find("\n", span_end)
        end = len(text) if end < 0 else end
        if regions and start <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], end)
        else:
            regions.append([start, end])
    return [(start + s, start + e) for start, end in regions for s, e in sentence_spans(text[start:end])]


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of word tokens (letters first; numbers and punctuation are not words)."""
    return [m.span() for m in WORD_PATTERN.finditer(text)]


# --- Word forms for frequency counts -----------------------------------------------------------------------------

# One alternation, tried left to right: dotted abbreviations (optionally hyphenated on, "U.S.-backed", or with a
# possessive), then words and numbers with inner hyphens/apostrophes, then single punctuation runs and line breaks,
# which are kept as tokens only so that phrase counting can stop at them. No capturing groups: findall must return
# whole matches.
TOKEN_PATTERN = (
    r"(?:[^\W\d_]\.){2,}(?:-[^\W_]+)*(?:['’]s\b)?"
    r"|[^\W_]+(?:[-'’][^\W_]+)*"
    r"|[^\w\s]+|\n"
)
# The tokens are exactly those of NLTK's data-free ``RegexpTokenizer(TOKEN_PATTERN)`` (tests check it), but NLTK 3.10
# runs every match through the third-party ``regex`` engine under a ReDoS timeout, which made tokenising 42 MB about
# four times slower; this fixed, linear pattern needs no such guard, so the standard library runs it.
_TOKEN = re.compile(TOKEN_PATTERN)
_NUMBER = re.compile(r"\d[\d_]*(?:st|nd|rd|th|s)?", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[^\W\d_]")


def tokens(text: str) -> list[str]:
    """Raw tokens: words, numbers, punctuation runs and line breaks (as NLTK's ``RegexpTokenizer(TOKEN_PATTERN)``)."""
    return _TOKEN.findall(text)


def token_spans(text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """Character spans of ``tokens(text)`` (only the first ``limit`` ones if given)."""
    return [m.span() for m in itertools.islice(_TOKEN.finditer(text), limit)]


def normalize_token(token: str) -> str | None:
    """The word form a raw token counts as, or None for numbers, punctuation and line breaks (see module doc)."""
    if not _HAS_LETTER.search(token) or _NUMBER.fullmatch(token):
        return None
    token = token.replace("’", "'")
    if token[-2:] in ("'s", "'S") and len(token) > 2:
        token = token[:-2]
    if token == "US" or token.startswith("US-"):
        token = "u.s." + token[2:]
    return token.casefold()


def word_forms(text: str) -> list[str]:
    """The normalised word forms of ``text`` in order (numbers and punctuation dropped)."""
    return [form for form in map(normalize_token, tokens(text)) if form]
