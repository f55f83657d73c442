"""The word-level language models' artifacts: the n-gram model (`NeuralNgramLM`, ngram-lm) and
the recurrent ones (`RecurrentLanguageModel`, gru-lm and lstm-lm), on the language-model task
they share (`WordLanguageModel`: zoo.language_model with words as tokens).

Light on purpose: nothing here imports Keras at module level (a loaded artifact is handed its
model), so that `zoo --help` and `zoo info` read these classes without a backend. The networks
are built in ngram.py and rnnlm.py; the words, the vocabulary and the split in words.py.
"""

from __future__ import annotations

import collections

import numpy as np

from zoo.families.word_lm import ngram, words
from zoo.families.word_lm.numpy_step import NumpyWordRNN, State
from zoo.families.word_lm.words import BOS, EOS, UNK, text_tokens, tokenize, word_piece
from zoo.hooks import DemoSection
from zoo.language_model import LanguageModel
from zoo.samplers import log_softmax

WINDOW = 64      # tokens per training window
BURN_IN = 64     # tokens of context read before each scored window at evaluation


# ------------------------------------------------------------------ the shared language-model task


class WordLanguageModel(LanguageModel):
    """The language-model task (zoo.language_model) for word-level models: tokens are the words
    of the vocabulary and </s>, each line's end. A subclass defines `vocab` (a Vocabulary),
    `_sentence_log_probs(sentences)` (log-probability of every predicted token: each word and
    one </s> a sentence) and `_next_log_probs(history)` (log-probabilities of the next word
    after a list of words that starts at the beginning of a text, </s> between lines)."""

    unit = "word"
    widget_defaults = {"prompt": "first citizen :", "max_new_tokens": 60, "unit": "words"}
    unknown_handling = f"read as {UNK}"

    @property
    def never_generated(self):
        return (self.vocab.index[UNK], self.vocab.index[BOS])

    def token(self, token_id: int) -> str:
        return self.vocab.words[token_id]

    def _unknown(self, words: list[str]) -> collections.Counter:
        return collections.Counter(w for w in words if w not in self.vocab or w in (BOS, EOS, UNK))

    def prompt_state(self, text: str):
        return self.prompt_words(text)  # for a model whose state is its history of words

    def prompt_words(self, text: str):
        """The history of words (unknown ones as <UNK>, </s> between lines; the last line is
        not finished), the last word's id (None at a line's start), the unknown words."""
        lines = [tokenize(line) for line in text.split("\n")]
        history = []
        for tokens in lines:
            history += self.vocab.map_unknown(tokens) + [EOS]
        history = history[:-1]
        previous = self.vocab.index[history[-1]] if history and text.strip() and not text.endswith("\n") else None
        return history, previous, self._unknown([w for tokens in lines for w in tokens])

    def prompt_tokens(self, text: str) -> list[int]:
        return [self.vocab.index[word] for word in self.prompt_words(text)[0]]

    def prompt_log_probs(self, text: str) -> list[tuple[int, float | None]]:
        """Each word (and </s>) of the prompt given the words before it, from the start of a text."""
        state, _, _ = self.prompt_state("")
        scored = []
        for token in self.prompt_tokens(text):  # stepped as generation steps, for every word model
            scored.append((token, float(self.next_log_probs(state)[token])))
            state = self.advance(self.copy_state(state), token)
        return scored

    def next_log_probs(self, history) -> np.ndarray:
        return self._next_log_probs(history)

    def advance(self, history, token: int):
        return history + [self.vocab.words[token]]

    def piece(self, previous, token: int) -> str:
        return word_piece(None if previous is None else self.vocab.words[previous], self.vocab.words[token])

    # The shipped artifacts' cards (their bytes are pinned by sha256) name these two calls.
    def perplexity(self, text: str) -> float:
        """score(text).perplexity."""
        return self.score(text).perplexity

    def next_words(self, context: str, k: int = 10) -> list[tuple[str, float]]:
        """next_tokens(context, k)."""
        return self.next_tokens(context, k)

    def token_log_probs(self, text: str):
        sents = text_tokens(text)
        log_probs = self._sentence_log_probs([self.vocab.map_unknown(s) for s in sents])
        return np.asarray(log_probs), self._unknown([w for s in sents for w in s])


# ------------------------------------------------------------------------------- ngram-lm


def neural_log_probs(model, contexts, targets, batch_size: int = 1024) -> np.ndarray:
    out = np.empty(len(targets))
    for b in range(0, len(targets), batch_size):
        lp = log_softmax(model(contexts[b:b + batch_size], training=False))
        out[b:b + batch_size] = lp[np.arange(len(lp)), targets[b:b + batch_size]]
    return out


class NeuralNgramLM(WordLanguageModel):
    """A trained ngram-lm: the language-model task (generate, score, next_tokens)."""

    config_schema = "zoo.families.word_lm.schema:NgramLMMetadata"
    demo_section = DemoSection("zoo.families.word_lm.demo:ngram", order=30)

    def export_plan(self):
        from zoo.families.word_lm import export

        return export.ngram_plan(self)

    def __init__(self, model, config, folder):
        super().__init__(model, config, folder)
        vocab = config["vocabulary"].get("words") or words.read_vocabulary_file(folder)
        self.vocab = words.Vocabulary(vocab)
        self.context = int(config["hparams"]["context"])

    def _sentence_log_probs(self, sentences):
        contexts, targets = ngram.context_target([self.vocab.encode(s) for s in sentences], self.context, self.vocab)
        return neural_log_probs(self.model, contexts, targets)

    def _context(self, history) -> np.ndarray:
        """The ids the network reads: the line's last `context` words, <s>-padded."""
        line = history[len(history) - history[::-1].index(words.EOS):] if words.EOS in history else history
        return self.vocab.encode([words.BOS] * self.context + line)[-self.context:]

    def _next_log_probs(self, history):
        return self.next_log_probs_many([history])[0]

    def next_log_probs_many(self, states: list) -> list:
        """Every stream's next word in one call of the network: one matrix product per layer for
        all of them (the server's concurrent requests; one stream is a batch of one)."""
        contexts = np.stack([self._context(history) for history in states])
        return list(log_softmax(np.asarray(self.model(contexts, training=False))))


# ------------------------------------------------------------------------- gru-lm, lstm-lm


def stream_log_probs(model, stream: np.ndarray, start_token: int, window: int = WINDOW, burn_in: int = BURN_IN,
                     batch_size: int = 32) -> np.ndarray:
    """Natural-log probability of every token of `stream`, predicted from everything before it
    (the stream is preceded by `start_token`). Windows of `window` scored tokens are each read
    after `burn_in` tokens of real context (start_token padding before the stream's start)."""
    # padded[burn_in] is the start token, padded[burn_in + 1 + t] is stream[t]
    padded = np.concatenate([np.full(burn_in + 1, start_token, "int32"), stream.astype("int32"),
                             np.full(window, start_token, "int32")])
    starts = np.arange(0, len(stream), window)
    # the chunk that scores stream[s:s+window] reads padded[s : s+burn_in+window]: its output at
    # position burn_in + j has read padded[..s+burn_in+j] = everything up to stream[s+j-1], and
    # predicts padded[s+burn_in+1+j] = stream[s+j]
    inputs = np.stack([padded[s:s + burn_in + window] for s in starts])
    result = np.empty(len(starts) * window)
    for b in range(0, len(starts), batch_size):
        # predict_on_batch runs the backend's compiled predict function (tf.function, jax.jit)
        logits = np.asarray(model.predict_on_batch(inputs[b:b + batch_size]))[:, burn_in:]
        targets = np.stack([padded[s + burn_in + 1:s + burn_in + 1 + window] for s in starts[b:b + batch_size]])
        lp = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]
        result[b * window:b * window + lp.size] = lp.ravel()
    return result[:len(stream)]


class RecurrentLanguageModel(WordLanguageModel):
    """A trained gru-lm or lstm-lm: the language-model task (generate, score, next_tokens).

    Generation runs the recurrence in numpy (numpy_step.py), carrying the state from word to word.
    The prompt is read as the window model reads it (`prompt_state`: the window the zoo fed to the
    Keras model before it had a recurrent step, START_PADDING = BURN_IN + WINDOW ids, </s>-padded
    at the front); the words generated after it are read one by one, the state carried on, where
    the window model reran its window with one </s> fewer (or one early word fewer) each time.
    The two give log-probabilities within ~1e-2 of each other (the state the padding leaves does
    not settle), so a sampled text may take another word where a draw falls that close to a
    boundary; greedy texts seldom differ. The state is (numpy_step.State, next-word logits).
    Concurrent streams step together (`advance_many`): one matrix product per layer for all.
    Scoring reads the text in windows with burn-in (`stream_log_probs`), as the metrics were made.
    """

    config_schema = "zoo.families.word_lm.schema:RecurrentLMMetadata"
    demo_section = DemoSection("zoo.families.word_lm.demo:recurrent", order=20)
    START_PADDING = BURN_IN + WINDOW

    def export_plan(self):
        from zoo.families.word_lm import export

        return export.recurrent_plan(self, window=BURN_IN + WINDOW)  # the window generation feeds

    def __init__(self, model, config, folder):
        super().__init__(model, config, folder)
        self.vocab = words.Vocabulary(config["vocabulary"]["words"]) if "words" in config["vocabulary"] \
            else words.Vocabulary(words.read_vocabulary_file(folder))
        self._numpy = None
        self._start = None

    @property
    def rnn(self) -> NumpyWordRNN:
        if self._numpy is None:  # built on first use: loading stays quick
            self._numpy = NumpyWordRNN(self.model)
        return self._numpy

    def _sentence_log_probs(self, sentences):
        return stream_log_probs(self.model, words.stream(sentences, self.vocab), self.vocab.index[words.EOS])

    def _padding_states(self) -> list:
        """The state after k </s> from the zero state, for k = 0..START_PADDING (computed once)."""
        if self._start is None:
            state, eos = self.rnn.initial_state(), self.vocab.index[words.EOS]
            self._start = [state.copy()]
            for _ in range(self.START_PADDING):
                self.rnn.advance(state, [eos])
                self._start.append(state.copy())
        return self._start

    def prompt_state(self, text: str):
        """The prompt is read as the window model reads it: its last START_PADDING words, after
        as many </s> as the window has room for (so next_tokens, and the first word generated,
        are exactly the window model's); generation then carries the state from word to word."""
        history, previous, unknown = self.prompt_words(text)
        ids = self.vocab.encode(history)[-self.START_PADDING:] if history else []
        state = self._padding_states()[self.START_PADDING - len(ids)].copy()
        if len(ids):
            state, logits = self.rnn.read(ids, state)
        else:
            logits = self.rnn.logits(state.h[-1])[0]
        return (state, logits), previous, unknown

    def next_log_probs(self, state) -> np.ndarray:
        return log_softmax(state[1])

    def advance(self, state, token: int):
        """A new state (the one given is left as it is: beam search branches from it)."""
        rnn_state = state[0].copy()
        return rnn_state, self.rnn.logits(self.rnn.advance(rnn_state, [token]))[0]

    def advance_many(self, states: list, tokens: list[int]) -> list:
        """One step of several streams together: their states side by side, one matrix product
        per layer and one for the output, then each stream's rows as its new state."""
        if len(states) <= 1:
            return [self.advance(state, token) for state, token in zip(states, tokens)]
        batch = State.stacked([rnn_state for rnn_state, _ in states])
        logits = self.rnn.logits(self.rnn.advance(batch, tokens))
        return [(batch.rows(i, i + 1), logits[i]) for i in range(len(states))]

    def running(self, threads: int | None = None):
        from zoo import blas

        return blas.threads(threads)
