"""Artifacts: a trained model in a folder shaped like a Hugging Face model repository, in the
layout that Keras itself writes and reads (`model.save("hf://...")`, `keras.saving.load_model`):

    config.json        the network's Keras config          } Keras's own directory layout:
    metadata.json      Keras's version and save date       } keras.saving.load_model(folder)
    model.weights.h5   the weights                         } reads these three (safe_mode on)
    zoo.json           the zoo's metadata: architecture, hyper-parameters, dataset, metrics,
                       lineage, format_version, and every other file with its sha256
    README.md          the model card, with the Hub's YAML front matter
    *.png              plots; assets such as a vocabulary (JSON or text, never pickle)

So `import zoo.models; keras.saving.load_model("hf://owner/name")` loads what the zoo publishes
(zoo.models registers the zoo's custom layers), and the zoo reads its own facts from zoo.json.

Folders in the first layout (format_version 1: the zoo's metadata in config.json, the network in
model.keras) still load; `save_artifact` writes only the new one.

`save_artifact` writes such a folder atomically; `load_folder` verifies every file's sha256
(zoo/members.py reads the files), then loads the model, checks it against its architecture
(zoo/network_check.py for a folder that is not the registry's own) and wraps it in the task's
Artifact class (its `generate`, `predict`, ...). `zoo.load` maps a name, a folder or an hf://
source to a folder first (zoo/resolver.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from pathlib import Path

from zoo import io, registry
from zoo.errors import IntegrityError, ZooError
# An artifact folder's files and how they are read (re-exported: the families read their
# vocabularies as artifacts.read_json_member(...), ...).
from zoo.members import (  # noqa: F401
    CARD_FILE, CARD_LIMIT, KERAS_CONFIG_FILE, KERAS_METADATA_FILE, LEGACY_METADATA_FILE, LEGACY_MODEL_FILE,
    MAX_JSON_DEPTH, METADATA_FILE, METADATA_LIMIT, PLOT_LIMIT, SHA256_HEX, VOCABULARY_LIMIT, WEIGHTS_FILE,
    is_legacy, member_path, metadata_path, parse_json, read_json_member, read_member, read_text_member,
    verify_files)
# The checks of an untrusted folder's network (check_architecture is public: tests call it).
from zoo.network_check import check_architecture, check_weights, keras_error  # noqa: F401

FORMAT_VERSION = 2


class Artifact:
    """A loaded artifact: `.model` (a keras.Model), `.config` (dict), `.card` (markdown).

    Families subclass it to add their task's methods (XorNet.predict, FilterBank.apply, ...) and
    to declare what the shared machinery finds on the class (zoo/hooks.py, CONTRIBUTING.md):
    """

    config_schema: str | None = None   # "module:Class", the pydantic schema of its zoo.json
    tasks: tuple = ()                  # zoo.hooks.Task: what `zoo serve` answers
    finetune_data = None               # zoo.hooks.FinetuneData: what `zoo finetune` takes
    cli_verbs: tuple = ()              # zoo.hooks.Verb: its own `zoo` sub-commands
    demo_section = None                # zoo.hooks.DemoSection: its part of `zoo demo`
    widget_defaults: dict = {}         # where its gallery widget starts (a prompt, a length ...)

    def __init__(self, model, config: dict, folder: Path):
        self.model = model
        self.config = config
        self.folder = Path(folder)

    @property
    def name(self) -> str:
        return self.config.get("name", self.folder.name)

    @property
    def card(self) -> str:
        """The model card (README.md), or "" if the folder has none; read as read_member reads
        every file a folder offers (a regular file inside it, at most CARD_LIMIT bytes)."""
        if not os.path.lexists(self.folder / CARD_FILE):  # (a link is there, even a dangling one)
            return ""
        return read_text_member(self.folder, CARD_FILE, CARD_LIMIT)

    @property
    def metrics(self) -> dict:
        return self.config.get("metrics", {})

    def export_plan(self):
        """What `zoo export` exports (a zoo.exporting.Plan): here the network as it is, described
        from its own inputs. A family overrides it where its task loops around the network."""
        from zoo import exporting

        return exporting.network_plan(self)

    def __repr__(self):
        return (f"<{type(self).__name__} {self.name!r} architecture={self.config['architecture']!r}"
                f" params={self.model.count_params():,} from {self.folder}>")


# ----------------------------------------------------------------------------- writing


def without_optimizer(model):
    """The same architecture and weights, uncompiled. An artifact carries weights, not training
    state: Adam's two moment estimates per weight would triple its size, and fine-tuning compiles
    afresh. (keras.models.clone_model keeps the compiled optimizer, so rebuild from the config.)"""
    if getattr(model, "optimizer", None) is None:
        return model
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def save_artifact(out, *, model, config: dict, card_body: str, plots: dict | None = None,
                  assets: dict | None = None) -> Path:
    """Write an artifact folder atomically and return its path.

    config: at least name, architecture, hparams; metrics, dataset, training... as the recipe has.
    plots: file name -> matplotlib Figure. assets: file name -> str, bytes, or JSON-able object.
    """
    from zoo import cards, distribute

    import matplotlib.pyplot as plt

    import keras

    out = Path(out)
    if distribute.process_count() > 1:
        # Every process reports a digest of its weights, so a user can see that the replicas
        # agree; only process 0 writes.
        distribute.report_weights(model)
        if not distribute.is_coordinator():
            for figure in (plots or {}).values():
                plt.close(figure)
            return out
    with io.atomic_directory(out) as tmp:
        with distribute.local_only():
            # Keras's own directory layout: config.json, metadata.json, model.weights.h5.
            keras.saving.save_model(without_optimizer(model), tmp, zipped=False)
        with contextlib.suppress(OSError):
            (tmp / "assets").rmdir()  # Keras leaves an empty assets/ for models that have none
        for filename, figure in (plots or {}).items():
            figure.savefig(tmp / filename, dpi=110, bbox_inches="tight")
            plt.close(figure)
        for filename, content in (assets or {}).items():
            target = tmp / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            elif isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
        config = dict(config)
        config["format_version"] = FORMAT_VERSION
        (tmp / CARD_FILE).write_text(cards.render_card(config, card_body), encoding="utf-8")
        write_metadata(tmp, config)
    return out


def write_metadata(folder: Path, config: dict) -> dict:
    """Record every file of the folder with its sha256 in zoo.json (written last, so that it
    lists what is there). Returns the metadata written."""
    folder = Path(folder)
    config = {**config, "files": {
        p.relative_to(folder).as_posix(): io.sha256_file(p)
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != METADATA_FILE}}
    io.write_text(folder / METADATA_FILE, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    return config


# ----------------------------------------------------------------------------- reading


def load_keras_model(folder: Path):
    """Load an artifact's network with Keras's own loader and safe_mode on (zoo.models is
    imported first, so that the zoo's registered layers are known): the folder itself in Keras's
    directory layout, or model.keras in the first layout. A Lambda layer or an unknown class is
    refused."""
    import zoo.models  # noqa: F401  (brings Keras in without TensorFlow's start-up chatter; registers layers)

    import keras

    folder = Path(folder)
    if is_legacy(folder):
        path = folder / LEGACY_MODEL_FILE
        if not zipfile.is_zipfile(path):
            raise ZooError(f"{path} is not a Keras archive (a .keras file is a zip); the artifact is "
                           "damaged or was not written by the zoo, and was not loaded.")
    else:
        path = folder
        for required in (KERAS_CONFIG_FILE, WEIGHTS_FILE):
            if not (folder / required).is_file():
                raise ZooError(f"{folder} has no {required}, so it holds no Keras model; the "
                               "artifact is incomplete and was not loaded.")
        import h5py

        if not h5py.is_hdf5(folder / WEIGHTS_FILE):
            raise ZooError(f"{folder / WEIGHTS_FILE} is not an HDF5 weights file; the artifact is "
                           "damaged or was not written by Keras, and was not loaded.")
    try:
        return keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except (ValueError, TypeError, KeyError, OSError, RecursionError, zipfile.BadZipFile) as error:
        raise keras_error(path, error) from None



def read_config(folder: Path) -> dict:
    """An artifact's metadata (zoo.json, or config.json in the first layout), checked before
    anything uses it; anything else is a one-line ZooError (metadata can come from anywhere: a
    download, a hand edit, a bad disk). The file is read as read_member reads (a regular file in
    the folder, at most METADATA_LIMIT bytes), parsed with a depth limit, must hold no control
    character that would drive a terminal (outside a character model's vocabulary: newline and
    tab), and must match its family's schema (zoo/schemas.py), as must the family's vocabulary
    file. Returns the metadata as the file holds it."""
    from zoo import schemas

    path = metadata_path(folder)
    if not path.is_file() and not path.is_symlink():
        raise ZooError(f"{folder} is not an artifact folder: it has no {METADATA_FILE}.")
    config = read_json_member(folder, path.name, METADATA_LIMIT)
    if not isinstance(config, dict):
        raise ZooError(f"{path} holds a JSON {type(config).__name__}, not an object; the "
                       "artifact was not loaded.")
    if path.name == LEGACY_METADATA_FILE and "class_name" in config and "architecture" not in config:
        raise ZooError(f"{folder} is a plain Keras model (its config.json is Keras's), not a zoo "
                       f"artifact: it has no {METADATA_FILE}. Load it with keras.saving.load_model.")
    files = config.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and SHA256_HEX.fullmatch(v) for k, v in files.items()):
        raise ZooError(f"{path} has no `files` table of file name -> sha256, so its files cannot "
                       "be checked; it was not written by the zoo, and was not loaded.")
    if not isinstance(config.get("architecture"), str):
        raise ZooError(f"{path} names no architecture (a string such as \"mlp-xor\"); the "
                       "artifact was not loaded.")
    _refuse_control_characters(config, path)
    schema = schemas.schema_for(config["architecture"])
    metadata = _validated(lambda: schema.model_validate(config), path, config["architecture"])
    vocabulary = metadata.vocabulary_file()
    if vocabulary is not None:
        if vocabulary.endswith(".json"):
            content = read_json_member(folder, vocabulary, VOCABULARY_LIMIT)
        else:
            content = read_text_member(folder, vocabulary, VOCABULARY_LIMIT)
        _validated(lambda: metadata.check_vocabulary(content), path.with_name(vocabulary), config["architecture"])
    return config


def _validated(check, path: Path, architecture: str):
    """Run a schema check; its first complaint as a one-line ZooError naming the file and field."""
    from pydantic import ValidationError

    try:
        return check()
    except ValidationError as error:
        problems = error.errors()
        first = problems[0]
        where = _field_path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ZooError(f"{path} does not hold a {architecture} artifact's metadata: "
                       f"{where + ': ' if where else ''}{message}{more}; the artifact was not loaded.") from None
    except ValueError as error:
        raise ZooError(f"{path} does not hold a {architecture} artifact's metadata: {error}; the artifact "
                       "was not loaded.") from None


def _field_path(location) -> str:
    """A pydantic error location as hparams.units or kernels['blur'][0]; names from the file are
    quoted with repr, so nothing in them reaches a terminal raw."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            text += f".{part}" if text else part
        else:
            text += f"[{part[:40]!r}]"
    return text


def _refuse_control_characters(config: dict, path: Path) -> None:
    """Refuse metadata with a character that drives a terminal (ESC, BEL, NUL, ...; see
    zoo.text.is_control) in any key or string: `zoo info` prints them, cards and the gallery show
    them. Newline and tab are text (a description's line breaks, a character model's tokens)."""
    from zoo.text import TEXT_CONTROLS, is_control

    pending = [config]
    while pending:  # the depth is bounded (parse_json), but a loop needs no recursion at all
        item = pending.pop()
        if isinstance(item, dict):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list):
            pending += item
        elif isinstance(item, str):
            control = next((c for c in item if is_control(c) and c not in TEXT_CONTROLS), None)
            if control is not None:
                raise ZooError(f"{path} holds the control character U+{ord(control):04X} (in {item[:40]!r}), "
                               "which would drive a terminal rather than print; the artifact was not loaded.")


def load_folder(folder: Path, expected: dict[str, str], registered: bool = False, *, verified: bool = False,
                config: dict | None = None) -> Artifact:
    """Verify every file, then load the model (safe_mode), check that it is the network its
    architecture and hyper-parameters build, and wrap it in the task's Artifact class.

    verified=True: the files were checked against `expected` in this load already (a Hub
    download checks them as it fetches), so none is hashed again. config: the folder's metadata
    if it was read already (read_config), else it is read once the files are verified.

    A folder that is not the registry's own is checked before Keras allocates a weight
    (check_weights): its weights file's tensors against its Keras config and its
    hyper-parameters, so that numbers in its metadata cannot make the zoo build a network of
    gigabytes, or of 100,000 layers, only to refuse it."""
    folder = Path(folder)
    network_files = [LEGACY_MODEL_FILE] if is_legacy(folder) else [KERAS_CONFIG_FILE, WEIGHTS_FILE]
    unlisted = [name for name in network_files if name not in expected]
    if unlisted:
        raise IntegrityError(f"{metadata_path(folder)} does not list {' or '.join(unlisted)} with its sha256, "
                             "so the network cannot be checked; the artifact was not loaded.")
    if not verified:
        verify_files(folder, expected)
    config = config if config is not None else read_config(folder)
    artifact_class = registry.artifact_class(config["architecture"])  # only architectures the registry knows
    reference = None if registered else check_weights(folder, config)
    model = load_keras_model(folder)
    if not registered:
        check_architecture(model, config, folder, reference=reference)
    return artifact_class(model=model, config=config, folder=folder)
