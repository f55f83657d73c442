"""cnn-filters against scipy.signal and the Octave example."""

import numpy as np
import pytest
from PIL import Image
from scipy import signal

import zoo
from zoo.families.cnn_filters import model as conv
from zoo.families.cnn_filters.image_files import read_image
from zoo.families.cnn_filters.pairs import read_pair_image

A = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype="float32")
B = np.array([[1, 0], [0, 0]], dtype="float32")


@pytest.mark.parametrize("mode", conv.MODES)
@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 2), (2, 3), (4, 5), (1, 1)])
def test_matches_scipy_on_random_inputs(mode, kernel_shape):
    rng = np.random.default_rng(hash((mode, kernel_shape)) % 2**32)
    image = rng.normal(size=(9, 11)).astype("float32")
    kernel = rng.normal(size=kernel_shape).astype("float32")
    np.testing.assert_allclose(conv.convolve2d(image, kernel, mode),
                               signal.convolve2d(image, kernel, mode), atol=1e-5)
    np.testing.assert_allclose(conv.correlate2d(image, kernel, mode),
                               signal.correlate2d(image, kernel, mode), atol=1e-5)


def test_octave_example_exactly():
    np.testing.assert_array_equal(conv.convolve2d(A, B, "full"),
                                  [[1, 2, 3, 0], [4, 5, 6, 0], [7, 8, 9, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(conv.convolve2d(A, B, "valid"), [[5, 6], [8, 9]])
    # Octave's conv2 'same' centres an even kernel one way, scipy's convolve2d the other.
    np.testing.assert_array_equal(conv.convolve2d(A, B, "same", convention="octave"),
                                  [[5, 6, 0], [8, 9, 0], [0, 0, 0]])
    np.testing.assert_array_equal(conv.convolve2d(A, B, "same"), A)
    np.testing.assert_array_equal(conv.correlate2d(A, B, "valid"), [[1, 2], [4, 5]])


def test_bad_arguments():
    with pytest.raises(zoo.InvalidInputError, match="mode"):
        conv.convolve2d(A, B, "middle")
    with pytest.raises(zoo.InvalidInputError, match="valid"):
        conv.convolve2d(B, A, "valid")


def test_classic_bank_matches_scipy_per_kernel():
    bank = zoo.load("cnn-filters-classic")
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=(20, 30, 3)).astype("float32")
    for name, kernel in conv.CLASSIC_KERNELS.items():
        expected = np.stack([signal.convolve2d(image[:, :, c], kernel, "same") for c in range(3)], -1)
        np.testing.assert_allclose(bank.apply(image, name), np.clip(expected, 0, 255), atol=1e-3)


def test_learned_kernels_within_1e_3():
    learned = zoo.load("cnn-filters-learned").kernels()
    for name, kernel in conv.CLASSIC_KERNELS.items():
        assert np.max(np.abs(learned[name] - kernel)) < 1e-3, name


def _save(path, array, mode):
    Image.fromarray(array, mode=mode).save(path)


def test_filter_cli_png_jpeg_gray_alpha(cli, tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, (24, 32, 3), dtype="uint8")
    _save(tmp_path / "rgb.png", rgb, "RGB")
    _save(tmp_path / "rgb.jpg", rgb, "RGB")
    _save(tmp_path / "gray.png", rgb[:, :, 0], "L")
    _save(tmp_path / "alpha.png", np.dstack([rgb, np.full((24, 32), 128, "uint8")]), "RGBA")
    for source, target, fmt in [("rgb.png", "o1.png", "PNG"), ("rgb.jpg", "o2.jpg", "JPEG"),
                                ("gray.png", "o3.png", "PNG"), ("alpha.png", "o4.png", "PNG")]:
        code, out, err = cli("filter", "cnn-filters-classic", "--kernel", "sharpen",
                             str(tmp_path / source), str(tmp_path / target))
        assert code == 0, err
        with Image.open(tmp_path / target) as img:
            assert img.format == fmt and img.size == (32, 24) and img.mode == "RGB"


def test_filter_cli_bad_inputs_leave_nothing(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    code, _, err = cli("filter", "cnn-filters-classic", "--kernel", "sharpen",
                       str(tmp_path / "notes.txt"), str(tmp_path / "out.png"))
    assert code == 2 and "not an image" in err and "Traceback" not in err
    _save(tmp_path / "ok.png", np.zeros((8, 8, 3), "uint8"), "RGB")
    code, _, err = cli("filter", "cnn-filters-classic", "--kernel", "sharpn",
                       str(tmp_path / "ok.png"), str(tmp_path / "out.png"))
    assert code == 2 and "Did you mean: sharpen" in err
    code, _, err = cli("filter", "cnn-filters-classic", "--kernel", "blur",
                       str(tmp_path / "ok.png"), str(tmp_path / "out.gif"))
    assert code == 2 and ".png" in err
    code, _, err = cli("filter", "cnn-filters-classic", "--kernel", "blur",
                       str(tmp_path / "missing.png"), str(tmp_path / "out.png"))
    assert code == 2 and "does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "ok.png"]


def test_sample_photograph_ships_with_a_dependency():
    image, fmt = read_image(conv.sample_image_path())
    assert fmt == "JPEG" and image.shape[2] == 3


def test_a_huge_image_is_refused_from_its_header(cli, tmp_path):
    """A 12000x12000 PNG of one colour is 18 KB and would take gigabytes to decode and filter (23.7
    GB, measured); its header says its size, and it is refused before anything decodes it."""
    from tests.big_images import one_colour_png
    from zoo.images import MAX_PIXELS, ImageTooLargeError, open_image

    for side in (20000, 12000):  # (20000 first: PIL refuses it itself, with a traceback before)
        huge = tmp_path / f"huge{side}.png"
        huge.write_bytes(one_colour_png(side, side))
        code, _, err = cli("filter", "cnn-filters-classic", "--kernel", "blur", str(huge), str(tmp_path / "out.png"))
        assert code == 2 and "megapixels" in err and "Scale it down" in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        with pytest.raises(ImageTooLargeError, match="the image"):
            read_pair_image(huge, "the image")  # zoo finetune --pair reads through the same check
    assert "12000x12000 pixels" in err and not (tmp_path / "out.png").exists()
    side = int(MAX_PIXELS ** 0.5)
    (tmp_path / "edge.png").write_bytes(one_colour_png(side, side))  # at the limit: accepted
    with open_image(tmp_path / "edge.png", "the image") as image:
        assert image.size == (side, side)
