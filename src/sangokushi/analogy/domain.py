"""The ``analogy`` domain: per-document records, global numbering and cross-references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.domains import Domain, ObjType
from sphinx.roles import XRefRole
from sphinx.util import logging, url_re
from sphinx.util.nodes import clean_astext, make_refnode

from .nodes import analogy_box, analogy_table, pair_title

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

PER_DOC_KEYS = ("boxes", "refs", "includes", "tables")
REF_TYPES = {("analogy", "ref"), ("std", "numref")}
LAYOUTS = ("table", "list")
#: Config values that only change how boxes, links and tables are written, never what is read.
OUTPUT_CONFIG = (
    "numfig_format",
    "analogy_label",
    "analogy_modern_label",
    "analogy_historical_label",
    "analogy_backref_label",
    "analogy_table_number_label",
    "analogy_table_figures_label",
    "analogy_table_defined_label",
    "analogy_table_referenced_label",
    "analogy_table_layout",
    "analogy_continues_label",
    "analogy_continued_label",
    "analogy_title_separator",
    "analogy_label_separator",
    "analogy_list_separator",
    "analogy_figure_separator",
    "analogy_page_format",
    "analogy_table_page_format",
)


class Place(NamedTuple):
    """A linkable section of a document; ``section`` is "" outside any section."""

    docname: str
    section: str
    title: str


class Box(NamedTuple):
    """One analogy box as read from its document."""

    id: str
    lineno: int | None
    anchor: str
    modern: str
    historical: str
    figures: tuple[tuple[str, str], ...]
    place: Place

    @property
    def docname(self) -> str:
        return self.place.docname


class Ref(NamedTuple):
    """One ``{analogy}`` or ``{numref}`` use; ``target`` may name no box at all."""

    target: str
    lineno: int
    place: Place
    numref: bool


class Include(NamedTuple):
    """A toctree entry of a document, after its first ``position`` boxes."""

    position: int
    docname: str


class AnalogyIndex(NamedTuple):
    """Global data computed once after all documents are read."""

    boxes: tuple[Box, ...]
    by_id: dict[str, Box]
    numbers: dict[str, str]
    referrers: dict[str, tuple[Place, ...]]
    duplicates: tuple[tuple[Box, Box], ...]


class AnalogyRole(XRefRole):
    """``{analogy}`id``` and ``{analogy}`text <id>```: a link showing the historical name."""

    innernodeclass = nodes.inline

    def __init__(self) -> None:
        super().__init__(lowercase=True, warn_dangling=True)

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        self.refdomain, self.reftype = "analogy", "ref"
        self.classes = ["xref", "analogy"]
        if self.disabled:
            return self.create_non_xref_node()
        return self.create_xref_node()


def place_of(node: nodes.Element, docname: str) -> Place:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    if parent is None or not parent["ids"]:
        return Place(docname, "", "")
    return Place(docname, parent["ids"][0], clean_astext(cast(nodes.Element, parent[0])))


def _is_recorded(node: nodes.Node) -> bool:
    return isinstance(node, (analogy_box, analogy_table, addnodes.toctree)) or (
        isinstance(node, addnodes.pending_xref)
        and (node.get("refdomain"), node.get("reftype")) in REF_TYPES
    )


class AnalogyDomain(Domain):
    """Analogy boxes, their references and the correspondence table."""

    name = "analogy"
    label = "Analogy"
    object_types = {"analogy": ObjType("analogy", "ref")}  # noqa: RUF012
    roles = {"ref": AnalogyRole()}  # noqa: RUF012
    dangling_warnings = {  # noqa: RUF012
        "ref": "unknown analogy id %(target)r",
        "section": "unknown section %(target)r",
    }
    initial_data: dict[str, Any] = {  # noqa: RUF012
        "boxes": {},  # docname -> tuple[Box, ...] in document order
        "refs": {},  # docname -> tuple[Ref, ...] in document order
        "includes": {},  # docname -> tuple[Include, ...]
        "tables": {},  # docname -> tuple[int, ...]: lines of analogy-table directives
        "index": None,  # AnalogyIndex of the last build, see refresh()
        "output_config": None,  # OUTPUT_CONFIG values the last build wrote with
        "table_docs": frozenset(),  # documents with a table at the last build, see refresh()
        "layout": "table",  # "table" or "list", for this run's builder: see on_builder_inited
    }
    data_version = 3

    @property
    def table_layout(self) -> str:
        """The correspondence table's layout for this run's builder: "table" or "list"."""
        return cast(str, self.data.get("layout", "table"))

    # -- per-document data ---------------------------------------------------

    def clear_doc(self, docname: str) -> None:
        for key in PER_DOC_KEYS:
            self.data[key].pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in PER_DOC_KEYS:
            ours, theirs = self.data[key], otherdata[key]
            for docname in docnames:
                if docname in theirs:
                    ours[docname] = theirs[docname]

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        boxes: list[Box] = []
        refs: list[Ref] = []
        includes: list[Include] = []
        tables: list[int] = []
        for node in document.findall(_is_recorded):
            assert isinstance(node, nodes.Element)
            if isinstance(node, analogy_box):
                if node["analogy_id"]:
                    boxes.append(self._record_box(docname, node))
            elif isinstance(node, analogy_table):
                tables.append(node.line or 0)
            elif isinstance(node, addnodes.toctree):
                includes.extend(
                    Include(len(boxes), ref)
                    for _title, ref in node["entries"]
                    if ref != "self" and not url_re.match(ref)
                )
            else:
                numref = node["refdomain"] == "std"
                refs.append(Ref(node["reftarget"], node.line or 0, place_of(node, docname), numref))
        for key, values in (
            ("boxes", boxes),
            ("refs", refs),
            ("includes", includes),
            ("tables", tables),
        ):
            if values:
                self.data[key][docname] = tuple(values)

    def _record_box(self, docname: str, node: nodes.Element) -> Box:
        box = Box(
            id=node["analogy_id"],
            lineno=node.line,
            anchor=node["ids"][0] if node["ids"] else "",
            modern=node["modern"],
            historical=node["historical"],
            figures=tuple(tuple(pair) for pair in node["figures"]),  # type: ignore[misc]
            place=place_of(node, docname),
        )
        return box

    # -- global data ---------------------------------------------------------

    @property
    def index(self) -> AnalogyIndex:
        if self.data["index"] is None:
            self.data["index"] = self._build_index()
        return cast(AnalogyIndex, self.data["index"])

    def _reading_order(self) -> tuple[list[str], list[Box]]:
        """Documents and boxes in reading order: toctrees from the root, then orphans."""
        all_docs = self.env.all_docs
        boxes: Mapping[str, tuple[Box, ...]] = self.data["boxes"]
        includes: Mapping[str, tuple[Include, ...]] = self.data["includes"]
        docs: list[str] = []
        ordered: list[Box] = []
        seen: set[str] = set()

        def walk(docname: str) -> None:
            if docname in seen or docname not in all_docs:
                return
            seen.add(docname)
            docs.append(docname)
            own = boxes.get(docname, ())
            start = 0
            for include in includes.get(docname, ()):
                ordered.extend(own[start : include.position])
                start = max(start, include.position)
                walk(include.docname)
            ordered.extend(own[start:])

        walk(self.env.config.root_doc)
        for docname in sorted(all_docs):
            walk(docname)
        return docs, ordered

    def _build_index(self) -> AnalogyIndex:
        docs, ordered = self._reading_order()
        by_id: dict[str, Box] = {}
        duplicates: list[tuple[Box, Box]] = []
        for box in ordered:
            if box.id in by_id:
                duplicates.append((box, by_id[box.id]))
            else:
                by_id[box.id] = box
        canonical = tuple(by_id.values())

        numbers: dict[str, str] = {}
        if self.env.config.numfig:
            for box in canonical:
                fignumbers = self.env.toc_fignumbers.get(box.docname, {}).get("analogy", {})
                number = fignumbers.get(box.anchor) if box.anchor else None
                numbers[box.id] = ".".join(map(str, number)) if number else ""
        else:
            numbers = {box.id: str(position) for position, box in enumerate(canonical, 1)}

        referrers: dict[str, list[Place]] = {}
        refs: Mapping[str, tuple[Ref, ...]] = self.data["refs"]
        for docname in docs:
            for ref in refs.get(docname, ()):
                if ref.target in by_id:
                    places = referrers.setdefault(ref.target, [])
                    if ref.place not in places:
                        places.append(ref.place)
        return AnalogyIndex(
            boxes=canonical,
            by_id=by_id,
            numbers=numbers,
            referrers={key: tuple(places) for key, places in referrers.items()},
            duplicates=tuple(duplicates),
        )

    def refresh(self) -> set[str]:
        """Recompute the global data after reading; return documents to rewrite.

        Everything a box shows of other documents (numbers, titles, links, back-references,
        the table) is written by post-transforms from this data, so no document is re-read
        for another one's sake: documents whose output changes are only rewritten.
        """
        old: AnalogyIndex | None = self.data["index"]
        new = self.data["index"] = self._build_index()
        self._register_labels(new)
        self._warn(new)

        def views(index: AnalogyIndex | None, tables: Set[str]) -> dict[str, tuple[Any, ...]]:
            # What a box shows: its referrers, less the documents with a table (as transforms do).
            if index is None:
                return {}
            return {
                key: (
                    box._replace(lineno=0),
                    index.numbers[key],
                    tuple(p for p in index.referrers.get(key, ()) if p.docname not in tables),
                )
                for key, box in index.by_id.items()
            }

        table_docs = frozenset(doc for doc, lines in self.data["tables"].items() if lines)
        old_views = views(old, self.data["table_docs"])
        new_views = views(new, table_docs)
        self.data["table_docs"] = table_docs
        changed = {
            key
            for key in old_views.keys() | new_views.keys()
            if old_views.get(key) != new_views.get(key)
        }
        rewrite = {
            views_[key][0].docname
            for key in changed
            for views_ in (old_views, new_views)
            if key in views_
        }
        rewrite |= self._docs_referring_to(changed)
        if changed or old is None or tuple(old.by_id) != tuple(new.by_id):
            rewrite |= set(self.data["tables"])
        output_config = output_values(self.env.config)
        if self.data["output_config"] != output_config:
            self.data["output_config"] = output_config
            for key in ("boxes", "refs", "tables"):
                rewrite |= set(self.data[key])
        return rewrite & self.env.all_docs.keys()

    def _register_labels(self, index: AnalogyIndex) -> None:
        """Make each box id a standard label of its first box, so {numref} and {ref} reach it.

        Done after every read, not per document: when the first of two boxes with one id goes,
        the label must move to the other one, whose document is not read again.
        """
        std = self.env.domains.standard_domain
        ours = {(box.docname, box.anchor) for box, _first in index.duplicates}
        ours.update((box.docname, box.anchor) for box in index.boxes)
        for box in index.boxes:
            current = std.anonlabels.get(box.id)
            if box.anchor and (current is None or current in ours):
                std.anonlabels[box.id] = box.docname, box.anchor
                std.labels[box.id] = box.docname, box.anchor, pair_title(box.modern, box.historical)

    def _warn(self, index: AnalogyIndex) -> None:
        for duplicate, first in index.duplicates:
            logger.warning(
                "duplicate analogy id %r, also defined at %s:%s",
                duplicate.id,
                self.env.doc2path(first.docname, False),
                first.lineno,
                location=(duplicate.docname, duplicate.lineno),
                type="analogy",
                subtype="duplicate",
            )
        ours = {(box.docname, box.anchor) for box, _first in index.duplicates}
        ours.update((box.docname, box.anchor) for box in index.boxes)
        std = self.env.domains.standard_domain
        for box in index.boxes:
            label = std.anonlabels.get(box.id)
            if box.anchor and label is not None and label not in ours:
                logger.warning(
                    "analogy id %r is also a label in %s; {numref} and {ref} reach that label",
                    box.id,
                    self.env.doc2path(label[0], False),
                    location=(box.docname, box.lineno),
                    type="analogy",
                    subtype="id",
                )

    def _docs_referring_to(self, ids: Set[str]) -> set[str]:
        refs: Mapping[str, tuple[Ref, ...]] = self.data["refs"]
        return {docname for docname, own in refs.items() if any(ref.target in ids for ref in own)}

    # -- cross-references ----------------------------------------------------

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: addnodes.pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        if typ == "ref":
            box = self.index.by_id.get(target)
            if box is None:
                return None
            if not node.get("refexplicit"):
                contnode = nodes.inline(
                    "", box.historical or box.id, classes=contnode.get("classes", [])
                )
            return make_refnode(
                builder, fromdocname, box.docname, box.anchor or None, contnode, self.tooltip(box)
            )
        if typ == "section":
            docname, _sep, section = target.partition("#")
            if docname not in env.all_docs:
                return None
            return make_refnode(builder, fromdocname, docname, section or None, contnode)
        return None

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: addnodes.pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        refnode = self.resolve_xref(env, fromdocname, builder, "ref", target, node, contnode)
        return [] if refnode is None else [("analogy:ref", refnode)]

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for box in self.index.boxes:
            yield (
                box.id,
                pair_title(box.modern, box.historical),
                "analogy",
                box.docname,
                box.anchor,
                1,
            )

    def prefix(self, box_id: str) -> str:
        """The numbered label of a box ("Analogy 3"), as {numref} writes it."""
        return box_prefix(self.env.config, self.index.numbers.get(box_id, ""))

    def tooltip(self, box: Box) -> str:
        separator = self.env.config.analogy_label_separator
        return f"{self.prefix(box.id)}{separator}{pair_title(box.modern, box.historical)}"

    def place_title(self, place: Place) -> str:
        """The section title of ``place``, or its document's title outside sections."""
        if place.title:
            return place.title
        title = self.env.titles.get(place.docname)
        return clean_astext(title) if title is not None else place.docname


def box_prefix(config: Config, number: str) -> str:
    """The numbered label of a box; the bare label when it has no number."""
    if not number:
        return config.analogy_label
    return config.numfig_format["analogy"] % number


def output_values(config: Config) -> tuple[Any, ...]:
    return tuple(repr(config[name]) for name in OUTPUT_CONFIG)


def get_domain(env: BuildEnvironment) -> AnalogyDomain:
    return cast(AnalogyDomain, env.domains["analogy"])


def on_builder_inited(app: Sphinx) -> None:
    """Pick the table layout of this builder: one for all, or a mapping of builder names."""
    layout = app.config.analogy_table_layout
    if isinstance(layout, dict):
        layout = layout.get(app.builder.name, "table")
    if layout not in LAYOUTS:
        logger.warning(
            "analogy_table_layout: unknown layout %r (use %s)",
            layout,
            " or ".join(map(repr, LAYOUTS)),
            type="analogy",
            subtype="config",
        )
        layout = "table"
    # Domain data, not the domain object: set again at every run, so an old value never counts.
    get_domain(app.env).data["layout"] = layout


def on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    return sorted(get_domain(env).refresh())
