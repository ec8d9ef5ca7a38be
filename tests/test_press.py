"""The print shop's PDFs (issue 19): PDF/X-1a, black ink only, tints that print, pages, folios."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name
from PIL import Image
from pypdf import PdfReader

from sangokushi import fidelity, pdfx
from sangokushi.book import MIN_TINT
from sangokushi.page import body_band
from support import DOCS, FACTS, page_words, pdftotext, vertical_text

MM = 72 / 25.4
# Each print shop PDF and the reading PDF of the same writing mode (same pages, no padding).
PRESS = {
    "llm-sangokushi-print.pdf": ("llm-sangokushi.pdf", False),
    "llm-sangokushi-tate-print.pdf": ("llm-sangokushi-tate.pdf", True),
}


@pytest.fixture(scope="module")
def pdfs(book: Path) -> Path:
    return book / "pdf"


def pages(path: Path) -> int:
    return len(PdfReader(path).pages)


def ghostscript(*args: str) -> subprocess.CompletedProcess[str]:
    command = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dPDFSTOPONERROR"]
    return subprocess.run(
        [*command, "-dPDFSTOPONWARNING", *args], capture_output=True, text=True, check=False
    )


# -- PDF/X-1a, read by tools this project did not write ------------------------------------


@pytest.mark.parametrize("name", PRESS)
def test_pdfx_keys_and_output_intent(pdfs: Path, name: str) -> None:
    path = pdfs / name
    assert path.read_bytes().startswith(b"%PDF-1.3\n")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^PDF version:\s+1\.3$", info.stdout, re.M), info.stdout
    with pikepdf.open(path) as pdf:
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1:2001"
        assert str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2001"
        assert pdf.docinfo.Trapped == Name("/False")
        assert str(pdf.docinfo.ModDate) == str(pdf.docinfo.CreationDate)
        assert str(pdf.docinfo.Title) and len(pdf.trailer.ID) == 2
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) == "JC200103"
        assert str(intent.RegistryName) == "http://www.color.org"
        assert str(intent.OutputCondition) == "Japan Color 2001 Coated"
        assert "/DestOutputProfile" not in intent  # a registered condition: no profile needed
        assert str(intent.Info).endswith(pdfx.BLACK_ONLY)  # the shop is told: K alone
        # No object or cross-reference streams (PDF 1.5): qpdf lists the objects it finds.
        assert not [o for o in pdf.objects if o.get("/Type") in (Name.ObjStm, Name.XRef)]
    assert pdfx.preflight(path) == []


@pytest.mark.parametrize("name", PRESS)
def test_qpdf_pdffonts_and_page_boxes(pdfs: Path, name: str) -> None:
    path = pdfs / name
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = [row.split() for row in fonts.stdout.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts.stdout
    count = pages(path)
    boxes = subprocess.run(
        ["pdfinfo", "-box", "-f", "1", "-l", str(count), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for kind in ("MediaBox", "BleedBox", "TrimBox"):
        found = re.findall(
            rf"^Page\s+\d+ {kind}:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", boxes, re.M
        )
        assert len(found) == count, (kind, len(found), count)
    trims = re.findall(r"TrimBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", boxes)
    for x0, y0, x1, y1 in trims:
        assert abs(float(x1) - float(x0) - 148 * MM) < 0.1
        assert abs(float(y1) - float(y0) - 210 * MM) < 0.1


@pytest.mark.parametrize("name", PRESS)
def test_ghostscript_renders_every_page_in_black_ink_only(pdfs: Path, name: str) -> None:
    path = pdfs / name
    inks = ghostscript("-sDEVICE=inkcov", "-o", "-", str(path))
    assert inks.returncode == 0 and inks.stderr == "", inks.stderr
    rows = [line.split() for line in inks.stdout.splitlines() if line.endswith("CMYK OK")]
    assert len(rows) == pages(path)
    for number, (cyan, magenta, yellow, black, *_) in enumerate(rows, 1):
        assert float(cyan) == float(magenta) == float(yellow) == 0, (number, rows[number - 1])
        # Every page prints something: its crop marks, a blank page's hidden folio too.
        assert float(black) > 0, number


def black_plate(path: Path, folder: Path) -> set[int]:
    """The ink values of the black separation of every page, as Ghostscript's tiffsep makes
    them (255: no ink, 0: solid), after checking that cyan, magenta and yellow are empty."""
    ghostscript("-sDEVICE=tiffsep", "-r72", "-o", str(folder / "p%03d.tif"), str(path))
    values: set[int] = set()
    for plate in sorted(folder.glob("p*(*).tif")):
        with Image.open(plate) as image:
            found = {v for _, v in image.getcolors(256)}
        if "(Black)" in plate.name:
            values |= found
        else:
            assert found == {255}, plate.name
    assert values, f"no separations of {path}"
    return values


def test_no_tint_lighter_than_prints(pdfs: Path, tmp_path: Path) -> None:
    lightest = round(255 * (1 - MIN_TINT))  # 10 % ink: 230 of 255
    for name in PRESS:
        folder = tmp_path / name
        folder.mkdir()
        values = black_plate(pdfs / name, folder)
        assert max(v for v in values if v < 255) <= lightest, sorted(values)
        assert lightest in values  # the table stripes are still there, at 10 %
    # The reading PDF has the same stripes: the print PDF carries its pages.
    (tmp_path / "reading").mkdir()
    reading = black_plate(pdfs / "llm-sangokushi.pdf", tmp_path / "reading")
    assert max(v for v in reading if v < 255) <= lightest and lightest in reading, sorted(reading)
    # A 2 % grey is found by the same reading.
    light = tmp_path / "light.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(200, 200)).obj.Contents = pdf.make_stream(
            b"0.98 g 20 20 100 100 re f"
        )
        pdf.save(light)
    (tmp_path / "light").mkdir()
    faint = black_plate(light, tmp_path / "light")
    assert max(v for v in faint if v < 255) > lightest, sorted(faint)


def test_the_vertical_print_pdf_has_every_sentence(pdfs: Path) -> None:
    # As the vertical PDF (test_pdf): every sentence of the essay, read column by column,
    # inside the trimmed page.
    expected = fidelity.expected_sentences(
        DOCS / "_original" / "essay.txt", DOCS / "appendix" / "editorial-notes.md"
    )
    turned = vertical_text(pdfs / "llm-sangokushi-tate-print.pdf", FACTS.tate_page)
    assert fidelity.lost_sentences(expected, turned) == []


# -- Pages: a multiple of 4, the blanks before the 奥付, a folio on every page ---------------


@pytest.mark.parametrize("name", PRESS)
def test_pages_padded_before_the_colophon(pdfs: Path, name: str) -> None:
    path, reading = pdfs / name, pdfs / PRESS[name][0]
    count, plain = pages(path), pages(reading)
    assert count % 4 == 0 and count == plain + (-plain % 4), (count, plain)
    # The last page is the reading PDF's last, the 奥付, with its folio hidden in the gutter.
    labels = PdfReader(path).page_labels
    last = Counter(w[4] for w in page_words(path, count))
    assert last == Counter(w[4] for w in page_words(reading, plain)) + Counter([labels[-1]])
    assert "奥付" in fidelity.normalize(pdftotext(path, "-f", str(count), "-l", str(count)))
    # The pages added stand just before the 奥付 and carry nothing but their hidden folio.
    for number in range(plain, count):
        words = [w[4] for w in page_words(path, number)]
        assert words == [labels[number - 1]], (number, words)


def folios(path: Path, tate: bool) -> dict[int, str]:
    """How each page shows its folio: "shown" (the design's) or "hidden" (隠しノンブル)."""
    labels = PdfReader(path).page_labels
    page = FACTS.tate_page if tate else FACTS.page
    found = {}
    with pikepdf.open(path) as pdf:
        for number, pdf_page in enumerate(pdf.pages, 1):
            height = float(pdf_page.mediabox[3])
            x0, y0, x1, y1 = (float(v) for v in pdf_page.TrimBox)
            top, bottom = height - y1, height - y0
            head, foot = (top + edge for edge in body_band(page, tate=tate))
            # The gutter: left on a recto of a book bound on the left, right on its versos.
            gutter = x0 if (number % 2 == 1) != tate else x1
            kinds = set()
            for wx0, wy0, wx1, wy1, word in page_words(path, number):
                inside = x0 <= wx0 and wx1 <= x1 and top <= wy0 and wy1 <= bottom
                if word != labels[number - 1] or not inside:
                    continue
                if wy1 - wy0 < 6 and max(abs(wx0 - gutter), abs(wx1 - gutter)) < 5 * MM:
                    kinds.add("hidden")
                elif wy1 < head or wy0 > foot:
                    kinds.add("shown")
            assert len(kinds) == 1, (number, labels[number - 1], kinds)
            found[number] = kinds.pop()
    return found


@pytest.mark.parametrize("name", PRESS)
def test_every_page_has_a_folio_hidden_where_none_is_shown(pdfs: Path, name: str) -> None:
    path, tate = pdfs / name, PRESS[name][1]
    found = folios(path, tate)
    count = len(found)
    hidden = [n for n, kind in found.items() if kind == "hidden"]
    # 扉 and the blank page behind it, the blank before the text, the 奥付 and the blanks
    # before it: hidden; every page of text shows its own.
    assert {1, 2, count} <= set(hidden), hidden
    assert found[3] == "shown"  # 目次
    assert sum(kind == "shown" for kind in found.values()) > count / 2


# -- The conversion itself, on a PDF made to fail every check ------------------------------


def faulty_pdf(path: Path, space: str = "/DeviceRGB") -> Path:
    """A page in red, a 2 % grey, a 2 % black in CMYK, and a half transparent red image."""
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(200, 200))
        page.obj.TrimBox = pikepdf.Array([10, 10, 190, 190])
        page.obj.BleedBox = pikepdf.Array([5, 5, 195, 195])
        mask = pdf.make_stream(
            bytes([128] * 16), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4,
            ColorSpace=Name.DeviceGray, BitsPerComponent=8,
        )  # fmt: skip
        image = pdf.make_stream(
            bytes([255, 0, 0] * 16), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4,
            ColorSpace=Name.DeviceRGB, BitsPerComponent=8, SMask=mask,
        )  # fmt: skip
        resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        if space != "/DeviceRGB":
            resources.ColorSpace = pikepdf.Dictionary(CS0=pikepdf.Array([Name(space)]))
        page.obj.Resources = resources
        page.obj.Contents = pdf.make_stream(
            b"1 0 0 rg 20 20 50 50 re f 0.98 g 20 80 10 10 re f 0 0 0 0.02 k 20 100 5 5 re f"
            b" q 40 0 0 40 100 100 cm /Im0 Do Q"
            + (b" /CS0 cs 0.5 sc 0 0 5 5 re f" if space != "/DeviceRGB" else b"")
        )
        pdf.docinfo.Title = "t"
        pdf.docinfo.CreationDate = "D:20261204000000Z"
        pdf.save(path)
    return path


def test_make_pdfx_turns_colour_and_light_tints_into_ink_that_prints(tmp_path: Path) -> None:
    path = faulty_pdf(tmp_path / "faulty.pdf")
    before = "\n".join(pdfx.preflight(path))
    for fault in ("an RGB colour", "lighter than 10%", "in /DeviceRGB", "soft mask", "PDF/X"):
        assert fault in before, (fault, before)
    assert pdfx.make_pdfx(path) == []
    assert pdfx.preflight(path) == []
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        operations = [
            (str(op), [round(float(v), 3) for v in operands])
            for operands, op in pikepdf.parse_content_stream(page)
            if str(op) in ("g", "rg", "k")
        ]
        assert operations == [("g", [0.299]), ("g", [0.9]), ("k", [0, 0, 0, 0.1])]
        image = page.Resources.XObject.Im0
        assert image.ColorSpace == Name.DeviceGray and "/SMask" not in image
        # Red at half opacity on white paper, as grey: (255, 127, 127) → 165.
        pixel = pikepdf.PdfImage(image).as_pil_image().getpixel((0, 0))
        assert abs(pixel - 165) <= 2, pixel
    inks = ghostscript("-sDEVICE=inkcov", "-o", "-", str(path))
    assert inks.stdout.split()[:3] == ["0.00000"] * 3, inks.stdout


def test_make_pdfx_reads_inline_images_and_the_colour_space_a_q_keeps(tmp_path: Path) -> None:
    """Only a page's colours, graphics state and inline images are read before it is written
    again: a CMYK space chosen inside q … Q ends at Q, an inline image in RGB is named."""
    path = tmp_path / "kept.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(200, 200))
        page.obj.TrimBox = pikepdf.Array([10, 10, 190, 190])
        page.obj.Contents = pdf.make_stream(
            b"BT /F1 9 Tf (text) Tj ET q /DeviceCMYK cs 0 0 0 1 sc 0 0 5 5 re f Q"
            b" 0.99 sc 0 0 5 5 re f BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI"
        )
        pdf.docinfo.Title = "t"
        pdf.docinfo.CreationDate = "D:20261204000000Z"
        pdf.save(path)
    assert pdfx.make_pdfx(path) == ["page 1: an inline image in /DeviceRGB (not grey or CMYK)"]
    with pikepdf.open(path) as pdf:
        colours = [
            (str(op), [round(float(v), 3) for v in operands])
            for operands, op in pikepdf.parse_content_stream(pdf.pages[0], "sc")
        ]
        text = [
            str(operands[0]) for operands, _ in pikepdf.parse_content_stream(pdf.pages[0], "Tj")
        ]
    assert colours == [("sc", [0, 0, 0, 1]), ("sc", [0.9])] and text == ["text"]


def test_make_pdfx_names_a_colour_it_cannot_print(tmp_path: Path) -> None:
    path = faulty_pdf(tmp_path / "lab.pdf", "/Lab")
    assert pdfx.make_pdfx(path) == ["page 1: colour space /Lab (not grey or CMYK)"]


def test_make_pdfx_makes_an_icc_based_rgb_space_grey(tmp_path: Path) -> None:
    path = tmp_path / "icc.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(200, 200))
        page.obj.TrimBox = pikepdf.Array([10, 10, 190, 190])
        profile = pdf.make_stream(b"not read", N=3)
        spaces = pikepdf.Dictionary(CS0=pikepdf.Array([Name.ICCBased, profile]))
        page.obj.Resources = pikepdf.Dictionary(ColorSpace=spaces)
        page.obj.Contents = pdf.make_stream(b"/CS0 cs 1 0 0 sc 0 0 50 50 re f")
        pdf.docinfo.Title = "t"
        pdf.docinfo.CreationDate = "D:20261204000000Z"
        pdf.save(path)
    assert "page 1: colour space /CS0 (not grey or CMYK)" in pdfx.preflight(path)
    assert pdfx.make_pdfx(path) == [] and pdfx.preflight(path) == []
    with pikepdf.open(path) as pdf:
        drawn = [(str(op), [str(o) for o in operands]) for operands, op in
                 pikepdf.parse_content_stream(pdf.pages[0])][:2]  # fmt: skip
    assert drawn == [("cs", ["/DeviceGray"]), ("sc", ["0.299"])]
