"""Import the backend without its start-up noise.

TensorFlow's C++ runtime writes log lines to the process's stderr (file descriptor 2) while it
loads, before any Python setting can reach it ("All log messages before absl::InitializeLog()",
"oneDNN custom operations are on"). A user of the zoo has no use for them, so the descriptor is
pointed at /dev/null for the duration of the import only; Python errors still surface.

Keras is imported here too, once, so that a backend that is not installed (KERAS_BACKEND=jax
without JAX) is one line that says what to install, not Keras's traceback of thirty lines.
"""

import contextlib
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
    with stderr_silenced():
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # keras reports a missing backend itself, with the real error


@contextlib.contextmanager
def stderr_silenced():
    """Within the block, the process's stderr (file descriptor 2, where C++ libraries write) goes
    to /dev/null; Python exceptions still raise. The zoo's one silencer: the backend's import
    above, and the exporters' converters (zoo/exporting.py, through `silenced`)."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to hide
        yield
        return
    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def silenced(*loggers: str):
    """stderr_silenced, and Python's warnings and the named loggers (below ERROR) quiet too: for a
    library that chatters through all three (tf2onnx, TensorFlow's converters)."""
    import logging
    import warnings

    named = [logging.getLogger(name) for name in loggers]
    levels = [logger.level for logger in named]
    for logger in named:
        logger.setLevel(logging.ERROR)
    try:
        with stderr_silenced(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(named, levels):
            logger.setLevel(level)
