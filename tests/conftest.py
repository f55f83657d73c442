import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests never touch the network: datasets come from the mirror folder (CI: ../shared/data).
if "ZOO_DATA_MIRROR" not in os.environ and SHARED_DATA.is_dir():
    os.environ["ZOO_DATA_MIRROR"] = str(SHARED_DATA)
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
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
