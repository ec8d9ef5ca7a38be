"""The PDF editions' post-step: latexmk (upLaTeX and dvipdfmx, or LuaLaTeX) on Sphinx's LaTeX."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

from sangokushi import texlog, tounicode
from sangokushi.book import LATEX_ENGINE
from sangokushi.build.errors import BuildError
from sangokushi.build.lock import held_locks

TIMEOUT = 900
# latexmk's arguments per engine; for upLaTeX, the rc file Sphinx writes beside the LaTeX.
LATEXMK = {
    "uplatex": ("-r", "latexmkjarc", "-pdfdvi", "-dvi-", "-ps-"),
    "lualatex": ("-lualatex",),
    "pdflatex": ("-pdf",),
}
# LuaLaTeX's font cache: a known place that outlives `make clean` and fresh clones.
TEXMF_CACHE = Path.home() / ".cache" / "sangokushi" / "texmf-var"


def texmf_environ(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with LuaLaTeX's font cache where every build of the book finds it."""
    cache = environ.get("TEXMFCACHE") or str(TEXMF_CACHE)
    return {
        **environ,
        "TEXMFCACHE": cache,
        "TEXMFVAR": environ.get("TEXMFVAR") or cache,
        # Sphinx's latexmkrc reads it; unset, Perl warns about it on every run.
        "LATEXOPTS": environ.get("LATEXOPTS", ""),
    }


def trailer_id(tex: Path) -> str:
    """A LuaTeX PDF ``/ID`` from the LaTeX source and the build time, not the folder's path.

    LuaTeX derives the ID from the output's full path by default, so the same book built in
    another BUILDDIR (or in `make site`'s temporary checkouts) came out with other bytes.
    (dvipdfmx derives it from SOURCE_DATE_EPOCH and the file names latexmk gives it, which
    are relative.)
    """
    digest = hashlib.md5(tex.read_bytes(), usedforsecurity=False)
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    value = digest.hexdigest().upper()
    return rf"\pdfvariable trailerid{{[<{value}><{value}>]}}"


def _stop(process: subprocess.Popen[str]) -> None:
    """End latexmk and the LuaLaTeX it started (their own process group)."""
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


def build_pdf(tex: Path, engine: str = LATEX_ENGINE) -> Path:
    """Compile ``tex`` with latexmk in its folder; return the PDF, or raise ``BuildError``."""
    missing = [p for p in ("latexmk", engine) if shutil.which(p) is None]
    if missing:
        raise BuildError(
            f"{' and '.join(missing)} not found: the PDF editions need TeX Live "
            "(Debian: texlive-lang-japanese texlive-latex-extra latexmk; `make sysdeps` installs "
            "them); the HTML and EPUB editions do not"
        )
    workdir = tex.parent
    built = tex.with_suffix(".pdf")
    log = tex.with_suffix(".log")
    command = ["latexmk", *LATEXMK[engine], "-interaction=nonstopmode", "-halt-on-error", "-f-"]
    if engine == "lualatex":
        command.append(f"-usepretex={trailer_id(tex)}")
    # Its own process group, so that an interrupt ends LuaLaTeX too; BUILDDIR's lock is
    # inherited, so a LuaLaTeX outliving this process still keeps other builds out.
    process = subprocess.Popen(
        [*command, tex.name],
        cwd=workdir,
        env=texmf_environ(dict(os.environ)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        pass_fds=held_locks(),
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise BuildError(f"latexmk ran over {TIMEOUT} s in {workdir}") from None
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0 or not built.is_file():
        if error := texlog.first_error(log, tex):
            raise BuildError(f"{error}; see {log}")
        tail = "\n".join(output.splitlines()[-30:])
        raise BuildError(f"{tail}\nlatexmk failed (exit {process.returncode}): see {log}")
    if problems := texlog.overflows(log, tex):
        raise BuildError(texlog.report(problems, log))
    if engine == "uplatex":
        tounicode.add_tounicode(built)
    return built
