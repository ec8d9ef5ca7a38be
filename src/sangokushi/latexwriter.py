"""Sphinx's LaTeX translator with its Jinja templates compiled once, not once per table."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util.template import LaTeXRenderer
from sphinx.writers.latex import LaTeXTranslator

from sangokushi.templatecache import keep_compiled

#: The builder's attribute holding this build's renderer: one per build, so its environment
#: (the escape filter of this build's engine) does not outlive it; the compiled templates do,
#: keyed by their source (sangokushi.templatecache).
RENDERER = "sangokushi_latex_renderer"


class CachedTemplateLaTeXTranslator(LaTeXTranslator):
    """Renders the document and its ``tabular``/``tabulary``/``longtable`` through one
    long-lived Jinja environment, whose compiled templates are kept (sangokushi.templatecache).

    The stock ``render`` builds a new ``LaTeXRenderer`` for every table, so every table
    compiles its template again. The templates are looked up as the stock ``render`` does, a
    project's in ``templates_path`` first; a legacy ``_t`` one is left to it (and its warning).
    """

    def render(self, template_name: str, variables: dict[str, Any]) -> str:
        for folder in self.config.templates_path:
            template = self.builder.confdir / folder / template_name
            if template.exists():
                return self.renderer().render(str(template), variables)
            if template.with_name(template.name.removesuffix(".jinja") + "_t").exists():
                return super().render(template_name, variables)
        return self.renderer().render(template_name, variables)

    def renderer(self) -> LaTeXRenderer:
        """This build's renderer (``RENDERER``), with the compiled templates kept."""
        renderer: LaTeXRenderer | None = getattr(self.builder, RENDERER, None)
        if renderer is None:
            renderer = LaTeXRenderer(latex_engine=self.config.latex_engine)
            keep_compiled(self.builder, renderer.env)
            setattr(self.builder, RENDERER, renderer)
        return renderer


def setup(app: Sphinx) -> dict[str, Any]:
    app.set_translator("latex", CachedTemplateLaTeXTranslator)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
