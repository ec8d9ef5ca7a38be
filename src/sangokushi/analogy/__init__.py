"""Sphinx extension: numbered analogy boxes, cross-references and a correspondence table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sangokushi import __version__

from .directives import AnalogyDirective, AnalogyTableDirective
from .domain import AnalogyDomain, AnalogyRole, on_env_get_outdated, on_env_get_updated
from .nodes import HANDLERS, analogy_box, analogy_pageref, analogy_table, analogy_title, title_text
from .transforms import AnalogyHTMLTransform, AnalogyLaTeXTransform, AnalogyTransform

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

STATIC = Path(__file__).parent / "static"

#: name -> English default; every label is plain text.
CONFIG: dict[str, str] = {
    "analogy_label": "Analogy",
    "analogy_modern_label": "Modern",
    "analogy_historical_label": "Historical",
    "analogy_backref_label": "Referenced from",
    "analogy_table_number_label": "No.",
    "analogy_table_figures_label": "Figures",
    "analogy_table_defined_label": "Defined in",
    "analogy_table_referenced_label": "Referenced from",
    "analogy_page_label": "p.",
}


def _config_inited(app: Sphinx, config: Config) -> None:
    # Runs after Sphinx fills numfig_format's defaults (priority 800); new dicts, never mutate.
    if "analogy" not in config.numfig_format:
        config.numfig_format = {**config.numfig_format, "analogy": f"{config.analogy_label} %s"}
    static = str(STATIC)
    if static not in config.html_static_path:
        # First, so a project's own _static/analogy.css overrides this one.
        config.html_static_path = [static, *config.html_static_path]


def setup(app: Sphinx) -> dict[str, Any]:
    for name, default in CONFIG.items():
        app.add_config_value(name, default, "env", types=frozenset({str}))
    app.add_enumerable_node(analogy_box, "analogy", title_text, **HANDLERS[analogy_box])
    for node in (analogy_title, analogy_table, analogy_pageref):
        app.add_node(node, **HANDLERS[node])
    app.add_domain(AnalogyDomain)
    app.add_directive("analogy", AnalogyDirective)
    app.add_directive("analogy-table", AnalogyTableDirective)
    app.add_role("analogy", AnalogyRole())
    app.add_post_transform(AnalogyTransform)
    app.add_post_transform(AnalogyHTMLTransform)
    app.add_post_transform(AnalogyLaTeXTransform)
    app.add_css_file("analogy.css")
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("env-get-outdated", on_env_get_outdated)
    # After the toctree collector (priority 500) has assigned figure numbers.
    app.connect("env-get-updated", on_env_get_updated, priority=900)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
