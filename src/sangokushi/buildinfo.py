"""Edition facts for the colophon: version, build date and toolchain."""

from __future__ import annotations

import os
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


def toolchain() -> str:
    """The programs that build the book, with their versions."""
    parts = [
        f"Sphinx {_dist_version('sphinx')}",
        f"MyST-Parser {_dist_version('myst-parser')}",
        f"sphinx-book-theme {_dist_version('sphinx-book-theme')}",
        "LuaLaTeX (LuaTeX-ja)",
    ]
    return "、".join(parts)
