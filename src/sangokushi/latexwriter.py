"""Sphinx's LaTeX translator with its Jinja table templates compiled once, not once per table."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util.template import LaTeXRenderer
from sphinx.writers.latex import LaTeXTranslator

# One renderer (a Jinja environment, which keeps its compiled templates) per LaTeX engine.
_RENDERERS: dict[str | None, LaTeXRenderer] = {}


class CachedTemplateLaTeXTranslator(LaTeXTranslator):
    """Renders ``tabular``/``tabulary``/``longtable`` through one long-lived Jinja environment.

    The stock ``render`` builds a new ``LaTeXRenderer`` for every table, so every table
    compiles its template again. Templates a project overrides in ``templates_path`` keep the
    stock lookup (and its legacy ``_t`` fallback).
    """

    def render(self, template_name: str, variables: dict[str, Any]) -> str:
        if self._overridden(template_name):
            return super().render(template_name, variables)
        engine = self.config.latex_engine
        if engine not in _RENDERERS:
            _RENDERERS[engine] = LaTeXRenderer(latex_engine=engine)
        return _RENDERERS[engine].render(template_name, variables)

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
