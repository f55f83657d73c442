"""The server's door: every request passes the Guard first (the Host it names, the page it comes
from, the token), and Slots bound the requests a kind of work holds at once. See zoo/serve.py's
docstring for why each check is there."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers

from zoo.server_tasks import ApiError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")


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
    OPEN_PREFIXES = ("/static/", "/widgets/")  # the page's own files: a <script> tag sends no token

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
            response = error_response(400, f"this server does not answer to the host name {name!r} (it answers to "
                                   f"{', '.join(sorted(self.names))}); if you reach it by that name, start it with "
                                   f"--allowed-host {name}.", path=scope["path"])
            return await response(scope, receive, send)
        # A browser names the page a request comes from; a page of another origin gets nothing
        # here (it could send only what the content-type check refuses; this is the second lock).
        origin = headers.get("origin")
        if origin is not None and scope["method"] not in ("GET", "HEAD") and not self.same_origin(origin, host):
            return await error_response(403, f"a page of another origin ({origin}) may not use this server.",
                                        path=scope["path"])(scope, receive, send)
        path = scope["path"]
        # The page and its files are open (a <script> tag sends no token); nothing else is, and
        # no POST: POST / is text-generation-inference's generation.
        opened = scope["method"] in ("GET", "HEAD") and (path in self.OPEN_PATHS or path.startswith(self.OPEN_PREFIXES))
        if self.token and not opened:
            if not hmac.compare_digest(headers.get("authorization", "").encode(), f"Bearer {self.token}".encode()):
                response = error_response(401, "this server needs a token: send the header `Authorization: Bearer TOKEN` "
                                               "(OpenAI's clients: the token as the API key).",
                                          {"WWW-Authenticate": "Bearer"}, path)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


OPENAI_PREFIX = "/v1/"  # OpenAI's routes (zoo/server_openai.py): errors in OpenAI's shape


def error_response(status: int, message: str, headers=None, path: str = "") -> JSONResponse:
    """Every error the server gives: {"error": message}, one line; on OpenAI's routes (`path`
    under /v1/) in OpenAI's shape, {"error": {"message": message, "type": ...}}, which its
    clients raise as their own exceptions."""
    if path.startswith(OPENAI_PREFIX):
        kind = "server_error" if status >= 500 else "authentication_error" if status == 401 else "invalid_request_error"
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return JSONResponse(body, status_code=status, headers=headers)
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
