"""word2vec (skip-gram, CBOW) against gensim: the pipeline reproduces gensim's sampling rules, the
models compute what they claim, Keras agrees with gensim about as well as gensim agrees with
itself, and the pretrained artifacts serve a working gensim KeyedVectors."""

import numpy as np
import pytest

import keras
import zoo
from zoo.families.word2vec import gensim_bridge
from zoo.families.word2vec import data as w2v_data
from zoo.families.word2vec import model as w2v

SENTENCES = [["the", "king", "is", "dead"], ["long", "live", "the", "king"], ["the", "queen"],
             ["the", "king", "and", "the", "queen"], ["a", "b"]] * 20


@pytest.fixture(scope="module")
def lee():
    return list(w2v_data.corpus("lee"))


# ------------------------------------------------------------------------------- pipeline


def test_tokenize_keeps_inner_apostrophes_and_drops_the_rest():
    assert w2v_data.tokenize("O'er the King's crown, I'll say: 42 hello-world!") == \
        ["o'er", "the", "king's", "crown", "i'll", "say", "hello", "world"]


def test_text_corpus_units(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("First line here.\nSecond line.\n\nNew speech.\n", encoding="utf-8")
    assert list(w2v_data.TextCorpus(path)) == [["first", "line", "here", "second", "line"], ["new", "speech"]]
    assert list(w2v_data.TextCorpus(path, "line")) == [["first", "line", "here"], ["second", "line"], ["new", "speech"]]
    assert list(w2v_data.corpus(str(path))) == list(w2v_data.TextCorpus(path))


def test_corpus_errors(tmp_path):
    with pytest.raises(zoo.InvalidInputError, match="one-shot iterator"):
        w2v_data.corpus(iter(SENTENCES))
    with pytest.raises(zoo.InvalidInputError, match="token lists"):
        list(w2v_data.corpus(["a plain string, not a token list"]))
    with pytest.raises(zoo.InvalidInputError, match="neither"):
        w2v_data.corpus(str(tmp_path / "missing.txt"))
    with pytest.raises(zoo.InvalidInputError, match="min_count"):
        w2v_data.Vocabulary.scan([["rare"]], min_count=5)


def test_vocabulary_subsampling_and_noise_match_gensim(lee):
    from gensim.models import Word2Vec

    vocab = w2v_data.Vocabulary.scan(lee, min_count=5)
    reference = Word2Vec(min_count=5, sample=1e-3, ns_exponent=0.75)
    reference.build_vocab(lee)
    assert vocab.words == reference.wv.index_to_key
    np.testing.assert_array_equal(vocab.counts, [reference.wv.get_vecattr(w, "count") for w in vocab.words])
    theirs = np.array([reference.wv.get_vecattr(w, "sample_int") for w in vocab.words]) / 2**32
    np.testing.assert_allclose(vocab.keep_probabilities(1e-3), np.minimum(theirs, 1.0), atol=1e-8)
    cum = reference.cum_table.astype("float64")
    np.testing.assert_allclose(vocab.noise_distribution(0.75), np.diff(cum, prepend=0) / cum[-1], atol=1e-8)


def _reference_windows(ids, sids, effective):
    """gensim's loops, one position at a time: centre i, context j with |i-j| <= effective[i]."""
    pairs, cbow = [], []
    for i in range(len(ids)):
        context = [j for j in range(i - effective[i], i + effective[i] + 1)
                   if j != i and 0 <= j < len(ids) and sids[j] == sids[i]]
        pairs += [(ids[j], ids[i]) for j in context]
        if context:
            cbow.append((sorted(ids[j] for j in context), ids[i]))
    return sorted(pairs), cbow


def test_vectorised_windows_equal_gensims_loops():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, 400).astype("int32")
    sids = np.sort(rng.integers(0, 30, 400))
    effective = rng.integers(1, 6, 400)
    pairs, cbow = _reference_windows(ids, sids, effective)
    inputs, outputs = w2v_data.skipgram_pairs(ids, sids, effective, window=5)
    assert sorted(zip(inputs.tolist(), outputs.tolist())) == [(int(a), int(b)) for a, b in pairs]
    context, mask, centres = w2v_data.cbow_examples(ids, sids, effective, window=5)
    assert len(centres) == len(cbow)
    for row, m, centre, (want_context, want_centre) in zip(context, mask, centres, cbow):
        assert centre == want_centre and sorted(row[m > 0].tolist()) == want_context


def test_subsampling_rate_and_dynamic_window():
    rng = np.random.default_rng(1)
    ids = np.zeros(200_000, dtype="int32")
    ids[::2] = 1
    keep_prob = np.array([0.2, 1.0])
    kept, _, effective = w2v_data.subsample_and_windows(ids, np.zeros_like(ids), keep_prob, 5, rng)
    assert np.mean(kept == 0) == pytest.approx(0.2 / 1.2, abs=0.01)  # word 0 kept 20% of the time
    assert set(np.unique(effective)) == {1, 2, 3, 4, 5}
    assert np.mean(effective) == pytest.approx(3.0, abs=0.05)


def test_negative_sampling_follows_the_noise_distribution():
    p = np.random.default_rng(2).random(40) ** 3
    p /= p.sum()
    rng = np.random.default_rng(3)
    outputs = np.full(100_000, 7, dtype="int32")
    draws = w2v_data.draw_negatives(outputs, w2v_data.alias_table(p), 5, rng)
    assert draws.shape == (100_000, 5) and draws.dtype == np.int32
    assert np.mean(draws == 7) < 1e-3 * p[7] + 1e-4  # the true word is (almost) never a negative
    freq = np.bincount(draws.ravel(), minlength=40) / draws.size
    want = p.copy()
    want[7] = 0
    want /= want.sum()
    np.testing.assert_allclose(freq, want, atol=0.003)


def test_stream_gives_fixed_size_batches():
    vocab = w2v_data.Vocabulary.scan(SENTENCES, min_count=5)
    for architecture in ("skipgram", "cbow"):
        stream = w2v_data.ExampleStream(SENTENCES, vocab, architecture=architecture, window=2, negative=3,
                                   sample=0, ns_exponent=0.75, batch_size=16, seed=0, chunk_tokens=10)
        batches = iter(stream)
        for _ in range(30):  # more than one pass over the corpus
            x, y = next(batches)
            assert x["targets"].shape == (16, 4) and y.shape == (16, 4)
            assert (y[:, 0] == 1).all() and (y[:, 1:] == 0).all()
            assert x["targets"].max() < len(vocab)
        if architecture == "cbow":
            assert x["context"].shape == (16, 4) and (x["context_mask"].sum(axis=1) >= 1).all()


# ------------------------------------------------------------------------------- models


def test_skipgram_scores_are_dot_products():
    model = zoo.build("skipgram", vocab_size=20, vector_size=8, negative=3)
    inp = np.random.default_rng(0).normal(size=(20, 8)).astype("float32")
    out = np.random.default_rng(1).normal(size=(20, 8)).astype("float32")
    model.get_layer("input_vectors").set_weights([inp])
    model.get_layer("output_vectors").set_weights([out])
    word = np.array([1, 5], dtype="int32")
    targets = np.array([[2, 3, 4, 5], [0, 1, 19, 7]], dtype="int32")
    logits = np.asarray(model({"word": word, "targets": targets}))
    np.testing.assert_allclose(logits, np.einsum("bd,bkd->bk", inp[word], out[targets]), rtol=1e-5)
    # gensim's initialisation: input uniform in +-1/size (as its prep_vectors), output zero
    from gensim.models.keyedvectors import prep_vectors

    fresh = zoo.build("skipgram", vocab_size=500, vector_size=10)
    ours = fresh.get_layer("input_vectors").get_weights()[0]
    theirs = prep_vectors((500, 10), seed=1)
    assert np.abs(ours).max() <= 0.1 and np.abs(theirs).max() <= 0.1
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.1)  # both 0.1 / sqrt(3) = 0.058
    assert not fresh.get_layer("output_vectors").get_weights()[0].any()


def test_cbow_mean_forward_sum_backward():
    import tensorflow as tf

    layer = w2v.ContextMean()
    vectors = tf.Variable(np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32"))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype="float32")
    with tf.GradientTape() as tape:
        out = layer([vectors, mask])
        total = tf.reduce_sum(out)
    np.testing.assert_allclose(out.numpy(), (vectors.numpy() * mask[..., None]).sum(1) / mask.sum(1, keepdims=True),
                               rtol=1e-6)
    # word2vec.c and gensim give every context word the full error, not 1/n of it
    np.testing.assert_allclose(tape.gradient(total, vectors).numpy(), np.repeat(mask[..., None], 3, -1))


def test_build_rejects_bad_sizes():
    with pytest.raises(zoo.InvalidInputError, match="vector_size"):
        zoo.build("skipgram", vector_size=0)
    with pytest.raises(zoo.InvalidInputError, match="window"):
        zoo.build("cbow", window=0)


# ------------------------------------------------------------------------------- against gensim


def test_gensim_reference_is_deterministic(lee):
    a = gensim_bridge.gensim_word2vec(lee[:100], "skipgram", seed=1, workers=1, epochs=1).wv
    b = gensim_bridge.gensim_word2vec(lee[:100], "skipgram", seed=1, workers=1, epochs=1).wv
    np.testing.assert_array_equal(a.vectors, b.vectors)


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_keras_agrees_with_gensim_like_gensim_with_itself(lee, architecture):
    """The fast version of benchmarks/word2vec_agreement.py: Lee corpus, 5 epochs, 2 gensim seeds."""
    study = gensim_bridge.agreement_study(lee, architecture, {"epochs": 5}, seeds=(1, 2))
    assert study["spearman"]["gensim_vs_gensim"] > 0.8
    assert study["spearman"]["ratio"] >= 0.9, study["spearman"]
    assert study["top10_overlap"]["ratio"] >= 0.7, study["top10_overlap"]


def test_epoch_divides_into_whole_calls():
    """Keras runs whole calls of steps_per_execution steps: an epoch that did not divide into them
    would train more steps than the learning-rate schedule counts (34 at 4 a call ran 36)."""
    assert w2v.epoch_steps(34 * 4096, 4096) == (34, 34)
    assert w2v.epoch_steps(179 * 4096, 4096) == (180, 60)
    assert w2v.epoch_steps(10, 4096) == (1, 1)
    for examples in range(1, 400_000, 7919):
        steps, per_call = w2v.epoch_steps(examples, 1024)
        assert steps % per_call == 0 and 1 <= per_call <= 64
        assert abs(steps - examples / 1024) <= per_call / 2 + 0.5


def test_training_runs_the_scheduled_steps(lee):
    result = w2v.train_word2vec(lee[:150], "cbow", epochs=2, batch_size=64, verbose=0)
    assert result.steps % 2 == 0 and result.steps // 2 > 64  # more than one call an epoch
    assert int(result.model.optimizer.iterations.numpy()) == result.steps


def test_training_rejects_unknown_options(lee):
    with pytest.raises(zoo.InvalidInputError, match="windw"):
        w2v.train_word2vec(lee, "skipgram", windw=3)
    with pytest.raises(zoo.InvalidInputError, match="architecture"):
        w2v.train_word2vec(lee, "glove")


# ------------------------------------------------------------------------------- artifacts


@pytest.fixture(scope="module")
def skipgram():
    return zoo.load("skipgram-shakespeare")


def test_pretrained_is_gensim_keyed_vectors(skipgram):
    from gensim.models import KeyedVectors

    wv = skipgram.wv
    assert isinstance(wv, KeyedVectors) and wv.vector_size == 100
    # Shakespearean neighbours: the queens of the histories, Juliet, Coriolanus's Rome
    assert {"margaret", "elizabeth"} & {w for w, _ in wv.most_similar("queen", topn=3)}
    assert "juliet" in [w for w, _ in wv.most_similar("romeo", topn=3)]
    roman = {"marcius", "senators", "patricians", "romans", "volsces", "capitol", "aufidius", "coriolanus",
             "cominius", "menenius", "tribunes", "citizens"}
    assert len(roman & {w for w, _ in wv.most_similar("rome", topn=10)}) >= 3
    assert -1 <= wv.similarity("king", "queen") <= 1
    assert len(wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)) == 3
    assert wv.get_vecattr("king", "count") > 100
    np.testing.assert_allclose(wv["king"], skipgram.model.get_layer("input_vectors").get_weights()[0][wv.key_to_index["king"]])


def test_export_word2vec_formats(skipgram, tmp_path):
    from gensim.models import KeyedVectors

    for binary in (False, True):
        path = skipgram.export(tmp_path / f"v.{'bin' if binary else 'txt'}", binary=binary)
        back = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert back.index_to_key == skipgram.wv.index_to_key
        np.testing.assert_allclose(back.vectors, skipgram.wv.vectors, atol=1e-5 if not binary else 0)


@pytest.mark.parametrize("name", ["skipgram-shakespeare", "cbow-shakespeare"])
def test_artifact_records_validation(name):
    art = zoo.load(name)
    for study in art.config["validation"].values():
        assert set(study) >= {"spearman", "top10_overlap", "quality"}
    assert "Validation against gensim" in art.card and "word_map.png" in art.card
    assert art.config["metrics"]["agreement_spearman_vs_gensim_seed1"] > 0.8


def test_similar_and_close_spellings(skipgram, cli):
    assert skipgram.similar("KING", topn=3) == skipgram.wv.most_similar("king", topn=3)
    with pytest.raises(zoo.InvalidInputError, match="Close spellings in the vocabulary: king"):
        skipgram.similar("kingg")
    code, out, _ = cli("similar", "skipgram-shakespeare", "king", "--topn", "4")
    assert code == 0 and len(out.strip().splitlines()) == 4
    code, _, err = cli("similar", "skipgram-shakespeare", "qeen")
    assert code == 2 and "queen" in err and "not in the vocabulary" in err
    code, _, err = cli("similar", "mlp-xor", "king")
    assert code == 2 and "not a word2vec model" in err


# ------------------------------------------------------------------------------- the README's example


def readme_block(calling: str) -> str:
    """The README's Python block that calls `calling`, as written."""
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")  # the repository's
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    [block] = [b for b in blocks if calling in b]
    return block


def test_the_readmes_training_example_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    block = readme_block("train_word2vec(")
    from zoo import data

    words = data.read_text("tinyshakespeare").split()

    # 244 words: one line before any training (it crashed in epoch 3 with a TensorFlow graph error)
    (tmp_path / "my.txt").write_text(" ".join(words[:244]), encoding="utf-8")
    training_part = block[block.index("from zoo.families.word2vec import model as word2vec"):]
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: pytest.fail("trained on a text too small"))
    with pytest.raises(zoo.InvalidInputError, match="too small to train word vectors") as error:
        exec(training_part, {"zoo": zoo})
    assert "\n" not in str(error.value) and "244 words" in str(error.value)
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)

    # a few thousand words: the whole block runs, and the result has word vectors as gensim's
    (tmp_path / "my.txt").write_text(" ".join(words[:3000]), encoding="utf-8")
    namespace = {"zoo": zoo}
    exec(block, namespace)
    wv = namespace["result"].wv
    assert len(wv) == len(namespace["result"].vocab) and len(wv.most_similar(wv.index_to_key[0])) == 10
