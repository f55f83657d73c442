"""Fine-tuning the small families on the user's data: a filter learned from one (image, filtered
image) pair and added to a cnn-filters bank, and a truth table for mlp-xor and the perceptrons.
Checked: it learns, the lineage (config, card, `zoo info`), the base left byte-identical, the new
artifact fine-tunable and evaluable again, one-line errors for bad data with nothing written, the
CLI. The full-scale claims are benchmarks/finetune_small.py's (in the five cards)."""

import numpy as np
import pytest
from PIL import Image
from scipy import signal

import zoo
from zoo import cards, io
from zoo.families.cnn_filters import model as conv
from zoo.families.cnn_filters import pairs
from zoo.families.feedforward import gates
from zoo.families.feedforward.steps import read_truth_table


def files_of(folder):
    return {p.relative_to(folder).as_posix(): io.sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def write_pair(folder, image, kernel, operation="convolve", kind="npy", stem="out"):
    """in.png (8-bit), and the filtered image as .npy (exact) or 8-bit .png; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / "in.png")
    x = image.astype("float64")
    x3 = x if x.ndim == 3 else x[:, :, None]
    apply = signal.convolve2d if operation == "convolve" else signal.correlate2d
    y = np.stack([apply(x3[:, :, c], kernel, mode="same") for c in range(x3.shape[2])], -1)
    y = y if x.ndim == 3 else y[:, :, 0]
    target = folder / f"{stem}.{kind}"
    if kind == "npy":
        np.save(target, y)
    else:
        Image.fromarray(np.clip(np.rint(y), 0, 255).astype("uint8")).save(target)
    return folder / "in.png", target


def noise_image(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype("uint8")


def random_kernel(size, seed=0):
    kernel = np.random.default_rng(seed).normal(0, 0.2, (size, size))
    kernel[size // 2, size // 2] += 1
    return kernel


# --------------------------------------------------------------------------- cnn-filters


def test_filter_recovered_from_convolve_and_correlate():
    """The least-squares step alone: exact for .npy outputs, correlate2d gives the flipped kernel,
    an 8-bit output within 1e-3 on a 128x128 RGB noise image."""
    image = noise_image((128, 128, 3)).astype("float64")
    for size in (1, 3, 5, 7):
        kernel = random_kernel(size, seed=size)
        for operation, truth in (("convolve", kernel), ("correlate", kernel[::-1, ::-1])):
            apply = getattr(signal, f"{operation}2d")
            y = np.stack([apply(image[:, :, c], kernel, mode="same") for c in range(3)], -1)
            exact = pairs.FilterPair(image, y, np.ones(y.shape, bool), ("8-bit PNG", "float64 .npy"))
            assert np.max(np.abs(pairs.fit_kernel(exact, size) - truth)) < 1e-9, (size, operation)
            rounded = np.clip(np.rint(y), 0, 255)
            eight_bit = pairs.FilterPair(image, rounded, (rounded > 0) & (rounded < 255), ("8-bit PNG", "8-bit PNG"))
            assert np.max(np.abs(pairs.fit_kernel(eight_bit, size) - truth)) < 1e-3, (size, operation)
    # A 3x3 kernel padded to 7x7 filters alike in 'same' mode (the bank grows to its largest kernel).
    np.testing.assert_allclose(signal.convolve2d(image[:, :, 0], pairs.pad_kernel(kernel[2:5, 2:5], 7), "same"),
                               signal.convolve2d(image[:, :, 0], kernel[2:5, 2:5], "same"), atol=1e-9)


def test_filter_finetune_adds_the_filter_and_leaves_base_alone(tmp_path):
    base = zoo.load("cnn-filters-learned")
    base_files = files_of(base.folder)
    kernel = random_kernel(5, seed=3)
    source, target = write_pair(tmp_path / "data", noise_image((40, 44)), kernel, "correlate", "npy")

    out = zoo.finetune("cnn-filters-learned", pair=(source, target), kernel_size=5, name="mine", out=tmp_path / "mine")
    bank = zoo.load(out)
    assert bank.kernel_names == [*base.kernel_names, "mine"]
    assert bank.config["hparams"] == {"kernel_size": 5, "filters": 5}
    assert np.max(np.abs(bank.kernels()["mine"] - kernel[::-1, ::-1])) < 1e-6  # correlate2d: the flipped kernel
    for name, old in base.kernels().items():  # the old filters, padded to 5x5, unchanged
        np.testing.assert_array_equal(bank.kernels()[name], pairs.pad_kernel(old, 5).astype("float32"))
    run = bank.config["finetune"]
    assert run["after"]["pair_rmse"] < 1e-3 < run["before"]["pair_rmse"]
    assert run["command"] == (f"zoo finetune cnn-filters-learned --pair in.png out.npy --out {tmp_path / 'mine'} "
                              "-o kernel_size=5 -o name=mine")
    assert bank.config["base_model"]["model_sha256"] == base_files["model.weights.h5"]
    assert [d["file"] for d in bank.config["finetuned_on"]] == ["in.png", "out.npy"]
    assert "**cnn-filters-learned**" in bank.card and "## Fine-tuned from" in bank.card
    assert "base_model" not in cards.read_front_matter(bank.card)  # a zoo name is no Hub id
    assert zoo.info(str(out))["lineage"].startswith("mine <- cnn-filters-learned;")
    assert files_of(base.folder) == base_files
    checks = zoo.evaluate(out)
    assert all(r["ok"] for r in checks.values()) and {"max_abs_kernel_error", "pair_rmse_mine"} <= set(checks)

    # Fine-tune the fine-tuned bank: an 8-bit RGB pair, a 3x3 kernel, kept in the 5x5 bank.
    kernel3 = random_kernel(3, seed=4)
    source, target = write_pair(tmp_path / "rgb", noise_image((36, 40, 3), seed=1), kernel3, "convolve", "png")
    again = zoo.load(zoo.finetune(out, pair=(source, target), name="sharp3", out=tmp_path / "again"))
    assert again.config["hparams"] == {"kernel_size": 5, "filters": 6}
    assert np.max(np.abs(again.kernels()["sharp3"] - pairs.pad_kernel(kernel3, 5))) < 1e-3
    assert sorted(again.config["learned_filters"]) == ["mine", "sharp3"]
    assert again.config["base_model"]["ancestors"] == ["cnn-filters-learned"]
    assert all(r["ok"] for r in zoo.evaluate(again.folder).values())


def test_classic_bank_fine_tunes_too(tmp_path):
    base_files = files_of(zoo.load("cnn-filters-classic").folder)
    kernel = random_kernel(7, seed=5)
    source, target = write_pair(tmp_path, noise_image((30, 30)), kernel, "convolve", "npy")
    bank = zoo.load(zoo.finetune("cnn-filters-classic", pair=(source, target), kernel_size=7, name="wide",
                                 out=tmp_path / "wide"))
    assert bank.config["recipe"] == "recipes/cnn_filters_classic.py"
    assert np.max(np.abs(bank.kernels()["wide"] - kernel)) < 1e-6
    image = noise_image((20, 24, 3), seed=2).astype("float32")
    for name, k in conv.CLASSIC_KERNELS.items():  # the classic filters still match scipy
        expected = np.stack([signal.convolve2d(image[:, :, c], k, "same") for c in range(3)], -1)
        np.testing.assert_allclose(bank.apply(image, name), np.clip(expected, 0, 255), atol=1e-3)
    assert all(r["ok"] for r in zoo.evaluate(bank.folder).values())
    assert files_of(zoo.load("cnn-filters-classic").folder) == base_files


def test_filter_pair_bad_data_one_line_errors(tmp_path):
    gray, rgb = noise_image((20, 20)), noise_image((20, 20, 3), seed=1)
    source, target = write_pair(tmp_path, gray, random_kernel(3), kind="png")
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(noise_image((20, 22))).save(tmp_path / "wide.png")
    Image.fromarray(gray).save(tmp_path / "out.jpg")
    Image.fromarray(np.zeros((20, 20), dtype="uint8")).save(tmp_path / "flat.png")  # black: no equation says anything
    (tmp_path / "text.png").write_text("not an image", encoding="utf-8")
    np.save(tmp_path / "nan.npy", np.full((20, 20), np.nan))
    cases = [
        (dict(pair=(source, tmp_path / "wide.png")), "is 20x20 pixels but"),
        (dict(pair=(tmp_path / "rgb.png", target)), r"colour \(RGB\) but"),
        (dict(pair=(source, tmp_path / "text.png")), "not an image"),
        (dict(pair=(source, tmp_path / "nope.png")), "does not exist"),
        (dict(pair=(source, tmp_path / "out.jpg")), "JPEG"),
        (dict(pair=(source, tmp_path / "nan.npy")), "NaN"),
        (dict(pair=(tmp_path / "flat.png", target)), "too flat"),
        (dict(pair=(source, target), name="blur"), "already has a filter named 'blur'"),
        (dict(pair=(source, target), name="a/b"), "filter name"),
        (dict(pair=(source, target), kernel_size=4), "odd"),
        (dict(pair=(source, target), epochs=3), "closed form"),
    ]
    for kwargs, message in cases:
        out = tmp_path / "out-dir"
        with pytest.raises(zoo.InvalidInputError, match=message) as error:
            zoo.finetune("cnn-filters-classic", out=out, **kwargs)
        assert "\n" not in str(error.value), str(error.value)
        assert not out.exists()
    small = tmp_path / "small"
    source, target = write_pair(small, noise_image((5, 6)), random_kernel(3), kind="npy")
    with pytest.raises(zoo.InvalidInputError, match="larger than the 6x5 image"):
        zoo.finetune("cnn-filters-classic", pair=(source, target), kernel_size=7, out=tmp_path / "out-dir")
    assert not (tmp_path / "out-dir").exists()


# --------------------------------------------------------------------------- truth tables


def write_table(path, outputs, header=True):
    rows = "".join(f"{int(a)},{int(b)},{y}\n" for (a, b), y in zip(gates.TRUTH_INPUTS, outputs))
    path.write_text(("x1,x2,y\n" if header else "") + rows, encoding="utf-8")
    return path


def test_linear_separability_of_all_sixteen_functions():
    for name, outputs in gates.TWO_INPUT_FUNCTIONS.items():
        line = gates.separating_line(gates.TRUTH_INPUTS, outputs)
        assert (line is None) == (name in ("xor", "xnor")), name
        if line is not None:
            w, b = line
            np.testing.assert_array_equal(gates.step(gates.TRUTH_INPUTS @ w + b), outputs)
        assert gates.function_name(outputs) == name


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("a,b,c\n0,0,0\n0,1,0\n1,0,0\n1,1,1\n", "header names the columns a,b,c"),
    ("0,0,0\n0,1,0\n1,0,0\n1,1,1,1\n", "line 4 has 4 value"),
    ("0,0,0\n0,1,2\n1,0,0\n1,1,1\n", "'2' is not 0 or 1"),
    ("0,0,0\n0,1,yes\n1,0,0\n1,1,1\n", "'yes' is not 0 or 1"),
    ("x1,x2,y\n0,0,0\n0,1,1\n0,1,0\n1,1,1\n", "x1=0,x2=1 twice \\(lines 3 and 4\\)"),
    ("0,0,0\n1,1,1\n", "no row for x1=0,x2=1 and x1=1,x2=0"),
])
def test_truth_table_errors(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(zoo.InvalidInputError, match=message) as error:
        read_truth_table(path)
    assert "\n" not in str(error.value)


def test_truth_table_reading(tmp_path):
    path = tmp_path / "nand.csv"
    path.write_text("\n1,1,0\n0,0,1\n 1 , 0 , 1 \n0,1,1\n\n", encoding="utf-8")  # any order, no header
    np.testing.assert_array_equal(read_truth_table(path), [1, 1, 1, 0])
    path.write_bytes(b"\xff\xfe0,0,1")
    with pytest.raises(zoo.InvalidInputError, match="not UTF-8"):
        read_truth_table(path)


def test_mlp_xor_learns_nand_then_xnor(tmp_path):
    base = zoo.load("mlp-xor")
    base_files = files_of(base.folder)
    nand = write_table(tmp_path / "nand.csv", gates.TWO_INPUT_FUNCTIONS["nand"])
    out = zoo.finetune("mlp-xor", table=nand, epochs=200, out=tmp_path / "nand")
    net = zoo.load(out)
    np.testing.assert_array_equal(net.classify(gates.TRUTH_INPUTS), [1, 1, 1, 0])
    assert net.config["truth_table"] == [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]]
    assert "| NAND" in net.truth_table()
    run = net.config["finetune"]
    assert run["before"]["table_accuracy"] == 0.75 and run["after"]["table_accuracy"] == 1
    assert run["command"] == f"zoo finetune mlp-xor --table nand.csv --epochs 200 --out {tmp_path / 'nand'} -o seed=0"
    assert net.config["finetuned_on"][0]["sha256"] == io.sha256_file(nand)
    # mlp-xor is a zoo name, no Hub id: the card's text names it, its front matter does not
    assert "**mlp-xor**" in net.card and "base_model" not in cards.read_front_matter(net.card)
    assert zoo.info(str(out))["lineage"].startswith("nand <- mlp-xor;")
    assert all(r["ok"] for r in zoo.evaluate(out).values())
    assert files_of(base.folder) == base_files

    xnor = write_table(tmp_path / "xnor.csv", gates.TWO_INPUT_FUNCTIONS["xnor"], header=False)
    again = zoo.load(zoo.finetune(out, table=xnor, epochs=200, out=tmp_path / "xnor"))
    np.testing.assert_array_equal(again.classify(gates.TRUTH_INPUTS), [1, 0, 0, 1])
    assert again.config["base_model"]["ancestors"] == ["mlp-xor"]
    assert all(r["ok"] for r in zoo.evaluate(again.folder).values())


def test_perceptron_learns_nand_and_refuses_xnor(tmp_path):
    base_files = files_of(zoo.load("perceptron-and").folder)
    nand = write_table(tmp_path / "nand.csv", gates.TWO_INPUT_FUNCTIONS["nand"])
    out = zoo.finetune("perceptron-and", table=nand, out=tmp_path / "nand")
    unit = zoo.load(out)
    np.testing.assert_array_equal(unit.predict(gates.TRUTH_INPUTS), [1, 1, 1, 0])
    assert unit.config["gate"] == "nand" and unit.config["finetune"]["after"] == {"table_accuracy": 1.0}
    assert all(r["ok"] for r in zoo.evaluate(out).values())
    assert files_of(zoo.load("perceptron-and").folder) == base_files

    xnor = write_table(tmp_path / "xnor.csv", gates.TWO_INPUT_FUNCTIONS["xnor"])
    for base in ("perceptron-and", "perceptron-or", out):
        with pytest.raises(zoo.InvalidInputError, match="not linearly separable") as error:
            zoo.finetune(base, table=xnor, out=tmp_path / "x")
        assert "\n" not in str(error.value) and "mlp-xor" in str(error.value)
        assert not (tmp_path / "x").exists()
    orr = write_table(tmp_path / "or.csv", gates.TWO_INPUT_FUNCTIONS["or"])
    again = zoo.load(zoo.finetune(out, table=orr, out=tmp_path / "or"))  # a fine-tuned one, fine-tuned again
    np.testing.assert_array_equal(again.predict(gates.TRUTH_INPUTS), [0, 1, 1, 1])
    assert all(r["ok"] for r in zoo.evaluate(again.folder).values())


# --------------------------------------------------------------------------- CLI


def test_cli_finetune_filter_and_tables(cli, tmp_path):
    source, target = write_pair(tmp_path, noise_image((24, 24)), random_kernel(3), kind="png")
    code, out, err = cli("finetune", "cnn-filters-classic", "--pair", str(source), str(target), "--kernel-size", "3",
                         "--name", "mine", "--out", str(tmp_path / "bank"))
    assert code == 0, err
    assert "fine-tuned artifact written to" in out and "mine" in zoo.load(tmp_path / "bank").kernel_names
    code, _, err = cli("finetune", "cnn-filters-classic", "--pair", str(source), str(target), "--name", "blur",
                       "--out", str(tmp_path / "x"))
    assert code != 0 and len(err.strip().splitlines()) == 1 and "already has a filter named 'blur'" in err
    xnor = write_table(tmp_path / "xnor.csv", gates.TWO_INPUT_FUNCTIONS["xnor"])
    code, _, err = cli("finetune", "perceptron-and", "--table", str(xnor), "--out", str(tmp_path / "x"))
    assert code != 0 and len(err.strip().splitlines()) == 1 and "not linearly separable" in err
    assert not (tmp_path / "x").exists()
