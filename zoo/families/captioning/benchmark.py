"""The captioner, greedy and with beam search (beam BEAM_SIZE, `caption_many(images,
beam_size=3)`), against two kinds of baseline, on the same held-out scenes, in the same run:

- nearest neighbour: the caption of the training image closest to the test image, by pixels
  (Euclidean) and by the captioner's own encoder features (its 8x8 grid, flattened);
- template: an attribute classifier (softmax heads on the frozen encoder grid: how many objects,
  which axis two objects lie on, and each object's size, colour and shape, left to right) fills
  the grammar's plainest sentence.

Each is scored as the captioner is: BLEU-1/4 against the references, and the fact check
(exact-scene accuracy, fact precision and recall). `run` returns the numbers (the recipe puts
them in the card and in benchmark.json); `python -m zoo.families.captioning.benchmark
[NAME] [--out FILE.json]` measures a trained artifact and prints the table.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from zoo.families.captioning import captions, scenes, steps

SIZES, COLOURS, SHAPES = list(scenes.SIZES), list(scenes.COLOURS), list(scenes.SHAPES)
SLOTS = 3
BEAM_SIZE = 3
GREEDY, BEAM = "captioner (greedy)", f"captioner (beam search, beam {BEAM_SIZE})"


def nearest(train_vectors: np.ndarray, test_vectors: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Index of the nearest training vector (Euclidean) for each test vector."""
    train_vectors = train_vectors.astype("float32")
    norms = (train_vectors ** 2).sum(1)
    found = []
    for start in range(0, len(test_vectors), chunk):
        block = test_vectors[start:start + chunk].astype("float32")
        found.append(np.argmin(norms[None] - 2 * block @ train_vectors.T, axis=1))
    return np.concatenate(found) if found else np.zeros(0, int)


def grid_features(art, images: np.ndarray) -> np.ndarray:
    return np.concatenate([art.encode(images[i:i + 256])[0].reshape(len(images[i:i + 256]), -1)
                           for i in range(0, len(images), 256)])


# ----------------------------------------------------------------------------- template baseline


def slot_labels(made) -> dict:
    """Per scene: count (0..2 for 1..3), axis (0 left/right, 1 above/below), and per slot the
    size, colour and shape ids (0: no object), slots ordered along the axis."""
    labels = {"count": [], "axis": [], **{f"{a}{j}": [] for a in ("size", "colour", "shape") for j in range(SLOTS)}}
    for scene in made:
        things = list(scene.things)
        vertical = len(things) == 2 and abs(things[0].y - things[1].y) > abs(things[0].x - things[1].x)
        things.sort(key=(lambda t: t.y) if vertical else (lambda t: t.x))
        labels["count"].append(len(things) - 1)
        labels["axis"].append(int(vertical))
        for j in range(SLOTS):
            thing = things[j] if j < len(things) else None
            labels[f"size{j}"].append(SIZES.index(thing.size) + 1 if thing else 0)
            labels[f"colour{j}"].append(COLOURS.index(thing.colour) + 1 if thing else 0)
            labels[f"shape{j}"].append(SHAPES.index(thing.shape) + 1 if thing else 0)
    return {k: np.array(v, "int32") for k, v in labels.items()}


def train_classifier(features: np.ndarray, labels: dict, seed: int, epochs: int = 8):
    import keras

    keras.utils.set_random_seed(seed)
    classes = {"count": 3, "axis": 2, **{f"size{j}": 3 for j in range(SLOTS)},
               **{f"colour{j}": len(COLOURS) + 1 for j in range(SLOTS)}, **{f"shape{j}": len(SHAPES) + 1 for j in range(SLOTS)}}
    inputs = keras.Input(shape=features.shape[1:])
    outputs = {k: keras.layers.Dense(n, name=k)(inputs) for k, n in classes.items()}
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss={k: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for k in classes})
    model.fit(features, labels, batch_size=128, epochs=epochs, verbose=0)
    return model


def template_captions(classifier, features: np.ndarray) -> list[str]:
    predicted = {k: np.asarray(v).argmax(-1) for k, v in classifier.predict(features, verbose=0).items()}
    texts = []
    for i in range(len(features)):
        count = int(predicted["count"][i]) + 1
        kinds = [(SIZES[max(predicted[f"size{j}"][i], 1) - 1], COLOURS[max(predicted[f"colour{j}"][i], 1) - 1],
                  SHAPES[max(predicted[f"shape{j}"][i], 1) - 1]) for j in range(count)]
        phrase = lambda k: f"a {k[0]} {k[1]} {k[2]}"  # noqa: E731
        if count == 1:
            texts.append(phrase(kinds[0]))
        elif len(set(kinds)) < count:  # a repeated object: counts only
            counted = {k: kinds.count(k) for k in kinds}
            texts.append(" and ".join(phrase(k) if n == 1 else f"{['', '', 'two', 'three'][n]} {k[0]} {k[1]} "
                                      f"{captions.PLURALS[k[2]]}" for k, n in counted.items()))
        elif count == 2:
            relation = "above" if predicted["axis"][i] else "to the left of"
            texts.append(f"{phrase(kinds[0])} {relation} {phrase(kinds[1])}")
        else:
            texts.append(f"from left to right {phrase(kinds[0])} , {phrase(kinds[1])} and {phrase(kinds[2])}")
    return texts


# ----------------------------------------------------------------------------- the run


def run(art, sets: dict, training_set, seed: int = 0) -> dict:
    """{split: {method: scores}} for the captioner and the baselines on each held-out split.
    training_set: (images, references) of the training scenes; its scenes are regenerated for
    the classifier's labels from art.config's dataset."""
    train_images, train_refs = training_set
    dataset = art.config["dataset"]
    train_scenes = scenes.make_scenes("train", len(train_images), dataset["train_seed"])
    train_pixels = train_images.reshape(len(train_images), -1)
    train_features = grid_features(art, train_images)
    classifier = train_classifier(train_features, slot_labels(train_scenes), seed)
    results = {}
    for split, (made, images, refs) in sets.items():
        features = grid_features(art, images)
        outputs = {
            GREEDY: art.caption_many(images),
            # every scene of the split: 0.07 s a scene on 2 busy CPU cores, 75 s for 500 + 500
            BEAM: art.caption_many(images, beam_size=BEAM_SIZE),
            "nearest training image, pixels": [train_refs[i][0] for i in nearest(train_pixels, images.reshape(len(images), -1))],
            "nearest training image, encoder features": [train_refs[i][0] for i in nearest(train_features, features)],
            "template + attribute classifier": template_captions(classifier, features),
        }
        results[split] = {method: steps.caption_scores(texts, made, refs) for method, texts in outputs.items()}
        results[split]["failures"] = {method: captions.failures(outputs[method], made) for method in (GREEDY, BEAM)}
        results[split]["examples"] = {method: texts[:5] for method, texts in outputs.items()}
    return results


def table(results: dict) -> str:
    """The card's table: each method on held-out scenes and on never-seen combinations."""
    test, novel = results["test"], results.get("novel", {})
    lines = ["| method | BLEU-1 | BLEU-4 | exact scene | fact precision | fact recall | novel: exact scene | novel: BLEU-4 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for method, s in test.items():
        if method in ("examples", "failures"):
            continue
        n = novel.get(method, {})
        lines.append(f"| {method} | {s['bleu1']:.4f} | {s['bleu4']:.4f} | {s['exact_scene_accuracy']:.4f} | "
                     f"{s['fact_precision']:.4f} | {s['fact_recall']:.4f} | {n.get('exact_scene_accuracy', float('nan')):.4f} | "
                     f"{n.get('bleu4', float('nan')):.4f} |")
    return "\n".join(lines)


def failure_table(results: dict) -> str:
    """What the captioner's wrong captions get wrong first, per split and decoding."""
    lines = ["| wrong captions: the first thing wrong | " + " | ".join(
        f"{split}: {method}" for split in results for method in results[split]["failures"]) + " |"]
    lines.append("| --- |" + " --- |" * (len(lines[0].split("|")) - 3))
    for kind in captions.FAILURES:
        lines.append(f"| {kind} | " + " | ".join(str(results[split]["failures"][method][kind]) for split in results
                                                for method in results[split]["failures"]) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    import argparse

    import zoo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default="captioner-shapes")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    art = zoo.load(args.name)
    dataset = art.config["dataset"]
    _, images, refs = steps.scene_set("train", dataset["train_scenes"], dataset["train_seed"],
                                      dataset["references_per_scene"])
    results = run(art, steps.held_out_sets(dataset), (images, refs), seed=dataset["train_seed"])
    print(table(results))
    print(failure_table(results))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
