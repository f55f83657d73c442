"""The gallery page in a real browser: headless Chromium (Debian's chromium and chromium-driver,
which .ci/run installs), driven by Selenium, against a real `zoo serve` on loopback. One test
per kind of widget. Without a browser these tests are skipped, with the reason in one line.

The screenshot in the README is taken by the last test: ZOO_GALLERY_SCREENSHOT=docs/gallery.png
pytest tests/test_gallery_browser.py writes it there.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="zoo serve needs the serve extra: pip install 'keras-zoo[serve]'")
from tests.serving import gallery_page, need_browser, running_server  # noqa: E402

need_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SERVED = ["charrnn-shakespeare", "skipgram-shakespeare", "seq2seq-dates", "cnn-filters-classic", "mlp-xor"]


@pytest.fixture(scope="module")
def page():
    with gallery_page(SERVED) as driver:
        yield driver


def section(driver, name):
    element = driver.find_element(By.CSS_SELECTOR, f'section[data-model="{name}"]')
    driver.execute_script("arguments[0].scrollIntoView()", element)
    return element


def wait(driver, condition, seconds=90, message=lambda: ""):
    return WebDriverWait(driver, seconds, poll_frequency=0.02).until(lambda d: condition(), message=message())


def test_every_served_model_has_a_section_and_a_card(page):
    names = [s.get_attribute("data-model") for s in page.find_elements(By.CSS_SELECTOR, "section.model")]
    assert names == SERVED
    box = section(page, "mlp-xor")
    box.find_element(By.CSS_SELECTOR, "details.card summary").click()
    body = box.find_element(By.CSS_SELECTOR, ".card-body")
    wait(page, lambda: body.get_attribute("data-loaded") == "true")
    assert body.find_element(By.TAG_NAME, "h1").text == "mlp-xor"


def test_a_parameter_count_is_shown_in_full(page):
    metrics = section(page, "charrnn-shakespeare").find_element(By.CSS_SELECTOR, "div.metrics").text
    assert "parameters 3,318,401" in metrics, metrics  # not 3318000 (4 significant digits)


def test_text_streams_in_as_it_is_generated(page):
    box = section(page, "charrnn-shakespeare")
    length = box.find_element(By.NAME, "max_new_tokens")
    length.clear()
    length.send_keys("600")
    box.find_element(By.TAG_NAME, "button").click()
    output = box.find_element(By.CSS_SELECTOR, "pre.output")
    # Seen part-way: longer than the prompt, not yet finished; then finished, and longer still.
    wait(page, lambda: len(output.text) > len("ROMEO:") + 5)
    partial = output.text
    assert output.get_attribute("data-done") is None, "the text arrived all at once, not streamed"
    wait(page, lambda: output.get_attribute("data-done") == "true")
    assert output.text.startswith("ROMEO:") and len(output.text) > len(partial)
    assert len(output.text) >= 500  # 600 characters (the page's text drops trailing white space)


def test_a_word_shows_its_neighbours_on_the_map(page):
    box = section(page, "skipgram-shakespeare")
    word = box.find_element(By.NAME, "word")
    word.clear()
    word.send_keys("king")
    box.find_element(By.TAG_NAME, "button").click()
    wait(page, lambda: box.find_elements(By.CSS_SELECTOR, ".neighbours span"))
    assert len(box.find_elements(By.CSS_SELECTOR, ".neighbours span")) == 10
    assert box.find_element(By.CSS_SELECTOR, "svg.wordmap text.query").text == "king"
    assert len(box.find_elements(By.CSS_SELECTOR, "svg.wordmap text.near")) == 10


def test_a_date_gives_its_iso_form_and_attention(page):
    box = section(page, "seq2seq-dates")
    date = box.find_element(By.NAME, "date")
    date.clear()
    date.send_keys("25 December 1999")
    box.find_element(By.TAG_NAME, "button").click()
    wait(page, lambda: box.find_elements(By.CSS_SELECTOR, ".iso"))
    assert box.find_element(By.CSS_SELECTOR, ".iso").text == "1999-12-25"
    rows = box.find_elements(By.CSS_SELECTOR, "table.heat tr")
    assert len(rows) == 1 + len("1999-12-25") + 1  # the header, each output character, <end>


def test_an_image_goes_through_every_filter(page):
    box = section(page, "cnn-filters-classic")
    box.find_element(By.CSS_SELECTOR, "button.secondary").click()
    wait(page, lambda: len(box.find_elements(By.CSS_SELECTOR, ".filters figure")) > 1)
    captions = [c.text for c in box.find_elements(By.CSS_SELECTOR, ".filters figcaption")]
    assert captions == ["original", "edge-enhance", "edge-detect", "blur", "sharpen"]
    wait(page, lambda: all(page.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                           for img in box.find_elements(By.CSS_SELECTOR, ".filters img")))


def test_clicking_the_xor_inputs(page, tmp_path):
    box = section(page, "mlp-xor")
    result = box.find_element(By.CSS_SELECTOR, ".bits .result")
    wait(page, lambda: result.text.startswith("→ 0"), message=lambda: result.text)
    box.find_element(By.NAME, "x1").click()
    wait(page, lambda: result.text.startswith("→ 1"))
    box.find_element(By.NAME, "x2").click()
    wait(page, lambda: result.text.startswith("→ 0"))
    cells = [td.text for td in box.find_elements(By.CSS_SELECTOR, "table.truth td")]
    assert cells[2::4] == ["0", "1", "1", "0"]
    # The README's screenshot: the page from the top, after every widget has run.
    page.execute_script("window.scrollTo(0, 0)")
    page.set_window_size(1200, 2200)
    time.sleep(0.5)
    shot = tmp_path / "gallery.png"
    page.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    target = os.environ.get("ZOO_GALLERY_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_a_hostile_folder_name_and_card_run_nothing(page, tmp_path):
    """A folder named `x" onerror="alert(1)` (the name goes into the card's image links) whose card
    holds raw HTML: the page shows them as text and runs none of it. An alert would also make
    every later command fail. (Last: it leaves the browser on another server's page.)"""
    from selenium.common.exceptions import NoAlertPresentException

    from zoo import registry

    name = 'x" onerror="alert(1)'
    folder = tmp_path / name
    shutil.copytree(registry.installed_folder("mlp-xor") or registry.packaged_folder("mlp-xor"), folder)
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + '\n<img src="nothing" onerror="alert(2)">\n\n'
                    "<script>alert(3)</script>\n", encoding="utf-8")
    with running_server([str(folder)]) as url:
        page.get(url + "/")
        wait(page, lambda: page.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
        box = page.find_element(By.CSS_SELECTOR, "section.model")
        assert box.get_attribute("data-model") == name and box.find_element(By.TAG_NAME, "h2").text == name
        box.find_element(By.CSS_SELECTOR, "details.card summary").click()
        body = box.find_element(By.CSS_SELECTOR, ".card-body")
        wait(page, lambda: body.get_attribute("data-loaded") == "true")
        plots = body.find_elements(By.TAG_NAME, "img")
        assert len(plots) == 2  # the card's own two plots; the raw <img> is text
        wait(page, lambda: all(page.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                               for img in plots))
        assert '<img src="nothing" onerror="alert(2)">' in body.text and "<script>alert(3)</script>" in body.text
        assert not body.find_elements(By.CSS_SELECTOR, "script, [onerror]")
        with pytest.raises(NoAlertPresentException):
            page.switch_to.alert.text  # noqa: B018
