"""From what a user names to a verified artifact, in one place: a registry name, an artifact
folder, or hf://owner/name[@revision].

    resolved = resolver.resolve("charrnn-shakespeare")   # where its files are, and their sha256
    art = resolver.load(resolved)                          # verified (each file hashed once), loaded

`zoo.load` is `resolver.load(name)`; the server resolves a name when it starts (its card, plots
and metadata are served before the network is loaded), and `zoo download` fetches with
`resolver.fetch`. The registry is read once per process (zoo/registry.py); nothing here
changes it.

Where the files come from decides what is trusted:
- a registry artifact in the installed weights package: the registry's own sha256 list, which
  pins zoo.json too; its network is the one the test suite checks, so it is not checked again;
- a registry artifact not installed: the same files, downloaded from its Hub source into the
  Hugging Face cache, each checked against the registry's list as it arrives;
- hf://owner/name: a snapshot in the Hugging Face cache, checked against its own zoo.json;
- a folder: its zoo.json's list, and its network is checked against its architecture before
  Keras allocates any of it (zoo/network_check.py).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from zoo import artifacts, registry
from zoo.errors import ZooError

HUB_PREFIX = "hf://"


@dataclass(frozen=True)
class Resolved:
    """Where an artifact's files are and what they must hash to.

    folder: the artifact folder (a Hub snapshot for a Hub source).
    expected: every file to check -> its sha256 (read-only).
    source: the name as given (a registry name, a folder, hf://...).
    registered: the registry's own artifact: its sha256 list pins every file, zoo.json included.
    links_allowed: its files may be links into a cache's blobs (a Hub snapshot, the registry's
        own package); a folder the user names is untrusted, and a link there is refused.
    verified: every file was hashed against `expected` already (a download checks as it fetches).
    hub_repo: the Hub repository it came from (owner/name), or None.
    config: the folder's metadata (zoo.json), where it was read and checked already, else None.
    """

    folder: Path
    expected: MappingProxyType
    source: str
    registered: bool = False
    links_allowed: bool = False
    verified: bool = False
    hub_repo: str | None = None
    config: dict | None = None

    def read_config(self) -> dict:
        """The folder's metadata, checked (artifacts.read_config), read at most once here."""
        return self.config if self.config is not None else artifacts.read_config(self.folder)


def _resolved(folder, expected: dict, source: str, **facts) -> Resolved:
    return Resolved(folder=Path(folder), expected=MappingProxyType(dict(expected)), source=source, **facts)


def _text(name_or_path) -> str:
    text = os.fspath(name_or_path)
    if not text.strip():
        raise ZooError("empty model name: give a registry name (see `zoo list`), a folder, or hf://owner/name.")
    return text


def resolve(name_or_path, *, download: bool = True, hold: contextlib.ExitStack | None = None) -> Resolved:
    """Map a registry name, a folder or an hf:// source to its files and their expected sha256.

    A Hub source (or a registry artifact whose weights package is not installed) is downloaded
    into the Hugging Face cache, or found there, and verified on the way. download=False refuses
    instead (publishing sends only what is here). `hold`: an ExitStack that keeps the Hub
    repository's lock after the download, for a caller that goes on to read the files (load)."""
    text = _text(name_or_path)
    if text.startswith(HUB_PREFIX):
        return _from_hub(text, None, text, hold)
    entry = registry.artifacts().get(text)
    if entry is not None:
        folder = registry.installed_folder(text)
        if folder is not None:
            return _resolved(folder, entry["files"], text, registered=True, links_allowed=True)
        if not download:
            raise ZooError(f"{text} is not installed here (the keras-zoo-weights package is not installed), so "
                           "there is nothing to read locally; install it, or load it from its Hub source.")
        from zoo import hub

        return _from_hub(hub.registry_source(text, entry), entry["files"], text, hold)
    folder = Path(text).expanduser()
    if folder.is_dir():
        config = artifacts.read_config(folder)  # its own list of files: read once, used by the load
        return _resolved(folder, config["files"], text, config=config)
    if text in registry.architectures():
        raise ZooError(f"{text!r} is an architecture without pretrained weights: use "
                       f"zoo.build({text!r}) for an untrained model, or `zoo list --pretrained`.")
    raise registry.unknown_name_error(text, registry.all_names(), "model")  # (or "no folder PATH")


def _from_hub(source: str, expected: dict | None, given: str, hold: contextlib.ExitStack | None) -> Resolved:
    """Download (or find in the cache) and verify a Hub source; every file is hashed here."""
    from zoo import hub, hub_cache

    repo_id, _ = hub.parse_source(source)
    if hold is not None:
        # Held from the download to the end of the caller's read: no other process purges the
        # files meanwhile (the lock is reentrant, so the download takes it again freely).
        hold.enter_context(hub_cache.repo_lock(repo_id))
    folder, files = hub.fetch(source, expected)
    return _resolved(folder, files, given, registered=expected is not None, links_allowed=True, verified=True,
                     hub_repo=repo_id)


def fetch(name_or_source) -> Resolved:
    """`zoo download`: a registry artifact from its Hub source (the registry's sha256 list), or
    hf://owner/name[@revision], downloaded into the Hugging Face cache (or found there) and
    verified; the installed weights package is not consulted. `.source` is the Hub source."""
    from zoo import hub

    text = _text(name_or_source)
    if text.startswith(HUB_PREFIX):
        return _from_hub(text, None, text, None)
    entry = registry.artifact(text)
    source = hub.registry_source(text, entry)
    return _from_hub(source, entry["files"], source, None)


def load(name_or_resolved) -> artifacts.Artifact:
    """Load an artifact: a Resolved, or a name, a folder or an hf:// source (resolved first).
    Every file is checked against its sha256 exactly once per load, before Keras reads it."""
    if not isinstance(name_or_resolved, Resolved):
        with contextlib.ExitStack() as hold:
            return load(resolve(name_or_resolved, hold=hold))
    resolved = name_or_resolved
    holding = contextlib.nullcontext()
    if resolved.hub_repo is not None:
        from zoo import hub_cache

        holding = hub_cache.repo_lock(resolved.hub_repo)  # no purge while Keras reads the files
    with holding:
        art = artifacts.load_folder(resolved.folder, dict(resolved.expected), registered=resolved.registered,
                                    verified=resolved.verified, config=resolved.config)
    if resolved.hub_repo is not None:
        art.hub_repo = resolved.hub_repo  # a model fine-tuned from it names this repo as its base_model
    return art
