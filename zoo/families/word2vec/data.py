"""word2vec's data: corpora, the vocabulary, and the pipeline that turns a corpus into training
batches for the skip-gram and CBOW models of zoo/families/word2vec/model.py.

Every rule here follows gensim (gensim/models/word2vec_inner.pyx), so that the Keras models and
gensim's Word2Vec can be compared on the same corpus with the same hyper-parameters:

- vocabulary: words seen at least `min_count` times, most frequent first;
- sub-sampling: each occurrence of word w is kept with probability
  (sqrt(c_w / t) + 1) * t / c_w, where t = sample * (total retained words), before windows are
  cut (so dropping a frequent word brings farther words into the window);
- dynamic window: for each centre word, an effective window drawn uniformly from 1..window
  (near words are used more often than far ones); windows never cross a sentence boundary;
- negatives: k draws per example from counts**0.75 (gensim skips a draw equal to the true word;
  here it is drawn again, from an alias table rather than gensim's cumulative table).

The pipeline is numpy, vectorised over chunks of about a million tokens, and streams: a corpus
bigger than one chunk is read again for every epoch and never held in memory whole (a smaller one
is encoded once and kept). No Keras here: the model module feeds these batches to `fit`.

Tokenisation (`tokenize`): nltk's RegexpTokenizer keeping runs of letters with inner
apostrophes ("o'er", "i'll"), lower-cased; digits and punctuation are dropped.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

import zoo.text
from zoo.errors import InvalidInputError

MAX_SENTENCE = 10_000  # gensim's MAX_WORDS_IN_BATCH: longer sentences are cut into pieces

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


def _count(sentences) -> dict[str, int]:
    """Each token's count, in the order tokens first occur (gensim's raw_vocab)."""
    raw: dict[str, int] = {}
    for sentence in sentences:
        for token in sentence:
            raw[token] = raw.get(token, 0) + 1
    return raw


def keep_probabilities(counts, sample: float) -> np.ndarray:
    """Sub-sampling (gensim's prepare_vocab): the probability of keeping each occurrence of words
    with these counts, the threshold taken from their total."""
    c = np.asarray(counts, dtype="float64")
    if not sample:
        return np.ones(len(c), dtype="float64")
    threshold = sample * c.sum() if sample < 1.0 else sample * (3 + math.sqrt(5)) / 2
    return np.minimum((np.sqrt(c / threshold) + 1) * threshold / c, 1.0)


class Vocabulary(zoo.text.Vocabulary):
    """Words <-> ids (zoo.text's API), most frequent first (gensim's order; a vocabulary grown by
    `updated` has its new words after the old ones), with their raw counts (int64) for sub-sampling
    and the noise distribution. Unknown words are dropped, as gensim does."""

    def __init__(self, words: list[str], counts: np.ndarray):
        super().__init__(words)
        self.counts = counts

    @property
    def words(self) -> list[str]:
        return self.tokens

    @classmethod
    def scan(cls, sentences, min_count: int = 5) -> "Vocabulary":
        """Count every token (one pass) and keep those seen at least min_count times."""
        raw = _count(sentences)
        kept = [(w, c, i) for i, (w, c) in enumerate(raw.items()) if c >= min_count]
        if not kept:
            raise InvalidInputError(
                f"no word occurs at least min_count={min_count} times in the corpus "
                f"({sum(raw.values())} tokens): give more text or a smaller min_count.")
        kept.sort(key=lambda wci: (-wci[1], -wci[2]))  # gensim's order: ties, the last seen first
        return cls([w for w, _, _ in kept], np.array([c for _, c, _ in kept], dtype="int64"))

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Sub-sampling: the probability of keeping each occurrence (gensim's prepare_vocab)."""
        return keep_probabilities(self.counts, sample)

    def updated(self, sentences, min_count: int, sample: float) -> tuple["Vocabulary", np.ndarray, list[str]]:
        """The vocabulary grown by new sentences, as gensim 4's build_vocab(update=True) grows it:

        - words of the new text seen at least min_count times and not yet known are appended, in
          the order they first occur (gensim does not re-sort: old words keep their ids);
        - every known word's count grows by its count in the new text (the noise distribution
          follows the new counts);
        - the words kept from the new text (min_count or more there) get their sub-sampling
          probability from the new text's counts alone; the other known words keep theirs (here
          recomputed from the old counts: gensim keeps the value it stored, which differs only
          for a vocabulary that was already grown once).

        Returns (vocabulary, keep probabilities to train the new text with, new words).
        """
        raw = _count(sentences)
        kept = {w: c for w, c in raw.items() if c >= min_count}
        new_words = [w for w in kept if w not in self.index]
        words = self.words + new_words
        counts = np.concatenate([self.counts, np.zeros(len(new_words), dtype="int64")])
        counts += np.array([raw.get(w, 0) for w in words], dtype="int64")
        grown = Vocabulary(words, counts)
        keep = np.concatenate([self.keep_probabilities(sample), np.ones(len(new_words))])
        if kept:
            keep[[grown.index[w] for w in kept]] = keep_probabilities(np.array(list(kept.values())), sample)
        return grown, keep, new_words

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
                 chunk_tokens: int = 1 << 20, keep_prob: np.ndarray | None = None):
        self.sentences, self.vocab = sentences, vocab
        self.architecture, self.window, self.negative = architecture, window, negative
        self.batch_size, self.chunk_tokens = batch_size, chunk_tokens
        # keep_prob: given for a grown vocabulary (Vocabulary.updated), else from its counts
        self.keep_prob = vocab.keep_probabilities(sample) if keep_prob is None else keep_prob
        self.noise = alias_table(vocab.noise_distribution(ns_exponent))
        self.rng = np.random.default_rng(seed)
        self._cached = None

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
        labels = np.zeros((len(outputs), 1 + self.negative), dtype="float32")
        labels[:, 0] = 1.0
        return x, labels

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
