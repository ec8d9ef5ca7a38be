"""Pages of whole-kanji paragraphs set with the book's 版面, to measure the line grid."""

from sangokushi.book import latex_class_options

extensions = ["myst_parser", "sangokushi.book"]
project = "版面の試し"
language = "ja"
root_doc = "index"
exclude_patterns = ["_build"]
latex_engine = "lualatex"
latex_docclass = {"manual": "jlreq"}
latex_documents = [("index", "grid.tex", project, "", "manual", False)]
latex_elements = {
    "papersize": "",
    "pointsize": "",
    "extraclassoptions": latex_class_options(),
    "geometry": "",
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "cmappkg": "",
    "fontpkg": r"\setmainfont{TeX Gyre Termes}\setsansfont{TeX Gyre Heros}",
    "maketitle": "",
    "tableofcontents": "",
}
