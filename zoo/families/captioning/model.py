"""The captioner: a small CNN reads the image into a grid of feature vectors, an LSTM writes the
caption one word at a time, and at each word soft attention decides which cells of the grid to
read (Xu et al. 2015, "Show, Attend and Tell"; the attention computed from the LSTM's output
and fed back into its next input, as in Luong et al. 2015).

    image (64, 64, 3) -> conv, stride 2 (32x32) -> conv, stride 2 (16x16) -> conv, stride 2
        (8x8) -> conv (each followed by batch normalisation) -> 64 cells x C channels
        -> + a learned vector per cell (GridPositions) -> relu(W cell)
        -> each cell compares itself with the others (self-attention, residual, layer norm)
        -> features f_1..f_64, keys k_i = W_k f_i
    s_0, c_0, a_0 = tanh(W relu(W' [grid; mean_i f_i]))...  the decoder starts from the whole grid
    for each word w_t of "<start> a small red circle":
        s_t, c_t = LSTM([embed(w_t); a_{t-1}], s_{t-1}, c_{t-1})
        weights_t = softmax_i(g s_t . k_i),  context_t = sum_i weights_t,i f_i
        a_t = tanh(W_c [context_t; s_t])
        logits_t = W_o a_t                                         predicts the next word
    (one step is layers.AttentionLSTMCell, run over the words by keras.layers.RNN)

The LSTM is Keras's LSTMCell, whose equations are the talk's (i, f, o gates, the cell
c_t = f c_{t-1} + i g, h_t = o tanh(c_t)); zoo/families/word_lm checks them against numpy.

Inference reuses the trained layers in two small models (no weights of their own): the encoder
(image -> features, attention keys, the first state s, c, a) and the one-step decoder (previous
word, state, features, keys -> next-word logits, new state, attention weights over the 64 cells).
"""

from __future__ import annotations

import keras

from zoo.errors import InvalidInputError
from zoo.families.captioning.layers import AttentionLSTMCell, GridPositions

PAD, START, END = 0, 1, 2
SPECIALS = ["<pad>", "<start>", "<end>"]
STATE_NAMES = ("state_h", "state_c", "state_attentional")  # the decoder's state between words


def build_captioner(vocab_size: int = 51, image_size: int = 64, filters: int = 48, units: int = 128,
                    embedding_dim: int = 48):
    """The training model: inputs `image` (n, image_size, image_size, 3), pixel values 0..255,
    and `words_in` (n, T) word ids; output next-word logits (n, T, vocab_size)."""
    for name, value in (("vocab_size", vocab_size), ("image_size", image_size), ("filters", filters),
                        ("units", units), ("embedding_dim", embedding_dim)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}.")
    if image_size % 8:
        raise InvalidInputError(f"image_size must be a multiple of 8 (three stride-2 convolutions), got {image_size}.")
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    words_in = keras.Input(shape=(None,), dtype="int32", name="words_in")
    layers = make_layers(vocab_size, image_size, filters, units, embedding_dim)
    features, keys, state = _encode(layers, image)
    logits, _, _ = _decode(layers, words_in, state, features, keys)
    return keras.Model([image, words_in], logits, name="captioner")


def make_layers(vocab_size, image_size, filters, units, embedding_dim) -> dict:
    """Every layer, named, so that inference finds them again in a loaded model."""
    def conv(n, k, s, name):
        return keras.layers.Conv2D(n, k, strides=s, padding="same", activation="relu", name=name)

    cells = (image_size // 8) ** 2
    return {
        "rescale": keras.layers.Rescaling(1 / 255, name="rescale"),
        "conv1": conv(filters // 2, 5, 2, "conv1"),
        "norm1": keras.layers.BatchNormalization(name="norm1"),
        "conv2": conv(filters, 3, 2, "conv2"),
        "norm2": keras.layers.BatchNormalization(name="norm2"),
        "conv3": conv(filters, 3, 2, "conv3"),
        "norm3": keras.layers.BatchNormalization(name="norm3"),
        "conv4": conv(filters, 3, 1, "conv4"),
        "norm4": keras.layers.BatchNormalization(name="norm4"),
        "grid": keras.layers.Reshape((cells, filters), name="grid"),
        "positions": GridPositions(name="positions"),
        "features": keras.layers.Dense(units, activation="relu", name="features"),
        "compare": keras.layers.MultiHeadAttention(4, units // 4, name="compare"),
        "compared": keras.layers.LayerNormalization(name="compared"),
        "pool": keras.layers.GlobalAveragePooling1D(name="pool"),
        "whole": keras.layers.Concatenate(name="whole"),
        "flatten": keras.layers.Flatten(name="flatten"),
        "summary": keras.layers.Dense(2 * units, activation="relu", name="summary"),
        "init_h": keras.layers.Dense(units, activation="tanh", name="init_h"),
        "init_c": keras.layers.Dense(units, activation="tanh", name="init_c"),
        "init_attentional": keras.layers.Dense(units, activation="tanh", name="init_attentional"),
        "attention_keys": keras.layers.Dense(units, use_bias=False, name="attention_keys"),
        "flat_features": keras.layers.Reshape((cells * units,), name="flat_features"),
        "flat_keys": keras.layers.Reshape((cells * units,), name="flat_keys"),
        "embedding": keras.layers.Embedding(vocab_size, embedding_dim, name="embedding"),
        "decoder": keras.layers.RNN(AttentionLSTMCell(units, cells), return_sequences=True, return_state=True,
                                    name="decoder"),
        "logits": keras.layers.Dense(vocab_size, name="logits"),
    }


def _encode(layers, image):
    """image -> (features (n, cells, units), attention keys, the decoder's first state [s, c, a])."""
    x = layers["rescale"](image)
    x = layers["norm1"](layers["conv1"](x))
    x = layers["norm2"](layers["conv2"](x))
    x = layers["norm3"](layers["conv3"](x))
    x = layers["norm4"](layers["conv4"](x))
    grid = layers["grid"](x)
    features = layers["features"](layers["positions"](grid))
    # Each cell looks at every other (self-attention, with a residual): whether an object has a
    # twin elsewhere decides the caption's first words ("two small green squares and ..." or
    # "from left to right ..."), and one cell sees it only by comparing itself with the others.
    cells = layers["compare"](features, features)
    features = layers["compared"](features + cells)
    # The whole grid, flattened, with the cells' mean, starts the LSTM: it knows what is where,
    # and what repeats, before the first word (as in "Show and Tell"); attention then reads the
    # cells each word needs.
    whole = layers["summary"](layers["whole"]([layers["flatten"](grid), layers["pool"](features)]))
    state = [layers["init_h"](whole), layers["init_c"](whole), layers["init_attentional"](whole)]
    return features, layers["attention_keys"](features), state


def _decode(layers, words_in, state, features, keys):
    """word ids -> (logits, the new state [s, c, a], attention weights (n, T, cells))."""
    grid = [layers["flat_features"](features), layers["flat_keys"](keys)]  # ride in the cell's state
    outputs, *new_state = layers["decoder"](layers["embedding"](words_in), initial_state=[*state, *grid])
    units = layers["decoder"].cell.units
    return layers["logits"](outputs[:, :, :units]), new_state[:3], outputs[:, :, units:]


def inference_models(model):
    """The encoder and the one-step decoder, made of the trained model's own layers."""
    layers = {layer.name: layer for layer in model.layers}
    image = keras.Input(shape=model.inputs[0].shape[1:], name="image")
    features, keys, state = _encode(layers, image)
    encoder = keras.Model(image, [features, keys, *state], name="encoder")

    cells, units = features.shape[1], features.shape[2]
    word = keras.Input(shape=(1,), dtype="int32", name="word")
    state_inputs = [keras.Input(shape=(units,), name=name) for name in STATE_NAMES]
    features_in = keras.Input(shape=(cells, units), name="features")
    keys_in = keras.Input(shape=(cells, units), name="attention_keys")
    logits, new_state, weights = _decode(layers, word, state_inputs, features_in, keys_in)
    step = keras.Model([word, *state_inputs, features_in, keys_in], [logits, *new_state, weights],
                       name="decoder_step")
    return encoder, step
