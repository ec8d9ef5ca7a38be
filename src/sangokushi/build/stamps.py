"""Whether a published edition is up to date, and what Sphinx must re-read: digests of inputs."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import sangokushi

# Left beside an edition's work folder while Sphinx or its post-step runs: if it is still
# there next time, that run was cut short and its incremental state is not trusted.
RUNNING = ".running"
# In a Sphinx environment's doctrees folder once a run read it whole: what it was read from.
READ = "sangokushi-read.json"

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
# Where sangokushi.build.latex keeps preamble formats for every build: it changes no byte.
FORMATS_VARIABLE = "SANGOKUSHI_FORMATS"
# Read as the command's arguments, which are inputs of their own (``Build.fingerprint``), or
# where a cache is kept.
ARGUMENTS = frozenset({"SPHINXOPTS", "SOURCEDIR", "BUILDDIR", FORMATS_VARIABLE})
# What the Debian packages (TeX Live, fonts) changed last: dpkg's status file.
DPKG_STATUS = Path("/var/lib/dpkg/status")
_NOT_INPUTS = frozenset({"__pycache__", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
# Files of a source folder that are code, not text: a change re-reads the whole book.
CODE_SUFFIXES = (".py", ".toml")
# Special files with these names would be read by Sphinx as documents: it would wait forever.
DOCUMENT_SUFFIXES = (".md", ".rst", ".txt", ".ipynb")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def file_digest(path: Path) -> str:
    """The digest of a regular file's bytes; of its name alone when it cannot be read."""
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "blake2b").hexdigest()
    except OSError:  # a dangling link: its name is the input
        return ""


@dataclass
class Tree:
    """Every file under a folder, links to folders followed: its path and its bytes' digest."""

    files: dict[str, str] = field(default_factory=dict)
    # Special files (FIFOs, sockets, devices) left out, with what they are.
    skipped: dict[Path, str] = field(default_factory=dict)

    def digest(self) -> str:
        return hashlib.blake2b(json.dumps(sorted(self.files.items())).encode()).hexdigest()


def scan(root: Path, exclude: Sequence[Path] = ()) -> Tree:
    """The files under ``root`` (sorted, no caches), following links to folders as Sphinx does.

    A special file is never opened (a FIFO would block the build): it is listed in
    ``skipped``. A folder reached twice through links is read once.
    """
    tree = Tree()
    if root.is_file():
        tree.files[root.name] = file_digest(root)
        return tree
    seen: set[Path] = set()
    excluded = {p.resolve() for p in exclude}
    for folder, subfolders, files in os.walk(root, followlinks=True):
        here = Path(folder)
        real = here.resolve()
        if real in seen or real in excluded:
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = sorted(d for d in subfolders if d not in _NOT_INPUTS)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = here / name
            key = os.fsdecode(path.relative_to(root))
            try:
                mode = path.stat().st_mode
            except OSError:
                tree.files[key] = ""
                continue
            if stat.S_ISREG(mode):
                tree.files[key] = file_digest(path)
            else:
                tree.skipped[path] = _kind(mode)
    return tree


def toolkit_digest() -> str:
    """A digest of what builds every book besides its sources.

    This package's code, templates and static files, the Python packages installed (names
    and versions), the Debian packages (dpkg's status), the interpreter, and the environment
    variables of ``ENVIRON``.
    """
    digest = hashlib.blake2b()
    digest.update(scan(Path(sangokushi.__file__).parent).digest().encode())
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


def is_code(key: str) -> bool:
    return key.endswith(CODE_SUFFIXES)


def outside(paths: Iterable[Path], sourcedir: Path) -> list[Path]:
    """Of the files Sphinx read, those outside ``sourcedir`` (an ``{include}`` of ``../x``)."""
    root = Path(os.path.abspath(sourcedir))
    found = {Path(os.path.abspath(p)) for p in paths}
    return sorted(p for p in found if not p.is_relative_to(root))


@dataclass(frozen=True)
class Read:
    """What a Sphinx environment was read from: the code, and each source's digest."""

    code: str
    sources: Mapping[str, str]

    @classmethod
    def load(cls, doctrees: Path) -> Read | None:
        try:
            data = json.loads((doctrees / READ).read_text(encoding="utf-8"))
            return cls(str(data["code"]), dict(data["sources"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, doctrees: Path) -> None:
        text = json.dumps({"code": self.code, "sources": dict(sorted(self.sources.items()))})
        (doctrees / READ).write_text(text, encoding="utf-8")

    def outside(self) -> list[Path]:
        """The files outside the source folder this environment read (absolute keys)."""
        return [Path(k) for k in self.sources if os.path.isabs(k)]


def touch_changed(sourcedir: Path, then: Read, now: Mapping[str, str], when: float) -> list[Path]:
    """Give each source whose bytes changed since ``then`` a time after ``when``.

    Sphinx re-reads a document when its file, or one it depends on, is newer than its last
    reading; an edit whose time was put back (an archive, a sync tool) is seen only this way.
    """
    touched = []
    later = time.time_ns()
    for key, digest in now.items():
        if then.sources.get(key) == digest:
            continue
        path = Path(key) if os.path.isabs(key) else sourcedir / key
        with suppress(OSError):
            status = path.stat()
            if status.st_mtime <= when:
                os.utime(path, ns=(status.st_atime_ns, max(later, int(when * 1e9) + 1000)))
                touched.append(path)
    return touched


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
