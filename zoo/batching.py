"""Generation for many clients at once: concurrent requests share one recurrent step.

`zoo serve` gives each language model one Batcher. A request reads its prompt on its own thread
(one stream, as `generate` does), then joins the batch: a background thread steps every active
request together, one token each per step (`LanguageModel.advance_many`; charrnn does it as one
matrix product for the whole batch), samples each request's token with its own sampler and
random generator, and hands each new piece of text to the request's `emit` callback. A request
leaves when it has its tokens or its client has gone; new ones join between steps.

The text a request gets is the text `art.generate(prompt, max_tokens, ...)` gives with the same
seed: the same sampler, the same random draws in the same order, and the same states (a batched
step computes each row as the one-stream step does, up to float rounding).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from zoo import samplers
from zoo.language_model import LanguageModel, check_length, check_seed


@dataclass
class Job:
    """One request being generated. `emit(token_id, piece)` is called with each new token, then
    `emit(None, None)` once at the end (also when the request was cancelled), or
    `emit(None, error)` if a step failed."""

    state: object
    previous: int | None
    remaining: int
    sampler: object
    rng: np.random.Generator
    emit: object
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Stop generating (the client has gone); the batcher drops it before its next step."""
        self.cancelled.set()


class ThreadChoice:
    """How many BLAS threads a batched step gets: one, or every core, whichever is faster now.

    One stream is best on one thread (see charrnn.BLAS_THREADS). A batch of streams is a matrix
    product that two threads do in about half the time on an idle machine, but next to a busy
    process the threads wait for each other and it runs slower than on one. Which holds changes
    with what else the machine runs, so the batcher measures: it keeps the mean time per token
    of each choice and, for batches of MIN_BATCH or more, takes the faster one, trying the other
    again every EXPLORE steps."""

    MIN_BATCH, EXPLORE, TRIAL = 4, 400, 32

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
        if self._trial:
            self._trial -= 1
        previous = self.per_token[self.current]
        measured = seconds / tokens
        self.per_token[self.current] = measured if previous is None else 0.8 * previous + 0.2 * measured


class Batcher:
    """Steps every active generation request of one language model together (see the module)."""

    def __init__(self, art: LanguageModel, max_batch: int = 64):
        self.art = art
        self.max_batch = max_batch
        self.pending: queue.Queue[Job | None] = queue.Queue()
        self.steps = 0          # recurrent steps taken ...
        self.tokens = 0         # ... and tokens made by them: tokens / steps is the mean batch
        self._threads = ThreadChoice()
        self._thread = threading.Thread(target=self._run, name=f"batcher-{art.name}", daemon=True)
        self._thread.start()

    def submit(self, prompt: str, max_tokens: int, *, emit, temperature: float = 1.0, top_k=None, top_p=None,
               seed=None) -> Job:
        """Read the prompt (on the caller's thread) and queue the request; returns its Job."""
        max_tokens = check_length(max_tokens)
        sampler = samplers.make(temperature, top_k, top_p)
        rng = np.random.default_rng(check_seed(seed))
        with self.art.running():
            state, previous = self.art._start(prompt, "prompt")
        job = Job(state, previous, max_tokens, sampler, rng, emit)
        self.pending.put(job)
        return job

    def stats(self) -> dict:
        """Steps taken, tokens made, the mean batch, and the BLAS threads a batched step uses."""
        return {"steps": self.steps, "tokens": self.tokens,
                "mean_batch": round(self.tokens / self.steps, 2) if self.steps else 0.0,
                "threads": self._threads.best(),
                "seconds_per_token": {str(n): t for n, t in self._threads.per_token.items()}}

    def close(self) -> None:
        self.pending.put(None)
        self._thread.join(timeout=5)

    def _admit(self, active: list[Job], block: bool) -> bool:
        """Move waiting jobs into the batch; False once close() was called."""
        while len(active) < self.max_batch:
            try:
                job = self.pending.get(block=block and not active)
            except queue.Empty:
                return True
            if job is None:
                return False
            active.append(job)
        return True

    def _run(self) -> None:
        active: list[Job] = []
        threads = self._threads
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.art.running(threads.current))
            while self._admit(active, block=True):
                wanted = threads.choose(len(active))
                switched = wanted != threads.current
                if switched:  # (rare: a switch costs a few microseconds)
                    stack.close()
                    stack.enter_context(self.art.running(wanted))
                    threads.current = wanted
                started, stepped = time.perf_counter(), len(active)
                try:
                    active = self._step(active)
                except Exception as error:  # noqa: BLE001  (fail these requests, keep serving others)
                    for job in active:
                        job.emit(None, error)
                    active = []
                threads.record(time.perf_counter() - started, stepped, switched)
        for job in active:
            job.emit(None, None)

    def _step(self, active: list[Job]) -> list[Job]:
        """One token for every active job; returns the jobs still going."""
        art = self.art
        for job in [j for j in active if j.cancelled.is_set() or j.remaining == 0]:
            job.emit(None, None)
        active = [j for j in active if not j.cancelled.is_set() and j.remaining > 0]
        if not active:
            return active
        tokens = []
        for job, log_probs in zip(active, art.next_log_probs_many([j.state for j in active])):
            token = job.sampler(art._allowed(log_probs), job.rng)
            job.emit(token, art.piece(job.previous, token))
            job.previous, job.remaining = token, job.remaining - 1
            tokens.append(token)
        going = [i for i, job in enumerate(active) if job.remaining > 0 and not job.cancelled.is_set()]
        states = art.advance_many([active[i].state for i in going], [tokens[i] for i in going])
        for i, state in zip(going, states):
            active[i].state = state
        self.steps += 1
        self.tokens += len(active)
        return active
