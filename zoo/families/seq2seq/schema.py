"""What a seq2seq artifact's zoo.json and vocab.json must hold (zoo.artifacts.read_config checks
them; see zoo/schemas.py for the rules every schema follows). Pydantic and the family's light
vocabulary module only, no Keras: `zoo info DIR` reads a folder's metadata without it.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from zoo.families.seq2seq.vocab import SPECIALS, VOCAB_FILE
from zoo.schemas import Count, Metadata, SequenceLength, _Schema, _check_size, _check_tokens


class Seq2SeqVocabularyFile(_Schema):
    source: str  # the encoder's characters, in id order after the three specials
    target: str  # the decoder's


class Seq2SeqHparams(_Schema):
    source_vocab_size: Count
    target_vocab_size: Count
    embedding_dim: Count = None
    units: Count = None
    cell: Literal["lstm", "gru"] = None
    attention: Literal["none", "bahdanau", "luong"] = None


class Seq2SeqDataset(_Schema):
    name: str  # its recipe's evaluate reads it


class Seq2SeqMetadata(Metadata):
    hparams: Seq2SeqHparams
    max_source_length: SequenceLength
    max_target_length: SequenceLength
    dataset: Seq2SeqDataset = None
    recipe_reads: ClassVar[tuple[str, ...]] = ("training", "dataset")

    def vocabulary_file(self) -> str:
        return VOCAB_FILE

    def check_vocabulary(self, content) -> None:
        vocabulary = Seq2SeqVocabularyFile.model_validate(content)
        for side, size in (("source", self.hparams.source_vocab_size), ("target", self.hparams.target_vocab_size)):
            tokens = SPECIALS + list(getattr(vocabulary, side))
            _check_tokens(tokens)
            _check_size(f"the {side} vocabulary (with its 3 special tokens)", len(tokens), size,
                        f"hparams.{side}_vocab_size")
