"""The artifact layout that Keras, the Hub and the zoo all read (zoo/artifacts.py): plain Keras
loads every packaged artifact with safe_mode on after `import zoo.models`, and gives what
zoo.load gives; the move from the first layout (model.keras + the zoo's config.json) kept every
weight array bit for bit; folders in the first layout still load."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import zoo
from zoo import artifacts, io, registry
from model_io import PLAIN_KERAS_SCRIPT, outputs, sample_inputs
from test_hub import ALICE, server  # noqa: F401  (the fake Hub fixture)

DATA = Path(__file__).parent / "data"
ARTIFACTS = sorted(registry.artifacts())


def test_plain_keras_loads_every_artifact_and_agrees_with_zoo_load(tmp_path):
    """In a separate interpreter that imports only zoo.models (which registers the zoo's layers)
    and Keras: keras.saving.load_model(folder) with safe_mode on, for all twelve."""
    script = tmp_path / "plain_keras.py"
    script.write_text(PLAIN_KERAS_SCRIPT)
    arguments, expected = [], {}
    for name in ARTIFACTS:
        model = zoo.load(name).model
        batch = sample_inputs(model)
        np.savez(tmp_path / f"{name}-in.npz", **batch)
        expected[name] = outputs(model, batch)
        arguments += [str(registry.packaged_folder(name)), str(tmp_path / f"{name}-in.npz"),
                      str(tmp_path / f"{name}-out.npz")]
    result = subprocess.run([sys.executable, str(script), *arguments], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ARTIFACTS:
        got = list(np.load(tmp_path / f"{name}-out.npz").values())
        assert len(got) == len(expected[name]), name
        for a, b in zip(got, expected[name]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def array_digests(weights_file) -> dict:
    digests = {}

    def visit(path, node):
        if isinstance(node, h5py.Dataset):
            array = node[()]
            digests[path] = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode() + array.tobytes()).hexdigest()

    with h5py.File(weights_file, "r") as f:
        f.visititems(visit)
    return digests


def test_every_weight_array_is_bit_identical_to_the_first_layout():
    # Digests of every array of the twelve model.keras files, taken before the move
    # (tests/data/weights_before_layout_2.json).
    # Families added since (captioning) have no first-layout weights to compare.
    before = json.loads((DATA / "weights_before_layout_2.json").read_text())
    assert len(before) == 12 and set(before) <= set(ARTIFACTS)
    for name in before:
        assert array_digests(registry.packaged_folder(name) / "model.weights.h5") == before[name], name


def test_a_folder_in_the_first_layout_still_loads(tmp_path):
    legacy = shutil.copytree(DATA / "legacy-mlp-xor", tmp_path / "old-xor")
    assert (legacy / "model.keras").is_file() and not (legacy / "zoo.json").exists()
    art = zoo.load(legacy)
    assert art.config["format_version"] == 1
    np.testing.assert_array_equal(art.predict([[0, 0], [0, 1], [1, 0], [1, 1]]),
                                  zoo.load("mlp-xor").predict([[0, 0], [0, 1], [1, 0], [1, 1]]))
    # ...and its files are still checked
    (legacy / "model.keras").write_bytes((legacy / "model.keras").read_bytes()[:-10])
    with pytest.raises(zoo.IntegrityError, match="model.keras"):
        zoo.load(legacy)


def test_a_new_artifact_is_written_in_keras_layout(tmp_path):
    folder = zoo.train("mlp-xor", out=tmp_path / "xor", smoke=True)
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "metadata.json", "model.weights.h5", "zoo.json", "README.md"} <= names
    assert "model.keras" not in names
    metadata = io.read_json(folder / "zoo.json")
    assert metadata["format_version"] == artifacts.FORMAT_VERSION == 2
    assert set(metadata["files"]) == names - {"zoo.json"}
    assert json.loads((folder / "config.json").read_text())["class_name"] == "Functional"


def test_a_plain_keras_folder_is_not_taken_for_an_artifact(tmp_path):
    import keras

    model = zoo.build("mlp-xor")
    keras.saving.save_model(model, tmp_path / "plain", zipped=False)
    with pytest.raises(zoo.ZooError, match="plain Keras model"):
        zoo.load(tmp_path / "plain")


def test_a_hub_repository_in_the_first_layout_still_loads(server, tmp_path):  # noqa: F811
    """A repository uploaded before the new layout (model.keras, the zoo's config.json), as it
    sits on the Hub: uploaded as it is, with huggingface_hub's own upload_folder."""
    from huggingface_hub import HfApi

    api = HfApi(token=ALICE)
    api.create_repo("alice/old-xor")
    api.upload_folder(folder_path=DATA / "legacy-mlp-xor", repo_id="alice/old-xor")
    art = zoo.load("hf://alice/old-xor")
    assert art.config["format_version"] == 1 and (art.folder / "model.keras").is_file()
    np.testing.assert_array_equal(art.predict([[0, 1], [1, 1]]), zoo.load("mlp-xor").predict([[0, 1], [1, 1]]))
