"""charrnn: the numpy recurrence against Keras, generate and score, fine-tuning, the CLI, the data split."""

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo import cards, data, io, registry, samplers, training
from zoo.families.charrnn import artifact as charrnn_artifact
from zoo.families.charrnn import model as charrnn
from zoo.families.charrnn import numpy_step

RECIPE = registry.recipe_module("charrnn_shakespeare")
NAME = "charrnn-shakespeare"
# A text unlike Shakespeare, with characters tinyshakespeare never uses (digits, braces, accents).
SENSOR_LOG = "".join(
    f"{{capteur_{i % 7:02d}: température={20 + (i * 37) % 90 / 10:.1f}°C, état=ok}}\n" for i in range(240))


def random_model(cell: str, vocab: int = 20, units: int = 16, layers: int = 2, seed: int = 0):
    model = charrnn.build_charrnn(vocab_size=vocab, units=units, layers=layers, cell=cell, dropout=0.3,
                                  embedding_dim=8)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def random_artifact(cell: str = "lstm", tmp=Path(".")):
    chars = sorted(set("abcdefgh ijklmnop\nROMEO:"))
    model = random_model(cell, vocab=len(chars))
    return charrnn_artifact.CharRNN(model, {"name": "tiny", "architecture": "charrnn", "vocabulary": chars}, tmp)


@pytest.fixture(scope="module")
def pretrained():
    return zoo.load(NAME)


# ------------------------------------------------------------------------------- model


def test_build_shapes_and_bad_hyperparameters():
    model = zoo.build("charrnn", vocab_size=30, units=12, layers=3, cell="gru", dropout=0.1, embedding_dim=5)
    out = model(np.zeros((2, 7), dtype="int32"))
    assert tuple(out.shape) == (2, 7, 30)
    assert charrnn.hparams_of(model) == {"vocab_size": 30, "units": 12, "layers": 3, "cell": "gru",
                                         "dropout": 0.1, "embedding_dim": 5}
    with pytest.raises(zoo.InvalidInputError, match="cell"):
        zoo.build("charrnn", cell="rnn")
    with pytest.raises(zoo.InvalidInputError, match="dropout"):
        zoo.build("charrnn", dropout=1.5)
    with pytest.raises(zoo.InvalidInputError, match="units"):
        zoo.build("charrnn", units=0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_numpy_recurrence_matches_keras(cell):
    model = random_model(cell)
    ids = np.random.default_rng(1).integers(0, 20, 60).astype("int32")
    expected = np.asarray(model(ids[None], training=False))[0]
    rnn = numpy_step.NumpyCharRNN(model)
    np.testing.assert_allclose(rnn.logits(ids), expected, atol=1e-5)
    # One character at a time, carrying the state: the same numbers.
    state = rnn.initial_state()
    for t, char_id in enumerate(ids):
        logits, state = rnn.step(int(char_id), state)
        np.testing.assert_allclose(logits, expected[t], atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_streams_side_by_side_read_like_separate_texts(cell):
    """log_probs with several streams: each stream gives what its own piece of text (warm-up and
    part) read alone from the zero state gives, and together they cover every prediction once."""
    rnn = numpy_step.NumpyCharRNN(random_model(cell))
    ids = np.random.default_rng(2).integers(0, 20, 104).astype("int32")  # 103 predictions
    streams, warmup = 4, 6
    got = rnn.log_probs(ids, streams, warmup)
    assert got.shape == (103,)
    length = 26  # ceil(103 / 4): the last stream scores 25
    expected = []
    for s in range(streams):
        start = max(0, s * length - warmup)  # the first stream starts at the text's start
        piece = ids[start:(s + 1) * length + 1]
        expected.append(rnn.log_probs(piece)[s * length - start:])
    np.testing.assert_allclose(got, np.concatenate(expected), atol=1e-5)
    # One stream: the log-softmax of the Keras model's logits.
    logits = np.asarray(random_model(cell)(ids[None, :-1], training=False), dtype="float64")[0]
    np.testing.assert_allclose(rnn.log_probs(ids), samplers.log_softmax(logits)[np.arange(103), ids[1:]], atol=1e-5)


# --------------------------------------------------------------------------- generate


def test_generate_is_repeatable_greedy_and_streams(tmp_path):
    art = random_artifact(tmp=tmp_path)
    a = art.generate("ROMEO:", 80, temperature=1.0, seed=7)
    assert len(a) == 80 and set(a) <= set(art.vocab.chars)
    assert art.generate("ROMEO:", 80, temperature=1.0, seed=7) == a
    assert art.generate("ROMEO:", 80, temperature=1.0, seed=8) != a
    pieces = []
    assert art.generate("ROMEO:", 50, temperature=0.8, seed=3, stream=pieces.append) == "".join(pieces)
    assert len(pieces) == 50

    # Greedy: the argmax chain of the Keras model itself, whatever the seed; top_k=1 is greedy too.
    greedy = art.generate("ROMEO:", 20, temperature=0, seed=1)
    assert art.generate("ROMEO:", 20, temperature=0, seed=2) == greedy
    assert art.generate("ROMEO:", 20, temperature=1.5, top_k=1, seed=3) == greedy
    text = "ROMEO:"
    for _ in range(20):
        logits = np.asarray(art.model(art.vocab.encode(text)[None], training=False))[0, -1]
        text += art.vocab.chars[int(np.argmax(logits))]
    assert text[len("ROMEO:"):] == greedy
    assert art.generate("", 0) == ""


def test_generate_bad_arguments(tmp_path):
    art = random_artifact(tmp=tmp_path)
    for kwargs, word in [({"max_tokens": -1}, "max_tokens"), ({"max_tokens": 2.5}, "max_tokens"), ({"temperature": -0.1}, "temperature"),
                         ({"temperature": float("nan")}, "temperature"), ({"top_k": 0}, "top_k")]:
        with pytest.raises(zoo.InvalidInputError, match=word):
            art.generate("ab", **{"max_tokens": 5, **kwargs})
    with pytest.warns(UserWarning, match="never seen"):
        assert len(art.generate("x{9}é ab", 5, seed=0)) == 5


# ------------------------------------------------------------------------------ score


def test_score_matches_keras_cross_entropy_and_skips_unknown(tmp_path):
    art = random_artifact("gru", tmp_path)
    text = "abc deROMEO:\nfghij klmno"
    ids = art.vocab.encode(text)
    logits = np.asarray(art.model(ids[None, :-1], training=False), dtype="float64")[0]
    expected = float(-samplers.log_softmax(logits)[np.arange(len(ids) - 1), ids[1:]].mean())
    result = art.score(text)
    assert result.nats_per_token == pytest.approx(expected, abs=1e-5)
    assert result.bits_per_token == pytest.approx(expected / math.log(2))
    assert result.tokens == len(text) - 1 and result.unknown_count == 0 and result.unit == "character"
    # Unknown characters are reported and removed, never a crash.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # score reports in its result, it does not warn
        noisy = art.score("abc{1é2} de" + text[6:])
    assert noisy.unknown == {"1": 1, "{": 1, "2": 1, "}": 1, "é": 1}
    assert noisy.unknown_count == 5
    assert noisy.nats_per_token == pytest.approx(expected, abs=1e-5)
    with pytest.raises(zoo.InvalidInputError, match="no character .* can score"):
        art.score("{}é")


# ------------------------------------------------------------------- data and recipe


def test_tinyshakespeare_split_as_nanogpt():
    text = data.read_text("tinyshakespeare")
    assert len(text) == 1_115_394
    assert io.sha256_file(data.path("tinyshakespeare")) == data.dataset("tinyshakespeare").sha256
    train, val = data.split_text(text)
    assert (len(train), len(val)) == (1_003_854, 111_540) and train + val == text
    assert len(set(train)) == 65 and set(val) <= set(train)


def test_dataset_missing_offline_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setattr(data, "PACKAGED_DIR", tmp_path / "not-packaged")  # as for a dataset that is not
    with pytest.raises(zoo.DataNotFoundError, match="Looked at") as error:
        data.path("tinyshakespeare")
    assert "empty" in str(error.value) and "sha256" in str(error.value)


def test_training_windows_are_shifted_by_one():
    ids = np.arange(1000, dtype="int32")
    batches = training.ShuffledWindows(ids, 16, batch_size=8, seed=0)
    x, y = batches[0]
    assert x.shape == y.shape == (8, 16)
    np.testing.assert_array_equal(y, x + 1)
    assert len(batches) == len(training.ShuffledWindows(ids, 16, 8, seed=1))
    x, y = training.windows(ids, 16)
    assert x.shape == (62, 16) and x[1, 0] == 16 and y[-1, -1] == 62 * 16
    with pytest.raises(zoo.InvalidInputError, match="option"):
        RECIPE.resolve_options(False, None, {"unitz": 3})


def test_second_cycle_restarts_from_the_first_cycles_weights(tmp_path):
    out = tmp_path / "two-cycles"
    RECIPE.train(out, smoke=True, keep_state=True)  # smoke: 2 cycles of 1 epoch
    config = io.read_json(out / "zoo.json")
    assert config["training"]["cycles"] == 2 and "2 cycle(s) of 1 epochs" in config["training"]["optimizer"]
    state = RECIPE.state_dir(out)
    loss = RECIPE.read_history(state / "history.csv")["loss"]
    # a restart from random weights would start over near ln(vocab) = 3.8 nats; from the first
    # cycle's weights the second epoch continues lower
    assert len(loss) == 2 and loss[1] < loss[0] - 0.1
    assert (state / "cycle-1.json").exists() and (state / "cycle-2.json").exists()
    with pytest.raises(zoo.InvalidInputError, match="cycles"):
        RECIPE.resolve_options(False, None, {"cycles": 0})


# ------------------------------------------------------------------------- pretrained


def test_pretrained_writes_and_scores_shakespeare(pretrained):
    assert pretrained.model.count_params() <= 4_000_000
    size = sum(p.stat().st_size for p in registry.packaged_folder(NAME).iterdir())
    assert size <= 16 * 2 ** 20  # the bound: at most 16 MB on disk
    sample = pretrained.generate("ROMEO:", 300, temperature=0.8, seed=1)
    assert sample == pretrained.generate("ROMEO:", 300, temperature=0.8, seed=1)
    words = sample.split()
    common = {"the", "and", "I", "to", "of", "my", "a", "you", "that", "in", "is", "not", "me", "with"}
    assert len(words) > 30 and sum(w.strip(",.;:!?") in common for w in words) >= 5, sample
    _, val = data.split_text(data.read_text("tinyshakespeare"))
    shakespeare = pretrained.score(val[:3000]).nats_per_token
    shuffled = "".join(np.random.default_rng(0).permutation(list(val[:3000])))
    assert shakespeare < 2.0 < pretrained.score(shuffled).nats_per_token
    # The same text as before the step was rewritten for speed (same weights, same arithmetic).
    assert pretrained.generate("ROMEO:", 100, temperature=0.8, seed=1) == (
        "\nWhy, the sight hath doth made consul?\n\nMENENIUS:\nThere she dares ever now.\n\n"
        "Second Servingman:\nAy, ")
    assert "bits/char" in pretrained.card and "training_curve.png" in pretrained.card


def test_score_in_streams_matches_one_stream(pretrained):
    """A long text is scored as streams side by side, each warmed up on the text before its part:
    within 0.002 nats/char of reading it as one stream (the issue's bound; ~1e-6 in practice)."""
    _, val = data.split_text(data.read_text("tinyshakespeare"))
    text = val[10_000:14_000]
    assert len(text) // charrnn_artifact.SCORE_MIN_CHUNK >= 4  # several streams, each warmed up
    streams = pretrained.score(text)
    single = pretrained.score(text, single_stream=True)
    assert streams.tokens == single.tokens == len(text) - 1
    assert abs(streams.nats_per_token - single.nats_per_token) < 0.002


def test_finetune_learns_new_text_and_leaves_base_alone(pretrained, tmp_path):
    text_file = tmp_path / "sensors.txt"
    text_file.write_text(SENSOR_LOG, encoding="utf-8")
    base_files = {p.name: io.sha256_file(p) for p in pretrained.folder.iterdir()}

    # Extending the vocabulary keeps every old prediction: new rows, old ones untouched.
    new_chars = sorted(set(SENSOR_LOG) - set(pretrained.vocab.chars))
    assert {"0", "{", "é", "°"} <= set(new_chars)
    bigger = RECIPE.extend_model(pretrained.model, pretrained.vocab, new_chars, seed=0)
    ids = pretrained.vocab.encode("ROMEO:\nWhat light")[None]
    np.testing.assert_allclose(np.asarray(bigger(ids))[..., :len(pretrained.vocab)],
                               np.asarray(pretrained.model(ids)), atol=1e-5)

    out = zoo.finetune(NAME, text=text_file, epochs=3, out=tmp_path / "mine", learning_rate=3e-3, seq_len=64,
                       batch_size=16)
    tuned = zoo.load(out)
    assert tuned.vocab.chars[:len(pretrained.vocab)] == pretrained.vocab.chars
    assert set(new_chars) <= set(tuned.vocab.chars)
    _, held_out = data.split_text(SENSOR_LOG)
    assert tuned.score(held_out).nats_per_token < pretrained.score(held_out).nats_per_token
    run = tuned.config["finetune"]
    assert run["after"]["held_out_nats_per_char"] < run["before"]["held_out_nats_per_char"]
    assert run["command"].startswith(f"zoo finetune {NAME} --text sensors.txt --epochs 3 --out {tmp_path / 'mine'}")
    assert tuned.config["base_model"]["name"] == NAME
    assert tuned.config["base_model"]["model_sha256"] == base_files["model.weights.h5"]
    assert tuned.config["finetuned_on"] == [{"file": "sensors.txt", "sha256": io.sha256_file(text_file),
                                             "bytes": text_file.stat().st_size}]
    assert f"**{NAME}**" in tuned.card and io.sha256_file(text_file) in tuned.card
    assert "base_model" not in cards.read_front_matter(tuned.card)  # a zoo name is no Hub id
    assert {p.name: io.sha256_file(p) for p in pretrained.folder.iterdir()} == base_files
    # Its metrics are on tinyshakespeare's validation text, so `zoo eval DIR` re-measures them.
    assert all(row["ok"] for row in zoo.evaluate(out).values())
    assert zoo.info(str(out))["lineage"].startswith(f"mine <- {NAME};")
    with pytest.raises(zoo.InvalidInputError, match="does not exist"):
        zoo.finetune(NAME, text=tmp_path / "nope.txt", epochs=1, out=tmp_path / "x")


# -------------------------------------------------------------------------------- CLI


def test_cli_generate_streams_and_rejects_bad_arguments(cli):
    code, out, _ = cli("generate", NAME, "--prompt", "ROMEO:", "--length", "120", "--temperature", "0.8",
                       "--seed", "1")
    assert code == 0 and out.startswith("ROMEO:") and len(out.rstrip("\n")) >= 120
    assert out == cli("generate", NAME, "--prompt", "ROMEO:", "--length", "120", "--temperature", "0.8",
                      "--seed", "1")[1]
    for args, word in [(["--length", "-5"], "length"), (["--temperature", "-1"], "temperature")]:
        code, _, err = cli("generate", NAME, *args)
        assert code == 2 and word in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("generate", "")
    assert code == 2 and "empty model name" in err


def test_cli_score(cli, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("KING RICHARD III:\nNow is the winter of our discontent {1592}\n", encoding="utf-8")
    code, out, _ = cli("score", NAME, str(path))
    assert code == 0 and "nats/char" in out and "6 unknown char" in out


def test_trains_on_jax_backend():
    """The model is backend-agnostic: a training step on JAX lowers the loss."""
    script = (
        "import numpy as np, keras\n"
        "from zoo.families.charrnn.model import build_charrnn\n"
        "assert keras.backend.backend() == 'jax'\n"
        "m = build_charrnn(vocab_size=12, units=16, layers=2, dropout=0.0, embedding_dim=8)\n"
        "m.compile(optimizer=keras.optimizers.AdamW(1e-2), "
        "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "x = np.tile(np.arange(12, dtype='int32'), (8, 3))\n"
        "h = m.fit(x[:, :-1], x[:, 1:], epochs=5, batch_size=8, verbose=0).history['loss']\n"
        "assert h[-1] < h[0], h\n"
        "print('ok', h[0], h[-1])\n")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_numpy_steps_use_one_blas_thread():
    """One BLAS thread for the numpy steps, whatever the model's size (see numpy_step.BLAS_THREADS:
    two threads collapse next to a busy process), and the setting is given back afterwards."""
    from zoo import blas

    before = blas.threads_in_force()
    with numpy_step.blas_threads():
        assert blas.threads_in_force() == 1
    assert blas.threads_in_force() == before


def test_long_text_scoring_chooses_its_blas_threads_by_measuring(pretrained, monkeypatch):
    """Streams side by side run on the BLAS threads the batcher's ThreadChoice measures fastest:
    each choice is tried, each step runs with the threads chosen for it, and the scores are
    those of one thread (to float rounding)."""
    from zoo import blas
    from zoo.batching import ThreadChoice

    _, val = data.split_text(data.read_text("tinyshakespeare"))
    text = val[:6_000]  # 6 streams of 1,000 characters
    seen = []
    real_choose = ThreadChoice.choose

    def choose(self, batch):
        wanted = real_choose(self, batch)
        seen.append(wanted)
        return wanted

    def check_threads(n):  # each step: the BLAS threads the last choice asked for
        for step in real_steps(n):
            assert blas.threads_in_force() == min(seen[-1], os.cpu_count() or 1)
            yield step

    monkeypatch.setattr(ThreadChoice, "choose", choose)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # two choices, whatever the machine
    pretrained._score_threads = None
    real_steps = pretrained._measured_steps(6)
    monkeypatch.setattr(pretrained, "_measured_steps", lambda streams: check_threads)
    chosen = pretrained.score(text)
    assert set(seen) == {1, 2} and all(t is not None for t in pretrained._score_threads.per_token.values())
    with numpy_step.blas_threads(1):
        one = pretrained.rnn.log_probs(pretrained.vocab.encode(text), 6, charrnn_artifact.SCORE_WARMUP)
    assert abs(chosen.nats_per_token - float(-np.mean(one))) < 1e-6


def test_beam_search_and_next_tokens_share_the_task_api(tmp_path):
    art = random_artifact(tmp=tmp_path)
    greedy = art.generate("ROMEO:", 6, temperature=0)
    (best, _), = art.beam_search("ROMEO:", 6, beam_size=1)
    assert best == greedy
    beams = art.beam_search("ROMEO:", 3, beam_size=4)
    assert len(beams) == 4 and [s for _, s in beams] == sorted((s for _, s in beams), reverse=True)
    top = art.next_tokens("ROMEO:", 3)
    assert top[0][0] == greedy[0] and abs(sum(p for _, p in art.next_tokens("ROMEO:", len(art.vocab))) - 1) < 1e-6
