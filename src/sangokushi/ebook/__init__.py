"""Sphinx extension for e-reader EPUBs: 縦書き, cover, accessibility, reproducible packages."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.config import ENUM, Config

from sangokushi import __version__, pagemap
from sangokushi.ebook.builder import COVER_IMAGE, COVER_TEMPLATE, EbookBuilder
from sangokushi.ebook.cover import COLORS, FONT
from sangokushi.ebook.tategaki import VerticalText
from sangokushi.tate import TCY_DIGITS

DEFAULT_FEATURES = (
    "structuralNavigation",
    "tableOfContents",
    "readingOrder",
    "displayTransformability",
)


def set_cover(app: Sphinx, config: Config) -> None:
    """Use the generated cover unless the project names its own ``epub_cover``."""
    if config.ebook_cover and not config.epub_cover:
        config.epub_cover = (COVER_IMAGE, COVER_TEMPLATE)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.builders.epub3")
    app.add_builder(EbookBuilder, override=True)
    app.add_post_transform(VerticalText)

    str_ = frozenset({str})
    seq = frozenset({list, tuple})
    app.add_config_value("ebook_cover", True, "env", types=frozenset({bool}))
    app.add_config_value("ebook_cover_title", "", "epub", types=str_)
    app.add_config_value("ebook_cover_subtitle", "", "epub", types=str_)
    app.add_config_value("ebook_cover_author", "", "epub", types=str_)
    app.add_config_value("ebook_cover_font", FONT, "epub", types=str_)
    app.add_config_value("ebook_cover_size", (1600, 2560), "epub", types=seq)
    app.add_config_value("ebook_cover_colors", COLORS, "epub", types=seq)
    app.add_config_value("ebook_access_modes", ("textual",), "epub", types=seq)
    app.add_config_value("ebook_access_modes_sufficient", ("textual",), "epub", types=seq)
    app.add_config_value("ebook_accessibility_features", DEFAULT_FEATURES, "epub", types=seq)
    app.add_config_value("ebook_accessibility_hazards", ("none",), "epub", types=seq)
    app.add_config_value("ebook_accessibility_summary", "", "epub", types=str_)
    app.add_config_value(
        "ebook_conforms_to", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", "epub", types=str_
    )
    app.add_config_value("ebook_certified_by", "", "epub", types=str_)
    # Readings a store or library sorts by (EPUB ``file-as``): katakana in Japanese books.
    app.add_config_value("ebook_title_file_as", "", "epub", types=str_)
    app.add_config_value("ebook_author_file_as", "", "epub", types=str_)
    # The vertical rendition's title; empty: epub_title with VERTICAL_TITLE's suffix.
    app.add_config_value("ebook_vertical_title", "", "epub", types=str_)
    app.add_config_value("ebook_landmark_titles", {}, "epub", types=frozenset({dict}))
    app.add_config_value("ebook_bodymatter", "", "epub", types=str_)
    app.add_config_value("ebook_tate_chu_yoko", True, "epub", types=frozenset({bool}))
    app.add_config_value("ebook_tcy_digits", TCY_DIGITS, "epub", types=frozenset({int}))
    app.add_config_value(
        "ebook_vertical_tables", "auto", "epub", types=ENUM("auto", "horizontal", "vertical")
    )
    app.add_config_value("ebook_island_max_rows", 8, "epub", types=frozenset({int}))
    # Wider tables turn with the text: six columns side by side do not fit a phone (390 px).
    app.add_config_value("ebook_island_max_columns", 3, "epub", types=frozenset({int}))
    app.add_config_value("ebook_rendition_identifiers", True, "epub", types=frozenset({bool}))
    app.add_config_value("ebook_verify", True, "epub", types=frozenset({bool}))
    # The page map of the PDF whose pages the EPUB marks (sangokushi.pagemap; the build's
    # registry passes it): a page list and page break markers; empty, none.
    app.add_config_value("ebook_page_map", "", "epub", types=str_)
    app.add_event(pagemap.WANTED)
    # What the pages are written with besides their doctrees (code, options, templates, CSS),
    # as a digest (the build's runner passes it): a page whose doctree and context are those
    # of the last build with the same key is not written again. Empty: every page is written.
    app.add_config_value("ebook_write_key", "", "", types=str_)
    app.connect("config-inited", set_cover)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
