"""Edition facts for the colophon: version, build date and toolchain."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sangokushi import DISTRIBUTION
from sangokushi.facts import Facts


def toolkit_version() -> str:
    """The version of this toolkit, as installed (or ``?`` from a bare source tree)."""
    return _dist_version(DISTRIBUTION)


# The latest time datetime (and so the colophon) can show: 9999-12-31T23:59:59Z.
LATEST = 253402300799


class InvalidEpoch(ValueError):
    """``SOURCE_DATE_EPOCH`` is set to something that is not a time."""


def source_date_epoch(environ: Mapping[str, str] = os.environ) -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds since 1970, ``None`` when unset; else ``InvalidEpoch``."""
    text = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > LATEST:
        raise InvalidEpoch(
            f"SOURCE_DATE_EPOCH={text!r} is not a time: it takes whole seconds since "
            "1970-01-01 00:00 UTC, 0 to 253402300799 (such as 1700000000), or leave it "
            "unset for the last commit's time"
        )
    return int(text)


def commit_time(repo: Path, ref: str = "HEAD") -> int | None:
    """The committer time of ``ref`` in the git repository at ``repo``, if there is one."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%ct", ref, "--"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return int(out) if out else None
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def build_timestamp(root: Path) -> int:
    """The edition's time: ``SOURCE_DATE_EPOCH``, else the last commit's time, else the start
    of today (UTC).

    ``sangokushi build`` calls this once per build and hands the result to everything it runs
    as ``SOURCE_DATE_EPOCH``. A book outside git takes the day, not the second: the time is in
    every edition's key, so a new one each build would re-read the whole book every time; an
    edition's dates are days (発行日), and builds of one day give the same bytes.
    """
    epoch = source_date_epoch()
    if epoch is None:
        epoch = commit_time(root)
    if epoch is None:
        today = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        epoch = int(today.timestamp())
    return epoch


def edition_timestamp(facts: Facts, folder: Path) -> int:
    """The time of the edition's 発行日: the book's ``date``, else the build's time."""
    if facts.date:
        day = datetime.strptime(facts.date, "%Y-%m-%d").replace(tzinfo=UTC)
        return int(day.timestamp())
    return build_timestamp(folder)


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
        parts += ["upLaTeX・dvipdfmx（jlreqクラス）", "原ノ味フォント"]
    elif edition == "epub":
        parts.append("原ノ味フォント（表紙）")
    elif edition == "html":
        parts.append(f"sphinx-book-theme {_dist_version('sphinx-book-theme')}")
    return "、".join(parts)
