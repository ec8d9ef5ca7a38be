"""Every edition the toolkit builds, declared once; a book picks the ones it wants."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sangokushi import pagemap
from sangokushi.build.errors import BuildError
from sangokushi.facts import ALL_EDITIONS, Facts

# The publisher's checks an edition can declare (sangokushi.build.checks runs them).
# "press": a print shop's PDF, PDF/X-1a (sangokushi.pdfx makes it in the post-step and reads
# it back).
CHECKS = frozenset({"fidelity", "epubcheck", "pdf", "press"})
# The post-steps an edition can declare (sangokushi.build.runner runs them).
POSTS = frozenset({"", "latex", "cover"})
FORMS = frozenset({"html", "epub", "pdf"})
# Sphinx's builder formats (``Builder.format``), which ``only`` blocks can also name.
BUILDER_FORMATS = {"html": "html", "epub": "html", "latex": "latex"}
# Beside an edition's work folder while Sphinx or its post-step runs (``.running``), and once
# it is published (``.stamp``): see sangokushi.build.stamps.
STAMP = ".stamp"


@dataclass(frozen=True)
class Edition:
    """One edition: how Sphinx builds it, where it is published, what checks it.

    ``output`` is relative to BUILDDIR, with ``{name}`` for the book's file stem. ``form`` is
    ``html`` (a folder), ``epub`` or ``pdf`` (a file): it picks the quick validity check run
    before publishing and the text extractor of ``sangokushi.fidelity``. ``checks`` names the
    publisher's checks that apply (``CHECKS``). ``group`` is the make target that builds it;
    ``readthedocs`` the Read the Docs download format it supplies. ``environment`` names
    another edition whose Sphinx environment (doctrees) this one shares: only for editions
    of the same builder whose overrides are no ``env`` config values (they change the
    writing, not the reading); editions that share one write every page from it. ``book``
    is the file stem of the book it was bound to (``for_book``). ``pages`` names the PDF
    edition whose printed pages this EPUB marks (a page list and page break markers, from the
    page map that PDF's post-step leaves: sangokushi.pagemap); it is built after that PDF.
    ``spine`` names the print PDF whose page count sets this cover's 背幅: a cover (no Sphinx
    builder, post-step ``cover``) is built after that PDF, and comes with it in every book
    that builds it. ``colour``: a print shop's PDF in process colour (a cover), not black alone.
    ``imposes`` names the reading PDF whose pages this print shop's PDF carries: its own LaTeX
    sets only the marks around them (sangokushi.build.impose), after that PDF is built.
    """

    name: str
    builder: str
    output: str
    form: str
    group: str
    label: str = ""
    overrides: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    post: str = ""
    checks: tuple[str, ...] = ("fidelity",)
    vertical: bool = False
    readthedocs: str = ""
    environment: str = ""
    book: str = ""
    pages: str = ""
    spine: str = ""
    colour: bool = False
    imposes: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.checks) - CHECKS
        if unknown or self.post not in POSTS or self.form not in FORMS:
            raise ValueError(
                f"edition {self.name}: unknown check, post-step or form "
                f"({', '.join(sorted(unknown)) or self.post or self.form})"
            )

    @property
    def press(self) -> bool:
        """A print shop's PDF: the post-step makes it PDF/X-1a (sangokushi.pdfx)."""
        return "press" in self.checks

    @property
    def filename(self) -> str:
        return Path(self.output).name

    @property
    def tex(self) -> str:
        """The LaTeX file Sphinx writes for the book (``latex_documents``)."""
        return f"{self.book}.tex"

    def published(self, builddir: Path) -> Path:
        return builddir / self.output

    def workdir(self, builddir: Path) -> Path:
        return builddir / "work" / self.name

    def doctrees(self, builddir: Path) -> Path:
        return builddir / "doctrees" / (self.environment or self.name)

    def stamp(self, builddir: Path) -> Path:
        """What the published edition was built from (sangokushi.build.stamps)."""
        return builddir / "work" / f"{self.name}{STAMP}"

    def page_map(self, builddir: Path) -> Path:
        """The page map this PDF edition leaves for the EPUBs that mark its pages."""
        return builddir / "work" / f"{self.name}{pagemap.SUFFIX}"

    def sphinx_args(self, sourcedir: Path, builddir: Path, options: Sequence[str]) -> list[str]:
        """``sphinx-build``'s arguments for this edition (options from SPHINXOPTS last)."""
        args = ["-b", self.builder, "-W", "--keep-going", "-n"]
        args += ["-d", str(self.doctrees(builddir))]
        for key, value in self.overrides.items():
            args += ["-D", f"{key}={value}"]
        if self.pages:
            source = dataclasses.replace(self, name=self.pages)
            args += ["-D", f"ebook_page_map={source.page_map(builddir)}"]
        for tag in self.tags:
            args += ["-t", tag]
        return [*args, *options, str(sourcedir), str(self.workdir(builddir))]

    @property
    def only_tags(self) -> tuple[str, ...]:
        """The tags Sphinx's ``only`` directive sees in this edition (Sphinx adds the builder's
        name and format, each also as ``builder_…`` and ``format_…``), and its own."""
        form = BUILDER_FORMATS.get(self.builder, self.builder)
        names = (self.builder, form, f"builder_{self.builder}", f"format_{form}")
        return (*names, *self.tags)

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
            "pages": self.pages,
            "spine": self.spine,
            "imposes": self.imposes,
        }


TATE = "-tate"
EDITIONS: tuple[Edition, ...] = (
    Edition("html", "html", output="html", form="html", group="html"),
    Edition(
        "epub",
        "epub",
        output="epub/{name}.epub",
        form="epub",
        group="epub",
        label="EPUB（横書き）",
        checks=("fidelity", "epubcheck"),
        readthedocs="epub",
        pages="pdf",
    ),
    Edition(
        "epub-tate",
        "epub",
        output=f"epub/{{name}}{TATE}.epub",
        form="epub",
        group="epub",
        label="EPUB（縦書き）",
        overrides={"epub_writing_mode": "vertical", "epub_basename": f"{{name}}{TATE}"},
        checks=("fidelity", "epubcheck"),
        vertical=True,
        environment="epub",
        pages="pdf-tate",
    ),
    Edition(
        "pdf",
        "latex",
        output="pdf/{name}.pdf",
        form="pdf",
        group="pdf",
        label="PDF",
        post="latex",
        checks=("fidelity", "pdf"),
        readthedocs="pdf",
    ),
    # The same LaTeX with another sangokushi.book.PDF_VARIANTS entry, written from the reading
    # PDF's environment (book_pdf_variant is read only when writing).
    Edition(
        "pdf-print",
        "latex",
        output="pdf/{name}-print.pdf",
        form="pdf",
        group="pdf-print",
        label="PDF（印刷所入稿用・トンボ付き）",
        overrides={"book_pdf_variant": "print"},
        post="latex",
        checks=("fidelity", "pdf", "press"),
        environment="pdf",
        imposes="pdf",
    ),
    Edition(
        "pdf-tate",
        "latex",
        output=f"pdf/{{name}}{TATE}.pdf",
        form="pdf",
        group="pdf-tate",
        label="PDF（縦書き）",
        overrides={"book_pdf_variant": "tate"},
        post="latex",
        checks=("pdf",),
        vertical=True,
        environment="pdf",
    ),
    Edition(
        "pdf-tate-print",
        "latex",
        output=f"pdf/{{name}}{TATE}-print.pdf",
        form="pdf",
        group="pdf-tate-print",
        label="PDF（縦書き・印刷所入稿用・トンボ付き）",
        overrides={"book_pdf_variant": "tate-print"},
        post="latex",
        checks=("pdf", "press"),
        vertical=True,
        environment="pdf",
        imposes="pdf-tate",
    ),
    # The print covers (sangokushi.printcover), one for each binding: drawn after their print
    # PDF, whose pages give the spine's width. No Sphinx: the book's facts and conf.py.
    Edition(
        "cover",
        "",
        output="pdf/{name}-cover.pdf",
        form="pdf",
        group="cover",
        post="cover",
        checks=("pdf", "press"),
        colour=True,
        spine="pdf-print",
    ),
    Edition(
        "cover-tate",
        "",
        output=f"pdf/{{name}}{TATE}-cover.pdf",
        form="pdf",
        group="cover",
        post="cover",
        checks=("pdf", "press"),
        colour=True,
        vertical=True,
        spine="pdf-tate-print",
    ),
)
assert tuple(e.name for e in EDITIONS if not e.spine) == ALL_EDITIONS, "facts.ALL_EDITIONS"
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(e.group for e in EDITIONS))


def for_book(facts: Facts) -> tuple[Edition, ...]:
    """The editions ``facts`` asks for, their file names and labels the book's own."""
    paper = f"（{facts.paper}判）"
    bound = []
    for edition in EDITIONS:
        # A cover comes with its print PDF.
        if (edition.spine or edition.name) not in facts.editions:
            continue
        overrides = {k: v.format(name=facts.name) for k, v in edition.overrides.items()}
        label = edition.label + paper if edition.label == "PDF" else edition.label
        bound.append(
            dataclasses.replace(
                edition,
                output=edition.output.format(name=facts.name),
                overrides=overrides,
                label=label,
                book=facts.name,
                # A book without that PDF has no printed pages to mark.
                pages=edition.pages if edition.pages in facts.editions else "",
                # Without its reading PDF a print PDF sets its own pages.
                imposes=edition.imposes if edition.imposes in facts.editions else "",
            )
        )
    return tuple(bound)


def select(
    editions: Sequence[Edition], names: Sequence[str], groups: Sequence[str] = ()
) -> list[Edition]:
    """Of a book's ``editions``, those named or in a make group named; all when none is."""
    unknown = [n for n in names if n not in {e.name for e in editions}]
    unknown += [g for g in groups if g not in {e.group for e in editions}]
    if unknown:
        known = [e.name for e in EDITIONS]
        offered = ", ".join(e.name for e in editions)
        raise BuildError(
            f"no such edition or group in this book: {', '.join(unknown)} "
            f"(the book builds: {offered}; the toolkit knows: {', '.join(known)}; "
            "a book chooses its editions in book.toml's [book] editions)"
        )
    if not names and not groups:
        return list(editions)
    return [e for e in editions if e.name in names or e.group in groups]


def with_sources(editions: Sequence[Edition], chosen: Sequence[Edition]) -> list[Edition]:
    """``chosen`` and the PDFs whose pages they mark, bind or carry (built first, or found up
    to date)."""
    names: set[str] = set()
    wanted = {e.name for e in chosen}
    while wanted - names:  # a cover's print PDF carries the reading PDF's pages
        names |= wanted
        wanted = {s for e in editions if e.name in names for s in (e.pages, e.spine, e.imposes)}
        wanted.discard("")
    return [e for e in editions if e.name in names]


def with_check(editions: Sequence[Edition], check: str) -> list[Edition]:
    return [e for e in editions if check in e.checks]


def downloads(editions: Sequence[Edition]) -> list[Edition]:
    """The editions a reader downloads (EPUBs, PDFs), in the order the site lists them."""
    return [e for e in editions if e.label]
