"""Recipe: captioner-shapes, a CNN encoder and an LSTM decoder with soft attention that describes
scenes of simple shapes ("a small red circle to the left of a large blue square").

Setup, data, model, train, evaluate, write. Run it with `zoo train captioner-shapes`.

Data: zoo.families.captioning.scenes draws seeded scenes of one to three shapes; captions.py
writes REFERENCES captions per scene from a grammar with synonyms and free word order, and reads
captions back into facts. Training scenes never hold a red triangle or a yellow circle: the
"novel" split, made of such scenes, measures composition. Model: zoo.families.captioning.model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo import training
from zoo.artifacts import save_artifact
from zoo.errors import InvalidInputError
from zoo.families.captioning import benchmark, scenes, steps
from zoo.families.captioning.artifact import Captioner
from zoo.families.captioning.model import build_captioner
from zoo.families.captioning.schema import VOCABULARY_FILE

NAME = "captioner-shapes"
N_TRAIN = 20000           # training scenes
REFERENCES = 3            # captions per training scene, each a row of training
TEST_SCENES = 500         # held-out scenes
NOVEL_SCENES = 500        # held-out scenes with a never-seen combination
TEST_SEED = 12345         # the held-out sets are the same whatever the training seed
MAX_TOKENS = 30           # the grammar's longest caption is 27 words
EPOCHS = 11               # exact scenes, greedy / beam 3, and minutes of fit on 2 cores: 8 epochs 0.798 /
                          # 0.808 (29); 10 epochs 0.948 / 0.954 (38) and, with the attention's matrix
                          # products (a cheaper step), 0.938 / 0.930 (29); 11 epochs 0.954 / 0.954 (33)
BATCH_SIZE = 128
LEARNING_RATE = 4e-3
HPARAMS = {"image_size": scenes.SIZE, "filters": 64, "units": 128, "embedding_dim": 48}
EVAL_TOLERANCE = 1e-3


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, **options) -> Path:
    if options:
        raise InvalidInputError(f"{NAME} takes no options; got {', '.join(sorted(options))}.")
    # ---- setup
    out = Path(out)
    training.set_seed(seed)
    epochs = epochs or (1 if smoke else EPOCHS)
    words = steps.vocabulary()
    hparams = {**HPARAMS, "vocab_size": len(words)}
    if smoke:
        hparams.update(filters=8, units=16, embedding_dim=8)

    # ---- data: generated scenes, REFERENCES captions each
    made, images, refs = steps.scene_set("train", 64 if smoke else N_TRAIN, seed, REFERENCES)
    # One row per caption, as numpy arrays: measured here, a TensorFlow step on them takes 0.33 s,
    # and 0.90 s on the same batches from a Python generator (a fresh caption each epoch).
    x, y, w = steps.training_arrays(images, refs, words, MAX_TOKENS)
    dataset = {"name": "generated shape scenes (zoo.families.captioning.scenes)",
               "split": "independent seeded draws: train (seed), test and novel (test_seed); train and test "
                        "never hold a held-out combination, every novel scene holds one",
               "train_scenes": len(made), "train_seed": seed, "references_per_scene": REFERENCES,
               "test_scenes": 16 if smoke else TEST_SCENES, "novel_scenes": 16 if smoke else NOVEL_SCENES,
               "test_seed": TEST_SEED, "held_out_combinations": [list(c) for c in scenes.HELD_OUT]}
    training.log(f"{len(made)} training scenes, {len(y)} captions; vocabulary {len(words)}")

    # ---- model and training
    model = build_captioner(**hparams)
    steps.compile_model(model, LEARNING_RATE, epochs * int(np.ceil(len(y) / BATCH_SIZE)))
    with training.Stopwatch() as clock:
        history = model.fit(x, y, sample_weight=w, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True,
                            verbose="auto", callbacks=training.resume_callbacks(out)).history
    training.clear_checkpoint(out)

    # ---- evaluate: greedy captions of the held-out splits, and the baselines
    config = {
        "name": NAME, "architecture": "captioner", "recipe": "recipes/captioner_shapes.py",
        "description": "A CNN encoder and an LSTM decoder with soft attention over the image's 8x8 grid that "
                       "describes generated scenes of simple shapes: objects, sizes, colours, counts, relations.",
        "hparams": hparams, "max_tokens": MAX_TOKENS, "dataset": dataset,
        "training": {"epochs": epochs, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE, "seed": seed,
                     "seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": ["image-captioning", "attention", "lstm", "cnn", "show-attend-and-tell"]},
    }
    vocab = {"words": words[3:]}
    art = Captioner(model, config, out, vocab=vocab)
    sets = steps.held_out_sets(dataset)
    config["metrics"] = steps.evaluate(art, sets)
    results = benchmark.run(art, sets, (images, refs), seed=seed)
    training.log(benchmark.table(results))

    # ---- write
    photo, photo_caption = steps.plot_photo(art, steps.sample_image_path())
    plots = {"examples.png": steps.plot_examples(art, sets["test"][1][:6]), "photograph.png": photo,
             "training_curve.png": training.plot_history(history, NAME, metrics=("loss", "sparse_categorical_accuracy"))}
    body = steps.card_body(art, config, benchmark.table(results), photo_caption)
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={VOCABULARY_FILE: vocab, "benchmark.json": results})


def evaluate(artifact, data_dir=None) -> dict:
    """Greedy captions of the recorded held-out splits: exact-scene accuracy, fact precision and
    recall, BLEU-1/4, on new scenes and on never-seen combinations ("novel_")."""
    return steps.evaluate(artifact)


# ----------------------------------------------------------------------------- finetune

FINETUNE_EPOCHS = 5


def finetune(artifact, *, pairs, epochs: int = FINETUNE_EPOCHS, out, seed: int = 0, rehearsal: int = 1000,
             learning_rate: float = 1e-3, batch_size: int = 32) -> Path:
    """Continue training on FOLDER: its images and a captions.txt of `image<TAB>caption` lines,
    in the captioner's words; generated scenes are mixed in (rehearsal) so it keeps what it knew."""
    model, config, body, history = steps.finetune(
        artifact, pairs=pairs, epochs=epochs, out=out, seed=seed, rehearsal=rehearsal, learning_rate=learning_rate,
        batch_size=batch_size, recipe="recipes/captioner_shapes.py")
    plots = {"training_curve.png": training.plot_history(history, config["name"], metrics=("loss",))}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={VOCABULARY_FILE: {"words": steps.vocabulary()[3:]}})
