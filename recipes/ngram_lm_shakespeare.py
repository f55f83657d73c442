"""Recipe: ngram-lm-shakespeare, Bengio et al.'s neural n-gram language model on word-level
tinyshakespeare (`zoo train ngram-lm-shakespeare`; KERAS_BACKEND=jax is faster on CPU).

Setup, data, model, train, evaluate, write.
Data: zoo.families.word_lm.words (the split and vocabulary every language model here shares). Each predicted
token (every word and each line's end) gets its 4 previous words of the same line, <s>-padded:
exactly the 5-gram contexts the count models see. Model: a 64-dimensional shared embedding, a
200-unit tanh layer, softmax (no direct connections), dropout 0.3. Training: Adam, the epoch with
the best validation perplexity kept, learning rate halved when it stalls.
"""

from pathlib import Path

import numpy as np

import keras
from zoo import training
from zoo.families.word_lm import lm_table
from zoo.families.word_lm import words
from zoo.artifacts import save_artifact
from zoo.families.word_lm import artifact, ngram
from zoo.families.word_lm import steps

NAME = "ngram-lm-shakespeare"
HPARAMS = {"context": 4, "embedding_dim": 64, "hidden_units": 200, "dropout": 0.3, "direct_connections": False}
SMOKE_HPARAMS = {"context": 2, "embedding_dim": 8, "hidden_units": 16, "dropout": 0.0, "direct_connections": True}
EPOCHS, BATCH_SIZE, LEARNING_RATE = 5, 128, 2e-3
EVAL_TOLERANCE = 1e-3


def measure(art, corpus) -> dict:
    result = {}
    for part in ("validation", "test"):
        log_probs = art._sentence_log_probs(getattr(corpus, part))
        result[f"{part}_perplexity"] = float(np.exp(-log_probs.mean()))
    return result


def evaluate(art, data_dir=None) -> dict:
    """On the split the artifact was trained on (its base's, for a fine-tuned one)."""
    corpus = steps.reference_corpus(art, data_dir)
    return {**measure(art, corpus), "parameters": int(art.model.count_params())}


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    # setup and data
    epochs = epochs or (1 if smoke else EPOCHS)
    hparams = SMOKE_HPARAMS if smoke else HPARAMS
    training.set_seed(seed)
    corpus = words.load_corpus(data_dir, smoke=smoke)
    encode = lambda part: [corpus.vocab.encode(s) for s in part]  # noqa: E731
    x_fit, y_fit = ngram.context_target(encode(corpus.fit), hparams["context"], corpus.vocab)
    x_val, y_val = ngram.context_target(encode(corpus.validation), hparams["context"], corpus.vocab)

    # model and training
    model = ngram.build_ngram_lm(len(corpus.vocab), **hparams)
    training.log(f"{NAME}: {model.count_params():,} parameters, {len(x_fit):,} training contexts")
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE, global_clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, verbose=1),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1),
                 *training.resume_callbacks(out)]
    with training.Stopwatch() as clock:
        history = model.fit(x_fit, y_fit, batch_size=BATCH_SIZE, epochs=epochs, validation_data=(x_val, y_val),
                            shuffle=True, callbacks=callbacks, verbose=2 if smoke else 1).history
    training.clear_checkpoint(out)
    history["perplexity"] = list(np.exp(history["loss"]))
    history["val_perplexity"] = list(np.exp(history["val_loss"]))
    best_epoch = int(np.argmin(history["val_loss"])) + 1

    # evaluate
    config = {
        "name": NAME,
        "architecture": "ngram-lm",
        "description": f"Bengio et al. (2003)'s neural {hparams['context'] + 1}-gram language model of word-level "
                       f"tinyshakespeare: {hparams['context']} context words through a shared "
                       f"{hparams['embedding_dim']}-dimensional embedding, a {hparams['hidden_units']}-unit tanh "
                       f"layer, softmax over {len(corpus.vocab)} words.",
        "recipe": "recipes/ngram_lm_shakespeare.py",
        "hparams": {"vocab_size": len(corpus.vocab), **hparams},
        "vocabulary": {"file": "vocab.txt", "size": len(corpus.vocab), "unknown": words.UNK,
                       "sentence_start": words.BOS, "line_end": words.EOS},
        "dataset": {**corpus.describe(), "smoke": smoke},
        "training": {"epochs_run": len(history["loss"]), "best_epoch": best_epoch, "max_epochs": epochs,
                     "batch_size": BATCH_SIZE, "optimizer": f"Adam({LEARNING_RATE}, global_clipnorm=1.0), "
                     "halved on validation plateau", "early_stopping": "best validation perplexity kept (patience 2)",
                     "seed": seed, "seconds": clock.seconds, "environment": training.environment()},
        "card": {"tags": ["language-model", "text-generation", "bengio", "tinyshakespeare"]},
    }
    art = artifact.NeuralNgramLM(model, {**config, "vocabulary": {"words": corpus.vocab.words}}, out)
    config["metrics"] = {**measure(art, corpus), "parameters": int(model.count_params())}
    training.log(f"{NAME}: {config['metrics']}")

    # write
    rows = ngram.count_baselines(corpus) + [lm_table.table_row(NAME, config["metrics"], clock.seconds)]
    sample = art.generate("first citizen :\n", 40, temperature=0.8, seed=1)
    body = f"""
Word-level language model: `art.score(text).perplexity`, `art.next_tokens("to be or not to", k=5)`,
`art.generate("ROMEO:", 50, temperature=0.8, seed=1)`, `zoo generate {NAME} --prompt ... --length 50`,
`zoo finetune {NAME} --text my.txt --epochs 2 --out runs/mine`.

    y = b + U tanh(d + H x),   x = [C(w_t-4), C(w_t-3), C(w_t-2), C(w_t-1)]

Test perplexity {config['metrics']['test_perplexity']:.1f} (validation
{config['metrics']['validation_perplexity']:.1f}, best epoch {best_epoch} of {len(history['loss'])}). Each word
and each line's end (`</s>`) of the test part is predicted from the {hparams['context']} previous words of its
line (`<s>`-padded), the contexts a {hparams['context'] + 1}-gram count model sees.
"""
    body += steps.card_table_section(rows, sample)
    plots = {"training_curve.png": training.plot_history(history, NAME, metrics=("perplexity",)),
             "perplexity_table.png": steps.plot_table(rows, "word-level tinyshakespeare, test perplexity")}
    return save_artifact(out, model=model, config=config, card_body=body, plots=plots,
                         assets={"vocab.txt": "\n".join(corpus.vocab.words)})


def finetune(art, *, text, out, epochs=1, learning_rate=1e-3, batch_size=64, min_count=2, seed=0) -> Path:
    """Continue training on a text file (its last 10% of lines held out); words it holds at least
    `min_count` times that the base never saw join the vocabulary (steps.finetune_language_model)."""
    return steps.finetune_language_model(art, text=text, out=out, epochs=epochs, learning_rate=learning_rate,
                                         batch_size=batch_size, min_count=min_count, seed=seed,
                                         evaluate=evaluate)
