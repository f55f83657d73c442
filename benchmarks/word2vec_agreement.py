"""word2vec validation: Keras skip-gram and CBOW against gensim's Word2Vec, on tinyshakespeare and
gensim's Lee corpus, with the same hyper-parameters (gensim's defaults; epochs below).

For each corpus and architecture: gensim with seeds 1, 2, 3 (one worker thread each) sets the floor,
gensim-vs-gensim agreement; the Keras model (seed 0) is compared with each gensim run. Agreement is
the Spearman correlation of cosine similarities over fixed pairs of frequent words, and the mean
overlap of top-10 neighbour lists (zoo.families.word2vec.gensim_bridge.agreement). Quality: WordSim-353, SimLex-999,
questions-words, in-vocabulary part, with coverage. Goal: Keras-vs-gensim >= 0.9 x gensim-vs-gensim.

    python benchmarks/word2vec_agreement.py [--epochs 15]

Prints a table and writes benchmarks/results/word2vec_agreement.json.
"""

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("ZOO_DATA_MIRROR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from zoo import io, training  # noqa: E402
from zoo.families.word2vec import gensim_bridge  # noqa: E402
from zoo.families.word2vec import data as word2vec_data  # noqa: E402
from zoo.families.word2vec import model as word2vec  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "word2vec_agreement.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15, help="epochs for both sides (default: 15, as the recipes)")
    args = parser.parse_args()
    hp = {**word2vec.DEFAULTS, "epochs": args.epochs}
    results = {"hparams": hp, "environment": training.environment(), "runs": {}}
    rows = []
    for corpus_name in ("tinyshakespeare", "lee"):
        sentences = list(word2vec_data.corpus(corpus_name))
        for architecture in ("skipgram", "cbow"):
            start = time.perf_counter()
            study = gensim_bridge.agreement_study(sentences, architecture, hp, seeds=(1, 2, 3))
            study["seconds"] = time.perf_counter() - start
            results["runs"][f"{corpus_name}/{architecture}"] = study
            for key in ("spearman", "top10_overlap"):
                r = study[key]
                rows.append((corpus_name, architecture, key, r["gensim_vs_gensim"], r["keras_vs_gensim"], r["ratio"]))
            print(f"{corpus_name}/{architecture}: done in {study['seconds']:.0f} s", flush=True)
    print()
    print(f"{'corpus':<16} {'model':<9} {'measure':<14} {'gensim-gensim':>13} {'keras-gensim':>12} {'ratio':>6}")
    for corpus_name, architecture, key, g, k, ratio in rows:
        print(f"{corpus_name:<16} {architecture:<9} {key:<14} {g:13.3f} {k:12.3f} {ratio:6.2f}")
    print()
    print(f"{'corpus':<16} {'model':<9} {'benchmark':<22} {'coverage':>8} {'keras':>7} {'gensim':>7}")
    for run, study in results["runs"].items():
        q = study["quality"]
        for bench, score in (("wordsim353", "spearman"), ("simlex999", "spearman"), ("analogy", "accuracy")):
            corpus_name, architecture = run.split("/")
            print(f"{corpus_name:<16} {architecture:<9} {bench + ' ' + score:<22} {q['keras'][bench + '_coverage']:8.1%} "
                  f"{q['keras'][f'{bench}_{score}']:7.3f} {q['gensim'][f'{bench}_{score}']:7.3f}")
    io.write_json(RESULTS, results)
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
