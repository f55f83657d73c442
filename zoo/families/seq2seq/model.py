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
batched beam search run around them in numpy (artifact.py's Decoder) and stop at the end token or a
maximum length. The vocabularies and id arrays are in vocab.py.
"""

from __future__ import annotations

import keras
from zoo.errors import InvalidInputError

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
ATTENTIONS = ("none", "bahdanau", "luong")


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


def export_models(model):
    """The encoder and the decoder's step for export, made of the trained layers as
    `inference_models` makes them, with named outputs (a dict, so every runtime names them):
        encode: source -> {"encoder_outputs", "attention_keys" (with attention), "h", "c" (LSTM)}
        step:   (token, h, c, encoder_outputs, attention_keys) -> {"log_probs", "h_next", "c_next"}
    The step's token is one id per stream and its log-probabilities are normalised (log_softmax)."""
    names = ("source_embedding", "encoder", "target_embedding", "decoder", "logits", "attention_keys",
             "attention_query", "attention", "attention_combine", "concat")
    present = {layer.name for layer in model.layers}
    layers = {name: model.get_layer(name) for name in names if name in present}
    state_names = ["h", "c"] if isinstance(layers["encoder"], keras.layers.LSTM) else ["h"]
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    encoder_outputs, keys, states = _encode(layers, source)
    attention = keys is not None
    encoded = ({"encoder_outputs": encoder_outputs, "attention_keys": keys} if attention else {}) | dict(zip(state_names, states))
    encoder = keras.Model(source, encoded, name="encode")

    units = layers["encoder"].units
    token = keras.Input(shape=(), dtype="int32", name="token")
    state_inputs = [keras.Input(shape=(units,), name=name) for name in state_names]
    context = [keras.Input(shape=(None, units), name=name) for name in ("encoder_outputs", "attention_keys")] \
        if attention else []
    tokens = keras.layers.Reshape((1,), name="one_step")(token)
    logits, new_states, _ = _decode(layers, tokens, state_inputs, *(context or [None, None]))
    logits = keras.layers.Reshape((int(logits.shape[-1]),), name="last_step")(logits)
    outputs = {"log_probs": keras.layers.Activation("log_softmax", name="log_probs")(logits)}
    outputs.update({f"{name}_next": state for name, state in zip(state_names, new_states)})
    return encoder, keras.Model([token, *state_inputs, *context], outputs, name="decoder_step")


def plot_attention(art, texts, title: str):
    """Heat maps of the attention weights of a Seq2Seq artifact `art`: which input characters each
    output character read."""
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
