"""Recurrent word-level language models: gru-lm and lstm-lm (Zaremba, Sutskever & Vinyals 2014,
"Recurrent Neural Network Regularization"; Press & Wolf 2017 for tied embeddings).

    x_t = E[w_t]                                  a shared embedding
    h_t = cell(x_t, h_{t-1})                      stacked GRU or LSTM layers, dropout between
    p(w_{t+1} | w_1..w_t) = softmax(h_t E^T + b)  tied: the output layer reuses E (or a Dense)

The cells are the talk's cells (tests/test_language_models.py checks one step of each against
numpy written from the equations, to 1e-5):

- GRU, TensorFlow's GRUCell: r, u = sigmoid([x, h] W_g + b_g);  c = tanh([x, r * h] W_c + b_c);
  new_h = u * h + (1 - u) * c. That is keras.layers.GRU with reset_after=False (the reset gate is
  applied to h *before* the matrix product); Keras's default, reset_after=True (cuDNN's form),
  applies it after and is a slightly different cell. Keras's kernel columns are [u, r, c].
- LSTM, TensorFlow's BasicLSTMCell: i, j, f, o = [x, h] W + b;
  new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j); new_h = tanh(new_c) * sigmoid(o),
  forget_bias = 1.0. keras.layers.LSTM computes the same with the forget bias inside b: Keras's
  b_f = BasicLSTMCell's b_f + 1.0, which unit_forget_bias=True sets at initialisation (b_f = 1,
  the rest 0: exactly BasicLSTMCell's zero-initialised bias plus its forget_bias). Keras's kernel
  columns are [i, f, j, o].

Training uses long windows (each starting from a zero state) over the training text read as one
stream, lines separated by </s>; evaluation scores every test token once, each window of scored
tokens preceded by a window of already-seen tokens as warm-up context (burn-in), so that no
prediction starts from an empty state (see `stream_log_probs` in artifact.py).
"""

from __future__ import annotations

import keras

from zoo.families.word_lm.layers import TiedEmbedding  # noqa: F401  (registered there; re-exported)


def build_rnn_lm(cell: str = "lstm", vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256,
                 layers: int = 1, dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                 recurrent_dropout: float = 0.0, name: str | None = None):
    """Embedding, `layers` stacked GRU/LSTM layers with dropout, softmax output (as logits).

    locked_dropout: drop the same units at every time step of a window (variational dropout,
    Gal & Ghahramani 2016; SpatialDropout1D) instead of a fresh mask at each step.
    recurrent_dropout: drop units of h_{t-1} on its way into the gates, with one mask for the whole
    window (Keras draws it once per batch: Gal & Ghahramani's variational recurrent dropout).
    """
    if cell not in ("gru", "lstm"):
        raise ValueError(f"cell is 'gru' or 'lstm', got {cell!r}")
    Drop = keras.layers.SpatialDropout1D if locked_dropout else keras.layers.Dropout
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    embedding = TiedEmbedding(vocab_size, embedding_dim, name="embedding")
    x = Drop(dropout, name="dropout_in")(embedding(tokens))
    for i in range(layers):
        if cell == "lstm":
            x = keras.layers.LSTM(units, return_sequences=True, unit_forget_bias=True,
                                  recurrent_dropout=recurrent_dropout, name=f"lstm_{i}")(x)
        else:
            x = keras.layers.GRU(units, return_sequences=True, reset_after=False,
                                 recurrent_dropout=recurrent_dropout, name=f"gru_{i}")(x)
        x = Drop(dropout, name=f"dropout_{i}")(x)
    if tie_embeddings:
        if units != embedding_dim:  # project to the embedding's size to reuse it
            x = keras.layers.Dense(embedding_dim, name="projection")(x)
        logits = embedding(x, reverse=True)
    else:
        logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(tokens, logits, name=name or f"{cell}_lm")


def build_lstm_lm(vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256, layers: int = 1,
                  dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                  recurrent_dropout: float = 0.0):
    return build_rnn_lm("lstm", vocab_size, embedding_dim, units, layers, dropout, tie_embeddings, locked_dropout,
                        recurrent_dropout)


def build_gru_lm(vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256, layers: int = 1,
                 dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                 recurrent_dropout: float = 0.0):
    return build_rnn_lm("gru", vocab_size, embedding_dim, units, layers, dropout, tie_embeddings, locked_dropout,
                        recurrent_dropout)


def build_step(model):
    """One step of a trained gru-lm or lstm-lm, for export: (token, h_1, c_1, ...) -> {"log_probs",
    "h_1_next", ...}: the word's embedding through each layer's cell (copied from the trained
    layer), the projection and the tied output (or the untied Dense), log_softmax."""
    from zoo.exporting import copy_cell

    recurrent = [layer for layer in model.layers if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU))]
    names = {layer.name for layer in model.layers}
    embedding = model.get_layer("embedding")
    token = keras.Input(shape=(), dtype="int32", name="token")
    x, inputs, outputs = embedding(token), [token], {}
    for i, layer in enumerate(recurrent, start=1):
        lstm = isinstance(layer, keras.layers.LSTM)
        state_names = [f"h_{i}", f"c_{i}"] if lstm else [f"h_{i}"]
        states = [keras.Input(shape=(layer.units,), name=name) for name in state_names]
        x, new_states = copy_cell(layer, f"{layer.name}_step")(x, states, training=False)
        inputs += states
        outputs.update({f"{name}_next": state for name, state in zip(state_names, new_states)})
    if "logits" in names:
        logits = model.get_layer("logits")(x)
    else:
        if "projection" in names:
            x = model.get_layer("projection")(x)
        logits = embedding(x, reverse=True)
    outputs["log_probs"] = keras.layers.Activation("log_softmax", name="log_probs")(logits)
    return keras.Model(inputs, outputs, name=f"{model.name}_step")
