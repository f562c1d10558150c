"""Cleaning of scraped news text, every step reported.

``clean_text(raw)`` returns the cleaned text and a list of ``Removal`` records (what was removed or changed, where,
and why). The raw text is never modified in place: callers keep it next to the cleaned text.

Steps, in order:
1. Unicode: BOM dropped, NFC composition, curly quotes and primes → straight quotes, NBSP and other spaces →
   space, bullets at the start of a line → "- ", zero-width characters dropped, Windows line ends → "\\n".
2. Web furniture, line by line: a news API's "[+2345 chars]" (the text was cut short), cookie notices,
   language-switch prompts, "Read also: …", ">>> Read all …", "Category / Publication date / Points of attention /
   Source:" header labels, author bios.
3. Repeated paragraphs: a paragraph whose text (ignoring case and spacing) equals an earlier one in the same document is removed
   (seed 002 repeats most of its body; counting it twice would double every frequency).

Spans that stay in the text but report nothing (``furniture_spans``: shop banners, weather, cookie notices;
``credit_spans``: datelines, bylines, reporting credits) are found here for the steps that skip them.

The furniture patterns are deliberately narrow (whole lines that match a known shape): a false removal of real
reporting is worse than a leftover cookie notice, and every removal is listed in the cleaning report.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from newslens.timex import MONTH_PATTERN


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


# A news API's mark that it cut the text short ("… [+2345 chars]"): not words of the article.
_TRUNCATED = re.compile(r"[ \t]*(?:…|\.\.\.)?[ \t]*\[\+\d+ chars\][ \t]*$", re.MULTILINE)


def clean_text(raw: str) -> tuple[str, list[Removal]]:
    """Return (cleaned text, removals). Blank lines are kept as paragraph breaks; runs of them collapse to one."""
    text, report = normalise_unicode(raw)
    for mark in reversed(list(_TRUNCATED.finditer(text)) if "chars]" in text else []):
        report.append(Removal("furniture", text.count("\n", 0, mark.start()) + 1, mark.group().strip(),
                              "a news API's mark that the text was cut short here"))
        text = text[:mark.start()] + text[mark.end():]
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


# --- page furniture and credits: kept in the text, but neither reports nor mentions ---------------------------------

# Words of a banner, a weather box, a cookie or newsletter notice, not of reporting: "sale", "weather", "forecast",
# "cookies" and "sponsored" alone are (PolNeAR: "put the Oval Office up for sale", "inhospitable weather", "no one
# forecast Hurricane Donald", "They're also serving cookies", "a bill sponsored by").
_FURNITURE_LINE = re.compile(
    r"\b(?:shop\s+now|% off|discount\s+code|free\s+shipping|promo\s+code|subscribe|newsletter"
    r"|sign\s+up\s+(?:for|to|here|now)|privacy\s+policy|accept\s+all"
    r"|(?:black\s+friday|cyber\s+monday|holiday|flash|clearance|summer|winter|spring)\s+sale"
    r"|(?:use|accept|consent\s+to|agree\s+to)\b.{0,40}\bcookies?|cookies?\b.{0,80}\b(?:policy|settings|consent)"
    r"|weather\s*:|°\s?[CF])\b|^\W*(?:advertisement|sponsored(?:\s+content)?)\W*$",
    re.I,
)
_LINE = re.compile(r"[^\n]+")


def furniture_spans(text: str) -> list[tuple[int, int]]:
    """Short lines (under 120 characters) that are page furniture: shop banners, weather, cookie and newsletter
    notices. Neither events, nor evidence of the article's date, nor anyone's words; kept in the text (a line
    that is not furniture is never removed by a pattern that may be wrong)."""
    return [line.span() for line in _LINE.finditer(text)
            if len(line.group()) < 120 and _FURNITURE_LINE.search(line.group())]


# A dateline, at the start of one of the first lines: the place in capitals and/or the wire service, the date if
# any, then a dash, or a full stop after the date or the service ("WASHINGTON (AP) —", "MONTEVIDEO, Uruguay
# (AFP) —", "BRUSSELS, Nov 23 (Reuters) -", "Dec 29 (Reuters) -", "(CNN) —", "MOSCOW, November 24.", "MOSCOW,
# November 24. /TASS/.", "KYIV, Nov 24 /Ukrinform/ -", "KYIV. Nov 24 (Interfax-Ukraine) -"); a place and a date
# need nothing after them ("LONDON, Nov 24 The talks"). A place alone needs a dash after a space ("RUSSIA REJECTS
# PLAN." is a headline, "NATO-led forces" a report). ``datelines`` applies these conditions; the pattern alone
# does not. The one definition of a dateline: the credits (here) and the date stamps (``newslens.dating``) use it.
_AGENCY = r"(?:\([A-Z][\w .&/-]{0,30}\)|/[A-Z][\w .&-]{0,30}/)"
_PLACE_WORD = r"[A-Z](?:[A-Z.'’-]*[A-Z.])?(?!\w)"  # "NEW", "YORK", "D.C.": capitals, no lower-case letter after
DATELINE = re.compile(
    rf"[ \t]*(?:(?P<place>[A-Z]{_PLACE_WORD}(?:[ \t]{_PLACE_WORD})*"
    rf"(?:,[ \t]*(?!{MONTH_PATTERN})[A-Z][A-Za-z.]+(?:[ \t][A-Z][A-Za-z.]+)?)?)[ \t]*[,.]?[ \t]*)?"
    rf"(?P<date>(?:{MONTH_PATTERN})[ \t]+\d{{1,2}}|\d{{1,2}}[ \t]+(?:{MONTH_PATTERN}))?(?:,?[ \t]+\d{{4}})?"
    rf"(?:[ \t]*(?P<agency>{_AGENCY}))?"
    rf"(?:(?P<dash>[ \t]*(?<=[ \t)/])[—–-]{{1,2}})|(?P<stop>\.(?:[ \t]*{_AGENCY}\.?)?))?[ \t]*"
)
# "(Reporting by A in Washington; Editing by B)", "Additional reporting by C", "Writing by D".
_CREDIT_ROLES = r"(?:additional\s+)?(?:reporting|writing|editing|compiled|produced|research|graphics)\s+by\b"
_CREDIT_BRACKET = re.compile(rf"\((?:[^()\n]{{0,200}}?;\s*)?{_CREDIT_ROLES}[^()\n]{{0,400}}\)", re.IGNORECASE)
_CREDIT_LINE = re.compile(rf"^[ \t]*{_CREDIT_ROLES}.{{0,300}}$", re.IGNORECASE | re.MULTILINE)
# "Samantha Lachman contributed reporting from Charleston.", "Jane Roe contributed to this report.": the sentence
# around the phrase (found by the phrase: a pattern that starts anywhere would be tried at every character).
_CONTRIBUTED = re.compile(r"\bcontributed\s+(?:reporting|to\s+(?:this|the)\s+(?:report|story|article))\b")
_CREDIT_SENTENCE = 120  # characters a credit sentence reaches on either side of the phrase
# "By Sylvie Corbet | Associated Press", "By Jane Roe and John Doe, Reuters": a short line of names after "By"
# ("By Monday morning, the talks …" is reporting: one capitalised word, then lower case).
_BYLINE = re.compile(
    r"^[ \t]*By\s+[A-Z][\w.'’-]+(?:\s+(?:(?:van|von|de|der|da|del|di|du|la|le|bin|al)\s+)*[A-Z][\w.'’-]+)+"
    r"(?:(?:\s*,\s*|\s+and\s+)[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+)+)*[ \t]*(?:[|,/–—-].{0,60})?$",
    re.MULTILINE,
)
CREDIT_LINES = 5  # datelines and bylines are looked for in the first lines (not blank) only


def credit_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that credit the article rather than report: a dateline's place and wire service
    ("WASHINGTON (AP) —"), bylines ("By Sylvie Corbet | Associated Press"), reporting and editing credits
    ("(Reporting by …; Editing by …)", "… contributed reporting."). They stay in the text — the dateline is
    evidence of the article's date — but the names in them are nobody's mention: the reporter is not an actor of
    the story, nor is the capital a dateline names.

    Returns
    -------
    list of (start, end), in text order; they may overlap.
    """
    spans = [m.span() for line in _head_lines(text) for m in [_BYLINE.match(text, *line.span())] if m]
    spans += [m.span() for m in datelines(text)]
    spans += [m.span() for pattern in (_CREDIT_BRACKET, _CREDIT_LINE) for m in pattern.finditer(text)]
    spans += [_sentence_around(text, *m.span()) for m in _CONTRIBUTED.finditer(text)]
    return sorted(spans)


def datelines(text: str) -> list[re.Match]:
    """The datelines of the first ``CREDIT_LINES`` lines of ``text``: ``DATELINE`` matches (groups ``place``,
    ``date`` — month and day —, ``agency``) that have a place or a wire service, and then a dash, a full stop after a
    date or a service, or a place and a date."""
    found = []
    for line in _head_lines(text):
        m = DATELINE.match(text, *line.span())
        if m and (m["place"] or m["agency"]) and (
                m["dash"] or m["stop"] and (m["date"] or m["agency"]) or m["place"] and m["date"]):
            found.append(m)
    return found


def _head_lines(text: str) -> Iterator[re.Match]:
    """The first ``CREDIT_LINES`` lines that are not blank."""
    return itertools.islice(_LINE.finditer(text), CREDIT_LINES)


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding [start, end): from after the last full stop or line end before it to the first full stop
    (included) or line end after it, at most ``_CREDIT_SENTENCE`` characters either side."""
    low = max(text.rfind(".", 0, start), text.rfind("\n", 0, start), start - _CREDIT_SENTENCE - 1) + 1
    while low < start and text[low].isspace():
        low += 1
    stops = [i for i in (text.find(".", end), text.find("\n", end)) if i >= 0]
    high = min([*stops, len(text), end + _CREDIT_SENTENCE])
    return low, high + (high < len(text) and text[high] == ".")
