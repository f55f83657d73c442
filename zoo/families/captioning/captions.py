"""What a caption says about a scene: a grammar that writes captions (several per scene, in
varied words and orders) and a parser that reads any caption of that grammar back into facts.

Facts are what the grammar can say, and exactly that:
- each object, with its size, colour and shape: ("object", size, colour, shape, k) for the k-th
  object of that kind (so "two small green squares" is two facts);
- between two different objects, the one relation that holds: ("left of", A, B) or
  ("above", A, B), A and B being (size, colour, shape);
- among three different objects, their order from left to right: ("left of", A, B) and
  ("left of", B, C).
A scene with a repeated object is described by counts alone ("two small green squares and a
large red circle"): which of two equal squares is meant would be ambiguous.

A generated caption is right when the parser reads it back into exactly the scene's facts
(exact-scene accuracy); per fact, precision and recall say what is missing or invented. An
ungrammatical caption reads as no facts at all.

    captions.references(scene, 5, rng)    # five different captions of the scene
    captions.parse("a big blue disk above a small red box")
        # {('object', 'large', 'blue', 'circle', 0), ('object', 'small', 'red', 'square', 0),
        #  ('above', ('large', 'blue', 'circle'), ('small', 'red', 'square'))}
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from zoo.families.captioning.scenes import COLOURS, SHAPES, SIZES, Scene

# ----------------------------------------------------------------------------- words

SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big")}
SHAPE_WORDS = {"circle": ("circle", "disk"), "square": ("square", "box"), "triangle": ("triangle",),
               "diamond": ("diamond", "rhombus")}
PLURALS = {"circle": "circles", "disk": "disks", "square": "squares", "box": "boxes", "triangle": "triangles",
           "diamond": "diamonds", "rhombus": "rhombuses"}
RELATION_WORDS = {  # relation -> phrases, and whether the phrase reads it forwards (A rel B) or backwards
    "left of": {"to the left of": True, "left of": True, "to the right of": False, "right of": False},
    "above": {"above": True, "over": True, "below": False, "under": False, "beneath": False},
}
OPENINGS = {1: ("", "there is", "a picture of", "an image of"), 2: ("", "there are", "a picture of", "an image of")}
COUNT_WORDS = {1: ("a", "one"), 2: ("two",), 3: ("three",)}

_SIZE_OF = {w: s for s, words in SIZE_WORDS.items() for w in words}
_SHAPE_OF = {w: s for s, words in SHAPE_WORDS.items() for w in words}
_SHAPE_OF.update({PLURALS[w]: s for w, s in list(_SHAPE_OF.items())})
_COLOUR_OF = {c: c for c in COLOURS}
_NUMBER_OF = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_RELATION_OF = {phrase: (relation, forwards) for relation, phrases in RELATION_WORDS.items()
                for phrase, forwards in phrases.items()}

Kind = tuple  # (size, colour, shape)


# ----------------------------------------------------------------------------- facts


def relations(scene: Scene) -> list[tuple[str, Kind, Kind]]:
    """The relations a caption states (see the module's docstring), in canonical form."""
    things = scene.things
    if len({t.kind for t in things}) < len(things) or len(things) == 1:
        return []
    if len(things) == 2:
        a, b = things
        if abs(a.x - b.x) >= abs(a.y - b.y):
            left, right = (a, b) if a.x < b.x else (b, a)
            return [("left of", left.kind, right.kind)]
        upper, lower = (a, b) if a.y < b.y else (b, a)
        return [("above", upper.kind, lower.kind)]
    ordered = sorted(things, key=lambda t: t.x)
    return [("left of", a.kind, b.kind) for a, b in zip(ordered, ordered[1:])]


def object_facts(kinds) -> set:
    counts = Counter(kinds)
    return {("object", *kind, k) for kind, n in counts.items() for k in range(n)}


def facts(scene: Scene) -> frozenset:
    """Everything a right caption of the scene says."""
    return frozenset(object_facts(t.kind for t in scene.things) | set(relations(scene)))


# ----------------------------------------------------------------------------- writing


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def noun_phrase(kind: Kind, rng, count: int = 1) -> str:
    size, colour, shape = kind
    size_word, shape_word = _pick(rng, SIZE_WORDS[size]), _pick(rng, SHAPE_WORDS[shape])
    determiner = _pick(rng, COUNT_WORDS[count])
    if count > 1:
        return f"{determiner} {size_word} {colour} {PLURALS[shape_word]}"
    form = int(rng.integers(3))
    if form == 0:
        return f"{determiner} {size_word} {colour} {shape_word}"
    if form == 1:
        return f"{determiner} {colour} {size_word} {shape_word}"
    return f"{determiner} {colour} {shape_word} that is {size_word}"


def caption(scene: Scene, rng) -> str:
    """One caption of the scene, its words and word order drawn from rng."""
    things = scene.things
    rels = relations(scene)
    if len(things) == 1:
        return _opened(rng, 1, noun_phrase(things[0].kind, rng))
    if len(things) == 2 and rels:
        relation, a, b = rels[0]
        forwards = bool(rng.integers(2))
        phrase = _pick(rng, [p for p, f in RELATION_WORDS[relation].items() if f == forwards])
        first, second = (a, b) if forwards else (b, a)
        return _opened(rng, 1, f"{noun_phrase(first, rng)} {phrase} {noun_phrase(second, rng)}")
    if rels:  # three different objects: their order
        a, b, c = rels[0][1], rels[0][2], rels[1][2]
        rightwards = bool(rng.integers(2))
        names = [noun_phrase(k, rng) for k in ((a, b, c) if rightwards else (c, b, a))]
        listing = f"{names[0]} , {names[1]} and {names[2]}"
        direction = "from left to right" if rightwards else "from right to left"
        if rng.integers(2):
            return f"{direction} {_pick(rng, ('', 'there are '))}{listing}".replace("  ", " ")
        return _opened(rng, 2, f"{listing} {direction}")
    counts = list(Counter(t.kind for t in things).items())
    order = rng.permutation(len(counts))
    parts = [noun_phrase(counts[i][0], rng, counts[i][1]) for i in order]
    return _opened(rng, 2, " and ".join(parts))


def _opened(rng, number: int, text: str) -> str:
    opening = _pick(rng, OPENINGS[number])
    return f"{opening} {text}" if opening else text


def references(scene: Scene, count: int, rng, tries: int = 50) -> list[str]:
    """`count` different captions of the scene (fewer if the grammar has fewer for it)."""
    found: list[str] = []
    for _ in range(tries):
        text = caption(scene, rng)
        if text not in found:
            found.append(text)
        if len(found) == count:
            break
    return found


# ----------------------------------------------------------------------------- reading


class _Reader:
    """Reads noun phrases and the words between them from a list of tokens."""

    def __init__(self, words):
        self.words, self.at = list(words), 0

    def peek(self, n: int = 1) -> str:
        return " ".join(self.words[self.at:self.at + n])

    def take(self, phrase: str) -> bool:
        n = len(phrase.split())
        if phrase and self.peek(n) == phrase:
            self.at += n
            return True
        return False

    def done(self) -> bool:
        return self.at >= len(self.words)

    def noun_phrase(self):
        """(count, (size, colour, shape)) or None."""
        if self.peek() not in _NUMBER_OF:
            return None
        number = _NUMBER_OF[self.words[self.at]]
        self.at += 1
        size = colour = None
        while self.peek() in _SIZE_OF or self.peek() in _COLOUR_OF:
            word = self.words[self.at]
            if word in _SIZE_OF:
                if size:
                    return None
                size = _SIZE_OF[word]
            else:
                if colour:
                    return None
                colour = word
            self.at += 1
        word = self.peek()
        if word not in _SHAPE_OF or (word in PLURALS.values()) != (number > 1):
            return None
        shape = _SHAPE_OF[word]
        self.at += 1
        if size is None and self.take("that is" if number == 1 else "that are") and self.peek() in _SIZE_OF:
            size = _SIZE_OF[self.words[self.at]]
            self.at += 1
        if size is None or colour is None:
            return None
        return number, (size, colour, shape)


def parse(text: str) -> frozenset | None:
    """The facts a caption states, or None if it is not a caption of the grammar."""
    reader = _Reader(str(text).lower().replace(",", " , ").split())
    direction = None
    for phrase in ("from left to right", "from right to left"):
        if reader.take(phrase):
            direction = phrase
    for opening in ("there is", "there are", "a picture of", "an image of"):
        if reader.take(opening):
            break
    phrases, joints = [], []
    while True:
        found = reader.noun_phrase()
        if found is None:
            return None
        phrases.append(found)
        if reader.done():
            break
        joint = next((p for p in (",", "and", *sorted(_RELATION_OF, key=len, reverse=True)) if reader.take(p)), None)
        if joint is None:
            if direction is None and (reader.take("from left to right") or reader.take("from right to left")):
                direction = reader.words[reader.at - 1] == "left" and "from right to left" or "from left to right"
                if reader.done():
                    break
            return None
        joints.append(joint)
    kinds = [kind for number, kind in phrases for _ in range(number)]
    found = object_facts(kinds)
    relation_joints = [j for j in joints if j in _RELATION_OF]
    if direction:  # a list of three different objects in order
        if len(phrases) != 3 or joints != [",", "and"] or any(n > 1 for n, _ in phrases):
            return None
        ordered = [k for _, k in phrases]
        ordered = ordered if direction == "from left to right" else ordered[::-1]
        found |= {("left of", a, b) for a, b in zip(ordered, ordered[1:])}
    elif relation_joints:  # A relation B
        if len(phrases) != 2 or phrases[0][0] > 1 or phrases[1][0] > 1:
            return None
        relation, forwards = _RELATION_OF[relation_joints[0]]
        a, b = phrases[0][1], phrases[1][1]
        found.add((relation, a, b) if forwards else (relation, b, a))
    elif any(j != "and" for j in joints):
        return None
    return frozenset(found)


# ----------------------------------------------------------------------------- scoring


def fact_scores(generated: list[str], scenes_: list[Scene]) -> dict:
    """Exact-scene accuracy, per-fact precision and recall (micro-averaged), and the share of
    captions the parser reads at all."""
    exact = true = said = held = readable = 0
    for text, scene in zip(generated, scenes_):
        truth = facts(scene)
        read = parse(text)
        readable += read is not None
        read = read or frozenset()
        exact += read == truth
        true += len(read & truth)
        said += len(read)
        held += len(truth)
    n = max(len(scenes_), 1)
    return {"exact_scene_accuracy": exact / n, "fact_precision": true / max(said, 1),
            "fact_recall": true / max(held, 1), "parsed": readable / n}


FAILURES = ("not a caption of the grammar", "wrong number of objects", "an object's size, colour or shape",
            "an order or relation stated where an object repeats", "a relation or order wrong")


def _objects(found) -> list:
    return sorted(fact for fact in found if fact[0] == "object")


def failures(generated: list[str], scenes_: list[Scene]) -> dict:
    """How many captions fail, by the first thing that is wrong (FAILURES, in that order)."""
    found = dict.fromkeys(FAILURES, 0)
    for text, scene in zip(generated, scenes_):
        truth, read = facts(scene), parse(text)
        if read == truth:
            continue
        if read is None:
            kind = FAILURES[0]
        elif len(_objects(read)) != len(_objects(truth)):
            kind = FAILURES[1]
        elif _objects(read) != _objects(truth):
            kind = FAILURES[2]
        elif not relations(scene) and len(scene.things) > 1:
            kind = FAILURES[3]
        else:
            kind = FAILURES[4]
        found[kind] += 1
    return found


def tokenize(text: str) -> list[str]:
    return str(text).lower().replace(",", " , ").split()


def reference_lists(scenes_: list[Scene], count: int, seed: int) -> list[list[str]]:
    """`count` references per scene, drawn from a generator seeded by (seed, scene number)."""
    return [references(scene, count, np.random.default_rng([seed, i])) for i, scene in enumerate(scenes_)]


WORDS = sorted({*(w for words in SIZE_WORDS.values() for w in words), *COLOURS,
                *(w for words in SHAPE_WORDS.values() for w in words), *PLURALS.values(),
                *(w for phrase in _RELATION_OF for w in phrase.split()),
                *(w for o in OPENINGS.values() for phrase in o for w in phrase.split()),
                *_NUMBER_OF, "that", "is", "are", "from", "left", "right", "to", ",", "and"})
assert set(SIZES) == set(SIZE_WORDS) and set(SHAPES) == set(SHAPE_WORDS)
