"""Japanese typography: no forbidden line starts in any edition (Chromium), joined soft breaks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import EPUBS, PHONE, SCREENSHOTS, TABLET, html_pages, launch, unpack

from sangokushi.jatext import is_wide, join_lines, phrase_html, phrases
from support import BY_NAME

# JIS X 4051 characters that may not start a line (行頭禁則): closing brackets, hyphens,
# dividing punctuation, middle dots, full stops, commas, iteration marks, ー, small kana.
FORBIDDEN_AT_LINE_START = (
    "’”）〕］｝〉》」』】〙〗〟)]}»"
    "‐〜゠–"
    "？！‼⁇⁈⁉?!"
    "・：；:;"
    "。．.、，,"
    "ヽヾゝゞ々〻ー"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)

# Each character's box (Range.getClientRects); a character starts a line when its box
# is a line further on than the previous one's: below it (横書き) or left of it (縦書き).
LINE_STARTS = """
(forbidden) => {
  const blocks = 'p, li, h1, h2, h3, h4, td, th, dt, dd, caption, figcaption';
  const found = [];
  let lines = 0;
  for (const block of document.querySelectorAll(blocks)) {
    if (block.querySelector(blocks)) continue;
    const vertical = getComputedStyle(block).writingMode.startsWith('vertical');
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement.closest('rt, rp')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    let prev = null;
    let seen = '';
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.data.length; i++) {
        const ch = node.data[i];
        seen += ch;
        if (/\\s/.test(ch)) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (prev) {
          const step = vertical
            ? (prev.left + prev.right - r.left - r.right) / 2
            : (r.top + r.bottom - prev.top - prev.bottom) / 2;
          const size = vertical ? Math.max(r.width, prev.width) : Math.max(r.height, prev.height);
          const next = step > size / 2;
          if (next) {
            lines += 1;
            if (forbidden.includes(ch)) found.push(seen.slice(-12));
          }
        }
        prev = r;
      }
    }
  }
  return {lines, found};
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture(scope="module")
def documents(book: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Each edition's pages: the two EPUBs unpacked (spine order) and the HTML."""
    docs = {
        name: unpack(book / epub, tmp_path_factory.mktemp(name)) for name, epub in EPUBS.items()
    }
    docs["html"] = html_pages(book / "html")
    return docs


@pytest.mark.slow
@pytest.mark.parametrize("width", [PHONE, TABLET])
@pytest.mark.parametrize("edition", ["yoko", "tate", "html"])
def test_no_forbidden_character_starts_a_line(
    browser, documents: dict[str, list[Path]], edition: str, width: int
) -> None:
    """Every page at phone and tablet width, light and dark (screenshots for the eye)."""
    started = time.monotonic()
    height = 844 if width == PHONE else 1180
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = context.new_page()
    shots = SCREENSHOTS / "typography" / f"{edition}-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    problems, lines = [], 0
    for doc in documents[edition]:
        page.goto(doc.as_uri())
        page.wait_for_load_state("load")
        result = page.evaluate(LINE_STARTS, FORBIDDEN_AT_LINE_START)
        lines += result["lines"]
        problems += [f"{doc.name}: …{text}" for text in result["found"]]
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            if edition == "html":
                page.evaluate(f"document.documentElement.dataset.theme = '{scheme}'")
            page.screenshot(path=str(shots / f"{doc.stem}-{scheme}.png"), full_page=True)
        page.emulate_media(color_scheme="light")
    context.close()
    assert lines > 20, "no line breaks measured: the test would find nothing"
    assert problems == [], "\n".join(problems)
    print(f"{edition} {width}px: {lines} line starts, {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("用い、\n著者", "用い、著者"),
        ("一つも\n失われて", "一つも失われて"),
        ("Latin\nwords", "Latin words"),
        ("LLM\n三国志", "LLM 三国志"),
        ("三国志 \n の", "三国志の"),
        ("終わり\n", "終わり "),
    ],
)
def test_soft_breaks_between_japanese_characters_are_dropped(text: str, joined: str) -> None:
    assert join_lines(text) == joined


def test_break_at_a_node_boundary_looks_at_the_neighbours() -> None:
    assert join_lines("\n著者", before="、") == "著者"
    assert join_lines("著者\n", after="a") == "著者 "


def test_wide_characters() -> None:
    assert all(is_wide(c) for c in "漢かカ、。「」ｶ！")
    assert not any(is_wide(c) for c in "aA1.!한")


def test_headings_break_between_phrases() -> None:
    assert phrases("Llama 2の登場でLLM三国志が始まった") == [
        "Llama 2の",
        "登場で",
        "LLM三国志が",
        "始まった",
    ]
    assert phrase_html("OpenAI") == "OpenAI"
    assert phrase_html("魏 — OpenAI<") == "魏 — OpenAI&lt;"


def test_every_edition_reads_the_source_without_stray_spaces(book: Path) -> None:
    """編集注記's source has line breaks inside sentences: no edition shows a space there."""
    page = (book / "html" / "appendix" / "editorial-notes.html").read_text(encoding="utf-8")
    assert "用い、著者の言葉" in page
    assert "用い、 著者" not in page and "用い、\n著者" not in page
    tex = next(BY_NAME["pdf"].workdir(book).glob("*.tex")).read_text(encoding="utf-8")
    assert "用い、著者の言葉" in tex


@pytest.mark.parametrize("width", [PHONE, TABLET])
def test_pages_fit_the_screen(browser, documents: dict[str, list[Path]], width: int) -> None:
    """No horizontal page is wider than the screen; the vertical book's cover is not either
    (a vertical page scrolls sideways by design, its cover must not)."""
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="ja-JP")
    page = context.new_page()
    pages = [*documents["yoko"], *[d for d in documents["tate"] if "cover" in d.name]]
    assert any("cover" in d.name for d in pages)
    wide = []
    for doc in pages:
        page.goto(doc.as_uri())
        page.wait_for_load_state("load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide.append(f"{doc.parent.name}/{doc.name}: {scroll} px")
    context.close()
    assert wide == [], "\n".join(wide)
