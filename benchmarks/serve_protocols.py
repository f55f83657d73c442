"""What the protocol layers cost (issue #26): `zoo serve` under 16 concurrent clients speaking
text-generation-inference's and OpenAI's protocols, against what the batcher alone makes.

A real server (`zoo serve charrnn-shakespeare gru-lm-shakespeare`, its own process) on loopback,
and clients on threads of this process, each with a plain HTTP client (a new connection per
request, as urllib does). For charrnn, in one run and in turn:

- the batcher alone: a Batcher on the model in a process of its own, as the server is (the
  server is idle meanwhile), 16 client threads each submitting its requests one after the other
  (each reads its prompt, as a served request does), nothing sent anywhere: the ceiling for the
  same work;
- the server, 16 clients, each protocol: TGI's /generate (one answer), /generate_stream (an
  event a token), OpenAI's /v1/completions streamed, the Inference API's POST /models/{name};
- the batcher alone again: the ratio uses the mean of its two rows, so that a drift in the
  machine's speed shows as a gap between them rather than as a protocol's cost. Each round
  starts one protocol later than the last (none always follows the same row). The whole is
  run --rounds times and each number's median reported (a shared machine is noisy); the CPU
  time the server spends per character is set against the batcher's too (less noisy than speed).

Every request asks for the same number of tokens (each with its own seed); the count of
requests is bounded (16 clients x --requests). For the word model (gru-lm, whose concurrent
streams share each step), 16 clients are set against one client, through TGI's /generate, in
every round: one client, 16 clients, one client again (the ratio uses the mean of the two
one-client rows). A word request is short (20 words, about 10 ms alone), so each row makes
--word-requests requests per client of 16 clients, and one client makes as many requests as 4
of them: long enough that the server's CPU time, counted in 10 ms clock ticks, means something. Reported:
characters per second, the ratio to the batcher alone (charrnn) or to one client (the word
model), p50 and p99 latency of a request, and for charrnn the mean batch (requests a step
served: the batcher's own count, the server's from GET /health before and after its row). Goal: each protocol >= 0.8x the batcher alone.

    .venv/bin/python benchmarks/serve_protocols.py [--rounds 7] [--requests 4] [--tokens 300] [--busy]
                                                   [--word-only]

--busy runs it all next to `yes > /dev/null`. Prints a table and writes
benchmarks/results/serve_protocols.json (or serve_protocols_busy.json; with --word-only,
serve_protocols_words[_busy].json).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CHAR, WORD = "charrnn-shakespeare", "gru-lm-shakespeare"
PROMPTS = {CHAR: "ROMEO:", WORD: "first citizen :"}
CLIENTS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=600)


def events(response):
    """The data of each server-sent event in a streamed answer, as it comes. Whatever has arrived
    is read at once and split into events: these clients share the server's two cores, and read a
    line at a time (urllib's readline on a chunked body), TGI's events cost them a third more CPU
    (measured next to `yes`: 20 to 24 ms per 1000 characters, against 14 to 18 read whole)."""
    rest = b""
    while chunk := response.read1(65536):
        *complete, rest = (rest + chunk).split(b"\n\n")
        for event in complete:
            if event.startswith(b"data:"):
                yield event[5:]


def tgi_generate(base, model, tokens, seed) -> int:
    body = {"inputs": PROMPTS[model], "parameters": {"max_new_tokens": tokens, "temperature": 0.8, "seed": seed}}
    with _post(f"{base}/models/{model}/generate", body) as response:
        return len(json.loads(response.read())["generated_text"])


def inference_api(base, model, tokens, seed) -> int:
    body = {"inputs": PROMPTS[model], "parameters": {"max_new_tokens": tokens, "temperature": 0.8, "seed": seed}}
    with _post(f"{base}/models/{model}", body) as response:
        return len(json.loads(response.read())[0]["generated_text"])


def tgi_stream(base, model, tokens, seed) -> int:
    """Reads every event, as a client showing the text as it comes does."""
    body = {"inputs": PROMPTS[model], "parameters": {"max_new_tokens": tokens, "temperature": 0.8, "seed": seed}}
    with _post(f"{base}/models/{model}/generate_stream", body) as response:
        return sum(len(json.loads(data)["token"]["text"]) for data in events(response))


def openai_stream(base, model, tokens, seed) -> int:
    body = {"model": model, "prompt": PROMPTS[model], "max_tokens": tokens, "temperature": 0.8, "seed": seed,
            "stream": True}
    with _post(f"{base}/v1/completions", body) as response:
        return sum(len(json.loads(data)["choices"][0]["text"]) for data in events(response) if data != b" [DONE]")


PROTOCOLS = {"TGI /generate": tgi_generate, "TGI /generate_stream": tgi_stream,
             "OpenAI /v1/completions, streamed": openai_stream, "Inference API POST /models/{name}": inference_api}


def summary(results: list[tuple[float, int]], wall: float, clients: int) -> dict:
    latencies = sorted(seconds for seconds, _ in results)
    chars = sum(n for _, n in results)
    return {"clients": clients, "requests": len(results), "characters": chars, "seconds": wall,
            "chars_per_second": chars / wall, "latency_p50": statistics.median(latencies),
            "latency_p99": latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]}


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of a process so far: this one, or the server's."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_clients(one_request, clients: int, requests: int, pid: int | None = None) -> dict:
    """`clients` threads, each making `requests` requests one after the other; with `pid`, the
    CPU time that process spent per 1000 characters, and this one's, the clients' (without: this
    process's only)."""
    def client(c):
        rows = []
        for r in range(requests):
            start = time.perf_counter()
            chars = one_request(1000 * c + r)
            rows.append((time.perf_counter() - start, chars))
        return rows

    start, cpu, own = time.perf_counter(), cpu_seconds(pid), cpu_seconds()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = [row for rows in pool.map(client, range(clients)) for row in rows]
    result = summary(results, time.perf_counter() - start, clients)
    result["cpu_ms_per_1000_chars"] = 1e6 * (cpu_seconds(pid) - cpu) / max(1, result["characters"])
    if pid is not None:  # the clients share the server's cores: what they took
        result["clients_cpu_ms_per_1000_chars"] = 1e6 * (cpu_seconds() - own) / max(1, result["characters"])
    return result


def batcher_alone(batcher, requests: int, tokens: int) -> dict:
    """16 streams on a Batcher of the model: the same work, no HTTP (run in BatcherProcess)."""
    def one(seed):
        done, pieces = threading.Event(), []

        def emit(token, piece, *rest):
            if token is None:
                done.set()
            else:
                pieces.append(piece)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batcher.submit(PROMPTS[CHAR], tokens, emit=emit, temperature=0.8, seed=seed)
        done.wait()
        return len("".join(pieces))

    steps, made = batcher.steps, batcher.tokens
    result = run_clients(one, CLIENTS, requests)
    result["mean_batch"] = round((batcher.tokens - made) / max(1, batcher.steps - steps), 2)
    result["threads"] = batcher.stats()["threads"]
    return result


class BatcherProcess:
    """The batcher alone in a process of its own (this script with --batcher-worker), so that it
    and the server are alike to the scheduler: one process each, its threads its own, next to the
    clients' process. Each run is one line in ("requests tokens"), one JSON line out."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, __file__, "--batcher-worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def run(self, requests: int, tokens: int) -> dict:
        self.process.stdin.write(f"{requests} {tokens}\n")
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the batcher's process ended")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def batcher_worker() -> None:
    """The other end of BatcherProcess: one Batcher for the whole run, as the server's is (its
    choice of threads learnt as the server's)."""
    import zoo
    from zoo.batching import Batcher

    batcher = Batcher(zoo.load(CHAR))
    try:
        for line in sys.stdin:
            requests, tokens = map(int, line.split())
            print(json.dumps(batcher_alone(batcher, requests, tokens)), flush=True)
    finally:
        batcher.close()


def start_server(port: int):
    server = subprocess.Popen([str(Path(sys.executable).parent / "zoo"), "serve", CHAR, WORD, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=os.path.expanduser("~"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            tgi_generate(base, CHAR, 5, 0)  # also loads the models
            tgi_generate(base, WORD, 5, 0)
            return server, base
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.5)


def server_batching(base: str, model: str = CHAR) -> dict:
    """The server's batcher statistics for `model` (GET /health): steps, tokens, ..."""
    with urllib.request.urlopen(f"{base}/health") as response:
        return json.loads(response.read())["batching"][model]


def charrnn_rows(batcher, base, pid, requests: int, tokens: int, first: int = 0) -> dict:
    """The batcher alone, then each protocol followed by the batcher alone again: each protocol
    is set against the mean of the batcher rows either side of it (a drift in the machine's
    speed, another process starting, shows as a gap between them). The protocols go in turn
    from the `first`-th (rounds rotate it, so that none always follows the same row)."""
    order = list(PROTOCOLS.items())
    order = order[first % len(order):] + order[:first % len(order)]
    rows = {"batcher alone": batcher.run(requests, tokens)}
    for i, (label, call) in enumerate(order, 1):
        before = server_batching(base)
        rows[label] = run_clients(lambda seed, call=call: call(base, CHAR, tokens, seed), CLIENTS, requests, pid)
        after = server_batching(base)  # streams the server's batcher stepped together during the row
        rows[label]["mean_batch"] = round((after["tokens"] - before["tokens"]) / max(1, after["steps"] - before["steps"]), 2)
        rows[f"batcher alone ({i})"] = batcher.run(requests, tokens)
    alone = [row for label, row in rows.items() if label.startswith("batcher")]
    for i, (label, _) in enumerate(order):
        around = alone[i:i + 2]
        row = rows[label]
        row["ratio"] = row["chars_per_second"] / statistics.mean(r["chars_per_second"] for r in around)
        row["cpu_ratio"] = row["cpu_ms_per_1000_chars"] / statistics.mean(r["cpu_ms_per_1000_chars"] for r in around)
    return rows


def word_rows(base, pid, requests: int, tokens: int) -> dict:
    """One client, 16 clients, one client again, on the word model: 16 clients set against the
    mean of the one-client rows either side."""
    word = lambda seed: tgi_generate(base, WORD, tokens, seed)  # noqa: E731
    single = 4 * requests  # one client's requests: a row about as long as the others
    rows = {"1 client": run_clients(word, 1, single, pid),
            f"{CLIENTS} clients": run_clients(word, CLIENTS, requests, pid),
            "1 client (again)": run_clients(word, 1, single, pid)}
    alone = statistics.mean(rows[label]["chars_per_second"] for label in ("1 client", "1 client (again)"))
    for row in rows.values():
        row["ratio"] = row["chars_per_second"] / alone
    return rows


def medians(rounds: list[dict]) -> dict:
    """Each row's numbers over the rounds: the median of each."""
    return {label: {key: statistics.median(r[label][key] for r in rounds) for key in rounds[0][label]
                    if isinstance(rounds[0][label][key], (int, float))}
            for label in rounds[0]}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4,
                        help="requests per client (default 4: a row of 2 is about 2 s, and swung by 30%%)")
    parser.add_argument("--tokens", type=int, default=300, help="characters per charrnn request (default 300)")
    parser.add_argument("--word-requests", type=int, default=8,
                        help="requests per client of 16, word model; one client makes 4x as many (default 8)")
    parser.add_argument("--word-tokens", type=int, default=20, help="words per word-model request (default 20)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of every row; medians reported (default 7)")
    parser.add_argument("--word-only", action="store_true", help="only the word model's rows")
    parser.add_argument("--busy", action="store_true", help="next to `yes > /dev/null`")
    parser.add_argument("--batcher-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batcher_worker:
        return batcher_worker()

    batcher = BatcherProcess()
    server, base = start_server(free_port())
    busy = None
    try:
        run_clients(lambda seed: tgi_generate(base, CHAR, 50, seed), CLIENTS, 2)  # warm-up: buffers, threads
        batcher.run(2, 50)
        if args.busy:
            busy = subprocess.Popen("yes > /dev/null", shell=True, start_new_session=True)
        rounds, word_rounds = [], []
        for round_ in range(args.rounds):
            if not args.word_only:
                rounds.append(charrnn_rows(batcher, base, server.pid, args.requests, args.tokens, first=round_))
            word_rounds.append(word_rows(base, server.pid, args.word_requests, args.word_tokens))
        rows, words = medians(rounds) if rounds else {}, medians(word_rounds)
        batching = {model: server_batching(base, model) for model in (CHAR, WORD)}
    finally:
        if busy is not None:
            os.killpg(busy.pid, 15)
            busy.wait()
        server.terminate()
        server.wait(timeout=30)
        batcher.close()

    where = "next to `yes > /dev/null`" if args.busy else "idle"
    if rows:
        print(f"zoo serve {CHAR}: {CLIENTS} clients x {args.requests} requests x {args.tokens} characters, {where}; "
              f"the median of {args.rounds} rounds\n")
        print("| | chars/s | x batcher alone | CPU ms / 1000 chars | x batcher's | clients' CPU ms / 1000 chars "
              "| mean batch | p50 latency s | p99 latency s |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, row in rows.items():
            ratio, cpu = (f"{row['ratio']:.2f}", f"{row['cpu_ratio']:.2f}") if "ratio" in row else ("", "")
            clients = f"{row['clients_cpu_ms_per_1000_chars']:.0f}" if "clients_cpu_ms_per_1000_chars" in row else ""
            print(f"| {label} | {row['chars_per_second']:,.0f} | {ratio} | {row['cpu_ms_per_1000_chars']:.0f} | {cpu} "
                  f"| {clients} | {row['mean_batch']:.2f} | {row['latency_p50']:.2f} | {row['latency_p99']:.2f} |")
    print(f"\n{WORD} through TGI's /generate: {args.word_tokens} words a request, {where}; "
          f"the median of {args.rounds} rounds\n")
    print("| | chars/s | x one client | CPU ms / 1000 chars | p50 latency s | p99 latency s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, row in words.items():
        print(f"| {label} | {row['chars_per_second']:,.0f} | {row['ratio']:.2f} | {row['cpu_ms_per_1000_chars']:.0f} "
              f"| {row['latency_p50']:.2f} | {row['latency_p99']:.2f} |")
    result = {"model": CHAR, "word_model": WORD, "clients": CLIENTS, "requests_per_client": args.requests,
              "tokens": args.tokens, "word_requests_per_client": args.word_requests, "word_tokens": args.word_tokens,
              "busy": args.busy, "rounds": args.rounds, "charrnn": rows, "charrnn_rounds": rounds,
              "word": words, "word_rounds": word_rounds,
              "server_batching": batching,
              "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"serve_protocols{'_words' if args.word_only else ''}{'_busy' if args.busy else ''}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwritten to {path.relative_to(RESULTS.parent.parent)} (load average {os.getloadavg()[0]:.1f})")
    return result


if __name__ == "__main__":
    main()
