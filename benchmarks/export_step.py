"""Speed per token of the exported step (step.onnx, run by onnxruntime) against the zoo's own
numpy step, side by side, for one stream (generation).

For each artifact the ONNX export is written to a temporary folder; then, in alternating rounds,
the same tokens are fed one at a time to each: the zoo's step (`art.advance` then
`art.next_log_probs`, what `generate` does per token besides sampling, on one BLAS thread as
`generate` runs) and the export's (README.md's `run_step`: onnxruntime's session, the state handed
back at each call). onnxruntime runs on one intra-op thread, as the zoo's step does; `--ort-threads
0` gives it its default (every core). The table gives the median microseconds per token over the
rounds and the ratio export / zoo (below 1: the export is faster; the issue asks for at most 2).

    .venv/bin/python benchmarks/export_step.py [--names charrnn-shakespeare,gru-lm-shakespeare]
        [--tokens 300] [--rounds 7] [--ort-threads 1]

Prints a table and writes benchmarks/results/export_step.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = ["charrnn-shakespeare", "gru-lm-shakespeare", "lstm-lm-shakespeare"]


def zoo_step(art, tokens):
    """Seconds per token of the zoo's own step: advance, then the next token's log-probabilities."""
    state, _ = art.read_prompt("")
    with art.running():
        started = time.perf_counter()
        for token in tokens:
            state = art.advance(state, int(token))
            art.next_log_probs(state)
        return (time.perf_counter() - started) / len(tokens)


def export_step(session, names, state_names, units, tokens):
    """Seconds per token of step.onnx, driven as README.md's loop drives it."""
    import numpy as np

    run_step = lambda **inputs: dict(zip(names, session.run(None, inputs)))  # noqa: E731
    state = {name: np.zeros((1, units[name]), "float32") for name in state_names}
    started = time.perf_counter()
    for token in tokens:
        out = run_step(token=np.array([token], "int32"), **state)
        state = {name: out[name + "_next"] for name in state}
        out["log_probs"][0]
    return (time.perf_counter() - started) / len(tokens)


def measure(name: str, tokens: int, rounds: int, ort_threads: int, tmp: Path) -> dict:
    import numpy as np
    import onnxruntime

    import zoo

    art = zoo.load(name)
    folder = zoo.export(name, format="onnx", out=tmp / name)
    manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    step = next(e for e in manifest["endpoints"] if e["name"] == "step")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = ort_threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(folder / step["model_file"]), options,
                                           providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    units = {s["name"]: s["shape"][-1] for s in step["inputs"] if s["name"] in step["state"]}
    vocab = next(s for s in step["inputs"] if s["name"] == "token")["ids_below"]
    ids = np.random.default_rng(0).integers(2, vocab, tokens)  # (2 and up: no <UNK> nor <s> for the words)
    zoo_times, export_times = [], []
    zoo_step(art, ids[:20]), export_step(session, names, step["state"], units, ids[:20])  # warm-up
    for _ in range(rounds):
        zoo_times.append(zoo_step(art, ids))
        export_times.append(export_step(session, names, step["state"], units, ids))
    zoo_us, export_us = statistics.median(zoo_times) * 1e6, statistics.median(export_times) * 1e6
    return {"artifact": name, "zoo_us_per_token": round(zoo_us, 1), "onnx_us_per_token": round(export_us, 1),
            "ratio": round(export_us / zoo_us, 3), "zoo_rounds_us": [round(t * 1e6, 1) for t in zoo_times],
            "onnx_rounds_us": [round(t * 1e6, 1) for t in export_times]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default=",".join(NAMES))
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ort-threads", type=int, default=1, help="onnxruntime's intra-op threads (0: its default)")
    args = parser.parse_args()

    import onnxruntime

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names.split(","):
            rows.append(measure(name, args.tokens, args.rounds, args.ort_threads, Path(tmp)))
            row = rows[-1]
            print(f"{row['artifact']:<22} zoo step {row['zoo_us_per_token']:>8.1f} us/token   "
                  f"step.onnx {row['onnx_us_per_token']:>8.1f} us/token   export/zoo {row['ratio']:.2f}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "export_step.json"
    out.write_text(json.dumps({
        "what": "median microseconds per token, one stream: the zoo's numpy step vs step.onnx on onnxruntime",
        "tokens": args.tokens, "rounds": args.rounds, "ort_intra_op_threads": args.ort_threads,
        "onnxruntime": onnxruntime.__version__, "machine": platform.machine(), "rows": rows}, indent=1) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
