"""The steps of the word-level language-model recipes: gru-lm-shakespeare and lstm-lm-shakespeare
(the same steps, with a different cell: the options, the training loop, the metrics, the card)
and, with ngram-lm-shakespeare, the card's table, the data the metrics are measured on, and
fine-tuning on a user's text (new words join the vocabulary). Nothing here is needed to load or
use an artifact.
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
import keras  # noqa: E402
from zoo import io, lineage, training  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import InvalidInputError, ZooError  # noqa: E402
from zoo.families.word_lm import artifact, lm_table, ngram, rnnlm, words  # noqa: E402


# ------------------------------------------------------------------------------ the card's table


def card_table_section(rows: list[dict], sample: str) -> str:
    """The part every word-level language model's card shares: the table, the plots, a sample."""
    return f"""
## The language-model table

Same split, same vocabulary, same test tokens for every row, all measured by this recipe in the
same run: the count models (nltk.lm's Laplace and interpolated Kneser-Ney, reproduced exactly by
numpy) and this model. The table of all the zoo's language models is in the README
(`benchmarks/lm_table.py` re-measures it).

{lm_table.comparison_markdown(rows)}

![the table](perplexity_table.png)

![training curve](training_curve.png)

Sample (temperature 0.8, seed 1, prompt "first citizen :"):

```
first citizen :
{sample}
```
"""


def plot_table(rows: list[dict], title: str):
    """Test perplexity of every model in the table, as bars (lower is better)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.2))
    labels = [r["model"] for r in rows][::-1]
    values = [r["test_perplexity"] for r in rows][::-1]
    colors = ["#999999" if not label.endswith("shakespeare") else "#3b75af" for label in labels]
    ax.barh(labels, values, color=colors)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.1f}", va="center")
    ax.set_xlabel("test perplexity (lower is better)")
    ax.set_xlim(0, max(values) * 1.15)
    ax.set_title(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- training, metrics, card
# gru-lm-shakespeare and lstm-lm-shakespeare: the same steps, with a different cell.

TRAINING_OPTIONS = ("learning_rate", "batch_size", "weight_decay")
PATIENCE = 3  # epochs without a better validation loss before training stops


def language_model_options(hparams: dict, training_options: dict, options: dict) -> tuple[dict, dict]:
    """`zoo train gru-lm-shakespeare -o units=512 -o weight_decay=0.1`: a recipe's model
    hyper-parameters and training options, overridden by name (unknown names are refused)."""
    known = sorted({*hparams, "recurrent_dropout", *TRAINING_OPTIONS})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidInputError(f"unknown option(s) {unknown} for this recipe; known: {', '.join(known)}.")
    hparams = {**hparams, **{k: v for k, v in options.items() if k not in TRAINING_OPTIONS}}
    training_options = {**training_options, **{k: v for k, v in options.items() if k in TRAINING_OPTIONS}}
    return hparams, training_options


def compile_language_model(model, learning_rate: float, weight_decay: float = 0.0):
    # weight_decay > 0: decoupled weight decay (AdamW, Loshchilov & Hutter 2019)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=1.0,
                                                  weight_decay=weight_decay or None),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def fit_language_model(model, corpus: words.Corpus, *, out, epochs: int, batch_size: int, learning_rate: float,
                       seed: int, weight_decay: float = 0.0) -> dict:
    """Adam on shuffled windows of the training stream; the learning rate halves when the
    validation loss stops improving, and the epoch with the best validation perplexity is
    kept (early stopping with restored weights). Returns the history, with perplexities."""
    compile_language_model(model, learning_rate, weight_decay)
    train_stream = words.stream(corpus.fit, corpus.vocab)
    val_x, val_y = training.windows(words.stream(corpus.validation, corpus.vocab), artifact.WINDOW)
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, verbose=1),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True,
                                               verbose=1),
                 *training.resume_callbacks(out)]
    history = model.fit(training.ShuffledWindows(train_stream, artifact.WINDOW, batch_size, seed=seed), validation_data=(val_x, val_y),
                        epochs=epochs, callbacks=callbacks, verbose=1 if len(train_stream) > 50_000 else 2)
    training.clear_checkpoint(out)
    history = dict(history.history)
    history["perplexity"] = list(np.exp(history["loss"]))
    history["val_perplexity"] = list(np.exp(history["val_loss"]))
    return history


def language_model_metrics(model, corpus: words.Corpus) -> dict:
    """Perplexity of the validation and test parts (every token predicted once, from the lines
    before it: artifact.stream_log_probs), and the number of parameters."""
    eos = corpus.vocab.index[words.EOS]
    result = {}
    for part in ("validation", "test"):
        lp = artifact.stream_log_probs(model, words.stream(getattr(corpus, part), corpus.vocab), eos)
        result[f"{part}_perplexity"] = float(np.exp(-lp.mean()))
    return {**result, "parameters": int(model.count_params())}


def write_language_model(out, model, corpus: words.Corpus, history: dict, metrics: dict, *, name: str, cell: str,
                         hparams: dict, epochs: int, batch_size: int, learning_rate: float, weight_decay: float,
                         seed: int, seconds: float, smoke: bool, recipe: str) -> Path:
    """The config, the card (with the count models' table and a sample) and the artifact folder."""
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    regularisation = f"{'locked ' if hparams.get('locked_dropout') else ''}dropout {hparams['dropout']}"
    if hparams.get("recurrent_dropout"):
        regularisation += f", recurrent dropout {hparams['recurrent_dropout']}"
    if weight_decay:
        regularisation += f", weight decay {weight_decay}"
    config = {
        "name": name,
        "architecture": f"{cell}-lm",
        "description": f"A word-level {cell.upper()} language model of tinyshakespeare: tied embedding, "
                       f"{hparams['layers']} {cell.upper()} layer(s) of {hparams['units']} units, "
                       f"{regularisation}, full softmax over the {len(corpus.vocab)}-word vocabulary.",
        "recipe": recipe,
        "hparams": {"vocab_size": len(corpus.vocab), **hparams},
        "vocabulary": {"file": "vocab.txt", "size": len(corpus.vocab), "unknown": words.UNK,
                       "line_end": words.EOS},
        "dataset": {**corpus.describe(), "smoke": smoke},
        "training": {"epochs_run": len(history["loss"]), "best_epoch": best_epoch, "max_epochs": epochs,
                     "batch_size": batch_size, "window": artifact.WINDOW, "optimizer":
                     f"Adam({learning_rate}, global_clipnorm=1.0"
                     f"{f', weight_decay={weight_decay}' if weight_decay else ''}), halved on validation plateau",
                     "early_stopping": f"best validation perplexity kept (patience {PATIENCE})", "seed": seed,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["language-model", "text-generation", cell, "tinyshakespeare"]},
    }
    art = artifact.RecurrentLanguageModel(model, {**config, "vocabulary": {"words": corpus.vocab.words}}, out)
    config["metrics"] = metrics

    rows = ngram.count_baselines(corpus) + [lm_table.table_row(name, metrics, seconds)]
    sample = art.generate("first citizen :\n", 40, temperature=0.8, seed=1)
    body = f"""
Word-level language model: `art.score(text).perplexity`, `art.next_tokens("to be or not to", k=5)`,
`art.generate("ROMEO:", 50, temperature=0.8, seed=1)`, `zoo generate {name} --prompt ... --length 50`,
`zoo finetune {name} --text my.txt --epochs 2 --out runs/mine`.

Test perplexity {metrics['test_perplexity']:.1f} (validation
{metrics['validation_perplexity']:.1f}, best epoch {best_epoch} of {len(history['loss'])}).
Every word and each line's end (`</s>`) of the test part is predicted once, with the earlier
lines as context (windows of {artifact.WINDOW} scored tokens after {artifact.BURN_IN} tokens of warm-up context).
"""
    body += card_table_section(rows, sample)
    plots = {"training_curve.png": training.plot_history(history, name, metrics=("perplexity",)),
             "perplexity_table.png": plot_table(rows, "word-level tinyshakespeare, test perplexity")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={"vocab.txt": words.vocab_asset(corpus.vocab)})


def reference_corpus(art, data_dir=None) -> words.Corpus:
    """The split a word-level artifact's metrics are measured on: tinyshakespeare's (the smoke
    slice for a smoke run), refused if the data would give another vocabulary. A fine-tuned
    artifact's vocabulary is its base's with the new text's words appended, so the recipe's
    vocabulary is a prefix of it: the test tokens (words the base did not know still <UNK>) then
    have the same ids in both, and the fine-tuned model is measured on exactly the base's tokens."""
    corpus = words.load_corpus(data_dir, smoke=art.config["dataset"].get("smoke", False))
    if art.vocab.words[:len(corpus.vocab)] != corpus.vocab.words:
        raise ZooError(f"{art.name}'s vocabulary differs from the one its recipe builds from the data; "
                       "the artifact does not belong to this dataset.")
    return corpus


def evaluate_language_model(art, data_dir=None) -> dict:
    """The recurrent language-model recipes' `evaluate`: language_model_metrics on the split the
    artifact was trained on (its base's, for a fine-tuned one: see reference_corpus)."""
    return language_model_metrics(art.model, reference_corpus(art, data_dir))


# ------------------------------------------------------------------------------ fine-tuning
# Fine-tuning a word-level language model (ngram-lm, gru-lm, lstm-lm) on a user's text.

FINETUNE_MIN_LINES = 10     # the last 10% of the lines are held out: at least one line
FINETUNE_MIN_TOKENS = 2 * artifact.WINDOW + 2  # a few training windows (a few hundred words)


def new_words(sentences_: list[list[str]], vocab: words.Vocabulary, min_count: int) -> list[str]:
    """The words of `sentences_` that `vocab` lacks and that are seen at least `min_count` times,
    most frequent first (the order Vocabulary.from_sentences gives)."""
    counts = collections.Counter(w for s in sentences_ for w in s if w not in vocab)
    return sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))


def grow_vocabulary(model, bigger, seed: int):
    """Copy `model`'s weights into `bigger`, the same architecture with words appended to the
    vocabulary. The old rows and columns are kept, so every old prediction is unchanged but for
    the new words' share of the softmax; a new word's embedding row starts small and random
    (as the old rows' spread) and its output column at zero weight with the lowest bias of any
    old word (rare until the text teaches otherwise). With a tied embedding the new row is the
    new output column too, and the low bias keeps it rare. Which weights grow is read from the
    shapes: along rows (an embedding), along columns (an output kernel), or a bias."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        old = layer.get_weights()
        if not old:
            continue
        target = bigger.get_layer(layer.name)
        grown = []
        for w, variable in zip(old, target.weights):
            shape = tuple(variable.shape)
            if w.shape == shape:
                grown.append(w)
            elif w.ndim == 1:  # an output bias
                grown.append(np.concatenate([w, np.full(shape[0] - len(w), w.min(), w.dtype)]))
            elif shape[0] != w.shape[0]:  # an embedding: one row a word
                rows = rng.normal(0, w.std(), (shape[0] - w.shape[0], w.shape[1])).astype(w.dtype)
                grown.append(np.concatenate([w, rows]))
            else:  # an output kernel: one column a word
                grown.append(np.concatenate([w, np.zeros((w.shape[0], shape[1] - w.shape[1]), w.dtype)], axis=1))
        target.set_weights(grown)
    return bigger


def build_word_model(architecture: str, hparams: dict, vocab_size: int):
    """A fresh ngram-lm, gru-lm or lstm-lm with these hyper-parameters and vocabulary size."""
    hparams = {k: v for k, v in hparams.items() if k != "vocab_size"}
    if architecture == "ngram-lm":
        return ngram.build_ngram_lm(vocab_size, **hparams)
    return rnnlm.build_rnn_lm(architecture.split("-")[0], vocab_size, **hparams)


def held_out_scores(art, sentences_: list[list[str]], base_vocab: words.Vocabulary) -> dict:
    """Perplexity of an artifact on every predicted token (each word and one </s> a line; words
    it does not know read as <UNK>), and on the tokens `base_vocab` knows: those the base and the
    fine-tuned model predict as the same targets, so that this number compares the two directly
    (the new words still help as context)."""
    log_probs = art._sentence_log_probs([art.vocab.map_unknown(s) for s in sentences_])
    known = np.array([w in base_vocab for s in sentences_ for w in [*s, words.EOS]])
    return {"held_out_perplexity": float(np.exp(-log_probs.mean())),
            "held_out_perplexity_on_base_words": float(np.exp(-log_probs[known].mean()))}


def unknown_share(sentences_: list[list[str]], vocab: words.Vocabulary) -> float:
    """The share of the predicted tokens (each word and one </s> a line) a vocabulary lacks."""
    return sum(words.count_unknown(s, vocab) for s in sentences_) / sum(len(s) + 1 for s in sentences_)


def finetune_language_model(art, *, text, out, epochs: int, learning_rate: float, batch_size: int,
                            min_count: int, seed: int, evaluate) -> Path:
    """Continue training a word-level language model on a text file; a new artifact folder.

    The text is tokenised as the base's data was (lines are sentences); its last 10% of lines
    are held out. Words the base never saw and that the rest of the text holds at least
    `min_count` times join the vocabulary (grow_vocabulary); rarer ones are <UNK>. Reported via
    lineage: the held-out perplexity before (the base, which necessarily reads the new words as
    <UNK>) and after, also on the base's words alone (held_out_scores), the share of held-out
    tokens the base did not know, and the Shakespeare perplexities (how much was forgotten). The
    new artifact's metrics are `evaluate(tuned)`: the recipe's own, on the base's split, so
    `zoo eval DIR` re-measures them.
    """
    check_finetune_options(min_count, batch_size, learning_rate)
    path = Path(text)
    sents, fit_part, held_out = finetune_split(path)

    # the vocabulary grows by the new words of the part trained on, never the held-out part
    added = new_words(fit_part, art.vocab, min_count)
    vocab = words.Vocabulary(art.vocab.words + added)
    architecture, hparams = art.config["architecture"], art.config["hparams"]
    training.set_seed(seed)
    model = grow_vocabulary(art.model, build_word_model(architecture, hparams, len(vocab)), seed)
    before = {**held_out_scores(art, held_out, art.vocab),
              "held_out_unknown_share": unknown_share(held_out, art.vocab), "vocabulary_size": len(art.vocab)}
    compile_language_model(model, learning_rate)
    with training.Stopwatch() as clock:
        history, batch_size = finetune_fit(model, art, [vocab.map_unknown(s) for s in fit_part], vocab, out=out,
                                           epochs=epochs, batch_size=batch_size, seed=seed)
    training.clear_checkpoint(out)

    base = art.config
    config = {
        "name": Path(out).name,
        "architecture": architecture,
        "description": f"{art.name} fine-tuned on {path.name} ({len(sents)} lines, {len(added)} new words).",
        "recipe": base["recipe"],
        "hparams": {**hparams, "vocab_size": len(vocab)},
        # the base's words first (ids unchanged), then the new ones, most frequent first
        "vocabulary": {**base["vocabulary"], "size": len(vocab), "base_size": len(art.vocab),
                       "added_words": len(added), "added_min_count": min_count},
        "dataset": base["dataset"],  # the metrics below are measured on the base's split
        "training": {**base["training"], "finetune_epochs": epochs, "finetune_learning_rate": learning_rate,
                     "finetune_batch_size": batch_size, "finetune_min_count": min_count, "finetune_seed": seed,
                     "finetune_seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": sorted({*base.get("card", {}).get("tags", []), "fine-tuned"})},
    }
    tuned = type(art)(model, {**config, "vocabulary": {"words": vocab.words}}, out)
    config["metrics"] = evaluate(tuned)
    shakespeare = ("validation_perplexity", "test_perplexity")
    before.update({f"shakespeare_{k}": art.metrics[k] for k in shakespeare if k in art.metrics})
    after = {**held_out_scores(tuned, held_out, art.vocab), "held_out_unknown_share": unknown_share(held_out, vocab),
             "vocabulary_size": len(vocab),
             **{f"shakespeare_{k}": config["metrics"][k] for k in shakespeare}}
    held = f"the last {len(held_out)} lines of {path.name} ({sum(len(s) + 1 for s in held_out):,} tokens)"
    examples = f" (most frequent: {', '.join(map(repr, added[:8]))})" if added else ""  # quoted: some are punctuation
    config.update(lineage.record(
        art, data=[path], data_flags=[("--text", [path.name])], out=out, epochs=epochs,
        options={"learning_rate": learning_rate, "batch_size": batch_size, "min_count": min_count, "seed": seed},
        before=before, after=after,
        summary=f"held out: {held}; {before['held_out_unknown_share']:.1%} of its tokens were unknown to the base, "
                f"which scores them as {words.UNK}; {len(added)} new words{examples} joined the vocabulary"))
    body = finetuned_card_body(art, path, sents, added, min_count, epochs, held, examples, before, after, out)
    plots = {"finetune_curve.png": training.plot_history({**history, "perplexity": list(np.exp(history["loss"]))},
                                                         f"fine-tuning {art.name}", metrics=("perplexity",))}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={"vocab.txt": words.vocab_asset(vocab)})


def check_finetune_options(min_count, batch_size, learning_rate) -> None:
    """The options of `zoo finetune`, refused in one line when they are not what they must be."""
    for option, value, lowest in (("min_count", min_count, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            raise InvalidInputError(f"{option} must be a whole number >= {lowest}; got {value!r}.")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise InvalidInputError(f"learning_rate must be a number > 0; got {learning_rate!r}.")


def finetune_split(path: Path) -> tuple[list, list, list]:
    """The text's sentences (its non-empty lines), the part trained on and the held-out last 10%;
    refused in one line when the text is too short for either."""
    raw = io.read_user_text(path, "to fine-tune on")
    sents = words.text_tokens(raw)
    if len(sents) < FINETUNE_MIN_LINES:
        raise InvalidInputError(f"{path} has {len(sents)} non-empty line(s); fine-tuning holds out the last 10% "
                                f"of the lines to measure it, so give at least {FINETUNE_MIN_LINES} lines.")
    cut = int(len(sents) * 0.9)
    fit_part, held_out = sents[:cut], sents[cut:]
    if sum(len(s) + 1 for s in fit_part) < FINETUNE_MIN_TOKENS:
        raise InvalidInputError(f"{path} holds {sum(map(len, sents))} words; fine-tuning needs at least "
                                f"{FINETUNE_MIN_TOKENS} tokens (words and line ends) outside the held-out "
                                "last 10% of the lines: give a longer text.")
    return sents, fit_part, held_out


def finetune_fit(model, art, fit_mapped, vocab, *, out, epochs: int, batch_size: int, seed: int) -> tuple[dict, int]:
    """Train the grown model: the recurrent models on shuffled windows of the text read as one
    stream, the n-gram model on every word's context (as each recipe's `train` does). Returns
    the history and the batch size used (smaller than asked for a short text). The model is
    compiled already."""
    architecture, hparams = art.config["architecture"], art.config["hparams"]
    if architecture == "ngram-lm":
        x, y = ngram.context_target([vocab.encode(s) for s in fit_mapped], int(hparams["context"]), vocab)
        batch_size = min(batch_size, len(x))
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=2,
                            callbacks=training.resume_callbacks(out)).history
    else:
        stream_ = words.stream(fit_mapped, vocab)
        # at least one batch: a random offset can cost one window
        batch_size = max(1, min(batch_size, (len(stream_) - 1) // artifact.WINDOW - 1))
        history = model.fit(training.ShuffledWindows(stream_, artifact.WINDOW, batch_size, seed=seed),
                            epochs=epochs, verbose=2, callbacks=training.resume_callbacks(out)).history
    return history, batch_size


def finetuned_card_body(art, path: Path, sents, added, min_count: int, epochs: int, held: str, examples: str,
                        before: dict, after: dict, out) -> str:
    """The fine-tuned artifact's card: what joined the vocabulary, and the held-out perplexities."""
    return f"""
Fine-tuned from **{art.name}** for {epochs} epoch(s) on `{path.name}` ({len(sents):,} lines,
{sum(map(len, sents)):,} words). {len(added):,} words the base never saw, each seen at least
{min_count} times in the part trained on, joined the vocabulary after the base's {len(art.vocab):,}
words{examples}; other unknown words read as `{words.UNK}`.

Held out: {held}. Perplexity on all its tokens: {before['held_out_perplexity']:.1f} for the base,
which necessarily reads the {before['held_out_unknown_share']:.1%} of tokens it does not know as
`{words.UNK}` (one easy target for all of them), {after['held_out_perplexity']:.1f} after fine-tuning, which
predicts the new words themselves and reads only {after['held_out_unknown_share']:.1%} as `{words.UNK}`. On the
tokens the base knows, the same targets for both: {before['held_out_perplexity_on_base_words']:.1f} before,
{after['held_out_perplexity_on_base_words']:.1f} after. The metrics below are on the base's tinyshakespeare split,
with exactly the base's tokens (how much of Shakespeare it kept).

Load it from its folder: `zoo.load("{out}")`; `art.generate(prompt, 50, temperature=0.8)`.
"""
