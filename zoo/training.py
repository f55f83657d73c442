"""What every recipe needs around `model.fit`: seeds, resumable checkpoints, the record of the
environment the run happened in, and the training-curve plot."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import sys
import time
from pathlib import Path


def set_seed(seed: int) -> None:
    """Seed Python, numpy and the backend so that a recipe is repeatable."""
    import keras

    keras.utils.set_random_seed(seed)


def generator_input(batches, count: int):
    """What to give `model.fit` for `count` batches (x, y) of fixed shapes from an iterator.

    The batches are made in a background thread, a few ahead of the model (see `background`).
    On the TensorFlow backend Keras wraps a Python generator in a tf.data pipeline with an
    autotuned prefetch. Its tuning thread sleeps for a period that doubles as training goes on,
    and `fit` waits for it to wake before it returns (measured on the 2-core CPU: 0 to 5 s after
    word2vec runs of about 5 s). The same pipeline with autotuning off and a fixed prefetch
    returns at once. Other backends get the background generator itself.
    """
    import itertools

    import keras

    batches = background(itertools.islice(iter(batches), count))
    if keras.backend.backend() != "tensorflow":
        return batches
    import tensorflow as tf

    first = next(batches)
    signature = keras.tree.map_structure(lambda a: tf.TensorSpec(a.shape, a.dtype), first)
    dataset = tf.data.Dataset.from_generator(lambda: itertools.chain([first], batches),
                                             output_signature=signature)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)


def background(iterator, ahead: int = 8):
    """A generator of the items of `iterator`, which runs in a background thread up to `ahead`
    items in advance. numpy releases the GIL in its loops, so on a machine with a spare core the
    next batches are made while the model trains on this one (measured, word2vec's CBOW on the
    2-core CPU, 4 runs each: 0.22-0.27 s an epoch against 0.30-0.35 s without). An exception in
    the thread is raised here; when the consumer stops early, the thread stops too."""
    import queue
    import threading

    items = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce():
        try:
            for item in iterator:
                if not put(item):
                    return
            put(end)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)

    threading.Thread(target=produce, daemon=True, name="zoo-batches").start()
    try:
        while True:
            item = items.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def checkpoint_dir(out) -> Path:
    """Where an interrupted run keeps its state: next to the output folder, removed on success."""
    from zoo import distribute

    out = Path(out)
    folder = out.with_name(f".{out.name}.checkpoint")
    if distribute.process_count() > 1:  # each process of a multi-host run keeps its own state
        folder = folder / f"process-{distribute._state['process_id']}"
    return folder


def resume_callbacks(out) -> list:
    """Callbacks that make `fit` resumable: started again after an interruption, training
    continues from the last finished epoch (keras.callbacks.BackupAndRestore)."""
    import keras

    return [keras.callbacks.BackupAndRestore(str(checkpoint_dir(out)), delete_checkpoint=True)]


def clear_checkpoint(out) -> None:
    folder = checkpoint_dir(out)
    shutil.rmtree(folder, ignore_errors=True)
    if folder.parent.name.endswith(".checkpoint"):
        try:
            folder.parent.rmdir()  # the last process to finish removes the shared parent
        except OSError:
            pass


def environment() -> dict:
    """Versions and hardware, recorded in every artifact's config."""
    import keras
    import numpy

    backend = keras.backend.backend()
    env = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if backend == "tensorflow":
        import tensorflow as tf

        env["tensorflow"] = tf.__version__
        gpus = tf.config.list_physical_devices("GPU")
        env["accelerator"] = ", ".join(g.name for g in gpus) or "none (CPU)"
    elif backend == "jax":
        import jax

        env["jax"] = jax.__version__
        env["accelerator"] = ", ".join(str(d.device_kind) for d in jax.devices())
    return env


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def plot_history(history: dict, title: str, metrics=("loss",)):
    """The training curve: one panel per metric, training and validation together."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            if key in history:
                values = history[key]
                ax.plot(range(1, len(values) + 1), values, style, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
