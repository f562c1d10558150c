"""Load a corpus: a folder of .txt files (+ optional metadata.csv) or one .csv / .jsonl / .parquet table.

``load_corpus(path) -> Corpus`` with

``Corpus.documents`` — one row per kept document, sorted by doc_id:
    doc_id        stable id: for a folder the file's path relative to it without ".txt" (e.g. "000_8d3096f3f0fa6a76");
                  for a table its ``doc_id``/``id`` column, else "row_000001" … by row number
    file          the source file (relative to the corpus folder, or the table's name)
    title         first line of the text, or the table's/metadata's ``title``
    outlet, cited_source, published
                  from metadata (published as ISO "YYYY-MM-DD", "" where unknown — never guessed);
                  cited_source falls back to a "Source: …" line found in the text
    text          cleaned text (title as its first line) — what every analysis reads
    raw_text      the text as read (decoded), kept for checking the cleaning
    encoding      "utf-8", or the fallback used ("cp1252", "latin-1")
    n_words, n_chars_raw, n_chars_clean, n_removed   sizes and how many cleaning actions touched the document
``Corpus.cleaning`` — the cleaning report: doc_id, step, line, removed, reason (one row per action)
``Corpus.problems`` — what was skipped or repaired: file, problem, action ("skipped" / "repaired" / "ignored")

Bad input never raises from deep inside pandas: a file that cannot be used is skipped with a ``CorpusWarning``
naming it; only a corpus with nothing usable at all raises ``CorpusError``.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .cleaning import clean_text
from .text import WORD_PATTERN

METADATA_COLUMNS = ("file", "title", "outlet", "cited_source", "published")
TEXT_COLUMNS = ("text", "body", "content", "article")
ID_COLUMNS = ("doc_id", "id")
DOCUMENT_COLUMNS = ["doc_id", "file", "title", "outlet", "cited_source", "published", "text", "raw_text", "encoding",
                    "n_words", "n_chars_raw", "n_chars_clean", "n_removed"]


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


def load_corpus(path: str | Path) -> Corpus:
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder")
    problems = _Problems()
    if path.is_dir():
        records = _read_folder(path, problems)
    elif path.suffix.lower() in (".csv", ".jsonl", ".parquet"):
        records = _read_table(path, problems)
    else:
        raise CorpusError(f"{path}: not a folder of .txt files nor a .csv, .jsonl or .parquet table")
    return _build(records, problems, path)


# --- reading -------------------------------------------------------------------------------------------------------

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _decode(data: bytes, name: str, problems: _Problems) -> tuple[str, str] | None:
    """Text and encoding, or None (with a warning) for what is not a text document."""
    if not data.strip():
        problems.add(name, "empty file", "skipped")
        return None
    head = data[:8192]
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or control > len(head) * 0.05:
        problems.add(name, "binary file, not text", "skipped")
        return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        problems.add(name, f"not valid UTF-8 (first bad {where}); decoded as {encoding}", "repaired")
        return text, encoding
    raise AssertionError("latin-1 decodes every byte string")


_HTML = re.compile(r"^\s*(<!doctype html|<html\b|<\?xml[^>]*>\s*<html\b)", re.IGNORECASE)


def _looks_like_html(text: str) -> bool:
    return bool(_HTML.match(text)) or len(re.findall(r"</?(div|p|span|a|script|body|head)\b", text[:20000])) >= 10


def _read_folder(folder: Path, problems: _Problems) -> list[dict]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".txt")
    others = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() not in (".txt", ".csv", ".yaml", ".yml")
                    and not p.name.startswith("."))
    for other in others:
        problems.add(other.relative_to(folder).as_posix(), "not a .txt document", "ignored")
    if not files:
        raise CorpusError(f"{folder}: no .txt documents in this folder")
    metadata = _read_metadata(folder, {p.relative_to(folder).as_posix() for p in files}, problems)
    records = []
    for file in files:
        name = file.relative_to(folder).as_posix()
        decoded = _decode(file.read_bytes(), name, problems)
        if decoded is None:
            continue
        text, encoding = decoded
        if _looks_like_html(text):
            problems.add(name, "looks like an HTML page, not article text (convert it to plain text first)", "skipped")
            continue
        meta = metadata.get(name, {})
        records.append({"doc_id": name[: -len(file.suffix)], "file": name, "raw_text": text, "encoding": encoding,
                        "title": meta.get("title", ""), "outlet": meta.get("outlet", ""),
                        "cited_source": meta.get("cited_source", ""), "published": meta.get("published", "")})
    return records


def _parse_date(value: str) -> str | None:
    """ISO date string, or None if ``value`` is not a real YYYY-MM-DD date (a month or year alone is refused too)."""
    try:
        return dt.date.fromisoformat(value.strip()).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) else None
    except ValueError:
        return None


def _read_metadata(folder: Path, files: set[str], problems: _Problems) -> dict[str, dict]:
    path = folder / "metadata.csv"
    if not path.exists():
        return {}
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.add(name, "not valid UTF-8", "ignored")
        return {}
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "file" not in reader.fieldnames:
        problems.add(name, f"has no 'file' column (columns: {', '.join(reader.fieldnames or [])})", "ignored")
        return {}
    unknown = [c for c in reader.fieldnames if c not in METADATA_COLUMNS]
    if unknown:
        problems.add(name, f"unknown columns {', '.join(unknown)} (known: {', '.join(METADATA_COLUMNS)})", "ignored")
    metadata: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        file = (row.get("file") or "").strip()
        where = f"{name} line {line}"
        if file not in files:
            problems.add(where, f"names '{file}', which is not a .txt document of the corpus", "ignored")
            continue
        if file in metadata:
            problems.add(where, f"'{file}' is listed twice; the first row is used", "ignored")
            continue
        entry = {k: (row.get(k) or "").strip() for k in METADATA_COLUMNS[1:]}
        if entry["published"]:
            parsed = _parse_date(entry["published"])
            if parsed is None:
                problems.add(where, f"published date '{entry['published']}' is not a valid YYYY-MM-DD date; "
                                    "left empty", "repaired")
            entry["published"] = parsed or ""
        metadata[file] = entry
    return metadata


def _read_table(path: Path, problems: _Problems) -> list[dict]:
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = _read_jsonl(path, problems)
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as error:
        raise CorpusError(f"{path}: cannot be read as a {path.suffix[1:]} table: {error}") from None
    text_column = next((c for c in TEXT_COLUMNS if c in table.columns), None)
    if text_column is None:
        raise CorpusError(f"{path}: no text column (looked for {', '.join(TEXT_COLUMNS)}; "
                          f"found {', '.join(map(str, table.columns))})")
    id_column = next((c for c in ID_COLUMNS if c in table.columns), None)
    ids = (table[id_column].astype(str) if id_column else pd.Series([f"row_{i:06d}" for i in range(1, len(table) + 1)]))
    if ids.duplicated().any():
        raise CorpusError(f"{path}: column '{id_column}' has repeated ids, e.g. '{ids[ids.duplicated()].iloc[0]}'")
    records = []
    for i, (doc_id, row) in enumerate(zip(ids, table.to_dict("records")), start=1):
        text = row[text_column]
        where = f"{path.name} row {i}"
        if not isinstance(text, str) or not text.strip():
            problems.add(where, "empty text", "skipped")
            continue
        published = str(row.get("published") or "").strip()
        if published and _parse_date(published) is None:
            problems.add(where, f"published date '{published}' is not a valid YYYY-MM-DD date; left empty", "repaired")
        records.append({"doc_id": doc_id, "file": path.name, "raw_text": text, "encoding": "utf-8",
                        "title": str(row.get("title") or ""), "outlet": str(row.get("outlet") or ""),
                        "cited_source": str(row.get("cited_source") or ""),
                        "published": _parse_date(published) or "" if published else ""})
    return records


def _read_jsonl(path: Path, problems: _Problems) -> pd.DataFrame:
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
    return pd.DataFrame(rows)


# --- cleaning and the final tables ---------------------------------------------------------------------------------

def _build(records: list[dict], problems: _Problems, path: Path) -> Corpus:
    rows, report = [], []
    first_with_text: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r["doc_id"]):
        clean, removals = clean_text(record["raw_text"])
        if not clean.strip():
            problems.add(record["file"], "nothing left after cleaning (only boilerplate)", "skipped")
            continue
        fingerprint = hashlib.sha1(" ".join(clean.casefold().split()).encode()).hexdigest()
        if fingerprint in first_with_text:
            problems.add(record["file"], f"duplicate of document '{first_with_text[fingerprint]}'", "skipped")
            continue
        first_with_text[fingerprint] = record["doc_id"]
        title_line = clean.split("\n", 1)[0]
        title = record["title"] or title_line
        cited = record["cited_source"] or "; ".join(
            r.removed.split(":", 1)[1].strip() for r in removals if r.reason == "source line")
        rows.append({**record, "title": title, "cited_source": cited, "text": clean,
                     "n_words": len(WORD_PATTERN.findall(clean)), "n_chars_raw": len(record["raw_text"]),
                     "n_chars_clean": len(clean), "n_removed": len(removals)})
        report.extend({"doc_id": record["doc_id"], "step": r.step, "line": r.line, "removed": r.removed,
                       "reason": r.reason} for r in removals)
    if not rows:
        raise CorpusError(f"{path}: no usable documents (see the warnings above)")
    documents = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS).reset_index(drop=True)
    cleaning = pd.DataFrame(report, columns=["doc_id", "step", "line", "removed", "reason"])
    return Corpus(documents=documents, cleaning=cleaning, problems=problems.frame())


def support_statements(documents: pd.DataFrame) -> list[str]:
    """Plain-language limits of what this corpus can support, computed from the documents table."""
    n = len(documents)
    dated = int((documents["published"].fillna("") != "").sum())
    outlets = documents["outlet"].fillna("").replace("", pd.NA).dropna().nunique()
    words = int(documents["n_words"].sum())
    statements = [f"{n} documents, {words:,} words after cleaning."]
    if n < 30:
        statements.append(f"With {n} documents, frequencies and sentiment describe these articles only; they are not "
                          "a sample of coverage in general and support no statistical generalisation.")
    if dated == 0:
        statements.append("No document has a publication date: trends over publication time are impossible, and the "
                          "chronology must infer each article's date from its text (with stated uncertainty).")
    elif dated < n:
        statements.append(f"Only {dated} of {n} documents have a publication date; time trends use those only.")
    else:
        statements.append("Every document has a publication date: trends over publication time are possible.")
    if outlets == 0:
        statements.append("No outlet is known: comparisons between outlets are impossible.")
    elif outlets == 1:
        statements.append("All documents come from one outlet: its editorial line cannot be separated from the topic.")
    else:
        statements.append(f"{outlets} outlets: outlet comparisons are possible where each has enough documents.")
    return statements
