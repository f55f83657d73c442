"""Recipe: perceptron-or, Rosenblatt's perceptron learning OR of two bits.

Setup, data, model, train, evaluate, write. The perceptron rule
(zoo.families.feedforward.perceptron.train_perceptron) on the four points of the truth table; OR is linearly
separable, so it converges in a few epochs. The card (zoo.families.feedforward.steps.write_gate)
sets it beside XOR, which the same rule never learns.

Fine-tuning (`zoo finetune perceptron-or --table nand.csv`) runs the same rule on the user's truth
table, from this artifact's weights; a table no line separates (XOR, XNOR) is refused before
training (zoo.families.feedforward.steps.finetune_gate).
"""

from pathlib import Path

from zoo import training
from zoo.families.feedforward import perceptron, steps
from zoo.families.feedforward.artifact import Perceptron
from zoo.families.feedforward.gates import GATES, TRUTH_INPUTS

NAME = "perceptron-or"
GATE = "or"
EPOCHS = 20


def evaluate(art, data_dir=None) -> dict:
    return steps.evaluate_gate(art)


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    # setup and data: the truth table's four rows
    epochs = epochs or (2 if smoke else EPOCHS)
    x, y = TRUTH_INPUTS, GATES[GATE]

    # model and training
    model = perceptron.build_perceptron()
    with training.Stopwatch() as clock:
        mistakes = perceptron.train_perceptron(model, x, y, epochs=epochs, seed=seed)

    # evaluate
    metrics = {**evaluate(Perceptron(model, {"gate": GATE}, out)),
               "epochs_to_converge": perceptron.epochs_to_converge(mistakes)}

    # write
    return steps.write_gate(out, model, mistakes, metrics, name=NAME, gate=GATE, epochs=epochs, seed=seed,
                            seconds=clock.seconds, recipe=f"recipes/{Path(__file__).name}")


def finetune(art, *, table, epochs: int = EPOCHS, out, seed: int = 0) -> Path:
    return steps.finetune_gate(art, table=table, epochs=epochs, out=out, seed=seed)
