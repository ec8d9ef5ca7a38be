"""E-books set like e-books: a 40字 measure, lines never spread, the cover centred, one indent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import EPUBS, PHONE, TABLET, launch, unpack

WIDE = 1280
# A body paragraph and an analogy box's paragraph, each page's first.
INDENTS = """
(() => {
  const body = document.querySelector('section > p:not(.rubric)');
  const box = document.querySelector(
    'div.analogy > p:not(.analogy-title):not(.analogy-backrefs)');
  return [body, box].map((p) => p && getComputedStyle(p).textIndent);
})()
"""
# The widest line of the body's paragraphs, in 字 of each paragraph's font.
MEASURE = """
(() => Math.max(...[...document.querySelectorAll('section > p')].map((p) => {
  const range = document.createRange();
  range.selectNodeContents(p);
  const size = parseFloat(getComputedStyle(p).fontSize);
  const vertical = getComputedStyle(p).writingMode.startsWith('vertical');
  const lines = [...range.getClientRects()].map((r) => (vertical ? r.height : r.width) / size);
  return Math.max(0, ...lines);
})))()
"""
# Each line of the body's paragraphs (ruby readings aside): the mean step from one
# kanji or kana to the next, in 字, with the line's start.
STEPS = """
(() => {
  const letter = /[\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff]/;
  const lines = [];
  for (const p of document.querySelectorAll('section > p')) {
    const style = getComputedStyle(p);
    const size = parseFloat(style.fontSize);
    const vertical = style.writingMode.startsWith('vertical');
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentElement.closest('rt, rp') ? 2 : 1)});
    const found = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.data.length; i++) {
        const range = document.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + 1);
        const box = range.getBoundingClientRect();
        found.push({char: n.data[i], line: vertical ? box.left : box.top,
                    at: vertical ? box.top : box.left});
      }
    }
    let line = null;
    for (const [i, here] of found.entries()) {
      if (!line || Math.abs(here.line - line.at) > size / 2) {
        line = {at: here.line, text: '', steps: []};
        lines.push(line);
      }
      line.text += here.char;
      const before = found[i - 1];
      if (before && Math.abs(here.line - before.line) <= size / 2
          && letter.test(before.char) && letter.test(here.char)) {
        line.steps.push((here.at - before.at) / size);
      }
    }
  }
  return lines.filter((l) => l.steps.length >= 3).map(
    (l) => [l.text, l.steps.reduce((a, b) => a + b, 0) / l.steps.length]);
})()
"""
COVER = """
(() => {
  const box = document.querySelector('section.ebook-cover img').getBoundingClientRect();
  return [box.left + box.width / 2, box.top + box.height / 2, innerWidth / 2, innerHeight / 2];
})()
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture(scope="module")
def editions(book: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each edition's folder: the HTML's, and each EPUB unpacked."""
    found = {"html": book / "html"}
    for name, epub in EPUBS.items():
        folder = tmp_path_factory.mktemp(name)
        unpack(book / epub, folder)
        found[name] = folder
    return found


def open_page(browser, path: Path, width: int, height: int = 844):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page


@pytest.mark.parametrize("width", [PHONE, TABLET])
@pytest.mark.parametrize("edition", ["html", "yoko", "tate"])
def test_body_and_box_paragraphs_share_one_indent(
    browser, editions: dict[str, Path], edition: str, width: int
) -> None:
    page_name = "wei.html" if edition == "html" else "wei.xhtml"
    context, page = open_page(browser, editions[edition] / page_name, width)
    body, box = page.evaluate(INDENTS)
    context.close()
    assert body == box, (edition, body, box)
    assert body not in (None, "0px")  # 1字, as Japanese books indent


@pytest.mark.parametrize(("width", "height"), [(TABLET, 1280), (WIDE, 800)])
@pytest.mark.parametrize("edition", ["html", "yoko", "tate"])
def test_lines_hold_about_40_characters(
    browser, editions: dict[str, Path], edition: str, width: int, height: int
) -> None:
    """A line across a wide screen, or down a tall one in vertical writing, holds about 40字."""
    longest = []
    for name in ("prologue", "wei", "epilogue"):
        path = editions[edition] / (f"{name}.html" if edition == "html" else f"{name}.xhtml")
        context, page = open_page(browser, path, width, height)
        longest.append(page.evaluate(MEASURE))
        context.close()
    assert 30 < max(longest) <= 41, (edition, width, height, longest)


@pytest.mark.parametrize("edition", ["yoko", "tate"])
def test_contents_stand_with_the_text(browser, editions: dict[str, Path], edition: str) -> None:
    """The navigation document (目次) keeps the text's measure in the middle of a wide screen."""
    context, page = open_page(browser, editions[edition] / "nav.xhtml", WIDE, 800)
    size, start, end, screen = page.evaluate(
        """(() => {
          const box = document.querySelector('nav#toc').getBoundingClientRect();
          const em = parseFloat(getComputedStyle(document.querySelector('nav#toc')).fontSize);
          const mode = getComputedStyle(document.documentElement).writingMode;
          const vertical = mode !== 'horizontal-tb';
          return vertical ? [box.height / em, box.top, innerHeight - box.bottom, innerHeight]
                          : [box.width / em, box.left, innerWidth - box.right, innerWidth];
        })()"""
    )
    context.close()
    assert size <= 42 and abs(start - end) <= 2, (edition, size, start, end, screen)


@pytest.mark.parametrize("edition", ["html", "yoko", "tate"])
def test_phone_lines_are_never_spread(browser, editions: dict[str, Path], edition: str) -> None:
    """At 390 px no line opens the space between its characters (a justified line did, where a
    long Latin word went to the next line): kanji and kana stand 1字 apart on every line."""
    spread = []
    for name in ("prologue", "wei", "shu", "wu", "yuan-shao", "wudoumi", "epilogue"):
        path = editions[edition] / (f"{name}.html" if edition == "html" else f"{name}.xhtml")
        context, page = open_page(browser, path, PHONE)
        lines = page.evaluate(STEPS)
        spread += [(name, text, round(step, 3)) for text, step in lines if step > 1.01]
        context.close()
    assert not spread, spread


@pytest.mark.parametrize(
    ("width", "height"), [(PHONE, 844), (600, 800), (TABLET, 844), (WIDE, 800)]
)
@pytest.mark.parametrize("edition", ["yoko", "tate"])
def test_cover_is_centred(
    browser, editions: dict[str, Path], edition: str, width: int, height: int
) -> None:
    context, page = open_page(browser, editions[edition] / "epub-cover.xhtml", width, height)
    x, y, centre_x, centre_y = page.evaluate(COVER)
    scroll = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    context.close()
    assert abs(x - centre_x) <= 3 and abs(y - centre_y) <= 3, (edition, x, y, centre_x, centre_y)
    assert scroll[0] <= scroll[1], scroll  # no sideways scrolling on the cover


@pytest.mark.parametrize(("width", "height"), [(PHONE, 844), (TABLET, 1280)])
@pytest.mark.parametrize("edition", ["yoko", "tate"])
def test_pages_scroll_only_as_the_text_runs(
    browser, editions: dict[str, Path], edition: str, width: int, height: int
) -> None:
    """No page of an EPUB is wider than the screen in horizontal writing, or taller in vertical
    writing, where a paginating reader would cut it: tables too wide for a phone turn with the
    vertical text instead of standing in it as horizontal islands."""
    vertical = edition == "tate"
    over = []
    for path in sorted(editions[edition].rglob("*.xhtml")):
        context, page = open_page(browser, path, width, height)
        size, screen = page.evaluate(
            "[document.documentElement.scrollHeight, innerHeight]"
            if vertical
            else "[document.documentElement.scrollWidth, innerWidth]"
        )
        context.close()
        if size > screen:
            over.append((path.name, size, screen))
    assert not over, over
