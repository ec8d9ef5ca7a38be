"""Figure numbers assigned again only when a document's figures or sections could move them."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector

# Where each document's outline is kept in the environment, from its last reading.
OUTLINES = "sangokushi_figure_outlines"

Outline = tuple[tuple[str, ...], ...]


def outlines(env: BuildEnvironment) -> dict[str, Outline]:
    """Each document's outline (``outline``) as it was last read, kept in the environment."""
    return env.__dict__.setdefault(OUTLINES, {})


def figure_type(env: BuildEnvironment, node: nodes.Element) -> str | None:
    """The kind of number ``node`` takes, as Sphinx's toctree collector tells it (an
    uncaptioned figure, table or code block takes none)."""
    for domain in env.domains.sorted():
        figtype = domain.get_enumerable_node_type(node)
        if isinstance(domain, StandardDomain) and not domain.get_numfig_title(node):
            continue
        if figtype:
            return figtype
    return None


def outline(env: BuildEnvironment, doctree: nodes.Element) -> Outline:
    """What Sphinx's figure numbering reads of a doctree, in its order: each section's
    anchor, each toctree's documents, each numbered node's kind and anchor."""
    found: list[tuple[str, ...]] = []

    def walk(node: nodes.Element) -> None:
        for child in node.children:
            if isinstance(child, nodes.section):
                found.append(("section", child["ids"][0] if child["ids"] else ""))
                walk(child)
                found.append(("end",))
            elif isinstance(child, addnodes.toctree):
                found.append(("toctree", *(ref for _title, ref in child["entries"])))
            elif isinstance(child, nodes.Element):
                figtype = figure_type(env, child)
                if figtype and child["ids"]:
                    found.append((figtype, child["ids"][0]))
                walk(child)

    walk(doctree)
    return tuple(found)


class KeptFigureNumbers(TocTreeCollector):
    """Sphinx's toctree collector, whose figure numbers are walked again only when needed.

    Sphinx assigns figure numbers after every reading, loading every doctree from disk: at
    ×100 (704 documents) a second or more per Sphinx run. The numbers come from each
    document's outline (``outline``) and the section numbers alone. When every document read
    has the outline it had, none was added or removed, and no section number moved, the
    numbers stand: those of the documents read are put back, and nothing is loaded.
    """

    def enable(self, app: Sphinx) -> None:
        super().enable(app)
        assert self.listener_ids is not None
        # After every other handler: the outline of the doctree as it is pickled.
        self.listener_ids["outline"] = app.connect("doctree-read", self.note_outline, 900)
        self.reset()

    def reset(self) -> None:
        """Forget this run's readings (for the next run of the same application: the
        preview's)."""
        self.changed = False
        self.sections_same = False
        self.read: set[str] = set()
        # Each document cleared for reading: its outline, section and figure numbers before.
        self.cleared: dict[str, tuple[Outline | None, Any, Any]] = {}

    def clear_doc(self, app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        self.changed = True
        self.cleared.setdefault(
            docname,
            (
                outlines(env).pop(docname, None),
                env.toc_secnumbers.get(docname),
                env.toc_fignumbers.get(docname),
            ),
        )
        super().clear_doc(app, env, docname)

    def merge_other(
        self, app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
    ) -> None:
        self.changed = True
        self.read |= docnames
        theirs = outlines(other)
        outlines(env).update((d, theirs[d]) for d in docnames if d in theirs)
        super().merge_other(app, env, docnames, other)

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        self.changed = True
        super().process_doc(app, doctree)

    def note_outline(self, app: Sphinx, doctree: nodes.document) -> None:
        env = app.env
        docname = env.current_document.docname
        self.read.add(docname)
        outlines(env)[docname] = outline(env, doctree)

    def assign_section_numbers(self, env: BuildEnvironment) -> list[str]:
        before = dict(env.toc_secnumbers)
        before.update((d, s) for d, (_o, s, _f) in self.cleared.items() if s is not None)
        rewrite = super().assign_section_numbers(env)
        self.sections_same = env.toc_secnumbers == before
        return rewrite

    def numbers_stand(self, env: BuildEnvironment) -> bool:
        """Whether this run's readings leave every figure number as it was."""
        kept = outlines(env)
        return (
            self.sections_same
            and self.read <= self.cleared.keys()
            and all(
                docname in env.all_docs and old is not None and kept.get(docname) == old
                for docname, (old, _s, _f) in self.cleared.items()
            )
        )

    def assign_figure_numbers(self, env: BuildEnvironment) -> list[str]:
        if not self.changed:
            return []
        if self.numbers_stand(env):
            for docname, (_o, _s, numbers) in self.cleared.items():
                if numbers is not None:
                    env.toc_fignumbers[docname] = numbers
            rewrite = []
        else:
            rewrite = super().assign_figure_numbers(env)
        self.reset()
        return rewrite


def setup(app: Sphinx) -> dict[str, Any]:
    # Sphinx's own collector is set up before any extension and gives way to this one; first
    # among the book's extensions, this one listens where it did.
    stock = {
        owner
        for listeners in app.events.listeners.values()
        for listener in listeners
        if type(owner := getattr(listener.handler, "__self__", None)) is TocTreeCollector
    }
    for collector in stock:
        collector.disable(app)
    app.add_env_collector(KeptFigureNumbers)
    return {
        "version": "1.1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
