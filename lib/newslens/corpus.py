"""Load a corpus: a folder of .txt / .html files (+ optional metadata.csv), or one .csv / .jsonl / .json / .parquet
table.

``load_corpus(path) -> Corpus`` with

``Corpus.documents`` — one row per kept document, sorted by doc_id:
    doc_id        stable id: for a folder the file's path relative to it without ".txt" (e.g. "000_8d3096f3f0fa6a76");
                  for a table its ``doc_id``/``id`` column, else "row_000001" … by row number
    file          the source file (relative to the corpus folder, or the table's name)
    title         first line of the text, or the table's/metadata's ``title``
    outlet, cited_source, published
                  from metadata (published as ISO "YYYY-MM-DD", "" where unknown — never guessed);
                  cited_source falls back to a "Source: …" line found in the text. The columns of a table or of
                  metadata.csv are found by their names in ``COLUMN_NAMES`` ("publishedAt", "source.name", …)
    text          cleaned text (title as its first line) — what every analysis reads (the text as read is not kept:
                  ``Corpus.cleaning`` says what was removed from it, and 100,000 texts held twice cost 0.4 GB more)
    encoding      "utf-8"; "cp1252" or "latin-1" for a file in that encoding; "cp1251" or "koi8-r" for Cyrillic text
                  in a Windows or KOI8 code page (told apart from cp1252 by charset-normalizer); "utf-16" (with or
                  without a byte-order mark); "utf-8+cp1252" for a UTF-8 file with a few stray cp1252 bytes (only
                  those bytes are decoded as cp1252)
    language      ISO 639-1 code of the document's language detected by py3langid ("en", "de", "ru", …), or ""
                  when the text is too short (under 100 letters) or the detection is less than 90% sure
    n_words, n_chars_raw, n_chars_clean, n_removed   sizes and how many cleaning actions touched the document
``DocumentTexts(documents)`` — doc_id -> text, without copying the texts out of their Arrow column all at once.
``DocumentTitles(documents)`` — doc_id -> title, looked up when asked (no dict of every title).
``write_documents(documents, columns, path)``, ``read_documents(path)`` — columns of a documents table through a
    named file, for another process: the texts are mapped from it, not copied.
``Corpus.cleaning`` — the cleaning report: doc_id, step, line, removed, reason (one row per action)
``Corpus.problems`` — what was skipped or repaired: file, problem, action ("skipped" / "repaired" / "ignored" /
    "flagged": a document kept but not in English)

Bad input never raises from deep inside pandas: a file that cannot be used is skipped with a ``CorpusWarning``
naming it; a corpus with nothing usable at all, or a table that cannot be read without guessing (a row with more
values than columns, rows without an id), raises ``CorpusError``. In a folder, hidden files and folders (".notes.txt",
".ipynb_checkpoints/") are not read, and the problems table says how many there were. A link is read only when it
points inside the corpus folder; links to folders are not followed (both are reported). Files over
``MAX_DOCUMENT_BYTES`` are skipped unread, and publication dates in the future or before ``EARLIEST_DATE`` are
refused.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Mapping, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cache import KEY, mapped_folder
from .cleaning import Removal, clean_text
from .language import detect_language, is_english, load_identifier
from .memory import (DROP_EVERY, MappedColumn, MappedTable, drop_mapped_pages, dropping, read_mapped_table,
                     release_free_memory)
from .parts import text_dtype
from .text import WORD_PATTERN
from .webpage import page_text

# What the columns of a table or of metadata.csv may be called, by what they hold: this project's names first, then
# those of common exports (NewsAPI's "publishedAt" and "source.name", news-please's "maintext", "date_publish" and
# "source_domain", Media Cloud's "media_name", a spreadsheet's "Date" or "Headline"). Compared without case, spaces,
# "_", "-" or "."; the first name a table has is the one read, and every column not read is listed as a problem.
COLUMN_NAMES = {
    "doc_id": ("doc_id", "id"),
    "text": ("text", "body", "content", "article", "maintext", "full_text", "article_text"),
    "title": ("title", "headline"),
    "outlet": ("outlet", "source", "source_name", "media_name", "publisher", "publication", "site_name",
               "source_domain", "domain", "newspaper"),
    "cited_source": ("cited_source",),
    "published": ("published", "date", "published_at", "publish_date", "date_publish", "date_published",
                  "publication_date", "pub_date", "datetime"),
}
METADATA_COLUMNS = ("file", "title", "outlet", "cited_source", "published")
TEXT_COLUMNS = COLUMN_NAMES["text"]
ID_COLUMNS = COLUMN_NAMES["doc_id"]
MAX_TITLE_CHARS = 300  # a longer first line is a whole article without line breaks, not a headline
# The longest news articles are well under 1 MB of text; 5 MB is a book of about 800 pages. A larger "article" is a
# dump or a mistake, and tokenising it would need gigabytes of memory in every notebook.
MAX_DOCUMENT_BYTES = 5_000_000
EARLIEST_DATE = dt.date(1600, 1, 1)  # before the first printed newspapers: a typo, not a publication date
# A clock set in the past must not refuse real dates: no date up to this day is ever "in the future".
_KNOWN_PAST = dt.date(2026, 11, 30)
DOCUMENT_COLUMNS = ["doc_id", "file", "title", "outlet", "cited_source", "published", "text", "encoding", "language",
                    "n_words", "n_chars_raw", "n_chars_clean", "n_removed"]
_ROW_COLUMNS = [column for column in DOCUMENT_COLUMNS if column != "text"]  # the text goes to its own column
# The start of a metadata row ("name.txt,"): a line inside a quoted value that starts like this was swallowed by an
# unclosed quote.
_ROW_START = re.compile(r"[^,\n]*\.txt\s*,", re.IGNORECASE)


class DocumentTitles(Mapping):
    """doc_id -> title of ``documents`` (columns ``doc_id`` and ``title``), looked up when asked: a report names a
    few documents, and a dict of every title held 28 MB in notebook 01's kernel at 100,000 articles (and every table
    shown with its titles built one more for a moment). ``of`` looks up many at once."""

    def __init__(self, documents: pd.DataFrame):
        self._ids, self._titles = documents["doc_id"], documents["title"]

    def of(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """The titles of those of ``doc_ids`` that are documents here."""
        rows = np.flatnonzero(self._ids.isin(set(doc_ids)).to_numpy(dtype=bool)).tolist()
        # Mapped from disk, the pages of the ids (all read) and of the titles (picked across the table) leave the
        # process as they are read: the 500 rows of a concordance shown at 100,000 articles brought in 19 MB.
        drop_mapped_pages()
        return {self._ids.iat[row]: self._titles.iat[row] for row in dropping(rows)}

    def __getitem__(self, doc_id: str) -> str:
        return self.of([doc_id])[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class DocumentTexts(Mapping):
    """doc_id -> text of ``documents`` (``Corpus.documents`` or some of its rows), each text made a Python string
    only when asked for, the last one kept (callers ask document by document). The text column is Arrow: a dict of
    every text copies the corpus out of it (measured: +509 MB at 100,000 articles), and so does selecting scattered
    rows of the table (Arrow joins the column's chunks first: +425 MB). Texts mapped from disk (loaded with a cache)
    leave the process's memory again after every ``memory.DROP_EVERY`` texts asked for, as ``memory.dropping``
    does for a loop."""

    def __init__(self, documents: pd.DataFrame):
        self._column = documents["text"]
        self._place = {doc_id: place for place, doc_id in enumerate(documents["doc_id"].astype(str))}
        self._last: tuple[str | None, str] = (None, "")
        self._asked = 0

    def __getitem__(self, doc_id: str) -> str:
        if self._last[0] != doc_id:
            text = self._column.iat[self._place[doc_id]]
            self._last = (doc_id, "" if pd.isna(text) else str(text))
            self._asked += 1
            if self._asked % DROP_EVERY == 0:
                drop_mapped_pages()
        return self._last[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._place)

    def __len__(self) -> int:
        return len(self._place)


class CorpusError(ValueError):
    """The corpus cannot be loaded at all (the message names the path and the problem)."""


class CorpusWarning(UserWarning):
    """A document or metadata row was skipped or repaired (the message names the file and the problem)."""


@dataclass
class Corpus:
    documents: pd.DataFrame
    cleaning: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "problem", "action"]))


@dataclass
class _Problems:
    rows: list[dict] = field(default_factory=list)

    def add(self, file: str, problem: str, action: str) -> None:
        warnings.warn(f"{file}: {problem} ({action})", CorpusWarning, stacklevel=3)
        self.rows.append({"file": file, "problem": problem, "action": action})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["file", "problem", "action"])


def load_corpus(path: str | Path, cache_dir: str | Path | None = None) -> Corpus:
    """The documents of ``path`` (a folder or a table, see the module's docstring), cleaned.

    Parameters
    ----------
    path : path
        A folder of .txt / .html files (+ metadata.csv) or a .csv / .jsonl / .json / .parquet table.
    cache_dir : path, optional
        Folder of the on-disk cache (``newslens.cache``): each text's cleaning and language, keyed by the sha256 of
        the text as read, are kept there, so a rerun cleans only new or changed texts; None: clean everything.

    Returns
    -------
    Corpus
        The same with or without a cache, warnings included (every file is still read and checked).
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder")
    if cache_dir is not None and _input_bytes(path) >= PROCESS_BYTES:
        return _loaded_apart(path, cache_dir)
    return _loaded(path, cache_dir)


# From this many bytes of input (a folder's files, or a table), a corpus is read and cleaned in a process of its own
# when there is a cache, where its texts are mapped from: the small objects of reading 100,000 articles (420 MB),
# freed yet scattered over Python's memory arenas, kept those arenas in the process that read them, for good: 149 MB
# of arenas holding 45 MB of objects after loading, 347 MB in all, in every notebook's kernel. The 10,000 articles
# (42 MB) are read where they are used: a process costs about 2 s and would save about 10 MB.
PROCESS_BYTES = 100 * 2**20


def _input_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(os.stat(entry).st_size for _, entry, is_link, is_file in _walk(path) if is_file and not is_link)


def _loaded(path: Path, cache_dir: str | Path | None) -> Corpus:
    problems = _Problems()
    cache = _cleaning_cache(cache_dir)
    if cache is None or not cache.folder.exists():
        # Every text will be cleaned, so the language model is loaded before the texts are read: loading it takes
        # 110 MB for a moment, which on top of what reading 100,000 articles holds made the peak of their loading
        # (337 MB; 71 MB once loaded). A cache that holds cleaned texts may need no detection at all.
        load_identifier()
    raw_texts = _RawTexts(mapped_folder(cache_dir))
    if path.is_dir():
        records = _read_folder(path, problems, raw_texts)
    elif path.suffix.lower() in (".csv", ".jsonl", ".json", ".parquet"):
        records = _read_table(path, problems, raw_texts)
    else:
        raise CorpusError(f"{path}: not a folder of .txt / .html files nor a .csv, .jsonl, .json or .parquet table")
    return _build(records, raw_texts, problems, path, cache_dir, cache)


def _loaded_apart(path: Path, cache_dir: str | Path) -> Corpus:
    """``_loaded`` in a process of its own (``_load_apart``): its documents and cleaning report come back in files
    of the cache (the texts mapped here, not copied), its problems pickled, and its warnings and errors are given
    here as they were there."""
    from .parallel import in_fresh_process

    folder = mapped_folder(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, ignore_cleanup_errors=True) as scratch:
        documents_file, cleaning_file = Path(scratch) / "documents.arrow", Path(scratch) / "cleaning.arrow"
        problems, caught, error = in_fresh_process(_load_apart, path, cache_dir, documents_file, cleaning_file)
        for message, category in caught:
            warnings.warn(message, category, stacklevel=3)
        if error is not None:
            raise error
        # Mapped: the files may go, the mappings stay.
        documents, cleaning = read_documents(documents_file), read_documents(cleaning_file)
    return Corpus(documents=documents, cleaning=cleaning, problems=problems)


def _load_apart(path: Path, cache_dir: str | Path, documents_file: Path, cleaning_file: Path
                ) -> tuple[pd.DataFrame | None, list[tuple[str, type]], CorpusError | None]:
    """For ``_loaded_apart``, in the process of its own: the corpus's documents and cleaning report written to
    ``documents_file`` and ``cleaning_file`` (pickled back, the 260,000 rows of the cleaning report of 100,000
    articles and their documents made a 48 MB pickle, and the peak of this process); its problems; the warnings
    given (message, category); the ``CorpusError`` raised, if any."""
    corpus, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            corpus = _loaded(path, cache_dir)
        except CorpusError as raised:
            error = raised
    if corpus is not None:
        write_documents(corpus.documents, DOCUMENT_COLUMNS, documents_file)
        write_documents(corpus.cleaning, _REPORT_COLUMNS, cleaning_file)
    problems = corpus.problems if corpus is not None else None
    return problems, [(str(warning.message), warning.category) for warning in caught], error


# --- reading -------------------------------------------------------------------------------------------------------

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _cp1252_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    # Each byte that is not UTF-8 is read as cp1252 (latin-1 where cp1252 has no character): a UTF-8 file with one
    # stray Windows quote keeps its other accents, and a whole cp1252 file decodes exactly as cp1252 would.
    bad = error.object[error.start:error.end]
    return "".join(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad), error.end


codecs.register_error("newslens-cp1252", _cp1252_bytes)
_CP1252_FROM_LATIN1 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in _CP1252_UNDEFINED}


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" for UTF-16 text without a byte-order mark, else None.

    Text in UTF-16 has a NUL in the high byte of every ASCII character (spaces, digits, punctuation, Latin letters):
    at odd offsets for little-endian, at even ones for big-endian, and almost never at the other.
    """
    head = data[:8192]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    pairs = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    for encoding, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high >= 0.1 * pairs and low <= 0.01 * pairs:
            try:
                text = data[: len(data) - len(data) % 2].decode(encoding)
            except UnicodeDecodeError:
                return None
            return None if _CONTROL_CHARACTERS.search(text[:4096]) else encoding
    return None


_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CYRILLIC_CODE_PAGES = {"cp1251": "cp1251", "koi8_r": "koi8-r"}
_MIN_CYRILLIC_LETTERS = 20  # fewer: an accent or two of a Western text, which cp1251 would also "decode"


def _single_byte_encoding(data: bytes) -> str:
    """The code page of a file that has no valid UTF-8 sequence: "cp1251" / "koi8-r" for Cyrillic text, else
    "cp1252" (or "latin-1" for bytes that cp1252 leaves undefined).

    charset-normalizer decides between the Western and the Cyrillic code pages (it reads which decoding gives
    plausible text); it is asked only about those three, because on a short Western text a wider choice picks
    Central European code pages that differ from cp1252 in a few letters. A Cyrillic answer is taken only when it
    gives words of Cyrillic letters, not one stray letter.
    """
    import charset_normalizer

    best = charset_normalizer.from_bytes(data[:65536], cp_isolation=["cp1252", *_CYRILLIC_CODE_PAGES]).best()
    if best is not None and best.encoding in _CYRILLIC_CODE_PAGES:
        encoding = _CYRILLIC_CODE_PAGES[best.encoding]
        cyrillic = len(re.findall(r"[\u0400-\u04ff]", data[:65536].decode(encoding, errors="replace")))
        if cyrillic >= _MIN_CYRILLIC_LETTERS:
            return encoding
    return "latin-1" if _CP1252_UNDEFINED.intersection(data) else "cp1252"


def _decode(data: bytes, name: str, problems: _Problems) -> tuple[str, str] | None:
    """Text and encoding, or None (with a warning) for what is not a text document."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows "Unicode" text: its NULs are not binary
        try:
            return _decoded_utf16(data.decode("utf-16"), name, "UTF-16 text; decoded", problems)
        except UnicodeDecodeError:
            problems.add(name, "starts like UTF-16 text but is not valid UTF-16", "skipped")
            return None
    if not data.strip():
        problems.add(name, "empty file", "skipped")
        return None
    if data.lstrip().startswith(b"%PDF-"):  # PDF can be all ASCII, so the binary test below may not see it
        problems.add(name, "a PDF file, not text (extract its text first)", "skipped")
        return None
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decoded_utf16(data[: len(data) - len(data) % 2].decode(utf16), name,
                              f"UTF-16 text without a byte-order mark ({utf16[-2:].upper()}); decoded", problems)
    head = data[:8192]
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or control > len(head) * 0.05:
        problems.add(name, "binary file, not text", "skipped")
        return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
    text = data.decode("utf-8-sig", errors="newslens-cp1252")
    if text == data.decode("latin-1").translate(_CP1252_FROM_LATIN1):  # no valid UTF-8 sequence: a single-byte file
        encoding = _single_byte_encoding(data)
        if encoding not in ("cp1252", "latin-1"):
            text = data.decode(encoding)
        problems.add(name, f"not valid UTF-8 (first bad {where}); decoded as {encoding}", "repaired")
        return text, encoding
    problems.add(name, f"mostly UTF-8, but some bytes are not (first at {where}); those bytes decoded as cp1252",
                 "repaired")
    return text, "utf-8+cp1252"


def _decoded_utf16(text: str, name: str, message: str, problems: _Problems) -> tuple[str, str] | None:
    if not text.strip():
        problems.add(name, "empty file", "skipped")
        return None
    problems.add(name, message, "repaired")
    return text.lstrip("\ufeff"), "utf-16"


_HTML = re.compile(r"^\s*(<!doctype html|<html\b|<\?xml[^>]*>\s*<html\b)", re.IGNORECASE)
# A fragment of a page saved as text ("<p>Talks resumed…</p>"): it starts with an element tag and closes one.
_HTML_FRAGMENT = re.compile(r"^\s*<(p|div|span|a|article|section|main|header|h[1-6]|ul|ol|li|table|figure|img|br|"
                            r"strong|em|b|i|blockquote)\b[^>]*>.*?</[a-z][a-z0-9]*\s*>", re.IGNORECASE | re.DOTALL)


DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")  # the files of a folder that are articles
_HTML_SUFFIXES = (".html", ".htm")
_HTML_NOTE = "an HTML page, not plain text: its article text was taken from the markup"
_NO_ARTICLE = "an HTML page without article text (no paragraph outside menus, headers, footers and scripts)"


def _looks_like_html(text: str) -> bool:
    return (bool(_HTML.match(text)) or bool(_HTML_FRAGMENT.match(text[:20000]))
            or len(re.findall(r"</?(div|p|span|a|script|body|head)\b", text[:20000])) >= 10)


def _list_folder(folder: Path, problems: _Problems) -> list[str]:
    """The name (its path in the corpus folder, "/"-separated) of every visible file of the corpus, in the order of
    their folders and names, links refused where they leave it (with a warning)."""
    names, hidden = [], []
    root = folder.resolve()
    # os.scandir, not Path.rglob: a folder's listing tells which entries are links, files and folders, without
    # several stat calls per file (1.4 s of a 10,000-file rerun). Names, not Path objects, and sorted by one string
    # each ("/" as the lowest character: folder by folder): a Path per file and a list of parts per file to sort by
    # were 45 MB of the peak of reading 100,000 articles.
    listing = [(name, is_link, is_file) for name, _, is_link, is_file in _walk(folder)]
    listing.sort(key=lambda entry: entry[0].replace("/", "\0"))
    for name, is_link, is_file in listing:
        path = folder / name
        if any(part.startswith(".") for part in name.split("/")):
            hidden += [name] if path.suffix.lower() in DOCUMENT_SUFFIXES else []
        elif is_link and not path.exists():
            problems.add(name, "a link to a file that does not exist", "skipped")
        elif is_link and not path.resolve().is_relative_to(root):
            # Never name the target: the warning reaches the shared problems table.
            problems.add(name, "a link to a file or folder outside the corpus folder; not read", "skipped")
        elif is_link and path.is_dir():
            problems.add(name, "a link to a folder of the corpus; links to folders are not followed, so its files "
                               "are read only where they really are", "ignored")
        elif is_file:
            names.append(name)
    if hidden:  # editor backups and notebook checkpoints (".ipynb_checkpoints/a-checkpoint.txt") are not articles
        problems.add(hidden[0], f"hidden: {len(hidden)} document(s) in hidden folders or with hidden names, "
                                "e.g. this one, are not read", "ignored")
    return names


def _walk(folder: str | Path, prefix: str = ""):
    """(name relative to the corpus folder, path as a string, is a link, is a file or a link to one) of everything
    in ``folder`` and its subfolders; links to folders are not entered."""
    with os.scandir(folder) as listing:
        for entry in listing:
            name = prefix + entry.name
            yield name, entry.path, entry.is_symlink(), entry.is_file()
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, name + "/")


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _read_folder(folder: Path, problems: _Problems, raw_texts: _RawTexts) -> list[_Record]:
    names = _list_folder(folder, problems)
    files = [name for name in names if _suffix(name) in DOCUMENT_SUFFIXES]
    for name, suffix in ((name, _suffix(name)) for name in names):
        if suffix in (*DOCUMENT_SUFFIXES, ".yaml", ".yml") or name == "metadata.csv":
            continue
        problems.add(name, "not read: metadata is read only from metadata.csv at the top of the corpus folder"
                     if suffix == ".csv" else "not a .txt or .html document", "ignored")
    if not files:
        raise CorpusError(f"{folder}: no .txt or .html documents in this folder")
    metadata = _read_metadata(folder, set(files), problems)
    records, doc_ids = [], {}
    for name in files:
        file = folder / name
        doc_id = name[: -len(file.suffix)]
        if doc_id in doc_ids:
            problems.add(name, f"has the same doc_id '{doc_id}' as {doc_ids[doc_id]}", "skipped")
            continue
        doc_ids[doc_id] = name
        try:
            size = file.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                problems.add(name, f"{size / 1e6:,.1f} MB, over the {MAX_DOCUMENT_BYTES / 1e6:g} MB limit for one "
                                   "article (a whole archive or book?); split it into articles", "skipped")
                continue
            data = file.read_bytes()
        except OSError as error:
            problems.add(name, f"cannot be read ({error.strerror or error})", "skipped")
            continue
        decoded = _decode(data, name, problems)
        if decoded is None:
            continue
        text, encoding = decoded
        meta = dict(zip(METADATA_COLUMNS[1:], metadata.get(name, ())))
        if file.suffix.lower() in _HTML_SUFFIXES or _looks_like_html(text):
            text, meta = _page_article(text, meta, name, problems)
            if not text:
                continue
            if file.suffix.lower() not in _HTML_SUFFIXES:
                problems.add(name, _HTML_NOTE, "repaired")
        records.append(_Record(doc_id, name, name, *raw_texts.add(text), encoding, meta.get("title", ""),
                               meta.get("outlet", ""), meta.get("cited_source", ""), meta.get("published", "")))
    return records


def _page_article(html: str, meta: dict, where: str, problems: _Problems) -> tuple[str, dict]:
    """The article text of a web page ("" with a warning when it has none) and its metadata: what ``meta`` gives,
    else what the page says (its headline, date and outlet)."""
    page = page_text(html)
    if not page.text:
        problems.add(where, _NO_ARTICLE, "skipped")
        return "", meta
    from_page = {"title": page.title, "outlet": page.outlet,
                 "published": _published(page.published, where, problems) if not meta.get("published") else ""}
    return page.text, {**meta, **{key: value for key, value in from_page.items() if not meta.get(key)}}


class _Record(NamedTuple):
    """A document as read, until it is cleaned: a tuple, not a dict (100,000 dicts of ten fields were 27 MB of the
    peak of reading 100,000 articles; these tuples, 12 MB)."""

    doc_id: str
    file: str
    where: str  # where a warning about it points: the file, or the table's row
    key: str  # ``cache.text_key`` of the text as read
    n_chars_raw: int
    encoding: str
    title: str
    outlet: str
    cited_source: str
    published: str


class _RawTexts:
    """The texts as read, kept until they are cleaned as UTF-8 bytes (a Python string of news text with one curly
    quote takes two bytes per character) by their ``text_key``, in a column on disk with a ``folder``
    (``_TextColumn``): held in memory, the texts of 100,000 articles (0.43 GB) were most of the peak of loading
    them."""

    def __init__(self, folder: Path | None, batch: int = 1_000):
        self._column = _TextColumn(folder, batch, pa.large_binary())
        self._place: dict[str, int] = {}
        self._read: pa.ChunkedArray | None = None

    def add(self, text: str) -> tuple[str, int]:
        """Keep ``text``; its record's fields ``key`` (its ``text_key``) and ``n_chars_raw``."""
        raw = text.encode("utf-8", "surrogatepass")
        key = hashlib.sha256(raw).hexdigest()  # ``cache.text_key`` of the text as read
        if key not in self._place:  # files with the same bytes are kept once
            self._place[key] = len(self._place)
            self._column.append(raw)
        return key, len(text)

    def keys(self) -> list[str]:
        return list(self._place)

    def text(self, key: str) -> str:
        if self._read is None:
            self._read = self._column.column()
        return self._read[self._place[key]].as_py().decode("utf-8", "surrogatepass")

    def close(self) -> None:
        """Let the texts go (their file too, with a folder): every text is cleaned."""
        self._column, self._read, self._place = None, None, {}


# A date and time as ISO 8601 ("2025-11-23T14:05:00Z", "2025-11-23 14:05:00+01:00"), as feeds and APIs give them.
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


# The usual written forms, read without dateutil (0.3-0.7 ms a value: a minute for 100,000 articles): "Nov 24, 2025",
# "24 November 2025", "Mon, 24 Nov 2025 10:00:00 GMT" (feeds), with anything after the year.
_WORDY_DATE = re.compile(r"(?:[A-Za-z]{3,9}\.?,?\s+)?(?:(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?"
                         r"|(?P<month2>[A-Za-z]{3,9})\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?)\s+(?P<year>\d{4})\b.*")


def _parse_date(value: str) -> tuple[str | None, str]:
    """The day of a published date as "YYYY-MM-DD", or None and why not: an ISO date, an ISO date and time (the day
    as written, in the writer's time zone), or a date in words or numbers that names its day, month and year in
    one way only ("Nov 24, 2025", "Mon, 24 Nov 2025 10:00:00 GMT", "24/11/2025"); a month or year alone, and
    "03/04/2025" (3 April or 4 March?), are refused."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value).isoformat(), ""
        if _ISO_DATE_TIME.fullmatch(value):
            return dt.datetime.fromisoformat(value).date().isoformat(), ""
        wordy = _WORDY_DATE.fullmatch(value)
        month = wordy and _month_number(wordy["month"] or wordy["month2"])
        if month:
            return dt.date(int(wordy["year"]), month, int(wordy["day"] or wordy["day2"])).isoformat(), ""
    except ValueError:
        return None, ""
    if not re.search(r"\d", value):
        return None, "it holds no number"
    return _parse_other_date(value)


def _month_number(word: str) -> int | None:
    """1-12 for a month's name or its abbreviation ("Nov", "Sept", "November"), the date tagger's; else None."""
    from newslens.timex import MONTHS, month_names  # the tagger's lexicon; imported only for a date in words

    word = word.lower()
    return MONTHS[word[:3]] if word in month_names() else None


@functools.lru_cache(maxsize=4096)
def _parse_other_date(value: str) -> tuple[str | None, str]:
    """``_parse_date`` of any other form, by dateutil: read with two different defaults for the parts it lacks and,
    when it is all numbers, with the day or the month first and the year first or not; a complete, unambiguous date
    reads the same every way."""
    from dateutil import parser

    numeric = not re.search(r"[A-Za-z]", value)
    try:
        with warnings.catch_warnings():  # a time zone it does not know ("EST"): only the day is kept
            warnings.simplefilter("ignore")
            days = {parser.parse(value, default=default, dayfirst=dayfirst, yearfirst=yearfirst).date()
                    for default in (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))
                    for dayfirst in ((False, True) if numeric else (False,))
                    for yearfirst in ((False, True) if numeric else (False,))}
    except (ValueError, OverflowError):
        return None, ""
    if len(days) == 1:
        return days.pop().isoformat(), ""
    return None, "lacks its day, month or year, or can be read as more than one date"


def _published(value: str, where: str, problems: _Problems) -> str:
    """A publication date as "YYYY-MM-DD", or "" with a warning naming ``where`` when it is not a plausible one.

    The only use of the clock in newslens: a date after today cannot be a publication date. ``_KNOWN_PAST`` keeps a
    clock set in the past from refusing real dates.
    """
    if not value:
        return ""
    parsed, why = _parse_date(value)
    if parsed is None:
        problem = f"published date '{value}' is not a valid date{f' ({why})' if why else ''}: write it as YYYY-MM-DD"
    elif dt.date.fromisoformat(parsed) > max(dt.date.today(), _KNOWN_PAST):
        problem = f"published date '{value}' is in the future"
    elif dt.date.fromisoformat(parsed) < EARLIEST_DATE:
        problem = f"published date '{value}' is before {EARLIEST_DATE.year}, earlier than any newspaper"
    else:
        return parsed
    problems.add(where, f"{problem}; left empty", "repaired")
    return ""


def _read_metadata(folder: Path, files: set[str], problems: _Problems) -> dict[str, tuple[str, ...]]:
    path = folder / "metadata.csv"
    if not path.exists():
        return {}
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.add(name, "not valid UTF-8", "ignored")
        return {}
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        problems.add(name, f"cannot be parsed as CSV ({error})", "ignored")
        return {}
    header = [column.strip() for column in rows[0]] if rows else []
    if "file" not in header:
        problems.add(name, f"has no 'file' column (columns: {', '.join(header)})", "ignored")
        return {}
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.add(name, f"repeats the column(s) {', '.join(repeated)}; which one to use is unclear", "ignored")
        return {}
    roles = _column_roles(header, METADATA_COLUMNS[1:])
    _report_unread(name, header, roles, METADATA_COLUMNS[1:], problems, also_read=("file",))
    by_nfc = {unicodedata.normalize("NFC", f): f for f in files}  # macOS writes file names decomposed (NFD)
    metadata: dict[str, tuple[str, ...]] = {}
    line = 1
    for values in rows[1:]:
        line += 1 + sum(value.rstrip("\r\n").count("\n") for value in values)  # the line where this row ends
        where = f"{name} line {line}"
        if not any(value.strip() for value in values):
            continue
        if any("\n" in value for value in values):
            # A quoted value may hold line breaks (valid CSV; spreadsheets and Python's csv write them). An unclosed
            # quote shows as a value whose later lines start like rows of this file: "b.txt,...".
            if any(_ROW_START.match(part) for value in values for part in value.split("\n")[1:]):
                problems.add(where, "a value runs over several lines and swallows the rows after it (an unclosed "
                                    "quote?); this row and the rows it swallowed are ignored", "ignored")
                continue
            values = [" ".join(value.split()) if "\n" in value else value for value in values]
        if len(values) > len(header):
            problems.add(where, f"has {len(values)} values for {len(header)} columns (an unquoted comma?)", "ignored")
            continue
        row = dict(zip(header, values))
        listed = (row.get("file") or "").strip()
        file = by_nfc.get(unicodedata.normalize("NFC", listed), listed)
        if file not in files:
            problems.add(where, f"names '{file}', which is not a document of the corpus", "ignored")
            continue
        if file in metadata:
            problems.add(where, f"'{file}' is listed twice; the first row is used", "ignored")
            continue
        entry = {k: (row.get(roles.get(k, "")) or "").strip() for k in METADATA_COLUMNS[1:]}
        entry["published"] = _published(entry["published"], where, problems)
        # A tuple in the order of METADATA_COLUMNS[1:], not a dict: the 100,000 dicts of the benchmark corpus left the
        # loading process about 10 MB higher through its cleaning, where it peaks (351.7 -> 338.9 MB, profiled).
        metadata[file] = tuple(entry.values())
    return metadata


def _column_roles(columns, wanted) -> dict[str, str]:
    """The column that holds each of ``wanted`` (keys of ``COLUMN_NAMES``), found by the names it may have."""
    by_key = {}
    for column in columns:
        by_key.setdefault(_column_key(column), column)
    roles = {}
    for role in wanted:
        column = next((by_key[_column_key(n)] for n in COLUMN_NAMES[role] if _column_key(n) in by_key), None)
        if column is not None and column not in roles.values():
            roles[role] = column
    return roles


def _report_unread(where: str, columns, roles: dict[str, str], wanted, problems: _Problems, also_read=()) -> None:
    """Columns that no role reads are listed, with the names looked for where none was found: a date column called
    "fecha" must not be lost without a word."""
    unread = [str(c) for c in columns if c not in roles.values() and c not in also_read]
    if unread:
        missing = "; ".join(f"{role}: {', '.join(COLUMN_NAMES[role])}" for role in wanted if role not in roles)
        problems.add(where, f"columns not read: {', '.join(unread)}"
                            + (f" (names read where none was found — {missing})" if missing else ""), "ignored")


def _column_key(name) -> str:
    return re.sub(r"[\W_]+", "", str(name).casefold())


def _cell(value) -> str:
    """A table cell as text: "" for missing values (None, NaN, NA), "YYYY-MM-DD" for a date or timestamp."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):  # a timestamp's own calendar date (pandas' Timestamp is a datetime)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _read_table(path: Path, problems: _Problems, raw_texts: _RawTexts) -> list[dict]:
    try:
        if path.suffix.lower() == ".csv":
            with warnings.catch_warnings():
                # index_col=False: pandas would otherwise make a first row with one value too many into an index
                # and shift every column; its warning about the lost value becomes an error naming the file.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", index_col=False)
        elif path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
            if table.index.name in ID_COLUMNS:  # ids saved as the index (DataFrame.set_index("doc_id").to_parquet)
                table = table.reset_index()
        else:
            rows = _read_jsonl(path, problems) if path.suffix.lower() == ".jsonl" else _read_json(path, problems)
            # nested objects become columns ("source": {"name": …} → "source.name", read as the outlet)
            nested = any(isinstance(value, dict) for row in rows for value in row.values())
            table = pd.json_normalize(rows, max_level=1) if nested else pd.DataFrame(rows)
    except pd.errors.ParserWarning:
        raise CorpusError(f"{path}: a row has more values than the header has columns (a comma in an unquoted "
                          "text?); quote the values or fix the row") from None
    except CorpusError:
        raise
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as error:
        raise CorpusError(f"{path}: cannot be read as a {path.suffix[1:]} table: {error}") from None
    roles = _column_roles(table.columns, COLUMN_NAMES)
    text_column, id_column = roles.get("text"), roles.get("doc_id")
    if text_column is None:
        raise CorpusError(f"{path}: no text column (looked for {', '.join(TEXT_COLUMNS)}; "
                          f"found {', '.join(map(str, table.columns))})")
    _report_unread(path.name, table.columns, roles, COLUMN_NAMES, problems)
    ids = ([_cell(v) for v in table[id_column]] if id_column
           else [f"row_{i:06d}" for i in range(1, len(table) + 1)])
    missing = [i for i, doc_id in enumerate(ids, start=1) if not doc_id]
    if missing:
        raise CorpusError(f"{path}: column '{id_column}' is empty in {len(missing)} row(s), e.g. row "
                          f"{missing[0]}; give every row an id, or drop the column to number the rows")
    all_ids = pd.Series(ids)
    repeated = all_ids[all_ids.duplicated()]
    if len(repeated):
        raise CorpusError(f"{path}: column '{id_column}' has repeated ids, e.g. '{repeated.iloc[0]}'")
    records, html_rows = [], []
    for i, (doc_id, row) in enumerate(zip(ids, table.to_dict("records")), start=1):
        text = row[text_column]
        where = f"{path.name} row {i} (id '{doc_id}')" if id_column else f"{path.name} row {i}"
        if not isinstance(text, str):
            problems.add(where, "empty text" if _cell(text) == "" else f"text is not a string but {type(text).__name__}",
                         "skipped")
            continue
        if not text.strip():
            problems.add(where, "empty text", "skipped")
            continue
        if len(text) > MAX_DOCUMENT_BYTES:
            problems.add(where, f"{len(text):,} characters, over the {MAX_DOCUMENT_BYTES / 1e6:g} MB limit for one "
                                "article (a whole archive or book?); split it into articles", "skipped")
            continue
        meta = {role: _cell(row.get(roles.get(role))) for role in ("title", "outlet", "cited_source")}
        meta["published"] = _published(_cell(row.get(roles.get("published"))), where, problems)
        if _looks_like_html(text):  # as for a .txt file: its tags and scripts would be counted as words
            text, meta = _page_article(text, meta, where, problems)
            if not text:
                continue
            html_rows.append(where)
        records.append(_Record(doc_id, path.name, where, *raw_texts.add(text), "utf-8", meta["title"], meta["outlet"],
                               meta["cited_source"], meta["published"]))
    if html_rows:
        problems.add(html_rows[0], f"{_HTML_NOTE}; so were {len(html_rows) - 1} more row(s) of the table"
                     if len(html_rows) > 1 else _HTML_NOTE, "repaired")
    return records


def _read_jsonl(path: Path, problems: _Problems) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                problems.add(f"{path.name} line {line_number}", f"not valid JSON ({error.msg})", "skipped")
                continue
            if not isinstance(row, dict):
                problems.add(f"{path.name} line {line_number}", "not a JSON object", "skipped")
                continue
            rows.append(row)
    return rows


def _read_json(path: Path, problems: _Problems) -> list[dict]:
    """A .json file: a list of articles, or an object holding one list (NewsAPI's ``{"articles": […]}``)."""
    with path.open(encoding="utf-8-sig") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list):
        raise CorpusError(f"{path}: a .json corpus is a list of articles (objects with a text), or an object holding "
                          "one such list; this file holds neither")
    rows = []
    for number, row in enumerate(data, start=1):
        if isinstance(row, dict):
            rows.append(row)
        else:
            problems.add(f"{path.name} item {number}", "not a JSON object", "skipped")
    return rows


# --- cleaning and the final tables ---------------------------------------------------------------------------------

# What cleaning gives for one text as read: kept per text in the cache (``_cleaned``).
_CLEANED_COLUMNS = {"text": "object", "removals": "object", "language": "object", "n_words": "int64",
                    "fingerprint": "object"}


def _clean_one(raw: str) -> list[tuple]:
    clean, removals = clean_text(raw)
    return [(clean, json.dumps([[r.step, r.line, r.removed, r.reason] for r in removals]),
             detect_language(clean) if clean.strip() else "", len(WORD_PATTERN.findall(clean)), _fingerprint(clean))]


def _fingerprint(clean: str) -> str:
    """Equal for two texts that differ only in case and spacing: what makes a document a duplicate."""
    return hashlib.sha1(" ".join(clean.casefold().split()).encode()).hexdigest()


def _cleaning_cache(cache_dir: str | Path | None):
    """The ``DocumentCache`` of what cleaning gives (None without a cache folder)."""
    if not cache_dir:
        return None
    import py3langid

    from newslens import cleaning, language, text
    from newslens.cache import DocumentCache, source_version

    version = source_version(cleaning, language, text,
                             extra=" ".join([getattr(py3langid, "__version__", ""), *_CLEANED_COLUMNS]))
    return DocumentCache(cache_dir, "cleaned", version, _CLEANED_COLUMNS)


def _cleaned(raw_texts: _RawTexts, cache_dir: str | Path | None, cache) -> pa.Table:
    """What cleaning gives for each text as read: a table of its ``text_key`` (column ``text_sha256``), cleaned
    text, removals (JSON), language, word count and duplicate fingerprint (``_CLEANED_TYPES``); read from the cache
    where they are there, else computed (and stored). With a cache the table is in a mapped file of it
    (``memory.MappedTable``): as Python strings, every cleaned text beside the texts as read not yet cleaned made
    the peak of loading 100,000 articles; as a dict of tuples by key, the rest held about 70 MB of the loading
    process until its end, and as Arrow columns in memory its floor still rose by about 34 MB over the cleaning
    (measured at 100,000 articles; mapped, it stays flat)."""
    from newslens import language
    from newslens.cache import cached_row_groups

    def clean_all(keys: list[str]) -> list[list[tuple]]:
        return [_clean_one(raw_texts.text(key)) for key in dropping(keys)]

    found = MappedTable(mapped_folder(cache_dir), pa.schema(_CLEANED_TYPES))
    for _, rows in cached_row_groups(cache, {key: key for key in raw_texts.keys()}, clean_all, _CLEANED_COLUMNS):
        found.append(pa.table({name: pa.array(rows[name].tolist(), kind) for name, kind in _CLEANED_TYPES.items()}))
        del rows
    language.release_identifier()  # not needed again while loading
    return found.table()


# The Arrow types of the columns of ``_cleaned``.
_CLEANED_TYPES = {KEY: pa.string(), "text": pa.large_string(), "removals": pa.large_string(),
                  "language": pa.string(), "n_words": pa.int64(), "fingerprint": pa.string()}


# The columns of ``Corpus.cleaning``, the cleaning report.
_REPORT_COLUMNS = ["doc_id", "step", "line", "removed", "reason"]


def _build(records: list[_Record], raw_texts: _RawTexts, problems: _Problems, path: Path,
           cache_dir: str | Path | None, cache) -> Corpus:
    # The cleaning report is gathered column by column, its steps and reasons (a few dozen distinct texts) interned:
    # gathered as 260,000 tuples of fresh strings at 100,000 articles it held about 60 MB more until the table was
    # made, which was the peak of loading them.
    rows, report = [], [[] for _ in _REPORT_COLUMNS]
    first_with_text: dict[str, str] = {}
    cleaned = _cleaned(raw_texts, cache_dir, cache)
    raw_texts.close()
    release_free_memory()
    texts = _TextColumn(mapped_folder(cache_dir))
    records.sort(key=lambda r: r.doc_id)
    # The row of ``cleaned`` of each record (same bytes: same row).
    places = pc.index_in(pa.array([record.key for record in records], pa.string()),
                         value_set=cleaned.column(KEY).combine_chunks()).to_numpy(zero_copy_only=False)
    cleaned_texts, removals_of, language_of, fingerprint_of = (
        cleaned.column(name) for name in ["text", "removals", "language", "fingerprint"])
    words_of = cleaned.column("n_words").to_numpy()
    for number in dropping(range(len(records))):
        # Each record is let go once it is a row, and rows and removals are tuples: 100,000 records beside 100,000
        # rows and 260,000 removals as dicts were the peak of loading 100,000 articles.
        record, records[number], place = records[number], None, int(places[number])
        language, fingerprint = language_of[place].as_py(), fingerprint_of[place].as_py()
        n_words = int(words_of[place])
        clean = cleaned_texts[place].as_py() or ""
        removals = [Removal(*r) for r in json.loads(removals_of[place].as_py())]
        if not clean.strip():
            problems.add(record.where, "nothing left after cleaning (only boilerplate)", "skipped")
            continue
        if fingerprint in first_with_text:
            problems.add(record.where, f"duplicate of document '{first_with_text[fingerprint]}'", "skipped")
            continue
        first_with_text[fingerprint] = record.doc_id
        title = record.title or clean.split("\n", 1)[0]
        if len(title) > MAX_TITLE_CHARS:
            problems.add(record.where, f"the first line ({len(title):,} characters) is too long for a title; "
                                       "title left empty", "repaired")
            title = ""
        cited = record.cited_source or "; ".join(
            r.removed.split(":", 1)[1].strip() for r in removals if r.reason == "source line")
        if not is_english(language):
            problems.add(record.where, f"language detected: '{language}', not English; left out of the "
                                       "English-only analyses unless include_other_languages is set", "flagged")
        texts.append(clean)
        row = {**record._asdict(), "title": title, "cited_source": cited, "language": language, "n_words": n_words,
               "n_chars_clean": len(clean), "n_removed": len(removals)}
        rows.append(tuple(row[column] for column in _ROW_COLUMNS))
        for r in removals:
            for values, value in zip(report, (record.doc_id, sys.intern(r.step), r.line, r.removed,
                                              sys.intern(r.reason))):
                values.append(value)
    if not rows:
        raise CorpusError(f"{path}: no usable documents (see the warnings above)")
    documents = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    del rows  # before the cleaning table is made
    documents.insert(DOCUMENT_COLUMNS.index("text"), "text", texts.series())
    # A column at a time, each list of Python objects let go once made a column (held until the end beside the
    # table, they were the peak of loading 100,000 articles from the cache).
    cleaning = pd.DataFrame({name: pd.Series(report.pop(0)) for name in _REPORT_COLUMNS}, columns=_REPORT_COLUMNS)
    return Corpus(documents=documents, cleaning=cleaning, problems=problems.frame())


class _TextColumn:
    """Texts gathered as an Arrow column (of ``type``: text, or bytes), converted ``chunk`` texts at a time as they
    are appended: the Python objects of a chunk are freed (and their pages given back) once Arrow holds them,
    instead of 100,000 texts being held twice, as Python strings and in Arrow, at the end of loading (measured:
    2.2 GB at the peak of loading 100,000 articles, of which 0.7 GB was the Arrow copy). One chunk at a time also
    keeps Arrow's builder from doubling one buffer for the whole corpus. With a ``folder`` (the cache's) each chunk
    goes to a mapped file (``memory.MappedColumn``) rather than staying in the process's memory. A chunk of 5,000
    texts (about 20 MB of text, and the builder's doubling of it) raised the process's memory by about 140 MB for a
    moment each time (measured at 100,000 articles); 1,000 texts, by about 50 MB."""

    def __init__(self, folder: str | Path | None = None, chunk: int = 1_000, type=pa.large_string()):
        self.chunk, self.type, self.pending = chunk, type, []
        self.pieces = MappedColumn(folder, type)

    def append(self, text: str | bytes) -> None:
        self.pending.append(text)
        if len(self.pending) == self.chunk:
            self._convert()

    def _convert(self) -> None:
        if self.pending:
            self.pieces.append(pa.array(self.pending, self.type))
            self.pending = []
            release_free_memory()

    def column(self) -> pa.ChunkedArray:
        self._convert()
        return self.pieces.column()

    def series(self) -> pd.Series:
        return _text_series(self.column())


# Rows of documents written at a time by ``write_documents``: texts mapped from a file are read (made resident) by
# writing them, so they are dropped again after each slice (5,000 articles: about 20 MB).
WRITE_ROWS = 5_000


def write_documents(documents: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """The ``columns`` of ``documents`` (``text`` among them, or not) written to the named file ``path`` (a
    ``memory.MappedTable``'s), for another process to map with ``read_documents``; the caller deletes it."""
    # One schema for every slice, from the whole table: a column empty (null) in the first slice only is text.
    written = MappedTable(None, pa.Schema.from_pandas(documents[columns], preserve_index=False), path=path)
    for first in range(0, max(len(documents), 1), WRITE_ROWS):
        written.append(pa.Table.from_pandas(documents.iloc[first:first + WRITE_ROWS][columns], preserve_index=False))
        drop_mapped_pages()
    written.table()  # written in full


def text_chars(documents: pd.DataFrame) -> int:
    """The number of characters of text of ``documents`` (column ``text``): the size by which a step decides to run
    in a process of its own."""
    return int(sum(map(len, dropping(documents["text"].fillna("").array))))


def computed_apart(function, documents: pd.DataFrame, cache_dir: str | Path | None, *arguments):
    """``function(documents, *arguments)`` in a process of its own that ends with it
    (``parallel.in_fresh_process``), the documents' ids and texts sent through a file of the cache
    (``write_documents``, deleted afterwards; without a cache, in the system's temporary folder): for a large step
    whose heap should not stay in this process."""
    from newslens.parallel import in_fresh_process

    folder = mapped_folder(cache_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        path = Path(scratch) / "documents.arrow"
        write_documents(documents, ["doc_id", "text"], path)
        return in_fresh_process(_read_then, function, str(path), arguments)


def _read_then(function, path: str, arguments: tuple):
    """For ``computed_apart``, in the process of its own."""
    return function(read_documents(path), *arguments)


def read_documents(path: str | Path) -> pd.DataFrame:
    """The columns written by ``write_documents`` to ``path``, their texts mapped from the file, not copied."""
    table = read_mapped_table(path)
    return pd.DataFrame({name: _text_series(table.column(name)) if name == "text" else table.column(name).to_pandas()
                         for name in table.column_names})


def _text_series(column: pa.ChunkedArray) -> pd.Series:
    """The text column of a documents table from its Arrow ``column`` (not copied)."""
    return column.to_pandas(types_mapper=text_dtype)


# What a comparison or a trend needs before the corpus can support it. Below these, a difference between outlets is
# one article's topic, and a "trend" is a handful of days.
MIN_DOCUMENTS_PER_OUTLET = 5  # an outlet comparison needs at least two outlets with this many documents each
MIN_DATED_FOR_TREND = 10  # a trend over publication time needs this many dated documents …
MIN_TREND_SPAN_DAYS = 28  # … spread over at least this many days


def _outlet_statement(documents: pd.DataFrame) -> str:
    outlets = documents["outlet"].fillna("").replace("", pd.NA).dropna()
    per_outlet = outlets.value_counts()
    if per_outlet.empty:
        return "No outlet is known: comparisons between outlets are impossible."
    if len(per_outlet) == 1:
        return "All documents come from one outlet: its editorial line cannot be separated from the topic."
    enough = per_outlet[per_outlet >= MIN_DOCUMENTS_PER_OUTLET]
    spread = (f"{len(per_outlet)} outlets with {per_outlet.min()} to {per_outlet.max()} documents each"
              if per_outlet.min() != per_outlet.max() else
              f"{len(per_outlet)} outlets with {per_outlet.max()} document{'s' if per_outlet.max() > 1 else ''} each")
    if len(enough) >= 2:
        return (f"{spread}: outlet comparisons are possible between the {len(enough)} outlets with at least "
                f"{MIN_DOCUMENTS_PER_OUTLET} documents each; differences stay descriptive of these articles.")
    return (f"{spread}: too few per outlet for an outlet comparison (it needs at least two outlets with "
            f"{MIN_DOCUMENTS_PER_OUTLET} documents or more each); a difference between outlets here would be a "
            "difference between single articles.")


def _date_statement(documents: pd.DataFrame) -> str:
    n = len(documents)
    dates = pd.to_datetime(documents["published"].fillna("").astype(str).str[:10], errors="coerce").dropna()
    if dates.empty:
        return ("No document has a publication date: trends over publication time are impossible, and the "
                "chronology must infer each article's date from its text (with stated uncertainty).")
    span = (dates.max() - dates.min()).days + 1
    which = "Every document has" if len(dates) == n else f"{len(dates)} of {n} documents have"
    dated = f"{which} a publication date, from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d} " \
            f"({span} day{'s' if span > 1 else ''})"
    if len(dates) >= MIN_DATED_FOR_TREND and span >= MIN_TREND_SPAN_DAYS:
        return dated + ": a trend over publication time can be drawn from the dated documents."
    return (dated + f": too few or too close together for a trend over publication time (it needs at least "
            f"{MIN_DATED_FOR_TREND} dated documents over {MIN_TREND_SPAN_DAYS} days or more).")


def support_statements(documents: pd.DataFrame) -> list[str]:
    """Plain-language limits of what this corpus can support, computed from the documents table.

    An outlet comparison needs at least two outlets with ``MIN_DOCUMENTS_PER_OUTLET`` documents each; a trend needs
    ``MIN_DATED_FOR_TREND`` dated documents over at least ``MIN_TREND_SPAN_DAYS`` days."""
    n = len(documents)
    words = int(documents["n_words"].sum())
    statements = [f"{n} documents, {words:,} words after cleaning."]
    if n < 30:
        statements.append(f"With {n} documents, frequencies and sentiment describe these articles only; they are not "
                          "a sample of coverage in general and support no statistical generalisation.")
    return statements + [_date_statement(documents), _outlet_statement(documents)]
