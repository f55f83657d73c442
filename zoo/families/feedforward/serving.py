"""What `zoo serve` answers for the feedforward classifiers, mlp-xor and the perceptrons (the task
XorNet and Perceptron declare; the run signature is in zoo/server_tasks.py):

    tabular-classification  {"inputs": [1, 0]} (or a list of rows) -> per row, both labels best
                            first: [{"label": "1", "score": 0.98, "output": 0.98}, {"label": "0", ...}]
"""

from __future__ import annotations

from pydantic import Field

from zoo.server_tasks import MAX_ROWS, ApiError, Strict

MAX_INPUT = 1e6                # the inputs are bits; far larger ones overflow float32


class ClassificationRequest(Strict):
    inputs: list[float] | list[list[float]] = Field(..., examples=[[1, 0]])


def classify(served, request: ClassificationRequest, http):
    import numpy as np

    inputs = request.inputs
    single = not inputs or not isinstance(inputs[0], list)
    rows = [inputs] if single else inputs
    # Each row checked before numpy sees them: ragged rows ([[1, 0], [1]]) are no array.
    if not 1 <= len(rows) <= MAX_ROWS or any(len(row) != 2 for row in rows):
        raise ApiError(422, f"give a pair of inputs [x1, x2] (or up to {MAX_ROWS} such rows, each a pair).")
    rows = np.asarray(rows, dtype="float64")
    if not (np.abs(rows) <= MAX_INPUT).all():  # (NaN fails this too)
        raise ApiError(422, f"the inputs must be finite numbers between -{MAX_INPUT:g} and {MAX_INPUT:g} "
                            "(the classifiers take bits, 0 and 1).")
    outputs = np.asarray(served.art.predict(rows.astype("float32")), dtype="float64")
    if not np.isfinite(outputs).all():
        raise ApiError(422, "the model's output is not a finite number for these inputs.")
    results = []
    for out in outputs:
        p1 = float(np.clip(out, 0.0, 1.0))  # the perceptron's step is 0 or 1; the MLP's output is real
        labels = sorted([{"label": "1", "score": round(p1, 6)}, {"label": "0", "score": round(1 - p1, 6)}],
                        key=lambda r: -r["score"])
        results.append([{**label, "output": round(float(out), 6)} for label in labels])
    return results[0] if single else results
