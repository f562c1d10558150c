"""Actors: the registry, their mentions in the text, unknown names, and who says what.

Public surface (plain data in, plain data out):
    Actor, RegistryError
    load_registry(path) -> list[Actor]
    parse_registry(data, source) -> list[Actor]
    find_mentions(documents, registry, jobs=1) -> DataFrame
    actors_by_mentions(mentions) -> Index                                  the most mentioned first
    most_mentioned_first(per_actor) -> Index                              ties by name
    found_by_counts(mentions) -> DataFrame                                actors × way found
    mention_counts(mentions, max_actors=None, max_documents=None) -> DataFrame  actors × documents
    tally_quotes(quotes) -> QuoteTally                                    quotes per speaker, documents, unattributed
    unknown_names(documents, registry, min_count=2, ignore=(), jobs=1) -> DataFrame
    find_quotes(documents, registry, mentions, attributions=None) -> DataFrame
  Discovery (actors proposed from the text, no registry needed):
    find_entities(documents, jobs=1, cache_dir=None) -> DataFrame        spaCy's PERSON / ORG / GPE / NORP entities
    discover_actors(documents, entities, min_mentions=1, max_actors=None) -> (list[Actor], DataFrame)
    merge_registries(registry, discovered) -> list[Actor]                 the user's entries win
    registry_yaml(actors) -> str                                          the registry format, to edit and pass back
    actors_for_corpus(documents, corpus, actors_file="", discover=True, ...) -> ActorSetup
    cached_attributions(documents, jobs=1, cache_dir=None, parsed=None) -> list[list[Attribution]]
    actor_tables(documents, corpus, actors_file="", ...) -> ActorTables   all of the above, cached per corpus

``documents`` is a DataFrame with columns ``doc_id`` and ``text``; every span is a character offset into ``text``.
Mentions may also be given as ``newslens.parts.Parts`` (as ``actor_tables`` keeps them) wherever they are counted.

Rules worth knowing (the registry file explains the user-facing ones):
* Names match longest first and ignore case, except short all-capital aliases ("US", "EU") which must match exactly,
  so the pronoun "us" is never the United States. A name written all in lower case is skipped ("trump card").
* Descriptors ("the Russian dictator") are matched separately. One right before a capitalised word is a title
  ("Kremlin spokesman Dmitry Peskov") and is dropped, since the name that follows is the mention. Generic
  descriptors, written all in lower case in the registry ("the top diplomat"), count only in documents that also
  name the actor.
* Titles: "the spokesman" goes to the one person the document named with that title earlier ("Kremlin spokesman
  Dmitry Peskov", "Dmitry Peskov, the Kremlin's spokesman"); never "the president" (most often the sitting one,
  named or not), nor a title two people of the document hold.
* Pronouns: he/him/his/himself and she/her/hers/herself go to people of that gender; "its" goes to a country,
  place or organisation in the same sentence; "it" and "they" are never resolved (too often expletive or plural).
* Quotes come from ``newslens.attribution`` (spaCy's parse). A source is a registry actor only when one of its
  mentions covers the source's head word with nothing but titles before it ("President Donald Trump" is Trump,
  "Politico Europe" is not Europe, "Sources close to the Kremlin" is not the Kremlin); other sources are kept, with
  no speaker, never moved onto the nearest actor.
"""
from __future__ import annotations

import bisect
import difflib
import functools
import itertools
import re
import tempfile
from array import array
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from newslens.attribution import Attribution, attribution_memo, find_attributions_many
from newslens.cleaning import credit_spans
from newslens.corpus import DocumentTexts, computed_apart, text_chars
from newslens.memo import SentenceMemo
from newslens.memory import MappedArray, drop_mapped_pages, dropping, release_free_memory
from newslens.nlp import PIPE_BATCH
from newslens.parallel import in_fresh_process, kept_workers
from newslens.parts import Parts, PartsWriters, frames_of
from newslens.text import (PackedSplits, flat_spans, paired_spans, remember_splits, remembered_splits, sentence_spans,
                           split_sentences)

KINDS = ("person", "country", "place", "organisation")
GENDERS = ("male", "female")
FIELDS = ("name", "kind", "aliases", "descriptors", "gender", "affiliation")

MENTION_COLUMNS = ["doc_id", "actor", "surface", "start", "end", "sent_start", "sent_end", "found_by",
                   "antecedent_start"]
QUOTE_COLUMNS = ["doc_id", "speaker", "cue", "quote", "quote_start", "quote_end", "sent_start", "how",
                 "speaker_start", "speaker_end", "source"]
UNKNOWN_COLUMNS = ["name", "count", "documents", "example"]


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()
    gender: str | None = None
    affiliation: str | None = None


# --------------------------------------------------------------------------------------------------------------
# Registry


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_registry(path: str | Path) -> list[Actor]:
    """Read and validate a YAML registry (a mapping with a list under ``actors``, or the bare list)."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise RegistryError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise RegistryError(f"{path}: not valid YAML: {error}") from None
    return parse_registry(data, source=str(path))


def parse_registry(data: Any, source: str = "<registry>") -> list[Actor]:
    """Validate already-parsed registry data; errors read "<source>: actor #3 'Kallas': <problem>"."""
    if isinstance(data, dict):
        extra = sorted(set(data) - {"actors"})
        if extra:
            raise RegistryError(f"{source}: unknown top-level key {extra[0]!r} (expected 'actors')")
        data = data.get("actors")
    if not isinstance(data, list) or not data:
        raise RegistryError(f"{source}: expected a non-empty list of actors under 'actors'")

    actors: list[Actor] = []
    owner: dict[str, str] = {}  # normalised alias or descriptor -> canonical name
    names: set[str] = set()  # a set, not owner.values(): searching those was quadratic (36 s for 50,000 actors)
    for number, entry in enumerate(data, start=1):
        label = f"{source}: actor #{number}"
        if not isinstance(entry, dict):
            raise RegistryError(f"{label}: expected a mapping with name, kind, aliases, ..., got {entry!r}")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"{label}: empty or missing name")
        name = " ".join(name.split())
        label = f"{label} {name!r}"
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise RegistryError(f"{label}: unknown field {unknown[0]!r} (allowed: {', '.join(FIELDS)})")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise RegistryError(f"{label}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        gender = entry.get("gender")
        if gender is not None and (kind != "person" or gender not in GENDERS):
            raise RegistryError(f"{label}: gender must be 'male' or 'female' and only for a person, got {gender!r}")
        affiliation = entry.get("affiliation")
        if affiliation is not None and (not isinstance(affiliation, str) or not affiliation.strip()):
            raise RegistryError(f"{label}: affiliation must be the name of another actor, got {affiliation!r}")
        aliases = _phrases(entry, "aliases", label)
        descriptors = _phrases(entry, "descriptors", label)
        if name in names:
            raise RegistryError(f"{label}: name {name!r} is already used by another entry")
        names.add(name)
        for phrase in (name, *aliases, *descriptors):
            key = _normalise(phrase)
            if owner.get(key, name) != name:
                raise RegistryError(f"{label}: alias {phrase!r} also claimed by {owner[key]!r}")
            owner[key] = name
        actors.append(Actor(name, kind, aliases, descriptors, gender, affiliation and affiliation.strip()))

    for number, actor in enumerate(actors, start=1):
        if actor.affiliation is not None and (actor.affiliation not in names or actor.affiliation == actor.name):
            raise RegistryError(f"{source}: actor #{number} {actor.name!r}: affiliation {actor.affiliation!r} "
                                f"is not another actor of the registry")
    return actors


def _phrases(entry: dict, field: str, label: str) -> tuple[str, ...]:
    value = entry.get(field) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RegistryError(f"{label}: {field} must be a list of strings, got {value!r}")
    phrases = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise RegistryError(f"{label}: empty entry in {field}: {item!r}")
        phrases.append(" ".join(item.split()))
    return tuple(dict.fromkeys(phrases))


def _normalise(phrase: str) -> str:
    return " ".join(phrase.replace("’", "'").casefold().split())


# --------------------------------------------------------------------------------------------------------------
# Matching machinery, compiled once per registry

# A token boundary; a dot before the name keeps "R.US" or "e.U" from matching.
_BEFORE = r"(?<![\w.])"
_AFTER = r"(?!\w)"
_PRONOUNS = {
    "he": "male", "him": "male", "his": "male", "himself": "male",
    "she": "female", "her": "female", "hers": "female", "herself": "female",
    "its": "thing",
}
_PRONOUN_RE = re.compile(r"\b(?:" + "|".join(_PRONOUNS) + r")\b", re.IGNORECASE)
_POSSESSIVE_RE = re.compile(r"['’]s?(?!\w)")
_CAPITALISED_NEXT = re.compile(r"[^\S\n]+[A-Z]")
_APPOSITION = re.compile(r",[^\S\n]+")


def _is_exact_case(alias: str) -> bool:
    letters = alias.replace(".", "")
    return letters.isupper() and len(letters) <= 4


def _phrase_char(char: str) -> str:
    if char == " ":
        return r"[^\S\n]+"
    if char in "'’":
        return "['’]"
    return re.escape(char)


def _trie_regex(phrases: Iterable[str]) -> str:
    """One alternation over all phrases, factored as a trie so the regex engine never tries hundreds of branches
    at each position; greedy optional tails make the longest phrase win."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(_phrase_char(char), {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [key + build(child) for key, child in sorted(node.items()) if key]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class _Matcher:
    def __init__(self, registry: Sequence[Actor]):
        self.actors = {actor.name: actor for actor in registry}
        # normalised surface -> (actor, "name" | "alias", whether the registry spells it with capitals)
        self.names: dict[str, tuple[str, str, bool]] = {}
        self.descriptors: dict[str, tuple[str, bool]] = {}  # normalised -> (actor, generic)
        exact, loose = [], []
        for actor in registry:
            for alias in (actor.name, *actor.aliases):
                self.names[_normalise(alias)] = (actor.name, "name" if alias == actor.name else "alias",
                                                 not alias.islower())
                if _is_exact_case(alias):
                    exact.append(alias)
                else:
                    loose.append(alias.lower())
            for descriptor in actor.descriptors:
                self.descriptors[_normalise(descriptor)] = (actor.name, descriptor == descriptor.lower())
        self.exact_re = self._compile(sorted(exact, key=len, reverse=True), 0, trie=False)
        self.loose_re = self._compile(loose, re.IGNORECASE)
        self.descriptor_re = self._compile([d.lower() for actor in registry for d in actor.descriptors], re.IGNORECASE)

    @staticmethod
    def _compile(phrases: list[str], flags: int, trie: bool = True) -> re.Pattern | None:
        if not phrases:
            return None
        body = _trie_regex(phrases) if trie else "|".join("".join(map(_phrase_char, p)) for p in phrases)
        return re.compile(f"{_BEFORE}(?:{body}){_AFTER}", flags)


@functools.lru_cache(maxsize=8)
def _matcher(registry: tuple[Actor, ...]) -> _Matcher:
    return _Matcher(registry)


def _documents(documents: pd.DataFrame) -> Iterable[tuple[str, str]]:
    return zip(documents["doc_id"].astype(str), documents["text"].fillna("").astype(str))


def _texts_by_key(documents: pd.DataFrame) -> tuple[list[str], dict[str, int], Callable[[str], str]]:
    """The text key (``cache.text_key``) of each of ``documents``, in order; each key's text length; and a function
    that gives a key's text, read from the table when asked for (the texts are not all held as Python strings)."""
    from newslens.cache import text_key

    texts = documents["text"].fillna("").astype(str)
    keys, lengths, place_of = [], {}, {}
    for place, text in enumerate(dropping(texts.array)):
        keys.append(text_key(text))
        lengths[keys[-1]], place_of[keys[-1]] = len(text), place  # a key twice: the same text

    def text_of(key: str) -> str:
        return str(texts.iat[place_of[key]])

    return keys, lengths, text_of


# --------------------------------------------------------------------------------------------------------------
# Mentions


def find_mentions(documents: pd.DataFrame, registry: Sequence[Actor], jobs: int = 1) -> pd.DataFrame:
    """Every mention of a registry actor, in document and text order.

    Columns: doc_id, actor (canonical name), surface (the text as written), start, end (character span in the
    document text), sent_start, sent_end (span of the sentence holding it), found_by ("name", "alias",
    "descriptor", "title" or "pronoun") and antecedent_start (for pronouns, the start of the mention it was
    resolved to; otherwise missing). ``jobs``: worker processes (``newslens.parallel.map_chunks``) from
    ``MATCH_PARALLEL_CHARS`` of text; 0: every core; the same rows for any number.
    """
    # Each document goes with its sentences (as one flat array of offsets: a large corpus has millions of
    # sentences), so that no worker splits a text again; this process has them.
    docs = [(doc_id, text, flat_spans(sentence_spans(text))) for doc_id, text in _documents(documents)]
    # A table per chunk, joined at the end: the 8.5 million mentions of a 100,000-article corpus as Python tuples
    # would take about three times the memory of the table.
    frames = [frame for frame in _map_documents(functools.partial(_chunk_mentions, tuple(registry)), docs, jobs)
              if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else _mention_frame([])


def actors_by_mentions(mentions: pd.DataFrame | Parts) -> pd.Index:
    """The actors of ``mentions`` (a table or its ``Parts``), the most mentioned first, ties by name."""
    return most_mentioned_first(_counted(mentions, ["actor"]))


def found_by_counts(mentions: pd.DataFrame | Parts) -> pd.DataFrame:
    """Mentions per actor (rows, column ``actor``, the most mentioned first) and way found (a column per
    ``found_by`` value: "name", "alias", "descriptor", "title", "pronoun")."""
    counts = _counted(mentions, ["actor", "found_by"]).unstack(fill_value=0)
    return counts.reindex(most_mentioned_first(counts.sum(axis=1))).reset_index()


def most_mentioned_first(per_actor: pd.Series) -> pd.Index:
    """The actors of ``per_actor`` (mentions, indexed by actor in name order), the most mentioned first."""
    return per_actor.sort_values(ascending=False, kind="stable").index


def mention_counts(mentions: pd.DataFrame | Parts, max_actors: int | None = None,
                   max_documents: int | None = None) -> pd.DataFrame:
    """Mentions per actor (rows, the most mentioned first, ties by name) and document (columns: every document with
    a mention, in ``doc_id`` order).

    With ``max_actors``, only the rows of that many most mentioned actors, and with ``max_documents``, only the
    columns of that many first documents: thousands of discovered actors by 100,000 documents would otherwise be a
    table of hundreds of megabytes for a figure that shows forty rows and forty columns.
    """
    order = actors_by_mentions(mentions)[:max_actors]
    documents = sorted(set().union(*(frame["doc_id"].unique() for frame in frames_of(mentions, ["doc_id"]))))
    wanted, columns = set(order), documents[:max_documents]
    shown = set(columns)
    counts = _counted(mentions, ["actor", "doc_id"],
                      lambda frame: frame[frame["actor"].isin(wanted) & frame["doc_id"].isin(shown)])
    return counts.unstack(fill_value=0).reindex(index=order, columns=columns, fill_value=0)


@dataclass(frozen=True)
class QuoteTally:
    """Who gets to speak, counted over a quotes table (``find_quotes``, or its parts)."""
    quotes: int  # quotes and reported speech found
    documents: int  # documents with at least one
    unattributed: int  # from a source that is no actor (speaker "")
    per_speaker: pd.DataFrame  # speaker, quotes: one row per actor quoted, the most quoted first, ties by name


def tally_quotes(quotes: pd.DataFrame | Parts) -> QuoteTally:
    """Quotes per speaker and in all, counted part by part (the 1.9 million quotes of 100,000 articles are never
    held whole: their doc_id and speaker alone took 250 MB)."""
    per_speaker: Counter = Counter()
    documents: set = set()
    for frame in frames_of(quotes, ["doc_id", "speaker"]):
        per_speaker.update(frame["speaker"].fillna("").astype(str).value_counts().to_dict())
        documents.update(frame["doc_id"].unique())
    unattributed = per_speaker.pop("", 0)
    table = pd.DataFrame(sorted(per_speaker.items(), key=lambda item: (-item[1], item[0])),
                         columns=["speaker", "quotes"]).astype({"speaker": object, "quotes": "int64"})
    return QuoteTally(len(quotes), len(documents), unattributed, table)


def _counted(table: pd.DataFrame | Parts, keys: list[str], rows=None) -> pd.Series:
    """Rows per value of ``keys`` (sorted by them), summed over the parts; ``rows(frame)`` picks the rows to
    count."""
    sizes = [(frame if rows is None else rows(frame)).groupby(keys).size() for frame in frames_of(table, keys)]
    return pd.concat(sizes).groupby(level=list(range(len(keys)))).sum()


def _chunk_mentions(registry: tuple[Actor, ...], docs: list[tuple]) -> pd.DataFrame:
    """The mentions of some (doc_id, text, ``flat_spans`` of its sentences): the work of one chunk, in any
    process."""
    matcher = _matcher(registry)
    return _mention_frame([(doc_id, *row) for doc_id, text, offsets in docs
                           for row in _document_mentions(text, matcher, paired_spans(offsets))])


def _mention_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    return frame.astype({"start": "int64", "end": "int64", "sent_start": "int64", "sent_end": "int64",
                         "antecedent_start": "Int64"})


def _document_mentions(text: str, matcher: _Matcher, sentences: Sequence[tuple[int, int]]) -> list[tuple]:
    starts = [s for s, _ in sentences]

    def sentence_of(position: int) -> int:
        return max(bisect.bisect_right(starts, position) - 1, 0)

    # Names: both regexes, then the longest of overlapping candidates.
    candidates = []
    for pattern in (matcher.exact_re, matcher.loose_re):
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            surface = match.group()
            actor, found_by, cased = matcher.names[_normalise(surface)]
            if cased and surface.islower():
                continue
            candidates.append((match.start(), match.end(), actor, found_by))
    credits = credit_spans(text)
    names = _non_overlapping([c for c in candidates if not _overlaps(credits, c[0], c[1])])
    name_at = {start: actor for start, _, actor, _ in names}
    named_actors = {actor for *_, actor, _ in names}

    mentions = list(names)
    if matcher.descriptor_re is not None:
        taken = []
        for match in matcher.descriptor_re.finditer(text):
            actor, generic = matcher.descriptors[_normalise(match.group())]
            if generic and actor not in named_actors:
                continue
            if _CAPITALISED_NEXT.match(text, match.end()) or _overlaps(credits, *match.span()):
                continue  # a title in front of a name; a credit
            apposition = _APPOSITION.match(text, match.end())
            if apposition and name_at.get(apposition.end()) == actor:
                continue  # "the head of EU diplomacy, Kaia Kallas": the name is the mention
            taken.append((match.start(), match.end(), actor, "descriptor"))
        # A kept descriptor is one reference: names inside it ("Kremlin" in "Kremlin spokesman") are not extra.
        mentions = [m for m in mentions if not any(d[0] <= m[0] and m[1] <= d[1] for d in taken)] + taken
    mentions += [m for m in _title_mentions(text, names, matcher)
                 if not any(other[0] < m[1] and m[0] < other[1] for other in mentions)]
    mentions.sort()

    rows = []
    resolved: list[tuple[int, int, str, int, bool]] = []  # start, end, actor, sentence, possessive
    pronouns = [(m.start(), m.end(), None, "pronoun") for m in _PRONOUN_RE.finditer(text)]
    for start, end, actor, found_by in _merge_sorted(mentions, pronouns):
        sentence = sentence_of(start)
        antecedent = None
        if found_by == "pronoun":
            if any(m[0] <= start < m[1] for m in resolved[-3:]):
                continue
            hit = _resolve_pronoun(text, start, end, sentence, resolved, matcher)
            if hit is None:
                continue
            actor, antecedent = hit
        # "his"/"its" are determiners, never a sentence's subject, so they count as possessives for the subject rule.
        possessive = bool(_POSSESSIVE_RE.match(text, end)) or text[start:end].lower() in ("his", "its")
        resolved.append((start, end, actor, sentence, possessive))
        sent_start, sent_end = sentences[sentence] if sentences else (0, len(text))
        rows.append((actor, text[start:end], start, end, sent_start, sent_end, found_by, antecedent))
    return rows


# "Sen. Sanders", "Gov. Kasich": the title an abbreviation stands for.
_TITLE_ABBREVIATIONS = {"sen": "senator", "rep": "representative", "gov": "governor", "gen": "general",
                        "pres": "president", "amb": "ambassador", "sec": "secretary"}
_WORD_BEFORE_NAME = re.compile(r"(?<![\w'’-])([A-Za-z]+)\.?[^\S\n]+$")
_WORDS_AFTER_NAME = re.compile(r",[^\S\n]+((?:[\w'’-]+[^\S\n]+){0,4}[\w'’-]+)")


def _title_mentions(text: str, names: list[tuple], matcher: "_Matcher") -> list[tuple]:
    """"the spokesman" of a document that named "Kremlin spokesman Dmitry Peskov" (or "Dmitry Peskov, the Kremlin's
    spokesman") earlier, and no other person of that document with that title: a mention of Peskov, found by
    "title". A reader resolves these; left out, "the spokesman noted" had no speaker."""
    titled: dict[str, dict[str, int]] = defaultdict(dict)  # title -> person -> where first so named
    for start, end, actor, _ in names:
        if matcher.actors[actor].kind == "person":
            for title in _titles_at(text, start, end):
                titled[title].setdefault(actor, start)
    found, name_ends = [], {end for _, end, _, _ in names}
    for match in _THE_TITLE.finditer(text):
        if text[match.start() - 2:match.start()] == ", " and match.start() - 2 in name_ends:
            continue  # apposed to a name ("Tim Cook, the chief executive"): the name is the mention
        if _BE_BEFORE_TITLE.search(text, max(0, match.start() - 12), match.start()):
            continue
        holders = titled.get(match.group(1).lower(), {})
        if len(holders) == 1:
            (actor, named_at), = holders.items()
            if named_at < match.start():
                found.append((match.start(), match.end(), actor, "title"))
    return found


def _titles_at(text: str, start: int, end: int) -> set[str]:
    """The title heads written right before a name ("spokesman" of "Kremlin spokesman Dmitry Peskov", "senator" of
    "Sen. Bernie Sanders") or apposed to it (", the Kremlin's chief spokesman", ", the city's mayor", ", secretary of
    the council")."""
    titles = set()
    before = _WORD_BEFORE_NAME.search(text, max(0, start - 30), start)
    if before and (before.group().rstrip()[-1] != "." or before.group(1).lower() in _TITLE_ABBREVIATIONS):
        word = before.group(1).lower()  # not the word that ends a sentence ("… the nominee. Bernie Sanders")
        titles.add(_TITLE_ABBREVIATIONS.get(word, word))
    after = _WORDS_AFTER_NAME.match(text, end)
    if after:
        head = None  # the last head of the title's words: "chief spokesman" is a spokesman
        for written in after.group(1).split():
            word = re.sub(r"['’]s?$", "", written).lower()
            if word in _TITLE_HEAD_SET:
                head = word
            elif not (word in ("the", "a", "an") or word in _TITLE_MODIFIER_SET or written[:1].isupper()
                      or re.search(r"['’]s$", written)):  # "the city's mayor"
                break
        titles.add(head)
    return titles & _TITLE_HEAD_SET


def _non_overlapping(candidates: list[tuple]) -> list[tuple]:
    chosen, last_end = [], -1
    for candidate in sorted(candidates, key=lambda c: (c[0], c[0] - c[1])):
        if candidate[0] >= last_end:
            chosen.append(candidate)
            last_end = candidate[1]
    return chosen


def _merge_sorted(mentions: list[tuple], pronouns: list[tuple]) -> list[tuple]:
    return sorted(mentions + pronouns, key=lambda m: (m[0], m[3] == "pronoun"))


def _resolve_pronoun(text, start, end, sentence, resolved, matcher) -> tuple[str, int] | None:
    """The actor a pronoun refers to and the start of that antecedent, or None.

    The nearest compatible earlier mention in the same sentence wins. Failing that, the previous sentence (or the
    one before) that has one: its first non-possessive compatible mention, i.e. its likely subject. That fixes the
    common news pattern "Rubio said ... depended on Putin. He noted ...", where the nearest male name is the object,
    not the one who keeps talking.
    """
    wanted = _PRONOUNS[text[start:end].lower()]
    window = 0 if wanted == "thing" else 2  # "its" stays within its sentence: "it(s)" is too often expletive

    def compatible(actor_name: str) -> bool:
        actor = matcher.actors[actor_name]
        if wanted == "thing":
            return actor.kind in ("country", "place", "organisation")
        return actor.kind == "person" and actor.gender == wanted

    earlier = []  # newest first
    for mention in reversed(resolved):
        if sentence - mention[3] > window:
            break
        if compatible(mention[2]):
            earlier.append(mention)
    if not earlier:
        return None
    if earlier[0][3] == sentence:
        return earlier[0][2], earlier[0][0]
    in_sentence = [m for m in reversed(earlier) if m[3] == earlier[0][3]]
    chosen = next((m for m in in_sentence if not m[4]), in_sentence[-1])
    return chosen[2], chosen[0]


# --------------------------------------------------------------------------------------------------------------
# Unknown names

_NAME_RE = re.compile(r"(?<![\w.])(?:[A-Z][\w'’.-]*[\w]|[A-Z])(?:[^\S\n]+(?:[A-Z][\w'’.-]*\w))*")
_NOT_NAMES = frozenset(
    """
    A An The This That These Those It Its He She His Her We Our They Their I You Your In On At For From To By With
    Of And But Or If When While As After Before Since During Meanwhile However Also Earlier Later Then Now Today
    Yesterday Tomorrow There Here What Who Why How Where Which So Yet Still Although Though Read More Asked
    January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    President Prime Minister Secretary Foreign Minister Chancellor Mr Mrs Ms Dr Sir General Chief Deputy Senator
    Spokesman Spokeswoman Spokesperson Ambassador Envoy Special Head Vice Leader King Queen Pope
    """.split()
)


# Matching the registry costs about half a microsecond a character: worker processes (each starts Python and
# compiles the registry's patterns, a few seconds) repay themselves only on this much text.
MATCH_PARALLEL_CHARS = 10_000_000
_MATCH_CHUNK = 500  # documents


def _map_documents(function, docs: list[tuple], jobs: int) -> list:
    """``function`` over consecutive chunks of (doc_id, text, ...), in worker processes for large corpora."""
    from newslens.parallel import chunked, map_chunks

    jobs = jobs if sum(len(doc[1]) for doc in docs) >= MATCH_PARALLEL_CHARS else 1
    return map_chunks(function, chunked(docs, _MATCH_CHUNK), jobs=jobs)


UNKNOWN_MIN_COUNT = 2  # occurrences a name needs to be listed by unknown_names (and in notebook 02)
# Discovered actors kept by default, the most named (notebooks 02 and 03: discover_max_actors). Real news names
# people and places without end: PolNeAR's 924 articles have 6,653 discovered actors (4,227 named once), about
# 280,000 expected at 100,000 articles, and the matcher of a 200,000-actor registry took 12 s and grew the process
# from 246 to 713 MB, in every process that matches mentions (benchmarks/bench_vocabulary.py).
DISCOVER_MAX_ACTORS = 2000


def unknown_names(documents: pd.DataFrame, registry: Sequence[Actor], min_count: int = UNKNOWN_MIN_COUNT,
                  ignore: Iterable[str] = (), jobs: int = 1) -> pd.DataFrame:
    """Frequent capitalised names that no registry entry covers, most frequent first, to help extend the registry.

    Columns: name, count (occurrences), documents (number of documents), example (one sentence-sized snippet).
    Skipped: words inside a registry mention, titles, months and days, adjectives and demonyms of registered
    countries ("Russian", "Ukrainians"), and a capitalised first word of a sentence that also occurs in lower case
    in the corpus (an ordinary word that happens to open the sentence). ``jobs``: worker processes
    (``newslens.parallel.map_chunks``) from ``MATCH_PARALLEL_CHARS`` of text; 0: every core.
    """
    tally = _NameTally(registry, ignore)
    tally.add(documents, jobs)
    return tally.table(min_count, documents)


class _NameTally:
    """The counts behind ``unknown_names``, added a run of documents at a time (in document order, so that the
    example of a name is its first occurrence in the corpus).

    One row per distinct name (columns of ``_TALLY_COLUMNS``, text as pandas' Arrow strings) and the corpus's
    distinct lower-case words as one Arrow column: the names of a real corpus keep growing with it (PolNeAR: 13,499
    distinct at 924 articles, Heaps' exponent about 0.75), and Python counters of them with a snippet each held
    about 480 bytes a name (6.5 MB at 924 articles, some 200 MB at 100,000). The example snippets are cut only for
    the names listed, from their first occurrence, when the table is made."""

    def __init__(self, registry: Sequence[Actor], ignore: Iterable[str] = ()):
        self.registry = tuple(registry)
        self.skip = frozenset(_NOT_NAMES) | frozenset(ignore) | _demonyms(registry)
        self.names = _tally(pd.DataFrame(columns=_OCCURRENCE_COLUMNS))
        self.lower_words = pd.Series([], dtype="str")
        self.added = 0  # documents

    def add(self, documents: pd.DataFrame, jobs: int = 1) -> None:
        # Each document by its place among those added (a number, not its doc_id, in the tally of every name).
        numbered = [(self.added + place, text) for place, (_, text) in enumerate(_documents(documents))]
        self.added += len(numbered)
        found = _map_documents(functools.partial(_chunk_names, self.registry, self.skip), numbered, jobs)
        occurrences = pd.DataFrame([row for chunk in found for row in chunk["names"]], columns=_OCCURRENCE_COLUMNS)
        lower = pd.Series(sorted(set().union(*(chunk["lower_words"] for chunk in found))), dtype="str")
        del found
        # Earlier runs first: a name's first row stays its first occurrence (a document is in one run only).
        self.names = _merged([self.names, _tally(occurrences)])
        self.lower_words = pd.concat([self.lower_words, lower], ignore_index=True).drop_duplicates()

    def table(self, min_count: int, documents: pd.DataFrame) -> pd.DataFrame:
        """The names seen ``min_count`` times or more, an example each from ``documents`` (those added, in the
        order added)."""
        names = self.names
        # An ordinary word that only ever opens a sentence ("Negotiations are ...") is no name.
        ordinary = names["name"].str.lower().isin(self.lower_words) & (names["openers"] == names["count"])
        listed = names[~ordinary & (names["count"] >= min_count)]
        # Asked in document order (the names are in order of first occurrence), each text once.
        texts, doc_ids = DocumentTexts(documents), documents["doc_id"].astype(str)
        examples = [_snippet(texts[doc_ids.iat[document]], start, end)
                    for document, start, end in zip(listed["document"], listed["start"], listed["end"])]
        table = pd.DataFrame({"name": listed["name"], "count": listed["count"],
                              "documents": listed["documents"], "example": examples}, columns=UNKNOWN_COLUMNS)
        table = table.sort_values(["count", "documents", "name"], ascending=[False, False, True], kind="stable")
        return table.reset_index(drop=True)


# A name's occurrence (``_chunk_names``) and a name's tally (``_NameTally.names``).
_OCCURRENCE_COLUMNS = ["name", "document", "opener", "start", "end"]
_TALLY_COLUMNS = ["name", "count", "documents", "openers", "document", "start", "end"]


def _tally(occurrences: pd.DataFrame) -> pd.DataFrame:
    """``occurrences`` as a tally of one occurrence each (a document counted at a name's first row in it)."""
    occurrences = occurrences.astype({"name": "str", "document": "int64", "opener": "int64", "start": "int64",
                                      "end": "int64"})
    in_document_first = (~occurrences.duplicated(["name", "document"])).astype("int64")
    return occurrences.assign(count=1, documents=in_document_first, openers=occurrences["opener"])[_TALLY_COLUMNS]


def _merged(tallies: list[pd.DataFrame]) -> pd.DataFrame:
    """Tallies of different documents as one, a row per name in order of first occurrence, with its number of
    occurrences, of documents, of one-word sentence openers, and its first occurrence (document, start, end)."""
    merged = pd.concat(tallies, ignore_index=True).groupby("name", sort=False).agg(
        count=("count", "sum"), documents=("documents", "sum"), openers=("openers", "sum"),
        document=("document", "first"), start=("start", "first"), end=("end", "first"))
    return merged.reset_index()[_TALLY_COLUMNS]


def _chunk_names(registry: tuple[Actor, ...], skip: frozenset[str], docs: list[tuple[int, str]]) -> dict:
    """The uncovered capitalised names of some (document, text), each as (name, document, whether it is a one-word
    sentence opener, start, end: ``_OCCURRENCE_COLUMNS``), and the lower-case words of the texts."""
    matcher = _matcher(registry)
    names, lower_words = [], set()
    for document, text in docs:
        covered = bytearray(len(text))
        for start, end in [*_name_and_descriptor_spans(text, matcher), *credit_spans(text)]:
            covered[start:end] = b"\x01" * (end - start)
        lower_words.update(re.findall(r"\b[a-z][a-z'’-]+\b", text))
        for start, end in _name_spans(text):
            if 1 in covered[start:end]:
                continue
            words = text[start:end].split()
            opener = _opens_sentence(text, start)
            while words and words[0] in skip:
                words.pop(0)
                opener = False
            if len(words) > 1:
                words = [w for w in words if w not in skip]
            if words:
                names.append((" ".join(words), document, len(words) == 1 and opener, start, end))
    return {"names": names, "lower_words": lower_words}


def _name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Runs of capitalised words, cut at possessives ("Crimea’s Black Sea" is two names)."""
    for match in _NAME_RE.finditer(text):
        start = match.start()
        for possessive in _POSSESSIVE_RE.finditer(text, start, match.end()):
            yield start, possessive.start()
            start = possessive.end() + 1
        if start < match.end():
            yield start, match.end()


def _name_and_descriptor_spans(text: str, matcher: _Matcher) -> Iterable[tuple[int, int]]:
    """Everything a registry phrase matches, without sentence splitting or pronouns (cheap)."""
    for pattern in (matcher.exact_re, matcher.loose_re, matcher.descriptor_re):
        if pattern is not None:
            yield from (m.span() for m in pattern.finditer(text))


def _demonyms(registry: Sequence[Actor]) -> set[str]:
    forms = set()
    for actor in registry:
        if actor.kind == "person":
            continue
        for alias in (actor.name, *actor.aliases):
            if " " in alias or not alias[:1].isupper():
                continue
            for stem in (alias, alias[:-1]):
                for suffix in ("n", "an", "ian", "ese", "ish"):
                    forms.update({stem + suffix, stem + suffix + "s"})
    return forms


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 6):start].rstrip(" \t\"“”‘’'«»()-–—•*")
    return not before or before[-1] in ".!?:\n"


def _snippet(text: str, start: int, end: int, width: int = 80) -> str:
    """The line around a span, clipped to whole words about ``width`` characters either side."""
    left = max(text.rfind("\n", 0, start) + 1, start - width)
    right = text.find("\n", end)
    right = min(right if right >= 0 else len(text), end + width)
    if left > 0 and text[left - 1] not in " \n":
        left = min(text.find(" ", left, start) + 1 or start, start)
    if right < len(text) and text[right] not in " \n":
        right = max(text.rfind(" ", end, right), end)
    return " ".join(text[left:right].split())


# --------------------------------------------------------------------------------------------------------------
# Quotes and speakers

# Words that may stand in front of an actor's name inside one source phrase without making it another name:
# titles ("President Donald Trump") and words in lower case ("spokesman"). "Politico Europe" is an outlet, not Europe.
_TITLES = _NOT_NAMES
_QUOTE_EDGE = " \t\n,:;\"“”«»„'‘’-—–"
_TRAILING_JOINER = re.compile(r"[\s,;:—–-]*(?:\b(?:and|but)\b)?(?:\s+(?:also|[a-z]+ly))*[\s,;:—–-]*$")


def find_quotes(documents: pd.DataFrame, registry: Sequence[Actor], mentions: pd.DataFrame,
                attributions: Sequence[Sequence[Attribution]] | None = None) -> pd.DataFrame:
    """Direct and reported speech with a source, the source linked to a registry actor when it is one.

    Columns: doc_id, speaker (canonical name of the actor the source is; missing when the source is no registry
    actor: "sources", "The Post", "a senior official"), cue (the reporting verb as written, "according to", "—" for
    a headline attribution "…, - Kallas", ":" for "Kallas: …"), quote (what is said, without quotation marks),
    quote_start, quote_end (its span), sent_start (the sentence of the cue), how ("direct" for quoted text,
    "reported" for "X said that …", "according_to", "passive" for "This was stated by X", "headline"),
    speaker_start, speaker_end (span of the speaker's own mention, so that sentiment can leave it out; missing when
    unlinked), source (the source as written, linked or not).

    Attributions come from ``newslens.attribution.find_attributions_many`` (pass ``attributions``, one list per
    document, to reuse ones already computed). A source is an actor only when a mention in ``mentions`` covers its
    head word ("Putin's adviser Yuri Ushakov said" is Ushakov's, "Sources close to the Kremlin said" nobody's), with
    nothing but titles in front of it within the name ("Politico Europe reported" is not Europe); pronoun sources
    are the actor ``find_mentions`` resolved them to. ``registry`` is accepted for a uniform call.
    """
    if attributions is None:
        attributions = find_attributions_many([text for _, text in _documents(documents)])
    # Each document's mentions as row positions into the columns, not a table per document (100,000 of them at
    # 100,000 articles).
    rows_of = mentions.groupby("doc_id", sort=False).indices
    starts, ends = mentions["start"].to_numpy(), mentions["end"].to_numpy()
    # The actors as codes into their names: a Python string per mention was 366,557 of them in a run of 100,000
    # articles.
    actor_codes, actor_names = pd.factorize(mentions["actor"], use_na_sentinel=False)
    actor_names = np.asarray(actor_names, dtype=object)
    rows = []
    # The texts one at a time, and the rows let go once they are a table: the run's texts as a list and its rows as
    # tuples, held through the table's copies below, made the peak of the actor tables' process at 100,000 articles.
    for (doc_id, text), found in zip(_documents(documents), attributions):
        where = rows_of.get(doc_id)
        doc_mentions = [] if where is None else sorted(zip(starts[where].tolist(), ends[where].tolist(),
                                                           actor_names[actor_codes[where]].tolist()))
        rows.extend((doc_id, *row) for row in _document_quotes(text, found, doc_mentions))
    frame = pd.DataFrame(rows, columns=QUOTE_COLUMNS)
    del rows
    frame = frame.astype({"quote_start": "int64", "quote_end": "int64", "sent_start": "int64",  # also with no quote
                          "speaker_start": "Int64", "speaker_end": "Int64"})
    return frame.drop_duplicates(["doc_id", "source", "quote_start", "quote_end"]).reset_index(drop=True)


def _document_quotes(text: str, found: Sequence[Attribution], mentions: list[tuple[int, int, str]]) -> list[tuple]:
    starts = [start for start, _ in sentence_spans(text)]
    rows = []
    for item in found:
        if item.source_start is None:
            continue
        speaker = _speaker(text, item, mentions)
        q_start, q_end = _quote_span(text, item.content_start, item.content_end)
        if q_start >= q_end:
            continue
        cue_at = item.cue_start if item.cue_start is not None else item.content_start
        sent_start = starts[max(bisect.bisect_right(starts, cue_at) - 1, 0)] if starts else 0
        rows.append((speaker and speaker[2], _cue_text(text, item), text[q_start:q_end], q_start, q_end, sent_start,
                     item.kind, speaker and speaker[0], speaker and speaker[1],
                     text[item.source_start:item.source_end]))
    return rows


def _speaker(text: str, item: Attribution, mentions: list[tuple[int, int, str]]) -> tuple[int, int, str] | None:
    """The mention that is the source: it covers the end of the source's head word and nothing but titles or
    lower-case words stand before it within the head ("President Donald Trump", not "Politico Europe")."""
    head_start, head_end = item.head_start, item.head_end
    index = bisect.bisect_left(mentions, (head_start - 200,))
    for start, end, actor in mentions[index:]:
        if start >= head_end:
            break
        if start < head_end and end >= head_end and not _POSSESSIVE_RE.match(text, end):
            before = text[head_start:start].split() if start > head_start else []
            if all(word in _TITLES or not word[:1].isupper() for word in before):
                return start, end, actor
    return None


def _cue_text(text: str, item: Attribution) -> str:
    if item.cue_start is None:
        return ""
    cue = text[item.cue_start:item.cue_end]
    if item.kind == "according_to":
        return cue.lower()
    if item.kind == "headline" and cue in "-—–":
        return "—"
    return cue


def _quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim punctuation (a final "?" or "!" stays), quotation marks and a dangling "and"/"but", so the span holds
    just what was said."""
    while start < end and text[start] in _QUOTE_EDGE:
        start += 1
    trailing = _TRAILING_JOINER.search(text, start, end)
    if trailing is not None:
        end = trailing.start()
    while end > start and text[end - 1] in _QUOTE_EDGE + ".":
        end -= 1
    return start, end


def registry_for_corpus(corpus: str | Path, actors_file: str | Path = "") -> tuple[list[Actor], str]:
    """The registry a notebook should use, and a sentence saying where it came from.

    ``actors_file`` if given (it must exist), else ``actors.yaml`` / ``actors.yml`` beside the corpus (inside a corpus
    folder, or next to a corpus table), else no actors: the tables stay empty and ``unknown_names`` shows what to add.
    """
    if actors_file:
        return load_registry(actors_file), f"actor registry: {actors_file}"
    corpus = Path(corpus)
    folder = corpus if corpus.is_dir() else corpus.parent
    for name in ("actors.yaml", "actors.yml"):
        if (folder / name).is_file():
            return load_registry(folder / name), f"actor registry: {name} beside the corpus"
    return [], ("no actor registry (no actors.yaml beside the corpus and no actors_file parameter): no actor is "
                "counted; see the unknown names below for candidates, and seeds/actors.yaml for the format")


# --------------------------------------------------------------------------------------------------------------
# Actor discovery: the named entities of the whole corpus, clustered into actors
#
# Kept apart from the registry matching above: discovery only proposes a registry (plain ``Actor`` entries), and
# every table downstream is built by ``find_mentions`` / ``find_quotes`` from a registry, discovered or not.

ENTITY_COLUMNS = ["doc_id", "start", "end", "label", "surface"]
DISCOVERED_COLUMNS = ["name", "kind", "gender", "mentions", "documents", "aliases", "descriptors", "labels",
                      "gender_evidence", "example"]
# What discovery reads from the NER: actors, and NORP only to recognise demonyms ("Russian") and leave them out.
ENTITY_LABELS = ("PERSON", "ORG", "GPE", "NORP")
# A GPE is a country, a state or a city: "country" when one of its names is a country's (``country_names``), else
# "place" ("Iowa", "Geneva"; on PolNeAR train 649 of 762 GPE actors, all once called countries).
_LABEL_KINDS = {"PERSON": "person", "GPE": "place", "ORG": "organisation"}
# Names of countries that news uses and the CLDR list (``country_names``) does not give as such.
_MORE_COUNTRY_NAMES = ("US", "U.S.", "USA", "U.S.A.", "America", "UK", "U.K.", "Britain", "Great Britain", "UAE",
                       "Turkey", "Burma", "Czech Republic", "Ivory Coast", "Congo", "Swaziland", "Macedonia",
                       "Cape Verde", "East Timor", "Vatican", "Palestine", "England", "Scotland", "Wales",
                       "Northern Ireland", "Soviet Union", "USSR", "East Germany", "West Germany", "Yugoslavia",
                       "Czechoslovakia", "Russian Federation", "People's Republic of China", "Republic of Korea",
                       "Islamic Republic of Iran", "Syrian Arab Republic", "Republic of Ireland", "Holy See")


@functools.lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """English names of the world's countries and territories: the CLDR list of Babel (a dependency of JupyterLab,
    and a well-kept copy of the Unicode consortium's data), its parenthesised and "&" forms spelt out ("Myanmar
    (Burma)": "Myanmar", "Burma"; "Bosnia & Herzegovina": "… and …"), and ``_MORE_COUNTRY_NAMES``."""
    from babel import Locale

    names = set(_MORE_COUNTRY_NAMES)
    for code, name in Locale("en").territories.items():
        # Countries and territories: not regions ("150": Europe), unions or unknowns ("EU", "UN", "ZZ").
        if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"):
            base, _, inner = name.partition(" (")
            names.update({name, base, inner.rstrip(")"), name.replace(" & ", " and ")} - {""})
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def city_names() -> frozenset[str]:
    """Cities of Europe, Asia and Africa that name a time zone: their English names in CLDR and the zones' own, old
    ones included ("Europe/Kyiv": "Kyiv", its alias "Europe/Kiev": "Kiev"), from Babel, as ``country_names``.
    Capitals and large cities; the other regions' zones are named after towns and stations that are as often
    surnames ("America/Knox_IN", "Antarctica/Davis")."""
    from babel import Locale
    from babel.core import get_global

    english = Locale("en").time_zones
    names = set()
    for zone in [*get_global("zone_territories"), *get_global("zone_aliases")]:  # the aliases: "Kiev", "Calcutta"
        if zone.startswith(("Europe/", "Asia/", "Africa/")):
            names.add(zone.split("/")[-1].replace("_", " "))
            names.add(english.get(zone, {}).get("city") or zone.split("/")[-1].replace("_", " "))
    return frozenset(names)


def _kind(label: str, forms: list[str]) -> str:
    """An actor's kind from its majority label and its names: a place that a country's name names is a country; a
    lone name taken for a person that is a city's ("Kyiv": the recogniser often does), with no full name among its
    forms, is a place."""
    kind = _LABEL_KINDS[label]
    if kind == "person" and all(" " not in form for form in forms) and not city_names().isdisjoint(forms):
        return "place"
    return "country" if kind == "place" and not country_names().isdisjoint(forms) else kind


# Bump when find_entities changes what it stores: cached entities of older code are then never read.
ENTITY_CODE_VERSION = "entities-1"
ENTITY_CHUNK = 2000  # documents parsed at a time
# Only the tokeniser and the entity recogniser: discovery needs no parse, tags or lemmas. The recogniser of
# en_core_web_sm embeds its own tok2vec layer; the pipeline's shared "tok2vec" component feeds only the tagger and
# the parser, so without them it would be run for nothing (it cost a sixth of the recogniser's time; the entities
# are the same).
NER_EXCLUDE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


def find_entities(documents: pd.DataFrame, jobs: int = 1, cache_dir: str | Path | None = None,
                  batch_size: int = PIPE_BATCH, parsed: SentenceMemo | None = None) -> pd.DataFrame:
    """The PERSON, ORG, GPE and NORP entities of every document, from spaCy's named-entity recogniser.

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    jobs : int
        Worker processes (``newslens.parallel.map_chunks``), used from ``nlp.PARALLEL_MIN_CHARS`` of text to parse;
        0: every core. A Dask scheduler named in the environment takes the parsing whatever its size.
    cache_dir : path, optional
        Folder of the on-disk parse cache (``newslens.cache``); None: parse everything, cache nothing.
    batch_size : int
        Sentences per ``nlp.pipe`` batch.
    parsed : SentenceMemo, optional
        The sentences parsed so far and their entities, for a caller that asks for a corpus part by part (see
        ``Notes``).

    Returns
    -------
    DataFrame
        Columns doc_id, start, end (character span in the text), label (spaCy's), surface (the text as written),
        in document and text order.

    Notes
    -----
    The recogniser runs sentence by sentence (the project's sentence splitter), and each distinct sentence once:
    syndicated copy and boilerplate repeated across articles are parsed once. Its context is a few words either
    side, so a sentence parses the same alone as inside its article. Documents are parsed ``ENTITY_CHUNK`` at a
    time, each chunk cached as soon as it is parsed, and the sentences parsed are remembered from one chunk to the
    next (``parsed``, or a memory of its own: ``memo.SentenceMemo``, on disk and bounded).
    """
    from newslens.cache import KEY

    # Not the run's texts as Python strings: about 40 MB for a run of 100,000 articles, held through discovery's
    # peak there.
    keys, _, text_of = _texts_by_key(documents)
    doc_ids = documents["doc_id"].astype(str).tolist()
    columns = _ENTITY_FIELDS
    cache = _entity_cache(cache_dir) if cache_dir else None
    found, present = cache.rows(set(keys)) if cache is not None else (pd.DataFrame(columns=[KEY, *columns]), set())
    # An entry whose spans do not spell the cached surfaces in its text is stale or damaged: parse it again. (The
    # rows of a key are together: each text is read once.)
    damaged, key_read, text = set(), None, ""
    for key, start, end, label, surface in found[[KEY, *columns]].itertuples(index=False, name=None):
        if key != key_read:
            key_read, text = key, text_of(key)
        if not _entity_fits(text, start, end, label, surface):
            damaged.add(key)
    del text
    if damaged:
        found = found[~found[KEY].isin(damaged)]
    missing = list(dict.fromkeys(key for key in keys if key not in present or key in damaged))
    tables = [found]
    # The recogniser is loaded once per worker, not once per chunk; distinct sentences are parsed once across chunks.
    with kept_workers(), nullcontext(parsed) if parsed is not None else _entity_memo() as parsed:
        for first in range(0, len(missing), ENTITY_CHUNK):  # each chunk cached as soon as it is parsed
            chunk = missing[first:first + ENTITY_CHUNK]
            rows = _parse_entities([text_of(key) for key in chunk], jobs, batch_size, parsed)
            fresh = pd.DataFrame([(key, *row) for key, found_in in zip(chunk, rows) for row in found_in],
                                 columns=[KEY, *columns]).astype(columns)
            if cache is not None:
                cache.put_rows(fresh, chunk)
            tables.append(fresh)
    # What is no longer needed goes before the rows are put in document order, the step that made discovery's peak
    # at 100,000 articles (499 MB; 487 without the run's texts and cached rows beside it).
    del found
    entities = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables.pop()
    del tables
    return _rows_by_document(entities, doc_ids, keys)


_ENTITY_FIELDS = {"start": "int64", "end": "int64", "label": "str", "surface": "str"}


def _entity_cache(cache_dir: str | Path):
    from newslens.cache import DocumentCache
    from newslens.nlp import model_fingerprint

    return DocumentCache(cache_dir, "entities", f"{model_fingerprint()}|{ENTITY_CODE_VERSION}", _ENTITY_FIELDS)


def _entities_in_runs(documents: pd.DataFrame, jobs: int, cache_dir: str | Path | None) -> Iterator[pd.DataFrame]:
    """``find_entities`` of one run of documents (``_document_runs``) at a time: the 6.7 million entities of
    100,000 articles read back whole, with their text keys, took 2.6 GB at the peak."""
    with _entity_memo() as parsed:  # sentences parsed in one run are not parsed again in the next
        for run in _document_runs(documents):
            yield find_entities(run, jobs=jobs, cache_dir=cache_dir, parsed=parsed)
            release_free_memory()


def _rows_by_document(rows: pd.DataFrame, doc_ids: list[str], keys: list[str]) -> pd.DataFrame:
    """The rows of each document's text key (column ``text_sha256``), document by document, with its ``doc_id``."""
    from newslens.cache import KEY, rows_of_keys

    positions, owner = rows_of_keys(pa.array(rows[KEY], pa.string()), keys)
    frame = rows.drop(columns=KEY).iloc[positions].reset_index(drop=True)  # the keys (most of its bytes) not copied
    frame.insert(0, "doc_id", np.asarray(doc_ids, dtype=object)[owner])
    return frame[ENTITY_COLUMNS].astype({"start": "int64", "end": "int64", "label": "str", "surface": "str"})


def _entity_fits(text: str, start, end, label, surface) -> bool:
    try:
        return 0 <= start < end <= len(text) and text[start:end] == surface and label in ENTITY_LABELS
    except (TypeError, ValueError):
        return False


# A chunk of parallel work is a whole number of ``nlp.pipe`` batches, so every sentence is parsed in the same batch
# as in one process: 2,048 sentences.
ENTITY_CHUNK_BATCHES = 32


def _entity_memo(path: str | Path | None = None) -> SentenceMemo:
    """A memo of sentence -> its entities, (start, end, label) each, in the file ``path`` (None: a temporary one)."""
    return SentenceMemo("=iib", _entity_values, _entity_of, path)


def _entity_values(entity: tuple[int, int, str]) -> tuple[int, int, int]:
    start, end, label = entity
    return start, end, ENTITY_LABELS.index(label)


def _entity_of(values: tuple[int, int, int]) -> tuple[int, int, str]:
    start, end, label = values
    return start, end, ENTITY_LABELS[label]


def _parse_entities(texts: list[str], jobs: int, batch_size: int,
                    parsed: SentenceMemo | None = None) -> list[list[tuple]]:
    """Per text, (start, end, label, surface) of its entities; every distinct sentence is parsed once, and not at
    all when it is in ``parsed`` (sentence -> its entities, ``_entity_memo``, extended here)."""
    from newslens.nlp import parse_jobs
    from newslens.parallel import chunked, map_chunks

    parsed = {} if parsed is None else parsed  # within this call only: a dict
    layout = [[(start, text[start:end]) for start, end in (sentence_spans(text) or [(0, len(text))])] for text in texts]
    units = list(dict.fromkeys(unit for placed in layout for _, unit in placed if unit not in parsed))
    chunks = chunked(units, batch_size * ENTITY_CHUNK_BATCHES)
    parsed.update(zip(units, (entities for found in map_chunks(functools.partial(_sentence_entities,
                                                                                  batch_size=batch_size),
                                                                chunks, jobs=parse_jobs(jobs, units))
                              for entities in found)))
    return [[(offset + s, offset + e, label, text[offset + s:offset + e])
             for offset, unit in placed for s, e, label in parsed[unit]]
            for text, placed in zip(texts, layout)]


def _sentence_entities(sentences: list[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    """(start, end, label) of the actor entities of each sentence: the work of one chunk, in any process."""
    from newslens.nlp import load_pipeline

    nlp = load_pipeline(NER_EXCLUDE)
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in ENTITY_LABELS]
            for doc in nlp.pipe(sentences, batch_size=batch_size)]


# Similarity of two spellings of one name. Both must hold: the phonetic key (consonant classes, as in Soundex,
# with the first letter coded too, so Callas ~ Kallas and Vitkoff ~ Witkoff; "j" and "y" count as vowels, as in
# transliterated Kaja / Kaia / Kaya) and difflib's ratio, which keeps apart names that sound alike but differ in
# length or letters (Kerry / Kelly have different keys anyway).
SURNAME_SIMILARITY = 0.8
FIRST_NAME_SIMILARITY = 0.7
# A lone surname goes to the full name holding at least this share of that surname's full-name mentions.
SURNAME_DOMINANCE = 0.75
# ... and only when those full names are at least this fraction as frequent as the lone word.
SURNAME_SUPPORT = 0.05
# A person's gender needs at least two pronouns referring back to the name, and this share of them.
GENDER_SHARE = 0.6
# A gendered title right before the name ("Mr.", "Mrs.", "Ms.", "spokeswoman") counts as this many pronouns: alone it
# decides, and one pronoun of the other gender does not overturn it.
TITLE_VOTES = 2
_GENDERED_TITLE = re.compile(
    r"(?<![\w'’-])(?:(Mr|Sir|Lord|King|Prince|[Ss]pokesman|[Cc]ongressman|[Cc]hairman|[Bb]usinessman)"
    r"|(Mrs|Ms|Miss|Dame|Lady|Queen|Princess|[Ss]pokeswoman|[Cc]ongresswoman|[Cc]hairwoman|[Bb]usinesswoman))"
    r"\.?[^\S\n]+$")
_PHONETIC_CLASSES = {**dict.fromkeys("bfpvw", "1"), **dict.fromkeys("cgkqsxz", "2"), **dict.fromkeys("dt", "3"),
                     "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
_PERSON_TITLES = frozenset("""mr mrs ms miss dr sir dame lord lady president prime minister secretary senator sen
governor gov chancellor general gen ambassador envoy spokesman spokeswoman spokesperson rep representative
congressman congresswoman judge justice pope king queen prince princess""".split())
# Head nouns of an apposed title ("Kremlin spokesman Dmitry Peskov"); the words before it that belong to the title
# are capitalised ("Kremlin", "Foreign") or among the lower-case modifiers.
_TITLE_HEADS = """president minister secretary spokesman spokeswoman spokesperson adviser advisor aide envoy chief
leader ambassador chancellor senator governor mayor representative director chairman chairwoman chair commissioner
diplomat general commander head premier candidate nominee congressman congresswoman lawmaker negotiator
official judge justice attorney counsel speaker ceo founder king queen prince pope""".split()
_TITLE_MODIFIERS = """of for foreign prime vice deputy special top former chief press national security defense
defence policy state affairs presidential high senior first general""".split()
_TITLE_HEAD_SET, _TITLE_MODIFIER_SET = frozenset(_TITLE_HEADS), frozenset(_TITLE_MODIFIERS)
_TITLE_BEFORE = re.compile(
    r"(?<!\S)(?:(?:(?:[A-Z]\.){2,}|[A-Z][\w'’-]*|" + "|".join(_TITLE_MODIFIERS) + r")[^\S\n]+)*"
    r"(?i:" + "|".join(_TITLE_HEADS) + r")(?:[^\S\n]+of[^\S\n]+(?:the[^\S\n]+)?[A-Z][\w'’-]*)?[^\S\n]+$")
# "the spokesman", "the former senator": not "the senator from Vermont" nor "the judge of …" (others), nor a title
# before a name ("the Kremlin spokesman Dmitry Peskov" is the name's mention), nor "head-of-household". Not "the
# president": in news it is most often the country's sitting president, named or not (on PolNeAR, 11 of 26 read
# were someone else's); nor the heads that are as often adjectives ("the general election", "the chief architect").
_THE_TITLE_HEADS = [h for h in _TITLE_HEADS if h not in ("president", "general", "chief", "head", "official")]
_THE_TITLE = re.compile(r"\b[Tt]he[^\S\n]+(?:(?:former|new|top|senior|deputy)[^\S\n]+)?(" + "|".join(_THE_TITLE_HEADS)
                        + r")\b(?![^\S\n]+(?:of|from|for)\b|[^\S\n]+[A-Z]|-)")
# "to be the nominee", "will become the nominee": whoever it is, not a reference to the titled person.
_BE_BEFORE_TITLE = re.compile(r"\b(?:be|been|being|become|becomes|became|is|was|as)[^\S\n]+$", re.IGNORECASE)
_NAME_AFTER = re.compile(r"[^\S\n]+[A-Z][\w'’.-]*[^\S\n]+[A-Z]")  # two capitalised words: a name follows
_TITLE_OF = re.compile(r"(?i:" + "|".join(_TITLE_HEADS) + r")[^\S\n]+of[^\S\n]+(?:the[^\S\n]+)?$")
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?=\s|$)|\n")
_GENDERED = re.compile(r"\b(?:(he|him|his|himself)|(she|her|hers|herself))\b", re.IGNORECASE)
_DOTTED_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}")
_ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "on", "in", "de"})


@functools.lru_cache(maxsize=1)
def _not_actor_words() -> frozenset[str]:
    """Months, weekdays and time-zone abbreviations, which the recogniser sometimes takes for names."""
    import calendar
    import datetime
    import zoneinfo

    words = {w for names in (calendar.month_name, calendar.month_abbr, calendar.day_name, calendar.day_abbr)
             for w in names if w} | {"Sept"}
    for zone in zoneinfo.available_timezones():
        try:
            tz = zoneinfo.ZoneInfo(zone)
        except (OSError, ValueError):
            continue
        for month in (1, 7):
            name = datetime.datetime(2025, month, 1, tzinfo=tz).tzname() or ""
            if name.isalpha():
                words.add(name)
    return frozenset(words)


def _phonetic_key(word: str) -> str:
    letters = [c for c in word.casefold() if c.isalpha()]
    key, last = [], None
    for char in letters:
        code = _PHONETIC_CLASSES.get(char, "")
        if code and code != last:
            key.append(code)
        last = code or (last if char in "hw" else None)
    return "".join(key)


def _similar(a: str, b: str, threshold: float) -> bool:
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    return _phonetic_key(a) == _phonetic_key(b) and difflib.SequenceMatcher(None, a, b).ratio() >= threshold


def _first_names_match(a: str, b: str) -> bool:
    a, b = a.casefold().rstrip("."), b.casefold().rstrip(".")
    if a.startswith(b) or b.startswith(a):  # Steve / Steven; an initial
        return True
    return _similar(a, b, FIRST_NAME_SIMILARITY)


def _entity_form(text: str, start: int, end: int, label: str) -> tuple[str, int, int] | None:
    """The name an entity stands for ("the European Union's" -> "European Union"), with its span, or None when
    it cannot be an actor's name (a month, a time zone, a page label, a fragment of a web address)."""
    surface = text[start:end]
    possessive = _POSSESSIVE_RE.search(surface)
    if possessive is not None and possessive.end() == len(surface):
        end = start + possessive.start()
    words = text[start:end].split()
    while words and (words[0].lower() == "the" or (label == "PERSON" and len(words) > 1
                                                    and words[0].lower().rstrip(".") in _PERSON_TITLES)):
        start = text.index(words[0], start) + len(words[0])
        words.pop(0)
    start = end - len(" ".join(words)) if words else end
    form = " ".join(words).strip(" .,;:-–—\"“”'‘’()")
    if not form or "\n" in text[start:end] or any(c.isdigit() for c in form) or re.search(r"[^\w\s.'’-]", form):
        return None  # digits, brackets, slashes: a fragment, not a name
    if not form[0].isupper() or len(form.replace(".", "")) < 2 or form in _not_actor_words():
        return None
    if text[start - 1:start] == "." or re.match(r"\.\w", text[end:end + 2]) or (
            re.search(r"\w\.\w", form) and not _DOTTED_ACRONYM.fullmatch(form)):
        return None  # part of a web address ("Censor.NET", "R.US")
    if label != "PERSON" and text[max(0, start - 8):start].rstrip().endswith((" of", " of the")) and \
            _TITLE_OF.search(text, max(0, start - 40), start):
        return None  # the rest of a title ("Secretary of State")
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip() and re.match(r"[^\S\n]*:", text[end:]):
        return None  # a page label ("Source: ...")
    if len(words) > 1 and words[-1].lower() in _TITLE_HEAD_SET and _NAME_AFTER.match(text, end):
        return None  # a title written before a name ("Kremlin Spokesman Dmitry Peskov", "Charlotte Mayor Jennifer …")
    return form, start, end


def _form_key(form: str) -> str:
    """Spellings that are one name: case and dots in acronyms ("U.S." / "US") and spacing do not count."""
    if _DOTTED_ACRONYM.fullmatch(form.replace(" ", "")):
        form = form.replace(".", "")
    return _normalise(form)


_OCCURRENCE_ARRAYS = ("start", "end", "key")  # of ``_Occurrences``
_PENDING_OCCURRENCES = 1 << 18  # 1 MB per column


class _Occurrences:
    """The entity occurrences discovery reads, kept compactly: 100,000 articles have 6.4 million, which as a Python
    object each (with their offsets as Python integers) took about a gigabyte.

    Per occurrence, in document and text order, three columns of 32-bit integers (``column``): ``start``, ``end`` and
    ``key`` (a place in ``keys``, the name keys in the order the corpus first uses them), written to mapped files of
    ``folder`` as they fill (``memory.MappedArray``; None: in memory) and read after ``done``: in memory they were
    77 MB at 100,000 articles, which discovery's process held beside each run of entities; its document (a place in
    ``doc_ids``) is kept once per run of occurrences in one document (``docs`` gives it per occurrence), not once
    per occurrence: a quarter less (9.8 -> 7.5 MB at 10,000 articles). Per name key, what discovery reads of its
    occurrences: ``label_counts`` (the recogniser's labels, counted), ``spelling_counts``, ``full_label_counts``
    (the labels of its multi-word spellings) and ``first`` (doc_id, start, end of its occurrence with the smallest
    doc_id and start), all kept as 32-bit integers per key and per distinct spelling: real news names without end
    (PolNeAR: 8,122 name keys at 924 articles, growing with Heaps' exponent ~0.8), and three Counters and a tuple
    per key took 1,172 bytes a key. ``group_words``: the words (casefolded) of every name not labelled PERSON.
    """

    def __init__(self, folder: Path | None = None):
        self.doc_ids: list[str] = []
        self.count = 0  # occurrences
        # Each column's latest occurrences, written to its mapped file every _PENDING_OCCURRENCES.
        self._pending = {name: array("i") for name in _OCCURRENCE_ARRAYS}
        self._written = {name: MappedArray(folder, np.intc) for name in _OCCURRENCE_ARRAYS}
        self._columns: dict[str, np.ndarray] = {}
        # Runs of consecutive occurrences in one document: its place in doc_ids, and where the run ends.
        self._run_doc, self._run_end = array("i"), array("q")
        self.keys: list[str] = []
        # Per key: labels and labels of multi-word spellings, counted (ENTITY_LABELS order), and its first
        # occurrence (a place in doc_ids, start, end).
        self._labels, self._full_labels = array("i"), array("i")
        self._first_doc, self._first_start, self._first_end = array("i"), array("i"), array("i")
        # Per distinct spelling: its text, key and count, and whether it was seen labelled other than PERSON.
        self._spelling_of: dict[str, int] = {}
        self._spellings: list[str] = []
        self._spelling_key, self._spelling_count = array("i"), array("i")
        self._grouped = bytearray()
        self._spellings_by_key: tuple[np.ndarray, np.ndarray] | None = None
        self.group_words: set[str] = set()
        self._doc_place: dict[str, int] = {}
        self._key_place: dict[str, int] = {}

    def add(self, doc_id: str, start: int, end: int, label: str, spelling: str) -> None:
        doc = self._doc_place.setdefault(doc_id, len(self.doc_ids))
        if doc == len(self.doc_ids):
            self.doc_ids.append(doc_id)
        spelled = self._spelling_of.get(spelling)
        if spelled is None:
            name_key = _form_key(spelling)
            key = self._key_place.setdefault(name_key, len(self.keys))
            if key == len(self.keys):
                self.keys.append(name_key)
                self._labels.extend((0, 0, 0, 0))
                self._full_labels.extend((0, 0, 0, 0))
                for column, value in ((self._first_doc, doc), (self._first_start, start), (self._first_end, end)):
                    column.append(value)
            spelled = self._spelling_of[spelling] = len(self._spellings)
            self._spellings.append(spelling)
            self._spelling_key.append(key)
            self._spelling_count.append(0)
            self._grouped.append(0)
            self._spellings_by_key = None
        key = self._spelling_key[spelled]
        self.count += 1
        if self._run_doc and self._run_doc[-1] == doc:
            self._run_end[-1] += 1
        else:
            self._run_doc.append(doc)
            self._run_end.append(self.count)
        for name, value in zip(_OCCURRENCE_ARRAYS, (start, end, key)):
            self._pending[name].append(value)
        if len(self._pending["key"]) == _PENDING_OCCURRENCES:
            self._write_pending()
        label_place = 4 * key + ENTITY_LABELS.index(label)
        self._labels[label_place] += 1
        self._spelling_count[spelled] += 1
        if " " in spelling:
            self._full_labels[label_place] += 1
        if (doc_id, start) < (self.doc_ids[self._first_doc[key]], self._first_start[key]):
            self._first_doc[key], self._first_start[key], self._first_end[key] = doc, start, end
        if label != "PERSON" and not self._grouped[spelled]:
            self._grouped[spelled] = 1
            self.group_words.update(w.casefold() for w in spelling.split())

    def label_table(self) -> np.ndarray:
        """The label counts of every key, a row per key and a column per label of ``ENTITY_LABELS``."""
        return np.frombuffer(self._labels, dtype=np.intc).reshape(-1, len(ENTITY_LABELS))

    def label_counts(self, key: int) -> Counter:
        """The labels of a key's occurrences, counted (those seen only)."""
        return self._counted(self._labels, key)

    def full_label_counts(self, key: int) -> Counter:
        """The labels of a key's occurrences spelt with several words, counted (those seen only)."""
        return self._counted(self._full_labels, key)

    @staticmethod
    def _counted(counts: array, key: int) -> Counter:
        return Counter({label: n for label, n in zip(ENTITY_LABELS, counts[4 * key:4 * key + 4]) if n})

    def spelling_counts(self, key: int) -> Counter:
        """The spellings of a key, counted."""
        if self._spellings_by_key is None:  # spelling places in key order, and where each key's spellings begin
            order = np.argsort(np.frombuffer(self._spelling_key, dtype=np.intc), kind="stable")
            sorted_keys = np.frombuffer(self._spelling_key, dtype=np.intc)[order]
            self._spellings_by_key = order, np.searchsorted(sorted_keys, np.arange(len(self.keys) + 1))
        order, begins = self._spellings_by_key
        return Counter({self._spellings[s]: self._spelling_count[s] for s in order[begins[key]:begins[key + 1]]})

    def first(self, key: int) -> tuple[str, int, int]:
        """The doc_id, start and end of a key's occurrence with the smallest doc_id and start."""
        return self.doc_ids[self._first_doc[key]], self._first_start[key], self._first_end[key]

    def done(self) -> None:
        """Every occurrence added: the columns are read from now on."""
        self._write_pending()
        self._columns = {name: written.array() for name, written in self._written.items()}

    def column(self, name: str) -> np.ndarray:
        """One of the per-occurrence columns (``start``, ``end``, ``key``) as numpy integers, over its mapped file
        when there is a folder (``done`` first)."""
        return self._columns[name]

    def _write_pending(self) -> None:
        for name, pending in self._pending.items():
            self._written[name].append(np.array(pending, dtype=np.intc))  # a copy: kept as it is without a folder
            self._pending[name] = array("i")

    def docs(self, block: slice) -> np.ndarray:
        """The document (its place in ``doc_ids``) of each occurrence of ``block``."""
        run_end = np.frombuffer(self._run_end, dtype=np.int64)
        runs = np.searchsorted(run_end, np.arange(block.start, block.stop), side="right")
        return np.frombuffer(self._run_doc, dtype=np.intc)[runs]

    def document_end(self, position: int) -> int:
        """Where the run of occurrences in one document that holds ``position`` ends."""
        run_end = np.frombuffer(self._run_end, dtype=np.int64)
        return int(run_end[np.searchsorted(run_end, position, side="right")])


def discover_actors(documents: pd.DataFrame, entities: pd.DataFrame | Iterable[pd.DataFrame],
                    min_mentions: int = 1, max_actors: int | None = None) -> tuple[list[Actor], pd.DataFrame]:
    """Actors proposed from the named entities of the whole corpus.

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    entities : DataFrame, or DataFrames
        As from ``find_entities``; or one such table per consecutive run of the documents, in order (read one at a
        time: the entities of a large corpus are never whole in memory).
    min_mentions : int
        Actors named fewer times (entity mentions) are left out.
    max_actors : int, optional
        At most this many actors, the most mentioned (ties: by name); None: all.

    Returns
    -------
    actors : list of Actor
        A valid registry (``parse_registry`` accepts it), most mentioned first.
    table : DataFrame
        One row per actor, columns ``DISCOVERED_COLUMNS``: name, kind, gender, mentions (entity mentions),
        documents, aliases and descriptors ("; "-separated), labels (the recogniser's labels and counts),
        gender_evidence (pronouns that referred back to the name), example (a snippet).

    Notes
    -----
    Names are grouped as one actor when they are spellings of one name (case, "the", possessive "'s", dots in
    acronyms), a full name and its surname, spelling variants (same phonetic key and a difflib ratio of at least
    ``SURNAME_SIMILARITY`` on the surname, first names compatible), or an acronym and the name it abbreviates
    ("EU" / "European Union", both in the corpus). Left out: demonyms (names the recogniser mostly labels NORP),
    months, weekdays, time-zone abbreviations, page labels ("Source:"), parts of web addresses, and single words
    written more often in lower case than as a name ("State"). The kind is the majority label (PERSON ->
    person, GPE -> place, or country when one of its names is a country's, ORG -> organisation); a person's gender
    is the pronoun that most often refers back to the name (the first he/she-family pronoun after it, before any
    other person is named, within that sentence or the next): at least two such pronouns and ``GENDER_SHARE`` of
    them, else unknown. A lone first name ("Bernie") goes to the one person of the corpus with that first name,
    unless it is also a surname.
    """
    actors, table, _ = _discovered(documents, entities, min_mentions, max_actors)
    return actors, table


def _discovered(documents: pd.DataFrame, entities: pd.DataFrame | Iterable[pd.DataFrame], min_mentions: int,
                max_actors: int | None, folder: Path | None = None) -> tuple[list[Actor], pd.DataFrame, int]:
    """``discover_actors``, and the number of actors left out for ``max_actors``; the occurrences' columns in mapped
    files of ``folder`` (None: in memory)."""
    texts = DocumentTexts(documents)
    occurrences = _occurrences(texts, [entities] if isinstance(entities, pd.DataFrame) else entities, folder)
    clusters = _clusters(occurrences, _cluster_keys(texts, occurrences))
    totals = occurrences.label_table().sum(axis=1)
    profiles = [_profile(occurrences, keys) for keys in clusters
                if sum(int(totals[key]) for key in keys) >= min_mentions]
    del clusters
    _add_gender(texts, occurrences, profiles)
    _add_descriptors(texts, occurrences, profiles)
    profiles.sort(key=lambda p: (-p.mentions, p.name))
    # Cut only now: every actor found counts while the others are completed (a pronoun after a person left out is
    # not that of the person named before, a title shared with one is no one's). What only the table shows, after.
    left_out = max(len(profiles) - max_actors, 0) if max_actors is not None else 0
    del profiles[len(profiles) - left_out:]
    _add_documents(occurrences, profiles)
    entries = []
    for p in profiles:
        entry = {"name": p.name, "kind": p.kind, "aliases": list(p.aliases), "descriptors": list(p.descriptors)}
        if p.gender:
            entry["gender"] = p.gender
        entries.append(entry)
    actors = parse_registry(entries, source="<discovered>") if entries else []
    rows = [(p.name, p.kind, p.gender or "", p.mentions, p.documents, "; ".join(p.aliases), "; ".join(p.descriptors),
             _labels_text(occurrences, p.keys), p.gender_evidence, _snippet(*_first_mention(texts, occurrences, p)))
            for p in profiles]
    return actors, pd.DataFrame(rows, columns=DISCOVERED_COLUMNS), left_out


def _first_mention(texts: Mapping[str, str], occurrences: _Occurrences, profile: _Profile) -> tuple[str, int, int]:
    """The text of the document of ``profile``'s first mention, and the mention's start and end."""
    doc_id, start, end = occurrences.first(profile.first_key)
    return texts[doc_id], start, end


def _clusters(occurrences: _Occurrences, root: dict[str, str]) -> list[list[int]]:
    """The name keys (places in ``occurrences.keys``) of each actor, in the order the corpus first names each,
    from ``_cluster_keys``."""
    clusters: dict[str, list[int]] = defaultdict(list)
    for key, name_key in enumerate(occurrences.keys):
        if name_key in root:
            clusters[root[name_key]].append(key)
    return list(clusters.values())


def _occurrences(texts: Mapping[str, str], entities: Iterable[pd.DataFrame], folder: Path | None = None
                 ) -> _Occurrences:
    """The occurrences of names that can be actors' (``_entity_form``), from tables of entities in document
    order; their columns in mapped files of ``folder`` (None: in memory)."""
    found = _Occurrences(folder)
    for table in entities:
        rows = zip(table["doc_id"].astype(str), table["start"].tolist(), table["end"].tolist(), table["label"])
        for doc_id, group in itertools.groupby(rows, key=lambda row: row[0]):
            text = texts[doc_id]
            credits = credit_spans(text)
            for start, end, label in _joined_particles(text, [row[1:] for row in group]):
                if _overlaps(credits, start, end):
                    continue  # a reporter or a dateline's place, not an actor of the story
                form = _entity_form(text, start, end, label)
                if form is not None:
                    found.add(doc_id, form[1], form[2], label, form[0])
        # Gone before the next table is read (and the free memory given back between them, ``_entities_in_runs``):
        # a run's entities and their columns as Python lists, held while the next run's were read, raised
        # discovery's peak at 100,000 articles from 466 to 487 MB.
        del table, rows
    found.done()
    return found


# Lower-case words inside a name ("Ursula von der Leyen", "Luiz Inacio Lula da Silva"): the recogniser often ends the
# name at them ("Ursula von der" PERSON, "Leyen" GPE).
NAME_PARTICLES = frozenset("von van der den de del della di da dos das du la le bin ibn al el".split())
_NEXT_NAME_WORD = re.compile(r"[^\S\n]+[A-Z][\w'’-]*\w")


def _joined_particles(text: str, entities: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Entities in text order, a person's name cut after a particle ("Ursula von der") joined to the capitalised
    word after it, which is then no entity of its own ("Leyen")."""
    joined: list[tuple[int, int, str]] = []
    for start, end, label in entities:
        if joined and start < joined[-1][1]:
            continue  # the rest of the name joined before
        words = text[start:end].split()
        if label == "PERSON" and len(words) > 1 and words[-1] in NAME_PARTICLES:
            after = _NEXT_NAME_WORD.match(text, end)
            if after:
                end = after.end()
        joined.append((start, end, label))
    return joined


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


_MAJORITY_ORDER = ("PERSON", "GPE", "ORG")  # a key's majority label: ties go to the first


def _cluster_keys(texts: Mapping[str, str], occurrences: _Occurrences) -> dict[str, str]:
    """Each name key that can be an actor -> the key representing its actor."""
    labels = occurrences.label_table()
    total = labels.sum(axis=1)
    # Demonyms: names the recogniser mostly labels NORP ("Russian", "Ukrainians").
    places = np.flatnonzero(labels[:, ENTITY_LABELS.index("NORP")] * 2 < total).tolist()
    # Single words written more often in lower case than as a name are ordinary words ("State", "Censor").
    lower = _lower_case_counts(texts, (k for k in map(occurrences.keys.__getitem__, places) if k.isalpha()))
    places = [place for place in places if lower[occurrences.keys[place]] <= total[place]]
    keys = [occurrences.keys[place] for place in places]
    majority_column = np.argmax(labels[:, [ENTITY_LABELS.index(label) for label in _MAJORITY_ORDER]], axis=1)
    majority = {k: _MAJORITY_ORDER[majority_column[place]] for k, place in zip(keys, places)}
    count = {k: int(total[place]) for k, place in zip(keys, places)}
    form = {k: min(occurrences.spelling_counts(place).items(), key=lambda item: (-item[1], item[0]))[0]
            for k, place in zip(keys, places)}
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: str, b: str) -> None:
        parent[find(b)] = find(a)

    people = [k for k in keys if majority[k] == "PERSON" and len(_name_words(form[k])) > 1]
    by_sound: dict[str, list[str]] = defaultdict(list)
    for k in sorted(people, key=lambda k: (-count[k], k)):
        by_sound[_phonetic_key(_name_words(form[k])[-1])].append(k)
    for group in by_sound.values():  # full names: surnames alike, first names compatible
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                first_a, *_, last_a = _name_words(form[a])
                first_b, *_, last_b = _name_words(form[b])
                if _similar(last_a, last_b, SURNAME_SIMILARITY) and _first_names_match(first_a, first_b):
                    union(a, b)
    for a in people:  # a double surname without the first name ("Wasserman Schultz")
        for b in by_sound[_phonetic_key(_name_words(form[a])[-1])]:
            if len(form[b].split()) > len(form[a].split()) and form[b].casefold().endswith(" " + a):
                union(b, a)
    singles = sorted((k for k in keys if " " not in form[k] and majority[k] != "GPE"), key=lambda k: (-count[k], k))
    _link_lone_names(singles, by_sound, majority, form, count, find, union)
    _link_first_names(singles, people, majority, form, find, union)
    _link_acronyms(keys, majority, form, count, union)
    return {k: find(k) for k in keys}


def _link_lone_names(singles, by_sound, majority, form, count, find, union) -> None:
    """Lone names spelt two ways (Zelensky / Zelenskyy) are one; a lone surname joins the full name that carries
    it in at least ``SURNAME_DOMINANCE`` of that surname's full-name mentions."""
    lone_people: dict[str, list[str]] = defaultdict(list)
    for k in singles:
        if majority[k] == "PERSON":
            lone_people[_phonetic_key(form[k])].append(k)
    for group in lone_people.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if _similar(form[a], form[b], SURNAME_SIMILARITY):
                    union(a, b)
    for single in singles:
        if form[single].isupper():
            continue  # an acronym ("CNN", "FBI") is nobody's surname
        weight: Counter = Counter()
        for k in by_sound.get(_phonetic_key(form[single]), ()):
            if _similar(form[single], _name_words(form[k])[-1], SURNAME_SIMILARITY):
                weight[find(k)] += count[k]
        if weight:
            best, best_count = min(weight.items(), key=lambda item: (-item[1], item[0]))
            # A lone word far more frequent than every full name ending in it is something else ("House" and
            # "Obama White House").
            if best_count >= SURNAME_DOMINANCE * sum(weight.values()) and find(single) != best and \
                    sum(weight.values()) >= SURNAME_SUPPORT * count[single]:
                union(best, single)


def _link_first_names(singles, people, majority, form, find, union) -> None:
    """A lone first name ("Bernie") -> the one person of the corpus with that first name, when no name of the
    corpus has it as a surname."""
    surnames = {_name_words(form[k])[-1].casefold() for k in people}
    by_first: dict[str, set[str]] = defaultdict(set)
    for k in people:
        by_first[_name_words(form[k])[0].casefold()].add(find(k))
    for single in singles:
        name = form[single].casefold()
        holders = by_first.get(name, set())
        if majority[single] == "PERSON" and len(holders) == 1 and name not in surnames and find(single) == single:
            union(holders.pop(), single)


_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _name_words(form: str) -> list[str]:
    """The words of a person's name without middle initials and a generational suffix ("Donald J. Trump" ->
    Donald, Trump; "Charles Elliott Jr." -> Charles, Elliott: "Jr." is nobody's surname)."""
    words = form.replace(",", " ").split()
    while len(words) > 2 and words[-1].rstrip(".").casefold() in _NAME_SUFFIXES:
        words.pop()
    return [w for i, w in enumerate(words) if i in (0, len(words) - 1) or not re.fullmatch(r"[A-Z]\.?", w)]


def _lower_case_counts(texts: Mapping[str, str], words: Iterable[str]) -> Counter:
    """How often each (lower-case) word is written in lower case in the corpus: one pass over the texts."""
    words = sorted(set(words))
    counts: Counter = Counter()
    if not words:
        return counts
    pattern = re.compile(rf"{_BEFORE}(?:{_trie_regex(words)}){_AFTER}")
    for text in texts.values():
        counts.update(pattern.findall(text))
    return counts


def _link_acronyms(keys, majority, form, count, union) -> None:
    """"EU" -> "European Union" when both are in the corpus (the most frequent expansion if there are several)."""
    expansions: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        words = form[k].split()
        if majority[k] != "PERSON" and len(words) > 1:
            initials = "".join(w[0] for w in words if w.lower() not in _ACRONYM_SKIP)
            if initials.isupper():
                expansions[initials].append(k)
    for k in keys:
        letters = form[k].replace(".", "")
        if majority[k] != "PERSON" and letters.isupper() and letters.isalpha() and letters in expansions:
            union(min(expansions[letters], key=lambda e: (-count[e], e)), k)


@dataclass(slots=True)
class _Profile:
    """An actor being discovered (``_profile``), completed by ``_add_gender``, ``_add_descriptors`` and
    ``_add_documents``. Small, as every actor found is kept until the cut (real news names without end: PolNeAR
    6,653 actors at 924 articles, about 280,000 at 100,000 extrapolated): as a dict of its fields, with its labels
    written out, an actor took about 800 bytes; now about 250 (PolNeAR)."""
    keys: tuple[int, ...]
    mentions: int
    name: str
    kind: str
    aliases: tuple[str, ...]
    first_key: int  # the key of its first mention (``_Occurrences.first``)
    gender: str | None = None
    gender_evidence: str = ""
    descriptors: tuple[str, ...] = ()
    documents: int = 0


def _labels(occurrences: _Occurrences, keys: Sequence[int]) -> Counter:
    """The recogniser's labels of the occurrences of the name keys ``keys``, counted."""
    return sum((occurrences.label_counts(key) for key in keys), Counter())


def _labels_text(occurrences: _Occurrences, keys: Sequence[int]) -> str:
    """``_labels`` written out, the most frequent first ("PERSON 12; ORG 1")."""
    labels = _labels(occurrences, keys)
    return "; ".join(f"{label} {n}" for label, n in sorted(labels.items(), key=lambda i: (-i[1], i[0])))


def _profile(occurrences: _Occurrences, keys: list[int]) -> _Profile:
    """An actor from the name keys (places in ``occurrences.keys``) of one cluster."""
    labels = _labels(occurrences, keys)
    # The kind is the majority label of the full names when there are any: the recogniser labels a full name far
    # more reliably than a lone surname ("Pence" is often ORG, "Mike Pence" PERSON). Ties go to a person when a
    # full name was labelled PERSON, else to an organisation ("POLITICO").
    full = sum((occurrences.full_label_counts(key) for key in keys), Counter()) or labels
    order = ("PERSON", "ORG", "GPE") if full["PERSON"] else ("ORG", "PERSON", "GPE")
    kind_label = max(order, key=lambda label: full[label])
    # One spelling per name key (the most frequent), then the most frequent multi-word name is the canonical one;
    # ties go to the name the corpus uses first.
    spellings = [occurrences.spelling_counts(key) for key in keys]
    forms = sorted(((sum(c.values()), occurrences.first(key)[:2], min(c.items(), key=lambda i: (-i[1], i[0]))[0])
                    for key, c in zip(keys, spellings)), key=lambda item: (-item[0], item[1]))
    forms = [(n, f) for n, _, f in forms]
    # A spelling that is another of the actor's full names plus words around it ("Calls Donald Trump" in a
    # title-case headline) adds nothing: the shorter name already matches there.
    padded = [f" {f.casefold()} " for _, f in forms if " " in f]
    forms = [(n, f) for n, f in forms
             if not any(other != f" {f.casefold()} " and other in f" {f.casefold()} " for other in padded)]
    multi = [f for _, f in forms if " " in f]
    name = multi[0] if multi else forms[0][1]
    return _Profile(keys=tuple(keys), mentions=sum(labels.values()), name=name,
                    kind=_kind(kind_label, [f for _, f in forms]), aliases=tuple(f for _, f in forms if f != name),
                    first_key=min(keys, key=occurrences.first))


def _profile_of_keys(occurrences: _Occurrences, profiles: list[_Profile], kind: str | None = None) -> np.ndarray:
    """The place in ``profiles`` of each name key's actor (of that ``kind`` only, when given); -1 for none. An
    occurrence's is that of its key: ``_profiles_in``."""
    profile_of_key = np.full(len(occurrences.keys), -1, dtype=np.int32)
    for number, p in enumerate(profiles):
        if kind is None or p.kind == kind:
            profile_of_key[list(p.keys)] = number  # a tuple would index dimensions
    return profile_of_key


def _profiles_in(occurrences: _Occurrences, block: slice, profile_of_key: np.ndarray) -> np.ndarray:
    """The place in the profiles of the actor of each occurrence of ``block`` (``_profile_of_keys``), -1 for none:
    a block at a time, not an array over every occurrence of the corpus (26 MB at 100,000 articles)."""
    return profile_of_key[occurrences.column("key")[block]]


# Occurrences worked on at a time (whole documents) when profiles are completed: every occurrence at once (6.7
# million at 100,000 articles) took hundreds of MB of index arrays and Python integers for a moment.
PROFILE_BLOCK = 250_000


def _document_blocks(occurrences: _Occurrences) -> Iterator[slice]:
    """Consecutive runs of occurrences of about ``PROFILE_BLOCK``, each of whole documents (occurrences are in
    document order)."""
    first, total = 0, occurrences.count
    while first < total:
        stop = min(first + PROFILE_BLOCK, total)
        if stop < total:  # on to the end of the document the block would cut
            stop = occurrences.document_end(stop - 1)
        yield slice(first, stop)
        drop_mapped_pages()  # the block's pages of the mapped columns (and texts) read by the caller
        first = stop


def _add_documents(occurrences: _Occurrences, profiles: list[_Profile]) -> None:
    """The number of documents naming each actor."""
    profile_of_key = _profile_of_keys(occurrences, profiles)
    counts = np.zeros(len(profiles), dtype=np.int64)
    for block in _document_blocks(occurrences):
        profile, doc = _profiles_in(occurrences, block, profile_of_key), occurrences.docs(block)
        named = profile >= 0
        pairs = np.unique(profile[named].astype(np.int64) * len(occurrences.doc_ids) + doc[named])
        counts += np.bincount(pairs // max(len(occurrences.doc_ids), 1), minlength=len(profiles))
    for p, documents in zip(profiles, counts.tolist()):
        p.documents = documents


# The votes for a person's gender, in the columns of ``_add_gender``'s table of votes.
_VOTES = ("male", "female", "male title", "female title")


def _add_gender(texts: Mapping[str, str], occurrences: _Occurrences, profiles: list[_Profile]) -> None:
    """The pronoun that refers back to each person's name: the first he- or she-family pronoun after a mention,
    before the next person is named, in that sentence or the next one; and a gendered title right before the name
    ("Mr.", "Ms.", "spokeswoman"), worth ``TITLE_VOTES`` pronouns."""
    profile_of_key = _profile_of_keys(occurrences, profiles, "person")
    # A row of counts per actor (``_VOTES``), not a Counter each: every actor found is here.
    votes = np.zeros((len(profiles), len(_VOTES)), dtype=np.int64)
    for block in _document_blocks(occurrences):
        _count_pronouns(texts, occurrences, block, _profiles_in(occurrences, block, profile_of_key), votes)
    for p, row in zip(profiles, votes.tolist()):
        if p.kind != "person":
            continue
        vote = dict(zip(_VOTES, row))
        score = {gender: vote[gender] + TITLE_VOTES * vote[f"{gender} title"] for gender in GENDERS}
        p.gender_evidence = f"he {vote['male']}, she {vote['female']}" + (
            f"; titles: male {vote['male title']}, female {vote['female title']}"
            if vote["male title"] or vote["female title"] else "")
        for gender in GENDERS:
            if score[gender] >= 2 and score[gender] >= GENDER_SHARE * sum(score.values()):
                p.gender = gender


def _count_pronouns(texts: Mapping[str, str], occurrences: _Occurrences, block: slice, profile: np.ndarray,
                    votes: np.ndarray) -> None:
    """``_add_gender``'s votes from the occurrences of ``block`` (``profile``: their person's place, or -1)."""
    rows = np.nonzero(profile >= 0)[0]
    doc_place = occurrences.docs(block)[rows]
    span_start, span_end = (occurrences.column(name)[block][rows] for name in ("start", "end"))
    profile = profile[rows]
    order = np.lexsort((profile, span_end, span_start, doc_place))  # by document, then span
    for group in np.split(order, np.flatnonzero(np.diff(doc_place[order])) + 1) if len(order) else []:
        text = texts[occurrences.doc_ids[doc_place[group[0]]]]
        spans = list(zip(span_start[group].tolist(), span_end[group].tolist(), profile[group].tolist()))
        for index, (start, end, number) in enumerate(spans):
            title = _GENDERED_TITLE.search(text, max(0, start - 16), start)
            if title is not None:  # "Mr. Peskov", "spokeswoman Maria Zakharova"
                votes[number, 2 if title.group(1) else 3] += 1  # male or female title (``_VOTES``)
            # The end of the next sentence, by its final punctuation (cheap; an abbreviation only shortens it).
            ends = _SENTENCE_END.finditer(text, end)
            limit = next(ends, None) and next(ends, None)
            limit = limit.end() if limit else len(text)
            if index + 1 < len(spans):
                limit = min(limit, spans[index + 1][0])
            pronoun = _GENDERED.search(text, end, max(end, limit))
            if pronoun is not None:
                votes[number, 0 if pronoun.group(1) else 1] += 1


def _add_descriptors(texts: Mapping[str, str], occurrences: _Occurrences, profiles: list[_Profile]) -> None:
    """Titles written right before a person's name ("Kremlin spokesman Dmitry Peskov" -> "Kremlin spokesman"),
    kept when they go with one person only and are not also a name.

    Before the head noun ("spokesman") a title may hold modifiers ("special", "Foreign") and words of the names of
    countries, organisations and groups ("Kremlin", "US", "Russian", "EU's", ``occurrences.group_words``); any
    other word ends it, which keeps title-case headlines ("... Might Have Brain Damage US President") out.
    """
    owners: dict[str, set[int]] = defaultdict(set)
    seen: dict[tuple[int, str], str] = {}
    names = {_normalise(f) for p in profiles for f in (p.name, *p.aliases)}
    profile_of_key = _profile_of_keys(occurrences, profiles, "person")
    for block in _document_blocks(occurrences):  # in the corpus's order: document by document
        profile = _profiles_in(occurrences, block, profile_of_key)
        rows = np.nonzero(profile >= 0)[0]
        places = zip(profile[rows].tolist(), occurrences.docs(block)[rows].tolist(),
                     occurrences.column("start")[block][rows].tolist())
        for number, doc, position in places:
            text = texts[occurrences.doc_ids[doc]]
            descriptor = _descriptor_before(text, position, occurrences.group_words)
            if descriptor is None:
                continue
            key = _normalise(descriptor)
            if key not in names:
                owners[key].add(number)
                seen.setdefault((number, key), descriptor)
    for (number, key), descriptor in sorted(seen.items()):
        if len(owners[key]) == 1:
            profiles[number].descriptors += (descriptor,)


def _descriptor_before(text: str, position: int, group_words: set[str]) -> str | None:
    """The title written right before ``position`` in ``text`` (see ``_add_descriptors``), or None."""
    before = text[max(text.rfind("\n", 0, position) + 1, position - 80):position].split()
    head = next((i for i in range(len(before) - 1, max(len(before) - 5, -1), -1)
                 if before[i].lower() in _TITLE_HEAD_SET), None)
    if head is None or (head < len(before) - 1 and before[head + 1] != "of"):
        return None
    start = head
    while start > 0 and (before[start - 1].lower() in _TITLE_MODIFIER_SET or before[start - 1][0].isupper() and
                         re.sub(r"['’]s?$", "", before[start - 1]).casefold() in group_words):
        start -= 1
    words = before[start:]
    while words and words[0].lower() in ("of", "for"):
        words.pop(0)
    if len(words) < 2 or not _TITLE_BEFORE.search(text, max(0, position - 80), position):
        return None
    return " ".join(words)


def merge_registries(registry: Sequence[Actor], discovered: Sequence[Actor]) -> list[Actor]:
    """The user's registry, filled in by discovery: the user's entries win for every name they cover.

    A discovered actor that shares a name, alias or descriptor with exactly one registry actor is that actor: its
    other names are added to the registry entry as aliases (its kind, gender and affiliation stay the user's). One
    that touches several registry actors is dropped (the user has split what discovery lumped together). The rest
    are added after the registry's own entries, with any descriptor the registry already uses removed.
    """
    merged = {actor.name: actor for actor in registry}
    owner = {_normalise(phrase): actor.name for actor in registry
             for phrase in (actor.name, *actor.aliases, *actor.descriptors)}
    added: list[Actor] = []
    for actor in discovered:
        names = (actor.name, *actor.aliases)
        touched = {owner[_normalise(p)] for p in (*names, *actor.descriptors) if _normalise(p) in owner}
        if len(touched) > 1:
            continue
        if touched:
            target = merged[touched.pop()]
            extra = tuple(n for n in names if _normalise(n) not in owner)
            merged[target.name] = Actor(target.name, target.kind, target.aliases + extra, target.descriptors,
                                        target.gender, target.affiliation)
            owner.update({_normalise(n): target.name for n in extra})
            continue
        descriptors = tuple(d for d in actor.descriptors if _normalise(d) not in owner)
        added.append(Actor(actor.name, actor.kind, actor.aliases, descriptors, actor.gender, None))
        owner.update({_normalise(p): actor.name for p in (*names, *descriptors)})
    return [merged[actor.name] for actor in registry] + added


def registry_yaml(actors: Sequence[Actor], comment: str = "") -> str:
    """A registry as YAML in the format of ``load_registry`` (empty fields left out), ready to edit."""
    entries = []
    for actor in actors:
        entry: dict[str, Any] = {"name": actor.name, "kind": actor.kind}
        for field in ("gender", "affiliation"):
            if getattr(actor, field):
                entry[field] = getattr(actor, field)
        for field in ("aliases", "descriptors"):
            if getattr(actor, field):
                entry[field] = list(getattr(actor, field))
        entries.append(entry)
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return header + yaml.safe_dump({"actors": entries}, allow_unicode=True, sort_keys=False, width=100)


@dataclass(frozen=True)
class ActorSetup:
    """The actors a report analyses: ``registry`` (the user's, filled in by discovery), the ``discovered`` actors
    and their table (``DISCOVERED_COLUMNS``; empty when discovery is off), a ``message`` saying in words where
    the actors came from, or why there are none, and how many discovered actors were ``left_out`` (named less
    often than the ``max_actors`` kept)."""

    registry: list[Actor]
    discovered: list[Actor]
    table: pd.DataFrame
    message: str
    left_out: int = 0


def actors_for_corpus(documents: pd.DataFrame, corpus: str | Path, actors_file: str | Path = "",
                      discover: bool = True, min_mentions: int = 1, jobs: int = 1,
                      cache_dir: str | Path | None = None, max_actors: int | None = DISCOVER_MAX_ACTORS
                      ) -> ActorSetup:
    """The user's registry (``registry_for_corpus``) merged with the actors discovered in ``documents``.

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    corpus, actors_file
        As for ``registry_for_corpus``.
    discover : bool
        Run the named-entity recogniser and propose actors (``find_entities``, ``discover_actors``).
    min_mentions, jobs, cache_dir, max_actors
        Passed to ``discover_actors`` and ``find_entities``.

    Returns
    -------
    ActorSetup
    """
    from newslens.cache import mapped_folder

    registry, source = registry_for_corpus(corpus, actors_file)
    table = pd.DataFrame(columns=DISCOVERED_COLUMNS)
    if not discover:
        if registry:
            return ActorSetup(registry, [], table, f"{source}: {len(registry)} actors; discovery is off")
        return ActorSetup([], [], table, "No actors to analyse: no actor registry (no actors.yaml beside the corpus "
                                         "and no actors_file parameter) and discovery is off "
                                         "(discover_actors = False). Turn discovery on, or give a registry.")
    with kept_workers():  # the recogniser is loaded once per worker, not once per run of documents
        discovered, table, left_out = _discovered(documents, _entities_in_runs(documents, jobs, cache_dir),
                                                  min_mentions, max_actors, mapped_folder(cache_dir))
    merged = merge_registries(registry, discovered)
    if not merged:
        return ActorSetup([], [], table, f"No actors to analyse: there is no actor registry, and the named-entity "
                                         f"recogniser found no person, organisation or place in these "
                                         f"{len(documents)} documents. Give a registry (actors_file) to name the "
                                         f"actors yourself.")
    found = f"discovery found {len(discovered):,} actors in the text"
    if left_out:
        found = (f"discovery found {len(discovered) + left_out:,} actors in the text and kept the {len(discovered):,} "
                 f"most named (discover_max_actors; the other {left_out:,}, named no more often, are left out)")
    if registry:
        message = (f"{source}: {len(registry)} actors, which win for every name they cover; {found}, and "
                   f"{len(merged) - len(registry):,} of them not in the registry were added: {len(merged):,} actors.")
    else:
        message = f"No actor registry: {found}; they are the {len(merged):,} actors analysed here."
    return ActorSetup(merged, discovered, table, message, left_out)


# --------------------------------------------------------------------------------------------------------------
# Attributions, cached on disk per document

ATTRIBUTION_CHUNK = 2000  # documents parsed at a time
_ATTRIBUTION_FIELDS = {"source_start": "Int64", "source_end": "Int64", "cue_start": "Int64", "cue_end": "Int64",
                       "content_start": "int64", "content_end": "int64", "kind": "str", "head_start": "Int64",
                       "head_end": "Int64"}


@functools.lru_cache(maxsize=1)
def _attribution_version() -> str:
    """The parser's model fingerprint and the attribution code and cue list: a change of any starts afresh."""
    import hashlib

    from newslens import attribution
    from newslens.nlp import model_fingerprint

    digest = hashlib.sha256(model_fingerprint().encode())
    for path in (Path(attribution.__file__), attribution.CUES_FILE):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _attribution_cache(cache_dir: str | Path):
    from newslens.cache import DocumentCache

    return DocumentCache(cache_dir, "attributions", _attribution_version(), _ATTRIBUTION_FIELDS)


def cached_attributions(documents: pd.DataFrame, jobs: int = 1, cache_dir: str | Path | None = None,
                        parsed: SentenceMemo | None = None) -> list:
    """``newslens.attribution.find_attributions_many`` for every document, reading and filling the parse cache.

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    jobs : int
        Worker processes for the parser (``find_attributions_many``); 0: every core.
    cache_dir : path, optional
        Folder of the parse cache; None: parse everything.
    parsed : SentenceMemo, optional
        The sentences parsed so far (``find_attributions_many``'s memo, ``attribution.attribution_memo``), for a
        caller that asks for a corpus part by part (None: a memory of its own, ``memo.SentenceMemo``).

    Returns
    -------
    list of list of Attribution, one list per document (for ``find_quotes``).
    """
    return list(_attributions_by_document(documents, jobs, cache_dir, parsed))


def _attributions_by_document(documents: pd.DataFrame, jobs: int, cache_dir: str | Path | None,
                              parsed: SentenceMemo | None) -> _AttributionLists:
    """``cached_attributions`` as ``_AttributionLists``: those read from the cache are kept as columns until
    asked for."""
    from newslens.cache import KEY

    keys, lengths, text_of = _texts_by_key(documents)
    lists, known = _AttributionLists(keys), set()
    cache = _attribution_cache(cache_dir) if cache_dir else None
    if cache is not None:
        rows, present = cache.rows(set(keys))
        known = present - lists.keep(rows, lengths)  # a damaged entry is parsed again
        del rows
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    # In chunks: each finished chunk is in the cache even if the run is stopped, and the chunk's texts and distinct
    # sentences bound the memory (the parses themselves are not kept, see find_attributions_many), with the
    # sentences remembered across chunks (``parsed``). The parser is loaded once per worker, not once per chunk.
    with kept_workers(), nullcontext(parsed) if parsed is not None else attribution_memo() as parsed:
        for first in range(0, len(missing), ATTRIBUTION_CHUNK):
            chunk = missing[first:first + ATTRIBUTION_CHUNK]
            fresh = dict(zip(chunk, find_attributions_many([text_of(key) for key in chunk], jobs=jobs,
                                                            parsed=parsed)))
            if cache is not None:
                cache.put_rows(pd.DataFrame([[key, *(getattr(a, f) for f in _ATTRIBUTION_FIELDS)]
                                             for key, items in fresh.items() for a in items],
                                            columns=[KEY, *_ATTRIBUTION_FIELDS]), fresh)
            lists.fresh.update(fresh)
    return lists


class _AttributionLists:
    """The list of ``Attribution`` of each of ``keys`` (text keys, in document order), made when asked for
    (``lists[i]``, iteration, ``len``): parsed lists are kept in ``fresh`` (key -> list), those read from the parse
    cache (``keep``) as numpy columns until then. As Python objects all at once (every field of every row in a
    list, then the objects), the 200,000 attributions of a run of 100,000 articles made the peak of the actor
    tables' process."""

    def __init__(self, keys: list[str]):
        self.keys, self.fresh = keys, {}
        self._rows_of: dict[str, tuple[int, int]] = {}  # a cached key's rows
        self._columns: list[tuple[np.ndarray, np.ndarray | None]] = []

    def keep(self, rows: pd.DataFrame, lengths: dict[str, int]) -> set[str]:
        """Keep the cached ``rows`` (``DocumentCache.rows``: a key's rows together); return the keys whose spans do
        not fit their text (``lengths``: key -> length of its text), which are damaged and not kept."""
        from newslens.cache import KEY

        # The keys as codes (a Python string per row was 22 MB for a run of 100,000 articles).
        codes, keys = pd.factorize(rows[KEY])
        keys = keys.tolist()
        bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True]) if len(codes) else np.zeros(1, int)
        limits = np.array([lengths.get(key, -1) for key in keys], dtype=np.int64)[codes]
        starts, ends = rows["content_start"].to_numpy(np.int64), rows["content_end"].to_numpy(np.int64)
        damaged = {keys[code] for code in np.unique(codes[~((0 <= starts) & (starts <= ends) & (ends <= limits))])}
        self._rows_of = {keys[codes[first]]: (first, stop) for first, stop in zip(bounds[:-1].tolist(),
                                                                                   bounds[1:].tolist())
                         if keys[codes[first]] not in damaged}
        # Each field as values and, for a nullable one, its missing marks; the kind as codes into its names.
        self._columns = []
        for field, dtype in _ATTRIBUTION_FIELDS.items():
            if dtype == "str":
                kinds, names = pd.factorize(rows[field])
                self._columns.append((np.asarray(names, dtype=object)[kinds], kinds < 0))
            else:
                self._columns.append((rows[field].to_numpy(np.int64, na_value=0),
                                      rows[field].isna().to_numpy() if dtype == "Int64" else None))
        return damaged

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[list]:
        return map(self._list, self.keys)

    def __getitem__(self, position: int) -> list:
        return self._list(self.keys[position])

    def _list(self, key: str) -> list:
        if key in self.fresh:
            return self.fresh[key]
        first, stop = self._rows_of.get(key, (0, 0))  # none: present with no attributions
        values = []
        for column, missing in self._columns:
            part = column[first:stop].tolist()
            values.append(part if missing is None else
                          [None if gone else value for value, gone in zip(part, missing[first:stop].tolist())])
        return [Attribution(*row) for row in zip(*values)]


# --------------------------------------------------------------------------------------------------------------
# The corpus-level tables of the actor analysis, cached on disk


@dataclass(frozen=True)
class ActorTables:
    """What notebook 02 computes from the documents before any tone is scored: the actors (``setup``), their
    ``mentions`` (``find_mentions``) and the ``quotes`` (``find_quotes``), both as ``newslens.parts.Parts`` made
    over the same runs of consecutive documents, and the ``unknown`` names (``unknown_names``)."""

    setup: ActorSetup
    mentions: Parts
    quotes: Parts
    unknown: pd.DataFrame


PART_CHARS = 20_000_000  # characters of text per run of documents: at 100,000 articles, ~400,000 mentions a run


def actor_tables(documents: pd.DataFrame, corpus: str | Path, actors_file: str | Path = "", discover: bool = True,
                 min_mentions: int = 1, jobs: int = 1, cache_dir: str | Path | None = None,
                 max_actors: int | None = DISCOVER_MAX_ACTORS) -> ActorTables:
    """``actors_for_corpus``, then the mentions, quotes and unknown names, read from the corpus-level cache
    (``newslens.cache.TableCache``) when the same documents, registry, parameters, model and code made them before.

    The mentions and quotes are found one run of consecutive documents at a time (about ``PART_CHARS`` characters)
    and kept in parts, one per run (on disk with a cache): 100,000 articles have 8.5 million mentions.

    Parameters
    ----------
    documents : DataFrame
        Columns ``doc_id`` and ``text``.
    corpus, actors_file, discover, min_mentions, jobs, max_actors
        As for ``actors_for_corpus``.
    cache_dir : path, optional
        Cache folder: per-document parses (entities, attributions) and these tables; None: compute everything.

    Returns
    -------
    ActorTables
    """
    from newslens.cache import cached_tables, code_version, documents_key
    from newslens.nlp import model_fingerprint

    registry, source = registry_for_corpus(corpus, actors_file)
    key = {"documents": documents_key(documents), "registry": [asdict(a) for a in registry],
           "registry_source": source, "discover": bool(discover), "min_mentions": int(min_mentions),
           "max_actors": max_actors, "model": model_fingerprint(), "code": code_version(),
           "part_chars": PART_CHARS} if cache_dir else {}

    def compute(folder: Path | None) -> tuple[dict, dict]:
        arguments = (corpus, actors_file, discover, min_mentions, max_actors, jobs, cache_dir, folder)
        if folder is not None and text_chars(documents) >= TABLES_APART_CHARS:
            return _computed_apart(documents, arguments, cache_dir)
        return _computed(documents, *arguments)

    tables, values = cached_tables(cache_dir, "actors", key, compute, check=lambda t, _: _fits(documents, t),
                                   parted=True)
    setup = ActorSetup([_actor_from_json(a) for a in values["registry"]],
                       [_actor_from_json(a) for a in values["discovered"]], tables["discovered_table"],
                       values["message"], values["left_out"])
    return ActorTables(setup, tables["mentions"], tables["quotes"], tables["unknown"])


def _computed(documents: pd.DataFrame, corpus: str | Path, actors_file: str | Path, discover: bool,
              min_mentions: int, max_actors: int | None, jobs: int, cache_dir: str | Path | None,
              folder: Path | None) -> tuple[dict, dict]:
    """What ``actor_tables`` computes and caches: its tables (mentions and quotes written into ``folder``) and the
    JSON values of its ``ActorSetup``."""
    # Every step below (and the tone scores after) reads every text's sentences: split them once, in parallel.
    from newslens.cache import mapped_folder

    split_sentences((text for _, text in _documents(documents)), jobs=jobs, folder=mapped_folder(cache_dir))
    if cache_dir:
        _parse_apart(documents, discover, jobs, cache_dir)
    setup = actors_for_corpus(documents, corpus, actors_file, discover=discover, min_mentions=min_mentions,
                              jobs=jobs, cache_dir=cache_dir, max_actors=max_actors)
    # Discovery frees about as much as the tables below keep (measured at 10,000 articles: 570 MB of free heap
    # held after it): give it back before the next step, whose peak would stand on it.
    release_free_memory()
    tables = _tables_in_runs(documents, setup.registry, jobs, cache_dir, folder)
    values = {"registry": [asdict(a) for a in setup.registry],
              "discovered": [asdict(a) for a in setup.discovered], "message": setup.message,
              "left_out": setup.left_out}
    return {"discovered_table": setup.table, **tables}, values


# From this many characters of text, ``actor_tables`` computes its tables in a process of its own (with a cache),
# which ends with it: the kernel of notebook 02 at 100,000 articles held 387 MB of its own memory after computing
# them (465 MB in all), against 199 MB when it read them from the cache; what the next cells took stood on that.
TABLES_APART_CHARS = 5_000_000


def _computed_apart(documents: pd.DataFrame, arguments: tuple, cache_dir: str | Path) -> tuple[dict, dict]:
    """``_computed`` in a process of its own (``corpus.computed_apart``); the sentences it split are remembered
    here, for the tone scores."""
    tables, values, splits = computed_apart(_computed_there, documents, cache_dir, *arguments)
    remember_splits(splits)
    return tables, values


def _computed_there(documents: pd.DataFrame, *arguments) -> tuple[dict, dict, PackedSplits]:
    """For ``_computed_apart``, in the process of its own: ``_computed`` and the sentences split
    (``text.remembered_splits``)."""
    tables, values = _computed(documents, *arguments)
    return tables, values, remembered_splits(dropping(documents["text"].fillna("").astype(str)))


def _tables_in_runs(documents: pd.DataFrame, registry: Sequence[Actor], jobs: int,
                    cache_dir: str | Path | None, folder: Path | None) -> dict:
    """The mentions and quotes (``Parts``, written into ``folder``; None: kept in memory) and the unknown names,
    one run of documents (``_document_runs``) at a time: neither a corpus's mentions nor its attributions (235 MB
    for 196,509 at 10,000 articles) are ever whole in memory."""
    writers = PartsWriters(folder)
    names = _NameTally(registry)
    # The matcher and the parser are loaded once per worker, not once per run; the sentences parsed in one run are
    # not parsed again in the next.
    with kept_workers(), attribution_memo() as parsed:
        for run in _document_runs(documents):
            # Each step frees more than it keeps (the workers' tables it joins, the cached rows it reads): given
            # back after each, the next step's peak does not stand on it. The names first, before this run's tables
            # exist. At 100,000 articles, a run's peak went from 470 to 422 MB.
            names.add(run, jobs)
            release_free_memory()
            mentions = find_mentions(run, registry, jobs=jobs)
            release_free_memory()
            found = _attributions_by_document(run, jobs, cache_dir, parsed)
            release_free_memory()
            quotes = find_quotes(run, registry, mentions, found)
            writers.add("mentions", mentions)
            writers.add("quotes", quotes)
            del mentions, found, quotes
            release_free_memory()
    return {"mentions": writers.done("mentions"), "quotes": writers.done("quotes"),
            "unknown": names.table(UNKNOWN_MIN_COUNT, documents)}


# From this many characters of text not yet in the parse caches, ``actor_tables`` parses them in processes of its own.
PARSE_APART_CHARS = 5_000_000


def _parse_apart(documents: pd.DataFrame, entities: bool, jobs: int, cache_dir: str | Path) -> None:
    """Fill the parse caches (the entities when ``entities``, and the attributions) of the documents missing from
    them, one run of documents (``_document_runs``) at a time, each in a process of its own
    (``parallel.in_fresh_process``), when they hold ``PARSE_APART_CHARS`` of text or more: the caller then reads
    every parse from the cache. What parsing leaves behind in a process goes with that process (from an empty cache,
    the kernel of notebook 02 held 160 MB more after its first cell, on 10,000 articles, than with the caches
    filled). The sentences parsed in one run are remembered for the next in a file of the cache's mapped folder."""
    from newslens.cache import mapped_folder, text_key

    sized = [(text_key(text), len(text)) for text in dropping(documents["text"].fillna("").array)]
    keys = [key for key, _ in sized]
    caches = [_entity_cache(cache_dir), _attribution_cache(cache_dir)] if entities else [_attribution_cache(cache_dir)]
    missing = set(keys) - set.intersection(*(cache.present(keys) for cache in caches))
    if sum(length for key, length in sized if key in missing) < PARSE_APART_CHARS:
        return
    folder = mapped_folder(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as memo:
        first = 0
        for run in _document_runs(documents):
            wanted = [position for position, key in enumerate(keys[first:first + len(run)]) if key in missing]
            first += len(run)
            if wanted:
                # One Arrow table of the run's texts, a copy: a slice is pickled with the whole buffers of its chunks.
                texts = pa.Table.from_pandas(run[["doc_id", "text"]], preserve_index=False).take(wanted)
                drop_mapped_pages()  # the run's texts, read from the mapped column: 425 MB over 100,000 articles
                splits = remembered_splits(texts.column("text").fill_null("").to_pylist())
                in_fresh_process(_parse_run, texts, splits, entities, jobs, str(cache_dir), memo)
                del texts, splits


def _parse_run(texts: pa.Table, splits: PackedSplits, entities: bool, jobs: int, cache_dir: str, memo: str) -> None:
    """``_parse_apart``'s work on one run of documents (``texts``: columns doc_id and text), in a process of its own,
    given their sentences (``text.remembered_splits``): the sentences parsed before are read from the memories
    (``memo.SentenceMemo``) in the folder ``memo``, which keep this run's too."""
    remember_splits(splits)
    documents = texts.to_pandas()
    folder = Path(memo)
    # One set of workers (each loads both pipelines) for the entities and the attributions.
    with kept_workers(), _entity_memo(folder / "entities.sqlite") as entity_memo, \
            attribution_memo(folder / "attributions.sqlite") as parsed:
        if entities:
            find_entities(documents, jobs=jobs, cache_dir=cache_dir, parsed=entity_memo)
        cached_attributions(documents, jobs=jobs, cache_dir=cache_dir, parsed=parsed)


def _document_runs(documents: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """Consecutive runs of ``documents``, cut where the running count of characters passes a multiple of
    ``PART_CHARS`` (a document is never cut); one run at least."""
    # Text by text, the pages read dropped as they go: texts mapped from the cache, read all at once, were all
    # resident for a moment (+400 MB at 100,000 articles).
    lengths = np.fromiter(map(len, dropping(documents["text"].fillna("").array)), dtype=np.int64,
                          count=len(documents))
    run_of_document = (np.cumsum(lengths) - lengths) // PART_CHARS  # by the characters before it
    # As slices of the table: selecting rows by a mask would join the text column's Arrow chunks (+425 MB at
    # 100,000 articles, for every run).
    edges = np.r_[0, np.flatnonzero(np.diff(run_of_document)) + 1, len(documents)]
    for first, stop in zip(edges[:-1], edges[1:]):  # no documents: one empty run
        yield documents.iloc[first:stop]


def _actor_from_json(data: dict) -> Actor:
    return Actor(**{field: tuple(value) if isinstance(value, list) else value for field, value in data.items()})


def _fits(documents: pd.DataFrame, tables: dict) -> bool:
    """Every mention spells its surface in its document's text: cached tables that do not are not these
    documents'."""
    texts = DocumentTexts(documents)
    return all(doc_id in texts and texts[doc_id][start:end] == surface
               for part in frames_of(tables["mentions"], ["doc_id", "start", "end", "surface"])
               for doc_id, start, end, surface in zip(part["doc_id"], part["start"], part["end"], part["surface"]))
