"""`zoo export`: an artifact's network in a format a serving engine runs without Keras or the zoo.

    saved_model   TensorFlow SavedModel, `serving_default` signature (TF Serving, KServe, TF.js)
    onnx          model.onnx (onnxruntime, Triton, OpenVINO, ...)
    litert        model.tflite (LiteRT, formerly TensorFlow Lite: phones, microcontrollers)

All three go through Keras 3's own `model.export`; this module only decides *what* to export
and writes, next to the model file, what a program needs to drive it:

    export.json   the inputs and outputs (names, shapes, meaning), the files, the loop
    README.md     the same for a person, with the loop in a few lines of Python
    vocab.json    the tokens, where the model reads or writes token ids

What is exported is one call of the network: `art.export_plan()` says which (a `Plan`). The
base Artifact's plan is the network as it is, described from its own inputs (`network_plan`); a
family whose task runs a loop around the network (generation for the language models, decoding
for seq2seq) or serves only part of it (word2vec's vectors) gives its own plan in its
`zoo/families/NAME/export.py`, and the loop stays with the caller: README.md spells it out.

LiteRT gets fixed shapes where a plan gives them (`Plan.static`: the recurrent families use
batch 1 and a fixed window): with a dynamic
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


def ids_input(name, shape, what, below) -> dict:
    """An input of token ids, each in 0..below-1 (the check feeds ids in that range)."""
    return {"name": name, "dtype": "int32", "shape": list(shape), "what": what, "ids_below": int(below)}


def floats_input(name, shape, what, low=0.0, high=1.0, whole=False) -> dict:
    """An input of numbers in low..high (whole numbers only, such as bits, with whole=True)."""
    return {"name": name, "dtype": "float32", "shape": list(shape), "what": what,
            "values": [low, high], **({"whole_numbers": True} if whole else {})}


def json_text(obj) -> str:
    """A file of Plan.files holding JSON, written as every export writes it."""
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def network_plan(art) -> Plan:
    """The network as it is, described from its own inputs: what `Artifact.export_plan` gives
    unless a family says more (ids are checked in 0..1, which every embedding has). A family
    whose task loops outside the network overrides export_plan in its export.py, with the loop."""
    model = art.model

    def spec(tensor):
        shape = [None if d is None else int(d) for d in tensor.shape]
        if "int" in str(tensor.dtype):
            return ids_input(tensor.name, shape, "ids", 2)
        return floats_input(tensor.name, shape, "values")
    return Plan(model, [spec(t) for t in model.inputs],
                [{"name": "output", "shape": [None if d is None else int(d) for d in model.outputs[0].shape],
                  "what": "the network's output"}], f"the {art.config['architecture']} network itself")


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


def check_out(out, overwrite: bool) -> Path:
    """The output folder as a Path; refused if it exists (unless overwrite) or cannot be one."""
    from zoo import io

    if out is None or not str(os.fspath(out)).strip():
        raise InvalidInputError("the output folder is empty; give a folder, e.g. --out exports/mlp-xor.")
    path = Path(out).expanduser()
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InvalidInputError(f"{out} already exists; choose another --out, or pass --overwrite "
                                "(overwrite=True) to replace it.")
    io.check_output_folder(path, overwrite=True)  # files, links, the current folder: never
    return path


def export(art, *, format: str, out, overwrite: bool = False) -> Path:  # noqa: A002
    """Export a loaded artifact's network (see the module's docstring) into the folder `out`.
    (`zoo.export` takes a name: it checks the format and `out` before loading, then calls this.)"""
    from zoo import io

    check_requirements(format)
    path = check_out(out, overwrite)
    source = art.folder.resolve()
    target = path.resolve()
    if target == source or target in source.parents or source in target.parents:
        raise InvalidInputError(f"--out {out} would replace the artifact being exported, or write into it; "
                                "choose another folder.")
    plan = art.export_plan()
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
