"""CONTRIBUTING.md's promise, kept by a test: adding a family touches only its own folder, its
recipe in recipes/ and registry.json (and the files `zoo train --register` generates: its
artifact folder, the cards), and then `zoo list`, `zoo info`, `zoo serve` and `zoo export` see it.

The test copies the checkout into a temporary folder (a git repository of its own), writes a toy
family there as a contributor would, by the guide's steps, registers its artifact with
`zoo train NAME --register`, and runs the zoo from that copy in fresh interpreters.
"""

import json
import os
import socket
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.serving import request
from zoo import registry

pytestmark = pytest.mark.slow

ROOT = registry.REPO_ROOT

FAMILY = {
    "__init__.py": '''
        """A toy family for the test: a single linear unit y = w . x + b."""
        ''',
    "model.py": '''
        """The network: one Dense unit."""

        import keras


        def build_affine(inputs: int = 2):
            x = keras.Input(shape=(inputs,), name="x")
            return keras.Model(x, keras.layers.Dense(1, name="unit")(x), name="affine")
        ''',
    "artifact.py": '''
        """The task: y for rows of x. Light at module level, as every artifact.py."""

        import numpy as np

        from zoo.artifacts import Artifact
        from zoo.hooks import Task


        class Affine(Artifact):
            tasks = (Task("tabular-regression", run="zoo.families.toy.serving:predict",
                          request="zoo.families.toy.serving:Rows"),)

            def predict(self, rows) -> np.ndarray:
                return np.asarray(self.model(np.asarray(rows, "float32"), training=False))[:, 0]
        ''',
    "serving.py": '''
        """What `zoo serve` answers for the toy: {"inputs": [[1, 2], ...]} -> [y, ...]."""

        from zoo.server_tasks import Strict


        class Rows(Strict):
            inputs: list[list[float]]


        def predict(served, request: Rows, http):
            return [round(float(y), 6) for y in served.art.predict(request.inputs)]
        ''',
}

RECIPE = '''
    """Recipe: toy-ones, y = x1 + x2 + 1, set by hand (the test's toy family)."""

    from pathlib import Path

    import numpy as np

    from zoo.artifacts import save_artifact
    from zoo.families.toy.model import build_affine


    def evaluate(art, data_dir=None) -> dict:
        x = np.array([[0, 0], [1, 2]], "float32")
        return {"max_abs_error": float(np.abs(art.predict(x) - (x.sum(axis=1) + 1)).max())}


    def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
        model = build_affine()
        model.get_layer("unit").set_weights([np.ones((2, 1), "float32"), np.ones(1, "float32")])
        config = {"name": "toy-ones", "architecture": "toy-affine", "description": "y = x1 + x2 + 1",
                  "recipe": "recipes/toy_ones.py", "hparams": {"inputs": 2},
                  "dataset": {"name": "none", "split": "none"}, "metrics": {"max_abs_error": 0.0},
                  "training": {"seconds": 0.0}, "card": {"tags": ["toy"]}}
        return save_artifact(out, model=model, config=config, card_body="# toy-ones\\n\\nA linear unit.\\n")
    '''

ARCHITECTURE = {
    "build": "zoo.families.toy.model:build_affine", "artifact_class": "zoo.families.toy.artifact:Affine",
    "task": "a linear unit (a test's toy)", "pipeline_tag": "tabular-regression", "defaults": {"inputs": 2},
    "source": "the test", "description": "One Dense unit.",
}


def git(repo: Path, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def zoo_in(repo: Path, *args, timeout=300) -> str:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    run = subprocess.run([sys.executable, "-m", "zoo", *args], cwd=repo, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the checkout with the toy family added and registered; returns (copy, changed paths)."""
    repo = tmp_path_factory.mktemp("checkout")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".git", "runs")
    for name in ("zoo", "recipes", "weights", "tests", "benchmarks"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore, symlinks=True)
    for name in ("registry.json", "pyproject.toml", "README.md", "MODEL_CARDS.md", "conftest.py"):
        shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "before")

    # The guide's steps: the family's folder, its recipe, its architecture entry.
    family = repo / "zoo" / "families" / "toy"
    family.mkdir()
    for name, text in FAMILY.items():
        (family / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (repo / "recipes" / "toy_ones.py").write_text(textwrap.dedent(RECIPE).lstrip(), encoding="utf-8")
    reg = json.loads((repo / "registry.json").read_text(encoding="utf-8"))
    reg["architectures"]["toy-affine"] = ARCHITECTURE
    (repo / "registry.json").write_text(json.dumps(reg, indent=2) + "\n", encoding="utf-8")
    zoo_in(repo, "train", "toy-ones", "--register")
    changed = sorted({line[3:].split("/", 3)[0] if not line[3:].startswith(("zoo/families/", "weights/zoo_weights/"))
                      else "/".join(line[3:].split("/")[:3]) for line in git(repo, "status", "--porcelain", "-uall").splitlines()})
    return repo, changed


def test_adding_a_family_touches_only_its_folder_its_recipe_and_the_registry(repo):
    _, changed = repo
    assert set(changed) <= {"zoo/families/toy", "recipes", "registry.json", "weights/zoo_weights/toy-ones",
                            "MODEL_CARDS.md", "README.md"}, changed
    assert {"zoo/families/toy", "recipes", "registry.json", "weights/zoo_weights/toy-ones"} <= set(changed)


def test_zoo_list_and_info_see_the_new_family(repo):
    repo, _ = repo
    assert "toy-ones" in zoo_in(repo, "list") and "toy-affine" in zoo_in(repo, "list", "--architectures")
    assert "y = x1 + x2 + 1" in zoo_in(repo, "info", "toy-ones")
    assert zoo_in(repo, "eval", "toy-ones")


def test_zoo_serve_answers_the_new_family_task(repo):
    repo, _ = repo
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "zoo", "serve", "toy-ones", "--port", str(port)], cwd=repo,
                              env={**os.environ, "PYTHONPATH": str(repo)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        for _ in range(240):
            try:
                if request(url + "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        status, listed, _ = request(url + "/models")
        assert status == 200 and [m["name"] for m in listed] == ["toy-ones"]
        status, answer, _ = request(url + "/models/toy-ones", {"inputs": [[1, 2], [0, 0]]})
        assert status == 200 and answer == [4.0, 1.0]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_zoo_export_exports_the_new_family(repo):
    repo, _ = repo
    zoo_in(repo, "export", "toy-ones", "--format", "onnx", "--out", str(repo / "exported"))
    described = json.loads((repo / "exported" / "export.json").read_text(encoding="utf-8"))
    assert described["inputs"][0]["name"] == "x"
