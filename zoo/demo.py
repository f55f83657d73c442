"""`zoo demo`: load the pretrained artifacts, offline, and show each at work."""

from __future__ import annotations

import sys
from pathlib import Path

import zoo


def _stream(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def main(out="demo-out") -> None:
    out = Path(out)
    print("== charrnn-shakespeare: a character-level LSTM writes Shakespeare")
    charrnn = zoo.load("charrnn-shakespeare")
    _stream("ROMEO:")
    charrnn.generate("ROMEO:", 400, temperature=0.8, seed=1, on_text=_stream)
    print(f"\n   (validation loss {charrnn.metrics['val_loss']:.3f} nats/char; `zoo generate charrnn-shakespeare --prompt ...`)")

    print("\n== lstm-lm-shakespeare: a word-level LSTM language model")
    lm = zoo.load("lstm-lm-shakespeare")
    _stream("the king")
    lm.generate("the king", 25, temperature=0.8, seed=1, on_text=_stream)
    print("\n   next words after 'my lord ,':",
          ", ".join(f"{w} ({p:.2f})" for w, p in lm.next_words("my lord ,", 5)))

    print("\n== skipgram-shakespeare: word vectors; the nearest to 'king'")
    wv = zoo.load("skipgram-shakespeare").wv
    print("  ", ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar("king", topn=6)))

    print("\n== seq2seq-dates: an encoder-decoder rewrites dates to ISO 8601")
    dates = ["25 Nov 2026", "Wednesday, November 25, 2026", "the 3rd of March 1999", "11/25/26"]
    for source, target in zip(dates, zoo.load("seq2seq-dates").translate(dates, beam_size=3)):
        print(f"   {source:<30} -> {target}")

    print("\n== mlp-xor: the network that learns XOR (Goodfellow et al., ch. 6.1)")
    print(zoo.load("mlp-xor").truth_table())

    print("\n== cnn-filters-classic: four classic kernels on a photograph (Grace Hopper, from matplotlib)")
    from zoo.models import conv

    bank = zoo.load("cnn-filters-classic")
    image, _ = conv.read_image(conv.sample_image_path())
    for kernel in bank.kernel_names:
        target = out / f"grace_hopper-{kernel}.jpg"
        conv.write_image(target, bank.apply(image, kernel))
        print(f"   {kernel:<13} -> {target}")
    print("\nMore: `zoo list`, `zoo info NAME`, `zoo --help`; model cards in MODEL_CARDS.md.")
