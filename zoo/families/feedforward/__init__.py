"""Feed-forward networks on two bits: Rosenblatt's perceptron, which learns AND and OR but not
XOR, and the 2-2-1 ReLU network of Goodfellow et al. (Deep Learning, 6.1), which learns XOR.

Registry names: architectures `mlp-xor` and `perceptron`; artifacts `mlp-xor`, `perceptron-and`
and `perceptron-or` (recipes/mlp_xor.py, recipes/perceptron_and.py, recipes/perceptron_or.py).

Files:
    mlp.py         build_mlp_xor, the linear model's failure on XOR, the decision-region plot (Keras)
    perceptron.py  build_perceptron, the perceptron rule, McCulloch-Pitts neurons (Keras)
    gates.py       truth tables of the sixteen two-input functions, linear separability (numpy)
    artifact.py    XorNet and Perceptron, the artifact classes (light: no Keras at import)
    schema.py      what their zoo.json must hold (pydantic)
    steps.py       the recipes' steps: truth-table files; the gates' metric, card and fine-tuning;
                   mlp-xor's training with restarts, metric, card and fine-tuning
"""
