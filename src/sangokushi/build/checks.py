"""The publisher's checks of published editions: every sentence, EPUBCheck, the PDF's fonts."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from sangokushi import fidelity
from sangokushi.build.publish import check_pdf
from sangokushi.build.registry import Edition
from sangokushi.facts import Facts


def pdf_problems(path: Path) -> list[str]:
    """A PDF's problems: not whole, or a font not embedded (poppler's ``pdffonts``)."""
    if problem := check_pdf(path):
        return [problem]
    if shutil.which("pdffonts") is None:
        return ["pdffonts (Debian: poppler-utils) is not installed: fonts not checked"]
    result = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return [f"pdffonts cannot read it: {result.stderr.strip()}"]
    rows = result.stdout.splitlines()[2:]
    # pdffonts' columns: name type encoding emb sub uni object ID; ``emb`` is 5th from the end.
    return [f"font not embedded: {row.split()[0]}" for row in rows if row.split()[-5] != "yes"]


def check(
    editions: Sequence[Edition],
    facts: Facts,
    builddir: Path,
    say: Callable[[str], None],
) -> list[str]:
    """The checks each published edition declares: what they found (empty: all passed)."""
    from sangokushi.ebook import check as ebook_check

    found: list[str] = []
    expected: list[str] | None = None
    for edition in editions:
        path = edition.published(builddir)
        if not path.exists():
            found.append(f"{edition.name}: {path} is missing: build it first")
            continue
        if "fidelity" in edition.checks:
            if expected is None:
                expected = fidelity.book_sentences(builddir / "doctrees")
            if edition.form == "pdf":
                text = fidelity.pdf_edition_text(path, facts.page)
            else:
                text = fidelity.EXTRACTORS[edition.form](path)
            lost = fidelity.lost_sentences(expected, text)
            found += [f"{edition.name}: lost sentence: {s}" for s in lost]
            say(f"{edition.name}: {len(expected) - len(lost)}/{len(expected)} sentences")
        if "epubcheck" in edition.checks:
            problems = ebook_check.check(path, vertical=edition.vertical)
            found += [f"{edition.name}: {problem}" for problem in problems]
            say(f"{edition.name}: EPUBCheck and read-back: {len(problems)} problems")
        if "pdf" in edition.checks:
            problems = pdf_problems(path)
            found += [f"{edition.name}: {problem}" for problem in problems]
            say(f"{edition.name}: PDF structure and fonts: {len(problems)} problems")
    return found
