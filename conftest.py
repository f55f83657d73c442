"""Shared by the suite: the tests under tests/ and each family's tests in zoo/families/NAME/."""

import os

import pytest

# Tests never touch the network: tinyshakespeare ships inside the package (zoo/reference_data/),
# and ZOO_OFFLINE forbids any download. CI also sets ZOO_DATA_MIRROR (../shared/data, .ci/run),
# which data.path looks at first.
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
