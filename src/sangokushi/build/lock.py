"""One build at a time per BUILDDIR: an ``flock`` that the programs a build starts inherit."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

LOCK = ".lock"


@contextmanager
def locked(builddir: Path, say: Callable[[str], None]) -> Iterator[int]:
    """Hold BUILDDIR's lock: one build at a time in one tree; the next one waits.

    The descriptor is inherited by the programs a build starts, so a build killed while
    TeX still runs keeps the tree locked until TeX has gone too.
    """
    builddir.mkdir(parents=True, exist_ok=True)
    fd = os.open(builddir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            say(f"another build (pid {holder}) is using {builddir}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        with suppress(OSError):  # the pid is for the message only; a full disk may refuse it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)
