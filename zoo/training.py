"""What every recipe needs around `model.fit`: seeds, the training windows of a language model,
resumable checkpoints, the record of the environment the run happened in, and the training-curve
plot."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import re
import sys
import time
import zipfile
from pathlib import Path

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
import keras  # noqa: E402  (the callbacks below are Keras callbacks)
import numpy as np  # noqa: E402

from zoo.errors import InvalidInputError  # noqa: E402


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


# ----------------------------------------------------------------------------- windows
# A language model trains on windows of its token stream, each target the input shifted by one
# (charrnn on characters, gru-lm and lstm-lm on words).


def windows(ids: np.ndarray, length: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive non-overlapping windows from `offset` on: inputs and targets, each (n, length)."""
    n = (len(ids) - 1 - offset) // length
    x = ids[offset:offset + n * length].reshape(n, length)
    y = ids[offset + 1:offset + 1 + n * length].reshape(n, length)
    return x, y


class ShuffledWindows(keras.utils.PyDataset):
    """Training batches of `windows`: each epoch starts them at a new random offset and shuffles
    them, so every token is seen at different positions of its window from epoch to epoch. The
    number of batches is the same every epoch (counted for the worst offset), as Keras expects."""

    def __init__(self, ids: np.ndarray, length: int, batch_size: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.ids, self.length, self.batch_size = ids, length, batch_size
        self.rng = np.random.default_rng(seed)
        self.n_batches = ((len(ids) - length) // length) // batch_size
        if self.n_batches < 1:
            raise InvalidInputError(f"the text ({len(ids)} tokens) is too short for one batch of "
                                    f"{batch_size} windows of {length}; lower the batch size or window.")
        self.on_epoch_end()

    def on_epoch_end(self):
        offset = int(self.rng.integers(self.length))
        starts = offset + self.length * np.arange((len(self.ids) - 1 - offset) // self.length)
        self.starts = self.rng.permutation(starts)

    def __len__(self):
        return self.n_batches

    def __getitem__(self, index):
        starts = self.starts[index * self.batch_size:(index + 1) * self.batch_size]
        chunk = self.ids[starts[:, None] + np.arange(self.length + 1)]
        return chunk[:, :-1], chunk[:, 1:]


def checkpoint_dir(out) -> Path:
    """Where an interrupted run keeps its state: next to the output folder, removed on success."""
    from zoo import distribute

    out = Path(out)
    folder = out.with_name(f".{out.name}.checkpoint")
    if distribute.process_count() > 1:  # each process of a multi-host run keeps its own state
        folder = folder / f"process-{distribute._state['process_id']}"
    return folder


# When `resume_callbacks` writes a checkpoint: once CHECKPOINT_SECONDS have passed since the
# last one (or since fit began), or every CHECKPOINT_EPOCHS epochs if that is set (the tests set
# it, to know where the checkpoints are). Not every epoch: a checkpoint costs tens of
# milliseconds even for mlp-xor's 9 parameters, after each of its 800 tiny epochs about 40 s of
# its 125 s; and a run that is killed loses at most a minute.
CHECKPOINT_SECONDS = 60.0
CHECKPOINT_EPOCHS: int | None = None
# How often `Progress` reports on stderr.
PROGRESS_SECONDS = 5.0

_STATE_FILE = "state.json"  # a fit's checkpoint: names its arrays file, the commit point
_LOOP_FILE = "loop.json"  # a recipe's own loop state (save_loop_state)


def resume_callbacks(out) -> list:
    """Callbacks that make `fit` resumable: started again after an interruption, training
    continues from the last checkpoint with everything as it was (see Checkpoint)."""
    return [Checkpoint(checkpoint_dir(out))]


def _warn(message: str) -> None:
    log(f"zoo: warning: {message}")


class Checkpoint(keras.callbacks.Callback):
    """Save the training state now and then (CHECKPOINT_SECONDS, CHECKPOINT_EPOCHS); when `fit`
    starts again after an interruption, restore it and go on from that epoch, so the run ends as
    an uninterrupted one would.

    The state: every variable of the model (its weights, and the seed state of random layers such
    as Dropout) and of the optimizer (moments, step count, learning rate), the epoch, the history
    so far, and the numpy and Python random states. Written atomically: the arrays go to a new
    file, then state.json, which names that file and its sha256, is renamed into place; a kill at
    any moment leaves the previous checkpoint whole. A checkpoint that cannot be read or does not
    fit this fit is discarded with a warning on stderr, and training starts from the beginning.
    The checkpoint is deleted when fit ends (a later fit of the recipe starts afresh).

    What it cannot put back: the order in which Keras shuffles arrays on TensorFlow (op seeds),
    where a recipe's own batch generator was, and other callbacks' counters (EarlyStopping's
    patience, ReduceLROnPlateau's wait). A resumed run is exactly an uninterrupted one only
    without them (mlp-xor: shuffle=False); with them it still resumes, but may drift.

    The zoo's replacement for keras.callbacks.BackupAndRestore, which writes in place (a run
    killed while writing left a file that every later run died on), every epoch, and keeps
    neither the history nor the random state.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = Path(folder)

    def _variables(self) -> list:
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:  # restored into, so it must exist
            optimizer.build(self.model.trainable_variables)
        return list(self.model.variables) + (list(optimizer.variables) if optimizer is not None else [])

    def on_train_begin(self, logs=None):
        self.history, self.restored = {}, 0
        self.last_save, self.unsaved_epochs = time.monotonic(), 0
        self._restore()

    def _restore(self) -> None:
        import random

        import numpy as np

        from zoo import io

        state_path = self.folder / _STATE_FILE
        if not state_path.exists():
            self._delete()  # arrays without a state.json: a save that was cut short
            return
        try:
            state = io.read_json(state_path)
            if not re.fullmatch(r"arrays-\d+\.npz", state["arrays"]):  # a name in this folder
                raise ValueError(f"it names the arrays file {state['arrays']!r}")
            arrays_path = self.folder / state["arrays"]
            if state["epochs"] != self.params["epochs"] or not 0 < state["epoch"] < state["epochs"]:
                raise ValueError(f"it is of epoch {state['epoch']} of a fit of {state['epochs']} epochs, "
                                 f"this one has {self.params['epochs']}")
            if not arrays_path.is_file() or io.sha256_file(arrays_path) != state["sha256"]:
                raise ValueError(f"{arrays_path.name} is missing or does not match its sha256")
            with np.load(arrays_path, allow_pickle=False) as stored:
                arrays = [stored[f"a{i}"] for i in range(len(stored.files))]
            variables = self._variables()
            if [a.shape for a in arrays] != [tuple(v.shape) for v in variables]:
                raise ValueError("it was saved from a model of another shape")
            epoch, history = int(state["epoch"]), dict(state["history"])
            numpy_state, python_state = state["numpy_random"], state["python_random"]
            numpy_state = (numpy_state[0], np.array(numpy_state[1], dtype=np.uint32), *numpy_state[2:])
            python_state = (python_state[0], tuple(python_state[1]), python_state[2])
        except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile) as error:
            _warn(f"discarding the checkpoint in {self.folder}, which cannot be used ({error}); "
                  "training starts from the beginning.")
            self._delete()
            return
        # Everything was read and checked first: nothing is ever half-restored.
        for variable, array in zip(variables, arrays):
            variable.assign(array)
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        self.history, self.restored = history, epoch
        self.model._initial_epoch = epoch  # where Keras's fit loop starts (as BackupAndRestore does)
        log(f"resuming from the checkpoint in {self.folder}: epoch {epoch} of {self.params['epochs']} done")

    def on_epoch_end(self, epoch, logs=None):
        import numpy as np

        for key, value in (logs or {}).items():  # as History keeps them, in JSON's types
            self.history.setdefault(key, []).append(np.asarray(value).tolist())
        self.unsaved_epochs += 1
        due = (time.monotonic() - self.last_save >= CHECKPOINT_SECONDS
               or (CHECKPOINT_EPOCHS is not None and self.unsaved_epochs >= CHECKPOINT_EPOCHS))
        # After the last epoch fit ends at once: there is nothing left to resume.
        if due and epoch + 1 < self.params["epochs"] and not self.model.stop_training:
            self._save(epoch + 1)

    def _save(self, epoch: int) -> None:
        import random

        import numpy as np

        from zoo import io

        self.folder.mkdir(parents=True, exist_ok=True)
        arrays_path = self.folder / f"arrays-{epoch}.npz"
        try:
            with io.atomic_path(arrays_path) as tmp, open(tmp, "wb") as f:
                np.savez(f, **{f"a{i}": np.asarray(v.numpy()) for i, v in enumerate(self._variables())})
            numpy_state = np.random.get_state()
            io.write_json(self.folder / _STATE_FILE, {
                "epoch": epoch, "epochs": self.params["epochs"], "arrays": arrays_path.name,
                "sha256": io.sha256_file(arrays_path), "history": self.history,
                "numpy_random": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]],
                "python_random": random.getstate()})
        except OSError:
            # A save the disk refuses (full, read-only) keeps the previous checkpoint whole, and
            # leaves nothing of its own: not its arrays file, which no state.json names (it is
            # renamed into place last), nor an empty folder.
            arrays_path.unlink(missing_ok=True)
            _remove_if_empty(self.folder)
            raise
        for path in self.folder.glob("arrays-*.npz"):  # the checkpoints this one replaces
            if path != arrays_path:
                path.unlink(missing_ok=True)
        self.last_save, self.unsaved_epochs = time.monotonic(), 0

    def on_train_end(self, logs=None):
        # Keras keeps the restored epoch on the model: a later fit of it would start there too.
        self.model._initial_epoch = None
        history = getattr(self.model, "history", None)
        if self.restored and isinstance(history, keras.callbacks.History):
            # fit's History saw only the epochs after the restore: put the earlier ones first.
            for key, values in self.history.items():
                history.history[key] = values[:self.restored] + history.history.get(key, [])
            history.epoch = list(range(self.restored)) + history.epoch
        self._delete()

    def _delete(self) -> None:
        """Remove this fit's checkpoint (state.json first: without it the rest is never read),
        and anything a save cut short left: arrays files, temporary files."""
        (self.folder / _STATE_FILE).unlink(missing_ok=True)
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.name.startswith(("arrays-", ".")) and path.is_file():
                    path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # kept while it holds anything else (loop.json)
                self.folder.rmdir()


class Progress(keras.callbacks.Callback):
    """A line on stderr every PROGRESS_SECONDS while `fit` runs (for fits with verbose=0):
    `label: epoch 120/400, loss 0.01234 (5 s)`. `epoch_size`: the recipe's epochs in one of
    fit's (a recipe that runs many passes over tiny data in one fit epoch)."""

    def __init__(self, label: str, epoch_size: int = 1):
        super().__init__()
        self.label, self.epoch_size = label, epoch_size

    def on_train_begin(self, logs=None):
        self.start = self.last = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            loss = (logs or {}).get("loss")
            done, total = (epoch + 1) * self.epoch_size, self.params["epochs"] * self.epoch_size
            log(f"{self.label}: epoch {done}/{total}" + (f", loss {loss:.5f}" if loss is not None else "")
                + f" ({now - self.start:.0f} s)")


def loop_state(out, settings: dict) -> dict:
    """The recipe's own loop state saved by `save_loop_state` before an interruption (e.g. which
    restart it was on), or {} to start from the beginning.

    `settings` (epochs, seed, ...: JSON) say which run the checkpoint belongs to. A checkpoint of
    a run with other settings, an unreadable one, or a fit's checkpoint with no loop state beside
    it (it could be any restart's) is discarded, whole, with a warning on stderr.
    """
    from zoo import io

    folder = checkpoint_dir(out)
    if not folder.is_dir() or not any(_CHECKPOINT_FILE.fullmatch(path.name) for path in folder.iterdir()):
        return {}  # nothing of the zoo's there (no folder, an empty one, or a user's own)
    try:
        saved = io.read_json(folder / _LOOP_FILE)
        if saved["settings"] != json.loads(json.dumps(settings)):
            raise ValueError(f"it belongs to a run with {saved['settings']}, not {settings}")
        if not isinstance(saved["state"], dict):
            raise ValueError("its loop state is not a JSON object")
        return saved["state"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        _warn(f"discarding the checkpoint in {folder}, which cannot be used ({error}); "
              "training starts from the beginning.")
        clear_checkpoint(out)
        return {}


def save_loop_state(out, settings: dict, state: dict) -> None:
    """Record the recipe's own loop state (JSON) next to the fit's checkpoint, atomically; call it
    before each fit of a loop of fits, so that an interrupted run resumes in the right one."""
    from zoo import io

    folder = checkpoint_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        io.write_json(folder / _LOOP_FILE, {"settings": settings, "state": state})
    except OSError:
        _remove_if_empty(folder)  # a full disk leaves no empty checkpoint folder behind
        raise


def _remove_if_empty(folder: Path) -> None:
    """Remove a checkpoint folder that holds nothing, and the shared parent of a multi-process
    run's folders once it is empty too."""
    for path in (folder, folder.parent) if folder.parent.name.endswith(".checkpoint") else (folder,):
        with contextlib.suppress(OSError):  # not empty, or already gone
            path.rmdir()


# The files a checkpoint folder holds, every one written by the zoo (and io.atomic_path's
# temporary names for them). clear_checkpoint removes these and nothing else: a folder named
# `.NAME.checkpoint` may be a user's own, and its name alone does not make it the zoo's.
_CHECKPOINT_FILE = re.compile(r"(state\.json|loop\.json|arrays-\d+\.npz)|\.(state\.json|loop\.json|arrays-\d+\.npz)\.\w{8}\.tmp")


def clear_checkpoint(out) -> None:
    """Remove a run's checkpoint: the files the zoo wrote, then the folder if that emptied it (and
    the shared parent of a multi-process run's folders, when the last process finishes)."""
    folder = checkpoint_dir(out)
    if folder.is_dir() and not folder.is_symlink():
        for path in folder.iterdir():
            if _CHECKPOINT_FILE.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
    _remove_if_empty(folder)


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


def plot_history(history: dict, title: str, metrics=("loss",), epoch_size: int = 1):
    """The training curve: one panel per metric, training and validation together.
    `epoch_size`: the recipe's epochs in one entry of the history (see Progress)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            if key in history:
                values = history[key]
                ax.plot(range(epoch_size, epoch_size * len(values) + 1, epoch_size), values, style,
                        label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
