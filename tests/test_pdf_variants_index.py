"""The 索引 of the print-shop and vertical PDFs: the same order and pages as the A5 PDF's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from test_index import BOOK_ORDER, check_pdf_index, pdf_index_lines
from test_pdf import vertical_text

from sangokushi import fidelity
from support import BOOK, BY_NAME, pdftotext

HEADINGS = [heading for group in BOOK_ORDER.values() for heading in group]


def chapter_pages(pdf: Path, title: str, following: str) -> range:
    """The 0-based pages from the bookmark ``title`` up to the one of ``following``."""
    reader = PdfReader(pdf)
    outline = {
        o.title: reader.get_destination_page_number(o)
        for o in reader.outline
        if not isinstance(o, list)
    }
    return range(outline[title], outline[following])


@pytest.mark.slow
def test_print_pdf_index_is_the_a5_index(book: Path) -> None:
    # The print-shop PDF is the A5 book on a larger sheet, without bookmarks: its index pages
    # hold the same text as the A5 PDF's, whose order and pages check_pdf_index verifies.
    a5 = BY_NAME["pdf"].published(book)
    printed = BY_NAME["pdf-print"].published(book)
    check_pdf_index(a5, BOOK_ORDER, "序章")
    # The same pages, and blank ones before the 奥付 up to a multiple of 4 (tests/test_press.py).
    a5_pages = len(PdfReader(a5).pages)
    assert len(PdfReader(printed).pages) == a5_pages + (-a5_pages % 4)
    lines = []
    for page in chapter_pages(a5, "索引", "奥付"):
        same = pdf_index_lines(printed, page + 1, page + 1)
        assert same == pdf_index_lines(a5, page + 1, page + 1), page + 1
        lines += same
    assert "索引" in lines and all(any(h in line for line in lines) for h in HEADINGS)


@pytest.mark.slow
def test_tate_pdf_index_in_reading_order(book: Path, tmp_path: Path) -> None:
    tate = BY_NAME["pdf-tate"].published(book)
    pages = chapter_pages(tate, "索引", "奥付")
    assert len(pages) >= 1
    # Each page's two 段, the upper first, column by column right to left.
    parts = []
    reader = PdfReader(tate)
    for page in pages:
        single = tmp_path / f"index-{page}.pdf"
        writer = PdfWriter()
        writer.add_page(reader.pages[page])
        writer.write(single)
        parts += [vertical_text(single, (0, 0.5)), vertical_text(single, (0.5, 1))]
    text = "".join(parts)
    at = 0
    for heading in HEADINGS:
        found = re.compile(re.escape(fidelity.normalize(heading)) + r"(\d+(?:、\d+)*)")
        match = found.search(text, at)
        assert match, (heading, text[at : at + 80])
        at = match.end()


MARK = re.compile(r"\\yomimark\{([^}]+)\}(?:\\yomimark\{[^}]+\})*([^\\{}\s]{2})")


@pytest.mark.parametrize("name", ["pdf", "pdf-tate"])
def test_every_index_mark_is_on_the_page_of_its_word(book: Path, name: str) -> None:
    # A mark stays with the word after it: a line or page break between them would send the
    # index to the page before the word (it did in the vertical PDF, for OpenAI on p. 11).
    edition = BY_NAME[name]
    tex = (edition.workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    marks = MARK.findall(tex)
    assert len(marks) > 20
    reader = PdfReader(edition.published(book))
    destinations = reader.named_destinations
    pages: dict[int, str] = {}
    misplaced = []
    for label, word in marks:
        number = reader.get_destination_page_number(destinations[label])
        if number not in pages:
            raw = pdftotext(
                edition.published(book), "-raw", "-f", str(number + 1), "-l", str(number + 1)
            )
            pages[number] = fidelity.normalize(raw)
        if fidelity.normalize(word) not in pages[number]:
            misplaced.append(f"{label}: {word} not on page {number + 1}")
    assert misplaced == []
