"""The verbs of every language model, `zoo generate`, `zoo score` and `zoo next`, written once:
zoo.language_model.LanguageModel declares them (its `cli_verbs`) and every subclass, of any
family, has them. Each takes the arguments argparse parsed from that declaration."""

from __future__ import annotations

import sys

from zoo.cli import load_as
from zoo.language_model import LanguageModel


def _load(name: str) -> LanguageModel:
    return load_as(name, LanguageModel, "a language model")


def _stream(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def generate(args) -> None:
    art = _load(args.name)
    _stream(args.prompt)
    art.generate(args.prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                 top_p=args.top_p, seed=args.seed, stream=_stream)
    _stream("\n")


def score(args) -> None:
    from zoo import io

    text = io.read_user_text(args.file, "to score")  # before the model loads: a bad file fails fast
    print(_load(args.name).score(text))


def next_tokens(args) -> None:
    art = _load(args.name)
    for token, prob in art.next_tokens(args.context, args.k):
        print(f"{prob:8.4f}  {token!r}" if art.unit == "character" else f"{prob:8.4f}  {token}")
