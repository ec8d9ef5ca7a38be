"""Sphinx settings of a book made from its ``book.toml``: what a book's conf.py starts from."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sphinx.util.texescape import escape as tex_escape

from sangokushi import buildinfo, tate
from sangokushi.book import BOOK_CLASS, CONTENTS_PLACED, LATEX_ENGINE
from sangokushi.facts import Facts, load

HERE = Path(__file__).resolve().parent
# The extensions every book gets, in this order (sangokushi.fignumbers first: it stands in for
# Sphinx's toctree collector; sangokushi.book before numbering and frontback: it declares the
# kinds of chapter they read).
EXTENSIONS = [
    "sangokushi.fignumbers",
    "myst_parser",
    "sangokushi.book",
    "sangokushi.numbering",
    "sangokushi.jatext",
    "sangokushi.tables",
    "sangokushi.analogy",
    "sangokushi.ruby",
    "sangokushi.bouten",
    "sangokushi.ebook",
    "sangokushi.aria",
    "sangokushi.navigation",
    "sangokushi.pages",
    "sangokushi.yomi",
    "sangokushi.frontback",
]
# Labels of the analogy boxes and their table in Japanese books (English ones are the defaults).
ANALOGY_LABELS_JA = {
    "analogy_label": "比喩",
    "analogy_continues_label": "（続く）",
    "analogy_continued_label": "（続き）",
    "analogy_modern_label": "現代",
    "analogy_historical_label": "歴史",
    "analogy_backref_label": "ほかに出る章",
    "analogy_table_number_label": "番号",
    "analogy_table_figures_label": "人物",
    "analogy_table_defined_label": "説明の箇所",
    "analogy_table_referenced_label": "ほかに出る章",
}
FONTS = r"""
\usepackage{tgtermes,tgheros,tgcursor}
\usepackage[haranoaji,jis2004]{pxchfon}
%% Gothic is set only for headings, titles and emphasis: its bold weight.
\setgothicfont{HaranoAjiGothic-Bold.otf}
\usepackage{pifont}
"""


def katakana(text: str) -> str:
    """``text`` with its hiragana as katakana: the readings stores sort by (電書協 EPUB 3 guide)."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def utf16_hex(text: str) -> str:
    """``text`` as a PDF hex string's content (UTF-16BE with its byte-order mark)."""
    return ("\ufeff" + text).encode("utf-16-be").hex().upper()


def latex_text(text: str) -> str:
    """``text`` escaped for upLaTeX: every character printed as written, nothing run."""
    return tex_escape(text, LATEX_ENGINE)


def document_info(facts: Facts, creator: str) -> str:
    """The PDF's title, author and language, for hyperref and for dvipdfmx directly."""
    lang = re.sub(r"[^A-Za-z0-9-]", "", facts.language.replace("_", "-"))
    return rf"""
\hypersetup{{pdftitle={{{latex_text(facts.title)}}}, pdfauthor={{{latex_text(facts.author)}}},
  pdflang={{{latex_text(facts.language)}}}, pdfcreator={{{latex_text(creator)}}},
  pdfdisplaydoctitle=true}}
%% The same for dvipdfmx directly: hyperref's draft mode (the print-shop PDF) writes none.
\AtBeginDvi{{\special{{pdf:docinfo <</Title <{utf16_hex(facts.title)}>
  /Author <{utf16_hex(facts.author)}> /Creator <{utf16_hex(creator)}>>>}}%
  \special{{pdf:put @catalog <</Lang ({lang})>>}}}}
"""


def title_page(facts: Facts) -> str:
    """The 扉: the title in the lines the book gives, its subtitle, the note at the foot."""
    lines = r"\\[0.6em]".join(tate.latex(line, latex_text) for line in facts.title_lines)
    subtitle = ""
    if facts.subtitle:
        text = tate.latex(facts.subtitle, latex_text)
        subtitle = rf"\vspace{{1.5\baselineskip}}{{\large {text}\par}}"
    note = tate.latex(facts.title_page.note, latex_text)
    note = rf"{{\small {note}\par}}" if note else ""
    return rf"""
\pagenumbering{{roman}}
\begin{{titlepage}}
\vspace*{{0.18\textheight}}
\begin{{center}}
{{\sffamily\gtfamily\bfseries\Huge {lines}\par}}
{subtitle}
\vfill
{note}
\vspace{{2\baselineskip}}
\end{{center}}
\end{{titlepage}}
"""


def book_settings(conffile: str | os.PathLike[str]) -> dict[str, Any]:
    """The Sphinx settings of the book whose ``conf.py`` is ``conffile``.

    Everything comes from ``book.toml`` beside it; conf.py may set anything after.
    """
    folder = Path(conffile).resolve().parent
    facts = load(folder)
    epoch = buildinfo.edition_timestamp(facts, folder)
    edition = buildinfo.edition_name(facts.version)
    date = buildinfo.japanese_date(epoch)
    japanese = facts.language.split("-")[0] in ("ja", "zh")
    creator = f"sangokushi {buildinfo.toolkit_version()}"
    rights = facts.rights or f"{date[:4]} {facts.author}"
    settings: dict[str, Any] = {
        "project": facts.title,
        "author": facts.author,
        "copyright": rights,
        "version": facts.version,
        "release": facts.version,
        "language": facts.language,
        "today": date,
        "root_doc": "index",
        "extensions": list(EXTENSIONS),
        "myst_enable_extensions": ["colon_fence"],
        "myst_heading_anchors": 2,
        "exclude_patterns": ["build", "_build", "Thumbs.db", ".DS_Store", "README.md"],
        "templates_path": [str(HERE / "templates" / "sphinx")],
        "html_static_path": [str(HERE / "static")],
        "numfig": True,
        "numfig_secnum_depth": 0,
        # sangokushi.book reports these with file and line instead.
        "suppress_warnings": ["toc.not_included"],
        "book_facts": facts,
        "book_edition": edition,
        "book_date": date,
        # HTML
        "html_theme": "sphinx_book_theme",
        "html_title": facts.title,
        "html_show_copyright": False,
        "html_css_files": ["sangokushi-book.css"],
        "html_last_updated_fmt": "",
        "html_theme_options": {
            "navbar_persistent": [],
            "show_toc_level": 2,
            "home_page_in_toc": True,
            "use_download_button": False,
        },
        # EPUB
        "epub_basename": facts.name,
        "epub_theme": "epub",
        "epub_title": facts.title,
        "epub_author": facts.author,
        "epub_language": facts.language,
        "epub_publisher": facts.publisher or facts.author,
        "epub_copyright": rights,
        "epub_description": facts.description or facts.title,
        "epub_contributor": facts.publisher or facts.author,
        "epub_scheme": "URL",
        "epub_identifier": facts.uid,
        "epub_uid": facts.name.replace(".", "-"),
        "epub_use_index": True,
        "epub_show_urls": "no",
        "epub_tocdepth": 2,
        "epub_css_files": ["sangokushi-book.css"],
        "ebook_cover_title": "\n".join(facts.title_lines),
        "ebook_cover_subtitle": edition,
        "ebook_cover_author": facts.author,
        "ebook_title_file_as": katakana(facts.title_reading),
        "ebook_author_file_as": katakana(facts.author_reading),
        # The publisher checked the book (EPUBCheck, Ace, axe): a self-assessment, no credential.
        "ebook_certified_by": facts.publisher,
        # LaTeX / PDF: the jlreq class on upLaTeX and dvipdfmx; the 版面 from the book's page.
        "latex_engine": LATEX_ENGINE,
        "latex_docclass": {"manual": BOOK_CLASS},
        "latex_documents": [("index", f"{facts.name}.tex", facts.title, "", "manual", False)],
        "latex_show_urls": "no",
        "latex_use_xindy": False,
        "latex_elements": {
            "papersize": "",
            "pointsize": "",
            "geometry": "",
            "polyglossia": "",
            "babel": "",
            "fncychap": "",
            "cmappkg": "",
            "makeindex": "",
            "printindex": "",
            "fontpkg": FONTS,
            "preamble": document_info(facts, creator),
            "maketitle": title_page(facts),
            "tableofcontents": CONTENTS_PLACED,
        },
        # The correspondence table is a table in every edition: it stacks on a phone (HTML,
        # EPUB); in the PDFs its columns are sized to their content and a place's page stands
        # on a line of its own (sangokushi.analogy.latextable).
        "analogy_table_layout": "table",
    }
    if japanese:
        settings.update(ANALOGY_LABELS_JA)
        # 図1, 表1: no space between the label and its number in Japanese.
        settings["numfig_format"] = {
            "figure": "図%s",
            "table": "表%s",
            "code-block": "リスト%s",
            "section": "%s節",
        }
        settings["html_search_language"] = "ja"
        settings["html_search_options"] = {"type": "sangokushi.search.JapaneseSplitter"}
    for own, key in (("_static", "html_static_path"), ("_templates", "templates_path")):
        if (folder / own).is_dir():
            settings[key].insert(0, own)
    # `make site` and Read the Docs hand their data through the environment.
    from sangokushi.site.sphinxconf import configure_site

    configure_site(settings)
    return settings
