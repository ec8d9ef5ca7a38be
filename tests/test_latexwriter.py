"""The LaTeX translator compiles each template once, keeps it, and writes what Sphinx's writes."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import jinja2
import pytest
import sphinx

from sangokushi.templatecache import TemplateCache

TABLE_TEMPLATES = {"tabular.tex.jinja", "tabulary.tex.jinja", "longtable.tex.jinja"}


def latex_tables(
    make_app, srcdir: Path, extensions: list[str], builddir: Path | None = None, **overrides
) -> str:
    """``tables.tex`` as a latex build of ``srcdir`` writes it, with no warning."""
    warnings = StringIO()
    app = make_app(
        "latex",
        srcdir=srcdir,
        builddir=builddir,
        warning=warnings,
        confoverrides={"extensions": extensions, **overrides},
    )
    try:
        app.build()
        assert warnings.getvalue() == ""
        return (Path(app.outdir) / "tables.tex").read_text(encoding="utf-8")
    finally:
        app.cleanup()


def build_tex(make_app, rootdir: Path, tmp_path: Path, name: str, extensions: list[str]) -> str:
    srcdir = tmp_path / name
    shutil.copytree(rootdir / "test-latexwriter", srcdir)
    return latex_tables(make_app, srcdir, extensions)


def test_tables_compiled_once_and_written_as_sphinx_does(
    make_app, rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = counted_compiles(monkeypatch)
    monkeypatch.setattr(TemplateCache, "shared", {})  # as in a new process
    stock = build_tex(make_app, rootdir, tmp_path, "stock", [])
    stock_tables = [n for n in compiled if n in TABLE_TEMPLATES]
    compiled.clear()
    mine = build_tex(make_app, rootdir, tmp_path, "mine", ["sangokushi.latexwriter"])
    mine_tables = [n for n in compiled if n in TABLE_TEMPLATES]
    assert mine == stock
    assert stock.count(r"\begin{tabulary}") + stock.count(r"\begin{longtable}") >= 3
    assert len(stock_tables) == 4, stock_tables  # Sphinx: once per table
    assert sorted(mine_tables) == sorted(set(stock_tables))  # here: once per template


def test_project_template_still_wins(make_app, rootdir: Path, tmp_path: Path) -> None:
    srcdir = tmp_path / "override"
    srcdir.mkdir()
    for path in (rootdir / "test-latexwriter").iterdir():
        (srcdir / path.name).write_bytes(path.read_bytes())
    (srcdir / "_templates").mkdir()
    (srcdir / "_templates" / "tabulary.tex.jinja").write_text("%% PROJECT TABLE\n")
    app = make_app(
        "latex",
        srcdir=srcdir,
        confoverrides={"extensions": ["sangokushi.latexwriter"], "templates_path": ["_templates"]},
    )
    try:
        app.build()
        assert "% PROJECT TABLE" in (Path(app.outdir) / "tables.tex").read_text(encoding="utf-8")
    finally:
        app.cleanup()


def counted_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each template Jinja compiles from now on (its path, for a project's)."""
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(Path(name).name if name else "")
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def with_own_tables(rootdir: Path, srcdir: Path) -> Path:
    """The root with the project's own copy of each table template, marked."""
    shutil.copytree(rootdir / "test-latexwriter", srcdir)
    (srcdir / "_templates").mkdir()
    for name in TABLE_TEMPLATES:
        stock = Path(sphinx.package_dir, "templates", "latex", name).read_text(encoding="utf-8")
        (srcdir / "_templates" / name).write_text(f"%% OWN {name}\n{stock}", encoding="utf-8")
    return srcdir


def build_own(make_app, srcdir: Path, extensions: list[str], builddir: Path) -> str:
    return latex_tables(make_app, srcdir, extensions, builddir, templates_path=["_templates"])


def test_a_projects_table_templates_are_compiled_once_too(
    make_app, rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sangokushi's own longtable template sits in every book's ``templates_path``: the
    templates found there go through the kept environment as well."""
    srcdir = with_own_tables(rootdir, tmp_path / "src")
    compiled = counted_compiles(monkeypatch)
    monkeypatch.setattr(TemplateCache, "shared", {})  # as in a new process
    stock = build_own(make_app, srcdir, [], tmp_path / "stock")
    stock_tables = [n for n in compiled if n in TABLE_TEMPLATES]
    compiled.clear()
    mine = build_own(make_app, srcdir, ["sangokushi.latexwriter"], tmp_path / "mine")
    mine_tables = [n for n in compiled if n in TABLE_TEMPLATES]
    assert mine == stock and "% OWN tabulary.tex.jinja" in mine
    assert len(stock_tables) == 4, stock_tables
    assert sorted(mine_tables) == sorted(set(stock_tables)), mine_tables


def test_the_compiled_templates_are_kept_for_the_next_build(
    make_app, rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process building again (``make book`` after an edit) loads the document's and
    the tables' templates compiled, from beside the doctrees; an edited one is compiled again."""
    srcdir = with_own_tables(rootdir, tmp_path / "src")
    builddir = tmp_path / "build"
    compiled = counted_compiles(monkeypatch)
    monkeypatch.setattr(TemplateCache, "shared", {})  # as in a new process
    first = build_own(make_app, srcdir, ["sangokushi.latexwriter"], builddir)
    assert "latex.tex.jinja" in compiled and set(compiled) & TABLE_TEMPLATES
    monkeypatch.setattr(TemplateCache, "shared", {})
    compiled.clear()
    assert build_own(make_app, srcdir, ["sangokushi.latexwriter"], builddir) == first
    assert "latex.tex.jinja" not in compiled and not set(compiled) & TABLE_TEMPLATES, compiled
    own = srcdir / "_templates" / "tabulary.tex.jinja"
    own.write_text(own.read_text(encoding="utf-8").replace("% OWN", "% EDITED"), encoding="utf-8")
    compiled.clear()
    assert "% EDITED tabulary" in build_own(make_app, srcdir, ["sangokushi.latexwriter"], builddir)
    assert compiled.count("tabulary.tex.jinja") == 1, compiled
