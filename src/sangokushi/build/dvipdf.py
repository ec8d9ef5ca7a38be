"""dvipdfmx on upLaTeX's DVI, reading the large virtual fonts cut to the characters it sets."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from sangokushi.build.publish import write_whole

# jlreq's virtual fonts map every character upTeX may set (ujlreq.vf: 1.6 MB, 95,920 of them),
# and dvipdfmx (TeX Live 2022) reads a virtual font whole for each size a document sets it at:
# 20 reads, 0.13 s of the essay's 0.2 s in dvipdfmx. The LaTeX folder keeps copies of the large
# ones cut to the characters its DVI sets, which dvipdfmx reads first (VFFONTS). A character
# left out would not fail: dvipdfmx sets it from the base font without the virtual font's
# shift, so the characters come from the DVI itself, every one. No TeX program or Python
# library cuts a virtual font or lists a DVI's characters by font.
FOLDER = "sangokushi-vf"
RECORD = "fonts.json"
# Smaller virtual fonts are read as they are.
LARGE = 64 * 1024
# Listing a DVI's characters takes about 0.2 ms a KB: past this size it would cost more than
# the whole fonts do (a ×100 book's 7 MB DVI, 1.5 s), and they are read whole.
LARGEST_DVI = 512 * 1024
# Virtual font opcodes (the VF format of TeX's vftovp): pre, fnt_def1-4, long_char, post.
PRE, FNT_DEF1, FNT_DEF4, LONG_CHAR, POST = 247, 243, 246, 242, 248
DVI_PRE, DVI_POST = 247, 248
LONG_PACKET = re.compile(rb"\xf2\x00\x00\x00(.)(.{4})", re.S)
# The detail of dvipdfmx's timing (sangokushi.build.timings) when it read cut fonts.
CUT = "virtual fonts cut to the DVI's characters"


def _parameter_bytes() -> tuple[int, ...]:
    """The bytes after each DVI opcode that has a fixed number of them (pTeX's dir is 255)."""
    table = [0] * 256
    for width in range(1, 5):
        table[127 + width] = table[132 + width] = table[234 + width] = width  # set, put, fnt
        for base in (142, 147, 152, 156, 161, 166):  # right, w, x, down, y, z
            table[base + width] = width
    table[132] = table[137] = 8  # set_rule, put_rule
    table[139] = 44  # bop
    table[255] = 1  # dir
    return tuple(table)


PARAMETERS = _parameter_bytes()
# The opcodes with no parameter besides set_char and fnt_num: nop, eop, push, pop, w0, x0, y0, z0.
BARE = frozenset((138, 140, 141, 142, 147, 152, 161, 166))


def characters(dvi: bytes) -> dict[str, set[int]]:
    """The character codes ``dvi`` sets (or puts) in each font, by the font's name.

    Raises ``ValueError`` on what is not a DVI of TeX or pTeX (upTeX).
    """
    if len(dvi) < 15 or dvi[0] != DVI_PRE:
        raise ValueError("not a DVI file")
    names: dict[int, str] = {}
    used: dict[int, set[int]] = {}
    current: set[int] = set()
    pos, end = 15 + dvi[14], len(dvi)
    while pos < end:
        op = dvi[pos]
        if op < 128:
            current.add(op)
            pos += 1
        elif op <= 131 or 133 <= op <= 136:  # set1-4, put1-4
            width = PARAMETERS[op]
            current.add(int.from_bytes(dvi[pos + 1 : pos + 1 + width], "big"))
            pos += 1 + width
        elif 171 <= op <= 234:  # fnt_num_0-63
            current = used.setdefault(op - 171, set())
            pos += 1
        elif 235 <= op <= 238:  # fnt1-4
            width = PARAMETERS[op]
            number = int.from_bytes(dvi[pos + 1 : pos + 1 + width], "big")
            current = used.setdefault(number, set())
            pos += 1 + width
        elif 239 <= op <= 242:  # xxx1-4: a special
            width = op - 238
            pos += 1 + width + int.from_bytes(dvi[pos + 1 : pos + 1 + width], "big")
        elif FNT_DEF1 <= op <= FNT_DEF4:
            width = op - 242
            number = int.from_bytes(dvi[pos + 1 : pos + 1 + width], "big")
            at = pos + 1 + width + 12
            area, length = dvi[at], dvi[at + 1]
            start = at + 2 + area
            names[number] = dvi[start : start + length].decode("latin-1")
            pos = start + length
        elif op == DVI_POST:
            break
        elif op in BARE or PARAMETERS[op]:
            pos += 1 + PARAMETERS[op]
        else:
            raise ValueError(f"DVI opcode {op} at byte {pos}")
    if pos >= end:
        raise ValueError("the DVI file is cut short")
    found: dict[str, set[int]] = {}
    for number, codes in used.items():
        if number not in names:
            raise ValueError(f"DVI font {number} is used but not defined")
        found.setdefault(names[number], set()).update(codes)
    return found


@functools.cache
def _packets(path: str, stamp: tuple[int, int]) -> tuple[bytes, dict[int, tuple[int, int]]]:
    """A virtual font's preamble and font definitions, and where each character's packet is
    (read once per process and version of the file)."""
    data = Path(path).read_bytes()
    if len(data) < 3 or data[0] != PRE:
        raise ValueError(f"{path}: not a virtual font")
    pos = 3 + data[2] + 8
    while FNT_DEF1 <= data[pos] <= FNT_DEF4:
        width = data[pos] - 242
        at = pos + 1 + width + 12
        pos = at + 2 + data[at] + data[at + 1]
    head, packets = data[:pos], {}
    # Nearly every packet is a long_char of under 256 bytes: found by a pattern, each where
    # the last one ended; any other packet is read one by one.
    for match in LONG_PACKET.finditer(data, pos):
        if match.start() != pos:
            break
        end = match.end() + 4 + match[1][0]
        packets[int.from_bytes(match[2], "big")] = (pos, end)
        pos = end
    while data[pos] != POST:
        if data[pos] == LONG_CHAR:
            length = int.from_bytes(data[pos + 1 : pos + 5], "big")
            code, end = int.from_bytes(data[pos + 5 : pos + 9], "big"), pos + 13 + length
        elif data[pos] < LONG_CHAR:
            code, end = data[pos + 1], pos + 5 + data[pos]
        else:
            raise ValueError(f"{path}: opcode {data[pos]} at byte {pos}")
        packets[code] = (pos, end)
        pos = end
    return head, packets


def codes(path: Path) -> set[int]:
    """The character codes the virtual font at ``path`` has a packet for."""
    stat = path.stat()
    return set(_packets(str(path), (stat.st_size, stat.st_mtime_ns))[1])


def cut(path: Path, codes: set[int]) -> bytes:
    """The virtual font at ``path`` with the packets of ``codes`` alone."""
    stat = path.stat()
    head, packets = _packets(str(path), (stat.st_size, stat.st_mtime_ns))
    data = path.read_bytes()
    kept = [data[start:end] for code in sorted(codes) if (span := packets.get(code))
            for start, end in [span]]  # fmt: skip
    body = head + b"".join(kept) + bytes([POST])
    return body + bytes([POST]) * (-len(body) % 4)  # to a multiple of 4 bytes


@functools.cache
def _found(workdir: Path, names: tuple[str, ...]) -> dict[str, Path]:
    """Where kpathsea finds each virtual font of ``names`` as dvipdfmx would in ``workdir``."""
    result = subprocess.run(
        ["kpsewhich", "-format=vf", *(f"{n}.vf" for n in names)],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    paths = [Path(line) for line in result.stdout.splitlines() if line]
    return {p.stem: (workdir / p if not p.is_absolute() else p) for p in paths}


def cut_fonts(dvi: Path) -> bool:
    """Write the large virtual fonts ``dvi`` uses, cut to its characters, where ``environ``
    puts them first; False (dvipdfmx reads them whole) when the DVI cannot be read or is
    larger than ``LARGEST_DVI``."""
    workdir, folder = dvi.parent, dvi.parent / FOLDER
    try:
        if dvi.stat().st_size > LARGEST_DVI:
            return False
        used = characters(dvi.read_bytes())
    except (OSError, ValueError):
        return False
    for part in folder.glob("*.part"):
        part.unlink(missing_ok=True)  # left by a build that was killed
    record_path = folder / RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    found = _found(workdir.resolve(), tuple(sorted(used)))
    changed = False
    for name, codes in sorted(used.items()):
        path, copy = found.get(name), folder / f"{name}.vf"
        stat = path.stat() if path else None
        if stat is None or stat.st_size < LARGE:
            if record.pop(name, None) is not None or copy.exists():
                copy.unlink(missing_ok=True)  # it would be read before the font's own file
                changed = True
            continue
        source = [str(path), stat.st_size, stat.st_mtime_ns]
        kept = record.get(name)
        if kept and kept["source"] == source:
            if codes <= set(kept["codes"]) and copy.is_file():
                continue
            codes = codes | set(kept["codes"])  # a character taken out and put back: no rewrite
        try:
            folder.mkdir(exist_ok=True)
            write_whole(copy, cut(path, codes))  # dvipdfmx reads it before the font's own
        except OSError:  # a full disk: the fonts are read whole (and dvipdfmx says it)
            return False
        record[name] = {"source": source, "codes": sorted(codes)}
        changed = True
    if changed:
        with suppress(OSError):  # the record kept says no more than the cut fonts hold
            write_whole(record_path, json.dumps(record))
    return True


def environ(workdir: Path, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the LaTeX folder's cut virtual fonts before kpathsea's own path."""
    folder = (workdir / FOLDER).resolve()
    return {**base, "VFFONTS": f"{folder}{os.pathsep}{base.get('VFFONTS', '')}"}
