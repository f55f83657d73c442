"""The schema of a charrnn artifact's zoo.json (zoo.schemas says what a schema checks and why).
Light: pydantic only, no Keras, so that `zoo info DIR` reads a folder's metadata at once."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from zoo.schemas import Count, Fraction, Metadata, _check_size, _check_tokens, _Schema
from zoo.text import TEXT_CONTROLS

Character = Annotated[str, Field(min_length=1, max_length=1)]


class CharRNNHparams(_Schema):
    vocab_size: Count
    units: Count = None
    layers: Count = None
    cell: Literal["lstm", "gru"] = None
    dropout: Fraction = None
    embedding_dim: Count = None


class CharRNNTraining(_Schema):
    seq_len: Count  # its recipe's evaluate reads windows of this length


class CharRNNMetadata(Metadata):
    hparams: CharRNNHparams
    vocabulary: list[Character]
    training: CharRNNTraining = None
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "dataset")

    @model_validator(mode="after")
    def _vocabulary_fits(self):
        _check_tokens(self.vocabulary, TEXT_CONTROLS)
        _check_size("vocabulary", len(self.vocabulary), self.hparams.vocab_size, "hparams.vocab_size")
        return self
