"""The feed-forward family's steps, which its recipes call: the reader of the truth tables a user
fine-tunes on (`zoo finetune NAME --table gate.csv`); the perceptron gates' metric, card and
fine-tuning (perceptron-and, perceptron-or); mlp-xor's training with restarts, metric, card and
fine-tuning on a truth table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from zoo import distribute, io, lineage, training  # zoo.training first: it imports the backend quietly
import keras
from zoo.artifacts import save_artifact
from zoo.errors import InvalidInputError, ZooError
from zoo.families.feedforward import gates, mlp, perceptron
from zoo.families.feedforward.artifact import Perceptron, XorNet
from zoo.families.feedforward.gates import XOR_INPUTS, XOR_TARGETS

TABLE_COLUMNS = ("x1", "x2", "y")


def read_truth_table(path) -> np.ndarray:
    """A two-input truth table from a CSV file: rows x1,x2,y of 0 and 1 (a header line x1,x2,y is
    optional), each of the four inputs exactly once, in any order. Returns the four outputs in
    the order of gates.TRUTH_INPUTS (00, 01, 10, 11), or raises a one-line
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
    missing = [f"x1={a},x2={b}" for a, b in gates.TRUTH_INPUTS.astype(int) if (a, b) not in outputs]
    if missing:
        raise InvalidInputError(f"{path} has no row for {' and '.join(missing)}; a truth table gives all four "
                                "input pairs 00, 01, 10, 11.")
    return np.array([outputs[a, b] for a, b in gates.TRUTH_INPUTS.astype(int)], dtype="float32")


def table_rows(targets) -> list[list[int]]:
    """A truth table as the config records it: [[x1, x2, y], ...] in the order 00, 01, 10, 11."""
    return [[int(a), int(b), int(y)] for (a, b), y in zip(gates.TRUTH_INPUTS, targets)]


def table_targets(config: dict, default) -> np.ndarray:
    """The outputs of the truth table a config records (a fine-tuned artifact's), else `default`."""
    rows = config.get("truth_table")
    return default if rows is None else np.array([row[2] for row in rows], dtype="float32")


def evaluate_gate(art) -> dict:
    """The perceptron recipes' `evaluate`: the share of the truth table's rows it gets right (the
    gate's, or the table a fine-tuned perceptron was given)."""
    targets = table_targets(art.config, gates.GATES.get(art.config["gate"]))
    return {"accuracy": float(np.mean(art.predict(gates.TRUTH_INPUTS) == targets))}


def finetune_gate(art, *, table, epochs: int = 20, out, seed: int = 0) -> Path:
    """`zoo finetune perceptron-and --table nand.csv`: the perceptron rule on a new truth table,
    from the base's weights. A table that no line separates (XOR, XNOR) is refused before any
    training: the rule would never stop making mistakes on it."""
    path = Path(table)
    targets = read_truth_table(path)
    name = gates.function_name(targets)
    x = gates.TRUTH_INPUTS
    if gates.separating_line(x, targets) is None:
        ones = " ".join(f"{int(a)}{int(b)}" for (a, b), y in zip(x, targets) if y)
        zeros = " ".join(f"{int(a)}{int(b)}" for (a, b), y in zip(x, targets) if not y)
        raise InvalidInputError(
            f"{path} ({name.upper()}) is not linearly separable: no line puts the inputs {ones} (y=1) on one side "
            f"and {zeros} (y=0) on the other, so a perceptron cannot learn it; mlp-xor, which has a hidden "
            "layer, can (zoo finetune mlp-xor --table ...).")
    before = evaluate_gate(Perceptron(art.model, {**art.config, "truth_table": table_rows(targets)}, art.folder))
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
        **{k: v for k, v in base.items() if k not in lineage.NOT_INHERITED},
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
    tuned = Perceptron(model, config, out)
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
    xor_mistakes = perceptron.train_perceptron(xor_model, gates.TRUTH_INPUTS, gates.GATES["xor"],
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


# ----------------------------------------------------------------------------- mlp-xor

# Passes over the four points (steps) in one epoch of Keras's fit. A fit epoch costs tens of
# milliseconds of its own (metrics, callbacks, and on TensorFlow a new data iterator), a step of
# this network about one: 400 one-pass epochs took most of a minute a start. 20 fit epochs of 20
# passes take a second or two, and the history still has a point every 20 passes.
PASSES_PER_FIT_EPOCH = 20


def fit_once(seed: int, epochs: int, out: Path, label: str, targets=XOR_TARGETS, weights=None, *,
             learning_rate: float):
    """One start: `epochs` full-batch passes of Adam from the initialisation of `seed` (or from
    `weights`, a base artifact's, when fine-tuning). Returns the model, the history (one entry
    per fit epoch) and the passes in a fit epoch."""
    training.set_seed(seed)
    model = mlp.build_mlp_xor()
    if weights is not None:
        model.set_weights(weights)
    passes = math.gcd(epochs, PASSES_PER_FIT_EPOCH)  # equal fit epochs, `epochs` passes in all
    # (Not steps_per_execution: it would save little more, and with --devices on TensorFlow
    # Keras 3.15 fails in it.)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    # Every batch is the four points in order. With the whole data set in one batch, shuffling
    # would change only the order of a sum, and its random order would differ after a resume.
    # All the passes are one array (1,600 rows for 400), read through one data iterator for the
    # whole fit (steps_per_epoch): a new iterator each fit epoch cost as much as the training.
    x, y = np.tile(XOR_INPUTS, (epochs, 1)), np.tile(targets, epochs)
    history = model.fit(distribute.local_shard(x), distribute.local_shard(y),
                        batch_size=distribute.local_batch_size(4), shuffle=False, verbose=0,
                        epochs=epochs // passes, steps_per_epoch=passes,
                        callbacks=[*training.resume_callbacks(out), training.Progress(label, passes)])
    return model, history.history, passes


def fit_with_restarts(out: Path, *, epochs: int, seed: int, starts: int, learning_rate: float, smoke: bool = False,
                      targets=XOR_TARGETS, base_weights=None, settings=None):
    """Starts until one classifies all four points: start k from the initialisation of seed + k,
    except that a fine-tuning run's first start is from the base's weights. Returns the model,
    its history, the passes in a fit epoch, and the starts made.

    The restart loop is part of the run's state: an interrupted run goes on in the start it was
    in (each start re-seeds, so an earlier start would give a different network)."""
    settings = {"epochs": epochs, "seed": seed, "starts": starts, **(settings or {})}
    first = training.loop_state(out, settings).get("start", 0)
    for start in range(first, starts):
        training.save_loop_state(out, settings, {"start": start})
        weights = base_weights if start == 0 else None
        label = f"start {start + 1}" + (" (from the base's weights)" if weights is not None else "")
        model, history, passes = fit_once(seed + start, epochs, out, label, targets, weights,
                                          learning_rate=learning_rate)
        outputs = np.asarray(model(XOR_INPUTS))[:, 0]
        solved = np.all((outputs > 0.5) == (targets > 0.5))
        if solved:
            outcome = "all four points right"
        elif weights is not None:
            outcome = ("not solved from the base's weights (a hidden ReLU that is off at the points to be told "
                       "apart passes no gradient to them); restarting from random weights")
        elif start + 1 < starts:
            outcome = "not solved, restarting from the next seed"
        elif smoke:
            outcome = "not solved (a smoke run makes one short start and no restarts)"
        else:
            outcome = f"not solved in {starts} starts; the last one is written (more --epochs may help)"
        training.log(f"start {start + 1}: loss {history['loss'][-1]:.5f}, {outcome}")
        if solved:
            break
    training.clear_checkpoint(out)
    return model, history, passes, start + 1


def evaluate_xor(art) -> dict:
    """Accuracy and mean squared error on the four points of XOR (of the truth table a fine-tuned
    network was given, which its config stores)."""
    targets, _ = art.targets()
    predictions = art.predict(XOR_INPUTS)
    return {"accuracy": float(np.mean((predictions > 0.5) == (targets > 0.5))),
            "mse": float(np.mean((predictions - targets) ** 2))}


def write_xor(out: Path, model, history: dict, passes: int, metrics: dict, *, name: str, epochs: int, seed: int,
              learning_rate: float, seconds: float, recipe: str) -> Path:
    """mlp-xor's config, card (the learned weights beside the book's, and the best linear model's
    failure) and plots, and the artifact folder."""
    hidden_w, hidden_c = model.get_layer("hidden").get_weights()
    out_w, out_b = model.get_layer("output").get_weights()
    config = {
        "name": name,
        "architecture": "mlp-xor",
        "description": "The feed-forward network that learns XOR (Goodfellow et al., Deep Learning, ch. 6.1): "
                       "two inputs, two ReLU hidden units, one linear output, trained on the four XOR points.",
        "recipe": recipe,
        "hparams": {"hidden_units": 2, "activation": "relu"},
        "dataset": {"name": "xor", "points": 4, "split": "train = evaluate = the four points of the truth table"},
        "metrics": metrics,
        "training": {"epochs": epochs, "optimizer": f"Adam({learning_rate})", "loss": "mse", "seed": seed,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["xor", "mlp", "goodfellow"]},
    }
    w_ls, b_ls = mlp.fit_linear_least_squares()
    table = XorNet(model, config, out).truth_table()
    body = f"""
The network of section 6.1 of the Deep Learning book: `h = relu(x W + c)`, `y = h w + b`, trained
with mean squared error until it classifies all four XOR points ({metrics['starts']} start(s)).

```
{table}
```

Learned weights: W = {np.round(hidden_w, 3).tolist()}, c = {np.round(hidden_c, 3).tolist()},
w = {np.round(out_w[:, 0], 3).tolist()}, b = {np.round(out_b, 3).tolist()}.
The book's hand-set solution (W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0, outputs exactly
[0, 1, 1, 0]) is `zoo.build("mlp-xor", weights="goodfellow")`.

Why a hidden layer: the best *linear* model, by least squares in closed form, is
w = {np.round(w_ls, 6).tolist()}, b = {b_ls:.6f}: it answers 0.5 everywhere
(`zoo.families.feedforward.mlp.fit_linear_least_squares`; gradient descent converges to the same).

![decision regions](decision_regions.png)

![training curve](training_curve.png)
"""
    plots = {"decision_regions.png": mlp.plot_decision_regions(model, "mlp-xor: output over the unit square"),
             "training_curve.png": training.plot_history(history, "mlp-xor training loss (MSE)",
                                                         epoch_size=passes)}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)


def finetune_xor(art, *, table, epochs: int, out, seed: int, learning_rate: float, starts: int) -> Path:
    """mlp-xor's `finetune` (its recipe's docstring says what it does): restarts as in training,
    the first from `art`'s weights; refused, with nothing written, unless all four rows are right."""
    path = Path(table)
    targets = read_truth_table(path)
    rows, function = table_rows(targets), gates.function_name(targets)
    before = evaluate_xor(XorNet(art.model, {**art.config, "truth_table": rows}, art.folder))
    with training.Stopwatch() as clock:
        model, history, passes, starts_made = fit_with_restarts(
            out, epochs=epochs, seed=seed, starts=starts, learning_rate=learning_rate, targets=targets,
            base_weights=art.model.get_weights(),
            settings={"truth_table": rows, "base": art.config.get("files", {}).get("model.weights.h5")})
    base = art.config
    config = {
        **{k: v for k, v in base.items() if k not in lineage.NOT_INHERITED},
        "name": Path(out).name,
        "description": f"{base['name']} fine-tuned to compute {function.upper()} of two bits, from its truth table.",
        "function": function,
        "truth_table": rows,
        "dataset": {"name": f"{path.name} ({function} truth table)", "points": 4,
                    "split": "train = evaluate = the four rows of the table (stored in truth_table)"},
        "training": {**base["training"], "finetune_epochs": epochs, "finetune_seed": seed,
                     "finetune_starts": starts_made, "finetune_seconds": clock.seconds,
                     "environment": training.environment()},
        "card": {"tags": ["mlp", "boolean-function", "fine-tuned"]},
    }
    tuned = XorNet(model, config, out)
    config["metrics"] = {**evaluate_xor(tuned), "starts": starts_made}
    if config["metrics"]["accuracy"] < 1:
        raise ZooError(f"the network did not learn {function.upper()} in {starts_made} starts of {epochs} epochs; "
                       "nothing was written: try more --epochs or another -o seed=N.")
    kept = "from the base's weights" if starts_made == 1 else (
        f"from random weights (start {starts_made}): the base's weights could not learn it")
    config.update(lineage.record(
        art, data=[path], data_flags=[("--table", [path.name])], out=out, epochs=epochs, options={"seed": seed},
        before={f"table_{k}": v for k, v in before.items()},
        after={f"table_{k}": config["metrics"][k] for k in before},
        summary=f"learned {function.upper()} from its truth table, {kept}"))
    body = f"""
Fine-tuned from **{base['name']}** on the truth table `{path.name}` ({function.upper()}), {epochs} passes of
Adam({learning_rate}) on the mean squared error, {kept}.

```
{tuned.truth_table()}
```

The table is stored in zoo.json (`truth_table`), so `zoo eval` re-measures the accuracy on it.

![decision regions](decision_regions.png)

![training curve](training_curve.png)
"""
    plots = {"decision_regions.png": mlp.plot_decision_regions(model, f"{config['name']}: output over the unit square",
                                                               targets, function.upper()),
             "training_curve.png": training.plot_history(history, f"{config['name']} fine-tuning loss (MSE)",
                                                         epoch_size=passes)}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)
