"""A large PDF's Python steps after TeX run in a process of their own: the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sangokushi.build import impose, latex
from sangokushi.build.errors import BuildError
from sangokushi.build.runner import Build
from support import BY_NAME, DOCS, EDITIONS

pytestmark = pytest.mark.slow


def test_steps_run_apart_give_the_same_pdfs_and_page_maps(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every PDF counted large: ToUnicode, PDF/X and the page map each in their own process,
    the PDFs and page maps byte for byte those of the book built with them in the thread."""
    monkeypatch.setattr(latex, "APART_BYTES", 0)
    build = Build(DOCS, tmp_path, [], EDITIONS, say=lambda text: None)
    pdfs = [BY_NAME[name] for name in ("pdf", "pdf-print", "pdf-tate")]
    build.run(pdfs)
    for edition in pdfs:
        assert edition.published(tmp_path).read_bytes() == edition.published(book).read_bytes()
    for edition in (BY_NAME["pdf"], BY_NAME["pdf-tate"]):
        assert edition.page_map(tmp_path).read_bytes() == edition.page_map(book).read_bytes()
    apart = {(p.edition, p.name) for p in build.timings.phases if p.detail == latex.APART}
    assert apart == {
        ("pdf", "ToUnicode"), ("pdf", "page map"), ("pdf-print", "ToUnicode"),
        ("pdf-print", impose.LAID),
        ("pdf-tate", "ToUnicode"), ("pdf-tate", "page map"),
    }  # fmt: skip


def test_a_step_apart_is_tracked_and_its_failure_is_one_line(tmp_path: Path) -> None:
    """The runner is told of the process as of TeX's (an interrupt ends it); its failure is the
    one line the step says."""
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.5\nnot a PDF at all\n")
    tracked = []

    @contextmanager
    def track(process: subprocess.Popen[str]) -> Iterator[None]:
        tracked.append(process.args)
        yield

    with pytest.raises(BuildError) as raised:
        latex.apart(["finish", str(damaged), "uplatex", "-", "-"], dict(os.environ), (), track)
    said = str(raised.value)
    assert said.startswith(f"{damaged} is damaged: ") and "\n" not in said, said
    assert [args[1:3] for args in tracked] == [["-m", "sangokushi.build.postpdf"]]


def test_a_page_map_made_again_reads_only_the_pages_that_changed(tmp_path: Path) -> None:
    """After an edit, a page whose print is known takes the text kept beside the last map; the
    map is the one a whole reading of the new PDF gives, but for a kept text planted to show
    that it was taken."""
    from sangokushi import pagemap
    from sangokushi.facts import load

    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("build"))
    pdf = BY_NAME["pdf"]
    Build(docs, tmp_path / "out", [], EDITIONS, say=lambda text: None).run([pdf])
    published, made = pdf.published(tmp_path / "out"), pdf.page_map(tmp_path / "out")
    known = made.with_name(made.name + pagemap.KNOWN)
    before = json.loads(known.read_text(encoding="utf-8"))
    title = pagemap.prints(published)[1][0]  # the title page, which the edit leaves as it is
    before["texts"][title] = "〔既知〕"
    known.write_text(json.dumps(before, ensure_ascii=False), encoding="utf-8")

    chapter = docs / "wei.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("。", "。〔改稿〕", 1), encoding="utf-8")
    Build(docs, tmp_path / "out", [], EDITIONS, say=lambda text: None).run([pdf])
    pages = pagemap.load(made)[1]
    whole, texts = pagemap.read_pages(published, load(docs).page, False)
    assert pages[0].text == "〔既知〕"
    assert pages[1:] == whole[1:]
    assert any("〔改稿〕" in page.text for page in pages)
    changed = set(texts) - set(before["texts"])
    assert 0 < len(changed) < len(pages) // 2
