"""The ``bouten`` role: 傍点 (sesame emphasis dots) in HTML/EPUB, the PDF and plain text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxRole

from sangokushi import __version__

STATIC = Path(__file__).parent / "static"
CSS_FILE = "bouten.css"
LATEX_PACKAGE = "sangokushibouten"
# pxrubrica's \kenten (pLaTeX/upLaTeX) with a sesame on every character, beside it in vertical
# text (over it in horizontal). The mark is wrapped in an empty ActualText: the PDF's text is
# the emphasised words alone, as written, not 「今、も、」.
LATEX_STYLE = r"""\NeedsTeXFormat{LaTeX2e}
\ProvidesPackage{sangokushibouten}
\RequirePackage{pxrubrica}
\makeatletter
% A little air between the characters and their marks: pxrubrica's sesame touches them.
\kentenintergap{0.25}
\AtBeginDocument{%
  \expandafter\let\expandafter\sangokushi@sesame\csname pxrr@k@mark@@sesame*\endcsname
  \kentenmarkinyoko{\special{pdf:code /Span<</ActualText()>>BDC}\sangokushi@sesame
    \special{pdf:code EMC}}%
  \kentenmarkintate{\special{pdf:code /Span<</ActualText()>>BDC}\sangokushi@sesame
    \special{pdf:code EMC}}}
\DeclareRobustCommand{\sangokushibouten}[1]{{\kenten{#1}}}
\makeatother
"""
# Engines with pxrubrica; elsewhere the words are set plain.
LATEX_ENGINES = ("platex", "uplatex")


class bouten(nodes.inline):
    """Words set with emphasis dots; their text is the words as written."""


class BoutenRole(SphinxRole):
    """``{bouten}`今も``` marks the words with a sesame dot beside each character."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        node = bouten(self.rawtext, self.text)
        self.set_source_info(node)
        return [node], []


def visit_bouten_html(self: Any, node: bouten) -> None:
    # em-sesame: the 電書協 EPUB 3 guide's class for the same marks.
    self.body.append(self.starttag(node, "em", "", CLASS="bouten em-sesame"))


def depart_bouten_html(self: Any, node: bouten) -> None:
    self.body.append("</em>")


def visit_bouten_latex(self: Any, node: bouten) -> None:
    text = self.encode(node.astext())
    if self.config.latex_engine in LATEX_ENGINES:
        markup = rf"\sangokushibouten{{{text}}}"
        if self.in_title:
            markup = rf"\texorpdfstring{{{markup}}}{{{text}}}"
        self.body.append(markup)
    else:
        self.body.append(text)
    raise nodes.SkipNode


def visit_bouten_text(self: Any, node: bouten) -> None:
    self.add_text(node.astext())
    raise nodes.SkipNode


def depart_bouten(self: Any, node: bouten) -> None:
    pass


HANDLERS = {
    "html": (visit_bouten_html, depart_bouten_html),
    "latex": (visit_bouten_latex, depart_bouten),
    "text": (visit_bouten_text, depart_bouten),
}


def config_inited(app: Sphinx, config: Config) -> None:
    static = str(STATIC)
    if static not in config.html_static_path:
        # First, so a project's own _static/bouten.css overrides this one.
        config.html_static_path = [static, *config.html_static_path]


def builder_inited(app: Sphinx) -> None:
    builder = app.builder
    # As for ruby: the epub builder's own handlers win over the html format's.
    own = app.registry.translation_handlers.get(builder.name)
    if own is not None and "bouten" not in own and builder.format in HANDLERS:
        app.add_node(bouten, override=True, **{builder.name: HANDLERS[builder.format]})
    if builder.format == "latex" and app.config.latex_engine in LATEX_ENGINES:
        app.outdir.mkdir(parents=True, exist_ok=True)
        (app.outdir / f"{LATEX_PACKAGE}.sty").write_text(LATEX_STYLE, encoding="utf-8")
        app.add_latex_package(LATEX_PACKAGE)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(bouten, **HANDLERS)
    app.add_role("bouten", BoutenRole())
    app.add_css_file(CSS_FILE)
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", builder_inited)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
