"""Each extension enabled alone in another project's Sphinx: HTML and a PDF with its own LaTeX."""

from __future__ import annotations

from pathlib import Path

import pytest

from sangokushi.build.latex import build_pdf
from support import pdftotext, sphinx_build

pytestmark = pytest.mark.slow

# Test roots that enable one extension of this package (ruby beside yomi and ebook, which
# read its readings), none of them the toolkit's book class: each keeps its own LaTeX.
ALONE = {
    "analogy": "test-analogy-basic",
    "yomi": "test-index",
    "ruby": "test-ruby-handlers",
    "jatext": "test-jatext",
    "numbering": "test-alone-numbering",
    "ebook": "test-ebook",
}


@pytest.mark.parametrize("extension", sorted(ALONE))
def test_alone_in_html_and_pdf(rootdir: Path, tmp_path: Path, extension: str) -> None:
    root = rootdir / ALONE[extension]
    html = sphinx_build(root, tmp_path / "html", "html")
    assert html.warnings == ""
    latex = sphinx_build(root, tmp_path / "latex", "latex")
    assert latex.warnings == ""
    tex = next(latex.outdir.glob("*.tex"))
    assert r"\usepackage{sangokushibook}" not in tex.read_text(encoding="utf-8")
    engine = "pdflatex"
    for line in tex.read_text(encoding="utf-8").splitlines()[:5]:
        if "uplatex" in line or "jsbook" in line or "dvipdfmx" in line:
            engine = "uplatex"
    if "lualatex" in (root / "conf.py").read_text(encoding="utf-8"):
        engine = "lualatex"
    pdf = build_pdf(tex, engine)
    assert len(pdftotext(pdf).strip()) > 20


def test_numbering_alone_numbers_html_its_own_way(rootdir: Path, tmp_path: Path) -> None:
    built = sphinx_build(rootdir / "test-alone-numbering", tmp_path, "html")
    assert "Chapter 1: The first chapter" in (built.outdir / "first.html").read_text("utf-8")
    assert "Appendix A: Further reading" in (built.outdir / "extra.html").read_text("utf-8")


def test_chapter_labels_are_found_once_per_build(
    rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sangokushi import numbering

    found = []
    labels = numbering.chapter_labels
    monkeypatch.setattr(
        numbering,
        "chapter_labels",
        lambda env, vertical=False: found.append(1) or labels(env, vertical),
    )
    built = sphinx_build(rootdir / "test-alone-numbering", tmp_path, "html")
    assert "Chapter 1: The first chapter" in (built.outdir / "first.html").read_text("utf-8")
    assert len(found) == 1  # not once per document written
