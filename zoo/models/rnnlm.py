"""Recurrent word-level language models: gru-lm and lstm-lm (Zaremba, Sutskever & Vinyals 2014,
"Recurrent Neural Network Regularization"; Press & Wolf 2017 for tied embeddings).

    x_t = E[w_t]                                  a shared embedding
    h_t = cell(x_t, h_{t-1})                      stacked GRU or LSTM layers, dropout between
    p(w_{t+1} | w_1..w_t) = softmax(h_t E^T + b)  tied: the output layer reuses E (or a Dense)

The cells are the talk's cells (tests/test_language_models.py checks one step of each against
numpy written from the equations, to 1e-5):

- GRU, TensorFlow's GRUCell: r, u = sigmoid([x, h] W_g + b_g);  c = tanh([x, r * h] W_c + b_c);
  new_h = u * h + (1 - u) * c. That is keras.layers.GRU with reset_after=False (the reset gate is
  applied to h *before* the matrix product); Keras's default, reset_after=True (cuDNN's form),
  applies it after and is a slightly different cell. Keras's kernel columns are [u, r, c].
- LSTM, TensorFlow's BasicLSTMCell: i, j, f, o = [x, h] W + b;
  new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j); new_h = tanh(new_c) * sigmoid(o),
  forget_bias = 1.0. keras.layers.LSTM computes the same with the forget bias inside b: Keras's
  b_f = BasicLSTMCell's b_f + 1.0, which unit_forget_bias=True sets at initialisation (b_f = 1,
  the rest 0: exactly BasicLSTMCell's zero-initialised bias plus its forget_bias). Keras's kernel
  columns are [i, f, j, o].

Training uses long windows (each starting from a zero state) over the training text read as one
stream, lines separated by </s>; evaluation scores every test token once, each window of scored
tokens preceded by a window of already-seen tokens as warm-up context (burn-in), so that no
prediction starts from an empty state (see `stream_log_probs`).
"""

from __future__ import annotations

import numpy as np

import keras
from keras import ops

from zoo import io, words
from zoo.artifacts import Artifact

WINDOW = 64      # tokens per training window
BURN_IN = 64     # tokens of context read before each scored window at evaluation


@keras.saving.register_keras_serializable(package="zoo")
class TiedEmbedding(keras.layers.Layer):
    """An embedding that also serves as the output layer: `layer(ids)` looks the rows of E up,
    `layer(h, reverse=True)` gives the logits h E^T + b (Press & Wolf 2017: one matrix for
    input and output words, half the parameters, and usually a lower perplexity)."""

    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=keras.initializers.RandomUniform(-0.05, 0.05))
        self.output_bias = self.add_weight(shape=(self.input_dim,), initializer="zeros", name="output_bias")

    def call(self, inputs, reverse=False):
        if reverse:
            return ops.matmul(inputs, ops.transpose(self.embeddings)) + self.output_bias
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), dtype=self.compute_dtype)
        return keras.KerasTensor((*inputs.shape, self.output_dim), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim}


def build_rnn_lm(cell: str = "lstm", vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256,
                 layers: int = 1, dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                 recurrent_dropout: float = 0.0, name: str | None = None):
    """Embedding, `layers` stacked GRU/LSTM layers with dropout, softmax output (as logits).

    locked_dropout: drop the same units at every time step of a window (variational dropout,
    Gal & Ghahramani 2016; SpatialDropout1D) instead of a fresh mask at each step.
    recurrent_dropout: drop units of h_{t-1} on its way into the gates, with one mask for the whole
    window (Keras draws it once per batch: Gal & Ghahramani's variational recurrent dropout).
    """
    if cell not in ("gru", "lstm"):
        raise ValueError(f"cell is 'gru' or 'lstm', got {cell!r}")
    Drop = keras.layers.SpatialDropout1D if locked_dropout else keras.layers.Dropout
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    embedding = TiedEmbedding(vocab_size, embedding_dim, name="embedding")
    x = Drop(dropout, name="dropout_in")(embedding(tokens))
    for i in range(layers):
        if cell == "lstm":
            x = keras.layers.LSTM(units, return_sequences=True, unit_forget_bias=True,
                                  recurrent_dropout=recurrent_dropout, name=f"lstm_{i}")(x)
        else:
            x = keras.layers.GRU(units, return_sequences=True, reset_after=False,
                                 recurrent_dropout=recurrent_dropout, name=f"gru_{i}")(x)
        x = Drop(dropout, name=f"dropout_{i}")(x)
    if tie_embeddings:
        if units != embedding_dim:  # project to the embedding's size to reuse it
            x = keras.layers.Dense(embedding_dim, name="projection")(x)
        logits = embedding(x, reverse=True)
    else:
        logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(tokens, logits, name=name or f"{cell}_lm")


def build_lstm_lm(vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256, layers: int = 1,
                  dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                  recurrent_dropout: float = 0.0):
    return build_rnn_lm("lstm", vocab_size, embedding_dim, units, layers, dropout, tie_embeddings, locked_dropout,
                        recurrent_dropout)


def build_gru_lm(vocab_size: int = 6156, embedding_dim: int = 200, units: int = 256, layers: int = 1,
                 dropout: float = 0.5, tie_embeddings: bool = True, locked_dropout: bool = False,
                 recurrent_dropout: float = 0.0):
    return build_rnn_lm("gru", vocab_size, embedding_dim, units, layers, dropout, tie_embeddings, locked_dropout,
                        recurrent_dropout)


# ------------------------------------------------------------------------------- data


def training_windows(stream: np.ndarray, window: int = WINDOW, offset: int = 0):
    """Non-overlapping (input, target) windows of a token stream, targets shifted by one.
    A different `offset` each epoch moves the window boundaries."""
    n = (len(stream) - 1 - offset) // window
    x = stream[offset:offset + n * window].reshape(n, window)
    y = stream[offset + 1:offset + 1 + n * window].reshape(n, window)
    return x, y


class EpochWindows(keras.utils.PyDataset):
    """Shuffled training windows, their boundaries shifted by a random offset every epoch."""

    def __init__(self, stream, batch_size, window=WINDOW, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.stream, self.batch_size, self.window = stream, batch_size, window
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self):
        self.x, self.y = training_windows(self.stream, self.window, int(self.rng.integers(self.window)))
        order = self.rng.permutation(len(self.x))
        self.x, self.y = self.x[order], self.y[order]

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype("float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def stream_log_probs(model, stream: np.ndarray, start_token: int, window: int = WINDOW, burn_in: int = BURN_IN,
                     batch_size: int = 32) -> np.ndarray:
    """Natural-log probability of every token of `stream`, predicted from everything before it
    (the stream is preceded by `start_token`). Windows of `window` scored tokens are each read
    after `burn_in` tokens of real context (start_token padding before the stream's start)."""
    # padded[burn_in] is the start token, padded[burn_in + 1 + t] is stream[t]
    padded = np.concatenate([np.full(burn_in + 1, start_token, "int32"), stream.astype("int32"),
                             np.full(window, start_token, "int32")])
    starts = np.arange(0, len(stream), window)
    # the chunk that scores stream[s:s+window] reads padded[s : s+burn_in+window]: its output at
    # position burn_in + j has read padded[..s+burn_in+j] = everything up to stream[s+j-1], and
    # predicts padded[s+burn_in+1+j] = stream[s+j]
    inputs = np.stack([padded[s:s + burn_in + window] for s in starts])
    result = np.empty(len(starts) * window)
    for b in range(0, len(starts), batch_size):
        # predict_on_batch runs the backend's compiled predict function (tf.function, jax.jit)
        logits = np.asarray(model.predict_on_batch(inputs[b:b + batch_size]))[:, burn_in:]
        targets = np.stack([padded[s + burn_in + 1:s + burn_in + 1 + window] for s in starts[b:b + batch_size]])
        lp = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]
        result[b * window:b * window + lp.size] = lp.ravel()
    return result[:len(stream)]


# ------------------------------------------------------------------------------- artifact


class RecurrentLanguageModel(words.WordLanguageModel, Artifact):
    """A trained gru-lm or lstm-lm: perplexity(text), next_words(context, k), generate(...)."""

    def __init__(self, model, config, folder):
        super().__init__(model, config, folder)
        self.vocab = words.Vocabulary(config["vocabulary"]["words"]) if "words" in config["vocabulary"] \
            else words.Vocabulary(_read_vocab(folder))

    def _sentence_log_probs(self, sentences):
        return stream_log_probs(self.model, words.stream(sentences, self.vocab), self.vocab.index[words.EOS])

    def _next_log_probs(self, history):
        # a fixed length (left-padded with </s>, like the start of the evaluation stream), so that
        # compiled backends (jax) trace the model once
        ids = self.vocab.encode([words.EOS] * (BURN_IN + WINDOW) + history)[-(BURN_IN + WINDOW):]
        logits = np.asarray(self.model.predict_on_batch(ids[None, :]))[0, -1]
        return log_softmax(logits)


def _read_vocab(folder):
    from pathlib import Path

    return (Path(folder) / "vocab.txt").read_text(encoding="utf-8").split("\n")


def vocab_asset(vocab: words.Vocabulary) -> str:
    """The vocabulary file: one word a line, line i is id i (words hold no whitespace)."""
    return "\n".join(vocab.words)


# ------------------------------------------------------------------------------- recipes
# gru-lm-shakespeare and lstm-lm-shakespeare are the same recipe with a different cell; the
# recipe files hold their hyper-parameters and call these steps in order.


def compile_model(model, learning_rate: float, weight_decay: float = 0.0):
    # weight_decay > 0: decoupled weight decay (AdamW, Loshchilov & Hutter 2019)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=1.0,
                                                  weight_decay=weight_decay or None),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def fit_model(model, corpus: words.Corpus, *, out, epochs: int, batch_size: int, learning_rate: float,
              seed: int, patience: int = 3, fit_sentences=None, weight_decay: float = 0.0):
    """Adam on shuffled windows of the training stream; the learning rate halves when the
    validation loss stops improving, and the epoch with the best validation perplexity is
    kept (early stopping with restored weights)."""
    from zoo import training

    compile_model(model, learning_rate, weight_decay)
    train_stream = words.stream(fit_sentences if fit_sentences is not None else corpus.fit, corpus.vocab)
    val_x, val_y = training_windows(words.stream(corpus.validation, corpus.vocab))
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, verbose=1),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True,
                                               verbose=1),
                 *training.resume_callbacks(out)]
    history = model.fit(EpochWindows(train_stream, batch_size, seed=seed), validation_data=(val_x, val_y),
                        epochs=epochs, callbacks=callbacks, verbose=1 if len(train_stream) > 50_000 else 2)
    training.clear_checkpoint(out)
    history = dict(history.history)
    history["perplexity"] = list(np.exp(history["loss"]))
    history["val_perplexity"] = list(np.exp(history["val_loss"]))
    return history


def measure(art: RecurrentLanguageModel, corpus: words.Corpus) -> dict:
    eos = corpus.vocab.index[words.EOS]
    result = {}
    for part in ("validation", "test"):
        lp = stream_log_probs(art.model, words.stream(getattr(corpus, part), corpus.vocab), eos)
        result[f"{part}_perplexity"] = float(np.exp(-lp.mean()))
    return result


TRAINING_OPTIONS = ("learning_rate", "batch_size", "weight_decay")


def apply_options(hparams: dict, training_options: dict, options: dict) -> tuple[dict, dict]:
    """`zoo train gru-lm-shakespeare -o units=512 -o weight_decay=0.1`: a recipe's model
    hyper-parameters and training options, overridden by name (unknown names are refused)."""
    from zoo.errors import InvalidInputError

    known = sorted({*hparams, "recurrent_dropout", *TRAINING_OPTIONS})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidInputError(f"unknown option(s) {unknown} for this recipe; known: {', '.join(known)}.")
    hparams = {**hparams, **{k: v for k, v in options.items() if k not in TRAINING_OPTIONS}}
    training_options = {**training_options, **{k: v for k, v in options.items() if k in TRAINING_OPTIONS}}
    return hparams, training_options


def train_recipe(name: str, cell: str, hparams: dict, out, *, smoke: bool, epochs: int, batch_size: int,
                 learning_rate: float, seed: int, data_dir, recipe: str, weight_decay: float = 0.0):
    """Setup, data, model, train, evaluate, write: the whole gru-lm / lstm-lm recipe."""
    from zoo import training
    from zoo.artifacts import save_artifact
    from zoo import lm_table
    from zoo.models import ngram

    training.set_seed(seed)
    corpus = words.load_corpus(data_dir, smoke=smoke)
    model = build_rnn_lm(cell, len(corpus.vocab), **hparams)
    training.log(f"{name}: {model.count_params():,} parameters, vocabulary {len(corpus.vocab)}")
    with training.Stopwatch() as clock:
        history = fit_model(model, corpus, out=out, epochs=epochs, batch_size=batch_size,
                            learning_rate=learning_rate, seed=seed, weight_decay=weight_decay)
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
                     "batch_size": batch_size, "window": WINDOW, "optimizer":
                     f"Adam({learning_rate}, global_clipnorm=1.0"
                     f"{f', weight_decay={weight_decay}' if weight_decay else ''}), halved on validation plateau",
                     "early_stopping": "best validation perplexity kept (patience 3)", "seed": seed,
                     "seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": ["language-model", "text-generation", cell, "tinyshakespeare"]},
    }
    art = RecurrentLanguageModel(model, {**config, "vocabulary": {"words": corpus.vocab.words}}, out)
    config["metrics"] = {**measure(art, corpus), "parameters": int(model.count_params())}
    training.log(f"{name}: {config['metrics']}")

    rows = ngram.count_baselines(corpus) + [lm_table.table_row(name, config["metrics"], clock.seconds)]
    sample = art.generate("first citizen :\n", 40, temperature=0.8, seed=1)
    body = f"""
Word-level language model: `art.perplexity(text)`, `art.next_words("to be or not to", k=5)`,
`art.generate("ROMEO:", 50, temperature=0.8, seed=1)`, `zoo generate {name} --prompt ... --length 50`,
`zoo finetune {name} --text my.txt --epochs 2 --out runs/mine`.

Test perplexity {config['metrics']['test_perplexity']:.1f} (validation
{config['metrics']['validation_perplexity']:.1f}, best epoch {best_epoch} of {len(history['loss'])}).
Every word and each line's end (`</s>`) of the test part is predicted once, with the earlier
lines as context (windows of {WINDOW} scored tokens after {BURN_IN} tokens of warm-up context).
"""
    body += ngram.card_table_section(rows, sample)
    plots = {"training_curve.png": training.plot_history(history, f"{name}", metrics=("perplexity",)),
             "perplexity_table.png": ngram.plot_table(rows, "word-level tinyshakespeare, test perplexity")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={"vocab.txt": vocab_asset(corpus.vocab)})


def evaluate_recipe(art, data_dir=None) -> dict:
    corpus = words.load_corpus(data_dir, smoke=art.config["dataset"].get("smoke", False))
    if corpus.vocab.words != art.vocab.words:
        from zoo.errors import ZooError

        raise ZooError(f"{art.name}'s vocabulary differs from the one its recipe builds from the data; "
                       "the artifact does not belong to this dataset.")
    return {**measure(art, corpus), "parameters": int(art.model.count_params())}


def finetune_recipe(art, *, text, epochs, out, learning_rate=1e-3, batch_size=16, **options):
    """Continue training on a text file: same vocabulary (new words -> <UNK>), the last 10% of
    the text's lines held out to report its perplexity before and after; a new artifact folder."""
    import hashlib
    from pathlib import Path

    from zoo import training
    from zoo.artifacts import save_artifact
    from zoo.errors import InvalidInputError

    if options:
        raise InvalidInputError(f"unknown fine-tuning option(s) {sorted(options)}; "
                                "known: learning_rate, batch_size.")
    path = Path(text)
    raw = io.read_user_text(path, "to fine-tune on")
    sents = words.text_tokens(raw)
    mapped = [art.vocab.map_unknown(s) for s in sents]
    unknown = sum(words.count_unknown(s, art.vocab) for s in sents)
    cut = max(1, int(len(mapped) * 0.9)) if len(mapped) >= 10 else len(mapped)
    fit_part, held_out = mapped[:cut], mapped[cut:] or mapped[-1:]
    stream_ = words.stream(fit_part, art.vocab)
    if len(stream_) < 2 * WINDOW + 2:
        raise InvalidInputError(f"{path} holds {len(stream_)} tokens; fine-tuning needs at least "
                                f"{2 * WINDOW + 2} (a few hundred words).")
    eos = art.vocab.index[words.EOS]
    before = float(np.exp(-stream_log_probs(art.model, words.stream(held_out, art.vocab), eos).mean()))

    hparams = {k: v for k, v in art.config["hparams"].items() if k != "vocab_size"}
    model = build_rnn_lm(art.config["architecture"].split("-")[0], len(art.vocab), **hparams)
    model.set_weights(art.model.get_weights())  # a copy: the base artifact is not changed
    compile_model(model, learning_rate)
    n_windows = (len(stream_) - 1) // WINDOW
    batch_size = max(1, min(batch_size, n_windows - 1))  # a random offset can cost one window
    with training.Stopwatch() as clock:
        history = model.fit(EpochWindows(stream_, batch_size), epochs=epochs, verbose=2).history
    tuned = RecurrentLanguageModel(model, {**art.config, "vocabulary": {"words": art.vocab.words}}, out)
    after = float(np.exp(-stream_log_probs(model, words.stream(held_out, art.vocab), eos).mean()))
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    config = {k: v for k, v in art.config.items() if k not in ("files", "metrics")}
    config.update(
        name=Path(out).name,
        description=f"{art.name} fine-tuned on {path.name} ({len(sents)} lines).",
        finetune={"base_model": art.name, "text": path.name, "text_sha256": sha, "epochs": epochs,
                  "learning_rate": learning_rate, "batch_size": batch_size, "words": sum(map(len, sents)),
                  "unknown_words": unknown, "held_out_lines": len(held_out),
                  "held_out_perplexity_before": before, "held_out_perplexity_after": after},
        training={**art.config["training"], "finetune_seconds": clock.seconds,
                  "environment": training.environment()},
    )
    config["metrics"] = evaluate_recipe(tuned)
    body = f"""
Fine-tuned from **{art.name}** on `{path.name}` (sha256 `{sha}`), {epochs} epoch(s), same
vocabulary ({unknown} of the text's {sum(map(len, sents))} words were not in it and became <UNK>).

Perplexity on the last {len(held_out)} line(s) of the new text (held out): {before:.1f} before,
{after:.1f} after. The metrics below are on the original tinyshakespeare test part.
"""
    return save_artifact(out, model=model, config=config, card_body=body,
                         plots={"finetune_curve.png": training.plot_history(history, f"fine-tuning {art.name}")},
                         assets={"vocab.txt": vocab_asset(art.vocab)})
