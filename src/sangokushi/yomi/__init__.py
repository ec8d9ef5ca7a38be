"""Sphinx extension: index entries with readings, listed in 五十音 order in every edition."""

from __future__ import annotations

import re
from collections.abc import Set
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from docutils import nodes
from sphinx import addnodes
from sphinx.domains import Domain
from sphinx.environment.adapters.indexentries import IndexEntries
from sphinx.errors import NoUri
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from sangokushi import __version__
from sangokushi.jatext import NO_LINE_START

from . import collation

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATE = "yomi-genindex.html"
GENINDEX = "genindex"
TARGET_PREFIX = "yomi"
ENTRY = re.compile(r"^(?P<shown>.*?)\s*<(?P<entry>[^<>]*)>$", re.S)
# Engines whose Japanese spacing is pTeX's: the space it adds between two characters comes
# after any marks between them, where \yomimark's \nobreak forbids the line break.
PTEX_ENGINES = frozenset({"platex", "uplatex"})


class Reading(NamedTuple):
    """A reading the source gives for a text: by an index entry or by ruby."""

    text: str
    reading: str
    lineno: int | None
    explicit: bool


class Term(NamedTuple):
    """An ``{idx}`` entry whose heading has no reading of its own."""

    heading: str
    lineno: int | None


class Placement(NamedTuple):
    """Where a toctree lists the index: between ``after`` and ``before`` (docnames or "")."""

    after: str
    before: str


def parse(text: str) -> tuple[str, str, str]:
    """``{idx}`` content as (shown text, index heading, reading); the reading may be ""."""
    match = ENTRY.match(text)
    if match:
        shown, entry = match["shown"], match["entry"]
    else:
        shown, entry = "", text
    heading, _sep, reading = entry.partition("|")
    heading, reading = heading.strip(), reading.strip()
    if not match:
        shown = heading
    return shown, heading, reading


class IndexTermRole(SphinxRole):
    """``{idx}`曹操|そうそう``` shows 曹操 and lists it in the index under そうそう.

    ``{idx}`サム・アルトマン <アルトマン、サム>``` lists another heading than the text shown,
    ``{idx}`<曹操>``` shows nothing (an index mark after a word set by another role).
    Without ``|reading`` the heading's own kana, or a ``{ruby}`` of it, gives the reading.
    """

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        shown, heading, reading = parse(self.text)
        if not heading or "|" in reading or ("|" in shown):
            logger.warning(
                "idx: expected {idx}`text`, {idx}`text|reading` or {idx}`text <heading|reading>`,"
                " got %r",
                self.text,
                location=self.get_location(),
                type="yomi",
                subtype="syntax",
            )
            return [nodes.Text(shown or self.text)], []
        if reading and not collation.is_kana(reading):
            logger.warning(
                "idx: reading %r of %r is not kana",
                reading,
                heading,
                location=self.get_location(),
                type="yomi",
                subtype="reading",
            )
            reading = ""
        if not reading and collation.is_kana(heading):
            reading = collation.hiragana(heading)
        target_id = f"{TARGET_PREFIX}-{self.env.new_serialno(TARGET_PREFIX)}"
        index = addnodes.index(entries=[("single", heading, target_id, "", reading or None)])
        index["yomi"] = True
        target = nodes.target("", "", ids=[target_id], yomi=True)
        self.set_source_info(index)
        self.set_source_info(target)
        result: list[nodes.Node] = [index, target]
        if shown:
            result.append(nodes.Text(shown))
        return result, []


class YomiDomain(Domain):
    """Readings given by the source and the place of the index, per document."""

    name = "yomi"
    label = "Readings"
    initial_data: ClassVar[dict[str, Any]] = {"readings": {}, "terms": {}, "placements": {}}

    @property
    def readings(self) -> dict[str, list[Reading]]:
        return self.data["readings"]

    @property
    def terms(self) -> dict[str, list[Term]]:
        return self.data["terms"]

    @property
    def placements(self) -> dict[str, list[Placement]]:
        return self.data["placements"]

    def clear_doc(self, docname: str) -> None:
        for table in (self.readings, self.terms, self.placements):
            table.pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in ("readings", "terms", "placements"):
            for docname in docnames:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        readings, terms = [], []
        for node in document.findall(nodes.Element):
            if "base" in node and "reading" in node and node["reading"]:
                # A ruby node (sangokushi.ruby or any role with the same attributes).
                readings.append(Reading(node["base"], node["reading"], node.line, False))
            elif isinstance(node, addnodes.index) and node.get("yomi"):
                for _type, heading, _target, _main, key in node["entries"]:
                    if key:
                        readings.append(Reading(heading, key, node.line, True))
                    else:
                        terms.append(Term(heading, node.line))
        placements = []
        for toctree in document.findall(addnodes.toctree):
            names = [ref for _title, ref in toctree["entries"]]
            if GENINDEX in names:
                at = names.index(GENINDEX)
                before = next((n for n in names[at + 1 :] if n in env.found_docs), "")
                after = next((n for n in reversed(names[:at]) if n in env.found_docs), "")
                placements.append(Placement(after, before))
        for table, value in ((self.readings, readings), (self.terms, terms)):
            if value:
                table[docname] = value
        if placements:
            self.placements[docname] = placements

    def reading_table(self) -> dict[str, str]:
        """Text -> reading: an index entry's own reading wins over ruby, first one wins."""
        table: dict[str, str] = {}
        ranked = sorted(
            (not r.explicit, docname, position)
            for docname, rs in self.readings.items()
            for position, r in enumerate(rs)
        )
        for _ruby, docname, position in ranked:
            reading = self.readings[docname][position]
            table.setdefault(reading.text, collation.hiragana(reading.reading))
        return table

    def placement(self) -> Placement | None:
        for docname in sorted(self.placements):
            return self.placements[docname][0]
        return None

    def check(self) -> None:
        """Warn about index headings without a reading and texts given two readings."""
        table = self.reading_table()
        for docname, terms in sorted(self.terms.items()):
            for term in terms:
                if term.heading not in table and not collation.is_kana(term.heading):
                    if collation.ascii_word(term.heading):
                        continue
                    logger.warning(
                        "idx: no reading for %r: write {idx}`%s|よみ` or give it ruby",
                        term.heading,
                        term.heading,
                        location=(docname, term.lineno),
                        type="yomi",
                        subtype="reading",
                    )
        for docname, readings in sorted(self.readings.items()):
            for reading in readings:
                known = table[reading.text]
                if reading.explicit and collation.hiragana(reading.reading) != known:
                    logger.warning(
                        "idx: %r read %r here but %r elsewhere",
                        reading.text,
                        reading.reading,
                        known,
                        location=(docname, reading.lineno),
                        type="yomi",
                        subtype="reading",
                    )


# -- one sorted index for every edition ---------------------------------------------


class Link(NamedTuple):
    """Where an index heading occurs: a document's first occurrence, or one target."""

    docname: str
    uri: str
    title: str


class Entry(NamedTuple):
    """One heading of the index with its reading and its occurrences, in reading order."""

    heading: str
    reading: str
    links: tuple[Link, ...]
    subentries: tuple[Entry, ...]


class Group(NamedTuple):
    """A 五十音 row (あ, か …), a Latin letter or the symbols group."""

    label: str
    entries: tuple[Entry, ...]


def _rank(heading: str, reading: str) -> tuple[tuple[Any, ...], str]:
    """Sort key and group label: symbols first, then the kana rows, then Latin letters."""
    if reading:
        return (1, collation.sort_key(reading), heading), str(collation.row(reading))
    letter = collation.latin_initial(heading)
    if letter:
        return (2, heading.casefold(), heading), letter
    return (0, heading, heading), str(_("Symbols"))


def document_order(env: BuildEnvironment) -> dict[str, int]:
    """Docname -> position in reading order (the toctrees, depth first from the root)."""
    order: dict[str, int] = {}
    todo = [env.config.root_doc]
    while todo:
        docname = todo.pop(0)
        if docname in order or docname not in env.found_docs:
            continue
        order[docname] = len(order)
        todo[:0] = env.toctree_includes.get(docname, [])
    for docname in sorted(env.found_docs - order.keys()):
        order[docname] = len(order)
    return order


def _natural(text: str) -> tuple[Any, ...]:
    """``yomi-10`` after ``yomi-9``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def build_index(env: BuildEnvironment, builder: Builder) -> list[Group]:
    """Sphinx's index entries regrouped and sorted by reading; links to every target."""
    domain: YomiDomain = env.domains["yomi"]  # type: ignore[assignment]
    table = domain.reading_table()
    docname_of = {}
    for docname in env.found_docs:
        try:
            docname_of[builder.get_relative_uri(GENINDEX, docname)] = docname
        except NoUri:
            continue

    def unordered_links(targets: list[tuple[str | None, str | bool]]) -> list[Link]:
        result = []
        for _main, uri in targets:
            if not isinstance(uri, str):
                continue
            docname = docname_of.get(uri.partition("#")[0], "")
            title = env.titles[docname].astext() if docname in env.titles else uri
            result.append(Link(docname, uri, title))
        return result

    def reading_of(heading: str, key: str | None) -> str:
        if key and collation.is_kana(key):
            return collation.hiragana(key)
        if heading in table:
            return table[heading]
        return collation.hiragana(heading) if collation.is_kana(heading) else ""

    reading_order = document_order(env)

    def links(targets: list[tuple[str | None, str | bool]]) -> tuple[Link, ...]:
        found = unordered_links(targets)
        return tuple(
            sorted(
                found,
                key=lambda link: (
                    reading_order.get(link.docname, len(reading_order)),
                    _natural(link.uri.partition("#")[2]),
                ),
            )
        )

    ranked = []
    for _letter, entries in IndexEntries(env).create_index(builder, group_entries=False):
        for heading, (targets, subitems, key) in entries:
            reading = reading_of(heading, key)
            subs = tuple(
                Entry(sub, reading_of(sub, None), links(subtargets), ())
                for sub, subtargets in sorted(
                    subitems, key=lambda s: _rank(s[0], reading_of(s[0], None))[0]
                )
            )
            order, label = _rank(heading, reading)
            ranked.append((order, label, Entry(heading, reading, links(targets), subs)))
    ranked.sort(key=lambda item: item[0])
    groups: list[Group] = []
    for _order, label, entry in ranked:
        if groups and groups[-1].label == label:
            groups[-1] = Group(label, (*groups[-1].entries, entry))
        else:
            groups.append(Group(label, (entry,)))
    return groups


def per_document(links: tuple[Link, ...]) -> list[Link]:
    """The first link into each document, in reading order of the documents' first link."""
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.docname or link.uri, link)
    return list(seen.values())


# -- HTML and EPUB: the genindex page -----------------------------------------------


def html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> str | None:
    """Render ``genindex`` from the reading-sorted index, linking each entry's chapters."""
    if pagename != GENINDEX or "genindexentries" not in context:
        return None
    groups = build_index(app.env, app.builder)
    context["yomi_groups"] = [
        {
            "label": group.label,
            "id": f"{TARGET_PREFIX}-group-{number}",
            "entries": [
                {
                    "heading": entry.heading,
                    "reading": entry.reading,
                    "links": per_document(entry.links),
                    "subentries": [
                        {"heading": sub.heading, "links": per_document(sub.links)}
                        for sub in entry.subentries
                    ],
                }
                for entry in group.entries
            ],
        }
        for number, group in enumerate(groups, start=1)
    ]
    context["yomi_separator"] = separator(app.config)
    return TEMPLATE


# -- LaTeX: labels at every entry, the index written out sorted ---------------------


def separator(config: Config) -> str:
    """Between page numbers and chapter links: ``yomi_separator``, else by ``language``."""
    if config.yomi_separator:
        return config.yomi_separator
    return "、" if (config.language or "").split("_")[0].split("-")[0] in ("ja", "zh") else ", "


def _tex(text: str) -> str:
    specials = {c: "\\" + c for c in "#$%&_{}"}
    specials.update({"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"})
    return "".join(specials.get(c, c) for c in text)


def label(docname: str, target_id: str) -> str:
    """The LaTeX label of one index target."""
    return f"yomi:{docname}:{target_id}"


def latex_index(groups: list[Group], title: str) -> str:
    """The index as LaTeX: groups, headings and the pages of their targets."""

    def pages(links: tuple[Link, ...]) -> str:
        labels = [label(link.docname, link.uri.partition("#")[2]) for link in links]
        return rf"\yomipages{{{','.join(labels)}}}" if labels else ""

    lines = [rf"\begin{{yomitheindex}}{{{_tex(title)}}}"]
    for group in groups:
        lines.append(rf"\yomigroup{{{_tex(group.label)}}}")
        for entry in group.entries:
            lines.append(rf"\yomientry{{{_tex(entry.heading)}}}{{{pages(entry.links)}}}")
            for sub in entry.subentries:
                lines.append(rf"\yomisubentry{{{_tex(sub.heading)}}}{{{pages(sub.links)}}}")
    lines.append(r"\end{yomitheindex}")
    return "\n".join(lines) + "\n"


def break_before(index: addnodes.index) -> str:
    """pTeX's space where a line may break, put before the marks of ``index`` when they stand
    between two characters of a paragraph's text (the first of several marks only).

    The space between Japanese characters, or the 和欧間 beside a Latin one; none inside a
    Latin word, beside punctuation or before a character that never starts a line.
    """
    parent = index.parent
    if not isinstance(parent, nodes.TextElement):
        return ""
    at = parent.index(index)
    following = next((n for n in parent[at + 1 :] if not isinstance(n, addnodes.index)), None)
    if at == 0 or not isinstance(parent[at - 1], nodes.Text):
        return ""
    if not isinstance(following, nodes.Text):
        return ""
    before, after = str(parent[at - 1])[-1:], str(following)[:1]
    if not before.isalnum() or not after.isalnum() or after in NO_LINE_START:
        return ""
    if before.isascii() and after.isascii():
        return ""
    skip = r"\xkanjiskip" if before.isascii() != after.isascii() else r"\kanjiskip"
    return rf"\hskip{skip}\relax "


def place_latex_index(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In LaTeX: label every index target and put the sorted index where the toctree lists it.

    Runs on ``doctree-resolved``, after the post-transforms, on the LaTeX builder's one
    assembled document (the builder is needed for Sphinx's index entries' URIs).
    """
    if app.builder.format != "latex":
        return
    # Sphinx's inline_all_toctrees does not reparent a document's top-level nodes:
    # find each index node's document top-down (inner documents come later).
    docname_of = {id(n): docname for n in doctree.findall(addnodes.index)}
    for start in doctree.findall(addnodes.start_of_file):
        for index in start.findall(addnodes.index):
            docname_of[id(index)] = start["docname"]
    for target in list(doctree.findall(nodes.target)):
        # The role's own anchors: \yomimark is their LaTeX.
        if target.get("yomi"):
            target.parent.remove(target)
    ptex = app.config.latex_engine in PTEX_ENGINES
    for index in list(doctree.findall(addnodes.index)):
        marks = "".join(
            rf"\yomimark{{{label(docname_of[id(index)], target)}}}"
            for _type, _value, target, _main, _key in index["entries"]
        )
        if ptex:
            marks = break_before(index) + marks
        index.replace_self(nodes.raw("", marks, format="latex"))
    if docname != app.config.root_doc:
        return
    groups = build_index(app.env, app.builder)
    if not groups:
        return
    raw = nodes.raw("", latex_index(groups, str(_("Index"))), format="latex")
    domain: YomiDomain = app.env.domains["yomi"]  # type: ignore[assignment]
    placement = domain.placement()
    files = {n["docname"]: n for n in doctree.findall(addnodes.start_of_file)}
    if placement and placement.before in files:
        node = files[placement.before]
        node.parent.insert(node.parent.index(node), raw)
    elif placement and placement.after in files:
        node = files[placement.after]
        node.parent.insert(node.parent.index(node) + 1, raw)
    else:
        doctree.append(raw)


STY = r"""\NeedsTeXFormat{LaTeX2e}
\ProvidesPackage{sangokushiyomi}[2026/11/28 index sorted by reading]
\RequirePackage{refcount}
\RequirePackage{multicol}
\makeatletter
% An index target: a destination showing its page and a label for the page number. Both
% are whatsits: LuaTeX-ja keeps 和欧間 spacing and line breaks around them (hyperref's
% \phantomsection puts a box there, which loses both).
\ifdefined\pdfextension
  \newcommand{\yomi@dest}[1]{\pdfextension dest name{#1} fit\relax}
\else\ifdefined\pdfdest
  \newcommand{\yomi@dest}[1]{\pdfdest name{#1} fit\relax}
\else
  \newcommand{\yomi@dest}[1]{\special{pdf:dest (#1) [@thispage /Fit]}}
\fi\fi
% In vertical mode (a mark Sphinx moved out of a heading) both stay in the vertical list. A
% mark stays with the word after it (a break between them would send the index to the page
% before); under pTeX the space before a mark, where the line may break, is written before it
% (sangokushi.yomi.break_before).
\newcommand{\yomimark}[1]{\yomi@dest{#1}\label{#1}\nobreak}
% The pages of a comma-separated list of labels, each page once, each a link.
\newcommand{\yomipages}[1]{%
  \def\yomi@last{}\def\yomi@sep{}%
  \@for\yomi@label:=#1\do{%
    \edef\yomi@page{\getpagerefnumber{\yomi@label}}%
    \ifx\yomi@page\yomi@last\else
      \yomi@sep\hyperlink{\yomi@label}{\yomipage{\yomi@page}}%
      \let\yomi@last\yomi@page\def\yomi@sep{\yomipageseparator}%
    \fi}}
\providecommand{\yomipageseparator}{@SEPARATOR@}
% One page number (a vertical book sets it 縦中横).
\providecommand{\yomipage}[1]{#1}
% The contents line and bookmark go to a whole-page destination written after \chapter*, on
% the page the class chose (a recto or not), whatever the class.
\newenvironment{yomitheindex}[1]{%
  \chapter*{#1}\yomi@dest{yomi-index}\def\@currentHref{yomi-index}%
  \addcontentsline{toc}{chapter}{#1}\markboth{#1}{#1}%
  \begin{multicols}{2}\raggedright\setlength{\parindent}{0pt}\setlength{\parskip}{0pt}%
  \def\yomi@first{1}}
  {\end{multicols}\clearpage}
\newcommand{\yomigroup}[1]{%
  \par\ifx\yomi@first\empty\addvspace{\baselineskip}\fi\let\yomi@first\empty
  {\sffamily\bfseries #1}\par\nobreak}
\newcommand{\yomientry}[2]{%
  \par\hangindent=2\zw\hangafter=1 #1\nobreak\hspace{1\zw}#2\par}
\newcommand{\yomisubentry}[2]{%
  \par\hangindent=3\zw\hangafter=1\hspace*{1\zw}#1\nobreak\hspace{1\zw}#2\par}
\makeatother
"""


def _write_sty(app: Sphinx) -> None:
    if app.builder.format == "latex":
        app.outdir.mkdir(parents=True, exist_ok=True)
        text = STY.replace("@SEPARATOR@", _tex(separator(app.config)))
        (app.outdir / "sangokushiyomi.sty").write_text(text, encoding="utf-8")


# -- set-up -------------------------------------------------------------------------


def _config_inited(app: Sphinx, config: Config) -> None:
    templates = str(HERE / "templates")
    if templates not in config.templates_path:
        # Last, so a project's own yomi-genindex.html overrides this one.
        config.templates_path = [*config.templates_path, templates]
    static = str(HERE / "static")
    if static not in config.html_static_path:
        config.html_static_path = [static, *config.html_static_path]


def _drop_index_include(app: Sphinx, doctree: nodes.document) -> None:
    # The index is no document: listed in a toctree it is an entry, not a file to include
    # (the LaTeX builder would warn "toctree contains ref to nonexisting file").
    for toctree in doctree.findall(addnodes.toctree):
        if GENINDEX in toctree["includefiles"]:
            toctree["includefiles"] = [f for f in toctree["includefiles"] if f != GENINDEX]


def _check(app: Sphinx, env: BuildEnvironment) -> None:
    env.domains["yomi"].check()  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("yomi_separator", "", "html", types=frozenset({str}))
    app.add_domain(YomiDomain)
    app.add_role("idx", IndexTermRole())
    app.connect("doctree-resolved", place_latex_index)
    app.add_css_file("yomi.css")
    app.add_latex_package("sangokushiyomi")
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _write_sty)
    app.connect("doctree-read", _drop_index_include, priority=100)
    app.connect("env-check-consistency", _check)
    app.connect("html-page-context", html_page_context)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
