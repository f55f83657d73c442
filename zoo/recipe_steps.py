"""Steps that several recipes share. Each recipe file in recipes/ reads top to bottom (setup,
data, model, train, evaluate, write) and calls one of these where its sibling does the same:

- word vectors (skipgram-shakespeare, cbow-shakespeare): the corpus, the validation against
  gensim, the metrics `zoo eval` re-measures, the card;
- word-level recurrent language models (gru-lm-shakespeare, lstm-lm-shakespeare): the options,
  the training loop, the metrics, the card, and fine-tuning;
- perceptron gates (perceptron-and, perceptron-or): the metric and the card.

The models themselves live in zoo/models/; nothing here is needed to load or use an artifact.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
import keras  # noqa: E402
from zoo import data, gensim_bridge, io, lm_table, training, word2vec_data, words  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import InvalidInputError, ZooError  # noqa: E402
from zoo.models import ngram, perceptron, rnnlm, word2vec  # noqa: E402

# ------------------------------------------------------------------------------ word vectors
# skipgram-shakespeare and cbow-shakespeare: the same steps, with a different architecture.

SMOKE_CHARS = 30_000


def shakespeare_sentences(smoke: bool, data_dir=None):
    """tinyshakespeare as a re-iterable stream of token lists (the first SMOKE_CHARS in smoke mode),
    one speech (text between blank lines) per sentence."""
    max_chars = SMOKE_CHARS if smoke else None
    if data_dir:
        path = data.path("tinyshakespeare", path=Path(data_dir) / "tinyshakespeare.txt")
        return word2vec_data.TextCorpus(path, "paragraph", max_chars)
    return word2vec_data.corpus("tinyshakespeare", max_chars=max_chars)


def gensim_studies(vectors, sentences, architecture: str, hparams: dict, *, smoke: bool, seed: int,
                   batch_size: int) -> dict:
    """The card's validation: the trained vectors against gensim on tinyshakespeare and, in a
    full run, Keras and gensim both trained on gensim's Lee corpus (gensim_bridge.agreement_study)."""
    label = "tinyshakespeare" + (" (smoke slice)" if smoke else "")
    training.log(f"validating against gensim on {label}...")
    studies = {label: gensim_bridge.agreement_study(sentences, architecture, hparams, keras_kv=vectors,
                                                    seeds=(1, 2) if smoke else (1, 2, 3))}
    if not smoke:
        training.log("validating against gensim on the Lee corpus (Keras trained there too)...")
        studies["Lee"] = gensim_bridge.agreement_study(word2vec_data.corpus("lee"), architecture, hparams,
                                                       keras_seed=seed, batch_size=batch_size)
    return studies


def _finite(value):
    """NaN (a benchmark with no word in the vocabulary) is recorded as None: JSON has no NaN."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def word_vector_metrics(vectors, sentences, architecture: str, hparams: dict) -> dict:
    """What `zoo eval` re-measures, deterministically: WordSim-353 / SimLex-999 / questions-words
    (with coverage), and agreement with gensim trained on the same corpus and hyper-parameters
    with seed 1 and one worker thread."""
    reference = gensim_bridge.gensim_word2vec(sentences, architecture, seed=1, workers=1, **hparams).wv
    agree = gensim_bridge.agreement(vectors, reference)
    return {**{k: _finite(v) for k, v in gensim_bridge.quality(vectors).items()},
            "agreement_spearman_vs_gensim_seed1": agree["spearman"],
            "agreement_top10_vs_gensim_seed1": agree["top10_overlap"]}


def evaluate_word_vectors(art, data_dir=None) -> dict:
    """The word-vector recipes' `evaluate`: word_vector_metrics on the corpus the artifact was
    trained on (the smoke slice for a smoke run)."""
    sentences = shakespeare_sentences(art.config["dataset"].get("smoke", False), data_dir)
    hparams = {k: art.config["hparams"][k] for k in word2vec.DEFAULTS}
    return word_vector_metrics(art.wv, sentences, art.config["architecture"], hparams)


def neighbours_markdown(kv, probe, topn: int = 8) -> str:
    rows = ["| word | nearest words (cosine) |", "| --- | --- |"]
    for word in probe:
        if word in kv.key_to_index:
            near = ", ".join(f"{w} {s:.2f}" for w, s in kv.most_similar(word, topn=topn))
            rows.append(f"| {word} | {near} |")
    return "\n".join(rows)


def validation_markdown(studies: dict) -> str:
    """The card's validation tables from {corpus name: agreement_study(...)}."""
    rows = ["| corpus | measure | gensim vs gensim (seed floor) | Keras vs gensim | ratio |",
            "| --- | --- | --- | --- | --- |"]
    for corpus_name, st in studies.items():
        for key, label in (("spearman", "Spearman of cosines"), ("top10_overlap", "top-10 overlap")):
            r = st[key]
            rows.append(f"| {corpus_name} | {label} | {r['gensim_vs_gensim']:.3f} | {r['keras_vs_gensim']:.3f} "
                        f"| {r['ratio']:.2f} |")
    rows += ["", "| corpus | benchmark (in-vocabulary part) | coverage | Keras | gensim |", "| --- | --- | --- | --- | --- |"]
    for corpus_name, st in studies.items():
        q = st["quality"]
        for bench, label in (("wordsim353", "WordSim-353 Spearman"), ("simlex999", "SimLex-999 Spearman"),
                             ("analogy", "questions-words accuracy")):
            score = "accuracy" if bench == "analogy" else "spearman"
            rows.append(f"| {corpus_name} | {label} | {q['keras'][f'{bench}_coverage']:.1%} "
                        f"| {q['keras'][f'{bench}_{score}']:.3f} | {q['gensim'][f'{bench}_{score}']:.3f} |")
    return "\n".join(rows)


def write_word_vectors(out, result: word2vec.TrainResult, vectors, studies: dict, metrics: dict, *, name: str,
                       recipe: str, sentences, smoke: bool, seed: int, seconds: float, probe) -> Path:
    """The config, the card (neighbours of the `probe` words, the validation) and the artifact folder."""
    architecture = result.model.name
    hp = {k: result.hparams[k] for k in word2vec.DEFAULTS}
    token_pattern = word2vec_data.TOKEN_PATTERN
    config = {
        "name": name,
        "architecture": architecture,
        "description": f"{'Skip-gram' if architecture == 'skipgram' else 'CBOW'} word vectors (word2vec with "
                       "negative sampling, Mikolov et al. 2013) of tinyshakespeare, trained in Keras and "
                       "validated against gensim's Word2Vec on the same corpus and hyper-parameters.",
        "recipe": recipe,
        "hparams": hp,
        "build": {"vocab_size": len(result.vocab), "vector_size": hp["vector_size"], "negative": hp["negative"],
                  **({"window": hp["window"]} if architecture == "cbow" else {})},
        "vocabulary": {"file": word2vec.VOCAB_FILE, "size": len(result.vocab),
                       "tokenizer": f"nltk RegexpTokenizer({token_pattern!r})", "lowercase": True,
                       "min_count": hp["min_count"]},
        "dataset": {"name": "tinyshakespeare", "sha256": data.dataset("tinyshakespeare").sha256,
                    "split": "all of it (word vectors have no held-out split); one speech per sentence"
                             + (f"; smoke: first {sentences.max_chars} characters" if smoke else ""),
                    "tokens": result.corpus_words, "smoke": smoke},
        "training": {**result.hparams, "seed": seed, "optimizer": "SGD, rate linear from alpha to min_alpha",
                     "loss": "sigmoid cross-entropy, 1 true + k noise words, summed over the batch",
                     "examples_per_epoch": result.examples_per_epoch, "steps": result.steps,
                     "fit_seconds": result.seconds, "words_per_second": result.corpus_words * hp["epochs"] / result.seconds,
                     "seconds": seconds, "environment": training.environment()},
        "validation": studies,
        "card": {"tags": ["word2vec", architecture, "word-embeddings", "gensim"]},
    }
    config["metrics"] = metrics
    first = next(iter(studies.values()))
    body = f"""
`zoo.load({name!r}).wv` is a gensim `KeyedVectors` ({len(result.vocab):,} words, {hp['vector_size']}
dimensions): `most_similar`, `similarity`, analogies, `evaluate_word_pairs` all work.
`art.export("vectors.txt")` / `art.export("vectors.bin", binary=True)` write the word2vec formats.
From a shell: `zoo similar {name} king --topn 10`.

Hyper-parameters (the same for gensim in every comparison): {", ".join(f"{k}={v}" for k, v in hp.items())};
batch of {result.hparams['batch_size']} examples. Tokens: nltk `RegexpTokenizer({token_pattern!r})` on lower-cased text.

## Nearest neighbours

{neighbours_markdown(vectors, probe)}

![2-D map of frequent words](word_map.png)

## Validation against gensim

gensim's `Word2Vec` trained on the same corpus with the same hyper-parameters, with seeds
{", ".join(map(str, first['gensim_seeds']))} (one worker thread each), sets the floor: how well gensim agrees with itself.
The Keras model is compared with each gensim run, on {first['probe_words']} frequent words (ranks 20 and
after) and {first['probe_pairs']} fixed random pairs of them: Spearman correlation of the pairs' cosine
similarities, and mean overlap of the words' top-10 neighbour lists. On the Lee corpus the Keras
model is trained by the same code with the same hyper-parameters. gensim's quality numbers are means over its seeds.

{validation_markdown(studies)}

(`python benchmarks/word2vec_agreement.py` measures both architectures on both corpora;
`python benchmarks/word2vec_speed.py` measures speed against gensim.)

![training curve](training_curve.png)
"""
    plots = {"word_map.png": word2vec.pca_map(vectors, title=f"{name}: PCA of 120 frequent words"),
             "training_curve.png": training.plot_history(result.history, f"{name}: summed loss per batch")}
    return save_artifact(out, model=result.model, config=config, card_body=body, plots=plots,
                         assets={word2vec.VOCAB_FILE: result.vocab.to_json()})


# ------------------------------------------------------------------ word-level language models


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
    val_x, val_y = training.windows(words.stream(corpus.validation, corpus.vocab), rnnlm.WINDOW)
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, verbose=1),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True,
                                               verbose=1),
                 *training.resume_callbacks(out)]
    history = model.fit(training.ShuffledWindows(train_stream, rnnlm.WINDOW, batch_size, seed=seed), validation_data=(val_x, val_y),
                        epochs=epochs, callbacks=callbacks, verbose=1 if len(train_stream) > 50_000 else 2)
    training.clear_checkpoint(out)
    history = dict(history.history)
    history["perplexity"] = list(np.exp(history["loss"]))
    history["val_perplexity"] = list(np.exp(history["val_loss"]))
    return history


def language_model_metrics(model, corpus: words.Corpus) -> dict:
    """Perplexity of the validation and test parts (every token predicted once, from the lines
    before it: rnnlm.stream_log_probs), and the number of parameters."""
    eos = corpus.vocab.index[words.EOS]
    result = {}
    for part in ("validation", "test"):
        lp = rnnlm.stream_log_probs(model, words.stream(getattr(corpus, part), corpus.vocab), eos)
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
                     "batch_size": batch_size, "window": rnnlm.WINDOW, "optimizer":
                     f"Adam({learning_rate}, global_clipnorm=1.0"
                     f"{f', weight_decay={weight_decay}' if weight_decay else ''}), halved on validation plateau",
                     "early_stopping": f"best validation perplexity kept (patience {PATIENCE})", "seed": seed,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["language-model", "text-generation", cell, "tinyshakespeare"]},
    }
    art = rnnlm.RecurrentLanguageModel(model, {**config, "vocabulary": {"words": corpus.vocab.words}}, out)
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
lines as context (windows of {rnnlm.WINDOW} scored tokens after {rnnlm.BURN_IN} tokens of warm-up context).
"""
    body += card_table_section(rows, sample)
    plots = {"training_curve.png": training.plot_history(history, name, metrics=("perplexity",)),
             "perplexity_table.png": plot_table(rows, "word-level tinyshakespeare, test perplexity")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={"vocab.txt": rnnlm.vocab_asset(corpus.vocab)})


def evaluate_language_model(art, data_dir=None) -> dict:
    """The language-model recipes' `evaluate`: language_model_metrics on the split the artifact
    was trained on, refused if the data would give another vocabulary."""
    corpus = words.load_corpus(data_dir, smoke=art.config["dataset"].get("smoke", False))
    if corpus.vocab.words != art.vocab.words:
        raise ZooError(f"{art.name}'s vocabulary differs from the one its recipe builds from the data; "
                       "the artifact does not belong to this dataset.")
    return language_model_metrics(art.model, corpus)


def finetune_language_model(art, *, text, epochs, out, learning_rate=1e-3, batch_size=16, **options) -> Path:
    """Continue training on a text file: same vocabulary (new words -> <UNK>), the last 10% of
    the text's lines held out to report its perplexity before and after; a new artifact folder."""
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
    if len(stream_) < 2 * rnnlm.WINDOW + 2:
        raise InvalidInputError(f"{path} holds {len(stream_)} tokens; fine-tuning needs at least "
                                f"{2 * rnnlm.WINDOW + 2} (a few hundred words).")
    eos = art.vocab.index[words.EOS]
    before = float(np.exp(-rnnlm.stream_log_probs(art.model, words.stream(held_out, art.vocab), eos).mean()))

    hparams = {k: v for k, v in art.config["hparams"].items() if k != "vocab_size"}
    model = rnnlm.build_rnn_lm(art.config["architecture"].split("-")[0], len(art.vocab), **hparams)
    model.set_weights(art.model.get_weights())  # a copy: the base artifact is not changed
    compile_language_model(model, learning_rate)
    n_windows = (len(stream_) - 1) // rnnlm.WINDOW
    batch_size = max(1, min(batch_size, n_windows - 1))  # a random offset can cost one window
    with training.Stopwatch() as clock:
        history = model.fit(training.ShuffledWindows(stream_, rnnlm.WINDOW, batch_size), epochs=epochs, verbose=2).history
    tuned = rnnlm.RecurrentLanguageModel(model, {**art.config, "vocabulary": {"words": art.vocab.words}}, out)
    after = float(np.exp(-rnnlm.stream_log_probs(model, words.stream(held_out, art.vocab), eos).mean()))
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
    config["metrics"] = evaluate_language_model(tuned)
    body = f"""
Fine-tuned from **{art.name}** on `{path.name}` (sha256 `{sha}`), {epochs} epoch(s), same
vocabulary ({unknown} of the text's {sum(map(len, sents))} words were not in it and became <UNK>).

Perplexity on the last {len(held_out)} line(s) of the new text (held out): {before:.1f} before,
{after:.1f} after. The metrics below are on the original tinyshakespeare test part.
"""
    return save_artifact(out, model=model, config=config, card_body=body,
                         plots={"finetune_curve.png": training.plot_history(history, f"fine-tuning {art.name}")},
                         assets={"vocab.txt": rnnlm.vocab_asset(art.vocab)})


# ------------------------------------------------------------------------------ perceptron gates
# perceptron-and and perceptron-or: the same steps, with a different gate.


def evaluate_gate(art) -> dict:
    """The perceptron recipes' `evaluate`: the share of the truth table's rows it gets right."""
    gate = art.config["gate"]
    return {"accuracy": float(np.mean(art.predict(perceptron.TRUTH_INPUTS) == perceptron.GATES[gate]))}


def write_gate(out, model, mistakes: list[int], metrics: dict, *, name: str, gate: str, epochs: int, seed: int,
               seconds: float, recipe: str) -> Path:
    """The config, the card and the artifact folder. The card sets the gate beside XOR, on which
    the same rule, trained as long, never stops making mistakes."""
    xor_model = perceptron.build_perceptron()
    xor_mistakes = perceptron.train_perceptron(xor_model, perceptron.TRUTH_INPUTS, perceptron.GATES["xor"],
                                               epochs=max(epochs, 20), seed=seed)
    w, b = model.get_layer("unit").get_weights()
    config = {
        "name": name,
        "architecture": "perceptron",
        "description": f"Rosenblatt's perceptron trained with the perceptron learning rule to compute {gate.upper()} "
                       "of two bits.",
        "recipe": recipe,
        "hparams": {"inputs": 2},
        "gate": gate,
        "dataset": {"name": f"{gate} truth table", "points": 4, "split": "train = evaluate = the four points"},
        "metrics": metrics,
        "training": {"epochs": epochs, "rule": "w += lr (y - step(w.x + b)) x, lr = 1", "seed": seed,
                     "seconds": seconds, "environment": training.environment()},
        "card": {"tags": ["perceptron", "rosenblatt"]},
    }
    body = f"""
The perceptron learning rule separates the {gate.upper()} points: mistakes per epoch
{mistakes[:10]}{' ...' if len(mistakes) > 10 else ''}; learned w = {w[:, 0].tolist()}, b = {b.tolist()}.
The same rule on XOR never stops making mistakes (per epoch: {xor_mistakes[:10]} ...): no line
separates XOR's points, which is why mlp-xor needs a hidden layer.

![decision boundary](boundary.png)
"""
    plots = {"boundary.png": perceptron.plot_boundary(model, gate, f"{name}: learned boundary")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots)
