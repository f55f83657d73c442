"""`zoo filter`, the verb the FilterBank class declares (its `cli_verbs`). What can be checked
without the bank's network, the output, the image's size and the kernel's name, is checked
before Keras loads (seconds): a typo is answered at once."""

from __future__ import annotations

import os

from zoo import registry
from zoo.cli import load_as
from zoo.errors import InvalidInputError
from zoo.families.cnn_filters import kernels


def _writable_output(path: str) -> None:
    """Refuse an output the filter could not write, before any work is done."""
    if os.path.isdir(path):
        raise InvalidInputError(f"{path} is a folder; give an output file name such as out.png.")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InvalidInputError(f"the folder {parent} does not exist; create it or choose another output.")
    if not os.access(parent, os.W_OK):
        raise InvalidInputError(f"cannot write to {parent} (permission denied); choose another output.")


def _image_small_enough(path: str) -> None:
    """Refuse an image over the pixel limit from its header before Keras loads (seconds); any
    other problem with the file is reported where it is read."""
    from zoo.images import open_image

    try:
        open_image(path, path).close()
    except OSError:
        pass


def filter_image(args) -> None:
    _writable_output(args.output)
    _image_small_enough(args.input)
    # Checked before the bank (and Keras) loads, from its metadata, where the folder is at hand.
    names = kernels.bank_kernel_names(args.model)
    if names is not None and args.kernel not in names:
        raise kernels.unknown_kernel_error(args.kernel, names, args.model)
    art = load_as(args.model, registry.artifact_class("cnn-filters"), "a filter bank")
    art.filter_file(args.input, args.output, args.kernel)
    print(f"wrote {args.output} ({args.kernel})")
