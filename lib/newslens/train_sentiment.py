"""Rebuild the shipped target-sentiment model: ``python -m newslens.train_sentiment``.

Trains a class-balanced multinomial logistic regression on NewsMTSC ``train.jsonl`` over the features of
``newslens.sentiment.target_features``, picks C on the two dev sets (the C whose worse dev macro-F1 is highest) and
writes ``data/target_sentiment.npy`` (weights, float32, last row the intercepts) and ``data/target_sentiment.json``
(vocabulary and metadata). Both files are byte-for-byte reproducible: one thread, a deterministic solver, no
timestamps. The metadata records a hash of the training data, the hyperparameters and the feature version, which the
tests compare with what this script would record, without retraining.

The data is looked up in ``<repo root>/../shared/data/newsmtsc`` unless ``--data`` is given.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

# One thread: BLAS reductions in another order would change the last bits of the weights.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from newslens import sentiment  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "newsmtsc"
POLARITY = {2.0: 0, 4.0: 1, 6.0: 2}  # NewsMTSC codes -> index into sentiment.LABELS

HYPERPARAMETERS = {
    "C_grid": [0.03, 0.06, 0.1, 0.2],
    "class_weight": "balanced",
    "solver": "lbfgs",
    "max_iter": 5000,
    "tol": 1e-4,
    "dtype": "float32",
}


def read_split(path: Path) -> list[tuple[str, int, int, int]]:
    """(sentence, from, to, label index) per target of a NewsMTSC jsonl file."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            for target in record["targets"]:
                rows.append((record["sentence_normalized"], target["from"], target["to"], POLARITY[target["polarity"]]))
    return rows


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the training and dev files, the hyperparameters and the feature version."""
    digest = hashlib.sha256()
    for name in ("train.jsonl", "dev_mt.jsonl", "dev_rw.jsonl"):
        digest.update(name.encode())
        digest.update(hashlib.sha256((data_dir / name).read_bytes()).digest())
    digest.update(json.dumps(HYPERPARAMETERS, sort_keys=True).encode())
    digest.update(str(sentiment.FEATURES_VERSION).encode())
    return digest.hexdigest()


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    scores = []
    for k in range(len(sentiment.LABELS)):
        tp = np.sum((predicted == k) & (gold == k))
        denominator = np.sum(predicted == k) + np.sum(gold == k)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def train(data_dir: Path, out_dir: Path = sentiment.DATA_DIR, log=print) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    splits = {name: read_split(data_dir / f"{name}.jsonl") for name in ("train", "dev_mt", "dev_rw")}
    features = {name: [sentiment.target_features(t, s, e) for t, s, e, _ in rows] for name, rows in splits.items()}
    gold = {name: np.array([row[3] for row in rows]) for name, rows in splits.items()}

    vectorizer = DictVectorizer(dtype=np.float64, sort=True)
    x_train = vectorizer.fit_transform(features["train"])
    vocabulary = [str(name) for name in vectorizer.get_feature_names_out()]

    best = None
    scores = {}
    for c in HYPERPARAMETERS["C_grid"]:
        model = LogisticRegression(
            C=c,
            class_weight=HYPERPARAMETERS["class_weight"],
            solver=HYPERPARAMETERS["solver"],
            max_iter=HYPERPARAMETERS["max_iter"],
            tol=HYPERPARAMETERS["tol"],
        ).fit(x_train, gold["train"])
        # Score with the shipped float32 weights and the numpy predictor, i.e. exactly what users get.
        shipped = sentiment.TargetModel(
            vocabulary,
            model.coef_.T.astype(np.float32),
            model.intercept_.astype(np.float32),
        )
        f1 = {
            name: macro_f1(gold[name], np.array([np.argmax(shipped.predict_proba(f)) for f in features[name]]))
            for name in ("dev_mt", "dev_rw")
        }
        scores[str(c)] = {name: round(100 * value, 2) for name, value in f1.items()}
        log(f"C={c}: macro-F1 dev_mt {100 * f1['dev_mt']:.1f}, dev_rw {100 * f1['dev_rw']:.1f}")
        if best is None or min(f1.values()) > best[0]:
            best = (min(f1.values()), c, shipped)

    _, c, shipped = best
    log(f"chosen C={c}, {len(vocabulary)} features")
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = np.vstack([shipped.coef, shipped.intercept[None, :]]).astype(np.float32)
    np.save(out_dir / sentiment.MODEL_WEIGHTS.name, weights, allow_pickle=False)
    meta = {
        "format": "multinomial logistic regression; weights .npy float32 (n_features + 1, 3), last row intercepts",
        "labels": list(sentiment.LABELS),
        "features_version": sentiment.FEATURES_VERSION,
        "hyperparameters": HYPERPARAMETERS,
        "C": c,
        "dev_macro_f1": scores,
        "train_targets": len(splits["train"]),
        "fingerprint": fingerprint(data_dir),
        "vocabulary": vocabulary,
    }
    text = json.dumps(meta, ensure_ascii=False, indent=0) + "\n"
    (out_dir / sentiment.MODEL_META.name).write_text(text, encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with NewsMTSC train/dev jsonl files")
    parser.add_argument("--out", type=Path, default=sentiment.DATA_DIR, help="where to write the model files")
    args = parser.parse_args(argv)
    if not (args.data / "train.jsonl").exists():
        print(f"NewsMTSC not found in {args.data}", file=sys.stderr)
        return 1
    train(args.data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
