"""Another project's book: only the chapter numbering of this package, in English, pdfLaTeX."""

extensions = ["myst_parser", "sangokushi.numbering"]
project = "Numbers alone"
exclude_patterns = ["_build"]
book_chapter_format = "Chapter {}: "
book_appendix_format = "Appendix {}: "
latex_documents = [("index", "alone.tex", project, "Someone", "manual", False)]
