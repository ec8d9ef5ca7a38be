"""Cheap rebuilds: an unchanged edition is skipped, any changed input rebuilds it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from sangokushi.build.runner import Build
from support import BY_NAME, DOCS, EDITIONS, ROOT

EPUBS = ("epub", "epub-tate")
EPOCH = "1700000000"


class Project:
    """A copy of the book (docs, pyproject.toml and the package's source) with its builds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs = root / "docs"
        self.src = root / "src"
        self.build = root / "build"
        shutil.copytree(DOCS, self.docs)
        shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
        shutil.copytree(ROOT / "src", self.src, ignore=shutil.ignore_patterns("__pycache__"))

    def run(self, *names: str, builddir: Path | None = None, **environ: str) -> dict[str, str]:
        """Build ``names`` with the copy's own code; what happened to each: built or skipped."""
        env = {**os.environ, "PYTHONPATH": str(self.src), "SOURCE_DATE_EPOCH": EPOCH, **environ}
        command = [sys.executable, "-m", "sangokushi", "build", str(self.docs), *names]
        command += ["--builddir", str(builddir or self.build)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        assert "WARNING" not in result.stderr, result.stderr
        found = re.findall(r"^sangokushi: ([\w-]+): (.*)$", result.stdout, re.MULTILINE)
        # The editions asked for (an EPUB also brings its PDF, whose pages it marks).
        return {
            name: "skipped" if text.endswith("up to date") else "built"
            for name, text in found
            if name in names or not names
        }

    def epub(self, name: str) -> Path:
        return BY_NAME[name].published(self.build)

    def text(self, name: str) -> str:
        with zipfile.ZipFile(self.epub(name)) as book:
            return "".join(
                book.read(n).decode() for n in book.namelist() if n.endswith((".xhtml", ".css"))
            )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    book = Project(tmp_path_factory.mktemp("rebuild"))
    assert book.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    return book


def test_no_change_skips_and_keeps_the_published_files(project: Project) -> None:
    before = {n: project.epub(n).stat().st_mtime_ns for n in EPUBS}
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}
    assert {n: project.epub(n).stat().st_mtime_ns for n in EPUBS} == before


def test_a_chapter_edit_rebuilds_both_epubs_from_one_reading(project: Project) -> None:
    sentence = "（再構築の試験のための一文。）"
    edit(
        project.docs / "wei.md",
        "GPTは誰もが知るLLMとなった。",
        f"GPTは誰もが知るLLMとなった。{sentence}",
    )
    assert project.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        assert sentence in project.text(name), name
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}


@pytest.mark.parametrize("order", [EPUBS, EPUBS[::-1]], ids=["horizontal-first", "vertical-first"])
def test_the_shared_environment_serves_no_stale_page(
    project: Project, tmp_path: Path, order: tuple[str, str]
) -> None:
    # A box's historical name is printed in other documents (the correspondence table):
    # their sources do not change, yet the EPUB built second must show the new name too.
    old, new = (":historical: 魏\n", ":historical: 曹魏\n")
    if order != EPUBS:
        old, new = new, old
    edit(project.docs / "wei.md", old, new)
    for name in order:
        assert project.run(name) == {name: "built"}
    alone = tmp_path / "alone"
    assert project.run(*EPUBS, builddir=alone) == {"epub": "built", "epub-tate": "built"}
    for name in EPUBS:
        assert project.epub(name).read_bytes() == BY_NAME[name].published(alone).read_bytes()


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("docs/conf.py", "\nglobals()", "\n# changed by a test\nglobals()"),
        ("src/sangokushi/analogy/transforms.py", '"""', '"""Changed by a test. '),
        (
            "src/sangokushi/ebook/templates/html/ebook-cover.html",
            "</section>",
            "<!-- rebuild-test-template --></section>",
        ),
        ("docs/_static/book.css", "", "/* rebuild-test-css */\n"),
    ],
    ids=["conf.py", "extension-code", "template", "css"],
)
def test_each_kind_of_input_rebuilds(project: Project, where: str, old: str, new: str) -> None:
    edit(project.root / where, old, new)
    assert project.run(*EPUBS) == {"epub": "built", "epub-tate": "built"}
    if "rebuild-test" in new:
        marker = re.search(r"rebuild-test-\w+", new).group()
        for name in EPUBS:
            assert marker in project.text(name), (name, where)
    assert project.run(*EPUBS) == {"epub": "skipped", "epub-tate": "skipped"}


def test_the_build_time_and_a_touched_output_rebuild(project: Project) -> None:
    later = {"SOURCE_DATE_EPOCH": "1700086400"}
    assert project.run(*EPUBS, **later) == {"epub": "built", "epub-tate": "built"}
    project.epub("epub-tate").write_bytes(b"not an epub")
    assert project.run(*EPUBS, **later) == {"epub": "skipped", "epub-tate": "built"}
    # SPHINXOPTS reaches the build as its options, which are inputs of their own.
    assert project.run(*EPUBS, SPHINXOPTS="", **later) == {
        "epub": "skipped",
        "epub-tate": "skipped",
    }


def test_the_registry_entry_and_options_are_inputs(tmp_path: Path) -> None:
    build = Build(DOCS, tmp_path, [])
    epub = BY_NAME["epub"]
    moved = replace(epub, overrides={"epub_writing_mode": "vertical"})
    assert build.fingerprint(epub) != build.fingerprint(moved)
    assert build.fingerprint(epub) != Build(DOCS, tmp_path, ["-D", "x=1"]).fingerprint(epub)
    assert build.fingerprint(epub) == Build(DOCS, tmp_path, []).fingerprint(epub)


def test_only_editions_that_read_alike_share_an_environment(tmp_path: Path) -> None:
    from sphinx.testing.util import SphinxTestApp

    shutil.copytree(DOCS, tmp_path / "src")
    for edition in EDITIONS:
        if not edition.environment:
            continue
        owner = BY_NAME[edition.environment]
        assert owner.builder == edition.builder and owner.tags == edition.tags
        assert edition.doctrees(Path("b")) == owner.doctrees(Path("b"))
        app = SphinxTestApp(edition.builder, srcdir=tmp_path / "src", builddir=tmp_path / "b")
        try:
            read = {value.name for value in app.config.filter(frozenset({"env"}))}
        finally:
            app.cleanup()
        assert read and not read & {*edition.overrides, *owner.overrides}, edition.name


def test_a_no_change_make_book_skips_every_edition(tmp_path: Path) -> None:
    """Through the Makefile; the two EPUBs drew their cover once, into their shared cache."""
    args = ["make", "-C", str(ROOT), "epub", f"BUILDDIR={tmp_path}"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    first = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    second = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    # Both EPUBs and the two PDFs whose pages they mark.
    assert second.stdout.count("is up to date") == 4, second.stdout
    assert "building" not in second.stdout, second.stdout
    covers = list((tmp_path / "doctrees" / "epub" / "ebook-cover").glob("cover-*.png"))
    assert len(covers) == 1


def test_the_cover_is_drawn_again_only_when_its_inputs_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sangokushi.ebook import cover

    font = cover.find_font("HaranoAjiMincho-Regular.otf")
    drawn: list[cover.CoverSpec] = []
    render = cover.render_cover
    monkeypatch.setattr(cover, "render_cover", lambda s, f: drawn.append(s) or render(s, f))
    spec = cover.CoverSpec(title="三国志", subtitle="第1版", size=(320, 512))
    first = cover.cached_cover(spec, font, tmp_path)
    assert cover.cached_cover(spec, font, tmp_path) == first == render(spec, font)
    assert len(drawn) == 1
    later = replace(spec, subtitle="第2版")
    assert cover.cached_cover(later, font, tmp_path) != first
    assert cover.cached_cover(later, None, tmp_path) != first
    assert len(drawn) == 3
    assert len(list(tmp_path.glob("cover-*.png"))) == 1
