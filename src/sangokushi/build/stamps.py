"""Whether a published edition is up to date: a digest of its inputs, and its output's state."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

import sangokushi

# Left beside an edition's work folder while Sphinx or its post-step runs: if it is still
# there next time, that run was cut short and its incremental state is not trusted.
RUNNING = ".running"

# Environment variables that reach an edition's bytes: the build time, LaTeX's options and
# search paths, the locale, and the data `make site` and Read the Docs hand to conf.py.
ENVIRON = (
    "SOURCE_DATE_EPOCH",
    "FORCE_SOURCE_DATE",
    "LATEXOPTS",
    "LATEXMKOPTS",
    "TEXINPUTS",
    "TEXMFHOME",
    "TEXMFCNF",
    "TEXMFCACHE",
    "TEXMFVAR",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "PATH",
    "PYTHONPATH",
    "PYTHONHASHSEED",
)
ENVIRON_PREFIXES = ("POLYVERSION", "READTHEDOCS", "SANGOKUSHI", "SPHINX")
# Read as the command's arguments, which are inputs of their own (``Build.fingerprint``).
ARGUMENTS = frozenset({"SPHINXOPTS", "SOURCEDIR", "BUILDDIR"})
# What the Debian packages (TeX Live, fonts, latexmk) changed last: dpkg's status file.
DPKG_STATUS = Path("/var/lib/dpkg/status")
_NOT_INPUTS = frozenset({"__pycache__", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def _hash_tree(digest: hashlib.blake2b, root: Path, exclude: Sequence[Path] = ()) -> None:
    """Feed ``digest`` every file's path and content under ``root`` (sorted, no caches)."""
    if root.is_file():
        digest.update(b"F" + root.name.encode() + b"\0" + root.read_bytes())
        return
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = sorted(
            d for d in subfolders if d not in _NOT_INPUTS and (here / d).resolve() not in exclude
        )
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = here / name
            digest.update(os.fsencode(path.relative_to(root)) + b"\0")
            with suppress(OSError):  # a dangling link: its name is the input
                digest.update(hashlib.blake2b(path.read_bytes()).digest())


def inputs_fingerprint(sourcedir: Path, builddir: Path) -> str:
    """A digest of everything any edition is built from, but the edition's own entry.

    The sources under SOURCEDIR (book.toml, conf.py, templates, CSS, images), this
    package's code, templates and static files, the Python packages installed (names and
    versions), the Debian packages (dpkg's status), the interpreter, and the environment
    variables of ``ENVIRON``.
    """
    digest = hashlib.blake2b()
    exclude = [builddir.resolve()]
    for root in (sourcedir, Path(sangokushi.__file__).parent):
        digest.update(b"\1" + os.fsencode(root.name))
        if root.exists():
            _hash_tree(digest, root, exclude)
    installed = set()
    for entry in sys.path:
        with suppress(OSError):
            installed.update(
                n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info"))
            )
    digest.update("\n".join(sorted(installed)).encode())
    with suppress(OSError):
        status = DPKG_STATUS.stat()
        digest.update(f"{status.st_size}:{status.st_mtime_ns}".encode())
    environ = {
        k: v
        for k, v in os.environ.items()
        if k in ENVIRON or (k.startswith(ENVIRON_PREFIXES) and k not in ARGUMENTS)
    }
    digest.update(json.dumps([sys.version, sys.executable, sorted(environ.items())]).encode())
    return digest.hexdigest()


def output_state(path: Path) -> str:
    """What the published edition is now (size and time of each file): touched means rebuilt."""
    if path.is_file():
        status = path.stat()
        return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"
    if not path.is_dir():
        return ""
    digest = hashlib.blake2b()
    for folder, subfolders, files in os.walk(path):
        subfolders.sort()
        for name in sorted(files):
            status = (Path(folder) / name).stat()
            where = os.fsencode(Path(folder, name).relative_to(path))
            digest.update(where + f"\0{status.st_size}:{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()
