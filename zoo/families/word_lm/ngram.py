"""Word n-gram language models: counting (Laplace and interpolated Kneser-Ney, reproducing
nltk.lm exactly, but vectorised with numpy) and the neural n-gram model of Bengio et al. 2003,
"A Neural Probabilistic Language Model" (`ngram-lm`).

Counting. nltk.lm's models, fit with `padded_everygram_pipeline(n, sentences)`, count every
k-gram (k = 1..n) of each sentence padded with n-1 `<s>` on the left and n-1 `</s>` on the
right. Given a context of n-1 words:

- Laplace:  p(w | ctx) = (c(ctx, w) + 1) / (sum_v c(ctx, v) + |V|), where |V| is nltk's
  vocabulary size, which counts `<UNK>` twice when the training text holds `<UNK>` (nltk's
  quirk, kept so that the numbers agree).
- Interpolated Kneser-Ney (nltk's InterpolatedKneserNey, discount d = 0.1):
      p(w | ctx) = alpha(w, ctx) + gamma(ctx) * p(w | ctx[1:]),   p(w | ()) = N1+(. w) / N1+(. .)
  at the highest order alpha = max(c(ctx, w) - d, 0) / sum_v c(ctx, v); at lower orders the raw
  counts are replaced by continuation counts N1+(. ctx w) (how many different words precede);
  gamma = d * N1+(ctx .) / (the same denominator), and a context never seen has alpha 0,
  gamma 1. nltk computes the continuation counts by scanning every n-gram for every query
  (about 30 tokens a second here); `CountLM` precomputes them once as sorted numpy tables of
  integer-coded n-grams and looks a whole test set up at once with `np.searchsorted`.

The neural n-gram (Bengio et al. 2003): the n-1 context words through one shared embedding
matrix C, concatenated, a tanh hidden layer, a softmax over the vocabulary:
      y = b + W x + U tanh(d + H x),   x = [C(w_{t-n+1}), ..., C(w_{t-1})]
(W x are the optional "direct connections" from the embeddings to the output).
"""

from __future__ import annotations

import numpy as np

from zoo.families.word_lm import words


# --------------------------------------------------------------------------- counting


def padded(sentence_ids: np.ndarray, order: int, bos: int, eos: int) -> np.ndarray:
    return np.concatenate([np.full(order - 1, bos), sentence_ids, np.full(order - 1, eos)]).astype("int64")


def ngram_windows(sentences_ids, order: int, bos: int, eos: int, *, both_ends: bool) -> np.ndarray:
    """All n-grams (rows of `order` ids) of the sentences, padded with order-1 <s> on the left and
    order-1 </s> on the right (both_ends, as nltk's training pipeline does) or one </s> (the
    n-grams that are scored: each word and the sentence's end, each predicted once)."""
    rows = []
    for s in sentences_ids:
        s = np.asarray(s, dtype="int64")
        seq = padded(s, order, bos, eos) if both_ends else \
            np.concatenate([np.full(order - 1, bos), s, [eos]]).astype("int64")
        if len(seq) >= order:
            rows.append(np.lib.stride_tricks.sliding_window_view(seq, order))
    return np.concatenate(rows) if rows else np.zeros((0, order), "int64")


class _Table:
    """A sorted table of integer keys (n-grams coded base V) with a value for each."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], values[order]

    @classmethod
    def count(cls, keys: np.ndarray, weights: np.ndarray | None = None) -> "_Table":
        unique, inverse = np.unique(keys, return_inverse=True)
        values = np.bincount(inverse, weights=weights, minlength=len(unique))
        return cls(unique, values.astype("float64"))

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, 0 for keys not in the table."""
        if len(self.keys) == 0:
            return np.zeros(len(keys))
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, self.values[pos], 0.0)


class CountLM:
    """Laplace or interpolated Kneser-Ney n-gram model, numerically nltk.lm's (see the module
    docstring), fit on id-coded sentences. `log_prob(ngrams)` scores many n-grams at once."""

    def __init__(self, order: int, smoothing: str, vocab: words.Vocabulary, discount: float = 0.1):
        if smoothing not in ("laplace", "kneser-ney"):
            raise ValueError(f"smoothing is 'laplace' or 'kneser-ney', got {smoothing!r}")
        if float(len(vocab)) ** order >= 2.0 ** 63:
            raise ValueError(f"{order}-grams over {len(vocab)} words do not fit 63-bit keys")
        self.order, self.smoothing, self.vocab, self.discount = order, smoothing, vocab, discount
        self.base = len(vocab)
        self.bos, self.eos = vocab.index[words.BOS], vocab.index[words.EOS]

    def key(self, grams: np.ndarray) -> np.ndarray:
        """n-grams (rows of ids) as integers: sum id_i * V^(k-1-i); the empty n-gram is 0."""
        keys = np.zeros(len(grams), dtype="int64")
        for j in range(grams.shape[1]):
            keys = keys * self.base + grams[:, j]
        return keys

    def fit(self, sentences_ids) -> "CountLM":
        n, V = self.order, self.base
        grams = ngram_windows(sentences_ids, n, self.bos, self.eos, both_ends=True)
        # every k-gram of the padded sentences (nltk's everygrams): the k-grams that start at
        # each position, including the shorter ones at the end of each padded sentence
        everygrams = {k: self._everygrams(sentences_ids, k) for k in range(1, n + 1)}
        # nltk's vocabulary: every type of the padded text, and <UNK> once more
        types = np.unique(everygrams[1][:, 0])
        self.vocab_size = len(types) + 1
        self.counts = {k: _Table.count(self.key(g)) for k, g in everygrams.items()}
        # per context (a (k-1)-gram key): total count, and the number of different next words
        self.context_total, self.context_types = {}, {}
        for k in range(1, n + 1):
            table = self.counts[k]
            prefix = table.keys // V if k > 1 else np.zeros_like(table.keys)
            self.context_total[k] = _Table.count(prefix, table.values)
            self.context_types[k] = _Table.count(prefix)
        if self.smoothing == "kneser-ney":
            # continuation counts: N1+(. g) for each k-gram g (k < n): how many (k+1)-gram types
            # end with g; and their sum over the next word, per context
            self.continuation, self.continuation_total = {}, {}
            for k in range(1, n):
                higher = self.counts[k + 1].keys
                suffix = higher % (V ** k)
                self.continuation[k] = _Table.count(suffix)
                prefix = self.continuation[k].keys // V if k > 1 else np.zeros_like(self.continuation[k].keys)
                self.continuation_total[k] = _Table.count(prefix, self.continuation[k].values)
        return self

    def _everygrams(self, sentences_ids, k: int) -> np.ndarray:
        rows = []
        for s in sentences_ids:
            seq = padded(np.asarray(s, dtype="int64"), self.order, self.bos, self.eos)
            if len(seq) >= k:
                rows.append(np.lib.stride_tricks.sliding_window_view(seq, k))
        return np.concatenate(rows)

    def prob(self, grams: np.ndarray) -> np.ndarray:
        """p(last id | the ids before it) for each row (rows of `order` ids)."""
        grams = np.asarray(grams, dtype="int64")
        if grams.ndim != 2 or grams.shape[1] != self.order:
            raise ValueError(f"give rows of {self.order} ids")
        n, V = self.order, self.base
        if self.smoothing == "laplace":
            c = self.counts[n].get(self.key(grams))
            total = self.context_total[n].get(self.key(grams[:, :-1]))
            return (c + 1.0) / (total + self.vocab_size)
        d, w = self.discount, grams[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = self.continuation[1].get(w) / len(self.counts[2].keys)  # unigram: N1+(. w) / N1+(. .)
            for k in range(2, n + 1):  # contexts of k-1 words, shortest first
                gram_keys = self.key(grams[:, n - k:])
                ctx_keys = gram_keys // V
                seen = self.context_types[k].get(ctx_keys) > 0
                if k == n:
                    count, total = self.counts[k].get(gram_keys), self.context_total[k].get(ctx_keys)
                else:
                    count = self.continuation[k].get(gram_keys)
                    total = self.continuation_total[k].get(ctx_keys)
                alpha = np.maximum(count - d, 0.0) / total
                gamma = d * self.context_types[k].get(ctx_keys) / total
                p = np.where(seen, alpha + gamma * p, p)
        return p

    def log_prob(self, grams: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.prob(grams))

    def sentence_log_probs(self, sentences_ids) -> np.ndarray:
        """Natural-log probability of each predicted token (each word, and one </s> a sentence),
        with n-1 <s> of left context."""
        return self.log_prob(ngram_windows(sentences_ids, self.order, self.bos, self.eos, both_ends=False))

    def perplexity(self, sentences_ids) -> float:
        return float(np.exp(-np.mean(self.sentence_log_probs(sentences_ids))))


def fit_nltk(order: int, smoothing: str, sentences: list[list[str]]):
    """The same model with nltk.lm (the reference, slow): sentences already <UNK>-mapped."""
    from nltk.lm import KneserNeyInterpolated, Laplace
    from nltk.lm.preprocessing import padded_everygram_pipeline

    model = Laplace(order) if smoothing == "laplace" else KneserNeyInterpolated(order)
    train, vocab = padded_everygram_pipeline(order, sentences)
    model.fit(train, vocab)
    return model


# --------------------------------------------------------------------- the one table

# (label, order, smoothing, discount): the three rows with nltk's defaults, then the
# strongest count models we found, so that the neural models are compared with a fair baseline
# too (nltk's discount 0.1 is small for this little data: its 2-gram beats its 3-gram)
COUNT_BASELINES = [("Laplace 3-gram", 3, "laplace", None), ("Kneser-Ney 3-gram", 3, "kneser-ney", 0.1),
                   ("Kneser-Ney 5-gram", 5, "kneser-ney", 0.1), ("Kneser-Ney 2-gram", 2, "kneser-ney", 0.1),
                   ("Kneser-Ney 3-gram, discount 0.75", 3, "kneser-ney", 0.75)]


def count_baselines(corpus: words.Corpus, specs=COUNT_BASELINES) -> list[dict]:
    """Fit each count model on the whole training part and score the test part (seconds)."""
    import time

    train = [corpus.vocab.encode(s) for s in corpus.train]
    test = [corpus.vocab.encode(s) for s in corpus.test]
    rows = []
    for label, order, smoothing, discount in specs:
        start = time.perf_counter()
        model = CountLM(order, smoothing, corpus.vocab, discount=discount or 0.1).fit(train)
        fitted = time.perf_counter()
        perplexity = model.perplexity(test)
        rows.append({"model": label, "test_perplexity": perplexity,
                     "parameters": int(sum(len(t.keys) for t in model.counts.values())),
                     "parameters_note": "stored n-gram counts",
                     "training_seconds": fitted - start, "scoring_seconds": time.perf_counter() - fitted,
                     "measured_by": "python benchmarks/lm_table.py"})
    return rows


# ------------------------------------------------------------ the neural n-gram model


def build_ngram_lm(vocab_size: int = 6156, context: int = 4, embedding_dim: int = 64, hidden_units: int = 200,
                   dropout: float = 0.3, direct_connections: bool = False):
    """Bengio et al. 2003: `context` previous words -> shared embedding C -> concatenation x ->
    tanh hidden layer -> logits over the vocabulary (plus W x if direct_connections)."""
    import keras  # here, not at the top: the counting models and the artifact need no backend

    tokens = keras.Input(shape=(context,), dtype="int32", name="context")
    embedded = keras.layers.Embedding(vocab_size, embedding_dim, name="C")(tokens)   # (batch, n-1, m)
    x = keras.layers.Flatten(name="concatenate")(embedded)                          # (batch, (n-1) m)
    x = keras.layers.Dropout(dropout, name="dropout_x")(x)
    hidden = keras.layers.Dense(hidden_units, activation="tanh", name="H")(x)
    hidden = keras.layers.Dropout(dropout, name="dropout_h")(hidden)
    logits = keras.layers.Dense(vocab_size, name="U")(hidden)
    if direct_connections:
        logits = keras.layers.Add(name="plus_direct")([logits, keras.layers.Dense(vocab_size, use_bias=False,
                                                                                  name="W")(x)])
    return keras.Model(tokens, logits, name="ngram_lm")


def context_target(sentences_ids, context: int, vocab: words.Vocabulary):
    """(contexts, targets) of every predicted token: n-1 previous words of the same sentence,
    <s>-padded, as the count models see them."""
    grams = ngram_windows(sentences_ids, context + 1, vocab.index[words.BOS], vocab.index[words.EOS],
                          both_ends=False)
    return grams[:, :-1].astype("int32"), grams[:, -1].astype("int32")
