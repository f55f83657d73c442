"""The feed-forward networks' part of `zoo demo`: the XOR network's truth table, then the
perceptrons' AND and OR with the weights they learned."""

from __future__ import annotations

import zoo
from zoo import demo

BITS = [[0, 0], [0, 1], [1, 0], [1, 1]]


def xor(out) -> None:
    demo.header("mlp-xor", "the network that learns XOR (Goodfellow et al., Deep Learning, 6.1)")
    demo.say(*("   " + row for row in zoo.load("mlp-xor").truth_table().splitlines()))
    demo.run_alone("zoo xor")


def perceptrons(out) -> None:
    demo.header("perceptron-and, perceptron-or", "Rosenblatt's perceptron learns AND and OR (but never XOR)")
    gates = {gate: zoo.load(f"perceptron-{gate}") for gate in ("and", "or")}
    outputs = {gate: art.predict(BITS) for gate, art in gates.items()}
    demo.say("   x1 x2 | AND  OR")
    for i, (a, b) in enumerate(BITS):
        demo.say(f"    {a}  {b} |  {outputs['and'][i]}    {outputs['or'][i]}")
    learned = []
    for gate, art in gates.items():
        w, b = art.model.get_layer("unit").get_weights()
        learned.append(f"{gate.upper()} w = [{w[0, 0]:g}, {w[1, 0]:g}], b = {b[0]:g}")
    demo.say("   learned: step(w . x + b) with " + "; ".join(learned))
    demo.run_alone("python -c \"import zoo; [print(g, zoo.load('perceptron-' + g).predict("
                   "[[0,0],[0,1],[1,0],[1,1]])) for g in ('and', 'or')]\"")
