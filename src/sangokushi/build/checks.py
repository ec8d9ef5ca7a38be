"""The publisher's checks of published editions: every sentence, EPUBCheck, PDF fonts, PDF/X."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sangokushi import fidelity, pdfx
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


def ink_problems(path: Path) -> list[str]:
    """Ghostscript renders every page (stopping at any error or warning of its PDF reader) and
    measures each ink's coverage (``inkcov``): a print shop PDF uses black (K) alone."""
    if shutil.which("gs") is None:
        return ["gs (Debian: ghostscript) is not installed: inks not checked"]
    command = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dPDFSTOPONERROR"]
    command += ["-dPDFSTOPONWARNING", "-sDEVICE=inkcov", "-o", "-", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    rows = [line.split() for line in result.stdout.splitlines() if line.endswith("CMYK OK")]
    if result.returncode != 0 or not rows or result.stderr.strip():
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return [f"Ghostscript cannot render it: {said[0] if said else result.returncode}"]
    return [
        f"page {number} uses colour ink (C, M, Y: {', '.join(row[:3])})"
        for number, row in enumerate(rows, 1)
        if any(float(v) > 0 for v in row[:3])
    ]


def press_problems(path: Path, colour: bool = False) -> list[str]:
    """A print shop PDF's problems: not PDF/X-1a (sangokushi.pdfx), colour ink where it prints
    in black alone (Ghostscript; a cover prints in ``colour``), damage qpdf finds."""
    found = pdfx.preflight(path) + ([] if colour else ink_problems(path))
    if shutil.which("qpdf") is None:
        return [*found, "qpdf is not installed: structure not checked"]
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        found.append(f"qpdf --check: {(result.stderr or result.stdout).strip().splitlines()[-1]}")
    return found


def edition_problems(edition: Edition, facts: Facts, builddir: Path) -> tuple[list[str], list[str]]:
    """The checks ``edition`` declares: what they found, and the lines that say how each went."""
    from sangokushi.ebook import check as ebook_check

    path = edition.published(builddir)
    if not path.exists():
        return [f"{edition.name}: {path} is missing: build it first"], []
    found: list[str] = []
    said: list[str] = []
    if "fidelity" in edition.checks:
        # The edition's own documents: its 奥付 names its own tools, its ``only`` blocks.
        expected = fidelity.book_text(edition.doctrees(builddir), edition.only_tags)
        if edition.form == "pdf":
            text = fidelity.pdf_edition_text(path, facts.page)
        else:
            text = fidelity.EXTRACTORS[edition.form](path)
        lost = fidelity.lost_sentences(expected.sentences, text, expected.cells)
        found += [f"{edition.name}: lost sentence: {s}" for s in lost]
        total = len(expected.sentences)
        said.append(f"{edition.name}: {total - len(lost)}/{total} sentences")
    if "epubcheck" in edition.checks:
        problems = ebook_check.check(path, vertical=edition.vertical)
        found += [f"{edition.name}: {problem}" for problem in problems]
        said.append(f"{edition.name}: EPUBCheck and read-back: {len(problems)} problems")
    if "pdf" in edition.checks:
        problems = pdf_problems(path)
        found += [f"{edition.name}: {problem}" for problem in problems]
        said.append(f"{edition.name}: PDF structure and fonts: {len(problems)} problems")
    if "press" in edition.checks:
        problems = press_problems(path, edition.colour)
        found += [f"{edition.name}: {problem}" for problem in problems]
        said.append(
            f"{edition.name}: {pdfx.CONFORMANCE} preflight and inks: {len(problems)} problems"
        )
    return found, said


def check(
    editions: Sequence[Edition],
    facts: Facts,
    builddir: Path,
    say: Callable[[str], None],
) -> list[str]:
    """The checks each published edition declares: what they found (empty: all passed).

    The editions are checked at once, a thread each up to the machine's cores (the time is in
    Java, Ghostscript, qpdf and poppler); what each found is said and returned in their order.
    """
    found: list[str] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        runs = pool.map(lambda edition: edition_problems(edition, facts, builddir), editions)
        for problems, said in runs:
            for line in said:
                say(line)
            found += problems
    return found
