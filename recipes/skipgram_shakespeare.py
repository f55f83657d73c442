"""Recipe: skipgram-shakespeare, skip-gram word vectors of tinyshakespeare, validated against gensim.

Setup, data, model, train, evaluate, write. Run it with `zoo train skipgram-shakespeare`.

Data: tinyshakespeare tokenised by `zoo.models.word2vec.tokenize` (lower-cased words, inner
apostrophes kept), one speech (text between blank lines) per sentence. Model: skip-gram with
negative sampling (zoo.models.word2vec), gensim's defaults except epochs (the corpus is small).
Validation: gensim's Word2Vec with the same corpus and hyper-parameters, several seeds, on
tinyshakespeare and on gensim's Lee corpus (see word2vec.agreement_study).
"""

from pathlib import Path

from zoo import data, training
from zoo.models import word2vec as w2v

NAME = "skipgram-shakespeare"
ARCHITECTURE = "skipgram"
HPARAMS = {**w2v.DEFAULTS, "epochs": 15}
SMOKE_CHARS = 30_000
EVAL_TOLERANCE = 1e-3
PROBE = ["king", "queen", "love", "death", "night", "sword", "rome", "god"]  # neighbours shown on the card


def sentences(smoke: bool, data_dir=None):
    """tinyshakespeare as a re-iterable stream of token lists (the first SMOKE_CHARS in smoke mode)."""
    if data_dir:
        path = data.path("tinyshakespeare", path=Path(data_dir) / "tinyshakespeare.txt")
        return w2v.TextCorpus(path, "paragraph", SMOKE_CHARS if smoke else None)
    return w2v.corpus("tinyshakespeare", max_chars=SMOKE_CHARS if smoke else None)


def evaluate(art, data_dir=None) -> dict:
    """Deterministic re-measurement from the artifact: word-similarity benchmarks and agreement
    with a gensim model trained with seed 1 and one worker thread (deterministic)."""
    smoke = art.config["dataset"].get("smoke", False)
    return w2v.evaluate_artifact(art, sentences(smoke, data_dir))


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, batch_size=None) -> Path:
    hp = {**HPARAMS, "epochs": epochs or (1 if smoke else HPARAMS["epochs"])}
    corpus = sentences(smoke, data_dir)
    with training.Stopwatch() as clock:
        result = w2v.train_word2vec(corpus, ARCHITECTURE, seed=seed, batch_size=batch_size, verbose=1,
                                    callbacks=training.resume_callbacks(out), **hp)
    training.clear_checkpoint(out)
    training.log(f"{result.corpus_words * hp['epochs'] / result.seconds:,.0f} words/s in model.fit")
    # Validate against gensim (both corpora), write the card and the artifact folder.
    return w2v.write_artifact(out, result, name=NAME, recipe=f"recipes/{NAME.replace('-', '_')}.py",
                              corpus=corpus, smoke=smoke, seed=seed, seconds=clock.seconds, probe=PROBE,
                              dataset_sha256=data.dataset("tinyshakespeare").sha256)
