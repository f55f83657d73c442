"""word2vec's part of `zoo demo`: each model's nearest neighbours of a few words."""

from __future__ import annotations

import zoo
from zoo import demo

# Artifact -> (the words shown, what the section says); the words were picked by looking.
SHOWN = {
    "skipgram-shakespeare": (("romeo", "three", "daughter"),
                             "word2vec skip-gram vectors; each word's nearest neighbours"),
    "cbow-shakespeare": (("father", "tears", "york"), "word2vec CBOW vectors; each word's nearest neighbours"),
}


def section(out) -> None:
    for name, (queries, what) in SHOWN.items():
        demo.header(name, what)
        art = zoo.load(name)
        width = max(map(len, queries))
        for word in queries:
            demo.say(f"   {word:<{width}} -> " + ", ".join(w for w, _ in art.similar(word, topn=6)))
        demo.run_alone(f"zoo similar {name} {demo.arg(queries[0])} --topn 6")
