"""Faults injected for real: odd paths, interrupts, two builds at once, a full or read-only disk."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from sangokushi import fidelity
from sangokushi.book import LATEX_ENGINE
from sangokushi.build.publish import check_epub, check_pdf
from sangokushi.build.registry import Edition
from sangokushi.build.stamps import RUNNING
from support import BY_NAME, DOCS, EDITIONS, ROOT, make

# Interrupts at a moment and races are marked ``serial``: `make test` runs them alone, after the
# rest, where a loaded machine cannot move the moment they aim at. Odd paths and full or
# read-only disks are not timed: they run beside other tests.

PDF = BY_NAME["pdf"]
EPUB = BY_NAME["epub"]


def copy_docs(dest: Path) -> Path:
    subprocess.run(["cp", "-a", str(DOCS), str(dest)], check=True)
    return dest


def epub_text(epub: Path) -> str:
    """The text of ``epub``'s XHTML documents, without their markup (page markers, ruby)."""
    with zipfile.ZipFile(epub) as book:
        return "".join(
            re.sub(r"<[^>]+>", "", book.read(name).decode())
            for name in book.namelist()
            if name.endswith(".xhtml")
        )


def add_sentence(docs: Path, text: str) -> None:
    with (docs / "wu.md").open("a", encoding="utf-8") as f:
        f.write(f"\n{text}\n")


def start(*targets: str, **variables: str | Path) -> subprocess.Popen[str]:
    """``make`` in its own process group, as a terminal runs it."""
    args = ["make", "-C", str(ROOT), *targets, *(f"{k}={v}" for k, v in variables.items())]
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def descendants(pid: int) -> dict[int, str]:
    """The processes below ``pid`` (children, grandchildren …) with their names."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents[int(entry.name)] = ppid
        names[int(entry.name)] = name
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = names[child]
                todo.append(child)
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# What a build writes before it renames it into place: the EPUB's zip (``.part``) and the
# ToUnicode rewrite in the work folders, the copies in ``.staging``, a linked output's stage.
PARTIAL = ("*.part", "*.new", "*.old", "*.tounicode.pdf")


def leftovers(build: Path) -> list[str]:
    """The half-written files a build left in ``build``: none, once it ended or was ended."""
    found = [p for pattern in PARTIAL for p in (build / "work").rglob(pattern)]
    if (build / ".staging").is_dir():
        found += [p for p in (build / ".staging").rglob("*") if not p.is_dir()]
    found += [p for p in build.glob("*/.*") if p.name.endswith((".staging", ".new", ".old"))]
    return sorted(str(p.relative_to(build)) for p in found)


def test_leftovers_finds_what_an_interrupt_leaves(tmp_path: Path) -> None:
    """The helper the interrupt tests rely on sees each kind of half-written file."""
    assert leftovers(tmp_path) == []
    planted = [
        f"work/epub/{EPUB.filename}.part",
        f"work/pdf/{PDF.tex[:-4]}.tounicode.pdf",
        f".staging/pdf/{PDF.filename}",
        ".staging/html/html/index.html",
        "pdf/.book.pdf.staging",
    ]
    for name in planted:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"half")
    (tmp_path / "work" / "epub" / EPUB.filename).write_bytes(b"whole")
    assert leftovers(tmp_path) == sorted(planted)


def first_build(target: str, edition: Edition, docs: Path, build: Path) -> tuple[Path, bytes]:
    """Build ``target`` once; return ``edition``'s published file and its bytes."""
    make(target, SOURCEDIR=docs, BUILDDIR=build)
    path = edition.published(build)
    return path, path.read_bytes()


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """A failed build's ``sangokushi:`` lines (one per edition at most), with no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and "report this" not in output, output
    assert "terminate called" not in output and "Aborted" not in output, output
    return [line for line in result.stderr.splitlines() if line.startswith("sangokushi: ")]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """A failed build's one ``sangokushi:`` line, having checked there is no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and "report this" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("sangokushi: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return copy_docs(tmp_path / "docs")


# -- paths -------------------------------------------------------------------------------


def test_builddir_with_spaces_and_quotes_never_touches_its_neighbours(
    tmp_path: Path, docs: Path
) -> None:
    neighbour = tmp_path / "keep"
    neighbour.mkdir()
    (neighbour / "precious.txt").write_text("mine")
    odd = tmp_path / "keep dir 'quoted' \"twice\""
    result = make("html", SOURCEDIR=docs, BUILDDIR=odd)
    assert "Traceback" not in result.stdout + result.stderr
    assert (odd / "html" / "index.html").is_file()

    add_sentence(docs, "{ref}`no-such-label`")
    failed = make("html", check=False, SOURCEDIR=docs, BUILDDIR=odd)
    assert failed.returncode != 0
    assert (odd / "html" / "index.html").is_file(), "the previous edition stays"
    assert (neighbour / "precious.txt").read_text() == "mine"

    (odd / "notes.txt").write_text("not the build's")
    make("clean", BUILDDIR=odd)
    assert sorted(p.name for p in odd.iterdir()) == [".lock", "notes.txt"]
    assert (neighbour / "precious.txt").read_text() == "mine"


def test_builddir_with_a_dollar_is_refused(tmp_path: Path) -> None:
    result = make("html", check=False, BUILDDIR=f"{tmp_path}/a$$b")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "not '$'" in output, output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["garbage", "1e9", "-5", "99999999999999"])
def test_invalid_source_date_epoch_is_one_clear_line(tmp_path: Path, value: str) -> None:
    result = make("html", check=False, BUILDDIR=tmp_path, SOURCE_DATE_EPOCH=value)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "SOURCE_DATE_EPOCH" in line]
    assert len(errors) == 1, result.stderr
    assert repr(value) in errors[0] and "whole seconds since 1970" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr


# -- interrupts --------------------------------------------------------------------------


@pytest.mark.serial  # killed while TeX runs
@pytest.mark.slow
def test_interrupted_pdf_keeps_the_previous_one_and_the_next_build_succeeds(
    tmp_path: Path, docs: Path
) -> None:
    build = tmp_path / "build"
    pdf, good = first_build("pdf", PDF, docs, build)
    for number, sig in enumerate((signal.SIGINT, signal.SIGTERM, signal.SIGKILL)):
        add_sentence(docs, f"中断の試し{number}。")
        process = start("pdf", SOURCEDIR=docs, BUILDDIR=build)
        wait_until(lambda p=process: LATEX_ENGINE in descendants(p.pid).values(), 120, "TeX to run")
        os.killpg(process.pid, sig)
        output, _ = process.communicate(timeout=60)
        assert process.returncode != 0, output
        assert "Traceback" not in output, output
        assert pdf.read_bytes() == good, f"{sig.name}: the previous PDF is gone or changed"
        assert leftovers(build) == [], sig.name
    # A TeX orphaned by SIGKILL still holds BUILDDIR's lock: this build waits for it,
    # then builds afresh (no TeX state it left is trusted).
    result = make("pdf", SOURCEDIR=docs, BUILDDIR=build)
    assert check_pdf(pdf) is None
    assert pdf.read_bytes() != good
    text = fidelity.normalize(fidelity.pdf_edition_text(pdf))
    assert "中断の試し2。" in text, result.stdout


@pytest.mark.serial  # killed while the zip is written
@pytest.mark.slow
def test_interrupted_epub_zip_keeps_the_previous_one(tmp_path: Path, docs: Path) -> None:
    # An incompressible image makes the zip take long enough to be interrupted while it writes.
    (docs / "_static" / "slow-to-zip.png").write_bytes(os.urandom(16 * 1024 * 1024))
    # A stylesheet uses it: the e-book builder packs only the static files pages link to.
    with (docs / "_static" / "book.css").open("a", encoding="utf-8") as css:
        css.write("\n.slow-to-zip { background-image: url(slow-to-zip.png); }\n")
    build = tmp_path / "build"
    epub, good = first_build("epub", EPUB, docs, build)
    partial = EPUB.workdir(build) / (EPUB.filename + ".part")
    for number, sig in enumerate((signal.SIGTERM, signal.SIGKILL)):
        add_sentence(docs, f"中断の試し{number}。")
        process = start("epub", SOURCEDIR=docs, BUILDDIR=build)
        wait_until(partial.exists, 120, "the EPUB zip to be written")
        os.killpg(process.pid, sig)
        output, _ = process.communicate(timeout=60)
        assert process.returncode != 0
        assert "Traceback" not in output, output
        assert epub.read_bytes() == good, sig.name
        # SIGKILL leaves the zip being written (the next build writes it anew); SIGTERM not.
        if sig != signal.SIGKILL:
            assert leftovers(build) == [], sig.name
    make("epub", SOURCEDIR=docs, BUILDDIR=build)
    assert check_epub(epub) is None and epub.read_bytes() != good
    assert leftovers(build) == []


def build_command(docs: Path, build: Path, *names: str) -> list[str]:
    where = ["--builddir", str(build)]
    return [sys.executable, "-m", "sangokushi", "build", str(docs), *names, *where]


def kill_everything(process: subprocess.Popen[str]) -> None:
    """SIGKILL a build and all it started (TeX too), as a power cut or ``kill -9`` would."""
    for pid in descendants(process.pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


# Where TeX is cut: seconds after the first TeX process appears (a PDF build takes about 3 s
# here: three upLaTeX passes, dvipdfmx, ToUnicode), or while the .aux is half written.
TEX_KILLS = ["aux", 0.0, 0.15, 0.35, 0.6, 0.9, 1.3, 1.8, 2.5, "dvipdfmx"]


@pytest.mark.serial  # killed at timed moments of TeX
@pytest.mark.slow
def test_a_kill_at_any_moment_of_tex_is_recovered_from(tmp_path: Path, docs: Path) -> None:
    build = tmp_path / "build"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    pdf, _ = first_build("pdf", PDF, docs, build)
    aux = PDF.workdir(build) / f"{PDF.tex[:-4]}.aux"
    whole = aux.stat().st_size
    for number, when in enumerate(TEX_KILLS):
        add_sentence(docs, f"中断の試し{number}。")
        process = subprocess.Popen(
            build_command(docs, build, "pdf"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )

        def tex(name: str = LATEX_ENGINE, p: subprocess.Popen[str] = process) -> bool:
            return p.poll() is not None or name in descendants(p.pid).values()

        def half_aux(p: subprocess.Popen[str] = process) -> bool:
            with suppress(OSError):
                if 0 < aux.stat().st_size < whole and tex(p=p):
                    return True
            return p.poll() is not None

        if when == "aux":
            wait_until(half_aux, 120, "a half-written .aux")
        elif when == "dvipdfmx":
            wait_until(lambda: tex("dvipdfmx"), 120, "dvipdfmx")
        else:
            wait_until(tex, 120, "TeX to run")
            time.sleep(float(when))
        if process.poll() is None:
            kill_everything(process)
        else:  # it ended before the kill: it must have succeeded
            output, _ = process.communicate()
            assert process.returncode == 0, f"after kill {number - 1}: {output}"
        result = subprocess.run(
            build_command(docs, build, "pdf"), capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, f"after a kill at {when}: {result.stdout}{result.stderr}"
        assert check_pdf(pdf) is None, when
        text = fidelity.normalize(fidelity.pdf_edition_text(pdf))
        assert f"中断の試し{number}。" in text, when
        assert leftovers(build) == [], when


# -- concurrency -------------------------------------------------------------------------


@pytest.mark.serial  # a race: the second build must start while the first runs
@pytest.mark.slow
def test_two_builds_at_once_are_serialised(tmp_path: Path, docs: Path) -> None:
    build = tmp_path / "build"
    first = start("pdf", SOURCEDIR=docs, BUILDDIR=build)
    running = PDF.workdir(build).with_name(PDF.name + RUNNING)
    wait_until(running.exists, 60, "the first build to hold the lock")
    second = start("pdf", SOURCEDIR=docs, BUILDDIR=build)
    outputs = [p.communicate(timeout=600)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert any("waiting for it to finish" in out for out in outputs), outputs
    assert check_pdf(PDF.published(build)) is None
    info = subprocess.run(["pdfinfo", str(PDF.published(build))], capture_output=True, text=True)
    assert info.returncode == 0 and "Syntax Error" not in info.stderr, info.stderr


def test_an_epub_whose_pdf_failed_is_not_built_and_the_next_editions_are_tried(
    docs: Path, tmp_path: Path
) -> None:
    """A PDF that fails leaves the EPUB that marks its pages unbuilt (the previous one kept),
    and the editions after it are still tried: a line for each."""
    only(docs, "pdf", "pdf-tate", "epub", "epub-tate")
    build = tmp_path / "build"
    make("epub", SOURCEDIR=docs, BUILDDIR=build)
    names = ("pdf", "pdf-tate", "epub", "epub-tate")
    before = {name: BY_NAME[name].published(build).read_bytes() for name in names}
    good = (docs / "wu.md").read_text(encoding="utf-8")
    with (docs / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n```{raw} latex\n\\sangokushinosuchmacro\n```\n")  # both PDFs fail
    errors = error_lines(make("epub", check=False, SOURCEDIR=docs, BUILDDIR=build))
    assert sorted(e.split(":")[1].strip() for e in errors) == sorted(names), errors
    for name, source in (("epub", "pdf"), ("epub-tate", "pdf-tate")):
        shown = BY_NAME[name].published(build)
        line = (
            f"sangokushi: {name}: not built: it marks the printed pages of {source}, which failed"
        )
        assert f"{line}; the previous {shown} is kept" in errors, errors
    for name in names:
        assert BY_NAME[name].published(build).read_bytes() == before[name], name
    # The EPUBs' Sphinx had run beside their PDFs' LaTeX: not a build cut short (a PDF whose
    # TeX failed is: its LaTeX starts afresh).
    (docs / "wu.md").write_text(good, encoding="utf-8")
    said = make("epub", SOURCEDIR=docs, BUILDDIR=build).stdout
    assert [line for line in said.splitlines() if "afresh" in line and "epub" in line] == []


def test_a_print_pdf_whose_reading_pdf_failed_is_not_built(docs: Path, tmp_path: Path) -> None:
    """A reading PDF that fails leaves the print PDF that carries its pages unbuilt (the
    previous one kept), with its own line; fixed, the next build takes neither as cut short."""
    only(docs, "pdf", "pdf-print")
    build = tmp_path / "build"
    make("pdf-print", SOURCEDIR=docs, BUILDDIR=build)
    printed = BY_NAME["pdf-print"].published(build)
    before = printed.read_bytes()
    good = (docs / "wu.md").read_text(encoding="utf-8")
    with (docs / "wu.md").open("a", encoding="utf-8") as f:
        f.write("\n```{raw} latex\n\\sangokushinosuchmacro\n```\n")
    errors = error_lines(make("pdf-print", check=False, SOURCEDIR=docs, BUILDDIR=build))
    line = "sangokushi: pdf-print: not built: it carries the pages of pdf, which failed"
    assert f"{line}; the previous {printed} is kept" in errors, errors
    assert printed.read_bytes() == before
    (docs / "wu.md").write_text(good, encoding="utf-8")
    said = make("pdf-print", SOURCEDIR=docs, BUILDDIR=build).stdout
    assert [line for line in said.splitlines() if "pdf-print" in line and "afresh" in line] == []


# -- a full or read-only disk ------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 8 MB (mounting needs root: CI and `make test` run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` but for ``leave`` bytes."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with (disk / "filler").open("wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def only(docs: Path, *editions: str) -> None:
    """The copy of the book builds only ``editions`` (EPUBs alone mark no printed pages)."""
    facts = docs / "book.toml"
    line = "editions = [" + ", ".join(f'"{e}"' for e in editions) + "]"
    text = re.sub(r"(?m)^editions = .*$", line, facts.read_text(encoding="utf-8"))
    facts.write_text(text, encoding="utf-8")


def test_a_page_map_not_written_whole_leaves_no_part(book: Path, tmp_path: Path) -> None:
    """A page map cut short (a full disk: here a file size limit) leaves neither a page map
    nor its ``.part``; the error goes on to the build's one line."""
    import resource

    from sangokushi.build.runner import Build

    pdf = BY_NAME["pdf"]
    (tmp_path / "work").mkdir()
    build = Build(DOCS, tmp_path, [], EDITIONS, say=lambda text: None)
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, limits[1]))
    try:
        with pytest.raises(OSError):
            build.write_page_map(pdf, pdf.published(book))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert leftovers(tmp_path) == []
    assert not pdf.page_map(tmp_path).exists()


def test_page_breaks_not_written_whole_are_an_oserror(book: Path, tmp_path: Path) -> None:
    """The EPUB's documents rewritten with their page breaks on a full disk (here a file size
    limit) raise an ``OSError``, which the build turns into its one line (lxml writing the file
    itself raised its own SerialisationError, a traceback)."""
    import resource
    import shutil

    from sangokushi import pagemap
    from sangokushi.ebook.builder import ITEM, SPINE

    outdir = tmp_path / "epub"
    shutil.copytree(EPUB.workdir(book), outdir)
    opf = (outdir / "content.opf").read_text(encoding="utf-8")
    hrefs = dict(ITEM.findall(opf))
    names = [hrefs[i] for i in SPINE.findall(opf) if i in hrefs and hrefs[i] != "nav.xhtml"]
    pages = pagemap.load(BY_NAME["pdf"].page_map(book))[1]
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, limits[1]))
    try:
        with pytest.raises(OSError):
            pagemap.place(outdir, names, pages)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)


@pytest.mark.parametrize("leave", [0, 64 * 1024])
def test_full_disk_is_one_line_and_keeps_the_previous_epubs(
    small_disk: Path, docs: Path, leave: int
) -> None:
    build = small_disk / "build"
    make("epub", SOURCEDIR=docs, BUILDDIR=build)
    before = {e.name: e.published(build).read_bytes() for e in (EPUB, BY_NAME["epub-tate"])}
    fill(small_disk, leave)
    add_sentence(docs, "満杯の試し。")
    # The EPUBs mark the pages of their PDFs, which are built first: a line per edition.
    errors = error_lines(make("epub", check=False, SOURCEDIR=docs, BUILDDIR=build))
    full = [e for e in errors if "No space left on device" in e]
    assert full and all(str(build) in e for e in full), errors
    editions = [e.split(":")[1].strip() for e in errors]
    assert len(editions) == len(set(editions)), errors
    kept = 0
    for edition in (EPUB, BY_NAME["epub-tate"]):
        published = edition.published(build)
        if published.read_bytes() == before[edition.name]:
            kept += 1
        else:
            # Built in the room another edition's failure gave back (the two PDFs' TeX run at
            # once; under load, in either order): only with no line of its own, whole, with the
            # new sentence. An edition the run stopped before has no line and is unchanged.
            assert edition.name not in editions, errors
            assert check_epub(published) is None, errors
            assert "満杯の試し" in epub_text(published), errors
    assert kept, errors
    assert leftovers(build) == []
    (small_disk / "filler").unlink()
    make("epub", SOURCEDIR=docs, BUILDDIR=build)
    assert check_epub(EPUB.published(build)) is None


@pytest.mark.parametrize("leave", [0, 32 * 1024, 160 * 1024])
def test_full_disk_in_the_pdf_steps_is_one_line_and_keeps_the_previous_pdf(
    small_disk: Path, docs: Path, leave: int
) -> None:
    only(docs, "pdf")
    build = small_disk / "build"
    pdf, good = first_build("pdf", PDF, docs, build)
    fill(small_disk, leave)
    add_sentence(docs, "満杯の試し。")
    result = make("pdf", check=False, SOURCEDIR=docs, BUILDDIR=build)
    error = one_error_line(result)
    assert "No space left on device" in error and str(build) in error, error
    assert "_io." not in error and result.returncode == 2, error  # make's 2: no abort (134)
    assert pdf.read_bytes() == good
    assert leftovers(build) == []
    (small_disk / "filler").unlink()
    make("pdf", SOURCEDIR=docs, BUILDDIR=build)
    assert check_pdf(pdf) is None and pdf.read_bytes() != good


def test_a_pdf_cut_short_on_a_disk_freed_since_is_a_full_disk(small_disk: Path) -> None:
    """dvipdfmx fills the disk and ends well with its PDF cut short; another build's files go
    before the PDF is read. Still the full disk's line, not "damaged" (seen in a gate, where
    two PDFs' TeX ran at once)."""
    from PIL import Image

    from sangokushi.build import latex
    from sangokushi.build.errors import BuildError

    noise = small_disk.parent / "noise.png"  # off the disk: 160 KB the PDF copies
    Image.frombytes("L", (400, 400), os.urandom(160_000)).save(noise)
    tex = small_disk / "cut.tex"
    tex.write_text(
        "\\documentclass[uplatex,dvipdfmx]{ujarticle}\\usepackage{graphicx}\\begin{document}"
        f"満杯の試し。\\par\\includegraphics[width=3cm]{{{noise}}}\\end{{document}}\n",
        encoding="utf-8",
    )
    fill(small_disk, 64 * 1024)

    @contextmanager
    def then_free(process: subprocess.Popen[str]) -> Iterator[None]:
        yield
        if process.args[0] == "dvipdfmx":  # once the PDF's writer has ended
            (small_disk / "filler").unlink()

    with pytest.raises(BuildError) as raised:
        latex.build_pdf(tex, "uplatex", preamble=False, track=then_free)
    assert (
        str(raised.value)
        == f"{tex.with_suffix('.pdf')}: No space left on device (the PDF is cut short)"
    )


def test_virtual_fonts_not_cut_on_a_full_disk_are_read_whole(small_disk: Path, book: Path) -> None:
    """Cutting the fonts only saves time: on a full disk dvipdfmx reads them whole (and then
    says the disk is full itself), no part file is left."""
    from sangokushi.build.dvipdf import FOLDER, cut_fonts

    dvi = small_disk / "book.dvi"
    dvi.write_bytes((BY_NAME["pdf"].workdir(book) / f"{BY_NAME['pdf'].tex[:-4]}.dvi").read_bytes())
    (small_disk / FOLDER).mkdir()
    fill(small_disk, 0)
    assert not cut_fonts(dvi)
    assert list((small_disk / FOLDER).iterdir()) == []


def test_full_disk_inside_sphinx_is_one_line(small_disk: Path, docs: Path) -> None:
    build = small_disk / "build"
    make("epub", SOURCEDIR=docs, BUILDDIR=build)
    fill(small_disk, 100 * 1024)
    # The HTML tree is new and larger than what is left: Sphinx's own writes fail.
    error = one_error_line(make("html", check=False, SOURCEDIR=docs, BUILDDIR=build))
    assert "No space left on device" in error, error
    assert not (build / "html").exists()
    assert check_epub(EPUB.published(build)) is None


def test_read_only_output_is_one_line_and_keeps_the_previous_epub(
    small_disk: Path, docs: Path
) -> None:
    build = small_disk / "build"
    epub, good = first_build("epub", EPUB, docs, build)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    error = one_error_line(make("epub", check=False, SOURCEDIR=docs, BUILDDIR=build))
    assert "Read-only file system" in error and str(build) in error, error
    assert epub.read_bytes() == good


# The build, `clean` and the site, each in a process of its own: the real commands and locks,
# the work while a lock is held replaced by a marker that only one holder may create.
HOLDER = r"""
import asyncio, os, random, sys, time
from pathlib import Path

role, docs, build, markers, repo = sys.argv[1:6]


def hold(*kinds):
    made = []
    for kind in kinds:
        try:
            fd = os.open(Path(markers, kind), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            Path(markers, f"overlap-{kind}-{os.getpid()}").touch()
            continue
        os.close(fd)
        made.append(kind)
    time.sleep(random.uniform(0.01, 0.08))
    for kind in made:
        os.unlink(Path(markers, kind))


if role == "build":
    from sangokushi.build import cli, runner

    def run(self, editions):
        hold("build")
        (self.builddir / "html").mkdir(exist_ok=True)
        return []

    runner.Build._run = run
    sys.exit(cli.main(["build", docs, "html", "--builddir", build]))
elif role == "clean":
    from sangokushi.build import cli, publish

    remove = publish.remove

    def removing(paths):
        # The site's folders, when it removes them; BUILDDIR's, always.
        site = any(Path(p).name in ("site", "site-logs") for p in paths)
        hold("build", *(["site"] if site else []))
        return remove(paths)

    publish.remove = removing
    sys.exit(cli.main(["clean", docs, "--builddir", build]))
else:
    from sangokushi.site import build as site_build

    async def srun(self):
        hold("site")
        (self.site.out / "main").mkdir(parents=True, exist_ok=True)

    site_build.SiteDriver.srun = srun
    out = Path(build, "site")
    site = site_build.Site(Path(repo), out, "http://localhost/", Path(repo, ".venv"))
    try:
        site_build.build_site(site)
    except site_build.SiteError:
        pass
"""


@pytest.mark.serial  # a race of eight processes at a time
def test_build_clean_and_site_never_hold_the_build_at_once(tmp_path: Path) -> None:
    import random

    build, markers = tmp_path / "build", tmp_path / "markers"
    markers.mkdir()
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    rng = random.Random(18)
    roles = [rng.choice(("build", "clean", "site", "site")) for _ in range(32)]
    for first in range(0, len(roles), 8):
        running = [
            subprocess.Popen(
                [sys.executable, str(script), role, str(DOCS), str(build), str(markers), str(ROOT)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for role in roles[first : first + 8]
        ]
        for process in running:
            output, _ = process.communicate(timeout=300)
            assert "Traceback" not in output, output
    assert sorted(p.name for p in markers.iterdir()) == []
    assert (build / ".lock").is_file() and (build / "site-logs" / ".lock").is_file()


def test_a_damaged_pdf_is_one_line(tmp_path: Path) -> None:
    """A PDF pikepdf cannot read is one line after TeX, not a traceback."""
    from sangokushi.build import latex
    from sangokushi.build.errors import BuildError

    cut = tmp_path / PDF.published(Path("/nonexistent")).name
    cut.write_bytes(b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(BuildError) as raised:
        latex.finish_pdf(cut, "uplatex", press=True, colour=False)
    assert str(raised.value).startswith(f"{cut} is damaged: ") and "\n" not in str(raised.value)


@pytest.mark.parametrize("engine", ["uplatex", "lualatex"])
def test_a_pdf_cut_short_is_a_full_disk_however_much_is_free_after(
    tmp_path: Path, engine: str
) -> None:
    """dvipdfmx ends well on a full disk, its PDF cut short; by the time it is read, another
    build's files may have gone and freed the disk. The PDF's writer said how long it is: a
    shorter file is a full disk's one line, on a disk with room to spare."""
    from sangokushi.build import latex
    from sangokushi.build.errors import BuildError

    tex = tmp_path / "cut.tex"
    tex.write_text(
        "\\documentclass{article}\\begin{document}Cut short.\\end{document}\n", encoding="utf-8"
    )
    steps = [["lualatex", tex.name]]
    if engine == "uplatex":
        steps = [["uplatex", tex.name], ["dvipdfmx", tex.with_suffix(".dvi").name]]
    output = ""
    for step in steps:
        done = subprocess.run(step, cwd=tmp_path, capture_output=True, text=True, check=True)
        output += done.stdout + done.stderr
    built = tex.with_suffix(".pdf")
    latex.whole(built, output)  # as written: whole
    with built.open("r+b") as f:
        f.truncate(built.stat().st_size - 1)
    with pytest.raises(BuildError, match=r": No space left on device \(the PDF is cut short\)$"):
        latex.whole(built, output)
