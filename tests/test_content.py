"""Ordinary book content in every edition: notes, a figure, a table, lists, code, 傍点, a quote."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import PHONE, launch, unpack
from pypdf import PdfReader
from pypdf.generic import ContentStream
from test_pdf import vertical_text

from sangokushi import fidelity
from sangokushi.book import pdf_variant
from sangokushi.build import latex as pdf
from support import Build, pdftotext, sphinx_build

pytestmark = pytest.mark.slow

# Every sentence, list item, cell, caption, footnote and code line of the test root's chapters,
# as it reads once white space is dropped.
PIECES = [
    "城は川の東岸に築かれた",
    "石垣の高さはおよそ十丈に及んだという。",
    "この川は後に運河として整備された。",
    "城の姿は図1に示す。",
    "図1北を指す矢印の図",
    "守りの要点は次のとおりである。",
    "外堀を深く掘ること",
    "門を二重にすること",
    "兵糧を蓄えること",
    "攻める側の手順は三つに分かれる",
    "手順の順序は兵法書による。",
    "斥候を放つ",
    "包囲を固める",
    "降伏を勧める",
    "各地の兵力を表にまとめた。",
    "表1各地の兵力",
    "地名",
    "兵力",
    "備考",
    "許昌",
    "三万",
    "都を守る",
    "成都",
    "二万",
    "山に囲まれる",
    "計算には次のコードを使った。",
    "deftotal(troops):",
    "returnsum(troops.values())",
    "古い書物には次のように記されている。",
    "兵は詭道なり。ゆえに能なるもこれに不能を示す。",
    "この言葉は今も読まれている",
    "孫子の計篇の一節である。",
]
BOUTEN = ["およそ十丈", "今も"]
VARIANTS = ["", "print", "tate", "tate-print"]


def missing(text: str) -> list[str]:
    haystack = fidelity.normalize(text)
    return [piece for piece in PIECES if fidelity.normalize(piece) not in haystack]


def build(rootdir: Path, dest: Path, builder: str, **overrides: object) -> Build:
    built = sphinx_build(rootdir / "test-content", dest, builder, **overrides)
    assert built.warnings == ""
    return built


@pytest.fixture(scope="module")
def html(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(rootdir, tmp_path_factory.mktemp("html"), "html").outdir


@pytest.fixture(scope="module", params=["horizontal", "vertical"])
def epub(
    request: pytest.FixtureRequest, rootdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dest = tmp_path_factory.mktemp(f"epub-{request.param}")
    return build(rootdir, dest, "epub", epub_writing_mode=request.param).epub


@pytest.fixture(scope="module", params=VARIANTS, ids=["reading", "print", "tate", "tate-print"])
def pdf_file(
    request: pytest.FixtureRequest, rootdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dest = tmp_path_factory.mktemp(f"pdf-{request.param or 'reading'}")
    built = build(rootdir, dest, "latex", book_pdf_variant=request.param)
    # Compiles, and fails on anything overfull, a missing glyph or a substituted font; the
    # print shop's PDFs are made PDF/X-1a (the figure grey) and read back.
    return pdf.build_pdf(built.outdir / "content.tex", press=pdf_variant(request.param).press)


def pdf_text(path: Path) -> str:
    if "tate" in path.parent.parent.parent.name:
        return vertical_text(path)
    return fidelity.pdf_edition_text(path)


def test_html_has_every_piece_and_sesame_emphasis(html: Path) -> None:
    assert missing(fidelity.html_edition_text(html)) == []
    first = (html / "first.html").read_text(encoding="utf-8")
    assert '<em class="bouten em-sesame">およそ十丈</em>' in first
    css = (html / "_static" / "bouten.css").read_text(encoding="utf-8")
    assert "text-emphasis-style: filled sesame" in css
    assert "text-emphasis-position: over right" in css
    assert 'href="_static/bouten.css' in first
    assert 'src="_images/arrow.png"' in first


def test_epub_has_every_piece(epub: Path) -> None:
    assert missing(fidelity.epub_edition_text(epub)) == []
    with zipfile.ZipFile(epub) as book:
        second = book.read("second.xhtml")
        names = book.namelist()
    assert "_static/bouten.css" in names and "_images/arrow.png" in names
    assert '<em class="bouten em-sesame">今も</em>' in second.decode("utf-8")


def test_text_builder_writes_the_emphasised_words_plainly(rootdir: Path, tmp_path: Path) -> None:
    text = (build(rootdir, tmp_path, "text").outdir / "first.txt").read_text(encoding="utf-8")
    assert "石垣の高さはおよそ十丈に及んだという。" in text


def test_pdf_has_every_piece_copied_as_written(pdf_file: Path) -> None:
    text = pdf_text(pdf_file)
    assert missing(text) == []
    # 傍点 copy as the words (the marks carry an empty ActualText), not as 「今、も、」: all
    # the text in drawing order, small type included.
    copied = fidelity.normalize(pdftotext(pdf_file, "-raw"))
    assert "石垣の高さはおよそ十丈に及んだという" in copied
    assert "この言葉は今も読まれている" in copied


def images(reader: PdfReader) -> list[tuple[int, list[float]]]:
    """(page number, transformation matrix) of every image XObject drawn."""
    found = []
    for number, page in enumerate(reader.pages, 1):
        xobjects = page["/Resources"].get("/XObject", {})
        stack: list[list[float]] = []
        ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q":
                ctm = stack.pop()
            elif operator == b"cm":
                a, b, c, d, e, f = (float(v) for v in operands)
                p = ctm
                ctm = [
                    a * p[0] + b * p[2],
                    a * p[1] + b * p[3],
                    c * p[0] + d * p[2],
                    c * p[1] + d * p[3],
                    e * p[0] + f * p[2] + p[4],
                    e * p[1] + f * p[3] + p[5],
                ]
            elif operator == b"Do" and xobjects[operands[0]].get_object()["/Subtype"] == "/Image":
                found.append((number, ctm))
    return found


def test_print_pdfs_have_their_pages_in_fours(pdf_file: Path) -> None:
    # A project without a 奥付: the blank pages at the end.
    count = len(PdfReader(pdf_file).pages)
    assert count % 4 == 0 or "print" not in pdf_file.parent.parent.parent.name, count


def test_pdf_figure_is_upright_on_the_page(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    drawn = images(reader)
    assert len(drawn) == 1
    number, (a, b, c, d, e, f) = drawn[0]
    # Not turned a quarter (a, d would be 0) nor upside down; its 3:2 shape kept.
    assert abs(b) < 0.01 and abs(c) < 0.01 and a > 0 and d > 0
    assert a / d == pytest.approx(240 / 160, rel=0.01)
    x0, y0, x1, y1 = (float(v) for v in reader.pages[number - 1].trimbox)
    assert x0 <= e and e + a <= x1 and y0 <= f and f + d <= y1


def test_pdf_draws_a_sesame_beside_each_emphasised_character(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    content = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert content.count(b"/Span<</ActualText()>>BDC") == sum(len(w) for w in BOUTEN)


def test_tate_footnotes_are_endnotes(rootdir: Path, tmp_path: Path) -> None:
    built = build(rootdir, tmp_path, "latex", book_pdf_variant="tate")
    tex = (built.outdir / "content.tex").read_text(encoding="utf-8")
    # 後注: the mark in the line, the notes under 注 at the chapter's end (no page to settle).
    assert r"\begin{footnote}" not in tex and r"\sangokushinotemark{1}" in tex
    chapter = tex.split(r"\chapter{城と川}")[1]
    assert chapter.index(r"\sangokushinotemark{1}") < chapter.index(r"\sangokushinotes{注}")
    assert r"\sangokushibouten{およそ十丈}" in tex
    # MyST's rule before the notes has no place in the PDF: the class sets the notes.
    assert r"\hrule" not in tex.split(r"\chapter{城と川}")[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


def test_vertical_epub_reads_as_a_vertical_book(
    rootdir: Path, tmp_path: Path, browser: object
) -> None:
    epub_path = build(rootdir, tmp_path / "b", "epub", epub_writing_mode="vertical").epub
    docs = {doc.stem: doc for doc in unpack(epub_path, tmp_path / "x")}
    page = browser.new_page(viewport={"width": PHONE, "height": 700})
    page.goto(docs["first"].as_uri())
    img = page.eval_on_selector("figure img", "e => e.getBoundingClientRect().toJSON()")
    assert img["width"] > img["height"] > 0  # upright: 240 x 160 as drawn
    style = page.eval_on_selector(
        "em.bouten",
        "e => { const s = getComputedStyle(e); return [s.fontStyle, "
        "s.textEmphasisStyle, s.textEmphasisPosition] }",
    )
    # Chromium gives the shortest form: "filled" and "right" (in vertical text) are implied.
    assert style == ["normal", "sesame", "over"]
    notes = page.eval_on_selector("aside.footnote-list", "e => getComputedStyle(e).writingMode")
    assert notes == "vertical-rl"
    page.goto(docs["second"].as_uri())
    code = page.eval_on_selector("div.highlight-python", "e => getComputedStyle(e).writingMode")
    assert code == "horizontal-tb"
    table = page.eval_on_selector("table", "e => getComputedStyle(e).writingMode")
    assert table == "horizontal-tb"
    page.close()


def test_code_is_ruled_with_rules_that_turn(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    # No curves (pict2e's rounded corners are drawn upright, off the text block, in tate).
    operators = {
        op
        for page in reader.pages
        for _, op in ContentStream(page.get_contents(), reader).operations
    }
    assert b"c" not in operators and b"re" in operators


def contrast(one: str, two: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(…)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_reads_in_light_and_dark_mode(
    rootdir: Path, tmp_path: Path, browser: object, scheme: str
) -> None:
    docs = {doc.stem: doc for doc in unpack(build(rootdir, tmp_path, "epub").epub, tmp_path / "x")}
    page = browser.new_page(viewport={"width": PHONE, "height": 700}, color_scheme=scheme)
    page.goto(docs["second"].as_uri())
    pairs = page.eval_on_selector_all(
        "div.highlight pre, div.highlight pre span",
        """nodes => nodes.filter(n => n.textContent.trim()).map(n => {
          let ground = n, colour = getComputedStyle(n).color;
          while (getComputedStyle(ground).backgroundColor === 'rgba(0, 0, 0, 0)')
            ground = ground.parentElement;
          return [colour, getComputedStyle(ground).backgroundColor]; })""",
    )
    page.close()
    assert pairs
    weak = [pair for pair in pairs if contrast(*pair) < 4.5]
    assert weak == [], weak
