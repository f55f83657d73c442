"""Sequence to sequence: an encoder RNN reads the input, a decoder RNN writes the output
(Sutskever, Vinyals & Le 2014; Cho et al. 2014), with optional attention (Bahdanau, Cho &
Bengio 2014; Luong, Pham & Manning 2015). Character level: each character is a token.

    source "25 Nov 2026" -> Embedding -> encoder LSTM/GRU -> outputs h_1..h_S, final state
    target "<start>2026-11-25" -> Embedding -> decoder LSTM/GRU (starts from the final state)
        -> s_t -> [attention over h_1..h_S -> context c_t -> tanh(W [c_t; s_t])] -> logits
    which should predict "2026-11-25<end>", one character ahead (teacher forcing).

Attention (`attention=` "none", "bahdanau" or "luong") is placed after the decoder RNN, as in
Luong's global attention; the two variants differ in how a decoder state s scores an encoder
output h:
    bahdanau (additive):       v . tanh(W_q s + W_k h)   keras.layers.AdditiveAttention
    luong ("general", dot):    s . (W_k h)               keras.layers.Attention
(Bahdanau et al. also feed the context back into the RNN's input; the one-step decoder here
stays simpler.) With "none", the decoder sees the input only through the encoder's final state.

Sources are padded on the *left* to a fixed length, so the encoder reads the padding first and
its final state comes straight after the last real character; the model learns to ignore the
pad token (no masks, so every layer is a plain built-in one and the model loads in safe_mode).

Inference reuses the trained layers in two small models (no weights of their own): an encoder
(source -> outputs, attention keys, state) and a one-step decoder (previous token, state,
encoder outputs -> next-token logits, new state, attention weights). Greedy decoding and a
batched beam search run around them in numpy and stop at the end token or a maximum length.
"""

from __future__ import annotations

import numpy as np

import keras
import zoo.text
from zoo.artifacts import Artifact
from zoo.errors import InvalidInputError
from zoo.samplers import log_softmax

PAD, START, END = 0, 1, 2
SPECIALS = ["<pad>", "<start>", "<end>"]
CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
ATTENTIONS = ("none", "bahdanau", "luong")
VOCAB_FILE = "vocab.json"


# ----------------------------------------------------------------------------- vocabulary


class Vocabulary(zoo.text.Vocabulary):
    """Characters <-> ids (zoo.text's API); ids 0, 1, 2 are <pad>, <start>, <end>, characters
    follow. `decode` gives the text up to the first <end>."""

    def __init__(self, chars):
        self.chars = list(chars)
        if not all(isinstance(c, str) and len(c) == 1 for c in self.chars):
            raise InvalidInputError("a character vocabulary lists single characters.")
        super().__init__(SPECIALS + self.chars)  # no control characters: a pair is one line of text

    @classmethod
    def from_texts(cls, texts):
        return cls(sorted(set("".join(texts))))

    def decode(self, ids) -> str:
        """Characters up to the first <end>; <pad> and <start> are skipped."""
        ids = [int(i) for i in ids]
        ids = ids[:ids.index(END)] if END in ids else ids
        return "".join(self.tokens[i] for i in ids if i >= len(SPECIALS))


def encode_sources(texts, vocab: Vocabulary, length: int) -> np.ndarray:
    """(n, length) int32, each text's ids padded on the left with <pad>."""
    ids = np.full((len(texts), length), PAD, dtype="int32")
    for row, text in enumerate(texts):
        encoded = vocab.encode(text)
        if len(encoded):
            ids[row, -len(encoded):] = encoded
    return ids


def encode_targets(texts, vocab: Vocabulary, length: int):
    """Teacher forcing: decoder inputs "<start> y", labels "y <end>", and a 0/1 weight per
    position so padding after <end> adds nothing to the loss. Each (n, length + 1)."""
    n = len(texts)
    inputs = np.full((n, length + 1), PAD, dtype="int32")
    labels = np.full((n, length + 1), PAD, dtype="int32")
    weights = np.zeros((n, length + 1), dtype="float32")
    for row, text in enumerate(texts):
        encoded = list(vocab.encode(text))
        inputs[row, :len(encoded) + 1] = [START] + encoded
        labels[row, :len(encoded) + 1] = encoded + [END]
        weights[row, :len(encoded) + 1] = 1.0
    return inputs, labels, weights


# ----------------------------------------------------------------------------- the model


def build_seq2seq(source_vocab_size: int = 64, target_vocab_size: int = 16, embedding_dim: int = 32,
                  units: int = 128, cell: str = "lstm", attention: str = "bahdanau"):
    """The training model: inputs `source` (n, S) and `target_in` (n, T) token ids, output
    next-token logits (n, T, target_vocab_size)."""
    if cell not in CELLS:
        raise InvalidInputError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.")
    if attention not in ATTENTIONS:
        raise InvalidInputError(f"attention must be one of {list(ATTENTIONS)}, got {attention!r}.")
    for name, value in (("source_vocab_size", source_vocab_size), ("target_vocab_size", target_vocab_size),
                        ("embedding_dim", embedding_dim), ("units", units)):
        if not isinstance(value, int) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}.")
    rnn = CELLS[cell]
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")

    # The layers, named so that inference can find them again in a loaded model.
    layers = {
        "source_embedding": keras.layers.Embedding(source_vocab_size, embedding_dim, name="source_embedding"),
        "encoder": rnn(units, return_sequences=True, return_state=True, name="encoder"),
        "target_embedding": keras.layers.Embedding(target_vocab_size, embedding_dim, name="target_embedding"),
        "decoder": rnn(units, return_sequences=True, return_state=True, name="decoder"),
        "logits": keras.layers.Dense(target_vocab_size, name="logits"),
    }
    if attention != "none":
        layers["attention_keys"] = keras.layers.Dense(units, use_bias=False, name="attention_keys")
        layers["attention_combine"] = keras.layers.Dense(units, activation="tanh", name="attention_combine")
        layers["concat"] = keras.layers.Concatenate(name="concat")
        if attention == "bahdanau":
            layers["attention_query"] = keras.layers.Dense(units, use_bias=False, name="attention_query")
            layers["attention"] = keras.layers.AdditiveAttention(name="attention")
        else:
            layers["attention"] = keras.layers.Attention(name="attention")

    encoder_outputs, keys, states = _encode(layers, source)
    logits, _, _ = _decode(layers, target_in, states, encoder_outputs, keys)
    return keras.Model([source, target_in], logits, name=f"seq2seq_{cell}_{attention}")


def _encode(layers, source):
    """source ids -> (encoder outputs, attention keys or None, final state as a list)."""
    encoder_outputs, *states = layers["encoder"](layers["source_embedding"](source))
    keys = layers["attention_keys"](encoder_outputs) if "attention" in layers else None
    return encoder_outputs, keys, states


def _decode(layers, target_in, states, encoder_outputs, keys):
    """decoder input ids -> (logits, new state, attention weights or None)."""
    outputs, *new_states = layers["decoder"](layers["target_embedding"](target_in), initial_state=states)
    if "attention" not in layers:
        return layers["logits"](outputs), new_states, None
    query = layers["attention_query"](outputs) if "attention_query" in layers else outputs
    context, weights = layers["attention"]([query, encoder_outputs, keys], return_attention_scores=True)
    attentional = layers["attention_combine"](layers["concat"]([context, outputs]))
    return layers["logits"](attentional), new_states, weights


def inference_models(model):
    """The encoder and the one-step decoder, made of the trained model's own layers."""
    names = ("source_embedding", "encoder", "target_embedding", "decoder", "logits", "attention_keys",
             "attention_query", "attention", "attention_combine", "concat")
    present = {layer.name for layer in model.layers}
    layers = {name: model.get_layer(name) for name in names if name in present}
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    encoder_outputs, keys, states = _encode(layers, source)
    encoder = keras.Model(source, [encoder_outputs, keys if keys is not None else encoder_outputs, *states],
                          name="encoder_model")

    units = layers["encoder"].units
    token = keras.Input(shape=(1,), dtype="int32", name="token")
    state_inputs = [keras.Input(shape=(units,), name=f"state_{i}") for i in range(len(states))]
    outputs_in = keras.Input(shape=(None, units), name="encoder_outputs")
    keys_in = keras.Input(shape=(None, units), name="attention_keys")
    logits, new_states, weights = _decode(layers, token, state_inputs, outputs_in, keys_in)
    step_outputs = [logits, *new_states] + ([weights] if weights is not None else [])
    step = keras.Model([token, *state_inputs, outputs_in, keys_in], step_outputs, name="decoder_step")
    return encoder, step


# ----------------------------------------------------------------------------- search


class Decoder:
    """Greedy and beam search around the encoder and one-step decoder models."""

    def __init__(self, model):
        self.encoder, self.step_model = inference_models(model)
        self.n_states = len(self.encoder.outputs) - 2
        self.has_attention = len(self.step_model.outputs) > 1 + self.n_states

    def encode(self, source_ids: np.ndarray):
        outputs = self.encoder.predict_on_batch(source_ids)
        return outputs[0], outputs[1], list(outputs[2:])

    def step(self, tokens, states, encoder_outputs, keys):
        """One decoder step for a batch: (log-probabilities (n, V), new states, weights (n, S) or None)."""
        out = self.step_model.predict_on_batch([tokens[:, None].astype("int32"), *states, encoder_outputs, keys])
        logits, new_states = np.asarray(out[0])[:, 0], [np.asarray(s) for s in out[1:1 + self.n_states]]
        weights = np.asarray(out[-1])[:, 0] if self.has_attention else None
        return log_softmax(logits.astype("float64")), new_states, weights

    def greedy(self, source_ids: np.ndarray, max_length: int):
        """The likeliest token at every step. Returns (ids (n, <= max_length), log-prob (n,),
        attention weights (n, steps, S) or None)."""
        encoder_outputs, keys, states = self.encode(source_ids)
        n = len(source_ids)
        tokens = np.full(n, START)
        finished = np.zeros(n, dtype=bool)
        scores = np.zeros(n)
        chosen, attention = [], []
        for _ in range(max_length):
            logp, states, weights = self.step(tokens, states, encoder_outputs, keys)
            logp[:, [PAD, START]] = -np.inf  # never predicted: they are not outputs
            tokens = np.where(finished, PAD, logp.argmax(axis=1))
            scores += np.where(finished, 0.0, logp[np.arange(n), tokens])
            chosen.append(tokens)
            attention.append(weights)
            finished |= tokens == END
            if finished.all():
                break
        weights = np.stack(attention, axis=1) if self.has_attention else None
        return np.stack(chosen, axis=1), scores, weights

    def beam_search(self, source_ids: np.ndarray, beam_size: int, max_length: int):
        """Keep the beam_size likeliest partial outputs of every input, all inputs at once.

        Each input gets beam_size rows of the batch. A finished hypothesis (it produced <end>)
        stays in the beam with its score, extended by <pad> at no cost, so it competes with the
        unfinished ones. Scores are sums of log-probabilities. Returns (ids, log-prob) of the best.
        """
        n, k = len(source_ids), beam_size
        encoder_outputs, keys, states = self.encode(source_ids)
        repeat = lambda a: np.repeat(a, k, axis=0)  # noqa: E731  input i -> rows i*k .. i*k+k-1
        encoder_outputs, keys, states = repeat(encoder_outputs), repeat(keys), [repeat(s) for s in states]
        tokens = np.full(n * k, START)
        scores = np.full((n, k), -np.inf)
        scores[:, 0] = 0.0  # at the start all k rows are the same: keep one
        finished = np.zeros((n, k), dtype=bool)
        sequences = np.zeros((n, k, 0), dtype="int64")
        for _ in range(max_length):
            logp, states, _ = self.step(tokens, states, encoder_outputs, keys)
            vocab_size = logp.shape[1]
            logp = logp.reshape(n, k, vocab_size)
            logp[..., [PAD, START]] = -np.inf
            logp[finished] = -np.inf
            logp[finished, PAD] = 0.0
            candidates = (scores[:, :, None] + logp).reshape(n, k * vocab_size)
            best = np.argsort(-candidates, axis=1, kind="stable")[:, :k]
            parent, token = best // vocab_size, best % vocab_size
            scores = np.take_along_axis(candidates, best, axis=1)
            sequences = np.concatenate([np.take_along_axis(sequences, parent[:, :, None], axis=1),
                                        token[:, :, None]], axis=2)
            finished = np.take_along_axis(finished, parent, axis=1) | (token == END)
            rows = (np.arange(n)[:, None] * k + parent).reshape(-1)
            states = [s[rows] for s in states]
            tokens = token.reshape(-1)
            if finished.all():
                break
        top = scores.argmax(axis=1)
        return sequences[np.arange(n), top], scores[np.arange(n), top]


# ----------------------------------------------------------------------------- artifact


class Seq2Seq(Artifact):
    """A trained encoder-decoder. `translate(["25 Nov 2026"], beam_size=3)` -> ["2026-11-25"].

    Inputs are stripped of surrounding whitespace; an empty input gives an empty output (the
    model is not run). A character the model never saw in training, or an input longer than
    `max_source_length`, raises InvalidInputError naming the input and the problem.
    """

    def __init__(self, model, config: dict, folder, vocab: dict | None = None):
        super().__init__(model, config, folder)
        if vocab is None:  # read_config has checked it
            from zoo import artifacts

            vocab = artifacts.read_json_member(self.folder, VOCAB_FILE, artifacts.VOCABULARY_LIMIT)
        self.source_vocab = Vocabulary(vocab["source"])
        self.target_vocab = Vocabulary(vocab["target"])
        self.max_source_length = int(config["max_source_length"])
        self.max_target_length = int(config["max_target_length"])
        self._decoder = None

    @property
    def decoder(self) -> Decoder:
        if self._decoder is None:  # built on first use: loading stays fast
            self._decoder = Decoder(self.model)
        return self._decoder

    def _check(self, texts) -> list[str]:
        if isinstance(texts, str) or not hasattr(texts, "__iter__"):
            raise InvalidInputError("translate takes a list of strings, e.g. art.translate(['25 Nov 2026']).")
        cleaned = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(f"input {i} is a {type(text).__name__}, not a string.")
            text = text.strip()
            unknown = self.source_vocab.unknown(text)
            if unknown:
                raise InvalidInputError(
                    f"input {i} ({text!r}) has characters the model never saw in training: "
                    f"{''.join(unknown)!r}. It knows: {''.join(self.source_vocab.chars)!r}.")
            if len(text) > self.max_source_length:
                raise InvalidInputError(
                    f"input {i} ({text[:30]!r}...) is {len(text)} characters long; this model reads at "
                    f"most {self.max_source_length}. Shorten it.")
            cleaned.append(text)
        return cleaned

    def translate(self, texts, beam_size: int = 1, max_length: int | None = None,
                  batch_size: int = 256, progress: bool = False) -> list[str]:
        """Rewrite each text; beam_size=1 is greedy decoding. A single string is also accepted
        (and a single string is returned). progress=True shows a bar over the batches."""
        single = isinstance(texts, str)
        results = self.translate_with_scores([texts] if single else texts, beam_size, max_length, batch_size,
                                             progress)
        outputs = [text for text, _ in results]
        return outputs[0] if single else outputs

    def translate_with_scores(self, texts, beam_size: int = 1, max_length: int | None = None,
                              batch_size: int = 256, progress: bool = False) -> list[tuple[str, float]]:
        """(output, log-probability of the output under the model) for each text."""
        if not isinstance(beam_size, (int, np.integer)) or isinstance(beam_size, bool) or beam_size < 1:
            raise InvalidInputError(f"beam_size must be an integer of at least 1, got {beam_size!r}.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be an integer of at least 1, got {batch_size!r}.")
        max_length = (self.max_target_length + 1) if max_length is None else max_length
        if not isinstance(max_length, (int, np.integer)) or max_length < 1:
            raise InvalidInputError(f"max_length must be an integer of at least 1, got {max_length!r}.")
        texts = self._check(texts)
        results = [("", 0.0)] * len(texts)
        todo = [i for i, text in enumerate(texts) if text]
        starts = range(0, len(todo), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"translating ({'greedy' if beam_size == 1 else f'beam {beam_size}'})",
                          unit="batch", leave=False)
        for start in starts:
            chunk = todo[start:start + batch_size]
            ids = encode_sources([texts[i] for i in chunk], self.source_vocab, self.max_source_length)
            if beam_size == 1:
                out, scores, _ = self.decoder.greedy(ids, max_length)
            else:
                out, scores = self.decoder.beam_search(ids, beam_size, max_length)
            for i, row, score in zip(chunk, out, scores):
                results[i] = (self.target_vocab.decode(row), float(score))
        return results

    def attention(self, text: str):
        """Greedy output of one text with its attention weights: (output, weights, input).
        weights has a row per output character and <end>, and a column for the left padding
        (the sum over all its positions: the model may park attention there when it reads
        from its state instead) followed by one per input character; rows sum to 1.
        Needs a model with attention."""
        if not self.decoder.has_attention:
            raise InvalidInputError(f"{self.name} was trained without attention (attention='none').")
        (text,) = self._check([text])
        if not text:
            raise InvalidInputError("the input is empty: there is nothing to attend to.")
        ids = encode_sources([text], self.source_vocab, self.max_source_length)
        out, _, weights = self.decoder.greedy(ids, self.max_target_length + 1)
        output = self.target_vocab.decode(out[0])
        steps = min(len(output) + 1, weights.shape[1])
        weights = weights[0, :steps]
        padding = weights[:, :-len(text)].sum(axis=1, keepdims=True)
        return output, np.concatenate([padding, weights[:, -len(text):]], axis=1), text


def plot_attention(art: Seq2Seq, texts, title: str):
    """Heat maps of the attention weights: which input characters each output character read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(texts), figsize=(4.6 * len(texts), 3.6), squeeze=False)
    for ax, text in zip(axes[0], texts):
        output, weights, source = art.attention(text)
        ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0, vmax=1)
        ax.set_xticks(range(len(source) + 1), ["<pad>"] + list(source), fontsize=8, family="monospace",
                      rotation=0)
        ax.get_xticklabels()[0].set_rotation(90)
        ax.set_yticks(range(weights.shape[0]), (list(output) + ["<end>"])[:weights.shape[0]],
                      fontsize=8, family="monospace")
        ax.set_xlabel("input")
        ax.set_title(f"{source!r}\n-> {output!r}", fontsize=9)
    axes[0][0].set_ylabel("output")
    fig.suptitle(title)
    fig.tight_layout()
    return fig

