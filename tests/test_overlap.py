"""The PDFs share one Sphinx environment; their LaTeX runs beside the next edition's Sphinx."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_faults import descendants, leftovers, start, wait_until
from test_rebuild import EPOCH, Project, edit

from sangokushi import fidelity
from sangokushi.book import LATEX_ENGINE
from sangokushi.build.publish import check_pdf
from sangokushi.build.runner import run_sphinx
from sangokushi.build.stamps import RUNNING
from support import BOOK, BY_NAME, DOCS, ROOT, strip_colors

PDFS = ("pdf", "pdf-print", "pdf-tate")
SENTENCE = "（共有環境の試験の一文。）"
ANCHOR = "GPTは誰もが知るLLMとなった。"


def latex(
    docs: Path, build: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> tuple[str, bool]:
    """Write ``name``'s LaTeX with Sphinx; return it and whether Sphinx read any source."""
    status = run_sphinx(BY_NAME[name].sphinx_args(docs, build, [])).status
    out, err = (strip_colors(text) for text in capsys.readouterr())
    assert status == 0 and "WARNING" not in err, err
    tex = (BY_NAME[name].workdir(build) / f"{BOOK}.tex").read_text(encoding="utf-8")
    added, changed = re.search(r"updating environment: .*?(\d+) added, (\d+) changed", out).groups()
    return tex, (added, changed) != ("0", "0")


def documentclass(tex: str) -> list[str]:
    line = next(line for line in tex.splitlines() if line.startswith(r"\documentclass["))
    return line[line.index("[") + 1 : line.index("]")].split(",")


def assert_variant(name: str, tex: str) -> None:
    tate, crop = name == "pdf-tate", name == "pdf-print"
    assert ("tate" in documentclass(tex)) == tate, name
    assert (r"\tatechuyoko*{" in tex) == tate, name
    assert ("jlreq-trimmarks" in tex) == crop, name


def test_the_pdfs_read_the_sources_once_and_each_writes_its_own_latex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs, build = tmp_path / "docs", tmp_path / "build"
    shutil.copytree(DOCS, docs)
    first, read = latex(docs, build, "pdf", capsys)
    assert read
    assert_variant("pdf", first)
    tate, read = latex(docs, build, "pdf-tate", capsys)
    assert not read, "pdf-tate read the sources again"
    assert_variant("pdf-tate", tate)
    again, read = latex(docs, build, "pdf", capsys)
    assert not read and again == first, "the vertical build changed the reading PDF's LaTeX"
    crop, read = latex(docs, build, "pdf-print", capsys)
    assert not read
    assert_variant("pdf-print", crop)
    assert sorted(p.name for p in (build / "doctrees").iterdir()) == ["pdf"]
    # The same LaTeX as each one read alone, from an environment of its own.
    for name, shared in (("pdf-tate", tate), ("pdf-print", crop)):
        alone, read = latex(docs, tmp_path / name, name, capsys)
        assert read and alone == shared, name

    # The edition built first after an edit reads it; the others write it from the same state.
    edit(docs / "wei.md", ANCHOR, ANCHOR + SENTENCE)
    for number, name in enumerate(("pdf-tate", "pdf", "pdf-print")):
        tex, read = latex(docs, build, name, capsys)
        assert read == (number == 0), name
        assert SENTENCE in tex, name
        assert_variant(name, tex)


@pytest.mark.slow
def test_a_pdf_built_alone_leaves_no_sibling_stale(tmp_path: Path) -> None:
    pair = ("pdf", "pdf-tate")  # the environment's owner and one that shares it
    project = Project(tmp_path)
    assert project.run(*pair) == dict.fromkeys(pair, "built")
    edit(project.docs / "wei.md", ANCHOR, ANCHOR + SENTENCE)
    # pdf-tate reads the edit into the shared environment: pdf still rebuilds.
    assert project.run("pdf-tate") == {"pdf-tate": "built"}
    assert project.run(*pair) == {"pdf": "built", "pdf-tate": "skipped"}
    text = fidelity.normalize(fidelity.pdf_edition_text(BY_NAME["pdf"].published(project.build)))
    assert fidelity.normalize(SENTENCE) in text
    tex = BY_NAME["pdf-tate"].workdir(project.build) / f"{BOOK}.tex"
    assert SENTENCE in tex.read_text(encoding="utf-8")
    assert project.run(*pair) == dict.fromkeys(pair, "skipped")

    # LaTeX failing in the background: one line per failed PDF, the previous PDFs kept,
    # and the edition whose Sphinx ran meanwhile is built all the same.
    before = {n: BY_NAME[n].published(project.build).read_bytes() for n in pair}
    with (project.docs / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n```{raw} latex\n\\sangokushiNoSuchCommand\n```\n")
    env = {**os.environ, "PYTHONPATH": str(project.src), "SOURCE_DATE_EPOCH": EPOCH}
    command = [sys.executable, "-m", "sangokushi", "build", str(project.docs), *pair, "html"]
    command += ["--builddir", str(project.build)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sangokushi: ")]
    assert sorted(line.split(":")[1].strip() for line in errors) == sorted(pair), errors
    assert result.stderr.count("is kept") == 2, result.stderr
    assert "sangokushi: html: " in result.stdout, result.stdout
    for name in pair:
        assert BY_NAME[name].published(project.build).read_bytes() == before[name], name


def working_in(build: Path) -> list[str]:
    """Processes anywhere on the machine whose current folder is inside ``build``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            name = (entry / "comm").read_text().strip()
            cwd = Path(os.readlink(entry / "cwd"))
        except (OSError, ValueError):
            continue
        if cwd.is_relative_to(build):
            found.append(f"{entry.name} {name}")
    return found


@pytest.mark.slow
# Interrupted at the moment LaTeX runs beside Sphinx: `make test` runs it alone, after the rest,
# where a loaded machine cannot move that moment.
@pytest.mark.serial
def test_latex_runs_beside_sphinx_and_an_interrupt_ends_it(tmp_path: Path) -> None:
    docs, build = tmp_path / "docs", tmp_path / "build"
    shutil.copytree(DOCS, docs)
    process = start("book", SOURCEDIR=docs, BUILDDIR=build)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()

    def overlapping() -> bool:
        sphinx_html = any(line.startswith("sangokushi: html: building") for line in lines)
        return sphinx_html and LATEX_ENGINE in descendants(process.pid).values()

    wait_until(overlapping, 180, "the HTML's Sphinx run while a PDF's TeX runs")
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    reader.join(timeout=10)
    output = "".join(lines)
    assert process.returncode != 0, output
    assert "Traceback" not in output and "interrupted (SIGINT)" in output, output
    assert working_in(build) == [], "a LaTeX process outlived the interrupted build"
    for name in PDFS:
        assert not BY_NAME[name].published(build).exists(), name
    assert leftovers(build) == []
    assert BY_NAME["pdf"].workdir(build).with_name("pdf" + RUNNING).exists()

    result = subprocess.run(
        ["make", "-C", str(ROOT), "pdf", f"SOURCEDIR={docs}", f"BUILDDIR={build}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "building it afresh" in result.stdout
    assert check_pdf(BY_NAME["pdf"].published(build)) is None
