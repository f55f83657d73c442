"""Fine-tuning word vectors: skipgram-shakespeare and cbow-shakespeare continued on gensim's Lee
corpus (news stories, full of words Shakespeare never used), against gensim doing the same update.

For each architecture, the registered artifact is fine-tuned with `zoo.finetune(NAME, text=...)`
(the base's 15 epochs, seed 0) on the Lee corpus written as a text file, one story per paragraph.
gensim is trained like the artifact (tinyshakespeare, the same hyper-parameters) with seeds 1, 2
and 3, then updated on the same text: build_vocab(update=True), then train. The updated gensim
runs' agreement with each other is the floor; the fine-tuned Keras vectors are compared with each
(zoo.families.word2vec.gensim_bridge.update_study): Spearman of cosines over 3,000 fixed word pairs that each
include a new word, and the top-10 overlap of the new words. Goal: Keras-vs-gensim >= 0.9 x the
floor.

    python benchmarks/finetune_word2vec.py [--epochs 15] [--write-card]

Prints a table and writes benchmarks/results/finetune_word2vec.json; --write-card puts the
measured numbers in each base artifact's card (section "Fine-tuning").
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ZOO_DATA_MIRROR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

import zoo  # noqa: E402
from zoo import cards, io, training  # noqa: E402
from zoo.families.word2vec import gensim_bridge, steps  # noqa: E402
from zoo.families.word2vec import data as word2vec_data  # noqa: E402
from zoo.families.word2vec import model as word2vec  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "finetune_word2vec.json"
NAMES = ("skipgram-shakespeare", "cbow-shakespeare")
COMMAND = "python benchmarks/finetune_word2vec.py --write-card"


def write_lee_text(folder: Path) -> Path:
    """gensim's Lee background corpus as a user's text file: one news story per paragraph."""
    lines = word2vec_data.lee_path().read_text(encoding="utf-8").splitlines()
    path = folder / "lee.txt"
    path.write_text("\n\n".join(line.strip() for line in lines if line.strip()) + "\n", encoding="utf-8")
    return path


def measure(name: str, text: Path, folder: Path, epochs: int | None) -> dict:
    base = zoo.load(name)
    start = time.perf_counter()
    out = zoo.finetune(name, text=text, epochs=epochs, out=folder / f"{name}-lee")
    seconds = time.perf_counter() - start
    tuned = zoo.load(out)
    run = tuned.config["finetune"]
    new_words = tuned.vocab.words[len(base.vocab):]
    sentences = list(word2vec_data.TextCorpus(text, "paragraph"))
    hp = {k: base.config["hparams"][k] for k in word2vec.DEFAULTS}
    start = time.perf_counter()
    study = gensim_bridge.update_study(steps.shakespeare_sentences(False), sentences,
                                       base.config["architecture"], hp, tuned.wv, new_words, seeds=(1, 2, 3),
                                       epochs=run["epochs"])
    study["gensim_seconds"] = time.perf_counter() - start
    return {"name": name, "text_words": sum(map(len, sentences)), "text_sha256": io.sha256_file(text),
            "epochs": run["epochs"], "finetune_seconds": seconds,
            "finetune_fit_seconds": tuned.config["training"]["finetune_seconds"],
            "before": run["before"], "after": run["after"], "study": study,
            "examples": gensim_bridge.new_word_probe(tuned.wv, new_words, 8),
            "neighbours": steps.neighbours_markdown(tuned.wv, gensim_bridge.new_word_probe(tuned.wv, new_words, 4), 6)}


def card_markdown(r: dict) -> str:
    s, b, a = r["study"], r["before"], r["after"]
    rows = [(f"new words (seen >= {s['hparams']['min_count']} times in the text)", f"{s['new_words']:,}"),
            ("vocabulary", f"{b['vocabulary_words']:,} -> {a['vocabulary_words']:,}"),
            ("the text's words that have a vector", f"{b['text_coverage']:.1%} -> {a['text_coverage']:.1%}")]
    for key, label in (("spearman", "Spearman of cosines, 3,000 pairs with a new word"),
                       ("top10_overlap", f"top-10 overlap of the {s['probe_new_words']} most frequent new words")):
        m = s[key]
        rows.append((f"{label}: gensim vs gensim (seed floor) / Keras vs gensim / ratio",
                     f"{m['gensim_vs_gensim']:.3f} / {m['keras_vs_gensim']:.3f} / {m['ratio']:.2f}"))
    kept = s["old_words_spearman_vs_gensim_base"]
    rows += [("what is kept of Shakespeare: Spearman of cosines of Shakespeare's words against gensim "
              "trained on tinyshakespeare (seed 1), base -> fine-tuned",
              f"{b['shakespeare_agreement_spearman_vs_gensim_seed1']:.3f} -> "
              f"{a['shakespeare_agreement_spearman_vs_gensim_seed1']:.3f}"),
             ("the same against gensim's bases (seeds 1, 2, 3): gensim's own updates / the Keras fine-tuned vectors",
              f"{kept['gensim_updated']:.3f} / {kept['keras_finetuned']:.3f}")]
    table = "\n".join(["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows])
    return f"""`zoo finetune {r['name']} --text my.txt --out runs/mine` continues training on a text of your own
and grows the vocabulary, as gensim's `build_vocab(update=True)` then `train` does: the words the
text has at least min_count times get new vectors, the old ones keep theirs and keep training
(for the base's {r['epochs']} epochs, the learning rate falling again from alpha to min_alpha).
The result is a gensim `KeyedVectors` with the new words.

Measured on gensim's Lee corpus (300 news stories, {r['text_words']:,} words, one story per
paragraph): the fine-tuned vectors against gensim trained like this artifact (tinyshakespeare,
the same hyper-parameters, seeds 1, 2, 3) and updated on the same text. The claim: Keras agrees
with gensim's update at least 0.9 times as well as gensim's updates agree with each other.

{table}

Nearest neighbours of frequent new words after fine-tuning:

{r['neighbours']}

Measured with `{COMMAND}` (results in `benchmarks/results/finetune_word2vec.json`).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default: the base's, 15)")
    parser.add_argument("--write-card", action="store_true",
                        help="put the measured numbers in each base artifact's card (maintainers)")
    args = parser.parse_args()
    results = {"environment": training.environment(), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        text = write_lee_text(Path(tmp))
        for name in NAMES:
            results["runs"][name] = measure(name, text, Path(tmp), args.epochs)
            print(f"{name}: done", flush=True)
    print()
    print(f"{'model':<22} {'measure':<14} {'gensim-gensim':>13} {'keras-gensim':>12} {'ratio':>6}")
    for name, r in results["runs"].items():
        for key in ("spearman", "top10_overlap"):
            m = r["study"][key]
            print(f"{name:<22} {key:<14} {m['gensim_vs_gensim']:13.3f} {m['keras_vs_gensim']:12.3f} {m['ratio']:6.2f}")
    print()
    for name, r in results["runs"].items():
        print(f"## {name}\n\n{card_markdown(r)}")
    io.write_json(RESULTS, results)
    print(f"written to {RESULTS}")
    if args.write_card:
        for name, r in results["runs"].items():
            changed = cards.set_finetune_section(name, card_markdown(r))
            print(f"{name}: card {'updated' if changed else 'unchanged'}")


if __name__ == "__main__":
    main()
