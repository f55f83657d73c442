"""seq2seq fine-tuning: the generator of new date formats, the vocabulary extension, `zoo.finetune`
on a TSV of pairs (learning, lineage, the base left alone, fine-tuning a fine-tuned artifact, the
CLI) and the one-line errors for bad files. Smoke scale: a tiny base trained in seconds; the
full-scale claim is benchmarks/finetune_seq2seq.py's (in seq2seq-dates' card)."""

import datetime

import numpy as np
import pytest

import zoo
from zoo import cards, io, registry
from zoo.families.seq2seq import dates
from zoo.families.seq2seq.vocab import encode_sources

NAME = "seq2seq-dates"
RECIPE = registry.recipe_module("seq2seq_dates")
FRENCH = "le d mois yyyy (French)"


@pytest.fixture(scope="module")
def smoke_base(tmp_path_factory):
    return zoo.train(NAME, out=tmp_path_factory.mktemp("s2s-ft") / "base", smoke=True)


def write_tsv(path, examples):
    path.write_text("".join(f"{s}\t{t}\n" for s, t, _ in examples), encoding="utf-8")
    return path


def files_of(folder):
    return {p.name: io.sha256_file(p) for p in folder.iterdir()}


# ----------------------------------------------------------------------------- the new formats


def test_new_formats_are_seeded_new_and_correct():
    d = datetime.date(1999, 3, 3)
    assert [dates.render(d, f) for f in dates.NEW_FORMATS] == \
        ["le 3 mars 1999", "1999.03.03", "March third, nineteen ninety-nine"]
    assert dates.render(datetime.date(2000, 8, 1), FRENCH) == "le 1er août 2000"
    assert [dates.year_words(y) for y in (1900, 1905, 2000, 2007, 2010, 2026)] == \
        ["nineteen hundred", "nineteen oh five", "two thousand", "two thousand seven", "twenty ten",
         "twenty twenty-six"]
    assert [dates.ordinal_words(n) for n in (1, 12, 20, 22, 30, 31)] == \
        ["first", "twelfth", "twentieth", "twenty-second", "thirtieth", "thirty-first"]
    assert not set(dates.NEW_FORMATS) & set(dates.FORMATS)
    train = dates.make_examples(200, "train", 3, formats=dates.NEW_FORMATS)
    assert train == dates.make_examples(200, "train", 3, formats=dates.NEW_FORMATS)
    assert {f for _, _, f in train} == set(dates.NEW_FORMATS)
    test = dates.make_test_set(20, 1, formats=[FRENCH])
    assert len(test) == 20 and not {t for _, t, _ in test} & {t for _, t, _ in train}
    for source, target, _ in dates.make_test_set(10, 2, formats=["yyyy.mm.dd"]):
        assert source.replace(".", "-") == target
    # The defaults draw exactly as before (the shipped model's data is unchanged).
    assert dates.make_examples(50, "train", 0) == dates.make_examples(50, "train", 0, formats=dates.FORMATS)


def test_extending_the_vocabulary_keeps_old_translations(smoke_base):
    art = zoo.load(smoke_base)
    bigger = RECIPE.extend_model(art.model, art.config["hparams"], ["é", "û"], seed=0)
    assert bigger.get_layer("source_embedding").input_dim == len(art.source_vocab) + 2
    ids = encode_sources(["25 Nov 2026", "1.2.1999"], art.source_vocab, art.max_source_length)
    target_in = np.ones((2, 3), dtype="int32")
    np.testing.assert_allclose(np.asarray(bigger([ids, target_in])), np.asarray(art.model([ids, target_in])),
                               atol=1e-5)


# ----------------------------------------------------------------------------- fine-tuning


def test_finetune_learns_new_format_keeps_lineage_and_leaves_base_alone(smoke_base, tmp_path, cli):
    tsv = write_tsv(tmp_path / "french.tsv", dates.make_examples(120, "train", 5, formats=[FRENCH]))
    base_files = files_of(smoke_base)
    out = zoo.finetune(str(smoke_base), pairs=tsv, epochs=6, out=tmp_path / "fr", learning_rate=1e-2,
                       batch_size=16, rehearsal=40)
    tuned = zoo.load(out)
    base = zoo.load(smoke_base)
    assert files_of(smoke_base) == base_files  # the base is read, never written

    # New characters extend the source vocabulary after the old ones; the decoder's stays.
    assert tuned.source_vocab.chars[:len(base.source_vocab.chars)] == base.source_vocab.chars
    assert {"é", "û"} <= set(tuned.source_vocab.chars) and "é" not in base.source_vocab
    assert tuned.target_vocab.chars == base.target_vocab.chars
    assert tuned.config["hparams"]["source_vocab_size"] == len(tuned.source_vocab)

    run = tuned.config["finetune"]
    assert run["after"]["held_out_char_accuracy"] > run["before"]["held_out_char_accuracy"]
    assert run["before"]["held_out_readable"] < 1 and run["after"]["held_out_readable"] == 1
    assert run["after"]["base_test_exact_match"] == tuned.metrics["exact_match"]
    # Rehearsal: up to 40 generated pairs of the old formats (those the small base's vocabulary covers).
    assert run["options"]["rehearsal"] == 40 and 0 < tuned.config["training"]["finetune_rehearsal_pairs"] <= 40
    assert run["command"].startswith(f"zoo finetune {NAME} --pairs french.tsv --epochs 6 --out {tmp_path / 'fr'}")
    assert tuned.config["base_model"]["model_sha256"] == base_files["model.weights.h5"]
    assert tuned.config["finetuned_on"] == [{"file": "french.tsv", "sha256": io.sha256_file(tsv),
                                             "bytes": tsv.stat().st_size}]
    assert base.name == NAME  # a smoke run is named as the recipe's artifact
    assert f"**{NAME}**" in tuned.card and "rehearsal" in tuned.card
    assert "base_model" not in cards.read_front_matter(tuned.card)  # a zoo name is no Hub id
    assert zoo.info(str(out))["lineage"].startswith(f"fr <- {NAME};")
    # Its metrics are on the base's test set, so `zoo eval DIR` re-measures every one of them.
    assert all(row["ok"] for row in zoo.evaluate(out).values())

    # A fine-tuned artifact fine-tunes again (from the shell), without rehearsal.
    more = write_tsv(tmp_path / "dots.tsv", dates.make_examples(30, "train", 6, formats=["yyyy.mm.dd"]))
    code, stdout, err = cli("finetune", str(out), "--pairs", str(more), "--epochs", "1",
                            "--out", str(tmp_path / "fr2"), "-o", "rehearsal=0")
    assert code == 0, err
    again = zoo.load(tmp_path / "fr2")
    assert again.config["base_model"]["ancestors"] == [NAME]
    assert again.config["training"]["finetune_rehearsal_pairs"] == 0
    assert again.source_vocab.chars == tuned.source_vocab.chars
    assert again.metrics["test_examples"] == tuned.metrics["test_examples"]  # the same base test set


def test_bad_pairs_give_one_line_errors_and_write_nothing(smoke_base, tmp_path, cli):
    good = [f"{s}\t{t}" for s, t, _ in dates.make_examples(30, "train", 1, formats=["yyyy.mm.dd"])]
    cases = {
        "missing.tsv": (None, "does not exist"),
        "latin1.tsv": ("le 3 mars 1999\t1999-03-03\n".encode("latin-1").replace(b"m", b"\xe9m"), "not UTF-8"),
        "empty.tsv": ("", "0 pair"),
        "few.tsv": ("\n".join(good[:5]), r"5 pair\(s\); at least 20"),
        "nocolumn.tsv": ("\n".join(good[:3] + ["1999.03.03 1999-03-03"] + good), "line 4: no tab"),
        "three.tsv": ("\n".join(good[:7] + ["1999.03.03\t1999-03-03\tx"] + good), "line 8: 3 tab-separated"),
        "blank.tsv": ("\n".join(good[:2] + ["1999.03.03\t "] + good), "line 3: the target is empty"),
        "slash.tsv": ("\n".join(good[:9] + ["3 mars 1999\t1999/03/03"] + good),
                      "line 10: the target '1999/03/03' has '/'.*'-0123456789'"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content, encoding="utf-8")
        out = tmp_path / f"out-{name}"
        with pytest.raises(zoo.InvalidInputError, match=message) as caught:
            zoo.finetune(str(smoke_base), pairs=path, out=out)
        assert "\n" not in str(caught.value) and not out.exists(), name
    path = tmp_path / "ok.tsv"
    path.write_text("\n".join(good), encoding="utf-8")
    for options, message in [({"rehearsal": -1}, "rehearsal must be at least 0"),
                             ({"colour": "red"}, "no option colour")]:
        with pytest.raises(zoo.InvalidInputError, match=message):
            zoo.finetune(str(smoke_base), pairs=path, out=tmp_path / "o", **options)
    with pytest.raises(zoo.InvalidInputError, match="fine-tunes on --pairs"):
        zoo.finetune(str(smoke_base), text=path, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()
    code, _, err = cli("finetune", str(smoke_base), "--pairs", str(tmp_path / "slash.tsv"),
                       "--out", str(tmp_path / "o"))
    assert code == 2 and "'-0123456789'" in err and len(err.strip().splitlines()) == 1
