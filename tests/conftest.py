import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests never touch the network: datasets come from a mirror folder (CI: ../shared/data). With
# no mirror, tinyshakespeare is fetched once, before any test, from its canonical URL into the
# user cache (~/.cache/keras-zoo/data), checked by sha256, and the tests read it from there.
if "ZOO_DATA_MIRROR" not in os.environ and SHARED_DATA.is_dir():
    os.environ["ZOO_DATA_MIRROR"] = str(SHARED_DATA)
if "ZOO_DATA_MIRROR" not in os.environ:
    from zoo import data

    os.environ["ZOO_DATA_MIRROR"] = str(data.path("tinyshakespeare").parent)
os.environ["ZOO_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Each test gets an empty user cache, so nothing leaks between tests or from the user."""
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def cli(capsys):
    """Run the `zoo` command in-process; returns (exit code, stdout, stderr)."""
    from zoo.cli import main

    def run(*argv):
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse refuses bad arguments (or prints --help) by exiting
            code = exit_.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
