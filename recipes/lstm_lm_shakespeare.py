"""Recipe: lstm-lm-shakespeare, a word-level LSTM language model on tinyshakespeare.

Setup, data, model, train, evaluate, write. `zoo train lstm-lm-shakespeare` (about 19 minutes
on a 2-core CPU with KERAS_BACKEND=jax, which runs recurrent layers about twice as fast as
TensorFlow on CPU; about 90 s on one GPU; any backend gives the same model). Options override
the hyper-parameters below by name: `zoo train lstm-lm-shakespeare -o weight_decay=0.2 -o units=768`.

Data: zoo.families.word_lm.words (lower-cased wordpunct tokens, lines as sentences, first 90% train / last 10%
test, validation = the last 10% of train, words seen once -> <UNK>). Model: one LSTM layer of
512 units between a tied 256-dimensional embedding (Press & Wolf 2017) and its transpose, with
locked dropout 0.5 (the same units dropped at every step of a window; Gal & Ghahramani 2016)
on the embedding and on the LSTM's output: Zaremba et al. 2014's regularised LSTM at a scale
that trains in minutes on a CPU. With a fresh dropout mask at every step, 256 units and a
128-dimensional embedding (dropout 0.3), the test perplexity was 106.4; with locked dropout 0.5
at this size, 92.8; adding decoupled weight decay 0.7 (AdamW, Loshchilov & Hutter 2019), 82.3.
Training: Adam on 64-token windows, learning rate halved when the validation loss stalls, the
epoch with the best validation perplexity kept.
"""

from pathlib import Path

from zoo import training
from zoo.families.word_lm import words
from zoo.families.word_lm import rnnlm
from zoo.families.word_lm import steps

NAME = "lstm-lm-shakespeare"
CELL = "lstm"
HPARAMS = {"embedding_dim": 256, "units": 512, "layers": 1, "dropout": 0.5, "tie_embeddings": True,
           "locked_dropout": True}
EPOCHS, BATCH_SIZE, LEARNING_RATE = 40, 32, 3e-3  # early stopping ends it (epoch 20 here, best 17)
# Decoupled weight decay (AdamW). Validation perplexity for 0.1, 0.2, 0.3 (one GPU): 91.2, 89.7,
# 87.0; for 0.3, 0.4, 0.5, 0.7 (2-core CPU): 87.8, 84.6, 83.8, 83.1 (larger values not tried).
WEIGHT_DECAY = 0.7
SMOKE_HPARAMS = {"embedding_dim": 16, "units": 16, "layers": 1, "dropout": 0.0, "tie_embeddings": True,
                 "locked_dropout": True}
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
