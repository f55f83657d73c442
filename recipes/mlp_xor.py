"""Recipe: mlp-xor, the 2-2-1 ReLU network trained on the four XOR points.

Setup, data, model, train, evaluate, write, in that order. Run it with `zoo train mlp-xor`.

A 2-unit ReLU layer can die (both units output 0 on every point) from an unlucky start, and
then no amount of training helps; the recipe restarts from the next seed when that happens and
records how many starts it took.
"""

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


def fit_once(seed: int, epochs: int, out: Path):
    training.set_seed(seed)
    model = mlp.build_mlp_xor()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    history = model.fit(distribute.local_shard(mlp.XOR_INPUTS), distribute.local_shard(mlp.XOR_TARGETS),
                        batch_size=distribute.local_batch_size(4), epochs=epochs, verbose=0,
                        callbacks=training.resume_callbacks(out))
    return model, history.history


def evaluate(art, data_dir=None) -> dict:
    predictions = art.predict(mlp.XOR_INPUTS)
    return {"accuracy": float(np.mean((predictions > 0.5) == (mlp.XOR_TARGETS > 0.5))),
            "mse": float(np.mean((predictions - mlp.XOR_TARGETS) ** 2))}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    epochs = epochs or (20 if smoke else EPOCHS)
    with training.Stopwatch() as clock:
        for start in range(1 if smoke else MAX_STARTS):
            model, history = fit_once(seed + start, epochs, out)
            outputs = np.asarray(model(mlp.XOR_INPUTS))[:, 0]
            solved = np.all((outputs > 0.5) == (mlp.XOR_TARGETS > 0.5))
            training.log(f"start {start + 1}: loss {history['loss'][-1]:.5f}, "
                         f"{'all four points right' if solved else 'not solved, restarting'}")
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
             "training_curve.png": training.plot_history(history, "mlp-xor training loss (MSE)")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)
