"""Publish artifacts to the Hugging Face Hub and load them back, verified, pinned and cached.

An artifact folder is already shaped like a Hub model repository, in Keras's own layout
(config.json, metadata.json, model.weights.h5: what `keras.saving.load_model("hf://...")` reads),
with zoo.json (the zoo's metadata and every file's sha256), README.md (the card, with the Hub's
YAML front matter) and plots, so publishing uploads the folder as it is, and loading downloads a
snapshot of the repository:

    zoo.publish("runs/mine", repo_id="me/xor-mine")      # -> the commit's URL
    zoo.load("hf://me/xor-mine")                         # newest commit on main
    zoo.load("hf://me/xor-mine@3f2a9c...")               # pinned: a commit, branch or tag

Downloads go through huggingface_hub's own functions (snapshot_download), so its cache and its
settings apply: HF_ENDPOINT, HF_HOME / HF_HUB_CACHE, HF_TOKEN (or `hf auth login`),
HF_HUB_OFFLINE. A second load of the same revision is served from the cache; a pinned commit
needs no network at all.

Trust: every downloaded file is checked against the sha256 list in the downloaded zoo.json
(and, for a registry artifact, against the registry's own list, which covers zoo.json too)
before Keras reads anything, and the model is loaded with safe_mode on and only for an
architecture the registry knows. A snapshot that fails the check is removed from the cache
(the snapshot folder, the blobs no other snapshot uses, the refs naming it), so no later load
finds it.

Nothing the server answers picks a path: huggingface_hub names cache folders after the commit
id the server gives (snapshots/<commit>), so the zoo resolves the revision itself and uses the
answer only if it is a commit id; the names in each file's answer (X-Repo-Commit, ETag) and in
tree listings are checked by zoo/hub_http.py's hooks on huggingface_hub's HTTP client, before
huggingface_hub reads them. Those hooks also bound every call (ZOO_HUB_TIMEOUT) and every download
or publish (ZOO_HUB_DEADLINE). Downloading, checking, purging and loading one repository happen
under a file lock, so that two processes loading it at once do not pull files from under each
other; the wait for it ends too.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from zoo import artifacts, hub_http, io, registry
from zoo.errors import HubError, IntegrityError, InvalidInputError, ZooError

PREFIX = "hf://"
# The Hub's rule for a repository id: namespace/name, letters, digits, '-', '_', '.' (and
# huggingface_hub's validate_repo_id on top: no '--', no '..', no '.git' ending).
REPO_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
# A revision: a commit id or a branch or tag name. Fewer characters than git allows, and checked
# part by part in _valid_revision, because huggingface_hub stores it as the path refs/<revision>.
REVISION = re.compile(r"[A-Za-z0-9._+=/-]{1,200}")
COMMIT = re.compile(r"[0-9a-f]{40}")
SHA256 = re.compile(r"[0-9a-f]{64}")
REQUIRED_CARD_KEYS = ("library_name", "license", "tags")


# ----------------------------------------------------------------------------- settings


def _endpoint() -> str:
    """HF_ENDPOINT as it is now (huggingface_hub reads it once, at import), else the library's."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def cache_dir() -> Path:
    """The Hub cache: HF_HUB_CACHE, else HF_HOME/hub, else huggingface_hub's default."""
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def _offline() -> bool:
    from huggingface_hub import constants

    return constants.is_offline_mode()


def _library():
    from zoo import __version__

    return {"library_name": "keras-zoo", "library_version": __version__}


def _valid_repo_id(repo_id: str) -> bool:
    """owner/name as the zoo writes it (an owner is required) and as huggingface_hub accepts it."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not REPO_ID.fullmatch(repo_id):
        return False
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return False
    return True


def _valid_revision(revision: str) -> bool:
    """A commit id, branch or tag name that is also a safe path below the cache's refs/ folder:
    no '..', no empty, hidden or '.lock' part, no leading or trailing '/'."""
    return bool(REVISION.fullmatch(revision)) and all(
        part and not part.startswith(".") and not part.endswith((".", ".lock")) for part in revision.split("/"))


def parse_source(text: str) -> tuple[str, str | None]:
    """'hf://owner/name[@revision]' -> (repo_id, revision or None)."""
    if not text.startswith(PREFIX):
        raise InvalidInputError(f"{text!r} is not a Hub address; write hf://owner/name or hf://owner/name@revision.")
    repo_id, _, revision = text[len(PREFIX):].partition("@")
    repo_id = repo_id.strip("/")
    if not _valid_repo_id(repo_id):
        raise InvalidInputError(f"{text!r} does not name a Hub repository: write hf://owner/name (letters, digits, "
                                "'-', '_', '.'; no '--' or '..'), optionally with @revision (a commit, branch or tag).")
    if "@" in text and not revision:
        raise InvalidInputError(f"{text!r} has an empty revision after '@'.")
    if revision and not _valid_revision(revision):
        raise InvalidInputError(f"{text!r} has no valid revision after '@': give a commit id, or a branch or tag "
                                "name (letters, digits, '.', '_', '-', '+', '=', '/'; no spaces, no '..').")
    return repo_id, revision or None


def _check_repo_id(repo_id) -> str:
    repo_id = str(repo_id or "").removeprefix(PREFIX)
    if not _valid_repo_id(repo_id):
        raise InvalidInputError(f"repo_id must be 'owner/name' (letters, digits, '-', '_', '.'; no '--' or '..'), "
                                f"got {repo_id!r}.")
    return repo_id


# ----------------------------------------------------------------------------- errors


def _first_line(error) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        if line.strip() and not line.startswith(("(Request ID", "Request ID")):
            text = line.strip()
            break
    return text[:300]


@contextlib.contextmanager
def _hub_errors(what: str, repo_id: str, *, user: list | None = None):
    """Turn huggingface_hub's and the network's exceptions into one-line ZooErrors."""
    import httpx2
    from huggingface_hub import errors as hf

    endpoint = _endpoint()
    try:
        yield
    except ZooError:
        raise
    except hf.LocalTokenNotFoundError:
        raise HubError(_NO_TOKEN) from None
    except hf.OfflineModeIsEnabled:
        raise HubError(f"cannot {what} {repo_id}: HF_HUB_OFFLINE is set, so the Hub is not contacted. "
                       "Unset it (or set HF_HUB_OFFLINE=0) to go online.") from None
    except hf.IncompleteSnapshotError:
        raise HubError(f"the cached copy of {repo_id} is incomplete and the Hub cannot be reached "
                       f"(offline or no network): connect and run `zoo download` or zoo.load again.") from None
    except hf.LocalEntryNotFoundError as error:
        failure = hub_http.failure(error)  # what kept huggingface_hub from the Hub, if it was not the network
        if failure:
            raise HubError(f"{failure}, and the cache does not have it: nothing was loaded. Try again later.") from None
        state = "HF_HUB_OFFLINE is set" if _offline() else f"the Hub at {endpoint} cannot be reached"
        raise HubError(f"{repo_id} is not in the cache ({cache_dir()}) and {state}: load it once "
                       "online (or run `zoo download`) before working offline.") from None
    except hf.RevisionNotFoundError:
        raise HubError(f"{repo_id} has no such revision on {endpoint}: give an existing commit, "
                       "branch or tag after '@'.") from None
    except hf.RepositoryNotFoundError:
        raise HubError(f"there is no repository {repo_id} on {endpoint} that your token can see: check the "
                       "name, and for a private repository set HF_TOKEN (or run `hf auth login`).") from None
    except hf.HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        failure = hub_http.failure(error)  # a failing server (5xx, 429, 408): not a refusal
        if failure:
            raise HubError(f"{failure}. Try again later.") from None
        if status == 401:
            raise HubError(f"the Hub at {endpoint} rejected your token (401 Unauthorized): it is wrong, "
                           "expired or revoked. Make a new one at https://huggingface.co/settings/tokens "
                           "and set HF_TOKEN (or run `hf auth login --force`).") from None
        if status == 400 and what.startswith("publish") and "README.md" in str(error):
            raise _card_refused(repo_id, error.server_message or str(error)) from None
        if status == 403:
            who = f" as {user[0]}" if user else ""
            owner = repo_id.split("/")[0]
            raise HubError(f"you may not {what} {repo_id}{who} (403 Forbidden): the namespace {owner!r} is "
                           "not yours, or your token cannot write. Publish under your own name "
                           "(repo_id='YOU/NAME') or use a write token of a member of "
                           f"{owner!r}.") from None
        raise HubError(f"the Hub at {endpoint} refused to {what} {repo_id} ({status}): "
                       f"{_first_line(error)}") from None
    except hf.FileMetadataError as error:
        raise HubError(f"{endpoint} did not answer like a Hugging Face Hub ({_first_line(error)}); "
                       "check HF_ENDPOINT.") from None
    except hf.HFValidationError as error:  # parse_source checks names first; this is a safety net
        raise InvalidInputError(f"cannot {what} {repo_id}: {_first_line(error)}") from None
    except ValueError as error:
        if what.startswith("publish") and "README.md" in str(error):
            raise _card_refused(repo_id, str(error)) from None
        # e.g. a server's commit id that would put a file outside the snapshot folder
        raise HubError(f"huggingface_hub refused what the Hub at {endpoint} answered (trying to {what} {repo_id}): "
                       f"{_first_line(error)} Check HF_ENDPOINT; nothing was loaded.") from None
    except httpx2.TimeoutException as error:
        raise HubError(f"{hub_http.failure(error)}: it is slow, or not a Hub. Try again later, or raise that "
                       "limit.") from None
    except (httpx2.TransportError, ConnectionError, TimeoutError) as error:
        raise HubError(f"network failure talking to the Hub at {endpoint} (trying to {what} {repo_id}): "
                       f"{type(error).__name__}: {_first_line(error)}. Check your network, or HF_ENDPOINT "
                       "if you set it, and try again.") from None
    except Exception as error:
        if not type(error).__module__.startswith("huggingface_hub"):
            raise  # not the Hub's: a bug, to be seen with its traceback
        raise HubError(f"huggingface_hub could not {what} {repo_id} ({type(error).__name__}): "
                       f"{_first_line(error)}") from None


def _card_refused(repo_id: str, answer: str) -> HubError:
    """The Hub's 400 for a card's front matter, in one line: its "- ..." lines name the problems
    (huggingface_hub raises them as a ValueError from validate-yaml, or a 400 from the commit)."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    named = [line[2:].removeprefix("Error: ") for line in lines if line.startswith("- ")]
    problems = " ".join(" ".join(named or lines).split())[:300]
    return HubError(f"the Hub refused the model card (README.md) of {repo_id}: {problems} Fix the card's front "
                    "matter (zoo.cards.card_problems lists what the Hub refuses; zoo.cards.with_front_matter "
                    "regenerates it) and publish again.")


_NO_TOKEN = ("no Hugging Face token: publishing needs a token with write access. Pass token=..., "
             "set HF_TOKEN, or run `hf auth login` (tokens: https://huggingface.co/settings/tokens).")


# ----------------------------------------------------------------------------- publishing


def check_card(folder: Path, config: dict) -> dict:
    """The model card must exist, be hashed in zoo.json, and open with YAML front matter that
    the Hub can read, naming library_name, license and tags. Returns the front matter."""
    import yaml
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    path = Path(folder) / artifacts.CARD_FILE
    if not path.is_file():
        raise ZooError(f"{folder} has no {artifacts.CARD_FILE} (the model card); write the artifact with "
                       "zoo.artifacts.save_artifact, which renders it.")
    if artifacts.CARD_FILE not in config.get("files", {}):
        raise ZooError(f"{artifacts.CARD_FILE} in {folder} is not listed with its sha256 in {artifacts.metadata_path(folder).name}.")
    text = path.read_text(encoding="utf-8")
    if not REGEX_YAML_BLOCK.search(text):
        raise ZooError(f"the model card {path} has no YAML front matter (a block between '---' lines "
                       "at the top); the Hub needs it for library_name, license and tags.")
    try:
        meta = ModelCard(text).data.to_dict()
    except (yaml.YAMLError, ValueError) as error:
        raise ZooError(f"the front matter of {path} is not valid YAML: {_first_line(error)}") from None
    missing = [key for key in REQUIRED_CARD_KEYS if not meta.get(key)]
    if missing:
        raise ZooError(f"the front matter of {path} lacks {', '.join(missing)}; regenerate the card "
                       "(zoo.cards.render_card) before publishing.")
    if meta["library_name"] != "keras":
        raise ZooError(f"the front matter of {path} says library_name: {meta['library_name']}; a zoo "
                       "artifact is a keras model.")
    if not ModelCard(text).text.strip():
        raise ZooError(f"the model card {path} has front matter but no text.")
    return meta


def _check_folder(name_or_folder) -> tuple[Path, dict]:
    """Everything publish checks before it sends anything: the folder is an artifact, every file
    matches its sha256 (the registry's list for a registry name, and zoo.json's own list),
    and the card is valid. Returns (folder, config)."""
    folder, expected = artifacts.resolve_folder(name_or_folder)
    if folder is None:
        raise ZooError(f"{name_or_folder} is not installed here (the keras-zoo-weights package is not "
                       "installed), so there is nothing to publish; install it, or load it from its Hub source.")
    config = artifacts.read_config(folder)
    files = config["files"]
    artifacts.verify_files(folder, expected)
    artifacts.verify_files(folder, files)
    model_files = ((artifacts.LEGACY_MODEL_FILE,) if artifacts.is_legacy(folder)
                   else (artifacts.KERAS_CONFIG_FILE, artifacts.WEIGHTS_FILE))
    missing = [name for name in model_files if name not in files]
    if missing:
        raise ZooError(f"{folder} has no {' or '.join(missing)} listed in {artifacts.metadata_path(folder).name}.")
    registry.architecture(config.get("architecture"))  # others could not load it
    check_card(folder, config)
    return folder, config


def publish(name_or_folder, repo_id: str, private: bool = False, revision: str | None = None,
            token: str | None = None, commit_message: str | None = None) -> str:
    """Upload an artifact folder (or a registry artifact) to the Hub; returns the commit's URL.

    Creates the repository if needed (private=True for a private one; an existing repository
    keeps its visibility) and commits the artifact's files to `revision` (a branch, created if
    missing; default main). The repository then holds exactly the artifact: files of an earlier
    upload that the artifact no longer has are deleted in the same commit. Nothing is sent
    unless every file matches its sha256 and the card is valid.
    """
    from huggingface_hub import HfApi, get_token

    repo_id = _check_repo_id(repo_id)
    folder, config = _check_folder(name_or_folder)
    token = token or get_token()
    if not token:
        raise HubError(_NO_TOKEN)
    if _offline():
        raise HubError(f"cannot publish to {repo_id}: HF_HUB_OFFLINE is set. Unset it to go online.")
    api = HfApi(endpoint=_endpoint(), token=token, **_library())
    user: list[str] = []
    with hub_http.limits(f"publishing to {repo_id}", _endpoint()), _hub_errors("publish to", repo_id, user=user):
        user.append(api.whoami()["name"])  # a rejected token fails here, before anything is written
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(
            folder_path=folder, repo_id=repo_id, revision=revision,
            commit_message=commit_message or f"Upload {config.get('name', folder.name)} with keras-zoo",
            allow_patterns=sorted({*config["files"], artifacts.metadata_path(folder).name}),  # only the artifact's files
            delete_patterns=["*"])  # ...and none left over from an earlier upload
    return str(commit.commit_url)


# ----------------------------------------------------------------------------- loading


def _mismatches(folder: Path, expected: dict) -> list[tuple[str, str]]:
    """[(file, what is wrong)] for every file that is missing or does not match its sha256."""
    bad = []
    for relative, sha in expected.items():
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not isinstance(sha, str) or not SHA256.match(sha):
            bad.append((relative, "is not a safe file name with a sha256"))
            continue
        path = folder / relative
        if not path.is_file():
            bad.append((relative, "is missing"))
        elif io.sha256_file(path) != sha:
            bad.append((relative, f"does not match its sha256 (expected {sha[:12]}...)"))
    return bad


def _repo_folder(repo_id: str) -> str:
    """huggingface_hub's folder name for a model repository (repo_id is validated: no '--')."""
    return "models--" + repo_id.replace("/", "--")


def _storage(repo_id: str) -> Path:
    """The repository's folder in the cache, resolved as snapshot_download resolves it."""
    return cache_dir().expanduser().resolve() / _repo_folder(repo_id)


@contextlib.contextmanager
def _repo_lock(repo_id: str):
    """Hold the repository's lock: one process (or thread) at a time downloads, checks, purges
    and loads it, so that a purge never pulls files from under another load. The lock file sits
    where huggingface_hub keeps its own per-repository locks (.locks/models--owner--name/), which
    `hf cache scan` skips; a lock file in the repository's folder would make a never-downloaded
    repository look like a damaged cache entry. Reentrant (is_singleton), so load_from_hub can
    hold it around download(). The wait ends after ZOO_HUB_DEADLINE: a download holding the lock
    ends by then (its own deadline), so a longer wait means a holder that is not downloading."""
    from filelock import FileLock, Timeout

    path = cache_dir().expanduser().resolve() / ".locks" / _repo_folder(repo_id) / "keras-zoo.lock"
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


def _resolve_commit(repo_id: str, revision: str | None) -> tuple[str | None, Exception | None]:
    """(the commit id `revision` names on the Hub now, None); or (None, why) when the Hub is not
    asked (offline) or cannot answer (no network, a timeout, a failing server): then the cache
    decides, as snapshot_download would, and `why` explains a revision the cache lacks.

    The zoo asks the Hub itself, rather than letting snapshot_download do it, to check the
    answer before anything is written: huggingface_hub makes paths of it (snapshots/<commit>,
    trees/<commit>.json), so an answer such as '../../..' from a broken or hostile server would
    write, and a later purge delete, outside the cache."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    if revision and COMMIT.fullmatch(revision):
        return revision, None
    if _offline():
        return None, None
    try:
        sha = HfApi(endpoint=_endpoint(), **_library()).repo_info(repo_id, revision=revision).sha
    except (httpx2.NetworkError, httpx2.TimeoutException, httpx2.RemoteProtocolError) as error:
        return None, error
    except HfHubHTTPError as error:
        if error.response is None or error.response.status_code < 500:
            raise  # the Hub answered: no such repository or revision, a rejected token...
        return None, error  # the Hub is failing
    if not isinstance(sha, str) or not COMMIT.fullmatch(sha):
        raise HubError(f"the Hub at {_endpoint()} answered {str(sha)[:80]!r} as the commit of {repo_id}"
                       f"@{revision or 'main'}, which is not a commit id (40 hex digits); nothing was "
                       "downloaded. Check HF_ENDPOINT.")
    _write_ref(repo_id, revision or "main", sha)
    return sha, None


def _write_ref(repo_id: str, revision: str, commit: str) -> None:
    """Record revision -> commit in the cache's refs/, as snapshot_download does for a branch or
    tag, so that offline loads find it (revision is validated: a path inside refs/). Written under
    a temporary name, then renamed, so a concurrent reader never sees half a ref. Best effort, as
    in huggingface_hub: a read-only cache still serves what it holds."""
    if revision == commit:
        return
    path = _storage(repo_id) / "refs" / revision
    try:
        if path.is_file() and path.read_text() == commit:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        temporary.write_text(commit)
        os.replace(temporary, path)
    except OSError:
        pass


def _is_snapshot(folder: Path, repo_id: str) -> bool:
    """Whether `folder` is a snapshots/<commit id> folder of the repository in the cache."""
    return (folder.parent == _storage(repo_id) / "snapshots" and bool(COMMIT.fullmatch(folder.name))
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


def _purge(snapshot: Path, repo_id: str) -> None:
    """Remove a snapshot that failed verification from the cache, with what belongs to it alone:
    the blobs no other snapshot of the repository links to (blobs are content-addressed, so a
    good pinned snapshot may share them) and the refs naming its commit. huggingface_hub then
    treats the revision as not downloaded. Only a snapshots/<commit id> folder inside the cache
    is ever touched. The caller holds the repository's lock."""
    if not _is_snapshot(snapshot, repo_id):
        return  # download() refuses such a folder before this; never delete anything else
    storage = _storage(repo_id)
    blobs = storage / "blobs"
    shared = set()
    for other in (storage / "snapshots").iterdir():
        if other != snapshot:
            shared |= _blobs_linked(other, blobs)
    for name in _blobs_linked(snapshot, blobs) - shared:
        (blobs / name).unlink(missing_ok=True)
    for ref in _files_below(storage / "refs"):
        if not ref.is_symlink() and ref.read_bytes().strip() == snapshot.name.encode():
            ref.unlink()
    shutil.rmtree(snapshot, ignore_errors=True)


def _verify_snapshot(snapshot: Path, source: str, repo_id: str, expected: dict | None) -> dict:
    """Check a downloaded snapshot; on failure purge it and raise IntegrityError. Returns the
    file list to load with."""
    problems: list[tuple[str, str]] = []
    config = None
    if expected:
        problems += _mismatches(snapshot, expected)
    if not problems:
        config_path = artifacts.metadata_path(snapshot)
        try:
            config = io.read_json(config_path)
            files = config["files"]
            if not isinstance(files, dict) or not files:
                raise TypeError
        except FileNotFoundError:
            problems.append((artifacts.METADATA_FILE, "is missing: this repository is not a keras-zoo artifact"))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):  # nested too deep too
            problems.append((config_path.name, "does not list the files with their sha256"))
        else:
            problems += _mismatches(snapshot, files)
    if problems:
        _purge(snapshot, repo_id)
        listing = "; ".join(f"{name} {what}" for name, what in problems[:3])
        raise IntegrityError(
            f"{source} failed verification: {listing}. The files were corrupted on the Hub or on the "
            "way; the download was removed from the cache and nothing was loaded. Try again later, "
            "or ask the publisher to upload the artifact again.")
    return {**config["files"], **(expected or {})}


def download(source: str, expected: dict | None = None) -> Path:
    """Download hf://owner/name[@revision] into the Hub cache (or find it there) and verify every
    file; returns the snapshot folder. `expected` (file -> sha256, e.g. a registry entry's
    list) is checked as well as zoo.json's own list."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo_id, revision = parse_source(source)
    with _repo_lock(repo_id), hub_http.limits(f"the download of {repo_id}", _endpoint()):
        with _hub_errors("download", repo_id):
            commit, unanswered = _resolve_commit(repo_id, revision)
            try:
                folder = Path(snapshot_download(repo_id, revision=commit or revision, cache_dir=cache_dir(),
                                                endpoint=_endpoint(), local_files_only=_offline() or commit is None,
                                                # a registry artifact: only the files the registry lists
                                                allow_patterns=sorted(expected) if expected else None,
                                                **_library()))
            except LocalEntryNotFoundError as error:
                error.__cause__ = error.__cause__ or unanswered  # not cached: say why the Hub was not asked
                raise
        if not _is_snapshot(folder, repo_id):
            # Only a ref in the cache can lead elsewhere (the commit above is checked): one that
            # an older tool wrote from a server's answer. Refused, and nothing is deleted.
            ref = _storage(repo_id) / "refs" / (revision or "main")
            raise HubError(f"the cache's record of {repo_id}@{revision or 'main'} ({ref}) names {folder}, "
                           f"which is not a snapshot in the cache: delete {ref} and load it again online.")
        _verify_snapshot(folder, source, repo_id, expected)
    return folder


def load_from_hub(source: str, expected: dict | None = None):
    """zoo.load("hf://owner/name[@revision]"): download (or take from the cache), verify, load.
    The lock is held while Keras reads the files, so no other process purges them meanwhile."""
    repo_id, _ = parse_source(source)
    with _repo_lock(repo_id):
        folder = download(source, expected)
        config = artifacts.read_config(folder)
        # A registry artifact whose files all match the registry is the one the tests check.
        art = artifacts.load_folder(folder, {**config["files"], **(expected or {})}, registered=bool(expected))
        art.hub_repo = repo_id  # a model fine-tuned from it names this repo as its base_model
        return art


def registry_source(name: str, entry: dict | None = None) -> str:
    """The hf://owner/name[@commit] source of a registry artifact. ZOO_HUB_ORG names another
    organisation that holds the same artifacts (a mirror, a test Hub); its commits differ, so the
    registry's pinned commit is dropped then, and the registry's sha256 list alone pins the files."""
    entry = entry or registry.artifact(name)
    hub = [s for s in entry.get("sources", []) if s.startswith(PREFIX)]
    if not hub:
        raise ZooError(f"{name} has no Hugging Face Hub source in the registry; install the keras-zoo-weights "
                       "package to load it offline.")
    source = hub[0]
    org = os.environ.get("ZOO_HUB_ORG", "").strip()
    if org:
        repo = source[len(PREFIX):].partition("@")[0].split("/", 1)[1]
        source = f"{PREFIX}{org}/{repo}"
        parse_source(source)  # a clear error for an org name the Hub would refuse
    return source


def load_registered(name: str, entry: dict | None = None):
    """zoo.load(NAME) for a registry artifact that is not installed: download only the files the
    registry lists from its Hub source into the Hugging Face cache (or find them there), check
    each against the registry's sha256, and load. Offline afterwards, from the cache."""
    entry = entry or registry.artifact(name)
    return load_from_hub(registry_source(name, entry), expected=entry["files"])


def download_artifact(name: str) -> tuple[Path, str]:
    """`zoo download NAME`: fetch a registry artifact from its Hub source into the cache, checked
    against the registry's sha256 list. Returns (snapshot folder, source)."""
    entry = registry.artifact(name)
    source = registry_source(name, entry)
    return download(source, expected=entry["files"]), source


# ----------------------------------------------------------------------------- the registry's Hub copies


def publish_all(org: str, *, record: bool = False, token: str | None = None, progress=print) -> dict[str, str]:
    """`zoo publish --all`: publish every installed registry artifact to ORG/NAME; returns
    {name: commit id}. record=True writes each pinned source (hf://ORG/NAME@commit) into
    registry.json: a maintainer's step against the real Hub, in a source checkout only (see
    CONTRIBUTING.md), so that no commit that no Hub holds is ever recorded."""
    if record:
        registry.require_source_checkout("`zoo publish --all --record`")
    if not _valid_repo_id(f"{org}/x"):
        raise InvalidInputError(f"{org!r} is not a Hub organisation or user name (letters, digits, '-', '_', '.').")
    names = sorted(registry.artifacts())
    missing = [name for name in names if registry.installed_folder(name) is None]
    if missing:
        raise ZooError(f"{', '.join(missing)} not installed here (the keras-zoo-weights package), so "
                       "there is nothing to publish for them; publish from a source checkout.")
    commits = {}
    for number, name in enumerate(names, 1):
        url = publish(name, repo_id=f"{org}/{name}", token=token,
                      commit_message=f"{name}: keras-zoo's pretrained artifact")
        commits[name] = url.rstrip("/").rsplit("/", 1)[-1]
        progress(f"[{number}/{len(names)}] {name} -> hf://{org}/{name}@{commits[name]}")
    if record:
        record_sources(org, commits)
    return commits


def record_sources(org: str, commits: dict[str, str]) -> None:
    """Pin each artifact's Hub source to hf://ORG/NAME@commit in registry.json (atomically)."""
    reg = registry.load_registry()
    for name, commit in commits.items():
        if not COMMIT.fullmatch(commit):
            raise HubError(f"the Hub answered {commit[:80]!r} as the commit of {org}/{name}, which is not a "
                           "commit id; registry.json was not changed.")
        entry = reg["artifacts"][name]
        others = [s for s in entry["sources"] if not s.startswith(PREFIX)]
        entry["sources"] = [*others, f"{PREFIX}{org}/{name}@{commit}"]
    io.write_json(registry.REGISTRY_PATH, reg)


def _repo_of(name_or_source: str) -> str:
    """A registry name or hf://owner/name -> the Hub repository id it is cached under."""
    if name_or_source.startswith(PREFIX):
        return parse_source(name_or_source)[0]
    if name_or_source in registry.artifacts():
        return parse_source(registry_source(name_or_source))[0]
    raise registry.unknown_name_error(name_or_source, registry.artifacts(), "artifact")


def cached_repos() -> list[dict]:
    """`zoo cache ls`: the model repositories in the Hugging Face cache (huggingface_hub's
    scan_cache_dir), each with its size, revisions and the registry name it holds, if any."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        scan = scan_cache_dir(cache_dir())
    except CacheNotFound:
        return []
    names = {}
    for name in registry.artifacts():
        with contextlib.suppress(ZooError):
            names[_repo_of(name)] = name
    return [{"repo_id": repo.repo_id, "name": names.get(repo.repo_id), "size": repo.size_on_disk,
             "size_text": repo.size_on_disk_str, "revisions": sorted(r.commit_hash for r in repo.revisions),
             "files": repo.nb_files, "path": str(repo.repo_path)}
            for repo in sorted(scan.repos, key=lambda r: r.repo_id) if repo.repo_type == "model"]


def remove_cached(name_or_source: str) -> tuple[str, str]:
    """`zoo cache rm NAME`: delete every cached revision of a registry artifact (or of
    hf://owner/name) through huggingface_hub's own delete strategy, under the repository's lock.
    Returns (repo id, the space freed, as text)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    repo_id = _repo_of(name_or_source)
    with _repo_lock(repo_id):
        try:
            scan = scan_cache_dir(cache_dir())
        except CacheNotFound:
            scan = None
        repos = [r for r in (scan.repos if scan else []) if r.repo_id == repo_id and r.repo_type == "model"]
        if not repos:
            raise ZooError(f"{repo_id} is not in the Hugging Face cache ({cache_dir()}); `zoo cache ls` lists what is.")
        strategy = scan.delete_revisions(*[r.commit_hash for r in repos[0].revisions])
        freed = strategy.expected_freed_size_str
        strategy.execute()
    return repo_id, freed
