"""The Python work after TeX on a large PDF, in a process of its own (``latex.apart``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sangokushi.build.errors import BuildError

if TYPE_CHECKING:
    from sangokushi.facts import Facts

# Exit status when the step failed: its one line is on stdout.
FAILED = 3


def page_map(pdf: Path, book: Facts, tate: bool, source: str, out: Path) -> None:
    """Leave ``pdf``'s page map at ``out`` for the EPUBs that mark its pages (sangokushi.pagemap):
    ``source`` names the edition. Beside it, each page's text by its print: the next map reads
    only the pages that changed."""
    from sangokushi import pagemap
    from sangokushi.build.publish import write_whole

    design = book.tate_page if tate else book.page
    kept, key = out.with_name(out.name + pagemap.KNOWN), pagemap.reading_key(design, tate)
    pages, texts = pagemap.read_pages(pdf, design, tate, pagemap.known_texts(kept, key))
    write_whole(out, pagemap.dumps(source, pdf, pages))
    write_whole(kept, json.dumps({"key": key, "texts": texts}, ensure_ascii=False))


def main(argv: list[str]) -> int:
    """``finish PDF ENGINE press|- colour|-``, ``page-map PDF SOURCEDIR tate|yoko SOURCE OUT``
    or ``impose PDF READING MARKS FOLIOS`` (sangokushi.build.impose)."""
    command, pdf, *args = argv
    try:
        if command == "finish":
            from sangokushi.build.latex import finish_pdf

            engine, press, colour = args
            finish_pdf(Path(pdf), engine, press == "press", colour == "colour")
        elif command == "impose":
            from sangokushi.build import impose

            reading, marks, folios = args
            order = impose.plan(Path(folios)).order
            impose.make(Path(pdf), Path(reading), Path(marks), order)
        else:
            from sangokushi import facts

            sourcedir, mode, source, out = args
            page_map(Path(pdf), facts.load(Path(sourcedir)), mode == "tate", source, Path(out))
    except BuildError as exc:
        print(exc)
        return FAILED
    except OSError as exc:
        print(f"cannot write {exc.filename or pdf}: {exc.strerror or exc}")
        return FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
