"""`zoo serve`: the HTTP API on a real uvicorn server, called over loopback with a plain HTTP
client. Each answer is checked against the Python API's own answer for the same input."""

from __future__ import annotations

import base64
import concurrent.futures
import io as bytes_io
import json
import warnings

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="zoo serve needs the serve extra: pip install 'keras-zoo[serve]'")

import zoo  # noqa: E402
from tests.serving import request, running_server, stream  # noqa: E402

SERVED = ["charrnn-shakespeare", "seq2seq-dates", "skipgram-shakespeare", "cnn-filters-classic", "mlp-xor",
          "perceptron-and", "gru-lm-shakespeare"]


@pytest.fixture(scope="module")
def server():
    with running_server(SERVED) as url:
        yield url


@pytest.fixture(scope="module")
def charrnn():
    return zoo.load("charrnn-shakespeare")


def _png_bytes(array) -> bytes:
    from PIL import Image

    out = bytes_io.BytesIO()
    Image.fromarray(np.asarray(array, dtype="uint8")).save(out, format="PNG")
    return out.getvalue()


def test_lists_models_with_their_cards_and_offline_docs(server):
    status, models, _ = request(f"{server}/models")
    assert status == 200
    assert [m["name"] for m in models] == SERVED
    by_name = {m["name"]: m for m in models}
    assert by_name["charrnn-shakespeare"]["task"] == "text-generation"
    assert by_name["seq2seq-dates"]["task"] == "text2text-generation"
    assert by_name["skipgram-shakespeare"]["tasks"] == ["feature-extraction", "most-similar", "word-map"]
    assert by_name["mlp-xor"]["metrics"]["accuracy"] == 1.0
    status, one, _ = request(f"{server}/models/mlp-xor")
    assert status == 200 and "<h1>mlp-xor</h1>" in one["card_html"] and one["card"].startswith("# mlp-xor")
    plot = one["plots"][0]
    status, png, headers = request(f"{server}/models/mlp-xor/files/{plot}", raw=True)
    assert status == 200 and png.startswith(b"\x89PNG")
    # Only a plot the config lists, by name: no paths.
    for bad in ("config.json", "zoo.json", "..%2Fzoo.json", "model.weights.h5"):
        assert request(f"{server}/models/mlp-xor/files/{bad}", raw=True)[0] == 404
    # /docs loads swagger-ui from this server, not a CDN (there is no internet here).
    status, page, _ = request(f"{server}/docs", raw=True)
    assert status == 200 and b"/static/swagger/swagger-ui-bundle.js" in page and b"cdn" not in page.lower()
    assert request(f"{server}/static/swagger/swagger-ui-bundle.js", raw=True)[0] == 200
    status, spec, _ = request(f"{server}/openapi.json")
    assert status == 200 and "/models/{name}" in spec["paths"]
    status, page, _ = request(f"{server}/", raw=True)
    assert status == 200 and b"/static/gallery.js" in page


def test_text_generation_is_the_python_apis_text(server, charrnn):
    body = {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 120, "temperature": 0.8, "top_k": 20, "seed": 1}}
    status, result, _ = request(f"{server}/models/charrnn-shakespeare", body)
    expected = charrnn.generate("ROMEO:", 120, temperature=0.8, top_k=20, seed=1)
    assert status == 200 and result == [{"generated_text": expected}]  # the prompt only when asked for
    body["parameters"]["return_full_text"] = True
    assert request(f"{server}/models/charrnn-shakespeare", body)[1] == [{"generated_text": "ROMEO:" + expected}]
    greedy = {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 30, "do_sample": False}}
    assert request(f"{server}/models/charrnn-shakespeare", greedy)[1][0]["generated_text"] == \
        charrnn.generate("ROMEO:", 30, temperature=0)
    # A word model, through the same code.
    words = zoo.load("gru-lm-shakespeare")
    body = {"inputs": "first citizen :", "parameters": {"max_new_tokens": 12, "seed": 3, "temperature": 0.8}}
    assert request(f"{server}/models/gru-lm-shakespeare", body)[1][0]["generated_text"] == \
        words.generate("first citizen :", 12, temperature=0.8, seed=3)


def test_streams_tokens_as_server_sent_events(server, charrnn):
    events = stream(f"{server}/models/charrnn-shakespeare",
                    {"inputs": "JULIET:", "stream": True, "parameters": {"max_new_tokens": 80, "seed": 5}})
    payloads = [event for _, event in events]
    assert len(payloads) == 80  # one a token (TGI's events): the last one also carries the text
    assert all(e["generated_text"] is None for e in payloads[:-1]) and not any(e["token"]["special"] for e in payloads)
    assert [e["token"]["text"] for e in payloads] == [charrnn.token(e["token"]["id"]) for e in payloads]
    assert payloads[-1]["generated_text"] == "".join(e["token"]["text"] for e in payloads)
    assert payloads[-1]["generated_text"] == charrnn.generate("JULIET:", 80, seed=5)


def test_a_stream_pauses_between_writes_but_sends_its_end_at_once(monkeypatch):
    """A stream's tokens go out at most every FLUSH_SECONDS; its end does not wait for that pause
    (until the client has it, its next request cannot take the batch's freed place). With a
    30 s pause, the end must come long before the pause would have let it."""
    import asyncio
    import threading
    import time

    from zoo import server_generation
    from zoo.server_generation import Generation, Sequence

    monkeypatch.setattr(server_generation, "FLUSH_SECONDS", 30.0)

    async def read():
        generation = Generation(served=None, loop=asyncio.get_running_loop(), streamed=True)
        sequence = Sequence("ROMEO:", seed=None)
        generation.sequences.append(sequence)
        emit = generation._emitter(sequence)

        def batcher():  # as the batcher's thread calls emit: a token, a token in the pause, the end
            emit(5, "a")
            time.sleep(0.2)
            emit(6, "b")
            time.sleep(0.1)
            emit(None, None)

        threading.Thread(target=batcher).start()
        return [batch async for batch in generation.updates()]

    batches = asyncio.run(asyncio.wait_for(read(), timeout=10))
    assert [[index for _, index in batch] for batch in batches] == [[0], [1, None]]
    assert batches[-1][0][0].text == "ab"


def test_concurrent_requests_share_steps_and_keep_their_own_text(server, charrnn):
    def one(seed):
        body = {"inputs": "KING:", "parameters": {"max_new_tokens": 150, "temperature": 0.9, "seed": seed}}
        return request(f"{server}/models/charrnn-shakespeare", body)[1][0]["generated_text"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(one, range(8)))
    for seed, text in enumerate(texts):
        assert text == charrnn.generate("KING:", 150, temperature=0.9, seed=seed)


def test_batcher_steps_concurrent_jobs_together(charrnn):
    """The batcher itself: 6 jobs submitted together take about as many steps as the longest."""
    import threading

    from zoo.batching import Batcher

    batcher = Batcher(charrnn)
    texts, all_done = {}, threading.Event()

    def collector(i):
        pieces = []

        def emit(token, piece):  # runs on the batcher's thread: must not block
            if token is None:
                texts[i] = "".join(pieces)
                if len(texts) == 6:
                    all_done.set()
            else:
                pieces.append(piece)
        return emit

    jobs = [batcher.submit("ROMEO:", 100, emit=collector(i), temperature=0.8, seed=i) for i in range(6)]
    assert all_done.wait(timeout=120)
    batcher.close()
    assert len(jobs) == 6 and batcher.tokens == 600
    assert batcher.steps < 300  # one after the other would take 600
    assert texts == {i: charrnn.generate("ROMEO:", 100, temperature=0.8, seed=i) for i in range(6)}


def test_seq2seq_words_filters_and_classifiers(server):
    status, out, _ = request(f"{server}/models/seq2seq-dates",
                             {"inputs": ["3 March 1999", "1999/03/04"], "parameters": {"return_attention": True}})
    assert status == 200 and [o["generated_text"] for o in out] == ["1999-03-03", "1999-03-04"]
    weights = np.array(out[0]["attention"]["weights"])
    assert weights.shape == (len(out[0]["attention"]["output"]), len(out[0]["attention"]["input"]))
    np.testing.assert_allclose(weights.sum(axis=1), 1, atol=1e-3)

    vectors = zoo.load("skipgram-shakespeare")
    status, vector, _ = request(f"{server}/models/skipgram-shakespeare", {"inputs": "king"})
    np.testing.assert_allclose(vector, vectors.wv["king"], rtol=1e-6)
    status, near, _ = request(f"{server}/models/skipgram-shakespeare/most-similar",
                              {"inputs": "King", "parameters": {"top_k": 5}})
    assert [n["word"] for n in near] == [w for w, _ in vectors.similar("king", 5)]
    status, mapped, _ = request(f"{server}/models/skipgram-shakespeare/word-map", {"inputs": "king"})
    assert status == 200 and mapped["word"] == "king" and len(mapped["neighbours"]) == 10 and len(mapped["map"]) == 300
    status, error, _ = request(f"{server}/models/skipgram-shakespeare", {"inputs": "kingg"})
    assert status == 400 and "king" in error["error"]

    bank = zoo.load("cnn-filters-classic")
    image = np.random.default_rng(0).integers(0, 256, (24, 32, 3))
    status, outputs, _ = request(f"{server}/models/cnn-filters-classic", _png_bytes(image),
                                 headers={"Content-Type": "image/png"})
    assert status == 200 and [o["filter"] for o in outputs] == bank.kernel_names
    assert all(o["image"].startswith("data:image/png;base64,") for o in outputs)
    status, png, headers = request(f"{server}/models/cnn-filters-classic?filter=blur", _png_bytes(image), raw=True,
                                   headers={"Content-Type": "image/png"})
    assert status == 200 and headers["content-type"] == "image/png"
    from PIL import Image
    served = np.asarray(Image.open(bytes_io.BytesIO(png)))
    expected = np.clip(bank.apply(image.astype("float32"), "blur"), 0, 255).astype("uint8")
    np.testing.assert_array_equal(served, expected)
    assert base64.b64decode(outputs[0]["image"].split(",")[1]).startswith(b"\x89PNG")

    status, rows, _ = request(f"{server}/models/mlp-xor", {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]]})
    assert status == 200 and [r[0]["label"] for r in rows] == ["0", "1", "1", "0"]
    status, row, _ = request(f"{server}/models/perceptron-and", {"inputs": [1, 1]})
    assert status == 200 and row[0] == {"label": "1", "score": 1.0, "output": 1.0}


TEXT = "/models/charrnn-shakespeare"
BAD_REQUESTS = [  # (path, body, content type, status, words the message must hold)
    (TEXT, b"{not json", "application/json", 400, "not JSON"),
    (TEXT, b"\xff\xfe", "application/json", 400, "not JSON"),
    (TEXT, b"[1, 2]", "application/json", 422, "JSON object"),
    (TEXT, {"parameters": {}}, None, 422, "inputs"),
    (TEXT, {"inputs": 5}, None, 422, "inputs"),
    (TEXT, {"inputs": "a", "parameters": {"max_new_tokens": 100_000}}, None, 422, "less than or equal to 1000"),
    (TEXT, {"inputs": "a", "parameters": {"max_new_tokens": "many"}}, None, 422, "max_new_tokens"),
    (TEXT, {"inputs": "a", "parameters": {"temperature": -1}}, None, 422, "temperature"),
    (TEXT, {"inputs": "a", "parameters": {"top_p": 2}}, None, 422, "top_p"),
    (TEXT, {"inputs": "a", "parameters": {"seed": -3}}, None, 422, "seed"),
    (TEXT, {"inputs": "a", "parameters": {"max_tokens": 5}}, None, 422, "max_tokens"),
    (TEXT, {"inputs": "a" * 5000}, None, 422, "inputs"),
    ("/models/nope", {"inputs": "a"}, None, 404, "no served model"),
    ("/models/charrnn-shakespears", {"inputs": "a"}, None, 404, "charrnn-shakespeare"),
    ("/models/charrnn-shakespeare/most-similar", {"inputs": "a"}, None, 404, "text-generation"),
    ("/models/mlp-xor", {"inputs": [1, 2, 3]}, None, 422, "pair of inputs"),
    ("/models/mlp-xor", {"inputs": "10"}, None, 422, "inputs"),
    ("/models/cnn-filters-classic", b"", "image/png", 400, "image's bytes"),
    ("/models/cnn-filters-classic", b"GIF89a not really", "image/png", 415, "not an image"),
    ("/models/cnn-filters-classic", b"x" * (5 * 1024 * 1024), "image/png", 413, "limit"),
    ("/models/cnn-filters-classic?filter=sharpn", None, "image/png", 404, "sharpen"),
    ("/models/seq2seq-dates", {"inputs": []}, None, 422, "between 1"),
]


@pytest.mark.parametrize("path, body, content_type, status, words", BAD_REQUESTS,
                         ids=[f"{i}-{row[3]}" for i, row in enumerate(BAD_REQUESTS)])
def test_bad_requests_get_a_json_error_and_the_server_keeps_serving(server, path, body, content_type, status, words):
    if body is None:
        body = _png_bytes(np.zeros((8, 8, 3)))
    headers = {"Content-Type": content_type} if content_type else {}
    if path.startswith("/models/cnn") and status == 413:
        from PIL import Image
        big = bytes_io.BytesIO()
        Image.new("L", (2000, 10)).save(big, format="PNG")
        body_small_but_wide = big.getvalue()
        got, error, _ = request(f"{server}{path}", body_small_but_wide, headers=headers)
        assert got == 413 and "on a side" in error["error"]
    got, error, _ = request(f"{server}{path}", body, headers=headers)
    assert got == status, error
    assert set(error) == {"error"} and words in error["error"], error
    assert request(f"{server}/health")[0] == 200


def test_token_auth_and_the_bind_warning(monkeypatch):
    with running_server(["mlp-xor"], token="s3cret") as url:
        status, error, headers = request(f"{url}/models")
        assert status == 401 and "Bearer" in error["error"] and headers["www-authenticate"] == "Bearer"
        assert request(f"{url}/models", headers={"Authorization": "Bearer wrong"})[0] == 401
        status, models, _ = request(f"{url}/models", headers={"Authorization": "Bearer s3cret"})
        assert status == 200 and models[0]["name"] == "mlp-xor"
        status, page, _ = request(f"{url}/", raw=True)  # the page itself asks for the token
        assert status == 200 and b'data-auth="true"' in page

    import uvicorn

    from zoo import serve
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        serve.serve(["mlp-xor"])
        assert calls[-1]["host"] == "127.0.0.1"
        assert not [w for w in caught if "machines" in str(w.message)]
        serve.serve(["mlp-xor"], host="0.0.0.0")
    assert calls[-1]["host"] == "0.0.0.0"
    assert any("other machines can reach" in str(w.message) and "no --token" in str(w.message) for w in caught)


def test_serves_a_fine_tuned_folder_and_refuses_unknown_names(tmp_path, cli):
    table = tmp_path / "nand.csv"
    table.write_text("x1,x2,y\n0,0,1\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    folder = tmp_path / "nand"
    try:
        zoo.finetune("mlp-xor", table=table, out=folder)
    except zoo.ZooError as error:  # before mlp-xor learns tables, serve a copy of the folder instead
        pytest.skip(f"mlp-xor fine-tuning not available: {error}")
    with running_server([str(folder)]) as url:
        status, models, _ = request(f"{url}/models")
        assert models[0]["name"] == "nand" and models[0]["lineage"].startswith("nand <- mlp-xor")
        status, rows, _ = request(f"{url}/models/nand", {"inputs": [[0, 0], [1, 1]]})
        assert [r[0]["label"] for r in rows] == ["1", "0"]
    code, _, err = cli("serve", "charrnn-shakespear", "--port", "1")
    assert code != 0 and "charrnn-shakespeare" in err and "Traceback" not in err
    code, _, err = cli("serve", "--port", "70000")
    assert code != 0 and "port" in err
    json.dumps(models)


def test_a_failing_step_fails_its_requests_and_the_batcher_goes_on(charrnn, monkeypatch):
    import threading

    from zoo.batching import Batcher

    batcher = Batcher(charrnn)
    ended, texts = [], {}
    finished = threading.Event()

    def emit_into(key):
        pieces = []

        def emit(token, piece):
            if token is None:
                ended.append((key, piece))
                texts[key] = "".join(pieces)
                finished.set()
            else:
                pieces.append(piece)
        return emit

    with monkeypatch.context() as patch:
        patch.setattr(charrnn, "advance_many", lambda states, tokens: 1 / 0)
        batcher.submit("A", 10, emit=emit_into("bad"), seed=1)
        assert finished.wait(60)
    assert ended[0][0] == "bad" and isinstance(ended[0][1], ZeroDivisionError)
    assert batcher.in_flight() == 0  # a failed request holds no place
    finished.clear()
    batcher.submit("A", 10, emit=emit_into("good"), seed=1)
    assert finished.wait(60)
    batcher.close()
    assert ended[1] == ("good", None) and texts["good"] == charrnn.generate("A", 10, seed=1)
