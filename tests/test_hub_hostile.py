"""A hostile or broken Hub gets nothing: no file outside the cache, whatever names it answers,
and no wait without an end, however slowly it answers; each failure says what happened, in one
line.

Uses the fake Hub of tests/hub_server.py (its test-only hooks: headers_for, status_for, tree_for,
hang, trickle) through test_hub's `server` fixture, and the packaged mlp-xor artifact. The time
limits are set to a second or two here (ZOO_HUB_TIMEOUT, ZOO_HUB_DEADLINE), so every wait is short.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest

import zoo
from zoo import hub
from test_hub import server  # noqa: F401  (a fixture)

REPO = "alice/xor"
# From any of huggingface_hub's folders for the repository (blobs/, .no_exist/, .locks/models--alice--xor/),
# four levels up is tmp_path: this names tmp_path/home/me/project/planted.
PLANTED = "../../../../home/me/project/planted"
SLACK = 3.0  # seconds a loaded 2-core machine may add to a limit


@pytest.fixture
def project(tmp_path, server):  # noqa: F811
    """The user's folder that a server's answer names, and the repository it serves."""
    folder = tmp_path / "home" / "me" / "project"
    folder.mkdir(parents=True)
    (folder / "thesis.tex").write_text("years of work")
    zoo.publish("mlp-xor", repo_id=REPO)
    return folder


def untouched(project: Path) -> bool:
    """Nothing was written beside the user's file, nor anywhere else outside the Hub cache."""
    return ([p.name for p in project.iterdir()] == ["thesis.tex"]
            and sorted(p.name for p in project.parents[2].iterdir()) == ["hf-home", "home"])


def download(cli, source=f"hf://{REPO}"):
    """`zoo download` that fails, through the CLI: (its one line of error, seconds taken). Only
    huggingface_hub's progress bar may come before that line."""
    start = time.monotonic()
    code, _, err = cli("download", source)
    seconds = time.monotonic() - start
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err, err
    assert lines[-1].startswith("zoo: error: ") and all("Fetching" in line for line in lines[:-1]), err
    return lines[-1], seconds


# ----------------------------------------------------------------------------- names that are paths


@pytest.mark.parametrize("header", ["ETag", "X-Linked-Etag"])
def test_a_file_etag_that_is_a_path_writes_nothing_outside_the_cache(project, server, cli, tmp_path,  # noqa: F811
                                                                     header):
    server.headers_for["config.json"] = {header: f'"{PLANTED}"'}
    line, _ = download(cli)
    assert header in line and "config.json of alice/xor" in line and "not a plain file name" in line
    assert untouched(project)
    with pytest.raises(hub.HubError, match="not a plain file name"):
        zoo.load(f"hf://{REPO}")
    assert untouched(project) and not list((tmp_path / "hf-home").rglob("snapshots/*/config.json"))
    # The refusal left nothing behind that a good answer would trip over.
    server.headers_for.clear()
    assert (hub.download(f"hf://{REPO}") / "config.json").is_file()


def test_a_weak_etag_that_is_an_absolute_path_is_refused(project, server, cli):  # noqa: F811
    """huggingface_hub strips W/ and quotes, so '"//x"' would become the absolute path //x."""
    server.headers_for["config.json"] = {"ETag": f'"/{project}/planted"'}
    line, _ = download(cli)
    assert "ETag" in line and "not a plain file name" in line
    assert untouched(project)


def test_a_404_naming_a_path_as_its_commit_creates_nothing(project, server, cli):  # noqa: F811
    server.status_for["config.json"] = 404
    server.headers_for["config.json"] = {"X-Repo-Commit": PLANTED}
    line, _ = download(cli)
    assert "X-Repo-Commit" in line and "not a commit id" in line and "config.json of alice/xor" in line
    assert untouched(project)


def test_a_tree_listing_naming_a_path_writes_nothing(project, server, cli):  # noqa: F811
    """For a Xet file huggingface_hub names the blob after the listing's LFS oid, with no HEAD."""
    server.tree_for["config.json"] = {"xetHash": "a" * 64, "lfs": {"oid": PLANTED, "size": 10, "pointerSize": 100}}
    line, _ = download(cli)
    assert "lfs.oid" in line and "file list of alice/xor" in line and "not a plain file name" in line
    assert untouched(project)


# ----------------------------------------------------------------------------- every wait ends


def test_a_server_error_on_one_file_says_so(project, server, cli, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ZOO_HUB_DEADLINE", "2")
    server.status_for["model.weights.h5"] = 500
    line, seconds = download(cli)
    assert "answered 500 Internal Server Error for model.weights.h5 of alice/xor" in line
    assert "cannot be reached" not in line and seconds < 2 + SLACK


def test_a_failing_server_after_retries_is_named_too():
    """huggingface_hub's own retries end in 'cannot find the file in the cache'; the zoo names the
    answer behind it. (Made by hand: huggingface_hub's retries take 23 s.)"""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    url = "http://127.0.0.1:9/alice/xor/resolve/" + "a" * 40 + "/model.weights.h5"
    answer = httpx2.Response(500, request=httpx2.Request("HEAD", url))
    wrapped = LocalEntryNotFoundError("An error happened while trying to locate the file on the Hub")
    wrapped.__cause__ = HfHubHTTPError("500 Server Error", response=answer)
    with pytest.raises(hub.HubError) as error, hub.hub_errors("download", REPO):
        raise wrapped
    assert str(error.value).startswith("the Hub at http://127.0.0.1:9 answered 500 Internal Server Error for "
                                       "model.weights.h5 of alice/xor")


def test_a_hub_that_never_answers_times_out_and_frees_the_lock(project, server, cli, monkeypatch,  # noqa: F811
                                                               tmp_path):
    from filelock import FileLock

    monkeypatch.setenv("ZOO_HUB_TIMEOUT", "1")
    server.hang.add(f"/api/models/{REPO}")  # repo info: accepted, never answered
    line, seconds = download(cli)
    assert "did not answer within 1 s (ZOO_HUB_TIMEOUT) when asked for the repository info of alice/xor" in line
    assert seconds < 1 + SLACK
    lock = tmp_path / "hf-home" / "hub" / ".locks" / "models--alice--xor" / "keras-zoo.lock"
    with FileLock(lock).acquire(timeout=0):  # free again: other loaders do not wait for it
        pass


def test_a_trickled_body_ends_at_the_deadline(project, server, cli, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("ZOO_HUB_DEADLINE", "2")
    server.trickle["model.weights.h5"] = 0.1  # a byte every 0.1 s: never a read timeout
    line, seconds = download(cli)
    assert "did not finish within 2 s (ZOO_HUB_DEADLINE)" in line and "receiving model.weights.h5" in line
    assert seconds < 2 + SLACK
    assert not list((tmp_path / "hf-home").rglob("snapshots/*/model.weights.h5"))  # never half a file


def test_waiting_for_another_process_s_lock_has_a_deadline(project, server, cli, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("ZOO_HUB_DEADLINE", "1")
    lock = tmp_path / "hf-home" / "hub" / ".locks" / "models--alice--xor" / "keras-zoo.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import filelock, sys, time\n"
                               "with filelock.FileLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
                               str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        line, seconds = download(cli)
    finally:
        holder.kill()
        holder.wait()
    assert "another process has been downloading or loading alice/xor for over 1 s" in line and str(lock) in line
    assert seconds < 1 + SLACK


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf"])
def test_a_bad_time_limit_is_one_line(project, cli, monkeypatch, value):
    monkeypatch.setenv("ZOO_HUB_TIMEOUT", value)
    line, _ = download(cli)
    assert f"ZOO_HUB_TIMEOUT={value!r} is not a number of seconds above 0" in line
