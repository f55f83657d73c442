"""The filter banks' steps, which both recipes (cnn-filters-classic, cnn-filters-learned) call:
`zoo finetune NAME --pair in.png out.png --kernel-size 5 --name mine` adds the filter that made
out.png to the bank (the least-squares kernel of zoo.families.cnn_filters.pairs.fit_kernel). The
pair is stored in the new artifact, so its recipe's `evaluate` re-measures how well the bank
reproduces it; the bank's other filters keep the metrics their recipe measures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo import lineage, training  # zoo.training first: it imports the backend quietly
from zoo.artifacts import save_artifact
from zoo.errors import InvalidInputError
from zoo.families.cnn_filters import model as conv
from zoo.families.cnn_filters.artifact import FilterBank
from zoo.families.cnn_filters.image_files import read_image
from zoo.families.cnn_filters.pairs import (FILTER_NAME, MAX_KERNEL_SIZE, fit_kernel, pad_kernel, pair_errors,
                                            read_filter_pair)


def evaluate_filter_pairs(art) -> dict:
    """For each filter added by fine-tuning: the RMSE and the max abs error of the bank's output
    against the filtered image it was learned from (over the pixel values used to learn it)."""
    metrics = {}
    for name in art.config.get("learned_filters", {}):
        errors = pair_errors(art.model, art.kernel_names.index(name), art.learned_pair(name))
        metrics.update({f"pair_{key}_{name}": value for key, value in errors.items()})
    return metrics


def _check_filter_options(art, kernel_size, name, epochs) -> None:
    if epochs is not None:
        raise InvalidInputError("a filter is learned in closed form (least squares), not in epochs; leave out --epochs.")
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or not (
            1 <= kernel_size <= MAX_KERNEL_SIZE and kernel_size % 2 == 1):
        raise InvalidInputError(f"the kernel size must be odd, 1 to {MAX_KERNEL_SIZE} (so the filter has a "
                                f"centre); got {kernel_size!r}.")
    if not isinstance(name, str) or not FILTER_NAME.fullmatch(name):
        raise InvalidInputError(f"the filter name {name!r} must be 1 to 40 letters, digits, '-' or '_' "
                                "(starting with a letter or digit).")
    if name in art.kernel_names:
        raise InvalidInputError(f"{art.name} already has a filter named {name!r} ({', '.join(art.kernel_names)}); "
                                "choose another --name.")


def _read_pair(pair, kernel_size: int):
    """The (image, filtered image) paths and the pair read from them, checked against the kernel size."""
    if isinstance(pair, (str, Path)) or len(pair) != 2:
        raise InvalidInputError("give the pair as (image, filtered image): two paths.")
    source, target = Path(pair[0]), Path(pair[1])
    data = read_filter_pair(source, target)
    height, width = data.x.shape[:2]
    if kernel_size > min(height, width):
        raise InvalidInputError(f"a {kernel_size}x{kernel_size} kernel is larger than the {width}x{height} image "
                                f"{source}; use a smaller --kernel-size or a larger image.")
    return source, target, data


def _grown_bank(art, name: str, kernel: np.ndarray, kernel_size: int):
    """The base's kernels and the new one in a new bank. It grows to the largest kernel size;
    smaller kernels are zero-padded, centred, which in 'same' mode filters exactly as before."""
    kernels = {**art.kernels(), name: kernel}
    size = max(kernel_size, art.config["hparams"]["kernel_size"])
    model = conv.build_cnn_filters(kernel_size=size, filters=len(kernels))
    conv.set_kernels(model, [pad_kernel(k, size) for k in kernels.values()])
    return model, kernels, size


def _pair_assets(art, name: str, source: Path, target: Path):
    """Where the new pair is stored in the artifact, and the files to write: it and the pairs of
    earlier fine-tunings."""
    stored = {"in": f"pairs/{name}.in{source.suffix.lower()}", "out": f"pairs/{name}.out{target.suffix.lower()}"}
    assets = {stored["in"]: source.read_bytes(), stored["out"]: target.read_bytes()}
    for entry in art.config.get("learned_filters", {}).values():  # the pairs of earlier fine-tunings
        assets.update({entry[k]: (art.folder / entry[k]).read_bytes() for k in ("in", "out")})
    return stored, assets


def finetune_filter_bank(art, *, pair, out, kernel_size: int, name: str, epochs, evaluate) -> Path:
    """Learn the kernel that made pair[1] from pair[0] and write `art`'s bank with it added (as
    filter `name`) to `out`; `evaluate` is the recipe's, for the new bank's metrics. Everything is
    checked before anything is written."""
    _check_filter_options(art, kernel_size, name, epochs)
    source, target, data = _read_pair(pair, kernel_size)
    with training.Stopwatch() as clock:
        kernel = fit_kernel(data, kernel_size, str(source))
    model, kernels, size = _grown_bank(art, name, kernel, kernel_size)

    best = min(art.kernel_names, key=lambda n: pair_errors(art.model, art.kernel_names.index(n), data)["rmse"])
    before = pair_errors(art.model, art.kernel_names.index(best), data)
    after = pair_errors(model, len(kernels) - 1, data)
    stored, assets = _pair_assets(art, name, source, target)
    used, total = int(data.used.sum()), int(data.used.size)
    base = art.config
    config = {
        **{k: v for k, v in base.items() if k not in lineage.NOT_INHERITED},
        "name": Path(out).name,
        "description": f"{base['name']}'s bank with a {kernel_size}x{kernel_size} filter {name!r} added, learned from "
                       f"{source.name} and {target.name}.",
        "hparams": {"kernel_size": size, "filters": len(kernels)},
        "kernels": {**base["kernels"], name: kernel.tolist()},
        "learned_filters": {**base.get("learned_filters", {}), name: {
            **stored, "kernel_size": kernel_size, "image": f"{source.name} ({data.kinds[0]})",
            "filtered": f"{target.name} ({data.kinds[1]})", "values_used": used, "values_left_out": total - used,
            "method": "least squares, normal equations in float64 (zoo.families.cnn_filters.pairs.fit_kernel)"}},
        "training": {**base["training"], "finetune_seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": [*base.get("card", {}).get("tags", []), "fine-tuned"]},
    }
    tuned = FilterBank(model, config, out)
    tuned._pairs = {**{n: art.learned_pair(n) for n in base.get("learned_filters", {})}, name: data}  # not on disk yet
    config["metrics"] = evaluate(tuned)
    config.update(lineage.record(
        art, data=[source, target], data_flags=[("--pair", [source.name, target.name])], out=out, epochs=None,
        options={"kernel_size": kernel_size, "name": name},
        before={"pair_rmse": before["rmse"], "pair_max_abs_error": before["max_abs_error"]},
        after={"pair_rmse": after["rmse"], "pair_max_abs_error": after["max_abs_error"]},
        summary=f"added the {kernel_size}x{kernel_size} filter {name!r}; 'base model' is the base's closest filter "
                f"({best}), both measured on the pair's {used:,} usable values"))
    body = _finetune_card(base["name"], name, kernel, kernel_size, data, source, target, stored, before, after,
                          best, out)
    image, _ = read_image(conv.sample_image_path())
    plots = {"kernels.png": conv.plot_kernels({"bank": {n: pad_kernel(k, size) for n, k in kernels.items()}},
                                              f"{config['name']}: the bank's kernels"),
             "effects.png": conv.plot_effects(None, model, list(kernels), image, "each kernel on the sample photograph")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots, assets=assets)


def _finetune_card(base_name, name, kernel, kernel_size, data, source, target, stored, before, after, best,
                   out) -> str:
    """The fine-tuned bank's card: the learned kernel, how well it reproduces the pair, and usage."""
    height, width = data.x.shape[:2]
    used, total = int(data.used.sum()), int(data.used.size)
    rounded = np.round(kernel, 4)
    symmetric = np.allclose(kernel, kernel[::-1, ::-1])
    note = "It is symmetric under a half turn, so it is also the kernel of correlate2d." if symmetric else (
        f"If {target.name} was made with correlate2d, the kernel you used is this one turned by half a turn: "
        f"`{np.round(kernel[::-1, ::-1], 4).tolist()}`.")
    left_out = (f" {total - used:,} values at 0 or 255 were left out (they may be clipped)." if total > used else "")
    return f"""
**{base_name}** with one more filter, **{name}**, learned from `{source.name}` ({data.kinds[0]}) and
`{target.name}` ({data.kinds[1]}), {width}x{height} pixels, {data.x.shape[2]} channel(s): the
least-squares {kernel_size}x{kernel_size} kernel over {used:,} filtered values.{left_out}

The bank applies true convolutions (`scipy.signal.convolve2d(image, kernel, "same")`, zero
padding); the learned kernel, as a convolution kernel:

`{rounded.tolist()}`

{note}

On the pair, the bank's {name} filter is off by {after['rmse']:.3g} RMS ({after['max_abs_error']:.3g} at
most); the base's closest filter, {best}, by {before['rmse']:.3g} RMS. The pair is stored in the
artifact (`{stored['in']}`, `{stored['out']}`), so `zoo eval` re-measures this.
{"An 8-bit PNG rounds every filtered value (error up to 0.5): see the base model's Fine-tuning section for how close the kernel then comes." if not data.exact else "The filtered values were given exactly (.npy): the kernel is exact up to float rounding."}

```python
bank = zoo.load("{Path(out).name}")
bank.apply("photo.png", "{name}")
```

![kernels](kernels.png)

![effects](effects.png)
"""
