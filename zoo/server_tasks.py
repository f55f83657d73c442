"""What the code of a served task gets from the server: its error, its request base, its limits.

A family answers requests in `zoo/families/NAME/serving.py`, and its artifact class names each
task (zoo.hooks.Task). A task's `run` is a function of three arguments:

    def run(served, request, http):
        served    the model being served (zoo.serve.Served): `served.art` loads the artifact on
                  first use; `served.name`, `served.config`; `served.cache`, a dict the task may
                  keep things in that it computes once per model (word2vec's map plane)
        request   the body, parsed by the task's `request` schema (a pydantic model, below: Strict);
                  a task without a schema gets the body's bytes as they came
        http      the HTTP request (starlette.requests.Request): its headers, its query string

It returns what the client gets: JSON-able data, or a starlette Response of its own. A plain
function runs on a worker thread and holds one of the server's places for such requests
(MAX_OTHER_REQUESTS in zoo/serve.py); an `async def` runs on the event loop and bounds its own
work (text generation queues on the model's batcher). An error the client should see is raised
as ApiError(status, message); a ZooError (a word not in the vocabulary ...) answers 400.

This module imports nothing heavy at its top: the server imports it before any model is loaded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_ROWS = 256                 # rows (words, inputs, texts) per request of a batched task
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 1024
JSON_TYPE = "application/json"
IMAGE_TYPES = ("image/png", "image/jpeg")


class ApiError(Exception):
    """An answer with a 4xx (or 5xx) status and {"error": message} as its body."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class Strict(BaseModel):
    """The base of every request schema: a misspelt parameter is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


def content_type(http) -> str:
    """The request's media type, lower-case, without parameters ("" when none was sent)."""
    return http.headers.get("content-type", "").split(";")[0].strip().lower()


def refuse_content_type(sent: str, wanted: str) -> ApiError:
    return ApiError(415, f"{wanted}, not {sent or 'no content type'}.")


async def json_body(http, schema, example: str = '{"inputs": ..., "parameters": {...}}'):
    """The request's JSON object parsed by `schema` (a pydantic model), after checking that it
    was sent as JSON: a page of another origin cannot send that without asking (CORS). A body
    that is not JSON is a 400, one of the wrong shape a 422, each in one line."""
    import json

    from fastapi.exceptions import RequestValidationError
    from pydantic import ValidationError

    if content_type(http) != JSON_TYPE:
        raise refuse_content_type(content_type(http),
                                  f"send the body as JSON with the header `Content-Type: {JSON_TYPE}`")
    try:
        body = json.loads(await http.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body is not JSON ({exc.__class__.__name__}: {exc}); send {example}.") from None
    except RecursionError:  # (the parser's depth is Python's recursion limit, about 1000)
        raise ApiError(400, f"the body's JSON is nested too deeply to read; send {example}.") from None
    if not isinstance(body, dict):
        raise ApiError(422, f"send a JSON object: {example}.")
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def rows(inputs, what: str) -> list:
    """A request's inputs as a list of 1 to MAX_ROWS rows (one input is a list of one)."""
    listed = [inputs] if isinstance(inputs, str) else inputs
    if not listed or len(listed) > MAX_ROWS:
        raise ApiError(422, f"give between 1 and {MAX_ROWS} {what}.")
    return listed


# ----------------------------------------------------------------------------- images


def read_image(body: bytes, http):
    """An uploaded image (the body, sent as image/png or image/jpeg) as a float32 (H, W, 3)
    array. Its size is checked from its header before it is decoded: a small PNG can hold a
    huge image of one colour."""
    import io as bytes_io

    import numpy as np
    from PIL import UnidentifiedImageError

    from zoo import images

    sent = content_type(http)
    if sent not in IMAGE_TYPES:
        raise refuse_content_type(sent, "send the image's bytes with the header `Content-Type: image/png` "
                                        "(or image/jpeg)")
    if not body:
        raise ApiError(400, "send the image's bytes as the request body (PNG or JPEG).")
    if len(body) > MAX_IMAGE_BYTES:
        raise ApiError(413, f"the image is {len(body):,} bytes; the limit is {MAX_IMAGE_BYTES:,}.")
    not_an_image = f"the body is not an image ({http.headers.get('content-type') or 'no content type'}); " \
                   "send PNG or JPEG bytes."
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


def png(array) -> bytes:
    """An image array (values clipped to 0..255) as PNG bytes."""
    import io as bytes_io

    import numpy as np
    from PIL import Image

    out = bytes_io.BytesIO()
    Image.fromarray(np.clip(array, 0, 255).astype("uint8")).save(out, format="PNG")
    return out.getvalue()
