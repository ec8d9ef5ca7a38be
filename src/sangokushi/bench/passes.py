"""Where one LuaLaTeX pass of the book goes: engine, LuaTeX-ja, the preamble, the pages."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from sangokushi.bench.run import build_env, run

EMPTY = "\\documentclass{%s}\\begin{document}%s\\end{document}\n"
VARIANTS = {
    "lualatex, empty article": EMPTY % ("article", "x"),
    "+ LuaTeX-ja (ltjsbook), empty": EMPTY % ("ltjsbook", "字"),
}


def measure(tex: Path, repeats: int = 3) -> list[tuple[str, float, float]]:
    """Median wall and CPU seconds of one LuaLaTeX pass for each variant of the book's ``tex``."""
    source = tex.read_text(encoding="utf-8")
    preamble = source[: source.index("\\begin{document}")]
    variants = dict(VARIANTS)
    variants["+ the book's preamble and fonts, no pages"] = (
        preamble + "\\begin{document}字\\end{document}\n"
    )
    variants["the whole book, one pass (aux files present)"] = source
    env = build_env()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "latex"
        shutil.copytree(tex.parent, work)
        command = ["lualatex", "-interaction=nonstopmode", "-halt-on-error", "pass.tex"]
        for name, text in variants.items():
            (work / "pass.tex").write_text(text, encoding="utf-8")
            for suffix in (".aux", ".toc", ".out", ".ltjruby"):
                book = work / tex.with_suffix(suffix).name
                if book.exists():
                    shutil.copyfile(book, work / f"pass{suffix}")
            runs = [run([command], env, work) for _ in range(repeats)]
            rows.append(
                (name, statistics.median(r[0] for r in runs), statistics.median(r[2] for r in runs))
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sangokushi.bench.passes", description=__doc__)
    parser.add_argument(
        "tex", type=Path, help="the book's .tex in a LaTeX build folder that has run"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print("| one LuaLaTeX pass | wall s | CPU s |\n|---|---:|---:|")
    for name, seconds, cpu in measure(args.tex, args.repeats):
        print(f"| {name} | {seconds:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
