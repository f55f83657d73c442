"""Every image the zoo reads is opened here, and its size checked before it is decoded.

An image's size is in its header, and PIL's `Image.open` reads only the header: decoding happens
at `.load()`, `.convert()` or `np.asarray`. A PNG of one colour compresses about 1000:1, so a
140 KB file can be a 12000x12000 image that takes gigabytes to decode and filter. `open_image`
refuses an image of more than MAX_PIXELS before anything decodes it; `zoo filter`, the filter
pairs of `zoo finetune` and the server's image route all read through it.
"""

from __future__ import annotations

import re
import warnings

from zoo.errors import InvalidInputError

# 4096x4096: a 12 megapixel phone photograph (4000x3000) is read. Filtering costs about 130
# bytes a pixel at its peak (the float32 image, every kernel's response, their copies) on top of
# Keras's 0.7 GB: `zoo filter` on a 4096x4096 image peaked at 2.9 GB (resident), measured with
# /usr/bin/time -f %M; 2048x2048 at 1.3 GB.
MAX_PIXELS = 4096 * 4096


class ImageTooLargeError(InvalidInputError):
    """An image with more pixels than MAX_PIXELS (or than the caller's own limit)."""


def open_image(source, what: str, max_pixels: int = MAX_PIXELS):
    """Open an image (a path or a binary file object) without decoding it, and check its size.

    Returns the PIL Image, not yet decoded (close it, or use it in a `with`). Raises
    ImageTooLargeError for an image over `max_pixels`, and lets PIL's errors for a file that is
    not an image (UnidentifiedImageError, OSError) through. `what` names it in the message.
    """
    from PIL import Image

    with warnings.catch_warnings():
        # PIL warns of a "decompression bomb" past 89 million pixels and refuses past twice that;
        # our own limit is lower, and its message says what to do.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(source)
        except Image.DecompressionBombError as error:
            found = re.search(r"\((\d+) pixels\)", str(error))
            size = f"{int(found[1]) / 1e6:,.0f} megapixels" if found else "too many pixels"
            raise ImageTooLargeError(_too_large(what, size, max_pixels)) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLargeError(_too_large(what, f"{width}x{height} pixels", max_pixels))
    return image


def _too_large(what: str, size: str, max_pixels: int) -> str:
    return (f"{what} is {size}; the zoo reads images of at most {max_pixels / 1e6:.1f} megapixels "
            f"(such as {_side(max_pixels)}x{_side(max_pixels)}). Scale it down.")


def _side(pixels: int) -> int:
    return int(pixels ** 0.5)
