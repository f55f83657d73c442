"""Fine-tuning the word-level language models (ngram-lm, gru-lm, lstm-lm) on a user's text: new
words join the vocabulary (old predictions kept), the held-out text gets likelier, lineage in
config, card and `zoo info`, the base untouched, and the new artifact evaluates and fine-tunes
again. Smoke-trained bases keep every step small (benchmarks/finetune_lm.py measures the
pretrained ones)."""

from types import SimpleNamespace

import numpy as np
import pytest
from gensim.test.utils import datapath

import zoo
from zoo import cards, io, registry
from zoo.families.word_lm import steps, words
from zoo.errors import ZooError

SMOKE = {"ngram-lm": ("ngram-lm-shakespeare", "recipes.ngram_lm_shakespeare"),
         "gru-lm": ("gru-lm-shakespeare", "recipes.gru_lm_shakespeare"),
         "lstm-lm": ("lstm-lm-shakespeare", "recipes.lstm_lm_shakespeare")}


def lee_text(path, lines: int = 30):
    """The first `lines` stories of gensim's Lee corpus (Australian news): many words
    Shakespeare never used ("sydney", "australia", "government")."""
    stories = open(datapath("lee_background.cor"), encoding="utf-8").read().splitlines()[:lines]
    path.write_text("\n".join(stories) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def smoke_bases(tmp_path_factory):
    """Smoke-trained ngram-lm and gru-lm (tinyshakespeare's first 2,000 lines, one epoch)."""
    folder = tmp_path_factory.mktemp("bases")
    return {arch: zoo.train(SMOKE[arch][0], smoke=True, out=folder / arch) for arch in ("ngram-lm", "gru-lm")}


@pytest.mark.parametrize("architecture,tied", [("ngram-lm", False), ("gru-lm", True), ("lstm-lm", True),
                                                ("lstm-lm", False)])
def test_growing_the_vocabulary_keeps_every_old_prediction(architecture, tied):
    import importlib

    recipe = importlib.import_module(SMOKE[architecture][1])
    hparams = dict(recipe.SMOKE_HPARAMS)
    if architecture != "ngram-lm":
        hparams["tie_embeddings"] = tied
    model = steps.build_word_model(architecture, hparams, 40)
    bigger = steps.grow_vocabulary(model, steps.build_word_model(architecture, hparams, 45), seed=0)
    ids = np.random.default_rng(0).integers(0, 40, (3, hparams.get("context", 7)))
    old, new = np.asarray(model(ids)), np.asarray(bigger(ids))
    # old words' logits are unchanged; the new words start rarer than every old word
    np.testing.assert_allclose(new[..., :40], old, atol=1e-5)
    if not tied:  # zero output weights: each new word's logit is the lowest old bias
        output = "U" if architecture == "ngram-lm" else "logits"
        np.testing.assert_allclose(new[..., 40:], model.get_layer(output).get_weights()[-1].min(), atol=1e-6)
    embedding = "C" if architecture == "ngram-lm" else "embedding"
    grown, kept = bigger.get_layer(embedding).get_weights()[0], model.get_layer(embedding).get_weights()[0]
    np.testing.assert_array_equal(grown[:40], kept)
    assert grown.shape == (45, kept.shape[1]) and 0 < np.abs(grown[40:]).mean() < 5 * np.abs(kept).mean()


@pytest.mark.parametrize("architecture", ["ngram-lm", "gru-lm"])
def test_finetune_learns_new_words_and_leaves_base_alone(smoke_bases, architecture, tmp_path):
    base_folder, name = smoke_bases[architecture], SMOKE[architecture][0]
    base = zoo.load(base_folder)
    base_files = {p.name: io.sha256_file(p) for p in base_folder.iterdir()}
    text = lee_text(tmp_path / "news.txt")
    # the smoke GRU is small and barely trained: it needs more, faster steps to learn in two epochs
    options = {"learning_rate": 3e-3} if architecture == "ngram-lm" else {"learning_rate": 1e-2, "batch_size": 4}
    out = zoo.finetune(base_folder, text=text, epochs=2, out=tmp_path / "news", **options)

    tuned = zoo.load(out)
    sents = words.sentences(text.read_text(encoding="utf-8"))
    fit_part, held_out = sents[:27], sents[27:]
    # the base's words first, then every word the trained-on part holds twice that the base lacked
    assert tuned.vocab.words[:len(base.vocab)] == base.vocab.words
    added = tuned.vocab.words[len(base.vocab):]
    assert added == steps.new_words(fit_part, base.vocab, 2) and "sydney" in added
    assert "sydney" not in base.vocab and not set(added) & set(base.vocab.words)
    assert (out / "vocab.txt").read_text(encoding="utf-8").split("\n") == tuned.vocab.words
    assert tuned.config["vocabulary"]["size"] == tuned.config["hparams"]["vocab_size"] == len(tuned.vocab)
    assert "sydney" not in tuned.score("the fire near sydney\n").unknown
    assert "sydney" in base.score("the fire near sydney\n").unknown

    # it learned: the same held-out targets (the base's words) got likelier, fewer tokens are <UNK>
    run = tuned.config["finetune"]
    before, after = run["before"], run["after"]
    assert after["held_out_perplexity_on_base_words"] < before["held_out_perplexity_on_base_words"]
    assert after["held_out_unknown_share"] < before["held_out_unknown_share"]
    unknown = sum(w not in base.vocab for s in held_out for w in s)
    assert before["held_out_unknown_share"] == pytest.approx(unknown / sum(len(s) + 1 for s in held_out))
    assert before["shakespeare_test_perplexity"] == base.metrics["test_perplexity"]
    assert after["shakespeare_test_perplexity"] == tuned.metrics["test_perplexity"]
    assert f"{len(added)} new words" in run["summary"]

    # lineage in config, card and zoo info; the base untouched
    assert run["command"].startswith(f"zoo finetune {name} --text news.txt --epochs 2 --out {tmp_path / 'news'}")
    assert tuned.config["base_model"]["name"] == name
    assert tuned.config["base_model"]["model_sha256"] == base_files["model.weights.h5"]
    assert tuned.config["finetuned_on"] == [{"file": "news.txt", "sha256": io.sha256_file(text),
                                             "bytes": text.stat().st_size}]
    assert f"**{name}**" in tuned.card and added[0] in tuned.card
    assert "base_model" not in cards.read_front_matter(tuned.card)  # a zoo name is no Hub id
    assert zoo.info(str(out))["lineage"].startswith(f"news <- {name};")
    assert {p.name: io.sha256_file(p) for p in base_folder.iterdir()} == base_files

    # its metrics are on the base's Shakespeare split: `zoo eval DIR` re-measures them
    assert all(row["ok"] for row in zoo.evaluate(out).values())
    # and it fine-tunes again (default epochs), growing no further when no new word comes (the
    # first 15 stories hold no word twice that the first 27 did not)
    again = zoo.finetune(out, text=lee_text(tmp_path / "more.txt", 15), out=tmp_path / "again")
    twice = zoo.load(again)
    assert twice.vocab.words == tuned.vocab.words and twice.config["finetune"]["epochs"] == 1
    assert twice.config["base_model"]["ancestors"] == [name]
    assert all(row["ok"] for row in zoo.evaluate(again).values())


def test_evaluate_refuses_a_vocabulary_that_is_not_the_datas():
    corpus_vocab = words.load_corpus(smoke=True).vocab
    grown = SimpleNamespace(name="x", config={"dataset": {"smoke": True}},
                            vocab=words.Vocabulary(corpus_vocab.words + ["sydney"]))
    assert steps.reference_corpus(grown).vocab.words == corpus_vocab.words
    shifted = [words.UNK, words.BOS, words.EOS, "sydney", *corpus_vocab.words[3:]]  # old ids moved
    other = SimpleNamespace(name="x", config={"dataset": {"smoke": True}}, vocab=words.Vocabulary(shifted))
    with pytest.raises(ZooError, match="vocabulary differs"):
        steps.reference_corpus(other)


@pytest.mark.parametrize("name", ["ngram-lm-shakespeare", "lstm-lm-shakespeare"])
def test_bad_text_gives_one_line_errors_and_writes_nothing(name, tmp_path):
    base = registry.packaged_folder(name)
    base_files = {p.name: io.sha256_file(p) for p in base.iterdir()}
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 na\xefve\n".encode("latin-1"))
    (tmp_path / "lines.txt").write_text("one short line of words only\n" * 5, encoding="utf-8")
    (tmp_path / "short.txt").write_text("a few words .\n" * 12, encoding="utf-8")
    news = lee_text(tmp_path / "news.txt", 12)
    cases = [({"text": tmp_path / "missing.txt"}, "does not exist"), ({"text": tmp_path / "empty.txt"}, "empty"),
             ({"text": tmp_path / "latin1.txt"}, "not UTF-8"), ({"text": tmp_path / "lines.txt"}, "at least 10 lines"),
             ({"text": tmp_path / "short.txt"}, "longer text"),
             ({"text": news, "min_count": 0}, "min_count must be a whole number >= 1"),
             ({"text": news, "learning_rate": "fast"}, "learning_rate must be a number"),
             ({"text": news, "window": 3}, "has no option window")]
    for kwargs, message in cases:
        with pytest.raises(zoo.InvalidInputError, match=message) as error:
            zoo.finetune(name, epochs=1, out=tmp_path / "out", **kwargs)
        assert "\n" not in str(error.value)
        assert not (tmp_path / "out").exists()
    assert {p.name: io.sha256_file(p) for p in base.iterdir()} == base_files


def test_cli_finetune(smoke_bases, cli, tmp_path):
    text = lee_text(tmp_path / "news.txt", 20)
    code, printed, _ = cli("finetune", str(smoke_bases["ngram-lm"]), "--text", str(text), "--out",
                           str(tmp_path / "mine"), "-o", "min_count=3")
    assert code == 0 and "fine-tuned artifact written to" in printed
    tuned = zoo.load(tmp_path / "mine")
    assert tuned.config["finetune"]["options"]["min_count"] == 3
    assert tuned.config["finetune"]["epochs"] == 1  # the recipe's default
    code, _, err = cli("finetune", str(smoke_bases["ngram-lm"]), "--text", str(tmp_path / "nope.txt"),
                       "--out", str(tmp_path / "never"))
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()
