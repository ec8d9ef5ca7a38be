"""Sphinx configuration of this book: its facts (title, author, paper…) are in book.toml."""

from sangokushi.conf import book_settings

globals().update(book_settings(__file__))

# Sphinx settings of your own go below; they override the book's defaults.
