"""`zoo similar`, the verb the WordVectors class declares (its `cli_verbs`)."""

from __future__ import annotations

from zoo import registry
from zoo.cli import load_as


def similar(args) -> None:
    art = load_as(args.name, registry.artifact_class("skipgram"), "a word2vec model")  # cbow's class too
    neighbours = art.similar(args.word, topn=args.topn)
    width = max(len(w) for w, _ in neighbours)
    for word, score in neighbours:
        print(f"{word:<{width}}  {score:.4f}")
