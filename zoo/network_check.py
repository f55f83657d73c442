"""Checking an untrusted artifact's network before Keras allocates any of it.

A folder that is not the registry's own could describe anything: a weights file of gigabytes, a
Keras config of 100,000 layers, hyper-parameters that build another network than the weights
hold. check_weights reads the weights file's tensor shapes from its headers, then builds the
network its Keras config describes and the one its architecture builds from its recorded
hyper-parameters, both without allocating a weight and stopped as soon as they outgrow the
file; check_architecture compares the network Keras loaded with that reference, layer by layer.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

from zoo import registry
from zoo.errors import IntegrityError, UnsafeArtifactError, ZooError
from zoo.members import (KERAS_CONFIG_FILE, LEGACY_MODEL_FILE, METADATA_LIMIT, WEIGHTS_FILE, is_legacy,
                         member_path, metadata_path, parse_json, read_text_member)

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


def check_weights(folder: Path, config: dict):
    """Check a folder's network before Keras allocates any of it: the tensors its weights file
    declares (weight_shapes: at most MAX_PARAMETERS numbers) must be those of the network its
    Keras config describes, and those of the network its architecture builds from its recorded
    hyper-parameters; both networks are built without allocating a weight, and their builds are
    stopped once they exceed the file (building_within). Returns the reference network (built
    from the hyper-parameters, unallocated) for check_architecture."""
    folder = Path(folder)
    shapes = weight_shapes(folder)
    _check_keras_config(folder, shapes)
    return build_reference(config, folder, shapes)


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
        raise keras_error(path, error) from None
    built = [tuple(w.shape) for w in getattr(network, "weights", [])]
    if sorted(built) != sorted(shapes):
        raise IntegrityError(f"{where} does not describe the network in its weights file "
                             f"({_differences(shapes, built)}); the artifact was not loaded.")


def build_reference(config: dict, folder: Path, shapes: list[tuple]):
    """The network the architecture's build function makes from the recorded hyper-parameters
    (config["build"] where a family records the build arguments apart, else config["hparams"]),
    built unallocated and within the tensors `shapes` (building_within); a network larger than
    them, or of other tensors, is refused."""
    architecture = config["architecture"]
    recorded = config.get("build", config.get("hparams", {}))
    if not isinstance(recorded, dict):
        raise ZooError(f"{metadata_path(folder)} records its hyper-parameters as a "
                       f"{type(recorded).__name__}, not an object; the artifact was not loaded.")
    build_function, arguments = registry.build_call(architecture, recorded, strict=False)
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


def check_architecture(model, config: dict, folder: Path, reference=None) -> None:
    """Refuse a loaded network that is not what its metadata says: the network the
    architecture's build function makes from the recorded hyper-parameters (build_reference;
    `reference` if it was built already), layer by layer, class and weight shapes. Without
    this, any Keras model (a 5->3000->7 Dense net, another family's weights) loads and then
    answers wrongly."""
    if reference is None:
        reference = build_reference(config, folder, [tuple(w.shape) for w in model.weights])
    found, expected = _structure(model), _structure(reference)
    if found != expected:
        where = next((f"layer {i}: {a[0]} {a[1]} where {b[0]} {b[1]} was expected"
                      for i, (a, b) in enumerate(zip(found, expected)) if a != b),
                     f"{len(found)} layers where {len(expected)} were expected")
        raise IntegrityError(
            f"the network in {folder} is not the {config['architecture']} network its "
            f"{metadata_path(folder).name} describes ({where}); the artifact was not loaded.")


def keras_error(path: Path, error: Exception) -> ZooError:
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
