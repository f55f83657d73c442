"""`zoo export`: an artifact's network in a format a serving engine runs without Keras or the zoo.

    saved_model   TensorFlow SavedModel, `serving_default` signature (TF Serving, KServe, TF.js)
    onnx          model.onnx (onnxruntime, Triton, OpenVINO, ...)
    litert        model.tflite (LiteRT, formerly TensorFlow Lite: phones, microcontrollers)

All three go through Keras 3's own `model.export`; this module only decides *what* to export
and writes, next to the model file, what a program needs to drive it:

    export.json   the inputs and outputs (names, shapes, meaning), the files, the loop
    README.md     the same for a person, with the loop in a few lines of Python
    vocab.json    the tokens, where the model reads or writes token ids

What is exported is one call of the network. Where the zoo's task runs a loop around the network
(generation for the language models, greedy or beam decoding for seq2seq), the loop stays with
the caller and README.md spells it out:
- charrnn, gru-lm, lstm-lm: the forward model, a window of token ids -> next-token logits at
  every position; generation feeds the window, samples from the last position, slides on.
- ngram-lm: the network as trained, n-1 context ids -> next-token logits.
- seq2seq: the teacher-forced forward model, (source ids, decoder input ids) -> logits; greedy
  decoding calls it once per output character. (One call is cheap: outputs are ~10 characters.)
- skipgram, cbow: the input-vector table, word ids -> vectors (what `similar` and `.wv` use;
  the negative-sampling scorer is only for training).
- mlp-xor, perceptron, cnn-filters: the network itself.

LiteRT gets fixed shapes for the recurrent families (batch 1, a fixed window): with a dynamic
time axis TensorFlow's converter keeps the recurrence's TensorList ops as "Select TF ops", which
the LiteRT interpreter runs only with the Flex delegate (absent from the pip interpreters and
from most devices); with static shapes the converter lowers them to built-in ops.

Every export is checked before it is kept: the exported file, run by its own runtime
(`Exported`), must give Keras's outputs on sample inputs to 1e-5 of the outputs' scale.
The folder is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from zoo.errors import InvalidInputError, ZooError

# Our names -> Keras's `format=` and the file each writes in the export folder.
FORMATS = {"saved_model": "tf_saved_model", "onnx": "onnx", "litert": "litert"}
MODEL_FILES = {"saved_model": "saved_model.pb", "onnx": "model.onnx", "litert": "model.tflite"}
# The importable modules each format needs beyond TensorFlow, to write the file and to check it.
NEEDS = {"saved_model": (), "onnx": ("tf2onnx", "onnx", "onnxruntime"), "litert": ()}
INSTALL_HINT = "pip install 'keras-zoo[export]'"
EXPORT_FILE = "export.json"
VOCAB_FILE = "vocab.json"
TOLERANCE = 1e-5      # largest |exported - Keras|, as a fraction of the largest |Keras output| (>= 1)
CHARRNN_WINDOW = 128  # charrnn's suggested window (any length for ONNX and SavedModel)


# ----------------------------------------------------------------------------- what is exported


@dataclass
class Plan:
    """What one architecture exports and how to drive it."""

    model: object                      # the keras.Model whose call is exported
    inputs: list[dict]                 # per input: name, dtype, shape, what (and ids_below for ids)
    outputs: list[dict]                # name (ours), shape, what
    what: str                          # one line: which call of the network this is
    loop: str = ""                     # Python that drives it, given `run` and `vocab`
    files: dict = field(default_factory=dict)  # extra file name -> text
    static: list | None = None         # LiteRT's fixed shapes, per input (None: the dynamic ones)


def _ids(name, shape, what, below):
    return {"name": name, "dtype": "int32", "shape": list(shape), "what": what, "ids_below": int(below)}


def _floats(name, shape, what, low=0.0, high=1.0, whole=False):
    return {"name": name, "dtype": "float32", "shape": list(shape), "what": what,
            "values": [low, high], **({"whole_numbers": True} if whole else {})}


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def plan_for(art) -> Plan:
    """The network call to export for an artifact of any of the zoo's architectures."""
    import keras

    arch = art.config["architecture"]
    model = art.model
    if arch == "mlp-xor":
        return Plan(model, [_floats("x", (None, 2), "pairs of bits x1, x2 (0.0 or 1.0)", whole=True)],
                    [{"name": "output", "shape": [None, 1], "what": "the network's real output; XOR is output > 0.5"}],
                    "the 2-2-1 network itself",
                    loop="y = run(x=np.array([[0, 1]], 'float32'))[:, 0]\nprint(int(y[0] > 0.5))  # 1")
    if arch == "perceptron":
        n = int(model.inputs[0].shape[-1])
        return Plan(model, [_floats("x", (None, n), "rows of 0/1 inputs", whole=True)],
                    [{"name": "output", "shape": [None, 1], "what": "w . x + b; the perceptron's output is 1 where it is > 0"}],
                    "the linear unit w . x + b (the step is applied after)",
                    loop="z = run(x=np.array([[1, 1]], 'float32'))[:, 0]\nprint((z > 0).astype(int))")
    if arch == "cnn-filters":
        names = list(art.config["kernels"])
        return Plan(model, [_floats("image", (None, None, None, 1), "one colour channel, 0..255; put R, G, B in the batch", 0, 255)],
                    [{"name": "output", "shape": [None, None, None, len(names)],
                      "what": f"the channel filtered by each kernel, in this order: {', '.join(names)}; clip to 0..255"}],
                    "the bank of kernels: one bias-free Conv2D, 'same' padding",
                    loop=("from PIL import Image\n"
                          "rgb = np.asarray(Image.open('photo.png').convert('RGB'), 'float32')  # your image, (H, W, 3)\n"
                          "channels = np.moveaxis(rgb, 2, 0)[..., None]  # the colours as a batch: (3, H, W, 1)\n"
                          f"out = run(image=channels)[..., {names!r}.index('sharpen')]\n"
                          "filtered = np.clip(np.moveaxis(out, 0, 2), 0, 255).astype('uint8')"),
                    files={"kernels.json": _json({"kernels": names})})
    if arch in ("skipgram", "cbow"):
        # The serving use of word2vec is its vectors; the negative-sampling scorer it was trained
        # with needs noise words and says nothing alone.
        word = keras.Input(shape=(), dtype="int32", name="word")
        vectors = keras.Model(word, model.get_layer("input_vectors")(word), name=f"{arch}_vectors")
        words = art.vocab.words
        return Plan(vectors, [_ids("word", (None,), "word ids (vocab.json: words[i] is id i)", len(words))],
                    [{"name": "vectors", "shape": [None, int(vectors.outputs[0].shape[-1])],
                      "what": "each word's input vector (what gensim calls wv)"}],
                    "the word-vector table: word ids -> vectors",
                    loop=("words = vocab['words']\n"
                          "table = run(word=np.arange(len(words), dtype='int32'))\n"
                          "table /= np.linalg.norm(table, axis=1, keepdims=True)\n"
                          "sims = table @ table[words.index('king')]\n"
                          "print([words[i] for i in np.argsort(-sims)[1:11]])  # the 10 nearest"),
                    files={VOCAB_FILE: _json({"words": words})})
    if arch == "ngram-lm":
        context, words = int(art.config["hparams"]["context"]), art.vocab.words
        return Plan(model, [_ids("context", (None, context), f"the {context} previous word ids of the line, <s>-padded", len(words))],
                    [{"name": "logits", "shape": [None, len(words)], "what": "next-word logits (softmax for probabilities)"}],
                    "the network as trained: n-1 context words -> next-word logits",
                    loop=(f"ids = {{w: i for i, w in enumerate(vocab['words'])}}\n"
                          f"line = ['<s>'] * {context} + 'to be or'.split()  # the line so far (lower-case words)\n"
                          "for _ in range(20):\n"
                          f"    context = np.array([[ids.get(w, 0) for w in line[-{context}:]]], 'int32')  # 0 is <UNK>\n"
                          "    logits = run(context=context)[0].astype('float64')\n"
                          "    logits[[0, 1]] = -np.inf  # never <UNK> or <s>\n"
                          "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                          "    word = vocab['words'][rng.choice(len(p), p=p)]\n"
                          f"    line = ['<s>'] * {context} if word == '</s>' else line + [word]  # </s>: a new line\n"
                          "    print(word, end=' ')"),
                    files={VOCAB_FILE: _json({"words": words, "unknown": "<UNK>", "line_start": "<s>", "line_end": "</s>"})})
    if arch in ("gru-lm", "lstm-lm"):
        from zoo.families.word_lm.artifact import BURN_IN, WINDOW

        window, words = BURN_IN + WINDOW, art.vocab.words
        return Plan(model, [_ids("tokens", (None, None), "a window of word ids, lines separated by </s>", len(words))],
                    [{"name": "logits", "shape": [None, None, len(words)], "what": "next-word logits after each position"}],
                    "the forward model: a window of word ids -> next-word logits at every position",
                    loop=(f"ids = {{w: i for i, w in enumerate(vocab['words'])}}\n"
                          "history = [ids.get(w, 0) for w in 'to be or'.split()]  # lines end with </s> (id 2)\n"
                          "for _ in range(20):\n"
                          f"    window = ([2] * {window} + history)[-{window}:]  # as the zoo does: {window} ids, </s>-padded\n"
                          "    logits = run(tokens=np.array([window], 'int32'))[0, -1].astype('float64')\n"
                          "    logits[[0, 1]] = -np.inf  # never <UNK> or <s>\n"
                          "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                          "    history.append(int(rng.choice(len(p), p=p)))\n"
                          "    print(vocab['words'][history[-1]], end=' ')"),
                    files={VOCAB_FILE: _json({"words": words, "unknown": "<UNK>", "line_end": "</s>"})},
                    static=[(1, window)])
    if arch == "charrnn":
        chars = art.vocab.tokens
        pad = chars.index("\n") if "\n" in chars else 0
        return Plan(model, [_ids("chars", (None, None), "a window of character ids", len(chars))],
                    [{"name": "logits", "shape": [None, None, len(chars)], "what": "next-character logits after each position"}],
                    "the forward model: a window of character ids -> next-character logits at every position",
                    loop=("ids = {c: i for i, c in enumerate(vocab['chars'])}\n"
                          "text = 'ROMEO:'\n"
                          "for _ in range(200):\n"
                          f"    window = ([{pad}] * {CHARRNN_WINDOW} + [ids[c] for c in text if c in ids])[-{CHARRNN_WINDOW}:]\n"
                          "    logits = run(chars=np.array([window], 'int32'))[0, -1].astype('float64') / 0.8  # temperature\n"
                          "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                          "    text += vocab['chars'][rng.choice(len(p), p=p)]\n"
                          "print(text)"),
                    files={VOCAB_FILE: _json({"chars": chars})},
                    static=[(1, CHARRNN_WINDOW)])
    if arch == "seq2seq":
        from zoo.families.seq2seq.model import END, PAD, START

        source_length, target_length = art.max_source_length, art.max_target_length + 1
        source, target = art.source_vocab.tokens, art.target_vocab.tokens
        return Plan(model, [_ids("source", (None, None), f"input character ids, left-padded with <pad> (0) to {source_length}", len(source)),
                            _ids("target_in", (None, None), "<start> (1), then the output so far; <pad> (0) after", len(target))],
                    [{"name": "logits", "shape": [None, None, len(target)],
                      "what": "the next output character's logits after each decoder position"}],
                    "the teacher-forced forward model: (source ids, decoder input ids) -> next-character logits",
                    loop=("src = {c: i for i, c in enumerate(vocab['source'])}\n"
                          "text = '25 Nov 2026'\n"
                          f"source = np.array([[{PAD}] * ({source_length} - len(text)) + [src[c] for c in text]], 'int32')\n"
                          f"target_in = np.full((1, {target_length}), {PAD}, 'int32'); target_in[0, 0] = {START}\n"
                          "out = []\n"
                          f"for t in range({target_length}):  # greedy; the decoder is causal: padding after t is not read\n"
                          "    logits = run(source=source, target_in=target_in)[0, t]\n"
                          f"    logits[[{PAD}, {START}]] = -np.inf\n"
                          "    token = int(logits.argmax())\n"
                          f"    if token == {END}:\n"
                          "        break\n"
                          "    out.append(vocab['target'][token])\n"
                          f"    if t + 1 < {target_length}:\n"
                          "        target_in[0, t + 1] = token\n"
                          "print(''.join(out))  # 2026-11-25"),
                    files={VOCAB_FILE: _json({"source": source, "target": target, "pad": PAD, "start": START, "end": END,
                                              "max_source_length": source_length})},
                    static=[(1, source_length), (1, target_length)])
    # Any other family: the network as it is, described from its own inputs (ids are checked in
    # 0..1, which every embedding has). A family whose task loops outside the network adds its
    # own entry above, with the loop.
    def spec(tensor):
        shape = [None if d is None else int(d) for d in tensor.shape]
        if "int" in str(tensor.dtype):
            return _ids(tensor.name, shape, "ids", 2)
        return _floats(tensor.name, shape, "values")
    return Plan(model, [spec(t) for t in model.inputs],
                [{"name": "output", "shape": [None if d is None else int(d) for d in model.outputs[0].shape],
                  "what": "the network's output"}], f"the {arch} network itself")


def sample_inputs(plan: Plan, fmt: str, seed: int = 0) -> dict:
    """A few inputs of the right kind (ids in range, bits, pixels) for checking an export."""
    import numpy as np

    rng = np.random.default_rng(seed)
    static = plan.static if fmt == "litert" and plan.static else None
    arrays = {}
    for i, spec in enumerate(plan.inputs):
        fill = iter((3, 7, 9, 11))  # batch 3, then lengths, heights, widths
        shape = static[i] if static else tuple(next(fill) if d is None else d for d in spec["shape"])
        if "ids_below" in spec:
            arrays[spec["name"]] = rng.integers(0, spec["ids_below"], shape).astype("int32")
        else:
            low, high = spec["values"]
            values = rng.integers(low, high + 1, shape) if spec.get("whole_numbers") else rng.uniform(low, high, shape)
            arrays[spec["name"]] = values.astype("float32")
    return arrays


def keras_outputs(plan: Plan, inputs: dict):
    import numpy as np

    model = plan.model
    args = [inputs[t.name] for t in model.inputs]
    return np.asarray(model(args if len(args) > 1 else args[0], training=False))


# ----------------------------------------------------------------------------- running an export


def _litert_interpreter(path: Path):
    """The LiteRT interpreter: ai_edge_litert's, else TensorFlow's own (deprecated, still there)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "tf.lite.Interpreter is deprecated"
            return tf.lite.Interpreter(model_path=str(path))
    return Interpreter(model_path=str(path))


class Exported:
    """An export folder, run by the runtime a serving engine would use: onnxruntime, TensorFlow's
    `serving_default` signature of the SavedModel, or the LiteRT interpreter.

        run = Exported("exports/xor"); run(x=np.zeros((1, 2), "float32"))  -> the first output
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / EXPORT_FILE).read_text(encoding="utf-8"))
        self.format = self.manifest["format"]
        path = self.folder / self.manifest["model_file"]
        if self.format == "onnx":
            import onnxruntime

            self._session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        elif self.format == "saved_model":
            import tensorflow as tf

            self._loaded = tf.saved_model.load(str(self.folder))  # kept: the signature needs it alive
            self._signature = self._loaded.signatures["serving_default"]
        else:
            self._runner = _litert_interpreter(path).get_signature_runner("serving_default")

    def outputs(self, **inputs) -> list:
        """Every output, as numpy arrays, in the order the runtime lists them."""
        import numpy as np

        if self.format == "onnx":
            return self._session.run(None, inputs)
        if self.format == "saved_model":
            import tensorflow as tf

            result = self._signature(**{k: tf.constant(v) for k, v in inputs.items()})
            return [np.asarray(result[k]) for k in sorted(result)]
        result = self._runner(**inputs)
        return [np.asarray(result[k]) for k in sorted(result)]

    def __call__(self, **inputs):
        return self.outputs(**inputs)[0]


def _check(folder: Path, plan: Plan, fmt: str) -> float:
    """Run the export on sample inputs; the largest difference from Keras, relative to the
    outputs' scale. Raises ZooError above TOLERANCE: a wrong export is never kept."""
    import numpy as np

    run = Exported(folder)
    worst = 0.0
    for seed in range(2):
        inputs = sample_inputs(plan, fmt, seed)
        want = keras_outputs(plan, inputs)
        got = np.asarray(run(**inputs))
        if got.shape != want.shape:
            raise ZooError(f"the {fmt} export gives outputs of shape {got.shape}, Keras {want.shape}; not written.")
        worst = max(worst, float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want)))))
    if not worst <= TOLERANCE:
        raise ZooError(f"the {fmt} export differs from the Keras model by {worst:.2g} (more than {TOLERANCE:g} of "
                       "the outputs' scale); not written.")
    return worst


# ----------------------------------------------------------------------------- writing the folder

RUNTIME_SNIPPETS = {
    "onnx": ("import numpy as np, onnxruntime\n"
             "session = onnxruntime.InferenceSession('model.onnx')\n"
             "run = lambda **inputs: session.run(None, inputs)[0]"),
    "saved_model": ("import numpy as np, tensorflow as tf\n"
                    "serve = tf.saved_model.load('.').signatures['serving_default']\n"
                    "run = lambda **inputs: serve(**inputs)[{out!r}].numpy()"),
    "litert": ("import numpy as np\n"
               "from ai_edge_litert.interpreter import Interpreter  # or tf.lite.Interpreter\n"
               "runner = Interpreter('model.tflite').get_signature_runner('serving_default')\n"
               "run = lambda **inputs: runner(**inputs)[{out!r}]"),
}
PREAMBLE = "import json\nvocab = json.load(open('vocab.json', encoding='utf-8'))\nrng = np.random.default_rng(0)"


def _readme(manifest: dict, plan: Plan) -> str:
    fmt, shapes = manifest["format"], manifest["inputs"]
    rows = "\n".join(f"| `{s['name']}` | {s['dtype']} | {s['shape']} | {s['what']} |" for s in shapes)
    outs = "\n".join(f"| `{o['runtime_name']}` | float32 | {o['shape']} | {o['what']} |" for o in manifest["outputs"])
    code = RUNTIME_SNIPPETS[fmt].replace("{out!r}", repr(manifest["outputs"][0]["runtime_name"])) + ("\n" + PREAMBLE if VOCAB_FILE in plan.files else "") + "\n\n" + plan.loop
    serving = {
        "saved_model": "TF Serving and KServe load a SavedModel from a numbered version folder: export to "
                       "`models/NAME/1` and serve `models/NAME` (`tensorflow_model_server --model_base_path=...`).",
        "onnx": "Any ONNX runtime runs `model.onnx` (onnxruntime, Triton's onnxruntime backend, OpenVINO).",
        "litert": "`model.tflite` uses LiteRT's built-in ops only (no Flex delegate needed).",
    }[fmt]
    fixed = " The shapes are fixed (LiteRT lowers the recurrence to built-in ops only then)." \
        if fmt == "litert" and plan.static else ""
    return (f"# {manifest['artifact']} ({manifest['architecture']}), exported as {fmt}\n\n"
            f"{manifest['exported'][0].upper()}{manifest['exported'][1:]}, written by `zoo export` (keras-zoo {manifest['zoo_version']}, "
            f"Keras {manifest['keras_version']}). It gives the Keras model's outputs to "
            f"{manifest['check']['max_relative_difference']:.1g} of their scale on the inputs it was checked on.\n\n"
            f"{serving}\n\n## Inputs{fixed}\n\n| name | dtype | shape | what |\n| --- | --- | --- | --- |\n{rows}\n\n"
            f"## Output\n\n| name | dtype | shape | what |\n| --- | --- | --- | --- |\n{outs}\n\n"
            f"Files: {', '.join(manifest['files'])}. `{EXPORT_FILE}` says all this for a program.\n\n"
            f"## Driving it\n\n```python\n{code}\n```\n")


def _output_names(folder: Path, fmt: str, model_file: str) -> list[str]:
    if fmt == "onnx":
        import onnxruntime

        return [o.name for o in onnxruntime.InferenceSession(str(folder / model_file)).get_outputs()]
    if fmt == "saved_model":
        import tensorflow as tf

        return sorted(tf.saved_model.load(str(folder)).signatures["serving_default"].structured_outputs)
    return sorted(_litert_interpreter(folder / model_file).get_signature_list()["serving_default"]["outputs"])


def check_requirements(fmt: str) -> None:
    """One line, before any model is loaded: an unknown format, or the packages it needs."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    missing = [m for m in ("tensorflow", *NEEDS[fmt]) if importlib.util.find_spec(m) is None]
    if missing:
        raise ZooError(f"exporting to {fmt} needs {', '.join(missing)}: {INSTALL_HINT}")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        raise ZooError(f"zoo export runs on the TensorFlow backend (KERAS_BACKEND is {backend!r}); "
                       "unset KERAS_BACKEND or set it to tensorflow.")


def _check_out(out, overwrite: bool) -> Path:
    from zoo import io

    if out is None or not str(os.fspath(out)).strip():
        raise InvalidInputError("the output folder is empty; give a folder, e.g. --out exports/mlp-xor.")
    path = Path(out).expanduser()
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InvalidInputError(f"{out} already exists; choose another --out, or pass --overwrite "
                                "(overwrite=True) to replace it.")
    io.check_output_folder(path, overwrite=True)  # files, links, the current folder: never
    return path


def export(name_or_path, *, format: str, out, overwrite: bool = False) -> Path:  # noqa: A002
    """Export an artifact's network (see the module's docstring) into the folder `out`."""
    from zoo import api, io

    check_requirements(format)
    path = _check_out(out, overwrite)
    art = api.load(name_or_path)
    source = art.folder.resolve()
    target = path.resolve()
    if target == source or target in source.parents or source in target.parents:
        raise InvalidInputError(f"--out {out} would replace the artifact being exported, or write into it; "
                                "choose another folder.")
    plan = plan_for(art)
    import keras

    import zoo

    with io.writing_output(path, overwrite=overwrite), io.atomic_directory(path) as tmp:
        model_file = MODEL_FILES[format]
        signature = None
        if format == "litert" and plan.static:
            specs = [keras.InputSpec(shape=shape, dtype=spec["dtype"], name=spec["name"])
                     for shape, spec in zip(plan.static, plan.inputs)]
            signature = [specs] if len(specs) > 1 else specs
        target_file = tmp if format == "saved_model" else tmp / model_file
        keras_outputs(plan, sample_inputs(plan, format))  # Keras exports only a model it has called
        try:
            _quietly(lambda: plan.model.export(str(target_file), format=FORMATS[format], verbose=False,
                                               input_signature=signature))
        except Exception as error:  # an op the format lacks, a converter's refusal: say which, in one line
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            raise ZooError(f"{art.name} ({art.config['architecture']}) cannot be exported as {format}: {first}") from error
        for name, text in plan.files.items():
            io.write_text(tmp / name, text)
        inputs = [dict(spec, shape=list(plan.static[i])) if format == "litert" and plan.static else spec
                  for i, spec in enumerate(plan.inputs)]
        names = _quietly(lambda: _output_names(tmp, format, model_file))
        manifest = {
            "artifact": art.name, "architecture": art.config["architecture"], "format": format,
            "model_file": model_file, "exported": plan.what, "inputs": inputs,
            "outputs": [dict(o, runtime_name=n) for o, n in zip(plan.outputs, names)],
            "files": [*([model_file] if format != "saved_model" else ["saved_model.pb", "variables/"]),
                      *plan.files, "README.md", EXPORT_FILE],
            "loop": plan.loop or None, "zoo_version": zoo.__version__, "keras_version": keras.__version__,
        }
        io.write_json(tmp / EXPORT_FILE, {**manifest, "check": {}})
        worst = _quietly(lambda: _check(tmp, plan, format))
        manifest["check"] = {"samples": 2, "max_relative_difference": worst, "tolerance": TOLERANCE}
        io.write_json(tmp / EXPORT_FILE, manifest)
        io.write_text(tmp / "README.md", _readme(manifest, plan))
    return path


def _quietly(work):
    """Run an exporter without its chatter: tf2onnx logs every pass, TensorFlow's converter and
    the LiteRT interpreter print from C++ straight to the process's stderr (file descriptor 2),
    and Keras's tf2onnx patch warns about numpy. Errors still raise, as exceptions."""
    import logging
    import sys
    import warnings

    loggers = [logging.getLogger(n) for n in ("tf2onnx", "absl")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to hide
        saved = None
    try:
        if saved is not None:
            sys.stderr.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return work()
    finally:
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
