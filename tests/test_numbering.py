"""Chapter numbers, phrase breaks and e-book styles, the same in HTML and both EPUBs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from chromium import EPUBS

from sangokushi.tate import kansuji

CHAPTERS = {
    "wei": "第1章　魏 — OpenAI",
    "shu": "第2章　蜀 — Google",
    "wu": "第3章　呉 — Meta",
    "yuan-shao": "第4章　袁紹 — Anthropic",
    "wudoumi": "第5章　五斗米道 — xAI",
    "appendix/correspondence": "付録A　対照表",
    "appendix/editorial-notes": "付録B　編集注記",
}
UNNUMBERED = {"prologue": "序章", "appendix/colophon": "奥付"}
TAG = re.compile(r"<[^>]+>")


def text(markup: str) -> str:
    return TAG.sub("", markup)


def vertical(title: str) -> str:
    """A label as the vertical editions print it: 第一章."""
    return re.sub(r"第(\d+)章", lambda m: f"第{kansuji(int(m[1]))}章", title)


def epub_file(book: Path, edition: str, name: str) -> str:
    with zipfile.ZipFile(book / EPUBS[edition]) as ocf:
        return ocf.read(name).decode("utf-8")


def test_html_headings_and_sidebar_are_numbered(book: Path) -> None:
    for docname, title in CHAPTERS.items():
        page = (book / "html" / f"{docname}.html").read_text(encoding="utf-8")
        heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
        assert heading and text(heading.group(1)).startswith(title), docname
        assert f"<title>{title.replace('　', ' ')}" in page or f"<title>{title}" in page
    index = text((book / "html" / "index.html").read_text(encoding="utf-8"))
    for title in CHAPTERS.values():
        assert title in index
    for docname, title in UNNUMBERED.items():
        page = (book / "html" / f"{docname}.html").read_text(encoding="utf-8")
        heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
        assert heading and text(heading.group(1)).startswith(title), docname
        assert "章" not in text(heading.group(1)).replace(title, "")


def test_epub_navigation_and_headings_are_numbered(book: Path) -> None:
    for edition in EPUBS:
        nav = text(epub_file(book, edition, "nav.xhtml"))
        ncx = text(epub_file(book, edition, "toc.ncx"))
        for docname, title in CHAPTERS.items():
            title = vertical(title) if edition == "tate" else title
            assert title in nav, (edition, title)
            assert title in ncx, (edition, title)
            chapter = text(epub_file(book, edition, f"{docname}.xhtml"))
            assert title in chapter, (edition, docname)
        assert "序章" in nav and "第0章" not in nav and "付録C" not in nav


def test_headings_break_between_phrases(book: Path) -> None:
    index = (book / "html" / "index.html").read_text(encoding="utf-8")
    assert "Llama 2の<wbr />登場で<wbr />LLM三国志が<wbr />始まった" in index
    # lxml writes the pages it marks with print page numbers: <wbr/> is the same element.
    chapter = epub_file(book, "yoko", "wei.xhtml").replace("<wbr/>", "<wbr />")
    assert "先行する<wbr />強力な<wbr />帝国" in chapter


def test_ebook_styles_are_japanese_and_variable_free(book: Path) -> None:
    for edition in EPUBS:
        for name in ("_static/ebook.css", "_static/sangokushi-book.css", "_static/book.css"):
            css = epub_file(book, edition, name)
            assert "var(" not in css, (edition, name)
        css = epub_file(book, edition, "_static/ebook.css")
        for rule in ("line-break: strict", "-epub-line-break: strict", "line-height: 1.75"):
            assert rule in css, (edition, rule)
        assert "text-indent: 1em" in css
    html_css = (book / "html" / "_static" / "sangokushi-book.css").read_text(encoding="utf-8")
    assert "line-break: strict" in html_css
