"""The word language models' part of `zoo demo`: the LSTM continues a line, the GRU gives its
likeliest next words, the neural n-gram scores a line against the same words shuffled."""

from __future__ import annotations

import zoo
from zoo import demo
from zoo.families.word_lm import words

# The seeds and lines were picked by looking; all are reproducible.
LSTM_PROMPT, LSTM_MIN_WORDS, LSTM_MAX_WORDS, LSTM_SEED = "o romeo, romeo,", 16, 40, 2
GRU_CONTEXT = "O Romeo, Romeo, wherefore art"
NGRAM_LINE = "To be, or not to be: that is the question."
NGRAM_SHUFFLED = "is the be, be: not to or To question. that"  # the same words, shuffled


def recurrent(out) -> dict:
    """The recurrent models (lstm-lm, gru-lm) share an artifact class: one section each."""
    shown = {"lstm-lm": _lstm_lm()}
    _gru_lm()
    return shown


def _lstm_lm() -> str:
    """The prompt, then the continuation word by word, detokenised, to the end of a line."""
    demo.header("lstm-lm-shakespeare", "a word-level LSTM language model continues a line")
    art = zoo.load("lstm-lm-shakespeare")
    prompt_tokens = words.tokenize(LSTM_PROMPT)
    before = prompt_tokens[-1] if prompt_tokens else None
    tokens, shown = [], [0]  # the generated tokens; how much of their text is printed

    def on_piece(piece: str) -> None:
        tokens.append(words.EOS if piece == "\n" else piece.strip())
        # An apostrophe's spacing depends on the word after it ("and 'tis", "brother's"): wait for it.
        ready = tokens[:-1] if tokens[-1] == "'" else tokens
        text = words.detokenize(ready, previous=before)
        demo.write(text[shown[0]:])
        shown[0] = len(text)
        if tokens[-1] == words.EOS and len(tokens) >= LSTM_MIN_WORDS:
            last_line = text.rstrip("\n").rsplit("\n", 1)[-1]
            if last_line.strip() and not demo.speaker_line(last_line):
                raise demo.Enough

    demo.write(LSTM_PROMPT)
    try:
        art.generate(LSTM_PROMPT, LSTM_MAX_WORDS, temperature=demo.TEMPERATURE, seed=LSTM_SEED, stream=on_piece)
    except demo.Enough:
        pass
    text = words.detokenize(tokens, previous=before)
    demo.write(text[shown[0]:] + ("" if text.endswith("\n") else "\n"))
    demo.say(f"   ({len(tokens)} words, a line's end counting as one; the model reads lower-cased words; "
             f"test perplexity {art.metrics['test_perplexity']:.1f})")
    demo.run_alone(f"zoo generate lstm-lm-shakespeare --prompt {demo.arg(LSTM_PROMPT, quote=True)} "
                   f"--length {len(tokens)} --temperature {demo.TEMPERATURE} --seed {LSTM_SEED}")
    return LSTM_PROMPT + text


def _shown_word(word: str) -> str:
    return {words.EOS: "(end of line)", words.UNK: "(a rare word)"}.get(word, word)


def _gru_lm() -> None:
    demo.header("gru-lm-shakespeare", "a word-level GRU language model: the likeliest next words")
    art = zoo.load("gru-lm-shakespeare")
    top = art.next_tokens(GRU_CONTEXT, 5)
    demo.say(f"   {GRU_CONTEXT} -> " + ", ".join(f"{_shown_word(w)} {p:.2f}" for w, p in top))
    demo.run_alone(f"zoo next gru-lm-shakespeare {demo.arg(GRU_CONTEXT)} -k 5")


def ngram(out) -> None:
    demo.header("ngram-lm-shakespeare", "Bengio's neural n-gram model scores text (perplexity: lower is "
                                        "less surprised)")
    art = zoo.load("ngram-lm-shakespeare")
    width = max(len(NGRAM_LINE), len(NGRAM_SHUFFLED))
    demo.say(f"   {NGRAM_LINE:<{width}}  perplexity {art.score(NGRAM_LINE).perplexity:6.1f}",
             f"   {NGRAM_SHUFFLED:<{width}}  perplexity {art.score(NGRAM_SHUFFLED).perplexity:6.1f}"
             "  (the same words, shuffled)")
    target = demo.path_arg(out / "to-be.txt")
    demo.run_alone(f"echo {demo.arg(NGRAM_LINE)} > {target} && zoo score ngram-lm-shakespeare {target}")
