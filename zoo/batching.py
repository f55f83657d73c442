"""Generation for many clients at once: concurrent requests share one recurrent step.

`zoo serve` gives each language model one Batcher. A request reads its prompt on its own thread
(one stream, as `generate` does), then joins the batch: a background thread steps every active
request together, one token each per step (`LanguageModel.advance_many`; charrnn does it as one
matrix product for the whole batch), samples each request's token with its own sampler and
random generator, and hands each new piece of text to the request's `emit` callback. A request
leaves when it has its tokens, when its text ends with one of its stop sequences, or when it is
cancelled (`Batcher.cancel`: its client has gone); new ones join between steps. A request may ask
for each token's log-probability under the model (and the likeliest alternatives): the plain
path reports none and pays nothing for them.

The batcher holds at most `max_batch` requests in the batch and `max_waiting` more waiting to
join; past that, `submit` raises `BatcherFull` (the server answers 503 with Retry-After), so
that a burst of requests cannot queue work without end, nor make a new one wait for all of it.

The text a request gets is the text `art.generate(prompt, max_tokens, ...)` gives with the same
seed: the same sampler, the same random draws in the same order, and the same states (a batched
step computes each row as the one-stream step does, up to float rounding).
"""

from __future__ import annotations

import collections
import math
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from zoo import samplers
from zoo.errors import ZooError
from zoo.language_model import LanguageModel, check_length, check_seed

MAX_BATCH = 64      # requests stepped together
MAX_WAITING = 64    # requests waiting for a place in the batch; more are refused (BatcherFull)


class BatcherFull(ZooError):
    """The batch and its waiting line are full; `retry_after` is a guess, in whole seconds, of
    when a place frees up."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(eq=False)  # a job is itself: compared (and found in the waiting line) by identity
class Job:
    """One request being generated. `emit(token_id, piece)` is called with each new token (with
    `log_probs`: `emit(token_id, piece, log_probability, top)`, top the `top_n` likeliest tokens
    as [(id, piece, log_probability)], or None when top_n is 0), then `emit(None, None)` once at the
    end (also when the request was cancelled), or `emit(None, error)` if a step failed. Cancel
    it with `Batcher.cancel(job)`. `finish_reason` says why it ended: "length" (it has its
    tokens), "stop_sequence" (its text so far ends with one of `stop`), None (cancelled, failed)."""

    state: object
    previous: int | None
    remaining: int
    sampler: object
    rng: np.random.Generator
    emit: object
    stop: tuple[str, ...] = ()
    log_probs: bool = False
    top_n: int = 0
    cancelled: threading.Event = field(default_factory=threading.Event)
    ended: bool = False  # emit(None, ...) was called (set under the batcher's lock)
    finish_reason: str | None = None
    tail: str = ""       # the end of the text made so far, as long as the longest stop sequence

    def stops_at(self, piece: str) -> bool:
        """Whether the text made so far, `piece` its newest part, ends with a stop sequence."""
        self.tail = (self.tail + piece)[-max(map(len, self.stop)):]
        return self.tail.endswith(self.stop)


def top_tokens(art, previous, log_probs: np.ndarray, n: int) -> list[tuple[int, str, float]] | None:
    """The n likeliest next tokens after `previous`, likeliest first, as [(id, the text it would
    add, log-probability)]; None when n is 0."""
    if not n:
        return None
    n = min(n, len(log_probs))
    top = np.argpartition(-log_probs, n - 1)[:n]
    top = top[np.argsort(-log_probs[top], kind="stable")]
    return [(int(i), art.piece(previous, int(i)), float(log_probs[i])) for i in top]


class ThreadChoice:
    """How many BLAS threads a batched step gets: one, or every core, whichever is faster now.

    One stream is best on one thread (BLAS_THREADS in zoo/families/charrnn/numpy_step.py). A batch
    of streams is a matrix product that two threads do in about half the time on an idle machine,
    but next to a busy process the threads wait for each other and it runs slower than on one. Which
    holds changes with what else the machine runs, so the batcher measures: it keeps the mean time
    per token of each choice and, for batches of MIN_BATCH or more, takes the faster one, trying the
    other again every EXPLORE steps. A trial ends at its first step that is ABANDON times slower per
    token than the other choice: next to a busy process a step on two threads can take 30 times as
    long as on one (measured: 8.2 ms a token against 0.27 ms), and 32 such steps stalled every
    stream for seconds."""

    MIN_BATCH, EXPLORE, TRIAL, ABANDON = 4, 400, 32, 3.0

    def __init__(self):
        self.options = sorted({1, os.cpu_count() or 1})
        self.current = 1
        self.per_token = {n: None for n in self.options}
        self._steps, self._trial = 0, 0

    def choose(self, batch: int) -> int:
        if batch < self.MIN_BATCH or len(self.options) == 1:
            return 1
        self._steps += 1
        if self._trial:  # trying the other choice for TRIAL steps
            return self._trying
        untried = [n for n in self.options if self.per_token[n] is None]
        if untried or self._steps % self.EXPLORE == 0:
            self._trying = untried[0] if untried else next(n for n in self.options if n != self.best())
            self._trial = self.TRIAL
            return self._trying
        return self.best()

    def best(self) -> int:
        known = {n: t for n, t in self.per_token.items() if t is not None}
        return min(known, key=known.get) if known else 1

    def record(self, seconds: float, tokens: int, switched: bool = False) -> None:
        if tokens < self.MIN_BATCH:
            return
        if switched:  # the first step after a switch wakes the BLAS threads: not a fair sample
            return
        previous = self.per_token[self.current]
        measured = seconds / tokens
        self.per_token[self.current] = measured if previous is None else 0.8 * previous + 0.2 * measured
        if self._trial:
            self._trial -= 1
            others = [t for n, t in self.per_token.items() if n != self.current and t is not None]
            if others and measured > self.ABANDON * min(others):
                self._trial = 0  # far slower than the other choice: one step says enough
                self.per_token[self.current] = measured  # as it is now, not averaged with before


class Batcher:
    """Steps every active generation request of one language model together (see the module)."""

    def __init__(self, art: LanguageModel, max_batch: int = MAX_BATCH, max_waiting: int = MAX_WAITING):
        self.art = art
        self.max_batch, self.max_waiting = max_batch, max_waiting
        self.steps = 0          # recurrent steps taken ...
        self.tokens = 0         # ... and tokens made by them: tokens / steps is the mean batch
        self.cancelled = 0      # requests cancelled before they ended (their clients went)
        self.refused = 0        # requests refused because the batch and its waiting line were full
        # The waiting line, the batch's size and whether close() was called, under one lock: a
        # cancelled request leaves the line at once, so it never holds a place another could use.
        self._lock = threading.Condition()
        self._waiting: collections.deque[Job] = collections.deque()
        self._active = 0
        self._closed = False
        self._seconds_to_free = 1.0   # when the first place in the batch frees up (for Retry-After)
        self._threads = ThreadChoice()
        self._thread = threading.Thread(target=self._run, name=f"batcher-{art.name}", daemon=True)
        self._thread.start()

    @property
    def capacity(self) -> int:
        """Requests the batcher holds at once, generating or waiting; more are refused."""
        return self.max_batch + self.max_waiting

    def submit(self, prompt: str, max_tokens: int, *, emit, temperature: float = 1.0, top_k=None, top_p=None,
               seed=None, stop=(), log_probs: bool = False, top_n: int = 0) -> Job:
        """Read the prompt (on the caller's thread) and queue the request; returns its Job.
        `stop`: texts that end the request when its text so far ends with one (the stop included);
        `log_probs`, `top_n`: what `emit` gets besides the token (see Job). Raises BatcherFull
        when the batch and its waiting line are full."""
        max_tokens = check_length(max_tokens)
        stop = tuple(stop)
        if not all(isinstance(text, str) and text for text in stop):
            raise ZooError(f"a stop sequence is a text of one character or more; got {list(stop)!r}.")
        sampler = samplers.make(temperature, top_k, top_p)
        rng = np.random.default_rng(check_seed(seed))
        self._check_room()  # before reading the prompt: a refusal should cost nothing
        with self.art.running():
            state, previous = self.art.read_prompt(prompt, "prompt")
        job = Job(state, previous, max_tokens, sampler, rng, emit, stop, log_probs or top_n > 0, top_n,
                  finish_reason="length" if max_tokens == 0 else None)
        with self._lock:
            self._check_room()
            self._waiting.append(job)
            self._lock.notify()
        return job

    def cancel(self, job: Job) -> None:
        """Stop generating `job` (its client has gone). A waiting job leaves the line now; one in
        the batch leaves before the next step. Either way it gets its emit(None, None). Cancelling
        a job that has ended does nothing."""
        with self._lock:
            if job.ended or job.cancelled.is_set():
                return
            job.cancelled.set()
            self.cancelled += 1
            if job in self._waiting:
                self._waiting.remove(job)
                self._end(job, None)

    def in_flight(self) -> int:
        """Requests generating or waiting now."""
        with self._lock:
            return self._active + len(self._waiting)

    def stats(self) -> dict:
        """Steps taken, tokens made, the mean batch, the BLAS threads a batched step uses, and the
        bound on requests held (generating + waiting) with how many it holds now."""
        return {"steps": self.steps, "tokens": self.tokens,
                "mean_batch": round(self.tokens / self.steps, 2) if self.steps else 0.0,
                "threads": self._threads.best(),
                "seconds_per_token": {str(n): t for n, t in self._threads.per_token.items()},
                "in_flight": self.in_flight(), "capacity": self.capacity,
                "max_batch": self.max_batch, "max_waiting": self.max_waiting,
                "cancelled": self.cancelled, "refused": self.refused}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join(timeout=5)

    def _check_room(self) -> None:
        with self._lock:
            if self._active + len(self._waiting) < self.capacity:
                return
            self.refused += 1
            retry_after = max(1, min(60, math.ceil(self._seconds_to_free)))
        raise BatcherFull(f"{self.art.name} is busy: {self.capacity} requests are generating or waiting "
                          f"(the most it holds); try again in {retry_after} s.", retry_after)

    def _end(self, job: Job, error) -> None:
        """Tell the job's caller it has ended. Called with the lock held, so that cancel() and
        the batcher's thread never both end one job."""
        job.ended = True
        job.emit(None, error)

    def _admit(self, active: list[Job]) -> bool:
        """Move waiting jobs into the batch (waiting for one when there is nothing to do); False
        once close() was called."""
        with self._lock:
            while not active and not self._waiting and not self._closed:
                self._lock.wait()
            while len(active) < self.max_batch and self._waiting:
                active.append(self._waiting.popleft())
            self._active = len(active)
            return not self._closed

    def _run(self) -> None:
        active: list[Job] = []
        threads = self._threads
        while self._admit(active):
            active = self._release(active)
            if not active:
                continue
            wanted = threads.choose(len(active))
            switched = wanted != threads.current
            threads.current = wanted
            started, stepped = time.perf_counter(), len(active)
            try:
                # The thread count is set for each step (a few microseconds), and only for the
                # step: it is the whole process's (zoo.blas.threads). Held for as long as a
                # batcher ran, the first model's batcher kept it, and the other model's batches
                # ran on that count while their batcher measured them as its own choice.
                with self.art.running(wanted):
                    active = self._step(active)
            except Exception as error:  # noqa: BLE001  (fail these requests, keep serving others)
                with self._lock:
                    for job in active:
                        self._end(job, error)
                    active, self._active = [], 0
            seconds = time.perf_counter() - started
            threads.record(seconds, stepped, switched)
            if active:  # the first place frees when the job with the fewest tokens left ends
                self._seconds_to_free = seconds * min(job.remaining for job in active)
        with self._lock:
            for job in active + list(self._waiting):
                self._end(job, None)
            self._waiting.clear()
            self._active = 0

    def _release(self, active: list[Job]) -> list[Job]:
        """The jobs that have their tokens or were cancelled leave the batch; returns the others.
        (Outside a step: a job's end is not BLAS work, and its caller may start another model's.)"""
        leaving = [j for j in active if j.cancelled.is_set() or j.remaining == 0]
        if not leaving:
            return active
        with self._lock:
            for job in leaving:
                self._end(job, None)
            active = [j for j in active if not j.ended]
            self._active = len(active)
        return active

    def _step(self, active: list[Job]) -> list[Job]:
        """One token for every active job; returns them (those that are done leave at _release)."""
        art = self.art
        tokens = []
        for job, log_probs in zip(active, art.next_log_probs_many([j.state for j in active])):
            log_probs = art.allowed(log_probs)
            token = job.sampler(log_probs, job.rng)
            piece = art.piece(job.previous, token)
            if job.log_probs:  # the model's own log-probability (normalised), not the sampler's
                job.emit(token, piece, float(log_probs[token]), top_tokens(art, job.previous, log_probs, job.top_n))
            else:
                job.emit(token, piece)
            job.previous, job.remaining = token, job.remaining - 1
            if job.stop and job.stops_at(piece):
                job.remaining, job.finish_reason = 0, "stop_sequence"
            elif job.remaining == 0:
                job.finish_reason = "length"
            tokens.append(token)
        going = [i for i, job in enumerate(active) if job.remaining > 0 and not job.cancelled.is_set()]
        states = art.advance_many([active[i].state for i in going], [tokens[i] for i in going])
        for i, state in zip(going, states):
            active[i].state = state
        self.steps += 1
        self.tokens += len(active)
        return active
