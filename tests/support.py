"""Helpers for the tests: the project's paths, its Makefile and one Sphinx build helper."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sangokushi.build.registry import for_book
from sangokushi.facts import load

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# This book's facts and editions (docs/book.toml), as `sangokushi build docs` builds them.
FACTS = load(DOCS)
BOOK = FACTS.name
EDITIONS = for_book(FACTS)
BY_NAME = {e.name: e for e in EDITIONS}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def make(*targets: str, check: bool = True, **variables: str | Path) -> subprocess.CompletedProcess:
    """Run the project's Makefile as a user would."""
    args = ["make", "-C", str(ROOT), *targets, *(f"{k}={v}" for k, v in variables.items())]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=os.environ)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def pdftotext(pdf: Path, *options: str) -> str:
    """Poppler's text of ``pdf`` (UTF-8), with pdftotext's ``options`` (pages, crop, -bbox)."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def strip_colors(text: str) -> str:
    return ANSI.sub("", text)


@dataclass
class Build:
    """What a ``sphinx_build`` left: its output folder and its warnings, colours stripped."""

    outdir: Path
    warnings: str
    basename: str = ""

    @property
    def epub(self) -> Path:
        """The EPUB an ``epub`` build wrote (named by ``epub_basename``)."""
        return self.outdir / f"{self.basename}.epub"


def sphinx_build(root: Path | None, dest: Path, buildername: str, **overrides: object) -> Build:
    """Build a copy of ``root`` into ``dest`` afresh; without ``root``, rebuild ``dest``."""
    src = dest / "src"
    if root is not None:
        shutil.copytree(root, src)
    app = SphinxTestApp(
        buildername,
        srcdir=src,
        builddir=dest / "_build",
        confoverrides=overrides,
        freshenv=root is not None,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return Build(Path(app.outdir), strip_colors(app.warning.getvalue()), app.config.epub_basename)
