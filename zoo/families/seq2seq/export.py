"""`zoo export` for seq2seq: the teacher-forced forward model, (source ids, decoder input ids)
-> next-character logits. Greedy decoding calls it once per output character (README.md's
loop; one call is cheap, as outputs are about 10 characters). LiteRT gets fixed lengths: the
longest source, and the longest output plus <start>."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Plan, ids_input, json_text
from zoo.families.seq2seq.vocab import END, PAD, START


def plan(art) -> Plan:
    source_length, target_length = art.max_source_length, art.max_target_length + 1
    source, target = art.source_vocab.tokens, art.target_vocab.tokens
    return Plan(art.model, [ids_input("source", (None, None), f"input character ids, left-padded with <pad> (0) to {source_length}", len(source)),
                            ids_input("target_in", (None, None), "<start> (1), then the output so far; <pad> (0) after", len(target))],
                [{"name": "logits", "shape": [None, None, len(target)],
                  "what": "the next output character's logits after each decoder position"}],
                "the teacher-forced forward model: (source ids, decoder input ids) -> next-character logits",
                loop=("src = {c: i for i, c in enumerate(vocab['source'])}\n"
                      "text = '25 Nov 2026'\n"
                      f"source = np.array([[{PAD}] * ({source_length} - len(text)) + [src[c] for c in text]], 'int32')\n"
                      f"target_in = np.full((1, {target_length}), {PAD}, 'int32'); target_in[0, 0] = {START}\n"
                      "out = []\n"
                      f"for t in range({target_length}):  # greedy; the decoder is causal: padding after t is not read\n"
                      "    logits = run(source=source, target_in=target_in)[0, t]\n"
                      f"    logits[[{PAD}, {START}]] = -np.inf\n"
                      "    token = int(logits.argmax())\n"
                      f"    if token == {END}:\n"
                      "        break\n"
                      "    out.append(vocab['target'][token])\n"
                      f"    if t + 1 < {target_length}:\n"
                      "        target_in[0, t + 1] = token\n"
                      "print(''.join(out))  # 2026-11-25"),
                files={VOCAB_FILE: json_text({"source": source, "target": target, "pad": PAD, "start": START, "end": END,
                                              "max_source_length": source_length})},
                static=[(1, source_length), (1, target_length)])
