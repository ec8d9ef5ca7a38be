"""The 奥付 from the book's facts: the ``colophon`` directive, and one made when a book has none."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective

from sangokushi.book import uses_book_style
from sangokushi.facts import Facts
from sangokushi.numbering import reading_order

COLOPHON_CLASS = "colophon"
# The ``book-chapter`` kind of a page that is the book's 奥付 (sangokushi.book.KINDS).
COLOPHON_KIND = "colophon"
TITLE = {"ja": "奥付"}
# Each fact's label in a Japanese 奥付, in the order it is printed.
LABELS = (("author", "著者"), ("publisher", "発行"), ("rights", "権利表記"))


def _line(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text)


def colophon_nodes(config: Config) -> list[nodes.Node]:
    """The book's facts as the 奥付 prints them: title, date and 版, then one fact a line."""
    facts: Facts | None = config.book_facts
    if facts is None:
        return []
    heading = nodes.paragraph()
    heading += nodes.strong(facts.title, facts.title)
    if facts.subtitle:
        heading += nodes.Text(f"　{facts.subtitle}")
    items = nodes.bullet_list()
    for key, label in LABELS:
        value = getattr(facts, key) or (config.copyright if key == "rights" else "")
        if value:
            items += nodes.list_item("", _line(f"{label}：{value}"))
    for line in facts.colophon:
        items += nodes.list_item("", _line(line))
    return [heading, _line(f"{config.book_date}　{config.book_edition}発行"), items]


class ColophonDirective(SphinxDirective):
    """``{colophon}``: the book's facts, then the directive's own content (MyST)."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        box = nodes.container(classes=[COLOPHON_CLASS])
        self.set_source_info(box)
        box += colophon_nodes(self.config)
        box += self.parse_content_to_nodes()
        return [box]


# The document a made 奥付 follows ("" for none), found once per build: the builder's own
# attribute (Sphinx has no per-build store for an extension's derived values).
LAST_PAGE = "_sangokushi_colophon_after"


def colophon_after(app: Sphinx) -> str:
    """The last document in reading order when the book has no 奥付 page, else ""."""
    found: str | None = getattr(app.builder, LAST_PAGE, None)
    if found is None:
        metadata = app.env.metadata.values()
        own = any(m.get("book-chapter") == COLOPHON_KIND for m in metadata)
        found = "" if own or app.config.book_facts is None else reading_order(app.env)[-1]
        setattr(app.builder, LAST_PAGE, found)
    return found


def forget_colophon(app: Sphinx, env: object) -> None:
    """A new reading (this build's, or the next one's in a long-lived process) decides anew."""
    if hasattr(app.builder, LAST_PAGE):
        delattr(app.builder, LAST_PAGE)


def add_colophon(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give a book with no 奥付 page one: after its last page (HTML, EPUB) or last in the PDF."""
    last = colophon_after(app)
    single = app.builder.format == "latex"
    if not last or (not single and docname != last):
        return
    title = TITLE.get(app.config.language.split("_")[0], "Colophon")
    box = nodes.container(classes=[COLOPHON_CLASS])
    box += colophon_nodes(app.config)
    if single:
        # As sangokushi.book marks a colophon page: a verso of its own, last, unnumbered.
        start = r"\clearpage\phantomsection\setcounter{secnumdepth}{-1}"
        if uses_book_style(app.config):
            start = r"\sphinxbookcolophon" + start.removeprefix(r"\clearpage")
        doctree += nodes.raw("", f"{start}\\chapter{{{title}}}\n", format="latex")
        doctree += box
        return
    section = nodes.section(ids=["sangokushi-colophon"], classes=["generated-colophon"])
    section += nodes.title(title, title)
    section += box
    doctree += section


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sangokushi.book")  # book_facts, and the LaTeX of a colophon page
    app.add_directive("colophon", ColophonDirective)
    app.connect("env-updated", forget_colophon)
    app.connect("doctree-resolved", add_colophon)
    return {
        "version": "1.0",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
