"""An artifact folder can come from anywhere (a download, an e-mail, a hand edit): nothing in it
may pick the code that runs or load a network other than the one its architecture builds."""

import json
import shutil

import pytest

import keras
import zoo
from zoo import artifacts, io, registry


@pytest.fixture
def xor_copy(tmp_path):
    folder = tmp_path / "xor"
    shutil.copytree(registry.packaged_folder("mlp-xor"), folder)
    return folder


def _edit_config(folder, **changes):
    config = io.read_json(folder / "zoo.json")
    config.update(changes)
    io.write_json(folder / "zoo.json", config)  # zoo.json is not in its own files list


def _replace_file(folder, name, data: bytes):
    """Swap a file and record its new sha256, as an attacker who controls the folder can."""
    (folder / name).write_bytes(data)
    config = io.read_json(folder / "zoo.json")
    config["files"][name] = io.sha256_file(folder / name)
    io.write_json(folder / "zoo.json", config)


# ----------------------------------------------------------------------------- recipes


@pytest.fixture
def evil_recipe(tmp_path):
    marker = tmp_path / "the-evil-recipe-ran"
    path = tmp_path / "evil.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                    "def evaluate(artifact, data_dir=None):\n    return {}\n"
                    "def finetune(artifact, **kw):\n    return '.'\n")
    return path, marker


@pytest.mark.parametrize("how", ["absolute", "relative"])
@pytest.mark.parametrize("verb", ["evaluate", "finetune"])
def test_a_recipe_path_in_the_config_is_never_imported(xor_copy, evil_recipe, how, verb):
    path, marker = evil_recipe
    reference = str(path) if how == "absolute" else "../../../../../../../.." + str(path)
    _edit_config(xor_copy, recipe=reference)
    with pytest.raises(zoo.UnsafeArtifactError, match="not one of the zoo's own recipes"):
        if verb == "evaluate":
            zoo.evaluate(xor_copy)
        else:
            zoo.finetune(xor_copy, text=str(path), out=str(xor_copy.parent / "out"))
    assert not marker.exists()


def test_another_familys_recipe_is_refused(xor_copy):
    _edit_config(xor_copy, recipe="recipes/perceptron_and.py")
    with pytest.raises(zoo.UnsafeArtifactError, match="trains perceptron"):
        zoo.evaluate(xor_copy)


def test_cli_eval_of_an_artifact_naming_a_file_is_one_line(xor_copy, evil_recipe, cli):
    path, marker = evil_recipe
    _edit_config(xor_copy, recipe=str(path))
    code, out, err = cli("eval", str(xor_copy))
    assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not marker.exists()


# ----------------------------------------------------------------------------- the network itself


def test_a_different_network_under_an_architecture_name_is_refused(tmp_path):
    inputs = keras.Input(shape=(5,))
    outputs = keras.layers.Dense(7)(keras.layers.Dense(3000, activation="relu")(inputs))
    folder = artifacts.save_artifact(tmp_path / "big", model=keras.Model(inputs, outputs),
                                     config={"name": "big", "architecture": "mlp-xor", "hparams": {}},
                                     card_body="")
    with pytest.raises(zoo.IntegrityError, match="not the mlp-xor network"):
        zoo.load(folder)


def test_another_familys_weights_are_refused(xor_copy):
    # the network's config and weights both swapped for a perceptron's
    for name in ("config.json", "model.weights.h5"):
        _replace_file(xor_copy, name, (registry.packaged_folder("perceptron-and") / name).read_bytes())
    with pytest.raises(zoo.IntegrityError, match="not the mlp-xor network"):
        zoo.load(xor_copy)


def test_hparams_that_do_not_match_the_weights_are_refused(xor_copy):
    _edit_config(xor_copy, hparams={"hidden_units": 3, "activation": "relu"})
    with pytest.raises(zoo.IntegrityError, match="not the mlp-xor network"):
        zoo.load(xor_copy)


def test_every_shipped_artifact_passes_the_architecture_check():
    for name in registry.artifacts():
        art = zoo.load(name)
        artifacts.check_architecture(art.model, art.config, art.folder)  # no error


# ----------------------------------------------------------------------------- broken folders


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"[1, 2]", "not an object"),
    (json.dumps({"architecture": "mlp-xor", "files": ["model.weights.h5"]}).encode(), "no `files` table"),
    (json.dumps({"architecture": ["mlp-xor"], "files": {}}).encode(), "names no architecture"),
])
def test_a_broken_config_is_one_clear_error(xor_copy, content, message, cli):
    (xor_copy / "zoo.json").write_bytes(content)
    with pytest.raises(zoo.ZooError, match=message):
        zoo.load(xor_copy)
    code, out, err = cli("eval", str(xor_copy))
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err


def test_another_familys_architecture_name_is_refused(xor_copy):
    _edit_config(xor_copy, architecture="perceptron", gate="and")  # a perceptron's metadata, xor's network
    with pytest.raises(zoo.IntegrityError, match="not the perceptron network"):
        zoo.load(xor_copy)


def test_a_weights_file_that_is_not_hdf5_is_refused(xor_copy):
    _replace_file(xor_copy, "model.weights.h5", b"this is not an HDF5 file" * 10)
    with pytest.raises(zoo.ZooError, match="not an HDF5 weights file"):
        zoo.load(xor_copy)


def test_a_missing_folder_is_not_taken_for_a_name(cli):
    code, out, err = cli("eval", "/nonexistent")
    assert code == 2 and "no folder /nonexistent" in err and "cnn-filters" not in err
