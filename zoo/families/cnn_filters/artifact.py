"""The filter bank's artifact class (cnn-filters-classic, cnn-filters-learned). Light: numpy and
the family's light modules; the Keras model it wraps is built by model.py and handed in by zoo.load.
"""

from __future__ import annotations

import numpy as np

from zoo.artifacts import Artifact
from zoo.cli_types import KERNEL_SIZE
from zoo.errors import IntegrityError, InvalidInputError
from zoo.families.cnn_filters.image_files import read_image, write_image
from zoo.families.cnn_filters.kernels import unknown_kernel_error
from zoo.families.cnn_filters.pairs import FilterPair, read_filter_pair
from zoo.hooks import Argument, DemoSection, FinetuneData, Task, Verb


class FilterBank(Artifact):
    """A bank of named image kernels. `apply(image, "sharpen")` filters an (H, W, 3) array
    (or a path), channel by channel, and returns the filtered (H, W, 3) array in 0..255."""

    config_schema = "zoo.families.cnn_filters.schema:CnnFiltersMetadata"
    tasks = (Task("image-to-image", run="zoo.families.cnn_filters.serving:filter_image", widget="image-filters",
                  description="a PNG or JPEG image (the body) through every filter; ?filter=NAME: that one, as image/png"),)

    demo_section = DemoSection("zoo.families.cnn_filters.demo:section", order=80, writes=("contact_sheet.png",))
    finetune_data = FinetuneData(
        "pair", "IN.png OUT.png", "an image and the same image filtered; OUT may be a .npy array, exact", nargs=2,
        options=(Argument("--kernel-size", type=KERNEL_SIZE, default=None,
                          help="the size of the filter to learn (odd, 1 to 7; default 3)"),
                 Argument("--name", default=None, help="the learned filter's name in the bank")))
    cli_verbs = (
        Verb("filter", run="zoo.families.cnn_filters.commands:filter_image",
             help="apply a classic image kernel to a PNG or JPEG",
             description="Filter an image with one of a filter bank's kernels (edge-enhance, edge-detect, "
                         "blur, sharpen). The output keeps the input's format unless its name says otherwise, "
                         "and is written atomically.",
             arguments=(
                 Argument("model", help="filter-bank artifact, e.g. cnn-filters-classic"),
                 Argument("input", help="input image (PNG or JPEG; grayscale and alpha are handled)"),
                 Argument("output", help="output image path (.png, .jpg or .jpeg)"),
                 Argument("--kernel", required=True, help="kernel name, e.g. sharpen"))),
    )

    def export_plan(self):
        from zoo.families.cnn_filters import export

        return export.plan(self)

    @property
    def kernel_names(self) -> list[str]:
        return list(self.config["kernels"])

    def kernels(self) -> dict[str, np.ndarray]:
        from zoo.families.cnn_filters.model import get_kernels  # Keras is loaded: self.model is a Keras model

        return dict(zip(self.kernel_names, get_kernels(self.model)))

    def learned_pair(self, name: str) -> FilterPair:
        """The (image, filtered image) pair a fine-tuned filter was learned from, stored in the
        artifact (only files its config lists, whose sha256 was checked when it was loaded)."""
        pairs = self.__dict__.setdefault("_pairs", {})  # filled in advance by the fine-tuning step
        if name not in pairs:
            entry = self.config["learned_filters"][name]
            for key in ("in", "out"):
                if entry[key] not in self.config.get("files", {}):
                    raise IntegrityError(f"{self.name}'s config names the pair file {entry[key]!r}, which the "
                                         "artifact does not list.")
            pairs[name] = read_filter_pair(self.folder / entry["in"], self.folder / entry["out"])
        return pairs[name]

    def responses(self, image) -> tuple[np.ndarray, np.ndarray]:
        """(the image as (H, W, 3) floats, every kernel's unclipped response (H, W, 3, kernels)),
        from one pass of the bank: the colour channels go through it as a batch of 3."""
        if not isinstance(image, np.ndarray):
            image, _ = read_image(image)
        image = np.asarray(image, dtype="float32")
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise InvalidInputError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {image.shape}.")
        rgb = image[:, :, :3]
        channels = np.moveaxis(rgb, 2, 0)[:, :, :, None]
        return rgb, np.moveaxis(np.asarray(self.model(channels, training=False)), 0, 2)

    def apply(self, image, kernel: str) -> np.ndarray:
        if kernel not in self.kernel_names:
            raise unknown_kernel_error(kernel, self.kernel_names, self.name)
        _, responses = self.responses(image)
        return np.clip(responses[..., self.kernel_names.index(kernel)], 0, 255)

    def filter_file(self, source, target, kernel: str) -> None:
        image, fmt = read_image(source)
        write_image(target, self.apply(image, kernel), fmt)
