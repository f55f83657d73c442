"""What `zoo serve` answers for a filter bank (the task FilterBank declares; the run signature is
in zoo/server_tasks.py):

    image-to-image  the image's bytes as the body (Content-Type image/png or image/jpeg) -> every
                    filter's output, [{"filter": "blur", "image": "data:image/png;base64,..."}, ...],
                    each shown as the demo's contact sheet shows it; ?filter=sharpen returns that
                    filter's output alone, as image/png (clipped to 0..255, as `zoo filter` writes it)
"""

from __future__ import annotations

import base64

from zoo import registry
from zoo.server_tasks import ApiError, png, read_image


def filter_image(served, body: bytes, http):
    from starlette.responses import Response

    image = read_image(body, http)
    art = served.art
    names = art.kernel_names
    filter_name = http.query_params.get("filter")
    if filter_name is not None:
        if filter_name not in names:
            raise ApiError(404, str(registry.unknown_name_error(filter_name, names, "filter")))
        return Response(png(art.apply(image, filter_name)), media_type="image/png")
    from zoo.families.cnn_filters.model import shown_response

    _, responses = art.responses(image)  # every filter from one pass of the bank
    kernels = art.kernels()
    results = []
    for i, name in enumerate(names):
        shown, _ = shown_response(responses[..., i], kernels[name])  # as the demo's contact sheet shows them
        results.append({"filter": name, "image": "data:image/png;base64," + base64.b64encode(png(shown)).decode()})
    return results
