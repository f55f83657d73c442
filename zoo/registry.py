"""registry.json: the one source of truth of what the zoo holds.

Two kinds of entries (as in timm, architecture and pretrained tag are separate):

- architectures: a build function (`module:function`), the task, default hyper-parameters,
  the artifact class that serves the task, and the paper the design comes from;
- artifacts: the pretrained variants: architecture, recipe, dataset, the metrics the recipe
  measured, every file with its sha256, and where the files can be fetched from.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
from pathlib import Path

from zoo import io
from zoo.errors import UnknownNameError

REPO_ROOT = Path(__file__).resolve().parent.parent
REGISTRY_PATH = REPO_ROOT / "registry.json"
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
RECIPES_DIR = REPO_ROOT / "recipes"


def load_registry() -> dict:
    return io.read_json(REGISTRY_PATH)


def architectures() -> dict:
    return load_registry()["architectures"]


def artifacts() -> dict:
    return load_registry()["artifacts"]


def all_names() -> list[str]:
    reg = load_registry()
    return sorted(set(reg["architectures"]) | set(reg["artifacts"]))


def unknown_name_error(name: str, choices, what: str = "model") -> UnknownNameError:
    """An error naming the registered names closest to a mistyped one."""
    choices = sorted(choices)
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.4)
    close += [c for c in choices if str(name) and str(name) in c and c not in close][: 3 - len(close)]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return UnknownNameError(
        f"unknown {what} {name!r}.{hint} Run `zoo list` to see every registered name."
    )


def architecture(name: str) -> dict:
    archs = architectures()
    if name not in archs:
        raise unknown_name_error(name, archs, "architecture")
    return archs[name]


def artifact(name: str) -> dict:
    arts = artifacts()
    if name not in arts:
        raise unknown_name_error(name, all_names(), "model")
    return arts[name]


def resolve(dotted: str):
    """Import `package.module:attribute`."""
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def list_models(pattern: str = "*", pretrained: bool | None = None) -> list[str]:
    """Registered names matching a shell-style pattern.

    pretrained=None lists architectures and artifacts, True only artifacts (pretrained
    weights), False only architectures.
    """
    reg = load_registry()
    if pretrained is None:
        names = set(reg["architectures"]) | set(reg["artifacts"])
    elif pretrained:
        names = set(reg["artifacts"])
    else:
        names = set(reg["architectures"])
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))


def packaged_folder(name: str) -> Path:
    return PRETRAINED_DIR / name


def recipe_path(artifact_name: str) -> Path:
    """The recipe of an artifact: as registered, or recipes/<name>.py for one not trained yet."""
    arts = artifacts()
    if artifact_name in arts:
        return REPO_ROOT / arts[artifact_name]["recipe"]
    conventional = RECIPES_DIR / f"{artifact_name.replace('-', '_')}.py"
    if conventional.is_file():
        return conventional
    recipes = [p.stem.replace("_", "-") for p in RECIPES_DIR.glob("*.py")]
    raise unknown_name_error(artifact_name, sorted(set(recipes) | set(arts)), "recipe")


def register_artifact(name: str, folder: Path) -> dict:
    """Record an artifact folder written by a recipe in registry.json (files, sha256, metrics).

    Called by `zoo train NAME --register`; the registry is rewritten atomically.
    """
    config = io.read_json(Path(folder) / "config.json")
    reg = load_registry()
    entry = dict(reg["artifacts"].get(name, {}))
    files = dict(config["files"])
    files["config.json"] = io.sha256_file(Path(folder) / "config.json")
    entry.update(
        architecture=config["architecture"],
        recipe=entry.get("recipe", f"recipes/{name.replace('-', '_')}.py"),
        description=config.get("description", entry.get("description", "")),
        dataset=config.get("dataset", {}),
        metrics=config.get("metrics", {}),
        files=dict(sorted(files.items())),
        sources=entry.get("sources") or [f"package:zoo/pretrained/{name}"],
    )
    reg["artifacts"][name] = entry
    reg["artifacts"] = dict(sorted(reg["artifacts"].items()))
    io.write_json(REGISTRY_PATH, reg)
    return entry
