"""`zoo demo`: every family's pretrained artifact at work, each section ending with the shell line
that runs it alone, one contact sheet PNG, and generated text that ends on a boundary. The demo
runs once (about 20 s on two cores); every test reads that one run."""

import contextlib
import io
import re

import numpy as np
import pytest

import zoo
from zoo import demo, registry
from zoo.families.cnn_filters import demo as filters_demo
from zoo.families.word_lm import demo as word_lm_demo

SHOWN = ["charrnn-shakespeare", "lstm-lm-shakespeare", "gru-lm-shakespeare", "ngram-lm-shakespeare",
         "skipgram-shakespeare", "cbow-shakespeare", "seq2seq-dates", "mlp-xor", "perceptron-and",
         "perceptron-or", "cnn-filters-classic", "cnn-filters-learned"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-out")
    (out / "mine.txt").write_text("a user's file")  # must survive the demo
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        shown = demo.main(out=out)
    return out, printed.getvalue(), shown


def sections(text):
    return [block for block in re.split(r"(?m)^(?===)", text) if block.startswith("==")]


def test_every_family_with_an_artifact_is_shown(run):
    _, text, _ = run
    headers = "\n".join(line for line in text.splitlines() if line.startswith("== "))
    for name in SHOWN:
        assert name in headers, name
    for name, entry in registry.artifacts().items():  # a family added later must be shown too
        family = [n for n, e in registry.artifacts().items() if e["architecture"] == entry["architecture"]]
        assert any(n in headers for n in family), entry["architecture"]
    assert text.startswith("== charrnn-shakespeare")


def test_each_section_ends_with_its_shell_line(run):
    _, text, _ = run
    body, footer = text.split("\nMore: ")
    blocks = sections(body)
    assert len(blocks) >= len(demo.sections())  # each family's section shows at least one header
    for block in blocks:
        last = block.rstrip("\n").splitlines()[-1]
        assert re.match(r"   \$ (zoo |echo .* && zoo |python -c )", last), block
    assert "zoo list" in footer


def test_charrnn_text_ends_on_a_line_and_its_shell_line_reproduces_it(run):
    _, text, shown = run
    generated = shown["charrnn"]
    assert generated.startswith("ROMEO:\n") and generated.endswith("\n") and generated.strip()[-1] != ":"
    assert generated.rstrip("\n") in text
    length = int(re.search(r"charrnn-shakespeare --prompt \"ROMEO:\" --length (\d+) --temperature 0.8 "
                           r"--seed 1", text).group(1))
    continuation = generated[len("ROMEO:"):]
    assert length == len(continuation) >= 400
    art = zoo.load("charrnn-shakespeare")
    assert art.generate("ROMEO:", length, temperature=0.8, seed=1) == continuation


def test_word_models_read_like_text(run):
    _, text, shown = run
    continuation = shown["lstm-lm"]
    assert continuation.startswith(word_lm_demo.LSTM_PROMPT) and continuation.endswith("\n")
    assert continuation.rstrip("\n") in text
    assert not re.search(r" [,.;:!?]", continuation)  # `my lord,` not `my lord ,`
    assert f"{word_lm_demo.GRU_CONTEXT} -> " in text
    assert "juliet" in text.split("== skipgram-shakespeare")[1].split("\n")[1]  # romeo -> juliet, ...


def test_one_contact_sheet_png_and_nothing_else(run):
    from PIL import Image

    from zoo.families.cnn_filters import model as conv
    from zoo.families.cnn_filters.image_files import read_image

    out, text, shown = run
    sheet = out / filters_demo.SHEET_NAME
    assert sorted(p.name for p in out.iterdir()) == [filters_demo.SHEET_NAME, "mine.txt"]
    assert (out / "mine.txt").read_text() == "a user's file"
    assert shown["sheet"] == sheet and str(sheet) in text
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    original, _ = read_image(conv.sample_image_path())
    height, width = original.shape[:2]
    panels = 1 + len(zoo.load("cnn-filters-classic").kernel_names)
    with Image.open(sheet) as img:
        assert img.format == "PNG"
        assert img.size == shown["sheet_size"] == (
            panels * (width + conv.SHEET_MARGIN) + conv.SHEET_MARGIN,
            conv.SHEET_TITLE + conv.SHEET_LABEL + height + conv.SHEET_MARGIN)
        pixels = np.asarray(img.convert("RGB"), dtype="float32")
    top = conv.SHEET_TITLE + conv.SHEET_LABEL

    def panel(k):
        left = conv.SHEET_MARGIN + k * (width + conv.SHEET_MARGIN)
        return pixels[top:top + height, left:left + width]

    assert np.array_equal(panel(0), original)  # the first panel is the photograph itself
    edges = panel(1 + zoo.load("cnn-filters-classic").kernel_names.index("edge-detect"))
    # Normalised, not the almost black picture that clipping gives (mean 8 of 255, 2.4% of pixels
    # over 64): here about 27 and 10%.
    assert edges.mean() > 15 and (edges.max(axis=2) > 64).mean() > 0.05


def test_a_sections_file_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys):
    from zoo.errors import InvalidInputError

    (tmp_path / filters_demo.SHEET_NAME).mkdir()  # the contact sheet's name, taken by a folder
    with pytest.raises(InvalidInputError, match="is a folder; give another --out"):
        demo.main(out=tmp_path)
    assert capsys.readouterr().out == ""
