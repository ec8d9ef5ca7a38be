"""`sangokushi preview`: rebuild on save, serve the edited page's HTML and PDF on loopback."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sangokushi.build.errors import BuildError
from sangokushi.build.registry import Edition
from sangokushi.build.runner import Build

HOST = "127.0.0.1"
# What a save changes: the book's own sources, not editors' scratch files.
SOURCES = (".md", ".rst", ".py", ".toml", ".css", ".html", ".png", ".jpg", ".svg", ".txt")
# A Sphinx document's start in the LaTeX aux file: its label and hyperref anchor.
DOC_LABEL = r"\\newlabel\{%s::doc\}\{\{[^{}]*\}\{[^{}]*\}\{[^{}]*\}\{([^{}]*)\}"

PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{title} — preview</title>
<style>
body {{ margin: 0; display: flex; flex-direction: column; height: 100vh; font-family: sans-serif; }}
#status {{ padding: 4px 8px; background: #eee; font-size: 13px; white-space: pre-wrap; }}
#status.failed {{ background: #fdd; }}
main {{ flex: 1; display: flex; }}
iframe {{ flex: 1; border: 0; border-left: 1px solid #ccc; }}
</style></head>
<body><div id="status">{title}</div><main>
<iframe id="html" title="HTML"></iframe><iframe id="pdf" title="PDF"></iframe>
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
      if (state.html) document.getElementById("html").src = state.html + stamp;
      if (state.pdf) document.getElementById("pdf").src = state.pdf + stamp + "#page=" + state.page;
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


def pdf_page(pdf: Path, aux: Path, doc: str) -> int:
    """The physical page (from 1) on which ``doc`` starts in ``pdf``; 1 if it is not found."""
    try:
        found = re.search(DOC_LABEL % re.escape(doc), aux.read_text(encoding="utf-8"))
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
        """One ``sangokushi build`` of the chosen editions (the same runner, lock and checks)."""
        runner = Build(self.sourcedir, self.builddir, list(self.options), self.editions, self.say)
        try:
            runner.run(self.chosen)
        except BuildError as exc:
            self.say(str(exc))
            self.state.update(status=f"build failed: {exc}", error=True)
            return
        self.state.update(status=f"built: {self.state.doc}", error=False)

    def urls(self) -> dict[str, object]:
        """Where the page finds the edited document in the HTML and in the first PDF."""
        shown: dict[str, object] = {"html": "", "pdf": "", "page": 1}
        for edition in self.chosen:
            where = edition.published(self.builddir)
            if edition.form == "html" and not shown["html"]:
                shown["html"] = f"/{edition.output}/{self.state.doc}.html"
            elif edition.form == "pdf" and not shown["pdf"]:
                shown["pdf"] = f"/{edition.output}"
                aux = edition.workdir(self.builddir) / f"{edition.book}.aux"
                shown["page"] = pdf_page(where, aux, self.state.doc)
        return shown

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
                if not any(path.lstrip("/").startswith(p) for p in published) or ".." in path:
                    return self.send_error(404)
                return super().do_GET()

            def reply(self, kind: str, text: str) -> None:
                data = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
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
