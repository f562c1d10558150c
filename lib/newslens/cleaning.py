"""Cleaning of scraped news text, every step reported.

``clean_text(raw)`` returns the cleaned text and a list of ``Removal`` records (what was removed or changed, where,
and why). The raw text is never modified in place: callers keep it next to the cleaned text.

Steps, in order:
1. Unicode: BOM dropped, NFC composition, curly quotes and primes → straight quotes, NBSP and other spaces →
   space, bullets at the start of a line → "- ", zero-width characters dropped, Windows line ends → "\\n".
2. Web furniture, line by line: cookie notices, language-switch prompts, "Read also: …", ">>> Read all …",
   "Category / Publication date / Points of attention / Source:" header labels, author bios.
3. Repeated paragraphs: a paragraph whose text (ignoring case and spacing) equals an earlier one in the same document is removed
   (seed 002 repeats most of its body; counting it twice would double every frequency).

The furniture patterns are deliberately narrow (whole lines that match a known shape): a false removal of real
reporting is worse than a leftover cookie notice, and every removal is listed in the cleaning report.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Removal:
    step: str  # "unicode" | "furniture" | "repeated paragraph"
    line: int  # 1-based line in the raw text (0 for whole-text changes)
    removed: str  # the removed text, or a description of the change
    reason: str


CHARACTER_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}
_SPECIAL = re.compile("[" + "".join(CHARACTER_MAP) + "]")
_CHARACTER_NAMES = {
    "'": "curly single quote or prime → '", '"': 'curly or angle double quote → "', " ": "non-breaking or thin space → space",
    "": "zero-width character or BOM removed",
}
_BULLET = re.compile(r"^([ \t]*)[\u2022\u25cf\u25aa\u2023\u2043\u00b7\u25e6]\s*", re.MULTILINE)

# (reason, pattern matched against a whole stripped line, case-insensitive)
FURNITURE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in [
        ("cookie notice", r".{0,80}\b(cookies?|cookie files)\b.{0,120}\b(consent|accept|agree|policy|settings)\b.*"
                          r"|.{0,80}\b(consent|accept|agree)\b.{0,80}\bcookies?\b.*"),
        # Only prompts about the site itself: "Moscow would prefer the Russian version of the plan" is reporting.
        ("language-switch prompt", r".{0,120}\b(prefer|switch to)\b.{0,20}\b(english|ukrainian|russian|german|french)"
                                   r"\s+version\s+of\s+(our|this|the)\s+(web\s*)?(site|page)\b.{0,80}"
                                   r"|would you like to switch( to the \w+ version)?\??"),
        ("related-article link", r"(read (also|more)|see also|related|more on this( topic)?)\s*:.*"),
        ("live-ticker link", r">{2,}\s*read\b.*"),
        ("page header label", r"(category|publication date|points of attention|share|tags?)\s*:?"),
        ("page header label", r"(category|tags?)\s*:\s*\w[\w &/-]{0,40}"),
        # A name, not a sentence: "Source: a senior official said talks had stalled." is reporting.
        ("source line", r"source\s*:\s*(?!.*\b(said|says|told)\b)[^.!?;]{1,60}\.?"),
    ]
)
# Every furniture pattern contains one of these words: most lines are rejected by a few substring tests.
_FURNITURE_HINTS = ("cookie", "version", "switch", "read", "see also", "related", "more on", "category",
                    "publication date", "points of attention", "share", "tag", "source")
# A fake byline bio ("Amateur alcohol specialist. Reader. Hardcore introvert."): three or more tiny sentences.
_BIO = re.compile(r"^[.\s\"']*(?:[A-Z][\w-]*(?: [\w-]+){0,3}[.!] ?){3,}[\"']?$")
_HEADER_VALUE_AFTER = "category"  # the line after a bare "Category" label is its value ("Politics")


def normalise_unicode(raw: str) -> tuple[str, list[Removal]]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    found = Counter(_SPECIAL.findall(text))
    for ch in found:  # str.translate is slow on non-ASCII text; these characters are few
        text = text.replace(ch, CHARACTER_MAP[ch])
    changes = Counter()
    for ch, n in found.items():
        changes[CHARACTER_MAP[ch]] += n
    text, n_bullets = _BULLET.subn(r"\1- ", text)
    report = [Removal("unicode", 0, f"{n}×", _CHARACTER_NAMES[repl]) for repl, n in sorted(changes.items())]
    if n_bullets:
        report.append(Removal("unicode", 0, f"{n_bullets}×", "bullet character at line start → '- '"))
    return text, report


def _paragraph_key(folded_line: str) -> str:
    """Case and spacing do not make a paragraph new."""
    return " ".join(folded_line.split())


def clean_text(raw: str) -> tuple[str, list[Removal]]:
    """Return (cleaned text, removals). Blank lines are kept as paragraph breaks; runs of them collapse to one."""
    text, report = normalise_unicode(raw)
    kept: list[str] = []
    seen: dict[str, int] = {}
    previous_label = ""
    title_seen = False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if kept and kept[-1] != "":
                kept.append("")
            continue
        reason = None
        folded = stripped.casefold()
        if any(hint in folded for hint in _FURNITURE_HINTS):
            reason = next((r for r, p in FURNITURE_PATTERNS if p.fullmatch(stripped)), None)
        if reason is None and previous_label == _HEADER_VALUE_AFTER and len(stripped.split()) <= 3:
            reason = "page header value (after 'Category')"
        if reason is None and title_seen and len(stripped) < 120 and _BIO.fullmatch(stripped) \
                and len(stripped.split()) <= 15:  # never the title: "Talks Stall. Kyiv Waits. Moscow Smiles."
            reason = "author bio"
        previous_label = stripped.casefold().rstrip(":") if reason == "page header label" else ""
        if reason:
            report.append(Removal("furniture", number, stripped, reason))
            continue
        key = _paragraph_key(folded)
        if key and key in seen:
            report.append(Removal("repeated paragraph", number, stripped, f"same as line {seen[key]}"))
            continue
        seen.setdefault(key, number)
        kept.append(stripped)
        title_seen = True
    while kept and kept[-1] == "":
        kept.pop()
    return "\n".join(kept), report
