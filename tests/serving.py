"""A real `zoo serve` app on uvicorn, in a thread of the test process, on a free port of
127.0.0.1; and a small HTTP client on the standard library (the server's clients are anything)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request


@contextlib.contextmanager
def running_server(sources, token=None, **options):
    """Yields the base URL of a server for `sources` (options: create_app's), stopped afterwards."""
    from zoo import serve

    with serving(serve.create_app(sources, token=token, **options)) as url:
        yield url


@contextlib.contextmanager
def serving(app):
    """Yields the base URL of a server for an app made by zoo.serve.create_app, stopped afterwards."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def request(url, body=None, *, method=None, headers=None, raw=False, timeout=120):
    """(status, decoded JSON or bytes, headers). body: a dict (sent as JSON) or bytes."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, payload, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, payload, got = error.code, error.read(), error.headers
    if raw:
        return status, payload, got
    return status, json.loads(payload) if payload else None, got


def stream(url, body, timeout=120):
    """The JSON events of a server-sent-events response, each with the time it arrived."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    events = []
    with urllib.request.urlopen(req, timeout=timeout) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response:
            line = line.decode("utf-8").rstrip("\n")
            if line.startswith("data:"):
                events.append((time.monotonic(), json.loads(line[5:])))
    return events


# ----------------------------------------------------------------------------- the gallery in a browser


def need_browser() -> None:
    """Skip the calling test module, with the reason in one line, where there is no Selenium or no
    headless Chromium and its driver (.ci/run installs Debian's)."""
    import shutil

    import pytest

    pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium (pip install selenium)")
    if not (_chromium() and shutil.which("chromedriver")):
        pytest.skip("no headless browser here (apt install chromium chromium-driver; .ci/run does)",
                    allow_module_level=True)


def _chromium():
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@contextlib.contextmanager
def gallery_page(models: list[str]):
    """Headless Chromium on the gallery page of a live `zoo serve MODELS`, once the page says it
    is ready (body[data-ready])."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1000",
                     "--disable-gpu"):
        options.add_argument(argument)
    with running_server(models) as url:
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            driver.set_script_timeout(30)
            driver.get(url + "/")
            WebDriverWait(driver, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
            yield driver
        finally:
            driver.quit()
