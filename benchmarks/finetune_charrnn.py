"""Fine-tuning charrnn-shakespeare on a text that is not Shakespeare.

The text: gensim's Lee background corpus (`gensim.test.utils.datapath("lee_background.cor")`,
300 Australian news stories of 2001, installed with gensim: no download). charrnn-shakespeare is
fine-tuned on it with `zoo.finetune` (the same code as `zoo finetune charrnn-shakespeare --text
lee_background.cor`): the last 10% of its characters are held out, and characters the base never
saw extend the vocabulary. Reported, from the new artifact's lineage: nats per character on the
held-out part before (the base, which skips characters it has never seen) and after, the
validation loss on tinyshakespeare before and after (forgetting), the new characters, a sample.

    python benchmarks/finetune_charrnn.py [--epochs 2] [--write-card]

Prints a markdown table and writes benchmarks/results/finetune_charrnn.json. --write-card puts
the measured numbers into charrnn-shakespeare's card ("Fine-tuning" section; maintainers only).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import zoo
from zoo import cards, training

NAME = "charrnn-shakespeare"
RESULTS = Path(__file__).resolve().parent / "results"
PROMPT = "The Prime Minister"


def table(result: dict) -> str:
    rows = [("held-out Lee text, nats/char (the base skips the characters it never saw)", "held_out_nats_per_char"),
            ("tinyshakespeare validation, nats/char (forgetting)", "shakespeare_val_loss")]
    before, after = result["before"], result["after"]
    return "| measured | base | fine-tuned |\n| --- | ---: | ---: |\n" + "".join(
        f"| {label} | {before[key]:.4f} | {after[key]:.4f} |\n" for label, key in rows)


def write_card(result: dict) -> None:
    env = result["environment"]
    command = result["command"].replace(" --out charrnn-lee", " --out runs/lee")
    markdown = f"""`zoo finetune {NAME} --text my.txt --epochs 2 --out runs/mine` continues training on your text
(the last 10% of its characters held out); characters this model never saw extend its vocabulary
(new embedding rows, new output columns that start rare; every old prediction is kept).

Measured by `python benchmarks/finetune_charrnn.py --epochs {result['epochs']} --write-card`, which runs
`{command}` on gensim's Lee background corpus ({result['text_bytes']:,} bytes of Australian news
stories, 2001): {result['epochs']} epoch(s), {result['seconds']:.0f} s on {env.get('cpu_count')} CPU cores
({env.get('backend')} backend, a machine shared with other jobs). {result['summary'].capitalize()}.

{table(result)}
After fine-tuning, `{PROMPT}` continues (temperature 0.7, seed 1) as
{result['sample_after'][:160]!r}; the base wrote {result['sample_before'][:80]!r}.
The second row is the price: how much of Shakespeare it forgot in {result['epochs']} epochs.
"""
    changed = cards.set_finetune_section(NAME, markdown)
    print("card updated" if changed else "card already up to date")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs over the text (default 2)")
    parser.add_argument("--write-card", action="store_true", help="write the Fine-tuning section of the card")
    parser.add_argument("--card-from-results", action="store_true",
                        help="write the card from benchmarks/results/finetune_charrnn.json without measuring again")
    args = parser.parse_args(argv)
    if args.card_from_results:
        result = json.loads((RESULTS / "finetune_charrnn.json").read_text())
        print(table(result))
        write_card(result)
        return result

    from gensim.test.utils import datapath

    text = Path(datapath("lee_background.cor"))
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        folder = zoo.finetune(NAME, text=text, epochs=args.epochs, out=Path(workdir) / "charrnn-lee")
        seconds = time.perf_counter() - start
        tuned = zoo.load(folder)
        run = tuned.config["finetune"]
        # Forgetting on the whole validation text (the artifact's own metric reads its start).
        from zoo.registry import recipe_module

        shakespeare_val = recipe_module("charrnn_shakespeare").validation_text(tuned)
        base = zoo.load(NAME)
        kept = {"before": base.metrics["val_loss"], "after": tuned.score(shakespeare_val).nats_per_token}
        sample = tuned.generate(PROMPT, 240, temperature=0.7, seed=1)
        base_sample = base.generate(PROMPT, 240, temperature=0.7, seed=1)
    before = {**run["before"], "shakespeare_val_loss": kept["before"]}
    after = {**run["after"], "shakespeare_val_loss": kept["after"]}
    result = {"text": text.name, "text_bytes": text.stat().st_size, "epochs": args.epochs, "seconds": seconds,
              "command": run["command"], "summary": run["summary"], "before": before, "after": after,
              "sample_prompt": PROMPT, "sample_after": sample, "sample_before": base_sample,
              "environment": training.environment()}
    print(table(result))
    print(f"{run['summary']}; {seconds:.0f} s\n\nafter:  {PROMPT}{sample!r}\nbefore: {PROMPT}{base_sample!r}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finetune_charrnn.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    if args.write_card:
        write_card(result)
    return result


if __name__ == "__main__":
    main()
