"""Text-generation-inference's protocol, which is also the Inference API's text-generation task:
every language model's task (zoo.language_model.LanguageModel declares it), and TGI's routes.

    POST /models/{name}                    the Inference API's route (TGI's `POST /`): a list of
                                           one answer, or with "stream": true server-sent events
    POST /models/{name}/generate           TGI's /generate: one answer
    POST /models/{name}/generate_stream    TGI's /generate_stream: server-sent events
    GET /models/{name}/info                TGI's /info: the model and its requests' bounds
    POST /, /generate, /generate_stream,   the same for the one language model served (with
    GET /info                              several, name one: a 400 says how)

huggingface_hub's client works against any of them: `InferenceClient("http://127.0.0.1:8000")`
with one language model served, `InferenceClient("http://127.0.0.1:8000/models/NAME")` with
several. The body is TGI's, with huggingface_hub's own types as its schema
(`TextGenerationInput`, `TextGenerationInputGenerateParameters`: the fields are read from them,
with the zoo's bounds added), and the answers are theirs (`TextGenerationOutput`,
`TextGenerationStreamOutput`):

    {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 20, "temperature": 0.8, "seed": 1,
     "stop": ["\\n"], "details": true}}
    -> {"generated_text": "...", "details": {"finish_reason": "stop_sequence", "generated_tokens": 12,
        "seed": 1, "prefill": [], "tokens": [{"id": 30, "text": "e", "logprob": -0.41, "special": false}, ...]}}

Streamed, each token is an event, `data: {"index": 1, "token": {...}, "generated_text": null,
"details": null, "top_tokens": null}`, and the last token's event carries `generated_text` (and
`details` when asked for). Parameters: max_new_tokens (1 to 1000, default 50), temperature
(default 1.0; 0 is greedy), top_k, top_p, seed, do_sample (false: greedy), stop (up to 4 texts;
the text keeps the stop, finish_reason "stop_sequence"), return_full_text (default false, on every
route: README, "Serving"), details (per-token log-probabilities under the model), top_n_tokens
(up to 5 alternatives per token), decoder_input_details (the prompt's tokens: `prefill`), best_of
(up to 8 sampled sequences, the likeliest returned; not streamed). The rest of TGI's parameters
(grammar, repetition_penalty, ...) get a one-line 422 unless they ask for nothing.

No zoo model has an end-of-text token, so finish_reason is "length" or "stop_sequence", never
"eos_token", and no token is `special`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing

from huggingface_hub import (
    TextGenerationInput,
    TextGenerationInputGenerateParameters,
    TextGenerationOutput,
    TextGenerationOutputBestOfSequence,
    TextGenerationOutputDetails,
    TextGenerationOutputPrefillToken,
    TextGenerationOutputToken,
    TextGenerationStreamOutput,
    TextGenerationStreamOutputStreamDetails,
)
from pydantic import Field, create_model, field_validator
from starlette.requests import Request

from zoo.server_generation import (
    DEFAULT_NEW_TOKENS,
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

# TGI's parameters the zoo has no use for, with the value that asks for nothing: a request that
# sends another gets a one-line 422.
NEUTRAL = {"adapter_id": None, "frequency_penalty": 0.0, "grammar": None, "repetition_penalty": 1.0,
           "truncate": None, "typical_p": 1.0, "watermark": False}
WHY_NOT = {"adapter_id": "the zoo's models have no adapters", "grammar": "the zoo's models cannot be constrained",
           "truncate": "the prompt is read whole (up to 4000 characters)"}


class _Bounds(Strict):
    """The zoo's bounds on the parameters (huggingface_hub's types say only their types)."""

    @field_validator("temperature", "top_p", "frequency_penalty", "repetition_penalty", "typical_p",
                     check_fields=False)
    @classmethod
    def finite(cls, value):
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def _from_hub(cls, name: str, base, **bounds):
    """A strict pydantic model with the fields of one of huggingface_hub's types, each as the
    type declares it unless `bounds` gives it (type, Field(...)) with the zoo's limits."""
    hints = typing.get_type_hints(cls)
    fields = {}
    for item in dataclasses.fields(cls):
        default = ... if item.default is dataclasses.MISSING else item.default
        fields[item.name] = bounds.pop(item.name, (hints[item.name], default))
    assert not bounds, f"{cls.__name__} has no fields {sorted(bounds)}"
    return create_model(name, __base__=base, __doc__=cls.__doc__, **fields)


GenerationParameters = _from_hub(
    TextGenerationInputGenerateParameters, "GenerationParameters", _Bounds,
    max_new_tokens=(int | None, Field(None, ge=1, le=MAX_NEW_TOKENS,
                                      description=f"1 to {MAX_NEW_TOKENS}; default {DEFAULT_NEW_TOKENS}")),
    temperature=(float | None, Field(None, ge=0.0, le=100.0, description="default 1.0; 0 is greedy")),
    top_k=(int | None, Field(None, ge=1)),
    top_p=(float | None, Field(None, gt=0.0, le=1.0)),
    seed=(int | None, Field(None, ge=0, le=MAX_SEED)),
    stop=(list[typing.Annotated[str, Field(min_length=1, max_length=MAX_STOP_CHARS)]] | None,
          Field(None, max_length=MAX_STOP, description=f"up to {MAX_STOP} texts that end the generation")),
    best_of=(int | None, Field(None, ge=1, le=MAX_SEQUENCES)),
    top_n_tokens=(int | None, Field(None, ge=0, le=MAX_TOP_N)),
    return_full_text=(bool | None, Field(None, description="prepend the prompt (default false, on every route)")),
    grammar=(dict | None, None),
)
GenerationRequest = _from_hub(
    TextGenerationInput, "GenerationRequest", Strict,
    inputs=(str, Field(..., max_length=MAX_PROMPT_CHARS, examples=["ROMEO:"])),
    parameters=(GenerationParameters | None, None),
)


@dataclasses.dataclass(frozen=True)
class Asked:
    """What a TGI request asks for besides the batcher's settings."""

    settings: Settings
    full_text: bool
    details: bool
    prefill: bool
    best_of: int


def read_parameters(parameters, streamed: bool) -> Asked:
    p = parameters or GenerationParameters()
    for name, neutral in NEUTRAL.items():
        value = getattr(p, name)
        if value is not None and value != neutral:
            why = WHY_NOT.get(name, "the zoo samples from the model's own probabilities")
            raise ApiError(422, f"parameters.{name} is not supported ({why}); leave it out.")
    temperature = 1.0 if p.temperature is None else p.temperature
    if p.do_sample is False:
        temperature = 0.0
    elif p.do_sample and temperature == 0:
        raise ApiError(422, "do_sample is true but temperature is 0 (greedy); give a temperature above 0, "
                            "or leave out do_sample.")
    best_of = p.best_of or 1
    if best_of > 1 and streamed:
        raise ApiError(422, "best_of > 1 is not supported when streaming tokens (as in TGI); leave it out or "
                            "do not stream.")
    if best_of > 1 and temperature == 0:
        raise ApiError(422, "best_of > 1 needs sampling (greedy sequences would all be the same); give a "
                            "temperature above 0.")
    if p.decoder_input_details and streamed:
        raise ApiError(422, "decoder_input_details is not supported when streaming tokens (as in TGI).")
    details = bool(p.details)
    # A stream's events always carry each token's log-probability (as TGI's do); an answer, in its details.
    settings = Settings(p.max_new_tokens or DEFAULT_NEW_TOKENS, temperature, p.top_k, p.top_p, p.seed,
                        tuple(p.stop or ()), log_probs=streamed or details or best_of > 1,
                        top_n=(p.top_n_tokens or 0) if details or streamed else 0)
    return Asked(settings, bool(p.return_full_text), details, details and bool(p.decoder_input_details), best_of)


# ----------------------------------------------------------------------------- answers


def _tokens(sequence, top: bool):
    tokens = [TextGenerationOutputToken(id=t, logprob=lp, special=False, text=piece)
              for t, lp, piece in zip(sequence.tokens, sequence.log_probs, sequence.pieces)]
    tops = [[TextGenerationOutputToken(id=i, logprob=lp, special=False, text=text) for i, text, lp in alternatives]
            for alternatives in sequence.tops] if top else None
    return tokens, tops


def _prefill(sequence) -> list:
    return [TextGenerationOutputPrefillToken(id=t, logprob=lp, text=text) for t, text, lp in sequence.prefill or ()]


def output(sequences, asked: Asked) -> dict:
    """TGI's answer (TextGenerationOutput) for the sequences of one prompt: the likeliest one,
    the others in details.best_of_sequences."""
    prefix = sequences[0].prompt if asked.full_text else ""
    best = max(sequences, key=lambda s: s.log_prob) if len(sequences) > 1 else sequences[0]
    answer = TextGenerationOutput(generated_text=prefix + best.text)
    if not asked.details:
        return {"generated_text": answer.generated_text}  # (TGI leaves out details: null)
    top = asked.settings.top_n > 0
    tokens, tops = _tokens(best, top)
    others = [TextGenerationOutputBestOfSequence(
        finish_reason=s.finish_reason, generated_text=prefix + s.text, generated_tokens=len(s.tokens),
        prefill=_prefill(s), tokens=_tokens(s, False)[0], seed=s.seed, top_tokens=_tokens(s, top)[1])
        for s in sequences if s is not best]
    answer.details = TextGenerationOutputDetails(
        finish_reason=best.finish_reason, generated_tokens=len(best.tokens), prefill=_prefill(best), tokens=tokens,
        seed=best.seed, top_tokens=tops, best_of_sequences=others or None)
    return answer


STREAM_FIELDS = tuple(f.name for f in dataclasses.fields(TextGenerationStreamOutput))
TOKEN_FIELDS = tuple(f.name for f in dataclasses.fields(TextGenerationOutputToken))
assert set(TOKEN_FIELDS) == {"id", "logprob", "special", "text"}
assert set(STREAM_FIELDS) == {"index", "token", "details", "generated_text", "top_tokens"}
# Every event but the last carries one token and nothing else: it is written from this template,
# a fifth of the cost of json.dumps on a dict (1.2 us against 6.4). That matters because the
# event loop and the batcher's thread share the GIL: each microsecond spent here per token is one
# the batched step waits (tests/test_protocols.py checks that the two agree).
TOKEN_EVENT = ('data: {"index":%d,"token":{"id":%d,"logprob":%s,"special":false,"text":%s},'
               '"details":null,"generated_text":null,"top_tokens":null}\n\n')


def _event(sequence, index: int, last: bool, asked: Asked) -> str:
    """One token's event, with TextGenerationStreamOutput's fields: from TOKEN_EVENT, or, for
    the last one (the generated text, the details) and one with alternatives, as a plain dict
    through json (constructing the type itself costs ~70 us, most of a token's time on a busy
    server); the last one's details as the type."""
    top = sequence.tops[index] if asked.settings.top_n else None
    if not last and top is None:
        log_prob = float(sequence.log_probs[index])  # a float's repr is JSON's, unless it is -inf
                                                     # (numpy's float64's repr is not)
        return TOKEN_EVENT % (index + 1, sequence.tokens[index],
                              repr(log_prob) if math.isfinite(log_prob) else json.dumps(log_prob),
                              json.encoder.encode_basestring(sequence.pieces[index]))
    token = {"id": sequence.tokens[index], "logprob": sequence.log_probs[index], "special": False,
             "text": sequence.pieces[index]}
    if top is not None:
        top = [{"id": i, "logprob": lp, "special": False, "text": text} for i, text, lp in top]
    event = dict.fromkeys(STREAM_FIELDS)
    event.update(index=index + 1, token=token, top_tokens=top)
    if last:
        event["generated_text"] = (sequence.prompt if asked.full_text else "") + sequence.text
        if asked.details:
            event["details"] = TextGenerationStreamOutputStreamDetails(
                finish_reason=sequence.finish_reason, generated_tokens=len(sequence.tokens),
                input_length=sequence.prompt_tokens or 0, seed=sequence.seed)
    return sse(event)


def event_stream(generation: Generation, asked: Asked):
    """The sequence's tokens as TGI's server-sent events. Each token's event is held until the
    next comes (or the end), so that the last one can carry the generated text."""
    from fastapi.responses import StreamingResponse

    async def events():
        sequence = generation.sequences[0]
        held = None
        try:
            async for batch in generation.updates():
                out = []
                for _, index in batch:
                    if held is not None:
                        out.append(_event(sequence, held, index is None and sequence.error is None, asked))
                    held = index
                if sequence.error is not None:  # as text-generation-inference reports one
                    out.append(sse({"error": f"generation failed: {sequence.error}", "error_type": "generation"}))
                if out:
                    yield "".join(out)
        finally:  # the stream ended, or the client went away: the batcher drops the job
            generation.close()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def respond(served, request, http, *, stream: bool, listed: bool):
    """Run one TGI request on a served model: a list of one answer (`listed`, the Inference
    API's and TGI's `POST /`), one answer (/generate), or events (stream)."""
    asked = read_parameters(request.parameters, stream)
    generation = await Generation.start(served, [request.inputs], asked.settings, http, count=asked.best_of,
                                        streamed=stream, prefill=asked.prefill)
    if stream:
        return event_stream(generation, asked)
    try:
        sequences = await generation.finished()
    finally:
        generation.close()
    answer = output(sequences, asked)
    return [answer] if listed else answer


async def generate(served, request, http):
    """The text-generation task's run (zoo/server_tasks.py): POST /models/{name}, TGI's `POST /`."""
    return await respond(served, request, http, stream=bool(request.stream), listed=True)


def info(item) -> dict:
    """TGI's GET /info: what the model is and the bounds its requests meet (the fields TGI's
    router reports, as InferenceClient.get_endpoint_info returns them; no GPU, no tokenizer).
    Characters stand for tokens in the input bound: a prompt is read as text."""
    from zoo import __version__

    return {"model_id": item.name, "model_sha": None, "model_dtype": "float32", "model_device_type": "cpu",
            "model_pipeline_tag": "text-generation", "max_concurrent_requests": item.max_batch + item.max_waiting,
            "max_best_of": MAX_SEQUENCES, "max_stop_sequences": MAX_STOP, "max_input_tokens": MAX_PROMPT_CHARS,
            "max_total_tokens": MAX_PROMPT_CHARS + MAX_NEW_TOKENS, "max_batch_size": item.max_batch,
            "validation_workers": 1, "max_client_batch_size": 1, "router": "keras-zoo", "version": __version__,
            "sha": None, "docker_label": None}


def add_routes(app, served: dict, find) -> None:
    """TGI's routes: per model, and without a name for the one language model served. `find`
    is the server's lookup of a served model by name (a 404 that suggests names)."""
    per_model = "POST /models/{name}/generate (or InferenceClient(\"http://HOST:PORT/models/NAME\"))"

    async def run(name, http, stream: bool | None):
        item = language_model(served, name, find, per_model)
        request = await json_body(http, GenerationRequest)
        if stream is not None and request.stream is not None and request.stream != stream:
            route = "/generate_stream" if request.stream else "/generate"
            raise ApiError(422, f"\"stream\": {json.dumps(request.stream)} does not go with this route; use {route}.")
        stream = bool(request.stream) if stream is None else stream
        return await respond(item, request, http, stream=stream, listed=False)

    doc = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}

    @app.post("/", summary="TGI's POST /: the one language model's generation (as /models/{name})",
              openapi_extra=doc)
    async def compat(http: Request):
        item = language_model(served, None, find, "POST /models/{name}")
        return await generate(item, await json_body(http, GenerationRequest), http)

    @app.post("/generate", summary="TGI's /generate, for the one language model served", openapi_extra=doc)
    async def plain(http: Request):
        return await run(None, http, False)

    @app.post("/generate_stream", summary="TGI's /generate_stream, for the one language model served",
              openapi_extra=doc)
    async def plain_stream(http: Request):
        return await run(None, http, True)

    @app.get("/info", summary="TGI's /info, for the one language model served")
    def plain_info():
        return info(language_model(served, None, find, "GET /models/{name}/info"))

    @app.get("/models/{name}/info", summary="TGI's /info on one model (InferenceClient.get_endpoint_info)")
    def named_info(name: str):
        return info(language_model(served, name, find, per_model))

    @app.post("/models/{name}/generate", summary="TGI's /generate on one model", openapi_extra=doc)
    async def named(name: str, http: Request):
        return await run(name, http, False)

    @app.post("/models/{name}/generate_stream", summary="TGI's /generate_stream on one model", openapi_extra=doc)
    async def named_stream(name: str, http: Request):
        return await run(name, http, True)

