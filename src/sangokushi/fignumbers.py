"""Figure numbers assigned again only after a run that read or removed a document."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector


class KeptFigureNumbers(TocTreeCollector):
    """Sphinx's toctree collector, whose figure numbers are walked again only when needed.

    Sphinx assigns figure numbers after every reading, loading every doctree from disk: at
    ×100 (704 documents) a second or more per Sphinx run, also for an edition that shares
    an environment another edition of the build has just brought up to date and reads
    nothing. The numbers come from the doctrees and the toctree alone, and every change to
    either reads or removes a document (a numbering option re-reads them all), so after a
    run that did neither, the environment's numbers stand.
    """

    def enable(self, app: Sphinx) -> None:
        super().enable(app)
        self.changed = False

    def clear_doc(self, app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        self.changed = True
        super().clear_doc(app, env, docname)

    def merge_other(
        self, app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
    ) -> None:
        self.changed = True
        super().merge_other(app, env, docnames, other)

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        self.changed = True
        super().process_doc(app, doctree)

    def assign_figure_numbers(self, env: BuildEnvironment) -> list[str]:
        if not self.changed:
            return []
        rewrite = super().assign_figure_numbers(env)
        self.changed = False  # for the next run of the same application (the preview's)
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
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
