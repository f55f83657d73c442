"""captioning: the scene generator (seeded, splits), the grammar read back by its parser, the
network's shapes and its one-step decoder, the recipe in smoke mode, the Captioner's methods
(greedy, beam search with true log-probabilities, attention), bad images, plain Keras loading,
and the registered captioner-shapes against its goal."""

import json
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.errors import InvalidInputError
from zoo.families.captioning import captions, scenes, steps
from zoo.families.captioning.scenes import Scene, Thing

# ----------------------------------------------------------------------------- data


def test_scenes_are_reproducible_and_splits_keep_their_rule():
    a, b = scenes.make_scene("train", 0, 7), scenes.make_scene("train", 0, 7)
    assert a == b and np.array_equal(a.image(), b.image())
    assert a.image().shape == (64, 64, 3) and a.image().dtype == np.uint8
    assert scenes.make_scene("train", 1, 7) != a and scenes.make_scene("test", 0, 7) != a
    counts = set()
    for split in ("train", "test", "novel"):
        for scene in scenes.make_scenes(split, 150, seed=3):
            counts.add(len(scene.things))
            held = any((t.colour, t.shape) in scenes.HELD_OUT for t in scene.things)
            assert held == (split == "novel"), (split, scene)
    assert counts == {1, 2, 3}


def test_parser_reads_every_reference_back_to_its_scene():
    for split in ("train", "novel"):
        made = scenes.make_scenes(split, 300, seed=5)
        for scene, refs in zip(made, captions.reference_lists(made, 5, seed=5)):
            assert len(refs) == 5
            for text in refs:
                assert captions.parse(text) == captions.facts(scene), text


def test_facts_relations_and_counts():
    red, blue = ("small", "red", "square"), ("large", "blue", "circle")
    above = Scene((Thing("circle", "blue", "large", 30, 10), Thing("square", "red", "small", 32, 50)),
                  (0, 0, 0), (0, 0), 0, (0, 0, 0))
    assert captions.parse("a big blue disk above a small red box") == captions.facts(above)
    assert captions.parse("a little red square beneath a blue circle that is large") == captions.facts(above)
    assert ("above", blue, red) in captions.facts(above)
    assert captions.parse("a big blue disk below a small red box") != captions.facts(above)
    assert captions.parse("two small green squares and a large red circle") == frozenset(
        {("object", "small", "green", "square", 0), ("object", "small", "green", "square", 1),
         ("object", "large", "red", "circle", 0)})
    for bad in ("hello world", "a red circle", "two small green square", "a small red circle above", ""):
        assert captions.parse(bad) is None, bad
    scores = captions.fact_scores(["a big blue disk above a small red box", "a small red box"], [above, above])
    assert scores["exact_scene_accuracy"] == 0.5 and scores["fact_precision"] == 1.0
    assert scores["fact_recall"] == pytest.approx(4 / 6)


def test_failures_name_the_first_thing_wrong():
    above = Scene((Thing("circle", "blue", "large", 30, 10), Thing("square", "red", "small", 32, 50)),
                  (0, 0, 0), (0, 0), 0, (0, 0, 0))
    twins = Scene((Thing("square", "green", "small", 10, 30), Thing("square", "green", "small", 30, 30),
                   Thing("circle", "red", "large", 50, 30)), (0, 0, 0), (0, 0), 0, (0, 0, 0))
    said = {"a big blue disk above a small red box": above,                      # right
            "two small green squares and a large red circle": twins,               # right
            "hello": above,                                                         # not the grammar
            "a small red box": above,                                               # one object missing
            "a big green disk above a small red box": above,                        # a colour
            "from left to right a small green box , a small green box and a big red disk": twins,  # an order
            "a big blue disk below a small red box": above}                         # a relation
    found = captions.failures(list(said), list(said.values()))
    assert list(found.values()) == [1, 1, 1, 1, 1]


# ----------------------------------------------------------------------------- the network


def test_build_shapes_and_one_step_decoder_match_the_training_model():
    from zoo.families.captioning import model as captioner

    net = captioner.build_captioner(vocab_size=20, filters=8, units=16, embedding_dim=8)
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3)).astype("float32")
    words = np.array([[1, 5, 7, 3], [1, 4, 4, 9]], "int32")
    logits = np.asarray(net.predict_on_batch([images, words]))
    assert logits.shape == (2, 4, 20)
    encoder, step = captioner.inference_models(net)
    features, keys, *state = encoder.predict_on_batch(images)
    assert features.shape == (2, 64, 16) and [s.shape for s in state] == [(2, 16)] * 3
    for t in range(4):
        out, *state, weights = step.predict_on_batch([words[:, t:t + 1], *state, features, keys])
        assert weights.shape == (2, 1, 64) and np.allclose(weights.sum(-1), 1, atol=1e-5)
        assert np.allclose(out[:, 0], logits[:, t], atol=1e-4)
    with pytest.raises(InvalidInputError):
        captioner.build_captioner(image_size=60)
    with pytest.raises(InvalidInputError):
        captioner.build_captioner(units=0)


# ----------------------------------------------------------------------------- the artifact


# smoke_artifact (conftest.py): the recipe in smoke mode, trained once per session.


def test_smoke_artifact_loads_and_captions(smoke_artifact, tmp_path):
    art = zoo.load(smoke_artifact)
    assert type(art).__name__ == "Captioner"
    for name in ("examples.png", "photograph.png", "training_curve.png", "benchmark.json", "vocab.json"):
        assert (smoke_artifact / name).is_file()
    scene = scenes.make_scene("test", 0, 0).image()
    from PIL import Image

    path = tmp_path / "scene.png"
    Image.fromarray(scene).save(path)
    texts = [art.caption(scene), art.caption(path), art.caption(path.read_bytes()), art.caption(Image.open(path)),
             art.caption(Image.fromarray(scene).convert("RGBA")), art.caption(scene.mean(-1).astype("uint8")),
             art.caption(scene / 255.0), art.caption(scene, beam_size=2, max_tokens=4)]
    assert all(isinstance(t, str) for t in texts)
    assert texts[0] == texts[1] == texts[2] == texts[3] == texts[4] == texts[6]
    assert art.caption_many([scene, path, scene]) == [texts[0]] * 3
    assert art.caption_many([]) == []
    words, weights = art.attention(scene, max_tokens=6)
    assert weights.shape[1:] == (8, 8) and weights.shape[0] == min(len(words) + 1, 7)
    assert np.allclose(weights.sum((1, 2)), 1, atol=1e-5)
    text, same = art.caption(scene, return_attention=True, max_tokens=6)
    assert text == " ".join(words) and np.allclose(same, weights)
    assert zoo.evaluate(smoke_artifact)  # the recipe's evaluate re-measures


def test_beam_scores_are_sums_of_normalised_log_probabilities(smoke_artifact):
    from zoo.families.captioning.artifact import END, PAD, START

    art = zoo.load(smoke_artifact)
    image = scenes.make_scene("test", 0, 1).image()
    features, keys, state0 = art.encode(image[None])
    log_probs, _, _ = art.step(np.array([START]), state0, features, keys)
    assert np.exp(log_probs).sum() <= 1 + 1e-9  # normalised (<pad> and <start> left out)

    def path_score(ids):
        state, word, total = state0, START, 0.0
        for token in ids:
            if word in (END, PAD):
                assert token == PAD
                continue
            lp, state, _ = art.step(np.array([word]), state, features, keys)
            total, word = total + float(lp[0, token]), token
        return total

    beams = art.beam_ids(image, 3, 3)
    assert [s for _, s in beams] == sorted((s for _, s in beams), reverse=True)
    for ids, score in beams:
        assert score == pytest.approx(path_score(ids), abs=1e-6)
    # At length 2 a beam as wide as the vocabulary is exhaustive: its best is the true best.
    vocab = len(art.words)
    (best, best_score), *_ = art.beam_ids(image, vocab, 1)
    first = log_probs[0]
    every = max(path_score([a, b]) for a in np.argsort(-first)[:8] if np.isfinite(first[a])
                for b in ([PAD] if a == END else range(vocab)))  # after <end> only <pad>
    assert best_score >= every - 1e-9


@pytest.mark.parametrize("bad", ["missing.png", "text", "empty", b"", "huge", "mode", np.zeros((0, 0, 3)),
                                 np.zeros((5, 5, 2)), np.full((4, 4, 3), 2.0), {"not": "an image"}, "hugepil"])
def test_bad_images_get_one_line(smoke_artifact, tmp_path, bad):
    from PIL import Image

    art = zoo.load(smoke_artifact)
    if isinstance(bad, str):
        path = tmp_path / "image.png"
        if bad == "text":
            path.write_text("not an image")
        elif bad == "empty":
            path.write_bytes(b"")
        elif bad == "huge":
            Image.new("L", (5000, 5000)).save(path)
        elif bad == "mode":
            Image.new("I;16", (8, 8)).save(path)
        bad = Image.new("1", (5000, 4000)) if bad == "hugepil" else path
    with pytest.raises(InvalidInputError) as error:
        art.caption(bad)
    assert "\n" not in str(error.value) and str(error.value)


def test_plain_keras_loads_the_artifact(smoke_artifact):
    name = "captioner-shapes" if "captioner-shapes" in registry.artifacts() else None
    folder = registry.packaged_folder(name) if name else smoke_artifact
    code = ("import sys, keras, numpy as np, zoo.models, zoo\n"
            f"model = keras.saving.load_model({str(folder)!r})\n"
            "x = [np.zeros((1, 64, 64, 3), 'float32'), np.array([[1, 4, 5]], 'int32')]\n"
            f"art = zoo.load({str(folder)!r})\n"
            "assert np.allclose(model.predict_on_batch(x), art.model.predict_on_batch(x), atol=1e-5)\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().endswith("ok"), done.stderr[-2000:]


# ----------------------------------------------------------------------------- the registered artifact


@pytest.mark.skipif("captioner-shapes" not in registry.artifacts(), reason="captioner-shapes not trained yet")
def test_registered_captioner_beats_its_baselines_and_says_what_it_does():
    """Issue #27's goal is exact-scene accuracy >= 0.95: the registered captioner reaches it
    greedy and with beam search (beam 3). It beats every baseline measured in the same run, and
    it captions new scenes as well as its registered figure says."""
    metrics = registry.artifact("captioner-shapes")["metrics"]
    art = zoo.load("captioner-shapes")
    bench = json.loads((art.folder / "benchmark.json").read_text())["test"]
    ours = bench["captioner (greedy)"]["bleu4"]
    assert ours == pytest.approx(metrics["bleu4"])
    assert ours > bench["nearest training image, pixels"]["bleu4"]
    assert ours > bench["nearest training image, encoder features"]["bleu4"]
    assert ours > bench["template + attribute classifier"]["bleu4"]
    exact = bench["captioner (greedy)"]["exact_scene_accuracy"]
    assert exact == metrics["exact_scene_accuracy"]
    assert exact > max(bench[b]["exact_scene_accuracy"] for b in bench if b not in ("examples", "failures")
                       and not b.startswith("captioner"))
    assert exact >= 0.95 and bench["captioner (beam search, beam 3)"]["exact_scene_accuracy"] >= 0.95
    # 60 scenes of the test split's stream beyond the 500 measured: new to the figure too
    made = scenes.make_scenes("test", 60, art.config["dataset"]["test_seed"], start=art.config["dataset"]["test_scenes"])
    right = [captions.parse(t) == captions.facts(s) for t, s in zip(art.caption_many(scenes.images(made)), made)]
    assert np.mean(right) >= exact - 0.15  # 0.15: more than three standard errors of 60 scenes


# ----------------------------------------------------------------------------- hooks: serve, export, CLI


def _png(array) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def test_the_class_declares_its_hooks(smoke_artifact):
    from zoo.families.captioning.artifact import Captioner

    (task,) = Captioner.tasks
    assert task.name == "image-to-text" and task.widget == "image-to-text"
    assert registry.resolve(task.run) and registry.resolve(Captioner.demo_section.run)
    plan = zoo.load(smoke_artifact).export_plan()
    assert [i["name"] for i in plan.inputs] == ["image", "words_in"] and "vocab.json" in plan.files


def test_zoo_serve_answers_image_to_text(smoke_artifact):
    pytest.importorskip("fastapi", reason="zoo serve needs the serve extra")
    from tests.serving import request, running_server

    art = zoo.load(smoke_artifact)
    scene = scenes.make_scene("test", 0, 3).image()
    with running_server([str(smoke_artifact)]) as url:
        status, models, _ = request(f"{url}/models")
        name = models[0]["name"] if isinstance(models, list) else next(iter(models))
        status, out, _ = request(f"{url}/models/{name}?return_attention=true&num_beams=1", _png(scene),
                                 headers={"Content-Type": "image/png"})
        assert status == 200, out
        assert out[0]["generated_text"] == art.caption(scene)
        weights = np.array(out[0]["attention"]["weights"])
        assert weights.shape == (len(out[0]["attention"]["words"]), 8, 8)
        status, error, _ = request(f"{url}/models/{name}", b"not an image", headers={"Content-Type": "image/png"})
        assert status == 415 and "\n" not in error["error"]
        status, error, _ = request(f"{url}/models/{name}?num_beams=99", _png(scene), headers={"Content-Type": "image/png"})
        assert status == 422


def test_caption_command_prints_one_line_per_image(smoke_artifact, tmp_path, capsys):
    import argparse

    from zoo.families.captioning import commands

    path = tmp_path / "scene.png"
    path.write_bytes(_png(scenes.make_scene("test", 0, 4).image()))
    commands.caption(argparse.Namespace(name=str(smoke_artifact), images=[str(path)], beam_size=1, max_tokens=5))
    assert capsys.readouterr().out.strip() == zoo.load(smoke_artifact).caption(path, max_tokens=5)


def test_finetune_on_a_folder_of_images_and_captions(smoke_artifact, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    made = scenes.make_scenes("test", 12, seed=9)
    lines = []
    for i, (scene, refs) in enumerate(zip(made, captions.reference_lists(made, 2, seed=9))):
        (folder / f"s{i}.png").write_bytes(_png(scene.image()))
        lines += [f"s{i}.png\t{r}" for r in refs]
    (folder / "captions.txt").write_text("\n".join(lines) + "\n")
    out = zoo.finetune(smoke_artifact, pairs=folder, epochs=1, out=tmp_path / "tuned", rehearsal=16)
    tuned = zoo.load(out)
    assert tuned.config["base_model"]["name"] == "captioner-shapes"
    assert {r["file"] for r in tuned.config["finetuned_on"]} >= {"captions.txt", "s0.png"}
    assert "held_out_bleu4" in tuned.config["finetune"]["after"]
    (folder / "captions.txt").write_text("s0.png\ta fluffy cat\n")
    with pytest.raises(InvalidInputError, match="fluffy"):
        zoo.finetune(smoke_artifact, pairs=folder, epochs=1, out=tmp_path / "bad")


# ----------------------------------------------------------------------------- the benchmark


def test_the_benchmark_has_a_beam_search_row_beside_greedy(smoke_artifact):
    """benchmark.run on tiny sets: the beam row scores `caption_many(images, beam_size=3)` on the
    same scenes as greedy, and the table shows it; the recipe's smoke run wrote it too."""
    from zoo.families.captioning import benchmark

    art = zoo.load(smoke_artifact)
    seed = art.config["dataset"]["test_seed"]
    sets = {"test": steps.scene_set("test", 4, seed, 2), "novel": steps.scene_set("novel", 3, seed, 2)}
    _, train_images, train_refs = steps.scene_set("train", 12, art.config["dataset"]["train_seed"], 2)
    results = benchmark.run(art, sets, (train_images, train_refs), seed=0)
    beam = "captioner (beam search, beam 3)"
    for split, (made, images, refs) in sets.items():
        assert list(results[split])[:2] == ["captioner (greedy)", beam]
        texts = art.caption_many(images, beam_size=3)
        assert results[split][beam] == steps.caption_scores(texts, made, refs)
        assert results[split]["examples"][beam] == texts[:5]
    rows = [line.split(" | ")[0].lstrip("| ") for line in benchmark.table(results).splitlines()[2:]]
    assert rows[:2] == ["captioner (greedy)", beam] and len(rows) == 5
    for split, (made, images, refs) in sets.items():
        assert results[split]["failures"]["captioner (greedy)"] == captions.failures(art.caption_many(images), made)
    assert "| wrong number of objects |" in benchmark.failure_table(results)
    assert beam in json.loads((smoke_artifact / "benchmark.json").read_text())["test"]
    assert f"| {beam} |" in (smoke_artifact / "README.md").read_text(encoding="utf-8")
