"""mlp-xor against the book's closed-form numbers."""

import numpy as np
import pytest

import zoo
from zoo.models import mlp


def test_goodfellow_worked_example_exactly():
    model = zoo.build("mlp-xor", weights="goodfellow")
    pre, hidden = mlp.hidden_activations(model, mlp.XOR_INPUTS)
    np.testing.assert_array_equal(pre, [[0, -1], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(hidden, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(np.asarray(model(mlp.XOR_INPUTS))[:, 0], [0, 1, 1, 0])


def test_unknown_weight_set():
    with pytest.raises(zoo.InvalidInputError, match="goodfellow"):
        zoo.build("mlp-xor", weights="hinton")


def test_linear_least_squares_fails_on_xor():
    w, b = mlp.fit_linear_least_squares()
    np.testing.assert_allclose(w, [0, 0], atol=1e-12)
    assert b == pytest.approx(0.5, abs=1e-12)


def test_linear_gradient_descent_converges_to_least_squares():
    w, b = mlp.fit_linear_gradient_descent(epochs=1500)
    np.testing.assert_allclose(w, [0, 0], atol=1e-4)
    assert b == pytest.approx(0.5, abs=1e-4)


def test_pretrained_classifies_all_four_points():
    art = zoo.load("mlp-xor")
    np.testing.assert_array_equal(art.classify(mlp.XOR_INPUTS), [0, 1, 1, 0])
    assert art.predict([[0, 1]]).shape == (1,)
    assert "decision regions" in art.card


def test_predict_rejects_wrong_shapes():
    art = zoo.load("mlp-xor")
    with pytest.raises(zoo.InvalidInputError, match=r"\(n, 2\)"):
        art.predict([[0, 1, 1]])


def test_cli_xor(cli):
    code, out, _ = cli("xor", "1", "0")
    assert code == 0 and out.strip().endswith("-> 1")
    code, out, _ = cli("xor")
    assert code == 0 and "x1 x2" in out
    code, _, err = cli("xor", "1")
    assert code == 2 and "exactly two" in err
