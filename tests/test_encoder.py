"""The sentiment encoder: its input windows (worked out by hand from the word pieces), determinism, the shipped files
and their provenance, and its accuracy on the NewsMTSC dev sets."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from newslens import encoder, sentiment
from newslens.train_sentiment import macro_f1, read_split


@pytest.fixture(scope="module")
def tokenizer():
    return encoder.load_tokenizer()


def pieces(tokenizer, window: encoder.Window) -> list[str]:
    return [tokenizer.id_to_token(int(i)) for i in window.input_ids]


def test_one_window_holds_every_target_of_a_short_sentence(tokenizer):
    # Word pieces: [CLS] ka ##llas praised wit ##koff . [SEP] -> Kallas is pieces 1-2, Witkoff pieces 4-5.
    (window,) = encoder.encode(tokenizer, "Kallas praised Witkoff.", [(0, 6), (15, 22)])
    assert pieces(tokenizer, window) == ["[CLS]", "ka", "##llas", "praised", "wit", "##koff", ".", "[SEP]"]
    np.testing.assert_array_equal(window.target_mask, [[0, .5, .5, 0, 0, 0, 0, 0], [0, 0, 0, 0, .5, .5, 0, 0]])
    assert window.targets == (0, 1)


def test_marked_windows_bracket_one_target_each(tokenizer):
    # [unused0] and [unused1] (ids 1 and 2) around the target's pieces; the target is the pieces and the brackets.
    first, second = encoder.encode(tokenizer, "Kallas praised Witkoff.", [(0, 6), (15, 22)], marked=True)
    assert pieces(tokenizer, first) == ["[CLS]", "[unused0]", "ka", "##llas", "[unused1]", "praised", "wit", "##koff",
                                        ".", "[SEP]"]
    np.testing.assert_array_equal(first.target_mask, [[0, .25, .25, .25, .25, 0, 0, 0, 0, 0]])
    assert pieces(tokenizer, second)[4:8] == ["[unused0]", "wit", "##koff", "[unused1]"]
    np.testing.assert_array_equal(np.flatnonzero(second.target_mask[0]), [4, 5, 6, 7])
    assert (first.targets, second.targets) == ((0,), (1,))


def test_pair_windows_repeat_the_target_as_a_second_segment(tokenizer):
    # The marked sentence, [SEP], then the target's own pieces and [SEP] with token type 1.
    (window,) = encoder.encode(tokenizer, "Kallas praised Witkoff.", [(15, 22)], marked=True, pair=True)
    assert pieces(tokenizer, window) == ["[CLS]", "ka", "##llas", "praised", "[unused0]", "wit", "##koff", "[unused1]",
                                         ".", "[SEP]", "wit", "##koff", "[SEP]"]
    assert window.token_type_ids.tolist() == [0] * 10 + [1] * 3
    np.testing.assert_array_equal(np.flatnonzero(window.target_mask[0]), [4, 5, 6, 7])


def test_a_long_sentence_gets_one_window_per_target_centred_on_it(tokenizer):
    # 50 × "house", "dog", 50 × "house": [CLS] + 101 pieces + [SEP]. With 16 pieces per window, 14 are text.
    sentence = " ".join(["house"] * 50 + ["dog"] + ["house"] * 50)
    dog = sentence.index("dog")
    last = len(sentence) - 5
    first, middle, end = encoder.encode(tokenizer, sentence, [(0, 5), (dog, dog + 3), (last, last + 5)],
                                        max_tokens=16)
    for window, target in ((first, 0), (middle, 1), (end, 2)):
        assert len(window.input_ids) == 16 and window.targets == (target,)
        assert pieces(tokenizer, window)[0] == "[CLS]" and pieces(tokenizer, window)[-1] == "[SEP]"
    # The first "house" is piece 1 of the sentence: the window starts at the sentence start.
    assert np.flatnonzero(first.target_mask[0]).tolist() == [1]
    # "dog" is text piece 50; the window's text starts at piece 50 - 7 = 43, so "dog" is window piece 8.
    assert np.flatnonzero(middle.target_mask[0]).tolist() == [8]
    assert pieces(tokenizer, middle)[8] == "dog"
    # The last "house" is text piece 100; the window ends with the text: it is window piece 14.
    assert np.flatnonzero(end.target_mask[0]).tolist() == [14]


def test_a_span_without_word_pieces_falls_back_to_the_sentence_start(tokenizer):
    (window,) = encoder.encode(tokenizer, "Smith  spoke.", [(5, 6)])  # the second of two spaces
    np.testing.assert_array_equal(window.target_mask[0], [1, 0, 0, 0, 0])


def test_scores_do_not_depend_on_what_else_is_scored():
    alone = sentiment.score_targets([("Kallas praised Witkoff.", 15, 22)])
    text = "Putin rejected the plan. Kallas praised Witkoff."
    among = sentiment.score_targets([(text, 0, 5), (text, 40, 47), (text, 25, 31)])
    assert alone.loc[0, "p_positive"] == among.loc[1, "p_positive"]  # bit for bit
    assert alone.loc[0, "score"] == among.loc[1, "score"]
    fresh = encoder.TargetEncoder().predict_proba("Kallas praised Witkoff.", [(15, 22)])
    assert fresh[0, 2] == alone.loc[0, "p_positive"]


def test_scores_are_the_same_bytes_with_several_processes(monkeypatch):
    # Three sentences, two of them repeated: with the threshold lowered, jobs=2 scores in two spawned processes.
    texts = ["Kallas praised Witkoff.", "Putin rejected the plan.", "Smith will travel to Boston on Tuesday."]
    items = [(t, 0, 5) for t in texts] + [(texts[0], 15, 22), (texts[1], 0, 5)]
    alone = sentiment.score_targets(items)
    monkeypatch.setitem(sentiment.PARALLEL_MIN_SENTENCES, "model", 2)
    monkeypatch.setattr(sentiment, "_CHUNK", {"model": 1})
    parallel = sentiment.score_targets(items, jobs=2)
    pd.testing.assert_frame_equal(alone, parallel, check_exact=True)


def test_progress_bar_while_scoring(capsys):
    sentiment.score_targets([("Smith will travel to Boston on Tuesday.", 0, 5)], progress=True)
    assert "tone (model)" in capsys.readouterr().err


def test_shipped_files_are_small_and_are_the_ones_trained():
    meta = encoder.model_meta()
    assert encoder.MODEL_FILE.stat().st_size <= 30 * 1024 * 1024
    for path in (encoder.MODEL_FILE, encoder.TOKENIZER_FILE):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == meta["files"][path.name], path.name


def test_provenance_of_the_base_model_is_recorded():
    meta = encoder.model_meta()
    assert meta["base_sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert "all-MiniLM-L6-v2" in meta["base"] and "Apache-2.0" in meta["base"]
    assert meta["shipped"] == "int8"


def test_the_fingerprint_changes_with_the_method():
    prints = {m: sentiment.method_fingerprint(m) for m in sentiment.METHODS}
    assert len(set(prints.values())) == len(sentiment.METHODS)
    assert sentiment.method_fingerprint(None) == prints["model"]


@pytest.mark.parametrize("split", ["dev_mt", "dev_rw"])
def test_macro_f1_on_newsmtsc_dev_beats_the_fast_model(split):
    # The fast model scores 67.4 / 67.9 here (README); the target, 78, is met on dev_rw only (README).
    rows = read_split(shared_path("data", "newsmtsc", f"{split}.jsonl"))
    frame = sentiment.score_targets([(t, s, e) for t, s, e, _ in rows])
    predicted = frame["label"].map({label: i for i, label in enumerate(sentiment.LABELS)}).to_numpy()
    assert 100 * macro_f1(np.array([label for *_, label in rows]), predicted) >= 72


def test_the_cpu_line_names_the_instruction_sets_that_change_scores():
    import platform

    from newslens.encoder import cpu_instructions

    intel = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512_vnni\n"
    assert cpu_instructions(intel) == f"{platform.machine()} (AVX2, AVX-512, AVX-512 VNNI)"
    assert cpu_instructions("flags : fpu sse2 avx avx2 fma\n") == f"{platform.machine()} (AVX2)"
    assert cpu_instructions("Features\t: fp asimd asimddp\n") == f"{platform.machine()} (dot product)"
    assert cpu_instructions("") == platform.machine()  # no /proc/cpuinfo (macOS, Windows): the architecture only


def test_seven_bit_weights_halve_the_integers_and_double_the_scales(tmp_path):
    onnx = pytest.importorskip("onnx")  # the training extra
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from newslens.train_encoder import seven_bit_weights

    # A product as onnxruntime's quantiser writes it: int8 weights per column, zero points 0, scales beside them.
    weights = np.array([[127, -127], [127, 0], [-3, 5], [4, -2]], dtype=np.int8)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w_quantized", "a_zero", "w_zero_point"], ["y_int"]),
         helper.make_node("Cast", ["y_int"], ["y_float"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["y_float", "w_scale"], ["y"])], "product",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [numpy_helper.from_array(weights, "w_quantized"), numpy_helper.from_array(np.array(0, np.uint8), "a_zero"),
         numpy_helper.from_array(np.zeros(2, np.int8), "w_zero_point"),
         numpy_helper.from_array(np.array([0.5, 0.25], np.float32), "w_scale")])
    eight, seven = tmp_path / "eight.onnx", tmp_path / "seven.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(eight))
    assert seven_bit_weights(eight, seven) == 1
    stored = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(seven)).graph.initializer}
    # Halved, half to even: 127 / 2 = 63.5 -> 64, -3 / 2 = -1.5 -> -2, 5 / 2 = 2.5 -> 2.
    assert stored["w_quantized"].dtype == np.int8
    assert stored["w_quantized"].tolist() == [[64, -64], [64, 0], [-2, 2], [2, -1]]
    assert stored["w_scale"].tolist() == [1.0, 0.5] and stored["w_zero_point"].tolist() == [0, 0]

    def product(path, a):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(None, {"a": np.array([a], dtype=np.uint8)})[0].tolist()

    # By hand: 1*127 + 2*127 - 3*3 + 4*4 = 388, times 0.5; halved: 64 + 128 - 6 + 8 = 194, times 1.
    assert product(eight, [1, 2, 3, 4])[0][0] == product(seven, [1, 2, 3, 4])[0][0] == 194.0
    assert product(seven, [1, 2, 3, 4])[0][1] == -31.0  # (-64 + 6 - 4) * 0.5 (8 bits: -120 * 0.25 = -30)
    # Two products of 255 by 64 add up to 32,640, within 16 bits: exact on every CPU (with 127: 64,770 would not be).
    assert product(seven, [255, 255, 0, 0]) == [[32640.0, -8160.0]]
