"""Sphinx configuration of 「Llama 2の登場でLLM三国志が始まった」: its facts are in book.toml."""

from __future__ import annotations

from sangokushi.buildinfo import toolchain
from sangokushi.conf import book_settings

book = book_settings(__file__)

# -- This book's own settings -------------------------------------------------
book["myst_enable_extensions"] += ["substitution"]
book["myst_substitutions"] = {
    "book_toolchain_pdf": toolchain("pdf"),
    "book_toolchain_web": toolchain("html"),
    "book_toolchain_epub": toolchain("epub"),
}
book["exclude_patterns"] += ["_original"]
book["analogy_historical_label"] = "三国志"
book["html_css_files"] += ["book.css"]
book["epub_css_files"] += ["book.css"]
book["epub_contributor"] = f"{book['epub_publisher']} 編集"
# The essay is unsigned: the 奥付 says so; the web pages carry no "著者 …" line.
book["author"] = ""
book["ebook_cover_author"] = ""
book["ebook_accessibility_summary"] = (
    "本書はテキストのみで構成され、見出しと目次による構造化ナビゲーション、論理的な読み順、"
    "人名などのルビを備える。画像は表紙のみで、本文の理解に画像は要らない。"
)
# ✴ (the scene break) from the Dingbats, its text kept for copying and search (ActualText);
# the text-style selector after it is dropped.
book["latex_elements"]["preamble"] += (
    r"""
\kcatcode"2734=15 \kcatcode"FE0E=15
\usepackage{newunicodechar}
\newunicodechar{✴}{\leavevmode\kern0.1em
  \special{pdf:code /Span<</ActualText<FEFF2734>>>BDC}\ding{84}\special{pdf:code EMC}\kern0.1em}
\newunicodechar{%s}{}
"""
    % "\ufe0e"
)

globals().update(book)
del book
