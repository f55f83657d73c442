"""What an artifact folder's metadata must hold before the zoo uses it: one pydantic schema per
family for zoo.json (config.json in the first layout) and for the family's vocabulary file.

A folder can come from anywhere, so every field the zoo reads is checked for the type and the
size its code relies on: a charrnn without `vocabulary`, a seq2seq whose max_source_length is
"abc" or whose vocab.json is a list, a filter bank whose `kernels` is 3 are each refused in one
line by zoo.artifacts.read_config (which runs these checks), instead of failing later with a
traceback. Fields the zoo does not read pass as they are (extra="allow"). The checks are strict
(no "3" for 3, no true for 1): read_config hands on the folder's own values, not converted ones.
A field whose default is None may be absent but not null (pydantic does not check a default):
the code reads it with config.get(key, default), which a null would defeat. What only a family's
recipe reads (its evaluate and finetune: `training`, a perceptron's `gate`, ...) is required of a
folder that names its recipe, the only kind `zoo eval` and `zoo finetune` take (recipe_reads).

Here: the base every schema extends (Metadata) and the types they share. A family's own schema
sits in its folder (zoo/families/NAME/schema.py) and its artifact class names it, as the string
`config_schema = "module:Class"`; schema_for finds it through the registry. A schema module
imports no Keras: `zoo info DIR` reads a folder's metadata without it.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoo import registry
from zoo.text import token_problem


class _Schema(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


Count = Annotated[int, Field(ge=1)]
Size = Annotated[int, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, lt=1)]  # a dropout rate
Number = Annotated[float, Field(allow_inf_nan=False)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# A length the code allocates arrays and loops by, though no weight records it (seq2seq's
# max_source_length): bounded here, since the architecture check cannot see it.
MAX_SEQUENCE_LENGTH = 10_000
SequenceLength = Annotated[int, Field(ge=1, le=MAX_SEQUENCE_LENGTH)]


def _check_tokens(tokens, allowed_controls: str = "") -> None:
    problem = token_problem(tokens, allowed_controls)
    if problem:
        raise ValueError(f"not a vocabulary: {problem}")


def _check_size(what: str, found: int, expected: int | None, where: str) -> None:
    if expected is not None and found != expected:
        raise ValueError(f"{what} has {found:,} tokens, but {where} is {expected:,}")


# ----------------------------------------------------------------------------- every family


class CardRecord(_Schema):
    tags: list[str] = None


class BaseModelRecord(_Schema):
    """A fine-tuned artifact's base (zoo/lineage.py)."""
    name: str
    model_sha256: str | None = None
    metrics: dict[str, Any] = None
    hub_repo: str = None
    ancestors: list[str] = None


class DataRecord(_Schema):
    """A file an artifact was fine-tuned on (zoo/lineage.py)."""
    file: str
    sha256: str
    bytes: Size


class FinetuneRecord(_Schema):
    command: str = None
    summary: str = None
    before: dict[str, Any] = None
    after: dict[str, Any] = None


class Metadata(_Schema):
    """What every artifact's metadata may hold (zoo/artifacts.py writes it); a family's schema
    adds what its code reads."""
    architecture: str
    files: dict[str, Sha256]
    name: str = None
    description: str = None
    recipe: str = None
    format_version: Literal[1, 2] = None
    hparams: dict[str, Any] = None
    build: dict[str, Any] = None
    metrics: dict[str, Any] = None
    dataset: dict[str, Any] = None
    training: dict[str, Any] = None
    card: CardRecord = None
    base_model: BaseModelRecord = None
    finetuned_on: list[DataRecord] = None
    finetune: FinetuneRecord = None

    # The fields the family's recipe reads (see the module's docstring).
    recipe_reads: ClassVar[tuple[str, ...]] = ("training",)

    @model_validator(mode="after")
    def _what_the_recipe_reads(self):
        if self.recipe is not None:
            missing = [field for field in self.recipe_reads if field not in self.model_fields_set]
            if missing:
                raise ValueError(f"{missing[0]}: Field required (the recipe it names reads it)")
        return self

    def vocabulary_file(self) -> str | None:
        """The file that holds the family's vocabulary (checked by check_vocabulary), or None."""
        return None

    def check_vocabulary(self, content) -> None:
        """Check the vocabulary file's content (parsed JSON, or text); raise ValueError or a
        pydantic ValidationError."""


# ----------------------------------------------------------------------------- the lookup


def schema_for(architecture: str) -> type[Metadata]:
    """The schema of an architecture's metadata: the one its artifact class names in
    `config_schema` ("module:Class", imported only now). Metadata alone for a class that names
    none, and for an architecture the zoo does not register (which loading then refuses by name).
    The artifact classes are light (no Keras at module level), so this costs no backend."""
    entry = registry.load_registry()["architectures"].get(architecture)
    if entry is None:
        return Metadata
    dotted = getattr(registry.resolve(entry["artifact_class"]), "config_schema", None)
    return registry.resolve(dotted) if dotted else Metadata
