"""The feed-forward network that learns XOR (Goodfellow, Bengio & Courville, Deep Learning,
2016, section 6.1).

XOR is the classic function a linear model cannot represent: least squares on the four points
gives w = 0, b = 0.5, the same answer, 0.5, everywhere. One hidden layer of two ReLU units is
enough: the book's hand-set solution maps the four points to a space where they are linearly
separable.

    h = relu(x @ W + c)        W = [[1, 1], [1, 1]], c = [0, -1]
    y = h @ w + b              w = [1, -2],          b = 0
"""

from __future__ import annotations

import numpy as np

import keras
from zoo.errors import InvalidInputError
from zoo.families.feedforward.gates import XOR_INPUTS, XOR_TARGETS

# The book's hand-set weights, in Keras's layout: a Dense kernel is (inputs, outputs).
GOODFELLOW_WEIGHTS = {
    "W": np.array([[1, 1], [1, 1]], dtype="float32"),
    "c": np.array([0, -1], dtype="float32"),
    "w": np.array([[1], [-2]], dtype="float32"),
    "b": np.array([0], dtype="float32"),
}
NAMED_WEIGHTS = {"goodfellow": GOODFELLOW_WEIGHTS}


def build_mlp_xor(hidden_units: int = 2, activation: str = "relu", weights: str | None = None):
    """The 2-2-1 network: Dense(2, relu) then a linear Dense(1), as in the book.

    weights="goodfellow" sets the book's hand-set solution (exact outputs [0, 1, 1, 0]).
    """
    inputs = keras.Input(shape=(2,), name="x")
    hidden = keras.layers.Dense(hidden_units, activation=activation, name="hidden")(inputs)
    output = keras.layers.Dense(1, name="output")(hidden)
    model = keras.Model(inputs, output, name="mlp_xor")
    if weights is not None:
        if weights not in NAMED_WEIGHTS:
            raise InvalidInputError(f"unknown weight set {weights!r}; choose one of {sorted(NAMED_WEIGHTS)}.")
        if hidden_units != 2:
            raise InvalidInputError("the goodfellow weights are for hidden_units=2.")
        named = NAMED_WEIGHTS[weights]
        model.get_layer("hidden").set_weights([named["W"], named["c"]])
        model.get_layer("output").set_weights([named["w"], named["b"]])
    return model


def hidden_activations(model, x) -> tuple[np.ndarray, np.ndarray]:
    """The hidden layer's pre-activations x @ W + c and its ReLU outputs, for the worked example."""
    kernel, bias = model.get_layer("hidden").get_weights()
    pre = np.asarray(x, dtype="float32") @ kernel + bias
    return pre, np.maximum(pre, 0)


# -------------------------------------------------------------- the linear model's failure


def fit_linear_least_squares(x=XOR_INPUTS, y=XOR_TARGETS) -> tuple[np.ndarray, float]:
    """Closed form: solve the normal equations (X^T X) theta = X^T y with a bias column.
    On XOR the answer is w = [0, 0], b = 0.5."""
    design = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype("float64")
    theta = np.linalg.solve(design.T @ design, design.T @ y.astype("float64"))
    return theta[:-1], float(theta[-1])


def fit_linear_gradient_descent(x=XOR_INPUTS, y=XOR_TARGETS, epochs: int = 2000,
                                learning_rate: float = 0.2, seed: int = 0) -> tuple[np.ndarray, float]:
    """The same linear model trained by full-batch gradient descent on the mean squared error;
    it converges to the least-squares answer, so it fails on XOR in the same way."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    # One full-batch step per repetition of the four points: `epochs` steps in a single fit
    # call (many one-step epochs would spend their time in Keras's per-epoch overhead).
    model.fit(np.tile(x, (epochs, 1)), np.tile(y, epochs), batch_size=len(x), epochs=1,
              shuffle=False, verbose=0)
    kernel, bias = model.layers[-1].get_weights()
    return kernel[:, 0], float(bias[0])


def plot_decision_regions(model, title: str, targets=XOR_TARGETS, label: str = "XOR"):
    """The network's output over the unit square, with the four points (of XOR, or `targets`) on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(-0.25, 1.25, 151, dtype="float32")
    xx, yy = np.meshgrid(grid, grid)
    zz = np.asarray(model(np.stack([xx.ravel(), yy.ravel()], axis=1)))[:, 0].reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    mesh = ax.contourf(xx, yy, zz, levels=20, cmap="RdBu_r", vmin=-0.5, vmax=1.5)
    ax.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1.5)  # the decision boundary
    for target, colour in ((0, "tab:blue"), (1, "tab:red")):
        points = XOR_INPUTS[np.asarray(targets) == target]
        ax.scatter(points[:, 0], points[:, 1], color=colour, edgecolors="k", s=140, zorder=3,
                   label=f"{label} = {target}")
    ax.legend(loc="center", fontsize=8, framealpha=0.9)
    fig.colorbar(mesh, ax=ax, label="network output")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    fig.tight_layout()
    return fig
