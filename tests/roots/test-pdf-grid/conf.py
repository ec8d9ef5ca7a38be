"""Pages of whole-kanji paragraphs set with the book's 版面, to measure the line grid."""

from sangokushi.book import BOOK_CLASS, LATEX_ENGINE, latex_class_options
from sangokushi.page import page_design

extensions = ["myst_parser", "sangokushi.book"]
project = "版面の試し"
language = "ja"
root_doc = "index"
exclude_patterns = ["_build"]
latex_engine = LATEX_ENGINE
latex_docclass = {"manual": BOOK_CLASS}
latex_documents = [("index", "grid.tex", project, "", "manual", False)]
latex_elements = {
    "papersize": "",
    "pointsize": "",
    "extraclassoptions": latex_class_options(page_design("A5")),
    "geometry": "",
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "cmappkg": "",
    "fontpkg": r"\usepackage{tgtermes,tgheros}\usepackage[haranoaji,jis2004]{pxchfon}",
    "maketitle": "",
    "tableofcontents": "",
}
