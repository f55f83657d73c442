"""The feed-forward family's artifact classes: XorNet (mlp-xor) and Perceptron (perceptron-and,
perceptron-or). Light: numpy and the zoo's light modules only; the Keras model they wrap is
built by mlp.py and perceptron.py and handed in by zoo.load.
"""

from __future__ import annotations

import numpy as np

from zoo.artifacts import Artifact
from zoo.cli_types import BIT
from zoo.errors import InvalidInputError
from zoo.families.feedforward.gates import XOR_INPUTS, XOR_TARGETS, step
from zoo.hooks import Argument, DemoSection, FinetuneData, Task, Verb


# Both networks of the family answer the same task and learn from the same kind of data.
CLASSIFY_BITS = Task("tabular-classification", run="zoo.families.feedforward.serving:classify",
                     request="zoo.families.feedforward.serving:ClassificationRequest", widget="two-bits",
                     description="a pair of bits [x1, x2] (or a list of pairs) -> both labels, best first")
TRUTH_TABLE = FinetuneData("table", "FILE.csv", "a truth table: x1,x2,y rows of 0 and 1")


class XorNet(Artifact):
    """A trained XOR network. `predict([[0, 1]])` gives the real-valued output; `classify` the bit."""

    config_schema = "zoo.families.feedforward.schema:MlpXorMetadata"
    tasks = (CLASSIFY_BITS,)

    demo_section = DemoSection("zoo.families.feedforward.demo:xor", order=60)
    finetune_data = TRUTH_TABLE
    cli_verbs = (
        Verb("xor", run="zoo.families.feedforward.commands:xor", help="run the XOR network on a pair of bits",
             description="Print the XOR network's output for x1 x2 (each 0 or 1), or its whole truth table.",
             arguments=(
                 Argument("bits", nargs="*", type=BIT, help="two bits, e.g. 0 1 (omit for the truth table)"),
                 Argument("--model", default="mlp-xor", help="artifact name or folder (default: mlp-xor)"))),
    )

    def export_plan(self):
        from zoo.families.feedforward import export

        return export.xor_plan(self)

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype="float32")
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != 2:
            raise InvalidInputError(f"the XOR network takes pairs of inputs, shape (n, 2); got shape {x.shape}.")
        return np.asarray(self.model(x, training=False))[:, 0]

    def classify(self, x) -> np.ndarray:
        return (self.predict(x) > 0.5).astype(int)

    def targets(self) -> tuple[np.ndarray, str]:
        """The four outputs the network was trained for, and the function's name: XOR, or the
        truth table a fine-tuned network was given (its config's truth_table)."""
        rows = self.config.get("truth_table")
        if rows is None:
            return XOR_TARGETS, "XOR"
        return np.array([row[2] for row in rows], dtype="float32"), self.config.get("function", "target").upper()

    def truth_table(self) -> str:
        targets, label = self.targets()
        rows = [f"x1 x2 | output  class | {label}", "------+---------------+----"]
        for (a, b), out, cls, want in zip(XOR_INPUTS.astype(int), self.predict(XOR_INPUTS),
                                          self.classify(XOR_INPUTS), targets.astype(int)):
            shown = f"{out:7.4f}".replace("-0.0000", " 0.0000")  # no negative zero
            rows.append(f" {a}  {b} | {shown}  {cls}   |  {want}")
        return "\n".join(rows)


class Perceptron(Artifact):
    """A trained perceptron. `predict([[1, 1]])` gives the step output (0 or 1)."""

    config_schema = "zoo.families.feedforward.schema:PerceptronMetadata"
    tasks = (CLASSIFY_BITS,)

    demo_section = DemoSection("zoo.families.feedforward.demo:perceptrons", order=70)
    finetune_data = TRUTH_TABLE

    def export_plan(self):
        from zoo.families.feedforward import export

        return export.perceptron_plan(self)

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype="float32")
        if x.ndim == 1:
            x = x[None, :]
        expected = self.model.input_shape[-1]
        if x.ndim != 2 or x.shape[1] != expected:
            raise InvalidInputError(f"this perceptron takes rows of {expected} inputs; got shape {x.shape}.")
        return step(np.asarray(self.model(x))[:, 0])
