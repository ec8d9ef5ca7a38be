"""HTML whose toctree captions carry the ``aria-level`` that ``role="heading"`` requires."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

from sangokushi import __version__


class AriaHTML5Translator(HTML5Translator):
    """Sphinx's HTML5, with toctree captions that accessibility checkers accept."""

    def visit_title(self, node: nodes.title) -> None:
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            # role="heading" needs its aria-level (axe: aria-required-attr).
            self.body.append(
                self.starttag(node, "p", "", CLASS="caption", ROLE="heading", **{"aria-level": "2"})
            )
            self.body.append('<span class="caption-text">')
            self.context.append("</span></p>\n")
        else:
            super().visit_title(node)


def setup(app: Sphinx) -> dict[str, Any]:
    for builder in ("html", "dirhtml", "singlehtml"):
        app.set_translator(builder, AriaHTML5Translator)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
