"""word2vec speed: gensim's Word2Vec (workers=2) and the Keras model on the same corpus and
hyper-parameters, side by side in one run.

Each side trains in its own subprocess, so that its peak resident memory (ru_maxrss) is its own;
the Keras figure includes the TensorFlow runtime, so the RSS after imports and corpus loading is
reported too. Words per second = corpus tokens x epochs / training seconds (gensim: model.train
after build_vocab; Keras: model.fit, which includes the numpy pair pipeline and XLA compilation).
The machine's load average is recorded: on a shared machine the numbers move with it.

    python benchmarks/word2vec_speed.py [--corpus tinyshakespeare] [--epochs 5]

Prints a table and writes benchmarks/results/word2vec_speed.json.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ZOO_DATA_MIRROR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results" / "word2vec_speed.json"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(side: str, architecture: str, corpus_name: str, epochs: int) -> dict:
    """One training run in this process; returns its measurements."""
    from zoo.models import word2vec as w2v

    sentences = list(w2v.corpus(corpus_name))
    words = sum(len(s) for s in sentences)
    hp = {**w2v.DEFAULTS, "epochs": epochs}
    if side == "gensim":
        from gensim.models import Word2Vec

        model = Word2Vec(sg=int(architecture == "skipgram"), hs=0, cbow_mean=1, seed=0, workers=2,
                         vector_size=hp["vector_size"], window=hp["window"], negative=hp["negative"],
                         sample=hp["sample"], min_count=hp["min_count"], alpha=hp["alpha"],
                         min_alpha=hp["min_alpha"], ns_exponent=hp["ns_exponent"])
        model.build_vocab(sentences)
        baseline = peak_rss_mb()
        start = time.perf_counter()
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
        seconds = time.perf_counter() - start
        extra = {"workers": 2, "gensim": __import__("gensim").__version__}
    else:
        import keras

        baseline = peak_rss_mb()
        result = w2v.train_word2vec(sentences, architecture, verbose=0, **hp)
        seconds = result.seconds
        extra = {"batch_size": result.hparams["batch_size"], "backend": keras.backend.backend(),
                 "keras": keras.__version__}
    return {"words": words, "epochs": epochs, "seconds": seconds, "words_per_second": words * epochs / seconds,
            "rss_before_training_mb": baseline, "peak_rss_mb": peak_rss_mb(), **extra}


def run_child(side, architecture, corpus_name, epochs) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", side, architecture, "--corpus", corpus_name,
                          "--epochs", str(epochs)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{side} {architecture} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="tinyshakespeare", help="tinyshakespeare, lee or a text file")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "ARCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.corpus, args.epochs)))
        return

    from zoo import training

    results = {"corpus": args.corpus, "epochs": args.epochs, "load_average_before": os.getloadavg(),
               "note": "2-core CPU shared with other jobs while measured; see the load averages",
               "environment": training.environment(), "runs": {}}
    for architecture in ("skipgram", "cbow"):
        for side in ("gensim", "keras"):
            results["runs"][f"{architecture}/{side}"] = run_child(side, architecture, args.corpus, args.epochs)
            print(f"{architecture}/{side}: {results['runs'][f'{architecture}/{side}']['words_per_second']:,.0f} words/s",
                  flush=True)
        results["runs"][f"{architecture}/ratio"] = (results["runs"][f"{architecture}/keras"]["words_per_second"]
                                                   / results["runs"][f"{architecture}/gensim"]["words_per_second"])
    results["load_average_after"] = os.getloadavg()
    print(f"\ncorpus {args.corpus}, {args.epochs} epochs, {os.cpu_count()} CPU cores, load average "
          f"{results['load_average_before'][0]:.1f} before / {results['load_average_after'][0]:.1f} after")
    print(f"{'model':<9} {'side':<7} {'words/s':>10} {'seconds':>8} {'peak RSS MB':>12} {'RSS before train':>17} {'ratio':>6}")
    for architecture in ("skipgram", "cbow"):
        for side in ("gensim", "keras"):
            r = results["runs"][f"{architecture}/{side}"]
            ratio = f"{results['runs'][f'{architecture}/ratio']:6.2f}" if side == "keras" else ""
            print(f"{architecture:<9} {side:<7} {r['words_per_second']:10,.0f} {r['seconds']:8.1f} {r['peak_rss_mb']:12.0f} "
                  f"{r['rss_before_training_mb']:17.0f} {ratio:>6}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
