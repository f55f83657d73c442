"""Small file utilities: hashing and atomic writes.

Nothing the zoo writes is ever left half-written: each file goes to a temporary name in the same
folder and is renamed into place only when complete (a rename is atomic on one filesystem).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath


def _default_mode(directory: bool = False) -> int:
    """The permissions a plain open()/mkdir() would give under the current umask
    (temporary files and folders are created private, 0600/0700)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path next to `path`; rename it to `path` only if the block succeeds.

    `suffix` keeps an extension on the temporary name for writers that look at it
    (PIL picks the image format from the name, Keras insists on `.keras`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_user_text(path: str | os.PathLike, purpose: str) -> str:
    """A user's text file, or an InvalidInputError that says what is wrong with it."""
    from zoo.errors import InvalidInputError

    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist; give the path of a UTF-8 text file {purpose}.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text; convert it (e.g. with iconv) {purpose}.") from None


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ output folders

# The file of an artifact folder that says what the folder is: zoo.json, or config.json in the
# first layout (format_version 1). Named here, the lowest module, because artifacts.py and
# registry.py both need them and io.py imports neither.
ARTIFACT_METADATA = "zoo.json"
LEGACY_ARTIFACT_METADATA = "config.json"


def artifact_metadata_path(folder: str | os.PathLike) -> Path:
    """zoo.json if the folder has one, else config.json (the first layout)."""
    folder = Path(folder)
    new = folder / ARTIFACT_METADATA
    return new if new.is_file() or not (folder / LEGACY_ARTIFACT_METADATA).is_file() else folder / LEGACY_ARTIFACT_METADATA

# Lock files this process holds (see output_lock), so that the writer of an artifact can take the
# lock again inside a run that already holds it.
_held_locks: set[Path] = set()
# Output folders whose replacement the user asked for (see overwrite_allowed).
_overwrite_allowed: set[Path] = set()


def expand_user(path):
    """A path the user gave, with a leading `~` or `~user` meaning their home folder, as in a
    shell: a quoted `--out '~/runs/p'` or `out="~/runs/p"` reaches the zoo unexpanded, and would
    otherwise make a folder named `~`. None and "" stay as they are (refused with their own
    message)."""
    return path if path is None else os.path.expanduser(os.fspath(path))


def _absolute(path: str | os.PathLike) -> Path:
    # Normalised without following links: "." and "a/.." get a real name, a link stays a link.
    return Path(os.path.abspath(expand_user(path)))


def not_an_artifact(path: str | os.PathLike) -> str | None:
    """Why the folder at `path` is not an artifact folder the zoo wrote, or None if it is one:
    a zoo.json (config.json in the first layout) with "architecture" and "files", and nothing
    the metadata does not list (a file a user added to an artifact folder is theirs, and
    replacing the folder would delete it)."""
    path = Path(path)
    metadata = artifact_metadata_path(path)
    try:
        config = json.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not UTF-8, not JSON, nested too deep
        return f"it has no readable {ARTIFACT_METADATA}"
    if not (isinstance(config, dict) and "architecture" in config and isinstance(config.get("files"), dict)):
        return f"its {metadata.name} is not an artifact's"
    listed = {PurePosixPath(name) for name in config["files"]} | {PurePosixPath(metadata.name)}
    folders = {parent for name in listed for parent in name.parents}
    others = []
    for root, dirs, files in os.walk(path):
        here = PurePosixPath(Path(root).relative_to(path).as_posix())
        for name in sorted(dirs + files):
            entry = here / name
            if (Path(root) / name).is_symlink() or entry not in (folders if name in dirs else listed):
                others.append(entry.as_posix() + ("/" if name in dirs else ""))
        dirs[:] = [d for d in dirs if here / d in folders and not (Path(root) / d).is_symlink()]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return f"it holds files the zoo did not write: {shown}"
    return None


def check_output_folder(path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Raise InvalidInputError, one line, if writing an artifact folder at `path` could destroy
    something of the user's: `path` empty, a file, a symbolic link, the current folder or one
    above it, or an existing folder that is not an artifact the zoo wrote (that one only
    without `overwrite`). A zoo artifact there is replaced, as a rerun expects."""
    from zoo.errors import InvalidInputError

    if path is None or not str(os.fspath(path)).strip():  # Path("") is the current folder
        raise InvalidInputError("the output folder is empty; give a folder path, e.g. --out runs/xor.")
    shown = os.fspath(path)
    path = _absolute(path)
    if path.is_symlink():
        raise InvalidInputError(f"{shown} is a symbolic link; give the path of a folder (the zoo does "
                                "not write through links, nor replace them).")
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"{shown} is a file, not a folder; give another --out (the zoo writes "
                                "an artifact folder there).")
    if path == path.parent or Path.cwd() == path or path in Path.cwd().parents:
        raise InvalidInputError(f"{shown} is the current folder or one that holds it; give a new "
                                "folder for the artifact, e.g. --out runs/xor.")
    for above in path.parents:  # the nearest existing folder above must be a folder
        if above.exists() or above.is_symlink():
            if not above.is_dir():
                raise InvalidInputError(f"cannot make the folder {shown}: {above} is not a folder.")
            break
    if path.is_dir() and not overwrite:
        problem = not_an_artifact(path)
        if problem:
            raise InvalidInputError(
                f"{shown} exists and is not an artifact folder the zoo wrote ({problem}); choose "
                "another --out, or pass --overwrite (overwrite=True) to replace it.")


@contextlib.contextmanager
def overwrite_allowed(path: str | os.PathLike, allowed: bool = True):
    """Within the block, atomic_directory may replace whatever folder is at `path`: the user asked
    for it (`zoo train --overwrite`). Recipes write through save_artifact, which does not take the
    choice as an argument, so it is handed over here."""
    path = _absolute(path)
    if not allowed or path in _overwrite_allowed:
        yield
        return
    _overwrite_allowed.add(path)
    try:
        yield
    finally:
        _overwrite_allowed.discard(path)


@contextlib.contextmanager
def output_lock(path: str | os.PathLike):
    """Hold the lock file `.NAME.lock` next to `path` for the block, so that two runs never write
    the same output (its checkpoint or its artifact) at the same time: the second gets a ZooError
    at once. Taking it again inside a block that holds it does nothing (a run holds it while the
    recipe's save_artifact writes)."""
    from filelock import FileLock, Timeout

    from zoo.errors import ZooError

    path = _absolute(path)
    lock_path = path.with_name(f".{path.name}.lock")
    if lock_path in _held_locks:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ZooError(f"cannot make the folder {path.parent}: {error.strerror}.") from None
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ZooError(f"another run is writing to {path} (it holds {lock_path}); wait for it to "
                       "finish, or choose another --out.") from None
    _held_locks.add(lock_path)
    try:
        yield
    finally:
        _held_locks.discard(lock_path)
        # Removed while still held: a run that opened the file meanwhile finds its inode unlinked
        # once it gets the lock, and filelock then tries the path afresh, so no two runs ever
        # hold it (filelock checks the link count after flock).
        lock_path.unlink(missing_ok=True)
        lock.release()


@contextlib.contextmanager
def writing_output(path: str | os.PathLike, *, overwrite: bool = False):
    """For a whole run that ends by writing an artifact folder at `path` (`zoo train`): hold the
    output lock, tidy an earlier crash's leftovers, and refuse at once, before any training, an
    output that atomic_directory would refuse at the end; `overwrite` lets it replace any folder."""
    check_output_folder(path, overwrite=overwrite)  # before the lock file is made next to it
    with output_lock(path):
        remove_leftovers(path)
        check_output_folder(path, overwrite=overwrite)
        with overwrite_allowed(path, overwrite):
            yield


# The file inside each temporary folder the zoo makes next to an output (atomic_directory),
# which says that the folder is the zoo's: only a folder holding it is ever tidied away as a
# leftover. Names alone prove nothing: `.NAME.old` or `.NAME.abcdefgh.tmp` may be a user's own.
TEMPORARY_MARKER = ".keras-zoo-temporary"
# Inside a temporary folder: the new artifact being built, and, during the swap, the folder it
# replaces (moved in there, so that a crash leaves it inside a folder the zoo marked).
_NEW, _PREVIOUS = "new", "previous"


def _make_temporary_folder(path: Path) -> Path:
    """A new private folder `.NAME.XXXXXXXX.tmp` next to `path`, marked as the zoo's."""
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        (folder / TEMPORARY_MARKER).write_text(json.dumps({"written_by": "keras-zoo", "output": str(path)}) + "\n",
                                               encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _is_zoo_temporary_folder(folder: Path, path: Path) -> bool:
    """Whether `folder` is a temporary folder the zoo made for the output `path`: a real folder
    (not a link) holding the zoo's marker, a regular file that names that output."""
    marker = folder / TEMPORARY_MARKER
    if folder.is_symlink() or not folder.is_dir() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        written = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(written, dict) and written.get("written_by") == "keras-zoo" and written.get("output") == str(path)


def remove_leftovers(path: str | os.PathLike) -> None:
    """Tidy what a crashed atomic_directory left next to `path`: its temporary folders, each
    recognised by the marker the zoo wrote in it (never by its name alone). A crash between the
    two renames of the swap leaves the previous folder inside one, and nothing at `path`: it is
    put back. Call it with the output lock held, so that no running write is disturbed."""
    path = _absolute(path)
    if not path.parent.is_dir():
        return
    # mkdtemp's names: the prefix, 8 characters, the suffix; only the marker decides.
    temporary = re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    for folder in sorted(path.parent.iterdir()):
        if not (temporary.fullmatch(folder.name) and _is_zoo_temporary_folder(folder, path)):
            continue
        previous = folder / _PREVIOUS
        if previous.is_dir() and not previous.is_symlink() and not path.exists() and not path.is_symlink():
            os.replace(previous, path)
        shutil.rmtree(folder)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, *, overwrite: bool = False):
    """Build a folder under a temporary name and swap it into place when the block succeeds.

    An existing folder at `path` is replaced only after the new one is complete, so a crash
    leaves either the old folder or the new one, never a mixture. Only an artifact folder the
    zoo wrote is replaced, unless `overwrite` (or overwrite_allowed): files, links and other
    folders are refused (check_output_folder), before anything is written. The output lock is
    held throughout, and the leftovers of an earlier crash are tidied first.
    """
    path = _absolute(path)
    overwrite = overwrite or path in _overwrite_allowed
    with output_lock(path):
        remove_leftovers(path)
        check_output_folder(path, overwrite=overwrite)
        temporary = _make_temporary_folder(path)
        try:
            new = temporary / _NEW
            new.mkdir()
            yield new
            os.chmod(new, _default_mode(directory=True))
            check_output_folder(path, overwrite=overwrite)  # again: the block may have taken long
            if path.exists():
                os.replace(path, temporary / _PREVIOUS)  # into the marked folder: see remove_leftovers
            os.replace(new, path)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
