"""Doctree nodes of analogy boxes, the one composition of a box's title, and the visitors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from docutils import nodes
from docutils.utils import column_width
from sphinx.locale import _

MAX_TEXT_COLUMN = 30
PAIR_SEPARATOR = "≒"

N = TypeVar("N", bound=nodes.Node)
Visitor = Callable[[Any, nodes.Element], None]
#: (text, role) parts of a title; role names the HTML span class suffix, "" for plain text.
Parts = tuple[tuple[str, str], ...]


class analogy_box(nodes.container):
    """A numbered analogy box; builders without their own visitor render a container."""


class analogy_title(nodes.paragraph):
    """The box's title line: label, number and the modern ≒ historical pair."""


class analogy_backrefs(nodes.paragraph):
    """The line listing where a box is referenced from."""


class analogy_table(nodes.container):
    """Placeholder for the correspondence table, replaced by a post-transform."""


class analogy_pageref(nodes.inline):
    """A page number of a LaTeX label, only inserted for LaTeX output."""


class analogy_figures(nodes.General, nodes.Element):
    """LaTeX only: a box's figure pairs as rows that may break across pages."""


#: The attribute marking the tables and lists the post-transforms make, by which they find
#: them again: a class name would match a user's own table too (``:class: analogy-table``),
#: while neither MyST nor reStructuredText lets a document set this attribute.
PART = "analogy_part"
FIGURES, TABLE, LIST = "figures", "table", "list"


def find_part(document: nodes.Node, node_class: type[N], part: str) -> list[N]:
    """The ``node_class`` nodes of ``document`` that the extension made as ``part``."""
    return [
        node
        for node in document.findall(node_class)
        if isinstance(node, nodes.Element) and node.get(PART) == part
    ]


# -- the title: composed here and nowhere else -----------------------------------


def pair_parts(modern: str, historical: str) -> Parts:
    """The pair ``modern ≒ historical`` as parts."""
    return (
        (modern or "?", "modern"),
        (" ", ""),
        (PAIR_SEPARATOR, "sep"),
        (" ", ""),
        (historical or "?", "historical"),
    )


def title_parts(prefix: str, separator: str, modern: str, historical: str) -> Parts:
    """A box's whole title: the numbered label, a separator, then the pair."""
    head: Parts = ((prefix, "number"), (separator, "")) if prefix else ()
    return head + pair_parts(modern, historical)


def plain(parts: Parts) -> str:
    return "".join(text for text, _role in parts)


def pair_title(modern: str, historical: str) -> str:
    return plain(pair_parts(modern, historical))


def title_text(node: nodes.Element) -> str:
    """The numfig caption of an analogy box: its pair."""
    return pair_title(node.get("modern", ""), node.get("historical", ""))


# -- plain docutils structures ----------------------------------------------------


def make_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Sequence[nodes.Node]]],
    classes: Sequence[str],
) -> nodes.table:
    """Build a plain docutils table; each cell holds one paragraph of the given nodes."""
    header_row = _row([[nodes.Text(header)] for header in headers])
    body_rows = [_row(cells) for cells in rows]
    table = nodes.table(classes=[*classes, "colwidths-auto"])
    tgroup = nodes.tgroup(cols=len(headers))
    table += tgroup
    # The text builder takes colwidth as characters; HTML and LaTeX size columns themselves.
    for column in range(len(headers)):
        width = max(column_width(row[column].astext()) for row in [header_row, *body_rows])
        tgroup += nodes.colspec(colwidth=min(max(width, 2), MAX_TEXT_COLUMN))
    tgroup += nodes.thead("", header_row)
    tgroup += nodes.tbody("", *body_rows)
    return table


def _row(cells: Sequence[Sequence[nodes.Node]]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        if content:
            entry += nodes.paragraph("", "", *content)
        row += entry
    return row


def _delegate(name: str) -> tuple[Visitor, Visitor]:
    """Visit and depart like the translator's handlers for the plain node ``name``."""

    def visit(self: Any, node: nodes.Element) -> None:
        getattr(self, f"visit_{name}")(node)

    def depart(self: Any, node: nodes.Element) -> None:
        getattr(self, f"depart_{name}")(node)

    return visit, depart


def _skip(self: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode


SKIP: tuple[Visitor, None] = (_skip, None)


# -- HTML (also dirhtml, singlehtml and EPUB, whose format is "html") ---------


def html_visit_box(self: Any, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "div"))


def html_depart_box(self: Any, node: nodes.Element) -> None:
    self.body.append("</div>\n")


def html_visit_title(self: Any, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "p", ""))


def html_depart_title(self: Any, node: nodes.Element) -> None:
    self.add_permalink_ref(node.parent, _("Link to this heading"))
    self.body.append("</p>\n")


# -- LaTeX (environments and macros of sangokushianalogy.sty) ----------------------


def latex_visit_box(self: Any, node: nodes.Element) -> None:
    marks = (self.config.analogy_continues_label, self.config.analogy_continued_label)
    self.body.append("\n" + r"\sangokushianalogymarks{%s}{%s}" % tuple(map(self.encode, marks)))
    self.body.append("\n" + r"\begin{sangokushianalogy}" + "\n")
    self.no_latex_floats += 1


def latex_depart_box(self: Any, node: nodes.Element) -> None:
    self.body.append(r"\end{sangokushianalogy}" + "\n")
    self.no_latex_floats -= 1


def latex_visit_title(self: Any, node: nodes.Element) -> None:
    box = node.parent
    pair = self.encode(pair_title(box.get("modern", ""), box.get("historical", "")))
    if self.config.latex_engine == "pdflatex":  # no glyph for ≒ there
        pair = pair.replace(PAIR_SEPARATOR, r"\(\fallingdotseq\)")
    prefix = self.encode(node.get("prefix", ""))
    self.body.append(r"\sangokushianalogytitle{%s}{%s}" % (prefix, pair) + "\n")
    if box["ids"]:
        # \ref (used by numref) prints \@currentlabel: make it the box's number (in a
        # macro a vertical class may set upright).
        self.body.append(
            r"\begingroup\expandafter\def\csname @currentlabel\endcsname"
            r"{\sangokushianalogynumber{%s}}%s\endgroup"
            % (self.encode(box.get("number", "")), self.hypertarget_to(box, anchor=True))
            + "\n"
        )
    raise nodes.SkipNode


def latex_visit_backrefs(self: Any, node: nodes.Element) -> None:
    self.body.append("\n" + r"\begin{sangokushianalogybackrefs}" + "\n")


def latex_depart_backrefs(self: Any, node: nodes.Element) -> None:
    self.body.append("\n" + r"\end{sangokushianalogybackrefs}" + "\n")


def latex_visit_figures(self: Any, node: nodes.Element) -> None:
    modern, historical = (self.encode(head) for head in node["headers"])
    lines = [r"\begin{sangokushianalogyfigures}{%s}{%s}" % (modern, historical)]
    lines += [
        r"\sangokushianalogyfigure{%s}{%s}" % (self.encode(left), self.encode(right))
        for left, right in node["pairs"]
    ]
    lines.append(r"\end{sangokushianalogyfigures}")
    self.body.append("\n" + "\n".join(lines) + "\n")
    raise nodes.SkipNode


def latex_visit_pageref(self: Any, node: nodes.Element) -> None:
    before, _sep, after = node["format"].partition("%s")
    ref = r"\pageref{%s}" % self.idescape(node["target"])
    self.body.append(f"{self.encode(before)}{ref}{self.encode(after)}")
    raise nodes.SkipNode


# -- Plain text ---------------------------------------------------------------


def text_visit_box(self: Any, node: nodes.Element) -> None:
    self.new_state(0)


def text_depart_box(self: Any, node: nodes.Element) -> None:
    self.end_state(wrap=False)  # the indented content opened after the title
    self.end_state(wrap=False)


def text_visit_title(self: Any, node: nodes.Element) -> None:
    """The title underlined, then the box's content indented (closed by text_depart_box)."""
    text = node.astext()
    self.new_state(0)
    self.add_text(f"{text}\n{'-' * column_width(text)}")
    self.end_state(wrap=False)
    self.new_state(3)
    raise nodes.SkipNode


OTHERS = ("man", "texinfo")

HANDLERS: dict[type[nodes.Element], dict[str, tuple[Visitor, Visitor | None]]] = {
    analogy_box: {
        "html": (html_visit_box, html_depart_box),
        "latex": (latex_visit_box, latex_depart_box),
        "text": (text_visit_box, text_depart_box),
        **{name: _delegate("container") for name in OTHERS},
    },
    analogy_title: {
        "html": (html_visit_title, html_depart_title),
        "latex": (latex_visit_title, None),
        "text": (text_visit_title, None),
        **{name: _delegate("paragraph") for name in OTHERS},
    },
    analogy_backrefs: {
        "html": _delegate("paragraph"),
        "latex": (latex_visit_backrefs, latex_depart_backrefs),
        "text": _delegate("paragraph"),
        **{name: _delegate("paragraph") for name in OTHERS},
    },
    analogy_figures: {"latex": (latex_visit_figures, None)},
    analogy_table: {name: SKIP for name in ("html", "latex", "text", *OTHERS)},
    analogy_pageref: {
        "latex": (latex_visit_pageref, None),
        **{name: SKIP for name in ("html", "text", *OTHERS)},
    },
}
