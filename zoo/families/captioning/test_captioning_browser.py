"""The captioner's gallery widget (widget.js) in a real browser: headless Chromium driven by
Selenium against a real `zoo serve` of captioner-shapes on loopback, as tests/test_gallery_browser.py
does for the shared widgets. A click draws a new random scene and gets its caption, words of the
grammar, with one attention map per word (and <end>) drawn over the image; an uploaded PNG scene
gets the caption `art.caption` gives it. Nothing here depends on how good the weights are.
Without a browser the tests are skipped, with the reason in one line."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="zoo serve needs the serve extra: pip install 'keras-zoo[serve]'")
from tests.serving import gallery_page, need_browser  # noqa: E402

need_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from zoo import registry  # noqa: E402
from zoo.families.captioning import captions, scenes  # noqa: E402

NAME = "captioner-shapes"
if NAME not in registry.artifacts():
    pytest.skip(f"{NAME} is not registered", allow_module_level=True)

# Per attention map, drawn by the widget: is its most-read cell (data-peak) left as the image
# is, and how much darker than the image is the whole map? The image is drawn again here as
# the widget draws it.
COMPARE_JS = """
const [canvas, src, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const img = new Image();
img.onload = () => {
  const ref = document.createElement("canvas");
  ref.width = ref.height = 96;
  const ctx = ref.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(img, 0, 0, 96, 96);
  const want = ctx.getImageData(0, 0, 96, 96).data, got = canvas.getContext("2d").getImageData(0, 0, 96, 96).data;
  const [row, col] = canvas.dataset.peak.split(",").map(Number);
  const cell = 96 / 8;
  let peakSame = true, darker = 0;
  for (let y = 0; y < 96; y++) for (let x = 0; x < 96; x++) {
    const k = 4 * (96 * y + x);
    for (let ch = 0; ch < 3; ch++) {
      darker += want[k + ch] - got[k + ch];
      if (Math.floor(y / cell) === row && Math.floor(x / cell) === col && Math.abs(want[k + ch] - got[k + ch]) > 1) peakSame = false;
    }
  }
  done([peakSame, darker]);
};
img.onerror = () => done([false, -1]);
img.src = src;
"""


@pytest.fixture(scope="module")
def page():
    with gallery_page([NAME]) as driver:
        yield driver


def wait(driver, condition, seconds=90, message=""):
    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: condition(), message=message)


def widget(driver):
    box = driver.find_element(By.CSS_SELECTOR, f'section[data-model="{NAME}"]')
    driver.execute_script("arguments[0].scrollIntoView()", box)
    return box, box.find_element(By.CSS_SELECTOR, "div.captioning")


def answer(driver, result, runs: int, source: str) -> tuple[str, str]:
    """Wait for the widget's answer number `runs`; (the caption, the image's URL), after checking
    that it shows one attention map per word (and <end> when the caption ended), each drawn."""
    wait(driver, lambda: result.get_attribute("data-runs") == str(runs), message=f"no answer {runs}: {result.text}")
    assert result.get_attribute("data-state") == "done", result.text
    assert result.get_attribute("data-source") == source
    text = result.find_element(By.CSS_SELECTOR, ".caption").text
    words = text.split()
    assert words and set(words) <= set(captions.WORDS), text  # words of the grammar
    figures = result.find_elements(By.CSS_SELECTOR, ".attention-maps figure")
    labels = [f.get_attribute("data-word") for f in figures]
    assert labels in (words + ["<end>"], words), (labels, text)
    assert [f.find_element(By.TAG_NAME, "figcaption").text for f in figures] == labels
    canvases = result.find_elements(By.CSS_SELECTOR, ".attention-maps canvas.attention")
    wait(driver, lambda: all(c.get_attribute("data-drawn") == "true" for c in canvases), 30, "maps not drawn")
    src = result.find_element(By.CSS_SELECTOR, "img.scene").get_attribute("src")
    compared = [driver.execute_async_script(COMPARE_JS, canvas, src) for canvas in canvases]
    assert all(peak_same for peak_same, _ in compared), compared  # the most-read cell as it is
    assert all(darker >= 0 for _, darker in compared) and any(darker > 0 for _, darker in compared), compared
    return text, src


def test_a_new_scene_gets_a_caption_and_an_attention_map_per_word(page):
    box, result = widget(page)
    button = box.find_element(By.XPATH, ".//button[text()='New scene']")
    button.click()
    _, first = answer(page, result, 1, "scene")
    button.click()
    _, second = answer(page, result, 2, "scene")
    assert second != first  # a new scene, drawn at the click


def test_an_uploaded_scene_gets_the_caption_the_artifact_gives(page, tmp_path):
    import zoo

    from PIL import Image

    path = tmp_path / "scene.png"
    Image.fromarray(scenes.make_scene("test", 0, 11).image()).save(path)
    box, result = widget(page)
    before = int(result.get_attribute("data-runs") or 0)
    box.find_element(By.CSS_SELECTOR, "input[type=file][name=image]").send_keys(str(path))
    text, _ = answer(page, result, before + 1, "upload")
    assert text == zoo.load(NAME).caption(path)
