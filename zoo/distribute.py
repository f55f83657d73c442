"""Data-parallel training with the distribution engines Keras and TensorFlow already provide.

One host, several devices (`zoo train NAME --devices N`):
  - TensorFlow backend: tf.distribute.MirroredStrategy over the first N devices (GPUs, else
    logical CPU devices); the recipe runs inside its scope, so the model's variables are
    mirrored and `fit` splits each global batch across the replicas.
  - JAX backend: keras.distribution.DataParallel over the first N local devices.

Several hosts (JAX backend only: Keras 3's `fit` does not support TensorFlow's
MultiWorkerMirroredStrategy, keras-team/keras#20585): every process sets
    KERAS_DISTRIBUTION_JOB_ADDRESSES=host0:port   (the coordinator, process 0)
    KERAS_DISTRIBUTION_NUM_PROCESSES=P
    KERAS_DISTRIBUTION_PROCESS_ID=0..P-1
and runs the same `zoo train NAME`. keras.distribution.initialize connects them
(jax.distributed); DataParallel spans every device of every process; each process feeds its
own shard of each global batch (`local_shard`, auto_shard_dataset=False); only the coordinator
writes the artifact.

A recipe written with plain numpy arrays needs nothing for one host. For several hosts it passes
its training arrays through `local_shard` and its batch size through `local_batch_size`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

from zoo.errors import InvalidInputError, ZooError

ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
ENV_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
# ZOO_DISTRIBUTED_TIMEOUT: seconds to wait for every process to join (default 300).

_state = {"processes": 1, "process_id": 0}


def _backend() -> str:
    import keras

    return keras.backend.backend()


def multi_host_settings() -> tuple[str, int, int] | None:
    """The (coordinator address, process count, process id) from the environment, checked."""
    address = os.environ.get(ENV_ADDRESSES)
    if not address and not os.environ.get(ENV_PROCESSES):
        return None
    address = (address or "").split(",")[0].strip()
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}", address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise InvalidInputError(
            f"{ENV_ADDRESSES}={os.environ.get(ENV_ADDRESSES)!r} is not a coordinator address; give "
            "host:port of process 0, e.g. 10.0.0.1:1234.")
    try:
        processes = int(os.environ.get(ENV_PROCESSES, ""))
        process_id = int(os.environ.get(ENV_PROCESS_ID, ""))
    except ValueError:
        raise InvalidInputError(f"set {ENV_PROCESSES} and {ENV_PROCESS_ID} to whole numbers "
                                f"(the process count, and this process's id from 0).") from None
    if processes < 1 or not 0 <= process_id < processes:
        raise InvalidInputError(f"{ENV_PROCESS_ID} must be in 0..{processes - 1} and "
                                f"{ENV_PROCESSES} at least 1; got {process_id} of {processes}.")
    return address, processes, process_id


def is_coordinator() -> bool:
    """True in a single-process run and in process 0 of a multi-process one."""
    return _state["process_id"] == 0


def process_count() -> int:
    return _state["processes"]


def local_shard(array):
    """This process's share of a training array (every process takes every P-th example)."""
    if _state["processes"] == 1:
        return array
    return array[_state["process_id"]::_state["processes"]]


def report_weights(model) -> str:
    """Log (and return) the sha256 of this process's weights, e.g. to check replicas agree."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    with local_only():
        for weight in model.get_weights():
            digest.update(np.ascontiguousarray(weight).tobytes())
    sys.stderr.write(f"process {_state['process_id']} of {_state['processes']}: weights sha256 {digest.hexdigest()}\n")
    sys.stderr.flush()
    return digest.hexdigest()


def local_batch_size(global_batch_size: int) -> int:
    processes = _state["processes"]
    if global_batch_size % processes:
        raise InvalidInputError(f"the batch size {global_batch_size} does not split evenly over {processes} processes.")
    return global_batch_size // processes


@contextlib.contextmanager
def local_only():
    """Suspend the data-parallel distribution for work one process does alone (saving the
    artifact): Keras creates a few variables while saving, and under a multi-process
    distribution creating a variable is a collective step the other processes would never join."""
    import keras

    if _backend() != "jax" or keras.distribution.distribution() is None:
        yield
        return
    with _keras_distribution(None):
        yield


@contextlib.contextmanager
def _keras_distribution(distribution):
    """Set Keras's global distribution (None: none) for the block, then put back the previous one."""
    import keras

    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


def _give_up_joining(address, processes, process_id, timeout) -> None:
    sys.stderr.write(f"zoo: error: could not join the training cluster at {address} as process "
                     f"{process_id} of {processes}: not every process joined within {timeout} s. "
                     "Start all processes with the same address and process count (or raise "
                     "ZOO_DISTRIBUTED_TIMEOUT).\n")
    sys.stderr.flush()
    os._exit(2)  # nothing was written yet: artifacts are written after training


def split_cpu(devices: int) -> None:
    """On a machine without accelerators, make `devices` logical CPU devices, so that
    data-parallel training can be tried (and tested) on a CPU. Must run before the backend
    starts; afterwards it does nothing."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
        except RuntimeError:
            pass  # already started: _tensorflow_strategy explains if there are too few
    elif backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()


def _tensorflow_strategy(devices: int):
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    pool = gpus if gpus else tf.config.list_logical_devices("CPU")
    if devices > len(pool):
        kind = "GPU" if gpus else "CPU"
        raise InvalidInputError(
            f"--devices {devices} asks for more devices than TensorFlow sees ({len(pool)} {kind}). "
            "On a CPU, split it into logical devices first "
            "(tf.config.set_logical_device_configuration), or ask for fewer.")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in pool[:devices]])


@contextlib.contextmanager
def data_parallel(devices: int | None = None):
    """Run the block (a recipe) data-parallel over `devices` local devices, and over every process
    when the multi-host environment variables are set. devices=None or 1 on one host: no change."""
    import keras

    settings = multi_host_settings()
    if devices is not None and devices < 1:
        raise InvalidInputError(f"--devices must be at least 1, got {devices}.")
    if settings is None and (devices is None or devices == 1):
        yield
        return
    backend = _backend()
    if settings is None and devices > 1:
        split_cpu(devices)
    if settings is not None:
        if backend != "jax":
            raise InvalidInputError("training on several hosts needs the JAX backend (KERAS_BACKEND=jax): "
                                    "Keras 3 does not support TensorFlow's multi-worker strategy in fit.")
        address, processes, process_id = settings
        import jax

        # CPU devices of different processes exchange gradients through gloo (JAX's default
        # CPU collectives stay inside one process); GPUs use their own (NCCL) regardless.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        timeout = int(os.environ.get("ZOO_DISTRIBUTED_TIMEOUT", "300"))
        # What keras.distribution.initialize does on JAX, plus a bound on the wait for the other
        # processes. JAX aborts the whole process (SIGABRT, a C++ stack dump) when its own
        # timeout passes, so a watchdog that fires first turns a missing peer into a clear
        # one-line error. (Recipes seed every process alike with training.set_seed.)
        watchdog = threading.Timer(timeout, _give_up_joining, (address, processes, process_id, timeout))
        watchdog.daemon = True
        watchdog.start()
        try:
            jax.distributed.initialize(coordinator_address=address, num_processes=processes,
                                       process_id=process_id, initialization_timeout=timeout + 60)
        except Exception as error:  # jax reports connection failures as RuntimeError/XlaRuntimeError
            raise ZooError(f"could not join the training cluster at {address} as process "
                           f"{process_id} of {processes}: {str(error).splitlines()[0][:300]}") from None
        finally:
            watchdog.cancel()
        _state.update(processes=processes, process_id=process_id)
    if backend == "tensorflow":
        with _tensorflow_strategy(devices).scope():
            yield
        return
    if backend != "jax":
        raise InvalidInputError(f"data-parallel training supports the tensorflow and jax backends, not {backend}.")
    all_devices = keras.distribution.list_devices()
    local = len(all_devices) // _state["processes"]
    if devices is not None and settings is None and devices > local:
        raise InvalidInputError(
            f"--devices {devices} asks for more devices than JAX sees ({local}). On a CPU, "
            "XLA_FLAGS=--xla_force_host_platform_device_count=N makes N devices.")
    chosen = all_devices if settings is not None else all_devices[: devices or 1]
    distribution = keras.distribution.DataParallel(devices=chosen, auto_shard_dataset=settings is None)
    with _keras_distribution(distribution):
        yield
