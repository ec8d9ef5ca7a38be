"""Both e-reader editions (縦書き, 横書き): EPUBCheck, an ebooklib read-back, reproducibility."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from chromium import launch
from PIL import Image, ImageFont

from sangokushi.ebook import check, cover, package, readback
from sangokushi.tate import orient
from support import Build, sphinx_build

EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
MODES = ("horizontal", "vertical")


def build_edition(root: Path | None, dest: Path, mode: str, **overrides: object) -> Build:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return sphinx_build(root, dest, "epub", epub_writing_mode=mode, **overrides)


@pytest.fixture(scope="module")
def ebook_root(rootdir: Path) -> Path:
    return rootdir / "test-ebook"


@pytest.fixture(scope="module")
def editions(ebook_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """Both editions, each built once for the whole module."""
    return {
        mode: build_edition(ebook_root, tmp_path_factory.mktemp(f"ebook-{mode}"), mode)
        for mode in MODES
    }


@pytest.fixture(params=MODES)
def edition(request: pytest.FixtureRequest, editions: dict[str, Build]) -> tuple[str, Build]:
    return request.param, editions[request.param]


@pytest.fixture
def read(edition: tuple[str, Build]) -> readback.Edition:
    return readback.read_edition(edition[1].epub)


def test_builds_without_warnings(edition: tuple[str, Build]) -> None:
    _, build = edition
    assert build.warnings == ""
    assert build.epub.is_file()


def test_epubcheck_and_readback_find_nothing(edition: tuple[str, Build]) -> None:
    if shutil.which("java") is None:
        pytest.skip("EPUBCheck needs java (Debian: default-jre-headless)")
    mode, build = edition
    result = check.run_epubcheck(build.epub)
    assert result.ok, result.summary() + "\n" + "\n".join(result.messages)
    assert readback.problems(readback.read_edition(build.epub), vertical=mode == "vertical") == []


def test_writing_mode_and_page_progression(
    edition: tuple[str, Build], read: readback.Edition
) -> None:
    mode = edition[0]
    vertical = mode == "vertical"
    assert read.direction == ("rtl" if vertical else "ltr")
    assert read.named.get("primary-writing-mode") == ("vertical-rl" if vertical else None)
    expected = "vertical-rl" if vertical else "horizontal-tb"
    assert read.nav == "nav.xhtml"
    for href in [*read.documents, "nav.xhtml"]:
        assert read.root_attributes(href)["class"] == ("vrtl" if vertical else "hltr")
        assert read.root_writing_modes(href) == {expected}, href
    css = read.stylesheets["_static/ebook.css"].decode()
    for prefix in ("", "-epub-", "-webkit-"):
        assert f"{prefix}writing-mode: vertical-rl;" in css


def test_every_document_is_japanese(read: readback.Edition) -> None:
    assert read.language == "ja"
    assert set(read.documents) >= {"index.xhtml", "chapter1.xhtml", "epub-cover.xhtml", "nav.xhtml"}
    for href in read.documents:
        attrs = read.root_attributes(href)
        assert (attrs["lang"], attrs["xml:lang"]) == ("ja", "ja"), href


def test_cover_is_first(read: readback.Edition) -> None:
    assert read.cover_image == "_static/ebook-cover.png"
    assert read.spine[0] == ("epub-cover.xhtml", True)
    assert read.spine[-1] == ("nav.xhtml", False)
    page = read.documents["epub-cover.xhtml"].decode()
    assert 'src="_static/ebook-cover.png"' in page
    assert 'alt="テストの本 副題 — 2023年の話 試験 太郎"' in page
    with zipfile.ZipFile(read.path) as ocf:
        image = Image.open(BytesIO(ocf.read("_static/ebook-cover.png")))
    assert (image.format, image.size) == ("PNG", (1600, 2560))
    assert not image.info.keys() & {"date", "Creation Time", "tIME"}


def test_accessibility_metadata(read: readback.Edition) -> None:
    props = read.properties
    assert props["schema:accessMode"] == ["textual"]
    assert props["schema:accessModeSufficient"] == ["textual"]
    assert props["schema:accessibilityFeature"] == [
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "displayTransformability",
        "rubyAnnotations",
    ]
    assert props["schema:accessibilityHazard"] == ["none"]
    assert props["schema:accessibilitySummary"] == [
        "テスト用の本です。本文はすべてテキストで、目次と見出しで移動できます。"
    ]
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert props["dcterms:modified"] == ["2023-11-14T22:13:20Z"]


def test_renditions_have_their_own_identifiers(
    edition: tuple[str, Build], read: readback.Edition
) -> None:
    """A library keeps both EPUBs; dc:source and a collection tie them to one work."""
    rendition = "tategaki" if edition[0] == "vertical" else "yokogaki"
    assert read.identifier == f"urn:test-book:1:{rendition}"
    assert read.source == "urn:test-book:1"
    opf = zipfile.ZipFile(read.path).read("content.opf").decode()
    assert '<meta property="belongs-to-collection" id="collection">テストの本</meta>' in opf
    assert '<meta refines="#collection" property="dcterms:identifier">urn:test-book:1</meta>' in opf


def test_renditions_are_two_titles_of_one_series(
    edition: tuple[str, Build], read: readback.Edition
) -> None:
    """Two titles a store keeps apart, one series that ties them, readings to sort by."""
    vertical = edition[0] == "vertical"
    assert read.title == ("テストの本（縦書き版）" if vertical else "テストの本")
    opf = zipfile.ZipFile(read.path).read("content.opf").decode()
    assert '<meta refines="#collection" property="collection-type">series</meta>' in opf
    position = "2" if vertical else "1"
    assert f'<meta refines="#collection" property="group-position">{position}</meta>' in opf
    assert '<meta refines="#title" property="file-as">テストノホン</meta>' in opf
    assert '<meta refines="#creator" property="file-as">シケン タロウ</meta>' in opf
    ncx = zipfile.ZipFile(read.path).read("toc.ncx").decode()
    assert f"<text>{read.title}</text>" in ncx


@pytest.mark.slow
def test_calibre_adds_both_renditions_as_one_series(
    editions: dict[str, Build], tmp_path: Path
) -> None:
    """Calibre (a library and the store path) keeps both EPUBs: two books of one series."""
    if shutil.which("calibredb") is None:
        pytest.skip("Calibre is not installed (Debian: calibre)")
    library = tmp_path / "library"
    library.mkdir()
    epubs = [str(editions[mode].epub) for mode in MODES]
    subprocess.run(
        ["calibredb", "--library-path", str(library), "add", *epubs],
        check=True,
        capture_output=True,
    )
    listed = subprocess.run(
        [
            "calibredb",
            "--library-path",
            str(library),
            "list",
            "--for-machine",
            "--fields",
            "title,template,authors,author_sort,series,series_index,publisher",
            "--template",
            "{sort}",  # the title's sort key
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    books = sorted(json.loads(listed), key=lambda b: b["series_index"])
    assert [b["title"] for b in books] == ["テストの本", "テストの本（縦書き版）"]
    assert [(b["series"], b["series_index"]) for b in books] == [
        ("テストの本", 1.0),
        ("テストの本", 2.0),
    ]
    assert {(b["template"], b["authors"], b["author_sort"], b["publisher"]) for b in books} == {
        ("テストノホン", "試験 太郎", "シケン タロウ", "テスト出版")
    }


def calibre_css(book: Path, into: Path) -> str:
    """The CSS that Calibre's AZW3 conversion of ``book`` holds (the Kindle path)."""
    azw3 = into / "book.azw3"
    subprocess.run(["ebook-convert", str(book), str(azw3)], check=True, capture_output=True)
    subprocess.run(
        ["calibre-debug", "--explode-book", str(azw3), str(into / "exploded")],
        check=True,
        capture_output=True,
    )
    return "".join(p.read_text(encoding="utf-8") for p in sorted(into.rglob("*.css")))


@pytest.mark.slow
def test_calibre_conversion_keeps_light_mode_light(
    editions: dict[str, Build], tmp_path: Path
) -> None:
    """Calibre applies dark-mode rules it cannot test; this book's are left out of the AZW3."""
    if shutil.which("ebook-convert") is None:
        pytest.skip("Calibre is not installed (Debian: calibre)")
    book = editions["horizontal"].epub
    css = readback.read_edition(book).stylesheets["_static/ebook.css"].decode()
    assert "#121212" in css and "#e6e6e6" in css  # the EPUB has its dark colours
    converted = calibre_css(book, tmp_path)
    assert converted and "121212" not in converted.lower()
    assert "e6e6e6" not in converted.lower()
    # The same rules as Calibre 6.13 first met them: applied unconditionally (the fault).
    plain = tmp_path / "plain.epub"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(plain, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "_static/ebook.css":
                data = re.sub(
                    rb"@media \(prefers-color-scheme: dark\)[^{]*",
                    b"@media (prefers-color-scheme: dark) ",
                    data,
                )
            dst.writestr(info, data)
    (tmp_path / "plain").mkdir()
    assert "121212" in calibre_css(plain, tmp_path / "plain").lower()


def test_dark_colours_in_a_reading_system_in_dark_mode(
    editions: dict[str, Build], tmp_path: Path
) -> None:
    """Chromium (the engine of many reading systems) applies them in dark mode only."""
    with zipfile.ZipFile(editions["horizontal"].epub) as ocf:
        ocf.extractall(tmp_path)
    colours = {}
    for browser in launch():
        for scheme in ("light", "dark"):
            page = browser.new_page(color_scheme=scheme)
            page.goto((tmp_path / "chapter1.xhtml").as_uri())
            colours[scheme] = page.evaluate(
                "() => [getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.body).color]"
            )
    assert colours["dark"] == ["rgb(18, 18, 18)", "rgb(230, 230, 230)"]
    assert colours["light"][0] != "rgb(18, 18, 18)"
    assert colours["light"][1] != "rgb(230, 230, 230)"


def test_no_unused_files_and_one_viewport(read: readback.Edition) -> None:
    names = set(zipfile.ZipFile(read.path).namelist())
    assert not {"_static/file.png", "_static/plus.png", "_static/minus.png"} & names
    highlighted = [h for h, page in read.documents.items() if b'class="highlight' in page]
    assert ("_static/pygments.css" in names) == bool(highlighted)
    for href, page in read.documents.items():
        assert (b"pygments.css" in page) == (href in highlighted), href
    assert "_static/basic.css" not in names
    for href, page in read.documents.items():
        assert page.count(b'name="viewport"') <= 1, href


def test_navigation_document(read: readback.Edition) -> None:
    nav = read.documents["nav.xhtml"].decode()
    assert "<title>目次</title>" in nav
    assert '<h1 id="toc-title">目次</h1>' in nav
    landmarks = re.findall(r'<a epub:type="(\w+)" href="([^"]+)">([^<]+)</a>', nav)
    assert landmarks == [
        ("cover", "epub-cover.xhtml", "表紙"),
        ("toc", "nav.xhtml#toc", "目次"),
        ("bodymatter", "chapter1.xhtml", "本文"),
    ]
    assert 'href="_static/ebook.css"' in nav


def test_ruby_markup(read: readback.Edition) -> None:
    chapter = read.documents["chapter1.xhtml"].decode()
    assert "<ruby>司馬懿<rp>(</rp><rt>しばい</rt><rp>)</rp></ruby>" in chapter


def test_tate_chu_yoko_in_vertical_edition_only(
    edition: tuple[str, Build], read: readback.Edition
) -> None:
    chapter = read.documents["chapter1.xhtml"].decode()
    nav = read.documents["nav.xhtml"].decode()
    if edition[0] == "horizontal":
        assert 'class="tcy"' not in chapter + nav
        assert 'class="upright"' not in chapter + nav
        return
    for markup in (
        '<span class="upright">2023</span>年<span class="tcy">7</span>月',
        '<span class="tcy">19</span>日、',
        'わずか<span class="tcy">8</span>ヶ月',
        "OpenAIのGPT-3.5は",  # a name with its version stays sideways, whole
        "MetaはLlama 2を",
        '<span class="upright">100%</span>',
        '<span class="tcy">AI</span>と<span class="upright">LLM</span>',
        '<span class="upright">2000</span>万ドル',
        '<span class="tcy">3.5</span>倍',
        '<span class="tcy">!?</span>',
        '第<span class="tcy">1</span>章',
    ):
        assert markup in chapter
    assert "print(2023)" in chapter  # code is left alone
    assert "# 2ヶ月" in chapter
    # A short table is a horizontal island: its figures are not oriented.
    assert '<table class="hltr docutils align-default" id="id3">' in chapter
    assert "2022年11月30日" in chapter
    # A long one (10 rows) turns with the text, so it can be split across pages.
    chapter2 = read.documents["chapter2.xhtml"].decode()
    assert re.search(r'<table class="[^"]*\bvrtl\b', chapter2)
    assert '<td><p><span class="tcy">11</span>月</p></td>' in chapter2
    assert '第<span class="tcy">2</span>章 呉の国' in nav
    # toctree entries are resolved after the post-transforms, and oriented all the same
    index = read.documents["index.xhtml"].decode()
    assert 'href="chapter1.xhtml">第<span class="tcy">1</span>章 魏の国</a>' in index


def test_rebuild_is_byte_identical(
    edition: tuple[str, Build], ebook_root: Path, tmp_path: Path
) -> None:
    mode, first = edition
    original = first.epub.read_bytes()
    again = build_edition(ebook_root, tmp_path, mode)
    assert again.epub.read_bytes() == original
    # An incremental build over the first one (its cover page and environment left,
    # the other edition copied beside it as the Makefile does).
    shutil.copyfile(first.epub, first.outdir / "test-book-other.epub")
    incremental = build_edition(None, first.outdir.parent.parent, mode)
    assert incremental.warnings == ""
    assert incremental.epub.read_bytes() == original


def test_zip_container(edition: tuple[str, Build]) -> None:
    with zipfile.ZipFile(edition[1].epub) as ocf:
        infos = ocf.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert infos[0].extra == b""
    names = [i.filename for i in infos]
    assert names[:4] == list(package.LEADING)
    assert names[4:] == sorted(names[4:])
    assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}


def test_zip_times_before_1980_are_clamped(tmp_path: Path) -> None:
    for name in package.LEADING:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    target = tmp_path / "book.epub"
    package.write_ocf(target, tmp_path, [], 0)
    with zipfile.ZipFile(target) as ocf:
        assert {i.date_time for i in ocf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_interrupt_inside_a_zip_entry_comes_out_as_itself(tmp_path: Path) -> None:
    """A signal that lands while zipfile opens an entry (the build's handler raises there)
    leaves that entry's handle open; it comes out as the interrupt, not as zipfile's refusal
    to close the zip (a traceback), and no zip, whole or cut short, is left."""
    for name in package.LEADING:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    target = tmp_path / "book.epub"

    def interrupt(frame: Any, event: str, arg: Any) -> None:
        # Where the deflated entry's compressor is made, the entry already being written.
        if event == "call" and frame.f_code.co_name == "_get_compressor":
            raise KeyboardInterrupt

    sys.settrace(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            package.write_ocf(target, tmp_path, [], 0)
    finally:
        sys.settrace(None)
    assert not target.exists() and not target.with_name(target.name + ".part").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7月19日", [("7", "tcy"), ("月", None), ("19", "tcy"), ("日", None)]),
        ("2ヶ月", [("2", "tcy"), ("ヶ月", None)]),
        ("2023年", [("2023", "upright"), ("年", None)]),
        ("100%の", [("100%", "upright"), ("の", None)]),
        ("50%", [("50", "tcy"), ("%", "upright")]),
        ("3.5倍", [("3.5", "tcy"), ("倍", None)]),
        ("12.75倍", [("12.75", "upright"), ("倍", None)]),
        ("1,000人", [("1,000", "upright"), ("人", None)]),
        ("GPT-3.5と", [("GPT-3.5と", None)]),
        ("Llama 2の", [("Llama 2の", None)]),
        ("OpenAIとChatGPT", [("OpenAIとChatGPT", None)]),
        ("AIとX", [("AI", "tcy"), ("と", None), ("X", "upright")]),
        ("LLM三国志", [("LLM", "upright"), ("三国志", None)]),
        ("NVDAとAMAZON", [("NVDA", "upright"), ("とAMAZON", None)]),
        ("70B", [("70B", None)]),
        ("本当!?", [("本当", None), ("!?", "tcy")]),
        ("なぜ?", [("なぜ？", None)]),  # a lone mark full-width, upright by itself
        ("本当!", [("本当！", None)]),
        ("当時(と言っても)", [("当時（と言っても）", None)]),
        ("語(LLM)を", [("語（", None), ("LLM", "upright"), ("）を", None)]),
        ("GPT-3.5(無料版)", [("GPT-3.5（無料版）", None)]),
        ("f(x) = y", [("f(x) = y", None)]),  # Latin text keeps its own
        ("関数f(x)は", [("関数f(x)は", None)]),
        ("第1.0.0版", [("第1.0.0版", None)]),
        ("漢字だけ", [("漢字だけ", None)]),
    ],
)
def test_orientation_rules(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert orient(text) == expected


def test_missing_cover_font_warns_and_still_builds(ebook_root: Path, tmp_path: Path) -> None:
    build = build_edition(ebook_root, tmp_path, "horizontal", ebook_cover_font="NoSuchFont.otf")
    assert "cover font 'NoSuchFont.otf' not found" in build.warnings
    assert "[ebook.cover]" in build.warnings
    assert readback.read_edition(build.epub).cover_image == "_static/ebook-cover.png"


def test_find_font_uses_kpsewhich() -> None:
    if shutil.which("kpsewhich") is None:
        pytest.skip("TeX Live is not installed")
    assert cover.find_font("HaranoAjiMincho-Regular.otf").name == "HaranoAjiMincho-Regular.otf"


def test_the_cover_font_is_looked_up_and_read_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both EPUBs of a build, and every build of a preview, draw from one lookup and digest."""
    if shutil.which("kpsewhich") is None:
        pytest.skip("TeX Live is not installed")
    monkeypatch.setattr(cover, "_found", {})
    runs: list[list[str]] = []
    run = subprocess.run
    monkeypatch.setattr(
        cover.subprocess, "run", lambda args, **kw: runs.append(args) or run(args, **kw)
    )
    first = cover.find_font("HaranoAjiMincho-Regular.otf")
    assert cover.find_font("HaranoAjiMincho-Regular.otf") == first
    assert len(runs) == 1
    font = tmp_path / "font.otf"
    font.write_bytes(b"one")
    before = cover.font_digest(font)
    assert cover.font_digest(font) == before
    font.write_bytes(b"two")  # the same size: read again for its time
    os.utime(font, ns=(font.stat().st_mtime_ns + 10**9,) * 2)
    assert cover.font_digest(font) != before


def test_check_command(
    editions: dict[str, Build],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # EPUBCheck itself runs above; here only what the command makes of the read-back.
    monkeypatch.setattr(check, "run_epubcheck", lambda epub: check.EpubCheckResult())
    horizontal, vertical = str(editions["horizontal"].epub), str(editions["vertical"].epub)
    assert check.main([horizontal, "--vertical", vertical]) == 0
    assert check.main(["--vertical", horizontal]) == 1
    assert "page-progression-direction is 'ltr', not 'rtl'" in capsys.readouterr().err


def test_vertical_chapter_renders_vertically(editions: dict[str, Build], tmp_path: Path) -> None:
    """Chromium lays the chapter out as 縦書き: 縦中横 in one em, upright runs stacked."""
    with zipfile.ZipFile(editions["vertical"].epub) as ocf:
        ocf.extractall(tmp_path)
    for browser in launch():
        page = browser.new_page(viewport={"width": 800, "height": 1000})
        page.goto((tmp_path / "chapter1.xhtml").as_uri())
        layout = page.evaluate(
            """() => {
              const box = (el) => {
                const r = el.getBoundingClientRect();
                return {w: r.width, h: r.height};
              };
              const style = (el) => getComputedStyle(el);
              const p = document.querySelector('section p');
              return {
                root: style(document.documentElement).writingMode,
                em: parseFloat(style(p).fontSize),
                paragraph: box(p),
                tcy: [...p.querySelectorAll('.tcy')].map(box),
                combine: style(p.querySelector('.tcy')).textCombineUpright,
                upright: box(p.querySelector('.upright')),
                table: style(document.querySelector('table')).writingMode,
              };
            }"""
        )
    assert layout["root"] == "vertical-rl"
    assert layout["paragraph"]["h"] > layout["paragraph"]["w"]  # lines run top to bottom
    em = layout["em"]
    assert layout["combine"] == "all"
    # 7, 19, 8: each one em high (a lone digit set sideways would be half that)
    assert [round(tcy["h"] / em, 1) for tcy in layout["tcy"][:3]] == [1.0, 1.0, 1.0], layout
    # 2023: four digits stacked upright, an em each (sideways they would take two)
    assert layout["upright"]["h"] > 3.5 * em, layout
    assert layout["table"] == "horizontal-tb"


def test_cover_title_breaks_between_phrases() -> None:
    if shutil.which("kpsewhich") is None:
        pytest.skip("TeX Live is not installed")
    fontfile = cover.find_font("HaranoAjiMincho-Regular.otf")
    font = ImageFont.truetype(str(fontfile), 120)
    title = "Llama 2の登場でLLM三国志が始まった"
    assert cover.wrap(title, font, 1200) == ["Llama 2の登場で", "LLM三国志が", "始まった"]
    assert cover.wrap("Llama 2の登場で\nLLM三国志が始まった", font, 1400) == [
        "Llama 2の登場で",
        "LLM三国志が始まった",
    ]
    # 禁則: no line starts with 。 or ー, even where the text must break anyway
    for line in cover.wrap("ああああああ。ーーああああ", font, 720)[1:]:
        assert line[0] not in "。ー"
    spec = cover.CoverSpec(title=title, subtitle="副題")
    assert cover.render_cover(spec, fontfile) == cover.render_cover(spec, fontfile)


@pytest.mark.parametrize("mode", ["horizontal", "vertical"])
def test_a_line_holds_at_most_about_forty_characters(
    editions: dict[str, Build], tmp_path: Path, mode: str
) -> None:
    """On a wide or tall screen (1280 × 1000) a line keeps a measure; links clear the ruby."""
    with zipfile.ZipFile(editions[mode].epub) as ocf:
        ocf.extractall(tmp_path)
    for browser in launch():
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto((tmp_path / "chapter1.xhtml").as_uri())
        found = page.evaluate(
            """() => {
              const p = document.querySelector('section p');
              const s = getComputedStyle(p);
              const r = p.getBoundingClientRect();
              const vertical = s.writingMode.startsWith('vertical');
              return {measure: (vertical ? r.height : r.width) / parseFloat(s.fontSize),
                      underline: getComputedStyle(document.documentElement)
                        .textUnderlinePosition};
            }"""
        )
    assert 20 < found["measure"] <= 42, found
    assert found["underline"] == ("left" if mode == "vertical" else "auto"), found


def test_an_index_page_only_where_the_book_has_an_index(ebook_root: Path, tmp_path: Path) -> None:
    """No index entry: no empty 索引 page in the e-book; listed in a toctree, the page stays
    (the contents would link to nothing)."""
    unlisted = build_edition(ebook_root, tmp_path / "unlisted", "horizontal", epub_use_index=True)
    root = tmp_path / "root"
    shutil.copytree(ebook_root, root)
    index = root / "index.md"
    index.write_text(
        index.read_text(encoding="utf-8").replace("chapter2\n:::", "chapter2\ngenindex\n:::"),
        encoding="utf-8",
    )
    listed = build_edition(root, tmp_path / "listed", "horizontal", epub_use_index=True)
    assert unlisted.warnings == listed.warnings == ""
    with zipfile.ZipFile(unlisted.epub) as epub:
        assert "genindex.xhtml" not in epub.namelist()
    with zipfile.ZipFile(listed.epub) as epub:
        assert "genindex.xhtml" in epub.namelist()
        assert 'href="genindex.xhtml"' in epub.read("nav.xhtml").decode("utf-8")
