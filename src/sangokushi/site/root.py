"""The site's root: switcher.json, a redirect to the newest edition, 404 page, sitemap, robots."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path
from xml.sax.saxutils import escape

from sangokushi.site.versions import Edition, label, ordered, preferred, switcher

# Pages that are no reading matter: left out of the sitemap.
NOT_IN_SITEMAP = {"search.html", "genindex.html", "404.html"}
SKIP_FOLDERS = {"_static", "_sources", "_images", "download"}


def write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


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
    return title.split(" — ")[-1].strip() or "llm-sangokushi"


def redirect_page(best: Edition, url: str, title: str) -> str:
    """The site's front door: straight on to the preferred edition."""
    target = f"{best.name}/"
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta http-equiv="refresh" content="0; url={target}">
<link rel="canonical" href="{html.escape(url + target)}">
<script>location.replace({json.dumps(target)} + location.hash);</script>
</head>
<body>
<p><a href="{target}">{html.escape(title)}（{html.escape(label(best, best))}）</a></p>
</body>
</html>
"""


def sitemap(out: Path, editions: list[Edition], url: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for edition in editions:
        folder = out / edition.name
        for page in sorted(folder.rglob("*.html")):
            relative = page.relative_to(folder)
            if relative.name in NOT_IN_SITEMAP or SKIP_FOLDERS & set(relative.parts[:-1]):
                continue
            lines.append(
                f"  <url><loc>{escape(url + edition.name + '/' + relative.as_posix())}</loc></url>"
            )
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def write(out: Path, editions: list[Edition], url: str) -> None:
    """Write the root files for the editions built in ``out``."""
    editions = ordered(editions)
    best = preferred(editions)
    write_text(
        out / "switcher.json",
        json.dumps(switcher(editions, url), ensure_ascii=False, indent=2) + "\n",
    )
    title = (
        book_title(out / best.name / "index.html")
        if (out / best.name / "index.html").is_file()
        else "llm-sangokushi"
    )
    write_text(out / "index.html", redirect_page(best, url, title))
    notfound = out / best.name / "404.html"
    if notfound.is_file():
        write_text(out / "404.html", notfound.read_text(encoding="utf-8"))
    write_text(out / "sitemap.xml", sitemap(out, editions, url))
    write_text(out / "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {url}sitemap.xml\n")
    names = ", ".join(e.name for e in editions)
    print(f"site: {out}/ has {names}; {out}/index.html leads to {best.name}")
