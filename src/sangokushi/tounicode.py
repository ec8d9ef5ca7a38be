"""Give dvipdfmx's Japanese CID fonts a ToUnicode CMap, from Adobe's own Adobe-Japan1 table."""

from __future__ import annotations

import functools
import re
import struct
import subprocess
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

# dvipdfmx leaves the ToUnicode out for fonts of a known character collection (Adobe-Japan1):
# readers are to know it. Not all do (poppler maps no CID to “ ” and the em dash to U+0336),
# so text copied or searched in the PDF lost characters. No TeX package or dvipdfmx option
# adds it; this writes one per font, for the CIDs it uses, from the mapping Adobe publishes.
ORDERING = "Japan1"
STARTXREF = re.compile(rb"startxref\s+(\d+)")
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

    The file is updated incrementally: its bytes so far stay as dvipdfmx wrote them, and an
    update appends the CMaps, the fonts that name them and a cross-reference stream whose
    trailer repeats /Root, /Info and /ID (poppler-based viewers read the document information
    from the last trailer only). Written here rather than with pypdf's incremental writer,
    which hashes every object of the file first (4 s for a book of a thousand pages).
    """
    reader = PdfReader(pdf)
    table = adobe_japan1()
    fonts: dict[int, tuple[int, DictionaryObject, list[int]]] = {}
    seen: set[int] = set()
    for page in reader.pages:
        resources = page.get("/Resources", DictionaryObject()).get_object()
        for ref in resources.get("/Font", DictionaryObject()).get_object().values():
            if not isinstance(ref, IndirectObject) or ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            font = ref.get_object()
            if "/ToUnicode" in font or font.get("/Subtype") != "/Type0":
                continue
            descendant = font["/DescendantFonts"][0].get_object()
            info = descendant.get("/CIDSystemInfo", DictionaryObject())
            if info.get("/Ordering") != ORDERING:
                continue
            cidset = descendant["/FontDescriptor"].get_object().get("/CIDSet")
            cids = list(used_cids(cidset.get_object().get_data())) if cidset else list(table)
            fonts[ref.idnum] = (ref.generation, font, cids)
    if not fonts:
        return 0
    original = pdf.read_bytes()
    previous = int(STARTXREF.findall(original[-1024:])[-1])
    out = bytearray(original if original.endswith(b"\n") else original + b"\n")
    offsets: dict[int, tuple[int, int]] = {}  # object number -> (offset, generation)
    number = int(reader.trailer["/Size"])
    for idnum, (generation, font, cids) in fonts.items():
        cmap = zlib.compress(cmap_text(cids, table))
        offsets[number] = (len(out), 0)
        out += f"{number} 0 obj\n<< /Length {len(cmap)} /Filter /FlateDecode >>\nstream\n".encode()
        out += cmap + b"\nendstream\nendobj\n"
        font[NameObject("/ToUnicode")] = IndirectObject(number, 0, reader)
        offsets[idnum] = (len(out), generation)
        out += f"{idnum} {generation} obj\n".encode() + _serialized(font) + b"\nendobj\n"
        number += 1
    offsets[number] = (len(out), 0)
    rows = sorted(offsets.items())
    index: list[int] = []
    for idnum, _ in rows:
        if index and index[-2] + index[-1] == idnum:
            index[-1] += 1
        else:
            index += [idnum, 1]
    data = zlib.compress(
        b"".join(struct.pack(">BIH", 1, at, generation) for _, (at, generation) in rows)
    )
    trailer = DictionaryObject(
        {
            NameObject(key): reader.trailer.raw_get(key)
            for key in ("/Root", "/Info", "/ID")
            if key in reader.trailer
        }
    )
    entries = (
        f"/Type /XRef /Size {number + 1} /Prev {previous} /W [1 4 2] "
        f"/Index [{' '.join(map(str, index))}] /Filter /FlateDecode /Length {len(data)} "
    )
    out += f"{number} 0 obj\n<< {entries}".encode() + _serialized(trailer)[2:]
    out += b"\nstream\n" + data + b"\nendstream\nendobj\n"
    out += f"startxref\n{offsets[number][0]}\n%%EOF\n".encode()
    updated = pdf.with_suffix(".tounicode.pdf")
    updated.write_bytes(bytes(out))
    updated.replace(pdf)
    return len(fonts)


def _serialized(value: DictionaryObject) -> bytes:
    buffer = BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()
