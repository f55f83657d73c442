"""A filter learned from one (image, filtered image) pair, in closed form; numpy only.

`zoo finetune cnn-filters-learned --pair in.png out.png --kernel-size 5 --name mine` adds the
kernel that made out.png from in.png to a bank. The filtered image must have been made with a
'same' size convolution or correlation (scipy.signal.convolve2d / correlate2d, zero padding),
per colour channel. out = convolve(in, K) is linear in K: each output pixel is one equation in
the K^2 unknown weights, so one image pair gives H*W*channels equations, and the least-squares
solution is K itself whenever the image has detail enough to pin it down. It is solved in closed
form (the normal equations in float64), not by gradient descent: neighbouring pixels of a
photograph are nearly equal, which makes the problem ill-conditioned and gradient descent slow
to reach 1e-3 (cnn-filters-learned's recipe mixes in white noise for that reason).

Convolution or correlation: correlate(I, K) == convolve(I, flip(K)) for odd sizes in 'same'
mode, so both are recovered; the bank applies convolutions and reports the convolution kernel,
which for an output made by correlate2d(I, K) is K[::-1, ::-1].

Precision: a .npy array stores the filtered values exactly, and the kernel is recovered to
float rounding. An 8-bit PNG rounds each value to an integer (error up to 0.5) and clips it to
0..255: pixels at 0 or 255 may have been clipped and are left out, and the rounding leaves an
error in the kernel that shrinks with the number of pixels (benchmarks/finetune_small.py
measures it). JPEG is refused for the filtered image: its lossy compression moves pixels by
several levels, which no kernel explains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from zoo.errors import InvalidInputError
from zoo.families.cnn_filters.image_files import read_image

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
