"""The reference data ships inside the package: with the network made impossible (no mirror, an
empty cache, ZOO_OFFLINE=1, and every connection refused), tinyshakespeare is the packaged copy,
`zoo eval` of a Shakespeare artifact reproduces its registered metrics, and `zoo finetune` of one
writes an artifact."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import zoo
from zoo import data, io

REPO = Path(__file__).resolve().parent.parent

# Python imports `sitecustomize` at start-up, before the command runs: in the child, every way to
# the network raises, and each attempt is written down, so that one whose error is caught and
# silently handled still fails the test.
NO_NETWORK = """
import os, socket, urllib.request

def _refuse(*args, **kwargs):
    with open(os.environ["NETWORK_ATTEMPTS"], "a") as log:
        log.write(repr(args[:2]) + "\\n")
    raise OSError("the network is disabled in this test")

urllib.request.urlopen = _refuse
socket.socket.connect = socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""


def offline_env(tmp_path: Path) -> dict:
    """The environment of a user with no network, no mirror and an empty cache."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(NO_NETWORK)
    (tmp_path / "cache").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ZOO_DATA_MIRROR", "HF_HUB_OFFLINE")}
    env.update(ZOO_CACHE_DIR=str(tmp_path / "cache"), ZOO_OFFLINE="1",
               NETWORK_ATTEMPTS=str(tmp_path / "network-attempts.txt"),
               PYTHONPATH=os.pathsep.join([str(hook), str(REPO)]))  # this checkout's zoo
    return env


def test_packaged_copy_is_found_and_verified_offline(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("data.path tried the network")

    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    for offline in ("1", "0"):  # allowed to download or not, the packaged copy comes first
        monkeypatch.setenv("ZOO_OFFLINE", offline)
        path = data.path("tinyshakespeare")
        assert path == data.PACKAGED_DIR / "tinyshakespeare.txt"
        assert io.sha256_file(path) == data.dataset("tinyshakespeare").sha256
    assert not (tmp_path / "cache").exists()  # nothing was copied or downloaded into the cache


def test_damaged_packaged_copy_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)
    monkeypatch.setattr(data, "PACKAGED_DIR", tmp_path)
    (tmp_path / "tinyshakespeare.txt").write_text("not shakespeare")
    with pytest.raises(zoo.IntegrityError, match="Reinstall keras-zoo") as error:
        data.path("tinyshakespeare")
    assert "\n" not in str(error.value)


# The commands as a user types them, run by the function the `zoo` script runs, one after the
# other in one fresh process: TensorFlow's start-up (~7 s of CPU) is paid once, not per command.
COMMANDS = [
    ["eval", "ngram-lm-shakespeare"],
    ["finetune", "charrnn-shakespeare", "--text", "mine.txt", "--epochs", "1", "--out", "mine",
     "-o", "seq_len=64", "-o", "batch_size=16"],
]
RUN_COMMANDS = """
import json, sys
from zoo.cli import main
for argv in json.loads(sys.argv[1]):
    print("$ zoo", *argv, flush=True)
    if main(argv):
        sys.exit(f"zoo {argv[0]} failed")
"""


def test_eval_and_finetune_run_without_network(tmp_path):
    """`zoo eval` and `zoo finetune` of Shakespeare artifacts with the network made impossible.
    ngram-lm-shakespeare is the quickest to evaluate (~17 s of CPU; the others 20-45 s); charrnn's
    fine-tuning on 3,000 characters with test_charrnn's small settings is the quickest (~20 s),
    and reads tinyshakespeare too (its metric is nats/char on the validation text)."""
    env = offline_env(tmp_path)
    attempts = tmp_path / "network-attempts.txt"

    # the hook works: a download fails and is written down
    probe = subprocess.run([sys.executable, "-c", "import urllib.request; urllib.request.urlopen('https://example.com')"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "the network is disabled" in probe.stderr and attempts.exists()
    attempts.unlink()

    shakespeare = (data.PACKAGED_DIR / "tinyshakespeare.txt").read_text(encoding="utf-8")
    (tmp_path / "mine.txt").write_text(shakespeare[:3000], encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", RUN_COMMANDS, json.dumps(COMMANDS)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])

    # eval printed its table (it exits 2 if a metric differs from the registered one)
    assert "test_perplexity" in result.stdout
    # finetune wrote an artifact
    config = json.loads((tmp_path / "mine" / "zoo.json").read_text())
    assert config["base_model"]["name"] == "charrnn-shakespeare"
    assert "shakespeare_val_loss_5k" in config["metrics"]

    assert not attempts.exists(), attempts.read_text()
    assert not any((tmp_path / "cache").iterdir())  # nothing downloaded into the cache
