"""The ``ruby`` role: furigana as HTML/EPUB ``<ruby>``, LaTeX ``\\ruby`` and base(reading) text."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from sangokushi import __version__

logger = logging.getLogger(__name__)

# LaTeX engines whose Japanese packages provide ``\ruby{base}{reading}``.
LATEX_RUBY_PACKAGES = {"lualatex": "luatexja-ruby", "platex": "pxrubrica", "uplatex": "pxrubrica"}


class ruby(nodes.inline):
    """Base text with its reading; its text child ``base(reading)`` is the fallback."""


def fallback_text(base: str, reading: str) -> str:
    """What a builder without ruby shows: the reading in parentheses after the base."""
    return f"{base}({reading})"


class RubyRole(SphinxRole):
    """``{ruby}`司馬懿|しばい``` makes a ruby node; bad input is warned about and kept as text."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        base, sep, reading = self.text.partition("|")
        base, reading = base.strip(), reading.strip()
        problem = None
        if not sep:
            problem = "no '|' between base text and reading"
        elif "|" in reading:
            problem = "more than one '|'"
        elif not base or not reading:
            problem = "empty base text or reading"
        if problem:
            logger.warning(
                "ruby: %s in %r (expected {ruby}`base|reading`)",
                problem,
                self.text,
                location=self.get_location(),
                type="ruby",
                subtype="syntax",
            )
            return [nodes.Text(self.text)], []
        node = ruby(self.rawtext, fallback_text(base, reading), base=base, reading=reading)
        self.set_source_info(node)
        return [node], []


def visit_ruby_html(self: Any, node: ruby) -> None:
    self.body.append(
        self.starttag(node, "ruby", suffix="")
        + self.encode(node["base"])
        + "<rp>(</rp><rt>"
        + self.encode(node["reading"])
        + "</rt><rp>)</rp></ruby>"
    )
    raise nodes.SkipNode


def visit_ruby_latex(self: Any, node: ruby) -> None:
    if self.config.latex_engine not in LATEX_RUBY_PACKAGES:
        self.body.append(self.encode(node.astext()))
        raise nodes.SkipNode
    base, reading = self.encode(node["base"]), self.encode(node["reading"])
    markup = rf"\ruby{{{base}}}{{{reading}}}"
    if self.in_title:
        # Moving arguments: PDF bookmarks get the base text alone.
        markup = rf"\texorpdfstring{{\protect{markup}}}{{{base}}}"
    self.body.append(markup)
    raise nodes.SkipNode


def visit_ruby_text(self: Any, node: ruby) -> None:
    self.add_text(node.astext())
    raise nodes.SkipNode


def depart_ruby(self: Any, node: ruby) -> None:
    pass


HANDLERS = {
    "html": (visit_ruby_html, depart_ruby),
    "latex": (visit_ruby_latex, depart_ruby),
    "text": (visit_ruby_text, depart_ruby),
}


def builder_inited(app: Sphinx) -> None:
    builder = app.builder
    # Sphinx uses the handlers of the builder's format (epub -> html) only when no
    # extension registered any for the builder's own name.
    own = app.registry.translation_handlers.get(builder.name)
    if own is not None and "ruby" not in own and builder.format in HANDLERS:
        app.add_node(ruby, override=True, **{builder.name: HANDLERS[builder.format]})
    if builder.format == "latex" and app.config.latex_engine in LATEX_RUBY_PACKAGES:
        app.add_latex_package(LATEX_RUBY_PACKAGES[app.config.latex_engine])
    if builder.format == "latex" and app.config.latex_engine == "lualatex":
        seed_ltjruby(app)


# What luatexja-ruby writes first into JOBNAME.ltjruby, its line-break memory between runs.
LTJRUBY_HEADER = "local lrob=luatexja.ruby.old_break_info\n"


def seed_ltjruby(app: Sphinx) -> None:
    """Give every LaTeX document an empty ``.ltjruby`` before its first LuaLaTeX pass.

    luatexja-ruby reads the file at the start of a pass and writes it at the end. Without
    it, the second pass is the first to read it, and latexmk runs a third pass for a file
    "newly in use" although its content no longer changes. A file left by an earlier run
    is kept: it holds that run's line breaks.
    """
    app.outdir.mkdir(parents=True, exist_ok=True)
    for entry in app.config.latex_documents:
        seed = app.outdir / (entry[1].removesuffix(".tex") + ".ltjruby")
        if not seed.exists():
            seed.write_text(LTJRUBY_HEADER, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(ruby, **HANDLERS)
    app.add_role("ruby", RubyRole())
    app.connect("builder-inited", builder_inited)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
