"""Word-level tinyshakespeare: the tokenisation, vocabulary and split shared by the word-level
language models (count n-grams, ngram-lm, gru-lm, lstm-lm), so that every model is measured on
exactly the same test tokens with the same vocabulary.

- Tokens: `nltk.tokenize.wordpunct_tokenize` (a regular expression, `\\w+|[^\\w\\s]+`: it needs
  no downloaded nltk data), lower-cased.
- Sentences: each non-empty line of the file is a sentence, marked with `<s>` (start, used by the
  n-gram models as left padding) and `</s>` (end, predicted like a word).
- Split: the first 90% of the sentences (non-empty lines) train, the last 10% test. The neural
  models also need a validation part for early stopping: it is carved from the *end of the
  training part* (its last 10% of sentences), so the test part is never looked at before the
  final measurement. The count models are fit on the whole training part.
- Vocabulary: every word seen at least twice in the (whole) training part, plus `<s>`, `</s>` and
  `<UNK>`; words seen once in training, and words never seen, map to `<UNK>`. The unknown label is
  nltk.lm's own (`<UNK>`), so nltk's models and ours count the same types.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

import zoo.text
from zoo.errors import InvalidInputError

BOS, EOS, UNK = "<s>", "</s>", "<UNK>"
TRAIN_FRACTION = 0.9        # of the sentences: train (the rest: test)
VALIDATION_FRACTION = 0.1   # of the training sentences, from their end: validation for early stopping
MIN_COUNT = 2               # words seen fewer times in training map to <UNK>


def tokenize(line: str) -> list[str]:
    """Lower-cased nltk wordpunct tokens of one line."""
    from nltk.tokenize import wordpunct_tokenize

    return wordpunct_tokenize(line.lower())


def sentences(text: str) -> list[list[str]]:
    """The token lists of the non-empty lines of a text (a line is a sentence)."""
    return [tokens for tokens in map(tokenize, text.split("\n")) if tokens]


@dataclass
class Split:
    train: list[list[str]]        # the whole training part (what the count models are fit on)
    fit: list[list[str]]          # train minus validation (what the neural models are fit on)
    validation: list[list[str]]   # the last 10% of the training sentences (early stopping)
    test: list[list[str]]         # the last 10% of the sentences


def split(text: str) -> Split:
    """Tokenised train / fit / validation / test sentences (raw words, before <UNK> mapping)."""
    every = sentences(text)
    cut = int(len(every) * TRAIN_FRACTION)
    train, test = every[:cut], every[cut:]
    val_cut = int(len(train) * (1 - VALIDATION_FRACTION))
    return Split(train=train, fit=train[:val_cut], validation=train[val_cut:], test=test)


class Vocabulary(zoo.text.Vocabulary):
    """Words <-> ids (zoo.text's API). Id 0 is <UNK>, 1 is <s>, 2 is </s>, then words by
    decreasing training count; an unknown word reads as <UNK>."""

    unknown_id = 0

    def __init__(self, words: list[str]):
        words = list(words)
        if words[:3] != [UNK, BOS, EOS]:
            raise InvalidInputError(f"a word vocabulary starts with {UNK}, {BOS}, {EOS}.")
        super().__init__(words)

    @property
    def words(self) -> list[str]:
        return self.tokens

    @classmethod
    def from_sentences(cls, train: list[list[str]], min_count: int = MIN_COUNT) -> "Vocabulary":
        counts = collections.Counter(w for s in train for w in s)
        kept = sorted((w for w, c in counts.items() if c >= min_count and w not in (UNK, BOS, EOS)),
                      key=lambda w: (-counts[w], w))
        return cls([UNK, BOS, EOS, *kept])

    def map_unknown(self, sentence: list[str]) -> list[str]:
        return [w if w in self.index else UNK for w in sentence]


VOCABULARY_FILE = "vocab.txt"  # an artifact's words, one a line (line i is id i)


def read_vocabulary_file(folder) -> list[str]:
    """The words of an artifact's vocab.txt (read_config has checked them), read as every file
    a folder offers is read (zoo.artifacts.read_member)."""
    from zoo import artifacts

    return artifacts.read_text_member(folder, VOCABULARY_FILE, artifacts.VOCABULARY_LIMIT).split("\n")


def vocab_asset(vocab: Vocabulary) -> str:
    """The vocabulary file: one word a line, line i is id i (words hold no whitespace)."""
    return "\n".join(vocab.words)


def stream(sentences_: list[list[str]], vocab: Vocabulary) -> np.ndarray:
    """Sentences as one id stream for the recurrent models: each line's words, then </s>.
    The tokens predicted are exactly those the n-gram models predict (each word, and one </s> a
    line); a recurrent model also sees the previous lines as context."""
    ids = [vocab.encode(s + [EOS]) for s in sentences_]
    return np.concatenate(ids) if ids else np.zeros(0, "int32")


def count_unknown(words: list[str], vocab: Vocabulary) -> int:
    return sum(w not in vocab for w in words)


def text_tokens(text: str) -> list[list[str]]:
    """A user's text as sentences; a clear error when it holds no words."""
    if not isinstance(text, str):
        raise InvalidInputError(f"give the text as a string, got {type(text).__name__}.")
    result = sentences(text)
    if not result:
        raise InvalidInputError("the text is empty (no words after tokenisation): give at least one word.")
    return result


NO_SPACE_BEFORE = set(".,;:!?')]}") | {"'s", "'d", "'ll"}
# Words that follow a leading apostrophe ("and 'tis", "take 'em"): the "'" before them gets a
# space, where after any other word it is one inside a word ("brother's", "o'er", "know'st").
ELISIONS = {"tis", "twas", "twere", "twill", "twould", "twixt", "tween", "gainst", "em", "fore", "mongst"}


def word_piece(previous: str | None, word: str) -> str:
    """The text one generated word adds: a newline for </s>, no space before punctuation, none
    around a hyphen ("good-night"), and an apostrophe after punctuation opens a word (", 'tis")."""
    if word == EOS:
        return "\n"
    if previous is None or previous == EOS or previous in ("'", "-", "(", "[") or word[0] == "-":
        return word
    if word[0] == "'" and not previous[-1].isalnum():
        return " " + word
    if not word[0].isalnum() and word[0] in NO_SPACE_BEFORE:
        return word
    return " " + word


def detokenize(words: list[str], previous: str | None = None) -> str:
    """Tokens back to readable text: `my lord ,` -> `my lord,`, `brother ' s` -> `brother's`,
    `and ' tis` -> `and 'tis`, `</s>` -> a new line (see word_piece; unlike it, this sees the
    word after each one). `previous` is the token before the first (None: the text's start)."""
    out = []
    for i, word in enumerate(words):
        if word == BOS:
            continue
        piece = word_piece(previous, word)
        following = words[i + 1] if i + 1 < len(words) else None
        if word == "'" and following in ELISIONS and previous not in (None, EOS) and not piece.startswith(" "):
            piece = " " + piece
        out.append(piece)
        previous = word
    return "".join(out)


# ------------------------------------------------------------------ the shared dataset


SMOKE_SENTENCES = 2000  # smoke runs use the first 2,000 sentences, split by the same rules


@dataclass
class Corpus:
    """The split, the vocabulary, and each part with unknown words mapped to <UNK>."""
    vocab: Vocabulary
    train: list[list[str]]
    fit: list[list[str]]
    validation: list[list[str]]
    test: list[list[str]]
    sha256: str
    sentences: int

    def describe(self) -> dict:
        count = lambda part: sum(len(s) for s in part)  # noqa: E731
        return {
            "name": "tinyshakespeare",
            "sha256": self.sha256,
            "tokenizer": "nltk.tokenize.wordpunct_tokenize on lower-cased text (no nltk data needed)",
            "split": (f"non-empty lines are sentences ({self.sentences}); first {TRAIN_FRACTION:.0%} train "
                      f"({len(self.train)} sentences, {count(self.train)} words), last {1 - TRAIN_FRACTION:.0%} "
                      f"test ({len(self.test)} sentences, {count(self.test)} words + one </s> each); "
                      f"validation for early stopping = the last {VALIDATION_FRACTION:.0%} of the training "
                      f"sentences ({len(self.validation)}); neural models fit on the rest ({len(self.fit)})"),
            "vocabulary": (f"{len(self.vocab)} types: words seen >= {MIN_COUNT} times in train, plus "
                           f"{UNK}, {BOS}, {EOS}; other words are {UNK}"),
            "test_unknown_tokens": sum(w == UNK for s in self.test for w in s),
        }


def load_corpus(data_dir=None, smoke: bool = False, text: str | None = None) -> Corpus:
    """tinyshakespeare (or `text`) tokenised, split and mapped to the training vocabulary."""
    from zoo import data, io

    if text is None:
        path = data.path("tinyshakespeare", mirror=data_dir)
        text, sha = path.read_text(encoding="utf-8"), io.sha256_file(path)
    else:
        import hashlib

        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    every = sentences(text)
    if smoke:
        every = every[:SMOKE_SENTENCES]
    parts = split("\n".join(" ".join(s) for s in every))
    vocab = Vocabulary.from_sentences(parts.train)
    mapped = {k: [vocab.map_unknown(s) for s in getattr(parts, k)] for k in ("train", "fit", "validation", "test")}
    return Corpus(vocab=vocab, sha256=sha, sentences=len(every), **mapped)
