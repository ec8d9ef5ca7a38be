"""Editions of the site: which refs are built, in what order, which one is preferred."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from packaging.version import InvalidVersion, Version

# Version names become folder names and URL path segments.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


class SiteError(Exception):
    """Bad input or a failed step, reported as one clear line (no traceback)."""


@dataclass(frozen=True)
class Edition:
    """One version of the book: a release tag or the branch being written."""

    name: str
    commit: str
    release: bool


def base_url(text: str) -> str:
    """``text`` checked as the site's base URL, always ending with ``/``."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SiteError(
            f"SITE_URL must be an http(s) URL such as http://localhost:8000/, not {text!r}"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def release_key(name: str) -> tuple[int, Version, str]:
    """Sort key for release tags: PEP 440 order (v1.10 after v1.9), unparsable names first."""
    try:
        return (1, Version(name.lstrip("vV")), "")
    except InvalidVersion:
        return (0, Version("0"), name)


def is_prerelease(name: str) -> bool:
    key = release_key(name)
    return key[0] == 0 or key[1].is_prerelease


def ordered(editions: list[Edition]) -> list[Edition]:
    """Releases newest first, then the branch."""
    releases = sorted((e for e in editions if e.release), key=lambda e: release_key(e.name))
    return [*reversed(releases), *(e for e in editions if not e.release)]


def preferred(editions: list[Edition]) -> Edition:
    """The newest final release, else the newest pre-release, else the branch."""
    editions = ordered(editions)
    releases = [e for e in editions if e.release]
    finals = [e for e in releases if not is_prerelease(e.name)]
    return (finals or releases or editions)[0]


def label(edition: Edition, best: Edition) -> str:
    if edition == best and edition.release:
        return f"{edition.name}（最新版）"
    return edition.name if edition.release else f"{edition.name}（執筆中）"


def switcher(editions: list[Edition], url: str) -> list[dict[str, object]]:
    """The entries of pydata-sphinx-theme's ``switcher.json``."""
    best = preferred(editions)
    entries: list[dict[str, object]] = []
    for edition in ordered(editions):
        entry: dict[str, object] = {
            "name": label(edition, best),
            "version": edition.name,
            "url": f"{url}{edition.name}/",
        }
        if edition == best:
            entry["preferred"] = True
        entries.append(entry)
    return entries
