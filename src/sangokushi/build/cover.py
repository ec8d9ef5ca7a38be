"""The print covers' step: the e-book cover's settings, the facts and the print PDF's pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sangokushi import printcover
from sangokushi.build.errors import BuildError
from sangokushi.ebook.cover import COLORS
from sangokushi.facts import Facts


@dataclass(frozen=True)
class Plan:
    """One cover: what it says, the sheet, and the numbers its spine comes from."""

    text: printcover.CoverText
    sheet: printcover.Sheet
    pages: int
    thickness_mm: float


def page_count(pdf: Path) -> int:
    """The pages of a published print PDF (pikepdf), or ``BuildError`` naming it."""
    import pikepdf

    try:
        with pikepdf.open(pdf) as opened:
            return len(opened.pages)
    except (OSError, pikepdf.PdfError) as exc:
        raise BuildError(f"cannot read the pages of {pdf}: {exc}") from None


def cover_text(sourcedir: Path, facts: Facts) -> printcover.CoverText:
    """The e-book cover's title, author and colours as the book's conf.py sets them (Sphinx's
    own reading of it); the subtitle, publisher and description from book.toml.

    Not the e-book cover's subtitle line: that is the 版 and 刷, and a printed cover serves
    every 刷 of its 版.
    """
    from sphinx.config import eval_config_file
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    conf = sourcedir / "conf.py"
    try:
        values = eval_config_file(conf, Tags()) if conf.is_file() else {}
    except ConfigError as exc:
        raise BuildError(f"{conf}: {str(exc).strip().splitlines()[-1]}") from None
    colours = values.get("ebook_cover_colors") or COLORS
    if not isinstance(colours, list | tuple) or len(colours) != 3:
        raise BuildError(f"{conf}: ebook_cover_colors must be three colours ('#rrggbb')")
    for colour in colours:
        try:
            printcover.cmyk(colour)
        except (ValueError, AttributeError):
            raise BuildError(
                f"{conf}: ebook_cover_colors: {colour!r} is not a colour ('#rrggbb')"
            ) from None
    return printcover.CoverText(
        title=values.get("ebook_cover_title") or "\n".join(facts.title_lines),
        subtitle=facts.subtitle,
        author=values.get("ebook_cover_author", facts.author),
        publisher=facts.publisher,
        description=facts.description,
        colours=tuple(colours),  # type: ignore[arg-type]
    )


def plan(sourcedir: Path, facts: Facts, pdf: Path, right_bound: bool) -> Plan:
    """The cover of ``facts``' book for the print PDF ``pdf`` (its page count)."""
    pages = page_count(pdf)
    width, height = facts.page.size_mm
    spine = printcover.spine_mm(pages, facts.paper_thickness_mm)
    sheet = printcover.Sheet(width, height, spine, right_bound=right_bound)
    return Plan(cover_text(sourcedir, facts), sheet, pages, facts.paper_thickness_mm)


def write(plan: Plan, facts: Facts, workdir: Path) -> Path:
    """The cover's LaTeX in ``workdir``; the ``.tex``'s path."""
    workdir.mkdir(parents=True, exist_ok=True)
    binding = "縦書き・右綴じ" if plan.sheet.right_bound else "横書き・左綴じ"
    title = f"{facts.title}（表紙・{binding}）"
    tex = workdir / f"{facts.name}-cover.tex"
    tex.write_text(printcover.latex(plan.text, plan.sheet, title, facts.language), "utf-8")
    return tex


def describe(plan: Plan) -> str:
    """What the build says of a cover: its spine and where it came from."""
    sheet = plan.sheet
    said = (
        f"背幅 {sheet.spine_mm:.2f} mm ({plan.pages} pages ÷ 2 × {plan.thickness_mm} mm), "
        f"sheet {2 * sheet.width_mm + sheet.spine_mm:.2f} × {sheet.height_mm:.0f} mm trimmed"
    )
    if sheet.spine_mm < printcover.SPINE_TEXT_MIN_MM:
        said += f"; no 背文字 on a spine under {printcover.SPINE_TEXT_MIN_MM:.0f} mm"
    return said
