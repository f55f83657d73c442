"""The registry walk: every architecture builds, every artifact verifies and loads, every recipe
runs in smoke mode and writes an artifact that loads."""

import json

import pytest

import keras
import zoo
from zoo import artifacts, io, registry

REG = registry.load_registry()
ARCHITECTURES = sorted(REG["architectures"])
ARTIFACTS = sorted(REG["artifacts"])


def test_registry_shape():
    for name, arch in REG["architectures"].items():
        assert {"build", "artifact_class", "task", "defaults", "source"} <= set(arch), name
    for name, art in REG["artifacts"].items():
        assert art["architecture"] in REG["architectures"], name
        assert {"recipe", "dataset", "metrics", "files", "sources"} <= set(art), name
        # Keras's directory layout, the zoo's metadata and the card (zoo/artifacts.py)
        assert {"config.json", "metadata.json", "model.weights.h5", "zoo.json", "README.md"} <= set(art["files"]), name
        assert any(s.startswith("hf://") for s in art["sources"]), f"{name} has no Hub source"
        assert art["metrics"], f"{name} records no metrics"
        assert (registry.RECIPES_DIR.parent / art["recipe"]).is_file(), name


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_architecture_builds(name):
    model = zoo.build(name)
    assert isinstance(model, keras.Model)
    assert model.count_params() > 0


@pytest.mark.parametrize("name", ARTIFACTS)
def test_every_artifact_verifies_and_loads(name):
    folder = registry.packaged_folder(name)
    for relative, sha in REG["artifacts"][name]["files"].items():
        assert io.sha256_file(folder / relative) == sha, relative
    art = zoo.load(name)
    assert art.name == name
    assert art.config["architecture"] == REG["artifacts"][name]["architecture"]
    assert art.card.startswith("---\nlibrary_name: keras\n")
    # zoo.json's own list matches the registry's (the registry adds zoo.json itself)
    config = io.read_json(folder / "zoo.json")
    assert config["format_version"] == 2
    assert {**config["files"], "zoo.json": REG["artifacts"][name]["files"]["zoo.json"]} == \
        REG["artifacts"][name]["files"]


@pytest.mark.parametrize("name", ARTIFACTS)
def test_every_recipe_runs_in_smoke_mode(name, tmp_path):
    folder = zoo.train(name, out=tmp_path / name, smoke=True)
    art = zoo.load(folder)
    assert art.config["name"] == name
    assert art.metrics
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_artifacts_hold_no_pickle():
    for name in ARTIFACTS:
        for path in registry.packaged_folder(name).rglob("*"):
            assert path.suffix not in (".pkl", ".pickle", ".npy", ".joblib"), path


def test_list_models_patterns():
    assert "mlp-xor" in zoo.list_models()
    assert zoo.list_models("cnn-*", pretrained=False) == ["cnn-filters"]
    assert set(zoo.list_models("cnn-*", pretrained=True)) == {"cnn-filters-classic", "cnn-filters-learned"}
    assert zoo.list_models("nothing-like-this*") == []


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(zoo.UnknownNameError, match="Did you mean: mlp-xor"):
        zoo.load("mlp-xr")
    with pytest.raises(zoo.UnknownNameError, match="cnn-filters"):
        zoo.build("cnn-filter")
    with pytest.raises(zoo.UnknownNameError, match="Did you mean"):
        zoo.info("cnn-filters-clasic")


def test_build_rejects_unknown_hyperparameters():
    with pytest.raises(zoo.InvalidInputError, match="hidden_units"):
        zoo.build("mlp-xor", hiden_units=3)


def test_architecture_without_weights_explains():
    with pytest.raises(zoo.ZooError, match="zoo.build"):
        zoo.load("cnn-filters")


def test_evaluate_reproduces_registered_metrics():
    for name in ARTIFACTS:
        results = zoo.evaluate(name)
        assert results and all(row["ok"] for row in results.values()), (name, results)


def test_registry_is_valid_json_and_sorted():
    text = registry.REGISTRY_PATH.read_text()
    assert json.loads(text) == REG
