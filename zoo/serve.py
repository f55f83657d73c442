"""`zoo serve`: every model behind an HTTP API, and a gallery page to try them in a browser.

    zoo serve                          # every pretrained model, on http://127.0.0.1:8000
    zoo serve charrnn-shakespeare runs/mine --port 8080 --token s3cret

The API follows the Hugging Face Inference API's shapes where the task has one:

    POST /models/{name}          the model's task (below); POST /models/{name}/{task} names one
    GET  /models                 what is served, with each card's metadata
    GET  /models/{name}          one model: metadata, its card (markdown and HTML), its plots
    GET  /                       the gallery page; /docs the OpenAPI docs (offline)

Language models also speak the protocols their clients already use, on the same batcher:

    POST /models/{name}/generate, /models/{name}/generate_stream    text-generation-inference's
    POST /, /generate, /generate_stream      the same, for the one language model served (with
                                             several, a 400 says to name one)
    GET  /v1/models, POST /v1/completions    OpenAI's (the `openai` client with base_url .../v1;
                                             /v1/chat/completions: a 400, no model chats)

so huggingface_hub's `InferenceClient("http://127.0.0.1:8000/models/NAME")` (or the server's
own URL, with one language model served) and `openai.OpenAI(base_url="http://127.0.0.1:8000/v1",
api_key=...)` work unchanged (zoo/server_tgi.py, zoo/server_openai.py). POST /models/{name}
takes TGI's parameter set, with huggingface_hub's types as its schema.

One rule for the prompt, on every route, streamed or not: the answer is the continuation alone
unless the request asks for the prompt too (`return_full_text: true`; OpenAI's `echo: true`).
That is text-generation-inference's default, OpenAI's and vLLM's, and what `art.generate` has
always returned; a stream cannot repeat the prompt token by token anyway, and the gallery shows
the prompt itself. (The Inference API's transformers pipeline prepended it by default, and so
did this server's POST /models/{name} until it followed TGI.)

What a model answers is its artifact class's: the class declares its tasks (`tasks`, a tuple of
zoo.hooks.Task; the first is what POST /models/{name} runs), and the server reads them from the
class that registry.json names for the architecture, without loading the model. A task names its
request schema and its run function as "module:attribute" strings; they are imported on the
first request that needs them. Each family writes its tasks in zoo/families/NAME/serving.py (its
docstring shows the requests and answers); text-generation, which every language model serves,
is in zoo/server_tgi.py (on zoo/server_generation.py, which the protocols share); zoo/server_tasks.py
says what a run function gets and returns.

The gallery shows one widget per model, for its first task that names a widget kind
(Task.widget). zoo/gallery/gallery.js draws the shared kinds; a family brings a kind of its own
in zoo/families/NAME/widget.js, beside its artifact class: the server serves that file at
/widgets/NAME.js and the page loads it before gallery.js, and the script registers its kind:

    window.zooWidgets = window.zooWidgets || {};
    window.zooWidgets["word-map"] = (model, task, ui) => [...nodes];   // ui: $, api, showError ...

Errors are JSON, {"error": "..."} with a 4xx status, and the server keeps serving. It binds
127.0.0.1 unless told otherwise; `--token` (or ZOO_SERVE_TOKEN) asks every request for
`Authorization: Bearer TOKEN`.

What a web page open in the user's browser can do, token or not: nothing. The server answers
only requests whose Host header names it (the address it is bound to, or --allowed-host), so a
page whose domain re-resolves to 127.0.0.1 (DNS rebinding) gets a 400; and a POST must say
`Content-Type: application/json` (or image/png or image/jpeg for an image), which a page of
another origin cannot send without asking first (CORS), and the server never says yes; a POST
whose Origin header is another page is refused too (zoo/server_guard.py).

Work nobody waits for is not done: a generation request whose client hangs up is cancelled
(zoo/batching.py), and each model holds a bounded number of requests (MAX_BATCH generating,
MAX_WAITING waiting; the other tasks MAX_OTHER_REQUESTS in all); past that the answer is 503
with Retry-After. /health says the bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import functools
import html
import inspect
import os
import stat
import sys
import threading
import warnings
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from zoo import artifacts, images, lineage, registry, resolver, server_openai, server_tgi
from zoo.batching import MAX_BATCH, MAX_WAITING, BatcherFull
from zoo.errors import ZooError
from zoo.hooks import Task
from zoo.server_generation import MAX_NEW_TOKENS
from zoo.server_guard import Guard, Slots, error_response
from zoo.server_tasks import JSON_TYPE, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, ApiError, json_body

__all__ = ["ApiError", "Guard", "Served", "Slots", "create_app", "serve"]

STATIC_DIR = Path(__file__).parent / "gallery"
WIDGET_FILE = "widget.js"      # a family's own gallery widget, beside its artifact class
MAX_OTHER_REQUESTS = 32        # requests of the tasks run on threads (all but generation), running or waiting
MAX_CARD_BYTES = 1024 * 1024   # a card, and a plot, the server reads from an artifact's folder
MAX_PLOT_BYTES = 16 * 1024 * 1024
TOKEN_ENV = "ZOO_SERVE_TOKEN"
# The gallery's page runs no script but its own, and an image only from here (a card's plots) or
# the page itself (data: and blob: URLs of the filtered images): even a string that escaped
# escaping could not run as script, nor send anything elsewhere.
GALLERY_POLICY = ("default-src 'self'; script-src 'self'; img-src 'self' data: blob:; "
                  "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


# ----------------------------------------------------------------------------- the models


_LOADING = threading.Lock()


class Served:
    """A served model: its facts at once (for /models and the page), its weights on first use."""

    batcher = None  # a language model's Batcher (zoo/batching.py), started when the model loads

    def __init__(self, name: str, source: str, max_batch: int = MAX_BATCH, max_waiting: int = MAX_WAITING):
        self.name, self.source = name, source
        self.max_batch, self.max_waiting = max_batch, max_waiting
        # A registry artifact's files were checked against the registry's hashes (in a Hub
        # download, they are links into its cache); a folder the user names is untrusted.
        self.resolved = resolver.resolve(source)  # a registry artifact not installed is downloaded now
        self.folder, self.links_allowed = self.resolved.folder, self.resolved.links_allowed
        self.config = self.resolved.read_config()
        self.architecture = self.config["architecture"]
        # The tasks are the artifact class's: read from the class, the model not loaded.
        self.artifact_class = registry.artifact_class(self.architecture)
        self.tasks: tuple[Task, ...] = tuple(getattr(self.artifact_class, "tasks", ()))
        if not self.tasks:
            raise ZooError(f"{source}: the server has no task for architecture {self.architecture!r} (its class "
                           f"{self.artifact_class.__name__} declares no `tasks`).")
        self.task_names = [task.name for task in self.tasks]
        self.cache: dict = {}  # what a task computes once per model (see zoo/server_tasks.py)
        self._art = None

    @property
    def art(self):
        # One model loads at a time: concurrent first requests would otherwise import TensorFlow
        # on several threads at once, which deadlocks its imports.
        with _LOADING:
            if self._art is None:
                from zoo.language_model import LanguageModel

                self._art = resolver.load(self.resolved)
                if isinstance(self._art, LanguageModel):  # concurrent streams share its steps
                    from zoo.batching import Batcher

                    self.batcher = Batcher(self._art, self.max_batch, self.max_waiting)
            return self._art

    def task(self, name: str | None) -> Task:
        """One of the model's tasks by name (None: its first), or a 404 naming its tasks."""
        for task in self.tasks:
            if name is None or task.name == name:
                return task
        raise ApiError(404, f"{self.name} ({self.architecture}) does not do {name!r}; its tasks: "
                            f"{', '.join(self.task_names)}.")

    def describe(self) -> dict:
        card = self.config.get("card", {})
        url = f"/models/{quote(self.name, safe='')}"
        return {"name": self.name, "architecture": self.architecture, "task": self.task_names[0],
                "tasks": self.task_names,
                "widgets": [{"task": t.name, "widget": t.widget, "url": f"{url}/{t.name}"} for t in self.tasks if t.widget],
                "widget_defaults": dict(self.artifact_class.widget_defaults),
                "description": self.config.get("description", ""), "metrics": self.config.get("metrics", {}),
                "dataset": self.config.get("dataset", {}).get("name"), "tags": card.get("tags", []),
                "lineage": lineage.describe(self.config),
                "plots": [f for f in self.config.get("files", {}) if f.endswith(".png")],
                "url": url}

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


def widget_scripts(served: dict[str, Served]) -> dict[str, Path]:
    """The family widgets the page loads: {family folder's name: its widget.js}, for each served
    artifact class whose module has a widget.js beside it (zoo/families/NAME/widget.js)."""
    scripts = {}
    for item in served.values():
        for cls in inspect.getmro(item.artifact_class):  # a base class's family counts too
            module = sys.modules.get(cls.__module__)
            path = Path(getattr(module, "__file__", None) or ".").parent / WIDGET_FILE
            if cls.__module__.startswith("zoo.families.") and path.is_file():
                scripts[path.parent.name] = path
    return dict(sorted(scripts.items()))


@functools.lru_cache(maxsize=None)
def _imported(dotted: str | None):
    """A task's run function or request schema, imported on first use (registry.resolve imports
    only the zoo's own modules)."""
    return None if dotted is None else registry.resolve(dotted)


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
    _add_error_handlers(app)
    _add_page_routes(app, widget_scripts(served), token)

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

    _add_model_routes(app, served)
    # The protocols' own routes before /models/{name}/{task}, which would take /models/{name}/generate.
    server_tgi.add_routes(app, served, _model)
    server_openai.add_routes(app, served, _model)
    _add_task_routes(app, served, other_requests)
    return app


def _model(served: dict[str, Served], name: str) -> Served:
    if name not in served:
        close = difflib.get_close_matches(name, list(served), n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ApiError(404, f"no served model {name!r}.{hint} Served: {', '.join(served)} (GET /models).")
    return served[name]


def _add_error_handlers(app: FastAPI) -> None:
    """Every error is one line of JSON, {"error": ...}, and the server keeps serving."""

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers, request.url.path)

    @app.exception_handler(BatcherFull)
    async def _busy(request, exc: BatcherFull):
        return error_response(503, str(exc), {"Retry-After": str(exc.retry_after)}, request.url.path)

    @app.exception_handler(ZooError)
    async def _zoo_error(request, exc: ZooError):
        return error_response(400, str(exc), path=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        problems = []
        for item in exc.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
        return error_response(422, "bad request: " + "; ".join(problems[:5]), path=request.url.path)

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        return error_response(exc.status_code, str(exc.detail), path=request.url.path)

    @app.exception_handler(Exception)
    async def _bug(request, exc: Exception):  # a bug: still a JSON answer (and the traceback in the log)
        return error_response(500, f"internal error ({type(exc).__name__}); the server keeps serving.",
                              path=request.url.path)


def _add_page_routes(app: FastAPI, widgets: dict[str, Path], token: str | None) -> None:
    """The gallery page, its scripts (the families' widgets among them), the offline API docs."""
    import swagger_ui_bundle  # the OpenAPI page's script and style, served from here: /docs works offline

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The family names are folder names of the zoo, not the user's; escaped all the same.
    tags = "\n".join(f'<script src="/widgets/{html.escape(quote(family))}.js"></script>' for family in widgets)

    @app.get("/", include_in_schema=False)
    def gallery():
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        page = page.replace("{{auth}}", "true" if token else "false").replace("{{widgets}}", tags)
        return HTMLResponse(page, headers={"Content-Security-Policy": GALLERY_POLICY})

    @app.get("/widgets/{family}.js", include_in_schema=False)
    def widget(family: str):
        if family not in widgets:  # only a file found at start-up, by its family's name: never a path
            raise ApiError(404, f"no widget {family!r}.")
        return Response(widgets[family].read_bytes(), media_type="text/javascript")

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
        import numpy as np
        from PIL import Image

        from zoo.server_tasks import png

        image = Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB")
        image.thumbnail((160, 160))
        return Response(png(np.asarray(image)), media_type="image/png")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)


def _add_model_routes(app: FastAPI, served: dict[str, Served]) -> None:
    """What is served: the list, one model with its card, a plot of its card."""

    @app.get("/models", summary="What is served, with each card's metadata")
    def list_models():
        return [item.describe() for item in served.values()]

    @app.get("/models/{name}", summary="One model: metadata and its card")
    def show(name: str):
        item = _model(served, name)
        card = item.card_markdown()
        return {**item.describe(), "card": card, "card_html": _render_markdown(card, name)}

    @app.get("/models/{name}/files/{filename}", summary="A plot of the model's card", include_in_schema=False)
    def files(name: str, filename: str):
        item = _model(served, name)
        # Only a plot the artifact lists in its config, by its exact name: never a path.
        if not filename.endswith(".png") or filename not in item.config.get("files", {}):
            raise ApiError(404, f"{name} has no plot {filename!r}.")
        return Response(item.file_bytes(filename, MAX_PLOT_BYTES), media_type="image/png")


def _add_task_routes(app: FastAPI, served: dict[str, Served], other_requests: Slots) -> None:
    """POST /models/{name} and /models/{name}/{task}: a model's task, as its class declares it."""
    tasks = {task.name: task for item in served.values() for task in item.tasks}
    listed = "\n".join(f"- **{name}**: {task.description}" for name, task in tasks.items())
    body_doc = {"requestBody": {"content": {JSON_TYPE: {"schema": {"type": "object"}},
                                            "application/octet-stream": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}

    async def run_task(name: str, task_name: str | None, http: Request):
        item = _model(served, name)
        task = item.task(task_name)
        run, schema = _imported(task.run), _imported(task.request)
        if schema is None:  # the body as it came (an image): the task checks its content type
            request = await http.body()
        else:  # a JSON body: a page of another origin cannot send one without asking (CORS)
            request = await json_body(http, schema)
        if inspect.iscoroutinefunction(run):  # it bounds its own work (generation: the batcher)
            return await run(item, request, http)
        with other_requests.take():
            return await asyncio.to_thread(run, item, request, http)

    @app.post("/models/{name}", summary="Run a model's task (its first)", description=listed,
              openapi_extra=body_doc)
    async def run(name: str, request: Request):
        return await run_task(name, None, request)

    async def run_named(name: str, task: str, request: Request):
        return await run_task(name, task, request)

    # The task is one of those served (a name none serves gets a 422 that lists them).
    run_named.__annotations__["task"] = Literal[tuple(tasks)]
    app.post("/models/{name}/{task}", summary="Run one of a model's tasks", description=listed,
             openapi_extra=body_doc)(run_named)


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
