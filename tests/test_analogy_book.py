"""The analogy boxes and the 対照表 in the book's A5 PDF: tables whole, entries whole, ＝ tight."""

from __future__ import annotations

import re
from pathlib import Path

from support import pdftotext

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


def test_correspondence_entries_stay_on_one_page(book: Path) -> None:
    listed = 0
    for page in pages(book / PDF):
        lines = [line.strip() for line in page.splitlines()]
        terms = sum(bool(re.fullmatch(r"比喩\s*\d+(\s.*≒.*)?", line)) for line in lines)
        defined = sum(line.startswith("説明の箇所：") for line in lines)
        referenced = sum(line.startswith("ほかに出る章：") for line in lines)
        if defined:
            # every entry's title and its 説明の箇所 line on the same page, no line carried over
            assert terms == defined, page
            assert referenced <= terms, page
            assert not lines[0].startswith(("人物：", "説明の箇所：", "ほかに出る章：")), page
            listed += defined
    assert listed == len(re.findall(r"^:::\{analogy\}", all_sources(), re.M))


def all_sources() -> str:
    return "".join(source.read_text(encoding="utf-8") for source in sorted(DOCS.rglob("*.md")))


def test_full_width_equals_is_tight_and_table_refers_to_nothing(book: Path) -> None:
    text = "".join(pages(book / PDF))
    assert "Microsoft＝司馬懿" in text
    assert not re.search(r"[ \t\u3000]＝|＝[ \t\u3000]", text)
    # the 対照表 lists every box: it is never one of the chapters a box appears in
    assert not re.search(r"(ほかに出る章：|、)\s*対照表（", text)
