"""Datasets, resumable training, cards, and the CLI's manners."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import keras
import zoo
from zoo import cards, data, io, training


def test_mirror_dataset_is_verified():
    path = data.path("tinyshakespeare")
    assert path.stat().st_size == 1_115_394
    train, val = data.split_text(path.read_text())
    assert len(train) == 1_003_854 and len(val) == 111_540


def test_dataset_with_wrong_hash_is_refused(tmp_path, monkeypatch):
    (tmp_path / "tinyshakespeare.txt").write_text("not shakespeare")
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path))
    with pytest.raises(zoo.IntegrityError, match="sha256"):
        data.path("tinyshakespeare")


def test_dataset_offline_and_missing_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setattr(data, "PACKAGED_DIR", tmp_path / "not-packaged")  # as for a dataset that is not
    with pytest.raises(zoo.DataNotFoundError) as error:
        data.path("tinyshakespeare")
    message = str(error.value)
    assert str(tmp_path / "empty") in message and "ZOO_DATA_MIRROR" in message and "https://" in message


def test_unknown_dataset():
    with pytest.raises(zoo.UnknownNameError, match="tinyshakespeare"):
        data.path("tinyshakespear")


class Interrupted(Exception):
    """Stands for whatever stops a run: Ctrl-C, a kill, a crash."""


class StopAt(keras.callbacks.Callback):
    """Records the epochs fit runs, and interrupts it when `epoch` begins."""

    def __init__(self, epoch=-1):
        super().__init__()
        self.epoch, self.seen = epoch, []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)
        if epoch == self.epoch:
            raise Interrupted(f"interrupted at epoch {epoch}")


def fit(out, callbacks=(), epochs=6):
    """A small resumable fit with an optimizer whose state matters (Adam's moments)."""
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    y = x.sum(axis=1)
    training.set_seed(0)
    model = zoo.build("mlp-xor")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    # shuffle=False: Keras shuffles arrays with TensorFlow's op seeds, which a resumed run
    # cannot put back (see training.Checkpoint).
    history = model.fit(x, y, epochs=epochs, batch_size=4, shuffle=False, verbose=0,
                        callbacks=training.resume_callbacks(out) + list(callbacks))
    return model, history.history


def checkpoint_every(monkeypatch, epochs=1):
    """Checkpoints every `epochs` epochs, whatever the time, so that the tests know where they are."""
    monkeypatch.setattr(training, "CHECKPOINT_EPOCHS", epochs, raising=False)
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", float("inf"), raising=False)


def all_variables(model):
    return [v.numpy() for v in model.variables + model.optimizer.variables]


def assert_same_run(a, b):
    (model_a, history_a), (model_b, history_b) = a, b
    for va, vb in zip(all_variables(model_a), all_variables(model_b), strict=True):
        np.testing.assert_array_equal(va, vb)
    assert {k: [float(v) for v in vs] for k, vs in history_a.items()} == \
        {k: [float(v) for v in vs] for k, vs in history_b.items()}


def test_interrupted_fit_resumes_as_if_uninterrupted(tmp_path, monkeypatch, capsys):
    checkpoint_every(monkeypatch, 2)
    whole = fit(tmp_path / "whole")
    out = tmp_path / "run"
    first = StopAt(3)
    with pytest.raises(Interrupted):
        fit(out, [first])
    assert first.seen == [0, 1, 2, 3]
    second = StopAt()
    resumed = fit(out, [second])
    assert second.seen == [2, 3, 4, 5]  # from the checkpoint written after epoch 2
    assert "resuming from the checkpoint" in capsys.readouterr().err
    assert_same_run(resumed, whole)  # weights, optimizer state and the whole history
    assert not training.checkpoint_dir(out).exists()


def test_unreadable_checkpoint_is_discarded_with_a_warning(tmp_path, monkeypatch, capsys):
    checkpoint_every(monkeypatch)
    whole = fit(tmp_path / "whole")
    out = tmp_path / "run"
    with pytest.raises(Interrupted):
        fit(out, [StopAt(3)])
    weights = [p for p in training.checkpoint_dir(out).rglob("*")
               if p.is_file() and ("weights" in p.name or "arrays" in p.name)]
    assert weights
    for path in weights:  # what a kill in the middle of writing it in place leaves
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    capsys.readouterr()
    second = StopAt()
    again = fit(out, [second])  # no traceback: it starts afresh
    err = capsys.readouterr().err
    assert "warning: discarding the checkpoint" in err and err.count("\n") == 1, err
    assert second.seen == [0, 1, 2, 3, 4, 5]
    assert_same_run(again, whole)


KILLED_WHILE_SAVING = """
import os, signal, sys
import numpy as np
sys.path.insert(0, {tests!r})
import test_foundation as t
from zoo import training

training.CHECKPOINT_EPOCHS, training.CHECKPOINT_SECONDS = 1, float("inf")
savez, saves = np.savez, []

def half_then_kill(file, **arrays):  # the third checkpoint's arrays: half written, then kill -9
    saves.append(1)
    savez(file, **arrays)
    if len(saves) == 3:
        file.truncate(file.tell() // 2)
        file.flush()
        os.kill(os.getpid(), signal.SIGKILL)

np.savez = half_then_kill
t.fit({out!r})
"""


def test_a_kill_while_a_checkpoint_is_written_leaves_the_last_one(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    code = KILLED_WHILE_SAVING.format(tests=str(Path(__file__).parent), out=str(out))
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert any(p.name.startswith(".") for p in training.checkpoint_dir(out).iterdir())  # its debris
    checkpoint_every(monkeypatch)
    whole = fit(tmp_path / "whole")
    capsys.readouterr()
    second = StopAt()
    resumed = fit(out, [second])
    assert second.seen == [2, 3, 4, 5]  # the second checkpoint, whole
    assert "warning" not in capsys.readouterr().err
    assert_same_run(resumed, whole)
    assert not training.checkpoint_dir(out).exists()


def test_checkpoints_are_written_when_the_time_has_come_not_every_epoch(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(training.Checkpoint, "_save", lambda self, epoch: saved.append(epoch))
    fit(tmp_path / "a")  # a few seconds: less than CHECKPOINT_SECONDS
    assert saved == []
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", 0.0)
    fit(tmp_path / "b")
    assert saved == [1, 2, 3, 4, 5]  # after every epoch but the last (fit ends then)


def test_background_batches_keep_order_raise_and_stop():
    import threading

    assert list(training.background(iter(range(50)), ahead=3)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("broken batch")

    with pytest.raises(ValueError, match="broken batch"):
        list(training.background(failing()))
    endless = training.background(iter(range(10**9)), ahead=2)
    next(endless)
    endless.close()  # the consumer stops early: so does the thread
    for _ in range(50):
        if not any(t.name == "zoo-batches" for t in threading.enumerate()):
            break
        threading.Event().wait(0.05)
    assert not any(t.name == "zoo-batches" for t in threading.enumerate())


def test_generator_input_gives_exactly_count_batches():
    def batches():
        for i in range(100):
            yield {"x": np.full((4, 2), i, "float32")}, np.zeros((4, 1), "float32")

    fed = training.generator_input(batches(), count=7)
    if keras.backend.backend() == "tensorflow":
        assert fed.options().autotune.enabled is False  # see generator_input: fit would wait for it
        fed = fed.as_numpy_iterator()
    firsts = [float(x["x"][0, 0]) for x, _ in fed]
    assert firsts == [float(i) for i in range(7)]


def test_model_cards_and_readme_table_are_up_to_date():
    assert cards.MODEL_CARDS_PATH.read_text() == cards.model_cards_markdown(), "run `zoo cards`"
    readme = cards.README_PATH.read_text()
    assert cards.readme_with_table(readme) == readme, "run `zoo cards`"
    for name in zoo.list_models(pretrained=True):
        assert f"`{name}`" in readme


def test_cli_list_info_and_help(cli):
    code, out, _ = cli("list", "--pretrained")
    assert code == 0 and "mlp-xor" in out and "cnn-filters-learned" in out
    code, out, _ = cli("info", "cnn-filters-classic")
    assert code == 0 and "model.weights.h5" in out and "max_abs_error_vs_scipy" in out
    code, out, _ = cli("train", "--help")
    assert code == 0 and "--smoke" in out


def test_cli_unknown_name_one_line_no_traceback():
    result = subprocess.run([sys.executable, "-m", "zoo", "info", "charnn-shakespeare"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("zoo: error: unknown model")
    assert result.stdout == ""


def test_cli_train_rejects_bad_epochs(cli):
    code, _, err = cli("train", "mlp-xor", "--epochs", "0", "--out", "runs/never")
    assert code == 2 and "epochs" in err


def test_cli_eval(cli):
    code, out, _ = cli("eval", "mlp-xor")
    assert code == 0 and "accuracy" in out and "NO" not in out


def test_user_text_files_get_clear_errors(tmp_path, cli):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 na\xefve".encode("latin-1"))
    with pytest.raises(zoo.InvalidInputError, match="not UTF-8"):
        zoo.finetune("gru-lm-shakespeare", text=latin1, epochs=1, out=tmp_path / "out")
    code, _, err = cli("train", "seq2seq-dates", "--smoke", "-o", f"pairs={latin1}", "--out", str(tmp_path / "s"))
    assert code == 2 and "not UTF-8" in err
    code, _, err = cli("score", "charrnn-shakespeare", str(tmp_path / "missing.txt"))
    assert code == 2 and "does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin1.txt"]
