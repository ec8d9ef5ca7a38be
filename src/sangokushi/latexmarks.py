"""The marks the book's LaTeX carries for the tools that read it and TeX's log back."""

from __future__ import annotations

# Before each document's LaTeX, with its source file: a TeX message names that file.
SOURCE_MARK = "% sangokushi-source: "
# Written to TeX's log where a chapter set from a file of its own begins (with its name) and
# ends (sangokushi.build.parts): the log's line numbers are that file's in between.
PART_LOG = "sangokushi-part: "
# The book's LaTeX package: a book set from it may be set by chapters (sangokushi.build.parts),
# whose files end with PART_END and whose \include is followed by PART_AFTER (its macros).
BOOK_PACKAGE = "sangokushibook"
PART_END = "\\sphinxbookpartend"
PART_AFTER = "\\sphinxbookpartafter"
