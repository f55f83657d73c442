"""char-rnn: a character-level language model (Karpathy, "The Unreasonable Effectiveness of
Recurrent Neural Networks", 2015), trained on Shakespeare.

The network reads one character at a time and predicts the next:

    characters -> Embedding -> LSTM (or GRU) x layers -> Dense(vocab) -> logits of the next character

Trained on windows of text with cross-entropy, its loss is measured in nats per character
(divide by ln 2 for bits per character).

Generating text one character at a time with `model.predict` is slow: every call goes through
Keras's machinery, and the naive loop even re-reads the whole growing prefix each time. The
artifact therefore runs the same recurrence in plain numpy on the model's own weights, carrying
the hidden state from one character to the next (`NumpyCharRNN`); a test checks that it gives
the Keras model's outputs to ~1e-5.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

import keras
from zoo.artifacts import Artifact
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


# ---------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """Characters <-> ids. The vocabulary is the sorted set of the training text's characters."""

    def __init__(self, chars):
        self.chars = list(chars)
        if len(set(self.chars)) != len(self.chars):
            raise InvalidInputError("a vocabulary lists each character once.")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def __contains__(self, char):
        return char in self.index

    def encode(self, text: str) -> np.ndarray:
        """Ids of a text whose characters are all known (KeyError otherwise: see `split_known`)."""
        return np.fromiter((self.index[c] for c in text), dtype="int32", count=len(text))

    def split_known(self, text: str) -> tuple[np.ndarray, dict]:
        """Ids of the known characters, and {unknown character: count} of those left out."""
        unknown = {}
        for c in set(text) - set(self.index):
            unknown[c] = text.count(c)
        if unknown:
            text = "".join(c for c in text if c in self.index)
        return self.encode(text), dict(sorted(unknown.items(), key=lambda kv: -kv[1]))

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


# --------------------------------------------------------------------- the numpy recurrence


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # = 1 / (1 + exp(-x)), without overflow warnings


class NumpyCharRNN:
    """The trained network's recurrence in plain numpy, one character at a time (batch size one).

    Keras's weight layout (gate order i, f, c, o for the LSTM; z, r, h for the GRU, whose bias
    has two rows because Keras's GRU applies the reset gate after the recurrent matmul):

        LSTM: z = x W + h U + b;  i, f, g, o = split(z, 4)
              c = sigmoid(f) * c + sigmoid(i) * tanh(g);  h = sigmoid(o) * tanh(c)
        GRU:  xz, xr, xh = split(x W + b[0], 3);  hz, hr, hh = split(h U + b[1], 3)
              z = sigmoid(xz + hz);  r = sigmoid(xr + hr);  h = z * h + (1 - z) * tanh(xh + r * hh)

    Two rearrangements make a step cheap without changing its result (up to float rounding):
    the first layer's input is an embedding row, so `embedding @ W1 + b1` is computed once for
    every character (a table lookup per step instead of a matmul); in the LSTM's upper layers
    x W + h U is one matmul of [x, h] with [W; U] stacked.
    """

    def __init__(self, model):
        self.hparams = hparams_of(model)
        self.cell = self.hparams["cell"]
        self.units = self.hparams["units"]
        embedding = model.get_layer("embedding").get_weights()[0].astype("float32")
        self.layers = []
        for i in range(self.hparams["layers"]):
            kernel, recurrent, bias = (w.astype("float32") for w in model.get_layer(f"{self.cell}_{i + 1}").get_weights())
            if self.cell == "lstm":
                if i == 0:
                    self.layers.append({"table": embedding @ kernel + bias, "U": recurrent})
                else:
                    self.layers.append({"WU": np.concatenate([kernel, recurrent]), "b": bias})
            else:
                input_bias, recurrent_bias = bias[0], bias[1]
                if i == 0:
                    self.layers.append({"table": embedding @ kernel + input_bias, "U": recurrent,
                                        "rb": recurrent_bias})
                else:
                    self.layers.append({"W": kernel, "b": input_bias, "U": recurrent, "rb": recurrent_bias})
        self.out_kernel, self.out_bias = (w.astype("float32") for w in model.get_layer("logits").get_weights())
        # What a step reads: the matrices multiplied at every character (not the lookup tables).
        self.weight_bytes = sum(w.nbytes for layer in self.layers for k, w in layer.items() if k != "table") \
            + self.out_kernel.nbytes

    def initial_state(self):
        zeros = lambda: np.zeros(self.units, dtype="float32")  # noqa: E731
        if self.cell == "lstm":
            return [(zeros(), zeros()) for _ in self.layers]
        return [zeros() for _ in self.layers]

    def hidden(self, char_id: int, state):
        """Feed one character; return the top layer's output and the new state."""
        u = self.units
        new_state = []
        if self.cell == "lstm":
            x = None
            for i, layer in enumerate(self.layers):
                h, c = state[i]
                if i == 0:
                    z = layer["table"][char_id] + h @ layer["U"]
                else:
                    z = np.concatenate([x, h]) @ layer["WU"] + layer["b"]
                gates = _sigmoid(z)  # i, f, o need the sigmoid; g's slot is overwritten below
                c = gates[u:2 * u] * c + gates[:u] * np.tanh(z[2 * u:3 * u])
                x = gates[3 * u:] * np.tanh(c)
                new_state.append((x, c))
            return x, new_state
        x = None
        for i, layer in enumerate(self.layers):
            h = state[i]
            xm = layer["table"][char_id] if i == 0 else x @ layer["W"] + layer["b"]
            hm = h @ layer["U"] + layer["rb"]
            zr = _sigmoid(xm[:2 * u] + hm[:2 * u])
            z, r = zr[:u], zr[u:]
            x = z * h + (1 - z) * np.tanh(xm[2 * u:] + r * hm[2 * u:])
            new_state.append(x)
        return x, new_state

    def step(self, char_id: int, state):
        """Feed one character; return the logits of the next one and the new state."""
        x, state = self.hidden(char_id, state)
        return x @ self.out_kernel + self.out_bias, state

    def logits(self, ids, state=None) -> np.ndarray:
        """Logits after each character of a sequence, (len(ids), vocab); the state starts at zero."""
        state = state or self.initial_state()
        tops = np.empty((len(ids), self.units), dtype="float32")
        for t, char_id in enumerate(ids):
            tops[t], state = self.hidden(int(char_id), state)
        # The output layer does not feed back, so it runs once on every position together.
        return tops @ self.out_kernel + self.out_bias


# Recurrent weights above this size are read from the shared L3 cache at every step rather than
# from one core's own L2 (2 MB here), so a step is bound by memory bandwidth, and two cores
# pull about twice as much (measured here, 2x512 LSTM, 12.7 MB: 3,800-4,100 characters a
# second on one thread, 6,600-6,800 on two). Below it, one thread is faster: splitting a small
# vector-matrix product costs more than it saves, and far more on a busy machine (7x slower
# with the default threads when other work ran, for the 2x256 LSTM).
SMALL_MODEL_BYTES = 4 << 20


def blas_threads(rnn: "NumpyCharRNN"):
    """A context in which numpy's BLAS uses the number of threads that suits a batch-size-one
    step of this model: one for a small model, two for a big one (see SMALL_MODEL_BYTES)."""
    from threadpoolctl import threadpool_limits

    threads = 1 if rnn.weight_bytes < SMALL_MODEL_BYTES else min(2, os.cpu_count() or 1)
    return threadpool_limits(threads, user_api="blas")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sample_next(logits: np.ndarray, temperature: float, top_k: int | None, rng) -> int:
    """Pick the next character: greedy at temperature 0, else from softmax(logits / T),
    restricted to the k likeliest when top_k is given."""
    if temperature == 0:
        return int(np.argmax(logits))
    logits = np.asarray(logits, dtype="float64") / temperature
    if top_k is not None and top_k < len(logits):
        cutoff = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits >= cutoff, logits, -np.inf)
    probs = np.exp(logits - logits.max())
    cumulative = np.cumsum(probs)
    # One uniform number and a binary search: the same draw as rng.choice(p=...), much cheaper.
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(logits) - 1)


# ------------------------------------------------------------------------------- artifact


class CharRNN(Artifact):
    """A trained character model: `generate` text, `score` a text in nats/bits per character.

    The vocabulary is `config["vocabulary"]` (a JSON list of characters).
    """

    def __init__(self, model, config: dict, folder):
        super().__init__(model, config, folder)
        self.vocab = Vocabulary(config["vocabulary"])
        self._numpy = None

    @property
    def rnn(self) -> NumpyCharRNN:
        if self._numpy is None:  # built on first use: loading stays quick
            self._numpy = NumpyCharRNN(self.model)
        return self._numpy

    def _known_ids(self, text: str, what: str) -> np.ndarray:
        ids, unknown = self.vocab.split_known(text)
        if unknown:
            listed = ", ".join(f"{c!r} x{n}" for c, n in list(unknown.items())[:10])
            warnings.warn(f"{what} has {sum(unknown.values())} character(s) the model has never seen, "
                          f"skipped: {listed}", stacklevel=3)
        return ids

    def generate(self, prompt: str = "", length: int = 200, temperature: float = 1.0, top_k: int | None = None,
                 seed: int | None = None, on_text=None) -> str:
        """Continue `prompt` by `length` characters and return the continuation.

        temperature 0 is greedy (always the likeliest character); higher values are wilder.
        top_k samples only among the k likeliest characters. The same seed gives the same text.
        on_text, if given, is called with each new character as soon as it is produced.
        Characters of the prompt that the model has never seen are skipped (with a warning).
        """
        if not isinstance(prompt, str):
            raise InvalidInputError(f"prompt must be a string; got {type(prompt).__name__}.")
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise InvalidInputError(f"length must be a whole number, 0 or more; got {length!r}.")
        if not isinstance(temperature, (int, float)) or not temperature >= 0 or math.isinf(temperature):
            raise InvalidInputError(f"temperature must be 0 (greedy) or a positive number; got {temperature!r}.")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
            raise InvalidInputError(f"top_k must be a positive whole number or None; got {top_k!r}.")
        ids = self._known_ids(prompt, "the prompt")
        if len(ids) == 0:
            # Nothing to condition on: start as a fresh line would.
            ids = self.vocab.encode("\n") if "\n" in self.vocab else np.array([0], dtype="int32")
        rnn, rng = self.rnn, np.random.default_rng(seed)
        state = rnn.initial_state()
        char_id, pieces = int(ids[-1]), []
        with blas_threads(rnn):
            for prompt_id in ids[:-1]:
                _, state = rnn.hidden(int(prompt_id), state)
            for _ in range(length):
                logits, state = rnn.step(char_id, state)
                char_id = sample_next(logits, temperature, top_k, rng)
                char = self.vocab.chars[char_id]
                pieces.append(char)
                if on_text is not None:
                    on_text(char)
        return "".join(pieces)

    def score(self, text: str) -> dict:
        """How well the model predicts `text`: nats and bits per character.

        The state is carried through the whole text; every character after the first is
        predicted from all the characters before it. Characters the model has never seen are
        reported (`unknown`, with counts) and skipped: they are removed from the text before
        scoring, so the numbers are over the known characters only.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"score takes a string; got {type(text).__name__}.")
        ids, unknown = self.vocab.split_known(text)
        if len(ids) < 2:
            raise InvalidInputError("score needs a text with at least two characters the model knows "
                                    f"(got {len(ids)} known, {sum(unknown.values())} unknown).")
        with blas_threads(self.rnn):
            logits = self.rnn.logits(ids[:-1])
        logp = log_softmax(logits)
        nats = float(-logp[np.arange(len(ids) - 1), ids[1:]].mean())
        return {"nats_per_char": nats, "bits_per_char": nats / math.log(2), "chars_scored": int(len(ids) - 1),
                "unknown_chars": int(sum(unknown.values())), "unknown": unknown}


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


# ------------------------------------------------------------------------------------ CLI


def add_commands(subparsers) -> None:
    if "score" in subparsers.choices:  # another family already offers a `score` verb: leave it be
        return
    parser = subparsers.add_parser(
        "score", help="nats and bits per character of a text under a character model",
        description="Score a UTF-8 text file with a character-level model (e.g. charrnn-shakespeare). "
                    "Characters the model has never seen are reported and skipped.")
    parser.add_argument("name", help="artifact name or folder, e.g. charrnn-shakespeare")
    parser.add_argument("file", help="text file to score (UTF-8)")
    parser.set_defaults(handler=_cli_score)


def _cli_score(args) -> None:
    from zoo import io, load

    text = io.read_user_text(args.file, "to score")
    art = load(args.name)
    if not hasattr(art, "score"):
        raise InvalidInputError(f"{args.name} is not a character model.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unknown characters are printed below instead
        result = art.score(text)
    print(f"{result['nats_per_char']:.4f} nats/char, {result['bits_per_char']:.4f} bits/char "
          f"over {result['chars_scored']:,} characters")
    if result["unknown_chars"]:
        listed = ", ".join(f"{c!r} x{n}" for c, n in list(result["unknown"].items())[:10])
        print(f"skipped {result['unknown_chars']} unknown character(s): {listed}")
