"""Post-transforms: box titles and back-references, the correspondence table, output polish."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from .domain import AnalogyIndex, Box, Place, get_domain
from .nodes import analogy_box, analogy_pageref, analogy_table, analogy_title, make_table

PAGE_ATTR = "analogy_page"  # LaTeX label whose page number follows the link


def _joined(items: Iterable[list[nodes.Node]], separator: str = ", ") -> list[nodes.Node]:
    result: list[nodes.Node] = []
    for item in items:
        if result:
            result.append(nodes.Text(separator))
        result.extend(item)
    return result


def _figures_text(box: Box) -> str:
    return "; ".join(f"{modern} = {historical}" for modern, historical in box.figures)


def _page_label(place: Place) -> str:
    return f"{place.docname}:{place.section}" if place.section else f"{place.docname}::doc"


class AnalogyTransform(SphinxPostTransform):
    """Number and title the boxes, list their referrers and build correspondence tables.

    Runs before ReferencesResolver (priority 10), which resolves the links made here.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        domain = get_domain(self.env)
        index = domain.index
        for box in list(self.document.findall(analogy_box)):
            self.fill_box(box, index)
        for placeholder in list(self.document.findall(analogy_table)):
            placeholder.replace_self(self.table(placeholder, index))

    def fill_box(self, box: analogy_box, index: AnalogyIndex) -> None:
        record = index.by_id.get(box["analogy_id"])
        if record is not None and (record.docname, record.lineno) != (box["docname"], box.line):
            record = None  # a duplicate: no number, no back-references
        number = index.numbers.get(record.id, "") if record is not None else ""
        prefix = " ".join(filter(None, (self.config.analogy_label, number)))
        box["number"] = number
        title = box[0]
        assert isinstance(title, analogy_title)
        title["prefix"] = prefix
        del title[:]
        title += nodes.Text(f"{prefix} {box['modern'] or '?'} ≒ {box['historical'] or '?'}")
        places = index.referrers.get(record.id, ()) if record is not None else ()
        if places:
            backrefs = nodes.paragraph("", "", classes=["analogy-backrefs"])
            backrefs += nodes.Text(f"{self.config.analogy_backref_label}: ")
            backrefs += _joined(self.place_link(place, box["docname"]) for place in places)
            box += backrefs

    def place_link(self, place: Place, refdoc: str) -> list[nodes.Node]:
        text = get_domain(self.env).place_title(place)
        xref = addnodes.pending_xref(
            "",
            nodes.inline("", text),
            refdomain="analogy",
            reftype="section",
            reftarget=f"{place.docname}#{place.section}",
            refexplicit=True,
            refwarn=False,
            refdoc=refdoc,
        )
        xref[PAGE_ATTR] = _page_label(place)
        return [xref]

    def box_link(self, box: Box, refdoc: str) -> list[nodes.Node]:
        text = get_domain(self.env).place_title(box.place)
        xref = addnodes.pending_xref(
            "",
            nodes.inline("", text),
            refdomain="analogy",
            reftype="ref",
            reftarget=box.id,
            refexplicit=True,
            refwarn=True,
            refdoc=refdoc,
        )
        if box.anchor:
            xref[PAGE_ATTR] = f"{box.docname}:{box.anchor}"
        return [xref]

    def table(self, placeholder: analogy_table, index: AnalogyIndex) -> list[nodes.Node]:
        if not index.boxes:
            return []
        config = self.config
        refdoc = placeholder["docname"]
        headers = [
            config.analogy_table_number_label,
            config.analogy_modern_label,
            config.analogy_historical_label,
            config.analogy_table_figures_label,
            config.analogy_table_defined_label,
            config.analogy_table_referenced_label,
        ]
        rows = [
            [
                [nodes.Text(index.numbers.get(box.id, ""))],
                [nodes.Text(box.modern)],
                [nodes.Text(box.historical)],
                [nodes.Text(figures)] if (figures := _figures_text(box)) else [],
                self.box_link(box, refdoc),
                _joined(
                    self.place_link(place, refdoc) for place in index.referrers.get(box.id, ())
                ),
            ]
            for box in index.boxes
        ]
        table = make_table(headers, rows, placeholder["classes"])
        table.source, table.line = placeholder.source, placeholder.line
        return [table]


LATEX_SHARES = (4, 15, 10, 20, 25, 26)


def fix_column_shares(table: nodes.table) -> None:
    """LaTeX cannot fit columns to their content: fixed shares, and the table may break pages."""
    table["classes"] = [c for c in table["classes"] if c != "colwidths-auto"]
    table["classes"] += ["colwidths-given", "longtable"]
    for colspec, share in zip(table.findall(nodes.colspec), LATEX_SHARES, strict=True):
        colspec["colwidth"] = share
    # Narrow cells read better ragged-right and unhyphenated; the group ends after the table.
    ragged = r"\begingroup\hyphenpenalty=10000\def\sphinxAtStartPar{\raggedright}"
    table.parent.insert(table.parent.index(table), nodes.raw("", ragged, format="latex"))
    table.parent.insert(table.parent.index(table) + 1, nodes.raw("", r"\endgroup", format="latex"))


class AnalogyHTMLTransform(SphinxPostTransform):
    """HTML only: wrap the parts of box titles in spans for styling."""

    default_priority = 6
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for title in self.document.findall(analogy_title):
            box = title.parent
            del title[:]
            title += [
                nodes.inline("", title.get("prefix", ""), classes=["analogy-number"]),
                nodes.Text(" "),
                nodes.inline("", box["modern"] or "?", classes=["analogy-modern"]),
                nodes.Text(" "),
                nodes.inline("", "≒", classes=["analogy-sep"]),
                nodes.Text(" "),
                nodes.inline("", box["historical"] or "?", classes=["analogy-historical"]),
            ]


class AnalogyLaTeXTransform(SphinxPostTransform):
    """LaTeX only: follow links of back-references and the table with page numbers."""

    default_priority = 6
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        dropped = self.title_labels()
        for xref in list(self.document.findall(addnodes.pending_xref)):
            target = xref.get(PAGE_ATTR)
            if not target:
                continue
            if target in dropped:
                docname = target.rsplit(":", 1)[0]
                target = f"{docname}::doc"
                if xref["reftype"] == "section":
                    xref["reftarget"] = f"{docname}#"
            page = analogy_pageref("", target=target, label=self.config.analogy_page_label)
            xref.parent.insert(xref.parent.index(xref) + 1, page)
        for table in list(self.document.findall(nodes.table)):
            if "analogy-table" in table["classes"]:
                fix_column_shares(table)

    def title_labels(self) -> set[str]:
        """Labels of the first section: LaTeX makes its title the document's, with no label."""
        section = next(self.document.findall(nodes.section), None)
        if section is None:
            return set()
        docname = self.env.current_document.docname
        parent = section.parent
        while parent is not None:
            if isinstance(parent, addnodes.start_of_file):
                docname = parent["docname"]
                break
            parent = parent.parent
        return {f"{docname}:{section_id}" for section_id in section["ids"]}
