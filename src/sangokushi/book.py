"""Book structure: unnumbered chapters and appendices in LaTeX, located toctree warnings."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sangokushi import __version__

logger = logging.getLogger(__name__)

KINDS = ("numbered", "unnumbered", "appendix")


def _raw(tex: str) -> nodes.raw:
    return nodes.raw("", tex, format="latex")


def mark_chapter(app: Sphinx, doctree: nodes.document) -> None:
    """Wrap a document's chapter in LaTeX switches chosen by its ``book-chapter`` field."""
    docname = app.env.docname
    kind = app.env.metadata[docname].get("book-chapter", "numbered")
    if kind not in KINDS:
        logger.warning(
            "unknown book-chapter %r (expected one of: %s)",
            kind,
            ", ".join(KINDS),
            location=(docname, 1),
            type="book",
            subtype="chapter",
        )
        return
    if kind == "unnumbered":
        # The switch must precede \chapter and be undone after the chapter's last line.
        doctree.insert(0, _raw(r"\setcounter{secnumdepth}{-1}"))
        doctree.append(_raw(r"\setcounter{secnumdepth}{\sphinxbooksecnumdepth}"))
    elif kind == "appendix":
        doctree.insert(0, _raw(r"\sphinxbookappendix"))


def check_toctree(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn, with file and line, about documents no toctree reaches from the root."""
    reached, todo = set(), [env.config.root_doc]
    while todo:
        docname = todo.pop()
        if docname not in reached:
            reached.add(docname)
            todo.extend(env.toctree_includes.get(docname, ()))
    for docname in sorted(env.found_docs - reached):
        if "orphan" not in env.metadata[docname]:
            logger.warning(
                "document isn't included in any toctree",
                location=(docname, 1),
                type="book",
                subtype="toctree",
            )


PREAMBLE = r"""
\makeatletter
\edef\sphinxbooksecnumdepth{\the\c@secnumdepth}
\newif\ifsphinxbook@inappendix
\newcommand{\sphinxbookappendix}{%
  \ifsphinxbook@inappendix\else\sphinxbook@inappendixtrue\appendix\fi}
\makeatother
"""


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", mark_chapter)
    app.connect("env-check-consistency", check_toctree)
    app.add_latex_package("sangokushibook")
    app.connect("builder-inited", _write_sty)
    app.setup_extension("sangokushi.latexwriter")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _write_sty(app: Sphinx) -> None:
    if app.builder.format == "latex":
        app.outdir.mkdir(parents=True, exist_ok=True)
        (app.outdir / "sangokushibook.sty").write_text(
            "\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesPackage{sangokushibook}\n" + PREAMBLE,
            encoding="utf-8",
        )
