"""Steps that several recipes share. Each recipe file in recipes/ reads top to bottom (setup,
data, model, train, evaluate, write) and calls one of these where its sibling does the same:

- perceptron gates (perceptron-and, perceptron-or): the metric, the card, and fine-tuning on a
  truth table (whose reader mlp-xor shares);
- filter banks (cnn-filters-classic, cnn-filters-learned): fine-tuning on an (image, filtered
  image) pair, which adds the filter to the bank, and the metrics of the filters so added.

The models themselves live in zoo/models/; nothing here is needed to load or use an artifact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
from zoo import io, lineage, training  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import InvalidInputError  # noqa: E402
from zoo.families.feedforward import perceptron  # noqa: E402

# ------------------------------------------------------------------------------ perceptron gates
# perceptron-and and perceptron-or: the same steps, with a different gate. The truth tables a user
# fine-tunes on (`zoo finetune NAME --table gate.csv`) are read here for mlp-xor too.

TABLE_COLUMNS = ("x1", "x2", "y")
# What a fine-tuned artifact's config does not take over from its base's: its own files, metrics
# and lineage are written afresh.
NOT_INHERITED = ("files", "metrics", "base_model", "finetuned_on", "finetune")


def read_truth_table(path) -> np.ndarray:
    """A two-input truth table from a CSV file: rows x1,x2,y of 0 and 1 (a header line x1,x2,y is
    optional), each of the four inputs exactly once, in any order. Returns the four outputs in
    the order of perceptron.TRUTH_INPUTS (00, 01, 10, 11), or raises a one-line
    InvalidInputError that says what is wrong."""
    import csv

    path = Path(path)
    fix = "a truth table is a CSV of rows x1,x2,y with 0/1 values (header x1,x2,y optional), one row per input pair"
    lines = [(number, row) for number, row in enumerate(csv.reader(io.read_user_text(path, "(a truth table)").splitlines()), 1)
             if any(cell.strip() for cell in row)]
    if not lines:
        raise InvalidInputError(f"{path} is empty; {fix}.")
    cells = [[cell.strip() for cell in row] for _, row in lines]
    if any(cell not in ("0", "1") for cell in cells[0]):  # a header line
        if [c.lower() for c in cells[0]] != list(TABLE_COLUMNS):
            raise InvalidInputError(f"{path}'s header names the columns {','.join(cells[0])}; {fix}.")
        lines, cells = lines[1:], cells[1:]
    outputs, seen = {}, {}
    for (number, _), row in zip(lines, cells):
        if len(row) != 3:
            raise InvalidInputError(f"{path} line {number} has {len(row)} value(s) ({','.join(row)}); {fix}.")
        bad = [c for c in row if c not in ("0", "1")]
        if bad:
            raise InvalidInputError(f"{path} line {number}: {bad[0]!r} is not 0 or 1; {fix}.")
        x1, x2, y = (int(c) for c in row)
        if (x1, x2) in seen:
            raise InvalidInputError(f"{path} gives the input x1={x1},x2={x2} twice (lines {seen[x1, x2]} and "
                                    f"{number}); give each input pair once.")
        seen[x1, x2], outputs[x1, x2] = number, y
    missing = [f"x1={a},x2={b}" for a, b in perceptron.TRUTH_INPUTS.astype(int) if (a, b) not in outputs]
    if missing:
        raise InvalidInputError(f"{path} has no row for {' and '.join(missing)}; a truth table gives all four "
                                "input pairs 00, 01, 10, 11.")
    return np.array([outputs[a, b] for a, b in perceptron.TRUTH_INPUTS.astype(int)], dtype="float32")


def table_rows(targets) -> list[list[int]]:
    """A truth table as the config records it: [[x1, x2, y], ...] in the order 00, 01, 10, 11."""
    return [[int(a), int(b), int(y)] for (a, b), y in zip(perceptron.TRUTH_INPUTS, targets)]


def table_targets(config: dict, default) -> np.ndarray:
    """The outputs of the truth table a config records (a fine-tuned artifact's), else `default`."""
    rows = config.get("truth_table")
    return default if rows is None else np.array([row[2] for row in rows], dtype="float32")


def evaluate_gate(art) -> dict:
    """The perceptron recipes' `evaluate`: the share of the truth table's rows it gets right (the
    gate's, or the table a fine-tuned perceptron was given)."""
    targets = table_targets(art.config, perceptron.GATES.get(art.config["gate"]))
    return {"accuracy": float(np.mean(art.predict(perceptron.TRUTH_INPUTS) == targets))}


def finetune_gate(art, *, table, epochs: int = 20, out, seed: int = 0) -> Path:
    """`zoo finetune perceptron-and --table nand.csv`: the perceptron rule on a new truth table,
    from the base's weights. A table that no line separates (XOR, XNOR) is refused before any
    training: the rule would never stop making mistakes on it."""
    path = Path(table)
    targets = read_truth_table(path)
    name = perceptron.function_name(targets)
    x = perceptron.TRUTH_INPUTS
    if perceptron.separating_line(x, targets) is None:
        ones = " ".join(f"{int(a)}{int(b)}" for (a, b), y in zip(x, targets) if y)
        zeros = " ".join(f"{int(a)}{int(b)}" for (a, b), y in zip(x, targets) if not y)
        raise InvalidInputError(
            f"{path} ({name.upper()}) is not linearly separable: no line puts the inputs {ones} (y=1) on one side "
            f"and {zeros} (y=0) on the other, so a perceptron cannot learn it; mlp-xor, which has a hidden "
            "layer, can (zoo finetune mlp-xor --table ...).")
    before = evaluate_gate(perceptron.Perceptron(art.model, {**art.config, "truth_table": table_rows(targets)},
                                                 art.folder))
    model = perceptron.build_perceptron()
    model.set_weights(art.model.get_weights())  # a copy: the base artifact is not changed
    with training.Stopwatch() as clock:
        mistakes = perceptron.train_perceptron(model, x, targets, epochs=epochs, seed=seed)
    converged = perceptron.epochs_to_converge(mistakes)
    if converged < 0:  # separable, so only too few epochs can leave mistakes
        raise InvalidInputError(f"the perceptron still made mistakes on {path} after {epochs} epoch(s) "
                                f"(mistakes per epoch {mistakes}); give more --epochs.")
    w, b = model.get_layer("unit").get_weights()
    base = art.config
    config = {
        **{k: v for k, v in base.items() if k not in NOT_INHERITED},
        "name": Path(out).name,
        "description": f"{base['name']} fine-tuned with the perceptron learning rule to compute {name.upper()} of two bits.",
        "gate": name,
        "truth_table": table_rows(targets),
        "dataset": {"name": f"{path.name} ({name} truth table)", "points": 4,
                    "split": "train = evaluate = the four rows of the table (stored in truth_table)"},
        "training": {**base["training"], "finetune_epochs": epochs, "finetune_seed": seed,
                     "finetune_seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": ["perceptron", "rosenblatt", "fine-tuned"]},
    }
    tuned = perceptron.Perceptron(model, config, out)
    config["metrics"] = {**evaluate_gate(tuned), "epochs_to_converge": converged}
    config.update(lineage.record(
        art, data=[path], data_flags=[("--table", [path.name])], out=out, epochs=epochs, options={"seed": seed},
        before={"table_accuracy": before["accuracy"]}, after={"table_accuracy": config["metrics"]["accuracy"]},
        summary=f"learned {name.upper()} from its truth table; no mistakes from epoch {converged} on"))
    body = f"""
Fine-tuned from **{base['name']}** with the perceptron learning rule on the truth table `{path.name}`
({name.upper()}): mistakes per epoch {mistakes[:10]}{' ...' if len(mistakes) > 10 else ''}, none from epoch
{converged} on; learned w = {w[:, 0].tolist()}, b = {b.tolist()}. The table is stored in zoo.json
(`truth_table`), so `zoo eval` re-measures the accuracy on it.

![decision boundary](boundary.png)
"""
    plots = {"boundary.png": perceptron.plot_boundary(model, name, f"{config['name']}: learned boundary", targets)}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)


def write_gate(out, model, mistakes: list[int], metrics: dict, *, name: str, gate: str, epochs: int, seed: int,
               seconds: float, recipe: str) -> Path:
    """The config, the card and the artifact folder. The card sets the gate beside XOR, on which
    the same rule, trained as long, never stops making mistakes."""
    xor_model = perceptron.build_perceptron()
    xor_mistakes = perceptron.train_perceptron(xor_model, perceptron.TRUTH_INPUTS, perceptron.GATES["xor"],
                                               epochs=max(epochs, 20), seed=seed)
    w, b = model.get_layer("unit").get_weights()
    config = {
        "name": name,
        "architecture": "perceptron",
        "description": f"Rosenblatt's perceptron trained with the perceptron learning rule to compute {gate.upper()} "
                       "of two bits.",
        "recipe": recipe,
        "hparams": {"inputs": 2},
        "gate": gate,
        "dataset": {"name": f"{gate} truth table", "points": 4, "split": "train = evaluate = the four points"},
        "metrics": metrics,
        "training": {"epochs": epochs, "rule": "w += lr (y - step(w.x + b)) x, lr = 1", "seed": seed,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["perceptron", "rosenblatt"]},
    }
    body = f"""
The perceptron learning rule separates the {gate.upper()} points: mistakes per epoch
{mistakes[:10]}{' ...' if len(mistakes) > 10 else ''}; learned w = {w[:, 0].tolist()}, b = {b.tolist()}.
The same rule on XOR never stops making mistakes (per epoch: {xor_mistakes[:10]} ...): no line
separates XOR's points, which is why mlp-xor needs a hidden layer.

![decision boundary](boundary.png)
"""
    plots = {"boundary.png": perceptron.plot_boundary(model, gate, f"{name}: learned boundary")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)


# ------------------------------------------------------------------------------ filter banks
# cnn-filters-classic and cnn-filters-learned: `zoo finetune NAME --pair in.png out.png
# --kernel-size 5 --name mine` adds the filter that made out.png to the bank (the least-squares
# kernel of zoo.families.cnn_filters.model.fit_kernel). The pair is stored in the new artifact, so its recipe's
# `evaluate` re-measures how well the bank reproduces it; the bank's other filters keep the
# metrics their recipe measures.

from zoo.families.cnn_filters import model as conv  # noqa: E402


def evaluate_filter_pairs(art) -> dict:
    """For each filter added by fine-tuning: the RMSE and the max abs error of the bank's output
    against the filtered image it was learned from (over the pixel values used to learn it)."""
    metrics = {}
    for name in art.config.get("learned_filters", {}):
        errors = conv.pair_errors(art.model, art.kernel_names.index(name), art.learned_pair(name))
        metrics.update({f"pair_{key}_{name}": value for key, value in errors.items()})
    return metrics


def _check_filter_options(art, kernel_size, name, epochs) -> None:
    if epochs is not None:
        raise InvalidInputError("a filter is learned in closed form (least squares), not in epochs; leave out --epochs.")
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or not (
            1 <= kernel_size <= conv.MAX_KERNEL_SIZE and kernel_size % 2 == 1):
        raise InvalidInputError(f"the kernel size must be odd, 1 to {conv.MAX_KERNEL_SIZE} (so the filter has a "
                                f"centre); got {kernel_size!r}.")
    if not isinstance(name, str) or not conv.FILTER_NAME.fullmatch(name):
        raise InvalidInputError(f"the filter name {name!r} must be 1 to 40 letters, digits, '-' or '_' "
                                "(starting with a letter or digit).")
    if name in art.kernel_names:
        raise InvalidInputError(f"{art.name} already has a filter named {name!r} ({', '.join(art.kernel_names)}); "
                                "choose another --name.")


def finetune_filter_bank(art, *, pair, out, kernel_size: int, name: str, epochs, evaluate) -> Path:
    """Learn the kernel that made pair[1] from pair[0] and write `art`'s bank with it added (as
    filter `name`) to `out`; `evaluate` is the recipe's, for the new bank's metrics. Everything is
    checked before anything is written."""
    _check_filter_options(art, kernel_size, name, epochs)
    if isinstance(pair, (str, Path)) or len(pair) != 2:
        raise InvalidInputError("give the pair as (image, filtered image): two paths.")
    source, target = Path(pair[0]), Path(pair[1])
    data = conv.read_filter_pair(source, target)
    height, width = data.x.shape[:2]
    if kernel_size > min(height, width):
        raise InvalidInputError(f"a {kernel_size}x{kernel_size} kernel is larger than the {width}x{height} image "
                                f"{source}; use a smaller --kernel-size or a larger image.")
    with training.Stopwatch() as clock:
        kernel = conv.fit_kernel(data, kernel_size, str(source))

    # The bank grows to the largest kernel size; smaller kernels are zero-padded, centred, which
    # in 'same' mode filters exactly as before.
    kernels = {**art.kernels(), name: kernel}
    size = max(kernel_size, art.config["hparams"]["kernel_size"])
    model = conv.build_cnn_filters(kernel_size=size, filters=len(kernels))
    conv.set_kernels(model, [conv.pad_kernel(k, size) for k in kernels.values()])

    best = min(art.kernel_names, key=lambda n: conv.pair_errors(art.model, art.kernel_names.index(n), data)["rmse"])
    before = conv.pair_errors(art.model, art.kernel_names.index(best), data)
    after = conv.pair_errors(model, len(kernels) - 1, data)
    stored = {"in": f"pairs/{name}.in{source.suffix.lower()}", "out": f"pairs/{name}.out{target.suffix.lower()}"}
    assets = {stored["in"]: source.read_bytes(), stored["out"]: target.read_bytes()}
    for entry in art.config.get("learned_filters", {}).values():  # the pairs of earlier fine-tunings
        assets.update({entry[k]: (art.folder / entry[k]).read_bytes() for k in ("in", "out")})
    used, total = int(data.used.sum()), int(data.used.size)
    base = art.config
    config = {
        **{k: v for k, v in base.items() if k not in NOT_INHERITED},
        "name": Path(out).name,
        "description": f"{base['name']}'s bank with a {kernel_size}x{kernel_size} filter {name!r} added, learned from "
                       f"{source.name} and {target.name}.",
        "hparams": {"kernel_size": size, "filters": len(kernels)},
        "kernels": {**base["kernels"], name: kernel.tolist()},
        "learned_filters": {**base.get("learned_filters", {}), name: {
            **stored, "kernel_size": kernel_size, "image": f"{source.name} ({data.kinds[0]})",
            "filtered": f"{target.name} ({data.kinds[1]})", "values_used": used, "values_left_out": total - used,
            "method": "least squares, normal equations in float64 (zoo.families.cnn_filters.model.fit_kernel)"}},
        "training": {**base["training"], "finetune_seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": [*base.get("card", {}).get("tags", []), "fine-tuned"]},
    }
    tuned = conv.FilterBank(model, config, out)
    tuned._pairs = {**{n: art.learned_pair(n) for n in base.get("learned_filters", {})}, name: data}  # not on disk yet
    config["metrics"] = evaluate(tuned)
    config.update(lineage.record(
        art, data=[source, target], data_flags=[("--pair", [source.name, target.name])], out=out, epochs=None,
        options={"kernel_size": kernel_size, "name": name},
        before={"pair_rmse": before["rmse"], "pair_max_abs_error": before["max_abs_error"]},
        after={"pair_rmse": after["rmse"], "pair_max_abs_error": after["max_abs_error"]},
        summary=f"added the {kernel_size}x{kernel_size} filter {name!r}; 'base model' is the base's closest filter "
                f"({best}), both measured on the pair's {used:,} usable values"))
    rounded = np.round(kernel, 4)
    symmetric = np.allclose(kernel, kernel[::-1, ::-1])
    note = "It is symmetric under a half turn, so it is also the kernel of correlate2d." if symmetric else (
        f"If {target.name} was made with correlate2d, the kernel you used is this one turned by half a turn: "
        f"`{np.round(kernel[::-1, ::-1], 4).tolist()}`.")
    left_out = (f" {total - used:,} values at 0 or 255 were left out (they may be clipped)." if total > used else "")
    body = f"""
**{base['name']}** with one more filter, **{name}**, learned from `{source.name}` ({data.kinds[0]}) and
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
    image, _ = conv.read_image(conv.sample_image_path())
    plots = {"kernels.png": conv.plot_kernels({"bank": {n: conv.pad_kernel(k, size) for n, k in kernels.items()}},
                                              f"{config['name']}: the bank's kernels"),
             "effects.png": conv.plot_effects(None, model, list(kernels), image, "each kernel on the sample photograph")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots, assets=assets)

