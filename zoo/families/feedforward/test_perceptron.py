"""The McCulloch-Pitts neuron and Rosenblatt's perceptron: AND and OR yes, XOR no."""

import numpy as np
import pytest

import zoo
from zoo.families.feedforward import perceptron as p


@pytest.mark.parametrize("gate", ["and", "or"])
def test_mcculloch_pitts_gates(gate):
    weights, threshold = p.MCCULLOCH_PITTS[gate]
    np.testing.assert_array_equal(p.mcculloch_pitts(p.TRUTH_INPUTS, weights, threshold), p.GATES[gate])


def test_mcculloch_pitts_not():
    weights, threshold = p.MCCULLOCH_PITTS["not"]
    np.testing.assert_array_equal(p.mcculloch_pitts([[0], [1]], weights, threshold), [1, 0])


@pytest.mark.parametrize("gate", ["and", "or"])
def test_perceptron_rule_learns_separable_gates(gate):
    model = p.build_perceptron()
    mistakes = p.train_perceptron(model, p.TRUTH_INPUTS, p.GATES[gate], epochs=20)
    assert mistakes[-1] == 0
    np.testing.assert_array_equal(p.step(np.asarray(model(p.TRUTH_INPUTS))[:, 0]), p.GATES[gate])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_rule_cannot_learn_xor(seed):
    model = p.build_perceptron()
    mistakes = p.train_perceptron(model, p.TRUTH_INPUTS, p.GATES["xor"], epochs=50, seed=seed)
    assert min(mistakes) > 0  # never a clean epoch
    assert np.any(p.step(np.asarray(model(p.TRUTH_INPUTS))[:, 0]) != p.GATES["xor"])


@pytest.mark.parametrize("gate", ["and", "or"])
def test_pretrained_perceptrons(gate):
    art = zoo.load(f"perceptron-{gate}")
    np.testing.assert_array_equal(art.predict(p.TRUTH_INPUTS), p.GATES[gate])
    with pytest.raises(zoo.InvalidInputError, match="2 inputs"):
        art.predict([[1, 0, 1]])
