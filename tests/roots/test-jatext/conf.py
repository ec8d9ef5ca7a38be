project = "日本語の本"
language = "ja"
extensions = ["myst_parser", "sangokushi.numbering", "sangokushi.jatext"]
exclude_patterns = ["_build"]
html_theme = "basic"
latex_engine = "lualatex"
latex_docclass = {"manual": "ltjsbook"}
latex_elements = {
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "fontpkg": r"\setmainfont{TeX Gyre Termes}\setsansfont{TeX Gyre Heros}"
    r"\setmonofont{TeX Gyre Cursor}",
}
myst_enable_extensions = ["colon_fence"]
# The index is listed in the toctree, as the book lists 索引; LaTeX has its own.
suppress_warnings = ["toc.not_readable"]
