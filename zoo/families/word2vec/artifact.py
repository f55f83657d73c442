"""word2vec's artifact: trained skip-gram or CBOW word vectors (`WordVectors`), read as a gensim
KeyedVectors.

Light on purpose: nothing here imports Keras or gensim at module level (gensim comes in when the
vectors are first asked for), so that `zoo --help` and `zoo info` read the class without them.
The models and their training are in model.py; the corpora and the vocabulary in data.py.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np

from zoo.artifacts import Artifact
from zoo.cli_types import COUNT
from zoo.errors import InvalidInputError
from zoo.families.word2vec.data import Vocabulary
from zoo.hooks import Argument, DemoSection, FinetuneData, Task, Verb

# gensim's defaults (gensim.models.Word2Vec), used by both sides of every comparison.
DEFAULTS = {
    "vector_size": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "min_count": 5,
    "alpha": 0.025,
    "min_alpha": 1e-4,
    "ns_exponent": 0.75,
    "epochs": 5,
}
VOCAB_FILE = "vocab.json"


def keyed_vectors(model, vocab: Vocabulary):
    """The input vectors as a gensim KeyedVectors (with each word's count)."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(model.get_layer("input_vectors").embeddings, dtype="float32")
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(vocab.words, vectors)
    for word, count in zip(vocab.words, vocab.counts):
        kv.set_vecattr(word, "count", int(count))
    return kv


class WordVectors(Artifact):
    """A trained skip-gram or CBOW model. `.wv` is a gensim KeyedVectors of the input vectors:
    most_similar, similarity, analogies (most_similar(positive=, negative=)), evaluate_word_pairs."""

    config_schema = "zoo.families.word2vec.schema:Word2VecMetadata"
    tasks = (Task("feature-extraction", run="zoo.families.word2vec.serving:vectors",
                  request="zoo.families.word2vec.serving:WordRequest",
                  description="a word's vector; a list of words gives a list of vectors"),
             Task("most-similar", run="zoo.families.word2vec.serving:most_similar",
                  request="zoo.families.word2vec.serving:WordRequest",
                  description="a word's nearest words by cosine similarity (parameters.top_k)"),
             Task("word-map", run="zoo.families.word2vec.serving:word_map",
                  request="zoo.families.word2vec.serving:WordRequest", widget="word-map",
                  description="a word and its nearest words on a 2-D map (PCA) of the frequent words"))
    demo_section = DemoSection("zoo.families.word2vec.demo:section", order=40)
    finetune_data = FinetuneData("text", "FILE", "a UTF-8 text file")
    cli_verbs = (
        Verb("similar", run="zoo.families.word2vec.commands:similar", help="nearest words of a word2vec model",
             description="Print the words nearest to WORD (cosine similarity of the word vectors).",
             arguments=(
                 Argument("name", help="artifact name or folder, e.g. skipgram-shakespeare"),
                 Argument("word", help="a word (lower-cased before look-up)"),
                 Argument("--topn", type=COUNT, default=10, help="how many neighbours (default: 10)"))),
    )

    def export_plan(self):
        from zoo.families.word2vec import export

        return export.plan(self)

    @property
    def vocab(self) -> Vocabulary:
        if not hasattr(self, "_vocab"):  # read_config has checked it
            from zoo import artifacts

            self._vocab = Vocabulary.from_json(
                artifacts.read_json_member(self.folder, VOCAB_FILE, artifacts.VOCABULARY_LIMIT))
        return self._vocab

    @property
    def wv(self):
        if not hasattr(self, "_wv"):
            self._wv = keyed_vectors(self.model, self.vocab)
        return self._wv

    def lookup(self, word: str) -> str:
        """The vocabulary form of a word (lower-cased), or an error naming close spellings."""
        if not isinstance(word, str) or not word.strip():
            raise InvalidInputError("give a word, e.g. `king`.")
        key = word.strip().lower()
        if key in self.wv.key_to_index:
            return key
        close = difflib.get_close_matches(key, self.vocab.words, n=5, cutoff=0.6)
        hint = f" Close spellings in the vocabulary: {', '.join(close)}." if close else \
            " No close spelling is in the vocabulary either."
        raise InvalidInputError(
            f"{word!r} is not in the vocabulary of {self.name} ({len(self.vocab):,} lower-case words "
            f"seen at least {self.config.get('hparams', {}).get('min_count', DEFAULTS['min_count'])} "
            f"times in {self.config.get('dataset', {}).get('name', 'its corpus')}).{hint}")

    def similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The topn nearest words by cosine similarity."""
        if not isinstance(topn, int) or topn < 1:
            raise InvalidInputError(f"topn must be a positive integer, got {topn!r}.")
        return self.wv.most_similar(self.lookup(word), topn=topn)

    def export(self, path, binary: bool = False) -> Path:
        """Write the vectors in the original word2vec format (text, or binary with binary=True);
        gensim's KeyedVectors.load_word2vec_format and the C tools read them back."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wv.save_word2vec_format(str(path), binary=binary)
        return path
