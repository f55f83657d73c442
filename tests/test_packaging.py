"""Both wheels, the code's and the weights' (keras-zoo-weights), carry the MIT license that their
pyproject.toml declares, as the license says it must be ("included in all copies")."""

import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_the_license_is_mit_and_the_same_for_code_and_weights():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the keras-zoo authors\n")
    assert (ROOT / "weights" / "LICENSE").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("project", [".", "weights"])
def test_the_wheel_carries_the_license(project, tmp_path):
    wheel_builder = pytest.importorskip("hatchling.builders.wheel", reason="building a wheel needs hatchling "
                                        "(in the test extra)")
    [wheel] = wheel_builder.WheelBuilder(str(ROOT / project)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        [license_file] = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        assert archive.read(license_file) == (ROOT / "LICENSE").read_bytes()
        assert "License-File: LICENSE" in archive.read(metadata).decode().splitlines()
