"""The analogy boxes and 対照表 in the PDFs: figure tables whole, 対照表 a table, ＝ tight."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from support import BY_NAME, page_words, pdftotext

DOCS = Path(__file__).parent.parent / "docs"
PDF = "pdf/llm-sangokushi.pdf"


def pages(pdf: Path, *options: str) -> list[str]:
    return pdftotext(pdf, *options).split("\f")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def box_figures() -> list[list[tuple[str, str]]]:
    boxes = []
    for source in sorted(DOCS.rglob("*.md")):
        for line in re.findall(r"^:figures:(.*)$", source.read_text(encoding="utf-8"), re.M):
            pairs = [pair.split("=", 1) for pair in line.split(";") if "=" in pair]
            boxes.append([(flat(modern), flat(historical)) for modern, historical in pairs])
    return boxes


def test_figure_tables_are_never_split(book: Path) -> None:
    layout = [flat(page) for page in pages(book / PDF, "-layout")]  # a row's cells on one line
    boxes = box_figures()
    assert boxes
    for figures in boxes:
        table = "現代三国志" + "".join(modern + historical for modern, historical in figures)
        assert any(table in page for page in layout), figures


HEADS = ["番号", "現代", "三国志", "人物", "説明の箇所", "ほかに出る章"]
PDFS = ["pdf", "pdf-print", "pdf-tate", "pdf-tate-print"]
Word = tuple[float, float, float, float, str]


def box_names(folder: Path = DOCS) -> set[tuple[str, str]]:
    """Each box's (modern, historical), as the book's sources give them."""
    names = set()
    for source in sorted(folder.rglob("*.md")):
        text = source.read_text(encoding="utf-8")
        for modern, historical in re.findall(r"^:modern: (.*)\n:historical: (.*)$", text, re.M):
            names.add((modern.strip(), historical.strip()))
    return names


def head_rows(
    pdf: Path, vertical: bool, heads: list[str]
) -> list[tuple[int, dict[str, Word], list[Word]]]:
    """Every page whose words hold the table's ``heads`` in one row, left to right (in
    vertical setting one column, top to bottom): the page, each head's word and all words."""
    found = []
    for number in range(1, len(PdfReader(pdf).pages) + 1):
        words = page_words(pdf, number)
        named = {w[4]: w for w in words if w[4] in heads}
        if len(named) < len(heads):
            continue
        row = [named[head] for head in heads]
        across, along = (0, 1) if vertical else (1, 0)  # the row's axis, the cells' axis
        if all(abs(w[across] - row[0][across]) < 0.5 for w in row) and all(
            a[along] < b[along] for a, b in itertools.pairwise(row)
        ):
            found.append((number, named, words))
    return found


def cell_of(word: Word, named: dict[str, Word], heads: list[str], vertical: bool) -> str:
    """The head of the column ``word`` starts in."""
    along = 1 if vertical else 0
    inside = [head for head in heads if word[along] >= named[head][along] - 0.5]
    return inside[-1] if inside else ""


def overlap(a: Word, b: Word, axis: int) -> bool:
    """Whether two words' boxes overlap along ``axis`` (0: x, 1: y)."""
    return a[axis] < b[axis + 2] and b[axis] < a[axis + 2]


def table_rows(
    pdf: Path, vertical: bool, heads: list[str], names: set[tuple[str, str]]
) -> tuple[list[int], dict[str, str]]:
    """The pages that set the table's heads in one row, and each box's number by its modern
    name where the number, the modern and the historical name stand in their columns (the
    first, second and third) in one row after the heads (below them; left of them in vertical
    setting), on such a page: a table that breaks without its head repeated loses rows."""
    number_head, modern_head, historical_head = heads[:3]
    across = 0 if vertical else 1
    rows: dict[str, str] = {}
    pages = head_rows(pdf, vertical, heads)
    for _page, named, words in pages:
        head = named[number_head]
        body = [w for w in words if (w[2] < head[0] if vertical else w[1] > head[3])]
        for modern, historical in names:
            pair = [
                [w for w in body if w[4] == text and cell_of(w, named, heads, vertical) == column]
                for text, column in ((modern, modern_head), (historical, historical_head))
            ]
            numbers = [
                w
                for w in body
                if w[4].isdigit() and cell_of(w, named, heads, vertical) == number_head
            ]
            for left, right in itertools.product(*pair):
                row = [n for n in numbers if overlap(n, left, across)]
                if overlap(left, right, across) and row:
                    rows[modern] = row[0][4]
    return [page for page, _named, _words in pages], rows


@pytest.mark.parametrize("name", PDFS)
def test_correspondence_is_a_table_in_every_pdf(book: Path, name: str) -> None:
    """対照表 in each PDF: its six plain Japanese heads in one row (a column in vertical
    setting), on every page the table goes on to; each box's number, modern and historical
    name in their own columns and in one row, after the heads."""
    edition = BY_NAME[name]
    pdf = edition.published(book)
    names = box_names()
    pages, rows = table_rows(pdf, edition.vertical, HEADS, names)
    assert pages, f"{name}: no page sets 対照表's heads in one row"
    assert sorted(rows) == sorted(modern for modern, _ in names), (name, rows)
    assert sorted(rows.values()) == [str(n) for n in range(1, len(names) + 1)], (name, rows)
    for page in pages:
        assert "定義箇所" not in pdftotext(pdf, "-f", str(page), "-l", str(page))


def all_sources() -> str:
    return "".join(source.read_text(encoding="utf-8") for source in sorted(DOCS.rglob("*.md")))


def test_full_width_equals_is_tight_and_table_refers_to_nothing(book: Path) -> None:
    text = "".join(pages(book / PDF))
    assert "Microsoft＝司馬懿" in text
    assert not re.search(r"[ \t\u3000]＝|＝[ \t\u3000]", text)
    # the 対照表 lists every box: it is never one of the chapters a box appears in
    assert not re.search(r"(ほかに出る章：|、)\s*対照表（", text)
