"""`zoo export`: every architecture in every format gives Keras's outputs, run by the runtime a
serving engine would use (onnxruntime; the SavedModel's `serving_default` signature, as TF
Serving and KServe call it; the LiteRT interpreter), and its README's loop runs. Each
(architecture, format) is exported once per module, on first use: exports take seconds."""

import contextlib
import io
import json
import re
import shutil

import numpy as np
import pytest

import zoo
from zoo import exporting
from zoo.errors import InvalidInputError, ZooError

ARTIFACTS = {  # one artifact per architecture
    "mlp-xor": "mlp-xor", "perceptron": "perceptron-and", "cnn-filters": "cnn-filters-classic",
    "skipgram": "skipgram-shakespeare", "cbow": "cbow-shakespeare", "ngram-lm": "ngram-lm-shakespeare",
    "gru-lm": "gru-lm-shakespeare", "lstm-lm": "lstm-lm-shakespeare", "seq2seq": "seq2seq-dates",
    "charrnn": "charrnn-shakespeare",
}
FORMATS = ("saved_model", "onnx", "litert")
# SavedModel and ONNX for every architecture. LiteRT for the feed-forward ones and one recurrent
# model: its recurrent exports (fixed shapes, lowered loops) take ~20 s each on 2 cores, and
# they share one code path, which charrnn's case runs. (`zoo export` itself takes every pair.)
LITERT = ("mlp-xor", "perceptron", "cnn-filters", "skipgram", "charrnn")
CASES = [(arch, fmt) for arch in ARTIFACTS for fmt in FORMATS if fmt != "litert" or arch in LITERT]
# Each README's loop once per architecture (ONNX), and once per format on a few.
LOOPS = [(arch, "onnx") for arch in ARTIFACTS] + [
    ("mlp-xor", "saved_model"), ("seq2seq", "saved_model"), ("lstm-lm", "saved_model"),
    ("mlp-xor", "litert"), ("charrnn", "litert")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """exported(arch, fmt) -> the export folder, made on first use."""
    root, done = tmp_path_factory.mktemp("exports"), {}

    def get(arch, fmt):
        if (arch, fmt) not in done:
            done[arch, fmt] = zoo.export(ARTIFACTS[arch], format=fmt, out=root / f"{arch}-{fmt}")
        return done[arch, fmt]
    return get


@pytest.fixture(scope="module")
def artifacts():
    loaded = {}

    def get(arch):
        if arch not in loaded:
            loaded[arch] = zoo.load(ARTIFACTS[arch])
        return loaded[arch]
    return get


def inputs_from_manifest(manifest, seed):
    """Inputs of the shapes and ranges export.json gives: the manifest must be right, too."""
    rng = np.random.default_rng(seed)
    sizes = iter((5, 6, 8))  # lengths, heights, widths; every input's first axis is the batch, of 2
    arrays = {}
    for spec in manifest["inputs"]:
        shape = [d if d is not None else 2 if axis == 0 else next(sizes) for axis, d in enumerate(spec["shape"])]
        if "ids_below" in spec:
            arrays[spec["name"]] = rng.integers(0, spec["ids_below"], shape).astype(spec["dtype"])
        else:
            low, high = spec["values"]
            arrays[spec["name"]] = rng.integers(low, high + 1, shape).astype(spec["dtype"])
    return arrays


def keras_reference(art, inputs):
    arch = art.config["architecture"]
    if arch in ("skipgram", "cbow"):  # the vectors gensim's KeyedVectors holds
        return art.wv.vectors[inputs["word"]]
    args = [inputs[t.name] for t in art.model.inputs]
    return np.asarray(art.model(args if len(args) > 1 else args[0], training=False))


def run_with_runtime(folder, manifest, inputs):
    """The exported file run by its own runtime, not through the zoo."""
    fmt, output = manifest["format"], manifest["outputs"][0]["runtime_name"]
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
        assert {i.name for i in session.get_inputs()} == set(inputs)
        return session.run([output], inputs)[0]
    if fmt == "saved_model":
        import tensorflow as tf

        serve = tf.saved_model.load(str(folder)).signatures["serving_default"]
        return serve(**{k: tf.constant(v) for k, v in inputs.items()})[output].numpy()
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(str(folder / "model.tflite")).get_signature_runner("serving_default")
    return runner(**inputs)[output]


@pytest.mark.parametrize("arch, fmt", CASES, ids=[f"{a}-{f}" for a, f in CASES])
def test_export_gives_the_keras_outputs(arch, fmt, exported, artifacts):
    folder, art = exported(arch, fmt), artifacts(arch)
    manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    assert manifest["artifact"] == ARTIFACTS[arch] and manifest["format"] == fmt
    assert (folder / manifest["model_file"]).is_file() and (folder / "README.md").is_file()
    for name in manifest["files"]:
        assert (folder / name).exists(), name
    for seed in range(2):
        inputs = inputs_from_manifest(manifest, seed)
        want = keras_reference(art, inputs)
        got = run_with_runtime(folder, manifest, inputs)
        assert got.shape == want.shape
        scale = max(1.0, float(np.abs(want).max()))
        assert np.abs(got - want).max() <= 1e-5 * scale, (arch, fmt, np.abs(got - want).max(), scale)


EXPECTED_PRINT = {"mlp-xor": "1", "perceptron": "[1]", "seq2seq": "2026-11-25"}


@pytest.mark.parametrize("arch, fmt", LOOPS, ids=[f"{a}-{f}" for a, f in LOOPS])
def test_the_readme_loop_runs(arch, fmt, exported, monkeypatch, tmp_path):
    """The README's Python block, run as written (a few steps of generation, a made-up photo)."""
    folder = exported(arch, fmt)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    code = re.sub(r"range\((20|200)\)", "range(3)", code)
    if arch == "cnn-filters":
        from PIL import Image

        Image.new("RGB", (12, 9), (200, 100, 50)).save(tmp_path / "photo.png")
        code = code.replace("'photo.png'", repr(str(tmp_path / "photo.png")))
    monkeypatch.chdir(folder)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    if arch in EXPECTED_PRINT:
        assert printed.getvalue().strip() == EXPECTED_PRINT[arch]
    if arch in ("skipgram", "cbow"):
        assert len(eval(printed.getvalue())) == 10  # the ten nearest words


def test_the_seq2seq_loop_matches_translate(exported, artifacts):
    """The teacher-forced forward model, driven greedily, gives what `translate` gives."""
    folder = exported("seq2seq", "onnx")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    texts = ["3 March 1999", "December 31, 2020"]
    art = artifacts("seq2seq")
    for text, want in zip(texts, art.translate(texts)):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.chdir(folder):
            exec(compile(code.replace("'25 Nov 2026'", repr(text)), "README.md", "exec"), {})
        assert printed.getvalue().strip() == want


# ----------------------------------------------------------------------------- refusals


def test_an_existing_out_is_kept_unless_overwrite(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="already exists.*--overwrite"):
        zoo.export("mlp-xor", format="saved_model", out=out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert zoo.export("mlp-xor", format="saved_model", out=out, overwrite=True) == out
    assert (out / "saved_model.pb").is_file() and not (out / "notes.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no lock, no temporary folder left


def test_an_artifact_folder_exports_and_is_never_its_own_out(tmp_path):
    from zoo import registry

    folder = tmp_path / "xor"
    shutil.copytree(registry.packaged_folder("mlp-xor"), folder)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(InvalidInputError, match="would replace the artifact"):
        zoo.export(str(folder), format="onnx", out=folder, overwrite=True)
    with pytest.raises(InvalidInputError, match="would replace the artifact"):
        zoo.export(str(folder), format="onnx", out=tmp_path, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == before
    out = zoo.export(str(folder), format="onnx", out=tmp_path / "xor-onnx")
    assert json.loads((out / "export.json").read_text())["artifact"] == "mlp-xor"


def test_refusals_come_before_any_model_is_loaded(tmp_path, monkeypatch):
    with pytest.raises(InvalidInputError, match="unknown export format 'tflite'; choose one of saved_model, onnx, litert"):
        zoo.export("mlp-xor", format="tflite", out=tmp_path / "x")
    real = exporting.importlib.util.find_spec
    monkeypatch.setattr(exporting.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tf2onnx" else real(name, *a))
    with pytest.raises(ZooError, match=re.escape("needs tf2onnx: pip install 'keras-zoo[export]'")):
        zoo.export("mlp-xor", format="onnx", out=tmp_path / "x")
    monkeypatch.undo()
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(ZooError, match="TensorFlow backend"):
        zoo.export("mlp-xor", format="saved_model", out=tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_says_what_is_missing_in_one_line(cli, tmp_path, monkeypatch):
    real = exporting.importlib.util.find_spec
    monkeypatch.setattr(exporting.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("tf2onnx", "onnxruntime") else real(name, *a))
    code, out, err = cli("export", "mlp-xor", "--format", "onnx", "--out", str(tmp_path / "x"))
    assert code == 2 and err.strip().splitlines() == [
        "zoo: error: exporting to onnx needs tf2onnx, onnxruntime: pip install 'keras-zoo[export]'"]


def test_the_cli_exports(cli, tmp_path):
    code, out, err = cli("export", "perceptron-or", "--format", "litert", "--out", str(tmp_path / "or"))
    assert code == 0, err
    assert "written to" in out and (tmp_path / "or" / "model.tflite").is_file()


def test_a_class_without_its_own_plan_exports_the_network_as_it_is(artifacts):
    """The base Artifact's export_plan: the network's own inputs (ids checked in 0..1)."""
    from zoo.artifacts import Artifact

    art = artifacts("seq2seq")
    plan = Artifact(art.model, art.config, art.folder).export_plan()
    assert plan.model is art.model and plan.what == "the seq2seq network itself" and not plan.files
    assert [(s["name"], s["dtype"], s["ids_below"]) for s in plan.inputs] == [
        (t.name, "int32", 2) for t in art.model.inputs]
    assert plan.outputs == [{"name": "output", "shape": [None, None, len(art.target_vocab)],
                             "what": "the network's output"}]


# ----------------------------------------------------------------------------- the step


STEPPED = ("charrnn", "gru-lm", "lstm-lm", "seq2seq")  # their exports carry a step beside serving_default
STEP_CASES = [(arch, fmt) for arch, fmt in CASES if arch in STEPPED]


def step_block(folder) -> str:
    """README.md's second Python block: the loop that carries the state."""
    readme = (folder / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", readme, re.S)[1]


def run_block(folder, code) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.chdir(folder):
        exec(compile(code, "README.md", "exec"), {})
    return printed.getvalue()


@pytest.mark.parametrize("arch, fmt", STEP_CASES, ids=[f"{a}-{f}" for a, f in STEP_CASES])
def test_the_step_gives_the_keras_steps_outputs(arch, fmt, exported, artifacts):
    """Every endpoint (step, and seq2seq's encode), run by its runtime, gives the Keras step
    model's outputs, by name, on inputs of the shapes and ranges export.json gives."""
    folder, art = exported(arch, fmt), artifacts(arch)
    manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    endpoints = {e.name: e for e in art.export_plan().endpoints}
    assert [e["name"] for e in manifest["endpoints"]] == list(endpoints) and "step" in endpoints
    for entry in manifest["endpoints"]:
        keras_model = endpoints[entry["name"]].model
        assert entry["check"]["max_relative_difference"] <= 1e-5
        rng = np.random.default_rng(1)
        inputs = {}
        for spec in entry["inputs"]:
            shape = [d if d is not None else 2 if axis == 0 else 7 for axis, d in enumerate(spec["shape"])]
            inputs[spec["name"]] = (rng.integers(0, spec["ids_below"], shape) if "ids_below" in spec
                                    else rng.uniform(*spec["values"], shape)).astype(spec["dtype"])
        args = [inputs[t.name] for t in keras_model.inputs]
        want = keras_model(args if len(args) > 1 else args[0], training=False)
        if fmt == "onnx":
            import onnxruntime

            session = onnxruntime.InferenceSession(str(folder / entry["model_file"]), providers=["CPUExecutionProvider"])
            got = dict(zip([o.name for o in session.get_outputs()], session.run(None, inputs)))
        else:
            got = exporting.Exported(folder).endpoint(entry["name"])(**inputs)
        assert sorted(got) == sorted(want) == sorted(o["name"] for o in entry["outputs"])
        for name, value in want.items():
            value = np.asarray(value)
            assert np.abs(got[name] - value).max() <= 1e-5 * max(1.0, float(np.abs(value).max())), (arch, fmt, name)
        if "log_probs" in want:  # normalised
            np.testing.assert_allclose(np.exp(got["log_probs"].astype("float64")).sum(axis=-1), 1.0, atol=1e-5)


CHAR_PROMPTS = {"onnx": ["ROMEO:", "", "KING HENRY VI:\nWhat"], "saved_model": ["ROMEO:"], "litert": ["JULIET:"]}


@pytest.mark.parametrize("fmt", ["onnx", "saved_model", "litert"])
def test_the_charrnn_step_loop_writes_what_generate_writes(fmt, exported, artifacts):
    """README.md's step loop, greedy, run by onnxruntime (and the other runtimes): the text
    `art.generate(prompt, n, temperature=0)` writes, character for character."""
    folder, art = exported("charrnn", fmt), artifacts("charrnn")
    code = step_block(folder)
    assert "'ROMEO:', 0" in code and "range(200)" in code
    for prompt in CHAR_PROMPTS[fmt]:
        printed = run_block(folder, code.replace("'ROMEO:'", repr(prompt)).replace("range(200)", "range(150)"))
        assert printed == prompt + art.generate(prompt, 150, temperature=0) + "\n"


@pytest.mark.parametrize("arch, fmt", [("gru-lm", "onnx"), ("lstm-lm", "onnx"), ("lstm-lm", "saved_model")])
def test_the_word_step_loop_writes_what_generate_writes(arch, fmt, exported, artifacts):
    folder, art = exported(arch, fmt), artifacts(arch)
    code = step_block(folder)
    assert "'to be or not to'.split()" in code and "range(20)" in code
    for prompt in (["to", "be", "or", "not", "to"], ["my", "lord"], [])[:3 if fmt == "onnx" else 1]:
        printed = run_block(folder, code.replace("'to be or not to'.split()", repr(prompt)).replace("range(20)", "range(60)"))
        assert printed == art.generate(" ".join(prompt), 60, temperature=0) + "\n"


@pytest.mark.parametrize("fmt", ["onnx", "saved_model"])
def test_the_seq2seq_decoder_step_matches_translate(fmt, exported, artifacts):
    """encode once, then the decoder's step greedily: what `translate` writes."""
    folder, art = exported("seq2seq", fmt), artifacts("seq2seq")
    code = step_block(folder)
    texts = ["3 March 1999", "December 31, 2020", "25 Nov 2026", "1/2/03"][:4 if fmt == "onnx" else 2]
    for text, want in zip(texts, art.translate(texts)):
        assert run_block(folder, code.replace("'25 Nov 2026'", repr(text))).strip() == want
