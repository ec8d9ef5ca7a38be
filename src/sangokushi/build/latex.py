"""The PDF editions' post-step: TeX (upLaTeX and dvipdfmx, or LuaLaTeX) on Sphinx's LaTeX."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from pathlib import Path

import pikepdf

from sangokushi import pdfx, texlog, tounicode
from sangokushi.book import FORMAT_END, LATEX_ENGINE
from sangokushi.build import dvipdf, parts, reruns
from sangokushi.build.errors import BuildError
from sangokushi.build.stamps import FORMATS_VARIABLE
from sangokushi.build.timings import Record

TIMEOUT = 900
# An engine's own options, as Sphinx's latexmkjarc gives them (upLaTeX makes a DVI, which
# ``dvi_to_pdf`` turns into the PDF).
ENGINE_OPTIONS = {"uplatex": ("-kanji=utf8",)}
# The step's name in the build's timings: every pass of TeX until its files settle.
PASSES = "TeX passes"
# LuaLaTeX's font cache: a known place that outlives `make clean` and fresh clones.
TEXMF_CACHE = Path.home() / ".cache" / "sangokushi" / "texmf-var"
# Preamble formats by digest, for every BUILDDIR and clone on this machine (FORMATS_VARIABLE
# moves it, empty turns it off); the most recently used are kept.
FORMAT_CACHE = Path.home() / ".cache" / "sangokushi" / "formats"
FORMATS_KEPT = 16


def texmf_environ(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with LuaLaTeX's font cache where every build of the book finds it."""
    cache = environ.get("TEXMFCACHE") or str(TEXMF_CACHE)
    return {
        **environ,
        "TEXMFCACHE": cache,
        "TEXMFVAR": environ.get("TEXMFVAR") or cache,
        # Options for every TeX pass (Sphinx's convention, its Makefile's and latexmkrc's).
        "LATEXOPTS": environ.get("LATEXOPTS", ""),
    }


def trailer_id(tex: Path, environ: Mapping[str, str]) -> str:
    """A LuaTeX PDF ``/ID`` from the LaTeX source and the build time, not the folder's path.

    LuaTeX derives the ID from the output's full path by default, so the same book built in
    another BUILDDIR (or in `make site`'s temporary checkouts) came out with other bytes.
    (dvipdfmx derives it from SOURCE_DATE_EPOCH and the file names it is given, which are
    relative.)
    """
    digest = hashlib.md5(tex.read_bytes(), usedforsecurity=False)
    digest.update(environ.get("SOURCE_DATE_EPOCH", "").encode())
    value = digest.hexdigest().upper()
    return rf"\pdfvariable trailerid{{[<{value}><{value}>]}}"


# upLaTeX loads the book's preamble (classes, packages, fonts) from a format dumped once per
# writing mode (the print PDF's extras follow sangokushi.book.FORMAT_END): most of a pass's time
# went there. The driver keeps what a format would drop.
PREAMBLE_DRIVER = Path(__file__).with_name("preamble.ltx")
# Files in the LaTeX folder a preamble may read (Sphinx copies its own and the book's there).
PREAMBLE_INPUTS = (".sty", ".cls", ".cfg", ".def", ".fd", ".ldf", ".clo")
# A format is about 7 MB as TeX writes it, 22 MB unpacked: dumped only where there is room to
# spare, else the passes read the preamble as before (a nearly full disk fails on the PDF's own
# files, as it did without it).
PREAMBLE_FREE_BYTES = 64 * 1024 * 1024
# TeX (web2c) writes a format gzipped and inflates it on every pass: 0.1-0.17 s of a 0.25-0.4 s
# pass. It reads the format through zlib, which reads a file that is not gzipped as it is, so
# the LaTeX folder's format is unpacked; the cache keeps TeX's smaller file.
GZIP_MAGIC = b"\x1f\x8b"
# What the program that wrote the PDF says it wrote: dvipdfmx's last line, or LuaTeX's
# "Output written on x.pdf (22 pages, 194336 bytes)." On a full disk dvipdfmx still ends
# well and says so, with a shorter file behind it.
WRITTEN = re.compile(
    r"^(\d+) bytes written$|^Output written on .+?\.pdf \(\d+ pages?, (\d+) bytes\)", re.M
)
# What the runner is told of each TeX process while it runs (to end it on an interrupt).
Track = Callable[[subprocess.Popen[str]], AbstractContextManager[object]]
# The Python work after TeX on a PDF this large (ToUnicode, PDF/X, the page map) runs in a
# process of its own: in the runner's background thread it held the GIL against the next
# edition's Sphinx on the main thread (×100: about 50 s of it). A smaller PDF's stays in the
# thread, where it costs less than a process's start-up and imports (0.3 CPU-s).
APART_BYTES = 1024 * 1024
# The phase (sangokushi.build.timings) that finds, copies or dumps the preamble's format.
PREAMBLE_FORMAT = "TeX preamble format"
# The detail of a step's timing (sangokushi.build.timings) when it ran apart.
APART = "in a process of its own"


@functools.cache
def _tex_files() -> tuple[str, str]:
    """upLaTeX and its base format, found once per process (their times are read each build)."""
    engine = shutil.which("uplatex") or ""
    base = subprocess.run(
        ["kpsewhich", "-engine=euptex", "-progname=uplatex", "uplatex.fmt"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return engine, base


def _preamble_digest(tex: Path, preamble: str, environ: Mapping[str, str]) -> str:
    """What a preamble format is made from: the preamble, the files it may read, TeX, the date."""
    digest = hashlib.sha256(preamble.encode())
    digest.update(PREAMBLE_DRIVER.read_bytes())
    for path in sorted(tex.parent.iterdir()):
        if path.suffix in PREAMBLE_INPUTS and path.is_file():
            digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
    for path in _tex_files():
        stat = os.stat(path) if path and os.path.exists(path) else None
        digest.update(f"\0{path}:{stat and (stat.st_size, stat.st_mtime_ns)}".encode())
    # A preamble that expands the date would keep the day it was dumped on.
    when = environ.get("SOURCE_DATE_EPOCH") or time.strftime("%Y-%m-%d")
    digest.update(f"\0{when}".encode())
    return digest.hexdigest()


def preamble_format(
    tex: Path,
    environ: Mapping[str, str],
    *,
    pass_fds: Sequence[int] = (),
    track: Track | None = None,
    dump: bool = True,
    beside: Path | None = None,
) -> str | None:
    """The name of a format holding ``tex``'s preamble (up to ``FORMAT_END``), dumped when it
    changed (without ``dump``: only copied from the cache, else None). ``beside``: another
    LaTeX file whose format, if it holds the same preamble, is copied first (unpacked already).

    None when the preamble cannot be dumped: the passes then read it as before (and report
    its errors). Warnings in the preamble (a substituted font) are checked as the pages' are.
    """
    source = tex.read_text(encoding="utf-8")
    ends = [i for i in (source.find(FORMAT_END), source.find("\\begin{document}")) if i >= 0]
    if not ends:
        return None
    end = min(ends)
    name = f"{tex.stem}-preamble"
    workdir = tex.parent
    fmt, stamp = workdir / f"{name}.fmt", workdir / f"{name}.digest"
    digest = _preamble_digest(tex, source[:end], environ)
    if fmt.is_file() and stamp.is_file() and stamp.read_text(encoding="ascii") == digest:
        return name
    stamp.unlink(missing_ok=True)
    fmt.unlink(missing_ok=True)
    for part in workdir.glob(f"{fmt.name}.*.part"):
        part.unlink(missing_ok=True)  # left by a build that was killed
    if shutil.disk_usage(workdir).free < PREAMBLE_FREE_BYTES:
        return None
    if beside is not None:
        theirs = beside.parent / f"{beside.stem}-preamble"
        with suppress(OSError):
            said = Path(f"{theirs}.digest").read_text(encoding="ascii")
            if said == digest and _copy_whole(Path(f"{theirs}.fmt"), fmt):
                return name if _stamp(stamp, fmt, digest) else None
    cache = format_cache(environ)
    kept = cache / f"{digest}.fmt" if cache else None
    if kept and _copy_whole(kept, fmt, unpack=True):
        with suppress(OSError):
            os.utime(kept)
        return name if _stamp(stamp, fmt, digest) else None
    if not dump:
        return None
    shutil.copyfile(PREAMBLE_DRIVER, workdir / "sangokushipreamble.ltx")
    command = [
        "uplatex", "-ini", "-kanji=utf8", "-interaction=nonstopmode", "-halt-on-error",
        f"-jobname={name}", "&uplatex",
        f"\\input sangokushipreamble.ltx \\input mylatexformat.ltx {tex.name}",
    ]  # fmt: skip
    if _run(command, workdir, environ, pass_fds, track).returncode != 0 or not fmt.is_file():
        fmt.unlink(missing_ok=True)  # half a format, from a full disk
        return None
    log = workdir / f"{name}.log"
    if problems := texlog.overflows(log, tex):
        raise BuildError(texlog.report(problems, log))
    if kept:
        keep(fmt, kept)
    _copy_whole(fmt, fmt, unpack=True)  # on a full disk the passes inflate it, as TeX wrote it
    return name if _stamp(stamp, fmt, digest) else None


def format_cache(environ: Mapping[str, str]) -> Path | None:
    """Where dumped formats are kept for other builds (None: nowhere)."""
    where = environ.get(FORMATS_VARIABLE, str(FORMAT_CACHE))
    return Path(where) if where else None


def _copy_whole(source: Path, target: Path, *, unpack: bool = False) -> bool:
    """Copy ``source`` to ``target`` whole (``unpack``: a format TeX gzipped, unpacked), or
    leave ``target`` as it was (False: a full disk, a truncated or damaged file)."""
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        with source.open("rb") as head:
            packed = unpack and head.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        if packed:
            with gzip.open(source) as read, part.open("wb") as out:
                shutil.copyfileobj(read, out, 1024 * 1024)
        else:
            shutil.copyfile(source, part)
        part.replace(target)
    except (OSError, EOFError, zlib.error):
        part.unlink(missing_ok=True)
        return False
    return True


def _stamp(stamp: Path, fmt: Path, digest: str) -> bool:
    """Note that ``fmt`` holds ``digest``'s preamble; on a failure neither is left."""
    try:
        stamp.write_text(digest, encoding="ascii")
    except OSError:
        stamp.unlink(missing_ok=True)
        fmt.unlink(missing_ok=True)
        return False
    return True


def keep(fmt: Path, kept: Path) -> None:
    """Put a dumped format in the cache as ``kept``; the least recently used go beyond
    ``FORMATS_KEPT``. The cache only saves time: a failure to write it is no error."""
    with suppress(OSError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        if _copy_whole(fmt, kept):
            formats = sorted(kept.parent.glob("*.fmt"), key=lambda p: p.stat().st_mtime_ns)
            for old in formats[:-FORMATS_KEPT]:
                old.unlink(missing_ok=True)


def _run(
    command: list[str],
    workdir: Path,
    environ: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    track: Track | None = None,
) -> subprocess.CompletedProcess[str]:
    """``command`` in its own process group (an interrupt ends it), keeping ``pass_fds``."""
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=dict(environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
    )
    try:
        with (track or nullcontext)(process):
            output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise BuildError(f"{command[0]} ran over {TIMEOUT} s in {workdir}") from None
    except BaseException:
        _stop(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, output)


def _stop(process: subprocess.Popen[str]) -> None:
    """End a TeX program and what it started (their own process group)."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def build_pdf(
    tex: Path,
    engine: str = LATEX_ENGINE,
    *,
    environ: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    track: Track | None = None,
    preamble: bool = True,
    press: bool = False,
    colour: bool = False,
    read_back: bool = False,
    record: Record | None = None,
    format_beside: Path | None = None,
) -> Path:
    """Compile ``tex`` in its folder, in as many passes as its cross-references need
    (sangokushi.build.reruns); return the PDF, or raise ``BuildError``.

    Each TeX program gets ``environ`` (default: this process's) and keeps the descriptors
    ``pass_fds`` (BUILDDIR's lock); ``track`` is told of it while it runs. Without
    ``preamble`` no preamble format is dumped (a one-page document: it would cost more).
    ``press``: a print shop's PDF, made PDF/X-1a and read back (sangokushi.pdfx), in black
    alone unless ``colour`` (a cover). ``read_back``: an EPUB marks its pages, which poppler's
    pdftotext reads (sangokushi.pagemap). ``record`` is told how long each step took (name,
    start, end as ``time.monotonic()``, detail). ``format_beside``: ``preamble_format``'s
    ``beside``.
    """
    record = record or (lambda *phase: None)
    environ = dict(os.environ if environ is None else environ)
    if shutil.which(engine) is None:
        raise BuildError(
            f"{engine} not found: the PDF editions need TeX Live "
            "(Debian: texlive-lang-japanese texlive-latex-extra; `make sysdeps` installs "
            "them); the HTML edition does not"
        )
    if read_back and shutil.which("pdftotext") is None:
        raise BuildError(
            "pdftotext not found: this PDF's pages are read back with poppler for the EPUB's "
            "page list (Debian: poppler-utils; `make sysdeps` installs it)"
        )
    built = tex.with_suffix(".pdf")
    log = tex.with_suffix(".log")
    environ = texmf_environ(environ)
    command = [engine, *shlex.split(environ["LATEXOPTS"]), *ENGINE_OPTIONS.get(engine, ())]
    command += ["-interaction=nonstopmode", "-halt-on-error", "-recorder"]
    start = time.monotonic()
    if (
        engine == "uplatex"
        and preamble
        and (
            fmt := preamble_format(
                tex, environ, pass_fds=pass_fds, track=track, beside=format_beside
            )
        )
    ):
        command.append(f"-fmt={fmt}")
        record(PREAMBLE_FORMAT, start, time.monotonic(), "")
    if engine == "lualatex":
        command += [f"-jobname={tex.stem}", f"{trailer_id(tex, environ)}\\input{{{tex.name}}}"]
    else:
        command.append(tex.name)
    made = tex.with_suffix(".dvi") if engine == "uplatex" else built
    chapters = parts.split(tex) if engine == "uplatex" else []
    if chapters:  # the main file that includes them, under the book's job name
        command[-1:] = [f"-jobname={tex.stem}", parts.main_file(tex).name]
    start = time.monotonic()

    # Each pass in its own process group, so that an interrupt ends TeX too; BUILDDIR's lock
    # is inherited, so a TeX outliving this process still keeps other builds out.
    def one_pass() -> subprocess.CompletedProcess[str]:
        return _run(command, tex.parent, environ, pass_fds, track)

    plan = parts.plan(tex, chapters)
    passes = parts.set_apart(plan, one_pass) if plan else None
    detail = f", {len(plan.changed)} of {len(chapters)} chapters" if plan and passes else ""
    if passes is None:
        parts.forget(tex)
        made.unlink(missing_ok=True)  # a pass with no pages writes none: not the last build's
        passes = reruns.run_passes(tex, one_pass)
    detail = passes.detail(engine) + detail
    record(PASSES, start, time.monotonic(), detail)
    output = passes.last.stdout if passes.last else ""
    if passes.failed or not made.is_file():
        if error := texlog.first_error(log, tex):
            raise BuildError(f"{error}; see {log}")
        tail = "\n".join(output.splitlines()[-30:])
        raise BuildError(f"{tail}\n{engine} failed on {tex.name}: see {log}")
    if passes.unsettled:
        names = ", ".join(path.name for path in passes.unsettled)
        raise BuildError(
            f"{tex}: {names} still changed after {reruns.MOST} {engine} passes "
            f"(a page reference that moves its own page?); see {log}"
        )
    if problems := texlog.overflows(log, tex):
        raise BuildError(texlog.report(problems, log))
    parts.remember(tex, chapters)
    if made != built:
        output = dvi_to_pdf(made, built, environ, pass_fds, track, record)
    whole(built, output)
    start, alone = time.monotonic(), built.stat().st_size >= APART_BYTES
    if alone:
        flags = ("press" if press else "-", "colour" if colour else "-")
        apart(["finish", str(built), engine, *flags], environ, pass_fds, track)
    else:
        finish_pdf(built, engine, press, colour)
    step = "ToUnicode, PDF/X" if press else "ToUnicode"
    record(step, start, time.monotonic(), APART if alone else "")
    return built


def dvi_to_pdf(
    dvi: Path,
    pdf: Path,
    environ: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    track: Track | None = None,
    record: Record | None = None,
) -> str:
    """dvipdfmx on ``dvi`` as Sphinx's latexmkjarc ran it, the large virtual fonts it reads
    cut to the DVI's characters (sangokushi.build.dvipdf); what it said."""
    start = time.monotonic()
    pdf.unlink(missing_ok=True)
    cut = dvipdf.cut_fonts(dvi)
    env = dvipdf.environ(dvi.parent, environ) if cut else environ
    result = _run(["dvipdfmx", "-o", pdf.name, dvi.name], dvi.parent, env, pass_fds, track)
    if record:
        record("dvipdfmx", start, time.monotonic(), dvipdf.CUT if cut else "")
    if result.returncode != 0 or not pdf.is_file():
        tail = "\n".join(result.stdout.splitlines()[-30:])
        raise BuildError(f"{tail}\ndvipdfmx failed (exit {result.returncode}) on {dvi}")
    return result.stdout


def apart(
    args: Sequence[str],
    environ: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    track: Track | None = None,
) -> None:
    """Run a step of ``sangokushi.build.postpdf`` in a process of its own (tracked as TeX is,
    so that an interrupt ends it); raise its one line as a ``BuildError``."""
    from sangokushi.build.postpdf import FAILED

    pdf = Path(args[1])
    command = [sys.executable, "-m", "sangokushi.build.postpdf", *args]
    result = _run(command, pdf.parent, environ, pass_fds, track)
    if result.returncode == FAILED:
        raise BuildError(result.stdout.strip())
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-20:])
        raise BuildError(f"{tail}\n{pdf.name}: {args[0]} failed (exit {result.returncode})")


def whole(built: Path, output: str) -> None:
    """Raise a full disk's one line if ``built`` is shorter than its writer said (``output``)."""
    said = [int(dvipdfmx or luatex) for dvipdfmx, luatex in WRITTEN.findall(output)]
    if said and built.stat().st_size < said[-1]:
        raise BuildError(f"{built}: No space left on device (the PDF is cut short)")


def finish_pdf(built: Path, engine: str, press: bool, colour: bool) -> None:
    """What follows TeX: ToUnicode maps (upLaTeX), then PDF/X for a print shop's PDF."""
    try:
        if engine == "uplatex":
            tounicode.add_tounicode(built)
        problems = (pdfx.make_pdfx(built, colour) or pdfx.preflight(built)) if press else []
    except pikepdf.PdfError as exc:
        raise BuildError(f"{built} is damaged: {str(exc).splitlines()[0]}") from None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BuildError(f"{built.name} is not {pdfx.CONFORMANCE}: {problems[0]}{more}")
