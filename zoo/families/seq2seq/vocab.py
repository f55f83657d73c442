"""The seq2seq family's character vocabularies and the id arrays its models read; numpy only, so
the artifact class and the metadata schema use them without Keras.

Ids 0, 1, 2 are <pad>, <start> and <end>; the characters follow. Sources are padded on the left
(the encoder's final state then comes straight after the last real character); decoder inputs
and labels are the target shifted by one (teacher forcing).
"""

from __future__ import annotations

import numpy as np

import zoo.text
from zoo.errors import InvalidInputError

PAD, START, END = 0, 1, 2
SPECIALS = ["<pad>", "<start>", "<end>"]
VOCAB_FILE = "vocab.json"  # the artifact's file of its two vocabularies: {"source": chars, "target": chars}


class Vocabulary(zoo.text.Vocabulary):
    """Characters <-> ids (zoo.text's API); ids 0, 1, 2 are <pad>, <start>, <end>, characters
    follow. `decode` gives the text up to the first <end>."""

    def __init__(self, chars):
        self.chars = list(chars)
        if not all(isinstance(c, str) and len(c) == 1 for c in self.chars):
            raise InvalidInputError("a character vocabulary lists single characters.")
        super().__init__(SPECIALS + self.chars)  # no control characters: a pair is one line of text

    @classmethod
    def from_texts(cls, texts):
        return cls(sorted(set("".join(texts))))

    def decode(self, ids) -> str:
        """Characters up to the first <end>; <pad> and <start> are skipped."""
        ids = [int(i) for i in ids]
        ids = ids[:ids.index(END)] if END in ids else ids
        return "".join(self.tokens[i] for i in ids if i >= len(SPECIALS))


def encode_sources(texts, vocab: Vocabulary, length: int) -> np.ndarray:
    """(n, length) int32, each text's ids padded on the left with <pad>."""
    ids = np.full((len(texts), length), PAD, dtype="int32")
    for row, text in enumerate(texts):
        encoded = vocab.encode(text)
        if len(encoded):
            ids[row, -len(encoded):] = encoded
    return ids


def encode_targets(texts, vocab: Vocabulary, length: int):
    """Teacher forcing: decoder inputs "<start> y", labels "y <end>", and a 0/1 weight per
    position so padding after <end> adds nothing to the loss. Each (n, length + 1)."""
    n = len(texts)
    inputs = np.full((n, length + 1), PAD, dtype="int32")
    labels = np.full((n, length + 1), PAD, dtype="int32")
    weights = np.zeros((n, length + 1), dtype="float32")
    for row, text in enumerate(texts):
        encoded = list(vocab.encode(text))
        inputs[row, :len(encoded) + 1] = [START] + encoded
        labels[row, :len(encoded) + 1] = encoded + [END]
        weights[row, :len(encoded) + 1] = 1.0
    return inputs, labels, weights
