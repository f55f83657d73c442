"""OpenAI's completions protocol, so that the `openai` client and the tools that speak it work
against `zoo serve` unchanged:

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")   # --token: the token
    client.completions.create(model="charrnn-shakespeare", prompt="ROMEO:", max_tokens=50, seed=1)

    GET  /v1/models              the language models served (OpenAI's model list)
    GET  /v1/models/{model}      one of them
    POST /v1/completions         a completion; "stream": true sends chunks as server-sent
                                 events, `data: {...}`, and `data: [DONE]` at the end
    POST /v1/chat/completions    a 400: no served model is a chat model

`model` names the served model. Parameters: prompt (a text, or a list of texts: one choice each),
max_tokens (0 to 1000, default 16, as OpenAI), temperature (default 1; 0 is greedy), top_p,
top_k (vLLM's), n (choices per prompt; up to 8 sequences a request), best_of (n or more: the n
likeliest per token are returned; not streamed), stop (a text or up to 4: the text ends before
it, finish_reason "stop"), seed (choice i uses seed + i; none: a random one), logprobs (0 to 5:
each token's log-probability under the model and the likeliest alternatives), echo (the prompt
before the text: return_full_text's rule, default false on every route), stream, stream_options
(include_usage), user (accepted, unused). presence_penalty, frequency_penalty, logit_bias and
suffix get a one-line 400 unless they ask for nothing. Errors come in OpenAI's shape,
{"error": {"message": ..., "type": ...}}, which the client raises as its own exceptions.
"""

from __future__ import annotations

import math
import time
import uuid

from pydantic import Field, field_validator
from starlette.requests import Request

from zoo.server_generation import (
    MAX_NEW_TOKENS,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    MAX_SEQUENCES,
    MAX_STOP,
    MAX_STOP_CHARS,
    MAX_TOP_N,
    Generation,
    Settings,
    language_model,
    sse,
)
from zoo.server_tasks import ApiError, Strict, json_body

FINISH = {"stop_sequence": "stop", "length": "length", None: None}
NEUTRAL = {"presence_penalty": 0.0, "frequency_penalty": 0.0, "logit_bias": {}, "suffix": ""}


class StreamOptions(Strict):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None  # (random padding against length side channels: none sent)


class CompletionRequest(Strict):
    """POST /v1/completions (OpenAI's CompletionCreateParams)."""

    model: str
    prompt: str | list[str] = Field(..., examples=["ROMEO:"])
    max_tokens: int | None = Field(16, ge=0, le=MAX_NEW_TOKENS)
    temperature: float | None = Field(None, ge=0.0, le=100.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    top_k: int | None = Field(None, ge=-1, description="vLLM's: the k likeliest only (-1 or 0: all)")
    n: int | None = Field(None, ge=1, le=MAX_SEQUENCES)
    best_of: int | None = Field(None, ge=1, le=MAX_SEQUENCES)
    stop: str | list[str] | None = None
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    logprobs: int | None = Field(None, ge=0, le=MAX_TOP_N)
    echo: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict | None = None
    suffix: str | None = None
    user: str | None = None

    @field_validator("prompt", mode="before")
    @classmethod
    def text_prompts(cls, value):
        if isinstance(value, list) and value and not all(isinstance(item, str) for item in value):
            raise ValueError("give the prompt as a text or a list of texts (token ids are not supported)")
        if isinstance(value, list) and not value:
            raise ValueError("give at least one prompt")
        for item in [value] if isinstance(value, str) else value if isinstance(value, list) else ():
            if len(item) > MAX_PROMPT_CHARS:
                raise ValueError(f"a prompt has at most {MAX_PROMPT_CHARS} characters")
        return value

    @field_validator("stop")
    @classmethod
    def stops(cls, value):
        listed = [value] if isinstance(value, str) else value or []
        if len(listed) > MAX_STOP or not all(0 < len(text) <= MAX_STOP_CHARS for text in listed):
            raise ValueError(f"give up to {MAX_STOP} stop sequences of 1 to {MAX_STOP_CHARS} characters")
        return value

    @field_validator("temperature", "top_p", "presence_penalty", "frequency_penalty")
    @classmethod
    def finite(cls, value):
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def _read(request: CompletionRequest) -> tuple[list[str], Settings, int, int]:
    """(prompts, settings, sequences per prompt, choices per prompt); a 400 for what cannot be done."""
    for name, neutral in NEUTRAL.items():
        value = getattr(request, name)
        if value is not None and value != neutral:
            raise ApiError(400, f"{name} is not supported (the zoo samples from the model's own probabilities); "
                                "leave it out.")
    prompts = [request.prompt] if isinstance(request.prompt, str) else request.prompt
    n = request.n or 1
    best_of = request.best_of or n
    if best_of < n:
        raise ApiError(400, f"best_of ({best_of}) must be at least n ({n}).")
    if best_of > n and request.stream:
        raise ApiError(400, "best_of other than n is not supported when streaming; leave it out or do not stream.")
    if best_of * len(prompts) > MAX_SEQUENCES:
        raise ApiError(400, f"{len(prompts)} prompt(s) x {best_of} sequences is over {MAX_SEQUENCES}, the most one "
                            "request may ask for; ask for fewer.")
    temperature = 1.0 if request.temperature is None else request.temperature
    stop = (request.stop,) if isinstance(request.stop, str) else tuple(request.stop or ())
    top_k = request.top_k if request.top_k and request.top_k > 0 else None
    logprobs = request.logprobs is not None
    settings = Settings(request.max_tokens if request.max_tokens is not None else 16, temperature, top_k,
                        request.top_p, request.seed, stop, log_probs=logprobs or best_of > n,
                        top_n=request.logprobs or 0)
    return prompts, settings, best_of, n


# ----------------------------------------------------------------------------- answers


def _text(sequence, echo: bool, stops: tuple[str, ...]) -> str:
    """A choice's text: the prompt first with echo; without the stop sequence that ended it."""
    text = sequence.text
    stop = next((s for s in stops if text.endswith(s)), "")
    return (sequence.prompt if echo else "") + text[:len(text) - len(stop)]


def _log_probs(sequence, start: int, end: int, offset: int, prompt: bool) -> dict:
    """OpenAI's logprobs object for tokens start..end of a sequence (with `prompt`: its prompt's
    tokens first), text offsets counted from `offset`."""
    tokens, values, tops = [], [], []
    if prompt:
        for _, text, log_prob in sequence.prefill or ():
            tokens.append(text), values.append(log_prob), tops.append(None)
    for i in range(start, end):
        tokens.append(sequence.pieces[i])
        values.append(sequence.log_probs[i])
        alternatives = {text: lp for _, text, lp in sequence.tops[i] or ()}
        alternatives[sequence.pieces[i]] = sequence.log_probs[i]
        tops.append(alternatives)
    offsets = []
    for text in tokens:
        offsets.append(offset)
        offset += len(text)
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}


def _usage(sequences) -> dict:
    prompts = {id(s.prompt): s.prompt_tokens or 0 for s in sequences}  # each prompt once
    completion = sum(len(s.tokens) for s in sequences)
    prompt = sum(prompts.values())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _chosen(sequences, per_prompt: int, n: int) -> list:
    """The n choices of each prompt: its sequences, or with best_of the n likeliest per token."""
    if per_prompt == n:
        return sequences
    chosen = []
    for start in range(0, len(sequences), per_prompt):
        group = sequences[start:start + per_prompt]
        chosen += sorted(group, key=lambda s: -s.log_prob / max(1, len(s.tokens)))[:n]
    return chosen


def completion(served, request: CompletionRequest, sequences, per_prompt: int, n: int) -> dict:
    echo, logprobs = bool(request.echo), request.logprobs is not None
    choices = []
    for index, sequence in enumerate(_chosen(sequences, per_prompt, n)):
        choices.append({"text": _text(sequence, echo, sequence.job.stop), "index": index,
                        "logprobs": _log_probs(sequence, 0, len(sequence.tokens), 0, echo) if logprobs else None,
                        "finish_reason": FINISH[sequence.finish_reason]})
    return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
            "model": served.name, "choices": choices, "usage": _usage(sequences)}


def _chunks(served, request: CompletionRequest, generation: Generation):
    """The completion's chunks as server-sent events (one per choice per wake-up), then usage
    when asked for, then [DONE]. With stop sequences, a choice's last characters wait until it
    is clear they are not the start of its stop."""
    from fastapi.responses import StreamingResponse

    echo, logprobs = bool(request.echo), request.logprobs is not None
    usage = bool(request.stream_options and request.stream_options.include_usage)
    head = {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
            "model": served.name}
    index = {id(s): i for i, s in enumerate(generation.sequences)}
    stops = generation.sequences[0].job.stop
    hold = max(map(len, stops), default=1) - 1
    sent = {id(s): 0 for s in generation.sequences}       # characters of its text sent
    logged = {id(s): 0 for s in generation.sequences}     # tokens of it whose logprobs were sent

    def chunk(sequence, end: bool) -> str:
        key = id(sequence)
        if end or sequence.text.endswith(stops):  # (a text that ends with a stop ends there)
            text = _text(sequence, False, stops)
        else:  # what may be the start of a stop waits
            text = sequence.text[:max(sent[key], len(sequence.text) - hold)]
        prefix = sequence.prompt if echo and sent[key] == 0 and logged[key] == 0 else ""
        delta = {"text": prefix + text[sent[key]:], "index": index[key], "logprobs": None,
                 "finish_reason": FINISH[sequence.finish_reason] if end else None}
        if logprobs:
            offset = sent[key] + (len(sequence.prompt) if echo else 0)
            delta["logprobs"] = _log_probs(sequence, logged[key], len(sequence.tokens),
                                           0 if prefix else offset, bool(prefix))
        if not end and not delta["text"] and not (logprobs and logged[key] < len(sequence.tokens)):
            return ""  # nothing new to say yet (the text waits behind a possible stop)
        sent[key], logged[key] = len(text), len(sequence.tokens)
        return sse({**head, "choices": [delta], **({"usage": None} if usage else {})})

    async def events():
        try:
            async for batch in generation.updates():
                changed = {}
                for sequence, token in batch:  # the newest state of each choice: one chunk each
                    changed[id(sequence)] = (sequence, token is None)
                out = [chunk(sequence, end) for sequence, end in changed.values() if sequence.error is None]
                out += [sse({"error": {"message": f"generation failed: {s.error}", "type": "server_error"}})
                        for s, _ in changed.values() if s.error is not None]
                if out:
                    yield "".join(out)
            if usage:
                yield sse({**head, "choices": [], "usage": _usage(generation.sequences)})
            yield "data: [DONE]\n\n"
        finally:
            generation.close()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def add_routes(app, served: dict, find) -> None:
    """OpenAI's routes under /v1. `find` is the server's lookup of a served model by name."""
    started = int(time.time())

    def listed(item) -> dict:
        return {"id": item.name, "object": "model", "created": started, "owned_by": "keras-zoo"}

    @app.get("/v1/models", summary="OpenAI's model list: the language models served")
    def models():
        return {"object": "list", "data": [listed(item) for item in served.values()
                                           if any(task.name == "text-generation" for task in item.tasks)]}

    @app.get("/v1/models/{model}", summary="OpenAI's model: one language model served")
    def model(model: str):
        return listed(language_model(served, model, find, ""))

    @app.post("/v1/completions", summary="OpenAI's completions (streamed with \"stream\": true)",
              openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}})
    async def completions(http: Request):
        request = await json_body(http, CompletionRequest, '{"model": ..., "prompt": ...}')
        item = language_model(served, request.model, find, "")
        prompts, settings, per_prompt, n = _read(request)
        streamed = bool(request.stream)
        generation = await Generation.start(item, prompts, settings, http, count=per_prompt, streamed=streamed,
                                            prefill=bool(request.echo) and request.logprobs is not None)
        if streamed:
            return _chunks(item, request, generation)
        try:
            sequences = await generation.finished()
        finally:
            generation.close()
        return completion(item, request, sequences, per_prompt, n)

    @app.post("/v1/chat/completions", summary="OpenAI's chat completions: none of the served models chats")
    async def chat(http: Request):
        raise ApiError(400, "no served model is a chat model (they continue a text; none was trained on "
                            "conversations): use POST /v1/completions with a prompt.")
