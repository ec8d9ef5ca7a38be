"""TeX's passes over a document until the files it reads back stop changing."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sangokushi.build.stamps import file_digest

# latexmk's limit ($max_repeat): a document still changing after this many passes never settles.
MOST = 5
# What a pass writes and no pass reads: the pages, the log, the recorder's list of files.
FINAL = frozenset({".dvi", ".xdv", ".pdf", ".log", ".fls", ".synctex", ".gz"})
# What LaTeX writes in the .aux of a one-page document with no cross-references: put there
# before the first pass when there is none (as latexmk does), such a document takes one pass.
TRIVIAL_AUX = "\\relax \n\\gdef \\@abspage@last{1}\n"


@dataclass
class Passes:
    """The passes run (their wall times), the last one's result, and what still changed after
    it."""

    times: list[float] = field(default_factory=list)
    last: subprocess.CompletedProcess[str] | None = None
    unsettled: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.last is None or self.last.returncode != 0

    def detail(self, engine: str) -> str:
        """``uplatex ×2 (0.41 + 0.25 s)``: for the build's timings."""
        each = " + ".join(f"{t:.2f}" for t in self.times)
        return f"{engine} ×{len(self.times)} ({each} s)"


def recorded(fls: Path) -> tuple[set[Path], set[Path]]:
    """The files a pass read and those it wrote, from TeX's ``-recorder`` list (relative
    paths taken from the folder it ran in); both empty when there is no list."""
    read: set[Path] = set()
    wrote: set[Path] = set()
    try:
        lines = fls.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except FileNotFoundError:
        return read, wrote
    for line in lines:
        kind, _, name = line.partition(" ")
        if kind in ("INPUT", "OUTPUT"):
            path = Path(os.path.normpath(os.path.join(fls.parent, name)))
            (read if kind == "INPUT" else wrote).add(path)
    return read, wrote


def fingerprints(paths: Iterable[Path]) -> dict[Path, str | None]:
    """Each file's digest (None: absent)."""
    return {path: file_digest(path) or None for path in paths}


def run_passes(
    tex: Path, one_pass: Callable[[], subprocess.CompletedProcess[str]], most: int = MOST
) -> Passes:
    """Run ``one_pass`` (TeX on ``tex`` with ``-recorder``) until it fails or no file
    it wrote and reads back changed, as latexmk did: a file written that did not exist
    before the pass counts as read (TeX looked for it: ``.toc``), so does one the list
    before the pass did not name (its earlier content is unknown)."""
    fls, aux = tex.with_suffix(".fls"), tex.with_suffix(".aux")
    passes = Passes()
    before = fingerprints(_kept(recorded(fls)[1]))
    if not aux.exists():
        aux.write_text(TRIVIAL_AUX, encoding="ascii")
        before.update(fingerprints([aux]))
    for _ in range(most):
        start = time.monotonic()
        passes.last = one_pass()
        passes.times.append(time.monotonic() - start)
        if passes.failed:
            return passes
        read, wrote = recorded(fls)
        after = fingerprints(_kept(wrote))
        passes.unsettled = sorted(
            path
            for path, digest in after.items()
            if path not in before
            or (digest != before[path] and (path in read or before[path] is None))
        )
        if not passes.unsettled:
            return passes
        before = after
    return passes


def _kept(wrote: Iterable[Path]) -> list[Path]:
    """The files written that a pass may read back."""
    return [path for path in wrote if path.suffix not in FINAL]
