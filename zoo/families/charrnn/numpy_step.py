"""char-rnn's recurrence in plain numpy, on the trained model's own weights.

Generating text one character at a time with `model.predict` is slow: every call goes through
Keras's machinery, and the naive loop even re-reads the whole growing prefix each time. The
artifact (zoo/families/charrnn/artifact.py) therefore runs the same recurrence here, carrying the
hidden state from one character to the next (`NumpyCharRNN`); a test checks that it gives the
Keras model's outputs to ~1e-5. Numpy only: no Keras is imported here (the model's layers are
read through their get_weights).
"""

from __future__ import annotations

import copy

import numpy as np

from zoo.samplers import log_softmax


class State:
    """The recurrent state of `batch` independent streams of text, and the scratch buffers a step
    writes into. A step updates all of it in place and allocates nothing: at batch size one, a
    step's time besides its matmuls goes to numpy's fixed cost per call, so a step makes few calls.

    hs holds every layer's output side by side, [h_1 | h_2 | ... ], shape (batch, layers * units);
    h[i] is layer i's part of it. Layer i > 0 of an LSTM reads [x, h] = [h_(i-1) | h_i], which is
    a slice of hs already in place: no copying between layers.
    """

    def __init__(self, rnn: "NumpyCharRNN", batch: int = 1):
        u, n, gates = rnn.units, len(rnn.layers), (4 if rnn.cell == "lstm" else 3)
        empty = lambda width: np.empty((batch, width), dtype="float32")  # noqa: E731
        self.batch = batch
        self.ids = np.zeros(batch, dtype=np.intp)  # the characters fed at this step
        self.hs = np.zeros((batch, n * u), dtype="float32")
        self.h = [self.hs[:, i * u:(i + 1) * u] for i in range(n)]
        self.c = [np.zeros((batch, u), dtype="float32") for _ in range(n)] if rnn.cell == "lstm" else None
        self.z = [empty(gates * u) for _ in range(n)]  # the gates' pre-activations (GRU: x W + b)
        self.rows = empty(gates * u)                   # the first layer's table rows
        self.tmp = empty(u)
        self.hm = [empty(3 * u) for _ in range(n)] if rnn.cell == "gru" else None  # h U + b (GRU)
        self.zr = empty(2 * u) if rnn.cell == "gru" else None

    def copy(self) -> "State":
        """An independent copy (beam search follows several continuations of one state)."""
        other = copy.copy(self)  # the scratch buffers are shared: a step writes them before reading
        other.ids, other.hs = self.ids.copy(), self.hs.copy()
        units = self.hs.shape[1] // len(self.h)
        other.h = [other.hs[:, i * units:(i + 1) * units] for i in range(len(self.h))]
        other.c = [c.copy() for c in self.c] if self.c is not None else None
        return other

    def reset(self, rows=slice(None)):
        """Back to the zero state (all streams, or only `rows`)."""
        self.hs[rows] = 0
        for c in self.c or ():
            c[rows] = 0


def _sigmoid(x, out):
    """1 / (1 + exp(-x)), written with tanh, which cannot overflow; in place when out is x."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _lstm_columns(w):
    """An LSTM weight's gate columns, Keras's i, f, g, o, as i, f, o, g, with i, f and o halved.

    sigmoid(x) = (1 + tanh(x / 2)) / 2, so with those columns halved, one tanh over all four gates
    gives tanh(g) and, after `+ 1` and `/ 2`, the three sigmoids. Halving is exact in floating
    point (a power of two), so the gates are exactly what the unhalved weights would give.
    """
    i, f, g, o = np.split(w, 4, axis=-1)
    return np.ascontiguousarray(np.concatenate([i * 0.5, f * 0.5, o * 0.5, g], axis=-1))


class NumpyCharRNN:
    """The trained network's recurrence in plain numpy, on any number of streams at once.

    Keras's weight layout (gate order i, f, c, o for the LSTM; z, r, h for the GRU, whose bias
    has two rows because Keras's GRU applies the reset gate after the recurrent matmul):

        LSTM: z = x W + h U + b;  i, f, g, o = split(z, 4)
              c = sigmoid(f) * c + sigmoid(i) * tanh(g);  h = sigmoid(o) * tanh(c)
        GRU:  xz, xr, xh = split(x W + b[0], 3);  hz, hr, hh = split(h U + b[1], 3)
              z = sigmoid(xz + hz);  r = sigmoid(xr + hr);  h = z * h + (1 - z) * tanh(xh + r * hh)

    Three rearrangements make a step cheap without changing its result (up to float rounding):
    the first layer's input is an embedding row, so `embedding @ W1 + b1` is computed once for
    every character (a table lookup per step instead of a matmul); in the LSTM's upper layers
    x W + h U is one matmul of [x, h] with [W; U] stacked (one pass over the weights); and the
    LSTM's gate columns are stored as i, f, o, g with i, f, o halved, so that one tanh computes
    all four gates (see `_lstm_columns`).

    With one stream (generation) a step is a vector-matrix product per layer: it reads every
    weight once to do two flops with it, so its speed is the speed at which the weights stream
    in from cache or memory. With many streams (scoring, `initial_state(batch)`) the same read
    serves a whole (batch, units) matrix, and the step becomes arithmetic-bound instead.
    """

    def __init__(self, model):
        from zoo.families.charrnn.model import hparams_of  # the Keras layers' types tell the cell

        self.hparams = hparams_of(model)
        self.cell = self.hparams["cell"]
        self.units = self.hparams["units"]
        f32 = lambda w: np.ascontiguousarray(w, dtype="float32")  # noqa: E731
        embedding = f32(model.get_layer("embedding").get_weights()[0])
        self.layers = []
        for i in range(self.hparams["layers"]):
            kernel, recurrent, bias = (f32(w) for w in model.get_layer(f"{self.cell}_{i + 1}").get_weights())
            if self.cell == "lstm":
                kernel, recurrent, bias = (_lstm_columns(w) for w in (kernel, recurrent, bias))
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
        self.out_kernel, self.out_bias = (f32(w) for w in model.get_layer("logits").get_weights())
        # What a step reads: the matrices multiplied at every character (not the lookup tables).
        self.weight_bytes = sum(w.nbytes for w in self.step_matrices())

    def step_matrices(self) -> list:
        """The matrices a step multiplies by, in order (the benchmark times a bare loop over them)."""
        names = ("U", "WU", "W")
        return [layer[k] for layer in self.layers for k in names if k in layer] + [self.out_kernel]

    def initial_state(self, batch: int = 1) -> State:
        return State(self, batch)

    def advance(self, state: State) -> np.ndarray:
        """Feed every stream its character `state.ids`; update `state` in place and return the top
        layer's output, (batch, units): a view into the state, overwritten by the next step."""
        u = self.units
        for i, layer in enumerate(self.layers):
            z, h = state.z[i], state.h[i]
            if self.cell == "lstm":
                if i == 0:
                    np.matmul(h, layer["U"], out=z)
                    z += np.take(layer["table"], state.ids, axis=0, out=state.rows)
                else:
                    np.matmul(state.hs[:, (i - 1) * u:(i + 1) * u], layer["WU"], out=z)  # [x, h] [W; U]
                    z += layer["b"]
                np.tanh(z, out=z)  # tanh(x / 2) for i, f, o (their columns are halved); tanh(g)
                ifo = z[:, :3 * u]
                ifo += 1.0
                ifo *= 0.5         # sigmoid(x) = (1 + tanh(x / 2)) / 2
                c = state.c[i]
                c *= z[:, u:2 * u]                                        # f * c
                c += np.multiply(z[:, :u], z[:, 3 * u:], out=state.tmp)  # + i * g
                np.tanh(c, out=h)
                h *= z[:, 2 * u:3 * u]                                   # h = o * tanh(c)
            else:
                hm, zr = state.hm[i], state.zr
                if i == 0:
                    np.take(layer["table"], state.ids, axis=0, out=z)
                else:
                    np.matmul(state.h[i - 1], layer["W"], out=z)
                    z += layer["b"]
                np.matmul(h, layer["U"], out=hm)
                hm += layer["rb"]
                _sigmoid(np.add(z[:, :2 * u], hm[:, :2 * u], out=zr), out=zr)
                update, reset = zr[:, :u], zr[:, u:]
                candidate = np.multiply(reset, hm[:, 2 * u:], out=state.tmp)
                candidate += z[:, 2 * u:]
                np.tanh(candidate, out=candidate)
                candidate *= np.subtract(1.0, update, out=reset)  # (reset is no longer needed)
                h *= update
                h += candidate  # h = z * h + (1 - z) * candidate
        return state.h[-1]

    def step(self, char_id: int, state: State):
        """Feed one character to a one-stream state; return the logits of the next one (a new
        array) and the state (the same object, updated in place)."""
        state.ids[0] = char_id
        top = self.advance(state)
        return (top @ self.out_kernel + self.out_bias)[0], state

    def logits(self, ids, state: State | None = None) -> np.ndarray:
        """Logits after each character of a sequence, (len(ids), vocab); the state starts at zero."""
        state = state or self.initial_state()
        tops = np.empty((len(ids), self.units), dtype="float32")
        for t, char_id in enumerate(ids):
            state.ids[0] = char_id
            tops[t] = self.advance(state)[0]
        # The output layer does not feed back, so it runs once on every position together.
        return tops @ self.out_kernel + self.out_bias

    def log_probs(self, ids, streams: int = 1, warmup: int = 0, steps=range) -> np.ndarray:
        """log p(ids[t + 1] | ids[:t + 1]) for every t (float64): how likely each character is
        after the ones before it, as one stream carried through the whole text would say.

        With streams > 1 the text is cut into that many parts of equal length, read side by side.
        Each part but the first is preceded by the `warmup` characters before it, read from the
        zero state and not scored: by the part's first character the stream has forgotten its
        zero start, much as the one long stream had forgotten the text far behind it. (An LSTM's
        memory fades: on tinyshakespeare's validation text, 64 streams with 200 characters of
        warm-up differ from one stream by 6e-6 nats/char.) The first part starts at the text's
        start, from zero, as the one stream does.

        Why: one stream reads every weight once per character for two flops, and waits on memory;
        a step of all streams together multiplies a (streams, units) matrix, reading every weight
        once for all of them, and runs at the speed of the arithmetic instead.

        `steps(n)` gives the loop's step numbers, range(n) by default; the artifact passes
        zoo.blas.measured_steps, which runs each step with the BLAS threads it measures fastest.
        """
        ids = np.asarray(ids, dtype=np.intp)
        n = len(ids) - 1  # the predictions: ids[1:], each from the characters before it
        streams = max(1, min(streams, n))
        length = -(-n // streams)  # characters scored per stream (the last one may have fewer)
        warmup = min(warmup, length) if streams > 1 else 0
        # positions[s, j]: the index in ids that stream s reads at step j; stream s's part starts
        # at s * length, after `warmup` steps. Outside the text (before the first stream's start,
        # after the last one's end) it reads padding: character 0, never scored.
        positions = np.arange(streams)[:, None] * length - warmup + np.arange(warmup + length)
        inside = (positions >= 0) & (positions < n)
        inputs = np.where(inside, ids[np.clip(positions, 0, n - 1)], 0)
        targets = np.where(inside, ids[np.clip(positions + 1, 0, n)], 0)

        state = self.initial_state(streams)
        logits = np.empty((streams, len(self.out_bias)), dtype="float32")
        logp = np.zeros((streams, length), dtype="float64")
        rows = np.arange(streams)
        for j in steps(warmup + length):
            if j == warmup:
                state.reset(rows=0)  # the first stream has nothing before it: back to zero
            state.ids[:] = inputs[:, j]
            top = self.advance(state)
            if j >= warmup:
                np.matmul(top, self.out_kernel, out=logits)
                logits += self.out_bias
                logp[:, j - warmup] = log_softmax(logits)[rows, targets[:, j]]
        return logp[inside[:, warmup:]]  # in the text's order; the padding is left out


# One BLAS thread for a step of one stream (generation, a single-stream score); a step of many
# streams (the server's batch, long-text scoring) chooses by measuring (zoo.batching.ThreadChoice,
# zoo.blas.measured_steps), for the reasons below. BLAS splits each product between its
# threads and waits for the slowest, so when another process holds one of the two cores, every
# product waits for the scheduler to hand that core back. Measured on a 2-core machine, the
# products of a 2x512 LSTM step: one thread ran 3,100-3,700 steps a second idle and 2,600-3,400
# next to one spinning process; two threads 4,500-5,100 idle, but 260-2,000 next to it (the issue
# saw 95-330 characters a second against 820-970 on one thread). The products of 128 streams
# side by side fare alike: ~50 GFLOP/s on one thread, 9-21 on two next to busy work. One thread
# gives up some speed on an idle machine for a speed that does not depend on what else runs.
BLAS_THREADS = 1


def blas_threads(threads: int | None = None):
    """A context in which numpy's BLAS uses BLAS_THREADS threads (see there why one), or `threads`."""
    from zoo import blas

    return blas.threads(threads or BLAS_THREADS)
