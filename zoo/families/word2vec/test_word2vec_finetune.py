"""Fine-tuning word vectors (skipgram-shakespeare, cbow-shakespeare): `zoo finetune NAME --text F`
grows the vocabulary exactly as gensim's build_vocab(update=True) does, keeps the old rows and
trains them on, agrees with gensim's own update, records its lineage, and leaves the base alone.
Smoke-sized: the bases are smoke runs of the recipes, the new text a slice of gensim's Lee corpus
(news stories, full of words Shakespeare never used). benchmarks/finetune_word2vec.py measures
the agreement with gensim at full scale."""

import copy

import numpy as np
import pytest

import zoo
from zoo import cards, io
from zoo.families.word2vec import gensim_bridge, steps
from zoo.families.word2vec import data as w2v_data
from zoo.families.word2vec import model as w2v

@pytest.fixture(scope="module")
def skipgram_base(tmp_path_factory):
    """A smoke run of the recipe (30,000 characters of tinyshakespeare, one epoch)."""
    return zoo.train("skipgram-shakespeare", out=tmp_path_factory.mktemp("bases") / "skipgram-smoke", smoke=True)


@pytest.fixture(scope="module")
def cbow_base(tmp_path_factory):
    return zoo.train("cbow-shakespeare", out=tmp_path_factory.mktemp("bases") / "cbow-smoke", smoke=True)


def lee_text(path, first: int, last: int):
    """Stories first..last of gensim's Lee corpus as a user's text file, one story per paragraph."""
    lines = w2v_data.lee_path().read_text(encoding="utf-8").splitlines()[first:last]
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def folder_hashes(folder):
    return {p.name: io.sha256_file(p) for p in folder.iterdir() if p.is_file()}


def test_vocabulary_grows_as_gensims_update(tmp_path):
    """Vocabulary.updated reproduces gensim 4's build_vocab(update=True): the new words and their
    order, every count, the sub-sampling probabilities and the noise distribution."""
    base = list(w2v_data.corpus("tinyshakespeare", max_chars=30_000))
    new = list(w2v_data.TextCorpus(lee_text(tmp_path / "lee.txt", 0, 60)))
    model = gensim_bridge.gensim_word2vec(base, "skipgram", seed=1, epochs=1)
    reference = copy.deepcopy(model)
    reference.build_vocab(new, update=True)

    vocab, keep, new_words = w2v_data.Vocabulary.scan(base, 5).updated(new, 5, 1e-3)
    assert len(new_words) > 100 and vocab.words == reference.wv.index_to_key
    assert vocab.words[-len(new_words):] == new_words
    np.testing.assert_array_equal(vocab.counts, [reference.wv.get_vecattr(w, "count") for w in vocab.words])
    theirs = np.array([reference.wv.get_vecattr(w, "sample_int") for w in vocab.words]) / 2**32
    np.testing.assert_allclose(keep, np.minimum(theirs, 1.0), atol=1e-8)
    cum = reference.cum_table.astype("float64")
    np.testing.assert_allclose(vocab.noise_distribution(0.75), np.diff(cum, prepend=0) / cum[-1], atol=1e-8)


def test_continued_model_starts_from_the_old_vectors():
    old = w2v.build_cbow(6, 4, window=2, negative=2)
    old.get_layer("output_vectors").embeddings.assign(np.ones((6, 4), "float32"))
    before = [np.array(w) for w in old.get_weights()]
    grown = w2v.build_cbow(9, 4, window=2, negative=2)
    w2v.copy_vectors(old, grown)
    inp, out = (np.asarray(grown.get_layer(n).embeddings) for n in ("input_vectors", "output_vectors"))
    np.testing.assert_array_equal(inp[:6], before[0])
    np.testing.assert_array_equal(out[:6], 1.0)
    assert np.all(out[6:] == 0) and np.all(np.abs(inp[6:]) <= 1 / 4) and np.any(inp[6:] != 0)
    assert all(np.array_equal(a, b) for a, b in zip(before, old.get_weights()))  # the source is only read
    with pytest.raises(zoo.InvalidInputError, match="cannot continue"):
        w2v.copy_vectors(grown, old)


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_finetune_grows_vocabulary_and_leaves_base_alone(architecture, request, tmp_path):
    base_folder = request.getfixturevalue(f"{architecture}_base")
    base = zoo.load(base_folder)
    base_files = folder_hashes(base_folder)
    text = lee_text(tmp_path / "news.txt", 0, 60)

    out = zoo.finetune(base_folder, text=text, epochs=3, out=tmp_path / "mine")
    tuned = zoo.load(out)
    wv = tuned.wv
    n_old = len(base.vocab)
    new_words = tuned.vocab.words[n_old:]
    assert tuned.vocab.words[:n_old] == base.vocab.words and len(new_words) > 200
    assert {"australia", "government", "police"} <= set(new_words) and "australia" not in base.wv.key_to_index
    assert len(wv.most_similar("australia", topn=5)) == 5
    # Old rows keep training where the text uses the word, and are left as they were where it does not.
    sentences = list(w2v_data.TextCorpus(text))
    seen = {t for s in sentences for t in s}
    unused = [w for w in base.vocab.words if w not in seen]
    assert unused and "the" in seen
    np.testing.assert_array_equal(wv[unused], base.wv[unused])
    assert not np.allclose(wv["the"], base.wv["the"])
    # It learns what gensim's own update learns, about as well as gensim agrees with itself
    # (the fast version of benchmarks/finetune_word2vec.py: smoke base, 3 epochs, 2 gensim seeds).
    hp = {k: base.config["hparams"][k] for k in w2v.DEFAULTS}
    study = gensim_bridge.update_study(steps.shakespeare_sentences(True), sentences, architecture, hp, wv,
                                       new_words, seeds=(1, 2), epochs=3)
    assert study["spearman"]["ratio"] >= 0.8, study["spearman"]

    run = tuned.config["finetune"]
    assert run["after"]["vocabulary_words"] == len(tuned.vocab) > run["before"]["vocabulary_words"] == n_old
    assert run["after"]["text_coverage"] > run["before"]["text_coverage"] + 0.2
    assert run["after"]["new_words_agreement_spearman_vs_gensim_update_seed1"] > 0.5
    assert run["command"] == f"zoo finetune {base.name} --text news.txt --epochs 3 --out {tmp_path / 'mine'} -o seed=0"
    assert tuned.config["base_model"]["name"] == base.name
    assert tuned.config["base_model"]["model_sha256"] == base_files["model.weights.h5"]
    assert tuned.config["finetuned_on"] == [{"file": "news.txt", "sha256": io.sha256_file(text),
                                             "bytes": text.stat().st_size}]
    assert f"**{base.name}**" in tuned.card and "## Fine-tuned from" in tuned.card
    assert "base_model" not in cards.read_front_matter(tuned.card)  # a zoo name is no Hub id
    assert zoo.info(str(out))["lineage"].startswith(f"mine <- {base.name};")
    back = tuned.export(tmp_path / "vectors.txt")  # the artifact's API works with the new words
    assert "australia" in back.read_text(encoding="utf-8")
    assert folder_hashes(base_folder) == base_files
    # Its metrics are the base's, on the base's corpus: `zoo eval DIR` re-measures them all.
    assert all(row["ok"] for row in zoo.evaluate(out).values())


def test_finetune_again_from_the_cli(cli, skipgram_base, tmp_path):
    base_folder = skipgram_base
    first = zoo.finetune(base_folder, text=lee_text(tmp_path / "a.txt", 0, 40), epochs=1, out=tmp_path / "first")
    code, printed, _ = cli("finetune", str(first), "--text", str(lee_text(tmp_path / "b.txt", 40, 80)),
                           "--epochs", "1", "--out", str(tmp_path / "second"), "-o", "batch_size=1024")
    assert code == 0 and "second" in printed
    second = zoo.load(tmp_path / "second")
    assert len(second.vocab) > len(zoo.load(first).vocab)
    assert second.config["finetune"]["command"].endswith(f"--out {tmp_path / 'second'} -o batch_size=1024 -o seed=0")
    assert zoo.info(str(tmp_path / "second"))["lineage"].startswith(f"second <- first <- {zoo.load(base_folder).name};")
    # no gensim twin for a base that was itself fine-tuned: the agreement is not claimed
    assert not any(k.startswith("new_words_agreement") for k in second.config["finetune"]["after"])


def test_bad_text_is_refused_before_anything_is_written(cli, skipgram_base, tmp_path):
    base_folder = skipgram_base
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    short = tmp_path / "short.txt"
    short.write_text("the king is dead, long live the king. " * 20, encoding="utf-8")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Bient\xf4t l'\xe9t\xe9 ".encode("latin-1") * 500)
    for path, message in ((tmp_path / "missing.txt", "does not exist"), (empty, "holds 0 words"),
                          (short, "needs at least 1,000"), (latin1, "not UTF-8")):
        out = tmp_path / f"out-{path.stem}"
        with pytest.raises(zoo.InvalidInputError, match=message) as error:
            zoo.finetune(base_folder, text=path, out=out)
        assert "\n" not in str(error.value) and not out.exists()
    code, _, err = cli("finetune", str(base_folder), "--text", str(short), "--out", str(tmp_path / "o"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    with pytest.raises(zoo.InvalidInputError, match="no option learning_rate"):
        zoo.finetune(base_folder, text=short, out=tmp_path / "o", learning_rate=0.1)
    with pytest.raises(zoo.InvalidInputError, match="fine-tunes on --text"):
        zoo.finetune(base_folder, pairs=short, out=tmp_path / "o")
