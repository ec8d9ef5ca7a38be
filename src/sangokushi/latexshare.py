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
    app.add_builder(SharedLaTeXBuilder, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
