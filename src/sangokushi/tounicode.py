"""Give dvipdfmx's Japanese CID fonts a ToUnicode CMap, from Adobe's own Adobe-Japan1 table."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

# dvipdfmx leaves the ToUnicode out for fonts of a known character collection (Adobe-Japan1):
# readers are to know it. Not all do (poppler maps no CID to “ ” and the em dash to U+0336),
# so text copied or searched in the PDF lost characters. No TeX package or dvipdfmx option
# adds it; this writes one per font, for the CIDs it uses, from the mapping Adobe publishes.
ORDERING = "Japan1"
PRODUCER = "sangokushi.tounicode (ToUnicode for Adobe-Japan1 fonts)"
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


def add_tounicode(pdf: Path) -> int:
    """Add a ToUnicode CMap to every Adobe-Japan1 font of ``pdf`` without one; return how many.

    The file is updated incrementally: its bytes so far stay as dvipdfmx wrote them.
    """
    writer = PdfWriter(PdfReader(pdf), incremental=True)
    table = adobe_japan1()
    added = 0
    seen: set[int] = set()
    for page in writer.pages:
        fonts = page.get("/Resources", DictionaryObject()).get("/Font", DictionaryObject())
        for ref in fonts.values():
            font = ref.get_object()
            number = getattr(ref, "idnum", id(font))
            if number in seen or "/ToUnicode" in font or font.get("/Subtype") != "/Type0":
                continue
            seen.add(number)
            descendant = font["/DescendantFonts"][0].get_object()
            info = descendant.get("/CIDSystemInfo", DictionaryObject())
            if info.get("/Ordering") != ORDERING:
                continue
            cidset = descendant["/FontDescriptor"].get_object().get("/CIDSet")
            cids = list(used_cids(cidset.get_object().get_data())) if cidset else list(table)
            stream = StreamObject()
            stream.set_data(cmap_text(cids, table))
            font[NameObject("/ToUnicode")] = stream
            added += 1
    if added:
        # The update's trailer must name the document information again, or poppler-based
        # viewers show no title: pypdf writes it only for a changed /Info, so the producer
        # line records this step.
        producer = str((writer.metadata or {}).get("/Producer", ""))
        writer.add_metadata({"/Producer": f"{producer}; {PRODUCER}".lstrip("; ")})
        updated = pdf.with_suffix(".tounicode.pdf")
        with updated.open("wb") as out:
            writer.write(out)
        updated.replace(pdf)
    return added
