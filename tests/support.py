"""Helpers for the tests: the project's paths, its Makefile and one Sphinx build helper."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sangokushi.book import LATEX_ENGINE
from sangokushi.build.dvipdf import FOLDER, codes, cut_fonts, environ
from sangokushi.build.latex import PASSES, build_pdf, texmf_environ
from sangokushi.build.registry import for_book
from sangokushi.facts import load
from sangokushi.page import PageDesign, body_band

# A word of ``pdftotext -bbox`` output; ruby is kana (a small glyph that is not kana is text:
# a 縦中横 digit, a turned ">").
from sangokushi.pagemap import KANA, WORD

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# This book's facts and editions (docs/book.toml), as `sangokushi build docs` builds them.
FACTS = load(DOCS)
BOOK = FACTS.name
EDITIONS = for_book(FACTS)
BY_NAME = {e.name: e for e in EDITIONS}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def make(*targets: str, check: bool = True, **variables: str | Path) -> subprocess.CompletedProcess:
    """Run the project's Makefile as a user would."""
    args = ["make", "-C", str(ROOT), *targets, *(f"{k}={v}" for k, v in variables.items())]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=os.environ)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def pdftotext(pdf: Path, *options: str) -> str:
    """Poppler's text of ``pdf`` (UTF-8), with pdftotext's ``options`` (pages, crop, -bbox)."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def strip_colors(text: str) -> str:
    return ANSI.sub("", text)


@dataclass
class Build:
    """What a ``sphinx_build`` left: its output folder and its warnings, colours stripped."""

    outdir: Path
    warnings: str
    basename: str = ""

    @property
    def epub(self) -> Path:
        """The EPUB an ``epub`` build wrote (named by ``epub_basename``)."""
        return self.outdir / f"{self.basename}.epub"


def sphinx_build(root: Path | None, dest: Path, buildername: str, **overrides: object) -> Build:
    """Build a copy of ``root`` into ``dest`` afresh; without ``root``, rebuild ``dest``."""
    src = dest / "src"
    if root is not None:
        shutil.copytree(root, src)
    app = SphinxTestApp(
        buildername,
        srcdir=src,
        builddir=dest / "_build",
        confoverrides=overrides,
        freshenv=root is not None,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return Build(Path(app.outdir), strip_colors(app.warning.getvalue()), app.config.epub_basename)


def page_words(
    pdf: Path, number: int, *options: str
) -> list[tuple[float, float, float, float, str]]:
    """Page ``number``'s words as poppler reads them: their boxes and their text (as drawn)."""
    markup = pdftotext(pdf, *options, "-bbox", "-f", str(number), "-l", str(number))
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(markup)]


def vertical_text(pdf_path: Path, page: PageDesign, band: tuple[float, float] = (0, 1)) -> str:
    """Text of a vertically set PDF in the order it was set (columns right to left); no ruby.

    ``band`` reads only part of the text block's height (an index set in two 段: the top one
    is (0, 0.5)). Words come in drawing order (``-raw``): poppler's boxes of turned Latin
    glyphs are too rough to sort a column by.
    """
    from pypdf import PdfReader

    from sangokushi import fidelity

    # On a print shop's sheet the page lies lower, by the TrimBox's distance from the top.
    head, foot = (edge + fidelity.trim_offset(pdf_path) for edge in body_band(page, tate=True))
    head, foot = head + band[0] * (foot - head), head + band[1] * (foot - head)
    parts = []
    for number in range(1, len(PdfReader(pdf_path).pages) + 1):
        boxes = page_words(pdf_path, number, "-raw")
        # Running heads stand above the text block, folios below it.
        found = [w for w in boxes if w[3] > head and w[1] < foot]
        single = [w for w in found if len(w[4]) == 1]
        width = sorted(x1 - x0 for x0, _, x1, _, _ in single)[len(single) // 2] if single else 9
        height = sorted(y1 - y0 for _, y0, _, y1, _ in single)[len(single) // 2] if single else 9
        for word in found:
            narrow, short = word[2] - word[0] < 0.7 * width, word[3] - word[1] < 0.7 * height
            if narrow and short and KANA.fullmatch(word[4]):
                continue  # ruby (a 縦中横 digit is narrow but tall, a turned "no" short but wide)
            parts.append(html.unescape(word[4]))
    return fidelity.normalize("".join(parts))


# updvitype's mnemonics: a font defined, a font chosen, a character set or put.
DEFINED = re.compile(r"^\d+: fntdef\d (\d+): (\S+?)(?: \(JFM.*?\))?---")
CHOSEN = re.compile(r"^\d+: fnt(?:num|1 )(\d+)")
SET = re.compile(r"^\d+: (?:setchar(\d+)|(?:set|put)\d (\d+))")


def dvitype_characters(dvi: Path) -> dict[str, set[int]]:
    """The characters ``dvi`` sets in each font, as TeX's own updvitype reads them."""
    listing = subprocess.run(
        ["updvitype", "-output-level=2", dvi.name], cwd=dvi.parent, capture_output=True,
        text=True, check=True, errors="replace",
    ).stdout  # fmt: skip
    names: dict[str, str] = {}
    found: dict[str, set[int]] = {}
    current = ""
    for line in listing.splitlines():
        if defined := DEFINED.match(line):
            names[defined[1]] = defined[2]
        elif chosen := CHOSEN.match(line):
            current = names[chosen[1]]
        elif char := SET.match(line):
            found.setdefault(current, set()).add(int(char[1] or char[2]))
    return found


def check_cut_fonts(work: Path, dvi: Path) -> None:
    """Every character ``dvi`` sets in a cut font is in it; dvipdfmx finds the cut fonts
    first and makes the same PDF with them as with the whole fonts."""
    shutil.rmtree(work / FOLDER, ignore_errors=True)
    assert cut_fonts(dvi)
    cut = sorted((work / FOLDER).glob("*.vf"))
    assert cut, "no virtual font was cut"
    used = dvitype_characters(dvi)
    env = {**texmf_environ(dict(os.environ)), "SOURCE_DATE_EPOCH": "1700000000"}
    for font in cut:
        assert used[font.stem] <= codes(font), font.stem
        where = subprocess.run(["kpsewhich", "-format=vf", font.name], cwd=work,
                               env=environ(work, env), capture_output=True, text=True)  # fmt: skip
        assert Path(where.stdout.strip()).resolve() == font.resolve()

    def pdf(environ: dict[str, str]) -> bytes:
        subprocess.run(["dvipdfmx", "-q", "-o", "again.pdf", dvi.name], cwd=work, env=environ,
                       check=True)  # fmt: skip
        return (work / "again.pdf").read_bytes()

    assert pdf(environ(work, env)) == pdf(env)


def tex_passes(tex: Path, *, preamble: bool = True) -> int:
    """Build ``tex``'s PDF as the build does (``latex.build_pdf``); how many TeX passes it took."""
    said: dict[str, str] = {}

    def record(name: str, start: float, end: float, detail: str) -> None:
        said[name] = detail

    build_pdf(tex, preamble=preamble, record=record)
    # After an edit a pass may set the chapters that changed alone (sangokushi.build.parts).
    found = re.fullmatch(rf"{LATEX_ENGINE} ×(\d) \([^)]*\)(?:, \d+ of \d+ chapters)?", said[PASSES])
    assert found, said
    return int(found[1])
