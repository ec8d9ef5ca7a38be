"""The print cover (表紙): 表4, 背 and 表1 on one sheet, bleed and トンボ, as upLaTeX."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import ImageColor

from sangokushi.conf import FONTS, latex_text, utf16_hex
from sangokushi.ebook.cover import COLORS

BP_PER_MM = 72 / 25.4
# 塗り足し beyond the trim, and the sheet beyond that for the marks (as jlreq-trimmarks' 26 mm).
BLEED_MM = 3.0
SLUG_MM = 13.0
MARK_MM = 9.0  # a mark's length, from the bleed outwards
MARK_LINE_BP = 0.3  # 0.1 mm: a hairline that still prints
# Print shops advise 背文字 only from a spine of 4–5 mm (e.g. 西岡総合印刷's guide): narrower,
# a fold 0.5 mm off puts the letters on 表1 or 表4; the spine is then left plain.
SPINE_TEXT_MIN_MM = 4.0
# Text and frames keep this far inside the trim and the folds (the cutting tolerance).
SAFE_MM = 3.0
SPINE_SAFE_MM = 1.0
# A tint below this may not print (網点 under 5 % fade away on offset presses): it is dropped.
MIN_TINT = 0.05


def spine_mm(pages: int, thickness_mm: float) -> float:
    """背幅: the sheets of the text block (two pages each) times the paper's thickness."""
    return math.ceil(pages / 2) * thickness_mm


def cmyk(colour: str) -> tuple[float, float, float, float]:
    """A colour as the e-book cover reads it (Pillow: ``#rrggbb``, a name…) in CMYK by the
    plain (uncalibrated) formula, tints that do not print dropped: process colours only."""
    red, green, blue = (c / 255 for c in ImageColor.getrgb(colour)[:3])
    black = 1 - max(red, green, blue)
    if black >= 1:
        return (0.0, 0.0, 0.0, 1.0)
    values = [(1 - c - black) / (1 - black) for c in (red, green, blue)] + [black]
    c, m, y, k = (round(v, 3) if v >= MIN_TINT else 0.0 for v in values)
    return (c, m, y, k)


@dataclass(frozen=True)
class CoverText:
    """What the cover says: the e-book cover's title, subtitle and author; the book's facts."""

    title: str  # lines separated by newlines
    subtitle: str = ""
    author: str = ""
    publisher: str = ""
    description: str = ""
    colours: tuple[str, str, str] = COLORS  # ground, text, rules


@dataclass(frozen=True)
class Sheet:
    """The cover laid flat, outside up: the trimmed page size, the spine and which side is 表1."""

    width_mm: float
    height_mm: float
    spine_mm: float
    right_bound: bool = False  # 縦書き: bound on the right, 表1 on the left

    @property
    def trim_bp(self) -> tuple[float, float, float, float]:
        x0 = y0 = SLUG_MM * BP_PER_MM
        width = (2 * self.width_mm + self.spine_mm) * BP_PER_MM
        return (x0, y0, x0 + width, y0 + self.height_mm * BP_PER_MM)

    @property
    def bleed_bp(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.trim_bp
        bleed = BLEED_MM * BP_PER_MM
        return (x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed)

    @property
    def media_bp(self) -> tuple[float, float]:
        _, _, x1, y1 = self.trim_bp
        slug = SLUG_MM * BP_PER_MM
        return (x1 + slug, y1 + slug)

    def panels(self) -> dict[str, tuple[float, float]]:
        """Left and right edges (bp) of 表1, 背 and 表4 on the sheet."""
        x0 = self.trim_bp[0]
        page, spine = self.width_mm * BP_PER_MM, self.spine_mm * BP_PER_MM
        left, middle, right = (
            (x0, x0 + page),
            (x0 + page, x0 + page + spine),
            (
                x0 + page + spine,
                x0 + 2 * page + spine,
            ),
        )
        if self.right_bound:
            return {"表1": left, "背": middle, "表4": right}
        return {"表4": left, "背": middle, "表1": right}


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _rule(x: float, y: float, width: float, height: float, colour: str) -> str:
    return rf"\put({_n(x)},{_n(y)}){{\color{{{colour}}}\rule{{{_n(width)}bp}}{{{_n(height)}bp}}}}"


def _frame(x0: float, y0: float, x1: float, y1: float, line: float, colour: str) -> list[str]:
    """A rectangle's outline, ``line`` thick, drawn inside the given edges."""
    return [
        _rule(x0, y0, x1 - x0, line, colour),
        _rule(x0, y1 - line, x1 - x0, line, colour),
        _rule(x0, y0, line, y1 - y0, colour),
        _rule(x1 - line, y0, line, y1 - y0, colour),
    ]


def marks(sheet: Sheet) -> list[str]:
    """トンボ in registration colour: 二重トンボ at the corners (trim and bleed), センタートンボ
    in the middle of each side, and a mark at each spine fold, top and bottom."""
    x0, y0, x1, y1 = sheet.trim_bp
    bleed, length, t = BLEED_MM * BP_PER_MM, MARK_MM * BP_PER_MM, MARK_LINE_BP
    out: list[str] = []

    def hline(xa: float, xb: float, y: float) -> None:
        out.append(_rule(min(xa, xb), y - t / 2, abs(xb - xa), t, "sgkreg"))

    def vline(x: float, ya: float, yb: float) -> None:
        out.append(_rule(x - t / 2, min(ya, yb), t, abs(yb - ya), "sgkreg"))

    for cx, dx in ((x0, -1), (x1, 1)):
        for cy, dy in ((y0, -1), (y1, 1)):
            hline(cx + dx * bleed, cx + dx * (bleed + length), cy)
            hline(cx, cx + dx * (bleed + length), cy + dy * bleed)
            vline(cx, cy + dy * bleed, cy + dy * (bleed + length))
            vline(cx + dx * bleed, cy, cy + dy * (bleed + length))
    mx, my, half = (x0 + x1) / 2, (y0 + y1) / 2, length / 2
    for cy, dy in ((y0, -1), (y1, 1)):
        vline(mx, cy + dy * bleed, cy + dy * (bleed + length))
        hline(mx - half, mx + half, cy + dy * (bleed + half))
    for cx, dx in ((x0, -1), (x1, 1)):
        hline(cx + dx * bleed, cx + dx * (bleed + length), my)
        vline(cx + dx * (bleed + half), my - half, my + half)
    for fold in sorted({sheet.panels()["背"][0], sheet.panels()["背"][1]}):
        for cy, dy in ((y0, -1), (y1, 1)):
            vline(fold, cy + dy * bleed, cy + dy * (bleed + length))
    return out


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _fitted(name: str, lines: list[str], width_bp: float, largest_bp: float) -> str:
    r"""Define ``\name`` as the largest size (bp, up to ``largest_bp``) at which the longest of
    ``lines`` is ``width_bp`` wide: measured by TeX, in the font it is set in."""
    measure = "".join(rf"\sgkmeasure{{{latex_text(line)}}}" for line in lines)
    return (
        rf"\global\sgkwidest=0pt {measure}"
        rf"\edef\{name}{{\fpeval{{min({_n(largest_bp)}, 10*{_n(width_bp)}/(\sgkwidest/1bp))}}}}"
    )


def _insets(width: float) -> tuple[float, float, float]:
    """The e-book cover's proportions on a panel ``width`` wide: margin, rule, inner frame."""
    margin, line = width / 14, max(0.5, width / 200)
    return margin, line, margin + line * 6


def _frames(left: float, right: float, y0: float, y1: float) -> list[str]:
    """The e-book cover's double frame on a panel."""
    margin, line, inner = _insets(right - left)
    out = _frame(left + margin, y0 + margin, right - margin, y1 - margin, line * 2, "sgkrule")
    out += _frame(left + inner, y0 + inner, right - inner, y1 - inner, line, "sgkrule")
    return out


def _size(size: str, leading: float = 1.0) -> str:
    return rf"\fontsize{{{size}bp}}{{{_n(leading)}\dimexpr {size}bp\relax}}\selectfont "


def _block(x: float, y: float, width: float, anchor: str, body: str) -> str:
    r"""``body`` in a centred paragraph ``width`` wide, its middle (``anchor`` c), top (t) or
    foot (b) at (x, y)."""
    place = "" if anchor == "c" else f"[{anchor}]"
    return (
        rf"\put({_n(x)},{_n(y)}){{\makebox(0,0){place}{{\parbox{place}{{{_n(width)}bp}}"
        rf"{{\centering\color{{sgktext}}{body}\par}}}}}}"
    )


def _joined(lines: list[str]) -> str:
    return r"\\".join(latex_text(line) for line in lines)


def front(text: CoverText, sheet: Sheet) -> list[str]:
    """表1: the e-book cover's design: a double frame, the title block centred on the upper two
    fifths (the subtitle under a rule), the author and the publisher at the foot."""
    left, right = sheet.panels()["表1"]
    y0, y1 = sheet.trim_bp[1], sheet.trim_bp[3]
    width, height = right - left, y1 - y0
    margin, line, inner = _insets(width)
    box = width - 2 * inner - margin
    centre = (left + right) / 2
    title = _lines(text.title) or [text.title]
    out = _frames(left, right, y0, y1)
    out.append(_fitted("sgktitlesize", title, box, width / 9))
    body = _size(r"\sgktitlesize ", 1.35) + _joined(title)
    if text.subtitle:
        sub = _lines(text.subtitle)
        out.append(_fitted("sgksubsize", sub, box, width / 20))
        body += (
            rf"\par\vspace{{0.4\dimexpr\sgktitlesize bp\relax}}"
            rf"{{\color{{sgkrule}}\rule{{{_n(width * 0.4)}bp}}{{{_n(line)}bp}}}}"
            rf"\par\vspace{{0.6\dimexpr\sgksubsize bp\relax}}"
            + _size(r"\sgksubsize ", 1.35)
            + _joined(sub)
        )
    out.append(_block(centre, y1 - height * 0.4, box, "c", body))
    foot = [line for line in (text.author, text.publisher) if line]
    if foot:
        out.append(_fitted("sgkfootsize", foot, box, width / 22))
        bottom = y0 + inner + margin
        out.append(_block(centre, bottom, box, "b", _size(r"\sgkfootsize ", 1.6) + _joined(foot)))
    return out


def back(text: CoverText, sheet: Sheet) -> list[str]:
    """表4: the same frame, the book's description and, at the foot, the publisher."""
    left, right = sheet.panels()["表4"]
    y0, y1 = sheet.trim_bp[1], sheet.trim_bp[3]
    width, height = right - left, y1 - y0
    margin, _, inner = _insets(width)
    centre = (left + right) / 2
    out = _frames(left, right, y0, y1)
    if text.description:
        size = _n(max(7.0, width / 30))
        body = rf"\raggedright\parindent=1zw {_size(size, 1.75)}{latex_text(text.description)}"
        out.append(_block(centre, y1 - height * 0.3, width - 2 * inner - 2 * margin, "t", body))
    if text.publisher:
        size = _n(width / 26)
        body = _size(size) + latex_text(text.publisher)
        out.append(_block(centre, y0 + inner + margin, width - 2 * inner, "b", body))
    return out


def spine(text: CoverText, sheet: Sheet) -> list[str]:
    """背: title, author and publisher set vertically (upright CJK), centred on the spine; none
    on a spine narrower than ``SPINE_TEXT_MIN_MM``."""
    if sheet.spine_mm < SPINE_TEXT_MIN_MM:
        return []
    left, right = sheet.panels()["背"]
    y0, y1 = sheet.trim_bp[1], sheet.trim_bp[3]
    height = y1 - y0
    centre = (left + right) / 2
    across = (sheet.spine_mm - 2 * SPINE_SAFE_MM) * BP_PER_MM
    largest = min(across, sheet.width_mm * BP_PER_MM / 12)
    title = "".join(_lines(text.title)) or text.title
    top = y1 - 12 * BP_PER_MM
    # Title down to the middle; author and publisher below 12 mm + 32 % from the foot.
    out = [_fitted("sgkspinesize", [title], height * 0.5, largest)]
    out.append(_vertical(centre, top, title, r"\sgkspinesize ", "t"))
    foot = [line for line in (text.author, text.publisher) if line]
    bottom = y0 + 12 * BP_PER_MM
    if foot:
        out.append(_fitted("sgkspinefoot", foot, height * 0.15, largest * 0.8))
    for line in reversed(foot):
        out.append(_vertical(centre, bottom, line, r"\sgkspinefoot ", "b"))
        bottom += height * 0.17
    return out


def _vertical(x: float, y: float, line: str, size: str, anchor: str) -> str:
    r"""One line set 縦組 (pTeX's ``\parbox<t>``), its column centred on ``x``, its top or foot
    (``anchor`` t or b) at ``y``.

    A 縦組 box set in a 横組 picture has its baseline, the column's middle, on its right edge
    (its depth is nil): so the box's right edge is put on ``x`` (measured with pdftotext).
    """
    length = rf"\dimexpr{size}bp*{len(line) + 2}\relax"
    ragged = "raggedright" if anchor == "t" else "raggedleft"
    return (
        rf"\put({_n(x)},{_n(y)}){{\makebox(0,0)[{anchor}r]{{\color{{sgktext}}"
        rf"\parbox<t>[c]{{{length}}}{{\fontsize{{{size}bp}}{{{size}bp}}\selectfont"
        rf"\{ragged}\mbox{{{latex_text(line)}}}}}}}}}"
    )


def latex(text: CoverText, sheet: Sheet, title: str, lang: str = "ja") -> str:
    """The cover as one upLaTeX page: media, trim and bleed boxes, ground, panels, marks."""
    media_w, media_h = sheet.media_bp
    bx0, by0, bx1, by1 = sheet.bleed_bp
    colours = "\n".join(
        rf"\definecolor{{{name}}}{{cmyk}}{{{','.join(_n(v) for v in cmyk(value))}}}"
        for name, value in zip(("sgkground", "sgktext", "sgkrule"), text.colours, strict=True)
    )
    body = [_rule(bx0, by0, bx1 - bx0, by1 - by0, "sgkground")]
    body += back(text, sheet) + spine(text, sheet) + front(text, sheet) + marks(sheet)
    boxes = " ".join(f"/{name} [{' '.join(_n(v) for v in box)}]" for name, box in (
        ("TrimBox", sheet.trim_bp), ("BleedBox", sheet.bleed_bp)))  # fmt: skip
    return rf"""%% The print cover, written by sangokushi.printcover: do not edit.
\documentclass[dvipdfmx]{{ujarticle}}
{FONTS}
\usepackage{{plext}}
\usepackage{{xcolor}}
%% Sphinx's escape writes - so (never -- or --- as one dash).
\newcommand{{\sphinxhyphen}}{{-}}
{colours}
\definecolor{{sgkreg}}{{cmyk}}{{1,1,1,1}}
\pagestyle{{empty}}
\setlength{{\paperwidth}}{{{_n(media_w)}bp}}\setlength{{\paperheight}}{{{_n(media_h)}bp}}
\AtBeginDvi{{\special{{papersize={_n(media_w)}bp,{_n(media_h)}bp}}%
  \special{{pdf:docinfo <</Title <{utf16_hex(title)}>>>}}%
  \special{{pdf:put @catalog <</Lang ({lang})>>}}}}
\setlength{{\hoffset}}{{-1in}}\setlength{{\voffset}}{{-1in}}
\setlength{{\oddsidemargin}}{{0pt}}\setlength{{\evensidemargin}}{{0pt}}
\setlength{{\topmargin}}{{0pt}}\setlength{{\headheight}}{{0pt}}\setlength{{\headsep}}{{0pt}}
\setlength{{\footskip}}{{0pt}}\setlength{{\topskip}}{{0pt}}
\setlength{{\textwidth}}{{\paperwidth}}\setlength{{\textheight}}{{\paperheight}}
\setlength{{\parindent}}{{0pt}}\setlength{{\unitlength}}{{1bp}}
\newlength{{\sgkwidest}}
\newcommand{{\sgkmeasure}}[1]{{\sbox0{{\fontsize{{10bp}}{{10bp}}\selectfont #1}}%
  \ifdim\wd0>\sgkwidest \global\sgkwidest=\wd0 \fi}}
\begin{{document}}
\special{{pdf:put @thispage <<{boxes}>>}}%
\begin{{picture}}({_n(media_w)},{_n(media_h)})(0,0)
{chr(10).join(body)}
\end{{picture}}
\end{{document}}
"""
