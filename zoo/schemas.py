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

Every schema sits here, beside zoo/models/ rather than in it, because importing zoo.models
brings Keras in, and `zoo info DIR` reads a folder's metadata without it. Each names the module
of its family's code; SCHEMAS maps every registered architecture to its schema.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoo.text import TEXT_CONTROLS, token_problem


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
Character = Annotated[str, Field(min_length=1, max_length=1)]


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


# ----------------------------------------------------------------------------- zoo/models/charrnn.py

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


# --------------------------------------------- zoo/models/rnnlm.py and zoo/models/ngram.py (zoo/words.py)

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


# ----------------------------------------------------------------------------- zoo/models/word2vec.py

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


# ----------------------------------------------------------------------------- the table

# TEMPORARY (helper F1): the feed-forward, filter-bank and seq2seq schemas moved to their family
# folders and are named here as "module:Class" strings, resolved when asked for; helper F2's
# schema_for (the class's config_schema, read through the registry) replaces this table.
SCHEMAS: dict[str, type[Metadata] | str] = {
    "mlp-xor": "zoo.families.feedforward.schema:MlpXorMetadata",
    "perceptron": "zoo.families.feedforward.schema:PerceptronMetadata",
    "cnn-filters": "zoo.families.cnn_filters.schema:CnnFiltersMetadata",
    "charrnn": CharRNNMetadata,
    "gru-lm": RecurrentLMMetadata,
    "lstm-lm": RecurrentLMMetadata,
    "ngram-lm": NgramLMMetadata,
    "seq2seq": "zoo.families.seq2seq.schema:Seq2SeqMetadata",
    "skipgram": Word2VecMetadata,
    "cbow": Word2VecMetadata,
}


def schema_for(architecture: str) -> type[Metadata]:
    """The family's schema; Metadata alone for an architecture the zoo does not register (which
    loading then refuses by name)."""
    schema = SCHEMAS.get(architecture, Metadata)
    if isinstance(schema, str):  # TEMPORARY (helper F1), see SCHEMAS
        import importlib

        module, _, name = schema.partition(":")
        schema = getattr(importlib.import_module(module), name)
    return schema
