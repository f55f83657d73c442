"""`zoo serve`: every model behind an HTTP API, and a gallery page to try them in a browser.

    zoo serve                          # every pretrained model, on http://127.0.0.1:8000
    zoo serve charrnn-shakespeare runs/mine --port 8080 --token s3cret

The API follows the Hugging Face Inference API's shapes where the task has one:

    POST /models/{name}          the model's task (below); POST /models/{name}/{task} names one
    GET  /models                 what is served, with each card's metadata
    GET  /models/{name}          one model: metadata, its card (markdown and HTML), its plots
    GET  /                       the gallery page; /docs the OpenAPI docs (offline)

    text-generation (charrnn, ngram-lm, gru-lm, lstm-lm)
        {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 200, "temperature": 0.8, "top_k": 20,
         "seed": 1}, "stream": false}  ->  [{"generated_text": "ROMEO:..."}]
        With "stream": true the tokens come as server-sent events, as text-generation-inference
        sends them: data: {"token": {"id": 12, "text": "e", ...}, "generated_text": null} per
        token, and the last event carries "generated_text". Concurrent requests to one model
        share each recurrent step (zoo/batching.py).
    text2text-generation (seq2seq)  {"inputs": "3 March 1999"} -> [{"generated_text": "1999-03-03"}];
        "parameters": {"return_attention": true} adds the attention weights.
    feature-extraction (skipgram, cbow)  {"inputs": "king"} -> [0.12, ...]; a list gives a list.
    most-similar, word-map (skipgram, cbow)  {"inputs": "king", "parameters": {"top_k": 10}}
    image-to-image (cnn-filters)  the image's bytes as the body (PNG or JPEG) -> every filter's
        output as a data URL; ?filter=sharpen returns that one as image/png.
    tabular-classification (mlp-xor, perceptron)  {"inputs": [1, 0]} (or a list of rows) ->
        [{"label": "1", "score": 0.98}, {"label": "0", "score": 0.02}] per row.

Errors are JSON, {"error": "..."} with a 4xx status, and the server keeps serving. It binds
127.0.0.1 unless told otherwise; `--token` (or ZOO_SERVE_TOKEN) asks every request for
`Authorization: Bearer TOKEN`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import difflib
import io as bytes_io
import json
import math
import os
import threading
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

from zoo import artifacts, lineage, registry
from zoo.errors import ZooError

STATIC_DIR = Path(__file__).parent / "gallery"
MAX_NEW_TOKENS = 1000          # per request: a stated cap (the error says it)
MAX_PROMPT_CHARS = 4000
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 1024
MAX_ROWS = 256                 # rows per classification or feature-extraction request
TOKEN_ENV = "ZOO_SERVE_TOKEN"

LANGUAGE_MODELS = ("charrnn", "ngram-lm", "gru-lm", "lstm-lm")
WORD_VECTORS = ("skipgram", "cbow")
CLASSIFIERS = ("mlp-xor", "perceptron")
# architecture -> its tasks, the first being what POST /models/{name} runs
TASKS = {
    **{arch: ("text-generation",) for arch in LANGUAGE_MODELS},
    "seq2seq": ("text2text-generation",),
    **{arch: ("feature-extraction", "most-similar", "word-map") for arch in WORD_VECTORS},
    "cnn-filters": ("image-to-image",),
    **{arch: ("tabular-classification",) for arch in CLASSIFIERS},
}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# ----------------------------------------------------------------------------- request shapes


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt parameter is an error, not ignored


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


class Text2TextParameters(Strict):
    num_beams: int = Field(1, ge=1, le=16)
    return_attention: bool = False


class Text2TextRequest(Strict):
    inputs: str | list[str] = Field(..., examples=["3 March 1999"])
    parameters: Text2TextParameters = Text2TextParameters()


class WordParameters(Strict):
    top_k: int = Field(10, ge=1, le=100)


class WordRequest(Strict):
    inputs: str | list[str] = Field(..., examples=["king"])
    parameters: WordParameters = WordParameters()


class ClassificationRequest(Strict):
    inputs: list[float] | list[list[float]] = Field(..., examples=[[1, 0]])


# ----------------------------------------------------------------------------- the models


_LOADING = threading.Lock()


class Served:
    """A served model: its facts at once (for /models and the page), its weights on first use."""

    def __init__(self, name: str, source: str):
        self.name, self.source = name, source
        entry = registry.artifacts().get(source)
        if entry is not None:
            self.folder, self.expected = registry.installed_folder(source), entry["files"]
            if self.folder is None:  # the weights package is not installed: fetch it now
                from zoo import hub

                self.folder, _ = hub.download_artifact(source)
        else:
            self.folder, self.expected = artifacts.resolve_folder(source)
        self.config = artifacts.read_config(self.folder)
        self.architecture = self.config["architecture"]
        if self.architecture not in TASKS:
            raise ZooError(f"{source}: the server has no task for architecture {self.architecture!r}.")
        self.tasks = TASKS[self.architecture]
        self._art = None
        self.batcher = None
        self._word_map = None

    @property
    def art(self):
        # One model loads at a time: concurrent first requests would otherwise import TensorFlow
        # on several threads at once, which deadlocks its imports.
        with _LOADING:
            if self._art is None:
                from zoo import api

                self._art = api.load(self.source)
                if self.architecture in LANGUAGE_MODELS:
                    from zoo.batching import Batcher

                    self.batcher = Batcher(self._art)
            return self._art

    def describe(self) -> dict:
        card = self.config.get("card", {})
        return {"name": self.name, "architecture": self.architecture, "task": self.tasks[0], "tasks": list(self.tasks),
                "description": self.config.get("description", ""), "metrics": self.config.get("metrics", {}),
                "dataset": self.config.get("dataset", {}).get("name"), "tags": card.get("tags", []),
                "lineage": lineage.describe(self.config),
                "plots": [f for f in self.config.get("files", {}) if f.endswith(".png")],
                "url": f"/models/{self.name}"}

    def card_markdown(self) -> str:
        from zoo import cards

        path = self.folder / artifacts.CARD_FILE
        return cards.strip_front_matter(path.read_text(encoding="utf-8")) if path.is_file() else ""


def _served_name(source: str) -> str:
    return source if source in registry.artifacts() else Path(source).name


def _render_markdown(text: str, name: str) -> str:
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    # A card's plots are files beside it: point relative image links at the file route.
    return html.replace('src="', f'src="/models/{name}/files/').replace(f'src="/models/{name}/files/http', 'src="http')


# ----------------------------------------------------------------------------- tasks


def _text_generation(served: Served, request: GenerationRequest, loop):
    """Queue the request on the model's batcher. Returns (job, events, prefix): `events` gets
    (token id, piece) for each token when streaming, and (None, None | error) at the end; a
    request that is not streamed gets (None, text) at the end only, so that the event loop is
    not woken for every token of every request."""
    served.art  # loads the model (and starts its batcher) on first use
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


def _vectors_rows(art, inputs) -> list:
    words = [inputs] if isinstance(inputs, str) else inputs
    if not words or len(words) > MAX_ROWS:
        raise ApiError(422, f"give between 1 and {MAX_ROWS} words.")
    rows = [art.wv.get_vector(art.lookup(w)).astype(float).tolist() for w in words]
    return rows[0] if isinstance(inputs, str) else rows


def _word_map(served: Served, word: str, top_k: int) -> dict:
    """The 2-D map of the gallery: PCA of the frequent words' unit vectors, with the word and its
    neighbours placed on it."""
    art = served.art
    key = art.lookup(word)
    if served._word_map is None:
        from zoo.models.word2vec import pca_plane

        words = list(art.wv.index_to_key[20:320])  # after the 20 commonest (the, and, ...), as the card's map
        served._word_map = (words, *pca_plane(art.wv, words))
    words, mean, basis = served._word_map
    place = lambda w: ((art.wv.get_vector(w, norm=True) - mean) @ basis.T).round(4).tolist()  # noqa: E731
    neighbours = art.wv.most_similar(key, topn=top_k)
    return {"word": key, "point": place(key),
            "neighbours": [{"word": w, "score": round(float(s), 4), "point": place(w)} for w, s in neighbours],
            "map": [{"word": w, "point": place(w)} for w in words]}


def _read_image(body: bytes, content_type: str | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not body:
        raise ApiError(400, "send the image's bytes as the request body (PNG or JPEG).")
    if len(body) > MAX_IMAGE_BYTES:
        raise ApiError(413, f"the image is {len(body):,} bytes; the limit is {MAX_IMAGE_BYTES:,}.")
    try:
        image = Image.open(bytes_io.BytesIO(body))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise ApiError(415, f"the body is not an image ({content_type or 'no content type'}); send PNG or JPEG bytes.") from None
    if max(image.size) > MAX_IMAGE_SIDE:
        raise ApiError(413, f"the image is {image.size[0]}x{image.size[1]} pixels; the limit is "
                            f"{MAX_IMAGE_SIDE} on a side. Scale it down.")
    return np.asarray(image.convert("RGB"), dtype="float32")


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    out = bytes_io.BytesIO()
    Image.fromarray(np.clip(array, 0, 255).astype("uint8")).save(out, format="PNG")
    return out.getvalue()


def _classify(served: Served, inputs) -> list:
    rows = np.asarray(inputs, dtype="float64")
    single = rows.ndim == 1
    rows = rows[None] if single else rows
    if rows.ndim != 2 or rows.shape[1] != 2 or not 1 <= len(rows) <= MAX_ROWS:
        raise ApiError(422, f"give a pair of inputs [x1, x2] (or up to {MAX_ROWS} such rows).")
    if not np.isfinite(rows).all():
        raise ApiError(422, "the inputs must be finite numbers.")
    art = served.art
    outputs = np.asarray(art.predict(rows.astype("float32")), dtype="float64")
    results = []
    for out in outputs:
        p1 = float(np.clip(out, 0.0, 1.0))  # the perceptron's step is 0 or 1; the MLP's output is real
        labels = sorted([{"label": "1", "score": round(p1, 6)}, {"label": "0", "score": round(1 - p1, 6)}],
                        key=lambda r: -r["score"])
        results.append([{**label, "output": round(float(out), 6)} for label in labels])
    return results[0] if single else results


# ----------------------------------------------------------------------------- the app


def create_app(sources: list[str] | None = None, *, token: str | None = None) -> FastAPI:
    """The ASGI app serving `sources` (registry names or artifact folders; every pretrained model
    when empty). Models load on their first request; unknown names fail here, before serving."""
    sources = list(sources or registry.artifacts())
    served: dict[str, Served] = {}
    for source in sources:
        if source not in registry.artifacts() and not Path(source).expanduser().is_dir():
            raise registry.unknown_name_error(source, list(registry.artifacts()), "model")
        item = Served(_served_name(source), source)
        served[item.name] = item
    token = token or os.environ.get(TOKEN_ENV) or None

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for item in served.values():  # on shutdown: stop the batchers' threads
            if item.batcher is not None:
                item.batcher.close()

    app = FastAPI(title="keras-zoo", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="The zoo's models behind the Hugging Face Inference API's shapes. "
                              "The gallery page is at `/`.")
    app.state.served = served

    def error(status: int, message: str, headers=None) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return error(exc.status, exc.message)

    @app.exception_handler(ZooError)
    async def _zoo_error(request, exc: ZooError):
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        problems = []
        for item in exc.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
        return error(422, "bad request: " + "; ".join(problems[:5]))

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        open_paths = ("/", "/docs", "/openapi.json", "/health")
        if token and request.url.path not in open_paths and not request.url.path.startswith("/static/"):
            if request.headers.get("authorization", "") != f"Bearer {token}":
                return error(401, "this server needs a token: send the header `Authorization: Bearer TOKEN`.",
                             {"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    def model(name: str) -> Served:
        if name not in served:
            close = difflib.get_close_matches(name, list(served), n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise ApiError(404, f"no served model {name!r}.{hint} Served: {', '.join(served)} (GET /models).")
        return served[name]

    import swagger_ui_bundle  # the OpenAPI page's script and style, served from here: /docs works offline

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def gallery():
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{auth}}", "true" if token else "false"))

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="keras-zoo API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")

    @app.get("/sample-image", include_in_schema=False)
    def sample_image():
        """The gallery's sample photograph (Grace Hopper, from matplotlib's sample data), small."""
        import matplotlib.cbook
        from PIL import Image

        image = Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB")
        image.thumbnail((160, 160))
        return Response(_png(np.asarray(image)), media_type="image/png")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    @app.get("/health")
    def health():
        """Liveness, and how the language models' batching has gone (mean requests per step)."""
        batching = {name: item.batcher.stats() for name, item in served.items() if item.batcher is not None}
        return {"status": "ok", "models": len(served), "batching": batching}

    @app.get("/models", summary="What is served, with each card's metadata")
    def list_models():
        return [item.describe() for item in served.values()]

    @app.get("/models/{name}", summary="One model: metadata and its card")
    def show(name: str):
        item = model(name)
        card = item.card_markdown()
        return {**item.describe(), "card": card, "card_html": _render_markdown(card, name)}

    @app.get("/models/{name}/files/{filename}", summary="A plot of the model's card", include_in_schema=False)
    def files(name: str, filename: str):
        item = model(name)
        # Only a plot the artifact lists in its config, by its exact name: never a path.
        if not filename.endswith(".png") or filename not in item.config.get("files", {}):
            raise ApiError(404, f"{name} has no plot {filename!r}.")
        return FileResponse(item.folder / filename, media_type="image/png")

    async def run_task(name: str, task: str | None, request: Request, filter_name: str | None):
        item = model(name)
        task = task or item.tasks[0]
        if task not in item.tasks:
            raise ApiError(404, f"{name} ({item.architecture}) does not do {task!r}; its tasks: {', '.join(item.tasks)}.")
        if task == "image-to-image":
            image = _read_image(await request.body(), request.headers.get("content-type"))
            return await asyncio.to_thread(_filter_image, item, image, filter_name)
        try:
            body = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"the body is not JSON ({exc.__class__.__name__}: {exc}); send "
                                '{"inputs": ...}.') from None
        if not isinstance(body, dict):
            raise ApiError(422, 'send a JSON object: {"inputs": ..., "parameters": {...}}.')
        if task == "text-generation":
            parsed = _parse(GenerationRequest, body)
            return await _generate(item, parsed)
        if task == "text2text-generation":
            parsed = _parse(Text2TextRequest, body)
            return await asyncio.to_thread(_text2text, item, parsed)
        if task == "tabular-classification":
            parsed = _parse(ClassificationRequest, body)
            return await asyncio.to_thread(_classify, item, parsed.inputs)
        parsed = _parse(WordRequest, body)
        if task == "feature-extraction":
            return await asyncio.to_thread(_vectors_rows, item.art, parsed.inputs)
        if not isinstance(parsed.inputs, str):
            raise ApiError(422, f"{task} takes one word: {{\"inputs\": \"king\"}}.")
        if task == "most-similar":
            pairs = await asyncio.to_thread(lambda: item.art.similar(parsed.inputs, parsed.parameters.top_k))
            return [{"word": w, "score": round(float(s), 6)} for w, s in pairs]
        return await asyncio.to_thread(_word_map, item, parsed.inputs, parsed.parameters.top_k)

    body_doc = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}, "examples": {
        "text-generation": {"value": {"inputs": "ROMEO:", "parameters": {"max_new_tokens": 100, "temperature": 0.8,
                                                                          "seed": 1}}},
        "text2text-generation": {"value": {"inputs": "3 March 1999"}},
        "word vectors": {"value": {"inputs": "king", "parameters": {"top_k": 10}}},
        "tabular-classification": {"value": {"inputs": [1, 0]}}}},
        "image/png": {"schema": {"type": "string", "format": "binary"}}}}}

    @app.post("/models/{name}", summary="Run a model's task", openapi_extra=body_doc)
    async def run(name: str, request: Request, filter: str | None = Query(None, description="cnn-filters: one filter, as image/png")):  # noqa: A002
        return await run_task(name, None, request, filter)

    @app.post("/models/{name}/{task}", summary="Run one of a model's tasks", openapi_extra=body_doc)
    async def run_named(name: str, task: Literal["text-generation", "text2text-generation", "feature-extraction",
                                                 "most-similar", "word-map", "image-to-image",
                                                 "tabular-classification"],
                        request: Request, filter: str | None = Query(None)):  # noqa: A002
        return await run_task(name, task, request, filter)

    return app


def _parse(shape, body: dict):
    from pydantic import ValidationError

    try:
        return shape.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


async def _generate(item: Served, request: GenerationRequest):
    await asyncio.to_thread(lambda: item.art)  # load on first use, off the event loop
    loop = asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown prompt characters: skipped, as generate does
        job, events, prefix = await asyncio.to_thread(_text_generation, item, request, loop)
    if not request.stream:
        try:
            _, text = await events.get()
        finally:
            item.batcher.cancel(job)  # (the client may have gone while it waited)
        if isinstance(text, Exception):  # a step failed: say so, keep serving
            raise ApiError(500, f"generation failed: {text}")
        return [{"generated_text": prefix + text}]

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
        finally:
            item.batcher.cancel(job)  # the client went away: the batcher drops it

    return StreamingResponse(events_stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _text2text(item: Served, request: Text2TextRequest):
    art = item.art
    texts = [request.inputs] if isinstance(request.inputs, str) else request.inputs
    if not 1 <= len(texts) <= MAX_ROWS:
        raise ApiError(422, f"give between 1 and {MAX_ROWS} inputs.")
    outputs = art.translate(texts, beam_size=request.parameters.num_beams)
    results = [{"generated_text": out} for out in outputs]
    if request.parameters.return_attention:
        for result, text in zip(results, texts):
            output, weights, source = art.attention(text)
            result["attention"] = {"input": ["<pad>"] + list(source), "output": list(output) + ["<end>"],
                                   "weights": np.round(weights, 4).tolist()}
    return results


def _filter_image(item: Served, image: np.ndarray, filter_name: str | None):
    art = item.art
    names = art.kernel_names
    if filter_name is not None:
        if filter_name not in names:
            raise ApiError(404, str(registry.unknown_name_error(filter_name, names, "filter")))
        return Response(_png(art.apply(image, filter_name)), media_type="image/png")
    from zoo.models.conv import shown_response

    _, responses = art.responses(image)  # every filter from one pass of the bank
    kernels = art.kernels()
    results = []
    for i, name in enumerate(names):
        shown, _ = shown_response(responses[..., i], kernels[name])  # as the demo's contact sheet shows them
        results.append({"filter": name, "image": "data:image/png;base64," + base64.b64encode(_png(shown)).decode()})
    return results


def serve(sources: list[str] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None) -> None:
    """Run the server until interrupted (zoo serve)."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(f"serving on {host}: other machines can reach these models"
                      + ("" if token or os.environ.get(TOKEN_ENV) else ", and no --token is set (anyone can use them)")
                      + ".", stacklevel=2)
    app = create_app(sources, token=token)
    print(f"serving {len(app.state.served)} model(s) on http://{host}:{port}/ (API docs: /docs); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
