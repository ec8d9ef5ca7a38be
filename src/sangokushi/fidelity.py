"""Check that every sentence of a book (and of an original edited into it) is in each edition."""

from __future__ import annotations

import html
import pickle
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sangokushi.page import PageDesign, body_band

if TYPE_CHECKING:
    from sphinx.util.tags import Tags

DELETED = "（削除）"
STRUCTURAL = "（章の区切り）"
# An "original" of nothing: the row adds words (a heading the essay did not have).
ADDED = "（なし）"
RUBY = re.compile(r"\{ruby\}`([^|`]+)\|[^`]+`")
ORNAMENT = re.compile(r"^[\s✴\ufe0e\ufe0f*＊]+$")
SENTENCE_END = re.compile(r"(?<=[。！？?!])")


class Edit(NamedTuple):
    """One row of the editorial-notes table."""

    number: str
    place: str
    original: str
    changed: str


def load_edits(notes: Path) -> list[Edit]:
    """The rows of the ``list-table`` on the editorial-notes page, header excluded."""
    rows: list[list[str]] = []
    in_table = False
    for line in notes.read_text(encoding="utf-8").splitlines():
        if line.startswith(":::{list-table}"):
            in_table = True
        elif in_table and line.startswith(":::"):
            break
        elif in_table and line.startswith("* - "):
            rows.append([line[4:].strip()])
        elif in_table and line.startswith("  - ") and rows:
            rows[-1].append(line[4:].strip())
    # A cell shows a change as printed ({ruby}`司馬懿|しばい`): its text is the base.
    return [Edit(*(RUBY.sub(r"\1", cell) for cell in r[:4])) for r in rows[1:]]


def apply_edits(essay: str, edits: list[Edit]) -> str:
    """The essay with every listed text change made; structural rows change no words."""
    for edit in edits:
        if edit.changed == STRUCTURAL or edit.original == ADDED:
            continue
        if edit.original not in essay:
            raise ValueError(f"edit {edit.number}: {edit.original!r} is not in the essay")
        essay = essay.replace(edit.original, "" if edit.changed == DELETED else edit.changed, 1)
    return essay


def sentences(text: str) -> list[str]:
    """The essay's sentences: each line split after 。？！, ornaments and blanks dropped."""
    found = []
    for line in text.splitlines():
        if not line.strip() or ORNAMENT.match(line):
            continue
        found.extend(s.strip() for s in SENTENCE_END.split(line) if s.strip())
    return found


def normalize(text: str) -> str:
    """Fold width and ligatures, drop white space and variation selectors."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\ufe0e\ufe0f\u00ad]+", "", text)


class _TextExtractor(HTMLParser):
    """Visible text of an (X)HTML page's main content, ruby readings and scripts left out."""

    SKIP = frozenset({"script", "style", "rt", "rp", "head", "nav", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text of one HTML page."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    return "".join(extractor.parts)


def html_edition_text(htmldir: Path) -> str:
    """All pages of an HTML build."""
    return "\n".join(
        html_text(page.read_text(encoding="utf-8")) for page in sorted(htmldir.rglob("*.html"))
    )


def epub_edition_text(epub: Path) -> str:
    """All XHTML content documents of an EPUB."""
    with zipfile.ZipFile(epub) as book:
        return "\n".join(
            html_text(book.read(name).decode("utf-8"))
            for name in sorted(book.namelist())
            if name.endswith((".xhtml", ".html"))
        )


# The type area of the A5 book (conf.py's geometry: top=20mm, 28 lines), in points from the
# top of its TrimBox:
# running heads sit above it and page numbers below it, so they cannot split a sentence.
BODY_TOP, BODY_BOTTOM = 50, 530
# Ruby is set at half the size of its base text: words this much smaller are readings.
RUBY_RATIO = 0.7
WORD = re.compile(
    r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
)


def trim_offset(pdf: Path) -> float:
    """How far the first page's TrimBox lies below its CropBox's top (a print shop's sheet)."""
    info = subprocess.run(
        ["pdfinfo", "-box", "-f", "1", "-l", "1", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    boxes = dict(re.findall(r"(CropBox|TrimBox):\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)", info))
    if len(boxes) < 2:
        return 0.0
    return float(boxes["CropBox"]) - float(boxes["TrimBox"])


def pdf_edition_text(pdf: Path, page: PageDesign | None = None) -> str:
    """The PDF's body text as pdftotext reads it, without running heads, folios and ruby."""
    area = body_band(page) if page else (BODY_TOP, BODY_BOTTOM)
    top, bottom = (edge + trim_offset(pdf) for edge in area)
    markup = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = [
        (float(y1) - float(y0), html.unescape(word))
        for y0, y1, word in WORD.findall(markup)
        if float(y0) >= top and float(y1) <= bottom
    ]
    if not words:
        return ""
    body = sorted(h for h, _ in words)[len(words) // 2]
    return " ".join(word for h, word in words if h >= RUBY_RATIO * body)


def lost_sentences(
    expected: list[str], edition_text: str, cells: frozenset[str] = frozenset()
) -> list[str]:
    """The sentences of ``expected`` that do not occur in ``edition_text``.

    A sentence of a table cell (``cells``) may also occur line by line: pdftotext reads a PDF's
    table by rows of lines, the lines of neighbouring cells between a cell's lines, and where
    the cells of a row have different numbers of lines not always in order. Each line must
    then stand within ``CELL_SPAN`` characters of the cell's first.
    """
    haystack = normalize(edition_text)
    return [
        s
        for s in expected
        if normalize(s) not in haystack and not (s in cells and _in_lines(normalize(s), haystack))
    ]


# How far (in characters of the edition's text, white space dropped) a line of a table cell
# may stand from the cell's first line: the other cells of its rows between them.
CELL_SPAN = 240


def _in_lines(text: str, haystack: str) -> bool:
    """Whether ``text`` occurs in ``haystack`` as pieces, each as long as it can be (a greedy
    reading of a cell's lines), each within ``CELL_SPAN`` of where the first begins."""
    start = haystack.find(text[:2])
    while start >= 0:
        done = 2
        while done < len(text) and haystack.startswith(text[: done + 1], start):
            done += 1
        low, high = max(0, start - CELL_SPAN), start + CELL_SPAN
        while done < len(text):
            pieces = range(len(text), done, -1)
            end = next((e for e in pieces if haystack.find(text[done:e], low, high) >= 0), done)
            if end == done:
                break
            done = end
        if done >= len(text):
            return True
        start = haystack.find(text[:2], start + 1)
    return False


def expected_sentences(essay: Path, notes: Path) -> list[str]:
    """The sentences every edition must contain."""
    return sentences(apply_edits(essay.read_text(encoding="utf-8"), load_edits(notes)))


# Text a reader sees that the toolkit makes, not the author: links' text resolved later,
# footnote numbers, index marks, comments, raw output, code (checked as a whole elsewhere).
_GENERATED = (
    "pending_xref",
    "footnote_reference",
    "label",
    "index",
    "comment",
    "raw",
    "target",
    "chapter_reference",  # {chapter}: the label the edition prints (sangokushi.numbering)
)
_SKIPPED = ("literal_block", "substitution_definition", "system_message", "toctree")


def _fragments(node: object, parts: list[str], tags: Tags | None, cells: list[str]) -> None:
    """The author's text under ``node``, a break (``\0``) where the toolkit adds text.

    An ``only`` block counts where ``tags`` (the edition's builder and format) select it; a
    table cell's text is also kept in ``cells`` whole (see ``lost_sentences``).
    """
    from docutils import nodes

    name = type(node).__name__
    if name in _SKIPPED:
        return
    if name == "only" and tags is not None and not tags.eval_condition(node["expr"]):  # type: ignore[index]
        return
    if name in _GENERATED:
        parts.append("\0")
        return
    if name == "ruby":
        parts.append(node["base"])  # type: ignore[index]
        return
    if isinstance(node, nodes.Text):
        parts.append(str(node))
        return
    start = len(parts)
    block = isinstance(node, (nodes.paragraph, nodes.title, nodes.caption, nodes.entry))
    for child in node.children:  # type: ignore[attr-defined]
        _fragments(child, parts, tags, cells)
    if isinstance(node, nodes.entry):
        cells += [s for s in re.split(r"[\0\n]", "".join(parts[start:])) if s.strip()]
    if block:
        parts.append("\n")


class BookText(NamedTuple):
    """What an edition must show of a book: its sentences, and which of them are table cells."""

    sentences: list[str]
    cells: frozenset[str]


def book_text(doctrees: Path, tags: Sequence[str] = (), root: str = "index") -> BookText:
    """The sentences of a built book's documents (its pickled doctrees), as the author wrote them.

    Split where a sentence ends and where the toolkit puts text of its own (a resolved link,
    a footnote number), so that each piece must appear as written in every edition. ``tags``
    are the edition's ``only`` tags (its builder, its format and the book's own tags): the
    blocks they leave out are not looked for; none given, every block is. The root
    document's heading is the web edition's front page; the printed book has its 扉 instead
    (the title of book.toml), so it is not looked for.
    """
    from docutils import nodes
    from sphinx.util.tags import Tags

    condition = Tags(list(tags)) if tags else None
    found: list[str] = []
    cells: list[str] = []
    for path in sorted(doctrees.rglob("*.doctree")):
        with path.open("rb") as f:
            document = pickle.load(f)
        if path.stem == root and (title := next(document.findall(nodes.title), None)):
            title.parent.remove(title)
        parts: list[str] = []
        _fragments(document, parts, condition, cells)
        for piece in re.split(r"[\0\n]", "".join(parts)):
            found += [s.strip() for s in SENTENCE_END.split(piece) if len(normalize(s)) > 1]
    in_cells = frozenset(s.strip() for cell in cells for s in SENTENCE_END.split(cell))
    found = list(dict.fromkeys(found))
    return BookText(found, frozenset(s for s in found if s in in_cells))


def book_sentences(doctrees: Path, tags: Sequence[str] = (), root: str = "index") -> list[str]:
    """``book_text``'s sentences."""
    return book_text(doctrees, tags, root).sentences


EXTRACTORS = {"html": html_edition_text, "epub": epub_edition_text, "pdf": pdf_edition_text}


def main(argv: list[str] | None = None) -> int:
    """``python -m sangokushi.fidelity DOCTREES EDITION_FILE…``: report lost sentences."""
    args = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    expected = book_sentences(args[0])
    status = 0
    for path in args[1:]:
        form = "html" if path.is_dir() else path.suffix.lstrip(".")
        lost = lost_sentences(expected, EXTRACTORS[form](path))
        for sentence in lost:
            print(f"{path}: lost sentence: {sentence}")
        status |= bool(lost)
        print(f"{path}: {len(expected) - len(lost)}/{len(expected)} sentences")
    return status


if __name__ == "__main__":
    sys.exit(main())
