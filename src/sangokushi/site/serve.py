"""Serve a built site on this machine, with its 404 page, as a static host would."""

from __future__ import annotations

import socket
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class SiteHandler(SimpleHTTPRequestHandler):
    """Files of ``directory`` under the URL path ``prefix``; misses get the site's 404.html."""

    def __init__(self, *args: Any, directory: str, prefix: str, quiet: bool, **kwargs: Any) -> None:
        self.prefix = prefix
        self.quiet = quiet
        super().__init__(*args, directory=directory, **kwargs)

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".outside-the-site")
        return super().translate_path("/" + path[len(self.prefix) :])

    def end_headers(self) -> None:
        # A local preview: always show the latest build, switcher.json above all.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    site: Path, host: str = "127.0.0.1", port: int = 0, prefix: str = "/", quiet: bool = False
) -> ThreadingHTTPServer:
    """A server for ``site`` bound now (``port`` 0: a free one), not yet serving."""
    handler = partial(SiteHandler, directory=str(site), prefix=prefix, quiet=quiet)

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    return Server((host, port), handler)


def where(url: str) -> tuple[str, int, str]:
    """Host, port and path prefix to serve ``url`` on, when it names this machine."""
    parts = urlsplit(url)
    if parts.hostname in LOCAL_HOSTS:
        return parts.hostname, parts.port or 80, parts.path or "/"
    return "127.0.0.1", 8000, parts.path or "/"


def serve(site: Path, url: str) -> None:
    host, port, prefix = where(url)
    server = make_server(site, host, port, prefix)
    print(f"Serving {site}/ at http://{host}:{port}{prefix} (Ctrl-C stops)")
    if urlsplit(url).hostname not in LOCAL_HOSTS:
        print(f"Note: the site was built for {url}: its pages load switcher.json from there.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
