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

The steps it calls (restarts, metric, card, fine-tuning): zoo.families.feedforward.steps.
"""

from pathlib import Path

from zoo import training
from zoo.families.feedforward import steps
from zoo.families.feedforward.artifact import XorNet

NAME = "mlp-xor"
EPOCHS = 400
LEARNING_RATE = 0.05
MAX_STARTS = 20


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    # ---- setup (the data is the four points of XOR, zoo.families.feedforward.gates)
    epochs = epochs or (20 if smoke else EPOCHS)
    starts = 1 if smoke else MAX_STARTS  # a smoke run only checks that the recipe runs

    # ---- model and training: starts from the next seed until all four points are right
    with training.Stopwatch() as clock:
        model, history, passes, starts_made = steps.fit_with_restarts(out, epochs=epochs, seed=seed, starts=starts,
                                                                      learning_rate=LEARNING_RATE, smoke=smoke)

    # ---- evaluate
    metrics = {**steps.evaluate_xor(XorNet(model, {}, out)), "starts": starts_made}

    # ---- write: the card (the learned weights, the book's, the best linear model), the plots
    return steps.write_xor(out, model, history, passes, metrics, name=NAME, epochs=epochs, seed=seed,
                           learning_rate=LEARNING_RATE, seconds=clock.seconds, recipe="recipes/mlp_xor.py")


def evaluate(art, data_dir=None) -> dict:
    """Accuracy and mean squared error on the four points of XOR (of the truth table a fine-tuned
    network was given, which its config stores)."""
    return steps.evaluate_xor(art)


def finetune(art, *, table, epochs: int = EPOCHS, out, seed: int = 0) -> Path:
    """Learn the two-input boolean function of a truth table (CSV rows x1,x2,y) and write a new
    artifact folder at `out`; the first start is from `art`'s weights (the base is not changed)."""
    return steps.finetune_xor(art, table=table, epochs=epochs, out=out, seed=seed, learning_rate=LEARNING_RATE,
                              starts=MAX_STARTS)
