"""The files of an artifact folder, and how the zoo reads them: each a regular file inside the
folder (no link, device or `..`; huggingface_hub's cache links are the one exception), read up to
a size limit, JSON parsed with a depth limit, and every file checked against its sha256
(verify_files, the one home of that check). zoo/artifacts.py loads artifacts with these; the
families read their vocabularies with them.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path, PurePosixPath

from zoo import io
from zoo.errors import IntegrityError, UnsafeArtifactError, ZooError

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
# How a sha256 is written in zoo.json and registry.json.
SHA256_HEX = re.compile(r"[0-9a-f]{64}")



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


def verify_files(folder: Path, expected: dict[str, str], *, hashed: dict[str, str] | None = None,
                 advice: str = "The file is corrupted or was changed. Re-download it, or retrain it with "
                               "`zoo train`; the model was not loaded.") -> dict:
    """Check every file against its sha256: the one place where the zoo checks an artifact's
    files. Each must be a file the folder may offer (member_path: a regular file inside it);
    the first that is missing, unsafe or different raises (IntegrityError, UnsafeArtifactError),
    its message ending with `advice`. `hashed` holds files already hashed in this load (file ->
    sha256), which are not read again. Returns every file's sha256, `hashed` included."""
    folder = Path(folder)
    digests = dict(hashed or {})
    for relative, sha in expected.items():
        path = member_path(folder, relative)
        actual = digests.get(relative) or io.sha256_file(path)
        digests[relative] = actual
        if actual != sha:
            raise IntegrityError(
                f"{relative} does not match its sha256 (expected {sha[:12]}..., found {actual[:12]}...) in "
                f"{folder}. {advice}")
    return digests


metadata_path = io.artifact_metadata_path  # zoo.json, or config.json in the first layout


def is_legacy(folder: Path) -> bool:
    """Whether a folder is in the first layout (metadata in config.json, network in model.keras)."""
    return metadata_path(folder).name == LEGACY_METADATA_FILE
