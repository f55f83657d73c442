"""Recipe: skipgram-shakespeare, skip-gram word vectors of tinyshakespeare, validated against gensim.

Setup, data, model, train, evaluate, write. Run it with `zoo train skipgram-shakespeare`.

Data: tinyshakespeare tokenised by `zoo.models.word2vec.tokenize` (lower-cased words, inner
apostrophes kept), one speech (text between blank lines) per sentence. Model: skip-gram with
negative sampling (zoo.models.word2vec), gensim's defaults except epochs (the corpus is small).
Validation: gensim's Word2Vec with the same corpus and hyper-parameters, several seeds, on
tinyshakespeare and on gensim's Lee corpus (see word2vec.agreement_study). The steps are
word2vec.train_recipe and word2vec.evaluate_recipe, shared with the other architecture.
"""

from pathlib import Path

from zoo.models import word2vec as w2v

NAME = "skipgram-shakespeare"
ARCHITECTURE = "skipgram"
EVAL_TOLERANCE = 1e-3


def evaluate(art, data_dir=None) -> dict:
    return w2v.evaluate_recipe(art, data_dir)


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, batch_size=None) -> Path:
    return w2v.train_recipe(NAME, ARCHITECTURE, out, smoke=smoke, epochs=epochs, seed=seed,
                            data_dir=data_dir, batch_size=batch_size)
