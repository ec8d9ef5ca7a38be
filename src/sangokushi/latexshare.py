"""The LaTeX builder doing once what repeats: the book assembled for its variants, Sphinx's
support files copied into a folder."""

from __future__ import annotations

import json
import re
from contextlib import suppress
from pathlib import Path
from typing import Any

import sphinx
from docutils import nodes
from sphinx import package_dir
from sphinx.application import Sphinx
from sphinx.builders.latex import LaTeXBuilder

from sangokushi.book import pdf_variant
from sangokushi.build.publish import write_whole
from sangokushi.latexkept import TEXTS, KeptTextTranslator, Standing

# In a LaTeX folder: what Sphinx's support files were last copied from (copy_support_files).
SUPPORT_RECORD = ".sangokushi-texinputs.json"
# The suffixes of the support files Sphinx renders (copy_asset_file): the copy drops them.
TEMPLATE = re.compile(r"(_t|\.jinja)$", re.IGNORECASE)

# The last book assembled and resolved in this process for each writing mode, as the next
# variant of that mode takes it: given away once (a big book's tree is large).
_SHARED: dict[tuple[object, ...], tuple[nodes.document, set[str]]] = {}


class SharedLaTeXBuilder(LaTeXBuilder):
    """Sphinx's LaTeX builder; with ``book_latex_share`` (the runner's digest of the code,
    options and sources, the same for every PDF variant of one environment), the assembled
    and resolved document of one variant is the next one's when both set the book alike
    (``PdfVariant.tate``): variants of one writing mode differ in the preamble and class
    options only, which the template writes around the body. Sphinx's support files are
    copied into a folder once (``copy_support_files``).
    """

    name = "latex"

    standing: Standing | None = None

    def write_documents(self, docnames: set[str]) -> None:
        """Write the book with each document that stands as its LaTeX last time
        (sangokushi.latexkept), or whole when the LaTeX around them came out otherwise."""
        # A book is one LaTeX document; a project of several writes each whole.
        one = len(self.document_data) == 1
        self.standing = Standing(self) if self.config.book_latex_key and one else None
        setattr(self, TEXTS, {})
        super().write_documents(docnames)
        if self.standing is None:
            return
        tex = Path(self.outdir, self.document_data[0][1])
        if not self.standing.keep(tex):
            self.standing.texts, self.standing.stood = {}, set()
            setattr(self, TEXTS, {})
            super().write_documents(docnames)
            self.standing.keep(tex)

    def assemble_doctree(
        self, indexfile: str, toctree_only: bool, appendices: list[str]
    ) -> nodes.document:
        if self.standing and self.standing.texts:
            return self.assemble_standing(indexfile, toctree_only, appendices)
        return self.assemble_shared(indexfile, toctree_only, appendices)

    def assemble_standing(
        self, indexfile: str, toctree_only: bool, appendices: list[str]
    ) -> nodes.document:
        """The book with the documents that stand as their LaTeX last time."""
        assert self.standing is not None
        standing, env = self.standing, self.env
        stood: set[str] = set()
        get_doctree = env.get_doctree

        def doctree(docname: str) -> nodes.document:
            if (stub := standing.stub(docname)) is not None:
                stood.add(docname)
                return stub
            return get_doctree(docname)

        resolve_references = env.resolve_references

        def resolve(*args: Any) -> None:
            # The documents are inlined: references resolve against the real doctrees (a
            # numbered reference reads its target's).
            env.__dict__.pop("get_doctree", None)
            resolve_references(*args)

        env.get_doctree = doctree  # type: ignore[method-assign]
        env.resolve_references = resolve  # type: ignore[method-assign]
        try:
            tree = super().assemble_doctree(indexfile, toctree_only, appendices)
        finally:
            env.__dict__.pop("get_doctree", None)
            env.__dict__.pop("resolve_references", None)
        standing.stand(stood)
        return tree

    def assemble_shared(
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

    def copy_support_files(self) -> None:
        """Sphinx's support files (``sphinx.sty``, the ``_t`` templates…), copied only when the
        folder does not hold them as the last copy left them: Sphinx reads, compares and
        renders them all on every build (20 ms a PDF variant)."""
        record = Path(self.outdir, SUPPORT_RECORD)
        with suppress(OSError):
            if record.read_text(encoding="utf-8") == self.support_state():
                return
        record.unlink(missing_ok=True)
        super().copy_support_files()
        write_whole(record, self.support_state())

    def support_state(self) -> str:
        """What this folder's support files are copied from, and each copy's size and time."""
        files = sorted(p for p in Path(package_dir, "texinputs").iterdir() if p.name[0] != ".")
        copies = [Path(self.outdir, TEMPLATE.sub("", p.name)) for p in files]
        config = self.config
        return json.dumps(
            [
                sphinx.__version__,
                [config.latex_engine, config.latex_use_xindy, config.language],
                [[p.name, *_stat(p)] for p in files],
                [_stat(p) for p in copies],
            ]
        )


def _stat(path: Path) -> list[int]:
    try:
        info = path.stat()
    except OSError:
        return []
    return [info.st_size, info.st_mtime_ns]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_latex_share", "", "", types=(str,))
    # What the LaTeX is written from besides the doctrees (the runner's write key): documents
    # stand only under the same (sangokushi.latexkept).
    app.add_config_value("book_latex_key", "", "", types=(str,))
    app.add_builder(SharedLaTeXBuilder, override=True)
    app.set_translator("latex", KeptTextTranslator, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
