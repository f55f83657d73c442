"""word2vec: the skip-gram and CBOW models of Mikolov et al. 2013 (arXiv:1301.3781, 1310.4546),
trained with negative sampling, in Keras, and checked against gensim's Word2Vec.

Both models learn two tables of vectors, one row per vocabulary word:

    input vectors  v_w   (what you keep: the word vectors, `Artifact.wv`)
    output vectors u_w   (the "context" side, used only in training; gensim's `syn1neg`)

and score a (input, output) pair by sigmoid(v . u). Each training example is one true pair and
k "negative" pairs whose output words are drawn from the noise distribution, the unigram counts
to the power 3/4; the loss is the sigmoid cross-entropy of "true pair" against "noise pair".

    skip-gram: input = one context word,             output = the centre word
    CBOW:      input = mean of the context words,     output = the centre word

Everything around the model follows gensim (gensim/models/word2vec_inner.pyx), so that the two
can be compared on the same corpus with the same hyper-parameters:

- vocabulary: words seen at least `min_count` times, most frequent first;
- sub-sampling: each occurrence of word w is kept with probability
  (sqrt(c_w / t) + 1) * t / c_w, where t = sample * (total retained words), before windows are
  cut (so dropping a frequent word brings farther words into the window);
- dynamic window: for each centre word, an effective window drawn uniformly from 1..window
  (near words are used more often than far ones); windows never cross a sentence boundary;
- negatives: k draws per example from counts**0.75 (gensim skips a draw equal to the true word;
  here it is drawn again, from an alias table rather than gensim's cumulative table);
- learning rate: plain SGD whose rate falls linearly from alpha to min_alpha over training;
- initialisation: input vectors uniform in +-1/vector_size (gensim 4; word2vec.c used +-0.5), output vectors zero.

Where Keras differs: gensim updates the vectors after every pair (one thread per core, with no
locks); here the gradient of a batch of thousands of examples is summed and applied at once.
The loss is summed (not averaged) over the batch so that each example moves the vectors by the
same step as in gensim; the learning rate is multiplied by 1 + k because Keras's binary
cross-entropy averages over the last axis (the 1 + k scores of an example).

The training-pair pipeline is numpy, vectorised over chunks of about a million tokens, and
streams: a corpus bigger than one chunk is read again for every epoch and never held in memory
whole (a smaller one is encoded once and kept). Batches are made in a background thread while
the model trains on earlier ones (zoo.training.generator_input). Batches are big (4096 examples),
the step is compiled with XLA, and up to 64 steps run per compiled call: that is what makes Keras
competitive with gensim's C loops on a CPU.

Tokenisation (`tokenize`): nltk's RegexpTokenizer keeping runs of letters with inner
apostrophes ("o'er", "i'll"), lower-cased; digits and punctuation are dropped.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import keras
from keras import ops
from zoo.artifacts import Artifact
from zoo.errors import InvalidInputError

# gensim's defaults (gensim.models.Word2Vec), used by both sides of every comparison.
DEFAULTS = {
    "vector_size": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "min_count": 5,
    "alpha": 0.025,
    "min_alpha": 1e-4,
    "ns_exponent": 0.75,
    "epochs": 5,
}
MAX_SENTENCE = 10_000  # gensim's MAX_WORDS_IN_BATCH: longer sentences are cut into pieces
VOCAB_FILE = "vocab.json"

# ---------------------------------------------------------------------------- tokens, corpora

TOKEN_PATTERN = r"[^\W\d_]+(?:'[^\W\d_]+)*"


def tokenize(text: str) -> list[str]:
    """Lower-cased words: runs of letters, with inner apostrophes kept ("o'er", "i'll").

    nltk.tokenize.RegexpTokenizer with TOKEN_PATTERN; digits and punctuation are dropped.
    """
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(TOKEN_PATTERN).tokenize(text.lower())


class TextCorpus:
    """A text file as a re-iterable stream of sentences (lists of tokens), read lazily.

    unit="paragraph": text between blank lines is one sentence (Shakespeare's speeches);
    unit="line": each line is one sentence (one document per line, as the Lee corpus).
    Sentences longer than 10,000 tokens are cut into pieces, as gensim does.
    """

    def __init__(self, path, unit: str = "paragraph", max_chars: int | None = None):
        if unit not in ("paragraph", "line"):
            raise InvalidInputError(f"unit must be 'paragraph' or 'line', got {unit!r}.")
        self.path = Path(path)
        if not self.path.is_file():
            raise InvalidInputError(f"{self.path} is not a file; give a UTF-8 text file.")
        self.unit = unit
        self.max_chars = max_chars  # read only the first max_chars characters (smoke runs)

    def _lines(self):
        seen = 0
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if self.max_chars is not None:
                    if seen >= self.max_chars:
                        return
                    line = line[: self.max_chars - seen]
                seen += len(line)
                yield line

    def __iter__(self):
        sentence: list[str] = []
        for line in self._lines():
            tokens = tokenize(line)
            if self.unit == "line" or not line.strip():
                sentence += tokens
                if sentence:
                    yield from _pieces(sentence)
                sentence = []
            else:
                sentence += tokens
        if sentence:
            yield from _pieces(sentence)


def _pieces(sentence):
    for start in range(0, len(sentence), MAX_SENTENCE):
        yield sentence[start:start + MAX_SENTENCE]


class TokenLists:
    """Any re-iterable of token lists (e.g. gensim.models.word2vec.Text8Corpus), checked as read."""

    def __init__(self, sentences):
        self.sentences = sentences

    def __iter__(self):
        for sentence in self.sentences:
            if isinstance(sentence, str) or not all(isinstance(t, str) for t in sentence):
                raise InvalidInputError(
                    "a corpus must be an iterable of token lists (lists of str), e.g. "
                    "[['the', 'king'], ['my', 'lord']]; got an item of type "
                    f"{type(sentence).__name__}. Pass a text file's path to have it tokenised.")
            yield from _pieces(list(sentence))


def lee_path() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


def corpus(source, *, max_chars: int | None = None):
    """A re-iterable of token lists from:

    "tinyshakespeare" (zoo.data; speeches as sentences), "lee" (gensim's bundled Lee background
    corpus, one news story per line), the path of any UTF-8 text file (paragraphs as sentences),
    or any re-iterable of token lists (passed through, checked as read).
    """
    from zoo import data

    if isinstance(source, str) and source == "tinyshakespeare":
        return TextCorpus(data.path("tinyshakespeare"), "paragraph", max_chars)
    if isinstance(source, str) and source == "lee":
        return TextCorpus(lee_path(), "line", max_chars)
    if isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():
            raise InvalidInputError(
                f"corpus {str(source)!r} is neither 'tinyshakespeare', 'lee' nor an existing text file.")
        return TextCorpus(source, "paragraph", max_chars)
    if iter(source) is source:
        raise InvalidInputError(
            "the corpus is a one-shot iterator, but training reads it once per epoch: pass a list "
            "of token lists or a re-iterable object (e.g. gensim's Text8Corpus).")
    return TokenLists(source)


# ---------------------------------------------------------------------------- vocabulary


@dataclass
class Vocabulary:
    words: list[str]          # most frequent first (gensim's order)
    counts: np.ndarray        # raw counts, int64

    @classmethod
    def scan(cls, sentences, min_count: int = 5) -> "Vocabulary":
        """Count every token (one pass) and keep those seen at least min_count times."""
        raw: dict[str, int] = {}
        for sentence in sentences:
            for token in sentence:
                raw[token] = raw.get(token, 0) + 1
        kept = [(w, c, i) for i, (w, c) in enumerate(raw.items()) if c >= min_count]
        if not kept:
            raise InvalidInputError(
                f"no word occurs at least min_count={min_count} times in the corpus "
                f"({sum(raw.values())} tokens): give more text or a smaller min_count.")
        kept.sort(key=lambda wci: (-wci[1], -wci[2]))  # gensim's order: ties, the last seen first
        return cls([w for w, _, _ in kept], np.array([c for _, c, _ in kept], dtype="int64"))

    def __len__(self):
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Sub-sampling: the probability of keeping each occurrence (gensim's prepare_vocab)."""
        total = float(self.counts.sum())
        if not sample:
            return np.ones(len(self), dtype="float64")
        threshold = sample * total if sample < 1.0 else sample * (3 + math.sqrt(5)) / 2
        c = self.counts.astype("float64")
        return np.minimum((np.sqrt(c / threshold) + 1) * threshold / c, 1.0)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        weights = self.counts.astype("float64") ** exponent
        return weights / weights.sum()

    def to_json(self) -> dict:
        return {"words": self.words, "counts": self.counts.tolist(), "tokenizer": TOKEN_PATTERN,
                "lowercase": True}

    @classmethod
    def from_json(cls, obj: dict) -> "Vocabulary":
        return cls(list(obj["words"]), np.asarray(obj["counts"], dtype="int64"))


# ---------------------------------------------------------------------------- training examples


def token_chunks(sentences, vocab: Vocabulary, chunk_tokens: int = 1 << 20):
    """Stream the corpus as (ids, sentence_ids) arrays of about chunk_tokens in-vocabulary tokens
    each (whole sentences). Out-of-vocabulary tokens are dropped first, as gensim does."""
    index = vocab.index
    ids, sids, n, sentence_no = [], [], 0, 0
    for sentence in sentences:
        encoded = np.fromiter((index[t] for t in sentence if t in index), dtype="int32")
        if len(encoded):
            ids.append(encoded)
            sids.append(np.full(len(encoded), sentence_no, dtype="int64"))
            n += len(encoded)
        sentence_no += 1
        if n >= chunk_tokens:
            yield np.concatenate(ids), np.concatenate(sids)
            ids, sids, n = [], [], 0
    if n:
        yield np.concatenate(ids), np.concatenate(sids)


def subsample_and_windows(ids, sids, keep_prob, window, rng):
    """Drop frequent words at random, then draw each position's effective window 1..window."""
    keep = rng.random(len(ids)) < keep_prob[ids]
    ids, sids = ids[keep], sids[keep]
    effective = window - rng.integers(0, window, len(ids))  # gensim: window - (random % window)
    return ids, sids, effective


def skipgram_pairs(ids, sids, effective, window):
    """All (input=context word, output=centre word) pairs, vectorised over offsets 1..window.

    Position i is a centre for position i+o when o <= effective[i], and position i+o is a
    centre for position i when o <= effective[i+o]; both must lie in the same sentence.
    """
    inputs, outputs = [], []
    for o in range(1, window + 1):
        same = sids[o:] == sids[:-o]
        left, right = ids[:-o], ids[o:]  # positions i and i+o
        centre_left = same & (o <= effective[:-o])
        inputs += [right[centre_left]]
        outputs += [left[centre_left]]
        centre_right = same & (o <= effective[o:])
        inputs += [left[centre_right]]
        outputs += [right[centre_right]]
    return np.concatenate(inputs), np.concatenate(outputs)


def cbow_examples(ids, sids, effective, window):
    """For each centre word, its context words (n, 2*window), padded, with a boolean mask.

    Each position's window of 2*window + 1 words is a view of the corpus padded at both ends
    (sentence id -1 there, so the padding never counts as context), without the centre column.
    """
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    columns = offsets + window
    windows = np.lib.stride_tricks.sliding_window_view
    context = windows(np.pad(ids, window), 2 * window + 1)[:, columns]
    same_sentence = windows(np.pad(sids, window, constant_values=-1), 2 * window + 1)[:, columns] == sids[:, None]
    mask = same_sentence & (np.abs(offsets)[None, :] <= effective[:, None])
    has_context = mask.any(axis=1)
    context = np.where(mask, context, 0)[has_context]
    return context.astype("int32", copy=False), mask[has_context], ids[has_context]


def alias_table(probabilities):
    """Walker's alias method (Vose's construction): O(1) exact draws from a discrete distribution.

    Column i keeps itself with probability accept[i], else gives alias[i]. Faster than a binary
    search of the cumulative table (gensim's way), which matters when drawing millions per second.
    """
    n = len(probabilities)
    scaled = np.asarray(probabilities, dtype="float64") * n
    accept, alias = np.ones(n), np.arange(n, dtype="int32")
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return accept, alias


def draw_negatives(outputs, table, negative, rng):
    """k noise words per example; a draw equal to the example's true word is drawn again."""
    accept, alias = table

    def draw(shape):
        column = rng.integers(0, len(accept), shape, dtype="int32")
        return np.where(rng.random(shape, dtype="float32") < accept[column], column, alias[column])

    draws = draw((len(outputs), negative))
    clash = draws == outputs[:, None]
    if clash.any():
        draws[clash] = draw(int(clash.sum()))
    return draws


class ExampleStream:
    """Endless stream of fixed-size training batches, epoch after epoch over the corpus.

    Each batch is ({"context"/"context_mask" or "word", "targets"}, labels): `targets` holds the
    true output word in column 0 and the k negatives after it; labels are [1, 0, ..., 0].
    Examples are shuffled within each chunk of the corpus (not across it, so memory stays flat).
    """

    def __init__(self, sentences, vocab: Vocabulary, *, architecture: str, window: int, negative: int,
                 sample: float, ns_exponent: float, batch_size: int, seed: int,
                 chunk_tokens: int = 1 << 20):
        self.sentences, self.vocab = sentences, vocab
        self.architecture, self.window, self.negative = architecture, window, negative
        self.batch_size, self.chunk_tokens = batch_size, chunk_tokens
        self.keep_prob = vocab.keep_probabilities(sample)
        self.noise = alias_table(vocab.noise_distribution(ns_exponent))
        self.rng = np.random.default_rng(seed)
        self._cached = None
        self.labels = np.zeros((batch_size, 1 + negative), dtype="float32")
        self.labels[:, 0] = 1.0

    def encoded_chunks(self):
        """The corpus as id arrays, chunk by chunk. A corpus that fits in one chunk is encoded
        once and kept (a few MB); a bigger one is read and encoded again every epoch (streaming)."""
        if self._cached is not None:
            yield self._cached
            return
        chunks = 0
        for chunk in token_chunks(self.sentences, self.vocab, self.chunk_tokens):
            chunks += 1
            first = chunk if chunks == 1 else None
            yield chunk
        if chunks == 1:
            self._cached = first

    def epoch_examples(self, rng):
        """One pass over the corpus: arrays of examples, one tuple per chunk."""
        for ids, sids in self.encoded_chunks():
            ids, sids, effective = subsample_and_windows(ids, sids, self.keep_prob, self.window, rng)
            if self.architecture == "skipgram":
                inputs, outputs = skipgram_pairs(ids, sids, effective, self.window)
                arrays = (inputs,)
            else:
                context, mask, outputs = cbow_examples(ids, sids, effective, self.window)
                arrays = (context, mask)
            order = rng.permutation(len(outputs))
            yield tuple(a[order] for a in arrays) + (outputs[order],)

    def count_examples(self, seed: int = 12345) -> int:
        """Examples in one pass (one sample of the random sub-sampling and windows)."""
        return sum(len(chunk[-1]) for chunk in self.epoch_examples(np.random.default_rng(seed)))

    def batch(self, arrays):
        *inputs, outputs = arrays
        targets = np.concatenate([outputs[:, None], draw_negatives(outputs, self.noise, self.negative, self.rng)],
                                 axis=1).astype("int32", copy=False)
        if self.architecture == "skipgram":
            x = {"word": inputs[0].astype("int32", copy=False), "targets": targets}
        else:  # the mask travels as booleans (a quarter of the bytes to shuffle), the model takes 0/1
            x = {"context": inputs[0], "context_mask": inputs[1].astype("float32"), "targets": targets}
        return x, self.labels[: len(outputs)]

    def __iter__(self):
        """Batches of exactly batch_size examples, forever (leftovers carry into the next chunk)."""
        pending = None
        while True:
            produced = False
            for arrays in self.epoch_examples(self.rng):
                produced = produced or len(arrays[-1]) > 0
                if pending is not None:
                    # the leftovers and the start of this chunk make one batch (or, if the chunk
                    # is smaller than that, carry on together); the rest is not copied
                    need = self.batch_size - len(pending[-1])
                    head = tuple(np.concatenate([p, a[:need]]) for p, a in zip(pending, arrays))
                    if len(head[-1]) < self.batch_size:
                        pending = head
                        continue
                    yield self.batch(head)
                    arrays = tuple(a[need:] for a in arrays)
                n_full = len(arrays[-1]) // self.batch_size * self.batch_size
                for start in range(0, n_full, self.batch_size):
                    yield self.batch(tuple(a[start:start + self.batch_size] for a in arrays))
                pending = tuple(a[n_full:] for a in arrays)
            if not produced:
                raise InvalidInputError("the corpus gave no training examples (is it empty?).")


# ---------------------------------------------------------------------------- the models


@keras.saving.register_keras_serializable(package="zoo")
class PairScores(keras.layers.Layer):
    """score[b, j] = h[b] . u[b, j]: one input vector against its 1 + k output vectors."""

    def call(self, inputs):
        hidden, targets = inputs
        # A broadcast product and a sum: XLA on CPU compiled the equivalent einsum into a step
        # several times slower for CBOW.
        return ops.sum(hidden[:, None, :] * targets, axis=-1)


@keras.saving.register_keras_serializable(package="zoo")
class ContextMean(keras.layers.Layer):
    """The mean of the real context vectors (mask 1), ignoring the padding (mask 0).

    Its backward pass is that of the *sum*: every context word receives the full error, not
    1/n of it. That is what word2vec.c and gensim (cbow_mean=1) do: they average the vectors
    going forward but add the whole error to each context vector going back. stop_gradient
    gives exactly that: the value is sum/n, the gradient flows through sum only.
    """

    def call(self, inputs):
        vectors, mask = inputs
        total = ops.sum(vectors * mask[:, :, None], axis=1)
        count = ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        return total + ops.stop_gradient(total / count - total)


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


def train_word2vec(sentences, architecture: str = "skipgram", *, seed: int = 0, batch_size: int | None = None,
                   verbose: int | str = "auto", callbacks=None, vocab: Vocabulary | None = None,
                   **hparams) -> TrainResult:
    """Train skip-gram or CBOW on a re-iterable of token lists; hparams as gensim's (DEFAULTS)."""
    import time

    from zoo import training

    if architecture not in ("skipgram", "cbow"):
        raise InvalidInputError(f"architecture must be 'skipgram' or 'cbow', got {architecture!r}.")
    unknown = set(hparams) - set(DEFAULTS)
    if unknown:
        raise InvalidInputError(f"unknown word2vec option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}.")
    hp = {**DEFAULTS, **hparams}
    batch_size = batch_size or default_batch_size(architecture)
    keras.utils.set_random_seed(seed)
    vocab = vocab or Vocabulary.scan(sentences, hp["min_count"])
    corpus_words = sum(len(s) for s in sentences)
    stream = ExampleStream(sentences, vocab, architecture=architecture, window=hp["window"],
                           negative=hp["negative"], sample=hp["sample"], ns_exponent=hp["ns_exponent"],
                           batch_size=batch_size, seed=seed)
    examples = stream.count_examples()
    steps_per_epoch, steps_per_call = epoch_steps(examples, batch_size)
    if architecture == "skipgram":
        model = build_skipgram(len(vocab), hp["vector_size"], hp["negative"])
    else:
        model = build_cbow(len(vocab), hp["vector_size"], hp["window"], hp["negative"])
    compile_for_training(model, negative=hp["negative"], alpha=hp["alpha"], min_alpha=hp["min_alpha"],
                         total_steps=steps_per_epoch * hp["epochs"], steps_per_execution=steps_per_call)
    start = time.perf_counter()
    batches = training.generator_input(stream, steps_per_epoch * hp["epochs"])
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, epochs=hp["epochs"], verbose=verbose,
                        callbacks=callbacks or [], shuffle=False)  # the stream shuffles itself
    seconds = time.perf_counter() - start
    return TrainResult(model, vocab, history.history, seconds, corpus_words, examples,
                       steps_per_epoch * hp["epochs"], {**hp, "batch_size": batch_size})


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


# ---------------------------------------------------------------------------- gensim, vectors


def keyed_vectors(model, vocab: Vocabulary):
    """The input vectors as a gensim KeyedVectors (with each word's count)."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(model.get_layer("input_vectors").embeddings, dtype="float32")
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(vocab.words, vectors)
    for word, count in zip(vocab.words, vocab.counts):
        kv.set_vecattr(word, "count", int(count))
    return kv


def gensim_word2vec(sentences, architecture: str = "skipgram", *, seed: int = 0, workers: int = 1, **hparams):
    """gensim's Word2Vec on the same corpus and hyper-parameters (the reference).

    With workers=1 and a fixed seed it is deterministic (checked in tests/test_word2vec.py).
    """
    from gensim.models import Word2Vec

    hp = {**DEFAULTS, **hparams}
    return Word2Vec(sentences, sg=1 if architecture == "skipgram" else 0, hs=0, cbow_mean=1, seed=seed,
                    workers=workers, vector_size=hp["vector_size"], window=hp["window"],
                    negative=hp["negative"], sample=hp["sample"], min_count=hp["min_count"],
                    alpha=hp["alpha"], min_alpha=hp["min_alpha"], ns_exponent=hp["ns_exponent"],
                    epochs=hp["epochs"])


# ---------------------------------------------------------------------------- validation


def probe_words(kv, n: int = 300, skip: int = 20) -> list[str]:
    """Frequent words to compare models on: ranks skip..skip+n (the very top are function words)."""
    return list(kv.index_to_key[skip:skip + n])


def probe_pairs(words, n_pairs: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(words), n_pairs)
    b = rng.integers(0, len(words), n_pairs)
    keep = a != b
    return [(words[i], words[j]) for i, j in zip(a[keep], b[keep])]


def agreement(kv_a, kv_b, words=None, pairs=None, topn: int = 10) -> dict:
    """How alike two sets of word vectors are, whatever their coordinates:

    spearman: rank correlation of the cosine similarities of the same word pairs;
    top10_overlap: mean fraction of shared words in each probe word's top-10 neighbours.
    """
    from scipy.stats import spearmanr

    words = [w for w in (words or probe_words(kv_a)) if w in kv_a.key_to_index and w in kv_b.key_to_index]
    pairs = pairs or probe_pairs(words)
    sims_a = [kv_a.similarity(x, y) for x, y in pairs]
    sims_b = [kv_b.similarity(x, y) for x, y in pairs]
    overlaps = []
    for word in words:
        near_a = {w for w, _ in kv_a.most_similar(word, topn=topn)}
        near_b = {w for w, _ in kv_b.most_similar(word, topn=topn)}
        overlaps.append(len(near_a & near_b) / topn)
    return {"spearman": float(spearmanr(sims_a, sims_b).statistic), "top10_overlap": float(np.mean(overlaps))}


def quality(kv) -> dict:
    """gensim's bundled benchmarks on the in-vocabulary part, with coverage."""
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    out = {}
    for name, file, kwargs in (("wordsim353", "wordsim353.tsv", {}),
                               ("simlex999", "simlex999.txt", {})):
        try:
            _, spearman, oov = kv.evaluate_word_pairs(datapath(file), **kwargs)
            out[f"{name}_spearman"] = float(spearman.statistic)
            out[f"{name}_coverage"] = float(1 - oov / 100)
        except ValueError:  # fewer than two pairs in the vocabulary (tiny smoke vocabularies)
            out[f"{name}_spearman"] = float("nan")
            out[f"{name}_coverage"] = 0.0
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    total = next(s for s in sections if s["section"] == "Total accuracy")
    answered = len(total["correct"]) + len(total["incorrect"])
    out["analogy_accuracy"] = float(score) if answered else 0.0
    out["analogy_coverage"] = answered / _analogy_total()
    return out


def agreement_study(sentences, architecture: str, hparams: dict, *, keras_kv=None, seeds=(1, 2, 3),
                    keras_seed: int = 0, batch_size: int | None = None, verbose=0) -> dict:
    """The validation of one architecture on one corpus, with the same hyper-parameters:

    gensim trained with several seeds sets the floor (how much gensim agrees with itself);
    the Keras model (trained here unless keras_kv is given) is compared with each gensim run.
    Also WordSim-353, SimLex-999 and questions-words for both (gensim: mean over its seeds).
    """
    from itertools import combinations

    hp = {**DEFAULTS, **hparams}
    if keras_kv is None:
        result = train_word2vec(sentences, architecture, seed=keras_seed, batch_size=batch_size,
                                verbose=verbose, **hp)
        keras_kv = keyed_vectors(result.model, result.vocab)
    runs = [gensim_word2vec(sentences, architecture, seed=s, workers=1, **hp).wv for s in seeds]
    words = probe_words(runs[0])
    pairs = probe_pairs(words)
    floor = [agreement(a, b, words, pairs) for a, b in combinations(runs, 2)]
    versus = [agreement(keras_kv, g, words, pairs) for g in runs]
    out = {"probe_words": len(words), "probe_pairs": len(pairs), "gensim_seeds": list(seeds),
           "vocabulary": len(keras_kv), "hparams": hp}
    for key in ("spearman", "top10_overlap"):
        g = float(np.mean([f[key] for f in floor]))
        k = float(np.mean([v[key] for v in versus]))
        out[key] = {"gensim_vs_gensim": g, "keras_vs_gensim": k, "ratio": k / g}
    gensim_quality = [quality(g) for g in runs]
    out["quality"] = {"keras": quality(keras_kv),
                      "gensim": {k: float(np.mean([q[k] for q in gensim_quality])) for k in gensim_quality[0]}}
    return out


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


def _analogy_total() -> int:
    from gensim.test.utils import datapath

    with open(datapath("questions-words.txt"), encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(":"))


# ---------------------------------------------------------------------------- artifact


class WordVectors(Artifact):
    """A trained skip-gram or CBOW model. `.wv` is a gensim KeyedVectors of the input vectors:
    most_similar, similarity, analogies (most_similar(positive=, negative=)), evaluate_word_pairs."""

    @property
    def vocab(self) -> Vocabulary:
        if not hasattr(self, "_vocab"):
            path = self.folder / VOCAB_FILE
            with open(path, encoding="utf-8") as f:
                self._vocab = Vocabulary.from_json(json.load(f))
        return self._vocab

    @property
    def wv(self):
        if not hasattr(self, "_wv"):
            self._wv = keyed_vectors(self.model, self.vocab)
        return self._wv

    def lookup(self, word: str) -> str:
        """The vocabulary form of a word (lower-cased), or an error naming close spellings."""
        if not isinstance(word, str) or not word.strip():
            raise InvalidInputError("give a word, e.g. `king`.")
        key = word.strip().lower()
        if key in self.wv.key_to_index:
            return key
        close = difflib.get_close_matches(key, self.vocab.words, n=5, cutoff=0.6)
        hint = f" Close spellings in the vocabulary: {', '.join(close)}." if close else \
            " No close spelling is in the vocabulary either."
        raise InvalidInputError(
            f"{word!r} is not in the vocabulary of {self.name} ({len(self.vocab):,} lower-case words "
            f"seen at least {self.config.get('hparams', {}).get('min_count', DEFAULTS['min_count'])} "
            f"times in {self.config.get('dataset', {}).get('name', 'its corpus')}).{hint}")

    def similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The topn nearest words by cosine similarity."""
        if not isinstance(topn, int) or topn < 1:
            raise InvalidInputError(f"topn must be a positive integer, got {topn!r}.")
        return self.wv.most_similar(self.lookup(word), topn=topn)

    def export(self, path, binary: bool = False) -> Path:
        """Write the vectors in the original word2vec format (text, or binary with binary=True);
        gensim's KeyedVectors.load_word2vec_format and the C tools read them back."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wv.save_word2vec_format(str(path), binary=binary)
        return path


# ---------------------------------------------------------------------------- recipes' shared part


def _finite(value):
    """NaN (a benchmark with no word in the vocabulary) is recorded as None: JSON has no NaN."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def evaluate_artifact(art: "WordVectors", sentences) -> dict:
    """What `zoo eval` re-measures, deterministically, from the artifact alone:
    WordSim-353 / SimLex-999 / questions-words (with coverage), and agreement with gensim
    trained on the same corpus and hyper-parameters with seed 1 and one worker thread."""
    hp = {k: art.config["hparams"][k] for k in DEFAULTS}
    reference = gensim_word2vec(sentences, art.config["architecture"], seed=1, workers=1, **hp).wv
    agree = agreement(art.wv, reference)
    return {**{k: _finite(v) for k, v in quality(art.wv).items()},
            "agreement_spearman_vs_gensim_seed1": agree["spearman"],
            "agreement_top10_vs_gensim_seed1": agree["top10_overlap"]}


def neighbours_markdown(kv, words, topn: int = 8) -> str:
    rows = ["| word | nearest words (cosine) |", "| --- | --- |"]
    for word in words:
        if word in kv.key_to_index:
            near = ", ".join(f"{w} {s:.2f}" for w, s in kv.most_similar(word, topn=topn))
            rows.append(f"| {word} | {near} |")
    return "\n".join(rows)


def write_artifact(out, result: TrainResult, *, name: str, recipe: str, corpus, smoke: bool, seed: int,
                   seconds: float, probe, dataset_sha256: str | None = None) -> Path:
    """Validate a trained model against gensim, write its card, and save the artifact folder."""
    from zoo import training
    from zoo.artifacts import save_artifact

    architecture = result.model.name
    hp = {k: result.hparams[k] for k in DEFAULTS}
    kv = keyed_vectors(result.model, result.vocab)
    label = "tinyshakespeare" + (" (smoke slice)" if smoke else "")
    training.log(f"validating against gensim on {label}...")
    studies = {label: agreement_study(corpus, architecture, hp, keras_kv=kv, seeds=(1, 2) if smoke else (1, 2, 3))}
    if not smoke:
        training.log("validating against gensim on the Lee corpus (Keras trained there too)...")
        studies["Lee"] = agreement_study(globals()["corpus"]("lee"), architecture, hp, keras_seed=seed,
                                         batch_size=result.hparams["batch_size"])
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
        "vocabulary": {"file": VOCAB_FILE, "size": len(result.vocab), "tokenizer": f"nltk RegexpTokenizer({TOKEN_PATTERN!r})",
                       "lowercase": True, "min_count": hp["min_count"]},
        "dataset": {"name": "tinyshakespeare", "sha256": dataset_sha256,
                    "split": "all of it (word vectors have no held-out split); one speech per sentence"
                             + (f"; smoke: first {corpus.max_chars} characters" if smoke else ""),
                    "tokens": result.corpus_words, "smoke": smoke},
        "training": {**result.hparams, "seed": seed, "optimizer": "SGD, rate linear from alpha to min_alpha",
                     "loss": "sigmoid cross-entropy, 1 true + k noise words, summed over the batch",
                     "examples_per_epoch": result.examples_per_epoch, "steps": result.steps,
                     "fit_seconds": result.seconds, "words_per_second": result.corpus_words * hp["epochs"] / result.seconds,
                     "seconds": seconds, "environment": training.environment()},
        "validation": studies,
        "card": {"tags": ["word2vec", architecture, "word-embeddings", "gensim"]},
    }
    art = WordVectors(result.model, config, Path(out))
    art._vocab, art._wv = result.vocab, kv
    config["metrics"] = {**evaluate_artifact(art, corpus), "final_loss_per_batch": float(result.history["loss"][-1])}
    body = f"""
`zoo.load({name!r}).wv` is a gensim `KeyedVectors` ({len(result.vocab):,} words, {hp['vector_size']}
dimensions): `most_similar`, `similarity`, analogies, `evaluate_word_pairs` all work.
`art.export("vectors.txt")` / `art.export("vectors.bin", binary=True)` write the word2vec formats.
From a shell: `zoo similar {name} king --topn 10`.

Hyper-parameters (the same for gensim in every comparison): {", ".join(f"{k}={v}" for k, v in hp.items())};
batch of {result.hparams['batch_size']} examples. Tokens: nltk `RegexpTokenizer({TOKEN_PATTERN!r})` on lower-cased text.

## Nearest neighbours

{neighbours_markdown(kv, probe)}

![2-D map of frequent words](word_map.png)

## Validation against gensim

gensim's `Word2Vec` trained on the same corpus with the same hyper-parameters, with seeds
{", ".join(map(str, next(iter(studies.values()))['gensim_seeds']))} (one worker thread each), sets the floor: how well gensim agrees with itself.
The Keras model is compared with each gensim run, on {next(iter(studies.values()))['probe_words']} frequent words (ranks 20 and
after) and {next(iter(studies.values()))['probe_pairs']} fixed random pairs of them: Spearman correlation of the pairs' cosine
similarities, and mean overlap of the words' top-10 neighbour lists. On the Lee corpus the Keras
model is trained by the same code with the same hyper-parameters. gensim's quality numbers are means over its seeds.

{validation_markdown(studies)}

(`python benchmarks/word2vec_agreement.py` measures both architectures on both corpora;
`python benchmarks/word2vec_speed.py` measures speed against gensim.)

![training curve](training_curve.png)
"""
    plots = {"word_map.png": pca_map(kv, title=f"{name}: PCA of 120 frequent words"),
             "training_curve.png": training.plot_history(result.history, f"{name}: summed loss per batch")}
    return save_artifact(out, model=result.model, config=config, card_body=body, plots=plots,
                         assets={VOCAB_FILE: result.vocab.to_json()})


# ------------------------------------------------------------------------------- recipes
# skipgram-shakespeare and cbow-shakespeare are the same recipe with a different architecture;
# the recipe files name it and call these steps.

SHAKESPEARE_HPARAMS = {**DEFAULTS, "epochs": 15}  # gensim's defaults but epochs: the corpus is small
SMOKE_CHARS = 30_000
PROBE = ["king", "queen", "love", "death", "night", "sword", "rome", "god"]  # neighbours shown on the card


def shakespeare_sentences(smoke: bool, data_dir=None):
    """tinyshakespeare as a re-iterable stream of token lists (the first SMOKE_CHARS in smoke mode),
    one speech (text between blank lines) per sentence."""
    from zoo import data

    if data_dir:
        path = data.path("tinyshakespeare", path=Path(data_dir) / "tinyshakespeare.txt")
        return TextCorpus(path, "paragraph", SMOKE_CHARS if smoke else None)
    return corpus("tinyshakespeare", max_chars=SMOKE_CHARS if smoke else None)


def evaluate_recipe(art, data_dir=None) -> dict:
    """Deterministic re-measurement from the artifact: word-similarity benchmarks and agreement
    with a gensim model trained with seed 1 and one worker thread (deterministic)."""
    smoke = art.config["dataset"].get("smoke", False)
    return evaluate_artifact(art, shakespeare_sentences(smoke, data_dir))


def train_recipe(name: str, architecture: str, out, *, smoke=False, epochs=None, seed=0, data_dir=None,
                 batch_size=None):
    """Train on tinyshakespeare, validate against gensim (both corpora), write the artifact."""
    from zoo import data, training

    hp = {**SHAKESPEARE_HPARAMS, "epochs": epochs or (1 if smoke else SHAKESPEARE_HPARAMS["epochs"])}
    sentences = shakespeare_sentences(smoke, data_dir)
    with training.Stopwatch() as clock:
        result = train_word2vec(sentences, architecture, seed=seed, batch_size=batch_size, verbose=1,
                                callbacks=training.resume_callbacks(out), **hp)
    training.clear_checkpoint(out)
    training.log(f"{result.corpus_words * hp['epochs'] / result.seconds:,.0f} words/s in model.fit")
    return write_artifact(out, result, name=name, recipe=f"recipes/{name.replace('-', '_')}.py",
                          corpus=sentences, smoke=smoke, seed=seed, seconds=clock.seconds, probe=PROBE,
                          dataset_sha256=data.dataset("tinyshakespeare").sha256)


def pca_map(kv, n_words: int = 120, skip: int = 20, title: str = ""):
    """A 2-D map (PCA of the unit-length vectors) of frequent words."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = list(kv.index_to_key[skip:skip + n_words])
    vectors = np.stack([kv.get_vector(w, norm=True) for w in words])
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    fig, ax = plt.subplots(figsize=(9, 7.5))
    ax.scatter(xy[:, 0], xy[:, 1], s=6, color="tab:blue", alpha=0.5)
    for (x, y), word in zip(xy, words):
        ax.annotate(word, (x, y), fontsize=7, alpha=0.85)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title or f"PCA of the {n_words} most frequent words (after the top {skip})")
    fig.tight_layout()
    return fig

