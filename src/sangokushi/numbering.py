"""Chapter numbers (第1章, 付録A) in headings, navigation and references, as in the PDF."""

from __future__ import annotations

import string
from typing import Any
from weakref import WeakKeyDictionary

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import docname_join, logging
from sphinx.util.docutils import SphinxRole

from sangokushi.book import pdf_variant
from sangokushi.tate import kansuji

logger = logging.getLogger(__name__)

NUMBER_CLASS = "chapter-number"
# Between the number and the title: an ideographic space, as in a printed table of contents.
SEPARATOR = "\u3000"
# The ``book-chapter`` kinds (sangokushi.book) that carry a number; any other kind
# (unnumbered, a colophon) has none.
NUMBERED, APPENDIX = "numbered", "appendix"
# Each build's labels, found once when its environment is complete (``env-updated``) and
# read for every document written (walking the reading order per document is quadratic).
_LABELS: WeakKeyDictionary[BuildEnvironment, dict[str, str]] = WeakKeyDictionary()


def reading_order(env: BuildEnvironment) -> list[str]:
    """Every document the root's toctrees reach, depth first, in reading order."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.add(docname)
        order.append(docname)
        for child in env.toctree_includes.get(docname, ()):
            visit(child)

    visit(env.config.root_doc)
    return order


def chapter_labels(env: BuildEnvironment, vertical: bool = False) -> dict[str, str]:
    """Each numbered document's label: 第1章… for chapters, 付録A… for appendices.

    The kind comes from the document's ``book-chapter`` field, as in the PDF
    (:mod:`sangokushi.book`); the root document (the title page) and pages that are
    not documents (``genindex`` listed in a toctree) have no number. In a vertical
    edition chapters are numbered in kanji (第一章), as jlreq's vertical headings are.
    """
    labels: dict[str, str] = {}
    chapters = appendices = 0
    for docname in reading_order(env):
        if docname == env.config.root_doc or docname not in env.found_docs:
            continue
        kind = env.metadata.get(docname, {}).get("book-chapter", NUMBERED)
        if kind == NUMBERED:
            chapters += 1
            number = kansuji(chapters) if vertical else str(chapters)
            labels[docname] = env.config.book_chapter_format.format(number)
        elif kind == APPENDIX:
            letter = string.ascii_uppercase[appendices % 26]
            appendices += 1
            labels[docname] = env.config.book_appendix_format.format(letter)
    return labels


def set_number(title: nodes.Element, label: str | None) -> None:
    """Put ``label`` (or nothing) before ``title``'s text, replacing an earlier number."""
    for old in [c for c in title.children if isinstance(c, nodes.inline)]:
        if NUMBER_CLASS in old["classes"]:
            title.remove(old)
    if label:
        title.insert(0, nodes.inline(label + SEPARATOR, label + SEPARATOR, classes=[NUMBER_CLASS]))


def _numbered_here(app: Sphinx) -> bool:
    # The LaTeX writer numbers chapters itself (\chapter, \appendix).
    return app.builder.format != "latex"


def vertical(app: Sphinx) -> bool:
    """Whether this build writes a vertical edition (the vertical EPUB or PDF)."""
    if app.builder.format == "latex":
        return pdf_variant(app.config.book_pdf_variant).tate
    return app.builder.name == "epub" and app.config.epub_writing_mode == "vertical"


def number_titles(app: Sphinx, env: BuildEnvironment) -> None:
    """Number the titles the navigation is made of: the sidebar, the EPUB's nav and NCX."""
    if not _numbered_here(app):
        return
    labels = _LABELS[env] = chapter_labels(env, vertical(app))
    for docname in env.found_docs:
        label = labels.get(docname)
        for titles in (env.titles, env.longtitles):
            if docname in titles:
                set_number(titles[docname], label)
        toc = env.tocs.get(docname)
        if toc is not None:
            for ref in toc.findall(nodes.reference):
                set_number(ref, label)
                break


def number_heading(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Number the document's own heading."""
    if not _numbered_here(app):
        return
    env = app.env
    if env not in _LABELS:
        _LABELS[env] = chapter_labels(env, vertical(app))
    label = _LABELS[env].get(docname)
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is not None:
            set_number(title, label)
        break


class chapter_reference(nodes.Inline, nodes.TextElement):
    """A chapter's label in running text (``{chapter}`wei```), filled in when written."""


class ChapterRole(SphinxRole):
    """``{chapter}`docname```: that document's label (第1章, 付録A; 第一章 in vertical editions).

    The label is made as the headings' are, so a reference reads like the heading it names
    in every edition, and follows when chapters move.
    """

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        target = docname_join(self.env.docname, self.text.strip())
        node = chapter_reference(self.rawtext, self.text, reftarget=target)
        self.set_source_info(node)
        return [node], []


def resolve_chapter_references(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each ``{chapter}`` with its document's label, for every builder.

    After the post-transforms: the vertical EPUB orients what it writes once more
    (sangokushi.ebook), and a label in kanji needs no 縦中横 in the PDF.
    """
    env = app.env
    if env not in _LABELS:
        _LABELS[env] = chapter_labels(env, vertical(app))
    labels = _LABELS[env]
    for node in list(doctree.findall(chapter_reference)):
        label = labels.get(node["reftarget"])
        if label is None:
            logger.warning(
                "{chapter}: %r is not a numbered chapter or appendix",
                node["reftarget"],
                location=node,
                type="book",
                subtype="chapter",
            )
            label = node.astext()
        node.replace_self(nodes.Text(label))


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sangokushi.book")
    app.add_config_value("book_chapter_format", "第{}章", "env", types=frozenset({str}))
    app.add_config_value("book_appendix_format", "付録{}", "env", types=frozenset({str}))
    app.connect("env-updated", number_titles)
    app.connect("doctree-resolved", number_heading)
    app.add_node(chapter_reference)
    app.add_role("chapter", ChapterRole())
    app.connect("doctree-resolved", resolve_chapter_references)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
