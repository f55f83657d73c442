"""What a captioner's zoo.json and vocab.json must hold before the zoo uses them (pydantic, checked
by zoo.artifacts.read_config; Keras-free, so `zoo info` stays light)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from zoo.schemas import Count, Metadata, SequenceLength, _Schema
from zoo.text import token_problem

VOCABULARY_FILE = "vocab.json"
SPECIALS = ["<pad>", "<start>", "<end>"]  # as zoo.families.captioning.model, which imports Keras


class CaptionerHparams(_Schema):
    vocab_size: Count
    image_size: Annotated[int, Field(ge=8, le=1024, multiple_of=8)]
    filters: Count = None
    units: Count = None
    embedding_dim: Count = None


class CaptionerDataset(_Schema):
    name: str        # its recipe's evaluate reads these
    test_seed: int
    test_scenes: Count
    novel_scenes: Count


class CaptionerVocabularyFile(_Schema):
    words: list[str]  # the decoder's words in id order, after the three specials


class CaptionerMetadata(Metadata):
    hparams: CaptionerHparams
    max_tokens: SequenceLength
    dataset: CaptionerDataset = None
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "dataset")

    def vocabulary_file(self) -> str:
        return VOCABULARY_FILE

    def check_vocabulary(self, content) -> None:
        vocabulary = CaptionerVocabularyFile.model_validate(content)
        tokens = SPECIALS + vocabulary.words
        problem = token_problem(tokens)
        if problem:
            raise ValueError(f"not a vocabulary: {problem}")
        if len(tokens) != self.hparams.vocab_size:
            raise ValueError(f"{VOCABULARY_FILE} has {len(tokens):,} tokens with the 3 specials, but "
                             f"hparams.vocab_size is {self.hparams.vocab_size:,}")

