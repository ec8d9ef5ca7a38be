"""A print shop's PDF: its reading PDF's pages laid on pages that carry the press's marks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

from sangokushi.book import FOLIOS
from sangokushi.build.errors import BuildError
from sangokushi.tounicode import write_over

# The print PDF's LaTeX, cut here: its preamble (the reading PDF's, then the press's: trim
# marks, 隠しノンブル, blank pages to a multiple of 4) sets the marks' pages (``marks_tex``).
BEGIN = "\\begin{document}"
# The marks' LaTeX, beside the print PDF's.
MARKS = "-marks"
# The reading page on a page of marks: a form XObject by this name.
FORM = "/Laid"
# The phase (sangokushi.build.timings) that lays the pages and makes the PDF/X.
LAID = "pages laid, PDF/X"
# A page of the marks' LaTeX whose design has a head or a foot (no 隠しノンブル), printing none.
UNDER_STYLE = "sangokushiunder"
ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


@dataclass(frozen=True)
class Page:
    """A page the reading PDF's LaTeX shipped (``sangokushi.book.FOLIOS``)."""

    counter: int
    empty: bool
    folio: str

    @property
    def numbering(self) -> str:
        """How LaTeX writes the page counter as this folio (``\\pagenumbering``'s argument)."""
        roman = _roman(self.counter)
        for style, shown in (("arabic", str(self.counter)), ("roman", roman)):
            if self.folio == shown:
                return style
        if self.folio == roman.upper():
            return "Roman"
        return ""


def _roman(number: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while number >= value:
            out, number = out + letters, number - value
    return out


@dataclass(frozen=True)
class Plan:
    """The reading PDF's pages, and the print PDF's: each the index of the reading page it
    carries, or None for a blank page added before the 奥付 (or at the end) to make 4n."""

    pages: tuple[Page, ...]
    order: tuple[int | None, ...]


def plan(folios: Path) -> Plan:
    """The print PDF's pages from the reading PDF's ``folios``: the same, but the 奥付 after
    blank pages up to a multiple of 4 (instead of one blank page to start a verso); with no
    奥付, the blank pages at the end."""
    pages: list[Page] = []
    colophon: int | None = None
    if not folios.is_file():
        raise BuildError(f"{folios} is missing: the reading PDF's LaTeX writes it; build again")
    for number, line in enumerate(folios.read_text(encoding="utf-8").splitlines(), 1):
        kind, _, rest = line.partition(" ")
        try:
            if kind == "page":
                _, counter, style, folio = rest.split(" ", 3)
                pages.append(Page(int(counter), style == "empty", folio.strip()))
            elif kind == "colophon":
                colophon = int(rest)
        except ValueError:
            raise BuildError(f"{folios}:{number}: not a page of the book: {line!r}") from None
    order: list[int | None] = list(range(len(pages)))
    if colophon is not None and colophon <= len(pages):
        # The reading PDF's blank page before a 奥付 that would start on an odd page.
        start = min(colophon + (0 if colophon % 2 else 1), len(pages))
        if start > colophon and not pages[colophon].empty:
            start = colophon
        after = list(range(start, len(pages)))
        order = [*range(colophon), *[None] * (-(colophon + len(after)) % 4), *after]
    else:
        order += [None] * (-len(pages) % 4)
    return Plan(tuple(pages), tuple(order))


def preamble(tex: str) -> str:
    """A PDF's LaTeX up to ``BEGIN``: all the marks' pages take of the print PDF's."""
    if BEGIN not in tex:
        raise BuildError(f"the PDF's LaTeX has no {BEGIN}")
    return tex[: tex.index(BEGIN)]


def marks_tex(print_tex: str, plan: Plan) -> str:
    """The LaTeX of the marks' pages: ``print_tex``'s preamble, then one empty page for each
    of the print PDF's, with the folio and page style of the page it will carry."""
    head = preamble(print_tex)
    body = [
        "\\makeatletter",
        f"\\fancypagestyle{{{UNDER_STYLE}}}{{\\fancyhf{{}}"
        "\\renewcommand{\\headrulewidth}{0pt}\\renewcommand{\\footrulewidth}{0pt}}",
    ]
    previous: Page | None = None
    for index in plan.order:
        if index is None:
            body.append("\\sphinxbook@blankpage")
            continue
        page = plan.pages[index]
        style = page.numbering
        if not style:
            raise BuildError(f"page {index + 1}'s folio {page.folio!r} is not a page number")
        before = plan.pages[index - 1] if index else None
        if previous is None or before is None or style != before.numbering:
            body.append(f"\\pagenumbering{{{style}}}\\setcounter{{page}}{{{page.counter}}}")
        elif page.counter != before.counter + 1:
            body.append(f"\\setcounter{{page}}{{{page.counter}}}")
        style = "empty" if page.empty else UNDER_STYLE
        body.append(f"\\hbox{{}}\\thispagestyle{{{style}}}\\newpage")
        previous = page
    body.append("\\makeatother")
    return f"{head}{BEGIN}\n" + "\n".join(body) + "\n\\end{document}\n"


def lay(reading: Path, marks: Path, order: Sequence[int | None], out: Path) -> None:
    """Write ``out``: each page of ``marks`` with the reading page ``order`` names laid in its
    TrimBox (top left, unscaled) as a form named ``FORM``, and the reading PDF's dates."""
    with pikepdf.open(reading) as source, pikepdf.open(marks) as pdf:
        if len(pdf.pages) != len(order):
            raise BuildError(f"{marks.name} has {len(pdf.pages)} pages, the print PDF {len(order)}")
        for page, index in zip(pdf.pages, order, strict=True):
            if index is None:
                continue
            carried = source.pages[index]
            left, _, _, top = (float(v) for v in page.trimbox)
            height = float(carried.mediabox[3]) - float(carried.mediabox[1])
            form = pdf.copy_foreign(carried.as_form_xobject())
            page.add_resource(form, Name.XObject, Name(FORM))
            page.contents_add(b"q\n", prepend=True)
            placed = f"\nQ q 1 0 0 1 {left:.5f} {top - height:.5f} cm {FORM} Do Q\n"
            page.contents_add(pdf.make_stream(placed.encode()))
        for key in ("/CreationDate", "/ModDate"):
            if key in source.docinfo:
                pdf.docinfo[key] = source.docinfo[key]
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    write_over(out, buffer.getvalue(), ".laid.pdf")


def make(out: Path, reading: Path, marks: Path, order: Sequence[int | None]) -> None:
    """``lay`` the print PDF at ``out``, then make it PDF/X-1a and read it back (its fonts have
    their ToUnicode maps from the reading PDF and the marks' LaTeX)."""
    from sangokushi.build.latex import finish_pdf

    try:
        lay(reading, marks, order, out)
    except pikepdf.PdfError as exc:
        raise BuildError(f"{out} is damaged: {str(exc).splitlines()[0]}") from None
    finish_pdf(out, "", press=True, colour=False)


def folios(reading_tex: Path) -> Path:
    """Where the reading PDF's LaTeX wrote its pages (``sangokushi.book.FOLIOS``)."""
    return reading_tex.with_suffix(FOLIOS)


def marks_path(print_tex: Path) -> Path:
    return print_tex.with_name(print_tex.stem + MARKS + ".tex")
