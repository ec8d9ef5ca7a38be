"""Shared fixtures: sphinx.testing roots and one real build of the whole book."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from sangokushi.build.stamps import FORMATS_VARIABLE
from support import make


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return Path(__file__).parent / "roots"


def shared_dir(factory: pytest.TempPathFactory) -> Path:
    """The run's temporary root: one for every pytest-xdist worker (each has its own below it)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def formats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's preamble formats, kept for every build of it (not the user's cache): the run
    dumps each preamble once, as a machine's first build does."""
    cache = shared_dir(tmp_path_factory) / "formats"
    os.environ[FORMATS_VARIABLE] = str(cache)
    return cache


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All editions of the book, built from a clean state into a temporary BUILDDIR.

    Built once per test run: under pytest-xdist the first worker that needs it builds it while
    holding a lock, the others wait for it and read the same folder (no test writes into it).
    """
    builddir = shared_dir(tmp_path_factory) / "book"
    done = builddir.with_name("book.done")
    with open(builddir.with_name("book.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            builddir.mkdir(exist_ok=True)
            said = make("book", BUILDDIR=builddir).stderr
            builddir.with_name("book.stderr").write_text(said, encoding="utf-8")
            done.touch()
    return builddir
