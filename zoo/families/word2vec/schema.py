"""The schema of a word2vec artifact's zoo.json (skipgram, cbow) and of its vocab.json (zoo.schemas
says what a schema checks and why). Light: pydantic only, no Keras or gensim, so that `zoo info
DIR` reads a folder's metadata at once."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from zoo.schemas import CardRecord, Count, Metadata, Number, Size, _check_size, _check_tokens, _Schema

WORD2VEC_VOCABULARY_FILE = "vocab.json"


class Word2VecVocabularyFile(_Schema):
    words: list[str]
    counts: list[Size]  # one per word: the noise distribution and sub-sampling follow them


class Word2VecBuild(_Schema):
    vocab_size: Count
    vector_size: Count
    negative: Count = None
    window: Count = None


class Word2VecHparams(_Schema):
    # Every one is read by the recipes' evaluate and fine-tune (word2vec.DEFAULTS).
    vector_size: Count
    window: Count
    negative: Count
    sample: Annotated[float, Field(ge=0)]
    min_count: Count
    alpha: Annotated[float, Field(gt=0)]
    min_alpha: Annotated[float, Field(ge=0)]
    ns_exponent: Number
    epochs: Count


class TaggedCard(CardRecord):
    tags: list[str]  # word2vec's fine-tune extends them


class Word2VecMetadata(Metadata):
    hparams: Word2VecHparams
    build: Word2VecBuild
    vocabulary: dict[str, Any] = None
    card: TaggedCard = None
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "dataset", "card", "vocabulary")

    def vocabulary_file(self) -> str:
        return WORD2VEC_VOCABULARY_FILE

    def check_vocabulary(self, content) -> None:
        vocabulary = Word2VecVocabularyFile.model_validate(content)
        _check_tokens(vocabulary.words)
        if len(vocabulary.counts) != len(vocabulary.words):
            raise ValueError(f"{WORD2VEC_VOCABULARY_FILE} has {len(vocabulary.counts):,} counts for "
                             f"{len(vocabulary.words):,} words")
        _check_size(WORD2VEC_VOCABULARY_FILE, len(vocabulary.words), self.build.vocab_size, "build.vocab_size")
