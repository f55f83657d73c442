"""Fine-tuning the word-level language models on a text that is not Shakespeare.

The text: gensim's Lee background corpus (`gensim.test.utils.datapath("lee_background.cor")`,
300 Australian news stories of 2001, one a line, installed with gensim: no download), full of
words Shakespeare never used. Each of ngram-lm-, gru-lm- and lstm-lm-shakespeare is fine-tuned
on it with `zoo.finetune` (the same code as `zoo finetune NAME --text lee_background.cor`): its
last 10% of lines are held out, and words the rest holds at least twice that the base never saw
join the vocabulary. Reported, all from the new artifact's lineage (config.json "finetune"):

- held-out perplexity before (the base, which reads every word it does not know as <UNK>: one
  easy target) and after (the new words predicted as themselves), and on the tokens the base
  knows (the same targets for both models: the fair comparison);
- the share of held-out tokens unknown to the base, and to the fine-tuned model;
- tinyshakespeare's test perplexity before and after, on the base's own test tokens (forgetting);
- the new words.

    python benchmarks/finetune_lm.py [--models ngram-lm-shakespeare ...] [--epochs N] [--write-card]

Prints a markdown table and writes benchmarks/results/finetune_lm.json. --write-card puts the
measured numbers into each base artifact's card ("Fine-tuning" section; maintainers only).
"""

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

import zoo
from zoo import cards, io, training
from zoo.families.word_lm import words

MODELS = ["ngram-lm-shakespeare", "gru-lm-shakespeare", "lstm-lm-shakespeare"]
EPOCHS = None  # the recipes' default (1), as `zoo finetune NAME --text my.txt` runs
PROMPT = "the fire"


def lee_corpus() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


def measure(name: str, text: Path, epochs: int | None, workdir: Path) -> dict:
    start = time.perf_counter()
    folder = zoo.finetune(name, text=text, out=workdir / f"{name}-lee", **({"epochs": epochs} if epochs else {}))
    seconds = time.perf_counter() - start
    tuned = zoo.load(folder)
    run, vocabulary = tuned.config["finetune"], tuned.config["vocabulary"]
    added = tuned.vocab.words[vocabulary["base_size"]:]
    return {"model": name, "epochs": run["epochs"], "command": run["command"], "summary": run["summary"],
            "before": run["before"], "after": run["after"], "new_words": len(added), "new_words_first": added[:12],
            "sample": tuned.generate(PROMPT, 30, temperature=0.8, seed=1), "seconds": seconds,
            "evaluate_ok": all(row["ok"] for row in zoo.evaluate(folder).values())}


def table(rows: list[dict]) -> str:
    lines = ["| model | held-out ppl before -> after | on the base's words | unknown to base -> after "
             "| Shakespeare test ppl before -> after | new words |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        b, a = r["before"], r["after"]
        lines.append(f"| {r['model']} | {b['held_out_perplexity']:.1f} -> {a['held_out_perplexity']:.1f} "
                     f"| {b['held_out_perplexity_on_base_words']:.1f} -> {a['held_out_perplexity_on_base_words']:.1f} "
                     f"| {b['held_out_unknown_share']:.1%} -> {a['held_out_unknown_share']:.1%} "
                     f"| {b['shakespeare_test_perplexity']:.1f} -> {a['shakespeare_test_perplexity']:.1f} "
                     f"| {r['new_words']:,} |")
    return "\n".join(lines)


def code(word: str) -> str:
    """A word as markdown code (some new words are punctuation: `,"`)."""
    return f"`` {word} ``" if "`" in word else f"`{word}`"


def line_lengths(text: Path) -> dict:
    """Mean words per line of the text and of tinyshakespeare's training part."""
    lines = words.sentences(text.read_text(encoding="utf-8"))
    train = words.load_corpus().train
    return {"text": sum(map(len, lines)) / len(lines), "tinyshakespeare": sum(map(len, train)) / len(train)}


def card_section(row: dict, command: str, environment: dict, lengths: dict) -> str:
    b, a = row["before"], row["after"]
    return f"""
`zoo finetune {row['model']} --text my.txt --out runs/mine` continues training on your text: its
last 10% of lines are held out, and words the rest holds at least twice (`-o min_count=2`) that
this model never saw join its vocabulary (new embedding rows; new output weights start rare),
so it learns to predict them instead of `<UNK>`. Measured on gensim's Lee background corpus (300
Australian news stories, one a line), {row['epochs']} epoch(s) (`{row['command']}`):

{table([row])}

- held-out perplexity on all tokens: the base necessarily reads the {b['held_out_unknown_share']:.1%} of tokens it
  does not know as `<UNK>`, one easy target, which flatters "before"; after fine-tuning the
  {row['new_words']:,} new words are predicted as themselves and only {a['held_out_unknown_share']:.1%} of the
  tokens are `<UNK>`. On the tokens the base knows, the same targets for both models:
  {b['held_out_perplexity_on_base_words']:.1f} before, {a['held_out_perplexity_on_base_words']:.1f} after.
- Shakespeare test perplexity after fine-tuning (same test tokens as the base's): how much it forgot.
- the stories are long lines ({lengths['text']:.0f} words each on average; tinyshakespeare's training lines
  hold {lengths['tinyshakespeare']:.1f}), and every line's end is a predicted token.
- new words, most frequent first: {', '.join(map(code, row['new_words_first'][:10]))}
- sample after fine-tuning (prompt "{PROMPT}", temperature 0.8, seed 1): "{PROMPT}{row['sample']}"

Measured with `{command}` ({environment['backend']} backend, {environment['cpu_count']} CPU cores,
{row['seconds']:.0f} s for this model's fine-tuning and measurements).
"""


def main(models=MODELS, epochs: int | None = EPOCHS, write_card: bool = False) -> dict:
    text = lee_corpus()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in models:
            training.log(f"fine-tuning {name} on {text.name}...")
            rows.append(measure(name, text, epochs, Path(workdir)))
    print(table(rows))
    for r in rows:
        print(f"\n{r['model']}: {r['summary']}\n  sample: {PROMPT}{r['sample']}")
    environment = training.environment()
    command = " ".join(shlex.quote(a) for a in ["python", "benchmarks/finetune_lm.py", *sys.argv[1:]])
    lengths = line_lengths(text)
    result = {"benchmark": "finetune_lm", "text": text.name, "text_sha256": io.sha256_file(text), "epochs": epochs,
              "command": command, "environment": environment, "words_per_line": lengths, "rows": rows}
    out = Path(__file__).resolve().parent / "results" / "finetune_lm.json"
    io.write_json(out, result)
    print(f"written to {out}")
    if write_card:
        for r in rows:
            cards.set_finetune_section(r["model"], card_section(r, command, environment, lengths))
        print("cards updated: " + ", ".join(r["model"] for r in rows))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS, help="which models (default: all three)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="fine-tuning epochs (default: the recipe's, 1)")
    parser.add_argument("--write-card", action="store_true",
                        help="write the measured numbers into each base artifact's card (maintainers)")
    args = parser.parse_args()
    main(args.models, args.epochs, args.write_card)
