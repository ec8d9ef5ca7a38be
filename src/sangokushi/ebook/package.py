"""Write an EPUB's OCF zip container byte for byte the same from the same files."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from sphinx.errors import SphinxError

from sangokushi.buildinfo import InvalidEpoch, build_timestamp

# The metadata files an EPUB opens with, in this order; mimetype must come first, stored.
LEADING = ("mimetype", "META-INF/container.xml", "content.opf", "toc.ncx")
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold
ZIP_END = 4354819199  # 2107-12-31T23:59:59Z, the latest


class PackageError(SphinxError):
    """The EPUB could not be written: one line naming the file and the cause."""

    category = "Cannot write the EPUB"


def build_time() -> int:
    """The edition's time (``sangokushi.buildinfo``: ``SOURCE_DATE_EPOCH``, commit, now)."""
    try:
        return build_timestamp(Path.cwd())
    except InvalidEpoch as exc:
        raise PackageError(str(exc)) from None


def zip_date_time(timestamp: int) -> tuple[int, int, int, int, int, int]:
    """``timestamp`` (UTC) as a zip entry's date and time, clamped to what zip can hold."""
    clamped = min(max(timestamp, ZIP_EPOCH), ZIP_END)
    return time.gmtime(clamped)[:6]


def write_ocf(target: Path, root: Path, names: Iterable[str], timestamp: int) -> None:
    """Zip ``names`` (paths relative to ``root``) into ``target``, metadata first, the rest sorted.

    Every entry gets the same time and permissions, so the bytes depend only on
    the files' contents; ``target`` is replaced atomically, only once the zip is whole
    on disk. An OS error (a full disk, a read-only folder) is a ``PackageError``.
    """
    rest = sorted(set(names) - set(LEADING))
    date_time = zip_date_time(timestamp)
    partial = target.with_name(target.name + ".part")
    try:
        ocf = ZipFile(partial, "w")
        try:
            for name in (*LEADING, *rest):
                info = ZipInfo(name, date_time=date_time)
                info.create_system = 3  # Unix, whatever the build machine
                info.external_attr = 0o100644 << 16
                info.compress_type = ZIP_STORED if name == "mimetype" else ZIP_DEFLATED
                ocf.writestr(info, (root / name).read_bytes(), compresslevel=9)
        except BaseException:
            # An interrupt inside a write leaves that entry open, and closing the zip then
            # raises ValueError in its place: the zip cut short is dropped as it is.
            with suppress(ValueError):
                ocf.close()
            raise
        ocf.close()
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except OSError as exc:
        where = exc.filename or partial
        raise PackageError(f"{where}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
