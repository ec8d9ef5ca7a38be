"""Headless Chromium (Debian's) for the rendering and checker tests, one browser per module."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import BY_NAME, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "build" / "screenshots"
PHONE, TABLET = 390, 800
# Each EPUB's path inside a BUILDDIR, from the editions registry.
EPUBS = {"yoko": BY_NAME["epub"].output, "tate": BY_NAME["epub-tate"].output}


def launch() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def unpack(epub: Path, into: Path) -> list[Path]:
    """The EPUB's content documents in spine order (from the OPF), unpacked into ``into``."""
    with zipfile.ZipFile(epub) as ocf:
        ocf.extractall(into)
    import re

    opf = (into / "content.opf").read_text(encoding="utf-8")
    items = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    return [into / items[i] for i in spine if items.get(i, "").endswith(".xhtml")]


def html_pages(html: Path) -> list[Path]:
    """Every page of the online edition."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
