"""The whole book, built with `make`: outputs, fidelity, EPUBCheck, read-back, PDF checks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import ebooklib
import pytest
from ebooklib import epub
from pypdf import PdfReader

from sangokushi import fidelity
from sangokushi.build import impose, runner, timings
from sangokushi.build.checks import check
from sangokushi.build.registry import Edition, with_check
from support import BY_NAME, DOCS, EDITIONS, FACTS, make

pytestmark = pytest.mark.slow

EPUB = BY_NAME["epub"].output
TATE = BY_NAME["epub-tate"].output
PDF = BY_NAME["pdf"].output
TITLE = "Llama 2の登場でLLM三国志が始まった"


def chapter_order() -> list[str]:
    """Docnames in reading order, from the toctrees of the root page."""
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    names: list[str] = []
    for block in re.findall(r":::\{toctree\}\n(.*?)\n:::", text, flags=re.S):
        names += [ln.strip() for ln in block.splitlines() if ln.strip() and ":" not in ln]
    return names


def test_outputs_at_fixed_paths(book: Path) -> None:
    for edition in EDITIONS:
        path = edition.published(book)
        assert (path / "index.html" if path.is_dir() else path).stat().st_size > 1000, path


@pytest.fixture(scope="module")
def expected() -> list[str]:
    return fidelity.expected_sentences(
        DOCS / "_original" / "essay.txt", DOCS / "appendix" / "editorial-notes.md"
    )


def test_editorial_notes_are_applied_to_the_essay(expected: list[str]) -> None:
    edits = fidelity.load_edits(DOCS / "appendix" / "editorial-notes.md")
    assert len(edits) >= 17
    joined = "".join(expected)
    assert "見出し画像" not in joined and "サポートをしてみませんか" not in joined
    for edit in edits:
        if edit.original == fidelity.ADDED:
            assert edit.changed not in joined, edit  # a heading, not a sentence of the essay
        elif edit.changed not in (fidelity.DELETED, fidelity.STRUCTURAL):
            assert edit.changed in joined, edit
    assert any(s.endswith("いうならば、魏のような存在である。") for s in expected)
    assert len(expected) > 50


@pytest.mark.parametrize("edition", with_check(EDITIONS, "fidelity"), ids=lambda e: e.name)
def test_no_sentence_is_lost(book: Path, expected: list[str], edition: Edition) -> None:
    text = fidelity.EXTRACTORS[edition.form](edition.published(book))
    lost = fidelity.lost_sentences(expected, text)
    assert not lost, f"{edition.name} lost {len(lost)} sentence(s):\n" + "\n".join(lost)


def test_fidelity_check_can_fail(expected: list[str]) -> None:
    text = "".join(expected).replace("存在感を見せる", "存在を見せる")
    assert fidelity.lost_sentences(expected, text) == [s for s in expected if "存在感を見せる" in s]


def test_make_book_writes_nothing_to_stderr(book: Path) -> None:
    """A good build says what it did on stdout; stderr is for errors (and a library's INFO
    line, such as pikepdf's, must not reach it through the theme's logging set-up)."""
    assert book.with_name("book.stderr").read_text(encoding="utf-8") == ""


def test_the_print_pdfs_take_no_latex_slot_and_lay_their_reading_pdfs_pages(book: Path) -> None:
    """The PDFs LaTeX sets take the two background slots; a print PDF takes none: it waits for
    its reading PDF to be published, then lays that PDF's pages (sangokushi.build.impose)."""
    phases = timings.load(book / "work" / timings.FILE)
    slotted = {p.edition for p in phases if p.name == runner.SLOT_WAIT}
    assert {"pdf", "pdf-tate"} <= slotted and not slotted & {"pdf-print", "pdf-tate-print"}

    def phase(edition: str, name: str) -> timings.Phase:
        return next(p for p in phases if p.edition == edition and p.name == name)

    for printed, reading in (("pdf-print", "pdf"), ("pdf-tate-print", "pdf-tate")):
        published = phase(reading, "publish (check, rename)")
        waited, laid = phase(printed, f"waits for {reading}"), phase(printed, impose.LAID)
        assert published.end <= waited.end + 0.01 and waited.end <= laid.start, (waited, laid)


def test_epubs_carry_the_books_facts_for_stores(book: Path) -> None:
    """Titles kept apart, one series, readings, author, publisher and rights from book.toml."""
    for output, title, position in ((EPUB, TITLE, "1"), (TATE, f"{TITLE}（縦書き版）", "2")):
        opf = zipfile.ZipFile(book / output).read("content.opf").decode()
        assert f'<dc:title id="title">{title}</dc:title>' in opf
        assert f'property="group-position">{position}</meta>' in opf
        assert (
            '<meta refines="#title" property="file-as">'
            "ラマツーノトウジョウデエルエルエムサンゴクシガハジマッタ</meta>"
        ) in opf
        assert '<dc:creator id="creator">著者名の記載なし</dc:creator>' in opf
        assert '<meta refines="#creator" property="file-as">チョシャメイノキサイナシ</meta>' in opf
        assert "<dc:publisher>llm-sangokushi</dc:publisher>" in opf
        rights = "本文の著作権は原著者に帰属する。編集部分 © 2026 llm-sangokushi"
        assert f"<dc:rights>{rights}</dc:rights>" in opf
        assert '<meta property="a11y:certifiedBy">llm-sangokushi</meta>' in opf


def test_epub_reads_back(book: Path) -> None:
    read = epub.read_epub(str(book / EPUB))
    assert read.get_metadata("DC", "title")[0][0] == TITLE
    assert read.get_metadata("DC", "language")[0][0] == "ja"
    assert read.get_metadata("DC", "identifier")[0][0] == "urn:llm-sangokushi:ja:yokogaki"
    assert read.get_metadata("DC", "source")[0][0] == "urn:llm-sangokushi:ja"
    assert read.get_metadata("DC", "description")
    assert read.get_metadata("DC", "publisher")
    spine = [read.get_item_with_id(idref).file_name for idref, _ in read.spine]
    chapters = [name.removesuffix(".xhtml") for name in spine if not name.startswith("_")]
    assert [c for c in chapters if c in chapter_order()] == chapter_order()
    assert spine.count("genindex.xhtml") == 1  # 索引, where the toctree lists it
    nav = read.get_item_with_href("nav.xhtml").content.decode()
    assert re.search(r"<h1[^>]*>目次</h1>", nav)
    for name in chapter_order():
        assert f'href="{name}.xhtml"' in nav, name
    for item in read.get_items_of_type(ebooklib.ITEM_DOCUMENT):
        if item.file_name != "nav.xhtml":
            assert re.search(rb'<html[^>]*\blang="ja"', item.content), item.file_name


def test_epub_modified_date(book: Path) -> None:
    with zipfile.ZipFile(book / EPUB) as z:
        opf = z.read("content.opf").decode()
    assert re.search(r'<meta property="dcterms:modified">\d{4}-\d\d-\d\dT', opf)


def test_pdf_fonts_all_embedded(book: Path) -> None:
    out = subprocess.run(
        ["pdffonts", str(book / PDF)], capture_output=True, text=True, check=True
    ).stdout
    rows = out.splitlines()[2:]
    assert any("HaranoAji" in r for r in rows)
    not_embedded = [r for r in rows if r.split()[-5] != "yes"]
    assert not not_embedded, not_embedded


def test_pdf_is_a5_with_bookmarks_and_info(book: Path) -> None:
    reader = PdfReader(book / PDF)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210)
    top = [o for o in reader.outline if not isinstance(o, list)]
    titles = [o.title for o in top]
    for heading in ("序章", "魏 — OpenAI", "蜀 — Google", "呉 — Meta", "袁紹 — Anthropic"):
        assert any(heading in t for t in titles), (heading, titles)
    assert any("五斗米道" in t for t in titles) and any("LLM三国志の時代へ" in t for t in titles)
    assert reader.metadata.title == TITLE
    assert reader.trailer["/Root"]["/Lang"] == "ja"


def test_pdf_chapters_are_japanese(book: Path) -> None:
    text = fidelity.normalize(fidelity.pdf_edition_text(book / PDF))
    assert "第1章魏—OpenAI" in text and "第5章五斗米道—xAI" in text and "目次" in text
    assert "CHAPTER" not in text.upper()
    assert "付録A対照表" in text


def test_html_search_finds_japanese(book: Path) -> None:
    text = (book / "html" / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    hits = index["terms"]["諸葛亮"]
    hits = [hits] if isinstance(hits, int) else hits
    assert "shu" in [index["docnames"][i] for i in hits]


def copy_docs(tmp_path: Path) -> Path:
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src)
    return src


def test_broken_reference_fails_with_file_and_line(tmp_path: Path) -> None:
    src = copy_docs(tmp_path)
    with (src / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n詳しくは{ref}`no-such-place`を見よ。\n")
    (src / "stray.md").write_text("# 迷子の章\n\n本文。\n", encoding="utf-8")
    result = make("html", check=False, SOURCEDIR=src, BUILDDIR=tmp_path / "out")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"wu\.md:\d+: WARNING: .*no-such-place", log), log
    assert re.search(r"stray\.md:1: WARNING: document isn't included in any toctree", log), log
    assert "Traceback" not in log
    assert not (tmp_path / "out" / "html" / "index.html").exists()


BOXES = {
    "wei": ("OpenAI", "魏", "曹操"),
    "shu": ("Google", "蜀", "諸葛亮"),
    "wu": ("Meta", "呉", None),
    "yuan-shao": ("Anthropic", "袁紹", "曹操"),
    "wudoumi": ("xAI", "五斗米道", None),
}


@pytest.mark.parametrize("chapter", list(BOXES))
def test_each_faction_chapter_has_its_box(book: Path, chapter: str) -> None:
    page = (book / "html" / f"{chapter}.html").read_text(encoding="utf-8")
    modern, historical, figure = BOXES[chapter]
    number = list(BOXES).index(chapter) + 1
    assert f'<div class="analogy" id="analogy-{chapter}">' in page
    assert f"比喩{number}{modern}≒{historical}" in fidelity.normalize(fidelity.html_text(page))
    if figure:
        assert f"<td><p>{figure}</p></td>" in page


def test_restored_kingdom_names_link_to_boxes(book: Path) -> None:
    for chapter, sentence_start in (("wei", "いうならば、"), ("shu", "三国志の"), ("wu", "Metaは")):
        page = (book / "html" / f"{chapter}.html").read_text(encoding="utf-8")
        link = re.search(
            rf'{sentence_start}<a class="reference internal" href="#analogy-{chapter}"', page
        )
        assert link, chapter
    anthropic = (book / "html" / "yuan-shao.html").read_text(encoding="utf-8")
    assert 'href="wei.html#analogy-wei"' in anthropic


def test_correspondence_table_in_every_edition(book: Path) -> None:
    page = (book / "html" / "appendix" / "correspondence.html").read_text(encoding="utf-8")
    page = page.replace("<wbr />", "")  # phrase breaks in cells (sangokushi.tables)
    assert page.count('href="../wei.html#analogy-wei"') >= 1
    assert "五斗米道" in page and "説明の箇所" in page
    text = fidelity.normalize(fidelity.pdf_edition_text(book / PDF))
    start = text.rindex("付録A対照表")
    table = text[start : text.index("付録B", start)]
    assert all(name in table for name in ("魏", "蜀", "呉", "袁紹", "五斗米道"))
    assert re.search(r"\d+ページ", table), table


def test_epubs_are_byte_identical_when_rebuilt(book: Path, tmp_path: Path) -> None:
    """Rebuilt in another BUILDDIR (spaces in its name), both EPUBs and the PDFs they mark the
    pages of (built first) are the same bytes: nothing of the build's path is written in."""
    elsewhere = tmp_path / "another build dir"
    make("epub", BUILDDIR=elsewhere)
    for edition in [*with_check(EDITIONS, "epubcheck"), BY_NAME["pdf"], BY_NAME["pdf-tate"]]:
        rebuilt, first = edition.published(elsewhere), edition.published(book)
        assert rebuilt.read_bytes() == first.read_bytes(), edition.name


def test_numref_to_boxes_in_html_and_pdf(book: Path) -> None:
    page = (book / "html" / "appendix" / "correspondence.html").read_text(encoding="utf-8")
    assert 'href="../wei.html#analogy-wei"><span class="std std-numref">比喩1</span>' in page
    text = fidelity.normalize(fidelity.pdf_edition_text(book / PDF))
    assert "比喩ボックス(比喩1から比喩5まで)" in text


def test_the_publishers_check_passes_on_this_book(book: Path) -> None:
    """`sangokushi check` on the essay: each edition against its own documents (its ``only``
    blocks, its 奥付's 制作 line), the 編集注記 cells found line by line in the PDFs."""
    result = subprocess.run(
        [sys.executable, "-m", "sangokushi", "check", str(DOCS), "--builddir", str(book)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for edition in with_check(EDITIONS, "fidelity"):
        assert re.search(rf"^sangokushi: {edition.name}: (\d+)/\1 sentences$", result.stdout, re.M)
    # EPUBCheck ran on each EPUB and found nothing: no test runs it on them again.
    for edition in with_check(EDITIONS, "epubcheck"):
        line = f"sangokushi: {edition.name}: EPUBCheck and read-back: 0 problems"
        assert line in result.stdout.splitlines(), result.stdout


def test_the_check_says_each_editions_findings_in_their_order(book: Path, tmp_path: Path) -> None:
    """The editions are checked at once; what each found is still said and returned under its
    name, in the editions' order: the EPUB (slow: EPUBCheck) before the missing PDF (at once)."""
    epub = BY_NAME["epub"]
    shutil.copytree(epub.doctrees(book), epub.doctrees(tmp_path))
    epub.published(tmp_path).parent.mkdir(parents=True)
    undefined = b'<meta property="nosuch">x</meta></metadata>'
    whole = zipfile.ZipFile(epub.published(book))
    with whole, zipfile.ZipFile(epub.published(tmp_path), "w") as planted:
        for item in whole.infolist():
            data = whole.read(item)
            if item.filename == "content.opf":
                data = data.replace(b"</metadata>", undefined)
            planted.writestr(item, data)
    said: list[str] = []
    found = check([epub, BY_NAME["pdf"]], FACTS, tmp_path, said.append)
    assert [line.split(":")[0] for line in said] == ["epub", "epub"], said
    assert said[-1] == "epub: EPUBCheck and read-back: 1 problems", said
    assert len(found) == 2 and "nosuch" in found[0], found
    assert found[0].startswith("epub: ERROR(") and found[1].startswith("pdf: "), found
    assert found[1].endswith("is missing: build it first"), found


def test_the_check_reads_each_editions_own_documents(book: Path) -> None:
    pdf, html = BY_NAME["pdf"], BY_NAME["html"]
    text = fidelity.pdf_edition_text(pdf.published(book), FACTS.page)
    own = fidelity.book_text(pdf.doctrees(book), pdf.only_tags)
    assert fidelity.lost_sentences(own.sentences, text, own.cells) == []
    # Another edition's documents (the web 奥付's 制作 line), or every ``only`` block at once:
    # sentences the PDF rightly does not have.
    for other in (
        fidelity.book_text(html.doctrees(book), html.only_tags),
        fidelity.book_text(pdf.doctrees(book)),
    ):
        assert fidelity.lost_sentences(other.sentences, text, other.cells)
    # A cell's lines are read apart in the PDF's 編集注記 table: found only line by line.
    apart = [s for s in own.cells if fidelity.lost_sentences([s], text)]
    assert apart, "no 編集注記 cell of the PDF spans lines any more: pick a harder case"
    assert all(fidelity.lost_sentences([s], text, own.cells) == [] for s in apart)
    assert fidelity.lost_sentences([apart[0] + "〓"], text, frozenset({apart[0] + "〓"}))
