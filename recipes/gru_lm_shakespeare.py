"""Recipe: gru-lm-shakespeare, a word-level GRU language model on tinyshakespeare.

Setup, data, model, train, evaluate, write. `zoo train gru-lm-shakespeare` (a few minutes on an
otherwise idle 2-core CPU with KERAS_BACKEND=jax, which runs recurrent layers about twice as
fast as TensorFlow on CPU; any backend gives the same model).

Data: zoo.families.word_lm.words (lower-cased wordpunct tokens, lines as sentences, first 90% train / last 10%
test, validation = the last 10% of train, words seen once -> <UNK>). Model: tied embedding,
one GRU layer (the talk's GRUCell: reset_after=False), dropout 0.3 (Zaremba et al. 2014's
recipe at a scale that trains in minutes on a 2-core CPU: 128-dimensional tied embedding, 256
units, up to 24 epochs). Training:
Adam on 64-token windows, learning rate halved when the validation loss stalls, the epoch with
the best validation perplexity kept.
"""

from pathlib import Path

from zoo import training
from zoo.families.word_lm import words
from zoo.families.word_lm import rnnlm
from zoo.families.word_lm import steps

NAME = "gru-lm-shakespeare"
CELL = "gru"
HPARAMS = {"embedding_dim": 128, "units": 256, "layers": 1, "dropout": 0.3, "tie_embeddings": True}
EPOCHS, BATCH_SIZE, LEARNING_RATE = 24, 32, 3e-3  # early stopping ends it
WEIGHT_DECAY = 0.0
SMOKE_HPARAMS = {"embedding_dim": 16, "units": 16, "layers": 1, "dropout": 0.0, "tie_embeddings": True}
EVAL_TOLERANCE = 1e-3


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, **options) -> Path:
    """options override HPARAMS and the training settings by name (`-o units=768`)."""
    # setup
    hparams, settings = steps.language_model_options(
        SMOKE_HPARAMS if smoke else HPARAMS,
        {"learning_rate": LEARNING_RATE, "batch_size": BATCH_SIZE, "weight_decay": WEIGHT_DECAY}, options)
    epochs = epochs or (1 if smoke else EPOCHS)
    training.set_seed(seed)

    # data
    corpus = words.load_corpus(data_dir, smoke=smoke)

    # model
    model = rnnlm.build_rnn_lm(CELL, len(corpus.vocab), **hparams)
    training.log(f"{NAME}: {model.count_params():,} parameters, vocabulary {len(corpus.vocab)}")

    # train
    with training.Stopwatch() as clock:
        history = steps.fit_language_model(model, corpus, out=out, epochs=epochs, seed=seed, **settings)

    # evaluate
    metrics = steps.language_model_metrics(model, corpus)
    training.log(f"{NAME}: {metrics}")

    # write
    return steps.write_language_model(out, model, corpus, history, metrics, name=NAME, cell=CELL,
                                      hparams=hparams, epochs=epochs, seed=seed, seconds=clock.seconds,
                                      smoke=smoke, recipe=f"recipes/{Path(__file__).name}", **settings)


def evaluate(art, data_dir=None) -> dict:
    return steps.evaluate_language_model(art, data_dir)


def finetune(art, *, text, out, epochs=1, learning_rate=1e-3, batch_size=16, min_count=2, seed=0) -> Path:
    """Continue training on a text file (its last 10% of lines held out); words it holds at least
    `min_count` times that the base never saw join the vocabulary (steps.finetune_language_model)."""
    return steps.finetune_language_model(art, text=text, out=out, epochs=epochs, learning_rate=learning_rate,
                                         batch_size=batch_size, min_count=min_count, seed=seed,
                                         evaluate=evaluate)
