"""Recipe: charrnn-shakespeare, a character-level LSTM on tinyshakespeare.

Setup, data, model, train, evaluate, write, in that order; then `finetune`, which continues
from the pretrained weights on a text of your own. Run it with

    zoo train charrnn-shakespeare                           # the full recipe (the shipped model)
    zoo train charrnn-shakespeare -o units=256 --epochs 10  # a smaller, quicker model

Data: tinyshakespeare (Karpathy's char-rnn), split as nanoGPT's shakespeare_char: the first 90%
of characters train, the last 10% validate, so that the losses compare with published ones
(nanoGPT's character transformer: 1.4697 nats/char with 10.7M parameters).

Defaults (the shipped model's run): a 2x512 LSTM (3.3M parameters), windows of 128
characters, batches of 128, AdamW with gradients clipped to norm 1, dropout 0.3, and two
cycles of 30 epochs: the first a cosine decay of the learning rate from 2e-3, the second a
warm restart from the best weights, decaying from 1e-3. An epoch took about 2.5 to 3 minutes
on an idle 2-core CPU with KERAS_BACKEND=jax (recurrent layers run about twice as fast there as
on TensorFlow's CPU kernels), so the whole run takes about three hours on a CPU; a GPU is far
quicker. The checkpoint with the best validation loss is kept (the model over-fits late in
training).

The steps it calls (training cycles, metrics, card, fine-tuning): zoo.families.charrnn.steps.
Every option is a keyword of `train` and reachable from the shell with `-o key=value`.
An interrupted run, started again with the same options, resumes from its last finished epoch.
"""

from __future__ import annotations

from pathlib import Path

from zoo import data
from zoo.errors import InvalidInputError
from zoo.families.charrnn import steps
from zoo.families.charrnn.artifact import CharRNN, Vocabulary
# What the tests reach through the recipe:
from zoo.families.charrnn.steps import extend_model, read_history, state_dir  # noqa: F401

NAME = "charrnn-shakespeare"
DATASET = "tinyshakespeare"
TARGET = 1.44  # nats/char on the validation split (issue 8)
EVAL_TOLERANCE = 1e-3

DEFAULTS = {
    "units": 512, "layers": 2, "cell": "lstm", "dropout": 0.3, "embedding_dim": 64,
    "seq_len": 128, "batch_size": 128, "learning_rate": 2e-3, "weight_decay": 0.01, "clipnorm": 1.0,
    "epochs": 30, "cycles": 2, "restart_learning_rate": 1e-3,
}
SMOKE = {"units": 32, "layers": 1, "embedding_dim": 16, "seq_len": 32, "batch_size": 16, "epochs": 1,
         "cycles": 2, "chars": 20_000}
SAMPLE_PROMPT = "ROMEO:"
SAMPLE_TEMPERATURES = (0.5, 1.0)


# --------------------------------------------------------------------------------- data


def load_split(data_dir=None, chars: int | None = None) -> tuple[str, str, dict]:
    """The training and validation texts, and the dataset's record for the config."""
    ds = data.dataset(DATASET)
    text = data.read_text(DATASET, mirror=data_dir)
    if chars:  # smoke mode: a prefix of the text, split the same way
        text = text[:chars]
    train_text, val_text = data.split_text(text, 0.9)
    record = {"name": DATASET, "url": ds.url, "sha256": ds.sha256, "chars": len(text),
              "split": "first 90% of characters train, last 10% validate (as nanoGPT's shakespeare_char)",
              "train_chars": len(train_text), "val_chars": len(val_text)}
    return train_text, val_text, record


def resolve_options(smoke: bool, epochs, options: dict) -> tuple[dict, int]:
    unknown = sorted(set(options) - set(DEFAULTS) - {"keep_state"})
    if unknown:
        raise InvalidInputError(f"{NAME} has no option {', '.join(unknown)}; options: "
                                f"{', '.join(sorted(DEFAULTS))}.")
    hp = {**DEFAULTS, **(SMOKE if smoke else {}), **options}
    hp.pop("chars", None)
    hp.pop("keep_state", None)
    epochs = int(epochs or hp.pop("epochs"))
    hp.pop("epochs", None)
    if epochs < 1:
        raise InvalidInputError(f"epochs must be at least 1; got {epochs}.")
    hp["cycles"] = int(hp["cycles"])
    if hp["cycles"] < 1:
        raise InvalidInputError(f"cycles must be at least 1; got {hp['cycles']}.")
    return hp, epochs


def train(out: Path, *, smoke=False, epochs=None, seed=0, data_dir=None, **options) -> Path:
    """Train charrnn-shakespeare and write the artifact. Options: see DEFAULTS (and keep_state:
    keep the best weights and epoch log after writing, to re-write the artifact without training)."""
    # ---- setup
    out = Path(out)
    hp, epochs = resolve_options(smoke, epochs, options)

    # ---- data: the vocabulary is the training text's characters
    train_text, val_text, record = load_split(data_dir, SMOKE["chars"] if smoke else None)
    vocab = Vocabulary.from_text(train_text)
    unseen = sorted(set(val_text) - set(vocab.chars))
    if unseen:  # never the case for tinyshakespeare; a prefix in smoke mode may lack a few
        val_text = "".join(c for c in val_text if c in vocab)
        record["val_chars_dropped"] = "".join(unseen)

    # ---- model and training: `cycles` cosine decays, the best epoch's weights kept (steps.fit)
    model, history, best, run = steps.fit(out, vocab.encode(train_text), vocab.encode(val_text), len(vocab), hp,
                                          epochs, seed)

    # ---- evaluate: the validation losses, streamed and in windows
    config = steps.train_config(NAME, model, vocab, record, hp, epochs=epochs, best=best, run=run, seed=seed,
                                smoke=smoke, options=options, recipe="recipes/charrnn_shakespeare.py")
    art = CharRNN(model, config, out)
    config["metrics"] = {**evaluate(art, data_dir), "parameters": int(model.count_params())}

    # ---- write: samples, the training curve, the card, the folder
    return steps.write_trained(out, art, history, target=TARGET, prompt=SAMPLE_PROMPT,
                               temperatures=SAMPLE_TEMPERATURES, keep_state=options.get("keep_state"))


def evaluate(art, data_dir=None) -> dict:
    """Re-measure the validation losses on the recorded split (steps.validation_losses): val_loss,
    the validation text read as one stream, and val_loss_windows, in windows as in training."""
    val_text = validation_text(art, data_dir)
    if "base_model" in art.config:  # fine-tuned: what it kept of Shakespeare, read as one stream
        return steps.forgetting(art, val_text)
    return steps.validation_losses(art, val_text)


def validation_text(art, data_dir=None) -> str:
    """The validation text of the split the artifact (or its base) was trained on."""
    record = art.config["dataset"]
    smoke_chars = record["chars"] if record["chars"] != data.dataset(DATASET).size else None
    return load_split(data_dir, smoke_chars)[1]


def finetune(art, *, text, epochs: int = 1, out, seed: int = 0, learning_rate: float = 1e-3,
             seq_len: int | None = None, batch_size: int = 32, **unknown) -> Path:
    """Continue training `art` on a text file and write a new artifact folder at `out`.

    The last 10% of the text is held out to measure the loss before and after. New characters
    extend the vocabulary. The base artifact is read, never written. The new artifact's
    metric is nats/char on the start of tinyshakespeare's validation text (how much it forgot,
    next to the base's in the lineage), so that `zoo eval` re-measures it in seconds.
    """
    if unknown:
        raise InvalidInputError(f"finetune has no option {', '.join(sorted(unknown))}; options: seed, "
                                "learning_rate, seq_len, batch_size.")
    return steps.finetune_charrnn(art, text=text, epochs=epochs, out=out, seed=seed, learning_rate=learning_rate,
                                  seq_len=seq_len, batch_size=batch_size, validation_text=validation_text)
