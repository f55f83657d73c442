"""`zoo export` for seq2seq: the teacher-forced forward model, (source ids, decoder input ids)
-> next-character logits. Greedy decoding calls it once per output character (README.md's
loop; one call is cheap, as outputs are about 10 characters). LiteRT gets fixed lengths: the
longest source, and the longest output plus <start>.

Beside it, the encoder and the decoder's step (`encode` and `step`: signatures of the SavedModel,
encode.onnx and step.onnx, encode.tflite and step.tflite): the source read once, then one output
character per call with the decoder's state carried by the caller, as the zoo's own greedy
decoding runs (README.md's second loop writes what `art.translate` writes)."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Endpoint, Plan, floats_input, ids_input, json_text, state_input
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
                static=[(1, source_length), (1, target_length)],
                endpoints=endpoints(art), step_loop=step_loop(art))


def endpoints(art) -> list[Endpoint]:
    from zoo.families.seq2seq.model import export_models

    encoder, step = export_models(art.model)
    source_length, units = art.max_source_length, int(step.inputs[1].shape[-1])
    context = [t.name for t in step.inputs if t.name in ("encoder_outputs", "attention_keys")]
    states = [t.name for t in step.inputs[1:] if t.name not in context]
    meaning = {"h": "the decoder's state h", "c": "the decoder's cell state c",
               "encoder_outputs": "the encoder's output at each source position (from encode)",
               "attention_keys": "the attention's keys of the encoder's outputs (from encode)"}
    context_inputs = [floats_input(name, (None, None, units), meaning[name], -1.0, 1.0) for name in context]
    encode = Endpoint(
        "encode", encoder,
        [ids_input("source", (None, None), f"input character ids, left-padded with <pad> (0) to {source_length}",
                   len(art.source_vocab.tokens))],
        [{"name": name, "shape": [None, None, units], "what": meaning[name]} for name in context]
        + [{"name": name, "shape": [None, units], "what": meaning[name] + ": the step's first state"} for name in states],
        "the encoder: the source read once; its outputs for every step, and the decoder's first state",
        static=[(1, source_length)])
    decode = Endpoint(
        "step", step,
        [ids_input("token", (None,), f"the previous output character's id (<start> ({START}) first)",
                   len(art.target_vocab.tokens)),
         *(state_input(name, units, meaning[name]) for name in states), *context_inputs],
        [{"name": "log_probs", "shape": [None, len(art.target_vocab.tokens)],
          "what": "log-probabilities of the next output character (log_softmax)"},
         *({"name": f"{name}_next", "shape": [None, units], "what": meaning[name] + " after this step"} for name in states)],
        "one decoder step: the previous character and the state in; the next character's log-probabilities and "
        "the new state out",
        static=[(1,)] + [(1, units)] * len(states) + [(1, source_length, units)] * len(context))
    return [encode, decode]


def step_loop(art) -> str:
    return (
        "src = {c: i for i, c in enumerate(vocab['source'])}\n"
        "text = '25 Nov 2026'\n"
        f"source = np.array([[{PAD}] * ({art.max_source_length} - len(text)) + [src[c] for c in text]], 'int32')\n"
        "encoded = run_encode(source=source)\n"
        "context = {k: v for k, v in encoded.items() if k in ('encoder_outputs', 'attention_keys')}\n"
        "state = {k: v for k, v in encoded.items() if k not in context}  # the decoder starts from the encoder's state\n"
        f"token, out = {START}, []\n"
        f"for _ in range({art.max_target_length + 1}):  # greedy: the likeliest character each time\n"
        "    result = run_step(token=np.array([token], 'int32'), **state, **context)\n"
        "    state = {name: result[name + '_next'] for name in state}\n"
        "    log_probs = result['log_probs'][0]\n"
        f"    log_probs[[{PAD}, {START}]] = -np.inf  # never produced\n"
        "    token = int(log_probs.argmax())\n"
        f"    if token == {END}:\n"
        "        break\n"
        "    out.append(vocab['target'][token])\n"
        "print(''.join(out))  # 2026-11-25")
