"""Before back-propagation: the McCulloch-Pitts neuron (1943) and Rosenblatt's perceptron (1958).

A McCulloch-Pitts neuron fires when the weighted sum of its binary inputs reaches a threshold;
its weights are set by hand. AND, OR and NOT are single neurons:

    AND: weights [1, 1], threshold 2      OR: weights [1, 1], threshold 1      NOT: weight [-1], threshold 0

Rosenblatt's perceptron learns the weights. It predicts step(w . x + b) and, after each example,
moves the weights by the error:

    w <- w + lr * (y - y_hat) * x        b <- b + lr * (y - y_hat)

The perceptron convergence theorem: on linearly separable data (AND, OR) this stops making
mistakes after finitely many updates. XOR is not linearly separable, so it never does (Minsky &
Papert, 1969) — which is what mlp-xor's hidden layer fixes.

The Keras model is a Dense(1) layer computing w . x + b; the step is applied when predicting.
"""

from __future__ import annotations

import numpy as np

import keras
from zoo.families.feedforward.gates import GATES, TRUTH_INPUTS, step

# McCulloch-Pitts neurons: (weights, threshold) set by hand.
MCCULLOCH_PITTS = {
    "and": ([1, 1], 2),
    "or": ([1, 1], 1),
    "not": ([-1], 0),
}


def mcculloch_pitts(x, weights, threshold) -> np.ndarray:
    """Fire (1) when the weighted sum of the binary inputs reaches the threshold."""
    x = np.asarray(x, dtype="float32")
    return (x @ np.asarray(weights, dtype="float32") >= threshold).astype(int)


def build_perceptron(inputs: int = 2):
    """A single linear unit, w . x + b; the perceptron's step is applied by `step`."""
    x = keras.Input(shape=(inputs,), name="x")
    return keras.Model(x, keras.layers.Dense(1, kernel_initializer="zeros", name="unit")(x), name="perceptron")


def train_perceptron(model, x, y, epochs: int = 20, learning_rate: float = 1.0, seed: int = 0):
    """Rosenblatt's learning rule, one example at a time in a shuffled order each epoch.
    Returns the number of mistakes in each epoch (0 once the data are separated)."""
    rng = np.random.default_rng(seed)
    layer = model.get_layer("unit")
    w, b = (np.array(v, dtype="float64") for v in layer.get_weights())
    mistakes = []
    for _ in range(epochs):
        errors = 0
        for i in rng.permutation(len(x)):
            error = y[i] - step(x[i] @ w[:, 0] + b[0])
            if error:
                w[:, 0] += learning_rate * error * x[i]
                b[0] += learning_rate * error
                errors += 1
        mistakes.append(errors)
    layer.set_weights([w.astype("float32"), b.astype("float32")])
    return mistakes


def epochs_to_converge(mistakes: list[int]) -> int:
    """The first epoch (from 1) without a mistake in train_perceptron's record, or -1 if none was."""
    return next((i + 1 for i, m in enumerate(mistakes) if m == 0), -1)


def plot_boundary(model, gate: str, title: str, targets=None):
    """The learned line w . x + b = 0 and the four points (labelled by `targets`, default the gate's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w, b = model.get_layer("unit").get_weights()
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    targets = GATES[gate] if targets is None else np.asarray(targets)
    for target, colour in ((0, "tab:blue"), (1, "tab:red")):
        points = TRUTH_INPUTS[targets == target]
        ax.scatter(points[:, 0], points[:, 1], color=colour, edgecolors="k", s=120, label=f"{gate.upper()} = {target}")
    xs = np.linspace(-0.5, 1.5, 10)
    if abs(w[1, 0]) > 1e-12:
        ax.plot(xs, -(w[0, 0] * xs + b[0]) / w[1, 0], "k-", label="w.x + b = 0")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
