"""`zoo export` for a captioner: the teacher-forced forward model, (image, word ids so far) ->
next-word logits. Greedy captioning calls it once per word (README.md's loop; a caption is at
most 30 words). The encoder and the one-step decoder (Captioner.models) are views of the same
layers; the forward model is the one call every format exports with its checks."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Plan, floats_input, ids_input, json_text
from zoo.families.captioning.artifact import END, PAD, START


def plan(art) -> Plan:
    size, length = art.image_size, art.max_tokens + 1
    return Plan(art.model, [floats_input("image", (None, size, size, 3), f"RGB pixels 0..255, {size}x{size}", 0.0, 255.0),
                            ids_input("words_in", (None, None), "<start> (1), then the caption so far; <pad> (0) after",
                                      len(art.words))],
                [{"name": "logits", "shape": [None, None, len(art.words)],
                  "what": "the next word's logits after each position"}],
                "the teacher-forced captioner: (image, word ids) -> next-word logits",
                loop=("from PIL import Image\n"
                      f"image = np.asarray(Image.open('scene.png').convert('RGB').resize(({size}, {size})), 'float32')[None]\n"
                      f"words_in = np.full((1, {length}), {PAD}, 'int32'); words_in[0, 0] = {START}\n"
                      "out = []\n"
                      f"for t in range({length}):  # greedy; the decoder is causal: padding after t is not read\n"
                      "    logits = run(image=image, words_in=words_in)[0, t]\n"
                      f"    logits[[{PAD}, {START}]] = -np.inf\n"
                      "    word = int(logits.argmax())\n"
                      f"    if word == {END}:\n"
                      "        break\n"
                      "    out.append(vocab['words'][word])\n"
                      f"    if t + 1 < {length}:\n"
                      "        words_in[0, t + 1] = word\n"
                      "print(' '.join(out))"),
                files={VOCAB_FILE: json_text({"words": art.words, "pad": PAD, "start": START, "end": END})},
                static=[(1, size, size, 3), (1, length)])
