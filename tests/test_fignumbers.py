"""sangokushi.fignumbers: figure numbers right after every edit, not walked again for nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.testing.util import SphinxTestApp

ROOT = Path(__file__).parent / "roots" / "test-fignumbers"
NEW_TABLE = """:::{table} Inserted
:name: tbl-inserted

| x | y |
|---|---|
| 0 | 0 |
:::

"""

# The number a {numref} shows ("Table 2", or "表 2" where another test's Japanese translations
# are still loaded in this process).
NUMREF = re.compile(r'<span class="std std-numref">\D*(\d+)</span>')

MakeApp = Callable[..., SphinxTestApp]


def counted(app: SphinxTestApp) -> list[int]:
    """A list that grows by one for each doctree loaded while numbers are assigned."""
    loaded: list[int] = []

    def count(app: Sphinx, env: BuildEnvironment) -> list[str]:
        stock = env.get_doctree

        def get_doctree(docname: str) -> Any:
            loaded.append(1)
            return stock(docname)

        env.get_doctree = get_doctree  # type: ignore[method-assign]
        return []

    def uncount(app: Sphinx, env: BuildEnvironment) -> list[str]:
        del env.get_doctree
        return []

    app.connect("env-get-updated", count, priority=1)
    app.connect("env-get-updated", uncount, priority=999)
    return loaded


def build(app: SphinxTestApp, loaded: list[int]) -> list[int]:
    """Build with ``app`` again; the doctrees loaded while numbers were assigned."""
    loaded.clear()
    app.build()
    assert app.warning.getvalue() == ""
    return list(loaded)


def test_numbers_follow_an_edit_and_stand_when_nothing_is_read(
    make_app: MakeApp, tmp_path: Path
) -> None:
    """One application built three times, as the preview keeps Sphinx loaded between builds
    (another application on the same environment would start with nothing to walk)."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOT, srcdir)
    app = make_app("html", srcdir=srcdir)
    loaded = counted(app)
    try:
        assert build(app, loaded)  # a fresh environment: every doctree walked
        numbers = {k: dict(v) for k, v in app.env.toc_fignumbers.items()}
        assert numbers["b"] == {"table": {"tbl-second": (2,)}}
        assert NUMREF.findall((app.outdir / "b.html").read_text(encoding="utf-8")) == ["2"]

        assert build(app, loaded) == []  # nothing read: the numbers stand, unwalked
        assert app.env.toc_fignumbers == numbers

        a = srcdir / "a.md"
        text = a.read_text(encoding="utf-8")
        a.write_text(
            text.replace(":::{table} First", NEW_TABLE + ":::{table} First"), encoding="utf-8"
        )
        assert build(app, loaded)  # only a is read; b's table is now the third
        assert app.env.toc_fignumbers["b"] == {"table": {"tbl-second": (3,)}}
        assert NUMREF.findall((app.outdir / "b.html").read_text(encoding="utf-8")) == ["3"]
    finally:
        app.cleanup()


def edited(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_that_moves_no_number_walks_nothing(make_app: MakeApp, tmp_path: Path) -> None:
    """A document read again with the same figures and sections: its numbers are put back and
    no doctree is loaded, in the same application and in the next one (the next build's
    process), until a figure is added."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOT, srcdir)
    a = srcdir / "a.md"
    app = make_app("html", srcdir=srcdir)
    loaded = counted(app)
    try:
        assert build(app, loaded)
        numbers = {k: dict(v) for k, v in app.env.toc_fignumbers.items()}
        edited(a, "| 1 | 2 |\n:::", "| 1 | 2 |\n:::\n\nA paragraph added.")
        assert build(app, loaded) == []  # a read again, its table where it was
        assert app.env.toc_fignumbers == numbers
    finally:
        app.cleanup()
    app = make_app("html", srcdir=srcdir)  # the environment as the last build pickled it
    loaded = counted(app)
    try:
        edited(a, "A paragraph added.", "A paragraph edited.")
        assert build(app, loaded) == []
        assert app.env.toc_fignumbers == numbers
        edited(a, ":::{table} First", NEW_TABLE + ":::{table} First")
        assert build(app, loaded)
        assert app.env.toc_fignumbers["b"] == {"table": {"tbl-second": (3,)}}
        assert NUMREF.findall((app.outdir / "b.html").read_text(encoding="utf-8")) == ["3"]
    finally:
        app.cleanup()


def test_numbers_follow_section_numbers_that_moved(make_app: MakeApp, tmp_path: Path) -> None:
    """A toctree numbered: no outline changes, but every number takes its chapter's."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOT, srcdir)
    app = make_app("html", srcdir=srcdir, confoverrides={"numfig_secnum_depth": 1})
    loaded = counted(app)
    try:
        build(app, loaded)
        assert app.env.toc_fignumbers["b"] == {"table": {"tbl-second": (2,)}}
        edited(srcdir / "index.md", ":::{toctree}", ":::{toctree}\n:numbered:")
        build(app, loaded)
        assert app.env.toc_fignumbers["a"] == {"table": {"tbl-first": (1, 1)}}
        assert app.env.toc_fignumbers["b"] == {"table": {"tbl-second": (2, 1)}}
    finally:
        app.cleanup()
