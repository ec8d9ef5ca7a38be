"""sangokushi.analogy in a real A5 PDF (LuaLaTeX): long boxes break across pages, nothing lost."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import support
from sangokushi.build.latex import build_pdf
from support import sphinx_build

PAIRS = [(f"現代の人物{i:02d}", f"三国志の人物{i:02d}") for i in range(1, 31)]


def pdftotext(pdf: Path, *crop: str) -> str:
    return support.pdftotext(pdf, "-r", "72", *crop)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# The style file does not depend on the document class: LuaTeX-ja's ltjsbook and jlreq.
JLREQ = {
    "latex_docclass": {"manual": "jlreq"},
    "latex_elements": {
        "papersize": "",
        "pointsize": "",
        "extraclassoptions": "paper=a5,fontsize=10pt,book,openany",
        "geometry": "",
        "polyglossia": "",
        "babel": "",
        "fncychap": "",
        "cmappkg": "",
        "makeindex": "",
        "printindex": "",
        "fontpkg": "\\setmainfont{TeX Gyre Termes}\\setsansfont{TeX Gyre Heros}",
        # sphinxlatexstylepage.sty's \chaptermark uses these, which jlreq lacks
        "preamble": "\\makeatletter\\providecommand\\@chapapp{}\\providecommand\\@chappos{}"
        "\\makeatother",
    },
}


@pytest.fixture(scope="module", params=["ltjsbook", "jlreq"])
def pdf(request, rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test root built once per class: Sphinx's LaTeX, then TeX as for the book."""
    dest = tmp_path_factory.mktemp(f"analogy-pdf-{request.param}")
    overrides = JLREQ if request.param == "jlreq" else {}
    built = sphinx_build(rootdir / "test-analogy-pdf", dest, "latex", **overrides)
    assert built.warnings == ""
    return build_pdf(built.outdir / "analogypdf.tex", engine="lualatex")


def test_nothing_drawn_off_the_page(pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout).groups())
    inside = pdftotext(pdf, "-x", "0", "-y", "0", "-W", str(int(width)), "-H", str(int(height)))
    widened = pdftotext(pdf, "-x", "-1000", "-y", "-1000", "-W", "5000", "-H", "5000")
    assert flat(inside) == flat(widened)
    log = pdf.with_suffix(".log")
    assert "Overfull" not in log.read_text(encoding="utf-8", errors="replace")


def test_long_box_breaks_across_pages_with_every_figure(pdf: Path) -> None:
    pages = pdftotext(pdf, "-layout").split("\f")  # a row's two cells on one line
    first = next(i for i, page in enumerate(pages) if "比喩1" in flat(page))
    last = next(i for i, page in enumerate(pages) if "三国志の人物30" in flat(page))
    assert last > first, "the box with 30 figures fits no page: it must break"
    text = flat("".join(pages))
    box = text[text.index("比喩1多くの人物を抱える会社≒三十人の群雄") :]
    position = 0
    for modern, historical in PAIRS:  # every pair, in order, each on its own row
        position = box.index(modern + historical, position)
    assert "参照元：" in box


def test_correspondence_list_in_japanese(pdf: Path) -> None:
    text = flat(pdftotext(pdf))
    listing = text[text.index("の一覧。") :]
    assert "比喩1多くの人物を抱える会社≒三十人の群雄" in listing
    assert "人物：現代の人物01＝三国志の人物01、現代の人物02＝三国志の人物02、" in listing
    assert re.search(r"定義箇所：長い箱（\d+ページ）", listing), listing
    # the table's own section refers to both boxes: it is not listed as a referrer
    assert re.search(r"参照元：長い箱（\d+ページ）", listing)
    assert "参照元：対照表" not in listing and "、対照表" not in listing
    for ascii_mark in ("(p.", "; ", " = "):
        assert ascii_mark not in listing


def test_full_width_equals_without_space(pdf: Path) -> None:
    text = pdftotext(pdf)
    listing = text[text.index("の一覧") :]
    # no xkanjiskip between a Latin name and the full-width ＝ of a figure pair
    assert "Microsoft＝司馬懿" in listing
    assert not re.search(r"[ \t\u3000]＝|＝[ \t\u3000]", listing)


def test_the_table_is_not_a_referrer(pdf: Path) -> None:
    text = flat(pdftotext(pdf))
    # table.md cites both boxes, but the table's page is not where a box is used
    # the short box's 参照元 line lists 長い箱 alone: no 「、対照表（Nページ）」 after it
    assert re.search(r"短い箱。参照元：長い箱（\d+ページ）(?!、)", text), text
