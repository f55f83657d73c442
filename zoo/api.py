"""The zoo's Python API; `zoo/__init__.py` re-exports it and `zoo/cli.py` wraps it."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

from zoo import artifacts, registry
from zoo.errors import InvalidInputError, ZooError
from zoo.registry import list_models  # noqa: F401  (re-exported)


def load(name_or_path):
    """Load a pretrained artifact by registry name, folder path, or hf://owner/name[@revision]
    (zoo/resolver.py: every file checked against its sha256 before Keras reads it)."""
    from zoo import resolver

    return resolver.load(name_or_path)


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
    build_function, arguments = registry.build_call(architecture, hparams)
    return build_function(**arguments)


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


def _data_keywords() -> set[str]:
    """Every keyword of fine-tuning data the registered artifact classes declare (text, pairs, ...)."""
    classes = {registry.artifact_class(name) for name in registry.architectures()}
    return {cls.finetune_data.keyword for cls in classes if getattr(cls, "finetune_data", None)}


def finetune(name_or_path, *, epochs: int | None = None, out="runs/finetuned", overwrite: bool = False,
             **data_and_options) -> Path:
    """Adapt a pretrained artifact to your own data; writes a new artifact folder at `out`.

    Give exactly the kind of data the artifact's class learns from, its `finetune_data` (e.g.
    `text=` for a language model, `pairs=` for seq2seq, `pair=(image, filtered)` for a filter
    bank; `zoo finetune --help` lists them all); any other keyword is an option of the family's
    fine-tuning (e.g. learning_rate=). `epochs=None` takes the recipe's default. The base
    artifact is read, never written. `out` is guarded as in `train`: locked while the run writes
    it, and only an artifact folder the zoo wrote is replaced (any other folder with
    overwrite=True). The new folder's config and card record the base (name, sha256), the data
    (name, sha256, size), the command and the metrics before and after.
    """
    from zoo import io

    art = load(name_or_path)
    recipe = registry.recipe_for_config(art.config)  # one of the zoo's own, never a path
    declared = getattr(art, "finetune_data", None)
    if declared is None or not hasattr(recipe, "finetune"):
        raise ZooError(f"{art.name} ({art.config['architecture']}) does not support fine-tuning.")
    keywords = _data_keywords() | {declared.keyword}
    given = {k: v for k, v in data_and_options.items() if k in keywords and v is not None}
    options = {k: v for k, v in data_and_options.items() if k not in keywords}
    if set(given) != {declared.keyword}:
        wrong = f"got {', '.join('--' + k for k in given)}" if given else "got no data"
        raise InvalidInputError(f"{art.name} fine-tunes on {declared.usage()}; {wrong}.")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise InvalidInputError(f"epochs must be a whole number >= 1; got {epochs!r}.")
    _check_options(art.name, recipe.finetune, options, reserved=("epochs", "out", declared.keyword))
    out = io.expand_user(out)
    io.check_output_folder(out, overwrite=True)  # empty, a file, a link, the current folder: first
    target, base = Path(out).resolve(), art.folder.resolve()
    if target == base or base in target.parents or target in base.parents:
        # As export refuses it: inside the base, the new folder would change the base's files
        # (and fail its checks); above it, replacing the folder would delete the base.
        raise InvalidInputError(f"--out {out} would replace the base artifact or write into it; choose a "
                                f"folder outside {art.folder}.")
    with io.writing_output(out, overwrite=overwrite):
        kwargs = {declared.keyword: given[declared.keyword], "out": Path(out)}
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
    from zoo import publishing

    return publishing.publish(name_or_folder, repo_id=repo_id, **options)
