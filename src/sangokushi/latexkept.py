"""Chapters whose LaTeX stands: a document's LaTeX from the last write, set in its place
while its doctree and what the environment holds for every page are as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.environment import BuildEnvironment

from sangokushi.build.stamps import file_digest
from sangokushi.latexwriter import CachedTemplateLaTeXTranslator
from sangokushi.pages import environment_digest, kept_record, write_record

# In the LaTeX folder: each document's LaTeX as last written, with what it was written from.
RECORD = ".sangokushi-latex.json"
# The builder's attribute where the translator puts each document's LaTeX as it writes it.
TEXTS = "sangokushi_latex_texts"
# Where a document's writing changed what the next documents' writing starts from (an
# abbreviation explained once): none of them stands then.
LASTING = "lasting"


def doctree_digest(env: BuildEnvironment, docname: str) -> str:
    return file_digest(Path(env.doctreedir, f"{docname}.doctree"))


class Standing:
    """The documents of the last write that stand in this one, and what to check after it."""

    def __init__(self, builder: Any) -> None:
        self.builder = builder
        env, key = builder.env, builder.config.book_latex_key
        self.path = Path(builder.outdir, RECORD)
        self.environment = environment_digest(env) if key else ""
        record = kept_record(self.path, key) if key else {}
        docs = record.get("docs") if record.get("environment") == self.environment else None
        self.frame = str(record.get("frame", ""))
        self.texts: dict[str, str] = {}
        self.stood: set[str] = set()
        if isinstance(docs, dict) and not any(LASTING in d for d in docs.values()):
            self.texts = {
                name: d["text"]
                for name, d in docs.items()
                if d.get("doctree") == doctree_digest(env, name)
            }

    def stub(self, docname: str) -> nodes.document | None:
        """A document that writes ``docname``'s LaTeX as it was, if it stands."""
        text = self.texts.get(docname)
        # A raw block is written between two line ends: a text begun and ended by one.
        if text is None or len(text) < 2 or text[0] != "\n" or text[-1] != "\n":
            return None
        document = new_document(docname)
        document.append(nodes.raw("", text[1:-1], format="latex"))
        return document

    def stand(self, stood: set[str]) -> None:
        """Note the documents that stood; their images are copied as if their doctrees were
        written."""
        self.stood = stood
        for uri, (docnames, name) in self.builder.env.images.items():
            if docnames & stood:
                self.builder.images[uri] = name

    def keep(self, tex: Path) -> bool:
        """Record what this write wrote; False when the LaTeX around the documents is not as
        last time (a document that stood would have changed it): then write whole."""
        texts: dict[str, dict[str, Any]] = getattr(self.builder, TEXTS, {})
        frame = _frame(tex.read_text(encoding="utf-8"), [d["text"] for d in texts.values()])
        if self.texts and frame != self.frame:
            return False
        if frame is None:  # a document's LaTeX not found where written: none will stand
            self.path.unlink(missing_ok=True)
            return True
        env = self.builder.env
        docs = {name: {**d, "doctree": doctree_digest(env, name)} for name, d in texts.items()}
        record = {"key": self.builder.config.book_latex_key, "environment": self.environment}
        stood = sorted(self.stood)
        write_record(self.path, {**record, "frame": frame, "stood": stood, "docs": docs})
        return True


def _frame(text: str, parts: list[str]) -> str | None:
    """The digest of ``text`` without ``parts`` (found in order): what the documents are
    written inside; None when a part is not found."""
    pieces, at = [], 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return None
        pieces.append(text[at:found])
        at = found + len(part)
    pieces.append(text[at:])
    return hashlib.blake2b("\0".join(pieces).encode()).hexdigest()


class KeptTextTranslator(CachedTemplateLaTeXTranslator):
    """The book's LaTeX translator noting each document's LaTeX (``TEXTS``) as it writes it:
    a document with no document inside it, from its start to its end."""

    def visit_start_of_file(self, node: nodes.Element) -> None:
        super().visit_start_of_file(node)
        leaf = not any(n is not node for n in node.findall(addnodes.start_of_file))
        starts = self.__dict__.setdefault("kept_starts", [])
        starts.append((len(self.body), len(self.handled_abbrs)) if leaf else None)

    def depart_start_of_file(self, node: nodes.Element) -> None:
        start = self.__dict__["kept_starts"].pop()
        texts = getattr(self.builder, TEXTS, None)
        if start is not None and texts is not None:
            kept: dict[str, Any] = {"text": "".join(self.body[start[0] :])}
            if len(self.handled_abbrs) != start[1]:
                kept[LASTING] = True
            texts[node["docname"]] = kept
        super().depart_start_of_file(node)
