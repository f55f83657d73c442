"""Scenes of one to three shapes, drawn with Pillow, and the facts that hold in them.

Every scene is made from its own seeded random generator (split, seed, index), so the same
arguments give the same pixels on every machine and in any order. A scene has 1-3 objects, each a
shape (circle, square, triangle, diamond) of a colour (red, green, blue, yellow, purple) and a
size (small or large), on a background of a dark random colour with a gradient and pixel noise.

Objects are placed so that what a caption says about them is true and clear:
- two objects are apart along one axis (left/right or above/below) by much more than along the
  other, so exactly one relation holds between them;
- three objects are spread from left to right, so their order is clear;
- neighbours may overlap a little (up to a quarter of their sizes), never hide each other.

Splits: "train", "valid" and "test" are independent draws (different generator streams) of
scenes in which no object is a held-out combination (HELD_OUT: a red triangle, a yellow circle);
"novel" draws scenes with at least one held-out object, so it measures composition (a colour
and a shape seen apart, never together), not recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 64                      # the images are SIZE x SIZE RGB
SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = {"red": (215, 40, 40), "green": (40, 175, 60), "blue": (50, 95, 235),
           "yellow": (235, 215, 45), "purple": (150, 65, 205)}
SIZES = {"small": 6.0, "large": 11.0}   # radius in pixels
HELD_OUT = (("red", "triangle"), ("yellow", "circle"))  # (colour, shape) never in train/valid/test
SPLITS = {"train": 0, "valid": 1, "test": 2, "novel": 3}
OBJECT_COUNTS = (1, 2, 3)
COUNT_PROBABILITIES = (0.2, 0.4, 0.4)
SUPERSAMPLE = 4                # drawn at 4x and scaled down: smooth edges


@dataclass(frozen=True)
class Thing:
    """One object: what it is, and where (its centre, in pixels)."""
    shape: str
    colour: str
    size: str
    x: float
    y: float

    @property
    def kind(self) -> tuple[str, str, str]:
        """(size, colour, shape): what a caption says of it."""
        return (self.size, self.colour, self.shape)


@dataclass(frozen=True)
class Scene:
    things: tuple[Thing, ...]
    background: tuple[int, int, int]
    gradient: tuple[float, float]   # change of brightness across x and y
    noise: float                    # standard deviation of the pixel noise
    seed: tuple[int, ...]           # the generator's seed: draws the noise again

    def image(self) -> np.ndarray:
        return render(self)


# ----------------------------------------------------------------------------- drawing


def _polygon(shape: str, x: float, y: float, r: float):
    if shape == "square":
        s = r * 0.85
        return [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    if shape == "triangle":
        return [(x, y - r), (x + r * 0.95, y + r * 0.75), (x - r * 0.95, y + r * 0.75)]
    if shape == "diamond":
        return [(x, y - r * 1.05), (x + r * 0.8, y), (x, y + r * 1.05), (x - r * 0.8, y)]
    raise ValueError(shape)


def render(scene: Scene) -> np.ndarray:
    """The scene as a (SIZE, SIZE, 3) uint8 array."""
    from PIL import Image, ImageDraw

    k = SUPERSAMPLE
    big = Image.new("RGB", (SIZE * k, SIZE * k), scene.background)
    draw = ImageDraw.Draw(big)
    rng = np.random.default_rng([*scene.seed, 1])
    for thing in scene.things:
        shade = np.clip(np.array(COLOURS[thing.colour]) + rng.integers(-20, 21, 3), 0, 255)
        fill = tuple(int(v) for v in shade)
        x, y, r = thing.x * k, thing.y * k, SIZES[thing.size] * k
        if thing.shape == "circle":
            draw.ellipse([x - r * 0.9, y - r * 0.9, x + r * 0.9, y + r * 0.9], fill=fill)
        else:
            draw.polygon(_polygon(thing.shape, x, y, r), fill=fill)
    image = np.asarray(big.resize((SIZE, SIZE), Image.LANCZOS), dtype="float32")
    ramp = np.linspace(-1, 1, SIZE, dtype="float32")
    image += (scene.gradient[0] * ramp[None, :] + scene.gradient[1] * ramp[:, None])[:, :, None]
    image += rng.normal(0, scene.noise, image.shape).astype("float32")
    return np.clip(np.rint(image), 0, 255).astype("uint8")


# ----------------------------------------------------------------------------- placing


def _spaced(rng, radii, low: float, high: float, tries: int = 100):
    """Positions along one axis, in increasing order, for objects of these radii (in that order),
    each pair of neighbours apart by at least 0.75 of their radii's sum and 9 pixels."""
    for _ in range(tries):
        values = np.sort(rng.uniform(low, high, len(radii)))
        gaps = np.diff(values)
        needed = [max(0.75 * (a + b), 9.0) for a, b in zip(radii, radii[1:])]
        if all(g >= n for g, n in zip(gaps, needed)):
            return values
    return None


def _kinds(rng, count: int, split: str):
    """The objects' (shape, colour, size), respecting the split's rule on HELD_OUT."""
    while True:
        kinds = [(SHAPES[rng.integers(len(SHAPES))], list(COLOURS)[rng.integers(len(COLOURS))],
                  list(SIZES)[rng.integers(len(SIZES))]) for _ in range(count)]
        if count > 1 and rng.random() < 0.15:  # some scenes repeat an object: "two small green squares"
            kinds[1] = kinds[0]
        held = [(c, s) in HELD_OUT for s, c, _ in kinds]
        if split == "novel" and not any(held):
            i = rng.integers(count)  # make one of them a held-out combination
            colour, shape = HELD_OUT[rng.integers(len(HELD_OUT))]
            kinds[i] = (shape, colour, kinds[i][2])
            held = [True]
        if (split == "novel") == any(held):
            return kinds


def make_scene(split: str, seed: int, index: int) -> Scene:
    """Scene number `index` of a split, for a seed: the same on every call."""
    rng = np.random.default_rng([SPLITS[split], seed, index])
    count = int(rng.choice(OBJECT_COUNTS, p=COUNT_PROBABILITIES))
    while True:
        kinds = _kinds(rng, count, split)
        order = rng.permutation(count)  # which object goes first along the axis
        radii = [SIZES[kinds[i][2]] for i in order]
        margin = max(radii) + 1
        axis = int(rng.integers(2))  # 0: spread along x (left/right), 1: along y (above/below)
        if count == 3:
            axis = 0
        along = _spaced(rng, radii, margin, SIZE - margin) if count > 1 else rng.uniform(margin, SIZE - margin, 1)
        if along is None:
            continue
        if count == 2:  # the other axis: much closer than along the axis, so one relation holds
            spread = (along[1] - along[0]) / 2.5
            centre = rng.uniform(margin + spread / 2, SIZE - margin - spread / 2)
            across = centre + rng.uniform(-spread / 2, spread / 2, 2)
        else:
            across = rng.uniform(margin, SIZE - margin, count)
        things = []
        for position, i in enumerate(order):
            shape, colour, size = kinds[i]
            x, y = (along[position], across[position]) if axis == 0 else (across[position], along[position])
            things.append(Thing(shape, colour, size, float(x), float(y)))
        break
    # Draw in a random order: which one is on top where two overlap.
    things = [things[i] for i in rng.permutation(count)]
    background = tuple(int(v) for v in rng.integers(0, 100, 3))
    gradient = tuple(float(v) for v in rng.uniform(-25, 25, 2))
    return Scene(tuple(things), background, gradient, float(rng.uniform(0, 10)), (SPLITS[split], seed, index))


def make_scenes(split: str, count: int, seed: int = 0, start: int = 0) -> list[Scene]:
    return [make_scene(split, seed, i) for i in range(start, start + count)]


def images(scenes_: list[Scene]) -> np.ndarray:
    """(n, SIZE, SIZE, 3) uint8."""
    return np.stack([s.image() for s in scenes_]) if scenes_ else np.zeros((0, SIZE, SIZE, 3), "uint8")
