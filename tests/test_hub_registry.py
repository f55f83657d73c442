"""Every registry name downloadable: `zoo publish --all` puts the twelve artifacts on a (local)
Hub; a zoo without the keras-zoo-weights package then loads every name from its Hub source,
verified against the registry's sha256 list, and offline afterwards; plain Keras loads the same
repositories with `keras.saving.load_model("hf://...")`; a tampered file is refused in one line.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import hub, registry
from model_io import PLAIN_KERAS_SCRIPT, outputs, sample_inputs
from test_hub import ALICE, go_offline, server  # noqa: F401  (the fake Hub fixture)

ARTIFACTS = sorted(registry.artifacts())


@pytest.fixture
def registry_copy(tmp_path, monkeypatch):
    """A copy of registry.json for `--record` to write into (the shipped one records no commit
    that no real Hub holds)."""
    path = tmp_path / "registry.json"
    shutil.copy(registry.REGISTRY_PATH, path)
    monkeypatch.setattr(registry, "REGISTRY_PATH", path)
    return path


@pytest.fixture
def published(server, registry_copy, cli):  # noqa: F811
    """The twelve artifacts published to alice/NAME, their commits recorded in the registry copy."""
    code, out, err = cli("publish", "--all", "--org", "alice", "--record")
    assert code == 0, err
    assert f"[{len(ARTIFACTS)}/{len(ARTIFACTS)}]" in out
    return {name: server.resolve(f"alice/{name}") for name in ARTIFACTS}


def without_packaged_weights(monkeypatch):
    monkeypatch.setattr(registry, "WEIGHTS_DIR", None)


def test_every_name_loads_from_its_hub_source_then_offline(published, registry_copy, server, monkeypatch, cli):  # noqa: F811
    sources = {name: entry["sources"] for name, entry in json.loads(registry_copy.read_text())["artifacts"].items()}
    for name in ARTIFACTS:
        assert f"hf://alice/{name}@{published[name]}" in sources[name]
    packaged = {name: zoo.load(name) for name in ARTIFACTS}
    without_packaged_weights(monkeypatch)
    for name in ARTIFACTS:
        art = zoo.load(name)  # downloaded: only the listed files, each checked against the registry
        assert "hub" in str(art.folder) and art.hub_repo == f"alice/{name}"
        batch = sample_inputs(art.model)
        for a, b in zip(outputs(art.model, batch), outputs(packaged[name].model, batch)):
            np.testing.assert_array_equal(a, b, err_msg=name)
    # every card passed the Hub's checks on upload, and the Hub reads the registry's metrics from it
    from huggingface_hub import ModelCard

    for name in ARTIFACTS:
        results = ModelCard.load(f"alice/{name}").data.eval_results
        registered = registry.artifact(name)["metrics"]
        assert {r.metric_type: r.metric_value for r in results} == {
            k: v for k, v in registered.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}, name
    # the cache, as huggingface_hub's scan_cache_dir sees it
    code, out, _ = cli("cache", "ls")
    assert code == 0 and all(f"alice/{name}" in out for name in ARTIFACTS)
    # offline now: everything comes from the cache
    server.stop()
    go_offline(monkeypatch)
    for name in ARTIFACTS:
        assert zoo.load(name).name == name
    code, out, _ = cli("cache", "rm", "mlp-xor")
    assert code == 0 and "removed alice/mlp-xor" in out
    with pytest.raises(zoo.ZooError, match="not in the cache"):
        zoo.load("mlp-xor")


def test_the_org_can_be_set_for_a_mirror(server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ZOO_HUB_ORG", "alice")
    # the registry's own source is dropped for the mirror's: its commits differ, the sha256 pin stays
    assert hub.registry_source("mlp-xor") == "hf://alice/mlp-xor"
    zoo.publish("mlp-xor", repo_id="alice/mlp-xor")
    without_packaged_weights(monkeypatch)
    assert zoo.load("mlp-xor").hub_repo == "alice/mlp-xor"
    monkeypatch.setenv("ZOO_HUB_ORG", "no/such org")
    with pytest.raises(zoo.InvalidInputError, match="Hub"):
        hub.registry_source("mlp-xor")


def test_a_tampered_file_on_the_hub_is_refused_in_one_line(server, monkeypatch, cli):  # noqa: F811
    monkeypatch.setenv("ZOO_HUB_ORG", "alice")
    zoo.publish("perceptron-and", repo_id="alice/perceptron-and")
    server.corrupt("alice/perceptron-and", "model.weights.h5")
    without_packaged_weights(monkeypatch)
    code, out, err = cli("info", "perceptron-and")  # metadata needs no download
    assert code == 0
    code, out, err = cli("download", "perceptron-and")
    # huggingface_hub's progress bar, then one line: no traceback
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("zoo: error: ") and "Traceback" not in err
    assert "model.weights.h5 does not match its sha256" in last
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5 does not match"):
        zoo.load("perceptron-and")


def test_plain_keras_loads_every_published_repository(published, server, tmp_path):  # noqa: F811
    """`import zoo.models; keras.saving.load_model("hf://alice/NAME")`, in an interpreter pointed
    at the Hub by HF_ENDPOINT, gives what zoo.load(NAME).model gives."""
    script = tmp_path / "plain_keras.py"
    script.write_text(PLAIN_KERAS_SCRIPT)
    arguments, expected = [], {}
    for name in ARTIFACTS:
        model = zoo.load(name).model
        batch = sample_inputs(model, seed=1)
        np.savez(tmp_path / f"{name}-in.npz", **batch)
        expected[name] = outputs(model, batch)
        arguments += [f"hf://alice/{name}", str(tmp_path / f"{name}-in.npz"), str(tmp_path / f"{name}-out.npz")]
    env = {**os.environ, "HF_ENDPOINT": server.url, "HF_HOME": str(tmp_path / "plain-hf-home"),
           "HF_HUB_OFFLINE": "0", "HF_TOKEN": ALICE, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, str(script), *arguments], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ARTIFACTS:
        for a, b in zip(np.load(tmp_path / f"{name}-out.npz").values(), expected[name]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
