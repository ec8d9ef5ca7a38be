"""The versioned site: `make site` over a history with two releases, read back and in Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromium import launch

from sangokushi import fidelity
from sangokushi.ebook.check import run_epubcheck
from sangokushi.site.serve import make_server
from support import BY_NAME, ROOT, make

TITLE = "Llama 2の登場でLLM三国志が始まった"
# v1.1 and main rewrite one sentence of the Google chapter; main also one of the Meta chapter.
OLD = "過日、Googleに正式に統合されたDeepMind"
NEW = "過日、Googleに正式に統合された新生DeepMind"
# The same edit in the MyST source, where index marks ({idx}) surround the names.
SOURCE_OLD, SOURCE_NEW = "に正式に統合された{idx}`DeepMind", "に正式に統合された新生{idx}`DeepMind"
MAIN_ONLY = "新版では呉の章も改稿した。"
VERSIONS = ("v1.0", "v1.1", "main")
SCREENSHOTS = ROOT / "build" / "screenshots"
EPUB = BY_NAME["epub"].filename
PDF = BY_NAME["pdf"].filename
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def working_tree(dest: Path) -> Path:
    """A new git repository holding this working tree (committed or not) as its first commit."""
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    git(dest, "init", "-q", "-b", "main")
    return dest


def history(dest: Path) -> Path:
    """v1.0 = this working tree; v1.1 rewrites a sentence; main rewrites one more."""
    repo = working_tree(dest)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "第1.0版")
    git(repo, "tag", "-a", "v1.0", "-m", "第1.0版")
    edit(repo / "docs" / "shu.md", SOURCE_OLD, SOURCE_NEW)
    edit(repo / "docs" / "book.toml", 'version = "1.0.0"', 'version = "1.1.0"')
    git(repo, "commit", "-q", "-am", "第1.1版")
    git(repo, "tag", "v1.1")
    with (repo / "docs" / "wu.md").open("a", encoding="utf-8") as f:
        f.write(f"\n{MAIN_ONLY}\n")
    git(repo, "commit", "-q", "-am", "執筆中")
    return repo


@dataclass(frozen=True)
class Site:
    repo: Path
    build: Path
    url: str
    log: str

    @property
    def root(self) -> Path:
        return self.build / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Three editions built by `make site`, served on 127.0.0.1 at the URL they were built for."""
    tmp = tmp_path_factory.mktemp("site")
    repo = history(tmp / "repo")
    server = make_server(tmp / "build" / "site", quiet=True)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    # The print-shop and vertical PDFs are left out here: tests/test_pdf.py checks them, and
    # six more LuaLaTeX builds would double this fixture's time.
    offered = "epub epub-tate pdf"
    result = make(
        "site", SITE_REPO=repo, BUILDDIR=tmp / "build", SITE_URL=url, SITE_DOWNLOADS=offered
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(repo, tmp / "build", url, result.stdout + result.stderr)
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_every_version_built_from_its_commit(site: Site) -> None:
    for name in VERSIONS:
        folder = site.root / name
        assert (folder / "index.html").is_file(), name
        assert (folder / "download" / EPUB).stat().st_size > 10_000, name
        assert (folder / "download" / PDF).stat().st_size > 10_000, name
        stamp = json.loads((folder / ".sangokushi-site.json").read_text(encoding="utf-8"))
        assert stamp["commit"] == git(site.repo, "rev-parse", f"{name}^{{commit}}"), name
        assert stamp["url"] == site.url
        assert f"site: {name} (" in site.log and "building" in site.log


@pytest.mark.slow
def test_switcher_json(site: Site) -> None:
    entries = json.loads((site.root / "switcher.json").read_text(encoding="utf-8"))
    assert entries == [
        {"name": "v1.1（最新版）", "version": "v1.1", "url": f"{site.url}v1.1/", "preferred": True},
        {"name": "v1.0", "version": "v1.0", "url": f"{site.url}v1.0/"},
        {"name": "main（執筆中）", "version": "main", "url": f"{site.url}main/"},
    ]


@pytest.mark.slow
def test_root_files(site: Site) -> None:
    index = (site.root / "index.html").read_text(encoding="utf-8")
    assert 'content="0; url=v1.1/"' in index and TITLE in index
    sitemap = (site.root / "sitemap.xml").read_text(encoding="utf-8")
    for name in VERSIONS:
        assert f"<loc>{site.url}{name}/shu.html</loc>" in sitemap
        assert f"<loc>{site.url}{name}/appendix/colophon.html</loc>" in sitemap
    assert "search.html" not in sitemap and "404.html" not in sitemap
    assert f"Sitemap: {site.url}sitemap.xml" in (site.root / "robots.txt").read_text()
    assert (site.root / "404.html").read_bytes() == (site.root / "v1.1" / "404.html").read_bytes()


def pdf_text(path: Path) -> str:
    return fidelity.normalize(fidelity.pdf_edition_text(path))


def epub_text(path: Path) -> str:
    return fidelity.normalize(fidelity.epub_edition_text(path))


@pytest.mark.slow
def test_each_version_has_its_own_text_and_downloads(site: Site) -> None:
    has_new = {"v1.0": False, "v1.1": True, "main": True}
    # 版 and 刷 from the release version (sangokushi.buildinfo.edition_name), in the 奥付.
    edition = {"v1.0": "第1版第1刷", "v1.1": "第1版第2刷", "main": "第1版第2刷"}
    for name in VERSIONS:
        folder = site.root / name
        html = fidelity.normalize(
            fidelity.html_text((folder / "shu.html").read_text(encoding="utf-8"))
        )
        epub = epub_text(folder / "download" / EPUB)
        pdf = pdf_text(folder / "download" / PDF)
        for text in (html, epub, pdf):
            assert (NEW in text) is has_new[name], name
            assert (OLD in text) is not has_new[name], name
        assert edition[name] in pdf, name
        assert (MAIN_ONLY in epub) is (name == "main"), name
    downloads = [site.root / n / "download" / PDF for n in VERSIONS]
    assert len({p.read_bytes() for p in downloads}) == 3


@pytest.mark.slow
def test_page_metadata_from_the_base_url(site: Site) -> None:
    page = (site.root / "v1.1" / "shu.html").read_text(encoding="utf-8")
    meta = dict(re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)"', page))
    assert f'<link rel="canonical" href="{site.url}v1.1/shu.html" />' in page
    assert meta["og:title"] == "第2章　蜀 — Google"
    assert meta["og:site_name"] == TITLE
    assert meta["og:url"] == f"{site.url}v1.1/shu.html"
    assert "Google" in meta["og:description"] and "三国志" in meta["og:description"]
    nested = (site.root / "v1.0" / "appendix" / "colophon.html").read_text(encoding="utf-8")
    assert f"theme_switcher_json_url = '{site.url}switcher.json'" in nested
    assert "theme_switcher_version_match = 'v1.0'" in nested


@pytest.mark.slow
def test_site_epubs_stay_epubcheck_clean(site: Site) -> None:
    epubs = sorted((site.root / "v1.1" / "download").glob("*.epub"))
    assert epubs
    for epub in epubs:
        with zipfile.ZipFile(epub) as z:
            text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        assert "og:" not in text and "switcher" not in text, epub.name
        result = run_epubcheck(epub)
        assert result.ok, result.messages


# -- In Chromium --------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture
def page(browser, site: Site) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, site: Site, name: str) -> None:
    shots = site.build / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / name))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shots / name, SCREENSHOTS / name)


def open_page(page, url: str) -> None:
    """Load ``url`` and wait until the switcher has read switcher.json."""
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".bd-sidebar-primary .version-switcher__menu a", state="attached")


@pytest.mark.slow
def test_switcher_lists_versions_and_keeps_the_chapter(page, site: Site) -> None:
    open_page(page, f"{site.url}v1.0/wei.html")
    button = page.locator(".bd-sidebar-primary .version-switcher__button")
    assert button.inner_text().strip() == "v1.0"
    button.click()
    menu = page.locator(".bd-sidebar-primary .version-switcher__menu a")
    menu.first.wait_for(state="visible")
    screenshot(page, site, "switcher-open.png")
    assert [t.strip() for t in menu.all_inner_texts()] == [
        "v1.1（最新版）",
        "v1.0",
        "main（執筆中）",
    ]
    menu.filter(has_text="v1.1").click()
    page.wait_for_url(f"{site.url}v1.1/wei.html")
    assert page.locator(".bd-article h1").first.inner_text().startswith("第1章　魏")


@pytest.mark.slow
def test_old_version_banner_points_to_the_newest(page, site: Site) -> None:
    open_page(page, f"{site.url}v1.0/shu.html")
    banner = page.locator("#sangokushi-version-banner")
    banner.wait_for(state="visible")
    assert "旧版（v1.0）" in banner.inner_text()
    screenshot(page, site, "old-version-banner.png")
    banner.locator("a").click()
    page.wait_for_url(f"{site.url}v1.1/shu.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("#sangokushi-version-banner").count() == 0
    open_page(page, f"{site.url}main/shu.html")
    page.locator("#sangokushi-version-banner").wait_for(state="visible")
    assert "執筆中の版（main）" in page.locator("#sangokushi-version-banner").inner_text()


@pytest.mark.slow
def test_search_finds_zhuge_liang(page, site: Site) -> None:
    page.goto(f"{site.url}v1.1/search.html?q=諸葛亮")
    hit = page.locator('#search-results a[href*="shu.html"]')
    hit.first.wait_for(state="visible", timeout=15_000)
    screenshot(page, site, "search.png")


@pytest.mark.slow
def test_analogy_box_is_visible(page, site: Site) -> None:
    box_class = re.compile(r'<div class="[^"]*\banalogy\b')
    pages = [p for p in (site.root / "v1.1").rglob("*.html") if box_class.search(p.read_text())]
    assert pages, "the book's chapters have analogy boxes"
    relative = pages[0].relative_to(site.root).as_posix()
    page.goto(f"{site.url}{relative}")
    box = page.locator("div.analogy").first
    box.wait_for(state="visible")
    assert box.bounding_box()["height"] > 20


def background_luminance(page) -> float:
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.slow
def test_chapter_in_light_and_dark_mode(page, site: Site) -> None:
    open_page(page, f"{site.url}v1.1/shu.html")
    assert page.locator("html").get_attribute("data-theme") == "light"
    assert background_luminance(page) > 0.8
    screenshot(page, site, "chapter-light.png")
    page.emulate_media(color_scheme="dark")
    open_page(page, f"{site.url}v1.1/shu.html")
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert background_luminance(page) < 0.3
    screenshot(page, site, "chapter-dark.png")


@pytest.mark.slow
def test_download_links_serve_this_versions_files(page, site: Site) -> None:
    for name in ("v1.0", "main"):
        open_page(page, f"{site.url}{name}/appendix/colophon.html")
        links = page.locator(".sangokushi-downloads a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        files = {p.name for p in (site.root / name / "download").iterdir()}
        assert {Path(h).name for h in hrefs} == files
        assert hrefs[0] == f"../download/{EPUB}"
        assert hrefs[-1] == f"../download/{PDF}"
        assert "EPUB（横書き）" in links.first.inner_text()
        for href in hrefs:
            response = page.request.get(f"{site.url}{name}/appendix/{href}")
            assert response.status == 200
            assert response.body() == (site.root / name / "download" / Path(href).name).read_bytes()


@pytest.mark.slow
def test_404_page_styled_at_any_depth(page, site: Site) -> None:
    for missing in ("v1.1/no-such-chapter.html", "no/such/folder/page.html"):
        response = page.goto(f"{site.url}{missing}", wait_until="networkidle")
        assert response.status == 404
        assert page.locator(".bd-article h1").first.inner_text() == "ページが見つかりません"
        # The theme's stylesheet loaded: the sidebar is laid out next to the text.
        assert page.locator(".bd-sidebar-primary").bounding_box()["width"] > 150
        links = page.locator(".sangokushi-downloads a")
        hrefs = links.evaluate_all("links => links.map(a => a.href)")
        assert hrefs
        for href in hrefs:
            assert page.request.get(href).status == 200, href
    screenshot(page, site, "404.png")


@pytest.mark.slow
def test_root_leads_to_the_newest_release(page, site: Site) -> None:
    page.goto(site.url)
    page.wait_for_url(f"{site.url}v1.1/")
    assert TITLE in page.title()


# -- Rebuilds and bad input ---------------------------------------------------


def mtimes(root: Path, names: tuple[str, ...]) -> dict[str, int]:
    return {n: (root / n / "index.html").stat().st_mtime_ns for n in names}


@pytest.mark.slow
def test_rebuild_skips_unchanged_versions_and_main_alone_works(site: Site, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(site.repo), str(repo))
    build = tmp_path / "build"
    shutil.copytree(site.root, build / "site")
    before = mtimes(build / "site", VERSIONS)

    def run() -> str:
        result = make("site", SITE_REPO=repo, BUILDDIR=build, SITE_URL=site.url)
        return result.stdout

    log = run()
    for name in VERSIONS:
        assert re.search(rf"site: {re.escape(name)} \(\w+\) up to date", log), log
    assert "building" not in log
    assert mtimes(build / "site", VERSIONS) == before

    edit(repo / "docs" / "wei.md", "OpenAI", "OpenAI社")
    git(repo, "commit", "-q", "-am", "改稿")
    log = run()
    assert "site: main (" in log and "building" in log
    assert re.search(r"site: v1\.0 \(\w+\) up to date", log), log
    assert re.search(r"site: v1\.1 \(\w+\) up to date", log), log
    after = mtimes(build / "site", VERSIONS)
    assert after["v1.0"] == before["v1.0"] and after["v1.1"] == before["v1.1"]
    assert after["main"] != before["main"]
    assert "OpenAI社" in (build / "site" / "main" / "wei.html").read_text(encoding="utf-8")

    # A release that fails to build is reported (no traceback) and left out; the rest stays.
    git(repo, "checkout", "-q", "-b", "broken")
    with (repo / "docs" / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n{ref}`no-such-label`\n")
    git(repo, "commit", "-q", "-am", "壊れた版")
    git(repo, "tag", "v0.9")
    git(repo, "checkout", "-q", "main")
    result = make("site", check=False, SITE_REPO=repo, BUILDDIR=build, SITE_URL=site.url)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "site: v0.9 failed (full log: " in output and "no-such-label" in output, output
    # The warning that failed it, with file and line, not just the log's last lines.
    assert re.search(r"wu\.md:\d+: WARNING: .*no-such-label", output), output
    assert "Traceback" not in output
    assert not (build / "site" / "v0.9").exists()
    entries = json.loads((build / "site" / "switcher.json").read_text(encoding="utf-8"))
    assert [e["version"] for e in entries] == ["v1.1", "v1.0", "main"]
    assert mtimes(build / "site", VERSIONS) == after

    git(repo, "tag", "-d", "v0.9", "v1.0", "v1.1")
    log = run()
    assert "removing v1.0" in log and "removing v1.1" in log
    assert sorted(p.name for p in (build / "site").iterdir() if p.is_dir()) == ["main"]
    entries = json.loads((build / "site" / "switcher.json").read_text(encoding="utf-8"))
    assert entries == [
        {"name": "main（執筆中）", "version": "main", "url": f"{site.url}main/", "preferred": True}
    ]
    assert 'content="0; url=main/"' in (build / "site" / "index.html").read_text()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SITE_URL": "ftp://example.com/"}, "SITE_URL must be an http(s) URL"),
        ({"SITE_URL": "localhost:8000"}, "SITE_URL must be an http(s) URL"),
        ({"SITE_REPO": "{tmp}"}, "not a git repository"),
        ({"SITE_REPO": "{empty}"}, "nothing to build"),
    ],
)
def test_bad_input_is_reported_clearly(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "trunk")
    (empty / "x").write_text("x")
    git(empty, "add", "x")
    git(empty, "commit", "-q", "-m", "x")
    (tmp_path / "plain").mkdir()
    values = {k: v.format(tmp=tmp_path / "plain", empty=empty) for k, v in variables.items()}
    result = make("site", check=False, BUILDDIR=tmp_path / "build", **values)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output, output
    assert "Traceback" not in output


def test_serve_without_a_site_says_so(tmp_path: Path) -> None:
    result = make("serve", check=False, SITE_DIR=tmp_path / "nothing")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "run `make site` first" in output and "Traceback" not in output
