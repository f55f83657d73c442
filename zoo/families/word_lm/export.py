"""`zoo export` for the word language models: one call of the network, and in README.md the
generation loop around it (sample the next word, append it, call again).

- ngram-lm: the network as trained, n-1 context word ids -> next-word logits.
- gru-lm, lstm-lm: the forward model, a window of word ids -> next-word logits at every
  position; LiteRT gets the window the zoo feeds as a fixed shape. Beside it, the step (`step`:
  a signature of the SavedModel, step.onnx, step.tflite): one word and the recurrent state in,
  the next word's log-probabilities and the new state out, as the zoo generates (README.md's
  second loop: with temperature 0 it writes what `art.generate(prompt, n, temperature=0)` writes).
"""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Endpoint, Plan, ids_input, json_text, state_input


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
    step = step_endpoint(art)
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
                static=[(1, window)], endpoints=[step], step_loop=step_loop(step, window))


def step_endpoint(art) -> Endpoint:
    from zoo.families.word_lm.rnnlm import build_step

    model, vocab = build_step(art.model), len(art.vocab.words)
    states = [(t.name, int(t.shape[-1])) for t in model.inputs[1:]]
    meaning = lambda name: f"layer {name.split('_')[1]}'s {'output h' if name[0] == 'h' else 'cell state c'}"  # noqa: E731
    return Endpoint(
        "step", model,
        [ids_input("token", (None,), "one word id per stream (</s>: a line's end)", vocab),
         *(state_input(name, units, meaning(name) + " (zeros before the first word)") for name, units in states)],
        [{"name": "log_probs", "shape": [None, vocab], "what": "log-probabilities of the next word (log_softmax)"},
         *({"name": f"{name}_next", "shape": [None, units], "what": meaning(name) + " after this word"}
           for name, units in states)],
        "one word in, with the recurrent state; the next word's log-probabilities and the new state out",
        static=[(1,)] + [(1, units) for _, units in states])


def step_loop(step: Endpoint, window: int) -> str:
    """The zoo's generation (RecurrentLanguageModel.prompt_state): the prompt read as the window
    model reads it, </s>-padded in front to `window` words, then one word at a time."""
    units = {t.name: int(t.shape[-1]) for t in step.model.inputs[1:]}
    return (
        "ids = {w: i for i, w in enumerate(vocab['words'])}\n"
        "prompt, temperature = 'to be or not to'.split(), 0  # lower-case words; 0: greedy (the likeliest word)\n"
        f"state = {{name: np.zeros((1, units), 'float32') for name, units in {units!r}.items()}}\n"
        f"for word in ['</s>'] * ({window} - len(prompt)) + prompt[-{window}:]:  # the prompt, as the zoo reads it\n"
        "    out = run_step(token=np.array([ids.get(word, 0)], 'int32'), **state)  # 0 is <UNK>\n"
        "    state = {name: out[name + '_next'] for name in state}\n"
        "text, previous = '', prompt[-1] if prompt else None\n"
        "for _ in range(20):\n"
        "    log_probs = out['log_probs'][0].astype('float64')\n"
        "    log_probs[[0, 1]] = -np.inf  # never <UNK> or <s>\n"
        "    if temperature == 0:\n"
        "        token = int(log_probs.argmax())\n"
        "    else:\n"
        "        p = np.exp((log_probs - log_probs.max()) / temperature)\n"
        "        token = int(rng.choice(len(p), p=p / p.sum()))\n"
        "    word = vocab['words'][token]\n"
        "    if word == '</s>':  # the text a word adds, as the zoo writes it\n"
        "        text += '\\n'\n"
        "    elif previous in (None, '</s>', \"'\", '-', '(', '[') or word[0] == '-':\n"
        "        text += word\n"
        "    elif word[0] == \"'\" and not previous[-1].isalnum():\n"
        "        text += ' ' + word\n"
        "    elif word[0] in \".,;:!?')]}\":\n"
        "        text += word\n"
        "    else:\n"
        "        text += ' ' + word\n"
        "    previous = word\n"
        "    out = run_step(token=np.array([token], 'int32'), **state)  # one word: no window to rerun\n"
        "    state = {name: out[name + '_next'] for name in state}\n"
        "print(text)")
