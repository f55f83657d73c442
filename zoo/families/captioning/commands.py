"""`zoo caption`, the verb the Captioner class declares (its `cli_verbs`): the caption of each
image, one a line (after the image's name and a tab when there are several)."""

from __future__ import annotations

from zoo import registry
from zoo.cli import load_as


def caption(args) -> None:
    art = load_as(args.name, registry.artifact_class("captioner"), "an image captioner")
    for image in args.images:
        text = art.caption(image, beam_size=args.beam_size, max_tokens=args.max_tokens)
        print(f"{image}\t{text}" if len(args.images) > 1 else text)
