"""Sphinx configuration for the book 「Llama 2の登場でLLM三国志が始まった」."""

from __future__ import annotations

from pathlib import Path

from sangokushi.book import BOOK_CLASS, latex_class_options
from sangokushi.buildinfo import (
    build_timestamp,
    edition_name,
    japanese_date,
    project_version,
    toolchain,
)
from sangokushi.editions import BOOK as BASENAME
from sangokushi.pdf import LATEX_ENGINE

ROOT = Path(__file__).resolve().parent.parent

project = "Llama 2の登場でLLM三国志が始まった"
author = ""
copyright = "2023, 原著者"
release = version = project_version(ROOT)
language = "ja"
root_doc = "index"
built_at = build_timestamp(ROOT)
today = japanese_date(built_at)
# The essay is unsigned; it appeared as a blog article in July 2023 (see 編集注記 and 奥付).
AUTHOR = "著者名の記載なし"
SOURCE = "原文：ブログ記事（2023年7月公開）"

extensions = [
    "myst_parser",
    "sangokushi.book",
    "sangokushi.numbering",
    "sangokushi.jatext",
    "sangokushi.analogy",
    "sangokushi.ruby",
    "sangokushi.ebook",
    "sangokushi.aria",
    "sangokushi.navigation",
    "sangokushi.yomi",
]
myst_enable_extensions = ["colon_fence", "substitution"]
myst_heading_anchors = 2
myst_substitutions = {
    "book_title": project,
    "book_author": AUTHOR,
    "book_edition": edition_name(version),
    "book_version": version,
    "book_date": japanese_date(built_at),
    "book_toolchain_pdf": toolchain("pdf"),
    "book_toolchain_web": toolchain("html"),
    "book_toolchain_epub": toolchain("epub"),
}
exclude_patterns = ["_build", "_original", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
html_static_path = ["_static"]
numfig = True
analogy_label = "比喩"
analogy_modern_label = "現代"
analogy_historical_label = "三国志"
analogy_backref_label = "参照元"
analogy_table_number_label = "番号"
analogy_table_figures_label = "人物"
analogy_table_defined_label = "定義箇所"
analogy_table_referenced_label = "参照元"
# sangokushi.book reports these with file and line instead.
suppress_warnings = ["toc.not_included"]
numfig_secnum_depth = 0

# -- HTML -------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_show_copyright = False
html_css_files = ["book.css"]
html_last_updated_fmt = ""
html_search_language = "ja"
html_search_options = {"type": "sangokushi.search.JapaneseSplitter"}
html_theme_options = {
    "navbar_persistent": [],
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
}

# -- EPUB -------------------------------------------------------------------
epub_basename = BASENAME
epub_theme = "epub"
epub_title = project
epub_author = AUTHOR
epub_language = "ja"
epub_publisher = BASENAME
epub_copyright = copyright
epub_description = (
    "2023年夏、Llama 2の登場で始まったLLM各社の競争を三国志の勢力になぞらえて読み解くエッセイ。"
)
epub_contributor = f"{BASENAME} 編集"
epub_scheme = "URL"
epub_identifier = f"urn:{BASENAME}:ja"
epub_uid = BASENAME
epub_use_index = True
epub_show_urls = "no"
epub_tocdepth = 2
epub_css_files = ["book.css"]
ebook_cover_title = "Llama 2の登場で\nLLM三国志が始まった"
ebook_cover_subtitle = edition_name(version)
ebook_accessibility_summary = (
    "本書はテキストのみで構成され、見出しと目次による構造化ナビゲーション、論理的な読み順、"
    "人名などのルビを備える。画像は表紙のみで、本文の理解に画像は要らない。"
)

# -- LaTeX / PDF ------------------------------------------------------------
# The jlreq class (W3C Requirements for Japanese Text Layout) on upLaTeX and dvipdfmx (the
# engine sangokushi.pdf compiles with); the 版面 and each PDF variant (-D book_pdf_variant=…,
# sangokushi.editions) are declared in sangokushi.book.
latex_engine = LATEX_ENGINE
latex_docclass = {"manual": BOOK_CLASS}
latex_documents = [(root_doc, f"{BASENAME}.tex", project, "", "manual", False)]
latex_show_urls = "no"
latex_use_xindy = False
latex_elements = {
    "papersize": "",
    "pointsize": "",
    # The reading PDF; sangokushi.book switches to a variant when book_pdf_variant is set.
    "extraclassoptions": latex_class_options(),
    "geometry": "",
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "cmappkg": "",
    "makeindex": "",
    "printindex": "",
    "fontpkg": r"""
\usepackage{tgtermes,tgheros,tgcursor}
\usepackage[haranoaji,jis2004]{pxchfon}
%% Gothic is set only for headings, titles and emphasis in this book: its bold weight.
\setgothicfont{HaranoAjiGothic-Bold.otf}
\usepackage{pifont}
""",
    "preamble": r"""
\hypersetup{pdftitle={%(title)s}, pdfauthor={%(author)s}, pdflang={ja},
  pdfcreator={%(creator)s}}
%% The same title and author for dvipdfmx directly: hyperref's draft mode (the print-shop
%% PDF) writes no document information.
\AtBeginDvi{\special{pdf:docinfo <</Title <%(title_hex)s> /Author <%(author_hex)s>
  /Creator (%(creator)s)>>}}
%% ✴ (the scene break) from the Dingbats, its text kept for copying and search (ActualText);
%% the text-style selector after it is dropped.
\kcatcode"2734=15 \kcatcode"FE0E=15
\usepackage{newunicodechar}
\newunicodechar{✴}{\leavevmode\kern0.1em
  \special{pdf:code /Span<</ActualText<FEFF2734>>>BDC}\ding{84}\special{pdf:code EMC}\kern0.1em}
\newunicodechar{%(vs15)s}{}
"""
    % {
        "title": project,
        "author": AUTHOR,
        "creator": BASENAME,
        "vs15": "\ufe0e",
        "title_hex": ("\ufeff" + project).encode("utf-16-be").hex().upper(),
        "author_hex": ("\ufeff" + AUTHOR).encode("utf-16-be").hex().upper(),
    },
    "maketitle": r"""
\pagenumbering{roman}
\begin{titlepage}
\vspace*{0.18\textheight}
\begin{center}
{\sffamily\gtfamily\bfseries\Huge Llama 2の登場で\\[0.6em]LLM三国志が始まった\par}
\vfill
{\small %(source)s\par}
\vspace{2\baselineskip}
\end{center}
\end{titlepage}
"""
    % {"source": SOURCE},
    # 扉 and 目次 counted in roman (i, ii: 扉; iii: 目次, a recto), the text from a recto in
    # arabic: every page has its own label in a viewer's page box.
    "tableofcontents": r"""
\cleardoublepage
\begingroup\parskip=0pt\renewcommand{\contentsname}{目次}\tableofcontents\endgroup
\cleardoublepage\pagenumbering{arabic}
""",
}

# -- Versioned site ---------------------------------------------------------
# `make site` hands each version's HTML build its data (sphinx-polyversion's POLYVERSION_DATA),
# never for its EPUB or PDF: only then do pages get the version switcher, downloads, old-edition
# banner, 404 page, OGP tags and canonical URLs. On Read the Docs: its canonical URL only.
from sangokushi.site.sphinxconf import configure_site  # noqa: E402

configure_site(globals())
