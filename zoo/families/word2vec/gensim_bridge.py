"""gensim's Word2Vec as the reference for zoo/families/word2vec/model.py: gensim trained with the same
hyper-parameters, and measures of how alike two sets of word vectors are, whatever their
coordinates (two trainings never give the same vectors, only the same neighbourhoods).

`agreement_study` is the whole validation of one architecture on one corpus: gensim with several
seeds sets the floor (how much gensim agrees with itself), and the Keras model is compared with
each gensim run. The recipes record it on the cards; benchmarks/word2vec_agreement.py runs it on
both corpora. `update_study` does the same for fine-tuning (gensim's build_vocab(update=True),
then train), on word pairs that include the new words; benchmarks/finetune_word2vec.py runs it.
"""

from __future__ import annotations

import copy

import numpy as np

from zoo.families.word2vec.model import DEFAULTS, keyed_vectors, train_word2vec


def gensim_word2vec(sentences, architecture: str = "skipgram", *, seed: int = 0, workers: int = 1, **hparams):
    """gensim's Word2Vec on the same corpus and hyper-parameters (the reference).

    With workers=1 and a fixed seed it is deterministic (checked in tests/test_word2vec.py).
    """
    from gensim.models import Word2Vec

    hp = {**DEFAULTS, **hparams}
    return Word2Vec(sentences, sg=1 if architecture == "skipgram" else 0, hs=0, cbow_mean=1, seed=seed,
                    workers=workers, vector_size=hp["vector_size"], window=hp["window"],
                    negative=hp["negative"], sample=hp["sample"], min_count=hp["min_count"],
                    alpha=hp["alpha"], min_alpha=hp["min_alpha"], ns_exponent=hp["ns_exponent"],
                    epochs=hp["epochs"])


# ---------------------------------------------------------------------------- agreement, quality


def probe_words(kv, n: int = 300, skip: int = 20) -> list[str]:
    """Frequent words to compare models on: ranks skip..skip+n (the very top are function words)."""
    return list(kv.index_to_key[skip:skip + n])


def probe_pairs(words, n_pairs: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(words), n_pairs)
    b = rng.integers(0, len(words), n_pairs)
    keep = a != b
    return [(words[i], words[j]) for i, j in zip(a[keep], b[keep])]


def agreement(kv_a, kv_b, words=None, pairs=None, topn: int = 10) -> dict:
    """How alike two sets of word vectors are, whatever their coordinates:

    spearman: rank correlation of the cosine similarities of the same word pairs;
    top10_overlap: mean fraction of shared words in each probe word's top-10 neighbours.
    """
    from scipy.stats import spearmanr

    words = [w for w in (words or probe_words(kv_a)) if w in kv_a.key_to_index and w in kv_b.key_to_index]
    pairs = pairs or probe_pairs(words)
    sims_a = [kv_a.similarity(x, y) for x, y in pairs]
    sims_b = [kv_b.similarity(x, y) for x, y in pairs]
    overlaps = []
    for word in words:
        near_a = {w for w, _ in kv_a.most_similar(word, topn=topn)}
        near_b = {w for w, _ in kv_b.most_similar(word, topn=topn)}
        overlaps.append(len(near_a & near_b) / topn)
    return {"spearman": float(spearmanr(sims_a, sims_b).statistic), "top10_overlap": float(np.mean(overlaps))}


def quality(kv) -> dict:
    """gensim's bundled benchmarks on the in-vocabulary part, with coverage."""
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    out = {}
    for name, file, kwargs in (("wordsim353", "wordsim353.tsv", {}),
                               ("simlex999", "simlex999.txt", {})):
        try:
            _, spearman, oov = kv.evaluate_word_pairs(datapath(file), **kwargs)
            out[f"{name}_spearman"] = float(spearman.statistic)
            out[f"{name}_coverage"] = float(1 - oov / 100)
        except ValueError:  # fewer than two pairs in the vocabulary (tiny smoke vocabularies)
            out[f"{name}_spearman"] = float("nan")
            out[f"{name}_coverage"] = 0.0
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    total = next(s for s in sections if s["section"] == "Total accuracy")
    answered = len(total["correct"]) + len(total["incorrect"])
    out["analogy_accuracy"] = float(score) if answered else 0.0
    out["analogy_coverage"] = answered / _analogy_total()
    return out


def _analogy_total() -> int:
    from gensim.test.utils import datapath

    with open(datapath("questions-words.txt"), encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(":"))


def agreement_study(sentences, architecture: str, hparams: dict, *, keras_kv=None, seeds=(1, 2, 3),
                    keras_seed: int = 0, batch_size: int | None = None, verbose=0) -> dict:
    """The validation of one architecture on one corpus, with the same hyper-parameters:

    gensim trained with several seeds sets the floor (how much gensim agrees with itself);
    the Keras model (trained here unless keras_kv is given) is compared with each gensim run.
    Also WordSim-353, SimLex-999 and questions-words for both (gensim: mean over its seeds).
    """
    from itertools import combinations

    hp = {**DEFAULTS, **hparams}
    if keras_kv is None:
        result = train_word2vec(sentences, architecture, seed=keras_seed, batch_size=batch_size,
                                verbose=verbose, **hp)
        keras_kv = keyed_vectors(result.model, result.vocab)
    runs = [gensim_word2vec(sentences, architecture, seed=s, workers=1, **hp).wv for s in seeds]
    words = probe_words(runs[0])
    pairs = probe_pairs(words)
    floor = [agreement(a, b, words, pairs) for a, b in combinations(runs, 2)]
    versus = [agreement(keras_kv, g, words, pairs) for g in runs]
    out = {"probe_words": len(words), "probe_pairs": len(pairs), "gensim_seeds": list(seeds),
           "vocabulary": len(keras_kv), "hparams": hp}
    for key in ("spearman", "top10_overlap"):
        g = float(np.mean([f[key] for f in floor]))
        k = float(np.mean([v[key] for v in versus]))
        out[key] = {"gensim_vs_gensim": g, "keras_vs_gensim": k, "ratio": k / g}
    gensim_quality = [quality(g) for g in runs]
    out["quality"] = {"keras": quality(keras_kv),
                      "gensim": {k: float(np.mean([q[k] for q in gensim_quality])) for k in gensim_quality[0]}}
    return out


# ---------------------------------------------------------------------------- fine-tuning


def gensim_update(model, sentences, epochs: int | None = None):
    """gensim's way to continue training on new sentences, on a copy of `model`: grow the
    vocabulary (build_vocab(update=True)), then train on the new sentences alone, the learning
    rate falling again from alpha to min_alpha."""
    model = copy.deepcopy(model)
    model.build_vocab(sentences, update=True)
    model.train(sentences, total_examples=model.corpus_count, epochs=epochs or model.epochs)
    return model


def new_word_probe(kv, new_words, n: int = 300) -> list[str]:
    """The n most frequent of the new words (by their count in `kv`), to compare models on."""
    return sorted(new_words, key=lambda w: -kv.get_vecattr(w, "count"))[:n]


def new_word_pairs(new, old, n_pairs: int = 3000, seed: int = 0):
    """Fixed random pairs that each include a new word: a new word with a new or an old one."""
    rng = np.random.default_rng(seed)
    both = list(new) + list(old)
    a = rng.integers(0, len(new), n_pairs)
    b = rng.integers(0, len(both), n_pairs)
    return [(new[i], both[j]) for i, j in zip(a, b) if new[i] != both[j]]


def update_agreement(kv_a, kv_b, new_words, n_pairs: int = 3000) -> dict:
    """agreement() after fine-tuning: Spearman of cosines over pairs that include a new word (the
    n_pairs of new_word_pairs, old words from probe_words), top-10 overlap of the new words."""
    new = new_word_probe(kv_a, new_words)
    if len(new) < 2:
        return {"spearman": float("nan"), "top10_overlap": float("nan"), "new_words": len(new)}
    pairs = new_word_pairs(new, probe_words(kv_a), n_pairs)
    return {**agreement(kv_a, kv_b, new, pairs), "new_words": len(new)}


def update_study(base_sentences, new_sentences, architecture: str, hparams: dict, keras_kv, new_words, *,
                 seeds=(1, 2, 3), epochs: int | None = None) -> dict:
    """The validation of fine-tuning: gensim trained on the base corpus with each seed, then
    updated on the new sentences (gensim_update); the updated runs' agreement with each other is
    the floor, and the fine-tuned Keras vectors are compared with each, on pairs that include
    new words (update_agreement)."""
    from itertools import combinations

    hp = {**DEFAULTS, **hparams}
    bases = [gensim_word2vec(base_sentences, architecture, seed=s, workers=1, **hp) for s in seeds]
    runs = [gensim_update(base, new_sentences, epochs).wv for base in bases]
    floor = [update_agreement(a, b, new_words) for a, b in combinations(runs, 2)]
    versus = [update_agreement(keras_kv, g, new_words) for g in runs]
    out = {"gensim_seeds": list(seeds), "new_words": len(new_words), "probe_new_words": versus[0]["new_words"],
           "vocabulary": len(keras_kv), "gensim_vocabulary": len(runs[0]), "hparams": hp,
           "epochs": epochs or hp["epochs"]}
    for key in ("spearman", "top10_overlap"):
        g = float(np.mean([f[key] for f in floor]))
        k = float(np.mean([v[key] for v in versus]))
        out[key] = {"gensim_vs_gensim": g, "keras_vs_gensim": k, "ratio": k / g}
    # What is kept of the base corpus: agreement with gensim's base runs on the old probe words,
    # for gensim's own updates (each against the other seeds' bases) and for the Keras vectors.
    words = probe_words(bases[0].wv)
    pairs = probe_pairs(words)
    out["old_words_spearman_vs_gensim_base"] = {
        "gensim_updated": float(np.mean([agreement(runs[i], bases[j].wv, words, pairs)["spearman"]
                                         for i in range(len(runs)) for j in range(len(bases)) if i != j])),
        "keras_finetuned": float(np.mean([agreement(keras_kv, base.wv, words, pairs)["spearman"] for base in bases]))}
    return out
