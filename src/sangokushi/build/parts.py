"""A book's LaTeX set by chapters: after an edit, TeX sets only the chapters that changed."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sangokushi.build import dvisplice, reruns
from sangokushi.build.publish import write_whole
from sangokushi.build.stamps import file_digest
from sangokushi.latexmarks import BOOK_PACKAGE, PART_AFTER, PART_END, PART_LOG, SOURCE_MARK

# Beside ``book.tex`` as Sphinx wrote it (the folder's one .tex): the main file TeX sets
# (``book-main.ltx``, job name ``book``), the chapters it includes (``book-parts/NAME.tex``),
# what the last run that set the book whole or spliced it left (``book.parts.json``), the
# \includeonly of a run that sets some chapters alone (``book-only.tex``) and the book's DVI
# kept during that run.
MAIN, PARTS, RECORD, ONLY, WHOLE = "-main", "-parts", ".parts.json", "-only", ".whole.dvi"
# A document's LaTeX as Sphinx writes it: its scope, then its source.
DOCUMENT = re.compile(r"\\sphinxstepscope\n+" + re.escape(SOURCE_MARK) + r"(?P<source>\S+)\n")
# A document that begins a chapter (or a part) begins a page: only there may a chapter be
# included (\include begins a page too).
OPENS_PAGE = re.compile(
    r"(?:\s|%[^\n]*\n)*(?:\\clearpage\\phantomsection[^\n]*\n\s*)?\\(?:chapter|part)\b"
)
# What a chapter may do that later chapters see, and LaTeX does not restore where a run skips
# it: a chapter after one that does is never set alone. A chapter that changes the page
# numbering (hyperref's page labels, in the main .aux) is set with the whole book.
LASTING = re.compile(
    r"\\(?:gdef|xdef|global|newcommand|renewcommand|providecommand|DeclareRobustCommand"
    r"|newcounter|newlength|setlength|addtolength|pagestyle|pagenumbering|appendix"
    r"|backmatter|mainmatter|makeatletter|let|def)\b"
)
# The pattern Sphinx writes for a box's label: a \def inside a group, which lasts no longer.
LOCAL_DEF = re.compile(r"\\begingroup\\expandafter\\def\\csname @currentlabel\\endcsname")
SET_WHOLE = re.compile(r"\\(?:pagenumbering|appendix)\b")
# In the main .aux, what a run that sets some chapters alone writes otherwise than a whole run:
# hyperref's page labels (a jump in the folios where skipped pages are) and the page count.
PARTIAL_AUX = re.compile(r"^(?:\\HyPL@Entry|\\gdef \\@abspage@last).*\n", re.MULTILINE)


def parts_folder(tex: Path) -> Path:
    """Where ``tex``'s chapters are."""
    return tex.with_name(tex.stem + PARTS)


def part_file(tex: Path, name: str) -> Path:
    """The file of ``tex``'s chapter ``name``."""
    return parts_folder(tex) / f"{name}.tex"


def main_file(tex: Path) -> Path:
    """The file TeX sets for ``tex`` split into chapters."""
    return tex.with_name(tex.stem + MAIN + ".ltx")


def aux_files(tex: Path) -> list[Path]:
    """Where TeX keeps ``tex``'s labels: its .aux, and each chapter's set apart."""
    folder = parts_folder(tex)
    return [tex.with_suffix(".aux"), *sorted(folder.glob("*.aux"))]


def split(tex: Path) -> list[str]:
    """Split ``tex`` into a main file (``main_file``) that includes each chapter from a file
    of its own; the chapters' names, in order; none when ``tex`` has no chapters or is not
    set in the book's style (no main file then). The main file's lines up to the first
    chapter are ``tex``'s."""
    text = tex.read_text(encoding="utf-8")
    folder = parts_folder(tex)
    starts = [m for m in DOCUMENT.finditer(text) if OPENS_PAGE.match(text, m.end())]
    if not starts or f"\\usepackage{{{BOOK_PACKAGE}}}" not in text:
        main_file(tex).unlink(missing_ok=True)
        return []
    end = text.index("\\end{document}")
    folder.mkdir(exist_ok=True)
    names: list[str] = []
    main = [text[: starts[0].start()]]
    for match, after in zip(starts, [*starts[1:], None], strict=True):
        name = re.sub(r"[^A-Za-z0-9-]", "_", Path(match["source"]).with_suffix("").as_posix())
        while name in names:
            name += "_"
        names.append(name)
        body = text[match.start() : after.start() if after else end]
        chapter = (
            f"\\typeout{{{PART_LOG}{name}}}{body}{PART_END}{{{name}}}\\typeout{{{PART_LOG}}}\n"
        )
        path = folder / f"{name}.tex"
        if not path.is_file() or path.read_text(encoding="utf-8") != chapter:
            write_whole(path, chapter)
        main.append(f"\\include{{{folder.name}/{name}}}{PART_AFTER}{{{name}}}\n")
    main.append(text[end:])
    only = f"\\InputIfFileExists{{{tex.stem}{ONLY}}}{{}}{{}}\\begin{{document}}"
    write_whole(main_file(tex), "".join(main).replace("\\begin{document}", only, 1))
    for stale in set(folder.glob("*.tex")) - {folder / f"{n}.tex" for n in names}:
        stale.unlink()
    return names


@dataclass
class Plan:
    """The chapters to set alone, every chapter's name in order, and the files a run by
    chapters changes as they were before it."""

    tex: Path
    changed: list[str]
    names: list[str]
    kept: dict[Path, bytes]

    def settable(self, chosen: set[str]) -> bool:
        """Whether ``chosen`` may be set alone: no chapter before them leaves what lasts,
        none of them changes the page numbering."""
        first = min(self.names.index(name) for name in chosen)
        if any(_lasting(self.text(name)) for name in self.names[:first]):
            return False
        for name in chosen:
            text = self.text(name)
            if SET_WHOLE.search(text) or (_lasting(text) and name != self.names[-1]):
                return False
        return True

    def text(self, name: str) -> str:
        return part_file(self.tex, name).read_text(encoding="utf-8")


def plan(tex: Path, names: list[str]) -> Plan | None:
    """The chapters that changed since the last run left the book's DVI, when only they
    need setting; None when the book is set whole."""
    tex.with_name(tex.stem + ONLY + ".tex").unlink(missing_ok=True)
    if not names:
        return None
    try:
        last = json.loads(tex.with_suffix(RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    now = state(tex, names)
    if last.get("main") != now["main"] or last.get("dvi") != now["dvi"] or not now["dvi"]:
        return None
    if list(last.get("parts", {})) != names:
        return None
    changed = [n for n in names if last["parts"][n] != now["parts"][n]]
    if not changed:
        return None
    folder = parts_folder(tex)
    files = [tex.with_suffix(s) for s in (".aux", ".out", ".toc", ".folios")]
    files += [folder / f"{name}.aux" for name in names]
    kept = {path: path.read_bytes() for path in files if path.is_file()}
    if len(kept) != len(files):
        return None
    chosen = Plan(tex, changed, names, kept)
    return chosen if chosen.settable(set(changed)) else None


def _lasting(text: str) -> bool:
    return bool(LASTING.search(LOCAL_DEF.sub("", text)))


def state(tex: Path, names: list[str]) -> dict[str, object]:
    """The digests of the main file, each chapter's file and the DVI."""
    folder = parts_folder(tex)
    return {
        "main": file_digest(main_file(tex)),
        "parts": {name: file_digest(folder / f"{name}.tex") for name in names},
        "dvi": file_digest(tex.with_suffix(".dvi")),
    }


def remember(tex: Path, names: list[str]) -> None:
    """Record the state a whole (or spliced) run left, for the next run's ``plan``."""
    if names:
        write_whole(tex.with_suffix(RECORD), json.dumps(state(tex, names)))


def forget(tex: Path) -> None:
    tex.with_suffix(RECORD).unlink(missing_ok=True)


def clear(folder: Path) -> None:
    """Remove what TeX's runs by chapters left in ``folder`` (after a run cut short)."""
    for path in folder.glob(f"*{PARTS}/*.aux"):
        path.unlink()
    for pattern in (f"*{RECORD}", f"*{ONLY}.tex", f"*{WHOLE}"):
        for path in folder.glob(pattern):
            path.unlink()


# A label as hyperref writes it in an .aux: its key, then what it stands for (number, page…).
LABEL = re.compile(r"^\\newlabel\{(?P<key>[^{}\\]+)\}.*\n", re.MULTILINE)
# Runs over the chapters set alone, and those that read a label they moved, before the book is
# set whole instead.
ROUNDS = 4


def _moved(before: str, after: str) -> set[str] | None:
    """The labels whose value ``after`` changed; None when anything else changed (a chapter's
    page count, its contents lines, a label added or gone)."""
    if LABEL.sub("", before) != LABEL.sub("", after):
        return None
    # A page ships its labels in the order they were put on it: the order may change.
    old = {m["key"]: m[0] for m in LABEL.finditer(before)}
    new = {m["key"]: m[0] for m in LABEL.finditer(after)}
    if old.keys() != new.keys():
        return None
    return {key for key in new if new[key] != old[key]}


def set_apart(
    plan: Plan, one_pass: Callable[[], subprocess.CompletedProcess[str]]
) -> reruns.Passes | None:
    """TeX over the changed chapters alone, their pages spliced into the book's DVI.

    A chapter whose labels moved to other pages sends the chapters that print them (the
    index) to the next run with it, until a run moves nothing more. A pass fails as a whole
    pass would. When a run changed more than labels (a chapter's page count, the contents),
    the files are put back as they were and None says the book is to be set whole.
    """
    tex = plan.tex
    only = tex.with_name(tex.stem + ONLY + ".tex")
    dvi, whole = tex.with_suffix(".dvi"), tex.with_suffix(WHOLE)
    folder = parts_folder(tex)
    aux, out = tex.with_suffix(".aux"), tex.with_suffix(".out")
    forget(tex)
    dvi.replace(whole)
    passes, chosen = reruns.Passes(), set(plan.changed)
    kept = {n: plan.kept[folder / f"{n}.aux"].decode("utf-8") for n in plan.names}
    current, texts = dict(kept), {}
    settled = False
    for _ in range(ROUNDS):
        # Each run reads the bookmarks and page labels the whole book's last run wrote: a run
        # by chapters writes only its own.
        for path in (aux, out):
            write_whole(path, plan.kept[path])
        listed = ",".join(f"{folder.name}/{n}" for n in plan.names if n in chosen)
        write_whole(only, f"\\includeonly{{{listed}}}\n")
        try:
            start = time.monotonic()
            passes.last = one_pass()
            passes.times.append(time.monotonic() - start)
        finally:
            only.unlink(missing_ok=True)
        if passes.failed:
            whole.unlink(missing_ok=True)
            return passes
        now = {n: (folder / f"{n}.aux").read_text(encoding="utf-8") for n in chosen}
        if any(_moved(kept[n], now[n]) is None for n in chosen):
            break
        moved = set().union(*(_moved(current[n], now[n]) or set() for n in chosen))
        current.update(now)
        if moved and not texts:
            texts = {n: plan.text(n) for n in plan.names}
            texts[""] = main_file(tex).read_text(encoding="utf-8")
        # This run's chapters read the labels as the last run left them: those that read a
        # label it moved are set again, with the main file (set every run).
        readers = {n for n, text in texts.items() if any(key in text for key in moved)}
        if not readers:
            settled = True
            break
        readers.discard("")
        if not plan.settable(chosen | readers):
            break
        chosen |= readers
    toc = tex.with_suffix(".toc")
    same = (
        settled
        and toc.read_bytes() == plan.kept[toc]
        and PARTIAL_AUX.sub("", aux.read_text(encoding="utf-8"))
        == PARTIAL_AUX.sub("", plan.kept[aux].decode("utf-8"))
    )
    spliced = None
    if same:
        try:
            spliced = dvisplice.splice(whole.read_bytes(), dvi.read_bytes())
        except (OSError, ValueError):
            spliced = None
    for path in (aux, out):
        write_whole(path, plan.kept[path])
    if spliced is None:
        whole.replace(dvi)
        return None
    folios = tex.with_suffix(".folios")
    write_whole(folios, _merged(plan.kept[folios].decode("utf-8"), folios.read_text("utf-8")))
    write_whole(dvi, spliced)
    whole.unlink()
    plan.changed = [n for n in plan.names if n in chosen]
    return passes


def _merged(book: str, alone: str) -> str:
    """The book's list of shipped pages with the lines of the pages set alone put in, and
    where the 奥付 begins if it was set alone."""

    def key(line: str) -> tuple[str, ...]:
        words = line.split()
        return tuple(words[:2]) if words[:1] == ["page"] else tuple(words[:1])

    new = {key(line): line for line in alone.splitlines()}
    lines = [new.get(key(line), line) for line in book.splitlines()]
    return "".join(f"{line}\n" for line in lines)
