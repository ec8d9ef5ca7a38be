"""``sangokushi new``: a new book's folder, from the starter book (also the author's guide)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sangokushi.build.errors import BuildError
from sangokushi.facts import BOOK_FILE, STEM, load, toml_string
from sangokushi.page import PAPERS

STARTER = Path(__file__).resolve().parent.parent / "templates" / "new"
PLACEHOLDER = "{{title}}"
# Characters MyST would read as markup at the start of, or inside, a heading's text.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")


def default_name(title: str) -> str:
    """A file stem for ``title``: its ASCII words, or ``book`` when it has none."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "-".join(w.lower() for w in words)[:40].strip("-") or "book"


def book_toml(title: str, author: str, paper: str, name: str) -> str:
    """The starter ``book.toml``: the facts given, and every other key with its default."""
    return f"""# The facts of this book: every edition reads them (sangokushi build).
[book]
title = {toml_string(title)}
title_reading = ""          # 書名の読み（ひらがな）: e-book stores sort by it
subtitle = ""
author = {toml_string(author)}
author_reading = ""         # 著者名の読み
publisher = ""              # 発行者（空なら著者名）
rights = ""                 # 権利表記（空なら「発行年 著者名」）
version = "1.0.0"           # 1.0.0 = 第1版第1刷; 1.1.0 = 第1版第2刷; 2.0.0 = 第2版
date = ""                   # 発行日 YYYY-MM-DD（空なら最後のコミットの日付）
language = "ja"
name = {toml_string(name)}  # the file stem: build/epub/{name}.epub, build/pdf/{name}.pdf
description = ""
editions = ["html", "epub", "epub-tate", "pdf", "pdf-print", "pdf-tate", "pdf-tate-print"]

[page]
paper = {toml_string(paper)}   # {" | ".join(PAPERS)}

[title_page]                # 扉
lines = []                  # the title in the lines you want, e.g. ["前半", "後半"]
note = ""

[colophon]                  # 奥付: lines added under the book's facts
lines = []
"""


def create(folder: Path, title: str, author: str, paper: str = "A5", name: str = "") -> Path:
    """Write a new book into ``folder`` (which must be empty or not exist); return book.toml."""
    paper = paper.upper()
    if paper not in PAPERS:
        raise BuildError(f"--paper {paper}: not one of {', '.join(PAPERS)}")
    name = name or default_name(title)
    if not STEM.match(name):
        raise BuildError(f"--name {name!r}: a file name stem takes a-z, 0-9, '.', '_' and '-'")
    if not title.strip() or not author.strip():
        raise BuildError("--title and --author must not be empty")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BuildError(f"{folder} is not an empty folder: a new book needs one of its own")
    shutil.copytree(STARTER, folder, dirs_exist_ok=True)
    index = folder / "index.md"
    heading = MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(title.split()))
    index.write_text(
        index.read_text(encoding="utf-8").replace(PLACEHOLDER, heading), encoding="utf-8"
    )
    path = folder / BOOK_FILE
    path.write_text(book_toml(title.strip(), author.strip(), paper, name), encoding="utf-8")
    load(folder)  # what it wrote reads back
    return path
