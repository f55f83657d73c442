"""A small fake Hugging Face Hub for the tests: the part of the Hub's HTTP API that huggingface_hub
uses to create a repository, upload a folder, resolve a revision and download files.

It listens on 127.0.0.1 on a free port, keeps everything in memory (bounded), and the real
huggingface_hub client talks to it through HF_ENDPOINT. Nothing here contacts any other address.

    with FakeHub(tokens={"tok-alice": "alice"}) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        ...

Endpoints (as the client calls them, huggingface_hub 2.x):
    GET  /api/whoami-v2                                  the token's user
    POST /api/repos/create                               {name, organization, visibility}
    POST /api/validate-yaml                              the card's front matter
    GET  /api/models/{repo}[/revision/{rev}]             repo info: sha, siblings
    GET  /api/models/{repo}/tree/{rev}[/{path}]          file listing (size, git blob id)
    POST /api/models/{repo}/branch/{branch}              create a branch
    POST /api/models/{repo}/preupload/{rev}              upload mode per file: always "regular"
    POST /api/models/{repo}/commit/{rev}                 ndjson commit with base64 file contents
    HEAD/GET /{repo}/resolve/{rev}/{path}                file with X-Repo-Commit, ETag, length

Every file is a regular git blob (the real Hub answers "lfs" for large or binary files, and the
client then uploads them to LFS/Xet storage; the preupload answer is the Hub's choice, so
answering "regular" keeps the fake small without changing the client's behaviour).

Errors look like the Hub's: 401 with X-Error-Message "Invalid credentials in Authorization
header" for an unknown token, 403 when writing to someone else's namespace, 404 with X-Error-Code
RepoNotFound / RevisionNotFound / EntryNotFound.

Test hooks that make it hostile or broken (tests/test_hub_hostile.py): `answer_commit` (a commit
id that is not one), `broken` (a body cut short), `corrupt()` (bytes that do not match), and
`headers_for`, `status_for`, `tree_for` (a file's headers, status or tree entry replaced),
`hang` (requests never answered) and `trickle` (a body sent a byte at a time).

Model cards: like the Hub, the fake checks a README.md's YAML front matter on POST
/api/validate-yaml and again when a commit adds README.md, and answers a card it refuses with a
400 that lists the problems the way the Hub words them ('"license" must be one of [...]'). The
rules are written here from the Hub's documentation, apart from the zoo's own validator
(zoo.cards.card_problems), so that a card the real Hub refuses fails a test here too:
  - datasets: each a dataset id ([owner/]name);
  - base_model: each a model the Hub holds (here: a repository on this fake);
  - base_model_relation: adapter, merge, quantized or finetune;
  - pipeline_tag: one of the Hub's pipeline tags; license: one of its license identifiers;
  - model-index: a list of {name, results}, each result with task.type, dataset.type,
    dataset.name and metrics, each metric with type and value (hub-docs, modelcard.md).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import itertools
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

# The Hub's pipeline tags: PIPELINE_DATA's keys in huggingface.js, packages/tasks/src/pipelines.ts.
PIPELINE_TAGS = """text-classification token-classification table-question-answering question-answering
zero-shot-classification translation summarization feature-extraction text-generation fill-mask
sentence-similarity text-to-speech text-to-audio automatic-speech-recognition audio-to-audio
audio-classification audio-text-to-text voice-activity-detection depth-estimation image-classification
object-detection image-segmentation text-to-image image-to-text image-to-image image-to-video
unconditional-image-generation video-classification reinforcement-learning robotics tabular-classification
tabular-regression tabular-to-text table-to-text multiple-choice text-ranking text-retrieval
time-series-forecasting text-to-video image-text-to-text image-text-to-image image-text-to-video
visual-question-answering document-question-answering zero-shot-image-classification graph-ml
mask-generation zero-shot-object-detection text-to-3d image-to-3d image-feature-extraction
video-text-to-text keypoint-detection visual-document-retrieval any-to-any video-to-video other""".split()
# The Hub's license identifiers: hub-docs, docs/hub/repositories-licenses.md.
LICENSES = """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc
cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0
cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0
cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1
eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c
ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openmdw-1.1 openrail++ osl-3.0 postgresql
ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2
llama3 llama3.1 llama3.2 llama3.3 llama4 grok2-community gemma unknown other""".split()
BASE_MODEL_RELATIONS = ["adapter", "merge", "quantized", "finetune"]
# A dataset id as the Hub spells one: [owner/]name, letters, digits, '-', '_', '.'.
DATASET_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]{0,95}")

MAX_BODY = 32 << 20          # one request
MAX_STORED = 128 << 20       # all blobs together
MAX_REPOS = 64
GITATTRIBUTES = b"*.keras filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_id(data: bytes) -> str:
    """The git sha1 of a blob (`git hash-object`), which the Hub uses as a regular file's ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


@dataclass
class Repo:
    owner: str
    name: str
    private: bool
    commits: dict = field(default_factory=dict)    # sha -> {"files": {path: blob id}, "parent", "message"}
    branches: dict = field(default_factory=dict)   # branch -> sha

    @property
    def repo_id(self) -> str:
        return f"{self.owner}/{self.name}"


class FakeHub:
    """The server and its in-memory state. `url` is the HF_ENDPOINT to use."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = dict(tokens)                 # token -> user name
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, bytes] = {}           # git blob id -> content
        self.requests = collections.deque(maxlen=2000)  # (method, path), for the tests to look at
        self.broken: dict[str, int] = {}            # path -> bytes sent before the connection drops
        # When set, answered as the commit id of every revision (repo info's "sha", X-Repo-Commit),
        # and accepted back as a revision, as a hostile or broken server would.
        self.answer_commit: str | None = None
        # Hostile answers, test-only, each keyed by a file's path in the repository like `broken`:
        self.headers_for: dict[str, dict] = {}      # path -> headers sent instead of the Hub's own
        self.status_for: dict[str, int] = {}        # path -> answer this status (404, 500) instead
        self.trickle: dict[str, float] = {}         # path -> seconds between the body's bytes
        self.tree_for: dict[str, dict] = {}         # path -> fields merged into its tree listing entry
        # URL path prefixes (e.g. "/api/models/alice/xor") whose requests are read and never answered.
        self.hang: set[str] = set()
        self._stopping = threading.Event()          # ends every hang and trickle at stop()
        self.lock = threading.RLock()
        self._counter = itertools.count()
        self._connections: set = set()
        self._server = None
        self._thread = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "FakeHub":
        hub = self
        self._stopping.clear()

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every open (keep-alive) connection, so the client really
        cannot reach the Hub any more."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ helpers for tests

    def resolve(self, repo_id: str, revision: str = "main") -> str:
        with self.lock:
            return self._resolve(self._repo(repo_id), revision)

    def file(self, repo_id: str, path: str, revision: str = "main") -> bytes:
        with self.lock:
            repo = self._repo(repo_id)
            return self.blobs[repo.commits[self._resolve(repo, revision)]["files"][path]]

    def corrupt(self, repo_id: str, path: str, revision: str = "main"):
        """Flip bytes in a stored file while its recorded blob id (the ETag) stays the same: the
        server now serves bytes that do not match what was published, as after a storage fault
        or tampering. Returns a function that repairs it."""
        with self.lock:
            repo = self._repo(repo_id)
            blob_id = repo.commits[self._resolve(repo, revision)]["files"][path]
            original = self.blobs[blob_id]
            data = bytearray(original)
            middle = len(data) // 2
            data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
            self.blobs[blob_id] = bytes(data)

        def repair():
            with self.lock:
                self.blobs[blob_id] = original

        return repair

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [path for _, path in self.requests]

    # ------------------------------------------------------------------ state (called with the lock)

    def _repo(self, repo_id: str) -> Repo:
        if repo_id not in self.repos:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return self.repos[repo_id]

    def _resolve(self, repo: Repo, revision: str) -> str:
        if self.answer_commit is not None and revision == self.answer_commit:
            return repo.branches["main"]
        if revision in repo.branches:
            return repo.branches[revision]
        if revision in repo.commits:
            return revision
        matches = [sha for sha in repo.commits if len(revision) >= 7 and sha.startswith(revision)]
        if len(matches) == 1:
            return matches[0]
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _new_commit(self, repo: Repo, parent: str | None, files: dict, message: str) -> str:
        seed = json.dumps([parent, sorted(files.items()), message, next(self._counter)]).encode()
        sha = hashlib.sha1(seed).hexdigest()
        repo.commits[sha] = {"files": dict(files), "parent": parent, "message": message,
                             "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        return sha

    def _store(self, data: bytes) -> str:
        blob_id = git_blob_id(data)
        if blob_id not in self.blobs:
            if sum(map(len, self.blobs.values())) + len(data) > MAX_STORED:
                raise HubError(413, "the fake Hub's storage is full")
            self.blobs[blob_id] = data
        return blob_id

    def _user(self, headers, required: bool) -> str | None:
        auth = headers.get("authorization", "")
        if not auth:
            if required:
                raise HubError(401, "Invalid username or password.")
            return None
        token = auth.removeprefix("Bearer ").strip()
        if token not in self.tokens:
            # The real Hub answers an unknown token this way on every endpoint.
            raise HubError(401, "Invalid credentials in Authorization header")
        return self.tokens[token]

    def _readable(self, repo_id: str, user: str | None) -> Repo:
        repo = self._repo(repo_id)
        if repo.private and user != repo.owner:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _writable(self, repo_id: str, user: str) -> Repo:
        repo = self._readable(repo_id, user)
        if user != repo.owner:
            raise HubError(403, f"You don't have the rights to write to {repo_id}: it belongs to "
                                f"{repo.owner}, and you are {user}.")
        return repo

    # ------------------------------------------------------------------ endpoints

    def whoami(self, user):
        return {"type": "user", "name": user, "fullname": user, "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}}}

    def create_repo(self, user, body):
        owner = body.get("organization") or user
        name = body.get("name") or ""
        if body.get("type", "model") not in (None, "model"):
            raise HubError(400, "the fake Hub only has model repositories")
        if owner != user:
            raise HubError(403, f'You don\'t have the rights to create a model under the namespace "{owner}"')
        repo_id = f"{owner}/{name}"
        if repo_id in self.repos:
            raise HubError(409, "You already created this model repo", extra={"url": f"{self.url}/{repo_id}"})
        if len(self.repos) >= MAX_REPOS:
            raise HubError(429, "the fake Hub holds too many repositories")
        private = body.get("visibility") == "private" or bool(body.get("private"))
        repo = Repo(owner=owner, name=name, private=private)
        initial = self._new_commit(repo, None, {".gitattributes": self._store(GITATTRIBUTES)}, "initial commit")
        repo.branches["main"] = initial
        self.repos[repo_id] = repo
        return {"url": f"{self.url}/{repo_id}", "name": repo_id, "id": repo_id}

    def validate_yaml(self, body):
        if body.get("repoType", "model") in (None, "model"):
            errors = self._card_errors(body.get("content", ""))
            if errors:
                raise _BadYaml(errors)
        return {"errors": [], "warnings": []}

    def _card_errors(self, content: str) -> list[str]:
        """What the Hub refuses in a README.md's front matter, worded as the Hub words it."""
        if not content.startswith("---"):
            return []
        block = content.split("\n---", 1)[0].removeprefix("---")
        try:
            meta = yaml.safe_load(block)
        except yaml.YAMLError as error:
            return [f"invalid YAML: {' '.join(str(error).split())}"]
        if meta is None:
            return []
        if not isinstance(meta, dict):
            return ["the metadata is not a mapping"]
        errors = []
        datasets = meta.get("datasets")
        for i, value in enumerate(datasets if isinstance(datasets, list) else [datasets] if datasets else []):
            if not (isinstance(value, str) and DATASET_ID.fullmatch(value) and ".." not in value
                    and "--" not in value):
                errors.append(f'"datasets[{i}]" with value "{value}" is not valid. If possible, use a dataset id '
                              "from https://hf.co/datasets.")
        base = meta.get("base_model")
        for value in base if isinstance(base, list) else [base] if base is not None else []:
            if not (isinstance(value, str) and value in self.repos):  # the Hub resolves it to a model it holds
                errors.append(f'"base_model" with value "{value}" is not valid. Use a model id from '
                              "https://hf.co/models.")
        for key, allowed in (("pipeline_tag", PIPELINE_TAGS), ("license", LICENSES),
                             ("base_model_relation", BASE_MODEL_RELATIONS)):
            if key in meta and meta[key] not in allowed:
                errors.append(f'"{key}" must be one of [{", ".join(allowed)}]')
        if "model-index" in meta:
            errors += _model_index_errors(meta["model-index"])
        return errors

    def repo_info(self, user, repo_id, revision):
        repo = self._readable(repo_id, user)
        sha = self._resolve(repo, revision)
        commit = repo.commits[sha]
        return {"id": repo_id, "modelId": repo_id, "author": repo.owner, "sha": self.answer_commit or sha,
                "private": repo.private, "lastModified": commit["date"], "library_name": "keras",
                "siblings": [{"rfilename": p} for p in sorted(commit["files"])]}

    def tree(self, user, repo_id, revision, prefix, recursive):
        repo = self._readable(repo_id, user)
        files = repo.commits[self._resolve(repo, revision)]["files"]
        prefix = prefix.strip("/")
        entries, folders = [], set()
        for path in sorted(files):
            if prefix and not path.startswith(prefix + "/"):
                continue
            relative = path[len(prefix) + 1:] if prefix else path
            parts = relative.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([prefix] if prefix else []) + parts[:depth])
                if folder not in folders and (recursive or depth == 1):
                    folders.add(folder)
                    entries.append({"type": "directory", "path": folder, "oid": "0" * 40, "size": 0})
            if recursive or len(parts) == 1:
                blob_id = files[path]
                entries.append({"type": "file", "path": path, "oid": blob_id, "size": len(self.blobs[blob_id]),
                                **self.tree_for.get(path, {})})
        return entries

    def create_branch(self, user, repo_id, branch, body):
        repo = self._writable(repo_id, user)
        if branch in repo.branches:
            raise HubError(409, f"Branch {branch} already exists")
        repo.branches[branch] = self._resolve(repo, body.get("startingPoint") or "main")
        return {}

    def preupload(self, user, repo_id, revision, body):
        repo = self._writable(repo_id, user)
        files = repo.commits[self._resolve(repo, revision)]["files"]
        return {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                           "oid": files.get(f["path"])} for f in body.get("files", [])]}

    def commit(self, user, repo_id, revision, lines):
        repo = self._writable(repo_id, user)
        if revision not in repo.branches:
            raise HubError(404, f"Invalid rev id: {revision} (commits go to a branch)", "RevisionNotFound")
        head = repo.branches[revision]
        files = dict(repo.commits[head]["files"])
        header = {}
        for item in lines:
            key, value = item.get("key"), item.get("value", {})
            if key == "header":
                header = value
                if value.get("parentCommit") and not head.startswith(value["parentCommit"]):
                    raise HubError(412, "parent commit is not the head of the branch")
            elif key == "file":
                if value.get("encoding") != "base64":
                    raise HubError(400, "the fake Hub takes base64 file contents only")
                content = base64.b64decode(value["content"])
                if value["path"] == "README.md":  # the Hub checks the card again on every commit
                    errors = self._card_errors(content.decode("utf-8", errors="replace"))
                    if errors:
                        raise _BadYaml(errors)
                files[value["path"]] = self._store(content)
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                files = {p: b for p, b in files.items() if not p.startswith(folder)}
            else:
                raise HubError(400, f"the fake Hub does not support commit operation {key!r}")
        sha = self._new_commit(repo, head, files, header.get("summary", ""))
        repo.branches[revision] = sha
        return {"commitUrl": f"{self.url}/{repo_id}/commit/{sha}", "commitOid": sha,
                "success": True, "pullRequestUrl": None}


def _model_index_errors(model_index) -> list[str]:
    """model-index as hub-docs' modelcard.md specifies it, in the Hub's (Joi's) words."""
    if not isinstance(model_index, list):
        return ['"model-index" must be an array']
    errors = []
    for i, model in enumerate(model_index):
        if not isinstance(model, dict):
            errors.append(f'"model-index[{i}]" must be of type object')
            continue
        if not isinstance(model.get("name"), str):
            errors.append(f'"model-index[{i}].name" is required')
        results = model.get("results")
        if not isinstance(results, list):
            errors.append(f'"model-index[{i}].results" must be an array')
            continue
        for j, result in enumerate(results):
            at = f"model-index[{i}].results[{j}]"
            if not isinstance(result, dict):
                errors.append(f'"{at}" must be of type object')
                continue
            for part, keys in (("task", ["type"]), ("dataset", ["type", "name"])):
                section = result.get(part)
                if not isinstance(section, dict):
                    errors.append(f'"{at}.{part}" is required')
                    continue
                errors += [f'"{at}.{part}.{key}" is required' for key in keys if not isinstance(section.get(key), str)]
            metrics = result.get("metrics")
            if not isinstance(metrics, list):
                errors.append(f'"{at}.metrics" must be an array')
                continue
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict):
                    errors.append(f'"{at}.metrics[{k}]" must be of type object')
                    continue
                errors += [f'"{at}.metrics[{k}].{key}" is required' for key in ("type", "value") if metric.get(key) is None]
    return errors


class _BadYaml(HubError):
    def __init__(self, errors):
        super().__init__(400, "Invalid metadata in README.md")
        self.errors = errors


@dataclass
class _FileReply:
    headers: dict
    data: bytes
    cut: int | None = None
    trickle: float | None = None   # seconds between bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.hub.lock:
            self.hub._connections.add(self.connection)

    def finish(self):
        with self.hub.lock:
            self.hub._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, *args):  # keep the test output clean
        pass

    # -------------------------------------------------------------- plumbing

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise HubError(413, "request too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise HubError(413, "request too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload=None, headers: dict | None = None, body: bytes | None = None):
        if body is None:
            body = json.dumps(payload if payload is not None else {}).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, error: HubError, extra_headers: dict | None = None):
        headers = dict(extra_headers or {})
        headers["X-Error-Message"] = error.message
        if error.code:
            headers["X-Error-Code"] = error.code
        payload = {"error": error.message, **error.extra}
        if isinstance(error, _BadYaml):
            if "text/plain" in self.headers.get("Accept", ""):  # ModelCard.validate asks for text
                text = "".join(f"- Error: {m}\n" for m in error.errors)
                self._send(error.status, headers={**headers, "Content-Type": "text/plain"}, body=text.encode())
                return
            payload["errors"] = [{"message": m} for m in error.errors]
            payload["warnings"] = []
        self._send(error.status, payload, headers)

    def _dispatch(self):
        url = urlsplit(self.path)
        raw = url.path.split("/")[1:]
        parts = [unquote(p) for p in raw]
        query = parse_qs(url.query)
        hub = self.hub
        with hub.lock:
            hub.requests.append((self.command, url.path))
            hang = any(url.path.startswith(prefix) for prefix in hub.hang)
        if hang:  # a server that accepts the request and never answers
            self.close_connection = True
            hub._stopping.wait()
            return
        extra = {}
        try:
            body = self._body() if self.command == "POST" else b""
            with hub.lock:
                result = self._route(parts, query, body, extra)
            if isinstance(result, _FileReply):
                self._send_file(result)   # outside the lock: the client reads at its own pace
            else:
                self._send(200, result, extra)
        except HubError as error:
            self._error(error, extra)
        except (ValueError, KeyError) as error:
            self._error(HubError(400, f"bad request: {error}"))

    def _route(self, parts, query, body, extra):
        hub, method = self.hub, self.command
        if parts[:2] == ["api", "whoami-v2"] and method == "GET":
            return hub.whoami(hub._user(self.headers, required=True))
        if parts[:3] == ["api", "repos", "create"] and method == "POST":
            return hub.create_repo(hub._user(self.headers, required=True), json.loads(body))
        if parts[:2] == ["api", "validate-yaml"] and method == "POST":
            hub._user(self.headers, required=False)
            return hub.validate_yaml(json.loads(body))
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo_id, rest = f"{parts[2]}/{parts[3]}", parts[4:]
            if not rest and method == "GET":
                return hub.repo_info(hub._user(self.headers, False), repo_id, "main")
            if rest[:1] == ["revision"] and len(rest) == 2 and method == "GET":
                return hub.repo_info(hub._user(self.headers, False), repo_id, rest[1])
            if rest[:1] == ["tree"] and len(rest) >= 2 and method == "GET":
                recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                return hub.tree(hub._user(self.headers, False), repo_id, rest[1], "/".join(rest[2:]), recursive)
            if rest[:1] == ["branch"] and len(rest) == 2 and method == "POST":
                return hub.create_branch(hub._user(self.headers, True), repo_id, rest[1], json.loads(body or b"{}"))
            if rest[:1] == ["preupload"] and len(rest) == 2 and method == "POST":
                return hub.preupload(hub._user(self.headers, True), repo_id, rest[1], json.loads(body))
            if rest[:1] == ["commit"] and len(rest) == 2 and method == "POST":
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                return hub.commit(hub._user(self.headers, True), repo_id, rest[1], lines)
        if len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
            return self._resolve_file(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), extra)
        raise HubError(404, f"no such endpoint: {method} {'/'.join(parts)}")

    def _resolve_file(self, repo_id, revision, path, extra):
        hub = self.hub
        repo = hub._readable(repo_id, hub._user(self.headers, False))
        sha = hub._resolve(repo, revision)
        extra["X-Repo-Commit"] = hub.answer_commit or sha
        files = repo.commits[sha]["files"]
        if path not in files:
            raise HubError(404, f"{path} does not exist at {sha}", "EntryNotFound")
        blob_id = files[path]
        headers = {"X-Repo-Commit": hub.answer_commit or sha, "ETag": f'"{blob_id}"',
                   "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        headers.update(hub.headers_for.get(path, {}))
        if path in hub.status_for:
            extra.update(hub.headers_for.get(path, {}))
            status = hub.status_for[path]
            code = "EntryNotFound" if status == 404 else None
            raise HubError(status, f"the fake Hub answers {status} for {path}", code)
        cut = hub.broken.get(path) if self.command == "GET" else None
        trickle = hub.trickle.get(path) if self.command == "GET" else None
        return _FileReply(headers, hub.blobs[blob_id], cut, trickle)

    def _send_file(self, reply: "_FileReply"):
        data, headers = reply.data, reply.headers
        if reply.cut is not None:
            # A connection that breaks halfway: promise the whole file, send part of it, hang up.
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:reply.cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.trickle is not None:
            # A body that never stalls long enough for a read timeout, and never ends in time.
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.close_connection = True
            try:
                for byte in data:
                    if self.hub._stopping.wait(reply.trickle):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up
            return
        start = 0
        range_header = self.headers.get("Range", "")
        if range_header.startswith("bytes=") and range_header.endswith("-"):
            start = min(int(range_header[6:-1]), len(data))
        if start:
            headers = {**headers, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            self._send(206, headers=headers, body=data[start:])
        else:
            self._send(200, headers=headers, body=data)

    do_GET = do_POST = do_HEAD = _dispatch


def main(argv=None) -> None:
    """Run the fake Hub as a process of its own (.ci/wheel-check uses it to publish the registry
    and load it back in a fresh environment): prints its URL, serves until it gets SIGTERM, or
    stops by itself after --lifetime seconds."""
    import argparse
    import signal
    import time

    parser = argparse.ArgumentParser(description="A fake Hugging Face Hub on 127.0.0.1, for tests.")
    parser.add_argument("--token", action="append", default=[], metavar="TOKEN=USER",
                        help="a token and the user it authenticates (repeatable)")
    parser.add_argument("--url-file", help="write the URL to this file once listening")
    parser.add_argument("--lifetime", type=float, default=1800, help="stop after this many seconds (default 1800)")
    args = parser.parse_args(argv)
    tokens = dict(pair.split("=", 1) for pair in args.token)
    hub = FakeHub(tokens=tokens).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(hub.url, flush=True)
    if args.url_file:
        with open(args.url_file, "w") as f:
            f.write(hub.url)
    deadline = time.monotonic() + args.lifetime
    while not stop.is_set() and time.monotonic() < deadline:
        stop.wait(0.2)
    hub.stop()


if __name__ == "__main__":
    main()
