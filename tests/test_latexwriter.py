"""The LaTeX translator compiles each table template once and writes what Sphinx's writes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import jinja2
import pytest

TABLE_TEMPLATES = {"tabular.tex.jinja", "tabulary.tex.jinja", "longtable.tex.jinja"}


def build_tex(make_app, rootdir: Path, tmp_path: Path, name: str, extensions: list[str]) -> str:
    srcdir = tmp_path / name
    srcdir.mkdir()
    for path in (rootdir / "test-latexwriter").iterdir():
        (srcdir / path.name).write_bytes(path.read_bytes())
    warnings = StringIO()
    app = make_app(
        "latex", srcdir=srcdir, warning=warnings, confoverrides={"extensions": extensions}
    )
    try:
        app.build()
        assert warnings.getvalue() == ""
        return (Path(app.outdir) / "tables.tex").read_text(encoding="utf-8")
    finally:
        app.cleanup()


def test_tables_compiled_once_and_written_as_sphinx_does(
    make_app, rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
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
