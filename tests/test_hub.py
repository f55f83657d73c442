"""Publishing to and loading from the Hugging Face Hub, against a local fake Hub.

tests/hub_server.py serves the part of the Hub's HTTP API that huggingface_hub uses, on
127.0.0.1 with a random port; the real huggingface_hub client talks to it through HF_ENDPOINT,
with its cache in a temporary HF_HOME. Nothing here contacts any other address.
"""

import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo import io, registry
from hub_server import FakeHub

ALICE, BOB = "hf_alice_token", "hf_bob_token"
GRID = np.stack(np.meshgrid(np.linspace(-0.5, 1.5, 11), np.linspace(-0.5, 1.5, 11)), -1).reshape(-1, 2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two versions of mlp-xor trained by its recipe in smoke mode (different seeds): what a
    user would have after `zoo train` / fine-tuning, before publishing."""
    root = tmp_path_factory.mktemp("trained")
    v1 = zoo.train("mlp-xor", out=root / "xor-v1", smoke=True, seed=1)
    v2 = zoo.train("mlp-xor", out=root / "xor-v2", smoke=True, seed=2)
    return v1, v2


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A fresh fake Hub, with huggingface_hub pointed at it and its cache in tmp_path.

    huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE once, at import (and
    conftest.py sets HF_HUB_OFFLINE=1 for every test), so its constants are patched as well
    as the environment; zoo.hub reads the environment at each call.
    """
    from huggingface_hub import constants

    fake = FakeHub(tokens={ALICE: "alice", BOB: "bob"}).start()
    home = tmp_path / "hf-home"
    for name in ("HF_HUB_CACHE", "HF_OIDC_RESOURCE", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_TOKEN", ALICE)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", fake.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", fake.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(home / "agent_harnesses.json"))
    # A guard: any attempt to look up a host other than the loopback fails, and fails the test.
    elsewhere = []
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            elsewhere.append(host)
            raise socket.gaierror(f"test_hub: refusing to contact {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    yield fake
    fake.stop()
    assert not elsewhere, f"tried to contact {elsewhere}"


def go_offline(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def snapshots(tmp_path, repo_id):
    folder = tmp_path / "hf-home" / "hub" / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# ----------------------------------------------------------------------------- round trip


def test_publish_then_load_gives_the_same_model_and_card(server, trained, tmp_path):
    v1, _ = trained
    url = zoo.publish(v1, repo_id="alice/xor-mine")
    head = server.resolve("alice/xor-mine")
    assert url == f"{server.url}/alice/xor-mine/commit/{head}"

    # The repository holds exactly the artifact's files, byte for byte.
    config = io.read_json(v1 / "zoo.json")
    for relative in [*config["files"], "zoo.json"]:
        assert server.file("alice/xor-mine", relative) == (v1 / relative).read_bytes(), relative

    local = zoo.load(v1)
    remote = zoo.load("hf://alice/xor-mine")
    np.testing.assert_array_equal(remote.predict(GRID), local.predict(GRID))
    assert remote.card == local.card and remote.card.startswith("---\nlibrary_name: keras\n")
    assert remote.config == local.config
    assert Path(remote.folder).is_relative_to(tmp_path / "hf-home" / "hub")  # HF_HOME honoured
    assert snapshots(tmp_path, "alice/xor-mine") == [head]


def test_pinned_revision_keeps_the_old_weights_after_a_second_publish(server, trained):
    v1, v2 = trained
    first = zoo.publish(v1, repo_id="alice/xor").rsplit("/", 1)[-1]
    second = zoo.publish(v2, repo_id="alice/xor", commit_message="retrained").rsplit("/", 1)[-1]
    assert first != second
    old, new = zoo.load(v1).predict(GRID), zoo.load(v2).predict(GRID)
    assert not np.allclose(old, new)  # the two versions really differ

    np.testing.assert_array_equal(zoo.load(f"hf://alice/xor@{first}").predict(GRID), old)
    np.testing.assert_array_equal(zoo.load(f"hf://alice/xor@{first[:10]}").predict(GRID), old)
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), new)
    np.testing.assert_array_equal(zoo.load("hf://alice/xor@main").predict(GRID), new)


def test_publish_to_a_branch(server, trained):
    v1, v2 = trained
    zoo.publish(v1, repo_id="alice/xor")
    zoo.publish(v2, repo_id="alice/xor", revision="experiment")
    np.testing.assert_array_equal(zoo.load("hf://alice/xor@experiment").predict(GRID), zoo.load(v2).predict(GRID))
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), zoo.load(v1).predict(GRID))
    with pytest.raises(zoo.ZooError, match="no such revision"):
        zoo.load("hf://alice/xor@no-such-branch")


def test_republishing_removes_files_the_artifact_no_longer_has(server, trained, tmp_path):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    slim = tmp_path / "slim"
    shutil.copytree(v1, slim)
    (slim / "training_curve.png").unlink()
    config = io.read_json(slim / "zoo.json")
    del config["files"]["training_curve.png"]
    io.write_json(slim / "zoo.json", config)
    zoo.publish(slim, repo_id="alice/xor")
    with pytest.raises(KeyError):
        server.file("alice/xor", "training_curve.png")
    assert zoo.load("hf://alice/xor").config["files"] == config["files"]


# ----------------------------------------------------------------------------- cache and offline


def test_second_load_comes_from_the_cache_offline(server, trained, monkeypatch):
    v1, _ = trained
    commit = zoo.publish(v1, repo_id="alice/xor").rsplit("/", 1)[-1]
    expected = zoo.load("hf://alice/xor").predict(GRID)

    # A pinned commit that is cached needs no request at all, even online.
    zoo.load(f"hf://alice/xor@{commit}")
    before = len(server.paths_requested())
    zoo.load(f"hf://alice/xor@{commit}")
    assert len(server.paths_requested()) == before

    server.stop()
    # Server gone and HF_HUB_OFFLINE=1: both the branch and the commit come from the cache.
    go_offline(monkeypatch)
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), expected)
    np.testing.assert_array_equal(zoo.load(f"hf://alice/xor@{commit}").predict(GRID), expected)
    with pytest.raises(zoo.ZooError, match="not in the cache.*HF_HUB_OFFLINE"):
        zoo.load("hf://alice/never-downloaded")


def test_server_down_without_offline_mode_falls_back_to_the_cache(server, trained):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    expected = zoo.load("hf://alice/xor").predict(GRID)
    server.stop()
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), expected)
    with pytest.raises(zoo.ZooError, match="not in the cache.*cannot be reached"):
        zoo.load("hf://alice/other")


# ----------------------------------------------------------------------------- integrity


def test_a_hub_load_hashes_every_file_once(server, trained, monkeypatch):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    real, hashed = io.sha256_file, []
    monkeypatch.setattr(io, "sha256_file", lambda path, *args: hashed.append(str(path)) or real(path, *args))
    zoo.load("hf://alice/xor")
    listed = io.read_json(v1 / "zoo.json")["files"]
    assert len(hashed) == len(set(hashed)) == len(listed), hashed  # each listed file, once


def test_corrupted_file_on_the_server_is_caught_and_not_cached(server, trained, tmp_path, monkeypatch):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    repair = server.corrupt("alice/xor", "model.weights.h5")
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5 does not match its sha256"):
        zoo.load("hf://alice/xor")
    # Nothing a later load would trust: no snapshot, and no blob holding the bad bytes.
    assert snapshots(tmp_path, "alice/xor") == []
    blobs = tmp_path / "hf-home" / "hub" / "models--alice--xor" / "blobs"
    bad = server.file("alice/xor", "model.weights.h5")
    assert all(p.read_bytes() != bad for p in blobs.iterdir())
    # Asked again, it downloads again and is caught again.
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5"):
        zoo.load("hf://alice/xor")
    # Once the server serves the right bytes, the same revision loads.
    repair()
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), zoo.load(v1).predict(GRID))


def test_corrupted_file_leaves_nothing_for_an_offline_load(server, trained, monkeypatch):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    server.corrupt("alice/xor", "zoo.json")  # its bytes, not the list: no longer valid JSON or hashes
    with pytest.raises(zoo.IntegrityError, match="zoo.json"):
        zoo.load("hf://alice/xor")
    go_offline(monkeypatch)
    with pytest.raises(zoo.ZooError, match="not in the cache"):
        zoo.load("hf://alice/xor")


def test_download_that_breaks_halfway_is_not_trusted(server, trained, monkeypatch):
    v1, _ = trained
    zoo.publish(v1, repo_id="alice/xor")
    server.broken["model.weights.h5"] = 100  # every download of it stops after 100 bytes
    with pytest.raises(zoo.ZooError, match="network failure"):
        zoo.load("hf://alice/xor")
    go_offline(monkeypatch)
    with pytest.raises(zoo.ZooError, match="incomplete"):
        zoo.load("hf://alice/xor")
    # Back online with a working connection, the download completes and verifies.
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    del server.broken["model.weights.h5"]
    np.testing.assert_array_equal(zoo.load("hf://alice/xor").predict(GRID), zoo.load(v1).predict(GRID))


def test_repository_that_is_not_an_artifact_is_refused(server, tmp_path):
    from huggingface_hub import HfApi

    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00" * 64)
    api = HfApi(endpoint=server.url, token=ALICE)
    api.create_repo("alice/plain")
    api.upload_folder(folder_path=folder, repo_id="alice/plain")
    with pytest.raises(zoo.IntegrityError, match="zoo.json is missing"):
        zoo.load("hf://alice/plain")


def test_unknown_architecture_on_the_hub_is_refused(server, trained, tmp_path):
    from huggingface_hub import HfApi

    v1, _ = trained
    odd = tmp_path / "odd"
    shutil.copytree(v1, odd)
    config = io.read_json(odd / "zoo.json")
    config["architecture"] = "not-in-the-registry"
    io.write_json(odd / "zoo.json", config)  # config.json hashes itself nowhere: still verifies
    HfApi(endpoint=server.url, token=ALICE).create_repo("alice/odd")
    HfApi(endpoint=server.url, token=ALICE).upload_folder(folder_path=odd, repo_id="alice/odd")
    with pytest.raises(zoo.UnknownNameError, match="architecture"):
        zoo.load("hf://alice/odd")


# ----------------------------------------------------------------------------- publishing errors


def test_no_token_is_a_clear_error_and_nothing_is_sent(server, trained, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(zoo.ZooError, match="no Hugging Face token.*HF_TOKEN"):
        zoo.publish(trained[0], repo_id="alice/xor")
    assert server.paths_requested() == []


def test_rejected_token(server, trained, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_revoked")
    with pytest.raises(zoo.ZooError, match="rejected your token"):
        zoo.publish(trained[0], repo_id="alice/xor")
    assert "alice/xor" not in server.repos


def test_repository_owned_by_someone_else(server, trained):
    v1, v2 = trained
    zoo.publish(v1, repo_id="alice/xor")
    head = server.resolve("alice/xor")
    with pytest.raises(zoo.ZooError, match=r"may not publish to alice/xor as bob \(403"):
        zoo.publish(v2, repo_id="alice/xor", token=BOB)
    assert server.resolve("alice/xor") == head  # unchanged
    with pytest.raises(zoo.ZooError, match="403"):
        zoo.publish(v2, repo_id="carol/xor", token=BOB)
    assert "carol/xor" not in server.repos


def test_private_repository_is_visible_to_its_owner_only(server, trained, monkeypatch):
    zoo.publish(trained[0], repo_id="alice/secret", private=True)
    assert server.repos["alice/secret"].private
    monkeypatch.setenv("HF_TOKEN", BOB)
    with pytest.raises(zoo.ZooError, match="no repository alice/secret.*HF_TOKEN"):
        zoo.load("hf://alice/secret")
    monkeypatch.setenv("HF_TOKEN", ALICE)
    assert zoo.load("hf://alice/secret").name == "mlp-xor"


def test_network_failure_is_a_clear_error(server, trained):
    server.stop()
    with pytest.raises(zoo.ZooError, match="network failure talking to the Hub"):
        zoo.publish(trained[0], repo_id="alice/xor")


def test_corrupted_artifact_is_refused_before_anything_is_sent(server, trained, tmp_path):
    folder = tmp_path / "xor"
    shutil.copytree(trained[0], folder)
    with open(folder / "model.weights.h5", "r+b") as f:
        f.seek(200)
        f.write(b"tampered")
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5"):
        zoo.publish(folder, repo_id="alice/xor")
    assert server.paths_requested() == []


@pytest.mark.parametrize("card, message", [
    ("# xor\n\nno front matter\n", "no YAML front matter"),
    ("---\nlibrary_name: keras\ntags: [a\n---\n# xor\n", "not valid YAML"),
    ("---\nlibrary_name: keras\ntags:\n- keras\n---\n# xor\n", "lacks license"),
    ("---\nlibrary_name: pytorch\nlicense: mit\ntags:\n- x\n---\n# xor\n", "library_name: pytorch"),
])
def test_invalid_card_is_refused_before_anything_is_sent(server, trained, tmp_path, card, message):
    folder = tmp_path / "xor"
    shutil.copytree(trained[0], folder)
    (folder / "README.md").write_text(card)
    config = io.read_json(folder / "zoo.json")
    config["files"]["README.md"] = io.sha256_file(folder / "README.md")  # hashes fine, card not
    io.write_json(folder / "zoo.json", config)
    with pytest.raises(zoo.ZooError, match=message):
        zoo.publish(folder, repo_id="alice/xor")
    assert server.paths_requested() == []


@pytest.mark.parametrize("text", ["hf://", "hf://noslash", "hf://a/b/c", "hf://a/b@", "hf://../x"])
def test_malformed_hub_addresses(text):
    with pytest.raises(zoo.InvalidInputError):
        zoo.load(text)


@pytest.mark.parametrize("text", [
    "hf://foo/bar--baz", "hf://foo/bar..baz", "hf://-foo/bar", "hf://foo/bar.git", "hf://foo/-bar",
    "hf://foo/bar@../x", "hf://foo/bar@refs/../../x", "hf://foo/bar@../../../../etc", "hf://foo/bar@my branch",
    "hf://foo/bar@/main", "hf://foo/bar@main/", "hf://foo/bar@a//b", "hf://foo/bar@.hidden",
    "hf://foo/bar@x.lock", "hf://foo/bar@a\\b", "hf://foo/bar@main\n", "hf://foo/bar@@main", "hf://foo/bar@x:y",
])
def test_odd_hub_names_are_refused_in_one_line_before_anything_is_sent(server, tmp_path, text):
    """A name huggingface_hub would refuse (or turn into a path outside refs/ in the cache) is the
    zoo's one-line error, before any request and before anything is written."""
    with pytest.raises(zoo.InvalidInputError) as error:
        zoo.load(text)
    message = str(error.value)
    assert message.strip() and "\n" not in message.strip()
    assert server.paths_requested() == []
    assert not (tmp_path / "hf-home").exists()


@pytest.mark.parametrize("repo_id", ["foo/bar--baz", "foo/bar..baz", "-foo/bar", "foo/bar.git"])
def test_odd_repository_names_are_refused_before_publishing(server, repo_id):
    with pytest.raises(zoo.InvalidInputError) as error:
        zoo.publish("mlp-xor", repo_id=repo_id)
    assert "\n" not in str(error.value).strip()
    assert server.paths_requested() == []


# ----------------------------------------------------------------------------- registry sources and CLI


@pytest.fixture
def hub_only_registry(server, trained, tmp_path, monkeypatch):
    """A registry holding 'xor-hub', an artifact not shipped in the package whose source is a
    pinned Hub revision, with the registry's own sha256 list (config.json included)."""
    v1, _ = trained
    commit = zoo.publish(v1, repo_id="alice/xor-hub").rsplit("/", 1)[-1]
    reg = registry.copy_registry()
    files = {**io.read_json(v1 / "zoo.json")["files"], "zoo.json": io.sha256_file(v1 / "zoo.json")}
    reg["artifacts"]["xor-hub"] = {**reg["artifacts"]["mlp-xor"], "files": files,
                                   "sources": [f"hf://alice/xor-hub@{commit}"]}
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(reg))
    monkeypatch.setattr(registry, "REGISTRY_PATH", path)
    return reg["artifacts"]["xor-hub"]


def test_registry_artifact_downloads_through_its_pinned_source(hub_only_registry, trained, server, cli,
                                                               monkeypatch):
    code, out, err = cli("download", "xor-hub")
    assert code == 0, err
    assert "verified" in out and hub_only_registry["sources"][0] in out
    # Later commits to the repository do not change what the registry's pinned source gives.
    zoo.publish(trained[1], repo_id="alice/xor-hub")
    server.stop()
    go_offline(monkeypatch)
    np.testing.assert_array_equal(zoo.load("xor-hub").predict(GRID), zoo.load(trained[0]).predict(GRID))


def test_registry_hashes_are_checked_too(hub_only_registry, tmp_path, monkeypatch):
    reg = json.loads(registry.REGISTRY_PATH.read_text())
    reg["artifacts"]["xor-hub"]["files"]["model.weights.h5"] = "0" * 64  # the registry expects other weights
    registry.REGISTRY_PATH.write_text(json.dumps(reg))
    with pytest.raises(zoo.IntegrityError, match="model.weights.h5 does not match"):
        zoo.load("xor-hub")
    assert snapshots(tmp_path, "alice/xor-hub") == []


def test_cli_publish_and_download(server, trained, cli, monkeypatch):
    code, out, err = cli("publish", str(trained[0]), "alice/xor-cli", "--message", "first")
    assert code == 0, err
    commit = server.resolve("alice/xor-cli")
    assert f"/alice/xor-cli/commit/{commit}" in out and f"zoo.load('hf://alice/xor-cli@{commit}')" in out
    assert server.repos["alice/xor-cli"].commits[commit]["message"] == "first"

    code, out, err = cli("download", f"hf://alice/xor-cli@{commit}")
    assert code == 0, err
    assert "verified" in out

    code, out, err = cli("download", "mlp-xor")
    # mlp-xor's registry source names the keras-zoo organisation, which this Hub does not hold
    assert code == 2 and "no repository keras-zoo/mlp-xor" in err
    assert len(err.strip().splitlines()) == 1

    monkeypatch.delenv("HF_TOKEN")
    code, out, err = cli("publish", str(trained[0]), "alice/xor-cli")
    assert code == 2 and err.startswith("zoo: error: no Hugging Face token")
    assert len(err.strip().splitlines()) == 1


def test_a_fine_tuned_artifact_publishes_and_loads_back_with_its_lineage(server, tmp_path):
    """Fine-tune (mlp-xor learns x1 AND NOT x2, which it can from its own weights: quick),
    publish, load back from the Hub, fine-tune that again: the second one names the Hub
    repository as its base_model, as the Hub's convention asks."""
    from huggingface_hub import ModelCard

    table = tmp_path / "gate.csv"
    table.write_text("x1,x2,y\n0,0,0\n0,1,0\n1,0,1\n1,1,0\n", encoding="utf-8")
    tuned = zoo.finetune("mlp-xor", table=table, out=tmp_path / "nand")
    zoo.publish(tuned, repo_id="alice/nand")
    loaded = zoo.load("hf://alice/nand")
    assert loaded.config["base_model"]["name"] == "mlp-xor"
    assert loaded.config["finetuned_on"][0]["sha256"] == io.sha256_file(table)
    # mlp-xor is a zoo name, not a Hub id: the card's text names it, the front matter does not
    assert "base_model" not in ModelCard(loaded.card).data.to_dict() and "**mlp-xor**" in loaded.card
    np.testing.assert_array_equal(loaded.classify([[0, 0], [0, 1], [1, 0], [1, 1]]), [0, 0, 1, 0])
    again = zoo.finetune("hf://alice/nand", table=table, out=tmp_path / "nand-again")
    config = zoo.info(str(again))
    assert config["base_model"]["hub_repo"] == "alice/nand"
    assert config["lineage"].startswith("nand-again <- nand <- mlp-xor")
    card = ModelCard((again / "README.md").read_text(encoding="utf-8")).data
    assert (card.base_model, card.base_model_relation) == ("alice/nand", "finetune")
    assert all(row["ok"] for row in zoo.evaluate(again).values())
