"""Tables that read on a phone: cells broken between phrases, rows stacked under labels."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from sangokushi.jatext import HTML_FORMATS, NO_LINE_END, NO_LINE_START, break_between, phrases

# A table whose rows stack on a narrow screen (sangokushi-book.css), each cell led by its
# column's header in a span shown only there.
STACKED = "stacked"
LABEL = "cell-label"
# A table with fewer columns reads on a phone as it is.
MIN_COLUMNS = 3


def headers(table: nodes.table) -> list[str]:
    """The texts of a table's last header row, or [] when it has none (without the ``<wbr />``
    of its phrase breaks, which a label would show as text)."""
    head = next(table.findall(nodes.thead), None)
    if head is None:
        return []
    rows = list(head.findall(nodes.row))
    if not rows:
        return []
    return [
        "".join(t for t in entry.findall(nodes.Text) if not isinstance(t.parent, nodes.raw))
        for entry in rows[-1].findall(nodes.entry)
    ]


def label_cells(table: nodes.table, separator: str, cls: str = LABEL) -> None:
    """Begin each body cell with its column's header, in a span of class ``cls`` that the
    stylesheet shows only where the rows stack (phones); screen readers have the header row."""
    names = headers(table)
    for body in table.findall(nodes.tbody):
        for row in body.findall(nodes.row):
            for header, entry in zip(names, row.findall(nodes.entry), strict=False):
                if entry.children and entry.astext() and header:
                    label = nodes.inline("", header + separator, classes=[cls])
                    if isinstance(entry[0], nodes.TextElement):
                        entry[0].insert(0, label)
                    else:
                        entry.insert(0, nodes.paragraph("", "", label))


class PhraseCells(SphinxPostTransform):
    """HTML and EPUB: table cells break between phrases (``<wbr />``, BudouX), never inside a
    word or name (「強力な帝/国」「諸葛/亮」); wide tables stack on a phone.

    Paired with ``word-break: keep-all`` on cells (sangokushi-book.css). A table with a header
    row and at least ``MIN_COLUMNS`` columns gets class ``stacked`` and labelled cells, unless
    it labels its own (the analogy table).
    """

    default_priority = 851  # after sangokushi.jatext's headings
    formats = HTML_FORMATS

    def run(self, **kwargs: Any) -> None:
        for table in list(self.document.findall(nodes.table)):
            for entry in table.findall(nodes.entry):
                for text in list(entry.findall(nodes.Text)):
                    if not _plain(text, entry):
                        continue
                    break_between(text, joined(phrases(str(text))))
            names = headers(table)
            labelled = any(
                any(c.endswith(LABEL) for c in n["classes"]) for n in table.findall(nodes.inline)
            )
            if len(names) >= MIN_COLUMNS and not labelled:
                table["classes"].append(STACKED)
                label_cells(table, "：" if self.config.language in ("ja", "zh") else ": ")


def joined(parts: list[str]) -> list[str]:
    """``parts`` with no break before a character that may not start a line or after one that
    may not end it."""
    result: list[str] = []
    for part in parts:
        # A phrase that begins with a character that never starts a line is no place to break
        # (BudouX made 「か」「?」 two phrases; the browser broke before the ?); nor one after a
        # phrase that ends with one that never ends a line (「—デファクト」).
        if result and (part[:1] in NO_LINE_START or result[-1][-1:] in NO_LINE_END):
            result[-1] += part
        else:
            result.append(part)
    return result


def _plain(text: nodes.Text, stop: nodes.Element) -> bool:
    parent = text.parent
    while parent is not None and parent is not stop:
        if isinstance(parent, (nodes.literal, nodes.raw, nodes.FixedTextElement)):
            return False
        parent = parent.parent
    return True


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sangokushi.jatext")
    app.add_post_transform(PhraseCells)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
