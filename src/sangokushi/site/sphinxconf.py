"""Sphinx settings of the versioned site, switched on by the data ``make site`` hands over."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sphinx.errors import ConfigError

HERE = Path(__file__).resolve().parent
SIDEBAR = [
    "navbar-logo.html",
    "version-switcher.html",
    "sangokushi-downloads.html",
    "search-button-field.html",
    "sbt-sidebar-nav.html",
]


def site_data(namespace: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The version data `make site` hands this build through sphinx-polyversion, if any."""
    if not environ.get("POLYVERSION_DATA"):
        return None
    from sphinx_polyversion.api import load

    data = load(namespace)
    url, version, kind = data.get("url", ""), data.get("version", ""), data.get("kind", "")
    if not url.endswith("/") or not version or kind not in ("release", "branch"):
        raise ConfigError(
            "site mode needs a url (ending in /), a version and a kind (release or branch) "
            "in POLYVERSION_DATA: build the site with `make site`"
        )
    return data


def configure_site(namespace: dict[str, Any], environ: Mapping[str, str] = os.environ) -> None:
    """Turn ``namespace`` (conf.py's globals) into the site's configuration, when asked to."""
    data = site_data(namespace, environ)
    if data is None:
        if canonical := environ.get("READTHEDOCS_CANONICAL_URL", ""):
            namespace["html_baseurl"] = canonical
        return
    url, version, kind = data["url"], data["version"], data["kind"]
    baseurl = f"{url}{version}/"
    files: list[dict[str, str]] = data.get("downloads", [])
    if folder := data.get("downloads_dir", ""):
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
