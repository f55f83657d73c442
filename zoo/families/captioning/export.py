"""`zoo export` for a captioner: the teacher-forced forward model, (image, word ids so far) ->
next-word logits. Greedy captioning calls it once per word (README.md's loop; a caption is at
most 30 words).

Beside it, the encoder and the decoder's step (`encode` and `step`: signatures of the SavedModel,
encode.onnx and step.onnx, encode.tflite and step.tflite), made of the Captioner's own inference
models (model.inference_models, Captioner.models): the image read once into its grid of
features, the attention's keys and the LSTM's first state, then one word per call with the
state (the LSTM's h and c, and what attention read last) carried by the caller, as the zoo's own greedy captioning runs (README.md's second loop
writes what `art.caption(image)` writes). The step's log-probabilities are normalised
(log_softmax); the loop, as Captioner.step does, never picks <pad> or <start>."""

from __future__ import annotations

from zoo.errors import ZooError
from zoo.exporting import VOCAB_FILE, Endpoint, Plan, floats_input, ids_input, json_text, state_input
from zoo.families.captioning.schema import SPECIALS

# As the Captioner's (artifact.py, which imports this module in export_plan: not the other way).
PAD, START, END = (SPECIALS.index(token) for token in ("<pad>", "<start>", "<end>"))

STATES = ("h", "c", "attentional")  # the decoder's state, as the encoder starts it and the step carries it


def plan(art) -> Plan:
    size, length = art.image_size, art.max_tokens + 1
    return Plan(art.model, [image_input(art),
                            ids_input("words_in", (None, None), "<start> (1), then the caption so far; <pad> (0) after",
                                      len(art.words))],
                [{"name": "logits", "shape": [None, None, len(art.words)],
                  "what": "the next word's logits after each position"}],
                "the teacher-forced captioner: (image, word ids) -> next-word logits",
                loop=(f"{read_image(size)}\n"
                      f"words_in = np.full((1, {length}), {PAD}, 'int32'); words_in[0, 0] = {START}\n"
                      "out = []\n"
                      f"for t in range({length}):  # greedy; the decoder is causal: padding after t is not read\n"
                      "    logits = run(image=image, words_in=words_in)[0, t]\n"
                      f"    logits[[{PAD}, {START}]] = -np.inf\n"
                      "    word = int(logits.argmax())\n"
                      f"    if word == {END}:\n"
                      "        break\n"
                      "    out.append(vocab['words'][word])\n"
                      f"    if t + 1 < {length}:\n"
                      "        words_in[0, t + 1] = word\n"
                      "print(' '.join(out))"),
                files={VOCAB_FILE: json_text({"words": art.words, "pad": PAD, "start": START, "end": END})},
                static=[(1, size, size, 3), (1, length)],
                endpoints=endpoints(art), step_loop=step_loop(art))


def image_input(art) -> dict:
    size = art.image_size
    return floats_input("image", (None, size, size, 3), f"RGB pixels 0..255, {size}x{size}", 0.0, 255.0)


def read_image(size: int) -> str:
    """The loops' first lines: scene.png as the Captioner reads it (RGB, squashed to the square
    size with Lanczos where it is another size), a batch of one."""
    return ("from PIL import Image\n"
            f"image = np.asarray(Image.open('scene.png').convert('RGB').resize(({size}, {size}), Image.LANCZOS), "
            "'float32')[None]")


def export_models(art):
    """(encode, step): the Captioner's encoder and one-step decoder (Captioner.models, the trained
    layers) wrapped with named outputs (a dict, so that every runtime names them):
        encode: image -> {"features", "attention_keys", "h", "c", "attentional"}
        step:   (word, h, c, attentional, features, attention_keys) -> {"log_probs", "h_next", "c_next",
                "attentional_next", "attention"}
    The step's word is one id per caption (not (n, 1)), its log-probabilities are normalised
    (log_softmax of the logits, all words) and `attention` is the weights over the grid's cells."""
    import keras

    encoder, step = art.models
    if len(encoder.outputs) != 2 + len(STATES) or len(step.inputs) != 3 + len(STATES):
        raise ZooError(f"the captioner's export knows an attention LSTM decoder (state {', '.join(STATES)}); this encoder "
                       f"gives {len(encoder.outputs)} outputs, not {2 + len(STATES)}: update {__name__}.")
    image = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="image")
    features, keys, *states = encoder(image)
    encode = keras.Model(image, {"features": features, "attention_keys": keys, **dict(zip(STATES, states))},
                         name="encode")

    cells = int(features.shape[1])
    word = keras.Input(shape=(), dtype="int32", name="word")
    state_inputs = [keras.Input(shape=(int(t.shape[-1]),), name=name) for name, t in zip(STATES, step.inputs[1:])]
    features_in = keras.Input(shape=tuple(step.inputs[-2].shape[1:]), name="features")
    keys_in = keras.Input(shape=tuple(step.inputs[-1].shape[1:]), name="attention_keys")
    logits, *new_states, weights = step([keras.layers.Reshape((1,), name="one_step")(word), *state_inputs,
                                         features_in, keys_in])
    logits = keras.layers.Reshape((int(logits.shape[-1]),), name="last_step")(logits)
    outputs = {"log_probs": keras.layers.Activation("log_softmax", name="log_probs")(logits),
               **{f"{name}_next": state for name, state in zip(STATES, new_states)},
               "attention": keras.layers.Reshape((cells,), name="attention_weights")(weights)}
    return encode, keras.Model([word, *state_inputs, features_in, keys_in], outputs, name="decoder_step")


def endpoints(art) -> list[Endpoint]:
    encode, step = export_models(art)
    units = int(step.inputs[1].shape[-1])  # the LSTM's
    cells, feature_units = (int(d) for d in step.inputs[-2].shape[1:])
    key_units = int(step.inputs[-1].shape[-1])
    side = int(round(cells ** 0.5))
    meaning = {"h": "the LSTM's state h", "c": "the LSTM's cell state c",
               "attentional": "what the last step read from the image (fed into the next)"}
    grid = f"the image's {side}x{side} grid, cell by cell (row after row)"
    encode_endpoint = Endpoint(
        "encode", encode, [image_input(art)],
        [{"name": "features", "shape": [None, cells, feature_units], "what": f"the features of {grid} (for every step)"},
         {"name": "attention_keys", "shape": [None, cells, key_units], "what": "the attention's keys of the features (for every step)"},
         *({"name": name, "shape": [None, units], "what": meaning[name] + ": the step's first state"} for name in STATES)],
        "the encoder: the image read once; its features and attention keys for every step, and the decoder's first state",
        static=[(1, art.image_size, art.image_size, 3)])
    step_endpoint = Endpoint(
        "step", step,
        [ids_input("word", (None,), f"the previous word's id (<start> ({START}) first)", len(art.words)),
         *(state_input(name, units, meaning[name]) for name in STATES),
         floats_input("features", (None, cells, feature_units), "the image's features (from encode)", -1.0, 1.0),
         floats_input("attention_keys", (None, cells, key_units), "the attention's keys (from encode)", -1.0, 1.0)],
        [{"name": "log_probs", "shape": [None, len(art.words)], "what": "log-probabilities of the next word (log_softmax)"},
         *({"name": f"{name}_next", "shape": [None, units], "what": meaning[name] + " after this step"} for name in STATES),
         {"name": "attention", "shape": [None, cells],
          "what": f"where the decoder looked for this word: weights over {grid}, summing to 1"}],
        "one decoder step: the previous word, the state and the encoded image in; the next word's "
        "log-probabilities, the new state and the attention weights out",
        static=[(1,), *[(1, units)] * len(STATES), (1, cells, feature_units), (1, cells, key_units)])
    return [encode_endpoint, step_endpoint]


def step_loop(art) -> str:
    return (
        f"{read_image(art.image_size)}\n"
        "encoded = run_encode(image=image)\n"
        "context = {k: encoded[k] for k in ('features', 'attention_keys')}\n"
        f"state = {{k: encoded[k] for k in {STATES!r}}}  # the decoder starts from the encoder's state\n"
        f"word, out = {START}, []\n"
        f"for _ in range({art.max_tokens + 1}):  # greedy: the likeliest word each time\n"
        "    result = run_step(word=np.array([word], 'int32'), **state, **context)\n"
        "    state = {name: result[name + '_next'] for name in state}\n"
        "    log_probs = result['log_probs'][0]  # result['attention'][0]: where it looked\n"
        f"    log_probs[[{PAD}, {START}]] = -np.inf  # never produced\n"
        "    word = int(log_probs.argmax())\n"
        f"    if word == {END}:\n"
        "        break\n"
        "    out.append(vocab['words'][word])\n"
        "print(' '.join(out))")
