"""Vertical-text orientation: wrap digits, acronyms and marks in ``tcy``/``upright`` spans."""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

TCY = "tcy"
UPRIGHT = "upright"
SIDEWAYS = "sideways"
# Already oriented by the author, or a horizontal island (a table with class hltr).
SKIP_CLASSES = frozenset({TCY, UPRIGHT, SIDEWAYS, "hltr"})

# Alternatives are tried left to right at each position: a Latin word swallows the
# digits that belong to it (GPT-3.5, Llama 2, H100) before a bare number can match.
TOKEN = re.compile(
    r"""
    (?P<latin>[A-Za-z][A-Za-z0-9]*(?:[-.'’&+/][A-Za-z0-9]+)*(?:\ [0-9][A-Za-z0-9]*(?:\.[0-9]+)*)*)
    | (?P<alnum>[0-9]+(?:[.,][0-9]+)*[A-Za-z][A-Za-z0-9-]*)
    | (?P<dotted>[0-9]+(?:\.[0-9]+){2,})
    | (?P<number>[0-9]+(?:[.,][0-9]+)*)(?P<percent>%?)
    | (?P<marks>[!?]{1,2})
    """,
    re.VERBOSE,
)
ACRONYM = re.compile(r"[A-Z]{1,4}")

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


def orient(text: str, tcy_digits: int = 2) -> list[tuple[str, str | None]]:
    """``text`` split into (run, class) pairs; class is ``tcy``, ``upright`` or None.

    - 1–``tcy_digits`` digit numbers (7月19日, 2ヶ月) and short decimals (3.5) are
      縦中横; longer numbers (2023年, 2000万) are upright digit by digit, as in
      Japanese vertical typesetting; ``%`` after a number stands upright too.
    - Latin words and names with their numbers (OpenAI, GPT-3.5, Llama 2) stay
      sideways (the default of mixed orientation): they are read as words.
    - All-capital acronyms: two letters (AI) are 縦中横, one, three or four
      letters (X, LLM, AWS, NVDA) upright.
    - Dotted version numbers (1.0.0) stay sideways, read as one unit, not stacked
      as 1 . 0 . 0.
    - ``!``, ``?``, ``!!``, ``!?`` are 縦中横: a lone half-width mark stands in one em
      like a full-width one, not as a small upright glyph; the text keeps the author's
      character.
    """
    runs: list[tuple[str, str | None]] = []
    pos = 0

    def add(run: str, cls: str | None) -> None:
        if not run:
            return
        if cls is None and runs and runs[-1][1] is None:
            runs[-1] = (runs[-1][0] + run, None)
        else:
            runs.append((run, cls))

    for match in TOKEN.finditer(text):
        add(text[pos : match.start()], None)
        pos = match.end()
        if latin := match["latin"]:
            if ACRONYM.fullmatch(latin):
                add(latin, TCY if len(latin) == 2 else UPRIGHT)
            else:
                add(latin, None)
        elif number := match["number"]:
            digits_only = number.isdigit()
            if (digits_only and len(number) <= tcy_digits) or (
                not digits_only and len(number) <= 3
            ):
                add(number, TCY)
                add(match["percent"], UPRIGHT)
            else:
                add(number + match["percent"], UPRIGHT)
        elif dotted := match["dotted"]:
            add(dotted, None)
        elif marks := match["marks"]:
            add(marks, TCY)
        else:
            add(match.group(), None)
    add(text[pos:], None)
    return runs


def orient_tree(tree: nodes.Node, tcy_digits: int = 2) -> None:
    """Wrap the runs that :func:`orient` finds in ``tree``'s text in inline nodes.

    Text already wrapped is skipped, so a second pass (after toctrees are resolved)
    only adds what is new.
    """
    for text in list(tree.findall(nodes.Text)):
        if _skipped(text):
            continue
        runs = orient(str(text), tcy_digits)
        if all(cls is None for _, cls in runs):
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
    makes islands of tables with at most ``ebook_island_max_rows`` rows, since an
    island cannot be split across pages. A table's own ``hltr``/``vrtl`` class wins.
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
            return rows <= self.config.ebook_island_max_rows
        return mode == "horizontal"
