"""Load artifacts from the Hugging Face Hub, verified, pinned and cached (zoo/publishing.py
publishes them; zoo/hub_cache.py keeps the cache's folders, lock and purge; zoo/resolver.py
turns a name into a download and a load).

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
from pathlib import Path

from zoo import artifacts, hub_cache, hub_http, registry
from zoo.errors import HubError, IntegrityError, InvalidInputError, ZooError
from zoo.hub_cache import COMMIT, cache_dir  # noqa: F401  (cache_dir: `zoo cache` names the folder)

PREFIX = "hf://"
# The Hub's rule for a repository id: namespace/name, letters, digits, '-', '_', '.' (and
# huggingface_hub's validate_repo_id on top: no '--', no '..', no '.git' ending).
REPO_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
# A revision: a commit id or a branch or tag name. Fewer characters than git allows, and checked
# part by part in _valid_revision, because huggingface_hub stores it as the path refs/<revision>.
REVISION = re.compile(r"[A-Za-z0-9._+=/-]{1,200}")


# ----------------------------------------------------------------------------- settings


def endpoint() -> str:
    """HF_ENDPOINT as it is now (huggingface_hub reads it once, at import), else the library's."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def offline() -> bool:
    from huggingface_hub import constants

    return constants.is_offline_mode()


def library():
    from zoo import __version__

    return {"library_name": "keras-zoo", "library_version": __version__}


def valid_repo_id(repo_id: str) -> bool:
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
    if not valid_repo_id(repo_id):
        raise InvalidInputError(f"{text!r} does not name a Hub repository: write hf://owner/name (letters, digits, "
                                "'-', '_', '.'; no '--' or '..'), optionally with @revision (a commit, branch or tag).")
    if "@" in text and not revision:
        raise InvalidInputError(f"{text!r} has an empty revision after '@'.")
    if revision and not _valid_revision(revision):
        raise InvalidInputError(f"{text!r} has no valid revision after '@': give a commit id, or a branch or tag "
                                "name (letters, digits, '.', '_', '-', '+', '=', '/'; no spaces, no '..').")
    return repo_id, revision or None


def check_repo_id(repo_id) -> str:
    repo_id = str(repo_id or "").removeprefix(PREFIX)
    if not valid_repo_id(repo_id):
        raise InvalidInputError(f"repo_id must be 'owner/name' (letters, digits, '-', '_', '.'; no '--' or '..'), "
                                f"got {repo_id!r}.")
    return repo_id


# ----------------------------------------------------------------------------- errors


def first_line(error) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        if line.strip() and not line.startswith(("(Request ID", "Request ID")):
            text = line.strip()
            break
    return text[:300]


@contextlib.contextmanager
def hub_errors(what: str, repo_id: str, *, user: list | None = None):
    """Turn huggingface_hub's and the network's exceptions into one-line ZooErrors."""
    import httpx2
    from huggingface_hub import errors as hf

    address = endpoint()
    try:
        yield
    except ZooError:
        raise
    except hf.LocalTokenNotFoundError:
        raise HubError(NO_TOKEN) from None
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
        state = "HF_HUB_OFFLINE is set" if offline() else f"the Hub at {address} cannot be reached"
        raise HubError(f"{repo_id} is not in the cache ({cache_dir()}) and {state}: load it once "
                       "online (or run `zoo download`) before working offline.") from None
    except hf.RevisionNotFoundError:
        raise HubError(f"{repo_id} has no such revision on {address}: give an existing commit, "
                       "branch or tag after '@'.") from None
    except hf.RepositoryNotFoundError:
        raise HubError(f"there is no repository {repo_id} on {address} that your token can see: check the "
                       "name, and for a private repository set HF_TOKEN (or run `hf auth login`).") from None
    except hf.HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        failure = hub_http.failure(error)  # a failing server (5xx, 429, 408): not a refusal
        if failure:
            raise HubError(f"{failure}. Try again later.") from None
        if status == 401:
            raise HubError(f"the Hub at {address} rejected your token (401 Unauthorized): it is wrong, "
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
        raise HubError(f"the Hub at {address} refused to {what} {repo_id} ({status}): "
                       f"{first_line(error)}") from None
    except hf.FileMetadataError as error:
        raise HubError(f"{address} did not answer like a Hugging Face Hub ({first_line(error)}); "
                       "check HF_ENDPOINT.") from None
    except hf.HFValidationError as error:  # parse_source checks names first; this is a safety net
        raise InvalidInputError(f"cannot {what} {repo_id}: {first_line(error)}") from None
    except ValueError as error:
        if what.startswith("publish") and "README.md" in str(error):
            raise _card_refused(repo_id, str(error)) from None
        # e.g. a server's commit id that would put a file outside the snapshot folder
        raise HubError(f"huggingface_hub refused what the Hub at {address} answered (trying to {what} {repo_id}): "
                       f"{first_line(error)} Check HF_ENDPOINT; nothing was loaded.") from None
    except httpx2.TimeoutException as error:
        raise HubError(f"{hub_http.failure(error)}: it is slow, or not a Hub. Try again later, or raise that "
                       "limit.") from None
    except (httpx2.TransportError, ConnectionError, TimeoutError) as error:
        raise HubError(f"network failure talking to the Hub at {address} (trying to {what} {repo_id}): "
                       f"{type(error).__name__}: {first_line(error)}. Check your network, or HF_ENDPOINT "
                       "if you set it, and try again.") from None
    except Exception as error:
        if not type(error).__module__.startswith("huggingface_hub"):
            raise  # not the Hub's: a bug, to be seen with its traceback
        raise HubError(f"huggingface_hub could not {what} {repo_id} ({type(error).__name__}): "
                       f"{first_line(error)}") from None


def _card_refused(repo_id: str, answer: str) -> HubError:
    """The Hub's 400 for a card's front matter, in one line: its "- ..." lines name the problems
    (huggingface_hub raises them as a ValueError from validate-yaml, or a 400 from the commit)."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    named = [line[2:].removeprefix("Error: ") for line in lines if line.startswith("- ")]
    problems = " ".join(" ".join(named or lines).split())[:300]
    return HubError(f"the Hub refused the model card (README.md) of {repo_id}: {problems} Fix the card's front "
                    "matter (zoo.cards.card_problems lists what the Hub refuses; zoo.cards.with_front_matter "
                    "regenerates it) and publish again.")


NO_TOKEN = ("no Hugging Face token: publishing needs a token with write access. Pass token=..., "
             "set HF_TOKEN, or run `hf auth login` (tokens: https://huggingface.co/settings/tokens).")


# ----------------------------------------------------------------------------- loading


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
    if offline():
        return None, None
    try:
        sha = HfApi(endpoint=endpoint(), **library()).repo_info(repo_id, revision=revision).sha
    except (httpx2.NetworkError, httpx2.TimeoutException, httpx2.RemoteProtocolError) as error:
        return None, error
    except HfHubHTTPError as error:
        if error.response is None or error.response.status_code < 500:
            raise  # the Hub answered: no such repository or revision, a rejected token...
        return None, error  # the Hub is failing
    if not isinstance(sha, str) or not COMMIT.fullmatch(sha):
        raise HubError(f"the Hub at {endpoint()} answered {str(sha)[:80]!r} as the commit of {repo_id}"
                       f"@{revision or 'main'}, which is not a commit id (40 hex digits); nothing was "
                       "downloaded. Check HF_ENDPOINT.")
    hub_cache.write_ref(repo_id, revision or "main", sha)
    return sha, None


# What a failed check of a download says after what it found.
_NOT_LOADED = ("The file was corrupted on the Hub or on the way; the download was removed from the cache and "
               "nothing was loaded. Try again later, or ask the publisher to upload the artifact again.")


def _listed_files(snapshot: Path) -> dict:
    """The file -> sha256 list of a snapshot's zoo.json (or config.json, the first layout), read
    as every member is (members.read_json_member); IntegrityError if there is none."""
    path = artifacts.metadata_path(snapshot)
    if not os.path.lexists(path):
        raise IntegrityError(f"{artifacts.METADATA_FILE} is missing: this repository is not a keras-zoo artifact.")
    try:
        files = artifacts.read_json_member(snapshot, path.name, artifacts.METADATA_LIMIT)["files"]
    except (ZooError, KeyError, TypeError):
        files = None
    if not isinstance(files, dict) or not files or not all(isinstance(sha, str) for sha in files.values()):
        raise IntegrityError(f"{path.name} does not list the files with their sha256.")
    return files


def _verify_snapshot(snapshot: Path, source: str, repo_id: str, expected: dict | None) -> dict:
    """Check every file of a downloaded snapshot, each hashed once: against `expected` (the
    registry's list, which pins zoo.json too) first, then against zoo.json's own list. On
    failure purge the snapshot and raise IntegrityError. Returns the file list to load with."""
    try:
        hashed = artifacts.verify_files(snapshot, expected or {}, advice=_NOT_LOADED)
        files = _listed_files(snapshot)
        artifacts.verify_files(snapshot, files, hashed=hashed, advice=_NOT_LOADED)
    except ZooError as error:  # a file missing, changed, unsafe (a link out of the cache's blobs)
        hub_cache.purge(snapshot, repo_id)
        ending = "" if str(error).endswith(_NOT_LOADED) else " The download was removed from the cache; nothing was loaded."
        raise IntegrityError(f"{source} failed verification: {error}{ending}") from None
    return {**files, **(expected or {})}


def download(source: str, expected: dict | None = None) -> Path:
    """Download hf://owner/name[@revision] into the Hub cache (or find it there) and verify every
    file; returns the snapshot folder. `expected` (file -> sha256, e.g. a registry entry's
    list) is checked as well as zoo.json's own list."""
    return fetch(source, expected)[0]


def fetch(source: str, expected: dict | None = None) -> tuple[Path, dict]:
    """download, returning (the snapshot folder, every file's sha256 as verified): what
    zoo/resolver.py loads, with no file hashed twice."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo_id, revision = parse_source(source)
    with hub_cache.repo_lock(repo_id), hub_http.limits(f"the download of {repo_id}", endpoint()):
        with hub_errors("download", repo_id):
            commit, unanswered = _resolve_commit(repo_id, revision)
            try:
                folder = Path(snapshot_download(repo_id, revision=commit or revision, cache_dir=cache_dir(),
                                                endpoint=endpoint(), local_files_only=offline() or commit is None,
                                                # a registry artifact: only the files the registry lists
                                                allow_patterns=sorted(expected) if expected else None,
                                                **library()))
            except LocalEntryNotFoundError as error:
                error.__cause__ = error.__cause__ or unanswered  # not cached: say why the Hub was not asked
                raise
        if not hub_cache.is_snapshot(folder, repo_id):
            # Only a ref in the cache can lead elsewhere (the commit above is checked): one that
            # an older tool wrote from a server's answer. Refused, and nothing is deleted.
            ref = hub_cache.storage(repo_id) / "refs" / (revision or "main")
            raise HubError(f"the cache's record of {repo_id}@{revision or 'main'} ({ref}) names {folder}, "
                           f"which is not a snapshot in the cache: delete {ref} and load it again online.")
        return folder, _verify_snapshot(folder, source, repo_id, expected)


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
    with hub_cache.repo_lock(repo_id):
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
