"""What starting from seq2seq-dates' weights buys on a date format it never saw.

For each new format (zoo.families.seq2seq.dates.NEW_FORMATS, or --formats), 300 pairs are generated from
the training days (seeded) and written as a TSV, then:
- fine-tuned: `zoo finetune seq2seq-dates --pairs new.tsv --epochs N` for each N of
  --finetune-epochs (default: the recipe's default), other options the recipe's defaults (a tenth
  of the pairs held out by a hash of the input; the rest trained on with rehearsal pairs of the
  base's own generated training data);
- from scratch: the same architecture and vocabulary (the base's, extended by the file's new
  characters, as the fine-tune does) with random weights, trained by the recipe's own training
  step (fit_variant, Adam 3e-3 with cosine decay, batches of 32) on the same training pairs
  alone, for each count of --scratch-epochs: `equal` is each fine-tune's epoch count (each new
  pair seen as often as in that fine-tune; fewer optimizer steps, as there are no rehearsal
  batches), `steps` the epochs that give as many optimizer steps as that fine-tune, a number is
  that many epochs (default: equal and 200).
Measured: greedy exact match on the file's held-out tenth and on 300 independent pairs of the
format from the test days (never a training day), and exact match on the base's own test set
(the 19 old formats, 5,700 pairs: what fine-tuning kept).

    .venv/bin/python benchmarks/finetune_seq2seq.py [--pairs 300] [--formats NAME ...]
        [--finetune-epochs N ...] [--no-finetune] [--scratch-epochs equal|steps|N ...] [--write-card]

Prints a table and merges into benchmarks/results/finetune_seq2seq.json (a run of a format at
an epoch count replaces the earlier one; the others are kept), so that a longer fine-tune or one
more from-scratch count can be added without measuring everything again. --write-card puts the
tables into seq2seq-dates' card (zoo.cards.set_finetune_section); --card-from-results rewrites the
card from that JSON without measuring again. --card-epochs picks the fine-tune epoch count of the
card's main table (default: the recipe's default).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ZOO_DATA_MIRROR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

import zoo  # noqa: E402
from zoo import io, registry, training  # noqa: E402
from zoo.families.seq2seq import dates  # noqa: E402
from zoo.families.seq2seq.artifact import Seq2Seq  # noqa: E402
from zoo.families.seq2seq.vocab import Vocabulary  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "finetune_seq2seq.json"
BASE = "seq2seq-dates"
RECIPE = registry.recipe_module("seq2seq_dates")
PAIRS_SEED = 7        # the training pairs of each format
TEST_SEED = 99        # the independent held-out pairs (test days)
TEST_PER_FORMAT = 300
SCRATCH_EPOCHS = ("equal", "200")
SCRATCH_LEARNING_RATE = 3e-3
SCRATCH_BATCH_SIZE = 32
CLAIM_NEW, CLAIM_OLD = 0.95, 0.98   # the claim: new format >= 0.95, old formats >= 0.98


def write_tsv(path: Path, examples) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t, _ in examples), encoding="utf-8")
    return path


def steps(epochs: int, pairs: int, batch_size: int) -> int:
    return epochs * math.ceil(pairs / batch_size)


def scratch_model(base, tsv: Path, epochs: int, seed: int = 0):
    """The fine-tune's architecture and vocabulary (the base's source vocabulary extended by the
    file's new characters, the lengths grown to the file's, as recipes/seq2seq_dates.py::finetune
    does) with fresh random weights, trained on the same training pairs (the file minus its
    held-out tenth) without rehearsal."""
    every = RECIPE.read_pairs(tsv, strict=True)
    splits = RECIPE.split_pairs(every)
    train = splits["train"] + splits["valid"]
    new_chars = sorted(set("".join(s for s, _ in every)) - set(base.source_vocab.chars))
    vocabs = (Vocabulary(base.source_vocab.chars + new_chars), base.target_vocab)
    limits = (max(base.max_source_length, *(len(s) for s, _ in every)),
              max(base.max_target_length, *(len(t) for _, t in every)))
    config = {**base.config, "hparams": {**base.config["hparams"], "source_vocab_size": len(vocabs[0])},
              "max_source_length": limits[0], "max_target_length": limits[1]}
    data = (RECIPE.arrays(train, *vocabs, *limits), RECIPE.arrays([], *vocabs, *limits))
    hp = {k: config["hparams"][k] for k in ("embedding_dim", "units", "cell")}
    training.set_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        model, _ = RECIPE.fit_variant(config["hparams"]["attention"], data, vocabs, limits, hp, epochs=epochs,
                                      batch_size=SCRATCH_BATCH_SIZE, learning_rate=SCRATCH_LEARNING_RATE,
                                      total_epochs=epochs, checkpoint=Path(tmp) / "scratch")
    vocab = {"source": "".join(vocabs[0].chars), "target": "".join(vocabs[1].chars)}
    return Seq2Seq(model, config, base.folder, vocab=vocab), len(train)


def format_data(name: str, n_pairs: int, work: Path):
    tsv = write_tsv(work / f"{name.split()[0].replace('.', '')}.tsv",
                    dates.make_examples(n_pairs, "train", PAIRS_SEED, formats=[name]))
    independent = dates.make_test_set(TEST_PER_FORMAT, TEST_SEED, formats=[name])
    held_out = [(s, t, "new") for s, t, _ in RECIPE.split_pairs(RECIPE.read_pairs(tsv))["test"]]
    return tsv, independent, held_out


def measure_format(name: str, n_pairs: int, work: Path, finetune_epochs: list[int], scratch_epochs: list[str],
                   finetune: bool, old: dict | None) -> dict:
    base = zoo.load(BASE)
    tsv, independent, held_out = format_data(name, n_pairs, work)
    every = RECIPE.read_pairs(tsv)
    n_train = len(every) - len(held_out)
    new_chars = sorted(set("".join(s for s, _ in every)) - set(base.source_vocab.chars))
    row = old or {
        "format": name, "example": dates.render(datetime.date(1999, 3, 3), name), "pairs": n_pairs,
        "train_pairs": n_train, "held_out_pairs": len(held_out), "independent_pairs": len(independent),
        "new_characters": "".join(new_chars),
        "base": {"held_out": RECIPE.held_out_scores(base, held_out)["held_out_exact_match"],
                 "independent": RECIPE.held_out_scores(base, independent)["held_out_exact_match"],
                 "old_formats": base.metrics["exact_match"]},
        "finetuned": [], "scratch": []}
    assert (row["train_pairs"], row["held_out_pairs"]) == (n_train, len(held_out)), "the pairs changed"
    rehearsal = len(RECIPE.rehearsal_examples(base, RECIPE.REHEARSAL, 0))
    for epochs in finetune_epochs if finetune else []:
        start = time.perf_counter()
        out = zoo.finetune(BASE, pairs=tsv, out=work / "tuned", overwrite=True, epochs=epochs)
        seconds = time.perf_counter() - start
        tuned = zoo.load(out)
        run = tuned.config["finetune"]
        o = run["options"]
        result = {"epochs": run["epochs"], "command": run["command"], "options": o,
                  "rehearsal_pairs": tuned.config["training"]["finetune_rehearsal_pairs"],
                  "steps": steps(run["epochs"], n_train + tuned.config["training"]["finetune_rehearsal_pairs"],
                                 o["batch_size"]),
                  "held_out": run["after"]["held_out_exact_match"],
                  "independent": RECIPE.held_out_scores(tuned, independent)["held_out_exact_match"],
                  "old_formats": tuned.metrics["exact_match"],
                  "old_formats_min": min(v for k, v in tuned.metrics.items() if k.startswith("exact_match[")),
                  "training_seconds": tuned.config["training"]["finetune_seconds"], "seconds": seconds,
                  "date": training.environment()["date"]}
        row["finetuned"] = sorted([r for r in row["finetuned"] if r["epochs"] != epochs] + [result],
                                  key=lambda r: r["epochs"])
        print(f"{name}: fine-tuned {epochs} epochs: {result['independent']:.4f} ({result['held_out']:.2f}), "
              f"old formats {result['old_formats']:.4f} ({seconds:.0f} s)", flush=True)
    counts = []
    for value in scratch_epochs:
        if value == "equal":
            counts += finetune_epochs
        elif value == "steps":
            ft_steps = steps(1, n_train + rehearsal, 32)
            counts += [round(e * ft_steps / math.ceil(n_train / SCRATCH_BATCH_SIZE)) for e in finetune_epochs]
        else:
            counts.append(int(value))
    for epochs in dict.fromkeys(counts):
        start = time.perf_counter()
        scratch, _ = scratch_model(base, tsv, epochs)
        seconds = time.perf_counter() - start
        result = {"epochs": epochs, "steps": steps(epochs, n_train, SCRATCH_BATCH_SIZE),
                  "learning_rate": SCRATCH_LEARNING_RATE, "batch_size": SCRATCH_BATCH_SIZE,
                  "held_out": RECIPE.held_out_scores(scratch, held_out)["held_out_exact_match"],
                  "independent": RECIPE.held_out_scores(scratch, independent)["held_out_exact_match"],
                  "old_formats": RECIPE.exact_match(scratch, RECIPE.test_examples(base))[0],
                  "training_seconds": seconds, "date": training.environment()["date"]}
        row["scratch"] = sorted([r for r in row["scratch"] if r["epochs"] != epochs] + [result],
                                key=lambda r: r["epochs"])
        print(f"{name}: from scratch {epochs} epochs: {result['independent']:.4f} ({result['held_out']:.2f}), "
              f"old formats {result['old_formats']:.4f} ({seconds:.0f} s)", flush=True)
    return row


def upgrade(row: dict, rehearsal: int) -> dict:
    """A row of the first version of the results (one fine-tune and one from-scratch run, as
    dicts) as lists of runs keyed by their epochs."""
    if isinstance(row["finetuned"], list):
        return row
    row = dict(row)
    ft, sc = row.pop("finetuned"), row.pop("scratch")
    epochs, command, options = row.pop("epochs"), row.pop("command"), row.pop("options")
    ft_pairs = row["train_pairs"] + rehearsal
    row["finetuned"] = [{"epochs": epochs, "command": command, "options": options, "rehearsal_pairs": rehearsal,
                         "steps": steps(epochs, ft_pairs, options["batch_size"]),
                         "held_out": ft["held_out"], "independent": ft["independent"],
                         "old_formats": ft["old_formats"], "seconds": ft["seconds"]}]
    row["scratch"] = [{"epochs": sc["epochs"], "steps": steps(sc["epochs"], row["train_pairs"], SCRATCH_BATCH_SIZE),
                       "learning_rate": SCRATCH_LEARNING_RATE, "batch_size": SCRATCH_BATCH_SIZE,
                       "held_out": sc["held_out"], "independent": sc["independent"],
                       "old_formats": sc["old_formats"], "training_seconds": sc["seconds"]}]
    return row


def load_results(pairs: int) -> dict:
    if not RESULTS.is_file():
        return {"base": BASE, "pairs": pairs, "rows": [], "runs": []}
    results = io.read_json(RESULTS)
    if "runs" not in results:  # the first version: one run, its environment
        command = "python benchmarks/finetune_seq2seq.py --finetune-epochs 30 --scratch-epochs 200"
        results["runs"] = [{"command": command,
                            "note": "measured by the first version of this script (`--write-card`; the recipe's "
                                    "default was 30 epochs, from scratch 200): what this command measures",
                            "environment": results.pop("environment")}]
    rehearsal = len(RECIPE.rehearsal_examples(zoo.load(BASE), RECIPE.REHEARSAL, 0))
    results["rows"] = [upgrade(r, rehearsal) for r in results["rows"]]
    return results


def run(rows_by_name: dict, name: str, kind: str, epochs: int) -> dict | None:
    row = rows_by_name.get(name)
    return next((r for r in row[kind] if r["epochs"] == epochs), None) if row else None


def cell(r: dict | None) -> str:
    return f"{r['independent']:.4f} ({r['held_out']:.2f})" if r else "not measured"


def table(rows, epochs: int) -> str:
    """Per format: base, fine-tuned for `epochs`, from scratch for as many epochs, and for 200."""
    by_name = {r["format"]: r for r in rows}
    lines = [f"| new format (1999-03-03) | pairs (trained / held out) | base | fine-tuned, {epochs} epochs | "
             f"from scratch, {epochs} epochs | from scratch, 200 epochs | old formats: fine-tuned / from scratch "
             f"{epochs} / 200 epochs |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ft, eq, long = (run(by_name, r["format"], k, e) for k, e in (("finetuned", epochs), ("scratch", epochs),
                                                                      ("scratch", 200)))
        old = " / ".join(f"{x['old_formats']:.4f}" if x else "-" for x in (ft, eq, long))
        lines.append(f"| `{r['example']}` | {r['train_pairs']} / {r['held_out_pairs']} | {cell(r['base'])} | "
                     f"{cell(ft)} | {cell(eq)} | {cell(long)} | {old} |")
    return "\n".join(lines)


def sweep_table(rows) -> str:
    """Every fine-tune measured, with the from-scratch run of the same epochs."""
    by_name = {r["format"]: r for r in rows}
    lines = ["| new format | epochs | optimizer steps: fine-tune / from scratch | fine-tuned | old formats, "
             "fine-tuned | from scratch, same epochs |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        for ft in r["finetuned"]:
            sc = run(by_name, r["format"], "scratch", ft["epochs"])
            lines.append(f"| `{r['example']}` | {ft['epochs']} | {ft['steps']} / {sc['steps'] if sc else '-'} | "
                         f"{cell(ft)} | {ft['old_formats']:.4f} | {cell(sc)} |")
    return "\n".join(lines)


FAR = 0.10  # "far below": at least this much lower exact match (our reading of the claim)


def gap(ft: dict, sc: dict | None) -> str:
    if sc is None:
        return "not measured"
    d = ft["independent"] - sc["independent"]
    if d < 0:
        return f"{sc['independent']:.4f}, {-d:.4f} above the fine-tune"
    return f"{sc['independent']:.4f}, {d:.4f} below: {'far below' if d >= FAR else 'not far below'}"


def claim(r: dict, f: dict) -> tuple[str, str]:
    """(kind, line) for one fine-tune of one format: kind is "holds", "same-epochs" (holds against
    from scratch at the same epochs only) or "fails"."""
    by_name = {r["format"]: r}
    eq, long = run(by_name, r["format"], "scratch", f["epochs"]), run(by_name, r["format"], "scratch", 200)
    new_ok, old_ok = f["independent"] >= CLAIM_NEW, f["old_formats"] >= CLAIM_OLD
    far_eq = eq is not None and f["independent"] - eq["independent"] >= FAR
    far_long = long is not None and f["independent"] - long["independent"] >= FAR
    at = f"{f['epochs']} epochs" + (" (the default)" if f["epochs"] == RECIPE.FINETUNE_EPOCHS else "")
    if new_ok and old_ok and far_eq and far_long:
        kind, head = "holds", f"**holds** at {at}"
    elif new_ok and old_ok and far_eq:
        kind, head = "same-epochs", f"**holds against from scratch at the same epochs only** at {at}"
    elif new_ok and old_ok:
        kind, head = "near", (f"**does not hold** at {at}: the new format and the old ones pass, but from scratch "
                              "at the same epochs is not far below")
    else:
        misses = [x for x, ok in (("the new format is below 0.95", new_ok),
                                  ("the old formats fall below 0.98", old_ok)) if not ok]
        kind, head = "fails", f"**does not hold** at {at}: {' and '.join(misses)}"
    exact = round(f["independent"] * r["independent_pairs"])
    edge = (f" ({exact} of {r['independent_pairs']}: exactly the threshold, one seed, no margin)"
            if new_ok and f["independent"] < CLAIM_NEW + 0.5 / r["independent_pairs"] else "")
    return kind, (f"{head}. Fine-tuned {f['independent']:.4f}{edge}, old formats {f['old_formats']:.4f}; "
                  f"from scratch, same epochs: {gap(f, eq)}; 200 epochs: {gap(f, long)}.")


def verdicts(rows, epochs: int) -> tuple[str, str]:
    """The bullet list (every fine-tune measured, by format) and a one-paragraph summary at `epochs`."""
    bullets, at_epochs = [], {"holds": [], "same-epochs": [], "near": [], "fails": [], "not measured": []}
    for r in rows:
        lines = []
        for f in r["finetuned"]:
            kind, line = claim(r, f)
            lines.append(line)
            if f["epochs"] == epochs:
                at_epochs[kind].append(f"`{r['example']}`")
        if not any(f["epochs"] == epochs for f in r["finetuned"]):
            at_epochs["not measured"].append(f"`{r['example']}`")
        bullets.append(f"- `{r['example']}`:\n  - " + "\n  - ".join(lines))
    words = {"holds": "it holds in full for", "same-epochs": "it holds against from scratch at the same epochs "
             "only (200 epochs from scratch come within 0.10) for", "near": "it does not hold, as from scratch at "
             "the same epochs comes within 0.10, for",
             "fails": "it does not hold, the fine-tune missing a threshold, for",
             "not measured": "no fine-tune was measured for"}
    parts = [f"{words[k]} {', '.join(v)}" for k, v in at_epochs.items() if v]
    scratch_old = max(s["old_formats"] for r in rows for s in r["scratch"])
    ft_old = min(f["old_formats"] for r in rows for f in r["finetuned"])
    passing = [f"`{r['example']}`" for r in rows for f in r["finetuned"]
               if f["epochs"] == epochs and f["independent"] >= CLAIM_NEW and f["old_formats"] >= CLAIM_OLD]
    accuracy = (f"The fine-tune's own half of the claim (new format >= {CLAIM_NEW}, old formats >= {CLAIM_OLD}) "
                f"is met at {epochs} epochs for {', '.join(passing) if passing else 'no format'}"
                f"{' (all measured)' if len(passing) == len(rows) else ''}; ")
    summary = (accuracy + f"the whole claim, at {epochs} epochs: {'; '.join(parts)}. Every fine-tune measured keeps "
               "the old formats at "
               f"{ft_old:.4f} or more; every model trained from scratch scores {scratch_old:.4f} or less on them (it "
               "never saw them).")
    return "\n".join(bullets), summary


def card_section(results: dict, epochs: int) -> str:
    rows = results["rows"]
    environment = results["runs"][-1]["environment"]
    r = rows[0]
    ft = run({r["format"]: r}, r["format"], "finetuned", epochs)
    o = ft["options"]
    ft_per_epoch = ft["steps"] // ft["epochs"]
    sc_per_epoch = next(s["steps"] // s["epochs"] for s in r["scratch"])
    new_chars = ", ".join(f"{x['new_characters']!r} in `{x['example']}`" for x in rows if x["new_characters"])
    sweeps = sorted({f["epochs"] for x in rows for f in x["finetuned"]})
    minutes = {f["epochs"]: max(g["seconds"] for x in rows for g in x["finetuned"] if g["epochs"] == f["epochs"]) / 60
               for x in rows for f in x["finetuned"]}
    bullets, summary = verdicts(rows, epochs)
    default_note = ("the recipe's default" if epochs == RECIPE.FINETUNE_EPOCHS
                    else f"`--epochs {epochs}`; the recipe's default is {RECIPE.FINETUNE_EPOCHS}")
    return f"""
`zoo finetune {BASE} --pairs new.tsv` adapts this model to a date format it never saw. Measured
with {results['pairs']} generated pairs of each new format (`zoo.families.seq2seq.dates.NEW_FORMATS`, training days,
seed {PAIRS_SEED}): the fine-tune holds out a tenth of the file (by a hash of the input) and trains on
the rest together with {ft['rehearsal_pairs']} pairs of this model's own generated training data (rehearsal,
`-o rehearsal=N`, 0 turns it off), so that it keeps the old formats: learning rate {o['learning_rate']} with a
cosine decay, batches of {o['batch_size']}, so {ft_per_epoch} optimizer steps per epoch; {RECIPE.FINETUNE_EPOCHS}
epochs unless `--epochs N`. "From scratch" is the same architecture and vocabulary with random weights,
trained by the recipe's own training step (learning rate {SCRATCH_LEARNING_RATE}, cosine decay, batches of
{SCRATCH_BATCH_SIZE}) on the same new pairs alone, {sc_per_epoch} steps per epoch: once for as many epochs as the
fine-tune (each new pair seen as often; fewer steps, as it has no rehearsal batches), once for 200
epochs ({200 * sc_per_epoch} steps) as a generous reference.

Greedy exact match on {r['independent_pairs']} pairs of each format from the held-out test days (in
brackets: on the file's own held-out tenth, 26 to 30 pairs, the before/after of the fine-tuned
card's lineage). Old formats: exact match on this model's own test set (the 19 old formats, 5,700
pairs; this model: {r['base']['old_formats']:.4f}), which `zoo eval DIR` re-measures on a fine-tuned folder.
At {epochs} epochs ({default_note}):

{table(rows, epochs)}

Every fine-tune measured ({', '.join(map(str, sweeps))} epochs), with the from-scratch run of the same epochs:

{sweep_table(rows)}

The claim "with {results['pairs']} pairs of a new format, fine-tuned exact match on held-out pairs of
that format >= {CLAIM_NEW} while training from scratch on the same pairs stays far below, and the old
formats keep >= {CLAIM_OLD}", on the {r['independent_pairs']} test-day pairs, reading "far below" as at
least {FAR:.2f} lower:

{bullets}

{summary} Input characters this model never
read ({new_chars or 'none here'}) extend the source vocabulary: the old embedding rows are kept,
new rows added. Targets must use the decoder's characters, `-0123456789` (YYYY-MM-DD).
Measured by {' then '.join(f"`{x['command']}`" for x in results['runs'])}, each merged into
benchmarks/results/finetune_seq2seq.json; `--card-from-results --card-epochs {epochs}` wrote this section.
On {environment.get('accelerator')}, {environment.get('cpu_count')} cores shared with other jobs, a fine-tune
took up to {', '.join(f'{minutes[e]:.1f} min at {e} epochs' for e in sweeps)}, evaluation of the 5,700 old
pairs included.
"""


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300, help="generated pairs of each new format (default 300)")
    parser.add_argument("--formats", nargs="+", default=list(dates.NEW_FORMATS), choices=list(dates.NEW_FORMATS),
                        metavar="NAME", help=f"new formats (default: all of {list(dates.NEW_FORMATS)})")
    parser.add_argument("--finetune-epochs", type=int, nargs="+", default=[RECIPE.FINETUNE_EPOCHS], metavar="N",
                        help=f"epochs of the fine-tunes, one run each (default: the recipe's, "
                             f"{RECIPE.FINETUNE_EPOCHS})")
    parser.add_argument("--no-finetune", action="store_true",
                        help="measure only the from-scratch runs (`equal` still means --finetune-epochs)")
    parser.add_argument("--scratch-epochs", nargs="*", default=list(SCRATCH_EPOCHS), metavar="equal|steps|N",
                        help="epochs of the from-scratch runs: `equal` (each --finetune-epochs), `steps` (as many "
                             "optimizer steps as each fine-tune) or a number (default: equal 200)")
    parser.add_argument("--card-epochs", type=int, default=RECIPE.FINETUNE_EPOCHS,
                        help=f"the fine-tune epochs of the card's main table (default {RECIPE.FINETUNE_EPOCHS})")
    parser.add_argument("--write-card", action="store_true", help=f"put the tables into {BASE}'s card")
    parser.add_argument("--card-from-results", action="store_true",
                        help=f"write {BASE}'s card from the results JSON, without measuring again")
    args = parser.parse_args(argv)
    for value in args.scratch_epochs:
        if value not in ("equal", "steps") and not (value.isdigit() and int(value) > 0):
            parser.error(f"--scratch-epochs takes equal, steps or a number of epochs; got {value!r}")
    results = load_results(args.pairs)
    if not args.card_from_results:
        if results["pairs"] != args.pairs:  # other pairs: the old rows are not comparable
            results = {"base": BASE, "pairs": args.pairs, "rows": [], "runs": []}
        given = list(sys.argv[1:] if argv is None else argv)
        if "--finetune-epochs" not in given:  # the default may change: record what it was
            given += ["--finetune-epochs", *map(str, args.finetune_epochs)]
        results["runs"].append({"command": shlex.join(["python", "benchmarks/finetune_seq2seq.py", *given]),
                                "environment": training.environment()})
        by_name = {r["format"]: r for r in results["rows"]}
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.formats:
                by_name[name] = measure_format(name, args.pairs, Path(tmp), args.finetune_epochs,
                                               args.scratch_epochs, not args.no_finetune, by_name.get(name))
                results["rows"] = [by_name[n] for n in dates.NEW_FORMATS if n in by_name]
                io.write_json(RESULTS, results)
        print(f"\nwritten to {RESULTS}")
    rows = results["rows"]
    print()
    print(table(rows, args.card_epochs))
    print()
    print(sweep_table(rows))
    if args.write_card or args.card_from_results:
        from zoo import cards

        changed = cards.set_finetune_section(BASE, card_section(results, args.card_epochs))
        print(f"{BASE} card {'updated' if changed else 'unchanged'}")
    return rows


if __name__ == "__main__":
    main()
