"""The index sorted by reading (sangokushi.yomi): collation, the role, every builder, bad input."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from chromium import EPUBS, PHONE, launch
from pypdf import PdfReader
from sphinx.testing.util import SphinxTestApp

import support
from sangokushi import fidelity
from sangokushi.build import latex as pdf
from sangokushi.yomi import collation, parse
from support import sphinx_build, strip_colors


def build(root: Path, dest: Path, buildername: str, **overrides: object) -> tuple[Path, str]:
    result = sphinx_build(root, dest, buildername, **overrides)
    return result.outdir, result.warnings


# -- collation ------------------------------------------------------------------------


def test_readings_sort_as_a_japanese_index() -> None:
    # JIS X 4061: 清音 first, then 濁音 and 半濁音; small kana before large; ー is the vowel
    # it lengthens (カーテン = かあてん); katakana and hiragana are one.
    words = ["はは", "ばば", "ぱぱ", "ハハ", "かっこう", "かこう", "がっこう", "カーテン", "かい"]
    words += ["きやく", "きゃく", "グーグル", "くうき", "あ", "ん", "わ", "を"]
    assert sorted(words, key=collation.sort_key) == [
        "あ",
        "カーテン",
        "かい",
        "かこう",
        "かっこう",
        "がっこう",
        "きゃく",
        "きやく",
        "くうき",
        "グーグル",
        "はは",
        "ハハ",
        "ばば",
        "ぱぱ",
        "わ",
        "を",
        "ん",
    ]


def test_rows_and_kana() -> None:
    rows = {w: collation.row(w) for w in ("アルトマン", "がっこう", "ぢ", "ぴ", "ゆ", "ろ", "ん")}
    assert rows == {
        "アルトマン": "あ",
        "がっこう": "か",
        "ぢ": "た",
        "ぴ": "は",
        "ゆ": "や",
        "ろ": "ら",
        "ん": "わ",
    }
    assert collation.row("OpenAI") is None
    assert collation.is_kana("アルトマン、サム") and collation.is_kana("ディープマインド")
    assert not collation.is_kana("曹操") and not collation.is_kana("ちょう魯")
    assert collation.hiragana("ｸﾞｰｸﾞﾙ") == "ぐーぐる"


def test_role_syntax() -> None:
    assert parse("曹操") == ("曹操", "曹操", "")
    assert parse("Google|グーグル") == ("Google", "Google", "グーグル")
    assert parse("サム・アルトマン <アルトマン、サム>") == (
        "サム・アルトマン",
        "アルトマン、サム",
        "",
    )
    assert parse("<曹操>") == ("", "曹操", "")
    assert parse("<Google|グーグル>") == ("", "Google", "グーグル")


# -- a small book in every builder ---------------------------------------------------

ROOT_ORDER = {
    "あ": ["アルトマン、サム", "OpenAI"],
    "か": ["カーテン", "かこう", "かっこう", "がっこう", "きゃく", "きやく", "Google"],
    "さ": ["司馬懿", "曹操"],
    "ま": ["Microsoft"],
    "ら": ["劉備"],
    "A": ["Alpha"],
    "Z": ["Zeta"],
}


def html_index(page: str) -> dict[str, list[str]]:
    """Group label -> headings, in the order the genindex page lists them."""
    groups: dict[str, list[str]] = {}
    for label, body in re.findall(
        r'<h2>([^<]*)</h2>\s*<ul class="yomi-entries"[^>]*>(.*?)</ul>', page, re.S
    ):
        groups[label] = re.findall(r'<span class="yomi-heading"[^>]*>([^<]*)</span>', body)
    return groups


def test_html_genindex_by_reading(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-index", tmp_path, "html")
    assert warnings == ""
    page = (outdir / "genindex.html").read_text(encoding="utf-8")
    assert html_index(page) == ROOT_ORDER
    assert "epub:type" not in page
    # Each chapter linked once, in reading order, to its first occurrence.
    soso = re.search(r'曹操</span> <span class="yomi-links">(.*?)</span>', page)[1]
    assert soso == '<a href="wei.html#yomi-0">魏</a>、<a href="shu.html#yomi-1">蜀 — Google</a>'
    # The text shown is the text written; an index mark after a ruby shows nothing.
    wei = (outdir / "wei.html").read_text(encoding="utf-8")
    assert "の政治力" in fidelity.html_text(wei)
    text = fidelity.normalize(fidelity.html_text(wei))
    assert "曹操サム・アルトマンの政治力。Microsoftが軍師・司馬懿のように" in text
    assert '<span class="target" id="yomi-0"></span>' in wei
    # The toctree lists the index before the colophon.
    root = (outdir / "index.html").read_text(encoding="utf-8")
    assert root.index('href="genindex.html"') < root.index('href="colophon.html"')


def test_epub_index_page_before_colophon(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-index", tmp_path, "epub")
    assert warnings == ""
    with zipfile.ZipFile(outdir / "index-book.epub") as epub:
        opf = epub.read("content.opf").decode()
        nav = epub.read("nav.xhtml").decode()
        page = epub.read("genindex.xhtml").decode()
    ids = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    spine = [ids[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf) if i in ids]
    assert spine.count("genindex.xhtml") == 1
    assert spine.index("genindex.xhtml") + 1 == spine.index("colophon.xhtml")
    assert nav.index("genindex.xhtml") < nav.index("colophon.xhtml")
    assert html_index(page) == ROOT_ORDER
    assert '<a epub:type="index-locator" href="wei.xhtml#yomi-0">魏</a>' in page
    # EPUB Indexes semantics for reading systems (HTML pages do not get epub:type).
    for kind in ("index", "index-group", "index-entry-list", "index-entry", "index-term"):
        assert f'epub:type="{kind}"' in page, kind


def test_a_mark_between_two_characters_lets_the_line_end_before_it(
    rootdir: Path, tmp_path: Path
) -> None:
    # pTeX puts the space it adds between two characters after the marks between them, where
    # \yomimark's \nobreak forbids a break: in the essay the line before 「は Google」 could not
    # end at は and was spread (「LLM　の伝統」, 1.8字). Under pTeX a mark between two characters
    # brings that space before it: 和欧間 beside Latin, else the space between characters.
    outdir, warnings = build(rootdir / "test-index", tmp_path, "latex", latex_engine="uplatex")
    assert warnings == ""
    tex = (outdir / "index-book.tex").read_text(encoding="utf-8")
    assert r"曹操は\hskip\kanjiskip\relax \yomimark{yomi:shu:yomi-2}劉備と" in tex
    assert r"と\hskip\xkanjiskip\relax \yomimark{yomi:shu:yomi-4}Zetaと" in tex
    # None after punctuation (its own space) or at a paragraph's start.
    assert r"争った。\yomimark{yomi:shu:yomi-3}Google" in tex
    assert "\n\\yomimark{yomi:shu:yomi-1}曹操は" in tex
    assert tex.count(r"\relax \yomimark") == tex.count(r"kanjiskip\relax \yomimark")


def test_latex_index_with_labels(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-index", tmp_path, "latex")
    assert warnings == ""
    tex = (outdir / "index-book.tex").read_text(encoding="utf-8")
    assert r"\usepackage{sangokushiyomi}" in tex
    assert (outdir / "sangokushiyomi.sty").exists()
    assert r"\index{" not in tex
    assert r"\ltjruby[mode=5]{曹操}{そうそう}\yomimark{yomi:wei:yomi-0}" in tex
    assert r"\yomimark{yomi:shu:yomi-1}曹操は" in tex
    # A mark in a heading: Sphinx moves it after the heading, the chapter title stays clean.
    assert "\\chapter{蜀 — Google}\n" in tex and "\n\\yomimark{yomi:shu:yomi-0}\n" in tex
    body = tex[tex.index(r"\begin{yomitheindex}") : tex.index(r"\end{yomitheindex}")]
    headings = re.findall(r"\\yomientry\{([^}]*)\}", body)
    assert headings == [h for group in ROOT_ORDER.values() for h in group]
    assert re.findall(r"\\yomigroup\{([^}]*)\}", body) == list(ROOT_ORDER)
    assert r"\yomientry{曹操}{\yomipages{yomi:wei:yomi-0,yomi:shu:yomi-1,yomi:shu:yomi-6}}" in body
    assert (
        r"\yomientry{Google}{\yomipages{yomi:wei:yomi-5,yomi:shu:yomi-0,yomi:shu:yomi-3}}" in body
    )
    # The index where the toctree lists it: after 蜀, before the colophon's chapter.
    assert (
        tex.index(r"\chapter{蜀 — Google}")
        < tex.index("yomitheindex")
        < tex.index(r"\chapter{奥付}")
    )


def test_bad_entries_warn_with_file_and_line(rootdir: Path, tmp_path: Path) -> None:
    _outdir, warnings = build(rootdir / "test-index-bad", tmp_path, "html")
    expected = [
        r"index\.md:3: WARNING: idx: no reading for '諸葛亮'.*\[yomi\.reading\]",
        r"index\.md:5: WARNING: idx: '曹操' read 'そうし' here but 'そうそう' elsewhere",
        r"index\.md:7: WARNING: idx: reading 'ちょう魯' of '張魯' is not kana \[yomi\.reading\]",
        r"index\.md:9: WARNING: idx: expected .* got 'a\|b\|c' \[yomi\.syntax\]",
    ]
    for pattern in expected:
        assert re.search(pattern, warnings), (pattern, warnings)
    assert len(warnings.strip().splitlines()) == 5, warnings
    assert "Traceback" not in warnings


# -- the book: one order in every edition, pages that hold their terms ---------------

BOOK_ORDER = {
    "あ": ["Amazon", "アルトマン、サム", "Anthropic", "xAI", "袁紹", "OpenAI"],
    "か": ["Google"],
    "さ": ["ザッカーバーグ、マーク", "司馬懿", "諸葛亮", "曹操", "孫権"],
    "た": ["張陵", "張魯", "DeepMind"],
    "は": ["ハサビス、デミス"],
    "ま": ["Microsoft", "マスク、イーロン", "Meta"],
    "ら": ["劉備", "ルカン、ヤン"],
}
EPUB_PATHS = list(EPUBS.values())
PDF = "pdf/llm-sangokushi.pdf"
ENTRY = re.compile(r"^(?P<heading>.+?)(?P<pages>\d+(?:、\d+)*)$")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
)


def term(heading: str) -> str:
    """What the text says for an index heading: an inverted name's family name."""
    return heading.partition("、")[0]


def links_resolve(page: str, base: Path, read) -> None:
    """Every link of the index page leads to an anchor on a page that holds the term."""
    for heading, links in re.findall(
        r'<span class="yomi-heading"[^>]*>([^<]*)</span> <span class="yomi-links">(.*?)</span>',
        page,
    ):
        hrefs = re.findall(r'href="([^"#]+)#([^"]+)"', links)
        assert hrefs, heading
        for name, anchor in hrefs:
            target = read(name)
            assert f'id="{anchor}"' in target, (heading, name, anchor)
            assert term(heading) in fidelity.html_text(target), (heading, name)


@pytest.mark.slow
def test_book_html_index(book: Path) -> None:
    html = book / "html"
    page = (html / "genindex.html").read_text(encoding="utf-8")
    assert html_index(page) == BOOK_ORDER
    links_resolve(page, html, lambda name: (html / name).read_text(encoding="utf-8"))
    root = (html / "index.html").read_text(encoding="utf-8")
    assert root.index('href="genindex.html"') < root.index('href="appendix/colophon.html"')


@pytest.mark.slow
@pytest.mark.parametrize("edition", EPUB_PATHS)
def test_book_epub_index(book: Path, edition: str) -> None:
    with zipfile.ZipFile(book / edition) as epub:
        files = {name: epub.read(name) for name in epub.namelist()}
    opf = files["content.opf"].decode()
    ids = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    spine = [ids[i] for i in re.findall(r'<itemref idref="([^"]+)" />', opf)]  # linear ones
    assert spine.count("genindex.xhtml") == 1
    assert spine[spine.index("genindex.xhtml") + 1 :] == ["appendix/colophon.xhtml"]
    nav = files["nav.xhtml"].decode()
    assert nav.index('"genindex.xhtml"') < nav.index('"appendix/colophon.xhtml"')
    page = files["genindex.xhtml"].decode()
    assert html_index(page) == BOOK_ORDER
    assert re.search(r"<h1>索引</h1>", page)
    links_resolve(page, Path(), lambda name: files[name].decode())


def pdf_index_lines(pdf: Path, first: int, last: int) -> list[str]:
    """The index pages' lines (1-based pages), column by column, without the folio."""
    lines: list[str] = []
    for number in range(first, last + 1):
        markup = pdftotext(pdf, number, "-bbox")
        width = float(re.search(r'<page width="([\d.]+)"', markup)[1])
        columns: dict[bool, list[tuple[float, float, str]]] = {False: [], True: []}
        for x0, y0, y1, word in WORD.findall(markup):
            middle = (float(y0) + float(y1)) / 2
            columns[float(x0) > width / 2].append((middle, float(x0), word))
        for right in (False, True):
            rows: list[list[tuple[float, float, str]]] = []
            for word in sorted(columns[right]):
                if rows and word[0] - rows[-1][0][0] < 4:  # glyphs of one line differ by < 4pt
                    rows[-1].append(word)
                else:
                    rows.append([word])
            lines += ["".join(w for _y, _x, w in sorted(row, key=lambda w: w[1])) for row in rows]
    return lines


def pdftotext(pdf: Path, page: int, *options: str) -> str:
    """One page's text (1-based page number)."""
    return support.pdftotext(pdf, *options, "-f", str(page), "-l", str(page))


def check_pdf_index(pdf: Path, expected: dict[str, list[str]], first_chapter: str) -> dict:
    """The 索引 chapter lists ``expected`` and each page number is a page with the term."""
    reader = PdfReader(pdf)
    outline = {
        o.title: reader.get_destination_page_number(o)
        for o in reader.outline
        if not isinstance(o, list)
    }
    first, colophon = outline["索引"], outline["奥付"]
    groups: dict[str, list[str]] = {}
    pages: dict[str, list[str]] = {}
    for line in pdf_index_lines(pdf, first + 1, colophon):
        if line == "索引" or line.isdigit():
            continue  # the title, a folio
        if collation.row(line) == line or collation.latin_initial(line) == line:
            groups[line] = []
            continue
        entry = ENTRY.match(line)
        assert entry and groups, line
        groups[list(groups)[-1]].append(entry["heading"])
        pages[entry["heading"]] = entry["pages"].split("、")
    assert groups == expected
    labels = reader.page_labels
    physical = {labels[i]: i for i in range(outline[first_chapter], len(labels))}
    contents = next(
        text
        for page in range(1, outline[first_chapter] + 1)
        if "目次" in (text := fidelity.normalize(pdftotext(pdf, page, "-layout")))
    )
    # the contents give the index's page (after dot leaders on jlreq)
    assert re.search(rf"索引[・.]*{labels[first]}(?!\d)", contents), contents
    for heading, folios in pages.items():
        assert folios == sorted(set(folios), key=int), (heading, folios)
        for folio in folios:
            text = pdftotext(pdf, physical[folio] + 1)
            assert term(heading) in fidelity.normalize(text), (heading, folio)
    return outline


@pytest.mark.slow
def test_book_pdf_index(book: Path) -> None:
    outline = check_pdf_index(book / PDF, BOOK_ORDER, "序章")
    assert outline["編集注記"] < outline["索引"] < outline["奥付"]


@pytest.mark.slow
def test_pdf_of_a_small_book(rootdir: Path, tmp_path: Path) -> None:
    """Real LuaLaTeX: a mark moved out of a heading, a term twice on one page listed once."""
    if shutil.which("lualatex") is None:
        pytest.skip("TeX Live is not installed")
    outdir, warnings = build(rootdir / "test-index", tmp_path, "latex")
    assert warnings == ""
    target = pdf.build_pdf(outdir / "index-book.tex", engine="lualatex")
    log = (outdir / "index-book.log").read_text(encoding="utf-8", errors="replace")
    assert not re.search(r"LaTeX Warning: (Reference|Label|There were)", log), log[-2000:]
    outline = check_pdf_index(target, ROOT_ORDER, "魏")
    assert outline["蜀 — Google"] < outline["索引"] < outline["奥付"]


@pytest.mark.slow
def test_index_pages_fit_a_phone(book: Path, tmp_path: Path) -> None:
    """At 390 px: no sideways scrolling in HTML and the 横書き EPUB; the 縦書き page is set
    vertically, its lines (columns) no taller than the screen."""
    for edition in EPUB_PATHS:
        with zipfile.ZipFile(book / edition) as epub:
            epub.extractall(tmp_path / Path(edition).stem)
    pages = {
        "html": book / "html" / "genindex.html",
        "epub": tmp_path / "llm-sangokushi" / "genindex.xhtml",
        "tate": tmp_path / "llm-sangokushi-tate" / "genindex.xhtml",
    }
    measure = """() => {
      const root = document.documentElement;
      const items = [...document.querySelectorAll('ul.yomi-entries li')];
      return {
        mode: getComputedStyle(root).writingMode,
        width: root.scrollWidth,
        height: root.scrollHeight,
        items: items.length,
        tallest: Math.max(...items.map((li) => li.getBoundingClientRect().height)),
      };
    }"""
    found = {}
    for browser in launch():
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": PHONE, "height": 844})
            page.goto(path.as_uri())
            found[name] = page.evaluate(measure)
            page.screenshot(path=str(tmp_path / f"index-{name}.png"), full_page=True)
            page.close()
    count = sum(len(entries) for entries in BOOK_ORDER.values())
    for name in ("html", "epub"):
        assert found[name]["mode"] == "horizontal-tb", found
        assert found[name]["width"] <= 390, found
        assert found[name]["items"] == count, found
    tate = found["tate"]
    assert tate["mode"] == "vertical-rl", found
    assert tate["height"] <= 844 and tate["tallest"] <= 844, found
    assert tate["items"] == count, found


def test_incremental_and_parallel_builds(rootdir: Path, tmp_path: Path) -> None:
    """A reading added in one chapter reaches the index; only that chapter is read again."""
    src = tmp_path / "src"
    shutil.copytree(rootdir / "test-index", src)

    def html(**kwargs: object) -> tuple[SphinxTestApp, str]:
        app = SphinxTestApp("html", srcdir=src, builddir=tmp_path / "_build", **kwargs)
        try:
            app.build()
        finally:
            app.cleanup()
        page = (Path(app.outdir) / "genindex.html").read_text(encoding="utf-8")
        return app, page

    app, page = html(freshenv=True)
    assert html_index(page) == ROOT_ORDER
    with (src / "shu.md").open("a", encoding="utf-8") as f:
        f.write("\n{idx}`諸葛亮|しょかつりょう`と{idx}`ゆうき`。\n")
    app, page = html()
    status = strip_colors(app.status.getvalue())
    # shu alone; a line ends in "\r" instead of "\n" when Sphinx colours its output (CI=true).
    assert re.search(r"reading sources\.\.\. \[100%\] shu\s", status), status
    expected = {**ROOT_ORDER, "さ": ["司馬懿", "諸葛亮", "曹操"], "や": ["ゆうき"]}
    expected = {k: expected[k] for k in ("あ", "か", "さ", "ま", "や", "ら", "A", "Z")}
    assert html_index(page) == expected
    assert strip_colors(app.warning.getvalue()) == ""
    # The same index from two processes (the domain's data merged).
    _app, parallel = html(freshenv=True, parallel=2)
    assert html_index(parallel) == expected
