"""A print shop's PDF made of its reading PDF's pages (sangokushi.build.impose) is the one its
own LaTeX would set: the same pages, folios, words where they were, and ink."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageFilter
from pypdf import PdfReader

from sangokushi.build import impose
from sangokushi.build.timings import FILE as TIMINGS
from support import DOCS, page_words

PRINTS = ("pdf-print", "pdf-tate-print")
# Where a word may stand apart from where the print PDF's own LaTeX put it: dvipdfmx writes
# positions to 0.01 bp, and the page laid in the TrimBox is moved by 13 mm exactly.
SLACK_PT = 0.1
# At 150 dpi, ink one PDF has and the other has not within a pixel (a tint or a line moved
# shows on 2 % of a page and more); glyph edges drawn a fraction of a pixel apart differ by
# less than half the scale, on a few pixels a page.
DARKER, FEWEST = 128, 1e-4
# The starter book (`sangokushi new`: footnotes, a figure, code, B6), beside the essay.
STARTER = "hajimete"


def with_editions(folder: Path, editions: list[str]) -> None:
    toml = folder / "book.toml"
    text = toml.read_text(encoding="utf-8")
    start = text.index("editions = ")
    end = text.index("\n", start)
    chosen = ", ".join(f'"{e}"' for e in editions)
    toml.write_text(f"{text[:start]}editions = [{chosen}]{text[end:]}", encoding="utf-8")


def build(folder: Path) -> Path:
    """``sangokushi build`` of the book in ``folder``, which must succeed without a warning;
    its BUILDDIR."""
    builddir = folder.parent / f"{folder.name}-build"
    result = subprocess.run(
        [sys.executable, "-m", "sangokushi", "build", str(folder), "--builddir", str(builddir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "WARNING" not in result.stderr, result.stderr
    return builddir


def laid_phases(builddir: Path) -> set[str]:
    phases = json.loads((builddir / "work" / TIMINGS).read_text(encoding="utf-8"))
    return {p["edition"] for p in phases if p["name"] == impose.LAID}


@pytest.fixture(scope="module", params=["essay", STARTER])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    """A book's print PDFs laid from its reading PDFs (its BUILDDIR's pdf/), those of the same
    book built without reading PDFs (set by their own LaTeX), and its file stem."""
    from sangokushi.build.new import create

    where = tmp_path_factory.mktemp(request.param)
    if request.param == "essay":
        laid = request.getfixturevalue("book") / "pdf"
        alone = where / "docs"
        shutil.copytree(DOCS, alone, ignore=shutil.ignore_patterns("build", "_build"))
        name = "llm-sangokushi"
    else:
        laid_book, alone = where / "laid", where / "alone"
        create(laid_book, "はじめての本", "山田太郎", "B6", STARTER)
        with_editions(laid_book, ["pdf", "pdf-print", "pdf-tate", "pdf-tate-print"])
        shutil.copytree(laid_book, alone)
        laid_dir = build(laid_book)
        assert laid_phases(laid_dir) == set(PRINTS)
        laid, name = laid_dir / "pdf", STARTER
    with_editions(alone, ["pdf-print", "pdf-tate-print"])
    alone_dir = build(alone)
    assert not laid_phases(alone_dir), "set alone, yet laid"
    return laid, alone_dir / "pdf", name


def test_the_books_print_pdfs_are_laid_from_its_reading_pdfs(book: Path) -> None:
    assert laid_phases(book) == set(PRINTS)
    # Their LaTeX sets the marks' pages only: one pass of a document of empty pages.
    for edition in PRINTS:
        marks = book / "work" / edition / "llm-sangokushi-marks.tex"
        assert "\\hbox{}\\thispagestyle{empty}\\newpage" in marks.read_text(encoding="utf-8")


def ink(pdf: Path, folder: Path) -> list[Path]:
    """Each page of ``pdf`` at 150 dpi in grey, in ``folder`` (made)."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "150", "-gray", str(pdf), str(folder / "p")], check=True)
    return sorted(folder.glob("p-*.pgm"))


def apart(a: Image.Image, b: Image.Image) -> tuple[int, float]:
    """How much darker one page is than the other anywhere within a pixel: the most, and the
    share of the page where it is more than 8 levels of 255."""
    darker = ImageChops.lighter(
        ImageChops.subtract(b, a.filter(ImageFilter.MaxFilter(3))),
        ImageChops.subtract(a, b.filter(ImageFilter.MaxFilter(3))),
    )
    histogram = darker.histogram()
    return darker.getextrema()[1], sum(histogram[9:]) / (a.size[0] * a.size[1])


@pytest.mark.parametrize("suffix", ["-print.pdf", "-tate-print.pdf"])
def test_a_laid_print_pdf_is_the_one_its_own_latex_sets(
    pair: tuple[Path, Path, str], suffix: str, tmp_path: Path
) -> None:
    laid, alone = (folder / f"{pair[2]}{suffix}" for folder in pair[:2])
    count = len(PdfReader(alone).pages)
    assert len(PdfReader(laid).pages) == count
    assert PdfReader(laid).page_labels == PdfReader(alone).page_labels
    with pikepdf.open(laid) as a, pikepdf.open(alone) as b:
        for key in ("/MediaBox", "/TrimBox", "/BleedBox"):
            assert [list(map(float, p.obj[key])) for p in a.pages] == [
                list(map(float, p.obj[key])) for p in b.pages
            ], key
        assert not any("/Annots" in p.obj for p in a.pages)
        assert a.docinfo.Title == b.docinfo.Title
    for number in range(1, count + 1):
        ours, theirs = page_words(laid, number), page_words(alone, number)
        # pdftotext may join or part words whose gap moved by a hundredth of a point.
        assert Counter("".join(w[4] for w in ours)) == Counter("".join(w[4] for w in theirs))
        # Each word both read alike (as often), where it stands.
        for text in {w[4] for w in ours}:
            here = [w[:4] for w in ours if w[4] == text]
            there = [w[:4] for w in theirs if w[4] == text]
            if len(here) == len(there):
                for box in here:
                    far = min(max(abs(a - b) for a, b in zip(box, t, strict=True)) for t in there)
                    assert far < SLACK_PT, (number, text, box, there)
    pictures = zip(ink(laid, tmp_path / "laid"), ink(alone, tmp_path / "alone"), strict=True)
    for number, (ours, theirs) in enumerate(pictures, 1):
        most, share = apart(Image.open(ours), Image.open(theirs))
        assert most < DARKER and share < FEWEST, (number, most, share)


def test_plan_pads_before_the_colophon_to_a_multiple_of_four(tmp_path: Path) -> None:
    folios = tmp_path / "b.folios"

    def planned(*lines: str) -> tuple[int | None, ...]:
        folios.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return impose.plan(folios).order

    front = ["page 0 1 empty i", "page 1 2 empty ii", "page 2 1 full 1"]
    # The 奥付 on the 4th page (shipped 3: a verso, no blank before it): 4 pages, no blank.
    assert planned(*front, "colophon 3", "page 3 2 empty 2") == (0, 1, 2, 3)
    # On the 6th, after the reading PDF's blank page that keeps it off a recto: that page is
    # not carried, and 3 blank pages make 8.
    pages = [*front, "page 3 2 full 2", "colophon 4", "page 4 3 empty 3", "page 5 4 empty 4"]
    assert planned(*pages) == (0, 1, 2, 3, None, None, None, 5)
    # No 奥付: the blank pages at the end.
    assert planned(*front) == (0, 1, 2, None)


def test_the_marks_pages_take_the_folios_of_the_pages_they_carry(tmp_path: Path) -> None:
    folios = tmp_path / "b.folios"
    lines = ["page 0 1 empty i", "page 1 2 full ii", "page 2 1 full 1", "page 3 5 full 5"]
    colophon = ["colophon 4", "page 4 6 empty 6", "page 5 7 empty 7"]
    folios.write_text("\n".join([*lines, *colophon]), encoding="utf-8")
    tex = impose.marks_tex("\\documentclass{x}\n\\begin{document}\nbody", impose.plan(folios))
    body = tex.split("\\begin{document}", 1)[1]
    assert "body" not in body
    numbering = [line for line in body.splitlines() if "page}" in line and "box" not in line]
    assert numbering == [
        "\\pagenumbering{roman}\\setcounter{page}{1}",
        "\\pagenumbering{arabic}\\setcounter{page}{1}",
        "\\setcounter{page}{5}",
    ]
    assert body.count("\\sphinxbook@blankpage") == 3
    assert body.count("\\thispagestyle{empty}") == 2


def test_an_edit_reaches_the_print_pdf_and_the_next_build_finds_it_up_to_date(
    tmp_path: Path,
) -> None:
    from sangokushi.build.new import create

    folder = tmp_path / "book"
    toml = create(folder, "刷りの本", "著者", "B6", "suri")
    text = toml.read_text(encoding="utf-8")
    start = text.index("editions = ")
    toml.write_text(
        text[:start] + 'editions = ["pdf", "pdf-print"]' + text[text.index("\n", start) :],
        encoding="utf-8",
    )

    def build() -> str:
        command = [sys.executable, "-m", "sangokushi", "build", str(folder)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return result.stdout

    build()
    chapter = folder / "hajimeni.md"
    said = "最初の原稿です。"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace(said, said + "刷りに届く一文。", 1),
        encoding="utf-8",
    )
    assert "pdf-print: building" in build()
    printed = subprocess.run(
        ["pdftotext", str(folder / "build" / "pdf" / "suri-print.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "刷りに届く一文" in printed.replace("\n", "")
    again = build()
    assert "pdf-print: " in again and "suri-print.pdf is up to date" in again, again


def sphinx_ran(builddir: Path) -> set[str]:
    """The editions whose Sphinx wrote something in the last build (its timings)."""
    phases = json.loads((builddir / "work" / TIMINGS).read_text(encoding="utf-8"))
    return {p["edition"] for p in phases if p["name"] == "Sphinx write"}


def test_a_print_pdfs_sphinx_runs_again_only_when_its_preamble_would_change(
    tmp_path: Path,
) -> None:
    """All a laid print PDF takes of its own LaTeX is the preamble and the files beside it:
    after an edit of the text its Sphinx is skipped, in the process forked beside the HTML's
    too; an edit that changes the reading PDF's preamble (the 目次's depth, from the root's
    toctree) runs it again, and so does a new file that is no document (an image)."""
    from sangokushi.build.new import create

    folder = tmp_path / "book"
    create(folder, "刷りの本", "著者", "B6", "suri")
    with_editions(folder, ["html", "pdf", "pdf-print"])
    builddir = build(folder)
    work = builddir / "work" / "pdf-print"
    marks, tex = work / "suri-marks.tex", work / "suri.tex"

    def edit(name: str, old: str, new: str) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    edit("hajimeni.md", "最初の原稿です。", "最初の原稿です。刷りに届く一文。")
    build(folder)
    assert sphinx_ran(builddir) == {"html", "pdf"}
    printed = subprocess.run(
        ["pdftotext", str(builddir / "pdf" / "suri-print.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "刷りに届く一文" in printed.replace("\n", "")
    depth = "\\setcounter{tocdepth}"
    before = next(line for line in marks.read_text(encoding="utf-8").splitlines() if depth in line)

    edit("index.md", ":maxdepth: 1", ":maxdepth: 2")
    build(folder)
    assert sphinx_ran(builddir) == {"html", "pdf", "pdf-print"}
    after = next(line for line in tex.read_text(encoding="utf-8").splitlines() if depth in line)
    assert after != before and after in marks.read_text(encoding="utf-8")

    shutil.copy(folder / "images" / "hon-no-men.png", folder / "images" / "mou-ichimai.png")
    build(folder)
    assert sphinx_ran(builddir) == {"html", "pdf", "pdf-print"}

    # The reading PDF keeps a copy of the book it assembled for the print PDF (a deep copy,
    # sangokushi.latexshare) only when the print PDF's Sphinx is to run.
    from sangokushi.build.registry import for_book
    from sangokushi.build.runner import Build, source_date
    from sangokushi.buildinfo import build_timestamp
    from sangokushi.facts import load

    edit("hajimeni.md", "刷りに届く一文。", "刷りに届く二文目。")
    editions = [e for e in for_book(load(folder)) if e.name in ("html", "pdf", "pdf-print")]
    runner = Build(folder, builddir, ["-q"], editions)
    group = runner.share_group(next(e for e in editions if e.name == "pdf"))
    with source_date(build_timestamp(folder)):  # as in a build: the time is in the code's key
        assert runner.sharing(editions) == {group: False}
        (work / "suri.preamble-key").unlink()
        assert runner.sharing(editions) == {group: True}


def test_a_print_pdf_waiting_for_its_reading_pdf_holds_no_latex_slot() -> None:
    """Two slots, two reading PDFs: the one done first lets its print PDF through while the
    other still runs (a print PDF waiting in the freed slot for the other kept it out)."""
    import threading

    from sangokushi.build.runner import PostSteps

    later = PostSteps(threading.Event(), jobs=2)
    long_done, order = threading.Event(), []

    def reading(name: str, done: threading.Event | None) -> Callable[[], None]:
        def job() -> None:
            if done is not None:
                assert done.wait(10), f"{name} waited in vain"
            order.append(name)

        return job

    def printed(name: str, source: str) -> Callable[[], None]:
        def job() -> None:
            later.wait_for(source, lambda: None)
            order.append(name)
            if name == "pdf-print":
                long_done.set()

        return job

    later.submit(reading("pdf-tate", long_done), "pdf-tate")
    later.submit(reading("pdf", None), "pdf")
    # The vertical print PDF queued first, as Build orders them.
    later.submit(printed("pdf-tate-print", "pdf-tate"), "pdf-tate-print", after=True)
    later.submit(printed("pdf-print", "pdf"), "pdf-print", after=True)
    later.wait(lambda: None)
    assert order == ["pdf", "pdf-print", "pdf-tate", "pdf-tate-print"], order


def test_folios_missing_or_damaged_are_one_line_with_file_and_line(tmp_path: Path) -> None:
    from sangokushi.build.errors import BuildError

    folios = tmp_path / "b.folios"
    with pytest.raises(BuildError, match=r"b\.folios is missing"):
        impose.plan(folios)
    folios.write_text("page 0 1 empty i\npage 1 two full ii\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"b\.folios:2: not a page of the book: 'page 1 two"):
        impose.plan(folios)
