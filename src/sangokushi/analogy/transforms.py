"""Post-transforms: box titles, figures and back-references, the correspondence table, polish."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from sangokushi.tables import label_cells

from .domain import AnalogyIndex, Box, Place, get_domain, place_of
from .latextable import in_table, set_table
from .nodes import (
    FIGURES,
    LIST,
    PAIR_SEPARATOR,
    PART,
    TABLE,
    analogy_backrefs,
    analogy_box,
    analogy_figures,
    analogy_pageref,
    analogy_table,
    analogy_title,
    find_part,
    make_table,
    plain,
    title_parts,
)

PAGE_ATTR = "analogy_page"  # LaTeX label whose page number follows the link


def _joined(items: Iterable[list[nodes.Node]], separator: str) -> list[nodes.Node]:
    result: list[nodes.Node] = []
    for item in items:
        if result:
            result.append(nodes.Text(separator))
        result.extend(item)
    return result


def _page_label(place: Place) -> str:
    # Sphinx's LaTeX labels, "docname:id" and "docname::doc" (LaTeXTranslator.hypertarget,
    # visit_start_of_file): no public API gives the label of a document's id.
    return f"{place.docname}:{place.section}" if place.section else f"{place.docname}::doc"


class AnalogyTransform(SphinxPostTransform):
    """Number and title the boxes, add their figures and referrers, build the tables.

    Runs before ReferencesResolver (priority 10), which resolves the links made here.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        index = get_domain(self.env).index
        for box in list(self.document.findall(analogy_box)):
            self.fill_box(box, index)
        for placeholder in list(self.document.findall(analogy_table)):
            placeholder.replace_self(self.table(placeholder, index))

    def fill_box(self, box: analogy_box, index: AnalogyIndex) -> None:
        config = self.config
        record = index.by_id.get(box["analogy_id"])
        if record is not None and (record.docname, record.lineno) != (box["docname"], box.line):
            record = None  # a duplicate: no number, no back-references
        number = index.numbers.get(record.id, "") if record is not None else ""
        box["number"] = number
        title = box[0]
        assert isinstance(title, analogy_title)
        title["prefix"] = get_domain(self.env).prefix(record.id) if record else config.analogy_label
        del title[:]
        parts = title_parts(
            title["prefix"], config.analogy_title_separator, box["modern"], box["historical"]
        )
        title += nodes.Text(plain(parts))
        if box["figures"]:
            table = make_table(
                [config.analogy_modern_label, config.analogy_historical_label],
                (
                    [[nodes.Text(modern)], [nodes.Text(historical)]]
                    for modern, historical in box["figures"]
                ),
                ["analogy-figures"],
            )
            table[PART] = FIGURES
            box.insert(1, table)
        places = index.referrers.get(record.id, ()) if record is not None else ()
        # The correspondence table's pages list every box: they are not where a box is used.
        tables = get_domain(self.env).data["tables"]
        places = tuple(place for place in places if not tables.get(place.docname))
        if places:
            backrefs = analogy_backrefs("", "", classes=["analogy-backrefs"])
            backrefs += nodes.Text(
                f"{config.analogy_backref_label}{config.analogy_label_separator}"
            )
            backrefs += _joined(
                (self.place_link(place, box["docname"]) for place in places),
                config.analogy_list_separator,
            )
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

    def figures_text(self, box: Box) -> str:
        config = self.config
        return config.analogy_list_separator.join(
            f"{modern}{config.analogy_figure_separator}{historical}"
            for modern, historical in box.figures
        )

    def table(self, placeholder: analogy_table, index: AnalogyIndex) -> list[nodes.Node]:
        if not index.boxes:
            return []
        refdoc = placeholder["docname"]
        here = place_of(placeholder, refdoc)

        def referrers(box: Box) -> list[nodes.Node]:
            # A table's document refers to every box it lists: not a referrer worth a row.
            tables = get_domain(self.env).data["tables"]
            places = (
                place
                for place in index.referrers.get(box.id, ())
                if place != here and not tables.get(place.docname)
            )
            return _joined(
                (self.place_link(place, refdoc) for place in places),
                self.config.analogy_list_separator,
            )

        if get_domain(self.env).table_layout == "list":
            result: nodes.Element = self.as_list(index, refdoc, referrers)
        else:
            result = self.as_table(index, refdoc, referrers)
        result["classes"] = [*placeholder["classes"], *result["classes"]]
        result.source, result.line = placeholder.source, placeholder.line
        return [result]

    def as_table(self, index: AnalogyIndex, refdoc: str, referrers: Any) -> nodes.table:
        config = self.config
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
                [nodes.Text(figures)] if (figures := self.figures_text(box)) else [],
                self.box_link(box, refdoc),
                referrers(box),
            ]
            for box in index.boxes
        ]
        table = make_table(headers, rows, [])
        table[PART] = TABLE
        return table

    def as_list(self, index: AnalogyIndex, refdoc: str, referrers: Any) -> nodes.definition_list:
        """One entry per box: its title, then figures, where defined and where referenced."""
        config = self.config
        domain = get_domain(self.env)
        result = nodes.definition_list(classes=["analogy-list"])
        result[PART] = LIST
        for box in index.boxes:
            parts = title_parts(
                domain.prefix(box.id), config.analogy_title_separator, box.modern, box.historical
            )
            details = nodes.definition()
            for label, content in (
                (config.analogy_table_figures_label, [nodes.Text(self.figures_text(box))]),
                (config.analogy_table_defined_label, self.box_link(box, refdoc)),
                (config.analogy_table_referenced_label, referrers(box)),
            ):
                if content and content[0].astext():
                    line = nodes.paragraph("", f"{label}{config.analogy_label_separator}")
                    line += content
                    details += line
            result += nodes.definition_list_item(
                "", nodes.term("", plain(parts)), details, classes=["analogy-entry"]
            )
        return result


class AnalogyHTMLTransform(SphinxPostTransform):
    """HTML only: wrap the parts of box titles in spans for styling."""

    default_priority = 6
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for title in self.document.findall(analogy_title):
            box = title.parent
            del title[:]
            parts = title_parts(
                title.get("prefix", ""),
                self.config.analogy_title_separator,
                box["modern"],
                box["historical"],
            )
            title += [
                nodes.inline("", text, classes=[f"analogy-{role}"]) if role else nodes.Text(text)
                for text, role in parts
            ]
        for listing in find_part(self.document, nodes.definition_list, LIST):
            for term in list(listing.findall(nodes.term)):
                separate_pair(term)
        for table in find_part(self.document, nodes.table, TABLE):
            label_cells(table, self.config.analogy_label_separator, "analogy-cell-label")


def separate_pair(term: nodes.Element) -> None:
    """Put the ≒ of a list entry's title in a span, upright in vertical writing like a box's."""
    for text in list(term.findall(nodes.Text)):
        if PAIR_SEPARATOR in text:
            before, _sep, after = text.partition(PAIR_SEPARATOR)
            sep = nodes.inline("", PAIR_SEPARATOR, classes=["analogy-sep"])
            text.parent.replace(text, [nodes.Text(before), sep, nodes.Text(after)])


class AnalogyLaTeXTransform(SphinxPostTransform):
    """LaTeX only: page numbers after links, figures as breakable rows, table shares."""

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
            # "title（Nページ）" stays on one line: lines break between places, after 「、」.
            # In the table's narrow cells a title may break and its page has a line of its own.
            cell = in_table(xref)
            page_format = self.config[
                "analogy_table_page_format" if cell else "analogy_page_format"
            ]
            page = analogy_pageref("", target=target, format=page_format)
            parent, position = xref.parent, xref.parent.index(xref)
            parent.insert(position + 1, nodes.raw("", "}{" if cell else "", format="latex"))
            parent.insert(position + 2, page)
            parent.insert(position + 3, nodes.raw("", "}", format="latex"))
            macro = r"\sangokushianalogycellplace{" if cell else r"\sangokushianalogyplace{"
            parent.insert(position, nodes.raw("", macro, format="latex"))
        for table in find_part(self.document, nodes.table, FIGURES):
            box = table.parent
            headers = [self.config.analogy_modern_label, self.config.analogy_historical_label]
            table.replace_self(analogy_figures("", pairs=box["figures"], headers=headers))
        for table in find_part(self.document, nodes.table, TABLE):
            set_table(
                table, self.config.analogy_list_separator, self.config.analogy_table_page_format
            )
        listings = find_part(self.document, nodes.definition_list, LIST)
        for listing in listings:
            # The environment sets the list as a book's appendix list, not a manual's.
            parent, position = listing.parent, listing.parent.index(listing)
            parent.insert(
                position + 1, nodes.raw("", r"\end{sangokushianalogylist}", format="latex")
            )
            parent.insert(position, nodes.raw("", r"\begin{sangokushianalogylist}", format="latex"))
        if self.config.latex_engine == "pdflatex":  # no glyph for ≒ there
            for term in [term for listing in listings for term in listing.findall(nodes.term)]:
                for text in list(term.findall(nodes.Text)):
                    if PAIR_SEPARATOR in text:
                        before, _sep, after = text.partition(PAIR_SEPARATOR)
                        text.parent.replace(
                            text,
                            [
                                nodes.Text(before),
                                nodes.math("", r"\fallingdotseq"),
                                nodes.Text(after),
                            ],
                        )

    def title_labels(self) -> set[str]:
        """Labels of the first section: LaTeX makes its title the document's, with no label.

        Sphinx's LaTeX writer drops them (no public API says which); these follow it.
        """
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
