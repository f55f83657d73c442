"""word2vec: the skip-gram and CBOW models of Mikolov et al. 2013 (arXiv:1301.3781, 1310.4546),
trained with negative sampling, in Keras, and checked against gensim's Word2Vec.

Both models learn two tables of vectors, one row per vocabulary word:

    input vectors  v_w   (what you keep: the word vectors, `WordVectors.wv`)
    output vectors u_w   (the "context" side, used only in training; gensim's `syn1neg`)

and score a (input, output) pair by sigmoid(v . u). Each training example is one true pair and
k "negative" pairs whose output words are drawn from the noise distribution, the unigram counts
to the power 3/4; the loss is the sigmoid cross-entropy of "true pair" against "noise pair".

    skip-gram: input = one context word,             output = the centre word
    CBOW:      input = mean of the context words,     output = the centre word

The family's modules, one per part:

- here: the models and their training (`train_word2vec`);
- artifact.py: the trained vectors (`WordVectors`) and gensim's defaults (`DEFAULTS`);
- data.py: corpora, the vocabulary and the training examples, built by gensim's rules
  (sub-sampling, dynamic window, noise words);
- gensim_bridge.py: gensim's Word2Vec with the same hyper-parameters, and how alike two sets
  of word vectors are (the validation).

As in gensim: plain SGD whose rate falls linearly from alpha to min_alpha over training; input
vectors uniform in +-1/vector_size (gensim 4; word2vec.c used +-0.5), output vectors zero.

Where Keras differs: gensim updates the vectors after every pair (one thread per core, with no
locks); here the gradient of a batch of thousands of examples is summed and applied at once.
The loss is summed (not averaged) over the batch so that each example moves the vectors by the
same step as in gensim; the learning rate is multiplied by 1 + k because Keras's binary
cross-entropy averages over the last axis (the 1 + k scores of an example).

Batches are made in a background thread while the model trains on earlier ones
(zoo.training.generator_input). Batches are big (4096 examples), the step is compiled with XLA,
and up to 64 steps run per compiled call: that is what makes Keras competitive with gensim's C
loops on a CPU.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

import keras
from zoo.errors import InvalidInputError
from zoo.families.word2vec.artifact import DEFAULTS, keyed_vectors
from zoo.families.word2vec.data import ExampleStream, Vocabulary
from zoo.families.word2vec.layers import ContextMean, PairScores  # noqa: F401  (registered there)


# ---------------------------------------------------------------------------- the models


def _tables(vocab_size: int, vector_size: int):
    # gensim 4 (KeyedVectors' prep_vectors): input vectors uniform in +-1/size, output vectors
    # (syn1neg) start at zero. word2vec.c used +-0.5/size; with that, CBOW on the small Lee
    # corpus agreed clearly less with gensim (top-10 overlap 0.89 of gensim's floor, not 0.98).
    limit = 1.0 / vector_size
    inp = keras.layers.Embedding(vocab_size, vector_size, name="input_vectors",
                                 embeddings_initializer=keras.initializers.RandomUniform(-limit, limit))
    out = keras.layers.Embedding(vocab_size, vector_size, name="output_vectors", embeddings_initializer="zeros")
    return inp, out


def build_skipgram(vocab_size: int = 10_000, vector_size: int = 100, negative: int = 5):
    """Skip-gram with negative sampling: one context word's input vector scores the centre word
    (column 0 of `targets`) and k noise words. Output: (batch, 1 + k) logits."""
    _check_sizes(vocab_size, vector_size, negative)
    inp, out = _tables(vocab_size, vector_size)
    word = keras.Input(shape=(), dtype="int32", name="word")
    targets = keras.Input(shape=(1 + negative,), dtype="int32", name="targets")
    logits = PairScores(name="scores")([inp(word), out(targets)])
    return keras.Model({"word": word, "targets": targets}, logits, name="skipgram")


def build_cbow(vocab_size: int = 10_000, vector_size: int = 100, window: int = 5, negative: int = 5):
    """CBOW with negative sampling: the mean of up to 2*window context input vectors scores the
    centre word (column 0 of `targets`) and k noise words. Output: (batch, 1 + k) logits."""
    _check_sizes(vocab_size, vector_size, negative)
    if window < 1:
        raise InvalidInputError(f"window must be at least 1, got {window}.")
    inp, out = _tables(vocab_size, vector_size)
    context = keras.Input(shape=(2 * window,), dtype="int32", name="context")
    mask = keras.Input(shape=(2 * window,), dtype="float32", name="context_mask")
    targets = keras.Input(shape=(1 + negative,), dtype="int32", name="targets")
    hidden = ContextMean(name="context_mean")([inp(context), mask])
    logits = PairScores(name="scores")([hidden, out(targets)])
    return keras.Model({"context": context, "context_mask": mask, "targets": targets}, logits, name="cbow")


def _check_sizes(vocab_size, vector_size, negative):
    for name, value in (("vocab_size", vocab_size), ("vector_size", vector_size), ("negative", negative)):
        if not isinstance(value, int) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}.")


# ---------------------------------------------------------------------------- training


def compile_for_training(model, *, negative: int, alpha: float, min_alpha: float, total_steps: int,
                         steps_per_execution: int = 1):
    """SGD with gensim's linearly falling rate; summed loss so each example takes gensim's step."""
    scale = 1 + negative  # binary cross-entropy averages the 1 + k scores of an example
    schedule = keras.optimizers.schedules.PolynomialDecay(
        alpha * scale, decay_steps=max(total_steps, 1), end_learning_rate=min_alpha * scale, power=1.0)
    # jit_compile: XLA fuses gather, dot products and scatter-add; 3-4x faster on a CPU.
    model.compile(optimizer=keras.optimizers.SGD(schedule),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True, reduction="sum"), jit_compile=True,
                  steps_per_execution=steps_per_execution)
    return model


@dataclass
class TrainResult:
    model: keras.Model
    vocab: Vocabulary
    history: dict
    seconds: float            # model.fit only (the pair pipeline runs inside it)
    corpus_words: int         # raw tokens in one pass, as gensim's corpus_total_words
    examples_per_epoch: int
    steps: int
    hparams: dict

    @functools.cached_property
    def wv(self):
        """The word vectors as a gensim KeyedVectors, as a loaded artifact's `.wv`."""
        return keyed_vectors(self.model, self.vocab)


def train_word2vec(sentences, architecture: str = "skipgram", *, seed: int = 0, batch_size: int | None = None,
                   verbose: int | str = "auto", callbacks=None, vocab: Vocabulary | None = None,
                   keep_prob=None, start_from=None, min_steps_per_epoch: int = 1, **hparams) -> TrainResult:
    """Train skip-gram or CBOW on a re-iterable of token lists; hparams as gensim's (DEFAULTS).

    To continue training a model on new sentences (gensim's build_vocab(update=True), then
    train): `vocab` and `keep_prob` from Vocabulary.updated, and `start_from` the trained model,
    whose vectors become the first rows of the new one (copy_vectors). With no batch_size given,
    the default batch is halved (not below 64) until an epoch has min_steps_per_epoch steps: a
    small text in a few big batches would take a few big steps, far from gensim's step per pair.
    """
    import time

    from zoo import training

    if architecture not in ("skipgram", "cbow"):
        raise InvalidInputError(f"architecture must be 'skipgram' or 'cbow', got {architecture!r}.")
    unknown = set(hparams) - set(DEFAULTS)
    if unknown:
        raise InvalidInputError(f"unknown word2vec option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}.")
    hp = {**DEFAULTS, **hparams}
    chosen = batch_size
    batch_size = batch_size or default_batch_size(architecture)
    keras.utils.set_random_seed(seed)
    vocab = vocab or Vocabulary.scan(sentences, hp["min_count"])
    corpus_words = sum(len(s) for s in sentences)
    stream = ExampleStream(sentences, vocab, architecture=architecture, window=hp["window"],
                           negative=hp["negative"], sample=hp["sample"], ns_exponent=hp["ns_exponent"],
                           batch_size=batch_size, seed=seed, keep_prob=keep_prob)
    examples = stream.count_examples()
    while not chosen and batch_size > 64 and examples < min_steps_per_epoch * batch_size:
        batch_size //= 2
    if examples < batch_size:
        # Checked here, not met in epoch 3: sub-sampling and the dynamic window make each pass
        # over a small text give a different number of examples, some passes none at all.
        raise InvalidInputError(
            f"the corpus is too small to train word vectors: one pass over it gives {examples} training "
            f"examples, fewer than one batch of {batch_size} ({corpus_words:,} words, {len(vocab)} of them seen "
            f"at least min_count={hp['min_count']} times); give a longer text (a few thousand words), or a "
            "smaller min_count or batch_size.")
    stream.batch_size = batch_size  # the count does not depend on it; the batches do
    steps_per_epoch, steps_per_call = epoch_steps(examples, batch_size)
    if architecture == "skipgram":
        model = build_skipgram(len(vocab), hp["vector_size"], hp["negative"])
    else:
        model = build_cbow(len(vocab), hp["vector_size"], hp["window"], hp["negative"])
    if start_from is not None:
        copy_vectors(start_from, model)
    compile_for_training(model, negative=hp["negative"], alpha=hp["alpha"], min_alpha=hp["min_alpha"],
                         total_steps=steps_per_epoch * hp["epochs"], steps_per_execution=steps_per_call)
    start = time.perf_counter()
    batches = training.generator_input(stream, steps_per_epoch * hp["epochs"])
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, epochs=hp["epochs"], verbose=verbose,
                        callbacks=callbacks or [], shuffle=False)  # the stream shuffles itself
    seconds = time.perf_counter() - start
    return TrainResult(model, vocab, history.history, seconds, corpus_words, examples,
                       steps_per_epoch * hp["epochs"], {**hp, "batch_size": batch_size})


def copy_vectors(source, target):
    """Continue from a trained model: its input and output vectors become the first rows of
    `target`'s, a model built for a grown vocabulary. The rows of the new words keep their
    initialisation, as in gensim's update_weights (input uniform in +-1/vector_size, output zero).
    The source model is only read."""
    for name in ("input_vectors", "output_vectors"):
        old = np.asarray(source.get_layer(name).embeddings)
        layer = target.get_layer(name)
        table = np.array(layer.embeddings)
        if old.shape[1] != table.shape[1] or len(old) > len(table):
            raise InvalidInputError(f"cannot continue from {name} of shape {old.shape} in a model of shape {table.shape}.")
        table[:len(old)] = old
        layer.embeddings.assign(table)


def epoch_steps(examples: int, batch_size: int, most_per_call: int = 64) -> tuple[int, int]:
    """(steps per epoch, steps per compiled call), the first a multiple of the second.

    Many steps per call matter on a CPU: each call to the compiled step costs milliseconds of
    Keras and TensorFlow overhead, about as much as a step itself (measured once each, CBOW on
    tinyshakespeare, 2-core CPU: 0.32 s an epoch of 34 steps at 2 a call, 0.23 s an epoch of 32
    steps at 4 a call, 0.22-0.25 s an epoch of 34 steps in one call). Up to 64 steps a call keeps a progress bar moving on a big corpus. Keras runs whole
    calls, so the epoch must divide into them (34 steps at 4 a call trained 36 an epoch, more
    than the learning-rate schedule counted); the steps per epoch are rounded to a multiple,
    within half a call of examples / batch_size.
    """
    steps = max(1, round(examples / batch_size))
    calls = -(-steps // most_per_call)
    per_call = max(1, round(steps / calls))
    return per_call * calls, per_call


def default_batch_size(architecture: str) -> int:
    # Big batches keep the per-step overhead small. 16384 diverges for skip-gram, and 8192 for
    # CBOW (NaN vectors on tinyshakespeare): a frequent word's summed gradient over the batch gets
    # too big. 4096 agrees with gensim about as well as smaller batches do (for CBOW, 256, 1024
    # and 4096 gave the same agreement).
    return 4096


# ---------------------------------------------------------------------------- plots


def pca_plane(kv, words) -> tuple[np.ndarray, np.ndarray]:
    """(mean, 2 x dim basis): the plane of the first two principal components of the words'
    unit-length vectors; a word w sits at (kv.get_vector(w, norm=True) - mean) @ basis.T."""
    vectors = np.stack([kv.get_vector(w, norm=True) for w in words])
    mean = vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(vectors - mean, full_matrices=False)
    return mean, vt[:2]


def pca_map(kv, n_words: int = 120, skip: int = 20, title: str = ""):
    """A 2-D map (PCA of the unit-length vectors) of frequent words."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = list(kv.index_to_key[skip:skip + n_words])
    mean, basis = pca_plane(kv, words)
    xy = (np.stack([kv.get_vector(w, norm=True) for w in words]) - mean) @ basis.T
    fig, ax = plt.subplots(figsize=(9, 7.5))
    ax.scatter(xy[:, 0], xy[:, 1], s=6, color="tab:blue", alpha=0.5)
    for (x, y), word in zip(xy, words):
        ax.annotate(word, (x, y), fontsize=7, alpha=0.85)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title or f"PCA of the {n_words} most frequent words (after the top {skip})")
    fig.tight_layout()
    return fig

