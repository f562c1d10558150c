"""Target sentiment from a fine-tuned sentence encoder, run with onnxruntime (no torch at run time).

Public surface:
    encode(tokenizer, sentence, spans) -> list[Window]   the model's input for the targets of one sentence
    TargetEncoder(model, tokenizer) / load_encoder()    a model / the shipped model, loaded once
    TargetEncoder.predict_proba(sentence, spans)        (len(spans), 3) class probabilities, in sentiment.LABELS order

The model (built by ``python -m newslens.train_encoder``, ``make train-sentiment``) is all-MiniLM-L6-v2 fine-tuned on
NewsMTSC. How a sentence is turned into windows (``encode``) is recorded with the model (``marked``, ``pair`` in its
metadata): the shipped model reads one window per target, the sentence with the target bracketed by [unused0] and
[unused1], then the target's pieces again as a second segment. A target is represented by the state of [CLS]
beside the mean of the states of its bracketed pieces, and a linear layer maps that to negative / neutral /
positive. The graph takes ``input_ids`` (1, T), ``target_mask`` (K, T), whose row k holds 1/n on the n pieces of
target k, and for pairs ``token_type_ids`` (1, T); it returns ``logits`` (K, 3).

Determinism: one window per call and one thread per session (and the pooling and the head in fp32), so a target's
scores do not depend on what else is scored with it, on the batch, or on ``--jobs``.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = DATA_DIR / "target_encoder.onnx"
TOKENIZER_FILE = DATA_DIR / "target_encoder_tokenizer.json"
META_FILE = DATA_DIR / "target_encoder.json"
# Word pieces per window, [CLS] and [SEP] included. Longer sentences get one window per target, centred on it.
MAX_TOKENS = 128
# Vocabulary ids of [unused0] and [unused1]: the tokenizer never produces them; a marked model learns them as the
# brackets around the target.
MARK_START, MARK_END = 1, 2


@dataclass(frozen=True)
class Window:
    """One model input: word-piece ids and, for each of its targets, the averaging weights over the pieces."""

    input_ids: np.ndarray  # (T,) int64, [CLS] ... [SEP]
    target_mask: np.ndarray  # (K, T) float32, each row sums to 1
    targets: tuple[int, ...]  # the index of each row's target in the ``spans`` given to ``encode``
    token_type_ids: np.ndarray | None = None  # (T,) int64: 0 for the sentence, 1 for the target repeated (pairs)


def load_tokenizer(path: Path = TOKENIZER_FILE):
    """The model's word-piece tokenizer (``tokenizers``), without truncation or padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def _target_pieces(offsets, special, start: int, end: int) -> list[int]:
    pieces = [i for i, (a, b) in enumerate(offsets) if not special[i] and a < end and b > start]
    # A span that covers no word piece (only spaces or characters the tokenizer drops) falls back to [CLS].
    return pieces or [0]


def _window(ids: list[int], rows: list[list[int]], targets: list[int], second: list[int] | None = None) -> Window:
    """A window; with ``second``, those pieces and a [SEP] follow as the second segment (token type 1)."""
    types = None
    if second is not None:
        types = np.asarray([0] * len(ids) + [1] * (len(second) + 1), dtype=np.int64)
        ids = [*ids, *second, ids[-1]]
    mask = np.zeros((len(rows), len(ids)), dtype=np.float32)
    for k, pieces in enumerate(rows):
        mask[k, pieces] = np.float32(1.0 / len(pieces))
    return Window(np.asarray(ids, dtype=np.int64), mask, tuple(targets), types)


def _crop(ids: list[int], pieces: list[int], max_tokens: int) -> tuple[list[int], list[int]]:
    """At most ``max_tokens`` pieces ([CLS] and [SEP] kept) centred on ``pieces``, and their new positions."""
    if len(ids) <= max_tokens:
        return ids, pieces
    cls, sep, body = ids[0], ids[-1], ids[1:-1]
    room = max_tokens - 2
    centre = (pieces[0] + pieces[-1]) // 2 - 1  # index into body
    first = min(max(0, centre - room // 2), len(body) - room)
    kept = [p - first for p in pieces if 1 <= p - first <= room] or [0]
    return [cls, *body[first:first + room], sep], kept


def _marked(ids: list[int], pieces: list[int]) -> tuple[list[int], list[int]]:
    """``ids`` with the target's pieces between [unused0] and [unused1]; the target's positions, brackets included."""
    if pieces == [0]:  # no word piece to bracket
        return ids, pieces
    first, last = pieces[0], pieces[-1]
    return ([*ids[:first], MARK_START, *ids[first:last + 1], MARK_END, *ids[last + 1:]],
            list(range(first, last + 3)))


def encode(tokenizer, sentence: str, spans: list[tuple[int, int]], max_tokens: int = MAX_TOKENS,
           marked: bool = False, pair: bool = False) -> list[Window]:
    """The windows the model reads for the targets ``sentence[start:end]`` of one sentence.

    Unmarked, a sentence of at most ``max_tokens`` word pieces is one window holding all its targets, and a longer
    one gives one window per target, ``max_tokens`` pieces centred on the target. ``marked`` gives one window per
    target, its pieces bracketed by two marker pieces (the model then knows which mention it is asked about);
    ``pair`` also repeats the target's pieces after the sentence as a second segment.
    """
    encoding = tokenizer.encode(sentence)
    ids, offsets, special = encoding.ids, encoding.offsets, encoding.special_tokens_mask
    rows = [_target_pieces(offsets, special, s, e) for s, e in spans]
    if not (marked or pair) and len(ids) <= max_tokens:
        return [_window(ids, rows, list(range(len(spans))))]
    windows = []
    for k, pieces in enumerate(rows):
        second = [ids[p] for p in pieces if p != 0][:16] if pair else None
        room = max_tokens - (len(second) + 1 if second is not None else 0)
        window_ids, window_pieces = _crop(*(_marked(ids, pieces) if marked else (ids, pieces)), room)
        windows.append(_window(window_ids, [window_pieces], [k], second))
    return windows


class TargetEncoder:
    """The shipped ONNX model and its tokenizer."""

    def __init__(self, model_path: Path = MODEL_FILE, tokenizer_path: Path = TOKENIZER_FILE,
                 marked: bool | None = None, pair: bool = False):
        import onnxruntime as ort

        # Whether the model was trained on marked windows is recorded by the training script.
        settings = model_meta()["hyperparameters"] if marked is None else {"marked": marked, "pair": pair}
        self.marked, self.pair = bool(settings.get("marked", False)), bool(settings.get("pair", False))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(tokenizer_path)

    def logits(self, window: Window) -> np.ndarray:
        feed = {"input_ids": window.input_ids[None, :], "target_mask": window.target_mask}
        if window.token_type_ids is not None:
            feed["token_type_ids"] = window.token_type_ids[None, :]
        (out,) = self.session.run(["logits"], feed)
        return out

    def predict_proba(self, sentence: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """Class probabilities (negative, neutral, positive) for each target span of one sentence."""
        result = np.zeros((len(spans), 3), dtype=np.float64)
        for window in encode(self.tokenizer, sentence, spans, marked=self.marked, pair=self.pair):
            logits = self.logits(window).astype(np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            result[list(window.targets)] = p / p.sum(axis=1, keepdims=True)
        return result


@functools.lru_cache(maxsize=1)
def load_encoder() -> TargetEncoder:
    """The shipped model, loaded once per process."""
    for path in (MODEL_FILE, TOKENIZER_FILE):
        if not path.exists():
            raise FileNotFoundError(f"the sentiment encoder is missing ({path.name} in {DATA_DIR}); "
                                    "rebuild it with `make train-sentiment`")
    return TargetEncoder()


# The instruction sets with which onnxruntime and numpy compute differently (other kernels, other orders of sums):
# the model's scores then differ a little from one CPU family to another (README: up to 0.038 on the seeds).
_SCORE_INSTRUCTIONS = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "AVX-512 VNNI", "avx_vnni": "AVX-VNNI",
                       "amx_int8": "AMX", "asimddp": "dot product", "sve": "SVE"}


def cpu_instructions(cpuinfo: str | None = None) -> str:
    """This machine's architecture and those of its instruction sets that change the encoder's scores in their last
    digits ("x86_64 (AVX2)"), from ``cpuinfo`` (the text of /proc/cpuinfo; read when None; absent off Linux)."""
    import platform

    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    flags = next((set(line.split(":", 1)[1].split()) for line in cpuinfo.splitlines()
                  if line.startswith(("flags", "Features")) and ":" in line), set())
    named = [name for flag, name in _SCORE_INSTRUCTIONS.items() if flag in flags]
    return (platform.machine() or "unknown") + (f" ({', '.join(named)})" if named else "")


def model_meta() -> dict:
    """What the training script recorded about the shipped model (base, data, scores on dev)."""
    return json.loads(META_FILE.read_text(encoding="utf-8"))
