"""Book sizes and the 版面 chosen for each: whole 字 on a line grid (JIS X 4051, jlreq)."""

from __future__ import annotations

from typing import NamedTuple

# JIS/ISO book sizes, width × height in mm (B sizes are JIS B: B6 is 128 × 182).
PAPERS: dict[str, tuple[float, float]] = {
    "A4": (210, 297),
    "B5": (182, 257),
    "A5": (148, 210),
    "B6": (128, 182),
    "A6": (105, 148),
}


class PageDesign(NamedTuple):
    """The 版面 of a printed page: type size, 字詰め × 行数, 行送り, 天 and のど."""

    paper: str = "A5"
    font_pt: float = 9.5  # 文字サイズ (Latin and Japanese alike)
    chars: int = 34  # 字詰め
    lines: int = 28  # 行数
    pitch_pt: float = 16.5  # 行送り
    head_mm: float = 22  # 天
    gutter_mm: float = 18  # のど

    @property
    def size_mm(self) -> tuple[float, float]:
        return PAPERS[self.paper]

    @property
    def text_width_pt(self) -> float:
        return self.chars * self.font_pt

    @property
    def text_height_pt(self) -> float:
        return (self.lines - 1) * self.pitch_pt + self.font_pt


# 横組 and 縦組 per size: 行送り about 1.7 times the type; margins 天 > 地 is not forced,
# jlreq centres what is left. The A5 pair is this toolkit's first book's (9.5 pt, 34字 × 28行;
# 縦組 44字 × 18行); the others keep its proportions on their paper, checked by building
# every size (tests/test_page.py: each fits its paper with room for 柱 and ノンブル).
DESIGNS: dict[str, tuple[PageDesign, PageDesign]] = {
    "A4": (
        PageDesign("A4", 10.5, 44, 38, 18, 25, 22),
        PageDesign("A4", 10.5, 58, 26, 18.5, 28, 25),
    ),
    "B5": (
        PageDesign("B5", 10, 40, 34, 17, 24, 20),
        PageDesign("B5", 10, 50, 22, 17.5, 26, 22),
    ),
    "A5": (
        PageDesign("A5", 9.5, 34, 28, 16.5, 22, 18),
        PageDesign("A5", 9.5, 44, 18, 17, 25, 20),
    ),
    "B6": (
        PageDesign("B6", 9, 30, 24, 15.5, 20, 16),
        PageDesign("B6", 9, 38, 16, 16, 22, 18),
    ),
    "A6": (
        PageDesign("A6", 8.5, 25, 20, 14.5, 16, 13),
        PageDesign("A6", 8.5, 34, 14, 15, 16, 14),
    ),
}


PT_PER_MM = 72.27 / 25.4
# What a page keeps outside its 版面 at the least: room for the ノンブル (地) and a 小口.
MIN_FOOT_MM = 15
MIN_FORE_EDGE_MM = 10


def body_band(page: PageDesign, tate: bool = False) -> tuple[float, float]:
    """Where a page's 版面 lies, in points from the top of its trimmed page, with a little room
    around it: the 柱 stand above it, the ノンブル below."""
    top = page.head_mm * 72 / 25.4
    if tate:
        return top - 2, top + page.chars * page.font_pt + 4
    return top - page.font_pt, top + page.text_height_pt * 72 / 72.27 + page.font_pt / 2


def page_design(paper: str, *, tate: bool = False, **custom: float) -> PageDesign:
    """The 版面 for ``paper`` (横組, or 縦組 with ``tate``), with ``custom`` values replaced."""
    key = paper.upper()
    if key not in DESIGNS:
        raise ValueError(f"paper {paper!r} is not one of {', '.join(DESIGNS)}")
    design = DESIGNS[key][1 if tate else 0]._replace(**custom)
    width, height = design.size_mm
    # The line runs across the page in 横組, down it in 縦組; the lines stack the other way.
    along, stack = (height, width) if tate else (width, height)
    along_margins, stack_margins = (
        (design.head_mm + MIN_FOOT_MM, design.gutter_mm + MIN_FORE_EDGE_MM)
        if tate
        else (design.gutter_mm + MIN_FORE_EDGE_MM, design.head_mm + MIN_FOOT_MM)
    )
    if design.text_width_pt / PT_PER_MM + along_margins > along:
        raise ValueError(f"{design.chars}字 of {design.font_pt} pt do not fit the {key} page")
    if design.text_height_pt / PT_PER_MM + stack_margins > stack:
        raise ValueError(f"{design.lines} lines of {design.pitch_pt} pt do not fit the {key} page")
    return design
