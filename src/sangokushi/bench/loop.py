"""The author's edit loop against issue 21's targets: cold `make book`, one paragraph edited."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sangokushi.bench.report import machine
from sangokushi.bench.run import build_env, forget_formats, peer_commands
from sangokushi.bench.synth import Book, edit_paragraph, make_book, pandoc_markdown
from sangokushi.build import timings
from sangokushi.build.preview import ENDED
from sangokushi.facts import load

# An edition published: ``sangokushi: NAME: PATH (N.N s)``.
PUBLISHED = re.compile(r"^sangokushi: ([\w-]+): .* \([\d.]+ s\)$")
# `sangokushi preview`'s line at the end of each build.
PREVIEW_ENDED = re.compile(rf"^sangokushi: {ENDED} \S+: (built|build failed) \([\d.]+ s\)$")
ALL = "all"
# How long a preview build (×1) may take, and the pause before each save (the watcher at rest).
LIVE_TIMEOUT = 120
LIVE_SETTLE = 1.0


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: a build of a book ×``size``, until ``until`` is published."""

    name: str
    # first (no kept preamble formats) | cold (an empty BUILDDIR) | edit | live (an edit saved
    # while `sangokushi preview` runs, what `make live` runs: from the save)
    scenario: str
    size: int
    until: str  # an edition, or ALL: the build's end
    seconds: float


TARGETS = (
    Target("first `make book` on a machine, ×1", "first", 1, ALL, 5.0),
    Target("cold `make book` (after `make clean`), ×1", "cold", 1, ALL, 5.0),
    Target("one paragraph edited, ×1: HTML published", "edit", 1, "html", 1.0),
    Target("one paragraph edited, ×1: every edition", "edit", 1, ALL, 2.0),
    Target("one paragraph edited, ×100: every edition", "edit", 100, ALL, 5.0),
    Target("one paragraph saved in `make live`, ×1: HTML published", "live", 1, "html", 1.0),
    Target("one paragraph saved in `make live`, ×1: every edition", "live", 1, ALL, 2.0),
)


@dataclass
class Run:
    """One timed build: wall and CPU seconds, when each edition was published, the load."""

    wall: float
    cpu: float
    published: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    phases: list[dict] = field(default_factory=list)  # what the build left (build.timings)
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run ``command``; the time each ``sangokushi: EDITION: … (N s)`` line came, from its start."""
    before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    published: dict[str, float] = {}
    said: list[str] = []
    for line in proc.stdout:
        said.append(line)
        if found := PUBLISHED.match(line.strip()):
            published[found[1]] = round(time.perf_counter() - start, 3)
    # wait4's rusage covers the child and every descendant it waited for (TeX, dvipdfmx).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{''.join(said)[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(round(wall, 3), round(cpu, 3), published, (before, os.getloadavg()[0]))


def cpu_seconds(pid: int) -> float:
    """User + system seconds of process ``pid`` and of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Live:
    """`sangokushi preview` of a book (what `make live` runs), its lines read as they come."""

    def __init__(self, srcdir: Path, builddir: Path, env: dict[str, str], cwd: Path) -> None:
        command = [sys.executable, "-m", "sangokushi", "preview", str(srcdir)]
        self.process = subprocess.Popen(
            [*command, "--builddir", str(builddir), "--port", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self.said: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.strip()))
        self.lines.put((time.perf_counter(), None))

    def built(self, since: float) -> tuple[dict[str, float], float]:
        """Wait for the end of a build: each edition published, and the end, in seconds from
        ``since`` (``time.perf_counter()``)."""
        published: dict[str, float] = {}
        while True:
            at, line = self.lines.get(timeout=LIVE_TIMEOUT)
            if line is None:
                raise RuntimeError("sangokushi preview ended:\n" + "\n".join(self.said[-30:]))
            self.said.append(line)
            if ended := PREVIEW_ENDED.match(line):
                if ended[1] != "built":
                    raise RuntimeError("\n".join(self.said[-30:]))
                return published, round(at - since, 3)
            if found := PUBLISHED.match(line):
                published[found[1]] = round(at - since, 3)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def live(book: Book, builddir: Path, env: dict[str, str], cwd: Path, rounds: int) -> list[Run]:
    """``rounds`` paragraph edits saved while `sangokushi preview` runs on ``builddir`` (built
    already: its first build finds every edition up to date), each timed from the save to the
    build's end; CPU is the preview process's, its TeX included."""
    runs: list[Run] = []
    preview = Live(book.srcdir, builddir, env, cwd)
    try:
        preview.built(time.perf_counter())
        for round_ in range(rounds):
            time.sleep(LIVE_SETTLE)
            before, cpu = os.getloadavg()[0], cpu_seconds(preview.process.pid)
            saved = time.perf_counter()
            edit_paragraph(book, f"（保存{round_}）")
            published, wall = preview.built(saved)
            cpu = round(cpu_seconds(preview.process.pid) - cpu, 3)
            run = Run(wall, cpu, published, (before, os.getloadavg()[0]))
            run.phases = [asdict(p) for p in timings.load(builddir / "work" / timings.FILE)]
            runs.append(run)
    finally:
        preview.stop()
    return runs


def build_command(srcdir: Path, builddir: Path) -> list[str]:
    """`make book`'s command: every edition the book asks for."""
    return [sys.executable, "-m", "sangokushi", "build", str(srcdir), "--builddir", str(builddir)]


def peers(quick: bool) -> list[str]:
    """pandoc's EPUB (and LuaLaTeX PDF), and Vivliostyle's PDF when it is installed."""
    found = ["pandoc-epub"] if shutil.which("pandoc") else []
    if not quick and shutil.which("pandoc"):
        found.append("pandoc-pdf")
    if not quick and shutil.which("vivliostyle"):
        found.append("vivliostyle-pdf")
    return found


def peer_command(peer: str, markdown: Path, outdir: Path, title: str) -> list[list[str]]:
    if peer == "vivliostyle-pdf":
        command = ["vivliostyle", "build", str(markdown), "-o", str(outdir / "vivliostyle.pdf")]
        # Debian's Chromium: its npm package's own download is skipped (sangokushi.sysdeps).
        if browser := shutil.which("chromium"):
            command += ["--executable-browser", browser]
        return [command]
    return peer_commands(peer, markdown, outdir, title)


def measure(
    docs: Path,
    work: Path,
    sizes: Sequence[int],
    repeats: int,
    quick: bool,
    log: Callable[[str], None] = print,
) -> dict[str, list[dict]]:
    """Each size in ``repeats`` rounds: a machine's first build (×1), a cold build (an empty
    BUILDDIR, the preamble formats kept), one paragraph edited and built again, then the peers
    on the same text; every run as ``{"<scenario> x<size>": [runs]}``."""
    env = build_env(work)
    runs: dict[str, list[dict]] = {}
    for size in sizes:
        book = make_book(docs, work / f"x{size}" / "docs", size)
        original = book.paragraph_doc.read_bytes()
        markdown = work / f"x{size}" / "book.md"
        markdown.write_text(pandoc_markdown(book), encoding="utf-8")
        builddir = work / f"x{size}" / "build-loop"
        title = load(book.srcdir).title
        # Preamble formats are kept by preamble, whatever the book's size: a machine's first
        # build is measured at ×1 (a quick run's only build from nothing).
        if quick:
            scenarios = ("first", "edit")
        else:
            scenarios = ("first", "cold", "edit") if size == 1 else ("cold", "edit")
        for round_ in range(repeats):
            book.paragraph_doc.write_bytes(original)
            for scenario in scenarios:
                if scenario == "first":
                    forget_formats(env)
                if scenario != "edit":
                    shutil.rmtree(builddir, ignore_errors=True)
                else:
                    edit_paragraph(book, f"（改稿{round_}）")
                run = timed(build_command(book.srcdir, builddir), env, work)
                run.phases = [asdict(p) for p in timings.load(builddir / "work" / timings.FILE)]
                runs.setdefault(f"{scenario} x{size}", []).append(asdict(run))
                log(f"x{size} {scenario}: {run.wall:.2f} s (CPU {run.cpu:.2f} s) {run.published}")
            for peer in peers(quick):
                outdir = builddir / "peer"
                outdir.mkdir(exist_ok=True)
                commands = peer_command(peer, markdown, outdir, title)
                started, cpu = time.perf_counter(), 0.0
                before = os.getloadavg()[0]
                for command in commands:
                    cpu += timed(command, env, work).cpu
                wall = time.perf_counter() - started
                peer_run = Run(round(wall, 3), round(cpu, 3), {}, (before, os.getloadavg()[0]))
                runs.setdefault(f"{peer} x{size}", []).append(asdict(peer_run))
                log(f"x{size} {peer}: {wall:.2f} s (CPU {cpu:.2f} s)")
        if size == 1:
            for run in live(book, builddir, env, work, repeats):
                runs.setdefault(f"live x{size}", []).append(asdict(run))
                log(f"x{size} live: {run.wall:.2f} s (CPU {run.cpu:.2f} s) {run.published}")
        book.paragraph_doc.write_bytes(original)
        shutil.rmtree(builddir, ignore_errors=True)
    return runs


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(target: Target, runs: dict[str, list[dict]]) -> tuple[float, float, str] | None:
    """The median wall and CPU seconds of ``target``'s runs, and met or missed by how much."""
    found = runs.get(f"{target.scenario} x{target.size}")
    if not found:
        return None
    if target.until == ALL:
        wall = _median([r["wall"] for r in found])
    else:
        wall = _median([r["published"].get(target.until, float("nan")) for r in found])
    cpu = _median([r["cpu"] for r in found])
    if wall <= target.seconds:
        return wall, cpu, "met"
    return wall, cpu, f"missed by {wall - target.seconds:.2f} s ({wall / target.seconds:.2f}×)"


def markdown(runs: dict[str, list[dict]], when: str) -> str:
    """The targets met or missed, each edition's publishing time, the peers beside."""
    lines = [
        "# The edit loop: `make bench` against issue 21's targets",
        "",
        "Generated by `make bench` (`python -m sangokushi.bench targets`) from",
        f"`bench/targets.json`, {when}, on {machine()}.",
        "Medians of the rounds; CPU is user + system time of every process of the build",
        "(`sangokushi build DIR`, what `make book` runs; for `make live`, `sangokushi preview`",
        "during the build, timed from the save); load is the 1-minute load average",
        "before → after the runs (2 cores: above 2, wall times are inflated by other work).",
        "",
        "| target | goal | wall s | CPU s | rounds | load | verdict |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for target in TARGETS:
        found = verdict(target, runs)
        if found is None:
            goal = f"≤ {target.seconds:g} s"
            lines.append(f"| {target.name} | {goal} | – | – | 0 | – | not measured |")
            continue
        wall, cpu, said = found
        rounds = runs[f"{target.scenario} x{target.size}"]
        load = f"{rounds[0]['load'][0]:.1f} → {rounds[-1]['load'][1]:.1f}"
        if "at" in rounds[-1]:
            load += f", {rounds[-1]['at']}"
        lines.append(
            f"| {target.name} | ≤ {target.seconds:g} s | {wall:.2f} | {cpu:.2f} | "
            f"{len(rounds)} | {load} | {said} |"
        )
    lines += [
        "",
        "When each edition was published, seconds from the build's start (medians):",
        "",
    ]
    keyed = [k for k in runs if k.startswith(("first ", "cold ", "edit ", "live "))]
    editions = sorted({e for k in keyed for r in runs[k] for e in r["published"]})
    lines.append("| build | " + " | ".join(editions) + " | all done | CPU s |")
    lines.append("|---|" + "---:|" * (len(editions) + 2))
    for key in keyed:
        cells = [
            f"{_median([r['published'][e] for r in runs[key] if e in r['published']]):.2f}"
            if any(e in r["published"] for r in runs[key])
            else "–"
            for e in editions
        ]
        wall = _median([r["wall"] for r in runs[key]])
        cpu = _median([r["cpu"] for r in runs[key]])
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {wall:.2f} | {cpu:.2f} |")
    peers_run = [k for k in runs if k not in keyed]
    if peers_run:
        lines += [
            "",
            "The peers on the same text in the same run (a whole build each time: they have no",
            "incremental build, so an edit costs what a cold build costs):",
            "",
            "| peer | wall s | CPU s | rounds | load |",
            "|---|---:|---:|---:|---|",
        ]
        for key in peers_run:
            wall = _median([r["wall"] for r in runs[key]])
            cpu = _median([r["cpu"] for r in runs[key]])
            load = f"{runs[key][0]['load'][0]:.1f} → {runs[key][-1]['load'][1]:.1f}"
            lines.append(f"| {key} | {wall:.2f} | {cpu:.2f} | {len(runs[key])} | {load} |")
    if not shutil.which("vivliostyle"):
        lines += ["", "Vivliostyle is not installed here: not measured."]
    for target in TARGETS:
        lines += why(target, runs)
    return "\n".join(lines) + "\n"


def _median_run(found: list[dict]) -> dict:
    """The round whose wall time is the median's (the lower one of an even count)."""
    ordered = sorted(found, key=lambda r: r["wall"])
    return ordered[(len(ordered) - 1) // 2]


def chain(phases: list[timings.Phase], edition: str) -> list[timings.Phase]:
    """The path of work that decided when ``edition`` was published: the main thread's phases
    (one edition's Sphinx after another) up to its own, each wait for a PDF replaced by that
    PDF's work in the background, then its own background work (LaTeX, publishing)."""
    own_main = [p.end for p in phases if p.edition == edition and p.main]
    until = max(own_main, default=0.0)
    path: list[timings.Phase] = []
    for phase in sorted((p for p in phases if p.main and p.end <= until), key=lambda p: p.start):
        waited = phase.name.removeprefix("waits for ")
        if waited != phase.name and phase.end - phase.start >= 0.05:
            path += [
                p
                for p in phases
                if p.edition == waited and not p.main and phase.start < p.end <= phase.end + 0.01
            ]
        path.append(phase)
    return path + [p for p in phases if p.edition == edition and not p.main]


def why(target: Target, runs: dict[str, list[dict]]) -> list[str]:
    """For a missed target: where the time of its median round went, from the phases the build
    recorded (sangokushi.build.timings): the chain of work that ended it, and every phase's
    seconds summed by kind."""
    found = verdict(target, runs)
    rounds = runs.get(f"{target.scenario} x{target.size}", [])
    if found is None or found[2] == "met":
        return []
    run = _median_run(rounds)
    phases = [timings.Phase(**p) for p in run.get("phases", [])]
    title = f"### Why: {target.name} ({found[2]})"
    if not phases:
        return ["", title, "", "No phases were recorded in this round (measured before they were)."]
    if target.until == ALL:
        # An edition found up to date only waited: the last one built ended the build.
        built = [p for p in phases if not p.name.startswith("waits for ")]
        if not built:
            return ["", title, "", "No edition was built in this round."]
        edition = max(built, key=lambda p: p.end).edition
        wall = run["wall"]
    else:
        edition = target.until
        wall = run["published"].get(edition, 0.0)
    until = max(p.end for p in phases if p.edition == edition)
    after = (
        "the save (the watcher waits for the writes to end before the phases)"
        if target.scenario == "live"
        else "the command started (Python's start-up and imports come before the phases)"
    )
    lines = [
        "",
        title,
        "",
        f"The round of median wall time ({run['wall']:.2f} s, CPU {run['cpu']:.2f} s, load "
        f"{run['load'][0]:.1f} → {run['load'][1]:.1f}): {edition} was done {until:.2f} s into "
        f"the build's phases, {wall:.2f} s after {after}. The work that decided it, in "
        "order: the main "
        "thread's, a wait for a PDF replaced by that PDF's work in the background; the other "
        "editions' background LaTeX shares the 2 cores with it:",
        "",
        "| edition | phase | from s | to s | s | detail |",
        "|---|---|---:|---:|---:|---|",
    ]
    if target.until == ALL:
        lines[3:3] = [*floor(run, target.seconds), ""]
    for p in chain(phases, edition):
        if p.end - p.start >= 0.01:
            lines.append(
                f"| {p.edition} | {p.name} | {p.start:.2f} | {p.end:.2f} | "
                f"{p.end - p.start:.2f} | {p.detail} |"
            )
    by_kind: dict[str, float] = {}
    for p in phases:
        if not p.name.startswith("waits for "):
            by_kind[p.name] = by_kind.get(p.name, 0.0) + p.end - p.start
    busy = sorted(by_kind.items(), key=lambda kv: -kv[1])
    lines += [
        "",
        "Every edition's phases, seconds summed by kind (wall time of each phase; phases in",
        "the background overlap): "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in busy if seconds >= 0.01)
        + ".",
    ]
    return lines


def floor(run: dict, goal: float) -> list[str]:
    """Whether a whole build's CPU time alone misses ``goal``: spread over every core with none
    idle, the work of ``run`` takes CPU ÷ cores; above the goal, no order of it meets the goal."""
    cores = run.get("cores") or os.cpu_count() or 1
    least = run["cpu"] / cores
    said = (
        f"Its CPU time, {run['cpu']:.2f} s on {cores} cores, is {least:.2f} s for each core: "
        "no order of the same work ends sooner. "
    )
    if least > goal:
        said += f"The goal needs less work (under {goal * cores:.2f} CPU-s), not another order."
    else:
        idle = run["wall"] * cores - run["cpu"]
        said += (
            f"That is within the goal: the cores stood idle {idle:.2f} core-s of the "
            f"{run['wall']:.2f} s, while work waited for other work (the chain below)."
        )
    return [said]


def merged(kept: dict[str, list[dict]], runs: dict[str, list[dict]], quick: bool) -> dict:
    """This run's measurements; beside them the sizes not measured this time, as they were
    measured before (each run says when), unless this is a ``--quick`` run (×1 alone)."""
    return {**{k: v for k, v in kept.items() if k not in runs and not quick}, **runs}


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sangokushi.bench targets", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="×1 only, one round, pandoc's EPUB")
    parser.add_argument("--sizes", default="1,100", help="book sizes (× the chapters)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per size")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the book's sources")
    parser.add_argument("--work", type=Path, default=Path("build/bench"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="results folder")
    args = parser.parse_args(argv)
    sizes = [1] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    repeats = 1 if args.quick else args.repeats
    if not (args.docs / "conf.py").is_file():
        parser.error(f"{args.docs}/conf.py not found: --docs names the book's source folder")
    runs = measure(args.docs.resolve(), args.work.resolve(), sizes, repeats, args.quick)
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for found in runs.values():
        for run in found:
            run["at"] = now
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "targets.json"
    kept = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else {}
    runs = merged(kept, runs, args.quick)
    results.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    times = sorted({r.get("at", "earlier") for found in runs.values() for r in found})
    (args.out / "targets.md").write_text(markdown(runs, ", ".join(times)), encoding="utf-8")
    print(f"bench: {args.out / 'targets.md'}")
    return 0
