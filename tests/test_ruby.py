"""The ruby role in every builder, and its warnings for bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from support import sphinx_build

RUBY_HTML = "<ruby>司馬懿<rp>(</rp><rt>しばい</rt><rp>)</rp></ruby>"


def build(root: Path, dest: Path, buildername: str, **overrides: object) -> tuple[Path, str]:
    result = sphinx_build(root, dest, buildername, **overrides)
    return result.outdir, result.warnings


def test_html(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-ebook", tmp_path, "html")
    assert warnings == ""
    assert RUBY_HTML in (outdir / "chapter1.html").read_text(encoding="utf-8")


def test_text(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-ebook", tmp_path, "text")
    assert warnings == ""
    text = (outdir / "chapter1.txt").read_text(encoding="utf-8")
    assert "司馬懿(しばい)は魏の軍師である。" in text


def test_other_builders_fall_back_to_base_and_reading(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-ebook", tmp_path, "man")
    assert warnings == ""
    assert "司馬懿(しばい)" in next(outdir.glob("*.1")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("engine", "package"),
    [("lualatex", "luatexja-ruby"), ("uplatex", "sangokushiruby"), ("xelatex", None)],
)
def test_latex(rootdir: Path, tmp_path: Path, engine: str, package: str | None) -> None:
    overrides: dict[str, object] = {"latex_engine": engine}
    outdir, warnings = build(rootdir / "test-ebook", tmp_path, "latex", **overrides)
    assert warnings == ""
    tex = (outdir / "test-book.tex").read_text(encoding="utf-8")
    packages = re.findall(r"\\usepackage\{([^}]*rub[^}]*)\}", tex)
    if package is None:
        assert packages == []
        assert "司馬懿(しばい)" in tex
    else:
        assert packages == [package]
        if engine == "lualatex":
            assert r"\ltjruby[mode=5]{司馬懿}{しばい}" in tex
            assert r"\ltjruby[mode=5]{孫権}{そんけん}" in tex
        else:
            # pxrubrica: group ruby, hanging over the kana after it (は), not over the line
            # start; its line-head form where a line breaks before it (sangokushiruby).
            assert re.search(r"\{\\sangokushiruby\{[|h]\}\{>\}\{司馬懿\}\{しばい\}\}", tex)
            assert re.search(r"\{\\sangokushiruby\{[|h]\}\{>\}\{孫権\}\{そんけん\}\}", tex)


def test_bad_input_warns_with_location(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-ruby-bad", tmp_path, "html")
    lines = [line for line in warnings.splitlines() if line.strip()]
    assert len(lines) == 3, warnings
    expected = [
        (5, "no '|' between base text and reading in '張飛'"),
        (7, "empty base text or reading in '劉備|'"),
        (9, "empty base text or reading in '|そうそう'"),
    ]
    for line, (lineno, message) in zip(lines, expected, strict=True):
        assert re.search(rf"index\.md:{lineno}: WARNING: ruby: ", line), line
        assert message in line
        assert line.endswith("[ruby.syntax]")
    assert "Traceback" not in warnings
    page = (outdir / "index.html").read_text(encoding="utf-8")
    assert "<ruby>関羽<rp>(</rp><rt>かんう</rt><rp>)</rp></ruby>" in page
    assert "区切りのない張飛。" in page


def test_epub_keeps_ruby_when_an_extension_has_epub_handlers(rootdir: Path, tmp_path: Path) -> None:
    outdir, warnings = build(rootdir / "test-ruby-handlers", tmp_path, "epub")
    assert warnings == ""
    assert "<ruby>曹操<rp>(</rp><rt>そうそう</rt><rp>)</rp></ruby>" in (
        outdir / "index.xhtml"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("軍師・{ruby}`司馬懿|しばい`のように", "{<}{>}"),
        ("魏の{ruby}`曹操|そうそう`と", "{<}{>}"),
        ("蜀漢{ruby}`劉備|りゅうび`玄徳", "{|}{|}"),
        ("Meta{ruby}`呉|ご`。", "{|}{>}"),
    ],
)
def test_pxrubrica_hangs_over_kana_and_punctuation_only(
    rootdir: Path, tmp_path: Path, text: str, options: str
) -> None:
    root = tmp_path / "root"
    shutil.copytree(rootdir / "test-ebook", root)
    (root / "chapter1.md").write_text(f"# 第一章\n\n{text}\n", encoding="utf-8")
    outdir, warnings = build(root, tmp_path / "out", "latex", latex_engine="uplatex")
    assert warnings == ""
    tex = (outdir / "test-book.tex").read_text(encoding="utf-8")
    assert rf"{{\sangokushiruby{options}{{" in tex, tex[tex.index("第一章") :][:400]
