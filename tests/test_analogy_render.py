"""sangokushi.analogy in headless Chromium: contrast in light and dark, phone widths, both modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import launch

from support import sphinx_build

WIDTHS = (390, 800)

# Contrast of every text run inside the boxes against the background it is drawn on.
CONTRASTS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const result = [];
  for (const el of document.querySelectorAll('div.analogy *, .analogy-table *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    result.push([el.textContent.trim().slice(0, 20), ratio]);
  }
  return result;
}"""

OVERFLOW = """() => [
  ...document.querySelectorAll('div.analogy, dl.analogy-list, table'),
].map((el) => {
  const box = el.getBoundingClientRect();
  return [el.tagName + '.' + el.className, box.width, box.height];
})"""


def build(rootdir: Path, outdir: Path, builder: str, **overrides: object) -> Path:
    built = sphinx_build(rootdir / "test-analogy-numfig", outdir, builder, **overrides)
    assert built.warnings == ""
    return built.outdir


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture(scope="module")
def outputs(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("analogy-render")
    return {
        "html": build(rootdir, base / "html", "html", html_theme="sphinx_book_theme"),
        "epub": build(rootdir, base / "epub", "epub"),
        "tate": build(rootdir, base / "tate", "epub", epub_writing_mode="vertical"),
    }


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_html_boxes_meet_wcag_aa_contrast(browser, outputs, mode: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=mode)
    for name in ("wei", "wu"):
        page.goto((outputs["html"] / f"{name}.html").as_uri())
        page.evaluate(f"document.documentElement.dataset.theme = '{mode}'")
        page.wait_for_timeout(100)
        contrasts = page.evaluate(CONTRASTS)
        assert contrasts, name
        low = [(text, round(ratio, 2)) for text, ratio in contrasts if ratio < 4.5]
        assert not low, (name, mode, low)
    page.close()


@pytest.mark.parametrize("edition", ["epub", "tate"])
def test_epub_boxes_and_list_fit_a_phone(browser, outputs, edition: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for name in ("wei", "wu"):
        page.goto((outputs[edition] / f"{name}.xhtml").as_uri())
        for what, width, height in page.evaluate(OVERFLOW):
            # a horizontal island (a table) must fit the width in both writing modes;
            # vertical text flows across pages, its lines must fit the height
            assert width <= 390, (edition, name, what, width)
            if edition == "tate" and not what.startswith("TABLE"):
                assert height <= 844, (edition, name, what, height)
        assert page.locator("dl.analogy-list > dt").count() == (4 if name == "wu" else 0)
    page.close()


TABLE_FITS = """() => {
  const table = document.querySelector('table.analogy-table');
  const cells = [...table.querySelectorAll('tbody td')].filter((td) => td.textContent.trim());
  return {
    scroll: document.documentElement.scrollWidth,
    right: Math.max(...cells.map((td) => td.getBoundingClientRect().right)),
    labels: [...table.querySelectorAll('.analogy-cell-label')]
      .filter((el) => getComputedStyle(el).display !== 'none').length,
    cells: cells.length,
    blank: [...table.querySelectorAll('tbody td')]
      .filter((td) => !td.textContent.trim() && td.getBoundingClientRect().height > 0).length,
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_html_table_stacks_on_a_phone(browser, outputs, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((outputs["html"] / "wu.html").as_uri())
    fits = page.evaluate(TABLE_FITS)
    page.close()
    # every cell inside the screen, nothing to scroll sideways to
    assert fits["scroll"] <= width, fits
    assert fits["right"] <= width, fits
    # stacked cells carry their column's header; the wide table has its header row instead
    assert fits["labels"] == (fits["cells"] if width == 390 else 0), fits
    # a stacked block shows no blank line for an empty cell (a box with no figures)
    assert fits["blank"] == 0 or width != 390, fits


BOX_STYLE = """() => {
  const em = (el) => parseFloat(getComputedStyle(el).textIndent)
    / parseFloat(getComputedStyle(el).fontSize);
  const orientation = (selector) => [...document.querySelectorAll(selector)]
    .map((el) => getComputedStyle(el).textOrientation);
  return {
    indents: [...document.querySelectorAll(
      'div.analogy > p:not(.analogy-title):not(.analogy-backrefs)')].map(em),
    titles: orientation('div.analogy .analogy-sep'),
    terms: orientation('dl.analogy-list > dt .analogy-sep'),
  };
}"""


@pytest.mark.parametrize("edition", ["html", "epub", "tate"])
def test_box_text_indented_and_pair_sign_upright(browser, outputs, edition: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    suffix = "html" if edition == "html" else "xhtml"
    seen: set[object] = set()
    for name in ("wei", "wu"):
        page.goto((outputs[edition] / f"{name}.{suffix}").as_uri())
        style = page.evaluate(BOX_STYLE)
        seen.update(style["indents"], style["titles"], style["terms"])
        # a box's paragraphs open with a 1字 indent, as the body text and the PDF's boxes do
        assert all(indent == pytest.approx(1) for indent in style["indents"]), style
        # ≒ stands upright in vertical writing (box titles and list entries alike)
        assert set(style["titles"] + style["terms"]) <= {"upright"}, (edition, name, style)
    assert 1 in seen and "upright" in seen, seen
    page.close()
