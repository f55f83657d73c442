"""The zoo's Python API; `zoo/__init__.py` re-exports it and `zoo/cli.py` wraps it."""

from __future__ import annotations

import inspect
import math
import os
from pathlib import Path

from zoo import artifacts, registry
from zoo.errors import InvalidInputError, ZooError
from zoo.registry import list_models  # noqa: F401  (re-exported)


def load(name_or_path):
    """Load a pretrained artifact by registry name, folder path, or hf://owner/name[@revision]."""
    text = os.fspath(name_or_path)
    if not text.strip():
        raise ZooError("empty model name: give a registry name (see `zoo list`), a folder, or hf://owner/name.")
    if text.startswith("hf://"):
        from zoo import hub
        return hub.load_from_hub(text)
    entry = registry.artifacts().get(text)  # the name is resolved once, here
    if entry is None:
        folder, expected = artifacts.resolve_folder(text)
        return artifacts.load_folder(folder, expected)
    folder = registry.installed_folder(text)
    if folder is None:
        # The weights package is not installed (or predates this name): download the registry's
        # files from the artifact's Hub source (or take them from the cache), each checked
        # against the registry's sha256 list.
        from zoo import hub
        return hub.load_registered(text, entry)
    # A registered artifact's files match the registry's own sha256 list, and the test suite
    # checks each of them against its architecture; anything else is checked on every load.
    return artifacts.load_folder(folder, entry["files"], registered=True)


def info(name) -> dict:
    """The registry entry of an architecture or artifact, with `kind` saying which; for an
    artifact folder (one you trained or fine-tuned), the facts its zoo.json records."""
    reg = registry.load_registry()
    name = str(name)
    if name in reg["artifacts"]:
        return {"name": name, "kind": "artifact", **reg["artifacts"][name]}
    if name in reg["architectures"]:
        return {"name": name, "kind": "architecture", **reg["architectures"][name]}
    if Path(name).expanduser().is_dir():
        config = artifacts.read_config(Path(name).expanduser())
        keys = ("architecture", "description", "hparams", "dataset", "metrics", "base_model", "finetuned_on",
                "finetune")
        from zoo import lineage

        described = lineage.describe(config)
        return {"name": config.get("name", name), "kind": f"artifact folder {name}",
                **({"lineage": described} if described else {}),
                **{k: config[k] for k in keys if k in config}}
    raise registry.unknown_name_error(name, registry.all_names(), "model")


def build(architecture: str, **hparams):
    """An untrained keras.Model of a registered architecture; hparams override the defaults."""
    arch = registry.architecture(architecture)
    build_function = registry.resolve(arch["build"])
    accepted = inspect.signature(build_function).parameters
    unknown = sorted(set(hparams) - set(accepted))
    if unknown:
        raise InvalidInputError(
            f"{architecture} has no hyper-parameter {', '.join(unknown)}; it takes: "
            f"{', '.join(accepted)}.")
    return build_function(**{**arch.get("defaults", {}), **hparams})


def train(name: str, *, out=None, smoke: bool = False, epochs: int | None = None, seed: int = 0,
          register: bool = False, data_dir=None, devices: int | None = None, overwrite: bool = False,
          **options) -> Path:
    """Run an artifact's recipe. The result is an artifact folder; `register=True` writes it into
    the package and records its files and metrics in registry.json (how the zoo's own
    pretrained weights are made). Extra keyword options go to the recipe (e.g. pairs=...).

    devices=N trains data-parallel on N local devices; with the KERAS_DISTRIBUTION_* variables
    set, on several hosts (see zoo/distribute.py). Only the coordinator writes the artifact.

    `out` may be a new folder or an artifact folder the zoo wrote (it is replaced when the new one
    is complete); any other folder only with overwrite=True; a file or a link never. While it
    runs, the run holds `.NAME.lock` next to `out`: a second run for the same `out` stops at once."""
    import contextlib

    from zoo import distribute, io

    if epochs is not None and epochs < 1:
        raise InvalidInputError(f"epochs must be at least 1, got {epochs}.")
    if register and smoke:
        raise InvalidInputError("a smoke run cannot be registered as the pretrained artifact.")
    if register:
        registry.require_source_checkout("`zoo train NAME --register`")
    if out is None:
        out = registry.packaged_folder(name) if register else Path("runs") / name
    out = io.expand_user(out)
    recipe = registry.recipe_for_name(name)  # a clear error for unknown names
    _check_options(name, recipe.train, options)
    settings = distribute.multi_host_settings()
    # The processes of a multi-host run share `out`; the coordinator writes it, so it locks it.
    writes = settings is None or settings[2] == 0
    writing = io.writing_output(out, overwrite=overwrite) if writes else contextlib.nullcontext()
    with writing, distribute.data_parallel(devices):
        folder = recipe.train(Path(out), smoke=smoke, epochs=epochs, seed=seed, data_dir=data_dir,
                              **options)
    if register and distribute.is_coordinator():
        from zoo import cards

        registry.register_artifact(name, folder)
        cards.write_all()
    return Path(folder)


def _check_options(name: str, function, options: dict, reserved=("smoke", "epochs", "seed", "data_dir")) -> None:
    """Refuse options a recipe does not take, before anything is trained or written."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return  # the recipe checks its own options (e.g. charrnn's hyper-parameters)
    known = [p for p, v in parameters.items() if v.kind is v.KEYWORD_ONLY and p not in reserved]
    unknown = sorted(set(options) - set(known))
    if unknown:
        takes = f"it takes: {', '.join(known)}" if known else "it takes no -o options"
        raise InvalidInputError(f"the {name} recipe has no option {', '.join(unknown)}; {takes}.")


def _close(measured: float, registered: float, tolerance: float) -> bool:
    if isinstance(registered, (int, float)) and isinstance(measured, (int, float)):
        return math.isclose(measured, registered, rel_tol=tolerance, abs_tol=tolerance)
    return measured == registered


def evaluate(name_or_path, *, data_dir=None) -> dict:
    """Re-measure an artifact's metrics with its recipe and compare them with the recorded ones.

    Returns {metric: {"registered": x, "measured": y, "ok": bool}}.
    """
    art = load(name_or_path)
    recipe = registry.recipe_for_config(art.config)  # one of the zoo's own, never a path
    measured = recipe.evaluate(art, data_dir=data_dir)
    tolerance = getattr(recipe, "EVAL_TOLERANCE", 1e-3)
    registered = art.metrics
    return {key: {"registered": registered.get(key), "measured": value,
                  "ok": key in registered and _close(value, registered[key], tolerance)}
            for key, value in measured.items()}


# What each kind of fine-tuning data is, for the one-line error when a user gives the wrong kind.
FINETUNE_DATA = {
    "text": "--text FILE (a UTF-8 text file)",
    "pairs": "--pairs FILE.tsv (input<TAB>target, one pair per line)",
    "pair": "--pair IN.png OUT.png (an image and the same image filtered; OUT may be a .npy array, exact)",
    "table": "--table FILE.csv (a truth table: x1,x2,y rows of 0 and 1)",
}


def finetune(name_or_path, *, text=None, pairs=None, pair=None, table=None, epochs: int | None = None,
             out="runs/finetuned", overwrite: bool = False, **options) -> Path:
    """Adapt a pretrained artifact to your own data; writes a new artifact folder at `out`.

    Give exactly the kind of data the family learns from: `text=` (charrnn, the word language
    models, skipgram, cbow), `pairs=` (seq2seq), `pair=(image, filtered)` (cnn-filters) or
    `table=` (mlp-xor, perceptrons). `epochs=None` takes the recipe's default. The base artifact
    is read, never written. `out` is guarded as in `train`: locked while the run writes it, and
    only an artifact folder the zoo wrote is replaced (any other folder with overwrite=True).
    The new folder's config and card record the base (name, sha256), the data (name, sha256,
    size), the command and the metrics before and after.
    """
    from zoo import io

    given = {kind: value for kind, value in
             (("text", text), ("pairs", pairs), ("pair", pair), ("table", table)) if value is not None}
    art = load(name_or_path)
    recipe = registry.recipe_for_config(art.config)  # one of the zoo's own, never a path
    kind = getattr(recipe, "FINETUNE_DATA", None)
    if kind is None or not hasattr(recipe, "finetune"):
        raise ZooError(f"{art.name} ({art.config['architecture']}) does not support fine-tuning.")
    if set(given) != {kind}:
        wrong = f"got {', '.join('--' + k for k in given)}" if given else "got no data"
        raise InvalidInputError(f"{art.name} fine-tunes on {FINETUNE_DATA[kind]}; {wrong}.")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise InvalidInputError(f"epochs must be a whole number >= 1; got {epochs!r}.")
    _check_options(art.name, recipe.finetune, options, reserved=("epochs", "out", *FINETUNE_DATA))
    out = io.expand_user(out)
    io.check_output_folder(out, overwrite=True)  # empty, a file, a link, the current folder: first
    target, base = Path(out).resolve(), art.folder.resolve()
    if target == base or base in target.parents or target in base.parents:
        # As export refuses it: inside the base, the new folder would change the base's files
        # (and fail its checks); above it, replacing the folder would delete the base.
        raise InvalidInputError(f"--out {out} would replace the base artifact or write into it; choose a "
                                f"folder outside {art.folder}.")
    with io.writing_output(out, overwrite=overwrite):
        kwargs = {kind: given[kind], "out": Path(out)}
        if epochs is not None:
            kwargs["epochs"] = epochs
        return Path(recipe.finetune(art, **kwargs, **options))


def export(name_or_path, *, format: str, out, overwrite: bool = False) -> Path:  # noqa: A002
    """Export an artifact's network for a serving engine, into the new folder `out`:
    format="saved_model" (TF Serving, KServe), "onnx" (onnxruntime) or "litert" (.tflite).
    Beside the model file, export.json and README.md say how to drive it (inputs, outputs,
    vocabulary, and for the language models and seq2seq the loop around it); the export is checked
    against Keras on sample inputs before it is kept. An existing `out` is replaced only with
    overwrite=True. Needs `pip install 'keras-zoo[export]'` (zoo/exporting.py says what is exported)."""
    from zoo import exporting

    exporting.check_requirements(format)  # a wrong format or a missing package: said before loading
    exporting.check_out(out, overwrite)
    return exporting.export(load(name_or_path), format=format, out=out, overwrite=overwrite)


def publish(name_or_folder, repo_id: str, **options) -> str:
    """Upload an artifact folder to the Hugging Face Hub; returns the commit URL."""
    from zoo import hub

    return hub.publish(name_or_folder, repo_id=repo_id, **options)
