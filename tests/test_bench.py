"""make bench: its synthetic books are valid books, and a ×1 run writes its report."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sangokushi.bench import loop, synth
from sangokushi.bench.__main__ import main
from sangokushi.bench.run import SCENARIOS
from sangokushi.build.dvipdf import CUT
from sangokushi.build.latex import PASSES
from sangokushi.build.timings import Phase
from support import DOCS, EDITIONS, make


def test_copies_rename_every_label_box_and_reference(tmp_path: Path) -> None:
    book = synth.make_book(DOCS, tmp_path / "docs", 3)
    assert len(book.chapters) == 3 * 7  # 序章, five factions, 終章
    texts = {doc: (book.srcdir / f"{doc}.md").read_text(encoding="utf-8") for doc in book.chapters}
    labels = Counter(label for text in texts.values() for label in synth.LABEL_RE.findall(text))
    boxes = Counter(m[2] for text in texts.values() for m in synth.BOX_RE.finditer(text))
    assert labels and max(labels.values()) == 1
    assert len(boxes) == 3 * 5 and max(boxes.values()) == 1
    for doc, text in texts.items():
        copy = doc.rsplit("-", 1)[1] if re.search(r"-\d+$", doc) else None
        for _, _, target in synth.ROLE_RE.findall(text):
            if target in boxes or target in labels:  # a chapter's own names, never another copy's
                assert (target.rsplit("-", 1)[1] if copy else target) == (copy or target)
    index = (book.srcdir / "index.md").read_text(encoding="utf-8")
    assert "wei-3" in index and "appendix/colophon" in index


def test_pandoc_gets_the_same_words(tmp_path: Path) -> None:
    book = synth.make_book(DOCS, tmp_path / "docs", 1)
    text = synth.pandoc_markdown(book)
    assert "曹操サム・アルトマンの巧みな政治力" in text  # ruby reduced to its base text
    assert "historical: 魏" in text
    assert not re.search(r"\{[a-z-]+\}`|^\([\w-]+\)=$|:::\{|<曹操>", text, re.M)


@pytest.mark.slow
def test_synthetic_book_builds_without_warnings(tmp_path: Path) -> None:
    book = synth.make_book(DOCS, tmp_path / "docs", 2)
    make("html", SOURCEDIR=book.srcdir, BUILDDIR=tmp_path / "build")  # -W: duplicates fail
    html = (tmp_path / "build" / "html" / "wei-2.html").read_text(encoding="utf-8")
    assert 'id="analogy-wei-2"' in html and "魏 — OpenAI（2）" in html


@pytest.mark.slow
def test_smoke_run_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--sizes", "1", "--editions", "html,epub", "--repeats", "1", "--no-plot"]
    planted = tmp_path / "w" / "formats" / "from-an-earlier-run.fmt"  # cold: none is kept
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"")
    assert main([*argv, "--docs", str(DOCS), "--work", str(tmp_path / "w"), "--out", str(out)]) == 0
    assert not planted.exists()
    records = json.loads((out / "results.json").read_text(encoding="utf-8"))
    measured = {(r["edition"], r["scenario"]) for r in records}
    assert measured == {("html", s) for s in SCENARIOS} | {("epub", s) for s in SCENARIOS} | {
        ("pandoc-epub", "cold")
    }
    assert all(
        r["seconds"][0] > 0 and r["cpu"][0] > 0 and r["peak_kb"][0] > 10_000 for r in records
    )
    documents = len([p for p in DOCS.rglob("*.md") if "_original" not in p.parts])
    assert all(r["documents"] == documents for r in records)
    results = (out / "results.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| 1 \| {documents} \| html \|( [\d.]+ \|){{6}}", results, re.M)
    assert re.search(r"^\| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|", results, re.M)  # pandoc beside


@pytest.mark.slow
def test_targets_quick_run_says_met_or_missed_with_cpu_and_load(tmp_path: Path) -> None:
    """A ×1 run (`--quick`): the ×1 rows measured, with CPU, load and where the time went; an
    earlier ×100 row is not carried into a quick run's report."""
    out = tmp_path / "out"
    out.mkdir()
    earlier = {"wall": 90.0, "cpu": 100.0, "published": {"html": 10.0}, "load": [1.0, 1.1]}
    earlier["at"] = "2026-01-02 03:04 UTC"
    (out / "targets.json").write_text(json.dumps({"edit x100": [earlier]}), encoding="utf-8")
    argv = ["targets", "--quick", "--docs", str(DOCS), "--work", str(tmp_path / "w")]
    planted = tmp_path / "w" / "formats" / "from-an-earlier-run.fmt"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"")
    assert main([*argv, "--out", str(out)]) == 0
    # The run's formats are its own, dumped by its first build (not the user's cache).
    assert not planted.exists() and len(list(planted.parent.glob("*.fmt"))) >= 2
    runs = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    # Its one build from nothing is a machine's first (no kept preamble format).
    assert {"first x1", "edit x1", "pandoc-epub x1"} <= runs.keys()
    assert "edit x100" not in runs and "cold x1" not in runs  # a quick run stands alone
    edit = runs["edit x1"][0]
    assert edit["cpu"] > 0 and 0 < edit["published"]["html"] <= edit["wall"]
    # Every edition the edit changes is built again (a cover may find its spine unchanged).
    assert (
        {"html", "epub", "epub-tate", "pdf"} <= set(edit["published"]) <= {e.name for e in EDITIONS}
    )
    report = (out / "targets.md").read_text(encoding="utf-8")
    for target in (t for t in loop.TARGETS if t.size == 1 and t.scenario != "cold"):
        row = re.search(rf"^\| {re.escape(target.name)} \|.*$", report, re.M)
        assert row, target.name
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        assert float(cells[2]) > 0 and float(cells[3]) > 0 and "→" in cells[5], row[0]
        assert cells[6] == "met" or re.fullmatch(r"missed by [\d.]+ s \([\d.]+×\)", cells[6])
    assert "| one paragraph edited, ×100: every edition | ≤ 5 s | – |" in report
    assert "| cold `make book` (after `make clean`), ×1 | ≤ 5 s | – |" in report
    # Where the time went, as the build recorded it (sangokushi.build.timings).
    phases = {(p["edition"], p["name"]): p for p in edit["phases"]}
    assert {("html", "Sphinx read"), ("html", "Sphinx write"), ("epub", "waits for pdf")} <= set(
        phases
    )
    assert re.fullmatch(
        r"uplatex ×1 \([\d.]+ s\), 1 of \d+ chapters", phases["pdf", PASSES]["detail"]
    )
    assert phases["pdf", "dvipdfmx"]["detail"] == CUT
    assert phases["html", "Sphinx read"]["detail"] == "1 documents read"
    # After an edit the HTML's Sphinx runs first in the main thread (the PDFs' beside it, in a
    # forked process); from nothing, a reading PDF's (their LaTeX sooner; the vertical first).
    for scenario, editions in (("edit x1", {"html"}), ("first x1", {"pdf", "pdf-tate"})):
        in_main = [p for p in runs[scenario][0]["phases"] if p["main"]]
        assert min(in_main, key=lambda p: p["start"])["edition"] in editions
    assert re.search(r"^\| pandoc-epub x1 \| [\d.]+ \| [\d.]+ \|", report, re.M)
    # `make live`: a save while the preview runs, timed to the end of the build it starts.
    saved = runs["live x1"][0]
    assert saved["cpu"] > 0 and 0 < saved["published"]["html"] <= saved["wall"]
    assert {"html", "epub", "pdf"} <= set(saved["published"])
    phases = {(p["edition"], p["name"]): p for p in saved["phases"]}
    assert phases["html", "Sphinx read"]["detail"] == "1 documents read"


def test_targets_keep_the_sizes_not_measured_this_time() -> None:
    """`make bench BENCH_LOOP_ARGS='--sizes 1'` after a ×100 run: the ×100 rows stay, saying
    when they were measured, beside the ×1 rows just measured (the merge and the report alone:
    the quick run above measures through the same main())."""
    earlier = {"wall": 90.0, "cpu": 100.0, "published": {"html": 10.0}, "load": [1.0, 1.1]}
    earlier["at"] = "2026-01-02 03:04 UTC"
    old = {**earlier, "wall": 9.0, "at": "2026-01-01 00:00 UTC"}
    new = {**earlier, "wall": 3.0, "at": "2026-02-03 04:05 UTC"}
    kept = {"edit x100": [earlier], "edit x1": [old]}
    runs = loop.merged(kept, {"edit x1": [new]}, quick=False)
    assert runs == {"edit x100": [earlier], "edit x1": [new]}
    assert loop.merged(kept, {"edit x1": [new]}, quick=True) == {"edit x1": [new]}
    report = loop.markdown(runs, "then")
    assert "| one paragraph edited, ×100: every edition | ≤ 5 s | 90.00 |" in report
    assert "1.0 → 1.1, 2026-01-02 03:04 UTC | missed by 85.00 s" in report


def _phase(edition: str, name: str, start: float, end: float, main: bool = True) -> dict:
    return {"edition": edition, "name": name, "start": start, "end": end, "main": main}


def test_a_missed_target_says_which_work_ended_it() -> None:
    """The "why" of a missed target follows the main thread's Sphinx runs to the edition
    built last, a wait for a PDF replaced by that PDF's LaTeX; for a whole build, whether its CPU
    time on the cores it had leaves any order that meets the goal; a met target says nothing."""
    phases = [
        _phase("html", "Sphinx write", 0.1, 1.0),
        _phase("pdf", "Sphinx write", 1.0, 2.0),
        _phase("pdf", PASSES, 2.0, 6.0, main=False),
        _phase("pdf-print", "Sphinx write", 2.0, 3.0),
        _phase("pdf-print", PASSES, 3.0, 9.0, main=False),
        _phase("epub", "waits for pdf", 3.0, 6.0),
        _phase("epub", "Sphinx write", 6.0, 8.0),
        _phase("cover", "waits for pdf-print", 8.0, 9.0),
        _phase("cover", PASSES, 9.0, 9.5, main=False),
    ]
    run = {"wall": 10.0, "cpu": 12.0, "published": {"html": 1.2}, "load": [1.0, 1.0], "cores": 4}
    runs = {"edit x1": [{**run, "phases": phases}]}
    rows = [
        tuple(c.strip() for c in line.split("|")[1:3])
        for line in loop.why(loop.Target("all", "edit", 1, loop.ALL, 2.0), runs)
        if re.match(r"\| [\w-]+ \| [A-Za-z]", line) and "edition" not in line
    ]
    assert rows == [
        ("html", "Sphinx write"),
        ("pdf", "Sphinx write"),
        ("pdf-print", "Sphinx write"),
        ("pdf", PASSES),
        ("epub", "waits for pdf"),
        ("epub", "Sphinx write"),
        ("pdf-print", PASSES),
        ("cover", "waits for pdf-print"),
        ("cover", PASSES),
    ]
    text = "\n".join(loop.why(loop.Target("all", "edit", 1, loop.ALL, 2.0), runs))
    assert "CPU time, 12.00 s on 4 cores, is 3.00 s for each core" in text
    assert "needs less work (under 8.00 CPU-s)" in text
    idle = {"edit x1": [{**run, "cpu": 3.0, "phases": phases}]}
    text = "\n".join(loop.why(loop.Target("all", "edit", 1, loop.ALL, 2.0), idle))
    assert "0.75 s for each core" in text and "stood idle 37.00 core-s of the 10.00 s" in text
    html = loop.why(loop.Target("html", "edit", 1, "html", 1.0), runs)
    assert not any("for each core" in line for line in html)
    assert "html was done 1.00 s into the build's phases, 1.20 s after" in "".join(html)
    assert loop.why(loop.Target("met", "edit", 1, loop.ALL, 60.0), runs) == []
    assert [loop.chain([Phase(**p) for p in phases], "html")[0].name] == ["Sphinx write"]


def test_vivliostyle_runs_on_debians_chromium(tmp_path: Path) -> None:
    """`make bench` installs Vivliostyle CLI without its own browser (sangokushi.sysdeps): its
    build is told where Debian's Chromium is."""
    import shutil

    (command,) = loop.peer_command("vivliostyle-pdf", tmp_path / "book.md", tmp_path, "本")
    assert command[:3] == ["vivliostyle", "build", str(tmp_path / "book.md")]
    assert command[-2:] == ["--executable-browser", shutil.which("chromium")]
