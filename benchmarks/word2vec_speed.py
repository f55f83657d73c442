"""word2vec speed: gensim's Word2Vec (workers=2) and the Keras model on the same corpus and
hyper-parameters, side by side in one run.

Each side trains in its own subprocess, so that its peak resident memory (VmHWM) is its own;
the Keras figure includes the TensorFlow runtime, so the RSS after imports and corpus loading is
reported too. Words per second = corpus tokens x epochs / training seconds (gensim: model.train
after build_vocab; Keras: model.fit, which includes the numpy pair pipeline and XLA compilation);
for Keras also the rate after the first epoch (without tracing and compilation), against the
same gensim rate.
The machine's load average is recorded: on a shared machine the numbers move with it. They
move a lot on a small shared machine (the same run twice: 1.1 s and 1.8 s for gensim's CBOW), so
each side runs --repeats times, gensim and Keras taking turns, and the table gives the median
run of each side (every run is in the JSON).

    python benchmarks/word2vec_speed.py [--corpus tinyshakespeare] [--epochs 15] [--repeats 3]

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
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the parent (which has TensorFlow loaded), VmHWM starts afresh with the new program."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: best effort


DEFAULTS = {"vector_size": 100, "window": 5, "negative": 5, "sample": 1e-3, "min_count": 5, "alpha": 0.025,
            "min_alpha": 1e-4, "ns_exponent": 0.75}  # = zoo.families.word2vec.model.DEFAULTS (checked in main)


def child(side: str, architecture: str, tokens_file: str, epochs: int) -> dict:
    """One training run in this process; returns its measurements. The gensim side never imports
    the zoo (which would load TensorFlow and inflate its memory)."""
    with open(tokens_file, encoding="utf-8") as f:
        sentences = [line.split() for line in f]
    words = sum(len(s) for s in sentences)
    hp = {**DEFAULTS, "epochs": epochs}
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

        from zoo.families.word2vec import model as w2v

        class EpochClock(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                begins.append(time.perf_counter())

            def on_epoch_end(self, epoch, logs=None):
                ends.append(time.perf_counter())

        begins, ends = [], []
        baseline = peak_rss_mb()
        start = time.perf_counter()
        result = w2v.train_word2vec(sentences, architecture, verbose=0, callbacks=[EpochClock()], **hp)
        seconds = result.seconds
        # After the first epoch (which includes tracing and XLA compilation): the steady rate.
        steady = words * (epochs - 1) / (ends[-1] - ends[0]) if epochs > 1 else None
        extra = {"batch_size": result.hparams["batch_size"], "backend": keras.backend.backend(),
                 "keras": keras.__version__, "first_epoch_seconds": ends[0] - begins[0],
                 "words_per_second_after_first_epoch": steady}
    return {"words": words, "epochs": epochs, "seconds": seconds, "words_per_second": words * epochs / seconds,
            "rss_before_training_mb": baseline, "peak_rss_mb": peak_rss_mb(), **extra}


def run_child(side, architecture, tokens_file, epochs) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", side, architecture, "--tokens", tokens_file,
                          "--epochs", str(epochs)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{side} {architecture} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="tinyshakespeare", help="tinyshakespeare, lee or a text file")
    parser.add_argument("--epochs", type=int, default=15, help="default: 15, as the recipes")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, taking turns (default: 3)")
    parser.add_argument("--out", default=str(RESULTS), help=f"results file (default: {RESULTS})")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "ARCH"), help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.tokens, args.epochs)))
        return

    import tempfile

    from zoo import io, training
    from zoo.families.word2vec import data as word2vec_data
    from zoo.families.word2vec import model as w2v

    assert DEFAULTS == {k: v for k, v in w2v.DEFAULTS.items() if k != "epochs"}
    # Both sides read the same tokenised corpus: one sentence per line, tokens separated by spaces.
    tokens = Path(tempfile.mkdtemp()) / "tokens.txt"
    tokens.write_text("".join(" ".join(s) + "\n" for s in word2vec_data.corpus(args.corpus)), encoding="utf-8")

    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results = {"corpus": args.corpus, "epochs": args.epochs, "repeats": args.repeats,
               "load_average_before": os.getloadavg(),
               "note": "the load averages show whether other jobs shared the machine while measured; "
                       "each side's entry is its median run (by seconds), all runs are under 'all_runs'",
               "environment": training.environment(), "runs": {}, "all_runs": {}}
    for architecture in ("skipgram", "cbow"):
        for repeat in range(args.repeats):
            for side in ("gensim", "keras"):  # taking turns: a slow spell of the machine hits both
                run = run_child(side, architecture, str(tokens), args.epochs)
                results["all_runs"].setdefault(f"{architecture}/{side}", []).append(run)
                print(f"{architecture}/{side} run {repeat + 1}/{args.repeats}: {run['words_per_second']:,.0f} words/s",
                      flush=True)
        for side in ("gensim", "keras"):
            runs = sorted(results["all_runs"][f"{architecture}/{side}"], key=lambda r: r["seconds"])
            results["runs"][f"{architecture}/{side}"] = runs[(len(runs) - 1) // 2]
        results["runs"][f"{architecture}/ratio"] = (results["runs"][f"{architecture}/keras"]["words_per_second"]
                                                   / results["runs"][f"{architecture}/gensim"]["words_per_second"])
    results["load_average_after"] = os.getloadavg()
    print(f"\ncorpus {args.corpus}, {args.epochs} epochs, median of {args.repeats} runs, {os.cpu_count()} CPU cores, load average "
          f"{results['load_average_before'][0]:.1f} before / {results['load_average_after'][0]:.1f} after")
    print(f"{'model':<9} {'side':<7} {'words/s':>10} {'seconds':>8} {'ratio':>6} {'after epoch 1':>14} {'ratio':>6} "
          f"{'peak RSS MB':>12} {'RSS before train':>17}")
    for architecture in ("skipgram", "cbow"):
        gensim_rate = results["runs"][f"{architecture}/gensim"]["words_per_second"]
        for side in ("gensim", "keras"):
            r = results["runs"][f"{architecture}/{side}"]
            steady = r.get("words_per_second_after_first_epoch")
            ratio = f"{r['words_per_second'] / gensim_rate:6.2f}" if side == "keras" else ""
            steady_text = f"{steady:14,.0f} {steady / gensim_rate:6.2f}" if steady else f"{'':14} {'':6}"
            print(f"{architecture:<9} {side:<7} {r['words_per_second']:10,.0f} {r['seconds']:8.1f} {ratio:>6} {steady_text} "
                  f"{r['peak_rss_mb']:12.0f} {r['rss_before_training_mb']:17.0f}")
    print("\n" + markdown(results))
    io.write_json(args.out, results)
    print(f"\nwritten to {args.out}")


def markdown(results: dict) -> str:
    """The README's table: median runs, and the spread of all runs' ratios."""
    rows = ["| model | gensim (workers=2) words/s | Keras words/s (ratio) | Keras after epoch 1 (ratio) "
            "| ratio, all runs | peak RSS gensim / Keras |", "| --- | --- | --- | --- | --- | --- |"]
    for architecture in ("skipgram", "cbow"):
        g, k = results["runs"][f"{architecture}/gensim"], results["runs"][f"{architecture}/keras"]
        rate = g["words_per_second"]
        steady = k.get("words_per_second_after_first_epoch")
        steady_text = f"{steady:,.0f} ({steady / rate:.2f})" if steady else "-"
        # each Keras run against the gensim run just before it
        pairs = zip(results["all_runs"][f"{architecture}/gensim"], results["all_runs"][f"{architecture}/keras"])
        spread = sorted(kr["words_per_second"] / gr["words_per_second"] for gr, kr in pairs)
        rows.append(f"| {architecture} | {rate:,.0f} | {k['words_per_second']:,.0f} ({k['words_per_second'] / rate:.2f}) "
                    f"| {steady_text} | {spread[0]:.2f} to {spread[-1]:.2f} | {g['peak_rss_mb']:.0f} MB / {k['peak_rss_mb']:.0f} MB |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
