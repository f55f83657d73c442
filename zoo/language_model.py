"""The language-model task, written once for every language model in the zoo (charrnn, ngram-lm,
gru-lm, lstm-lm), as keras-hub's CausalLM writes `generate` once in its base class:

    art.generate(prompt, max_tokens, temperature=0.8, top_k=None, top_p=None, seed=1, stream=print)
    art.score(text)              -> Score: nats and bits per token, perplexity, tokens, unknown tokens
    art.next_tokens(context, k)  -> [(token, probability), ...]
    art.beam_search(prompt, max_tokens, beam_size) -> [(text, log-probability), ...]

A family supplies only its tokens and one step of its model (the methods marked "a family
supplies" below). Unknown input is handled the same way everywhere: a token the model has never
seen is counted, reported (in the Score, and as a warning for a prompt) and never an error; a
word model reads it as <UNK>, a character model skips it.
"""

from __future__ import annotations

import collections
import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np

from zoo import samplers
from zoo.artifacts import Artifact
from zoo.cli_types import COUNT, LENGTH, MAX_GENERATE, SEED, TEMPERATURE, TOP_K, TOP_P
from zoo.errors import InvalidInputError
from zoo.hooks import Argument, FinetuneData, Task, Verb

MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Score:
    """How well a model predicts a text. Lower is better for every number but `tokens`."""

    unit: str                  # "character" or "word": what a token is
    tokens: int                # tokens predicted (a word model also predicts each line's end)
    nats_per_token: float      # mean negative natural-log probability
    unknown: dict = field(default_factory=dict)  # token the model never saw -> count

    @property
    def bits_per_token(self) -> float:
        return self.nats_per_token / np.log(2)

    @property
    def perplexity(self) -> float:
        return float(np.exp(self.nats_per_token))

    @property
    def unknown_count(self) -> int:
        return sum(self.unknown.values())

    def __str__(self) -> str:
        short = {"character": "char"}.get(self.unit, self.unit)
        text = (f"{self.nats_per_token:.4f} nats/{short}, {self.bits_per_token:.4f} bits/{short}, "
                f"perplexity {self.perplexity:.2f} over {self.tokens:,} {self.unit}s")
        if self.unknown:
            text += f"; {self.unknown_count} unknown {self.unit}(s): {listed_unknown(self.unknown)}"
        return text


def listed_unknown(unknown: dict, shown: int = 10) -> str:
    """The first `shown` unknown tokens with their counts, and how many more there are."""
    listed = ", ".join(f"{t!r} x{n}" for t, n in list(unknown.items())[:shown])
    return listed + (f" and {len(unknown) - shown} more" if len(unknown) > shown else "")


def check_length(max_tokens) -> int:
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or max_tokens < 0:
        raise InvalidInputError(f"max_tokens must be 0 or more, got {max_tokens!r}.")
    return int(max_tokens)


def check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed <= MAX_SEED):
        raise InvalidInputError(f"seed must be an integer from 0 to {MAX_SEED}, or None; got {seed!r}.")
    return seed


class LanguageModel(Artifact):
    """An artifact that predicts the next token. See the module docstring."""

    unit = "token"

    # What `zoo serve` answers for every language model (the code: zoo/server_tgi.py, on
    # zoo/server_generation.py; OpenAI's completions too, zoo/server_openai.py).
    tasks = (Task("text-generation", run="zoo.server_tgi:generate",
                  request="zoo.server_tgi:GenerationRequest", widget="text-generation",
                  description="the prompt, continued: sampled (temperature, top_k, top_p, seed) or greedy; "
                              "streamed as server-sent events with \"stream\": true"),)

    # Every language model fine-tunes on a text and has these verbs (run in zoo/lm_commands.py).
    finetune_data = FinetuneData("text", "FILE", "a UTF-8 text file")
    cli_verbs = (
        Verb("generate", run="zoo.lm_commands:generate", help="generate text with a language model",
             description="Generate text from a prompt, streaming it as it is written. LENGTH counts the "
                         "model's tokens: characters for charrnn, words for the word-level models.",
             arguments=(
                 Argument("name", help="artifact name or folder, e.g. charrnn-shakespeare"),
                 Argument("--prompt", default="", help="text to start from"),
                 Argument("--length", type=LENGTH, default=200,
                          help=f"how many tokens to add (default: 200, at most {MAX_GENERATE:,})"),
                 Argument("--temperature", type=TEMPERATURE, default=0.8,
                          help="0 is greedy; higher is wilder (default: 0.8)"),
                 Argument("--top-k", type=TOP_K, default=None, help="sample only among the k likeliest"),
                 Argument("--top-p", type=TOP_P, default=None,
                          help="sample only among the likeliest tokens whose probabilities add up to P (nucleus)"),
                 Argument("--seed", type=SEED, default=None, help="the same seed gives the same text"))),
        Verb("score", run="zoo.lm_commands:score", help="how well a language model predicts a text",
             description="Score a UTF-8 text file under a language model: nats and bits per character for "
                         "character models, perplexity for word models. Unknown characters or words are "
                         "counted and reported.", aliases=("perplexity",),
             arguments=(
                 Argument("name", help="artifact, e.g. charrnn-shakespeare or lstm-lm-shakespeare"),
                 Argument("file", help="text file to score (UTF-8)"))),
        Verb("next", run="zoo.lm_commands:next_tokens", help="the likeliest next tokens after a context",
             description="The k likeliest next tokens (characters, or words with </s> for a line's end) of a "
                         "language model, with their probabilities.", aliases=("next-words",),
             arguments=(
                 Argument("name", help="artifact, e.g. lstm-lm-shakespeare or charrnn-shakespeare"),
                 Argument("context", help="the words so far, e.g. 'to be or not to'"),
                 Argument("-k", type=COUNT, default=10, help="how many (default 10)"))),
    )

    # ------------------------------------------------------------ a family supplies

    def prompt_state(self, text: str):
        """(state after reading `text`, the last token id read or None, Counter of unknown tokens).
        The state is what `next_log_probs` and `advance` work on."""
        raise NotImplementedError

    def next_log_probs(self, state) -> np.ndarray:
        """Natural-log probabilities of the next token, one per vocabulary id: normalised (their
        exponentials add up to 1), because beam search adds them up along a path and reports the
        sum as the path's log-probability (`samplers.log_softmax` turns logits into them)."""
        raise NotImplementedError

    def advance(self, state, token: int):
        """The state after one more token. It may update `state` in place and return it (fast);
        then `copy_state` must copy one, for beam search, which advances a state several ways."""
        raise NotImplementedError

    def copy_state(self, state):
        return state  # for a family whose `advance` returns a new state

    def running(self, threads: int | None = None):
        """A context the model's steps run in (charrnn: one BLAS thread, see there; the server's
        batcher may ask for more, for a batch of streams)."""
        return contextlib.nullcontext()

    def piece(self, previous: int | None, token: int) -> str:
        """The text a generated token adds after `previous` (spaces, a new line, ...)."""
        raise NotImplementedError

    def token_log_probs(self, text: str) -> tuple[np.ndarray, collections.Counter]:
        """Log-probability of every token of a text, and its unknown tokens (batched: fast)."""
        raise NotImplementedError

    never_generated: tuple = ()  # ids the model must not produce (<UNK>, <s>)

    def prompt_tokens(self, text: str) -> list[int]:
        """The ids `prompt_state` reads for `text`, in order (the server counts a prompt's tokens
        with it: TGI's input_length, OpenAI's usage)."""
        raise NotImplementedError

    def prompt_log_probs(self, text: str) -> list[tuple[int, float | None]]:
        """Each token of `prompt_tokens(text)` with its log-probability given the tokens before
        it (None where the model predicts nothing, as for a character model's first): TGI's
        `prefill`, OpenAI's `echo` with `logprobs`."""
        raise NotImplementedError

    def token(self, token_id: int) -> str:
        """A token's spelling (id -> string)."""
        raise NotImplementedError

    # Many streams at once (the server batches concurrent requests, zoo/batching.py). A family
    # whose step takes a batch overrides these (charrnn: one matrix product for every stream);
    # the defaults step the streams one after the other, with the same results.

    def next_log_probs_many(self, states: list) -> list:
        return [self.next_log_probs(state) for state in states]

    def advance_many(self, states: list, tokens: list[int]) -> list:
        return [self.advance(state, token) for state, token in zip(states, tokens)]

    # ------------------------------------------------------------ the task, written once

    def read_prompt(self, prompt: str, what: str = "prompt"):
        """(state after reading `prompt`, the last token read or None), with a warning that names
        the prompt's unknown tokens. The batcher starts its streams here."""
        if not isinstance(prompt, str):
            raise InvalidInputError(f"give the {what} as a string, got {type(prompt).__name__}.")
        state, previous, unknown = self.prompt_state(prompt)
        if unknown:
            warnings.warn(f"the {what} has {sum(unknown.values())} {self.unit}(s) {self.name} has "
                          f"never seen ({listed_unknown(unknown)}); they are {self.unknown_handling}.",
                          stacklevel=3)
        return state, previous

    unknown_handling = "skipped"

    def allowed(self, log_probs: np.ndarray) -> np.ndarray:
        """`log_probs` with the tokens the model must not produce (never_generated) at -inf. The
        others keep their log-probabilities as they are (not renormalised): a beam's score is the
        model's own log-probability of its tokens, as `next_tokens` reports them."""
        if not self.never_generated:  # charrnn: nothing to mask, and this runs once per token
            return log_probs
        log_probs = np.array(log_probs, dtype="float64")
        log_probs[list(self.never_generated)] = -np.inf
        return log_probs

    def generate(self, prompt: str = "", max_tokens: int = 200, *, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
                 stream=None) -> str:
        """Continue `prompt` by `max_tokens` tokens (characters or words; a word model's line end
        counts as one), sampled at `temperature` (0: always the likeliest) among the `top_k`
        likeliest and/or the smallest set of probability `top_p`. The same seed gives the same
        text. `stream` is called with each new piece of text as it is made; the whole
        continuation (without the prompt) is returned."""
        max_tokens = check_length(max_tokens)
        sampler = samplers.make(temperature, top_k, top_p)
        rng = np.random.default_rng(check_seed(seed))
        pieces = []
        with self.running():
            state, previous = self.read_prompt(prompt, "prompt")
            for _ in range(max_tokens):
                token = sampler(self.allowed(self.next_log_probs(state)), rng)
                pieces.append(self.piece(previous, token))
                if stream is not None:
                    stream(pieces[-1])
                state, previous = self.advance(state, token), token
        return "".join(pieces)

    def beam_search(self, prompt: str = "", max_tokens: int = 20, beam_size: int = 4) -> list[tuple[str, float]]:
        """The `beam_size` likeliest continuations of exactly `max_tokens` tokens, with their
        log-probabilities under the model (the sum of each token's `next_log_probs`), best first
        (samplers.beam_search)."""
        max_tokens = check_length(max_tokens)

        def step(beam_state, token):
            beam_state = self.advance(self.copy_state(beam_state), token)
            return self.allowed(self.next_log_probs(beam_state)), beam_state

        with self.running():
            state, previous = self.read_prompt(prompt, "prompt")
            beams = samplers.beam_search(self.allowed(self.next_log_probs(state)), state, step, beam_size,
                                         max_tokens)
        return [("".join(self.piece(p, t) for p, t in zip([previous] + tokens[:-1], tokens)), score)
                for tokens, score in beams]

    def next_tokens(self, context: str = "", k: int = 10) -> list[tuple[str, float]]:
        """The k likeliest next tokens after `context`, with their probabilities (a word
        model's "</s>" is the end of the line). An empty context is the start of a text."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InvalidInputError(f"k must be a positive integer, got {k!r}.")
        with self.running():
            state, _ = self.read_prompt(context, "context")
            log_probs = samplers.log_softmax(self.next_log_probs(state))  # normalised (logits -> log p)
        probs = np.exp(log_probs)
        top = np.argsort(-probs, kind="stable")[:k]
        return [(self.token(int(i)), float(probs[i])) for i in top]

    def score(self, text: str) -> Score:
        """How well the model predicts `text` (see Score). Unknown tokens are counted and
        reported: a word model scores them as <UNK>, a character model skips them."""
        if not isinstance(text, str):
            raise InvalidInputError(f"give the text as a string, got {type(text).__name__}.")
        with self.running():
            log_probs, unknown = self.token_log_probs(text)
        if len(log_probs) == 0:
            raise InvalidInputError(f"the text has no {self.unit} {self.name} can score; give a longer text.")
        return Score(self.unit, int(len(log_probs)), float(-np.mean(log_probs)), dict(unknown))
