"""Give dvipdfmx's Japanese CID fonts a ToUnicode CMap, from Adobe's own Adobe-Japan1 table."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
from pikepdf import Name

# dvipdfmx leaves the ToUnicode out for fonts of a known character collection (Adobe-Japan1):
# readers are to know it. Not all do (poppler maps no CID to “ ” and the em dash to U+0336),
# so text copied or searched in the PDF lost characters. No TeX package or dvipdfmx option
# adds it; this writes one per font, for the CIDs it uses, from the mapping Adobe publishes.
ORDERING = "Japan1"
ADOBE_TABLE = "Adobe-Japan1-UCS2"
VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_ENTRY = re.compile(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>(?:\s*<([0-9a-fA-F]+)>)?")


@functools.cache
def adobe_japan1() -> dict[int, str]:
    """CID to Unicode text, from the Adobe-Japan1-UCS2 CMap that ships with TeX Live."""
    found = subprocess.run(
        ["kpsewhich", "-format=cmap", ADOBE_TABLE], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not found:
        raise FileNotFoundError(f"{ADOBE_TABLE} (TeX Live's adobemapping CMaps) is not installed")
    mapping: dict[int, str] = {}
    section = ""
    for line in Path(found).read_text(encoding="latin-1").splitlines():
        if line.endswith(("beginbfchar", "beginbfrange")):
            section = line.split()[-1]
            continue
        if line.startswith("end"):
            section = ""
            continue
        entry = _ENTRY.match(line.strip())
        if not section or entry is None:
            continue
        if section == "beginbfchar":
            mapping[int(entry[1], 16)] = _utf16(entry[2])
        else:
            first, last, start = int(entry[1], 16), int(entry[2], 16), entry[3]
            base = bytearray.fromhex(start)
            for offset in range(last - first + 1):
                value = int.from_bytes(base, "big") + offset
                mapping[first + offset] = _utf16(f"{value:0{len(start)}x}")
    return mapping


def _utf16(hexdigits: str) -> str:
    # A glyph variant's text is its base character: copying 捲 gives 捲, not 捲 + U+E0100.
    return VARIATION.sub("", bytes.fromhex(hexdigits).decode("utf-16-be")) or "\ufffd"


def used_cids(cidset: bytes) -> Iterator[int]:
    """The CIDs a subset font's ``/CIDSet`` bitmap marks (the first byte's high bit is CID 0)."""
    for index, byte in enumerate(cidset):
        for bit in range(8):
            if byte & (0x80 >> bit):
                yield index * 8 + bit


def cmap_text(cids: list[int], table: dict[int, str]) -> bytes:
    """A ToUnicode CMap for two-byte CIDs (Identity-H/V) mapping ``cids`` through ``table``."""
    pairs = [(cid, table[cid]) for cid in sorted(set(cids)) if cid and cid in table]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04X}> <{text.encode('utf-16-be').hex().upper()}>" for cid, text in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")


def japanese_fonts(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, pikepdf.Dictionary]]:
    """Each Type0 font of ``pdf`` on an Adobe-Japan1 CIDFont without a /ToUnicode, with it.

    Every object of the file is looked at, not only the pages' resources: a font used only in
    a form XObject (a box TeX saved once and drew on many pages) needs its CMap too.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != Name.Font:
            continue
        if obj.get("/Subtype") != Name.Type0 or Name.ToUnicode in obj:
            continue
        descendants = obj.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or len(descendants) == 0:
            continue
        descendant = descendants[0]
        info = descendant.get("/CIDSystemInfo")
        if isinstance(info, pikepdf.Dictionary) and str(info.get("/Ordering", "")) == ORDERING:
            yield obj, descendant


def add_tounicode(path: Path) -> int:
    """Add a ToUnicode CMap to every Adobe-Japan1 font of ``path`` without one; return how many.

    Each CMap maps the CIDs its font's /CIDSet marks (all of Adobe-Japan1 without one). The
    file is rewritten by qpdf (pikepdf), which keeps /Info and the first word of dvipdfmx's
    /ID and derives the second from the content (``deterministic_id``): the same PDF comes out
    byte for byte the same, and two different PDFs keep different IDs. A file with nothing to
    add is left untouched.
    """
    table = adobe_japan1()
    with pikepdf.open(path) as pdf:
        count = 0
        for font, descendant in japanese_fonts(pdf):
            descriptor = descendant.get("/FontDescriptor")
            cidset = descriptor.get("/CIDSet") if descriptor is not None else None
            cids = list(used_cids(cidset.read_bytes())) if cidset is not None else list(table)
            font[Name.ToUnicode] = pdf.make_stream(cmap_text(cids, table))
            count += 1
        if not count:
            return 0
        updated = path.with_suffix(".tounicode.pdf")
        pdf.save(updated, deterministic_id=True)
    updated.replace(path)
    return count
