"""Recipe: cnn-filters-learned, the four classic kernels learned back from examples.

Data: patches of the sample photograph (x), and the same patches filtered by each classic kernel
with scipy.signal.convolve2d (y, one channel per kernel). Model: the same bias-free Conv2D bank
as cnn-filters-classic, from random weights. Since y is an exact linear function of x, least
squares has a unique answer, the true kernels, and gradient descent on the mean squared error
finds it: the recipe checks every learned weight is within 1e-3 of the truth.

Fine-tuning (`zoo finetune cnn-filters-learned --pair in.png out.png --kernel-size 5 --name mine`)
learns one more kernel, the one that made out.png from in.png, and adds it to the bank
(zoo.families.cnn_filters.steps.finetune_filter_bank, shared with cnn-filters-classic).
"""

from pathlib import Path

import numpy as np
from scipy import signal

import keras
from zoo import distribute, training
from zoo.artifacts import save_artifact
from zoo.families.cnn_filters import model as conv
from zoo.families.cnn_filters import steps
from zoo.families.cnn_filters.artifact import FilterBank
from zoo.families.cnn_filters.image_files import read_image
from zoo.families.cnn_filters.pairs import pad_kernel

NAME = "cnn-filters-learned"
EPOCHS = 40
PATCH = 32
EVAL_TOLERANCE = 1e-3


def make_pairs(n_patches: int, seed: int):
    """Grayscale patches in 0..1 and their filtered versions, (n, P, P, 1) and (n, P, P, 4).

    Half are patches of the photograph, half are white noise: neighbouring pixels of a photo are
    nearly equal, which makes the least-squares problem ill-conditioned (the kernels' *sums*
    are learned fast, their shapes slowly); noise pins every weight down.
    """
    image, _ = read_image(conv.sample_image_path())
    gray = image.mean(axis=2) / 255.0
    rng = np.random.default_rng(seed)
    n_photo = n_patches // 2
    rows = rng.integers(0, gray.shape[0] - PATCH, n_photo)
    cols = rng.integers(0, gray.shape[1] - PATCH, n_photo)
    photo = [gray[r:r + PATCH, c:c + PATCH] for r, c in zip(rows, cols)]
    noise = list(rng.uniform(0, 1, (n_patches - n_photo, PATCH, PATCH)))
    x = np.stack(photo + noise).astype("float32")
    y = np.stack([np.stack([signal.convolve2d(p, k, mode="same") for k in conv.CLASSIC_KERNELS.values()], -1)
                  for p in x]).astype("float32")
    return x[..., None], y


def kernel_errors(learned: dict) -> dict:
    """Max |learned - true| of each classic kernel, from {name: learned kernel}; in a bank grown
    to a larger kernel size by fine-tuning, the padding around the 3x3 kernels must stay 0."""
    return {name: float(np.max(np.abs(k - pad_kernel(conv.CLASSIC_KERNELS[name], k.shape[0]))))
            for name, k in learned.items() if name in conv.CLASSIC_KERNELS}


def evaluate(art, data_dir=None) -> dict:
    """The classic kernels' errors and the test MSE on held-out patches; for a filter added by
    fine-tuning, how well it reproduces the pair it was learned from."""
    x, y = make_pairs(64, seed=12345)  # held-out patches, not the training ones
    classic = [art.kernel_names.index(name) for name in conv.CLASSIC_KERNELS]
    mse = float(np.mean((np.asarray(art.model(x))[..., classic] - y) ** 2))
    return {"max_abs_kernel_error": max(kernel_errors(art.kernels()).values()), "test_mse": mse,
            **steps.evaluate_filter_pairs(art)}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    epochs = epochs or (1 if smoke else EPOCHS)
    training.set_seed(seed)
    x, y = make_pairs(64 if smoke else 1024, seed)
    names = list(conv.CLASSIC_KERNELS)
    model = conv.build_cnn_filters(kernel_size=3, filters=len(names))
    steps = epochs * int(np.ceil(len(x) / 32))
    schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=steps, alpha=1e-3)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    with training.Stopwatch() as clock:
        history = model.fit(distribute.local_shard(x), distribute.local_shard(y),
                            batch_size=distribute.local_batch_size(32), epochs=epochs, verbose=1,
                            callbacks=training.resume_callbacks(out)).history
    training.clear_checkpoint(out)
    errors = kernel_errors(dict(zip(conv.CLASSIC_KERNELS, conv.get_kernels(model))))
    training.log("max |learned - true| per kernel: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))

    config = {
        "name": NAME,
        "architecture": "cnn-filters",
        "description": "The four classic 3x3 kernels learned back by gradient descent from (patch, filtered patch) "
                       "pairs, in the same bias-free Conv2D bank as cnn-filters-classic.",
        "recipe": "recipes/cnn_filters_learned.py",
        "hparams": {"kernel_size": 3, "filters": len(names)},
        "kernels": {n: conv.CLASSIC_KERNELS[n].tolist() for n in names},
        "dataset": {"name": "grace_hopper.jpg (matplotlib sample data)",
                    "split": f"{len(x)} {PATCH}x{PATCH} grayscale patches, half from the photo, half white noise "
                             f"(seed {seed}), train; 64 others (seed 12345) test",
                    "targets": "scipy.signal.convolve2d(patch, kernel, 'same')"},
        "training": {"epochs": epochs, "batch_size": 32, "optimizer": "Adam, cosine decay from 0.05",
                     "loss": "mse", "seed": seed, "seconds": clock.seconds,
                     "environment": training.environment()},
        "card": {"tags": ["convolution", "image-filtering"]},
    }
    art = FilterBank(model, config, out)
    config["metrics"] = {**evaluate(art), **{f"error_{k}": v for k, v in errors.items()}}
    rows = "\n".join(f"| {k} | {v:.2e} |" for k, v in errors.items())
    learned = dict(zip(names, conv.get_kernels(model)))
    image, _ = read_image(conv.sample_image_path())
    body = f"""
A Conv2D bank started from random weights and trained with mean squared error to reproduce
`scipy.signal.convolve2d(patch, kernel, "same")` for each classic kernel. It recovers every kernel:

| kernel | max abs error of the learned weights |
| --- | --- |
{rows}

![true and learned kernels](kernels.png)

![effects](effects.png)

![training curve](training_curve.png)
"""
    plots = {"kernels.png": conv.plot_kernels({"true": conv.CLASSIC_KERNELS, "learned": learned},
                                              "true kernels (top) and learned back (bottom)"),
             "effects.png": conv.plot_effects(None, model, names, image, "learned kernels on the sample photograph"),
             "training_curve.png": training.plot_history(history, "cnn-filters-learned training loss (MSE)")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)


def finetune(art, *, pair, out, kernel_size: int = 3, name: str = "learned", epochs=None) -> Path:
    return steps.finetune_filter_bank(art, pair=pair, out=out, kernel_size=kernel_size, name=name,
                                      epochs=epochs, evaluate=evaluate)
