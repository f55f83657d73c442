"""Import the backend without its start-up noise.

TensorFlow's C++ runtime writes log lines to the process's stderr (file descriptor 2) while it
loads, before any Python setting can reach it ("All log messages before absl::InitializeLog()",
"oneDNN custom operations are on"). A user of the zoo has no use for them, so the descriptor is
pointed at /dev/null for the duration of the import only; Python errors still surface.
"""

import os
import sys


def import_backend_quietly() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Keras imports TensorFlow under every backend when it is installed (for its data adapters),
    # so it is imported here whatever the backend.
    import importlib.util

    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to hide
        return
    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # keras reports a missing backend itself, with the real error
    finally:
        os.dup2(saved, 2)
        os.close(saved)
