"""`zoo translate`, the verb the Seq2Seq class declares (its `cli_verbs`)."""

from __future__ import annotations

from zoo import registry
from zoo.cli import load_as


def translate(args) -> None:
    art = load_as(args.name, registry.artifact_class("seq2seq"), "a sequence-to-sequence model")
    for output, score in art.translate_with_scores(args.texts, beam_size=args.beam_size):
        print(f"{output}\t{score:.4f}" if args.scores else output)
