"""Actors: the registry, their mentions in the text, unknown names, and who says what.

Public surface (plain data in, plain data out):
    Actor, RegistryError
    load_registry(path) -> list[Actor]
    parse_registry(data, source) -> list[Actor]
    find_mentions(documents, registry) -> DataFrame
    unknown_names(documents, registry, min_count=2, ignore=()) -> DataFrame
    find_quotes(documents, registry, mentions, attributions=None) -> DataFrame

``documents`` is a DataFrame with columns ``doc_id`` and ``text``; every span is a character offset into ``text``.

Rules worth knowing (the registry file explains the user-facing ones):
* Names match longest first and ignore case, except short all-capital aliases ("US", "EU") which must match exactly,
  so the pronoun "us" is never the United States. A name written all in lower case is skipped ("trump card").
* Descriptors ("the Russian dictator") are matched separately. One right before a capitalised word is a title
  ("Kremlin spokesman Dmitry Peskov") and is dropped, since the name that follows is the mention. Generic
  descriptors, written all in lower case in the registry ("the top diplomat"), count only in documents that also
  name the actor.
* Pronouns: he/him/his/himself and she/her/hers/herself go to people of that gender; "its" goes to a country or
  organisation in the same sentence; "it" and "they" are never resolved (too often expletive or plural).
* Quotes come from ``newslens.attribution`` (spaCy's parse). A source is a registry actor only when one of its
  mentions covers the source's head word with nothing but titles before it ("President Donald Trump" is Trump,
  "Politico Europe" is not Europe, "Sources close to the Kremlin" is not the Kremlin); other sources are kept, with
  no speaker, never moved onto the nearest actor.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
import yaml

from newslens.attribution import Attribution, find_attributions_many
from newslens.text import sentence_spans

KINDS = ("person", "country", "organisation")
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
        if name in owner.values():
            raise RegistryError(f"{label}: name {name!r} is already used by another entry")
        for phrase in (name, *aliases, *descriptors):
            key = _normalise(phrase)
            if owner.get(key, name) != name:
                raise RegistryError(f"{label}: alias {phrase!r} also claimed by {owner[key]!r}")
            owner[key] = name
        actors.append(Actor(name, kind, aliases, descriptors, gender, affiliation and affiliation.strip()))

    names = {actor.name for actor in actors}
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


@functools.lru_cache(maxsize=16384)
def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, remembered: find_mentions and find_quotes both need them for the same texts, and splitting
    is the slowest step. Callers must not modify the returned list."""
    return sentence_spans(text)


def _documents(documents: pd.DataFrame) -> Iterable[tuple[str, str]]:
    return zip(documents["doc_id"].astype(str), documents["text"].fillna("").astype(str))


# --------------------------------------------------------------------------------------------------------------
# Mentions


def find_mentions(documents: pd.DataFrame, registry: Sequence[Actor]) -> pd.DataFrame:
    """Every mention of a registry actor, in document and text order.

    Columns: doc_id, actor (canonical name), surface (the text as written), start, end (character span in the
    document text), sent_start, sent_end (span of the sentence holding it), found_by ("name", "alias",
    "descriptor" or "pronoun") and antecedent_start (for pronouns, the start of the mention it was resolved to;
    otherwise missing).
    """
    matcher = _matcher(tuple(registry))
    rows: list[tuple] = []
    for doc_id, text in _documents(documents):
        rows.extend((doc_id, *row) for row in _document_mentions(text, matcher))
    frame = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    frame["antecedent_start"] = frame["antecedent_start"].astype("Int64")
    return frame


def _document_mentions(text: str, matcher: _Matcher) -> list[tuple]:
    sentences = _sentences(text)
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
    names = _non_overlapping(candidates)
    name_at = {start: actor for start, _, actor, _ in names}
    named_actors = {actor for *_, actor, _ in names}

    mentions = list(names)
    if matcher.descriptor_re is not None:
        taken = []
        for match in matcher.descriptor_re.finditer(text):
            actor, generic = matcher.descriptors[_normalise(match.group())]
            if generic and actor not in named_actors:
                continue
            if _CAPITALISED_NEXT.match(text, match.end()):
                continue  # a title in front of a name
            apposition = _APPOSITION.match(text, match.end())
            if apposition and name_at.get(apposition.end()) == actor:
                continue  # "the head of EU diplomacy, Kaia Kallas": the name is the mention
            taken.append((match.start(), match.end(), actor, "descriptor"))
        # A kept descriptor is one reference: names inside it ("Kremlin" in "Kremlin spokesman") are not extra.
        mentions = [m for m in mentions if not any(d[0] <= m[0] and m[1] <= d[1] for d in taken)] + taken
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
            return actor.kind in ("country", "organisation")
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


def unknown_names(documents: pd.DataFrame, registry: Sequence[Actor], min_count: int = 2,
                  ignore: Iterable[str] = ()) -> pd.DataFrame:
    """Frequent capitalised names that no registry entry covers, most frequent first, to help extend the registry.

    Columns: name, count (occurrences), documents (number of documents), example (one sentence-sized snippet).
    Skipped: words inside a registry mention, titles, months and days, adjectives and demonyms of registered
    countries ("Russian", "Ukrainians"), and a capitalised first word of a sentence that also occurs in lower case
    in the corpus (an ordinary word that happens to open the sentence).
    """
    matcher = _matcher(tuple(registry))
    skip = set(_NOT_NAMES) | {word for word in ignore} | _demonyms(registry)
    counts: Counter = Counter()
    docs: dict[str, set] = defaultdict(set)
    examples: dict[str, str] = {}
    sentence_openers: Counter = Counter()
    lower_words: set[str] = set()
    for doc_id, text in _documents(documents):
        covered = bytearray(len(text))
        for start, end in _name_and_descriptor_spans(text, matcher):
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
            if not words:
                continue
            name = " ".join(words)
            if len(words) == 1 and opener:
                sentence_openers[name] += 1
            counts[name] += 1
            docs[name].add(doc_id)
            if name not in examples:
                examples[name] = _snippet(text, start, end)
    rows = []
    for name, count in counts.items():
        if name.lower() in lower_words and sentence_openers[name] == count:
            continue
        if count >= min_count:
            rows.append((name, count, len(docs[name]), examples[name]))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return pd.DataFrame(rows, columns=UNKNOWN_COLUMNS)


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
    pairs = list(_documents(documents))
    if attributions is None:
        attributions = find_attributions_many([text for _, text in pairs])
    by_doc = {doc_id: group for doc_id, group in mentions.groupby("doc_id", sort=False)}
    rows = []
    for (doc_id, text), found in zip(pairs, attributions):
        group = by_doc.get(doc_id)
        doc_mentions = [] if group is None else sorted(zip(group["start"], group["end"], group["actor"]))
        rows.extend((doc_id, *row) for row in _document_quotes(text, found, doc_mentions))
    frame = pd.DataFrame(rows, columns=QUOTE_COLUMNS)
    for column in ("speaker_start", "speaker_end"):
        frame[column] = frame[column].astype("Int64")
    return frame.drop_duplicates(["doc_id", "source", "quote_start", "quote_end"]).reset_index(drop=True)


def _document_quotes(text: str, found: Sequence[Attribution], mentions: list[tuple[int, int, str]]) -> list[tuple]:
    starts = [start for start, _ in _sentences(text)]
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
