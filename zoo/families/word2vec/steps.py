"""The steps of the word-vector recipes (recipes/skipgram_shakespeare.py, recipes/cbow_shakespeare.py:
the same steps, with a different architecture): the corpus, the validation against gensim, the
metrics `zoo eval` re-measures, the card, and fine-tuning (new words join the vocabulary, as in
gensim's build_vocab(update=True)). Nothing here is needed to load or use an artifact.
"""

from __future__ import annotations

import math
from pathlib import Path

from zoo._quiet import import_backend_quietly

import_backend_quietly()  # before Keras: TensorFlow's start-up chatter stays out of the terminal
from zoo import data, io, lineage, training  # noqa: E402
from zoo.artifacts import save_artifact  # noqa: E402
from zoo.errors import InvalidInputError  # noqa: E402
from zoo.families.word2vec import artifact, gensim_bridge  # noqa: E402
from zoo.families.word2vec import data as word2vec_data  # noqa: E402
from zoo.families.word2vec import model as word2vec  # noqa: E402

SMOKE_CHARS = 30_000


def shakespeare_sentences(smoke: bool, data_dir=None):
    """tinyshakespeare as a re-iterable stream of token lists (the first SMOKE_CHARS in smoke mode),
    one speech (text between blank lines) per sentence."""
    max_chars = SMOKE_CHARS if smoke else None
    # data_dir is a mirror folder, as for the other Shakespeare recipes (data.path's order)
    return word2vec_data.TextCorpus(data.path("tinyshakespeare", mirror=data_dir), "paragraph", max_chars)


def gensim_studies(vectors, sentences, architecture: str, hparams: dict, *, smoke: bool, seed: int,
                   batch_size: int) -> dict:
    """The card's validation: the trained vectors against gensim on tinyshakespeare and, in a
    full run, Keras and gensim both trained on gensim's Lee corpus (gensim_bridge.agreement_study)."""
    label = "tinyshakespeare" + (" (smoke slice)" if smoke else "")
    training.log(f"validating against gensim on {label}...")
    studies = {label: gensim_bridge.agreement_study(sentences, architecture, hparams, keras_kv=vectors,
                                                    seeds=(1, 2) if smoke else (1, 2, 3))}
    if not smoke:
        training.log("validating against gensim on the Lee corpus (Keras trained there too)...")
        studies["Lee"] = gensim_bridge.agreement_study(word2vec_data.corpus("lee"), architecture, hparams,
                                                       keras_seed=seed, batch_size=batch_size)
    return studies


def _finite(value):
    """NaN (a benchmark with no word in the vocabulary) is recorded as None: JSON has no NaN."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def word_vector_metrics(vectors, sentences, architecture: str, hparams: dict, reference=None) -> dict:
    """What `zoo eval` re-measures, deterministically: WordSim-353 / SimLex-999 / questions-words
    (with coverage), and agreement with gensim trained on the same corpus and hyper-parameters
    with seed 1 and one worker thread (`reference`, that gensim's KeyedVectors, if already trained)."""
    if reference is None:
        reference = gensim_bridge.gensim_word2vec(sentences, architecture, seed=1, workers=1, **hparams).wv
    agree = gensim_bridge.agreement(vectors, reference)
    return {**{k: _finite(v) for k, v in gensim_bridge.quality(vectors).items()},
            "agreement_spearman_vs_gensim_seed1": agree["spearman"],
            "agreement_top10_vs_gensim_seed1": agree["top10_overlap"]}


def evaluate_word_vectors(art, data_dir=None) -> dict:
    """The word-vector recipes' `evaluate`: word_vector_metrics on the corpus the artifact was
    trained on (the smoke slice for a smoke run)."""
    sentences = shakespeare_sentences(art.config["dataset"].get("smoke", False), data_dir)
    hparams = {k: art.config["hparams"][k] for k in word2vec.DEFAULTS}
    return word_vector_metrics(art.wv, sentences, art.config["architecture"], hparams)


def neighbours_markdown(kv, probe, topn: int = 8) -> str:
    rows = ["| word | nearest words (cosine) |", "| --- | --- |"]
    for word in probe:
        if word in kv.key_to_index:
            near = ", ".join(f"{w} {s:.2f}" for w, s in kv.most_similar(word, topn=topn))
            rows.append(f"| {word} | {near} |")
    return "\n".join(rows)


def validation_markdown(studies: dict) -> str:
    """The card's validation tables from {corpus name: agreement_study(...)}."""
    rows = ["| corpus | measure | gensim vs gensim (seed floor) | Keras vs gensim | ratio |",
            "| --- | --- | --- | --- | --- |"]
    for corpus_name, st in studies.items():
        for key, label in (("spearman", "Spearman of cosines"), ("top10_overlap", "top-10 overlap")):
            r = st[key]
            rows.append(f"| {corpus_name} | {label} | {r['gensim_vs_gensim']:.3f} | {r['keras_vs_gensim']:.3f} "
                        f"| {r['ratio']:.2f} |")
    rows += ["", "| corpus | benchmark (in-vocabulary part) | coverage | Keras | gensim |", "| --- | --- | --- | --- | --- |"]
    for corpus_name, st in studies.items():
        q = st["quality"]
        for bench, label in (("wordsim353", "WordSim-353 Spearman"), ("simlex999", "SimLex-999 Spearman"),
                             ("analogy", "questions-words accuracy")):
            score = "accuracy" if bench == "analogy" else "spearman"
            rows.append(f"| {corpus_name} | {label} | {q['keras'][f'{bench}_coverage']:.1%} "
                        f"| {q['keras'][f'{bench}_{score}']:.3f} | {q['gensim'][f'{bench}_{score}']:.3f} |")
    return "\n".join(rows)


def write_word_vectors(out, result: word2vec.TrainResult, vectors, studies: dict, metrics: dict, *, name: str,
                       recipe: str, sentences, smoke: bool, seed: int, seconds: float, probe) -> Path:
    """The config, the card (neighbours of the `probe` words, the validation) and the artifact folder."""
    architecture = result.model.name
    hp = {k: result.hparams[k] for k in word2vec.DEFAULTS}
    token_pattern = word2vec_data.TOKEN_PATTERN
    config = {
        "name": name,
        "architecture": architecture,
        "description": f"{'Skip-gram' if architecture == 'skipgram' else 'CBOW'} word vectors (word2vec with "
                       "negative sampling, Mikolov et al. 2013) of tinyshakespeare, trained in Keras and "
                       "validated against gensim's Word2Vec on the same corpus and hyper-parameters.",
        "recipe": recipe,
        "hparams": hp,
        "build": {"vocab_size": len(result.vocab), "vector_size": hp["vector_size"], "negative": hp["negative"],
                  **({"window": hp["window"]} if architecture == "cbow" else {})},
        "vocabulary": {"file": artifact.VOCAB_FILE, "size": len(result.vocab),
                       "tokenizer": f"nltk RegexpTokenizer({token_pattern!r})", "lowercase": True,
                       "min_count": hp["min_count"]},
        "dataset": {"name": "tinyshakespeare", "sha256": data.dataset("tinyshakespeare").sha256,
                    "split": "all of it (word vectors have no held-out split); one speech per sentence"
                             + (f"; smoke: first {sentences.max_chars} characters" if smoke else ""),
                    "tokens": result.corpus_words, "smoke": smoke},
        "training": {**result.hparams, "seed": seed, "optimizer": "SGD, rate linear from alpha to min_alpha",
                     "loss": "sigmoid cross-entropy, 1 true + k noise words, summed over the batch",
                     "examples_per_epoch": result.examples_per_epoch, "steps": result.steps,
                     "fit_seconds": result.seconds, "words_per_second": result.corpus_words * hp["epochs"] / result.seconds,
                     "seconds": seconds, "environment": training.environment()},
        "validation": studies,
        "card": {"tags": ["word2vec", architecture, "word-embeddings", "gensim"]},
    }
    config["metrics"] = metrics
    first = next(iter(studies.values()))
    body = f"""
`zoo.load({name!r}).wv` is a gensim `KeyedVectors` ({len(result.vocab):,} words, {hp['vector_size']}
dimensions): `most_similar`, `similarity`, analogies, `evaluate_word_pairs` all work.
`art.export("vectors.txt")` / `art.export("vectors.bin", binary=True)` write the word2vec formats.
From a shell: `zoo similar {name} king --topn 10`.

Hyper-parameters (the same for gensim in every comparison): {", ".join(f"{k}={v}" for k, v in hp.items())};
batch of {result.hparams['batch_size']} examples. Tokens: nltk `RegexpTokenizer({token_pattern!r})` on lower-cased text.

## Nearest neighbours

{neighbours_markdown(vectors, probe)}

![2-D map of frequent words](word_map.png)

## Validation against gensim

gensim's `Word2Vec` trained on the same corpus with the same hyper-parameters, with seeds
{", ".join(map(str, first['gensim_seeds']))} (one worker thread each), sets the floor: how well gensim agrees with itself.
The Keras model is compared with each gensim run, on {first['probe_words']} frequent words (ranks 20 and
after) and {first['probe_pairs']} fixed random pairs of them: Spearman correlation of the pairs' cosine
similarities, and mean overlap of the words' top-10 neighbour lists. On the Lee corpus the Keras
model is trained by the same code with the same hyper-parameters. gensim's quality numbers are means over its seeds.

{validation_markdown(studies)}

(`python benchmarks/word2vec_agreement.py` measures both architectures on both corpora;
`python benchmarks/word2vec_speed.py` measures speed against gensim.)

![training curve](training_curve.png)
"""
    plots = {"word_map.png": word2vec.pca_map(vectors, title=f"{name}: PCA of 120 frequent words"),
             "training_curve.png": training.plot_history(result.history, f"{name}: summed loss per batch")}
    return save_artifact(out, model=result.model, config=config, card_body=body, plots=plots,
                         assets={artifact.VOCAB_FILE: result.vocab.to_json()})


# ------------------------------------------------------------------------------ fine-tuning

FINETUNE_MIN_WORDS = 1_000  # below this the new words' vectors are little more than their random start
FINETUNE_MIN_STEPS = 32  # steps an epoch at least (smaller batches for a small text; see train_word2vec)


def finetune_word_vectors(art, *, text, out, epochs=None, seed=0, batch_size=None, probe=()) -> Path:
    """The word-vector recipes' `finetune`: continue training on a text file and grow the
    vocabulary, as gensim's build_vocab(update=True) then train does (Vocabulary.updated): words
    of the text seen min_count times or more get new rows, the old rows are kept and keep
    training; the learning rate falls again from alpha to min_alpha, over the base's epochs
    unless `epochs` is given. Writes a new artifact folder; the base is only read.

    Before/after: the vocabulary, the share of the text's words that have a vector, and the
    base's own metrics on its own corpus (how much of it was kept; `zoo eval` re-measures them).
    After only: the agreement with gensim doing the same update (seed 1) on word pairs that
    include new words (benchmarks/finetune_word2vec.py measures gensim's own seed-to-seed floor).
    """
    path = Path(text)
    sentences = finetune_sentences(path)
    n_words = sum(map(len, sentences))
    architecture = art.config["architecture"]
    hp = {k: art.config["hparams"][k] for k in word2vec.DEFAULTS}  # the base's, for the gensim references too
    epochs = epochs or hp["epochs"]
    vocab, keep, new_words = art.vocab.updated(sentences, hp["min_count"], hp["sample"])
    with training.Stopwatch() as clock:
        result = word2vec.train_word2vec(sentences, architecture, seed=seed, batch_size=batch_size, verbose=2,
                                         vocab=vocab, keep_prob=keep, start_from=art.model,
                                         min_steps_per_epoch=FINETUNE_MIN_STEPS,
                                         callbacks=training.resume_callbacks(out), **{**hp, "epochs": epochs})
    training.clear_checkpoint(out)
    vectors = word2vec.keyed_vectors(result.model, vocab)
    metrics, update = metrics_after_update(art, vectors, sentences, new_words, epochs, hp)
    before, after = before_and_after(art, vocab, sentences, metrics, update)
    examples = ", ".join(gensim_bridge.new_word_probe(vectors, new_words, 5))
    agreement_note = (f"; agreement with gensim's own update (seed 1), Spearman of cosines over pairs with new "
                      f"words: {update['spearman']:.3f}" if update.get("new_words", 0) >= 2 else "")
    summary = (f"{len(new_words):,} new words (seen at least {hp['min_count']} times in {path.name})"
               f"{' such as ' + examples if examples else ''}; the text's words with a vector: "
               f"{before['text_coverage']:.1%} before, {after['text_coverage']:.1%} after{agreement_note}")

    config = {k: v for k, v in art.config.items() if k not in ("files", "metrics", "validation")}
    config.update(
        name=Path(out).name,
        description=f"{art.name} fine-tuned on {path.name}: {len(new_words):,} new words, {len(vocab):,} in all.",
        build={**art.config["build"], "vocab_size": len(vocab)},
        vocabulary={**art.config["vocabulary"], "size": len(vocab)},
        training={**art.config["training"], "finetune_epochs": epochs, "finetune_seed": seed,
                  "finetune_batch_size": result.hparams["batch_size"], "finetune_steps": result.steps,
                  "finetune_seconds": clock.seconds, "environment": training.environment()},
        card={"tags": [*art.config["card"]["tags"], "fine-tuned"]},
        metrics=metrics,
    )
    options = {"seed": seed, **({"batch_size": batch_size} if batch_size else {})}
    config.update(lineage.record(art, data=[path], data_flags=[("--text", [path.name])], out=out, epochs=epochs,
                                 options=options, before=before, after=after, summary=summary))
    body = finetuned_card_body(art, path, n_words, epochs, hp, vocab, new_words, vectors, probe)
    plots = {"training_curve.png": training.plot_history(result.history, f"fine-tuning {art.name}: summed loss per batch")}
    return save_artifact(out, model=result.model, config=config, card_body=body, plots=plots,
                         assets={artifact.VOCAB_FILE: vocab.to_json()})


def finetune_sentences(path: Path) -> list[list[str]]:
    """The text to fine-tune on, tokenised as the base's corpus was (one paragraph a sentence);
    refused in one line if it is missing, not UTF-8 or too short."""
    io.read_user_text(path, "to fine-tune on")  # a one-line error for a missing or non-UTF-8 file
    sentences = list(word2vec_data.TextCorpus(path, "paragraph"))  # the same tokens as the base's corpus
    n_words = sum(map(len, sentences))
    if n_words < FINETUNE_MIN_WORDS:
        raise InvalidInputError(f"{path} holds {n_words:,} words; fine-tuning word vectors needs at least "
                                f"{FINETUNE_MIN_WORDS:,} (a few pages of text).")
    return sentences


def metrics_after_update(art, vectors, sentences, new_words, epochs: int, hp: dict) -> tuple[dict, dict]:
    """The base's metrics on its own corpus, and the agreement on new words with gensim trained
    like the base (seed 1) updated on the same text. A base that was itself fine-tuned has no such
    gensim twin (its earlier texts are not at hand), so the update is compared with gensim only
    for a trained base (else the second dict is empty)."""
    architecture = art.config["architecture"]
    base_sentences = shakespeare_sentences(art.config["dataset"].get("smoke", False))
    reference = gensim_bridge.gensim_word2vec(base_sentences, architecture, seed=1, workers=1, **hp)
    metrics = word_vector_metrics(vectors, base_sentences, architecture, hp, reference=reference.wv)
    update = {}
    if not lineage.ancestry(art.config):
        training.log("comparing with gensim's own update (build_vocab(update=True), then train)...")
        updated = gensim_bridge.gensim_update(reference, sentences, epochs).wv
        update = gensim_bridge.update_agreement(vectors, updated, new_words)
    return metrics, update


def before_and_after(art, vocab, sentences, metrics: dict, update: dict) -> tuple[dict, dict]:
    """The lineage's before and after: the vocabulary, the share of the text's words with a
    vector, the agreement with gensim's update, and the base's metrics on its own corpus."""
    n_words = sum(map(len, sentences))

    def coverage(v):
        return sum(t in v.index for s in sentences for t in s) / n_words

    before = {"vocabulary_words": len(art.vocab), "text_coverage": coverage(art.vocab),
              **{f"shakespeare_{k}": v for k, v in art.metrics.items() if k in metrics}}
    after = {"vocabulary_words": len(vocab), "text_coverage": coverage(vocab),
             **({"new_words_agreement_spearman_vs_gensim_update_seed1": _finite(update["spearman"]),
                 "new_words_agreement_top10_vs_gensim_update_seed1": _finite(update["top10_overlap"])}
                if update else {}),
             **{f"shakespeare_{k}": v for k, v in metrics.items()}}
    return before, after


def finetuned_card_body(art, path: Path, n_words: int, epochs: int, hp: dict, vocab, new_words, vectors,
                        probe) -> str:
    """The fine-tuned artifact's card: what was added, and the neighbours of new and old words."""
    return f"""
Fine-tuned from **{art.name}** on `{path.name}` ({n_words:,} words) for {epochs} epoch(s), as gensim's
`build_vocab(update=True)` then `train`: {len(new_words):,} new words (seen at least {hp['min_count']}
times there) got vectors, the {len(art.vocab):,} old ones kept theirs and kept training.
`zoo.load("path/to/this/folder").wv` is a gensim `KeyedVectors` of all {len(vocab):,} words.

## Nearest neighbours of new words

{neighbours_markdown(vectors, gensim_bridge.new_word_probe(vectors, new_words, 8))}

## Nearest neighbours of old words

{neighbours_markdown(vectors, probe)}

The metrics below are the base's, re-measured on its own corpus (tinyshakespeare): how much of it
was kept.

![training curve](training_curve.png)
"""
