"""`zoo demo`: load the pretrained artifacts and show what each does."""

from __future__ import annotations

from pathlib import Path

import zoo


def main(out="demo-out") -> None:
    out = Path(out)
    print("== mlp-xor: the network that learns XOR (Goodfellow et al., ch. 6.1)")
    xor = zoo.load("mlp-xor")
    print(xor.truth_table())

    print("\n== cnn-filters-classic: four classic kernels on a photograph (Grace Hopper, from matplotlib)")
    from zoo.models import conv

    bank = zoo.load("cnn-filters-classic")
    image, _ = conv.read_image(conv.sample_image_path())
    for kernel in bank.kernel_names:
        target = out / f"grace_hopper-{kernel}.jpg"
        conv.write_image(target, bank.apply(image, kernel))
        print(f"  {kernel:<13} -> {target}")

    learned = zoo.load("cnn-filters-learned")
    print("\n== cnn-filters-learned: the same kernels learned back from examples")
    for name, kernel in learned.kernels().items():
        error = abs(kernel - conv.CLASSIC_KERNELS[name]).max()
        print(f"  {name:<13} max |learned - true| = {error:.1e}")
