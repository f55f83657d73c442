"""Recipe: mlp-xor, the 2-2-1 ReLU network trained on the four XOR points.

Setup, data, model, train, evaluate, write, in that order. Run it with `zoo train mlp-xor`.

A 2-unit ReLU layer can die (both units output 0 on every point) from an unlucky start, and
then no amount of training helps; the recipe restarts from the next seed when that happens and
records how many starts it took. An interrupted run resumes in the start it was in, at the
fit's last checkpoint, and ends as an uninterrupted run would.
"""

import math
from pathlib import Path

import numpy as np

import keras
from zoo import distribute, training
from zoo.artifacts import save_artifact
from zoo.models import mlp

NAME = "mlp-xor"
EPOCHS = 400
LEARNING_RATE = 0.05
MAX_STARTS = 20
# Passes over the four points (steps) in one epoch of Keras's fit. A fit epoch costs tens of
# milliseconds of its own (metrics, callbacks, and on TensorFlow a new data iterator), a step of
# this network about one: 400 one-pass epochs took most of a minute a start. 20 fit epochs of 20
# passes take a second or two, and the history still has a point every 20 passes.
PASSES_PER_FIT_EPOCH = 20


def fit_once(seed: int, epochs: int, out: Path, label: str):
    """One start: `epochs` full-batch passes of Adam from the initialisation of `seed`.
    Returns the model, the history (one entry per fit epoch) and the passes in a fit epoch."""
    training.set_seed(seed)
    model = mlp.build_mlp_xor()
    passes = math.gcd(epochs, PASSES_PER_FIT_EPOCH)  # equal fit epochs, `epochs` passes in all
    # (Not steps_per_execution: it would save little more, and with --devices on TensorFlow
    # Keras 3.15 fails in it.)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    # Every batch is the four points in order. With the whole data set in one batch, shuffling
    # would change only the order of a sum, and its random order would differ after a resume.
    # All the passes are one array (1,600 rows for 400), read through one data iterator for the
    # whole fit (steps_per_epoch): a new iterator each fit epoch cost as much as the training.
    x, y = np.tile(mlp.XOR_INPUTS, (epochs, 1)), np.tile(mlp.XOR_TARGETS, epochs)
    history = model.fit(distribute.local_shard(x), distribute.local_shard(y),
                        batch_size=distribute.local_batch_size(4), shuffle=False, verbose=0,
                        epochs=epochs // passes, steps_per_epoch=passes,
                        callbacks=[*training.resume_callbacks(out), training.Progress(label, passes)])
    return model, history.history, passes


def evaluate(art, data_dir=None) -> dict:
    predictions = art.predict(mlp.XOR_INPUTS)
    return {"accuracy": float(np.mean((predictions > 0.5) == (mlp.XOR_TARGETS > 0.5))),
            "mse": float(np.mean((predictions - mlp.XOR_TARGETS) ** 2))}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    epochs = epochs or (20 if smoke else EPOCHS)
    starts = 1 if smoke else MAX_STARTS  # a smoke run only checks that the recipe runs
    # The restart loop is part of the run's state: an interrupted run goes on in the start it was
    # in (each start re-seeds, so an earlier start would give a different network).
    settings = {"epochs": epochs, "seed": seed, "starts": starts}
    first = training.loop_state(out, settings).get("start", 0)
    with training.Stopwatch() as clock:
        for start in range(first, starts):
            training.save_loop_state(out, settings, {"start": start})
            model, history, passes = fit_once(seed + start, epochs, out, f"start {start + 1}")
            outputs = np.asarray(model(mlp.XOR_INPUTS))[:, 0]
            solved = np.all((outputs > 0.5) == (mlp.XOR_TARGETS > 0.5))
            if solved:
                outcome = "all four points right"
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

    art = mlp.XorNet(model, {}, out)
    metrics = {**evaluate(art), "starts": start + 1}
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
    table = mlp.XorNet(model, config, out).truth_table()
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
(`zoo.models.mlp.fit_linear_least_squares`; gradient descent converges to the same).

![decision regions](decision_regions.png)

![training curve](training_curve.png)
"""
    plots = {"decision_regions.png": mlp.plot_decision_regions(model, "mlp-xor: output over the unit square"),
             "training_curve.png": training.plot_history(history, "mlp-xor training loss (MSE)",
                                                         epoch_size=passes)}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)
