"""Word-level language models: the count models against nltk.lm, the recurrent cells against
the talk's GRUCell / BasicLSTMCell equations, and the artifacts' API (perplexity, next_words,
generate, finetune)."""

import math

import numpy as np
import pytest

import keras
import zoo
from zoo.language_model import Score
from zoo import io, registry, samplers
from zoo.families.word_lm import artifact, lm_table, steps
from zoo.families.word_lm import words
from zoo.families.word_lm import ngram
from zoo.families.word_lm import rnnlm

TOY = ["a b c d a b", "b c a", "a a b c d", "d c b a", "c c a b d e", "e a b"]
TOY_TEST = ["a b d", "c a e b", "b b b", "f a", "e"]


def _toy():
    sents = [s.split() for s in TOY]
    vocab = words.Vocabulary.from_sentences(sents)  # words seen once ("e") become <UNK>
    train = [vocab.map_unknown(s) for s in sents]
    test = [vocab.map_unknown(s.split()) for s in TOY_TEST]
    return vocab, train, test


def _nltk_log2(ref, vocab, grams):
    return np.array([ref.logscore(vocab.words[g[-1]], [vocab.words[i] for i in g[:-1]]) for g in grams])


# ------------------------------------------------------------------ count models = nltk.lm


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("smoothing", ["laplace", "kneser-ney"])
def test_count_model_reproduces_nltk_on_a_toy_corpus(order, smoothing):
    if order == 1 and smoothing == "kneser-ney":
        pytest.skip("nltk's KneserNeyInterpolated needs order >= 2")
    vocab, train, test = _toy()
    ours = ngram.CountLM(order, smoothing, vocab).fit([vocab.encode(s) for s in train])
    ref = ngram.fit_nltk(order, smoothing, train)
    assert ours.vocab_size == len(ref.vocab)
    # every n-gram of the test sentences, and of the training sentences with nltk's padding
    grams = np.concatenate([
        ngram.ngram_windows([vocab.encode(s) for s in test], order, 1, 2, both_ends=False),
        ngram.ngram_windows([vocab.encode(s) for s in train], order, 1, 2, both_ends=True)])
    np.testing.assert_allclose(ours.log_prob(grams) / math.log(2), _nltk_log2(ref, vocab, grams), rtol=0, atol=1e-9)


def test_count_model_reproduces_nltk_with_another_discount():
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    vocab, train, test = _toy()
    ours = ngram.CountLM(3, "kneser-ney", vocab, discount=0.75).fit([vocab.encode(s) for s in train])
    ref = KneserNeyInterpolated(3, discount=0.75)
    ref.fit(*padded_everygram_pipeline(3, train))
    grams = ngram.ngram_windows([vocab.encode(s) for s in test], 3, 1, 2, both_ends=False)
    np.testing.assert_allclose(ours.log_prob(grams) / math.log(2), _nltk_log2(ref, vocab, grams), atol=1e-9)


@pytest.fixture(scope="module")
def corpus():
    return words.load_corpus()


def test_count_model_reproduces_nltk_on_shakespeare():
    """A sample of real test n-grams, from the first 5,000 lines of tinyshakespeare split by the
    same rules (nltk's Kneser-Ney scans every n-gram for each query: the whole corpus would take
    minutes)."""
    from zoo import data

    small = words.load_corpus(text="\n".join(data.read_text("tinyshakespeare").split("\n")[:5000]))
    rng = np.random.default_rng(0)
    train_ids = [small.vocab.encode(s) for s in small.train]
    for order, smoothing in [(3, "laplace"), (3, "kneser-ney"), (5, "kneser-ney")]:
        ours = ngram.CountLM(order, smoothing, small.vocab).fit(train_ids)
        ref = ngram.fit_nltk(order, smoothing, small.train)
        assert ours.vocab_size == len(ref.vocab)
        grams = ngram.ngram_windows([small.vocab.encode(s) for s in small.test], order, 1, 2, both_ends=False)
        grams = grams[rng.choice(len(grams), 25, replace=False)]
        # and n-grams seen in training, so that every branch (seen/unseen context) is used
        grams = np.concatenate([grams, ngram.ngram_windows(train_ids[:3], order, 1, 2, both_ends=True)])
        theirs = _nltk_log2(ref, small.vocab, grams)
        assert np.all(np.isfinite(theirs))
        np.testing.assert_allclose(ours.log_prob(grams) / math.log(2), theirs, atol=1e-9,
                                   err_msg=f"{order} {smoothing}")


def test_kneser_ney_is_a_distribution(corpus):
    """p(. | context) sums to 1 over the vocabulary for seen and unseen contexts."""
    train = [corpus.vocab.encode(s) for s in corpus.train[:3000]]
    model = ngram.CountLM(3, "kneser-ney", corpus.vocab, discount=0.75).fit(train)
    V = len(corpus.vocab)
    everything = np.arange(V)
    seen_words = set(np.concatenate(train).tolist()) | {1, 2}
    for context in ([1, int(train[0][0])], [int(train[5][0]), int(train[5][1])], [7, 7], [1, 1]):
        grams = np.column_stack([np.full(V, context[0]), np.full(V, context[1]), everything])
        total = model.prob(grams).sum()
        if context == [1, 1]:
            # nltk's quirk, reproduced: gamma counts the words after (<s>,) in raw bigrams, one of
            # which (<s> itself, from the padding) no trigram continues, so the mass is not exactly 1
            assert 1 < total < 1.001
        else:
            assert total == pytest.approx(1.0, abs=1e-9), context
    assert all(model.prob(np.array([[1, 1, w]]))[0] == 0 for w in set(range(V)) - seen_words)


def test_count_models_score_the_test_split(corpus):
    specs = [spec for spec in ngram.COUNT_BASELINES if spec[1] == 3]
    rows = {r["model"]: r for r in ngram.count_baselines(corpus, specs)}
    kn3, lap = (rows[k]["test_perplexity"] for k in ("Kneser-Ney 3-gram", "Laplace 3-gram"))
    assert 1 < kn3 < lap < len(corpus.vocab)
    assert rows["Kneser-Ney 3-gram, discount 0.75"]["test_perplexity"] < kn3


# ------------------------------------------------------------------ the talk's cells


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_keras_gru_is_the_talks_gru_cell():
    """TensorFlow's GRUCell: r, u = sigmoid([x, h] W_g + b_g); c = tanh([x, r*h] W_c + b_c);
    new_h = u * h + (1 - u) * c. Keras GRU(reset_after=False), kernel columns [u, r, c]."""
    rng = np.random.default_rng(0)
    n_in, units, batch = 5, 4, 3
    x, h = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, units))
    w_gates, b_gates = rng.normal(size=(n_in + units, 2 * units)), rng.normal(size=2 * units)
    w_cand, b_cand = rng.normal(size=(n_in + units, units)), rng.normal(size=units)
    # the talk's cell in numpy
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ w_gates + b_gates), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ w_cand + b_cand)
    expected = u * h + (1 - u) * c
    # the same weights in Keras's layout
    layer = keras.layers.GRU(units, reset_after=False)
    layer.build((batch, 1, n_in))
    w_r, w_u = np.split(w_gates, 2, axis=1)
    b_r, b_u = np.split(b_gates, 2)
    kernel = np.concatenate([w_u[:n_in], w_r[:n_in], w_cand[:n_in]], 1)
    recurrent = np.concatenate([w_u[n_in:], w_r[n_in:], w_cand[n_in:]], 1)
    layer.set_weights([kernel, recurrent, np.concatenate([b_u, b_r, b_cand])])
    got = np.asarray(layer(x[:, None, :].astype("float32"), initial_state=[h.astype("float32")]))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Keras's default (reset_after=True, cuDNN's form) is a different cell
    other = keras.layers.GRU(units, reset_after=True)
    other.build((batch, 1, n_in))
    other.set_weights([kernel, recurrent, np.stack([np.concatenate([b_u, b_r, b_cand]), np.zeros(3 * units)])])
    assert np.abs(np.asarray(other(x[:, None, :].astype("float32"), initial_state=[h.astype("float32")]))
                  - expected).max() > 1e-3


def test_keras_lstm_is_the_talks_basic_lstm_cell():
    """BasicLSTMCell: i, j, f, o = [x, h] W + b; new_c = c sigmoid(f + 1.0) + sigmoid(i) tanh(j);
    new_h = tanh(new_c) sigmoid(o). Keras LSTM (columns [i, f, j, o]) with b_f + 1.0."""
    rng = np.random.default_rng(1)
    n_in, units, batch, forget_bias = 5, 4, 3, 1.0
    x, h, c = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, units)), rng.normal(size=(batch, units))
    w, b = rng.normal(size=(n_in + units, 4 * units)), rng.normal(size=4 * units)
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ w + b, 4, axis=1)
    new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * _sigmoid(o)

    layer = keras.layers.LSTM(units, return_state=True, unit_forget_bias=True)
    layer.build((batch, 1, n_in))
    wi, wj, wf, wo = np.split(w, 4, axis=1)
    bi, bj, bf, bo = np.split(b, 4)
    kernel = np.concatenate([wi, wf, wj, wo], 1)
    layer.set_weights([kernel[:n_in], kernel[n_in:], np.concatenate([bi, bf + forget_bias, bj, bo])])
    out, state_h, state_c = layer(x[:, None, :].astype("float32"),
                                  initial_state=[h.astype("float32"), c.astype("float32")])
    np.testing.assert_allclose(np.asarray(state_h), new_h, atol=1e-5)
    np.testing.assert_allclose(np.asarray(state_c), new_c, atol=1e-5)


def test_unit_forget_bias_is_basic_lstm_cells_forget_bias():
    """A fresh Keras LSTM with unit_forget_bias has b = [0, 1, 0, 0] (blocks i, f, j, o): exactly
    BasicLSTMCell's zero-initialised bias with its constant forget_bias 1.0 folded in."""
    layer = keras.layers.LSTM(3, unit_forget_bias=True)
    layer.build((1, 1, 2))
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    model = rnnlm.build_lstm_lm(vocab_size=50, embedding_dim=8, units=6)
    bias = model.get_layer("lstm_0").get_weights()[2]
    np.testing.assert_array_equal(bias[6:12], 1.0)


# ------------------------------------------------------------------ models and evaluation


def test_tied_model_saves_and_loads_safely(tmp_path):
    model = rnnlm.build_gru_lm(vocab_size=40, embedding_dim=8, units=12, dropout=0.0)
    assert model.get_layer("embedding").embeddings.shape == (40, 8)
    assert not any(layer.name == "logits" for layer in model.layers)  # the output reuses E
    x = np.random.default_rng(0).integers(0, 40, (2, 7)).astype("int32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_locked_dropout_keeps_one_mask_across_time():
    model = rnnlm.build_lstm_lm(vocab_size=40, embedding_dim=64, units=8, dropout=0.5, locked_dropout=True)
    x = np.ones((3, 9, 64), dtype="float32")
    kept = np.asarray(model.get_layer("dropout_in")(x, training=True)) != 0
    assert kept[:, :1].sum() > 0 and (~kept[:, :1]).sum() > 0  # some units dropped, some kept
    np.testing.assert_array_equal(kept, np.repeat(kept[:, :1], 9, axis=1))  # the same at every step
    fresh = rnnlm.build_lstm_lm(vocab_size=40, embedding_dim=64, units=8, dropout=0.5)
    kept = np.asarray(fresh.get_layer("dropout_in")(x, training=True)) != 0
    assert (kept != kept[:, :1]).any()  # plain dropout draws a new mask at each step


def test_recurrent_dropout_and_weight_decay_reach_keras():
    model = rnnlm.build_lstm_lm(vocab_size=40, embedding_dim=8, units=8, dropout=0.0, recurrent_dropout=0.5)
    assert model.get_layer("lstm_0").cell.recurrent_dropout == 0.5
    x = np.random.default_rng(0).integers(0, 40, (2, 7)).astype("int32")
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model(x)))  # inference: no dropout
    assert not np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x)))
    steps.compile_language_model(model, 1e-3, weight_decay=0.3)
    assert model.optimizer.weight_decay == 0.3
    steps.compile_language_model(model, 1e-3)
    assert model.optimizer.weight_decay is None  # plain Adam


def test_recipe_options_override_hyper_parameters_and_refuse_unknown_names():
    from zoo.errors import InvalidInputError

    defaults = {"learning_rate": 3e-3, "batch_size": 32, "weight_decay": 0.0}
    hparams, settings = steps.language_model_options(
        {"units": 8, "dropout": 0.5}, defaults, {"units": 16, "recurrent_dropout": 0.25, "weight_decay": 0.3})
    assert hparams == {"units": 16, "dropout": 0.5, "recurrent_dropout": 0.25}
    assert settings == {"learning_rate": 3e-3, "batch_size": 32, "weight_decay": 0.3}
    with pytest.raises(InvalidInputError, match=r"unknown option\(s\) \['unitz'\].*known: .*units"):
        steps.language_model_options({"units": 8}, defaults, {"unitz": 16})


def test_stream_scoring_predicts_every_token_once_from_its_past():
    """Windows with burn-in give each token the probability the model assigns it after reading
    (a </s>-padded) past: the same as running over the whole stream when it is short."""
    model = rnnlm.build_lstm_lm(vocab_size=30, embedding_dim=6, units=8, dropout=0.0)
    stream = np.random.default_rng(0).integers(3, 30, 23).astype("int32")
    got = artifact.stream_log_probs(model, stream, start_token=2, window=5, burn_in=40)
    # reference: whole stream, preceded by the start token and the same padding
    inputs = np.concatenate([np.full(41, 2), stream[:-1]]).astype("int32")[None]
    lp = samplers.log_softmax(np.asarray(model(inputs)))[0, 40:]
    expected = lp[np.arange(len(stream)), stream]
    assert got.shape == (23,)
    np.testing.assert_allclose(got[:5], expected[:5], atol=1e-5)  # context fits in the burn-in


def test_bengio_model_shape_and_direct_connections():
    plain = ngram.build_ngram_lm(vocab_size=50, context=3, embedding_dim=4, hidden_units=6)
    direct = ngram.build_ngram_lm(vocab_size=50, context=3, embedding_dim=4, hidden_units=6, direct_connections=True)
    assert plain.output_shape == (None, 50)
    assert direct.count_params() - plain.count_params() == 3 * 4 * 50
    contexts, targets = ngram.context_target([np.array([5, 6, 7])], 3, words.Vocabulary(
        [words.UNK, words.BOS, words.EOS] + [f"w{i}" for i in range(5)]))
    np.testing.assert_array_equal(contexts, [[1, 1, 1], [1, 1, 5], [1, 5, 6], [5, 6, 7]])
    np.testing.assert_array_equal(targets, [5, 6, 7, 2])


def test_tokenisation_and_split(corpus):
    assert words.tokenize("First Citizen: Don't!") == ["first", "citizen", ":", "don", "'", "t", "!"]
    assert corpus.vocab.words[:3] == [words.UNK, words.BOS, words.EOS]
    assert len(corpus.train) + len(corpus.test) == corpus.sentences
    assert len(corpus.fit) + len(corpus.validation) == len(corpus.train)
    assert corpus.train[-1] == corpus.validation[-1]
    train_counts = {}
    for s in corpus.train:
        for w in s:
            train_counts[w] = train_counts.get(w, 0) + 1
    assert all(c >= 2 for w, c in train_counts.items() if w != words.UNK)


# ------------------------------------------------------------------ the artifacts


LM_ARTIFACTS = [n for n in lm_table.NEURAL_ARTIFACTS if n in registry.artifacts()]


@pytest.fixture(scope="module", params=LM_ARTIFACTS)
def art(request):
    return zoo.load(request.param)


def test_artifacts_are_registered():
    assert LM_ARTIFACTS == lm_table.NEURAL_ARTIFACTS


def test_score_and_unknown_words(art):
    text = "first citizen :\nbefore we proceed any further , hear me speak .\n"
    score = art.score(text)
    assert isinstance(score, Score) and score.unit == "word"
    assert 1 < score.perplexity < len(art.vocab) and score.unknown == {}
    result = art.score(text + "zyzzyva quux")
    assert result.unknown == {"zyzzyva": 1, "quux": 1} and result.unknown_count == 2
    assert result.tokens == 3 + 10 + 2 + 3  # each word, and one </s> per line
    assert result.bits_per_token == pytest.approx(result.nats_per_token / np.log(2))
    with pytest.warns(UserWarning, match="never seen .*zyzzyva"):
        art.next_tokens("zyzzyva the king", 3)
    with pytest.raises(zoo.InvalidInputError, match="empty"):
        art.score("   \n ")


def test_next_tokens(art):
    top = art.next_tokens("what is your", 5)
    assert len(top) == 5 and all(isinstance(w, str) for w, _ in top)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert art.next_tokens("my lord", 1)[0][0] in art.vocab
    with pytest.raises(zoo.InvalidInputError):
        art.next_tokens("my lord", 0)


def test_generate_is_repeatable_and_streams(art):
    pieces = []
    a = art.generate("first citizen :", 12, temperature=0.9, top_k=20, seed=3, stream=pieces.append)
    b = art.generate("first citizen :", 12, temperature=0.9, top_k=20, seed=3)
    assert a == b == "".join(pieces) and len(pieces) == 12
    greedy = art.generate("my lord", 4, temperature=0)
    first = art.next_tokens("my lord", 1)[0][0]
    assert greedy.split()[0] == first or greedy.startswith(first) or first == words.EOS
    assert words.UNK not in art.generate("the", 30, temperature=1.5, seed=0)
    assert art.generate("the", 30, top_p=1e-9, seed=0) == art.generate("the", 30, temperature=0)
    with pytest.raises(zoo.InvalidInputError):
        art.generate("the", 3, temperature=-1)
    (best, score), *_ = art.beam_search("my lord", 1, beam_size=3)
    assert best == greedy[:len(best)] and score == pytest.approx(np.log(art.next_tokens("my lord", 1)[0][1]))


def test_the_goals_hold():
    """The table's claims, from the registered metrics (re-measured by zoo eval in test_registry)."""
    metrics = {n: registry.artifacts()[n]["metrics"]["test_perplexity"] for n in LM_ARTIFACTS}
    corpus = words.load_corpus()
    rows = {r["model"]: r["test_perplexity"] for r in ngram.count_baselines(corpus, ngram.COUNT_BASELINES[1:3])}
    best_kn = min(rows.values())
    assert metrics["ngram-lm-shakespeare"] < rows["Kneser-Ney 3-gram"]
    assert metrics["gru-lm-shakespeare"] <= 0.8 * best_kn
    assert metrics["lstm-lm-shakespeare"] <= 0.65 * best_kn


def test_lm_table_results_follow_the_registry():
    """benchmarks/results/lm_table.json re-measured the registered models; after registering a
    language model again, `python benchmarks/lm_table.py` must be run again."""
    rows = {r["model"]: r for r in io.read_json(registry.REPO_ROOT / lm_table.LM_TABLE_RESULTS)["rows"]}
    for name in LM_ARTIFACTS:
        registered = registry.artifacts()[name]["metrics"]["test_perplexity"]
        assert math.isclose(rows[name]["test_perplexity"], registered, rel_tol=1e-3), \
            f"{name}: rerun python benchmarks/lm_table.py"


def test_cli_generate_words(cli):
    code, out1, _ = cli("generate", "ngram-lm-shakespeare", "--prompt", "good morrow", "--length", "6", "--seed", "2")
    code2, out2, _ = cli("generate", "ngram-lm-shakespeare", "--prompt", "good morrow", "--length", "6", "--seed", "2")
    assert code == code2 == 0 and out1 == out2 and out1.startswith("good morrow")


def test_finetune_writes_a_new_artifact(tmp_path):
    base = registry.packaged_folder("gru-lm-shakespeare")
    before = {p.name: io.sha256_file(p) for p in base.iterdir() if p.is_file()}
    text = tmp_path / "mine.txt"
    text.write_text("\n".join(["the king is dead , long live the king .",
                               "my lord , the queen hath sent for thee .",
                               "what news from rome ? the senate sits tonight ."] * 12) + "\nzyzzyva the end .\n")
    folder = zoo.finetune("gru-lm-shakespeare", text=text, epochs=1, out=tmp_path / "mine")
    tuned = zoo.load(folder)
    assert tuned.config["base_model"]["name"] == "gru-lm-shakespeare"
    assert tuned.config["finetuned_on"][0]["sha256"] == io.sha256_file(text)
    # the held-out last 4 lines hold one word the base never saw ("zyzzyva", seen once: still <UNK>)
    run = tuned.config["finetune"]
    assert run["before"]["held_out_unknown_share"] == run["after"]["held_out_unknown_share"] == pytest.approx(1 / 38)
    assert tuned.vocab.words == zoo.load("gru-lm-shakespeare").vocab.words  # no new word seen twice
    assert "gru-lm-shakespeare" in tuned.card and io.sha256_file(text) in tuned.card
    assert before == {p.name: io.sha256_file(p) for p in base.iterdir() if p.is_file()}
    with pytest.raises(zoo.InvalidInputError, match="does not exist"):
        zoo.finetune("gru-lm-shakespeare", text=tmp_path / "missing.txt", epochs=1, out=tmp_path / "x")
