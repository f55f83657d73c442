"""`zoo export` for the feed-forward networks: the network itself, with the bits it reads
described (the base plan would only say "values") and a line or two of Python that runs it."""

from __future__ import annotations

from zoo.exporting import Plan, floats_input


def xor_plan(art) -> Plan:
    """mlp-xor: the 2-2-1 network; its real output, thresholded at 0.5 by the caller."""
    return Plan(art.model, [floats_input("x", (None, 2), "pairs of bits x1, x2 (0.0 or 1.0)", whole=True)],
                [{"name": "output", "shape": [None, 1], "what": "the network's real output; XOR is output > 0.5"}],
                "the 2-2-1 network itself",
                loop="y = run(x=np.array([[0, 1]], 'float32'))[:, 0]\nprint(int(y[0] > 0.5))  # 1")


def perceptron_plan(art) -> Plan:
    """The perceptron: its linear unit w . x + b; the step after it is the caller's."""
    n = int(art.model.inputs[0].shape[-1])
    return Plan(art.model, [floats_input("x", (None, n), "rows of 0/1 inputs", whole=True)],
                [{"name": "output", "shape": [None, 1], "what": "w . x + b; the perceptron's output is 1 where it is > 0"}],
                "the linear unit w . x + b (the step is applied after)",
                loop="z = run(x=np.array([[1, 1]], 'float32'))[:, 0]\nprint((z > 0).astype(int))")
