"""char-rnn: a character-level language model (Karpathy, "The Unreasonable Effectiveness of
Recurrent Neural Networks", 2015), trained on Shakespeare.

The network reads one character at a time and predicts the next:

    characters -> Embedding -> LSTM (or GRU) x layers -> Dense(vocab) -> logits of the next character

Trained on windows of text with cross-entropy, its loss is measured in nats per character
(divide by ln 2 for bits per character).

This module holds the network and its plots; the artifact (`CharRNN`, artifact.py) generates
and scores with the same recurrence in plain numpy on the model's own weights (numpy_step.py).
"""

from __future__ import annotations

import numpy as np

import keras
from zoo.errors import InvalidInputError

CELLS = ("lstm", "gru")


def build_charrnn(vocab_size: int = 65, units: int = 512, layers: int = 2, cell: str = "lstm",
                  dropout: float = 0.3, embedding_dim: int = 64):
    """The char-rnn network: token ids (batch, time) -> next-character logits (batch, time, vocab).

    Dropout sits between the layers (on the embedding and on each recurrent layer's outputs),
    not inside the recurrent cells, so that the cells keep their fast fused implementation (cuDNN
    on a GPU).
    """
    if cell not in CELLS:
        raise InvalidInputError(f"cell must be one of {', '.join(CELLS)}; got {cell!r}.")
    for label, value in (("vocab_size", vocab_size), ("units", units), ("layers", layers),
                         ("embedding_dim", embedding_dim)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"{label} must be a positive integer; got {value!r}.")
    if not 0 <= dropout < 1:
        raise InvalidInputError(f"dropout must be in [0, 1); got {dropout!r}.")
    recurrent = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]

    inputs = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(layers):
        x = recurrent(units, return_sequences=True, name=f"{cell}_{i + 1}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(inputs, logits, name="charrnn")


def hparams_of(model) -> dict:
    """Read the hyper-parameters back from a built model (used when fine-tuning)."""
    recurrent = [layer for layer in model.layers if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU))]
    embedding = model.get_layer("embedding")
    dropouts = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    return {"vocab_size": int(embedding.input_dim), "units": int(recurrent[0].units), "layers": len(recurrent),
            "cell": "lstm" if isinstance(recurrent[0], keras.layers.LSTM) else "gru",
            "dropout": float(dropouts[0]) if dropouts else 0.0, "embedding_dim": int(embedding.output_dim)}

def build_step(model):
    """One step of a trained network, for export: (token, h_1, c_1, h_2, ...) -> {"log_probs",
    "h_1_next", ...}: the character's embedding through each layer's cell (copied from the
    trained layer), the logits, log_softmax. The LSTM's state is h and c per layer, the GRU's h."""
    from zoo.exporting import copy_cell

    hp = hparams_of(model)
    token = keras.Input(shape=(), dtype="int32", name="token")
    x, inputs, outputs = model.get_layer("embedding")(token), [token], {}
    for i in range(1, hp["layers"] + 1):
        names = [f"h_{i}", f"c_{i}"] if hp["cell"] == "lstm" else [f"h_{i}"]
        states = [keras.Input(shape=(hp["units"],), name=name) for name in names]
        x, new_states = copy_cell(model.get_layer(f"{hp['cell']}_{i}"), f"{hp['cell']}_{i}_step")(x, states, training=False)
        inputs += states
        outputs.update({f"{name}_next": state for name, state in zip(names, new_states)})
    outputs["log_probs"] = keras.layers.Activation("log_softmax", name="log_probs")(model.get_layer("logits")(x))
    return keras.Model(inputs, outputs, name="charrnn_step")


# ---------------------------------------------------------------------------------- plots


def plot_curve(history: dict, title: str, target: float | None = None, restarts: list[int] = (),
               streamed: float | None = None):
    """Training and validation loss per epoch, in nats/char, with the target as a line and the
    epochs where the learning rate restarted as dotted verticals. The right panel zooms in on
    the later epochs, where the differences that matter are hundredths of a nat. `streamed`:
    the kept model's loss on the validation text read as one stream, drawn as a star."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    zoom_from = max(1, len(epochs) // 3)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for ax, first in zip(axes, (1, zoom_from)):
        shown = epochs >= first
        ax.plot(epochs[shown], np.asarray(history["loss"])[shown], "-o", ms=3, label="train (with dropout)")
        if "val_loss" in history:
            val = np.asarray(history["val_loss"])
            ax.plot(epochs[shown], val[shown], "--o", ms=3, label="validation (windows)")
            best = int(np.argmin(val))
            ax.scatter([best + 1], [val[best]], s=80, facecolors="none", edgecolors="k",
                       label=f"kept: epoch {best + 1}")
            if streamed is not None:
                ax.scatter([best + 1], [streamed], s=90, marker="*", color="tab:green",
                           label=f"kept, read as one stream: {streamed:.4f}")
        if target is not None:
            ax.axhline(target, color="grey", lw=1, ls=":", label=f"target {target}")
        for epoch in restarts:
            ax.axvline(epoch + 0.5, color="tab:red", lw=1, ls=":", alpha=0.6)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("loss (nats/char)")
    axes[0].set_title(title, fontsize=10)
    axes[1].set_title(f"epochs {zoom_from} and after" + (" (red: learning-rate restart)" if restarts else ""),
                      fontsize=10)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
