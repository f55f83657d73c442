"""The text-generation task, which every language model serves (zoo.language_model.LanguageModel
declares it): the Hugging Face Inference API's request, and text-generation-inference's events
when streamed.

    {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 200, "temperature": 0.8, "top_k": 20,
     "seed": 1}, "stream": false}  ->  [{"generated_text": "ROMEO:..."}]

With "stream": true the tokens come as server-sent events: data: {"token": {"id": 12, "text":
"e", ...}, "generated_text": null} per token, and the last event carries "generated_text".
Concurrent requests to one model share each recurrent step: they queue on the model's batcher
(zoo/batching.py), which the server starts when a language model loads. A request whose client
hangs up is cancelled there.
"""

from __future__ import annotations

import asyncio
import json
import math
import warnings

from pydantic import Field, field_validator

from zoo.server_tasks import ApiError, Strict

MAX_NEW_TOKENS = 1000          # per request: a stated cap (the error says it)
MAX_PROMPT_CHARS = 4000


class GenerationParameters(Strict):
    max_new_tokens: int = Field(50, ge=0, le=MAX_NEW_TOKENS, description=f"tokens to add, at most {MAX_NEW_TOKENS}")
    temperature: float = Field(1.0, ge=0.0, le=100.0, description="0 is greedy")
    top_k: int | None = Field(None, ge=1)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    do_sample: bool | None = Field(None, description="false: greedy, whatever the temperature")
    return_full_text: bool = Field(True, description="prepend the prompt, as the Inference API does")

    @field_validator("temperature")
    @classmethod
    def finite(cls, value):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class GenerationRequest(Strict):
    inputs: str = Field(..., max_length=MAX_PROMPT_CHARS, examples=["ROMEO:"])
    parameters: GenerationParameters = GenerationParameters()
    stream: bool = False


def _submit(served, request: GenerationRequest, loop):
    """Queue the request on the model's batcher. Returns (job, events, prefix): `events` gets
    (token id, piece) for each token when streaming, and (None, None | error) at the end; a
    request that is not streamed gets (None, text) at the end only, so that the event loop is
    not woken for every token of every request."""
    p = request.parameters
    temperature = 0.0 if p.do_sample is False else p.temperature
    events: asyncio.Queue = asyncio.Queue()
    pieces: list[str] = []

    def emit_each(token, piece):  # called on the batcher's thread
        loop.call_soon_threadsafe(events.put_nowait, (token, piece))

    def emit_at_end(token, piece):
        if token is not None:
            pieces.append(piece)
        else:
            loop.call_soon_threadsafe(events.put_nowait, (None, piece if piece is not None else "".join(pieces)))

    job = served.batcher.submit(request.inputs, p.max_new_tokens, emit=emit_each if request.stream else emit_at_end,
                                temperature=temperature, top_k=p.top_k, top_p=p.top_p, seed=p.seed)
    prefix = request.inputs if p.return_full_text else ""
    return job, events, prefix


async def _cancel_when_gone(http, batcher, job) -> None:
    """Wait for the client to hang up, then cancel its job, so that no token is made for nobody.
    (Starlette tells an endpoint nothing of a client that goes while it waits: the next message
    from the server, once the body is read, is the disconnect.)"""
    while (await http.receive())["type"] != "http.disconnect":
        pass
    batcher.cancel(job)


async def generate(served, request: GenerationRequest, http):
    """The task's run (see zoo/server_tasks.py): the text, or a StreamingResponse of events."""
    await asyncio.to_thread(lambda: served.art)  # load on first use (and start the batcher), off the event loop
    loop = asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown prompt characters: skipped, as generate does
        job, events, prefix = await asyncio.to_thread(_submit, served, request, loop)
    # The job ends, and `events` gets its last event, when its tokens are made or when the client
    # goes: the watcher cancels it then.
    watcher = asyncio.create_task(_cancel_when_gone(http, served.batcher, job))
    if not request.stream:
        try:
            _, text = await events.get()
        finally:
            watcher.cancel()
            served.batcher.cancel(job)  # (this task itself was cancelled: the server is stopping)
        if isinstance(text, Exception):  # a step failed: say so, keep serving
            raise ApiError(500, f"generation failed: {text}")
        return [{"generated_text": prefix + text}]
    return _event_stream(served.batcher, job, events, prefix, watcher)


def _event_stream(batcher, job, events: asyncio.Queue, prefix: str, watcher):
    from fastapi.responses import StreamingResponse

    async def events_stream():
        pieces = []
        try:
            while True:
                token, piece = await events.get()
                if token is None:
                    if isinstance(piece, Exception):  # as text-generation-inference reports one
                        yield f"data: {json.dumps({'error': f'generation failed: {piece}'})}\n\n"
                        return
                    break
                pieces.append(piece)
                event = {"index": len(pieces), "token": {"id": int(token), "text": piece, "logprob": None,
                                                         "special": False},
                         "generated_text": None, "details": None}
                yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
            final = {"index": len(pieces) + 1, "token": {"id": -1, "text": "", "logprob": None, "special": True},
                     "generated_text": prefix + "".join(pieces), "details": {"generated_tokens": len(pieces)}}
            yield f"data: {json.dumps(final, ensure_ascii=False)}\n\n"
        finally:  # the stream ended, or the client went away: the batcher drops the job
            watcher.cancel()
            batcher.cancel(job)

    return StreamingResponse(events_stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
