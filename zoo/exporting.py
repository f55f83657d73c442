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

A plan may add Endpoints: more calls exported beside `serving_default`, each a second signature
of the same SavedModel (Keras's `ExportArchive` endpoints), NAME.onnx and NAME.tflite. The
recurrent families export their step this way, `(token, state...) -> (log_probs,
state..._next)`, the state carried by the caller (seq2seq adds `encode`); README.md's second
loop drives it, export.json's `endpoints` and `step_loop` describe it, and each is checked as
the network is.

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
    endpoints: list = field(default_factory=list)  # Endpoints: more calls, exported beside this one
    step_loop: str = ""                # Python that drives the endpoints, given `run_NAME` and `vocab`


@dataclass
class Endpoint:
    """A call exported beside `serving_default`: a signature NAME of the SavedModel (Keras's
    ExportArchive endpoint), NAME.onnx, NAME.tflite. The recurrent families export their step,
    `step`: (token, state...) -> (log_probs, state..._next), the state carried by the caller.
    Its model's outputs are a dict, so that every runtime names them as `outputs` does."""

    name: str
    model: object                      # a keras.Model whose outputs are a dict {output name: tensor}
    inputs: list[dict]                 # as Plan.inputs
    outputs: list[dict]                # name (the model's output key), shape, what
    what: str
    static: list | None = None         # LiteRT's fixed shapes, per input

    @property
    def state(self) -> list[str]:
        """The inputs the step reads and gives back (output NAME_next)."""
        names = {o["name"] for o in self.outputs}
        return [spec["name"] for spec in self.inputs if f"{spec['name']}_next" in names]

    def file(self, fmt: str) -> str:
        return {"onnx": f"{self.name}.onnx", "litert": f"{self.name}.tflite"}.get(fmt, "saved_model.pb")


def ids_input(name, shape, what, below) -> dict:
    """An input of token ids, each in 0..below-1 (the check feeds ids in that range)."""
    return {"name": name, "dtype": "int32", "shape": list(shape), "what": what, "ids_below": int(below)}


def floats_input(name, shape, what, low=0.0, high=1.0, whole=False) -> dict:
    """An input of numbers in low..high (whole numbers only, such as bits, with whole=True)."""
    return {"name": name, "dtype": "float32", "shape": list(shape), "what": what,
            "values": [low, high], **({"whole_numbers": True} if whole else {})}


def state_input(name, units, what) -> dict:
    """A recurrent state an Endpoint reads (checked on values in -1..1, as an RNN's h is)."""
    return floats_input(name, (None, units), what, -1.0, 1.0)


def copy_cell(layer, name: str):
    """A trained recurrent layer's cell, copied (its config and weights) under another name, for
    a step model that calls the cells one step at a time: the cells of two layers share one
    default name, which a Keras model refuses."""
    cell = type(layer.cell).from_config({**layer.cell.get_config(), "name": name})
    cell.build((None, int(layer.cell.kernel.shape[0])))
    cell.set_weights(layer.cell.get_weights())
    return cell


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


def sample_inputs(plan: Plan | Endpoint, fmt: str, seed: int = 0) -> dict:
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


def _call(model, inputs: dict):
    """The Keras model on inputs by name (one input alone, several as a list)."""
    args = [inputs[t.name] for t in model.inputs]
    return model(args if len(args) > 1 else args[0], training=False)


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

    def endpoint(self, name: str):
        """An Endpoint's call (the step): run(**inputs) -> {output name: numpy array}."""
        import numpy as np

        spec = next((e for e in self.manifest.get("endpoints", ()) if e["name"] == name), None)
        if spec is None:
            raise InvalidInputError(f"{self.folder} exports no {name!r}; it has "
                                    f"{', '.join(e['name'] for e in self.manifest.get('endpoints', ())) or 'none'}.")
        if self.format == "onnx":
            import onnxruntime

            session = onnxruntime.InferenceSession(str(self.folder / spec["model_file"]),
                                                   providers=["CPUExecutionProvider"])
            names = [o.name for o in session.get_outputs()]
            return lambda **inputs: dict(zip(names, session.run(None, inputs)))
        if self.format == "saved_model":
            import tensorflow as tf

            signature = self._loaded.signatures[name]
            return lambda **inputs: {k: np.asarray(v) for k, v in
                                     signature(**{k: tf.constant(v) for k, v in inputs.items()}).items()}
        runner = _litert_interpreter(self.folder / spec["model_file"]).get_signature_runner("serving_default")
        return lambda **inputs: {k: np.asarray(v) for k, v in runner(**inputs).items()}


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


def _check_endpoint(folder: Path, endpoint: Endpoint, fmt: str) -> float:
    """As _check, for an Endpoint: every output, by name, against the Keras model's."""
    import numpy as np

    call = Exported(folder).endpoint(endpoint.name)
    worst = 0.0
    for seed in range(2):
        inputs = sample_inputs(endpoint, fmt, seed)
        want = {k: np.asarray(v) for k, v in _call(endpoint.model, inputs).items()}
        got = call(**inputs)
        if sorted(got) != sorted(want):
            raise ZooError(f"the {fmt} export's {endpoint.name} gives {sorted(got)}, Keras {sorted(want)}; not written.")
        for key, value in want.items():
            if got[key].shape != value.shape:
                raise ZooError(f"the {fmt} export's {endpoint.name} gives {key} of shape {got[key].shape}, "
                               f"Keras {value.shape}; not written.")
            scale = max(1.0, float(np.max(np.abs(value))))
            worst = max(worst, float(np.max(np.abs(got[key] - value))) / scale)
    if not worst <= TOLERANCE:
        raise ZooError(f"the {fmt} export's {endpoint.name} differs from the Keras model by {worst:.2g} (more than "
                       f"{TOLERANCE:g} of the outputs' scale); not written.")
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
            f"## Driving it\n\n```python\n{code}\n```\n" + _step_readme(manifest, plan))


# How each runtime runs an Endpoint: run_NAME(**inputs) -> {output name: array}.
STEP_RUNTIMES = {
    "onnx": ("import numpy as np, onnxruntime",
             "{name}_session = onnxruntime.InferenceSession('{file}')\n"
             "{name}_names = [o.name for o in {name}_session.get_outputs()]\n"
             "run_{name} = lambda **inputs: dict(zip({name}_names, {name}_session.run(None, inputs)))"),
    "saved_model": ("import numpy as np, tensorflow as tf\nloaded = tf.saved_model.load('.')",
                    "run_{name} = lambda **inputs: {{k: v.numpy() for k, v in loaded.signatures['{name}'](**inputs).items()}}"),
    "litert": ("import numpy as np\nfrom ai_edge_litert.interpreter import Interpreter  # or tf.lite.Interpreter",
               "run_{name} = Interpreter('{file}').get_signature_runner('serving_default')"),
}


def _step_readme(manifest: dict, plan: Plan) -> str:
    """README.md's part on the Endpoints: what each takes and gives, and the loop that carries
    the state (the second Python block)."""
    if not plan.endpoints:
        return ""
    fmt = manifest["format"]
    imports, call = STEP_RUNTIMES[fmt]
    many = len(manifest["endpoints"]) > 1  # (captioning: an image encoder and the step)
    where = ("the SavedModel's signature" if fmt == "saved_model" else "the file") + ("s" if many else "")
    parts = ["\n## Step by step, carrying the state\n\n"
             f"Generation need not rerun a window: {where} below "
             + ("include a step that takes" if many else "takes")
             + " one token and the state, and gives the next token's log-probabilities "
               "(normalised: log_softmax) and the new state, which the caller hands back at the next call.\n"]
    for entry in manifest["endpoints"]:
        where = f"signature `{entry['name']}`" if fmt == "saved_model" else f"`{entry['model_file']}`"
        rows = "\n".join(f"| `{s['name']}` | {s['dtype']} | {s['shape']} | {s['what']} |" for s in entry["inputs"])
        outs = "\n".join(f"| `{o['name']}` | float32 | {o['shape']} | {o['what']} |" for o in entry["outputs"])
        state = (f" The state is {', '.join(f'`{n}`' for n in entry['state'])}: each comes back as "
                 f"`NAME_next`." if entry["state"] else "")
        parts.append(f"\n### {entry['name']}: {where}\n\n{entry['what'][0].upper()}{entry['what'][1:]}.{state}\n\n"
                     f"| input | dtype | shape | what |\n| --- | --- | --- | --- |\n{rows}\n\n"
                     f"| output | dtype | shape | what |\n| --- | --- | --- | --- |\n{outs}\n")
    runners = "\n".join(call.format(name=e["name"], file=e.get("model_file", "")) for e in manifest["endpoints"])
    code = f"{imports}\n{runners}\n" + (PREAMBLE + "\n" if VOCAB_FILE in plan.files else "") + "\n" + plan.step_loop
    return "".join(parts) + f"\n```python\n{code}\n```\n"


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
        try:
            _quietly(lambda: _write_models(plan, format, tmp))
        except Exception as error:  # an op the format lacks, a converter's refusal: say which, in one line
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            raise ZooError(f"{art.name} ({art.config['architecture']}) cannot be exported as {format}: {first}") from error
        for name, text in plan.files.items():
            io.write_text(tmp / name, text)
        names = _quietly(lambda: _output_names(tmp, format, model_file))
        manifest = {
            "artifact": art.name, "architecture": art.config["architecture"], "format": format,
            "model_file": model_file, "exported": plan.what, "inputs": _fixed(plan, format),
            "outputs": [dict(o, runtime_name=n) for o, n in zip(plan.outputs, names)],
            "files": [*([model_file] if format != "saved_model" else ["saved_model.pb", "variables/"]),
                      *(e.file(format) for e in plan.endpoints if format != "saved_model"),
                      *plan.files, "README.md", EXPORT_FILE],
            "loop": plan.loop or None, "zoo_version": zoo.__version__, "keras_version": keras.__version__,
        }
        if plan.endpoints:
            manifest["endpoints"] = [_endpoint_manifest(e, format) for e in plan.endpoints]
            manifest["step_loop"] = plan.step_loop or None
        io.write_json(tmp / EXPORT_FILE, {**manifest, "check": {}})
        worst = _quietly(lambda: _check(tmp, plan, format))
        manifest["check"] = {"samples": 2, "max_relative_difference": worst, "tolerance": TOLERANCE}
        for entry, endpoint in zip(manifest.get("endpoints", ()), plan.endpoints):
            worst = _quietly(lambda: _check_endpoint(tmp, endpoint, format))  # noqa: B023 (called at once)
            entry["check"] = {"samples": 2, "max_relative_difference": worst, "tolerance": TOLERANCE}
        io.write_json(tmp / EXPORT_FILE, manifest)
        io.write_text(tmp / "README.md", _readme(manifest, plan))
    return path


def _fixed(call: Plan | Endpoint, fmt: str) -> list[dict]:
    """The inputs as the exported file takes them (LiteRT: the fixed shapes)."""
    return [dict(spec, shape=list(call.static[i])) if fmt == "litert" and call.static else spec
            for i, spec in enumerate(call.inputs)]


def _endpoint_manifest(endpoint: Endpoint, fmt: str) -> dict:
    where = {"signature": endpoint.name} if fmt == "saved_model" else {"model_file": endpoint.file(fmt)}
    return {"name": endpoint.name, **where, "what": endpoint.what, "inputs": _fixed(endpoint, fmt),
            "outputs": [dict(o, runtime_name=o["name"]) for o in endpoint.outputs], "state": endpoint.state}


def _signature(call: Plan | Endpoint, fmt: str):
    """LiteRT's input signature of fixed shapes where the call gives them; else None (the model's)."""
    import keras

    if fmt != "litert" or not call.static:
        return None
    specs = [keras.InputSpec(shape=shape, dtype=spec["dtype"], name=spec["name"])
             for shape, spec in zip(call.static, call.inputs)]
    return [specs] if len(specs) > 1 else specs


def _write_models(plan: Plan, fmt: str, tmp: Path) -> None:
    """The network as `serving_default` (model.onnx, model.tflite, the SavedModel), and each
    Endpoint: a signature of the same SavedModel (ExportArchive), or a file of its own."""
    import keras

    keras_outputs(plan, sample_inputs(plan, fmt))  # Keras exports only a model it has called
    for endpoint in plan.endpoints:
        _call(endpoint.model, sample_inputs(endpoint, fmt))
    if fmt == "saved_model" and plan.endpoints:  # what model.export does, with more endpoints
        archive = keras.export.ExportArchive()
        for name, model in [("serving_default", plan.model)] + [(e.name, e.model) for e in plan.endpoints]:
            specs = [keras.InputSpec(shape=t.shape, dtype=t.dtype, name=t.name) for t in model.inputs]
            archive.track_and_add_endpoint(name, model, [specs] if len(specs) > 1 else specs)
        archive.write_out(str(tmp), verbose=False)
        return
    target = tmp if fmt == "saved_model" else tmp / MODEL_FILES[fmt]
    plan.model.export(str(target), format=FORMATS[fmt], verbose=False, input_signature=_signature(plan, fmt))
    for endpoint in plan.endpoints:
        endpoint.model.export(str(tmp / endpoint.file(fmt)), format=FORMATS[fmt], verbose=False,
                              input_signature=_signature(endpoint, fmt))


def _quietly(work):
    """Run an exporter without its chatter: tf2onnx logs every pass, TensorFlow's converter and
    the LiteRT interpreter print from C++ straight to the process's stderr (file descriptor 2),
    and Keras's tf2onnx patch warns about numpy. Errors still raise, as exceptions."""
    from zoo import _quiet

    with _quiet.silenced("tf2onnx", "absl"):
        return work()
