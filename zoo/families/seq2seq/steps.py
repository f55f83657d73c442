"""The steps of the seq2seq recipe (recipes/seq2seq_dates.py), which it calls top to bottom: the
pairs files a user trains or fine-tunes on and their split, the id arrays, the comparison of the
attention variants, the metrics `zoo eval` re-measures (exact match, greedy and beam 3), the card,
and fine-tuning on new pairs (new input characters extend the vocabulary; rehearsal pairs of the
base's own data keep the old formats). Nothing here is needed to load or use an artifact.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import numpy as np

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
import keras  # noqa: E402
from zoo import io, lineage, training  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import DataNotFoundError, InvalidInputError  # noqa: E402
from zoo.families.seq2seq import dates  # noqa: E402
from zoo.families.seq2seq import model as seq2seq  # noqa: E402
from zoo.families.seq2seq.artifact import Seq2Seq  # noqa: E402
from zoo.families.seq2seq.vocab import VOCAB_FILE, Vocabulary, encode_sources, encode_targets  # noqa: E402

DATES_DESCRIPTION = ("A character-level LSTM encoder-decoder with attention that rewrites human-written dates "
                     "in 19 formats as ISO 8601 (YYYY-MM-DD).")
# Inputs the card and the attention plot of a dates model show (those its vocabulary covers).
CARD_EXAMPLES = ["the 3rd of March 1999", "Wednesday, November 25, 2026", "11/25/26", "25.11.2026",
                 "1 JAN 2000", "december 31st, 1999", "Sat 29 Feb 2048", "20991231"]
MIN_FINETUNE_PAIRS = 20   # a tenth is held out to measure before and after


# ----------------------------------------------------------------------------- data


def read_pairs(path, strict: bool = False, targets: Vocabulary | None = None, least: int = 2,
               why: str = "one to test on") -> list[tuple[str, str]]:
    """source<TAB>target lines (blank lines skipped), at least `least` of them. Further columns
    are ignored, as in the Tatoeba/ManyThings files, unless `strict` (fine-tuning: exactly two
    non-empty columns). With `targets`, every target must use only its characters."""
    path = Path(path)
    pairs = []
    for number, line in enumerate(io.read_user_text(path, "of source<TAB>target lines").splitlines(), 1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise InvalidInputError(f"{path}, line {number}: no tab; each line must be source<TAB>target.")
        if strict and len(columns) > 2:
            raise InvalidInputError(f"{path}, line {number}: {len(columns)} tab-separated columns; each line must be "
                                    "input<TAB>target, two columns.")
        source, target = columns[0].strip(), columns[1].strip()
        if strict and not (source and target):
            raise InvalidInputError(f"{path}, line {number}: the {'input' if not source else 'target'} is empty; "
                                    "each line must be input<TAB>target.")
        if targets is not None and (unknown := targets.unknown(target)):
            raise InvalidInputError(
                f"{path}, line {number}: the target {target!r} has {''.join(unknown)!r}, which the decoder cannot "
                f"write; its output vocabulary is {''.join(targets.chars)!r} (for dates: the ISO date's digits "
                "and '-', as YYYY-MM-DD).")
        pairs.append((source, target))
    if len(pairs) < least:
        raise InvalidInputError(f"{path} has {len(pairs)} pair(s); at least {least} are needed ({why}).")
    return pairs


def split_pairs(pairs) -> dict[str, list[tuple[str, str, str]]]:
    """train / valid / test by a hash of the source, so equal sources stay on one side."""
    splits = {"train": [], "valid": [], "test": []}
    for source, target in pairs:
        bucket = int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 10
        splits["test" if bucket == 0 else "valid" if bucket == 1 else "train"].append((source, target, "pairs"))
    if not splits["test"]:  # tiny files: hold out at least one pair
        splits["test"].append(splits["train"].pop())
    if not splits["train"]:
        splits["train"].append(splits["test"].pop())
    return splits


def pairs_data(pairs, smoke: bool):
    """A user's pairs file (`-o pairs=my.tsv`) split by a hash of the source: the splits, the
    longest source and target, the artifact's name (from the file's) and the dataset's record."""
    pairs_path = Path(pairs).expanduser().resolve()
    splits = split_pairs(read_pairs(pairs_path))
    if smoke:
        splits = {k: v[:256] for k, v in splits.items()}
    every = [p for split in splits.values() for p in split]
    limits = (max(len(s) for s, _, _ in every), max(len(t) for _, t, _ in every))
    name = "seq2seq-" + (re.sub(r"[^a-z0-9]+", "-", pairs_path.stem.lower()).strip("-") or "pairs")
    dataset = {"name": "pairs", "path": str(pairs_path), "sha256": io.sha256_file(pairs_path),
               "split": "by sha256 of the source: bucket 0 of 10 test, 1 validation, the rest train",
               "pairs": {k: len(v) for k, v in splits.items()}}
    return splits, limits, name, dataset


def arrays(examples, source_vocab, target_vocab, max_source, max_target):
    x = encode_sources([s for s, _, _ in examples], source_vocab, max_source)
    target_in, labels, weights = encode_targets([t for _, t, _ in examples], target_vocab, max_target)
    return (x, target_in), labels, weights


def vocabularies_and_arrays(splits, limits):
    """The source and target vocabularies, from the training side only (a character never trained
    on is an error, not noise); the splits without the pairs they cannot write (and how many
    each lost); the training and validation arrays."""
    source_vocab = Vocabulary.from_texts([s for s, _, _ in splits["train"]])
    target_vocab = Vocabulary.from_texts([t for _, t, _ in splits["train"]])
    known = lambda ex: not source_vocab.unknown(ex[0]) and not target_vocab.unknown(ex[1])  # noqa: E731
    dropped = {k: sum(not known(e) for e in v) for k, v in splits.items() if k != "train"}
    splits = {k: [e for e in v if known(e)] for k, v in splits.items()}
    if not splits["test"]:
        raise InvalidInputError("no test pair uses only characters seen in training; give more pairs.")
    vocabs = (source_vocab, target_vocab)
    data = tuple(arrays(splits[k], source_vocab, target_vocab, *limits) for k in ("train", "valid"))
    data = tuple((x, y, w) for x, y, w in data)
    training.log(f"{len(splits['train'])} training pairs, {len(splits['valid'])} validation, {len(splits['test'])} "
                 f"test; source vocabulary {len(source_vocab)}, target {len(target_vocab)}")
    return splits, vocabs, data, dropped


def vocab_json(vocabs) -> dict:
    """The vocabularies as vocab.json holds them."""
    return {"source": "".join(vocabs[0].chars), "target": "".join(vocabs[1].chars)}


# ----------------------------------------------------------------------------- evaluate


def test_examples(art):
    dataset = art.config["dataset"]
    if dataset["name"] == "pairs":
        path = Path(dataset["path"])
        if not path.is_file() or io.sha256_file(path) != dataset["sha256"]:
            raise DataNotFoundError(f"the pairs file this model was trained on ({path}, sha256 "
                                    f"{dataset['sha256'][:12]}...) is missing or changed; cannot re-measure.")
        examples = split_pairs(read_pairs(path))["test"]
    else:
        examples = dates.make_test_set(dataset["test_per_format"], dataset["test_seed"])
    # As in training: pairs with characters outside the vocabularies cannot be scored.
    return [e for e in examples if not art.source_vocab.unknown(e[0]) and not art.target_vocab.unknown(e[1])]


def exact_match(art, examples, beam_size=1) -> tuple[float, dict]:
    outputs = art.translate([s for s, _, _ in examples], beam_size=beam_size, progress=len(examples) > 1000)
    right = np.array([o == t for o, (_, t, _) in zip(outputs, examples)])
    formats = [f for _, _, f in examples]
    per_format = {f: float(np.mean([r for r, g in zip(right, formats) if g == f])) for f in dict.fromkeys(formats)}
    return float(right.mean()), per_format


def evaluate_seq2seq(art) -> dict:
    """The recipe's `evaluate`: exact match on the held-out test set, greedy and beam 3 (and per
    format for dates)."""
    return evaluate_examples(art, test_examples(art), per_format=art.config["dataset"]["name"] != "pairs")


def evaluate_examples(art, examples, per_format: bool) -> dict:
    greedy, by_format = exact_match(art, examples)
    beam, _ = exact_match(art, examples, beam_size=3)
    metrics = {"exact_match": greedy, "exact_match_beam3": beam, "test_examples": len(examples)}
    if per_format:
        metrics.update({f"exact_match[{f}]": v for f, v in by_format.items()})
    return metrics


# ----------------------------------------------------------------------------- train


def compile_model(model, learning_rate: float, steps: int) -> None:
    """Adam with a cosine decay of the learning rate over `steps` (to 2%), gradients clipped."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, steps), alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["sparse_categorical_accuracy"])


def fit_variant(attention, data, vocabs, limits, hparams, *, epochs, initial_epoch=0, model=None,
                batch_size, learning_rate, total_epochs, checkpoint):
    """Build (or continue) one model and fit it; returns (model, history dict)."""
    (x, y, w), (vx, vy, vw) = data
    if model is None:
        model = seq2seq.build_seq2seq(len(vocabs[0]), len(vocabs[1]), attention=attention, **hparams)
        compile_model(model, learning_rate, total_epochs * int(np.ceil(len(y) / batch_size)))
    validation = (vx, vy, vw) if len(vy) else None
    history = model.fit(x, y, sample_weight=w, validation_data=validation, batch_size=batch_size,
                        epochs=epochs, initial_epoch=initial_epoch, verbose="auto",
                        callbacks=training.resume_callbacks(checkpoint)).history
    return model, history


def compare_attention(out: Path, data, vocabs, limits, hparams, valid, *, compare_epochs: int, seed: int,
                      batch_size, learning_rate, total_epochs):
    """Train every attention variant for `compare_epochs` on the same data and seed, keep the one
    with the best validation exact match (then the lowest validation loss), and train it on to
    `total_epochs`. Returns (model, history, the variant, the comparison for the card)."""
    fit = dict(batch_size=batch_size, learning_rate=learning_rate, total_epochs=total_epochs)
    config_common = {"max_source_length": limits[0], "max_target_length": limits[1]}
    comparison, runs = {}, {}
    for variant in seq2seq.ATTENTIONS:
        training.set_seed(seed)
        start = time.perf_counter()
        model, history = fit_variant(variant, data, vocabs, limits, hparams, epochs=compare_epochs,
                                     checkpoint=out.with_name(f"{out.name}-{variant}"), **fit)
        seconds = time.perf_counter() - start
        probe = Seq2Seq(model, config_common, out, vocab=vocab_json(vocabs))
        valid_em, _ = exact_match(probe, valid)
        comparison[variant] = {"params": model.count_params(), "valid_exact_match": valid_em,
                               "valid_loss": history["val_loss"][-1], "seconds": seconds}
        runs[variant] = (model, history)
        training.log(f"attention={variant}: validation exact match {valid_em:.4f} after "
                     f"{compare_epochs} epochs ({seconds:.0f} s)")
    attention = max(comparison, key=lambda v: (comparison[v]["valid_exact_match"], -comparison[v]["valid_loss"]))
    model, history = runs[attention]
    del runs
    model, more = fit_variant(attention, data, vocabs, limits, hparams, epochs=total_epochs,
                              initial_epoch=compare_epochs, model=model, checkpoint=out, **fit)
    history = {k: history[k] + more.get(k, []) for k in history}
    return model, history, attention, comparison


def clear_checkpoints(out: Path) -> None:
    """The training checkpoints of `out` and of the attention comparison's runs beside it."""
    for variant in seq2seq.ATTENTIONS:
        training.clear_checkpoint(out.with_name(f"{out.name}-{variant}"))
    training.clear_checkpoint(out)


# ----------------------------------------------------------------------------- write


def train_config(name: str, *, dataset: dict, vocabs, limits, hparams: dict, attention: str, comparison: dict,
                 dropped: dict, recipe: str, epochs: int, batch_size: int, learning_rate: float, seed: int,
                 compare_epochs: int | None, seconds: float) -> dict:
    """A trained model's config (its metrics still to come)."""
    is_dates = dataset["name"] != "pairs"
    config = {
        "name": name,
        "architecture": "seq2seq",
        "description": (DATES_DESCRIPTION if is_dates else
                        f"A character-level encoder-decoder trained on the pairs of {Path(dataset['path']).name}."),
        "recipe": recipe,
        "hparams": {"source_vocab_size": len(vocabs[0]), "target_vocab_size": len(vocabs[1]),
                    **hparams, "attention": attention},
        "max_source_length": limits[0],
        "max_target_length": limits[1],
        "dataset": dataset,
        "training": {"epochs": epochs, "batch_size": batch_size,
                     "optimizer": f"Adam, cosine decay from {learning_rate}, clipnorm 1.0",
                     "loss": "cross-entropy of the next character (teacher forcing)", "seed": seed,
                     "attention_comparison_epochs": compare_epochs,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["seq2seq", "attention", "beam-search", "date-normalization" if is_dates else "translation"]},
    }
    if comparison:
        config["attention_comparison"] = comparison
    if any(dropped.values()):
        config["dataset"]["dropped_unknown_characters"] = dropped
    return config


def write_trained(out: Path, art, config: dict, history: dict, test, comparison: dict) -> Path:
    """The plots (training curve, attention weights), the card and the artifact folder."""
    name, is_dates = config["name"], config["dataset"]["name"] != "pairs"
    plots = {"training_curve.png": training.plot_history(history, f"{name} training",
                                                         metrics=("loss", "sparse_categorical_accuracy"))}
    if config["hparams"]["attention"] != "none":
        samples = [s for s, _, _ in test[:: max(1, len(test) // 3)]][:3]
        if is_dates:
            samples = CARD_EXAMPLES[:3]
        samples = [t for t in samples if not art.source_vocab.unknown(t)] or [test[0][0]]
        plots["attention.png"] = seq2seq.plot_attention(art, samples, f"{name}: attention weights")
    body = card_body(art, config, test, comparison, is_dates)
    return save_artifact(out, model=art.model, config=config, card_body=body, plots=plots,
                         assets={VOCAB_FILE: vocab_json((art.source_vocab, art.target_vocab))})


def card_body(art, config, test, comparison, is_dates) -> str:
    metrics = config["metrics"]
    hp = config["hparams"]
    parts = [f"""
A character-level encoder-decoder: an embedding ({hp['embedding_dim']}) and a {hp['cell'].upper()}
({hp['units']} units) read the input; a second {hp['cell'].upper()} started from the encoder's final
state writes the output one character at a time, with attention = `{hp['attention']}`
(see `zoo/families/seq2seq/model.py`). Trained with teacher forcing; decoded greedily or by beam search.

**Held-out exact match: {metrics['exact_match']:.4f} greedy, {metrics['exact_match_beam3']:.4f} with
beam 3**, on {metrics['test_examples']} test pairs (`zoo eval {config['name']}` re-measures it).
"""]
    if is_dates:
        d = dates.datetime.date(2026, 11, 25)
        rows = "\n".join(f"| `{f}` | `{dates.render(d, f)}` | {metrics[f'exact_match[{f}]']:.4f} |"
                         for f in dates.FORMATS)
        parts.append(f"""
## Formats

Every format is rewritten as `YYYY-MM-DD`. Days run from {dates.FIRST_DAY} to {dates.LAST_DAY}; each
day is in exactly one of train (80%), validation (10%) or test (10%), by a hash of the day, so no
test day is ever seen in training. Conventions: slashes are month first (US), dots day first;
two-digit years mean 1950..2049 (50..99 -> 19xx, 00..49 -> 20xx). Weekday names are the true ones.

| format | example (2026-11-25) | test exact match (greedy) |
| --- | --- | --- |
{rows}
""")
    if comparison:
        rows = "\n".join(f"| `{v}` | {c['params']:,} | {c['valid_exact_match']:.4f} | {c['valid_loss']:.4f} | "
                         f"{c['seconds']:.0f} |" for v, c in comparison.items())
        parts.append(f"""
## Attention or not

All three variants trained for {config['training']['attention_comparison_epochs']} epochs on the same data
and seed, then measured on the validation days; the best (`{hp['attention']}`) was trained on to
{config['training']['epochs']} epochs and is this artifact.

| attention | parameters | validation exact match | validation loss | seconds |
| --- | --- | --- | --- | --- |
{rows}
""")
    examples = [s for s, _, _ in test[:: max(1, len(test) // 8)]][:8]
    if is_dates:
        examples = [t for t in CARD_EXAMPLES if not art.source_vocab.unknown(t)] or [test[0][0]]
    outputs = art.translate(examples, beam_size=3)
    rows = "\n".join(f"| `{s}` | `{o}` |" for s, o in zip(examples, outputs))
    parts.append(f"""
## Examples (beam 3)

| input | output |
| --- | --- |
{rows}

```python
art = zoo.load({config['name']!r})
art.translate({examples[:2]!r}, beam_size=3)   # {outputs[:2]!r}
```
```sh
zoo translate {config['name']} {' '.join(repr(e) for e in examples[:2])} --beam-size 3
```

Inputs are stripped of surrounding spaces. An empty input gives an empty output (the model is
not run). A character never seen in training, or an input longer than {config['max_source_length']}
characters, raises `zoo.InvalidInputError` naming the input and the offending characters or length.
""")
    if hp["attention"] != "none":
        parts.append("\n![attention weights](attention.png)\n")
    parts.append("\n![training curve](training_curve.png)\n")
    return "".join(parts)


# ----------------------------------------------------------------------------- finetune


def extend_model(model, hparams: dict, new_chars: list[str], seed: int):
    """A copy of `model` (built with `hparams`) whose source vocabulary has `new_chars`
    appended: every weight is kept, the old embedding rows too; the new rows start as random
    vectors at the scale of the old ones. So old inputs translate exactly as before."""
    bigger = seq2seq.build_seq2seq(**{**hparams, "source_vocab_size": hparams["source_vocab_size"] + len(new_chars)})
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if layer.name == "source_embedding":
            (table,) = weights
            new_rows = rng.normal(0, table.std(), (len(new_chars), table.shape[1])).astype(table.dtype)
            weights = [np.concatenate([table, new_rows])]
        bigger.get_layer(layer.name).set_weights(weights)
    return bigger


def rehearsal_examples(art, n: int, seed: int) -> list[tuple[str, str, str]]:
    """n pairs of the kind the base was trained on: fresh generated dates from the training days
    (never a test day), or a sample of the training part of the base's own pairs file."""
    if n <= 0:
        return []
    dataset = art.config["dataset"]
    if dataset["name"] != "pairs":
        examples = dates.make_examples(n, "train", seed + 1)
    else:
        path = Path(dataset["path"])
        if not path.is_file() or io.sha256_file(path) != dataset["sha256"]:
            raise DataNotFoundError(f"rehearsal needs the pairs file {art.name} was trained on ({path}), which is "
                                    "missing or changed; give -o rehearsal=0 to fine-tune without it.")
        pool = split_pairs(read_pairs(path))["train"]
        examples = [pool[i] for i in np.random.default_rng(seed + 1).integers(0, len(pool), n)]
    # As in training: only pairs the base's vocabularies cover (a small base may lack a letter).
    return [e for e in examples if not art.source_vocab.unknown(e[0]) and not art.target_vocab.unknown(e[1])]


def held_out_scores(art, examples) -> dict:
    """Greedy exact match and character accuracy (position by position, over the longer of
    output and target) on pairs; a pair whose input the model cannot read (characters it never
    saw, or too long) counts as wrong, as translate refuses it."""
    readable = [i for i, (s, _, _) in enumerate(examples)
                if not art.source_vocab.unknown(s) and len(s) <= art.max_source_length]
    outputs = [""] * len(examples)
    for i, output in zip(readable, art.translate([examples[i][0] for i in readable])):
        outputs[i] = output
    targets = [t for _, t, _ in examples]
    chars = [sum(a == b for a, b in zip(o, t)) / max(len(o), len(t), 1) for o, t in zip(outputs, targets)]
    return {"held_out_exact_match": float(np.mean([o == t for o, t in zip(outputs, targets)])),
            "held_out_char_accuracy": float(np.mean(chars)), "held_out_readable": len(readable) / len(examples)}


def finetune_seq2seq(art, *, pairs, epochs: int, out, seed: int, learning_rate: float, batch_size: int,
                     rehearsal: int) -> Path:
    """The recipe's `finetune` (its docstring says what it does): read and split the pairs, extend
    the model's source vocabulary, train on the new pairs and the rehearsal pairs, write."""
    path = Path(pairs)
    epochs, batch_size, rehearsal, seed = int(epochs), int(batch_size), int(rehearsal), int(seed)
    learning_rate = float(learning_rate)
    for name, value, least in (("epochs", epochs, 1), ("batch_size", batch_size, 1), ("rehearsal", rehearsal, 0)):
        if value < least:
            raise InvalidInputError(f"{name} must be at least {least}; got {value}.")
    if not learning_rate > 0:
        raise InvalidInputError(f"learning_rate must be positive; got {learning_rate}.")
    every = read_pairs(path, strict=True, targets=art.target_vocab, least=MIN_FINETUNE_PAIRS,
                       why="a tenth is held out to measure the fine-tuning; a few hundred work well")
    splits = split_pairs(every)
    held_out = [(s, t, "new") for s, t, _ in splits["test"]]
    new_train = [(s, t, "new") for s, t, _ in splits["train"] + splits["valid"]]
    old = rehearsal_examples(art, rehearsal, seed)

    # ---- the model: the base's weights, the source vocabulary extended by the new characters
    new_chars = sorted(set("".join(s for s, _ in every)) - set(art.source_vocab.chars))
    vocabs = (Vocabulary(art.source_vocab.chars + new_chars), art.target_vocab)
    limits = (max(art.max_source_length, *(len(s) for s, _ in every)),
              max(art.max_target_length, *(len(t) for _, t in every)))
    training.set_seed(seed)
    model = extend_model(art.model, art.config["hparams"], new_chars, seed)
    before = {**held_out_scores(art, held_out), "base_test_exact_match": art.metrics.get("exact_match")}

    # ---- train on the new pairs and the rehearsal pairs, shuffled together
    x, y, w = arrays(new_train + old, *vocabs, *limits)
    compile_model(model, learning_rate, epochs * int(np.ceil(len(y) / batch_size)))
    training.log(f"fine-tuning on {len(new_train)} new pairs + {len(old)} rehearsal pairs; {len(held_out)} held out; "
                 f"new characters: {''.join(new_chars)!r}")
    with training.Stopwatch() as clock:
        history = model.fit(x, y, sample_weight=w, batch_size=batch_size, epochs=epochs, shuffle=True, verbose="auto",
                            callbacks=training.resume_callbacks(out)).history
    training.clear_checkpoint(out)

    options = {"seed": seed, "learning_rate": learning_rate, "batch_size": batch_size, "rehearsal": rehearsal}
    return write_finetuned(art, model, history, out=out, path=path, every=every, splits=splits, held_out=held_out,
                           new_train=new_train, old=old, new_chars=new_chars, vocabs=vocabs, limits=limits,
                           epochs=epochs, options=options, seconds=clock.seconds, before=before)


def write_finetuned(art, model, history, *, out, path: Path, every, splits, held_out, new_train, old, new_chars,
                    vocabs, limits, epochs: int, options: dict, seconds: float, before: dict) -> Path:
    """The fine-tuned model's config (metrics on the base's test set, so `zoo eval` re-measures
    them), its lineage (held-out exact match before and after), card, plots and folder."""
    base = art.config
    hparams = {**base["hparams"], "source_vocab_size": len(vocabs[0])}
    config = {
        "name": Path(out).name,
        "architecture": "seq2seq",
        "description": f"{base['name']} fine-tuned on the pairs of {path.name}.",
        "recipe": base.get("recipe", "recipes/seq2seq_dates.py"),
        "hparams": hparams,
        "max_source_length": limits[0],
        "max_target_length": limits[1],
        "dataset": base["dataset"],  # the metrics below are on the base's test set: what it kept
        "training": {**{k: v for k, v in base["training"].items() if k != "attention_comparison_epochs"},
                     "finetune_epochs": epochs, "finetune_learning_rate": options["learning_rate"],
                     "finetune_batch_size": options["batch_size"], "finetune_rehearsal_pairs": len(old),
                     "finetune_seed": options["seed"], "finetune_seconds": seconds,
                     "environment": training.environment()},
        "card": {"tags": [*base.get("card", {}).get("tags", []), "fine-tuned"]},
    }
    tuned = Seq2Seq(model, config, out, vocab=vocab_json(vocabs))
    config["metrics"] = evaluate_seq2seq(tuned)
    after = {**held_out_scores(tuned, held_out), "base_test_exact_match": config["metrics"]["exact_match"]}
    config.update(lineage.record(
        art, data=[path], data_flags=[("--pairs", [path.name])], out=out, epochs=epochs, options=options,
        before=before, after=after,
        summary=f"held out: {len(held_out)} of the {len(every)} pairs of {path.name} (a tenth, by a hash of the "
                f"input); trained on the other {len(new_train)} with {len(old)} rehearsal pairs of the base's own data; "
                + (f"new input characters: {''.join(new_chars)!r}" if new_chars else "no new input characters")))
    body = finetune_card_body(tuned, config, base, out=out, path=path, every=every, held_out=held_out, old=old,
                              new_chars=new_chars, epochs=epochs, before=before, after=after)
    body += card_body(tuned, config, splits["test"], {}, base["dataset"]["name"] != "pairs")
    plots = {"training_curve.png": training.plot_history(history, "fine-tuning",
                                                         metrics=("loss", "sparse_categorical_accuracy"))}
    if hparams["attention"] != "none":
        samples = [s for s, _, _ in held_out[:2]] + ["the 3rd of March 1999"]
        samples = [s for s in samples if not tuned.source_vocab.unknown(s)]
        plots["attention.png"] = seq2seq.plot_attention(tuned, samples[:3], f"{config['name']}: attention weights")
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={VOCAB_FILE: vocab_json(vocabs)})


def finetune_card_body(tuned, config, base, *, out, path, every, held_out, old, new_chars, epochs, before,
                       after) -> str:
    """The fine-tuned card's opening: the base, the data, held-out exact match before and after."""
    translated = tuned.translate([s for s, _, _ in held_out[:6]])
    rows = "\n".join(f"| `{s}` | `{t}` | `{o}` |" for (s, t, _), o in zip(held_out, translated))
    return f"""
Fine-tuned from **{base['name']}** for {epochs} epoch(s) on `{path.name}` ({len(every)} pairs; new input
characters: {repr(''.join(new_chars)) if new_chars else 'none'}), with {len(old)} pairs of the base's own
training data mixed in (rehearsal, `-o rehearsal=N`; 0 turns it off), so that it keeps what it knew.

On the {len(held_out)} held-out pairs of that file: exact match **{after['held_out_exact_match']:.4f}** after
fine-tuning, {before['held_out_exact_match']:.4f} for the base model (which cannot read
{1 - before['held_out_readable']:.0%} of them). On the base's own test set:
{config['metrics']['exact_match']:.4f} (the base: {before['base_test_exact_match']:.4f}); the metrics below
are that test set, so `zoo eval DIR` re-measures them.

| held-out input | target | output (greedy) |
| --- | --- | --- |
{rows}

Load it from its folder: `zoo.load("{out}")`; `art.translate([...])`.
"""
