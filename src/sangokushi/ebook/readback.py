"""Read a finished EPUB back with ebooklib and list what an e-reader edition lacks."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import ebooklib
from ebooklib import epub

REQUIRED_A11Y = (
    "schema:accessMode",
    "schema:accessModeSufficient",
    "schema:accessibilityFeature",
    "schema:accessibilityHazard",
    "schema:accessibilitySummary",
    "dcterms:conformsTo",
)
ROOT_TAG = re.compile(rb"<html\b[^>]*>", re.DOTALL)
ATTRIBUTE = re.compile(rb'([\w:-]+)="([^"]*)"')
WRITING_MODE = re.compile(r"(?<![-\w])writing-mode:\s*([\w-]+)")


@dataclass
class Edition:
    """What ebooklib reads from an EPUB, raw bytes kept (``get_content`` re-serialises)."""

    path: Path
    title: str
    language: str
    identifier: str
    source: str
    direction: str | None
    properties: dict[str, list[str]]
    named: dict[str, str]
    spine: list[tuple[str, bool]]
    cover_image: str | None
    nav: str | None
    documents: dict[str, bytes] = field(default_factory=dict)
    stylesheets: dict[str, bytes] = field(default_factory=dict)

    def root_attributes(self, href: str) -> dict[str, str]:
        """The attributes of the ``<html>`` element of the document ``href``."""
        tag = ROOT_TAG.search(self.documents[href])
        if tag is None:
            return {}
        return {k.decode(): v.decode() for k, v in ATTRIBUTE.findall(tag.group())}

    def root_writing_modes(self, href: str) -> set[str]:
        """The writing modes the stylesheets give to the root element's classes."""
        classes = self.root_attributes(href).get("class", "").split()
        modes = set()
        for css in self.stylesheets.values():
            text = css.decode("utf-8", "replace")
            for cls in classes:
                for rule in re.finditer(
                    rf"html\.{re.escape(cls)}\s*(?:,[^{{]*)?\{{([^}}]*)\}}", text
                ):
                    modes.update(WRITING_MODE.findall(rule.group(1)))
        return modes


def read_edition(path: Path) -> Edition:
    """Open ``path`` with ebooklib (its NCX ignored: the navigation document rules)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = epub.read_epub(str(path), {"ignore_ncx": True})
    properties: dict[str, list[str]] = {}
    named: dict[str, str] = {}
    for value, attrs in book.get_metadata("OPF", "meta"):
        if "property" in attrs:
            properties.setdefault(attrs["property"], []).append((value or "").strip())
        elif "name" in attrs:
            named[attrs["name"]] = attrs.get("content", "")
    languages = book.get_metadata("DC", "language")
    by_id = {item.get_id(): item for item in book.get_items()}
    spine = [
        (by_id[idref].get_name(), linear != "no") for idref, linear in book.spine if idref in by_id
    ]
    cover = next((item.get_name() for item in book.get_items_of_type(ebooklib.ITEM_COVER)), None)
    nav = next(
        (item.get_name() for item in book.get_items() if isinstance(item, epub.EpubNav)), None
    )
    edition = Edition(
        path=path,
        title=book.title,
        language=languages[0][0] if languages else "",
        identifier=book.uid or "",
        source=next((value for value, _ in book.get_metadata("DC", "source")), ""),
        direction=book.direction,
        properties=properties,
        named=named,
        spine=spine,
        cover_image=cover,
        nav=nav,
    )
    for item in book.get_items():
        if item.media_type == "application/xhtml+xml":
            edition.documents[item.get_name()] = item.content
        elif item.media_type == "text/css":
            edition.stylesheets[item.get_name()] = item.content
    return edition


def problems(edition: Edition, *, vertical: bool, cover: bool = True) -> list[str]:
    """What ``edition`` lacks as an accessible (and, if ``vertical``, 縦書き) e-reader book."""
    found: list[str] = []
    lang = edition.language
    if not lang:
        found.append("no dc:language")
    for prop in REQUIRED_A11Y:
        if not any(edition.properties.get(prop, [])):
            found.append(f"no {prop} metadata")
    if edition.nav is None:
        found.append("no navigation document")
    if cover:
        if edition.cover_image is None:
            found.append("no manifest item with properties='cover-image'")
        first = next((href for href, linear in edition.spine if linear), None)
        if first is None or edition.cover_image is None:
            found.append("no cover page first in the spine")
        elif edition.cover_image.rsplit("/", 1)[-1].encode() not in edition.documents[first]:
            found.append(f"first spine item {first} does not show the cover image")
    mode = "vertical-rl" if vertical else "horizontal-tb"
    expected_direction = "rtl" if vertical else "ltr"
    if edition.direction != expected_direction:
        found.append(
            f"page-progression-direction is {edition.direction!r}, not {expected_direction!r}"
        )
    if vertical and edition.named.get("primary-writing-mode") != "vertical-rl":
        found.append("no <meta name='primary-writing-mode' content='vertical-rl'/>")
    for href in sorted(edition.documents):
        attrs = edition.root_attributes(href)
        if attrs.get("lang") != lang or attrs.get("xml:lang") != lang:
            found.append(f"{href}: <html> lacks lang/xml:lang={lang!r}")
        modes = edition.root_writing_modes(href)
        if modes != {mode}:
            found.append(f"{href}: root writing mode is {sorted(modes) or 'unset'}, not {mode}")
    return found
