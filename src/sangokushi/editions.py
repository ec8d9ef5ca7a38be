"""Every edition of the book, declared once; ``python -m sangokushi.editions`` builds them."""

from __future__ import annotations

import argparse
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

# Names other modules share: the files' stem, the vertical editions' suffix.
BOOK = "llm-sangokushi"
TATE = "-tate"

# What an edition's Sphinx output becomes, once its post-step has run: a file or a folder.
PostStep = Callable[["Edition", Path], Path]


def _latexmk(edition: Edition, workdir: Path) -> Path:
    from sangokushi import pdf

    return pdf.build_pdf(workdir / f"{BOOK}.tex")


@dataclass(frozen=True)
class Edition:
    """One edition: how Sphinx builds it, where it is published, what checks it.

    ``output`` is relative to BUILDDIR. ``form`` is ``html`` (a folder), ``epub`` or ``pdf``
    (a file): it picks the quick validity check run before publishing and the text extractor
    of ``sangokushi.fidelity``. ``checks`` names the publisher's checks the tests run on it
    (``fidelity``, ``epubcheck``, ``pdf``). ``group`` is the make target that builds it;
    ``readthedocs`` the Read the Docs download format it supplies. ``environment`` names
    another edition whose Sphinx environment (doctrees) this one shares: only for editions
    of the same builder whose overrides are no ``env`` config values (they change the
    writing, not the reading); editions that share one write every page from it.
    """

    name: str
    builder: str
    output: str
    form: str
    group: str
    label: str = ""
    overrides: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    post: PostStep | None = None
    checks: tuple[str, ...] = ("fidelity",)
    vertical: bool = False
    readthedocs: str = ""
    environment: str = ""

    @property
    def filename(self) -> str:
        return Path(self.output).name

    def published(self, builddir: Path) -> Path:
        return builddir / self.output

    def workdir(self, builddir: Path) -> Path:
        return builddir / "work" / self.name

    def doctrees(self, builddir: Path) -> Path:
        return builddir / "doctrees" / (self.environment or self.name)

    def stamp(self, builddir: Path) -> Path:
        """What the published edition was built from (see ``fingerprint``)."""
        return builddir / "work" / f"{self.name}{STAMP}"

    def sphinx_args(self, sourcedir: Path, builddir: Path, options: Sequence[str]) -> list[str]:
        """``sphinx-build``'s arguments for this edition (options from SPHINXOPTS last)."""
        args = ["-b", self.builder, "-W", "--keep-going", "-n"]
        args += ["-d", str(self.doctrees(builddir))]
        if self.environment or self.name in {e.environment for e in EDITIONS}:
            # Pages whose doctree the other edition's run changed have an unchanged source:
            # only writing every page keeps them from going stale.
            args.append("-a")
        for key, value in self.overrides.items():
            args += ["-D", f"{key}={value}"]
        for tag in self.tags:
            args += ["-t", tag]
        return [*args, *options, str(sourcedir), str(self.workdir(builddir))]

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "builder": self.builder,
            "output": self.output,
            "form": self.form,
            "group": self.group,
            "label": self.label,
            "checks": list(self.checks),
            "vertical": self.vertical,
            "readthedocs": self.readthedocs,
            "environment": self.environment,
        }


EDITIONS: tuple[Edition, ...] = (
    Edition("html", "html", output="html", form="html", group="html"),
    Edition(
        "epub",
        "epub",
        output=f"epub/{BOOK}.epub",
        form="epub",
        group="epub",
        label="EPUB（横書き）",
        checks=("fidelity", "epubcheck"),
        readthedocs="epub",
    ),
    Edition(
        "epub-tate",
        "epub",
        output=f"epub/{BOOK}{TATE}.epub",
        form="epub",
        group="epub",
        label="EPUB（縦書き）",
        overrides={"epub_writing_mode": "vertical", "epub_basename": f"{BOOK}{TATE}"},
        checks=("fidelity", "epubcheck"),
        vertical=True,
        environment="epub",
    ),
    Edition(
        "pdf",
        "latex",
        output=f"pdf/{BOOK}.pdf",
        form="pdf",
        group="pdf",
        label="PDF（A5判）",
        post=_latexmk,
        checks=("fidelity", "pdf"),
        readthedocs="pdf",
    ),
    # The same LaTeX with another sangokushi.book.PDF_VARIANTS entry, written from the reading
    # PDF's environment (book_pdf_variant is read only when writing); tests/test_pdf.py checks
    # them (page boxes, colours, direction, and the vertical text read column by column).
    Edition(
        "pdf-print",
        "latex",
        output=f"pdf/{BOOK}-print.pdf",
        form="pdf",
        group="pdf-print",
        label="PDF（印刷所入稿用・トンボ付き）",
        overrides={"book_pdf_variant": "print"},
        post=_latexmk,
        checks=("fidelity", "pdf"),
        environment="pdf",
    ),
    Edition(
        "pdf-tate",
        "latex",
        output=f"pdf/{BOOK}{TATE}.pdf",
        form="pdf",
        group="pdf-tate",
        label="PDF（縦書き）",
        overrides={"book_pdf_variant": "tate"},
        post=_latexmk,
        checks=("pdf",),
        vertical=True,
        environment="pdf",
    ),
)
BY_NAME: dict[str, Edition] = {e.name: e for e in EDITIONS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(e.group for e in EDITIONS))


def with_check(check: str) -> list[Edition]:
    return [e for e in EDITIONS if check in e.checks]


def downloads() -> list[Edition]:
    """The editions a reader downloads (EPUBs, PDFs), in the order the site lists them."""
    return [e for e in EDITIONS if e.label]


class BuildError(Exception):
    """A build that failed for a reason worth one line (no traceback)."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP during a build."""


# Left beside an edition's work folder while Sphinx or its post-step runs: if it is still
# there next time, that run was cut short and its incremental state is not trusted.
RUNNING = ".running"
# Beside it once the edition is published: the fingerprint of everything it was built from.
STAMP = ".stamp"


# -- quick validity checks, run on what is about to be published --------------------------


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


# -- publishing ----------------------------------------------------------------------------

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


# -- the lock ------------------------------------------------------------------------------

LOCK = ".lock"
_held: list[int] = []


def held_locks() -> tuple[int, ...]:
    """The lock descriptors this process holds, for ``pass_fds`` of the programs it starts."""
    return tuple(_held)


@contextmanager
def locked(builddir: Path, say: Callable[[str], None]) -> Iterator[int]:
    """Hold BUILDDIR's lock: one build at a time in one tree; the next one waits.

    The descriptor is inherited by the programs a build starts, so a build killed while
    LuaLaTeX still runs keeps the tree locked until LuaLaTeX has gone too.
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
        _held.append(fd)
        yield fd
    finally:
        if fd in _held:
            _held.remove(fd)
        os.close(fd)


# -- skipping an edition whose inputs have not changed -------------------------------------

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

    The sources under SOURCEDIR (conf.py, templates, CSS, images), the project's
    pyproject.toml (conf.py reads the version there), this package's code, templates and
    static files, the Python packages installed (names and versions), the Debian packages
    (dpkg's status), the interpreter, and the environment variables of ``ENVIRON``.
    """
    digest = hashlib.blake2b()
    exclude = [builddir.resolve()]
    for root in (sourcedir, sourcedir.resolve().parent / "pyproject.toml", Path(__file__).parent):
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


# -- building ------------------------------------------------------------------------------


def run_sphinx(args: Sequence[str]) -> tuple[int, list[str]]:
    """Run Sphinx in this process; return its status and the documents it knows."""
    from sphinx.application import Sphinx
    from sphinx.cmd.build import get_parser
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    parsed = get_parser().parse_args(list(args))
    overrides: dict[str, object] = {}
    for define in parsed.define:
        key, _, value = define.partition("=")
        overrides[key] = value
    for define in parsed.htmldefine:
        key, _, value = define.partition("=")
        overrides[f"html_context.{key}"] = int(value) if value.isdigit() else value
    if parsed.nitpicky:
        overrides["nitpicky"] = True
    status = None if (parsed.quiet or parsed.really_quiet) else sys.stdout
    confdir = parsed.confdir or parsed.sourcedir
    with patch_docutils(confdir), docutils_namespace():
        app = Sphinx(
            srcdir=parsed.sourcedir,
            confdir=None if parsed.noconfig else confdir,
            outdir=parsed.outputdir,
            doctreedir=parsed.doctreedir,
            buildername=parsed.builder,
            confoverrides=overrides,
            status=status,
            warning=None if parsed.really_quiet else sys.stderr,
            freshenv=parsed.freshenv,
            warningiserror=parsed.warningiserror,
            tags=parsed.tags,
            verbosity=parsed.verbosity,
            parallel=parsed.jobs,
        )
        app.build(parsed.force_all, parsed.filenames)
        return app.statuscode, sorted(app.env.found_docs)


# At most this many post-steps (LaTeX) at once, in the background, while the main thread
# runs the next edition's Sphinx: on 2 cores LaTeX (one core each) would otherwise leave one idle.
POST_JOBS = 2
# How long an interrupted LaTeX job gets to end after SIGTERM before it gets SIGKILL.
STOP_GRACE = 5.0


def started_groups() -> list[int]:
    """The process groups this process started (latexmk runs in its own): their leaders."""
    me, found = os.getpid(), []
    with suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid, pgrp = (int(n) for n in stat[stat.rindex(")") + 2 :].split()[1:3])
            if ppid == me and pgrp == int(entry.name):
                found.append(pgrp)
    return found


class PostSteps:
    """Editions' post-steps (LaTeX) run by ``POST_JOBS`` threads, each publishing when done."""

    def __init__(self, stopping: threading.Event, jobs: int = POST_JOBS) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="post-step")
        self.futures: list[Future[None]] = []
        self.failures: list[str] = []
        self.stopping = stopping

    def submit(self, job: Callable[[], str | None]) -> None:
        """Run ``job`` in the background; a text it returns is a failure's one line."""

        def run() -> None:
            if not self.stopping.is_set() and (failure := job()):
                self.failures.append(failure)

        self.futures.append(self.pool.submit(run))

    def wait(self, meanwhile: Callable[[], None]) -> None:
        """Wait for every job, calling ``meanwhile`` now and then; raise what a job raised."""
        from concurrent.futures import wait

        while wait(self.futures, timeout=0.2).not_done:  # a signal still interrupts it
            meanwhile()
        meanwhile()
        self.pool.shutdown()
        for future in self.futures:
            future.result()

    def stop(self) -> None:
        """Drop the jobs not started, end the LaTeX process groups running, wait for them."""
        from concurrent.futures import wait

        self.stopping.set()  # the jobs not started return at once
        self.pool.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE
        while True:
            sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
            for group in started_groups():
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            if not wait(self.futures, timeout=0.1).not_done:
                return


@dataclass
class Build:
    """One ``build`` command: where the book is, where it goes, which options Sphinx gets."""

    sourcedir: Path
    builddir: Path
    options: list[str]
    say: Callable[[str], None] = field(default=lambda text: print(f"editions: {text}", flush=True))
    _inputs: str = field(default="", init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _told: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        # Sphinx makes conf.py's folder the current one while it reads it: paths the post-steps
        # use in the background meanwhile must not depend on it.
        self._here = Path.cwd()
        self.builddir = self.builddir.absolute()

    def tell(self, text: str) -> None:
        """``say`` it, from a background thread once the main thread is between Sphinx runs."""
        if threading.current_thread() is threading.main_thread():
            self.say(text)
        else:
            self._told.append(text)

    def told(self) -> None:
        """Say what the background threads told (not in the middle of a Sphinx run's line)."""
        while self._told:
            self.say(self._told.pop(0))

    def shown(self, path: Path | str) -> str:
        """``path`` as messages name it: relative to the folder the build started in."""
        path = Path(path)
        return str(path.relative_to(self._here) if path.is_relative_to(self._here) else path)

    @property
    def staging(self) -> Path:
        return self.builddir / ".staging"

    def fingerprint(self, edition: Edition) -> str:
        """The digest of everything ``edition`` is built from (the shared part computed once)."""
        if not self._inputs:
            self._inputs = inputs_fingerprint(self.sourcedir, self.builddir)
        own = [edition.describe(), dict(edition.overrides), edition.tags, self.options]
        own.append(sorted(e.name for e in EDITIONS if e.environment == edition.name))
        text = json.dumps([self._inputs, str(self.sourcedir.resolve()), own], default=str)
        return hashlib.blake2b(text.encode()).hexdigest()

    def up_to_date(self, edition: Edition) -> bool:
        """Whether the published ``edition`` was built from exactly today's inputs."""
        marker = edition.workdir(self.builddir).with_name(edition.name + RUNNING)
        forced = {"-E", "--fresh-env", "-a", "--write-all"} & set(self.options)
        if forced or marker.exists():
            return False
        try:
            stamp = json.loads(edition.stamp(self.builddir).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        target = edition.published(self.builddir)
        return stamp == {"inputs": self.fingerprint(edition), "output": output_state(target)}

    def edition(self, edition: Edition, later: PostSteps | None = None) -> Path:
        """Build ``edition`` and publish it, unless it is up to date; return where it is.

        With ``later``, its post-step and the publishing run there, in the background.
        """
        target = edition.published(self.builddir)
        if self.up_to_date(edition):
            self.say(f"{edition.name}: {self.shown(target)} is up to date")
            return target
        edition.stamp(self.builddir).unlink(missing_ok=True)
        inputs = self.fingerprint(edition)
        docnames = self.sphinx(edition)
        if later is None or edition.post is None:
            self.finish(edition, docnames, inputs)
        else:
            later.submit(lambda: self.failure(edition, self.finish, edition, docnames, inputs))
        return target

    def sphinx(self, edition: Edition) -> list[str]:
        """Run Sphinx for ``edition`` into its work folder; return the documents it knows."""
        from sphinx.errors import SphinxError

        workdir = edition.workdir(self.builddir)
        workdir.mkdir(parents=True, exist_ok=True)
        marker = workdir.with_name(workdir.name + RUNNING)
        options = list(self.options)
        if marker.exists():
            self.say(f"{edition.name}: the last build was cut short; building it afresh")
            options.append("-E")
            for state in workdir.glob("*.fdb_latexmk"):
                state.unlink()
        marker.touch()
        try:
            args = edition.sphinx_args(self.sourcedir, self.builddir, options)
            status, docnames = run_sphinx(args)
        except SphinxError as exc:
            if {"-T", "--show-traceback"} & set(options):
                raise
            raise BuildError(f"{exc.category}: {exc}") from None
        if status:
            raise BuildError("Sphinx reported the warnings above (with -W they fail the build)")
        return docnames

    def finish(self, edition: Edition, docnames: Sequence[str], inputs: str) -> Path:
        """Run ``edition``'s post-step on Sphinx's output, publish it, then stamp it."""
        workdir = edition.workdir(self.builddir)
        if edition.form == "html":
            built = workdir
        elif edition.post:
            built = edition.post(edition, workdir)
        else:
            built = workdir / edition.filename
        target = edition.published(self.builddir)
        if self._stopping.is_set():
            # Interrupted meanwhile: the work folder's marker stays, the next build starts afresh.
            return target
        publish(built, target, self.staging / edition.name, docnames, edition.form)
        workdir.with_name(workdir.name + RUNNING).unlink()
        self.tell(f"{edition.name}: {self.shown(target)}")
        state = {"inputs": inputs, "output": output_state(target)}
        edition.stamp(self.builddir).write_text(json.dumps(state), encoding="utf-8")
        return target

    def failure(self, edition: Edition, step: Callable[..., object], *args: object) -> str | None:
        """Run ``step``; the one line that says why it failed, or None."""
        try:
            step(*args)
        except BuildError as exc:
            return f"{edition.name}: {exc}{self.kept(edition)}"
        except OSError as exc:
            where = self.shown(exc.filename or self.builddir)
            cause = exc.strerror or str(exc)
            return f"{edition.name}: cannot write {where}: {cause}{self.kept(edition)}"
        return None

    def run(self, editions: Sequence[Edition]) -> list[Path]:
        """Build and publish ``editions`` under BUILDDIR's lock; return where they are.

        Editions with a post-step go first, so that their LaTeX runs in the background beside
        the other editions' Sphinx. A failure in Sphinx (or in publishing in this thread) ends
        the loop as before; a post-step's failure stops nothing else, so which editions get
        built never depends on timing. Every failure is one line of the ``BuildError`` raised
        once everything started has ended.
        """
        from sangokushi import buildinfo

        with locked(self.builddir, self.say):
            shutil.rmtree(self.staging, ignore_errors=True)
            try:
                epoch = buildinfo.build_timestamp(self.sourcedir)
            except buildinfo.InvalidEpoch as exc:
                raise BuildError(str(exc)) from None
            os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
            os.environ["FORCE_SOURCE_DATE"] = "1"
            later = PostSteps(self._stopping)
            failures = later.failures
            try:
                for edition in sorted(editions, key=lambda e: e.post is None):
                    self.told()
                    if failure := self.failure(edition, self.edition, edition, later):
                        failures.append(failure)
                        break
                later.wait(self.told)
            except BaseException:
                later.stop()
                self.told()
                raise
            finally:
                shutil.rmtree(self.staging, ignore_errors=True)
            if failures:
                raise BuildError("\neditions: ".join(failures))
            return [e.published(self.builddir) for e in editions]

    def kept(self, edition: Edition) -> str:
        target = edition.published(self.builddir)
        if target.exists():
            return f"; the previous {self.shown(target)} is kept"
        return ""


def check(editions: Sequence[Edition], sourcedir: Path, builddir: Path) -> list[str]:
    """The publisher's checks that apply to the published ``editions``: what they found."""
    from sangokushi import fidelity
    from sangokushi.ebook import check as ebook_check

    expected = fidelity.expected_sentences(
        sourcedir / "_original" / "essay.txt", sourcedir / "appendix" / "editorial-notes.md"
    )
    found = []
    for edition in editions:
        path = edition.published(builddir)
        if not path.exists():
            found.append(f"{edition.name}: {path} is missing: build it first")
            continue
        if "fidelity" in edition.checks:
            text = fidelity.EXTRACTORS[edition.form](path)
            lost = fidelity.lost_sentences(expected, text)
            found += [f"{edition.name}: lost sentence: {s}" for s in lost]
            print(f"{edition.name}: {len(expected) - len(lost)}/{len(expected)} sentences")
        if "epubcheck" in edition.checks:
            problems = ebook_check.check(path, vertical=edition.vertical)
            found += [f"{edition.name}: {problem}" for problem in problems]
            print(f"{edition.name}: EPUBCheck and read-back: {len(problems)} problems")
    return found


# What builds and tools write in BUILDDIR besides the editions' outputs (and, last, the
# folders of the layout before this registry), so that `make clean` removes them and only them.
WRITTEN = ("work", "doctrees", ".staging", "site", "site-logs", "live", "screenshots")
LEGACY = ("latex", "epub-tate")


def clean(builddir: Path) -> list[Path]:
    """Remove what builds wrote in BUILDDIR, and BUILDDIR itself only if that leaves it empty."""
    removed = []
    if not builddir.is_dir():
        return removed
    with locked(builddir, lambda text: print(f"editions: {text}")):
        outputs = [Path(e.output).parts[0] for e in EDITIONS]
        for name in dict.fromkeys([*outputs, *WRITTEN, *LEGACY]):
            path = builddir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed.append(path)
        (builddir / LOCK).unlink()
    with suppress(OSError):
        builddir.rmdir()
    return removed


# -- the command line ----------------------------------------------------------------------


def select(names: Sequence[str], groups: Sequence[str]) -> list[Edition]:
    """Editions by name or make group, in registry order; all of them when none is named."""
    unknown = [n for n in names if n not in BY_NAME] + [g for g in groups if g not in GROUPS]
    if unknown:
        raise BuildError(
            f"no such edition or group: {', '.join(unknown)} "
            f"(editions: {', '.join(BY_NAME)}; groups: {', '.join(GROUPS)})"
        )
    if not names and not groups:
        return list(EDITIONS)
    return [e for e in EDITIONS if e.name in names or e.group in groups]


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # make passes its own SIGTERM on to this process, which a group kill has already reached:
    # the second one must not cut the clean-up short.
    for other in STOPPING:
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def _directory(text: str, variable: str) -> Path:
    if not text.strip():
        raise BuildError(f"{variable} is empty")
    return Path(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sangokushi.editions", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build and publish editions (default: all)")
    checking = commands.add_parser("check", help="run the checks that apply (default: all)")
    cleaning = commands.add_parser("clean", help="remove what builds wrote")
    for command in (build, checking):
        command.add_argument("names", nargs="*", metavar="EDITION")
        command.add_argument("--group", action="append", default=[], help=", ".join(GROUPS))
        command.add_argument(
            "--sourcedir", default=os.environ.get("SOURCEDIR", "docs"), help="$SOURCEDIR or docs"
        )
    for command in (build, checking, cleaning):
        command.add_argument(
            "--builddir", default=os.environ.get("BUILDDIR", "build"), help="$BUILDDIR or build"
        )
    build.add_argument(
        "--sphinxopts", default=os.environ.get("SPHINXOPTS", ""), help="$SPHINXOPTS: more options"
    )
    listing = commands.add_parser("list", help="the registry, as JSON or by field")
    listing.add_argument("--field", choices=["name", "group"], help="one value per line")
    rtd = commands.add_parser("readthedocs", help="build the edition RTD offers as FORMAT")
    rtd.add_argument("format", choices=sorted({e.readthedocs for e in EDITIONS} - {""}))
    rtd.add_argument("--builddir", default="_build")
    args = parser.parse_args(argv)

    if args.command == "list":
        if args.field:
            values = [getattr(e, args.field) for e in EDITIONS]
            print("\n".join(dict.fromkeys(values)))
        else:
            print(json.dumps([e.describe() for e in EDITIONS], ensure_ascii=False, indent=2))
        return 0
    for signum in STOPPING:
        signal.signal(signum, _interrupt)
    builddir = Path(args.builddir)
    try:
        if args.command == "clean":
            for path in clean(_directory(args.builddir, "BUILDDIR")):
                print(f"editions: removed {path}")
            return 0
        if args.command == "check":
            found = check(select(args.names, args.group), Path(args.sourcedir), builddir)
            for problem in found:
                print(problem, file=sys.stderr)
            return 1 if found else 0
        if args.command == "readthedocs":
            output = Path(os.environ.get("READTHEDOCS_OUTPUT", "_readthedocs"))
            chosen = [e for e in EDITIONS if e.readthedocs == args.format]
            runner = Build(Path("docs"), builddir, [])
            for path in runner.run(chosen):
                folder = output / args.format
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, folder / path.name)
            return 0
        builddir = _directory(args.builddir, "BUILDDIR")
        runner = Build(
            _directory(args.sourcedir, "SOURCEDIR"), builddir, shlex.split(args.sphinxopts)
        )
        runner.run(select(args.names, args.group))
    except BuildError as exc:
        print(f"editions: {exc}", file=sys.stderr)
        return 1
    except Interrupted as exc:
        print(
            f"editions: interrupted ({exc}); nothing half-built was published in {builddir}",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:
        print(f"editions: cannot write {exc.filename or builddir}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Run the imported module's main: pdf.py raises sangokushi.editions.BuildError, which is
    # not this __main__ module's class, and would escape its except clause as a traceback.
    from sangokushi import editions as _registry

    sys.exit(_registry.main())
