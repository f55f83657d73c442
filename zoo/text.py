"""Tokens <-> ids: the one vocabulary API of the zoo, shared by the character models (charrnn,
seq2seq), the word-level language models and word2vec.

    vocab.tokens[i]     a token's spelling          vocab.index[token]   its id
    len(vocab)          token in vocab              vocab.unknown(tokens) -> Counter, first seen first
    vocab.encode(tokens) -> int32 ids               vocab.decode(ids) -> tokens

A family adds only what is its own: its special tokens, how it is built from data, and what an
unknown token becomes (`unknown_id`: a word model reads it as <UNK>; a character model has no such
token, so its callers drop unknown characters first, or refuse them).
"""

from __future__ import annotations

import collections

import numpy as np

from zoo.errors import InvalidInputError


class Vocabulary:
    unknown_id: int | None = None  # the id an unknown token reads as (None: it has none)

    def __init__(self, tokens):
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token) -> bool:
        return token in self.index

    def unknown(self, tokens) -> collections.Counter:
        """The tokens this vocabulary does not have, with counts, in order of first appearance."""
        return collections.Counter(t for t in tokens if t not in self.index)

    def encode(self, tokens) -> np.ndarray:
        if self.unknown_id is None and (unknown := self.unknown(tokens)):
            raise InvalidInputError(f"{', '.join(map(repr, list(unknown)[:10]))} not in the vocabulary "
                                    f"of {len(self):,} tokens.")
        return np.array([self.index.get(t, self.unknown_id) for t in tokens], dtype="int32")

    def decode(self, ids) -> list[str]:
        return [self.tokens[int(i)] for i in ids]
