"""Every CLI verb, given bad input, answers with one line on stderr and a non-zero exit: no
traceback, and no file left behind. One table, one test."""

import os
import subprocess
import sys

import pytest

LATIN1 = "caf\xe9 au lait\n".encode("latin-1")
BINARY = bytes(range(256)) * 4


@pytest.fixture
def inputs(tmp_path):
    """A folder of bad (and one good) input files, made the working directory."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "latin1.txt").write_bytes(LATIN1)
    (folder / "binary.bin").write_bytes(BINARY)
    (folder / "good.txt").write_text("to be or not to be\n")
    (folder / "a-folder").mkdir()
    old = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(old)


def _image(folder):
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 100, 50)).save(folder / "in.png")
    return "in.png"


BAD = {
    # verb: [argument lists]
    "generate": [
        [], ["charrnn-shakespeare", "--seed", "-1"], ["gru-lm-shakespeare", "--seed", "-3"],
        ["charrnn-shakespeare", "--seed", "nan"], ["ngram-lm-shakespeare", "--temperature", "nan"],
        ["charrnn-shakespeare", "--temperature", "inf"], ["charrnn-shakespeare", "--temperature", "-1"],
        ["charrnn-shakespeare", "--length", "-5"], ["charrnn-shakespeare", "--length", "1000000000000"],
        ["charrnn-shakespeare", "--top-k", "0"], ["mlp-xor"], ["no-such-model"],
    ],
    "score": [
        ["lstm-lm-shakespeare"], ["lstm-lm-shakespeare", "missing.txt"],
        ["lstm-lm-shakespeare", "latin1.txt"], ["lstm-lm-shakespeare", "binary.bin"],
        ["charrnn-shakespeare", "latin1.txt"], ["charrnn-shakespeare", "empty.txt"],
        ["lstm-lm-shakespeare", "empty.txt"], ["skipgram-shakespeare", "good.txt"],
        ["lstm-lm-shakespeare", "a-folder"],
    ],
    "perplexity": [["lstm-lm-shakespeare", "latin1.txt"], ["gru-lm-shakespeare", "binary.bin"]],
    "next": [
        ["lstm-lm-shakespeare", "my lord", "-k", "0"], ["lstm-lm-shakespeare", "my lord", "-k", "nan"],
        ["lstm-lm-shakespeare", "my lord", "-k", "99999999"], ["skipgram-shakespeare", "my lord"],
    ],
    "next-words": [["mlp-xor", "my lord"]],
    "translate": [
        ["seq2seq-dates", "25.11.2026", "--beam-size", "0"], ["seq2seq-dates", "25.11.2026", "--beam-size", "inf"],
        ["seq2seq-dates", "\u2603"], ["seq2seq-dates", "1" * 500], ["mlp-xor", "25.11.2026"],
    ],
    "similar": [
        ["skipgram-shakespeare", "king", "--topn", "0"], ["skipgram-shakespeare", "king", "--topn", "-2"],
        ["skipgram-shakespeare", "qwxzzy"], ["skipgram-shakespeare", ""], ["mlp-xor", "king"],
    ],
    "xor": [["0", "2"], ["nan", "1"], ["inf", "0"], ["1"], ["0", "1", "1"], ["0", "1", "--model", "charrnn-shakespeare"],
            ["0", "1", "--model", "a-folder"]],
    "filter": [
        ["cnn-filters-classic", "IMAGE", "/proc/zoo-cannot-write-here.png", "--kernel", "sharpen"],
        ["cnn-filters-classic", "IMAGE", "a-folder", "--kernel", "sharpen"],
        ["cnn-filters-classic", "IMAGE", "nowhere/out.png", "--kernel", "sharpen"],
        ["cnn-filters-classic", "IMAGE", "out.gif", "--kernel", "sharpen"],
        ["cnn-filters-classic", "missing.png", "out.png", "--kernel", "sharpen"],
        ["cnn-filters-classic", "binary.bin", "out.png", "--kernel", "sharpen"],
        ["cnn-filters-classic", "IMAGE", "out.png", "--kernel", "sharpn"],
        ["mlp-xor", "IMAGE", "out.png", "--kernel", "sharpen"],
    ],
    "train": [
        ["mlp-xor", "--smoke", "-o", "bogus=1", "--out", "run"], ["mlp-xor", "--epochs", "0"],
        ["mlp-xor", "--epochs", "nan"], ["mlp-xor", "--seed", "-1"], ["no-such-recipe"],
        ["mlp-xor", "--smoke", "--out", ""], ["mlp-xor", "--smoke", "--out", "good.txt"],
        ["mlp-xor", "--smoke", "--out", "a-folder"], ["mlp-xor", "--devices", "0"],
    ],
    "finetune": [
        ["charrnn-shakespeare", "--text", "missing.txt", "--out", "ft"],
        ["charrnn-shakespeare", "--text", "empty.txt", "--out", "ft"],
        ["charrnn-shakespeare", "--text", "latin1.txt", "--out", "ft"],
        ["charrnn-shakespeare", "--text", "binary.bin", "--out", "ft"],
        ["lstm-lm-shakespeare", "--text", "empty.txt", "--out", "ft"],
        ["charrnn-shakespeare", "--text", "good.txt", "--epochs", "0", "--out", "ft"],
    ],
    "eval": [["/nonexistent"], ["no-such-model"], ["a-folder"], ["good.txt"]],
    "info": [["no-such-model"], ["/nonexistent"], ["a-folder"]],
    "publish": [["missing-folder", "me/repo"], ["mlp-xor", "not a repo id"]],
    "download": [["hf://foo/bar--baz"], ["no-such-model"], ["mlp-xor"]],
    "export": [
        ["mlp-xor", "--format", "tflite", "--out", "x"], ["mlp-xor", "--format", "onnx"],
        ["mlp-xor", "--format", "onnx", "--out", "a-folder"], ["mlp-xor", "--format", "onnx", "--out", "good.txt"],
        ["no-such-model", "--format", "onnx", "--out", "x"], ["mlp-xor", "--format", "litert", "--out", ""],
    ],
    "list": [["*", "--pretrained", "--architectures"]],
}
def _refused_by_argparse(verb, args) -> bool:
    """Whether argparse itself refuses the arguments (before any handler runs)."""
    import contextlib
    import io

    from zoo.cli import build_parser

    with contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args([verb, *args])
        except SystemExit:
            return True
    return False


CASES = [(verb, args) for verb, arg_lists in BAD.items() for args in arg_lists]
PARSER_CASES = [c for c in CASES if _refused_by_argparse(*c)]
HANDLER_CASES = [c for c in CASES if c not in PARSER_CASES]


def _ids(cases):
    return [f"{v}:{' '.join(a)[:40]}" for v, a in cases]


@pytest.mark.parametrize("verb, args", HANDLER_CASES, ids=_ids(HANDLER_CASES))
def test_bad_input_is_one_line_and_leaves_nothing(verb, args, inputs, cli):
    if "IMAGE" in args:
        args = [_image(inputs) if a == "IMAGE" else a for a in args]
    before = sorted(p.relative_to(inputs) for p in inputs.rglob("*"))
    code, out, err = cli(verb, *args)
    lines = err.strip().splitlines()
    assert code != 0, (out, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("zoo: error: ")
    assert sorted(p.relative_to(inputs) for p in inputs.rglob("*")) == before


@pytest.mark.parametrize("verb, args", PARSER_CASES, ids=_ids(PARSER_CASES))
def test_bad_arguments_are_one_line(verb, args, capsys):
    from zoo.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([verb, *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert f"zoo {verb}: error: " in err


LANGUAGE_MODELS = ("charrnn-shakespeare", "ngram-lm-shakespeare", "gru-lm-shakespeare", "lstm-lm-shakespeare")


def test_the_language_model_verbs_work_for_every_language_model(inputs, cli):
    for name in LANGUAGE_MODELS:
        code, out, err = cli("score", name, "good.txt")
        assert code == 0 and "perplexity" in out and "bits/" in out, (name, out, err)
        code, out, err = cli("next", name, "to be or not to", "-k", "3")
        assert code == 0 and len(out.strip().splitlines()) == 3, (name, out, err)
        code, out, err = cli("generate", name, "--prompt", "ROMEO:", "--length", "5", "--seed", "1",
                             "--top-p", "0.9")
        assert code == 0 and out.startswith("ROMEO:"), (name, out, err)


# A folder path that does not exist gets the same line from every verb that takes a model, and no
# registry names that look alike (the user meant a folder, not a name).
NO_FOLDER = ("zoo: error: no folder runs/mine; give an artifact folder, a registry name (see `zoo list "
             "--pretrained`) or hf://owner/name.")
TAKE_A_MODEL = [
    ["info", "runs/mine"], ["generate", "runs/mine"], ["score", "runs/mine", "good.txt"],
    ["next", "runs/mine", "to be"], ["eval", "runs/mine"], ["similar", "runs/mine", "king"],
    ["translate", "runs/mine", "3 March 1999"], ["xor", "0", "1", "--model", "runs/mine"],
    ["filter", "runs/mine", "IMAGE", "out.png", "--kernel", "sharpen"],
    ["finetune", "runs/mine", "--text", "good.txt", "--out", "ft"], ["publish", "runs/mine", "me/repo"],
]


@pytest.mark.parametrize("argv", TAKE_A_MODEL, ids=[a[0] for a in TAKE_A_MODEL])
def test_a_missing_folder_is_one_message_everywhere(argv, inputs, cli):
    argv = [_image(inputs) if a == "IMAGE" else a for a in argv]
    code, _, err = cli(*argv)
    assert code == 2 and err.strip() == NO_FOLDER, err


def test_an_unknown_kernel_names_the_banks_kernels(inputs, cli):
    code, _, err = cli("filter", "cnn-filters-classic", _image(inputs), "out.png", "--kernel", "emboss")
    assert code == 2 and err.strip() == ("zoo: error: cnn-filters-classic has no kernel 'emboss'. Its kernels: "
                                         "edge-enhance, edge-detect, blur, sharpen."), err


# What `import jax` does where JAX is not installed: None in sys.modules makes Python's import
# system raise ModuleNotFoundError("import of jax halted"), with error.name "jax".
WITHOUT_JAX = """
import sys
sys.modules["jax"] = None
from zoo.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_backend_that_is_not_installed_names_what_to_install(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    run = subprocess.run([sys.executable, "-c", WITHOUT_JAX, "xor", "0", "1"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("zoo: error: ") and "pip install 'keras-zoo[jax]'" in run.stderr, run.stderr


def test_score_says_how_many_unknown_words_it_does_not_list(inputs, cli):
    made_up = " ".join(f"zq{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(33))  # 33 words no model knows
    (inputs / "made-up.txt").write_text(f"to be or not to be {made_up}\n")
    code, out, err = cli("score", "lstm-lm-shakespeare", "made-up.txt")
    assert code == 0, err
    assert "33 unknown word(s): 'zqaa' x1," in out and out.strip().endswith("'zqaj' x1 and 23 more"), out
