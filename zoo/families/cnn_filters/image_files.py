"""Image files in and out of a filter bank: PNG or JPEG as a float32 (H, W, 3) array in 0..255.
Light at import (PIL inside the functions), so the bank's artifact class imports it without cost.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import InvalidInputError


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
