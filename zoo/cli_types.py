"""The argparse types the `zoo` verbs share, the CLI's own and the families' (declared in their
artifact classes' `cli_verbs`): each checks an argument before any model is loaded (a seed in
numpy's range, a finite temperature, ...) and says what is wrong on one line. Light, stdlib only:
the artifact classes import it and `zoo --help` reads them all.
"""

from __future__ import annotations

import argparse
import math

MAX_GENERATE = 100_000  # tokens one `zoo generate` may ask for (more is almost surely a typo)


def _number(text: str, kind, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what} must be a finite number, got {text!r}")
    return value


def bounded(kind, what: str, low=None, high=None):
    """An argparse type: a number of `kind` (int or float) from `low` to `high`."""
    def parse(text):
        value = _number(text, kind, what)
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{what} must be {span}, got {text}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


SEED = bounded(int, "the seed", 0, 2**32 - 1)
TEMPERATURE = bounded(float, "the temperature", 0.0, 100.0)
TOP_K = bounded(int, "top-k", 1)
TOP_P = bounded(float, "top-p", 0.0, 1.0)
LENGTH = bounded(int, "the length", 0, MAX_GENERATE)
COUNT = bounded(int, "the count", 1, 10_000)
EPOCHS = bounded(int, "the number of epochs", 1, 100_000)
BEAM = bounded(int, "the beam size", 1, 64)
DEVICES = bounded(int, "the number of devices", 1)
PORT = bounded(int, "the port", 1, 65535)


def BIT(text: str) -> float:  # noqa: N802  (named like the other argument types)
    if text.strip() not in ("0", "1", "0.0", "1.0"):
        raise argparse.ArgumentTypeError(f"XOR inputs are bits, 0 or 1; got {text!r}")
    return float(text)


def KERNEL_SIZE(text: str) -> int:  # noqa: N802
    value = bounded(int, "the kernel size", 1, 7)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(f"the kernel size must be odd (1, 3, 5 or 7) so the filter has a centre; got {text}")
    return value
