"""Recipe: skipgram-shakespeare, skip-gram word vectors of tinyshakespeare, validated against gensim.

Setup, data, model, train, evaluate, write. Run it with `zoo train skipgram-shakespeare`.

Data: tinyshakespeare tokenised by `zoo.families.word2vec.data.tokenize` (lower-cased words, inner
apostrophes kept), one speech (text between blank lines) per sentence. Model: skip-gram with
negative sampling (zoo.families.word2vec.model), gensim's defaults except epochs (the corpus is small).
Validation: gensim's Word2Vec with the same corpus and hyper-parameters, several seeds, on
tinyshakespeare and on gensim's Lee corpus (zoo.families.word2vec.gensim_bridge.agreement_study). Fine-tuning
(`zoo finetune NAME --text my.txt`) continues training on a text and grows the vocabulary, as
gensim's build_vocab(update=True) then train. The steps that cbow-shakespeare shares are in
zoo.families.word2vec.steps.
"""

from pathlib import Path

from zoo import training
from zoo.families.word2vec import model as word2vec
from zoo.families.word2vec import steps

NAME = "skipgram-shakespeare"
ARCHITECTURE = "skipgram"
HPARAMS = {**word2vec.DEFAULTS, "epochs": 15}  # gensim's defaults but epochs: the corpus is small
PROBE = ["king", "queen", "love", "death", "night", "sword", "rome", "god"]  # neighbours shown on the card
EVAL_TOLERANCE = 1e-3


def evaluate(art, data_dir=None) -> dict:
    return steps.evaluate_word_vectors(art, data_dir)


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, batch_size=None) -> Path:
    # setup and data
    hparams = {**HPARAMS, "epochs": epochs or (1 if smoke else HPARAMS["epochs"])}
    sentences = steps.shakespeare_sentences(smoke, data_dir)

    # model and training (train_word2vec builds the model and feeds it the example stream)
    with training.Stopwatch() as clock:
        result = word2vec.train_word2vec(sentences, ARCHITECTURE, seed=seed, batch_size=batch_size, verbose=1,
                                         callbacks=training.resume_callbacks(out), **hparams)
    training.clear_checkpoint(out)
    training.log(f"{result.corpus_words * hparams['epochs'] / result.seconds:,.0f} words/s in model.fit")

    # evaluate: against gensim, and the metrics `zoo eval` re-measures
    vectors = word2vec.keyed_vectors(result.model, result.vocab)
    studies = steps.gensim_studies(vectors, sentences, ARCHITECTURE, hparams, smoke=smoke, seed=seed,
                                   batch_size=result.hparams["batch_size"])
    metrics = {**steps.word_vector_metrics(vectors, sentences, ARCHITECTURE, hparams),
               "final_loss_per_batch": float(result.history["loss"][-1])}

    # write
    return steps.write_word_vectors(out, result, vectors, studies, metrics, name=NAME,
                                    recipe=f"recipes/{Path(__file__).name}", sentences=sentences,
                                    smoke=smoke, seed=seed, seconds=clock.seconds, probe=PROBE)


def finetune(art, *, text, out: Path, epochs: int | None = None, seed: int = 0, batch_size: int | None = None) -> Path:
    # epochs=None: the base's epochs, as gensim's model.train(..., epochs=model.epochs)
    return steps.finetune_word_vectors(art, text=text, out=out, epochs=epochs, seed=seed,
                                       batch_size=batch_size, probe=PROBE)
