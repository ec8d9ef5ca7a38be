"""Time each edition of synthetic books (cold, warm, no change, edits) and pandoc beside them."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sangokushi.bench.synth import edit_box, edit_paragraph, make_book, pandoc_markdown
from sangokushi.build import registry
from sangokushi.build.latex import texmf_environ
from sangokushi.build.stamps import FORMATS_VARIABLE
from sangokushi.facts import load

SCENARIOS = ("cold", "warm", "nochange", "paragraph", "box")
# The registry's editions, and html-stock: the HTML edition with the theme's own sidebar.
EDITIONS = (*(e.name for e in registry.EDITIONS), "html-stock")
# The peer that builds the same kind of output from the same text, run right after our cold
# build of that edition, in turns: for the edition of each format that Read the Docs offers
# (the horizontal EPUB, the A5 PDF).
PEERS = {e.name: f"pandoc-{e.form}" for e in registry.EDITIONS if e.readthedocs in ("epub", "pdf")}
# html-stock: the HTML edition with the theme's own per-page sidebar (before issue 13).
STOCK_OPTS = ("-D", "navigation_cache=0")


@dataclass
class Record:
    """The runs of one edition at one size in one scenario."""

    size: int
    documents: int
    edition: str
    scenario: str
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds, all processes

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.size, self.edition, self.scenario)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self) -> dict:
        return asdict(self)

    def add(self, seconds: float, peak_kb: int, cpu: float) -> None:
        self.seconds.append(round(seconds, 3))
        self.peak_kb.append(peak_kb)
        self.cpu.append(round(cpu, 3))


def _show(seconds: float, peak_kb: int, cpu: float) -> str:
    return f"{seconds:.2f} s (CPU {cpu:.2f} s), {peak_kb // 1024} MiB"


def run(
    commands: Sequence[Sequence[str]], env: dict[str, str], cwd: Path
) -> tuple[float, int, float]:
    """Wall time of ``commands`` one after the other, the largest process's peak RSS (KiB)
    and the CPU time (user + system) of every process they ran."""
    start, peak, cpu = time.perf_counter(), 0, 0.0
    for command in commands:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert proc.stdout is not None
        output = proc.stdout.read()
        # wait4's rusage covers the child and every descendant it waited for (make, TeX).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss)
        cpu += usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            tail = output.decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{tail}")
    return time.perf_counter() - start, peak, cpu


def edition_commands(edition: str, srcdir: Path, builddir: Path) -> list[list[str]]:
    """The command that builds ``edition`` of ``srcdir`` into ``builddir``, as ``make`` does."""
    name, opts = ("html", STOCK_OPTS) if edition == "html-stock" else (edition, ())
    command = [sys.executable, "-m", "sangokushi", "build", str(srcdir), name]
    command += ["--builddir", str(builddir)]
    return [command + ([f"--sphinxopts={' '.join(opts)}"] if opts else [])]


def peer_commands(peer: str, markdown: Path, outdir: Path, title: str = "book") -> list[list[str]]:
    """pandoc on the same text: EPUB, or PDF through LuaLaTeX with LuaTeX-ja's book class."""
    meta = ["--metadata", f"title={title}", "--metadata", "lang=ja"]
    if peer == "pandoc-epub":
        return [["pandoc", str(markdown), "-o", str(outdir / "pandoc.epub"), *meta]]
    return [
        [
            "pandoc",
            str(markdown),
            "-o",
            str(outdir / "pandoc.pdf"),
            "--pdf-engine=lualatex",
            "-V",
            "documentclass=ltjsbook",
            "-V",
            "classoption=a5paper,10pt",
            "-V",
            "mainfont=TeX Gyre Termes",
            *meta,
        ]
    ]


def build_env(work: Path) -> dict[str, str]:
    """The builds' environment: LuaLaTeX's font cache, a fixed SOURCE_DATE_EPOCH, the preamble
    formats kept in ``work`` (not the user's: `forget_formats` empties them), and Python
    keeping its bytecode as on an author's machine (a sandbox or CI may tell it not to: each
    build would then compile the toolkit's modules again, 0.13 s)."""
    env = texmf_environ(dict(os.environ))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("SOURCE_DATE_EPOCH", "1690000000")
    env[FORMATS_VARIABLE] = str(work / "formats")
    return env


def forget_formats(env: dict[str, str]) -> None:
    """No kept preamble format: the next build is a machine's first."""
    shutil.rmtree(env[FORMATS_VARIABLE], ignore_errors=True)


def _touch_all(srcdir: Path) -> None:
    now = time.time()
    for path in srcdir.rglob("*.md"):
        os.utime(path, (now, now))


def measure_size(
    docs: Path,
    work: Path,
    size: int,
    editions: Sequence[str],
    scenarios: Sequence[str],
    repeats: int,
    peers: bool,
    log: Callable[[str], None] = print,
) -> Iterator[Record]:
    """Every edition of the book ×``size``: ``repeats`` rounds of the scenarios, cold first."""
    book = make_book(docs, work / f"x{size}" / "docs", size)
    env = build_env(work)
    originals = {p: p.read_bytes() for p in {book.paragraph_doc, book.box_doc}}
    markdown = work / f"x{size}" / "book.md"
    markdown.write_text(pandoc_markdown(book), encoding="utf-8")
    for edition in editions:
        records = {s: Record(size, book.documents, edition, s) for s in scenarios}
        peer = PEERS.get(edition) if peers else None
        peer_record = Record(size, book.documents, peer or "", "cold")
        builddir = work / f"x{size}" / f"build-{edition}"
        last = max(scenarios, key=SCENARIOS.index)
        for round_ in range(repeats):
            for path, data in originals.items():
                path.write_bytes(data)
            shutil.rmtree(builddir, ignore_errors=True)
            builddir.mkdir(parents=True)
            steps: list[tuple[str, Callable[[], None]]] = [
                ("cold", lambda: forget_formats(env)),  # as before formats were kept
                ("warm", lambda: _touch_all(book.srcdir)),
                ("nochange", lambda: None),
                ("paragraph", lambda r=round_: edit_paragraph(book, f"（改稿{r}）")),
                ("box", lambda r=round_: edit_box(book, f"・改{r}")),
            ]
            for scenario, prepare in steps:
                prepare()
                measured = run(edition_commands(edition, book.srcdir, builddir), env, work)
                if scenario in records:
                    records[scenario].add(*measured)
                    log(f"x{size} {edition} {scenario}: {_show(*measured)}")
                if scenario == "cold" and peer:
                    pandoc = peer_commands(peer, markdown, builddir, load(book.srcdir).title)
                    measured = run(pandoc, env, work)
                    peer_record.add(*measured)
                    log(f"x{size} {peer} cold: {_show(*measured)}")
                if scenario == last:
                    break
        for path, data in originals.items():
            path.write_bytes(data)
        shutil.rmtree(builddir, ignore_errors=True)
        yield from records.values()
        if peer:
            yield peer_record
