"""The theme's templates compiled once, kept beside the doctrees and for the next edition."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from sangokushi.templatecache import FOLDER, CompiledOnceBridge, TemplateCache
from support import sphinx_build

LAYOUT = (
    '{%% extends "!layout.html" %%}'
    '{%% block extrahead %%}<meta name="mark" content="%s" />{{ super() }}{%% endblock %%}'
)


@pytest.mark.parametrize(
    ("builder", "extensions"),
    [("html", ["myst_parser", "sangokushi.ruby", "sangokushi.pages"]), ("epub", [])],
)
def test_templates_are_compiled_once_and_again_when_changed(
    rootdir: Path,
    tmp_path: Path,
    builder: str,
    extensions: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "root"
    shutil.copytree(rootdir / "test-ebook", root)
    (root / "_templates").mkdir()
    layout = root / "_templates" / "layout.html"
    layout.write_text(LAYOUT % "印-1", encoding="utf-8")
    with (root / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('\ntemplates_path = ["_templates"]\n')
    overrides = {"extensions": extensions} if extensions else {}
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *args, **kw):
        compiled.append(name or "")
        return compile_(self, source, name, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    dest = tmp_path / "out"
    first = sphinx_build(root, dest, builder, **overrides)
    assert first.warnings == ""
    assert "layout.html" in compiled
    page = "index.html" if builder == "html" else "index.xhtml"
    assert "印-1" in (first.outdir / page).read_text(encoding="utf-8")
    assert any((dest / "_build" / "doctrees" / FOLDER).rglob("*.cache"))

    # The project's template edited: compiled again (this process had compiled the old one).
    layout.write_text(LAYOUT % "印-2", encoding="utf-8")
    shutil.copy(layout, dest / "src" / "_templates" / "layout.html")
    compiled.clear()
    edited = sphinx_build(None, dest, builder, **overrides)
    assert compiled.count("layout.html") == 1, compiled
    text = (edited.outdir / page).read_text(encoding="utf-8")
    assert "印-2" in text and "印-1" not in text

    # Another process: what the folder kept.
    monkeypatch.setattr(TemplateCache, "shared", {})
    compiled.clear()
    again = sphinx_build(None, dest, builder, **overrides)
    assert "印-2" in (again.outdir / page).read_text(encoding="utf-8")
    assert "layout.html" not in compiled, compiled


def test_code_compiled_in_another_syntax_is_kept_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LaTeX's templates write <%= %> for {{ }} (sangokushi.latexwriter): the same file under
    the same name compiles to other code there."""
    from sphinx.util.template import LaTeXRenderer, SphinxRenderer

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "both.jinja").write_text("<%= a %>|{{ a }}", encoding="utf-8")
    monkeypatch.setattr(TemplateCache, "shared", {})
    latex, plain = LaTeXRenderer([tmp_path / "templates"]), SphinxRenderer([tmp_path / "templates"])
    for renderer in (latex, plain):
        renderer.env.bytecode_cache = TemplateCache(renderer.env, tmp_path / FOLDER)
    assert latex.render("both.jinja", {"a": 1}) == "1|{{ a }}"
    assert plain.render("both.jinja", {"a": 1}) == "<%= a %>|1"


@pytest.mark.parametrize(
    ("builder", "extensions", "static"),
    [
        ("html", ["myst_parser", "sangokushi.ruby", "sangokushi.pages"], "html"),
        ("epub", [], "epub"),
    ],
)
def test_static_templates_are_compiled_once_per_process(
    rootdir: Path,
    tmp_path: Path,
    builder: str,
    extensions: list[str],
    static: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``basic.css.jinja`` and the other templates among the theme's static files: compiled
    by the first build of a process, not by the next; rendered as Sphinx's bridge renders
    them."""
    import sphinx

    source = (Path(sphinx.package_dir) / "themes/basic/static/basic.css.jinja").read_text("utf-8")
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, text: str, *args, **kw):
        compiled.append(text)
        return compile_(self, text, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    monkeypatch.setattr(CompiledOnceBridge, "compiled", {})  # as in a new process
    overrides = {"extensions": extensions} if extensions else {}
    first = sphinx_build(rootdir / "test-ebook", tmp_path / "first", builder, **overrides)
    assert source in compiled
    compiled.clear()
    second = sphinx_build(rootdir / "test-ebook", tmp_path / "second", builder, **overrides)
    assert source not in compiled
    stock = sphinx_build(
        rootdir / "test-ebook",
        tmp_path / "stock",
        builder,
        template_bridge="sphinx.jinja2glue.BuiltinTemplateLoader",
        **overrides,
    )
    assert first.warnings == second.warnings == stock.warnings == ""
    css = [b.outdir / "_static" / "basic.css" for b in (first, second, stock)]
    assert css[0].read_bytes() == css[1].read_bytes() == css[2].read_bytes()
