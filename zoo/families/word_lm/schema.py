"""The schemas of the word-level language models' zoo.json (ngram-lm, gru-lm, lstm-lm) and of their
vocab.txt (zoo.schemas says what a schema checks and why). Light: pydantic only, no Keras, so
that `zoo info DIR` reads a folder's metadata at once."""

from __future__ import annotations

from typing import ClassVar

from pydantic import model_validator

from zoo.schemas import Count, Fraction, Metadata, _check_size, _check_tokens, _Schema

WORD_SPECIALS = ["<UNK>", "<s>", "</s>"]  # zoo.families.word_lm.words' UNK, BOS, EOS: ids 0, 1, 2
WORD_VOCABULARY_FILE = "vocab.txt"


def check_words(words: list, vocab_size: int, where: str) -> None:
    """A word vocabulary (zoo.families.word_lm.words.Vocabulary): <UNK>, <s>, </s>, then words; no word twice, no
    control character, no whitespace (vocab.txt holds one word a line)."""
    if words[:3] != WORD_SPECIALS:
        raise ValueError(f"{where} does not start with {', '.join(WORD_SPECIALS)}")
    _check_tokens(words)
    spaced = next((w for w in words if any(c.isspace() for c in w)), None)
    if spaced is not None:
        raise ValueError(f"{where} has the word {spaced[:40]!r}, which holds a space")
    _check_size(where, len(words), vocab_size, "hparams.vocab_size")


class WordVocabularyRecord(_Schema):
    words: list[str] = None  # else the words are in vocab.txt
    size: Count = None


class WordModelMetadata(Metadata):
    vocabulary: WordVocabularyRecord
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "dataset")

    def vocabulary_file(self) -> str | None:
        return None if self.vocabulary.words is not None else WORD_VOCABULARY_FILE

    def check_vocabulary(self, content: str) -> None:
        check_words(content.split("\n"), self.hparams.vocab_size, WORD_VOCABULARY_FILE)

    @model_validator(mode="after")
    def _inline_words_fit(self):
        if self.vocabulary.words is not None:
            check_words(self.vocabulary.words, self.hparams.vocab_size, "vocabulary.words")
        return self


class RecurrentLMHparams(_Schema):
    vocab_size: Count
    embedding_dim: Count = None
    units: Count = None
    layers: Count = None
    dropout: Fraction = None
    tie_embeddings: bool = None
    locked_dropout: bool = None
    recurrent_dropout: Fraction = None


class RecurrentLMMetadata(WordModelMetadata):
    hparams: RecurrentLMHparams


class NgramLMHparams(_Schema):
    vocab_size: Count
    context: Count  # NeuralNgramLM reads it
    embedding_dim: Count = None
    hidden_units: Count = None
    dropout: Fraction = None
    direct_connections: bool = None


class NgramLMMetadata(WordModelMetadata):
    hparams: NgramLMHparams
