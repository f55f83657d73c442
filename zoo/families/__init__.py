"""The model families: one folder each, holding everything about the family.

    zoo/families/NAME/
        __init__.py      what the family is, in a few lines
        model.py         build functions (Keras), read top to bottom (or one file per network)
        artifact.py      the artifact class: the task's methods and the hooks the shared
                         machinery looks up (tasks served, fine-tuning data, export, demo, verbs)
        layers.py        custom Keras layers, if any (imports nothing of the zoo)
        steps.py         training, evaluation and fine-tuning steps that the recipes call
        readme.py        the README sections the family generates, if any (SECTIONS)
        test_*.py        the family's tests

The recipes stay in the top-level `recipes/` (one per artifact), and registry.json names each
architecture's build function and artifact class. No shared module names a family: they find
families through the registry, and this module finds their layers by walking the folders.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

FAMILIES_DIR = Path(__file__).parent


def family_names() -> list[str]:
    """Every family folder's name (a package under zoo/families/)."""
    return sorted(module.name for module in pkgutil.iter_modules([str(FAMILIES_DIR)]) if module.ispkg)


def import_layers() -> None:
    """Import every family's layers.py, which registers its custom Keras layers."""
    for family in family_names():
        if (FAMILIES_DIR / family / "layers.py").is_file():
            importlib.import_module(f"zoo.families.{family}.layers")


def readme_sections() -> dict:
    """The README sections the families generate (`zoo cards` writes them, a test checks them):
    marker name -> a function that returns the section's markdown, from each family's
    readme.py (its SECTIONS), which must be light: no Keras."""
    sections = {}
    for family in family_names():
        if (FAMILIES_DIR / family / "readme.py").is_file():
            sections.update(importlib.import_module(f"zoo.families.{family}.readme").SECTIONS)
    return sections
