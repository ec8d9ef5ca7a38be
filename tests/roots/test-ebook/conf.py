"""A small Japanese book for the ebook and ruby extensions' tests."""

extensions = ["myst_parser", "sangokushi.ebook", "sangokushi.ruby"]
myst_enable_extensions = ["colon_fence"]

project = "テストの本"
author = "試験 太郎"
copyright = "2023, 試験 太郎"
version = release = "1.0"
language = "ja"
root_doc = "index"
exclude_patterns = ["_build"]

epub_basename = "test-book"
epub_theme = "epub"
epub_title = project
epub_author = author
epub_language = "ja"
epub_publisher = "テスト出版"
epub_copyright = copyright
epub_description = "縦書きと横書きの電子書籍を試すための小さな本。"
epub_contributor = "テスト編集部"
epub_scheme = "URL"
epub_identifier = "urn:test-book:1"
epub_uid = "test-book"
epub_use_index = False
epub_show_urls = "no"
epub_tocdepth = 2

ebook_cover_subtitle = "副題 — 2023年の話"
ebook_cover_author = author
ebook_title_file_as = "テストノホン"
ebook_author_file_as = "シケン タロウ"
ebook_accessibility_summary = "テスト用の本です。本文はすべてテキストで、目次と見出しで移動できます。"

latex_engine = "lualatex"
latex_docclass = {"manual": "ltjsbook"}
latex_documents = [("index", "test-book.tex", project, author, "manual")]
latex_elements = {
    "polyglossia": "",
    "babel": "",
    "fontpkg": r"\setmainfont{TeX Gyre Termes}\setsansfont{TeX Gyre Heros}\setmonofont{TeX Gyre Cursor}",
}
