"""char-rnn's artifact: a trained character model (`CharRNN`) and its vocabulary.

Light on purpose: nothing here imports Keras at module level (the model is handed in loaded),
so that `zoo --help` and `zoo info` can read the class's hooks without a backend. The
recurrence it runs is numpy (zoo/families/charrnn/numpy_step.py).
"""

from __future__ import annotations

import collections

import numpy as np

import zoo.text
from zoo.errors import InvalidInputError
from zoo.families.charrnn.numpy_step import NumpyCharRNN, blas_threads
from zoo.hooks import DemoSection
from zoo.language_model import LanguageModel, Score
from zoo.samplers import log_softmax


# ---------------------------------------------------------------------------- vocabulary


class Vocabulary(zoo.text.Vocabulary):
    """Characters <-> ids (zoo.text's API): the sorted set of the training text's characters. A
    character model has no <UNK>: unknown characters are dropped first (`split_known`). Its
    tokens are single characters; of the control characters, only newline and tab (a text's
    line breaks and indents: tinyshakespeare has newlines), so a text with other control
    characters is refused when it would add them, and so is a folder whose vocabulary has them."""

    allowed_controls = zoo.text.TEXT_CONTROLS

    def __init__(self, chars):
        chars = list(chars)
        if not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise InvalidInputError("a character vocabulary lists single characters.")
        super().__init__(chars)

    @property
    def chars(self) -> list[str]:
        return self.tokens

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        return cls(sorted(set(text)))

    def split_known(self, text: str) -> tuple[np.ndarray, collections.Counter]:
        """Ids of the known characters, and the unknown ones left out, with counts."""
        unknown = self.unknown(text)
        if unknown:
            text = "".join(c for c in text if c in self.index)
        return self.encode(text), unknown

    def decode(self, ids) -> str:
        return "".join(self.tokens[int(i)] for i in ids)


# ------------------------------------------------------------------------------- artifact

# `score` reads a long text as up to SCORE_STREAMS streams side by side, of at least
# SCORE_MIN_CHUNK characters each, every one warmed up on the SCORE_WARMUP characters before its
# part (see NumpyCharRNN.log_probs). Warm-up costs at most 20% more steps, and rather less on a
# long text; 2x512 LSTM, one thread: a batch of 24-64 streams runs 2.5-3x as many characters a
# second as one stream on the machine these were measured on (more beyond 64 gains nothing).
SCORE_STREAMS = 64
SCORE_MIN_CHUNK = 1000
SCORE_WARMUP = 200


class CharRNN(LanguageModel):
    """A trained character model: the language-model task (zoo.language_model: generate, score,
    next_tokens, beam_search) on the numpy recurrence. Its tokens are characters; the vocabulary
    is `config["vocabulary"]` (a JSON list of characters). Characters it has never seen are
    skipped, and counted."""

    config_schema = "zoo.families.charrnn.schema:CharRNNMetadata"
    demo_section = DemoSection("zoo.families.charrnn.demo:section", order=10)

    def export_plan(self):
        from zoo.families.charrnn import export

        return export.plan(self)
    unit = "character"
    widget_defaults = {"prompt": "ROMEO:", "max_new_tokens": 300, "unit": "characters"}
    unknown_handling = "skipped"

    def __init__(self, model, config: dict, folder):
        super().__init__(model, config, folder)
        self.vocab = Vocabulary(config["vocabulary"])
        self._numpy = None
        self._batch_states = {}  # batch size -> a State to step that many streams in (advance_many)
        self._score_threads = None  # how many BLAS threads long-text scoring runs on (a ThreadChoice)

    @property
    def rnn(self) -> NumpyCharRNN:
        if self._numpy is None:  # built on first use: loading stays quick
            self._numpy = NumpyCharRNN(self.model)
        return self._numpy

    def token(self, token_id: int) -> str:
        return self.vocab.tokens[token_id]

    # The state is the recurrence's State after the text so far and the logits it gives for the
    # next character; a step updates both in place (no allocation: see State).

    def prompt_state(self, text: str):
        ids, unknown = self.vocab.split_known(text)
        if len(ids) == 0:  # nothing to condition on: start as a fresh line would
            ids = self.vocab.encode("\n") if "\n" in self.vocab else np.zeros(1, "int32")
        state = self.rnn.initial_state()
        for char_id in ids[:-1]:  # only the last character's prediction matters
            state.ids[0] = char_id
            self.rnn.advance(state)
        return self.advance((state, np.empty(len(self.vocab), "float32")), int(ids[-1])), None, unknown

    def prompt_tokens(self, text: str) -> list[int]:
        return self.vocab.split_known(text)[0].tolist()

    def prompt_log_probs(self, text: str) -> list[tuple[int, float | None]]:
        ids = self.vocab.split_known(text)[0]
        if len(ids) == 0:
            return []
        scores = self.rnn.log_probs(ids) if len(ids) > 1 else []  # one stream, from the zero state
        return [(int(ids[0]), None)] + [(int(i), float(lp)) for i, lp in zip(ids[1:], scores)]

    def advance(self, state, token: int):
        rnn_state, logits = state
        rnn_state.ids[0] = token
        np.dot(self.rnn.advance(rnn_state)[0], self.rnn.out_kernel, out=logits)  # a vector: numpy's quickest path
        logits += self.rnn.out_bias
        return state

    def copy_state(self, state):
        rnn_state, logits = state
        return rnn_state.copy(), logits.copy()

    def advance_many(self, states: list, tokens: list[int]) -> list:
        """One step of several one-stream states together (the server's concurrent requests): their
        rows are gathered into one batch State, stepped with one matrix product per layer, and
        scattered back. At batch size one a step waits on memory (it reads every weight to use it
        once); a batch uses each weight it reads once per stream."""
        if len(states) <= 1:
            return [self.advance(state, token) for state, token in zip(states, tokens)]
        batch = self._batch_states.get(len(states))
        if batch is None:
            batch = self._batch_states[len(states)] = self.rnn.initial_state(len(states))
        rnn_states = [rnn_state for rnn_state, _ in states]
        batch.ids[:] = tokens
        np.concatenate([s.hs for s in rnn_states], out=batch.hs)
        for layer, c in enumerate(batch.c or ()):
            np.concatenate([s.c[layer] for s in rnn_states], out=c)
        logits = self.rnn.advance(batch) @ self.rnn.out_kernel + self.rnn.out_bias
        for row, (rnn_state, row_logits) in enumerate(states):
            rnn_state.hs[0] = batch.hs[row]
            for layer, c in enumerate(batch.c or ()):
                rnn_state.c[layer][0] = c[row]
            row_logits[:] = logits[row]
        return states

    def running(self, threads: int | None = None):
        return blas_threads(threads)

    def next_log_probs(self, state) -> np.ndarray:
        return log_softmax(state[1])  # the step keeps logits; beam search adds log-probabilities

    def piece(self, previous, token: int) -> str:
        return self.vocab.tokens[token]

    def token_log_probs(self, text: str, single_stream: bool = False):
        """Every character after the first, predicted from the characters before it, as if the
        state were carried through the whole text. A text of 2 x SCORE_MIN_CHUNK characters or
        more is read as several streams side by side (see `NumpyCharRNN.log_probs`), each warmed
        up on the SCORE_WARMUP characters before its part: faster, and within ~1e-5 nats/char of
        one stream on Shakespeare (the tests allow 0.002). Unknown characters are removed first."""
        ids, unknown = self.vocab.split_known(text)
        if len(ids) < 2:
            return np.zeros(0), unknown
        streams = 1 if single_stream else min(SCORE_STREAMS, len(ids) // SCORE_MIN_CHUNK)
        if streams <= 1:  # one stream: one BLAS thread (see numpy_step.BLAS_THREADS)
            return self.rnn.log_probs(ids, streams, SCORE_WARMUP), unknown
        return self.rnn.log_probs(ids, streams, SCORE_WARMUP, steps=self._measured_steps(streams)), unknown

    def _measured_steps(self, streams: int):
        """Many streams side by side: each step's BLAS threads chosen as the server's batcher
        chooses them (zoo.batching.ThreadChoice: one thread or every core, whichever it measures
        faster now), the measurements kept from one text to the next."""
        from zoo import blas
        from zoo.batching import ThreadChoice

        if self._score_threads is None:
            self._score_threads = ThreadChoice()
        return lambda n: blas.measured_steps(n, streams, self._score_threads)

    def score(self, text: str, single_stream: bool = False) -> Score:
        """The base class's score; single_stream=True reads the text as one stream, one
        character after the other (the reference the batched streams are checked against)."""
        if not single_stream:
            return super().score(text)
        if not isinstance(text, str):
            raise InvalidInputError(f"give the text as a string, got {type(text).__name__}.")
        with self.running():
            log_probs, unknown = self.token_log_probs(text, single_stream=True)
        if len(log_probs) == 0:
            raise InvalidInputError(f"the text has no character {self.name} can score; give a longer text.")
        return Score(self.unit, int(len(log_probs)), float(-np.mean(log_probs)), dict(unknown))
