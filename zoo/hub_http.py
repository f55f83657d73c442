"""What huggingface_hub's HTTP client may do while the zoo talks to the Hub: every name the
server gives is checked before huggingface_hub makes a path of it, every call has a timeout,
and every download or publish an overall deadline.

Why names: huggingface_hub names cache files after what the server answers, unchecked (reported
upstream, see CONTRIBUTING.md): a file's X-Repo-Commit header (snapshots/<commit>/,
.no_exist/<commit>/), its X-Linked-Etag or ETag (blobs/<etag>, .locks/<etag>.lock), and for a
Xet file the LFS oid of the tree listing (blobs/<oid>). A server answering
'ETag: "../../../../x"' would have the file written at x, before any hash is checked.

Why limits: huggingface_hub makes some calls with no timeout at all (repository info, tree
listings), and a body that trickles in never times out; the zoo holds the repository's cache
lock meanwhile, so one silent server would stop every loader of that repository.

How: huggingface_hub sends every request through one shared httpx client, made by a factory that
programs may replace (huggingface_hub.set_client_factory). The zoo wraps the factory in use so
that its client carries two event hooks: one on each request (time limits) and one on each
response (names, then the deadline while the body arrives). They act only inside `limits()`,
which the zoo holds around each download and publish; one runs at a time in a process, because
huggingface_hub downloads in worker threads that cannot be told apart from other threads.

Settings, in seconds, read at each download or publish:
    ZOO_HUB_TIMEOUT   each call: to connect, and between two pieces of an answer (default 30)
    ZOO_HUB_DEADLINE  a whole download or publish, retries included; also the longest wait for
                      another process's lock on the same repository (default 600)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass

import httpx2  # huggingface_hub's HTTP library

from zoo.errors import HubError, InvalidInputError

DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 600.0
# huggingface_hub pauses between retries (http_backoff's max_wait_time) at most this long, unless the
# server asks for longer with Retry-After.
LONGEST_RETRY_PAUSE = 8.0
# The statuses huggingface_hub retries (utils/_http.py, _DEFAULT_RETRY_ON_STATUS_CODES).
RETRIED = (408, 429, 500, 502, 503, 504)
COMMIT = re.compile(r"[0-9a-f]{40}")
# What may become one file name in the cache: no separator, no '..', not hidden, not empty.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
RESOLVE_URL = re.compile(r"/(?:(?:datasets|spaces)/)?([^/]+/[^/]+)/resolve/[^/]+/(.+)")
API_URL = re.compile(r"/api/(?:models|datasets|spaces)/([^/]+/[^/]+)(/tree/|/revision/|$)")


def seconds(name: str, default: float) -> float:
    """A setting in seconds from the environment; a clear error for anything but a number above 0."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InvalidInputError(f"{name}={text!r} is not a number of seconds above 0; unset it for the "
                                f"default ({default:g} s).")
    return value


def timeout() -> float:
    return seconds("ZOO_HUB_TIMEOUT", DEFAULT_TIMEOUT)


def deadline() -> float:
    return seconds("ZOO_HUB_DEADLINE", DEFAULT_DEADLINE)


# ----------------------------------------------------------------------------- the running operation


@dataclass
class Limits:
    action: str        # what the zoo is doing, for messages: "the download of alice/xor"
    endpoint: str
    timeout: float     # seconds, each call
    seconds: float     # seconds, the whole operation
    ends: float        # time.monotonic() when it must have ended

    def left(self) -> float:
        return self.ends - time.monotonic()

    def out_of_time(self, doing: str) -> HubError:
        return HubError(f"gave up: {self.action} did not finish within {self.seconds:g} s (ZOO_HUB_DEADLINE); "
                        f"it was {doing}. Try again later, or set ZOO_HUB_DEADLINE higher.")


_running: Limits | None = None
_one_at_a_time = threading.Lock()


def _forget_in_child() -> None:
    """A forked child runs none of its parent's operations, so it must not inherit their lock."""
    global _running, _one_at_a_time
    _running, _one_at_a_time = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


@contextlib.contextmanager
def limits(action: str, endpoint: str):
    """Run one Hub operation (a download, a publish) under the zoo's checks and time limits."""
    global _running
    per_call, overall = timeout(), deadline()
    _install()
    if not _one_at_a_time.acquire(timeout=overall):
        raise HubError(f"{action} did not start: another Hub transfer in this process did not end within "
                       f"{overall:g} s (ZOO_HUB_DEADLINE); try again when it has.")
    try:
        _running = Limits(action, endpoint, per_call, overall, time.monotonic() + overall)
        yield _running
    finally:
        _running = None
        _one_at_a_time.release()


# ----------------------------------------------------------------------------- the hooks


def _install() -> None:
    """Make huggingface_hub's shared client carry the zoo's hooks. Done at each operation, since a
    program may have set a factory of its own since (its client keeps its settings: proxies,
    certificates)."""
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http

    # huggingface_hub has no getter for the factory in use; without this name, its default one.
    current = getattr(_http, "_GLOBAL_CLIENT_FACTORY", _http.default_client_factory)
    if getattr(current, "zoo_hooks", False):
        return

    def client_with_zoo_hooks():
        client = current()
        hooks = client.event_hooks
        client.event_hooks = {"request": [*hooks["request"], _on_request],
                              "response": [*hooks["response"], _on_response]}
        return client

    client_with_zoo_hooks.zoo_hooks = True
    set_client_factory(client_with_zoo_hooks)


def _on_request(request) -> None:
    """Before each request: a timeout on every phase of it (huggingface_hub passes none for some
    calls), never beyond the deadline, which may already have passed (after a retry's pause)."""
    running = _running
    if running is None:
        return
    left = running.left()
    if left <= 0:
        raise running.out_of_time(f"about to ask for {describe(request)}")
    if running.timeout <= left:
        limit, bound = running.timeout, f"within {running.timeout:g} s (ZOO_HUB_TIMEOUT)"
    else:
        limit, bound = left, f"before the {running.seconds:g} s of ZOO_HUB_DEADLINE ran out"
    given = request.extensions.get("timeout") or {}
    timeouts = {phase: min(given.get(phase) or limit, limit) for phase in ("connect", "read", "write", "pool")}
    # What bounded this call, for the message if it times out (see failure()).
    request.extensions = {**request.extensions, "timeout": timeouts, "zoo_limit": bound}


def _on_response(response) -> None:
    """On each answer, before huggingface_hub reads it: the names it gives, a retry that would come
    too late, and the deadline while its body arrives."""
    running = _running
    if running is None:
        return
    what = describe(response.request)
    _check_headers(response, running, what)
    if response.status_code in RETRIED and running.left() < _pause_before_retry(response):
        raise HubError(f"the Hub at {running.endpoint} answered {_status(response)} for {what}, with no time left "
                       f"to try again within {running.seconds:g} s (ZOO_HUB_DEADLINE). Try again later.")
    response.stream = _BeforeDeadline(response.stream, running, what)
    listing = API_URL.match(response.request.url.path)
    if response.status_code == 200 and listing and listing[2] == "/tree/":
        response.read()
        _check_tree(response, running, what)


def _check_headers(response, running: Limits, what: str) -> None:
    """X-Repo-Commit must be a commit id, and the ETag huggingface_hub uses a plain name. It reads
    X-Linked-Etag, else ETag (get_hf_file_metadata), from an answer naming a commit: a Hub file's.
    Other answers' ETags (the API's, a CDN's) are never used, and some hold '/' or '+'."""
    headers = response.headers
    commit = headers.get("X-Repo-Commit")
    if commit is not None and not COMMIT.fullmatch(commit):
        raise _refused(running, "X-Repo-Commit", commit, what, "a commit id (40 hex digits)")
    name = "X-Linked-Etag" if headers.get("X-Linked-Etag") else "ETag"
    value = headers.get(name)
    # Read as huggingface_hub reads it (file_download._normalize_etag): W/ and quotes taken off.
    if value and (commit is not None or name == "X-Linked-Etag") and not PLAIN_NAME.fullmatch(
            value.lstrip("W/").strip('"')):
        raise _refused(running, name, value, what, "a plain file name")


def _check_tree(response, running: Limits, what: str) -> None:
    """A tree listing: each file's oid and LFS oid must be plain names (huggingface_hub names a Xet
    file's blob after its LFS oid, without asking for the file's headers)."""
    try:
        entries = json.loads(response.content)
    except ValueError:
        return  # not JSON: huggingface_hub refuses it itself
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        lfs = entry["lfs"] if isinstance(entry.get("lfs"), dict) else {}
        for name, value in (("oid", entry.get("oid")), ("lfs.oid", lfs.get("oid"))):
            if value is not None and not (isinstance(value, str) and PLAIN_NAME.fullmatch(value)):
                raise _refused(running, f"the {name} of {str(entry.get('path'))[:80]!r} as", value, what,
                               "a plain file name")


def _refused(running: Limits, name: str, value, what: str, expected: str) -> HubError:
    return HubError(f"the Hub at {running.endpoint} answered {name} {str(value)[:80]!r} for {what}, which is not "
                    f"{expected}: huggingface_hub would make a path of it, so nothing was written. "
                    "Check HF_ENDPOINT.")


def _pause_before_retry(response) -> float:
    """How long huggingface_hub would wait before trying again: the server's Retry-After (+1 s, as
    it does), else at most its longest pause."""
    try:
        return float(response.headers.get("Retry-After", "")) + 1
    except ValueError:
        return LONGEST_RETRY_PAUSE


class _BeforeDeadline(httpx2.SyncByteStream):
    """A response body that raises once the deadline has passed: a server sending a byte now and
    then never trips a read timeout."""

    def __init__(self, stream, running: Limits, what: str):
        self.stream, self.running, self.what = stream, running, what

    def __iter__(self):
        for chunk in self.stream:
            if self.running.left() <= 0:
                raise self.running.out_of_time(f"still receiving {self.what} from the Hub at {self.running.endpoint}")
            yield chunk

    def close(self) -> None:
        self.stream.close()


# ----------------------------------------------------------------------------- messages


def describe(request) -> str:
    """A request in words: 'config.json of alice/xor', 'the file list of alice/xor'..."""
    path = request.url.path
    match = RESOLVE_URL.fullmatch(path)
    if match:
        return f"{match[2]} of {match[1]}"
    match = API_URL.match(path)
    if match:
        return f"{'the file list' if match[2] == '/tree/' else 'the repository info'} of {match[1]}"
    return f"{request.method} {path}"


def _status(response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def failure(error: BaseException) -> str | None:
    """What went wrong on the network or at the server behind an error of huggingface_hub (it
    wraps them: 'cannot find the file in the cache' from a timeout or a 500), in words; None if
    it was neither a timeout nor a failing server."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, httpx2.TimeoutException):
            request = _request_of(error)
            if request is None:
                return f"the Hub did not answer in time ({type(error).__name__})"
            bound = request.extensions.get("zoo_limit", "in time")
            return f"the Hub at {_host(request)} did not answer {bound} when asked for {describe(request)}"
        response = getattr(error, "response", None)
        if response is not None and response.status_code in RETRIED:
            return f"the Hub at {_host(response.request)} answered {_status(response)} for {describe(response.request)}"
        error = error.__cause__
    return None


def _request_of(error):
    try:
        return error.request
    except RuntimeError:  # httpx raises this when the error was made without a request
        return None


def _host(request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc.decode()}"
