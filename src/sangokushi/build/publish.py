"""Publishing an edition: copied to staging, checked whole, put in place with one rename."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path

from sangokushi.build.errors import BuildError
from sangokushi.build.lock import LOCK, locked
from sangokushi.build.registry import EDITIONS


def check_pdf(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether ``path`` is a whole PDF: qpdf reads it without repairing it, pages and all."""
    import pikepdf

    try:
        with pikepdf.open(path, attempt_recovery=False) as pdf:
            if not len(pdf.pages):
                return "no pages"
            problems = pdf.check_pdf_syntax()
    except pikepdf.PdfError as exc:
        return f"not a whole PDF: {str(exc).removeprefix(f'{path}: ')}"
    if problems:
        return f"{problems[0].removeprefix('WARNING: ').replace(f'{path} ', '')}"
    return None


# The entries of an EPUB that XML readers parse (EPUB 3: XHTML, package, navigation).
XML_ENTRIES = (".xhtml", ".html", ".htm", ".opf", ".ncx", ".xml", ".svg")


def check_epub(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether ``path`` is a whole EPUB: every entry's CRC, ``mimetype`` first, XML well formed."""
    from xml.etree import ElementTree

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
            for name in names:
                if not name.lower().endswith(XML_ENTRIES):
                    continue
                try:
                    ElementTree.fromstring(epub.read(name))
                except ElementTree.ParseError as exc:
                    return f"{name} is not well-formed XML ({exc})"
    except zipfile.BadZipFile as exc:
        return f"not a zip file ({exc})"
    return None


SEARCH_INDEX = "searchindex.js"


def check_html(path: Path, docnames: Sequence[str] = ()) -> str | None:
    """Whether the HTML tree is whole: a page for every document, each page and the index."""
    for name in (SEARCH_INDEX, "_static"):
        if not (path / name).exists():
            return f"{name} is missing"
    for docname in docnames:
        if not (path / f"{docname}.html").is_file():
            return f"{docname}.html is missing"
    for page in sorted(path.rglob("*.html")):
        if page.relative_to(path).parts[0].startswith("_"):
            continue  # the theme's files (_static), not pages
        if not page.read_bytes().rstrip().endswith(b"</html>"):
            return f"{page.relative_to(path)} is incomplete"
    text = (path / SEARCH_INDEX).read_text(encoding="utf-8", errors="replace").strip()
    head, tail = "Search.setIndex(", ")"
    try:
        if not (text.startswith(head) and text.endswith(tail)):
            raise ValueError(text[-20:])
        json.loads(text[len(head) : -len(tail)])
    except ValueError:
        return f"{SEARCH_INDEX} is incomplete"
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


def write_whole(path: Path, text: str | bytes) -> None:
    """Write ``path`` whole or not at all: beside it first, then renamed into place; what a
    failed write left beside it (a full disk, an interrupt) is removed."""
    partial = path.with_name(path.name + ".part")
    try:
        if isinstance(text, bytes):
            partial.write_bytes(text)
        else:
            partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def linking_unchanged(previous: Path, new: Path) -> Callable[[str, str], object]:
    """A ``copytree`` copy function that links a file the previous edition ``previous`` holds
    with the same bytes instead of copying it (a published edition is never written into,
    only replaced whole). Reading both costs less than writing a copy, which after a large
    build waits for the disk."""

    def copy(source: str, destination: str) -> object:
        before = previous / Path(destination).relative_to(new)
        with suppress(OSError):
            then = os.lstat(before)
            if stat.S_ISREG(then.st_mode) and _same_bytes(source, before, then.st_size):
                os.link(before, destination)
                return destination
        return shutil.copy2(source, destination)

    return copy


def _same_bytes(a: str | Path, b: str | Path, size: int) -> bool:
    # Not filecmp.cmp: its cache answers again for files of the same size and time, which a
    # page rewritten within the same second (a file system of whole seconds) has.
    if os.path.getsize(a) != size:
        return False
    with open(a, "rb") as first, open(b, "rb") as second:
        while chunk := first.read(1 << 20):
            if chunk != second.read(len(chunk)):
                return False
    return True


def put_in_place(
    new: Path, target: Path, discard: Callable[[Path], object] = shutil.rmtree
) -> None:
    """Put ``new`` at ``target`` in one step; the previous ``target`` is then ``discard``-ed.

    A folder is swapped with the previous one in one ``renameat2`` exchange where the system
    can (else two quick renames); ``new`` must be on ``target``'s file system.
    """
    if not new.is_dir() or not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        discard(new)
        return
    old = new.with_name(new.name + ".old")
    target.rename(old)
    new.rename(target)
    discard(old)


def publish(
    built: Path,
    target: Path,
    staging: Path,
    docnames: Sequence[str],
    form: str,
    discard: Callable[[Path], object] = shutil.rmtree,
) -> None:
    """Copy ``built`` to ``staging``, check it, then put it at ``target`` in one rename.

    Until that rename, ``target`` is the previous good edition; after it, the new one. The
    staging folder is BUILDDIR's own (same file system), never beside ``target``; the previous
    folder edition is left in it for ``discard``. A ``target`` that is a symbolic link (a
    deploy link) stays one: the edition replaces what it points to, staged beside that.
    """
    beside = target.is_symlink()
    if beside:
        target = target.resolve()
        staging = target.with_name(f".{target.name}.staging")
    try:
        staging.mkdir(parents=True, exist_ok=True)
        new = staging / target.name
        if built.is_dir():
            shutil.rmtree(new, ignore_errors=True)
            shutil.copytree(built, new, copy_function=linking_unchanged(target, new))
        else:
            shutil.copyfile(built, new)
            _fsync(new)
        if problem := QUICK_CHECKS[form](new, docnames):
            raise BuildError(f"{built} is not a whole {form} ({problem}): not published")
        target.parent.mkdir(parents=True, exist_ok=True)
        put_in_place(new, target, shutil.rmtree if beside else discard)
    finally:
        if beside:
            shutil.rmtree(staging, ignore_errors=True)


# What builds and tools write in BUILDDIR besides the editions' outputs (and, last, the
# folders of the layout before this registry), so that `make clean` removes them and only them.
WRITTEN = ("work", "doctrees", ".staging", "site", "site-logs", "live", "screenshots")
#: Folders a program locks as its own (`make site`, in its logs' folder), with the folders that
#: program writes under that lock: whenever `clean` removes any of them it takes that lock,
#: made if no lock file is there yet (a site starting may be between making the folder and
#: its lock file; removing the folder then would let two sites run at once).
OWN_LOCK = {"site-logs": ("site", "site-logs")}
LEGACY = ("latex", "epub-tate")


def clean(builddir: Path, say: Callable[[str], None]) -> list[Path]:
    """Remove what builds wrote in BUILDDIR, under its lock.

    No lock file is removed: a build waiting on it would otherwise lock a deleted file while
    the next build locks a new one, and two builds would run at once. BUILDDIR's ``.lock``
    stays, and a folder with a lock of its own (``make site``'s, in ``site-logs``) is
    emptied under that lock too, its lock file kept; the site's output is removed under it.
    """
    if not builddir.is_dir():
        return []
    with locked(builddir, say), ExitStack() as held:
        outputs = [Path(e.output).parts[0] for e in EDITIONS]
        names = dict.fromkeys([*outputs, *WRITTEN, *LEGACY])
        paths = [builddir / n for n in names if (builddir / n).is_dir()]
        paths = [p for p in paths if not p.is_symlink()]
        removed = {p.name for p in paths}
        for owner, written in OWN_LOCK.items():
            if removed & set(written):
                held.enter_context(locked(builddir / owner, say))
        for path in paths:
            if path.name not in OWN_LOCK and (path / LOCK).exists():
                held.enter_context(locked(path, say))
        return remove(paths)


def remove(paths: Sequence[Path]) -> list[Path]:
    """Remove ``paths`` (folders), but the lock files directly in them."""
    for path in paths:
        if not (path / LOCK).exists():
            shutil.rmtree(path)
            continue
        for child in path.iterdir():
            if child.name == LOCK:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    return list(paths)
