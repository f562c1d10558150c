"""Word frequencies of a news corpus: which words and phrases dominate, which are distinctive of each article, and
how the vocabulary differs from general English (the tables Voyant Tools and AntConc users expect).

Input: a documents DataFrame with at least ``doc_id`` (str) and ``text`` (cleaned text, title as first line), e.g.
``newslens.load_corpus(path).documents``. Documents keep the order of the DataFrame's rows; that order is the
"corpus order" of dispersion positions and the first sort key of per-document tables.

Tokenise once, then compute any table from the result::

    options = FrequencyOptions(extra_stopwords=["said"], stem=False, min_count=2)
    corpus = tokenize_documents(documents, options)
    term_frequencies(corpus)        # term, count, per_10k, documents, dp
    document_term_counts(corpus)    # doc_id, term, count, per_10k
    document_term_count_parts(corpus)  # the same in parts of documents, for write_table (a table too large to hold)
    ngrams(corpus)                  # ngram, n, count, per_10k, documents
    collocations(corpus)            # collocation, word1, word2, count, word1_count, word2_count, g2, pmi, t_score
    distinctive_terms(corpus)       # doc_id, rank, term, count, per_10k, rest_count, rest_per_10k, g2, p_value,
                                    # log_ratio, tfidf
    distinctive_term_parts(corpus)  # the same in parts of documents (newslens.parts.Parts), kept on disk by cached
    keyness(corpus)                 # term, count, per_10k, reference_per_10k, reference_count, g2, p_value,
                                    # log_ratio, direction, reference
    kwic(corpus, ["ceasefire"])     # doc_id, query, left, keyword, right, position, start, end
    dispersion(corpus, ["putin"])   # query, doc_id, doc_index, position, relative_position, corpus_position
    dispersion_ticks(corpus, ["putin"])        # query, corpus_position, occurrences: a dispersion plot's ticks
    dispersion_by_document(corpus, ["putin"])  # query, doc_id, occurrences, first_at, last_at

With ``tokenize_documents(documents, options, cache_dir=…)`` each text's word forms are cached on disk, and
``cached(corpus, ngrams)`` (any table, with its arguments) reads a table computed before from the same documents,
options and code: a rerun tokenises only new texts and recomputes only the tables whose arguments changed.

Definitions used throughout:
* A *word* is a normalised word form from ``newslens.text`` (case folded, possessive 's dropped, hyphenated words
  whole, "U.S."/"US" → "u.s."; numbers and punctuation are not words).
* A *term* is a word that is not a stopword, Snowball-stemmed if ``stem`` is on. Term tables count terms.
* Sizes (the denominators of per_10k and of every G²/log ratio) count all words, stopwords included, because
  the general-English reference proportions are proportions of all words too.
* n-grams and collocations are built from words (never stemmed: "peac plan" is unreadable) and never cross
  punctuation, a number, a line break or a document boundary.
* Every table is sorted by its main score, then by the term (alphabetically) so that ties are deterministic.
"""
from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import itertools
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.special import chdtrc

from .memory import MappedArray, MappedColumn, dropping, mapped_empty, release_free_memory
from .parts import Parts, PartsWriters
from .parameters import check_values
from .text import import_nltk, normalize_token, token_spans, tokens, word_forms

import_nltk()  # first: NLTK without scikit-learn and scipy.stats, which nothing here uses (see there)
from nltk.metrics import BigramAssocMeasures  # noqa: E402
from nltk.stem.snowball import SnowballStemmer  # noqa: E402

__all__ = [
    "FrequencyOptions", "TokenizedCorpus", "STOPWORDS_VERSION", "load_stopwords", "tokenize_documents",
    "term_frequencies", "document_term_counts", "ngrams", "collocations", "distinctive_terms",
    "distinctive_term_parts", "keyness", "kwic", "dispersion", "concordance_terms", "log_likelihood", "log_ratio",
    "cached",
]

_STOPWORDS_FILE = "stopwords_en.txt"


@functools.lru_cache(maxsize=1)
def _read_stopword_file() -> tuple[str, frozenset[str]]:
    text = importlib.resources.files("newslens").joinpath("data", _STOPWORDS_FILE).read_text(encoding="utf-8")
    version = re.search(r"^#.*\bversion (\S+)", text, re.MULTILINE)
    words = frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return (version.group(1) if version else "unknown"), words


STOPWORDS_VERSION: str = _read_stopword_file()[0]


def load_stopwords() -> frozenset[str]:
    """The shipped English stopword list (``newslens/data/stopwords_en.txt``, version ``STOPWORDS_VERSION``)."""
    return _read_stopword_file()[1]


@dataclass
class FrequencyOptions:
    """Parameters of the frequency analysis.

    stopwords        None: the shipped list (``load_stopwords()``); otherwise the complete list to use ([] for none)
    extra_stopwords  added to the list (normalised like text, so "Putin’s" adds "putin")
    stem             Snowball (English) stemming of terms; words with dots ("u.s.") are left as they are
    min_count        default minimum count of a row in ngrams, collocations, distinctive_terms, keyness and
                     term_frequencies (explicit arguments of those functions win)
    top_n            default number of rows (per n-gram length, per document, per keyness direction); None: all
    ngram_range      (smallest, largest) n-gram length
    reference_size   assumed size in words of the general-English reference corpus (see ``keyness``)
    kwic_width       words of context on each side of a KWIC line
    """

    stopwords: Iterable[str] | None = None
    extra_stopwords: Iterable[str] = ()
    stem: bool = False
    min_count: int = 2
    top_n: int | None = None
    ngram_range: tuple[int, int] = (2, 3)
    reference_size: float = 1e9
    kwic_width: int = 8

    def stopword_set(self) -> frozenset[str]:
        base = load_stopwords() if self.stopwords is None else self.stopwords
        normalised = (normalize_token(w.strip()) for w in [*base, *self.extra_stopwords])
        return frozenset(w for w in normalised if w)


@dataclass(eq=False)
class TokenizedCorpus:
    """Every document tokenised once; all tables are computed from this.

    words         word-form vocabulary (word id → form), in order of first occurrence
    word_ids      one int32 per raw token of the whole corpus: the word id, or -1 for punctuation, numbers and
                  line breaks; every document is followed by one -1, so nothing spans two documents
    doc_starts    offsets of each document in ``word_ids`` (length n_docs + 1)
    doc_words     number of words (stopwords included) per document
    terms         term vocabulary, sorted alphabetically (so term id order is alphabetical order)
    term_of_word  term id of each word id, -1 for stopwords
    counts        documents × terms sparse matrix of term counts (CSR, int32)
    """

    doc_ids: list[str]
    texts: Sequence[str]  # the documents' texts (their Arrow column: indexing gives a str)
    options: FrequencyOptions
    stopwords: frozenset[str]
    words: list[str]
    word_ids: np.ndarray
    doc_starts: np.ndarray
    doc_words: np.ndarray
    terms: list[str]
    term_of_word: np.ndarray
    counts: sp.csr_matrix
    _cache: dict = field(default_factory=dict, repr=False)
    cache_dir: str | Path | None = None  # the on-disk cache of ``cached`` (None: no cache)
    cache_key: dict = field(default_factory=dict)  # what its tables depend on: documents, options, code

    @property
    def n_words(self) -> int:
        """Total number of words in the corpus, stopwords included (the denominator of every per_10k)."""
        return int(self.doc_words.sum())

    def term_counts(self) -> np.ndarray:
        """Occurrences of each term in the corpus."""
        if "term_counts" not in self._cache:
            self._cache["term_counts"] = _column_totals(self.counts, len(self.terms), weighted=True)
        return self._cache["term_counts"]

    def document_counts(self) -> np.ndarray:
        """Number of documents containing each term."""
        if "document_counts" not in self._cache:
            self._cache["document_counts"] = _column_totals(self.counts, len(self.terms), weighted=False)
        return self._cache["document_counts"]

    def word_counts(self) -> np.ndarray:
        if "word_counts" not in self._cache:
            # Counted 8 million tokens at a time: bincount of the whole token array copies it as int64 (0.6 GB for
            # the 80 million tokens of 100,000 articles).
            counts = np.zeros(len(self.words), dtype=np.int64)
            for start in _in_chunks(len(self.word_ids)):
                ids = self.word_ids[start:start + _TOKEN_CHUNK]
                counts += np.bincount(ids[ids >= 0], minlength=len(self.words))
            self._cache["word_counts"] = counts
        return self._cache["word_counts"]


def _column_totals(counts: sp.csr_matrix, n_columns: int, weighted: bool) -> np.ndarray:
    """Per column of ``counts``: the sum of its values (``weighted``) or the number of rows with a value, counted
    ``_TOKEN_CHUNK`` values at a time: at once, scipy and numpy copied the 33 million values or column indices of
    100,000 articles as 64-bit numbers (0.27 GB)."""
    totals = np.zeros(n_columns, dtype=np.int64)
    for start in _in_chunks(counts.nnz):
        stop = start + _TOKEN_CHUNK
        # Weighted counts come back as floats: exact, counts being far below 2**53.
        totals += np.bincount(counts.indices[start:stop], weights=counts.data[start:stop] if weighted else None,
                              minlength=n_columns).astype(np.int64)
    return totals


@functools.lru_cache(maxsize=1)
def _stemmer() -> SnowballStemmer:
    return SnowballStemmer("english")


def _term_of(word: str, stopwords: frozenset[str], stem: bool) -> str | None:
    if word in stopwords:
        return None
    if stem and "." not in word:
        return _stemmer().stem(word)
    return word


def _check_documents(documents: pd.DataFrame) -> None:
    missing = [c for c in ("doc_id", "text") if c not in documents.columns]
    if missing:
        raise ValueError(f"documents need the columns doc_id and text; missing: {', '.join(missing)}")
    if documents["doc_id"].duplicated().any():
        duplicated = documents.loc[documents["doc_id"].duplicated(), "doc_id"].astype(str).tolist()
        raise ValueError(f"doc_id must be unique; repeated: {', '.join(duplicated[:5])}")


def tokenize_documents(documents: pd.DataFrame, options: FrequencyOptions | None = None,
                       cache_dir: str | Path | None = None) -> TokenizedCorpus:
    """Tokenise every document once (see the module doc for what words and terms are).

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    options : FrequencyOptions, optional
    cache_dir : path, optional
        Folder of the on-disk cache (``newslens.cache``): each text's word forms are kept there (keyed by the text's
        sha256 and the tokeniser's code; stopwords and stemming apply afterwards, so they are in no key), and the
        tables of ``cached`` are keyed by these documents, options and code. None: tokenise every text.

    Returns
    -------
    TokenizedCorpus
    """
    from newslens.cache import code_version, documents_key, mapped_folder, text_key
    from newslens.corpus import computed_apart

    _check_documents(documents)
    options = options or FrequencyOptions()
    stopwords = options.stopword_set()
    # The texts stay in the documents' column (Arrow strings): a list of Python strings would hold them twice.
    texts = documents["text"].fillna("").astype(str).array
    # The token array and the count matrix (0.6 GB at 100,000 articles) are made in files of the cache, as the
    # texts are (``memory.mapped_empty``): the tables read them a chunk at a time.
    on_disk = mapped_folder(cache_dir)
    keys = [text_key(text) for text in dropping(texts)]
    cache = _token_cache(cache_dir)
    missing = _missing_positions(keys, cache) if cache is not None else []
    if sum(len(texts[i]) for i in dropping(missing)) >= TOKENS_APART_CHARS:
        # Tokenised in a process of its own, which fills the cache: tokenising 100,000 texts itself, 01's kernel
        # was left with 356 MB and its next cell peaked at 555 MB; so, 328 and 505 MB.
        computed_apart(_tokens_cached, documents, cache_dir, cache_dir, missing)
    words, word_ids, doc_starts = _word_ids(texts, keys, cache, on_disk)
    release_free_memory()  # the cached rows of every text were freed

    term_forms = [_term_of(w, stopwords, options.stem) for w in words]
    terms = sorted({t for t in term_forms if t is not None})
    term_index = {t: i for i, t in enumerate(terms)}
    term_of_word = np.asarray([term_index[t] if t is not None else -1 for t in term_forms], dtype=np.int32)
    counts, doc_words = _count_matrix(word_ids, doc_starts, term_of_word, len(terms), on_disk)
    cache_key = {"documents": documents_key(documents), "stopwords": sorted(stopwords),
                 "options": {k: v for k, v in vars(options).items() if k not in ("stopwords", "extra_stopwords")},
                 "code": code_version(), "wordfreq": importlib.metadata.version("wordfreq")} if cache_dir else {}
    return TokenizedCorpus(
        doc_ids=[str(d) for d in documents["doc_id"]], texts=texts, options=options, stopwords=stopwords,
        words=words, word_ids=word_ids, doc_starts=doc_starts, doc_words=doc_words, terms=terms,
        term_of_word=term_of_word, counts=counts, cache_dir=cache_dir, cache_key=cache_key,
    )


_TOKEN_FIELDS = {"forms": "object", "ids": "object"}


# Tokens (or count values) a scan of the mapped arrays takes at a time (word counts, term totals, query matches,
# dispersion): numpy makes a few temporaries of a chunk, some as int64 or float64; chunks of 8 million took the
# default concordance terms 185 MB and the dispersion of three terms 227 MB above the level on 100,000 articles.
_TOKEN_CHUNK = 1_000_000
_COUNT_CHUNK = 2_000  # documents counted at once: the token-level arrays of 100,000 at once took 3 GB
# Documents per part of the tables with a row per document and term (written part by part, never whole: the
# per-document counts and the distinctive terms): with parts of 2,000 documents (some 660,000 rows), notebook 01's
# kernel on 100,000 articles peaked at 453 MB while writing the counts; with parts of 500, at 343.
_ROWS_CHUNK = 500


def _chunk_starts(corpus: TokenizedCorpus, size: int | None = None) -> Iterator[int]:
    """The first document of each chunk of ``size`` documents (``_COUNT_CHUNK`` by default; one chunk for an empty
    corpus, so that a table made of chunks always has its columns)."""
    return _in_chunks(max(len(corpus.doc_ids), 1), size or _COUNT_CHUNK)


def _in_chunks(length: int, size: int | None = None) -> Iterator[int]:
    """0, size, 2 size … below ``length`` (size: ``_TOKEN_CHUNK`` by default); the pages of the mapped arrays
    (tokens, counts) that a chunk read leave the process before the next chunk (``memory.dropping``)."""
    return dropping(range(0, length, size or _TOKEN_CHUNK), every=1)


def _count_matrix(word_ids: np.ndarray, doc_starts: np.ndarray, term_of_word: np.ndarray, n_terms: int,
                  on_disk: Path | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """The documents × terms count matrix (CSR, int32: no term occurs 2³¹ times in one document, and the 33 million
    counts of 100,000 articles take half the memory of int64) and each document's number of words (stopwords
    included), counted ``_COUNT_CHUNK`` documents at a time. With ``on_disk`` (a folder) the values and column
    indices go to mapped files of it block by block (``memory.MappedArray``): the blocks of 100,000 articles, held
    until they could be copied into one matrix, made the peak of tokenising them (+0.27 GB)."""
    # Indices and row pointers share one dtype in scipy: int64 only if the matrix could hold 2³¹ counts.
    index_dtype = np.int32 if max(len(word_ids), n_terms) < 2**31 else np.int64
    data, indices = MappedArray(on_disk, np.int32), MappedArray(on_disk, index_dtype)
    indptr, doc_words, placed = [np.zeros(1, dtype=index_dtype)], [], 0
    for first in _in_chunks(len(doc_starts) - 1, _COUNT_CHUNK):
        starts = doc_starts[first:first + _COUNT_CHUNK + 1]
        ids = word_ids[starts[0]:starts[-1]]
        doc_of_token = np.repeat(np.arange(len(starts) - 1, dtype=np.int32), np.diff(starts))
        is_word = ids >= 0
        doc_words.append(np.bincount(doc_of_token[is_word], minlength=len(starts) - 1))
        token_terms = np.full(len(ids), -1, dtype=np.int32)
        token_terms[is_word] = term_of_word[ids[is_word]]
        is_term = token_terms >= 0
        block = sp.csr_matrix((np.ones(int(is_term.sum()), dtype=np.int32),
                               (doc_of_token[is_term], token_terms[is_term])), shape=(len(starts) - 1, n_terms))
        block.sum_duplicates()
        data.append(block.data)
        indices.append(block.indices)
        indptr.append(block.indptr[1:].astype(index_dtype) + placed)
        placed += block.nnz
    counts = sp.csr_matrix((data.array(), indices.array(), np.concatenate(indptr)),
                           shape=(len(doc_starts) - 1, n_terms))
    return counts, np.concatenate(doc_words).astype(np.int64) if doc_words else np.zeros(0, np.int64)


def _document_words(texts: list[str]) -> list[list[tuple[str, bytes]]]:
    """Per text, one row: its distinct word forms in order of first occurrence (JSON) and, per raw token, the
    index of its form or -1 for punctuation, numbers and line breaks (int32 bytes)."""
    forms: list[str] = []
    form_index: dict[str, int] = {}

    class _FormIds(dict):
        # Raw token → form id among all these texts, filled on first sight: normalisation runs once per distinct raw
        # token, and the per-token lookup stays in C.
        def __missing__(self, token: str) -> int:
            form = normalize_token(token)
            index = self[token] = -1 if form is None else form_index.setdefault(form, len(form_index))
            if index == len(forms):
                forms.append(form)
            return index

    form_ids = _FormIds()
    rows = []
    for text in texts:
        ids = np.frombuffer(array("i", map(form_ids.__getitem__, tokens(text))), dtype=np.int32)
        is_word = ids >= 0
        distinct, first, inverse = np.unique(ids[is_word], return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # the text's forms in order of first occurrence
        rank = np.empty(len(distinct), dtype=np.int32)
        rank[order] = np.arange(len(distinct), dtype=np.int32)
        local = np.full(len(ids), -1, dtype=np.int32)
        local[is_word] = rank[inverse]
        rows.append([(json.dumps([forms[i] for i in distinct[order]], ensure_ascii=False), local.tobytes())])
    return rows


# From this many characters of texts missing from the token cache, they are tokenised in a process of its own.
TOKENS_APART_CHARS = 5_000_000


def _token_cache(cache_dir: str | Path | None):
    """The per-text cache of word forms (None without a cache folder): versioned by the tokeniser's code."""
    from newslens import text as text_module
    from newslens.cache import DocumentCache, source_version

    return DocumentCache(cache_dir, "tokens", source_version(text_module), _TOKEN_FIELDS) if cache_dir else None


def _missing_positions(keys: list[str], cache) -> list[int]:
    """The positions of the ``keys`` (of texts) that the token ``cache`` lacks."""
    missing = set(keys) - cache.present(keys)
    return [i for i, key in enumerate(keys) if key in missing]


def _token_groups(texts: Sequence[str], positions: dict[str, int], cache) -> Iterator[pd.DataFrame]:
    """The word forms (``_document_words``) of the texts at ``positions`` (text key -> position in ``texts``), one
    shard group of texts at a time: read from ``cache`` where there, else computed and stored
    (``cache.cached_row_groups``)."""
    from newslens.cache import cached_row_groups

    def compute(wanted: list[int]) -> list[list[tuple[str, bytes]]]:
        return _document_words([texts[i] for i in dropping(wanted)])

    for _, rows in cached_row_groups(cache, positions, compute, _TOKEN_FIELDS):
        yield rows


def _tokens_cached(documents: pd.DataFrame, cache_dir: str | Path, missing: list[int]) -> None:
    """For ``tokenize_documents``, in a process of its own (``corpus.computed_apart``): the word forms of the texts
    at the positions ``missing`` (those the cache lacked), computed and stored; the others are not read."""
    from newslens.cache import text_key

    texts = documents["text"].fillna("").astype(str).array
    positions = {text_key(texts[i]): i for i in dropping(missing)}
    for _ in _token_groups(texts, positions, _token_cache(cache_dir)):
        pass


def _word_ids(texts: Sequence[str], keys: list[str], cache, on_disk: Path | None = None
              ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The word vocabulary (in order of first occurrence), every raw token's word id (-1: not a word; one -1 after
    each document; in a mapped file of ``on_disk`` when given) and each document's offset, from each text's word
    forms (``keys``: the texts' ``cache.text_key``; read from the token ``cache`` where there, None: no cache)."""
    from newslens.cache import KEY

    # Word forms get a provisional id per distinct form, one shard group of texts at a time (only that group's
    # rows in memory). Each text's tokens, as provisional ids, go to a spool (a mapped file of ``on_disk``) in the
    # order the texts are read: holding them per text until renumbered took 0.45 GB at 100,000 articles.
    provisional: dict[str, int] = {}
    spool = MappedColumn(on_disk, pa.int32())
    place: dict[str, tuple[int, int]] = {}  # text key -> (first token, end) in the spool
    spooled = 0
    for rows in _token_groups(texts, dict(zip(keys, range(len(keys)))), cache):
        forms_of_text = [json.loads(forms) for forms in rows["forms"]]
        # Factorized at once (hashing in C), then only the distinct forms looked up: a dict lookup per form of
        # every text cost seconds for 10,000 texts.
        codes, distinct = pd.factorize(np.fromiter(itertools.chain.from_iterable(forms_of_text), dtype=object,
                                                   count=sum(map(len, forms_of_text))))
        id_of_code = np.asarray([provisional.setdefault(form, len(provisional)) for form in distinct], dtype=np.int32)
        form_ids = np.append(id_of_code[codes], np.int32(-1))  # each text's forms, one text after another
        form_starts = np.cumsum([0, *map(len, forms_of_text)])[:-1]
        local = [np.frombuffer(ids, dtype=np.int32) for ids in rows["ids"]]
        token_ends = np.cumsum([len(ids) for ids in local], dtype=np.int64)
        local = np.concatenate(local) if local else np.zeros(0, dtype=np.int32)
        # A token's local form index made an index into form_ids; not a word (-1) takes its last entry, -1.
        shift = np.repeat(form_starts, np.diff(token_ends, prepend=0))
        spool.append(pa.array(form_ids[np.where(local >= 0, local + shift, len(form_ids) - 1)], type=pa.int32()))
        del forms_of_text, codes, distinct, form_ids, local, shift
        for key, end, length in zip(rows[KEY], token_ends + spooled, np.diff(token_ends, prepend=0)):
            place[key] = (int(end - length), int(end))
        spooled += int(token_ends[-1]) if len(token_ends) else 0
    return _renumbered(keys, place, spool, list(provisional), on_disk)


def _renumbered(keys: list[str], place: dict[str, tuple[int, int]], spool: MappedColumn, forms: list[str],
                on_disk: Path | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Word ids in order of first occurrence in the documents (in their order), and the token array filled in
    place (in a mapped file of ``on_disk`` when given): each text's tokens, spooled as provisional ids (``place``:
    where), renumbered."""
    spooled = spool.column()
    word_of = np.full(len(forms), -1, dtype=np.int32)  # provisional id -> word id
    sizes = [place[key][1] - place[key][0] + 1 for key in keys]  # the tokens, and the -1 after each document
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    word_ids = mapped_empty(int(starts[-1]), np.int32, on_disk)
    n_words = 0
    for key, start, end in dropping(zip(keys, starts[:-1], starts[1:])):
        first, stop = place[key]
        tokens = spooled.slice(first, stop - first).to_numpy()
        # A text's forms first occur in the order of their provisional ids' first occurrence (``_document_words``).
        seen = pd.unique(tokens[tokens >= 0])
        new = seen[word_of[seen] < 0]
        word_of[new] = np.arange(n_words, n_words + len(new), dtype=np.int32)
        n_words += len(new)
        is_word = tokens >= 0
        word_ids[start:end - 1][is_word] = word_of[tokens[is_word]]
        word_ids[start:end - 1][~is_word] = -1
        word_ids[end - 1] = -1
    words = [None] * n_words
    for form, word in zip(forms, word_of.tolist()):
        if word >= 0:
            words[word] = form
    return words, word_ids, starts


def cached(corpus: TokenizedCorpus, table: Callable[..., pd.DataFrame | Parts], *args, **kwargs
           ) -> pd.DataFrame | Parts:
    """``table(corpus, *args, **kwargs)`` — one of this module's tables, e.g. ``cached(corpus, ngrams)`` — read from
    the cache of ``corpus`` (``tokenize_documents(…, cache_dir=…)``) when the same documents, options, arguments and
    code made it before; computed and stored otherwise. Without a cache: computed.

    Parameters
    ----------
    corpus : TokenizedCorpus
    table : callable
        A table function of this module taking the corpus first.
    *args, **kwargs
        Its other arguments (JSON-serialisable values: they are part of the key).

    Returns
    -------
    DataFrame, or ``Parts`` for a table made in parts (``distinctive_term_parts``; on disk with a cache)
    """
    from newslens.cache import cached_tables

    key = {**corpus.cache_key, "table": table.__name__, "args": list(args), "kwargs": kwargs}
    if table in _PARTED_TABLES:  # written part by part into the cache entry and read back as Parts
        def compute(folder):
            return {"table": table(corpus, *args, folder=folder, **kwargs)}, {}
    else:
        def compute():
            return {"table": table(corpus, *args, **kwargs)}, {}
    tables, _ = cached_tables(corpus.cache_dir, f"frequency-{table.__name__}", key, compute,
                              parted=table in _PARTED_TABLES)
    return tables["table"]


def _opt(value, default):
    return default if value is None else value


def _per_10k(count, size):
    size = np.asarray(size, dtype=float)
    return np.divide(np.asarray(count, dtype=float) * 10_000, size, out=np.zeros(np.broadcast(count, size).shape),
                     where=size > 0)


# --- Statistics ------------------------------------------------------------------------------------------------

def log_likelihood(a, b, c, d):
    """Dunning's log-likelihood G² for a word seen ``a`` times in a corpus of ``c`` words and ``b`` times in a
    corpus of ``d`` words, in the two-cell form of Rayson & Garside (2000) used by Wmatrix and AntConc:

        E1 = c·(a+b)/(c+d),  E2 = d·(a+b)/(c+d),  G² = 2·(a·ln(a/E1) + b·ln(b/E2)),  with 0·ln(0) = 0.

    G² is always ≥ 0 (the direction is in the log ratio); with 1 degree of freedom, 3.84 ≈ p < 0.05,
    6.63 ≈ p < 0.01, 10.83 ≈ p < 0.001, 15.13 ≈ p < 0.0001. Vectorised: arguments may be numpy arrays.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    total = c + d
    e1 = c * (a + b) / total
    e2 = d * (a + b) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(a > 0, a * np.log(a / e1), 0.0)
        second = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (first + second)


def log_ratio(a, b, c, d):
    """Hardie's (2014) log ratio: log2 of (a/c) / (b/d), the binary log of the ratio of relative frequencies.

    +1 means twice as frequent in the first corpus, -1 half as frequent. A zero count is replaced by 0.5 (only the
    zero one), so a word absent from one side gets a finite, conservative value instead of ±infinity. In a very
    small corpus the 0.5 can outweigh the other side (0.5/c > b/d although a = 0): the adjusted value would then
    point the wrong way, and 0 (no measurable effect) is returned instead.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))
    raw_sign = np.sign(a * d - b * c)
    return np.where(np.sign(ratio) == raw_sign, ratio, 0.0)


def _p_value(g2):
    # The survival function of χ² with one degree of freedom from ``scipy.special`` (what ``scipy.stats.chi2.sf``
    # computes, the same numbers; 1 below 0 as there): importing ``scipy.stats`` costs a process about 44 MB more.
    return chdtrc(1, np.maximum(np.asarray(g2, dtype=float), 0.0))


# --- Term tables -----------------------------------------------------------------------------------------------

def _forms_of_terms(corpus: TokenizedCorpus) -> list[str]:
    """For stemmed terms: the word forms behind each term, most frequent first ("negotiations|negotiation")."""
    counts = corpus.word_counts()
    by_term: dict[int, list[tuple[int, str]]] = {}
    for wid, tid in enumerate(corpus.term_of_word):
        if tid >= 0:
            by_term.setdefault(int(tid), []).append((-int(counts[wid]), corpus.words[wid]))
    return ["|".join(form for _, form in sorted(by_term.get(tid, []))) for tid in range(len(corpus.terms))]


def _by_frequency(counts: np.ndarray) -> np.ndarray:
    """Term ids, most frequent first; ties in term id order, which is alphabetical."""
    return np.argsort(-counts, kind="stable")


def term_frequencies(corpus: TokenizedCorpus, top_n: int | None = None, min_count: int | None = None) -> pd.DataFrame:
    """Term frequencies over the corpus, most frequent first (ties: alphabetical).

    Columns:
        term       the term (stopwords removed; the stem if stemming is on)
        count      occurrences in the corpus
        per_10k    occurrences per 10,000 words of the corpus (all words, stopwords included)
        documents  number of documents containing the term
        dp         Gries's (2008) deviation of proportions: 0 = spread over the documents in proportion to their
                   sizes, near 1 = concentrated in a few documents. DP = ½·Σᵢ |vᵢ − sᵢ| over all documents, with
                   vᵢ the document's share of the term's occurrences and sᵢ its share of the corpus's words.
        forms      only with stemming: the word forms counted under the stem, most frequent first
    """
    top_n = _opt(top_n, corpus.options.top_n)
    min_count = _opt(min_count, corpus.options.min_count)
    counts = corpus.term_counts()
    documents = corpus.document_counts()
    size_share = corpus.doc_words / max(corpus.n_words, 1)
    # Documents without the term contribute |0 − sᵢ| = sᵢ; adding 1 − Σ(sᵢ of documents with it) covers them all.
    # Summed a chunk of documents at a time: float arrays over all (document, term) pairs took 1.5 GB at 100,000.
    deviations = np.zeros(len(corpus.terms))
    for first in _chunk_starts(corpus):
        coo = corpus.counts[first:first + _COUNT_CHUNK].tocoo()
        share_rows = size_share[coo.row + first]
        deviation = np.abs(coo.data / counts[coo.col] - share_rows) - share_rows
        deviations += np.bincount(coo.col, weights=deviation, minlength=len(corpus.terms))
    dp = 0.5 * (deviations + 1.0)
    table = pd.DataFrame({
        "term": corpus.terms, "count": counts, "per_10k": _per_10k(counts, corpus.n_words),
        "documents": documents.astype(np.int64), "dp": dp,
    })
    if corpus.options.stem:
        table["forms"] = _forms_of_terms(corpus)
    table = table.iloc[_by_frequency(counts)]
    table = table[table["count"] >= min_count]
    if top_n is not None:
        table = table.head(top_n)
    return table.reset_index(drop=True)


def document_term_counts(corpus: TokenizedCorpus, min_count: int = 1) -> pd.DataFrame:
    """Counts of each term in each document (long format), in document order, then most frequent first, then
    alphabetical.

    Columns: doc_id, term, count, per_10k (per 10,000 words of that document).
    """
    return pd.concat(list(document_term_count_parts(corpus, min_count)), ignore_index=True)


def document_term_count_parts(corpus: TokenizedCorpus, min_count: int = 1) -> Iterator[pd.DataFrame]:
    """``document_term_counts`` in consecutive parts of ``_ROWS_CHUNK`` documents (at least one part), to write
    with ``plots.write_table`` without holding the whole table: 33 million rows for 100,000 articles, 2 GB or more
    in memory."""
    for first in _chunk_starts(corpus, _ROWS_CHUNK):
        yield _document_term_chunk(corpus, first, min_count)


def _document_term_chunk(corpus: TokenizedCorpus, first: int, min_count: int) -> pd.DataFrame:
    coo = corpus.counts[first:first + _ROWS_CHUNK].tocoo()
    keep = coo.data >= min_count
    rows, cols, data = coo.row[keep].astype(np.int64) + first, coo.col[keep], coo.data[keep]
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    return pd.DataFrame({
        "doc_id": [corpus.doc_ids[i] for i in rows], "term": [corpus.terms[i] for i in cols],
        "count": data.astype(np.int64), "per_10k": _per_10k(data, corpus.doc_words[rows]),
    })


# --- n-grams and collocations ----------------------------------------------------------------------------------

def _ngram_positions(ids: np.ndarray, is_stop: np.ndarray, n: int) -> np.ndarray:
    """Start positions (in ``ids``, a stretch of ``word_ids``) of n-grams of words that start and end with a
    non-stopword."""
    if len(ids) < n:
        return np.zeros(0, dtype=np.int64)
    span = len(ids) - n + 1
    ok = np.ones(span, dtype=bool)
    for k in range(n):
        ok &= ids[k:k + span] >= 0
    first, last = ids[:span], ids[n - 1:n - 1 + span]
    ok[ok] &= ~is_stop[first[ok]] & ~is_stop[last[ok]]
    return np.flatnonzero(ok)


def _grouped_counts(codes: np.ndarray, docs: np.ndarray):
    """Distinct codes with their counts and number of distinct documents (``docs`` is non-decreasing)."""
    if len(codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    # A stable sort keeps document order within equal codes, so distinct documents are just changes of doc.
    order = np.argsort(codes, kind="stable")
    codes, docs = codes[order], docs[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[starts, len(codes)])
    new_doc = np.r_[True, (codes[1:] != codes[:-1]) | (docs[1:] != docs[:-1])]
    documents = np.add.reduceat(new_doc.astype(np.int64), starts)
    return codes[starts], counts, documents


def _chunk_ngram_counts(corpus: TokenizedCorpus, n: int, first: int, is_stop: np.ndarray, vocab: int):
    """``_grouped_counts`` of the n-grams of documents ``first`` … ``first + _COUNT_CHUNK - 1``."""
    starts = corpus.doc_starts[first:first + _COUNT_CHUNK + 1]
    ids = corpus.word_ids[starts[0]:starts[-1]]  # documents end with -1: no n-gram crosses into the next chunk
    positions = _ngram_positions(ids, is_stop, n)
    codes = np.zeros(len(positions), dtype=np.int64)
    for k in range(n):
        codes = codes * vocab + ids[positions + k]
    return _grouped_counts(codes, np.searchsorted(starts - starts[0], positions, side="right") - 1)


def _added_counts(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_grouped_counts`` of different documents as one: codes in order, counts and documents added up (the parts
    hold different documents, so document counts add up too)."""
    codes, counts, documents = (np.concatenate(column) for column in zip(*parts))
    if len(codes):
        order = np.argsort(codes, kind="stable")
        codes, counts, documents = codes[order], counts[order], documents[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        codes, counts, documents = codes[starts], np.add.reduceat(counts, starts), np.add.reduceat(documents, starts)
    return codes, counts, documents


def _ngram_table(corpus: TokenizedCorpus, n: int, min_count: int) -> pd.DataFrame:
    vocab = max(len(corpus.words), 1)
    if vocab ** n >= 2 ** 63:
        raise ValueError(f"vocabulary too large to encode {n}-grams as 64-bit integers")
    is_stop = np.asarray([w in corpus.stopwords for w in corpus.words], dtype=bool)
    # Counted a chunk of documents at a time (all n-gram positions of 100,000 articles at once took 1.5 GB), and
    # added up as they come, the newest merged while it is at least half the size of the one before it. Held to one
    # merge at the end, the chunks' counts were the sum of their distinct n-grams: real news repeats few n-grams
    # from one chunk to the next (PolNeAR in chunks of 20 articles: 118,602 bigrams counted, 87,823 distinct, at
    # most 96,724 held merged as they come; extrapolated to 100,000 articles, ~8.4 against ~4.7 million).
    stack: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for first in _chunk_starts(corpus):
        stack.append(_chunk_ngram_counts(corpus, n, first, is_stop, vocab))
        while len(stack) > 1 and 2 * len(stack[-1][0]) >= len(stack[-2][0]):
            stack.append(_added_counts([stack.pop(), stack.pop()]))
    codes, counts, documents = _added_counts(stack)
    del stack
    keep = counts >= min_count
    codes, counts, documents = codes[keep], counts[keep], documents[keep]
    parts = []
    rest = codes.copy()
    for _ in range(n):
        parts.append(rest % vocab)
        rest //= vocab
    words = np.asarray(corpus.words, dtype=object)
    grams = [" ".join(g) for g in zip(*(words[p] for p in reversed(parts)))] if len(codes) else []
    return pd.DataFrame({"ngram": pd.Series(grams, dtype=object), "n": np.full(len(codes), n, dtype=np.int64),
                         "count": counts.astype(np.int64), "per_10k": _per_10k(counts, corpus.n_words),
                         "documents": documents.astype(np.int64)})


def _alphabetical(strings: pd.Series) -> np.ndarray:
    """Each string's place in alphabetical (code point) order, as integers to sort by: a numpy array of the strings
    themselves is as wide as the longest times 4 bytes for every row (one 1,000-character token in a corpus of a
    million n-grams: 4 GB)."""
    return pd.factorize(strings, sort=True)[0]


def ngrams(corpus: TokenizedCorpus, ngram_range: tuple[int, int] | None = None, top_n: int | None = None,
           min_count: int | None = None) -> pd.DataFrame:
    """Word n-grams (sequences of n adjacent words), by length, then most frequent first, then alphabetical.

    Stopwords: an n-gram may not start or end with a stopword but may contain them ("secretary of state",
    "end the war"); so bigrams contain no stopwords. n-grams never cross punctuation, numbers or line breaks, and
    use unstemmed words. ``top_n`` applies to each length separately.

    Columns: ngram (words joined by a space), n, count, per_10k (per 10,000 words), documents.
    """
    low, high = _opt(ngram_range, corpus.options.ngram_range)
    top_n = _opt(top_n, corpus.options.top_n)
    min_count = _opt(min_count, corpus.options.min_count)
    tables = []
    for n in range(low, high + 1):
        table = _ngram_table(corpus, n, min_count)
        table = table.iloc[np.lexsort((_alphabetical(table["ngram"]), -table["count"].to_numpy()))]
        tables.append(table.head(top_n) if top_n is not None else table)
    columns = ["ngram", "n", "count", "per_10k", "documents"]
    if not tables:
        return pd.DataFrame(columns=columns)
    return pd.concat(tables, ignore_index=True)[columns]


def collocations(corpus: TokenizedCorpus, top_n: int | None = None, min_count: int | None = None,
                 sort_by: str = "g2") -> pd.DataFrame:
    """Two-word collocations (adjacent words, neither a stopword, not across punctuation), scored with
    ``nltk.metrics.BigramAssocMeasures`` association measures, strongest first (ties: alphabetical).

    Columns:
        collocation         "word1 word2"
        word1, word2        the words (unstemmed)
        count               occurrences of the pair (only pairs with count >= min_count are scored)
        word1_count, word2_count  occurrences of each word in the corpus
        g2                  log-likelihood over the full 2×2 contingency table (Dunning 1993; nltk likelihood_ratio)
        pmi                 pointwise mutual information, log2 (favours rare pairs: read it with the count)
        t_score             Student's t (favours frequent pairs)
    ``sort_by`` is one of "g2", "pmi", "t_score". The sample size N of every measure is the corpus's word count.
    """
    top_n = _opt(top_n, corpus.options.top_n)
    min_count = _opt(min_count, corpus.options.min_count)
    measures = {"g2": BigramAssocMeasures.likelihood_ratio, "pmi": BigramAssocMeasures.pmi,
                "t_score": BigramAssocMeasures.student_t}
    if sort_by not in measures:
        raise ValueError(f"sort_by must be one of {', '.join(measures)}")
    columns = ["collocation", "word1", "word2", "count", "word1_count", "word2_count", *measures]
    bigrams = _ngram_table(corpus, 2, min_count)
    if bigrams.empty:
        return pd.DataFrame(columns=columns)
    word_counts = corpus.word_counts()
    count_of = dict(zip(corpus.words, word_counts.tolist()))
    words = bigrams["ngram"].str.split(" ", n=1, expand=True)
    table = pd.DataFrame({"collocation": bigrams["ngram"].to_numpy(), "word1": words[0].to_numpy(),
                          "word2": words[1].to_numpy(), "count": bigrams["count"].to_numpy(),
                          "word1_count": words[0].map(count_of).to_numpy(dtype=np.int64),
                          "word2_count": words[1].map(count_of).to_numpy(dtype=np.int64)})
    del words
    # nltk's measures, called on each pair's marginals as nltk's BigramCollocationFinder calls them (the pair's
    # count as a float, N the corpus's word count), without the finder: its FreqDists, tuples and sorted score lists
    # took about 860 bytes a pair at their peak (77 MB for PolNeAR's 87,823 pairs; a real corpus of 100,000
    # articles has millions).
    n_all = int(word_counts.sum())
    marginals = list(zip(table["count"].tolist(), table["word1_count"].tolist(), table["word2_count"].tolist()))
    for name, measure in measures.items():
        table[name] = np.fromiter((measure(float(n_ii), (n_ix, n_xi), n_all) for n_ii, n_ix, n_xi in marginals),
                                  dtype=np.float64, count=len(marginals))
    table = table.iloc[np.lexsort((_alphabetical(table["collocation"]), -table[sort_by].to_numpy()))]
    if top_n is not None:
        table = table.head(top_n)
    return table.reset_index(drop=True)[columns]


# --- Distinctive terms and keyness -----------------------------------------------------------------------------

def distinctive_terms(corpus: TokenizedCorpus, top_n: int | None = None, min_count: int | None = None,
                      by: str = "g2") -> pd.DataFrame:
    """The terms that distinguish each document from the rest of the corpus.

    Each document is compared with all other documents together: ``a`` = count in the document, ``c`` = its words,
    ``b`` = count in the rest, ``d`` = words of the rest (words include stopwords). ``by="g2"`` keeps terms
    over-used in the document (log_ratio > 0) with count >= min_count and ranks them by G² (see
    ``log_likelihood``), then log ratio, then alphabetically. ``by="tfidf"`` ranks all the document's terms with
    count >= min_count by TF-IDF, then alphabetically. ``top_n`` rows per document; documents in corpus order.
    A one-document corpus has no "rest" and gives an empty table. The table whole: a large corpus's (3.5 million
    rows at 100,000 articles) is better kept in parts, ``distinctive_term_parts``.

    Columns:
        doc_id, rank (1 = most distinctive), term
        count, per_10k              in the document
        rest_count, rest_per_10k    in all other documents
        g2, p_value                 log-likelihood (1 d.f.) and its chi-squared p-value (not corrected for the
                                    many comparisons: read it as a ranking, not a test)
        log_ratio                   effect size, Hardie's log ratio (a zero adjusted to 0.5; see ``log_ratio``)
        tfidf                       raw count × idf, idf = ln((1 + n_docs) / (1 + documents)) + 1, each document's
                                    vector L2-normalised (scikit-learn's TfidfTransformer defaults)
    """
    return distinctive_term_parts(corpus, top_n, min_count, by).whole()


def distinctive_term_parts(corpus: TokenizedCorpus, top_n: int | None = None, min_count: int | None = None,
                           by: str = "g2", folder: str | Path | None = None) -> Parts:
    """``distinctive_terms`` as ``newslens.parts.Parts``, a part per chunk of documents, each written into
    ``folder`` (``distinctive_terms.parquet``; None: kept in memory) as soon as it is made: the table is never whole
    in memory. ``cached(corpus, distinctive_term_parts)`` keeps it in the cache."""
    if by not in ("g2", "tfidf"):
        raise ValueError('by must be "g2" or "tfidf"')
    top_n = _opt(top_n, corpus.options.top_n)
    min_count = _opt(min_count, corpus.options.min_count)
    idf = np.log((1 + len(corpus.doc_ids)) / (1 + corpus.document_counts())) + 1
    # Each document is compared with the corpus's totals only, so documents are ranked a chunk at a time: the
    # float arrays of all 33 million (document, term) pairs of 100,000 articles at once took 4 GB, and in chunks of
    # 2,000 documents (660,000 pairs) +116 MB above the start there, against +38 MB in chunks of ``_ROWS_CHUNK``.
    writers = PartsWriters(folder)
    for first in _chunk_starts(corpus, _ROWS_CHUNK):
        writers.add("distinctive_terms", pd.DataFrame(_distinctive_chunk(corpus, first, idf, top_n, min_count, by),
                                                      copy=False))
    return writers.done("distinctive_terms")


# The tables made part by part (they take ``folder``): ``cached`` keeps them as ``Parts``.
_PARTED_TABLES = {distinctive_term_parts}


def _distinctive_chunk(corpus: TokenizedCorpus, first: int, idf: np.ndarray, top_n: int | None, min_count: int,
                       by: str) -> dict[str, np.ndarray]:
    """The columns of ``distinctive_terms`` for documents ``first`` … ``first + _ROWS_CHUNK - 1``."""
    coo = corpus.counts[first:first + _ROWS_CHUNK].tocoo()
    rows, cols, a = coo.row.astype(np.int64) + first, coo.col.astype(np.int64), coo.data.astype(float)
    c = corpus.doc_words[rows].astype(float)
    d = corpus.n_words - c
    b = corpus.term_counts()[cols] - a
    weights = a * idf[cols]
    norms = np.sqrt(np.bincount(rows - first, weights=weights ** 2, minlength=coo.shape[0]))
    tfidf = weights / norms[rows - first]
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = log_likelihood(a, b, c, d)
        lr = log_ratio(a, b, c, d)
    keep = (a >= min_count) & (d > 0)
    if by == "g2":
        keep &= a * d > b * c  # over-used: a/c > b/d
        order_keys = (cols, -lr, -g2, rows)
    else:
        order_keys = (cols, -tfidf, rows)
    idx = np.flatnonzero(keep)
    idx = idx[np.lexsort(tuple(k[idx] for k in order_keys))]
    ranked_rows = rows[idx]
    group_start = np.r_[0, np.flatnonzero(ranked_rows[1:] != ranked_rows[:-1]) + 1]
    rank = np.arange(len(idx)) - np.repeat(group_start, np.diff(np.r_[group_start, len(idx)])) + 1
    if top_n is not None:
        idx, rank = idx[rank <= top_n], rank[rank <= top_n]
    return {"doc_id": np.asarray([corpus.doc_ids[i] for i in rows[idx]], dtype=object), "rank": rank.astype(np.int64),
            "term": np.asarray([corpus.terms[i] for i in cols[idx]], dtype=object),
            "count": a[idx].astype(np.int64), "per_10k": _per_10k(a[idx], c[idx]),
            "rest_count": b[idx].astype(np.int64), "rest_per_10k": _per_10k(b[idx], d[idx]),
            "g2": g2[idx], "p_value": _p_value(g2[idx]), "log_ratio": lr[idx], "tfidf": tfidf[idx]}


def _reference_frequency(word: str, language: str) -> tuple[float, str]:
    """wordfreq's proportion of ``word`` in general English, and how it was found."""
    import wordfreq

    frequency = wordfreq.word_frequency(word, language)
    if frequency == 0:
        return 0.0, "absent"
    # wordfreq splits hyphenated words and some contractions and combines the parts' frequencies (roughly the
    # rarest part's): an over-estimate for compounds such as "full-scale", marked so readers can discount it.
    if not word.isalpha() and len(wordfreq.tokenize(word, language)) > 1:
        return frequency, "estimated from parts"
    # Our count of "putin" includes "Putin's"; wordfreq lists the possessive as a word of its own.
    if word.isalpha():
        frequency += wordfreq.word_frequency(word + "'s", language)
    return frequency, "word"


def keyness(corpus: TokenizedCorpus, top_n: int | None = None, min_count: int | None = None,
            reference_size: float | None = None, absent_top: int = 5000, language: str = "en") -> pd.DataFrame:
    """Keywords of the corpus against general English: the wordfreq package's frequency list (offline; built from
    Wikipedia, subtitles, news, books, web text, Twitter and Reddit, with data up to 2021).

    wordfreq gives proportions, not counts, so a reference corpus size must be assumed: ``reference_size`` words
    (default 1e9 — the order of magnitude of its largest sources). The reference count of a word is then
    proportion × reference_size. What that means: G² grows with the assumed size (a bigger reference makes the
    same difference look more certain), so read G² and p_value as a ranking, not as a calibrated test; the log
    ratio (the effect size) does not depend on the assumed size, except for words wordfreq does not know, whose
    zero reference count is replaced by 0.5 (see ``log_ratio``). Words rarer than wordfreq's floor (about 1e-8)
    count as absent. The reference is dated (2021) and mixes registers; news vocabulary of 2025 ("witkoff") is
    "absent" rather than rare.

    Terms with count >= min_count are compared. The reference proportion of a word adds that of its possessive
    ("putin" + "putin's"), because possessives are counted with the word here; with stemming, that of a stem is
    the sum over the word forms seen in the corpus. Negative keywords also include words among wordfreq's
    ``absent_top`` most frequent that never occur in the corpus (stopwords excluded; 0 to leave them out).

    Rows: most characteristic of the corpus first — positive keywords by G² descending, then negative keywords
    from the weakest to the strongest (so the most avoided word is last); ties by log ratio, then alphabetical.
    ``top_n`` keeps the top_n strongest of each direction.

    Columns:
        term
        count, per_10k              in the corpus (per 10,000 words, stopwords included)
        reference_per_10k           wordfreq proportion × 10,000
        reference_count             proportion × reference_size (the assumed count)
        g2, p_value                 log-likelihood (see ``log_likelihood``) and its chi-squared p-value
        log_ratio                   Hardie's log ratio, corpus vs reference
        direction                   "positive" (relatively more frequent than in general English) or "negative"
        reference                   "word" (wordfreq knows it), "estimated from parts" (hyphenated or otherwise
                                    split by wordfreq: its parts' frequencies combined, an over-estimate),
                                    "absent" (unknown to wordfreq: the reference count is 0)
    """
    import wordfreq

    top_n = _opt(top_n, corpus.options.top_n)
    min_count = _opt(min_count, corpus.options.min_count)
    reference_size = float(_opt(reference_size, corpus.options.reference_size))
    counts = corpus.term_counts()
    n_words = corpus.n_words
    present = np.flatnonzero(counts >= min_count)
    forms_by_term: dict[int, list[str]] = {}
    for wid, tid in enumerate(corpus.term_of_word):
        if tid >= 0:
            forms_by_term.setdefault(int(tid), []).append(corpus.words[wid])

    rows = []
    for tid in present:
        found = [_reference_frequency(form, language) for form in sorted(forms_by_term[int(tid)])]
        statuses = {status for _, status in found}
        status = next(s for s in ("word", "estimated from parts", "absent") if s in statuses)
        rows.append((corpus.terms[tid], int(counts[tid]), sum(f for f, _ in found), status))

    if absent_top:
        seen = set(corpus.terms)
        absent: dict[str, float] = {}
        for word in wordfreq.top_n_list(language, absent_top):
            form = normalize_token(word)
            term = form and _term_of(form, corpus.stopwords, corpus.options.stem)
            if term and term not in seen:
                absent[term] = absent.get(term, 0.0) + wordfreq.word_frequency(word, language)
        rows.extend((term, 0, freq, "word") for term, freq in absent.items())

    columns = ["term", "count", "per_10k", "reference_per_10k", "reference_count", "g2", "p_value", "log_ratio",
               "direction", "reference"]
    if not rows or n_words == 0:
        return pd.DataFrame(columns=columns)
    terms, a, proportion, status = (list(x) for x in zip(*rows))
    a = np.asarray(a, dtype=float)
    proportion = np.asarray(proportion, dtype=float)
    b = proportion * reference_size
    g2 = log_likelihood(a, b, n_words, reference_size)
    lr = log_ratio(a, b, n_words, reference_size)
    positive = a * reference_size > b * n_words
    table = pd.DataFrame({
        "term": terms, "count": a.astype(np.int64), "per_10k": _per_10k(a, n_words),
        "reference_per_10k": proportion * 10_000, "reference_count": b, "g2": g2, "p_value": _p_value(g2),
        "log_ratio": lr, "direction": np.where(positive, "positive", "negative"), "reference": status,
    })
    signed = np.where(positive, g2, -g2)
    table = table.iloc[np.lexsort((_alphabetical(table["term"]), -lr, -signed))].reset_index(drop=True)
    if top_n is not None:
        positive = table[table["direction"] == "positive"].head(top_n)
        negative = table[table["direction"] == "negative"].tail(top_n)
        table = pd.concat([positive, negative])
    return table.reset_index(drop=True)[columns]


# --- Concordance and dispersion --------------------------------------------------------------------------------

def _key_ids(corpus: TokenizedCorpus) -> np.ndarray:
    """Per word id: what a query matches — the term id for terms (so a stemmed query finds every form), or
    len(terms) + word id for stopwords."""
    if "key_ids" not in corpus._cache:
        stop_keys = len(corpus.terms) + np.arange(len(corpus.words), dtype=np.int64)
        corpus._cache["key_ids"] = np.where(corpus.term_of_word >= 0, corpus.term_of_word, stop_keys)
    return corpus._cache["key_ids"]


def _query_keys(corpus: TokenizedCorpus, query: str) -> list[int] | None:
    # Made once per corpus (``setdefault`` with the dicts as its argument made both again at every query).
    if "term_index" not in corpus._cache:
        corpus._cache["term_index"] = {t: i for i, t in enumerate(corpus.terms)}
        corpus._cache["word_index"] = {w: i for i, w in enumerate(corpus.words)}
    term_index, word_index = corpus._cache["term_index"], corpus._cache["word_index"]
    keys = []
    for form in word_forms(query):
        term = _term_of(form, corpus.stopwords, corpus.options.stem)
        if term is not None:
            key = term_index.get(term)
        else:
            key = word_index.get(form)
            key = None if key is None else len(corpus.terms) + key
        if key is None:
            return None
        keys.append(key)
    return keys or None


def _matches(corpus: TokenizedCorpus, query: str) -> tuple[np.ndarray, int]:
    """Token positions (in ``word_ids``) where the words of ``query`` occur in sequence, and the query length."""
    keys = _query_keys(corpus, query)
    if keys is None:
        return np.zeros(0, dtype=np.int64), 0
    # Kept as int32 offsets within their chunk and placed into one int64 array at the end: int64 positions joined
    # by ``np.concatenate`` were held twice for a moment (the 1 million occurrences of "said" in 100,000 articles:
    # 16 MB).
    found = [(start, offsets.astype(np.int32)) for start, offsets, _ in _match_chunks(corpus, keys)]
    positions = np.empty(sum(len(offsets) for _, offsets in found), dtype=np.int64)
    first = 0
    for start, offsets in found:
        np.add(offsets, start, out=positions[first:first + len(offsets)])
        first += len(offsets)
    return positions, len(keys)


def _match_chunks(corpus: TokenizedCorpus, keys: list[int], words: bool = False
                  ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """Where the words ``keys`` (``_query_keys``) occur in sequence, a chunk of tokens at a time in corpus order:
    the chunk's first token, the matches' offsets in it (ascending) and, with ``words``, how many words come before
    each match in the corpus (its corpus position; every token is then read, to count the words).

    The tokens are compared with the few word ids of each key (a term's forms, or one stopword) a quarter of
    ``_TOKEN_CHUNK`` at a time: looking up every token's key gathered 80 million int64 for 100,000 articles (0.9 GB),
    bool arrays of all tokens took 240 MB, and ``np.isin`` makes int64 and bool temporaries of its chunk (12.5 MB
    for a million tokens and a term of three forms). The words before a match are the tokens before it less the
    chunk's other tokens (punctuation, document ends) before it: a running count of all 80 million tokens of 100,000
    articles took 640 MB, and one of each chunk's words (int64) made the dispersion of three terms peak about 20 MB
    higher."""
    ids = corpus.word_ids
    span = len(ids) - len(keys) + 1  # the last token where a match can start, plus one
    words_of_keys = [np.flatnonzero(_key_ids(corpus) == key).astype(ids.dtype) for key in keys]
    size = max(_TOKEN_CHUNK // 4, 1)
    words_so_far = 0
    for start in _in_chunks(len(ids) if words else max(span, 0), size):
        end = min(start + size, len(ids))
        ok = np.ones(max(min(end, span) - start, 0), dtype=bool)
        for k, key_words in enumerate(words_of_keys):
            ok &= np.isin(ids[start + k:start + k + len(ok)], key_words)
        offsets, before = np.flatnonzero(ok), None
        if words:
            others = np.flatnonzero(ids[start:end] < 0)
            before = words_so_far + offsets - np.searchsorted(others, offsets)
            words_so_far += end - start - len(others)
        yield start, offsets, before


def kwic(corpus: TokenizedCorpus, terms: Sequence[str], width: int | None = None,
         max_lines: int | None = None) -> pd.DataFrame:
    """Keyword-in-context lines for each query in ``terms`` (a word or a phrase, normalised like the text; with
    stemming on, "negotiate" also finds "negotiations"; phrases match adjacent words, not across punctuation).

    Rows: in the order of ``terms``, then corpus order, then position. With ``max_lines``, at most that many per
    query, spread evenly over its occurrences (every k-th in corpus order), so that a sample of a large corpus's
    lines comes from all of it, not from its first documents.
    Columns:
        doc_id, query (as given)
        left, keyword, right   the original text: ``width`` words of context on each side (within the document,
                               across punctuation and line breaks; white space collapsed to single spaces)
        position               index of the keyword's first word among the document's words (0-based)
        start, end             character offsets of the keyword in the document's text
    """
    width = _opt(width, corpus.options.kwic_width)
    columns = ["doc_id", "query", "left", "keyword", "right", "position", "start", "end"]
    # Column lists, not a dict per line: the three most frequent terms of 100,000 articles give millions of lines.
    rows: dict[str, list] = {column: [] for column in columns}
    for query in terms:
        positions, n = _matches(corpus, query)
        if max_lines is not None and len(positions) > max_lines:
            positions = positions[np.arange(max_lines) * len(positions) // max_lines]
        docs = np.searchsorted(corpus.doc_starts, positions, side="right") - 1
        # The pages of each document's text and tokens leave the process once read (on disk with a cache): the
        # lines of a sample are spread over the corpus, and each read brings in a block of up to 2 MB of each file
        # (32 documents between drops took the kwic of 20 lines of 100,000 articles 43 MB above its start).
        for doc in dropping(np.unique(docs), every=1):
            text = corpus.texts[doc]
            start = corpus.doc_starts[doc]
            local_ids = corpus.word_ids[start:corpus.doc_starts[doc + 1] - 1]
            word_tokens = np.flatnonzero(local_ids >= 0)
            doc_positions = positions[docs == doc] - start
            # Offsets are not stored (they would double the memory): re-tokenise the document, only as far as the
            # right context of its last match.
            last_needed = np.searchsorted(word_tokens, doc_positions[-1]) + n - 1 + width
            spans = token_spans(text, limit=int(word_tokens[min(len(word_tokens) - 1, last_needed)]) + 1)
            for position in doc_positions:
                w = int(np.searchsorted(word_tokens, position))
                first = word_tokens[max(0, w - width)]
                last_word = word_tokens[w + n - 1]
                last = word_tokens[min(len(word_tokens) - 1, w + n - 1 + width)]
                k_start, k_end = spans[position][0], spans[last_word][1]
                for column, value in zip(columns, (
                        corpus.doc_ids[doc], query, " ".join(text[spans[first][0]:k_start].split()),
                        " ".join(text[k_start:k_end].split()), " ".join(text[k_end:spans[last][1]].split()),
                        w, k_start, k_end)):
                    rows[column].append(value)
    return pd.DataFrame(rows, columns=columns)


def concordance_terms(corpus: TokenizedCorpus, terms: Sequence[str], n_default: int = 3,
                      parameter: str = "kwic_terms") -> list[str]:
    """The queries for ``kwic`` and ``dispersion``: ``terms`` if given, else the ``n_default`` most frequent terms
    (their most frequent word form when stemming is on).

    Raises
    ------
    newslens.parameters.ParameterError
        naming ``parameter``, when a given term does not occur in the corpus (a typo would otherwise give an empty
        concordance), with the corpus's closest words.
    """
    if not terms:
        # From the term counts alone: the whole term table (``term_frequencies``, with every term's dispersion over
        # the documents) took 185 MB at its peak on 100,000 articles, for three terms.
        counts = corpus.term_counts()
        top = [int(term) for term in _by_frequency(counts)[:n_default] if counts[term] > 0]
        if corpus.options.stem:
            forms = _forms_of_terms(corpus)
            return [forms[term].split("|")[0] for term in top]
        return [corpus.terms[term] for term in top]
    found = [term for term in terms if len(_matches(corpus, term)[0])]
    check_values(parameter, terms, found, "words of this corpus (or phrases made of them)", suggest_from=corpus.words)
    return list(terms)


def dispersion(corpus: TokenizedCorpus, terms: Sequence[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Where each query (word or phrase, matched as in ``kwic``) occurs: one row per occurrence, for a lexical
    dispersion plot. Rows in the order of ``terms``, then corpus order. ``columns``: only these of the columns
    below, in their order below (None: all); a caller that needs a few, e.g. the plot's query and corpus_position,
    holds the table of a large corpus at half the size.

    Columns:
        query               categorical: the queries, in the order of ``terms``
        doc_id              categorical: the documents with an occurrence, in corpus order
        doc_index           0-based position of the document in the corpus
        position            index of the occurrence among the document's words (0-based)
        relative_position   position / number of words of the document (0 = start, <1)
        corpus_position     index among all words of the corpus, documents concatenated in corpus order
    """
    wanted = DISPERSION_TABLE_COLUMNS if columns is None else [c for c in DISPERSION_TABLE_COLUMNS if c in columns]
    unknown = sorted(set(columns or ()) - set(DISPERSION_TABLE_COLUMNS))
    if unknown:
        raise ValueError(f"not a dispersion column: {', '.join(unknown)} (the columns: "
                         f"{', '.join(DISPERSION_TABLE_COLUMNS)})")
    # The occurrences counted first, then each column made once, in its final dtype, and filled a chunk of tokens
    # at a time: columns made as int64 for every query, then joined and converted, took 129 MB above the start for
    # the three most frequent terms of 100,000 articles (1.5 million occurrences, a 44 MB table).
    counts = [sum(len(offsets) for _, offsets, _ in _match_chunks(corpus, keys)) if keys else 0
              for keys in (_query_keys(corpus, query) for query in terms)]
    doc_first_word = np.r_[0, np.cumsum(corpus.doc_words)[:-1]]
    total = sum(counts)
    docs, global_position = np.empty(total, dtype=np.int32), np.empty(total, dtype=np.int64)
    local = np.empty(total, dtype=np.int32) if {"position", "relative_position"} & set(wanted) else None
    relative = np.empty(total, dtype=np.float64) if "relative_position" in wanted else None
    first = 0
    for query in terms:
        for positions, before in _occurrences(corpus, query):
            rows = slice(first, first + len(positions))
            docs[rows] = np.searchsorted(corpus.doc_starts, positions, side="right") - 1
            global_position[rows] = before
            if local is not None:
                local[rows] = before - doc_first_word[docs[rows]]
            if relative is not None:
                relative[rows] = _per_10k(local[rows], corpus.doc_words[docs[rows]]) / 10_000
            first += len(positions)
    made = {"query": lambda: _query_column(terms, counts), "doc_id": lambda: _document_column(corpus.doc_ids, docs),
            "doc_index": lambda: docs, "position": lambda: local, "relative_position": lambda: relative,
            "corpus_position": lambda: global_position}
    return pd.DataFrame({column: made[column]() for column in wanted}, copy=False)


DISPERSION_TABLE_COLUMNS = ["query", "doc_id", "doc_index", "position", "relative_position", "corpus_position"]

# Ticks per query row of a dispersion plot beyond which occurrences are merged: twice the figure's 1,200 pixels
# (10 inches at 120 dpi), so the picture is the same, while the SVG of the 3 most frequent terms of 100,000 articles
# (1.5 million occurrences) no longer holds a path per occurrence (162 MB).
DISPERSION_TICKS = 2_400


def dispersion_ticks(corpus: TokenizedCorpus, terms: Sequence[str], max_ticks: int = DISPERSION_TICKS
                     ) -> pd.DataFrame:
    """The ticks of a lexical dispersion plot of each query (matched as in ``kwic``; a query given twice, once):
    every occurrence while a query has at most ``max_ticks``, else one tick at the middle of each
    1/``max_ticks`` of the corpus that holds any of its occurrences. The picture is the same at the figure's
    resolution, and the table does not grow with the corpus (``dispersion``, one row per occurrence, held 1.5 million
    rows for the three most frequent terms of 100,000 articles). Rows in the order of ``terms``, then corpus order.

    Columns:
        query            categorical: the queries, in the order of ``terms``
        corpus_position  float: where the tick is, in words of the corpus (documents concatenated in corpus order)
        occurrences      how many occurrences the tick stands for (1 unless merged)
    """
    queries = list(dict.fromkeys(terms))
    extent = max(corpus.n_words, 1)
    ticks, counts = [], []
    for query in queries:
        # Made a chunk of tokens at a time, so that no array of every occurrence is held (the positions and word
        # counts of the three most frequent terms of 100,000 articles took this step 26 MB above its start): each
        # chunk's occurrences are kept while the query has at most ``max_ticks``, and its stretches.
        exact, stretches, merged, total = [], [], [], 0
        for _, before in _occurrences(corpus, query):
            total += len(before)
            if total <= max_ticks:
                exact.append(before.copy())
            else:
                exact.clear()
            before *= max_ticks
            before //= extent  # the stretch of each occurrence, in corpus order: equal stretches are neighbours
            firsts, runs = _runs(before)
            stretches.append(before[firsts])
            merged.append(runs)
        if total > max_ticks:
            stretch = _joined(stretches, np.int64)
            firsts, runs = _joined_runs(stretch, _joined(merged, np.int64))
            ticks.append((stretch[firsts] + 0.5) * extent / max_ticks)
            counts.append(runs)
        else:
            ticks.append(_joined(exact, np.int64).astype(np.float64))
            counts.append(np.ones(total, dtype=np.int64))
    return pd.DataFrame({"query": _query_column(queries, [len(t) for t in ticks]),
                         "corpus_position": _joined(ticks, np.float64), "occurrences": _joined(counts, np.int64)},
                        copy=False)


def dispersion_by_document(corpus: TokenizedCorpus, terms: Sequence[str]) -> pd.DataFrame:
    """How often each query (matched as in ``kwic``; a query given twice, once) occurs in each document that holds
    it, and where: one row per query and document, in the order of ``terms``, then corpus order. Its size is that of
    the documents, not of the occurrences.

    Columns:
        query             categorical: the queries, in the order of ``terms``
        doc_id            categorical: the documents with an occurrence, in corpus order
        occurrences       how many times the query occurs in the document
        first_at, last_at relative position of its first and last occurrence in the document (as in ``dispersion``:
                          position / number of words of the document; 0 = start, <1)
    """
    # What the steps before freed goes back first: notebook 01's explorer on 100,000 articles (first run) called
    # this with 8 MB of free heap in its kernel, which the rows were then made on top of.
    release_free_memory()
    queries = list(dict.fromkeys(terms))
    doc_first_word = np.r_[0, np.cumsum(corpus.doc_words)[:-1]]
    docs, counts, first_at, last_at = [], [], [], []
    for query in queries:
        # A chunk of tokens at a time, each chunk's occurrences reduced to a row per document (its first and last
        # occurrence and their number), so that what is held grows with the documents, not the occurrences: an
        # array of every occurrence's token position, document and word count made this step 42 MB above its start
        # for the three most frequent terms of 100,000 articles.
        held, runs, firsts, lasts = [], [], [], []
        for positions, before in _occurrences(corpus, query):
            doc = np.searchsorted(corpus.doc_starts, positions, side="right") - 1
            first, count = _runs(doc)  # occurrences come in corpus order: a document's are neighbours
            held.append(doc[first])
            runs.append(count)
            firsts.append(before[first])
            lasts.append(before[first + count - 1])
        # A document cut by a chunk's end has a run in each chunk: joined.
        chunk_docs = _joined(held, np.int64)
        first, count = _joined_runs(chunk_docs, _joined(runs, np.int64))
        doc = chunk_docs[first]
        first_word = _joined(firsts, np.int64)[first]
        last_word = _joined(lasts, np.int64)[np.r_[first[1:], len(chunk_docs)][:len(first)] - 1]  # last run's
        words = corpus.doc_words[doc]
        docs.append(doc)
        counts.append(count)
        first_at.append(_per_10k(first_word - doc_first_word[doc], words) / 10_000)
        last_at.append(_per_10k(last_word - doc_first_word[doc], words) / 10_000)
    table = {"query": _query_column(queries, [len(d) for d in docs]),
             "doc_id": _document_column(corpus.doc_ids, _joined(docs, np.int64), "object"),  # never cached
             "occurrences": _joined(counts, np.int64), "first_at": _joined(first_at, np.float64),
             "last_at": _joined(last_at, np.float64)}
    return pd.DataFrame(table, copy=False)  # not copied into blocks of one dtype: +8 MB at 100,000 articles


def _joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """``arrays`` concatenated (empty: no rows of ``dtype``), the list emptied: each column of a table is joined
    after the previous one's pieces were freed."""
    joined = np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)
    arrays.clear()
    return joined


def _occurrences(corpus: TokenizedCorpus, query: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The token positions of the occurrences of ``query`` and the words before each in the corpus (its corpus
    position), both int64 and ascending, a chunk of tokens at a time (chunks without one are left out)."""
    keys = _query_keys(corpus, query)
    if keys is None:
        return
    for start, offsets, before in _match_chunks(corpus, keys, words=True):
        if len(offsets):
            yield offsets + start, before


def _joined_runs(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal ``values`` made chunk by chunk (``counts``: the length of each), joined where a run goes on
    into the next chunk: the first place of each joined run in ``values`` and its length."""
    firsts = _runs(values)[0]
    return firsts, np.add.reduceat(counts, firsts) if len(firsts) else np.zeros(0, dtype=np.int64)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first position of each run of equal neighbours in ``values`` and the run's length: for sorted values,
    their distinct values' first places and counts, without ``np.unique``'s sorted copy and its order (notebook 01's
    explorer on the most frequent term of 100,000 articles, replayed: its dispersion step 355 -> 343 MB)."""
    firsts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.zeros(0, dtype=np.int64)
    return firsts, np.diff(np.r_[firsts, len(values)]).astype(np.int64)


# The query and document of each occurrence as categoricals (a small code per row, each name once): with them as
# Arrow text, the kernel of notebook 01 on 100,000 articles (1.5 million occurrences of the three most frequent
# terms) peaked at 616 MB instead of 556; as numpy arrays of Python strings, 225 MB above the level for the table.
def _query_column(terms: Sequence[str], counts: list[int]) -> pd.Categorical:
    """The query of each occurrence, ``counts[i]`` rows of ``terms[i]`` in turn (a term given twice: one category)."""
    categories = list(dict.fromkeys(terms))
    codes = np.repeat(np.array([categories.index(term) for term in terms], dtype=np.int32), counts)
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))


def _document_column(doc_ids: Sequence[str], docs: np.ndarray, category_dtype: str = "str") -> pd.Categorical:
    """The doc_id of each document index in ``docs``; its categories are the documents present, in corpus order:
    Arrow text (``category_dtype="str"``, as a table read back from the cache has them) or the corpus's own str
    objects (``"object"``, for a table that is never cached). Arrow text costs more while the column is made (pandas
    checks that the categories are unique through a Python string made of each): for 100,000 names, 23.8 MB against
    2.1."""
    present = np.zeros(len(doc_ids), dtype=bool)
    present[docs] = True
    code_of = np.cumsum(present, dtype=np.int32) - 1
    kept = [doc_ids[place] for place in np.flatnonzero(present).tolist()]  # the same str objects, not copies
    return pd.Categorical.from_codes(code_of[docs], categories=pd.Index(kept, dtype=category_dtype))
