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

`save_artifact` writes such a folder atomically; `load_folder` verifies every file's sha256, then
loads the model, checks it against its architecture and wraps it in the task's Artifact class
(its `generate`, `predict`, ...). `zoo.load` (zoo/api.py) maps a name, a folder or an hf://
source to a folder first.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from zoo import io, registry
from zoo.errors import IntegrityError, UnsafeArtifactError, ZooError

FORMAT_VERSION = 2
METADATA_FILE = io.ARTIFACT_METADATA    # zoo.json: the zoo's own metadata, every other file's sha256
KERAS_CONFIG_FILE = "config.json"       # Keras's directory layout (what model.save("hf://...") writes)
KERAS_METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
CARD_FILE = "README.md"
# The first layout (format_version 1): the zoo's metadata in config.json, the network in one
# .keras archive. Still read, never written.
LEGACY_METADATA_FILE = io.LEGACY_ARTIFACT_METADATA  # config.json
LEGACY_MODEL_FILE = "model.keras"

# The most the zoo reads of each kind of file a folder offers (read_member refuses more): far
# above what any artifact the zoo writes holds (its largest zoo.json is 40 KB, card 15 KB, plot
# 200 KB, vocabulary 120 KB), and small enough that a hostile folder cannot fill the memory.
METADATA_LIMIT = 16 << 20      # zoo.json, Keras's config.json
CARD_LIMIT = 1 << 20           # README.md
PLOT_LIMIT = 32 << 20          # *.png
VOCABULARY_LIMIT = 64 << 20    # vocab.txt, vocab.json
# JSON nested deeper than this is refused before it is parsed: Python's json (and Keras's
# deserializer) recurse once per level, and 100,000 levels end in a RecursionError. The zoo's
# metadata nests 5 deep, Keras's config of the zoo's networks 8.
MAX_JSON_DEPTH = 64


class Artifact:
    """A loaded artifact: `.model` (a keras.Model), `.config` (dict), `.card` (markdown).

    Families subclass it to add their task's methods (XorNet.predict, FilterBank.apply, ...).
    """

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


HUB_COMMIT = re.compile(r"[0-9a-f]{40}")


def _hub_blob(folder: Path, path: Path) -> Path | None:
    """The blob that `path` links to, if `folder` is a snapshot of huggingface_hub's cache and
    `path` one of its links: there every file of snapshots/COMMIT/ is a link to a file of the
    repository's blobs/ (a real folder, never a link). None for anything else."""
    storage = folder.parent.parent
    blobs = storage / "blobs"
    if not (folder.parent.name == "snapshots" and HUB_COMMIT.fullmatch(folder.name)
            and blobs.is_dir() and not blobs.is_symlink()):
        return None
    try:
        target = path.resolve()  # every link on the way followed: a blob that links on is not in blobs/
    except (OSError, RuntimeError):  # a loop of links
        return None
    return target if target.parent == blobs.resolve() else None


def member_path(folder: Path, name: str) -> Path:
    """The path of the file `name` of an artifact folder, if it is one the folder may offer: a
    relative path without `..`, naming a regular file inside the folder, reached through no
    symbolic link. So a README.md -> /etc/passwd is never read as the card, nor a
    model.weights.h5 -> /dev/zero hashed forever. The one exception is huggingface_hub's cache,
    whose snapshot folders hold links to the repository's blobs (see _hub_blob): there the
    blob is the file. Raises IntegrityError (a bad name, a missing file) or UnsafeArtifactError
    (a link, a device, a folder)."""
    folder = Path(folder)
    pure = PurePosixPath(name)
    if not pure.parts or pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise IntegrityError(f"artifact at {folder} lists an unsafe file path {name!r}")
    path = folder.joinpath(*pure.parts)
    for above in list(reversed(pure.parents))[1:]:  # the folders between `folder` and the file
        if folder.joinpath(*above.parts).is_symlink():
            raise UnsafeArtifactError(f"{above} in {folder} is a symbolic link; an artifact's files must be "
                                      f"regular files inside its folder, so {name} was not read.")
    try:
        mode = path.lstat().st_mode
    except OSError:
        raise IntegrityError(f"{name} is missing from {folder}; the artifact is incomplete. "
                             "Re-download it, or retrain it with `zoo train`.") from None
    if stat.S_ISLNK(mode):
        blob = _hub_blob(folder, path)
        if blob is None or not blob.is_file():
            raise UnsafeArtifactError(f"{name} in {folder} is a symbolic link (to {os.readlink(path)!r}); an "
                                      "artifact's files must be regular files inside its folder, so it was "
                                      "not read.")
        return blob
    if not stat.S_ISREG(mode):
        raise UnsafeArtifactError(f"{name} in {folder} is not a regular file (a folder, a device or a pipe); "
                                  "the artifact was not read.")
    return path


def read_member(folder: Path, name: str, limit: int) -> bytes:
    """The bytes of the file `name` of an artifact folder (see member_path: a regular file inside
    it, no link but the Hub cache's), at most `limit` bytes: a larger file is refused with a
    ZooError, never read whole. For everything a folder offers to be read or served: its card,
    its plots, its vocabulary, its metadata."""
    path = member_path(folder, name)
    # O_NOFOLLOW: should the file become a link after the check, it is not followed.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnsafeArtifactError(f"{name} in {folder} is not a regular file; it was not read.")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ZooError(f"{name} in {folder} is larger than the {limit:,} bytes the zoo reads of such a "
                       "file; it was not read.")
    return data


def read_text_member(folder: Path, name: str, limit: int) -> str:
    """read_member as UTF-8 text; a file that is not UTF-8 is a one-line ZooError."""
    try:
        return read_member(folder, name, limit).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ZooError(f"{name} in {folder} is not UTF-8 text (byte {error.start}); the artifact is "
                       "damaged or was not written by the zoo, and was not loaded.") from None


# A JSON string (with its escapes), or a bracket outside strings.
_JSON_STRINGS_AND_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def parse_json(text: str, where: str):
    """json.loads, after a scan of the text for its nesting depth (MAX_JSON_DEPTH at most), so
    that a hostile file nested 100,000 deep is a one-line ZooError, not a RecursionError. `where`
    names the file in the messages."""
    depth = 0
    for token in _JSON_STRINGS_AND_BRACKETS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ZooError(f"{where} nests deeper than {MAX_JSON_DEPTH} levels, which no file the zoo "
                               "or Keras writes does; the artifact was not loaded.")
        elif bracket in ("]", "}"):
            depth -= 1
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ZooError(f"{where} is not valid JSON ({error.msg} at line {error.lineno}); the "
                       "artifact was not loaded.") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise ZooError(f"{where} is not JSON the zoo can read ({str(error)[:100]}); the artifact "
                       "was not loaded.") from None


def read_json_member(folder: Path, name: str, limit: int):
    """read_text_member, parsed as JSON with parse_json's depth limit."""
    return parse_json(read_text_member(folder, name, limit), f"{name} in {folder}")


def verify_files(folder: Path, expected: dict[str, str]) -> None:
    """Check every file against its sha256; raise IntegrityError naming the first bad one. Each
    must be a file the folder may offer (member_path): a regular file inside it."""
    folder = Path(folder)
    for relative, sha in expected.items():
        path = member_path(folder, relative)
        actual = io.sha256_file(path)
        if actual != sha:
            raise IntegrityError(
                f"{relative} in {folder} does not match its recorded sha256 "
                f"(expected {sha[:12]}..., found {actual[:12]}...): the file is corrupted or was "
                "changed. Re-download it, or retrain it with `zoo train`; the model was not loaded.")


metadata_path = io.artifact_metadata_path  # zoo.json, or config.json in the first layout


def is_legacy(folder: Path) -> bool:
    """Whether a folder is in the first layout (metadata in config.json, network in model.keras)."""
    return metadata_path(folder).name == LEGACY_METADATA_FILE


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
        raise _keras_error(path, error) from None


def _keras_error(path: Path, error: Exception) -> ZooError:
    """What Keras's refusal to load or build a network means, as one line."""
    message = str(error) or type(error).__name__
    if "safe_mode" in message or "Lambda" in message or "lambda" in message:
        return UnsafeArtifactError(
            f"{path} contains code that would run when loaded (a Lambda layer or similar), "
            "and the zoo loads with Keras safe_mode on. Rebuild the model from the zoo's own "
            "layers; never load artifacts from untrusted sources with safe_mode off.")
    if "Could not locate" in message or "Unknown" in message:
        return UnsafeArtifactError(
            f"{path} uses a class the zoo does not know ({message.splitlines()[0][:200]!r}); "
            "only the zoo's registered architectures can be loaded.")
    return ZooError(f"could not load {path}: {message.splitlines()[0][:300]!r}")


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


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


def resolve_folder(name_or_path) -> tuple[Path, dict]:
    """Map a registry name or a folder path to (folder, expected file hashes)."""
    text = os.fspath(name_or_path)
    arts = registry.artifacts()
    if text in arts:
        return registry.packaged_folder(text), arts[text]["files"]
    folder = Path(text).expanduser()
    if folder.is_dir():
        return folder, read_config(folder)["files"]
    if text in registry.architectures():
        raise ZooError(f"{text!r} is an architecture without pretrained weights: use "
                       f"zoo.build({text!r}) for an untrained model, or `zoo list --pretrained`.")
    raise registry.unknown_name_error(text, registry.all_names(), "model")  # (or "no folder PATH")


def load_folder(folder: Path, expected: dict[str, str], registered: bool = False) -> Artifact:
    """Verify every file, then load the model (safe_mode), check that it is the network its
    architecture and hyper-parameters build, and wrap it in the task's Artifact class.

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
    verify_files(folder, expected)
    config = read_config(folder)
    arch = registry.architecture(config["architecture"])  # only architectures the registry knows
    artifact_class = registry.resolve(arch["artifact_class"])  # imports the family: its layers
    reference = None if registered else check_weights(folder, config, arch)
    model = load_keras_model(folder)
    if not registered:
        check_architecture(model, config, folder, arch, reference=reference)
    return artifact_class(model=model, config=config, folder=folder)


# ----------------------------------------------------------------------------- the network's size

# The most numbers (over all its tensors) and tensors a weights file may declare: 200 million
# float32 numbers are 800 MB, 60 times the zoo's largest network (3.3 million); 1,000 tensors are
# 60 times its most (seq2seq-dates has 15), and a network of that many builds in seconds (330
# LSTM layers: 2 s, unallocated). A file that declares more is refused from its headers, before
# a tensor is read or a weight allocated.
MAX_PARAMETERS = 200_000_000
MAX_TENSORS = 1_000
# A network built for the check may hold a little more than its weights file: Keras layers keep
# state that is not saved (each dropout layer's random seed, 2 numbers).
UNSAVED_VARIABLES = 256
UNSAVED_NUMBERS = 1 << 16


def _weights_source(folder: Path):
    """model.weights.h5, or (first layout) the bytes of the one inside model.keras, for h5py."""
    if not is_legacy(folder):
        return member_path(folder, WEIGHTS_FILE)
    import io as byte_streams

    return byte_streams.BytesIO(_read_archive_member(folder, WEIGHTS_FILE, MAX_PARAMETERS * 8))


def _read_archive_member(folder: Path, name: str, limit: int) -> bytes:
    """A file inside the first layout's model.keras (a zip), at most `limit` bytes."""
    path = member_path(folder, LEGACY_MODEL_FILE)
    try:
        with zipfile.ZipFile(path) as archive, archive.open(name) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError) as error:  # RuntimeError: encrypted
        raise ZooError(f"{path} is not a Keras archive with a {name} ({str(error)[:100]!r}); the artifact "
                       "is damaged or was not written by the zoo, and was not loaded.") from None
    if len(data) > limit:
        raise ZooError(f"{name} in {path} is larger than the {limit:,} bytes the zoo reads of such a file; "
                       "the artifact was not loaded.")
    return data


def weight_shapes(folder: Path) -> list[tuple[int, ...]]:
    """The shape of every tensor in the folder's weights file, read with h5py from the file's
    headers (no tensor is read). A file that declares more than MAX_PARAMETERS numbers or
    MAX_TENSORS tensors is refused, and so is one that keeps anything outside itself: HDF5 lets
    a dataset's numbers live in another file (external storage, a virtual dataset) and a name
    point into another file (an external link), which would have Keras read, say, a user's file
    into the weights; Keras writes none of these."""
    import h5py

    folder = Path(folder)
    source = _weights_source(folder)
    shapes, outside = [], []

    def visit(name, link):
        node = weights.get(name, getlink=False) if isinstance(link, h5py.HardLink) else None
        if node is None or (isinstance(node, h5py.Dataset) and (node.external or node.is_virtual)):
            outside.append(name)
        elif isinstance(node, h5py.Dataset):
            shapes.append(tuple(int(n) for n in node.shape))
        return True if outside or len(shapes) > MAX_TENSORS else None  # anything but None ends the walk

    try:
        with h5py.File(source, "r") as weights:
            weights.visititems_links(visit)
    except (OSError, ValueError, KeyError) as error:
        raise ZooError(f"the weights file of {folder} is not an HDF5 weights file "
                       f"({str(error).splitlines()[0][:100]!r}); the artifact is damaged or was not "
                       "written by Keras, and was not loaded.") from None
    if outside:
        raise UnsafeArtifactError(f"the weights file of {folder} keeps {outside[0][:100]!r} outside itself (an "
                                  "external or virtual dataset, or a link into another file); the artifact "
                                  "was not loaded.")
    numbers = sum(_count(shape) for shape in shapes)
    if len(shapes) > MAX_TENSORS or numbers > MAX_PARAMETERS:
        raise IntegrityError(f"the weights file of {folder} declares more than the {MAX_TENSORS:,} tensors "
                             f"or {MAX_PARAMETERS:,} numbers the zoo loads; the artifact was not loaded.")
    return shapes


def _count(shape) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


class _OverBudget(Exception):
    """A network being built holds more than the weights file it is checked against."""


class _VariableBudget(list):
    """Stands in for Keras's list of the variables a StatelessScope has created but not
    allocated: counts them as they come, and stops the build with _OverBudget once they exceed
    `variables` variables or `numbers` numbers."""

    def __init__(self, variables: int, numbers: int):
        super().__init__()
        self.variables, self.numbers, self.total = variables, numbers, 0

    def append(self, variable):
        self.total += _count(variable.shape)
        if len(self) >= self.variables or self.total > self.numbers:
            raise _OverBudget(f"more than {self.variables} variables or {self.numbers:,} numbers")
        super().append(variable)


@contextlib.contextmanager
def building_within(shapes: list[tuple[int, ...]]):
    """Within the block, Keras builds networks without allocating a weight, and a build stops
    with _OverBudget as soon as it holds more than the tensors `shapes` (a weights file's) allow.
    So a network described by hostile numbers (hidden_units 100,000,000; layers 100,000) is
    refused after a few variables, in milliseconds, instead of after gigabytes and minutes.

    Keras's StatelessScope defers each new variable's allocation and lists the variable in a
    per-thread list (global_state's "uninitialized_variables"), which it allocates when the
    outermost scope ends. For the block that list is a _VariableBudget, and the scope is told
    not to allocate: the list is dropped afterwards, and what was built stays unallocated (its
    shapes can be read, nothing else)."""
    import zoo.models  # noqa: F401  (brings Keras in without TensorFlow's start-up chatter)

    import keras
    from keras.src.backend.common import global_state

    budget = _VariableBudget(len(shapes) + UNSAVED_VARIABLES, sum(map(_count, shapes)) + UNSAVED_NUMBERS)
    previous = global_state.get_global_attribute("uninitialized_variables")
    global_state.set_global_attribute("uninitialized_variables", budget)
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute("uninitialized_variables", previous)


def _differences(found: list[tuple], expected: list[tuple]) -> str:
    """The tensor shapes one list has and the other lacks, for a one-line message."""
    import collections

    extra = list((collections.Counter(found) - collections.Counter(expected)).elements())
    missing = list((collections.Counter(expected) - collections.Counter(found)).elements())
    shown = lambda shapes: ", ".join(map(str, shapes[:3])) + (" ..." if len(shapes) > 3 else "")  # noqa: E731
    parts = [f"it has tensors of shape {shown(extra)} that are not expected"] if extra else []
    parts += [f"it lacks tensors of shape {shown(missing)}"] if missing else []
    return "; ".join(parts)


def check_weights(folder: Path, config: dict, arch: dict | None = None):
    """Check a folder's network before Keras allocates any of it: the tensors its weights file
    declares (weight_shapes: at most MAX_PARAMETERS numbers) must be those of the network its
    Keras config describes, and those of the network its architecture builds from its recorded
    hyper-parameters; both networks are built without allocating a weight, and their builds are
    stopped once they exceed the file (building_within). Returns the reference network (built
    from the hyper-parameters, unallocated) for check_architecture."""
    folder = Path(folder)
    shapes = weight_shapes(folder)
    _check_keras_config(folder, shapes)
    return build_reference(config, folder, arch, shapes)


def _check_keras_config(folder: Path, shapes: list[tuple]) -> None:
    """Keras builds the network its config describes before it reads a weight: build it here
    first, within the weights file's tensors and unallocated, so that a config of a larger
    network, or one nested deeper than parse_json allows, is refused before Keras sees it."""
    import keras

    if is_legacy(folder):
        path = folder / LEGACY_MODEL_FILE
        where = f"{KERAS_CONFIG_FILE} in {path}"
        try:
            text = _read_archive_member(folder, KERAS_CONFIG_FILE, METADATA_LIMIT).decode("utf-8")
        except UnicodeDecodeError:
            raise ZooError(f"{where} is not UTF-8 text; the artifact was not loaded.") from None
    else:
        path = folder / KERAS_CONFIG_FILE
        text = read_text_member(folder, KERAS_CONFIG_FILE, METADATA_LIMIT)
        where = str(path)
    network_config = parse_json(text, where)
    if not isinstance(network_config, dict):
        raise ZooError(f"{where} holds a JSON {type(network_config).__name__}, not a Keras config; the "
                       "artifact was not loaded.")
    network_config = {**network_config, "compile_config": None}  # as keras.saving.load_model(compile=False)
    try:
        with building_within(shapes):
            network = keras.saving.deserialize_keras_object(network_config, safe_mode=True)
    except _OverBudget:
        raise IntegrityError(f"{where} describes a larger network than its weights file holds "
                             f"({len(shapes)} tensors); the artifact was not loaded.") from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        raise _keras_error(path, error) from None
    built = [tuple(w.shape) for w in getattr(network, "weights", [])]
    if sorted(built) != sorted(shapes):
        raise IntegrityError(f"{where} does not describe the network in its weights file "
                             f"({_differences(shapes, built)}); the artifact was not loaded.")


def build_reference(config: dict, folder: Path, arch: dict | None, shapes: list[tuple]):
    """The network the architecture's build function makes from the recorded hyper-parameters
    (config["build"] where a family records the build arguments apart, else config["hparams"]),
    built unallocated and within the tensors `shapes` (building_within); a network larger than
    them, or of other tensors, is refused."""
    architecture = config["architecture"]
    arch = arch or registry.architecture(architecture)
    build_function = registry.resolve(arch["build"])
    accepted = inspect.signature(build_function).parameters
    recorded = config.get("build", config.get("hparams", {}))
    if not isinstance(recorded, dict):
        raise ZooError(f"{metadata_path(folder)} records its hyper-parameters as a "
                       f"{type(recorded).__name__}, not an object; the artifact was not loaded.")
    arguments = {**arch.get("defaults", {}), **{k: v for k, v in recorded.items() if k in accepted}}
    describes = f"the network in {folder} is not the {architecture} network its {metadata_path(folder).name} describes"
    try:
        with building_within(shapes):
            reference = build_function(**arguments)
    except _OverBudget:
        raise IntegrityError(f"{describes} (its hyper-parameters make a larger network than the "
                             f"{len(shapes)} tensors of its weights file); the artifact was not loaded.") from None
    except Exception as error:  # a bad hyper-parameter value recorded in the config
        raise ZooError(f"{metadata_path(folder)} records hyper-parameters a {architecture} network "
                       f"cannot be built with ({str(error).splitlines()[0][:200]!r}); the artifact "
                       "was not loaded.") from None
    built = [tuple(w.shape) for w in reference.weights]
    if sorted(built) != sorted(shapes):
        raise IntegrityError(f"{describes} ({_differences(shapes, built)}); the artifact was not loaded.")
    return reference


def _structure(model) -> list[tuple]:
    """What makes two networks the same architecture: each layer's class and weight shapes."""
    return [(type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]


def check_architecture(model, config: dict, folder: Path, arch: dict | None = None, reference=None) -> None:
    """Refuse a loaded network that is not what its metadata says: the network the
    architecture's build function makes from the recorded hyper-parameters (build_reference;
    `reference` if it was built already), layer by layer, class and weight shapes. Without
    this, any Keras model (a 5->3000->7 Dense net, another family's weights) loads and then
    answers wrongly."""
    if reference is None:
        reference = build_reference(config, folder, arch, [tuple(w.shape) for w in model.weights])
    found, expected = _structure(model), _structure(reference)
    if found != expected:
        where = next((f"layer {i}: {a[0]} {a[1]} where {b[0]} {b[1]} was expected"
                      for i, (a, b) in enumerate(zip(found, expected)) if a != b),
                     f"{len(found)} layers where {len(expected)} were expected")
        raise IntegrityError(
            f"the network in {folder} is not the {config['architecture']} network its "
            f"{metadata_path(folder).name} describes ({where}); the artifact was not loaded.")
