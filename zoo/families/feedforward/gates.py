"""Two-input boolean functions as data: the four input pairs, the outputs of AND, OR, XOR and the
other thirteen, their names, and whether a line separates them. Numpy only (scipy inside
separating_line), so the artifact classes and `zoo finetune --table` read them without Keras.
"""

from __future__ import annotations

import numpy as np

# The four input pairs, in the order every truth table here lists them: 00, 01, 10, 11.
TRUTH_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
XOR_TARGETS = np.array([0, 1, 1, 0], dtype="float32")
GATES = {
    "and": np.array([0, 0, 0, 1], dtype="float32"),
    "or": np.array([0, 1, 1, 1], dtype="float32"),
    "xor": np.array([0, 1, 1, 0], dtype="float32"),
}

# All sixteen functions of two bits, by their outputs on TRUTH_INPUTS' rows (00, 01, 10, 11).
# Fourteen are linearly separable; XOR and XNOR are not.
TWO_INPUT_FUNCTIONS = {
    "false": (0, 0, 0, 0), "and": (0, 0, 0, 1), "x1-and-not-x2": (0, 0, 1, 0), "x1": (0, 0, 1, 1),
    "not-x1-and-x2": (0, 1, 0, 0), "x2": (0, 1, 0, 1), "xor": (0, 1, 1, 0), "or": (0, 1, 1, 1),
    "nor": (1, 0, 0, 0), "xnor": (1, 0, 0, 1), "not-x2": (1, 0, 1, 0), "x1-or-not-x2": (1, 0, 1, 1),
    "not-x1": (1, 1, 0, 0), "not-x1-or-x2": (1, 1, 0, 1), "nand": (1, 1, 1, 0), "true": (1, 1, 1, 1),
}


def function_name(targets) -> str:
    """The name of a two-input function given its four outputs (see TWO_INPUT_FUNCTIONS)."""
    outputs = tuple(int(v) for v in np.asarray(targets).ravel())
    return next(name for name, values in TWO_INPUT_FUNCTIONS.items() if values == outputs)


def separating_line(x, y) -> tuple[np.ndarray, float] | None:
    """Weights w, b with step(w . x + b) == y on every row, or None when no line separates the
    rows labelled 1 from those labelled 0.

    A linear program decides it: find w, b with (2y - 1)(w . x + b) >= 1 for every row. It is
    feasible exactly when the two classes are linearly separable (scale any strict separator
    until its margin is 1), which is when the perceptron rule is guaranteed to converge.
    """
    from scipy.optimize import linprog

    x = np.asarray(x, dtype="float64")
    sign = 2 * np.asarray(y, dtype="float64") - 1
    design = np.hstack([x, np.ones((len(x), 1))])
    result = linprog(np.zeros(design.shape[1]), A_ub=-sign[:, None] * design, b_ub=-np.ones(len(x)),
                     bounds=[(None, None)] * design.shape[1], method="highs")
    if result.status != 0:
        return None
    return result.x[:-1], float(result.x[-1])


def step(z) -> np.ndarray:
    """The perceptron's output: 1 where w . x + b > 0, else 0."""
    return (np.asarray(z) > 0).astype(int)
