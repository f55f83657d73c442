"""mlp-xor against the book's closed-form numbers, and its recipe: restarts, resuming, messages."""

import json
import math

import numpy as np
import pytest

import keras
import zoo
from zoo import training
from zoo.families.feedforward import mlp


def test_goodfellow_worked_example_exactly():
    model = zoo.build("mlp-xor", weights="goodfellow")
    pre, hidden = mlp.hidden_activations(model, mlp.XOR_INPUTS)
    np.testing.assert_array_equal(pre, [[0, -1], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(hidden, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(np.asarray(model(mlp.XOR_INPUTS))[:, 0], [0, 1, 1, 0])


def test_unknown_weight_set():
    with pytest.raises(zoo.InvalidInputError, match="goodfellow"):
        zoo.build("mlp-xor", weights="hinton")


def test_linear_least_squares_fails_on_xor():
    w, b = mlp.fit_linear_least_squares()
    np.testing.assert_allclose(w, [0, 0], atol=1e-12)
    assert b == pytest.approx(0.5, abs=1e-12)


def test_linear_gradient_descent_converges_to_least_squares():
    w, b = mlp.fit_linear_gradient_descent(epochs=1500)
    np.testing.assert_allclose(w, [0, 0], atol=1e-4)
    assert b == pytest.approx(0.5, abs=1e-4)


def test_pretrained_classifies_all_four_points():
    art = zoo.load("mlp-xor")
    np.testing.assert_array_equal(art.classify(mlp.XOR_INPUTS), [0, 1, 1, 0])
    assert art.predict([[0, 1]]).shape == (1,)
    assert "decision regions" in art.card


def test_predict_rejects_wrong_shapes():
    art = zoo.load("mlp-xor")
    with pytest.raises(zoo.InvalidInputError, match=r"\(n, 2\)"):
        art.predict([[0, 1, 1]])


def test_cli_xor(cli):
    code, out, _ = cli("xor", "1", "0")
    assert code == 0 and out.strip().endswith("-> 1")
    code, out, _ = cli("xor")
    assert code == 0 and "x1 x2" in out
    code, _, err = cli("xor", "1")
    assert code == 2 and "exactly two" in err


class Interrupted(Exception):
    """Stands for whatever stops a run: Ctrl-C, a kill, a crash."""


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupted(f"interrupted at epoch {epoch}")


def comparable(folder):
    """An artifact without what differs between two runs of the same training: the timing, the
    date, and the files that record them (the card shows the wall time; Keras's metadata.json
    records when it was saved; the weights are compared as arrays)."""
    config = json.loads((folder / "zoo.json").read_text())
    del config["training"]["seconds"], config["training"]["environment"]["date"]
    for name in ("README.md", "metadata.json", "model.weights.h5"):
        del config["files"][name]
    card = [line for line in (folder / "README.md").read_text().splitlines() if "wall time" not in line]
    return config, card, zoo.load(folder).model.get_weights()


def test_interrupted_training_resumes_to_the_same_artifact(tmp_path, monkeypatch, capsys):
    # 100 passes a start (5 fit epochs of 20; seed 0 still needs two starts), and a checkpoint
    # every 2 fit epochs, so that the test knows where they are.
    monkeypatch.setattr(training, "CHECKPOINT_EPOCHS", 2, raising=False)
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", math.inf, raising=False)
    whole = zoo.train("mlp-xor", out=tmp_path / "whole", epochs=100)
    resume_callbacks, fits = training.resume_callbacks, []

    def interrupting(out):  # stops the second start in its 4th fit epoch
        fits.append(out)
        return resume_callbacks(out) + ([StopAt(3)] if len(fits) == 2 else [])

    monkeypatch.setattr(training, "resume_callbacks", interrupting)
    with pytest.raises(Interrupted):
        zoo.train("mlp-xor", out=tmp_path / "resumed", epochs=100)
    monkeypatch.setattr(training, "resume_callbacks", resume_callbacks)
    capsys.readouterr()
    resumed = zoo.train("mlp-xor", out=tmp_path / "resumed", epochs=100)
    err = capsys.readouterr().err
    assert "start 1:" not in err and "epoch 2 of 5 done" in err  # went on in start 2, at its checkpoint
    config, card, weights = comparable(resumed)
    config_whole, card_whole, weights_whole = comparable(whole)
    assert config["metrics"]["starts"] == 2
    assert config == config_whole  # metrics, and the plots' sha256: the whole history is there
    assert card == card_whole
    for a, b in zip(weights, weights_whole, strict=True):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resumed", "whole"]  # no checkpoint left


def test_a_checkpoint_of_other_settings_is_not_resumed(tmp_path, monkeypatch, capsys):
    out = tmp_path / "xor"
    monkeypatch.setattr(training, "resume_callbacks", lambda out: [StopAt(0)])
    with pytest.raises(Interrupted):
        zoo.train("mlp-xor", out=out, smoke=True)
    monkeypatch.undo()
    capsys.readouterr()
    zoo.train("mlp-xor", out=out, smoke=True, epochs=40)  # a rerun with other settings
    err = capsys.readouterr().err
    assert "warning: discarding the checkpoint" in err and "starts from the beginning" in err
    assert zoo.load(out).config["training"]["epochs"] == 40


def test_smoke_run_makes_one_start_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(training, "PROGRESS_SECONDS", 0.0, raising=False)
    art = zoo.load(zoo.train("mlp-xor", out=tmp_path / "x", smoke=True))
    err = capsys.readouterr().err
    assert art.metrics["starts"] == 1
    assert "restarting" not in err and "a smoke run makes one short start and no restarts" in err
    assert "start 1: epoch 20/20, loss " in err  # the progress line
