"""The cached sidebar navigation is the theme's own, page by page."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
import sphinx.builders.html
from bs4 import BeautifulSoup

from sangokushi import navigation, pages
from support import make

EXTENSIONS = ["myst_parser", "sangokushi.navigation", "notfound.extension"]  # the root's


def sidebars(outdir: Path) -> dict[str, str]:
    """Every page's whole-book navigation, re-serialised by one parser."""
    navs = {}
    for page in sorted(outdir.rglob("*.html")):
        nav = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select_one(
            "nav.bd-docs-nav"
        )
        navs[page.relative_to(outdir).as_posix()] = nav.decode() if nav else ""
    return navs


def build(make_app, rootdir: Path, tmp_path: Path, name: str, cache: bool) -> tuple[Path, bool]:
    """The root built into its own folder; whether the cached navigation was used."""
    srcdir = tmp_path / name
    srcdir.mkdir()
    for path in (rootdir / "test-navigation").rglob("*"):
        target = srcdir / path.relative_to(rootdir / "test-navigation")
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    warnings = StringIO()
    app = make_app(
        "html", srcdir=srcdir, warning=warnings, confoverrides={"navigation_cache": cache}
    )
    try:
        app.build()
        assert warnings.getvalue() == ""
        return Path(app.outdir), bool(navigation.cache(app.builder))
    finally:
        app.cleanup()  # unregister docutils nodes and roles before the next app


def test_sidebars_equal_the_themes_on_nested_toctrees(
    make_app, rootdir, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every page's own toctree() call, which the theme's sidebar makes on every page.
    per_page: list[str] = []
    resolve = sphinx.builders.html.global_toctree_for_doc

    def counting(env, docname, *args, **kwargs):
        per_page.append(docname)
        return resolve(env, docname, *args, **kwargs)

    monkeypatch.setattr(sphinx.builders.html, "global_toctree_for_doc", counting)
    cached, used = build(make_app, rootdir, tmp_path, "cached", True)
    assert used, "the cached navigation was not used"
    assert per_page == []
    stock, used = build(make_app, rootdir, tmp_path, "stock", False)
    assert not used
    assert len(per_page) >= 9
    mine, theirs = sidebars(cached), sidebars(stock)
    assert mine.keys() == theirs.keys()
    assert {"part/deep/leaf.html", "extra/lone.html", "search.html", "404.html"} <= mine.keys()
    for page in theirs:
        assert mine[page] == theirs[page], page
    # The test means something: the current page is marked, and deep pages open their branch.
    leaf = BeautifulSoup(mine["part/deep/leaf.html"], "html.parser")
    current = [li.a.get_text() for li in leaf.select("li.current.active")]
    assert current == ["Part", "Deep", "Leaf"]
    assert len(leaf.select("details[open]")) == 2
    assert leaf.select_one("a.current")["href"] == "#"
    assert leaf.select_one('a[href="../../first.html"]') is not None
    assert not BeautifulSoup(mine["extra/lone.html"], "html.parser").select(".current")
    # sphinx-notfound-page gives the 404 page its own toctree(), with absolute links: kept.
    assert 'href="/book/part/alpha.html"' in mine["404.html"]
    # A generated page in a toctree (genindex) is a link like the others, and current on itself.
    assert 'href="../../genindex.html"' in mine["part/deep/leaf.html"]
    assert BeautifulSoup(mine["genindex.html"], "html.parser").select_one("a.current").get_text()


@pytest.mark.slow
def test_book_sidebars_equal_the_themes(book: Path, tmp_path: Path) -> None:
    make("html", BUILDDIR=tmp_path, SPHINXOPTS="-D navigation_cache=0")
    mine, theirs = sidebars(book / "html"), sidebars(tmp_path / "html")
    assert mine.keys() == theirs.keys()
    assert len(mine) > 10
    for page in theirs:
        assert mine[page] == theirs[page], page
    # More than the sidebar: every page is the theme's to the byte.
    for page in theirs:
        assert (book / "html" / page).read_bytes() == (tmp_path / "html" / page).read_bytes(), page
    wei = BeautifulSoup(mine["wei.html"], "html.parser")
    [current] = wei.select("a.current")
    assert current.get_text().endswith("魏 — OpenAI") and current["href"] == "#"


def test_the_next_build_reuses_the_sidebar_until_a_title_changes(
    make_app, rootdir, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With sangokushi.pages and its key (as `sangokushi build` runs it), the sidebar rendered
    by one build serves the next while the book's titles and toctrees stay as they were."""
    import pydata_sphinx_theme.toctree

    rendered: list[str] = []
    stock = pydata_sphinx_theme.toctree.add_toctree_functions

    def counting(app, pagename, *args, **kwargs):
        if pagename == navigation.NEUTRAL:  # the theme's calls for each page are its own
            rendered.append(pagename)
        return stock(app, pagename, *args, **kwargs)

    monkeypatch.setattr(pydata_sphinx_theme.toctree, "add_toctree_functions", counting)
    srcdir = tmp_path / "book"
    shutil.copytree(rootdir / "test-navigation", srcdir)
    overrides = {
        "extensions": [*EXTENSIONS, "sangokushi.pages"],
        "html_pages_key": "key",
    }

    def build(source: Path) -> dict[str, str]:
        warnings = StringIO()
        app = make_app("html", srcdir=source, warning=warnings, confoverrides=overrides)
        try:
            app.build(force_all=True)  # as `sangokushi build` asks (-a)
            assert warnings.getvalue() == ""
            return sidebars(Path(app.outdir))
        finally:
            app.cleanup()

    first = build(srcdir)
    assert rendered == [navigation.NEUTRAL]
    first_md = srcdir / "first.md"
    first_md.write_text(first_md.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    assert build(srcdir) == first
    assert rendered == [navigation.NEUTRAL]  # not rendered again
    # A kept sidebar not as the code writes it (an older version's) is rendered again.
    [kept] = srcdir.rglob(pages.NAVIGATION)
    saved = json.loads(kept.read_text(encoding="utf-8"))
    saved["navigation"] = [[entry[0], entry[1]] for entry in saved["navigation"]]
    kept.write_text(json.dumps(saved), encoding="utf-8")
    assert build(srcdir) == first
    assert rendered == [navigation.NEUTRAL] * 2

    first_md.write_text(first_md.read_text().replace("# First & foremost", "# Renamed"))
    renamed = build(srcdir)
    assert rendered == [navigation.NEUTRAL] * 3
    fresh = tmp_path / "fresh"
    shutil.copytree(srcdir, fresh, ignore=shutil.ignore_patterns("_build"))
    assert renamed == build(fresh)
    assert all("Renamed" in nav and "foremost" not in nav for nav in renamed.values() if nav)
