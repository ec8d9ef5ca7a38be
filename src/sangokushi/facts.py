"""A book's facts, read from the ``book.toml`` in its source folder."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sangokushi.page import PAPERS, PageDesign, page_design

BOOK_FILE = "book.toml"
# Every edition the toolkit knows (sangokushi.build.registry declares them), in build order.
ALL_EDITIONS = ("html", "epub", "epub-tate", "pdf", "pdf-print", "pdf-tate", "pdf-tate-print")
# A file stem: letters, digits, '-', '_' and '.', not starting with '.' or '-'.
STEM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
VERSION = re.compile(r"^\d+(\.\d+){0,2}([.-]?[A-Za-z0-9.]+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FactsError(ValueError):
    """``book.toml`` is missing, malformed or holds a value of the wrong kind."""


@dataclass(frozen=True)
class TitlePage:
    """The 扉: the title broken into lines where the author wants, and a note under it."""

    lines: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything about one book that its editions print or are named by."""

    title: str
    author: str
    name: str
    title_reading: str = ""
    subtitle: str = ""
    author_reading: str = ""
    publisher: str = ""
    rights: str = ""
    version: str = "1.0.0"
    date: str = ""
    language: str = "ja"
    description: str = ""
    identifier: str = ""
    editions: tuple[str, ...] = ALL_EDITIONS
    paper: str = "A5"
    page: PageDesign = field(default_factory=lambda: page_design("A5"))
    tate_page: PageDesign = field(default_factory=lambda: page_design("A5", tate=True))
    title_page: TitlePage = field(default_factory=TitlePage)
    colophon: tuple[str, ...] = ()
    # [print]: the text paper's thickness, mm a sheet (書籍用紙 72.5 kg: about 0.1), for 背幅.
    paper_thickness_mm: float = 0.1
    source: Path | None = None

    @property
    def uid(self) -> str:
        """The work's identifier (EPUB ``dc:identifier`` of the work, XML-name safe)."""
        return self.identifier or f"urn:{self.name}:{self.language}"

    @property
    def title_lines(self) -> tuple[str, ...]:
        return self.title_page.lines or (self.title,)


_STRINGS = (
    "title",
    "author",
    "name",
    "title_reading",
    "subtitle",
    "author_reading",
    "publisher",
    "rights",
    "version",
    "date",
    "language",
    "description",
    "identifier",
)
_TABLES = ("page", "title_page", "colophon", "print")
_PAGE_KEYS = set(PageDesign._fields) - {"paper"}


def _fail(path: Path, message: str) -> FactsError:
    return FactsError(f"{path}: {message}")


def _string(path: Path, table: dict[str, Any], key: str, where: str = "") -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _fail(path, f"{where}{key} must be a string, not {type(value).__name__}")
    if any(ord(c) < 0x20 and c not in "\n\t" for c in value):
        raise _fail(path, f"{where}{key} holds a control character")
    return value.strip()


def _strings(path: Path, table: dict[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, f"{where}{key} must be a list of strings")
    return tuple(v.strip() for v in value)


def _page(path: Path, table: dict[str, Any], paper: str, tate: bool) -> PageDesign:
    where = "[page.tate] " if tate else "[page] "
    unknown = set(table) - _PAGE_KEYS - ({"paper", "tate"} if not tate else set())
    if unknown:
        raise _fail(path, f"{where}unknown key(s): {', '.join(sorted(unknown))}")
    custom = {}
    for key in _PAGE_KEYS & set(table):
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise _fail(path, f"{where}{key} must be a positive number")
        custom[key] = int(value) if key in ("chars", "lines") else float(value)
    try:
        return page_design(paper, tate=tate, **custom)
    except ValueError as exc:
        raise _fail(path, f"{where}{exc}") from None


def parse(text: str, path: Path) -> Facts:
    """The facts in ``text`` (the content of ``path``), or ``FactsError`` naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, str(exc)) from None
    book = data.get("book")
    if not isinstance(book, dict):
        raise _fail(path, "no [book] table (title, author, name, …)")
    unknown = set(book) - set(_STRINGS) - {"editions"}
    unknown |= {f"[{t}]" for t in set(data) - {"book", *_TABLES}}
    if unknown:
        raise _fail(path, f"unknown key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {k: _string(path, book, k) for k in _STRINGS if k in book}
    for key in ("title", "author", "name"):
        if not values.get(key):
            raise _fail(path, f"[book] {key} is missing or empty")
    if not STEM.match(values["name"]):
        raise _fail(path, f"[book] name {values['name']!r} is not a file name stem (a-z 0-9 . _ -)")
    if values.get("version") and not VERSION.match(values["version"]):
        raise _fail(path, f"[book] version {values['version']!r} is not like 1.0.0")
    if values.get("date") and not DATE.match(values["date"]):
        raise _fail(path, f"[book] date {values['date']!r} is not YYYY-MM-DD")
    if "editions" in book:
        editions = _strings(path, book, "editions", "[book] ")
        wrong = [e for e in editions if e not in ALL_EDITIONS]
        if wrong or not editions:
            raise _fail(
                path,
                f"[book] editions: unknown {', '.join(wrong) or '(none given)'} "
                f"(known: {', '.join(ALL_EDITIONS)})",
            )
        values["editions"] = tuple(e for e in ALL_EDITIONS if e in editions)
    page = data.get("page", {})
    tate = page.get("tate", {}) if isinstance(page, dict) else {}
    if not isinstance(page, dict) or not isinstance(tate, dict):
        raise _fail(path, "[page] and [page.tate] must be tables")
    paper = _string(path, page, "paper", "[page] ") or "A5"
    if paper.upper() not in PAPERS:
        raise _fail(path, f"[page] paper {paper!r} is not one of {', '.join(PAPERS)}")
    values["paper"] = paper.upper()
    values["page"] = _page(path, page, values["paper"], tate=False)
    values["tate_page"] = _page(path, tate, values["paper"], tate=True)
    title_page = data.get("title_page", {})
    if not isinstance(title_page, dict) or set(title_page) - {"lines", "note"}:
        raise _fail(path, "[title_page] takes lines (a list) and note")
    values["title_page"] = TitlePage(
        _strings(path, title_page, "lines", "[title_page] "),
        _string(path, title_page, "note", "[title_page] "),
    )
    colophon = data.get("colophon", {})
    if not isinstance(colophon, dict) or set(colophon) - {"lines"}:
        raise _fail(path, "[colophon] takes lines (a list)")
    values["colophon"] = _strings(path, colophon, "lines", "[colophon] ")
    printing = data.get("print", {})
    if not isinstance(printing, dict) or set(printing) - {"paper_thickness_mm"}:
        raise _fail(path, "[print] takes paper_thickness_mm (mm a sheet, e.g. 0.1)")
    if "paper_thickness_mm" in printing:
        value = printing["paper_thickness_mm"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise _fail(
                path,
                f"[print] paper_thickness_mm must be a number of mm over 0 and up to 1 "
                f"(a sheet of 書籍用紙 72.5 kg is about 0.1), not {value!r}",
            )
        values["paper_thickness_mm"] = float(value)
    return Facts(**values, source=path)


def load(folder: Path | str) -> Facts:
    """The facts of the book whose sources are in ``folder`` (its ``book.toml``)."""
    path = Path(folder) / BOOK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FactsError(
            f"{path}: no such file: a book's folder holds book.toml (start one with "
            "`sangokushi new DIR --title … --author …`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read it: {exc}") from None
    return parse(text, path)


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if ord(c) >= 0x20 or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'
