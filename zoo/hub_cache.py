"""The Hugging Face cache on disk, as the zoo uses it: where it is, each repository's folder in
it, the lock under which one process at a time downloads, checks, purges and loads a
repository, the refs that map a branch or tag to a commit, and the purge of a snapshot that
failed verification. zoo/hub.py downloads into it and loads from it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path

from zoo import hub_http
from zoo.errors import HubError

COMMIT = re.compile(r"[0-9a-f]{40}")


def cache_dir() -> Path:
    """The Hub cache: HF_HUB_CACHE, else HF_HOME/hub, else huggingface_hub's default."""
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def repo_folder(repo_id: str) -> str:
    """huggingface_hub's folder name for a model repository (repo_id is validated: no '--')."""
    return "models--" + repo_id.replace("/", "--")


def storage(repo_id: str) -> Path:
    """The repository's folder in the cache, resolved as snapshot_download resolves it."""
    return cache_dir().expanduser().resolve() / repo_folder(repo_id)


@contextlib.contextmanager
def repo_lock(repo_id: str):
    """Hold the repository's lock: one process (or thread) at a time downloads, checks, purges
    and loads it, so that a purge never pulls files from under another load. The lock file sits
    where huggingface_hub keeps its own per-repository locks (.locks/models--owner--name/), which
    `hf cache scan` skips; a lock file in the repository's folder would make a never-downloaded
    repository look like a damaged cache entry. Reentrant (is_singleton), so resolver.load can
    hold it around download(). The wait ends after ZOO_HUB_DEADLINE: a download holding the lock
    ends by then (its own deadline), so a longer wait means a holder that is not downloading."""
    from filelock import FileLock, Timeout

    path = cache_dir().expanduser().resolve() / ".locks" / repo_folder(repo_id) / "keras-zoo.lock"
    wait = hub_http.deadline()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path, is_singleton=True)
        lock.acquire(timeout=wait)
    except Timeout:  # an OSError too, so first
        raise HubError(f"another process has been downloading or loading {repo_id} for over {wait:g} s "
                       f"(ZOO_HUB_DEADLINE), holding {path}: let it finish and try again, or end it if it "
                       "hangs.") from None
    except OSError:
        # A read-only cache (shared, mounted): nothing can be written or purged there, so there
        # is nothing to guard, and loading from it must still work.
        yield
        return
    try:
        yield
    finally:
        lock.release()



def write_ref(repo_id: str, revision: str, commit: str) -> None:
    """Record revision -> commit in the cache's refs/, as snapshot_download does for a branch or
    tag, so that offline loads find it (revision is validated: a path inside refs/). Written under
    a temporary name, then renamed, so a concurrent reader never sees half a ref. Best effort, as
    in huggingface_hub: a read-only cache still serves what it holds."""
    if revision == commit:
        return
    path = storage(repo_id) / "refs" / revision
    try:
        if path.is_file() and path.read_text() == commit:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        temporary.write_text(commit)
        os.replace(temporary, path)
    except OSError:
        pass


def is_snapshot(folder: Path, repo_id: str) -> bool:
    """Whether `folder` is a snapshots/<commit id> folder of the repository in the cache."""
    return (folder.parent == storage(repo_id) / "snapshots" and bool(COMMIT.fullmatch(folder.name))
            and not folder.is_symlink())


def _files_below(folder: Path):
    """Every file (or link) below a folder, without following links to folders elsewhere."""
    for root, _, files in os.walk(folder):
        for name in files:
            yield Path(root) / name


def _blobs_linked(folder: Path, blobs: Path) -> set[str]:
    """The names of the blobs that the files of a snapshot folder link to (one hop: a blob may
    itself link into huggingface_hub's shared store, which is not the repository's to delete)."""
    names = set()
    for path in _files_below(folder):
        if path.is_symlink():
            target = Path(os.path.normpath(path.parent / os.readlink(path)))
            if target.parent == blobs:
                names.add(target.name)
    return names


def purge(snapshot: Path, repo_id: str) -> None:
    """Remove a snapshot that failed verification from the cache, with what belongs to it alone:
    the blobs no other snapshot of the repository links to (blobs are content-addressed, so a
    good pinned snapshot may share them) and the refs naming its commit. huggingface_hub then
    treats the revision as not downloaded. Only a snapshots/<commit id> folder inside the cache
    is ever touched. The caller holds the repository's lock."""
    if not is_snapshot(snapshot, repo_id):
        return  # download() refuses such a folder before this; never delete anything else
    repository = storage(repo_id)
    blobs = repository / "blobs"
    shared = set()
    for other in (repository / "snapshots").iterdir():
        if other != snapshot:
            shared |= _blobs_linked(other, blobs)
    for name in _blobs_linked(snapshot, blobs) - shared:
        (blobs / name).unlink(missing_ok=True)
    for ref in _files_below(repository / "refs"):
        if not ref.is_symlink() and ref.read_bytes().strip() == snapshot.name.encode():
            ref.unlink()
    shutil.rmtree(snapshot, ignore_errors=True)
