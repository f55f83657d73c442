"""Speed of the vectorised count models against nltk.lm, measured side by side in one run.

Both fit the same 3-gram models (Laplace, interpolated Kneser-Ney) on the whole training part of
word-level tinyshakespeare. nltk scores a random sample of the test n-grams (its Kneser-Ney
scans every stored n-gram for each query, about 30 tokens a second, so the whole test part would
take about a quarter of an hour); CountLM scores the whole test part. The ratio is per token.
On the sample both log-probabilities must agree to 1e-9.

    python benchmarks/ngram_speed.py [--sample 300]

Prints a table and writes benchmarks/results/ngram_speed.json.
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np

from zoo import io
from zoo.families.word_lm import words
from zoo.families.word_lm import ngram


def main(sample: int = 300, seed: int = 0) -> dict:
    corpus = words.load_corpus()
    vocab = corpus.vocab
    train_ids = [vocab.encode(s) for s in corpus.train]
    test_ids = [vocab.encode(s) for s in corpus.test]
    rng = np.random.default_rng(seed)
    rows = []
    for order, smoothing in [(3, "laplace"), (3, "kneser-ney")]:
        start = time.perf_counter()
        ours = ngram.CountLM(order, smoothing, vocab).fit(train_ids)
        ours_fit = time.perf_counter() - start
        grams = ngram.ngram_windows(test_ids, order, vocab.index[words.BOS], vocab.index[words.EOS], both_ends=False)
        start = time.perf_counter()
        ours_lp = ours.log_prob(grams)
        ours_score = time.perf_counter() - start

        start = time.perf_counter()
        ref = ngram.fit_nltk(order, smoothing, corpus.train)
        nltk_fit = time.perf_counter() - start
        picked = grams[rng.choice(len(grams), min(sample, len(grams)), replace=False)]
        start = time.perf_counter()
        nltk_log2 = np.array([ref.logscore(vocab.words[g[-1]], [vocab.words[i] for i in g[:-1]]) for g in picked])
        nltk_score = time.perf_counter() - start
        ours_sample = ours.log_prob(picked) / math.log(2)
        # nltk's own perplexity convention (every n-gram of pad_both_ends, which also predicts the
        # second </s> after the first) for comparison with numbers computed that way
        padded = ngram.ngram_windows(test_ids, order, vocab.index[words.BOS], vocab.index[words.EOS], both_ends=True)
        rows.append({
            "model": f"{smoothing} {order}-gram",
            "test_tokens": len(grams),
            "perplexity": float(np.exp(-ours_lp.mean())),
            "perplexity_nltk_padding_convention": float(np.exp(-ours.log_prob(padded).mean())),
            "max_abs_log2_difference": float(np.max(np.abs(ours_sample - nltk_log2))),
            "nltk_fit_s": nltk_fit, "ours_fit_s": ours_fit,
            "nltk_sample_tokens": len(picked), "nltk_tokens_per_s": len(picked) / nltk_score,
            "ours_tokens_per_s": len(grams) / ours_score,
            "nltk_whole_test_s_extrapolated": len(grams) / (len(picked) / nltk_score),
            "ours_whole_test_s": ours_score,
            "speedup_per_token": (len(grams) / ours_score) / (len(picked) / nltk_score),
        })
    print(f"{'model':<16} {'ppl':>8} {'max|dlog2|':>11} {'nltk tok/s':>11} {'ours tok/s':>12} {'speed-up':>9}"
          f" {'nltk fit':>9} {'ours fit':>9}")
    for r in rows:
        print(f"{r['model']:<16} {r['perplexity']:8.2f} {r['max_abs_log2_difference']:11.1e} "
              f"{r['nltk_tokens_per_s']:11.1f} {r['ours_tokens_per_s']:12.0f} {r['speedup_per_token']:8.0f}x "
              f"{r['nltk_fit_s']:8.1f}s {r['ours_fit_s']:8.1f}s")
    result = {"benchmark": "ngram_speed", "sample": sample, "rows": rows}
    out = Path(__file__).resolve().parent / "results" / "ngram_speed.json"
    io.write_json(out, result)
    print(f"written to {out}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=300, help="test n-grams nltk scores (default 300)")
    main(parser.parse_args().sample)
