"""Generation on a served language model's batcher, for every protocol that asks for it: the
Inference API's and text-generation-inference's (zoo/server_tgi.py), OpenAI's completions
(zoo/server_openai.py). A protocol turns its request into `Settings`, starts a `Generation` (one
or more sequences of one or more prompts, each a job on the model's batcher, zoo/batching.py)
and shapes what comes back: the sequences at the end, or their tokens as they come.

The rules every protocol shares:

- the text of a sequence is `art.generate(prompt, max_new_tokens, temperature=, top_k=, top_p=,
  seed=)`'s for the same settings: sampled at `temperature` (1.0 unless given; 0 is greedy);
- a sequence without a seed gets a random one, which the answer reports (TGI's details.seed),
  so that any answer can be made again; sequence i of a request with a seed uses seed + i;
- a stop sequence ends a sequence when its text so far ends with it (the text keeps it, as TGI
  does; OpenAI's route then cuts it off, as OpenAI does);
- the prompt is in the answer only when asked for (`return_full_text`, OpenAI's `echo`): the
  same default, false, on every route, streamed or not (README, "Serving").

Concurrent requests share each recurrent step: a request whose client hangs up is cancelled
there, and one that finds the batch and its waiting line full gets a 503 (BatcherFull).
"""

from __future__ import annotations

import asyncio
import collections
import json
import secrets
import warnings
from dataclasses import dataclass, field

MAX_NEW_TOKENS = 1000          # per sequence: a stated cap (the error says it)
DEFAULT_NEW_TOKENS = 50        # when a request names none (OpenAI's route: its own default, 16)
MAX_PROMPT_CHARS = 4000
MAX_SEQUENCES = 8              # sequences one request may ask for (best_of, n, a list of prompts)
MAX_STOP = 4                   # stop sequences per request (TGI's and OpenAI's limit) ...
MAX_STOP_CHARS = 200           # ... and the characters of each
MAX_TOP_N = 5                  # alternatives reported per token (TGI's top_n_tokens, OpenAI's logprobs)
MAX_SEED = 2**32 - 1
FLUSH_SECONDS = 0.1            # a stream's tokens go out at most this often (the first and the end at once):
                               # several ride in one write. Each write costs the event loop 0.1-0.3 ms,
                               # and the loop shares the GIL with the batcher's thread, so what it spends
                               # the step waits for: with 0.01 streams made 0.70x the batcher alone; with
                               # 0.05 the loop spent 17-20 ms per 1000 characters, with 0.1 13-17 (ten
                               # writes a second still read as a steady flow of text; README, "Serving")


@dataclass(frozen=True)
class Settings:
    """What a request asks of the batcher, whatever its protocol."""

    max_new_tokens: int = DEFAULT_NEW_TOKENS
    temperature: float = 1.0            # 0: greedy
    top_k: int | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    log_probs: bool = False             # each token's log-probability under the model
    top_n: int = 0                      # and its top_n likeliest alternatives

    def seeds(self, count: int) -> list[int | None]:
        """The seed of each of `count` sequences (None when greedy: nothing is drawn)."""
        if self.temperature == 0:
            return [None] * count
        if self.seed is None:
            return [secrets.randbelow(MAX_SEED + 1) for _ in range(count)]
        return [(self.seed + i) % (MAX_SEED + 1) for i in range(count)]


@dataclass(eq=False)
class Sequence:
    """One generated sequence: its tokens as they come, and at the end why it ended."""

    prompt: str
    seed: int | None
    prompt_tokens: int | None = None     # how many tokens the model read from the prompt
    prefill: list | None = None          # [(id, text, log-probability or None)] of the prompt, when asked
    tokens: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    log_probs: list[float] = field(default_factory=list)
    tops: list = field(default_factory=list)   # per token: [(id, text, log-probability)] or None
    finish_reason: str | None = None     # "length", "stop_sequence"; None while going, or cancelled
    error: BaseException | None = None
    done: bool = False
    job: object = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def add(self, token, piece, log_prob=None, top=None) -> None:
        self.tokens.append(token)
        self.pieces.append(piece)
        if log_prob is not None:
            self.log_probs.append(log_prob)
            self.tops.append(top)

    def end(self, error) -> None:
        self.done, self.error = True, error
        self.finish_reason = getattr(self.job, "finish_reason", None)

    @property
    def log_prob(self) -> float:
        """The sum of its tokens' log-probabilities (TGI's best_of picks the highest)."""
        return float(sum(self.log_probs))


class Generation:
    """The sequences of one request on a served model's batcher. Start it with `start`, then
    either `await finished()` (the sequences, ended) or `async for batch in updates()` (their
    tokens as they come); `close()` always, at the end (it cancels what is still going).

    Not streamed, the batcher's thread collects each sequence's tokens itself and wakes the
    event loop once, at the end; streamed, it queues them, waking the loop at most once for all
    that came in the meantime, and at most every FLUSH_SECONDS (a busy server sends several
    tokens per write: each write costs about as much as a token's share of a batched step). A
    sequence's end goes out at once, cutting the pause short."""

    def __init__(self, served, loop, streamed: bool):
        self.served, self.loop, self.streamed = served, loop, streamed
        self.sequences: list[Sequence] = []
        self._events: collections.deque = collections.deque()  # appended on the batcher's thread
        self._ready = asyncio.Event()
        self._wake_pending = False
        self._ending = False  # a sequence has ended since the loop last read (a stream sends at once)
        self._pause = None    # the future a stream's pause waits on
        self._watcher = None
        self._flushed = 0.0  # (the loop's clock) when the last batch of a stream went out

    @classmethod
    async def start(cls, served, prompts: list[str], settings: Settings, http, *, count: int = 1,
                    streamed: bool = False, prefill: bool = False) -> Generation:
        """Load the model (first use), read the prompts and queue `count` sequences of each on
        its batcher (on a worker thread: a prompt is read through the model), and cancel them
        all when the client hangs up."""
        generation = cls(served, asyncio.get_running_loop(), streamed)
        try:
            await asyncio.to_thread(generation._submit, prompts, settings, count, prefill)
        except BaseException:
            generation.close()
            raise
        generation._watcher = asyncio.create_task(generation._cancel_when_gone(http))
        return generation

    def _submit(self, prompts, settings: Settings, count: int, prefill: bool) -> None:
        art = self.served.art  # loaded on first use, which starts its batcher
        batcher = self.served.batcher
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown prompt characters: skipped, as generate does
            for prompt in prompts:
                facts = prompt_facts(art, prompt, prefill)
                for seed in settings.seeds(count):
                    sequence = Sequence(prompt, seed, *facts)
                    sequence.job = batcher.submit(
                        prompt, settings.max_new_tokens, emit=self._emitter(sequence),
                        temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p, seed=seed,
                        stop=settings.stop, log_probs=settings.log_probs, top_n=settings.top_n)
                    self.sequences.append(sequence)

    def _emitter(self, sequence: Sequence):
        """The job's emit (called on the batcher's thread)."""
        events = self._events

        def each(token, *rest):
            events.append((sequence, token, *rest))
            self._wake()
            if token is None:  # the end goes out at once, cutting a pause short: until the client
                self._ending = True  # has it, its next request cannot take the freed place
                self.loop.call_soon_threadsafe(self._end_pause)

        def at_end(token, *rest):
            if token is not None:
                sequence.add(token, *rest)
            else:
                events.append((sequence, None, *rest))
                self._wake()

        return each if self.streamed else at_end

    def _wake(self) -> None:
        # One wake-up until the events are read: those that come meanwhile (a stream waits up to
        # FLUSH_SECONDS before it reads) ride on it, rather than each poking the event loop.
        if not self._wake_pending:
            self._wake_pending = True
            self.loop.call_soon_threadsafe(self._ready.set)

    async def updates(self):
        """Lists of what happened since the last: (sequence, index of its new token), or
        (sequence, None) when it ended. Ends when every sequence has."""
        going = len(self.sequences)
        while going:
            await self._ready.wait()
            if self.streamed:
                pause = self._flushed + FLUSH_SECONDS - self.loop.time()
                if pause > 0 and not self._ending:  # what comes meanwhile goes in the same batch
                    self._pause = self.loop.create_future()
                    timer = self.loop.call_later(pause, self._end_pause)
                    await self._pause
                    timer.cancel()
                self._flushed = self.loop.time()
            self._ready.clear()
            self._wake_pending = self._ending = False  # before reading: what comes after wakes the loop again
            batch = []
            while self._events:
                sequence, token, *rest = self._events.popleft()
                if token is None:
                    sequence.end(rest[0])
                    going -= 1
                    batch.append((sequence, None))
                else:
                    sequence.add(token, *rest)
                    batch.append((sequence, len(sequence.tokens) - 1))
            if batch:
                yield batch

    def _end_pause(self) -> None:
        if self._pause is not None and not self._pause.done():
            self._pause.set_result(None)

    async def finished(self) -> list[Sequence]:
        """The sequences once every one has ended; the first error a step raised, if any."""
        async for _ in self.updates():
            pass
        failed = [s.error for s in self.sequences if s.error is not None]
        if failed:
            from zoo.server_tasks import ApiError

            raise ApiError(500, f"generation failed: {failed[0]}")
        return self.sequences

    async def _cancel_when_gone(self, http) -> None:
        """Wait for the client to hang up, then cancel its jobs, so that no token is made for
        nobody. (Starlette tells an endpoint nothing of a client that goes while it waits: the
        next message from the server, once the body is read, is the disconnect.)"""
        while (await http.receive())["type"] != "http.disconnect":
            pass
        self.close()

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        for sequence in self.sequences:
            if sequence.job is not None:
                self.served.batcher.cancel(sequence.job)


def sse(data) -> str:
    """One server-sent event carrying `data` as JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def prompt_facts(art, prompt: str, prefill: bool) -> tuple:
    """(how many tokens the model reads from `prompt`, its prefill or None): the prefill is each
    token with its text and its log-probability given those before it."""
    try:
        count = len(art.prompt_tokens(prompt))
    except NotImplementedError:
        count = None
    if not prefill:
        return count, None
    try:
        with art.running():
            tokens = art.prompt_log_probs(prompt)
    except NotImplementedError:
        from zoo.server_tasks import ApiError

        raise ApiError(422, f"{art.name} does not report its prompt's log-probabilities; leave out "
                            "decoder_input_details (TGI) or echo with logprobs (OpenAI).") from None
    prefill, previous = [], None
    for token, log_prob in tokens:  # each token's text as generation would write it after the one before
        prefill.append((token, art.piece(previous, token), log_prob))
        previous = token
    return count, prefill


def language_model(served: dict, name: str | None, find, route: str):
    """The served language model a request names, or, when it names none, the only one served
    (a 400 naming the per-model route when there are several)."""
    if name is not None:
        item = find(served, name)
        if not any(task.name == "text-generation" for task in item.tasks):
            from zoo.server_tasks import ApiError

            raise ApiError(400, f"{name} ({item.architecture}) is not a language model; its tasks: "
                                f"{', '.join(item.task_names)}.")
        return item
    models = [item for item in served.values() if any(task.name == "text-generation" for task in item.tasks)]
    if len(models) == 1:
        return models[0]
    from zoo.server_tasks import ApiError

    if not models:
        raise ApiError(404, "no served model is a language model; GET /models says what is served.")
    names = ", ".join(item.name for item in models)
    raise ApiError(400, f"{len(models)} language models are served ({names}); name one: {route}.")
