"""Target-dependent sentiment: how a sentence speaks about one mention in it.

Public surface:
    LABELS = ("negative", "neutral", "positive")
    classify_target(text, start, end, method=None) -> label
    score_targets(items, method=None, memo=None) -> DataFrame, one row per (text, start, end)
    ScoreMemo(path=None, limit=SCORE_MEMO_PAIRS)  -- scores remembered across calls of score_targets, on disk

Methods (all offline, all deterministic):

``"model"`` (the default)
    all-MiniLM-L6-v2 fine-tuned on NewsMTSC and run with onnxruntime (``newslens.encoder``; built by
    ``make train-sentiment``). Each mention is its own input: its sentence with the mention bracketed by two marker
    pieces, then the mention again as a second segment; it is read as the [CLS] state beside the mean state of the
    bracketed mention. Weights are int8; one thread and one input per call, so scores are the same bytes on every
    run and with any number of jobs. ``score`` is
    P(positive) - P(negative); the span the model looked at is the sentence.

``"fast"``
    A class-balanced multinomial logistic regression trained on NewsMTSC (``python -m newslens.train_sentiment``),
    for very large corpora: about 25 times faster and 7 to 13 points of macro-F1 worse than ``"model"`` on the
    NewsMTSC dev sets (README).
    The features are relative to the target (see ``target_features``): words and bigrams of the sentence with the
    mention masked and of the clause that holds it, the words left and right of it by distance, VADER lexicon hits
    (negation-aware) by side, distance, clause and nearest name, and whether the target is the one speaking. The
    weights ship as plain arrays (``data/target_sentiment.npy`` + vocabulary in ``data/target_sentiment.json``) and
    prediction is a sparse dot product in numpy, so the files load with any scikit-learn version (or none).
    ``score`` is P(positive) - P(negative); the span the model looked at is the sentence.

``"vader"``
    NLTK's VADER on the clause around the mention (see ``clause_span``), with the mention itself blanked out, so that
    a name that happens to be a lexicon word ("Winner", "Justice") does not colour its own score. The lexicon is the
    one shipped inside the ``vaderSentiment`` package, read by absolute path, so nothing in a user's ``~/nltk_data``
    can change the result. ``score`` is VADER's compound; labels use VADER's own thresholds (>= 0.05 positive,
    <= -0.05 negative).

All methods look only at the sentence that holds the mention (``newslens.text.sentence_spans``), so a whole article
can be passed as ``text``.

Clause around the mention (``clause_span``): the sentence is cut at ``;`` ``:`` ``,`` dashes (— – and a spaced ``-``),
brackets, double quotation marks, and before the conjunctions "but", "while", "although", "though", "whereas",
"however", "yet" and "because". The clause is the piece that holds the mention, without the separator and the
leading conjunction. Commas also separate list items and appositions ("Putin, the Russian president, said"), so a
piece with fewer than four words is merged with its neighbours (right first) until it has four or there is nothing
left to merge. Boundaries inside the mention itself are ignored.
"""
from __future__ import annotations

import bisect
import functools
import json
import re
import struct
from array import array
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from newslens.memo import OnStore
from newslens.text import import_nltk, sentence_spans, text_digest

LABELS = ("negative", "neutral", "positive")
METHODS = ("model", "fast", "vader")
DEFAULT_METHOD = "model"

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_WEIGHTS = DATA_DIR / "target_sentiment.npy"
MODEL_META = DATA_DIR / "target_sentiment.json"
# Bump when target_features changes: the shipped model's metadata records it, and the tests compare.
FEATURES_VERSION = 2

# ---------------------------------------------------------------------------------------------------------------
# Clauses
# ---------------------------------------------------------------------------------------------------------------

_CONJUNCTIONS = ("but", "while", "although", "though", "whereas", "however", "yet", "because")
# A quotation mark counts as a boundary: what is quoted is usually someone else's voice, not the narrator's.
_CLAUSE_BOUNDARY = re.compile(
    r"[;:,()\[\]\"“”]|\s[—–-]+\s|[—–]|(?<![\w'’])(?:" + "|".join(_CONJUNCTIONS) + r")(?![\w'’])",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_](?:[\w]|[-'’](?=[^\W_]))*")
MIN_CLAUSE_WORDS = 4


def _check_span(text: str, start: int, end: int) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if not (isinstance(start, (int, np.integer)) and isinstance(end, (int, np.integer))):
        raise TypeError(f"start and end must be integers, got {start!r} and {end!r}")
    if not 0 <= start < end <= len(text):
        raise ValueError(
            f"invalid target span [{start}, {end}) for a text of length {len(text)}: "
            "need 0 <= start < end <= len(text)"
        )


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def clause_pieces(text: str, start: int = 0, end: int = 0) -> list[tuple[int, int]]:
    """Spans of the pieces between clause boundaries (separators and leading conjunctions dropped).

    Boundaries that overlap ``[start, end)`` (the mention) are ignored.
    """
    pieces = []
    pos = 0
    for match in _CLAUSE_BOUNDARY.finditer(text):
        if match.start() < end and match.end() > start:
            continue
        piece = _strip(text, pos, match.start())
        if piece[0] < piece[1]:
            pieces.append(piece)
        pos = match.end()
    piece = _strip(text, pos, len(text))
    if piece[0] < piece[1]:
        pieces.append(piece)
    return pieces


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of ``text`` (``newslens.text.sentence_spans``) that hold the mention ``text[start:end]``."""
    _check_span(text, start, end)
    spans = sentence_spans(text)  # in order and disjoint: sorted by start and by end alike
    first = bisect.bisect_right(spans, start, key=lambda span: span[1])  # the first that ends after ``start``
    last = bisect.bisect_left(spans, end, key=lambda span: span[0]) - 1  # the last that starts before ``end``
    if first > last:
        return 0, len(text)
    return min(spans[first][0], start), max(spans[last][1], end)


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around the mention ``text[start:end]``, as character offsets (see the module docstring)."""
    s0, s1 = sentence_span(text, start, end)
    start_in, end_in = _clause_in_sentence(text[s0:s1], start - s0, end - s0)
    return s0 + start_in, s0 + end_in


def _clause_in_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    pieces = clause_pieces(text, start, end)
    # The mention may consist of boundary characters only, or sit in stripped white space: then it is its own piece.
    home = next((i for i, (s, e) in enumerate(pieces) if s < end and e > start), None)
    if home is None:
        return start, end
    lo = hi = home

    def n_words(a: int, b: int) -> int:
        return len(_WORD.findall(text, pieces[a][0], pieces[b][1]))

    while n_words(lo, hi) < MIN_CLAUSE_WORDS and (lo > 0 or hi < len(pieces) - 1):
        if hi < len(pieces) - 1:
            hi += 1
        else:
            lo -= 1
    return min(pieces[lo][0], start), max(pieces[hi][1], end)


# ---------------------------------------------------------------------------------------------------------------
# VADER
# ---------------------------------------------------------------------------------------------------------------


def vader_lexicon_path() -> Path:
    import vaderSentiment

    return Path(vaderSentiment.__file__).resolve().parent / "vader_lexicon.txt"


@functools.lru_cache(maxsize=1)
def _vader():
    nltk = import_nltk()
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    lexicon = vader_lexicon_path()
    # NLTK 3.10 only opens ``file:`` paths under a registered data folder. The path is absolute, so NLTK opens exactly
    # this file and never searches the other folders (a user's ~/nltk_data) for it.
    folder = str(lexicon.parent)
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return SentimentIntensityAnalyzer(lexicon_file="file:" + lexicon.as_posix())


@functools.lru_cache(maxsize=1)
def vader_lexicon() -> dict[str, float]:
    """VADER's word valences (about -4 .. 4), as read by NLTK from the shipped lexicon."""
    return dict(_vader().lexicon)


def _blank(text: str, start: int, end: int) -> str:
    # "someone" is not in the lexicon and keeps the clause grammatical for VADER's negation and booster rules.
    return text[:start] + "someone" + text[end:]


def _vader_row(sentence: str, start: int, end: int) -> tuple:
    # ``score_targets`` gives the sentence that holds the mention; splitting it again would find the same sentence
    # (and cost more than VADER itself).
    c_start, c_end = _clause_in_sentence(sentence, start, end)
    clause = _blank(sentence[c_start:c_end], start - c_start, end - c_start)
    # VADER spots negation by "n't" with a straight apostrophe; news text mostly has the curly one ("didn’t").
    clause = clause.replace("’", "'")
    compound = float(_vader().polarity_scores(clause)["compound"])
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    nan = float("nan")
    return label, compound, nan, nan, nan, c_start, c_end  # a row: the values of _COLUMNS


# ---------------------------------------------------------------------------------------------------------------
# Features of the model
# ---------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_](?:[\w]|[-'’.](?=[^\W_]))*|[^\w\s]", re.UNICODE)
_QUOTES = set("\"“”")
_NEGATIONS = frozenset(
    "not no never nobody nothing none neither nor without cannot n't hardly barely".split()
)
# Verbs that introduce speech or a stance. When the target is their subject, the words that follow are what the
# target says, which is not sentiment towards the target.
_CUE_VERBS = frozenset(
    """
    say says said saying tell tells told telling add adds added note notes noted argue argues argued claim claims
    claimed insist insists insisted write writes wrote state states stated explain explains explained warn warns
    warned ask asks asked announce announces announced tweet tweets tweeted declare declares declared suggest
    suggests suggested acknowledge acknowledges acknowledged recall recalls recalled believe believes believed
    think thinks thought contend contends contended respond responds responded reply replies replied predict
    predicts predicted urge urges urged
    """.split()
)
_PRONOUNS = frozenset("he she him her his hers they them their i we you it".split())
_DISTANCE_BUCKETS = ((1, "1"), (2, "2"), (3, "3"), (5, "5"), (8, "8"), (12, "12"))


def _bucket(distance: int) -> str | None:
    for limit, name in _DISTANCE_BUCKETS:
        if distance <= limit:
            return name
    return None


def _tokens(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in _TOKEN.finditer(text):
        tok = m.group().lower().replace("’", "'")
        if tok.endswith("n't") and len(tok) > 3:
            # "didn't" -> "did", "n't" so that negation is one feature.
            out.append((tok[:-3], m.start(), m.end() - 3))
            out.append(("n't", m.end() - 3, m.end()))
        elif tok.endswith("'s") and len(tok) > 2:
            out.append((tok[:-2], m.start(), m.end() - 2))
            out.append(("'s", m.end() - 2, m.end()))
        else:
            out.append((tok, m.start(), m.end()))
    return out


def target_features(text: str, start: int, end: int) -> dict[str, float]:
    """Named features of one target, the input of the model (the names are the model's vocabulary).

    Words are lower-cased and the mention becomes the single token ``<t>``, so the model learns about the contexts
    of targets, not about particular names.
    """
    lexicon = vader_lexicon()
    s0, s1 = sentence_span(text, start, end)
    text, start, end = text[s0:s1], start - s0, end - s0
    c_start, c_end = clause_span(text, start, end)
    tokens = _tokens(text)
    left = [t for t in tokens if t[2] <= start]
    right = [t for t in tokens if t[1] >= end]
    ti = len(left)
    words = [t[0] for t in left] + ["<t>"] + [t[0] for t in right]
    spans = [(t[1], t[2]) for t in left] + [(start, end)] + [(t[1], t[2]) for t in right]
    n = len(words)
    in_clause = [c_start <= s and e <= c_end for s, e in spans]
    # Other names: capitalised words that do not open the sentence or a quote.
    is_name = [
        i != ti and s > 0 and text[s].isupper() and text[max(0, s - 2) : s].strip() not in (".", '"', "“")
        for i, (s, e) in enumerate(spans)
    ]
    in_quote, depth = [], 0
    for w in words:
        depth ^= w in _QUOTES
        in_quote.append(bool(depth))
    negated = [False] * n
    for i, w in enumerate(words):
        if w in _NEGATIONS:
            negated[i + 1 : i + 4] = [True] * len(negated[i + 1 : i + 4])

    f: dict[str, float] = {}

    def add(name: str, value: float = 1.0) -> None:
        f[name] = f.get(name, 0.0) + value

    # The words next to the target, as n-grams.
    add("lb:" + "_".join(words[max(0, ti - 2) : ti]))
    add("rb:" + "_".join(words[ti + 1 : ti + 3]))
    add("lrb:" + (words[ti - 1] if ti else "<s>") + "_" + (words[ti + 1] if ti + 1 < n else "</s>"))

    entities = [i for i in range(n) if is_name[i] or i == ti]
    prev = "<s>"
    for i, w in enumerate(words):
        # Bag of words and bigrams of the sentence, and again of the clause.
        add("s:" + w)
        add("s2:" + prev + "_" + w)
        if in_clause[i]:
            add("c:" + w)
            add("c2:" + prev + "_" + w)
        prev = w
        if i == ti:
            continue
        side = "l" if i < ti else "r"
        # Words near the target, by side and distance.
        b = _bucket(abs(i - ti))
        if b is not None:
            add(f"{side}{b}:{w}")
            if is_name[i]:
                add(f"{side}{b}:<ne>")
        # VADER's prior knowledge, where the training set is too small to learn a word's polarity.
        valence = lexicon.get(w, 0.0)
        if not valence:
            continue
        v = (-0.74 if negated[i] else 1.0) * valence / 4.0  # -0.74: VADER's own damping of a negated word
        sign = "+" if v > 0 else "-"
        add("lex_s", v)
        if in_quote[i]:
            add("lex_q", v)
        if in_clause[i]:
            add("lex_c", v)
            add("lex_c" + side, v)
            add("lexpol_c" + sign)
        if b is not None:
            add("lex_w", v)
            add(f"lex_{side}{b}", v)
            add("lexpol_w" + sign)
            add(f"lexpol_{side}{b}" + sign)
        # Whose word is it? Credit it to the nearest name (the target or another one).
        owner = min(entities, key=lambda j: (abs(j - i), j))
        add("lex_own" if owner == ti else "lex_other", v)
    add("s2:" + prev + "_</s>")

    # The target speaks ("<t> said", "said <t>", "according to <t>"): the rest is its words, not a judgement of it.
    if (
        any(w in _CUE_VERBS for w in words[ti + 1 : ti + 4])
        or (ti and words[ti - 1] in _CUE_VERBS)
        or words[max(0, ti - 2) : ti] == ["according", "to"]
    ):
        add("t_speaks")
    if in_quote[ti]:
        add("t_in_quote")
    if ti == 0 or words[ti - 1] in _QUOTES:
        add("t_first")
    if ti + 1 < n and words[ti + 1] == "'s":
        add("t_possessive")
    mention = text[start:end].strip().lower()
    if mention in _PRONOUNS:
        add("t_pronoun:" + mention)
    add("clause_length", min(sum(in_clause), 40) / 40.0)
    return f


# ---------------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------------


class TargetModel:
    """Multinomial logistic regression over named sparse features, evaluated in numpy."""

    def __init__(self, vocabulary: list[str], coef: np.ndarray, intercept: np.ndarray, meta: dict | None = None):
        self.vocabulary = {name: i for i, name in enumerate(vocabulary)}
        self.coef = np.asarray(coef, dtype=np.float64)  # (n_features, n_labels)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.meta = meta or {}
        if self.coef.shape != (len(vocabulary), len(LABELS)):
            raise ValueError(f"model weights have shape {self.coef.shape}, expected ({len(vocabulary)}, {len(LABELS)})")

    @classmethod
    def load(cls, weights: Path = MODEL_WEIGHTS, meta: Path = MODEL_META) -> "TargetModel":
        matrix = np.load(weights, allow_pickle=False)
        info = json.loads(Path(meta).read_text(encoding="utf-8"))
        return cls(info["vocabulary"], matrix[:-1], matrix[-1], info)

    def vectorize(self, features: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        idx, val = [], []
        for name, value in features.items():
            i = self.vocabulary.get(name)
            if i is not None:
                idx.append(i)
                val.append(value)
        return np.asarray(idx, dtype=np.int64), np.asarray(val, dtype=np.float64)

    def predict_proba(self, features: dict[str, float]) -> np.ndarray:
        idx, val = self.vectorize(features)
        logits = self.intercept + val @ self.coef[idx]
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()


@functools.lru_cache(maxsize=1)
def load_model() -> TargetModel:
    if not MODEL_WEIGHTS.exists() or not MODEL_META.exists():
        raise FileNotFoundError(
            f"the sentiment model is missing ({MODEL_WEIGHTS.name}, {MODEL_META.name} in {DATA_DIR}); "
            "rebuild it with `python -m newslens.train_sentiment`"
        )
    return TargetModel.load()


def _fast_row(text: str, start: int, end: int) -> tuple:
    s0, s1 = sentence_span(text, start, end)
    p = load_model().predict_proba(target_features(text, start, end))
    return _probability_row(p, s0, s1)


def _probability_row(p: np.ndarray, s0: int, s1: int) -> tuple:
    return LABELS[int(np.argmax(p))], float(p[2] - p[0]), float(p[0]), float(p[1]), float(p[2]), s0, s1


def _encoder_rows(sentence: str, spans: list[tuple[int, int]]) -> list[tuple]:
    from newslens.encoder import load_encoder

    return [_probability_row(p, 0, len(sentence)) for p in load_encoder().predict_proba(sentence, spans)]


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------

# The columns of ``score_targets``; a scored target is a row: a tuple of their values, in this order (a tuple, not a
# dict: a memo keeps hundreds of thousands of them).
_COLUMNS = ["label", "score", "p_negative", "p_neutral", "p_positive", "clause_start", "clause_end"]


def _check_method(method: str | None) -> str:
    method = DEFAULT_METHOD if method is None else method
    if method not in METHODS:
        raise ValueError(
            f"unknown sentiment method {method!r}; allowed: {', '.join(METHODS)} (or None for {DEFAULT_METHOD!r})"
        )
    return method


def _sentence_rows(method: str):
    """Scores of the targets of one sentence: (sentence, [(start, end), ...]) -> rows (tuples of the values of
    ``_COLUMNS``) relative to the sentence."""
    if method == "model":
        return _encoder_rows
    row = _fast_row if method == "fast" else _vader_row
    return lambda sentence, spans: [row(sentence, start, end) for start, end in spans]


def classify_target(text: str, start: int, end: int, method: str | None = None) -> str:
    """The sentiment label ("negative", "neutral", "positive") of ``text`` towards the mention ``text[start:end]``."""
    return score_targets([(text, start, end)], method=method)["label"].iloc[0]


@functools.lru_cache(maxsize=None)
def method_fingerprint(method: str | None = None) -> str:
    """sha256 over what a method's scores depend on (the model's or lexicon's files and the features version): the
    key for scores cached on disk."""
    import hashlib

    method = _check_method(method)
    if method == "model":
        from newslens import encoder

        files = [encoder.MODEL_FILE, encoder.TOKENIZER_FILE]
    else:
        files = [MODEL_WEIGHTS, MODEL_META] if method == "fast" else [vader_lexicon_path()]
    digest = hashlib.sha256(f"{method}|features {FEATURES_VERSION}".encode())
    for path in files:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()


def score_targets(items: Iterable[tuple[str, int, int]], method: str | None = None, progress: bool = False,
                  jobs: int = 1, memo: ScoreMemo | None = None) -> pd.DataFrame:
    """One row per ``(text, start, end)``, in order: label, score, class probabilities and the span looked at.

    Parameters
    ----------
    items : iterable of (text, start, end)
        The mention ``text[start:end]``; ``text`` may be a whole article (only the sentence holding the mention is
        read).
    method : {"model", "fast", "vader"}, optional
        See the module docstring; ``None`` is ``"model"``.
    progress : bool
        Show a progress bar over the sentences to score (for interactive use).
    jobs : int
        Processes when there are at least ``PARALLEL_MIN_SENTENCES[method]`` sentences to score; 0: every
        core (``newslens.parallel.map_chunks``; a Dask scheduler named in the environment takes the work whatever
        its size). Each sentence is scored alone, so the results are the same bytes for any ``jobs``.
    memo : ScoreMemo, optional
        Scores remembered across calls, read and extended: a caller that scores a corpus batch by batch passes the
        same memo (of one method) to each call, so that a sentence repeated in several batches (wire copy,
        boilerplate) is scored once. A target's scores do not depend on what else is scored with it, so the results
        are the same with or without it.
    """
    method = _check_method(method)
    # Every method looks only at the sentence that holds the mention, so each distinct sentence is scored once, with
    # all its mentions (wire copy and boilerplate repeat sentences), and the offsets are moved back afterwards.
    # Per distinct sentence, the number of each distinct span in it; per mention, that number and the sentence's
    # offset, as machine integers: a large corpus has hundreds of thousands of mentions and far fewer distinct
    # (sentence, span) pairs.
    targets: dict[str, dict[tuple[int, int], int]] = {}
    row_of, offset_of = array("q"), array("q")
    distinct = 0
    for text, start, end in items:
        _check_span(text, start, end)
        s0, s1 = sentence_span(text, start, end)
        numbers = targets.setdefault(text[s0:s1], {})
        number = numbers.get((start - s0, end - s0))
        if number is None:
            number = numbers[(start - s0, end - s0)] = distinct
            distinct += 1
        row_of.append(number)
        offset_of.append(s0)
    rows, work = _ScoreRows(distinct), []
    for sentence, numbers in targets.items():
        remembered = memo.recall(sentence) if memo is not None else {}
        missing = []
        for span, number in numbers.items():
            if span in remembered:
                rows.put(number, remembered[span])
            else:
                missing.append(span)
        if missing:
            work.append((sentence, missing))
    for (sentence, spans), scored in zip(work, _score_sentences(method, work, progress, jobs)):
        for span, row in zip(spans, scored):
            rows.put(targets[sentence][span], row)
        if memo is not None:
            memo.remember(sentence, dict(zip(spans, scored)))
    return rows.frame(np.frombuffer(row_of, dtype=np.int64), np.frombuffer(offset_of, dtype=np.int64))


class _ScoreRows:
    """The row of each distinct (sentence, span) of ``score_targets``, by its number, kept in arrays as it comes.

    Not a tuple per row (a tuple, its floats and integers: about 270 bytes, against 49 here): measured on 100,000
    mentions of the 100,000-article benchmark corpus (VADER, in one process), 58.2 → 52.7 MB above the start, and
    21.0 → 16.4 MB when every pair was recalled from a ``ScoreMemo``.
    """

    def __init__(self, distinct: int):
        self.labels = np.zeros(distinct, dtype=np.int8)  # the label's number in LABELS
        self.scores = np.zeros((distinct, 4))  # score and the three probabilities
        self.clauses = np.zeros((distinct, 2), dtype=np.int64)  # in the sentence

    def put(self, number: int, row: tuple) -> None:
        """Row ``number`` is ``row`` (a tuple of the values of ``_COLUMNS``)."""
        self.labels[number] = LABELS.index(row[0])
        self.scores[number] = row[1:5]
        self.clauses[number] = row[5:7]

    def frame(self, mention_rows: np.ndarray, offsets: np.ndarray) -> pd.DataFrame:
        """The table of ``score_targets``: row ``mention_rows[i]`` for mention i, its clause moved by
        ``offsets[i]`` (its sentence's start in its text)."""
        columns = {"label": np.array(LABELS, dtype=object)[self.labels[mention_rows]]}
        columns.update(zip(_COLUMNS[1:5], self.scores[mention_rows].T))
        columns.update(zip(_COLUMNS[5:], (self.clauses[mention_rows] + offsets[:, None]).T))
        return pd.DataFrame(columns, columns=_COLUMNS).astype({"label": object})


# (sentence, span) pairs a ``ScoreMemo`` keeps by default: about 100 bytes a pair on disk (102 MB measured at 990,000
# pairs), and no memory (``newslens.memo``). The dict of earlier code (sentence text -> span -> row as a dict),
# emptied past 200,000 sentences, grew to about 0.4 GB per method on the 100,000-article benchmark corpus; bounded
# at 100,000 pairs and packed, it still took 12 MB per method in every part of notebook 02's tone there.
SCORE_MEMO_PAIRS = 1_000_000
# A remembered (span, row) pair, packed: the span in the sentence, the label's number in LABELS, the four scores
# (exact: float64) and the clause span of the row.
_PACKED_PAIR = struct.Struct("<iib4dii")


class ScoreMemo(OnStore):
    """Scores remembered across calls of ``score_targets``: per distinct sentence, the row of each span scored in it.

    Kept on disk (``newslens.memo.PackedStore`` at ``path``; None: a temporary file deleted on ``close``): a
    sentence by its digest (``newslens.text.text_digest``), its pairs as one packed bytes object. At most ``limit``
    (sentence, span) pairs are kept. Past that, the sentences used least recently are forgotten until a quarter of
    the room is free again: the sentences a corpus repeats throughout (wire copy, boilerplate) stay, the many that
    occur once go. The parts of a large corpus, each in a process of its own, open the same file one after another.
    """

    def __init__(self, path: str | Path | None = None, limit: int = SCORE_MEMO_PAIRS):
        super().__init__(path, limit)  # ``len``: the (sentence, span) pairs kept

    def recall(self, sentence: str) -> dict[tuple[int, int], tuple]:
        """The rows remembered for the spans of ``sentence`` (empty: none); the sentence becomes the most recently
        used."""
        return self._recalled(text_digest(sentence))

    def _recalled(self, key: bytes) -> dict[tuple[int, int], tuple]:
        packed = self._store.get(key)
        if packed is None:
            return {}
        return {(start, end): (LABELS[label], *values)
                for start, end, label, *values in _PACKED_PAIR.iter_unpack(packed)}

    def remember(self, sentence: str, rows: dict[tuple[int, int], tuple]) -> None:
        """Keep ``rows`` (span in the sentence -> row) for ``sentence``, as its most recently used."""
        key = text_digest(sentence)
        known = self._recalled(key)
        known.update(rows)
        self._store.put(key, b"".join(_PACKED_PAIR.pack(start, end, LABELS.index(label), *values)
                                      for (start, end), (label, *values) in known.items()), len(known))


# Below this many sentences of a method, starting processes (each loads the model, about 2 s) costs more than it
# saves. The encoder takes about 20 ms a sentence, so two of its processes pay from a few hundred sentences: at 2,000,
# the late parts of the 100,000-article benchmark (their sentences mostly remembered from earlier parts, so that a
# batch left fewer than 2,000 to score) loaded the encoder (about 180 MB) in the part's own process and scored on
# one core of two: 732-760 MB and about 205 s a part, against 675-689 MB and 121-128 s with the workers.
PARALLEL_MIN_SENTENCES = {"model": 200, "fast": 2000, "vader": 2000}
# Sentences per piece of parallel work: the encoder takes about 20 ms a sentence, so its pieces are smaller, or the
# last piece keeps one process busy long after the other has finished.
_CHUNK = {"model": 100, "fast": 500, "vader": 500}


def _score_chunk(method: str, chunk: list[tuple[str, list[tuple[int, int]]]]) -> list[list[tuple]]:
    rows_for = _sentence_rows(method)
    return [rows_for(sentence, spans) for sentence, spans in chunk]


def _score_sentences(method: str, work: list, progress: bool, jobs: int) -> list[list[tuple]]:
    """The rows of each (sentence, spans) of ``work``, in order; in ``jobs`` processes for large encoder runs (or on
    the Dask cluster named in the environment, see ``newslens.parallel``)."""
    from newslens.parallel import chunked, map_chunks, workers_take_any_work

    # Below PARALLEL_MIN_SENTENCES starting workers costs more than it saves, unless they run already or the block
    # asks for it (a part of a large corpus): then a small batch goes to them too, and this process never loads the
    # encoder (about 180 MB) nor VADER (with nltk, 19 MB).
    jobs = jobs if len(work) >= PARALLEL_MIN_SENTENCES[method] or workers_take_any_work(jobs) else 1
    scored = map_chunks(functools.partial(_score_chunk, method), chunked(work, _CHUNK[method]), jobs=jobs,
                        progress=progress, label=f"tone ({method})", unit="sentence")
    return [rows for chunk in scored for rows in chunk]
