"""The protocols clients already speak, against a live `zoo serve`: huggingface_hub's
InferenceClient (text-generation-inference's routes and the Inference API's), the `openai`
client (completions), each text compared with the Python API's for the same seed; per-token
log-probabilities checked against the model's own step; stop sequences; the prompt's one rule
(return_full_text, OpenAI's echo: false unless asked, on every route and channel); bad
parameters answered in one line."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="zoo serve needs the serve extra: pip install 'keras-zoo[serve]'")
openai = pytest.importorskip("openai", reason="the OpenAI client is in the test extra")

import zoo  # noqa: E402
from tests.serving import request, running_server, stream  # noqa: E402

CHAR, WORD = "charrnn-shakespeare", "gru-lm-shakespeare"


@pytest.fixture(scope="module")
def two():
    """Two language models (and a model of another task): a request names its model."""
    with running_server([CHAR, WORD, "mlp-xor"]) as url:
        yield url


@pytest.fixture(scope="module")
def one():
    """One language model: TGI's plain routes need no name."""
    with running_server([CHAR, "mlp-xor"]) as url:
        yield url


@pytest.fixture(scope="module")
def charrnn():
    return zoo.load(CHAR)


@pytest.fixture(scope="module")
def words():
    return zoo.load(WORD)


@pytest.fixture
def hub_client(monkeypatch):
    """huggingface_hub's InferenceClient for a URL of the local server. The suite runs the Hub
    offline (conftest.py), which blocks every request of its client, loopback too: this test's
    go only to the server on 127.0.0.1."""
    from huggingface_hub import InferenceClient, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return InferenceClient


def openai_client(url, key="anything"):
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


def model_log_probs(art, prompt: str, tokens: list[int]) -> list[float]:
    """Each token's log-probability under the model, stepped one token at a time (no batcher)."""
    with art.running():
        state, _ = art.read_prompt(prompt)
        out = []
        for token in tokens:
            out.append(float(art.next_log_probs(state)[token]))
            state = art.advance(state, token)
    return out


# ----------------------------------------------------------------------------- huggingface_hub


def test_inference_client_details_are_the_python_apis_text_and_the_models_log_probs(two, charrnn, hub_client):
    client = hub_client(f"{two}/models/{CHAR}")
    out = client.text_generation("ROMEO:", max_new_tokens=60, temperature=0.8, top_k=20, seed=1, details=True,
                                 decoder_input_details=True, top_n_tokens=3)
    assert out.generated_text == charrnn.generate("ROMEO:", 60, temperature=0.8, top_k=20, seed=1)
    details = out.details
    assert details.finish_reason == "length" and details.generated_tokens == 60 and details.seed == 1
    assert "".join(t.text for t in details.tokens) == out.generated_text
    assert not any(t.special for t in details.tokens)
    ids = [t.id for t in details.tokens]
    np.testing.assert_allclose([t.logprob for t in details.tokens], model_log_probs(charrnn, "ROMEO:", ids),
                               rtol=1e-4, atol=1e-5)
    # top_n_tokens: the likeliest alternatives, best first, none likelier than the first (the client
    # leaves these lists of lists as dicts)
    tops = [[t["logprob"] for t in top] for top in details.top_tokens]
    assert len(tops) == 60 and all(len(top) == 3 and top == sorted(top, reverse=True) for top in tops)
    assert all(top[0] >= t.logprob - 1e-9 for top, t in zip(tops, details.tokens))
    # the prompt's tokens (prefill): the first has no prediction, the others are the model's
    assert [t.text for t in details.prefill] == list("ROMEO:") and details.prefill[0].logprob is None
    expected = [model_log_probs(charrnn, "ROMEO:"[:i], [t.id])[0] for i, t in enumerate(details.prefill) if i]
    np.testing.assert_allclose([t.logprob for t in details.prefill[1:]], expected, rtol=1e-4, atol=1e-5)


def test_inference_client_streams_tokens_and_the_last_event_carries_the_details(two, charrnn, hub_client):
    client = hub_client(f"{two}/models/{CHAR}")
    events = list(client.text_generation("JULIET:", max_new_tokens=40, seed=5, stream=True, details=True))
    expected = charrnn.generate("JULIET:", 40, seed=5)
    assert len(events) == 40 and [e.index for e in events] == list(range(1, 41))
    assert "".join(e.token.text for e in events) == expected
    assert all(e.generated_text is None and e.details is None for e in events[:-1])
    last = events[-1]
    assert last.generated_text == expected
    assert last.details.finish_reason == "length" and last.details.generated_tokens == 40
    assert last.details.input_length == len("JULIET:") and last.details.seed == 5
    np.testing.assert_allclose([e.token.logprob for e in events],
                               model_log_probs(charrnn, "JULIET:", [e.token.id for e in events]), rtol=1e-4, atol=1e-5)
    # Without details the client yields the texts.
    assert "".join(client.text_generation("JULIET:", max_new_tokens=40, seed=5, stream=True)) == expected


def test_a_token_event_written_from_its_template_is_tgis_event_for_any_text():
    """Every event but the last is written from a template, not json.dumps (zoo/server_tgi.py
    says why): for any text and log-probability it must still be the event huggingface_hub's
    type reads, with the same fields as the last one (which is built as a dict); numpy's float64
    too, whose repr is not JSON."""
    import json

    from huggingface_hub import TextGenerationStreamOutput

    from zoo.server_generation import Sequence, Settings
    from zoo.server_tgi import Asked, _event

    sequence = Sequence("ROMEO:", seed=1)
    pieces = ["a", '"', "\\", "\n", "\t", "\x00", "é", "\u2028", "</script>", " the"]
    for i, piece in enumerate(pieces):
        sequence.add(i, piece, [np.float64(-0.5), -1e-300, -12.345678901234567, float("-inf")][i % 4], None)
    asked = Asked(Settings(len(pieces), log_probs=True), full_text=False, details=False, prefill=False, best_of=1)
    for index, piece in enumerate(pieces):
        written = _event(sequence, index, False, asked)
        assert written.startswith("data: ") and written.endswith("\n\n")
        data = json.loads(written[len("data: "):])
        as_dict = json.loads(_event(sequence, index, True, asked)[len("data: "):])  # the last's way
        assert data == {**as_dict, "generated_text": None}
        event = TextGenerationStreamOutput.parse_obj_as_instance(data)
        assert (event.index, event.token.id, event.token.text, event.token.special) == (index + 1, index, piece, False)
        assert event.token.logprob == sequence.log_probs[index]


def test_stop_sequences_end_the_text_with_the_stop_kept_as_tgi_does(two, charrnn, hub_client):
    full = charrnn.generate("ROMEO:", 200, temperature=0.8, seed=2)
    stop = full[20:22]  # two characters the text writes: it stops at their first appearance
    end = full.index(stop) + len(stop)
    client = hub_client(f"{two}/models/{CHAR}")
    out = client.text_generation("ROMEO:", max_new_tokens=200, temperature=0.8, seed=2, stop=[stop, "@@@"],
                                 details=True)
    assert out.generated_text == full[:end] and out.details.finish_reason == "stop_sequence"
    assert out.details.generated_tokens == end
    events = list(client.text_generation("ROMEO:", max_new_tokens=200, temperature=0.8, seed=2, stop=[stop],
                                         stream=True, details=True))
    assert events[-1].generated_text == full[:end] and events[-1].details.finish_reason == "stop_sequence"
    # A word model: the stop is a word it writes.
    words = zoo.load(WORD)
    text = words.generate("first citizen :", 30, temperature=0.8, seed=3)
    word = text.split()[4]
    cut = text.index(word) + len(word)
    assert hub_client(f"{two}/models/{WORD}").text_generation(
        "first citizen :", max_new_tokens=30, temperature=0.8, seed=3, stop=[word]) == text[:cut]


def test_best_of_returns_the_likeliest_sequence_each_made_again_from_its_seed(two, charrnn):
    status, out, _ = request(f"{two}/models/{CHAR}/generate",
                             {"inputs": "KING:", "parameters": {"max_new_tokens": 30, "best_of": 3, "details": True}})
    assert status == 200
    details = out["details"]
    sequences = [(out["generated_text"], details["seed"], details["tokens"])] + \
                [(s["generated_text"], s["seed"], s["tokens"]) for s in details["best_of_sequences"]]
    assert len(sequences) == 3 and len({seed for _, seed, _ in sequences}) == 3
    for text, seed, tokens in sequences:
        assert text == charrnn.generate("KING:", 30, seed=seed)
    sums = [sum(t["logprob"] for t in tokens) for _, _, tokens in sequences]
    assert sums[0] == max(sums)


def test_one_language_model_answers_tgis_plain_routes(one, two, charrnn, hub_client):
    expected = charrnn.generate("ROMEO:", 30, temperature=0.5, seed=7)
    assert hub_client(one).text_generation("ROMEO:", max_new_tokens=30, temperature=0.5, seed=7) == expected
    body = {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 30, "temperature": 0.5, "seed": 7}}
    assert request(f"{one}/generate", body)[1] == {"generated_text": expected}
    assert stream(f"{one}/generate_stream", body)[-1][1]["generated_text"] == expected
    assert request(f"{one}/", body)[1] == [{"generated_text": expected}]
    # With two, the plain routes say how to name one.
    status, error, _ = request(f"{two}/generate", body)
    assert status == 400 and "/models/{name}/generate" in error["error"] and WORD in error["error"]


def test_tgis_info_says_the_model_and_the_bounds_its_requests_meet(one, two, hub_client):
    # (huggingface_hub asks for its inference provider by name before it reads an endpoint's /info)
    info = hub_client(f"{two}/models/{CHAR}", provider="hf-inference").get_endpoint_info()
    assert info["model_id"] == CHAR and info["model_pipeline_tag"] == "text-generation"
    assert info["max_stop_sequences"] == 4 and info["max_best_of"] == 8 and info["router"] == "keras-zoo"
    assert info["max_total_tokens"] > info["max_input_tokens"] > 0
    assert hub_client(one, provider="hf-inference").get_endpoint_info() == info  # the one language model served
    # With two, the plain route says how to name one; a model of another task is not a language model.
    status, error, _ = request(f"{two}/info")
    assert status == 400 and "/models/{name}/info" in error["error"]
    status, error, _ = request(f"{two}/models/mlp-xor/info")
    assert status == 400 and "not a language model" in error["error"]


# ----------------------------------------------------------------------------- one rule for the prompt


def test_the_prompt_comes_back_only_when_asked_on_every_route_and_channel(two, charrnn):
    text = charrnn.generate("ROMEO:", 25, seed=4)
    for full in (None, False, True):
        expected = ("ROMEO:" if full else "") + text
        parameters = {"max_new_tokens": 25, "seed": 4, **({} if full is None else {"return_full_text": full})}
        body = {"inputs": "ROMEO:", "parameters": parameters}
        assert request(f"{two}/models/{CHAR}", body)[1] == [{"generated_text": expected}], full
        assert request(f"{two}/models/{CHAR}/generate", body)[1] == {"generated_text": expected}
        assert stream(f"{two}/models/{CHAR}", {**body, "stream": True})[-1][1]["generated_text"] == expected
        assert stream(f"{two}/models/{CHAR}/generate_stream", body)[-1][1]["generated_text"] == expected
        # OpenAI's name for it is echo.
        echo = {} if full is None else {"echo": full}
        client = openai_client(two)
        assert client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=25, seed=4, **echo) \
            .choices[0].text == expected
        chunks = client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=25, seed=4, stream=True, **echo)
        assert "".join(c.choices[0].text for c in chunks) == expected


# ----------------------------------------------------------------------------- openai


def test_openai_client_completions_are_the_python_apis_text(two, charrnn, words):
    client = openai_client(two)
    assert {m.id for m in client.models.list()} == {CHAR, WORD}  # the language models only
    assert client.models.retrieve(WORD).id == WORD
    out = client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=80, temperature=0.8, seed=1, n=2)
    assert [c.text for c in out.choices] == [charrnn.generate("ROMEO:", 80, temperature=0.8, seed=s) for s in (1, 2)]
    assert [c.finish_reason for c in out.choices] == ["length", "length"] and out.model == CHAR
    assert out.usage.prompt_tokens == 6 and out.usage.completion_tokens == 160 and out.usage.total_tokens == 166
    out = client.completions.create(model=WORD, prompt=["first citizen :", "to be or not"], max_tokens=12,
                                    temperature=0.8, seed=3)
    assert [c.text for c in out.choices] == [words.generate(p, 12, temperature=0.8, seed=3)
                                             for p in ("first citizen :", "to be or not")]
    # greedy, and the default length (16, as OpenAI's)
    assert client.completions.create(model=CHAR, prompt="KING:", temperature=0).choices[0].text == \
        charrnn.generate("KING:", 16, temperature=0)


def test_openai_client_streams_with_logprobs_stops_and_usage(two, charrnn):
    client = openai_client(two)
    chunks = list(client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=60, seed=9, stream=True,
                                            logprobs=2, stream_options={"include_usage": True}))
    expected = charrnn.generate("ROMEO:", 60, seed=9)
    texts = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].text for c in texts) == expected
    assert texts[-1].choices[0].finish_reason == "length" and chunks[-1].usage.completion_tokens == 60
    tokens = [t for c in texts for t in c.choices[0].logprobs.tokens]
    values = [v for c in texts for v in c.choices[0].logprobs.token_logprobs]
    assert "".join(tokens) == expected
    ids = [charrnn.vocab.index[t] for t in tokens]
    np.testing.assert_allclose(values, model_log_probs(charrnn, "ROMEO:", ids), rtol=1e-4, atol=1e-5)
    # a stop: the text ends before it, streamed or not
    stop = expected[30:32]
    cut = expected[:expected.index(stop)]
    out = client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=60, seed=9, stop=stop)
    assert out.choices[0].text == cut and out.choices[0].finish_reason == "stop"
    streamed = client.completions.create(model=CHAR, prompt="ROMEO:", max_tokens=60, seed=9, stop=[stop], stream=True)
    assert "".join(c.choices[0].text for c in streamed) == cut


def test_openai_chat_is_refused_and_errors_come_in_openais_shape(two):
    client = openai_client(two)
    with pytest.raises(openai.BadRequestError, match="no served model is a chat model"):
        client.chat.completions.create(model=CHAR, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.NotFoundError, match="charrnn-shakespeare"):
        client.completions.create(model="charrnn-shakespear", prompt="a")
    with pytest.raises(openai.BadRequestError, match="not a language model"):
        client.completions.create(model="mlp-xor", prompt="a")
    with running_server([CHAR], token="s3cret") as url:
        assert openai_client(url, "s3cret").completions.create(model=CHAR, prompt="A", max_tokens=3).choices
        with pytest.raises(openai.AuthenticationError, match="token"):
            openai_client(url, "wrong").completions.create(model=CHAR, prompt="A", max_tokens=3)
        # TGI's POST / is not the page: it asks for the token too
        assert request(f"{url}/", {"inputs": "A"})[0] == 401
        assert request(f"{url}/", raw=True)[0] == 200


# ----------------------------------------------------------------------------- bad parameters


G, S, C = f"/models/{CHAR}/generate", f"/models/{CHAR}/generate_stream", "/v1/completions"
BAD = [  # (path, body, status, words the one-line message holds)
    (G, {"inputs": "a", "parameters": {"max_new_tokens": 0}}, 422, "max_new_tokens"),
    (G, {"inputs": "a", "parameters": {"max_new_tokens": 1001}}, 422, "1000"),
    (G, {"inputs": "a", "parameters": {"temperature": -0.5}}, 422, "temperature"),
    (G, {"inputs": "a", "parameters": {"top_p": 1.5}}, 422, "top_p"),
    (G, {"inputs": "a", "parameters": {"seed": 2**32}}, 422, "seed"),
    (G, {"inputs": "a", "parameters": {"stop": ["a", "b", "c", "d", "e"]}}, 422, "stop"),
    (G, {"inputs": "a", "parameters": {"stop": [""]}}, 422, "stop"),
    (G, {"inputs": "a", "parameters": {"best_of": 9}}, 422, "best_of"),
    (G, {"inputs": "a", "parameters": {"best_of": 2, "do_sample": False}}, 422, "needs sampling"),
    (G, {"inputs": "a", "parameters": {"do_sample": True, "temperature": 0}}, 422, "temperature"),
    (G, {"inputs": "a", "parameters": {"top_n_tokens": 6}}, 422, "top_n_tokens"),
    (G, {"inputs": "a", "parameters": {"repetition_penalty": 1.2}}, 422, "repetition_penalty is not supported"),
    (G, {"inputs": "a", "parameters": {"grammar": {"type": "json", "value": {}}}}, 422, "grammar is not supported"),
    (G, {"inputs": "a", "parameters": {"truncate": 10}}, 422, "truncate is not supported"),
    (G, {"inputs": "a", "parameters": {"watermark": True}}, 422, "watermark is not supported"),
    (G, {"inputs": "a", "parameters": {"max_tokens": 5}}, 422, "max_tokens"),
    (G, {"inputs": "a", "stream": True}, 422, "/generate_stream"),
    (S, {"inputs": "a", "parameters": {"best_of": 2}}, 422, "streaming"),
    (S, {"inputs": "a", "parameters": {"details": True, "decoder_input_details": True}}, 422, "streaming"),
    (f"/models/{CHAR}", {"inputs": "a", "parameters": {"typical_p": 0.5}}, 422, "typical_p is not supported"),
    ("/models/mlp-xor/generate", {"inputs": "a"}, 400, "not a language model"),
    ("/models/nope/generate", {"inputs": "a"}, 404, "no served model"),
    (C, {"model": CHAR, "prompt": [1, 2, 3]}, 422, "token ids"),
    (C, {"model": CHAR, "prompt": "a", "max_tokens": 5000}, 422, "max_tokens"),
    (C, {"model": CHAR, "prompt": "a", "logprobs": 6}, 422, "logprobs"),
    (C, {"model": CHAR, "prompt": "a", "n": 3, "best_of": 2}, 400, "best_of"),
    (C, {"model": CHAR, "prompt": ["a"] * 5, "n": 2}, 400, "over 8"),
    (C, {"model": CHAR, "prompt": "a", "presence_penalty": 0.5}, 400, "presence_penalty is not supported"),
    (C, {"model": CHAR, "prompt": "a", "logit_bias": {"1": 5}}, 400, "logit_bias is not supported"),
    (C, {"model": CHAR, "prompt": "a", "stop": ["a"] * 5}, 422, "stop"),
    (C, {"model": CHAR, "prompt": "a", "frobnicate": 1}, 422, "frobnicate"),
    (C, {"prompt": "a"}, 422, "model"),
]


@pytest.mark.parametrize("path, body, status, words", BAD, ids=[f"{i}-{row[0].rsplit('/', 1)[-1]}" for i, row in enumerate(BAD)])
def test_bad_parameters_get_one_line_and_the_server_keeps_serving(two, path, body, status, words):
    got, error, _ = request(f"{two}{path}", body)
    assert got == status, error
    message = error["error"]["message"] if path.startswith("/v1/") else error["error"]
    assert words in message and "\n" not in message, message
    assert request(f"{two}/health")[0] == 200


def test_neutral_values_of_unsupported_parameters_are_accepted(two, charrnn):
    """What clients send by default asks for nothing, and is no error."""
    body = {"inputs": "A", "parameters": {"max_new_tokens": 5, "seed": 1, "repetition_penalty": 1.0,
                                          "watermark": False, "typical_p": 1.0, "frequency_penalty": 0.0}}
    assert request(f"{two}/models/{CHAR}/generate", body)[1] == {"generated_text": charrnn.generate("A", 5, seed=1)}
    out = openai_client(two).completions.create(model=CHAR, prompt="A", max_tokens=5, seed=1, presence_penalty=0,
                                                frequency_penalty=0, logit_bias={}, user="me", best_of=1)
    assert out.choices[0].text == charrnn.generate("A", 5, seed=1)
