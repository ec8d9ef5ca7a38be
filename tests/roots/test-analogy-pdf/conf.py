# A5 Japanese book on LuaLaTeX, like the book's PDF, with boxes too long for a page.
extensions = ["myst_parser", "sangokushi.analogy"]
myst_enable_extensions = ["colon_fence"]
project = "比喩PDFテスト"
language = "ja"
exclude_patterns = ["_build"]
numfig = True
numfig_secnum_depth = 0
analogy_label = "比喩"
analogy_modern_label = "現代"
analogy_historical_label = "三国志"
analogy_backref_label = "参照元"
analogy_table_figures_label = "人物"
analogy_table_defined_label = "定義箇所"
analogy_table_referenced_label = "参照元"
latex_engine = "lualatex"
latex_docclass = {"manual": "ltjsbook"}
latex_documents = [("index", "analogypdf.tex", project, "", "manual", False)]
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
    "fontpkg": "\\setmainfont{TeX Gyre Termes}\\setsansfont{TeX Gyre Heros}"
    "\\setmonofont{TeX Gyre Cursor}",
}
