"""`zoo export` for the filter bank: the one bias-free Conv2D, run on one colour channel at a
time (the caller puts R, G and B in the batch), and kernels.json naming the output channels."""

from __future__ import annotations

from zoo.exporting import Plan, floats_input, json_text


def plan(art) -> Plan:
    names = list(art.config["kernels"])
    return Plan(art.model, [floats_input("image", (None, None, None, 1), "one colour channel, 0..255; put R, G, B in the batch", 0, 255)],
                [{"name": "output", "shape": [None, None, None, len(names)],
                  "what": f"the channel filtered by each kernel, in this order: {', '.join(names)}; clip to 0..255"}],
                "the bank of kernels: one bias-free Conv2D, 'same' padding",
                loop=("from PIL import Image\n"
                      "rgb = np.asarray(Image.open('photo.png').convert('RGB'), 'float32')  # your image, (H, W, 3)\n"
                      "channels = np.moveaxis(rgb, 2, 0)[..., None]  # the colours as a batch: (3, H, W, 1)\n"
                      f"out = run(image=channels)[..., {names!r}.index('sharpen')]\n"
                      "filtered = np.clip(np.moveaxis(out, 0, 2), 0, 255).astype('uint8')"),
                files={"kernels.json": json_text({"kernels": names})})
