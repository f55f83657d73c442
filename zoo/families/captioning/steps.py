"""Training, evaluation and card steps of the captioning family, called by
recipes/captioner_shapes.py (which reads top to bottom: setup, data, model, train, evaluate, write)."""

from __future__ import annotations

import numpy as np

from zoo.families.captioning import captions, scenes
from zoo.families.captioning.model import END, PAD, SPECIALS, START


def vocabulary() -> list[str]:
    """The decoder's words: the three specials, then every word of the grammar."""
    return SPECIALS + list(captions.WORDS)


def encode_captions(texts: list[str], words: list[str], length: int):
    """Teacher forcing: inputs "<start> w1 .. wn", labels "w1 .. wn <end>", weights 1 on real
    positions (padding adds nothing to the loss). Each (n, length + 1) int32/float32."""
    index = {w: i for i, w in enumerate(words)}
    n = len(texts)
    inputs = np.full((n, length + 1), PAD, "int32")
    labels = np.full((n, length + 1), PAD, "int32")
    weights = np.zeros((n, length + 1), "float32")
    for row, text in enumerate(texts):
        ids = [index[w] for w in captions.tokenize(text)][:length]
        inputs[row, :len(ids) + 1] = [START] + ids
        labels[row, :len(ids) + 1] = ids + [END]
        weights[row, :len(ids) + 1] = 1.0
    return inputs, labels, weights


def scene_set(split: str, count: int, seed: int, references: int):
    """(scenes, images (n, 64, 64, 3) uint8, references per scene)."""
    made = scenes.make_scenes(split, count, seed)
    return made, scenes.images(made), captions.reference_lists(made, references, seed)


def training_arrays(images: np.ndarray, refs: list[list[str]], words: list[str], length: int):
    """One row per (scene, reference): ((images, words_in), labels, weights)."""
    rows = [(i, r) for i, rs in enumerate(refs) for r in rs]
    words_in, labels, weights = encode_captions([r for _, r in rows], words, length)
    return (images[[i for i, _ in rows]], words_in), labels, weights


# ----------------------------------------------------------------------------- training


def compile_model(model, learning_rate: float, steps: int) -> None:
    """Adam with a cosine decay of the learning rate over `steps` (to 2%), gradients clipped."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, steps), alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["sparse_categorical_accuracy"])


# ----------------------------------------------------------------------------- evaluation


def bleu(generated: list[str], refs: list[list[str]]) -> dict:
    """Corpus BLEU-1 and BLEU-4 (nltk) of the captions against each scene's references."""
    import warnings

    from nltk.translate.bleu_score import corpus_bleu

    hypotheses = [captions.tokenize(t) for t in generated]
    references = [[captions.tokenize(r) for r in rs] for rs in refs]
    with warnings.catch_warnings():  # nltk warns when an n-gram order has no match: BLEU is then 0
        warnings.simplefilter("ignore", UserWarning)
        return {"bleu1": float(corpus_bleu(references, hypotheses, weights=(1, 0, 0, 0))),
                "bleu4": float(corpus_bleu(references, hypotheses, weights=(0.25,) * 4))}


def caption_scores(generated: list[str], scenes_, refs) -> dict:
    return {**captions.fact_scores(generated, scenes_), **bleu(generated, refs)}


def held_out_sets(dataset: dict, references: int = 5) -> dict:
    """The two held-out splits a captioner is measured on: new scenes ("test") and scenes with
    combinations never seen in training ("novel"), each with its references."""
    seed = dataset["test_seed"]
    return {"test": scene_set("test", dataset["test_scenes"], seed, references),
            "novel": scene_set("novel", dataset["novel_scenes"], seed, references)}


def evaluate(art, sets: dict | None = None) -> dict:
    """Greedy captions of both held-out splits, read back into facts and scored by BLEU."""
    sets = sets or held_out_sets(art.config["dataset"])
    metrics = {}
    for split, (made, images, refs) in sets.items():
        scores = caption_scores(art.caption_many(images), made, refs)
        prefix = "" if split == "test" else f"{split}_"
        metrics.update({f"{prefix}{k}": v for k, v in scores.items()})
    return metrics


# ----------------------------------------------------------------------------- card


FUNCTION_WORDS = {"a", "an", "one", "there", "is", "are", "of", "the", "to", "that", ",", "and", "from",
                  "picture", "image"}


def sample_image_path():
    """A photograph shipped with matplotlib (Grace Hopper): what the captioner says of a photo,
    with no download."""
    from pathlib import Path

    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def plot_examples(art, images: np.ndarray, per_row: int = 7):
    """Each held-out scene with its greedy caption, and where the decoder looked for each of
    its content words (the attention over the 8x8 grid, scaled up over the image)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(images), per_row + 1, figsize=(1.7 * (per_row + 1), 2.0 * len(images)),
                             squeeze=False)
    size = art.image_size
    for row, image in zip(axes, images):
        words, weights = art.attention(image)
        row[0].imshow(image)
        row[0].set_title("scene", fontsize=8)
        shown = [(i, w) for i, w in enumerate(words) if w not in FUNCTION_WORDS][:per_row]
        for ax, (i, word) in zip(row[1:], shown):
            ax.imshow(image)
            ax.imshow(np.kron(weights[i], np.ones((size // weights.shape[1],) * 2)), cmap="magma", alpha=0.6,
                      vmin=0, vmax=max(float(weights[i].max()), 1e-6))
            ax.set_title(word, fontsize=9)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
            if not ax.images:
                ax.axis("off")
        row[0].set_ylabel("\n".join(_wrap(" ".join(words), 24)), fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(f"{art.name}: held-out scenes, greedy captions, attention per word", fontsize=10)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def plot_photo(art, path):
    """The sample photograph, as the model sees it (64x64), with what it says."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from PIL import Image

    seen = art.read_image(path)
    text = art.caption(path)
    fig, axes = plt.subplots(1, 2, figsize=(6, 3.4))
    with Image.open(path) as photo:
        axes[0].imshow(photo.convert("RGB"))
    axes[0].set_title("the photograph", fontsize=9)
    axes[1].imshow(seen)
    axes[1].set_title(f"what the model sees ({art.image_size}x{art.image_size})", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("\n".join(_wrap(f"it says: \"{text}\"", 60)), fontsize=9)
    fig.tight_layout()
    return fig, text


def card_body(art, config: dict, table: str, photo_caption: str) -> str:
    m, train = config["metrics"], config["training"]
    held = ", ".join(f"{c} {s}" for c, s in config["dataset"]["held_out_combinations"])
    return f"""
A small convolutional network reads a 64x64 image into an 8x8 grid of feature vectors; an LSTM
writes the caption word by word, and before each word soft attention chooses which cells of the
grid to read ("Show, Attend and Tell", Xu et al. 2015; the talk's "images and descriptions").
Trained from scratch in {train['seconds'] / 60:.1f} minutes on {config['training']['environment'].get('cpu_count')} CPU cores
({config['training']['environment'].get('accelerator')}), on scenes the zoo draws itself.

## What it is, and what it is NOT

It describes scenes of one to three simple shapes (circle, square, triangle, diamond) in five
colours (red, green, blue, yellow, purple) and two sizes, on a dark noisy background, and their
relations ("to the left of", "above", the order from left to right) and counts ("two small green
squares"). It has never seen a photograph and does not describe photographs. Asked about the
zoo's sample photograph (Grace Hopper, shipped with matplotlib), it says:

> {photo_caption}

![the sample photograph](photograph.png)

## Measured

On {config['dataset']['test_scenes']} held-out scenes (new draws, never trained on), greedy decoding:
exact-scene accuracy **{m['exact_scene_accuracy']:.4f}** (the parser reads the caption back into
objects, attributes, counts and relations, and all of them must equal the scene's), fact precision
{m['fact_precision']:.4f}, recall {m['fact_recall']:.4f}, BLEU-4 {m['bleu4']:.4f}. On
{config['dataset']['novel_scenes']} scenes with a combination never seen in training ({held}), exact-scene
accuracy {m['novel_exact_scene_accuracy']:.4f}: what composition it learnt, whatever that shows.

{table}

BLEU compares the words with five references per scene from a grammar with synonyms and free word
order, so a caption that is right in every fact can still score low: the fact check is the measure
of meaning; BLEU is there because the literature reports it. Beam search (beam 3, on the same
scenes) and the baselines are measured in the same run by `zoo/families/captioning/benchmark.py`
(the JSON is `benchmark.json` in this folder).

## Examples

![held-out scenes with captions and attention](examples.png)

```python
import zoo
art = zoo.load("{config['name']}")
art.caption("scene.png")                          # greedy
art.caption("scene.png", beam_size=3)             # beam search (zoo.samplers.beam_search)
words, weights = art.attention("scene.png")       # weights: (len(words) + 1, 8, 8)
art.caption_many([image_a, image_b])              # paths, PIL images, arrays (H, W, 3)
```

A path, image bytes, a PIL image or an array is read in any 8-bit mode, converted to RGB and
resized (squashed) to 64x64. Not an image, an empty one, one over 16.8 megapixels, or 16-bit/float
pixels raise `zoo.InvalidInputError` with one line.

![training curve](training_curve.png)
"""


# ----------------------------------------------------------------------------- fine-tuning

CAPTIONS_FILE = "captions.txt"   # in the --pairs folder: image file<TAB>caption, one per line
MIN_PAIRS = 4


def read_pairs(folder, art) -> list[tuple[str, np.ndarray, str]]:
    """(file name, image (S, S, 3), caption) for each line of FOLDER/captions.txt; an image may
    have several lines. Every word must be one of the captioner's (its vocabulary is fixed)."""
    from pathlib import Path

    from zoo import io
    from zoo.errors import InvalidInputError

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InvalidInputError(f"--pairs {folder}: not a folder; give a folder of images with a {CAPTIONS_FILE} "
                                "of `image<TAB>caption` lines.")
    text = io.read_user_text(folder / CAPTIONS_FILE, "of image<TAB>caption lines")
    known, images, pairs = set(art.words[len(SPECIALS):]), {}, []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, caption = line.partition("\t")
        where = f"{folder / CAPTIONS_FILE}, line {number}"
        if not caption.strip() or "/" in name or "\\" in name or name in (".", ".."):
            raise InvalidInputError(f"{where}: each line is an image file of the folder, a tab, and its caption.")
        unknown = [w for w in captions.tokenize(caption) if w not in known]
        if unknown:
            raise InvalidInputError(f"{where}: {unknown[0]!r} is not a word this captioner can write; it knows "
                                    f"{len(known)} words: {' '.join(sorted(known))}.")
        if name not in images:
            images[name] = art.read_image(folder / name)
        pairs.append((name, images[name], " ".join(captions.tokenize(caption))))
    if len(images) < MIN_PAIRS:
        raise InvalidInputError(f"{folder / CAPTIONS_FILE} names {len(images)} image(s); at least {MIN_PAIRS} are "
                                "needed (a tenth is held out to measure the fine-tuning).")
    return pairs


def _held_out(name: str) -> bool:
    import hashlib

    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 10 == 0


def held_out_bleu(art, pairs) -> dict:
    names = list(dict.fromkeys(n for n, _, _ in pairs))
    refs = [[c for n, _, c in pairs if n == name] for name in names]
    images = np.stack([next(i for n, i, _ in pairs if n == name) for name in names])
    generated = art.caption_many(images)
    exact = np.mean([g in r for g, r in zip(generated, refs)])
    return {**{f"held_out_{k}": v for k, v in bleu(generated, refs).items()}, "held_out_exact_caption": float(exact)}


def finetune(art, *, pairs, epochs: int, out, seed: int = 0, rehearsal: int = 1000, learning_rate: float = 1e-3,
             batch_size: int = 32, recipe: str):
    """Continue training on a folder of images and captions (read_pairs), with `rehearsal`
    generated scenes mixed in so that it keeps describing shapes; a tenth of the images (by a
    hash of the name, at least one) is held out and measured before and after (BLEU, and
    whether the caption is one of the image's own). Returns (model, config, body, history)."""
    from pathlib import Path

    from zoo import lineage, training
    from zoo.families.captioning.artifact import Captioner

    folder = Path(pairs).expanduser()
    every = read_pairs(folder, art)
    held = [p for p in every if _held_out(p[0])] or [p for p in every if p[0] == every[-1][0]]
    train_pairs = [p for p in every if p not in held] or every
    old = []
    if rehearsal > 0:
        _, old_images, old_refs = scene_set("train", int(rehearsal), int(seed) + 7919, 1)
        old = [(f"scene {i}", image, r[0]) for i, (image, r) in enumerate(zip(old_images, old_refs))]
    rows = train_pairs + old
    x_images = np.stack([i for _, i, _ in rows])
    words_in, labels, weights = encode_captions([c for _, _, c in rows], art.words, art.max_tokens)
    before = {**held_out_bleu(art, held), "base_exact_scene_accuracy": art.metrics.get("exact_scene_accuracy")}

    training.set_seed(int(seed))
    import keras

    model = keras.models.clone_model(art.model)
    model.set_weights(art.model.get_weights())
    compile_model(model, float(learning_rate), int(epochs) * int(np.ceil(len(rows) / int(batch_size))))
    with training.Stopwatch() as clock:
        history = model.fit((x_images, words_in), labels, sample_weight=weights, batch_size=int(batch_size),
                            epochs=int(epochs), shuffle=True, verbose="auto",
                            callbacks=training.resume_callbacks(out)).history
    training.clear_checkpoint(out)

    base = art.config
    config = {**{k: base[k] for k in ("architecture", "hparams", "max_tokens", "dataset")},
              "name": Path(out).name, "recipe": recipe,
              "description": f"{base['name']} fine-tuned on the images and captions of {folder.name}.",
              "training": {**base["training"], "finetune_epochs": int(epochs), "finetune_seconds": clock.seconds,
                           "finetune_rehearsal_scenes": len(old), "environment": training.environment()},
              "card": {"tags": [*base.get("card", {}).get("tags", []), "fine-tuned"]}}
    tuned = Captioner(model, config, out, vocab={"words": art.words[len(SPECIALS):]})
    config["metrics"] = evaluate(tuned)
    after = {**held_out_bleu(tuned, held), "base_exact_scene_accuracy": config["metrics"]["exact_scene_accuracy"]}
    files = [folder / CAPTIONS_FILE] + sorted({folder / n for n, _, _ in every})
    config.update(lineage.record(
        art, data=files, data_flags=[("--pairs", [str(folder)])], out=out, epochs=int(epochs),
        options={"seed": seed, "rehearsal": rehearsal, "learning_rate": learning_rate, "batch_size": batch_size},
        before=before, after=after,
        summary=f"{len(train_pairs)} captions of {len({n for n, _, _ in train_pairs})} images, with {len(old)} "
                f"generated scenes mixed in; {len({n for n, _, _ in held})} image(s) held out"))
    body = (f"\nFine-tuned from **{base['name']}** for {epochs} epoch(s) on the images and captions of "
            f"`{folder.name}`, with {len(old)} generated scenes mixed in (rehearsal).\n\n"
            f"On its held-out images: BLEU-4 {after['held_out_bleu4']:.4f} (the base: {before['held_out_bleu4']:.4f}). "
            f"On the base's held-out scenes: exact-scene accuracy {config['metrics']['exact_scene_accuracy']:.4f} "
            f"(the base: {before['base_exact_scene_accuracy']}).\n")
    return model, config, body, history
