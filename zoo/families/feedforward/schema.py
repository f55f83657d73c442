"""What an mlp-xor or perceptron artifact's zoo.json must hold (zoo.artifacts.read_config checks
it; see zoo/schemas.py for the rules every schema follows). Pydantic only, no Keras: `zoo info
DIR` reads a folder's metadata without it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from zoo.schemas import Count, Metadata, _Schema

Bit = Literal[0, 1]
TruthTable = Annotated[list[Annotated[list[Bit], Field(min_length=3, max_length=3)]],
                       Field(min_length=4, max_length=4)]


class MlpXorHparams(_Schema):
    hidden_units: Count = None
    activation: str = None


class MlpXorMetadata(Metadata):
    hparams: MlpXorHparams = None
    truth_table: TruthTable = None  # a fine-tuned network's table: [[x1, x2, y], ...]
    function: str = None


class PerceptronHparams(_Schema):
    inputs: Count = None


class PerceptronMetadata(Metadata):
    hparams: PerceptronHparams = None
    gate: str = None
    truth_table: TruthTable = None
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "gate")
