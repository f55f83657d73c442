"""`zoo export` for the word language models: one call of the network, and in README.md the
generation loop around it (sample the next word, append it, call again).

- ngram-lm: the network as trained, n-1 context word ids -> next-word logits.
- gru-lm, lstm-lm: the forward model, a window of word ids -> next-word logits at every
  position; LiteRT gets the window the zoo feeds as a fixed shape.
"""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Plan, ids_input, json_text


def ngram_plan(art) -> Plan:
    context, words = int(art.config["hparams"]["context"]), art.vocab.words
    return Plan(art.model, [ids_input("context", (None, context), f"the {context} previous word ids of the line, <s>-padded", len(words))],
                [{"name": "logits", "shape": [None, len(words)], "what": "next-word logits (softmax for probabilities)"}],
                "the network as trained: n-1 context words -> next-word logits",
                loop=(f"ids = {{w: i for i, w in enumerate(vocab['words'])}}\n"
                      f"line = ['<s>'] * {context} + 'to be or'.split()  # the line so far (lower-case words)\n"
                      "for _ in range(20):\n"
                      f"    context = np.array([[ids.get(w, 0) for w in line[-{context}:]]], 'int32')  # 0 is <UNK>\n"
                      "    logits = run(context=context)[0].astype('float64')\n"
                      "    logits[[0, 1]] = -np.inf  # never <UNK> or <s>\n"
                      "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                      "    word = vocab['words'][rng.choice(len(p), p=p)]\n"
                      f"    line = ['<s>'] * {context} if word == '</s>' else line + [word]  # </s>: a new line\n"
                      "    print(word, end=' ')"),
                files={VOCAB_FILE: json_text({"words": words, "unknown": "<UNK>", "line_start": "<s>", "line_end": "</s>"})})


def recurrent_plan(art, window: int) -> Plan:
    """`window`: how many ids the artifact's own generation feeds (the class passes it)."""
    words = art.vocab.words
    return Plan(art.model, [ids_input("tokens", (None, None), "a window of word ids, lines separated by </s>", len(words))],
                [{"name": "logits", "shape": [None, None, len(words)], "what": "next-word logits after each position"}],
                "the forward model: a window of word ids -> next-word logits at every position",
                loop=(f"ids = {{w: i for i, w in enumerate(vocab['words'])}}\n"
                      "history = [ids.get(w, 0) for w in 'to be or'.split()]  # lines end with </s> (id 2)\n"
                      "for _ in range(20):\n"
                      f"    window = ([2] * {window} + history)[-{window}:]  # as the zoo does: {window} ids, </s>-padded\n"
                      "    logits = run(tokens=np.array([window], 'int32'))[0, -1].astype('float64')\n"
                      "    logits[[0, 1]] = -np.inf  # never <UNK> or <s>\n"
                      "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
                      "    history.append(int(rng.choice(len(p), p=p)))\n"
                      "    print(vocab['words'][history[-1]], end=' ')"),
                files={VOCAB_FILE: json_text({"words": words, "unknown": "<UNK>", "line_end": "</s>"})},
                static=[(1, window)])
