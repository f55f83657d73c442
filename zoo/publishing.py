"""Publish an artifact folder (or a registry artifact) to the Hugging Face Hub, and the registry's
own artifacts to an organisation (`zoo publish --all`).

An artifact folder is already shaped like a Hub model repository (zoo/hub.py says how), so
publishing checks it (every file against its sha256, the model card's front matter) and uploads
it as it is, with huggingface_hub's upload_folder. Nothing is sent unless every check passes.
"""

from __future__ import annotations

from pathlib import Path

from zoo import artifacts, hub, hub_http, io, registry, resolver
from zoo.errors import HubError, InvalidInputError, ZooError
from zoo.hub import COMMIT, PREFIX

REQUIRED_CARD_KEYS = ("library_name", "license", "tags")


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
        raise ZooError(f"the front matter of {path} is not valid YAML: {hub.first_line(error)}") from None
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
    resolved = resolver.resolve(name_or_folder, download=False)  # only what is here is sent
    folder = resolved.folder
    hashed = artifacts.verify_files(folder, resolved.expected)
    config = resolved.read_config()
    files = config["files"]
    artifacts.verify_files(folder, files, hashed=hashed)  # zoo.json's own list too (each file hashed once)
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

    repo_id = hub.check_repo_id(repo_id)
    folder, config = _check_folder(name_or_folder)
    token = token or get_token()
    if not token:
        raise HubError(hub.NO_TOKEN)
    if hub.offline():
        raise HubError(f"cannot publish to {repo_id}: HF_HUB_OFFLINE is set. Unset it to go online.")
    api = HfApi(endpoint=hub.endpoint(), token=token, **hub.library())
    user: list[str] = []
    with hub_http.limits(f"publishing to {repo_id}", hub.endpoint()), hub.hub_errors("publish to", repo_id, user=user):
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


# ----------------------------------------------------------------------------- the registry's Hub copies


def publish_all(org: str, *, record: bool = False, token: str | None = None, progress=print) -> dict[str, str]:
    """`zoo publish --all`: publish every installed registry artifact to ORG/NAME; returns
    {name: commit id}. record=True writes each pinned source (hf://ORG/NAME@commit) into
    registry.json: a maintainer's step against the real Hub, in a source checkout only (see
    CONTRIBUTING.md), so that no commit that no Hub holds is ever recorded."""
    if record:
        registry.require_source_checkout("`zoo publish --all --record`")
    if not hub.valid_repo_id(f"{org}/x"):
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
    reg = registry.copy_registry()
    for name, commit in commits.items():
        if not COMMIT.fullmatch(commit):
            raise HubError(f"the Hub answered {commit[:80]!r} as the commit of {org}/{name}, which is not a "
                           "commit id; registry.json was not changed.")
        entry = reg["artifacts"][name]
        others = [s for s in entry["sources"] if not s.startswith(PREFIX)]
        entry["sources"] = [*others, f"{PREFIX}{org}/{name}@{commit}"]
    io.write_json(registry.REGISTRY_PATH, reg)


