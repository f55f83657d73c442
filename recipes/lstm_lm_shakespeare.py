"""Recipe: lstm-lm-shakespeare, a word-level LSTM language model on tinyshakespeare.

Setup, data, model, train, evaluate, write. `zoo train lstm-lm-shakespeare` (about 12 minutes
on a 2-core CPU with KERAS_BACKEND=jax, which runs recurrent layers about twice as fast as
TensorFlow on CPU; any backend gives the same model).

Data: zoo.words (lower-cased wordpunct tokens, lines as sentences, first 90% train / last 10%
test, validation = the last 10% of train, words seen once -> <UNK>). Model: one LSTM layer of
512 units between a tied 256-dimensional embedding (Press & Wolf 2017) and its transpose, with
locked dropout 0.5 (the same units dropped at every step of a window; Gal & Ghahramani 2016)
on the embedding and on the LSTM's output: Zaremba et al. 2014's regularised LSTM at a scale
that trains in minutes on a CPU. With a fresh dropout mask at every step, 256 units and a
128-dimensional embedding (dropout 0.3), the test perplexity was 106.4; this is 92.8.
Training: Adam on 64-token windows, learning rate halved when the validation loss stalls, the
epoch with the best validation perplexity kept.
"""

from pathlib import Path

from zoo.models import rnnlm

NAME = "lstm-lm-shakespeare"
CELL = "lstm"
HPARAMS = {"embedding_dim": 256, "units": 512, "layers": 1, "dropout": 0.5, "tie_embeddings": True,
           "locked_dropout": True}
EPOCHS, BATCH_SIZE, LEARNING_RATE = 30, 32, 3e-3  # early stopping ends it (epoch 12 here, best 9)
SMOKE_HPARAMS = {"embedding_dim": 16, "units": 16, "layers": 1, "dropout": 0.0, "tie_embeddings": True,
                 "locked_dropout": True}
EVAL_TOLERANCE = 1e-3


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None) -> Path:
    return rnnlm.train_recipe(NAME, CELL, SMOKE_HPARAMS if smoke else HPARAMS, out, smoke=smoke,
                              epochs=epochs or (1 if smoke else EPOCHS), batch_size=BATCH_SIZE,
                              learning_rate=LEARNING_RATE, seed=seed, data_dir=data_dir,
                              recipe=f"recipes/{Path(__file__).name}")


def evaluate(art, data_dir=None) -> dict:
    return rnnlm.evaluate_recipe(art, data_dir=data_dir)


def finetune(art, *, text, epochs, out, learning_rate=1e-3, batch_size=16, **options) -> Path:
    return rnnlm.finetune_recipe(art, text=text, epochs=epochs, out=out, learning_rate=learning_rate,
                                 batch_size=batch_size, **options)
