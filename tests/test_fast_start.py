"""`import zoo` and the metadata commands never import Keras, TensorFlow or JAX: they would cost
seconds of start-up for work that takes milliseconds (benchmarks/startup.py measures it)."""

import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "jax")

PROBE = """
import sys
from zoo.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
import zoo
zoo.list_models("*lm*"); zoo.info("charrnn-shakespeare")
heavy = [m for m in {heavy!r} if m in sys.modules]
print("HEAVY", heavy, "CODE", code, file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["list"], ["list", "*lm*", "--pretrained"], ["info", "charrnn-shakespeare"],
    ["info", "lstm-lm"], ["cards", "--check"], ["generate", "--help"], ["train", "--help"], ["export", "--help"],
    ["info", "no-such-model"],
])
def test_metadata_commands_import_no_backend(argv, tmp_path):
    run = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("HEAVY []"), run.stderr


def test_maintainer_options_are_apart_in_help(capsys):
    from zoo.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    options = text.partition("options:")[2]  # past the usage line, which names every option
    users, _, maintainers = options.partition("for maintainers of the zoo")
    assert "--smoke" in users and "--register" not in users and "--register" in maintainers


def test_a_filter_kernel_is_checked_before_keras_loads(tmp_path):
    """`zoo filter --kernel NAME` names the bank's kernels at once, from its metadata, for a
    registry bank and for a folder of the user's."""
    import shutil

    from zoo import registry

    shutil.copytree(registry.installed_folder("cnn-filters-classic"), tmp_path / "bank")
    for bank in ("cnn-filters-classic", "./bank"):
        argv = ["filter", bank, "in.png", "out.png", "--kernel", "emboss"]
        run = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                             capture_output=True, text=True, cwd=tmp_path, timeout=120)
        error, last = run.stderr.strip().splitlines()
        assert error == f"zoo: error: {bank} has no kernel 'emboss'. Its kernels: edge-enhance, edge-detect, blur, sharpen."
        assert last.startswith("HEAVY [] CODE 2"), run.stderr
