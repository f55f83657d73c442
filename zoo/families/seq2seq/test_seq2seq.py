"""seq2seq: the date generator against Python's own date parsing, the inference models against
the training model, beam search against brute force, the recipe (dates and a TSV of pairs) in
smoke mode, bad input, the CLI verb, and the pretrained seq2seq-dates artifact."""

import datetime
import itertools
import re

import numpy as np
import pytest

import zoo
from zoo import registry, samplers
from zoo.families.seq2seq import dates
from zoo.families.seq2seq import model as seq2seq
from zoo.families.seq2seq import vocab as s2s_vocab
from zoo.families.seq2seq.artifact import Decoder, Seq2Seq

# strptime formats that read the same text as the generator's formats (the ground truth check).
STRPTIME = {
    "d mon yyyy": "%d %b %Y", "d month yyyy": "%d %B %Y", "D MON YYYY": "%d %b %Y",
    "month d, yyyy": "%B %d, %Y", "mon d, yyyy": "%b %d, %Y", "weekday, month d, yyyy": "%A, %B %d, %Y",
    "wkd d mon yyyy": "%a %d %b %Y", "d-mon-yyyy": "%d-%b-%Y", "m/d/yyyy": "%m/%d/%Y", "mm/dd/yy": "%m/%d/%y",
    "dd.mm.yyyy": "%d.%m.%Y", "dd.mm.yy": "%d.%m.%y", "yyyy-mm-dd": "%Y-%m-%d", "yyyy/mm/dd": "%Y/%m/%d",
    "yyyymmdd": "%Y%m%d",
}


# ----------------------------------------------------------------------------- the data


def test_generator_matches_python_date_parsing():
    examples = dates.make_test_set(20, seed=3) + dates.make_examples(400, "train", seed=4)
    seen = set()
    for source, target, name in examples:
        seen.add(name)
        if name in STRPTIME:
            parsed = datetime.datetime.strptime(source, STRPTIME[name]).date()
            if dates.two_digit_year(name):  # strptime's %y pivots at 69; the generator at 50
                parsed = parsed.replace(year=parsed.year % 100 + (1900 if parsed.year % 100 >= 50 else 2000))
            assert parsed.isoformat() == target, (source, name)
        else:  # ordinal formats: drop the suffix and "the ... of", then parse
            plain = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", source).replace("the ", "").replace(" of ", " ")
            fmt = {"dth month yyyy": "%d %B %Y", "the dth of month yyyy": "%d %B %Y",
                   "month dth, yyyy (lower)": "%B %d, %Y", "weekday the dth of month, yyyy": "%A %d %B, %Y"}[name]
            assert datetime.datetime.strptime(plain, fmt).date().isoformat() == target, (source, plain)
    assert seen == set(dates.FORMATS)


def test_generator_examples_and_ordinals():
    d = datetime.date(2026, 11, 25)
    assert dates.render(d, "weekday, month d, yyyy") == "Wednesday, November 25, 2026"
    assert dates.render(d, "mm/dd/yy") == "11/25/26"
    assert dates.render(datetime.date(1999, 3, 3), "the dth of month yyyy") == "the 3rd of March 1999"
    assert [dates.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def test_generator_is_seeded_and_test_days_are_held_out():
    assert dates.make_examples(50, "train", 7) == dates.make_examples(50, "train", 7)
    assert dates.make_examples(50, "train", 7) != dates.make_examples(50, "train", 8)
    train, valid, test = (set(dates.days(s)) for s in ("train", "valid", "test"))
    assert not (train & test) and not (train & valid) and not (valid & test)
    assert len(train) + len(valid) + len(test) == (dates.LAST_DAY - dates.FIRST_DAY).days + 1
    assert 0.08 < len(test) / len(train | valid | test) < 0.12
    test_targets = {t for _, t, _ in dates.make_test_set(50, seed=1)}
    assert not test_targets & {t for _, t, _ in dates.make_examples(5000, "train", 0)}
    for source, target, name in dates.make_test_set(30, seed=2):
        if dates.two_digit_year(name):
            assert 1950 <= int(target[:4]) <= 2049


# ----------------------------------------------------------------------------- the model


def test_vocabulary_and_padding():
    vocab = s2s_vocab.Vocabulary.from_texts(["ab", "ba c"])
    assert vocab.chars == [" ", "a", "b", "c"] and len(vocab) == 7
    assert vocab.decode([*vocab.encode("cab"), s2s_vocab.END, 4]) == "cab"
    assert list(vocab.unknown("abxyx")) == ["x", "y"]
    ids = s2s_vocab.encode_sources(["ab", ""], vocab, 4)
    assert ids.tolist() == [[0, 0, 4, 5], [0, 0, 0, 0]]  # padded on the left
    inputs, labels, weights = s2s_vocab.encode_targets(["ab"], vocab, 3)
    assert inputs.tolist() == [[1, 4, 5, 0]] and labels.tolist() == [[4, 5, 2, 0]]
    assert weights.tolist() == [[1, 1, 1, 0]]


def test_build_rejects_bad_hyperparameters():
    with pytest.raises(zoo.InvalidInputError, match="attention"):
        zoo.build("seq2seq", attention="transformer")
    with pytest.raises(zoo.InvalidInputError, match="cell"):
        zoo.build("seq2seq", cell="rnn")


@pytest.mark.parametrize("cell,attention", [("lstm", "none"), ("lstm", "bahdanau"), ("gru", "luong")])
def test_step_decoder_reproduces_the_training_model(cell, attention):
    """Feeding the target one token at a time through the inference models gives the training
    model's teacher-forced logits: they share the same layers and compute the same thing."""
    import keras

    keras.utils.set_random_seed(0)
    model = seq2seq.build_seq2seq(11, 7, embedding_dim=6, units=8, cell=cell, attention=attention)
    rng = np.random.default_rng(0)
    source = rng.integers(0, 11, (3, 9)).astype("int32")
    target_in = rng.integers(1, 7, (3, 5)).astype("int32")
    full = samplers.log_softmax(np.asarray(model.predict_on_batch([source, target_in]), dtype="float64"))
    decoder = Decoder(model)
    encoder_outputs, keys, states = decoder.encode(source)
    for t in range(target_in.shape[1]):
        logp, states, weights = decoder.step(target_in[:, t], states, encoder_outputs, keys)
        np.testing.assert_allclose(logp, full[:, t], atol=1e-4)
        if attention != "none":
            assert weights.shape == (3, 9)
            np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    assert decoder.has_attention == (attention != "none")


def test_beam_search_finds_the_brute_force_best():
    """With a beam wide enough to keep every hypothesis, beam search is exhaustive: it must find
    the likeliest output of all, scored independently by the teacher-forced training model."""
    import keras

    keras.utils.set_random_seed(1)
    model = seq2seq.build_seq2seq(6, 5, embedding_dim=4, units=6, attention="bahdanau")
    source = np.array([[0, 3, 4, 5], [5, 5, 3, 4], [0, 0, 4, 3]], dtype="int32")
    max_length = 3
    outputs = [s2s_vocab.END, 3, 4]  # the tokens an output can hold
    candidates = []
    for length in range(1, max_length + 1):
        for seq in itertools.product(outputs, repeat=length):
            ends = seq.count(s2s_vocab.END)
            if ends > 1 or (ends and seq[-1] != s2s_vocab.END) or (not ends and length < max_length):
                continue  # an output ends at its one <end>, or is cut off at max_length
            candidates.append(list(seq))
    decoder = Decoder(model)
    ids, scores = decoder.beam_search(source, beam_size=27, max_length=max_length)
    for row in range(len(source)):
        brute = []
        for seq in candidates:
            target_in = np.array([[s2s_vocab.START] + seq[:-1]], dtype="int32")
            logp = samplers.log_softmax(np.asarray(model.predict_on_batch([source[row:row + 1], target_in]),
                                                  dtype="float64"))[0]
            brute.append((logp[np.arange(len(seq)), seq].sum(), seq))
        best_score, best_seq = max(brute, key=lambda pair: pair[0])
        assert scores[row] == pytest.approx(best_score, abs=1e-4)
        got = [int(t) for t in ids[row] if t != s2s_vocab.PAD]
        assert got == best_seq
    # beam size 1 is greedy decoding
    greedy_ids, greedy_scores, _ = decoder.greedy(source, max_length)
    beam1_ids, beam1_scores = decoder.beam_search(source, beam_size=1, max_length=max_length)
    assert np.array_equal(greedy_ids, beam1_ids)
    np.testing.assert_allclose(greedy_scores, beam1_scores, atol=1e-6)
    assert np.all(scores >= beam1_scores - 1e-6)  # the exhaustive search is never worse


# ----------------------------------------------------------------------------- the recipe


@pytest.fixture(scope="module")
def smoke_artifact(tmp_path_factory):
    return zoo.train("seq2seq-dates", out=tmp_path_factory.mktemp("s2s") / "dates", smoke=True)


def test_smoke_artifact_loads_and_translates(smoke_artifact):
    art = zoo.load(smoke_artifact)
    assert isinstance(art, Seq2Seq) and art.config["hparams"]["attention"] == "bahdanau"
    outputs = art.translate(["25 Nov 2026", "1/2/2003"], beam_size=2)
    assert len(outputs) == 2 and all(isinstance(o, str) and len(o) <= 11 for o in outputs)
    assert art.translate("25 Nov 2026") == art.translate(["25 Nov 2026"])[0]  # one string in, one out
    assert (smoke_artifact / "attention.png").is_file()
    metrics = zoo.evaluate(smoke_artifact)
    assert all(row["ok"] for row in metrics.values()), metrics


def test_bad_input_gives_clear_errors(smoke_artifact):
    art = zoo.load(smoke_artifact)
    with pytest.raises(zoo.InvalidInputError, match=r"input 1 .*'€'"):
        art.translate(["25 Nov 2026", "25 Nov 2026 €"])
    with pytest.raises(zoo.InvalidInputError, match="41 characters long; this model reads at most 40"):
        art.translate(["1" * 41])
    with pytest.raises(zoo.InvalidInputError, match="beam_size"):
        art.translate(["25 Nov 2026"], beam_size=0)
    with pytest.raises(zoo.InvalidInputError, match="not a string"):
        art.translate([20261125])
    # empty input (also after stripping spaces): empty output, the model is not run
    assert art.translate(["", "   "], beam_size=3) == ["", ""]
    assert art.translate_with_scores([""]) == [("", 0.0)]
    assert art.translate([]) == []


def test_cli_translate(cli, smoke_artifact):
    code, out, _ = cli("translate", str(smoke_artifact), "25 Nov 2026", "", "--beam-size", "3")
    assert code == 0 and len(out.split("\n")) == 3 and out.split("\n")[1] == ""
    code, _, err = cli("translate", str(smoke_artifact), "25 Nov 2026 ☃")
    assert code == 2 and "'☃'" in err and len(err.strip().splitlines()) == 1


def test_recipe_trains_on_a_tsv_of_pairs(cli, tmp_path):
    words = ["".join(w) for w in itertools.product("abc", repeat=3)]  # 27 sources, "abc" -> "CBA"
    lines = [f"{w}\t{w[::-1].upper()}\tCC-BY 2.0 (attribution column, ignored)" for w in words]
    tsv = tmp_path / "reverse.tsv"
    tsv.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    code, out, err = cli("train", "seq2seq-dates", "--smoke", "-o", f"pairs={tsv}", "-o", "attention=luong",
                         "--out", str(tmp_path / "mine"))
    assert code == 0, err
    art = zoo.load(tmp_path / "mine")
    assert art.name == "seq2seq-reverse" and art.config["hparams"]["attention"] == "luong"
    assert art.config["dataset"]["sha256"] and sum(art.config["dataset"]["pairs"].values()) == len(words)
    assert set(art.target_vocab.chars) <= set("".join(w.upper() for w in words))
    assert all(isinstance(o, str) for o in art.translate(["abc", "cab"], beam_size=2))
    results = zoo.evaluate(tmp_path / "mine")
    assert results["test_examples"]["measured"] >= 1 and all(r["ok"] for r in results.values())

    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(zoo.InvalidInputError, match="line 1: no tab"):
        zoo.train("seq2seq-dates", out=tmp_path / "bad", smoke=True, pairs=str(bad))
    with pytest.raises(zoo.InvalidInputError, match="no option colour"):
        zoo.train("seq2seq-dates", out=tmp_path / "bad", smoke=True, colour="red")


# ----------------------------------------------------------------------------- the artifact


@pytest.mark.skipif("seq2seq-dates" not in registry.artifacts(), reason="seq2seq-dates not trained yet")
def test_pretrained_seq2seq_dates():
    art = zoo.load("seq2seq-dates")
    assert art.metrics["exact_match"] >= 0.995
    examples = dates.make_test_set(8, seed=99)  # held-out days, a different sample from the card's
    sources = [s for s, _, _ in examples]
    targets = [t for _, t, _ in examples]
    greedy = art.translate(sources)
    beam = art.translate(sources, beam_size=3)
    assert np.mean([g == t for g, t in zip(greedy, targets)]) >= 0.98
    assert np.mean([b == t for b, t in zip(beam, targets)]) >= 0.98
    assert art.translate(["the 3rd of March 1999", "Wednesday, November 25, 2026", "11/25/26"], beam_size=3) == \
        ["1999-03-03", "2026-11-25", "2026-11-25"]
    if art.config["hparams"]["attention"] != "none":
        output, weights, source = art.attention("25.11.2026")
        assert output == "2026-11-25" and weights.shape == (11, 1 + 10)  # <pad> column + 10 characters
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-4)
        # the day's digits (the last two outputs) are read from around "25." at the start of the input
        assert weights[8:10, 1:4].sum(axis=1).min() > 0.5
