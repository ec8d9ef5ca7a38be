"""sangokushi.jatext and sangokushi.numbering on a small book, in html, text and latex."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.testing.util import SphinxTestApp

from support import sphinx_build


def build(root: Path, dest: Path, buildername: str) -> tuple[Path, str]:
    built = sphinx_build(root, dest, buildername)
    return built.outdir, built.warnings


def test_html(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-jatext", tmp_path, "html")
    assert warnings == ""
    intro = (outdir / "intro.html").read_text(encoding="utf-8")
    assert "原文をそのまま用い、著者の言葉" in intro
    assert "Latin\nwords" in intro or "Latin words" in intro
    assert "行の\n区切り" in re.sub(r"<[^>]+>", "", intro)  # a literal block keeps its lines
    one = (outdir / "one.html").read_text(encoding="utf-8")
    assert re.search(
        r'<h1><span class="chapter-number">第1章　</span>最初の<wbr />章が<wbr />', one
    )
    assert "<title>第1章 最初の章が始まった" in one
    index = (outdir / "index.html").read_text(encoding="utf-8")
    for entry in ("はじめに", "第1章　最初の章が始まった", "第2章　二番目の章", "付録A　対照表"):
        assert entry in re.sub(r"<[^>]+>", "", index), entry
    assert "第0章" not in index and "第3章" not in index


def test_text_has_no_stray_space(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-jatext", tmp_path, "text")
    assert warnings == ""
    text = (outdir / "intro.txt").read_text(encoding="utf-8")
    # (the text writer wraps long lines itself)
    assert "原文をそのまま用い、著者の言葉には手を加えていない。Latin" in text
    assert "code stays" in text
    assert (outdir / "two.txt").read_text(encoding="utf-8").startswith("第2章　二番目の章")


def test_latex_numbers_chapters_itself(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-jatext", tmp_path, "latex")
    assert warnings == ""
    tex = next(outdir.glob("*.tex")).read_text(encoding="utf-8")
    assert r"\chapter{最初の章が始まった}" in tex
    assert "第1章" not in tex and "wbr" not in tex
    assert "原文をそのまま用い、著者の言葉" in tex


def test_numbers_follow_a_changed_toctree(rootdir: Path, tmp_path: Path) -> None:
    """An incremental build after the toctree changes renumbers, with no number left twice."""
    src = tmp_path / "src"
    shutil.copytree(rootdir / "test-jatext", src)
    for step in (1, 2):
        if step == 2:
            index = src / "index.md"
            index.write_text(
                index.read_text(encoding="utf-8").replace("one\ntwo", "two\none"), "utf-8"
            )
        app = SphinxTestApp("html", srcdir=src, builddir=tmp_path / "_build")
        try:
            app.build()
        finally:
            app.cleanup()
    page = re.sub(r"<[^>]+>", "", (Path(app.outdir) / "index.html").read_text(encoding="utf-8"))
    assert "第1章　二番目の章" in page and "第2章　最初の章が始まった" in page
    assert "第2章　二番目の章" not in page and page.count("第1章") == 1
