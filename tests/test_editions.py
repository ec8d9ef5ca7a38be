"""The editions registry: who reads it, its quick checks, publishing that keeps the old file."""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import re
import shlex
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from sphinx.errors import SphinxWarning

from sangokushi.build import cli, registry
from sangokushi.build.errors import BuildError
from sangokushi.build.publish import QUICK_CHECKS, check_epub, check_html, check_pdf, publish
from sangokushi.build.registry import Edition
from sangokushi.build.runner import Build, run_sphinx
from support import BY_NAME, DOCS, EDITIONS, FACTS, ROOT, make


def test_a_book_names_its_own_files() -> None:
    # The book's editions, and a print cover with each print PDF.
    assert [e.name for e in EDITIONS if not e.spine] == list(FACTS.editions)
    assert [(e.name, e.spine) for e in EDITIONS if e.spine] == [
        ("cover", "pdf-print"),
        ("cover-tate", "pdf-tate-print"),
    ]
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
    offered = ["epub", "epub-tate", "pdf", "pdf-print", "pdf-tate", "pdf-tate-print"]
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


def minimal_pdf(path: Path, pages: int = 1) -> bytes:
    """A small whole PDF (pikepdf's), written to ``path``; its bytes."""
    import pikepdf

    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page()
        pdf.save(path)
    return path.read_bytes()


def test_check_pdf_parses_the_file(tmp_path: Path) -> None:
    pdf = tmp_path / "book.pdf"
    whole = minimal_pdf(pdf)
    assert check_pdf(pdf) is None
    pdf.write_bytes(whole[:-30])
    assert check_pdf(pdf) == "not a whole PDF: can't find startxref"
    pdf.write_bytes(b"not a pdf at all")
    assert check_pdf(pdf) == "not a whole PDF: can't find startxref"
    # A damaged object in the middle: the cross-reference is intact, the page tree is not.
    at = whole.index(b"/Type /Pages")
    pdf.write_bytes(whole[:at] + b">>>>" + whole[at + 4 :])
    assert check_pdf(pdf) == "(object 2 0, offset 102): expected endobj"
    minimal_pdf(pdf, pages=0)
    assert check_pdf(pdf) == "no pages"


def write_epub(path: Path, first: str = "mimetype", page: bytes = b"<html><p>a</p></html>") -> None:
    with zipfile.ZipFile(path, "w") as z:
        names = [first, *({"mimetype", "META-INF/container.xml"} - {first})]
        for name in names:
            z.writestr(name, b"application/epub+zip" if name == "mimetype" else b"<container/>")
        z.writestr("OEBPS/wei.xhtml", page)


def test_check_epub_finds_broken_zips_and_ill_formed_pages(tmp_path: Path) -> None:
    epub = tmp_path / "book.epub"
    write_epub(epub)
    assert check_epub(epub) is None
    write_epub(epub, first="META-INF/container.xml")
    assert check_epub(epub) == "mimetype is not the first entry"
    data = epub.read_bytes()
    epub.write_bytes(data[: len(data) // 2])
    assert "not a zip file" in check_epub(epub)
    # A raw <br> of a MyST paragraph: HTML, but not XML.
    write_epub(epub, page=b"<html><p>a<br>b</p></html>")
    assert check_epub(epub) == (
        "OEBPS/wei.xhtml is not well-formed XML (mismatched tag: line 1, column 17)"
    )


def html_tree(folder: Path, text: str = "") -> Path:
    (folder / "_static").mkdir(parents=True)
    (folder / "searchindex.js").write_text('Search.setIndex({"docnames": []})')
    (folder / "index.html").write_text(f"<html>{text}</html>\n")
    return folder


def test_check_html_wants_every_page_whole(tmp_path: Path) -> None:
    html_tree(tmp_path)
    assert check_html(tmp_path, ["index"]) is None
    assert check_html(tmp_path, ["index", "wei"]) == "wei.html is missing"
    (tmp_path / "wei.html").write_text("<html><body>途中")
    assert check_html(tmp_path, ["index", "wei"]) == "wei.html is incomplete"
    # Pages that are no document's (genindex, search) are whole too.
    (tmp_path / "wei.html").write_text("<html></html>")
    (tmp_path / "genindex.html").write_text("<html><body>途中")
    assert check_html(tmp_path, ["index", "wei"]) == "genindex.html is incomplete"
    (tmp_path / "genindex.html").unlink()
    (tmp_path / "searchindex.js").write_text('Search.setIndex({"docnames": ["ind')
    assert check_html(tmp_path, ["index"]) == "searchindex.js is incomplete"


# -- publishing --------------------------------------------------------------------------


def test_publish_replaces_a_file_only_with_a_whole_one(tmp_path: Path) -> None:
    target = tmp_path / "pdf" / "book.pdf"
    target.parent.mkdir()
    good = minimal_pdf(target)
    broken = tmp_path / "built.pdf"
    broken.write_bytes(good[:-30])
    with pytest.raises(BuildError, match="not a whole pdf"):
        publish(broken, target, tmp_path / ".staging", [], "pdf")
    assert target.read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.pdf"]
    newer = tmp_path / "newer.pdf"
    minimal_pdf(newer, pages=2)
    publish(newer, target, tmp_path / ".staging", [], "pdf")
    assert target.read_bytes() == newer.read_bytes()


def test_publish_swaps_a_folder_whole(tmp_path: Path) -> None:
    target = html_tree(tmp_path / "html", "old")
    (target / "gone.html").write_text("<html>removed chapter</html>")
    publish(html_tree(tmp_path / "work", "new"), target, tmp_path / ".staging", ["index"], "html")
    assert (target / "index.html").read_text() == "<html>new</html>\n"
    assert not (target / "gone.html").exists()
    assert not any((tmp_path / ".staging").iterdir())
    # The runner removes the previous folder when the build ends, not before the swap returns.
    handed: list[Path] = []
    publish(
        html_tree(tmp_path / "w2", "newer"),
        target,
        tmp_path / ".s2",
        ["index"],
        "html",
        discard=handed.append,
    )
    assert (target / "index.html").read_text() == "<html>newer</html>\n"
    assert [(p / "index.html").read_text() for p in handed] == ["<html>new</html>\n"]


def test_publish_links_the_files_the_previous_folder_holds_unchanged(tmp_path: Path) -> None:
    """A file of the new folder with the bytes the published one has is linked to it, not
    copied (even written again since); a changed one is copied, even of the same size and
    time (a file system that keeps whole seconds)."""
    work, target = html_tree(tmp_path / "work", "one"), tmp_path / "html"
    (work / "wu.html").write_text("<html>wu</html>\n")
    publish(work, target, tmp_path / ".staging", ["index"], "html")
    (work / "wu.html").write_text("<html>wu</html>\n")
    then = (work / "index.html").stat()
    (work / "index.html").write_text("<html>two</html>\n")
    os.utime(work / "index.html", ns=(then.st_atime_ns, then.st_mtime_ns))
    handed: list[Path] = []
    publish(work, target, tmp_path / ".staging", ["index"], "html", discard=handed.append)
    (previous,) = handed
    assert (target / "wu.html").samefile(previous / "wu.html")
    assert not (target / "index.html").samefile(previous / "index.html")
    assert (target / "index.html").read_text() == "<html>two</html>\n"
    assert not (target / "index.html").samefile(work / "index.html")  # never the work file's


def test_publish_keeps_a_linked_output_a_link(tmp_path: Path) -> None:
    deployed = html_tree(tmp_path / "www" / "book", "old")
    target = tmp_path / "build" / "html"
    target.parent.mkdir()
    target.symlink_to(deployed, target_is_directory=True)
    staging = tmp_path / "build" / ".staging"
    publish(html_tree(tmp_path / "work", "new"), target, staging, ["index"], "html")
    assert target.is_symlink() and target.resolve() == deployed
    assert (deployed / "index.html").read_text() == "<html>new</html>\n"
    assert sorted(p.name for p in deployed.parent.iterdir()) == ["book"]
    # A file edition behind a link too.
    pdf = tmp_path / "www" / "book.pdf"
    minimal_pdf(pdf)
    link = tmp_path / "build" / "book.pdf"
    link.symlink_to(pdf)
    newer = minimal_pdf(tmp_path / "newer.pdf", pages=2)
    publish(tmp_path / "newer.pdf", link, staging, [], "pdf")
    assert link.is_symlink() and pdf.read_bytes() == newer


def test_the_site_is_swapped_never_moved_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sangokushi.site import build as site_build

    target = html_tree(tmp_path / "site" / "main", "old")
    moved: list[Path] = []
    rename = Path.rename
    monkeypatch.setattr(Path, "rename", lambda self, to: moved.append(self) or rename(self, to))
    site_build.publish(html_tree(tmp_path / "work", "new"), target, {"version": "main"})
    assert target not in moved, "the site was renamed away: a moment with no site"
    assert (target / "index.html").read_text() == "<html>new</html>\n"
    assert json.loads((target / site_build.STAMP).read_text()) == {"version": "main"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["main"]


def test_clean_removes_only_what_builds_wrote(tmp_path: Path) -> None:
    for name in ("html", "epub", "pdf", "work", "doctrees"):
        (tmp_path / name).mkdir()
    (tmp_path / "mine.txt").write_text("keep")
    make("clean", BUILDDIR=tmp_path)
    # The lock stays: a build waiting on it must not end up holding a deleted file.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "mine.txt"]


def test_clean_empties_the_sites_logs_under_their_lock_even_before_a_lock_file(
    tmp_path: Path,
) -> None:
    """A `make site` starting makes its logs' folder, then its lock file: a clean between the
    two must not remove the folder (the site would lock a deleted file, and the next site a
    new one: two at once; test_faults saw it once in 30 runs)."""
    logs = tmp_path / "site-logs"
    logs.mkdir()
    (logs / "old.log").write_text("x")
    assert cli.main(["clean", str(DOCS), "--builddir", str(tmp_path)]) == 0
    assert sorted(p.name for p in logs.iterdir()) == [".lock"]


def test_clean_removes_the_sites_output_under_the_sites_lock(tmp_path: Path) -> None:
    """The site's output is the site's too: a clean takes `make site`'s lock to remove it, even
    before any site made its logs' folder (a site starting there would build into it)."""
    (tmp_path / "site" / "main").mkdir(parents=True)
    assert cli.main(["clean", str(DOCS), "--builddir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "site-logs"]
    assert sorted(p.name for p in (tmp_path / "site-logs").iterdir()) == [".lock"]


def test_check_asks_for_a_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(DOCS), "--builddir", str(tmp_path), "pdf"]) == 1
    assert f"pdf: {BY_NAME['pdf'].published(tmp_path)} is missing" in capsys.readouterr().err


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


# -- Sphinx's own options ----------------------------------------------------------------


def test_sphinx_runs_with_every_sphinx_build_option(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('project = "試し"\nextensions = ["myst_parser"]\n')
    (src / "index.md").write_text("# 試し\n\n{doc}`no-such-page`\n", encoding="utf-8")
    warnings = tmp_path / "logs" / "warnings.txt"
    out = tmp_path / "out"
    # No -d (doctrees in the output's .doctrees), warnings also to a file, 2 jobs, no colour.
    run = run_sphinx(["-b", "html", "-q", "-N", "-j", "2", "-w", str(warnings), str(src), str(out)])
    assert run.status == 0 and run.docnames == ["index"]
    assert (out / ".doctrees" / "environment.pickle").is_file()
    logged = warnings.read_text(encoding="utf-8")
    assert f"{src / 'index.md'}:3: WARNING: unknown document: 'no-such-page'" in logged, logged
    assert "\x1b[" not in logged
    with pytest.raises(BuildError, match=r"SPHINXOPTS: .*unrecognized arguments: --no-such"):
        run_sphinx(["-b", "html", "--no-such", str(src), str(out)])
    with pytest.raises(SphinxWarning):
        run_sphinx(["-b", "html", "-q", "--exception-on-warning", str(src), str(out / "x")])


def test_sphinx_makes_its_debug_messages_with_vv_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('project = "試し"\n')
    (src / "index.rst").write_text("試し\n====\n", encoding="utf-8")
    made: list[int] = []
    factory = logging.getLogRecordFactory()

    def counted(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        made.append(record.levelno)
        return record

    logging.setLogRecordFactory(counted)
    try:
        run_sphinx(["-b", "html", "-q", str(src), str(tmp_path / "quiet")])
        assert made and logging.DEBUG not in made  # its INFO messages are still made
        assert logging.root.manager.disable == logging.NOTSET  # as it was
        made.clear()
        run_sphinx(["-b", "html", "-vv", str(src), str(tmp_path / "debug")])
        assert logging.DEBUG in made
    finally:
        logging.setLogRecordFactory(factory)
    assert "[app] setting up extension: 'sphinx.builders.html'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "forced"),
    [
        ("-E", True),
        ("-a", True),
        ("-aE", True),
        ("-Ea", True),
        ("--fresh-env", True),
        ("--write-all", True),
        ("-q -j 2 -Ea", True),
        ("-q", False),
        ("-j 2 -n -D x=1", False),
        ("-w warnings.txt", False),
    ],
)
def test_every_spelling_of_a_forced_rebuild_forces_one(
    tmp_path: Path, options: str, forced: bool
) -> None:
    assert Build(DOCS, tmp_path, shlex.split(options)).forced is forced


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


def test_the_command_collects_garbage_for_a_large_book(capsys: pytest.CaptureFixture[str]) -> None:
    """`sangokushi` sets CPython's collection thresholds for environments of millions of
    objects (a ×100 edit spent 21 of 63 s in full collections with the defaults)."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        assert cli.main(["list", str(DOCS)]) == 0
        assert gc.get_threshold() == cli.GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
    assert cli.GC_THRESHOLDS[0] >= 10_000
