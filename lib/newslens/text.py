"""Sentence splitting and word tokens, offline.

Sentences come from NLTK's Punkt algorithm with a fixed, shipped set of English abbreviations (no trained model is
downloaded, so results never depend on a user's ``~/nltk_data``). Paragraph and line breaks always end a sentence:
scraped news puts headlines, bylines and bullet points on lines of their own, without final punctuation.

Public surface:
    sentence_spans(text) -> list[(start, end)]       character offsets into ``text``
    sentences(text) -> list[str]
    word_spans(text) -> list[(start, end)]           word-like tokens with offsets
"""
from __future__ import annotations

import functools
import re

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

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


@functools.lru_cache(maxsize=1)
def _punkt() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, in order, stripped of surrounding white space."""
    spans: list[tuple[int, int]] = []
    punkt = _punkt()
    start = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        block = text[start:end]
        if block.strip():
            spans.extend((start + s, start + e) for s, e in punkt.span_tokenize(block))
        if match:
            start = match.end()
    return spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of word tokens (letters first; numbers and punctuation are not words)."""
    return [m.span() for m in WORD_PATTERN.finditer(text)]
