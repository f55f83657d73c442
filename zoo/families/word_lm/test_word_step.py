"""The word models' step: gru-lm's and lstm-lm's numpy recurrence against the Keras model, the
prompt read as the window model reads it, the texts that stayed what the window model wrote, and
concurrent streams stepped together (one matrix product per layer) giving what each gives alone."""

import hashlib
import threading

import numpy as np
import pytest

import zoo
from zoo import data
from zoo.families.word_lm import words
from zoo.families.word_lm.artifact import WordLanguageModel
from zoo.samplers import log_softmax

RECURRENT = ("gru-lm-shakespeare", "lstm-lm-shakespeare")
WINDOW = 128  # RecurrentLanguageModel.START_PADDING: the window the Keras model was fed

# Texts the window model (rerunning 128 words per word, before the numpy step) wrote, by sha256:
# the step reads the prompt as it did and carries the state on, and these stay the same. (A
# sampled text may take another word where a draw falls within ~1e-3 of a boundary: the two
# differ by up to ~1e-2 in log-probability, see RecurrentLanguageModel.)
UNCHANGED = {
    ("gru-lm-shakespeare", "first citizen :", 12, (("temperature", 0.9), ("top_k", 20), ("seed", 3))): "dd80a8949748f07f",
    ("gru-lm-shakespeare", "my lord", 40, (("temperature", 0),)): "87539cbf888d7a98",
    ("gru-lm-shakespeare", "the king", 200, (("temperature", 0),)): "bd4be5c8023a2c24",
    ("lstm-lm-shakespeare", "first citizen :", 12, (("temperature", 0.9), ("top_k", 20), ("seed", 3))): "3570a2202adae333",
    ("lstm-lm-shakespeare", "my lord", 40, (("temperature", 0),)): "909824c0c95ec24d",
    ("lstm-lm-shakespeare", "the king", 200, (("temperature", 0),)): "c918f8326c6f984d",
    ("lstm-lm-shakespeare", "to be or not to", 200, (("temperature", 0.8), ("seed", 7))): "1939946e604cabdf",
    ("ngram-lm-shakespeare", "first citizen :", 12, (("temperature", 0.9), ("top_k", 20), ("seed", 3))): "71d4066e9145bd7d",
    ("ngram-lm-shakespeare", "", 30, (("temperature", 0.8), ("seed", 1))): "b8e579e23417269f",
    ("ngram-lm-shakespeare", "the king", 200, (("temperature", 0),)): "afef7cd5e81f7015",
}


@pytest.fixture(scope="module")
def load():
    loaded = {}

    def get(name):
        if name not in loaded:
            loaded[name] = zoo.load(name)
        return loaded[name]
    return get


def window_log_probs(art, history: list[str]) -> np.ndarray:
    """The window model's next-word log-probabilities (the Keras network on the last 128 words,
    </s>-padded in front), as generation computed them before the numpy step."""
    ids = art.vocab.encode([words.EOS] * WINDOW + history)[-WINDOW:]
    return log_softmax(np.asarray(art.model.predict_on_batch(ids[None, :]))[0, -1])


def shakespeare_words(art, count: int) -> list[str]:
    text = data.read_text("tinyshakespeare")[:count * 8]
    tokens = []
    for line in text.split("\n"):
        tokens += art.vocab.map_unknown(words.tokenize(line)) + [words.EOS]
    return tokens[:count]


@pytest.mark.parametrize("name", RECURRENT)
def test_numpy_step_is_the_keras_model(name, load):
    """On the same words, the numpy recurrence gives the Keras network's logits at every position."""
    art = load(name)
    ids = art.vocab.encode(shakespeare_words(art, 60))
    want = np.asarray(art.model.predict_on_batch(ids[None, :]))[0]
    state, got = art.rnn.initial_state(), []
    for token in ids:
        got.append(art.rnn.logits(art.rnn.advance(state, [token]))[0])
    assert np.abs(np.array(got) - want).max() <= 1e-4 * max(1.0, np.abs(want).max())


@pytest.mark.parametrize("name", RECURRENT)
def test_the_prompt_is_read_as_the_window_model_reads_it(name, load):
    """next_tokens and the first word generated: the window model's, for prompts shorter than
    the window, as long as it, and longer (the window keeps its last 128 words)."""
    art = load(name)
    history = shakespeare_words(art, 300)
    for length in (0, 3, 60, 127, 128, 129, 300):
        text = " ".join(history[:length]).replace(f" {words.EOS} ", "\n").replace(words.EOS, "\n")
        state, _, _ = art.prompt_state(text)
        prompt_history, _, _ = WordLanguageModel.prompt_state(art, text)  # the words, as the window saw them
        assert len(prompt_history) >= min(length, 100)
        np.testing.assert_allclose(art.next_log_probs(state), window_log_probs(art, prompt_history),
                                   atol=2e-5, err_msg=f"{name}, {length} words")


@pytest.mark.parametrize("key", list(UNCHANGED), ids=[f"{k[0].split('-')[0]}-{k[1] or 'empty'}-{k[2]}" for k in UNCHANGED])
def test_generated_texts_stay_what_the_window_model_wrote(key, load):
    name, prompt, length, options = key
    text = load(name).generate(prompt, length, **dict(options))
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == UNCHANGED[key], text


@pytest.mark.parametrize("name", RECURRENT + ("ngram-lm-shakespeare",))
def test_streams_stepped_together_are_each_stepped_alone(name, load):
    """advance_many / next_log_probs_many on three streams: what advance / next_log_probs give each."""
    art = load(name)
    prompts = ["my lord", "first citizen :\nwhat", ""]
    together = [art.read_prompt(p)[0] for p in prompts]
    alone = [art.read_prompt(p)[0] for p in prompts]
    rng = np.random.default_rng(0)
    for _ in range(6):
        many = art.next_log_probs_many(together)
        for state, log_probs in zip(alone, many):
            np.testing.assert_allclose(log_probs, art.next_log_probs(state), atol=1e-5)
        tokens = [int(t) for t in rng.integers(2, len(art.vocab.words), len(prompts))]
        together = art.advance_many(together, tokens)
        alone = [art.advance(state, token) for state, token in zip(alone, tokens)]


@pytest.mark.parametrize("name", RECURRENT + ("ngram-lm-shakespeare",))
def test_the_batcher_writes_what_generate_writes(name, load):
    """Concurrent requests through the server's batcher (one step for all): each text is the
    one `generate` writes alone with the same seed."""
    from zoo.batching import Batcher

    art = load(name)
    requests = [("my lord", 25, {"temperature": 0.8, "seed": s}) for s in range(4)] + \
               [("first citizen :", 30, {"temperature": 0}), ("", 20, {"temperature": 1.0, "top_k": 40, "seed": 9})]
    batcher = Batcher(art)
    texts, done = [[] for _ in requests], [threading.Event() for _ in requests]
    try:
        for i, (prompt, length, options) in enumerate(requests):
            def emit(token, piece, i=i):
                if token is None:
                    done[i].set()
                else:
                    texts[i].append(piece)
            batcher.submit(prompt, length, emit=emit, **options)
        assert all(event.wait(120) for event in done)
    finally:
        batcher.close()
    assert batcher.tokens > batcher.steps  # several streams stepped together
    for (prompt, length, options), pieces in zip(requests, texts):
        assert "".join(pieces) == art.generate(prompt, length, **options)


def test_beam_search_branches_without_touching_the_state(load):
    """advance returns a new state: beam search's branches and the prompt's state stay apart."""
    art = load("gru-lm-shakespeare")
    state, _ = art.read_prompt("my lord")
    before = [a.copy() for a in state[0].arrays()]
    art.advance(state, 5)
    assert all(np.array_equal(a, b) for a, b in zip(before, state[0].arrays()))
    (best, score), *_ = art.beam_search("my lord", 3, beam_size=3)
    assert best and np.isfinite(score)


@pytest.mark.parametrize("name", ["ngram-lm-shakespeare", "gru-lm-shakespeare"])
def test_prompt_log_probs_step_as_generation_does(name):
    """The server's prefill and echo read each prompt word's log-probability: for every word
    model, the model's own next-word log-probability after the words before it."""
    art = zoo.load(name)
    scored = art.prompt_log_probs("to be or\nnot")
    assert [token for token, _ in scored] == art.prompt_tokens("to be or\nnot")
    # The recurrent model reads a prompt after as many </s> as its window has room for, and the
    # state those leave does not settle: the same words stepped from the text's start differ a little.
    state, _, _ = art.prompt_state("to be")
    close = 1e-6 if name.startswith("ngram") else 0.05
    assert scored[2][1] == pytest.approx(float(art.next_log_probs(state)[scored[2][0]]), abs=close)
    assert all(np.isfinite(lp) and lp < 0 for _, lp in scored)
