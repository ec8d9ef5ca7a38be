"""sangokushi.analogy: incremental rebuilds and parallel builds give the same, fresh output."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

ROOTS = Path(__file__).parent / "roots"
ROOT = ROOTS / "test-analogy-incremental"
PAGES = ("index", "prologue", "wei", "shu", "wu", "yuan", "wudoumi", "epilogue", "table")

MakeApp = Callable[..., SphinxTestApp]


class Build:
    """A build of a copy of the incremental root, recording the documents read and written."""

    def __init__(self, make_app: MakeApp, srcdir: Path, parallel: int = 0, **kwargs: Any) -> None:
        self.app = make_app("html", srcdir=srcdir, parallel=parallel, **kwargs)
        self.read: set[str] = set()
        self.written: set[str] = set()
        self.app.connect("env-before-read-docs", lambda app, env, docs: self.read.update(docs))
        self.app.connect("doctree-resolved", lambda app, tree, doc: self.written.add(doc))
        self.app.build()
        self.app.cleanup()  # unregister docutils nodes and roles before the next app

    @property
    def warnings(self) -> str:
        return re.sub(r"\x1b\[[0-9;]*m", "", self.app.warning.getvalue())

    def page(self, name: str) -> str:
        return (self.app.outdir / f"{name}.html").read_text(encoding="utf-8")

    def fragments(self) -> dict[str, list[str]]:
        """Everything the extension renders: boxes, tables and links to boxes, per page."""
        pattern = re.compile(
            r'<div class="analogy" id=.*?</div>|<table class="analogy-table.*?</table>'
            r'|<a [^>]*href="[^"]*#analogy-[^"]*"[^>]*>.*?</a>',
            re.S,
        )
        return {name: pattern.findall(self.page(name)) for name in PAGES}


@pytest.fixture
def srcdir(tmp_path: Path) -> Callable[..., Path]:
    def copy(name: str, root: Path = ROOT) -> Path:
        target = tmp_path / name
        target.mkdir()
        for source in root.iterdir():
            (target / source.name).write_bytes(source.read_bytes())
        return target

    return copy


def edit(srcdir: Path, name: str, old: str, new: str) -> None:
    path = srcdir / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_renamed_box_updates_every_page(make_app: MakeApp, srcdir) -> None:
    src = srcdir("serial")
    first = Build(make_app, src)
    assert first.warnings == ""
    assert first.read == set(PAGES)

    edit(src, "wei", ":historical: Wei", ":historical: Cao Wei")
    second = Build(make_app, src)
    assert second.warnings == ""
    # Only wei is read again; what others show of it is written after reading: wu and
    # epilogue refer to it, the table lists it (shu shows nothing of wei's box).
    assert second.read == {"wei"}
    assert {"wei", "wu", "epilogue", "table"} <= second.written
    assert '<span class="xref analogy">Cao Wei</span>' in second.page("wu")
    assert '<span class="xref analogy">Cao Wei</span>' in second.page("epilogue")
    assert "</span>Cao Wei</p></td>" in second.page("table")
    pages = "".join(second.page(name) for name in ("wu", "epilogue", "table"))
    assert '<span class="xref analogy">Wei</span>' not in pages
    assert "<td><p>Wei</p></td>" not in pages
    assert "Analogy 1: OpenAI ≒ Cao Wei" in second.page("wu")  # link tooltip


def test_new_reference_rewrites_box_and_table(make_app: MakeApp, srcdir) -> None:
    src = srcdir("new-reference")
    Build(make_app, src)
    edit(src, "prologue", "Nothing about analogies here.", "Foreshadowing {analogy}`shu`.")
    second = Build(make_app, src)
    # prologue had no analogy data: nothing else is re-read, but pages showing shu's referrers
    # are rewritten after reading (env-get-updated)
    assert second.read == {"prologue"}
    assert {"prologue", "shu", "wei", "table"} <= second.written
    assert 'href="prologue.html#prologue"><span>Prologue</span></a>' in second.page("shu")
    assert 'href="prologue.html#prologue"><span>Prologue</span></a>' in second.page("table")


def test_table_added_or_removed_refreshes_referrers(make_app: MakeApp, srcdir) -> None:
    src = srcdir("table-moves")
    first = Build(make_app, src)
    epilogue = 'href="epilogue.html#epilogue"><span>Epilogue</span></a>'
    assert epilogue in first.page("wei")
    # A table's page refers to every box: once epilogue has one, it is no referrer of wei.
    edit(src, "epilogue", "and {analogy}`yuan`.", "and {analogy}`yuan`.\n\n```{analogy-table}\n```")
    second = Build(make_app, src)
    assert second.read == {"epilogue"}
    assert {"wei", "yuan"} <= second.written
    assert epilogue not in second.page("wei")
    edit(src, "epilogue", "\n\n```{analogy-table}\n```", "")
    third = Build(make_app, src)
    assert third.read == {"epilogue"}
    assert epilogue in third.page("wei")


def test_untouched_analogies_read_nothing_else(make_app: MakeApp, srcdir) -> None:
    src = srcdir("unrelated")
    Build(make_app, src)
    edit(src, "prologue", "Nothing about", "Still nothing about")
    second = Build(make_app, src)
    assert second.read == {"prologue"}
    assert second.written == {"prologue", "index"}  # index: Sphinx rewrites the toctree parent


def test_deleted_box_warns_and_renumbers(make_app: MakeApp, srcdir) -> None:
    src = srcdir("deleted")
    Build(make_app, src)
    (src / "yuan.md").write_text("# Yuan Shao\n\nGone.\n", encoding="utf-8")
    second = Build(make_app, src)
    assert second.read == {"yuan"}
    assert {"yuan", "epilogue", "table", "wudoumi"} <= second.written
    assert f"{src / 'epilogue.md'}:3: WARNING: unknown analogy id 'yuan' [ref.ref]" in (
        second.warnings
    )
    # wudoumi.md was not re-read, but its box moved up from 5 to 4
    assert '<span class="analogy-number">Analogy 4</span>' in second.page("wudoumi")
    assert "Anthropic" not in second.page("table")


def test_parallel_equals_serial(make_app: MakeApp, srcdir) -> None:
    serial_src, parallel_src = srcdir("one"), srcdir("three")
    serial = Build(make_app, serial_src)
    parallel = Build(make_app, parallel_src, parallel=3)
    assert parallel.warnings == serial.warnings == ""
    assert parallel.fragments() == serial.fragments()
    assert 'id="analogy-wudoumi"' in "".join(parallel.fragments()["wudoumi"])

    for src in (serial_src, parallel_src):
        edit(src, "wei", ":historical: Wei", ":historical: Cao Wei")
    serial = Build(make_app, serial_src)
    parallel = Build(make_app, parallel_src, parallel=3)
    assert parallel.read == serial.read == {"wei"}
    assert parallel.fragments() == serial.fragments()


def test_parallel_reports_duplicates(make_app: MakeApp, tmp_path: Path) -> None:
    root = Path(__file__).parent / "roots" / "test-analogy-bad"

    def lines(parallel: int) -> list[str]:
        app = make_app("html", srcdir=root, builddir=tmp_path / str(parallel), parallel=parallel)
        app.build()
        app.cleanup()
        text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
        return sorted(line for line in text.splitlines() if "WARNING" in line)

    serial = lines(0)
    assert any("duplicate analogy id 'ok'" in line for line in serial)
    assert lines(3) == serial


def test_label_moves_to_the_remaining_duplicate(make_app: MakeApp, srcdir) -> None:
    """Two boxes ``dup`` (a, b), {numref} in c: when a's goes, the label moves to b's."""
    src = srcdir("dup", ROOTS / "test-analogy-dup")
    first = Build(make_app, src)
    assert "duplicate analogy id 'dup'" in first.warnings
    assert 'href="a.html#analogy-dup"' in first.page("c")

    without_box = ":::{analogy} dup\n:modern: Alpha\n:historical: First\n:::", "No box."
    edit(src, "a", *without_box)
    second = Build(make_app, src, warningiserror=True)  # -W
    assert second.warnings == ""
    assert second.read == {"a"}
    assert {"a", "b", "c"} <= second.written
    c = second.page("c")
    assert '<a class="reference internal" href="b.html#analogy-dup">' in c
    assert '<span class="std std-numref">Analogy 1</span>' in c
    assert '<span class="std std-ref">Beta ≒ Second</span>' in c
    assert '<span class="analogy-number">Analogy 1</span>' in second.page("b")

    fresh = srcdir("dup-fresh", ROOTS / "test-analogy-dup")
    edit(fresh, "a", *without_box)
    assert Build(make_app, fresh).page("c") == c


def test_output_labels_rewrite_without_reading(make_app: MakeApp, srcdir) -> None:
    """Labels and separators only change output: pages are rewritten, nothing is read."""
    src = srcdir("labels")
    Build(make_app, src)
    second = Build(
        make_app,
        src,
        confoverrides={"analogy_backref_label": "Cited by", "analogy_list_separator": " / "},
    )
    assert second.read == set()
    assert {"wei", "shu", "wu", "epilogue", "table"} <= second.written
    assert '<p class="analogy-backrefs">Cited by: ' in second.page("wei")
    assert "</a> / <a" in second.page("wei")
    third = Build(
        make_app,
        src,
        confoverrides={"analogy_backref_label": "Cited by", "analogy_list_separator": " / "},
    )
    assert third.read == set()
    assert "wei" not in third.written
