"""Artifact folders: integrity by sha256, safe loading, atomic writes."""

import json
import shutil

import numpy as np
import pytest

import keras
import zoo
from zoo import artifacts, io, registry


@pytest.fixture
def xor_copy(tmp_path):
    folder = tmp_path / "xor"
    shutil.copytree(registry.packaged_folder("mlp-xor"), folder)
    return folder


def test_user_folder_loads_with_its_own_hashes(xor_copy):
    art = zoo.load(xor_copy)
    np.testing.assert_array_equal(art.classify([[0, 0], [0, 1], [1, 0], [1, 1]]), [0, 1, 1, 0])


def test_corrupted_file_is_refused_and_named(xor_copy):
    with open(xor_copy / "model.weights.h5", "r+b") as f:
        f.seek(100)
        f.write(b"\x00corrupt")
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5"):
        zoo.load(xor_copy)


def test_missing_file_is_refused(xor_copy):
    (xor_copy / "decision_regions.png").unlink()
    with pytest.raises(zoo.IntegrityError, match="decision_regions.png is missing"):
        zoo.load(xor_copy)


def test_unsafe_file_paths_are_refused(xor_copy):
    config = io.read_json(xor_copy / "zoo.json")
    config["files"]["../../etc/passwd"] = "0" * 64
    io.write_json(xor_copy / "zoo.json", config)
    with pytest.raises(zoo.IntegrityError, match="unsafe"):
        zoo.load(xor_copy)


def test_folder_without_config_is_explained(tmp_path):
    with pytest.raises(zoo.ZooError, match="no zoo.json"):
        zoo.load(tmp_path)


def test_lambda_layer_is_refused_by_safe_mode(tmp_path):
    inputs = keras.Input(shape=(2,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(keras.layers.Dense(1)(inputs))
    model = keras.Model(inputs, outputs)
    config = {"name": "evil", "architecture": "mlp-xor", "hparams": {}}
    folder = artifacts.save_artifact(tmp_path / "evil", model=model, config=config, card_body="x")
    with pytest.raises(zoo.UnsafeArtifactError, match="safe_mode"):
        zoo.load(folder)


def test_unknown_architecture_is_refused(xor_copy):
    config = io.read_json(xor_copy / "zoo.json")
    config["architecture"] = "not-a-zoo-architecture"
    io.write_json(xor_copy / "zoo.json", config)  # files list unchanged, zoo.json not in it
    with pytest.raises(zoo.UnknownNameError, match="architecture"):
        zoo.load(xor_copy)


def test_failed_write_leaves_old_artifact_and_no_debris(xor_copy):
    before = {p.name: p.read_bytes() for p in xor_copy.iterdir()}

    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("disk full")

    model = zoo.build("mlp-xor")
    with pytest.raises(RuntimeError):
        artifacts.save_artifact(xor_copy, model=model, config={"name": "x", "architecture": "mlp-xor"},
                                card_body="", plots={"broken.png": Broken()})
    assert {p.name: p.read_bytes() for p in xor_copy.iterdir()} == before
    assert [p.name for p in xor_copy.parent.iterdir()] == ["xor"]


def test_atomic_file_write_keeps_old_content_on_error(tmp_path):
    target = tmp_path / "f.txt"
    io.write_text(target, "old")
    with pytest.raises(ZeroDivisionError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            1 / 0
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_saved_config_records_environment_and_files(xor_copy):
    config = json.loads((xor_copy / "zoo.json").read_text())
    env = config["training"]["environment"]
    assert {"keras", "backend", "python"} <= set(env)
    assert set(config["files"]) >= {"config.json", "model.weights.h5", "README.md"}


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    folder = artifacts.save_artifact(tmp_path / "a", model=zoo.build("mlp-xor"),
                                     config={"name": "my-own-xor", "architecture": "mlp-xor"}, card_body="")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((folder / "zoo.json").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((folder / "model.weights.h5").stat().st_mode) == 0o666 & ~umask
    io.write_text(tmp_path / "f.txt", "x")
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o666 & ~umask
    # an artifact that is not registered is loaded by its folder, and its card says so
    assert 'zoo.load("path/to/this/folder")' in (folder / "README.md").read_text()


def test_artifacts_carry_no_optimizer_state(tmp_path):
    import h5py

    model = zoo.build("mlp-xor")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros(4), verbose=0)
    folder = artifacts.save_artifact(tmp_path / "a", model=model,
                                     config={"name": "a", "architecture": "mlp-xor"}, card_body="")
    with h5py.File(folder / "model.weights.h5") as weights:
        assert "optimizer" not in weights
    np.testing.assert_array_equal(zoo.load(folder).model.get_weights()[0], model.get_weights()[0])
    for name in registry.artifacts():
        with h5py.File(registry.packaged_folder(name) / "model.weights.h5") as weights:
            assert "optimizer" not in weights, name
