"""Sphinx extension: numbered analogy boxes, cross-references and a correspondence table."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sangokushi import __version__

from .directives import AnalogyDirective, AnalogyTableDirective
from .domain import AnalogyDomain, AnalogyRole, on_builder_inited, on_env_get_updated
from .nodes import (
    HANDLERS,
    analogy_backrefs,
    analogy_box,
    analogy_figures,
    analogy_pageref,
    analogy_table,
    analogy_title,
    title_text,
)
from .transforms import AnalogyHTMLTransform, AnalogyLaTeXTransform, AnalogyTransform

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

STATIC = Path(__file__).parent / "static"
LATEX_PACKAGE = "sangokushianalogy"
LATEX_STYLE = Path(__file__).parent / "latex" / f"{LATEX_PACKAGE}.sty"
#: Languages set without spaces, with full-width punctuation.
FULL_WIDTH = ("ja", "zh")

#: name -> English default; every label is plain text and only changes output.
LABELS: dict[str, str] = {
    "analogy_modern_label": "Modern",
    "analogy_historical_label": "Historical",
    "analogy_backref_label": "Referenced from",
    "analogy_table_number_label": "No.",
    "analogy_table_figures_label": "Figures",
    "analogy_table_defined_label": "Defined in",
    "analogy_table_referenced_label": "Referenced from",
    # Print: at the foot of a page a box goes on from, and after its title on the next page.
    "analogy_continues_label": "(continued)",
    "analogy_continued_label": "(continued)",
}

#: name -> (default, full-width default): separators of generated text, after ``language``.
SEPARATORS: dict[str, tuple[str, str]] = {
    "analogy_title_separator": (" ", "\u3000"),  # between "Analogy 3" and the pair
    "analogy_label_separator": (": ", "："),  # after "Referenced from"
    "analogy_list_separator": (", ", "、"),
    "analogy_figure_separator": (" = ", "＝"),
}
#: ``%s`` is the page number (LaTeX only).
PAGE_FORMATS = {"ja": "（%sページ）", "zh": "（第%s页）"}
DEFAULT_PAGE_FORMAT = "\u00a0(p.\u00a0%s)"
#: In a cell of the correspondence table the page stands on a line of its own, unbracketed.
CELL_PAGE_FORMATS = {"ja": "%sページ", "zh": "第%s页"}
DEFAULT_CELL_PAGE_FORMAT = "p.\u00a0%s"


def _language(config: Config) -> str:
    return (config.language or "en").split("_")[0].split("-")[0]


def _separator(name: str) -> Any:
    default, full_width = SEPARATORS[name]
    return lambda config: full_width if _language(config) in FULL_WIDTH else default


def _config_inited(app: Sphinx, config: Config) -> None:
    # Runs after Sphinx fills numfig_format's defaults (priority 800); new dicts, never mutate.
    if "analogy" not in config.numfig_format:
        space = "" if _language(config) in FULL_WIDTH else " "
        number = f"{config.analogy_label}{space}%s"
        config.numfig_format = {**config.numfig_format, "analogy": number}
    static = str(STATIC)
    if static not in config.html_static_path:
        # First, so a project's own _static/analogy.css overrides this one.
        config.html_static_path = [static, *config.html_static_path]


def _copy_latex_style(app: Sphinx) -> None:
    if app.builder.format == "latex":
        app.outdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LATEX_STYLE, app.outdir / LATEX_STYLE.name)


def setup(app: Sphinx) -> dict[str, Any]:
    # The label feeds numfig_format's default, which Sphinx reads with the documents.
    app.add_config_value("analogy_label", "Analogy", "env", types=frozenset({str}))
    # The others only change what is written: the domain rewrites the pages they appear on.
    for name, default in LABELS.items():
        app.add_config_value(name, default, "", types=frozenset({str}))
    for name in SEPARATORS:
        app.add_config_value(name, _separator(name), "", types=frozenset({str}))
    app.add_config_value(
        "analogy_page_format",
        lambda config: PAGE_FORMATS.get(_language(config), DEFAULT_PAGE_FORMAT),
        "",
        types=frozenset({str}),
    )
    app.add_config_value(
        "analogy_table_page_format",
        lambda config: CELL_PAGE_FORMATS.get(_language(config), DEFAULT_CELL_PAGE_FORMAT),
        "",
        types=frozenset({str}),
    )
    # A layout for every builder, or a mapping of builder names to "table" or "list".
    app.add_config_value(
        "analogy_table_layout",
        {"latex": "list", "epub": "list"},
        "",
        types=frozenset({str, dict}),
    )
    app.add_enumerable_node(analogy_box, "analogy", title_text, **HANDLERS[analogy_box])
    for node in (analogy_title, analogy_backrefs, analogy_figures, analogy_table, analogy_pageref):
        app.add_node(node, **HANDLERS[node])
    app.add_domain(AnalogyDomain)
    app.add_directive("analogy", AnalogyDirective)
    app.add_directive("analogy-table", AnalogyTableDirective)
    app.add_role("analogy", AnalogyRole())
    app.add_post_transform(AnalogyTransform)
    app.add_post_transform(AnalogyHTMLTransform)
    app.add_post_transform(AnalogyLaTeXTransform)
    app.add_css_file("analogy.css")
    app.add_latex_package(LATEX_PACKAGE)
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("builder-inited", _copy_latex_style)
    app.connect("builder-inited", on_builder_inited)
    # After the toctree collector (priority 500) has assigned figure numbers.
    app.connect("env-get-updated", on_env_get_updated, priority=900)
    return {
        "version": __version__,
        "env_version": AnalogyDomain.data_version,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
