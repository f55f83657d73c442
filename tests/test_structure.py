"""The package's shape, read from its source with `ast`:

- no module imports a module that imports it back (directly or round a longer circle), at any
  level: an import inside a function counts as much as one at the top;
- the modules behind `import zoo` and the metadata commands import nothing heavy at module level
  (here only imports that run when a module is imported count: an import inside a function runs
  when the function does, which is how the zoo brings Keras in late; tests/test_fast_start.py
  checks at run time that the light commands stay light);
- no module is over 600 lines, no function (method, nested function) over 80;
- no shared module (zoo/*.py) names a family or an artifact: they find families through the
  registry and the artifact classes' hooks, so that adding a family touches only its folder."""

import ast
import json
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import zoo

PACKAGE = Path(zoo.__file__).resolve().parent
LIGHT = ["zoo", "zoo.api", "zoo.registry", "zoo.artifacts", "zoo.cli", "zoo.cards", "zoo.families.word_lm.lm_table", "zoo.errors",
         "zoo.io", "zoo.resolver", "zoo.members", "zoo.network_check", "zoo.families.word_lm.readme"]
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


def all_imports(tree: ast.Module):
    """Every import statement of a module, wherever it stands (in a function too)."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


TREES = {module: ast.parse(path.read_text(encoding="utf-8")) for module, path in MODULES.items()}


def imported_names(module: str, statements=module_level_imports) -> set[str]:
    """What a module imports (at module level, or with statements=all_imports anywhere), by full
    name: `from zoo import io` names the module zoo.io, `from zoo import load` the package zoo
    (load is defined in its __init__)."""
    names = set()
    for node in statements(TREES[module]):
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
# The same at every level: what each module imports anywhere, in its functions too. A module's
# import of a package above it (`from zoo import __version__`) is no edge: Python has run the
# package's __init__ before the module itself.
FULL_GRAPH = {module: {name for name in imported_names(module, all_imports)
                       if name in MODULES and name != module and not module.startswith(name + ".")}
              for module in MODULES}


def test_the_walk_sees_the_imports():
    assert {"zoo.artifacts", "zoo.registry", "zoo.errors"} <= GRAPH["zoo.api"]
    assert "zoo.families.word2vec.model" in GRAPH["zoo.families.word2vec.gensim_bridge"]
    assert "keras" in IMPORTS["zoo.families.word2vec.model"]
    assert "zoo.families.word_lm.steps" in MODULES


def test_the_walk_sees_imports_inside_functions():
    assert "zoo.resolver" in FULL_GRAPH["zoo.api"] and "zoo.resolver" not in GRAPH["zoo.api"]


def test_no_import_cycles_at_any_level():
    try:
        tuple(TopologicalSorter(FULL_GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"modules import each other in a circle (counting imports inside functions): "
                    f"{' -> '.join(error.args[1])}")


MODULE_LINES, FUNCTION_LINES = 600, 80


def test_no_module_is_over_600_lines():
    lines = {module: len(path.read_text(encoding="utf-8").splitlines()) for module, path in MODULES.items()}
    long = {module: n for module, n in lines.items() if n > MODULE_LINES}
    assert not long, f"split these along a clear seam: {long}"


def test_no_function_is_over_80_lines():
    # From `def` to the last line of the body; methods and nested functions each count alone.
    long = sorted(f"{module}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
                  for module, tree in TREES.items() for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.end_lineno - node.lineno + 1 > FUNCTION_LINES)
    assert not long, long


def family_and_artifact_names() -> set[str]:
    registry_json = json.loads((PACKAGE.parent / "registry.json").read_text(encoding="utf-8"))
    return set(registry_json["architectures"]) | set(registry_json["artifacts"])


FAMILIES = sorted(path.name for path in (PACKAGE / "families").iterdir() if (path / "__init__.py").is_file())


def names_of_families(tree: ast.Module) -> set[str]:
    """The registered names a module writes as a string, and the family modules it names (as an
    import or as a string such as "zoo.families.charrnn.model:CharRNN")."""
    names, registered = set(), family_and_artifact_names()
    family_paths = [f"zoo.families.{family}" for family in FAMILIES]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in registered:
                names.add(node.value)
            names.update(path for path in family_paths
                         if node.value == path or node.value.startswith((path + ".", path + ":")))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            names.update(path for path in family_paths for name in imported
                         if name == path or name.startswith(path + "."))
    return names


SHARED = sorted(module for module, path in MODULES.items() if path.parent == PACKAGE)


def test_the_name_walk_sees_families():
    assert names_of_families(ast.parse('import zoo.families.charrnn.model\nx = "mlp-xor"')) == \
        {"zoo.families.charrnn", "mlp-xor"}
    assert {"zoo.api", "zoo.registry"} <= set(SHARED) and "zoo.families.word_lm.lm_table" not in SHARED


@pytest.mark.parametrize("module", SHARED)
def test_shared_modules_name_no_family_or_artifact(module):
    named = names_of_families(TREES[module])
    assert not named, (f"{module} names {sorted(named)}: a shared module finds families through the registry "
                       "and the artifact classes' hooks (zoo/hooks.py); move what is a family's into its folder")


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
