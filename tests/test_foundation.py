"""Datasets, resumable training, cards, and the CLI's manners."""

import subprocess
import sys

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
    with pytest.raises(zoo.DataNotFoundError) as error:
        data.path("tinyshakespeare")
    message = str(error.value)
    assert str(tmp_path / "empty") in message and "ZOO_DATA_MIRROR" in message and "https://" in message


def test_unknown_dataset():
    with pytest.raises(zoo.UnknownNameError, match="tinyshakespeare"):
        data.path("tinyshakespear")


def test_interrupted_fit_resumes_from_last_epoch(tmp_path):
    out = tmp_path / "run"
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    y = x.sum(axis=1)

    class StopAt(keras.callbacks.Callback):
        def __init__(self, epoch):
            super().__init__()
            self.epoch, self.seen = epoch, []

        def on_epoch_begin(self, epoch, logs=None):
            self.seen.append(epoch)
            if epoch == self.epoch:
                raise KeyboardInterrupt

    def fit(callback):
        training.set_seed(0)
        model = zoo.build("mlp-xor")
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=5, verbose=0, callbacks=training.resume_callbacks(out) + [callback])

    first = StopAt(3)
    with pytest.raises(KeyboardInterrupt):
        fit(first)
    assert first.seen == [0, 1, 2, 3]
    second = StopAt(-1)
    fit(second)
    assert second.seen == [3, 4]


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
    assert code == 0 and "model.keras" in out and "max_abs_error_vs_scipy" in out
    with pytest.raises(SystemExit) as exit_:
        cli("train", "--help")
    assert exit_.value.code == 0


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


def test_demo_runs_offline(cli, tmp_path):
    code, out, err = cli("demo", "--out", str(tmp_path))
    assert code == 0, err
    assert out.startswith("== charrnn-shakespeare") and "ROMEO:" in out
    assert "-> 1999-03-03" in out  # the seq2seq model read "the 3rd of March 1999"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "grace_hopper-blur.jpg", "grace_hopper-edge-detect.jpg", "grace_hopper-edge-enhance.jpg",
        "grace_hopper-sharpen.jpg"]


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
