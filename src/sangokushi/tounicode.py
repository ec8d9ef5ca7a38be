"""dvipdfmx's PDF made to copy and identify well: ToUnicode CMaps, ligatures as letters, /ID."""

from __future__ import annotations

import functools
import io
import re
import subprocess
from collections.abc import Iterator, Sequence
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
# dvipdfmx maps a Latin font's ligature glyphs (ff, fi, …) to the presentation forms U+FB00–
# U+FB06 (the Adobe Glyph List): copied text read 「Diﬀusion」 and a search for "Diffusion"
# missed it. The glyphs stay; their text becomes the letters (as pdfTeX's glyphtounicode).
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_LIGATURE = re.compile(f"[{''.join(LIGATURES)}]")
_CODESPACE = re.compile(r"begincodespacerange\s*<([0-9a-fA-F]+)>")
_RANGE_ARRAY = re.compile(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]")


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


def cmap_text(cids: list[int], table: dict[int, str], width: int = 2) -> bytes:
    """A ToUnicode CMap for ``width``-byte codes (2: Identity-H/V CIDs) mapping ``cids``."""
    pairs = [(cid, table[cid]) for cid in sorted(set(cids)) if cid and cid in table]
    digits = 2 * width
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<{0:0{digits}X}> <{16**digits - 1:X}>",
        "endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [
            f"<{cid:0{digits}X}> <{text.encode('utf-16-be').hex().upper()}>" for cid, text in chunk
        ]
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


def parse_cmap(text: str) -> tuple[int, dict[int, str]]:
    """A ToUnicode CMap's code width in bytes and its code-to-text mapping."""
    found = _CODESPACE.search(text)
    width = len(found[1]) // 2 if found else 1
    mapping: dict[int, str] = {}
    for section, body in re.findall(r"begin(bfchar|bfrange)(.*?)end\1", text, re.S):
        if section == "bfrange":
            for first, _last, values in _RANGE_ARRAY.findall(body):
                for offset, value in enumerate(re.findall(r"<([0-9a-fA-F]*)>", values)):
                    mapping[int(first, 16) + offset] = bytes.fromhex(value).decode("utf-16-be")
            body = _RANGE_ARRAY.sub("", body)
        for line in body.splitlines():
            entry = _ENTRY.match(line.strip())
            if entry is None:
                continue
            if section == "bfchar":
                mapping[int(entry[1], 16)] = bytes.fromhex(entry[2]).decode("utf-16-be")
            elif entry[3] is not None:
                start = bytearray.fromhex(entry[3])
                for offset in range(int(entry[2], 16) - int(entry[1], 16) + 1):
                    value = int.from_bytes(start, "big") + offset
                    decoded = value.to_bytes(len(start), "big").decode("utf-16-be", "replace")
                    mapping[int(entry[1], 16) + offset] = decoded
    return width, mapping


def spell_out_ligatures(pdf: pikepdf.Pdf) -> int:
    """Give every font whose CMap maps a glyph to a ligature character the letters instead."""
    count = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != Name.Font:
            continue
        cmap = obj.get("/ToUnicode")
        if not isinstance(cmap, pikepdf.Stream):
            continue
        text = cmap.read_bytes().decode("latin-1")
        if not re.search(r"<FB0[0-6]", text, re.I):
            continue
        width, mapping = parse_cmap(text)
        if not any(_LIGATURE.search(v) for v in mapping.values()):
            continue
        spelled = {code: _LIGATURE.sub(lambda m: LIGATURES[m[0]], v) for code, v in mapping.items()}
        obj[Name.ToUnicode] = pdf.make_stream(cmap_text(list(spelled), spelled, width))
        count += 1
    return count


def show_title(pdf: pikepdf.Pdf) -> int:
    """Ask viewers to show the document's title, not its file name (PDF/UA asks it too)."""
    preferences = pdf.Root.get("/ViewerPreferences")
    if not isinstance(preferences, pikepdf.Dictionary):
        preferences = pikepdf.Dictionary()
    if preferences.get("/DisplayDocTitle") is True:
        return 0
    preferences[Name.DisplayDocTitle] = True
    pdf.Root[Name.ViewerPreferences] = preferences
    return 1


# The operators that open and close a marked-content span (parse_content_stream's list).
SPAN_OPERATORS = "BDC BMC EMC"


def _open_spans(operations: Sequence[pikepdf.ContentStreamInstruction]) -> list[int]:
    """Where in ``operations`` the spans left open at their end begin."""
    stack: list[int] = []
    for index, (_, operator) in enumerate(operations):
        if str(operator) in ("BDC", "BMC"):
            stack.append(index)
        elif str(operator) == "EMC" and stack:
            stack.pop()
    return stack


def mend_spans(pdf: pikepdf.Pdf) -> int:
    """Balance the marked-content spans a page break cut; return how many pages were mended.

    A span (ActualText of a run of Latin words, sangokushi.book.LatinRuns) opened by a
    ``\\special`` on one page and closed on the next leaves the first page's content
    unbalanced and the next one's with an EMC that closes nothing. The cut span loses its
    ActualText (a viewer would place the whole run's text at the page's folio, the span's
    last glyph, or drop it: poppler does) and is closed at the page's end; the rest of it on
    the next page is opened again, plain. Such a run reads as its words, as without a span.
    """
    mended = 0
    carried = 0
    for page in pdf.pages:
        if not carried and not _open_spans(pikepdf.parse_content_stream(page, SPAN_OPERATORS)):
            continue  # most pages: their spans' operators alone read, not every instruction
        operations = list(pikepdf.parse_content_stream(page))
        stack = _open_spans(operations)
        for index in stack:
            if str(operations[index][1]) == "BDC":
                operations[index] = pikepdf.ContentStreamInstruction(
                    [Name.Span, pikepdf.Dictionary()], pikepdf.Operator("BDC")
                )
        head = [
            pikepdf.ContentStreamInstruction(
                [Name.Span, pikepdf.Dictionary()], pikepdf.Operator("BDC")
            )
        ] * carried
        tail = [pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC"))] * len(stack)
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(head + operations + tail))
        mended += 1
        carried = len(stack)
    return mended


def add_tounicode(path: Path) -> int:
    """Make dvipdfmx's PDF at ``path`` copy and identify well; return how many things changed.

    Every Adobe-Japan1 font without a ToUnicode CMap gets one, for the CIDs its /CIDSet marks
    (all of Adobe-Japan1 without one); a Latin font's ligatures copy as their letters; the
    viewer is asked to show the title; marked-content spans a page break cut are mended. The
    file is rewritten by qpdf (pikepdf), which keeps /Info; its /ID is derived from the
    content alone (``deterministic_id``; dvipdfmx's is dropped: it is the same for every PDF
    built from files of the same names at the same time, and pdf.js remembers a document's
    view by it): the same PDF comes out byte for byte the same, two different PDFs get
    different IDs. A file with nothing to change is left as it is.
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
        count += spell_out_ligatures(pdf) + show_title(pdf) + mend_spans(pdf)
        if not count:
            return 0
        if Name.ID in pdf.trailer:
            del pdf.trailer[Name.ID]
        # Into memory, then written by Python: qpdf writing a file on a full disk throws a
        # C++ exception that can abort the whole process instead of raising an OSError.
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    write_over(path, buffer.getvalue(), ".tounicode.pdf")
    return count


def write_over(path: Path, data: bytes, suffix: str) -> None:
    """Replace the file at ``path`` with ``data`` through a file beside it named with ``suffix``
    (an OSError names that file when the disk is full)."""
    updated = path.with_suffix(suffix)
    try:
        updated.write_bytes(data)
        updated.replace(path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, exc.filename or str(updated)) from None
    finally:
        updated.unlink(missing_ok=True)
