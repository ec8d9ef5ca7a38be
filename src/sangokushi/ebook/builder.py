"""The ``epub`` builder for e-reader editions: lang, writing mode, cover, a11y, reproducible zip."""

from __future__ import annotations

import html
import re
from collections.abc import Set
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.builders.epub3 import Epub3Builder, NavPoint
from sphinx.jinja2glue import SphinxFileSystemLoader
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file

from sangokushi import pagemap
from sangokushi.aria import AriaHTML5Translator
from sangokushi.build.stamps import file_digest
from sangokushi.ebook import cover, package, readback
from sangokushi.ebook.tategaki import orient_tree
from sangokushi.jatext import keep_note_marks
from sangokushi.pages import (
    context_parts,
    environment_digest,
    kept_record,
    parts_digest,
    write_record,
)
from sangokushi.tate import orient
from sangokushi.templatecache import CompiledOnceTemplates, keep_compiled

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COVER_IMAGE = "_static/ebook-cover.png"
COVER_TEMPLATE = "ebook-cover.html"
CSS_FILE = "ebook.css"
XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>\s*')
# Links between the package's files: href/src in XHTML, url()/@import in CSS.
LINK = re.compile(r"""(?:href|src)="([^"#?]+)|url\(\s*['"]?([^'")#?]+)|@import\s+['"]([^'"]+)""")
PYGMENTS_CSS = "_static/pygments.css"
# The epub theme styles search results (there are none in a book) with an icon.
SEARCH_ICON = re.compile(r"\s*background-image:\s*url\(file\.png\);")
# In the work folder: each page's digest (doctree and context) and its file's, under the
# build's ``ebook_write_key``; a page found unchanged is not written again.
PAGES_RECORD = ".sangokushi-pages.json"
# Identifiers of the two renditions, after the work's own (epub_identifier).
RENDITIONS = {False: "yokogaki", True: "tategaki"}
# The vertical rendition's title is the work's with this after it: a store or Calibre takes
# two EPUBs of one title and author for duplicates.
VERTICAL_TITLE = {"ja": "（縦書き版）", "en": " (vertical edition)"}

LANDMARK_TITLES = {
    "ja": {
        "cover": "表紙",
        "toc": "目次",
        "bodymatter": "本文",
        "landmarks": "ランドマーク",
        "page-list": "紙の本のページ",
    },
    "en": {
        "cover": "Cover",
        "toc": "Table of Contents",
        "bodymatter": "Start of Content",
        "landmarks": "Landmarks",
        "page-list": "Print page list",
    },
}
# What page break markers and a page list give a reader (schema.org accessibilityFeature).
PAGE_FEATURES = ("pageBreakMarkers", "pageNavigation")
SPINE = re.compile(r'<itemref idref="([^"]+)"')
ITEM = re.compile(r'<item id="([^"]+)" href="([^"]+)" media-type="application/xhtml\+xml"')
A11Y_SUMMARIES = {
    "ja": (
        "この電子書籍は EPUB Accessibility 1.1(WCAG 2.1 レベル AA)に沿って作られています。"
        "本文はすべてテキストで、目次・見出し・ランドマークで移動でき、読む順序は本の順序と同じです。"
        "文字の大きさや書体は読書環境で変えられます。"
    ),
    "en": (
        "This publication follows EPUB Accessibility 1.1 (WCAG 2.1 Level AA). All content is "
        "text, navigable by its table of contents, headings and landmarks, in the reading "
        "order of the book; text size and typeface can be changed by the reading system."
    ),
}


class EbookTranslator(AriaHTML5Translator):
    """HTML5 with the ARIA that accessibility checkers ask of an EPUB."""


def _by_language(table: dict[str, Any], language: str) -> Any:
    return table.get(language.split("-")[0].lower(), table["en"])


class TemplateOverlay:
    """Sphinx's EPUB templates, with this package's versions of those it changes.

    Sphinx's ``content.opf.jinja`` and ``nav.xhtml.jinja`` have no blocks to extend,
    so those two are replaced whole; every other template is Sphinx's own.
    """

    def __init__(self, own: Path, base: Path) -> None:
        self.own = own
        self.base = base

    def __truediv__(self, name: str) -> Path:
        own = self.own / name
        return own if own.is_file() else self.base / name


def linked_files(outdir: Path, names: list[str]) -> set[str]:
    """The files that ``names`` (XHTML and CSS, relative to ``outdir``) link to, transitively."""
    found: set[str] = set()
    todo = [n for n in names if n.endswith((".xhtml", ".css"))]
    while todo:
        name = todo.pop()
        path = outdir / name
        if not path.is_file():
            continue
        base = Path(name).parent
        for match in LINK.finditer(path.read_text(encoding="utf-8", errors="replace")):
            target = next(g for g in match.groups() if g)
            if ":" in target:
                continue
            linked = (base / target).as_posix()
            parts: list[str] = []
            for part in linked.split("/"):
                if part == "..":
                    if parts:
                        parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
            linked = "/".join(parts)
            if linked not in found:
                found.add(linked)
                if linked.endswith(".css"):
                    todo.append(linked)
    return found


class EbookBuilder(CompiledOnceTemplates, Epub3Builder):
    """Sphinx's EPUB 3 builder, made into an e-reader edition.

    Adds ``lang``/``xml:lang`` and a writing-mode class to every document's root,
    Kindle's ``primary-writing-mode``, EPUB Accessibility 1.1 metadata, landmarks,
    a generated cover, and a zip whose bytes depend only on the files.
    """

    name = "epub"
    default_translator_class = EbookTranslator
    template_dir = TemplateOverlay(HERE / "templates" / "epub3", Path(Epub3Builder.template_dir))  # type: ignore[assignment]

    @property
    def vertical(self) -> bool:
        return self.config.epub_writing_mode == "vertical"

    @property
    def root_class(self) -> str:
        return "vrtl" if self.vertical else "hltr"

    def init(self) -> None:
        super().init()
        language = self.config.epub_language
        titles = dict(_by_language(LANDMARK_TITLES, language))
        titles["toc"] = str(_("Table of Contents"))
        titles.update(self.config.ebook_landmark_titles)
        self.landmark_titles = titles
        self.guide_titles = {"toc": titles["toc"], "cover": titles["cover"]}
        lang = html.escape(language, quote=True)
        self.html_tag = (
            f'<html {XHTML_NS} lang="{lang}" xml:lang="{lang}" class="{self.root_class}">'
        )
        # After the theme's epub.css, before the project's own stylesheets.
        self.add_css_file(CSS_FILE, priority=300)

    def init_templates(self) -> None:
        super().init_templates()
        # Last in the chain: a project's templates_path or theme may still override it.
        self.templates.loaders.append(SphinxFileSystemLoader(str(HERE / "templates" / "html")))
        keep_compiled(self)

    def prepare_writing(self, docnames: Set[str]) -> None:
        # An index page with no entry would be an empty page of the e-book (Sphinx then leaves
        # it out of the spine and the files), unless a toctree lists it.
        self.use_index = self.use_index and self.has_index()
        super().prepare_writing(docnames)
        record = self.load_record()
        pages, environment = record.get("pages"), record.get("environment")
        self.last_pages: dict[str, list[Any]] = pages if isinstance(pages, dict) else {}
        self.last_environment = str(environment or "")
        self.environment = environment_digest(self.env) if self.config.ebook_write_key else ""
        self.page_digests: dict[str, str] = {}
        self.unchanged: set[str] = set()
        # Each page's doctree as read (its pickle's digest), and whether it has ruby.
        self.doctree_digests: dict[str, str] = {}
        self.ruby_pages: dict[str, bool] = {}
        self.standing: set[str] = set()
        self.globalcontext["cover_title"] = self.cover_spec().title.replace("\n", "")
        self.globalcontext["cover_alt"] = self.cover_alt()

    def has_index(self) -> bool:
        """Whether the book has an index entry, or a toctree that lists the index page."""
        if any(self.env.get_domain("index").entries.values()):
            return True
        return any(
            ref == "genindex"
            for toc in self.env.tocs.values()
            for toctree in toc.findall(addnodes.toctree)
            for _title, ref in toctree["entries"]
        )

    def get_doc_context(self, docname: str, body: str, metatags: str) -> dict[str, Any]:
        # The theme's layout has its viewport meta; docutils adds a second one.
        return super().get_doc_context(docname, body, VIEWPORT.sub("", metatags))

    def handle_page(self, pagename: str, addctx: dict, *args: Any, **kwargs: Any) -> None:
        # Pygments' stylesheet only where there is highlighted code.
        if 'class="highlight' not in addctx.get("body", ""):
            css_files = addctx.get("css_files", self.globalcontext.get("css_files", ()))
            addctx["css_files"] = [
                c for c in css_files if str(getattr(c, "filename", c)) != PYGMENTS_CSS
            ]
        super().handle_page(pagename, addctx, *args, **kwargs)

    # -- pages written again only when they change ------------------------------------

    def load_record(self) -> dict[str, Any]:
        """The last build's record (each page's digests, the environment's), if it had this
        build's write key."""
        return kept_record(Path(self.outdir, PAGES_RECORD), self.config.ebook_write_key)

    def doctree_digest(self, docname: str) -> str:
        return file_digest(Path(self.doctreedir, f"{docname}.doctree"))

    def pages_standing(self, docnames: Set[str]) -> dict[str, list[Any]]:
        """The pages that stand as last written without resolving their doctrees: the
        environment's share of every page (``environment_digest``) as then, and the page's
        doctree and file as then. The rest of the book only moves a page through the
        environment (a title, a number, a box), so its resolved doctree is the last one."""
        if not self.environment or self.environment != self.last_environment:
            return {}
        standing = {}
        for name in sorted(docnames):
            last = self.last_pages.get(name)
            if not last or len(last) < 4 or last[2] != self.doctree_digest(name):
                continue
            if file_digest(Path(self.get_outfilename(name))) == last[1]:
                standing[name] = last
        return standing

    def write_documents(self, docnames: Set[str]) -> None:
        standing = self.pages_standing(docnames)
        self.standing = set(standing)
        for name, (digest, _file, doctree, ruby) in standing.items():
            self.page_digests[name], self.doctree_digests[name] = digest, doctree
            self.ruby_pages[name] = bool(ruby)
            self.unchanged.add(name)
        super().write_documents(set(docnames) - standing.keys())

    def page_digest(self, docname: str, doctree: nodes.document) -> str:
        """What the page is written from: its resolved doctree and what ``get_doc_context``
        reads from the environment (``sangokushi.pages.context_parts``)."""
        return parts_digest([doctree.pformat(), *context_parts(self, docname)])

    def write_doc_serialized(self, docname: str, doctree: nodes.document) -> None:
        # In the main process also when the pages are written in parallel (-j).
        super().write_doc_serialized(docname, doctree)
        digest = self.page_digests[docname] = self.page_digest(docname, doctree)
        self.doctree_digests[docname] = self.doctree_digest(docname)
        self.ruby_pages[docname] = any(n.tagname == "ruby" for n in doctree.findall(nodes.Element))
        last = self.last_pages.get(docname)
        target = Path(self.get_outfilename(docname))
        if last and last[0] == digest and file_digest(target) == last[1]:
            self.unchanged.add(docname)

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        if docname in getattr(self, "unchanged", ()):
            return
        if self.vertical and self.config.ebook_tate_chu_yoko:
            # Toctrees are resolved after the post-transforms: orient their entries too.
            orient_tree(doctree, self.config.ebook_tcy_digits)
        keep_note_marks(doctree)
        super().write_doc(docname, doctree)

    # -- static files: the stylesheet and the cover ------------------------------------

    def copy_static_files(self) -> None:
        super().copy_static_files()
        theme_css = self._static_dir / "epub.css"
        if theme_css.is_file():
            text = theme_css.read_text(encoding="utf-8")
            if SEARCH_ICON.search(text):
                theme_css.write_text(SEARCH_ICON.sub("", text), encoding="utf-8")
        context = {"vertical": self.vertical}
        copy_asset_file(
            HERE / "static" / "ebook.css.jinja",
            self._static_dir,
            context=context,
            renderer=self.templates,
            force=True,
        )
        if self.config.epub_cover and self.config.epub_cover[0] == COVER_IMAGE:
            self.write_cover(self.outdir / COVER_IMAGE)

    def cover_spec(self) -> cover.CoverSpec:
        config = self.config
        return cover.CoverSpec(
            title=config.ebook_cover_title or config.epub_title,
            subtitle=config.ebook_cover_subtitle,
            author=config.ebook_cover_author,
            size=tuple(config.ebook_cover_size),  # type: ignore[arg-type]
            background=config.ebook_cover_colors[0],
            foreground=config.ebook_cover_colors[1],
            accent=config.ebook_cover_colors[2],
        )

    def cover_alt(self) -> str:
        spec = self.cover_spec()
        parts = [spec.title, spec.subtitle, spec.author]
        return " ".join(p.replace("\n", "") for p in parts if p)

    def write_cover(self, target: Path) -> None:
        try:
            fontfile: Path | None = cover.find_font(self.config.ebook_cover_font)
        except cover.CoverFontError as err:
            logger.warning(
                "%s; the cover is drawn without text",
                err,
                location=str(self.confdir / "conf.py"),
                type="ebook",
                subtype="cover",
            )
            fontfile = None
        data = cover.cached_cover(
            self.cover_spec(), fontfile, Path(self.doctreedir) / "ebook-cover"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)

    # -- package document and navigation -----------------------------------------------

    def uses_ruby(self) -> bool:
        """Whether any document has a ``ruby`` node (of the ``sangokushi.ruby`` role)."""
        seen = getattr(self, "ruby_pages", {})
        if any(seen.values()):  # in a page written (or kept) by this build
            return True
        for docname in sorted(self.env.all_docs.keys() - seen.keys()):
            doctree = self.env.get_doctree(docname)
            if any(node.tagname == "ruby" for node in doctree.findall(nodes.Element)):
                return True
        return False

    def content_metadata(self) -> dict[str, Any]:
        metadata = super().content_metadata()
        config = self.config
        features = list(config.ebook_accessibility_features)
        if "rubyAnnotations" not in features and self.uses_ruby():
            features.append("rubyAnnotations")
        source = self.page_map()[0]
        if source:
            features += [f for f in PAGE_FEATURES if f not in features]
        summary = config.ebook_accessibility_summary or _by_language(
            A11Y_SUMMARIES, config.epub_language
        )
        metadata.update(
            access_modes=[html.escape(m) for m in config.ebook_access_modes],
            access_modes_sufficient=[html.escape(m) for m in config.ebook_access_modes_sufficient],
            accessibility_features=[html.escape(f) for f in features],
            accessibility_hazards=[html.escape(h) for h in config.ebook_accessibility_hazards],
            accessibility_summary=html.escape(summary),
            conforms_to=html.escape(config.ebook_conforms_to),
            certified_by=html.escape(config.ebook_certified_by),
            page_break_source=html.escape(source),
            primary_writing_mode="vertical-rl" if self.vertical else "",
            title=html.escape(self.rendition_title()),
            title_file_as=html.escape(config.ebook_title_file_as),
            author_file_as=html.escape(config.ebook_author_file_as),
        )
        if config.ebook_rendition_identifiers:
            # Two renditions of one work: each its own identifier (a library keeps both),
            # the work's identifier as dc:source and one series (Calibre reads an EPUB 3
            # collection as a series only with collection-type "series") that holds them
            # both, horizontal first.
            metadata["id"] = html.escape(self.identifier())
            metadata["source"] = html.escape(config.epub_identifier)
            metadata["collection"] = html.escape(config.epub_title)
            metadata["collection_position"] = "2" if self.vertical else "1"
        return metadata

    def rendition_title(self) -> str:
        """This rendition's title: the work's, the vertical one marked as such."""
        config = self.config
        if not self.vertical or not config.ebook_rendition_identifiers:
            return config.epub_title
        if config.ebook_vertical_title:
            return config.ebook_vertical_title
        return config.epub_title + _by_language(VERTICAL_TITLE, config.epub_language)

    def identifier(self) -> str:
        """This rendition's dc:identifier: the work's, with the writing mode after it."""
        work = self.config.epub_identifier
        if not self.config.ebook_rendition_identifiers:
            return work
        return f"{work}:{RENDITIONS[self.vertical]}"

    def page_map(self) -> tuple[str, list[pagemap.Page]]:
        """The printed pages this EPUB marks (``ebook_page_map``): their source and text."""
        if not self.config.ebook_page_map:
            return "", []
        if not hasattr(self, "_page_map"):
            path = Path(self.config.ebook_page_map)
            if self.events.emit_firstresult(pagemap.WANTED, path) is False:
                self._page_map = ("", [])
                return self._page_map
            try:
                self._page_map = pagemap.load(path)
            except (OSError, ValueError, KeyError) as err:
                logger.warning(
                    "cannot read the page map %s: %s; no page list",
                    path,
                    err,
                    location=str(path),
                    type="ebook",
                    subtype="pages",
                )
                self._page_map = ("", [])
        return self._page_map

    def place_page_breaks(self) -> None:
        """Mark where each printed page begins in the documents of the spine; list them."""
        self.page_list: list[tuple[str, str]] = []
        pages = self.page_map()[1]
        if not pages:
            return
        opf = (self.outdir / "content.opf").read_text(encoding="utf-8")
        hrefs = dict(ITEM.findall(opf))
        names = [hrefs[i] for i in SPINE.findall(opf) if i in hrefs]
        names = [n for n in dict.fromkeys(names) if n not in ("nav.xhtml", self.coverpage_name)]
        self.page_list = pagemap.place(self.outdir, names, pages)

    def build_content(self) -> None:
        # A cover page left by the last build would be listed as a document of its own,
        # then again as the cover: a duplicate spine entry (EPUBCheck OPF-034).
        (self.outdir / self.coverpage_name).unlink(missing_ok=True)
        # Books in the output directory (another edition copied beside this one) and
        # Sphinx's build-info backup are not content; Sphinx would warn about them.
        stray = [
            path.relative_to(self.outdir).as_posix()
            for pattern in ("*.epub", "*.epub.part", ".buildinfo.bak", PAGES_RECORD + "*")
            for path in sorted(self.outdir.rglob(pattern))
        ]
        excluded = self.config.epub_exclude_files
        self.config.epub_exclude_files = [*excluded, *stray, *self.unused_static_files()]
        try:
            super().build_content()
        finally:
            self.config.epub_exclude_files = excluded
        self.place_page_breaks()

    def unused_static_files(self) -> list[str]:
        """Theme and Sphinx files in ``_static`` that no page or stylesheet links to."""
        static = self.outdir / "_static"
        if not static.is_dir():
            return []
        pages = [
            p.relative_to(self.outdir).as_posix()
            for p in sorted(self.outdir.rglob("*" + self.out_suffix))
        ]
        used = linked_files(self.outdir, pages)
        if self.config.epub_cover:
            used.add(self.config.epub_cover[0])
        return [
            name
            for p in sorted(static.rglob("*"))
            if p.is_file() and (name := p.relative_to(self.outdir).as_posix()) not in used
        ]

    def toc_add_files(self, refnodes: list[dict[str, Any]]) -> None:
        # No toctree: a book of one document, whose sections are its chapters.
        alone = not refnodes
        super().toc_add_files(refnodes)
        if alone:
            root = html.escape(self.config.root_doc + self.out_suffix)
            at = next(i for i, node in enumerate(refnodes) if node["refuri"] == root) + 1
            refnodes[at:at] = self.root_sections()

    def root_sections(self) -> list[dict[str, Any]]:
        """The root document's sections as entries of the contents, under its title (as deep
        as ``epub_tocdepth``)."""
        root, entries = self.config.root_doc, []

        def walk(bullets: nodes.Element, level: int) -> None:
            for item in bullets.children:
                for child in item.children:
                    if isinstance(child, addnodes.compact_paragraph) and level > 1:
                        ref = next(child.findall(nodes.reference))
                        refuri = root + self.out_suffix + ref["anchorname"]
                        text = html.escape(ref.astext())
                        entries.append(
                            {"level": level, "refuri": html.escape(refuri), "text": text}
                        )
                    elif isinstance(child, nodes.bullet_list) and level < self.config.epub_tocdepth:
                        walk(child, level + 1)

        if root in self.env.tocs:
            walk(self.env.tocs[root], 1)
        return entries

    def bodymatter_href(self) -> str:
        if self.config.ebook_bodymatter:
            return self.config.ebook_bodymatter + self.out_suffix
        root = self.config.root_doc + self.out_suffix
        for refnode in self.refnodes:
            refuri = refnode["refuri"]
            if "#" not in refuri and refuri != root and refuri not in self.ignored_files:
                return refuri
        return root

    def navigation_doc_metadata(self, navlist: list[NavPoint]) -> dict[str, Any]:
        metadata = super().navigation_doc_metadata(navlist)
        if self.vertical and self.config.ebook_tate_chu_yoko:
            metadata["navlist"] = self._oriented(navlist)
        titles = self.landmark_titles
        landmarks = []
        if self.config.epub_cover and self.config.epub_cover[1]:
            landmarks.append(("cover", self.coverpage_name, titles["cover"]))
        landmarks.append(("toc", "nav.xhtml#toc", titles["toc"]))
        landmarks.append(("bodymatter", self.bodymatter_href(), titles["bodymatter"]))
        metadata.update(
            root_class=self.root_class,
            css_files=[f"_static/{CSS_FILE}"],
            landmarks=[
                {"type": t, "href": html.escape(href), "title": html.escape(title)}
                for t, href, title in landmarks
            ],
            landmarks_title=html.escape(titles["landmarks"]),
            page_list=[
                {"label": html.escape(label), "href": html.escape(href)}
                for label, href in getattr(self, "page_list", [])
            ],
            page_list_title=html.escape(titles["page-list"]),
        )
        return metadata

    def _oriented(self, navlist: list[NavPoint]) -> list[NavPoint]:
        """Nav entries with the same 縦中横/upright spans as the documents' text."""
        result = []
        for nav in navlist:
            runs = orient(html.unescape(nav.text), self.config.ebook_tcy_digits)
            text = "".join(
                html.escape(run, quote=False)
                if cls is None
                else f'<span class="{cls}">{html.escape(run, quote=False)}</span>'
                for run, cls in runs
            )
            result.append(NavPoint(text, nav.refuri, self._oriented(nav.children)))
        return result

    def toc_metadata(self, level: int, navpoints: list[Any]) -> dict[str, Any]:
        metadata = super().toc_metadata(level, navpoints)
        # The NCX's dtb:uid must be the identifier's value, not its id (EPUBCheck NCX-001).
        metadata["uid"] = html.escape(self.identifier())
        metadata["title"] = html.escape(self.rendition_title())
        return metadata

    # -- the container -----------------------------------------------------------------

    def build_epub(self) -> None:
        outname = self.config.epub_basename + ".epub"
        logger.info("writing %s file...", outname)
        target = self.outdir / outname
        package.write_ocf(target, self.outdir, self.files, package.build_time())
        self.save_record()
        if self.config.ebook_verify:
            self.verify(target)

    def save_record(self) -> None:
        """Each page's digests as written (page break markers placed), for the next build."""
        record = Path(self.outdir, PAGES_RECORD)
        record.unlink(missing_ok=True)
        digests = getattr(self, "page_digests", {})
        if not self.config.ebook_write_key or not digests:
            return
        pages = {
            name: [
                digest,
                file_digest(Path(self.get_outfilename(name))),
                self.doctree_digests.get(name, ""),
                self.ruby_pages.get(name, False),
            ]
            for name, digest in sorted(digests.items())
        }
        rewritten = sorted(set(digests) - self.unchanged)
        resolved = sorted(set(digests) - self.standing)
        write_record(record, {"key": self.config.ebook_write_key, "pages": pages,
                              "environment": self.environment, "rewritten": rewritten,
                              "resolved": resolved})  # fmt: skip
        logger.info("%d of %d pages written", len(rewritten), len(digests))

    def verify(self, target: Path) -> None:
        """Read the EPUB back with ebooklib; warn about what an e-reader edition lacks."""
        edition = readback.read_edition(target)
        cover_page = bool(self.config.epub_cover and self.config.epub_cover[1])
        for problem in readback.problems(edition, vertical=self.vertical, cover=cover_page):
            logger.warning(
                "%s: %s", target.name, problem, location=str(target), type="ebook", subtype="verify"
            )
