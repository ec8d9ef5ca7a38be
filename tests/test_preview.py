"""`make live` (`sangokushi preview`): built, served on loopback, rebuilt and reloaded on save."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from sangokushi.build.preview import changed_doc
from support import ROOT, pdftotext

pytestmark = pytest.mark.slow
SENTENCE = "保存するとすぐに読み直される。"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outward_address() -> str | None:
    """This machine's address on its network (a UDP connect sends nothing), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except OSError:
        return None


def wait_for(check: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def test_changed_doc_is_the_saved_chapter(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    assert changed_doc(src, [src / "conf.py", src / "appendix" / "a.md"], "index") == "appendix/a"
    assert changed_doc(src, [src / "_static" / "x.css"], "shu") == "shu"


@dataclass
class Live:
    """A running `make live` of a copy of the book: its sources, its address, its log."""

    docs: Path
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def state(self) -> dict:
        return json.loads(fetch(f"{self.base}/version") or b"{}")

    def said(self) -> str:
        return self.log.read_text()


@contextmanager
def live(tmp_path: Path, editions: str, seconds: float) -> Iterator[Live]:
    """`make live` of a copy of the book for ``editions``, once its first build is served."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    port = free_port()
    command = ["make", "-C", str(ROOT), "live", f"SOURCEDIR={docs}",
               f"BUILDDIR={tmp_path / 'build'}", f"LIVE_PORT={port}",
               f"LIVE_EDITIONS={editions}"]  # fmt: skip
    running = Live(docs, port, tmp_path / "live.log")
    with running.log.open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            built = wait_for(lambda: running.state().get("status", "").startswith("built"), seconds)
            assert built, running.said()
            yield running
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_live_rebuilds_html_and_pdf_on_save(tmp_path: Path) -> None:
    with live(tmp_path, "html pdf", 120) as running:
        base, state = running.base, running.state
        page = (fetch(f"{base}/") or b"").decode()
        assert 'fetch("/version"' in page and 'id="html"' in page and 'id="pdf"' in page
        assert "諸葛亮" in (fetch(f"{base}/html/shu.html") or b"").decode()
        assert fetch(f"{base}/work/pdf/llm-sangokushi.tex") is None  # only what is published
        first = state()
        with (running.docs / "shu.md").open("a", encoding="utf-8") as f:
            f.write(f"\n{SENTENCE}\n")
        html = f"{base}/html/shu.html"
        assert wait_for(lambda: SENTENCE in (fetch(html) or b"").decode(), 90), running.said()
        # The HTML is built first, not after the PDFs' Sphinx.
        assert re.findall(r"sangokushi: ([\w-]+): building", running.said())[:2] == [
            "html",
            "pdf",
        ]
        assert wait_for(lambda: state()["version"] > first["version"], 60)
        now = state()
        assert now["doc"] == "shu" and now["html"] == "/html/shu.html" and not now["error"]
        # Each build ends with one line (`make bench` times `make live` by it).
        ended = re.findall(
            r"^sangokushi: preview: (\w+): built \([\d.]+ s\)$", running.said(), re.M
        )
        assert ended == ["index", "shu"], running.said()
        assert now["page"] > 1
        pdf = tmp_path / "got.pdf"
        pdf.write_bytes(fetch(base + now["pdf"]) or b"")
        text = pdftotext(pdf, "-f", str(now["page"]), "-l", str(now["page"] + 30))
        assert SENTENCE.rstrip("。") in text.replace("\n", "")
        # Loopback only: the machine's own address on its network does not answer.
        if other := outward_address():
            address = (other, running.port)
            with pytest.raises(OSError), socket.create_connection(address, timeout=2):
                pass


def test_live_shows_the_saved_chapter_in_both_epubs(tmp_path: Path) -> None:
    with live(tmp_path, "epub epub-tate", 180) as running:
        base, state = running.base, running.state
        page = (fetch(f"{base}/") or b"").decode()
        assert 'id="epub"' in page and 'id="epub_tate"' in page
        first = state()
        assert first["epub"] == "/read/epub/index.xhtml" and first["html"] == ""
        with (running.docs / "wu.md").open("a", encoding="utf-8") as f:
            f.write(f"\n{SENTENCE}\n")

        def rebuilt() -> bool:
            now = state()
            return now["version"] > first["version"] and now["status"] == "built: wu"

        assert wait_for(rebuilt, 120), running.said()
        now = state()
        assert (
            now["epub"] == "/read/epub/wu.xhtml" and now["epub_tate"] == "/read/epub-tate/wu.xhtml"
        )
        for pane, mode in (("epub", "hltr"), ("epub_tate", "vrtl")):
            chapter = (fetch(base + now[pane]) or b"").decode()
            assert SENTENCE in chapter and f'class="{mode}"' in chapter, pane
            # Its stylesheet resolves inside the same EPUB.
            css = re.search(r'href="(_static/ebook\.css)"', chapter)
            assert css and b"writing-mode" in (
                fetch(base + now[pane].rsplit("/", 1)[0] + "/" + css[1]) or b""
            )
        assert fetch(f"{base}/read/epub/../work/x") is None and fetch(f"{base}/read/pdf/a") is None
