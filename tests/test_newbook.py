"""Books other than this one: one started with `sangokushi new`, one of the author's plain MyST."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import CHROMIUM, PHONE, TABLET, launch, unpack
from pypdf import PdfReader
from test_checkers import ACE, need
from test_typography import FORBIDDEN_AT_LINE_START, LINE_STARTS

from sangokushi import fidelity
from sangokushi.build.registry import for_book
from sangokushi.facts import load
from sangokushi.page import PAPERS
from support import check_cut_fonts, pdftotext, vertical_text

pytestmark = pytest.mark.slow

SANGOKUSHI = [sys.executable, "-m", "sangokushi"]
# Words of the essay this project was first made for: none may appear in another book.
ESSAY_WORDS = ("三国志", "Llama", "llm-sangokushi", "曹操", "著者名の記載なし")
MM = 72 / 25.4

PLAIN_INDEX = """\
# 旅の記録

```{toctree}
:maxdepth: 1

tokyo
kyoto
```
"""
PLAIN_CHAPTERS = {
    "tokyo.md": """\
# 東京にて

朝の電車は思っていたよりも静かだった。
駅を出ると、ビルの谷間に小さな神社があった[^kami]。

[^kami]: 名前は聞きそびれた。

## 昼の市場

- 焼き魚の定食
- 冷たい麦茶

> 旅は道連れ、世は情け。

![古い地図の切れ端](map.png)
""",
    "kyoto.md": """\
# 京都にて

寺の庭では、苔の上に光がまだらに落ちていた。
帰りの新幹線で、ノートに今日の出来事を書きとめた。

| 日 | 行き先 |
|---|---|
| 一日目 | 清水寺 |
| 二日目 | 嵐山 |

```text
旅程表 version 2
```
""",
}


def sangokushi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as an author's shell runs it: its output to a pipe is block-buffered (the
    command leaves with ``os._exit``, after flushing)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    result = subprocess.run(
        [*SANGOKUSHI, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "WARNING" not in result.stderr, result.stderr
    return result


def starter_book(folder: Path) -> Path:
    """A book started the documented way: its own title, author, file names and page size."""
    sangokushi(
        "new", str(folder), "--title", "はじめての本", "--author", "山田太郎",
        "--paper", "B6", "--name", "hajimete",
    )  # fmt: skip
    return folder


def plain_book(folder: Path) -> Path:
    """A book whose author replaced the starter's chapters with plain MyST of their own."""
    sangokushi("new", str(folder), "--title", "旅の記録", "--author", "佐藤花子", "--name", "tabi")
    image = (folder / "images" / "hon-no-men.png").read_bytes()
    for child in list(folder.iterdir()):
        if child.name not in ("book.toml", "conf.py"):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    (folder / "index.md").write_text(PLAIN_INDEX, encoding="utf-8")
    (folder / "map.png").write_bytes(image)
    for name, text in PLAIN_CHAPTERS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


ONE_DOCUMENT = """\
# 一枚の本

この本は一つの文書だけでできている。節の前に置いたこの前書きは、扉の裏に組まれる。

## 始まり

最初の節では、一つの文書で本を作るときに何が起きるかを確かめる。脚注もひとつ置く[^a]。

[^a]: 脚注の文はここにある。

## 続き

二つ目の節には表を置く。

| 項目 | 内容 |
|---|---|
| 文書 | 一つ |
| 節 | 二つ |

最後の段落で本文が終わる。
"""


def one_document_book(folder: Path) -> Path:
    """A book written as one document: its sections are its chapters."""
    sangokushi(
        "new", str(folder), "--title", "一枚の本", "--author", "鈴木一郎", "--name", "ichimai"
    )
    for child in list(folder.iterdir()):
        if child.name not in ("book.toml", "conf.py"):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    (folder / "index.md").write_text(ONE_DOCUMENT, encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=["starter", "plain"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book's folder, every edition built into its own build/ by `sangokushi build`."""
    root = tmp_path_factory.mktemp(request.param)
    folder = root / "book"
    (starter_book if request.param == "starter" else plain_book)(folder)
    result = sangokushi("build", str(folder))
    (root / "build.out").write_text(result.stdout, encoding="utf-8")
    return folder


def test_a_first_build_starts_the_pdfs_latex_first(built: Path) -> None:
    """A build from nothing has no edit to show: the PDFs' Sphinx runs first, so that their
    LaTeX starts sooner; the HTML is still published before the EPUBs (`test_bench`: after an
    edit, the HTML's Sphinx first)."""
    lines = (built.parent / "build.out").read_text(encoding="utf-8").splitlines()
    assert re.match(r"sangokushi: pdf(-tate)?: building \(1/", lines[0]), lines
    published = [line.split(":")[1].strip() for line in lines if re.search(r"\(\d+\.\d s\)$", line)]
    assert published.index("html") < min(published.index("epub"), published.index("epub-tate"))


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine.md").write_text("# 私の原稿\n", encoding="utf-8")
    result = subprocess.run(
        [*SANGOKUSHI, "new", str(tmp_path), "--title", "t", "--author", "a"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "not an empty folder" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.md"]


def test_new_writes_the_facts_it_was_given(tmp_path: Path) -> None:
    sangokushi(
        "new", str(tmp_path / "b"), "--title", 'A "quoted" 題 #1', "--author", "著者",
        "--paper", "a6",
    )  # fmt: skip
    facts = load(tmp_path / "b")
    assert (facts.title, facts.author, facts.paper, facts.name) == (
        'A "quoted" 題 #1',
        "著者",
        "A6",
        "a-quoted-1",
    )
    index = (tmp_path / "b" / "index.md").read_text(encoding="utf-8")
    assert index.startswith('# A "quoted" 題 \\#1\n')


def outputs(folder: Path) -> dict[str, Path]:
    facts = load(folder)
    return {e.name: e.published(folder / "build") for e in for_book(facts)}


def test_every_edition_under_its_own_name(built: Path) -> None:
    stem = load(built).name
    found = outputs(built)
    assert sorted(str(p.relative_to(built / "build")) for p in found.values()) == sorted(
        [
            "html",
            f"epub/{stem}.epub",
            f"epub/{stem}-tate.epub",
            f"pdf/{stem}.pdf",
            f"pdf/{stem}-print.pdf",
            f"pdf/{stem}-tate.pdf",
            f"pdf/{stem}-tate-print.pdf",
            f"pdf/{stem}-cover.pdf",
            f"pdf/{stem}-tate-cover.pdf",
        ]
    )
    for path in found.values():
        assert (path / "index.html" if path.is_dir() else path).stat().st_size > 1000, path


def test_pdfs_have_the_books_page_size(built: Path) -> None:
    facts = load(built)
    width, height = PAPERS[facts.paper]
    found = outputs(built)
    for name in ("pdf", "pdf-tate"):
        box = PdfReader(found[name]).pages[0].mediabox
        assert abs(float(box.width) - width * MM) < 1 and abs(float(box.height) - height * MM) < 1
    trim = PdfReader(found["pdf-print"]).pages[0].trimbox
    assert abs(float(trim.width) - width * MM) < 1 and abs(float(trim.height) - height * MM) < 1


def test_the_cut_virtual_fonts_hold_every_character(built: Path, tmp_path: Path) -> None:
    """Footnotes, code and figures too: dvipdfmx makes the same PDF with the cut fonts."""
    facts = load(built)
    for edition in (e for e in for_book(facts) if e.post == "latex" and not e.imposes):
        work = tmp_path / edition.name
        shutil.copytree(edition.workdir(built / "build"), work)
        check_cut_fonts(work, work / f"{facts.name}.dvi")


@pytest.fixture(scope="module")
def checked(built: Path) -> str:
    """What `sangokushi check` of every edition said (it passed: ``sangokushi`` asserts it)."""
    return sangokushi("check", str(built)).stdout


def test_the_publishers_checks_pass(checked: str) -> None:
    """Every sentence in HTML, both EPUBs and the PDFs; EPUBCheck; every PDF font embedded."""
    assert re.search(r"epub: \d+/\d+ sentences", checked), checked
    for line in checked.splitlines():
        if "sentences" in line:
            done, total = map(int, re.search(r"(\d+)/(\d+)", line).groups())
            assert done == total > 5, line


def test_print_shop_pdfs(built: Path, checked: str) -> None:
    """Both print PDFs of another book: PDF/X-1a, black ink only (a figure made grey), pages
    to a multiple of 4 with the 奥付 last, the trimmed page the book's own size."""
    facts = load(built)
    width, height = PAPERS[facts.paper]
    found = outputs(built)
    for name in ("pdf-print", "pdf-tate-print"):
        path = found[name]
        images = subprocess.run(
            ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        # The starter's figure is a colour PNG; the plain book has it as map.png.
        assert images and all(row.split()[5] == "gray" for row in images), images
        assert f"{name}: PDF/X-1a:2001 preflight and inks: 0 problems" in checked
        assert path.read_bytes().startswith(b"%PDF-1.3")
        count = len(PdfReader(path).pages)
        assert count % 4 == 0, (name, count)
        assert "奥付" in pdftotext(path, "-f", str(count), "-l", str(count)), name
        trim = PdfReader(path).pages[0].trimbox
        assert abs(float(trim.width) - width * MM) < 1, name
        assert abs(float(trim.height) - height * MM) < 1, name


def test_the_vertical_pdf_has_every_sentence(built: Path) -> None:
    facts = load(built)
    sentences = fidelity.book_sentences(built / "build" / "doctrees")
    text = vertical_text(outputs(built)["pdf-tate"], facts.tate_page)
    assert fidelity.lost_sentences(sentences, text) == []


def edition_texts(built: Path) -> dict[str, str]:
    found = outputs(built)
    texts = {"html": fidelity.html_edition_text(found["html"])}
    texts["search"] = (found["html"] / "searchindex.js").read_text(encoding="utf-8")
    for name in ("epub", "epub-tate"):
        with zipfile.ZipFile(found[name]) as epub:
            texts[name] = "".join(
                epub.read(n).decode("utf-8", "replace")
                for n in epub.namelist()
                if n.endswith((".xhtml", ".opf", ".ncx"))
            )
    # The print covers too: the book's own title on 表1.
    for name in ("pdf", "pdf-print", "pdf-tate", "cover", "cover-tate"):
        info = subprocess.run(
            ["pdfinfo", str(found[name])], capture_output=True, text=True, check=True
        ).stdout
        texts[name] = pdftotext(found[name]) + info
    return texts


def test_nothing_from_another_book(built: Path) -> None:
    facts = load(built)
    for name, text in edition_texts(built).items():
        for word in ESSAY_WORDS:
            assert word not in text, (name, word)
        if name not in ("search", "pdf-tate"):
            assert fidelity.normalize(facts.title) in fidelity.normalize(text), name


def test_colophon_from_the_books_facts(built: Path) -> None:
    facts = load(built)
    pdf = outputs(built)["pdf"]
    last = fidelity.normalize(pdftotext(pdf, "-f", str(len(PdfReader(pdf).pages))))
    for fact in ("奥付", facts.title, f"著者：{facts.author}", "第1版第1刷"):
        assert fidelity.normalize(fact) in last, (fact, last)
    # EPUB: the starter's own 奥付 page last, after the index; a book without one gets it at
    # the end of its last document, on a page of its own (the plain book has no index entry:
    # no empty index page follows it).
    with zipfile.ZipFile(outputs(built)["epub"]) as epub:
        opf = epub.read("content.opf").decode()
        items = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
        spine = [items[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf)]
        pages = [p for p in spine if p.endswith(".xhtml") and p != "nav.xhtml"]
        if (built / "appendix" / "okuzuke.md").exists():
            assert pages[-2:] == ["genindex.xhtml", "appendix/okuzuke.xhtml"], pages
            last = pages[-1]
        else:
            assert "genindex.xhtml" not in pages, pages
            marked = [p for p in pages if 'id="sangokushi-colophon"' in epub.read(p).decode()]
            assert marked == [pages[-1]], (marked, pages)
            last = pages[-1]
            assert "section.generated-colophon" in epub.read("_static/ebook.css").decode()
        text = fidelity.normalize(fidelity.html_text(epub.read(last).decode()))
    assert fidelity.normalize(f"著者：{facts.author}") in text


def test_chapters_are_numbered_by_default(built: Path) -> None:
    html = outputs(built)["html"]
    first = "tokyo" if (built / "tokyo.md").exists() else "kakikata"
    page = fidelity.html_text((html / f"{first}.html").read_text(encoding="utf-8"))
    assert "第1章" in page
    tex = next((built / "build" / "work" / "pdf").glob("*.tex")).read_text(encoding="utf-8")
    assert r"\chapter{" in tex


def test_list_names_the_books_own_files(built: Path) -> None:
    listed = json.loads(sangokushi("list", str(built)).stdout)
    stem = load(built).name
    assert [e["output"] for e in listed if e["form"] == "epub"] == [
        f"epub/{stem}.epub",
        f"epub/{stem}-tate.epub",
    ]


def test_builddir_moves_the_editions(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "out"
    result = sangokushi("build", str(built), "html", "--builddir", str(elsewhere))
    assert (elsewhere / "html" / "index.html").is_file()
    # A line when an edition starts and one when it is published: no Sphinx chatter.
    lines = result.stdout.splitlines()
    assert lines[0] == "sangokushi: html: building (1/1)", lines
    assert re.fullmatch(r"sangokushi: html: \S*out/html \(\d+\.\d s\)", lines[1]), lines
    assert len(lines) == 2 and result.stderr == ""
    env = {**os.environ, "BUILDDIR": str(tmp_path / "env")}
    subprocess.run([*SANGOKUSHI, "build", str(built), "html"], env=env, check=True)
    assert (tmp_path / "env" / "html" / "index.html").is_file()


@pytest.mark.parametrize("name", ["epub", "epub-tate"])
def test_daisy_ace_finds_no_violation(built: Path, name: str, tmp_path: Path) -> None:
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=CHROMIUM, PUPPETEER_SKIP_DOWNLOAD="1")
    run = subprocess.run(
        [str(need(ACE)), "-f", "-s", "-o", str(tmp_path), str(outputs(built)[name])],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    violations = [
        f"{doc['earl:testSubject']['url']}: {a['earl:test']['dct:title']}"
        for doc in report["assertions"]
        for a in doc["assertions"]
    ]
    assert violations == [], run.stdout[-1000:] + "\n".join(violations)
    assert report["earl:result"]["earl:outcome"] == "pass"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


def test_no_forbidden_character_starts_a_line(built: Path, browser: object, tmp_path: Path) -> None:
    """Both EPUBs and the HTML at phone and tablet width, as the essay's editions are checked."""
    found = outputs(built)
    pages = unpack(found["epub"], tmp_path / "yoko") + unpack(found["epub-tate"], tmp_path / "tate")
    pages += sorted(p for p in found["html"].rglob("*.html") if "_static" not in p.parts)
    problems, lines = [], 0
    for width in (PHONE, TABLET):
        context = browser.new_context(viewport={"width": width, "height": 844}, locale="ja-JP")
        page = context.new_page()
        for doc in pages:
            page.goto(doc.as_uri())
            result = page.evaluate(LINE_STARTS, FORBIDDEN_AT_LINE_START)
            lines += result["lines"]
            problems += [f"{width}px {doc.name}: …{text}" for text in result["found"]]
        context.close()
    assert lines > 10, "no line breaks measured: the test would find nothing"
    assert problems == [], "\n".join(problems)


# A table's caption: its box, and the style of its number (表1).
CAPTIONS = """
[...document.querySelectorAll('table caption')].map((caption) => {
  const box = caption.getBoundingClientRect();
  const number = caption.querySelector('span.caption-number');
  return [caption.textContent.trim(), box.width, box.height,
          number ? getComputedStyle(number).fontStyle : 'normal'];
})
"""


def test_tables_read_on_a_phone(built: Path, browser: object, tmp_path: Path) -> None:
    """At 390 px in the HTML and the horizontal EPUB a stacked table's cell labels are its
    headers' words (no <wbr /> shown as text), and its caption runs across the blocks, upright
    (it stood one character wide, 表 italic)."""
    found = outputs(built)
    pages = unpack(found["epub"], tmp_path / "yoko")
    pages += sorted(p for p in found["html"].rglob("*.html") if "_static" not in p.parts)
    shown = [
        (doc.name, tag)
        for doc in pages + unpack(found["epub-tate"], tmp_path / "tate")
        for tag in re.findall(r"&lt;/?[A-Za-z][^&]{0,20}", doc.read_text(encoding="utf-8"))
    ]
    assert shown == [], shown
    context = browser.new_context(viewport={"width": PHONE, "height": 844}, locale="ja-JP")
    page = context.new_page()
    captions = []
    for doc in pages:
        page.goto(doc.as_uri())
        captions += [(doc.name, *caption) for caption in page.evaluate(CAPTIONS)]
    context.close()
    if built.parent.name.startswith("starter"):
        assert captions, "the starter book's table has a caption"
    assert [c for c in captions if c[2] < c[3] or c[4] != "normal"] == [], captions


# What the phone tests read in each EPUB document: list numbers, figures, code blocks' rules.
ON_PHONE = """() => ({
  markers: [...document.querySelectorAll('div.body ol > li')].map((li) => {
    const m = getComputedStyle(li, '::marker');
    return [m.textCombineUpright, getComputedStyle(li).listStyleType]; }),
  figures: [...document.querySelectorAll('div.body img')].map((img) => {
    const box = img.getBoundingClientRect();
    return [box.width, box.height, innerWidth, innerHeight]; }),
  rules: [...document.querySelectorAll('div.body pre')].map((pre) => {
    const s = getComputedStyle(pre);
    return [s.borderInlineStartStyle, parseFloat(s.borderInlineStartWidth)]; }),
})"""


@pytest.fixture(scope="module")
def on_phone(
    built: Path, browser: object, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], list[tuple[str, dict[str, list[list[object]]]]]]:
    """Each EPUB's documents loaded once per colour scheme at 390 × 844: (edition, scheme) →
    [(document, what ON_PHONE found in it)]."""
    found = {}
    for edition in ("epub", "epub-tate"):
        docs = unpack(outputs(built)[edition], tmp_path_factory.mktemp(edition))
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": PHONE, "height": 844}, locale="ja-JP", color_scheme=scheme
            )
            page = context.new_page()
            found[edition, scheme] = []
            for doc in docs:
                page.goto(doc.as_uri())
                page.wait_for_load_state("load")
                found[edition, scheme].append((doc.name, page.evaluate(ON_PHONE)))
            context.close()
    return found


def test_vertical_list_numbers_stand_upright(built: Path, on_phone: dict) -> None:
    """In the vertical EPUB a numbered list's number is 縦中横 with a space after it, as the
    vertical PDF sets it (it lay on its side with its period)."""
    markers = [m for _, read in on_phone["epub-tate", "light"] for m in read["markers"]]
    if built.parent.name.startswith("starter"):
        assert markers, "the starter book has a numbered list"
    assert all(m == ["all", "tate-decimal"] for m in markers), markers


@pytest.mark.parametrize("edition", ["epub", "epub-tate"])
def test_figures_fit_a_phone_screen(on_phone: dict, edition: str) -> None:
    """At 390 × 844 every figure of either EPUB fits the screen, so a paginating reader shows it
    whole (in vertical writing it stood 500 px wide: max-width: 100% means nothing there)."""
    sizes = [(doc, *size) for doc, read in on_phone[edition, "light"] for size in read["figures"]]
    assert sizes, "each book has a figure"
    assert [s for s in sizes if s[1] > s[3] or s[2] > s[4]] == [], sizes


@pytest.mark.parametrize("edition", ["epub", "epub-tate"])
def test_code_blocks_stand_apart(built: Path, on_phone: dict, edition: str) -> None:
    """A code block of either EPUB is set off from the text by a rule at its line starts, in
    light and dark mode (it was told from the text by its font alone)."""
    rules = [
        rule
        for scheme in ("light", "dark")
        for _, read in on_phone[edition, scheme]
        for rule in read["rules"]
    ]
    if built.parent.name.startswith("starter"):
        assert rules, "the starter book shows code"
    assert all(style == "solid" and width >= 1 for style, width in rules), rules


def test_no_page_is_left_part_empty(built: Path) -> None:
    # Page makeup as in the essay (tests/test_makeup.py): every page inside a chapter filled.
    from test_makeup import PDFS, underfilled

    facts, found = load(built), outputs(built)
    for edition, tate in PDFS.items():
        page = facts.tate_page if tate else facts.page
        assert underfilled(found[edition], tate, page) == []


def test_the_root_documents_own_text_is_front_matter(built: Path) -> None:
    """The starter's introduction above its toctree is set on the 扉裏 (page ii), facing the
    目次 (iii), not alone on page 1 under the running head 目次 (sangokushi.book.Contents);
    the plain book's root has no text of its own: its 目次 is on iii all the same."""
    starter = load(built).name == "hajimete"
    intro = "この本は、sangokushiで本を作り始めるための雛形です。" if starter else ""
    for edition in ("pdf", "pdf-tate", "pdf-print", "pdf-tate-print"):
        pdf = outputs(built)[edition]
        page = [re.sub(r"\s", "", pdftotext(pdf, "-f", str(n), "-l", str(n))) for n in (2, 3)]
        assert "目次" in page[1], (edition, page[1][:40])
        assert intro in page[0], (edition, page[0][:80])
        assert re.sub(r"\s", "", pdftotext(pdf)).count(intro or "目次") == 1, edition


def test_a_book_of_one_document(tmp_path: Path) -> None:
    """Every edition built and checked (every sentence in each); in the PDFs the text before
    the first section is front matter on the 扉裏 (ii), the 目次 faces it (iii), and the
    first section opens page 1 (sangokushi.book.Contents); the EPUBs' contents list the
    sections, and no empty index page."""
    folder = one_document_book(tmp_path / "book")
    sangokushi("build", str(folder))
    checked = sangokushi("check", str(folder)).stdout
    said = [line for line in checked.splitlines() if "sentences" in line]
    assert len(said) == 5, checked  # the HTML, both EPUBs and the horizontal PDFs
    for line in said:
        done, total = map(int, re.search(r"(\d+)/(\d+)", line).groups())
        assert done == total > 5, line
    sentences = fidelity.book_sentences(folder / "build" / "doctrees")
    text = vertical_text(outputs(folder)["pdf-tate"], load(folder).tate_page)
    assert fidelity.lost_sentences(sentences, text) == []
    # Each EPUB's contents list the sections under the title, as the PDF's 目次 lists them;
    # it has no index page, the book having no index entry.
    for edition in ("epub", "epub-tate"):
        with zipfile.ZipFile(outputs(folder)[edition]) as epub:
            nav = epub.read("nav.xhtml").decode("utf-8")
            ncx = epub.read("toc.ncx").decode("utf-8")
            assert not [n for n in epub.namelist() if "genindex" in n], edition
        toc = nav[nav.index('epub:type="toc"') : nav.index("</nav>")]
        hrefs = re.findall(r'<a href="([^"]+)">([^<]+)</a>', toc)
        assert [text for _, text in hrefs] == ["一枚の本", "始まり", "続き"], hrefs
        assert all(href.startswith("index.xhtml#") for href, _ in hrefs[1:]), hrefs
        assert "<text>続き</text>" in ncx, edition
    intro = "この本は一つの文書だけでできている。"
    for edition in ("pdf", "pdf-tate", "pdf-print", "pdf-tate-print"):
        pdf = outputs(folder)[edition]
        page = [re.sub(r"\s", "", pdftotext(pdf, "-f", str(n), "-l", str(n))) for n in (2, 3, 5)]
        assert intro in page[0] and "目次" not in page[0], (edition, page[0][:80])
        assert "目次" in page[1], (edition, page[1][:40])
        assert intro not in page[1] and "始まり" in page[2], (edition, page[2][:40])
        assert re.sub(r"\s", "", pdftotext(pdf)).count(intro) == 1, edition


NOTE_MARKS = """() => {
  const found = [];
  let refs = 0;
  for (const ref of document.querySelectorAll('a.footnote-reference')) {
    let before = ref.previousSibling;
    if (!before) before = ref.parentElement.previousSibling;  // kept with it: its own line
    if (!before || before.nodeType !== 3 || !before.textContent.length) continue;
    refs += 1;
    const range = document.createRange();
    range.setStart(before, before.textContent.length - 1);
    range.setEnd(before, before.textContent.length);
    const mark = range.getBoundingClientRect(), note = ref.getClientRects()[0];
    const vertical = getComputedStyle(ref).writingMode.startsWith('vertical');
    const apart = vertical ? Math.abs(mark.left - note.left) > mark.width / 2
                           : Math.abs(mark.top - note.top) > mark.height / 2;
    if (apart) found.push(before.textContent.slice(-8) + ref.textContent);
    // Written once, as text ([1]): no stylesheet adds them again ([[1]]).
    const added = ['::before', '::after'].map((at) => getComputedStyle(ref, at).content);
    if (added.some((c) => c !== 'none' && c !== 'normal')) found.push('brackets ' + added);
  }
  return [refs, found];
}"""


def test_no_line_begins_with_a_note_reference(tmp_path: Path, browser: object) -> None:
    """A 合印 stays on the line of what it marks (sangokushi.jatext.keep_note_marks), in the
    HTML and both EPUBs, at every width from a small phone's to a tablet's."""
    folder = one_document_book(tmp_path / "book")
    sentences = [
        f"これは{n}番目の文で、注の印が行の頭に来ないかを確かめる[^n{n}]。" for n in range(1, 13)
    ]
    notes = [f"[^n{n}]: {n}番目の注。" for n in range(1, 13)]
    text = ONE_DOCUMENT.replace("最後の段落で本文が終わる。", "".join(sentences))
    (folder / "index.md").write_text(text + "\n" + "\n\n".join(notes) + "\n", encoding="utf-8")
    sangokushi("build", str(folder))
    found = outputs(folder)
    documents = {"html": [found["html"] / "index.html"]}
    for name in ("epub", "epub-tate"):
        documents[name] = unpack(found[name], tmp_path / name)
    page = browser.new_page(viewport={"width": 300, "height": 844})
    for name, pages in documents.items():
        refs, starts = 0, []
        for doc in pages:
            page.goto(doc.as_uri())
            page.wait_for_load_state("load")
            for width in range(300, 430, 4):  # the lines fall otherwise at each width
                page.set_viewport_size({"width": width, "height": 844})
                counted, at_start = page.evaluate(NOTE_MARKS)
                refs += counted
                starts += [f"{width}px {doc.name}: {s}" for s in at_start]
        assert refs > 300, (name, refs)
        assert starts == [], (name, starts[:5])
    page.close()


def test_the_correspondence_table_is_a_table_in_every_pdf(built: Path) -> None:
    """The starter's 対照表 (one box) is a table with its plain heads in all four PDFs, as the
    essay's is (tests/test_analogy_book.py)."""
    from test_analogy_book import HEADS, box_names, table_rows

    from sangokushi.conf import ANALOGY_LABELS_JA

    names = box_names(built)
    if not names:
        pytest.skip("no analogy box in this book")
    heads = [*HEADS[:2], ANALOGY_LABELS_JA["analogy_historical_label"], *HEADS[3:]]
    found = outputs(built)
    for name in ("pdf", "pdf-print", "pdf-tate", "pdf-tate-print"):
        vertical = next(e for e in for_book(load(built)) if e.name == name).vertical
        pages, rows = table_rows(found[name], vertical, heads, names)
        assert pages and sorted(rows) == sorted(m for m, _ in names), (name, pages, rows)


def test_no_line_is_letter_spaced(built: Path) -> None:
    # Justification as in the essay (tests/test_makeup.py), in every PDF. A line may open
    # between its characters only where the next line starts with a Latin word (inline code)
    # longer than all the room the line had: it cannot be set there, nor broken (the starter's
    # 「…図は」 before ``figure``, 0.14字 on B6; 「…本文で{analogy}`」 before ``kappan```).
    from makeup import sheets, spread_lines
    from test_makeup import PDFS, SPENT, SPREAD

    facts, found = load(built), outputs(built)
    spread = []
    for edition, tate in PDFS.items():
        page = facts.tate_page if tate else facts.page
        found_sheets = sheets(found[edition], page, tate)
        lines = spread_lines(found_sheets, page, tate, SPREAD, latin=True, spent=SPENT)
        spread += [f"{edition} page {n}: {gap:.3f}字 {text}" for n, gap, text in lines]
    assert spread == [], "\n".join(spread)


def test_no_latin_space_opens_a_hole(built: Path) -> None:
    # As in the essay (tests/test_makeup.py), in both 横組 PDFs.
    from makeup import latin_spaces, sheets
    from test_makeup import LATIN_SPACE, PDFS

    facts, found = load(built), outputs(built)
    wide = []
    for edition in (name for name, tate in PDFS.items() if not tate):
        spaces = latin_spaces(sheets(found[edition], facts.page, False), facts.page)
        wide += [
            f"{edition} page {n}: {space:.2f}字 {w}"
            for n, space, w in spaces
            if space > LATIN_SPACE
        ]
    assert wide == [], "\n".join(wide)


def test_body_lines_keep_to_the_line_grid(built: Path) -> None:
    # 行取り as in the essay (tests/test_makeup.py), after what the second books have and the
    # essay has not: code blocks (one that a page break splits too), figures, lists, quotes.
    from makeup import grid_share, sheets
    from test_makeup import GRID_PDFS, ON_GRID

    facts, found = load(built), outputs(built)
    for edition, tate in GRID_PDFS.items():
        page = facts.tate_page if tate else facts.page
        share, off = grid_share(sheets(found[edition], page, tate), page, tate)
        assert share >= ON_GRID, f"{edition}: {share:.0%} on the grid; off it:\n" + "\n".join(off)
