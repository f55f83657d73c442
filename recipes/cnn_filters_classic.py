"""Recipe: cnn-filters-classic, a Conv2D bank holding four classic image kernels.

Nothing is learned here: the kernels are set by hand (edge enhance, edge detect, normalised blur,
sharpen, as in GIMP's documentation), and the recipe checks the bank against
scipy.signal.convolve2d on the sample photograph before writing it. `cnn-filters-learned` learns
the same kernels back from examples.

Fine-tuning (`zoo finetune cnn-filters-classic --pair in.png out.png --kernel-size 5 --name mine`)
adds the kernel that made out.png from in.png to the bank, as cnn-filters-learned's does (the
step is zoo.families.cnn_filters.steps.finetune_filter_bank).
"""

from pathlib import Path

import numpy as np
from scipy import signal

from zoo import training
from zoo.artifacts import save_artifact
from zoo.families.cnn_filters import model as conv
from zoo.families.cnn_filters import steps
from zoo.families.cnn_filters.artifact import FilterBank
from zoo.families.cnn_filters.image_files import read_image

NAME = "cnn-filters-classic"
EVAL_TOLERANCE = 1e-3


def grayscale_sample(smoke=False) -> np.ndarray:
    image, _ = read_image(conv.sample_image_path())
    gray = image.mean(axis=2)
    return gray[:64, :64] if smoke else gray


def evaluate(art, data_dir=None) -> dict:
    """Largest difference, over the bank's kernels (as its config records them), between the bank
    and scipy on the sample photo (pixel values 0..255); and for a filter added by fine-tuning,
    how well it reproduces the pair it was learned from."""
    gray = grayscale_sample()
    out = np.asarray(art.model(gray[None, :, :, None]))[0]
    errors = [np.max(np.abs(out[:, :, i] - signal.convolve2d(gray, np.asarray(art.config["kernels"][name], dtype="float32"), mode="same")))
              for i, name in enumerate(art.kernel_names)]
    return {"max_abs_error_vs_scipy": float(max(errors)), **steps.evaluate_filter_pairs(art)}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    names = list(conv.CLASSIC_KERNELS)
    with training.Stopwatch() as clock:
        model = conv.build_cnn_filters(kernel_size=3, filters=len(names))
        conv.set_kernels(model, [conv.CLASSIC_KERNELS[n] for n in names])
    config = {
        "name": NAME,
        "architecture": "cnn-filters",
        "description": "A bank of four classic 3x3 image kernels (edge enhance, edge detect, blur, sharpen) in one "
                       "bias-free Keras Conv2D, applied as true convolutions with 'same' output size.",
        "recipe": "recipes/cnn_filters_classic.py",
        "hparams": {"kernel_size": 3, "filters": len(names)},
        "kernels": {n: conv.CLASSIC_KERNELS[n].tolist() for n in names},
        "dataset": {"name": "grace_hopper.jpg (matplotlib sample data)",
                    "split": "evaluation only: the photograph in grayscale"},
        "training": {"method": "kernels set by hand", "seconds": clock.seconds,
                     "environment": training.environment()},
        "card": {"tags": ["convolution", "image-filtering"]},
    }
    art = FilterBank(model, config, out)
    config["metrics"] = evaluate(art)
    image, _ = read_image(conv.sample_image_path())
    rows = "\n".join(f"| {n} | `{np.round(k, 4).tolist()}` |" for n, k in conv.CLASSIC_KERNELS.items())
    body = f"""
Keras's Conv2D computes a cross-correlation; the bank stores each kernel flipped so that it
computes the convolution of textbooks and of `scipy.signal.convolve2d(image, kernel, "same")`,
which it matches to {config['metrics']['max_abs_error_vs_scipy']:.2g} on pixel values 0..255.

| kernel | matrix |
| --- | --- |
{rows}

```python
art = zoo.load("cnn-filters-classic")
sharp = art.apply("photo.jpg", "sharpen")   # (H, W, 3) array, 0..255
```
or `zoo filter cnn-filters-classic --kernel sharpen in.png out.png`.

![kernels](kernels.png)

![effects](effects.png)
"""
    plots = {"kernels.png": conv.plot_kernels({"kernel": conv.CLASSIC_KERNELS}, "classic kernels"),
             "effects.png": conv.plot_effects(None, model, names, image, "each kernel on the sample photograph")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)


def finetune(art, *, pair, out, kernel_size: int = 3, name: str = "learned", epochs=None) -> Path:
    return steps.finetune_filter_bank(art, pair=pair, out=out, kernel_size=kernel_size, name=name,
                                      epochs=epochs, evaluate=evaluate)
