"""Convolution, cross-correlation and classic image kernels, on Keras Conv2D.

A Keras Conv2D layer computes a *cross-correlation*: it slides the kernel over the image
without flipping it,

    correlate(I, K)[i, j] = sum_{m, n} I[i + m, j + n] K[m, n],

while the convolution of signal processing flips the kernel first,

    convolve(I, K)[i, j] = sum_{m, n} I[i - m, j - n] K[m, n] = correlate(I, flip(K)).

Both come in three sizes, as in scipy.signal and Octave's conv2:
  'full'  every position where kernel and image overlap: (H + kh - 1, W + kw - 1)
  'valid' only positions where the kernel lies wholly inside:  (H - kh + 1, W - kw + 1)
  'same'  the central (H, W) part of 'full'. For even kernel sizes "central" is ambiguous:
          scipy's convolve2d starts at (kh-1)//2, its correlate2d at kh//2, Octave's conv2 at
          kh//2. `convention=` picks whose.

Each is built as zero padding, a bias-free Conv2D, and a crop: layers only, so a saved model
needs no custom code to load.
"""

from __future__ import annotations

import numpy as np

import keras
from zoo.errors import InvalidInputError
from zoo.families.cnn_filters.kernels import CLASSIC_KERNELS as CLASSIC_KERNEL_ROWS

# The classic kernels, from zoo.families.cnn_filters.kernels (where the CLI finds their names without Keras).
CLASSIC_KERNELS = {name: np.array(rows, dtype="float32") for name, rows in CLASSIC_KERNEL_ROWS.items()}
MODES = ("full", "same", "valid")


def _same_offset(kernel_size: int, operation: str, convention: str) -> int:
    if convention == "octave" or operation == "correlate":
        return kernel_size // 2
    return (kernel_size - 1) // 2  # scipy's convolve2d


def build_conv2d(kernel_shape=(3, 3), filters: int = 1, mode: str = "full",
                 operation: str = "convolve", convention: str = "scipy", name: str | None = None):
    """A model mapping (batch, H, W, 1) images to (batch, H', W', filters), computing
    `operation` ('convolve' or 'correlate') in `mode` ('full', 'same' or 'valid').

    The Conv2D weights hold the kernels as Keras applies them: flipped for 'convolve'
    (use `set_kernels` to load kernels written the usual way).
    """
    if mode not in MODES:
        raise InvalidInputError(f"mode must be one of {MODES}, got {mode!r}.")
    if operation not in ("convolve", "correlate"):
        raise InvalidInputError(f"operation must be 'convolve' or 'correlate', got {operation!r}.")
    if convention not in ("scipy", "octave"):
        raise InvalidInputError(f"convention must be 'scipy' or 'octave', got {convention!r}.")
    kh, kw = kernel_shape
    x = inputs = keras.Input(shape=(None, None, 1), name="image")
    if mode in ("full", "same"):
        x = keras.layers.ZeroPadding2D(((kh - 1, kh - 1), (kw - 1, kw - 1)), name="pad")(x)
    x = keras.layers.Conv2D(filters, (kh, kw), padding="valid", use_bias=False, name="kernel")(x)
    if mode == "same":
        top, left = _same_offset(kh, operation, convention), _same_offset(kw, operation, convention)
        x = keras.layers.Cropping2D(((top, kh - 1 - top), (left, kw - 1 - left)), name="crop")(x)
    model = keras.Model(inputs, x, name=name or f"{operation}_{mode}")
    model.zoo_operation = operation  # remembered for set_kernels; not saved
    return model


def set_kernels(model, kernels, operation: str = "convolve") -> None:
    """Load kernels (a list of 2-D arrays, written as in textbooks) into the model's Conv2D."""
    stacked = np.stack([np.asarray(k, dtype="float32") for k in kernels], axis=-1)  # (kh, kw, filters)
    if operation == "convolve":
        stacked = stacked[::-1, ::-1, :]  # Conv2D correlates: flip to convolve
    model.get_layer("kernel").set_weights([stacked[:, :, None, :]])


def get_kernels(model, operation: str = "convolve") -> list[np.ndarray]:
    weights = model.get_layer("kernel").get_weights()[0][:, :, 0, :]
    if operation == "convolve":
        weights = weights[::-1, ::-1, :]
    return [weights[:, :, i] for i in range(weights.shape[-1])]


def _apply(image, kernel, mode, operation, convention):
    image = np.asarray(image, dtype="float32")
    kernel = np.asarray(kernel, dtype="float32")
    if image.ndim != 2 or kernel.ndim != 2:
        raise InvalidInputError(f"expected 2-D image and kernel, got shapes {image.shape} and {kernel.shape}.")
    if mode == "valid" and (kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]):
        raise InvalidInputError(f"'valid' needs a kernel no larger than the image; got {kernel.shape} > {image.shape}.")
    model = build_conv2d(kernel.shape, 1, mode, operation, convention)
    set_kernels(model, [kernel], operation)
    return np.asarray(model(image[None, :, :, None]))[0, :, :, 0]


def convolve2d(image, kernel, mode: str = "full", convention: str = "scipy") -> np.ndarray:
    """2-D convolution on Keras Conv2D; equals scipy.signal.convolve2d(image, kernel, mode)."""
    return _apply(image, kernel, mode, "convolve", convention)


def correlate2d(image, kernel, mode: str = "full", convention: str = "scipy") -> np.ndarray:
    """2-D cross-correlation on Keras Conv2D; equals scipy.signal.correlate2d(image, kernel, mode)."""
    return _apply(image, kernel, mode, "correlate", convention)


def build_cnn_filters(kernel_size: int = 3, filters: int = 4):
    """The filter bank: one bias-free Conv2D with `filters` kernels, 'same' size output, so
    every kernel is applied to the image at once (one output channel per kernel)."""
    return build_conv2d((kernel_size, kernel_size), filters, mode="same", operation="convolve",
                        name="cnn_filters")


def sample_image_path():
    """A photograph shipped with matplotlib (Grace Hopper), so demos and tests need no download."""
    import matplotlib

    from pathlib import Path

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def plot_kernels(named_kernels: dict[str, list], title: str):
    """Kernels as annotated heat maps: one row per set (e.g. true, learned), one column per kernel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(named_kernels)
    names = list(next(iter(named_kernels.values())))
    fig, axes = plt.subplots(len(rows), len(names), figsize=(2.6 * len(names), 2.6 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        for c, name in enumerate(names):
            kernel = np.asarray(named_kernels[row][name])
            ax = axes[r][c]
            ax.imshow(kernel, cmap="RdBu_r", vmin=-5, vmax=5)
            for (i, j), v in np.ndenumerate(kernel):
                ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{row}: {name}", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_effects(bank, model, names, image, title: str):
    """The sample photograph through each kernel of `model`, side by side (`bank` is unused)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    channels = np.moveaxis(image, 2, 0)[:, :, :, None]
    out = np.asarray(model(channels))
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(2.6 * (len(names) + 1), 3))
    axes[0].imshow(image.astype("uint8"))
    axes[0].set_title("original", fontsize=9)
    for i, name in enumerate(names):
        shown = np.clip(np.moveaxis(out[..., i], 0, 2), 0, 255)
        if name == "edge-detect":  # edges are small signed values: show their magnitude
            shown = np.clip(np.abs(np.moveaxis(out[..., i], 0, 2)) * 4, 0, 255)
        axes[i + 1].imshow(shown.astype("uint8"))
        axes[i + 1].set_title(name, fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- contact sheet

SHEET_MARGIN = 16        # pixels around and between the panels
SHEET_TITLE = 44         # the band for the sheet's title
SHEET_LABEL = 52         # the band above each panel for its two-line label


def _font(size: int):
    """DejaVu Sans, which matplotlib ships (so no system font is needed); PIL's own otherwise."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)
    except OSError:
        return ImageFont.load_default(size=size)


def shown_response(response: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, str]:
    """A filtered image as a picture, with a note saying how. A kernel that sums to 1 (blur,
    sharpen) keeps the brightness: its output is shown as it is, clipped to 0..255. One that sums
    to 0 (edge-detect, edge-enhance) answers flat regions with 0 and edges with small signed values:
    clipped, that is an almost black picture, so its magnitude is shown instead, scaled so that its
    99th percentile is white."""
    if abs(float(np.sum(kernel))) < 1e-3:
        magnitude = np.abs(response)
        top = float(np.percentile(magnitude, 99))
        scaled = magnitude * (255.0 / top) if top > 0 else magnitude
        return np.clip(scaled, 0, 255), "|response|, normalised (99th pct = white)"
    return np.clip(response, 0, 255), "as computed, clipped to 0..255"


def contact_sheet(bank, image, path, title: str = "") -> tuple[int, int]:
    """One PNG at `path` (written atomically): the image, then the image through each of the kernels of `bank`
    (a FilterBank), side by side at full size, each labelled (see shown_response for how). Returns the
    sheet's (width, height): panels * (W + SHEET_MARGIN) + SHEET_MARGIN by
    SHEET_TITLE + SHEET_LABEL + H + SHEET_MARGIN for an (H, W) image."""
    from PIL import Image, ImageDraw

    from zoo import io

    image, responses = bank.responses(image)
    height, width = image.shape[:2]
    kernels = bank.kernels()
    panels = [(image, "original", "")]
    for i, name in enumerate(bank.kernel_names):
        shown, note = shown_response(responses[..., i], kernels[name])
        panels.append((shown, name, note))

    size = (len(panels) * (width + SHEET_MARGIN) + SHEET_MARGIN, SHEET_TITLE + SHEET_LABEL + height + SHEET_MARGIN)
    sheet = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((SHEET_MARGIN, SHEET_MARGIN), title, fill="black", font=_font(22))
    name_font, note_font = _font(20), _font(15)
    for k, (array, name, note) in enumerate(panels):
        left = SHEET_MARGIN + k * (width + SHEET_MARGIN)
        draw.text((left, SHEET_TITLE + 4), name, fill="black", font=name_font)
        draw.text((left, SHEET_TITLE + 28), note, fill=(90, 90, 90), font=note_font)
        sheet.paste(Image.fromarray(np.clip(np.rint(array), 0, 255).astype("uint8")), (left, SHEET_TITLE + SHEET_LABEL))
    with io.atomic_path(path, suffix=".png") as tmp:
        sheet.save(tmp, format="PNG")
    return size
