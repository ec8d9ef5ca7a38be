"""Read a LaTeX log for text set off the page, and name the source file it came from."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple

from sangokushi import latexmarks
from sangokushi.build.parts import part_file

# An overfull line sticks out past the margin. 1pt (0.35 mm, a tenth of a 9.5pt character) is
# below what an eye or a trimming knife can tell, and above the rounding of the Japanese JFM
# glue; anything wider is a glyph visibly past the text block, so it fails the build.
HBOX_THRESHOLD_PT = 1.0
# Any overfull page (\vbox) fails: its last lines are drawn below the bottom edge.
VBOX_THRESHOLD_PT = 0.0

# The LaTeX writer marks where each source document begins (sangokushi.book).
SOURCE_MARK = re.compile("^" + re.escape(latexmarks.SOURCE_MARK) + "(.+)$")
OVERFULL = re.compile(
    r"^Overfull \\(?P<box>[hv])box \((?P<pt>[\d.]+)pt too (?:wide|high)\) "
    r"(?:in paragraph at lines (?P<first>\d+)--\d+|in alignment at lines (?P<align>\d+)--\d+"
    r"|detected at line (?P<line>\d+)|has occurred while \\output is active)"
)
LINE_MENTION = re.compile(r"(?:on input line|at lines?) (\d+)")
# A glyph the font does not have is left out of the page; a font LaTeX substitutes sets
# text in another face or size than the book's.
MISSING = re.compile(r"^Missing character: There is no (?P<what>.+)!$")
FONT_WARNING = re.compile(r"^LaTeX Font Warning: (?P<what>.+)$")
FONT_SPEC = re.compile(r"\\[A-Z0-9]+/[^ ]*\([^)]*\)[^ ]* ?|\[\]|\|")


class Overflow(NamedTuple):
    """One place where TeX set material past the page or the margin."""

    kind: str  # "page" (overfull \vbox), "line" (overfull \hbox), "glyph" or "font"
    amount_pt: float
    tex_line: int | None
    source: str
    text: str

    def message(self) -> str:
        where = f"{self.source}" + (f" (LaTeX line {self.tex_line})" if self.tex_line else "")
        if self.kind == "page":
            what = f"page content {self.amount_pt:g}pt taller than the page: text below its edge"
        elif self.kind == "glyph":
            return f"{where}: a character left out, its font has no glyph for it: {self.text}"
        elif self.kind == "font":
            return f"{where}: LaTeX set text in a substitute font: {self.text}"
        else:
            what = f"line {self.amount_pt:g}pt past the margin"
        return f"{where}: {what}" + (f": {self.text}" if self.text else "")


PART = re.compile("^" + re.escape(latexmarks.PART_LOG) + r"(\S*)\s*$")


class Sources:
    """Which source document a line of the book's LaTeX is in: of the main file, or of a
    chapter's file while the log is inside it (sangokushi.build.parts)."""

    def __init__(self, tex: Path) -> None:
        self.tex = tex
        self.part = ""
        self._marks: dict[str, list[tuple[int, str]]] = {}

    def follow(self, log_line: str) -> bool:
        """Note a chapter's file beginning or ending at this line of the log."""
        if match := PART.match(log_line):
            self.part = match[1]
        return bool(match)

    def source(self, line: int | None) -> str:
        if self.part not in self._marks:
            path = part_file(self.tex, self.part) if self.part else self.tex
            try:
                self._marks[self.part] = source_of_lines(path)
            except OSError:
                self._marks[self.part] = []
        return _source(self._marks[self.part], line, self.tex.name)


def source_of_lines(tex: Path) -> list[tuple[int, str]]:
    """(first LaTeX line, source file) for each document in the LaTeX file, in order."""
    marks = []
    for number, line in enumerate(tex.read_text(encoding="utf-8").splitlines(), start=1):
        if match := SOURCE_MARK.match(line):
            marks.append((number, match[1]))
    return marks


def _source(marks: list[tuple[int, str]], line: int | None, default: str) -> str:
    if line is None:
        return default
    found = default
    for first, source in marks:
        if first <= line:
            found = source
    return found


def _box_text(lines: list[str]) -> str:
    text = FONT_SPEC.sub("", " ".join(line.strip() for line in lines)).strip()
    return re.sub(r"\s+", " ", text)[:80]


def overflows(log: Path, tex: Path) -> list[Overflow]:
    """Every overfull page, and every line past the margin by more than the threshold."""
    sources = Sources(tex)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    found, last_line = [], None
    for index, line in enumerate(lines):
        if sources.follow(line):
            continue
        if other := MISSING.match(line) or FONT_WARNING.match(line):
            kind = "glyph" if other.re is MISSING else "font"
            parts = [other["what"]]
            for follow in lines[index + 1 :]:
                if kind == "glyph" or not follow.startswith("(Font)"):
                    break
                parts.append(follow.removeprefix("(Font)").strip())
            what = " ".join(parts)
            mention = LINE_MENTION.search(what)
            tex_line = int(mention[1]) if mention else last_line
            source = sources.source(tex_line)
            found.append(Overflow(kind, 0.0, tex_line, source, what[:120]))
            continue
        match = OVERFULL.match(line)
        if not match:
            if mention := LINE_MENTION.search(line):
                last_line = int(mention[1])
            continue
        amount = float(match["pt"])
        kind = "page" if match["box"] == "v" else "line"
        threshold = VBOX_THRESHOLD_PT if kind == "page" else HBOX_THRESHOLD_PT
        number = match["first"] or match["align"] or match["line"]
        tex_line = int(number) if number else last_line
        last_line = tex_line
        if amount <= threshold:
            continue
        content = []
        for follow in lines[index + 1 : index + 4]:
            if not follow.strip():
                break
            content.append(follow)
        source = sources.source(tex_line)
        overflow = Overflow(kind, amount, tex_line, source, _box_text(content))
        # TeX reports a table cell twice (the paragraph, then the row): keep one.
        if not found or found[-1][:2] + found[-1][3:] != overflow[:2] + overflow[3:]:
            found.append(overflow)
    return found


ERROR = re.compile(r"^! (?P<what>.+)$")
ERROR_LINE = re.compile(r"^l\.(?P<line>\d+) ")


def first_error(log: Path, tex: Path) -> str | None:
    """TeX's first error (``! …``) with the source document it stopped in, if the log has one."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    sources = Sources(tex)
    for index, line in enumerate(lines):
        if sources.follow(line):
            continue
        if match := ERROR.match(line):
            where = next((m for m in map(ERROR_LINE.match, lines[index : index + 30]) if m), None)
            tex_line = int(where["line"]) if where else None
            source = sources.source(tex_line)
            at = f" (LaTeX line {tex_line})" if tex_line else ""
            return f"{source}{at}: TeX stopped: {match['what']}"
    return None


def report(problems: list[Overflow], log: Path) -> str:
    """The overflows, one ``source: what`` a line, and what failed."""
    lines = [problem.message() for problem in problems]
    lines.append(
        f"PDF build failed: {len(problems)} place(s) set off the page, past the margin "
        f"(threshold {HBOX_THRESHOLD_PT:g}pt), without a glyph or in a substitute font; see {log}"
    )
    return "\n".join(lines)


def check(log: Path, tex: Path) -> int:
    """Print each overflow as ``source: what`` on stderr; 1 if there is any, else 0."""
    problems = overflows(log, tex)
    if problems:
        print(report(problems, log), file=sys.stderr)
    return 1 if problems else 0
