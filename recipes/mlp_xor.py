"""Recipe: mlp-xor, the 2-2-1 ReLU network trained on the four XOR points.

Setup, data, model, train, evaluate, write, in that order. Run it with `zoo train mlp-xor`.

A 2-unit ReLU layer can die (both units output 0 on every point) from an unlucky start, and
then no amount of training helps; the recipe restarts from the next seed when that happens and
records how many starts it took. An interrupted run resumes in the start it was in, at the
fit's last checkpoint, and ends as an uninterrupted run would.

Fine-tuning (`zoo finetune mlp-xor --table nand.csv`) learns any two-input boolean function from
its truth table, starting from this artifact's weights; when those cannot learn it (XOR's hidden
units are both off at 00 and 11, so no gradient can tell those two apart, as AND needs), it
restarts from random weights as training does. The table is stored in the new artifact's config,
so `zoo eval` re-measures the accuracy on it.
"""

import math
from pathlib import Path

import numpy as np

import keras
from zoo import distribute, lineage, training
from zoo.errors import ZooError
from zoo.artifacts import save_artifact
from zoo.families.feedforward import mlp
from zoo.families.feedforward.artifact import XorNet
from zoo.families.feedforward.gates import XOR_INPUTS, XOR_TARGETS, function_name
from zoo.families.feedforward.steps import read_truth_table, table_rows

NAME = "mlp-xor"
EPOCHS = 400
LEARNING_RATE = 0.05
MAX_STARTS = 20
# Passes over the four points (steps) in one epoch of Keras's fit. A fit epoch costs tens of
# milliseconds of its own (metrics, callbacks, and on TensorFlow a new data iterator), a step of
# this network about one: 400 one-pass epochs took most of a minute a start. 20 fit epochs of 20
# passes take a second or two, and the history still has a point every 20 passes.
PASSES_PER_FIT_EPOCH = 20


def fit_once(seed: int, epochs: int, out: Path, label: str, targets=XOR_TARGETS, weights=None):
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
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
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


def fit_with_restarts(out: Path, *, epochs: int, seed: int, starts: int, smoke: bool = False,
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
        model, history, passes = fit_once(seed + start, epochs, out, label, targets, weights)
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


def evaluate(art, data_dir=None) -> dict:
    """Accuracy and mean squared error on the four points of XOR (of the truth table a fine-tuned
    network was given, which its config stores)."""
    targets, _ = art.targets()
    predictions = art.predict(XOR_INPUTS)
    return {"accuracy": float(np.mean((predictions > 0.5) == (targets > 0.5))),
            "mse": float(np.mean((predictions - targets) ** 2))}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    epochs = epochs or (20 if smoke else EPOCHS)
    starts = 1 if smoke else MAX_STARTS  # a smoke run only checks that the recipe runs
    with training.Stopwatch() as clock:
        model, history, passes, starts_made = fit_with_restarts(out, epochs=epochs, seed=seed, starts=starts,
                                                                smoke=smoke)

    art = XorNet(model, {}, out)
    metrics = {**evaluate(art), "starts": starts_made}
    hidden_w, hidden_c = model.get_layer("hidden").get_weights()
    out_w, out_b = model.get_layer("output").get_weights()
    config = {
        "name": NAME,
        "architecture": "mlp-xor",
        "description": "The feed-forward network that learns XOR (Goodfellow et al., Deep Learning, ch. 6.1): "
                       "two inputs, two ReLU hidden units, one linear output, trained on the four XOR points.",
        "recipe": "recipes/mlp_xor.py",
        "hparams": {"hidden_units": 2, "activation": "relu"},
        "dataset": {"name": "xor", "points": 4, "split": "train = evaluate = the four points of the truth table"},
        "metrics": metrics,
        "training": {"epochs": epochs, "optimizer": f"Adam({LEARNING_RATE})", "loss": "mse", "seed": seed,
                     "seconds": clock.seconds, "environment": training.environment()},
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


def finetune(art, *, table, epochs: int = EPOCHS, out, seed: int = 0) -> Path:
    """Learn the two-input boolean function of a truth table (CSV rows x1,x2,y) and write a new
    artifact folder at `out`; the first start is from `art`'s weights (the base is not changed)."""
    path = Path(table)
    targets = read_truth_table(path)
    rows, function = table_rows(targets), function_name(targets)
    before = evaluate(XorNet(art.model, {**art.config, "truth_table": rows}, art.folder))
    with training.Stopwatch() as clock:
        model, history, passes, starts_made = fit_with_restarts(
            out, epochs=epochs, seed=seed, starts=MAX_STARTS, targets=targets, base_weights=art.model.get_weights(),
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
    config["metrics"] = {**evaluate(tuned), "starts": starts_made}
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
Adam({LEARNING_RATE}) on the mean squared error, {kept}.

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
