"""A small Japanese book with an index sorted by reading (sangokushi.yomi)."""

extensions = ["myst_parser", "sangokushi.ruby", "sangokushi.yomi", "sangokushi.ebook"]
myst_enable_extensions = ["colon_fence"]

project = "索引の本"
author = "試験 太郎"
copyright = "2023, 試験 太郎"
version = release = "1.0"
language = "ja"
root_doc = "index"
exclude_patterns = ["_build"]

epub_basename = "index-book"
epub_theme = "epub"
epub_title = project
epub_author = author
epub_language = "ja"
epub_publisher = "テスト出版"
epub_copyright = copyright
epub_description = "索引を試すための小さな本。"
epub_contributor = "テスト編集部"
epub_scheme = "URL"
epub_identifier = "urn:index-book:1"
epub_uid = "index-book"
epub_use_index = True
epub_show_urls = "no"
ebook_accessibility_summary = "テスト用の本です。"

latex_engine = "lualatex"
latex_docclass = {"manual": "ltjsbook"}
latex_documents = [("index", "index-book.tex", project, author, "manual")]
latex_elements = {
    "polyglossia": "",
    "babel": "",
    "fncychap": "",
    "cmappkg": "",
    "makeindex": "",
    "printindex": "",
    "fontpkg": r"\setmainfont{TeX Gyre Termes}\setsansfont{TeX Gyre Heros}\setmonofont{TeX Gyre Cursor}",
}
