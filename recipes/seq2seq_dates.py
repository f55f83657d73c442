"""Recipe: seq2seq-dates, a character-level encoder-decoder that rewrites human-written dates
in ISO 8601 ("the 3rd of March 1999" -> "1999-03-03").

Setup, data, model, train, evaluate, write. Run it with `zoo train seq2seq-dates`.

Data: zoo.families.seq2seq.dates, a seeded generator of 19 formats; the calendar days of 1900..2099 are
split by a hash of the day (train 80%, validation 10%, test 10%), so test dates never appear in
training. Model: zoo.families.seq2seq.model (LSTM encoder and decoder, teacher forcing). The
steps it calls (data, training, metrics, card, fine-tuning): zoo.families.seq2seq.steps.

Attention: unless `-o attention=...` is given, the recipe first trains all three variants
("none", "bahdanau", "luong") for COMPARE_EPOCHS on the same data, keeps the one with the best
validation exact match, and continues training it to the full number of epochs. The comparison
goes in the card.

Your own pairs: `zoo train seq2seq-dates -o pairs=my.tsv --out runs/mine` trains the same model
on a file of `source<TAB>target` lines (extra columns, as in the Tatoeba/ManyThings files, are
ignored); 10% of the distinct sources (by hash) are held out for the test, 10% for validation.

A format of your own: `zoo finetune seq2seq-dates --pairs new.tsv --out runs/mine` continues from
the pretrained weights on input<TAB>target lines (`finetune`, at the end): new input characters
extend the vocabulary, and pairs of the base's own training data are mixed in (rehearsal,
`-o rehearsal=N`) so that the old formats stay; benchmarks/finetune_seq2seq.py measures it.
"""

from __future__ import annotations

from pathlib import Path

from zoo import training
from zoo.errors import InvalidInputError
from zoo.families.seq2seq import dates
from zoo.families.seq2seq import model as seq2seq
from zoo.families.seq2seq import steps
from zoo.families.seq2seq.artifact import Seq2Seq
# What the tests and benchmarks/finetune_seq2seq.py reach through the recipe:
from zoo.families.seq2seq.steps import (arrays, exact_match, extend_model, fit_variant, held_out_scores,  # noqa: F401
                                        read_pairs, rehearsal_examples, split_pairs, test_examples)

NAME = "seq2seq-dates"
N_TRAIN = 60_000          # generated training pairs (days from the train split)
N_VALID = 2_000           # validation pairs (days from the validation split)
TEST_PER_FORMAT = 300     # held-out pairs per format (days from the test split)
TEST_SEED = 12345         # the test set is the same whatever the training seed
EPOCHS = 5
COMPARE_EPOCHS = 3
BATCH_SIZE = 128
LEARNING_RATE = 3e-3
HPARAMS = {"embedding_dim": 32, "units": 128, "cell": "lstm"}
DATE_MAX_SOURCE = 40      # the longest generated date is 37 characters
DATE_MAX_TARGET = 10      # YYYY-MM-DD
EVAL_TOLERANCE = 1e-3
OPTIONS = {"pairs", "attention", "cell", "units", "embedding_dim", "n_train", "batch_size", "learning_rate"}


def date_data(smoke: bool, seed: int, n_train: int | None):
    """The generated dates' splits, and the dataset's record for the config."""
    n_train = n_train or (256 if smoke else N_TRAIN)
    splits = {"train": dates.make_examples(n_train, "train", seed),
              "valid": dates.make_examples(64 if smoke else N_VALID, "valid", seed + 1),
              "test": dates.make_test_set(4 if smoke else TEST_PER_FORMAT, TEST_SEED)}
    record = {"name": "generated dates (zoo.families.seq2seq.dates)", "days": f"{dates.FIRST_DAY} .. {dates.LAST_DAY}",
              "split": "each day by sha256 of its ISO form: 80% train, 10% validation, 10% test",
              "train_pairs": len(splits["train"]), "train_seed": seed, "valid_pairs": len(splits["valid"]),
              "test_per_format": 4 if smoke else TEST_PER_FORMAT, "test_seed": TEST_SEED,
              "formats": len(dates.FORMATS)}
    return splits, record


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, pairs=None, attention=None,
          **options) -> Path:
    # ---- setup
    unknown = set(options) - OPTIONS
    if unknown:
        raise InvalidInputError(f"{NAME} has no option {', '.join(sorted(unknown))}; it takes: "
                                f"{', '.join(sorted(OPTIONS))}.")
    if attention is not None and attention not in seq2seq.ATTENTIONS:
        raise InvalidInputError(f"attention must be one of {list(seq2seq.ATTENTIONS)}, got {attention!r}.")
    out = Path(out)
    training.set_seed(seed)
    hparams = {**HPARAMS, **{k: options[k] for k in ("cell", "units", "embedding_dim") if k in options}}
    if smoke:
        hparams.update(units=16, embedding_dim=8)
    batch_size = int(options.get("batch_size", BATCH_SIZE))
    learning_rate = float(options.get("learning_rate", LEARNING_RATE))

    # ---- data: generated dates, or a pairs file of your own; vocabularies from the training side
    if pairs is not None:
        splits, limits, name, dataset = steps.pairs_data(pairs, smoke)
    else:
        splits, dataset = date_data(smoke, seed, options.get("n_train"))
        limits, name = (DATE_MAX_SOURCE, DATE_MAX_TARGET), NAME
    splits, vocabs, data, dropped = steps.vocabularies_and_arrays(splits, limits)

    # ---- model and training (comparing attention variants first, unless one is named)
    epochs = epochs or (1 if smoke else EPOCHS)
    compare = attention is None and not smoke and pairs is None and epochs > COMPARE_EPOCHS
    attention, comparison = attention or "bahdanau", {}
    fit = dict(batch_size=batch_size, learning_rate=learning_rate, total_epochs=epochs)
    with training.Stopwatch() as clock:
        if compare:
            model, history, attention, comparison = steps.compare_attention(
                out, data, vocabs, limits, hparams, splits["valid"], compare_epochs=COMPARE_EPOCHS, seed=seed, **fit)
        else:
            model, history = steps.fit_variant(attention, data, vocabs, limits, hparams, epochs=epochs,
                                               checkpoint=out, **fit)
    steps.clear_checkpoints(out)

    # ---- evaluate: exact match on the test pairs, greedy and beam 3
    config = steps.train_config(
        name, dataset=dataset, vocabs=vocabs, limits=limits, hparams=hparams, attention=attention,
        comparison=comparison, dropped=dropped, recipe="recipes/seq2seq_dates.py", epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, seed=seed,
        compare_epochs=COMPARE_EPOCHS if compare else None, seconds=clock.seconds)
    art = Seq2Seq(model, config, out, vocab=steps.vocab_json(vocabs))
    config["metrics"] = steps.evaluate_examples(art, splits["test"], per_format=pairs is None)
    training.log(f"test exact match: greedy {config['metrics']['exact_match']:.4f}, "
                 f"beam 3 {config['metrics']['exact_match_beam3']:.4f}")

    # ---- write: the card (formats, the attention comparison, examples), the plots, the folder
    return steps.write_trained(out, art, config, history, splits["test"], comparison)


def evaluate(art, data_dir=None) -> dict:
    """Exact match on the held-out test set, greedy and beam 3 (and per format for dates)."""
    return steps.evaluate_seq2seq(art)


FINETUNE_EPOCHS = 100     # 30 learn the French and dotted formats; the spelled-out one needs 100 for 0.95
                          # (benchmarks/finetune_seq2seq.py)
REHEARSAL = 1000          # the base's own training pairs mixed into fine-tuning, by default


def finetune(art, *, pairs, epochs: int = FINETUNE_EPOCHS, out, seed: int = 0, learning_rate: float = 1e-3,
             batch_size: int = 32, rehearsal: int = REHEARSAL) -> Path:
    """Continue training `art` on a TSV of input<TAB>target pairs; writes a new artifact at `out`.

    A tenth of the pairs (by a hash of the input, as `train -o pairs=` splits) is held out to
    measure exact match before and after; the rest are trained on, together with `rehearsal`
    pairs of the base's own training data (generated dates from the training days), so that it
    keeps the old formats (0: the new pairs alone). Characters the base never read extend the
    source vocabulary (old embedding rows kept); targets must use the decoder's characters.
    The new artifact's metrics are on the base's test set, so `zoo eval` re-measures them.
    """
    return steps.finetune_seq2seq(art, pairs=pairs, epochs=epochs, out=out, seed=seed, learning_rate=learning_rate,
                                  batch_size=batch_size, rehearsal=rehearsal)
