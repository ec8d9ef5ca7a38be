"""The PDFs' Sphinx runs in a process forked beside the HTML's, told as if it ran after it;
an EPUB's Sphinx runs beside the LaTeX of the PDF whose pages it marks."""

from __future__ import annotations

import errno
import gc
import os
import shlex
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from test_faults import descendants, leftovers, wait_until
from test_rebuild import EPOCH, Project, edit

from sangokushi import fidelity
from sangokushi.build import timings
from sangokushi.build.ahead import Ahead
from sangokushi.build.errors import STOPPING
from sangokushi.build.runner import AHEAD_WAIT
from sangokushi.build.stamps import RUNNING
from support import BOOK, BY_NAME

ANCHOR = "GPTは誰もが知るLLMとなった。"
SENTENCE = "（並走の試験の一文。）"
EDITIONS = ("html", "pdf", "pdf-tate")


def gone(pid: int) -> bool:
    """Whether no process (not even a zombie) has ``pid`` any more."""
    return not Path(f"/proc/{pid}").exists()


def test_steps_run_in_a_forked_process_and_are_taken_in_any_order() -> None:
    steps = Ahead([(name, lambda name=name: (name, os.getpid())) for name in ("one", "two")])
    steps.start()
    pid = steps.pid
    assert gc.get_freeze_count() == 0  # this process collects all its objects again
    assert "one" in steps and "three" not in steps
    two, one = steps.take("two"), steps.take("one")
    assert one == ("one", pid) and two == ("two", pid) and pid != os.getpid()
    assert "one" not in steps and steps.take("one") is None  # taken once
    assert steps.stop() == []
    assert gone(pid)


def test_the_forked_process_leaves_the_objects_it_shares_to_its_parent() -> None:
    # Its collections skip them: the pages they are on stay shared, not copied.
    steps = Ahead([("frozen", gc.get_freeze_count)])
    steps.start()
    assert steps.take("frozen") > 1000
    steps.stop()


def test_a_fork_refused_leaves_this_process_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(OSError):
        Ahead([("never", int)]).start()
    assert gc.get_freeze_count() == 0
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & set(STOPPING)
    assert len(os.listdir("/proc/self/fd")) == fds


def test_a_step_that_raises_or_ends_the_steps_leaves_the_rest_to_the_taker() -> None:
    steps = Ahead([("ok", lambda: 1), ("bug", lambda: 1 / 0), ("after", lambda: 3)])
    steps.start()
    assert [steps.take(name) for name in ("ok", "bug", "after")] == [1, None, None]
    steps.stop()
    failed = Ahead([("a", lambda: "failed"), ("b", lambda: "ran")], last=lambda v: v == "failed")
    failed.start()
    assert failed.take("b") is None and failed.take("a") == "failed"
    failed.stop()


def test_stop_ends_a_step_still_running_and_names_the_steps_not_taken() -> None:
    steps = Ahead([("quick", lambda: 1), ("slow", lambda: time.sleep(60)), ("never", int)])
    steps.start()
    pid = steps.pid
    assert steps.take("quick") == 1
    started = time.monotonic()
    assert steps.stop() == ["slow", "never"]
    assert time.monotonic() - started < 5 and gone(pid)


@pytest.mark.slow
def test_the_pdfs_sphinx_runs_beside_the_htmls_and_says_what_it_would_after(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path, EDITIONS)
    assert project.run() == dict.fromkeys(EDITIONS, "built")

    # An edit: each PDF's Sphinx runs in the forked process while the HTML's does.
    chapter = project.docs / "wei.md"
    edit(chapter, ANCHOR, ANCHOR + SENTENCE)
    assert project.run() == dict.fromkeys(EDITIONS, "built")
    phases = timings.load(project.build / "work" / timings.FILE)

    def phase(edition: str, name: str) -> timings.Phase:
        return next(p for p in phases if p.edition == edition and p.name == name)

    # Against the end of the HTML's Sphinx run, not of its start: with Sphinx's imports made
    # before the fork, its start takes some 0.05 s, less than the fork may wait for a core.
    html = phase("html", "Sphinx write")
    assert html.main and phase("html", "Sphinx start").main
    for name in EDITIONS[1:]:
        assert phase(name, AHEAD_WAIT).main, name
        assert not phase(name, "Sphinx write").main, name
    first = min(phase(name, "Sphinx start").start for name in EDITIONS[1:])
    assert first < html.end, "the PDFs' Sphinx ran after the HTML's"
    text = fidelity.pdf_edition_text(BY_NAME["pdf"].published(project.build))
    assert fidelity.normalize(SENTENCE) in fidelity.normalize(text)
    tex = BY_NAME["pdf-tate"].workdir(project.build) / f"{BOOK}.tex"
    assert SENTENCE in tex.read_text(encoding="utf-8")

    # A warning both see: said once (the HTML's), no PDF built; the next build does not take
    # the failure for a build cut short.
    edit(chapter, ANCHOR, ANCHOR + "{ref}`no-such-label`")
    result = project.call()
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("no-such-label") == 1, result.stderr
    assert ": building" not in result.stdout.split("html: building")[1], result.stdout
    edit(chapter, "{ref}`no-such-label`", "（直した。）")
    result = project.call()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "afresh" not in result.stdout, result.stdout  # a failure, not a build cut short

    # A warning only the HTML's Sphinx gives: the PDFs' ran beside it and are neither said nor
    # published; the next build, with the warning gone, finds them as they were published: up
    # to date, not cut short.
    conf = project.docs / "conf.py"
    good = conf.read_text(encoding="utf-8")
    conf.write_text(good + '\nhtml_theme_options = {**html_theme_options, "no_such_option": 1}\n')
    result = project.call()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "unsupported theme option 'no_such_option'" in result.stderr, result.stderr
    assert result.stdout.count(": building") == 1, result.stdout
    conf.write_text(good, encoding="utf-8")
    assert project.run() == {"html": "built", "pdf": "skipped", "pdf-tate": "skipped"}

    # A warning only the LaTeX's Sphinx gives: said once, by the first PDF (after the HTML is
    # published); the PDF after it is not built.
    with (project.docs / "conf.py").open("a", encoding="utf-8") as f:
        f.write('\nlatex_documents = [("no-such-doc", "b.tex", "", "", "manual")]\n')
    result = project.call()
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("unknown document no-such-doc") == 1, result.stderr
    said = [line.split(":")[1].strip() for line in result.stdout.splitlines()]
    assert said[:2] == ["html", "html"] and said[2:] in (["pdf"], ["pdf-tate"]), result.stdout
    failed = f"sangokushi: {said[2]}: Sphinx reported the warnings above"
    assert failed in result.stderr, result.stderr


@pytest.mark.slow
def test_an_epubs_sphinx_runs_beside_its_pdfs_latex_and_marks_the_new_pages(
    tmp_path: Path,
) -> None:
    """After an edit that moves the page breaks, the EPUB's Sphinx starts before its PDF is
    published and waits for that PDF's page map only when it reads it: its page list and
    markers are those of a build from nothing."""
    names = ("html", "pdf", "epub")
    project = Project(tmp_path, names)
    assert project.run() == dict.fromkeys(names, "built")
    edit(project.docs / "wei.md", ANCHOR, ANCHOR + "頁を送る一文を足す。" * 40)
    assert project.run() == dict.fromkeys(names, "built")
    phases = timings.load(project.build / "work" / timings.FILE)

    def phase(edition: str, name: str) -> timings.Phase:
        return next(p for p in phases if p.edition == edition and p.name == name)

    write, wait = phase("epub", "Sphinx write"), phase("epub", "waits for pdf")
    assert write.main and write.start < phase("pdf", "publish (check, rename)").start
    assert write.start < wait.start and wait.end >= phase("pdf", "page map").end
    fresh = project.root / "fresh"
    assert project.run("epub", builddir=fresh) == {"epub": "built"}
    epub = BY_NAME["epub"]
    kept, new = (zipfile.ZipFile(epub.published(b)) for b in (project.build, fresh))
    assert "page-list" in kept.read("nav.xhtml").decode()
    for name in sorted(n for n in new.namelist() if n.endswith(".xhtml")):
        assert kept.read(name) == new.read(name), name


@pytest.mark.slow
# Interrupted at the moment the forked process runs Sphinx: `make test` runs it alone.
@pytest.mark.serial
def test_an_interrupt_while_the_pdfs_sphinx_runs_beside_ends_both(tmp_path: Path) -> None:
    project = Project(tmp_path, EDITIONS)
    assert project.run() == dict.fromkeys(EDITIONS, "built")
    edit(project.docs / "wei.md", ANCHOR, ANCHOR + SENTENCE)
    env = {**os.environ, "PYTHONPATH": str(project.src), "SOURCE_DATE_EPOCH": EPOCH}
    command = [sys.executable, "-m", "sangokushi", "build", str(project.docs)]
    process = subprocess.Popen(
        [*command, "--builddir", str(project.build)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    forked: list[int] = []
    markers = [BY_NAME[name].workdir(project.build).with_name(name + RUNNING) for name in EDITIONS]

    def beside() -> bool:
        forked[:] = [pid for pid, name in descendants(process.pid).items() if "python" in name]
        return bool(forked) and any(m.exists() for m in markers[1:])

    wait_until(beside, 120, "the PDFs' Sphinx in the forked process")
    os.killpg(process.pid, signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert "Traceback" not in output and output.count("interrupted (SIGINT)") == 1, output
    assert all(gone(pid) for pid in forked), "the forked process outlived the build"
    assert leftovers(project.build) == []
    # The run cut short is taken for one, as in this process: the next build reads afresh.
    cut = [m.name.removesuffix(RUNNING) for m in markers[1:] if m.exists()]
    assert cut, "no PDF's Sphinx run was left cut short"
    result = project.call()
    assert result.returncode == 0, result.stdout + result.stderr
    for name in cut:
        assert f"{name}: the last build was cut short; building it afresh" in result.stdout
    text = fidelity.pdf_edition_text(BY_NAME["pdf"].published(project.build))
    assert fidelity.normalize(SENTENCE) in fidelity.normalize(text)


@pytest.mark.slow
def test_what_the_forked_sphinx_says_is_coloured_on_a_terminal(tmp_path: Path) -> None:
    project = Project(tmp_path, EDITIONS)
    assert project.run() == dict.fromkeys(EDITIONS, "built")
    edit(project.docs / "wei.md", ANCHOR, ANCHOR + SENTENCE)
    with (project.docs / "conf.py").open("a", encoding="utf-8") as f:
        f.write('\nlatex_documents = [("no-such-doc", "b.tex", "", "", "manual")]\n')
    env = {k: v for k, v in os.environ.items() if "COLO" not in k and k != "CI"}
    env.update(PYTHONPATH=str(project.src), SOURCE_DATE_EPOCH=EPOCH, TERM="xterm")
    command = [sys.executable, "-m", "sangokushi", "build", str(project.docs)]
    command += ["--builddir", str(project.build)]
    # A terminal of its own (util-linux script): what a pseudo-terminal showed.
    shown = subprocess.run(
        ["script", "-qec", shlex.join(command), "/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    ).stdout
    warning = next(line for line in shown.splitlines() if "no-such-doc" in line)
    assert "\x1b[" in warning, shown
