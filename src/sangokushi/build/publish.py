"""Publishing an edition: copied to staging, checked whole, put in place with one rename."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from sangokushi.build.errors import BuildError
from sangokushi.build.lock import locked
from sangokushi.build.registry import EDITIONS


def check_pdf(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether ``path`` is a whole PDF: header, trailer and a cross-reference where it points."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        return "no %PDF- header"
    tail = data[-2048:]
    found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", tail)
    if not found:
        return "no startxref/%%EOF trailer (truncated?)"
    offset = int(found.group(1))
    if offset >= len(data) or not re.match(rb"xref|\d+\s+\d+\s+obj", data[offset : offset + 32]):
        return f"the cross-reference offset {offset} points nowhere"
    return None


def check_epub(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether ``path`` is a whole EPUB zip: every entry's CRC, ``mimetype`` first."""
    try:
        with zipfile.ZipFile(path) as epub:
            bad = epub.testzip()
            names = epub.namelist()
            if bad is not None:
                return f"entry {bad} is damaged"
            if not names or names[0] != "mimetype":
                return "mimetype is not the first entry"
            if epub.read("mimetype") != b"application/epub+zip":
                return "wrong mimetype"
            if "META-INF/container.xml" not in names:
                return "no META-INF/container.xml"
    except zipfile.BadZipFile as exc:
        return f"not a zip file ({exc})"
    return None


def check_html(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether the HTML tree has a whole page for every document, its search index and assets."""
    for name in ("searchindex.js", "_static"):
        if not (path / name).exists():
            return f"{name} is missing"
    for docname in docnames:
        page = path / f"{docname}.html"
        if not page.is_file():
            return f"{docname}.html is missing"
        if not page.read_bytes().rstrip().endswith(b"</html>"):
            return f"{docname}.html is incomplete"
    return None


QUICK_CHECKS: dict[str, Callable[[Path, Sequence[str]], str | None]] = {
    "html": check_html,
    "epub": check_epub,
    "pdf": check_pdf,
}


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(built: Path, target: Path, staging: Path, docnames: Sequence[str], form: str) -> None:
    """Copy ``built`` to ``staging``, check it, then put it at ``target`` in one rename.

    Until that rename, ``target`` is the previous good edition; after it, the new one. The
    staging folder is BUILDDIR's own (same file system), never beside ``target``.
    """
    staging.mkdir(parents=True, exist_ok=True)
    new = staging / target.name
    if built.is_dir():
        shutil.rmtree(new, ignore_errors=True)
        shutil.copytree(built, new)
    else:
        shutil.copyfile(built, new)
        _fsync(new)
    if problem := QUICK_CHECKS[form](new, docnames):
        raise BuildError(f"{built} is not a whole {form} ({problem}): not published")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not new.is_dir() or not target.exists():
        os.replace(new, target)
        return
    # A folder: swap the two in one step where the system can, else two quick renames.
    if _exchange(new, target):
        shutil.rmtree(new)
        return
    old = staging / (target.name + ".old")
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old)


# What builds and tools write in BUILDDIR besides the editions' outputs (and, last, the
# folders of the layout before this registry), so that `make clean` removes them and only them.
WRITTEN = ("work", "doctrees", ".staging", "site", "site-logs", "live", "screenshots")
LEGACY = ("latex", "epub-tate")


def clean(builddir: Path, say: Callable[[str], None]) -> list[Path]:
    """Remove what builds wrote in BUILDDIR, under its lock.

    The lock file itself stays: a build waiting on it would otherwise lock a deleted file
    while the next build locks a new one, and two builds would run at once.
    """
    removed: list[Path] = []
    if not builddir.is_dir():
        return removed
    with locked(builddir, say):
        outputs = [Path(e.output).parts[0] for e in EDITIONS]
        for name in dict.fromkeys([*outputs, *WRITTEN, *LEGACY]):
            path = builddir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed.append(path)
    return removed
