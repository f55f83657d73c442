"""Data-parallel training on several logical CPU devices and two local processes, against the
single-device run with the same global batch."""

import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import distribute

TOLERANCE = 1e-5  # float32 sums in a different order (per-replica gradients, then all-reduce)


def run_zoo(args, env_extra, timeout=240):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "zoo.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def kernels(folder):
    return np.stack(list(zoo.load(folder).kernels().values()))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_match_one_device(backend, tmp_path):
    common = ["train", "cnn-filters-learned", "--smoke", "--epochs", "3"]
    env = {"KERAS_BACKEND": backend}
    one = run_zoo(common + ["--out", str(tmp_path / "one")], env)
    two = run_zoo(common + ["--devices", "2", "--out", str(tmp_path / "two")], env)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    # the data-parallel run's artifact loads here, under the default (TensorFlow) backend
    np.testing.assert_allclose(kernels(tmp_path / "two"), kernels(tmp_path / "one"), atol=TOLERANCE)
    assert not np.allclose(kernels(tmp_path / "one"), 0)


def test_tensorflow_uses_two_replicas(tmp_path):
    code = ("import zoo; from zoo import distribute; import tensorflow as tf\n"
            "with distribute.data_parallel(2):\n"
            "    print(tf.distribute.get_strategy().num_replicas_in_sync)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert result.stdout.strip() == "2", result.stderr[-2000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_env(port, processes, process_id):
    return {"KERAS_BACKEND": "jax", "ZOO_DISTRIBUTED_TIMEOUT": "60",
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(processes),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(process_id)}


def test_two_processes_train_together(tmp_path):
    port = free_port()
    args = ["train", "cnn-filters-learned", "--smoke", "--epochs", "2", "--out", str(tmp_path / "cluster")]
    procs = [subprocess.Popen([sys.executable, "-m", "zoo.cli", *args], env={**os.environ, **cluster_env(port, 2, i)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    try:
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    assert "artifact written" in outputs[0][0] and "artifact written" not in outputs[1][0]  # only process 0 writes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cluster"]  # one artifact, no debris
    digests = [re.findall(rf"process {i} of 2: weights sha256 ([0-9a-f]{{64}})", err) for i, (_, err) in enumerate(outputs)]
    assert digests[0] and digests[0] == digests[1]  # both processes end with the same weights
    art = zoo.load(tmp_path / "cluster")  # written under JAX, loaded here under TensorFlow
    assert art.metrics["max_abs_kernel_error"] > 0


def test_missing_peer_is_a_clear_error_not_a_hang(tmp_path):
    env = {**cluster_env(free_port(), 2, 0), "ZOO_DISTRIBUTED_TIMEOUT": "5"}
    result = run_zoo(["train", "mlp-xor", "--smoke", "--out", str(tmp_path / "x")], env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("zoo: error: could not join the training cluster"), result.stderr[-2000:]
    assert not (tmp_path / "x").exists()


def test_bad_settings_are_clear_errors(monkeypatch, cli, tmp_path):
    import tensorflow as tf

    tf.config.list_logical_devices()  # the runtime is started: no more logical devices can be made
    code, _, err = cli("train", "mlp-xor", "--smoke", "--devices", "64", "--out", str(tmp_path / "a"))
    assert code == 2 and "more devices" in err
    code, _, err = cli("train", "mlp-xor", "--smoke", "--devices", "0", "--out", str(tmp_path / "b"))
    assert code == 2 and "at least 1" in err
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "not an address")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
    code, _, err = cli("train", "mlp-xor", "--smoke", "--out", str(tmp_path / "c"))
    assert code == 2 and "host:port" in err
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "127.0.0.1:1234")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "5")
    with pytest.raises(zoo.InvalidInputError, match="0..1"):
        distribute.multi_host_settings()
    assert not any(tmp_path.iterdir())
