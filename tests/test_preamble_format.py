"""upLaTeX passes load the preamble from a format: the same PDF, byte for byte, and kept fresh."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sangokushi.build.latex import preamble_format, texmf_environ
from support import BOOK, BY_NAME

pytestmark = pytest.mark.slow
PASS = ["uplatex", "-kanji=utf8", "-interaction=nonstopmode", "-halt-on-error"]


def pdf_of(work: Path, state: Path, *options: str) -> bytes:
    """Two passes from the aux files in ``state``, then dvipdfmx: the PDF's bytes."""
    for aux in state.iterdir():
        shutil.copyfile(aux, work / aux.name)
    env = {**texmf_environ(dict(os.environ)), "SOURCE_DATE_EPOCH": "1700000000"}
    for _ in range(2):
        subprocess.run([*PASS, *options, f"{BOOK}.tex"], cwd=work, env=env, check=True,
                       capture_output=True)  # fmt: skip
    subprocess.run(["dvipdfmx", "-q", f"{BOOK}.dvi"], cwd=work, env=env, check=True)
    return (work / f"{BOOK}.pdf").read_bytes()


@pytest.mark.parametrize("name", ["pdf", "pdf-print", "pdf-tate", "pdf-tate-print"])
def test_the_format_changes_no_byte_of_the_pdf(book: Path, tmp_path: Path, name: str) -> None:
    work, state = tmp_path / "work", tmp_path / "state"
    shutil.copytree(BY_NAME[name].workdir(book), work)
    state.mkdir()
    for suffix in (".aux", ".toc", ".out"):
        if (work / f"{BOOK}{suffix}").exists():
            shutil.copyfile(work / f"{BOOK}{suffix}", state / f"{BOOK}{suffix}")
    for old in work.glob("*-preamble.*"):
        old.unlink()
    fmt = preamble_format(work / f"{BOOK}.tex", texmf_environ(dict(os.environ)))
    assert fmt and (work / f"{fmt}.fmt").is_file()
    assert pdf_of(work, state, f"-fmt={fmt}") == pdf_of(work, state)


def test_the_format_is_dumped_again_only_when_the_preamble_changes(
    book: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    shutil.copytree(BY_NAME["pdf"].workdir(book), work)
    tex, env = work / f"{BOOK}.tex", texmf_environ(dict(os.environ))
    fmt = work / f"{preamble_format(tex, env)}.fmt"
    dumped = fmt.stat().st_mtime_ns
    assert preamble_format(tex, env) and fmt.stat().st_mtime_ns == dumped
    tex.write_text(tex.read_text(encoding="utf-8").replace(
        "\\begin{document}", "\\newcommand{\\sangokushitest}{}\n\\begin{document}", 1),
        encoding="utf-8")  # fmt: skip
    assert preamble_format(tex, env) and fmt.stat().st_mtime_ns != dumped
    (work / "sangokushibook.sty").write_text("% changed\n", encoding="utf-8", errors="strict")
    again = fmt.stat().st_mtime_ns
    preamble_format(tex, env)
    assert fmt.stat().st_mtime_ns != again
