"""upLaTeX passes load the preamble from a format: the same PDF, byte for byte, and kept fresh."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sangokushi.book import FORMAT_END
from sangokushi.build.latex import (
    FORMATS_KEPT,
    GZIP_MAGIC,
    keep,
    preamble_format,
    texmf_environ,
)
from sangokushi.build.stamps import FORMATS_VARIABLE
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
        FORMAT_END, f"\\newcommand{{\\sangokushitest}}{{}}{FORMAT_END}", 1),
        encoding="utf-8")  # fmt: skip
    assert preamble_format(tex, env) and fmt.stat().st_mtime_ns != dumped
    (work / "sangokushibook.sty").write_text("% changed\n", encoding="utf-8", errors="strict")
    again = fmt.stat().st_mtime_ns
    preamble_format(tex, env)
    assert fmt.stat().st_mtime_ns != again


def fresh_work(book: Path, where: Path) -> Path:
    """A copy of the PDF's LaTeX folder without its format: the LaTeX file."""
    shutil.copytree(BY_NAME["pdf"].workdir(book), where)
    for old in where.glob("*-preamble.*"):
        old.unlink()
    return where / f"{BOOK}.tex"


def test_a_format_dumped_once_serves_every_builddir(book: Path, tmp_path: Path) -> None:
    """Another BUILDDIR (a `make clean`, a clone) with the same preamble copies the kept format
    instead of dumping it again; a changed preamble is dumped and kept beside it."""
    cache = tmp_path / "cache"
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: str(cache)}
    first, second = fresh_work(book, tmp_path / "a"), fresh_work(book, tmp_path / "b")
    name = preamble_format(first, env)
    assert name and (first.parent / f"{name}.log").is_file()  # TeX dumped it
    (kept,) = cache.glob("*.fmt")
    # Kept as TeX wrote it (gzipped), unpacked where TeX loads it on every pass.
    unpacked = (first.parent / f"{name}.fmt").read_bytes()
    assert kept.read_bytes()[:2] == GZIP_MAGIC and unpacked[:2] != GZIP_MAGIC
    assert gzip.decompress(kept.read_bytes()) == unpacked
    assert preamble_format(second, env) == name
    assert not (second.parent / f"{name}.log").exists()  # copied, not dumped
    assert (second.parent / f"{name}.fmt").read_bytes() == unpacked
    second.write_text(second.read_text(encoding="utf-8").replace(
        FORMAT_END, f"\\newcommand{{\\sangokushitest}}{{}}{FORMAT_END}", 1),
        encoding="utf-8")  # fmt: skip
    assert preamble_format(second, env) == name
    assert (second.parent / f"{name}.log").is_file() and len(list(cache.glob("*.fmt"))) == 2


def test_a_format_only_copied_is_none_until_the_cache_has_it(book: Path, tmp_path: Path) -> None:
    """``dump=False`` (a print PDF's marks, while its reading PDF's LaTeX dumps the same
    format): nothing is dumped; once the format is kept, it is copied."""
    cache = tmp_path / "cache"
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: str(cache)}
    first, second = fresh_work(book, tmp_path / "a"), fresh_work(book, tmp_path / "b")
    assert preamble_format(second, env, dump=False) is None
    assert not list(second.parent.glob("*-preamble.*")) and not cache.exists()
    name = preamble_format(first, env)
    assert preamble_format(second, env, dump=False) == name
    assert (second.parent / f"{name}.fmt").is_file()
    assert not (second.parent / f"{name}.log").exists()  # copied, not dumped


def test_a_format_beside_with_the_same_preamble_is_copied(book: Path, tmp_path: Path) -> None:
    """``beside`` (a print PDF's marks, beside its reading PDF): that folder's format is copied
    when it holds the same preamble (no cache here), never when it does not."""
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: ""}
    first, second = fresh_work(book, tmp_path / "a"), fresh_work(book, tmp_path / "b")
    third = fresh_work(book, tmp_path / "c")
    name = preamble_format(first, env)
    assert name and (first.parent / f"{name}.log").is_file()
    assert preamble_format(second, env, beside=first) == name
    assert not (second.parent / f"{name}.log").exists()  # copied, not dumped
    fmt = f"{name}.fmt"
    assert (second.parent / fmt).read_bytes() == (first.parent / fmt).read_bytes()
    third.write_text(third.read_text(encoding="utf-8").replace(
        FORMAT_END, f"\\newcommand{{\\sangokushitest}}{{}}{FORMAT_END}", 1),
        encoding="utf-8")  # fmt: skip
    assert preamble_format(third, env, beside=first) == name
    assert (third.parent / f"{name}.log").is_file()  # dumped: another preamble


def test_a_damaged_kept_format_is_dumped_again(book: Path, tmp_path: Path) -> None:
    """A kept format cut short (a full disk, an interrupted copy) is no error: dumped anew."""
    cache = tmp_path / "cache"
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: str(cache)}
    first, second = fresh_work(book, tmp_path / "a"), fresh_work(book, tmp_path / "b")
    name = preamble_format(first, env)
    (kept,) = cache.glob("*.fmt")
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])
    killed = second.parent / f"{name}.fmt.999.part"  # a build killed while it unpacked
    killed.write_bytes(b"half")
    assert preamble_format(second, env) == name and not killed.exists()
    assert (second.parent / f"{name}.log").is_file()  # dumped, not copied
    unpacked = (second.parent / f"{name}.fmt").read_bytes()
    assert unpacked[:2] != GZIP_MAGIC and gzip.decompress(kept.read_bytes()) == unpacked


@pytest.mark.parametrize("reading", ["pdf", "pdf-tate"])
def test_a_reading_pdf_and_its_print_pdf_load_one_format(
    book: Path, tmp_path: Path, reading: str
) -> None:
    """The print shop's extras come after the format's end: a machine's first build dumps one
    format per writing mode, and the print PDF copies the reading PDF's."""
    cache = tmp_path / "cache"
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: str(cache)}
    works = {}
    for name in (reading, f"{reading}-print"):
        shutil.copytree(BY_NAME[name].workdir(book), tmp_path / name)
        for old in (tmp_path / name).glob("*-preamble.*"):
            old.unlink()
        works[name] = tmp_path / name / f"{BOOK}.tex"
    name = preamble_format(works[reading], env)
    assert name and preamble_format(works[f"{reading}-print"], env) == name
    assert not (tmp_path / f"{reading}-print" / f"{name}.log").exists()  # copied, not dumped
    assert len(list(cache.glob("*.fmt"))) == 1


def test_the_cache_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache, dumped = tmp_path / "cache", tmp_path / "new.fmt"
    cache.mkdir()
    dumped.write_bytes(b"format")
    for age in range(FORMATS_KEPT):
        old = cache / f"{age:02}.fmt"
        old.write_bytes(b"older")
        os.utime(old, (1_700_000_000 - age, 1_700_000_000 - age))
    keep(dumped, cache / "new.fmt")
    names = sorted(p.name for p in cache.iterdir())
    assert names == [f"{age:02}.fmt" for age in range(FORMATS_KEPT - 1)] + ["new.fmt"]


@pytest.mark.parametrize("where", ["", "a-file"])
def test_no_cache_or_one_that_cannot_be_written_still_gives_a_format(
    book: Path, tmp_path: Path, where: str
) -> None:
    """An empty SANGOKUSHI_FORMATS keeps no format; an unwritable one is no error."""
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    env = {**texmf_environ(dict(os.environ)), FORMATS_VARIABLE: where and str(tmp_path / where)}
    tex = fresh_work(book, tmp_path / "work")
    name = preamble_format(tex, env)
    assert name and (tex.parent / f"{name}.fmt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "work"]
