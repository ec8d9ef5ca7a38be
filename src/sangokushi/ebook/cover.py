"""A book cover drawn with Pillow: title, subtitle and author in a Japanese OpenType font."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL import __version__ as PILLOW_VERSION

from sangokushi.build.stamps import file_digest
from sangokushi.jatext import NO_LINE_START

TOKEN = re.compile(r"[A-Za-z0-9]+|.")


# The cover's colours (ground, text, rules) and font unless a book sets ``ebook_cover_colors``
# and ``ebook_cover_font``; the print cover (sangokushi.printcover) takes the same.
COLORS = ("#6b1a1a", "#f6eedc", "#c8a45a")
FONT = "HaranoAjiMincho-Regular.otf"


class CoverFontError(LookupError):
    """The cover font is neither a file nor known to kpsewhich."""


# Kept for the process (both EPUBs of a build, every build of a preview): the fonts kpsewhich
# found, by name, and each font file's digest, by its path, size and time.
_found: dict[str, Path] = {}
_digests: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class CoverSpec:
    """What a cover shows and how it looks."""

    title: str
    subtitle: str = ""
    author: str = ""
    size: tuple[int, int] = (1600, 2560)
    background: str = COLORS[0]
    foreground: str = COLORS[1]
    accent: str = COLORS[2]


def find_font(name: str) -> Path:
    """``name`` if it is a file, else what ``kpsewhich name`` finds (TeX Live's fonts)."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if name in _found and _found[name].is_file():
        return _found[name]
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich and not path.is_absolute():
        found = subprocess.run(
            [kpsewhich, name], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found).is_file():
            _found[name] = Path(found)
            return _found[name]
    where = "kpsewhich found nothing" if kpsewhich else "kpsewhich is not installed"
    raise CoverFontError(
        f"cover font {name!r} not found ({where}); install TeX Live's Japanese fonts "
        "(Debian: texlive-lang-japanese) or set ebook_cover_font to an OpenType file"
    )


def _tokens(text: str) -> list[str]:
    """Units that a line may not split: runs of Latin letters and digits, or one other char."""
    return TOKEN.findall(text)


def _good_break(before: str, after: str) -> bool:
    """At a space, or where hiragana (a particle, an ending) meets another script."""
    kana = "\u3041" <= before[-1] <= "\u309f" and not "\u3041" <= after[0] <= "\u309f"
    return kana or before.isspace() or after.isspace()


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``, broken between phrases where possible.

    Explicit newlines are kept; no line starts with a character that 禁則 forbids there.
    """
    return _wrap(text, font, width)[0]


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> tuple[list[str], bool]:
    """The lines, and whether every break that was added falls between phrases."""
    lines: list[str] = []
    phrased = True
    for paragraph in text.split("\n"):
        tokens = _tokens(paragraph)
        while tokens:
            fits = 1
            while fits < len(tokens) and font.getlength("".join(tokens[: fits + 1])) <= width:
                fits += 1
            cut = fits
            if fits < len(tokens):
                allowed = [i for i in range(1, fits + 1) if tokens[i][0] not in NO_LINE_START]
                good = [
                    i
                    for i in allowed
                    if _good_break(tokens[i - 1], tokens[i])
                    and font.getlength("".join(tokens[:i])) >= width / 3
                ]
                phrased = phrased and bool(good)
                cut = (good or allowed or [fits])[-1]
            lines.append("".join(tokens[:cut]).strip())
            tokens = tokens[cut:]
        if not paragraph:
            lines.append("")
    return lines, phrased


def _fit(
    text: str, fontfile: Path, width: int, height: int, start: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size (from ``start`` down) at which ``text`` fits the box.

    Down to half of ``start``, a size must keep the text's own line breaks, adding
    none or (for text without any) only breaks between phrases, in up to three
    lines; smaller than that, any fitting size will do.
    """
    wanted = text.count("\n") + 1
    for size in range(start, 23, -4):
        font = ImageFont.truetype(str(fontfile), size)
        lines, phrased = _wrap(text, font, width)
        if len(lines) * size * 1.35 > height:
            continue
        if size < start // 2 or len(lines) == wanted:
            return font, lines
        if wanted == 1 and phrased and len(lines) <= 3:
            return font, lines
    font = ImageFont.truetype(str(fontfile), 24)
    return font, wrap(text, font, width)


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: ImageFont.FreeTypeFont,
    centre_x: int,
    top: float,
    fill: str,
) -> float:
    size = font.size
    for line in lines:
        draw.text((centre_x, top), line, font=font, fill=fill, anchor="mt")
        top += size * 1.35
    return top


def render_cover(spec: CoverSpec, fontfile: Path | None) -> bytes:
    """The cover as PNG bytes; without a font, the frame alone. Same input, same bytes."""
    width, height = spec.size
    image = Image.new("RGB", spec.size, spec.background)
    draw = ImageDraw.Draw(image)
    margin = width // 14
    line = max(2, width // 200)
    draw.rectangle(
        (margin, margin, width - margin, height - margin), outline=spec.accent, width=line * 2
    )
    inner = margin + line * 6
    draw.rectangle((inner, inner, width - inner, height - inner), outline=spec.accent, width=line)
    if fontfile is not None:
        box = width - 2 * inner - margin
        title_font, title_lines = _fit(spec.title, fontfile, box, height // 3, width // 9)
        block = len(title_lines) * title_font.size * 1.35
        if spec.subtitle:
            sub_font, sub_lines = _fit(spec.subtitle, fontfile, box, height // 6, width // 20)
            block += title_font.size * 0.4 + sub_font.size * (1 + 1.35 * len(sub_lines))
        # The title block centred on the upper two fifths of the page.
        top = max(inner + margin, height * 0.4 - block / 2)
        bottom = _draw_lines(draw, title_lines, title_font, width // 2, top, spec.foreground)
        if spec.subtitle:
            rule_y = bottom + title_font.size * 0.4
            draw.line((width * 0.3, rule_y, width * 0.7, rule_y), fill=spec.accent, width=line)
            _draw_lines(
                draw, sub_lines, sub_font, width // 2, rule_y + sub_font.size, spec.foreground
            )
        if spec.author:
            author_font, author_lines = _fit(spec.author, fontfile, box, height // 10, width // 22)
            top = height - inner - margin - len(author_lines) * author_font.size * 1.35
            _draw_lines(draw, author_lines, author_font, width // 2, top, spec.foreground)
    out = io.BytesIO()
    # No text chunks, no time chunk: the bytes depend on the pixels alone.
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()


def cover_key(spec: CoverSpec, fontfile: Path | None) -> str:
    """A digest of what the cover is drawn from: the spec, the font's bytes, this code."""
    digest = hashlib.blake2b()
    digest.update(json.dumps(asdict(spec), ensure_ascii=False, sort_keys=True).encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(PILLOW_VERSION.encode())
    digest.update(font_digest(fontfile).encode() if fontfile is not None else b"no font")
    return digest.hexdigest()[:32]


def font_digest(fontfile: Path) -> str:
    """The digest of the font's bytes, read again only when its size or time changes."""
    info = fontfile.stat()
    key = (str(fontfile.resolve()), info.st_size, info.st_mtime_ns)
    if key not in _digests:
        _digests[key] = file_digest(fontfile)
    return _digests[key]


def cached_cover(spec: CoverSpec, fontfile: Path | None, cache: Path) -> bytes:
    """``render_cover``'s PNG, drawn only when one of its inputs changed since the last time.

    The editions that share a Sphinx environment share ``cache`` (a folder beside their
    doctrees), so a book's two EPUBs draw their common cover once.
    """
    path = cache / f"cover-{cover_key(spec, fontfile)}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = render_cover(spec, fontfile)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("cover-*.png"):
        old.unlink(missing_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)
    return data
