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

DATA = Path(__file__).parent / "data"
ARTIFACTS = sorted(registry.artifacts())


def sample_inputs(model, seed=0) -> dict:
    """A small batch for each of the model's inputs, by input name: token ids 0..1 for integer
    inputs (valid for every vocabulary), standard normal values for the others."""
    rng = np.random.default_rng(seed)
    batch = {}
    for tensor in model.inputs:
        shape = [2] + [dim if dim is not None else 5 for dim in tensor.shape[1:]]
        if "int" in str(tensor.dtype):
            batch[tensor.name] = rng.integers(0, 2, size=shape).astype(str(tensor.dtype))
        else:
            batch[tensor.name] = rng.standard_normal(shape).astype("float32")
    return batch


def outputs(model, batch: dict):
    """The model's outputs for a batch given by input name, as a list of arrays."""
    import keras

    structure = model.input  # a tensor, a list or a dict of them, as the model was built
    arguments = keras.tree.map_structure(lambda tensor: batch[tensor.name], structure)
    result = model(arguments, training=False)
    return [np.asarray(r) for r in keras.tree.flatten(result)]


PLAIN_KERAS = """
import sys, numpy as np
import zoo.models  # registers the zoo's layers: nothing else of the zoo is used
import keras
folder, inputs, out = sys.argv[1], sys.argv[2], sys.argv[3]
model = keras.saving.load_model(folder, compile=False, safe_mode=True)
batch = dict(np.load(inputs))
result = model(keras.tree.map_structure(lambda t: batch[t.name], model.input), training=False)
np.savez(out, *[np.asarray(r) for r in keras.tree.flatten(result)])
"""


def test_plain_keras_loads_every_artifact_and_agrees_with_zoo_load(tmp_path):
    script = tmp_path / "plain_keras.py"
    script.write_text(PLAIN_KERAS)
    # One process for all twelve would hide a layer registered by an earlier load, so each
    # artifact gets a fresh interpreter (they run two at a time).
    jobs = []
    for name in ARTIFACTS:
        model = zoo.load(name).model
        batch = sample_inputs(model)
        np.savez(tmp_path / f"{name}-in.npz", **batch)
        command = [sys.executable, str(script), str(registry.packaged_folder(name)),
                   str(tmp_path / f"{name}-in.npz"), str(tmp_path / f"{name}-out.npz")]
        jobs.append((name, outputs(model, batch), command))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for start in range(0, len(jobs), 2):
        running = [(name, expected, subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE,
                                                     text=True))
                   for name, expected, command in jobs[start:start + 2]]
        for name, expected, process in running:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, f"{name}: {err[-2000:]}"
            got = list(np.load(tmp_path / f"{name}-out.npz").values())
            assert len(got) == len(expected), name
            for a, b in zip(got, expected):
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
    before = json.loads((DATA / "weights_before_layout_2.json").read_text())
    assert sorted(before) == ARTIFACTS
    for name in ARTIFACTS:
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
