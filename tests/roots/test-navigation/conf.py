extensions = ["myst_parser", "sangokushi.navigation", "notfound.extension"]
notfound_urls_prefix = "/book/"
html_theme = "sphinx_book_theme"
html_theme_options = {"home_page_in_toc": True}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
