"""What a filter bank's zoo.json must hold (zoo.artifacts.read_config checks it; see
zoo/schemas.py for the rules every schema follows). Pydantic only, no Keras: `zoo info DIR`
reads a folder's metadata without it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from zoo.schemas import Count, Metadata, Number, _Schema

Kernel = Annotated[list[Annotated[list[Number], Field(min_length=1)]], Field(min_length=1)]


class PairFiles(_Schema):
    """The files of the (image, filtered image) pair a fine-tuned filter was learned from."""
    source: str = Field(alias="in")
    out: str


class CnnFiltersHparams(_Schema):
    kernel_size: Count
    filters: Count


class CnnFiltersMetadata(Metadata):
    hparams: CnnFiltersHparams
    kernels: dict[str, Kernel]  # name -> square kernel, one per filter of the bank, in order
    learned_filters: dict[str, PairFiles] = None

    @model_validator(mode="after")
    def _kernels_fill_the_bank(self):
        if len(self.kernels) != self.hparams.filters:
            raise ValueError(f"kernels names {len(self.kernels)} kernels for a bank of "
                             f"{self.hparams.filters} filters")
        for name, kernel in self.kernels.items():
            if any(len(row) != len(kernel) for row in kernel) or len(kernel) > self.hparams.kernel_size:
                raise ValueError(f"the kernel {name[:40]!r} is not a square of at most "
                                 f"{self.hparams.kernel_size} x {self.hparams.kernel_size} numbers")
        unknown = [name for name in self.learned_filters or {} if name not in self.kernels]
        if unknown:
            raise ValueError(f"learned_filters names {unknown[0][:40]!r}, which is not one of its kernels")
        return self
