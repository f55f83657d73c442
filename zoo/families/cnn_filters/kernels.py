"""The classic image kernels, and the kernel names of a filter bank read without loading it.

No Keras and no numpy here: `zoo filter --kernel NAME` is checked against the bank's kernel
names before the model (and TensorFlow, seconds of start-up) is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

from zoo.errors import UnknownNameError

# The classic kernels (GIMP's "Convolution Matrix" documentation), written as convolution
# kernels. Blur is normalised so the image keeps its brightness. zoo.families.cnn_filters.model makes arrays of them.
CLASSIC_KERNELS = {
    "edge-enhance": [[0, 0, 0], [-1, 1, 0], [0, 0, 0]],
    "edge-detect": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}


def bank_kernel_names(name_or_path) -> list[str] | None:
    """The kernel names a filter bank's metadata lists (its `kernels`), read from the folder of an
    installed registry artifact or a user's folder; None where there is no folder at hand yet (a
    Hub download) or its metadata says nothing usable: loading it then checks the rest."""
    from zoo import io, registry

    text = str(name_or_path)
    folder = registry.installed_folder(text) if text in registry.artifacts() else Path(text).expanduser()
    try:
        config = json.loads(io.artifact_metadata_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):  # no folder, no metadata, not JSON
        return None
    kernels = config.get("kernels") if isinstance(config, dict) else None
    if not isinstance(kernels, dict) or not kernels or not all(isinstance(k, str) for k in kernels):
        return None
    return list(kernels)


def unknown_kernel_error(kernel: str, names: list[str], bank: str) -> UnknownNameError:
    """The bank's own kernels, named (`zoo list` lists models, not kernels)."""
    import difflib

    close = difflib.get_close_matches(str(kernel), names, n=2, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return UnknownNameError(f"{bank} has no kernel {kernel!r}.{hint} Its kernels: {', '.join(names)}.")
