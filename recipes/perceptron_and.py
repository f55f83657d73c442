"""Recipe: perceptron-and, Rosenblatt's perceptron learning AND of two bits.

The perceptron rule (zoo.models.perceptron.train_perceptron) on the four points of the truth
table; AND is linearly separable, so it converges in a few epochs.
"""

from zoo.models import perceptron

NAME = "perceptron-and"


def train(out, *, smoke=False, epochs=None, seed=0, data_dir=None):
    return perceptron.train_gate_recipe("and", out, smoke=smoke, epochs=epochs, seed=seed)


def evaluate(art, data_dir=None) -> dict:
    return perceptron.evaluate_gate(art)
