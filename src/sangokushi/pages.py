"""The ``html`` builder writing a page again only when what it is written from changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Set
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import BuildEnvironment
from sphinx.environment.adapters.toctree import document_toc
from sphinx.util import logging

from sangokushi import navigation
from sangokushi.build.publish import write_whole
from sangokushi.build.stamps import file_digest
from sangokushi.jatext import keep_note_marks
from sangokushi.templatecache import CompiledOnceTemplates, keep_compiled

logger = logging.getLogger(__name__)

# In the environment's doctrees folder (the published folder holds pages only): each page's
# digest and its file's, under the build's ``html_pages_key``.
RECORD = "sangokushi-html-pages.json"
# Metadata only its own page shows: myst-parser's word count ({sub-ref}`wordcount-words`), which
# most edits change (context_parts has it for that page).
OWN_METADATA = frozenset({"wordcount"})
# Beside it: the sidebar navigation (sangokushi.navigation) as the last build rendered it.
NAVIGATION = "sangokushi-navigation.json"


# What the environment keeps that no page is written from: the reading's bookkeeping (times,
# dependencies, the document being read) and what the write key holds (configuration, code).
NOT_WRITTEN_FROM = frozenset(
    {
        "all_docs", "dependencies", "included", "reread_always", "current_document",
        "ref_context", "temp_data", "config", "config_status", "config_status_extra",
        "project", "version", "versioning_condition", "versioning_compare", "settings",
        "domains", "events",
    }
)  # fmt: skip


def canonical(value: Any) -> Any:
    """``value`` as plain JSON, whatever the order of its dicts and sets: a doctree node by its
    ``pformat``, any other object by its attributes, else its text."""
    if isinstance(value, nodes.Node):
        return value.pformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if hasattr(value, "__dict__"):
        return [type(value).__name__, canonical(vars(value))]
    return str(value)


def environment_digest(env: BuildEnvironment) -> str:
    """What a page is written from in the environment besides its own doctree: every
    document's titles, contents, numbers and metadata (but ``OWN_METADATA``), every domain's
    data (labels, boxes, index), and whatever an extension keeps there. A text edit leaves
    it as it was; a title, a label or a box changed moves it."""
    state = {k: v for k, v in vars(env).items() if k[0] != "_" and k not in NOT_WRITTEN_FROM}
    state["metadata"] = {
        d: {k: v for k, v in m.items() if k not in OWN_METADATA} for d, m in env.metadata.items()
    }
    return parts_digest([json.dumps(canonical(state), ensure_ascii=False)])


def parts_digest(parts: list[str]) -> str:
    """One digest of ``parts``, each ended so that no two splits of a text digest alike."""
    digest = hashlib.blake2b()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def context_parts(builder: StandaloneHTMLBuilder, docname: str) -> list[str]:
    """What a page's context reads from the environment besides its doctree, unrendered
    (rendering costs more than the digest): its metadata, title and contents, and the titles
    of the pages before, after and above it."""
    env = builder.env
    related = builder.relations.get(docname) or (None, None, None)
    neighbours, up = [related[1], related[2]], related[0]
    while up and up not in neighbours:
        neighbours.append(up)
        up = (builder.relations.get(up) or (None,))[0]
    return [
        json.dumps([related, neighbours, env.metadata.get(docname, {})], default=str),
        *(env.titles[n].pformat() if n in env.titles else "" for n in neighbours if n),
        env.longtitles[docname].pformat() if docname in env.longtitles else "",
        document_toc(env, docname, builder.tags).pformat(),
        str(env.toc_num_entries.get(docname)),
    ]


def kept_record(path: Path, key: str) -> dict[str, Any]:
    """The record a build left in ``path``, if it was made under ``key``; else none."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not key or not isinstance(record, dict) or record.get("key") != key:
        return {}
    return record


def read_record(path: Path, key: str) -> dict[str, list[str]]:
    """The page digests a build left in ``path``, if it was made under ``key``; else none."""
    pages = kept_record(path, key).get("pages")
    return pages if isinstance(pages, dict) else {}


def write_record(path: Path, record: dict[str, Any]) -> None:
    """``record`` as the next build reads it, whole or not at all."""
    write_whole(path, json.dumps(record))


class KeptPagesHTMLBuilder(CompiledOnceTemplates, StandaloneHTMLBuilder):
    """Sphinx's HTML builder; a page whose digest and file are as last written is kept.

    Every page is still resolved and fed to the search index (``write_doc_serialized``): only
    its translation, the theme's templates and the write (``write_doc``) are skipped. Without
    ``html_pages_key`` (a plain ``sphinx-build``) every page is written.
    """

    name = "html"

    def init_templates(self) -> None:
        super().init_templates()
        keep_compiled(self)

    def prepare_writing(self, docnames: Set[str]) -> None:
        super().prepare_writing(docnames)
        self.page_digests: dict[str, str] = {}
        self.unchanged: set[str] = set()
        self.last_pages = self.load_record()
        self.shared_digest = self.book_digest() if self.config.html_pages_key else ""
        self.load_navigation()

    @property
    def record(self) -> Path:
        return Path(self.doctreedir) / RECORD

    def load_record(self) -> dict[str, list[str]]:
        """The last build's page digests, if it had this build's key."""
        return read_record(self.record, self.config.html_pages_key)

    @property
    def navigation_key(self) -> list[str]:
        return [self.config.html_pages_key, self.shared_digest]

    def load_navigation(self) -> None:
        """The sidebar the last build rendered, if the whole book's share of every page
        (``book_digest``) and the key are as then: the theme does not render it again."""
        if not self.shared_digest:
            return
        try:
            saved = json.loads((Path(self.doctreedir) / NAVIGATION).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(saved, dict) or saved.get("key") != self.navigation_key:
            return
        navigation.restore(self, saved.get("navigation"))

    def save_navigation(self) -> None:
        """The sidebar as rendered in this build, for the next (``load_navigation``)."""
        path = Path(self.doctreedir) / NAVIGATION
        path.unlink(missing_ok=True)
        if not self.shared_digest or not navigation.cache(self):
            return
        data = {"key": self.navigation_key, "navigation": navigation.saved(self)}
        write_whole(path, json.dumps(data))

    def book_digest(self) -> str:
        """What every page shows of the whole book: the sidebar's titles and sections, the
        toctrees, numbers and metadata of every document; and the page context's plain values."""
        env = self.env
        parts = []
        for name in sorted(env.all_docs):
            parts.append(env.titles[name].pformat() if name in env.titles else "")
            parts.append(env.tocs[name].pformat() if name in env.tocs else "")
        shared = [
            env.toctree_includes,
            env.toc_secnumbers,
            env.toc_fignumbers,
            {
                d: {k: v for k, v in m.items() if k not in OWN_METADATA}
                for d, m in env.metadata.items()
            },
            sorted(env.files_to_rebuild.items()),
            {k: v for k, v in self.globalcontext.items() if isinstance(v, (str, int, float))},
            [str(getattr(f, "filename", f)) for f in self._css_files + self._js_files],
        ]
        parts.append(json.dumps(shared, default=sorted, sort_keys=True, ensure_ascii=False))
        return parts_digest(parts)

    def page_digest(self, docname: str, doctree: nodes.document) -> str:
        """What the page is written from: its resolved doctree and source, what the context
        reads from the environment (``context_parts``), and the whole book's share
        (``book_digest``)."""
        source = file_digest(Path(self.env.doc2path(docname)))
        parts = [self.shared_digest, source, doctree.pformat(), *context_parts(self, docname)]
        return parts_digest(parts)

    def write_doc_serialized(self, docname: str, doctree: nodes.document) -> None:
        # In the main process also when the pages are written in parallel (-j).
        super().write_doc_serialized(docname, doctree)
        if not self.shared_digest:
            return
        digest = self.page_digests[docname] = self.page_digest(docname, doctree)
        last = self.last_pages.get(docname)
        target = Path(self.get_outfilename(docname))
        if last and last[0] == digest and file_digest(target) == last[1]:
            self.unchanged.add(docname)

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        if docname not in self.unchanged:
            keep_note_marks(doctree)
            super().write_doc(docname, doctree)

    def finish(self) -> None:
        super().finish()
        self.save_record()
        self.save_navigation()

    def save_record(self) -> None:
        """Each page's digests as written, for the next build."""
        self.record.unlink(missing_ok=True)
        key = self.config.html_pages_key
        if not key or not self.page_digests:
            return
        pages = {
            name: [
                digest,
                self.last_pages[name][1]
                if name in self.unchanged
                else file_digest(Path(self.get_outfilename(name))),
            ]
            for name, digest in sorted(self.page_digests.items())
        }
        written = sorted(set(pages) - self.unchanged)
        write_record(self.record, {"key": key, "pages": pages, "written": written})
        logger.info("%d of %d pages written", len(written), len(pages))


def setup(app: Sphinx) -> dict[str, Any]:
    # What the pages are written from besides the environment (the runner's digest of the code,
    # options and every source that is not a document); empty: every page is written.
    app.add_config_value("html_pages_key", "", "html", types=(str,))
    app.add_builder(KeptPagesHTMLBuilder, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
