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


# The control characters that are text rather than commands to a terminal: a line break and an
# indent. A description may hold them, and so may a character model's vocabulary (tinyshakespeare
# has newlines); no other control character may appear in what a folder offers.
TEXT_CONTROLS = "\n\t"


def is_control(character: str) -> bool:
    """Whether a character drives a terminal rather than printing: the C0 controls (NUL, BEL,
    ESC, which starts the escape sequences that retitle a window or clear the screen, ...), DEL
    and the C1 controls (U+0080-U+009F: CSI is ESC [ on one byte)."""
    return character < " " or "\x7f" <= character <= "\x9f"


def token_problem(tokens, allowed_controls: str = "") -> str | None:
    """What makes `tokens` unfit for a vocabulary, or None: a token listed twice (its ids would
    disagree), one that is not a non-empty string, or a control character other than those in
    `allowed_controls` (a vocabulary's tokens are printed as they are, and `zoo generate`
    writes them to a terminal). Tokens are shown escaped, never raw."""
    seen = set()
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            return f"token {i} is {token!r}, not a non-empty string"
        if token in seen:
            return f"it lists {token[:40]!r} twice"
        seen.add(token)
        control = next((c for c in token if is_control(c) and c not in allowed_controls), None)
        if control is not None:
            return (f"token {i} ({token[:40]!r}) holds the control character U+{ord(control):04X}, "
                    "which would drive a terminal rather than print")
    return None


class Vocabulary:
    unknown_id: int | None = None  # the id an unknown token reads as (None: it has none)
    # Control characters a family's tokens may be (see token_problem): a character model's
    # newline and tab.
    allowed_controls: str = ""

    def __init__(self, tokens):
        self.tokens = list(tokens)
        problem = token_problem(self.tokens, self.allowed_controls)
        if problem:
            raise InvalidInputError(f"not a vocabulary: {problem}.")
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
