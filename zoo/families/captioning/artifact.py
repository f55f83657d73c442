"""The captioner artifact: `art.caption(image)` -> "a small red circle above a large blue square".

Light at module level (numpy and the zoo's light modules): Keras and Pillow are imported inside
the methods that need them, so `zoo --help` and `zoo info` stay fast.

    art = zoo.load("captioner-shapes")
    art.caption("scene.png")                              # greedy
    art.caption(array, beam_size=3)                       # beam search, true log-probabilities
    text, weights = art.caption(image, return_attention=True)   # weights: (words + 1, 8, 8)
    art.caption_many([a, b, c])
    art.beam(image, beam_size=3)                          # [(text, log-probability)], best first
"""

from __future__ import annotations

import io
import os

import numpy as np

from zoo import samplers
from zoo.artifacts import Artifact
from zoo.cli_types import BEAM, bounded
from zoo.errors import InvalidInputError
from zoo.families.captioning.schema import SPECIALS, VOCABULARY_FILE
from zoo.hooks import Argument, DemoSection, FinetuneData, Task, Verb
from zoo.images import MAX_PIXELS, open_image

PAD, START, END = 0, 1, 2
# Pillow modes that convert to RGB without losing meaning; 16-bit and float images ("I", "I;16",
# "F") have no agreed scale to 0..255, so they are refused with a hint.
COLOUR_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "La"}


class Captioner(Artifact):
    """A trained image captioner (CNN encoder, LSTM decoder with soft attention).

    An image is a path, bytes of an image file, a PIL image, or an array (H, W), (H, W, 1),
    (H, W, 3) or (H, W, 4) of uint8 0..255 or floats 0..1; it is converted to RGB and resized
    (squashed) to the model's square size. A bad image raises InvalidInputError in one line.
    """

    config_schema = "zoo.families.captioning.schema:CaptionerMetadata"
    tasks = (Task("image-to-text", run="zoo.families.captioning.serving:caption", widget="image-to-text",
                  description="a PNG or JPEG image (the body) -> [{\"generated_text\": ...}]; "
                              "?num_beams=N, ?return_attention=true"),)
    demo_section = DemoSection("zoo.families.captioning.demo:section", order=90)
    finetune_data = FinetuneData("pairs", "FOLDER", "images and a captions.txt of image<TAB>caption lines")
    cli_verbs = (
        Verb("caption", run="zoo.families.captioning.commands:caption", help="describe images with a captioner",
             description="Print the caption of each IMAGE (a PNG, JPEG, ... file), e.g. "
                         "`zoo caption captioner-shapes scene.png --beam-size 3`.",
             arguments=(
                 Argument("name", help="artifact name or folder, e.g. captioner-shapes"),
                 Argument("images", nargs="+", metavar="IMAGE", help="image file(s)"),
                 Argument("--beam-size", type=BEAM, default=1, help="1 is greedy (default); e.g. 3 for beam search"),
                 Argument("--max-tokens", type=bounded(int, "the number of words", 1, 1000), default=None, help="the longest caption, in words"))),
    )

    def export_plan(self):
        from zoo.families.captioning import export

        return export.plan(self)

    def __init__(self, model, config: dict, folder, vocab: dict | None = None):
        super().__init__(model, config, folder)
        if vocab is None:  # read_config has checked it
            from zoo import artifacts

            vocab = artifacts.read_json_member(self.folder, VOCABULARY_FILE, artifacts.VOCABULARY_LIMIT)
        self.words = SPECIALS + list(vocab["words"])
        self.image_size = int(config["hparams"]["image_size"])
        self.max_tokens = int(config["max_tokens"])
        self._models = None

    # ------------------------------------------------------------------ the network's two halves

    @property
    def models(self):
        """(encoder, one-step decoder), built from the model's layers on first use."""
        if self._models is None:
            from zoo.families.captioning.model import inference_models

            self._models = inference_models(self.model)
        return self._models

    def encode(self, images: np.ndarray):
        """(n, S, S, 3) uint8 -> (features, keys, state): numpy arrays, the decoder's first
        state a list of three (model.STATE_NAMES)."""
        features, keys, *state = (np.asarray(a) for a in self.models[0].predict_on_batch(images.astype("float32")))
        return features, keys, state

    def step(self, words: np.ndarray, state: list, features, keys):
        """One decoder step for a batch: (log-probabilities (n, V), new state, attention (n, cells)).
        Log-probabilities are log_softmax of the logits: normalised over the vocabulary."""
        out = self.models[1].predict_on_batch([np.asarray(words, "int32")[:, None], *state, features, keys])
        logits, *state, weights = (np.asarray(a) for a in out)
        log_probs = samplers.log_softmax(logits[:, 0])
        log_probs[:, [PAD, START]] = -np.inf  # never outputs (their true probability is ~0)
        return log_probs, state, weights[:, 0]

    # ------------------------------------------------------------------ images

    def read_image(self, image, what: str = "the image") -> np.ndarray:
        """Any accepted image as a (S, S, 3) uint8 array (see the class docstring)."""
        from PIL import Image, UnidentifiedImageError

        if isinstance(image, (str, os.PathLike)):
            what = f"{os.fspath(image)!r}"
            if not os.path.isfile(image):
                raise InvalidInputError(f"{what} is not a file; give the path of an image (PNG, JPEG, ...).")
            if os.path.getsize(image) == 0:
                raise InvalidInputError(f"{what} is empty (0 bytes); give an image file.")
            source = image
        elif isinstance(image, (bytes, bytearray, memoryview)):
            if not len(image):
                raise InvalidInputError(f"{what} is empty (0 bytes); send the bytes of an image file.")
            source = io.BytesIO(bytes(image))
        elif isinstance(image, Image.Image):
            return self._from_pil(image, what)
        else:
            return self._from_array(image, what)
        try:
            with open_image(source, what) as opened:
                return self._from_pil(opened, what)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            if isinstance(error, InvalidInputError):
                raise
            raise InvalidInputError(f"{what} is not an image Pillow can read (PNG, JPEG, GIF, BMP, ...).") from None

    def _from_pil(self, image, what: str) -> np.ndarray:
        from PIL import Image

        width, height = image.size
        if width == 0 or height == 0:
            raise InvalidInputError(f"{what} is empty ({width}x{height} pixels).")
        if width * height > MAX_PIXELS:
            raise InvalidInputError(f"{what} is {width}x{height} pixels; the zoo reads images of at most "
                                    f"{MAX_PIXELS / 1e6:.1f} megapixels. Scale it down.")
        if image.mode not in COLOUR_MODES:
            raise InvalidInputError(f"{what} has Pillow mode {image.mode!r} (16-bit, 32-bit or float pixels); "
                                    "the captioner reads 8-bit images: save it as 8-bit RGB.")
        image = image.convert("RGB")
        if image.size != (self.image_size, self.image_size):
            image = image.resize((self.image_size, self.image_size), Image.LANCZOS)
        return np.asarray(image, dtype="uint8")

    def _from_array(self, image, what: str) -> np.ndarray:
        from PIL import Image

        try:
            array = np.asarray(image)
        except Exception:  # noqa: BLE001  (anything numpy cannot read is not an image)
            array = np.asarray(None)
        if array.dtype == object or array.dtype.kind not in "uif":
            raise InvalidInputError(f"{what} is a {type(image).__name__}; give a path, image bytes, a PIL image "
                                    "or an array (H, W, 3) of uint8 0..255 or floats 0..1.")
        if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
            array = np.repeat(array, 3, axis=-1) if array.shape[-1] == 1 else array[..., :3]
        elif array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        else:
            raise InvalidInputError(f"{what} has shape {array.shape}; an image array is (H, W), (H, W, 1), "
                                    "(H, W, 3) or (H, W, 4).")
        if array.size == 0:
            raise InvalidInputError(f"{what} is empty (shape {array.shape}).")
        if array.shape[0] * array.shape[1] > MAX_PIXELS:
            raise InvalidInputError(f"{what} is {array.shape[1]}x{array.shape[0]} pixels; the zoo reads images of "
                                    f"at most {MAX_PIXELS / 1e6:.1f} megapixels. Scale it down.")
        if array.dtype.kind == "f":
            if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
                raise InvalidInputError(f"{what} is a float array with values outside 0..1 (or not finite); "
                                        "give floats in 0..1 or uint8 0..255.")
            array = np.rint(array * 255)
        elif array.min() < 0 or array.max() > 255:
            raise InvalidInputError(f"{what} is an integer array with values outside 0..255.")
        return self._from_pil(Image.fromarray(array.astype("uint8"), "RGB"), what)

    # ------------------------------------------------------------------ captions

    def _limit(self, max_tokens) -> int:
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        if not isinstance(max_tokens, (int, np.integer)) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 1000:
            raise InvalidInputError(f"max_tokens must be an integer from 1 to 1000; got {max_tokens!r}.")
        return int(max_tokens)

    def text(self, ids) -> str:
        """Words up to the first <end>, joined by spaces ("," is a word of its own)."""
        ids = [int(i) for i in ids]
        ids = ids[:ids.index(END)] if END in ids else ids
        return " ".join(self.words[i] for i in ids if i >= len(SPECIALS))

    def greedy(self, images: np.ndarray, max_tokens: int):
        """The likeliest word at every step, a batch at a time: (ids (n, steps), log-probabilities
        (n,), attention (n, steps, cells)); each row stops at <end>."""
        sampler = samplers.make(temperature=0)
        features, keys, state = self.encode(images)
        n = len(images)
        words, done = np.full(n, START), np.zeros(n, bool)
        scores, chosen, attention = np.zeros(n), [], []
        for _ in range(max_tokens + 1):
            log_probs, state, weights = self.step(words, state, features, keys)
            words = np.array([PAD if d else sampler(lp, None) for d, lp in zip(done, log_probs)])
            scores += np.where(done, 0.0, log_probs[np.arange(n), words])
            chosen.append(words)
            attention.append(weights)
            done |= words == END
            if done.all():
                break
        return np.stack(chosen, 1), scores, np.stack(attention, 1)

    def beam(self, image, *, beam_size: int = 3, max_tokens: int | None = None) -> list[tuple[str, float]]:
        """The beam_size likeliest captions of one image with their log-probabilities under the
        model (sums of normalised log-probabilities, <end> included), best first
        (zoo.samplers.beam_search). A caption that ends early is kept with its score and
        extended by <pad> at no cost, so short and long captions compete fairly."""
        if not isinstance(beam_size, (int, np.integer)) or isinstance(beam_size, bool) or beam_size < 1:
            raise InvalidInputError(f"beam_size must be an integer of at least 1; got {beam_size!r}.")
        found = self.beam_ids(self.read_image(image), int(beam_size), self._limit(max_tokens))
        return [(self.text(ids), score) for ids, score in found]

    def beam_ids(self, image: np.ndarray, beam_size: int, max_tokens: int) -> list[tuple[list[int], float]]:
        """Beam search on one (S, S, 3) image: [(word ids, log-probability)], best first; the ids
        run to max_tokens + 1 (<end>, then <pad>s, where a caption ends early)."""
        features, keys, state = self.encode(image[None])
        ended = np.full(len(self.words), -np.inf)
        ended[PAD] = 0.0  # after <end>: only <pad>, with probability 1

        def step(beam_state, word):
            state, finished = beam_state
            if finished or word in (END, PAD):
                return ended, (state, True)
            log_probs, state, _ = self.step(np.array([word]), state, features, keys)
            return log_probs[0], (state, False)

        first, state = step((state, False), START)
        return samplers.beam_search(first, state, step, beam_size, max_tokens + 1)

    def caption(self, image, *, beam_size: int = 1, max_tokens: int | None = None, return_attention: bool = False):
        """The caption of one image (greedy when beam_size is 1). With return_attention=True:
        (caption, weights), weights (words + 1, g, g): for each word and <end>, how much the
        decoder read each cell of the g x g grid (each row sums to 1)."""
        if return_attention:
            words, weights = self.attention(image, max_tokens=max_tokens)
            return " ".join(words), weights
        if beam_size != 1:
            return self.beam(image, beam_size=beam_size, max_tokens=max_tokens)[0][0]
        return self.caption_many([image], max_tokens=max_tokens)[0]

    def caption_many(self, images, *, beam_size: int = 1, max_tokens: int | None = None,
                     batch_size: int = 256) -> list[str]:
        """Captions of many images (a list, or an array (n, H, W, 3)); greedy runs a batch at a time."""
        if isinstance(images, (str, os.PathLike, bytes)) or not hasattr(images, "__len__"):
            raise InvalidInputError("caption_many takes a list of images; use caption() for one.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a positive integer; got {batch_size!r}.")
        max_tokens = self._limit(max_tokens)
        if beam_size != 1:
            return [self.beam(image, beam_size=beam_size, max_tokens=max_tokens)[0][0] for image in images]
        arrays = np.stack([self.read_image(image, f"image {i}") for i, image in enumerate(images)]) if len(images) \
            else np.zeros((0, self.image_size, self.image_size, 3), "uint8")
        texts = []
        for start in range(0, len(arrays), batch_size):
            ids, _, _ = self.greedy(arrays[start:start + batch_size], max_tokens)
            texts += [self.text(row) for row in ids]
        return texts

    def attention(self, image, *, max_tokens: int | None = None) -> tuple[list[str], np.ndarray]:
        """The greedy caption's words and, per word and the final <end>, the attention weights
        over the encoder's grid: (words, weights (len(words) + 1, g, g))."""
        ids, _, weights = self.greedy(self.read_image(image)[None], self._limit(max_tokens))
        words = self.text(ids[0]).split()
        rows = min(len(words) + 1, weights.shape[1])
        side = int(round(weights.shape[2] ** 0.5))
        return words, weights[0, :rows].reshape(rows, side, side)

    def log_prob(self, image, text: str) -> float:
        """The log-probability the model gives to `text` (then <end>) for the image: the sum of
        each word's normalised log-probability, the words fed one at a time."""
        index = {w: i for i, w in enumerate(self.words)}
        tokens = text.replace(",", " , ").split()
        unknown = [t for t in tokens if t not in index or index[t] < len(SPECIALS)]
        if unknown:
            raise InvalidInputError(f"{unknown[0]!r} is not a word of this captioner's vocabulary.")
        features, keys, state = self.encode(self.read_image(image)[None])
        total, word = 0.0, START
        for target in [index[t] for t in tokens] + [END]:
            log_probs, state, _ = self.step(np.array([word]), state, features, keys)
            total += float(log_probs[0, target])
            word = target
        return total
