"""charrnn's part of `zoo demo`: the character model writes Shakespeare, streamed."""

from __future__ import annotations

import zoo
from zoo import demo

# The seed was picked by looking; the text is reproducible.
PROMPT, LENGTH, MAX_LENGTH, SEED = "ROMEO:", 400, 700, 1


def section(out) -> dict:
    """ROMEO: and about 400 characters, streamed, running on to the end of a line of speech."""
    demo.header("charrnn-shakespeare", "a character-level LSTM writes Shakespeare, one character at a time")
    art = zoo.load("charrnn-shakespeare")
    kept, word, line = [], [], []  # shown; held back (past the length); the line so far

    def on_char(char: str) -> None:
        line.append(char)
        if len(kept) < LENGTH:
            kept.append(char)
            demo.write(char)
        else:  # past the length: shown a word at a time, so that the text ends on a boundary
            word.append(char)
            if char in " \n":
                kept.extend(word)
                demo.write("".join(word))
                word.clear()
        if char == "\n":
            finished = "".join(line)
            line.clear()
            if len(kept) >= LENGTH and finished.strip() and not demo.speaker_line(finished):
                raise demo.Enough

    demo.write(PROMPT)
    try:
        art.generate(PROMPT, MAX_LENGTH, temperature=demo.TEMPERATURE, seed=SEED, stream=on_char)
    except demo.Enough:
        pass
    text = "".join(kept)  # no line's end within MAX_LENGTH characters: it ends at a word's end
    if not text.endswith("\n"):
        demo.write("\n")
    demo.say(f"   ({len(text)} characters, to the end of a line; validation loss "
             f"{art.metrics['val_loss']:.3f} nats/char)")
    demo.run_alone(f"zoo generate charrnn-shakespeare --prompt {demo.arg(PROMPT, quote=True)} --length {len(text)} "
                   f"--temperature {demo.TEMPERATURE} --seed {SEED}")
    return {"charrnn": PROMPT + text}
