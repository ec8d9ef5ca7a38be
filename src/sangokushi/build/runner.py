"""Building editions: Sphinx in this process, LaTeX in the background, then publishing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from sangokushi.build.errors import BuildError
from sangokushi.build.lock import locked
from sangokushi.build.publish import publish
from sangokushi.build.registry import Edition
from sangokushi.build.stamps import RUNNING, inputs_fingerprint, output_state

# What TeX leaves in a work folder: after a run cut short, any of them may be half written.
TEX_STATE = (".aux", ".toc", ".out", ".fdb_latexmk", ".fls", ".dvi", ".log", ".xdv", ".idx")


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
        self.named: dict[str, Future[None]] = {}
        self.failures: list[str] = []
        self.stopping = stopping

    def submit(self, job: Callable[[], str | None], name: str = "") -> None:
        """Run ``job`` in the background; a text it returns is a failure's one line."""

        def run() -> None:
            if not self.stopping.is_set() and (failure := job()):
                self.failures.append(failure)

        self.futures.append(future := self.pool.submit(run))
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
    editions: Sequence[Edition] = ()
    say: Callable[[str], None] = field(default=lambda text: print(f"sangokushi: {text}"))
    _inputs: str = field(default="", init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _told: list[str] = field(default_factory=list, init=False, repr=False)
    _started: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _count: dict[str, str] = field(default_factory=dict, init=False, repr=False)

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
        own.append(sorted(e.name for e in self.editions if e.environment == edition.name))
        if edition.pages:
            # The printed pages it marks: the PDF's page map is an input of the EPUB.
            source = dataclasses.replace(edition, name=edition.pages)
            with suppress(OSError):
                own.append(hashlib.blake2b(source.page_map(self.builddir).read_bytes()).hexdigest())
        text = json.dumps([self._inputs, str(self.sourcedir.resolve()), own], default=str)
        return hashlib.blake2b(text.encode()).hexdigest()

    @property
    def forced(self) -> bool:
        """Whether the options ask for a fresh environment or every page (-E, -a, -aE, …)."""
        from sphinx.cmd.build import get_parser

        try:
            parsed = get_parser().parse_args([*self.options, "source", "output"])
        except SystemExit:
            raise BuildError(f"SPHINXOPTS: not sphinx-build options: {self.options}") from None
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

    def write_page_map(self, edition: Edition, pdf: Path) -> None:
        """Leave ``pdf``'s page map for the EPUBs that mark its pages (sangokushi.pagemap)."""
        from sangokushi import facts, pagemap

        book = facts.load(self.sourcedir)
        design = book.tate_page if edition.vertical else book.page
        target = edition.page_map(self.builddir)
        partial = target.with_name(target.name + ".part")
        pagemap.write(pdf, design, edition.vertical, partial, f"{book.uid}:{edition.name}")
        partial.replace(target)

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
        self._started[edition.name] = time.monotonic()
        self.say(f"{edition.name}: building ({self._count.get(edition.name, '?')})")
        docnames = self.sphinx(edition)
        if later is None or not edition.post:
            self.finish(edition, docnames, inputs)
        else:
            later.submit(
                lambda: self.failure(edition, self.finish, edition, docnames, inputs), edition.name
            )
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
            for state in workdir.iterdir():
                if state.suffix in TEX_STATE:
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
        elif edition.post == "latex":
            from sangokushi.build.latex import build_pdf

            built = build_pdf(workdir / edition.tex)
            if self.page_source(edition):
                self.write_page_map(edition, built)
        else:
            built = workdir / edition.filename
        target = edition.published(self.builddir)
        if self._stopping.is_set():
            # Interrupted meanwhile: the work folder's marker stays, the next build starts afresh.
            return target
        publish(built, target, self.staging / edition.name, docnames, edition.form)
        workdir.with_name(workdir.name + RUNNING).unlink()
        took = time.monotonic() - self._started.get(edition.name, time.monotonic())
        self.tell(f"{edition.name}: {self.shown(target)} ({took:.1f} s)")
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
                ordered = sorted(editions, key=lambda e: not e.post)
                self._count = {e.name: f"{n}/{len(ordered)}" for n, e in enumerate(ordered, 1)}
                for edition in ordered:
                    self.told()
                    if edition.pages:
                        # It reads where that PDF's pages begin: that PDF first.
                        later.wait_for(edition.pages, self.told)
                        if any(f.startswith(f"{edition.pages}: ") for f in failures):
                            failures.append(
                                f"{edition.name}: not built: it marks the printed pages of "
                                f"{edition.pages}, which failed{self.kept(edition)}"
                            )
                            continue
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
                raise BuildError("\nsangokushi: ".join(failures))
            return [e.published(self.builddir) for e in editions]

    def kept(self, edition: Edition) -> str:
        target = edition.published(self.builddir)
        if target.exists():
            return f"; the previous {self.shown(target)} is kept"
        return ""
