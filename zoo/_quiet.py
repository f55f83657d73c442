"""Import the backend without its start-up noise.

TensorFlow's C++ runtime writes log lines to the process's stderr (file descriptor 2) while it
loads, before any Python setting can reach it ("All log messages before absl::InitializeLog()",
"oneDNN custom operations are on"). A user of the zoo has no use for them, so the descriptor is
pointed at /dev/null for the duration of the import only; Python errors still surface.

Keras is imported here too, once, so that a backend that is not installed (KERAS_BACKEND=jax
without JAX) is one line that says what to install, not Keras's traceback of thirty lines.
"""

import os
import sys

# What installs each backend the zoo runs on, by the module whose import fails without it.
BACKEND_INSTALL = {
    "jax": "pip install 'keras-zoo[jax]'",
    "jaxlib": "pip install 'keras-zoo[jax]'",
    "tensorflow": "pip install --force-reinstall keras-zoo (TensorFlow is its default backend)",
}


def import_backend_quietly() -> None:
    _import_tensorflow_quietly()
    try:
        import keras  # noqa: F401
    except ImportError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in BACKEND_INSTALL:
            raise
        from zoo.errors import ZooError

        chosen = os.environ.get("KERAS_BACKEND")
        raise ZooError(f"Keras's backend{f' (KERAS_BACKEND={chosen})' if chosen else ''} needs {missing}, "
                       f"which is not installed: {BACKEND_INSTALL[missing]}, or choose another backend "
                       "with KERAS_BACKEND.") from None


def _import_tensorflow_quietly() -> None:
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
