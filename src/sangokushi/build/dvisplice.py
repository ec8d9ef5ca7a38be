"""A book's DVI with some of its pages replaced by those of a run that set them alone."""

from __future__ import annotations

import struct
from typing import NamedTuple

from sangokushi.build.dvipdf import BARE, DVI_POST, DVI_PRE, FNT_DEF1, FNT_DEF4, PARAMETERS

# DVI opcodes (TeX: The Program, §586; pTeX adds ``dir``); the parameter bytes of the others
# as sangokushi.build.dvipdf reads them.
SET_CHAR_LAST = 127
BOP, EOP, NOP, PRE, POST, POST_POST = 139, 140, 138, DVI_PRE, DVI_POST, 249
FNT_NUM_0, FNT_NUM_63, FNT1, FNT4 = 171, 234, 235, 238
XXX1, XXX4 = 239, 242
# Where a page's \count9 is in its bop: the book's LaTeX sets it to the page's place as shipped.
COUNT9 = slice(1 + 9 * 4, 1 + 10 * 4)
PREVIOUS = slice(41, 45)


class Page(NamedTuple):
    """A page: its place as shipped (its \\count9) and its bytes, from its bop to the next
    page's (font definitions between pages included)."""

    place: int
    start: int
    end: int


class Dvi(NamedTuple):
    data: memoryview
    pages: list[Page]
    fonts: dict[int, bytes]  # number → definition (checksum, sizes, name), from the postamble
    post: int


def length(data: memoryview, at: int) -> int:
    """The length of the command at ``at``."""
    op = data[at]
    if XXX1 <= op <= XXX4:
        k = op - XXX1 + 1
        return 1 + k + int.from_bytes(data[at + 1 : at + 1 + k], "big")
    if FNT_DEF1 <= op <= FNT_DEF4:
        k = op - FNT_DEF1 + 1
        names = at + 1 + k + 12
        return 1 + k + 12 + 2 + data[names] + data[names + 1]
    if op <= SET_CHAR_LAST or FNT_NUM_0 <= op <= FNT_NUM_63 or op in BARE or PARAMETERS[op]:
        return 1 + PARAMETERS[op]
    raise ValueError(f"DVI opcode {op} at byte {at}")


def _font(data: memoryview, at: int) -> tuple[int, bytes]:
    k = data[at] - FNT_DEF1 + 1
    end = at + length(data, at)
    return int.from_bytes(data[at + 1 : at + 1 + k], "big"), bytes(data[at + 1 + k : end])


def read(raw: bytes) -> Dvi:
    """A DVI's pages, by the pointers each bop keeps to the one before, and its fonts, from the
    postamble (``ValueError`` if it is not a DVI file TeX finished)."""
    data = memoryview(raw)
    end = len(data) - 1
    while end > 0 and data[end] == 223:
        end -= 1
    if len(data) < 15 or data[0] != PRE or end < 5 or data[end - 5] != POST_POST:
        raise ValueError("not a whole DVI file")
    post = struct.unpack(">i", data[end - 4 : end])[0]
    if not 0 < post < end or data[post] != POST:
        raise ValueError("a DVI file without its postamble")
    fonts, at = {}, post + 29
    while data[at] != POST_POST:
        if not FNT_DEF1 <= data[at] <= FNT_DEF4:
            raise ValueError(f"DVI opcode {data[at]} in the postamble")
        number, font = _font(data, at)
        fonts[number] = font
        at += length(data, at)
    starts, bop = [], struct.unpack(">i", data[post + 1 : post + 5])[0]
    while bop >= 0:
        if data[bop] != BOP or len(starts) > len(data) // 46:
            raise ValueError(f"no page at byte {bop}")
        starts.append(bop)
        bop = struct.unpack(">i", data[bop + PREVIOUS.start : bop + PREVIOUS.stop])[0]
    starts.reverse()
    pages = [
        Page(struct.unpack(">i", data[start + COUNT9.start : start + COUNT9.stop])[0], start, end)
        for start, end in zip(starts, [*starts[1:], post], strict=True)
    ]
    return Dvi(data, pages, fonts, post)


def _commands(data: memoryview, page: Page) -> list[tuple[int, int]]:
    """The commands of ``page`` after its bop, font definitions after its eop included."""
    found, at = [], page.start + 45
    while at < page.end:
        size = length(data, at)
        found.append((at, size))
        at += size
    return found


def _select(number: int) -> bytes:
    if number <= FNT_NUM_63 - FNT_NUM_0:
        return bytes([FNT_NUM_0 + number])
    k = next(k for k in (1, 2, 3, 4) if number < 1 << (8 * k))
    return bytes([FNT1 + k - 1]) + number.to_bytes(k, "big")


def splice(whole: bytes, part: bytes) -> bytes:
    """``whole`` with each page of ``part`` in the place of the page shipped at the same place
    (``\\count9``). Fonts keep ``whole``'s numbers; a replaced page's font definitions stay
    (later pages may use them). ``ValueError`` when ``part`` has a page ``whole`` has not, or
    a font ``whole`` does not define: the book must be set whole.
    """
    book, alone = read(whole), read(part)
    numbers = {font: number for number, font in book.fonts.items()}
    try:
        renumber = {number: numbers[font] for number, font in alone.fonts.items()}
    except KeyError:
        raise ValueError("a font the book's DVI does not define") from None
    new = {page.place: page for page in alone.pages}
    if len(new) != len(alone.pages) or not new.keys() <= {p.place for p in book.pages}:
        raise ValueError("a page the book's DVI does not have")
    data = book.data
    out, previous = bytearray(data[: book.pages[0].start]), -1
    for page in book.pages:
        at = len(out)
        source = new.get(page.place)
        if source is None:
            out += data[page.start : page.end]
        else:
            out += alone.data[source.start : source.start + 45]
            kept = [(s, n) for s, n in _commands(data, page) if FNT_DEF1 <= data[s] <= FNT_DEF4]
            for start, size in kept:
                out += data[start : start + size]
            out += _renumbered(alone, source, renumber)
        out[at + PREVIOUS.start : at + PREVIOUS.stop] = struct.pack(">i", previous)
        previous = at
    # The postamble: the book's, its pointer to the last page's bop and the pointer to it new.
    at = len(out)
    head = bytearray(data[book.post : book.post + 29])
    head[1:5] = struct.pack(">i", previous)
    out += head
    end = book.post + 29
    while data[end] != POST_POST:
        end += length(data, end)
    out += data[book.post + 29 : end]
    out += bytes([POST_POST]) + struct.pack(">i", at) + bytes([data[end + 5]])
    return bytes(out + bytes([223]) * (4 + (-(len(out) + 4) % 4)))


def _renumbered(dvi: Dvi, page: Page, renumber: dict[int, int]) -> bytes:
    """A page's commands (its eop included) with the book's font numbers, without font
    definitions (the book's postamble has them all)."""
    data, out = dvi.data, bytearray()
    for start, size in _commands(data, page):
        op = data[start]
        if FNT_NUM_0 <= op <= FNT_NUM_63:
            out += _select(renumber[op - FNT_NUM_0])
        elif FNT1 <= op <= FNT4:
            out += _select(renumber[int.from_bytes(data[start + 1 : start + size], "big")])
        elif not FNT_DEF1 <= op <= FNT_DEF4:
            out += data[start : start + size]
    return bytes(out)
