"""Vertical EPUB text: ``tcy``/``upright`` spans after sangokushi.tate's policy, table islands."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from sangokushi.jatext import beside
from sangokushi.tate import ORIENTED, PARENTHESES, TCY, TCY_DIGITS, UPRIGHT, orient

SIDEWAYS = "sideways"
# Already oriented by the author, or a horizontal island (a table with class hltr).
SKIP_CLASSES = frozenset({TCY, UPRIGHT, SIDEWAYS, "hltr"})

# Text inside these is code, markup or already oriented by its author.
SKIP_NODES: tuple[type[nodes.Node], ...] = (
    nodes.FixedTextElement,
    nodes.literal,
    nodes.raw,
    nodes.math,
    nodes.comment,
    nodes.target,
    nodes.substitution_definition,
    nodes.option_string,
)


def orient_tree(tree: nodes.Node, tcy_digits: int = TCY_DIGITS) -> None:
    """Wrap the runs that :func:`orient` finds in ``tree``'s text in inline nodes.

    Text already wrapped is skipped, so a second pass (after toctrees are resolved)
    only adds what is new.
    """
    for text in list(tree.findall(nodes.Text)):
        if not ORIENTED.search(text) or _skipped(text):
            continue
        around = beside(text) if PARENTHESES.search(text) else ("", "")
        runs = orient(str(text), tcy_digits, *around)
        if all(cls is None for _, cls in runs) and "".join(r for r, _ in runs) == str(text):
            continue
        replacement: list[nodes.Node] = [
            nodes.Text(run) if cls is None else nodes.inline(run, run, classes=[cls])
            for run, cls in runs
        ]
        text.parent.replace(text, replacement)


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, SKIP_NODES) or parent.tagname == "ruby":
            return True
        if isinstance(parent, nodes.Element) and SKIP_CLASSES & set(parent["classes"]):
            return True
        if (
            isinstance(parent, nodes.reference)
            and parent.get("refuri")
            and parent.astext() == parent["refuri"]
        ):
            return True
        parent = parent.parent
    return False


class VerticalText(SphinxPostTransform):
    """In the vertical EPUB: table orientation, and upright numbers, acronyms and marks.

    Tables get class ``hltr`` (a horizontal island, read left to right) or ``vrtl``
    (rows become columns, which paginate) after ``ebook_vertical_tables``: ``auto``
    makes islands of tables with at most ``ebook_island_max_rows`` rows and
    ``ebook_island_max_columns`` columns, since an island cannot be split across pages
    and must fit a phone's width. A table's own ``hltr``/``vrtl`` class wins.
    Code blocks of at most as many lines are islands too; longer ones turn with the text.
    """

    default_priority = 800
    builders = ("epub",)

    def is_supported(self) -> bool:
        return super().is_supported() and self.config.epub_writing_mode == "vertical"

    def run(self, **kwargs: Any) -> None:
        for table in self.document.findall(nodes.table):
            if not {"hltr", "vrtl"} & set(table["classes"]):
                table["classes"].append("hltr" if self.island(table) else "vrtl")
        for code in self.document.findall(nodes.literal_block):
            lines = code.astext().count("\n") + 1
            if lines <= self.config.ebook_island_max_rows and "vrtl" not in code["classes"]:
                code["classes"].append("hltr")
        if self.config.ebook_tate_chu_yoko:
            orient_tree(self.document, self.config.ebook_tcy_digits)

    def island(self, table: nodes.table) -> bool:
        mode = self.config.ebook_vertical_tables
        if mode == "auto":
            rows = sum(1 for _ in table.findall(nodes.row))
            group = table.next_node(nodes.tgroup)
            columns = group["cols"] if group else 0
            return (
                rows <= self.config.ebook_island_max_rows
                and columns <= self.config.ebook_island_max_columns
            )
        return mode == "horizontal"
