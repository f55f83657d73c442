"""A hostile artifact folder (issue 25, "Untrusted folders"): numbers in its metadata cannot make
the zoo build a huge network, a link cannot make it read a file outside the folder, deep or
ill-typed metadata is one line, not a traceback, and a vocabulary cannot repeat a token or
drive the terminal. The attacker controls the whole folder, so every edit below re-records the
file's sha256 (as _replace_file does)."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import pytest

import zoo
from zoo import artifacts, io, registry, schemas
from test_untrusted_artifacts import _edit_config, _replace_file, xor_copy  # noqa: F401  (a fixture)

DATA = Path(__file__).parent / "data"
DEEP = b"[" * 100_000 + b"]" * 100_000


def _copy(tmp_path, name):
    return shutil.copytree(registry.packaged_folder(name), tmp_path / name)


def _edit_hparams(folder, **changes):
    config = io.read_json(folder / "zoo.json")
    _edit_config(folder, hparams={**config["hparams"], **changes})


def _one_line_error(cli, *argv) -> str:
    code, out, err = cli(*argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (code, out, err)
    return err


# ----------------------------------------------------------------------------- memory and time

# What a zoo.load of a hostile folder may add to the peak resident memory of a process that has
# already loaded a model (TensorFlow and the zoo take about 0.7 GB idle, more on a busy machine,
# where TensorFlow's threads take more memory arenas): before the fix, the first folder below
# took 3.1 GB, the second over 5.5 GB and 150 s (still building), the third 3.0.
MEMORY_BOUND = 0.5 * 2**30

MEMORY_PROBE = """
import resource, sys
import zoo
zoo.load("mlp-xor")  # TensorFlow and the zoo in memory: the baseline
print("BASE", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
for folder in sys.argv[1:]:
    try:
        zoo.load(folder)
        print("LOADED", folder)
    except zoo.ZooError as error:
        print("REFUSED", error)
print("MAXRSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # Linux: kilobytes
"""


def test_numbers_in_a_folder_cannot_make_a_huge_network(tmp_path):
    wide = shutil.copytree(registry.packaged_folder("mlp-xor"), tmp_path / "wide")
    _edit_hparams(wide, hidden_units=100_000_000)
    deep = _copy(tmp_path, "charrnn-shakespeare")
    _edit_hparams(deep, layers=100_000)
    keras_config = shutil.copytree(registry.packaged_folder("mlp-xor"), tmp_path / "keras-config")
    network = json.loads((keras_config / "config.json").read_text())
    hidden = next(layer for layer in network["config"]["layers"] if layer["config"]["name"] == "hidden")
    hidden["config"]["units"] = 100_000_000  # Keras's own config, which Keras builds from
    _replace_file(keras_config, "config.json", json.dumps(network).encode())

    run = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(wide), str(deep), str(keras_config)],
                         capture_output=True, text=True, timeout=240, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path(zoo.__file__).parent.parent),
                              "TF_CPP_MIN_LOG_LEVEL": "3"})
    base, *lines = run.stdout.splitlines()
    assert run.returncode == 0 and len(lines) == 4, run.stdout + run.stderr[-3000:]
    assert "larger network than the 4 tensors" in lines[0]
    assert "larger network than the 9 tensors" in lines[1]
    assert "config.json describes a larger network than its weights file" in lines[2]
    growth = int(lines[3].split()[1]) - int(base.split()[1])
    assert growth < MEMORY_BOUND, f"the hostile folders added {growth / 2**30:.2f} GB to the peak"


def test_a_weights_file_declaring_a_huge_tensor_is_refused_from_its_headers(xor_copy):  # noqa: F811
    with h5py.File(xor_copy / "model.weights.h5", "a") as weights:
        # a billion numbers declared, none written: the file stays small
        weights.create_dataset("layers/dense/vars/2", shape=(10**9,), dtype="float32", chunks=(1024,))
    _replace_file(xor_copy, "model.weights.h5", (xor_copy / "model.weights.h5").read_bytes())
    assert (xor_copy / "model.weights.h5").stat().st_size < 100_000
    with pytest.raises(zoo.IntegrityError, match="declares more than"):
        zoo.load(xor_copy)


def test_a_weights_file_that_reads_another_file_is_refused(xor_copy, tmp_path):  # noqa: F811
    secret = tmp_path / "secret"
    secret.write_bytes(b"12345678")  # 8 bytes: the two float32 numbers of the hidden layer's bias
    with h5py.File(xor_copy / "model.weights.h5", "a") as weights:
        del weights["layers/dense/vars/1"]
        weights.create_dataset("layers/dense/vars/1", shape=(2,), dtype="float32", external=[(str(secret), 0, 8)])
    _replace_file(xor_copy, "model.weights.h5", (xor_copy / "model.weights.h5").read_bytes())
    with pytest.raises(zoo.UnsafeArtifactError, match="outside itself"):
        zoo.load(xor_copy)


def test_a_keras_config_of_another_network_is_refused_before_keras_loads_it(xor_copy):  # noqa: F811
    network = json.loads((xor_copy / "config.json").read_text())
    output = next(layer for layer in network["config"]["layers"] if layer["config"]["name"] == "output")
    output["config"]["units"] = 2  # a network of two outputs; the weights file has one
    _replace_file(xor_copy, "config.json", json.dumps(network).encode())
    with pytest.raises(zoo.IntegrityError, match="does not describe the network in its weights file"):
        zoo.load(xor_copy)


# ----------------------------------------------------------------------------- files of the folder


def _link_card(folder, target, listed=True):
    (folder / "README.md").unlink()
    (folder / "README.md").symlink_to(target)
    config = io.read_json(folder / "zoo.json")
    if listed:
        config["files"]["README.md"] = io.sha256_file(target)
    else:
        del config["files"]["README.md"]
    io.write_json(folder / "zoo.json", config)


def test_a_linked_card_is_never_read(xor_copy, tmp_path):  # noqa: F811
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's secret\n")
    _link_card(xor_copy, secret)
    with pytest.raises(zoo.UnsafeArtifactError, match="README.md .* is a symbolic link"):
        zoo.load(xor_copy)
    _link_card(xor_copy, secret, listed=False)  # not checked by hash, but still not read
    art = zoo.load(xor_copy)
    with pytest.raises(zoo.UnsafeArtifactError, match="symbolic link"):
        art.card


def test_read_member_reads_only_regular_files_inside_the_folder_within_a_limit(xor_copy, tmp_path):  # noqa: F811
    card = artifacts.read_member(xor_copy, "README.md", artifacts.CARD_LIMIT)
    assert card == (xor_copy / "README.md").read_bytes()
    with pytest.raises(zoo.ZooError, match="larger than the 100 bytes"):
        artifacts.read_member(xor_copy, "README.md", 100)
    with pytest.raises(zoo.IntegrityError, match="unsafe file path"):
        artifacts.read_member(xor_copy, "../xor/README.md", artifacts.CARD_LIMIT)
    (xor_copy / "plots").symlink_to(tmp_path, target_is_directory=True)  # a linked folder on the way
    (tmp_path / "p.png").write_bytes(b"png")
    with pytest.raises(zoo.UnsafeArtifactError, match="plots in .* is a symbolic link"):
        artifacts.read_member(xor_copy, "plots/p.png", artifacts.PLOT_LIMIT)
    with pytest.raises(zoo.UnsafeArtifactError, match="not a regular file"):
        artifacts.read_member(xor_copy.parent, "xor", artifacts.PLOT_LIMIT)


def test_a_hub_snapshot_of_links_to_its_blobs_loads_and_no_other_link_does(tmp_path):
    """huggingface_hub's cache: snapshots/COMMIT/NAME -> ../../blobs/SHA. Those links are the
    files; a link anywhere else is not."""
    storage = tmp_path / "models--alice--xor"
    snapshot = storage / "snapshots" / ("a" * 40)
    (storage / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for file in registry.packaged_folder("mlp-xor").iterdir():
        blob = storage / "blobs" / io.sha256_file(file)
        shutil.copy(file, blob)
        (snapshot / file.name).symlink_to(Path("../../blobs") / blob.name)
    art = zoo.load(snapshot)
    assert art.card.startswith("---")
    outside = tmp_path / "README.md"
    shutil.copy(registry.packaged_folder("mlp-xor") / "README.md", outside)
    (snapshot / "README.md").unlink()
    (snapshot / "README.md").symlink_to(outside)  # same bytes, same sha256: not a blob
    with pytest.raises(zoo.UnsafeArtifactError, match="symbolic link"):
        zoo.load(snapshot)


# ----------------------------------------------------------------------------- deep metadata


def test_metadata_nested_100000_deep_is_one_line(xor_copy, cli, tmp_path):  # noqa: F811
    (xor_copy / "zoo.json").write_bytes(DEEP)
    for verb in (["info"], ["eval"], ["export", "--format", "onnx", "--out", str(tmp_path / "exported")],
                 ["publish"]):
        argv = [verb[0], str(xor_copy), *verb[1:]] + (["alice/xor"] if verb == ["publish"] else [])
        assert "nests deeper than 64 levels" in _one_line_error(cli, *argv)
    with pytest.raises(zoo.ZooError, match="nests deeper"):
        zoo.load(xor_copy)


def test_a_keras_config_nested_100000_deep_is_one_line(xor_copy, cli):  # noqa: F811
    _replace_file(xor_copy, "config.json", DEEP)
    assert "config.json nests deeper" in _one_line_error(cli, "eval", str(xor_copy))


def test_a_first_layout_folder_nested_deep_is_one_line(tmp_path, cli):
    legacy = shutil.copytree(DATA / "legacy-mlp-xor", tmp_path / "old")
    metadata = io.read_json(legacy / "config.json")
    archive = legacy / "model.keras"
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(archive, "w") as target:
        for name, data in members.items():
            target.writestr(name, DEEP if name == "config.json" else data)
    metadata["files"]["model.keras"] = io.sha256_file(archive)
    io.write_json(legacy / "config.json", metadata)
    assert "config.json in" in _one_line_error(cli, "eval", str(legacy))  # Keras's, inside model.keras
    (legacy / "config.json").write_bytes(DEEP)  # the zoo's own metadata
    assert "nests deeper" in _one_line_error(cli, "info", str(legacy))


# ----------------------------------------------------------------------------- schemas


def _without(key):
    def change(folder):
        config = io.read_json(folder / "zoo.json")
        del config[key]
        io.write_json(folder / "zoo.json", config)
    return change


def _hparams_without(key):
    def change(folder):
        config = io.read_json(folder / "zoo.json")
        del config["hparams"][key]
        io.write_json(folder / "zoo.json", config)
    return change


def _vocabulary(change_words):
    def change(folder):
        config = io.read_json(folder / "zoo.json")
        _edit_config(folder, vocabulary=change_words(config["vocabulary"]))
    return change


def _vocab_json(change_content):
    def change(folder):
        content = json.loads((folder / "vocab.json").read_text())
        _replace_file(folder, "vocab.json", json.dumps(change_content(content)).encode())
    return change


def _vocab_txt(change_words):
    def change(folder):
        words = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        data = change_words(words)
        _replace_file(folder, "vocab.txt", data if isinstance(data, bytes) else "\n".join(data).encode())
    return change


BAD_METADATA = [
    ("charrnn-shakespeare", _without("vocabulary"), "vocabulary: Field required"),
    ("charrnn-shakespeare", _vocabulary(lambda chars: chars[:-1]),
     "vocabulary has 64 tokens, but hparams.vocab_size is 65"),
    ("lstm-lm-shakespeare", _vocab_txt(lambda words: "\n".join(words).encode("utf-16")), "is not UTF-8 text"),
    ("seq2seq-dates", _vocab_json(lambda content: list(content.values())), "Input should be a valid dictionary"),
    ("seq2seq-dates", lambda folder: _edit_config(folder, max_source_length="abc"),
     "max_source_length: Input should be a valid integer"),
    ("seq2seq-dates", lambda folder: _edit_config(folder, max_source_length=10**12),
     "max_source_length: Input should be less than or equal to 10000"),
    ("cnn-filters-classic", lambda folder: _edit_config(folder, kernels=3), "kernels: Input should be a valid dictionary"),
    ("cnn-filters-classic", lambda folder: _edit_config(folder, kernels={"blur": [[1.0, 2.0]]}),
     "kernels names 1 kernels for a bank of 4 filters"),
    ("ngram-lm-shakespeare", _hparams_without("context"), "hparams.context: Field required"),
    ("skipgram-shakespeare", _vocab_json(lambda content: {**content, "counts": content["counts"][:-1]}),
     "vocab.json has 3,321 counts for 3,322 words"),
    ("mlp-xor", lambda folder: _edit_config(folder, finetuned_on=[{"file": "t.csv", "sha256": "0", "bytes": "many"}]),
     "finetuned_on[0].bytes: Input should be a valid integer"),
    ("mlp-xor", lambda folder: _edit_config(folder, truth_table=[[0, 0, 0]]), "truth_table: List should have at least 4"),
    ("mlp-xor", lambda folder: _edit_config(folder, training=None), "training: Input should be a valid dictionary"),
    ("perceptron-and", _without("gate"), "gate: Field required (the recipe it names reads it)"),
]


@pytest.mark.parametrize("name, change, message", BAD_METADATA,
                         ids=[f"{name}-{message.split(':')[0][:30]}" for name, _, message in BAD_METADATA])
def test_metadata_of_the_wrong_shape_is_one_line(tmp_path, cli, name, change, message):
    folder = _copy(tmp_path, name)
    change(folder)
    with pytest.raises(zoo.ZooError, match=re.escape(message)):
        zoo.load(folder)
    for verb in ("info", "eval"):
        assert message in _one_line_error(cli, verb, str(folder))


def test_every_architecture_has_a_schema_and_every_packaged_artifact_fits_it():
    for architecture, entry in registry.architectures().items():
        declared = registry.resolve(entry["artifact_class"]).config_schema  # "module:Class", on the class
        assert schemas.schema_for(architecture) is registry.resolve(declared), architecture
        assert issubclass(schemas.schema_for(architecture), schemas.Metadata) and declared != "zoo.schemas:Metadata"
    assert schemas.schema_for("no-such-architecture") is schemas.Metadata
    for name in registry.artifacts():
        artifacts.read_config(registry.packaged_folder(name))  # no error
    artifacts.read_config(DATA / "legacy-mlp-xor")


def test_zoo_info_of_a_folder_still_imports_no_backend(xor_copy):  # noqa: F811
    probe = ("import sys\nfrom zoo.cli import main\ncode = main(['info', sys.argv[1]])\n"
             "print(code, [m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", probe, str(xor_copy)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(zoo.__file__).parent.parent)})
    assert run.stdout.strip().splitlines()[-1] == "0 []", run.stdout + run.stderr


# ----------------------------------------------------------------------------- vocabularies


def test_a_word_vocabulary_with_a_repeated_word_is_refused(tmp_path, cli):
    folder = _copy(tmp_path, "lstm-lm-shakespeare")
    _vocab_txt(lambda words: words[:10] + [words[9]] + words[11:])(folder)
    assert "lists" in _one_line_error(cli, "generate", str(folder), "--length", "5")
    with pytest.raises(zoo.ZooError, match="twice"):
        zoo.load(folder)
    from zoo.families.word_lm import words

    with pytest.raises(zoo.InvalidInputError, match="twice"):
        words.Vocabulary([words.UNK, words.BOS, words.EOS, "king", "king"])


TERMINAL_ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2J", "\x00b", "\x9b2J"]  # the charrnn gets the first character


@pytest.mark.parametrize("token", TERMINAL_ESCAPES, ids=["title", "clear", "nul", "csi"])
def test_vocabulary_tokens_that_drive_the_terminal_are_refused(tmp_path, cli, token):
    words_folder = _copy(tmp_path, "lstm-lm-shakespeare")
    _vocab_txt(lambda words: words[:10] + [token] + words[11:])(words_folder)
    chars_folder = _copy(tmp_path, "charrnn-shakespeare")
    _vocabulary(lambda chars: chars[:-1] + [token[0]])(chars_folder)
    for folder in (words_folder, chars_folder):
        code, out, err = cli("generate", str(folder), "--length", "20")
        assert code == 2 and len(err.strip().splitlines()) == 1 and "control character" in err
        assert not any(c in out + err for c in "\x1b\x07\x00\x9b")
        with pytest.raises(zoo.ZooError, match="control character"):
            zoo.load(folder)


def test_character_vocabularies_keep_newline_and_tab_only():
    from zoo.families.charrnn import artifact as charrnn
    from zoo.families.seq2seq import vocab as seq2seq

    assert len(charrnn.Vocabulary(["\n", "\t", " ", "a"])) == 4  # tinyshakespeare has newlines
    for chars in (["a", "\x0c"], ["a", "\x1b"], ["a", "a"], ["ab"]):
        with pytest.raises(zoo.InvalidInputError):
            charrnn.Vocabulary(chars)
    with pytest.raises(zoo.InvalidInputError, match="control character"):
        seq2seq.Vocabulary(["1", "\t"])  # a pair is one line: no control character at all


def test_control_characters_in_any_metadata_string_are_refused(xor_copy, cli):  # noqa: F811
    _edit_config(xor_copy, description="an XOR net\x1b]0;owned\x07")
    err = _one_line_error(cli, "info", str(xor_copy))
    assert "U+001B" in err and "\x1b" not in err
    _edit_config(xor_copy, description="two lines\nand a\ttab")  # text, not terminal control
    code, out, err = cli("info", str(xor_copy))
    assert code == 0

