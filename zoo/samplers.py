"""How a language model picks its next token from the log-probabilities it gives: small objects,
as in keras-hub (GreedySampler, RandomSampler, TopKSampler, TopPSampler), written once for
every language model in the zoo, and a beam search over any model's step.

    sampler = samplers.make(temperature=0.8, top_k=40)
    token = sampler(log_probs, rng)
"""

from __future__ import annotations

import math

import numpy as np

from zoo.errors import InvalidInputError


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits along the last axis, in float64 (stable: max subtracted)."""
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class GreedySampler:
    """Always the likeliest token (temperature 0)."""

    def __call__(self, log_probs: np.ndarray, rng) -> int:
        return int(np.argmax(log_probs))


class RandomSampler:
    """A token drawn from the distribution sharpened (< 1) or flattened (> 1) by temperature."""

    def __init__(self, temperature: float = 1.0):
        self.temperature = temperature

    def keep(self, logits: np.ndarray) -> np.ndarray | None:
        """Which tokens may be drawn (None: all of them; subclasses cut the tail)."""
        return None

    def __call__(self, log_probs: np.ndarray, rng) -> int:
        logits = np.asarray(log_probs, dtype="float64") / self.temperature
        keep = self.keep(logits)
        if keep is not None:
            logits[~keep] = -np.inf
        logits -= logits.max()
        # One uniform number and a binary search in the unnormalised cumulative probabilities: the
        # draw rng.choice(p=...) makes, without its checks (this runs once per generated token).
        cumulative = np.cumsum(np.exp(logits, out=logits), out=logits)
        index = int(cumulative.searchsorted(rng.random() * cumulative[-1], side="right"))
        return min(index, len(cumulative) - 1)


class TopKSampler(RandomSampler):
    """Drawn among the k likeliest tokens only (ties at the k-th value are kept)."""

    def __init__(self, k: int, temperature: float = 1.0):
        super().__init__(temperature)
        self.k = k

    def keep(self, logits):
        if self.k >= len(logits):
            return None
        return logits >= np.partition(logits, -self.k)[-self.k]


class TopPSampler(RandomSampler):
    """Nucleus sampling: drawn among the fewest likeliest tokens whose probabilities add up to
    at least p (Holtzman et al. 2020); optionally also among the k likeliest."""

    def __init__(self, p: float, temperature: float = 1.0, k: int | None = None):
        super().__init__(temperature)
        self.p, self.k = p, k

    def keep(self, logits):
        keep = TopKSampler(self.k).keep(logits) if self.k else None
        keep = np.isfinite(logits) if keep is None else keep
        order = np.argsort(-np.where(keep, logits, -np.inf), kind="stable")
        probs = np.exp(logits[order] - logits[order[0]])
        probs[~keep[order]] = 0.0
        cumulative = np.cumsum(probs / probs.sum())
        count = int(np.searchsorted(cumulative, self.p - 1e-12)) + 1  # the token that crosses p
        nucleus = np.zeros(len(logits), bool)
        nucleus[order[:count]] = True
        return nucleus & keep


def make(temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None):
    """The sampler for the usual generation settings, with each setting checked."""
    if temperature is None or not isinstance(temperature, (int, float)) or not math.isfinite(temperature) \
            or temperature < 0:
        raise InvalidInputError(f"temperature must be a finite number, 0 (greedy) or more; got {temperature!r}.")
    if top_k is not None and (not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise InvalidInputError(f"top_k must be a positive integer or None; got {top_k!r}.")
    if top_p is not None and (not isinstance(top_p, (int, float)) or not 0 < top_p <= 1):
        raise InvalidInputError(f"top_p must be in (0, 1] or None; got {top_p!r}.")
    if temperature == 0:
        return GreedySampler()
    if top_p is not None and top_p < 1:
        return TopPSampler(top_p, temperature, top_k)
    if top_k is not None:
        return TopKSampler(top_k, temperature)
    return RandomSampler(temperature)


def beam_search(first_log_probs: np.ndarray, state, step, beam_size: int, length: int):
    """The `beam_size` likeliest continuations of `length` tokens: [(tokens, log-probability)],
    best first. `step(state, token) -> (log_probs, state)` advances a copy of a model's state by
    one token; `state` and `first_log_probs` are the model's after the prompt. Exhaustive when
    beam_size reaches the number of possible continuations."""
    if not isinstance(beam_size, int) or beam_size < 1:
        raise InvalidInputError(f"beam_size must be a positive integer; got {beam_size!r}.")
    beams = [((), 0.0, first_log_probs, state)]  # tokens, log-probability, next log-probs, state
    for position in range(length):
        candidates = []
        for tokens, score, log_probs, beam_state in beams:
            finite = np.flatnonzero(np.isfinite(log_probs))
            best = finite[np.argsort(-log_probs[finite], kind="stable")[:beam_size]]
            candidates += [(tokens + (int(t),), score + float(log_probs[t]), beam_state) for t in best]
        candidates.sort(key=lambda c: -c[1])  # stable: ties keep the likelier parent's order
        last = position == length - 1  # the last tokens need no step after them
        beams = [(tokens, score, *((None, None) if last else step(beam_state, tokens[-1])))
                 for tokens, score, beam_state in candidates[:beam_size]]
    return [(list(tokens), score) for tokens, score, _, _ in beams]
