"""The Hub cache stays the zoo's own business: what a server answers never picks a path, a
refused snapshot takes nothing that another snapshot needs, and concurrent loads agree.

Uses the fake Hub of tests/hub_server.py through test_hub's `server` fixture, and the packaged
mlp-xor artifact (no training needed).
"""

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo import io
from zoo.hub import HubError
from test_hub import ALICE, GRID, go_offline, server, snapshots  # noqa: F401  (server is a fixture)


def storage(tmp_path, repo_id="alice/xor") -> Path:
    return tmp_path / "hf-home" / "hub" / f"models--{repo_id.replace('/', '--')}"


def one_line(error) -> str:
    text = str(error.value)
    assert text.strip() and "\n" not in text.strip(), text
    return text


def victim(tmp_path) -> Path:
    """A folder of the user's, four levels up from the repository's snapshots/ folder."""
    folder = tmp_path / "home" / "me" / "project"
    folder.mkdir(parents=True)
    (folder / "thesis.tex").write_text("years of work")
    return folder


TRAVERSAL = "../../../../home/me/project"  # from hf-home/hub/models--alice--xor/snapshots/


# ----------------------------------------------------------------------------- commit ids from the server


def test_a_commit_id_that_is_a_path_is_refused_before_anything_is_written(server, tmp_path):
    project = victim(tmp_path)
    zoo.publish("mlp-xor", repo_id="alice/xor")
    server.answer_commit = TRAVERSAL
    with pytest.raises(HubError) as error:
        zoo.load("hf://alice/xor")
    assert "commit" in one_line(error) and "../" in str(error.value)
    assert sorted(p.name for p in project.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in project.parent.iterdir()) == ["project"]  # no project.json beside it
    # Nothing of the answer reached the cache either: no ref, no tree listing, no snapshot.
    assert not (storage(tmp_path) / "refs").exists() and not (storage(tmp_path) / "trees").exists()
    assert snapshots(tmp_path, "alice/xor") == []


def test_a_pinned_commit_answered_as_a_path_is_a_one_line_error(server, tmp_path):
    project = victim(tmp_path)
    zoo.publish("mlp-xor", repo_id="alice/xor")
    commit = server.resolve("alice/xor")
    server.answer_commit = TRAVERSAL  # now in X-Repo-Commit of every file
    with pytest.raises(HubError) as error:
        zoo.load(f"hf://alice/xor@{commit}")
    assert "HF_ENDPOINT" in one_line(error) and "model card" not in str(error.value)
    assert sorted(p.name for p in project.iterdir()) == ["thesis.tex"]


def test_a_ref_pointing_outside_the_cache_never_deletes_anything(server, tmp_path, monkeypatch):
    """A cache written before commit ids were checked (or by another tool) may hold a ref whose
    commit id is a path. Offline, huggingface_hub follows it; the zoo must refuse, not purge."""
    project = victim(tmp_path)
    refs = storage(tmp_path) / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text(TRAVERSAL)
    (storage(tmp_path) / "snapshots").mkdir()
    go_offline(monkeypatch)
    with pytest.raises(zoo.ZooError) as error:
        zoo.load("hf://alice/xor")
    assert sorted(p.name for p in project.iterdir()) == ["thesis.tex"]
    assert "refs" in one_line(error)


# ----------------------------------------------------------------------------- purging shares nothing


def test_refusing_a_bad_revision_keeps_the_blobs_of_a_good_pinned_one(server, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    zoo.publish("mlp-xor", repo_id="alice/xor")
    good = server.resolve("alice/xor")
    expected = zoo.load(f"hf://alice/xor@{good}").predict(GRID)

    # A second commit whose config.json lists another sha256 for the same (shared) model.keras.
    config = io.read_json(zoo.registry.packaged_folder("mlp-xor") / "zoo.json")
    config["files"]["model.weights.h5"] = "0" * 64
    HfApi(endpoint=server.url, token=ALICE).upload_file(
        path_or_fileobj=json.dumps(config).encode(), path_in_repo="zoo.json", repo_id="alice/xor")
    bad = server.resolve("alice/xor")
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5 does not match"):
        zoo.load("hf://alice/xor")
    assert snapshots(tmp_path, "alice/xor") == [good]
    server.stop()
    go_offline(monkeypatch)
    np.testing.assert_array_equal(zoo.load(f"hf://alice/xor@{good}").predict(GRID), expected)
    # Only the bad snapshot's own blob (its config.json) is gone, and no ref names the bad commit.
    blobs = storage(tmp_path) / "blobs"
    assert all(p.read_bytes() != json.dumps(config).encode() for p in blobs.iterdir())
    assert all(ref.read_text() != bad for ref in (storage(tmp_path) / "refs").rglob("*") if ref.is_file())


# ----------------------------------------------------------------------------- two processes at once


def load_repeatedly(go, times: int, out: Path) -> None:
    """A second process's zoo.load, `times` over; writes one line per outcome to `out`."""
    go.wait()
    lines = []
    for _ in range(times):
        try:
            zoo.load("hf://alice/xor")
            lines.append("LOADED")
        except BaseException as error:  # noqa: BLE001  (a raw error is what the test looks for)
            lines.append(f"{type(error).__name__}: {' | '.join(str(error).splitlines())}")
    out.write_text("\n".join(lines))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs os.fork")
def test_two_processes_loading_a_tampered_repository_both_get_the_right_error(server, tmp_path):
    """Each purge of the bad snapshot must not pull files from under the other process's
    download or check. The processes are forked from this one (zoo already imported, the
    environment pointing at the fake Hub that this process serves): starting fresh
    interpreters would cost seconds of TensorFlow import each."""
    zoo.publish("mlp-xor", repo_id="alice/xor")
    server.corrupt("alice/xor", "model.weights.h5")
    context = multiprocessing.get_context("fork")
    go = context.Event()
    outs = [tmp_path / f"worker-{i}.txt" for i in range(2)]
    workers = [context.Process(target=load_repeatedly, args=(go, 10, out)) for out in outs]
    for worker in workers:
        worker.start()
    go.set()  # both start at once, so that their loads overlap
    for worker in workers:
        worker.join(timeout=120)
        if worker.is_alive():
            worker.kill()
    assert [worker.exitcode for worker in workers] == [0, 0]
    for out in outs:
        lines = out.read_text().splitlines()
        assert len(lines) == 10
        for line in lines:
            assert line.startswith("IntegrityError: ") and "model.weights.h5 does not match its sha256" in line, line
