"""How fast the `zoo` command starts, against `python -c "import keras"` run side by side.

Each command is a fresh process; the commands take turns (round after round, so a burst of load
on the machine touches all of them alike) and the table gives each one's median wall time and
CPU time, and its ratio to the median of `import keras`. Goals (issue #16): `zoo list` <= 0.1x,
`zoo generate charrnn-shakespeare --length 200` <= 1.3x.

    .venv/bin/python benchmarks/startup.py [--rounds 7] [--busy]

--busy runs the same with one competing busy process (a spinning Python loop) on the machine.
Prints a table and writes benchmarks/results/startup.json (or startup_busy.json).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BIN = Path(sys.executable).parent

COMMANDS = {
    'python -c "import keras"': [sys.executable, "-c", "import keras"],
    "zoo --help": [str(BIN / "zoo"), "--help"],
    "zoo list": [str(BIN / "zoo"), "list"],
    "zoo info charrnn-shakespeare": [str(BIN / "zoo"), "info", "charrnn-shakespeare"],
    "zoo generate --help": [str(BIN / "zoo"), "generate", "--help"],
    "zoo generate charrnn-shakespeare --length 200": [
        str(BIN / "zoo"), "generate", "charrnn-shakespeare", "--length", "200", "--seed", "1"],
}
REFERENCE = 'python -c "import keras"'


def run_once(argv) -> tuple[float, float]:
    """Wall and CPU seconds of one run of a command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=os.path.expanduser("~"))  # from outside the repository
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument("--busy", action="store_true", help="with one competing busy process")
    args = parser.parse_args(argv)

    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_spin, args=(stop,), daemon=True) if args.busy else None
    if busy:
        busy.start()
    times = {name: [] for name in COMMANDS}
    try:
        for argv_ in COMMANDS.values():  # one warm-up each: the file cache, compiled bytecode
            run_once(argv_)
        for round_ in range(args.rounds):
            for name, argv_ in COMMANDS.items():
                times[name].append(run_once(argv_))
            print(f"  round {round_ + 1}/{args.rounds}", file=sys.stderr, flush=True)
    finally:
        if busy:
            stop.set()
            busy.join(5)

    reference = statistics.median(w for w, _ in times[REFERENCE])
    rows = [{"command": name, "median_wall_s": statistics.median(w for w, _ in runs),
             "median_cpu_s": statistics.median(c for _, c in runs),
             "ratio_to_import_keras": statistics.median(w for w, _ in runs) / reference,
             "runs": [{"wall_s": w, "cpu_s": c} for w, c in runs]} for name, runs in times.items()]
    print(f"\n{'idle' if not args.busy else 'with one busy process'}, {args.rounds} rounds, medians")
    print("| command | wall s | CPU s | x `import keras` |\n| --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| `{r['command']}` | {r['median_wall_s']:.3f} | {r['median_cpu_s']:.3f} | "
              f"{r['ratio_to_import_keras']:.3f} |")

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from zoo import io

    out = RESULTS / ("startup_busy.json" if args.busy else "startup.json")
    io.write_json(out, {"busy": args.busy, "rounds": args.rounds, "rows": rows,
                        "python": sys.version.split()[0], "cpu_count": os.cpu_count()})
    print(f"\nwritten to {out}")
    return rows


if __name__ == "__main__":
    main()
