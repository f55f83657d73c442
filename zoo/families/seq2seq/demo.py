"""seq2seq's part of `zoo demo`: dates in several forms, rewritten to ISO 8601."""

from __future__ import annotations

import zoo
from zoo import demo

DATES = ["25 Nov 2026", "Wednesday, November 25, 2026", "the 3rd of March 1999", "11/25/26"]


def section(out) -> None:
    demo.header("seq2seq-dates", "an encoder-decoder with attention rewrites dates to ISO 8601")
    width = max(map(len, DATES))
    for source, target in zip(DATES, zoo.load("seq2seq-dates").translate(DATES, beam_size=3)):
        demo.say(f"   {source:<{width}} -> {target}")
    demo.run_alone("zoo translate seq2seq-dates " + " ".join(map(demo.arg, DATES)) + " --beam-size 3")
