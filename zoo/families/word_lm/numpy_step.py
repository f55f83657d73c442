"""gru-lm's and lstm-lm's recurrence in plain numpy, on the trained model's own weights.

The recurrent word models used to generate by rerunning the Keras model on a window of the last
BURN_IN + WINDOW words for every new word. Here the recurrence carries its state from one word
to the next, as charrnn's numpy_step.py does: one step is one matrix product per layer and the
output layer, for one stream or for a batch of them (the server's concurrent requests). Numpy
only: the layers' weights are read through get_weights; a test checks the step against the
Keras model, to ~1e-5.

The cells are Keras's (rnnlm.py says which):

    LSTM:  z = x W + h U + b;  i, f, g, o = split(z, 4)
           c = sigmoid(f) * c + sigmoid(i) * tanh(g);  h = sigmoid(o) * tanh(c)
    GRU (reset_after=False):  xz, xr, xh = split(x W + b, 3);  hz, hr = split(h U[:, :2u], 2)
           z = sigmoid(xz + hz);  r = sigmoid(xr + hr);  h = z * h + (1 - z) * tanh(xh + (r * h) U[:, 2u:])

The output is the tied embedding's reverse, (h P + p) E^T + b, with the projection P where the
units differ from the embedding's size, or the untied Dense.
"""

from __future__ import annotations

import numpy as np


class State:
    """The recurrent state of `batch` streams: every layer's h (and c for the LSTM), (batch, units)."""

    def __init__(self, h: list, c: list | None):
        self.h, self.c = h, c

    @property
    def batch(self) -> int:
        return len(self.h[0])

    def copy(self) -> "State":
        return State([h.copy() for h in self.h], [c.copy() for c in self.c] if self.c is not None else None)

    def arrays(self) -> list:
        """Every array of the state, in the order the exported step names them (h_1, c_1, h_2, ...)."""
        if self.c is None:
            return list(self.h)
        return [a for pair in zip(self.h, self.c) for a in pair]

    @classmethod
    def stacked(cls, states: list["State"]) -> "State":
        """One state of all the streams of `states`, side by side (rows in order)."""
        first = states[0]
        h = [np.concatenate([s.h[i] for s in states]) for i in range(len(first.h))]
        c = [np.concatenate([s.c[i] for s in states]) for i in range(len(first.c))] if first.c is not None else None
        return cls(h, c)

    def rows(self, start: int, stop: int) -> "State":
        return State([h[start:stop] for h in self.h], [c[start:stop] for c in self.c] if self.c is not None else None)


def _sigmoid(x):
    """1 / (1 + exp(-x)), written with tanh, which cannot overflow."""
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class NumpyWordRNN:
    """The trained gru-lm or lstm-lm, one word at a time, for any number of streams at once."""

    def __init__(self, model):
        import keras

        f32 = lambda w: np.ascontiguousarray(w, dtype="float32")  # noqa: E731
        recurrent = [layer for layer in model.layers if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU))]
        self.cell = "lstm" if isinstance(recurrent[0], keras.layers.LSTM) else "gru"
        self.units = int(recurrent[0].units)
        self.layers = []
        for layer in recurrent:
            if layer.cell.activation is not keras.activations.tanh or \
                    layer.cell.recurrent_activation is not keras.activations.sigmoid:
                raise ValueError(f"{layer.name}: the numpy step knows tanh and sigmoid only")
            if self.cell == "gru" and layer.cell.reset_after:
                raise ValueError(f"{layer.name}: the word models' GRU applies the reset gate before the product")
            kernel, recurrent_kernel, bias = (f32(w) for w in layer.get_weights())
            self.layers.append({"W": kernel, "U": recurrent_kernel, "b": bias})
        embedding = model.get_layer("embedding")
        table, output_bias = (f32(w) for w in embedding.get_weights())
        self.embedding = table
        names = {layer.name for layer in model.layers}
        self.projection = tuple(f32(w) for w in model.get_layer("projection").get_weights()) \
            if "projection" in names else None
        if "logits" in names:  # untied: a Dense of its own
            self.out_kernel, self.out_bias = (f32(w) for w in model.get_layer("logits").get_weights())
        else:
            self.out_kernel, self.out_bias = f32(table.T), output_bias

    @property
    def vocab_size(self) -> int:
        return len(self.out_bias)

    def initial_state(self, batch: int = 1) -> State:
        zeros = lambda: [np.zeros((batch, self.units), "float32") for _ in self.layers]  # noqa: E731
        return State(zeros(), zeros() if self.cell == "lstm" else None)

    def advance(self, state: State, ids) -> np.ndarray:
        """Feed every stream its word `ids[row]`; update `state` (new arrays, so a copy of the
        state made before is left alone) and return the top layer's output, (batch, units)."""
        x = self.embedding[np.asarray(ids, dtype=np.intp)]
        u = self.units
        for i, layer in enumerate(self.layers):
            h = state.h[i]
            if self.cell == "lstm":
                z = x @ layer["W"] + h @ layer["U"] + layer["b"]
                gates = _sigmoid(z[:, :2 * u])
                c = gates[:, u:] * state.c[i] + gates[:, :u] * np.tanh(z[:, 2 * u:3 * u])
                h = _sigmoid(z[:, 3 * u:]) * np.tanh(c)
                state.c[i] = c
            else:
                xz = x @ layer["W"] + layer["b"]
                zr = _sigmoid(xz[:, :2 * u] + h @ layer["U"][:, :2 * u])
                update, reset = zr[:, :u], zr[:, u:]
                candidate = np.tanh(xz[:, 2 * u:] + (reset * h) @ layer["U"][:, 2 * u:])
                h = update * h + (1.0 - update) * candidate
            state.h[i] = h.astype("float32", copy=False)
            x = state.h[i]
        return x

    def logits(self, top: np.ndarray) -> np.ndarray:
        """Next-word logits from the top layer's output, (batch, vocab)."""
        if self.projection is not None:
            top = top @ self.projection[0] + self.projection[1]
        return top @ self.out_kernel + self.out_bias

    def read(self, ids, state: State | None = None) -> tuple[State, np.ndarray]:
        """One stream reads `ids` in order (from `state`, else zero): its state and the logits
        after the last word (None if ids is empty)."""
        state = state or self.initial_state()
        top = None
        for token in ids:
            top = self.advance(state, [int(token)])
        return state, (None if top is None else self.logits(top)[0])
