"""The feed-forward family's steps, which its recipes call: the perceptron gates' metric, card
and fine-tuning (perceptron-and, perceptron-or), and the reader of the truth tables a user
fine-tunes on (`zoo finetune NAME --table gate.csv`), which mlp-xor's recipe shares.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo import io, lineage, training  # zoo.training first: it imports the backend quietly
from zoo.artifacts import save_artifact
from zoo.errors import InvalidInputError
from zoo.families.feedforward import gates, perceptron
from zoo.families.feedforward.artifact import Perceptron

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
