"""Sphinx configuration for the book 「Llama 2の登場でLLM三国志が始まった」."""

from __future__ import annotations

from pathlib import Path

from sangokushi.buildinfo import build_timestamp, japanese_date, project_version, toolchain
from sangokushi.editions import BOOK as BASENAME

ROOT = Path(__file__).resolve().parent.parent

project = "Llama 2の登場でLLM三国志が始まった"
author = ""
copyright = "2023, 原著者"
release = version = project_version(ROOT)
language = "ja"
root_doc = "index"
built_at = build_timestamp(ROOT)
today = japanese_date(built_at)

extensions = [
    "myst_parser",
    "sangokushi.book",
    "sangokushi.numbering",
    "sangokushi.jatext",
    "sangokushi.analogy",
    "sangokushi.ruby",
    "sangokushi.ebook",
    "sangokushi.yomi",
]
myst_enable_extensions = ["colon_fence", "substitution"]
myst_heading_anchors = 2
myst_substitutions = {
    "book_title": project,
    "book_edition": f"第{version}版",
    "book_date": japanese_date(built_at),
    "book_toolchain": toolchain(),
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
epub_author = "原著者不詳"
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
ebook_cover_subtitle = f"第{version}版"
ebook_accessibility_summary = (
    "本書はテキストのみで構成され、見出しと目次による構造化ナビゲーション、論理的な読み順、"
    "人名などのルビを備える。画像は表紙のみで、本文の理解に画像は要らない。"
)

# -- LaTeX / PDF ------------------------------------------------------------
latex_engine = "lualatex"
latex_docclass = {"manual": "ltjsbook"}
latex_documents = [(root_doc, f"{BASENAME}.tex", project, "", "manual", False)]
latex_show_urls = "no"
latex_use_xindy = False
latex_elements = {
    "papersize": "a5paper",
    "pointsize": "10pt",
    "extraclassoptions": "openany",
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "cmappkg": "",
    "makeindex": "",
    "printindex": "",
    "geometry": r"\usepackage[a5paper, textwidth=34\zw, lines=28, top=20mm,"
    r" headheight=15pt, headsep=5mm, footskip=10mm, hcentering]{geometry}",
    "fontpkg": r"""
\setmainfont{TeX Gyre Termes}
\setsansfont{TeX Gyre Heros}
\setmonofont{TeX Gyre Cursor}
\newfontfamily\booksymbolfont{DejaVu Sans}
""",
    "preamble": r"""
\hypersetup{pdftitle={%(title)s}, pdflang={ja}, pdfcreator={%(creator)s}}
\setlength{\parindent}{1\zw}
\setlength{\parskip}{0pt plus 1pt}
\usepackage{newunicodechar}
\newunicodechar{✴}{{\booksymbolfont\ltjalchar"2734}}
\newunicodechar{^^^^fe0e}{}
\makeatletter
\fancypagestyle{normal}{%%
  \fancyhf{}%%
  \fancyhead[LE]{\small\thepage\hspace{2\zw}\@title}%%
  \fancyhead[RO]{\small\leftmark\hspace{2\zw}\thepage}%%
  \renewcommand{\headrulewidth}{0.4pt}%%
  \renewcommand{\footrulewidth}{0pt}}
\fancypagestyle{plain}{%%
  \fancyhf{}%%
  \fancyfoot[C]{\small\thepage}%%
  \renewcommand{\headrulewidth}{0pt}%%
  \renewcommand{\footrulewidth}{0pt}}
\let\ps@plainhead\ps@plain
\makeatother
\newenvironment{sphinxclasssection-break}{\begin{center}}{\end{center}}
\newenvironment{sphinxclasschapter-subtitle}%%
  {\par\vspace*{-1.5\baselineskip}\begin{flushright}\large}{\end{flushright}\bigskip}
\newenvironment{sphinxclasssignature}{\begin{flushright}\itshape}{\end{flushright}}
"""
    % {"title": project, "creator": BASENAME},
    "maketitle": r"""
\begin{titlepage}
\vspace*{0.22\textheight}
\begin{center}
{\sffamily\bfseries\Huge Llama 2の登場で\\[0.5em]LLM三国志が始まった\par}
\vspace{4em}
{\large %(edition)s\par}
\vfill
{\large %(date)s\par}
\end{center}
\end{titlepage}
"""
    % {"edition": f"第{version}版", "date": japanese_date(built_at)},
    "tableofcontents": r"\renewcommand{\contentsname}{目次}\sphinxtableofcontents",
}

# -- Versioned site ---------------------------------------------------------
# `make site` hands each version's HTML build its data (sphinx-polyversion's POLYVERSION_DATA),
# never for its EPUB or PDF: only then do pages get the version switcher, downloads, old-edition
# banner, 404 page, OGP tags and canonical URLs. On Read the Docs: its canonical URL only.
from sangokushi.site.sphinxconf import configure_site  # noqa: E402

configure_site(globals())
