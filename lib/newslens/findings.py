"""Findings in words, written from the numbers: the sentence a report shows after each result.

A ``Finding`` displays in a notebook (and so in the HTML report) as a short block: the sentence, then its caveat
where one applies. It is HTML built here with every piece of text escaped (article text is untrusted) inside a
``tex2jax_ignore`` block (a "$" in a title is money, not maths). It also carries itself as JSON
(``application/vnd.newslens.finding+json``), which ``newslens.site`` reads to put the key findings on the index.

Numbers are rounded for reading (the CSV tables keep full precision); negative numbers get a real minus sign.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .chronology import RESOLVED_DATE
from .parts import Parts, distinct_count, first_groups

if TYPE_CHECKING:
    from .actors import QuoteTally

FINDING_MIME = "application/vnd.newslens.finding+json"


@dataclass(frozen=True)
class Finding:
    """One result in words. ``key``: among the one or two findings the index shows for the report."""

    text: str
    caveat: str = ""
    key: bool = False

    def __str__(self) -> str:
        return self.text + (f" Caveat: {self.caveat}" if self.caveat else "")

    def _repr_mimebundle_(self, include=None, exclude=None):
        caveat = f'<p style="margin:.2em 0"><em>Caveat.</em> {html.escape(self.caveat)}</p>' if self.caveat else ""
        block = ('<div class="newslens-finding tex2jax_ignore" style="border-left:4px solid #4C72B0;'
                 'padding:.2em .8em;margin:.6em 0;max-width:60em">'
                 f'<p style="margin:.2em 0"><strong>Finding.</strong> {html.escape(self.text)}</p>{caveat}</div>')
        return {"text/html": block, "text/plain": str(self),
                FINDING_MIME: {"text": self.text, "caveat": self.caveat, "key": self.key}}


def number(value: float, decimals: int = 2) -> str:
    """``value`` for reading: thousands separators, ``decimals`` places, a real minus sign ("−0.31")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and abs(value) >= 1 and decimals == 0:
        return f"{int(value):,}".replace("-", "−")
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0.,"):  # −0.004 rounds to zero: no sign on "0.00"
        text = text[1:]
    return text.replace("-", "−")


def count(n: int, singular: str, plural: str | None = None) -> str:
    """"1 article", "3 articles", "1,204 mentions"."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def listing(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def short_title(title: str, width: int = 48) -> str:
    """A title cut at a word boundary to at most ``width`` characters, with "…" when cut."""
    title = " ".join(str(title).split())
    if len(title) <= width:
        return title
    cut = title[:width - 1]
    if title[width - 1] != " " and " " in cut:  # not at a word boundary: back to the last one
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


# ---------------------------------------------------------------- 00_corpus

def corpus_finding(documents: pd.DataFrame, problems: pd.DataFrame | None = None) -> Finding:
    """Documents, words, outlets, dates and skipped files, in one sentence."""
    n = len(documents)
    outlets = documents["outlet"].fillna("").replace("", pd.NA).dropna()
    dates = sorted(str(d)[:10] for d in documents["published"].fillna("") if str(d))
    text = (f"The corpus has {count(n, 'document')} ({count(int(documents['n_words'].sum()), 'word')} after "
            f"cleaning) from " + (count(outlets.nunique(), 'outlet') if len(outlets) else "no known outlet")
            + (f"; {count(len(dates), 'document')} dated in the metadata, from {dates[0]} to {dates[-1]}." if dates
               else "; no document has a publication date in the metadata."))
    skipped = 0 if problems is None else int((problems["action"].astype(str).str.contains("skipped")).sum())
    caveat = f"{count(skipped, 'file')} could not be used and {'was' if skipped == 1 else 'were'} skipped (listed " \
             "below)." if skipped else ""
    return Finding(text, caveat, key=True)


def cleaning_finding(documents: pd.DataFrame, cleaning: pd.DataFrame) -> Finding:
    """How much text cleaning removed, and by how many actions."""
    raw, clean = int(documents["n_chars_raw"].sum()), int(documents["n_chars_clean"].sum())
    share = (raw - clean) / raw if raw else 0.0
    touched = cleaning["doc_id"].nunique() if len(cleaning) else 0
    return Finding(f"Cleaning removed {count(raw - clean, 'character')} of {raw:,} ({number(100 * share, 1)}%) in "
                   f"{count(len(cleaning), 'action')} across {count(touched, 'document')}.",
                   "Rules remove only furniture of known shapes: check the listed actions before trusting counts "
                   "in the later reports.")


# ---------------------------------------------------------------- 01_word_frequency

def _quoted(term: str) -> str:
    return f"“{term}”"


def top_terms_finding(terms: pd.DataFrame, n_documents: int, top: int = 3) -> Finding:
    """The ``top`` most frequent terms with count, rate and spread over documents."""
    rows = terms.head(top)
    if rows.empty:
        return Finding("No term occurs often enough to be listed.")
    parts = [f"{_quoted(r.term)} ({count(int(r['count']), 'time')}, {number(r.per_10k, 1)} per 10,000 words, in "
             f"{r.documents} of {n_documents} documents)" for _, r in rows.iterrows()]
    return Finding(f"The most frequent terms are {listing(parts)}.",
                   "Reporting verbs such as “said” rank high in news; add them to extra_stopwords to look past "
                   "them.",
                   key=True)


def ngram_finding(ngrams: pd.DataFrame, top: int = 3) -> Finding:
    rows = ngrams.head(top)
    if rows.empty:
        return Finding("No phrase occurs often enough to be listed.")
    return Finding("The most frequent phrases are " + listing(
        [f"{_quoted(r.ngram)} ({count(int(r['count']), 'time')})" for _, r in rows.iterrows()]) + ".")


def collocation_finding(collocations: pd.DataFrame, top: int = 3) -> Finding:
    rows = collocations.head(top)
    if rows.empty:
        return Finding("No word pair occurs often enough to be tested as a collocation.")
    return Finding("The strongest collocations are " + listing(
        [f"{_quoted(r.collocation)} (together {count(int(r['count']), 'time')}, G² {number(r.g2, 1)})"
         for _, r in rows.iterrows()]) + ".",
        "G² ranks the pairs; with few documents it is not a test.")


def distinctive_finding(distinctive: pd.DataFrame | Parts, titles: dict[str, str], top: int = 3,
                        max_documents: int = 3) -> Finding:
    """For the first ``max_documents`` documents, their ``top`` distinctive terms, naming each by its title
    (``distinctive``: ``frequency.distinctive_terms``, or its parts)."""
    parts = []
    first = first_groups(distinctive, max_documents)  # not a group per document: 100,000 of them for three
    for doc_id in pd.unique(first["doc_id"]):
        terms = listing([_quoted(t) for t in first.loc[first["doc_id"] == doc_id, "term"].head(top)])
        parts.append(f"{_quoted(short_title(titles.get(doc_id, doc_id)))}: {terms}")
    if not parts:
        return Finding("No document has a term that sets it apart from the rest of the corpus.")
    n_docs = distinct_count(distinctive, "doc_id")
    more = f" (the other {n_docs - len(parts)} in the table)" if n_docs > len(parts) else ""
    return Finding("Most distinctive of each document" + more + ": " + "; ".join(parts) + ".",
                   "With few, short documents a term used three times in one article is already distinctive.")


def keyness_finding(keyness: pd.DataFrame, top: int = 5) -> Finding:
    """The strongest positive keywords against general English."""
    if keyness.empty:
        return Finding("Keyness against general English was not computed (use_reference = False).")
    positive = keyness[keyness["direction"] == "positive"].head(top)
    return Finding("Compared with general English, these articles use most distinctively "
                   + listing([f"{_quoted(r.term)} ({r['count']:,}×)" for _, r in positive.iterrows()]) + ".",
                   "The reference is wordfreq's list up to 2021, with an assumed size: read G² as a ranking.")


def concordance_finding(by_document: pd.DataFrame, queries: list[str], lines: pd.DataFrame | None = None) -> Finding:
    """How often each concordance query occurs, and in how many documents, from ``by_document`` (one row per query
    and document that holds it, with ``query`` and ``occurrences``: ``frequency.dispersion_by_document``); with
    ``lines`` (the ``kwic`` table), how many concordance lines show a query when they are a sample of its
    occurrences."""
    times = by_document.groupby("query", observed=True, sort=False)["occurrences"].agg(["sum", "size"])
    times = {query: (int(total), int(documents)) for query, (total, documents) in times.iterrows() if documents}
    parts = []
    for query in queries:
        if query not in times:
            parts.append(f"{_quoted(query)} does not occur")
            continue
        total, documents = times[query]
        part = f"{_quoted(query)} occurs {count(total, 'time')} in {count(documents, 'document')}"
        shown = total if lines is None else int((lines["query"] == query).sum())
        if shown < total:
            part += f" ({count(shown, 'concordance line')} show a sample spread evenly over them)"
        parts.append(part)
    return Finding(listing(parts) + "." if parts else "No concordance term was given.")


# ---------------------------------------------------------------- 02_actor_sentiment (wired by the integrator)

def tone_words(mean: float, low: float, high: float) -> str:
    """negative / positive when the 95% interval excludes 0, else "not clearly positive or negative"."""
    if high < 0:
        return "negative"
    if low > 0:
        return "positive"
    return "not clearly positive or negative (the interval includes 0)"


def actor_finding(actor: str, mentions: int, documents: int, n_documents: int, scored: int, mean: float,
                  low: float, high: float, min_mentions: int = 3) -> Finding:
    """"Putin is mentioned 39 times in 4 of 5 articles; the tone toward Putin is negative: −0.31, 95% interval
    −0.47 to −0.15, from 34 scored mentions." With fewer than ``min_mentions`` scored mentions, no tone is
    stated."""
    text = f"{actor} is mentioned {count(mentions, 'time')} in {documents} of {count(n_documents, 'article')}"
    if scored < max(min_mentions, 1) or any(math.isnan(float(v)) for v in (mean, low, high)):
        return Finding(text + f"; {count(scored, 'scored mention')}, too few to state a tone.",
                       f"A tone is stated only from {min_mentions} scored mentions on.")
    return Finding(text + f"; the tone toward {actor} is {tone_words(mean, low, high)}: {number(mean)}, 95% interval "
                   f"{number(low)} to {number(high)}, from {count(scored, 'scored mention')}.",
                   "The interval is over mentions, which are not independent within an article; it is a "
                   "description of these articles, not of coverage in general." if n_documents < 30 else "")


def actor_findings(actors: pd.DataFrame, n_documents: int, method: str = "model", min_mentions: int = 3,
                   top: int = 5) -> list[Finding]:
    """``actor_finding`` for the ``top`` most mentioned actors of ``actors.csv`` (for ``method``; its ``documents``
    column counts the documents that mention each). The first is marked ``key``; a caveat is given once, with the
    first it applies to."""
    rows = actors[actors["method"] == method].sort_values("mentions", ascending=False, kind="stable").head(top)
    found = []
    for _, r in rows.iterrows():
        finding = actor_finding(r.actor, int(r.mentions), int(r.documents), n_documents, int(r.scored),
                                r.mean_sentiment, r.ci_low, r.ci_high, min_mentions)
        said = {f.caveat for f in found}  # a caveat is said once, under the first finding it applies to
        found.append(Finding(finding.text, "" if finding.caveat in said else finding.caveat, key=not found))
    return found



def method_agreement_finding(actors: pd.DataFrame, method: str, baseline: str = "vader", min_mentions: int = 3,
                             top: int = 5) -> Finding | None:
    """Where ``method`` and ``baseline`` disagree on the sign of an actor's tone (``actors.csv``), say so.

    Actors with at least ``min_mentions`` scored mentions under both methods are compared. They disagree when the
    means have opposite signs and at least one method's 95% interval excludes 0 (two means near 0 on either side
    are not a disagreement); they contradict each other when both intervals exclude 0, on opposite sides. ``None``
    when the methods are the same or nothing can be compared."""
    if method == baseline:
        return None
    wide = actors[actors["scored"] >= max(min_mentions, 1)].pivot_table(
        index="actor", columns="method", values=["mean_sentiment", "ci_low", "ci_high", "mentions"], aggfunc="first")
    if wide.empty or method not in wide["mean_sentiment"] or baseline not in wide["mean_sentiment"]:
        return None
    wide = wide.dropna(subset=[("mean_sentiment", method), ("mean_sentiment", baseline)])
    wide = wide.sort_values(("mentions", method), ascending=False, kind="stable")
    a, b = wide["mean_sentiment"][method], wide["mean_sentiment"][baseline]
    sure = {m: (wide["ci_low"][m] > 0) | (wide["ci_high"][m] < 0) for m in (method, baseline)}
    opposite = (a * b) < 0
    differ = wide[opposite & (sure[method] | sure[baseline])]
    contradict = wide[opposite & sure[method] & sure[baseline]]
    compared = count(len(wide), "actor")
    if differ.empty:
        return Finding(f"The {method} and {baseline} methods do not disagree on the sign of the tone toward any "
                       f"of the {compared} with at least {min_mentions} scored mentions (a disagreement: means of "
                       "opposite signs, at least one of them with an interval that excludes 0).")
    named = listing([f"{actor} ({method} {number(r[('mean_sentiment', method)])}, {baseline} "
                     f"{number(r[('mean_sentiment', baseline)])})" for actor, r in differ.head(top).iterrows()])
    text = (f"The {method} and {baseline} methods disagree on the sign of the tone for {len(differ):,} of the "
            f"{compared} compared (means of opposite signs, at least one interval excluding 0), most mentioned "
            f"first: {named}.")
    if len(contradict):
        text += (f" For {count(len(contradict), 'actor')} ({listing(list(contradict.index[:top]))}) both intervals "
                 "exclude 0 on opposite sides: read the evidence sentences before trusting either.")
    return Finding(text, f"{baseline} scores words of a lexicon in the clause; {method} reads the sentence toward the "
                         "mention. Where they differ, the sentences show which one is right.")


_KIND_PLURALS = {"person": "people", "country": "countries", "place": "places"}


def discovery_finding(discovered: pd.DataFrame, top: int = 3, left_out: int = 0) -> Finding:
    """How many actors discovery found, of which kinds, and the most named (``actors_discovered.csv``: ``name``,
    ``kind``, ``mentions``, ``documents``; ``left_out``: actors found but not kept, ``ActorSetup.left_out``);
    ``key``: who the actors are is one of the report's answers."""
    if discovered.empty:
        return Finding("Discovery found no person, organisation or place in the text.")
    kinds = discovered["kind"].value_counts()
    rows = discovered.sort_values("mentions", ascending=False, kind="stable").head(top)
    named = listing([f"{r['name']} ({count(int(r.mentions), 'mention')} in {count(int(r.documents), 'document')})"
                     for _, r in rows.iterrows()])
    found = f"{count(len(discovered), 'actor')} in the text"
    if left_out:
        found = (f"{count(len(discovered) + left_out, 'actor')} in the text and kept the {len(discovered):,} most "
                 f"named (discover_max_actors)")
    return Finding(f"Discovery found {found}: "
                   + listing([count(int(n), kind, _KIND_PLURALS.get(kind)) for kind, n in kinds.items()])
                   + f"; the most named {'is' if len(rows) == 1 else 'are'} {named}.",
                   "Found by a named-entity recogniser and grouped by spelling: check the table before trusting an "
                   "actor's numbers, and pass a corrected actors_discovered.yaml back as actors_file.", key=True)


def quotes_finding(tally: QuoteTally, top: int = 3) -> Finding:
    """How many quotes, how many attributed to actors and to whom most (``newslens.actors.tally_quotes``)."""
    if not tally.quotes:
        return Finding("No quote or reported speech was found.")
    by_actor = tally.per_speaker
    most = listing([f"{row.speaker} ({row.quotes:,})" for row in by_actor.head(top).itertuples()])
    unlinked = tally.unattributed
    return Finding(f"{count(tally.quotes, 'quote')} in {count(tally.documents, 'document')}: "
                   + (f"{int(by_actor['quotes'].sum()):,} attributed to "
                      f"{count(len(by_actor), 'actor')}, most to {most}" if len(by_actor) else "none to an actor")
                   + (f"; {count(unlinked, 'quote')} from {'a source' if unlinked == 1 else 'sources'} that "
                      f"{'is' if unlinked == 1 else 'are'} no actor" if unlinked else "") + ".",
                   "Speech without a reporting cue or quotation marks is not attributed; who spoke is read from the "
                   "parse and can be wrong: check the quotes below.")


def speaker_target_finding(pairs: pd.DataFrame, min_mentions: int = 3, top: int = 3) -> Finding:
    """The most frequent speaker–target pairs with at least ``min_mentions`` mentions, with their mean tone
    (``speaker_target.csv``: ``speaker``, ``target``, ``mentions``, ``mean_sentiment``)."""
    if pairs.empty:
        return Finding("No actor's quote mentions another actor.")
    enough = pairs[pairs["mentions"] >= min_mentions].sort_values("mentions", ascending=False, kind="stable")
    if enough.empty:
        return Finding(f"{count(len(pairs), 'speaker–target pair')}, none with {min_mentions} or more mentions: "
                       "too few to read a tone from.")
    parts = [f"{r.speaker} about {r.target} ({count(int(r.mentions), 'mention')}, mean {number(r.mean_sentiment)})"
             for _, r in enough.head(top).iterrows()]
    return Finding(f"Of {count(len(pairs), 'speaker–target pair')}, {len(enough):,} "
                   f"{'rests' if len(enough) == 1 else 'rest'} on at least {count(min_mentions, 'mention')}; the most "
                   f"frequent: {listing(parts)}.",
                   f"These means have no interval: read each with its number of mentions. Pairs with fewer than "
                   f"{count(min_mentions, 'mention')} are grey in the figure.")

# ---------------------------------------------------------------- 03_chronology

def _is_are(n: int) -> str:
    return "is" if n == 1 else "are"


def chronology_finding(events: pd.DataFrame, found: int | None = None) -> Finding:
    """How many events (of ``found`` before the selection), over which span, how precisely dated, how many reported
    by more than one document, and how many rest on an inferred article date (``events.csv``: ``date``,
    ``precision``, ``n_sources``, ``date_source``)."""
    left_out = "" if found is None or found == len(events) else \
        f" (of {found:,} found; the selection parameters leave out {found - len(events):,})"
    if events.empty:
        return Finding(f"No event is kept: the selection parameters leave out all {found:,} found." if found
                       else "No event could be dated.", key=True)
    dates = sorted(str(d) for d in events["date"] if str(d))
    precision = events["precision"].value_counts()
    precise = listing([f"{precision[p]:,} to the {p}" for p in ("day", "month", "year") if p in precision])
    several = int((events["n_sources"] > 1).sum())
    inferred = int((events["date_source"] == "inferred").sum())
    caveat = ("Dates come from the articles' wording; an event reported by one document only rests on that "
              "document.")
    if inferred:
        caveat += (f" {count(inferred, 'event')} {_is_are(inferred)} counted from an article date that was itself "
                   "inferred from the text: as uncertain as that date (see the article dates above).")
    return Finding(f"The chronology has {count(len(events), 'dated event')}{left_out} from {dates[0]} to {dates[-1]}"
                   + (f", dated {precise}" if precise else "")
                   + f"; {count(several, 'event')} {_is_are(several)} reported by more than one document.",
                   caveat, key=True)


_DATE_SOURCES = {"metadata": "from the metadata", "override": "by anchor_overrides",
                 "inferred": "inferred from their text",
                 "corpus window": "given only the corpus's window (no evidence of their own)", "undated": "undated"}


def article_dates_finding(anchors: pd.DataFrame) -> Finding:
    """How each article got its date and how many have a day to count relative dates from (``article_dates.csv``:
    ``source`` = metadata / override / inferred / undated, ``anchor`` = that day or empty, ``confidence``)."""
    counts = anchors["source"].value_counts()
    parts = [f"{counts[s]:,} {words}" for s, words in _DATE_SOURCES.items() if s in counts]
    anchored = int((anchors["anchor"].fillna("").astype(str) != "").sum())
    without = len(anchors) - anchored
    text = (f"Of {count(len(anchors), 'article')}: " + listing(parts) + f". {anchored:,} of them "
            f"{'has' if anchored == 1 else 'have'} a day to count relative dates (“on Friday”) from.")
    caveats = []
    if without:
        caveats.append(f"Relative expressions in the {count(without, 'article')} without such a day make no event; "
                       "give a known date with anchor_overrides.")
    inferred = anchors.loc[anchors["source"] == "inferred", "confidence"].astype(float)
    if len(inferred):
        spread = number(inferred.min(), 1) if inferred.min() == inferred.max() else \
            f"{number(inferred.min(), 1)} to {number(inferred.max(), 1)}"
        caveats.append(f"Inferred dates rest on clues of confidence {spread} (out of 1): check their evidence.")
    return Finding(text, " ".join(caveats))


def timex_finding(timexes: pd.DataFrame) -> Finding:
    """How many time expressions the tagger found and how many of the dates were resolved to a calendar date
    (``timexes.csv``: ``type``, ``value``)."""
    if timexes.empty:
        return Finding("The tagger found no time expression.")
    # Counted with masks over the whole table: the rows of the dates taken out were a copy of most of it (1.1
    # million rows at 100,000 articles: +90 MB in notebook 03's kernel).
    is_date = (timexes["type"] == "DATE").to_numpy(dtype=bool)
    resolved = int(timexes["value"].astype(str).str.match(RESOLVED_DATE)[is_date].sum())
    dates = int(is_date.sum())
    other = len(timexes) - dates
    return Finding(f"The tagger found {count(len(timexes), 'time expression')} in "
                   f"{count(timexes['doc_id'].nunique(), 'document')}: {count(dates, 'date')}, of which "
                   f"{resolved:,} {_is_are(resolved)} resolved to a day, month or year"
                   + (f", and {count(other, 'duration, time or repetition', 'durations, times or repetitions')}"
                      f", which make{'s' if other == 1 else ''} no event" if other else "")
                   + ".",
                   "An unresolved date (“Thursday” in an article without a day to count from, “now”) makes no "
                   "event." if resolved < dates else "")
