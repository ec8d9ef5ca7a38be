"""One number and punctuation policy in every vertical edition (sangokushi.tate)."""

from __future__ import annotations

import itertools
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_pdf import TATE_PAGE

from sangokushi import fidelity
from sangokushi.build import latex as pdf
from sangokushi.page import body_band
from sangokushi.tate import ORIENTED, PARENTHESES, TCY_DIGITS, kansuji, orient
from support import BY_NAME, page_words, pdftotext, sphinx_build

TATE_PDF = BY_NAME["pdf-tate"].output
TATE_EPUB = BY_NAME["epub-tate"].output
DIGITS = re.compile(r"[0-9]+")
SPAN = re.compile(r'<span class="(tcy|upright)">([^<]*)</span>')


def digit_words(pdf_path: Path, number: int, band: tuple[float, float]) -> list[tuple]:
    """Words of a page's text block that are digits only, but for a Latin name's (Llama 2)."""
    head, foot = band
    words = page_words(pdf_path, number)

    def after_latin(w: tuple) -> bool:
        # A Latin word just above it in the same column.
        return any(
            re.search(r"[A-Za-z]$", o[4]) and o[0] < w[2] and w[0] < o[2] and 0 <= w[1] - o[3] < 8
            for o in words
        )

    return [
        w
        for w in words
        if DIGITS.fullmatch(w[4]) and w[3] > head and w[1] < foot and not after_latin(w)
    ]


def misset_numbers(pdf_path: Path, band: tuple[float, float]) -> list[str]:
    """Numbers set against the policy: a word of more than ``TCY_DIGITS`` digits (set sideways,
    not digit by digit), a lone digit lying on its side, or a 縦中横 pair taller than wide."""
    wrong = []
    for number in range(1, len(PdfReader(pdf_path).pages) + 1):
        for x0, y0, x1, y1, word in digit_words(pdf_path, number, band):
            width, height = x1 - x0, y1 - y0
            if len(word) > TCY_DIGITS:
                wrong.append(f"p{number}: {word} sideways")
            elif len(word) == 1 and height < 1.5 * width:
                wrong.append(f"p{number}: {word} lies on its side")
            elif len(word) == 2 and width < height:
                wrong.append(f"p{number}: {word} not 縦中横")
    return wrong


# -- The essay -------------------------------------------------------------------------------


def test_vertical_pdf_sets_numbers_by_the_policy(book: Path) -> None:
    tate = book / TATE_PDF
    assert misset_numbers(tate, body_band(TATE_PAGE, tate=True)) == []
    copied = fidelity.normalize(pdftotext(tate, "-raw"))
    assert "2023年7月19日、Metaから" in copied
    assert "70億、130億、700億のパラメータ数" in copied  # upright digits copy as written


def test_a_number_after_a_comma_keeps_the_commas_half_space(book: Path) -> None:
    # 「70億、130億、700億」: after 、 its half 字 and then the upright digits, three 字 from 億、
    # to the next 億 (jlreq's 縦中横 added half a 字 more to the glue upLaTeX had set: 3.5). A
    # column set tight may take the 、's half 字 down to a quarter (JIS X 4051's 詰め: 2.72).
    tate = book / TATE_PDF
    size = TATE_PAGE.font_pt * 72 / 72.27
    steps = []
    for number in range(1, len(PdfReader(tate).pages) + 1):
        words = sorted(page_words(tate, number), key=lambda w: (w[0], w[1]))
        for before, after in itertools.pairwise(words):
            if before[0] == after[0] and before[4].endswith("億、") and after[4][0] == "億":
                steps.append((after[1] - before[3]) / size)
    assert len(steps) == 2, steps
    assert all(2.7 < step < 3.1 for step in steps), steps


def test_vertical_pdf_contents_folios_and_titles_are_upright(book: Path) -> None:
    tate = book / TATE_PDF
    contents = next(n for n in range(1, 8) if "目次" in "".join(w[4] for w in page_words(tate, n)))
    folios = digit_words(tate, contents, (0, 10_000))
    assert len(folios) >= 9, folios  # 序章 … 索引
    assert any(len(w[4]) == 2 for w in folios)
    for x0, y0, x1, y1, word in folios:
        if len(word) == 2:
            assert x1 - x0 > y1 - y0, word  # 縦中横: side by side across the column
        else:
            assert y1 - y0 > 1.5 * (x1 - x0), word
    # Titles follow the policy too: 終章's 「LLM」 stands letter by letter, as in the text.
    words = [w[4] for w in page_words(tate, contents)]
    assert "LLM" not in words and words.count("L") >= 2, words


def test_vertical_editions_widen_marks_and_parentheses(book: Path) -> None:
    tate = pdftotext(book / TATE_PDF, "-raw")
    with zipfile.ZipFile(book / TATE_EPUB) as epub:
        prologue = epub.read("prologue.xhtml").decode()
    for text in (re.sub(r"\s", "", tate), SPAN.sub(r"\2", prologue)):
        assert "これから何が起こるのだろう？" in text
        assert "当時（と言ってもたった2ヶ月半前だ）" in text
        assert "GPT-3.5（ChatGPTの無料版に搭載）" in text
        assert "大規模言語モデル（LLM）" in text
        assert "だろう?" not in text and "当時(" not in text
    # Horizontal editions keep the author's half-width marks.
    html = (book / "html" / "prologue.html").read_text(encoding="utf-8")
    assert "これから何が起こるのだろう?" in html and "当時(と言っても" in html


def test_chapter_labels_are_the_volumes_own(book: Path) -> None:
    """編集注記 names chapters as the headings of its edition do: 第一章 in vertical ones."""
    tate = re.sub(r"\s", "", pdftotext(book / TATE_PDF, "-raw"))
    with zipfile.ZipFile(book / TATE_EPUB) as epub:
        notes = SPAN.sub(r"\2", epub.read("appendix/editorial-notes.xhtml").decode())
        heading = epub.read("wei.xhtml").decode()
    for text in (tate, notes):
        assert "第一章（見出し）" in text and "第五章（表記）" in text
        assert not re.search(r"第[0-9]+章", text)
    assert "第一章" in SPAN.sub(r"\2", heading)
    html = (book / "html" / "appendix" / "editorial-notes.html").read_text(encoding="utf-8")
    html = html.replace("<wbr />", "")
    assert "第1章（見出し）" in html and "第一章" not in html
    assert "第1章の前の区切り" in html


# -- A small book -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tate_pdf(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = sphinx_build(
        rootdir / "test-tate", tmp_path_factory.mktemp("pdf"), "latex", book_pdf_variant="tate"
    )
    assert built.warnings == ""
    return pdf.build_pdf(built.outdir / "tate.tex")


@pytest.fixture(scope="module", params=["horizontal", "vertical"])
def epub_pages(
    request: pytest.FixtureRequest, rootdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, str]]:
    built = sphinx_build(
        rootdir / "test-tate",
        tmp_path_factory.mktemp("epub"),
        "epub",
        epub_writing_mode=request.param,
    )
    assert built.warnings == ""
    with zipfile.ZipFile(built.epub) as epub:
        pages = {n: epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")}
    return request.param, pages


def test_small_book_vertical_pdf(tate_pdf: Path) -> None:
    assert misset_numbers(tate_pdf, body_band(TATE_PAGE, tate=True)) == []
    text = re.sub(r"\s", "", pdftotext(tate_pdf, "-raw"))
    for expected in (
        "130億、700億",
        "215年",
        "100%の話",
        "のだろう？本当に勝てるのか!?驚いた！",
        "当時（と言ってもたった2ヶ月前だ）",
        "大規模言語モデル（LLM）",
        "GPT-3.5（無料版）",
        "関数f(x)はそのまま",
        f"第{kansuji(1)}章で数を並べた",
    ):
        assert expected in text, expected
    assert "第1章" not in text


def test_small_book_epubs(epub_pages: tuple[str, dict[str, str]]) -> None:
    mode, pages = epub_pages
    first, second, note = pages["first.xhtml"], pages["second.xhtml"], pages["note.xhtml"]
    if mode == "horizontal":
        assert "起こるのだろう?本当に勝てるのか!?驚いた!" in first
        assert "当時(と言っても" in first
        assert "第1章で数を並べた" in second
        assert "<td><p>第1章</p></td>" in note and "<td><p>付録A</p></td>" in note
        return
    for markup in (
        '<span class="upright">2023</span>年<span class="tcy">7</span>月',
        '<span class="tcy">70</span>億、<span class="upright">130</span>億',
        '<span class="upright">215</span>年',
        '起こるのだろう？本当に勝てるのか<span class="tcy">!?</span>驚いた！',
        '当時（と言ってもたった<span class="tcy">2</span>ヶ月前だ）',
        '大規模言語モデル（<span class="upright">LLM</span>）',
        "GPT-3.5（無料版）",
        "関数f(x)はそのまま",
    ):
        assert markup in first, markup
    assert "第一章で数を並べた" in second
    assert "第一章" in note and "第二章" in note and "付録" in note
    assert not re.search(r"第(<[^>]+>)?[0-9]", second + note)


def test_text_without_an_oriented_character_is_set_as_written() -> None:
    """``ORIENTED`` lets the vertical PDF skip a text whole (sangokushi.book.TateChuYoko): every
    character ``orient`` turns, widens or makes full-width is one of it; and only parentheses
    look at the characters beside a text (``PARENTHESES``)."""
    samples = [chr(c) for c in range(0x20, 0x3100)] + ["０", "！", "（", "ｘ", "Ⅻ", "①"]
    for char in samples:
        for text in (char, f"あ{char}い", f"{char}{char}"):
            plain = [(text, None)]
            if not ORIENTED.search(text):
                assert orient(text) == plain, text
                assert orient(text, before="あ", after="(") == plain, text
            if not PARENTHESES.search(text):
                assert orient(text, before="あ", after="い") == orient(text), text
