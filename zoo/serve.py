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

What a web page open in the user's browser can do, token or not: nothing. The server answers
only requests whose Host header names it (the address it is bound to, or --allowed-host), so a
page whose domain re-resolves to 127.0.0.1 (DNS rebinding) gets a 400; and a POST must say
`Content-Type: application/json` (or image/png or image/jpeg for an image), which a page of
another origin cannot send without asking first (CORS), and the server never says yes; a POST
whose Origin header is another page is refused too.

Work nobody waits for is not done: a generation request whose client hangs up is cancelled
(zoo/batching.py), and each model holds a bounded number of requests (MAX_BATCH generating,
MAX_WAITING waiting; the other tasks MAX_OTHER_REQUESTS in all); past that the answer is 503
with Retry-After. /health says the bounds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import difflib
import hmac
import io as bytes_io
import ipaddress
import json
import math
import os
import stat
import threading
import warnings
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from zoo import artifacts, images, lineage, registry
from zoo.batching import MAX_BATCH, MAX_WAITING, BatcherFull
from zoo.errors import ZooError

STATIC_DIR = Path(__file__).parent / "gallery"
MAX_NEW_TOKENS = 1000          # per request: a stated cap (the error says it)
MAX_PROMPT_CHARS = 4000
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 1024
MAX_ROWS = 256                 # rows per classification or feature-extraction request
MAX_INPUT = 1e6                # a classifier's inputs are bits; far larger ones overflow float32
MAX_OTHER_REQUESTS = 32        # requests of the tasks other than generation, running or waiting
MAX_CARD_BYTES = 1024 * 1024   # a card, and a plot, the server reads from an artifact's folder
MAX_PLOT_BYTES = 16 * 1024 * 1024
TOKEN_ENV = "ZOO_SERVE_TOKEN"
JSON_TYPE = "application/json"
IMAGE_TYPES = ("image/png", "image/jpeg")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")
# The gallery's page runs no script but its own, and an image only from here (a card's plots) or
# the page itself (data: and blob: URLs of the filtered images): even a string that escaped
# escaping could not run as script, nor send anything elsewhere.
GALLERY_POLICY = ("default-src 'self'; script-src 'self'; img-src 'self' data: blob:; "
                  "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

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
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


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

    def __init__(self, name: str, source: str, max_batch: int = MAX_BATCH, max_waiting: int = MAX_WAITING):
        self.name, self.source = name, source
        self.max_batch, self.max_waiting = max_batch, max_waiting
        entry = registry.artifacts().get(source)
        # A registry artifact's files were checked against the registry's hashes (in a Hub
        # download, they are links into its cache); a folder the user names is untrusted.
        self.links_allowed = entry is not None
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

                    self.batcher = Batcher(self._art, self.max_batch, self.max_waiting)
            return self._art

    def describe(self) -> dict:
        card = self.config.get("card", {})
        return {"name": self.name, "architecture": self.architecture, "task": self.tasks[0], "tasks": list(self.tasks),
                "description": self.config.get("description", ""), "metrics": self.config.get("metrics", {}),
                "dataset": self.config.get("dataset", {}).get("name"), "tags": card.get("tags", []),
                "lineage": lineage.describe(self.config),
                "plots": [f for f in self.config.get("files", {}) if f.endswith(".png")],
                "url": f"/models/{quote(self.name, safe='')}"}

    def card_markdown(self) -> str:
        from zoo import cards

        try:
            data = self.file_bytes(artifacts.CARD_FILE, MAX_CARD_BYTES)
        except ApiError as error:
            if error.status == 404:  # a folder without a card: an empty one
                return ""
            raise
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ApiError(422, f"{self.name}'s card ({artifacts.CARD_FILE}) is not UTF-8 text (byte {error.start}); "
                                "save it as UTF-8 to have it shown.") from None
        return cards.strip_front_matter(text)

    def file_bytes(self, filename: str, limit: int) -> bytes:
        """A file the artifact's folder offers (its card, a plot): a regular file directly in the
        folder, not a link to somewhere else (README.md -> /etc/passwd), nor a pipe or a device,
        read within `limit` bytes. ApiError otherwise."""
        path = self.folder / filename
        if filename in ("", ".", "..") or "/" in filename or os.sep in filename:
            raise ApiError(404, f"{self.name} has no file {filename!r}.")
        if not self.links_allowed and path.is_symlink():
            raise ApiError(403, f"{filename} in {self.name} is a link; the server serves only regular files "
                                "inside the artifact's folder (copy the folder with `cp -rL` to resolve links).")
        # O_NOFOLLOW: a link put in place after the check above fails to open. O_NONBLOCK: a pipe
        # named README.md does not hang the open (it is refused below as not a regular file).
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
        if not self.links_allowed:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(path, flags)
        except FileNotFoundError:
            raise ApiError(404, f"{self.name} has no file {filename!r}.") from None
        except OSError as error:
            raise ApiError(403, f"{filename} in {self.name} cannot be opened ({error.strerror}); the server serves "
                                "only regular files inside the artifact's folder.") from None
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ApiError(403, f"{filename} in {self.name} is not a regular file; the server serves only "
                                    "regular files inside the artifact's folder.")
            data = file.read(limit + 1)
        if len(data) > limit:
            raise ApiError(403, f"{filename} in {self.name} is over {limit:,} bytes, the most the server reads "
                                "for it.")
        return data


def _served_name(source: str) -> str:
    # The folder's own name, links not followed (`.` is the current folder's name).
    return source if source in registry.artifacts() else Path(os.path.abspath(os.path.expanduser(source))).name


def _render_markdown(text: str, name: str) -> str:
    """A card as HTML. Raw HTML in the markdown is shown as text, not passed through ("html":
    False), and every attribute is escaped by markdown-it; the model's name goes into links
    URL-quoted (a folder may be named `x" onerror="...`)."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    files_url = f"/models/{quote(name, safe='')}/files/"

    def plots_beside_the_card(state):
        # A card's plots are files beside it: point relative image links at the file route.
        for block in state.tokens:
            for token in block.children or ():
                src = token.attrGet("src") if token.type == "image" else None
                if src and not urlsplit(src).scheme and not src.startswith(("/", "#")):
                    token.attrSet("src", files_url + src)

    renderer.core.ruler.push("plots_beside_the_card", plots_beside_the_card)
    return renderer.render(text)


def _host_name(header: str) -> str:
    """The name in a Host header, without the port: "127.0.0.1:8000" -> "127.0.0.1",
    "[::1]:8000" -> "::1", "LocalHost." -> "localhost"."""
    name = header.strip().lower()
    if name.startswith("["):
        name = name[1:name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":")[0]
    return name.rstrip(".")


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """Every request passes here first (an ASGI middleware, so that streamed responses and
    disconnects go through untouched): a Host header the server does not answer to gets a 400
    (DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 is not served),
    a POST from a page of another origin a 403, and with a token, an API request without it a
    401."""

    OPEN_PATHS = ("/", "/docs", "/openapi.json", "/health", "/favicon.ico")

    def __init__(self, app, *, host: str, allowed_hosts=(), token: str | None = None):
        self.app, self.token = app, token
        bound = _host_name(host)
        self.names = {bound, *(_host_name(h) for h in allowed_hosts)}
        if bound in LOOPBACK_NAMES or bound in ALL_INTERFACES:
            self.names |= set(LOOPBACK_NAMES)
        self.names.discard("")
        # Bound to every interface, the server is reached at any of the machine's addresses; a
        # Host that is an address (not a name) cannot be a rebinding: the page's origin is then
        # the server itself.
        self.any_address = bound in ALL_INTERFACES

    def host_allowed(self, header: str | None) -> bool:
        if header is None:  # HTTP/1.0 clients may send none; every browser sends one
            return True
        name = _host_name(header)
        return name in self.names or (self.any_address and _is_ip_address(name))

    @staticmethod
    def same_origin(origin: str, host: str | None) -> bool:
        """Whether a browser's Origin header is this server as the request reached it (the
        scheme and the Host header's name and port); "null" (a sandboxed page) is not."""
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and host is not None and parts.netloc.lower() == host.strip().lower()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not self.host_allowed(host):
            name = _host_name(host)
            response = _error(400, f"this server does not answer to the host name {name!r} (it answers to "
                                   f"{', '.join(sorted(self.names))}); if you reach it by that name, start it with "
                                   f"--allowed-host {name}.")
            return await response(scope, receive, send)
        # A browser names the page a request comes from; a page of another origin gets nothing
        # here (it could send only what the content-type check refuses; this is the second lock).
        origin = headers.get("origin")
        if origin is not None and scope["method"] not in ("GET", "HEAD") and not self.same_origin(origin, host):
            return await _error(403, f"a page of another origin ({origin}) may not use this server.")(scope, receive, send)
        path = scope["path"]
        if self.token and path not in self.OPEN_PATHS and not path.startswith("/static/"):
            if not hmac.compare_digest(headers.get("authorization", "").encode(), f"Bearer {self.token}".encode()):
                response = _error(401, "this server needs a token: send the header `Authorization: Bearer TOKEN`.",
                                  {"WWW-Authenticate": "Bearer"})
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def _error(status: int, message: str, headers=None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Slots:
    """At most `limit` requests at once (running or waiting for a thread); one more gets a 503
    with Retry-After, so that a burst cannot queue work without end. Used on the event loop's
    thread only, so a plain count will do."""

    def __init__(self, limit: int):
        self.limit, self.taken = limit, 0

    @contextlib.contextmanager
    def take(self):
        if self.taken >= self.limit:
            raise ApiError(503, f"the server is busy: {self.limit} requests are running or waiting (the most it "
                                "holds); try again in a second.", {"Retry-After": "1"})
        self.taken += 1
        try:
            yield
        finally:
            self.taken -= 1


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
        from zoo.families.word2vec.model import pca_plane

        words = list(art.wv.index_to_key[20:320])  # after the 20 commonest (the, and, ...), as the card's map
        served._word_map = (words, *pca_plane(art.wv, words))
    words, mean, basis = served._word_map
    place = lambda w: ((art.wv.get_vector(w, norm=True) - mean) @ basis.T).round(4).tolist()  # noqa: E731
    neighbours = art.wv.most_similar(key, topn=top_k)
    return {"word": key, "point": place(key),
            "neighbours": [{"word": w, "score": round(float(s), 4), "point": place(w)} for w, s in neighbours],
            "map": [{"word": w, "point": place(w)} for w in words]}


def _read_image(body: bytes, content_type: str | None) -> np.ndarray:
    """The uploaded image as a float32 (H, W, 3) array. Its size is checked from its header
    before it is decoded: a small PNG can hold a huge image of one colour."""
    from PIL import UnidentifiedImageError

    if not body:
        raise ApiError(400, "send the image's bytes as the request body (PNG or JPEG).")
    if len(body) > MAX_IMAGE_BYTES:
        raise ApiError(413, f"the image is {len(body):,} bytes; the limit is {MAX_IMAGE_BYTES:,}.")
    not_an_image = f"the body is not an image ({content_type or 'no content type'}); send PNG or JPEG bytes."
    try:
        image = images.open_image(bytes_io.BytesIO(body), "the image")
    except images.ImageTooLargeError as error:
        raise ApiError(413, str(error)) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ApiError(415, not_an_image) from None
    if max(image.size) > MAX_IMAGE_SIDE:
        raise ApiError(413, f"the image is {image.size[0]}x{image.size[1]} pixels; the limit is "
                            f"{MAX_IMAGE_SIDE} on a side. Scale it down.")
    try:
        return np.asarray(image.convert("RGB"), dtype="float32")
    except (OSError, ValueError):  # a truncated or damaged image
        raise ApiError(415, not_an_image) from None


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    out = bytes_io.BytesIO()
    Image.fromarray(np.clip(array, 0, 255).astype("uint8")).save(out, format="PNG")
    return out.getvalue()


def _classify(served: Served, inputs) -> list:
    single = not inputs or not isinstance(inputs[0], list)
    rows = [inputs] if single else inputs
    # Each row checked before numpy sees them: ragged rows ([[1, 0], [1]]) are no array.
    if not 1 <= len(rows) <= MAX_ROWS or any(len(row) != 2 for row in rows):
        raise ApiError(422, f"give a pair of inputs [x1, x2] (or up to {MAX_ROWS} such rows, each a pair).")
    rows = np.asarray(rows, dtype="float64")
    if not (np.abs(rows) <= MAX_INPUT).all():  # (NaN fails this too)
        raise ApiError(422, f"the inputs must be finite numbers between -{MAX_INPUT:g} and {MAX_INPUT:g} "
                            "(the classifiers take bits, 0 and 1).")
    art = served.art
    outputs = np.asarray(art.predict(rows.astype("float32")), dtype="float64")
    if not np.isfinite(outputs).all():
        raise ApiError(422, "the model's output is not a finite number for these inputs.")
    results = []
    for out in outputs:
        p1 = float(np.clip(out, 0.0, 1.0))  # the perceptron's step is 0 or 1; the MLP's output is real
        labels = sorted([{"label": "1", "score": round(p1, 6)}, {"label": "0", "score": round(1 - p1, 6)}],
                        key=lambda r: -r["score"])
        results.append([{**label, "output": round(float(out), 6)} for label in labels])
    return results[0] if single else results


# ----------------------------------------------------------------------------- the app


def create_app(sources: list[str] | None = None, *, token: str | None = None, host: str = "127.0.0.1",
               allowed_hosts=(), max_batch: int = MAX_BATCH, max_waiting: int = MAX_WAITING,
               max_other_requests: int = MAX_OTHER_REQUESTS) -> FastAPI:
    """The ASGI app serving `sources` (registry names or artifact folders; every pretrained model
    when empty). Models load on their first request; unknown names fail here, before serving.

    host: the address the server is bound to, and allowed_hosts other names it is reached by:
    a request with any other Host header is refused. max_batch and max_waiting bound each
    language model's requests (generating, waiting), max_other_requests the other tasks'."""
    sources = list(sources or registry.artifacts())
    served: dict[str, Served] = {}
    for source in sources:
        if source not in registry.artifacts() and not Path(source).expanduser().is_dir():
            raise registry.unknown_name_error(source, list(registry.artifacts()), "model")
        name = _served_name(source)
        if name in served:  # one URL per model: two folders of one name would shadow each other
            raise ZooError(f"{served[name].source} and {source} would both be served as {name!r}; serve one of "
                           "them, or rename a folder.")
        served[name] = Served(name, source, max_batch, max_waiting)
    token = token or os.environ.get(TOKEN_ENV) or None
    other_requests = Slots(max_other_requests)

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
    app.add_middleware(Guard, host=host, allowed_hosts=allowed_hosts, token=token)
    error = _error

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return error(exc.status, exc.message, exc.headers)

    @app.exception_handler(BatcherFull)
    async def _busy(request, exc: BatcherFull):
        return error(503, str(exc), {"Retry-After": str(exc.retry_after)})

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

    @app.exception_handler(Exception)
    async def _bug(request, exc: Exception):  # a bug: still a JSON answer (and the traceback in the log)
        return error(500, f"internal error ({type(exc).__name__}); the server keeps serving.")

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
        return HTMLResponse(page.replace("{{auth}}", "true" if token else "false"),
                            headers={"Content-Security-Policy": GALLERY_POLICY})

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
        """Liveness; the bounds on requests held (more get a 503 with Retry-After); how the
        language models' batching has gone (mean requests per step, requests held now)."""
        batching = {name: item.batcher.stats() for name, item in served.items() if item.batcher is not None}
        limits = {"generation": {"batch": max_batch, "waiting": max_waiting, "per": "model"},
                  "other_requests": max_other_requests, "max_new_tokens": MAX_NEW_TOKENS,
                  "image_bytes": MAX_IMAGE_BYTES, "image_side": MAX_IMAGE_SIDE, "image_pixels": images.MAX_PIXELS}
        return {"status": "ok", "models": len(served), "limits": limits,
                "other_requests": other_requests.taken, "batching": batching}

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
        return Response(item.file_bytes(filename, MAX_PLOT_BYTES), media_type="image/png")

    async def run_task(name: str, task: str | None, request: Request, filter_name: str | None):
        item = model(name)
        task = task or item.tasks[0]
        if task not in item.tasks:
            raise ApiError(404, f"{name} ({item.architecture}) does not do {task!r}; its tasks: {', '.join(item.tasks)}.")
        _check_content_type(request, task)
        if task == "text-generation":
            return await _generate(item, _parse(GenerationRequest, await _json_object(request)), request)
        with other_requests.take():
            return await run_other_task(item, task, request, filter_name)

    async def run_other_task(item: Served, task: str, request: Request, filter_name: str | None):
        if task == "image-to-image":
            body, content_type = await request.body(), request.headers.get("content-type")
            return await asyncio.to_thread(lambda: _filter_image(item, _read_image(body, content_type), filter_name))
        body = await _json_object(request)
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


def _check_content_type(request: Request, task: str) -> None:
    """A POST says it is JSON (or, for an image, PNG or JPEG). A page of another origin can send
    text/plain or a form without asking; it cannot send these without the browser asking the
    server first (a CORS preflight), which this server never grants."""
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if task == "image-to-image":
        if sent not in IMAGE_TYPES:
            raise ApiError(415, f"send the image's bytes with the header `Content-Type: image/png` (or image/jpeg), "
                                f"not {sent or 'no content type'}.")
    elif sent != JSON_TYPE:
        raise ApiError(415, f"send the body as JSON with the header `Content-Type: {JSON_TYPE}`, not "
                            f"{sent or 'no content type'}.")


async def _json_object(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body is not JSON ({exc.__class__.__name__}: {exc}); send "
                            '{"inputs": ...}.') from None
    except RecursionError:  # (the parser's depth is Python's recursion limit, about 1000)
        raise ApiError(400, 'the body\'s JSON is nested too deeply to read; send {"inputs": ..., '
                            '"parameters": {...}}.') from None
    if not isinstance(body, dict):
        raise ApiError(422, 'send a JSON object: {"inputs": ..., "parameters": {...}}.')
    return body


def _parse(shape, body: dict):
    from pydantic import ValidationError

    try:
        return shape.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


async def _cancel_when_gone(request: Request, batcher, job) -> None:
    """Wait for the client to hang up, then cancel its job, so that no token is made for nobody.
    (Starlette tells an endpoint nothing of a client that goes while it waits: the next message
    from the server, once the body is read, is the disconnect.)"""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    batcher.cancel(job)


async def _generate(item: Served, request: GenerationRequest, http_request: Request):
    await asyncio.to_thread(lambda: item.art)  # load on first use, off the event loop
    loop = asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown prompt characters: skipped, as generate does
        job, events, prefix = await asyncio.to_thread(_text_generation, item, request, loop)
    # The job ends, and `events` gets its last event, when its tokens are made or when the client
    # goes: the watcher cancels it then.
    watcher = asyncio.create_task(_cancel_when_gone(http_request, item.batcher, job))
    if not request.stream:
        try:
            _, text = await events.get()
        finally:
            watcher.cancel()
            item.batcher.cancel(job)  # (this task itself was cancelled: the server is stopping)
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
        finally:  # the stream ended, or the client went away: the batcher drops the job
            watcher.cancel()
            item.batcher.cancel(job)

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
    from zoo.families.cnn_filters.model import shown_response

    _, responses = art.responses(image)  # every filter from one pass of the bank
    kernels = art.kernels()
    results = []
    for i, name in enumerate(names):
        shown, _ = shown_response(responses[..., i], kernels[name])  # as the demo's contact sheet shows them
        results.append({"filter": name, "image": "data:image/png;base64," + base64.b64encode(_png(shown)).decode()})
    return results


def serve(sources: list[str] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, allowed_hosts=()) -> None:
    """Run the server until interrupted (zoo serve)."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(f"serving on {host}: other machines can reach these models"
                      + ("" if token or os.environ.get(TOKEN_ENV) else ", and no --token is set (anyone can use them)")
                      + ".", stacklevel=2)
    app = create_app(sources, token=token, host=host, allowed_hosts=allowed_hosts)
    print(f"serving {len(app.state.served)} model(s) on http://{host}:{port}/ (API docs: /docs); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
