"""`zoo demo`: load every family's pretrained artifact, offline, and show each at work.

Each section ends with the one shell line that does the same thing alone. The only file written
is the filter bank's contact sheet, `OUT/contact_sheet.png` (atomically); nothing else under OUT
is touched. `main` returns what it showed (the generated texts, the sheet's path and size).
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import zoo
from zoo.errors import InvalidInputError

SHEET_NAME = "contact_sheet.png"
TEMPERATURE = 0.8

# What the sections show. The seeds and words were picked by looking; all are reproducible.
CHARRNN_PROMPT, CHARRNN_LENGTH, CHARRNN_MAX, CHARRNN_SEED = "ROMEO:", 400, 700, 1
LSTM_PROMPT, LSTM_MIN_WORDS, LSTM_MAX_WORDS, LSTM_SEED = "o romeo, romeo,", 16, 40, 2
GRU_CONTEXT = "O Romeo, Romeo, wherefore art"
NGRAM_LINE = "To be, or not to be: that is the question."
NGRAM_SHUFFLED = "is the be, be: not to or To question. that"  # the same words, shuffled
SKIPGRAM_WORDS = ("romeo", "three", "daughter")
CBOW_WORDS = ("father", "tears", "york")
DATES = ["25 Nov 2026", "Wednesday, November 25, 2026", "the 3rd of March 1999", "11/25/26"]
BITS = [[0, 0], [0, 1], [1, 0], [1, 1]]


def _say(*lines: str) -> None:
    for line in lines:
        print(line)
    sys.stdout.flush()


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


_started = []  # whether a section has been printed (the first needs no blank line above it)


def _section(name: str, what: str) -> None:
    _say(*([""] if _started else []), f"== {name}: {what}")
    _started.append(name)


def _arg(text: str, quote: bool = False) -> str:
    """A shell argument as a person would type it: bare (unless `quote`), else in double quotes
    where that is safe."""
    if not quote and re.fullmatch(r"[\w@%+=:,./-]+", text):
        return text
    if not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return shlex.quote(text)


def _path_arg(path) -> str:
    """A path as short as it can be said: relative to the current folder when it is inside it."""
    path = Path(path)
    try:
        path = Path(os.path.relpath(path)) if path.resolve().is_relative_to(Path.cwd().resolve()) else path
    except (OSError, ValueError):  # another drive (Windows)
        pass
    return _arg(path.as_posix())


def _run_alone(command: str) -> None:
    _say(f"   $ {command}")


def _speaker_line(line: str) -> bool:
    """A play's speaker line ("ROMEO:", "KING RICHARD III:"): not a place for the text to end."""
    return line.rstrip().endswith(":") and len(line.split()) <= 4


class _Enough(Exception):
    """Raised from a streaming callback to stop generating once the text has a good end."""


# ------------------------------------------------------------------------------- sections


def _charrnn() -> str:
    """ROMEO: and about 400 characters, streamed, running on to the end of a line of speech."""
    _section("charrnn-shakespeare", "a character-level LSTM writes Shakespeare, one character at a time")
    importlib.import_module("zoo.models")  # Keras and its backend, without their start-up noise
    art = zoo.load("charrnn-shakespeare")
    kept, word, line = [], [], []  # shown; held back (past the length); the line so far

    def on_char(char: str) -> None:
        line.append(char)
        if len(kept) < CHARRNN_LENGTH:
            kept.append(char)
            _write(char)
        else:  # past the length: shown a word at a time, so that the text ends on a boundary
            word.append(char)
            if char in " \n":
                kept.extend(word)
                _write("".join(word))
                word.clear()
        if char == "\n":
            finished = "".join(line)
            line.clear()
            if len(kept) >= CHARRNN_LENGTH and finished.strip() and not _speaker_line(finished):
                raise _Enough

    _write(CHARRNN_PROMPT)
    try:
        art.generate(CHARRNN_PROMPT, CHARRNN_MAX, temperature=TEMPERATURE, seed=CHARRNN_SEED, stream=on_char)
    except _Enough:
        pass
    text = "".join(kept)  # no line's end within CHARRNN_MAX characters: it ends at a word's end
    if not text.endswith("\n"):
        _write("\n")
    _say(f"   ({len(text)} characters, to the end of a line; validation loss "
         f"{art.metrics['val_loss']:.3f} nats/char)")
    _run_alone(f"zoo generate charrnn-shakespeare --prompt {_arg(CHARRNN_PROMPT, quote=True)} --length {len(text)} "
               f"--temperature {TEMPERATURE} --seed {CHARRNN_SEED}")
    return CHARRNN_PROMPT + text


def _lstm_lm() -> str:
    """The prompt, then the continuation word by word, detokenised, to the end of a line."""
    from zoo.families.word_lm import words

    _section("lstm-lm-shakespeare", "a word-level LSTM language model continues a line")
    art = zoo.load("lstm-lm-shakespeare")
    prompt_tokens = words.tokenize(LSTM_PROMPT)
    before = prompt_tokens[-1] if prompt_tokens else None
    tokens, shown = [], [0]  # the generated tokens; how much of their text is printed

    def on_piece(piece: str) -> None:
        tokens.append(words.EOS if piece == "\n" else piece.strip())
        # An apostrophe's spacing depends on the word after it ("and 'tis", "brother's"): wait for it.
        ready = tokens[:-1] if tokens[-1] == "'" else tokens
        text = words.detokenize(ready, previous=before)
        _write(text[shown[0]:])
        shown[0] = len(text)
        if tokens[-1] == words.EOS and len(tokens) >= LSTM_MIN_WORDS:
            last_line = text.rstrip("\n").rsplit("\n", 1)[-1]
            if last_line.strip() and not _speaker_line(last_line):
                raise _Enough

    _write(LSTM_PROMPT)
    try:
        art.generate(LSTM_PROMPT, LSTM_MAX_WORDS, temperature=TEMPERATURE, seed=LSTM_SEED, stream=on_piece)
    except _Enough:
        pass
    text = words.detokenize(tokens, previous=before)
    _write(text[shown[0]:] + ("" if text.endswith("\n") else "\n"))
    _say(f"   ({len(tokens)} words, a line's end counting as one; the model reads lower-cased words; "
         f"test perplexity {art.metrics['test_perplexity']:.1f})")
    _run_alone(f"zoo generate lstm-lm-shakespeare --prompt {_arg(LSTM_PROMPT, quote=True)} --length {len(tokens)} "
               f"--temperature {TEMPERATURE} --seed {LSTM_SEED}")
    return LSTM_PROMPT + text


def _shown_word(word: str) -> str:
    from zoo.families.word_lm import words

    return {words.EOS: "(end of line)", words.UNK: "(a rare word)"}.get(word, word)


def _gru_lm() -> None:
    _section("gru-lm-shakespeare", "a word-level GRU language model: the likeliest next words")
    art = zoo.load("gru-lm-shakespeare")
    top = art.next_tokens(GRU_CONTEXT, 5)
    _say(f"   {GRU_CONTEXT} -> " + ", ".join(f"{_shown_word(w)} {p:.2f}" for w, p in top))
    _run_alone(f"zoo next gru-lm-shakespeare {_arg(GRU_CONTEXT)} -k 5")


def _ngram_lm(out: Path) -> None:
    _section("ngram-lm-shakespeare", "Bengio's neural n-gram model scores text (perplexity: lower is "
                                     "less surprised)")
    art = zoo.load("ngram-lm-shakespeare")
    width = max(len(NGRAM_LINE), len(NGRAM_SHUFFLED))
    _say(f"   {NGRAM_LINE:<{width}}  perplexity {art.score(NGRAM_LINE).perplexity:6.1f}",
         f"   {NGRAM_SHUFFLED:<{width}}  perplexity {art.score(NGRAM_SHUFFLED).perplexity:6.1f}"
         "  (the same words, shuffled)")
    target = _path_arg(out / "to-be.txt")
    _run_alone(f"echo {_arg(NGRAM_LINE)} > {target} && zoo score ngram-lm-shakespeare {target}")


def _word_vectors(name: str, queries, what: str) -> None:
    _section(name, what)
    art = zoo.load(name)
    width = max(map(len, queries))
    for word in queries:
        _say(f"   {word:<{width}} -> " + ", ".join(w for w, _ in art.similar(word, topn=6)))
    _run_alone(f"zoo similar {name} {_arg(queries[0])} --topn 6")


def _seq2seq() -> None:
    _section("seq2seq-dates", "an encoder-decoder with attention rewrites dates to ISO 8601")
    width = max(map(len, DATES))
    for source, target in zip(DATES, zoo.load("seq2seq-dates").translate(DATES, beam_size=3)):
        _say(f"   {source:<{width}} -> {target}")
    _run_alone("zoo translate seq2seq-dates " + " ".join(map(_arg, DATES)) + " --beam-size 3")


def _mlp_xor() -> None:
    _section("mlp-xor", "the network that learns XOR (Goodfellow et al., Deep Learning, 6.1)")
    _say(*("   " + row for row in zoo.load("mlp-xor").truth_table().splitlines()))
    _run_alone("zoo xor")


def _perceptrons() -> None:
    _section("perceptron-and, perceptron-or", "Rosenblatt's perceptron learns AND and OR (but never XOR)")
    gates = {gate: zoo.load(f"perceptron-{gate}") for gate in ("and", "or")}
    outputs = {gate: art.predict(BITS) for gate, art in gates.items()}
    _say("   x1 x2 | AND  OR")
    for i, (a, b) in enumerate(BITS):
        _say(f"    {a}  {b} |  {outputs['and'][i]}    {outputs['or'][i]}")
    learned = []
    for gate, art in gates.items():
        w, b = art.model.get_layer("unit").get_weights()
        learned.append(f"{gate.upper()} w = [{w[0, 0]:g}, {w[1, 0]:g}], b = {b[0]:g}")
    _say("   learned: step(w . x + b) with " + "; ".join(learned))
    _run_alone("python -c \"import zoo; [print(g, zoo.load('perceptron-' + g).predict("
               "[[0,0],[0,1],[1,0],[1,1]])) for g in ('and', 'or')]\"")


def _filters(out: Path) -> tuple[Path, tuple[int, int]]:
    from zoo.families.cnn_filters import model as conv

    _section("cnn-filters-classic", "four classic 3x3 kernels in one Conv2D, on a photograph")
    bank = zoo.load("cnn-filters-classic")
    sample = conv.sample_image_path()
    sheet = out / SHEET_NAME
    size = conv.contact_sheet(bank, sample, sheet, title="cnn-filters-classic: the original and four classic "
                              "3x3 kernels (photograph of Grace Hopper, from matplotlib's sample data)")
    _say(f"   the original, {', '.join(bank.kernel_names)}: one picture, {size[0]} x {size[1]} "
         "(the edge kernels' output normalised)", f"   {sheet}")
    _run_alone(f"zoo filter cnn-filters-classic {_path_arg(sample)} {_path_arg(out / 'sharpen.jpg')} "
               "--kernel sharpen")
    return sheet, size


def _filters_learned() -> None:
    import numpy as np

    _section("cnn-filters-learned", "the same four kernels, learned back by gradient descent from examples")
    learned = zoo.load("cnn-filters-learned").kernels()
    classic = zoo.load("cnn-filters-classic").kernels()
    error = max(float(np.max(np.abs(learned[k] - classic[k]))) for k in classic)
    _say(f"   largest difference from the classic kernels: {error:.1e}")
    _run_alone("zoo info cnn-filters-learned")


# ------------------------------------------------------------------------------- main


def _check_out(out: Path) -> None:
    """Refuse, before any work, an output the contact sheet could not be written to."""
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"{out} is a file, not a folder; give another --out for the demo's picture.")
    sheet = out / SHEET_NAME
    if sheet.is_dir() and not sheet.is_symlink():
        raise InvalidInputError(f"{sheet} is a folder; give another --out for the demo's picture.")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise InvalidInputError(f"cannot write to {out} (permission denied); give another --out.")


def main(out="demo-out") -> dict:
    """Run the demo; the contact sheet goes to OUT/contact_sheet.png. Returns what was shown:
    {"charrnn": text, "lstm-lm": text, "sheet": path, "sheet_size": (width, height)}."""
    out = Path(out).expanduser()  # a quoted --out '~/demo' too
    _check_out(out)
    _started.clear()
    shown = {"charrnn": _charrnn(), "lstm-lm": _lstm_lm()}
    _gru_lm()
    _ngram_lm(out)
    _word_vectors("skipgram-shakespeare", SKIPGRAM_WORDS,
                  "word2vec skip-gram vectors; each word's nearest neighbours")
    _word_vectors("cbow-shakespeare", CBOW_WORDS, "word2vec CBOW vectors; each word's nearest neighbours")
    _seq2seq()
    _mlp_xor()
    _perceptrons()
    shown["sheet"], shown["sheet_size"] = _filters(out)
    _filters_learned()
    _say("", "More: `zoo list`, `zoo info NAME`, `zoo --help`; model cards in MODEL_CARDS.md.")
    if shutil.which("zoo") is None and sys.prefix != sys.base_prefix:
        activate = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "activate"
        _say(f"The `zoo` lines need the virtual environment first: source {_path_arg(activate)}")
    return shown
