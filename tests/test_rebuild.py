"""Cheap rebuilds: an unchanged edition is skipped, any changed input rebuilds it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from sangokushi.build.runner import Build
from support import BY_NAME, DOCS, EDITIONS, ROOT

EPUBS = ("epub", "epub-tate")
EPOCH = "1700000000"


class Project:
    """A copy of the book (docs, pyproject.toml and the package's source) with its builds."""

    def __init__(self, root: Path, editions: tuple[str, ...] = ()) -> None:
        self.root = root
        self.docs = root / "docs"
        self.src = root / "src"
        self.build = root / "build"
        shutil.copytree(DOCS, self.docs)
        if editions:
            # Only these (without the PDFs, the EPUBs mark no printed pages and need no TeX).
            facts = self.docs / "book.toml"
            line = f"editions = {json.dumps(list(editions))}"
            text = re.sub(r"(?m)^editions = .*$", line, facts.read_text(encoding="utf-8"))
            facts.write_text(text, encoding="utf-8")
        shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
        shutil.copytree(ROOT / "src", self.src, ignore=shutil.ignore_patterns("__pycache__"))

    def call(
        self, *names: str, builddir: Path | None = None, **environ: str
    ) -> subprocess.CompletedProcess[str]:
        """``sangokushi build`` of ``names`` with the copy's own code."""
        env = {**os.environ, "PYTHONPATH": str(self.src), "SOURCE_DATE_EPOCH": EPOCH, **environ}
        command = [sys.executable, "-m", "sangokushi", "build", str(self.docs), *names]
        command += ["--builddir", str(builddir or self.build)]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)

    def run(self, *names: str, builddir: Path | None = None, **environ: str) -> dict[str, str]:
        """Build ``names`` with the copy's own code; what happened to each: built or skipped."""
        result = self.call(*names, builddir=builddir, **environ)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        # Nothing but errors goes to stderr: no warning, no library's INFO line (pikepdf's).
        assert result.stderr == "", result.stderr
        found = re.findall(r"^sangokushi: ([\w-]+): (.*)$", result.stdout, re.MULTILINE)
        # The editions asked for (an EPUB also brings its PDF, whose pages it marks).
        return {
            name: "skipped" if text.endswith("up to date") else "built"
            for name, text in found
            if name in names or not names
        }

    def epub(self, name: str) -> Path:
        return BY_NAME[name].published(self.build)

    def text(self, name: str) -> str:
        with zipfile.ZipFile(self.epub(name)) as book:
            return "".join(
                book.read(n).decode() for n in book.namelist() if n.endswith((".xhtml", ".css"))
            )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    book = Project(tmp_path_factory.mktemp("rebuild"), ("html", *EPUBS))
    assert book.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    return book


def test_no_change_skips_and_keeps_the_published_files(project: Project) -> None:
    before = {n: project.epub(n).stat().st_mtime_ns for n in EPUBS}
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}
    assert {n: project.epub(n).stat().st_mtime_ns for n in EPUBS} == before


def test_a_chapter_edit_rebuilds_both_epubs_from_one_reading(project: Project) -> None:
    sentence = "（再構築の試験のための一文。）"
    edit(
        project.docs / "wei.md",
        "GPTは誰もが知るLLMとなった。",
        f"GPTは誰もが知るLLMとなった。{sentence}",
    )
    result = project.call(*EPUBS, "--verbose")
    assert result.returncode == 0, result.stderr
    # Sphinx's own count of what it read: the edit once, for the EPUB built first.
    read = re.findall(r"updating environment: .*?(\d+) added, (\d+) changed", result.stdout)
    assert read == [("0", "1"), ("0", "0")], result.stdout
    for name in EPUBS:
        assert sentence in project.text(name), name
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}


@pytest.mark.parametrize("order", [EPUBS, EPUBS[::-1]], ids=["horizontal-first", "vertical-first"])
def test_the_shared_environment_serves_no_stale_page(
    project: Project, tmp_path: Path, order: tuple[str, str]
) -> None:
    # A box's historical name is printed in other documents (the correspondence table):
    # their sources do not change, yet the EPUB built second must show the new name too.
    old, new = (":historical: 魏\n", ":historical: 曹魏\n")
    if order != EPUBS:
        old, new = new, old
    edit(project.docs / "wei.md", old, new)
    for name in order:
        assert project.run(name) == {name: "built"}
    alone = tmp_path / "alone"
    assert project.run(*EPUBS, builddir=alone) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        assert project.epub(name).read_bytes() == BY_NAME[name].published(alone).read_bytes()


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("docs/conf.py", "\nglobals()", "\n# changed by a test\nglobals()"),
        ("src/sangokushi/analogy/transforms.py", '"""', '"""Changed by a test. '),
        (
            "src/sangokushi/ebook/templates/html/ebook-cover.html",
            "</section>",
            "<!-- rebuild-test-template --></section>",
        ),
        ("docs/_static/book.css", "", "/* rebuild-test-css */\n"),
    ],
    ids=["conf.py", "extension-code", "template", "css"],
)
def test_each_kind_of_input_rebuilds(project: Project, where: str, old: str, new: str) -> None:
    edit(project.root / where, old, new)
    assert project.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    if "rebuild-test" in new:
        marker = re.search(r"rebuild-test-\w+", new).group()
        for name in EPUBS:
            assert marker in project.text(name), (name, where)
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}


def test_the_build_time_and_a_touched_output_rebuild(project: Project) -> None:
    later = {"SOURCE_DATE_EPOCH": "1700086400"}
    assert project.run(*EPUBS, **later) == {"epub": "built", "epub-tate": "built"}
    project.epub("epub-tate").write_bytes(b"not an epub")
    assert project.run(*EPUBS, **later) == {"epub": "skipped", "epub-tate": "built"}
    # SPHINXOPTS reaches the build as its options, which are inputs of their own.
    assert project.run(*EPUBS, SPHINXOPTS="", **later) == {
        "epub": "skipped",
        "epub-tate": "skipped",
    }


def test_the_registry_entry_and_options_are_inputs(tmp_path: Path) -> None:
    build = Build(DOCS, tmp_path, [])
    epub = BY_NAME["epub"]
    moved = replace(epub, overrides={"epub_writing_mode": "vertical"})
    assert build.fingerprint(epub) != build.fingerprint(moved)
    assert build.fingerprint(epub) != Build(DOCS, tmp_path, ["-D", "x=1"]).fingerprint(epub)
    assert build.fingerprint(epub) == Build(DOCS, tmp_path, []).fingerprint(epub)


def test_only_editions_that_read_alike_share_an_environment(tmp_path: Path) -> None:
    from sphinx.testing.util import SphinxTestApp

    shutil.copytree(DOCS, tmp_path / "src")
    sharing = [e for e in EDITIONS if e.environment]
    assert [e.name for e in sharing] == ["epub-tate", "pdf-print", "pdf-tate", "pdf-tate-print"]
    for edition in sharing:
        owner = BY_NAME[edition.environment]
        assert owner.builder == edition.builder and owner.tags == edition.tags
        assert edition.doctrees(Path("b")) == owner.doctrees(Path("b"))
        app = SphinxTestApp(edition.builder, srcdir=tmp_path / "src", builddir=tmp_path / "b")
        try:
            read = {value.name for value in app.config.filter(frozenset({"env"}))}
        finally:
            app.cleanup()
        assert read and not read & {*edition.overrides, *owner.overrides}, edition.name


def test_a_book_outside_git_builds_incrementally(tmp_path: Path) -> None:
    """No git, no SOURCE_DATE_EPOCH: the edition's time is the day, so a second build skips
    (with the build's second in the key, every build re-read the whole book)."""
    project = Project(tmp_path, editions=("html",))
    assert project.run("html", SOURCE_DATE_EPOCH="") == {"html": "built"}
    assert project.run("html", SOURCE_DATE_EPOCH="") == {"html": "skipped"}


def test_a_no_change_make_book_skips_every_edition(tmp_path: Path) -> None:
    """Through the Makefile; the two EPUBs drew their cover once, into their shared cache."""
    args = ["make", "-C", str(ROOT), "epub", f"BUILDDIR={tmp_path}"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    first = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    second = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    # `make epub` builds the PDFs whose printed pages the EPUBs mark: each is up to date.
    said = dict(re.findall(r"^sangokushi: ([\w-]+): (.*)$", second.stdout, re.MULTILINE))
    assert sorted(said) == ["epub", "epub-tate", "pdf", "pdf-tate"], second.stdout
    assert all(text.endswith("is up to date") for text in said.values()), second.stdout
    covers = list((tmp_path / "doctrees" / "epub" / "ebook-cover").glob("cover-*.png"))
    assert len(covers) == 1


def test_the_cover_is_drawn_again_only_when_its_inputs_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sangokushi.ebook import cover

    font = cover.find_font("HaranoAjiMincho-Regular.otf")
    drawn: list[cover.CoverSpec] = []
    render = cover.render_cover
    monkeypatch.setattr(cover, "render_cover", lambda s, f: drawn.append(s) or render(s, f))
    spec = cover.CoverSpec(title="三国志", subtitle="第1版", size=(320, 512))
    first = cover.cached_cover(spec, font, tmp_path)
    assert cover.cached_cover(spec, font, tmp_path) == first == render(spec, font)
    assert len(drawn) == 1
    later = replace(spec, subtitle="第2版")
    assert cover.cached_cover(later, font, tmp_path) != first
    assert cover.cached_cover(later, None, tmp_path) != first
    assert len(drawn) == 3
    assert len(list(tmp_path.glob("cover-*.png"))) == 1


# -- never stale: what is published after a change is what a fresh build gives ------------

FRESH = ("html", "epub")


def tree_bytes(path: Path) -> dict[str, bytes]:
    """Every file of a published edition (a folder's files, or the file) with its bytes."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def assert_as_fresh(project: Project, fresh: Path, marker: str, page: str = "wei.html") -> None:
    """Build ``FRESH`` again; each is rebuilt, shows ``marker`` and equals a build afresh."""
    assert project.run(*FRESH) == dict.fromkeys(FRESH, "built")
    shutil.rmtree(fresh, ignore_errors=True)
    assert project.run(*FRESH, builddir=fresh) == dict.fromkeys(FRESH, "built")
    for name in FRESH:
        published = tree_bytes(BY_NAME[name].published(project.build))
        alone = tree_bytes(BY_NAME[name].published(fresh))
        assert published.keys() == alone.keys(), name
        stale = [where for where in published if published[where] != alone[where]]
        assert stale == [], (name, stale)
    assert marker in project.text("epub")
    assert marker in (project.build / "html" / page).read_text(encoding="utf-8")
    assert project.run(*FRESH) == dict.fromkeys(FRESH, "skipped")


@pytest.fixture(scope="module")
def stale(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the book with a folder linked in and a file included from outside it."""
    book = Project(tmp_path_factory.mktemp("stale"), ("html", *EPUBS))
    (book.root / "outside.md").write_text("外から取り込む一文。\n", encoding="utf-8")
    (book.root / "linked").mkdir()
    (book.root / "linked" / "page.md").write_text(
        "---\norphan: true\n---\n# 別の場所\n\nリンク先の一文。\n", encoding="utf-8"
    )
    (book.docs / "linked").symlink_to(book.root / "linked", target_is_directory=True)
    edit(book.docs / "wei.md", ANCHOR, ANCHOR + "\n\n```{include} ../outside.md\n```\n")
    assert book.run(*FRESH) == dict.fromkeys(FRESH, "built")
    return book


ANCHOR = "GPTは誰もが知るLLMとなった。"


def test_a_chapter_edit_is_published_as_a_fresh_build_gives_it(
    stale: Project, tmp_path: Path
) -> None:
    edit(stale.docs / "wei.md", ANCHOR, ANCHOR + "（章の書き換え。）")
    assert_as_fresh(stale, tmp_path, "（章の書き換え。）")


def test_a_chapter_edit_with_its_time_put_back_is_published(stale: Project, tmp_path: Path) -> None:
    chapter = stale.docs / "wei.md"
    before = chapter.stat()
    edit(chapter, ANCHOR, ANCHOR + "（時刻を戻した書き換え。）")
    os.utime(chapter, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert_as_fresh(stale, tmp_path, "（時刻を戻した書き換え。）")


def test_a_changed_read_time_transform_is_published(stale: Project, tmp_path: Path) -> None:
    # jatext drops a soft line break between two wide characters when it reads a source.
    edit(stale.src / "sangokushi" / "jatext.py", 'return "" if left', 'return "〓" if left')
    assert_as_fresh(stale, tmp_path, "〓", "appendix/editorial-notes.html")


def test_an_included_file_outside_the_source_is_an_input(stale: Project, tmp_path: Path) -> None:
    outside = stale.root / "outside.md"
    before = outside.stat()
    edit(outside, "外から取り込む一文。", "外から取り込んで書き換えた一文。")
    os.utime(outside, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert_as_fresh(stale, tmp_path, "外から取り込んで書き換えた一文。")


def test_a_file_in_a_linked_folder_is_an_input(stale: Project, tmp_path: Path) -> None:
    edit(stale.root / "linked" / "page.md", "リンク先の一文。", "リンク先で書き換えた一文。")
    assert_as_fresh(stale, tmp_path, "リンク先で書き換えた一文。", "linked/page.html")


def test_a_special_file_in_the_source_is_left_out_with_a_message(stale: Project) -> None:
    fifo = stale.docs / "_static" / "a-fifo"
    os.mkfifo(fifo)
    try:
        result = stale.call("html")
        assert result.returncode == 0, result.stderr
        assert f"{fifo} is a FIFO: left out of the book" in result.stdout, result.stdout
        fifo.unlink()
        os.mkfifo(stale.docs / "a-fifo.md")
        result = stale.call("html")
        assert result.returncode == 1, result.stdout
        assert "a-fifo.md is a FIFO, not a file" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    finally:
        fifo.unlink(missing_ok=True)
        (stale.docs / "a-fifo.md").unlink(missing_ok=True)


@pytest.mark.parametrize("options", ["-aE", "--fresh-env", "-Ea"])
def test_each_spelling_of_a_fresh_build_rebuilds(stale: Project, options: str) -> None:
    assert stale.run("html", SPHINXOPTS=options) == {"html": "built"}
    assert stale.run("html", SPHINXOPTS=options) == {"html": "built"}


def test_a_warnings_file_in_sphinxopts_is_written(stale: Project, tmp_path: Path) -> None:
    warnings = tmp_path / "logs" / "warnings.txt"
    # A warnings file changes no output: the build is up to date, unless forced.
    assert stale.run("html", SPHINXOPTS=f"-w {warnings}") == {"html": "skipped"}
    assert stale.run("html", SPHINXOPTS=f"-a -w {warnings}") == {"html": "built"}
    assert warnings.read_text(encoding="utf-8") == ""


def test_an_epub_that_is_not_well_formed_is_not_published(stale: Project) -> None:
    chapter = stale.docs / "wu.md"
    text = chapter.read_text(encoding="utf-8")
    before = stale.epub("epub").read_bytes()
    chapter.write_text(text + "\n一行目<br>二行目\n", encoding="utf-8")
    try:
        result = stale.call("epub")
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        error = result.stderr.strip()
        assert error.startswith("sangokushi: epub: ") and "\n" not in error, error
        assert "wu.xhtml is not well-formed XML (mismatched tag" in error, error
        assert "not published; the previous" in error, error
        assert stale.epub("epub").read_bytes() == before
    finally:
        chapter.write_text(text, encoding="utf-8")


def test_a_paragraph_edit_writes_only_its_page_again(tmp_path: Path) -> None:
    """Both EPUBs after a one-paragraph edit: the builder resolves and writes that one page
    again (the others are kept, their printed-page markers placed afresh), and the EPUBs are
    byte for byte a fresh build's, EPUBCheck-clean, with every sentence. After a box's name
    changes, which the correspondence table on another page prints, every page is resolved
    again, and the EPUBs are again a fresh build's."""
    book = Project(tmp_path / "book", ("html", *EPUBS, "pdf", "pdf-tate"))
    assert book.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    records = {n: BY_NAME[n].workdir(book.build) / ".sangokushi-pages.json" for n in EPUBS}
    pages = json.loads(records["epub"].read_text(encoding="utf-8"))["pages"]
    assert len(pages) > 10 and "wu" in pages
    edit(book.docs / "wu.md", "。", "。（一段落だけの書き換え。）")
    assert book.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        record = json.loads(records[name].read_text(encoding="utf-8"))
        assert record["rewritten"] == ["wu"], name
        assert record["resolved"] == ["wu"], name
        assert record["pages"].keys() == pages.keys()
    fresh = tmp_path / "fresh"
    assert book.run(*EPUBS, builddir=fresh) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        assert book.epub(name).read_bytes() == BY_NAME[name].published(fresh).read_bytes(), name
        assert "page-" in book.text(name) and "（一段落だけの書き換え。）" in book.text(name)
    edit(book.docs / "wei.md", ":historical: 魏\n", ":historical: 曹魏\n")
    assert book.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        record = json.loads(records[name].read_text(encoding="utf-8"))
        assert record["resolved"] == sorted(pages), name
        assert "appendix/correspondence" in record["rewritten"], name
    fresh = tmp_path / "fresh-box"
    assert book.run(*EPUBS, builddir=fresh) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        assert book.epub(name).read_bytes() == BY_NAME[name].published(fresh).read_bytes(), name
    env = {**os.environ, "PYTHONPATH": str(book.src), "SOURCE_DATE_EPOCH": EPOCH}
    command = [sys.executable, "-m", "sangokushi", "check", str(book.docs), *EPUBS]
    checked = subprocess.run(
        [*command, "--builddir", str(book.build)], capture_output=True, text=True, env=env
    )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]


def test_the_html_writes_again_only_the_pages_that_change(tmp_path: Path) -> None:
    """The HTML after a one-paragraph edit writes that page again and keeps the others; after
    a chapter's title changes (shown in every page's sidebar) it writes every page. Each time
    the published folder is byte for byte a fresh build's."""
    book = Project(tmp_path / "book", ("html",))
    record = BY_NAME["html"].doctrees(book.build) / "sangokushi-html-pages.json"

    def built_as_fresh(marker: str, page: str) -> list[str]:
        assert book.run("html") == {"html": "built"}
        # The previous HTML folder, left in staging for the build's end, is gone.
        assert not (book.build / ".staging").exists()
        fresh = tmp_path / f"fresh-{page}"
        assert book.run("html", builddir=fresh) == {"html": "built"}
        published, alone = (tree_bytes(BY_NAME["html"].published(b)) for b in (book.build, fresh))
        assert published.keys() == alone.keys()
        assert [p for p in published if published[p] != alone[p]] == []
        assert marker in published[page].decode()
        return json.loads(record.read_text(encoding="utf-8"))["written"]

    assert book.run("html") == {"html": "built"}
    pages = json.loads(record.read_text(encoding="utf-8"))["pages"]
    assert len(pages) > 10 and "wu" in pages
    edit(book.docs / "wu.md", "。", "。（一段落だけの書き換え。）")
    assert built_as_fresh("（一段落だけの書き換え。）", "wu.html") == ["wu"]
    # Words between spaces change the page's word count (myst-parser's metadata): only its own.
    edit(book.docs / "wu.md", "（一段落だけの書き換え。）", "Open weights, open models.")
    assert built_as_fresh("Open weights, open models.", "wu.html") == ["wu"]
    # A box's historical name is printed in the correspondence table, whose source is as it was.
    edit(book.docs / "wei.md", ":historical: 魏\n", ":historical: 曹魏\n")
    table = "appendix/correspondence"
    written = built_as_fresh("曹魏", f"{table}.html")
    assert {"wei", table} <= set(written) and "shu" not in written
    # Another chapter's page: its sidebar lists the new title.
    edit(book.docs / "wu.md", "# 呉 — Meta", "# 呉 — Meta（改題）")
    assert built_as_fresh("（改題）", "shu.html") == sorted(pages)


def tex_passes(book: Project) -> dict[str, str]:
    """What the last build said of each PDF's TeX passes (sangokushi.build.timings)."""
    timings = json.loads((book.build / "work" / "timings.json").read_text(encoding="utf-8"))
    phases = timings["phases"] if isinstance(timings, dict) else timings
    return {p["edition"]: p["detail"] for p in phases if p["name"] == "TeX passes"}


def test_an_edit_sets_only_its_chapter_again(tmp_path: Path) -> None:
    """The reading PDFs after a one-paragraph edit: TeX sets the edited chapter alone and its
    pages go into the book's last DVI (sangokushi.build.parts); both PDFs are byte for byte a
    fresh build's, and so is the print PDF laid from the reading PDF's list of pages. An edit
    that moves a label's page sets the chapters that print it again with it; one that moves
    the pages after it sets the book whole; again each as a fresh build. A TeX error in a
    chapter set alone names the chapter's source, and the PDFs built before stay."""
    reading = ("pdf", "pdf-tate")
    pdfs = (*reading, "pdf-print")  # laid from the reading PDF's pages, by its list of them
    built = dict.fromkeys(pdfs, "built")
    book = Project(tmp_path / "book", ("html", *pdfs))
    assert book.run(*pdfs) == built
    assert all(", " not in detail for detail in tex_passes(book).values())

    def as_fresh(name: str) -> None:
        fresh = tmp_path / name
        assert book.run(*pdfs, builddir=fresh) == built
        for edition in pdfs:
            published = BY_NAME[edition].published
            assert published(book.build).read_bytes() == published(fresh).read_bytes(), edition
        for edition in reading:  # the LaTeX too, documents that stood in it included
            tex = f"{BY_NAME[edition].book}.tex"
            ours, theirs = (BY_NAME[edition].workdir(b) / tex for b in (book.build, fresh))
            assert ours.read_bytes() == theirs.read_bytes(), edition

    def stood(edition: str) -> list[str]:
        record = BY_NAME[edition].workdir(book.build) / ".sangokushi-latex.json"
        return json.loads(record.read_text(encoding="utf-8"))["stood"]

    # A word for another as wide: no line, page or label moves.
    edit(book.docs / "wu.md", "独自の戦略", "独特の戦略")
    assert book.run(*pdfs) == built
    passes = tex_passes(book)
    assert all(re.search(r"×1 .*, 1 of 7 chapters$", passes[e]) for e in reading), passes
    # Sphinx wrote the edited chapter's LaTeX; every other document's stood as last written.
    documents = {"prologue", "wei", "shu", "yuan-shao", "wudoumi", "epilogue", "appendix/colophon"}
    for edition in reading:
        assert documents <= set(stood(edition)) and "wu" not in stood(edition), edition
    as_fresh("fresh")
    # Another chapter next: set alone from what the last run set alone left.
    edit(book.docs / "shu.md", "大きな存在感", "大きな存在力")
    assert book.run(*pdfs) == built
    assert all(tex_passes(book)[e].endswith(", 1 of 7 chapters") for e in reading)
    as_fresh("fresh-again")
    # An unnumbered chapter after numbered ones: its labels take the number before it, which
    # the run that sets it alone restores (sangokushi.book: \sphinxbookpartafter).
    edit(book.docs / "epilogue.md", "待ちきれない", "待ち切れない")
    assert book.run(*pdfs) == built
    assert all(re.search(r"×1 .*, 1 of 7 chapters$", tex_passes(book)[e]) for e in reading)
    as_fresh("fresh-unnumbered")
    # Words added: in the vertical PDF an index mark after them moves to the next page, so the
    # index, which prints its page, is set again in a second run with the chapter.
    edit(book.docs / "wu.md", "。", "。（一段落だけの書き換え。）")
    assert book.run(*pdfs) == built
    passes = tex_passes(book)
    assert re.search(r"×[23] .*, 2 of 7 chapters$", passes["pdf-tate"]), passes
    as_fresh("fresh-index")
    # A box's name, which the correspondence table in the appendix prints: no document
    # stands (the environment's share of every page changed).
    edit(book.docs / "wei.md", ":historical: 魏\n", ":historical: 曹魏\n")
    assert book.run(*pdfs) == built
    assert all(stood(edition) == [] for edition in reading)
    as_fresh("fresh-box")
    edit(book.docs / "wu.md", "。", "。" + "（長い書き換え。）" * 400)
    assert book.run(*pdfs) == built
    assert all("chapters" not in detail for detail in tex_passes(book).values())
    as_fresh("fresh-longer")
    before = {e: BY_NAME[e].published(book.build).read_bytes() for e in pdfs}
    edit(book.docs / "shu.md", "。", "。\n\n```{raw} latex\n\\sangokushiundefined\n```\n\n")
    failed = book.call(*pdfs)
    assert failed.returncode != 0
    assert "docs/shu.md" in failed.stderr and "Undefined control sequence" in failed.stderr
    assert {e: BY_NAME[e].published(book.build).read_bytes() for e in pdfs} == before
