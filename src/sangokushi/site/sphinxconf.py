"""Sphinx settings of the versioned site, switched on by the environment ``make site`` sets."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sphinx.errors import ConfigError

from sangokushi.site.versions import download_label

HERE = Path(__file__).resolve().parent
SIDEBAR = [
    "navbar-logo.html",
    "version-switcher.html",
    "sangokushi-downloads.html",
    "search-button-field.html",
    "sbt-sidebar-nav.html",
]


def size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{math.ceil(n / 1024)} KB"


def downloads(folder: Path) -> list[dict[str, str]]:
    """The files under ``folder/download``, for the sidebar: EPUB 横書き, 縦書き, then PDF."""
    files = sorted(
        (folder / "download").iterdir(),
        key=lambda p: (p.suffix != ".epub", p.name.endswith("-tate.epub"), p.name),
    )
    return [
        {
            "path": f"download/{f.name}",
            "label": download_label(f.name),
            "size": size(f.stat().st_size),
        }
        for f in files
        if f.is_file()
    ]


def configure_site(namespace: dict[str, Any], environ: Mapping[str, str] = os.environ) -> None:
    """Turn ``namespace`` (conf.py's globals) into the site's configuration, when asked to."""
    url = environ.get("SANGOKUSHI_SITE_URL", "")
    if not url:
        if canonical := environ.get("READTHEDOCS_CANONICAL_URL", ""):
            namespace["html_baseurl"] = canonical
        return
    version = environ.get("SANGOKUSHI_SITE_VERSION", "")
    kind = environ.get("SANGOKUSHI_SITE_KIND", "release")
    if not url.endswith("/") or not version or kind not in ("release", "branch"):
        raise ConfigError(
            "site mode needs SANGOKUSHI_SITE_URL (ending in /), SANGOKUSHI_SITE_VERSION and "
            "SANGOKUSHI_SITE_KIND (release or branch): build the site with `make site`"
        )
    baseurl = f"{url}{version}/"
    files: list[dict[str, str]] = []
    if folder := environ.get("SANGOKUSHI_SITE_DOWNLOADS", ""):
        files = downloads(Path(folder))
        namespace["html_extra_path"] = [*namespace.get("html_extra_path", []), folder]

    namespace["extensions"] = [
        *namespace.get("extensions", []),
        "sphinxext.opengraph",
        "notfound.extension",
    ]
    namespace["html_baseurl"] = baseurl  # canonical URLs
    namespace["templates_path"] = [*namespace.get("templates_path", []), str(HERE / "templates")]
    namespace["html_static_path"] = [*namespace.get("html_static_path", []), str(HERE / "static")]
    namespace["html_css_files"] = [*namespace.get("html_css_files", []), "sangokushi-site.css"]
    namespace["html_js_files"] = [
        *namespace.get("html_js_files", []),
        ("sangokushi-site.js", {"data-kind": kind, "defer": "defer"}),
    ]
    options = namespace.setdefault("html_theme_options", {})
    options["switcher"] = {"json_url": f"{url}switcher.json", "version_match": version}
    # The theme would fetch switcher.json while building; it is written after all editions.
    options["check_switcher"] = False
    # pydata's banner is English and compares Sphinx's `version`: sangokushi-site.js has ours.
    options["show_version_warning_banner"] = False
    namespace["html_sidebars"] = {"**": SIDEBAR}
    namespace.setdefault("html_context", {}).update(
        {
            "sangokushi_version": version,
            "sangokushi_downloads": files,
            "sangokushi_prefix": urlsplit(baseurl).path,
        }
    )

    title = namespace.get("project", "")
    namespace["ogp_site_url"] = baseurl
    namespace["ogp_site_name"] = title
    namespace["ogp_type"] = "book"
    namespace["ogp_social_cards"] = {"enable": False}
    namespace["ogp_custom_meta_tags"] = ['<meta property="og:locale" content="ja_JP" />']

    namespace["notfound_urls_prefix"] = urlsplit(baseurl).path
    namespace["notfound_context"] = {
        "title": "ページが見つかりません",
        "body": (
            "<h1>ページが見つかりません</h1>\n"
            f"<p>お探しのページは『{title}』（{version}）にはありません。"
            "左の目次から探すか、"
            f'<a href="{url}">最新版の表紙</a>へお進みください。</p>'
        ),
    }
