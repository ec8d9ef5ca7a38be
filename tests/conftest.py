"""Shared fixtures: sphinx.testing roots and one real build of the whole book."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import make


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return Path(__file__).parent / "roots"


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All editions of the book, built from a clean state into a temporary BUILDDIR."""
    builddir = tmp_path_factory.mktemp("book")
    make("book", BUILDDIR=builddir)
    return builddir
