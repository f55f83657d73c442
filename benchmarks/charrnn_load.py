"""charrnn's numpy generation and scoring, on an idle machine and next to one busy process.

Three comparisons, each as a ratio measured side by side in the same run:

(a) generation against the machine's own limit for a batch-one step: a bare loop of numpy
    vector-matrix products, on one BLAS thread, over the very matrices a step multiplies by (the
    same weight bytes), with nothing else: no gates, no sampling, no Python around it;
(b) generation and scoring with nothing else running ("idle") and next to one busy process that
    keeps one core busy ("loaded"); also generation with two BLAS threads, for contrast;
(c) scoring a long text as many streams side by side (what `score` does; the first 40,000
    characters of tinyshakespeare's validation split, 40 streams) against one stream, one
    character after the other (`score(text, single_stream=True)`): speed, and the difference in
    nats/char over the same long text.

Every round runs every method once idle, then once loaded. The table gives the median rates over
the rounds, and each ratio is the median over the rounds of that round's ratio, so that a
disturbance (other people's jobs on a shared machine) moves a round, not a method. "idle" means
that this benchmark runs nothing else. The bare loop is the control: next to one busy process on
two cores it keeps its idle rate, so a round where it lost more than 20% had other work on the
machine; the ratios are given over all rounds and over the quiet ones, and the JSON keeps the load
average after every half round.

    .venv/bin/python benchmarks/charrnn_load.py [--rounds 7] [--seconds 1] [--busy spin|matmul] [--score-chars 40000]

Prints a table and writes benchmarks/results/charrnn_load.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import zoo
from zoo import data, io, training
from zoo.families.charrnn import artifact as charrnn
from zoo.families.charrnn import numpy_step

RESULTS = Path(__file__).resolve().parent / "results" / "charrnn_load.json"
PROMPT = "ROMEO:"
TEMPERATURE = 0.8

# The competing process: one Python process that keeps one core busy for at most `seconds`
# (so it cannot outlive a crashed benchmark by long). "spin" is pure arithmetic on registers;
# "matmul" multiplies matrices that live in the shared cache, competing for it and for memory
# bandwidth as well as for a core.
BUSY = {
    "spin": "import time\nend = time.time() + {seconds}\nx = 0\nwhile time.time() < end:\n    x += 1\n",
    "matmul": "import time, numpy as np\nfrom threadpoolctl import threadpool_limits\n"
              "a = np.random.rand(1024, 1024).astype('float32')\nend = time.time() + {seconds}\n"
              "with threadpool_limits(1):\n    while time.time() < end:\n        a @ a\n",
}


class Busy:
    """A context that runs one busy process (or none) while it is open."""

    def __init__(self, kind: str | None, seconds: float):
        self.kind, self.seconds, self.process = kind, seconds, None

    def __enter__(self):
        if self.kind:
            code = BUSY[self.kind].format(seconds=self.seconds)
            self.process = subprocess.Popen([sys.executable, "-c", code])
            time.sleep(0.3)  # let it start spinning before anything is timed
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def bare_loop(rnn, steps: int) -> None:
    """The limit of a batch-one step: one vector-matrix product per step matrix, nothing else."""
    matrices = rnn.step_matrices()
    vectors = [np.full(w.shape[0], 0.01, dtype="float32") for w in matrices]
    outs = [np.empty(w.shape[1], dtype="float32") for w in matrices]
    with threadpool_limits(1, user_api="blas"):
        for _ in range(steps):
            for v, w, out in zip(vectors, matrices, outs):
                np.dot(v, w, out=out)


def generate_with_threads(art, threads: int, length: int, seed: int) -> None:
    saved = numpy_step.BLAS_THREADS
    numpy_step.BLAS_THREADS = threads
    try:
        art.generate(PROMPT, length, temperature=TEMPERATURE, seed=seed)
    finally:
        numpy_step.BLAS_THREADS = saved


def timed(run, n: int) -> float:
    """Units (characters or steps) per second of run()."""
    start = time.perf_counter()
    run()
    return n / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="charrnn-shakespeare", help="artifact name or folder")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (each one idle and one loaded)")
    parser.add_argument("--seconds", type=float, default=1.0, help="about how long each timing runs")
    parser.add_argument("--busy", choices=sorted(BUSY), default="spin", help="the competing process")
    parser.add_argument("--score-chars", type=int, default=40_000,
                        help="characters of the validation text scored in streams (0: all 111,540)")
    args = parser.parse_args(argv)

    art = zoo.load(args.model)
    rnn = art.rnn
    _, val = data.split_text(data.read_text("tinyshakespeare"))
    long_text = val[:args.score_chars] if args.score_chars else val

    # Warm up, and size every timing to about --seconds on this machine.
    art.generate(PROMPT, 50, seed=0)
    bare_rate = timed(lambda: bare_loop(rnn, 300), 300)
    chars = max(200, int(bare_rate * 0.7 * args.seconds))  # generation and one-stream scoring
    steps = max(200, int(bare_rate * args.seconds))
    single_text = long_text[:chars + 1]

    methods = {
        "bare loop (1 thread)": (lambda: bare_loop(rnn, steps), steps),
        "generate": (lambda: art.generate(PROMPT, chars, temperature=TEMPERATURE, seed=1), chars),
        # (fewer characters: two threads can be ten times slower next to a busy process)
        "generate, 2 BLAS threads": (lambda: generate_with_threads(art, 2, chars // 4, 1), chars // 4),
        "score, one stream": (lambda: art.score(single_text, single_stream=True), chars),
        "score, streams": (lambda: art.score(long_text), len(long_text) - 1),
    }
    rates = {(m, cond): [] for m in methods for cond in ("idle", "loaded")}
    loads = []
    budget = 60 * (len(methods) + 2) * args.seconds  # the busy process's bound, beyond any round
    for round_ in range(args.rounds):
        for cond in ("idle", "loaded"):
            with Busy(args.busy if cond == "loaded" else None, budget):
                for method, (run, n) in methods.items():
                    rates[method, cond].append(timed(run, n))
            loads.append(os.getloadavg()[0])
        print(f"round {round_ + 1}/{args.rounds}: " + ", ".join(
            f"{m} {rates[m, 'idle'][-1]:,.0f}/{rates[m, 'loaded'][-1]:,.0f}" for m in methods), flush=True)

    # (c) the two ways of scoring, on the same long text
    one_stream = art.score(long_text, single_stream=True).nats_per_token
    streamed = art.score(long_text).nats_per_token

    med = {key: float(np.median(v)) for key, v in rates.items()}

    # The bare loop is the control: next to our one busy process it should keep its idle rate (it
    # has a core of its own). A round where it lost more than 20% had other work on the machine.
    bare = "bare loop (1 thread)"
    quiet = np.array(rates[bare, "loaded"]) >= 0.8 * np.array(rates[bare, "idle"])

    def ratio(a, b, rounds=None):
        """The median over the rounds of rate a / rate b, both measured in the same round."""
        r = np.array(rates[a]) / np.array(rates[b])
        r = r if rounds is None else r[rounds]
        return float(np.median(r)) if len(r) else None

    rows = []
    for method in methods:
        rows.append({"method": method, "idle_per_second": med[method, "idle"],
                     "loaded_per_second": med[method, "loaded"],
                     "loaded_over_idle": ratio((method, "loaded"), (method, "idle")),
                     "idle_runs": rates[method, "idle"], "loaded_runs": rates[method, "loaded"]})
    gen, two = "generate", "generate, 2 BLAS threads"
    single, streams = "score, one stream", "score, streams"
    pairs = {
        "generate_over_bare_loop_idle": ((gen, "idle"), (bare, "idle")),
        "generate_loaded_over_idle": ((gen, "loaded"), (gen, "idle")),
        "score_streams_loaded_over_idle": ((streams, "loaded"), (streams, "idle")),
        "score_one_stream_loaded_over_idle": ((single, "loaded"), (single, "idle")),
        "score_streams_over_one_stream_idle": ((streams, "idle"), (single, "idle")),
        "score_streams_over_one_stream_loaded": ((streams, "loaded"), (single, "loaded")),
        "generate_2_threads_loaded_over_idle": ((two, "loaded"), (two, "idle")),
        "bare_loop_loaded_over_idle": ((bare, "loaded"), (bare, "idle")),
    }
    ratios = {key: ratio(*pair) for key, pair in pairs.items()}
    ratios_quiet_rounds = {key: ratio(*pair, rounds=quiet) for key, pair in pairs.items()}

    hp = art.config["hparams"]
    print(f"\n{args.model} ({hp['layers']}x{hp['units']} {hp['cell']}, {rnn.weight_bytes / 1e6:.1f} MB per step), "
          f"median of {args.rounds} rounds, busy process: {args.busy}")
    print(f"{'method':<28} {'idle /s':>10} {'loaded /s':>10} {'loaded/idle':>12}  (rates: medians; ratio: "
          "median of the rounds' ratios)")
    for r in rows:
        print(f"{r['method']:<28} {r['idle_per_second']:>10,.0f} {r['loaded_per_second']:>10,.0f} "
              f"{r['loaded_over_idle']:>12.2f}")
    print("(bare loop: steps/s; the others: characters/s)\n")
    print(f"{'ratio (median over rounds)':<40} {'all rounds':>10} {'quiet rounds':>13}")
    for key, value in ratios.items():
        in_quiet = ratios_quiet_rounds[key]
        print(f"{key:<40} {value:>10.2f} {'-' if in_quiet is None else f'{in_quiet:.2f}':>13}")
    print(f"quiet rounds: {int(quiet.sum())} of {args.rounds} (the bare loop kept >= 80% of its idle rate "
          "next to the busy process: nothing else ran)")
    print(f"score over {len(long_text) - 1:,} characters: streams {streamed:.6f}, one stream {one_stream:.6f} "
          f"nats/char, difference {streamed - one_stream:+.2e}")

    result = {"benchmark": "charrnn_load", "model": args.model, "weight_bytes_per_step": rnn.weight_bytes,
              "blas_threads": numpy_step.BLAS_THREADS, "busy": args.busy, "rounds": args.rounds,
              "generate_chars": chars, "bare_steps": steps, "score_one_stream_chars": chars,
              "score_streams_chars": len(long_text) - 1,
              "score_streams": min(charrnn.SCORE_STREAMS, len(long_text) // charrnn.SCORE_MIN_CHUNK),
              "score_warmup": charrnn.SCORE_WARMUP, "rows": rows, "ratios": ratios,
              "quiet_rounds": quiet.tolist(), "ratios_quiet_rounds": ratios_quiet_rounds,
              "nats_per_char": {"streams": streamed, "one_stream": one_stream, "difference": streamed - one_stream},
              "load_average_after_each_half_round": loads, "environment": training.environment()}
    io.write_json(RESULTS, result)
    print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
