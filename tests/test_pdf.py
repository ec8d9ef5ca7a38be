"""The PDF as a Japanese book: nothing off the page, the 版面, front and back matter."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

import support
from sangokushi import fidelity, texlog, tounicode
from sangokushi.book import latex_class_options, pdf_variant
from sangokushi.build import latex as pdf
from sangokushi.buildinfo import edition_name, japanese_date
from sangokushi.page import body_band
from support import BOOK, BY_NAME, DOCS, FACTS, ROOT, make, page_words, pdftotext, sphinx_build

PDF = "pdf/llm-sangokushi.pdf"
PAGE, TATE_PAGE = FACTS.page, FACTS.tate_page
TITLE = "Llama 2の登場でLLM三国志が始まった"


def text(pdf_path: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return pdftotext(pdf_path, *pages)


def widened(pdf_path: Path, out: Path, margin: float = 2000) -> Path:
    """The same PDF with every page's boxes grown by ``margin`` points on each side."""
    writer = PdfWriter(clone_from=pdf_path)
    for page in writer.pages:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        box = RectangleObject([x0 - margin, y0 - margin, x1 + margin, y1 + margin])
        page.mediabox = page.cropbox = box
    writer.write(out)
    return out


def git_epoch() -> int:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True
    ).stdout.strip()
    return int(out)


# -- Nothing off the page ------------------------------------------------------------------


def raw_text(pdf_path: Path) -> str:
    """The text in drawing order, so that a wider page cannot change the reading order."""
    return fidelity.normalize(pdftotext(pdf_path, "-raw"))


def test_nothing_is_printed_outside_the_page(book: Path, tmp_path: Path) -> None:
    inside = raw_text(book / PDF)
    assert inside == raw_text(widened(book / PDF, tmp_path / "wide.pdf"))


def test_the_widened_crop_check_can_fail(tmp_path: Path) -> None:
    # A page whose text was set below its bottom edge: only the widened crop shows it.
    src = tmp_path / "off.tex"
    src.write_text(
        "\\documentclass{article}\\begin{document}\\vspace*{30cm}off the page\\end{document}\n"
    )
    subprocess.run(
        ["lualatex", "-interaction=nonstopmode", src.name],
        cwd=tmp_path,
        check=False,
        capture_output=True,
    )
    off = tmp_path / "off.pdf"
    assert "offthepage" not in raw_text(off)
    assert "offthepage" in raw_text(widened(off, tmp_path / "off-wide.pdf"))


def column_streams(pdf_path: Path, head: list[str]) -> list[str]:
    """The text of each table column, top to bottom over every page with the table's head row.

    Cells wrap inside their column, so a cell's text is a substring of its column's stream.
    """
    pages = len(PdfReader(pdf_path).pages)
    streams: list[list[tuple[int, int, float, str]]] = [[] for _ in head]
    for number in range(1, pages + 1):
        found = page_words(pdf_path, number)
        starts = [next((w[0] for w in found if w[4].startswith(name[:2])), None) for name in head]
        if None in starts:
            continue
        line, last = 0, None
        for x0, y0, _, y1, word in sorted(found, key=lambda w: w[3]):
            if last is not None and y1 - last > 3:  # Latin and kana boxes differ by a hair
                line += 1
            last = y1
            if y0 >= fidelity.BODY_TOP and y1 <= fidelity.BODY_BOTTOM:
                # An opening bracket hangs half a character left of its cell.
                column = max(i for i, start in enumerate(starts) if start <= x0 + 5 or i == 0)
                streams[column].append((number, line, x0, word))
    return ["".join(w for *_, w in sorted(s)) for s in streams]


CHAPTER = re.compile(r"\{chapter\}`/?([^`]+)`")


def chapter_label(book: Path, docname: str) -> str:
    """The label the HTML edition's heading gives a document (第1章)."""
    page = (book / "html" / f"{docname}.html").read_text(encoding="utf-8")
    return re.search(r'<h1><span class="chapter-number">(.+?)\u3000', page)[1]


def test_every_cell_of_the_editorial_notes_is_on_a_page(book: Path) -> None:
    head = ["番号", "箇所・種別", "原文", "変更後", "理由"]
    streams = column_streams(book / PDF, head)
    notes = (DOCS / "appendix" / "editorial-notes.md").read_text(encoding="utf-8")
    table = notes[notes.index(":::{list-table}") : notes.index("\n:::\n", notes.index(":::{list"))]
    rows = [r for r in re.split(r"\n\* - ", table)[1:]]
    assert len(rows) >= 19  # the head row and 18 changes
    for row in rows:
        # A cell shows a ruby change as printed: its text is the base (the reading is ruby);
        # {chapter}`/wei` is the chapter's label as its heading prints it (第1章).
        cells = [
            CHAPTER.sub(lambda m: chapter_label(book, m[1]), fidelity.RUBY.sub(r"\1", c.strip()))
            for c in re.split(r"\n  - ", row)
        ]
        assert len(cells) == len(head), cells
        for column, cell in enumerate(cells):
            printed = fidelity.normalize(streams[column])
            assert fidelity.normalize(cell) in printed, (cells[0], head[column], cell)


def test_long_table_repeats_its_head(book: Path) -> None:
    reader = PdfReader(book / PDF)
    pages = [i for i, p in enumerate(reader.pages, 1) if "編集注記" in (p.extract_text() or "")]
    notes = [i for i in pages if "変更後" in text(book / PDF, i, i)]
    assert len(notes) >= 2, notes  # the table breaks across pages, each with its head row


def test_overfull_text_fails_the_build_naming_the_source(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src)
    with (src / "prologue.md").open("a", encoding="utf-8") as f:
        f.write("\n" + "Supercalifragilisticexpialidocious" * 4 + "\n")
    result = make("pdf", check=False, SOURCEDIR=src, BUILDDIR=tmp_path / "out")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"prologue\.md \(LaTeX line \d+\): line [\d.]+pt past the margin", log), log
    assert "Traceback" not in log
    assert not (tmp_path / "out" / PDF).exists()


def test_a_tex_error_names_its_source_file(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src)
    with (src / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n```{raw} latex\n\\nosuchmacro\n```\n")
    result = make("pdf", check=False, SOURCEDIR=src, BUILDDIR=tmp_path / "out")
    log = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in log
    pattern = r"sangokushi: pdf: docs/wu\.md \(LaTeX line \d+\): TeX stopped: Undefined control"
    assert re.search(pattern, log), log


def test_texlog_reads_pages_and_lines(tmp_path: Path) -> None:
    tex = tmp_path / "book.tex"
    tex.write_text(
        "\\begin{document}\n% sangokushi-source: docs/a.md\nA\nB\n"
        "% sangokushi-source: docs/b.md\nC\n"
    )
    log = tmp_path / "book.log"
    log.write_text(
        "Overfull \\hbox (0.8pt too wide) in paragraph at lines 3--3\n[]\\TU/x(0)/m/n/9.5 tiny\n\n"
        "Overfull \\hbox (6.1pt too wide) in paragraph at lines 6--6\n"
        "[]\\TU/x(0)/m/n/9.5 Anthropi\n\n"
        "Overfull \\vbox (397.6pt too high) has occurred while \\output is active []\n\n"
        "Missing character: There is no ✴ (U+2734) in font ptmr8t!\n"
        "LaTeX Font Warning: Font shape `JY2/mc/bx/n' undefined\n"
        "(Font)              using `JY2/mc/m/n' instead on input line 4.\n"
    )
    found = texlog.overflows(log, tex)
    assert [(o.kind, o.source, o.text) for o in found] == [
        ("line", "docs/b.md", "Anthropi"),
        ("page", "docs/b.md", ""),
        ("glyph", "docs/b.md", "✴ (U+2734) in font ptmr8t"),
        (
            "font",
            "docs/a.md",
            "Font shape `JY2/mc/bx/n' undefined using `JY2/mc/m/n' instead on input line 4.",
        ),
    ]
    assert texlog.HBOX_THRESHOLD_PT == 1.0


# -- The 版面 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_pdf(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = sphinx_build(rootdir / "test-pdf-grid", tmp_path_factory.mktemp("grid"), "latex")
    assert built.warnings == ""
    return pdf.build_pdf(built.outdir / "grid.tex")


def test_class_options_declare_the_page_design() -> None:
    options = latex_class_options(PAGE)
    assert f"line_length={PAGE.chars}zw" in options and f"number_of_lines={PAGE.lines}" in options
    assert "paper={148mm,210mm}" in options
    assert "tate" in latex_class_options(TATE_PAGE, "tate").split(",")
    assert "jlreq-trimmarks" in pdf_variant("print").latex_preamble()
    with pytest.raises(ValueError, match="unknown PDF variant"):
        latex_class_options(PAGE, "poster")


def test_full_line_and_full_page_measured(grid_pdf: Path) -> None:
    page = [w for w in page_words(grid_pdf, 2) if set(w[4]) == {"永"}]
    lines = sorted({round(w[3], 1) for w in page})
    per_line = {}
    for x0, _, x1, y1, word in page:
        per_line.setdefault(round(y1, 1), []).append((x0, x1, len(word)))
    full = [sum(n for *_, n in row) for row in per_line.values()]
    assert max(full) == PAGE.chars, full
    assert len(lines) == PAGE.lines, lines
    pitch = [b - a for a, b in itertools.pairwise(lines)]
    assert all(abs(p - PAGE.pitch_pt) < 0.15 for p in pitch), pitch
    boxes = [box for row in per_line.values() for box in row]
    width = max(x1 for _, x1, _ in boxes) - min(x0 for x0, _, _ in boxes)
    assert abs(width - PAGE.text_width_pt) < PAGE.font_pt / 4, width  # glyph boxes, not advances


# -- Typesetting ---------------------------------------------------------------------------


def test_no_hyphenated_latin_words(book: Path) -> None:
    assert not re.search(r"[A-Za-z]-\n[a-z]", text(book / PDF))


def test_links_print_as_text(book: Path) -> None:
    reader = PdfReader(book / PDF)
    links = [
        a.get_object()
        for p in reader.pages
        for a in p.get("/Annots", [])
        if a.get_object()["/Subtype"] == "/Link"
    ]
    assert links, "links stay navigable"
    for link in links:
        assert [float(v) for v in link.get("/Border", [0, 0, 0])][:3] == [0, 0, 0], link
    assert b"0 0 1 rg" not in b"".join(p.get_contents().get_data() for p in reader.pages)


def test_running_heads_and_subtitles(book: Path) -> None:
    reader = PdfReader(book / PDF)
    heads = []
    for number in range(1, len(reader.pages) + 1):
        heads += [w[4] for w in page_words(book / PDF, number) if w[3] < fidelity.BODY_TOP]
    assert heads and not any(h.startswith("付録") for h in heads), heads
    body = fidelity.normalize(fidelity.pdf_edition_text(book / PDF))
    assert "第1章魏—OpenAI――デファクトとして先行する強力な帝国" in body


def test_ruby_on_the_first_occurrence(book: Path) -> None:
    tex = (BY_NAME["pdf"].workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    first_wei = tex.index("いうならば、")
    # Group ruby that may hang over the kana and punctuation beside it (、 and の here).
    ruby = r"{\sangokushiruby{<}{>}{魏}{ぎ}}"
    assert tex.index(ruby, first_wei) < tex.index("のような存在", first_wei)
    page = (book / "html" / "wei.html").read_text(encoding="utf-8")
    assert re.search(r'href="#analogy-wei"[^>]*><span[^>]*><ruby>魏<rp>', page)


# -- Front and back matter -----------------------------------------------------------------


def test_title_page_toc_on_recto_colophon_last_on_verso(book: Path) -> None:
    reader = PdfReader(book / PDF)
    title = fidelity.normalize(text(book / PDF, 1, 1))
    assert fidelity.normalize(TITLE) in title
    assert "著者名の記載なし" not in title  # the 扉 has no author line: 奥付 states it
    assert "ブログ記事" in title and "2023年7月" in title
    assert fidelity.normalize(text(book / PDF, 2, 2)) == ""
    assert fidelity.normalize(text(book / PDF, 3, 3)).startswith("目次")
    pages = len(reader.pages)
    assert pages % 2 == 0  # the last page is a verso
    colophon = fidelity.normalize(text(book / PDF, pages, pages))
    assert colophon.startswith("奥付") and "付録C" not in fidelity.normalize(text(book / PDF))
    edition = edition_name(FACTS.version)
    date = japanese_date(git_epoch())
    for fact in (
        fidelity.normalize(TITLE),
        "著者名の記載なし",
        "2023年7月",
        edition,
        date,
        "jlreq",
    ):
        assert fact in colophon, (fact, colophon)
    assert "sphinx-book-theme" not in colophon


def test_html_and_epub_colophon_state_the_same_facts(book: Path) -> None:
    page = fidelity.html_text(
        (book / "html" / "appendix" / "colophon.html").read_text(encoding="utf-8")
    )
    epub_text = fidelity.epub_edition_text(book / "epub" / "llm-sangokushi.epub")
    version = FACTS.version
    for fact in (
        "著者名の記載なし",
        "2023年7月",
        edition_name(version),
        japanese_date(git_epoch()),
    ):
        assert fact in page and fact in epub_text, fact


@pytest.mark.parametrize(
    ("release", "edition"),
    [
        ("1.0.0", "第1版第1刷"),
        ("1.2.3", "第1版第3刷"),
        ("2.0.1", "第2版第1刷"),
        ("1.1", "第1版第2刷"),
    ],
)
def test_edition_from_release(release: str, edition: str) -> None:
    assert edition_name(release) == edition


# -- Print-shop and vertical variants (issue 12) -------------------------------------------

A5_PT = (148 / 25.4 * 72, 210 / 25.4 * 72)


@pytest.fixture(scope="module")
def variants(book: Path) -> Path:
    """The print-shop and vertical PDFs: `make book` builds every edition of the registry."""
    return book / "pdf"


def fonts(pdf_path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True)
    return [row.split() for row in out.stdout.splitlines()[2:]]


def test_print_pdf_has_a5_trim_and_3mm_bleed_without_links(variants: Path) -> None:
    reader = PdfReader(variants / "llm-sangokushi-print.pdf")
    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert (
            abs(float(trim.width) - A5_PT[0]) < 0.05 and abs(float(trim.height) - A5_PT[1]) < 0.05
        )
        mm3 = 3 / 25.4 * 72 - 0.01
        assert float(trim.left) - float(bleed.left) >= mm3
        assert float(bleed.right) - float(trim.right) >= mm3
        assert float(trim.bottom) - float(bleed.bottom) >= mm3
        assert float(bleed.top) - float(trim.top) >= mm3
        assert float(media.width) > float(bleed.width)  # room for the crop marks
        assert not [a for a in page.get("/Annots", []) if a.get_object()["/Subtype"] == "/Link"]
        # Black text, grey shading: DeviceGray operators only, no RGB or CMYK colours.
        colours = COLOUR.findall(page.get_contents().get_data())
        assert colours and set(colours) <= {b"g", b"G"}, set(colours)
    rows = fonts(variants / "llm-sangokushi-print.pdf")
    assert rows and all(row[-5] == "yes" for row in rows)
    assert not [row for row in rows if "Type" in row and "3" in row]


COLOUR = re.compile(rb"(?<![A-Za-z/])(rg|RG|k|K|g|G|scn|SCN|sc|SC)(?![A-Za-z])")


def test_tate_pdf_has_running_heads_and_upright_page_numbers(variants: Path) -> None:
    tate = variants / "llm-sangokushi-tate.pdf"
    head, _ = body_band(TATE_PAGE, tate=True)
    pages = len(PdfReader(tate).pages)
    heads = {n: [w for w in page_words(tate, n) if w[3] < head] for n in range(1, pages + 1)}
    # 柱: the book's title on even pages, the chapter on odd ones, above the text block.
    assert any("Llama" in "".join(w[4] for w in found) for found in heads.values())
    assert any("魏" in "".join(w[4] for w in found) for found in heads.values())

    # Page numbers in the index are 縦中横.
    def is_index(number: int) -> bool:
        found = [w[4] for w in page_words(tate, number)]
        return "索引" in "".join(found) and "あ" in found

    index = next(n for n in range(1, pages + 1) if is_index(n))
    # One digit is half a 字 wide: upright it stands taller than wide, turned it lies flat.
    one_digit = [w for w in page_words(tate, index) if re.fullmatch(r"\d", w[4])]
    assert one_digit and all(w[3] - w[1] > 1.5 * (w[2] - w[0]) for w in one_digit)


def vertical_text(pdf_path: Path, band: tuple[float, float] = (0, 1)) -> str:
    """The vertical PDF's text in reading order (``support.vertical_text``), this book's page."""
    return support.vertical_text(pdf_path, TATE_PAGE, band)


def test_tate_pdf_reads_right_to_left_with_every_sentence(variants: Path) -> None:
    tate = variants / "llm-sangokushi-tate.pdf"
    reader = PdfReader(tate)
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/Direction"] == "/R2L"
    assert len(reader.outline) >= 7
    rows = fonts(tate)
    assert rows and all(row[-5] == "yes" for row in rows)
    assert not [row for row in rows if "Type" in row and "3" in row]
    expected = fidelity.expected_sentences(
        DOCS / "_original" / "essay.txt", DOCS / "appendix" / "editorial-notes.md"
    )
    # Every character reads back as itself, the subtitles' ―― too (sangokushi.tounicode).
    turned = vertical_text(tate)
    assert fidelity.lost_sentences(expected, turned) == []
    assert "――デファクトとして先行する強力な帝国" in turned


def test_every_bookmark_leads_to_its_chapter(book: Path) -> None:
    reader = PdfReader(book / PDF)
    outline = [o for o in reader.outline if not isinstance(o, list)]
    assert len(outline) >= 11
    for entry in outline:
        number = reader.get_destination_page_number(entry) + 1
        page = fidelity.normalize(text(book / PDF, number, number))
        assert fidelity.normalize(entry.title) in page, (entry.title, number)


@pytest.mark.parametrize("name", ["llm-sangokushi.pdf", "llm-sangokushi-tate.pdf"])
def test_contents_on_one_page_without_the_colophon(variants: Path, name: str) -> None:
    # 目次 (page 3, a recto) lists the chapters to 索引 on one page; 奥付 is not listed there,
    # as in printed Japanese books, but keeps its bookmark.
    pdf_path = variants / name
    contents = fidelity.normalize(pdftotext(pdf_path, "-raw", "-f", "3", "-l", "3"))
    assert "目次" in contents
    assert "索引" in contents and "付録B" in contents and "奥付" not in contents
    assert fidelity.normalize(text(pdf_path, 4, 4)) == ""
    titles = [o.title for o in PdfReader(pdf_path).outline if not isinstance(o, list)]
    assert "奥付" in titles


# -- What a proofreader found when the PDFs moved to upLaTeX -------------------------------

ALL_PDFS = [
    "llm-sangokushi.pdf",
    "llm-sangokushi-print.pdf",
    "llm-sangokushi-tate.pdf",
    "llm-sangokushi-tate-print.pdf",
]


@pytest.mark.parametrize("name", ALL_PDFS)
def test_title_author_and_bold_gothic(variants: Path, name: str) -> None:
    info = subprocess.run(
        ["pdfinfo", str(variants / name)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Title:\s+Llama 2の登場でLLM三国志が始まった$", info, re.M), info
    assert re.search(r"^Author:\s+著者名の記載なし$", info, re.M), info
    used = {row[0].split("+")[-1] for row in fonts(variants / name)}
    # Headings, titles and emphasis in Gothic bold; every Japanese font copies as text.
    assert "HaranoAjiGothic-Bold-Identity-H" in used or "HaranoAjiGothic-Bold-Identity-V" in used
    japanese = [row for row in fonts(variants / name) if "HaranoAji" in row[0]]
    assert japanese and all(row[-3] == "yes" for row in japanese), japanese
    # Every page has its own label in a viewer (扉 and 目次 i–iv, the text from 1).
    labels = PdfReader(variants / name).page_labels
    assert len(set(labels)) == len(labels), labels[:8]


def test_names_with_ruby_stay_solid(book: Path) -> None:
    # A reading longer than its name hangs over the kana beside it: 諸葛亮, not 諸 葛 亮.
    body = pdftotext(book / PDF)
    for name in ("諸葛亮", "中原", "袁紹", "五斗米道"):
        assert name in body, name
        assert not re.search(r"\s+".join(name), body), name


def test_em_dashes_follow_their_neighbours(book: Path, variants: Path) -> None:
    yoko = (BY_NAME["pdf"].workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    tate = (BY_NAME["pdf-tate"].workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    # Between Latin words the Latin dash, without 和欧間 space: "Moat—and" copies as written.
    assert r"Moat\textemdash{}and" in yoko and r"Moat\textemdash{}and" in tate
    assert "Moat—and" in pdftotext(book / PDF, "-raw")
    # Beside Japanese in the vertical PDF: the full-width dash, copied as —.
    assert r"魏 \texorpdfstring{\sangokushitatedash{}}{—} OpenAI" in tate
    assert r"\sangokushitatedash" not in yoko
    assert "魏—OpenAI" in fidelity.normalize(pdftotext(variants / ALL_PDFS[2], "-raw"))
    # The 目次 keeps the space after it (a command name swallowed it once).
    toc = (BY_NAME["pdf-tate"].workdir(book) / f"{BOOK}.toc").read_text(encoding="utf-8")
    assert r"魏 \sangokushitatedash {} OpenAI" in toc
    # A cell that starts with the author's dash keeps the Japanese one, as its neighbours do.
    assert r"\textemdash{}OpenAI" not in yoko
    # ―― is one unbroken line in both directions, and copies as ――.
    for tex in (yoko, tate):
        assert r"\texorpdfstring{\sangokushinidash{}}{――}デファクト" in tex
    for name in (ALL_PDFS[0], ALL_PDFS[2]):
        raw = fidelity.normalize(pdftotext(variants / name, "-raw"))
        assert "――デファクトとして先行する強力な帝国" in raw


def test_a_box_that_fits_a_page_is_not_split(book: Path) -> None:
    pages = [fidelity.normalize(text(book / PDF, n, n)) for n in range(1, 23)]
    title = next(i for i, page in enumerate(pages) if "比喩1OpenAI≒魏" in page)
    assert "Microsoftは背後で策を巡らせている" in pages[title]


def test_table_cells_do_not_break_inside_short_words(book: Path) -> None:
    reader = PdfReader(book / PDF)
    outline = {o.title: reader.get_destination_page_number(o) for o in reader.outline}
    first, last = outline["編集注記"], outline["索引"]
    found = [w[4] for n in range(first + 1, last + 1) for w in page_words(book / PDF, n)]
    assert "（削除）" in " ".join(found)
    split = [
        w for w in found if w.endswith(("（削", "（誤", "（脱", "種", "末", "（見", "（ル", "サ"))
    ]
    assert split == []
    # The 奥付 keeps katakana words whole as well (原ノ味フォ/ント).
    tex = (BY_NAME["pdf"].workdir(book) / f"{BOOK}.tex").read_text(encoding="utf-8")
    colophon = tex[tex.index(r"\begin{sphinxuseclass}{colophon}") :]
    assert r"フ\penalty8000\relax ォ\penalty8000\relax ン\penalty8000\relax ト" in colophon


def test_tounicode_on_the_book(book: Path, tmp_path: Path) -> None:
    # dvipdfmx's PDF of the book gets its CMaps once; qpdf rewrites it (no longer an
    # incremental update: dvipdfmx's bytes are not kept as a prefix).
    workdir = BY_NAME["pdf"].workdir(book)
    raw = tmp_path / "raw.pdf"
    subprocess.run(["dvipdfmx", "-q", "-o", str(raw), f"{BOOK}.dvi"], cwd=workdir, check=True)
    assert [row for row in fonts(raw) if "HaranoAji" in row[0] and row[-3] == "no"]
    assert tounicode.add_tounicode(raw) >= 2
    after = raw.read_bytes()
    assert all(row[-3] == "yes" for row in fonts(raw) if "HaranoAji" in row[0])
    assert PdfReader(raw, strict=True).metadata.title == TITLE
    check = subprocess.run(["qpdf", "--check", str(raw)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert tounicode.add_tounicode(raw) == 0 and raw.read_bytes() == after


# -- Copied and identified as written (issue 19) -------------------------------------------


@pytest.mark.parametrize("name", ALL_PDFS)
def test_text_copies_as_written(variants: Path, name: str) -> None:
    pdf_path = variants / name
    # Drawing order (-raw) and reading order (poppler's default) both.
    for options in (("-raw",), ()):
        copied = pdftotext(pdf_path, *options)
        # Ruby: the base as written, the reading (drawn first) left out; 編集注記 quotes the
        # original's reading in parentheses, 「司馬懿(しばい)」 (（しばい） in vertical text).
        quoted = re.sub(r"[(（]\s*しばい\s*[)）]", "", copied)
        assert not {"そうそう", "しばい", "ちょうりょう"} & set(re.findall(r"[ぁ-ゖ]+", quoted))
        assert "曹操サム・アルトマンの巧みな政治力" in fidelity.normalize(copied), options
        assert "軍師・司馬懿のように" in fidelity.normalize(copied), options
        # Ligatures as their letters.
        assert "Stable Diffusion" in copied, options
        assert not re.search("[\ufb00-\ufb06]", copied), options
        # The spaces between Latin words, in the vertical PDF too.
        assert "We have no Moat—and neither does OpenAI" in copied, options


@pytest.mark.parametrize("name", ALL_PDFS)
def test_language_title_shown_and_balanced_marks(variants: Path, name: str) -> None:
    with pikepdf.open(variants / name) as pdf:
        assert pdf.Root.Lang == "ja"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        for page in pdf.pages:
            depth = 0
            for _, operator in pikepdf.parse_content_stream(page):
                depth += {"BDC": 1, "BMC": 1, "EMC": -1}.get(str(operator), 0)
                assert depth >= 0
            assert depth == 0


def test_every_pdf_has_its_own_id(variants: Path) -> None:
    ids = []
    for name in ALL_PDFS:
        with pikepdf.open(variants / name) as pdf:
            ids.append(bytes(pdf.trailer.ID[0]))
    assert len(set(ids)) == len(ids)
