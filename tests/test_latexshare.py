"""The PDF variants of one writing mode share one assembled and resolved book; a LaTeX folder
holds Sphinx's support files, copied again only when they would change."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from sphinx.builders.latex import LaTeXBuilder

from sangokushi.build.runner import Build, source_date
from support import BY_NAME, DOCS, EDITIONS

# In the order the runner builds them (sangokushi.build.runner: the PDFs an EPUB waits for first).
PDFS = ("pdf", "pdf-tate", "pdf-tate-print", "pdf-print")


def written(docs: Path, builddir: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """Each edition's LaTeX as its Sphinx writes it, one after the other in this process."""
    build = Build(docs, builddir, ["-q"], EDITIONS, say=lambda text: None)
    with source_date(1700000000):
        build.sharing([BY_NAME[name] for name in names])  # as the runner does first
        for name in names:
            build.sphinx(BY_NAME[name])
    return {n: (BY_NAME[n].workdir(builddir) / BY_NAME[n].tex).read_bytes() for n in names}


def test_the_variants_write_what_each_alone_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built in a row, the print variants take the book from the reading ones (two assemblies
    for four PDFs); each LaTeX file is byte for byte the one its variant writes alone."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    assembled: list[str] = []
    assemble = LaTeXBuilder.assemble_doctree

    def counted(self: LaTeXBuilder, *args: object, **kwargs: object) -> object:
        assembled.append(self.config.book_pdf_variant)
        return assemble(self, *args, **kwargs)

    monkeypatch.setattr(LaTeXBuilder, "assemble_doctree", counted)
    together = written(docs, tmp_path / "together", PDFS)
    shared = list(assembled)
    for name in PDFS:
        alone = written(docs, tmp_path / f"alone-{name}", (name,))
        assert together[name] == alone[name], name
    assert shared == ["", "tate"]
    assert len(assembled) == len(shared) + len(PDFS)
    assert together["pdf"] != together["pdf-print"] != together["pdf-tate"]


def test_support_files_are_copied_again_only_when_they_would_change(
    make_app, rootdir: Path, tmp_path: Path
) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(rootdir / "test-latexwriter", srcdir)

    def build(**overrides: object) -> Path:
        warnings = StringIO()
        app = make_app(
            "latex",
            srcdir=srcdir,
            builddir=tmp_path / "out",
            warning=warnings,
            confoverrides={"extensions": ["sangokushi.latexshare"], **overrides},
        )
        try:
            app.build()
        finally:
            app.cleanup()
        assert warnings.getvalue() == ""
        return Path(app.outdir)

    out = build()
    rendered, copied = out / "latexmkrc", out / "sphinx.sty"  # a template, a file
    assert "$pdflatex = 'pdflatex" in rendered.read_text(encoding="utf-8")
    times = rendered.stat().st_mtime_ns, copied.stat().st_mtime_ns
    build()
    # Sphinx renders every template and compares every file again on each build.
    assert (rendered.stat().st_mtime_ns, copied.stat().st_mtime_ns) == times
    copied.unlink()
    build()
    assert copied.is_file()
    build(latex_engine="xelatex")
    assert "$pdflatex = 'xelatex" in rendered.read_text(encoding="utf-8")
