"""`zoo export` of a captioner: beside the teacher-forced `serving_default`, the encoder and the
decoder's step (`encode` and `step`: SavedModel signatures, encode.onnx and step.onnx,
encode.tflite and step.tflite). README.md's step loop, run as written by each runtime, writes
exactly what `art.caption(image)` writes, and the step's attention is `art.attention`'s.

The captioner exported is the smoke artifact with seeded noise on every trained weight: the
relations hold for any weights, and noisy ones (with <end> made likelier) write captions that
differ from scene to scene and from word to word (the barely trained smoke model repeats one
word), empty, short or cut at max_tokens, so that a loop that drifts from the artifact shows."""

import contextlib
import io
import json
import re

import numpy as np
import pytest

import zoo
from zoo import exporting
from zoo.families.captioning import scenes
from zoo.families.captioning.artifact import END, PAD, START
from zoo.families.captioning.export import STATES

pytest.importorskip("tensorflow", reason="zoo export needs TensorFlow (the export extra)")


def needs(fmt):
    for module in exporting.NEEDS[fmt]:
        pytest.importorskip(module, reason=f"exporting to {fmt} needs {module} (the export extra)")


DECODER_LAYERS = ("embedding", "decoder", "logits")


@pytest.fixture(scope="module")
def noisy(smoke_artifact, scene_files):
    art = zoo.load(smoke_artifact)
    rng = np.random.default_rng(0)
    for variable in art.model.trainable_weights:
        value = np.asarray(variable)
        # The decoder's layers get noise of 1, the rest 0.1. With noise of 1 on the rest too, the
        # ONNX export differed from Keras by 1e-4 of the outputs' scale (the exporter's check
        # wants 1e-5), even with the self-attention's own weights left as trained; which op
        # rounds so differently is not pinned down. The trained captioner's export passes.
        scale = 1.0 if variable.path.startswith(DECODER_LAYERS) else 0.1
        variable.assign(value + rng.normal(0, scale, value.shape).astype(value.dtype))
    # The next-word logits' bias for <end>: the first of these that makes the captions of the
    # scenes varied, some ending early (how much depends on the smoke weights).
    output = art.model.layers[-1]
    bias = np.asarray(output.bias).copy()
    assert bias.shape == (len(art.words),), output.name
    for extra in np.arange(0.0, 12.5, 0.5):
        trial = bias.copy()
        trial[END] += extra
        output.bias.assign(trial)
        texts = art.caption_many(scene_files)
        if len(set(texts)) > 2 and len({len(t.split()) for t in texts}) > 1:
            return art
    pytest.fail(f"no bias for <end> made the noisy captioner's captions varied: {texts}")


@pytest.fixture(scope="module")
def exported(noisy, tmp_path_factory):
    """exported(fmt) -> the export folder of the noisy captioner, made on first use."""
    root, done = tmp_path_factory.mktemp("cap-exports"), {}

    def get(fmt):
        needs(fmt)
        if fmt not in done:
            done[fmt] = exporting.export(noisy, format=fmt, out=root / fmt)
        return done[fmt]
    return get


@pytest.fixture(scope="module")
def scene_files(tmp_path_factory):
    """Eight held-out scenes as PNG files, the last drawn at 96x96 (the loop resizes it as the
    Captioner does)."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("scenes")
    paths = []
    for i, scene in enumerate(scenes.make_scenes("test", 8, seed=21)):
        image = Image.fromarray(scene.image())
        if i == 7:
            image = image.resize((96, 96), Image.NEAREST)
        image.save(folder / f"scene{i}.png")
        paths.append(folder / f"scene{i}.png")
    return paths


def assert_close(got, want, tolerance=1e-4):
    """To `tolerance` of the values' scale (at least 1): float32 in two runtimes, through noisy
    weights whose activations reach tens (measured differences up to 1.4e-5 of the scale)."""
    got, want = np.asarray(got, "float64"), np.asarray(want, "float64")
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= tolerance * max(1.0, float(np.abs(want).max()))


def blocks(folder) -> list[str]:
    """README.md's Python blocks: the teacher-forced loop, then the step loop."""
    return re.findall(r"```python\n(.*?)```", (folder / "README.md").read_text(encoding="utf-8"), re.S)


def run_block(folder, code, image) -> str:
    assert "'scene.png'" in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.chdir(folder):
        exec(compile(code.replace("'scene.png'", repr(str(image))), "README.md", "exec"), {})
    return printed.getvalue()


def test_the_export_carries_encode_and_step(noisy, exported):
    folder = exported("onnx")
    manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    assert [i["name"] for i in manifest["inputs"]] == ["image", "words_in"]  # serving_default as before
    assert [e["name"] for e in manifest["endpoints"]] == ["encode", "step"]
    assert {"model.onnx", "encode.onnx", "step.onnx", "vocab.json"} <= set(manifest["files"])
    encode, step = manifest["endpoints"]
    assert [o["name"] for o in encode["outputs"]] == ["features", "attention_keys", "h", "c", "attentional"]
    assert [i["name"] for i in step["inputs"]] == ["word", "h", "c", "attentional", "features", "attention_keys"]
    assert [o["name"] for o in step["outputs"]] == ["log_probs", "h_next", "c_next", "attentional_next", "attention"]
    assert step["state"] == ["h", "c", "attentional"]
    for entry in manifest["endpoints"]:
        assert entry["check"]["max_relative_difference"] <= exporting.TOLERANCE
        assert (folder / entry["model_file"]).is_file()
    assert manifest["step_loop"] in blocks(folder)[1]


# Every scene through onnxruntime; one each through the SavedModel's signatures and LiteRT.
LOOP_SCENES = {"onnx": range(8), "saved_model": (2, 7), "litert": (4,)}


@pytest.mark.parametrize("fmt", list(LOOP_SCENES))
def test_the_step_loop_writes_what_caption_writes(fmt, noisy, exported, scene_files):
    folder = exported(fmt)
    code = blocks(folder)[1]
    assert f"range({noisy.max_tokens + 1})" in code and "run_encode(image=image)" in code
    captions = []
    for i in LOOP_SCENES[fmt]:
        want = noisy.caption(scene_files[i])
        assert run_block(folder, code, scene_files[i]) == want + "\n", (fmt, i)
        captions.append(want)
    if fmt == "onnx":  # the test's own power: captions that differ, of different lengths
        assert len(set(captions)) > 2 and len({len(c.split()) for c in captions}) > 1, \
            f"the noisy captioner should write varied captions, of several lengths: {captions}"


def test_the_teacher_forced_loop_still_writes_the_caption(noisy, exported, scene_files):
    folder = exported("onnx")
    code = blocks(folder)[0]
    for path in scene_files[:2]:
        assert run_block(folder, code, path) == noisy.caption(path) + "\n"


def test_the_step_gives_the_artifacts_log_probabilities_and_attention(noisy, exported, scene_files):
    """encode.onnx and step.onnx, driven on the artifact's greedy words: the log-probabilities
    Captioner.step gives (normalised: they sum to 1), and the attention rows `art.attention` gives."""
    import onnxruntime

    folder = exported("onnx")
    sessions = {name: onnxruntime.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])
                for name in ("encode", "step")}

    def run(name, **inputs):
        session = sessions[name]
        return dict(zip([o.name for o in session.get_outputs()], session.run(None, inputs)))

    for path in scene_files[:3]:
        pixels = noisy.read_image(path)
        words, weights = noisy.attention(path)
        ids = [noisy.words.index(w) for w in words]
        encoded = run("encode", image=pixels[None].astype("float32"))
        features, keys, zoo_state = noisy.encode(pixels[None])
        for name, value in (("features", features), ("attention_keys", keys), *zip(STATES, zoo_state)):
            assert_close(encoded[name], value)
        state, context = {k: encoded[k] for k in STATES}, {k: encoded[k] for k in ("features", "attention_keys")}
        word = START
        for t, target in enumerate(ids + [None][:len(weights) - len(ids)]):
            result = run("step", word=np.array([word], "int32"), **state, **context)
            want, zoo_state, attention = noisy.step(np.array([word]), zoo_state, features, keys)
            got = result["log_probs"][0].astype("float64")
            np.testing.assert_allclose(np.exp(got).sum(), 1.0, atol=1e-5)
            finite = np.isfinite(want[0])
            assert list(np.flatnonzero(~finite)) == [PAD, START]
            assert_close(got[finite], want[0][finite])
            assert_close(result["attention"][0], weights[t].reshape(-1))
            assert_close(result["attention"][0], attention[0])
            state = {k: result[f"{k}_next"] for k in STATES}
            word = target
