"""`zoo export` for charrnn: the forward model, a window of character ids -> next-character
logits at every position (`serving_default`, model.onnx, model.tflite). Generation feeds the
window, samples from the last position and slides on (README.md's first loop); LiteRT gets
WINDOW characters as a fixed shape.

Beside it, the step (`step`: a signature of the SavedModel, step.onnx, step.tflite): one
character and the recurrent state in, the next character's log-probabilities and the new state
out, as the zoo's own numpy step generates (README.md's second loop: with temperature 0 it
writes what `art.generate(prompt, n, temperature=0)` writes)."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Endpoint, Plan, ids_input, json_text, state_input

WINDOW = 128  # the suggested window (any length for ONNX and SavedModel)


def step_endpoint(art) -> Endpoint:
    from zoo.families.charrnn.model import build_step

    model, vocab = build_step(art.model), len(art.vocab)
    states = [t.name for t in model.inputs[1:]]
    units = int(model.inputs[1].shape[-1])
    meaning = lambda name: (f"layer {name.split('_')[1]}'s {'output h' if name[0] == 'h' else 'cell state c'}")  # noqa: E731
    return Endpoint(
        "step", model,
        [ids_input("token", (None,), "one character id per stream", vocab),
         *(state_input(name, units, meaning(name) + " (zeros before the first character)") for name in states)],
        [{"name": "log_probs", "shape": [None, vocab], "what": "log-probabilities of the next character (log_softmax)"},
         *({"name": f"{name}_next", "shape": [None, units], "what": meaning(name) + " after this character"}
           for name in states)],
        "one character in, with the recurrent state; the next character's log-probabilities and the new state out",
        static=[(1,)] + [(1, units)] * len(states))


def step_loop(states: list[str], units: int) -> str:
    return (
        "ids = {c: i for i, c in enumerate(vocab['chars'])}\n"
        "prompt, temperature = 'ROMEO:', 0  # 0: greedy, the likeliest character each time\n"
        f"state = {{name: np.zeros((1, {units}), 'float32') for name in {states!r}}}\n"
        "for c in [c for c in prompt if c in ids] or ['\\n']:  # read the prompt (an empty one: a new line)\n"
        "    out = run_step(token=np.array([ids[c]], 'int32'), **state)\n"
        "    state = {name: out[name + '_next'] for name in state}\n"
        "text = ''\n"
        "for _ in range(200):\n"
        "    log_probs = out['log_probs'][0].astype('float64')\n"
        "    if temperature == 0:\n"
        "        token = int(log_probs.argmax())\n"
        "    else:\n"
        "        p = np.exp((log_probs - log_probs.max()) / temperature)\n"
        "        token = int(rng.choice(len(p), p=p / p.sum()))\n"
        "    text += vocab['chars'][token]\n"
        "    out = run_step(token=np.array([token], 'int32'), **state)  # one character: no window to rerun\n"
        "    state = {name: out[name + '_next'] for name in state}\n"
        "print(prompt + text)")


def plan(art) -> Plan:
    chars = art.vocab.tokens
    pad = chars.index("\n") if "\n" in chars else 0
    step = step_endpoint(art)
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
                static=[(1, WINDOW)], endpoints=[step],
                step_loop=step_loop(step.state, int(step.model.inputs[1].shape[-1])))
