"""sangokushi.tounicode on small upLaTeX PDFs: text reads back, qpdf is content, bytes repeat."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest

from sangokushi import tounicode
from support import pdftotext

TITLE = "三国志の試験"
# The characters poppler lost without a ToUnicode: “ ” not at all, — as U+0336.
LINE = "“OpenAI”は{kingdom}——曹操のように先行した。"
TEX = r"""\documentclass[uplatex,dvipdfmx]{jsarticle}
\usepackage[haranoaji]{pxchfon}
\usepackage[dvipdfmx]{hyperref}
\usepackage{pxjahyper}
\hypersetup{pdftitle={%s},pdfauthor={著者}}
\begin{document}
%s

\textgt{“太字”——ゴシック}

Stable Diffusion, fine-tuned

\special{pdf:code /Span<</ActualText(We have no Moat)>>BDC}We have\newpage no Moat%%
\special{pdf:code EMC} は堀の話。
\end{document}
"""


def dvipdfmx_pdf(folder: Path, kingdom: str) -> Path:
    """dvipdfmx's PDF of a two-font document, as the book's build leaves it before tounicode."""
    folder.mkdir()
    (folder / "doc.tex").write_text(TEX % (TITLE, LINE.format(kingdom=kingdom)), encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    for command in (
        ["uplatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        ["dvipdfmx", "-q", "doc.dvi"],
    ):
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    return folder / "doc.pdf"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two documents that differ in one character, built from the same names at the same time."""
    base = tmp_path_factory.mktemp("tounicode")
    return dvipdfmx_pdf(base / "wei", "魏"), dvipdfmx_pdf(base / "shu", "蜀")


def copy(pdf: Path, to: Path) -> Path:
    shutil.copyfile(pdf, to)
    return to


def unicode_column(pdf: Path) -> dict[str, str]:
    """pdffonts' "uni" column for each Japanese font."""
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return {
        row.split()[0]: row.split()[-3]
        for row in rows.stdout.splitlines()[2:]
        if "HaranoAji" in row
    }


def trailer_id(pdf: Path) -> list[bytes]:
    with pikepdf.open(pdf) as document:
        return [bytes(part) for part in document.trailer.ID]


def test_text_reads_back(raw: tuple[Path, Path], tmp_path: Path) -> None:
    before = pdftotext(raw[0])
    # dvipdfmx's PDF still shows the fault (else this test proves nothing)
    assert LINE.format(kingdom="魏") not in before
    assert set(unicode_column(raw[0]).values()) == {"no"}
    pdf = copy(raw[0], tmp_path / "book.pdf")
    assert tounicode.add_tounicode(pdf) >= 2  # two CMaps, a ligature font, the title, spans
    after = pdftotext(pdf)
    assert LINE.format(kingdom="魏") in after
    assert "“太字”——ゴシック" in after
    fonts = unicode_column(pdf)
    assert len(fonts) == 2 and set(fonts.values()) == {"yes"}, fonts


def test_qpdf_finds_nothing_wrong_and_info_stays(raw: tuple[Path, Path], tmp_path: Path) -> None:
    pdf = copy(raw[0], tmp_path / "book.pdf")
    tounicode.add_tounicode(pdf)
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(rf"^Title:\s+{TITLE}$", info.stdout, re.M), info.stdout
    assert re.search(r"^Author:\s+著者$", info.stdout, re.M), info.stdout


def test_same_bytes_every_run_and_nothing_twice(raw: tuple[Path, Path], tmp_path: Path) -> None:
    first = copy(raw[0], tmp_path / "first.pdf")
    second = copy(raw[0], tmp_path / "second.pdf")
    tounicode.add_tounicode(first)
    time.sleep(1.1)  # qpdf's usual /ID has the time in seconds in it
    tounicode.add_tounicode(second)
    assert first.read_bytes() == second.read_bytes()
    # A PDF whose fonts have their CMaps is left as it is.
    done = first.read_bytes()
    assert tounicode.add_tounicode(first) == 0 and first.read_bytes() == done


def test_different_pdfs_get_different_ids(raw: tuple[Path, Path], tmp_path: Path) -> None:
    # dvipdfmx gives both the same /ID (SOURCE_DATE_EPOCH and the file names): the content
    # must tell them apart after the rewrite, in both words (pdf.js keys a document's
    # remembered view by the first).
    assert trailer_id(raw[0]) == trailer_id(raw[1])
    wei = copy(raw[0], tmp_path / "wei.pdf")
    shu = copy(raw[1], tmp_path / "shu.pdf")
    tounicode.add_tounicode(wei)
    tounicode.add_tounicode(shu)
    assert trailer_id(wei)[0] != trailer_id(shu)[0]
    assert trailer_id(wei)[0] != trailer_id(raw[0])[0]


def test_ligatures_copy_as_letters_and_the_title_is_shown(
    raw: tuple[Path, Path], tmp_path: Path
) -> None:
    assert "Diﬀusion" in pdftotext(raw[0]) and "ﬁne" in pdftotext(raw[0])  # the fault
    pdf = copy(raw[0], tmp_path / "book.pdf")
    tounicode.add_tounicode(pdf)
    for options in ((), ("-raw",)):
        text = pdftotext(pdf, *options)
        assert "Stable Diffusion, fine-tuned" in text
        assert not re.search("[\ufb00-\ufb06]", text)
    with pikepdf.open(pdf) as document:
        assert document.Root.ViewerPreferences.DisplayDocTitle is True


def marks(pdf: Path) -> list[list[str]]:
    """The marked-content operators of each page, in order."""
    with pikepdf.open(pdf) as document:
        return [
            [str(op) for _, op in pikepdf.parse_content_stream(page) if str(op) in MARKED]
            for page in document.pages
        ]


MARKED = {"BDC", "BMC", "EMC"}


def test_a_span_cut_by_a_page_break_is_mended(raw: tuple[Path, Path], tmp_path: Path) -> None:
    before = marks(raw[0])
    assert before[0][-1] == "BDC" and before[1][0] == "EMC"  # the fault: unbalanced pages
    pdf = copy(raw[0], tmp_path / "book.pdf")
    tounicode.add_tounicode(pdf)
    for page in marks(pdf):
        depth = 0
        for op in page:
            depth += 1 if op != "EMC" else -1
            assert depth >= 0, page
        assert depth == 0, page
    # Its words are read where they stand, once: the ActualText went with the cut.
    assert "We have" in pdftotext(pdf, "-f", "1", "-l", "1")
    second = pdftotext(pdf, "-f", "2", "-l", "2")
    assert "no Moat" in second and "は堀の話。" in second
    assert pdftotext(pdf).count("Moat") == 1


def test_every_kind_of_span_left_open_is_found(tmp_path: Path) -> None:
    """A page whose spans balance is left as it is; one a page break leaves open, whether
    BDC or BMC opened it, is closed and opened again on the next page."""
    pages = [b"/Span BMC EMC", b"/Span BMC /Span <<>> BDC EMC", b"EMC /P BMC", b"EMC"]
    with pikepdf.new() as pdf:
        for content in pages:
            pdf.add_blank_page().obj.Contents = pdf.make_stream(content)
        assert tounicode.mend_spans(pdf) == 3
        marked = [[str(op) for _, op in pikepdf.parse_content_stream(page)] for page in pdf.pages]
    assert marked[0] == ["BMC", "EMC"]
    assert marked[1] == ["BMC", "BDC", "EMC", "EMC"]
    assert marked[2] == ["BDC", "EMC", "BMC", "EMC"] and marked[3] == ["BDC", "EMC"]
