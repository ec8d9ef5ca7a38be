"""Page makeup of the PDFs (issue 20): no page left part empty, no letter-spaced line, the grid."""

from __future__ import annotations

from pathlib import Path

import pytest
from makeup import fill, grid_share, may_end_short, sheets

from sangokushi.fidelity import normalize
from sangokushi.page import PageDesign
from support import BY_NAME, FACTS, page_words

# A page inside a chapter is filled to at least this share of its 版面 (from the top of the
# 版面 to its last line, or from its first column to its last in 縦組). A box, table or code
# block longer than the space left breaks there; what may still be left is the room too small
# for a box's title and figures (with the continuation mark) or for a table's head, first row
# and foot: up to a third of a page (6 of 18 縦組 lines, 9 of 28 横組 lines). Half-empty pages
# (a box kept whole on the next page: 0.55 on 第四章's opening in 縦組) fail.
FILLED = 0.65
PDFS = {"pdf": False, "pdf-print": False, "pdf-tate": True}


def underfilled(pdf: Path, tate: bool, page: PageDesign) -> list[str]:
    """Pages inside a chapter filled less than ``FILLED``, named with their share."""
    found = sheets(pdf, page, tate)
    short = may_end_short(found)
    return [
        f"{pdf.name} page {number}: {share:.0%} of the 版面 filled"
        for number, share in fill(found, page, tate).items()
        if number not in short and share < FILLED
    ]


@pytest.mark.parametrize("edition", PDFS)
def test_no_page_is_left_part_empty(book: Path, edition: str) -> None:
    tate = PDFS[edition]
    page = FACTS.tate_page if tate else FACTS.page
    assert underfilled(BY_NAME[edition].published(book), tate, page) == []


def test_a_box_longer_than_the_room_left_breaks_with_marks(book: Path) -> None:
    # 比喩2 starts at the foot of 第2章's opening page and goes on overleaf, marked both sides.
    pdf = BY_NAME["pdf"].published(book)
    pages = [normalize("".join(w[4] for w in page_words(pdf, n))) for n in range(1, 23)]
    start = next(n for n, text in enumerate(pages) if "比喩2" in text)
    assert "続く" in pages[start] and "三国志" in pages[start]
    assert "比喩2" in pages[start + 1] and "続き" in pages[start + 1]
    assert "続く" not in pages[start + 1]


# 行取り: body text keeps to the 版面's line grid after headings, boxes and tables, so the lines
# of facing pages and of both sides of a leaf align. What is off it: the rows of a table (set
# by the table, not the grid: 編集注記 is a third of this book's lines of text) and the
# index's entries. Before boxes and tables returned to the grid, 57 % of the lines were on it.
ON_GRID = 0.7


@pytest.mark.parametrize("edition", ["pdf", "pdf-print"])
def test_body_lines_keep_to_the_line_grid(book: Path, edition: str) -> None:
    found = sheets(BY_NAME[edition].published(book), FACTS.page, tate=False)
    share, off = grid_share(found, FACTS.page)
    assert share >= ON_GRID, f"{share:.0%} of the lines on the grid; off it:\n" + "\n".join(off)
