"""Edition facts for the colophon: version, build date and toolchain."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def project_version(root: Path) -> str:
    """The version in ``root/pyproject.toml`` (the checked-out edition), else the installed one."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        with pyproject.open("rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    return _dist_version("llm-sangokushi")


def build_timestamp(root: Path) -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time, else now."""
    if epoch := os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(epoch)
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if out:
            return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass
    return int(datetime.now(tz=UTC).timestamp())


def japanese_date(timestamp: int) -> str:
    """A date as 2026年11月27日 (UTC, so every machine agrees)."""
    day = datetime.fromtimestamp(timestamp, tz=UTC)
    return f"{day.year}年{day.month}月{day.day}日"


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def edition_name(release: str) -> str:
    """The 版 and 刷 of a release: MAJOR.MINOR.PATCH is 第MAJOR版第(MINOR+1)刷.

    A major release changes the text (a new 版); a minor release is a corrected reprint (a new
    刷); a patch release changes only how the book is built, so it stays the same 刷.
    """
    match = re.match(r"(\d+)(?:\.(\d+))?", release)
    if not match:
        raise ValueError(f"release {release!r} is not MAJOR.MINOR.PATCH")
    major, minor = int(match[1]), int(match[2] or 0)
    return f"第{major}版第{minor + 1}刷"


def toolchain(edition: str = "html") -> str:
    """The programs that make one edition ("html", "epub" or "pdf"), with their versions."""
    parts = [f"Sphinx {_dist_version('sphinx')}", f"MyST-Parser {_dist_version('myst-parser')}"]
    if edition == "pdf":
        parts += ["LuaLaTeX（LuaTeX-ja、jlreqクラス）", "原ノ味フォント"]
    elif edition == "html":
        parts.append(f"sphinx-book-theme {_dist_version('sphinx-book-theme')}")
    return "、".join(parts)
