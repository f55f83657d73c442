"""`zoo serve` under concurrent clients: does batching pay? (issue #19)

A real server (`zoo serve charrnn-shakespeare`, its own process) on loopback, and clients in
this process, each on its own thread with a plain HTTP client. First one client sends its
requests one after the other; then 16 clients send theirs at the same time. Every request asks
for the same number of characters (each with its own seed), and the count of requests is
bounded. Reported: total characters per second, the ratio of the 16 clients' total to the one
client's, and each request's latency (p50, p99). Goal: 16 clients >= 4x one client.

    .venv/bin/python benchmarks/serve_batching.py [--clients 16] [--requests 4] [--tokens 200] [--busy]

--busy runs the same next to one busy process (a spinning Python loop). Prints a table and
writes benchmarks/results/serve_batching.json (or serve_batching_busy.json).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "charrnn-shakespeare"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def one_request(url: str, tokens: int, seed: int) -> tuple[float, int]:
    """(seconds, characters generated) of one request."""
    start = time.perf_counter()
    result = post(url, {"inputs": "ROMEO:", "parameters": {"max_new_tokens": tokens, "temperature": 0.8, "seed": seed,
                                                            "return_full_text": False}})
    return time.perf_counter() - start, len(result[0]["generated_text"])


def run(url: str, clients: int, requests: int, tokens: int) -> dict:
    """`clients` threads, each sending `requests` requests one after the other."""
    def client(c):
        return [one_request(url, tokens, seed=1000 * c + r) for r in range(requests)]

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = [row for rows in pool.map(client, range(clients)) for row in rows]
    wall = time.perf_counter() - start
    latencies = sorted(seconds for seconds, _ in results)
    chars = sum(n for _, n in results)
    return {"clients": clients, "requests": len(results), "characters": chars, "seconds": wall,
            "chars_per_second": chars / wall, "latency_p50": statistics.median(latencies),
            "latency_p99": latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]}


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=4, help="requests per client (default 4)")
    parser.add_argument("--tokens", type=int, default=200, help="characters per request (default 200)")
    parser.add_argument("--busy", action="store_true", help="next to one competing busy process")
    args = parser.parse_args(argv)

    port = free_port()
    url = f"http://127.0.0.1:{port}/models/{MODEL}"
    server = subprocess.Popen([str(Path(sys.executable).parent / "zoo"), "serve", MODEL, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=os.path.expanduser("~"))
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_spin, args=(stop,)) if args.busy else None
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                one_request(url, 5, 0)  # also loads the model
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        run(url, 4, 1, 50)  # warm-up: the batch sizes' buffers, the threads
        if busy:
            busy.start()
        # One client, then many, then one again: a drift in the machine's speed shows as a gap
        # between the two single-client rows (the ratio uses their mean).
        single = run(url, 1, args.requests * 2, args.tokens)
        many = run(url, args.clients, args.requests, args.tokens)
        single_again = run(url, 1, args.requests * 2, args.tokens)
        with urllib.request.urlopen(url.rsplit("/models/", 1)[0] + "/health") as response:
            batching = json.loads(response.read())["batching"][MODEL]
    finally:
        stop.set()
        if busy and busy.is_alive():
            busy.join()
        server.terminate()
        server.wait(timeout=30)

    baseline = (single["chars_per_second"] + single_again["chars_per_second"]) / 2
    rows = [("1 client", single), (f"{args.clients} clients", many), ("1 client, again", single_again)]
    print(f"zoo serve {MODEL}: {args.tokens} characters per request, {'next to a busy process' if args.busy else 'idle'}\n")
    print("| clients | requests | chars/s | x one client | p50 latency s | p99 latency s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, row in rows:
        print(f"| {label} | {row['requests']} | {row['chars_per_second']:,.0f} | {row['chars_per_second'] / baseline:.2f} "
              f"| {row['latency_p50']:.2f} | {row['latency_p99']:.2f} |")
    result = {"model": MODEL, "tokens": args.tokens, "busy": args.busy, "single": single, "many": many,
              "single_again": single_again, "ratio": many["chars_per_second"] / baseline,
              "batching": batching, "cpu_count": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"serve_batching{'_busy' if args.busy else ''}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nserver's batcher: {batching}")
    print(f"\nratio (16 clients / one client): {result['ratio']:.2f}; written to {path.relative_to(RESULTS.parent.parent)}")
    return result


if __name__ == "__main__":
    main()
