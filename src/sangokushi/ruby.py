"""The ``ruby`` role: furigana as HTML/EPUB ``<ruby>``, LaTeX ``\\ruby`` and base(reading) text."""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from sangokushi import __version__
from sangokushi.jatext import NO_LINE_START, beside

logger = logging.getLogger(__name__)

# LaTeX engines whose Japanese packages provide ``\ruby{base}{reading}``.
LATEX_RUBY_PACKAGES = {"lualatex": "luatexja-ruby", "platex": "pxrubrica", "uplatex": "pxrubrica"}
# The ruby command per engine. On LuaTeX-ja, mode=5 lets a reading longer than its base hang
# over the kana and punctuation around it (up to what jlreq allows each neighbour, LuaTeX-ja's
# rubypre/postintrusion) instead of pushing the base characters apart (中 原, 諸 葛 亮).
LATEX_RUBY_COMMANDS = {"lualatex": r"\ltjruby[mode=5]"}
# pxrubrica (pLaTeX/upLaTeX) does not look at the neighbours itself: group ruby (g) over a
# base kept solid (E: never 中 原), allowed to hang over a neighbour by one ruby character
# (< >, JIS X 4051) only where that neighbour is kana or punctuation, never over kanji or
# Latin (|: the reading stands out into white space instead).
PXRUBRICA_OVERHANG = re.compile(r"[\u3041-\u309f\u30a0-\u30ff、。「」『』（）]")
# Around a ruby set as a discretionary (\sangokushiruby), which has no glue of its own: a
# character that never starts a line gets none before it (punctuation: its JFM spacing) or a
# glue that cannot break (small kana, ー); Latin gets the 和欧間 space; other characters the
# space between Japanese characters, where a line may break. After an opening bracket the
# line never breaks: pxrubrica's own ruby there.
PUNCTUATION_AFTER = re.compile(r"[、。，．」』）〕】!?！？:;,.)\]]")
OPENING = re.compile(r"[「『（〔【(\[]")


# pxrubrica draws a ruby's reading before its base: copied text read 「しばい司馬懿」. The
# reading is wrapped in an empty ActualText (dvipdfmx), as the 傍点 marks are
# (sangokushi.bouten): the text is the base as written, where it stands on the line. A
# ruby over the whole base is the only span that would also work, but a viewer then places
# the base where the reading starts, above the line (poppler: a line of its own).
LATEX_PACKAGE = "sangokushiruby"
LATEX_STYLE = r"""\NeedsTeXFormat{LaTeX2e}
\ProvidesPackage{sangokushiruby}
\RequirePackage{pxrubrica}
\RequirePackage{etoolbox}
\makeatletter
\patchcmd{\pxrr@compose@oneside@block@do}{\box\z@\kern-\@tempdima}%
  {\special{pdf:code /Span<</ActualText()>>BDC}\box\z@\special{pdf:code EMC}%
   \kern-\@tempdima}{}%
  {\PackageError{sangokushiruby}{pxrubrica changed: its readings would copy before
   their base}{See sangokushi.ruby.}}
% A reading longer than its base at the head of a line starts there with its base (JIS X
% 4051, JLReq), its excess over what follows, instead of pxrubrica's base pushed in by half
% the excess (its intrusion is glue, dropped at a line break). A discretionary is the one
% place the line may break before the ruby: after a break its post-break text, the line-head
% form; elsewhere pxrubrica's form with its intrusions as kerns. #1: < (may hang over the
% character before), | (not), h (the paragraph's first characters: line-head form only);
% #2: > or |, after; #3 the base, #4 the reading.
% The full-width 字: jlreq's and LuaTeX-ja's \zw, else pTeX's own unit (another class).
\ifdefined\zw\def\sangokushiruby@zw{\zw}\else\def\sangokushiruby@zw{zw}\fi
\newsavebox\sangokushiruby@mid
\newsavebox\sangokushiruby@head
\newdimen\sangokushiruby@excess
\DeclareRobustCommand\sangokushiruby[4]{%
  \setbox\sangokushiruby@mid\hbox{\ruby[|gE|]{#3}{#4}\relax}%
  \setbox\sangokushiruby@head\hbox{#3}%
  \sangokushiruby@excess\dimexpr(\wd\sangokushiruby@mid-\wd\sangokushiruby@head)/2\relax
  \ifdim\sangokushiruby@excess>.25\sangokushiruby@zw
    \sangokushiruby@excess.25\sangokushiruby@zw\fi
  \setbox\sangokushiruby@head\hbox{%
    \ruby[|gE|]{\hbox to\wd\sangokushiruby@mid{#3\hss}}{#4}\relax
    \if>#2\kern-2\sangokushiruby@excess\fi}%
  \setbox\sangokushiruby@mid\hbox{%
    \if<#1\kern-\sangokushiruby@excess\fi\unhbox\sangokushiruby@mid
    \if>#2\kern-\sangokushiruby@excess\fi}%
  \if h#1\box\sangokushiruby@head
  \else\discretionary{}{\hbox{}\box\sangokushiruby@head}{\box\sangokushiruby@mid}\fi}
\makeatother
"""


class ruby(nodes.inline):
    """Base text with its reading; its text child ``base(reading)`` is the fallback."""


def fallback_text(base: str, reading: str) -> str:
    """What a builder without ruby shows: the reading in parentheses after the base."""
    return f"{base}({reading})"


class RubyRole(SphinxRole):
    """``{ruby}`司馬懿|しばい``` makes a ruby node; bad input is warned about and kept as text."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        base, sep, reading = self.text.partition("|")
        base, reading = base.strip(), reading.strip()
        problem = None
        if not sep:
            problem = "no '|' between base text and reading"
        elif "|" in reading:
            problem = "more than one '|'"
        elif not base or not reading:
            problem = "empty base text or reading"
        if problem:
            logger.warning(
                "ruby: %s in %r (expected {ruby}`base|reading`)",
                problem,
                self.text,
                location=self.get_location(),
                type="ruby",
                subtype="syntax",
            )
            return [nodes.Text(self.text)], []
        node = ruby(self.rawtext, fallback_text(base, reading), base=base, reading=reading)
        self.set_source_info(node)
        return [node], []


class FirstOccurrence(SphinxPostTransform):
    """Put each reading on the first time its base text appears in the document.

    A chapter may mention a name before the sentence that gives it ruby, for instance as the
    text of a link resolved only now ({analogy}`wei` reads 魏): the reading moves there, and the
    later occurrence becomes plain text. Titles are left alone.
    """

    default_priority = 20  # after references are resolved (10)

    def run(self, **kwargs: Any) -> None:
        # Single-file builders (LaTeX) join every document into one tree, one start_of_file each.
        chapters = list(self.document.findall(addnodes.start_of_file)) or [self.document]
        for chapter in chapters:
            done: set[str] = set()
            for node in list(chapter.findall(ruby)):
                if node["base"] not in done and node.parent is not None:
                    done.add(node["base"])
                    self._move_to_first(chapter, node)

    def _move_to_first(self, chapter: nodes.Element, node: ruby) -> None:
        base, reading = node["base"], node["reading"]
        earlier = self._first_text_before(chapter, node, base)
        if earlier is None:
            return
        head, _, tail = earlier.partition(base)
        moved = ruby(node.rawsource, fallback_text(base, reading), base=base, reading=reading)
        moved.source, moved.line = node.source, node.line
        parts = [nodes.Text(head), moved, nodes.Text(tail)]
        earlier.parent.replace(earlier, [p for p in parts if not isinstance(p, str) or p])
        node.parent.replace(node, nodes.Text(base))

    @classmethod
    def _first_text_before(cls, scope: nodes.Element, target: ruby, base: str) -> nodes.Text | None:
        for node in scope.findall(lambda n: isinstance(n, (nodes.Text, ruby))):
            if node is target:
                return None
            if isinstance(node, nodes.Text) and base in node and not cls._excluded(node):
                return node
        return None

    @staticmethod
    def _excluded(text: nodes.Text) -> bool:
        parent = text.parent
        while parent is not None:
            # Titles, code, and tables (a cell quoting the text before an edit) keep their text.
            skip = (nodes.title, ruby, nodes.raw, nodes.FixedTextElement, nodes.literal)
            if isinstance(parent, (*skip, nodes.comment, nodes.table)):
                return True
            parent = parent.parent
        return False


def visit_ruby_html(self: Any, node: ruby) -> None:
    self.body.append(
        self.starttag(node, "ruby", suffix="")
        + self.encode(node["base"])
        + "<rp>(</rp><rt>"
        + self.encode(node["reading"])
        + "</rt><rp>)</rp></ruby>"
    )
    raise nodes.SkipNode


def visit_ruby_latex(self: Any, node: ruby) -> None:
    if self.config.latex_engine not in LATEX_RUBY_PACKAGES:
        self.body.append(self.encode(node.astext()))
        raise nodes.SkipNode
    base, reading = self.encode(node["base"]), self.encode(node["reading"])
    command = LATEX_RUBY_COMMANDS.get(self.config.latex_engine)
    if command is None:
        before, after = beside(node)
        hang = "<" if PXRUBRICA_OVERHANG.match(before) else "|"
        hang_after = ">" if PXRUBRICA_OVERHANG.match(after) else "|"
        # Braced: pxrubrica looks at the token after its arguments (an \else, in \DUrole).
        markup = rf"{{\ruby[{hang}gE{hang_after}]{{{base}}}{{{reading}}}}}"
        if not OPENING.match(before) and not self.in_title:
            start = "h" if not before else hang
            glue = (
                ""
                if not after or PUNCTUATION_AFTER.match(after)
                else r"\nobreak\hskip\kanjiskip\relax "
                if after in NO_LINE_START
                else r"\hskip\xkanjiskip\relax "
                if after.isascii()
                else r"\hskip\kanjiskip\relax "
            )
            markup = rf"{{\sangokushiruby{{{start}}}{{{hang_after}}}{{{base}}}{{{reading}}}}}{glue}"
    else:
        markup = rf"{command}{{{base}}}{{{reading}}}"
    if self.in_title:
        # Moving arguments: PDF bookmarks get the base text alone.
        markup = rf"\texorpdfstring{{\protect{markup}}}{{{base}}}"
    self.body.append(markup)
    raise nodes.SkipNode


def visit_ruby_text(self: Any, node: ruby) -> None:
    self.add_text(node.astext())
    raise nodes.SkipNode


def depart_ruby(self: Any, node: ruby) -> None:
    pass


HANDLERS = {
    "html": (visit_ruby_html, depart_ruby),
    "latex": (visit_ruby_latex, depart_ruby),
    "text": (visit_ruby_text, depart_ruby),
}


def builder_inited(app: Sphinx) -> None:
    builder = app.builder
    # Sphinx uses the handlers of the builder's format (epub -> html) only when no
    # extension registered any for the builder's own name.
    # Private API kept: Sphinx has no public way to ask which node handlers a builder has.
    own = app.registry.translation_handlers.get(builder.name)
    if own is not None and "ruby" not in own and builder.format in HANDLERS:
        app.add_node(ruby, override=True, **{builder.name: HANDLERS[builder.format]})
    engine = app.config.latex_engine
    if builder.format == "latex" and LATEX_RUBY_PACKAGES.get(engine) == "pxrubrica":
        app.outdir.mkdir(parents=True, exist_ok=True)
        (app.outdir / f"{LATEX_PACKAGE}.sty").write_text(LATEX_STYLE, encoding="utf-8")
        app.add_latex_package(LATEX_PACKAGE)
    elif builder.format == "latex" and engine in LATEX_RUBY_PACKAGES:
        app.add_latex_package(LATEX_RUBY_PACKAGES[engine])
    if builder.format == "latex" and app.config.latex_engine == "lualatex":
        seed_ltjruby(app)


# What luatexja-ruby writes first into JOBNAME.ltjruby, its line-break memory between runs.
LTJRUBY_HEADER = "local lrob=luatexja.ruby.old_break_info\n"


def seed_ltjruby(app: Sphinx) -> None:
    """Give every LaTeX document an empty ``.ltjruby`` before its first LuaLaTeX pass.

    luatexja-ruby reads the file at the start of a pass and writes it at the end. Without
    it, the second pass is the first to read it, and a third pass runs for a file
    "newly in use" although its content no longer changes. A file left by an earlier run
    is kept: it holds that run's line breaks.
    """
    app.outdir.mkdir(parents=True, exist_ok=True)
    for entry in app.config.latex_documents:
        seed = app.outdir / (entry[1].removesuffix(".tex") + ".ltjruby")
        if not seed.exists():
            seed.write_text(LTJRUBY_HEADER, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(ruby, **HANDLERS)
    app.add_role("ruby", RubyRole())
    app.add_post_transform(FirstOccurrence)
    app.connect("builder-inited", builder_inited)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
