"""When was each article written? Publication-date evidence and inferred date intervals, never the wall clock.

Public surface:
    Stamp, find_stamps(text)              datelines, bylines, "Published/Updated" lines, date-only header lines,
                                          signatures of embedded posts
    article_clues(text, guess), combine(clues), YearGuess, rough_year, corpus_years   the steps, for inspection
    corpus_window(days)                   the fallback window of articles without evidence
    infer_dates(documents) -> DataFrame   doc_id, anchor, earliest, latest, source, confidence, evidence

Evidence, strongest first (each clue is an interval of days; the article's interval is their intersection, a clue
contradicting stronger ones is dropped):
  * a **stamp** (confidence 0.9): "MOSCOW, Nov. 24 (Reuters) —", "Dec 29 (Reuters) -", "Published: 30 November
    2025", "By Ann Lee | Dec 3, 2025", a line of the page top that is only a date ("Thursday, 27 November, 2025"):
    the publication day, a day either side for time zones and republished wire copy ("Updated" and a date-only
    line further down only bound it from above). The signature of an embedded post ("— Ann Lee (@annlee) July 5,
    2016") bounds it from below (0.6), and so does a post embedded in the page's markup ("<tweet id=...>",
    "<blockquote class="twitter-tweet">", a "twitter.com/name/status/ID" link): its day from the post's id (Twitter
    ids from November 2010 on carry their creation time), a Unix "timestamp" or a "datetime" / "tweet-date"
    attribute, a day before it for time zones. Stamps are evidence for the article's date and never events.
  * an **explicit date** (0.6): reported in the past ("talks began on 23 November 2025") the article was written on
    or after it; announced ("will vote on Nov. 8", "the primary is June 14", "ahead of the May 3 primary") on or
    before it. A date used as a modifier ("the 2016 election") or after "by", "until", "before" bounds nothing,
    except a year at least two before the corpus's year in a past-tense report ("the 2008 collapse was ..."):
    history, so on or after its first day (0.3). Abbreviations ("Mr.", "Sen.", "U.S.") do not end the sentence
    whose tense is read.
  * a **day written with its weekday** (0.45), the weekday agreeing with the date ("said on Tuesday, Sept. 27",
    "will vote on Friday, Dec. 5"): news names the weekday of the days around the writing, so reported as past the
    article was written within six days after that day, announced within six days before it. A habit of writing,
    not the date's meaning, hence below the date's own bound (on PolNeAR train 6 of 7 were within six days; a death
    notice named the weekday of a death a week before). A weekday named elsewhere in the article is not used.
  * a **month or year** reported as past (0.3): on or after its first day ("since March 2019"); announced: on or
    before its last day. A bare year only when that is plausible for the corpus's year (below). A month without a
    year ("in June", 0.15) is placed in the corpus's year and taken a year out on the safe side: on or after its
    first day in the year before, on or before its last day in the year after.
  * **the rest of the corpus** (0.4): an article still without a closed interval whose sentence naming a weekday
    reports the same event (``same_event``: at least 4 shared content words, Jaccard >= 0.3) as another article's
    sentence with a day-precise date on that weekday gets the six days after that day (before it, for a weekday
    still to come), and its evidence names the other article.
  * an article with no clue at all gets the corpus's window (``corpus_window``: source "corpus window", 0.1, no
    anchor): a labelled guess that it belongs to the stretch of time the other articles are dated in, not evidence.
A day and month without a year ("Nov. 19") takes the year from a weekday beside it ("Sunday, 23 November"), else
from the corpus (``YearGuess``); a guessed year may be off by one, so its bound is taken a year out on the safe side
(on or after that day of the year before) while the anchor keeps the guess. A weekday named elsewhere in the same
article is not taken as the weekday of a date it reports: on PolNeAR train that was wrong 8 times in 9. Page
furniture gives no evidence. The anchor (the day relative dates are counted from) is the latest reported or
stamped day inside the interval, else the earliest announced one; none when only months or years bound it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from newslens.cleaning import datelines, furniture_spans
from newslens.corpus import DocumentTexts
from newslens.text import ABBREVIATIONS, word_forms
from newslens.timex import BE_BEFORE, PAST_MARK, WEEKDAYS, Timex, find_timexes, find_timexes_many

ARTICLE_COLUMNS = ["doc_id", "anchor", "earliest", "latest", "source", "confidence", "evidence"]
STAMP_CONFIDENCE, DATE_CONFIDENCE, CORPUS_CONFIDENCE, PERIOD_CONFIDENCE = 0.9, 0.6, 0.4, 0.3
# Below a date's own bound: that a weekday is named only near the writing is a habit of news writing, not
# what the date means (on PolNeAR train 6 of 7 such dates lay within six days of the writing).
NEAR_DAY_CONFIDENCE = 0.45
WEEK = dt.timedelta(days=6)  # a weekday named in news is at most six days away from the writing
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Stamp:
    start: int
    end: int
    kind: str  # dateline | published | updated | byline | header | later line | embedded post
    value: str  # TimeML day value of the stamp: "2025-11-24", or "XXXX-11-24" without a year
    text: str  # the stamp as written; for post markup, what it says ("id 7566… of a post: 2016-07-23")


# --- stamps and furniture -------------------------------------------------------------------------------------------

_DAY_VALUE = re.compile(r"^(\d{4}|XXXX)-(\d\d)-(\d\d)")
_LINE = re.compile(r"[^\n]+")
# "— Paul Ryan (@SpeakerRyan) July 5, 2016": the signature of an embedded social-media post, posted before the article.
_EMBEDDED = re.compile(r"\(@\w{1,15}\)\s*$")
# Embedded posts in the markup of a page ("<tweet id=... datetime=...>", "<blockquote class="twitter-tweet">") and
# links to a post ("twitter.com/name/status/ID"): the post existed before the article was written.
_POST_TAG = re.compile(r"<(?:tweet\b|blockquote\b[^>]*twitter)[^>]*>", re.I)
_POST_URL = re.compile(r"\b(?:twitter|x)\.com/\w{1,15}/status(?:es)?/(?P<id>\d{15,20})\b", re.I)
_POST_ID = re.compile(r"\b(?:tweet[-_])?id\s*=\s*[\"']?(?P<id>\d{15,20})\b", re.I)
_POST_EPOCH = re.compile(r"\btimestamp\s*=\s*[\"']?(?P<seconds>\d{9,10})\b", re.I)
_POST_DATE = re.compile(r"\b(?:datetime|tweet-date|date)\s*=\s*[\"'](?P<date>[^\"'<>]{6,40})[\"']", re.I)
SNOWFLAKE_EPOCH_MS = 1288834974657  # Twitter's ids since 4 November 2010 carry their creation time in ms from this
SNOWFLAKE_MIN = 10 ** 15  # older, sequential ids stayed below 3 * 10**10; larger ones are all time-stamped
_STAMP_WORDS = re.compile(
    r"^\W{0,3}(?P<word>(?:first\s+)?published|posted|(?:last\s+)?updated|last\s+modified|date|by\s+[A-Z][\w.'’-]+"
    r"(?:\s+[A-Z][\w.'’-]+){0,3})\b\s*(?:on|at)?\s*[:|,–—-]?\s*",
    re.I,
)
_WORDS = re.compile(r"[A-Za-z]+")


def _only_date(line: str, timexes: list[Timex], start: int) -> bool:
    """Whether a line holds nothing but date/time expressions, weekday names and separators."""
    rest = line
    for t in sorted(timexes, key=lambda t: -t.start):
        rest = rest[: t.start - start] + " " + rest[t.end - start:]
    leftover = [w for w in _WORDS.findall(rest) if w.lower() not in WEEKDAYS and len(w) > 1
                and w.upper() not in ("IST", "GMT", "UTC", "ET", "EST", "EDT", "CET", "MSK", "PST", "BST", "AM", "PM")]
    return not leftover


def find_stamps(text: str, timexes: list[Timex] | None = None) -> list[Stamp]:
    """Publication-date stamps of ``text``: datelines of the first lines, "Published/Updated/Posted … DATE" and
    "By NAME … DATE" lines, and short lines that are only a date (page headers, timestamps)."""
    timexes = find_timexes(text) if timexes is None else timexes
    stamps: list[Stamp] = []
    dated_lines = {m.start(): m for m in datelines(text) if m["date"]}
    for number, line in enumerate(_LINE.finditer(text)):
        start, end = line.span()
        body = line.group()
        inside = [t for t in timexes if start <= t.start and t.end <= end and _DAY_VALUE.match(t.value)]
        dateline = dated_lines.get(start)
        timex = dateline and next((t for t in inside if t.start <= dateline.end("date") <= t.end + 1), None)
        if timex:  # the stamp runs to the dateline's end: "(Reuters) -" is not the report
            stamps.append(Stamp(start, max(dateline.end(), timex.end), "dateline", timex.value[:10],
                                text[start:timex.end]))
            continue
        words = _STAMP_WORDS.match(body)
        if inside and words and len(body) < 160 and inside[0].start - start <= words.end() + 40:
            stamps += _stamp_line(text, start, words["word"], inside)
        elif inside and len(body) < 80 and _only_date(body, [t for t in timexes if start <= t.start and t.end <= end],
                                                      start):
            # At the top a date alone is the page's header or timestamp; further down it is a print or update
            # line ("A version of this article appears in print on ..."), on or after publication.
            stamps.append(Stamp(start, end, "header" if number < 5 else "later line", inside[0].value[:10], body))
    for t in timexes:
        handle = _EMBEDDED.search(text, max(0, t.start - 20), t.start)
        if handle and _DAY_VALUE.match(t.value):
            stamps.append(Stamp(handle.start(), t.end, "embedded post", t.value[:10], text[handle.start():t.end]))
    stamps += _post_markup(text)
    return sorted(stamps, key=lambda s: s.start)


_UPDATED = re.compile(r"\b(?:updated|modified)\b", re.I)


def _stamp_line(text: str, start: int, word: str, dates: list[Timex]) -> list[Stamp]:
    """The stamps of a "Published/Updated/Posted/By … DATE" line (``word`` is what opens it): every date of the
    line, not only the first ("Published 4:37 PM EST, Nov. 27, 2026 | Updated 6:02 PM EST, Nov. 27, 2026"); a
    date after "updated" or "modified" is an update, the others take the kind of the line's opening word."""
    word = word.lower()
    kind = "updated" if _UPDATED.search(word) else "byline" if word.startswith("by") else "published"
    stamps, begin = [], start
    for date in dates:
        while begin < date.start and text[begin] in " \t|·•/,;–—-":  # the separator before the next stamp
            begin += 1
        date_kind = "updated" if _UPDATED.search(text, begin, date.start) else kind
        stamps.append(Stamp(begin, date.end, date_kind, date.value[:10], text[begin:date.end]))
        begin = date.end
    return stamps


def _post_markup(text: str) -> list[Stamp]:
    """Embedded posts in page markup: the day (UTC) a post was made, from its id (Twitter's ids from November 2010
    on carry their creation time), a "timestamp" (Unix seconds) or a "datetime" / "tweet-date" attribute."""
    stamps = []
    for m in list(_POST_TAG.finditer(text)) + list(_POST_URL.finditer(text)):
        tag = m.group()
        post_id = m["id"] if m.re is _POST_URL else (_POST_ID.search(tag) or {"id": None})["id"]
        epoch = _POST_EPOCH.search(tag)
        attribute = _POST_DATE.search(tag)
        day = value = None
        if post_id and int(post_id) >= SNOWFLAKE_MIN:
            seconds = ((int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000
            day, how = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).date(), f"id {post_id}"
        elif epoch:
            day, how = dt.datetime.fromtimestamp(int(epoch["seconds"]), dt.timezone.utc).date(), "timestamp"
        elif attribute:
            found = [t.value[:10] for t in find_timexes(attribute["date"]) if re.match(r"^\d{4}-\d\d-\d\d", t.value)]
            value, how = (found[0], "date attribute") if found else (None, "")
        if day:
            value = day.isoformat()
        if value:
            stamps.append(Stamp(m.start(), m.end(), "embedded post", value, f"{how} of a post: {value}"))
    return stamps


# --- clues ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clue:
    earliest: dt.date | None
    latest: dt.date | None
    confidence: float
    evidence: str
    pinned: bool = True  # False when a year was guessed from the corpus
    anchor: dt.date | None = None  # the day this clue points at, for counting relative dates (None: a year/month)


_WEEKDAY_VALUE = re.compile(r"^XXXX-WXX-(\d)$")


# "ahead of the April 19 primary" in a sentence with no past tense: still to come when written.
_AHEAD_OF = re.compile(r"\bahead\s+of\s+(?:(?:the|this|next)\s+|[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*['’]s\s+|the\s+\w+['’]s\s+)?$",
                       re.I)
# Tense of a report, for dating (stricter than the tagger's resolution rule): a date reported in the past needs a
# past-tense verb near it in its sentence (``timex.PAST_MARK``), not a participle of the present passive ("votes are
# tallied March 15": ``timex.BE_BEFORE``).
_FUTURE_MARK = re.compile(
    r"\b(?:will|shall|won['’]t|is\s+(?:due|scheduled|set|slated|expected)\s+to|are\s+(?:due|scheduled|set|slated"
    r"|expected)\s+to|is\s+scheduled\s+for|are\s+scheduled\s+for)\b|['’]ll\b",
    re.I,
)
# A scheduled day in the present tense: "the primary is June 14", "Texas votes on March 1", "states hold primaries on
# March 1": still to come when written.
_SCHEDULE_BEFORE = re.compile(
    r"\b(?:is|are|votes?|vote|holds?|begins?|starts?|opens?|closes?|ends?|expires?|takes?\s+place)"
    r"(?:\s+[a-z]+){0,2}\s+(?:on\s+|in\s+)?$", re.I)
_EDGE = re.compile(r"[.!?]\s|\n")
_WORD_BEFORE_DOT = re.compile(r"[\w.]+$")


def _edges(text: str, start: int, end: int) -> list[int]:
    """Sentence edges in ``text[start:end]`` (the start of each ". ", "! ", "? " or line break), not after an
    abbreviation ("Mr. Obama", "Sen. Cruz", "U.S. troops", "Nov. 8")."""
    found = []
    for m in _EDGE.finditer(text, start, end):
        word = _WORD_BEFORE_DOT.search(text, max(0, m.start() - 12), m.start()) if text[m.start()] == "." else None
        if not (word and word.group().lower() in ABBREVIATIONS):
            found.append(m.start())
    return found
_ATTRIBUTIVE_BEFORE = re.compile(r"(?:\b(?:the|a|an|this|that|its|their|his|her|our)|['’]s)\s*$", re.I)
_NOT_A_NOUN = frozenset(
    "was were is are has had have will would could should can may might did does do and or but to in at on by for "
    "of from when after before as that which who while with than since until so".split()
)
_OPEN_BEFORE = re.compile(r"\b(?:by|until|till|before|ahead\s+of|through|due|deadline|for|scheduled|slated|set)\s+"
                          r"(?:the\s+)?$", re.I)
NEAR = 100  # characters within which a tense marker governs a date


def _tense(text: str, timex: Timex, modifier: bool = False) -> int:
    """-1 reported as past, +1 announced as still to come, 0 no clear sign (then the date is no clue).

    Past: the nearest tense marker in the sentence, within NEAR characters, is a past-tense verb (not a participle
    after "is/are/be"). Future: an outright future ("will", "is due to", "is scheduled for") or a scheduled day in the
    present ("the primary is June 14"). A date used as a modifier ("the 2016 election", "the March 15 primary") or
    after "by", "until", "before", "ahead of" ... says nothing about when the article was written; ``modifier=True``
    reads such a modifier by the tense around it all the same (for ``_old_year``)."""
    before = text[max(0, timex.start - 40):timex.start]
    head = timex.text.lower()
    if head.startswith(("last ", "past ", "previous ")):
        return -1
    if head.startswith(("next ", "coming ", "this coming ")):
        return 1
    before_edges = _edges(text, max(0, timex.start - NEAR), timex.start)
    left = before_edges[-1] + 1 if before_edges else max(0, timex.start - NEAR)
    after_edges = _edges(text, timex.end, timex.end + NEAR)
    right = after_edges[0] if after_edges else min(len(text), timex.end + NEAR)
    if _AHEAD_OF.search(before):
        return 0 if _past_before(text, left, right) else 1
    if not modifier and _is_modifier(text, timex):
        return 0
    if _SCHEDULE_BEFORE.search(text[left:timex.start]):
        return 1
    if re.search(r"\b(?:since|ever\s+since)\s+$", before, re.I):
        return -1  # "since March 2015": it began before the writing
    best, sign = None, 0
    for pattern, value in ((_FUTURE_MARK, 1), (PAST_MARK, -1)):  # the nearest marker wins; the future on a tie
        for m in pattern.finditer(text, left, right):
            if value < 0 and BE_BEFORE.search(text[max(left, m.start() - 20):m.start()]):
                continue
            distance = timex.start - m.end() if m.end() <= timex.start else m.start() - timex.end
            if best is None or distance < best:
                best, sign = distance, value
    if sign < 0 and _OPEN_BEFORE.search(before):
        return 0
    return sign


def _is_modifier(text: str, timex: Timex) -> bool:
    """Whether ``timex`` modifies the noun after it: "the 2016 election", "the March 15 primary", "Iowa's 2008 caucus"."""
    before = text[max(0, timex.start - 40):timex.start]
    after = re.match(r"[\s-]+([A-Za-z]+)", text[timex.end:timex.end + 30])
    return bool((timex.text.lower().startswith("the ") or _ATTRIBUTIVE_BEFORE.search(before)) and after
                and after.group(1).islower() and after.group(1) not in _NOT_A_NOUN)


OLD_YEAR = 2  # a year at least this much before the corpus's year is history to its articles


def _old_year(text: str, timex: Timex, rough: int | None) -> bool:
    """A bare year used as a modifier in a past-tense report ("the 2008 housing collapse was ...") and at least
    ``OLD_YEAR`` years before the corpus's year: an event of the past, so the article was written on or after its
    first day. (A modifier of the corpus's own year or the next is often still to come: "the 2016 race was
    heating up" in a 2015 article.)"""
    return (rough is not None and bool(re.fullmatch(r"\d{4}", timex.value)) and int(timex.value) <= rough - OLD_YEAR
            and _is_modifier(text, timex) and _tense(text, timex, modifier=True) < 0)


def _past_before(text: str, left: int, right: int) -> bool:
    """Whether [left, right) holds a past-tense verb (not a participle after "is/are/be")."""
    return any(not BE_BEFORE.search(text[max(left, m.start() - 20):m.start()])
               for m in PAST_MARK.finditer(text, left, right))


def _inside(spans: list[tuple[int, int]], timex: Timex) -> bool:
    return any(s <= timex.start and timex.end <= e for s, e in spans)


class YearGuess:
    """The year of a day and month without one, from the rest of the corpus: the year in which the corpus has most
    days pinned down (``days``: metadata, stamps and dates with a year, dates whose weekday fixes the year) within
    45 days of that day; on a tie, or with none near, the year nearest ``rough`` (see ``rough_year``)."""

    def __init__(self, days: list[dt.date], rough: int | None) -> None:
        self.days, self.rough = sorted(days), rough

    def __call__(self, month: int, day: int) -> tuple[int, str] | None:
        if self.rough is None and not self.days:
            return None
        best = None
        # A day and month without a year is within a year of the writing: the corpus's year and its neighbours, or
        # a later year in which the corpus pins days down (older pinned days are history, not the corpus's time).
        if self.rough:
            years = {self.rough - 1, self.rough, self.rough + 1} | {d.year for d in self.days if d.year > self.rough}
        else:
            years = {d.year for d in self.days}
        for year in sorted(years):
            if not _valid(year, month, day):
                continue
            when = dt.date(year, month, day)
            near = sum(1 for d in self.days if abs((d - when).days) <= 45)
            key = (near, -abs(year - (self.rough or year)), year)
            if best is None or key > best[0]:
                best = (key, year, near)
        if best is None:
            return None
        _, year, near = best
        if near:
            return year, f"year {year}: {near} days the corpus pins down fall within 45 days of it"
        return year, f"year {year}: the corpus's year (the latest it names with a month or day)"


def rough_year(texts: list[str], tagged: list[list[Timex]] | None = None) -> int | None:
    """The latest year that at least 3% of the articles (and at least two) name with its month or day ("September
    2016", "Sept. 9, 2016"); failing that, the latest year any article names so. News names months and days of the
    recent past and near future; older history comes as bare years."""
    counts: dict[int, int] = {}
    for i, text in enumerate(texts):
        years = {int(t.value[:4]) for t in (tagged[i] if tagged else find_timexes(text))
                 if t.type in ("DATE", "TIME") and not t.anchored and re.match(r"^\d{4}-\d\d", t.value)}
        for year in years:
            counts[year] = counts.get(year, 0) + 1
    common = [y for y, n in counts.items() if n >= max(2, 0.03 * len(texts))]
    return max(common or counts or [None])


def _weekday_year(month: int, day: int, weekday: int, near: int) -> int | None:
    years = [y for y in range(near - 6, near + 7) if _valid(y, month, day) and dt.date(y, month, day).weekday() == weekday]
    return min(years, key=lambda y: (abs(y - near), -y)) if years else None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


_WEEKDAY_NAME = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.I)


def _resolve_day(timex_text: str, value: str, guess: YearGuess | None) -> tuple[dt.date, str, bool] | None:
    """A day value ("2025-11-24" or "XXXX-11-24") as a date, with how its year was found ("" when given) and
    whether the year is only a guess (not given, not fixed by a weekday in ``timex_text``)."""
    m = _DAY_VALUE.match(value)
    if not m:
        return None
    month, day = int(m.group(2)), int(m.group(3))
    if m.group(1) != "XXXX":
        return (dt.date(int(m.group(1)), month, day), "", False) if _valid(int(m.group(1)), month, day) else None
    found = guess(month, day) if guess else None
    if found is None:
        return None
    year, how = found
    weekday = _WEEKDAY_NAME.search(timex_text)
    if weekday:
        pinned = _weekday_year(month, day, WEEKDAYS[weekday.group(1).lower()], year)
        if pinned:
            return dt.date(pinned, month, day), f"a {weekday.group(1).capitalize()} in {pinned}", False
    if not _valid(year, month, day):
        return None
    return dt.date(year, month, day), how, True


def _stamp_clues(stamps: list[Stamp], guess: YearGuess | None) -> list[Clue]:
    clues = []
    for stamp in stamps:
        resolved = _resolve_day(stamp.text, stamp.value, guess)
        if resolved:
            day, how, guessed = resolved
            evidence = f"{stamp.kind} {stamp.text.strip()!r}" + (f" ({how})" if how else "")
            # A day either side: the stamp's time zone is not the reader's, and wire copy is republished a day
            # later (on PolNeAR, a third of the wrong datelines were one day off).
            if stamp.kind == "embedded post":  # quoted by the article: posted on or before its writing
                clues.append(Clue(day - ONE_DAY, None, DATE_CONFIDENCE, evidence, not guessed, day))
                continue
            low = None if stamp.kind in ("updated", "later line") else day - ONE_DAY
            clues.append(Clue(low, day + ONE_DAY, STAMP_CONFIDENCE * (0.8 if guessed else 1), evidence, not guessed,
                              day))
    return clues


def _implausible(year: int, direction: int, rough: int | None) -> bool:
    """A year reported as past after the corpus's year, or announced as coming more than a year before it: the
    tense was misread ("the 2020 race was ...", "in 2008 he will ...")."""
    return rough is not None and ((direction < 0 and year > rough) or (direction > 0 and year < rough - 1))




def _implausible_period(value: str, period: tuple[dt.date, dt.date], direction: int, rough: int | None) -> bool:
    """A bare year bounds the writing only when it is not the corpus's year or later (past: "the 2016 race" in a
    2015 article is misread as past) and not before it (future: "announces 2015" in a 2016 article)."""
    if _implausible(period[0].year, direction, rough):
        return True
    if rough is not None and len(value) == 4:
        return (direction < 0 and period[0].year >= rough) or (direction > 0 and period[0].year < rough)
    return False


def _period(value: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a year or month value ("2014", "2022-02")."""
    if re.match(r"^\d{4}$", value):
        return dt.date(int(value), 1, 1), dt.date(int(value), 12, 31)
    m = re.match(r"^(\d{4})-(\d\d)$", value)
    if m and 1 <= int(m.group(2)) <= 12:
        first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        return first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return None


def _period_clue(period: tuple[dt.date, dt.date], direction: int, timex: Timex) -> Clue:
    """A year or month the article reports as past ("in 2014", "in February 2022"): written on or after its first
    day; one it announces ("will ... in 2027"): on or before its last day."""
    if direction < 0:
        return Clue(period[0], None, PERIOD_CONFIDENCE, f"reports {timex.text!r} as past", False)
    return Clue(None, period[1], PERIOD_CONFIDENCE, f"announces {timex.text!r} as future", False)


_MONTH_ONLY = re.compile(r"^XXXX-(\d\d)$")


def _month_clue(month: int, direction: int, timex: Timex, guess: YearGuess) -> Clue | None:
    """A month without a year ("in June") reported as past or announced, placed in the corpus's year
    (``guess.rough``) and bound a year out on the safe side like a day without a year: reported as past, written on
    or after its first day in the year before; announced, on or before its last day in the year after. (The year
    in which the corpus pins most days near that month was wrong for months far from the corpus's days.)"""
    if not 1 <= month <= 12 or guess.rough is None:
        return None
    year = guess.rough + (-1 if direction < 0 else 1)
    first, last = _period(f"{year:04d}-{month:02d}")
    said = f"{timex.text!r} (the corpus's year {guess.rough}, taken a year out)"
    if direction < 0:
        return Clue(first, None, PERIOD_CONFIDENCE * 0.5, f"reports {said} as past: from {first}", False)
    return Clue(None, last, PERIOD_CONFIDENCE * 0.5, f"announces {said} as future: up to {last}", False)


def _day_clue(text: str, timex: Timex, direction: int, guess: YearGuess | None) -> Clue | None:
    """The clue of a day-precise date reported as past (a lower bound) or announced (an upper bound)."""
    resolved = _resolve_day(timex.text, timex.value, guess)
    if not resolved:
        return None
    day, how, guessed = resolved
    if guessed:
        # A day and month without a year lies within the year before the writing (past) or after it (to come).
        # The corpus's year may be off by one, so the bound is taken a year out on the safe side: on or after
        # that day of the year before, on or before that day of the year after.
        year = day.year - 1 if direction < 0 else day.year + 1
        if not _valid(year, day.month, day.day):
            return None
        best, day = day, dt.date(year, day.month, day.day)
        said = f"{timex.text!r} = {best.isoformat()} ({how}), bound a year out on the safe side: {day.isoformat()}"
    else:
        if not how and _implausible(day.year, direction, guess.rough if guess else None):
            return None
        best = day
        said = f"{timex.text!r} = {day.isoformat()}" + (f" ({how})" if how else "")
    confidence = DATE_CONFIDENCE * (0.5 if guessed else 1)
    if direction < 0:
        return Clue(day, None, confidence, f"reports {said} as past", not guessed, best)
    return Clue(None, day, confidence, f"announces {said} as future", not guessed, best)


def _weekday_date_clue(timex: Timex, clue: Clue, direction: int) -> Clue | None:
    """A day written with its weekday ("on Tuesday, Sept. 27", "Friday, April 1, 2016"), the weekday agreeing with
    the date: news names a weekday for the days around the writing, so reported as past the article was written
    within six days after that day, announced within six days before it. ``clue`` is the date's own clue
    (``_day_clue``); a year only guessed from the corpus gives none."""
    weekday = _WEEKDAY_NAME.search(timex.text)
    day = clue.anchor
    if not (weekday and clue.pinned and day and day.weekday() == WEEKDAYS[weekday.group(1).lower()]):
        return None
    if direction < 0:
        return Clue(day, day + WEEK, NEAR_DAY_CONFIDENCE, f"names the weekday with the date {timex.text!r} "
                    f"= {day.isoformat()}, reported as past: within six days after it", True, day)
    return Clue(day - WEEK, day, NEAR_DAY_CONFIDENCE, f"names the weekday with the date {timex.text!r} "
                f"= {day.isoformat()}, announced: within six days before it", True, day)


def article_clues(text: str, guess: YearGuess | None, timexes: list[Timex] | None = None) -> list[Clue]:
    """Every clue to the publication date of one article (see the module docstring); ``timexes``: its
    ``find_timexes`` without an anchor, when at hand."""
    timexes = find_timexes(text) if timexes is None else timexes
    stamps = find_stamps(text, timexes)
    skip = [(s.start, s.end) for s in stamps] + furniture_spans(text)
    clues = _stamp_clues(stamps, guess)
    rough = guess.rough if guess else None
    for timex in timexes:
        if timex.type not in ("DATE", "TIME") or _inside(skip, timex):
            continue
        direction = _tense(text, timex) or (-1 if _old_year(text, timex, rough) else 0)
        if not direction:
            continue
        if re.search(r"\d", timex.text) and _DAY_VALUE.match(timex.value):
            clue = _day_clue(text, timex, direction, guess)
        elif not timex.anchored and (period := _period(timex.value)) and not _implausible_period(
                timex.value, period, direction, rough):
            clue = _period_clue(period, direction, timex)
        elif guess and (month := _MONTH_ONLY.match(timex.value)):
            clue = _month_clue(int(month.group(1)), direction, timex, guess)
        else:
            clue = None
        if clue:
            clues.append(clue)
            near = _weekday_date_clue(timex, clue, direction)  # None unless a day written with its weekday
            clues += [near] if near else []
    return clues


def combine(clues: list[Clue]) -> Clue | None:
    """The intersection of the clues; a clue contradicting stronger ones (or, at equal strength, the past) is
    dropped, and the evidence lists what was used."""
    kept: list[Clue] = []
    low: dt.date | None = None
    high: dt.date | None = None
    for clue in sorted(clues, key=lambda c: (-c.confidence, c.latest is not None and c.earliest is None)):
        new_low = max(filter(None, (low, clue.earliest)), default=None)
        new_high = min(filter(None, (high, clue.latest)), default=None)
        if new_low and new_high and new_low > new_high:
            continue
        if (new_low, new_high) != (low, high) or not kept:
            kept.append(clue)
        low, high = new_low, new_high
    if not kept:
        return None
    evidence = "; ".join(c.evidence for c in kept)
    # The anchor is the latest day a kept clue points at, inside the interval: relative dates ("on Friday") are
    # counted from the latest reported day, the nearest the writing that the text shows.
    # Failing a reported day, the earliest announced one.
    inside = [c for c in kept if c.anchor and (not low or c.anchor >= low) and (not high or c.anchor <= high)]
    past = [c.anchor for c in inside if c.earliest]
    anchor = max(past) if past else min((c.anchor for c in inside), default=None)
    return Clue(low, high, max(c.confidence for c in kept), evidence, anchor=anchor)


def corpus_years(texts: list[str], known: list[dt.date] = (), tagged: list[list[Timex]] | None = None) -> YearGuess:
    """The ``YearGuess`` of a corpus: the days its articles pin down without help (``known`` metadata dates,
    stamps and dates with their year, dates whose weekday fixes the year near ``rough_year``)."""
    tagged = tagged or [find_timexes(text) for text in texts]
    rough = rough_year(texts, tagged)
    first = YearGuess([], rough)
    days = list(known)
    for text, timexes in zip(texts, tagged):
        for clue in article_clues(text, first, timexes):
            # Days the articles report as past (and stamps) lie just before their writing; announced days can lie
            # months ahead (an election date) and would pull the year of every day and month towards them.
            if clue.pinned and clue.earliest:
                days.append(clue.earliest)
    return YearGuess(days, rough)


# --- content words and the rest of the corpus -------------------------------------------------------------------------

_TIME_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec today yesterday tomorrow "
    "week weekend month year morning afternoon evening night said says told".split()
)


def content_words(text: str) -> frozenset[str]:
    """Word forms of ``text`` without stopwords, date words and "said": what two reports of one event share."""
    from newslens.frequency import load_stopwords  # lazily: the frequency module imports NLTK and scipy

    stop = load_stopwords()
    return frozenset(w for w in word_forms(text) if w not in stop and w not in _TIME_WORDS and len(w) > 2)


SAME_EVENT = 0.3  # content-word Jaccard from which two sentences report the same event
MIN_SHARED = 4  # ... and at least this many shared content words
COMMON = 1000  # a word in more dated sentences than this does not select candidates


def same_event(a: frozenset[str], b: frozenset[str]) -> bool:
    shared = len(a & b)
    return shared >= MIN_SHARED and shared / len(a | b) >= SAME_EVENT


def _sentence_around(text: str, timex: Timex) -> tuple[int, int]:
    """The sentence holding ``timex``, cut at ". ", "! ", "? " and line breaks: cheap, and close enough for comparing
    words (abbreviations such as "Sen." cut it short, which only loses words; not cutting there, as ``_edges`` does
    for the tense, was measured on PolNeAR train: one more wrong match and two right ones lost)."""
    starts = [m.end() for m in _EDGE.finditer(text, max(0, timex.start - 400), timex.start)]
    edge = _EDGE.search(text, timex.end, timex.end + 400)
    return (starts[-1] if starts else max(0, timex.start - 400)), (edge.start() + 1 if edge else len(text))


def _weekday_sentences(text: str, timexes: list[Timex]) -> list[tuple[int, int, str, frozenset[str]]]:
    """(weekday, tense, sentence, content words) for each sentence naming a weekday in the past or future tense
    (its first such weekday)."""
    found, seen = [], set()
    for t in timexes:
        if _WEEKDAY_VALUE.match(t.value) and (tense := _tense(text, t)):
            span = _sentence_around(text, t)
            if span not in seen:
                seen.add(span)
                sentence = text[span[0]:span[1]]
                found.append((int(_WEEKDAY_VALUE.match(t.value).group(1)) - 1, tense, sentence, content_words(sentence)))
    return found


def _dated_sentences(text: str, known: dt.date | None, rough: int | None,
                     timexes: list[Timex]) -> list[tuple[list[dt.date], str, frozenset[str]]]:
    """(candidate days, sentence, content words) for each sentence with a day-precise date (its first): the date
    itself when it has its year (or ``known``, the article's publication day, resolves it), else that day and month
    in the corpus's year or the year before (``rough_year`` is the latest year the corpus commonly names; on PolNeAR
    train the year after it only ever matched a weekday by chance: one article dated in 2017, outside it)."""
    found, seen = [], set()
    for t in (find_timexes(text, known) if known else timexes):
        m = _DAY_VALUE.match(t.value)
        if not (m and re.search(r"\d", t.text)):
            continue
        span = _sentence_around(text, t)
        if span in seen:
            continue
        seen.add(span)
        month, day = int(m.group(2)), int(m.group(3))
        years = [int(m.group(1))] if m.group(1) != "XXXX" else [rough - 1, rough] if rough else []
        days = [dt.date(y, month, day) for y in years if _valid(y, month, day)]
        if days:
            sentence = text[span[0]:span[1]]
            found.append((days, sentence, content_words(sentence)))
    return found


def borrow_from_corpus(texts: dict[str, str], known: dict[str, dt.date], targets: list[str],
                       rough: int | None, tagged: dict[str, list[Timex]] | None = None) -> dict[str, Clue]:
    """Clues for the ``targets`` (articles without a closed interval) from the rest of the corpus: a sentence
    naming a weekday in the past (to come) that reports the same event (``same_event``) as a sentence of another
    article with a day-precise date, that day falling on that weekday, means the article was written within six
    days after (before) that day. ``known``: publication days from metadata, which resolve the other articles'
    relative dates."""
    def tags(doc_id: str) -> list[Timex]:
        return tagged[doc_id] if tagged and doc_id in tagged else find_timexes(texts[doc_id])

    wanted = {doc_id: _weekday_sentences(texts[doc_id], tags(doc_id)) for doc_id in targets}
    vocabulary = {w for found in wanted.values() for *_, words in found for w in words}
    if not vocabulary:
        return {}
    # An inverted index of the dated sentences, by the words the targets use; a candidate must share two of a
    # target sentence's rarer words (a word in more than COMMON dated sentences does not select), so a corpus of
    # thousands of articles is not compared sentence by sentence.
    index: dict[str, list[tuple[list[dt.date], str, frozenset[str], str]]] = {}
    for doc_id in sorted(texts):
        for days, sentence, words in _dated_sentences(texts[doc_id], known.get(doc_id), rough, tags(doc_id)):
            entry = (days, sentence, words, doc_id)
            for word in words & vocabulary:
                index.setdefault(word, []).append(entry)
    clues = {}
    for doc_id in targets:
        best = None
        for weekday, tense, sentence, words in wanted[doc_id]:
            hits: dict[int, list] = {}
            for word in sorted(words):
                postings = index.get(word, [])
                if len(postings) <= COMMON:
                    for entry in postings:
                        hits.setdefault(id(entry), [entry, 0])[1] += 1
            for entry, count in hits.values():
                if count < 2:
                    continue
                days, other, other_words, other_id = entry
                match = [d for d in days if d.weekday() == weekday]
                if other_id != doc_id and len(match) == 1 and same_event(words, other_words):
                    score = len(words & other_words) / len(words | other_words)
                    if best is None or score > best[0]:
                        best = (score, match[0], tense, other_id, other)
        if best:
            _, day, tense, other_id, other = best
            low, high = (day, day + WEEK) if tense < 0 else (day - WEEK, day)
            clues[doc_id] = Clue(low, high, CORPUS_CONFIDENCE, anchor=high if tense < 0 else low, evidence=(
                f"reports the same event as {other_id} ({' '.join(other.split()[:12])!r}…), dated "
                f"{day.isoformat()}, a {day.strftime('%A')}, there; it names that weekday "
                f"{'in the past: within six days after' if tense < 0 else 'as still to come: within six days before'}"
                f" it (corpus)"))
    return clues


WINDOW_MIN_DAYS = 5  # fewer dated articles than this make no corpus window
WINDOW_CONFIDENCE = 0.1


def corpus_window(days: list[dt.date]) -> tuple[dt.date, dt.date, str] | None:
    """The corpus's own window, for articles with no evidence at all: from the 10th percentile of ``days`` (the
    metadata dates and the anchors, the days nearest the writing that the other articles' evidence points at) to the
    latest of them, with its evidence. Not evidence of the article: a low-confidence guess that it belongs to the same
    stretch of time as the rest of the corpus (the lowest tenth is cut off because anchors include history; anchors
    lag the writing, so the top is kept). None with fewer than ``WINDOW_MIN_DAYS`` days."""
    if len(days) < WINDOW_MIN_DAYS:
        return None
    days = sorted(days)
    low, high = days[len(days) // 10], days[-1]
    return low, high, (f"no evidence in the article: the corpus's window, from the 10th percentile to the latest of "
                       f"the {len(days)} days the other articles are dated by (low confidence, a guess)")


def _published(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def infer_dates(documents: pd.DataFrame, cache_dir=None) -> pd.DataFrame:
    """Publication date of each article: ``published`` (metadata) when given, else the interval of its clues.
    ``cache_dir``: the texts' time expressions are read from (and kept in) that cache (``find_timexes_many``).

    Columns (``ARTICLE_COLUMNS``): ``earliest`` / ``latest`` bound the interval (ISO days; one may be empty: open),
    ``anchor`` is the day relative expressions are counted from (the latest day when known, else the earliest),
    ``source`` metadata / inferred / corpus window (no evidence: the corpus's window, ``corpus_window``) / undated,
    ``confidence`` that of the strongest clue used, ``evidence`` the clues.
    """
    # Each text made a Python string when read (``DocumentTexts``): a dict of every text, made through
    # ``itertuples`` twice, took 1.2 GB for a moment at 100,000 articles.
    texts = DocumentTexts(documents)
    doc_ids = documents["doc_id"].astype(str)
    published = dict(zip(doc_ids, map(_published, documents["published"]) if "published" in documents
                         else [None] * len(doc_ids)))
    undated = [d for d in texts if not published[d]]
    tagged = dict(zip(undated, find_timexes_many([(texts[d], None) for d in undated], cache_dir)))  # used by every pass
    guess = corpus_years([texts[d] for d in undated], [d for d in published.values() if d], [tagged[d] for d in undated])
    found = {d: combine(article_clues(texts[d], guess, tagged[d])) for d in undated}
    open_ended = [d for d in undated if not (found[d] and found[d].earliest and found[d].latest)]
    if open_ended and cache_dir:  # the corpus pass reads every text's expressions: those of the dated ones too
        dated = [d for d in texts if published[d]]
        tagged.update(zip(dated, find_timexes_many([(texts[d], None) for d in dated], cache_dir)))
    borrowed = borrow_from_corpus(texts, {d: day for d, day in published.items() if day}, open_ended, guess.rough,
                                  tagged)
    clues = {d: combine([c for c in (found[d], borrowed.get(d)) if c]) for d in undated}
    window = corpus_window([day for day in published.values() if day]
                           + [c.anchor for c in clues.values() if c and c.anchor])
    rows = []
    for doc_id in texts:
        day = published[doc_id]
        if day:
            rows.append([doc_id, day.isoformat(), day.isoformat(), day.isoformat(), "metadata", 1.0,
                         "published date from metadata"])
            continue
        clue = clues[doc_id]
        if clue is None and window:
            rows.append([doc_id, "", window[0].isoformat(), window[1].isoformat(), "corpus window",
                         WINDOW_CONFIDENCE, window[2]])
            continue
        if clue is None:
            rows.append([doc_id, "", "", "", "undated", 0.0, ""])
            continue
        rows.append([doc_id, clue.anchor.isoformat() if clue.anchor else "",
                     clue.earliest.isoformat() if clue.earliest else "",
                     clue.latest.isoformat() if clue.latest else "", "inferred", round(clue.confidence, 2),
                     clue.evidence])
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)
