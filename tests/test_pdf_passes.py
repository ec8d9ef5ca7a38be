"""The PDF in the TeX passes it needs: two cold, one after a paragraph edit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sangokushi import ruby
from support import BOOK, DOCS, ROOT, pdftotext, tex_passes

SPHINX = ROOT / ".venv" / "bin" / "sphinx-build"


def latex(srcdir: Path, outdir: Path, *options: str) -> None:
    subprocess.run(
        [
            str(SPHINX),
            "-b",
            "latex",
            "-q",
            "-W",
            "-d",
            str(outdir / ".doctrees"),
            *options,
            str(srcdir),
            str(outdir),
        ],
        check=True,
    )


def test_ltjruby_seeded_once(tmp_path: Path) -> None:
    # On LuaLaTeX (the extension's other engine): luatexja-ruby's memory between passes.
    outdir = tmp_path / "latex"
    latex(DOCS, outdir, "-D", "latex_engine=lualatex")
    seed = outdir / f"{BOOK}.ltjruby"
    assert seed.read_text(encoding="utf-8") == ruby.LTJRUBY_HEADER
    seed.write_text(ruby.LTJRUBY_HEADER + "lrob[1]=1\n", encoding="utf-8")
    latex(DOCS, outdir, "-D", "latex_engine=lualatex")
    assert seed.read_text(encoding="utf-8").endswith("lrob[1]=1\n")  # a run's memory is kept


@pytest.mark.slow
def test_cold_pdf_two_passes_edit_one(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src)
    outdir = tmp_path / "latex"
    latex(src, outdir)
    assert tex_passes(outdir / f"{BOOK}.tex") == 2
    text = pdftotext(outdir / f"{BOOK}.pdf")
    assert "??" not in text  # every cross-reference and page number resolved
    chapter = src / "wu.md"
    body = chapter.read_text(encoding="utf-8")
    first = next(p for p in body.split("\n\n") if p and p[0] not in "#:(>")
    chapter.write_text(body.replace(first, first + "（改稿）", 1), encoding="utf-8")
    latex(src, outdir)
    assert tex_passes(outdir / f"{BOOK}.tex") == 1
