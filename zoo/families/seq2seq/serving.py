"""What `zoo serve` answers for a seq2seq model (the task Seq2Seq declares; the run signature is
in zoo/server_tasks.py):

    text2text-generation  {"inputs": "3 March 1999"} -> [{"generated_text": "1999-03-03"}]; a list
                          of inputs gives one answer each; "parameters": {"num_beams": 4} searches
                          with a beam, {"return_attention": true} adds the attention weights (the
                          gallery's widget, widget.js beside this file, draws them)
"""

from __future__ import annotations

from pydantic import Field

from zoo.server_tasks import Strict, rows


class Text2TextParameters(Strict):
    num_beams: int = Field(1, ge=1, le=16)
    return_attention: bool = False


class Text2TextRequest(Strict):
    inputs: str | list[str] = Field(..., examples=["3 March 1999"])
    parameters: Text2TextParameters = Text2TextParameters()


def translate(served, request: Text2TextRequest, http):
    import numpy as np

    texts = rows(request.inputs, "inputs")
    art = served.art
    outputs = art.translate(texts, beam_size=request.parameters.num_beams)
    results = [{"generated_text": out} for out in outputs]
    if request.parameters.return_attention:
        for result, text in zip(results, texts):
            output, weights, source = art.attention(text)
            result["attention"] = {"input": ["<pad>"] + list(source), "output": list(output) + ["<end>"],
                                   "weights": np.round(weights, 4).tolist()}
    return results
