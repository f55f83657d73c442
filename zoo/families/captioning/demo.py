"""captioning's part of `zoo demo`: three new scenes and the sample photograph, described."""

from __future__ import annotations

import zoo
from zoo import demo
from zoo.families.captioning import scenes


def section(out) -> None:
    demo.header("captioner-shapes", "a CNN reads a scene, an LSTM with attention describes it")
    art = zoo.load("captioner-shapes")
    made = scenes.make_scenes("test", 3, seed=2026)
    for scene, text in zip(made, art.caption_many(scenes.images(made), beam_size=3)):
        truth = ", ".join(" ".join(t.kind) for t in scene.things)
        demo.say(f"   [{truth}]\n      -> {text}")
    from zoo.families.captioning.steps import sample_image_path

    demo.say(f"   the sample photograph (it knows only shapes) -> {art.caption(sample_image_path())}")
    demo.run_alone("zoo caption captioner-shapes scene.png --beam-size 3")
