"""Building editions: Sphinx in this process (or forked beside it), LaTeX in the background."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from sangokushi import pagemap
from sangokushi.build import ahead, parts
from sangokushi.build.errors import BuildError
from sangokushi.build.lock import locked
from sangokushi.build.publish import publish
from sangokushi.build.registry import Edition
from sangokushi.build.stamps import (
    DOCUMENT_SUFFIXES,
    READ,
    RUNNING,
    Read,
    Tree,
    file_digest,
    is_code,
    output_state,
    outside,
    scan,
    toolkit_digest,
    touch_changed,
)
from sangokushi.build.timings import FILE as TIMINGS
from sangokushi.build.timings import Phase, Record, Timings

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# What TeX leaves in a work folder: after a run cut short, any of them may be half written.
TEX_STATE = (".aux", ".toc", ".out", ".fls", ".dvi", ".log", ".xdv", ".idx")


@dataclass(frozen=True)
class SphinxRun:
    """What a Sphinx run left: its status, the documents it knows, the files they read."""

    status: int
    docnames: list[str]
    dependencies: frozenset[Path] = frozenset()


class _Tee:
    """Sphinx's warnings to the terminal and, colours stripped, to ``-w FILE``."""

    def __init__(self, stream: TextIO, file: TextIO) -> None:
        self.stream, self.file = stream, file

    def write(self, text: str) -> int:
        from sphinx.util.console import strip_colors

        self.stream.write(text)
        self.file.write(strip_colors(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()
        self.file.flush()


def parse_options(args: Sequence[str]) -> argparse.Namespace:
    """``sphinx-build``'s own parse of ``args``; a ``BuildError`` naming them if they are not.

    Parsed once for the same ``args``: a build asks what its options say some fifty times (an
    edition's key, whether it is forced), 2.5 ms each, most on the main thread; and a parse
    redirects stderr, which a background thread must not do while Sphinx writes there. The
    namespace is shared: read it, never change it.
    """
    return _parse(tuple(args))


@functools.lru_cache(maxsize=64)
def _parse(args: tuple[str, ...]) -> argparse.Namespace:
    from sphinx.cmd.build import get_parser

    parser = get_parser()
    try:
        with redirect_stderr(io.StringIO()) as said:
            parsed = parser.parse_args(list(args))
    except SystemExit:
        why = said.getvalue().strip().splitlines()[-1:] or ["?"]
        raise BuildError(f"SPHINXOPTS: {why[0]} (in {shlex.join(args)})") from None
    if parsed.force_all and parsed.filenames:
        raise BuildError("SPHINXOPTS: -a cannot be combined with file names")
    return parsed


def _record_phases(app: Sphinx, record: Record, started: float) -> Callable[[], None]:
    """Time ``app``'s phases by its events (start, read, check, write); call what is returned
    when the build is over."""
    marks: dict[str, float] = {"start": started, "created": time.monotonic()}
    read: list[int] = []

    def mark(name: str) -> Callable[..., None]:
        def handler(*args: object) -> None:
            marks.setdefault(name, time.monotonic())
            if name == "read" and isinstance(args[2], (list, set)):
                read.append(len(args[2]))

        return handler

    for event, name in (
        ("env-before-read-docs", "read"),
        ("env-updated", "check"),
        ("write-started", "write"),
        ("build-finished", "finished"),
    ):
        app.connect(event, mark(name), priority=1)

    def done() -> None:
        marks["end"] = time.monotonic()
        steps = [
            ("Sphinx start", "start", "created", "extensions, configuration, environment"),
            ("Sphinx read", "read", "check", f"{read[0] if read else 0} documents read"),
            ("Sphinx check", "check", "write", "env-updated, consistency, environment saved"),
            ("Sphinx write", "write", "finished", "resolve, write, finish (index, package)"),
        ]
        for name, begin, end, detail in steps:
            if begin in marks and end in marks:
                record(name, marks[begin], marks[end], detail)

    return done


def run_sphinx(
    args: Sequence[str],
    record: Record | None = None,
    connect: Mapping[str, Callable[..., object]] | None = None,
) -> SphinxRun:
    """Run Sphinx in this process as ``sphinx-build ARGS`` does (``sphinx.cmd.build.build_main``).

    Every option works as there; only an error ends differently: a ``BuildError`` of one
    line (with ``-T`` the exception itself, with ``--pdb`` after the debugger). ``record``
    is told how long each phase took; ``connect`` names handlers of the application's events.
    """
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.console import color_terminal, coloron, nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    parsed = parse_options(args)
    if parsed.color == "no" or (parsed.color == "auto" and not color_terminal()):
        nocolor()
    else:
        coloron()
    overrides: dict[str, object] = {}
    for define in parsed.define:
        key, _, value = define.partition("=")
        overrides[key] = value
    for define in parsed.htmldefine:
        key, _, value = define.partition("=")
        overrides[f"html_context.{key}"] = int(value) if value.isdigit() else value
    if parsed.nitpicky:
        overrides["nitpicky"] = True
    status: TextIO | None = None if (parsed.quiet or parsed.really_quiet) else sys.stdout
    warning: TextIO | None = None if parsed.really_quiet else sys.stderr
    confdir = None if parsed.noconfig else (parsed.confdir or parsed.sourcedir)
    doctreedir = parsed.doctreedir or os.path.join(parsed.outputdir, ".doctrees")
    with ExitStack() as stack:
        if warning is not None and parsed.warnfile:
            path = Path(parsed.warnfile).resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            warning = _Tee(warning, stack.enter_context(path.open("w", encoding="utf-8")))
        stack.enter_context(patch_docutils(confdir or parsed.sourcedir))
        stack.enter_context(docutils_namespace())
        if parsed.verbosity < 2:
            # Sphinx shows its debug messages with -vv only, yet makes a record of each: some
            # 800 as an application sets up its extensions (8 ms), 7 applications a build.
            stack.callback(logging.disable, logging.root.manager.disable)
            logging.disable(logging.DEBUG)
        started = time.monotonic()
        try:
            app = Sphinx(
                srcdir=parsed.sourcedir,
                confdir=confdir,
                outdir=parsed.outputdir,
                doctreedir=doctreedir,
                buildername=parsed.builder,
                confoverrides=overrides,
                status=status,
                warning=warning,
                freshenv=parsed.freshenv,
                warningiserror=parsed.warningiserror,
                tags=parsed.tags,
                verbosity=parsed.verbosity,
                parallel=parsed.jobs,
                pdb=parsed.pdb,
                exception_on_warning=parsed.exception_on_warning,
            )
            done = _record_phases(app, record, started) if record else None
            for event, handler in (connect or {}).items():
                app.connect(event, handler)
            app.build(parsed.force_all, parsed.filenames)
            if done:
                done()
        except Exception as exc:
            if parsed.pdb:
                import pdb

                print(f"sangokushi: {type(exc).__name__}: {exc}", file=sys.stderr)
                pdb.post_mortem(exc.__traceback__)
            if parsed.traceback or parsed.exception_on_warning:
                raise
            if not isinstance(exc, SphinxError):
                raise
            raise BuildError(f"{exc.category}: {exc}") from None
        srcdir = Path(app.srcdir)
        read = {srcdir / str(p) for deps in app.env.dependencies.values() for p in deps}
        return SphinxRun(app.statuscode, sorted(app.env.found_docs), frozenset(read))


@dataclass(frozen=True)
class Apart:
    """An edition's Sphinx run in the process forked beside the HTML's (sangokushi.build.ahead):
    what it said (``say``, stdout, stderr), its phases, its documents and sources, or the
    ``BuildError`` or ``OSError`` that ended it."""

    said: list[str]
    out: str
    err: str
    phases: list[Phase]
    result: tuple[list[str], dict[str, str]] | None = None
    error: BuildError | OSError | None = None


# sphinx-build's options (``dest``) that change what it says, never what it writes; and the
# forced rebuilds, which rebuild whatever the stamps say.
OUTPUT_ONLY = frozenset(
    {"quiet", "really_quiet", "verbosity", "color", "warnfile", "traceback", "pdb", "jobs"}
    | {"force_all", "freshenv", "sourcedir", "outputdir"}
)


# At most this many post-steps (LaTeX) at once, in the background, while the main thread
# runs the next edition's Sphinx: on 2 cores LaTeX (one core each) would otherwise leave one idle.
POST_JOBS = 2
# The phase (sangokushi.build.timings) from a post-step's submission to its start.
SLOT_WAIT = "waits for a LaTeX slot"
# The phase of the main thread waiting for an edition's Sphinx run in the forked process.
AHEAD_WAIT = "waits for its Sphinx beside the HTML"
# Why an EPUB waits for a PDF (and is not built when that PDF fails).
PAGES_WHY = "it marks the printed pages of"
# Why a print shop's PDF waits for its reading PDF (sangokushi.build.impose).
IMPOSES_WHY = "it carries the pages of"
# Beside a print PDF's LaTeX: what its preamble was written from (``Build.preamble_key``); its
# Sphinx is skipped while that stays the same.
PREAMBLE_KEY = ".preamble-key"


class Unbuilt(Exception):
    """An edition not built because an edition it needs failed: why (``PAGES_WHY`` …)."""


# Imported by the setup of an extension of ``sangokushi.conf.EXTENSIONS`` (MyST's Sphinx part),
# before the PDFs' Sphinx is forked (``Build.start_ahead``).
SETUP_IMPORTS = ("myst_parser.sphinx_ext.main",)
# How long an interrupted LaTeX job gets to end after SIGTERM before it gets SIGKILL.
STOP_GRACE = 5.0


class PostSteps:
    """Editions' post-steps (LaTeX) run by ``POST_JOBS`` threads, each publishing when done;
    those that wait for another's first (``after``) by threads of their own, holding no slot."""

    def __init__(self, stopping: threading.Event, jobs: int = POST_JOBS) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="post-step")
        self.following = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="follower")
        self.futures: list[Future[None]] = []
        self.named: dict[str, Future[None]] = {}
        self.failures: list[str] = []
        self.stopping = stopping
        # The process groups the jobs started (each TeX program runs in its own), for ``stop``.
        self.processes: set[subprocess.Popen[str]] = set()
        self._guard = threading.Lock()

    def submit(self, job: Callable[[], str | None], name: str = "", after: bool = False) -> None:
        """Run ``job`` in the background; a text it returns is a failure's one line. ``after``:
        it waits for another job first (a print PDF for its reading PDF), in no LaTeX slot."""

        def run() -> None:
            if not self.stopping.is_set() and (failure := job()):
                self.failures.append(failure)

        self.futures.append(future := (self.following if after else self.pool).submit(run))
        if name:
            self.named[name] = future

    def wait_for(self, name: str, meanwhile: Callable[[], None]) -> None:
        """Wait for the job of edition ``name``, if one runs (``meanwhile`` now and then)."""
        from concurrent.futures import wait

        if (future := self.named.get(name)) is None:
            return
        while wait([future], timeout=0.2).not_done:
            meanwhile()
        future.result()

    @contextmanager
    def running(self, process: subprocess.Popen[str]) -> Iterator[None]:
        """While a job waits for ``process`` (a process group's leader), ``stop`` can end it."""
        with self._guard:
            self.processes.add(process)
        try:
            yield
        finally:
            with self._guard:
                self.processes.discard(process)

    def wait(self, meanwhile: Callable[[], None]) -> None:
        """Wait for every job, calling ``meanwhile`` now and then; raise what a job raised."""
        from concurrent.futures import wait

        while wait(self.futures, timeout=0.2).not_done:  # a signal still interrupts it
            meanwhile()
        meanwhile()
        self.pool.shutdown()
        self.following.shutdown()
        for future in self.futures:
            future.result()

    def stop(self) -> None:
        """Drop the jobs not started, end the LaTeX process groups running, wait for them."""
        from concurrent.futures import wait

        self.stopping.set()  # the jobs not started return at once
        self.pool.shutdown(wait=False)
        self.following.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE
        while True:
            sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
            with self._guard:
                running = [p for p in self.processes if p.returncode is None]
            for process in running:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, sig)
            if not wait(self.futures, timeout=0.1).not_done:
                return


@contextmanager
def source_date(epoch: int) -> Iterator[dict[str, str]]:
    """The build's time for what runs in this process and, as the environment given, outside.

    Sphinx (``config.correct_copyright_year``, ``i18n.format_date``) and the EPUB packager
    read ``SOURCE_DATE_EPOCH`` from ``os.environ`` only: Sphinx has no public API that takes
    the build time, so it is set here for the build and put back afterwards.
    """
    names = ("SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(dict(zip(names, (str(epoch), "1"), strict=True)))
    try:
        yield dict(os.environ)
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class Build:
    """One ``build`` command: where the book is, where it goes, which options Sphinx gets."""

    sourcedir: Path
    builddir: Path
    options: list[str]
    editions: Sequence[Edition] = ()
    say: Callable[[str], None] = field(default=lambda text: print(f"sangokushi: {text}"))
    # The HTML's Sphinx before the PDFs': an author sees the edit on the web page about 1.8 s
    # sooner after a one-paragraph edit, and the whole build ends about 0.5 s later (the PDFs'
    # LaTeX starts after the HTML rather than beside it). "edits": when the HTML has been built
    # before; a build from nothing has no edit to show and starts the PDFs' LaTeX (preamble
    # formats, passes) first, which ends it about 0.4 s sooner. "always": the preview's.
    html_first: Literal["always", "edits", "never"] = "edits"
    _toolkit: str = field(default="", init=False, repr=False)
    _tree: Tree | None = field(default=None, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _told: list[str] = field(default_factory=list, init=False, repr=False)
    _started: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _environ: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _lock: int = field(default=-1, init=False, repr=False)
    _later: PostSteps | None = field(default=None, init=False, repr=False)
    _ahead: ahead.Ahead | None = field(default=None, init=False, repr=False)
    _ahead_fresh: dict[str, Path] = field(default_factory=dict, init=False, repr=False)
    _count: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _shares: dict[tuple[str, bool], bool] = field(default_factory=dict, init=False, repr=False)
    # Each edition whose Sphinx ran in this build: its documents and sources.
    _sphinxed: dict[str, tuple[list[str], dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    timings: Timings = field(default_factory=Timings, init=False, repr=False)

    def __post_init__(self) -> None:
        # Sphinx makes conf.py's folder the current one while it reads it: paths the post-steps
        # use in the background meanwhile must not depend on it.
        self._here = Path.cwd()
        self.builddir = self.builddir.absolute()
        self.sourcedir = self.sourcedir.absolute()

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

    @property
    def tree(self) -> Tree:
        """Every file under SOURCEDIR (computed once); special files left out with a message."""
        if self._tree is None:
            tree = scan(self.sourcedir, [self.builddir])
            for path, kind in tree.skipped.items():
                if path.name.endswith(DOCUMENT_SUFFIXES):
                    raise BuildError(
                        f"{self.shown(path)} is {kind}, not a file: Sphinx would wait on it "
                        "for ever (remove it or give it another name)"
                    )
                self.say(f"{self.shown(path)} is {kind}: left out of the book")
            self._tree = tree
        return self._tree

    def code(self, edition: Edition) -> str:
        """The digest of what a change of re-reads the whole book: code, options, tags."""
        if not self._toolkit:
            self._toolkit = toolkit_digest()
        code = {k: v for k, v in self.tree.files.items() if is_code(k)}
        own = [self._toolkit, sorted(code.items()), self.significant, edition.tags]
        own.append(edition.builder)
        text = json.dumps([*own, str(self.sourcedir.resolve())], default=str)
        return hashlib.blake2b(text.encode()).hexdigest()

    def sources(self, edition: Edition) -> dict[str, str]:
        """Each text source's digest: SOURCEDIR's, and those outside it the last reading used."""
        if not edition.builder:
            return {}  # a cover reads no text: its facts and conf.py are code
        found = {k: v for k, v in self.tree.files.items() if not is_code(k)}
        if read := Read.load(edition.doctrees(self.builddir)):
            found.update((str(p), file_digest(p)) for p in read.outside())
        return found

    def fingerprint(self, edition: Edition, sources: Mapping[str, str] | None = None) -> str:
        """The digest of everything ``edition`` is built from."""
        if sources is None:
            sources = self.sources(edition)
        own = [edition.describe(), dict(edition.overrides), edition.tags, self.significant]
        own.append(sorted(e.name for e in self.editions if e.environment == edition.name))
        if edition.pages:
            # The printed pages it marks: the PDF's page map is an input of the EPUB.
            source = dataclasses.replace(edition, name=edition.pages)
            with suppress(OSError):
                own.append(hashlib.blake2b(source.page_map(self.builddir).read_bytes()).hexdigest())
        if edition.imposes:
            # The pages it carries, and where the reading PDF's LaTeX said they are.
            from sangokushi.build import impose

            source = self.named(edition.imposes)
            with suppress(OSError):
                own.append(file_digest(source.published(self.builddir)))
                own.append(file_digest(impose.folios(source.workdir(self.builddir) / source.tex)))
        if edition.spine:
            # The cover's spine: the pages of its print PDF.
            with suppress(OSError, BuildError):
                from sangokushi.build.cover import page_count

                own.append(page_count(self.spine_pdf(edition)))
        text = json.dumps([self.code(edition), sorted(sources.items()), own], default=str)
        return hashlib.blake2b(text.encode()).hexdigest()

    @property
    def significant(self) -> dict[str, object]:
        """The options as Sphinx reads them, but those that change no output (-q, -v, -w, -j…)."""
        parsed = vars(parse_options([*self.options, "source", "output"]))
        return {k: v for k, v in sorted(parsed.items()) if k not in OUTPUT_ONLY}

    @property
    def forced(self) -> bool:
        """Whether the options ask for a fresh environment or every page (-E, -a, -aE, …)."""
        parsed = parse_options([*self.options, "source", "output"])
        return bool(parsed.freshenv or parsed.force_all)

    def up_to_date(self, edition: Edition) -> bool:
        """Whether the published ``edition`` was built from exactly today's inputs."""
        marker = edition.workdir(self.builddir).with_name(edition.name + RUNNING)
        if self.forced or marker.exists():
            return False
        try:
            stamp = json.loads(edition.stamp(self.builddir).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        target = edition.published(self.builddir)
        if self.page_source(edition) and not edition.page_map(self.builddir).is_file():
            return False
        return stamp == {"inputs": self.fingerprint(edition), "output": output_state(target)}

    def page_source(self, edition: Edition) -> bool:
        """Whether an EPUB of this book marks the printed pages of ``edition`` (a PDF)."""
        return any(e.pages == edition.name for e in self.editions)

    def named(self, name: str) -> Edition:
        """The book's edition called ``name``."""
        found = next((e for e in self.editions if e.name == name), None)
        if found is None:
            raise BuildError(f"edition {name} is not among the book's editions")
        return found

    def spine_pdf(self, edition: Edition) -> Path:
        """The published print PDF whose pages give the cover ``edition`` its spine."""
        return self.named(edition.spine).published(self.builddir)

    def prepare_cover(self, edition: Edition) -> tuple[list[str], dict[str, str]]:
        """Write the cover's LaTeX from the facts, conf.py and its print PDF's page count.

        In this thread, as Sphinx's runs: Sphinx's reading of conf.py changes the current
        folder while it runs.
        """
        from sangokushi import facts
        from sangokushi.build import cover

        workdir = edition.workdir(self.builddir)
        workdir.mkdir(parents=True, exist_ok=True)
        marker = workdir.with_name(workdir.name + RUNNING)
        if marker.exists():
            # Cut short last time: TeX starts without what it left.
            for state in workdir.iterdir():
                if state.suffix in TEX_STATE:
                    state.unlink()
            parts.clear(workdir)
        marker.touch()
        book = facts.load(self.sourcedir)
        plan = cover.plan(self.sourcedir, book, self.spine_pdf(edition), edition.vertical)
        cover.write(plan, book, workdir)
        self.say(f"{edition.name}: {cover.describe(plan)}")
        return [], {}

    def write_page_map(self, edition: Edition, pdf: Path) -> bool:
        """Leave ``pdf``'s page map for the EPUBs that mark its pages (sangokushi.pagemap); a
        large PDF's is made in a process of its own (``latex.apart``: True)."""
        from sangokushi import facts
        from sangokushi.build.latex import APART_BYTES, apart
        from sangokushi.build.postpdf import page_map

        book = facts.load(self.sourcedir)
        source, out = f"{book.uid}:{edition.name}", edition.page_map(self.builddir)
        if pdf.stat().st_size >= APART_BYTES:
            mode = "tate" if edition.vertical else "yoko"
            args = ["page-map", str(pdf), str(self.sourcedir), mode, source, str(out)]
            pass_fds = (self._lock,) if self._lock >= 0 else ()
            track = self._later.running if self._later else None
            apart(args, self._environ or dict(os.environ), pass_fds, track)
            return True
        page_map(pdf, book, edition.vertical, source, out)
        return False

    def failed(self, name: str) -> bool:
        """Whether edition ``name`` failed in this build (its Sphinx, its post-step, or an
        edition it needs)."""
        return self._later is not None and any(
            f.startswith(f"{name}: ") for f in self._later.failures
        )

    def marks_later(self, edition: Edition) -> bool:
        """Whether ``edition`` (an EPUB) runs its Sphinx while the PDF whose pages it marks is
        still being built, and waits for that PDF's page map only when it reads it
        (``page_map_wanted``): when it must be built whatever the new map says."""
        later = self._later
        return bool(edition.pages and later and edition.pages in later.named) and (
            not self.up_to_date(edition)
        )

    def waited(self, edition: Edition, source: str) -> bool:
        """Wait for edition ``source``, if it is being built (a phase of ``edition``); whether
        it did not fail."""
        if self._later is not None:
            main = threading.current_thread() is threading.main_thread()
            with self.timings.phase(edition.name, f"waits for {source}"):
                self._later.wait_for(source, self.told if main else lambda: None)
        return not self.failed(source)

    def page_map_wanted(self, edition: Edition) -> Callable[..., bool]:
        """The handler of ``edition``'s ``pagemap.WANTED``: ``waited`` for the PDF whose pages
        ``edition`` marks."""

        def wanted(app: Sphinx, path: Path) -> bool:
            return self.waited(edition, edition.pages)

        return wanted

    def edition(self, edition: Edition, later: PostSteps | None = None) -> Path:
        """Build ``edition`` and publish it, unless it is up to date; return where it is.

        With ``later``, its post-step and the publishing run there, in the background.
        """
        target = edition.published(self.builddir)
        if self.up_to_date(edition):
            self.say(f"{edition.name}: {self.shown(target)} is up to date")
            return target
        edition.stamp(self.builddir).unlink(missing_ok=True)
        self._started[edition.name] = time.monotonic()
        self.say(f"{edition.name}: building ({self._count.get(edition.name, '?')})")
        if edition.builder:
            docnames, sources = self.sphinx_or_taken(edition)
        else:
            with self.timings.phase(edition.name, "cover LaTeX written"):
                docnames, sources = self.prepare_cover(edition)
        if edition.pages and self.failed(edition.pages):
            # It ran while that PDF's LaTeX did (``marks_later``), and made no page list.
            edition.workdir(self.builddir).with_name(edition.name + RUNNING).unlink()
            raise Unbuilt(f"{PAGES_WHY} {edition.pages}")
        inputs = self.fingerprint(edition, sources)
        if later is None or not edition.post:
            self.finish(edition, docnames, inputs, sources)
        else:
            queued = time.monotonic()

            def job() -> str | None:
                if not edition.imposes:
                    self.timings.add(edition.name, SLOT_WAIT, queued, time.monotonic())
                try:
                    return self.failure(edition, self.finish, edition, docnames, inputs, sources)
                except Unbuilt as why:  # a print PDF's reading PDF failed
                    return self.not_built(edition, why)

            later.submit(job, edition.name, after=bool(edition.imposes))
        return target

    def sphinx(self, edition: Edition) -> tuple[list[str], dict[str, str]]:
        """Run Sphinx for ``edition`` into its work folder; its documents and sources read.

        Sphinx re-reads a source by its time, not its bytes: a source changed since the
        environment was read gets a newer time first, and a change of code (the toolkit's,
        the book's conf.py), of SPHINXOPTS or of the Python or Debian packages re-reads every
        source (``-E``). Every page is written (``-a``): Sphinx 9 leaves pages it does not
        write with a stale ``?v=`` of changed CSS and loses their index entries from
        ``searchindex.js``.

        A print PDF laid from its reading PDF's pages takes only the preamble of its LaTeX:
        Sphinx is not run again while what that preamble is made from stays the same
        (``preamble_key``); it has the reading PDF's documents and sources.
        """
        workdir = edition.workdir(self.builddir)
        workdir.mkdir(parents=True, exist_ok=True)
        doctrees = edition.doctrees(self.builddir)
        marker = workdir.with_name(workdir.name + RUNNING)
        key = self.preamble_key(edition)
        if key and self.kept_key(edition) == key:
            marker.touch()
            return self._sphinxed[edition.imposes]
        kept = self.key_file(edition)
        kept.unlink(missing_ok=True)
        options = ["-a", *self.options]
        then = Read.load(doctrees)
        sources, code = self.sources(edition), self.code(edition)
        if marker.exists():
            self.say(f"{edition.name}: the last build was cut short; building it afresh")
            options.append("-E")
            for state in workdir.iterdir():
                if state.suffix in TEX_STATE:
                    state.unlink()
            parts.clear(workdir)
        elif then is None or then.code != code:
            options.append("-E")
        else:
            touch_changed(self.sourcedir, then, sources, (doctrees / READ).stat().st_mtime)
        # Gone until Sphinx has read the sources whole: a run cut short re-reads them all.
        (doctrees / READ).unlink(missing_ok=True)
        # Sphinx 9 loads the previous search index and keeps the words no page has any more
        # (empty entries): with every page written, an index built from nothing is whole.
        (workdir / "searchindex.js").unlink(missing_ok=True)
        marker.touch()
        if edition.form == "epub":
            options += ["-D", f"ebook_write_key={self.write_key(edition, code, sources)}"]
        elif edition.form == "html":
            options += ["-D", f"html_pages_key={self.write_key(edition, code, sources)}"]
        if edition.builder == "latex":
            options += ["-D", f"book_latex_key={self.write_key(edition, code, sources)}"]
        if edition.builder == "latex" and self._shares.get(self.share_group(edition)):
            # The same for each PDF variant of this environment (sangokushi.latexshare).
            share = hashlib.blake2b(json.dumps([code, sorted(sources.items())]).encode())
            options += ["-D", f"book_latex_share={share.hexdigest()}"]
        args = edition.sphinx_args(self.sourcedir, self.builddir, options)
        connect = {pagemap.WANTED: self.page_map_wanted(edition)} if edition.pages else {}
        try:
            run = run_sphinx(args, lambda *phase: self.timings.add(edition.name, *phase), connect)
            if run.status:
                raise BuildError("Sphinx reported the warnings above (with -W they fail the build)")
        except BuildError:
            # A failure, not a build cut short: the next reads every source again all the same
            # (READ is gone), and no TeX ran.
            marker.unlink(missing_ok=True)
            raise
        for path in outside(run.dependencies, self.sourcedir):
            sources.setdefault(str(path), file_digest(path))
        doctrees.mkdir(parents=True, exist_ok=True)
        Read(code, sources).save(doctrees)
        if key:
            kept.write_text(key, encoding="utf-8")
        self._sphinxed[edition.name] = (run.docnames, sources)
        return run.docnames, sources

    def share_group(self, edition: Edition) -> tuple[str, bool]:
        """The PDF variants that can set one assembled book (sangokushi.latexshare): one
        environment, one writing mode."""
        return str(edition.doctrees(self.builddir)), edition.vertical

    def sharing(self, editions: Sequence[Edition]) -> dict[tuple[str, bool], bool]:
        """For each ``share_group``, whether more than one of its ``editions`` will run Sphinx
        in this build: only then does the first keep a copy of the book it assembled for the
        next (a deep copy, 1–2 s of the forked process at ×100). Not one up to date, nor a print
        PDF whose Sphinx will be skipped, as far as can be told before its reading PDF's runs
        (``preamble_key``'s first part): when that guess fails, the print PDF assembles the
        book itself. What ``sphinx`` then passes on, for the rest of the build."""
        running: dict[tuple[str, bool], int] = {}
        for edition in editions:
            if edition.builder != "latex" or self.up_to_date(edition):
                continue
            if edition.imposes:
                base = self.kept_key(edition).partition(":")[0]
                if base == self.preamble_base(edition):
                    continue
            group = self.share_group(edition)
            running[group] = running.get(group, 0) + 1
        self._shares = {group: count > 1 for group, count in running.items()}
        return self._shares

    def kept_key(self, edition: Edition) -> str:
        """The ``preamble_key`` kept beside a print PDF's LaTeX ("" when Sphinx must run: none
        kept, no LaTeX, or the last build cut short)."""
        workdir = edition.workdir(self.builddir)
        if workdir.with_name(workdir.name + RUNNING).exists():
            return ""
        if not (workdir / edition.tex).is_file():
            return ""
        try:
            return self.key_file(edition).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def key_file(self, edition: Edition) -> Path:
        """Where a print PDF's ``preamble_key`` is kept: beside its LaTeX."""
        return edition.workdir(self.builddir) / f"{edition.book}{PREAMBLE_KEY}"

    def preamble_base(self, edition: Edition) -> str:
        """``preamble_key``'s first part: the code, options and overrides, and every source
        that is no document (what an EPUB's pages are written from besides their doctrees)."""
        return self.write_key(edition, self.code(edition), self.sources(edition))

    def preamble_key(self, edition: Edition) -> str:
        """What a print PDF laid from its reading PDF's pages (``imposes``) takes of its own
        LaTeX, its preamble and the files beside it, is made from: its code, options and
        overrides, every source that is not a document (templates, styles, images), and its
        reading PDF's preamble as that PDF's Sphinx wrote it in this build ("" when it did not
        run in this build).

        What the documents put in a preamble (the 目次's depth…) is in the reading PDF's too:
        with the same key, the print PDF's Sphinx would write the same preamble again.
        """
        if not edition.imposes or edition.imposes not in self._sphinxed:
            return ""
        from sangokushi.build import impose

        source = self.named(edition.imposes)
        try:
            text = (source.workdir(self.builddir) / source.tex).read_text(encoding="utf-8")
            head = impose.preamble(text)
        except (OSError, UnicodeDecodeError, BuildError):
            return ""
        return f"{self.preamble_base(edition)}:{hashlib.blake2b(head.encode()).hexdigest()}"

    def sphinx_apart(self, edition: Edition) -> Apart:
        """``sphinx(edition)`` in the forked process: what it said and did, for the main one."""
        from sphinx.util.console import color_terminal

        if parse_options([*self.options, "source", "output"]).color == "auto" and color_terminal():
            # Coloured as on the terminal it is shown on, though written to a buffer.
            self.options = [*self.options, "--color"]
        said: list[str] = []
        self.say = said.append
        self.timings = Timings(origin=self.timings.origin)
        out, err = io.StringIO(), io.StringIO()
        result, error = None, None
        with redirect_stdout(out), redirect_stderr(err):
            try:
                result = self.sphinx(edition)
            except (BuildError, OSError) as exc:
                error = exc
        phases = [dataclasses.replace(p, main=False) for p in self.timings.phases]
        return Apart(said, out.getvalue(), err.getvalue(), phases, result, error)

    def sphinx_or_taken(self, edition: Edition) -> tuple[list[str], dict[str, str]]:
        """``sphinx(edition)``, or its run ahead in the forked process, told as it would be."""
        if self._ahead is None or edition.name not in self._ahead:
            return self.sphinx(edition)
        with self.timings.phase(edition.name, AHEAD_WAIT):
            apart = self._ahead.take(edition.name)
        if not isinstance(apart, Apart):
            return self.sphinx(edition)
        for text in apart.said:
            self.say(text)
        sys.stdout.write(apart.out)
        sys.stderr.write(apart.err)
        self.timings.extend(apart.phases)
        if apart.error is not None:
            raise apart.error
        assert apart.result is not None
        self._sphinxed[edition.name] = apart.result
        return apart.result

    def start_ahead(self, ordered: Sequence[Edition]) -> None:
        """Fork a process that runs the PDFs' Sphinx (``sphinx_apart``) beside the HTML's.

        Only when the HTML is built first and is not up to date (else nothing runs beside),
        where a fork is safe (``ahead.AVAILABLE``), and when no option needs this process
        alone (``--pdb``, a warning file both would write).
        """
        parsed = parse_options([*self.options, "source", "output"])
        if not ahead.AVAILABLE or parsed.pdb or parsed.warnfile or not ordered:
            return
        if ordered[0].form != "html" or self.up_to_date(ordered[0]):
            return
        steps = [e for e in ordered if e.builder and e.post == "latex" and not self.up_to_date(e)]
        if not steps:
            return
        self.code(steps[0])  # the toolkit's digest and the sources' scan, for both processes
        from sphinx.application import builtin_extensions

        from sangokushi.conf import EXTENSIONS

        # What both processes' Sphinx would import (0.8 s): once, before the fork. Each
        # application loads Sphinx's own extensions too; without them the fork imported some
        # 400 modules again (0.3 CPU-s).
        for module in ("sphinx.builders.latex", *builtin_extensions, *EXTENSIONS, *SETUP_IMPORTS):
            importlib.import_module(module)
        markers = {e.name: e.workdir(self.builddir).with_name(e.name + RUNNING) for e in steps}
        self._ahead_fresh = {n: m for n, m in markers.items() if not m.exists()}
        self._ahead = ahead.Ahead(
            [(e.name, lambda e=e: self.sphinx_apart(e)) for e in steps],
            last=lambda apart: apart.error is not None,
        )
        try:
            self._ahead.start()
        except OSError:  # no process to spare: each runs here, in turn, as without the fork
            self._ahead = None

    def stop_ahead(self, interrupted: bool) -> None:
        """End the forked process. An edition it ran that was not taken is not built: it leaves
        no sign of a build cut short (its environment is re-read if its run was)."""
        if self._ahead is None:
            return
        left = self._ahead.stop()
        self._ahead = None
        if interrupted:
            return
        for name in left:
            if name in self._ahead_fresh:
                self._ahead_fresh[name].unlink(missing_ok=True)

    def write_key(self, edition: Edition, code: str, sources: Mapping[str, str]) -> str:
        """What an EPUB's or HTML's pages are written from besides their doctrees
        (sangokushi.ebook, sangokushi.pages):
        the code and options, and every source that is not a document (CSS, templates…)."""
        other = sorted((k, v) for k, v in sources.items() if not k.endswith(DOCUMENT_SUFFIXES))
        text = json.dumps([code, dict(edition.overrides), other])
        return hashlib.blake2b(text.encode()).hexdigest()

    def finish(
        self,
        edition: Edition,
        docnames: Sequence[str],
        inputs: str,
        sources: Mapping[str, str] | None = None,
    ) -> Path:
        """Run ``edition``'s post-step on Sphinx's output, publish it, then stamp it."""
        workdir = edition.workdir(self.builddir)
        if edition.form == "html":
            built = workdir
        elif edition.post == "latex" and edition.imposes:
            built = self.impose(edition)
            # What it carries is known now: the reading PDF, built meanwhile.
            inputs = self.fingerprint(edition, sources)
        elif edition.post == "latex":
            from sangokushi.build.latex import APART, build_pdf

            built = build_pdf(
                workdir / edition.tex,
                environ=self._environ or dict(os.environ),
                pass_fds=(self._lock,) if self._lock >= 0 else (),
                track=self._later.running if self._later else None,
                press=edition.press,
                read_back=self.page_source(edition),
                record=lambda *phase: self.timings.add(edition.name, *phase),
            )
            if self.page_source(edition):
                with self.timings.phase(edition.name, "page map") as detail:
                    if self.write_page_map(edition, built):
                        detail.append(APART)
        elif edition.post == "cover":
            from sangokushi.build.latex import build_pdf

            built = build_pdf(
                workdir / f"{edition.book}-cover.tex",
                environ=self._environ or dict(os.environ),
                pass_fds=(self._lock,) if self._lock >= 0 else (),
                track=self._later.running if self._later else None,
                preamble=False,
                press=edition.press,
                colour=edition.colour,
                record=lambda *phase: self.timings.add(edition.name, *phase),
            )
        else:
            built = workdir / edition.filename
        target = edition.published(self.builddir)
        if self._stopping.is_set():
            # Interrupted meanwhile: the work folder's marker stays, the next build starts afresh.
            return target
        with self.timings.phase(edition.name, "publish (check, rename)"):
            # The previous HTML folder stays in staging until the build ends: the author sees
            # the new one without waiting for the old one's removal.
            staging = self.staging / edition.name
            publish(built, target, staging, docnames, edition.form, discard=lambda old: None)
        workdir.with_name(workdir.name + RUNNING).unlink()
        took = time.monotonic() - self._started.get(edition.name, time.monotonic())
        self.tell(f"{edition.name}: {self.shown(target)} ({took:.1f} s)")
        state = {"inputs": inputs, "output": output_state(target)}
        edition.stamp(self.builddir).write_text(json.dumps(state), encoding="utf-8")
        return target

    def impose(self, edition: Edition) -> Path:
        """The print shop's PDF ``edition``: its reading PDF's pages on pages of marks
        (sangokushi.build.impose), once that PDF is built; where it is."""
        from sangokushi.build import impose
        from sangokushi.build.latex import (
            APART,
            APART_BYTES,
            PREAMBLE_FORMAT,
            apart,
            build_pdf,
            preamble_format,
        )

        source = self.named(edition.imposes)
        tex = edition.workdir(self.builddir) / edition.tex
        environ = self._environ or dict(os.environ)
        pass_fds = (self._lock,) if self._lock >= 0 else ()
        track = self._later.running if self._later else None
        marks = impose.marks_path(tex)
        made, made_from = marks.with_suffix(".pdf"), marks.with_suffix(".digest")
        if not made_from.is_file():
            # No marks' pages yet: their preamble's format is copied from the cache while the
            # reading PDF's LaTeX runs, not after it (dumped after it, as the reading PDF's
            # is then in the cache: a machine's first build dumps it once).
            empty = impose.marks_tex(tex.read_text(encoding="utf-8"), impose.Plan((), ()))
            marks.write_text(empty, encoding="utf-8")
            with self.timings.phase(edition.name, PREAMBLE_FORMAT):
                preamble_format(marks, environ, pass_fds=pass_fds, track=track, dump=False)
        if not self.waited(edition, source.name):
            edition.workdir(self.builddir).with_name(edition.name + RUNNING).unlink()
            raise Unbuilt(f"{IMPOSES_WHY} {source.name}")
        if self._stopping.is_set():
            return tex.with_suffix(".pdf")  # interrupted meanwhile: ``finish`` publishes nothing
        folios = impose.folios(source.workdir(self.builddir) / source.tex)
        plan = impose.plan(folios)
        text = impose.marks_tex(tex.read_text(encoding="utf-8"), plan)
        digest = hashlib.blake2b((self.code(edition) + text).encode()).hexdigest()
        if not made.is_file() or not made_from.is_file() or made_from.read_text() != digest:
            # The marks' pages are set again only when they change (a page more or fewer).
            made_from.unlink(missing_ok=True)
            marks.write_text(text, encoding="utf-8")
            record = lambda *phase: self.timings.add(edition.name, *phase)  # noqa: E731
            made = build_pdf(
                marks,
                environ=environ,
                pass_fds=pass_fds,
                track=track,
                record=record,
                format_beside=source.workdir(self.builddir) / source.tex,
            )
            made_from.write_text(digest)
        built, reading = tex.with_suffix(".pdf"), source.published(self.builddir)
        with self.timings.phase(edition.name, impose.LAID) as detail:
            if reading.stat().st_size >= APART_BYTES:
                args = ["impose", str(built), str(reading), str(made), str(folios)]
                apart(args, environ, pass_fds, track)
                detail.append(APART)
            else:
                impose.make(built, reading, made, plan.order)
        return built

    def not_built(self, edition: Edition, why: Unbuilt) -> str:
        """The one line of ``edition`` not built because an edition it needs failed."""
        return f"{edition.name}: not built: {why}, which failed{self.kept(edition)}"

    def failure(self, edition: Edition, step: Callable[..., object], *args: object) -> str | None:
        """Run ``step``; the one line that says why it failed, or None."""
        try:
            step(*args)
        except BuildError as exc:
            return f"{edition.name}: {exc}{self.kept(edition)}"
        except OSError as exc:
            # Some libraries put their file object where the path goes (pikepdf, qpdf).
            named = isinstance(exc.filename, (str, os.PathLike)) and exc.filename
            where = self.shown(named or self.builddir)
            cause = exc.strerror or str(exc)
            return f"{edition.name}: cannot write {where}: {cause}{self.kept(edition)}"
        return None

    def run(self, editions: Sequence[Edition]) -> list[Path]:
        """Build and publish ``editions`` under BUILDDIR's lock; return where they are.

        Editions with a post-step go first, so that their LaTeX runs in the background beside
        the other editions' Sphinx (after the HTML, as ``html_first`` says). A failure in Sphinx
        (or in publishing in this thread) ends the loop as before; a post-step's failure stops
        nothing else, so which editions get built never depends on timing. Every failure is one
        line of the ``BuildError`` raised once everything started has ended.
        """
        from sangokushi import buildinfo

        with locked(self.builddir, self.say) as self._lock:
            shutil.rmtree(self.staging, ignore_errors=True)
            try:
                epoch = buildinfo.build_timestamp(self.sourcedir)
            except buildinfo.InvalidEpoch as exc:
                raise BuildError(str(exc)) from None
            with source_date(epoch) as self._environ:
                self._toolkit, self._tree = "", None
                return self._run(editions)

    def _run(self, editions: Sequence[Edition]) -> list[Path]:
        later = self._later = PostSteps(self._stopping)
        self.timings = Timings()
        failures = later.failures
        try:
            # Covers last: they wait for their print PDF's LaTeX. The HTML first (html_first).
            # Of the PDFs, those an EPUB waits for first: their LaTeX takes the two background
            # slots before the print variants'. Of each kind, the vertical first: its LaTeX is
            # the longer (more pages, slower passes), and the first slot free goes to it.
            first = "html" if self.shows_html_first(editions) else ""

            def order(e: Edition) -> tuple[bool, ...]:
                source = self.page_source(e)
                return (
                    e.form != first,
                    bool(e.spine),
                    not e.post,
                    bool(e.imposes),
                    not source,
                    e.post == "latex" and not e.vertical,
                )

            ordered = sorted(editions, key=order)
            self._count = {e.name: f"{n}/{len(ordered)}" for n, e in enumerate(ordered, 1)}
            self.sharing(ordered)
            if first:
                self.start_ahead(ordered)
            for edition in ordered:
                self.told()
                # The PDF it needs first: an EPUB reads where that PDF's pages begin (one built
                # whatever they are waits as its Sphinx reads them: ``marks_later``), a cover's
                # spine is as wide as that PDF is thick.
                needs = (
                    (edition.pages if not self.marks_later(edition) else "", PAGES_WHY),
                    (edition.spine, "its spine is the pages of"),
                )
                try:
                    for source, why in needs:
                        if source and not self.waited(edition, source):
                            raise Unbuilt(f"{why} {source}")
                    failure = self.failure(edition, self.edition, edition, later)
                except Unbuilt as why:
                    failures.append(self.not_built(edition, why))
                    continue
                if failure:
                    failures.append(failure)
                    break
            self.stop_ahead(interrupted=False)
            later.wait(self.told)
        except BaseException:
            self.stop_ahead(interrupted=True)
            later.stop()
            self.told()
            raise
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            self._later, self._lock = None, -1
            with suppress(OSError):
                self.timings.save(self.builddir / "work" / TIMINGS)
        if failures:
            raise BuildError("\nsangokushi: ".join(failures))
        return [e.published(self.builddir) for e in editions]

    def shows_html_first(self, editions: Sequence[Edition]) -> bool:
        """Whether the HTML's Sphinx runs first (``html_first``)."""
        if self.html_first != "edits":
            return self.html_first == "always"
        html = [e for e in editions if e.form == "html"]
        return bool(html) and Read.load(html[0].doctrees(self.builddir)) is not None

    def kept(self, edition: Edition) -> str:
        target = edition.published(self.builddir)
        if target.exists():
            return f"; the previous {self.shown(target)} is kept"
        return ""
