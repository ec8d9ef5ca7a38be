"""`sangokushi preview`: rebuild on save, serve the edited page of each edition on loopback."""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sangokushi.build import parts
from sangokushi.build.errors import BuildError
from sangokushi.build.registry import Edition
from sangokushi.build.runner import Build

HOST = "127.0.0.1"
# The start of the line that ends each build (what the page's status says, for a terminal).
ENDED = "preview:"
# What a save changes: the book's own sources, not editors' scratch files.
SOURCES = (".md", ".rst", ".py", ".toml", ".css", ".html", ".png", ".jpg", ".svg", ".txt")
# Files of a published EPUB, read from inside it: /read/<edition>/<name in the zip>.
READ = "/read/"
# The EPUB builder's page suffix (Sphinx's epub builder: ``out_suffix``).
XHTML = ".xhtml"
# A Sphinx document's start in the LaTeX aux file: its label and hyperref anchor.
DOC_LABEL = r"\\newlabel\{%s::doc\}\{\{[^{}]*\}\{[^{}]*\}\{[^{}]*\}\{([^{}]*)\}"

PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{title} — preview</title>
<style>
body {{ margin: 0; display: flex; flex-direction: column; height: 100vh; font-family: sans-serif; }}
#status {{ padding: 4px 8px; background: #eee; font-size: 13px; white-space: pre-wrap; }}
#status.failed {{ background: #fdd; }}
main {{ flex: 1; display: grid; grid-template-columns: 1fr 1fr; grid-auto-rows: 1fr; }}
iframe {{ width: 100%; height: 100%; border: 0; outline: 1px solid #ccc; }}
iframe[hidden] {{ display: none; }}
</style></head>
<body><div id="status">{title}</div><main>
<iframe id="html" title="HTML" hidden></iframe><iframe id="pdf" title="PDF" hidden></iframe>
<iframe id="epub" title="EPUB 横書き" hidden></iframe>
<iframe id="epub_tate" title="EPUB 縦書き" hidden></iframe>
</main>
<script>
let seen = -1;
async function poll() {{
  try {{
    const state = await (await fetch("/version", {{cache: "no-store"}})).json();
    if (state.version !== seen) {{
      seen = state.version;
      const status = document.getElementById("status");
      status.textContent = state.status;
      status.className = state.error ? "failed" : "";
      const stamp = "?v=" + state.version;
      for (const pane of ["html", "pdf", "epub", "epub_tate"]) {{
        const frame = document.getElementById(pane);
        frame.hidden = !state[pane];
        if (!state[pane]) continue;
        frame.src = state[pane] + stamp + (pane === "pdf" ? "#page=" + state.page : "");
      }}
    }}
  }} catch (e) {{}}
  setTimeout(poll, 500);
}}
poll();
</script></body></html>
"""


@dataclass
class State:
    """What the page shows: the build's number, the document edited last, how the build went."""

    version: int = 0
    doc: str = "index"
    status: str = "building…"
    error: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **values: object) -> None:
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)
            self.version += 1


def pdf_page(pdf: Path, tex: Path, doc: str) -> int:
    """The physical page (from 1) on which ``doc`` starts in ``pdf`` set from ``tex``; 1 if it
    is not found."""
    try:
        label = re.compile(DOC_LABEL % re.escape(doc))
        texts = (aux.read_text(encoding="utf-8") for aux in parts.aux_files(tex) if aux.is_file())
        found = next((m for m in map(label.search, texts) if m), None)
        if not found:
            return 1
        import pikepdf

        with pikepdf.open(pdf) as book:
            dests = pikepdf.NameTree(book.Root.Names.Dests)
            target = dests[found[1]]
            target = target.D if isinstance(target, pikepdf.Dictionary) else target
            return book.pages.index(pikepdf.Page(target[0])) + 1
    except (OSError, KeyError, AttributeError, ValueError, TypeError):
        return 1


def epub_page(epub: Path, doc: str) -> str:
    """The content document of ``doc`` in ``epub``; else the first of its reading order."""
    try:
        with zipfile.ZipFile(epub) as book:
            names = book.namelist()
            opf = book.read("content.opf").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return doc + XHTML
    if doc + XHTML in names:
        return doc + XHTML
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    return next((hrefs[i] for i in spine if i in hrefs), doc + XHTML)


def changed_doc(sourcedir: Path, paths: Iterable[Path], current: str) -> str:
    """The document a save touched (its docname), else the one shown before."""
    for path in paths:
        if path.suffix in (".md", ".rst") and path.is_relative_to(sourcedir):
            return path.relative_to(sourcedir).with_suffix("").as_posix()
    return current


class Preview:
    """Builds ``editions`` of the book, then again after each save, and serves them."""

    def __init__(
        self,
        sourcedir: Path,
        builddir: Path,
        editions: Sequence[Edition],
        chosen: Sequence[Edition],
        options: list[str],
        say: Callable[[str], None],
    ) -> None:
        self.sourcedir, self.builddir = sourcedir.absolute(), builddir.absolute()
        self.editions, self.chosen, self.options, self.say = editions, chosen, options, say
        self.state = State()
        self.stop = threading.Event()

    def build(self) -> None:
        """One ``sangokushi build`` of the chosen editions (the same runner, lock and checks),
        ending with one line: ``preview: DOC: built (N.N s)`` or ``… build failed …``."""
        runner = Build(
            self.sourcedir, self.builddir, list(self.options), self.editions, self.say, "always"
        )
        start, doc = time.monotonic(), self.state.doc
        try:
            runner.run(self.chosen)
        except BuildError as exc:
            self.say(str(exc))
            self.say(f"{ENDED} {doc}: build failed ({time.monotonic() - start:.1f} s)")
            self.state.update(status=f"build failed: {exc}", error=True)
            return
        self.say(f"{ENDED} {doc}: built ({time.monotonic() - start:.1f} s)")
        self.state.update(status=f"built: {doc}", error=False)

    def urls(self) -> dict[str, object]:
        """Where the page finds the edited document: in the HTML, the first PDF and each EPUB
        (its chapter read from inside the published file, in either writing mode)."""
        shown: dict[str, object] = {"html": "", "pdf": "", "epub": "", "epub_tate": "", "page": 1}
        for edition in self.chosen:
            where = edition.published(self.builddir)
            pane = "epub_tate" if edition.form == "epub" and edition.vertical else edition.form
            if shown.get(pane) or not where.exists():
                continue
            if edition.form == "html":
                shown["html"] = f"/{edition.output}/{self.state.doc}.html"
            elif edition.form == "pdf":
                shown["pdf"] = f"/{edition.output}"
                tex = edition.workdir(self.builddir) / f"{edition.book}.tex"
                shown["page"] = pdf_page(where, tex, self.state.doc)
            elif edition.form == "epub":
                shown[pane] = f"{READ}{edition.name}/{epub_page(where, self.state.doc)}"
        return shown

    def read(self, path: str) -> tuple[bytes, str] | None:
        """``/read/<edition>/<name>``: a file inside that published EPUB, and its type."""
        name, _, inside = path[len(READ) :].partition("/")
        edition = next((e for e in self.chosen if e.name == name and e.form == "epub"), None)
        if edition is None or not inside:
            return None
        try:
            with zipfile.ZipFile(edition.published(self.builddir)) as book:
                data = book.read(inside)
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        kind = "application/xhtml+xml" if inside.endswith(XHTML) else None
        return data, kind or mimetypes.guess_type(inside)[0] or "application/octet-stream"

    def handler(self) -> type[SimpleHTTPRequestHandler]:
        preview = self
        published = tuple(e.output.strip("/") for e in self.chosen)

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                if path == "/":
                    title = html.escape(preview.sourcedir.name)
                    return self.reply("text/html", PAGE.format(title=title))
                if path == "/version":
                    state = preview.state
                    body = {
                        "version": state.version,
                        "doc": state.doc,
                        "status": state.status,
                        "error": state.error,
                        **preview.urls(),
                    }
                    return self.reply("application/json", json.dumps(body, ensure_ascii=False))
                if path.startswith(READ):
                    found = preview.read(path)
                    if found is None:
                        return self.send_error(404)
                    return self.reply_bytes(found[1], found[0])
                if not any(path.lstrip("/").startswith(p) for p in published) or ".." in path:
                    return self.send_error(404)
                return super().do_GET()

            def reply(self, kind: str, text: str) -> None:
                self.reply_bytes(f"{kind}; charset=utf-8", text.encode("utf-8"))

            def reply_bytes(self, kind: str, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

        return Handler

    def watched(self, path: Path) -> bool:
        """A source of the book: not in BUILDDIR (by default inside it), not hidden."""
        if path.is_relative_to(self.builddir) or path.suffix not in SOURCES:
            return False
        relative = path.relative_to(self.sourcedir) if path.is_relative_to(self.sourcedir) else path
        return not any(part.startswith((".", "_build")) for part in relative.parts)

    def serve(self, port: int) -> None:
        """Build, serve on loopback, rebuild after each save until ``stop`` is set (or Ctrl-C)."""
        import watchfiles

        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected"
        self.builddir.mkdir(parents=True, exist_ok=True)
        server = ThreadingHTTPServer(
            (HOST, port), partial(self.handler(), directory=str(self.builddir))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.say(f"preview: http://{HOST}:{server.server_address[1]}/ (Ctrl-C ends it)")
        try:
            self.build()
            for changes in watchfiles.watch(
                self.sourcedir,
                watch_filter=lambda _, name: self.watched(Path(name)),
                stop_event=self.stop,
                debounce=200,
                rust_timeout=500,
                yield_on_timeout=False,
            ):
                paths = [Path(name) for _, name in changes]
                self.state.doc = changed_doc(self.sourcedir, paths, self.state.doc)
                self.build()
        finally:
            server.shutdown()
            server.server_close()
