"""How fast charrnn writes: characters per second of `art.generate`, side by side with

- the naive loop of the tutorials: one `model.predict` on the whole growing prefix per character
  (run for only a few characters: it is slow, and slower the longer the text gets);
- a plain-numpy reference of the same recurrent step on the same weights, written the obvious
  way (embedding lookup, x W + h U + b per layer, softmax, rng.choice), run with numpy's default
  BLAS threads and with one BLAS thread (`generate` always uses one: see numpy_step.BLAS_THREADS,
  and benchmarks/charrnn_load.py for generation and scoring next to a busy process).

All three sample at temperature 0.8 with batch size one. Two models: the pretrained
charrnn-shakespeare, and a 2x512 LSTM of the recipe's default shape (random weights: speed does
not depend on the values). Greedy text from `generate` and from the reference must agree.

    .venv/bin/python benchmarks/charrnn_generate.py [--chars 3000] [--naive-chars 40]

Prints a table and writes benchmarks/results/charrnn_generate.json.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import zoo
import keras
from zoo import io, training
from zoo.families.charrnn import artifact as charrnn_artifact
from zoo.families.charrnn import model as charrnn

RESULTS = Path(__file__).resolve().parent / "results" / "charrnn_generate.json"
PROMPT = "ROMEO:"
TEMPERATURE = 0.8


def naive_loop(art, prompt: str, length: int, temperature: float, seed: int) -> str:
    """As in the tutorials: predict on the whole text so far, sample the last position's output."""
    rng = np.random.default_rng(seed)
    ids = list(art.vocab.encode(prompt))
    for _ in range(length):
        logits = art.model.predict(np.array([ids], dtype="int32"), verbose=0)[0, -1]
        probs = np.exp((logits - logits.max()) / temperature)
        ids.append(int(rng.choice(len(probs), p=probs / probs.sum())))
    return art.vocab.decode(ids[len(prompt):])


class NumpyReference:
    """The recurrence written the obvious way (LSTM only), on the model's weights."""

    def __init__(self, model):
        self.embedding = model.get_layer("embedding").get_weights()[0]
        self.cells = [layer.get_weights() for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
        self.out_w, self.out_b = model.get_layer("logits").get_weights()

    def generate(self, ids, length: int, temperature: float, seed: int) -> list[int]:
        sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        rng = np.random.default_rng(seed)
        state = [(np.zeros(u.shape[0], "float32"), np.zeros(u.shape[0], "float32")) for _, u, _ in self.cells]
        out = []
        ids = list(ids)
        for t in range(len(ids) - 1 + length):
            x = self.embedding[ids[t] if t < len(ids) else out[-1]]
            for layer, (w, u, b) in enumerate(self.cells):
                h, c = state[layer]
                i, f, g, o = np.split(x @ w + h @ u + b, 4)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
                state[layer] = (h, c)
                x = h
            if t < len(ids) - 1:
                continue
            logits = x @ self.out_w + self.out_b
            if temperature == 0:
                out.append(int(np.argmax(logits)))
            else:
                probs = np.exp((logits - logits.max()) / temperature)
                out.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        return out


def chars_per_second(run, n: int) -> tuple[float, float]:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    return n / seconds, seconds


def bench(label: str, art, chars: int, naive_chars: int) -> list[dict]:
    reference = NumpyReference(art.model)
    prompt_ids = art.vocab.encode(PROMPT)
    # Same weights, same recurrence: the greedy texts must agree.
    same_greedy = (art.vocab.decode(reference.generate(prompt_ids, 200, 0, 0))
                   == art.generate(PROMPT, 200, temperature=0))
    art.model.predict(np.array([prompt_ids]), verbose=0)  # warm up (tracing) before timing
    art.generate(PROMPT, 20, temperature=TEMPERATURE, seed=0)
    rows = []
    def reference_one_thread():
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            reference.generate(prompt_ids, chars, TEMPERATURE, 1)

    for method, n, run in [
        ("naive model.predict loop", naive_chars, lambda: naive_loop(art, PROMPT, naive_chars, TEMPERATURE, 1)),
        ("numpy reference", chars, lambda: reference.generate(prompt_ids, chars, TEMPERATURE, 1)),
        ("numpy reference, 1 thread", chars, reference_one_thread),
        ("zoo generate", chars, lambda: art.generate(PROMPT, chars, temperature=TEMPERATURE, seed=1)),
    ]:
        rate, seconds = chars_per_second(run, n)
        rows.append({"model": label, "method": method, "chars": n, "seconds": seconds, "chars_per_second": rate})
    naive = rows[0]["chars_per_second"]
    for row in rows:
        row["speedup_vs_naive"] = row["chars_per_second"] / naive
        row["same_greedy_text_as_reference"] = same_greedy
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="charrnn-shakespeare", help="artifact name or folder")
    parser.add_argument("--chars", type=int, default=3000, help="characters for generate and the numpy reference")
    parser.add_argument("--naive-chars", type=int, default=40, help="characters for the naive loop")
    args = parser.parse_args(argv)

    art = zoo.load(args.model)
    hp = art.config["hparams"]
    rows = bench(f"{args.model} ({hp['layers']}x{hp['units']} {hp['cell']})", art, args.chars, args.naive_chars)
    # The recipe's default shape, 2x512 LSTM, with random weights (speed does not depend on them).
    big = charrnn.build_charrnn(vocab_size=len(art.vocab), units=512, layers=2)
    rng = np.random.default_rng(0)
    big.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in big.get_weights()])
    big_art = charrnn_artifact.CharRNN(big, {**art.config, "hparams": charrnn.hparams_of(big)}, art.folder)
    rows += bench("2x512 lstm, random weights (recipe default shape)", big_art, args.chars, args.naive_chars)

    print(f"{'model':<52} {'method':<26} {'chars':>6} {'chars/s':>10} {'x naive':>8}  greedy = ref")
    for r in rows:
        print(f"{r['model']:<52} {r['method']:<26} {r['chars']:>6} {r['chars_per_second']:>10,.0f} "
              f"{r['speedup_vs_naive']:>8.1f}  {'yes' if r['same_greedy_text_as_reference'] else 'NO'}")
    env = training.environment()
    result = {"benchmark": "charrnn_generate", "prompt": PROMPT, "temperature": TEMPERATURE, "batch_size": 1,
              "rows": rows, "environment": env, "load_average": os.getloadavg()}
    io.write_json(RESULTS, result)
    print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
