"""Time expressions of English news, normalised to TimeML TIMEX3 values, offline and fast.

Why a rule-based tagger of our own: HeidelTime, the reference rule-based tagger, is Java (a JVM and a
TreeTagger install for every notebook run) and slow; ``dateparser`` parses a string that is already known to be a
date, but does not find expressions in running text, nor tell a duration ("two weeks") or a set ("every day") from a
date, nor resolve "last week" to an ISO week. A few dozen regular expressions, compiled once at import, plus
calendar arithmetic in the standard library, cover the expressions news actually uses.

Public surface:
    Timex                                  one expression: offsets, type, TimeML value, anchored, mod
    find_timexes(text, anchor=None)        sorted, non-overlapping, longest match wins
    find_timexes_many(items, cache_dir=None)   the same for many (text, anchor) pairs, cached on disk per pair
    timex_rows(texts, anchors, cache_dir=None) the same as one table (column ``item``: the pair's index)

Resolution rules (the anchor is the article's publication date; nothing is ever resolved against the wall clock):
  * Relative expressions ("yesterday", "last week", "two weeks ago", "this year") count from the anchor.
    ``anchored`` says that an expression is relative to the anchor: resolved when an anchor is given, and left with
    TimeML X's ("XXXX-11-23", "XXXX-WXX-5", "XXXX-XX-XX") when it is not.
  * A weekday, a month, or a day and month without a year ("on Friday", "in November", "23 November") is taken in the
    direction of the tense around it: news reports mostly what has happened, so by default it is the latest one on or
    before the anchor (a Friday article's "Friday" is that day); with a future marker nearby ("will", "next",
    "is expected to" ...) it is the first one on or after the anchor. "last Friday" is strictly before, "next Friday"
    strictly after.
  * A weekday with a day and month but no year ("Sunday, 23 November") takes the year, nearest the anchor, in which
    that day is that weekday; without an anchor the year stays XXXX.
  * Durations ("five-hour talks" PT5H, "two weeks" P2W, "weeks of efforts" PXW) and sets ("every day", "daily" P1D)
    keep their own types and are never turned into dates.
  * "early/mid/late" go into ``mod`` (START/MID/END), "about/nearly/more than" into APPROX/LESS_THAN/MORE_THAN...;
    TimeML values have no room for them.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Timex", "find_timexes"]


@dataclass(frozen=True)
class Timex:
    start: int
    end: int
    text: str
    type: str  # DATE | TIME | DURATION | SET
    value: str
    anchored: bool
    mod: str = ""


# --- lexicons ---------------------------------------------------------------------------------------------------

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
    "dec": 12,
}
_FULL_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december",
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
SMALL_NUMBERS = {
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
ORDINALS = {
    w: i for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
        "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1
    )
}
ORDINALS.update({"thirtieth": 30, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4})
# TimeML duration letters; time-of-day units take the "T" designator.
UNITS = {
    "second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "fortnight": "W", "month": "M",
    "quarter": "Q", "year": "Y", "decade": "E", "centurie": "C", "century": "C", "millennium": "L", "millennia": "L",
}
TIME_UNITS = {"second", "minute", "hour"}
SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "overnight": "NI"}
MODS = {
    "early": "START", "beginning": "START", "start": "START", "dawn": "START", "late": "END", "end": "END",
    "close": "END", "mid": "MID", "middle": "MID", "about": "APPROX", "around": "APPROX", "some": "APPROX",
    "roughly": "APPROX", "approximately": "APPROX", "nearly": "LESS_THAN", "almost": "LESS_THAN",
    "less than": "LESS_THAN", "more than": "MORE_THAN",
    "at least": "EQUAL_OR_MORE", "no more than": "EQUAL_OR_LESS", "up to": "EQUAL_OR_LESS",
    "at most": "EQUAL_OR_LESS",
}
VAGUE_NUMBERS = {"a few", "few", "several", "many", "some", "a number of", "numerous", "the few"}

# --- regular expression building blocks ---------------------------------------------------------------------------

# Month and weekday names must be capitalised ("may" is a verb, "march" a noun); the rest is case-insensitive.
MONTH_PATTERN = (
    r"(?-i:(?:Jan(?:uary|\.)|Feb(?:ruary|\.)|Mar(?:ch|\.)|Apr(?:il|\.)|May|June?\.?|July?\.?|Aug(?:ust|\.)"
    r"|Sep(?:tember|t\.?|\.)|Oct(?:ober|\.)|Nov(?:ember|\.)|Dec(?:ember|\.)|January|February|March|April|August"
    r"|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)(?!\w)))"
)
_WEEKDAY = r"(?-i:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))"
_YEAR = r"(?<![\w$£€.,/])(?<!\d-)(?:1[6-9]\d\d|20\d\d)(?![\w%/]|[.,:]\d|-\d)"
_ONES = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_SPELLED_YEAR = (
    rf"(?:nineteen[\s-]+(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+{_ONES})?|ten|eleven"
    rf"|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)|two[\s-]+thousand(?:(?:[\s-]+and)?"
    rf"[\s-]+(?:twenty(?:[\s-]+{_ONES})?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
    rf"|nineteen|{_ONES}))?)"
)
_YEAR_ANY = rf"(?:{_YEAR}|{_SPELLED_YEAR})"
_ORD_WORD = (
    r"(?:twenty[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty[\s-]first|first|second"
    r"|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth"
    r"|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)|{_ORD_WORD})"
_NUM_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven"
    r"|eight|nine))?|(?:a|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:hundred|thousand)|zero|eleven"
    r"|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|one|two|three|four|five|six|seven"
    r"|eight|nine|ten)"
)
_NUM = (
    rf"(?:\d{{1,3}}(?:\.\d+)?(?:\s+1/2|½)?|{_NUM_WORD}|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|a\s+number\s+of"
    r"|several|few|many|numerous|half\s+an?|an?)"
)
_UNIT = r"(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|quarters?|years?|decades?|century|centuries|millennium|millennia)"
_UNIT_SG = r"(?:week|weekend|month|year|quarter|decade|century|season)"
_PART = r"(?:morning|afternoon|evening|night)"
_LEAD_MOD = (
    r"(?:(?:the\s+)?(?:very\s+)?(?P<lead>early|late|mid|middle|earlier|later)(?:\s+|-)(?:in\s+|of\s+)?"
    r"|the\s+(?P<lead2>beginning|start|end|middle|close|dawn)\s+of\s+(?:the\s+)?|(?P<lead3>mid)-?)"
)
_APPROX = (
    r"(?:(?P<approx>about|around|roughly|approximately|nearly|almost|less\s+than|more\s+than|at\s+least"
    r"|no\s+more\s+than|up\s+to|at\s+most|some)\s+)"
)
_REL = r"(?P<rel>this|last|next|coming|past|previous|current|this\s+coming|the\s+(?:past|last|previous|next|coming|current|latest|most\s+recent|following))"

# "plan" only as a verb ("plans to"): "met on Sunday to rework a draft peace plan" is past.
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|would|going\s+to|next|upcoming|scheduled|plans?\s+to|planned|planning\s+to|is\s+to"
    r"|are\s+to|to\s+be\s+held|expected\s+to|due\s+to\s+be|(?:is|are)\s+due\s+to|set\s+to|until|as\s+soon\s+as"
    r"|as\s+early\s+as|tomorrow"
    r"|must)\b|'ll\b",
    re.I,
)
# Past forms and participles of irregular verbs (none of them another word): "met on Sunday", "told reporters".
IRREGULAR_PAST = (
    "said|told|met|won|lost|began|came|went|took|made|gave|held|left|spoke|wrote|sent|saw|got|ran|became|brought"
    "|fought|found|led|paid|struck|fell|rose|hit|quit|bought|sold|built|caught|chose|drew|drove|flew|forgot|froze|grew"
    "|heard|hid|kept|knew|lent|meant|rode|rang|sang|sank|slept|spent|stood|stole|stuck|swore|swept|taught|tore"
    "|thought|threw|understood|woke|wore|withdrew|felt|dealt|sought|broke|overcame|overtook|undertook|forgave|shook"
    "|shot|hung|laid|fled|sped|spun|drawn|taken|shown|written|begun|broken|chosen|driven|fallen|forgotten"
    "|frozen|grown|hidden|risen|shaken|spoken|stolen|sworn|thrown|torn|withdrawn|overtaken|undertaken|forgiven|flown"
)
# A past tense: a past form, "has/have" and a participle, or a word in -ed (in lower case: "United" is no verb; "died",
# "sued") that is not a present verb or a noun ("need", "proceed", "shed", "hundred") nor says what is still to come
# ("scheduled", "expected", "planned").
PAST_MARK = re.compile(
    r"\b(?:was|were|had|did|ago|yesterday|" + IRREGULAR_PAST + r"|ha(?:s|ve)\s+(?:\w+ly\s+)?(?:been|[a-z]+ed|[a-z]+en)"
    r"|(?-i:(?!(?:schedul|expect|plann|slat|propos|project|intend|delay|postpon)ed\b)"
    r"(?!(?:n|f|s|w|d|r|h|sp|br|cr|gr|st|bl|proc|succ|exc|ind)eed\b|(?:sh|hundr)ed\b)[a-z]{2,}ed))\b",
    re.I,
)
# A participle after "is/are/be" is the present or future passive ("will be signed on Friday"), not a past tense.
BE_BEFORE = re.compile(r"\b(?:is|are|be|been|being|will\s+be|to\s+be|isn['’]t|aren['’]t)\s+(?:\w+ly\s+)?$", re.I)
_SENTENCE_EDGE = re.compile(r"[.!?;]\s|\n")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# --- small helpers -------------------------------------------------------------------------------------------------

def month_names() -> frozenset[str]:
    """Every month's name and abbreviation as the tagger reads them, lower case ("nov", "sept", "november")."""
    return frozenset(MONTHS) | _FULL_MONTHS | {"sept"}


def _month(name: str) -> int:
    return MONTHS[name.lower()[:3]]


def _year(text: str) -> int:
    t = re.sub(r"[\s-]+", " ", text.lower().strip())
    if t[0].isdigit():
        return int(t)
    if t.startswith("nineteen "):
        return 1900 + int(_number(t[len("nineteen "):]))
    rest = t[len("two thousand"):].replace(" and ", " ").strip()
    return 2000 + (int(_number(rest)) if rest else 0)


def _ordinal(text: str) -> int:
    t = re.sub(r"[\s-]+", " ", text.lower().strip())
    if t[:1].isdigit():
        return int(re.match(r"\d+", t).group())
    if " " in t:
        tens, unit = t.split(" ", 1)
        return TENS[tens] + ORDINALS[unit]
    return ORDINALS[t]


def _number(text: str) -> float | None:
    """A cardinal in digits or words; None for vague quantities ("several", "a few")."""
    t = re.sub(r"[\s-]+", " ", text.lower().strip())
    if t in VAGUE_NUMBERS or t.startswith("a number"):
        return None
    if t in ("a", "an", "one"):
        return 1
    if t.startswith("half"):
        return 0.5
    if "couple" in t:
        return 2
    if t[0].isdigit():
        value = float(re.match(r"[\d.]+", t).group())
        return value + 0.5 if ("1/2" in t or "½" in t) else value
    total = 0
    for word in t.split():
        if word in ("hundred", "thousand"):
            total = max(total, 1) * (100 if word == "hundred" else 1000)
        elif word == "a":
            total += 1
        else:
            total += SMALL_NUMBERS.get(word, TENS.get(word, 0))
    return total


def _duration(amount: float | None, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    if unit.endswith("fortnight"):
        amount = None if amount is None else amount * 2
    letter = UNITS[unit]
    prefix = "PT" if unit in TIME_UNITS else "P"
    if amount is None:
        return f"{prefix}X{letter}"
    if amount != int(amount):
        # TimeML values are integers: move a half to the next smaller unit.
        smaller = {"Y": (12, "M"), "D": (24, "H"), "H": (60, "M"), "W": (7, "D"), "M": (60, "S")}
        if unit == "month":
            return f"P{int(amount * 30)}D"
        if letter in smaller:
            factor, small = smaller[letter]
            whole, rest = int(amount), round((amount - int(amount)) * factor)
            if unit in TIME_UNITS or (letter == "D" and small == "H"):
                head = f"P{whole}DT" if letter == "D" and whole else "PT"
                return f"{head}{rest}{small}" if not whole or letter == "D" else f"PT{whole}{letter}{rest}{small}"
            return f"P{whole}{letter}{rest}{small}" if whole else f"P{rest}{small}"
    return f"{prefix}{int(amount)}{letter}"


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _shift_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _direction(text: str, start: int, end: int) -> int:
    """-1 if the clause around [start, end) reads as past, +1 as future, 0 if it gives no sign.

    The tense marker nearest to the expression decides: in "said Friday it will ..." Friday goes with "said".
    """
    left = max(0, start - 120)
    edges = list(_SENTENCE_EDGE.finditer(text, left, start))
    if edges:
        left = edges[-1].end()
    right_edge = _SENTENCE_EDGE.search(text, end, end + 120)
    right = right_edge.start() if right_edge else min(len(text), end + 120)
    best, sign = None, 0
    for pattern, value in ((_FUTURE, 1), (PAST_MARK, -1)):  # on a tie the future wins
        for m in pattern.finditer(text, left, right):
            if value < 0 and BE_BEFORE.search(text, max(left, m.start() - 20), m.start()):
                continue
            distance = start - m.end() if m.end() <= start else m.start() - end
            if distance >= 0 and (best is None or distance < best):
                best, sign = distance, value
    return sign


def _pick_date(candidates: list[dt.date], anchor: dt.date, direction: int, penalty: int = 90) -> dt.date:
    """The candidate nearest the anchor; one on the wrong side of the anchor for the tense counts ``penalty``
    days further away (so "said ... on Dec. 7" in late October can still be the coming December)."""

    def cost(c: dt.date) -> tuple[int, bool]:
        days = (c - anchor).days
        wrong = (direction < 0 and days > 0) or (direction > 0 and days < 0)
        return abs(days) + (penalty if wrong else 0), days > 0

    return min(candidates, key=cost)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _quarter(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def _last_quarter(anchor: dt.date) -> tuple[int, int]:
    """The latest completed quarter: what business news means by "the quarter"."""
    q = _quarter(anchor) - 1
    return (anchor.year, q) if q else (anchor.year - 1, 4)


def _mod(m: re.Match[str]) -> str:
    d = m.groupdict()
    for key in ("lead", "lead2", "lead3", "approx"):
        word = d.get(key)
        if word:
            return MODS.get(re.sub(r"\s+", " ", word.lower()), "")
    return ""


def _mentions_quarters(text: str, start: int) -> bool:
    """Whether the article reports quarterly results up to this point (then "a year ago" is a quarter)."""
    return "quarter" in text[:start + 200].lower()


# --- rules ---------------------------------------------------------------------------------------------------------
# Each rule turns a match into (type, value, anchored, mod), or None to reject it. ``ctx`` holds the text and anchor.

class _Ctx:
    __slots__ = ("text", "anchor")

    def __init__(self, text: str, anchor: dt.date | None) -> None:
        self.text, self.anchor = text, anchor


def _r_iso(m, ctx):
    y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
    if not _safe_date(y, mo, d):
        return None
    if m["h"]:
        return "TIME", f"{y:04d}-{mo:02d}-{d:02d}T{m['h']}:{m['mi']}" + (f":{m['s']}" if m["s"] else ""), False, ""
    return "DATE", f"{y:04d}-{mo:02d}-{d:02d}", False, ""


def _r_slash(m, ctx):
    """Numeric dates: month first as in US news ("11/30/2025"), day first when the first number cannot be a month
    ("30/11/2025") or the separator is a dot ("30.11.2025", European usage)."""
    mo, d, y = int(m["mo"]), int(m["d"]), int(m["y"])
    if mo > 12 or m["sep"] == ".":
        mo, d = d, mo
    if y < 100:
        y += 1900 if y > 30 else 2000
    if not _safe_date(y, mo, d):
        return None
    if m["h"]:
        return "TIME", f"{y:04d}-{mo:02d}-{d:02d}T{m['h']}:{m['mi']}" + (f":{m['s']}" if m["s"] else ""), False, ""
    return "DATE", f"{y:04d}-{mo:02d}-{d:02d}", False, ""


def _day_month(m, ctx, month: int, day: int):
    """Day and month with an optional year and weekday: the core of news dates."""
    if m["year"]:
        if not _safe_date(_year(m["year"]), month, day):
            return None
        return "DATE", f"{_year(m['year']):04d}-{month:02d}-{day:02d}", False, _mod(m)
    if not _safe_date(2000, month, day):
        return None
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", f"XXXX-{month:02d}-{day:02d}", True, _mod(m)
    years = range(anchor.year - 12, anchor.year + 13)
    candidates = [d for y in years if (d := _safe_date(y, month, day))]
    if m["wday"]:
        weekday = WEEKDAYS[m["wday"].lower()]
        matching = [c for c in candidates if c.weekday() == weekday]
        if matching:
            best = min(matching, key=lambda c: (abs((c - anchor).days), c > anchor))
            return "DATE", best.isoformat(), True, _mod(m)
    candidates = [c for c in candidates if abs(c.year - anchor.year) <= 1]
    best = _pick_date(candidates, anchor, _direction(ctx.text, m.start(), m.end()))
    return "DATE", best.isoformat(), True, _mod(m)


def _r_dmy(m, ctx):
    return _day_month(m, ctx, _month(m["month"]), _ordinal(m["day"]))


def _r_range_start(m, ctx):
    """The first day of "27-28 November": only when the range goes forward within a real month ("3-1 November" is
    a score)."""
    month, day, last = _month(m["month"]), _ordinal(m["day"]), _ordinal(m["day2"])
    if not day < last or not _safe_date(2000, month, last):
        return None
    return _day_month(m, ctx, month, day)


def _r_mdy(m, ctx):
    return _day_month(m, ctx, _month(m["month"]), _ordinal(m["day"]))


def _r_month_year(m, ctx):
    if m["yrel"]:
        if ctx.anchor is None:
            return "DATE", f"XXXX-{_month(m['month']):02d}", True, _mod(m)
        year = ctx.anchor.year + {"last": -1, "this": 0, "next": 1}[m["yrel"].lower()]
        return "DATE", f"{year:04d}-{_month(m['month']):02d}", True, _mod(m)
    return "DATE", f"{_year(m['year']):04d}-{_month(m['month']):02d}", False, _mod(m)


def _r_month(m, ctx):
    name = m["month"]
    before = ctx.text[max(0, m.start() - 12):m.start()].lower()
    # "May" and "March" are also a name and a verb: a bare one needs a temporal preposition or modifier.
    if name.lower().startswith(("may", "mar")) and not (m["rel"] or _mod(m) or m["each"]) and not re.search(
        r"\b(?:in|since|by|until|of|during|through|before|after|from|to|between|and|early|late|mid|last|next|this)\W*$",
        before,
    ):
        return None
    if name.lower().rstrip(".") not in _FULL_MONTHS and not m["rel"] and not m["each"]:
        return None  # an abbreviation on its own ("Jan", "Dec.") is mostly a name or an initial
    month = _month(name)
    if m["each"]:
        return "SET", f"XXXX-{month:02d}", False, ""
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", f"XXXX-{month:02d}", True, _mod(m)
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower())
    direction = {"last": -1, "past": -1, "previous": -1, "latest": -1, "next": 1, "coming": 1}.get(
        rel.split()[-1] if rel else "", 0
    )
    if not rel:
        direction = _direction(ctx.text, m.start(), m.end())
    this_month = dt.date(anchor.year, anchor.month, 1)
    candidates = [dt.date(y, month, 1) for y in (anchor.year - 1, anchor.year, anchor.year + 1)]
    if rel == "this":
        best = dt.date(anchor.year, month, 1)
    elif rel and direction < 0:
        best = max(c for c in candidates if c < this_month)
    elif rel and direction > 0:
        best = min(c for c in candidates if c > this_month)
    else:
        best = _pick_date(candidates, this_month, direction, penalty=75)
    return "DATE", f"{best.year:04d}-{month:02d}", True, _mod(m)


def _r_year(m, ctx):
    year = _year(m["year"])
    before = ctx.text[max(0, m.start() - 20):m.start()]
    if m["year"][0] in "tT" and not re.search(r"\b(?:year|in|since|by|until)\s*$", m.group()[:-len(m["year"])] or before, re.I):
        return None  # "two thousand people"
    # A bare number is a year only in a year-like setting; "1,500 troops" never reaches here, "1500 troops" may.
    if not (m["lead"] or m["lead2"] or m["lead3"] or m["fiscal"]):
        after = ctx.text[m.end():m.end() + 12]
        if re.match(r"\s*(?:[a-z]+\s+)?(?:percent|per|people|troops|soldiers|shares|tons|km|miles|metres|meters|dollars|euros|points|cases|deaths)\b", after):
            return None
        if re.search(r"(?:No\.|number|#|page|Resolution|Article)\s*$", before, re.I):
            return None
        if not (1900 <= year <= 2100) and not re.search(r"\b(?:in|since|of|by|from|until|to|year)\s*$", before, re.I):
            return None
    return "DATE", f"{year:04d}", False, _mod(m)


def _r_decade(m, ctx):
    if m["full"]:
        return "DATE", m["full"][:3], False, _mod(m)
    if m["word"]:
        if not m.group().lower().startswith(("the", "nineteen")):
            return None  # "in their forties" is an age
        return "DATE", f"19{TENS[m['word'].lower()[:-3] + 'y'] // 10}", False, _mod(m)
    return "DATE", "19" + m["short"][0], False, _mod(m)


def _r_century(m, ctx):
    return "DATE", f"{_ordinal(m['ord']) - 1:02d}", False, _mod(m)


def _r_season(m, ctx):
    season = SEASONS[m["season"].lower()]
    if m["year"]:
        return "DATE", f"{_year(m['year']):04d}-{season}", False, _mod(m)
    if m["season"].lower() == "fall" and not (m["rel"] or m["the"]):
        return None  # the verb
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", f"XXXX-{season}", True, _mod(m)
    rel = (m["rel"] or "").lower().split()[-1] if m["rel"] else ""
    start = SEASON_START[season]
    year = anchor.year
    if rel in ("last", "past", "previous"):
        year = anchor.year if start + 3 <= anchor.month else anchor.year - 1
    elif rel in ("next", "coming"):
        year = anchor.year if start > anchor.month else anchor.year + 1
    return "DATE", f"{year:04d}-{season}", True, _mod(m)


def _r_quarter(m, ctx):
    q = _ordinal(m["q"])
    if m["half"]:
        if q > 2:
            return None
        unit, count = "H", 2
    else:
        if q > 4:
            return None
        unit, count = "Q", 4
    year_text = m["qyear"] or m["year2"]
    if year_text:
        return "DATE", f"{_year(year_text):04d}-{unit}{q}", False, ""
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", f"XXXX-{unit}{q}", True, ""
    rel = (m["qrel"] or "").lower()
    year = anchor.year
    if rel.startswith("last"):
        year -= 1
    elif rel.startswith("next"):
        year += 1
    elif not rel.startswith("this"):
        start_month = (q - 1) * (12 // count) + 1
        if start_month > anchor.month + 3:
            year -= 1  # a quarter that has not begun yet, reported as results, is last year's
    return "DATE", f"{year:04d}-{unit}{q}", True, ""


def _r_the_quarter(m, ctx):
    anchor = ctx.anchor
    word = (m["which"] or "").lower()
    if anchor is None:
        return "DATE", "XXXX-QX", True, ""
    if word in ("this", "current", "the current"):
        year, q = anchor.year, _quarter(anchor)
    elif word in ("next", "the next", "the coming", "coming"):
        year, q = (anchor.year, _quarter(anchor) + 1) if _quarter(anchor) < 4 else (anchor.year + 1, 1)
    else:
        year, q = _last_quarter(anchor)
    return "DATE", f"{year:04d}-Q{q}", True, ""


def _r_year_ago_period(m, ctx):
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", "XXXX", True, ""
    if m["q"]:
        q = _ordinal(m["q"])
        return "DATE", f"{anchor.year - 1:04d}-Q{q}", True, ""
    year, q = _last_quarter(anchor)
    return "DATE", f"{year - 1:04d}-Q{q}", True, ""


def _r_edge_of_unit(m, ctx):
    """"the end of the month": the current one, with a mod."""
    return _r_relative_unit(_Relabel(m, "this"), ctx)


def _r_year_end(m, ctx):
    if ctx.anchor is None:
        return "DATE", "XXXX", True, "END"
    return "DATE", f"{ctx.anchor.year:04d}", True, "END"


def _r_the_year(m, ctx):
    if "year" == m.group().lower().split()[-1] and len(m.group().split()) == 2:
        return "DURATION", "P1Y", False, ""  # "during the year", "for the year"
    which = (m["which"] or "current").lower()
    shift = {"current": 0, "latest": -1, "past": -1, "previous": -1, "last": -1, "next": 1, "coming": 1}[which]
    if ctx.anchor is None:
        return "DATE", "XXXX", True, ""
    return "DATE", f"{ctx.anchor.year + shift:04d}", True, ""


def _r_year_period(m, ctx):
    year = _year(m["year"])
    if ctx.anchor is not None and (m["what"].lower() == "quarter" or _mentions_quarters(ctx.text, m.start())):
        return "DATE", f"{year:04d}-Q{_last_quarter(ctx.anchor)[1]}", False, ""
    return "DATE", f"{year:04d}", False, ""


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month; n = -1 for the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


# Holidays of English-language (mostly US) news, as the date they fall on in a given year.
HOLIDAYS = {
    "christmas eve": lambda y: dt.date(y, 12, 24), "christmas": lambda y: dt.date(y, 12, 25),
    "new year's eve": lambda y: dt.date(y, 12, 31), "new year's day": lambda y: dt.date(y, 1, 1),
    "new year's": lambda y: dt.date(y, 1, 1), "valentine's day": lambda y: dt.date(y, 2, 14),
    "independence day": lambda y: dt.date(y, 7, 4), "fourth of july": lambda y: dt.date(y, 7, 4),
    "halloween": lambda y: dt.date(y, 10, 31), "veterans day": lambda y: dt.date(y, 11, 11),
    "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4), "labor day": lambda y: _nth_weekday(y, 9, 0, 1),
    "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "election day": lambda y: _nth_weekday(y, 11, 0, 1) + dt.timedelta(days=1),
    "easter": _easter, "good friday": lambda y: _easter(y) - dt.timedelta(days=2),
}


def _r_holiday(m, ctx):
    name = re.sub(r"\s+", " ", m["holiday"].lower()).replace("’", "'")
    name = re.sub(r"^(thanksgiving|christmas|easter|halloween) day$", r"\1", name)
    name = name.replace(" sunday", "")
    if name not in HOLIDAYS:
        return None
    if m["year"]:
        return "DATE", HOLIDAYS[name](_year(m["year"])).isoformat(), False, ""
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", HOLIDAYS[name](2000).strftime("XXXX-%m-%d") if name not in (
            "thanksgiving", "labor day", "memorial day", "election day", "easter", "good friday") else "XXXX", True, ""
    rel = (m["rel"] or "").lower()
    direction = {"last": -1, "next": 1, "this": 0}.get(rel, None)
    if direction is None:
        direction = _direction(ctx.text, m.start(), m.end())
    candidates = [HOLIDAYS[name](y) for y in (anchor.year - 1, anchor.year, anchor.year + 1)]
    if rel == "last":
        candidates = [c for c in candidates if c < anchor]
    elif rel == "next":
        candidates = [c for c in candidates if c > anchor]
    return "DATE", _pick_date(candidates, anchor, direction).isoformat(), True, ""


def _r_day_word(m, ctx):
    word = m["word"].lower()
    offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[word]
    if m["before"]:
        offset = -2
    elif m["after"]:
        offset = 2
    part = PARTS_OF_DAY.get((m["part"] or "").lower()) or ("NI" if word == "tonight" else "")
    anchor = ctx.anchor
    day = (anchor + dt.timedelta(days=offset)).isoformat() if anchor else "XXXX-XX-XX"
    if part:
        return "TIME", f"{day}T{part}", True, ""
    return "DATE", day, True, _mod(m)


def _r_part_of_day(m, ctx):
    rel = m["rel"].lower()
    part = PARTS_OF_DAY[m["part"].lower()]
    anchor = ctx.anchor
    offset = -1 if rel == "last" and part == "NI" else 0
    if rel == "last" and part != "NI":
        return None
    day = (anchor + dt.timedelta(days=offset)).isoformat() if anchor else "XXXX-XX-XX"
    return "TIME", f"{day}T{part}", True, ""


def _r_weekday(m, ctx):
    weekday = WEEKDAYS[m["wday"].lower()]
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower())
    part = PARTS_OF_DAY.get((m["part"] or "").lower(), "")
    anchor = ctx.anchor
    if anchor is None:
        value = f"XXXX-WXX-{weekday + 1}"
    else:
        if rel in ("last", "the previous", "previous", "past", "the past"):
            back = (anchor.weekday() - weekday) % 7 or 7
            day = anchor - dt.timedelta(days=back)
        elif rel in ("next", "this coming", "coming", "the coming", "the following", "following"):
            ahead = (weekday - anchor.weekday()) % 7 or 7
            day = anchor + dt.timedelta(days=ahead)
        else:
            direction = _direction(ctx.text, m.start(), m.end())
            if direction == 0 and re.match(r"\s+deadline\b", ctx.text[m.end():m.end() + 10], re.I) and not (
                    PAST_MARK.search(ctx.text, ctx.text.rfind("\n", 0, m.start()) + 1, m.start())):
                direction = 1  # "the Thursday deadline", with no past tense before it on its line, is still to come
            if rel == "this" and direction == 0:
                day = anchor + dt.timedelta(days=weekday - anchor.weekday())
            elif direction > 0:
                day = anchor + dt.timedelta(days=(weekday - anchor.weekday()) % 7)
            else:
                day = anchor - dt.timedelta(days=(anchor.weekday() - weekday) % 7)
        value = day.isoformat()
    if part:
        return "TIME", f"{value}T{part}", True, ""
    return "DATE", value, True, _mod(m)


def _r_weekday_set(m, ctx):
    weekday = WEEKDAYS[m["wday"].lower()]
    part = PARTS_OF_DAY.get((m["part"] or "").lower(), "")
    return "SET", f"XXXX-WXX-{weekday + 1}" + (f"T{part}" if part else ""), False, ""


def _r_relative_unit(m, ctx):
    rel = re.sub(r"\s+", " ", m["rel"].lower()).replace("the ", "")
    unit = m["unit"].lower()
    shift = {"this": 0, "current": 0, "coming": 1, "this coming": 1, "next": 1, "following": 1, "last": -1,
             "past": -1, "previous": -1, "latest": -1, "most recent": -1}[rel]
    if unit in ("quarter",):
        return None  # handled by the quarter rule
    anchor = ctx.anchor
    mod = _mod(m)
    if anchor is None:
        value = {"week": "XXXX-WXX", "weekend": "XXXX-WXX-WE", "month": "XXXX-XX", "year": "XXXX",
                 "decade": "XXX", "century": "XX", "season": "XXXX-XX"}[unit]
        return "DATE", value, True, mod
    if unit == "week":
        value = _week(anchor + dt.timedelta(weeks=shift))
    elif unit == "weekend":
        value = _week(anchor + dt.timedelta(weeks=shift)) + "-WE"
    elif unit == "month":
        y, mo = _shift_months(anchor.year, anchor.month, shift)
        value = f"{y:04d}-{mo:02d}"
    elif unit == "year":
        value = f"{anchor.year + shift:04d}"
    elif unit == "decade":
        value = f"{anchor.year // 10 + shift:03d}"
    elif unit == "century":
        value = f"{anchor.year // 100 + shift:02d}"
    else:
        return None
    return "DATE", value, True, mod


def _r_weekend(m, ctx):
    anchor = ctx.anchor
    if anchor is None:
        return "DATE", "XXXX-WXX-WE", True, ""
    direction = _direction(ctx.text, m.start(), m.end())
    if direction > 0:
        day = anchor + dt.timedelta(days=(5 - anchor.weekday()) % 7)
    else:
        day = anchor - dt.timedelta(days=(anchor.weekday() - 5) % 7 if anchor.weekday() >= 5 else anchor.weekday() + 2)
    return "DATE", _week(day) + "-WE", True, ""


def _r_ago(m, ctx):
    if not m["num"] and not m["unit"].lower().endswith("s"):
        return None  # "a week after the vote" is not "a week later"
    amount = _number(m["num"]) if m["num"] else None
    unit = m["unit"].lower().rstrip("s")
    if unit == "centurie":
        unit = "century"
    later = m["dir"].lower() in ("later", "after", "from now", "hence")
    if m["dir"].lower() == "later":
        # "three days later" counts from an event of the story, not from the article date.
        return "DURATION", _duration(amount, unit), False, _mod(m)
    anchor = ctx.anchor
    if amount is None:
        return "DATE", "FUTURE_REF" if later else "PAST_REF", True, _mod(m)
    sign = 1 if later else -1
    if anchor is None:
        value = {"day": "XXXX-XX-XX", "week": "XXXX-WXX", "month": "XXXX-XX", "year": "XXXX"}.get(unit, "XXXX")
        return "DATE", value, True, _mod(m)
    n = int(amount) if amount == int(amount) else amount
    if unit in TIME_UNITS:
        return None
    if unit == "day":
        value = (anchor + dt.timedelta(days=sign * n)).isoformat()
    elif unit == "week":
        value = _week(anchor + dt.timedelta(weeks=sign * n))
    elif unit == "fortnight":
        value = _week(anchor + dt.timedelta(weeks=sign * 2 * n))
    elif unit == "month":
        y, mo = _shift_months(anchor.year, anchor.month, sign * int(n))
        value = f"{y:04d}-{mo:02d}"
    elif unit == "quarter":
        y, mo = _shift_months(anchor.year, anchor.month, sign * 3 * int(n))
        value = f"{y:04d}-Q{(mo - 1) // 3 + 1}"
    elif unit == "year":
        year = anchor.year + sign * int(n)
        value = f"{year:04d}"
        if n == 1 and _mentions_quarters(ctx.text, m.start()):
            # Earnings reports compare with "a year ago", meaning the same quarter of the year before.
            ly, lq = _last_quarter(anchor)
            value = f"{ly - 1:04d}-Q{lq}"
    elif unit == "decade":
        value = f"{(anchor.year + sign * 10 * int(n)) // 10:03d}"
    else:
        return None
    return "DATE", value, True, _mod(m)


def _r_duration(m, ctx):
    amount = _number(m["num"])
    unit = m["unit"].lower()
    if m["age"]:
        return None  # ages describe people, not times
    if m["num"].lower() in ("a", "an") and unit.startswith(("second", "quarter")):
        return None  # "a second term", "a quarter of the vote"
    if unit.startswith("quarter") and ctx.text.startswith(" of", m.end()):
        return None  # "three-quarters of its food"
    if amount is not None and amount >= 1000 and unit.startswith("year") and amount % 1000 == 0:
        return "DURATION", f"P{int(amount // 1000)}L", False, _mod(m)
    if amount is None and not unit.endswith("s") and "-" not in m.group():
        return None
    if amount == 0:
        return None
    if m["and_half"]:
        amount = (amount or 0) + 0.5
    text_before = ctx.text[max(0, m.start() - 25):m.start()].lower()
    if (m["num"].lower() in ("a", "an") and re.search(r"(?:\d|%|\btimes|\bonce|\btwice|\bthrice|\bcents?|\bdollars?)\s*$", text_before)):
        return "SET", _duration(1, unit), False, ""
    return "DURATION", _duration(amount, unit), False, _mod(m)


def _r_vague_duration(m, ctx):
    unit = m["unit"].lower()
    return "DURATION", _duration(None, unit), False, _mod(m)


def _r_set(m, ctx):
    word = m.group().lower()
    unit = m["unit"]
    if unit:
        n = _number(m["num"]) if m["num"] else 1
        if m["other"]:
            n = 2
        return "SET", _duration(n or 1, unit), False, ""
    for key, value in (("dai", "P1D"), ("week", "P1W"), ("month", "P1M"), ("quarter", "P3M"), ("annual", "P1Y"),
                       ("year", "P1Y"), ("hour", "PT1H"), ("night", "P1D")):
        if key in word:
            return "SET", value, False, ""
    return None


def _r_clock(m, ctx):
    hour = int(m["h"])
    minute = int(m["mi"] or 0)
    ampm = (m["ampm"] or "").lower().replace(".", "").replace(" ", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 24 or minute > 59:
        return None
    return _clock_value(m, ctx, f"T{hour:02d}:{minute:02d}")


def _r_noon(m, ctx):
    return _clock_value(m, ctx, "T12:00" if m["noon"].lower() == "noon" else "T24:00")


def _clock_value(m, ctx, clock: str):
    anchor = ctx.anchor
    day = None
    if m["dwday"]:
        weekday = WEEKDAYS[m["dwday"].lower()]
        if anchor:
            direction = _direction(ctx.text, m.start(), m.end())
            if direction > 0:
                day = (anchor + dt.timedelta(days=(weekday - anchor.weekday()) % 7)).isoformat()
            else:
                day = (anchor - dt.timedelta(days=(anchor.weekday() - weekday) % 7)).isoformat()
        else:
            day = f"XXXX-WXX-{weekday + 1}"
    elif m["dword"]:
        offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[m["dword"].lower()]
        day = (anchor + dt.timedelta(days=offset)).isoformat() if anchor else "XXXX-XX-XX"
    elif m["dmonth"]:
        month, dayn = _month(m["dmonth"]), _ordinal(m["dday"])
        if m["dyear"] and _safe_date(int(m["dyear"]), month, dayn):  # "4:37 PM EST, November 27, 2026"
            day = _safe_date(int(m["dyear"]), month, dayn).isoformat()
        elif anchor and _safe_date(anchor.year, month, dayn):
            cands = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1) if (d := _safe_date(y, month, dayn))]
            day = _pick_date(cands, anchor, _direction(ctx.text, m.start(), m.end())).isoformat()
        else:
            day = f"XXXX-{month:02d}-{dayn:02d}"
    else:
        day = anchor.isoformat() if anchor else "XXXX-XX-XX"
    return "TIME", f"{day}{clock}", True, _mod(m)


_REFS = {
    "now": "PRESENT_REF", "right now": "PRESENT_REF", "just now": "PRESENT_REF", "currently": "PRESENT_REF",
    "nowadays": "PRESENT_REF", "these days": "PRESENT_REF", "at present": "PRESENT_REF", "presently": "PRESENT_REF",
    "the present": "PRESENT_REF", "at the moment": "PRESENT_REF", "this time": "PRESENT_REF",
    "recently": "PAST_REF", "lately": "PAST_REF", "previously": "PAST_REF", "formerly": "PAST_REF",
    "the past": "PAST_REF", "in the past": "PAST_REF", "once": "PAST_REF", "soon": "FUTURE_REF",
    "the future": "FUTURE_REF", "the near future": "FUTURE_REF", "the foreseeable future": "FUTURE_REF",
    "future": "FUTURE_REF", "shortly": "FUTURE_REF", "the short term": "FUTURE_REF", "the long term": "FUTURE_REF",
    "the near term": "FUTURE_REF", "the long run": "FUTURE_REF", "the short run": "FUTURE_REF",
    "the coming": "FUTURE_REF",
}


def _r_ref(m, ctx):
    word = re.sub(r"\s+", " ", m["ref"].lower())
    if word.startswith("in the past"):
        word = "the past"
    if word == "recent":
        return "DATE", "PAST_REF", True, ""
    if word.startswith("recent "):
        return "DATE", "PAST_REF", True, ""
    return "DATE", _REFS[word], True, ""


_REF_WORDS = (
    r"right\s+now|just\s+now|now|currently|nowadays|these\s+days|at\s+present|presently|the\s+present(?!\s+\w+ed\b)"
    r"|recently|lately|the\s+past(?!\s+(?:\w+[\s-]+)?(?:seconds?|minutes?|hours?|days?|weeks?|weekends?|months?|quarters?"
    r"|years?|decades?|centur(?:y|ies)|spring|summer|autumn|fall|winter|few|several|couple|\d))"
    r"|the\s+(?:near\s+)?future|the\s+near\s+term|recent\s+(?:days|weeks|months|years|decades|times)"
)

_PREMOD = (
    r"(?:(?:the|its|their|his|her|a|an)\s+)?(?:(?:past|last|next|first|final|coming|previous|following|latest"
    r"|initial|remaining|entire|whole|full)\s+)?"
)


def _r_overnight(m, ctx):
    if m["part"]:
        return _r_part_of_day(m, ctx)
    return "TIME", (ctx.anchor.isoformat() if ctx.anchor else "XXXX-XX-XX") + "TNI", True, ""


def _r_weekdays(m, ctx):
    if m["wday"]:
        return _r_weekday_set(m, ctx)
    return "SET", f"XXXX-WXX-{WEEKDAYS[m['wday2'].lower()] + 1}", False, ""


def _r_earlier_in_the(m, ctx):
    return _r_relative_unit(_Relabel(m, "this"), ctx)


def _r_the_weekend(m, ctx):
    first = m.group().split()[0].lower()
    if first in ("this", "last", "next"):
        return _r_relative_unit(_Relabel(m, first, unit="weekend"), ctx)
    return _r_weekend(m, ctx)


def _r_clock_any(m, ctx):
    return _r_clock(_Relabel(m, ""), ctx)


def _r_noon_any(m, ctx):
    return _r_noon(_Relabel(m, ""), ctx)


class _Relabel:
    """A match seen with some groups replaced: "earlier this month" resolves as "this month"; clock rules take
    their weekday from before or after the time ("Friday at 2 p.m.", "10 p.m. Wednesday")."""

    def __init__(self, m: re.Match[str], rel: str, unit: str | None = None) -> None:
        self._m, self._over = m, {"rel": rel}
        if unit:
            self._over["unit"] = unit
        groups = m.re.groupindex
        if "dwday" in groups:
            self._over["dwday"] = m["dwday"] or m["dwday2"]

    def __getitem__(self, key: str):
        if key in self._over:
            return self._over[key]
        return self._m[key] if key in self._m.re.groupindex else None

    def groupdict(self):
        return self._m.groupdict()

    def start(self) -> int:
        return self._m.start()

    def end(self) -> int:
        return self._m.end()


_MONTH_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_WEEKDAY_WORDS = " ".join(WEEKDAYS) + " " + " ".join(d + "s" for d in WEEKDAYS)
_UNIT_WORDS = (
    "second seconds minute minutes hour hours day days week weeks fortnight fortnights month months quarter "
    "quarters year years decade decades century centuries millennium millennia"
)
_PLURAL_UNITS = "minutes hours days weeks months years decades centuries"
_TIME_ZONES = "gmt utc est edt cst cdt mst mdt pst pdt bst cet cest eet eest msk"

# (trigger words, pattern, rule). A pattern is only run near one of its trigger words, which keeps a pass over an
# article to a few hundred microseconds; "#year" stands for a number from 1600 to 2099, "#decade" for "1990s"/"80s".
# Order matters only to break ties between equally long matches: earlier rules win.
_RULE_TABLE = [
    ("#year", r"(?<![\w-])(?P<y>(?:1[6-9]|20)\d\d)-(?P<mo>[01]\d)-(?P<d>[0-3]\d)(?:[T ](?P<h>[0-2]\d):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?)?(?![\w-])", _r_iso),
    ("#year", r"(?<![\w/.-])(?P<y>(?:19|20)\d\d)/(?P<mo>[01]?\d)/(?P<d>[0-3]?\d)(?P<h>)(?P<mi>)(?P<s>)(?P<sep>)(?![\w/])", _r_slash),
    ("#year", r"(?<![\w/.-])(?P<mo>[0-3]?\d)(?P<sep>[/.])(?P<d>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d\d)(?:\s+(?P<h>[0-2]\d):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?)?(?![\w/])", _r_slash),
    (_MONTH_WORDS, rf"(?:{_LEAD_MOD})?(?:(?P<wday>{_WEEKDAY}),?\s+)?(?:the\s+)?(?P<day>{_DAY})(?:\s+of)?\s+(?P<month>{MONTH_PATTERN})(?:,?\s+(?P<year>{_YEAR_ANY}))?\b", _r_dmy),
    # The first day of a range whose month follows the second ("27-28 November", "27 and 28 Nov.", "from 27 to 29
    # November"): the range starts on it (only "28 November" was found, so an event of the 27th was dated the 28th).
    (_MONTH_WORDS, rf"(?P<wday>)(?P<day>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?)(?=\s*(?:[-–—]|and\b|to\b|&|or\b|until\b|through\b)\s*(?:the\s+)?(?P<day2>{_DAY})(?:\s+of)?\s+(?P<month>{MONTH_PATTERN})(?:,?\s+(?P<year>{_YEAR_ANY}))?\b)", _r_range_start),
    (_MONTH_WORDS, rf"(?:{_LEAD_MOD})?(?:(?P<wday>{_WEEKDAY}),?\s+)?(?P<month>{MONTH_PATTERN})\s+(?:the\s+)?(?P<day>{_DAY})(?!\s*(?:%|percent|million|billion|[:.,]\d))(?:,?\s+(?P<year>{_YEAR_ANY}))?\b", _r_mdy),
    (_MONTH_WORDS, rf"(?:{_LEAD_MOD})?(?P<month>{MONTH_PATTERN}),?\s+(?:of\s+)?(?:(?P<year>{_YEAR_ANY})|(?P<yrel>last|this|next)\s+year\b)", _r_month_year),
    (_MONTH_WORDS, rf"(?:(?P<each>each|every)\s+|(?:{_REL})\s+)?(?:{_LEAD_MOD})?(?P<month>{MONTH_PATTERN})(?![\w-])", _r_month),
    ("#year nineteen thousand", rf"(?:{_LEAD_MOD})?(?:(?:the\s+)?(?:year\s+)?|(?P<fiscal>(?:fiscal|calendar)(?:\s+year)?\s+))(?P<year>{_YEAR_ANY})(?!'s|\s*(?:-|–|to)\s*\d)", _r_year),
    ("#decade #year twenties thirties forties fifties sixties seventies eighties nineties", rf"(?:the\s+)?(?:{_LEAD_MOD})?(?:(?P<full>(?:1[6-9]|20)\d0)'?s|'(?P<short>\d0)s|(?:nineteen[\s-])?(?P<word>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))\b", _r_decade),
    ("century", rf"(?:the\s+)?(?:{_LEAD_MOD})?(?P<ord>\d{{1,2}}(?:st|nd|rd|th)|{_ORD_WORD})[\s-]century\b", _r_century),
    ("spring summer autumn fall winter", rf"(?:{_REL}\s+|(?:{_LEAD_MOD})|(?P<the>the)\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(?P<year>{_YEAR_ANY}))?\b(?!-)", _r_season),
    ("quarter half", rf"(?:(?:the|its|a|this|last|next)\s+)?(?:(?P<qrel>this\s+year's|last\s+year's|next\s+year's)\s+|(?P<qyear>{_YEAR_ANY})(?:'s)?\s+|(?:fiscal|calendar)[\s-]+)?(?:(?:fiscal|calendar|flat|strong|weak)[\s-]+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)[\s-](?:(?P<half>half)|quarter)(?:\s+of\s+(?:fiscal\s+)?(?P<year2>{_YEAR_ANY}))?(?!\w)", _r_quarter),
    ("quarter period", r"(?P<which>the\s+(?:latest|most\s+recent|past|last|previous|current|next|coming)|this|current|last|next|the)\s+(?:fiscal\s+)?quarter\b(?!s)|the\s+(?:latest|most\s+recent)\s+period\b", _r_the_quarter),
    ("year", r"(?:the\s+)?(?:comparable\s+|corresponding\s+)?year-(?:earlier|ago)(?:\s+(?:(?P<q>first|second|third|fourth)[\s-])?(?:quarter|period))?\b|the\s+(?:quarter|period)\s+a\s+year\s+(?:ago|earlier)|the\s+(?:same|corresponding|comparable)\s+(?:quarter|period)\s+(?:a\s+year\s+(?:ago|earlier)|last\s+year)|last\s+year's\s+(?:quarter|period)", _r_year_ago_period),
    ("christmas eve new year thanksgiving valentine independence fourth halloween veterans labor memorial election easter good",
     rf"(?:(?P<rel>last|next|this)\s+)?(?-i:(?P<holiday>Christmas(?:\s+(?:Eve|Day))?|New\s+Year['’]s(?:\s+(?:Eve|Day))?|Valentine['’]s\s+Day|Independence\s+Day|Fourth\s+of\s+July|Halloween|Veterans\s+Day|Thanksgiving(?:\s+Day)?|Labor\s+Day|Memorial\s+Day|Election\s+Day|Easter(?:\s+Sunday)?|Good\s+Friday))(?:,?\s+(?P<year>{_YEAR_ANY}))?\b", _r_holiday),
    ("today tonight yesterday tomorrow", rf"(?:{_LEAD_MOD})?(?:the\s+day\s+(?P<before>before)\s+yesterday|the\s+day\s+(?P<after>after)\s+tomorrow|(?P<word>today|tonight|yesterday|tomorrow)(?:\s+(?P<part>{_PART}))?)\b(?!-)", _r_day_word),
    ("morning afternoon evening night overnight", rf"(?:(?:(?P<lead>early|late|later|earlier)\s+)?(?P<rel>this|last)\s+(?P<part>{_PART})|\b(?P<part2>overnight))\b", _r_overnight),
    (_WEEKDAY_WORDS, rf"(?:(?P<rel>last|next|this\s+coming|this|coming|the\s+previous|the\s+following|past)\s+|{_LEAD_MOD})?(?P<wday>{_WEEKDAY})(?!s\b)(?:\s+(?P<part>{_PART}))?\b", _r_weekday),
    (_WEEKDAY_WORDS, rf"(?:(?:every|each|on)\s+)?(?P<wday>{_WEEKDAY})s(?:\s+(?P<part>{_PART}))?\b|(?:every|each)\s+(?P<wday2>{_WEEKDAY})", _r_weekdays),
    ("week weekend month year quarter decade century season", rf"(?:{_LEAD_MOD})?{_REL}\s+(?P<unit>{_UNIT_SG})\b(?!-)", _r_relative_unit),
    ("week month year", rf"(?:{_LEAD_MOD})the\s+(?P<unit>week|month|year)\b(?!-)", _r_edge_of_unit),
    ("year end", r"(?:the\s+)?year[\s-]end\b|(?:the\s+)?year's\s+end\b", _r_year_end),
    ("year", r"the\s+(?:(?P<which>current|latest|past|previous|last|next|coming)\s+)?(?:fiscal|full|calendar)\s+year\b|the\s+year\b(?!['’-]|\s+(?:ago|earlier|before|\d))", _r_the_year),
    ("#year", rf"the\s+(?P<year>{_YEAR})\s+(?P<what>quarter|period)\b", _r_year_period),
    ("earlier later", r"(?P<lead>earlier|later)\s+in\s+the\s+(?P<unit>week|month|year|decade|century)\b", _r_earlier_in_the),
    ("weekend", r"(?:the\s+|this\s+|last\s+|next\s+)?weekend\b", _r_the_weekend),
    ("ago earlier before later after now hence", rf"(?:{_APPROX})?(?:(?P<num>{_NUM})[\s-]+)?(?P<unit>{_UNIT})(?:\s+or\s+so)?\s+(?P<dir>ago|earlier|later|from\s+now|hence|before(?=\s*[.,;]))\b", _r_ago),
    (_UNIT_WORDS, rf"(?:{_APPROX})?{_PREMOD}(?P<num>{_NUM})(?:\s+|-)(?P<unit>{_UNIT})(?P<and_half>\s+and\s+a\s+half)?(?:-long\b)?(?![\w-]*\s+(?:of\s+)?(?:percent|%))(?P<age>-old\b|\s+old\b)?", _r_duration),
    (_PLURAL_UNITS, rf"(?:{_APPROX})?(?:the\s+)?(?:(?:past|last|next|coming|previous|following|first|final|many|long)\s+)?(?P<unit>minutes|hours|days|weeks|months|years|decades|centuries)(?=\s+(?:of|ago|to\s+come|ahead|later|earlier|before|after|on\s+end)\b)", _r_vague_duration),
    (_PLURAL_UNITS, r"(?:(?<=\bfor\s)|(?<=\bin\s)|(?<=\bwithin\s)|(?<=\bafter\s)|(?<=\bover\s))(?:the\s+)?(?:(?:past|last|next|coming|previous|following)\s+)?(?P<unit>minutes|hours|days|weeks|months|years|decades|centuries)\b", _r_vague_duration),
    (_PLURAL_UNITS, r"(?:the\s+)?(?:coming|next|past|last|previous|following)\s+(?P<unit>minutes|hours|days|weeks|months|years|decades)\b", _r_vague_duration),
    ("every each per daily weekly monthly yearly annually quarterly hourly nightly", rf"(?:every|each|per)\s+(?:(?P<other>other|second)\s+)?(?:(?P<num>{_NUM})\s+)?(?P<unit>{_UNIT})\b|(?:on\s+)?an?\s+(?:almost\s+|nearly\s+)?(?:daily|weekly|monthly|yearly|annual|quarterly|hourly|nightly)\s+basis|(?<!-)\b(?:daily|weekly|monthly|yearly|annually|hourly|nightly)\b(?!-)|quarterly(?!-|\s+[a-z])", _r_set),
    ("m am pm", rf"(?:{_APPROX})?(?:(?P<dwday>{_WEEKDAY})\s+(?:at\s+)?|(?P<dword>today|tonight|yesterday|tomorrow)\s+at\s+)?(?<![\d:.])(?P<h>[01]?\d)(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ampm>[ap]\.\s?m\.|[ap]m\b|[ap]\.m\b)(?:\s+(?:[A-Z]{{2,4}}T|[ECMP]T|GMT|UTC)\b)?(?:,?\s+(?:(?P<dmonth>{MONTH_PATTERN})\s+(?P<dday>{_DAY})(?:,?\s+(?P<dyear>{_YEAR}))?))?(?:,?\s+(?:on\s+)?(?P<dwday2>{_WEEKDAY}))?", _r_clock_any),
    (_TIME_ZONES, rf"(?:{_APPROX})?(?:(?P<dwday>{_WEEKDAY})\s+(?:at\s+)?|(?P<dword>today|tonight|yesterday|tomorrow)\s+at\s+)?(?<![\d:.])(?P<h>[0-2]\d):(?P<mi>[0-5]\d)(?P<ampm>)\s*(?:GMT|UTC|[A-Z]{{2,4}}T)\b(?:,?\s+(?:(?P<dmonth>{MONTH_PATTERN})\s+(?P<dday>{_DAY})(?:,?\s+(?P<dyear>{_YEAR}))?))?(?:,?\s+(?:on\s+)?(?P<dwday2>{_WEEKDAY}))?", _r_clock_any),
    ("noon midnight", rf"(?:(?P<dwday>{_WEEKDAY})\s+(?:at\s+)?|(?P<dword>today|tomorrow|yesterday)\s+(?:at\s+)?)?\b(?P<noon>noon|midnight)\b(?:,?\s+(?:(?P<dmonth>{MONTH_PATTERN})\s+(?P<dday>{_DAY})(?:,?\s+(?P<dyear>{_YEAR}))?))?(?:\s+(?P<dwday2>{_WEEKDAY}))?", _r_noon_any),
    ("now currently nowadays days present presently recently lately past future term recent",
     rf"(?<![\w-])(?P<ref>{_REF_WORDS})\b(?!-)", _r_ref),
]

# Every pattern starts at a word start, so a window cut in mid-word cannot produce a match.
RULES = [(re.compile(r"(?<!\w)(?:" + pattern + ")", re.I), rule) for _, pattern, rule in _RULE_TABLE]
_TRIGGERS: dict[str, list[int]] = {}
for _index, (_words, _, _) in enumerate(_RULE_TABLE):
    for _word in _words.split():
        _TRIGGERS.setdefault(_word, []).append(_index)
_WINDOW = 60  # characters a pattern may reach before or after its trigger word


def _trie_pattern(words: list[str]) -> str:
    """One alternation for many words, factored by common prefixes so the regex engine never backtracks far."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


_TRIGGER = re.compile(
    r"\b(?:(?P<year>(?:1[6-9]|20)\d\d)|(?P<decade>(?:1[6-9]|20)?\d0s)|"
    + _trie_pattern([w for w in _TRIGGERS if not w.startswith("#")])
    + r")\b",
    re.I,
)


def _windows(text: str) -> dict[int, list[tuple[int, int]]]:
    """For each rule, the merged stretches of ``text`` around its trigger words."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for token in _TRIGGER.finditer(text):
        if token["year"]:
            rules = _TRIGGERS["#year"]
        elif token["decade"]:
            rules = _TRIGGERS["#decade"]
        else:
            rules = _TRIGGERS[token.group().lower()]
        start, end = max(0, token.start() - _WINDOW), token.end() + _WINDOW
        for index in rules:
            stretch = spans.setdefault(index, [])
            if stretch and start <= stretch[-1][1]:
                stretch[-1] = (stretch[-1][0], end)
            else:
                stretch.append((start, end))
    return spans


def find_timexes(text: str, anchor: dt.date | None = None) -> list[Timex]:
    """Time expressions of ``text``, sorted by start, non-overlapping; the longest match wins."""
    if isinstance(anchor, dt.datetime):
        anchor = anchor.date()
    ctx = _Ctx(text, anchor)
    candidates = []
    for index, stretches in _windows(text).items():
        pattern, rule = RULES[index]
        for left, right in stretches:
            for m in pattern.finditer(text, left, right):
                start, end = m.span()
                # Patterns may take spaces, hyphens or commas at their edges; a timex never ends with them.
                raw = m.group()
                end -= len(raw) - len(raw.rstrip(" \t\n-,"))
                if end > start:
                    candidates.append((start - end, index, start, end, m, rule))
    candidates.sort(key=lambda c: c[:3])
    taken: list[tuple[int, int]] = []
    chosen = []
    for _, _, start, end, m, rule in candidates:
        if any(start < e and s < end for s, e in taken):
            continue
        result = rule(m, ctx)
        if result is None:
            continue
        taken.append((start, end))
        kind, value, anchored, mod = result
        chosen.append(Timex(start, end, text[start:end], kind, value, anchored, mod))
    chosen.sort(key=lambda t: t.start)
    return _attach_times(text, chosen)


# A clock time right after a day-precise date belongs to it: "30 November 2025, 10:15", "Dec 16, 2025 / 01:13 IST",
# "Dec. 3 at 2 p.m." (the clock rule alone would put 2 p.m. on the anchor's day).
_TIME_AFTER = re.compile(
    r"(?:\s*[,/|–-]\s*|\s+)(?P<at>at\s+)?(?P<h>[0-2]?\d)(?:(?P<sep>[:.])(?P<mi>[0-5]\d)(?::[0-5]\d)?)?"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\b\.?))?(?:\s+(?:[A-Z]{2,4}T?|GMT|UTC)\b)?"
)
_DAY_VALUE = re.compile(r"^(?:\d{4}|XXXX)-\d\d-\d\d$")


def _time_after(text: str, date: Timex) -> Timex | None:
    """``date`` extended over the clock time that follows it, as a TIME; None when no time follows."""
    m = _TIME_AFTER.match(text, date.end)
    if not m or not (m["mi"] or m["ampm"]) or (m["sep"] == "." and not (m["ampm"] or m["at"])):
        return None  # "Nov. 3, 4.50 million votes" is a number, "Nov. 3 at 4.50" or "4.50 p.m." a time
    hour = int(m["h"])
    if m["ampm"]:
        if hour > 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].lower().startswith("p") else 0)
    if hour > 23:
        return None
    return Timex(date.start, m.end(), text[date.start:m.end()], "TIME", f"{date.value}T{hour:02d}:{m['mi'] or '00'}",
                 date.anchored, date.mod)


def _attach_times(text: str, found: list[Timex]) -> list[Timex]:
    result: list[Timex] = []
    for timex in found:
        previous = result[-1] if result else None
        if previous and previous.type == "DATE" and _DAY_VALUE.match(previous.value):
            joined = _time_after(text, previous)
            if joined and joined.end > previous.end and (timex.start >= joined.end or timex.type == "TIME"
                                                         and timex.end <= joined.end):
                result[-1] = joined
                if timex.start >= joined.end:
                    result.append(timex)
                continue
        result.append(timex)
    last = result[-1] if result else None
    if last and last.type == "DATE" and _DAY_VALUE.match(last.value):
        result[-1] = _time_after(text, last) or last
    return result


_CACHED_FIELDS = {"start": "int64", "end": "int64", "text": "object", "type": "object", "value": "object",
                  "anchored": "bool", "mod": "object"}


# The columns of ``timex_rows``: the cached fields, text as Arrow strings, the kind and modifier (a few values
# repeated) as categories and the offsets as int32 from the moment a group of rows is read: with every field as
# read, the groups of 100,000 articles (1.15 million rows) held about 0.2 GB before they were put in order.
_ROW_DTYPES = {field: "str" if dtype == "object" else dtype for field, dtype in _CACHED_FIELDS.items()} | {
    "start": "int32", "end": "int32", "type": "category", "mod": "category"}


def find_timexes_many(items: list[tuple[str, dt.date | None]], cache_dir=None) -> list[list[Timex]]:
    """``find_timexes(text, anchor)`` of each (text, anchor) pair.

    Parameters
    ----------
    items : list of (str, date or None)
        The texts and the anchors to resolve them against.
    cache_dir : path, optional
        Folder of the on-disk cache (``newslens.cache``): the expressions of each pair are kept there, keyed by the
        sha256 of the text and the anchor, in a folder named after this module's code; a rerun tags only new pairs.
        None: tag every text.

    Returns
    -------
    list of list of Timex, one list per pair, in order.
    """
    rows = timex_rows([text for text, _ in items], [anchor for _, anchor in items], cache_dir)
    found: list[list[Timex]] = [[] for _ in items]
    for item, *values in zip(rows["item"], *(rows[f] for f in _CACHED_FIELDS)):
        start, end, text, kind, value, anchored, mod = values
        found[item].append(Timex(int(start), int(end), str(text), str(kind), str(value), bool(anchored), str(mod)))
    return found


def timex_rows(texts: Sequence[str], anchors: Sequence[dt.date | None], cache_dir=None) -> pd.DataFrame:
    """``find_timexes(texts[i], anchors[i])`` of every i as one table: column ``item`` (i), then the fields of
    ``Timex``; in order of ``item``, then of the text. Read from the cache of ``find_timexes_many`` where there,
    one shard group at a time; a text is taken from ``texts`` only when it is tagged or hashed (an Arrow column
    stays as it is)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from newslens import timex
    from newslens.cache import KEY, DocumentCache, cached_row_groups, source_version, text_key
    from newslens.memory import dropping, release_free_memory

    cache = DocumentCache(cache_dir, "timexes", source_version(timex), _CACHED_FIELDS) if cache_dir else None
    keys = [text_key(f"{anchor.isoformat() if anchor else ''}\0{text_key(text)}")
            for text, anchor in zip(dropping(texts), anchors)]
    items_of: dict[str, list[int]] = {}
    for item, key in enumerate(keys):
        items_of.setdefault(key, []).append(item)

    def tag(items: list[int]) -> list[list[tuple]]:
        return [[tuple(getattr(t, f) for f in _CACHED_FIELDS) for t in find_timexes(texts[i], anchors[i])]
                for i in dropping(items)]

    # The items of each distinct key, flat (``counts`` of them from ``offsets``): a row's items are found with numpy,
    # as a Python string and list per row of 1.1 million (100,000 articles) took 0.25 GB for a moment.
    distinct = pa.array(list(items_of), pa.string())
    counts = np.fromiter(map(len, items_of.values()), np.int64, len(items_of))
    offsets = np.cumsum(counts) - counts
    flat = np.fromiter((item for items in items_of.values() for item in items), np.int64, int(counts.sum()))
    frames = []
    for _, rows in cached_row_groups(cache, {key: items[0] for key, items in items_of.items()}, tag, _CACHED_FIELDS):
        if not len(rows):
            continue
        # Each row once per item with that text and anchor (usually one), in the order of its items.
        key_index = pc.index_in(pa.chunked_array(rows[KEY].astype(str)), value_set=distinct).to_numpy()
        repeats = counts[key_index]
        within = np.arange(int(repeats.sum())) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        # Text columns as Arrow strings: as Python strings, the rows of every group held were 0.2 GB at 100,000
        # articles, and again in each copy.
        frames.append(rows.iloc[np.repeat(np.arange(len(rows)), repeats)][list(_CACHED_FIELDS)].astype(_ROW_DTYPES)
                      .assign(item=flat[np.repeat(offsets[key_index], repeats) + within]))
        # The heap the group's rows were read into is given back once they are copied into ``frames``, and again as
        # each column is taken out of the groups below (kept, they held the time-expression step of 100,000 articles
        # at 566–604 MB against 423 MB given back; given back only after the last group, a rerun's step peaked 233–240
        # MB above its start, group by group 187–192).
        del rows, key_index, repeats, within
        release_free_memory()
    columns = ["item", *_CACHED_FIELDS]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "item" else _ROW_DTYPES[c]) for c in columns})
    # Put in order of item one column at a time, each column taken out of the groups as it is done: concatenated and
    # sorted whole, the table was in memory three times over (1.15 million rows of 100,000 articles: +320 MB).
    order = np.argsort(np.concatenate([frame["item"].to_numpy() for frame in frames]), kind="stable")
    table = {}
    for column in columns:
        table[column] = _concatenated([frame.pop(column) for frame in frames]).take(order).reset_index(drop=True)
        release_free_memory()
    return pd.DataFrame(table)


def _concatenated(parts: list) -> "pd.Series":
    """The column parts one after the other; categorical parts stay categorical, their categories merged and sorted
    (as ``astype("category")`` of the whole column would make them)."""
    import pandas as pd
    from pandas.api.types import union_categoricals

    if isinstance(parts[0].dtype, pd.CategoricalDtype):
        return pd.Series(union_categoricals(parts, sort_categories=True))
    return pd.concat(parts, ignore_index=True)
