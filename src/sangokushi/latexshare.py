"""The PDF variants that differ only in their preamble assemble and resolve the book once."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.latex import LaTeXBuilder

from sangokushi.book import pdf_variant

# The last book assembled and resolved in this process for each writing mode, as the next
# variant of that mode takes it: given away once (a big book's tree is large).
_SHARED: dict[tuple[object, ...], tuple[nodes.document, set[str]]] = {}


class SharedLaTeXBuilder(LaTeXBuilder):
    """Sphinx's LaTeX builder; with ``book_latex_share`` (the runner's digest of the code,
    options and sources, the same for every PDF variant of one environment), the assembled
    and resolved document of one variant is the next one's when both set the book alike
    (``PdfVariant.tate``): variants of one writing mode differ in the preamble and class
    options only, which the template writes around the body.
    """

    name = "latex"

    def assemble_doctree(
        self, indexfile: str, toctree_only: bool, appendices: list[str]
    ) -> nodes.document:
        share = self.config.book_latex_share
        if not share:
            return super().assemble_doctree(indexfile, toctree_only, appendices)
        tate = pdf_variant(self.config.book_pdf_variant).tate
        key = (share, str(self.doctreedir), tate, indexfile, toctree_only, tuple(appendices))
        if (shared := _SHARED.pop(key, None)) is not None:
            tree, self.docnames = shared
            return tree
        tree = super().assemble_doctree(indexfile, toctree_only, appendices)
        for other in [k for k in _SHARED if k[2] == tate]:
            del _SHARED[other]
        # A copy: writing this variant changes its tree (images, settings). The documents
        # inlined: the translator resolves references by them.
        _SHARED[key] = (tree.deepcopy(), set(self.docnames))
        return tree


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_latex_share", "", "", types=(str,))
    app.add_builder(SharedLaTeXBuilder, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
