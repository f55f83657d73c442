"""Inference latency of `zoo export`'s files against the Keras model they came from.

For each artifact, every format is exported to a temporary folder, and one call on the same input
(the check's sample input: batch 3, or batch 1 and the fixed window for LiteRT's recurrent
models) is timed in turns: Keras (`model.predict_on_batch`, its compiled predict function), then
the export through its own runtime (onnxruntime, the SavedModel's serving_default signature, the
LiteRT interpreter). The table gives median milliseconds per call and the ratio exported / Keras
(below 1: the export is faster).

    .venv/bin/python benchmarks/export_speed.py [--names mlp-xor,seq2seq-dates] [--calls 50]

Prints a table and writes benchmarks/results/export_speed.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = ["mlp-xor", "cnn-filters-classic", "skipgram-shakespeare", "ngram-lm-shakespeare", "gru-lm-shakespeare",
         "lstm-lm-shakespeare", "seq2seq-dates", "charrnn-shakespeare"]


def timed(call, calls: int) -> float:
    call()  # warm-up: compilation, allocation
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default=",".join(NAMES))
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()

    import zoo
    from zoo import exporting

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names.split(","):
            plan = zoo.load(name).export_plan()
            for fmt in exporting.FORMATS:
                folder = zoo.export(name, format=fmt, out=Path(tmp) / f"{name}-{fmt}")
                inputs = exporting.sample_inputs(plan, fmt)
                args_ = [inputs[t.name] for t in plan.model.inputs]
                keras_ms = timed(lambda: plan.model.predict_on_batch(args_ if len(args_) > 1 else args_[0]), args.calls)
                run = exporting.Exported(folder)
                export_ms = timed(lambda: run(**inputs), args.calls)
                shapes = " ".join(f"{k}{list(v.shape)}" for k, v in inputs.items())
                rows.append({"artifact": name, "format": fmt, "input": shapes, "keras_ms": keras_ms,
                             "exported_ms": export_ms, "ratio": export_ms / keras_ms})
                print(f"{name:<22} {fmt:<12} {shapes:<28} keras {keras_ms:8.2f} ms  exported {export_ms:8.2f} ms"
                      f"  ratio {export_ms / keras_ms:5.2f}", flush=True)
    print("\n| artifact | format | input | Keras ms | exported ms | exported / Keras |\n| --- | --- | --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['artifact']} | {r['format']} | {r['input']} | {r['keras_ms']:.2f} | {r['exported_ms']:.2f} | "
              f"{r['ratio']:.2f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export_speed.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
