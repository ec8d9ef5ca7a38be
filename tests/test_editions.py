"""The editions registry: who reads it, its quick checks, publishing that keeps the old file."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from sangokushi.build import cli, registry
from sangokushi.build.errors import BuildError
from sangokushi.build.publish import QUICK_CHECKS, check_epub, check_html, check_pdf, publish
from sangokushi.build.registry import Edition
from support import BY_NAME, DOCS, EDITIONS, FACTS, ROOT, make


def test_a_book_names_its_own_files() -> None:
    assert [e.name for e in EDITIONS] == list(FACTS.editions)
    outputs = [e.output for e in EDITIONS]
    assert len(set(outputs)) == len(outputs)
    assert all(FACTS.name in o for o in outputs if o != "html"), outputs
    other = registry.for_book(dataclasses.replace(FACTS, name="other-book", editions=("pdf",)))
    assert [(e.name, e.output, e.tex) for e in other] == [
        ("pdf", "pdf/other-book.pdf", "other-book.tex")
    ]
    tate = registry.for_book(dataclasses.replace(FACTS, name="x"))[2]
    assert tate.overrides["epub_basename"] == "x-tate"
    for edition in EDITIONS:
        assert edition.form in QUICK_CHECKS, edition.name
    offered = ["epub", "epub-tate", "pdf", "pdf-print", "pdf-tate"]
    assert [e.name for e in registry.downloads(EDITIONS)] == offered


def test_an_unknown_check_is_an_error_when_declared() -> None:
    with pytest.raises(ValueError, match=r"unknown check.*pdfa"):
        Edition("x", "latex", output="x.pdf", form="pdf", group="x", checks=("pdfa",))
    with pytest.raises(ValueError, match=r"unknown check.*dvi"):
        Edition("x", "latex", output="x.pdf", form="pdf", group="x", post="dvi")


def test_make_targets_are_the_registry_groups() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for group in registry.GROUPS:
        assert f"\n{group}: " in makefile, group
        assert f'build "$$SOURCEDIR" --group {group}\n' in makefile, group
    dry = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "epub", "-o", ".venv/.installed", "-o", "sysdeps"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '.venv/bin/sangokushi build "$SOURCEDIR" --group epub' in dry
    assert "sphinx-build" not in dry


def test_make_help_lists_every_target_and_variable() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = {t for line in re.findall(r"^\.PHONY:(.*)$", makefile, re.M) for t in line.split()}
    variables = set(re.findall(r"^([A-Z_]+)\s*\?=", makefile, re.M))
    shown = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, check=True
    ).stdout
    assert targets and variables
    assert [t for t in sorted(targets) if not re.search(rf"\b{re.escape(t)}\b", shown)] == []
    assert [v for v in sorted(variables) if f"{v}=" not in shown] == []


def test_selection_by_name_and_group() -> None:
    assert [e.name for e in registry.select(EDITIONS, [], ["epub"])] == ["epub", "epub-tate"]
    assert [e.name for e in registry.select(EDITIONS, ["epub"])] == ["epub"]
    assert [e.name for e in registry.select(EDITIONS, ["pdf", "html"])] == ["html", "pdf"]
    assert registry.select(EDITIONS, []) == list(EDITIONS)
    with pytest.raises(BuildError, match="no such edition or group in this book: mobi"):
        registry.select(EDITIONS, ["mobi"])
    only_pdf = registry.for_book(dataclasses.replace(FACTS, editions=("pdf",)))
    with pytest.raises(BuildError, match="no such edition or group in this book: html"):
        registry.select(only_pdf, ["html"])


def test_list_is_the_books_editions_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list", str(DOCS)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in listed] == [e.name for e in EDITIONS]
    assert {e["name"]: e["label"] for e in listed}["pdf"] == "PDF（A5判）"


def test_readthedocs_jobs_use_the_registry() -> None:
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    jobs = config["build"]["jobs"]["build"]
    offered = {e.readthedocs for e in EDITIONS} - {""}
    assert set(jobs) == offered == set(config["formats"])
    for form in offered:
        assert jobs[form] == [f"python -m sangokushi readthedocs {form} docs"]


def test_sphinx_arguments_put_user_options_last(tmp_path: Path) -> None:
    args = BY_NAME["epub-tate"].sphinx_args(Path("docs"), tmp_path, ["-E", "-j", "2"])
    assert args[:6] == ["-b", "epub", "-W", "--keep-going", "-n", "-d"]
    assert "epub_writing_mode=vertical" in args
    assert args[-5:] == ["-E", "-j", "2", "docs", str(tmp_path / "work" / "epub-tate")]


# -- quick checks ------------------------------------------------------------------------


def minimal_pdf(catalog: bytes = b"/Type /Catalog") -> bytes:
    body = b"%PDF-1.5\n1 0 obj\n<< " + catalog + b" >>\nendobj\n"
    xref = len(body)
    return body + b"xref\n0 2\ntrailer\n<< /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


def test_check_pdf_finds_a_truncated_file(tmp_path: Path) -> None:
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(minimal_pdf())
    assert check_pdf(pdf) is None
    pdf.write_bytes(minimal_pdf()[:-30])
    assert "truncated" in check_pdf(pdf)
    pdf.write_bytes(b"")
    assert check_pdf(pdf) == "no %PDF- header"


def write_epub(path: Path, first: str = "mimetype") -> None:
    with zipfile.ZipFile(path, "w") as z:
        names = [first, *({"mimetype", "META-INF/container.xml"} - {first})]
        for name in names:
            z.writestr(name, b"application/epub+zip" if name == "mimetype" else b"<container/>")


def test_check_epub_finds_broken_zips(tmp_path: Path) -> None:
    epub = tmp_path / "book.epub"
    write_epub(epub)
    assert check_epub(epub) is None
    write_epub(epub, first="META-INF/container.xml")
    assert check_epub(epub) == "mimetype is not the first entry"
    data = epub.read_bytes()
    epub.write_bytes(data[: len(data) // 2])
    assert "not a zip file" in check_epub(epub)


def test_check_html_wants_every_page_whole(tmp_path: Path) -> None:
    (tmp_path / "_static").mkdir()
    (tmp_path / "searchindex.js").write_text("Search.setIndex({})")
    (tmp_path / "index.html").write_text("<html></html>\n")
    assert check_html(tmp_path, ["index"]) is None
    assert check_html(tmp_path, ["index", "wei"]) == "wei.html is missing"
    (tmp_path / "wei.html").write_text("<html><body>途中")
    assert check_html(tmp_path, ["index", "wei"]) == "wei.html is incomplete"


# -- publishing --------------------------------------------------------------------------


def test_publish_replaces_a_file_only_with_a_whole_one(tmp_path: Path) -> None:
    target = tmp_path / "pdf" / "book.pdf"
    target.parent.mkdir()
    target.write_bytes(minimal_pdf())
    good = target.read_bytes()
    broken = tmp_path / "built.pdf"
    broken.write_bytes(minimal_pdf()[:-30])
    with pytest.raises(BuildError, match="not a whole pdf"):
        publish(broken, target, tmp_path / ".staging", [], "pdf")
    assert target.read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.pdf"]
    newer = tmp_path / "newer.pdf"
    newer.write_bytes(minimal_pdf(b"/Type /Catalog /Lang (ja)"))
    publish(newer, target, tmp_path / ".staging", [], "pdf")
    assert target.read_bytes() == newer.read_bytes()


def test_publish_swaps_a_folder_whole(tmp_path: Path) -> None:
    def tree(folder: Path, text: str) -> Path:
        (folder / "_static").mkdir(parents=True)
        (folder / "searchindex.js").write_text("x")
        (folder / "index.html").write_text(f"<html>{text}</html>")
        return folder

    target = tree(tmp_path / "html", "old")
    (target / "gone.html").write_text("<html>removed chapter</html>")
    publish(tree(tmp_path / "work", "new"), target, tmp_path / ".staging", ["index"], "html")
    assert (target / "index.html").read_text() == "<html>new</html>"
    assert not (target / "gone.html").exists()
    assert not any((tmp_path / ".staging").iterdir())


def test_clean_removes_only_what_builds_wrote(tmp_path: Path) -> None:
    for name in ("html", "epub", "pdf", "work", "doctrees"):
        (tmp_path / name).mkdir()
    (tmp_path / "mine.txt").write_text("keep")
    make("clean", BUILDDIR=tmp_path)
    # The lock stays: a build waiting on it must not end up holding a deleted file.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "mine.txt"]


def test_check_asks_for_a_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(DOCS), "--builddir", str(tmp_path), "pdf"]) == 1
    assert f"pdf: {BY_NAME['pdf'].published(tmp_path)} is missing" in capsys.readouterr().err


@pytest.mark.slow
def test_the_pdf_is_the_same_bytes_in_any_builddir(book: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "another build dir"
    make("pdf", BUILDDIR=elsewhere)
    pdf = BY_NAME["pdf"]
    assert pdf.published(elsewhere).read_bytes() == pdf.published(book).read_bytes()


def test_make_test_hands_no_build_paths_to_the_tests(tmp_path: Path) -> None:
    """The tests run their own builds: `make test` must not export its BUILDDIR or SITE_DIR."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import os\n\ndef test_env():\n"
        "    names = {'BUILDDIR', 'SOURCEDIR', 'SPHINXOPTS', 'SITE_DIR', 'SITE_URL'}\n"
        "    leaked = names & set(os.environ)\n"
        "    assert not leaked, leaked\n"
    )
    skip_setup = ["-o", ".venv/.installed", "-o", "sysdeps"]
    args = f"-q -p no:cacheprovider --rootdir={tmp_path} {probe}"
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), *skip_setup, "test", f"PYTEST_ARGS={args}"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("BUILDDIR", "SITE_DIR")},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_epubs_mark_the_pages_of_their_pdf_only_when_the_book_builds_it(tmp_path: Path) -> None:
    assert (BY_NAME["epub"].pages, BY_NAME["epub-tate"].pages) == ("pdf", "pdf-tate")
    args = BY_NAME["epub"].sphinx_args(Path("docs"), tmp_path, [])
    assert f"ebook_page_map={tmp_path / 'work' / 'pdf.pages.json'}" in args
    chosen = registry.select(EDITIONS, [], ["epub"])
    assert [e.name for e in registry.with_sources(EDITIONS, chosen)] == [
        "epub",
        "epub-tate",
        "pdf",
        "pdf-tate",
    ]
    no_pdf = registry.for_book(dataclasses.replace(FACTS, editions=("epub", "epub-tate")))
    assert [e.pages for e in no_pdf] == ["", ""]
    assert not any("ebook_page_map" in a for a in no_pdf[0].sphinx_args(Path("d"), tmp_path, []))
