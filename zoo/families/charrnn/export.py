"""`zoo export` for charrnn: the forward model, a window of character ids -> next-character
logits at every position. Generation feeds the window, samples from the last position and
slides on (README.md's loop); LiteRT gets WINDOW characters as a fixed shape."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Plan, ids_input, json_text

WINDOW = 128  # the suggested window (any length for ONNX and SavedModel)


def plan(art) -> Plan:
    chars = art.vocab.tokens
    pad = chars.index("\n") if "\n" in chars else 0
    return Plan(art.model, [ids_input("chars", (None, None), "a window of character ids", len(chars))],
                [{"name": "logits", "shape": [None, None, len(chars)], "what": "next-character logits after each position"}],
                "the forward model: a window of character ids -> next-character logits at every position",
                loop=("ids = {c: i for i, c in enumerate(vocab['chars'])}\n"
                      "text = 'ROMEO:'\n"
                      "for _ in range(200):\n"
                      f"    window = ([{pad}] * {WINDOW} + [ids[c] for c in text if c in ids])[-{WINDOW}:]\n"
                      "    logits = run(chars=np.array([window], 'int32'))[0, -1].astype('float64') / 0.8  # temperature\n"
                      "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                      "    text += vocab['chars'][rng.choice(len(p), p=p)]\n"
                      "print(text)"),
                files={VOCAB_FILE: json_text({"chars": chars})},
                static=[(1, WINDOW)])
