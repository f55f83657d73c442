"""The steps of the char-rnn recipe (recipes/charrnn_shakespeare.py), which it calls top to bottom:
training in cycles with warm restarts (the best epoch's weights kept, an interrupted run resumed),
the validation losses `zoo eval` re-measures, the card, and fine-tuning on a text of your own (new
characters extend the vocabulary). Nothing here is needed to load or use an artifact.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
import keras  # noqa: E402
from zoo import data, io, lineage, samplers, training  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import InvalidInputError  # noqa: E402
from zoo.families.charrnn import artifact as charrnn_artifact  # noqa: E402
from zoo.families.charrnn import model as charrnn  # noqa: E402

FORGETTING_CHARS = 5_000  # of the validation text: a fine-tuned model's metric, quick to re-measure


# ------------------------------------------------------------------------------ training


class KeepBest(keras.callbacks.Callback):
    """Keep the weights of the epoch with the lowest validation loss (like ModelCheckpoint's
    save_best_only), remembering the best value across an interrupted and resumed run."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self.weights = self.folder / "best.weights.h5"
        self.record = self.folder / "best.json"

    def on_train_begin(self, logs=None):
        self.best = io.read_json(self.record)["val_loss"] if self.record.exists() else math.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get("val_loss")
        if value is not None and value < self.best:
            self.best = float(value)
            tmp = self.folder / "best.tmp.weights.h5"  # Keras insists on the .weights.h5 ending
            self.model.save_weights(tmp)
            os.replace(tmp, self.weights)
            io.write_json(self.record, {"epoch": epoch + 1, "val_loss": self.best})


class WallClock(keras.callbacks.Callback):
    """Training seconds summed over an interrupted and resumed run (state/time.json)."""

    def __init__(self, folder: Path):
        super().__init__()
        self.record = Path(folder) / "time.json"

    def on_train_begin(self, logs=None):
        self.before = io.read_json(self.record)["seconds"] if self.record.exists() else 0.0
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        io.write_json(self.record, {"seconds": self.before + time.perf_counter() - self.start})


def read_history(path: Path) -> dict:
    """The per-epoch log written by CSVLogger, across resumed runs (last row of each epoch wins)."""
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows[int(row["epoch"])] = row
    keys = [k for k in next(iter(rows.values())) if k != "epoch"]
    return {k: [float(rows[e][k]) for e in sorted(rows)] for k in keys}


def state_dir(out: Path) -> Path:
    """Where the best weights and the epoch log live while training (next to the checkpoint)."""
    return training.checkpoint_dir(out).with_name(f".{Path(out).name}.state")


def fit(out: Path, train_ids, val_ids, vocab_size: int, hp: dict, epochs: int, seed: int):
    """Build, compile and fit; return the model with the best epoch's weights, the history, the
    best epoch's record and the run's record (training seconds and environment).

    Training runs in `cycles` of `epochs` epochs, each a cosine decay of the learning rate from
    its peak to 1% (a warm restart, as in SGDR, Loshchilov & Hutter 2017). The first cycle
    starts from random weights at `learning_rate`; each later one starts from the best weights
    so far, with a fresh optimizer, at `restart_learning_rate`. Why: at the end of one cycle
    the validation loss was still falling at a learning rate of 1%; a second cycle trains on
    from there, where one longer cycle would have meant training from scratch again.
    """
    state = state_dir(out)
    state.mkdir(parents=True, exist_ok=True)
    training.set_seed(seed)
    model = charrnn.build_charrnn(vocab_size=vocab_size, units=hp["units"], layers=hp["layers"], cell=hp["cell"],
                                  dropout=hp["dropout"], embedding_dim=hp["embedding_dim"])
    batches = training.ShuffledWindows(train_ids, hp["seq_len"], hp["batch_size"], seed)
    done = state / "done.json"
    for cycle in range(1, hp["cycles"] + 1):
        cycle_done = state / f"cycle-{cycle}.json"
        if done.exists() or cycle_done.exists():  # finished before an interruption
            continue
        if cycle > 1:
            load_best(model, state)
        peak = hp["learning_rate"] if cycle == 1 else hp["restart_learning_rate"]
        schedule = keras.optimizers.schedules.CosineDecay(peak, decay_steps=epochs * len(batches), alpha=0.01)
        model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=hp["weight_decay"],
                                                       clipnorm=hp["clipnorm"]),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        callbacks = training.resume_callbacks(out) + [
            keras.callbacks.CSVLogger(str(state / "history.csv"), append=True), KeepBest(state), WallClock(state)]
        print(f"cycle {cycle} of {hp['cycles']}: {epochs} epochs, learning rate {peak} with cosine decay")
        model.fit(batches, validation_data=training.windows(val_ids, hp["seq_len"]), epochs=cycle * epochs,
                  initial_epoch=(cycle - 1) * epochs, callbacks=callbacks, verbose=1)
        training.clear_checkpoint(out)
        io.write_json(cycle_done, {"epochs": cycle * epochs})
    if not done.exists():  # a finished run that crashed while writing goes straight to writing
        io.write_json(done, {"epochs": hp["cycles"] * epochs, "seconds": io.read_json(state / "time.json")["seconds"],
                             "environment": training.environment()})
    load_best(model, state)
    return model, read_history(state / "history.csv"), io.read_json(state / "best.json"), io.read_json(done)


def load_best(model, state: Path) -> None:
    with warnings.catch_warnings():
        # The file also holds the optimizer's moments; a new optimizer is not built yet, so
        # Keras warns that it skips them: a restart starts with fresh moments on purpose.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(state / "best.weights.h5")



# ------------------------------------------------------------------------------ evaluate


def validation_losses(art, val_text: str) -> dict:
    """The recipe's metrics on the validation text. val_loss: the whole text read as one stream
    (the state carried throughout), in nats/char; val_loss_windows: windows of seq_len
    characters, each from a fresh state, as during training (every character has less context,
    so it is a little higher)."""
    streamed = art.score(val_text)
    x, y = training.windows(art.vocab.encode(val_text), art.config["training"]["seq_len"])
    logits = np.asarray(art.model.predict(x, batch_size=64, verbose=0), dtype="float64")
    logp = samplers.log_softmax(logits)
    windowed = float(-np.take_along_axis(logp, y[..., None], axis=-1).mean())
    return {"val_loss": streamed.nats_per_token, "val_bits_per_char": streamed.bits_per_token,
            "val_loss_windows": windowed}


def forgetting(art, val_text: str) -> dict:
    """A fine-tuned model's metric: nats/char on the first FORGETTING_CHARS characters of
    tinyshakespeare's validation text (the base's is measured alike, for before/after)."""
    return {"shakespeare_val_loss_5k": art.score(val_text[:FORGETTING_CHARS]).nats_per_token}


# ------------------------------------------------------------------------------- write


def command_line(name: str, smoke, epochs, seed, options) -> str:
    """The `zoo train` command that repeats the run, for the card."""
    parts = ["zoo train", name] + (["--smoke"] if smoke else []) + [f"--epochs {epochs}"]
    parts += [f"--seed {seed}"] if seed else []
    parts += [f"-o {k}={json.dumps(v)}" for k, v in sorted(options.items()) if k != "keep_state"]
    return " ".join(parts)


def train_config(name: str, model, vocab, record: dict, hp: dict, *, epochs: int, best: dict, run: dict,
                 seed: int, smoke: bool, options: dict, recipe: str) -> dict:
    """A trained model's config (its metrics still to come)."""
    return {
        "name": name,
        "architecture": "charrnn",
        "description": f"A character-level {hp['layers']}x{hp['units']} {hp['cell'].upper()} (char-rnn) trained on "
                       "tinyshakespeare; generates Shakespeare-like text and scores any text in nats/bits per character.",
        "recipe": recipe,
        "hparams": charrnn.hparams_of(model),
        "vocabulary": vocab.chars,
        "dataset": record,
        "training": {**hp, "epochs": epochs, "best_epoch": best["epoch"], "seed": seed, "smoke": smoke,
                     "optimizer": f"AdamW({hp['learning_rate']}, cosine decay to 1%, weight_decay "
                                  f"{hp['weight_decay']}, clipnorm {hp['clipnorm']}); {hp['cycles']} cycle(s) of "
                                  f"{epochs} epochs, restarts at {hp['restart_learning_rate']}",
                     "loss": "cross-entropy of the next character (nats)",
                     "seconds": run["seconds"], "environment": run["environment"],
                     "command": command_line(name, smoke, epochs, seed, options)},
        "card": {"tags": ["text-generation", "character-level", "lstm", "char-rnn", "shakespeare"]},
    }


def write_trained(out: Path, art, history: dict, *, target: float, prompt: str, temperatures,
                  keep_state: bool) -> Path:
    """The samples, the training curve, the card and the artifact folder; then the training state
    (best weights, epoch log) is removed unless `keep_state`."""
    config, model = art.config, art.model
    samples = {t: art.generate(prompt, 300, temperature=t, seed=1) for t in temperatures}
    restarts = [cycle * config["training"]["epochs"] for cycle in range(1, config["training"]["cycles"])]
    plots = {"training_curve.png": charrnn.plot_curve(history, f"{config['name']}: loss per epoch", target, restarts,
                                                      config["metrics"]["val_loss"])}
    folder = save_artifact(out, model=model, config=config, card_body=card_body(config, history, samples, target, prompt),
                           plots=plots)
    if not keep_state:
        shutil.rmtree(state_dir(out), ignore_errors=True)
    return folder


def card_body(config: dict, history: dict, samples: dict, target: float, prompt: str) -> str:
    m, t, env = config["metrics"], config["training"], config["training"]["environment"]
    reached = m["val_loss"] <= target
    rows = "\n".join(f"| {e} | {tr:.4f} | {va:.4f} |" for e, (tr, va) in
                     enumerate(zip(history["loss"], history["val_loss"]), 1))
    verdict = (f"It reaches the target of {target} nats/char." if reached else
               f"**It does not reach the target of {target} nats/char.**")
    sample_text = "\n\n".join(f"Temperature {temp} (seed 1, prompt {prompt!r}):\n\n```\n{prompt}{text}\n```"
                              for temp, text in samples.items())
    return f"""
A {config['hparams']['layers']}-layer {config['hparams']['cell'].upper()} of {config['hparams']['units']} units
reading characters through a {config['hparams']['embedding_dim']}-dimensional embedding
({m['parameters']:,} parameters, vocabulary of {len(config['vocabulary'])} characters).

**Validation loss: {m['val_loss']:.4f} nats/char ({m['val_bits_per_char']:.4f} bits/char)**, the
last 10% of tinyshakespeare read as one stream; {m['val_loss_windows']:.4f} nats/char when read in
windows of {t['seq_len']} characters from a fresh state, as in training. For comparison, nanoGPT's
character-level transformer reaches 1.4697 with 10.7M parameters. {verdict}

Trained for {t['cycles']} cycle(s) of {t['epochs']} epochs (a cosine decay of the learning rate
each, restarted from the best weights at {t.get('restart_learning_rate')}) in {t['seconds'] / 60:.1f} minutes on {env.get('backend')}
({env.get('accelerator')}, {env.get('cpu_count')} cores); the weights kept are those of epoch
{t['best_epoch']}, the best by validation loss. Command: `{t['command']}`.

![training curve](training_curve.png)

| epoch | train loss (with dropout) | validation loss (windows) |
| --- | --- | --- |
{rows}

## Samples

{sample_text}

## Use

```python
art = zoo.load("charrnn-shakespeare")
art.generate("ROMEO:", 400, temperature=0.8, seed=1)   # the same seed gives the same text
art.score(open("my.txt").read())                       # nats/char and bits/char
zoo.finetune("charrnn-shakespeare", text="my.txt", epochs=3, out="runs/mine")
```

Generation runs the recurrence in numpy on the model's weights, one character at a time.
Characters the model has never seen are skipped by `score` and `generate` (and reported);
fine-tuning on a text that has new characters adds them to the vocabulary.
"""


# ------------------------------------------------------------------------------ finetune


def extend_model(model, vocab: charrnn_artifact.Vocabulary, new_chars: list[str], seed: int):
    """A copy of `model` whose vocabulary has `new_chars` appended: the old embedding rows and
    output columns are kept; the new embedding rows start as small random vectors and the new
    output columns at zero weight with a low bias (rare until the text teaches otherwise)."""
    hp = charrnn.hparams_of(model)
    hp["vocab_size"] += len(new_chars)
    bigger = charrnn.build_charrnn(**hp)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if layer.name == "embedding":
            (table,) = weights
            new_rows = rng.normal(0, table.std(), (len(new_chars), table.shape[1])).astype(table.dtype)
            weights = [np.concatenate([table, new_rows])]
        elif layer.name == "logits":
            kernel, bias = weights
            weights = [np.concatenate([kernel, np.zeros((kernel.shape[0], len(new_chars)), kernel.dtype)], axis=1),
                       np.concatenate([bias, np.full(len(new_chars), bias.min(), bias.dtype)])]
        bigger.get_layer(layer.name).set_weights(weights)
    return bigger


def finetune_charrnn(art, *, text, epochs: int, out, seed: int, learning_rate: float, seq_len: int | None,
                     batch_size: int, validation_text) -> Path:
    """The recipe's `finetune` (its docstring says what it does); `validation_text(art)` gives the
    Shakespeare validation text the forgetting metric reads."""
    path = Path(text)
    corpus = io.read_user_text(path, "to fine-tune on")
    seq_len = seq_len or min(art.config["training"].get("seq_len", 128), 128)
    train_text, val_text = data.split_text(corpus, 0.9)
    if len(train_text) < 2 * seq_len or len(val_text) < 2:
        raise InvalidInputError(f"{path} has {len(corpus)} characters; fine-tuning needs at least "
                                f"{int(2.5 * seq_len) + 10} (or a smaller -o seq_len).")

    new_chars = sorted(set(corpus) - set(art.vocab.chars))
    vocab = charrnn_artifact.Vocabulary(art.vocab.chars + new_chars)
    training.set_seed(seed)
    model = extend_model(art.model, art.vocab, new_chars, seed)
    base_val = art.score(val_text)  # the base model on the held-out part (its unknown characters skipped)
    shakespeare_val = validation_text(art)
    base_kept = forgetting(art, shakespeare_val)

    ids = vocab.encode(train_text)
    batch_size = max(1, min(batch_size, (len(ids) - seq_len) // seq_len))
    batches = training.ShuffledWindows(ids, seq_len, batch_size, seed)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with training.Stopwatch() as clock:
        history = model.fit(batches, epochs=epochs, verbose=1, callbacks=training.resume_callbacks(out)).history
    training.clear_checkpoint(out)

    return write_finetuned(art, model, history, out=out, path=path, corpus=corpus, new_chars=new_chars, vocab=vocab,
                           val_text=val_text, shakespeare_val=shakespeare_val, base_val=base_val, base_kept=base_kept,
                           settings={"epochs": epochs, "learning_rate": learning_rate, "seq_len": seq_len,
                                     "batch_size": batch_size, "seed": seed, "seconds": clock.seconds})


def write_finetuned(art, model, history, *, out, path: Path, corpus: str, new_chars, vocab, val_text: str,
                    shakespeare_val: str, base_val, base_kept: dict, settings: dict) -> Path:
    """The fine-tuned model's config (its metric: what it kept of Shakespeare), lineage (held-out
    nats/char before and after), card, training curve and folder."""
    epochs, learning_rate, seq_len = settings["epochs"], settings["learning_rate"], settings["seq_len"]
    batch_size, seed = settings["batch_size"], settings["seed"]
    base = art.config
    config = {
        "name": Path(out).name,
        "architecture": "charrnn",
        "description": f"{base['name']} fine-tuned on {path.name}.",
        "recipe": base.get("recipe", "recipes/charrnn_shakespeare.py"),
        "hparams": charrnn.hparams_of(model),
        "vocabulary": vocab.chars,
        "dataset": base["dataset"],  # the metrics below are measured on the base's validation text
        "training": {**base["training"], "finetune_epochs": epochs, "finetune_learning_rate": learning_rate,
                     "finetune_seq_len": seq_len, "finetune_batch_size": batch_size, "finetune_seed": seed,
                     "finetune_seconds": settings["seconds"], "environment": training.environment()},
        "card": {"tags": ["text-generation", "character-level", "fine-tuned"]},
    }
    tuned = charrnn_artifact.CharRNN(model, config, out)
    after = tuned.score(val_text)
    config["metrics"] = forgetting(tuned, shakespeare_val)
    options = {k: v for k, v in (("seed", seed), ("learning_rate", learning_rate), ("seq_len", seq_len),
                                 ("batch_size", batch_size)) if v is not None}
    config.update(lineage.record(
        art, data=[path], data_flags=[("--text", [path.name])], out=out, epochs=epochs, options=options,
        before={"held_out_nats_per_char": base_val.nats_per_token, **base_kept},
        after={"held_out_nats_per_char": after.nats_per_token, **config["metrics"]},
        summary=f"held out: the last 10% of {path.name}; new characters: "
                f"{''.join(new_chars)!r}" if new_chars else f"held out: the last 10% of {path.name}; no new characters"))
    body = f"""
Fine-tuned from **{base['name']}** for {epochs} epoch(s) on `{path.name}` ({len(corpus):,}
characters{', new characters: ' + repr(''.join(new_chars)) if new_chars else ''}).

On the held-out last 10% of that text: {after.nats_per_token:.4f} nats/char after fine-tuning,
{base_val.nats_per_token:.4f} for the base model{' (which skips the characters it has never seen)' if new_chars else ''}.
The metric below is nats/char on the first {FORGETTING_CHARS:,} characters of tinyshakespeare's
validation text (the base: {base_kept['shakespeare_val_loss_5k']:.4f}): how much
of Shakespeare it kept. `zoo eval` re-measures it.

Load it from its folder: `zoo.load("{out}")`; generate with `art.generate(prompt, length, temperature=0.8)`.
"""
    plots = {"training_curve.png": training.plot_history(history, "fine-tuning loss (nats/char)")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)
