"""Book structure and the printed page: chapter kinds, the 版面, and the LaTeX book style."""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.texescape import escape

from sangokushi.facts import Facts
from sangokushi.jatext import beside, is_wide, phrases
from sangokushi.latexmarks import BOOK_PACKAGE, SOURCE_MARK
from sangokushi.page import PageDesign, page_design
from sangokushi.tables import joined
from sangokushi.tate import LATEX_MACROS, ORIENTED, PARENTHESES, TCY_DIGITS, orient

logger = logging.getLogger(__name__)

KINDS = ("numbered", "unnumbered", "appendix", "colophon")


# The book's LaTeX engine (sangokushi.build.latex runs it): upLaTeX with dvipdfmx,
# a third of LuaLaTeX's time a pass with the same jlreq class. LuaLaTeX stays supported for
# the extensions' own test roots.
LATEX_ENGINE = "uplatex"


class PdfVariant(NamedTuple):
    """One PDF built from the book's LaTeX: its writing mode, class options and extra preamble.

    ``press``: a print shop's PDF (trim marks, PDF/X-1a made by sangokushi.pdfx after LaTeX).
    """

    tate: bool = False
    class_options: tuple[str, ...] = ()
    preamble: str = ""
    press: bool = False

    def latex_preamble(self) -> str:
        """What the variant adds to the book's preamble: its own, then (after ``FORMAT_END``)
        the print shop's."""
        return TINTS + self.preamble + FORMAT_END + (PRESS_PREAMBLE if self.press else "")


# Where a preamble format stops (mylatexformat's \endofdump; \relax when no format is used):
# the print shop's extras are read by every pass, so that a book's reading and print PDFs load
# one format between them (sangokushi.build.latex), dumped once on a machine's first build.
FORMAT_END = "\n\\csname endofdump\\endcsname\n"


# The smallest tint a print shop reproduces reliably on offset or on-demand presses, as a
# fraction of full ink (the shops' guidelines: K10–80 %, lighter tints may vanish; see
# REFERENCE.md). sangokushi.pdfx raises any lighter flat tint of a print PDF to it.
MIN_TINT = 0.10

# Table stripes in every PDF as a print shop's PDF needs them (its pages are the reading PDF's:
# sangokushi.build.impose): no lighter than MIN_TINT, the even rows white (no ink).
TINTS = rf"""
\sphinxsetup{{TableRowColorHeader={{gray}}{{{1 - 2 * MIN_TINT:g}}},
  TableRowColorOdd={{gray}}{{{1 - MIN_TINT:g}}},TableRowColorEven={{gray}}{{1}}}}
"""

# The print shop's PDFs: trimmed to the paper, trim marks and 3 mm bleed on every side,
# TrimBox/BleedBox set, no link annotations; a 隠しノンブル (5 pt, 1 mm from the fold, 5 mm
# above the foot's trim line) on every page whose design shows no folio (扉, blank pages,
# 奥付); blank pages before the 奥付 up to a multiple of 4 pages, the 奥付 last (its length
# read from the last pass's .aux; LaTeX with no 奥付 gets them at its end). A book's print PDF
# sets only these marks, on its reading PDF's pages (sangokushi.build.impose).
PRESS_PREAMBLE = r"""
% jlreq-trimmarks (2022/11/28) has one ')' too many in its test of which side is the gutter of
% a vertical book ("Missing number" while it loads, then on every page): it loads as for a
% horizontal book (its other choices are made later), then gets the same test balanced.
\makeatletter\let\sangokushi@iftate\if@tate\let\if@tate\iffalse\makeatother
\usepackage[show={trimmarks,banner,digital},trimmarks_paper=+{26mm,26mm},bleed_margin=3mm]{jlreq-trimmarks}
\makeatletter\let\if@tate\sangokushi@iftate\makeatother
\ExplSyntaxOn\makeatletter
\def\ifjlreq@trimmarks@leftisgutter{
  \ifjlreq@trimmarks@tate
    { \bool_if:nTF { ! ( \int_if_odd_p:n { \c@page } || ! \legacy_if_p:n { @twoside } ) } }
    { \bool_if:nTF { \int_if_odd_p:n { \c@page } || ! \legacy_if_p:n { @twoside } } }
}
\makeatother\ExplSyntaxOff
\hypersetup{draft}
\makeatletter
\newcommand{\sangokushi@hiddenfolio}{%
  \ifx\@oddhead\@empty\ifx\@oddfoot\@empty\ifx\@evenhead\@empty\ifx\@evenfoot\@empty
    \kern1mm\raise5mm\hbox{\fontsize{5pt}{5pt}\usefont{T1}{qhv}{m}{n}\thepage}\kern1mm
  \fi\fi\fi\fi}
\jlreqtrimmarkssetup{banner={bottom-gutter={in-horizontal={\sangokushi@hiddenfolio}}},banner_font={}}
\def\sangokushi@colophonpages{1}
\newcount\sangokushi@colophonstart
\newcount\sangokushi@pages
\newcommand{\sangokushi@fillfours}[1]{% blank pages until the pages shipped plus #1 are 4n
  \sangokushi@pages=\numexpr\sphinxbook@shipped+#1\relax
  \loop\ifnum\numexpr\sangokushi@pages-4*((\sangokushi@pages+2)/4-1)\relax>0
    \sphinxbook@blankpage\advance\sangokushi@pages by 1 \repeat}
\renewcommand{\sphinxbook@beforecolophon}{%
  \sangokushi@fillfours{\sangokushi@colophonpages}%
  \global\sangokushi@colophonstart=\sphinxbook@shipped}
% LaTeX of a project with no 奥付 (no book facts): the blank pages at the end.
\AtEndDocument{\clearpage\ifnum\sangokushi@colophonstart=0 \sangokushi@fillfours{0}\fi}
\AddToHook{enddocument/afterlastpage}{\if@filesw\ifnum\sangokushi@colophonstart>0
  \immediate\write\@auxout{\gdef\string\sangokushi@colophonpages{%
    \the\numexpr\sphinxbook@shipped-\sangokushi@colophonstart\relax}}\fi\fi}
\makeatother
"""

# The PDFs built from the book's LaTeX, by the name `-D book_pdf_variant=…` selects
# (sangokushi.build.registry declares them: pdf, pdf-print, pdf-tate, pdf-tate-print).
# "print": PRESS_PREAMBLE (after FORMAT_END). "tate": set vertically, pages right to left.
# "tate-print": both.
TATE_PREAMBLE = r"""
\hypersetup{pdfdirection=R2L}
% jlreq's vertical headings allow a page break after them on an even page only: where a
% heading falls decides the break, the break moves the heading, and on some books LaTeX never
% settled ('latex' needed too many passes). Never break after a heading, on any page.
\ModifyHeading{chapter}{allowbreak_if_evenpage=false}
\ModifyHeading{section}{allowbreak_if_evenpage=false}
\ModifyHeading{subsection}{allowbreak_if_evenpage=false}
\makeatletter
\newcommand{\sphinxbooktatepage}[1]{\tatechuyoko*{#1}}
% A number that expands to digits (\thepage, a folio in 目次) after the vertical policy
% (sangokushi.tate): up to @TCY_DIGITS@ digits 縦中横, longer ones upright digit by digit.
\ExplSyntaxOn
% jlreq's \tatechuyoko puts before its box the JFM glue the character before would have before
% a kanji (after 、 half a 字), but upLaTeX has already set that character's own glue there
% when the macro came: after 、 a whole 字 opened (「70億、 130億」; \inhibitglue comes too
% late). After a character, the space between two characters instead (\kanjiskip: a line may
% break there, as before a kanji, and it stretches like one); after a box (the digit before,
% set upright) a \kern0pt, no break. Either way jlreq's \lastnodechar finds no character and
% adds nothing.
\cs_new_protected:Npn \__sangokushi_tcy:n #1
  {
    \mode_leave_vertical:
    \int_compare:nNnTF { \lastnodechar } > { -1 } { \hskip \kanjiskip } { \kern \z@ }
    \tatechuyoko*{#1}
  }
\cs_new_protected:Npn \sangokushitatenumber #1
  {
    \tl_set:Nx \l_tmpa_tl {#1}
    \int_compare:nNnTF { \tl_count:N \l_tmpa_tl } > { @TCY_DIGITS@ }
      { \tl_map_inline:Nn \l_tmpa_tl { \__sangokushi_tcy:n {##1} } }
      { \__sangokushi_tcy:n {\l_tmpa_tl} }
  }
% Runs the 扉 marks (sangokushi.tate.latex): 縦中横, or upright character by character.
\cs_set_protected:Npn \sangokushitcy #1 { \__sangokushi_tcy:n {#1} }
\cs_set_protected:Npn \sangokushiupright #1
  { \tl_map_inline:nn {#1} { \__sangokushi_tcy:n {##1} } }
% Numbers in a label the extensions write whole (an analogy box's 「比喩1」).
\cs_set_protected:Npn \sangokushitatedigits #1
  {
    \tl_set:Nn \l_tmpa_tl {#1}
    \regex_replace_all:nnN { ([0-9]+) } { \c{sangokushitatenumber} \cB\{ \1 \cE\} } \l_tmpa_tl
    \tl_use:N \l_tmpa_tl
  }
% (sangokushi.analogy's package is loaded before this preamble.)
\cs_if_exist:NT \sangokushianalogynumber
  { \DeclareRobustCommand \sangokushianalogynumber [1] { \sangokushitatenumber {#1} } }
\cs_if_exist:NT \sangokushianalogytitle
  {
    \cs_set_eq:NN \sangokushi@analogytitle \sangokushianalogytitle
    \cs_set_protected:Npn \sangokushianalogytitle #1#2
      {
        \tl_if_blank:nTF {#1} { \sangokushi@analogytitle {} {#2} }
          { \sangokushi@analogytitle { \sangokushitatedigits {#1} } {#2} }
      }
  }
\ExplSyntaxOff
% 目次's folios upright (hyperref's \contentsline set them sideways, as Latin).
\AtBeginDocument{\let\sphinxbook@contentsline\contentsline
  \def\contentsline#1#2#3#4{\sphinxbook@contentsline{#1}{#2}{\sangokushitatenumber{#3}}{#4}}}
\NewPageStyle{sangokushitate}{nombre={\sangokushitatenumber{\thepage}},
  nombre_position=bottom-left,running_head_position=top-left,
  odd_running_head={\leftmark},even_running_head={\@title},
  running_head_font={\small},nombre_font={\small},clear_markcommand=false}
\RenewPageStyle{plain}{nombre={\sangokushitatenumber{\thepage}},nombre_position=bottom-left,
  odd_running_head={},even_running_head={},nombre_font={\small},clear_markcommand=false}
\let\ps@normal\ps@sangokushitate
\providecommand{\yomipage}[1]{}% (sangokushi.yomi's, when the book has an index)
\renewcommand{\yomipage}[1]{\sangokushitatenumber{#1}}
% An em dash beside Japanese (sangokushi.book.EmDash): the font's full-width dash, centred in
% the column, read as — when copied.
% 後注 (sangokushi.book.EndNotes): a note's mark （1） small and upright beside the line; the
% notes under 注 at the chapter's end.
\newcommand{\sangokushinotemark}[1]{{\footnotesize （\tatechuyoko*{#1}）}}
\newcommand{\sangokushinotes}[1]{\par\vspace{\baselineskip}%
  \noindent{\sffamily\gtfamily\bfseries #1}\par\nopagebreak\footnotesize}
\newcommand{\sangokushinotesend}{\par\normalsize}
\DeclareRobustCommand{\sangokushitatedash}{%
  \special{pdf:code /Span<</ActualText<FEFF2014>>>BDC}―\special{pdf:code EMC}}
\AtBeginDocument{\let\sphinxbook@pageref\pageref
  \DeclareRobustCommand{\pageref}[1]{\sphinxbooktatepage{\sphinxbook@pageref{#1}}}}
% Figures upright, as in any vertical book: the image in a horizontal (yoko) box, which pTeX
% stands upright in the column. It may be as tall as a line is long and as wide as the text
% block is across its lines, less three lines for the caption beside it.
\let\sphinxbook@includegraphics\sphinxincludegraphics
\renewcommand*{\sphinxincludegraphics}[2][]{\hbox{\yoko
  \spx@image@maxheight=\linewidth \linewidth=\dimexpr\textheight-3\baselineskip\relax
  \sphinxbook@includegraphics[#1]{#2}}}
% Figure, table and list numbers 縦中横, in their captions and in references (「図1」).
\AtBeginDocument{% after Sphinx's own (sphinxlatexnumfig)
  \renewcommand{\thefigure}{\tatechuyoko*{\@arabic\c@figure}}%
  \renewcommand{\thetable}{\tatechuyoko*{\@arabic\c@table}}}
\renewcommand{\sphinxsetlistlabels}[5]{%
  \@namedef{the#2}{\tatechuyoko*{#1{#2}}}%
  \def\sphinxbook@suffix{#5}\ifx\sphinxbook@suffix\sphinxbook@dot\def\sphinxbook@suffix{\ }\fi
  \@namedef{label#2}{#4\@nameuse{the#2}\sphinxbook@suffix}%
  \@namedef{p@#3}{\@nameuse{p@#2}#4\@nameuse{the#2}}}
\def\sphinxbook@dot{.}
% Code blocks turn with the text, like Latin words and tables, and break across pages; their
% frame drawn with TeX rules, which turn too (pict2e's rounded corners are drawn upright, off
% the text block).
\sphinxsetup{pre_border-radius=0pt}
\makeatother
""".replace("@TCY_DIGITS@", str(TCY_DIGITS))
PDF_VARIANTS: dict[str, PdfVariant] = {
    "": PdfVariant(),
    "print": PdfVariant(press=True),
    # Running heads the jlreq way, which turns with the page: 柱 (the book title on even
    # pages, the chapter on odd ones) in the fore-edge margin, ノンブル at its foot; page
    # numbers, there and in the index and page references, 縦中横.
    "tate": PdfVariant(tate=True, class_options=("tate",), preamble=TATE_PREAMBLE),
    "tate-print": PdfVariant(
        tate=True, class_options=("tate",), preamble=TATE_PREAMBLE, press=True
    ),
}


def pdf_variant(name: str) -> PdfVariant:
    """The variant called ``name`` ("" for the reading PDF), with a clear error otherwise."""
    if name not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {name!r} (one of: {', '.join(PDF_VARIANTS)})")
    return PDF_VARIANTS[name]


def page_of(config: Config, variant: str = "") -> PageDesign:
    """The 版面 of a variant: the book's (``book_facts``), else the A5 default."""
    facts: Facts | None = config.book_facts
    tate = pdf_variant(variant).tate
    if facts is None:
        return page_design("A5", tate=tate)
    return facts.tate_page if tate else facts.page


def latex_class_options(page: PageDesign, variant: str = "") -> str:
    """The jlreq class options that declare a variant's 版面 (and its extras), comma-separated."""
    width, height = page.size_mm
    options = [
        f"paper={{{width:g}mm,{height:g}mm}}",
        f"fontsize={page.font_pt:g}pt",
        f"line_length={page.chars}zw",
        f"number_of_lines={page.lines}",
        f"baselineskip={page.pitch_pt:g}pt",
        f"head_space={page.head_mm:g}mm",
        f"gutter={page.gutter_mm:g}mm",
        "book",
        "openany",
        *pdf_variant(variant).class_options,
    ]
    return ",".join(options)


def apply_pdf_variant(app: Sphinx, config: Config) -> None:
    """Give the LaTeX its class options: the book's 版面, or ``book_pdf_variant``'s.

    A project with its own ``extraclassoptions`` and no ``book_facts`` keeps them for the
    reading PDF.
    """
    variant = config.book_pdf_variant
    if config.book_facts is None and not variant:
        return
    elements = dict(config.latex_elements)
    elements["extraclassoptions"] = latex_class_options(page_of(config, variant), variant)
    elements["preamble"] = elements.get("preamble", "") + pdf_variant(variant).latex_preamble()
    config.latex_elements = elements


def uses_book_style(config: Config) -> bool:
    """Whether the LaTeX is set with this toolkit's class and style (``BOOK_CLASS``).

    Its macros (\\zw, jlreq's headings, ``\\sangokushi…``) exist only there: another project
    that enables an extension of this package (numbering, frontback) keeps its own LaTeX.
    """
    return config.latex_docclass.get("manual") == BOOK_CLASS


class BookTransform(SphinxPostTransform):
    """A LaTeX post-transform that writes the book style's macros: only where that style is."""

    formats = ("latex",)

    def is_supported(self) -> bool:
        return super().is_supported() and uses_book_style(self.config)


def _raw(tex: str) -> nodes.raw:
    return nodes.raw("", tex, format="latex")


# 扉 and 目次 counted in roman (i, ii: 扉; iii: 目次, a recto), the text from a recto in
# arabic: every page has its own label in a viewer's page box.
CONTENTS = r"""
\cleardoublepage
\begingroup\parskip=0pt\renewcommand{\contentsname}{目次}\tableofcontents\endgroup
\cleardoublepage\pagenumbering{arabic}
"""
# The ``tableofcontents`` LaTeX element of a book (sangokushi.conf): ``Contents`` places the
# 目次 in the body instead.
CONTENTS_PLACED = "% the contents: sangokushi.book.Contents\n"


class Contents(BookTransform):
    """The 目次 before the first chapter (the first document of the root's toctree; in a book
    of one document, its first section), after the root document's own text.

    Sphinx's template sets the 目次 before the whole body, so the root document's text (an
    introduction above its toctree) came after it, alone on page 1 under the running head
    目次. That text is front matter: it is set on the 扉裏 (the title page's back, facing the
    目次 on the next recto) with the folio alone, as a note on this book often is.
    """

    default_priority = 413  # after Sphinx's OnlyNodeTransform: text for other formats is gone

    def is_supported(self) -> bool:
        placed = self.config.latex_elements.get("tableofcontents") == CONTENTS_PLACED
        return super().is_supported() and placed

    def run(self, **kwargs: Any) -> None:
        contents = _raw(r"\pagestyle{plain}" + CONTENTS + r"\pagestyle{normal}" + "\n")
        own = False
        for node in self.document.findall(nodes.Element):  # in reading order
            if isinstance(node, addnodes.start_of_file) or self.chapter(node):
                node.parent.insert(node.parent.index(node), contents)
                break
            own = own or _own_text(node)
        else:
            self.document.insert(0, contents)  # a book of no chapter
            return
        if own:
            self.document.insert(0, _raw("\n\\pagestyle{plain}\n"))

    def chapter(self, node: nodes.Element) -> bool:
        """Whether ``node`` is a section of the root document's own that LaTeX sets as a
        chapter: one under its title (the book's), as in a book of one document."""
        parent = node.parent
        return (
            isinstance(node, nodes.section)
            and isinstance(parent, nodes.section)
            and parent.parent is self.document
        )


def _own_text(node: nodes.Element) -> bool:
    """Whether ``node`` is text to set (not a heading, raw LaTeX or a link target)."""
    skipped = (nodes.title, nodes.raw, nodes.target)
    return (
        isinstance(node, nodes.TextElement)
        and not isinstance(node, skipped)
        and bool(node.astext().strip())
    )


def mark_chapter(app: Sphinx, doctree: nodes.document) -> None:
    """Wrap a document's chapter in LaTeX switches chosen by its ``book-chapter`` field."""
    docname = app.env.docname
    source = Path(app.env.doc2path(docname))
    if source.is_relative_to(Path(app.srcdir).parent):
        source = source.relative_to(Path(app.srcdir).parent)
    # sangokushi.texlog names this file when TeX reports text set off the page.
    doctree.insert(0, _raw(f"\n{SOURCE_MARK}{source}\n"))
    kind = app.env.metadata[docname].get("book-chapter", "numbered")
    if kind not in KINDS:
        logger.warning(
            "unknown book-chapter %r (expected one of: %s)",
            kind,
            ", ".join(KINDS),
            location=(docname, 1),
            type="book",
            subtype="chapter",
        )
        return
    if not uses_book_style(app.config):
        return  # another project's LaTeX: Sphinx's own chapters
    if kind in ("unnumbered", "colophon"):
        # The switch must precede \chapter and be undone after the chapter's last line.
        # jlreq sets no link anchor for an unnumbered chapter: give it one on its own page, or
        # its bookmark and 目次 link lead to the chapter before.
        before = r"\sphinxbookcolophon" if kind == "colophon" else r"\clearpage"
        doctree.insert(1, _raw(before + r"\phantomsection\setcounter{secnumdepth}{-1}"))
        doctree.append(_raw(r"\setcounter{secnumdepth}{\sphinxbooksecnumdepth}"))
    elif kind == "appendix":
        doctree.insert(1, _raw(r"\sphinxbookappendix"))


class TateChuYoko(BookTransform):
    """In the vertical PDF, numbers, acronyms and marks after the vertical policy (sangokushi.tate).

    One- and two-digit numbers 縦中横, longer ones upright digit by digit (each digit a
    縦中横 of one, so the text copies as written); a lone ? or ! full-width, a pair 縦中横;
    half-width ( ) around Japanese full-width. Numbers inside Latin text (「Llama 2」
    「GPT-3.5」) turn with it. In titles, whose text also makes the bookmarks, each run is a
    ``\texorpdfstring`` with the text as written, and marks and parentheses stay.
    """

    default_priority = 410

    def is_supported(self) -> bool:
        return super().is_supported() and pdf_variant(self.config.book_pdf_variant).tate

    def run(self, **kwargs: Any) -> None:
        skip = (nodes.literal, nodes.raw, nodes.FixedTextElement)
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or not ORIENTED.search(text):
                continue
            if any(isinstance(a, skip) for a in _ancestors(text)):
                continue
            title = any(isinstance(a, nodes.title) for a in _ancestors(text))
            around = beside(text) if PARENTHESES.search(text) else ("", "")
            runs = orient(str(text), TCY_DIGITS, *around, punctuation=not title)
            if all(cls is None for _, cls in runs) and "".join(r for r, _ in runs) == text:
                continue
            parts: list[nodes.Node] = []
            for run, cls in runs:
                if cls is None:
                    parts.append(nodes.Text(run))
                    continue
                tex = rf"\{LATEX_MACROS[cls]}{{{escape(run)}}}"
                # A title's text is also a bookmark's: there the run as written.
                parts.append(_raw(rf"\texorpdfstring{{{tex}}}{{{escape(run)}}}" if title else tex))
            parent.replace(text, parts)


class LatinRuns(BookTransform):
    """In the vertical PDF, words of Latin text copy with the spaces between them.

    Latin words are set turned in the column, one text run each: a reader that extracts
    text in drawing order (pdftotext -raw) gave 「WehavenoMoat」. A run
    of two or more words is wrapped in an ActualText span with its text (a span that a page
    break cuts is mended in the post-step: sangokushi.tounicode.mend_spans).
    """

    default_priority = 409  # before TateChuYoko and EmDash cut the text into pieces
    WORD = r"[A-Za-z0-9][^\s\u3000-\u9fff\uff00-\uffef]*"
    RUN = re.compile(rf"{WORD}(?: {WORD})+")

    def is_supported(self) -> bool:
        return super().is_supported() and pdf_variant(self.config.book_pdf_variant).tate

    def run(self, **kwargs: Any) -> None:
        skip = (nodes.literal, nodes.raw, nodes.literal_block, nodes.title, nodes.FixedTextElement)
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, skip) or not self.RUN.search(text):
                continue
            if any(isinstance(a, skip) for a in _ancestors(text)):
                continue
            source = str(text)
            parts: list[nodes.Node] = []
            start = 0
            for run in self.RUN.finditer(source):
                actual = ("\ufeff" + run.group()).encode("utf-16-be").hex().upper()
                parts += [
                    nodes.Text(source[start : run.start()]),
                    _raw(rf"\special{{pdf:code /Span<</ActualText<{actual}>>>BDC}}"),
                    nodes.Text(run.group()),
                    _raw(r"\special{pdf:code EMC}"),
                ]
                start = run.end()
            parts.append(nodes.Text(source[start:]))
            parent.replace(text, [p for p in parts if not isinstance(p, nodes.Text) or str(p)])


class EmDash(BookTransform):
    """Set each dash from the font its neighbours are set in, and ―― as one line.

    An em dash between Latin words (「Moat—and」) is the Latin font's dash, with no 和欧間
    space around it. Elsewhere (「魏 — OpenAI」) it stays a Japanese character; in the
    vertical PDF, where the Japanese font's em dash is a short bar off the column's centre
    line, it is drawn as the full-width dash ― with its text kept — (``\\sangokushitatedash``).
    The two-字 dash ―― (the subtitles) is one unbroken line, not two bars with a gap between
    them (``\\sangokushinidash``).
    """

    default_priority = 411
    DASHES = re.compile("\u2015\u2015|\u2014")

    def run(self, **kwargs: Any) -> None:
        tate = pdf_variant(self.config.book_pdf_variant).tate
        skip = (nodes.literal, nodes.raw, nodes.literal_block)
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, skip) or not self.DASHES.search(text):
                continue
            source = str(text)
            parts: list[nodes.Node] = []
            start = 0
            for dash in self.DASHES.finditer(source):
                if dash.group() != "\u2014":
                    markup = r"\texorpdfstring{\sangokushinidash{}}{――}"
                else:
                    outside = beside(text, strip=True)
                    before = source[: dash.start()].rstrip()[-1:] or outside[0]
                    after = source[dash.end() :].lstrip()[:1] or outside[1]
                    if all(c.isascii() and c.isalnum() for c in (before, after)):
                        markup = r"\textemdash{}"
                    elif tate:
                        markup = r"\texorpdfstring{\sangokushitatedash{}}{—}"
                    else:
                        continue
                parts += [nodes.Text(source[start : dash.start()]), _raw(markup)]
                start = dash.end()
            if not parts:
                continue
            parts.append(nodes.Text(source[start:]))
            parent.replace(text, [p for p in parts if not isinstance(p, nodes.Text) or str(p)])


class CellWords(BookTransform):
    """In table cells and the 奥付, a line breaks between phrases, not inside a word.

    A cell is a few 字 wide: TeX may break between any two Japanese characters and did so
    inside words and names (「（削/除）」「強力な帝/国」「諸葛/亮」). Between two letters of
    one BudouX phrase (:func:`sangokushi.jatext.phrases`, as the e-books' cells break) a
    penalty makes a break the last resort, taken only when a phrase is wider than its cell.
    Punctuation and Latin are left alone (but for a dash, which keeps to the words after it):
    a penalty beside punctuation would undo the JFM's spacing, and Latin words break at their
    spaces.
    """

    default_priority = 412
    # Inside a phrase a break is a last resort: between two kanji or two katakana (inside a
    # word: 三国/志, 捲土/重来) or after a dash most of all, between two hiragana (なが/ら) less,
    # where the script changes (させ/捲土, 後発/ながら) least.
    PENALTY = r"\penalty3000\relax "
    KANA_PENALTY = r"\penalty5000\relax "
    WORD_PENALTY = r"\penalty8000\relax "

    def run(self, **kwargs: Any) -> None:
        for scope in self.document.findall(nodes.Element):
            colophon = isinstance(scope, nodes.container) and "colophon" in scope["classes"]
            if not (isinstance(scope, nodes.entry) or colophon):
                continue
            for text in list(scope.findall(nodes.Text)):
                parent = text.parent
                if parent is None or isinstance(parent, (nodes.raw, nodes.literal)):
                    continue
                parts = self.split(str(text))
                index = parent.index(text)
                previous = parent[index - 1] if index else None
                if isinstance(previous, nodes.raw) and "dash" in previous.astext():
                    # EmDash's ―― keeps to its words
                    parts.insert(0, _raw(self.penalty("\u2015", "")))
                if len(parts) > 1:
                    parent.replace(text, parts)

    @classmethod
    def split(cls, source: str) -> list[nodes.Node]:
        parts: list[nodes.Node] = []
        for phrase in joined(phrases(source)):
            run = phrase[:1]
            for before, char in itertools.pairwise(phrase):
                if (_letter(before) or before in DASHES) and _letter(char):
                    parts += [nodes.Text(run), _raw(cls.penalty(before, char))]
                    run = ""
                run += char
            parts.append(nodes.Text(run))
        return [p for p in parts if not isinstance(p, nodes.Text) or str(p)]

    @classmethod
    def penalty(cls, before: str, char: str) -> str:
        """The penalty for a break between two letters of one phrase."""
        if before in DASHES:
            # The JFM's glue after a dash is a break of its own, free: no glue there.
            return r"\inhibitglue" + cls.WORD_PENALTY
        if _script(before) == _script(char) != "hiragana":
            return cls.WORD_PENALTY
        return cls.KANA_PENALTY if _script(before) == _script(char) else cls.PENALTY


# A dash leads the words after it (「—デファクト」): no break after it inside a phrase.
DASHES = "\u2014\u2015"


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split()[0].lower() if name.startswith(("HIRAGANA", "KATAKANA")) else "kanji"


def _letter(char: str) -> bool:
    """A Japanese letter (kanji, kana, ー): no punctuation, no Latin."""
    return is_wide(char) and unicodedata.category(char) in ("Lo", "Lm")


def check_toctree(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn, with file and line, about documents no toctree reaches from the root."""
    reached, todo = set(), [env.config.root_doc]
    while todo:
        docname = todo.pop()
        if docname not in reached:
            reached.add(docname)
            todo.extend(env.toctree_includes.get(docname, ()))
    for docname in sorted(env.found_docs - reached):
        if "orphan" not in env.metadata[docname]:
            logger.warning(
                "document isn't included in any toctree",
                location=(docname, 1),
                type="book",
                subtype="toctree",
            )


# What the book's LaTeX writes of the pages it ships, beside its .tex (STYLE): their folios.
FOLIOS = ".folios"

# The book's LaTeX style on the jlreq class (loaded after hyperref). Lengths of the 版面 are
# jlreq class options (latex_class_options); this only styles what sits in it.
STYLE = r"""
\makeatletter
\edef\sphinxbooksecnumdepth{\the\c@secnumdepth}
% Runs set upright in vertical text (sangokushi.tate.latex): as written here; the vertical
% PDF's preamble sets them 縦中横.
\providecommand{\sangokushitcy}[1]{#1}
\providecommand{\sangokushiupright}[1]{#1}
% fancyhdr wants a taller head box; the text block stays where jlreq put it.
\addtolength{\topmargin}{\headheight}\setlength{\headheight}{13pt}
\addtolength{\topmargin}{-\headheight}
% Code blocks (sangokushi.book.CodeLines): each line a paragraph of its own on the line grid,
% in the typewriter font, a long line continued under its start with a 2字 hang; a rule above
% and below, the text after them back on the grid (行取り). They break across pages like text
% (Sphinx's framed boxes overshot the text block when split: 1 to 8pt on B5 and B6, horizontal
% and vertical).
\newenvironment{sangokushicode}%
  {\par\noindent\rule{\linewidth}{0.4pt}\par\nopagebreak\begingroup\ttfamily\mcfamily\small
   \parindent=0pt\parskip=0pt\raggedright
   \hyphenchar\font=-1\relax}%
  {\par\endgroup\nopagebreak\noindent\rule{\linewidth}{0.4pt}\par\sangokushi@ongrid}
\newcommand{\sangokushicodeline}[1]{\hangindent=2\zw\hangafter=1\leavevmode#1\par}
% Justification by JIS X 4051's order: a line is filled by the 和欧間 space (xkanjiskip,
% 1/4字, up to 1/2字) before the space between Japanese characters (kanjiskip) opens. pTeX
% spreads a line's stretch over its glue in proportion to each one's stretch: 6 times as much
% in a 和欧間 as between two characters, so a 和欧間 reaches 1/2字 as the characters open by
% 1/25字, and a line short by more opens them all together (with 1字 of stretch, the one
% 和欧間 of a line short by a character and a half opened to 1.8字: 「LLM　の伝統」).
\renewcommand*{\jlreqkanjiskip}{0pt plus .04\zw minus 0pt}
\renewcommand*{\jlreqxkanjiskip}{.25\zw plus .25\zw minus .125\zw}
% Paragraphs: 1字 indent everywhere, no extra space between them (Sphinx loads parskip).
\setlength{\parindent}{1\zw}
\setlength{\parskip}{0pt}
% The author's half-width ( ) stay as written, set tight against Japanese like full-width ones:
% no 和欧間 space inside or outside them (「当時(と言っても」, 「搭載)を」).
\ifdefined\ltjsetparameter\ltjsetparameter{alxspmode={`(,inhibit},alxspmode={`),inhibit}}%
\else\xspcode`(=0 \xspcode`)=0 \fi
% Latin words in Japanese text are never hyphenated (no "An-thropic"): a language without
% patterns. Explicit break points (after "/" in a path) still work.
\newlanguage\sphinxbook@nohyphenation
\language=\sphinxbook@nohyphenation
% Links stay navigable but print as text; cross-references are set as the text around them.
\hypersetup{hidelinks}
\protected\def\sphinxcrossref#1{#1}
\renewcommand{\sphinxstyleemphasis}[1]{\textit{#1}}
% ―― as one unbroken line: the font's two dashes overlap by their side bearings (a tenth of a
% 字), in either direction, and no line ends between them; the text stays ――
% (sangokushi.book.EmDash).
\DeclareRobustCommand{\sangokushinidash}{―\kern-0.1\zw\nobreak―}
% Inline code: Latin in the typewriter font, Japanese in Mincho (the book's Gothic is bold only:
% 「{ref}`名前`」 read as emphasis).
\protected\def\sphinxcode#1{\texttt{\mcfamily#1}}
% Strong text in Gothic bold, its Latin in the sans bold that goes with it (not Times Bold).
\protected\def\sphinxstylestrong#1{{\sffamily\gtfamily\bfseries#1}}
% Chapter openings: 第1章 on its own line, the title under it, in Gothic.
\ModifyHeading{chapter}{lines=8,pagestyle=plain,font={\jlreq@keepbaselineskip{\LARGE\sffamily\gtfamily\bfseries}},
  label_format={第\thechapter 章},format={\jlreqHeadingLabel{{\large#1}\par\noindent}#2},
  afterindent=true}
\ModifyHeading{section}{afterindent=true}
% 目次: every title at one indent, after the label column (第1章, 付録A). An unnumbered
% chapter whose title leads with a label of its own and a full-width space (終章　…) puts
% that label in the column too; one without (序章, 索引) stands at the left as before.
\expandafter\def\csname jlreq@heading@maketoc@chapter\endcsname#1#2#3{%
  \jlreq@iffirsttoken{#1}{*}{}{%
    \chaptermark{#3}%
    \ifnum0\jlreq@iffirsttoken{#1}{-}{1}{}\ifnum0>\c@secnumdepth 1\fi>0
      \sangokushi@tocsplit#3　\@nil
    \else
      \addcontentsline{toc}{chapter}{\jlreq@ifempty{#2}{}{\protect\numberline{#2}}#3}%
    \fi}{}}
\def\sangokushi@tocsplit#1　#2\@nil{%
  \if\relax\detokenize{#2}\relax\addcontentsline{toc}{chapter}{#1}%
  \else\sangokushi@tocsplit@{#1}#2\@nil\fi}
\def\sangokushi@tocsplit@#1#2　\@nil{%
  \addcontentsline{toc}{chapter}{\protect\numberline{#1}#2}}
% A paragraph after a quotation or a list is a new paragraph: indented like any other.
\AddToHook{env/quote/after}{\@endpefalse}
\AddToHook{env/itemize/after}{\@endpefalse}
\AddToHook{env/enumerate/after}{\@endpefalse}
% Table cells set ragged, never stretched between their characters (「袁　紹」).
\AddToHook{env/longtable/begin}{\def\sphinxAtStartPar{\raggedright}}
% 行取り: the text after a table is back on the page's line grid, its next baseline \topskip
% plus whole \baselineskip from the top of the 版面, the first such line below the table
% (as sangokushianalogy.sty does after a box). The page builder is brought up to date first
% (\penalty10000), so that \pagetotal is where the table ends. Where that is past the page's
% goal, the page breaks before it (at its best break, as a \penalty0 here lets it) and what
% it held over goes onto the next page first: \pagetotal is then that page's.
\def\sangokushi@ongrid{%
  \penalty\@M
  \ifdim\pagetotal>\pagegoal\penalty\z@\penalty\@M\fi
  \@tempcnta\numexpr\dimexpr\pagetotal+\pagedepth-\topskip\relax\relax
  \@tempcntb\numexpr\dimexpr\baselineskip\relax\relax
  \@tempcnta\numexpr\@tempcnta-\@tempcnta/\@tempcntb*\@tempcntb\relax
  \ifnum\@tempcnta<\z@\advance\@tempcnta\@tempcntb\fi
  \ifnum\@tempcnta>\z@\@tempcnta\numexpr\@tempcntb-\@tempcnta\relax\fi
  \penalty\z@\prevdepth\z@\vskip\@tempcnta sp\relax}
% 行取り around figures: a float and the space that sets it off from the text (half a line,
% without jlreq's stretch) take whole lines (its box made that much deeper, the figure
% centred in it), so the text beside a figure at the head or foot of a page keeps to the
% grid; after a figure set where it stands (h, its box already used), the text goes back to
% the grid as after a table.
% A float that may stand at a page's head (\topfraction) takes no page of its own: the
% lines it gained made the starter's figure half a page, a float page, the page before it
% 60 % empty.
\renewcommand{\floatpagefraction}{.7}
\setlength{\floatsep}{.5\baselineskip}
\setlength{\textfloatsep}{.5\baselineskip}
\setlength{\intextsep}{.5\baselineskip}
\let\sangokushi@largefloatcheck\@largefloatcheck
\def\@largefloatcheck{\sangokushi@floatlines\sangokushi@largefloatcheck}
\def\sangokushi@floatlines{%
  \@tempcnta\numexpr\dimexpr\ht\@currbox+\dp\@currbox+\textfloatsep\relax\relax
  \@tempcntb\numexpr\dimexpr\baselineskip\relax\relax
  \count@\numexpr\@tempcnta-\@tempcnta/\@tempcntb*\@tempcntb\relax
  \ifnum\count@<\z@\advance\count@\@tempcntb\fi
  \ifnum\count@>\z@\advance\@tempcnta\numexpr\@tempcntb-\count@\relax\fi
  \global\setbox\@currbox
    \vbox to\dimexpr\@tempcnta sp-\textfloatsep\relax{\vss\unvbox\@currbox\vss}%
  \global\let\sangokushi@floatbox\@currbox}
\AddToHook{env/figure/after}{\ifvmode\ifvoid\sangokushi@floatbox\sangokushi@ongrid\fi\fi}
\def\sphinxatlongtableend{\@nobreakfalse\sangokushi@ongrid}
\def\sphinxattableend{\@nobreakfalse
  \ifvmode\ifinner\prevdepth\z@\vskip\sphinxtablepost\else\sangokushi@ongrid\fi\fi}
\newenvironment{sphinxclasschapter-subtitle}%
  {\par\vspace*{-3\baselineskip}\begingroup\parindent=0pt\raggedleft\large\mcfamily}%
  {\par\endgroup\vspace*{2\baselineskip}}
% A scene break: ✴✴✴ on a line of its own with one blank line above and below.
\newenvironment{sphinxclasssection-break}%
  {\par\vspace{\baselineskip}\begingroup\parindent=0pt\centering}%
  {\par\endgroup\vspace{\baselineskip}}
\newenvironment{sphinxclasssignature}{\par\raggedleft}{\par}
% Running heads: folio and book title on versos, chapter title and folio on rectos.
\def\sphinxbook@chaptermark#1{\markboth{#1}{}}
\fancypagestyle{normal}{%
  \fancyhf{}%
  \fancyhead[LE]{\small\thepage\hspace{2\zw}\@title}%
  \fancyhead[RO]{\small\leftmark\hspace{2\zw}\thepage}%
  \renewcommand{\headrulewidth}{0pt}%
  \renewcommand{\footrulewidth}{0pt}%
  \let\chaptermark\sphinxbook@chaptermark}
\fancypagestyle{plain}{%
  \fancyhf{}%
  \fancyfoot[C]{\small\thepage}%
  \renewcommand{\headrulewidth}{0pt}%
  \renewcommand{\footrulewidth}{0pt}}
\let\ps@plainhead\ps@plain
\let\chaptermark\sphinxbook@chaptermark
% Sheets shipped out so far: rectos and versos by physical page, whatever the folio says.
\newcount\sphinxbook@shipped
\AddToHook{shipout/after}{\global\advance\sphinxbook@shipped by 1 }
% Chapters set apart (sangokushi.build.parts): a run that sets some chapters alone restores
% these two with LaTeX's counters at each chapter it skips, and each page's \count9 is its
% place as shipped, by which its pages go into the book's last DVI.
\AddToHook{shipout/before}{\global\count9=\sphinxbook@shipped}
\AtBeginDocument{\let\c@sphinxbookshipped\sphinxbook@shipped
  \ifdefined\Hy@linkcounter\let\c@sphinxbooklink\Hy@linkcounter
    \xdef\cl@@ckpt{\cl@@ckpt\noexpand\@elt{sphinxbooklink}}\fi
  \xdef\cl@@ckpt{\cl@@ckpt\noexpand\@elt{sphinxbookshipped}}}
% What a \label takes from before it (the number, hyperref's anchor, the title) is no counter:
% each chapter's file ends by writing it to its .aux (\sphinxbookpartend), and after a chapter
% a run skipped it is as that chapter left it (\sphinxbookpartafter).
\newcommand{\sphinxbookpartend}[1]{\global\@namedef{sphinxbook@ran@#1}{}%
  \if@filesw\immediate\write\@auxout{\string\sphinxbook@partstate{#1}%
    {\unexpanded\expandafter{\@currentlabel}}%
    {\ifdefined\@currentHref\unexpanded\expandafter{\@currentHref}\fi}%
    {\ifdefined\@currentlabelname\unexpanded\expandafter{\@currentlabelname}\fi}}\fi}
\newcommand{\sphinxbook@partstate}[4]{\global\@namedef{sphinxbook@state@#1}{%
  \gdef\@currentlabel{#2}\gdef\@currentHref{#3}\gdef\@currentlabelname{#4}}}
\newcommand{\sphinxbookpartafter}[1]{%
  \@ifundefined{sphinxbook@ran@#1}{\@nameuse{sphinxbook@state@#1}}{}}
\newcommand{\sphinxbook@blankpage}{\hbox{}\thispagestyle{empty}\newpage}
% Pages left blank to start a recto carry nothing.
\renewcommand{\cleardoublepage}{\clearpage\ifodd\sphinxbook@shipped\sphinxbook@blankpage\fi}
\newif\ifsphinxbook@inappendix
\newcommand{\sphinxbookappendix}{%
  \ifsphinxbook@inappendix\else\sphinxbook@inappendixtrue\appendix\fi
  \let\chaptermark\sphinxbook@chaptermark}
\newenvironment{sphinxclasscolophon}%
  {\par\vspace*{\fill}\begingroup\parindent=0pt\small\raggedright
   \renewcommand{\labelitemi}{}\setlength{\leftmargini}{0pt}\setlength{\labelsep}{0pt}%
   \setlength{\itemsep}{0pt}\setlength{\parsep}{0pt}\setlength{\topsep}{0pt}%
   \noindent\rule{\linewidth}{0.4pt}\par}%
  {\par\noindent\rule{\linewidth}{0.4pt}\par\endgroup}
% 奥付: the last page, a verso, unnumbered and not an appendix; in the bookmarks, not in 目次.
% Before it, a blank page if need be (print shop PDFs: up to a multiple of 4 pages).
\newcommand{\sphinxbook@beforecolophon}{\ifodd\sphinxbook@shipped\else\sphinxbook@blankpage\fi}
% The pages as shipped, for the print shop's PDF that carries them (sangokushi.build.impose):
% in \jobname@FOLIOS@ a line for each page, "page SHIPPED COUNTER empty|full FOLIO" (empty: no
% head or foot in its page style, read before the output routine applies it), and "colophon
% SHIPPED" where the 奥付 begins, before the blank page that may come first.
\newwrite\sphinxbook@folios
\AtBeginDocument{\immediate\openout\sphinxbook@folios=\jobname@FOLIOS@\relax
  \let\sphinxbook@outputpage\@outputpage
  \def\@outputpage{\sphinxbook@headfoot\sphinxbook@outputpage}}
\newcommand{\sphinxbook@headfoot}{\gdef\sphinxbook@style{full}\begingroup
  \if@specialpage\@nameuse{ps@\@specialstyle}\fi
  \ifx\@oddhead\@empty\ifx\@oddfoot\@empty\ifx\@evenhead\@empty\ifx\@evenfoot\@empty
    \gdef\sphinxbook@style{empty}\fi\fi\fi\fi\endgroup}
\AddToHook{shipout/before}{\immediate\write\sphinxbook@folios{page \the\sphinxbook@shipped
  \space\the\c@page\space\sphinxbook@style\space\thepage}}
\newcommand{\sphinxbookcolophon}{%
  \clearpage\immediate\write\sphinxbook@folios{colophon \the\sphinxbook@shipped}%
  \sphinxbook@beforecolophon
  \addtocontents{toc}{\protect\setcounter{tocdepth}{-2}}%
  \ModifyHeading{chapter}{lines=2,pagestyle=empty,
    font={\jlreq@keepbaselineskip{\large\sffamily\gtfamily\bfseries}}}%
  \let\chaptermark\sphinxbook@chaptermark}
\makeatother
""".replace("@FOLIOS@", FOLIOS)


# The book's document class: jlreq, with Computer Modern scalable while the class sets its
# sizes (else LaTeX substitutes 9pt for the 9.5pt of the 版面 and warns, before the book's
# fonts are loaded).
BOOK_CLASS = "sangokushijlreq"
CLASS = rf"""\NeedsTeXFormat{{LaTeX2e}}
\ProvidesClass{{{BOOK_CLASS}}}[2026/11/28 jlreq for sangokushi.book]
\RequirePackage{{fix-cm}}
\LoadClassWithOptions{{jlreq}}
"""


def add_book_style(app: Sphinx, config: Config) -> None:
    if uses_book_style(config):
        app.add_latex_package(BOOK_PACKAGE, after_hyperref=True)


def _write_sty(app: Sphinx) -> None:
    if app.builder.format == "latex":
        app.outdir.mkdir(parents=True, exist_ok=True)
        (app.outdir / f"{BOOK_PACKAGE}.sty").write_text(
            f"\\NeedsTeXFormat{{LaTeX2e}}\n\\ProvidesPackage{{{BOOK_PACKAGE}}}\n" + STYLE,
            encoding="utf-8",
        )
        (app.outdir / f"{BOOK_CLASS}.cls").write_text(CLASS, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", mark_chapter)
    app.connect("env-check-consistency", check_toctree)
    app.add_post_transform(LatinRuns)
    app.add_post_transform(TateChuYoko)
    app.add_post_transform(EmDash)
    app.add_post_transform(CellWords)
    app.add_post_transform(EndNotes)
    app.add_post_transform(CodeLines)
    app.add_post_transform(CodeWords)
    app.add_post_transform(LoneImages)
    app.add_post_transform(FootnoteNumbers)
    app.add_post_transform(Contents)
    app.add_post_transform(FootnoteRule)
    # Read only when writing (config-inited, post-transforms): the PDFs share one environment.
    app.add_config_value("book_pdf_variant", "", "latex", str)
    # The book's facts (sangokushi.conf.book_settings reads them from book.toml).
    app.add_config_value("book_facts", None, "env", types=frozenset({Facts, type(None)}))
    # The 版 and 刷 (第1版第1刷) and the 発行日 the 奥付 prints (sangokushi.buildinfo).
    app.add_config_value("book_edition", "", "env", types=frozenset({str}))
    app.add_config_value("book_date", "", "env", types=frozenset({str}))
    app.connect("config-inited", apply_pdf_variant)
    app.connect("config-inited", add_book_style)
    app.connect("builder-inited", _write_sty)
    app.setup_extension("sangokushi.latexwriter")
    app.setup_extension("sangokushi.latexshare")
    return {
        "version": "1.0",
        "env_version": 3,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


class FootnoteNumbers(BookTransform):
    """Keep a footnote's number plain text for LaTeX, where it is a count, not words to set.

    Sphinx writes the label and the mark into ``\\begin{footnote}[1]`` and
    ``\\sphinxfootnotemark[1]``, where LaTeX reads a number: a 縦中横 there (TateChuYoko)
    stopped the vertical PDF with "Missing number". The class sets the mark itself (jlreq:
    （1） upright in vertical text). Runs before TateChuYoko.
    """

    default_priority = 409

    def run(self, **kwargs: Any) -> None:
        for node in self.document.findall(
            lambda n: isinstance(n, (nodes.label, nodes.footnote_reference))
        ):
            for text in list(node.findall(nodes.Text)):
                if isinstance(text.parent, nodes.raw):
                    continue
                text.parent.replace(text, _raw(str(text)))


class FootnoteRule(BookTransform):
    """Drop the rule MyST puts before a page's footnotes: in LaTeX the notes go elsewhere.

    The class sets them (傍注 at the spread's left end in the vertical PDF, 脚注 in the others),
    so the rule would stand alone after the chapter's last paragraph.
    """

    default_priority = 409

    def run(self, **kwargs: Any) -> None:
        for rule in list(self.document.findall(nodes.transition)):
            if "footnotes" in rule["classes"]:
                rule.parent.remove(rule)


class EndNotes(BookTransform):
    """In the vertical PDF, footnotes become 後注: numbered notes under 注 at the chapter's end.

    jlreq's vertical footnotes (傍注 at the left end of each odd page) depend on the page a
    note lands on and moved the text they were placed from: on a note near a page break,
    LaTeX never settled ('latex' needed too many passes). Notes at the chapter's end, as
    many 縦組 books set them, need no page to be known. The mark reads （1） when copied.
    """

    default_priority = 405
    HEADING = "注"

    def is_supported(self) -> bool:
        return super().is_supported() and pdf_variant(self.config.book_pdf_variant).tate

    def run(self, **kwargs: Any) -> None:
        # Sphinx's LaTeX builder may hoist a document's notes out of its chapter: each note
        # and mark keeps its document's name (Sphinx's FootnoteDocnameUpdater).
        chapters = {c["docname"]: c for c in self.document.findall(addnodes.start_of_file)}
        by_doc: dict[str, list[nodes.footnote]] = {}
        for note in self.document.findall(nodes.footnote):
            by_doc.setdefault(note.get("docname", ""), []).append(note)
        for docname, notes in by_doc.items():
            chapter = chapters.get(docname, self.document)
            numbers: dict[str, str] = {}
            for note in notes:
                label = next(iter(note.findall(nodes.label)), None)
                number = label.astext() if label else str(len(numbers) + 1)
                for id_ in note["ids"]:
                    numbers[id_] = number
            marks = self.document.findall(nodes.footnote_reference)
            for ref in [r for r in marks if r.get("docname", "") == docname]:
                number = numbers.get(ref.get("refid", ""), ref.astext())
                ref.replace_self(_raw(rf"\sangokushinotemark{{{number}}}"))
            block = nodes.container(classes=["endnotes"])
            block += _raw(rf"\sangokushinotes{{{self.HEADING}}}")
            for note in notes:
                note.parent.remove(note)
                for label in list(note.findall(nodes.label)):
                    label.parent.remove(label)
                number = numbers[note["ids"][0]] if note["ids"] else ""
                body = list(note.children)
                first = body[0] if body and isinstance(body[0], nodes.paragraph) else None
                mark = _raw(rf"（\tatechuyoko*{{{number}}}）\hspace{{0.5\zw}}")
                if first is None:
                    first = nodes.paragraph()
                    body.insert(0, first)
                first.insert(0, mark)
                block += body
            block += _raw(r"\sangokushinotesend{}")
            chapter.append(block)


class CodeLines(BookTransform):
    """Set a code block's lines as paragraphs of the typewriter font (``sangokushicode``).

    Each line is escaped for LaTeX; runs of spaces keep their width, a single space between
    words stays a place to break; a break is allowed after ``/ . , = _ - : ;`` inside long
    tokens. Highlighting colours are left out: the printed book is black and grey.
    """

    default_priority = 408
    BREAK_AFTER = re.compile(r"([/.,=_:;-])")

    def run(self, **kwargs: Any) -> None:
        engine = self.config.latex_engine
        for block in list(self.document.findall(nodes.literal_block)):
            if any(isinstance(a, nodes.table) for a in _ancestors(block)):
                continue  # a cell keeps Sphinx's own verbatim
            lines = [self.line(text, engine) for text in block.astext().splitlines()]
            body = "\n".join(rf"\sangokushicodeline{{{line}}}" for line in lines)
            block.replace_self(
                _raw(f"\\begin{{sangokushicode}}\n{body}\n\\end{{sangokushicode}}\n")
            )

    @classmethod
    def line(cls, text: str, engine: str) -> str:
        """One line of code as LaTeX: escaped, its spaces kept, breakable where it may."""
        parts = []
        for piece in re.split(r"( {2,}|^ +)", text.expandtabs(4).rstrip()):
            if piece.isspace():
                parts.append(r"\ " * len(piece))
                continue
            for bit in cls.BREAK_AFTER.split(piece):
                parts.append(
                    escape(bit, engine)
                    + (r"\allowbreak{}" if cls.BREAK_AFTER.fullmatch(bit) else "")
                )
        return "".join(parts)


def _ancestors(node: nodes.Node) -> list[nodes.Element]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


class CodeWords(BookTransform):
    """Inline code may break after its punctuation, as a code block's lines do (CodeLines).

    ``{analogy}`wei``` or a path set as one unbreakable word left the line before it short, and
    the line was spread between its characters (the starter book's 縦組 p.19: 0.46字 a gap).
    A break is allowed after ``/ , = } ` ) -`` inside inline code of 10 characters or more, as
    in a code block's lines, never inside a word (``book.toml`` stays whole); titles keep
    theirs whole (``chapter-subtitle`` unbroken left the starter's line before it short by 3字).
    ``――`` in inline code is never split (the starter's 縦組 page 5 ended in ―).

    Inline code is Latin: beside a kanji or kana it gets a 和欧間 whatever Latin character it
    starts or ends with. pTeX puts one only beside a letter or digit, so ``{analogy}``, ``*`` or
    ``:name:`` stood solid against the Japanese, and a line with no other 和欧間 had only the
    space between its characters to stretch (JIS X 4051 stretches the 和欧間 first). It is ¼字
    stretching to ½字 (JIS X 4051's most), as the style's ``\\xkanjiskip`` is: with 1字 of
    stretch, four of them in the starter's 「章の題は#で始まる行に、節の題は##で…」 let TeX
    take loose lines whose 和欧間 opened to 2字 and more, and poppler read such a line out of
    order (a lost sentence in ``sangokushi check``).
    """

    default_priority = 408
    BREAK_AFTER = re.compile(r"([/,=}`)-])")
    SHORTEST = 10
    # Never split between the two halves of ―― (JIS X 4051's 分離禁止): inline code gets the
    # space between Japanese characters there, where a line may break (…… and ‥‥ cannot: jlreq
    # gives … and ‥ a \prebreakpenalty of 10000).
    INSEPARABLE = re.compile("(?<=\u2015)(?=\u2015)")
    SPACE = r"\hskip.25\zw plus.25\zw minus.125\zw\relax{}"

    def run(self, **kwargs: Any) -> None:
        for literal in list(self.document.findall(nodes.literal)):
            if any(
                isinstance(a, (nodes.title, nodes.FixedTextElement)) for a in _ancestors(literal)
            ):
                continue
            before, after = beside(literal)
            code, parent = literal.astext(), literal.parent
            if after and _letter(after[0]) and code[-1:].isascii() and code:
                parent.insert(parent.index(literal) + 1, _raw(self.SPACE))
            if before and _letter(before[-1]) and code[:1].isascii() and code:
                parent.insert(parent.index(literal), _raw(self.SPACE))
            if len(literal.astext()) >= self.SHORTEST:
                self.allow_breaks(literal)
            for text in list(literal.findall(nodes.Text)):
                pieces = self.INSEPARABLE.split(str(text))
                if len(pieces) > 1 and not isinstance(text.parent, nodes.raw):
                    parts = [nodes.Text(pieces[0])]
                    for piece in pieces[1:]:
                        parts += [_raw(r"\nobreak{}"), nodes.Text(piece)]
                    text.parent.replace(text, parts)

    def allow_breaks(self, literal: nodes.literal) -> None:
        for text in list(literal.findall(nodes.Text)):
            pieces = [p for p in self.BREAK_AFTER.split(str(text)) if p]
            if len(pieces) < 2:
                continue
            parts: list[nodes.Node] = []
            for index, piece in enumerate(pieces):
                parts.append(nodes.Text(piece))
                if self.BREAK_AFTER.fullmatch(piece) and index < len(pieces) - 1:
                    parts.append(_raw(r"\allowbreak{}"))
            text.parent.replace(text, parts)


class LoneImages(BookTransform):
    """An image that is a paragraph's only content starts the line: no 1字 indent before it.

    Sphinx scales a wide image to the line's width; after the paragraph's indent it stood
    out past the margin by that indent (a plain MyST ``![map](map.png)``).
    """

    default_priority = 408

    def run(self, **kwargs: Any) -> None:
        for paragraph in list(self.document.findall(nodes.paragraph)):
            content = [c for c in paragraph.children if not _blank(c)]
            if content and all(isinstance(c, nodes.image) for c in content):
                # Sphinx began the paragraph (\leavevmode\nobreak\hskip0pt): take its indent back.
                paragraph.insert(0, _raw(r"\unskip\unpenalty{\setbox0\lastbox}"))


def _blank(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Text) and not str(node).strip()
