"""`zoo serve` against hostile clients, folders and web pages (issue 25), on a real uvicorn over
loopback: work whose client hangs up is cancelled and the queue is bounded (503 + Retry-After);
a foreign Host header or a cross-site form gets nothing; hostile bodies, images and cards get a
one-line JSON error; a folder's links, pipes and name do not reach the page."""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import socket
import time
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi", reason="zoo serve needs the serve extra: pip install 'keras-zoo[serve]'")

from tests.big_images import one_colour_png  # noqa: E402
from tests.serving import request, serving  # noqa: E402
from zoo import registry, serve  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

TEXT = "/models/charrnn-shakespeare"
SERVED = ["charrnn-shakespeare", "mlp-xor", "cnn-filters-classic"]
MAX_BATCH, MAX_WAITING = 2, 2  # small bounds, so that a handful of requests fills them


@pytest.fixture(scope="module")
def app():
    return serve.create_app(SERVED, max_batch=MAX_BATCH, max_waiting=MAX_WAITING)


@pytest.fixture(scope="module")
def server(app):
    with serving(app) as url:
        yield url


def wait_until(condition, seconds=20, what="the condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.02)


def send_and_keep_waiting(url: str, path: str, body: dict) -> socket.socket:
    """A client that sends a request and does not read the answer: close the socket to hang up."""
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    return sock


def copy_artifact(name: str, folder) -> None:
    shutil.copytree(registry.installed_folder(name) or registry.packaged_folder(name), folder)


# ----------------------------------------------------------------------------- work nobody waits for


def test_hung_up_requests_are_cancelled_and_the_queue_is_bounded(app, server, monkeypatch):
    item = app.state.served["charrnn-shakespeare"]
    art = item.art  # loads the model and starts its batcher, before any request waits on it
    step = art.advance_many
    # 5 ms a step: a 1000-token request takes 5 s, so the requests are surely still going when
    # their clients hang up, on any machine.
    monkeypatch.setattr(art, "advance_many", lambda states, tokens: (time.sleep(0.005), step(states, tokens))[1])

    def batching():
        return request(f"{server}/health")[1]["batching"]["charrnn-shakespeare"]

    made_before = batching()["tokens"]
    long = {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 1000}}
    clients = [send_and_keep_waiting(server, TEXT, long) for _ in range(MAX_BATCH + MAX_WAITING - 1)]
    clients.append(send_and_keep_waiting(server, TEXT, {**long, "stream": True}))
    wait_until(lambda: batching()["in_flight"] == MAX_BATCH + MAX_WAITING, what="4 requests in flight")

    # Full: the next one is refused at once, and told when to come back.
    status, error, headers = request(f"{server}{TEXT}", {"inputs": "A", "parameters": {"max_new_tokens": 5}})
    assert status == 503 and "busy" in error["error"] and int(headers["Retry-After"]) >= 1, error
    health = request(f"{server}/health")[1]
    assert health["limits"]["generation"] == {"batch": MAX_BATCH, "waiting": MAX_WAITING, "per": "model"}

    for client in clients:  # every client hangs up: their requests are dropped, waiting or not
        client.close()
    wait_until(lambda: batching()["in_flight"] == 0, seconds=10, what="the hung-up requests leaving")
    stats = batching()
    assert stats["cancelled"] >= len(clients)
    assert stats["tokens"] - made_before < 2000, stats  # 4 x 1000 had they been generated for nobody

    started = time.monotonic()
    status, result, _ = request(f"{server}{TEXT}", {"inputs": "A", "parameters": {"max_new_tokens": 5}})
    assert status == 200 and len(result[0]["generated_text"]) >= 2
    assert time.monotonic() - started < 10


def test_the_batcher_drops_a_cancelled_job_at_once_and_refuses_past_its_capacity(app, monkeypatch):
    from zoo.batching import Batcher, BatcherFull

    art = app.state.served["charrnn-shakespeare"].art
    step = art.advance_many
    monkeypatch.setattr(art, "advance_many", lambda states, tokens: (time.sleep(0.005), step(states, tokens))[1])
    batcher = Batcher(art, max_batch=1, max_waiting=1)
    ended = {}

    def until_the_end(key):
        return lambda token, piece: ended.setdefault(key, piece) if token is None else None

    try:
        first = batcher.submit("A", 1000, emit=until_the_end("first"), seed=1)
        waiting = batcher.submit("A", 1000, emit=until_the_end("waiting"), seed=2)
        with pytest.raises(BatcherFull, match="busy") as refused:
            batcher.submit("A", 5, emit=until_the_end("refused"), seed=3)
        assert refused.value.retry_after >= 1 and "refused" not in ended
        batcher.cancel(waiting)  # leaves the line at once, and frees its place
        assert ended == {"waiting": None} and batcher.in_flight() == 1
        batcher.submit("A", 5, emit=until_the_end("last"), seed=4)
        batcher.cancel(first)
        wait_until(lambda: batcher.in_flight() == 0, seconds=10, what="the batcher emptying")
        assert set(ended) == {"first", "waiting", "last"}
        assert batcher.stats()["cancelled"] == 2 and batcher.stats()["refused"] == 1
        assert batcher.tokens < 500  # the cancelled 1000-token job stopped early
    finally:
        batcher.close()


def test_the_other_tasks_are_bounded_too():
    slots = serve.Slots(1)
    with slots.take():
        with pytest.raises(serve.ApiError) as refused, slots.take():
            pass
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}
    with slots.take():  # the place is free again
        assert slots.taken == 1


# ----------------------------------------------------------------------------- web pages


def test_a_foreign_host_and_cross_site_posts_get_nothing(server):
    port = urlsplit(server).port
    for path in ("/", "/models", "/health"):  # DNS rebinding: evil.example now resolves to 127.0.0.1
        status, error, _ = request(f"{server}{path}", headers={"Host": f"evil.example:{port}"})
        assert status == 400 and "--allowed-host evil.example" in error["error"], error
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert request(f"{server}/models", headers={"Host": host})[0] == 200

    # What a page elsewhere can POST without asking (text/plain, a form) is refused before any work.
    xor = b'{"inputs": [1, 0]}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        status, error, _ = request(f"{server}/models/mlp-xor", xor, headers={"Content-Type": content_type})
        assert status == 415 and "Content-Type: application/json" in error["error"], (content_type, error)
    status, error, _ = request(f"{server}/models/cnn-filters-classic", one_colour_png(8, 8),
                               headers={"Content-Type": "text/plain"})
    assert status == 415 and "image/png" in error["error"]
    status, rows, _ = request(f"{server}/models/mlp-xor", xor, headers={"Content-Type": "application/json; charset=utf-8"})
    assert status == 200 and rows[0]["label"] == "1"
    # And what a browser says of the page it comes from: another origin gets nothing.
    for origin in ("http://evil.example", "null", f"http://localhost:{port}"):
        status, error, _ = request(f"{server}/models/mlp-xor", xor, headers={"Origin": origin})
        assert status == 403 and "another origin" in error["error"], (origin, error)
    assert request(f"{server}/models/mlp-xor", xor, headers={"Origin": server})[0] == 200
    status, page, headers = request(f"{server}/", raw=True)
    assert status == 200 and "script-src 'self'" in headers["content-security-policy"]


@pytest.mark.parametrize("bound, allowed, header, answered", [
    ("127.0.0.1", (), "127.0.0.1:8000", True),
    ("127.0.0.1", (), "localhost:8000", True),
    ("127.0.0.1", (), "[::1]:8000", True),
    ("127.0.0.1", (), "LocalHost.", True),
    ("127.0.0.1", (), "evil.example:8000", False),
    ("127.0.0.1", (), "127.0.0.1.evil.example", False),
    ("127.0.0.1", (), "192.168.1.7:8000", False),
    ("127.0.0.1", ("zoo.lan",), "ZOO.lan:8000", True),
    ("0.0.0.0", (), "192.168.1.7:8000", True),   # bound everywhere: any address of the machine
    ("0.0.0.0", (), "[fe80::1]:8000", True),
    ("0.0.0.0", (), "mybox.local:8000", False),  # but a name only with --allowed-host
    ("192.168.1.7", (), "192.168.1.7", True),
    ("192.168.1.7", (), "10.0.0.1", False),
])
def test_the_hosts_a_server_answers_to(bound, allowed, header, answered):
    assert serve.Guard(None, host=bound, allowed_hosts=allowed).host_allowed(header) is answered


def test_allowed_host_on_the_command_line(monkeypatch):
    import uvicorn

    from zoo.cli import main

    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: apps.append(app))
    # (main itself, not the cli fixture: a server started under capsys would log into its closed stream)
    assert main(["serve", "mlp-xor", "--allowed-host", "zoo.lan", "--allowed-host", "zoo.example"]) == 0
    with serving(apps[0]) as url:
        port = urlsplit(url).port
        assert request(f"{url}/models", headers={"Host": f"zoo.lan:{port}"})[0] == 200
        assert request(f"{url}/models", headers={"Host": "zoo.example"})[0] == 200
        assert request(f"{url}/models", headers={"Host": f"evil.example:{port}"})[0] == 400


# ----------------------------------------------------------------------------- hostile bodies


def test_hostile_bodies_get_a_json_error_that_says_what_was_wrong(server):
    deep = b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    cases = [  # (path, body, content type, status, words the message holds)
        ("/models/mlp-xor", deep, "application/json", 400, "nested too deeply"),
        (TEXT, deep, "application/json", 400, "nested too deeply"),
        ("/models/mlp-xor", b'{"inputs": [[1, 0], [1]]}', "application/json", 422, "each a pair"),
        ("/models/mlp-xor", b'{"inputs": [1e308, 1e308]}', "application/json", 422, "finite numbers between"),
        ("/models/mlp-xor", b'{"inputs": [NaN, 1]}', "application/json", 422, "finite numbers between"),
        ("/models/cnn-filters-classic", one_colour_png(20000, 20000), "image/png", 413, "400 megapixels"),
        ("/models/cnn-filters-classic", one_colour_png(12000, 12000), "image/png", 413, "12000x12000 pixels"),
    ]
    for path, body, content_type, expected, words in cases:
        status, error, headers = request(f"{server}{path}", body, headers={"Content-Type": content_type})
        assert status == expected and headers["content-type"] == "application/json", (path, words, status, error)
        assert set(error) == {"error"} and words in error["error"] and "\n" not in error["error"], error
    assert request(f"{server}/models/mlp-xor", {"inputs": [1, 1]})[1][0]["label"] == "0"  # still serving


# ----------------------------------------------------------------------------- hostile folders


class Tags(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


HOSTILE_CARD = """# x

![decision regions](decision_regions.png)

<script>alert(3)</script>

<img src="x" onerror="alert(2)">

[a link](javascript:alert(4))
"""


def test_a_folders_links_pipes_big_or_broken_cards_and_its_name_stay_out_of_the_page(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the secret\n")
    folders = {name: tmp_path / "served" / name for name in ("links", "pipe", "big", "latin", 'x" onerror="alert(1)')}
    for folder in folders.values():
        copy_artifact("mlp-xor", folder)
    (folders["links"] / "README.md").unlink()
    (folders["links"] / "README.md").symlink_to(secret)  # README.md -> /etc/passwd, in the issue
    (folders["links"] / "decision_regions.png").unlink()
    (folders["links"] / "decision_regions.png").symlink_to(folders["big"] / "decision_regions.png")
    (folders["pipe"] / "README.md").unlink()
    os.mkfifo(folders["pipe"] / "README.md")  # opening it would wait for a writer, for ever
    (folders["big"] / "README.md").write_text("# big\n" + "x" * (2 * 1024 * 1024))
    (folders["latin"] / "README.md").write_bytes("# caf\xe9\n".encode("latin-1"))
    (folders['x" onerror="alert(1)'] / "README.md").write_text(HOSTILE_CARD)

    with serving(serve.create_app([str(f) for f in folders.values()])) as url:
        for name, status, words in [("links", 403, "is a link"), ("pipe", 403, "not a regular file"),
                                    ("big", 403, "over 1,048,576 bytes"), ("latin", 422, "not UTF-8")]:
            got, error, _ = request(f"{url}/models/{name}", timeout=20)
            assert got == status and words in error["error"] and "secret" not in error["error"], (name, error)
        got, error, _ = request(f"{url}/models/links/files/decision_regions.png", timeout=20)
        assert got == 403 and "is a link" in error["error"]

        name = 'x" onerror="alert(1)'
        status, models, _ = request(f"{url}/models")
        assert models[-1]["url"] == "/models/x%22%20onerror%3D%22alert%281%29"
        status, one, _ = request(url + models[-1]["url"])
        assert status == 200 and one["name"] == name
        tags = Tags(one["card_html"]).tags
        assert not [(tag, attrs) for tag, attrs in tags if tag == "script" or any(a.startswith("on") for a in attrs)]
        images = [attrs["src"] for tag, attrs in tags if tag == "img"]
        assert images == [models[-1]["url"] + "/files/decision_regions.png"]  # the raw <img> is text, not a tag
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in one["card_html"]
        assert not [attrs for tag, attrs in tags if attrs.get("href", "").startswith("javascript")]
        status, png, _ = request(url + images[0], raw=True)
        assert status == 200 and png.startswith(b"\x89PNG")


def test_two_folders_of_one_name_are_refused(tmp_path, cli, monkeypatch):
    import uvicorn

    copy_artifact("mlp-xor", tmp_path / "x" / "mlp-xor")
    copy_artifact("mlp-xor", tmp_path / "y" / "mlp-xor")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: pytest.fail("served two models under one name"))
    for sources in (["mlp-xor", str(tmp_path / "x" / "mlp-xor")],
                    [str(tmp_path / "x" / "mlp-xor"), str(tmp_path / "y" / "mlp-xor/")]):
        with pytest.raises(ZooError, match="would both be served as 'mlp-xor'"):
            serve.create_app(sources)
        code, _, err = cli("serve", *sources)
        assert code == 2 and "rename a folder" in err and len(err.strip().splitlines()) == 1, err
