"""Doctree nodes of analogy boxes, a table helper and the nodes' translator visitors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from docutils import nodes
from docutils.utils import column_width
from sphinx.locale import _

MAX_TEXT_COLUMN = 30

Visitor = Callable[[Any, nodes.Element], None]


class analogy_box(nodes.container):
    """A numbered analogy box; builders without their own visitor render a container."""


class analogy_title(nodes.paragraph):
    """The box's title line: label, number and the modern ≒ historical pair."""


class analogy_table(nodes.container):
    """Placeholder for the correspondence table, replaced by a post-transform."""


class analogy_pageref(nodes.inline):
    """A page number of a LaTeX label, only inserted for LaTeX output."""


def title_text(node: nodes.Element) -> str:
    """Return the pair ``modern ≒ historical`` of an analogy box (its numfig caption)."""
    return f"{node.get('modern') or '?'} ≒ {node.get('historical') or '?'}"


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


# -- LaTeX --------------------------------------------------------------------


def latex_visit_box(self: Any, node: nodes.Element) -> None:
    self.body.append("\n" + r"\begin{sphinxadmonition}{note}")
    self.no_latex_floats += 1


def latex_depart_box(self: Any, node: nodes.Element) -> None:
    self.body.append(r"\end{sphinxadmonition}" + "\n")
    self.no_latex_floats -= 1


def latex_visit_title(self: Any, node: nodes.Element) -> None:
    box = node.parent
    # pdflatex has no glyph for ≒; Unicode engines (and pLaTeX) take the character as is.
    sep = r"\(\fallingdotseq\)" if self.config.latex_engine == "pdflatex" else "≒"
    modern, historical = (self.encode(box.get(key) or "?") for key in ("modern", "historical"))
    prefix = self.encode(node.get("prefix") or "")
    self.body.append(f"{{{prefix} {modern} {sep} {historical}}}\n")
    if box["ids"]:
        # \ref (used by numref) prints \@currentlabel: make it the box's number.
        self.body.append(
            r"\begingroup\expandafter\def\csname @currentlabel\endcsname{%s}%s\endgroup"
            % (self.encode(box.get("number", "")), self.hypertarget_to(box, anchor=True))
            + "\n"
        )
    raise nodes.SkipNode


def latex_visit_pageref(self: Any, node: nodes.Element) -> None:
    self.body.append(
        r"~(%s~\pageref{%s})" % (self.encode(node["label"]), self.idescape(node["target"]))
    )
    raise nodes.SkipNode


# -- Plain text ---------------------------------------------------------------


def text_visit_box(self: Any, node: nodes.Element) -> None:
    self.new_state(0)


def text_depart_box(self: Any, node: nodes.Element) -> None:
    self.end_state(wrap=False)  # the indented content opened after the title
    self.end_state(wrap=False)


def text_visit_title(self: Any, node: nodes.Element) -> None:
    self.new_state(0)


def text_depart_title(self: Any, node: nodes.Element) -> None:
    text = "".join(item for indent, item in self.states.pop() if indent == -1)
    self.stateindent.pop()
    self.states[-1].append((0, [text, "-" * column_width(text), ""]))
    self.new_state(3)


HANDLERS: dict[type[nodes.Element], dict[str, tuple[Visitor, Visitor | None]]] = {
    analogy_box: {
        "html": (html_visit_box, html_depart_box),
        "latex": (latex_visit_box, latex_depart_box),
        "text": (text_visit_box, text_depart_box),
        "man": _delegate("container"),
        "texinfo": _delegate("container"),
    },
    analogy_title: {
        "html": (html_visit_title, html_depart_title),
        "latex": (latex_visit_title, None),
        "text": (text_visit_title, text_depart_title),
        "man": _delegate("paragraph"),
        "texinfo": _delegate("paragraph"),
    },
    analogy_table: {name: SKIP for name in ("html", "latex", "text", "man", "texinfo")},
    analogy_pageref: {
        "html": SKIP,
        "latex": (latex_visit_pageref, None),
        "text": SKIP,
        "man": SKIP,
        "texinfo": SKIP,
    },
}
