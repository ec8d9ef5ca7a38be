"""Tables that read on A5 and on a phone: no word or name broken in a cell (sangokushi.tables)."""

from __future__ import annotations

import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import EPUBS, PHONE, TABLET, launch, unpack
from pypdf import PdfReader
from test_pdf import CHAPTER, chapter_label

from sangokushi import fidelity
from sangokushi.jatext import is_wide, phrases
from sangokushi.tables import joined
from support import BY_NAME, DOCS, page_words, pdftotext

HEAD = ["番号", "箇所・種別", "原文", "変更後", "理由"]
NOTES = "appendix/editorial-notes"
FONT_PT = 9.5  # the A5 版面's 字
LETTER = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]")


def cells(book: Path) -> list[str]:
    """Every cell of 編集注記 as printed in the horizontal editions (ruby as its base)."""
    notes = (DOCS / f"{NOTES}.md").read_text(encoding="utf-8")
    table = notes[notes.index(":::{list-table}") : notes.index("\n:::\n", notes.index(":::{list"))]
    found = []
    for row in re.split(r"\n\* - ", table)[1:]:
        for cell in re.split(r"\n  - ", row):
            cell = fidelity.RUBY.sub(r"\1", cell.strip())
            found.append(CHAPTER.sub(lambda m: chapter_label(book, m[1]), cell))
    return found


def width(text: str) -> float:
    """``text``'s width in 字: a half-width character is half of one."""
    return sum(1 if is_wide(c) or unicodedata.east_asian_width(c) == "A" else 0.5 for c in text)


def inner_pairs(texts: list[str]) -> dict[str, float]:
    """Pairs of letters that stand inside one BudouX phrase and never across two, each with
    the width of the widest phrase that holds it."""
    inside: dict[str, float] = {}
    across: set[str] = set()
    for text in texts:
        parts = joined(phrases(text))
        for part in parts:
            for a, b in itertools.pairwise(part):
                inside[a + b] = max(inside.get(a + b, 0), width(part))
        across |= {a[-1] + b[0] for a, b in itertools.pairwise(parts) if a and b}
    return {
        p: n
        for p, n in inside.items()
        if p not in across and LETTER.fullmatch(p[0]) and LETTER.fullmatch(p[1])
    }


def cell_lines(pdf_path: Path, head: list[str]) -> list[tuple[float, list[str]]]:
    """Each column's width in 字 and its lines of text, over every page with the head row."""
    columns: list[list[tuple[int, int, float, str]]] = [[] for _ in head]
    widths = [0.0 for _ in head]
    for number in range(1, len(PdfReader(pdf_path).pages) + 1):
        found = page_words(pdf_path, number)
        starts = [next((w[0] for w in found if w[4].startswith(name[:2])), None) for name in head]
        if None in starts:
            continue
        right = max(w[2] for w in found)
        widths = [(b - a) / FONT_PT for a, b in zip(starts, [*starts[1:], right], strict=True)]
        top = min(w[1] for w in found if w[4].startswith(head[0][:2]))
        line, last = 0, None
        for x0, y0, _, y1, word in sorted(found, key=lambda w: w[3]):
            if last is not None and y1 - last > 3:
                line += 1
            last = y1
            if top <= y0 and y1 <= fidelity.BODY_BOTTOM:  # the table only
                column = max(i for i, start in enumerate(starts) if start <= x0 + 5 or i == 0)
                columns[column].append((number, line, x0, word))
    lines = []
    for span, column in zip(widths, columns, strict=True):
        joined: dict[tuple[int, int], str] = {}
        for number, line, _, word in sorted(column):
            joined[(number, line)] = joined.get((number, line), "") + word
        lines.append((span, list(joined.values())))
    return lines


def split_words(lines: list[tuple[float, list[str]]], inner: dict[str, float]) -> list[str]:
    """Line ends that cut a phrase: the last letter of a line and the first of the next,
    unless the phrase is wider than its column (it cannot but break)."""
    cuts = []
    for span, column in lines:
        for a, b in itertools.pairwise(column):
            pair = a[-1:] + b[:1]
            if pair in inner and inner[pair] <= span - 1:  # less the padding
                cuts.append(f"{a}/{b}")
    return cuts


@pytest.mark.parametrize("edition", ["pdf", "pdf-print"])
def test_pdf_cells_break_between_phrases(book: Path, edition: str) -> None:
    inner = inner_pairs(cells(book))
    assert {"帝国", "馬懿", "削除"} <= set(inner)  # names and words the essay's cells hold
    lines = cell_lines(book / BY_NAME[edition].output, HEAD)
    assert sum(len(column) for _, column in lines) > 100
    assert split_words(lines, inner) == []


# -- HTML and EPUB in Chromium ---------------------------------------------------------------

# Each cell's text (labels and ruby readings left out), the indices where a new line starts and
# the cell's width in 字.
CELL_LINES = """
(() => [...document.querySelectorAll('td')].map((td) => {
  const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  let text = '';
  const breaks = [];
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.cell-label, .analogy-cell-label, rt, rp')) continue;
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (box && node.data[i].trim()) {
        if (last && box.top > last.top + last.height / 2) breaks.push(text.length);
        last = box;
      }
      text += node.data[i];
    }
  }
  const style = getComputedStyle(td);
  const inner = td.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [text, breaks, inner / parseFloat(style.fontSize)];
}))()
"""
OVERFLOW = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture(scope="module")
def pages(book: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tables' pages in the HTML and the horizontal EPUB."""
    unpacked = unpack(book / EPUBS["yoko"], tmp_path_factory.mktemp("yoko"))
    epub = {p.relative_to(p.parents[1]).as_posix(): p for p in unpacked}
    found = {}
    for name in (NOTES, "appendix/correspondence"):
        found[f"html:{name}"] = book / "html" / f"{name}.html"
        found[f"epub:{name}"] = epub[f"{name}.xhtml"]
    return found


def phrase_cuts(text: str, breaks: list[int], room: float) -> list[str]:
    """Breaks between two letters of one phrase (after punctuation or a space a line may break:
    JIS X 4051 and Latin words), but for a phrase wider than the ``room`` of its cell."""
    spans, at = [], 0
    for part in joined(phrases(text)):
        spans.append((at, at + len(part), width(part)))
        at += len(part)
    return [
        f"{text[:b]}/{text[b:]}"
        for b in breaks
        for start, end, wide in spans
        if start < b < end
        and wide <= room
        and LETTER.fullmatch(text[b - 1])
        and LETTER.fullmatch(text[b])
    ]


@pytest.mark.parametrize("width", [PHONE, TABLET])
def test_cells_break_between_phrases_and_fit_the_screen(
    browser, pages: dict[str, Path], width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="ja-JP")
    page = context.new_page()
    cut, wide, lines = [], [], 0
    for name, path in pages.items():
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        scroll, client = page.evaluate(OVERFLOW)
        if scroll > client:
            wide.append(f"{name}: {scroll} > {client}")
        for text, breaks, room in page.evaluate(CELL_LINES):
            lines += len(breaks)
            cut += [f"{name}: {c}" for c in phrase_cuts(text, breaks, room)]
        if NOTES in name:
            # No table scrolls sideways: each row stacks, each cell under its column's label.
            inner = page.evaluate(
                "[...document.querySelectorAll('table')].map(t => "
                "[t.scrollWidth, t.parentElement.clientWidth])"
            )
            assert inner and all(s <= c for s, c in inner), (name, inner)
            labels = page.evaluate(
                "[...document.querySelectorAll('table.stacked td .cell-label')]"
                ".filter(e => e.getBoundingClientRect().width > 0).length"
            )
            assert labels >= 5 * 24, (name, labels)
    context.close()
    assert wide == []
    assert lines > 10  # cells do wrap: the check has something to check
    assert cut == []


CORRESPONDENCE = ["番号", "現代", "三国志", "人物", "説明の箇所", "ほかに出る章"]


def test_correspondence_is_a_table_with_plain_headings(book: Path) -> None:
    """対照表: a table in the HTML and both EPUBs, its heads in plain Japanese (no 定義箇所 or
    参照元); the PDFs' table (test_analogy_book) has the same heads."""
    pages = [(book / "html" / "appendix" / "correspondence.html").read_text(encoding="utf-8")]
    for epub in EPUBS.values():
        with zipfile.ZipFile(book / epub) as ocf:
            pages.append(ocf.read("appendix/correspondence.xhtml").decode())
    for page in pages:
        page = re.sub(r"<wbr ?/>", "", page)
        heads = re.findall(r"<th[^>]*>(?:<p>)?(.*?)(?:</p>)?</th>", page)
        assert heads == CORRESPONDENCE, heads
        assert page.count("<tr") == 1 + 5  # the head row and one row a box
    text = re.sub(r"\s", "", pdftotext(book / BY_NAME["pdf"].output))
    for page in [*pages, text]:
        assert "定義箇所" not in page and "参照元" not in page
    layout = re.sub(r"\s", "", pdftotext(book / BY_NAME["pdf"].output, "-layout"))
    assert "".join(CORRESPONDENCE) in layout  # the heads in one row
