"""The correspondence table in print: columns as wide as their content asks, one item a line."""

from __future__ import annotations

import itertools
import re
import unicodedata

from docutils import nodes
from sphinx import addnodes

from sangokushi.jatext import phrases
from sangokushi.tables import joined
from sangokushi.tate import TCY_DIGITS

from .nodes import PART, TABLE, analogy_pageref

# Print: the correspondence table's columns are as wide as their content asks, within the line:
# each at least its widest unbreakable piece; the rest of the line goes first to the columns
# that need least more to set their lines whole (sangokushianalogy.sty). Widths in em (字 in
# a Japanese book), estimated.
#: A longer phrase may break inside (in a book, where sangokushi.book's penalties choose).
LONG_PHRASE = 4.0
#: A katakana name and the ＝ after it stay whole up to this width.
LONG_NAME = 9.0
NAME = re.compile(r"[\u30a1-\u30fa\u30fc・]{2,}＝?")
#: Columns whose lists (figure pairs; places) set one item a line.
LISTS = {3: "text", 4: "places", 5: "places"}
PAGE_NUMBER = "00"  # the width of a page number, for the estimate
#: Half a 字 at the start or end of a line (JIS X 4051: the other half is the JFM's glue).
OPENING, CLOSING = "（「『［【〔", "）」』］】〕、。，．"
LATIN_WORD = re.compile(r"[^\s\u2e80-\uffff]+")
#: A number longer than 縦中横 takes stands upright digit by digit in vertical setting, a 字 a
#: digit; the same estimate serves both writing modes.
LONG_NUMBER = re.compile(rf"[0-9]{{{TCY_DIGITS + 1},}}")


def text_width(text: str) -> float:
    """``text``'s width in em as a line of its own: a wide character 1 (a bracket or comma at
    either end or before another ½), a capital .7, a digit .5 (1 in a LONG_NUMBER, which
    vertical setting stands upright digit by digit), other Latin .47 (Times' average), a
    space .25."""
    upright = {i for m in LONG_NUMBER.finditer(text) for i in range(m.start(), m.end())}
    width = 0.0
    for at, (char, after) in enumerate(itertools.zip_longest(text, text[1:])):
        if char in CLOSING and after is not None and after in CLOSING:
            width += 0.5  # 「）、」: each half
        elif unicodedata.east_asian_width(char) in ("W", "F", "A") or at in upright:
            width += 1
        elif char.isspace():
            width += 0.25
        else:
            width += 0.7 if char.isupper() else 0.5 if char.isdigit() else 0.47
    return width - 0.5 * (text[:1] in OPENING) - 0.5 * (len(text) > 1 and text[-1] in CLOSING)


def least_width(text: str) -> float:
    """The widest piece of ``text`` a line should not break: a phrase (up to LONG_PHRASE), a
    katakana name with its ＝ (up to LONG_NAME: サム・アルトマン＝, not サム・/アルトマン) or a
    Latin word (never hyphenated: whole)."""
    widest = max((min(text_width(name), LONG_NAME) for name in NAME.findall(text)), default=0.0)
    for phrase in joined(phrases(text)):
        for word in phrase.split():
            widest = max(widest, min(text_width(word), LONG_PHRASE))
            for latin in LATIN_WORD.findall(word):
                widest = max(widest, text_width(latin))
    return widest


def cell_lines(entry: nodes.Element, column: int, separator: str, page: str) -> list[str]:
    """The lines a cell would like: one item a line in LISTS' columns, a place's page on a
    line of its own (``page``, set whole: see ``size_columns``)."""
    lines = [""]
    for node in entry.findall(lambda n: isinstance(n, (nodes.Text, analogy_pageref))):
        if isinstance(node, analogy_pageref):
            lines.append(page)
            continue
        if isinstance(node.parent, nodes.raw):
            continue
        text = str(node)
        kind = LISTS.get(column)
        if kind == "text" or (kind == "places" and text == separator):
            first, *rest = text.split(separator)
            lines[-1] += first
            for piece in rest:
                lines[-1] += separator
                lines.append(piece)
        else:
            lines[-1] += text
    return [line for line in lines if line]


def size_columns(table: nodes.table, separator: str, page_format: str) -> tuple[str, str]:
    """The LaTeX that shares out the line (``\\sangokushianalogycolumns``) and the
    ``tabularcolumns`` spec: each column its least width and its part of what is left."""
    page = page_format.replace("%s", PAGE_NUMBER)
    least: list[float] = []
    whole: list[float] = []
    for row in table.findall(nodes.row):
        for column, entry in enumerate(row.findall(nodes.entry)):
            lines = cell_lines(entry, column, separator, page)
            if column == len(least):
                least.append(0.0)
                whole.append(0.0)
            head = isinstance(row.parent, nodes.thead)
            for line in lines:
                # a head and a page (Nページ) are set whole
                whole_line = head or line.startswith(page)
                unbroken = text_width(line) if whole_line else least_width(line)
                least[column] = max(least[column], unbroken)
                whole[column] = max(whole[column], text_width(line))
    # In tenths of an em: each column's least width and what more it needs to be whole.
    tenths = [round(m * 10) for m in least]
    needs = [max(round(w * 10) - m, 0) for m, w in zip(tenths, whole, strict=True)]
    n = len(least)
    share = (
        rf"\sangokushianalogycolumns{{{sum(tenths)}}}{{{n}}}{{{','.join(map(str, sorted(needs)))}}}"
    )
    spec = "".join(
        rf"p{{\sangokushianalogycolumn{{{m}}}{{{need}}}}}"
        for m, need in zip(tenths, needs, strict=True)
    )
    return share, spec


def set_table(table: nodes.table, separator: str, page_format: str) -> None:
    """The correspondence table in print: a longtable (its head repeated on every page it
    breaks over), columns sized to their content, one figure pair or place a line."""
    table["classes"] = [c for c in table["classes"] if c != "colwidths-auto"]
    table["classes"] += ["longtable"]
    share, widths = size_columns(table, separator, page_format)
    spec = addnodes.tabular_col_spec(spec=widths)
    for body in table.findall(nodes.tbody):
        for row in body.findall(nodes.row):
            for column, entry in enumerate(row.findall(nodes.entry)):
                if column in LISTS:
                    break_lists(entry, separator, whole_text=LISTS[column] == "text")
    # ragged, unhyphenated cells (sangokushianalogy.sty); the environment ends after the table
    parent = table.parent
    begin = nodes.raw("", r"\begin{sangokushianalogytable}" + share, format="latex")
    parent.insert(parent.index(table), begin)
    parent.insert(parent.index(table), spec)
    end = nodes.raw("", r"\end{sangokushianalogytable}", format="latex")
    parent.insert(parent.index(table) + 1, end)


def in_table(node: nodes.Node) -> bool:
    """Whether ``node`` stands in the correspondence table."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.table) and parent.get(PART) == TABLE:
            return True
        parent = parent.parent
    return False


def break_lists(entry: nodes.Element, separator: str, whole_text: bool) -> None:
    """A line break after each ``separator`` between the items of a cell: inside its text
    (``whole_text``: figure pairs) or standing alone (between places)."""
    for text in list(entry.findall(nodes.Text)):
        value = str(text)
        if isinstance(text.parent, nodes.raw) or separator not in value:
            continue
        if not whole_text and value != separator:
            continue
        pieces = value.split(separator)
        replacement: list[nodes.Node] = []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            if piece or not last:
                replacement.append(nodes.Text(piece if last else piece + separator))
            if not last:
                replacement.append(nodes.raw("", r"\par ", format="latex"))
        # By identity: Text nodes are strings, list.index would find the first equal one.
        parent = text.parent
        at = next(i for i, child in enumerate(parent.children) if child is text)
        parent[at : at + 1] = replacement
