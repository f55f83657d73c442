"""registry.json: the one source of truth of what the zoo holds.

Two kinds of entries (as in timm, architecture and pretrained tag are separate):

- architectures: a build function (`module:function`), the task, default hyper-parameters,
  the artifact class that serves the task, and the paper the design comes from;
- artifacts: the pretrained variants: architecture, recipe, dataset, the metrics the recipe
  measured, every file with its sha256, and where the files can be fetched from.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

from zoo import io
from zoo.errors import UnknownNameError, UnsafeArtifactError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _beside_package(name: str) -> Path:
    """registry.json and recipes/ live at the top of the repository; building the wheel copies
    them into the package (pyproject.toml), so an installed zoo finds them inside itself."""
    inside = PACKAGE_DIR / name
    return inside if inside.exists() else REPO_ROOT / name


REGISTRY_PATH = _beside_package("registry.json")
RECIPES_DIR = _beside_package("recipes")
# A source checkout (not an installed wheel): only there can maintainers rewrite the registry,
# the packaged artifacts and MODEL_CARDS.md.
IS_SOURCE_CHECKOUT = REGISTRY_PATH == REPO_ROOT / "registry.json" and (REPO_ROOT / "pyproject.toml").is_file()
# The pretrained artifacts ship in a package of their own, `keras-zoo-weights` (import name
# zoo_weights, built from weights/ in the checkout), as spaCy ships its models: the code's wheel
# stays small, and a zoo without it downloads each artifact from its Hub source instead.
WEIGHTS_PACKAGE = "zoo_weights"
CHECKOUT_WEIGHTS_DIR = REPO_ROOT / "weights" / WEIGHTS_PACKAGE


def _find_weights_dir() -> Path | None:
    """The folder of the packaged artifacts: the checkout's weights/zoo_weights (where
    maintainers register new ones), else the installed keras-zoo-weights, else None. Found
    without importing anything."""
    if IS_SOURCE_CHECKOUT and CHECKOUT_WEIGHTS_DIR.is_dir():
        return CHECKOUT_WEIGHTS_DIR
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return None


WEIGHTS_DIR = _find_weights_dir()


# The Hub organisation that holds the registry's artifacts (ZOO_HUB_ORG overrides it when
# loading, for a mirror or a test Hub; see hub.registry_source).
DEFAULT_HUB_ORG = "keras-zoo"

_registry_cache: dict = {}


def load_registry() -> dict:
    """registry.json, read once per process (and again only if the file changed on disk). Each
    caller gets its own copy, so that changing it changes nothing for the next one."""
    stamp = REGISTRY_PATH.stat().st_mtime_ns
    if _registry_cache.get("stamp") != stamp:
        _registry_cache.update(stamp=stamp, data=io.read_json(REGISTRY_PATH))
    return copy.deepcopy(_registry_cache["data"])


def architectures() -> dict:
    return load_registry()["architectures"]


def artifacts() -> dict:
    return load_registry()["artifacts"]


def all_names() -> list[str]:
    reg = load_registry()
    return sorted(set(reg["architectures"]) | set(reg["artifacts"]))


def looks_like_path(name) -> bool:
    """Whether a name the user gave is meant as a folder: no registry name has a slash or starts
    with "." or "~"."""
    text = str(name)
    return "/" in text or os.sep in text or text.startswith((".", "~"))


def no_folder_error(name) -> UnknownNameError:
    """The one message for a path-looking model name with no folder there (never suggestions
    of registry names: the user meant a folder)."""
    path = Path(str(name)).expanduser()
    problem = f"{name} is not a folder" if path.exists() else f"no folder {name}"
    return UnknownNameError(f"{problem}; give an artifact folder, a registry name (see `zoo list "
                            "--pretrained`) or hf://owner/name.")


def unknown_name_error(name: str, choices, what: str = "model") -> UnknownNameError:
    """An error naming the registered names closest to a mistyped one (for a model name that
    looks like a path, no_folder_error's instead)."""
    if what == "model" and looks_like_path(name):
        return no_folder_error(name)
    choices = sorted(choices)
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.4)
    close += [c for c in choices if str(name) and str(name) in c and c not in close][: 3 - len(close)]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    if what in ("model", "architecture", "artifact", "recipe"):
        where = " Run `zoo list` to see every registered name."
    else:  # `zoo list` lists models, not kernels or datasets: name them here
        where = f" The {what}s: {', '.join(choices)}."
    return UnknownNameError(f"unknown {what} {name!r}.{hint}{where}")


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
    """Import `package.module:attribute`, from one of the zoo's own modules only: the registry and
    the artifact classes' hooks (zoo.hooks) name code this way, and nothing else is imported."""
    module_name, _, attribute = dotted.partition(":")
    if module_name != "zoo" and not module_name.startswith("zoo."):
        raise UnsafeArtifactError(f"{dotted!r} is not in the zoo's own modules (zoo.*); it was not imported.")
    return getattr(importlib.import_module(module_name), attribute)


def artifact_class(architecture_name: str):
    """The class whose instances are this architecture's artifacts (registry.json's
    `artifact_class`), with its hooks (zoo.hooks): its tasks, its verbs ... Imported from its
    family's light module, without Keras."""
    return resolve(architecture(architecture_name)["artifact_class"])


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


def packaged_folder(name: str) -> Path | None:
    """Where the weights package keeps an artifact; None when that package is not installed.
    (The folder may still be missing: a name registered after the installed weights were built.)"""
    return WEIGHTS_DIR / name if WEIGHTS_DIR is not None else None


def installed_folder(name: str) -> Path | None:
    """The packaged folder of an artifact if it is there, else None (then it is downloaded)."""
    folder = packaged_folder(name)
    return folder if folder is not None and folder.is_dir() else None


# ----------------------------------------------------------------------------- recipes
# A recipe is chosen by name among the zoo's own files in recipes/, never by a path: an artifact's
# metadata (zoo.json, which may come from anywhere) names its recipe, and a name that is not one of
# ours is refused rather than imported.

RECIPE_REFERENCE = re.compile(r"recipes/([a-z0-9_]+)\.py")


def recipe_names() -> list[str]:
    """The stems of the zoo's recipe files (mlp_xor, charrnn_shakespeare, ...)."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.py") if not p.name.startswith("_"))


def recipe_module(stem: str):
    """Import one of the zoo's recipes by its stem (a module, imported once per process)."""
    if stem not in recipe_names():
        raise unknown_name_error(stem.replace("_", "-"),
                                 [n.replace("_", "-") for n in recipe_names()], "recipe")
    module_name = f"zoo_recipe_{stem}"
    if module_name not in sys.modules:
        import zoo.models  # noqa: F401  (recipes import Keras: bring it in quietly first)

        spec = importlib.util.spec_from_file_location(module_name, RECIPES_DIR / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    return sys.modules[module_name]


def recipe_for_name(artifact_name: str):
    """The recipe of an artifact name: as registered, or recipes/<name>.py for one not trained
    yet."""
    arts = artifacts()
    if artifact_name in arts:
        return recipe_module(RECIPE_REFERENCE.fullmatch(arts[artifact_name]["recipe"]).group(1))
    stem = str(artifact_name).replace("-", "_")
    if stem in recipe_names():
        return recipe_module(stem)
    recipes = [n.replace("_", "-") for n in recipe_names()]
    raise unknown_name_error(artifact_name, sorted(set(recipes) | set(arts)), "recipe")


def recipe_for_config(config: dict):
    """The recipe an artifact's config names, if it is one of the zoo's own and made this
    architecture; anything else (a path, `..`, another family's recipe) is refused."""
    reference = config.get("recipe")
    match = RECIPE_REFERENCE.fullmatch(reference) if isinstance(reference, str) else None
    if not match or match.group(1) not in recipe_names():
        raise UnsafeArtifactError(
            f"the artifact's metadata names the recipe {str(reference)[:80]!r}, which is not "
            "one of the zoo's own recipes (recipes/NAME.py); the zoo never runs code an artifact "
            "points at. Use `zoo train NAME` with a registered name instead.")
    architecture = config.get("architecture")
    made_by = {entry["architecture"] for entry in artifacts().values() if entry["recipe"] == reference}
    if made_by and architecture not in made_by:
        raise UnsafeArtifactError(
            f"the artifact's metadata says architecture {architecture!r} but names the recipe "
            f"{reference!r}, which trains {', '.join(sorted(made_by))}; the artifact is "
            "inconsistent and was not used.")
    return recipe_module(match.group(1))


def register_artifact(name: str, folder: Path) -> dict:
    """Record an artifact folder written by a recipe in registry.json (files, sha256, metrics).

    Called by `zoo train NAME --register`; the registry is rewritten atomically.
    """
    require_source_checkout("`zoo train NAME --register`")
    metadata = io.artifact_metadata_path(folder)
    config = io.read_json(metadata)
    reg = load_registry()
    entry = dict(reg["artifacts"].get(name, {}))
    files = dict(config["files"])
    files[metadata.name] = io.sha256_file(metadata)  # the registry pins the metadata file too
    entry.update(
        architecture=config["architecture"],
        recipe=entry.get("recipe", f"recipes/{name.replace('-', '_')}.py"),
        description=config.get("description", entry.get("description", "")),
        dataset=config.get("dataset", {}),
        metrics=config.get("metrics", {}),
        files=dict(sorted(files.items())),
        sources=entry.get("sources") or default_sources(name),
    )
    reg["artifacts"][name] = entry
    reg["artifacts"] = dict(sorted(reg["artifacts"].items()))
    io.write_json(REGISTRY_PATH, reg)
    return entry


def default_sources(name: str) -> list[str]:
    """Where a registered artifact can be had: the weights package, and its Hub repository
    (`zoo publish --all --record` pins the Hub source to the commit it uploaded)."""
    return [f"package:{WEIGHTS_PACKAGE}/{name}", f"hf://{DEFAULT_HUB_ORG}/{name}"]


def require_source_checkout(what: str) -> None:
    """Refuse maintainer commands (they rewrite files of the repository) in an installed zoo."""
    if not IS_SOURCE_CHECKOUT:
        from zoo.errors import ZooError

        raise ZooError(
            f"{what} rewrites the zoo's own registry and cards, so it runs only in a source "
            f"checkout of keras-zoo (git clone, then pip install -e .); this zoo is installed at "
            f"{PACKAGE_DIR}.")
