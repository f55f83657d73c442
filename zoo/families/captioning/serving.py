"""What `zoo serve` answers for a captioner (the task Captioner declares; the run signature is in
zoo/server_tasks.py):

    image-to-text  the image's bytes as the body (Content-Type image/png or image/jpeg) ->
                   [{"generated_text": "a small red circle above a large blue square"}], the
                   Hugging Face image-to-text pipeline's answer. ?num_beams=3 searches with a beam;
                   ?return_attention=true adds, for each word and <end>, the attention weights over
                   the 8x8 grid: {"words": [...], "weights": [[[...8]...8]...]} (the gallery's
                   widget, widget.js beside this file, draws them over the image)
"""

from __future__ import annotations

from zoo.server_tasks import ApiError, read_image

MAX_BEAMS = 8


def caption(served, body: bytes, http):
    import numpy as np

    image = read_image(body, http)  # float32 (H, W, 3) in 0..255, its size checked
    query = http.query_params
    try:
        beams = int(query.get("num_beams", "1"))
    except ValueError:
        beams = 0
    if not 1 <= beams <= MAX_BEAMS:
        raise ApiError(422, f"num_beams must be an integer from 1 to {MAX_BEAMS}.")
    attention = query.get("return_attention", "false").lower()
    if attention not in ("true", "false", "1", "0"):
        raise ApiError(422, "return_attention must be true or false.")
    art = served.art
    pixels = np.clip(np.rint(image), 0, 255).astype("uint8")
    result = {"generated_text": art.caption(pixels, beam_size=beams)}
    if attention in ("true", "1"):
        words, weights = art.attention(pixels)
        # A row per word and the closing <end>; a caption cut at max_tokens has no <end> row.
        result["attention"] = {"words": (words + ["<end>"])[:len(weights)], "weights": np.round(weights, 4).tolist()}
    return [result]
