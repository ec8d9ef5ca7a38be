"""dvipdfmx reads jlreq's virtual fonts cut to the DVI's characters: every one, the same PDF."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sangokushi.build import dvipdf
from sangokushi.build.dvipdf import FOLDER, RECORD, characters, codes, cut, cut_fonts
from support import BOOK, BY_NAME, check_cut_fonts, dvitype_characters

# The PDFs set by the book's LaTeX (the print PDFs carry their pages: sangokushi.build.impose).
PDFS = ["pdf", "pdf-tate"]


@pytest.mark.slow
@pytest.mark.parametrize("name", PDFS)
def test_the_characters_of_the_dvi_are_those_updvitype_reads(book: Path, name: str) -> None:
    dvi = BY_NAME[name].workdir(book) / f"{BOOK}.dvi"
    assert characters(dvi.read_bytes()) == dvitype_characters(dvi)


@pytest.mark.slow
@pytest.mark.parametrize("name", PDFS)
def test_the_cut_fonts_hold_every_character_and_make_the_same_pdf(
    book: Path, tmp_path: Path, name: str
) -> None:
    work = tmp_path / "work"
    shutil.copytree(BY_NAME[name].workdir(book), work)
    check_cut_fonts(work, work / f"{BOOK}.dvi")


@pytest.mark.slow
def test_a_font_is_cut_again_only_for_a_character_it_lacks(book: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(BY_NAME["pdf"].workdir(book), work)
    dvi, font = work / f"{BOOK}.dvi", work / FOLDER / "ujlreq.vf"
    assert cut_fonts(dvi)
    written = font.stat().st_mtime_ns
    killed = work / FOLDER / "ujlreq.vf.999.part"  # a build killed while it wrote
    killed.write_bytes(b"half")
    assert cut_fonts(dvi) and font.stat().st_mtime_ns == written and not killed.exists()
    # The last DVI lacked a character this one sets (an edit brought it in).
    record = json.loads((work / FOLDER / RECORD).read_text(encoding="utf-8"))
    source, used = record["ujlreq"]["source"][0], characters(dvi.read_bytes())["ujlreq"]
    lost = max(used)
    font.write_bytes(cut(Path(source), used - {lost}))
    record["ujlreq"]["codes"].remove(lost)
    (work / FOLDER / RECORD).write_text(json.dumps(record), encoding="utf-8")
    assert lost not in codes(font)
    assert cut_fonts(dvi) and lost in codes(font)


@pytest.mark.parametrize("data", [b"", b"\xf7\x02" + b"\x00" * 40, b"not a dvi at all"])
def test_a_dvi_that_cannot_be_read_leaves_the_fonts_whole(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "cut.dvi").write_bytes(data)
    with pytest.raises(ValueError):
        characters(data)
    assert not cut_fonts(tmp_path / "cut.dvi")
    assert not (tmp_path / FOLDER).exists()


@pytest.mark.slow
def test_a_dvi_too_large_to_list_leaves_the_fonts_whole(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``LARGEST_DVI`` (a ×100 book) listing the characters would cost more than it saves."""
    work = tmp_path / "work"
    shutil.copytree(BY_NAME["pdf"].workdir(book), work)
    shutil.rmtree(work / FOLDER, ignore_errors=True)
    dvi = work / f"{BOOK}.dvi"
    monkeypatch.setattr(dvipdf, "LARGEST_DVI", dvi.stat().st_size - 1)
    assert not cut_fonts(dvi) and not (work / FOLDER).exists()
    monkeypatch.setattr(dvipdf, "LARGEST_DVI", dvi.stat().st_size)
    assert cut_fonts(dvi)
