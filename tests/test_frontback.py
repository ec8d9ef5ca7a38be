"""The proofreader's text fixes: subtitle dashes, table continuations, 扉 and 奥付 facts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from sangokushi import fidelity
from support import BOOK, BY_NAME, pdftotext

PDF = "pdf/llm-sangokushi.pdf"
EPUB = "epub/llm-sangokushi.epub"
SUBTITLE = "――デファクトとして先行する強力な帝国"


def pdf_text(book: Path) -> str:
    return pdftotext(book / PDF)


def test_subtitles_lead_with_the_same_two_dashes_in_every_edition(book: Path) -> None:
    html = fidelity.html_text((book / "html" / "wei.html").read_text(encoding="utf-8"))
    with zipfile.ZipFile(book / EPUB) as epub:
        xhtml = fidelity.html_text(epub.read("wei.xhtml").decode())
    for text in (fidelity.normalize(html), fidelity.normalize(xhtml)):
        assert SUBTITLE in text and "—デファクト" not in text
    pdf = fidelity.normalize(pdf_text(book))
    # The author's single dash is left only in the 編集注記 row that lists the change.
    assert SUBTITLE in pdf and pdf.count("—デファクト") == 1


def test_table_continuations_are_japanese_and_unnumbered(book: Path) -> None:
    tex = (BY_NAME["pdf"].workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    assert r"\sphinxtablecontinued{（前ページから続く）}" in tex
    assert r"\sphinxtablecontinued{（次ページに続く）}" in tex
    assert "前のページからの続き" not in tex and r"\textendash" not in tex
    assert "表 1" not in pdf_text(book)


def test_colophon_names_publisher_editors_and_the_epub_tools(book: Path) -> None:
    page = fidelity.html_text(
        (book / "html" / "appendix" / "colophon.html").read_text(encoding="utf-8")
    )
    epub = fidelity.epub_edition_text(book / EPUB)
    for text in (page, epub):
        for fact in (
            "発行：llm-sangokushi",
            "編集：llm-sangokushi編集部",
            "著者：著者名の記載なし",
        ):
            assert fact in fidelity.normalize(text).replace(":", "："), fact
    for tool in ("Sphinx", "MyST-Parser", "原ノ味"):
        assert tool in epub, tool
    # The tools a reader knows, no internal module or library names.
    for internal in ("sangokushi.ebook", "BudouX", "Pillow"):
        assert internal not in epub, internal
    title_page = fidelity.html_text((book / "html" / "index.html").read_text(encoding="utf-8"))
    assert "著者名の記載なし" not in title_page


def test_editorial_notes_show_the_ruby_change_as_printed(book: Path) -> None:
    page = (book / "html" / "appendix" / "editorial-notes.html").read_text(encoding="utf-8")
    # Each cell leads with its column's header for phones (sangokushi.tables): not its text.
    page = re.sub(r'<span class="cell-label">[^<]*</span>', "", page)
    row = page[page.index("<td><p>17</p></td>") :].split("</tr>")[0]
    cells = re.findall(r"<td><p>(.*?)</p></td>", row)
    # 原文 as the essay had it, 変更後 with the ruby (not moved into the quoted original).
    assert cells[2] == "司馬懿(しばい)"
    assert cells[3].startswith("<ruby>司馬懿<rp>(</rp><rt>しばい</rt>")
