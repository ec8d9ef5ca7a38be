"""Sphinx's LaTeX translator with its Jinja table templates compiled once, not once per table."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util.template import LaTeXRenderer
from sphinx.writers.latex import LaTeXTranslator

#: The builder's attribute holding this build's renderer (a Jinja environment, which keeps
#: its compiled templates): one per build, so no state outlives it.
RENDERER = "sangokushi_latex_renderer"


class CachedTemplateLaTeXTranslator(LaTeXTranslator):
    """Renders ``tabular``/``tabulary``/``longtable`` through one long-lived Jinja environment.

    The stock ``render`` builds a new ``LaTeXRenderer`` for every table, so every table
    compiles its template again. Templates a project overrides in ``templates_path`` keep the
    stock lookup (and its legacy ``_t`` fallback).
    """

    def render(self, template_name: str, variables: dict[str, Any]) -> str:
        if self._overridden(template_name):
            return super().render(template_name, variables)
        renderer: LaTeXRenderer | None = getattr(self.builder, RENDERER, None)
        if renderer is None:
            renderer = LaTeXRenderer(latex_engine=self.config.latex_engine)
            setattr(self.builder, RENDERER, renderer)
        return renderer.render(template_name, variables)

    def _overridden(self, template_name: str) -> bool:
        legacy = template_name.removesuffix(".jinja") + "_t"
        return any(
            (self.builder.confdir / folder / name).exists()
            for folder in self.config.templates_path
            for name in (template_name, legacy)
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.set_translator("latex", CachedTemplateLaTeXTranslator)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
