"""Numbers, marks, parentheses and chapter references in vertical and horizontal editions."""

from sangokushi.book import BOOK_CLASS, LATEX_ENGINE, latex_class_options
from sangokushi.page import page_design

project = "縦組の決まりの試し"
author = ""
language = "ja"
version = release = "1.0"
root_doc = "index"
exclude_patterns = ["_build"]
extensions = [
    "myst_parser",
    "sangokushi.book",
    "sangokushi.numbering",
    "sangokushi.jatext",
    "sangokushi.ruby",
    "sangokushi.bouten",
    "sangokushi.ebook",
]
myst_enable_extensions = ["colon_fence"]
numfig = True
numfig_secnum_depth = 0
# Japanese style: 図1, 表1 (no space).
numfig_format = {"figure": "図%s", "table": "表%s", "code-block": "リスト%s", "section": "%s節"}
suppress_warnings = ["toc.not_included"]

epub_basename = "tate"
epub_theme = "epub"
epub_title = project
epub_author = "試し"
epub_language = "ja"
epub_publisher = "試し"
epub_copyright = "2026, 試し"
epub_description = "縦組の決まりの試し。"
epub_scheme = "URL"
epub_identifier = "urn:tate:ja"
epub_uid = "tate"
epub_use_index = False
epub_show_urls = "no"
ebook_accessibility_summary = "試しの本。"

latex_engine = LATEX_ENGINE
latex_docclass = {"manual": BOOK_CLASS}
latex_documents = [("index", "tate.tex", project, "", "manual", False)]
latex_show_urls = "no"
latex_elements = {
    "papersize": "",
    "pointsize": "",
    "extraclassoptions": latex_class_options(page_design("A5")),
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
\setgothicfont{HaranoAjiGothic-Bold.otf}
""",
}
# No date on Sphinx's title page: the test reads every number the book prints.
today = " "
