"""Who said what: attribution relations (source, cue, content) found on spaCy's dependency parse.

Public surface:
    Attribution                                   a frozen dataclass of character offsets and a kind
    find_attributions(text) -> list[Attribution]
    find_attributions_many(texts, jobs=1, batch_size=PIPE_BATCH, parsed=None) -> list[list[Attribution]]
    attribution_memo(path=None) -> SentenceMemo   sentences already parsed, for ``parsed``
    cue_forms() -> frozenset[str]                 the reporting-cue word forms in use
    KINDS = ("direct", "reported", "according_to", "passive", "headline")

Method, in order:
* Only sentences (NLTK Punkt, as everywhere in newslens) holding a cue word, a quotation mark or "<word>ed/s that"
  are tagged and parsed, with the tagger and parser only (``PIPELINE_EXCLUDE``); none longer than
  ``MAX_SENTENCE_CHARS``; each distinct sentence once, however many documents repeat it.
* Reporting cues are the word forms that annotators marked inside attribution cues of the PolNeAR training split at
  least ``MIN_CUE_COUNT`` times and in at least ``MIN_CUE_SHARE`` of all their occurrences
  (``data/reporting_cues.json``, counts only, built by ``python -m newslens.build_cues``), when tagged as a verb;
  plus any verb with a subject and a "that" clause ("she conveyed that …"), which needs no list. A cue in the
  infinitive ("declined to say", "expected to announce") reports nothing, nor does the verb governing it.
* The source is the cue's subject; for a passive cue the "by" agent ("was stated by X"); "X was quoted as saying"
  and "the agency reported X as saying" give X; a cue coordinated with or subordinate to another verb ("…, adding
  that …") takes that verb's subject; "who said" takes the noun the clause belongs to; "according to X" gives X.
* The content is the cue's clausal complement (without "that"), else its object ("called the talks
  'productive'"), else, for a cue after a quotation ("'…,' said X"), the rest of the sentence, else what follows
  a colon ("X said: …", the quotation in the next paragraph included). "This was stated by X" reports the
  sentence before.
* Quotations are found on the text. A content overlapping one is widened to the whole quotation (a quote running
  over several sentences is kept whole), the two halves of "'…,' he said, '…'" are joined, a cue inside a
  quotation ("I think …") never claims it, and a quotation without an attribution is credited to the attribution
  in its paragraph, or to the quotation of the paragraph before; failing both, one of at least
  ``MIN_UNATTRIBUTED_WORDS`` words is returned with no source.
* Headline attributions: a line ending in a dash and a name ("…, - Kallas"), a line opening with a name and a
  colon ("Kallas: …").
* Credits and page furniture (``newslens.cleaning.credit_spans``, ``furniture_spans``) say nothing: an attribution
  whose cue lies in one is dropped, a source or content that opens with a dateline starts after it, and a source
  that is only a dateline ("MACAU (Reuters)") is none.
* Of attributions whose contents overlap by half or more, one is kept (one with a source first).

Sources are returned as written ("sources", "The Post", "a senior official"); whether one is an actor is decided by
the caller (``newslens.actors.find_quotes``), from the source's head word in ``head_start`` / ``head_end``.

Limits (measured on PolNeAR, see the README): beliefs and intentions that PolNeAR also annotates ("wants",
"supports") count only when frequent enough as cues in the training split; a content split across sentences
without quotation marks is cut at the sentence end; nested attributions inside a quotation are not returned; the
small parser mis-attaches subjects in long sentences, so a source is sometimes a neighbouring noun phrase.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import re
from pathlib import Path
from typing import Iterable, Sequence

from newslens.cleaning import credit_spans, furniture_spans
from newslens.memo import SentenceMemo
from newslens.nlp import PIPE_BATCH
from newslens.text import sentence_spans

# Only the tagger and the parser are needed: no entities (half the time of the full pipeline), and the fine-grained
# tags are used directly, without the attribute ruler (a fixed cost per parsed sentence).
PIPELINE_EXCLUDE = ("lemmatizer", "senter", "ner", "attribute_ruler")
KINDS = ("direct", "reported", "according_to", "passive", "headline")
CUES_FILE = Path(__file__).resolve().parent / "data" / "reporting_cues.json"
MIN_CUE_COUNT = 3
MIN_CUE_SHARE = 0.25
MIN_UNATTRIBUTED_WORDS = 4
# A "sentence" longer than this is no sentence (a table or a run of text without punctuation): it is not parsed,
# which keeps the parser's time and memory bounded; its quotations are still found.
MAX_SENTENCE_CHARS = 3000
# A chunk of parallel work is a whole number of ``nlp.pipe`` batches, so every sentence is parsed in the same batch
# as in one process: 1,024 sentences.
CHUNK_BATCHES = 16

# Penn Treebank tags (the tagger's own output; the attribute ruler that maps them to coarse tags is not loaded).
_NOMINAL_TAGS = {"NN", "NNS", "NNP", "NNPS", "PRP"}
_NAME_TAGS = {"NNP", "NNPS"}
_QUOTED = re.compile(r"\"[^\"\n]+\"|“[^”\n]+(?:”|(?=\n))|«[^»\n]+»|„[^“”\n]+[“”]")
_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")  # as newslens.build_cues counts them
_QUOTE_OR_THAT = re.compile(r"[\"“”«»„]|\b[a-z]+(?:ed|s)\s+that\b", re.IGNORECASE)
_NAME = r"[A-Z][\w'’.-]*(?:[^\S\n]+[A-Z][\w'’.-]*){0,%d}"  # up to n + 1 capitalised words
# "…, - Kallas" at the end of a line; "Kallas: …" at its start (not "The Latest: …").
_DASH_TAIL = re.compile(r",?[^\S\n]+[-—–][^\S\n]*(?P<source>" + _NAME % 3 + r")[^\S\n]*\.?[^\S\n]*$")
_HEADLINE_COLON = re.compile(r"^(?!(?:The|A|An)[^\S\n])(?P<source>" + _NAME % 4 + r"):[^\S\n]+"
                             r"(?P<content>[^\n]+?)[^\S\n]*$", re.MULTILINE)
_SENTENCE_BEFORE = (-1, -1)  # a content that is the previous sentence ("This was stated by X")
_AFTER_QUOTE = {",", "\"", "”", "’", "'", "—", "–", "-", "»"}
_EDGE_PUNCT = " \t\n,;:-—–"


@dataclasses.dataclass(frozen=True)
class Attribution:
    """One attribution relation; every offset is a character offset into the text it was found in.

    source_start, source_end : the source as written ("a senior official", "he", "Kremlin spokesman Dmitry Peskov"),
        or None when the text gives none.
    cue_start, cue_end : the reporting verb, "according to", or the dash of a headline; None for a quotation
        without a cue.
    content_start, content_end : what is said (a direct quotation includes its quotation marks).
    kind : "direct" (quoted), "reported" ("X said that …"), "according_to", "passive" ("was stated by X") or
        "headline" ("…, - X").
    head_start, head_end : the source's head word, or the name apposed to it ("the EU's top diplomat, Kaja Kallas"
        gives "Kaja Kallas"); an actor mention must cover it for the source to be that actor. None without a source.
    """
    source_start: int | None
    source_end: int | None
    cue_start: int | None
    cue_end: int | None
    content_start: int
    content_end: int
    kind: str
    head_start: int | None = None
    head_end: int | None = None


@functools.lru_cache(maxsize=1)
def cue_forms() -> frozenset[str]:
    """The word forms (lower case) that count as reporting cues, from ``data/reporting_cues.json``."""
    data = json.loads(CUES_FILE.read_text(encoding="utf-8"))
    return frozenset(form for form, (inside, total) in data["forms"].items()
                     if inside >= MIN_CUE_COUNT and inside / total >= MIN_CUE_SHARE)


def _worth_parsing(sentence: str) -> bool:
    """A quotation mark, a cue word, or "<word>ed/s that" ("conveyed that": a cue the list may lack)."""
    if _QUOTE_OR_THAT.search(sentence):
        return True
    forms = cue_forms()
    return any(word.lower().replace("’", "'") in forms for word in _WORD.findall(sentence))


def find_attributions(text: str) -> list[Attribution]:
    """Attribution relations in one text, in text order.

    Parameters
    ----------
    text : str
        The document (any length; only sentences with a cue or a quotation mark are parsed).

    Returns
    -------
    list of Attribution
    """
    return find_attributions_many([text])[0]


def attribution_memo(path: str | Path | None = None) -> SentenceMemo:
    """A memo of sentence -> its attributions (at offset 0), for ``find_attributions_many``'s ``parsed``, in the
    file ``path`` (None: a temporary one)."""
    return SentenceMemo("=8ib", _attribution_values, _attribution_of, path)


# None among the packed offsets (-1 is taken: a content of -1 is "the sentence before").
_NO_OFFSET = -2 ** 31


def _attribution_values(item: Attribution) -> tuple:
    # The offsets into the sentence, then the kind's index.
    offsets = (item.source_start, item.source_end, item.cue_start, item.cue_end, item.content_start,
               item.content_end, item.head_start, item.head_end)
    return (*(_NO_OFFSET if offset is None else offset for offset in offsets), KINDS.index(item.kind))


def _attribution_of(values: tuple) -> Attribution:
    offsets = [None if value == _NO_OFFSET else value for value in values[:8]]
    return Attribution(*offsets[:6], KINDS[values[8]], *offsets[6:])


def find_attributions_many(texts: Iterable[str], jobs: int | None = 1, batch_size: int = PIPE_BATCH,
                           parsed: SentenceMemo | None = None) -> list[list[Attribution]]:
    """``find_attributions`` for many texts, parsing their selected sentences together with ``nlp.pipe``.

    Parameters
    ----------
    texts : iterable of str
    jobs : int, optional
        Worker processes (``newslens.parallel.map_chunks``; each loads its own copy of the model), used from
        ``nlp.PARALLEL_MIN_CHARS`` of sentences to parse; 0 or None: every core. A Dask scheduler named in the
        environment takes the work whatever its size.
    batch_size : int
        Sentences per batch.
    parsed : SentenceMemo, optional
        Sentence -> its attributions (at offset 0; ``attribution_memo``), from earlier calls: read, and extended
        with this call's sentences, so that a caller working through a corpus in chunks parses a repeated sentence
        once.

    Returns
    -------
    list of list of Attribution, one list per text, in order.
    """
    from newslens.nlp import parse_jobs
    from newslens.parallel import chunked, map_chunks

    texts = [text or "" for text in texts]
    # Each distinct selected sentence is parsed once (syndicated copy and boilerplate repeat across articles); a
    # sentence's parse does not depend on its document, and its offsets are relative to the sentence.
    piece_index: dict[str, int] = {}
    layout: list[list[tuple[int, int]]] = []  # per text: (sentence start, index of its distinct piece)
    for text in texts:
        layout.append([(start, piece_index.setdefault(text[start:end], len(piece_index)))
                       for start, end in sentence_spans(text)
                       if end - start <= MAX_SENTENCE_CHARS and _worth_parsing(text[start:end])])
    parsed = {} if parsed is None else parsed  # within this call only: a dict
    pieces = [piece for piece in piece_index if piece not in parsed]
    chunks = chunked(pieces, batch_size * CHUNK_BATCHES)
    parsed.update(zip(pieces, (items for found in map_chunks(functools.partial(_cue_attributions,
                                                                                batch_size=batch_size),
                                                               chunks, jobs=parse_jobs(jobs, pieces))
                               for items in found)))
    cued = [parsed[piece] for piece in piece_index]
    return [_document_attributions(text, [(start, cued[piece]) for start, piece in placed])
            for text, placed in zip(texts, layout)]


def _cue_attributions(sentences: list[str], batch_size: int) -> list[list[Attribution]]:
    """The cue attributions of each sentence, at offset 0: the work of one chunk, in any process. They are taken as
    the parses stream by, so no parse is kept in memory (and none crosses processes)."""
    from newslens.nlp import load_pipeline

    nlp = load_pipeline(PIPELINE_EXCLUDE)
    return [[item for item in map(_from_cue, doc) if item is not None]
            for doc in nlp.pipe(sentences, batch_size=batch_size)]


# --------------------------------------------------------------------------------------------------------------
# One document


def _document_attributions(text: str, sentences: Sequence[tuple[int, list[Attribution]]]) -> list[Attribution]:
    """The attributions of one text from the cue attributions of its parsed sentences (each at offset 0)."""
    found: list[Attribution] = []
    for offset, items in sentences:
        for attribution in items:
            attribution = _shifted(attribution, offset)
            if attribution.content_start == -1:
                attribution = _sentence_before(text, offset, attribution)
            if attribution is not None:
                found.append(attribution)
    found = _with_quotations(text, found)
    found.extend(_headlines(text))
    return _deduplicated(_outside_credits(text, found))


def _outside_credits(text: str, found: list[Attribution]) -> list[Attribution]:
    """Attributions without what credits the article or furnishes the page (``newslens.cleaning``): a source or
    content that opens with a dateline starts after it ("WASHINGTON (AP) — Attorney General Loretta Lynch is
    reaffirming …"), and a source that is only a dateline is none; one whose cue lies in a credit or a furniture
    line ("Weather: Paris 9°C") is no one's words."""
    skipped = credit_spans(text) + furniture_spans(text)
    if not skipped:
        return found
    kept = []
    for item in found:
        cue = item.cue_start if item.cue_start is not None else item.content_start
        if any(start <= cue < end for start, end in skipped):
            continue
        for start, end in skipped:
            if item.source_start is not None and start <= item.source_start and item.source_end <= end:
                # "MACAU (Reuters) – Top donor Sheldon Adelson said on Friday he met …": the parser's subject
                # was the dateline; what is said stays, its source unknown
                item = dataclasses.replace(item, source_start=None, source_end=None, head_start=None, head_end=None)
            elif item.source_start is not None and start <= item.source_start < end < item.source_end:
                item = dataclasses.replace(item, source_start=end)
            if start <= item.content_start < end < item.content_end:
                item = dataclasses.replace(item, content_start=end)
        kept.append(item)
    return kept


def _shifted(item: Attribution, offset: int) -> Attribution:
    """``item`` found in a sentence on its own, placed at ``offset`` in its text (a content of -1, "the sentence
    before", stays -1)."""
    def moved(value: int | None) -> int | None:
        return None if value is None else value + offset

    content = (-1, -1) if item.content_start == -1 else (item.content_start + offset, item.content_end + offset)
    return Attribution(moved(item.source_start), moved(item.source_end), moved(item.cue_start), moved(item.cue_end),
                       *content, item.kind, moved(item.head_start), moved(item.head_end))


def _sentence_before(text: str, offset: int, item: Attribution) -> Attribution | None:
    """The content of 'This was stated by X': the sentence before, unless there is none or it is a heading (no
    final punctuation)."""
    previous = sentence_spans(text[:offset])
    if not previous or text[previous[-1][1] - 1] not in ".!?\"”»":
        return None
    start, end = _trim(text, *previous[-1])
    return _replace(item, start, end, "passive")


def _is_cue(token) -> bool:
    if token.lower_ == "according":
        return any(child.lower_ == "to" for child in token.children)
    if not token.tag_.startswith("VB") or token.dep_ in ("aux", "auxpass"):
        return False
    if _infinitive(token) or any(child.dep_ == "xcomp" and _infinitive(child) and
                                 child.lower_.replace("’", "'") in cue_forms() for child in token.children):
        return False  # "declined to say how soon …", "is expected to announce": nothing is said
    if token.lower_.replace("’", "'") in cue_forms():
        return True
    # A verb with a "that" clause reports speech or thought whether or not the training split saw it.
    return any(child.dep_ == "ccomp" and any(g.dep_ == "mark" and g.lower_ == "that" for g in child.children)
               for child in token.children) and any(child.dep_ == "nsubj" for child in token.children)


def _infinitive(token) -> bool:
    return any(child.dep_ == "aux" and child.lower_ == "to" for child in token.children)


def _from_cue(cue) -> Attribution | None:
    """The attribution a cue token reports, with offsets into its sentence (the parsed text)."""
    if not _is_cue(cue):
        return None
    if cue.lower_ == "according":
        to = next(child for child in cue.children if child.lower_ == "to")
        source = next((child for child in to.children if child.dep_ == "pobj"), None)
        content = _rest_of_clause(cue)
        cue_span = (cue.idx, to.idx + len(to))
        kind = "according_to"
    else:
        source, kind = _source_of(cue)
        content = _content_of(cue)
        cue_span = (cue.idx, cue.idx + len(cue))
    if content is None:
        content = _after_colon(cue)
        if content is None:
            return None
    if content == _SENTENCE_BEFORE:  # placed by the caller, which knows the document
        c_start = c_end = -1
    else:
        c_start, c_end = _trim(cue.doc.text, *content)
        if c_end - c_start < 2 and content[0] != len(cue.doc.text):
            return None
    s_span = _phrase_span(source) if source is not None else None
    h_span = _head_span(source) if source is not None else None
    return Attribution(s_span and s_span[0], s_span and s_span[1], *cue_span, c_start, c_end, kind,
                       h_span and h_span[0], h_span and h_span[1])


def _source_of(cue) -> tuple[object | None, str]:
    """The token heading the source of a verb cue, and the kind ("passive" for a "by" agent, else "reported")."""
    for child in cue.children:
        if child.dep_ == "agent":
            pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if pobj is not None:
                return pobj, "passive"
    token = cue
    for _ in range(4):  # climb through "quoted as saying", "adding", "and said", "who said"
        subject = next((child for child in token.children if child.dep_ in ("nsubj", "csubj")), None)
        if subject is not None:
            if subject.tag_ in ("WP", "WDT") and token.dep_ == "relcl":
                return token.head, "reported"
            return subject, "reported"
        if token.dep_ == "pcomp" and token.head.lower_ == "as":
            verb = token.head.head  # "X was quoted as saying", "reported X as saying"
            obj = next((c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")), None)
            if obj is not None:
                return obj, "reported"
            token = verb
            continue
        if token.dep_ == "acl" and token.head.tag_ in _NOMINAL_TAGS:
            return token.head, "reported"
        if token.dep_ in ("conj", "xcomp", "advcl", "pcomp", "prep") and token.head is not token:
            token = token.head
            continue
        break
    return None, "reported"


def _content_of(cue) -> tuple[int, int] | None:
    """Character span (within the sentence) of what the cue reports, or None."""
    children = list(cue.children)
    clauses = [c for c in children if c.dep_ in ("ccomp", "xcomp") and c.tag_.startswith("VB")]
    if any(c.dep_ == "ccomp" for c in clauses):
        clauses = [c for c in clauses if c.dep_ == "ccomp"]
    if clauses:
        clause = max(clauses, key=lambda c: len(list(c.subtree)))
        start, end = _subtree_span(clause)
        first = clause.left_edge
        if first.dep_ == "mark" and first.lower_ == "that":  # what is said, without the complementiser
            start = first.idx + len(first)
        return start, end
    obj = next((c for c in children if c.dep_ == "dobj"), None)
    complement = next((c for c in children if c.dep_ in ("oprd", "acomp")), None)
    if obj is not None and complement is not None:  # "called the talks 'productive'"
        return _subtree_span(obj)[0], _subtree_span(complement)[1]
    if cue.dep_ in ("parataxis", "ccomp") and cue.i > cue.head.i and cue.left_edge.i > 0 and \
            cue.doc[cue.left_edge.i - 1].text in _AFTER_QUOTE:  # '"…," he said' parsed with "said" below
        return _rest_of_clause(cue)
    if any(c.lower_ == "as" and any(g.dep_ == "pcomp" for g in c.children) for c in children):
        return None  # "reported X as saying …": the attribution is X's, found from "saying"
    if _points_back(cue):
        return _SENTENCE_BEFORE
    if obj is not None and obj.tag_ != "PRP" and cue.lower_ not in ("told", "tells", "tell", "asked"):
        return _subtree_span(obj)
    return None


def _points_back(cue) -> bool:
    """'This was stated by X': a passive cue whose subject is a demonstrative reports the sentence before."""
    subject = next((c for c in cue.children if c.dep_ == "nsubjpass"), None)
    return subject is not None and subject.lower_ in ("this", "that", "these", "it") and \
        any(c.dep_ == "agent" for c in cue.children)


def _after_colon(cue) -> tuple[int, int] | None:
    """'Kallas said in a statement: …': what follows the colon; an empty span at the sentence end when the colon
    ends the sentence (the quotation that follows is matched later)."""
    text = cue.doc.text
    attached = {cue.i, *(child.i for child in cue.children)}
    colon = next((t for t in cue.doc[cue.i + 1:] if t.text == ":" and t.head.i in attached), None)
    if colon is None:
        return None
    rest = text[colon.idx + 1:].strip()
    return (colon.idx + 1, len(text)) if rest else (len(text), len(text))


def _rest_of_clause(token) -> tuple[int, int] | None:
    """The span of ``token``'s head clause without ``token``'s own subtree: the longer side of it."""
    head = token.head if token.head is not token else token
    own = {t.i for t in token.subtree}
    left = [t for t in head.subtree if t.i < min(own)]
    right = [t for t in head.subtree if t.i > max(own)]
    side = max((left, right), key=lambda part: sum(not t.is_punct for t in part))
    if not side:
        return None
    return side[0].idx, side[-1].idx + len(side[-1])


def _subtree_span(token) -> tuple[int, int]:
    tokens = list(token.subtree)
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1])


def _phrase_span(token) -> tuple[int, int]:
    """The source phrase: the token with its modifiers, without a relative clause or a trailing apposition's
    clause."""
    kept = [token]
    for child in token.children:
        if child.dep_ in ("relcl", "acl", "punct", "cc", "conj") and child.i > token.i:
            continue
        kept.extend(child.subtree)
    kept.sort(key=lambda t: t.i)
    return kept[0].idx, kept[-1].idx + len(kept[-1])


def _head_span(token) -> tuple[int, int]:
    """The head word, widened to its compound name ("Politico Europe", "Dmitry Peskov"), or the last word of a name
    apposed to it ("EU High Representative …, Kaia Kallas")."""
    appos = next((c for c in token.children if c.dep_ == "appos" and c.tag_ in _NAME_TAGS), None)
    if appos is not None:
        return appos.idx, appos.idx + len(appos)
    names = [token] + [c for c in token.lefts if c.dep_ == "compound" and c.tag_ in _NAME_TAGS
                       and all(t.dep_ == "compound" and t.tag_ in _NAME_TAGS for t in c.doc[c.i:token.i])]
    names.sort(key=lambda t: t.i)
    return names[0].idx, token.idx + len(token)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    return start, end


# --------------------------------------------------------------------------------------------------------------
# Quotations and headlines


def _with_quotations(text: str, found: list[Attribution]) -> list[Attribution]:
    """Widen each content to the quotations it overlaps, join the two halves of a split quotation, and add the
    quotations nobody is credited with."""
    quotes = [match.span() for match in _QUOTED.finditer(text)]
    starts = [q[0] for q in quotes]
    used: set[int] = set()
    out = []
    for item in found:
        inside = bisect.bisect_right(starts, item.cue_start) - 1
        if inside >= 0 and item.cue_start < quotes[inside][1] and \
                len(text[quotes[inside][0]:quotes[inside][1]].split()) >= MIN_UNATTRIBUTED_WORDS:
            continue  # "I think …" inside a quotation: the quotation is the speaker's, not a new attribution
        start, end = item.content_start, item.content_end
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        hits = [i for i in range(first, len(quotes)) if quotes[i][0] < end and quotes[i][1] > start]
        attribution_end = max(x for x in (item.cue_end, item.source_end) if x is not None)
        attribution_start = min(x for x in (item.cue_start, item.source_start) if x is not None)
        if hits and quotes[hits[-1]][1] <= attribution_start:
            following = hits[-1] + 1  # '"…," he said, "…"': the second half opens right after the attribution
            if following < len(quotes) and _only_punctuation(text, attribution_end, quotes[following][0]) and \
                    "\n" not in text[attribution_end:quotes[following][0]]:
                hits.append(following)
        if item.content_start == item.content_end:  # 'X said:' at a sentence end: the quotation right after
            following = bisect.bisect_left(starts, item.content_end)
            if following < len(quotes) and not text[item.content_end:quotes[following][0]].strip():
                hits = [following]
            else:
                continue
        if not hits:
            out.append(item)
            continue
        used.update(hits)
        start, end = min(start, quotes[hits[0]][0]), max(end, quotes[hits[-1]][1])
        quoted = sum(quotes[i][1] - quotes[i][0] for i in hits)
        # Direct when quotations make up most of it, not 'called the talks "productive"'.
        direct = item.kind == "reported" and quoted * 3 >= (end - start) * 2
        out.append(_replace(item, start, end, "direct" if direct else item.kind))
    sourced = sorted((item.cue_start, item) for item in out if item.source_start is not None)
    cue_starts = [c for c, _ in sourced]
    for index, (start, end) in enumerate(quotes):
        if index not in used:
            item = _nearest_speaker(text, start, end, sourced, cue_starts)
            if item.source_start is not None or len(text[start:end].split()) >= MIN_UNATTRIBUTED_WORDS:
                out.append(item)
    return out


def _nearest_speaker(text: str, start: int, end: int, sourced: list, cue_starts: list[int]) -> Attribution:
    """A quotation without its own attribution: credited to the attribution nearest to it in its paragraph,
    else to the last one in the paragraph before (a quote-only paragraph continues the previous speaker)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    lo, hi = bisect.bisect_left(cue_starts, line_start), bisect.bisect_left(cue_starts, line_end)
    candidates = [item for _, item in sourced[lo:hi]]
    if not candidates and lo > 0:
        previous = sourced[lo - 1][1]
        gap = text[previous.cue_end:line_start]
        if gap.count("\n") <= 2 and previous.kind == "direct":
            candidates = [previous]
    if not candidates:
        return Attribution(None, None, None, None, start, end, "direct")
    best = min(candidates, key=lambda item: min(abs(item.cue_start - end), abs(item.cue_start - start)))
    return _replace(best, start, end, "direct")


def _only_punctuation(text: str, start: int, end: int) -> bool:
    return start <= end and not text[start:end].strip(" ,:;-—–\t\n")


def _replace(item: Attribution, start: int, end: int, kind: str) -> Attribution:
    return dataclasses.replace(item, content_start=start, content_end=end, kind=kind)


def _headlines(text: str) -> list[Attribution]:
    """'Putin cannot achieve his goals on battlefield, - Kallas': a line ending in a dash and a name; and
    'Kallas: Putin cannot achieve his goals': a line opening with a name and a colon."""
    out = []
    for match in _HEADLINE_COLON.finditer(text):
        s_start, s_end = match.span("source")
        c_start, c_end = _trim(text, *match.span("content"))
        if len(text[c_start:c_end].split()) >= 3:
            out.append(Attribution(s_start, s_end, s_end, s_end + 1, c_start, c_end, "headline", s_start, s_end))
    for line in _LINE.finditer(text):
        tail = _DASH_TAIL.search(text, line.start(), line.end()) if re.search(r"\s[-—–]", line.group()) else None
        if tail is None or len(text[line.start():tail.start()].split()) < 4:
            continue
        c_start, c_end = _trim(text, line.start(), tail.start())
        s_start, s_end = tail.span("source")
        dash = text.rfind("-", c_end, s_start)
        dash = max(dash, text.rfind("—", c_end, s_start), text.rfind("–", c_end, s_start))
        out.append(Attribution(s_start, s_end, dash, dash + 1, c_start, c_end, "headline", s_start, s_end))
    return out


def _deduplicated(found: list[Attribution]) -> list[Attribution]:
    """One attribution per content: of items whose contents overlap by more than half, the first with a source
    (in text order) is kept."""
    found = sorted(found, key=lambda a: (a.content_start, -a.content_end, a.source_start is None))
    kept: list[Attribution] = []
    for item in found:
        clash = next((k for k, other in enumerate(kept) if _overlap(item, other)), None)
        if clash is None:
            kept.append(item)
        elif kept[clash].source_start is None and item.source_start is not None:
            kept[clash] = item
    return sorted(kept, key=lambda a: (a.content_start, a.content_end))


def _overlap(a: Attribution, b: Attribution) -> bool:
    shared = min(a.content_end, b.content_end) - max(a.content_start, b.content_start)
    shorter = min(a.content_end - a.content_start, b.content_end - b.content_start)
    return shared > 0 and shared * 2 >= shorter
