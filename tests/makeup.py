"""Page makeup measured on a built PDF: how full each page's 版面 is, spread lines, the grid."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from sangokushi.page import PageDesign, body_band
from support import page_words

BP_PER_PT = 72 / 72.27
MM = 72 / 25.4
# Kanji and kana, whose glyphs are 1字 wide in the JFM: a run of them is set at 1字 a
# character plus the inter-character glue (kanjiskip). Punctuation and Latin are left out:
# their JFM widths and the glue beside them differ.
SOLID = re.compile("[\u3005\u4e00-\u9fff\u3041-\u3096\u30a1-\u30fa\u30fc]+")

Word = tuple[float, float, float, float, str]


@dataclass
class Sheet:
    """One page's words, in points from the top left corner of its trimmed page."""

    number: int
    words: list[Word]  # inside the 版面's band
    head: bool  # a running head above the 版面 (a page inside a chapter, not its opening)


def sheets(pdf: Path, page: PageDesign, tate: bool) -> list[Sheet]:
    """Every page of ``pdf``: its words inside the 版面, and whether it has a running head."""
    with pikepdf.open(pdf) as document:
        boxes = [
            (float(p.mediabox[3]), [float(v) for v in p.obj.get("/TrimBox", p.mediabox)])
            for p in document.pages
        ]
    top, bottom = body_band(page, tate)
    found = []
    for number, (height, trim) in enumerate(boxes, 1):
        dx, dy = trim[0], height - trim[3]
        words = [
            (x0 - dx, y0 - dy, x1 - dx, y1 - dy, w) for x0, y0, x1, y1, w in page_words(pdf, number)
        ]
        words = [w for w in words if w[1] >= 0 and w[0] >= 0]  # not the print PDF's slug
        inside = [w for w in words if w[1] >= top and w[3] <= bottom]
        head = any(w[3] < top for w in words)
        found.append(Sheet(number, inside, head))
    return found


def fill(sheets: list[Sheet], page: PageDesign, tate: bool) -> dict[int, float]:
    """How much of each page's 版面 its text reaches, 0 to 1, by page number.

    Across the page in 横組 (the lowest line's foot against the 版面's height), along it in
    縦組 (the last column against the 版面's width, from its first column, measured on each
    side of a leaf from the fullest page of that side). Blank pages are left out.
    """
    depth = page.text_height_pt * BP_PER_PT
    if not tate:
        top = page.head_mm * MM
        return {
            s.number: min(1.0, (max(w[3] for w in s.words) - top) / depth)
            for s in sheets
            if s.words
        }
    right = {}
    for s in sheets:
        if s.words:
            side = s.number % 2
            right[side] = max(right.get(side, 0.0), max(w[2] for w in s.words))
    return {
        s.number: min(1.0, (right[s.number % 2] - min(w[0] for w in s.words)) / depth)
        for s in sheets
        if s.words
    }


def may_end_short(sheets: list[Sheet]) -> set[int]:
    """Pages that may stay part empty: a chapter's last page (the next is an opening page, a
    blank or none: 扉, 目次, 奥付 included) and blanks."""
    short = set()
    for index, s in enumerate(sheets):
        following = sheets[index + 1] if index + 1 < len(sheets) else None
        if not s.words or following is None or not following.words or not following.head:
            short.add(s.number)
    return short


def spread_lines(
    sheets: list[Sheet],
    page: PageDesign,
    tate: bool,
    tolerance: float,
    latin: bool = False,
    spent: float | None = None,
) -> list[tuple[int, float, str]]:
    """Lines whose kanji and kana stand further apart than 1字 plus ``tolerance`` 字.

    Poppler reads a run of characters set solid as one word and breaks a spread run into
    words of one or a few characters: the step between two neighbouring kanji or kana is
    taken inside each word (its length less one 字 a character, over the gaps between them)
    and between two such words next to each other on the line. A line's spread is the mean
    over its neighbouring pairs, in 字 of the body type (ruby and headings left out). Returns
    (page, spread, the line's text) for each line beyond ``tolerance`` with 4 pairs or more.

    With ``latin``, a line is left out where the next line starts with a Latin word longer
    than all the room its spread gave: that word could not be set on it (JIS X 4051 opens
    the space between characters last, when nothing else can fill the line).

    With ``spent``, a line whose 和欧間 have all opened to their most (JIS X 4051: 1/2字;
    ``latin_spaces``, 0.45字 measured or more) may open between its characters up to
    ``spent``: nothing else was left to fill it. In 縦組, where poppler boxes turned Latin too
    roughly to measure the 和欧間, a column with any Latin may.
    """
    size = page.font_pt * BP_PER_PT
    found = []
    for at, s in enumerate(sheets):
        for lo, hi, row in rows(s, size, tate):
            gaps: list[float] = []
            for index, (x0, y0, x1, y1, text) in enumerate(row):
                length = y1 - y0 if tate else x1 - x0
                if (
                    SOLID.fullmatch(text)
                    and len(text) > 1
                    and abs((x1 - x0 if tate else y1 - y0) - size) < 0.1
                ):
                    gaps += [(length - len(text) * size) / (len(text) - 1)] * (len(text) - 1)
                following = row[index + 1] if index + 1 < len(row) else None
                if following and SOLID.fullmatch(text[-1]) and SOLID.fullmatch(following[4][0]):
                    gap = (following[1] - y1) if tate else (following[0] - x1)
                    if gap < size / 2:  # not a table's column gap
                        gaps.append(gap)
            spread = sum(gaps) / len(gaps) / size if len(gaps) >= 4 else 0.0
            follows = latin and latin_follows(sheets, at, (lo, hi), sum(gaps), page, tate)
            if spent is not None and spread <= spent:
                # Poppler puts turned Latin half a 字 left of its column.
                near = row if not tate else [w for w in s.words if lo - size <= w[0] <= hi]
                if opened(near, size, tate):
                    continue
            if spread > tolerance and not follows:
                found.append((s.number, spread, "".join(w[4] for w in row)))
    return found


def rows(sheet: Sheet, size: float, tate: bool) -> Iterator[tuple[float, float, list[Word]]]:
    """``sheet``'s lines of body type: each one's band across the line (lo, hi) and every word
    in it (Latin, punctuation), in order along the line."""
    lines: dict[int, list[Word]] = {}
    for word in sheet.words:
        x0, y0, x1, y1, _ = word
        breadth = x1 - x0 if tate else y1 - y0
        if abs(breadth - size) < 0.1:
            lines.setdefault(round((x0 if tate else y1) / 4), []).append(word)
    for words in lines.values():
        lo, hi = (words[0][0], words[0][2]) if tate else (words[0][1], words[0][3])
        row = sorted(
            (w for w in sheet.words if lo <= ((w[0] + w[2]) if tate else (w[1] + w[3])) / 2 <= hi),
            key=lambda w: w[1] if tate else w[0],
        )
        yield lo, hi, row


def opened(row: list[Word], size: float, tate: bool) -> bool:
    """Whether a line's 和欧間 have all opened to 1/2字 (0.45字 measured); in 縦組, whether it
    has Latin at all."""
    if tate:
        return any(w[4][:1].isascii() and w[4][:1].isalnum() for w in row)
    spaces = [space for *_, space in _latin_spaces(row, size)]
    return bool(spaces) and min(spaces) >= 0.45


def _latin_spaces(row: list[Word], size: float) -> list[tuple[str, float]]:
    found = []
    for (_, _, x1, _, text), (x0, _, _, _, following) in itertools.pairwise(row):
        left, right = text[-1], following[0]
        latin = left.isascii() and left.isalnum(), right.isascii() and right.isalnum()
        japanese = bool(SOLID.fullmatch(left)), bool(SOLID.fullmatch(right))
        if (latin[0] and japanese[1]) or (japanese[0] and latin[1]):
            found.append((f"{text} {following}", (x0 - x1) / size))
    return found


def latin_follows(
    sheets: list[Sheet],
    index: int,
    band: tuple[float, float],
    room: float,
    page: PageDesign,
    tate: bool,
) -> bool:
    """Whether the line after the one across ``band`` on ``sheets[index]`` (the next column
    left in 縦組; on a page's last line, the next page's first) starts with a Latin word
    longer than ``room``. Poppler puts turned Latin half a 字 left of its column."""
    pitch, size = page.pitch_pt * BP_PER_PT, page.font_pt * BP_PER_PT
    lo, hi = (
        (band[0] - pitch - size / 2, band[1] - pitch)
        if tate
        else (band[0] + pitch, band[1] + pitch)
    )
    words = sheets[index].words
    if not [w for w in words if lo <= ((w[0] + w[2]) if tate else (w[1] + w[3])) / 2 <= hi]:
        if index + 1 == len(sheets) or not sheets[index + 1].words:
            return False
        words = sheets[index + 1].words
        body = [w for w in words if abs((w[2] - w[0] if tate else w[3] - w[1]) - size) < 0.1]
        if not body:
            return False
        first = max(body, key=lambda w: w[2]) if tate else min(body, key=lambda w: w[3])
        lo, hi = (first[0] - size / 2, first[2]) if tate else (first[1], first[3])
    following = sorted(
        (w for w in words if lo <= ((w[0] + w[2]) if tate else (w[1] + w[3])) / 2 <= hi),
        key=lambda w: w[1] if tate else w[0],
    )
    if not following or not following[0][4].isascii():
        return False
    first = following[0]
    return (first[3] - first[1] if tate else first[2] - first[0]) > room


def grid_share(
    sheets: list[Sheet], page: PageDesign, tate: bool = False
) -> tuple[float, list[str]]:
    """The share of text lines (縦組: columns) on the 版面's line grid, and the others.

    A line is a run of Japanese body-size words (CJK glyph boxes are 1 em across the line) on
    one baseline, with no stretch wider than 1.5字 left uncovered by the words across its band:
    a table's rows (cells apart) and the index's two 段 are left out. On the grid, to 0.5 pt:
    in 横組 the baseline (a glyph box's foot) \\topskip (1字) plus whole 行送り below the top
    of the 版面; in 縦組 the column whole 行送り left of the 版面's first one, whose right edge
    is the 版面's: the gutter on an odd page (a left-hand page in a book bound on the right),
    the fore-edge on an even one. Poppler's box of a vertical glyph stands half a 字 right of
    its ink, so a column's boxes are centred on that edge less whole 行送り.
    """
    size = page.font_pt * BP_PER_PT
    top = page.head_mm * MM
    on, off = 0, []
    for s in sheets:
        right = (page.gutter_mm * MM) + page.text_height_pt * BP_PER_PT
        if s.number % 2:
            right = (page.size_mm[0] - page.gutter_mm) * MM
        lines: dict[float, list[Word]] = {}
        for word in s.words:
            breadth = word[2] - word[0] if tate else word[3] - word[1]
            if abs(breadth - size) < 0.1 and not word[4].isascii():  # not a 縦中横 alone
                place = (word[0] + word[2]) / 2 if tate else word[3]
                lines.setdefault(round(place, 1), []).append(word)
        for place, words in lines.items():
            if uncovered(s.words, words[0], size, tate) > 1.5 * size:
                continue
            if tate:
                depth = (right - place) / BP_PER_PT
            else:
                depth = (place - top) / BP_PER_PT - page.font_pt
            miss = depth % page.pitch_pt
            if min(miss, page.pitch_pt - miss) < 0.5:
                on += 1
            else:
                off.append(f"page {s.number}: {''.join(w[4] for w in words)[:30]}")
    return on / max(1, on + len(off)), off


def uncovered(words: list[Word], one: Word, size: float, tate: bool) -> float:
    """The widest stretch along ``one``'s line that the words across its band leave uncovered.

    In 縦組 the band reaches half a 字 left of the CJK boxes, where poppler puts turned Latin
    and 縦中横, whose boxes it sets up to a 字 below where they stand (so each is taken a 字
    longer upwards). Their boxes may overlap.
    """
    lo, hi = (one[0] - size / 2, one[2]) if tate else (one[1], one[3])
    spans = sorted(
        (w[1] - size * (abs(w[2] - w[0] - size) >= 0.1), w[3]) if tate else (w[0], w[2])
        for w in words
        if lo <= ((w[0] + w[2]) if tate else (w[1] + w[3])) / 2 <= hi
    )
    reach, widest = spans[0][1], 0.0
    for start, end in spans[1:]:
        widest = max(widest, start - reach)
        reach = max(reach, end)
    return widest


def ruby_line_heads(
    sheets: list[Sheet], page: PageDesign, bases: set[str]
) -> list[tuple[int, float, str]]:
    """Where a 横組 line begins with one of ``bases`` (the bases of the book's ruby: the
    readings themselves copy as nothing): how far it stands from the line's head, in 字 (0
    flush, 1 after a paragraph's indent), with the line's first word."""
    size = page.font_pt * BP_PER_PT
    found = []
    for s in sheets:
        body = [w for w in s.words if abs(w[3] - w[1] - size) < 0.1]
        if not body:
            continue
        left = min(w[0] for w in body)
        lines: dict[float, list[Word]] = {}
        for word in body:
            lines.setdefault(round(word[3], 1), []).append(word)
        for words in lines.values():
            first = min(words)
            if first[4].startswith(tuple(bases)):
                found.append((s.number, (first[0] - left) / size, first[4]))
    return found


def latin_spaces(sheets: list[Sheet], page: PageDesign) -> list[tuple[int, float, str]]:
    """Each 和欧間 on a 横組 page's justified lines: the space between a Latin word and a kanji
    or kana beside it, in 字 of the body type, as (page, space, the two words).

    A justified line is one of body type that ends in the 版面's last 字 (the last line of a
    paragraph mostly does not) with no gap over 2字 (a table's cells, the 目次's label column
    and the index's 段 have). Poppler's boxes of upright Latin are
    its advance widths: the space is the glue alone. (Turned Latin in 縦組 is boxed too roughly
    to measure: ``vertical_text``.)"""
    size = page.font_pt * BP_PER_PT
    found = []
    for s in sheets:
        lines = list(rows(s, size, False))
        if not lines:
            continue
        left = min(w[0] for *_, row in lines for w in row if abs((w[3] - w[1]) - size) < 0.1)
        edge = left + page.text_width_pt * BP_PER_PT - size
        for *_, row in lines:
            gaps = [b[0] - a[2] for a, b in itertools.pairwise(row)]
            if row[-1][2] < edge or max(gaps, default=0) > 2 * size:
                continue  # not justified; or a table's cells, the 目次's label column
            found += [(s.number, space, words) for words, space in _latin_spaces(row, size)]
    return found
