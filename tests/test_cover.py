"""The print covers: sheet and boxes, 背幅 from the print PDF, 表1 per binding, 背文字, colours."""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from sangokushi import pdfx, printcover
from sangokushi.build import registry
from sangokushi.facts import FactsError, load, parse
from sangokushi.page import PAPERS
from support import BY_NAME, EDITIONS, FACTS, pdftotext

MM = 72 / 25.4
SANGOKUSHI = [sys.executable, "-m", "sangokushi"]
COVERS = ("cover", "cover-tate")
# A test book's paper, thick enough for 背文字 (a spine of 4 mm or more).
THICK = 0.4


# -- without a build -------------------------------------------------------------------------


def test_spine_is_the_sheets_times_the_thickness() -> None:
    assert printcover.spine_mm(22, 0.1) == pytest.approx(1.1)
    assert printcover.spine_mm(23, 0.1) == pytest.approx(1.2)  # an odd page still takes a sheet
    assert printcover.spine_mm(200, 0.08) == pytest.approx(8.0)


def test_colours_are_process_colours_without_faint_tints() -> None:
    for colour in ("#6b1a1a", "#f6eedc", "#c8a45a", "#000000", "#ffffff", "#fafafa"):
        values = printcover.cmyk(colour)
        assert all(v == 0 or printcover.MIN_TINT <= v <= 1 for v in values), (colour, values)
    assert printcover.cmyk("#000000") == (0, 0, 0, 1)
    assert printcover.cmyk("#fafafa") == (0, 0, 0, 0)  # a 2 % grey: paper white
    assert printcover.cmyk("red") == (0, 1, 1, 0)  # what Pillow reads, the e-book cover reads


def test_paper_thickness_is_a_book_setting_checked_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "book.toml"
    head = '[book]\ntitle = "t"\nauthor = "a"\nname = "n"\n'
    assert parse(head, path).paper_thickness_mm == 0.1
    assert parse(head + "[print]\npaper_thickness_mm = 0.13\n", path).paper_thickness_mm == 0.13
    for bad in ('"0.1"', "0", "-0.1", "2", "true"):
        with pytest.raises(FactsError) as raised:
            parse(head + f"[print]\npaper_thickness_mm = {bad}\n", path)
        message = str(raised.value)
        assert message.startswith(f"{path}: [print] paper_thickness_mm") and "\n" not in message
    with pytest.raises(FactsError, match=r"\[print\] takes paper_thickness_mm"):
        parse(head + "[print]\nthickness = 0.1\n", path)


def test_the_cover_says_what_the_ebook_cover_says(tmp_path: Path) -> None:
    """conf.py's e-book cover settings, read as Sphinx reads them; a bad one is one line."""
    from sangokushi.build.cover import cover_text
    from sangokushi.build.errors import BuildError
    from sangokushi.build.new import create

    folder = tmp_path / "book"
    create(folder, "色の本", "著者", "A6", "iro")
    conf = folder / "conf.py"
    plain = conf.read_text(encoding="utf-8")
    text = cover_text(folder, load(folder))
    assert (text.title, text.author, text.colours) == ("色の本", "著者", printcover.COLORS)
    # The book's subtitle, not the e-book cover's 版・刷 line: one printed cover serves every 刷.
    assert text.subtitle == load(folder).subtitle and "刷" not in text.subtitle
    toml = folder / "book.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('subtitle = ""', 'subtitle = "副題の例"', 1),
        encoding="utf-8",
    )
    assert cover_text(folder, load(folder)).subtitle == "副題の例"
    conf.write_text(
        plain + 'ebook_cover_author = ""\nebook_cover_colors = ["navy", "#fff", "red"]\n'
    )
    text = cover_text(folder, load(folder))
    assert (text.author, text.colours) == ("", ("navy", "#fff", "red"))
    for bad in ('ebook_cover_colors = ["#12", "#fff", "red"]', "ebook_cover_colors = 3", "x = ("):
        conf.write_text(plain + bad + "\n", encoding="utf-8")
        with pytest.raises(BuildError) as raised:
            cover_text(folder, load(folder))
        message = str(raised.value)
        assert message.startswith(f"{conf}: ") and "\n" not in message, message


def test_a_cover_comes_with_its_print_pdf() -> None:
    covers = [e for e in EDITIONS if e.spine]
    assert [(e.name, e.spine, e.vertical, e.group) for e in covers] == [
        ("cover", "pdf-print", False, "cover"),
        ("cover-tate", "pdf-tate-print", True, "cover"),
    ]
    # No download; fonts checked, PDF/X-1a preflighted, in process colour (no black-ink test).
    assert all(not e.label and e.checks == ("pdf", "press") and e.colour for e in covers)
    chosen = registry.select(EDITIONS, [], ["cover"])
    # Each print PDF carries its reading PDF's pages (sangokushi.build.impose).
    assert [e.name for e in registry.with_sources(EDITIONS, chosen)] == [
        "pdf",
        "pdf-print",
        "pdf-tate",
        "pdf-tate-print",
        "cover",
        "cover-tate",
    ]
    only_a5 = registry.for_book(dataclasses.replace(FACTS, editions=("pdf", "pdf-print")))
    assert [e.name for e in only_a5] == ["pdf", "pdf-print", "cover"]


# -- this book's covers (make book) ----------------------------------------------------------


def boxes(pdf: Path) -> dict[str, list[float]]:
    with pikepdf.open(pdf) as opened:
        page = opened.pages[0]
        return {
            name: [float(v) for v in page.obj[f"/{name}"]]
            for name in ("MediaBox", "TrimBox", "BleedBox")
        }


def page_count(pdf: Path) -> int:
    with pikepdf.open(pdf) as opened:
        return len(opened.pages)


def expected_spine(builddir: Path, cover: str, thickness: float) -> float:
    source = BY_NAME[BY_NAME[cover].spine]
    return math.ceil(page_count(source.published(builddir)) / 2) * thickness


def assert_sheet(pdf: Path, paper: str, spine_mm: float) -> None:
    """One page: trim 2 × page + spine wide, bleed 3 mm beyond it, room for the marks."""
    width, height = PAPERS[paper]
    found = boxes(pdf)
    x0, y0, x1, y1 = found["TrimBox"]
    assert x1 - x0 == pytest.approx((2 * width + spine_mm) * MM, abs=0.05)
    assert y1 - y0 == pytest.approx(height * MM, abs=0.05)
    bleed = [b - t for b, t in zip(found["BleedBox"], found["TrimBox"], strict=True)]
    assert bleed == pytest.approx([-3 * MM, -3 * MM, 3 * MM, 3 * MM], abs=0.05)
    mx0, my0, mx1, my1 = found["MediaBox"]
    assert mx0 == my0 == 0 and mx1 > x1 + 3 * MM + 20 and my1 > y1 + 3 * MM + 20
    assert page_count(pdf) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", COVERS)
def test_the_sheet_is_two_pages_and_the_spine_wide(book: Path, name: str) -> None:
    spine = expected_spine(book, name, FACTS.paper_thickness_mm)
    assert spine > 0
    assert_sheet(BY_NAME[name].published(book), FACTS.paper, spine)


def words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """pdftotext's words: text, xMin, yMin, xMax, yMax (points, from the top left)."""
    found = []
    for match in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        pdftotext(pdf, "-bbox"),
    ):
        x0, y0, x1, y1 = map(float, match.groups()[:4])
        found.append((match.group(5), x0, y0, x1, y1))
    return found


def title_words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """The largest text on the sheet: the title on 表1."""
    found = words(pdf)
    tallest = max(w[4] - w[2] for w in found)
    return [w for w in found if w[4] - w[2] > 0.8 * tallest]


@pytest.mark.slow
@pytest.mark.parametrize("name", COVERS)
def test_the_front_cover_is_on_the_side_of_its_binding(book: Path, name: str) -> None:
    """Bound on the left (横書き), 表1 is the right half; bound on the right, the left half."""
    pdf = BY_NAME[name].published(book)
    x0, _, x1, _ = boxes(pdf)["TrimBox"]
    width = PAPERS[FACTS.paper][0] * MM
    title = title_words(pdf)
    assert "".join(w[0] for w in title) == "".join(FACTS.title_lines).replace(" ", "")
    for _, left, _, right, _ in title:
        if BY_NAME[name].vertical:
            assert x0 < left and right < x0 + width, (left, right)
        else:
            assert x1 - width < left and right < x1, (left, right)


def content_operators(pdf: Path) -> set[str]:
    with pikepdf.open(pdf) as opened:
        return {str(operator) for _, operator in pikepdf.parse_content_stream(opened.pages[0])}


@pytest.mark.slow
@pytest.mark.parametrize("name", COVERS)
def test_process_colours_and_embedded_fonts_only(book: Path, name: str) -> None:
    pdf = BY_NAME[name].published(book)
    operators = content_operators(pdf)
    assert {"k", "K"} & operators, operators  # the ground, text and marks: CMYK
    assert not {"rg", "RG", "sc", "scn", "SC", "SCN", "cs", "CS"} & operators, operators
    with pikepdf.open(pdf) as opened:
        assert not opened.pages[0].get_images(), "an image on the cover"
    rows = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), rows
    assert not any("Type 3" in row for row in rows), rows


@pytest.mark.slow
@pytest.mark.parametrize("name", COVERS)
def test_the_cover_is_pdfx_1a_like_its_print_pdf(book: Path, name: str) -> None:
    """A print shop takes the cover as it takes the book: PDF/X-1a:2001 with the same output
    intent (read back by sangokushi.pdfx and qpdf), in process colour rather than black."""
    pdf = BY_NAME[name].published(book)
    assert pdf.read_bytes().startswith(b"%PDF-1.3")
    assert pdfx.preflight(pdf) == []
    with pikepdf.open(pdf) as opened:
        (intent,) = opened.Root.OutputIntents
        assert (
            str(intent.OutputConditionIdentifier)
            == pdfx.OUTPUT_INTENT["/OutputConditionIdentifier"]
        )
        assert str(opened.docinfo.GTS_PDFXConformance) == pdfx.CONFORMANCE
        assert pdfx.BLACK_ONLY not in str(intent.Info)  # it prints in colour
    subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, check=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", COVERS)
def test_ghostscript_finds_ink_only_on_the_plates_the_colours_use(book: Path, name: str) -> None:
    """Ghostscript's ink coverage (a device of its own, not this project's reading): a plate
    no cover colour uses carries only the registration marks (under 1 % of the sheet), so
    nothing is RGB converted on the way; the ground covers most of the others."""
    pdf = BY_NAME[name].published(book)
    said = subprocess.run(
        ["gs", "-q", "-o", "-", "-sDEVICE=inkcov", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert said[4:] == ["CMYK", "OK"], said
    coverage = [float(v) for v in said[:4]]
    used = [any(printcover.cmyk(c)[plate] for c in printcover.COLORS) for plate in range(4)]
    assert not all(used), used  # else the test would find nothing
    for plate, (ink, wanted) in enumerate(zip(coverage, used, strict=True)):
        assert (ink > 0.5) if wanted else (0 < ink < 0.01), ("CMYK"[plate], coverage)


@pytest.mark.slow
def test_the_narrow_spine_of_this_book_is_left_plain(book: Path) -> None:
    """22 to 28 pages of 0.1 mm: a spine under 4 mm carries no text (print shops' advice)."""
    for name in COVERS:
        assert expected_spine(book, name, FACTS.paper_thickness_mm) < 4
        pdf = BY_NAME[name].published(book)
        x0 = boxes(pdf)["TrimBox"][0]
        page = PAPERS[FACTS.paper][0] * MM
        spine = (x0 + page - 1, x0 + page + expected_spine(book, name, 0.1) * MM + 1)
        inside = [w for w in words(pdf) if w[1] < spine[1] and w[3] > spine[0]]
        assert inside == [], inside


# -- a second book, on thick paper -----------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*SANGOKUSHI, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "WARNING" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def thick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter book (B6) on paper of 0.4 mm, its covers built with their print PDFs."""
    folder = tmp_path_factory.mktemp("thick") / "book"
    run("new", str(folder), "--title", "背のある本", "--author", "山田太郎", "--paper", "B6",
        "--name", "senoaru")  # fmt: skip
    toml = folder / "book.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('publisher = ""', 'publisher = "山川出版"')
        + f"\n[print]\npaper_thickness_mm = {THICK}\n",
        encoding="utf-8",
    )
    run("build", str(folder), "--group", "cover")
    return folder


def covers_of(folder: Path) -> dict[str, Path]:
    bound = registry.for_book(load(folder))
    return {e.name: e.published(folder / "build") for e in bound if e.spine}


def print_pages(folder: Path, name: str) -> int:
    bound = {e.name: e for e in registry.for_book(load(folder))}
    return page_count(bound[bound[name].spine].published(folder / "build"))


def test_a_second_book_gets_its_own_covers_with_text_on_the_spine(thick: Path) -> None:
    facts = load(thick)
    for name, pdf in covers_of(thick).items():
        spine = math.ceil(print_pages(thick, name) / 2) * THICK
        assert spine >= printcover.SPINE_TEXT_MIN_MM, spine
        assert_sheet(pdf, "B6", spine)
        x0 = boxes(pdf)["TrimBox"][0]
        left = x0 + PAPERS["B6"][0] * MM
        on_spine = [w for w in words(pdf) if left <= w[1] and w[3] <= left + spine * MM]
        text = "".join(w[0] for w in on_spine)
        for fact in (facts.title, facts.author, "山川出版"):
            assert fact in text, (name, fact, text)
        # Set vertically: each word a column, taller than wide, centred on the spine.
        for word in on_spine:
            assert word[4] - word[2] > word[3] - word[1], word
            assert abs((word[1] + word[3]) / 2 - (left + spine * MM / 2)) < 1, word
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert "Identity-V" in fonts, fonts
        assert "山田太郎" in pdftotext(pdf) and "三国志" not in pdftotext(pdf)


def test_the_spine_follows_the_paper_thickness(thick: Path) -> None:
    """A change of [print] paper_thickness_mm in book.toml rebuilds the covers, wider or not."""
    toml = thick / "book.toml"
    before = toml.read_text(encoding="utf-8")
    thinner = 0.3
    toml.write_text(before.replace(f"= {THICK}\n", f"= {thinner}\n"), encoding="utf-8")
    try:
        said = run("build", str(thick), "--group", "cover").stdout
        assert "cover: building" in said and "cover-tate: building" in said, said
        for name, pdf in covers_of(thick).items():
            spine = math.ceil(print_pages(thick, name) / 2) * thinner
            assert_sheet(pdf, "B6", spine)
    finally:
        # The book as the other tests of the module know it.
        toml.write_text(before, encoding="utf-8")
        run("build", str(thick), "--group", "cover")


def dark_runs(values: list[int]) -> list[float]:
    """The middles of the runs of dark pixels (a mark crossing a row or a column of pixels)."""
    middles, start = [], None
    for i, value in enumerate([*values, 255]):
        if value < 160 and start is None:
            start = i
        elif value >= 160 and start is not None:
            middles.append((start + i - 1) / 2)
            start = None
    return middles


def test_crop_centre_and_fold_marks_are_where_the_sheet_is_cut_and_folded(
    thick: Path, tmp_path: Path
) -> None:
    """Rendered by poppler: across the band above the bleed, a mark at each trim and bleed
    edge, the middle and both spine folds; down the band beside it, at the trim and bleed
    edges and the middle."""
    from PIL import Image

    dpi = 300
    scale = dpi / 72
    for name, pdf in covers_of(thick).items():
        spine = math.ceil(print_pages(thick, name) / 2) * load(thick).paper_thickness_mm * MM
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), tmp_path / name],
            check=True,
        )
        image = Image.open(tmp_path / f"{name}.png").convert("L")
        found = boxes(pdf)
        height = found["MediaBox"][3]
        x0, y0, x1, y1 = found["TrimBox"]
        bleed, page = 3 * MM, PAPERS["B6"][0] * MM
        folds = [x0 + page, x0 + page + spine]
        for y in (y1 + bleed + 2 * MM, y0 - bleed - 2 * MM):
            row = round((height - y) * scale)
            seen = [
                x / scale for x in dark_runs([image.getpixel((x, row)) for x in range(image.width)])
            ]
            wanted = sorted([x0 - bleed, x0, *folds, (x0 + x1) / 2, x1, x1 + bleed])
            assert seen == pytest.approx(wanted, abs=0.6), (name, y, seen, wanted)
        for x in (x0 - bleed - 2 * MM, x1 + bleed + 2 * MM):
            column = round(x * scale)
            seen = [
                height - y / scale
                for y in dark_runs([image.getpixel((column, y)) for y in range(image.height)])
            ]
            wanted = sorted([y0 - bleed, y0, (y0 + y1) / 2, y1, y1 + bleed])
            assert sorted(seen) == pytest.approx(wanted, abs=0.6), (name, x, seen, wanted)


def test_a_cover_cut_short_is_built_afresh(thick: Path) -> None:
    """A killed build leaves its marker and half a TeX state: the next starts without it."""
    cover = next(e for e in registry.for_book(load(thick)) if e.name == "cover")
    workdir = cover.workdir(thick / "build")
    (workdir / "senoaru-cover.aux").write_text("\\relax \\undefinedbyhalf{", encoding="utf-8")
    workdir.with_name("cover.running").touch()
    said = run("build", str(thick), "cover").stdout
    assert "cover: building" in said, said
    assert not workdir.with_name("cover.running").exists()
