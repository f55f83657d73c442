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
prediction starts from an empty state (see `stream_log_probs`).
"""

from __future__ import annotations

import numpy as np

import keras

from zoo.families.word_lm import words
from zoo.families.word_lm.layers import TiedEmbedding  # noqa: F401  (registered there; re-exported)
from zoo.samplers import log_softmax

WINDOW = 64      # tokens per training window
BURN_IN = 64     # tokens of context read before each scored window at evaluation


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


# ------------------------------------------------------------------------------- data


def stream_log_probs(model, stream: np.ndarray, start_token: int, window: int = WINDOW, burn_in: int = BURN_IN,
                     batch_size: int = 32) -> np.ndarray:
    """Natural-log probability of every token of `stream`, predicted from everything before it
    (the stream is preceded by `start_token`). Windows of `window` scored tokens are each read
    after `burn_in` tokens of real context (start_token padding before the stream's start)."""
    # padded[burn_in] is the start token, padded[burn_in + 1 + t] is stream[t]
    padded = np.concatenate([np.full(burn_in + 1, start_token, "int32"), stream.astype("int32"),
                             np.full(window, start_token, "int32")])
    starts = np.arange(0, len(stream), window)
    # the chunk that scores stream[s:s+window] reads padded[s : s+burn_in+window]: its output at
    # position burn_in + j has read padded[..s+burn_in+j] = everything up to stream[s+j-1], and
    # predicts padded[s+burn_in+1+j] = stream[s+j]
    inputs = np.stack([padded[s:s + burn_in + window] for s in starts])
    result = np.empty(len(starts) * window)
    for b in range(0, len(starts), batch_size):
        # predict_on_batch runs the backend's compiled predict function (tf.function, jax.jit)
        logits = np.asarray(model.predict_on_batch(inputs[b:b + batch_size]))[:, burn_in:]
        targets = np.stack([padded[s + burn_in + 1:s + burn_in + 1 + window] for s in starts[b:b + batch_size]])
        lp = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]
        result[b * window:b * window + lp.size] = lp.ravel()
    return result[:len(stream)]


# ------------------------------------------------------------------------------- artifact


class RecurrentLanguageModel(words.WordLanguageModel):
    """A trained gru-lm or lstm-lm: the language-model task (generate, score, next_tokens)."""

    def __init__(self, model, config, folder):
        super().__init__(model, config, folder)
        self.vocab = words.Vocabulary(config["vocabulary"]["words"]) if "words" in config["vocabulary"] \
            else words.Vocabulary(words.read_vocabulary_file(folder))

    def _sentence_log_probs(self, sentences):
        return stream_log_probs(self.model, words.stream(sentences, self.vocab), self.vocab.index[words.EOS])

    def _next_log_probs(self, history):
        # a fixed length (left-padded with </s>, like the start of the evaluation stream), so that
        # compiled backends (jax) trace the model once
        ids = self.vocab.encode([words.EOS] * (BURN_IN + WINDOW) + history)[-(BURN_IN + WINDOW):]
        logits = np.asarray(self.model.predict_on_batch(ids[None, :]))[0, -1]
        return log_softmax(logits)


def vocab_asset(vocab: words.Vocabulary) -> str:
    """The vocabulary file: one word a line, line i is id i (words hold no whitespace)."""
    return "\n".join(vocab.words)
