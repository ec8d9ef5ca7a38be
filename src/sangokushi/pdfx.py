"""The print shop's PDFs as PDF/X-1a:2001 (grey ink, tints that print), and their preflight."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Name
from PIL import Image

from sangokushi.book import MIN_TINT
from sangokushi.tounicode import write_over

# PDF/X-1a:2001 (ISO 15930-1), the part Japanese print shops ask for most: PDF 1.3, CMYK or
# grey only, no transparency, every font embedded. It names its printing condition by a
# registered identifier, without the ICC profile (none for Japan Color is packaged here; PDF/X-4
# would have to embed one). Japan Color 2001 Coated: offset on coated paper, ICC's registry name
# JC200103. The print PDFs use black ink (K) only.
VERSION = "PDF/X-1:2001"
CONFORMANCE = "PDF/X-1a:2001"
PDF_VERSION = "1.3"
OUTPUT_INTENT = {
    "/OutputConditionIdentifier": "JC200103",
    "/RegistryName": "http://www.color.org",
    "/OutputCondition": "Japan Color 2001 Coated",
    "/Info": "Japan Color 2001 Coated (ISO 12647-2 offset, coated paper)",
}
# Said in the output intent of a book's pages, which print in black alone (not a cover's).
BLACK_ONLY = "; black ink (K) only"
# The content stream's colour operators: grey, RGB (and the grey one it becomes), CMYK; those
# that choose a colour space or set a colour in it, for filling or stroking.
GREY_OPS = {"g", "G"}
RGB_OPS = {"rg": "g", "RG": "G"}
CMYK_OPS = {"k", "K"}
SET_SPACE = {"cs": "fill", "CS": "stroke"}
SET_COLOUR = {"sc": "fill", "scn": "fill", "SC": "stroke", "SCN": "stroke"}
# What parse_content_stream reads of a page for them (a fifth of a page's instructions; text is
# most of the rest): the colours, the graphics state that keeps a colour space, inline images.
COLOUR_OPERATORS = " ".join((*GREY_OPS, *RGB_OPS, *CMYK_OPS, *SET_SPACE, *SET_COLOUR))
GREY_OPERATORS = f"{COLOUR_OPERATORS} q Q BI ID EI"
DEVICE = {"/DeviceGray", "/DeviceRGB", "/DeviceCMYK"}
PRINTABLE_SPACES = {"/DeviceGray", "/DeviceCMYK"}
# An ICC-based colour space by its number of components: the device space it stands for.
ICC_DEVICE = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}


def printable(ink: float) -> float:
    """``ink`` (0: none, 1: solid) raised to MIN_TINT when it is a tint too light to print."""
    return MIN_TINT if 0 < ink < MIN_TINT - 1e-6 else ink


def luminance(red: float, green: float, blue: float) -> float:
    """The grey an RGB colour prints as (ITU-R BT.601 weights, as xcolor converts)."""
    return 0.299 * red + 0.587 * green + 0.114 * blue


def grey(value: float) -> float:
    return round(1 - printable(1 - value), 4)


@dataclass
class Rewrite:
    """What making one content stream print in grey found: changes and what it cannot make."""

    changed: int = 0
    problems: list[str] = field(default_factory=list)


def _numbers(operands: list[object]) -> list[float] | None:
    try:
        return [float(o) for o in operands]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _space_name(space: object, resources: pikepdf.Dictionary) -> str:
    """A colour space operand's device family (``/DeviceGray``…), or its own name."""
    name = str(space)
    if name in DEVICE or name == "/Pattern":
        return name
    spaces = resources.get("/ColorSpace")
    found = spaces.get(name) if isinstance(spaces, pikepdf.Dictionary) else None
    if isinstance(found, pikepdf.Array) and len(found) and str(found[0]) == "/ICCBased":
        return ICC_DEVICE.get(int(found[1].get("/N", 0)), "/ICCBased")
    return str(found[0]) if isinstance(found, pikepdf.Array) and len(found) else name


def grey_content(
    instructions: list[pikepdf.ContentStreamInstruction], resources: pikepdf.Dictionary, where: str
) -> tuple[list[pikepdf.ContentStreamInstruction], Rewrite]:
    """``instructions`` with every colour as grey or CMYK ink no lighter than MIN_TINT."""
    done = Rewrite()
    out: list[pikepdf.ContentStreamInstruction] = []
    spaces = {"fill": "/DeviceGray", "stroke": "/DeviceGray"}
    saved: list[dict[str, str]] = []
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            out.append(instruction)
            space = str(instruction.iimage.colorspace)
            if space not in PRINTABLE_SPACES:
                done.problems.append(f"{where}: an inline image in {space} (not grey or CMYK)")
            continue
        operands, operator = list(instruction.operands), str(instruction.operator)
        values = _numbers(operands)
        new: tuple[list[object], str] | None = None
        if operator == "q":
            saved.append(dict(spaces))
        elif operator == "Q" and saved:
            spaces = saved.pop()
        if operator in GREY_OPS and values and len(values) == 1:
            new = ([grey(values[0])], operator)
        elif operator in RGB_OPS and values and len(values) == 3:
            new = ([grey(luminance(*values))], RGB_OPS[operator])
        elif operator in CMYK_OPS and values and len(values) == 4:
            new = ([round(printable(v), 4) for v in values], operator)
        elif operator in SET_SPACE and operands:
            family = _space_name(operands[0], resources)
            if family == "/DeviceRGB":
                family = "/DeviceGray"
            if family not in PRINTABLE_SPACES:
                done.problems.append(f"{where}: colour space {family} (not grey or CMYK)")
            elif str(operands[0]) != family:  # RGB, or an ICC-based space: the device's own
                new = ([Name(family)], operator)
            spaces[SET_SPACE[operator]] = family
        elif operator in SET_COLOUR and values is not None:
            family = spaces[SET_COLOUR[operator]]
            if len(values) == 3:
                new = ([grey(luminance(*values))], operator)
            elif len(values) == 1 and family == "/DeviceGray":
                new = ([grey(values[0])], operator)
            elif len(values) == 4:
                new = ([round(printable(v), 4) for v in values], operator)
        if new is not None and (new[0] != values or new[1] != operator):
            done.changed += 1
            out.append(pikepdf.ContentStreamInstruction(new[0], pikepdf.Operator(new[1])))
        else:
            out.append(instruction)
    return out, done


def grey_image(image: pikepdf.Stream) -> bool:
    """Make an RGB, indexed or ICC image grey (transparency laid on white); True if changed."""
    space = image.get("/ColorSpace")
    if image.get("/ImageMask") is True:
        return False
    if isinstance(space, pikepdf.Array) and str(space[0]) == "/ICCBased":
        components = int(space[1].get("/N", 0))
        if components in (1, 4) and Name.SMask not in image:
            image.ColorSpace = Name.DeviceGray if components == 1 else Name.DeviceCMYK
            return True
    elif str(space) in PRINTABLE_SPACES and Name.SMask not in image:
        return False
    picture = pikepdf.PdfImage(image).as_pil_image()
    if Name.SMask in image:
        alpha = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
        white = Image.new("RGB", picture.size, "white")
        white.paste(picture.convert("RGB"), mask=alpha.resize(picture.size))
        picture = white
    converted = picture.convert("L")
    image.write(zlib.compress(converted.tobytes()), filter=Name.FlateDecode)
    for key in ("/SMask", "/Mask", "/Decode", "/DecodeParms", "/Intent"):
        if key in image:
            del image[key]
    image.ColorSpace = Name.DeviceGray
    image.BitsPerComponent = 8
    image.Width, image.Height = converted.size
    return True


def _drawn(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Object, pikepdf.Dictionary, str]]:
    """Every page and form XObject with its resources and a name for messages."""
    seen: set[tuple[int, int]] = set()

    def forms(resources: pikepdf.Dictionary, where: str) -> Iterator[tuple]:
        xobjects = resources.get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary):
            return
        for key, xobject in xobjects.items():
            if xobject.get("/Subtype") != Name.Form or xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            own = xobject.get("/Resources", resources)
            yield xobject, own, f"{where}, form {key}"
            yield from forms(own, f"{where}, form {key}")

    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        yield page, resources, f"page {number}"
        yield from forms(resources, f"page {number}")


def make_pdfx(path: Path, colour: bool = False) -> list[str]:
    """Make the PDF at ``path`` PDF/X-1a:2001 in place; what could not be made so (empty: all).

    Colours become grey (RGB by luminance) or stay CMYK, tints lighter than MIN_TINT are raised
    to it, images become grey (on white where they were transparent); the output intent, the
    PDF/X keys, ``/Trapped`` and ``/ModDate`` are set; written as PDF 1.3 without object
    streams, its ``/ID`` derived from the content as before (sangokushi.tounicode).
    """
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        for drawn, resources, where in _drawn(pdf):
            colours = pikepdf.parse_content_stream(drawn, GREY_OPERATORS)
            _, done = grey_content(colours, resources, where)
            problems += done.problems
            if done.changed:  # the whole content, written again
                instructions = pikepdf.parse_content_stream(drawn)
                rewritten, _ = grey_content(instructions, resources, where)
                data = pikepdf.unparse_content_stream(rewritten)
                if isinstance(drawn, pikepdf.Page):
                    drawn.Contents = pdf.make_stream(data)
                else:
                    drawn.write(data)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image:
                grey_image(obj)
        intent = pikepdf.Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX)
        for key, value in OUTPUT_INTENT.items():
            intent[key] = pikepdf.String(value)
        if not colour:
            intent.Info = pikepdf.String(OUTPUT_INTENT["/Info"] + BLACK_ONLY)
        pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])
        info = pdf.docinfo
        info.GTS_PDFXVersion = pikepdf.String(VERSION)
        info.GTS_PDFXConformance = pikepdf.String(CONFORMANCE)
        info.Trapped = Name("/False")
        if not str(info.get("/Title", "")):
            # A book's title is always set (sangokushi.conf); another project's LaTeX in
            # hyperref's draft mode writes none, and PDF/X wants one.
            info.Title = pikepdf.String(path.stem)
        if "/CreationDate" in info and "/ModDate" not in info:
            info.ModDate = info.CreationDate
        if Name.ID in pdf.trailer:
            del pdf.trailer[Name.ID]
        buffer = io.BytesIO()
        pdf.save(
            buffer,
            deterministic_id=True,
            force_version=PDF_VERSION,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
    write_over(path, buffer.getvalue(), ".pdfx.pdf")
    return problems


# -- Reading it back: what a PDF/X-1a preflight (Acrobat's, callas pdfToolbox) checks ----------

PRINTER_ANNOTATIONS = {"/PrinterMark", "/TrapNet"}


def _inside(inner: list[float], outer: list[float], slack: float = 0.01) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _box(page: pikepdf.Page, name: str) -> list[float] | None:
    box = page.obj.get(name)
    if box is None and name == "/MediaBox":
        box = page.mediabox
    return sorted_box([float(v) for v in box]) if box is not None else None


def sorted_box(box: list[float]) -> list[float]:
    return [min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])]


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def tints(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str, list[float]]]:
    """Every colour set in ``pdf``'s content: where, the operator and its values (a colour
    space chosen: ``"/Name cs"`` and no values)."""
    for drawn, _, where in _drawn(pdf):
        for instruction in pikepdf.parse_content_stream(drawn, COLOUR_OPERATORS):
            operator = str(instruction.operator)
            if operator in (*GREY_OPS, *RGB_OPS, *CMYK_OPS, *SET_COLOUR):
                yield where, operator, _numbers(list(instruction.operands)) or []
            elif operator in SET_SPACE:
                yield where, f"{instruction.operands[0]} {operator}", []


def _font_problems(font: pikepdf.Dictionary) -> list[str]:
    name = str(font.get("/BaseFont", font.get("/Name", "?")))
    subtype = str(font.get("/Subtype", ""))
    if subtype == "/Type3":
        return []
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or not len(descendants):
            return [f"font {name}: no descendant font"]
        font = descendants[0]
    descriptor = font.get("/FontDescriptor")
    files = ("/FontFile", "/FontFile2", "/FontFile3")
    if not isinstance(descriptor, pikepdf.Dictionary) or not any(f in descriptor for f in files):
        return [f"font {name} is not embedded"]
    return []


def preflight(path: Path) -> list[str]:
    """What keeps the PDF at ``path`` from being PDF/X-1a:2001 that prints in grey (empty: none).

    The checks of the standard that apply to what TeX writes: version, /Info keys, /ID, one
    PDF/X output intent naming a registered condition, no encryption, page boxes nested and a
    TrimBox on every page, no annotation over the printed area, no JavaScript or other actions
    on open, no transparency, transfer functions or LZW, only DeviceGray/DeviceCMYK colour and
    images, every font embedded; and this toolkit's own: no tint lighter than MIN_TINT.
    """
    found: list[str] = []
    with pikepdf.open(path) as pdf:
        if pdf.pdf_version > PDF_VERSION:
            found.append(f"PDF {pdf.pdf_version}, not {PDF_VERSION}")
        if pdf.is_encrypted:
            found.append("encrypted")
        info = pdf.docinfo
        expected = {"/GTS_PDFXVersion": VERSION, "/GTS_PDFXConformance": CONFORMANCE}
        for key, value in expected.items():
            if str(info.get(key, "")) != value:
                found.append(f"/Info {key} is {str(info.get(key, '')) or 'missing'}, not {value}")
        for key in ("/Title", "/CreationDate", "/ModDate"):
            if not str(info.get(key, "")):
                found.append(f"/Info {key} missing")
        if str(info.get("/Trapped", "")) not in ("/True", "/False"):
            found.append("/Info /Trapped is neither /True nor /False")
        if Name.ID not in pdf.trailer:
            found.append("no /ID in the trailer")
        intents = [
            i for i in pdf.Root.get("/OutputIntents", []) if str(i.get("/S", "")) == "/GTS_PDFX"
        ]
        if len(intents) != 1:
            found.append(f"{len(intents)} PDF/X output intents, not 1")
        for intent in intents:
            if not str(intent.get("/OutputConditionIdentifier", "")):
                found.append("output intent without /OutputConditionIdentifier")
            if "/DestOutputProfile" not in intent and not str(intent.get("/RegistryName", "")):
                found.append("output intent with neither a profile nor a /RegistryName")
            if not str(intent.get("/Info", "")):
                found.append("output intent without /Info")
        for key in ("/OpenAction", "/AA"):
            action = pdf.Root.get(key)
            if isinstance(action, pikepdf.Dictionary) and "/S" in action:
                found.append(f"document action {key} ({action.S})")
        for number, page in enumerate(pdf.pages, 1):
            media, bleed = _box(page, "/MediaBox"), _box(page, "/BleedBox")
            trim, art = _box(page, "/TrimBox"), _box(page, "/ArtBox")
            if trim is None and art is None:
                found.append(f"page {number}: no TrimBox")
                continue
            outer = bleed or media
            if not (_inside(outer, media) and _inside(trim or art, outer)):  # type: ignore[arg-type]
                found.append(f"page {number}: page boxes not nested")
            for annotation in page.obj.get("/Annots", []):
                rect = sorted_box([float(v) for v in annotation.get("/Rect", [0, 0, 0, 0])])
                subtype = str(annotation.get("/Subtype", ""))
                if subtype not in PRINTER_ANNOTATIONS and _overlaps(rect, outer):
                    found.append(f"page {number}: a {subtype} annotation on the printed area")
            if "/Group" in page.obj:
                found.append(f"page {number}: a transparency group")
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                continue
            filters = obj.get("/Filter") if isinstance(obj, pikepdf.Stream) else None
            if filters is not None and "/LZWDecode" in str(filters):
                found.append(f"LZW-compressed stream {obj.objgen}")
            kind = str(obj.get("/Type", ""))
            if obj.get("/Subtype") == Name.Image:
                space = obj.get("/ColorSpace")
                if obj.get("/ImageMask") is not True and str(space) not in PRINTABLE_SPACES:
                    found.append(f"image {obj.objgen} in {space} (not grey or CMYK)")
                if "/SMask" in obj:
                    found.append(f"image {obj.objgen} with a soft mask (transparency)")
                if int(obj.get("/BitsPerComponent", 8)) > 8:
                    found.append(f"image {obj.objgen} with more than 8 bits a component")
            elif kind == "/ExtGState" or "/CA" in obj or "/ca" in obj:
                if str(obj.get("/SMask", "/None")) != "/None":
                    found.append(f"graphics state {obj.objgen} with a soft mask")
                for key in ("/CA", "/ca"):
                    if float(obj.get(key, 1)) != 1:
                        found.append(f"graphics state {obj.objgen} with {key} {obj[key]}")
                if str(obj.get("/BM", "/Normal")) not in ("/Normal", "/Compatible"):
                    found.append(f"graphics state {obj.objgen} with blend mode {obj.BM}")
                if str(obj.get("/TR", "/Identity")) not in ("/Identity", "/Default"):
                    found.append(f"graphics state {obj.objgen} with a transfer function")
                if "/TR2" in obj and str(obj.TR2) not in ("/Identity", "/Default"):
                    found.append(f"graphics state {obj.objgen} with a transfer function")
            elif kind == "/Font":
                found += _font_problems(obj)
            elif str(obj.get("/S", "")) in ("/JavaScript", "/Launch", "/Sound", "/Movie"):
                found.append(f"a {obj.S} action")
        for where, operator, values in tints(pdf):
            if operator.endswith((" cs", " CS")):
                if operator.split()[0] not in PRINTABLE_SPACES:
                    found.append(f"{where}: colour space {operator.split()[0]} (not grey or CMYK)")
                continue
            if operator in RGB_OPS or (operator in SET_COLOUR and len(values) == 3):
                found.append(f"{where}: an RGB colour ({operator} {values})")
            inks = [1 - v for v in values] if operator in GREY_OPS or len(values) == 1 else values
            if any(0 < ink < MIN_TINT - 1e-4 for ink in inks):
                found.append(f"{where}: a tint lighter than {MIN_TINT:.0%} ({operator} {values})")
    return found
