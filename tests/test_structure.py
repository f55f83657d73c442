"""The package's shape, read from its source with `ast`: no module imports, at module level, a
module that imports it back (directly or round a longer circle), and the modules behind
`import zoo` and the metadata commands import nothing heavy at module level.

Only imports that run when a module is imported count. An import inside a function runs when
the function does: that is how the zoo brings Keras in late, and it may point anywhere
(tests/test_fast_start.py checks at run time that the light commands stay light)."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import zoo

PACKAGE = Path(zoo.__file__).resolve().parent
LIGHT = ["zoo", "zoo.api", "zoo.registry", "zoo.artifacts", "zoo.cli", "zoo.cards", "zoo.families.word_lm.lm_table", "zoo.errors",
         "zoo.io"]
HEAVY = {"keras", "tensorflow", "jax", "numpy", "scipy", "gensim", "nltk", "matplotlib"}  # seconds to import


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def module_level_imports(tree: ast.Module):
    """The import statements that run when the module is imported: all but those in functions
    (a class body or an `if` at the top runs at import time, so they count)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from module_level_imports(node)


def imported_names(module: str) -> set[str]:
    """What a module imports at module level, by full name: `from zoo import io` names the
    module zoo.io, `from zoo import load` the package zoo (load is defined in its __init__)."""
    names = set()
    for node in module_level_imports(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        assert node.level == 0, f"{module}: the zoo's imports are absolute (from zoo... import)"
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            names.add(submodule if submodule in MODULES else node.module)
    return names


IMPORTS = {module: imported_names(module) for module in MODULES}
# Importing zoo.a.b also runs zoo/__init__.py and zoo/a/__init__.py first; Python allows that
# circle (the package is already in sys.modules, half-initialised), so only named modules count.
GRAPH = {module: {name for name in names if name in MODULES and name != module} for module, names in IMPORTS.items()}


def test_the_walk_sees_the_imports():
    assert {"zoo.artifacts", "zoo.registry", "zoo.errors"} <= GRAPH["zoo.api"]
    assert "zoo.families.word2vec.model" in GRAPH["zoo.families.word2vec.gensim_bridge"]
    assert "keras" in IMPORTS["zoo.families.word2vec.model"]
    assert "zoo.families.word_lm.steps" in MODULES


def test_no_import_cycles():
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"modules import each other in a circle: {' -> '.join(error.args[1])}")


def reachable(start: str) -> set[str]:
    """The zoo modules importing `start` brings in at module level, itself included."""
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += GRAPH[module]
    return seen


@pytest.mark.parametrize("light", LIGHT)
def test_light_modules_import_no_backend_numpy_or_model_family(light):
    # zoo.models is named apart: its __init__ brings the backend in through a function call,
    # which the walk does not follow.
    offenders = sorted(f"{module} imports {name}" for module in reachable(light) for name in IMPORTS[module]
                       if name.split(".")[0] in HEAVY or name.startswith("zoo.models"))
    assert not offenders, f"importing {light} brings in heavy modules: {offenders}"
