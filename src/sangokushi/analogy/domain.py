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

from .nodes import analogy_box, analogy_table, title_text

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

PER_DOC_KEYS = ("boxes", "refs", "includes", "tables")
REF_TYPES = {("analogy", "ref"), ("std", "numref")}


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


def _place(node: nodes.Element, docname: str) -> Place:
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
    }
    data_version = 1

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
                    boxes.append(self._record_box(env, docname, node))
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
                refs.append(Ref(node["reftarget"], node.line or 0, _place(node, docname), numref))
        for key, values in (
            ("boxes", boxes),
            ("refs", refs),
            ("includes", includes),
            ("tables", tables),
        ):
            if values:
                self.data[key][docname] = tuple(values)

    def _record_box(self, env: BuildEnvironment, docname: str, node: nodes.Element) -> Box:
        box = Box(
            id=node["analogy_id"],
            lineno=node.line,
            anchor=node["ids"][0] if node["ids"] else "",
            modern=node["modern"],
            historical=node["historical"],
            figures=tuple(tuple(pair) for pair in node["figures"]),  # type: ignore[misc]
            place=_place(node, docname),
        )
        # The id is a standard label too, so {numref} and {ref} reach the box.
        std = env.domains.standard_domain
        if box.anchor and box.id not in std.anonlabels:
            std.anonlabels[box.id] = docname, box.anchor
            std.labels[box.id] = docname, box.anchor, title_text(node)
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
        """Recompute the global data after reading; return documents to rewrite."""
        old: AnalogyIndex | None = self.data["index"]
        new = self.data["index"] = self._build_index()
        self._warn(new)

        def views(index: AnalogyIndex | None) -> dict[str, tuple[Any, ...]]:
            if index is None:
                return {}
            return {
                key: (box._replace(lineno=0), index.numbers[key], index.referrers.get(key, ()))
                for key, box in index.by_id.items()
            }

        old_views, new_views = views(old), views(new)
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
        return rewrite & self.env.all_docs.keys()

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

    def outdated(self, changed: Set[str], removed: Set[str], added: Set[str]) -> set[str]:
        """Documents to re-read because boxes or references in ``changed``/``removed`` change."""
        touched = changed | removed
        boxes: Mapping[str, tuple[Box, ...]] = self.data["boxes"]
        refs: Mapping[str, tuple[Ref, ...]] = self.data["refs"]
        old_ids = {box.id for docname in touched for box in boxes.get(docname, ())}
        old_targets = {ref.target for docname in touched for ref in refs.get(docname, ())}
        result = self._docs_referring_to(old_ids)
        result.update(
            docname for docname, own in boxes.items() if any(b.id in old_targets for b in own)
        )
        if added:
            known = {box.id for own in boxes.values() for box in own}
            result |= {
                docname
                for docname, own in refs.items()
                if any(not ref.numref and ref.target not in known for ref in own)
            }
        if added or any(docname in boxes or docname in refs for docname in touched):
            result |= set(self.data["tables"])
        return result - touched

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
            yield box.id, f"{box.modern} ≒ {box.historical}", "analogy", box.docname, box.anchor, 1

    def tooltip(self, box: Box) -> str:
        number = self.index.numbers.get(box.id, "")
        label = " ".join(filter(None, (self.env.config.analogy_label, number)))
        return f"{label}: {box.modern} ≒ {box.historical}"

    def place_title(self, place: Place) -> str:
        """The section title of ``place``, or its document's title outside sections."""
        if place.title:
            return place.title
        title = self.env.titles.get(place.docname)
        return clean_astext(title) if title is not None else place.docname


def get_domain(env: BuildEnvironment) -> AnalogyDomain:
    return cast(AnalogyDomain, env.domains["analogy"])


def on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    return sorted(get_domain(env).outdated(changed, removed, added))


def on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    return sorted(get_domain(env).refresh())
