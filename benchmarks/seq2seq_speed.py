"""How fast seq2seq-dates translates: translations per second for greedy decoding and beam
search (beam 3), one input at a time (batch 1) and 256 at a time, with the exact match of the
same outputs, all measured in the same run on held-out dates.

    .venv/bin/python benchmarks/seq2seq_speed.py [--model seq2seq-dates] [--n-single 100] [--n-batch 1024]

Prints a table and writes benchmarks/results/seq2seq_speed.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import zoo
from zoo import io, training
from zoo.families.seq2seq import dates

RESULTS = Path(__file__).resolve().parent / "results" / "seq2seq_speed.json"


def measure(art, sources, targets, beam_size: int, batch_size: int) -> dict:
    art.translate(sources[:batch_size], beam_size=beam_size, batch_size=batch_size)  # warm up (tracing)
    start = time.perf_counter()
    if batch_size == 1:
        outputs = [art.translate([s], beam_size=beam_size)[0] for s in sources]
    else:
        outputs = art.translate(sources, beam_size=beam_size, batch_size=batch_size)
    seconds = time.perf_counter() - start
    return {"decoding": "greedy" if beam_size == 1 else f"beam {beam_size}", "beam_size": beam_size,
            "batch_size": batch_size, "translations": len(sources), "seconds": seconds,
            "translations_per_second": len(sources) / seconds,
            "exact_match": float(np.mean([o == t for o, t in zip(outputs, targets)]))}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="seq2seq-dates")
    parser.add_argument("--n-single", type=int, default=100, help="inputs timed one at a time")
    parser.add_argument("--n-batch", type=int, default=1024, help="inputs timed in batches of 256")
    args = parser.parse_args(argv)

    art = zoo.load(args.model)
    examples = dates.make_test_set(60, seed=7)  # 1140 held-out (source, ISO) pairs, all formats
    np.random.default_rng(0).shuffle(examples)
    sources, targets = [s for s, _, _ in examples], [t for _, t, _ in examples]
    rows = []
    for beam_size in (1, 3):
        for batch_size, n in ((1, args.n_single), (256, args.n_batch)):
            reps = int(np.ceil(n / len(sources)))
            rows.append(measure(art, (sources * reps)[:n], (targets * reps)[:n], beam_size, batch_size))
            print(f"  {rows[-1]['decoding']}, batch {batch_size}: {rows[-1]['translations_per_second']:.1f}/s",
                  flush=True)

    print(f"\n{args.model} ({art.config['hparams']['cell']}, attention={art.config['hparams']['attention']})")
    print(f"| decoding | batch | translations/s | ms per batch | exact match | n |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        per_batch = 1000 * r["seconds"] / np.ceil(r["translations"] / r["batch_size"])
        print(f"| {r['decoding']} | {r['batch_size']} | {r['translations_per_second']:.1f} | {per_batch:.1f} | "
              f"{r['exact_match']:.4f} | {r['translations']} |")
    io.write_json(RESULTS, {"model": args.model, "rows": rows, "environment": training.environment()})
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return rows


if __name__ == "__main__":
    main()
