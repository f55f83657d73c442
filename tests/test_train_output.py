"""`zoo train --out`: what may be replaced, the lock between runs, and no litter.

The training runs are mlp-xor smoke runs (one start of 20 passes: a second or two each).
"""

import contextlib
import errno
import os
import subprocess
import sys
from pathlib import Path

import filelock
import pytest

import zoo
from zoo import artifacts, io


def tree(folder):
    """Every path under `folder` with what it holds (a file's bytes, a link's target), to show
    that nothing changed."""
    def content(path):
        if path.is_symlink():
            return os.readlink(path)
        return path.read_bytes() if path.is_file() else None

    return {p.relative_to(folder).as_posix(): content(p) for p in sorted(folder.rglob("*"))}


def one_line_error(code, err, *words):
    assert code == 2, err
    assert err.startswith("zoo: error: ") and err.strip().count("\n") == 0, err
    for word in words:
        assert word in err, err


def test_a_folder_of_the_users_files_is_not_replaced(tmp_path, cli):
    docs = tmp_path / "mydocs"
    (docs / "sub").mkdir(parents=True)
    (docs / "thesis.txt").write_text("four years of work")
    (docs / "sub" / "notes.txt").write_text("more")
    before = tree(tmp_path)
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(docs))
    one_line_error(code, err, "not an artifact folder", "--overwrite")
    assert tree(tmp_path) == before  # nothing deleted, nothing added (no lock, no .tmp, no .old)


def test_overwrite_replaces_a_folder_when_asked(tmp_path, cli):
    for docs in tmp_path / "api", tmp_path / "cli":
        (docs / "sub").mkdir(parents=True)
        (docs / "thesis.txt").write_text("to be replaced, as asked")
    zoo.train("mlp-xor", out=tmp_path / "api", smoke=True, overwrite=True)
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(tmp_path / "cli"), "--overwrite")
    assert code == 0, err
    for docs in tmp_path / "api", tmp_path / "cli":
        assert not (docs / "thesis.txt").exists() and not (docs / "sub").exists()
        assert zoo.load(docs).name == "mlp-xor"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api", "cli"]


def test_an_artifact_folder_is_replaced_but_not_one_with_a_users_file(tmp_path, cli, capsys):
    out = tmp_path / "xor"
    zoo.train("mlp-xor", out=out, smoke=True, seed=1)
    zoo.train("mlp-xor", out=out, smoke=True, seed=2)  # a rerun replaces the zoo's own artifact
    assert zoo.load(out).config["training"]["seed"] == 2
    (out / "my-notes.txt").write_text("mine")
    capsys.readouterr()  # the training runs' own lines
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(out))
    one_line_error(code, err, "my-notes.txt", "--overwrite")
    assert (out / "my-notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xor"]


def test_a_file_as_out_is_refused_and_kept(tmp_path, cli):
    target = tmp_path / "results.csv"
    target.write_text("a,b\n1,2\n")
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(target))
    one_line_error(code, err, "is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]
    assert target.read_text() == "a,b\n1,2\n"
    with pytest.raises(zoo.InvalidInputError, match="is a file"):  # overwrite does not make it a folder
        zoo.train("mlp-xor", out=target, smoke=True, overwrite=True)


def test_a_symlink_as_out_is_refused_and_later_runs_still_work(tmp_path, cli, capsys):
    real = tmp_path / "real"
    zoo.train("mlp-xor", out=real, smoke=True)
    capsys.readouterr()  # the training run's own lines
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    before = tree(tmp_path)
    for _ in range(2):  # the second run is not broken by anything the first left
        code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(link))
        one_line_error(code, err, "symbolic link")
    assert tree(tmp_path) == before
    zoo.train("mlp-xor", out=real, smoke=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_an_empty_out_is_refused(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", "")
    one_line_error(code, err, "empty")
    with pytest.raises(zoo.InvalidInputError, match="current folder"):
        zoo.train("mlp-xor", out=".", smoke=True, overwrite=True)
    assert list(tmp_path.iterdir()) == [] and list(tmp_path.parent.glob(f".{tmp_path.name}.*")) == []


# A run killed inside atomic_directory (os._exit: no finally, no cleanup, as kill -9), in a fresh
# interpreter: io imports no Keras, so this takes a fraction of a second. {when} is where it dies.
CRASH = """
import os, sys
from zoo import io
out = sys.argv[1]
if sys.argv[2] == "between the renames":
    first = os.replace
    def replace(source, target):  # the swap's first rename done, the second never
        first(source, target)
        os._exit(9)
    os.replace = replace
with io.atomic_directory(out) as tmp:
    (tmp / "model.weights.h5").write_bytes(b"half")
    if sys.argv[2] == "while writing":
        os._exit(9)
"""


def crash(out, when):
    run = subprocess.run([sys.executable, "-c", CRASH, str(out), when], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], timeout=60)
    assert run.returncode == 9, run.stderr


def users_lookalikes(folder):
    """Folders of a user's own whose names look like the zoo's temporary ones for `xor`."""
    for name in (".xor.old", ".xor.abcdefgh.tmp", ".xor.k2j_x9a0.tmp"):
        (folder / name).mkdir()
        (folder / name / "thesis.txt").write_text("mine, not the zoo's")
    (folder / ".xor.linked.tmp").symlink_to(folder / ".xor.old", target_is_directory=True)


def test_leftovers_of_a_crashed_write_are_tidied_and_nothing_else(tmp_path):
    out = tmp_path / "xor"
    zoo.train("mlp-xor", out=out, smoke=True)
    users_lookalikes(tmp_path)
    (tmp_path / ".xor.v2.abcdefgh.tmp").mkdir()  # another output's (xor.v2): not ours to remove
    users = tree(tmp_path)
    crash(out, "while writing")
    leftovers = [p.name for p in tmp_path.iterdir()  # (and the lock file, which the next run takes)
                 if p.name not in {k.split("/")[0] for k in users} | {".xor.lock"}]
    assert len(leftovers) == 1 and (tmp_path / leftovers[0] / io.TEMPORARY_MARKER).is_file(), leftovers
    zoo.train("mlp-xor", out=out, smoke=True)
    assert not (tmp_path / leftovers[0]).exists()
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith("xor")} == \
        {k: v for k, v in users.items() if not k.startswith("xor")}  # the user's folders untouched


def test_a_users_dot_old_folder_is_never_taken_for_the_previous_artifact(tmp_path, cli):
    users_lookalikes(tmp_path)
    before = tree(tmp_path)
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(tmp_path / "xor"))
    assert code == 0, err
    # `.xor.old` was not renamed to `xor` (the old code took it for a crashed swap's leftover)
    assert zoo.load(tmp_path / "xor").name == "mlp-xor"
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith("xor")} == before


def test_a_users_folder_named_like_a_checkpoint_keeps_its_files(tmp_path, capsys):
    (tmp_path / ".xor.checkpoint").mkdir()
    (tmp_path / ".xor.checkpoint" / "notes.txt").write_text("mine")
    zoo.train("mlp-xor", out=tmp_path / "xor", smoke=True)  # it writes its loop state there, then clears it
    assert tree(tmp_path / ".xor.checkpoint") == {"notes.txt": b"mine"}
    assert "discarding" not in capsys.readouterr().err  # not taken for a broken checkpoint either


def test_a_crash_between_the_two_renames_gets_the_old_folder_back(tmp_path):
    out = tmp_path / "xor"
    zoo.train("mlp-xor", out=out, smoke=True)
    before = tree(out)
    crash(out, "between the renames")
    assert not out.exists()  # the old folder is inside the zoo's marked temporary folder
    with io.output_lock(out):  # as the next run tidies: with the lock (the crashed run left its file)
        io.remove_leftovers(out)
    assert tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["xor"]


def test_save_artifact_itself_refuses_a_users_folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("mine")
    with pytest.raises(zoo.InvalidInputError, match="not an artifact folder"):
        artifacts.save_artifact(docs, model=zoo.build("mlp-xor"), card_body="",
                                config={"name": "x", "architecture": "mlp-xor"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"] and tree(docs) == {"thesis.txt": b"mine"}


def test_a_second_run_on_the_same_out_stops_with_one_line(tmp_path, cli):
    out = tmp_path / "xor"
    other_run = filelock.FileLock(tmp_path / ".xor.lock")  # what the first run holds
    with other_run:
        code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(out))
        one_line_error(code, err, "another run is writing")
        assert not out.exists()
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xor"]  # the lock file goes with the run


# --------------------------------------------------------------------------- a home-relative --out


def test_a_home_relative_out_is_expanded_not_made_into_a_folder_named_tilde(tmp_path, cli, monkeypatch):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    code, out, err = cli("train", "mlp-xor", "--smoke", "--out", "~/runs/cli")  # as quoted in a shell
    assert code == 0, err
    assert str(home / "runs" / "cli") in out
    zoo.train("mlp-xor", out="~/runs/api", smoke=True)
    assert sorted(p.name for p in (home / "runs").iterdir()) == ["api", "cli"]
    assert zoo.load(home / "runs" / "api").name == "mlp-xor"
    assert list(work.iterdir()) == []  # no folder named `~`


# --------------------------------------------------------------------------- fine-tuning's --out

TABLE = "x1,x2,y\n0,0,1\n0,1,1\n1,0,1\n1,1,0\n"  # NAND: a perceptron learns it in a moment


def test_finetune_records_out_as_given_expands_home_and_never_writes_into_its_base(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nand.csv").write_text(TABLE)
    code, _, err = cli("finetune", "perceptron-and", "--table", "nand.csv", "--out", "runs/mine")
    assert code == 0, err
    mine = zoo.load("runs/mine")
    assert mine.config["finetune"]["command"] == (
        "zoo finetune perceptron-and --table nand.csv --epochs 20 --out runs/mine -o seed=0")

    code, _, err = cli("finetune", "runs/mine", "--table", "nand.csv", "--out", "~/again")
    assert code == 0, err
    assert zoo.load(tmp_path / "home" / "again").config["finetune"]["command"].endswith("--out '~/again' -o seed=0")
    assert not (tmp_path / "~").exists()

    base = tree(tmp_path / "runs")
    for out in ("runs/mine/sub", "runs/mine", "runs"):  # inside the base, the base, above it
        code, _, err = cli("finetune", "runs/mine", "--table", "nand.csv", "--out", out, "--overwrite")
        one_line_error(code, err, "would replace the base artifact or write into it")
    assert tree(tmp_path / "runs") == base  # not even a lock file inside it


# --------------------------------------------------------------------------- a full disk


ATOMIC_PATH = io.atomic_path  # the real one, which each simulation below wraps


def full_disk_for(monkeypatch, refused):
    """Every atomic write whose target `refused(path)` says is refused fails as on a full disk:
    after its temporary file was made, as a write that runs out of space."""
    real = ATOMIC_PATH

    @contextlib.contextmanager
    def atomic_path(path, suffix=""):
        with real(path, suffix) as tmp:
            if refused(Path(path)):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
            yield tmp

    monkeypatch.setattr(io, "atomic_path", atomic_path)


def test_a_full_disk_leaves_no_checkpoint_folder(tmp_path, cli, monkeypatch):
    from zoo import training

    monkeypatch.setattr(training, "CHECKPOINT_EPOCHS", 1)  # a checkpoint after every epoch
    full_disk_for(monkeypatch, lambda path: path.parent.name == ".xor.checkpoint")
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(tmp_path / "xor"))
    one_line_error(code, err, "No space left on device")
    assert list(tmp_path.iterdir()) == []  # no .xor.checkpoint/, no lock, no artifact


def test_a_checkpoint_the_disk_refuses_keeps_the_last_one_and_adds_nothing(tmp_path, monkeypatch):
    import numpy as np

    from zoo import training

    def fit():
        model = zoo.build("mlp-xor")
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.zeros((4, 2)), np.zeros(4), epochs=4, verbose=0,
                  callbacks=training.resume_callbacks(tmp_path / "run"))

    monkeypatch.setattr(training, "CHECKPOINT_EPOCHS", 1)
    full_disk_for(monkeypatch, lambda path: path.name.startswith("arrays-"))
    with pytest.raises(OSError, match="No space left"):
        fit()
    assert list(tmp_path.iterdir()) == []  # the first save failed: no empty folder

    full_disk_for(monkeypatch, lambda path: path.name == "arrays-2.npz")  # the second save fails
    with pytest.raises(OSError, match="No space left"):
        fit()
    checkpoint = training.checkpoint_dir(tmp_path / "run")
    assert sorted(p.name for p in checkpoint.iterdir()) == ["arrays-1.npz", "state.json"]
