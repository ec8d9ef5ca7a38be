"""The site's root: switcher.json, 404 page, and what the root templates are given."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

from sangokushi.build.publish import write_whole
from sangokushi.site.versions import Edition, label, ordered, preferred, switcher

# Pages that are no reading matter: left out of the sitemap.
NOT_IN_SITEMAP = {"search.html", "genindex.html", "404.html"}
SKIP_FOLDERS = {"_static", "_sources", "_images", "download"}


def prune(out: Path, keep: set[str], stamp: str) -> None:
    """Remove editions whose ref is gone, and leftovers of interrupted builds."""
    for child in out.iterdir():
        if not child.is_dir():
            continue
        stale = (child / stamp).is_file() and child.name not in keep
        leftover = child.name.startswith(".") and child.name.endswith((".new", ".old"))
        if stale or leftover:
            print(f"site: removing {child.name}" + (" (no such ref any more)" if stale else ""))
            shutil.rmtree(child)


def book_title(page: Path) -> str:
    found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), flags=re.S)
    title = html.unescape(found.group(1)) if found else ""
    # Sphinx titles the root page "<page> — <project>"; both are the book's title here.
    return title.split(" — ")[-1].strip()


def sitemap_pages(out: Path, editions: list[Edition], url: str) -> list[str]:
    """The URLs of every reading page of ``editions``, for ``sitemap.xml``."""
    pages = []
    for edition in editions:
        folder = out / edition.name
        for page in sorted(folder.rglob("*.html")):
            relative = page.relative_to(folder)
            if relative.name in NOT_IN_SITEMAP or SKIP_FOLDERS & set(relative.parts[:-1]):
                continue
            pages.append(url + edition.name + "/" + relative.as_posix())
    return pages


def context(out: Path, editions: list[Edition], url: str) -> dict[str, Any]:
    """What the root templates (``root_templates/``: index, sitemap, robots) are given."""
    editions = ordered(editions)
    best = preferred(editions)
    index = out / best.name / "index.html"
    return {
        "url": url,
        "target": f"{best.name}/",
        "title": book_title(index) if index.is_file() else "",
        "label": label(best, best),
        "pages": sitemap_pages(out, editions, url),
    }


def write(out: Path, editions: list[Edition], url: str) -> None:
    """Write the root files sphinx-polyversion's templates do not: switcher.json, 404.html."""
    editions = ordered(editions)
    best = preferred(editions)
    write_whole(
        out / "switcher.json",
        json.dumps(switcher(editions, url), ensure_ascii=False, indent=2) + "\n",
    )
    notfound = out / best.name / "404.html"
    if notfound.is_file():
        write_whole(out / "404.html", notfound.read_text(encoding="utf-8"))
    names = ", ".join(e.name for e in editions)
    print(f"site: {out}/ has {names}; {out}/index.html leads to {best.name}")
