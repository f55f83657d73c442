"""The filter bank's part of `zoo demo`: the classic kernels on a photograph, as one contact
sheet (the only file the demo writes), and how close the learned kernels came to them."""

from __future__ import annotations

from pathlib import Path

import zoo
from zoo import demo

SHEET_NAME = "contact_sheet.png"  # the FilterBank's DemoSection names it in `writes`


def section(out: Path) -> dict:
    sheet, size = _classic(out)
    _learned()
    return {"sheet": sheet, "sheet_size": size}


def _classic(out: Path) -> tuple[Path, tuple[int, int]]:
    from zoo.families.cnn_filters import model as conv

    demo.header("cnn-filters-classic", "four classic 3x3 kernels in one Conv2D, on a photograph")
    bank = zoo.load("cnn-filters-classic")
    sample = conv.sample_image_path()
    sheet = out / SHEET_NAME
    size = conv.contact_sheet(bank, sample, sheet, title="cnn-filters-classic: the original and four classic "
                              "3x3 kernels (photograph of Grace Hopper, from matplotlib's sample data)")
    demo.say(f"   the original, {', '.join(bank.kernel_names)}: one picture, {size[0]} x {size[1]} "
             "(the edge kernels' output normalised)", f"   {sheet}")
    demo.run_alone(f"zoo filter cnn-filters-classic {demo.path_arg(sample)} {demo.path_arg(out / 'sharpen.jpg')} "
                   "--kernel sharpen")
    return sheet, size


def _learned() -> None:
    import numpy as np

    demo.header("cnn-filters-learned", "the same four kernels, learned back by gradient descent from examples")
    learned = zoo.load("cnn-filters-learned").kernels()
    classic = zoo.load("cnn-filters-classic").kernels()
    error = max(float(np.max(np.abs(learned[k] - classic[k]))) for k in classic)
    demo.say(f"   largest difference from the classic kernels: {error:.1e}")
    demo.run_alone("zoo info cnn-filters-learned")
