"""The Python work after TeX on a large PDF, in a process of its own (``latex.apart``)."""

from __future__ import annotations

import sys
from pathlib import Path

from sangokushi.build.errors import BuildError

# Exit status when the step failed: its one line is on stdout.
FAILED = 3


def main(argv: list[str]) -> int:
    """``finish PDF ENGINE press|- colour|-`` or ``page-map PDF SOURCEDIR tate|yoko SOURCE OUT``."""
    command, pdf, *args = argv
    try:
        if command == "finish":
            from sangokushi.build.latex import finish_pdf

            engine, press, colour = args
            finish_pdf(Path(pdf), engine, press == "press", colour == "colour")
        else:
            from sangokushi import facts, pagemap
            from sangokushi.build.publish import write_whole

            sourcedir, mode, source, out = args
            book = facts.load(Path(sourcedir))
            design = book.tate_page if mode == "tate" else book.page
            write_whole(Path(out), pagemap.dumps(Path(pdf), design, mode == "tate", source))
    except BuildError as exc:
        print(exc)
        return FAILED
    except OSError as exc:
        print(f"cannot write {exc.filename or pdf}: {exc.strerror or exc}")
        return FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
