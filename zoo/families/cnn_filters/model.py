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

import re
from dataclasses import dataclass

import numpy as np

import keras
from zoo.artifacts import Artifact
from zoo.errors import IntegrityError, InvalidInputError
from zoo.families.cnn_filters.kernels import CLASSIC_KERNELS as CLASSIC_KERNEL_ROWS, unknown_kernel_error

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


# ------------------------------------------------------------------------------- images


def read_image(path) -> tuple[np.ndarray, str]:
    """An image file as a float32 (H, W, 3) array in 0..255, and its format ('PNG', 'JPEG').
    Grayscale becomes three equal channels; an alpha channel is dropped (composited on white)."""
    from PIL import Image, UnidentifiedImageError

    from zoo.images import open_image

    try:
        with open_image(path, str(path)) as img:  # refuses an image over the pixel limit before decoding it
            fmt = img.format
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            array = np.asarray(img.convert("RGB"), dtype="float32")
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist.") from None
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidInputError(f"{path} is not an image the zoo can read (PNG or JPEG): {error}") from None
    return array, fmt


def write_image(path, array: np.ndarray, fmt: str | None = None) -> None:
    """Write an (H, W, 3) array atomically; the format follows the name (or `fmt`)."""
    from pathlib import Path

    from PIL import Image

    from zoo import io

    path = Path(path)
    suffix = path.suffix.lower()
    formats = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
    fmt = formats.get(suffix) or (fmt if not suffix else None)
    if fmt not in ("PNG", "JPEG"):
        raise InvalidInputError(f"cannot write {path}: use a .png, .jpg or .jpeg name.")
    image = Image.fromarray(np.clip(np.rint(array), 0, 255).astype("uint8"))
    with io.atomic_path(path, suffix=suffix) as tmp:
        image.save(tmp, format=fmt)


# ----------------------------------------------------------- a filter learned from one pair
# `zoo finetune cnn-filters-learned --pair in.png out.png --kernel-size 5 --name mine` adds the
# kernel that made out.png from in.png to a bank. The filtered image must have been made with a
# 'same' size convolution or correlation (scipy.signal.convolve2d / correlate2d, zero padding),
# per colour channel. out = convolve(in, K) is linear in K: each output pixel is one equation in
# the K^2 unknown weights, so one image pair gives H*W*channels equations, and the least-squares
# solution is K itself whenever the image has detail enough to pin it down. It is solved in closed
# form (the normal equations in float64), not by gradient descent: neighbouring pixels of a
# photograph are nearly equal, which makes the problem ill-conditioned and gradient descent slow
# to reach 1e-3 (cnn-filters-learned's recipe mixes in white noise for that reason).
#
# Convolution or correlation: correlate(I, K) == convolve(I, flip(K)) for odd sizes in 'same'
# mode, so both are recovered; the bank applies convolutions and reports the convolution kernel,
# which for an output made by correlate2d(I, K) is K[::-1, ::-1].
#
# Precision: a .npy array stores the filtered values exactly, and the kernel is recovered to
# float rounding. An 8-bit PNG rounds each value to an integer (error up to 0.5) and clips it to
# 0..255: pixels at 0 or 255 may have been clipped and are left out, and the rounding leaves an
# error in the kernel that shrinks with the number of pixels (benchmarks/finetune_small.py
# measures it). JPEG is refused for the filtered image: its lossy compression moves pixels by
# several levels, which no kernel explains.

PAIR_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy")
FILTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
MAX_KERNEL_SIZE = 7


@dataclass
class FilterPair:
    """An image and the same image filtered, as float64 (H, W, C) arrays, C = 1 or 3; `used`
    marks the filtered values that are equations (an 8-bit value at 0 or 255 may be clipped)."""
    x: np.ndarray
    y: np.ndarray
    used: np.ndarray
    kinds: tuple[str, str]  # e.g. ("8-bit PNG", "float64 .npy")

    @property
    def exact(self) -> bool:
        return self.kinds[1].endswith(".npy")


def _channels(array: np.ndarray) -> np.ndarray:
    """(H, W, C) with C = 1 or 3; an RGB image whose three channels are equal is grayscale."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.shape[2] == 3 and np.array_equal(array[:, :, 0], array[:, :, 1]) \
            and np.array_equal(array[:, :, 0], array[:, :, 2]):
        array = array[:, :, :1]
    return array


def read_pair_image(path, role: str) -> tuple[np.ndarray, str]:
    """One image of a filter pair as a float64 (H, W, C) array (pixel values as stored: 0..255 for
    PNG/JPEG, as they are for .npy) and a word on its kind; a one-line InvalidInputError otherwise."""
    from pathlib import Path

    from PIL import UnidentifiedImageError

    from zoo.images import open_image

    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path} ({role}) does not exist.")
    suffix = path.suffix.lower()
    if suffix not in PAIR_SUFFIXES:
        raise InvalidInputError(f"{path} ({role}): use a .png, .jpg or .npy file, not {suffix or 'no suffix'}.")
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise InvalidInputError(f"{path} ({role}) is not a numeric .npy array: {str(error).splitlines()[0]}") from None
        if array.dtype.kind not in "biuf" or not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3))):
            raise InvalidInputError(f"{path} ({role}) holds a {array.dtype} array of shape {array.shape}; "
                                    "give an (H, W) or (H, W, 3) array of numbers.")
        if not np.all(np.isfinite(array)):
            raise InvalidInputError(f"{path} ({role}) holds NaN or infinite values.")
        return _channels(array.astype("float64")), f"{array.dtype} .npy"
    try:
        with open_image(path, f"{path} ({role})") as img:
            if img.mode.startswith("I") or img.mode == "F":
                raise InvalidInputError(f"{path} ({role}) is a {img.mode} image (more than 8 bits per pixel); "
                                        "save exact values as a .npy array instead.")
            fmt = img.format
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidInputError(f"{path} ({role}) is not an image the zoo can read (PNG or JPEG): "
                                f"{str(error).splitlines()[0]}") from None
    array, fmt = read_image(path)
    return _channels(array.astype("float64")), f"8-bit {fmt}"


def read_filter_pair(source, target) -> FilterPair:
    """An (image, filtered image) pair, checked: same size, same colour mode, a filtered image
    that is not JPEG; raises a one-line InvalidInputError that says what to do."""
    x, x_kind = read_pair_image(source, "the image")
    y, y_kind = read_pair_image(target, "the filtered image")
    if "JPEG" in y_kind:
        raise InvalidInputError(f"{target} is a JPEG, whose lossy compression changes the filtered pixels by "
                                "several levels; save the filtered image as PNG or as a .npy array.")
    if x.shape[:2] != y.shape[:2]:
        raise InvalidInputError(
            f"{source} is {x.shape[1]}x{x.shape[0]} pixels but {target} is {y.shape[1]}x{y.shape[0]}: the "
            "filter is learned from a 'same'-size output (scipy.signal.convolve2d(image, kernel, mode='same')), "
            "as large as the image.")
    if x.shape[2] != y.shape[2]:
        colour = {1: "grayscale", 3: "colour (RGB)"}
        raise InvalidInputError(
            f"{source} is {colour[x.shape[2]]} but {target} is {colour[y.shape[2]]}: the bank filters each colour "
            "channel alike, so give both in colour, or both in grayscale (convert the image the way the "
            "filtered one was made).")
    used = np.ones(y.shape, dtype=bool)
    if y_kind.startswith("8-bit"):
        used = (y > 0) & (y < 255)  # 0 and 255 may be clipped values: not equations
    return FilterPair(x, y, used, (x_kind, y_kind))


def pad_kernel(kernel, size: int) -> np.ndarray:
    """An odd-sized kernel zero-padded, centred, to size x size: in 'same' mode it filters alike."""
    kernel = np.asarray(kernel, dtype="float64")
    margin = (size - kernel.shape[0]) // 2
    return np.pad(kernel, margin)


def _normal_equations(pair: FilterPair, size: int, rows_at_once: int = 64):
    """X^T X and X^T y of the least-squares problem y = correlate(x, G), G size x size, over the
    used pixels; built a band of image rows at a time to keep memory small."""
    from numpy.lib.stride_tricks import sliding_window_view

    half = size // 2
    gram, moment = np.zeros((size * size, size * size)), np.zeros(size * size)
    for c in range(pair.x.shape[2]):
        # windows[i, j] = the size x size neighbourhood of pixel (i, j), zero outside the image
        windows = sliding_window_view(np.pad(pair.x[:, :, c].astype("float64"), half), (size, size))
        for top in range(0, pair.x.shape[0], rows_at_once):
            used = pair.used[top:top + rows_at_once, :, c].ravel()
            design = windows[top:top + rows_at_once].reshape(-1, size * size)[used]
            gram += design.T @ design
            moment += design.T @ pair.y[top:top + rows_at_once, :, c].ravel()[used]
    return gram, moment


def fit_kernel(pair: FilterPair, size: int, source: str = "the image") -> np.ndarray:
    """The size x size convolution kernel K (float64) that best maps pair.x to pair.y in the
    least-squares sense: exact for an exact pair made by convolve2d(x, K, 'same'), and K flipped
    for one made by correlate2d."""
    unknowns = size * size
    count = int(pair.used.sum())
    if count < unknowns:
        raise InvalidInputError(f"only {count} pixel value(s) of the filtered image are usable (values at 0 or 255 "
                                f"may be clipped); a {size}x{size} kernel needs at least {unknowns}.")
    gram, moment = _normal_equations(pair, size)
    # Rank: a flat or too regular image leaves some kernel shapes undetermined.
    scale = np.linalg.eigvalsh(gram)
    if scale[0] <= scale[-1] * 1e-13:
        raise InvalidInputError(f"{source} does not pin down a {size}x{size} kernel: it is too flat or regular "
                                "(some kernels give the same output on it); use a more detailed image, such as a "
                                "photograph or noise.")
    correlation = np.linalg.solve(gram, moment).reshape(size, size)
    return correlation[::-1, ::-1]  # the windows are correlated with it; the convolution kernel is its flip


def pair_errors(model, index: int, pair: FilterPair) -> dict:
    """How well filter `index` of a bank reproduces the pair: RMSE and max abs error over the used
    pixel values (units of the filtered image)."""
    channels = np.moveaxis(pair.x, 2, 0)[:, :, :, None].astype("float32")
    out = np.moveaxis(np.asarray(model(channels, training=False))[..., index], 0, 2).astype("float64")
    diff = (out - pair.y)[pair.used]
    return {"rmse": float(np.sqrt(np.mean(diff ** 2))), "max_abs_error": float(np.max(np.abs(diff)))}


def sample_image_path():
    """A photograph shipped with matplotlib (Grace Hopper), so demos and tests need no download."""
    import matplotlib

    from pathlib import Path

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


# ------------------------------------------------------------------------------- artifact


class FilterBank(Artifact):
    """A bank of named image kernels. `apply(image, "sharpen")` filters an (H, W, 3) array
    (or a path), channel by channel, and returns the filtered (H, W, 3) array in 0..255."""

    @property
    def kernel_names(self) -> list[str]:
        return list(self.config["kernels"])

    def kernels(self) -> dict[str, np.ndarray]:
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


def plot_effects(bank: "FilterBank | None", model, names, image, title: str):
    """The sample photograph through each kernel, side by side."""
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


def contact_sheet(bank: "FilterBank", image, path, title: str = "") -> tuple[int, int]:
    """One PNG at `path` (written atomically): the image, then the image through each of the bank's
    kernels, side by side at full size, each labelled (see shown_response for how). Returns the
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
